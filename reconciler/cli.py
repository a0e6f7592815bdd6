"""The ``dactl`` command line. Commands parse flags, call the orchestrator, render, map errors."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from reconciler import __version__
from reconciler.ci.command import ci
from reconciler.cli_exchange import export, import_, run_test
from reconciler.cli_impact import usages
from reconciler.cli_pull import pull
from reconciler.cli_reports import compare, drift, show
from reconciler.cli_scaffold import fmt, init, schema
from reconciler.cli_support import (
    DEFAULT_AUDIT_LOG,
    ENV_OPTION,
    ORG_EPILOG,
    chosen_environment,
    complete_action_names,
    connection_options,
    fetch_progress,
    handle_errors,
    output_options,
    print_note,
    report_format,
    use_color,
)
from reconciler.errors import DactlError
from reconciler.exitcodes import ExitCode
from reconciler.render import formats, render
from reconciler.sandbox.command import sandbox
from reconciler.secrets import redacting_output


class _Dactl(click.Group):
    """Usage errors exit 1 like every other error: exit 2 means "changes" or "drift".
    Output is redacted on its way out."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if os.environ.get(kwargs.get("complete_var") or "_DACTL_COMPLETE"):
            # Shell completion (click writes bytes, then exits): a script, or names of
            # commands, options, files and local action files; nothing from the org.
            return super().main(*args, **kwargs)
        # Every line dactl prints (results, errors, notes, warnings, prompts, logs) goes out
        # through one filter that masks secrets (reconciler.secrets).
        with redacting_output():
            return self._main(*args, **kwargs)

    def _main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.ClickException as exc:
            exc.show()
            sys.exit(ExitCode.ERROR)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(ExitCode.ERROR)
        except click.exceptions.Exit as exc:  # --help, --version
            sys.exit(exc.exit_code)


@click.group(cls=_Dactl, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dactl")
def main() -> None:
    """Manage Genesys Cloud data actions as code."""


@main.command()
@click.argument("directory", default="actions", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(formats("problems")),
    default="text",
    show_default=True,
    help="Output format: file:line:col lines, versioned JSON, GitHub annotations "
    "(workflow commands) or a GitLab Code Quality report.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Fail (exit 1) on warnings too, for teams that want lint to gate CI.",
)
@ENV_OPTION
@handle_errors
def validate(directory: Path, fmt: str, strict: bool, env: str | None) -> None:
    """Check action files offline: schemas, contracts, lint.

    Checks DIRECTORY (default: actions/), or one action file. No network; exit 1 when any
    error is found (with --strict, any warning too). A project with environments is
    checked in each of them, or in the one --env (or DACTL_ENV) names."""
    from reconciler.validate import validate_tree

    name, source = chosen_environment(env)
    report = validate_tree(directory, name, source=source)
    click.echo(render("problems", fmt, report), nl=False)
    if not report.ok:
        sys.exit(ExitCode.ERROR)
    if strict and report.warnings:
        n = len(report.warnings)
        plural = "" if n == 1 else "s"
        click.echo(f"Error: --strict fails the run on {n} warning{plural}.", err=True)
        sys.exit(ExitCode.ERROR)


@main.command(epilog=ORG_EPILOG)
@click.argument("directory", default="actions", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Save the plan to FILE (JSON) for a later `dactl apply FILE` or `dactl show FILE`.",
)
@report_format
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there is nothing to do, 2 when there are changes, 1 on error.",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Plan deletes of live in-scope actions with no file (as `prune: true` does), so "
    "they are reviewed in the saved plan.",
)
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="NAME",
    shell_complete=complete_action_names,
    help="Plan only the action with this name (repeatable).",
)
@connection_options
@output_options
@handle_errors
def plan(
    directory: Path,
    out: Path | None,
    fmt: str,
    detailed_exitcode: bool,
    prune: bool,
    targets: tuple[str, ...],
    env: str | None,
    refresh: bool,
    api_url: str | None,
    region: str | None,
    concurrency: int,
) -> None:
    """Show what apply would change in the org. Read-only.

    Compares DIRECTORY (default: actions/) with the org. Live actions in scope that no file
    claims are listed as "not managed, kept" (no changes), unless --prune or `prune: true`
    plans their deletion."""
    from reconciler.orchestrator import Connection, Orchestrator
    from reconciler.runcontext import ci_run
    from reconciler.savedplan import PlanOrigin, save_plan

    if out is not None and str(out) == "-":
        raise DactlError(
            "--out -: a saved plan is written to a file (stdout shows the plan in --format); "
            "name a file, such as --out plan.json"
        )
    if out is not None and out.suffix.lower() in (".yaml", ".yml"):
        raise DactlError(
            f"--out {out}: a saved plan is JSON; a .yaml name would be taken for (or "
            "overwrite) an action file"
        )
    connection = Connection(api_url, region, concurrency, *chosen_environment(env))
    orchestrator = Orchestrator(directory, connection, refresh=refresh, on_note=print_note)
    with fetch_progress(orchestrator):
        result = orchestrator.plan(targets=list(targets) or None, prune=True if prune else None)
    org = result.organization
    run = ci_run()
    origin = PlanOrigin(None if out is None else str(out), None if run is None else run.job_url)
    text = render("plan", fmt, result.plan, color=use_color(), org=org, origin=origin)
    click.echo(text, nl=False)
    if out is not None:
        save_plan(result.plan, out, directory, result.org, org, origin)
        click.echo(f"Saved the plan to {out}; apply it with `dactl apply {out}`.", err=True)
    if detailed_exitcode and not result.plan.empty:
        sys.exit(ExitCode.CHANGES)


