"""``dactl init --ci gitlab`` end to end: the real CLI sets up a repository, a second run
changes nothing, and an export from a real sandbox then validates and plans there. (The
GitHub case runs from an installed wheel in test_install_e2e.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.e2e.conftest import Cli, seed_actions

pytestmark = pytest.mark.e2e

CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_init_for_gitlab_then_export_validate_plan(cli: Cli, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    first = cli.run(
        "init", str(repo), "--ci", "gitlab", "--integration", "Web Services Data Actions"
    )
    assert first.returncode == 0, first.stdout + first.stderr
    lines = first.stdout.splitlines()
    assert f"created   {repo.relative_to(cli.cwd)}/.gitlab-ci.yml" in lines
    included = sorted((repo / ".gitlab").glob("*.yml"))
    assert included, "the CI kit ships a GitLab template"
    assert "OWNER/dactl: replace OWNER" in first.stderr

    before = snapshot(repo)
    second = cli.run("init", str(repo), "--ci", "gitlab")
    assert second.returncode == 0 and second.stdout.splitlines()[-1].startswith("Nothing to do")
    assert snapshot(repo) == before

    # GitLab's own CI schema, as check-jsonschema ships it, takes the pipeline and the kit.
    pipeline = [str(repo / ".gitlab-ci.yml"), *map(str, included)]
    checked = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.gitlab-ci", *pipeline],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

    seed_actions(cli, REPO_ROOT / "actions")
    actions = str(repo / "actions")
    exported = cli.run("export", "--out", actions)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert "Exported 4 actions from 1 integration" in exported.stdout  # the scope init wrote
    validated = cli.run("validate", actions)
    assert validated.returncode == 0 and validated.stdout.startswith("OK: 4 actions valid")
    planned = cli.run("plan", actions, "--detailed-exitcode")
    assert planned.returncode == 0, planned.stdout + planned.stderr
