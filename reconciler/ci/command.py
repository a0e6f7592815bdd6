"""``dactl ci``: the steps of the CI kit that talk to GitHub or GitLab.

Each reads the Markdown that ``dactl plan`` or ``dactl drift`` wrote, and the job's
standard variables, and writes one comment, note or issue, updated in place on the next
run. The token is never printed; a missing variable or a refusal is one ``Error:`` line,
exit 1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from reconciler.ci.body import marker_line
from reconciler.cli_support import handle_errors, output_options
from reconciler.errors import CiError

if TYPE_CHECKING:
    import httpx

F = TypeVar("F", bound=Callable[..., Any])

# Tests put a fake API here (httpx.MockTransport); None is the network.
TRANSPORT: httpx.BaseTransport | None = None
# gitlab.TOKEN_VARIABLE: the REST modules (and httpx) are imported when a command runs,
# not when any dactl command starts.
GITLAB_TOKEN_VARIABLE = "DACTL_GITLAB_TOKEN"

_FILE = click.option(
    "--file",
    "path",
    required=True,
    type=click.Path(path_type=Path),  # read here: any problem is one Error: line
    metavar="FILE.md",
    help="The Markdown to post (from --format markdown), or - for standard input.",
)


def _marker(default: str) -> Callable[[F], F]:
    return click.option(
        "--marker",
        default=default,
        show_default=True,
        help="The hidden mark (<!-- MARKER -->) that finds the same one again on the next "
        "run; one per marker, so two plans in one pull request need two markers.",
    )


@click.group(name="ci")
def ci() -> None:
    """Post plans, drift and pulls from CI jobs to GitHub or GitLab."""


@ci.command(name="github-comment")
@_FILE
@click.option(
    "--pr",
    "number",
    type=click.IntRange(min=1),
    help="The pull request (default: the one of the event, from GITHUB_EVENT_PATH).",
)
@_marker("dactl-plan")
@output_options
@handle_errors
def github_comment(path: Path, number: int | None, marker: str) -> None:
    """Put FILE.md in the pull request's plan comment: updated in place, created the first
    time. Reads GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH, GITHUB_API_URL."""
    from reconciler.ci import github

    mark = marker_line(marker)
    text = read_markdown(path)
    job = github.GitHubJob.from_env(os.environ)
    pull = number or job.pull_request()
    body = github.comment_body(mark, text, job.footer("plan", job.head_sha()))
    with job.client(transport=TRANSPORT) as client:
        posted = github.upsert_comment(client, job.repository, pull, mark, body)
    click.echo(str(posted))


@ci.command(name="github-drift-issue")
@_FILE
@click.option(
    "--drifted/--clean",
    default=None,
    help="What `dactl drift` found (exit 2 / exit 0): open or update the issue, or close it.",
)
@click.option("--label", default="dactl-drift", show_default=True, help="The issue's label.")
@click.option(
    "--title",
    default="dactl drift: the org differs from git",
    show_default=True,
    help="The issue's title.",
)
@_marker("dactl-drift")
@output_options
@handle_errors
def github_drift_issue(
    path: Path, drifted: bool | None, label: str, title: str, marker: str
) -> None:
    """Keep one open issue with the drift report FILE.md: opened on drift, updated on
    every run that finds drift, closed (FILE.md as its last comment) when clean. Reads
    GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL."""
    from reconciler.ci import github

    if drifted is None:
        raise CiError("say what drift found: --drifted (exit 2) or --clean (exit 0)")
    if not label.strip() or "," in label:
        raise CiError("--label: one label, not empty, without commas")
    mark = marker_line(marker)
    text = read_markdown(path)
    job = github.GitHubJob.from_env(os.environ)
    body = github.comment_body(mark, text, job.footer("report"))
    with job.client(transport=TRANSPORT) as client:
        posted = github.sync_drift_issue(
            client,
            job.repository,
            drifted=drifted,
            marker=mark,
            label=label.strip(),
            title=title.strip() or "dactl drift",
            body=body,
        )
    click.echo(str(posted))


@ci.command(name="github-pull-request")
@_FILE
@click.option(
    "--branch",
    required=True,
    metavar="BRANCH",
    help="The branch the pull request is from: where the job pushed what `dactl pull` wrote.",
)
@click.option(
    "--base",
    envvar="GITHUB_REF_NAME",
    metavar="BRANCH",
    help="The branch it goes into (default: the job's branch, GITHUB_REF_NAME).",
)
@click.option(
    "--changed/--clean",
    default=None,
    help="What `dactl pull` found: files changed (exit 2), or nothing to pull (exit 0).",
)
@click.option(
    "--title",
    default="dactl pull: accept the changes made in the org",
    show_default=True,
    help="The pull request's title.",
)
@_marker("dactl-pull")
@output_options
@handle_errors
def github_pull_request(
    path: Path, branch: str, base: str | None, changed: bool | None, title: str, marker: str
) -> None:
    """Keep one pull request from BRANCH with the pull report FILE.md as its body: opened
    when `dactl pull` changed files, updated by every run that does, closed (FILE.md as
    its last comment) when there is nothing to pull. Reads GITHUB_TOKEN,
    GITHUB_REPOSITORY, GITHUB_API_URL."""
    from reconciler.ci import github, github_pulls

    if changed is None:
        raise CiError("say what pull found: --changed (exit 2) or --clean (exit 0)")
    base = github_pulls.check_branches(branch.strip(), (base or "").strip() or None)
    mark = marker_line(marker)
    text = read_markdown(path)
    job = github.GitHubJob.from_env(os.environ)
    body = github.comment_body(mark, text, job.footer("report"))
    with job.client(hints=github_pulls.PULL_HINTS, transport=TRANSPORT) as client:
        posted = github_pulls.sync_pull_request(
            client,
            job.repository,
            changed=changed,
            branch=branch.strip(),
            base=base,
            title=title.strip() or github_pulls.DEFAULT_TITLE,
            body=body,
        )
    click.echo(str(posted))


@ci.command(name="gitlab-note")
@_FILE
@click.option(
    "--token-variable",
    default=GITLAB_TOKEN_VARIABLE,
    show_default=True,
    metavar="NAME",
    help="The CI/CD variable that holds an access token with the api scope.",
)
@_marker("dactl-plan")
@output_options
@handle_errors
def gitlab_note(path: Path, token_variable: str, marker: str) -> None:
    """Put FILE.md in the merge request's plan note: updated in place, created the first
    time. Reads CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID and the token."""
    from reconciler.ci import gitlab

    mark = marker_line(marker)
    text = read_markdown(path)
    job = gitlab.GitLabJob.from_env(os.environ, token_variable)
    body = gitlab.note_body(mark, text, job.footer("plan", os.environ.get("CI_COMMIT_SHA")))
    with job.client(transport=TRANSPORT) as client:
        posted = gitlab.upsert_note(job, client, mark, body)
    click.echo(str(posted))


def read_markdown(path: Path) -> str:
    """The text to post; ``CiError`` when it cannot be read or is empty."""
    name = "standard input" if str(path) == "-" else str(path)
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CiError(f"{name} is not UTF-8 text") from None
    except OSError as exc:
        raise CiError(f"cannot read {name}: {exc.strerror or type(exc).__name__}") from None
    if not text.strip():
        raise CiError(f"{name} is empty: nothing to post (did the command before it fail?)")
    return text
