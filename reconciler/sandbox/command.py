"""``dactl sandbox``: run the local emulator (being built in issue 3)."""

from __future__ import annotations

import click


@click.command()
def sandbox() -> None:
    """Run the local Genesys Cloud actions API emulator."""
    raise click.ClickException("the sandbox is not built yet")
