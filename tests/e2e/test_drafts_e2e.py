"""Own drafts are never orphans (DESIGN rule 9), through the real CLI against a real sandbox.

dactl records each draft before creating it, so a lost answer, a killed dactl or a killed
sandbox between draft and publish leaves a draft the next apply resumes or discards, with
no manual step; a draft nobody recorded (someone editing in the UI) is never touched
without ``--take-over-drafts``.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from reconciler.genesys import ActionsApi
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.process import SandboxProcess
from tests.e2e.conftest import Cli, seed_actions

pytestmark = pytest.mark.e2e

QUEUE = "Get Queue Waiting Count"
QUEUE_FILE = "get-queue-waiting-count.yaml"
MUTABLE = SandboxConfig(mutable_contracts=True)
VALIDATION = r"/draft/validation$"


def allow_contract_changes(root: Path) -> None:
    project = root / "actions" / "dactl.yaml"
    project.write_text(project.read_text() + "immutableContracts: false\n")


def change_contract(root: Path) -> None:
    path = root / "actions" / QUEUE_FILE
    text = path.read_text()
    assert "waiting: {type: integer}" in text
    path.write_text(text.replace("waiting: {type: integer}", "waiting: {type: number}"))


def drafts_in_org(cli: Cli) -> list[dict[str, Any]]:
    with cli.api() as client:
        listing = client.get_json("/api/v2/integrations/actions/drafts", params={"pageSize": 100})
    return list(listing["entities"])


def audit(cli: Cli) -> list[dict[str, Any]]:
    path = cli.cwd / ".dactl" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def records(cli: Cli) -> dict[str, Any]:
    path = cli.cwd / ".dactl" / "drafts.json"
    return json.loads(path.read_text())["orgs"] if path.exists() else {}


def contract_of(cli: Cli, action_id: str) -> dict[str, Any]:
    with cli.api() as client:
        live = ActionsApi(client).get_action_full(action_id)
    return dict(live["contract"]["output"]["successSchema"]["properties"]["waiting"])


@pytest.fixture
def drafting(cli: Cli) -> Iterator[tuple[Cli, dict[str, str]]]:
    """An org that takes contract changes through drafts, a project that says so, and a
    contract change planned."""
    ids = seed_actions(cli, cli.cwd / "actions")
    allow_contract_changes(cli.cwd)
    change_contract(cli.cwd)
    yield cli, ids


def start_apply(cli: Cli) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", "actions", "--auto-approve"],
        cwd=cli.cwd,
        env=cli.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_request(sandbox: Any, pattern: str, timeout: float = 30) -> None:
    """Until the sandbox has received a request whose path ends like ``pattern``."""
    deadline = time.monotonic() + timeout
    while not any(r["path"].endswith(pattern) for r in sandbox.requests()):
        assert time.monotonic() < deadline, f"no request to {pattern}"
        time.sleep(0.05)


@pytest.mark.parametrize("sandbox", [MUTABLE], indirect=True)
def test_a_lost_draft_create_answer_is_found_not_sent_twice(
    drafting: tuple[Cli, dict[str, str]],
) -> None:
    cli, ids = drafting
    cli.sandbox.inject_fault(path=r"/draft$", method="POST", drop_after_write=True)
    result = cli.run("apply", "actions", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [(r["operation"], r["outcome"]) for r in audit(cli)] == [
        ("draft.create", "applied"),
        ("draft.patch", "ok"),
        ("draft.publish", "ok"),
    ]
    assert drafts_in_org(cli) == [] and records(cli) == {}
    assert contract_of(cli, ids[QUEUE]) == {"type": "number"}


@pytest.mark.parametrize("sandbox", [MUTABLE], indirect=True)
@pytest.mark.parametrize(
    ("path", "operation"), [(r"/draft$", "draft.patch"), (r"/draft/publish$", "draft.publish")]
)
def test_a_lost_draft_patch_or_publish_answer_is_read_back_as_applied(
    drafting: tuple[Cli, dict[str, str]], path: str, operation: str
) -> None:
    cli, ids = drafting
    method = "PATCH" if operation == "draft.patch" else "POST"
    cli.sandbox.inject_fault(path=path, method=method, drop_after_write=True)
    result = cli.run("apply", "actions", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    outcomes = {r["operation"]: r["outcome"] for r in audit(cli)}
    assert outcomes[operation] == "applied", audit(cli)
    assert "FAILED" not in result.stdout
    assert drafts_in_org(cli) == [] and records(cli) == {}
    assert contract_of(cli, ids[QUEUE]) == {"type": "number"}
    assert cli.run("plan", "actions", "--detailed-exitcode").returncode == 0


@pytest.mark.parametrize("sandbox", [MUTABLE], indirect=True)
def test_a_failed_publish_discards_its_draft_and_the_next_apply_converges(
    drafting: tuple[Cli, dict[str, str]],
) -> None:
    cli, _ = drafting
    cli.sandbox.inject_fault(path=r"/draft/publish$", method="POST", status=400)
    failed = cli.run("apply", "actions", "--auto-approve")
    assert failed.returncode == 1
    assert drafts_in_org(cli) == [] and records(cli) == {}
    assert cli.run("apply", "actions", "--auto-approve").returncode == 0
    assert cli.run("plan", "actions", "--detailed-exitcode").returncode == 0


@pytest.mark.parametrize("sandbox", [MUTABLE], indirect=True)
def test_a_killed_apply_leaves_a_draft_the_next_apply_resumes(
    drafting: tuple[Cli, dict[str, str]],
) -> None:
    """kill -9 of dactl between draft and publish: the draft stays in the org, and its
    record in .dactl/drafts.json; the next apply resumes it and publishes."""
    cli, ids = drafting
    cli.sandbox.inject_fault(path=VALIDATION, method="GET", delay_ms=20_000)
    proc = start_apply(cli)
    try:
        wait_for_request(cli.sandbox, "/draft/validation")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert [d["id"] for d in drafts_in_org(cli)] == [ids[QUEUE]]
    assert next(iter(records(cli).values()))[ids[QUEUE]]["name"] == QUEUE
    cli.sandbox.clear_faults()
    result = cli.run("apply", "actions", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "resumed a draft dactl had left" in result.stdout
    assert drafts_in_org(cli) == [] and records(cli) == {}
    assert contract_of(cli, ids[QUEUE]) == {"type": "number"}
    assert cli.run("plan", "actions", "--detailed-exitcode").returncode == 0


def test_a_killed_sandbox_between_draft_and_publish_converges_after_restart(
    workdir: Path, tmp_path: Path
) -> None:
    """kill -9 of the sandbox (with --state) while dactl waits between draft and publish;
    the sandbox restarts from its state on the same address, and a re-apply converges."""
    state = tmp_path / "org.json"
    with SandboxProcess("--state", str(state), "--mutable-contracts") as first:
        cli = Cli(first, workdir)  # type: ignore[arg-type]
        ids = seed_actions(cli, workdir / "actions")
        allow_contract_changes(workdir)
        change_contract(workdir)
        first.inject_fault(path=VALIDATION, method="GET", delay_ms=20_000)
        proc = start_apply(cli)
        wait_for_request(first, "/draft/validation")
        first.kill()
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 1, out + err
        assert "Traceback" not in err
    port = str(urlsplit(first.base_url).port)
    with SandboxProcess("--state", str(state), "--port", port, "--mutable-contracts") as again:
        assert again.base_url == first.base_url
        cli = Cli(again, workdir)  # type: ignore[arg-type]
        assert [d["id"] for d in drafts_in_org(cli)] == [ids[QUEUE]]
        result = cli.run("apply", "actions", "--auto-approve")
        assert result.returncode == 0, result.stdout + result.stderr
        assert drafts_in_org(cli) == [] and records(cli) == {}
        assert contract_of(cli, ids[QUEUE]) == {"type": "number"}
        assert cli.run("plan", "actions", "--detailed-exitcode").returncode == 0


@pytest.mark.parametrize("sandbox", [MUTABLE], indirect=True)
def test_someone_elses_draft_is_refused_unless_taken_over(
    drafting: tuple[Cli, dict[str, str]],
) -> None:
    cli, ids = drafting
    with cli.api() as client:  # a colleague starts a draft in the UI and renames it there
        api = ActionsApi(client)
        draft = api.create_draft(ids[QUEUE])
        api.patch_draft(ids[QUEUE], {"name": "Their Draft", "version": draft["version"]})
    refused = cli.run("apply", "actions", "--auto-approve")
    assert refused.returncode == 1
    assert "has an unpublished draft that dactl did not make" in refused.stdout
    assert "--take-over-drafts" in refused.stdout
    assert [d["name"] for d in drafts_in_org(cli)] == ["Their Draft"]  # untouched
    taken = cli.run("apply", "actions", "--auto-approve", "--take-over-drafts")
    assert taken.returncode == 0, taken.stdout + taken.stderr
    assert ("draft.delete", "taken over") in [(r["operation"], r.get("reason")) for r in audit(cli)]
    assert drafts_in_org(cli) == [] and contract_of(cli, ids[QUEUE]) == {"type": "number"}


@pytest.mark.parametrize("sandbox", [MUTABLE], indirect=True)
def test_a_draft_left_for_a_change_that_is_gone_is_discarded_by_the_next_apply(
    drafting: tuple[Cli, dict[str, str]],
) -> None:
    """The file is reverted after a killed apply: the plan is empty, but apply still
    discards the draft it left, and says so."""
    cli, ids = drafting
    cli.sandbox.inject_fault(path=VALIDATION, method="GET", delay_ms=20_000)
    proc = start_apply(cli)
    try:
        wait_for_request(cli.sandbox, "/draft/validation")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    cli.sandbox.clear_faults()
    path = cli.cwd / "actions" / QUEUE_FILE
    path.write_text(path.read_text().replace("waiting: {type: number}", "waiting: {type: integer}"))
    result = cli.run("apply", "actions", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "discarded the draft an earlier run left" in result.stdout + result.stderr
    assert drafts_in_org(cli) == [] and records(cli) == {}
    assert contract_of(cli, ids[QUEUE]) == {"type": "integer"}
