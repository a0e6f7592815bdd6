"""``dactl validate --format github|gitlab``: GitHub workflow commands and a GitLab Code
Quality report (snapshots of a fixture tree with errors and a warning), their escaping,
their fingerprints and the exit codes."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.config.loader import LoadedTree
from reconciler.config.model import ProjectSpec
from reconciler.diagnostics import Mark, Problem, error, warning
from reconciler.render.problems import (
    github_data,
    github_property,
    render_github,
    render_gitlab,
)
from reconciler.validate import ValidationReport
from tests.conftest import FIXTURES

TREE = FIXTURES / "annotations"
SNAPSHOTS = FIXTURES / "snapshots"
# ::error file=F,line=L,col=C,title=T::message — GitHub's workflow-command syntax.
COMMAND = re.compile(
    r"::(error|warning) file=[^,:%\r\n]+,line=[1-9][0-9]*,col=[1-9][0-9]*,"
    r"title=dactl validate::[^\r\n]+"
)


@pytest.fixture
def in_tree(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(TREE)  # paths print as `actions/x.yaml`, as from a repository root
    return TREE


def validate(*args: str) -> Result:
    return CliRunner().invoke(main, ["validate", *args], catch_exceptions=False)


def check_snapshot(text: str, name: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.write_text(text, encoding="utf-8")
        if os.environ.get("UPDATE_SNAPSHOTS") != "1":
            pytest.fail(f"snapshot {path.name} was missing and has been written; re-run")
    assert text == path.read_text(encoding="utf-8")


def test_github_annotations_snapshot(in_tree: Path) -> None:
    result = validate("actions", "--format", "github")
    assert result.exit_code == 1  # as for text: there are errors
    check_snapshot(result.stdout, "validate-annotations.github.txt")
    *commands, summary = result.stdout.splitlines()
    assert summary == "2 errors, 1 warning in 3 files."
    assert [c.split(" ", 1)[0] for c in commands] == ["::error", "::error", "::warning"]
    for command in commands:
        assert COMMAND.fullmatch(command), command
    # the message's % is escaped; the text format shows it as it is
    assert "'GET 100%25' is not one of" in result.stdout
    assert "'GET 100%' is not one of" in validate("actions").stdout


def test_gitlab_code_quality_snapshot(in_tree: Path) -> None:
    result = validate("actions", "--format", "gitlab")
    assert result.exit_code == 1
    check_snapshot(result.stdout, "validate-annotations.gitlab.json")
    issues = json.loads(result.stdout)
    where = [
        (i["severity"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues
    ]
    assert where == [
        ("major", "actions/get-queue-size.yaml", 3),
        ("major", "actions/get-queue-size.yaml", 9),
        ("minor", "actions/lookup-user.yaml", 4),
    ]
    for issue in issues:
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert re.fullmatch(r"[0-9a-f]{64}", issue["fingerprint"])
        assert issue["check_name"].startswith("dactl/")
    assert len({i["fingerprint"] for i in issues}) == 3
    assert validate("actions", "--format", "gitlab").stdout == result.stdout  # stable


def test_exit_codes_are_those_of_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "actions").mkdir()
    warned = (TREE / "actions" / "lookup-user.yaml").read_text()
    (tmp_path / "actions" / "lookup-user.yaml").write_text(warned)
    for fmt in ("text", "github", "gitlab"):
        assert validate("actions", "--format", fmt).exit_code == 0
        strict = validate("actions", "--format", fmt, "--strict")
        assert strict.exit_code == 1
        assert strict.stderr == "Error: --strict fails the run on 1 warning.\n"
    github = validate("actions", "--format", "github").stdout.splitlines()
    assert github[0].startswith("::warning file=actions/lookup-user.yaml,line=4,col=62,")
    assert github[1] == "OK: 1 action valid, 1 warning."
    (tmp_path / "actions" / "lookup-user.yaml").unlink()
    assert json.loads(validate("actions", "--format", "gitlab").stdout) == []
    missing = validate("nowhere", "--format", "gitlab")
    assert missing.exit_code == 1


def test_workflow_command_escaping() -> None:
    assert github_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert github_property("dir,a/x:y%.yaml") == "dir%2Ca/x%3Ay%25.yaml"
    assert github_property("a\nb") == "a%0Ab"


def report_of(*problems: Problem) -> ValidationReport:
    tree = LoadedTree(root=Path("actions"), project=None)
    return ValidationReport(tree=tree, project=ProjectSpec(), problems=list(problems))


def test_properties_and_messages_are_escaped_in_the_output() -> None:
    report = report_of(
        error(Mark("actions/we,ird:name.yaml", 2, 3), "bad\nvalue: 50%"),
        warning(Mark("actions\\sub\\x.yaml", 0, 0), "no place"),
    )
    lines = render_github(report).splitlines()
    assert lines[0] == (
        "::error file=actions/we%2Cird%3Aname.yaml,line=2,col=3,title=dactl validate::"
        "bad%0Avalue: 50%25"
    )
    # a problem without a line is annotated on the file; nothing else changes
    assert lines[1].startswith("::warning file=actions")
    assert ",line=" not in lines[1] and lines[1].endswith("::no place")


def test_gitlab_fingerprints_ignore_the_line_and_tell_repeats_apart() -> None:
    first = report_of(error(Mark("a.yaml", 3, 1), "same"), error(Mark("a.yaml", 9, 1), "same"))
    moved = report_of(error(Mark("a.yaml", 5, 1), "same"), error(Mark("a.yaml", 11, 1), "same"))
    prints = [i["fingerprint"] for i in json.loads(render_gitlab(first))]
    assert len(set(prints)) == 2
    assert prints == [i["fingerprint"] for i in json.loads(render_gitlab(moved))]
    other = report_of(error(Mark("a.yaml", 3, 1), "same", rule="lint"))
    assert json.loads(render_gitlab(other))[0]["fingerprint"] != prints[0]
    no_line = report_of(warning(Mark("a.yaml", 0, 0), "whole file"))
    assert json.loads(render_gitlab(no_line))[0]["location"]["lines"]["begin"] == 1
