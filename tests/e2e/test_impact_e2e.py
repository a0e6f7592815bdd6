"""Impact analysis end to end: the real CLI against a real sandbox whose flows consume
actions (``/sandbox/flows``); requests counted by the sandbox itself."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from reconciler.sandbox.config import SandboxConfig
from tests.e2e.conftest import (
    Cli,
    create_in_org,
    edit,
    requests_by_route,
    seed_actions,
    writes,
)

pytestmark = pytest.mark.e2e

QUEUE = "Get Queue Waiting Count"
QUEUE_FILE = "get-queue-waiting-count.yaml"
CONSUMERS = "GET /api/v2/architect/dependencytracking/consumingresources"
BUILD = "GET /api/v2/architect/dependencytracking/build"
FLOWS = ("Inbound Main (inboundcallflow, v12)", "Support Chat (inboundchatflow, v3)")


def add_flow(cli: Cli, name: str, *ids: str, **extra: Any) -> None:
    body = {"name": name, "consumes": list(ids), **extra}
    response = httpx.post(f"{cli.sandbox.base_url}/sandbox/flows", json=body)
    assert response.status_code == 200, response.text


def two_flows(cli: Cli) -> dict[str, str]:
    ids = seed_actions(cli, cli.cwd / "actions")
    add_flow(cli, "Inbound Main", ids[QUEUE], type="INBOUNDCALLFLOW", version="12.0")
    add_flow(cli, "Support Chat", ids[QUEUE], type="INBOUNDCHATFLOW", version="3.0")
    return ids


def costs(cli: Cli, before: dict[str, Any]) -> dict[str, int]:
    found = requests_by_route(before, cli.sandbox.stats())
    return {route: found.get(route, 0) for route in (CONSUMERS, BUILD)}


def test_a_replace_shows_both_flows_and_apply_refuses_until_allowed(cli: Cli) -> None:
    ids = two_flows(cli)
    edit(
        cli, QUEUE_FILE, "waiting: {type: integer}", "waiting: {type: string}"
    )  # a contract change
    before = cli.sandbox.stats()
    text = cli.run("plan", "actions", "--no-color")
    assert text.returncode == 0, text.stdout + text.stderr
    assert costs(cli, before) == {CONSUMERS: 1, BUILD: 1}
    assert f"used by 2 flows: {FLOWS[0]}, {FLOWS[1]} [replace, contract change]" in text.stdout
    assert "; 2 flows affected." in text.stdout
    markdown = cli.run("plan", "actions", "--format", "markdown").stdout
    assert f"**{QUEUE}** (replace, contract change): used by 2 flows: {FLOWS[0]}, {FLOWS[1]}" in (
        markdown
    )
    body = json.loads(cli.run("plan", "actions", "--format", "json").stdout)
    (change,) = body["changes"]
    assert [c["name"] for c in change["usage"]["consumers"]] == ["Inbound Main", "Support Chat"]
    assert body["affected_flows"] == 2 and body["dependency_build"]["status"] == "OPERATIONAL"

    before = cli.sandbox.stats()
    refused = cli.run("apply", "actions", "--auto-approve", "--allow-replace")
    assert refused.returncode == 1
    assert "Inbound Main (inboundcallflow, v12)" in refused.stderr
    assert "--allow-in-use" in refused.stderr
    assert writes(before, cli.sandbox.stats()) == {}

    applied = cli.run("apply", "actions", "--auto-approve", "--allow-replace", "--allow-in-use")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Flows to repoint from the old id to the new one, then republish:" in applied.stdout
    repoint = next(line for line in applied.stdout.splitlines() if line.startswith(f"  '{QUEUE}'"))
    assert ids[QUEUE] in repoint and FLOWS[0] in repoint and FLOWS[1] in repoint
    audit = [
        json.loads(line) for line in (cli.cwd / ".dactl" / "audit.jsonl").read_text().splitlines()
    ]
    delete = next(r for r in audit if r["operation"] == "delete")
    assert delete["consumers"] == list(FLOWS)


def test_a_timeout_decrease_asks_and_an_increase_does_not(cli: Cli) -> None:
    two_flows(cli)
    before = cli.sandbox.stats()
    unchanged = cli.run("plan", "actions", "--detailed-exitcode")
    assert unchanged.returncode == 0 and costs(cli, before) == {CONSUMERS: 0, BUILD: 0}
    edit(cli, QUEUE_FILE, "timeoutSeconds: 10", "timeoutSeconds: 12")
    before = cli.sandbox.stats()
    up = cli.run("plan", "actions", "--no-color")
    assert "used by" not in up.stdout and costs(cli, before) == {CONSUMERS: 0, BUILD: 0}
    edit(cli, QUEUE_FILE, "timeoutSeconds: 12", "timeoutSeconds: 4")
    before = cli.sandbox.stats()
    down = cli.run("plan", "actions", "--no-color")
    assert f"used by 2 flows: {FLOWS[0]}, {FLOWS[1]} [timeout decrease]" in down.stdout
    assert costs(cli, before) == {CONSUMERS: 1, BUILD: 1}


@pytest.mark.parametrize(
    "sandbox", [SandboxConfig(dependency_build_status="OPERATIONALNEEDSREBUILD")], indirect=True
)
def test_a_stale_dependency_build_is_stated_in_the_plan(cli: Cli) -> None:
    two_flows(cli)
    edit(cli, QUEUE_FILE, "timeoutSeconds: 10", "timeoutSeconds: 2")
    text = cli.run("plan", "actions", "--no-color").stdout
    assert "Warning: Architect dependency tracking is stale" in text
    markdown = cli.run("plan", "actions", "--format", "markdown").stdout
    assert "> [!WARNING]\n> Architect dependency tracking is stale" in markdown


def test_usages_lists_the_consumers_in_every_format(cli: Cli) -> None:
    ids = two_flows(cli)
    text = cli.run("usages", QUEUE, "actions")
    assert text.returncode == 0, text.stdout + text.stderr
    assert f"'{QUEUE}'  {ids[QUEUE]} v1 (DATAACTION)" in text.stdout
    assert f"  {FLOWS[0]}  " in text.stdout and f"'{QUEUE}' is used by 2 flows." in text.stdout
    assert f"- {FLOWS[1]}" in cli.run("usages", QUEUE, "actions", "--format", "markdown").stdout
    body = json.loads(cli.run("usages", QUEUE, "actions", "--format", "json").stdout)
    assert [c["name"] for c in body["actions"][0]["consumers"]] == ["Inbound Main", "Support Chat"]
    missing = cli.run("usages", "No Such Action", "actions")
    assert missing.returncode == 1 and "no live action named 'No Such Action'" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_drift_lists_unmanaged_actions_that_flows_use_first(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    quiet = create_in_org(cli, "A Quiet One")
    used = create_in_org(cli, "Z Used One")
    add_flow(cli, "Inbound Main", used, version="12.0")
    drift = cli.run("drift", "actions", "--no-color")
    assert drift.returncode == 2, drift.stdout + drift.stderr
    lines = drift.stdout.splitlines()
    order = [line for line in lines if line.startswith("? unmanaged")]
    assert [("Z Used One" in o, "A Quiet One" in o) for o in order] == [
        (True, False),
        (False, True),
    ]
    assert "      used by 1 flow: Inbound Main (inboundcallflow, v12)" in lines
    assert "      used by no flow" in lines
    body = json.loads(cli.run("drift", "actions", "--format", "json").stdout)
    by_id = {a["id"]: a for a in body["actions"]}
    assert by_id[used]["usage"]["consumers"][0]["name"] == "Inbound Main"
    assert by_id[quiet]["usage"]["consumers"] == []
