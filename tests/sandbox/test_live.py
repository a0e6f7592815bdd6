"""Against a real uvicorn server (SandboxServer): concurrency, lost responses, latency."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.process import SandboxServer

from .helpers import ACTIONS, action_body


def _client(server: SandboxServer) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url,
        headers={"Authorization": f"Bearer {server.token()}"},
        timeout=10.0,
    )


def _race(server: SandboxServer, action_id: str, version: int, writers: int) -> list[int]:
    """PATCH one action from ``writers`` threads at once, all with the same version."""
    token = server.token()
    barrier = threading.Barrier(writers)
    statuses: list[int] = []
    lock = threading.Lock()

    def patch(index: int) -> None:
        with httpx.Client(base_url=server.base_url, timeout=10.0) as client:
            barrier.wait(timeout=5)
            response = client.patch(
                f"{ACTIONS}/{action_id}",
                json={"version": version, "name": f"writer {index}"},
                headers={"Authorization": f"Bearer {token}"},
            )
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=patch, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return sorted(statuses)


def test_concurrent_patches_with_one_version(live: SandboxServer) -> None:
    with _client(live) as setup:
        action_id = setup.post(ACTIONS, json=action_body()).json()["id"]
    for version in range(1, 4):
        assert _race(live, action_id, version, writers=6) == [200] + [409] * 5
    with _client(live) as client:
        assert client.get(f"{ACTIONS}/{action_id}").json()["version"] == 4


def test_two_concurrent_patches_exactly_one_wins(live: SandboxServer) -> None:
    with _client(live) as client:
        action_id = client.post(ACTIONS, json=action_body()).json()["id"]
    # A delay on both PATCHes makes them overlap inside the server.
    live.inject_fault(method="PATCH", path="/actions/", count=2, delay_ms=100)
    token = live.token()
    results: dict[str, int] = {}

    def patch(name: str) -> None:
        with httpx.Client(base_url=live.base_url, timeout=10.0) as client:
            response = client.patch(
                f"{ACTIONS}/{action_id}",
                json={"version": 1, "name": name},
                headers={"Authorization": f"Bearer {token}"},
            )
        results[name] = response.status_code

    threads = [threading.Thread(target=patch, args=(n,)) for n in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(results.values()) == [200, 409]
    winner = next(name for name, status in results.items() if status == 200)
    with _client(live) as client:
        final = client.get(f"{ACTIONS}/{action_id}").json()
    assert (final["name"], final["version"]) == (winner, 2)


def test_lost_response_after_write(live: SandboxServer) -> None:
    with _client(live) as client:
        action_id = client.post(ACTIONS, json=action_body()).json()["id"]
        live.inject_fault(method="PATCH", path=r"/actions/custom_", drop_after_write=True)
        with pytest.raises(httpx.TransportError):
            client.patch(f"{ACTIONS}/{action_id}", json={"version": 1, "name": "lost reply"})
        after = client.get(f"{ACTIONS}/{action_id}").json()
        assert (after["name"], after["version"]) == ("lost reply", 2)
        retried = client.patch(f"{ACTIONS}/{action_id}", json={"version": 1, "name": "again"})
        assert retried.status_code == 409


def test_lost_create_response(live: SandboxServer) -> None:
    with _client(live) as client:
        live.inject_fault(method="POST", path=r"actions$", drop_after_write=True)
        with pytest.raises(httpx.TransportError):
            client.post(ACTIONS, json=action_body(name="Created in the dark"))
        found = client.get(ACTIONS, params={"name": "Created in the dark"}).json()
        assert found["total"] == 1


def test_status_fault_over_http(live: SandboxServer) -> None:
    live.inject_fault(method="GET", path=r"actions$", status=503, count=1)
    with _client(live) as client:
        failed = client.get(ACTIONS)
        assert failed.status_code == 503
        assert failed.json()["code"] == "service.unavailable"
        assert client.get(ACTIONS).status_code == 200
    stats = live.stats()
    assert stats["requests"]["GET /api/v2/integrations/actions"] == 2
    assert stats["requests"]["POST /oauth/token"] == 1


def test_rate_limit_over_http() -> None:
    with SandboxServer(SandboxConfig(rate_limit=2)) as server, _client(server) as client:
        assert [client.get(ACTIONS).status_code for _ in range(3)] == [200, 200, 429]
        limited = client.get(ACTIONS)
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert limited.headers["inin-ratelimit-allowed"] == "2"


def test_latency_over_http() -> None:
    with SandboxServer(SandboxConfig(latency_ms=120)) as server, _client(server) as client:
        started = time.monotonic()
        client.get(ACTIONS)
        assert time.monotonic() - started >= 0.12


def test_server_refuses_non_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        SandboxServer(SandboxConfig(host="0.0.0.0"))


def test_server_stops_cleanly(live_server: SandboxServer) -> None:
    server = SandboxServer().start()
    url = server.base_url
    assert server.stats()["total"] == 0
    server.stop()
    server.stop()
    with pytest.raises(httpx.TransportError), httpx.Client(timeout=2.0) as client:
        client.get(f"{url}/sandbox/stats")
    assert live_server.stats()["total"] >= 0
