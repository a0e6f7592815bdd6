"""``dactl usages NAME``: the flows that use one live action (Architect dependency
tracking), and how fresh that data is. Read-only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reconciler.backend import OrgApi
from reconciler.consumers import BuildStatus, Consumer, plural
from reconciler.errors import ApiError, DactlError
from reconciler.impact import build_status, consumers_of, describe_error
from reconciler.live import LiveCache, fetch_live


@dataclass(frozen=True)
class ActionUsages:
    """One live action and the resources that consume it."""

    name: str
    action_id: str
    version: int
    secure: bool
    consumers: tuple[Consumer, ...]

    @property
    def object_type(self) -> str:
        return "SECUREACTION" if self.secure else "DATAACTION"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "id": self.action_id,
            "live_version": self.version,
            "object_type": self.object_type,
            "consumers": [c.to_dict() for c in self.consumers],
            "summary": f"used by {plural(len(self.consumers), 'flow')}",
        }


@dataclass(frozen=True)
class UsagesReport:
    """The live actions of one name (one, unless the org holds duplicates) and their users."""

    name: str
    actions: tuple[ActionUsages, ...]
    build: BuildStatus

    @property
    def consumers(self) -> int:
        return len({c.id for a in self.actions for c in a.consumers})

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": 1,
            "name": self.name,
            "actions": [a.to_dict() for a in self.actions],
            "dependency_build": self.build.to_dict(),
        }


def find_usages(
    api: OrgApi, name: str, *, scope: Iterable[str], cache: LiveCache | None
) -> UsagesReport:
    """The consumers of the live action ``name`` in ``scope`` (every integration when
    empty); a ``DactlError`` when there is no such action or its consumers cannot be read."""
    state = fetch_live(api, scope=scope, cache=cache, name=name)
    if not state.actions:
        where = "in the scope of the project" if list(scope) else "in the org"
        raise DactlError(f"no live action named {name!r} {where}")
    found = []
    for action in sorted(state.actions, key=lambda a: a.id):
        secure = state.raw.get(action.id, {}).get("secure") is True
        kind = "SECUREACTION" if secure else "DATAACTION"
        try:
            consumers = consumers_of(api, action.id, kind)
        except ApiError as exc:
            raise DactlError(
                f"the consumers of {name!r} ({action.id}) could not be read: {describe_error(exc)}"
            ) from exc
        found.append(ActionUsages(name, action.id, action.version, secure, consumers))
    return UsagesReport(name, tuple(found), build_status(api))
