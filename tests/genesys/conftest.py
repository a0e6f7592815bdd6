"""Fixtures for the Genesys client tests: fake time, a mock server, clients closed after use."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from reconciler.genesys import ConnectionSettings, GenesysClient

from .fakes import API, LOGIN, SECRET, FakeServer, FakeTime


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def server(fake_time: FakeTime) -> FakeServer:
    return FakeServer(fake_time)


@pytest.fixture
def settings() -> ConnectionSettings:
    return ConnectionSettings(
        api_url=API, login_url=LOGIN, client_id="cid", client_secret=SECRET, region="test"
    )


@pytest.fixture
def make_client(
    server: FakeServer, fake_time: FakeTime, settings: ConnectionSettings
) -> Iterator[Callable[..., GenesysClient]]:
    clients: list[GenesysClient] = []

    def make(**kwargs: Any) -> GenesysClient:
        options: dict[str, Any] = {
            "transport": httpx.MockTransport(server),
            "sleep": fake_time.sleep,
            "clock": fake_time.clock,
        }
        options.update(kwargs)
        client = GenesysClient(options.pop("settings", settings), **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., GenesysClient]) -> GenesysClient:
    return make_client()
