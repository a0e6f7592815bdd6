"""The commands that show reports: ``dactl drift`` and ``dactl show`` (a saved plan)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.cli_support import (
    ORG_EPILOG,
    color_option,
    connection_options,
    fetch_progress,
    handle_errors,
    output_options,
    print_note,
    report_format,
    use_color,
)
from reconciler.exitcodes import ExitCode
from reconciler.render import WEBHOOK_FORMATS, render


@click.command(epilog=ORG_EPILOG)
@click.argument("directory", default="actions", type=click.Path(path_type=Path))
@report_format
@click.option(
    "--webhook",
    envvar="DACTL_DRIFT_WEBHOOK",
    metavar="URL",
    help="When there is drift, POST a message here (env DACTL_DRIFT_WEBHOOK). The URL is "
    "a secret and is never printed.",
)
@click.option(
    "--webhook-format",
    type=click.Choice(WEBHOOK_FORMATS),
    default="json",
    show_default=True,
    envvar="DACTL_DRIFT_WEBHOOK_FORMAT",
    help="The webhook message: a summary and the report without values (json), Slack "
    "blocks (slack), or a Teams Workflows Adaptive Card (teams).",
)
@connection_options
@output_options
@handle_errors
def drift(
    directory: Path,
    fmt: str,
    webhook: str | None,
    webhook_format: str,
    refresh: bool,
    api_url: str | None,
    region: str | None,
    concurrency: int,
) -> None:
    """Report what changed in the org outside git. Read-only.

    Compares the org with DIRECTORY (default: actions/): actions changed outside git,
    missing from the org, or unmanaged. Exit 0 no drift, 2 drift."""
    from reconciler.orchestrator import Connection, Orchestrator
    from reconciler.render.webhook import webhook_body
    from reconciler.runcontext import ci_run

    orchestrator = Orchestrator(
        directory, Connection(api_url, region, concurrency), refresh=refresh, on_note=print_note
    )
    with fetch_progress(orchestrator):
        report, org = orchestrator.drift()
    click.echo(render("drift", fmt, report, color=use_color(), org=org), nl=False)
    if webhook and report.drifted:
        from reconciler.webhook import post_json

        post_json(webhook, webhook_body(report, org=org, run=ci_run(), fmt=webhook_format))
    sys.exit(ExitCode.CHANGES if report.drifted else ExitCode.OK)


@click.command()
@click.argument("plan_file", metavar="PLAN.json", type=click.Path(path_type=Path))
@report_format
@color_option
@handle_errors
def show(plan_file: Path, fmt: str) -> None:
    """Show a plan saved by `dactl plan --out`.

    Renders PLAN.json again, offline, exactly as `dactl plan` showed it (the Markdown is
    the same, byte for byte): for a plan kept as a CI artifact. Values are as the file
    holds them, redacted."""
    from reconciler.savedplan import read_saved_plan

    saved = read_saved_plan(plan_file)
    assert saved.plan is not None  # read_saved_plan always reads it
    view = {"color": use_color(), "org": saved.organization, "origin": saved.origin}
    click.echo(render("plan", fmt, saved.plan, **view), nl=False)
