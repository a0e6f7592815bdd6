"""A few calls side by side: the reads of one action, sent together rather than in turn."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class Fanout:
    """Runs the calls of ``run`` at once: the first on the calling thread, the others on
    threads kept for reuse (made on first use). Calls given here must not use a
    ``Fanout`` themselves, so a pool thread never waits for another pool thread.

    The requests they send stay within the client's bound on requests in flight; this
    only lets one action's reads wait for the network together instead of one by one.
    """

    def __init__(self, workers: int) -> None:
        self._workers = max(1, workers)
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def run(self, calls: Sequence[Callable[[], Any]]) -> list[Any]:
        """The results of ``calls`` in order; when any fails, every call has still ended,
        and the error of the earliest failed one (in the order given) is raised."""
        if not calls:
            return []
        pool = self._get_pool()
        futures: list[Future[Any]] = [pool.submit(call) for call in calls[1:]]
        results: list[Any] = []
        error: BaseException | None = None
        try:
            results.append(calls[0]())
        except Exception as exc:  # raised after the others have ended, as the earliest
            error = exc
        for future in futures:
            try:
                results.append(future.result())
            except Exception as exc:
                error = error or exc
        if error is not None:
            raise error
        return results

    def close(self) -> None:
        """Let the pool's threads end (a later ``run`` makes new ones)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)

    def _get_pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self._workers, thread_name_prefix="dactl-read"
                )
            return self._pool
