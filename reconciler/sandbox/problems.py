"""Genesys ``ErrorBody`` errors and deterministic JSON responses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

# Default error code per HTTP status, from the swagger's x-inin-error-codes.
STATUS_CODES: dict[int, str] = {
    400: "bad.request",
    401: "bad.credentials",
    403: "not.authorized",
    404: "not.found",
    405: "method.not.allowed",
    408: "request.timeout",
    409: "conflict",
    415: "unsupported.media.type",
    429: "too.many.requests.retry.after",
    500: "internal.server.error",
    502: "bad.gateway",
    503: "service.unavailable",
    504: "request.timeout",
}


class ApiProblem(Exception):
    """An error the sandbox answers with a Genesys ``ErrorBody``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        errors: list[dict[str, Any]] | None = None,
        message_params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.errors = errors or []
        self.message_params = dict(message_params or {})
        self.headers = dict(headers or {})

    def body(self, context_id: str) -> dict[str, Any]:
        """The ErrorBody JSON object for this problem."""
        return error_body(
            self.status,
            self.code,
            self.message,
            context_id,
            details=self.details,
            errors=self.errors,
            message_params=self.message_params,
        )


def error_body(
    status: int,
    code: str,
    message: str,
    context_id: str,
    *,
    details: list[dict[str, Any]] | None = None,
    errors: list[dict[str, Any]] | None = None,
    message_params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build a Genesys ErrorBody."""
    return {
        "message": message,
        "code": code,
        "status": status,
        "messageParams": dict(message_params or {}),
        "contextId": context_id,
        "details": list(details or []),
        "errors": list(errors or []),
    }


def bad_request(message: str, *, code: str = "bad.request", field: str | None = None) -> ApiProblem:
    """A 400 problem, optionally naming the offending field."""
    details = [{"errorCode": code, "fieldName": field}] if field else []
    return ApiProblem(400, code, message, details=details)


def not_found(message: str) -> ApiProblem:
    """A 404 problem."""
    return ApiProblem(404, "not.found", message)


def dumps(data: Any) -> bytes:
    """Deterministic compact JSON (sorted keys) as UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON response with sorted keys."""
    return Response(dumps(data), status_code=status, headers=headers, media_type="application/json")
