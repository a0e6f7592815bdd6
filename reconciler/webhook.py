"""Posting a JSON body to a chat webhook (Slack, Teams, or any HTTP receiver).

A webhook URL is a secret: whoever holds it can post to the channel. So it never appears
in an error message, and exceptions that carry it (httpx's do) are not chained. The body
is passed through ``secrets.redact_value`` before it is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from reconciler import __version__
from reconciler.errors import WebhookError
from reconciler.genesys.settings import is_loopback_host
from reconciler.secrets import redact_value

_INVALID_URL = "the URL is not valid"


class _Retryable(Exception):
    """An attempt that a later one may fix: no connection was made, or a 5xx answer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def post_json(
    url: str,
    body: Mapping[str, Any],
    *,
    timeout: float = 10.0,
    attempts: int = 3,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """POST ``body`` as JSON to ``url``; ``WebhookError`` unless the answer is 2xx.

    Connection failures and 5xx answers are tried again, ``attempts`` tries in all. A
    timeout after the body was sent is not: the message may have been posted already.
    """
    _check_url(url)
    body = redact_value(body)  # the report is redacted already; this catches the rest
    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=0.5, max=4.0),
        retry=retry_if_exception_type(_Retryable),
        sleep=sleep,
        reraise=True,
    )
    headers = {"User-Agent": f"dactl/{__version__}"}
    with httpx.Client(timeout=timeout, transport=transport, follow_redirects=False) as client:
        try:
            for attempt in retrying:
                with attempt:
                    _post_once(client, url, body, headers)
        except _Retryable as exc:
            tries = f"{attempts} attempt" + ("" if attempts == 1 else "s")
            raise WebhookError(f"the drift webhook failed after {tries}: {exc.reason}") from None


def _post_once(
    client: httpx.Client, url: str, body: Mapping[str, Any], headers: dict[str, str]
) -> None:
    try:
        response = client.post(url, json=dict(body), headers=headers)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise _Retryable(_reason(exc)) from None
    except (httpx.RequestError, httpx.InvalidURL) as exc:
        raise WebhookError(f"the drift webhook failed: {_reason(exc)}") from None
    except ValueError:
        # UnicodeError (IDNAError too) is one: the host name cannot be encoded. Its text
        # holds the host, so it is neither quoted nor chained.
        raise WebhookError(f"the drift webhook failed: {_INVALID_URL}") from None
    status = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    if response.status_code >= 500:
        raise _Retryable(status)
    if not response.is_success:
        raise WebhookError(f"the drift webhook refused the report: {status}")


def _check_url(url: str) -> None:
    not_a_url = WebhookError("the drift webhook URL is not an http:// or https:// URL")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise not_a_url from None
    if host is None or parts.scheme not in ("http", "https"):
        raise not_a_url
    try:
        # What sending would do to the host: httpx decodes "xn--" labels, and the socket
        # layer encodes the name with the idna codec (no empty label, none over 63).
        httpx.URL(url).host.encode("idna")
    except (httpx.InvalidURL, ValueError):
        raise WebhookError(f"the drift webhook failed: {_INVALID_URL}") from None
    if parts.scheme == "http" and not is_loopback_host(host):
        raise WebhookError(
            "refusing to send the drift report over plain http: use an https:// webhook URL "
            "(http is allowed only for loopback hosts such as 127.0.0.1)"
        )


def _reason(exc: Exception) -> str:
    """Why a request failed, in words that cannot hold the URL (httpx's messages can)."""
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    if isinstance(exc, httpx.InvalidURL):
        return _INVALID_URL
    return f"the request failed ({type(exc).__name__})"
