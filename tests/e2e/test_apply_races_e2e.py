"""The applier's conflict and draft rules, against a real in-thread sandbox.

A colleague's edit "between plan and write" is staged by wrapping one API call, so each
race happens at a known point instead of by timing. Every test runs against both answers
the sandbox can give a stale-version PATCH (409, or 400 "does not match the current
version"): the real one is unknown (genesys-api.md §3).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply import Applier, Outcome
from reconciler.audit import AuditLog
from reconciler.genesys import ActionsApi
from reconciler.orchestrator import Orchestrator
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.process import SandboxServer
from tests.e2e.conftest import STALE_VERSION_ANSWERS, Cli, edit_in_org, seed_actions

pytestmark = pytest.mark.e2e

QUEUE = "Get Queue Waiting Count"
QUEUE_FILE = "get-queue-waiting-count.yaml"


@pytest.fixture(params=STALE_VERSION_ANSWERS)
def org(
    request: pytest.FixtureRequest, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Cli, dict[str, str]]]:
    # The draft-path races need an org that takes contract changes through drafts, and
    # a project that says so; other races do not touch contracts.
    config: SandboxConfig = replace(request.param, mutable_contracts=True)
    project = workdir / "actions" / "dactl.yaml"
    project.write_text(project.read_text() + "immutableContracts: false\n")
    with SandboxServer(config) as server:
        cli = Cli(server, workdir)
        for key, value in cli.env().items():
            if key.startswith("GENESYSCLOUD_"):
                monkeypatch.setenv(key, value)
        yield cli, seed_actions(cli, workdir / "actions")


def edit_file(cli: Cli, old: str, new: str) -> None:
    path = cli.cwd / "actions" / QUEUE_FILE
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def colleague_sets_timeout(api: ActionsApi, action_id: str, timeout: int) -> None:
    edit_in_org(api, action_id, timeoutSeconds=timeout)


def fetch(cli: Cli, action_id: str) -> dict[str, Any]:
    with cli.api() as client:
        return ActionsApi(client).get_action_full(action_id)


def fetch_draft(cli: Cli, action_id: str) -> dict[str, Any] | None:
    with cli.api() as client:
        return ActionsApi(client).get_draft_full(action_id)


def run(
    cli: Cli,
    *,
    saved_plan: bool,
    before_write: Callable[[ActionsApi], object] | None = None,
    wrap: str = "patch_action",
    times: int = 1,
) -> tuple[Outcome, list[dict[str, Any]]]:
    """Plan the one change in the tree and apply it; ``before_write`` runs just before
    each of the first ``times`` calls of ``wrap``."""
    orchestrator = Orchestrator(cli.cwd / "actions", cache_dir=None)
    report = orchestrator.validate()
    log = cli.cwd / "audit.jsonl"
    with orchestrator.session(report) as (api, org):
        result = orchestrator._plan_in(api, org, report, targets=None, prune=None)
        (change,) = result.plan.changes
        if before_write is not None:
            original = getattr(api, wrap)
            calls = {"n": 0, "staging": False}

            def wrapped(*args: Any, **kwargs: Any) -> Any:
                # The colleague's own writes (through this api) pass straight through.
                if calls["n"] < times and not calls["staging"]:
                    calls["n"] += 1
                    calls["staging"] = True
                    try:
                        before_write(api)
                    finally:
                        calls["staging"] = False
                return original(*args, **kwargs)

            setattr(api, wrap, wrapped)
        applier = Applier(api, result.live.integrations, AuditLog(log), saved_plan=saved_plan)
        (outcome,) = applier.apply([change])
        lines = log.read_text().splitlines() if log.exists() else []
        return outcome, [json.loads(line) for line in lines]


def test_a_conflict_without_a_saved_plan_is_retried_and_names_what_it_reset(
    org: tuple[Cli, dict[str, str]],
) -> None:
    cli, ids = org
    edit_file(cli, "successTemplate: '{\"waiting\": ${waiting}}'", "successTemplate: '{}'")

    outcome, audit = run(
        cli, saved_plan=False, before_write=lambda a: colleague_sets_timeout(a, ids[QUEUE], 20)
    )
    assert outcome.ok, outcome.message
    assert "re-planned after a conflict; also reset timeoutSeconds" in outcome.message
    assert [(r["operation"], r["outcome"]) for r in audit] == [
        ("patch", "conflict"),
        ("patch", "ok"),
    ]
    live = fetch(cli, ids[QUEUE])
    assert live["config"]["timeoutSeconds"] == 10 and live["version"] == 3


def test_a_conflict_with_a_saved_plan_never_overwrites_the_colleague(
    org: tuple[Cli, dict[str, str]],
) -> None:
    cli, ids = org
    edit_file(cli, "successTemplate: '{\"waiting\": ${waiting}}'", "successTemplate: '{}'")
    outcome, audit = run(
        cli, saved_plan=True, before_write=lambda a: colleague_sets_timeout(a, ids[QUEUE], 20)
    )
    assert not outcome.ok
    assert "changed in the org since the plan was made (timeoutSeconds)" in outcome.message
    assert [(r["operation"], r["outcome"]) for r in audit] == [("patch", "conflict")]
    assert fetch(cli, ids[QUEUE])["config"]["timeoutSeconds"] == 20


def test_a_conflict_with_a_saved_plan_is_retried_when_only_the_version_moved(
    org: tuple[Cli, dict[str, str]],
) -> None:
    """A colleague saved the action unchanged between plan and write: the PATCH meets a
    stale version, the re-fetch shows what the plan saw, and the write is retried."""
    cli, ids = org
    edit_file(cli, "timeoutSeconds: 10", "timeoutSeconds: 5")
    outcome, audit = run(cli, saved_plan=True, before_write=lambda a: edit_in_org(a, ids[QUEUE]))
    assert outcome.ok, outcome.message
    assert f"updated {ids[QUEUE]} v2 -> v3 (timeoutSeconds)" in outcome.message
    assert [(r["operation"], r["outcome"]) for r in audit] == [
        ("patch", "conflict"),
        ("patch", "ok"),
    ]
    assert audit[0]["status"] == cli.sandbox.config.stale_version_status
    live = fetch(cli, ids[QUEUE])
    assert (live["config"]["timeoutSeconds"], live["version"]) == (5, 3)


def test_endless_conflicts_give_up(org: tuple[Cli, dict[str, str]]) -> None:
    """A colleague saves the action before every write: after 4 stale versions, apply
    stops and says so."""
    cli, ids = org
    edit_file(cli, "timeoutSeconds: 10", "timeoutSeconds: 5")
    outcome, audit = run(
        cli, saved_plan=False, before_write=lambda a: edit_in_org(a, ids[QUEUE]), times=10
    )
    assert not outcome.ok and outcome.message == "gave up after 4 attempts"
    assert [r["outcome"] for r in audit] == ["conflict"] * 4
    assert {r["status"] for r in audit} == {cli.sandbox.config.stale_version_status}
    assert fetch(cli, ids[QUEUE])["config"]["timeoutSeconds"] == 10


def test_someone_elses_draft_is_never_overwritten(org: tuple[Cli, dict[str, str]]) -> None:
    cli, ids = org
    edit_file(cli, "waiting: {type: integer}", "waiting: {type: number}")
    with cli.api() as client:
        ActionsApi(client).create_draft(ids[QUEUE])  # an admin started editing in the UI
    outcome, audit = run(cli, saved_plan=False)
    assert not outcome.ok
    assert (
        "has an unpublished draft that dactl did not make: someone may be editing it in the UI"
        in outcome.message
    )
    assert audit == []
    draft = fetch_draft(cli, ids[QUEUE])
    assert draft is not None
    schema = draft["contract"]["output"]["successSchema"]
    assert schema["properties"]["waiting"] == {"type": "integer"}


def test_a_draft_left_by_an_interrupted_run_is_published(org: tuple[Cli, dict[str, str]]) -> None:
    cli, ids = org
    edit_file(cli, "waiting: {type: integer}", "waiting: {type: number}")
    # Stage the interrupted run by hand: draft created and patched, never published.
    with cli.api() as client:
        api = ActionsApi(client)
        draft = api.create_draft(ids[QUEUE])
        body = {k: draft[k] for k in ("name", "category", "secure")}
        contract = api.get_draft(ids[QUEUE])
        assert contract is not None
        output = contract["contract"]["output"]["successSchema"]
        output["properties"]["waiting"] = {"type": "number"}
        full = api.get_draft_full(ids[QUEUE])
        assert full is not None
        config = full["config"]
        for part, uri in (("request", "requestTemplateUri"), ("response", "successTemplateUri")):
            config[part].pop(uri, None)
        api.patch_draft(
            ids[QUEUE],
            {
                **body,
                "config": config,
                "contract": {
                    "input": {"inputSchema": contract["contract"]["input"]["inputSchema"]},
                    "output": {"successSchema": output},
                },
                "version": draft["version"],
            },
        )
    outcome, audit = run(cli, saved_plan=False)
    assert outcome.ok, outcome.message
    assert [r["operation"] for r in audit] == ["draft.publish"]
    assert fetch_draft(cli, ids[QUEUE]) is None
    live = fetch(cli, ids[QUEUE])
    assert live["contract"]["output"]["successSchema"]["properties"]["waiting"] == {
        "type": "number"
    }


def test_a_publish_is_held_back_when_the_action_moved_while_drafting(
    org: tuple[Cli, dict[str, str]],
) -> None:
    """With a saved plan, a colleague's edit between draft and publish stops the publish
    (it would overwrite their change) and the draft is deleted again."""
    cli, ids = org
    edit_file(cli, "waiting: {type: integer}", "waiting: {type: number}")
    outcome, audit = run(
        cli,
        saved_plan=True,
        before_write=lambda a: colleague_sets_timeout(a, ids[QUEUE], 20),
        wrap="validate_draft",
    )
    assert not outcome.ok
    assert "changed in the org since the plan was made (timeoutSeconds)" in outcome.message
    assert [r["operation"] for r in audit] == ["draft.create", "draft.patch", "draft.delete"]
    assert fetch_draft(cli, ids[QUEUE]) is None
    assert fetch(cli, ids[QUEUE])["config"]["timeoutSeconds"] == 20


def test_the_audit_log_holds_paths_never_values(org: tuple[Cli, dict[str, str]]) -> None:
    cli, _ = org
    edit_file(cli, "request:\n", "request:\n  headers:\n    X-Api-Key: k-0123456789abcdef\n")
    outcome, audit = run(cli, saved_plan=False)
    assert outcome.ok, outcome.message
    (record,) = audit
    assert record["fields"] == ["request.headers.X-Api-Key"]
    assert "k-0123456789abcdef" not in (cli.cwd / "audit.jsonl").read_text()


def test_a_publish_that_does_not_take_is_reported(org: tuple[Cli, dict[str, str]]) -> None:
    """Nothing documents that publishing a draft applies a contract change; apply checks
    the published action and fails the change when the org kept its own contract."""
    cli, ids = org
    edit_file(cli, "waiting: {type: integer}", "waiting: {type: number}")

    def org_ignores_the_draft(api: ActionsApi) -> None:
        def publish_the_old_contract(action_id: str, version: int) -> dict[str, Any]:
            api.delete_draft(action_id)  # the org drops the change, as a stricter org might
            live = api.get_action(action_id, expand_contract=False, include_config=False)
            return {"version": int(live["version"]), "id": action_id}

        api.publish_draft = publish_the_old_contract  # type: ignore[method-assign]

    outcome, _ = run(
        cli, saved_plan=False, before_write=org_ignores_the_draft, wrap="validate_draft"
    )
    assert not outcome.ok
    assert f"published {ids[QUEUE]} v1, but the org kept its own" in outcome.message
    assert "contract.output.properties.waiting.type" in outcome.message


@pytest.mark.parametrize("saved_plan", [False, True], ids=["no-saved-plan", "saved-plan"])
def test_an_edit_between_the_last_check_and_the_publish_is_reported(
    org: tuple[Cli, dict[str, str]], saved_plan: bool
) -> None:
    """Publishing is not version-guarded: a colleague's edit that lands after the last
    check and before the publish is overwritten. The published version then moved by more
    than the publish, and apply says so; with a saved plan that fails the change."""
    cli, ids = org
    edit_file(cli, "waiting: {type: integer}", "waiting: {type: number}")
    outcome, audit = run(
        cli,
        saved_plan=saved_plan,
        before_write=lambda a: colleague_sets_timeout(a, ids[QUEUE], 20),
        wrap="publish_draft",
    )
    warning = "an edit made in the org while publishing (v2) was overwritten by the publish"
    assert warning in outcome.message
    assert outcome.ok is not saved_plan
    assert (outcome.version_before, outcome.version_after) == (1, 3)
    assert [r["operation"] for r in audit] == ["draft.create", "draft.patch", "draft.publish"]
    assert fetch(cli, ids[QUEUE])["config"]["timeoutSeconds"] == 10  # what the publish wrote


def test_an_edit_made_since_the_plan_to_an_action_being_deleted_is_named(
    org: tuple[Cli, dict[str, str]],
) -> None:
    """A DELETE carries no version: apply reads the version first, and names an edit made
    since the plan rather than deleting it unseen."""
    cli, ids = org
    (cli.cwd / "actions" / QUEUE_FILE).unlink()
    project = cli.cwd / "actions" / "dactl.yaml"
    project.write_text(project.read_text().replace("prune: false", "prune: true"))
    outcome, audit = run(
        cli,
        saved_plan=False,
        before_write=lambda a: colleague_sets_timeout(a, ids[QUEUE], 20),
        wrap="get_action",
    )
    assert outcome.ok, outcome.message
    assert outcome.message == (
        f"deleted {ids[QUEUE]} (edited in the org since the plan, v1 -> v2: "
        "timeoutSeconds; deleted with it)"
    )
    assert [r["operation"] for r in audit] == ["delete"]
