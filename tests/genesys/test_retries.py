from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
import pytest

from reconciler.errors import ApiError, ConflictError
from reconciler.genesys import ConnectionSettings, GenesysClient

from .fakes import FakeServer, FakeTime, json_response

MakeClient = Callable[..., GenesysClient]
TOO_MANY = {"code": "too.many.requests", "message": "Rate limit exceeded", "status": 429}


def test_429_waits_exactly_retry_after_before_resending(
    client: GenesysClient, server: FakeServer, fake_time: FakeTime
) -> None:
    server.api = [json_response(429, TOO_MANY, Retry_After="2"), json_response(200, {"ok": 1})]
    assert client.get_json("/api/v2/x") == {"ok": 1}
    (first, _), (second, _) = server.calls
    assert second - first >= 2
    assert fake_time.sleeps and sum(fake_time.sleeps) >= 2
    assert max(fake_time.sleeps) == 2


def test_429_is_retried_even_for_post(client: GenesysClient, server: FakeServer) -> None:
    server.api = [json_response(429, TOO_MANY, Retry_After="1"), json_response(200, {"id": "a"})]
    assert client.post_json("/api/v2/x", json={"name": "n"}) == {"id": "a"}
    assert len(server.calls) == 2


def test_retry_after_over_the_ceiling_gives_up_at_once(
    make_client: MakeClient, server: FakeServer, fake_time: FakeTime
) -> None:
    client = make_client(max_retry_after=180.0)
    server.api = [json_response(429, TOO_MANY, Retry_After="500", ININ_Correlation_Id="c-1")]
    with pytest.raises(ApiError) as info:
        client.get_json("/api/v2/x")
    error = info.value
    assert "rate limited by the org: retry after 500 s exceeds the ceiling of 180 s" in str(error)
    assert (error.status, error.code, error.correlation_id) == (429, "too.many.requests", "c-1")
    assert len(server.calls) == 1
    assert fake_time.sleeps == []


def test_429_exhausted_is_a_clear_api_error(make_client: MakeClient, server: FakeServer) -> None:
    client = make_client(max_retries=2)
    server.api = [json_response(429, TOO_MANY, Retry_After="1") for _ in range(3)]
    with pytest.raises(ApiError, match="rate limited by the org: gave up after 3 attempts"):
        client.get_json("/api/v2/x")
    assert len(server.calls) == 3


def test_429_without_retry_after_backs_off(
    client: GenesysClient, server: FakeServer, fake_time: FakeTime
) -> None:
    server.api = [json_response(429, TOO_MANY), json_response(200)]
    client.get_json("/api/v2/x")
    assert len(server.calls) == 2
    assert 0.5 <= fake_time.sleeps[0] <= 1.0


def test_5xx_burst_on_get_is_retried_with_backoff(
    client: GenesysClient, server: FakeServer, fake_time: FakeTime
) -> None:
    server.api = [json_response(503), json_response(503), json_response(200, {"ok": 1})]
    assert client.get_json("/api/v2/x") == {"ok": 1}
    assert len(server.calls) == 3
    first, second = fake_time.sleeps
    assert 0.5 <= first <= 1.0  # 0.5 s, then doubling, plus up to 0.5 s of jitter
    assert 1.0 <= second <= 1.5


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_on_post_is_not_retried(client: GenesysClient, server: FakeServer, status: int) -> None:
    server.api = [json_response(status, {"code": "internal.server.error", "message": "boom"})]
    with pytest.raises(ApiError) as info:
        client.post_json("/api/v2/x", json={})
    assert info.value.status == status
    assert len(server.calls) == 1


def test_5xx_on_post_marked_idempotent_is_retried(
    client: GenesysClient, server: FakeServer
) -> None:
    server.api = [json_response(503), json_response(200, {"id": "a"})]
    assert client.post_json("/api/v2/x", json={}, idempotent=True) == {"id": "a"}
    assert len(server.calls) == 2


def test_patch_is_not_retried_unless_marked(client: GenesysClient, server: FakeServer) -> None:
    server.api = [json_response(503)]
    with pytest.raises(ApiError):
        client.patch_json("/api/v2/x", json={"version": 1})
    server.api = [json_response(503), json_response(200)]
    client.patch_json("/api/v2/x", json={"version": 1}, idempotent=True)
    assert len(server.calls) == 3


def test_501_is_not_retried(client: GenesysClient, server: FakeServer) -> None:
    server.api = [json_response(501)]
    with pytest.raises(ApiError):
        client.get_json("/api/v2/x")
    assert len(server.calls) == 1


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_4xx_is_never_retried(client: GenesysClient, server: FakeServer, status: int) -> None:
    server.api = [json_response(status, {"code": "bad.request", "message": "no"})]
    with pytest.raises(ApiError) as info:
        client.get_json("/api/v2/x")
    assert info.value.status == status
    assert len(server.calls) == 1


