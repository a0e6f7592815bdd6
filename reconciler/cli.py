"""The ``dactl`` command line. Commands parse flags, call the orchestrator, render, map errors."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler import __version__
from reconciler.errors import DactlError
from reconciler.sandbox.command import sandbox

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Expected errors become one line on stderr and exit code 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
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


main.add_command(sandbox)
