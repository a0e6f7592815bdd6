"""The ``dactl`` command line in this process (``click.testing.CliRunner``) against the
in-memory org, put in place of the HTTP one through the orchestrator's default
``connect_genesys``: every command's output, exit codes (0, 1, 2, 130) and error lines."""

from __future__ import annotations

import json
import logging
import runpy
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler import __version__, cli_support
from reconciler import cli as cli_module
from reconciler import orchestrator as orchestrator_module
from reconciler.cli import main
from tests.conftest import FIXTURES
from tests.fakes.org import API_URL
from tests.fakes.project import WEB, World, action

USER = "Get User"
ORDER = "Get Order"


class Cli:
    """``dactl ARGS`` in ``root`` against ``org``."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.org = world.org
        self.root = world.root

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def cli(tmp_path: Path, org_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    world = World(tmp_path)
    monkeypatch.setattr(orchestrator_module, "connect_genesys", world.org.connect)
    monkeypatch.setenv("GENESYSCLOUD_API_URL", API_URL)
    monkeypatch.setenv("NO_COLOR", "")  # restored (unset) after --no-color set it
    monkeypatch.chdir(tmp_path)
    logger = logging.getLogger("reconciler")
    level = logger.level
    yield Cli(world)
    if cli_support._log_handler is not None:  # -v added a handler: take it away again
        logger.removeHandler(cli_support._log_handler)
        cli_support._log_handler = None
    logger.setLevel(level)


class _Terminal:
    """``sys`` for ``reconciler.cli``, with a terminal on stdin."""

    class stdin:
        @staticmethod
        def isatty() -> bool:
            return True

    def __getattr__(self, name: str) -> Any:
        return getattr(sys, name)


# -- validate -------------------------------------------------------------------------------


def test_validate_ok_invalid_and_strict(cli: Cli) -> None:
    cli.world.write(action(USER))
    result = cli("validate", "actions")
    assert result.exit_code == 0 and result.stdout.startswith("OK: 1 action valid")
    as_json = json.loads(cli("validate", "actions", "--format", "json").stdout)
    assert as_json["valid"] is True and as_json["actions"] == [USER]
    sensitive = action(ORDER)
    sensitive["contract"]["input"]["properties"]["password"] = {"type": "string"}
    cli.world.write(sensitive)
    warned = cli("validate", "actions")
    assert warned.exit_code == 0 and "looks sensitive but the action has" in warned.stdout
    strict = cli("validate", "actions", "--strict")
    assert strict.exit_code == 1
    assert strict.stderr == "Error: --strict fails the run on 1 warning.\n"
    cli.world.write(action(USER, timeout=500))
    invalid = cli("validate", "actions")
    assert invalid.exit_code == 1 and "get-user.yaml:3:" in invalid.stdout


# -- plan -----------------------------------------------------------------------------------


def test_plan_in_each_format_and_its_exit_codes(cli: Cli) -> None:
    cli.world.write(action(USER))
    text = cli("plan", "actions")
    assert text.exit_code == 0
    assert "Plan: 1 to create, 0 to update, 0 to replace, 0 to delete." in text.stdout
    assert "dactl sandbox (api.fake.test)" in text.stdout
    assert cli("plan", "actions", "--detailed-exitcode").exit_code == 2
    markdown = cli("plan", "actions", "--format", "markdown")
    assert markdown.stdout.startswith("#") and "Get User" in markdown.stdout
    as_json = json.loads(cli("plan", "actions", "--format", "json").stdout)
    assert as_json["counts"]["create"] == 1 and as_json["organization"]["host"] == "api.fake.test"
    cli("apply", "actions", "--auto-approve")
    assert cli("plan", "actions", "--detailed-exitcode").exit_code == 0


def test_plan_out_saves_a_plan_that_apply_carries_out(cli: Cli) -> None:
    cli.world.write(action(USER))
    saved = cli("plan", "actions", "--out", "plan.json")
    assert saved.exit_code == 0
    assert saved.stderr == "Saved the plan to plan.json; apply it with `dactl apply plan.json`.\n"
    applied = cli("apply", "plan.json")
    assert applied.exit_code == 0, applied.output
    assert "Plan: 1 to create" in applied.stdout  # shown, not asked
    assert f"  + create {USER!r}: created {cli.org.ids()[USER]} v1" in applied.stdout
    assert applied.stdout.endswith("Apply complete: 1 created, 0 updated, 0 replaced, 0 deleted.\n")
    audit = (cli.root / ".dactl" / "audit.jsonl").read_text().splitlines()
    assert [json.loads(line)["operation"] for line in audit] == ["create"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "actions", "--out", "plan.yaml"), "Error: --out plan.yaml: a saved plan is JSON"),
        (("plan", "actions", "--target", "Nope"), "Error: --target names no known action: Nope"),
        (("plan", "actions/get-user.yaml"), "is a file: this command takes the directory"),
        (("apply", "actions/get-user.yaml"), "is a file: apply takes the directory"),
        (("apply", "actions"), "there is no terminal to ask on: pass --auto-approve"),
        (("drift", "actions", "--format", "yaml"), "Error: Invalid value for '--format'"),
        (("no-such-command",), "Error: No such command 'no-such-command'."),
    ],
)
def test_refusals_are_one_error_line_and_exit_1(
    cli: Cli, args: tuple[str, ...], message: str
) -> None:
    cli.world.write(action(USER))
    result = cli(*args)
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.output
    assert cli.org.writes == []


def test_an_invalid_tree_is_reported_problem_by_problem(cli: Cli) -> None:
    cli.world.write(action(USER, timeout=500))
    result = cli("plan", "actions")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert "get-user.yaml:3:" in lines[0]
    assert lines[-1] == (
        "Error: the desired state is invalid (1 problem(s) found); run `dactl validate`."
    )
    assert cli.org.sessions == 0


def test_no_location_and_org_failures_are_errors(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.world.write(action(USER))
    cli.org.fail("iter_actions", status=500, message="boom")
    failed = cli("plan", "actions")
    assert failed.exit_code == 1
    assert failed.stderr.startswith(
        "Error: HTTP 500 internal.server.error: GET /api/v2/integrations/actions: boom"
    )
    monkeypatch.delenv("GENESYSCLOUD_API_URL")
    lost = cli("plan", "actions")
    assert lost.exit_code == 1 and "Error: no Genesys Cloud location" in lost.stderr


# -- apply ----------------------------------------------------------------------------------


def test_apply_asks_on_a_terminal_and_only_yes_goes_ahead(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.world.write(action(USER))
    monkeypatch.setattr(cli_module, "sys", _Terminal())
    declined = cli("apply", "actions", input="y\n")
    assert declined.exit_code == 1
    assert "Apply 1 change to dactl sandbox (api.fake.test)? Only 'yes' is accepted" in (
        declined.stdout
    )
    assert declined.stdout.endswith("Apply cancelled; nothing was changed.\n")
    assert cli.org.writes == []
    accepted = cli("apply", "actions", input="yes\n")
    assert accepted.exit_code == 0 and list(cli.org.ids()) == [USER]
    cli.world.write(action(ORDER))
    aborted = cli("apply", "actions", input="")
    assert aborted.exit_code == 1 and aborted.stderr.endswith("Aborted.\n")


def test_apply_reports_each_failure_and_exits_1(cli: Cli) -> None:
    cli.world.write(action(USER), action(ORDER))
    cli.org.fail("create_action", status=400, message="no", nth=2)
    result = cli("apply", "actions", "--auto-approve")
    assert result.exit_code == 1
    assert f"  + create {USER!r}: FAILED: HTTP 400 bad.request" in result.stdout
    assert result.stdout.endswith(
        "Apply failed for 1 of 2 changes (1 created, 0 updated, 0 replaced, 0 deleted).\n"
    )


def test_apply_nothing_to_do_and_refused_plans(cli: Cli) -> None:
    cli.world.seed(action(USER))
    nothing = cli("apply", "actions", "--auto-approve")
    assert nothing.exit_code == 0
    assert nothing.stdout == "No changes. The org matches the desired state.\n"
    cli.world.write(action(USER, secure=True))
    refused = cli("apply", "actions", "--auto-approve")
    assert refused.exit_code == 1 and "Apply with --allow-replace to go ahead." in refused.stderr
    replaced = cli("apply", "actions", "--auto-approve", "--allow-replace")
    assert replaced.exit_code == 0 and "-/+ replace 'Get User': replaced" in replaced.stdout


def test_a_stale_or_misused_saved_plan_is_refused(cli: Cli) -> None:
    ids = cli.world.seed(action(USER))
    cli.world.write(action(USER, timeout=9))
    assert cli("plan", "actions", "--out", "plan.json").exit_code == 0
    misused = cli("apply", "plan.json", "--prune")
    assert misused.exit_code == 1 and "a saved plan is applied as is" in misused.stderr
    cli.org.edit(ids[USER], timeoutSeconds=7)
    stale = cli("apply", "plan.json")
    assert stale.exit_code == 1
    assert stale.stderr.startswith(f"Error: stale plan: {USER!r} changed in the org since")
    (cli.root / "notes.txt").write_text("hello")
    not_a_plan = cli("apply", "notes.txt")
    assert not_a_plan.exit_code == 1 and "not a saved plan (invalid JSON" in not_a_plan.stderr
    assert cli.org.writes == []


def test_ctrl_c_during_apply_exits_130(cli: Cli) -> None:
    cli.world.write(action(USER), action(ORDER))
    cli.org.interrupt("create_action", nth=2)
    result = cli("apply", "actions", "--auto-approve")
    assert result.exit_code == 130
    assert "Interrupted. Writes already sent are in the audit log" in result.stderr
    assert len(cli.org.writes) == 1


# -- drift ----------------------------------------------------------------------------------


def test_drift_exits_2_on_drift_and_calls_the_webhook(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = cli.world.seed(action(USER))
    clean = cli("drift", "actions")
    assert clean.exit_code == 0 and "No drift: the org matches git." in clean.stdout
    cli.org.edit(ids[USER], timeoutSeconds=8)
    posted: list[tuple[str, Any]] = []
    monkeypatch.setattr(
        "reconciler.webhook.post_json", lambda url, body: posted.append((url, body))
    )
    drifted = cli("drift", "actions", "--webhook", "https://hooks.example.test/x")
    assert drifted.exit_code == 2
    assert "Drift: 1 changed outside git, 0 missing, 0 unmanaged." in drifted.stdout
    ((url, body),) = posted
    assert url == "https://hooks.example.test/x" and "Get User" in json.dumps(body)
    as_json = json.loads(cli("drift", "actions", "--format", "json").stdout)
    assert as_json["actions"][0]["name"] == USER
    markdown = cli("drift", "actions", "--format", "markdown")
    assert markdown.exit_code == 2 and "| Get User |" in markdown.stdout
    assert cli.org.writes == []


# -- export and import ----------------------------------------------------------------------


def test_export_writes_files_and_refuses_a_directory_with_files(cli: Cli) -> None:
    cli.world.seed(action(USER), action(ORDER, integration=WEB))
    result = cli("export", "--out", "exported", "--integration", WEB)
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(
        "Exported 1 action from 1 integration to exported/ (1 new, 0 updated, 0 unchanged).\n"
    )
    assert (cli.root / "exported" / "get-order.yaml").exists()
    again = cli("export", "--out", "exported")
    assert again.exit_code == 1 and "already holds action files" in again.stderr
    cli.org.edit(cli.org.ids()[ORDER], timeoutSeconds=8)
    forced = cli("export", "--out", "exported", "--force", "--integration", WEB)
    assert forced.exit_code == 0
    assert forced.stdout.startswith("updated  exported/get-order.yaml  (Get Order)\n")


def test_import_writes_files_or_refuses_naming_each_problem(cli: Cli) -> None:
    exported = {
        "name": "Get Queue Waiting Count",
        "integrationType": "purecloud-data-actions",
        "actionType": "custom",
        "config": {
            "request": {"requestUrlTemplate": "/api/v2/routing/queues", "requestType": "GET"},
            "response": {"translationMap": {}, "successTemplate": "${rawResult}"},
        },
        "contract": {
            "input": {"inputSchema": {"type": "object", "properties": {}}},
            "output": {"successSchema": {"type": "object", "properties": {}}},
        },
        "secure": False,
    }
    (cli.root / "queue.json").write_text(json.dumps(exported))
    result = cli("import", "queue.json", "--out", "imported")
    assert result.exit_code == 0, result.output
    assert (cli.root / "imported" / "get-queue-waiting-count.yaml").exists()
    terraform = cli("import", str(FIXTURES / "import" / "terraform-action.json"), "--out", "tf")
    assert terraform.exit_code == 1 and "pass --integration NAME" in terraform.stderr
    (cli.root / "broken.json").write_text("{")
    refused = cli("import", "broken.json", "--out", "elsewhere")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-1] == "Nothing was written."
    assert not (cli.root / "elsewhere").exists()


# -- test -----------------------------------------------------------------------------------


def test_test_offline_and_in_the_org(cli: Cli) -> None:
    cli.world.seed(action(USER))
    offline = cli("test", USER, "actions", "--offline", "--input", "q=42")
    assert offline.exit_code == 0, offline.output
    remote = cli("test", USER, "actions", "--input", "q=42")
    assert remote.exit_code == 0, remote.output
    assert cli.org.calls[-1].op == "test_action"
    cli.org.answer("test_action", lambda result: {**result, "success": False})
    failed = cli("test", USER, "actions", "--input", "q=42")
    assert failed.exit_code == 1


def test_test_refusals(cli: Cli) -> None:
    cli.world.write(action(USER))
    response = cli("test", USER, "actions", "--response", "r.json")
    assert response.exit_code == 1
    assert response.stderr == (
        "Error: --response is a sample answer for offline tests: add --offline\n"
    )
    inputs = cli("test", USER, "actions", "--offline", "--input", "no-equals-sign")
    assert inputs.exit_code == 1
    assert inputs.stderr.splitlines()[-1] == (
        "Nothing was run: fix the inputs (see the input contract)."
    )
    assert inputs.stderr.startswith("Error: ")


# -- the group ------------------------------------------------------------------------------


def test_version_help_verbose_and_no_color(cli: Cli) -> None:
    version = cli("--version")
    assert version.exit_code == 0 and __version__ in version.stdout
    assert cli("--help").exit_code == 0 and cli("plan", "--help").exit_code == 0
    cli.world.write(action(USER))
    assert cli("plan", "-vv", "actions").exit_code == 0
    assert logging.getLogger("reconciler").level == logging.DEBUG
    assert cli("plan", "-v", "actions").exit_code == 0
    assert logging.getLogger("reconciler").level == logging.INFO
    assert cli("plan", "--no-color", "actions").exit_code == 0
    import os

    assert os.environ["NO_COLOR"] == "1"


def test_python_dash_m_runs_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["dactl", "--version"])
    runpy.run_module("reconciler", run_name="__main__", alter_sys=True)
    assert capsys.readouterr().out == f"dactl, version {__version__}\n"


def test_colors_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        class stdout:
            @staticmethod
            def isatty() -> bool:
                return True

    monkeypatch.setattr(cli_support, "sys", Tty())
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli_support.use_color()
    monkeypatch.setenv("NO_COLOR", "1")
    assert not cli_support.use_color()


def test_the_progress_bar_is_drawn_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    class Target:
        on_total: Any = None
        on_progress: Any = None

    target = Target()
    with cli_support.fetch_progress(target):
        assert target.on_total is None  # stderr is no terminal under pytest

    class Tty:
        class stderr:
            @staticmethod
            def isatty() -> bool:
                return True

            @staticmethod
            def write(text: str) -> int:
                return len(text)

            @staticmethod
            def flush() -> None:
                pass

    monkeypatch.setattr(cli_support, "sys", Tty())
    with cli_support.fetch_progress(target) as progress:
        target.on_total(0)  # nothing to fetch: no bar
        assert progress.bar is None
        target.on_progress(1)  # no bar: nothing to advance
        target.on_total(2)
        assert progress.bar is not None
        target.on_progress(1)
        target.on_progress(1)  # the last one ends the bar
        assert progress.bar is None
