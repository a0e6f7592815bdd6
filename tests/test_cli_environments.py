"""``--env NAME`` and ``DACTL_ENV`` on the command line, in this process against the
in-memory org: every command that talks to an org takes them, plans and drift reports name
the environment, and a saved plan is applied to its own environment only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler import orchestrator as orchestrator_module
from reconciler.cli import main
from tests.fakes.org import API_URL
from tests.fakes.project import WEB, World, action

THING = "Get Thing"
ENVIRONMENTS = {
    "dev": {"apiUrl": API_URL, "variables": {"host": "dev.example.com"}},
    "test": {"apiUrl": API_URL, "variables": {"host": "test.example.com"}},
}


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def world(tmp_path: Path, org_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    made = World(tmp_path, environments=ENVIRONMENTS)
    body: dict[str, Any] = action(THING, integration=WEB)
    body["request"]["requestUrlTemplate"] = "https://{{ var.host }}/things/${input.q}"
    made.write(body)
    monkeypatch.setattr(orchestrator_module, "connect_genesys", made.org.connect)
    monkeypatch.delenv("DACTL_ENV", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)
    yield made


def test_validate_every_environment_or_one(world: World) -> None:
    every = run("validate", "actions")
    assert every.exit_code == 0
    assert every.stdout == "OK: 1 action valid in every environment (dev, test).\n"
    one = run("validate", "actions", "--env", "test")
    assert one.stdout == "OK: 1 action valid in environment test.\n"
    as_json = json.loads(run("validate", "actions", "--format", "json").stdout)
    assert as_json["environments"] == ["dev", "test"]
    unknown = run("validate", "actions", "--env", "qa")
    assert unknown.exit_code == 1
    assert unknown.stderr == (
        "Error: unknown environment 'qa' (from --env); actions/dactl.yaml declares dev, test\n"
    )


def test_plan_apply_and_drift_in_an_environment(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = run("plan", "actions")
    assert refused.exit_code == 1
    assert "declares environments (dev, test): choose one with --env NAME" in refused.stderr
    planned = run("plan", "actions", "--env", "dev")
    assert planned.exit_code == 0, planned.output
    assert planned.stdout.startswith("Environment: dev\nOrg: dactl sandbox (api.fake.test)\n")
    monkeypatch.setenv("DACTL_ENV", "dev")
    as_json = json.loads(run("plan", "actions", "--format", "json").stdout)
    assert as_json["environment"] == "dev"
    markdown = run("plan", "actions", "--format", "markdown").stdout
    assert "Environment: **dev** · Org: **dactl sandbox**" in markdown
    applied = run("apply", "actions", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    drift = run("drift", "actions", "--env", "test", "--format", "json")
    assert drift.exit_code == 2  # test's host is not what the org holds
    assert json.loads(drift.stdout)["environment"] == "test"
    export = run("export", "--out", "actions", "--force", "--env", "dev")
    assert export.exit_code == 0, export.output
    assert "0 new, 0 updated, 1 unchanged" in export.stdout


def test_a_saved_plan_goes_to_its_own_environment(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = run("plan", "actions", "--env", "dev", "--out", "plan.json")
    assert saved.exit_code == 0
    refused = run("apply", "plan.json", "--env", "test")
    assert refused.exit_code == 1
    assert refused.stderr.startswith(
        "Error: plan.json was planned for environment dev, and this run is for environment "
        "test; nothing was changed."
    )
    monkeypatch.setenv("DACTL_ENV", "test")
    assert "this run is for environment test" in run("apply", "plan.json").stderr
    assert world.org.writes == []
    monkeypatch.delenv("DACTL_ENV")
    applied = run("apply", "plan.json")  # the plan's own environment
    assert applied.exit_code == 0, applied.output
    assert [(r["env"], r["operation"]) for r in world.audit()] == [("dev", "create")]


def test_the_prompt_names_the_environment(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal:
        class stdin:
            @staticmethod
            def isatty() -> bool:
                return True

        def __getattr__(self, name: str) -> Any:
            import sys

            return getattr(sys, name)

    from reconciler import cli as cli_module

    monkeypatch.setattr(cli_module, "sys", Terminal())
    answered = run("apply", "actions", "--env", "test", input="no\n")
    assert "Apply 1 change to test: dactl sandbox (api.fake.test)?" in answered.stdout
    assert world.org.writes == []


def test_an_offline_test_in_an_environment(world: World) -> None:
    result = run("test", THING, "actions", "--offline", "--env", "test", "--input", "q=7")
    assert result.exit_code == 0, result.output
    assert "https://test.example.com/things/7" in result.stdout
    needs = run("test", THING, "actions", "--offline", "--input", "q=7")
    assert needs.exit_code == 1 and "choose one with --env NAME" in needs.stderr
