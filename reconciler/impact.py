"""Impact analysis: the flows a risky change touches, from Architect dependency tracking.

A change is risky when flows that call the action can break: a delete, a replace (the
action gets a new id), a contract or ``secure`` change, a rename (flows show the old
name), a lower timeout. For each one, plan asks dependency tracking once which resources
consume the action (``consuming_resources``), cached per action version for
``CONSUMERS_MAX_AGE`` seconds, and reads the build status once, to say when that data
lags behind the flows. Nothing else is asked: an unchanged org costs no request here.

Apply asks again, uncached and for published flows only, before it deletes or replaces an
action (``in_use``): what runs in production is what matters there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from reconciler.backend import OrgApi
from reconciler.consumers import BuildStatus, Consumer, Usage
from reconciler.errors import ApiError
from reconciler.plan import Change, Plan

# Flows change without the action's version moving: a cached answer is used this long.
CONSUMERS_MAX_AGE = 3600.0
PERMISSION = "architect:dependencyTracking:view"


class ConsumerCache(Protocol):
    def get_consumers(self, action_id: str, version: int, max_age: float) -> list[Any] | None: ...

    def put_consumers(self, action_id: str, version: int, consumers: list[Any]) -> None: ...


def risks_of(change: Change) -> tuple[str, ...]:
    """Why ``change`` can break the flows that use the action (empty: it cannot)."""
    if change.kind == "create":
        return ()
    if change.kind == "delete":
        return ("delete",)
    tops = {f.top for f in change.fields}
    out = ["replace"] if change.kind == "replace" else []
    out += ["rename"] if change.rename else []
    out += ["contract change"] if "contract" in tops else []
    out += ["secure change"] if "secure" in tops else []
    timeout = change.timeout_change
    if timeout is not None:
        before, after = timeout.before, timeout.after
        if _number(before) and _number(after) and after < before:
            out.append("timeout decrease")
    return tuple(out)


def object_type(change: Change) -> str:
    """How dependency tracking names the live action: ``SECUREACTION`` for a secure one."""
    return "SECUREACTION" if (change.before or {}).get("secure") is True else "DATAACTION"


def gather(
    plan: Plan,
    api: OrgApi,
    cache: ConsumerCache | None,
    *,
    select: Callable[[Change], bool] | None = None,
) -> Plan:
    """``plan`` with the consumers of each risky change (``select`` narrows which) and the
    build status; the plan unchanged when no change is risky."""
    picked: list[tuple[int, Change, tuple[str, ...]]] = []
    for index, change in enumerate(plan.changes):
        risks = risks_of(change)
        if risks and change.action_id and (select is None or select(change)):
            picked.append((index, change, risks))
    if not picked:
        return plan

    def one(item: tuple[int, Change, tuple[str, ...]]) -> Usage:
        _, change, risks = item
        try:
            found = _consumers(api, cache, change)
        except ApiError as exc:
            return Usage(risks, None, describe_error(exc))
        return Usage(risks, found)

    usages = dict(zip((i for i, _, _ in picked), api.client.map(one, picked), strict=True))
    changes = tuple(
        replace(c, usage=usages[i]) if i in usages else c for i, c in enumerate(plan.changes)
    )
    return replace(plan, changes=changes, dependency_build=build_status(api))


def _consumers(api: OrgApi, cache: ConsumerCache | None, change: Change) -> tuple[Consumer, ...]:
    action_id, version = change.action_id or "", change.live_version
    if cache is not None and version is not None:
        cached = cache.get_consumers(action_id, version, CONSUMERS_MAX_AGE)
        if cached is not None:
            return tuple(Consumer.from_dict(c) for c in cached)
    found = consumers_of(api, action_id, object_type(change))
    if cache is not None and version is not None:
        cache.put_consumers(action_id, version, [c.to_dict() for c in found])
    return found


def consumers_of(
    api: OrgApi, action_id: str, kind: str, *, published_only: bool = False
) -> tuple[Consumer, ...]:
    """The consumers of one action, sorted by name (``ApiError`` when they cannot be read)."""
    flow_filter = "published" if published_only else None
    found = api.consuming_resources(action_id, kind, flow_filter=flow_filter)
    consumers = {(c.id, c.version): c for c in map(Consumer.from_wire, found)}
    return tuple(sorted(consumers.values(), key=lambda c: (c.name.lower(), c.id, c.version or "")))


def build_status(api: OrgApi) -> BuildStatus:
    """The dependency-tracking build status; unread (``status`` None) on an API error."""
    try:
        found = api.dependency_build()
    except ApiError as exc:
        return BuildStatus(None, error=describe_error(exc))
    status, completed = found.get("status"), found.get("dateCompleted")
    return BuildStatus(
        status if isinstance(status, str) else None,
        completed if isinstance(completed, str) else None,
        None if isinstance(status, str) else "the answer names no status",
    )


def describe_error(exc: ApiError) -> str:
    """Why consumers could not be read, in a few words."""
    if exc.status == 403:
        return f"the OAuth client lacks the permission {PERMISSION} (HTTP 403)"
    if exc.status is not None:
        return f"HTTP {exc.status}" + (f" {exc.code}" if exc.code else "")
    return str(exc).splitlines()[0] if str(exc) else "no answer"


@dataclass(frozen=True)
class InUse:
    """An action apply would delete or replace, and the published flows that use it
    (``error``: they could not be read)."""

    change: Change
    consumers: tuple[Consumer, ...] = ()
    error: str | None = None

    def describe(self) -> str:
        what = f"{self.change.kind} {self.change.name!r}"
        if self.error is not None:
            return f"{what}: its consumers could not be read ({self.error})"
        names = ", ".join(c.label for c in self.consumers)
        return f"{what}: used by published flows: {names}"


def in_use(api: OrgApi, changes: Iterable[Change]) -> list[InUse]:
    """The deletes and replaces whose action published flows use, asked now (no cache);
    an action whose consumers cannot be read is listed too, with why."""
    targets = [c for c in changes if c.kind in ("delete", "replace") and c.action_id]

    def one(change: Change) -> InUse | None:
        try:
            found = consumers_of(
                api, change.action_id or "", object_type(change), published_only=True
            )
        except ApiError as exc:
            return InUse(change, error=describe_error(exc))
        return InUse(change, found) if found else None

    return [found for found in api.client.map(one, targets) if found is not None]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
