"""Turning HTTP failures into dactl's exception tree (one-line messages, no secrets)."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from reconciler import jsonsafe
from reconciler.errors import ApiError, AuthError, ConflictError

from .text import printable, printable_data

CORRELATION_HEADER = "ININ-Correlation-Id"
_MAX_TEXT = 300
_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)


def one_line(text: str, limit: int = _MAX_TEXT) -> str:
    """Server text made printable (``text.printable``: no escape sequences or control
    characters), whitespace collapsed (Genesys messages carry newlines), length capped."""
    # Only the head can be shown: a 30 MiB error page is not worth cleaning in full.
    flat = re.sub(r"\s+", " ", printable(text[: limit * 16])).strip()
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def response_body(response: httpx.Response) -> Any:
    """The decoded JSON body, else the text, else None. JSON nested too deep to read
    (``jsonsafe``: ``json`` would raise ``RecursionError``) counts as text."""
    if not response.content:
        return None
    try:
        return jsonsafe.loads(response.text)
    except ValueError:
        return response.text


def html_page(response: httpx.Response, body: Any) -> str | None:
    """``502 Bad Gateway (HTML page)`` for an HTML answer (a proxy's error page, a login
    portal): its ``<title>`` only, never the page; None for anything else."""
    if not isinstance(body, str):
        return None
    head = body[:1024].lstrip().lower()
    kind = response.headers.get("Content-Type", "").lower()
    if "html" not in kind and not head.startswith(("<!doctype html", "<html")):
        return None
    match = _TITLE.search(body[:65536])
    title = one_line(html.unescape(match.group(1)), 120) if match else ""
    return f"{title} (HTML page)" if title else "an HTML page"


def correlation_id(response: httpx.Response, body: Any = None) -> str | None:
    """``ININ-Correlation-Id``, falling back to the ErrorBody's ``contextId``."""
    header: str | None = response.headers.get(CORRELATION_HEADER)
    if header:
        return one_line(header, 120)
    if isinstance(body, dict) and isinstance(body.get("contextId"), str):
        return one_line(str(body["contextId"]), 120)
    return None


def _code_and_message(response: httpx.Response, body: Any) -> tuple[str | None, str]:
    if isinstance(body, dict):
        code = body.get("code") or body.get("error")
        message = (
            body.get("message")
            or body.get("error_description")
            or body.get("description")
            or response.reason_phrase
        )
        return (one_line(str(code), 80) if code else None), one_line(str(message))
    page = html_page(response, body)
    if page is not None:
        return None, page
    if isinstance(body, str) and body.strip():
        return None, one_line(body)
    return None, one_line(response.reason_phrase) or f"HTTP {response.status_code}"


def is_version_conflict(status: int, message: str) -> bool:
    """409, or a 400 "Supplied version 2 does not match latest draft version 1" (or "...
    does not match the current version ..."), as the Terraform provider's
    ``util.IsVersionMismatch`` (docs/genesys-api-notes.md). Unlike it, a 408 is no conflict here:
    its outcome is unknown, so the client resends it where that is safe (a versioned PATCH
    is) and the applier treats a create that got one as possibly done."""
    lowered = message.lower()
    return status == 409 or (status == 400 and "does not match" in lowered and "version" in lowered)


def error_from_response(
    response: httpx.Response, *, what: str, hint: str | None = None
) -> ApiError:
    """Build the ApiError (or AuthError/ConflictError) for a failed response.

    ``what`` names the call, e.g. ``GET /api/v2/integrations/actions``. Server text is data:
    the message, code and correlation id are made printable, and so is every string of the
    body the error carries (it is only ever shown).
    """
    body = response_body(response)
    code, message = _code_and_message(response, body)
    status = response.status_code
    text = f"{what}: {message}"
    if hint:
        text += f" ({hint})"
    cls: type[ApiError] = ApiError
    if status in (401, 403):
        cls = AuthError
    elif is_version_conflict(status, message):
        cls = ConflictError
    return cls(
        text,
        status=status,
        code=code,
        correlation_id=correlation_id(response, body),
        body=None if html_page(response, body) else printable_data(body),
    )


def describe_transport_error(exc: httpx.RequestError) -> str:
    """A short reason such as "connection refused" for a transport failure."""
    text = str(exc).lower()
    if isinstance(exc, httpx.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, httpx.PoolTimeout):
        return "timed out waiting for a free connection"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out waiting for the server"
    if "refused" in text:
        return "connection refused"
    dns_markers = ("name or service not known", "nodename", "getaddrinfo", "name resolution")
    if any(marker in text for marker in dns_markers):
        return "the host name could not be resolved"
    if "ssl" in text or "certificate" in text:
        return "TLS handshake failed: " + one_line(str(exc), 120)
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server closed the connection without a response"
    detail = one_line(str(exc), 120)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
