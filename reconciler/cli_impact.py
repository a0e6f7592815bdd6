"""``dactl usages``: the flows that use one action (Architect dependency tracking)."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli_support import (
    ORG_EPILOG,
    chosen_environment,
    complete_action_names,
    handle_errors,
    lookup_connection_options,
    print_note,
    verbose_option,
)
from reconciler.render import formats, render


@click.command(epilog=ORG_EPILOG)
@click.argument("name", shell_complete=complete_action_names)
@click.argument("directory", default="actions", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(formats("usages")),
    default="text",
    show_default=True,
    help="Output format.",
)
@lookup_connection_options
@verbose_option
@handle_errors
def usages(
    name: str,
    directory: Path,
    fmt: str,
    env: str | None,
    refresh: bool,
    api_url: str | None,
    region: str | None,
) -> None:
    """List the flows that use one action.

    Reads Architect dependency tracking for the live action NAME in the scope of
    DIRECTORY/dactl.yaml (default: actions/), and says when that data lags behind the
    flows. Needs the permission architect:dependencyTracking:view. Exit 0, or 1 when
    there is no such action or its users cannot be read."""
    from reconciler.orchestrator import Connection, Orchestrator

    connection = Connection(api_url, region, 8, *chosen_environment(env))
    orchestrator = Orchestrator(directory, connection, refresh=refresh, on_note=print_note)
    click.echo(render("usages", fmt, orchestrator.usages(name)), nl=False)
