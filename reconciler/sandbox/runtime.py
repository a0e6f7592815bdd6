"""The live parts of one sandbox instance, shared by the middleware and the endpoints."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.types import Scope

from reconciler.sandbox.auth import Clock, TokenIssuer
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.dependencies import Dependencies
from reconciler.sandbox.limits import FaultRegistry, RateLimiter, Stats
from reconciler.sandbox.problems import bad_request
from reconciler.sandbox.store import Store

# Closes the client connection of a request scope; returns False when it cannot.
Dropper = Callable[[Scope], Awaitable[bool]]


@dataclass
class Runtime:
    """Config, state store, tokens, limiter, faults and stats of one app."""

    config: SandboxConfig
    clock: Clock = time.monotonic
    store: Store = field(init=False)
    tokens: TokenIssuer = field(init=False)
    limiter: RateLimiter = field(init=False)
    faults: FaultRegistry = field(default_factory=FaultRegistry)
    stats: Stats = field(default_factory=Stats)
    dependencies: Dependencies = field(init=False)
    dropper: Dropper | None = None

    def __post_init__(self) -> None:
        self.store = Store(self.config, clock=self.clock)
        self.tokens = TokenIssuer(self.config, self.clock)
        self.limiter = RateLimiter(self.config.rate_limit, self.clock)
        self.dependencies = Dependencies(self.config.dependency_build_status)

    def reset(self) -> None:
        """Seed state again; no faults, no stats, fresh rate windows (tokens stay valid)."""
        self.store.reset()
        self.faults.clear()
        self.stats.clear()
        self.limiter.clear()
        self.dependencies = Dependencies(self.config.dependency_build_status)


def runtime_of(request: Request) -> Runtime:
    """The runtime attached to the app serving ``request``."""
    runtime: Runtime = request.app.state.sandbox
    return runtime


async def read_json(request: Request) -> Any:
    """The JSON request body; 400 ``bad.request`` when it is not JSON."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}") from exc


async def read_object(request: Request) -> dict[str, Any]:
    """A JSON object request body; 400 otherwise."""
    body = await read_json(request)
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    return body
