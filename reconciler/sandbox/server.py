"""Serving the app with uvicorn on a socket we bind ourselves (so port 0 is known early)."""

from __future__ import annotations

import asyncio
import logging
import socket

import uvicorn
from starlette.applications import Starlette
from starlette.types import Scope

from reconciler.sandbox.runtime import Dropper, Runtime

log = logging.getLogger(__name__)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0 picks a free one)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        # Listening before uvicorn starts lets early clients queue instead of being refused.
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock


def base_url(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def build_server(app: Starlette, *, access_log: bool = False) -> uvicorn.Server:
    """A uvicorn server for ``app`` that can also drop connections for injected faults."""
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=access_log,
        http="h11",
        loop="asyncio",
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    runtime: Runtime = app.state.sandbox
    runtime.dropper = _dropper(server)
    return server


def _dropper(server: uvicorn.Server) -> Dropper:
    async def drop(scope: Scope) -> bool:
        client = tuple(scope.get("client") or ())
        # uvicorn keeps its live connections (protocol objects) in server_state.
        for protocol in list(server.server_state.connections):
            if tuple(getattr(protocol, "client", None) or ()) == client:
                protocol.transport.abort()
                # Let connection_lost run, so uvicorn sees a disconnect and sends nothing.
                for _ in range(5):
                    await asyncio.sleep(0)
                return True
        log.warning("fault: no connection found to drop for %s", client)
        return False

    return drop
