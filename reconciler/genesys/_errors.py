"""Turning HTTP failures into dactl's exception tree (one-line messages, no secrets)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from reconciler.errors import ApiError, AuthError, ConflictError

CORRELATION_HEADER = "ININ-Correlation-Id"
_MAX_TEXT = 300


def one_line(text: str, limit: int = _MAX_TEXT) -> str:
    """Collapse whitespace (Genesys messages carry newlines) and cap the length."""
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def response_body(response: httpx.Response) -> Any:
    """The decoded JSON body, else the text, else None."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def correlation_id(response: httpx.Response, body: Any = None) -> str | None:
    """``ININ-Correlation-Id``, falling back to the ErrorBody's ``contextId``."""
    header: str | None = response.headers.get(CORRELATION_HEADER)
    if header:
        return header
    if isinstance(body, dict) and isinstance(body.get("contextId"), str):
        return str(body["contextId"])
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
        return (str(code) if code else None), one_line(str(message))
    if isinstance(body, str) and body.strip():
        return None, one_line(body)
    return None, response.reason_phrase or f"HTTP {response.status_code}"


def is_version_conflict(status: int, message: str) -> bool:
    """409, or a 400 "Supplied version 2 does not match latest draft version 1" (or "...
    does not match the current version ..."), as the Terraform provider's
    ``util.IsVersionMismatch`` (genesys-api.md §3). Unlike it, a 408 is no conflict here:
    its outcome is unknown, so the client resends it where that is safe (a versioned PATCH
    is) and the applier treats a create that got one as possibly done."""
    lowered = message.lower()
    return status == 409 or (status == 400 and "does not match" in lowered and "version" in lowered)


def error_from_response(
    response: httpx.Response, *, what: str, hint: str | None = None
) -> ApiError:
    """Build the ApiError (or AuthError/ConflictError) for a failed response.

    ``what`` names the call, e.g. ``GET /api/v2/integrations/actions``.
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
        body=body,
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
