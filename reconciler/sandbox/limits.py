"""Rate limiting per token, injected faults, and request statistics."""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from reconciler.sandbox.config import UNLIMITED_ALLOWED
from reconciler.sandbox.problems import bad_request

WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class RateState:
    """What the ``inin-ratelimit-*`` headers report for one request."""

    count: int
    allowed: int
    reset: int
    limited: bool

    def headers(self) -> dict[str, str]:
        """The three rate-limit headers."""
        return {
            "inin-ratelimit-count": str(self.count),
            "inin-ratelimit-allowed": str(self.allowed),
            "inin-ratelimit-reset": str(self.reset),
        }


class RateLimiter:
    """A fixed one-minute window per key (token); ``limit`` 0 means unlimited."""

    def __init__(self, limit: int, clock: Callable[[], float]) -> None:
        self._limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, *, enforce: bool = True) -> RateState:
        """Count one request for ``key``; ``limited`` says it must be refused with 429."""
        now = self._clock()
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now - start >= WINDOW_SECONDS:
                start, count = now, 0
            reset = max(1, math.ceil(start + WINDOW_SECONDS - now))
            allowed = self._limit or UNLIMITED_ALLOWED
            if enforce and self._limit and count >= self._limit:
                self._windows[key] = (start, count)
                return RateState(count, allowed, reset, limited=True)
            self._windows[key] = (start, count + 1)
            return RateState(count + 1, allowed, reset, limited=False)

    def clear(self) -> None:
        """Forget every window."""
        with self._lock:
            self._windows.clear()


@dataclass
class Fault:
    """One injected fault rule; ``count`` is how many more matching requests it affects."""

    path: str = ".*"
    method: str | None = None
    count: int = 1
    status: int | None = None
    delay_ms: int = 0
    drop_after_write: bool = False
    retry_after: int | None = None
    # The error's message quotes the request line and headers (Authorization included), as
    # a careless server does: for testing that clients never print what a server echoes.
    echo_request: bool = False

    def matches(self, method: str, path: str) -> bool:
        """True when this rule applies to a request."""
        if self.method not in (None, "*") and self.method != method:
            return False
        return re.search(self.path, path) is not None

    def to_json(self) -> dict[str, Any]:
        """The rule as JSON."""
        return asdict(self)


def parse_fault(body: Any) -> Fault:
    """Validate a ``POST /sandbox/faults`` body."""
    if not isinstance(body, dict):
        raise bad_request("fault must be a JSON object")
    unknown = sorted(set(body) - set(Fault.__dataclass_fields__))
    if unknown:
        raise bad_request(f"unknown fault field(s): {', '.join(unknown)}")
    fault = Fault(**body)
    if not isinstance(fault.path, str):
        raise bad_request("path must be a regular expression string", field="path")
    try:
        re.compile(fault.path)
    except re.error as exc:
        raise bad_request(f"path is not a valid regular expression: {exc}", field="path") from exc
    if fault.method is not None:
        fault.method = str(fault.method).upper()
    ints: Mapping[str, Any] = {"count": fault.count, "delay_ms": fault.delay_ms}
    for name, value in ints.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad_request(f"{name} must be a non-negative integer", field=name)
    if fault.status is not None and (
        not isinstance(fault.status, int) or not 400 <= fault.status <= 599
    ):
        raise bad_request("status must be an HTTP error status (400-599)", field="status")
    if fault.retry_after is not None and (
        isinstance(fault.retry_after, bool) or not isinstance(fault.retry_after, int)
    ):
        raise bad_request("retry_after must be an integer number of seconds", field="retry_after")
    if not isinstance(fault.drop_after_write, bool):
        raise bad_request("drop_after_write must be a boolean", field="drop_after_write")
    if not isinstance(fault.echo_request, bool):
        raise bad_request("echo_request must be a boolean", field="echo_request")
    if fault.status is None and not fault.delay_ms and not fault.drop_after_write:
        raise bad_request("a fault needs a status, a delay_ms or drop_after_write")
    return fault


class FaultRegistry:
    """Injected faults, consumed in order of registration."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Register a rule."""
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        """The first live rule matching the request, using up one of its count."""
        with self._lock:
            for fault in self._faults:
                if fault.count > 0 and fault.matches(method, path):
                    fault.count -= 1
                    return Fault(**asdict(fault))
            return None

    def list(self) -> list[dict[str, Any]]:
        """Rules that still have requests left."""
        with self._lock:
            return [f.to_json() for f in self._faults if f.count > 0]

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._faults.clear()


class Stats:
    """Request counts keyed by ``METHOD /route/{template}`` and by the status answered
    (``"429"``; ``"dropped"`` for a connection cut before any answer), and a bounded
    arrival log."""

    LOG_SIZE = 20_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()
        self._log: deque[dict[str, Any]] = deque(maxlen=self.LOG_SIZE)

    def count(self, key: str, *, path: str = "", at: float = 0.0) -> dict[str, Any]:
        """Count one request; ``at`` is the sandbox clock when it arrived. Returns its log
        entry, which ``answered`` completes."""
        entry: dict[str, Any] = {"at": at, "request": key, "path": path}
        with self._lock:
            self._counts[key] += 1
            self._log.append(entry)
        return entry

    def answered(
        self, entry: dict[str, Any], status: int | None, *, injected: bool, dropped: bool
    ) -> None:
        """Complete a log entry: the status the org answered (or an injected fault's), and
        whether the answer was dropped after the write was done. A request the org did
        is one answered 2xx, dropped or not."""
        with self._lock:
            entry.update(status=status, injected=injected, dropped=dropped)
            self._statuses[str(status) if status is not None else "dropped"] += 1

    def log(self) -> list[dict[str, Any]]:
        """The most recent requests in arrival order (at most ``LOG_SIZE``)."""
        with self._lock:
            return list(self._log)

    def snapshot(self) -> dict[str, Any]:
        """``{"requests": {key: n}, "statuses": {status: n}, "total": n}``, keys sorted."""
        with self._lock:
            requests = dict(sorted(self._counts.items()))
            statuses = dict(sorted(self._statuses.items()))
        return {"requests": requests, "statuses": statuses, "total": sum(requests.values())}

    def clear(self) -> None:
        """Forget all counts."""
        with self._lock:
            self._counts.clear()
            self._statuses.clear()
            self._log.clear()
