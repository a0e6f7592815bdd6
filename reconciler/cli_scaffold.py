"""The ``dactl init`` and ``dactl schema`` commands: parse, call ``scaffold``, print.

Neither talks to an org nor colors its output, so neither takes ``-v`` or ``--no-color``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.ci.kit import PROVIDERS
from reconciler.cli_support import handle_errors
from reconciler.config.loader import display_path

CI_CHOICES = (*PROVIDERS, "none")  # as reconciler.scaffold names them


@click.command(name="init")
@click.argument("directory", default=".", type=click.Path(path_type=Path))
@click.option(
    "--ci",
    type=click.Choice(CI_CHOICES),
    default="none",
    show_default=True,
    help="Also write the CI files for GitHub Actions (.github/workflows/) or GitLab "
    "(.gitlab/, and a .gitlab-ci.yml that includes them when there is none).",
)
@click.option(
    "--region",
    metavar="REGION",
    help="Region key (eu-west-1) or domain (mypurecloud.ie) of the org, for dactl.yaml. "
    "Default: none there, the environment names it (GENESYSCLOUD_REGION).",
)
@click.option(
    "--integration",
    "integrations",
    multiple=True,
    metavar="NAME",
    help="An integration whose actions the repository manages: the scope of dactl.yaml "
    "(repeatable).",
)
@click.option(
    "--owner",
    metavar="OWNER",
    help="The GitHub account (or OWNER/REPO) that hosts the dactl your CI installs: "
    "written into the CI files in place of OWNER/dactl.",
)
@handle_errors
def init(
    directory: Path,
    ci: str,
    region: str | None,
    integrations: tuple[str, ...],
    owner: str | None,
) -> None:
    """Set up a repository for dactl: project file, schemas, CI.

    Writes into DIRECTORY (default: .) actions/dactl.yaml, the .dactl/ line of .gitignore,
    the editor schemas in schemas/, and with --ci the CI files. Never overwrites a file:
    existing ones are kept, so running it again changes nothing. No network."""
    from reconciler.scaffold import InitOptions, init_repository

    result = init_repository(directory, InitOptions(ci, region, integrations, owner))
    for line in result.lines():
        click.echo(line)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    kept = result.count("kept")
    changed = result.count("created", "added")
    where = display_path(directory)
    if not changed:
        click.echo(f"Nothing to do in {where}: every file is there ({kept} kept).")
        return
    click.echo(f"Initialized {where}: {changed} written, {kept} kept.")
    click.echo(
        "Next: `dactl export --out actions/` takes the org's actions into files (or write "
        "them by hand), then `dactl validate actions/` and `dactl plan actions/`."
    )


@click.command(name="schema")
@click.option(
    "--out",
    default="schemas",
    show_default=True,
    metavar="DIR",
    type=click.Path(path_type=Path),
    help="Directory to write the schemas into; older copies there are replaced.",
)
@handle_errors
def schema(out: Path) -> None:
    """Write the JSON schemas for editors into a directory.

    Writes into DIR (default: schemas/) the schemas of action files, templates and
    dactl.yaml, and the full action schema that `dactl validate` applies after extends;
    older copies are replaced. No network."""
    from reconciler.scaffold import write_schemas

    result = write_schemas(out)
    for line in result.lines():
        click.echo(line)
    written = result.count("created", "updated")
    click.echo(
        f"Wrote {written} schema{'' if written == 1 else 's'} to {display_path(out)} "
        f"({result.count('unchanged')} unchanged)."
    )


@click.command(name="fmt")
@click.argument("directory", default="actions", type=click.Path(path_type=Path))
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 listing the files fmt would change (for CI).",
)
@handle_errors
def fmt(directory: Path, check: bool) -> None:
    """Rewrite action files in the layout export writes.

    Formats the action files of DIRECTORY (default: actions/), or one file: keys in the
    export's order, multi-line templates as block scalars, short schema leaves on one line;
    comments are kept, and the data stays exactly the same. No network."""
    from reconciler.exitcodes import ExitCode
    from reconciler.fmt import format_tree

    result = format_tree(directory, check=check)
    verb = "would reformat" if check else "reformatted"
    for path in result.changed:
        click.echo(f"{verb} {display_path(path)}")
    for problem in result.problems:
        click.echo(str(problem), err=True)
    n, kept = len(result.changed), len(result.unchanged)
    files = f"{n} file{'' if n == 1 else 's'}"
    if check and n:
        run = f"dactl fmt {display_path(directory)}"
        click.echo(f"{files} would be reformatted, {kept} already formatted: run `{run}`.")
    elif check:
        click.echo(f"{kept} file{'' if kept == 1 else 's'} already formatted.")
    else:
        click.echo(f"Reformatted {files}, {kept} already formatted.")
    if result.problems or (check and n):
        sys.exit(ExitCode.ERROR)


__all__ = ["fmt", "init", "schema"]
