"""Deletes against an org whose reads lag behind (``--delete-delay-ms``), and a create whose
answer is a 408: apply reports what the org will show next, not what it hopes.

The Terraform provider polls GET after DELETE until 404 for up to 30 s (genesys-api.md §10);
how long real Genesys keeps reading a deleted action is unknown, so the sandbox emulates a
lag and dactl is checked against it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply import Applier, Outcome
from reconciler.audit import AuditLog
from reconciler.errors import ApiError
from reconciler.genesys import ActionsApi
from reconciler.orchestrator import Orchestrator
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.process import SandboxServer
from tests.e2e.conftest import Cli, create_in_org, seed_actions

pytestmark = pytest.mark.e2e

QUEUE = "Get Queue Waiting Count"
QUEUE_FILE = "get-queue-waiting-count.yaml"
LAG = pytest.param(SandboxConfig(delete_delay_ms=1500), id="delete-delay-1500ms")


def turn_prune_on(cli: Cli) -> None:
    project = cli.cwd / "actions" / "dactl.yaml"
    text = project.read_text(encoding="utf-8")
    assert "prune: false" in text
    project.write_text(text.replace("prune: false", "prune: true"), encoding="utf-8")


@pytest.mark.parametrize("sandbox", [LAG], indirect=True)
def test_a_plan_right_after_a_pruning_apply_shows_no_change(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    turn_prune_on(cli)
    (cli.cwd / "actions" / QUEUE_FILE).unlink()

    applied = cli.run("apply", "actions", "--prune", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert f"- delete '{QUEUE}': deleted {ids[QUEUE]}" in applied.stdout
    planned = cli.run("plan", "actions", "--detailed-exitcode")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "No changes." in planned.stdout

    # The control: this org really lags, a deleted action still reads right after.
    probe = create_in_org(cli, "Probe")
    with cli.api() as client:
        api = ActionsApi(client)
        api.delete_action(probe)
        assert api.get_action(probe)["id"] == probe


@pytest.mark.parametrize("sandbox", [LAG], indirect=True)
def test_apply_polls_until_the_deleted_action_reads_404(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    (cli.cwd / "actions" / QUEUE_FILE).unlink()
    applied = cli.run("apply", "actions", "--prune", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    one = f"/api/v2/integrations/actions/{ids[QUEUE]}"
    log = [r for r in cli.sandbox.requests() if r["path"] == one]
    (deleted_at,) = [r["at"] for r in log if r["request"].startswith("DELETE ")]
    polls = [r["at"] for r in log if r["request"].startswith("GET ") and r["at"] >= deleted_at]
    assert len(polls) >= 2  # at least one that still read, and the 404
    assert polls[-1] - deleted_at >= 1.5


# -- in process: the bound shortened, a 408 staged at an exact point ----------------------


@pytest.fixture
def org(
    request: pytest.FixtureRequest, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Cli, dict[str, str]]]:
    config: SandboxConfig = getattr(request, "param", SandboxConfig())
    with SandboxServer(config) as server:
        cli = Cli(server, workdir)
        for key, value in cli.env().items():
            if key.startswith("GENESYSCLOUD_"):
                monkeypatch.setenv(key, value)
        yield cli, seed_actions(cli, workdir / "actions")


def apply_the_one_change(
    cli: Cli, *, prune: bool, wrap: Callable[[ActionsApi], None] | None = None
) -> tuple[Outcome, list[dict[str, Any]]]:
    orchestrator = Orchestrator(cli.cwd / "actions", cache_dir=None)
    report = orchestrator.validate()
    log = cli.cwd / "audit.jsonl"
    with orchestrator.session(report) as (api, org):
        result = orchestrator._plan_in(api, org, report, targets=None, prune=prune)
        (change,) = result.plan.changes
        if wrap is not None:
            wrap(api)
        applier = Applier(api, result.live.integrations, AuditLog(log), saved_plan=False)
        (outcome,) = applier.apply([change])
    lines = log.read_text().splitlines() if log.exists() else []
    return outcome, [json.loads(line) for line in lines]


@pytest.mark.parametrize(
    "org",
    [pytest.param(SandboxConfig(delete_delay_ms=60_000), id="delete-delay-60s")],
    indirect=True,
)
def test_a_delete_the_org_still_shows_after_the_bound_is_reported(
    org: tuple[Cli, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli, ids = org
    monkeypatch.setattr("reconciler.genesys.actions.DELETE_WAIT_SECONDS", 0.6)
    (cli.cwd / "actions" / QUEUE_FILE).unlink()
    outcome, audit = apply_the_one_change(cli, prune=True)
    assert not outcome.ok
    assert outcome.message == (
        f"the DELETE of {ids[QUEUE]} was accepted (204), but the org still returns the action "
        "0.6 s later; run plan again later to see whether it is gone"
    )
    assert [(r["operation"], r["outcome"]) for r in audit] == [("delete", "ok")]


def test_a_create_answered_with_408_is_looked_up_before_it_is_sent_again(
    org: tuple[Cli, dict[str, str]],
) -> None:
    """A 408 leaves the outcome unknown, like a lost answer: the create may have been done
    (here it was), so apply looks the action up by name instead of creating a second one."""
    cli, ids = org
    with cli.api() as client:
        ActionsApi(client).delete_action(ids[QUEUE])  # the file's action is missing now

    def create_then_time_out(api: ActionsApi) -> None:
        original = api.create_action

        def created_then_timed_out(body: Any) -> dict[str, Any]:
            original(body)
            raise ApiError("POST /api/v2/integrations/actions: timed out", status=408)

        api.create_action = created_then_timed_out  # type: ignore[method-assign]

    outcome, audit = apply_the_one_change(cli, prune=False, wrap=create_then_time_out)
    assert outcome.ok, outcome.message
    assert "(the response was lost; read back)" in outcome.message
    assert [(r["operation"], r["outcome"]) for r in audit] == [("create", "applied")]
    with cli.api() as client:
        named = [a for a in ActionsApi(client).iter_actions() if a["name"] == QUEUE]
    assert len(named) == 1