def test_connection_error_on_get_is_retried_then_succeeds(
    client: GenesysClient, server: FakeServer
) -> None:
    server.api = [
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ReadTimeout("timed out"),
        json_response(200, {"ok": 1}),
    ]
    assert client.get_json("/api/v2/x") == {"ok": 1}
    assert len(server.calls) == 3


def test_read_timeout_on_post_is_not_retried(client: GenesysClient, server: FakeServer) -> None:
    server.api = [httpx.ReadTimeout("timed out")]
    with pytest.raises(ApiError, match="timed out waiting for the server"):
        client.post_json("/api/v2/x", json={})
    assert len(server.calls) == 1


def test_connect_error_on_post_is_retried_because_nothing_was_sent(
    client: GenesysClient, server: FakeServer
) -> None:
    server.api = [httpx.ConnectError("[Errno 111] Connection refused"), json_response(200)]
    client.post_json("/api/v2/x", json={})
    assert len(server.calls) == 2


def test_exhausted_connection_errors_name_the_url(
    make_client: MakeClient, server: FakeServer, fake_time: FakeTime
) -> None:
    client = make_client(max_retries=5, max_connect_retries=3)
    server.api = [httpx.ConnectError("[Errno 111] Connection refused") for _ in range(6)]
    with pytest.raises(ApiError) as info:
        client.get_json("/api/v2/integrations/actions")
    text = str(info.value)
    assert text.startswith("cannot reach https://api.example.test: connection refused")
    assert "GET /api/v2/integrations/actions" in text
    # Unreachable hosts get fewer attempts than 5xx answers: the CLI fails fast.
    assert "gave up after 4 attempts" in text
    assert "\n" not in text
    assert len(server.calls) == 4
    assert len(fake_time.sleeps) == 3


def test_a_5xx_still_gets_every_retry(
    make_client: MakeClient, server: FakeServer, fake_time: FakeTime
) -> None:
    client = make_client(max_retries=5, max_connect_retries=2)
    server.api = [httpx.Response(503, json={"message": "busy"}) for _ in range(6)]
    with pytest.raises(ApiError, match="gave up after 6 attempts"):
        client.get_json("/api/v2/integrations/actions")
    assert len(server.calls) == 6


def test_dns_failure_message(make_client: MakeClient, server: FakeServer) -> None:
    client = make_client(max_retries=0)
    server.api = [httpx.ConnectError("[Errno -2] Name or service not known")]
    with pytest.raises(ApiError, match=r"cannot reach .*: the host name could not be resolved"):
        client.get_json("/api/v2/x")


def test_exhausted_5xx_names_the_call(make_client: MakeClient, server: FakeServer) -> None:
    client = make_client(max_retries=1)
    server.api = [json_response(503, {"code": "service.unavailable", "message": "down"})] * 2
    with pytest.raises(ApiError) as info:
        client.get_json("/api/v2/x")
    assert str(info.value) == (
        "HTTP 503 service.unavailable: GET /api/v2/x: down (gave up after 2 attempts)"
    )


def test_unreachable_real_socket_is_a_one_line_error() -> None:
    # A loopback port that was just free: nothing listens there and nothing leaves the host.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    settings = ConnectionSettings(api_url=url, login_url=url, access_token="t")
    with (
        GenesysClient(settings, max_retries=1, sleep=lambda s: None, timeout=2.0) as client,
        pytest.raises(ApiError) as info,
    ):
        client.get_json("/api/v2/x")
    assert str(info.value).startswith(f"cannot reach {url}: connection refused")


