"""``dactl export``, ``dactl import`` and ``dactl test``: files in and out of the tree."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from reconciler.cli_support import (
    ORG_EPILOG,
    chosen_environment,
    complete_action_names,
    connection_options,
    fetch_progress,
    handle_errors,
    lookup_connection_options,
    print_note,
    verbose_option,
)
from reconciler.errors import DactlError
from reconciler.exitcodes import ExitCode

ADOPT_NAME_HELP = "Adopt the live action of this name (repeatable): only its file is written."
ADOPT_UNMANAGED_HELP = "Adopt every live action in scope that no file claims: only their files."


@click.command(epilog=ORG_EPILOG)
@click.option(
    "--out",
    "out",
    default="actions",
    show_default=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory to write the action files (and dactl.yaml) into.",
)
@click.option(
    "--integration",
    "integrations",
    multiple=True,
    metavar="NAME",
    help="Export the actions of this integration (repeatable). Default: the scope of "
    "DIR/dactl.yaml, else every integration with data actions.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Export into a directory that already holds action files: a file whose action "
    "differs from the org is rewritten in place, new actions get new files, no file is deleted.",
)
@click.option("--name", "names", multiple=True, metavar="NAME", help=ADOPT_NAME_HELP)
@click.option("--unmanaged", is_flag=True, help=ADOPT_UNMANAGED_HELP)
@connection_options
@verbose_option
@handle_errors
def export(
    out: Path,
    integrations: tuple[str, ...],
    force: bool,
    names: tuple[str, ...],
    unmanaged: bool,
    env: str | None,
    refresh: bool,
    api_url: str | None,
    region: str | None,
    concurrency: int,
) -> None:
    """Write the org's live actions as YAML files.

    One file per action, into DIR (default: actions/). Static and custom-auth actions are
    never exported. With --name or --unmanaged, only those actions' files are written,
    into a tree that may hold files already."""
    from reconciler.adopt import Adoption
    from reconciler.orchestrator import Connection, Orchestrator

    connection = Connection(api_url, region, concurrency, *chosen_environment(env))
    orchestrator = Orchestrator(out, connection, refresh=refresh, on_note=print_note)
    with fetch_progress(orchestrator):
        adoption = Adoption(tuple(dict.fromkeys(names)), unmanaged)
        result = orchestrator.export(integrations=integrations, force=force, adoption=adoption)
    for line in result.file_lines():
        click.echo(line)
    click.echo(result.summary())
    for note in result.notes:
        click.echo(note, err=True)


VAR_HELP = "A Terraform variable's value (repeatable), typed as its variable block says."


@click.command(name="import")
@click.argument(
    "files", nargs=-1, required=True, metavar="FILE...", type=click.Path(path_type=Path)
)
@click.option(
    "--out",
    "out",
    required=True,
    metavar="DIR",
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory to write the action files (and dactl.yaml, when it has none) into.",
)
@click.option(
    "--integration",
    metavar="NAME",
    help="The integration of every imported action. Default: named after each file's "
    "integration type (purecloud-data-actions -> Genesys Cloud Data Actions, ...).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Import into a directory that already holds action files: the file of a same-name "
    "action is rewritten in place, no file is deleted.",
)
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE", help=VAR_HELP)
@handle_errors
def import_(
    files: tuple[Path, ...], out: Path, integration: str | None, force: bool, variables: Any
) -> None:
    """Turn action JSON exports or Terraform files into action files.

    Reads admin UI exports, API request bodies, and Terraform (CX as Code) files; writes one
    file per action into DIR. Offline; nothing is written when any input is refused."""
    from reconciler.importer import import_actions
    from reconciler.render.problems import render_text

    result = import_actions(files, out, integration=integration, force=force, variables=variables)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    for line in result.file_lines():
        click.echo(line)
    click.echo(render_text(result.report), nl=False)
    click.echo(result.summary())
    if not result.report.ok:
        click.echo(
            f"Error: {out} does not validate (see above); the files were kept: fix them, "
            f"then run `dactl validate {out}` before `dactl plan`.",
            err=True,
        )
        sys.exit(ExitCode.ERROR)


@click.command(name="test", epilog=ORG_EPILOG)
@click.argument("name", shell_complete=complete_action_names)
@click.argument("directory", default="actions", type=click.Path(path_type=Path))
@click.option(
    "--input",
    "pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="An input (repeatable); typed as the input contract says (integer, number, boolean).",
)
@click.option(
    "--inputs",
    "inputs_file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE.json",
    help="A JSON object of inputs; --input values override it.",
)
@click.option("--offline", is_flag=True, help="Render the action file's templates; no network.")
@click.option(
    "--response",
    "response_file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE.json",
    help="With --offline: a sample answer of the service, to check the translation map, "
    "the success template and the output contract.",
)
@lookup_connection_options
@verbose_option
@handle_errors
def run_test(
    name: str,
    directory: Path,
    pairs: tuple[str, ...],
    inputs_file: Path | None,
    offline: bool,
    response_file: Path | None,
    env: str | None,
    refresh: bool,
    api_url: str | None,
    region: str | None,
) -> None:
    """Run one action, in the org or offline.

    Runs the action NAME of DIRECTORY (default: actions/): in the org with its /test
    endpoint, or with --offline by rendering its templates here. Exit 0 pass, 1 fail.
    Inputs of secure actions are never printed."""
    from reconciler.actiontest.inputs import GivenInputs
    from reconciler.orchestrator import Connection, Orchestrator
    from reconciler.render.test import render_result

    if response_file is not None and not offline:
        raise DactlError("--response is a sample answer for offline tests: add --offline")
    connection = Connection(api_url, region, 8, *chosen_environment(env))
    orchestrator = Orchestrator(directory, connection, refresh=refresh, on_note=print_note)
    result = orchestrator.run_test(
        name,
        GivenInputs(pairs, inputs_file),
        offline=offline,
        response=response_file,
        warn=lambda text: click.echo(f"warning: {text}", err=True),
    )
    click.echo(render_result(result), nl=False)
    if not result.passed:
        sys.exit(ExitCode.ERROR)
