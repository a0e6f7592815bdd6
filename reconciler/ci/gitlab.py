"""GitLab: one sticky merge-request note, through the REST API (v4).

The job's predefined variables say where: ``CI_API_V4_URL``, ``CI_PROJECT_ID``,
``CI_MERGE_REQUEST_IID`` (set in merge request pipelines only), ``CI_JOB_URL``. The job
token cannot write notes, so the token is a project (or personal) access token with the
``api`` scope, in a masked CI/CD variable (``DACTL_GITLAB_TOKEN`` unless told otherwise),
sent as ``PRIVATE-TOKEN``. A note is found again by the hidden marker its body starts with.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.ci.body import GITLAB_LIMIT, compose
from reconciler.ci.rest import Posted, RestClient
from reconciler.errors import CiError

TOKEN_VARIABLE = "DACTL_GITLAB_TOKEN"
_DIGITS = re.compile(r"^[1-9][0-9]{0,18}$")
_SHA = re.compile(r"^[0-9a-f]{7,64}$")
HINTS = {
    401: "the token was refused (expired, revoked, or not an access token)",
    403: "the token may not write notes: use a project access token with the api scope "
    "and at least the Reporter role",
    404: "not found: check CI_PROJECT_ID and CI_MERGE_REQUEST_IID (a token that cannot "
    "see the project gets 404 too)",
}


@dataclass(frozen=True)
class GitLabJob:
    """What the job's variables say: the API, the token, the project and merge request."""

    api_url: str
    token: str
    project: str
    merge_request: int
    job_url: str | None
    merge_request_url: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str], token_variable: str = TOKEN_VARIABLE) -> GitLabJob:
        """``CiError`` naming the first variable that is missing or malformed."""
        token = env.get(token_variable, "").strip()
        if not token:
            raise CiError(
                f"{token_variable} is not set: add a masked CI/CD variable holding a project "
                "access token with the api scope (the job token cannot write notes)"
            )
        api_url = env.get("CI_API_V4_URL", "").strip()
        if not api_url:
            raise CiError("CI_API_V4_URL is not set: run this in a GitLab CI job")
        project = env.get("CI_PROJECT_ID", "").strip()
        if not _DIGITS.match(project):
            raise CiError("CI_PROJECT_ID is not set to a project id: run this in a GitLab CI job")
        iid = env.get("CI_MERGE_REQUEST_IID", "").strip()
        if not _DIGITS.match(iid):
            raise CiError(
                "CI_MERGE_REQUEST_IID is not set: run this job in merge request pipelines "
                '(rules: - if: $CI_PIPELINE_SOURCE == "merge_request_event")'
            )
        project_url = env.get("CI_MERGE_REQUEST_PROJECT_URL", "").strip()
        return cls(
            api_url=api_url,
            token=token,
            project=project,
            merge_request=int(iid),
            job_url=env.get("CI_JOB_URL", "").strip() or None,
            merge_request_url=f"{project_url}/-/merge_requests/{iid}" if project_url else None,
        )

    def client(self, **kwargs: Any) -> RestClient:
        return RestClient(
            "GitLab",
            self.api_url,
            source="CI_API_V4_URL",
            token=self.token,
            headers={"PRIVATE-TOKEN": self.token},
            hints=HINTS,
            **kwargs,
        )

    def footer(self, kind: str, sha: str | None = None) -> str:
        """Where the whole ``kind`` is: the log and artifacts of this job."""
        commit = f"Commit `{sha[:7]}` · " if sha and _SHA.match(sha) else ""
        where = f"[this job]({self.job_url})" if self.job_url else "the CI job"
        return f"<sub>{commit}The full {kind} is in the log and artifacts of {where}.</sub>"


def upsert_note(job: GitLabJob, client: RestClient, marker: str, body: str) -> Posted:
    """Update the merge request's note whose body starts with ``marker``, else create it."""
    collection = f"projects/{job.project}/merge_requests/{job.merge_request}/notes"
    notes = client.pages(collection, {"sort": "asc", "order_by": "created_at"})
    existing = next(
        (
            note
            for note in notes
            if not note.get("system")
            and type(note.get("id")) is int
            and isinstance(note.get("body"), str)
            and note["body"].startswith(marker)
        ),
        None,
    )
    if existing is not None:
        answer = client.send("PUT", f"{collection}/{existing['id']}", {"body": body})
        verb = "updated"
    else:
        answer = client.send("POST", collection, {"body": body})
        verb = "created"
    note_id = answer.get("id") if isinstance(answer, dict) else None
    url = (
        f"{job.merge_request_url}#note_{note_id}"
        if job.merge_request_url and type(note_id) is int
        else None
    )
    return Posted(verb, "plan note", url)


def note_body(marker: str, text: str, footer: str) -> str:
    """A note body under GitLab's cap of 1,000,000 characters."""
    return compose(marker, text, footer, limit=GITLAB_LIMIT)