def test_unreachable_login_host_is_named(make_client: MakeClient, server: FakeServer) -> None:
    def refuse_login(request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("login."):
            raise httpx.ConnectError("[Errno 111] Connection refused")
        return server(request)

    client = make_client(max_retries=1, transport=httpx.MockTransport(refuse_login))
    with pytest.raises(ApiError) as info:
        client.post_json("/api/v2/x", json={})
    assert str(info.value).startswith("cannot reach https://login.example.test: connection refused")
    assert server.calls == []


# -- Retry-After on 503 (honoured as on 429 by the Terraform provider, genesys-api.md §10) --

UNAVAILABLE = {"code": "service.unavailable", "message": "down", "status": 503}


def test_503_on_get_waits_exactly_retry_after(
    client: GenesysClient, server: FakeServer, fake_time: FakeTime
) -> None:
    server.api = [json_response(503, UNAVAILABLE, Retry_After="7"), json_response(200, {"ok": 1})]
    assert client.get_json("/api/v2/x") == {"ok": 1}
    assert fake_time.sleeps == [7.0]  # the header, not the 0.5-1 s backoff
    (first, _), (second, _) = server.calls
    assert second - first == 7.0


def test_503_on_a_versioned_patch_waits_retry_after(
    client: GenesysClient, server: FakeServer, fake_time: FakeTime
) -> None:
    server.api = [json_response(503, UNAVAILABLE, Retry_After="3"), json_response(200, {})]
    client.patch_json("/api/v2/x", json={"version": 1}, idempotent=True)
    assert len(server.calls) == 2
    assert fake_time.sleeps == [3.0]


def test_503_retry_after_over_the_ceiling_gives_up_at_once(
    make_client: MakeClient, server: FakeServer, fake_time: FakeTime
) -> None:
    client = make_client(max_retry_after=60.0)
    server.api = [json_response(503, UNAVAILABLE, Retry_After="61", ININ_Correlation_Id="c-9")]
    with pytest.raises(ApiError) as info:
        client.get_json("/api/v2/x")
    error = info.value
    assert "GET /api/v2/x: down (retry after 61 s exceeds the ceiling of 60 s)" in str(error)
    assert (error.status, error.code, error.correlation_id) == (503, "service.unavailable", "c-9")
    assert len(server.calls) == 1
    assert fake_time.sleeps == []


def test_503_retry_after_at_the_ceiling_is_waited(
    make_client: MakeClient, server: FakeServer, fake_time: FakeTime
) -> None:
    client = make_client(max_retry_after=60.0)
    server.api = [json_response(503, UNAVAILABLE, Retry_After="60"), json_response(200, {})]
    client.get_json("/api/v2/x")
    assert fake_time.sleeps == [60.0]


def test_503_with_retry_after_on_post_is_still_not_retried(
    client: GenesysClient, server: FakeServer, fake_time: FakeTime
) -> None:
    """The server may have done the work before it answered 503: a create is not resent."""
    server.api = [json_response(503, UNAVAILABLE, Retry_After="2")]
    with pytest.raises(ApiError) as info:
        client.post_json("/api/v2/x", json={"name": "n"})
    assert info.value.status == 503
    assert len(server.calls) == 1
    assert fake_time.sleeps == []


def test_503_retry_after_every_time_gives_up_after_the_retries(
    make_client: MakeClient, server: FakeServer, fake_time: FakeTime
) -> None:
    client = make_client(max_retries=2)
    server.api = [json_response(503, UNAVAILABLE, Retry_After="4") for _ in range(3)]
    with pytest.raises(ApiError, match=r"down \(gave up after 3 attempts\)"):
        client.get_json("/api/v2/x")
    assert fake_time.sleeps == [4.0, 4.0]


# -- 408: the outcome is unknown, so it is resent only where that is safe -------------------

TIMEOUT = {"code": "request.timeout", "message": "timed out", "status": 408}


def test_408_on_get_is_retried_with_backoff(
    client: GenesysClient, server: FakeServer, fake_time: FakeTime
) -> None:
    server.api = [json_response(408, TIMEOUT), json_response(200, {"ok": 1})]
    assert client.get_json("/api/v2/x") == {"ok": 1}
    assert len(server.calls) == 2
    assert 0.5 <= fake_time.sleeps[0] <= 1.0


def test_408_on_a_versioned_patch_is_resent_and_a_landed_first_write_is_a_conflict(
    client: GenesysClient, server: FakeServer
) -> None:
    """The first PATCH may have landed before the 408: its version guards the resend, which
    then meets a stale-version answer (the applier re-fetches and sees the change done)."""
    stale = {
        "code": "bad.request",
        "message": "Supplied version 3 does not match the current version 4",
        "status": 400,
    }
    server.api = [json_response(408, TIMEOUT), json_response(400, stale)]
    with pytest.raises(ConflictError):
        client.patch_json("/api/v2/x", json={"version": 3}, idempotent=True)
    assert [r.method for _, r in server.calls] == ["PATCH", "PATCH"]


def test_408_on_post_is_not_retried_and_not_a_conflict(
    client: GenesysClient, server: FakeServer
) -> None:
    server.api = [json_response(408, TIMEOUT)]
    with pytest.raises(ApiError) as info:
        client.post_json("/api/v2/x", json={"name": "n"})
    assert info.value.status == 408
    assert not isinstance(info.value, ConflictError)
    assert len(server.calls) == 1


def test_a_ctrl_c_during_submission_is_raised_after_it() -> None:
    """``deferred_interrupt`` holds SIGINT back to the end of the block (so every worker
    of a map is in the pool's list, and shutdown waits for its write), then raises it."""
    import os
    import signal
    import threading

    from reconciler.genesys._support import deferred_interrupt

    reached = []
    with pytest.raises(KeyboardInterrupt), deferred_interrupt():
        os.kill(os.getpid(), signal.SIGINT)
        reached.append("after the signal")
    assert reached == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    seen: list[str] = []

    def elsewhere() -> None:
        with deferred_interrupt():
            seen.append(threading.current_thread().name)

    thread = threading.Thread(target=elsewhere, name="worker")
    thread.start()
    thread.join()
    assert seen == ["worker"]
