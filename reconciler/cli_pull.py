"""``dactl pull``: write what was changed in the org outside git back into the action files,
for a reviewed pull request."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.cli_support import (
    ORG_EPILOG,
    chosen_environment,
    complete_action_names,
    connection_options,
    fetch_progress,
    handle_errors,
    output_options,
    print_note,
    use_color,
)
from reconciler.exitcodes import ExitCode


@click.command(epilog=ORG_EPILOG)
@click.argument("directory", default="actions", type=click.Path(path_type=Path))
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="NAME",
    shell_complete=complete_action_names,
    help="Pull only the action with this name (repeatable).",
)
@click.option(
    "--unmanaged",
    is_flag=True,
    help="Also add a file for each live action in scope that no file claims (as `dactl "
    "export --unmanaged` does).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing: report, and exit, as if the files had been written.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "markdown", "json")),
    default="text",
    show_default=True,
    help="Output format: terminal text, Markdown (a pull request's body), or versioned JSON.",
)
@connection_options
@output_options
@handle_errors
def pull(
    directory: Path,
    targets: tuple[str, ...],
    unmanaged: bool,
    check: bool,
    fmt: str,
    env: str | None,
    refresh: bool,
    api_url: str | None,
    region: str | None,
    concurrency: int,
) -> None:
    """Write changes made in the org outside git into the action files.

    For each action of DIRECTORY (default: actions/) that was changed in the org, rewrite
    its file to describe the live action, keeping comments and layout; with --unmanaged,
    add files for the org's actions that have none. Missing actions are reported, never
    deleted; ignored fields are not pulled. Nothing is written unless every file can be.
    Exit 0 nothing to pull, 2 files changed (with --check: would change)."""
    from reconciler.orchestrator import Connection, Orchestrator
    from reconciler.pull import prepare_pull, write_pull
    from reconciler.render.pull import render_pull

    connection = Connection(api_url, region, concurrency, *chosen_environment(env))
    orchestrator = Orchestrator(directory, connection, refresh=refresh, on_note=print_note)
    with fetch_progress(orchestrator):
        # Pulling writes files only, so it breaks no flow: no consumers are asked for.
        result = orchestrator.plan(targets=list(targets) or None, prune=True, impact=_never)
    report = prepare_pull(
        result.report,
        result.live,
        result.plan,
        directory=directory,
        unmanaged=unmanaged,
        check=check,
    )
    write_pull(report)
    click.echo(render_pull(fmt, report, color=use_color(), org=result.organization), nl=False)
    sys.exit(ExitCode.CHANGES if report.pulled else ExitCode.OK)


def _never(_change: object) -> bool:
    return False
