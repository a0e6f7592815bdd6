"""Fakes for the Genesys client tests: a fake clock and a scripted mock server."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx

API = "https://api.example.test"
LOGIN = "https://login.example.test"
SECRET = "s3cret-value-xyz"

Handler = Callable[[httpx.Request], httpx.Response]


class FakeTime:
    """A clock that only moves when someone sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


class FakeServer:
    """Serves /oauth/token on the login host and delegates API calls to ``api``.

    ``api`` may be a handler or a list of responses/exceptions served in order.
    """

    def __init__(self, time: FakeTime) -> None:
        self.time = time
        self.token_requests: list[httpx.Request] = []
        self.token_responses: list[httpx.Response] = []
        self.expires_in = 86399
        self.calls: list[tuple[float, httpx.Request]] = []
        self.api: Handler | list[httpx.Response | Exception] = _empty_ok
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return self._token(request)
        with self._lock:
            # A snapshot: httpx resends the same (mutated) request object after a 401.
            snapshot = httpx.Request(
                request.method, request.url, headers=request.headers.copy(), content=request.content
            )
            self.calls.append((self.time.clock(), snapshot))
            api = self.api
            if isinstance(api, list):
                item = api.pop(0)
                if isinstance(item, Exception):
                    raise item
                return item
        return api(request)

    def _token(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.token_requests.append(request)
            if self.token_responses:
                return self.token_responses.pop(0)
            number = len(self.token_requests)
        return httpx.Response(
            200,
            json={
                "access_token": f"tok-{number}",
                "token_type": "bearer",
                "expires_in": self.expires_in,
            },
        )

    @property
    def paths(self) -> list[str]:
        return [request.url.path for _, request in self.calls]


def json_response(status: int, body: Any = None, **headers: str) -> httpx.Response:
    """A JSON response with extra headers (underscores in names become dashes)."""
    return httpx.Response(
        status,
        json=body if body is not None else {},
        headers={name.replace("_", "-"): value for name, value in headers.items()},
    )


def _empty_ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={})
