"""The ``dactl`` command line. Commands parse flags, call the orchestrator, render, map errors."""

from __future__ import annotations

import click

from reconciler import __version__
from reconciler.sandbox.command import sandbox


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dactl")
def main() -> None:
    """Manage Genesys Cloud data actions as code."""


main.add_command(sandbox)
