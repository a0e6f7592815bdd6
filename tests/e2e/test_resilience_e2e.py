"""``dactl plan`` under rate limits and server faults, against a real sandbox server."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.process import SandboxServer
from tests.e2e.conftest import Cli, requests_by_route, seed_actions

pytestmark = pytest.mark.e2e
LISTING = "GET /api/v2/integrations/actions"
GET_ONE = "GET /api/v2/integrations/actions/{actionId}"


def test_a_429_is_honoured_exactly_no_request_before_retry_after(workdir: Path) -> None:
    with SandboxServer(SandboxConfig(rate_limit=300)) as sandbox:
        cli = Cli(sandbox, workdir)
        seed_actions(cli, workdir / "actions")
        sandbox.inject_fault(
            method="GET", path=r"^/api/v2/integrations/actions$", count=1, status=429, retry_after=2
        )
        start = len(sandbox.requests())
        result = cli.run("plan", "actions", "--detailed-exitcode")
        assert result.returncode == 0, result.stdout + result.stderr
        log = sandbox.requests()[start:]
    listings = [r for r in log if r["request"] == LISTING]
    assert len(listings) == 2, "the 429 and its one retry"
    limited_at = listings[0]["at"]
    after = log[log.index(listings[0]) + 1 :]
    assert after, "the plan went on after the 429"
    assert min(r["at"] for r in after) >= limited_at + 2.0


def test_a_5xx_burst_is_retried(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    cli.sandbox.inject_fault(
        method="GET", path=r"^/api/v2/integrations/actions/custom_-_[^/]+$", count=3, status=503
    )
    before = cli.sandbox.stats()
    result = cli.run("plan", "actions", "--detailed-exitcode", "--refresh")
    assert result.returncode == 0, result.stdout + result.stderr
    made = requests_by_route(before, cli.sandbox.stats())
    assert made[GET_ONE] == 10 + 3


def test_a_400_is_not_retried(cli: Cli) -> None:
    cli.sandbox.inject_fault(
        method="GET", path=r"^/api/v2/integrations/actions$", count=1, status=400
    )
    before = cli.sandbox.stats()
    result = cli.run("plan", "actions")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: HTTP 400") and result.stderr.count("\n") == 1
    assert requests_by_route(before, cli.sandbox.stats())[LISTING] == 1
