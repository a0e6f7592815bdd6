"""Who uses an action: the flows Architect dependency tracking names as its consumers, and
how fresh that data is (values only, no I/O; ``reconciler.impact`` reads them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# DependencyStatus.status values (SDK ``DependencyStatus``) and what each means for the
# consumers read from the dependency data.
_BUILD_NOTES = {
    "OPERATIONALNEEDSREBUILD": "is stale (the org needs a rebuild)",
    "BUILDINPROGRESS": "is being rebuilt",
    "BUILDQUEUED": "is waiting to be rebuilt",
    "BUILDINITIALIZING": "is being rebuilt",
    "BUILDINCOMPLETE": "is incomplete (its last build did not finish)",
    "NOTBUILT": "was never built",
}
FRESH = "OPERATIONAL"


@dataclass(frozen=True)
class Consumer:
    """A flow (or other resource) that uses an action."""

    id: str
    name: str
    type: str = ""
    version: str | None = None

    @classmethod
    def from_wire(cls, dependency: Mapping[str, Any]) -> Consumer:
        """A ``Dependency`` of the API (its ``type`` as dactl shows it: lower case)."""
        found = cls.from_dict(dependency)
        return cls(found.id, found.name, found.type.lower(), found.version)

    @property
    def label(self) -> str:
        """``Inbound Main (inboundcallflow, v12)``."""
        version = f"v{self.version.removesuffix('.0')}" if self.version else ""
        detail = ", ".join(part for part in (self.type, version) if part)
        return f"{self.name} ({detail})" if detail else self.name

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": self.type, "version": self.version}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Consumer:
        version = data.get("version")
        return cls(
            str(data["id"]),
            str(data.get("name") or data["id"]),
            str(data.get("type") or ""),
            None if version is None else str(version),
        )


@dataclass(frozen=True)
class Usage:
    """Who uses one action that a change puts at risk: ``risks`` say why it was asked
    (``delete``, ``replace``, ``contract change``, ``timeout decrease``, ...);
    ``consumers`` is None when they could not be read (``error`` says why)."""

    risks: tuple[str, ...]
    consumers: tuple[Consumer, ...] | None = None
    error: str | None = None

    @property
    def known(self) -> bool:
        return self.consumers is not None

    @property
    def in_use(self) -> bool:
        return bool(self.consumers)

    def describe(self, limit: int = 10) -> str:
        """``used by 2 flows: A (inboundcallflow, v3), B (...)``, ``used by no flow``,
        or ``consumers unknown: <why>``."""
        if self.consumers is None:
            return f"consumers unknown: {self.error or 'not read'}"
        return used_by(self.consumers, limit)

    def to_dict(self) -> dict[str, Any]:
        return {
            "risks": list(self.risks),
            "consumers": None if self.consumers is None else [c.to_dict() for c in self.consumers],
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Usage:
        found = data.get("consumers")
        return cls(
            tuple(str(r) for r in data.get("risks") or ()),
            None if found is None else tuple(Consumer.from_dict(c) for c in found),
            None if data.get("error") is None else str(data["error"]),
        )


def used_by(consumers: Iterable[Consumer], limit: int = 10) -> str:
    """``used by 3 flows: A (...), B (...), C (...)`` (at most ``limit`` named)."""
    found = list(consumers)
    if not found:
        return "used by no flow"
    names = ", ".join(c.label for c in found[:limit])
    more = f" and {len(found) - limit} more" if len(found) > limit else ""
    return f"used by {plural(len(found), 'flow')}: {names}{more}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class BuildStatus:
    """The dependency-tracking build: ``status`` (None when it could not be read)."""

    status: str | None
    completed: str | None = None
    error: str | None = None

    @property
    def fresh(self) -> bool:
        return self.status == FRESH

    @property
    def note(self) -> str | None:
        """What the reviewer must know about the consumers shown (None: they are fresh)."""
        if self.fresh:
            return None
        if self.status is None:
            why = self.error or "no answer"
            return f"the dependency-tracking build status could not be read ({why})"
        meaning = _BUILD_NOTES.get(self.status, f"is in state {self.status}")
        return (
            f"Architect dependency tracking {meaning} (build status {self.status}): the "
            "flows shown may lag behind the flows in the org"
        )

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "completed": self.completed, "note": self.note}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BuildStatus:
        status, completed = data.get("status"), data.get("completed")
        return cls(
            None if status is None else str(status),
            None if completed is None else str(completed),
            None if status is not None else str(data.get("note") or "not read"),
        )


def affected(usages: Iterable[Usage | None]) -> int:
    """How many distinct flows the usages name."""
    return len({c.id for u in usages if u and u.consumers for c in u.consumers})
