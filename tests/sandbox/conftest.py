"""Fixtures for the sandbox tests: in-process apps with a fake clock, and a live server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.sandbox.app import create_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.process import SandboxServer

from .helpers import Api, FakeClock, TestClient


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_api(clock: FakeClock) -> Iterator[Any]:
    """Build in-process APIs for a given config; clients are closed at teardown."""
    clients: list[TestClient] = []

    def make(config: SandboxConfig | None = None) -> Api:
        app = create_app(config or SandboxConfig(), clock=clock)
        client = TestClient(app, base_url="http://127.0.0.1")
        client.__enter__()
        clients.append(client)
        return Api(app, client, clock)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def api(make_api: Any) -> Api:
    """An in-process sandbox with the default config."""
    result: Api = make_api()
    return result


@pytest.fixture(scope="session")
def live_server() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def live(live_server: SandboxServer) -> SandboxServer:
    """The shared live server, reset to the seed state."""
    live_server.reset()
    return live_server
