"""Client-side pacing from the ``inin-ratelimit-*`` headers, shared by all threads."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping

logger = logging.getLogger("reconciler.genesys")

COUNT_HEADER = "inin-ratelimit-count"
ALLOWED_HEADER = "inin-ratelimit-allowed"
RESET_HEADER = "inin-ratelimit-reset"
# Genesys rate-limit windows last a minute; a server that names a far later reset (a year,
# say) must not hold the command that long. Five minutes leaves room for longer windows.
MAX_WINDOW_SECONDS = 300.0


class Pacer:
    """Spreads the last part of each rate-limit window's budget over the time left in it.

    While more than ``low_water`` requests remain, requests go out at once. Below
    that, request starts are spaced ``time_left / remaining`` apart; with nothing
    left, requests wait for the window to reset. A 429's ``Retry-After`` holds
    every thread until it expires.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        reserve: int = 8,
        low_fraction: float = 0.1,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        # In-flight requests are not yet in the server's count, so keep at least that many.
        self._reserve = max(1, reserve)
        self._low_fraction = low_fraction
        self._lock = threading.Lock()
        self._remaining: int | None = None
        self._allowed = 0
        self._window_end = 0.0
        self._next_slot = 0.0
        self._hold_until = 0.0
        self._in_flight = 0
        self.total_delay = 0.0

    def observe(self, headers: Mapping[str, str]) -> None:
        """Take the budget from a response's rate-limit headers (ignored when absent)."""
        count = _number(headers.get(COUNT_HEADER))
        allowed = _number(headers.get(ALLOWED_HEADER))
        reset = _number(headers.get(RESET_HEADER))
        if count is None or allowed is None or reset is None or allowed <= 0:
            return
        with self._lock:
            # Requests still in flight may not be in this count yet: assume they will be.
            others = max(0, self._in_flight - 1)
            self._allowed = int(allowed)
            self._remaining = int(allowed - count) - others
            self._window_end = self._clock() + min(max(0.0, reset), MAX_WINDOW_SECONDS)

    def hold(self, seconds: float) -> None:
        """Keep every thread from sending for ``seconds`` (a 429's Retry-After)."""
        with self._lock:
            self._hold_until = max(self._hold_until, self._clock() + seconds)

    def acquire(self) -> float:
        """Wait (if needed) until this thread may send; returns the delay slept.

        Every ``acquire`` must be paired with a ``release``.
        """
        with self._lock:
            now = self._clock()
            start = max(now, self._hold_until)
            if self._remaining is not None and start >= self._window_end:
                self._remaining = None  # the window has reset: the budget is unknown again
            if self._remaining is not None:
                start = self._reserve_slot(start)
            delay = start - now
            if delay > 0:
                self.total_delay += delay
            self._in_flight += 1
        if delay > 0:
            logger.info("pacing: waiting %.2f s to stay under the org's rate limit", delay)
            self._sleep(delay)
        return max(0.0, delay)

    def release(self) -> None:
        """Mark one acquired request as answered (call after ``observe``, or on failure)."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)

    def _reserve_slot(self, start: float) -> float:
        assert self._remaining is not None
        low_water = max(self._reserve, math.ceil(self._allowed * self._low_fraction))
        if self._remaining <= 0:
            # Budget spent: everyone waits for the window to reset, not just this thread.
            self._hold_until = max(self._hold_until, self._window_end)
            self._remaining = None
            return max(start, self._window_end)
        if self._remaining <= low_water:
            interval = (self._window_end - start) / self._remaining
            start = max(start, self._next_slot)
            self._next_slot = start + interval
        self._remaining -= 1
        return start


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
