"""``python -m reconciler ci ...`` as a CI job runs it: a subprocess, its variables in the
environment, talking HTTP to a fake GitHub or GitLab served on an ephemeral loopback port."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.e2e.conftest import Cli
from tests.fakes.ci_api import (
    GITHUB_TOKEN,
    GITLAB_TOKEN,
    FakeGitHub,
    FakeGitLab,
    github_env,
    gitlab_env,
)

pytestmark = pytest.mark.e2e


def dactl(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "CI_", "GITLAB_", "DACTL_", "GENESYSCLOUD_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(REPO_ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def github(tmp_path: Path) -> Iterator[tuple[FakeGitHub, dict[str, str]]]:
    fake = FakeGitHub(token=GITHUB_TOKEN)
    with fake.serve() as url:
        yield fake, github_env(tmp_path, GITHUB_API_URL=url)


def test_the_plan_comment_is_created_then_updated_in_place(
    tmp_path: Path, github: tuple[FakeGitHub, dict[str, str]]
) -> None:
    fake, env = github
    (tmp_path / "plan.md").write_text("### dactl plan\n\n**Plan: 1 to create.**\n")
    first = dactl(tmp_path, env, "ci", "github-comment", "--file", "plan.md")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Created the plan comment: https://github.example/")
    (tmp_path / "plan.md").write_text("### dactl plan\n\n**Plan: 2 to create.**\n")
    second = dactl(tmp_path, env, "ci", "github-comment", "--file", "plan.md")
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("Updated the plan comment: https://github.example/")
    (only,) = fake.comments[7]
    assert only["body"].startswith("<!-- dactl-plan -->\n### dactl plan\n\n**Plan: 2 to create")
    assert [w[0] for w in fake.writes()] == ["POST", "PATCH"]
    assert GITHUB_TOKEN not in first.stdout + first.stderr + second.stdout + second.stderr


def test_the_drift_issue_is_opened_updated_and_closed(
    tmp_path: Path, github: tuple[FakeGitHub, dict[str, str]]
) -> None:
    fake, env = github
    report = tmp_path / "drift.md"
    report.write_text("### dactl drift\n\n**Drift: 1 changed outside git.**\n")
    runs = [
        dactl(tmp_path, env, "ci", "github-drift-issue", "--file", "drift.md", "--drifted")
        for _ in range(2)
    ]
    report.write_text("### dactl drift\n\n**No drift: the org matches git.**\n")
    runs.append(dactl(tmp_path, env, "ci", "github-drift-issue", "--file", "drift.md", "--clean"))
    assert [r.returncode for r in runs] == [0, 0, 0], [r.stderr for r in runs]
    assert [r.stdout.split(":")[0] for r in runs] == [
        "Created the drift issue #8",
        "Updated the drift issue #8",
        "Closed the drift issue #8",
    ]
    (issue,) = fake.issues
    assert issue["state"] == "closed"
    assert fake.comments[8][0]["body"].startswith("<!-- dactl-drift -->\n### dactl drift\n\n**No")


def test_the_merge_request_note_is_created_then_updated(tmp_path: Path) -> None:
    fake = FakeGitLab(token=GITLAB_TOKEN)
    (tmp_path / "plan.md").write_text("### dactl plan\n\n**Plan: 1 to create.**\n")
    with fake.serve() as url:
        env = gitlab_env(CI_API_V4_URL=url)
        runs = [dactl(tmp_path, env, "ci", "gitlab-note", "--file", "plan.md") for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], [r.stderr for r in runs]
    assert runs[0].stdout.startswith("Created the plan note: https://gitlab.example/")
    assert runs[1].stdout.startswith("Updated the plan note: https://gitlab.example/")
    assert len(fake.notes[3]) == 1
    assert [w[0] for w in fake.writes()] == ["POST", "PUT"]


def test_a_refusal_is_one_line_exit_1_and_no_token(
    tmp_path: Path, github: tuple[FakeGitHub, dict[str, str]]
) -> None:
    fake, env = github
    fake.refuse["POST"] = 403
    (tmp_path / "plan.md").write_text("plan")
    result = dactl(tmp_path, env, "ci", "github-comment", "--file", "plan.md")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        "Error: GitHub answered POST repos/acme/actions/issues/7/comments with HTTP 403"
    )
    assert result.stderr.count("\n") == 1 and GITHUB_TOKEN not in result.stderr


def test_a_plan_of_the_sandbox_becomes_the_pull_request_comment(
    cli: Cli, github: tuple[FakeGitHub, dict[str, str]]
) -> None:
    """The pull-request job's steps: plan (Markdown, saved plan), show it in the log, post."""
    fake, env = github
    plan = cli.run("plan", "actions", "--format", "markdown", "--out", "plan.json")
    assert plan.returncode == 0, plan.stderr
    (cli.cwd / "plan.md").write_text(plan.stdout)
    shown = cli.run("show", "plan.json")
    assert shown.returncode == 0, shown.stderr
    posted = dactl(cli.cwd, env, "ci", "github-comment", "--file", "plan.md")
    assert posted.returncode == 0, posted.stderr
    (only,) = fake.comments[7]
    assert only["body"] == (
        "<!-- dactl-plan -->\n"
        + plan.stdout.rstrip("\n")
        + "\n\n<sub>Commit `0123456` · The full plan is in the log and artifacts of "
        "[this run](https://github.example/acme/actions/actions/runs/4242).</sub>\n"
    )
    assert "to create" in only["body"]
