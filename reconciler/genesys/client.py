"""The HTTP client: auth, retries (tenacity), rate-limit pacing and bounded concurrency."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from types import TracebackType
from typing import Any, TypeVar

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type
from tenacity.wait import wait_exponential, wait_random

from reconciler import __version__
from reconciler.errors import ApiError, ResponseShapeError

from ._bounds import (
    CONNECT_TIMEOUT,
    ENV_REQUEST_DEADLINE,
    ENV_RETRY_AFTER_BUDGET,
    BodyError,
    Limits,
    deadline,
    deadline_expired,
    install_deadlines,
    read_body,
)
from ._errors import describe_transport_error, error_from_response
from ._pacing import Pacer
from ._shapes import Shape
from ._support import (
    _NOT_SENT_ERRORS,
    _clean_params,
    _decode,
    _make_auth,
    _origin,
    _results_in_order,
    _Retry,
    _retry_after,
    deferred_interrupt,
)
from ._upload import put_presigned
from .settings import ConnectionSettings

logger = logging.getLogger("reconciler.genesys")

T = TypeVar("T")
R = TypeVar("R")

# /test and /execute answer once the action has run: up to its timeout (at most 60 s).
RUNS_ACTION_EXTRA = 60.0
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# These may fail after the server got the request: resend only idempotent calls.
_AMBIGUOUS_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class GenesysClient:
    """A thread-safe client for the Genesys Cloud Platform API (or the sandbox)."""

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        max_concurrency: int = 24,
        timeout: float = 30.0,
        max_retries: int = 5,
        max_connect_retries: int = 2,
        max_retry_after: float = 180.0,
        limits: Limits | None = None,
        user_agent: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if max_retries < 0:
            raise ValueError("max_retries must not be negative")
        self.settings = settings
        self.max_concurrency = max_concurrency
        self._max_retries = max_retries
        # A refused connection or an unknown host rarely heals within seconds; fail fast.
        self._max_connect_retries = min(max_connect_retries, max_retries)
        # A timeout already cost a whole timeout: one more try at most.
        self._max_timeout_retries = min(1, max_retries)
        self._max_retry_after = max_retry_after
        # DACTL_REQUEST_DEADLINE, DACTL_RETRY_AFTER_BUDGET, DACTL_MAX_PAGES when not given.
        self.limits = limits if limits is not None else Limits.from_env()
        self._sleep = sleep
        self._clock = clock
        # The first give-up on an unreachable or stalling server: later requests of this
        # run are not sent (each would wait out its own timeouts and retries).
        self._gone: ApiError | None = None
        # Retry-After honoured so far (wall-clock: waits of concurrent threads overlap).
        self._retry_after_spent = 0.0
        self._retry_after_until = 0.0
        self.user_agent = user_agent or f"dactl/{__version__} (+python-httpx)"
        # Connecting is quick or not happening: a host that drops packets fails in 10 s.
        timeouts = httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT))
        self._auth = _make_auth(settings, clock=clock, user_agent=self.user_agent, timeout=timeouts)
        self._pacer = Pacer(clock=clock, sleep=sleep)
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._count_lock = threading.Lock()
        self._requests_sent = 0
        self._backoff = wait_exponential(multiplier=0.5, max=10.0) + wait_random(0, 0.5)
        # Only the encodings read_body can inflate within its cap (httpx would add br/zstd
        # when their packages are installed).
        encoding = {"Accept-Encoding": "gzip, deflate"}
        self._http = httpx.Client(
            base_url=settings.api_url,
            auth=self._auth,
            transport=transport,
            timeout=timeouts,
            headers={"User-Agent": self.user_agent, "Accept": "application/json", **encoding},
            event_hooks={"request": [self._on_request], "response": [self._on_response]},
            limits=httpx.Limits(max_connections=max(10, max_concurrency * 2)),
        )
        install_deadlines(self._http)
        # Presigned uploads go elsewhere (object storage) and carry no Authorization.
        self._uploads = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=timeouts.connect, write=max(timeout, 300.0)),
            headers={"User-Agent": self.user_agent, **encoding},
            event_hooks={"request": [self._on_request], "response": [self._read_bounded]},
        )

    # -- lifecycle -------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pools."""
        self._http.close()
        self._uploads.close()

    def __enter__(self) -> GenesysClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def requests_sent(self) -> int:
        """HTTP requests put on the wire so far (token requests and retries included)."""
        with self._count_lock:
            return self._requests_sent

    @property
    def paced_seconds(self) -> float:
        """Total time requests were held back by the rate-limit pacer."""
        return self._pacer.total_delay

    def now(self) -> float:
        """The client's monotonic clock (injected in tests)."""
        return self._clock()

    def pause(self, seconds: float) -> None:
        """Sleep with the client's ``sleep`` (injected in tests, so they never wait)."""
        self._sleep(seconds)

    # -- requests --------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        accept: str | None = None,
        runs_action: bool = False,
    ) -> httpx.Response:
        """Send one API call with retries; return the 2xx response or raise ApiError.

        ``runs_action``: the call runs a data action and answers when it has (``/test``,
        ``/execute``), which may take the action's own timeout (up to 60 s,
        docs/genesys-api-notes.md): its read timeout and deadline leave room for that."""
        method = method.upper()
        safe = method in _IDEMPOTENT_METHODS if idempotent is None else idempotent
        gone = self._gone
        if gone is not None:
            raise ApiError(
                f"{method} {path}: not sent, the server failed earlier in this run: {gone.message}"
            )
        retrying = self._retrying()
        timeouts = 0

        def attempt() -> httpx.Response:
            nonlocal timeouts
            try:
                return self._attempt(method, path, params, json, accept, safe, runs_action)
            except _Retry as exc:
                if exc.timed_out:
                    timeouts += 1
                    exc.timeouts = timeouts
                raise

        try:
            return retrying(attempt)
        except _Retry as exc:
            attempts = int(retrying.statistics.get("attempt_number", 1))
            error = exc.give_up(attempts)
            if exc.gone and self._gone is None:
                self._gone = error
            raise error from exc.__cause__

    def get_json(
        self, path: str, *, params: Mapping[str, Any] | None = None, shape: Shape | None = None
    ) -> Any:
        """GET and decode JSON; ``shape`` checks (and may convert) the decoded answer,
        raising ``ShapeProblem``, which becomes a ``ResponseShapeError`` naming the call."""
        return _decode(self.request("GET", path, params=params), shape)

    def get_text(self, path: str, *, params: Mapping[str, Any] | None = None) -> str:
        """GET a text resource (``Accept: text/plain``)."""
        return self.request("GET", path, params=params, accept="text/plain").text

    def post_json(
        self,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
        shape: Shape | None = None,
        runs_action: bool = False,
    ) -> Any:
        """POST and decode JSON; not retried on 5xx unless ``idempotent=True``. A 2xx
        answer that is not JSON or fails ``shape`` is a ``ResponseShapeError``: the
        write was accepted."""
        response = self.request(
            "POST", path, params=params, json=json, idempotent=idempotent, runs_action=runs_action
        )
        return _decode(response, shape)

    def patch_json(
        self, path: str, *, json: Any, idempotent: bool | None = None, shape: Shape | None = None
    ) -> Any:
        """PATCH and decode JSON; pass ``idempotent=True`` when a version guards the body."""
        return _decode(self.request("PATCH", path, json=json, idempotent=idempotent), shape)

    def put_json(self, path: str, *, json: Any, shape: Shape | None = None) -> Any:
        """PUT and decode JSON."""
        return _decode(self.request("PUT", path, json=json), shape)

    def upload(self, url: str, content: bytes, headers: Mapping[str, str]) -> None:
        """PUT ``content`` to a presigned ``url`` (a function package), with the headers the
        API asked for and never our bearer token: the URL is itself the credential. Retried
        like an idempotent call; the URL (its signature) is never logged, only its host."""
        put_presigned(self._uploads, self._slots, self._retrying(), url, content, headers)

    def delete(self, path: str, *, params: Mapping[str, Any] | None = None) -> None:
        """DELETE (expects 204)."""
        self.request("DELETE", path, params=params)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Run ``fn`` over ``items`` on at most ``max_concurrency`` threads, in order.

        On failure, pending items are cancelled and the error of the earliest failed
        item is raised. On Ctrl-C (or any exception in the waiting thread) items not yet
        started are cancelled; those in flight finish, then the exception goes on.
        """
        todo = list(items)
        workers = min(self.max_concurrency, len(todo))
        if workers <= 1:
            return [fn(item) for item in todo]
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dactl-http")
        try:
            # A Ctrl-C inside submit() can leave a started worker out of the pool's list,
            # so that shutdown() would not wait for its write: it waits until all are in.
            with deferred_interrupt():
                futures = [pool.submit(fn, item) for item in todo]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            if any(f.exception() is not None for f in done):
                for future in futures:
                    future.cancel()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return _results_in_order(futures)

    # -- internals -------------------------------------------------------------

    def _attempt(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
        accept: str | None,
        safe: bool,
        runs_action: bool = False,
    ) -> httpx.Response:
        what = f"{method} {path}"
        extra = RUNS_ACTION_EXTRA if runs_action else 0.0
        timeout = self._http.timeout
        request = self._http.build_request(
            method,
            path,
            params=_clean_params(params),
            json=body,
            headers={"Accept": accept} if accept else None,
            timeout=httpx.Timeout(
                connect=timeout.connect,
                read=(timeout.read or 0) + extra,
                write=timeout.write,
                pool=timeout.pool,
            )
            if extra
            else httpx.USE_CLIENT_DEFAULT,
        )
        response = self._send(request, what, safe, extra)
        if response.is_success:
            return response
        raise self._failure(request, response, what, safe)

    def _send(
        self, request: httpx.Request, what: str, safe: bool, extra: float = 0.0
    ) -> httpx.Response:
        """One paced send, under the request deadline (token request and body included;
        ``extra`` seconds more for a call that runs an action); transport failures become
        ApiError (wrapped in _Retry if safe)."""
        seconds = self.limits.request_deadline + extra
        try:
            self._pacer.acquire()
            with self._slots, deadline(seconds):
                response = self._http.send(request)
            if response.request is request:  # the login host's budget is not the API's
                self._pacer.observe(response.headers)
            return response
        except BodyError as exc:
            if exc.request is not None and exc.request is not request:
                # The token request's answer: ours was never sent.
                what += f" (token request to {exc.request.url})"
                raise ApiError(f"{what}: {exc}") from exc
            ok = exc.status is not None and 200 <= exc.status < 300
            cls = ResponseShapeError if ok else ApiError  # a 2xx: the write was accepted
            raise cls(f"{what}: {exc}", status=exc.status) from exc
        except httpx.RequestError as exc:
            if deadline_expired():
                # Not retried: a server this slow would make every retry as slow.
                stalled = ApiError(
                    f"{what}: no complete answer within {seconds:g} s (the request "
                    f"deadline, {ENV_REQUEST_DEADLINE}); the server is stalling"
                )
                self._gone = self._gone or stalled
                raise stalled from exc
            reason = describe_transport_error(exc)
            logger.debug("%s %s failed: %s", request.method, request.url, reason)
            error = ApiError(f"cannot reach {_origin(exc, request)}: {reason} ({what})")
            if isinstance(exc, _NOT_SENT_ERRORS) or (safe and isinstance(exc, _AMBIGUOUS_ERRORS)):
                timed_out = isinstance(exc, httpx.TimeoutException)
                gone = timed_out or isinstance(exc, httpx.ConnectError)
                raise _Retry(error, unreachable=True, timed_out=timed_out, gone=gone) from exc
            raise error from exc
        finally:
            self._pacer.release()

    def _failure(
        self, request: httpx.Request, response: httpx.Response, what: str, safe: bool
    ) -> Exception:
        """The exception for a non-2xx response: an ApiError, or a _Retry wrapping one."""
        status = response.status_code
        # A response to another request means the login host failed; ours never went out.
        sent = response.request is request
        if not sent:
            what += f" (token request to {response.request.url})"
        hint = getattr(self._auth, "hint_on_401", None) if status == 401 and sent else None
        error = error_from_response(response, what=what, hint=hint)
        if status == 429:
            retry_after = _retry_after(response)
            refusal = self._refuse_wait(retry_after)
            if refusal is not None:
                return ApiError(
                    f"rate limited by the org: {refusal} ({what})",
                    status=status,
                    code=error.code,
                    correlation_id=error.correlation_id,
                    body=error.body,
                )
            if retry_after is not None:
                self._pacer.hold(retry_after)  # every thread waits, not just this one
            return _Retry(error, retry_after=retry_after, rate_limited=True)
        # A 408 leaves the outcome unknown, as a 5xx does: resent only when that is safe
        # (a versioned PATCH is: should the first one have landed, its version is stale
        # now and the retry meets a conflict instead of writing twice).
        retryable = status == 408 or (status >= 500 and status != 501)
        if not retryable or not (safe or not sent):
            return error
        # Honoured on 503 as on 429, as the Terraform provider does (docs/genesys-api-notes.md).
        retry_after = _retry_after(response) if status == 503 else None
        refusal = self._refuse_wait(retry_after)
        if refusal is not None:
            return type(error)(
                f"{error.message} ({refusal})",
                status=status,
                code=error.code,
                correlation_id=error.correlation_id,
                body=error.body,
            )
        return _Retry(error, retry_after=retry_after)

    def _refuse_wait(self, retry_after: float | None) -> str | None:
        """Why a ``Retry-After`` is not waited for (None: it is, and is counted): one wait
        over ``max_retry_after``, or the run's waits over ``limits.retry_after_budget``."""
        if retry_after is None:
            return None
        if retry_after > self._max_retry_after:
            return (
                f"retry after {retry_after:g} s exceeds the ceiling of {self._max_retry_after:g} s"
            )
        budget = self.limits.retry_after_budget
        with self._count_lock:
            now = self._clock()
            added = max(0.0, now + retry_after - max(now, self._retry_after_until))
            if self._retry_after_spent + added > budget:
                return (
                    f"retry after {retry_after:g} s would take this run's waits for the "
                    f"server past {budget:g} s in all ({ENV_RETRY_AFTER_BUDGET})"
                )
            self._retry_after_spent += added
            self._retry_after_until = max(self._retry_after_until, now + retry_after)
        return None

    def _retrying(self) -> Retrying:
        """The retry policy of one call: ``_stop``, ``_wait`` and the injected sleep."""
        return Retrying(
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception_type(_Retry),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )

    def _stop(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retry) and exc.unreachable:
            if self._gone is not None:
                return True  # another request already gave up on this server
            if exc.timeouts > self._max_timeout_retries:
                return True  # each timeout already cost a whole timeout
            return state.attempt_number > self._max_connect_retries
        return state.attempt_number > self._max_retries

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retry) and exc.retry_after is not None:
            return exc.retry_after  # exactly what the server asked for
        return float(self._backoff(state))

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        logger.info(
            "retrying in %.1f s (attempt %d of %d failed): %s",
            delay,
            state.attempt_number,
            self._max_retries + 1,
            exc,
        )

    def _on_request(self, request: httpx.Request) -> None:
        with self._count_lock:
            self._requests_sent += 1

    def _on_response(self, response: httpx.Response) -> None:
        # Method, URL and status only: never headers (Authorization) or bodies (secure inputs).
        request = response.request
        logger.debug("%s %s -> %d", request.method, request.url, response.status_code)
        self._read_bounded(response)

    def _read_bounded(self, response: httpx.Response) -> None:
        """Read every answer (token requests' included) within the size cap, before httpx
        or the auth flow reads it whole."""
        try:
            read_body(response, self.limits.max_response_bytes)
        except BodyError as exc:
            exc.status = response.status_code
            exc.request = response.request
            raise
