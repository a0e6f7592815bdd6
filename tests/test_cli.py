"""The installed entry points, run as real processes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reconciler import __version__
from tests.conftest import REPO_ROOT


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_python_dash_m_validates_the_examples() -> None:
    result = run("validate", "actions/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: 10 actions valid")


def test_console_script_reports_an_invalid_fixture_without_traceback() -> None:
    dactl = REPO_ROOT / ".venv" / "bin" / "dactl"
    exe = [str(dactl)] if dactl.exists() else [sys.executable, "-m", "reconciler"]
    result = subprocess.run(
        [*exe, "validate", "tests/fixtures/invalid/yaml-alias-bomb.yaml"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "yaml-alias-bomb.yaml:2:" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("drift", "actions", "--format", "yaml"),
        ("plan", "actions", "--detailed-exitcode", "--bogus"),
        ("plan", "actions", "--detailed-exitcode", "--concurrency", "0"),
        ("no-such-command",),
    ],
)
def test_a_usage_error_is_exit_1_never_2_which_means_changes_or_drift(
    args: tuple[str, ...],
) -> None:
    result = run(*args)
    assert result.returncode == 1, result.stderr
    assert "Error:" in result.stderr and "Traceback" not in result.stderr


def test_help_and_version_still_exit_0() -> None:
    assert run("--help").returncode == 0
    assert run("plan", "--help").returncode == 0


def test_the_plan_path_imports_no_other_command_s_code() -> None:
    """What `dactl plan` loads (the CLI, the orchestrator, the plan renderers) leaves the
    code of apply, export, import, test, compare, usages, pull and fmt unimported."""
    others = (
        "reconciler.apply",
        "reconciler.actiontest",
        "reconciler.exporter",
        "reconciler.adopt",
        "reconciler.importer",
        "reconciler.terraform",
        "reconciler.compare",
        "reconciler.usages",
        "reconciler.pull",
        "reconciler.fmt",
    )
    code = (
        "import sys, reconciler.cli, reconciler.orchestrator, reconciler.render.plan\n"
        f"print(sorted(m for m in sys.modules if m.startswith({others!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout
