"""The ASGI layer around every request: headers, stats, auth, rate limit, latency, faults."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.sandbox.problems import STATUS_CODES, ApiProblem, json_response
from reconciler.sandbox.runtime import Runtime

log = logging.getLogger(__name__)


class ConnectionDropped(ConnectionError):
    """Raised in-process (no real socket to close) where a fault drops the connection."""


class SandboxMiddleware:
    """Adds ``inin-ratelimit-*`` and ``ININ-Correlation-Id`` headers, and enforces the knobs."""

    def __init__(self, app: ASGIApp, runtime: Runtime, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.runtime = runtime
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = str(uuid.uuid4())
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        headers = {"ININ-Correlation-Id": correlation_id}
        if scope["path"].startswith("/sandbox/"):
            # Control calls get the headers too, from a bucket of their own that never limits.
            headers.update(self.runtime.limiter.hit("sandbox-control", enforce=False).headers())
            await self._serve(scope, receive, _with_headers(send, headers))
            return
        runtime = self.runtime
        method, path = scope["method"], scope["path"]
        entry = runtime.stats.count(
            f"{method} {self._template(scope)}", path=path, at=runtime.clock()
        )
        if runtime.config.latency_ms:
            await asyncio.sleep(runtime.config.latency_ms / 1000)
        try:
            key = self._identify(scope)
        except ApiProblem as problem:
            headers.update(runtime.limiter.hit("anonymous", enforce=False).headers())
            await _send_problem(problem, scope, receive, _with_headers(send, headers))
            runtime.stats.answered(entry, problem.status, injected=False, dropped=False)
            return
        rate = runtime.limiter.hit(key, enforce=key.startswith("token:"))
        headers.update(rate.headers())
        send = _with_headers(send, headers)
        if rate.limited:
            await _send_problem(_too_many(rate.reset), scope, receive, send)
            runtime.stats.answered(entry, 429, injected=False, dropped=False)
            return
        fault = runtime.faults.take(method, path)
        if fault is not None and fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)
        if fault is not None and fault.status is not None:
            injected = _injected(fault.status, fault.retry_after)
            if fault.echo_request:
                injected.message += " " + _echo(scope)
            await _send_problem(injected, scope, receive, send)
            runtime.stats.answered(entry, fault.status, injected=True, dropped=False)
            return
        if fault is not None and fault.drop_after_write:
            status = await self._serve(scope, receive, _discard)
            runtime.stats.answered(entry, status, injected=False, dropped=True)
            log.info("fault: dropping the connection after %s %s", method, path)
            if runtime.dropper is None or not await runtime.dropper(scope):
                raise ConnectionDropped(f"sandbox fault dropped the response to {method} {path}")
            return
        status = await self._serve(scope, receive, send)
        runtime.stats.answered(entry, status, injected=False, dropped=False)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> int | None:
        """Serve the request; the status the app answered with."""
        started = False
        status: int | None = None

        async def tracking_send(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started, status = True, int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            # Answer a bug as a Genesys 500 (with the usual headers) rather than a bare one.
            log.exception("unhandled error serving %s %s", scope["method"], scope["path"])
            if started:
                raise
            problem = ApiProblem(500, "internal.server.error", "The sandbox hit an internal error.")
            await _send_problem(problem, scope, receive, send)
            return 500
        return status

    def _identify(self, scope: Scope) -> str:
        """The rate-limit key: the bearer token for API calls (401 when missing or bad)."""
        if not scope["path"].startswith("/api/"):
            return "anonymous"
        authorization = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
        return "token:" + self.runtime.tokens.check(authorization)

    def _template(self, scope: Scope) -> str:
        partial = None
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return str(getattr(route, "path", scope["path"]))
            if match is Match.PARTIAL and partial is None:
                partial = str(getattr(route, "path", scope["path"]))
        return partial or scope["path"]


def _with_headers(send: Send, extra: dict[str, str]) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = dict(message)
            message["headers"] = [
                *message.get("headers", []),
                *((k.encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()),
            ]
        await send(message)

    return wrapped


async def _discard(message: Message) -> None:
    """A send that loses the response, for faults that emulate a lost reply."""


async def _send_problem(problem: ApiProblem, scope: Scope, receive: Receive, send: Send) -> None:
    context = scope.get("state", {}).get("correlation_id", "")
    response = json_response(problem.body(context), problem.status, problem.headers)
    await response(scope, receive, send)


def _too_many(retry_after: int) -> ApiProblem:
    return ApiProblem(
        429,
        "too.many.requests.retry.after",
        f"Rate limit exceeded the maximum. Retry the request in [{retry_after}] seconds",
        message_params={"retryAfter": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def _echo(scope: Scope) -> str:
    """The request as a careless server quotes it: its line and its headers, by name."""
    query = scope.get("query_string") or b""
    target = scope["path"] + (f"?{query.decode('latin-1')}" if query else "")
    headers = sorted((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
    return f"Request: {scope['method']} {target}; " + "; ".join(f"{k}: {v}" for k, v in headers)


def _injected(status: int, retry_after: int | None) -> ApiProblem:
    if status == 429:
        return _too_many(retry_after if retry_after is not None else 1)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    code = STATUS_CODES.get(status, "sandbox.fault")
    return ApiProblem(status, code, f"Injected sandbox fault (HTTP {status}).", headers=headers)
