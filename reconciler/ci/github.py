"""GitHub: one sticky pull-request comment, and one drift issue, through the REST API.

The job tells everything through its standard variables: ``GITHUB_TOKEN`` (the workflow
hands ``${{ github.token }}`` to the step), ``GITHUB_REPOSITORY``, ``GITHUB_EVENT_PATH``
(the pull request's number and head commit), ``GITHUB_API_URL`` (GitHub Enterprise's),
``GITHUB_SERVER_URL`` and ``GITHUB_RUN_ID`` (the link to the run). A comment is found
again by the hidden marker its body starts with; the drift issue by its label and marker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.ci.body import GITHUB_LIMIT, compose
from reconciler.ci.rest import Posted, RestClient
from reconciler.errors import CiError
from reconciler.jsonsafe import loads

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SHA = re.compile(r"^[0-9a-f]{7,64}$")
HINTS = {
    401: "the token was refused (GITHUB_TOKEN expired or is not a token)",
    403: "the token may not do this: give the job `permissions: pull-requests: write` (the "
    "drift issue needs `issues: write`); pull requests from forks get a read-only token",
    404: "not found: check GITHUB_REPOSITORY and the number (a token that cannot see a "
    "private repository gets 404 too)",
}


@dataclass(frozen=True)
class GitHubJob:
    """What the job's variables say: where the API is, the token, the repository, the run."""

    api_url: str
    api_source: str
    token: str
    repository: str
    run_url: str | None
    event: Mapping[str, Any]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitHubJob:
        """``CiError`` naming the first variable that is missing or malformed."""
        token = env.get("GITHUB_TOKEN", "").strip()
        if not token:
            raise CiError(
                "GITHUB_TOKEN is not set: give the step the job's token "
                "(env: GITHUB_TOKEN: ${{ github.token }})"
            )
        repository = env.get("GITHUB_REPOSITORY", "").strip()
        if not _REPOSITORY.match(repository):
            raise CiError("GITHUB_REPOSITORY is not set to OWNER/NAME: run this in a GitHub job")
        api_url = env.get("GITHUB_API_URL", "").strip()
        server, run_id = env.get("GITHUB_SERVER_URL", "").strip(), env.get("GITHUB_RUN_ID", "")
        run_url = f"{server}/{repository}/actions/runs/{run_id}" if server and run_id else None
        return cls(
            api_url=api_url or DEFAULT_API_URL,
            api_source="GITHUB_API_URL" if api_url else "the default API URL",
            token=token,
            repository=repository,
            run_url=run_url,
            event=_event(env.get("GITHUB_EVENT_PATH", "").strip()),
        )

    def client(self, *, hints: Mapping[int, str] = HINTS, **kwargs: Any) -> RestClient:
        return RestClient(
            "GitHub",
            self.api_url,
            source=self.api_source,
            token=self.token,
            headers={
                "Authorization": f"Bearer {self.token}",
                "X-GitHub-Api-Version": API_VERSION,
            },
            hints=hints,
            **kwargs,
        )

    def pull_request(self) -> int:
        """The number of the pull request the event is about."""
        pull = self.event.get("pull_request")
        issue = self.event.get("issue")
        for number in (
            pull.get("number") if isinstance(pull, dict) else None,
            issue.get("number") if isinstance(issue, dict) and "pull_request" in issue else None,
        ):
            if isinstance(number, int) and not isinstance(number, bool) and number > 0:
                return number
        raise CiError(
            "no pull request number: the event (GITHUB_EVENT_PATH) is not about a pull "
            "request; run on pull_request events, or pass --pr N"
        )

    def head_sha(self) -> str | None:
        """The pull request's head commit (GITHUB_SHA is a merge commit on pull_request)."""
        pull = self.event.get("pull_request")
        head = pull.get("head") if isinstance(pull, dict) else None
        sha = head.get("sha") if isinstance(head, dict) else None
        return sha if isinstance(sha, str) and _SHA.match(sha) else None

    def footer(self, kind: str, sha: str | None = None) -> str:
        """Where the whole ``kind`` (plan, report) is: the log and artifacts of this run."""
        commit = f"Commit `{sha[:7]}` · " if sha else ""
        where = f"[this run]({self.run_url})" if self.run_url else "the CI run"
        return f"<sub>{commit}The full {kind} is in the log and artifacts of {where}.</sub>"


def _event(path: str) -> Mapping[str, Any]:
    if not path:
        return {}
    try:
        event = loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise CiError(f"cannot read the event file GITHUB_EVENT_PATH ({path})") from None
    return event if isinstance(event, dict) else {}


def upsert_comment(
    client: RestClient, repository: str, number: int, marker: str, body: str
) -> Posted:
    """Update the comment of ``number`` whose body starts with ``marker``, else create it."""
    collection = f"repos/{repository}/issues/{number}/comments"
    existing = next(_marked(client.pages(collection, {}), marker), None)
    if existing is not None:
        path = f"repos/{repository}/issues/comments/{existing['id']}"
        answer = client.send("PATCH", path, {"body": body})
        return Posted("updated", "plan comment", _html_url(answer))
    answer = client.send("POST", collection, {"body": body})
    return Posted("created", "plan comment", _html_url(answer))


def sync_drift_issue(
    client: RestClient,
    repository: str,
    *,
    drifted: bool,
    marker: str,
    label: str,
    title: str,
    body: str,
) -> Posted:
    """Drift: update the open issue (labelled ``label``, body starting with ``marker``), or
    open one. Clean: close every such issue with ``body`` as the closing comment."""
    listing = client.pages(f"repos/{repository}/issues", {"state": "open", "labels": label})
    issues = sorted(
        (i for i in _marked(listing, marker, "number") if "pull_request" not in i),
        key=lambda issue: issue["number"],
    )
    if drifted and issues:
        number = issues[0]["number"]
        answer = client.send(
            "PATCH", f"repos/{repository}/issues/{number}", {"title": title, "body": body}
        )
        return Posted("updated", f"drift issue #{number}", _html_url(answer))
    if drifted:
        new = {"title": title, "body": body, "labels": [label]}
        answer = client.send("POST", f"repos/{repository}/issues", new)
        number = answer.get("number") if isinstance(answer, dict) else None
        what = f"drift issue #{number}" if type(number) is int else "drift issue"
        return Posted("created", what, _html_url(answer))
    if not issues:
        return Posted("none", "drift issue")
    for issue in issues:
        path = f"repos/{repository}/issues/{issue['number']}"
        client.send("POST", f"{path}/comments", {"body": body})
        answer = client.send("PATCH", path, {"state": "closed", "state_reason": "completed"})
    numbers = ", ".join(f"#{issue['number']}" for issue in issues)
    plural = "s" if len(issues) > 1 else ""
    return Posted("closed", f"drift issue{plural} {numbers}", _html_url(answer))


def _marked(
    items: Iterator[dict[str, Any]], marker: str, key: str = "id"
) -> Iterator[dict[str, Any]]:
    """The items whose body starts with ``marker`` and whose ``key`` is an integer."""
    for item in items:
        body, ident = item.get("body"), item.get(key)
        if isinstance(body, str) and body.startswith(marker) and type(ident) is int:
            yield item


def _html_url(answer: Any) -> str | None:
    url = answer.get("html_url") if isinstance(answer, dict) else None
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


def comment_body(marker: str, text: str, footer: str) -> str:
    """A comment or issue body that GitHub accepts: at most 65,536 characters."""
    return compose(marker, text, footer, limit=GITHUB_LIMIT)
