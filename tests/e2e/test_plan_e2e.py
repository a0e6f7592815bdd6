"""``dactl plan`` end to end: the real CLI against a real sandbox server."""

from __future__ import annotations

import json
import math
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.genesys import ActionsApi
from tests.e2e.conftest import Cli, edit_in_org, requests_by_route, seed_actions

pytestmark = pytest.mark.e2e


def test_empty_org_plans_every_action_as_create(cli: Cli) -> None:
    result = cli.run("plan", "actions", "--detailed-exitcode")
    assert result.returncode == 2, result.stderr
    assert "Plan: 10 to create, 0 to update, 0 to replace, 0 to delete." in result.stdout


def test_seeded_org_has_no_changes_then_a_timeout_edit_is_exactly_one_field(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    result = cli.run("plan", "actions", "--detailed-exitcode")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes." in result.stdout

    path = cli.cwd / "actions" / "get-queue-waiting-count.yaml"
    path.write_text(path.read_text().replace("timeoutSeconds: 10", "timeoutSeconds: 5"))
    result = cli.run("plan", "actions", "--detailed-exitcode", "--format", "json")
    assert result.returncode == 2, result.stderr
    body = json.loads(result.stdout)
    (change,) = body["changes"]
    assert change["name"] == "Get Queue Waiting Count" and change["actions"] == ["update"]
    assert [(f["path"], f["before"], f["after"]) for f in change["fields"]] == [
        (["timeoutSeconds"], 10, 5)
    ]
    text = cli.run("plan", "actions").stdout
    assert "timeoutSeconds: 10 → 5" in text
    assert "Plan: 0 to create, 1 to update (1 timeout change)" in text


def test_an_edit_made_in_the_org_shows_as_drift(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    action_id = ids["Lookup Customer By Phone"]
    with cli.api() as client:
        edit_in_org(ActionsApi(client), action_id, timeoutSeconds=9, headers={"X-Debug": "1"})
    result = cli.run("plan", "actions", "--detailed-exitcode", "--format", "markdown")
    assert result.returncode == 2
    assert "**Plan: 0 to create, 1 to update (1 timeout change)" in result.stdout
    assert "`timeoutSeconds: 9 → 4`" in result.stdout
    assert "`request.headers.X-Debug`" in result.stdout


@pytest.mark.parametrize(("immutable", "kind"), [(False, "update"), (True, "replace")])
def test_a_contract_change_is_a_draft_update_or_where_the_org_refuses_it_a_replace(
    cli: Cli, immutable: bool, kind: str
) -> None:
    seed_actions(cli, cli.cwd / "actions")
    project = cli.cwd / "actions" / "dactl.yaml"
    project.write_text(project.read_text() + f"immutableContracts: {str(immutable).lower()}\n")
    path = cli.cwd / "actions" / "get-queue-waiting-count.yaml"
    text = path.read_text()
    edited = text.replace("waiting: {type: integer}", "waiting: {type: number}")
    assert edited != text
    path.write_text(edited)
    result = cli.run("plan", "actions", "--detailed-exitcode", "--format", "json")
    assert result.returncode == 2, result.stderr
    (change,) = json.loads(result.stdout)["changes"]
    assert change["kind"] == kind
    assert [f["path"] for f in change["fields"]] == [
        ["contract", "output", "properties", "waiting", "type"]
    ]
    if immutable:
        assert change["actions"] == ["delete", "create"]
        assert change["reason"] == "the org refuses contract changes"
    else:
        assert change["draft"] is True


def test_a_plan_over_the_safety_thresholds_is_flagged(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    files = sorted((cli.cwd / "actions").glob("*.yaml"))
    edited = 0
    for path in files:
        text = path.read_text()
        if path.name != "dactl.yaml" and "\ntimeoutSeconds: " in text:
            path.write_text(re.sub(r"\ntimeoutSeconds: \d+", "\ntimeoutSeconds: 29", text))
            edited += 1
        if edited == 4:  # 4 of the 10 actions: 40% is over maxUpdatePercent 30
            break
    assert edited == 4
    result = cli.run("plan", "actions", "--format", "json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["counts"]["update"] == 4 and body["existing"] == 10
    assert body["safety"]["ok"] is False
    text = cli.run("plan", "actions").stdout
    assert "update 4 of 10 existing actions (40%), over maxUpdatePercent 30" in text


def test_saved_plan_file(cli: Cli) -> None:
    out = cli.cwd / "plan.json"
    result = cli.run("plan", "actions", "--out", str(out))
    assert result.returncode == 0
    body = json.loads(out.read_text())
    assert body["format_version"] == 1 and body["desired_hash"].startswith("sha256:")
    assert body["counts"]["create"] == 10


@pytest.mark.parametrize(
    ("env", "pattern"),
    [
        (
            {"GENESYSCLOUD_OAUTHCLIENT_SECRET": "wrong"},
            r"^Error: .*(bad\.credentials|authentication)",
        ),
        (
            {"GENESYSCLOUD_API_URL": "", "GENESYSCLOUD_REGION": "mars-north-1"},
            r"^Error: .*(unknown region|mars-north-1)",
        ),
        ({"GENESYSCLOUD_API_URL": "http://127.0.0.1:9"}, r"^Error: .*(cannot reach|connect)"),
        ({"GENESYSCLOUD_API_URL": "http://api.example.com"}, r"^Error: .*(http|plain)"),
    ],
    ids=["wrong-secret", "unknown-region", "unreachable", "plain-http"],
)
def test_connection_errors_are_one_line_exit_1(cli: Cli, env: dict[str, str], pattern: str) -> None:
    result = cli.run("plan", "actions", **env)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert re.search(pattern, lines[0], re.IGNORECASE), lines[0]
    assert "Traceback" not in result.stderr
    assert "wrong" not in result.stderr and "dactl-sandbox-secret" not in result.stderr


def test_invalid_tree_is_reported_before_any_request(cli: Cli) -> None:
    path = cli.cwd / "actions" / "get-user-presence.yaml"
    path.write_text(path.read_text().replace("timeoutSeconds: 5", "timeoutSeconds: 500"))
    before = cli.sandbox.stats()
    result = cli.run("plan", "actions")
    assert result.returncode == 1
    assert "get-user-presence.yaml:4:17: timeoutSeconds: 500 is greater than" in result.stderr
    assert requests_by_route(before, cli.sandbox.stats()) == {}


def test_request_cost_cold_and_warm_with_many_actions(cli: Cli, tmp_path: Path) -> None:
    """Cold: one listing round + 3 per action (+ integrations, + org, + token). Warm: listing
    only (the org's name is cached with the live actions)."""
    count = 260
    tree = tmp_path / "many"
    tree.mkdir()
    template = (cli.cwd / "actions" / "get-queue-waiting-count.yaml").read_text()
    (tree / "_templates").mkdir()
    (tree / "_templates" / "genesys-get.yaml").write_text(
        (cli.cwd / "actions" / "_templates" / "genesys-get.yaml").read_text()
    )
    for i in range(count):
        (tree / f"a{i:03d}.yaml").write_text(
            template.replace("Get Queue Waiting Count", f"Action {i:03d}")
        )
    seed_actions(cli, tree)
    pages = math.ceil(count / 100)

    before = cli.sandbox.stats()
    result = cli.run("plan", str(tree), "--detailed-exitcode")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    cold = requests_by_route(before, cli.sandbox.stats())
    assert cold.get("POST /oauth/token") == 1
    assert cold.get("GET /api/v2/integrations/actions") == pages
    assert cold.get("GET /api/v2/integrations") == 1
    # The org's name (for the plan header and the apply prompt) costs one request, cold only.
    assert cold.get("GET /api/v2/organizations/me") == 1
    assert sum(cold.values()) <= pages + 3 * count + 1 + 1 + 1, cold

    before = cli.sandbox.stats()
    result = cli.run("plan", str(tree), "--detailed-exitcode")
    assert result.returncode == 0
    warm = requests_by_route(before, cli.sandbox.stats())
    assert warm == {"POST /oauth/token": 1, "GET /api/v2/integrations/actions": pages}, warm


def test_progress_bar_only_when_stderr_is_a_tty(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    quiet = cli.run("plan", "actions", "--refresh")
    assert quiet.returncode == 0 and quiet.stderr == ""

    master, slave = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "reconciler", "plan", "actions", "--refresh"],
            cwd=cli.cwd,
            env=cli.env(),
            stdout=subprocess.PIPE,
            stderr=slave,
            timeout=120,
            check=False,
        )
        os.close(slave)
        slave = -1
        chunks = []
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if slave != -1:
            os.close(slave)
        os.close(master)
    assert proc.returncode == 0
    tty_err = b"".join(chunks).decode(errors="replace")
    assert "Fetching live actions" in tty_err
    assert "Fetching" not in proc.stdout.decode()


def test_an_unwritable_cache_is_no_error(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    (cli.cwd / ".dactl").write_text("a file where the cache directory would be")
    result = cli.run("plan", "actions", "--detailed-exitcode")
    assert result.returncode == 0, result.stderr
    assert "No changes." in result.stdout and "Traceback" not in result.stderr
