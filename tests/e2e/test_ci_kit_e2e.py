"""The CI kit's files pass the tools GitHub and GitLab users lint with: the workflow and
action JSON schemas (check-jsonschema's vendored copies, no network) and actionlint, run
as subprocesses (both come with the dev extras)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / "reconciler" / "ci" / "templates" / "github").glob("*.yml"))
GITLAB = sorted((REPO_ROOT / "reconciler" / "ci" / "templates" / "gitlab").glob("*.yml"))


def tool(name: str) -> str:
    """The tool installed beside this Python (the venv's), else on the PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is not installed: pip install -e '.[dev]'"
    return found


def run(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("schema", "paths"),
    [
        ("vendor.github-workflows", WORKFLOWS),
        ("vendor.github-actions", [REPO_ROOT / "action.yml"]),
        ("vendor.gitlab-ci", GITLAB),
    ],
    ids=["github-workflows", "github-action", "gitlab-ci"],
)
def test_the_files_match_their_schema(schema: str, paths: list[Path]) -> None:
    assert paths
    result = run(tool("check-jsonschema"), "--builtin-schema", schema, *map(str, paths))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_workflows_pass_actionlint_with_the_action_they_use(tmp_path: Path) -> None:
    """In a repository of their own, where ``OWNER/dactl@v0`` is this checkout's action.yml
    (``./``), so actionlint also checks the inputs the workflows give it."""
    (tmp_path / ".git").mkdir()
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "action.yml", tmp_path / "action.yml")
    for path in WORKFLOWS:
        text = path.read_text(encoding="utf-8")
        assert "uses: OWNER/dactl@v0" in text
        (workflows / path.name).write_text(text.replace("OWNER/dactl@v0", "./"))
    (workflows / "uses-the-command-input.yml").write_text(
        "on: push\njobs:\n  v:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v5\n"
        "      - uses: ./\n        with:\n          command: validate actions/ --format github\n"
    )
    files = sorted(str(p.relative_to(tmp_path)) for p in workflows.iterdir())
    result = run(tool("actionlint"), "-no-color", *files, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # and it does check: an input the action does not have is an error
    (workflows / "bad.yml").write_text(
        "on: push\njobs:\n  v:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: ./\n        with:\n          comand: validate\n"
    )
    bad = run(tool("actionlint"), "-no-color", ".github/workflows/bad.yml", cwd=tmp_path)
    assert bad.returncode == 1 and 'input "comand" is not defined' in bad.stdout
