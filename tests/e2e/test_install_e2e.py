"""Install anywhere: the wheel built from this repository, installed into a fresh virtual
environment outside it, sets up a user's repository and works there against a sandbox.

Offline stand-in for the package registry: the wheel is installed with ``--no-deps``, and
its dependencies are made importable by one ``.pth`` line naming the site-packages of the
project's own ``.venv`` (which holds every dependency, and dactl itself only as an editable
finder that a bare path line does not activate). What is tested is that the *wheel* works
outside the repository: the console script, the schemas and CI templates it carries, and
no import from the repository tree (``reconciler.__file__`` lies in the new environment,
and every command runs in a directory outside the repository).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
import yaml

from reconciler.ci.kit import VARIANTS
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.process import SandboxServer
from tests.conftest import REPO_ROOT
from tests.e2e.conftest import Cli, seed_actions

pytestmark = pytest.mark.e2e

GENESYS = "Genesys Cloud Data Actions"
WEB = "Web Services Data Actions"
TOOLS = Path(sys.executable).parent  # build, twine, check-jsonschema, actionlint (dev extras)
TEMPLATES = REPO_ROOT / "reconciler" / "ci" / "templates" / "github"


def run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command to success; its stdout."""
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def build_and_check(out: Path) -> Path:
    """The sdist, then the wheel built from it (as `make dist`, without a network: the
    build backend comes from the project's environment), checked as `make dist` checks
    them; the wheel."""
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, REPO_ROOT], out.parent)
    run([sys.executable, "-m", "twine", "check", "--strict", *sorted(out.iterdir())], out.parent)
    run([sys.executable, REPO_ROOT / "scripts" / "check_dist.py", out], out.parent)
    (wheel,) = out.glob("dactl-*.whl")
    return wheel


def fresh_venv(where: Path, wheel: Path) -> Path:
    """A new virtual environment holding the wheel; its bin directory."""
    run([sys.executable, "-m", "venv", "--without-pip", where], where.parent)
    python = where / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--no-index", "--no-deps"]
    run([*pip, "--quiet", wheel], where.parent)
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = Path(run([python, "-c", purelib], where).strip())
    dependencies = sysconfig.get_path("purelib")  # the project's .venv
    (site / "dactl-test-dependencies.pth").write_text(dependencies + "\n")
    return where / "bin"


@pytest.mark.timeout(400)
def test_the_wheel_installs_outside_the_repository_and_runs_init_export_validate_plan(
    tmp_path: Path,
) -> None:
    assert not tmp_path.resolve().is_relative_to(REPO_ROOT)
    version = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]
    (tmp_path / "dist").mkdir()
    wheel = build_and_check(tmp_path / "dist")
    assert wheel.name == f"dactl-{version}-py3-none-any.whl"
    bin_dir = fresh_venv(tmp_path / "venv", wheel)
    dactl = bin_dir / "dactl"

    repo = tmp_path / "repo"
    repo.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "PYTHON"))}
    where = run(
        [bin_dir / "python", "-c", "import reconciler; print(reconciler.__file__)"], repo, env
    )
    assert Path(where.strip()).is_relative_to(tmp_path / "venv"), where
    assert run([dactl, "--version"], repo, env) == f"dactl, version {version}\n"

    # dactl init: the project file, .gitignore, the schemas, the GitHub workflows.
    init = [dactl, "init", "--ci", "github", "--integration", GENESYS, "--integration", WEB]
    first = run(init, repo, env)
    assert "created   actions/dactl.yaml" in first.splitlines()
    assert "Initialized .: " in first
    again = run(init, repo, env)
    assert again.splitlines()[-1].startswith("Nothing to do in .: every file is there")
    workflows = sorted((repo / ".github" / "workflows").glob("*.yml"))
    # Every template but the variants (dactl-pull.yml is copied by hand: docs/ci/github/).
    shipped = [p.name for p in TEMPLATES.glob("*.yml") if p.name not in VARIANTS]
    assert sorted(p.name for p in workflows) == sorted(shipped)

    with SandboxServer(SandboxConfig()) as sandbox:
        seed_actions(Cli(sandbox, tmp_path), REPO_ROOT / "actions")
        env.update(
            GENESYSCLOUD_API_URL=sandbox.base_url,
            GENESYSCLOUD_OAUTHCLIENT_ID=sandbox.client_id,
            GENESYSCLOUD_OAUTHCLIENT_SECRET=sandbox.client_secret,
        )
        exported = run([dactl, "export", "--out", "actions"], repo, env)
        assert exported == (
            "Exported 10 actions from 2 integrations to actions/ (10 new, 0 updated, "
            "0 unchanged).\n"
        )
        validated = run([dactl, "validate", "actions"], repo, env)
        assert validated.startswith("OK: 10 actions valid")
        planned = run([dactl, "plan", "actions", "--detailed-exitcode"], repo, env)
        assert "No changes." in planned

    # What init and export wrote validates with the schemas init put beside them.
    files = sorted((repo / "actions").glob("*.yaml"))
    actions = [p for p in files if p.name != "dactl.yaml"]
    assert len(actions) == 10
    for path in files:
        first_line = path.read_text(encoding="utf-8").splitlines()[0]
        kind = "project" if path.name == "dactl.yaml" else "action-file"
        assert first_line == f"# yaml-language-server: $schema=../schemas/{kind}.schema.json"
    check = [TOOLS / "check-jsonschema", "--schemafile"]
    run([*check, repo / "schemas" / "action-file.schema.json", *actions], repo)
    run([*check, repo / "schemas" / "project.schema.json", repo / "actions" / "dactl.yaml"], repo)
    assert yaml.safe_load((repo / "actions" / "dactl.yaml").read_text())["scope"] == {
        "integrations": [GENESYS, WEB]
    }
    assert (repo / ".gitignore").read_text().splitlines()[-1] == ".dactl/"

    # The workflows: GitHub's workflow schema, then actionlint. Skipped only while the CI kit
    # ships no GitHub templates (then init wrote none).
    if not workflows:
        pytest.skip("reconciler/ci/templates/github/ is empty: no workflows to check")
    run(
        [TOOLS / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows],
        repo,
    )
    run([TOOLS / "actionlint", *workflows], repo)
