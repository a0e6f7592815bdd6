"""Tests in the org: the live action of a name run with ``/test``, its steps reported."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.backend import OrgApi
from reconciler.canonical import canonical_desired
from reconciler.config.model import ActionSpec
from reconciler.diff import diff
from reconciler.errors import ApiError, DactlError
from reconciler.live import LiveCache, fetch_live
from reconciler.plan import Integrations, refuse_duplicate_names
from reconciler.secrets import redact_value

# --- in the org --------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveTarget:
    """The live action a remote test runs, with its canonical form (for the file check)."""

    id: str
    version: int
    secure: bool
    input_schema: dict[str, Any]
    canonical: dict[str, Any]
    integrations: Integrations


def find_live(
    api: OrgApi, name: str, *, scope: Iterable[str], cache: LiveCache | None
) -> LiveTarget | None:
    """The live action named ``name`` in the managed ``scope`` (every integration when
    empty), read as plan reads it; None when there is none. Two of one name is an error
    naming both ids (docs/architecture.md, rule 1)."""
    state = fetch_live(api, scope=scope, cache=cache, name=name)
    refuse_duplicate_names(state.actions)
    if not state.actions:
        return None
    action = state.actions[0]
    full = state.raw[action.id]
    schema = ((full.get("contract") or {}).get("input") or {}).get("inputSchema") or {}
    return LiveTarget(
        id=action.id,
        version=action.version,
        secure=bool(full.get("secure", False)),
        input_schema=schema,
        canonical=action.canonical,
        integrations=state.integrations,
    )


def remote_warnings(
    spec: ActionSpec | None, target: LiveTarget, name: str, directory: Path
) -> list[str]:
    """What to say before a remote test: the live action has no file, or differs from it."""
    if spec is None:
        return [f"no file in {directory} describes {name!r}; testing the live action"]
    fields = differing_fields(spec, target)
    if not fields:
        return []
    return [
        f"testing the live version; it differs from the file {spec.source} in: "
        + ", ".join(fields)
        + " (run `dactl plan` to see how)"
    ]


def differing_fields(spec: ActionSpec, target: LiveTarget) -> list[str]:
    """The fields where the action file differs from the live action (as plan compares)."""
    integrations = target.integrations
    integration_id = spec.integration_id or integrations.by_name.get(spec.integration or "", "")
    integration_name = integrations.names_by_id.get(integration_id, spec.integration or "")
    desired = canonical_desired(spec, integration_id, integration_name)
    return [change.dotted for change in diff(target.canonical, desired)]


@dataclass(frozen=True)
class Step:
    """One operation of a ``TestExecutionResult``; ``detail`` and ``error`` are display
    text, absent for secure actions (they could echo inputs)."""

    number: int
    name: str
    success: bool
    detail: str | None = None
    error: str | None = None


@dataclass
class RemoteRun:
    """What ``/test`` of the live action said."""

    name: str
    action_id: str
    version: int
    secure: bool
    steps: list[Step] = field(default_factory=list)
    success: bool = False
    final_result: Any = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.success


def run_remote(
    api: OrgApi, name: str, target: LiveTarget, values: Mapping[str, Any], *, secure: bool
) -> RemoteRun:
    """POST the inputs to the live action's ``/test`` and read the step breakdown."""
    run = RemoteRun(name, target.id, target.version, secure)
    try:
        result = api.test_action(target.id, values)
    except ApiError as exc:
        raise _test_refused(exc, secure) from None
    for i, operation in enumerate(result.get("operations") or [], start=1):
        if isinstance(operation, dict):
            run.steps.append(_step(operation, i, secure))
    run.success = result.get("success") is True
    # A secure action's result could echo an input in any form (a part of it, upper-case,
    # as a number), which no redaction finds: it is left out, and only success is told.
    if not secure:
        run.final_result = _hide_credentials(result.get("finalResult"))
    if isinstance(result.get("error"), dict):
        run.error = _error_text(result["error"], secure)
    return run


def _step(operation: Mapping[str, Any], index: int, secure: bool) -> Step:
    number = operation.get("step")
    success = operation.get("success") is True
    error = operation.get("error")
    detail = None
    if not secure and operation.get("result") is not None:
        detail = _detail(_hide_credentials(operation["result"]))
    return Step(
        number if isinstance(number, int) else index,
        str(operation.get("name") or f"step {index}"),
        success,
        detail,
        _error_text(error, secure) if isinstance(error, dict) else None,
    )


def _detail(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def _error_text(error: Mapping[str, Any], secure: bool) -> str:
    """An ErrorBody as one line; for secure actions only its status and code."""
    status, code = error.get("status"), error.get("code")
    head = " ".join(str(x) for x in (f"HTTP {status}" if status else None, code) if x)
    if secure:
        return head or "failed"
    message = " ".join(str(error.get("message") or "").split())
    return f"{head}: {message}" if head and message else head or message or "failed"


def _test_refused(exc: ApiError, secure: bool) -> DactlError:
    head = " ".join(str(x) for x in (f"HTTP {exc.status}" if exc.status else None, exc.code) if x)
    if secure:
        return DactlError(f"the org refused the test ({head or 'error'}; details hidden: secure)")
    reasons = []
    if isinstance(exc.body, dict):
        errors = exc.body.get("errors") or []
        reasons = [str(e.get("message")) for e in errors if isinstance(e, dict)]
    text = str(exc) + ("".join(f"\n  {r}" for r in reasons if r))
    return DactlError(f"the org refused the test: {text}")


def _hide_credentials(value: Any) -> Any:
    """Step results may echo the request: credential headers and cookies (by name), a
    password in a URL, ``Bearer ...`` values, secret query parameters are hidden."""
    return redact_value(value)


def not_created(spec: ActionSpec) -> DactlError:
    """The error for an action that has a file but is not in the org yet."""
    return DactlError(
        f"{spec.name!r} ({spec.source}) is not in the org yet: run `dactl apply` to create "
        f"it, or test the file with --offline"
    )
