"""The commands that show reports: ``dactl drift``, ``dactl compare`` (two orgs) and
``dactl show`` (a saved plan)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.cli_support import (
    ORG_EPILOG,
    chosen_environment,
    color_option,
    connection_options,
    fetch_options,
    fetch_progress,
    handle_errors,
    output_options,
    print_note,
    report_format,
    use_color,
)
from reconciler.errors import DactlError
from reconciler.exitcodes import ExitCode
from reconciler.render import WEBHOOK_FORMATS, formats, render


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
    env: str | None,
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

    connection = Connection(api_url, region, concurrency, *chosen_environment(env))
    orchestrator = Orchestrator(directory, connection, refresh=refresh, on_note=print_note)
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


COMPARE_EPILOG = """\b
Each side's org is where its environment (or its dactl.yaml) says, with the credentials
its credentialsPrefix names (PROD_GENESYSCLOUD_OAUTHCLIENT_ID, ...); DACTL_ENV, --api-url
and --region do not apply: there are two orgs."""


@click.command(epilog=COMPARE_EPILOG)
@click.argument("directories", nargs=-1, metavar="[DIR] [DIR_B]", type=click.Path(path_type=Path))
@click.option(
    "--env",
    "envs",
    multiple=True,
    metavar="NAME",
    help="An environment of dactl.yaml; twice (--env dev --env prod) to compare two "
    "environments of DIR (default: actions/); with two directories, one for each.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(formats("compare")),
    default="text",
    show_default=True,
    help="Output format: terminal text, a Markdown comment, or versioned JSON.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when the orgs hold the same actions, 2 when they differ, 1 on error.",
)
@fetch_options
@output_options
@handle_errors
def compare(
    directories: tuple[Path, ...],
    envs: tuple[str, ...],
    fmt: str,
    detailed_exitcode: bool,
    refresh: bool,
    concurrency: int,
) -> None:
    """Show how two live orgs differ, action by action. Read-only.

    Compares the live actions of two environments of one tree (--env dev --env prod), or
    of two trees (DIR DIR_B, each with its dactl.yaml), matched by name. Fields written
    with a placeholder compare equal when each org holds its own environment's value.
    Fields read first → second."""
    from reconciler.orchestrator import Connection, Orchestrator

    sides = compare_sides(directories, envs)
    a, b = (
        Orchestrator(
            d,
            Connection(
                max_concurrency=concurrency, environment=e, environment_from="compare --env"
            ),
            refresh=refresh,
            on_note=print_note,
        )
        for d, e, _ in sides
    )
    with fetch_progress(a), fetch_progress(b):
        report = a.compare(b, (sides[0][2], sides[1][2]))
    orgs = [s.organization for s in (report.a, report.b)]
    if orgs[0] is not None and orgs[1] is not None and orgs[0].host == orgs[1].host:
        print_note(f"both sides are the org at {orgs[0].host}")
    click.echo(render("compare", fmt, report, color=use_color()), nl=False)
    if detailed_exitcode and report.differs:
        sys.exit(ExitCode.CHANGES)


def compare_sides(
    directories: tuple[Path, ...], envs: tuple[str, ...]
) -> list[tuple[Path, str | None, str]]:
    """The two sides of ``dactl compare`` (directory, environment, label), or a
    ``DactlError`` saying what it takes."""
    usage = (
        "compare takes two environments of one tree (dactl compare [DIR] --env dev --env "
        "prod) or two directories (dactl compare DIR_A DIR_B, with --env A --env B when "
        "they declare environments)"
    )
    if len(directories) > 2:
        raise DactlError(usage)
    if len(directories) < 2:
        directory = directories[0] if directories else Path("actions")
        if len(envs) != 2:
            raise DactlError(usage)
        if envs[0] == envs[1]:
            raise DactlError(f"--env {envs[0]} twice: compare two different environments")
        return [(directory, env, env) for env in envs]
    if len(envs) > 2:
        raise DactlError(usage)
    chosen: list[str | None] = [None, None]
    if envs:
        chosen = [envs[0], envs[-1]]  # one environment: the same for both trees
    sides = [
        (d, e, str(d) if e is None else f"{d} ({e})")
        for d, e in zip(directories, chosen, strict=True)
    ]
    if sides[0][2] == sides[1][2]:
        raise DactlError(f"{sides[0][2]} twice: compare two different trees or environments")
    return sides