@main.command(epilog=ORG_EPILOG)
@click.argument("target", default="actions", type=click.Path(path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option(
    "--allow-replace",
    is_flag=True,
    help="Allow replacements (new ids; flows using the old ids must be repointed).",
)
@click.option(
    "--allow-in-use",
    is_flag=True,
    help="Delete or replace actions that published flows use (they fail until repointed).",
)
@click.option("--prune", is_flag=True, help="Also delete live in-scope actions with no file.")
@click.option("--force", is_flag=True, help="Go ahead even over the safety thresholds.")
@click.option(
    "--take-over-drafts",
    is_flag=True,
    help="Discard unpublished drafts that dactl did not make (someone's work in the UI) "
    "where a change needs the draft.",
)
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="NAME",
    shell_complete=complete_action_names,
    help="Apply only the action with this name (repeatable).",
)
@click.option(
    "--audit-log",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_AUDIT_LOG,
    show_default=True,
    help="Append one JSON line per write to this file.",
)
@connection_options
@output_options
@handle_errors
def apply(
    target: Path,
    auto_approve: bool,
    allow_replace: bool,
    allow_in_use: bool,
    prune: bool,
    force: bool,
    take_over_drafts: bool,
    targets: tuple[str, ...],
    audit_log: Path,
    env: str | None,
    refresh: bool,
    api_url: str | None,
    region: str | None,
    concurrency: int,
) -> None:
    """Make the org match the files, or a saved plan.

    TARGET is a directory (default: actions/), planned now and confirmed, or a plan file
    saved by `dactl plan --out`, applied as reviewed (refused when stale)."""
    from reconciler.orchestrator import Connection, Orchestrator
    from reconciler.render.apply import render_outcome, render_result
    from reconciler.render.plan import render_text
    from reconciler.savedplan import read_saved_plan

    saved = None
    directory = target
    if target.is_file():
        if target.suffix.lower() in (".yaml", ".yml"):
            raise DactlError(
                f"{target} is a file: apply takes the directory that holds dactl.yaml and "
                "the action files, or a saved plan (use --target NAME for one action)"
            )
        saved = read_saved_plan(target)  # says so when the file is not a saved plan
        if prune or targets:
            raise DactlError(
                "--prune and --target are decided when planning; a saved plan is applied as is"
            )
        directory = Path(saved.directory)
    interactive = sys.stdin.isatty()
    if saved is None and not auto_approve and not interactive:
        raise DactlError(
            "apply asks for confirmation, and there is no terminal to ask on: pass "
            "--auto-approve, or apply a plan file saved by `dactl plan --out`"
        )
    color = use_color()

    def confirm(plan: Any) -> bool:
        org = orchestrator.organization
        click.echo(render_text(plan, color=color, org=org), nl=False)
        if saved is not None or auto_approve:
            return True
        n = len(plan.changes)
        where = f" to {org.target}" if org is not None else ""
        answer: str = click.prompt(
            f"\nApply {'1 change' if n == 1 else f'these {n} changes'}{where}? "
            "Only 'yes' is accepted",
            default="",
            show_default=False,
        )
        return answer.strip() == "yes"

    environment, source = chosen_environment(env)
    if environment is None and saved is not None and saved.environment is not None:
        environment, source = saved.environment, f"the saved plan {target}"
    connection = Connection(api_url, region, concurrency, environment, source)
    orchestrator = Orchestrator(directory, connection, refresh=refresh, on_note=print_note)
    with fetch_progress(orchestrator):
        result = orchestrator.apply(
            saved=saved,
            targets=list(targets) or None,
            prune=True if prune else None,
            allow_replace=allow_replace,
            allow_in_use=allow_in_use,
            force=force,
            take_over_drafts=take_over_drafts,
            confirm=confirm,
            audit_path=audit_log,
            on_done=lambda outcome: click.echo(render_outcome(outcome, color=color)),
        )
    click.echo(render_result(result, color=color), nl=False)
    if result.failed or result.cancelled:
        sys.exit(ExitCode.ERROR)


main.add_command(drift)
main.add_command(compare)
main.add_command(show)
main.add_command(sandbox)
main.add_command(ci)
main.add_command(init)
main.add_command(schema)
main.add_command(fmt)
main.add_command(export)
main.add_command(import_)
main.add_command(run_test)
main.add_command(pull)
main.add_command(usages)
