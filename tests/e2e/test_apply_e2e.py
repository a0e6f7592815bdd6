"""``dactl apply`` end to end: the real CLI against a real sandbox server."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import ApiError
from reconciler.genesys import ActionsApi
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.process import SandboxServer
from tests.e2e.conftest import (
    STALE_VERSION_ANSWERS,
    Cli,
    create_in_org,
    edit,
    edit_in_org,
    requests_by_route,
    seed_actions,
    writes,
)

pytestmark = pytest.mark.e2e

QUEUE_FILE = "get-queue-waiting-count.yaml"
QUEUE = "Get Queue Waiting Count"
ACTIONS = "/api/v2/integrations/actions"


def audit(cli: Cli) -> list[dict[str, Any]]:
    path = cli.cwd / ".dactl" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def live_of(cli: Cli, action_id: str) -> dict[str, Any]:
    with cli.api() as client:
        return ActionsApi(client).get_action_full(action_id)


def patch_in_org(cli: Cli, action_id: str, **config: Any) -> int:
    """Edit an action through the API, as a colleague in the UI would; its new version."""
    with cli.api() as client:
        return edit_in_org(ActionsApi(client), action_id, **config)


def test_apply_creates_everything_then_plan_shows_no_change(cli: Cli) -> None:
    result = cli.run("apply", "actions", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Apply complete: 10 created, 0 updated, 0 replaced, 0 deleted." in result.stdout
    assert len(re.findall(r"^ +\+ create '.+': created custom_-_", result.stdout, re.M)) == 10
    records = audit(cli)
    assert [(r["operation"], r["outcome"]) for r in records] == [("create", "ok")] * 10
    assert {r["action"] for r in records} == {
        name for name in re.findall(r"'(.+)': created", result.stdout)
    }
    plan = cli.run("plan", "actions", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    again = cli.run("apply", "actions", "--auto-approve")
    assert again.returncode == 0 and "No changes." in again.stdout


def test_without_a_terminal_apply_needs_auto_approve_and_writes_nothing(cli: Cli) -> None:
    before = cli.sandbox.stats()
    result = cli.run("apply", "actions")
    assert result.returncode == 1
    assert "pass --auto-approve, or apply a plan file" in result.stderr
    assert "Traceback" not in result.stderr
    assert writes(before, cli.sandbox.stats()) == {}


def test_a_timeout_edit_is_one_versioned_patch(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    edit(cli, QUEUE_FILE, "timeoutSeconds: 10", "timeoutSeconds: 5")
    before = cli.sandbox.stats()
    result = cli.run("apply", "actions", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"updated {ids[QUEUE]} v1 -> v2 (timeoutSeconds)" in result.stdout
    assert writes(before, cli.sandbox.stats()) == {
        "PATCH /api/v2/integrations/actions/{actionId}": 1
    }
    assert live_of(cli, ids[QUEUE])["config"]["timeoutSeconds"] == 5
    (record,) = audit(cli)
    assert record["action"] == QUEUE and record["fields"] == ["timeoutSeconds"]
    assert (record["version_before"], record["version_after"]) == (1, 2)
    assert cli.run("plan", "actions", "--detailed-exitcode").returncode == 0


def allow_contract_changes(cli: Cli) -> None:
    """Say in dactl.yaml that the org takes contract changes through drafts."""
    project = cli.cwd / "actions" / "dactl.yaml"
    project.write_text(project.read_text() + "immutableContracts: false\n")


@pytest.mark.parametrize("sandbox", [SandboxConfig(mutable_contracts=True)], indirect=True)
def test_a_contract_change_goes_through_a_draft_where_the_project_allows_it(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    allow_contract_changes(cli)
    edit(cli, QUEUE_FILE, "waiting: {type: integer}", "waiting: {type: number}")
    before = cli.sandbox.stats()
    result = cli.run("apply", "actions", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"updated through a draft {ids[QUEUE]} v1 -> v2" in result.stdout
    assert writes(before, cli.sandbox.stats()) == {
        "POST /api/v2/integrations/actions/{actionId}/draft": 1,
        "PATCH /api/v2/integrations/actions/{actionId}/draft": 1,
        "POST /api/v2/integrations/actions/{actionId}/draft/publish": 1,
    }
    live = live_of(cli, ids[QUEUE])
    assert live["contract"]["output"]["successSchema"]["properties"]["waiting"] == {
        "type": "number"
    }
    assert [r["operation"] for r in audit(cli)] == ["draft.create", "draft.patch", "draft.publish"]
    assert cli.run("plan", "actions", "--detailed-exitcode").returncode == 0


def test_a_contract_change_is_a_replace_by_default_and_a_refused_draft_publishes_nothing(
    workdir: Path,
) -> None:
    """Contracts are fixed once published (the sandbox's default, as the Genesys help
    centre says). A project that claims otherwise sees its draft refused at validation:
    nothing of the update is published, not even its config part, the draft is deleted
    again and the error says what to do. By default the change is a replace that needs
    --allow-replace."""
    with SandboxServer(SandboxConfig()) as server:
        cli = Cli(server, workdir)
        ids = seed_actions(cli, cli.cwd / "actions")
        project = cli.cwd / "actions" / "dactl.yaml"
        default_project = project.read_text()
        allow_contract_changes(cli)
        edit(cli, QUEUE_FILE, "waiting: {type: integer}", "waiting: {type: number}")
        edit(cli, QUEUE_FILE, "timeoutSeconds: 10", "timeoutSeconds: 12")
        result = cli.run("apply", "actions", "--auto-approve")
        assert result.returncode == 1
        assert f"~ update '{QUEUE}': FAILED: the org refused the draft" in result.stdout
        assert "remove immutableContracts: false from dactl.yaml" in result.stdout
        assert "Apply failed for 1 of 1 changes" in result.stdout
        with cli.api() as client:
            assert ActionsApi(client).get_draft(ids[QUEUE]) is None  # cleaned up
        assert [(r["operation"], r["outcome"]) for r in audit(cli)] == [
            ("draft.create", "ok"),
            ("draft.patch", "ok"),
            ("draft.validate", "refused"),
            ("draft.delete", "ok"),
        ]
        live = live_of(cli, ids[QUEUE])
        assert (live["version"], live["config"]["timeoutSeconds"]) == (1, 10)  # nothing

        project.write_text(default_project)  # the default: contracts are fixed
        planned = cli.run("plan", "actions")
        assert "-/+ replace 'Get Queue Waiting Count'" in planned.stdout, planned.stdout
        before = server.stats()
        refused = cli.run("apply", "actions", "--auto-approve")
        assert refused.returncode == 1
        assert "replaces 1 action(s) (Get Queue Waiting Count)" in refused.stderr
        assert "--allow-replace" in refused.stderr
        assert writes(before, server.stats()) == {}

        replaced = cli.run("apply", "actions", "--auto-approve", "--allow-replace")
        assert replaced.returncode == 0, replaced.stdout + replaced.stderr
        new_id = re.search(rf"replaced {ids[QUEUE]} by (custom_-_[0-9a-f-]+) v1", replaced.stdout)
        assert new_id, replaced.stdout
        assert "repoint flows that use the old id" in replaced.stdout
        with cli.api() as client, pytest.raises(ApiError) as gone:
            ActionsApi(client).get_action(ids[QUEUE])
        assert gone.value.status == 404
        assert [r["operation"] for r in audit(cli)][-2:] == ["create", "delete"]
        assert cli.run("plan", "actions", "--detailed-exitcode").returncode == 0


def test_a_saved_plan_is_applied_as_reviewed(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    edit(cli, QUEUE_FILE, "timeoutSeconds: 10", "timeoutSeconds: 5")
    planned = cli.run("plan", "actions", "--out", "plan.json")
    assert planned.returncode == 0, planned.stderr
    result = cli.run("apply", "plan.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"updated {ids[QUEUE]} v1 -> v2 (timeoutSeconds)" in result.stdout
    again = cli.run("apply", "plan.json")
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"Note: '{QUEUE}': already up to date" in again.stdout


def test_a_saved_plan_is_stale_when_the_org_changed_and_nothing_is_written(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    edit(cli, QUEUE_FILE, "timeoutSeconds: 10", "timeoutSeconds: 5")
    assert cli.run("plan", "actions", "--out", "plan.json").returncode == 0
    patch_in_org(cli, ids[QUEUE], timeoutSeconds=7)  # a colleague, after the review
    before = cli.sandbox.stats()
    result = cli.run("apply", "plan.json")
    assert result.returncode == 1
    assert "stale plan" in result.stderr
    assert f"'{QUEUE}' changed in the org since the plan was made (timeoutSeconds)" in (
        result.stderr
    )
    assert writes(before, cli.sandbox.stats()) == {}
    assert live_of(cli, ids[QUEUE])["config"]["timeoutSeconds"] == 7  # not overwritten


def test_a_version_bump_alone_is_not_staleness(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    edit(cli, QUEUE_FILE, "timeoutSeconds: 10", "timeoutSeconds: 5")
    assert cli.run("plan", "actions", "--out", "plan.json").returncode == 0
    assert patch_in_org(cli, ids[QUEUE]) == 2  # same content, new version
    result = cli.run("apply", "plan.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"updated {ids[QUEUE]} v2 -> v3 (timeoutSeconds)" in result.stdout


def test_a_saved_plan_is_stale_when_the_files_changed(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    edit(cli, QUEUE_FILE, "timeoutSeconds: 10", "timeoutSeconds: 5")
    assert cli.run("plan", "actions", "--out", "plan.json").returncode == 0
    edit(cli, QUEUE_FILE, "timeoutSeconds: 5", "timeoutSeconds: 6")
    result = cli.run("apply", "plan.json")
    assert result.returncode == 1
    assert "stale plan: the action files changed since the plan was made" in result.stderr


def test_a_conflict_on_a_write_is_re_fetched_and_retried(cli: Cli) -> None:
    """A 409 whose re-fetch shows the content the plan saw is retried with the new version."""
    ids = seed_actions(cli, cli.cwd / "actions")
    edit(cli, QUEUE_FILE, "timeoutSeconds: 10", "timeoutSeconds: 5")
    assert cli.run("plan", "actions", "--out", "plan.json").returncode == 0
    cli.sandbox.inject_fault(path=r"/actions/[^/]+$", method="PATCH", status=409)
    result = cli.run("apply", "plan.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [(r["operation"], r["outcome"]) for r in audit(cli)] == [
        ("patch", "conflict"),
        ("patch", "ok"),
    ]
    assert live_of(cli, ids[QUEUE])["config"]["timeoutSeconds"] == 5


@pytest.mark.parametrize("sandbox", STALE_VERSION_ANSWERS, indirect=True)
def test_a_lost_patch_response_is_read_back_and_recorded_as_applied(cli: Cli) -> None:
    """The PATCH is carried out but its response is lost: apply reads the action back,
    finds its own write (the version moved by one, the content is the desired one), and the
    audit log says "applied" once: what the org did, never a conflict that did not happen."""
    ids = seed_actions(cli, cli.cwd / "actions")
    edit(cli, QUEUE_FILE, "timeoutSeconds: 10", "timeoutSeconds: 5")
    cli.sandbox.inject_fault(path=r"/actions/[^/]+$", method="PATCH", drop_after_write=True)
    before = cli.sandbox.stats()
    result = cli.run("apply", "actions", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"updated {ids[QUEUE]} v1 -> v2 (timeoutSeconds); the response was lost" in (
        result.stdout
    )
    assert live_of(cli, ids[QUEUE])["version"] == 2  # written once
    assert writes(before, cli.sandbox.stats()) == {
        "PATCH /api/v2/integrations/actions/{actionId}": 1
    }
    assert [(r["operation"], r["outcome"], r["version_after"]) for r in audit(cli)] == [
        ("patch", "applied", 2)
    ]


def test_a_patch_answered_503_is_read_back_and_sent_again(cli: Cli) -> None:
    """A 5xx may or may not mean the write was done: apply reads back, finds it was not,
    records "not applied", and sends it again with the same version."""
    ids = seed_actions(cli, cli.cwd / "actions")
    edit(cli, QUEUE_FILE, "timeoutSeconds: 10", "timeoutSeconds: 5")
    cli.sandbox.inject_fault(path=r"/actions/[^/]+$", method="PATCH", status=503)
    result = cli.run("apply", "actions", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    assert live_of(cli, ids[QUEUE])["version"] == 2
    assert [(r["operation"], r["outcome"]) for r in audit(cli)] == [
        ("patch", "not applied"),
        ("patch", "ok"),
    ]


def test_a_lost_create_response_is_looked_up_by_name_not_sent_twice(cli: Cli) -> None:
    cli.sandbox.inject_fault(path=r"/actions$", method="POST", drop_after_write=True)
    result = cli.run("apply", "actions", "--auto-approve", "--target", QUEUE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(the response was lost; read back)" in result.stdout
    assert [(r["operation"], r["outcome"]) for r in audit(cli)] == [("create", "applied")]
    with cli.api() as client:
        named = [a for a in ActionsApi(client).iter_actions() if a["name"] == QUEUE]
    assert len(named) == 1


def test_safety_thresholds_stop_apply_unless_forced(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    files = sorted(p.name for p in (cli.cwd / "actions").glob("*.yaml") if p.name != "dactl.yaml")
    edited = []
    for name in files:
        text = (cli.cwd / "actions" / name).read_text()
        found = re.search(r"\ntimeoutSeconds: (\d+)\n", text)
        if found and len(edited) < 4:
            edit(cli, name, found.group(0), "\ntimeoutSeconds: 29\n")
            edited.append(name)
    assert len(edited) == 4  # 40% of 10 is over maxUpdatePercent 30
    before = cli.sandbox.stats()
    result = cli.run("apply", "actions", "--auto-approve")
    assert result.returncode == 1
    assert "over the project's safety thresholds" in result.stderr
    assert "--force" in result.stderr
    assert writes(before, cli.sandbox.stats()) == {}
    forced = cli.run("apply", "actions", "--auto-approve", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "Apply complete: 0 created, 4 updated" in forced.stdout
    assert ids  # seeded


def test_prune_deletes_unmanaged_actions_in_scope_only(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    (cli.cwd / "actions" / QUEUE_FILE).unlink()
    before = cli.sandbox.stats()
    kept = cli.run("apply", "actions", "--auto-approve")
    assert kept.returncode == 0 and "No changes." in kept.stdout  # prune is off
    assert writes(before, cli.sandbox.stats()) == {}
    pruned = cli.run("apply", "actions", "--auto-approve", "--prune")
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    assert f"- delete '{QUEUE}': deleted {ids[QUEUE]}" in pruned.stdout
    assert "Apply complete: 0 created, 0 updated, 0 replaced, 1 deleted." in pruned.stdout
    with cli.api() as client:
        left = {a["id"] for a in ActionsApi(client).iter_actions(include_config=False)}
    assert ids[QUEUE] not in left
    assert {i for n, i in ids.items() if n != QUEUE} <= left
    assert any(i.startswith("static") for i in left)  # built-ins are never touched


def test_no_secret_reaches_output_or_audit(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    secret = "Bearer sk_live_0123456789abcdef"
    edit(
        cli,
        "get-order-status.yaml",
        "request:\n",
        f"request:\n  headers:\n    Authorization: {secret}\n",
    )
    result = cli.run("apply", "actions", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    log = (cli.cwd / ".dactl" / "audit.jsonl").read_text()
    for text in (result.stdout, result.stderr, log):
        assert "sk_live_0123456789abcdef" not in text
        assert cli.sandbox.client_secret not in text
    assert 'request.headers.Authorization: <absent> → "(sensitive value)"' in result.stdout
    (record,) = audit(cli)
    assert record["fields"] == ["request.headers.Authorization"]


@pytest.mark.parametrize(("answer", "applied"), [("yes", True), ("y", False), ("no", False)])
def test_on_a_terminal_apply_shows_the_plan_and_asks(cli: Cli, answer: str, applied: bool) -> None:
    seed_actions(cli, cli.cwd / "actions")
    edit(cli, QUEUE_FILE, "timeoutSeconds: 10", "timeoutSeconds: 5")
    before = cli.sandbox.stats()
    result = cli.on_a_terminal(answer, "apply", "actions")
    assert result.returncode == (0 if applied else 1), result.stdout + result.stderr
    out = result.stdout
    assert out.startswith(f"Org: dactl sandbox ({cli.sandbox.base_url.split('//')[1]})\n")
    assert out.index("timeoutSeconds: 10 → 5") < out.index(
        f"Apply 1 change to dactl sandbox ({cli.sandbox.base_url.split('//')[1]})? "
        "Only 'yes' is accepted"
    )
    if applied:
        assert "Apply complete: 0 created, 1 updated" in out
        assert writes(before, cli.sandbox.stats()) == {
            "PATCH /api/v2/integrations/actions/{actionId}": 1
        }
    else:
        assert "Apply cancelled; nothing was changed." in out
        assert writes(before, cli.sandbox.stats()) == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "plan.json: not a saved plan (invalid JSON"),
        ("[]", "plan.json: not a saved plan (no format_version)"),
        ('{"format_version": 99}', "plan.json: plan format 99 is not supported"),
        ('{"format_version": 1, "changes": []}', "plan.json: damaged saved plan"),
    ],
)
def test_a_bad_plan_file_is_one_line_exit_1(cli: Cli, content: str, message: str) -> None:
    (cli.cwd / "plan.json").write_text(content, encoding="utf-8")
    before = cli.sandbox.stats()
    result = cli.run("apply", "plan.json")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: " + message), result.stderr
    assert "Traceback" not in result.stderr
    assert requests_by_route(before, cli.sandbox.stats()) == {}


def test_an_interrupted_apply_ends_without_a_traceback(cli: Cli) -> None:
    """Ctrl-C while writes are in flight: in-flight writes finish, the rest are not sent,
    and the user gets one message and exit 130."""
    cli.sandbox.inject_fault(path=r"/actions$", method="POST", delay_ms=1500, count=100)
    args = ["apply", "actions", "--auto-approve", "--concurrency", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cli.cwd,
        env=cli.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not any(
            r["request"] == "POST /api/v2/integrations/actions" for r in cli.sandbox.requests()
        ):
            assert time.monotonic() < deadline, "no create was sent"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err
    assert "Interrupted. Writes already sent are in the audit log" in err
    creates = [r for r in cli.sandbox.requests() if r["request"] == "POST " + ACTIONS]
    assert 1 <= len(creates) <= 2  # the two in flight finished; the other 8 were never sent
    assert len(audit(cli)) == len(creates)  # and each one that was sent is audited


def test_a_saved_plan_is_stale_when_a_change_would_now_be_of_another_kind(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    project = cli.cwd / "actions" / "dactl.yaml"
    default_project = project.read_text()
    allow_contract_changes(cli)
    edit(cli, QUEUE_FILE, "waiting: {type: integer}", "waiting: {type: number}")
    assert cli.run("plan", "actions", "--out", "plan.json").returncode == 0  # an update
    project.write_text(default_project)  # now a replace
    before = cli.sandbox.stats()
    result = cli.run("apply", "plan.json")
    assert result.returncode == 1
    assert f"'{QUEUE}' now plans as a replace, not the update that was reviewed" in result.stderr
    assert writes(before, cli.sandbox.stats()) == {}


def make_secure(cli: Cli) -> None:
    edit(
        cli,
        QUEUE_FILE,
        "name: Get Queue Waiting Count\n",
        "name: Get Queue Waiting Count\nsecure: true\n",
    )


def named(cli: Cli, name: str) -> list[dict[str, Any]]:
    with cli.api() as client:
        return [a for a in ActionsApi(client).iter_actions() if a["name"] == name]


def test_a_secure_change_is_a_replace_and_a_lost_create_response_finds_the_new_action(
    cli: Cli,
) -> None:
    """Genesys fixes `secure` once published, so it is a replace; and when the create's
    response is lost, the look-up by name never mistakes the old action for the new."""
    ids = seed_actions(cli, cli.cwd / "actions")
    make_secure(cli)
    body = json.loads(cli.run("plan", "actions", "--format", "json").stdout)
    (change,) = body["changes"]
    assert (change["kind"], change["reason"]) == ("replace", "secure cannot change once published")
    cli.sandbox.inject_fault(path=r"/actions$", method="POST", drop_after_write=True)
    result = cli.run("apply", "actions", "--auto-approve", "--allow-replace")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(the response was lost; read back)" in result.stdout
    assert [(r["operation"], r["outcome"]) for r in audit(cli)] == [
        ("create", "applied"),
        ("delete", "ok"),
    ]
    (live,) = named(cli, QUEUE)  # the old one deleted, the new one created once
    assert live["id"] != ids[QUEUE] and live["secure"] is True
    assert cli.run("plan", "actions", "--detailed-exitcode").returncode == 0


def test_a_replace_whose_delete_fails_names_both_ids(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    make_secure(cli)
    cli.sandbox.inject_fault(path=r"/actions/[^/]+$", method="DELETE", status=400)
    result = cli.run("apply", "actions", "--auto-approve", "--allow-replace")
    assert result.returncode == 1
    new = re.search(r"created (custom_-_[0-9a-f-]+) v1, but the old action", result.stdout)
    assert new, result.stdout
    assert f"repoint flows to {new.group(1)}, then delete {ids[QUEUE]}" in result.stdout
    assert {a["id"] for a in named(cli, QUEUE)} == {ids[QUEUE], new.group(1)}


def test_an_unwritable_audit_log_stops_apply_before_any_write(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    edit(cli, QUEUE_FILE, "timeoutSeconds: 10", "timeoutSeconds: 5")
    (cli.cwd / "afile").write_text("")
    before = cli.sandbox.stats()
    result = cli.run("apply", "actions", "--auto-approve", "--audit-log", "afile/audit.jsonl")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: cannot write the audit log afile/audit.jsonl")
    assert "Traceback" not in result.stderr
    assert writes(before, cli.sandbox.stats()) == {}


def test_an_unwritable_plan_file_is_one_line(cli: Cli) -> None:
    (cli.cwd / "afile").write_text("")
    result = cli.run("plan", "actions", "--out", "afile/plan.json")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: cannot write the plan file afile/plan.json")
    assert "Traceback" not in result.stderr


FUNCTION_ACTION = """\
name: Score Lead
integration: Function Data Actions
contract:
  input: {type: object, properties: {lead: {type: string}}}
  output: {type: object, properties: {score: {type: integer}}}
