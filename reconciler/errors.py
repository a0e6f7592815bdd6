"""The exception tree of dactl: every expected failure is a ``DactlError``.

The CLI prints a ``DactlError`` as one ``Error:`` line (a ``ProblemsError`` as one line per
problem, then a summary) and exits 1; anything else is a bug and keeps its traceback.

::

    DactlError
    ├── ConfigError           a desired-state file cannot be read or parsed
    ├── ProblemsError         several problems, each a line of its own
    │   ├── ValidationError   the desired-state tree is invalid (file:line:col problems)
    │   ├── InputError        inputs given to `dactl test` (never quoting a value)
    │   └── ImportRefused     `dactl import` refused before writing anything
    ├── SettingsError         where to connect, or with what, is missing or unsafe
    ├── ApiError              an HTTP call failed: status, Genesys code, correlation id
    │   ├── AuthError             401/403: credentials refused or missing
    │   ├── ConflictError         a stale version (409, or 400 "does not match ... version")
    │   ├── ResponseShapeError    a 2xx whose answer cannot be used (the write was accepted)
    │   └── MissingTemplateError  a template file 404 while its action still reads
    ├── PlanError             the files cannot be matched to the org unambiguously
    ├── StalePlanError        a saved plan no longer matches the org or the files
    ├── UnsafePlanError       a plan over the safety thresholds, or with replaces, unasked
    ├── PackageError          a Function action's code package cannot be read
    ├── FunctionStepError     a step writing a Function action's code or settings failed
    ├── ExportError           `dactl export` refused; nothing was written
    ├── WebhookError          the drift webhook failed (its URL is never in the message)
    ├── CiError               a CI service (GitHub, GitLab) call failed (never holds its token)
    └── ScaffoldError         `dactl init` or `dactl schema` cannot write a file
"""

from __future__ import annotations

from typing import Any


class DactlError(Exception):
    """Base of every error dactl expects and reports without a traceback."""


class ConfigError(DactlError):
    """A desired-state file cannot be read or parsed (I/O, YAML, extends)."""


class ProblemsError(DactlError):
    """Several problems found at once: ``lines()`` gives one line per problem, then
    ``closing`` says what it means for the command."""

    prefix = "Error: "

    def __init__(self, problems: list[Any], summary: str) -> None:
        self.problems = problems
        super().__init__(summary)

    def lines(self) -> list[str]:
        return [f"{self.prefix}{problem}" for problem in self.problems]

    @property
    def closing(self) -> str:
        return f"Error: {self}"


class ValidationError(ProblemsError):
    """The desired-state tree is invalid; carries every problem found (each already
    placed at its ``file:line:col``)."""

    prefix = ""

    def __init__(self, problems: list[Any]) -> None:
        super().__init__(problems, f"{len(problems)} problem(s) found")

    @property
    def closing(self) -> str:
        return f"Error: the desired state is invalid ({self}); run `dactl validate`."


class InputError(ProblemsError):
    """The inputs of `dactl test` cannot be used; no problem quotes a value."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems, f"{len(problems)} input problem(s)")

    @property
    def closing(self) -> str:
        return "Nothing was run: fix the inputs (see the input contract)."


class ImportRefused(ProblemsError):
    """The import was refused before anything was written; one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems, "; ".join(problems))

    @property
    def closing(self) -> str:
        return "Nothing was written."


class SettingsError(DactlError):
    """Connection settings are missing, unknown or unsafe."""


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


class MissingTemplateError(ApiError):
    """A template file answered 404 while its action (or draft) still reads."""


class PlanError(DactlError):
    """The desired state cannot be matched to the org unambiguously."""


class StalePlanError(DactlError):
    """A saved plan no longer matches the live state it was made against."""


class UnsafePlanError(DactlError):
    """A plan exceeds the project's safety thresholds, or replaces actions unasked."""


class PackageError(DactlError):
    """A function package cannot be read, or is not a usable zip."""


class FunctionStepError(DactlError):
    """A step of writing a Function action's code or settings failed; names the action."""


class ExportError(DactlError):
    """The export was refused; nothing was written."""


class WebhookError(DactlError):
    """The webhook could not be reached, or refused the body. The message never holds the URL."""


class CiError(DactlError):
    """A pull-request comment, merge-request note or drift issue could not be written: a
    CI variable is missing, or the service refused. The message never holds the token."""


class ScaffoldError(DactlError):
    """``dactl init`` or ``dactl schema`` was given a bad option, or cannot write a file."""
