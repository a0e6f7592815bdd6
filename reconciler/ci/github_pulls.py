"""GitHub: the one pull request of the CI kit's ``dactl pull`` recipe, through the REST API.

The workflow runs ``dactl pull``, commits the files it wrote to one branch and pushes it;
this opens the pull request from that branch (``POST /repos/{owner}/{repo}/pulls``), or,
when one is open already (found by its head branch: ``GET .../pulls?head=owner:branch``),
updates its title and body (``PATCH .../pulls/{number}``), the body being the report of
``dactl pull --format markdown``. A run that pulls nothing closes it, its last comment the
report that says why (the org matches git again).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.ci.github import HINTS, _html_url
from reconciler.ci.rest import Posted, RestClient
from reconciler.errors import CiError

DEFAULT_TITLE = "dactl pull: accept the changes made in the org"
PULL_HINTS: Mapping[int, str] = {
    **HINTS,
    403: "the token may not do this: give the job `permissions: contents: write` and "
    "`pull-requests: write`, and allow GitHub Actions to create pull requests (Settings > "
    "Actions > General)",
    422: "GitHub refused the pull request: is the branch pushed, and does it differ from "
    "the base branch?",
}
# git's rules for a branch name, the parts that matter here (no spaces, no "..", no ":").
_BRANCH = re.compile(r"^(?!.*\.\.)(?!/)(?!.*//)[A-Za-z0-9._/-]+(?<![./])$")


def check_branches(branch: str, base: str | None) -> str:
    """The base branch; ``CiError`` for a branch name git or GitHub would refuse, a base
    nobody named, or a pull request from a branch into itself."""
    if not _BRANCH.match(branch):
        raise CiError(f"--branch {branch!r} is not a branch name")
    if not base:
        raise CiError(
            "--base: name the branch the pull request goes into (GITHUB_REF_NAME, which "
            "GitHub sets in a job, is not set)"
        )
    if not _BRANCH.match(base):
        raise CiError(f"--base {base!r} is not a branch name")
    if base == branch:
        raise CiError(f"--branch and --base are both {branch!r}: a pull request needs two")
    return base


def sync_pull_request(
    client: RestClient,
    repository: str,
    *,
    changed: bool,
    branch: str,
    base: str,
    title: str,
    body: str,
) -> Posted:
    """Changed: update the open pull request from ``branch``, or open one into ``base``.
    Clean: close every open one from ``branch``, with ``body`` as its last comment."""
    owner = repository.split("/", 1)[0]
    listing = client.pages(
        f"repos/{repository}/pulls", {"state": "open", "head": f"{owner}:{branch}"}
    )
    pulls = sorted(
        (p for p in listing if type(p.get("number")) is int and _head(p) == branch),
        key=lambda pull: int(pull["number"]),
    )
    if changed and pulls:
        number = pulls[0]["number"]
        answer = client.send(
            "PATCH", f"repos/{repository}/pulls/{number}", {"title": title, "body": body}
        )
        return Posted("updated", f"pull request #{number}", _html_url(answer))
    if changed:
        new = {"title": title, "head": branch, "base": base, "body": body}
        answer = client.send("POST", f"repos/{repository}/pulls", new)
        number = answer.get("number") if isinstance(answer, dict) else None
        what = f"pull request #{number}" if type(number) is int else "pull request"
        return Posted("created", what, _html_url(answer))
    if not pulls:
        return Posted("none", "pull request")
    for pull in pulls:
        number = pull["number"]
        client.send("POST", f"repos/{repository}/issues/{number}/comments", {"body": body})
        answer = client.send("PATCH", f"repos/{repository}/pulls/{number}", {"state": "closed"})
    numbers = ", ".join(f"#{pull['number']}" for pull in pulls)
    plural = "s" if len(pulls) > 1 else ""
    return Posted("closed", f"pull request{plural} {numbers}", _html_url(answer))


def _head(pull: Mapping[str, Any]) -> str | None:
    head = pull.get("head")
    ref = head.get("ref") if isinstance(head, dict) else None
    return ref if isinstance(ref, str) else None
