"""``dactl sandbox``: run the local Genesys Cloud integration-actions emulator."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from reconciler.sandbox.config import (
    BUILD_STATUSES,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_HOST,
    DEFAULT_ORG_NAME,
    DEFAULT_PORT,
    DEFAULT_TOKEN_TTL,
    SandboxConfig,
    is_loopback,
)

if TYPE_CHECKING:
    from reconciler.sandbox.store import Store

log = logging.getLogger(__name__)


def check_bind_host(host: str, source: ParameterSource | None) -> None:
    """Refuse a non-loopback address unless it was typed as ``--host`` on the command line."""
    if is_loopback(host):
        return
    if source is not ParameterSource.COMMANDLINE:
        raise click.UsageError(
            f"refusing to bind non-loopback address {host!r} that was not given explicitly "
            "with --host"
        )
    log.warning("binding non-loopback address %s: the sandbox has no real security", host)


@click.command(context_settings={"show_default": True})
@click.option(
    "--host",
    default=DEFAULT_HOST,
    help="Address to bind. Non-loopback addresses need an explicit --host.",
)
@click.option(
    "--port",
    default=DEFAULT_PORT,
    type=click.IntRange(0, 65535),
    help="Port; 0 picks a free one. The base URL is always the first stdout line.",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Persist the org state to FILE (atomic writes); loaded when it exists.",
)
@click.option(
    "--seed",
    "seed_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON list of actions in the API's shape, added to the default org at start.",
)
@click.option("--latency-ms", default=0, type=click.IntRange(0), help="Delay added per API call.")
@click.option(
    "--rate-limit",
    default=0,
    type=click.IntRange(0),
    help="Requests per token per minute before 429 (real Genesys: 300). 0 = unlimited.",
)
@click.option("--client-id", default=DEFAULT_CLIENT_ID, help="OAuth client id accepted.")
@click.option(
    "--client-secret",
    default=DEFAULT_CLIENT_SECRET,
    show_default=False,
    help=f"OAuth client secret accepted [default: {DEFAULT_CLIENT_SECRET}].",
)
@click.option(
    "--token-ttl",
    default=DEFAULT_TOKEN_TTL,
    type=click.IntRange(1),
    help="Access token lifetime in seconds (expires_in).",
)
@click.option(
    "--org-name",
    default=DEFAULT_ORG_NAME,
    help="The org's name, as GET /api/v2/organizations/me answers it.",
)
@click.option(
    "--mutable-contracts",
    is_flag=True,
    help="[I] Let a draft change a published action's contract (by default publishing it "
    "is refused, as the Genesys help centre says; secure is always fixed once published).",
)
@click.option(
    "--max-page-size",
    default=100,
    type=click.IntRange(1),
    help="[I] Largest pageSize accepted; larger gives 400.",
)
@click.option(
    "--conflict-code", default="conflict", help="[I] ErrorBody code of the 409 for a stale version."
)
@click.option(
    "--name-filter-case-sensitive",
    is_flag=True,
    help="[I] Make the list 'name' filter case-sensitive.",
)
@click.option(
    "--inline-templates",
    is_flag=True,
    help="[I] Return requestTemplate/successTemplate inline as well as the *Uri fields.",
)
@click.option(
    "--draft-exists",
    type=click.Choice(["error", "replace"]),
    default="error",
    help="[I] POST .../draft when a draft exists: 400, or replace the draft.",
)
@click.option(
    "--immutable-category",
    is_flag=True,
    help="[I] Refuse category changes on PATCH of a published action.",
)
@click.option(
    "--writable-custom-auth",
    is_flag=True,
    help="[I] Allow PATCH of the custom-auth action (it is never deletable).",
)
@click.option(
    "--stale-version-status",
    type=click.Choice(["409", "400"]),
    default="409",
    callback=lambda _ctx, _param, value: int(value),
    help="[I] PATCH of an action or draft with a stale version: 409 (--conflict-code), or "
    "400 bad.request 'Supplied version X does not match the current version Y'.",
)
@click.option(
    "--delete-delay-ms",
    default=0,
    type=click.IntRange(0),
    help="[I] A deleted action keeps reading (GET, listings) for N ms after its DELETE "
    "returned 204; writes to it (a second DELETE too) get 404 at once.",
)
@click.option(
    "--function-processing-ms",
    default=200,
    type=click.IntRange(0),
    help="[I] How long an uploaded Function package stays 'Transferring' before it is "
    "processed (Available, or InvalidFormat when it is no zip).",
)
@click.option(
    "--function-put-keeps-version",
    "function_put_bumps_version",
    flag_value=False,
    default=True,
    help="[I] PUT .../draft/function leaves the draft's version as it is (default: +1).",
)
@click.option(
    "--dependency-build-status",
    type=click.Choice(BUILD_STATUSES),
    default="OPERATIONAL",
    show_default=True,
    help="The dependency-tracking build's status (GET /api/v2/architect/dependencytracking/"
    "build): anything but OPERATIONAL says the consumers of actions may lag behind the flows.",
)
@click.option("--access-log", is_flag=True, help="Log every request to stderr.")
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level (stderr).")
@click.pass_context
def sandbox(
    ctx: click.Context, /, host: str, port: int, access_log: bool, verbose: bool, **knobs: object
) -> None:
    """Run the local Genesys Cloud actions API emulator.

    Serves /oauth/token, /api/v2/integrations, /api/v2/integrations/actions... and
    /api/v2/organizations/me like Genesys Cloud, plus /sandbox/stats, /sandbox/requests,
    /sandbox/faults, /sandbox/reset, /sandbox/state and /sandbox/flows (flows that
    consume actions, as Architect dependency tracking reports them).
    Default OAuth client credentials: id "dactl-sandbox", secret "dactl-sandbox-secret".
    The first stdout line is the base URL (e.g. http://127.0.0.1:8765); logs go to stderr.
    Options tagged [I] choose behaviour that the real API leaves undocumented.
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    check_bind_host(host, ctx.get_parameter_source("host"))
    config = SandboxConfig(host=host, port=port, **knobs)  # type: ignore[arg-type]
    # Imported late so other dactl commands do not pay for starlette/uvicorn.
    from reconciler.sandbox.app import create_app
    from reconciler.sandbox.server import base_url, bind_socket, build_server

    try:
        app = create_app(config)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot load sandbox state or seed: {exc}") from exc
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot bind {host}:{port}: {exc}") from exc
    with sock:
        server = build_server(app, access_log=access_log)
        click.echo(base_url(sock))
        sys.stdout.flush()
        store = app.state.sandbox.store
        # uvicorn stops on SIGTERM, then raises it again for the handler it found here: the
        # state file is completed (its journal folded in) before the process ends as asked.
        signal.signal(signal.SIGTERM, lambda sig, _: _close_then_end(store, sig))
        try:
            server.run(sockets=[sock])
        finally:
            store.close()


def _close_then_end(store: Store, sig: int) -> None:
    store.close()
    signal.signal(sig, signal.SIG_DFL)
    signal.raise_signal(sig)
