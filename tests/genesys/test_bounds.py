"""Bounds on what a server can cost: answer size (gzip bombs included), a deadline per
request, the Retry-After budget, and giving up on a server that is gone."""

from __future__ import annotations

import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from reconciler.errors import ApiError, ResponseShapeError, SettingsError
from reconciler.genesys import ConnectionSettings, GenesysClient
from reconciler.genesys._bounds import MIB, Limits
from reconciler.genesys._pacing import Pacer

from .fakes import FakeServer, FakeTime, json_response

MakeClient = Callable[..., GenesysClient]
TOO_MANY = {"code": "too.many.requests", "message": "Rate limit exceeded", "status": 429}


def streamed(status: int, data: bytes, **headers: str) -> httpx.Response:
    """A response whose body is still to be read (as from the network)."""
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    return httpx.Response(status, stream=httpx.ByteStream(data), headers=named)


def gzipped(data: bytes, *, wbits: int = 31) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return packer.compress(data) + packer.flush()


def zeros_gzip(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes, made without holding them all."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MIB)
    parts = [packer.compress(block) for _ in range(size // MIB)]
    return b"".join(parts) + packer.flush()


# -- size --------------------------------------------------------------------------------


def test_a_body_over_the_cap_is_an_error_and_a_2xx_one_a_shape_error(
    make_client: MakeClient, server: FakeServer
) -> None:
    client = make_client(limits=Limits(max_response_bytes=1000))
    server.api = [streamed(200, b"x" * 5000)]
    with pytest.raises(ResponseShapeError, match="larger than 1000 bytes") as info:
        client.get_json("/api/v2/x")
    assert info.value.status == 200
    server.api = [streamed(500, b"x" * 5000)]
    with pytest.raises(ApiError, match="larger than 1000 bytes") as failed:
        client.get_json("/api/v2/x")
    assert type(failed.value) is ApiError and failed.value.status == 500
    assert len(server.calls) == 2  # neither was retried


def test_a_declared_length_over_the_cap_is_refused_before_reading(
    make_client: MakeClient, server: FakeServer
) -> None:
    client = make_client(limits=Limits(max_response_bytes=1000))
    server.api = [streamed(200, b"{}", Content_Length=str(10**12))]
    with pytest.raises(ResponseShapeError, match=r"larger than 1000 bytes \(it says so\)"):
        client.get_json("/api/v2/x")
    server.api = [streamed(200, b"{}", Content_Length="9" * 5000)]  # too long for int()
    with pytest.raises(ResponseShapeError, match=r"larger than 1000 bytes \(it says so\)"):
        client.get_json("/api/v2/x")


def test_a_gzip_bomb_is_never_inflated_beyond_the_cap(
    make_client: MakeClient, server: FakeServer
) -> None:
    client = make_client(limits=Limits(max_response_bytes=MIB))
    bomb = zeros_gzip(256 * MIB)
    assert len(bomb) < MIB  # it passes the size check as sent
    server.api = [streamed(200, bomb, Content_Encoding="gzip")]
    tracemalloc.start()
    try:
        with pytest.raises(ResponseShapeError, match="inflates to more than 1 MiB"):
            client.get_json("/api/v2/x")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MIB  # inflated in full, it would be 256 MiB


@pytest.mark.parametrize(
    ("encoding", "wbits"), [("gzip", 31), ("deflate", 15), ("deflate", -15), ("x-gzip", 31)]
)
def test_compressed_answers_are_read(
    client: GenesysClient, server: FakeServer, encoding: str, wbits: int
) -> None:
    body = b'{"entities": [], "note": "' + b"a" * 200_000 + b'"}'
    server.api = [streamed(200, gzipped(body, wbits=wbits), Content_Encoding=encoding)]
    assert client.get_json("/api/v2/x")["note"] == "a" * 200_000


def test_a_damaged_or_unknown_encoding_is_an_error(
    client: GenesysClient, server: FakeServer
) -> None:
    server.api = [streamed(200, b"\x1f\x8b not gzip at all", Content_Encoding="gzip")]
    with pytest.raises(ResponseShapeError, match="gzip encoding is damaged"):
        client.get_json("/api/v2/x")
    server.api = [streamed(200, b"...", Content_Encoding="br")]
    with pytest.raises(ResponseShapeError, match="Content-Encoding 'br', which dactl does not"):
        client.get_json("/api/v2/x")
    assert client._http.headers["Accept-Encoding"] == "gzip, deflate"


def test_a_token_answer_over_the_cap_is_an_error_of_the_call_not_sent(
    make_client: MakeClient, server: FakeServer
) -> None:
    client = make_client(limits=Limits(max_response_bytes=1000))
    server.token_responses = [streamed(200, b"{" + b" " * 5000 + b"}")]
    with pytest.raises(ApiError) as info:
        client.get_json("/api/v2/x")
    assert type(info.value) is ApiError and info.value.status is None
    assert "(token request to https://login.example.test/oauth/token)" in info.value.message
    assert not server.calls


# -- Retry-After budget ------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_waits_stop_at_the_run_budget(
    make_client: MakeClient, server: FakeServer, fake_time: FakeTime, status: int
) -> None:
    client = make_client(limits=Limits(retry_after_budget=250))
    server.api = lambda request: json_response(status, TOO_MANY, Retry_After="100")
    with pytest.raises(ApiError, match=r"past 250 s in all \(DACTL_RETRY_AFTER_BUDGET\)") as info:
        client.get_json("/api/v2/x")
    assert info.value.status == status
    assert len(server.calls) == 3
    assert sum(fake_time.sleeps) == 200  # two waits of 100; the third would pass 250


def test_overlapping_retry_after_waits_count_once(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    client = make_client(limits=Limits(retry_after_budget=150))
    # Eight threads told "100 s" at the same moment wait 100 s of the run, not 800.
    assert all(client._refuse_wait(100) is None for _ in range(8))
    fake_time.advance(50)
    assert client._refuse_wait(80) is None  # ends 30 s after the others: 130 s in all
    fake_time.advance(80)
    assert client._refuse_wait(30) is not None  # 160 s


# -- a server that is gone or stalls -----------------------------------------------------


def test_a_timeout_is_retried_once(client: GenesysClient, server: FakeServer) -> None:
    server.api = [httpx.ReadTimeout("timed out")] * 3
    with pytest.raises(ApiError, match="gave up after 2 attempts"):
        client.get_json("/api/v2/x")
    assert len(server.calls) == 2


def test_after_giving_up_on_an_unreachable_server_nothing_more_is_sent(
    client: GenesysClient, server: FakeServer
) -> None:
    server.api = [httpx.ConnectError("[Errno 111] Connection refused")] * 3
    with pytest.raises(ApiError, match="connection refused"):
        client.get_json("/api/v2/x")
    assert len(server.calls) == 3
    with pytest.raises(ApiError) as info:
        client.post_json("/api/v2/y", json={})
    assert info.value.message.startswith(
        "POST /api/v2/y: not sent, the server failed earlier in this run: cannot reach"
    )
    assert len(server.calls) == 3


def test_connecting_is_bounded_more_tightly_than_reading(client: GenesysClient) -> None:
    assert client._http.timeout.connect == 10.0
    assert client._http.timeout.read == 30.0


class Dripper:
    """A loopback HTTP server that sends ``head`` at once, then ``drip`` one byte at a time."""

    def __init__(self, head: bytes, drip: bytes, interval: float) -> None:
        self.head = head
        self.drip = drip
        self.interval = interval
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with conn:
                conn.recv(65536)
                conn.sendall(self.head)
                for byte in self.drip:
                    if self._stop.wait(self.interval):
                        return
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break

    @contextmanager
    def running(self) -> Iterator[Dripper]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(5)
            self._listener.close()


@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_dripping_server_meets_the_request_deadline(part: str) -> None:
    body = b'{"ok": true}' + b" " * 200
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    head += b"Content-Length: %d\r\n\r\n" % len(body)
    # Either the whole answer drips, or the headers come at once and then the body drips.
    dripper = Dripper(b"", head + body, 0.05) if part == "headers" else Dripper(head, body, 0.05)
    with dripper.running():
        settings = ConnectionSettings(
            api_url=f"http://127.0.0.1:{dripper.port}",
            login_url=f"http://127.0.0.1:{dripper.port}",
            access_token="t",
        )
        with GenesysClient(settings, limits=Limits(request_deadline=0.5)) as client:
            start = time.monotonic()
            with pytest.raises(ApiError) as info:
                client.get_json("/api/v2/x")
            elapsed = time.monotonic() - start
            with pytest.raises(ApiError, match="not sent, the server failed earlier"):
                client.get_json("/api/v2/y")
    assert "no complete answer within 0.5 s" in info.value.message
    assert "DACTL_REQUEST_DEADLINE" in info.value.message
    assert elapsed < 5  # the whole answer would take > 10 s
    assert dripper.connections == 1  # not retried


def test_the_deadline_backend_is_installed_in_the_default_transport() -> None:
    from reconciler.genesys._bounds import install_deadlines

    with httpx.Client() as plain:
        assert install_deadlines(plain) == 1
        assert install_deadlines(plain) == 1  # idempotent


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, Limits()),
        (
            {
                "DACTL_REQUEST_DEADLINE": "2.5",
                "DACTL_RETRY_AFTER_BUDGET": "10",
                "DACTL_MAX_PAGES": "7",
            },
            Limits(request_deadline=2.5, retry_after_budget=10, max_pages=7),
        ),
    ],
)
def test_limits_from_the_environment(env: dict[str, str], expected: Limits) -> None:
    assert Limits.from_env(env) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DACTL_REQUEST_DEADLINE", "soon"),
        ("DACTL_REQUEST_DEADLINE", "0"),
        ("DACTL_RETRY_AFTER_BUDGET", "-1"),
        ("DACTL_RETRY_AFTER_BUDGET", "nan"),
        ("DACTL_MAX_PAGES", "2.5"),
    ],
)
def test_a_bad_limit_is_a_settings_error_naming_it(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"^{name}="):
        Limits.from_env({name: value})


def test_a_far_rate_limit_reset_holds_at_most_five_minutes(fake_time: FakeTime) -> None:
    pacer = Pacer(clock=fake_time.clock, sleep=fake_time.sleep)
    pacer.acquire()
    year = {"inin-ratelimit-count": "300", "inin-ratelimit-allowed": "300"}
    pacer.observe({**year, "inin-ratelimit-reset": "31536000"})
    pacer.release()
    assert pacer.acquire() == 300.0
