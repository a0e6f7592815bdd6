"""The client's helpers: the retry signal, building requests and reading answers."""

from __future__ import annotations

import email.utils
import re
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from reconciler import jsonsafe
from reconciler.errors import ApiError, ResponseShapeError

from ._errors import correlation_id, html_page
from ._shapes import Shape, ShapeProblem
from .auth import AccessTokenAuth, ClientCredentialsAuth
from .settings import ConnectionSettings
from .text import printable

R = TypeVar("R")
# These fail before a single byte reaches the server, so any method may be resent.
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class _Retry(Exception):
    """An attempt failed in a way that another attempt may fix."""

    def __init__(
        self,
        error: ApiError,
        *,
        retry_after: float | None = None,
        rate_limited: bool = False,
        unreachable: bool = False,
        timed_out: bool = False,
        gone: bool = False,
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after
        self.rate_limited = rate_limited
        self.unreachable = unreachable
        self.timed_out = timed_out
        # The server itself looks gone (no connection, or no answer in time), not just one
        # request lost (a connection dropped after the request): later requests skip it.
        self.gone = gone
        self.timeouts = 0  # timeouts so far in this request, this one included

    def give_up(self, attempts: int) -> ApiError:
        err = self.error
        if self.rate_limited:
            message = f"rate limited by the org: gave up after {attempts} attempts: {err.message}"
        else:
            message = f"{err.message} (gave up after {attempts} attempts)"
        return type(err)(
            message,
            status=err.status,
            code=err.code,
            correlation_id=err.correlation_id,
            body=err.body,
        )


def _make_auth(
    settings: ConnectionSettings,
    *,
    clock: Callable[[], float],
    user_agent: str,
    timeout: httpx.Timeout,
) -> httpx.Auth:
    if settings.access_token is not None:
        return AccessTokenAuth(settings.access_token)
    if not settings.client_id or not settings.client_secret:
        raise ValueError("ConnectionSettings has neither an access token nor client credentials")
    return ClientCredentialsAuth(
        token_url=f"{settings.login_url}/oauth/token",
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        clock=clock,
        user_agent=user_agent,
        timeout=timeout,
    )


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    # httpx would send None as an empty value; Genesys wants booleans as "true"/"false".
    if not params:
        return None
    return {
        key: ("true" if value else "false") if isinstance(value, bool) else value
        for key, value in params.items()
        if value is not None
    }


def _decode(response: httpx.Response, shape: Shape | None = None) -> Any:
    """The JSON of a 2xx answer, checked by ``shape``; anything unusable is a
    ``ResponseShapeError`` (with the 2xx status: a write was accepted)."""
    request = response.request
    what = f"{request.method} {request.url.path}"
    body = None
    if response.content:
        try:
            body = jsonsafe.loads(response.text)
        except jsonsafe.JsonTooDeep as exc:
            problem = f"the response's JSON {exc}"
        except ValueError:
            page = html_page(response, response.text)
            problem = "the response is not JSON" + (f" ({page})" if page else "")
        else:
            problem = ""
        if problem:
            raise ResponseShapeError(
                f"{what}: {problem}",
                status=response.status_code,
                correlation_id=correlation_id(response),
            )
    if shape is None:
        return body
    try:
        return shape(body)
    except ShapeProblem as exc:
        raise ResponseShapeError(
            f"{what}: the server answered an unexpected shape: {exc}",
            status=response.status_code,
            correlation_id=correlation_id(response),
        ) from None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _upload_reason(response: httpx.Response) -> str:
    """A short reason for a refused upload; object stores answer in XML (``<Code>``)."""
    text = response.text[:2000]
    match = re.search(r"<Code>([^<]{1,80})</Code>", text)
    if match:
        return f"HTTP {response.status_code} {printable(match.group(1))}"
    return f"HTTP {response.status_code} {printable(response.reason_phrase)}".rstrip()


def _origin(exc: httpx.RequestError, fallback: httpx.Request) -> str:
    try:
        url = exc.request.url
    except RuntimeError:  # raised without a request attached (e.g. by a mock transport)
        url = fallback.url
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


def _results_in_order(futures: list[Future[R]]) -> list[R]:
    for future in futures:
        error = None if future.cancelled() else future.exception()
        if error is not None:
            raise error
    return [future.result() for future in futures]


@contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Hold a Ctrl-C (SIGINT) back until the block is done, then raise it as usual; only
    in the main thread, where Python handles signals (elsewhere, a plain block)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught and callable(previous):
            previous(signal.SIGINT, None)