request:
  requestType: POST
function:
  handler: index.handler
  runtime: nodejs20.x
  package: score-code
"""


def test_a_function_action_whose_publish_fails_leaves_no_hidden_draft(cli: Cli) -> None:
    tree = cli.cwd / "functions"
    (tree / "score-code").mkdir(parents=True)
    (tree / "score-code" / "index.js").write_text("exports.handler = async () => ({});\n")
    (tree / "dactl.yaml").write_text("scope: {integrations: [Function Data Actions]}\n")
    (tree / "score-lead.yaml").write_text(FUNCTION_ACTION)
    cli.sandbox.inject_fault(path=r"/draft/publish$", method="POST", status=400)
    failed = cli.run("apply", "functions", "--auto-approve")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    with cli.api() as client:
        drafts = client.get_json(f"{ACTIONS}/drafts", params={"pageSize": 100})["entities"]
    assert [d for d in drafts if d["name"] == "Score Lead"] == []
    applied = cli.run("apply", "functions", "--auto-approve")  # and a rerun creates it once
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "(through a draft)" in applied.stdout
    assert len(named(cli, "Score Lead")) == 1


def test_a_saved_plan_applies_only_to_the_org_it_was_made_against(cli: Cli) -> None:
    assert cli.run("plan", "actions", "--out", "plan.json").returncode == 0
    with SandboxServer(SandboxConfig()) as other:
        before = other.stats()
        result = cli.run("apply", "plan.json", GENESYSCLOUD_API_URL=other.base_url)
        assert result.returncode == 1
        assert "plan.json was planned against another org" in result.stderr
        assert writes(before, other.stats()) == {}


def test_commands_that_reach_the_org_take_a_directory_not_one_action_file(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    before = cli.sandbox.stats()
    one = "actions/" + QUEUE_FILE
    for args in (("apply", one, "--prune", "--auto-approve"), ("plan", one), ("drift", one)):
        result = cli.run(*args)
        assert result.returncode == 1, args
        assert f"{one} is" in result.stderr and "takes the directory" in result.stderr, (
            result.stderr
        )
    assert requests_by_route(before, cli.sandbox.stats()) == {}
    plan_as_yaml = cli.run("plan", "actions", "--out", "actions/" + QUEUE_FILE)
    assert plan_as_yaml.returncode == 1 and "a saved plan is JSON" in plan_as_yaml.stderr


def test_a_plan_saved_under_any_name_applies(cli: Cli) -> None:
    assert cli.run("plan", "actions", "--out", "myplan").returncode == 0
    result = cli.run("apply", "myplan")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Apply complete: 10 created" in result.stdout


def test_a_saved_plan_names_no_phantom_changes_for_unmanaged_actions(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    create_in_org(cli, "Made In The Org")
    create_in_org(cli, "Made In The Org")  # and a second copy: no file names them
    edit(cli, QUEUE_FILE, "timeoutSeconds: 10", "timeoutSeconds: 5")
    assert cli.run("plan", "actions", "--out", "plan.json").returncode == 0
    result = cli.run("apply", "plan.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Note:" not in result.stdout
    assert "Apply complete: 0 created, 1 updated, 0 replaced, 0 deleted." in result.stdout
    assert len(named(cli, "Made In The Org")) == 2
