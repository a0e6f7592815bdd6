"""The exception tree of dactl. Every expected failure is a ``DactlError``."""

from __future__ import annotations

from typing import Any


class DactlError(Exception):
    """Base of every error dactl expects and reports without a traceback."""


class ConfigError(DactlError):
    """A desired-state file cannot be read or parsed (I/O, YAML, extends)."""


class ValidationError(DactlError):
    """The desired-state tree is invalid; carries every problem found."""

    def __init__(self, problems: list[Any]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) found")


class ApiError(DactlError):
    """An HTTP call to the Genesys Cloud API (or the sandbox) failed."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        correlation_id: str | None = None,
        body: Any = None,
    ) -> None:
        self.status = status
        self.code = code
        self.correlation_id = correlation_id
        self.body = body
        self.message = message
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = []
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code:
            parts.append(self.code)
        head = " ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        if self.correlation_id:
            text += f" (correlation id {self.correlation_id})"
        return text


class AuthError(ApiError):
    """Credentials were refused or are missing."""


class ConflictError(ApiError):
    """A write lost an optimistic-concurrency race (409, or 400 'does not match ... version')."""


class ResponseShapeError(ApiError):
    """The server answered 2xx, but its answer is unusable: not JSON, nested too deep, too
    large, or not the shape the call returns (a listing whose ``entities`` is not a list,
    an action without an integer ``version``, ...). ``status`` is that 2xx status.

    For a write this means the org **accepted** it and only its answer cannot be used: the
    write may well have been carried out, so it must be audited as such and what the org
    holds read back (or left to the next plan), never assumed undone.
    """


class StalePlanError(DactlError):
    """A saved plan no longer matches the live state it was made against."""


class UnsafePlanError(DactlError):
    """A plan exceeds the project's safety thresholds."""
