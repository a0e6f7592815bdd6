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
# The reset comes in whole seconds: two answers of one window may name ends this far apart.
# An answer that names an end later than that starts a new window.
RESET_SLACK = 1.0
# How long a thread waits for answers before it looks again (answers also wake it).
_RECHECK_SECONDS = 0.5


class Pacer:
    """Sends at full speed while the window's budget lasts, then waits for its reset.

    The budget of the current window is what its answers report: ``allowed`` less the
    highest ``count`` seen (answers may come back out of order). A request is sent only
    while that budget exceeds the requests already in flight, which the server may not
    have counted yet; when it does not, the thread waits for their answers, whose counts
    settle it. With nothing in flight and nothing left, every thread waits for the reset
    the answers named. Nothing is held back while budget remains: a run that needs fewer
    requests than the window has left is never slowed, and one that needs more uses
    every request of each window. After the reset of a window that ran out, and after a
    429's ``Retry-After`` (which holds every thread), one request goes alone, and its
    answer tells the new window's budget to the others (a window that reset later than
    expected costs one 429, not one per thread).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        wait: Callable[[threading.Condition, float], object] | None = None,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        # How a thread waits for answers in flight (tests give one that never blocks).
        self._wait = wait or (lambda condition, seconds: condition.wait(seconds))
        self._lock = threading.Condition(threading.Lock())
        self._allowed = 0
        self._count: int | None = None  # highest count of the current window; None: unknown
        self._window_end = 0.0
        self._hold_until = 0.0
        self._probing = False  # the budget is unknown: one request at a time
        self._prober: int | None = None  # the thread whose request is the probe
        self._in_flight = 0
        self.total_delay = 0.0

    def observe(self, headers: Mapping[str, str]) -> None:
        """Take the budget from a response's rate-limit headers (ignored when absent)."""
        count = _number(headers.get(COUNT_HEADER))
        allowed = _number(headers.get(ALLOWED_HEADER))
        reset = _number(headers.get(RESET_HEADER))
        if count is None or allowed is None or reset is None or allowed <= 0:
            with self._lock:
                if self._prober == threading.get_ident():
                    # The probe's answer tells nothing: this server no longer paces us.
                    self._count, self._probing, self._prober = None, False, None
                    self._lock.notify_all()
            return
        with self._lock:
            if self._probing and self._prober != threading.get_ident():
                return  # an answer from before the reset: only the probe's tells the new one
            end = self._clock() + min(max(0.0, reset), MAX_WINDOW_SECONDS)
            if self._count is None or end > self._window_end + RESET_SLACK:
                self._count, self._window_end = int(count), end  # a new window
            else:
                self._count = max(self._count, int(count))
                self._window_end = min(self._window_end, end)
            self._allowed = int(allowed)
            self._probing, self._prober = False, None
            self._lock.notify_all()

    def hold(self, seconds: float) -> None:
        """Keep every thread from sending for ``seconds`` (a 429's Retry-After); after
        that, the budget is unknown."""
        with self._lock:
            self._hold_until = max(self._hold_until, self._clock() + seconds)
            self._count, self._probing, self._prober = None, True, None
            self._lock.notify_all()

    def acquire(self) -> float:
        """Wait (if needed) until this thread may send; returns the time waited.

        Every ``acquire`` must be paired with a ``release``.
        """
        started = self._clock()
        while True:
            with self._lock:
                now = self._clock()
                sleep = self._hold_until - now
                if sleep <= 0:
                    if self._count is not None and now >= self._window_end:
                        # The window has reset: its budget is unknown until an answer. When
                        # it ran out, one request finds out first (not a herd of them).
                        spent = self._count + self._in_flight >= self._allowed
                        self._count, self._probing, self._prober = None, spent, None
                    if self._may_send():
                        self._in_flight += 1
                        if self._probing:
                            self._prober = threading.get_ident()
                        break
                    if self._in_flight == 0:  # nothing left and nothing to wait for
                        self._hold_until = max(self._hold_until, self._window_end)
                        sleep = self._hold_until - now
                    else:  # the answers in flight will tell
                        self._wait(self._lock, _RECHECK_SECONDS)
                        continue
            logger.info("pacing: waiting %.2f s to stay under the org's rate limit", sleep)
            self._sleep(sleep)
        delay = max(0.0, self._clock() - started)
        if delay > 0:
            with self._lock:
                self.total_delay += delay
        return delay

    def release(self) -> None:
        """Mark one acquired request as answered (call after ``observe``, or on failure)."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            if self._prober == threading.get_ident():
                self._prober = None  # the probe failed without telling: another goes
            self._lock.notify_all()

    def _may_send(self) -> bool:
        if self._probing:
            return self._prober is None
        if self._count is None:
            return True  # no budget known (a server that sends no headers): never paced
        return self._count + self._in_flight < self._allowed


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
