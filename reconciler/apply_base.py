"""What the steps of apply share: the stop signal, the change's parts, and how an API
failure reads (done or not, and what of it the audit log keeps)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.canonical import Canonical
from reconciler.diff import diff
from reconciler.errors import ApiError
from reconciler.plan import Change, ChangeKind


@dataclass(frozen=True)
class Outcome:
    """What happened to one change."""

    name: str
    kind: ChangeKind
    ok: bool
    message: str
    action_id: str | None = None
    version_before: int | None = None
    version_after: int | None = None
    new_id: str | None = None


class _Stop(Exception):
    """Ends the work on one change with a failed outcome (never escapes apply)."""


def _after(change: Change) -> Canonical:
    if change.after is None:
        raise _Stop("the plan holds no desired content for this change")
    return change.after


def _target(change: Change) -> tuple[str, int]:
    if change.action_id is None or change.live_version is None:
        raise _Stop("the plan holds no live id or version for this change")
    return change.action_id, change.live_version


# Fields a write cannot reset: a PATCH carries no contract or secure, a draft no secure,
# and nothing moves an action to another integration.
FIXED_FIELDS: dict[str, set[str]] = {
    "patch": {"contract", "secure", "integrationId"},
    "draft": {"secure", "integrationId"},
}


def _operation(change: Change) -> str:
    return "draft" if change.draft else "patch"


def _paths(changes: Sequence[Any]) -> str:
    return ", ".join(f.dotted for f in changes) or "content"


def _changed_since_plan(change: Change, live: Canonical) -> str:
    """``changed in the org since the plan was made (timeoutSeconds)``"""
    return f"changed in the org since the plan was made ({_paths(diff(change.before or {}, live))})"


def _error(exc: ApiError) -> dict[str, Any]:
    """What the audit log keeps of a failed request: never the message, which can quote
    submitted values."""
    return {"status": exc.status, "code": exc.code, "correlation_id": exc.correlation_id}


def _outcome_unknown(exc: ApiError) -> bool:
    """Whether a failed write may still have been carried out: no answer, a 408 or a 5xx,
    or a 2xx whose body was unusable (the org accepted the write)."""
    status = exc.status
    return status is None or status == 408 or status >= 500 or 200 <= status < 300


def _version(answer: dict[str, Any]) -> int:
    """The integer ``version`` of an answer (an accepted write whose answer lacks one is a
    stop: what the org holds is read back by the next plan)."""
    value = answer.get("version")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Stop(f"the org answered without a usable version ({value!r}); run plan again")
    return value


def _id_and_version(answer: dict[str, Any]) -> tuple[str, int]:
    ident = answer.get("id")
    if not isinstance(ident, str) or not ident:
        raise _Stop("the org answered without a usable action id; run plan again")
    return ident, _version(answer)
