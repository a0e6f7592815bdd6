"""The ``dactl`` command line. Commands parse flags, call the orchestrator, render, map errors."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler import __version__
from reconciler.errors import DactlError, ValidationError
from reconciler.sandbox.command import sandbox

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Expected errors become one line on stderr and exit code 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            click.echo(
                f"Error: the desired state is invalid ({exc}); run `dactl validate`.", err=True
            )
            sys.exit(1)
        except DactlError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dactl")
def main() -> None:
    """Manage Genesys Cloud data actions as code."""


@main.command()
@click.argument("directory", default="actions", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@handle_errors
def validate(directory: Path, fmt: str) -> None:
    """Check DIRECTORY (default: actions/), or one action file, against the schemas and lint
    rules. No network; exit 1 when any error is found."""
    from reconciler.render.problems import render_json, render_text
    from reconciler.validate import validate_tree

    report = validate_tree(directory)
    click.echo(render_json(report) if fmt == "json" else render_text(report), nl=False)
    if not report.ok:
        sys.exit(1)


@main.command()
@click.argument("directory", default="actions", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Save the plan to FILE (JSON) for a later `dactl apply FILE`.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there is nothing to do, 2 when there are changes, 1 on error.",
)
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="NAME",
    help="Plan only the action with this name (repeatable).",
)
@click.option("--refresh", is_flag=True, help="Ignore the local cache of live actions.")
@click.option("--api-url", envvar="GENESYSCLOUD_API_URL", help="Full API base URL (sandbox).")
@click.option(
    "--region",
    envvar="GENESYSCLOUD_REGION",
    help="Region key (us-east-1) or domain (mypurecloud.ie).",
)
@click.option(
    "--concurrency",
    default=8,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Requests in flight at once.",
)
@handle_errors
def plan(
    directory: Path,
    out: Path | None,
    fmt: str,
    detailed_exitcode: bool,
    targets: tuple[str, ...],
    refresh: bool,
    api_url: str | None,
    region: str | None,
    concurrency: int,
) -> None:
    """Show what would change in the org to match DIRECTORY (default: actions/). Read-only."""
    from reconciler.orchestrator import Connection, Orchestrator, save_plan
    from reconciler.render.plan import render_json, render_markdown, render_text

    orchestrator = Orchestrator(
        directory, Connection(api_url, region, concurrency), refresh=refresh
    )
    with _progress(orchestrator):
        result = orchestrator.plan(targets=list(targets) or None)
    if fmt == "json":
        text = render_json(result.plan)
    elif fmt == "markdown":
        text = render_markdown(result.plan)
    else:
        text = render_text(result.plan, color=sys.stdout.isatty())
    click.echo(text, nl=False)
    if out is not None:
        save_plan(result.plan, out)
        click.echo(f"Saved the plan to {out}; apply it with `dactl apply {out}`.", err=True)
    if detailed_exitcode and not result.plan.empty:
        sys.exit(2)


class _progress:
    """A progress bar on stderr while live actions are fetched, only when stderr is a TTY."""

    def __init__(self, orchestrator: Any) -> None:
        self.orchestrator = orchestrator
        self.bar: Any = None

    def __enter__(self) -> _progress:
        if sys.stderr.isatty():
            self.orchestrator.on_total = self._start
            self.orchestrator.on_progress = lambda n: self.bar.update(n) if self.bar else None
        return self

    def _start(self, total: int) -> None:
        if total:
            self.bar = click.progressbar(
                length=total, label="Fetching live actions", file=sys.stderr
            )
            self.bar.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


main.add_command(sandbox)
