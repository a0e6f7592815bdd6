"""The sticky merge-request note, against an in-process fake GitLab."""

from __future__ import annotations

import pytest

from reconciler.ci.body import marker_line
from reconciler.ci.gitlab import GitLabJob, note_body, upsert_note
from reconciler.errors import CiError
from tests.fakes.ci_api import GITLAB_TOKEN, FakeGitLab, gitlab_env

PLAN = marker_line("dactl-plan")


def note(fake: FakeGitLab, text: str, **env: str) -> str:
    job = GitLabJob.from_env(gitlab_env(**env))
    body = note_body(PLAN, text, job.footer("plan", "fedcba9876543210"))
    with job.client(transport=fake.transport()) as client:
        return str(upsert_note(job, client, PLAN, body))


def test_the_first_run_creates_the_note_and_the_next_updates_it(fake_gitlab: FakeGitLab) -> None:
    assert note(fake_gitlab, "Plan: 1 to create") == (
        "Created the plan note: https://gitlab.example/acme/actions/-/merge_requests/3#note_501"
    )
    assert note(fake_gitlab, "Plan: 2 to create").startswith("Updated the plan note:")
    (only,) = fake_gitlab.notes[3]
    assert only["body"] == (
        f"{PLAN}\nPlan: 2 to create\n\n<sub>Commit `fedcba9` · The full plan is in the log "
        "and artifacts of [this job](https://gitlab.example/acme/actions/-/jobs/99).</sub>\n"
    )
    assert fake_gitlab.writes() == [
        ("POST", "/api/v4/projects/42/merge_requests/3/notes"),
        ("PUT", "/api/v4/projects/42/merge_requests/3/notes/501"),
    ]
    first = fake_gitlab.requests[0]
    assert first.headers["private-token"] == GITLAB_TOKEN
    assert "authorization" not in first.headers
    assert first.query == {"sort": "asc", "order_by": "created_at", "per_page": "100", "page": "1"}


def test_system_notes_and_others_are_left_alone(fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.notes[3] = [
        {"id": 1, "body": f"{PLAN} mentioned in a system note", "system": True},
        {"id": 2, "body": "looks good", "system": False},
    ]
    assert note(fake_gitlab, "plan", CI_MERGE_REQUEST_PROJECT_URL="").startswith(
        "Created the plan note"
    )
    assert note(fake_gitlab, "plan").endswith("#note_501")
    assert [n["body"] for n in fake_gitlab.notes[3][:2]] == [
        f"{PLAN} mentioned in a system note",
        "looks good",
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DACTL_GITLAB_TOKEN": " "}, "DACTL_GITLAB_TOKEN is not set: add a masked CI/CD"),
        ({"CI_API_V4_URL": ""}, "CI_API_V4_URL is not set"),
        ({"CI_PROJECT_ID": "acme/actions"}, "CI_PROJECT_ID is not set to a project id"),
        ({"CI_MERGE_REQUEST_IID": ""}, "CI_MERGE_REQUEST_IID is not set: run this job in merge"),
    ],
)
def test_missing_variables_are_one_clear_error(env: dict[str, str], message: str) -> None:
    with pytest.raises(CiError, match=message):
        GitLabJob.from_env(gitlab_env(**env))


def test_another_token_variable_and_no_job_url() -> None:
    env = gitlab_env(MY_TOKEN="glpat-other-token-1234", CI_JOB_URL="")
    job = GitLabJob.from_env(env, "MY_TOKEN")
    assert job.token == "glpat-other-token-1234"
    assert job.footer("plan", "not a sha") == (
        "<sub>The full plan is in the log and artifacts of the CI job.</sub>"
    )


def test_a_refusal_says_what_the_token_needs(fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.refuse["POST"] = 403
    with pytest.raises(CiError) as info:
        note(fake_gitlab, "plan")
    assert str(info.value).endswith(
        "HTTP 403 Forbidden (Resource not accessible by integration): the token may not "
        "write notes: use a project access token with the api scope and at least the "
        "Reporter role"
    )
    assert GITLAB_TOKEN not in str(info.value)
