"""The sticky pull-request comment and the drift issue, against an in-process fake GitHub."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.ci import github
from reconciler.ci.body import marker_line
from reconciler.ci.github import GitHubJob, comment_body, sync_drift_issue, upsert_comment
from reconciler.errors import CiError
from tests.fakes.ci_api import GITHUB_TOKEN, FakeGitHub, github_env

PLAN = marker_line("dactl-plan")
DRIFT = marker_line("dactl-drift")


def job(tmp_path: Path, fake: FakeGitHub, **extra: str) -> GitHubJob:
    return GitHubJob.from_env(github_env(tmp_path, **extra))


def comment(tmp_path: Path, fake: FakeGitHub, text: str) -> str:
    j = job(tmp_path, fake)
    with j.client(transport=fake.transport()) as client:
        return str(upsert_comment(client, j.repository, 7, PLAN, comment_body(PLAN, text, "")))


def test_the_first_run_creates_the_comment_and_the_next_updates_it(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    first = comment(tmp_path, fake_github, "### dactl plan\n\n**Plan: 1 to create**")
    assert first.startswith("Created the plan comment: https://github.example/acme/actions/pull/7")
    second = comment(tmp_path, fake_github, "### dactl plan\n\n**Plan: 2 to create**")
    assert second.startswith("Updated the plan comment:")
    (only,) = fake_github.comments[7]
    assert only["body"] == f"{PLAN}\n### dactl plan\n\n**Plan: 2 to create**\n"
    assert fake_github.writes() == [
        ("POST", "/repos/acme/actions/issues/7/comments"),
        ("PATCH", f"/repos/acme/actions/issues/comments/{only['id']}"),
    ]
    request = fake_github.requests[0]
    assert request.headers["authorization"] == f"Bearer {GITHUB_TOKEN}"
    assert request.headers["x-github-api-version"] == github.API_VERSION
    assert request.headers["user-agent"].startswith("dactl/")


def test_other_comments_and_quotes_of_the_marker_are_left_alone(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    fake_github.comments[7] = [
        {"id": 1, "body": "LGTM"},
        {"id": 2, "body": f"> {PLAN}\n> quoted by a reviewer"},
        {"id": 3, "body": None},
    ]
    assert comment(tmp_path, fake_github, "plan").startswith("Created")
    assert [c["id"] for c in fake_github.comments[7]][:3] == [1, 2, 3]
    assert fake_github.comments[7][1]["body"].startswith("> ")


def test_a_comment_on_a_later_page_is_found(tmp_path: Path, fake_github: FakeGitHub) -> None:
    fake_github.comments[7] = [{"id": i, "body": f"chatter {i}"} for i in range(1, 151)]
    fake_github.comments[7].append({"id": 999, "body": f"{PLAN}\nold plan"})
    assert comment(tmp_path, fake_github, "new plan").startswith("Updated")
    assert fake_github.comments[7][-1]["body"].startswith(f"{PLAN}\nnew plan")
    pages = [r.query["page"] for r in fake_github.requests if r.method == "GET"]
    assert pages == ["1", "2"]


def drift(tmp_path: Path, fake: FakeGitHub, drifted: bool, text: str = "report") -> str:
    j = job(tmp_path, fake)
    with j.client(transport=fake.transport()) as client:
        return str(
            sync_drift_issue(
                client,
                j.repository,
                drifted=drifted,
                marker=DRIFT,
                label="dactl-drift",
                title="dactl drift: the org differs from git",
                body=comment_body(DRIFT, text, j.footer("report")),
            )
        )


def test_drift_opens_one_issue_updates_it_then_closes_it_when_clean(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    assert drift(tmp_path, fake_github, True, "1 changed") == (
        "Created the drift issue #8: https://github.example/acme/actions/issues/8"
    )
    assert drift(tmp_path, fake_github, True, "2 changed").startswith("Updated the drift issue #8:")
    (issue,) = fake_github.issues
    assert issue["body"].startswith(f"{DRIFT}\n2 changed\n")
    assert "[this run](https://github.example/acme/actions/actions/runs/4242)" in issue["body"]
    assert [label["name"] for label in issue["labels"]] == ["dactl-drift"]
    assert drift(tmp_path, fake_github, False, "No drift").startswith("Closed the drift issue #8:")
    assert issue["state"] == "closed" and issue["state_reason"] == "completed"
    assert fake_github.comments[8][0]["body"].startswith(f"{DRIFT}\nNo drift")
    assert drift(tmp_path, fake_github, False) == "No drift issue to close: the org matches git."
    # drift again after it was closed: a new issue, the closed one stays closed
    assert drift(tmp_path, fake_github, True).startswith("Created the drift issue #9")
    assert len(fake_github.open_issues()) == 1


def test_drift_issue_search_skips_pull_requests_and_unmarked_issues(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    labelled = {"labels": [{"name": "dactl-drift"}], "state": "open", "html_url": "x"}
    fake_github.issues = [
        {"number": 20, "id": 1, "title": "t", "body": "someone's note", **labelled},
        {"number": 21, "id": 2, "title": "t", "body": f"{DRIFT}\n", "pull_request": {}, **labelled},
        {"number": 23, "id": 3, "title": "t", "body": f"{DRIFT}\nold", **labelled},
        {"number": 22, "id": 4, "title": "t", "body": f"{DRIFT}\nolder", **labelled},
    ]
    assert drift(tmp_path, fake_github, True).startswith("Updated the drift issue #22")
    assert drift(tmp_path, fake_github, False).startswith("Closed the drift issues #22, #23")
    assert {i["number"] for i in fake_github.open_issues()} == {20, 21}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GITHUB_TOKEN": ""}, "GITHUB_TOKEN is not set: give the step the job's token"),
        ({"GITHUB_REPOSITORY": "acme"}, "GITHUB_REPOSITORY is not set to OWNER/NAME"),
        ({"GITHUB_REPOSITORY": "acme/a/../b"}, "GITHUB_REPOSITORY is not set to OWNER/NAME"),
        ({"GITHUB_EVENT_PATH": "/nonexistent/event.json"}, "cannot read the event file"),
    ],
)
def test_missing_or_bad_variables_are_one_clear_error(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(CiError, match=message) as info:
        GitHubJob.from_env(github_env(tmp_path, **env))
    assert GITHUB_TOKEN not in str(info.value)


def test_the_pull_request_and_its_head_come_from_the_event(tmp_path: Path) -> None:
    event = tmp_path / "issue.json"
    j = GitHubJob.from_env(github_env(tmp_path))
    assert j.pull_request() == 7
    assert j.head_sha() == "0123456789abcdef" * 2
    assert j.api_url == github.DEFAULT_API_URL
    assert j.footer("plan", j.head_sha()) == (
        "<sub>Commit `0123456` · The full plan is in the log and artifacts of "
        "[this run](https://github.example/acme/actions/actions/runs/4242).</sub>"
    )
    event.write_text('{"issue": {"number": 12, "pull_request": {}}}')
    on_issue = GitHubJob.from_env(github_env(tmp_path, GITHUB_EVENT_PATH=str(event)))
    assert on_issue.pull_request() == 12
    event.write_text('{"issue": {"number": 12}, "pull_request": {"number": true}}')
    j = GitHubJob.from_env(github_env(tmp_path, GITHUB_EVENT_PATH=str(event), GITHUB_RUN_ID=""))
    with pytest.raises(CiError, match=r"not about a pull request; .* or pass --pr N"):
        j.pull_request()
    assert j.head_sha() is None
    assert j.footer("report") == (
        "<sub>The full report is in the log and artifacts of the CI run.</sub>"
    )
    event.write_text("[1, 2]")
    no_event = GitHubJob.from_env(github_env(tmp_path, GITHUB_EVENT_PATH=str(event)))
    assert no_event.event == {}
    assert GitHubJob.from_env(github_env(tmp_path, GITHUB_EVENT_PATH="")).event == {}


def test_an_enterprise_api_url_is_used(tmp_path: Path, fake_github: FakeGitHub) -> None:
    j = job(tmp_path, fake_github, GITHUB_API_URL="https://ghe.example/api/v3")
    assert j.api_url == "https://ghe.example/api/v3"
    with (
        j.client(transport=fake_github.transport()) as client,
        pytest.raises(CiError, match="404 Not Found"),
    ):
        upsert_comment(client, j.repository, 7, PLAN, "x")
    assert fake_github.requests[0].path == "/api/v3/repos/acme/actions/issues/7/comments"


def test_a_refusal_names_the_call_and_what_to_do(tmp_path: Path, fake_github: FakeGitHub) -> None:
    fake_github.refuse["POST"] = 403
    with pytest.raises(CiError) as info:
        comment(tmp_path, fake_github, "plan")
    assert str(info.value) == (
        "GitHub answered POST repos/acme/actions/issues/7/comments with HTTP 403 Forbidden "
        "(Resource not accessible by integration): the token may not do this: give the job "
        "`permissions: pull-requests: write` (the drift issue needs `issues: write`); pull "
        "requests from forks get a read-only token"
    )


def test_a_wrong_token_is_refused_without_showing_it(tmp_path: Path) -> None:
    fake = FakeGitHub(token="another-token-entirely")
    with pytest.raises(CiError, match="HTTP 401 Unauthorized \\(Bad credentials\\)") as info:
        comment(tmp_path, fake, "plan")
    assert GITHUB_TOKEN not in str(info.value)
