"""A small JSON client for a CI service's REST API (GitHub's, GitLab's).

The token travels in a header and nowhere else: never in a URL, never in an error message
(httpx's exceptions are not chained, and the server's own message is shortened and
stripped of control characters), and it is registered with ``secrets`` so that any echo
of it is masked on the way out. It is sent over https only (plain http to a loopback host
alone, for tests). Reads are tried again after a connection failure, a 429 or a 5xx;
writes are sent once: a comment posted twice is worse than an error, and the next run
finds the one that landed by its marker.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from reconciler import __version__
from reconciler.errors import CiError
from reconciler.genesys.settings import is_loopback_host
from reconciler.genesys.text import printable
from reconciler.jsonsafe import loads
from reconciler.secrets import register_secret

MAX_ANSWER = 8 * 1024 * 1024  # bytes; a page of 100 comments is far below
MAX_PAGES = 50  # of 100 items: 5,000 comments on one pull request
PAGE_SIZE = 100
READ_ATTEMPTS = 3
MAX_WAIT = 30.0  # seconds, for a Retry-After
_MESSAGE_CHARS = 300


@dataclass(frozen=True)
class Posted:
    """What a run did: ``verb`` (created, updated, closed, none) to ``what``, at ``url``."""

    verb: str
    what: str
    url: str | None = None

    def __str__(self) -> str:
        if self.verb == "none":
            return f"No {self.what} to close: the org matches git."
        where = f": {self.url}" if self.url else ""
        return f"{self.verb.capitalize()} the {self.what}{where}"


class RestClient:
    """JSON over HTTP to one service (``name`` in messages), with ``token`` in ``headers``."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        source: str,
        token: str,
        headers: Mapping[str, str],
        hints: Mapping[int, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.host = check_base_url(base_url, source)
        self.hints = dict(hints or {})
        self.sleep = sleep
        register_secret(token)
        self._client = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers={"User-Agent": f"dactl/{__version__}", **headers},
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        """The decoded answer of a GET; tried again on what a later attempt may fix."""
        for attempt in range(1, READ_ATTEMPTS + 1):
            try:
                return self._call("GET", path, params=params)
            except _Retryable as exc:
                if attempt == READ_ATTEMPTS:
                    raise CiError(f"{exc} (after {READ_ATTEMPTS} attempts)") from None
                self.sleep(exc.wait if exc.wait is not None else 0.5 * 2 ** (attempt - 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def send(self, method: str, path: str, body: Mapping[str, Any]) -> Any:
        """POST, PATCH or PUT ``body`` as JSON, once; the decoded answer."""
        try:
            return self._call(method, path, json=dict(body))
        except _Retryable as exc:
            raise CiError(f"{exc}; it may have been written: the next run finds it") from None

    def pages(self, path: str, params: Mapping[str, str | int]) -> Iterator[dict[str, Any]]:
        """Every item of a paged listing (``page``/``per_page``), at most ``MAX_PAGES`` pages."""
        for page in range(1, MAX_PAGES + 1):
            items = self.get(path, {**params, "per_page": PAGE_SIZE, "page": page})
            if not isinstance(items, list):
                raise CiError(f"{self.name} answered GET {path} with no list")
            yield from (item for item in items if isinstance(item, dict))
            if len(items) < PAGE_SIZE:
                return
        raise CiError(
            f"GET {path} lists more than {MAX_PAGES * PAGE_SIZE} items; not looking further"
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        where = f"{method} {path}"
        request = self._client.build_request(
            method, path, headers={"Accept": "application/json"}, **kwargs
        )
        try:
            response = self._client.send(request, stream=True)
            try:
                content = _read_capped(response)
            finally:
                response.close()
            if content is None:
                raise CiError(f"{self.name} answered {where} with more than {MAX_ANSWER} bytes")
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            reason = f"could not reach {self.name} at {self.host}: {_reason(exc)}"
            raise _Retryable(reason) from None
        except httpx.HTTPError as exc:
            raise CiError(f"{self.name}: {where} failed: {_reason(exc)}") from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retryable(self._refusal(where, response, content), _retry_after(response))
        if not 200 <= status < 300:
            raise CiError(self._refusal(where, response, content))
        if status == 204 or not content.strip():
            return None
        try:
            return loads(content.decode("utf-8"))
        except ValueError:
            raise CiError(f"{self.name} answered {where} with no JSON") from None

    def _refusal(self, where: str, response: httpx.Response, content: bytes) -> str:
        status = f"HTTP {response.status_code} {response.reason_phrase}".strip()
        text = f"{self.name} answered {where} with {status}"
        message = _server_message(content)
        if message:
            text += f" ({message})"
        hint = self.hints.get(response.status_code)
        return f"{text}: {hint}" if hint else text


class _Retryable(Exception):
    """A failure another attempt may fix; ``wait`` is what the server asked for."""

    def __init__(self, text: str, wait: float | None = None) -> None:
        super().__init__(text)
        self.wait = wait


def check_base_url(url: str, source: str) -> str:
    """The host of an API base URL the token may be sent to; ``CiError`` otherwise."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if not host or parts.scheme not in ("http", "https"):
        raise CiError(f"{source} is not an http:// or https:// URL")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise CiError(
            f"refusing to send the token over plain http to {host} (from {source}): use https://"
        )
    return host


def _read_capped(response: httpx.Response) -> bytes | None:
    """The body, counted as it arrives (and as it inflates); None past ``MAX_ANSWER``."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _server_message(content: bytes) -> str:
    """The ``message`` (GitHub, GitLab) or ``error`` of an error answer, safe to print."""
    try:
        body = loads(content.decode("utf-8", errors="replace"))
    except ValueError:
        return ""
    message = (body.get("message") or body.get("error")) if isinstance(body, dict) else None
    if not message:
        return ""
    # GitLab answers a refused field as {"message": {"note": ["is too long"]}}
    text = printable(message if isinstance(message, str) else json.dumps(message)).strip()
    return text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 3] + "..."


def _retry_after(response: httpx.Response) -> float | None:
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return min(max(seconds, 0.0), MAX_WAIT)


def _reason(exc: Exception) -> str:
    """Why a request failed, in words that hold no URL and no header."""
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    return f"the request failed ({type(exc).__name__})"
