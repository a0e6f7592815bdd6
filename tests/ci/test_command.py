"""``dactl ci ...`` in this process, against in-process fakes of GitHub and GitLab: what it
prints, its exit codes, one error line, and never the token."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from reconciler.ci import command
from reconciler.cli import main
from tests.fakes.ci_api import (
    GITHUB_TOKEN,
    GITLAB_TOKEN,
    FakeGitHub,
    FakeGitLab,
    github_env,
    gitlab_env,
)

PLAN_MD = "### dactl plan\n\n**Plan: 1 to create, 0 to update, 0 to replace, 0 to delete.**\n"


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, ["ci", *args], input=input, catch_exceptions=False)


@pytest.fixture
def github(ci_env: pytest.MonkeyPatch, tmp_path: Path, fake_github: FakeGitHub) -> FakeGitHub:
    for key, value in github_env(tmp_path).items():
        ci_env.setenv(key, value)
    ci_env.setattr(command, "TRANSPORT", fake_github.transport())
    ci_env.chdir(tmp_path)
    (tmp_path / "plan.md").write_text(PLAN_MD)
    return fake_github


@pytest.fixture
def gitlab(ci_env: pytest.MonkeyPatch, tmp_path: Path, fake_gitlab: FakeGitLab) -> FakeGitLab:
    for key, value in gitlab_env().items():
        ci_env.setenv(key, value)
    ci_env.setattr(command, "TRANSPORT", fake_gitlab.transport())
    ci_env.chdir(tmp_path)
    (tmp_path / "plan.md").write_text(PLAN_MD)
    return fake_gitlab


def test_github_comment_creates_then_updates_one_comment(github: FakeGitHub) -> None:
    first = run("github-comment", "--file", "plan.md")
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("Created the plan comment: https://github.example/")
    Path("plan.md").write_text(PLAN_MD.replace("1 to create", "2 to create"))
    second = run("github-comment", "--file", "plan.md")
    assert second.exit_code == 0
    assert second.stdout.startswith("Updated the plan comment: https://github.example/")
    (only,) = github.comments[7]
    assert only["body"].startswith("<!-- dactl-plan -->\n### dactl plan\n\n**Plan: 2 to create")
    assert (
        "Commit `0123456` · The full plan is in the log and artifacts of [this run]"
        in (only["body"])
    )
    assert GITHUB_TOKEN not in first.output + second.output


def test_github_comment_takes_a_pr_a_marker_and_standard_input(github: FakeGitHub) -> None:
    github.pulls.add(9)
    result = run(
        "github-comment", "--file", "-", "--pr", "9", "--marker", "dactl-plan:eu", input="x"
    )
    assert result.exit_code == 0, result.output
    assert github.comments[9][0]["body"].startswith("<!-- dactl-plan:eu -->\nx\n")
    run("github-comment", "--file", "plan.md", "--pr", "9")
    assert len(github.comments[9]) == 2  # another marker, another comment


def test_github_drift_issue_opens_updates_and_closes_one_issue(github: FakeGitHub) -> None:
    Path("drift.md").write_text("### dactl drift\n\n**Drift: 1 changed outside git.**\n")
    assert run("github-drift-issue", "--file", "drift.md", "--drifted").stdout.startswith(
        "Created the drift issue #8:"
    )
    assert run("github-drift-issue", "--file", "drift.md", "--drifted").stdout.startswith(
        "Updated the drift issue #8:"
    )
    Path("drift.md").write_text("### dactl drift\n\n**No drift: the org matches git.**\n")
    closed = run("github-drift-issue", "--file", "drift.md", "--clean")
    assert closed.exit_code == 0 and closed.stdout.startswith("Closed the drift issue #8:")
    again = run("github-drift-issue", "--file", "drift.md", "--clean")
    assert again.stdout == "No drift issue to close: the org matches git.\n"
    (issue,) = github.issues
    assert issue["state"] == "closed" and issue["title"] == "dactl drift: the org differs from git"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["github-drift-issue", "--file", "plan.md"], "say what drift found: --drifted"),
        (["github-drift-issue", "--file", "plan.md", "--clean", "--label", "a,b"], "--label"),
        (["github-comment", "--file", "missing.md"], "cannot read missing.md: No such file"),
        (["github-comment", "--file", "empty.md"], "empty.md is empty: nothing to post"),
        (["github-comment", "--file", "latin1.md"], "latin1.md is not UTF-8 text"),
        (["github-comment", "--file", "plan.md", "--marker", "x -->"], "--marker 'x -->'"),
        (["github-comment", "--file", "."], "cannot read .: Is a directory"),
    ],
)
def test_bad_input_is_one_error_line(github: FakeGitHub, args: list[str], message: str) -> None:
    Path("empty.md").write_text(" \n")
    Path("latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    result = run(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {message}") and result.stderr.count("\n") == 1
    assert github.requests == []


def test_a_missing_token_is_one_error_line(github: FakeGitHub, ci_env: pytest.MonkeyPatch) -> None:
    ci_env.delenv("GITHUB_TOKEN")
    result = run("github-comment", "--file", "plan.md")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: GITHUB_TOKEN is not set: give the step the job's token "
        "(env: GITHUB_TOKEN: ${{ github.token }})\n"
    )


def test_a_refusal_is_one_error_line_and_an_echoed_token_is_masked(
    ci_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        echo = request.headers["authorization"].removeprefix("Bearer ")
        return httpx.Response(403, json={"message": f"token {echo} may not"})

    for key, value in github_env(tmp_path).items():
        ci_env.setenv(key, value)
    ci_env.setattr(command, "TRANSPORT", httpx.MockTransport(refuse))
    (tmp_path / "plan.md").write_text("plan")
    result = run("github-comment", "--file", str(tmp_path / "plan.md"))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: GitHub answered GET repos/acme/actions/issues/7/comments with HTTP 403 "
        "Forbidden (token *** may not): the token may not do this"
    )
    assert GITHUB_TOKEN not in result.output and result.stderr.count("\n") == 1


def test_gitlab_note_creates_then_updates_one_note(gitlab: FakeGitLab) -> None:
    first = run("gitlab-note", "--file", "plan.md")
    assert first.exit_code == 0, first.output
    assert first.stdout == (
        "Created the plan note: https://gitlab.example/acme/actions/-/merge_requests/3#note_501\n"
    )
    second = run("gitlab-note", "--file", "plan.md")
    assert second.stdout.startswith("Updated the plan note:")
    (only,) = gitlab.notes[3]
    assert only["body"].startswith(f"<!-- dactl-plan -->\n{PLAN_MD}")
    assert GITLAB_TOKEN not in first.output + second.output


def test_gitlab_note_outside_a_merge_request_pipeline(
    gitlab: FakeGitLab, ci_env: pytest.MonkeyPatch
) -> None:
    ci_env.delenv("CI_MERGE_REQUEST_IID")
    result = run("gitlab-note", "--file", "plan.md")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: CI_MERGE_REQUEST_IID is not set: run this job in")
    ci_env.setenv("CI_MERGE_REQUEST_IID", "3")
    result = run("gitlab-note", "--file", "plan.md", "--token-variable", "NOT_SET_HERE")
    assert result.stderr.startswith("Error: NOT_SET_HERE is not set")


def test_the_group_is_listed_with_its_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert "ci" in result.stdout.split()
    sub = CliRunner().invoke(main, ["ci", "--help"])
    assert {"github-comment", "github-drift-issue", "gitlab-note"} <= set(sub.stdout.split())


def test_the_default_token_variable_is_gitlab_s() -> None:
    from reconciler.ci import gitlab

    assert command.GITLAB_TOKEN_VARIABLE == gitlab.TOKEN_VARIABLE
