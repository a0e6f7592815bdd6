"""``dactl compare``: the difference between two live orgs (two environments of one tree, or
two trees), action by action, matched by name; what a change-advisory board asks before a
release ("what is in dev that is not in prod yet?").

Each side's live actions are read into the canonical form, then made comparable across
orgs: the integration is named (its id differs from org to org), a category equal to the
integration's name is left out, and every field that the side's action file writes with a
placeholder (``{{ var.host }}``) is shown as that placeholder when the org holds exactly
what it resolves to in that side's environment. So the values that are meant to differ
between environments compare equal, and any other difference shows, with the org's values.
Fields read A → B.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.canonical import Canonical
from reconciler.config.placeholders import PLACEHOLDER, restore_placeholders
from reconciler.diff import FieldChange, diff
from reconciler.live import LiveState
from reconciler.organization import OrgInfo
from reconciler.plan import Integrations, LiveAction, refuse_duplicate_names

CompareStatus = Literal["differs", "only_a", "only_b"]
STATUSES: tuple[CompareStatus, ...] = ("differs", "only_a", "only_b")
COMPARE_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Side:
    """One side of a comparison: what it is called, its tree, environment and org."""

    label: str
    directory: str
    environment: str | None = None
    organization: OrgInfo | None = None

    def to_dict(self) -> dict[str, Any]:
        org = self.organization
        return {
            "label": self.label,
            "directory": self.directory,
            "environment": self.environment,
            "organization": None if org is None else org.to_dict(),
        }


@dataclass(frozen=True)
class SideState:
    """What one side's org holds, and how to read its placeholders: the action files as
    written (by action name) and the variables of its environment."""

    side: Side
    live: LiveState
    written: Mapping[str, Any] = field(default_factory=dict)
    variables: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ComparedAction:
    """An action that is not the same on both sides: it ``differs`` (``fields`` read
    A → B), or is only on one side."""

    name: str
    status: CompareStatus
    a_id: str | None = None
    a_version: int | None = None
    b_id: str | None = None
    b_version: int | None = None
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class CompareReport:
    """Every action that differs or is on one side only (by status, then name), and the
    names of those that are the same."""

    a: Side
    b: Side
    actions: tuple[ComparedAction, ...]
    same: tuple[str, ...] = ()

    @property
    def differs(self) -> bool:
        return bool(self.actions)

    def with_status(self, status: CompareStatus) -> tuple[ComparedAction, ...]:
        return tuple(a for a in self.actions if a.status == status)

    def counts(self) -> dict[str, int]:
        """Actions per status, every status present, and ``same``."""
        out = {status: len(self.with_status(status)) for status in STATUSES}
        return out | {"same": len(self.same)}

    def summary(self) -> str:
        """``Compare: 1 differs, 1 only in dev, 0 only in prod, 8 the same.``, or that
        there are no differences."""
        if not self.differs:
            same = len(self.same)
            return f"No differences: {self.a.label} and {self.b.label} hold the same {same} " + (
                "action." if same == 1 else "actions."
            )
        n: dict[str, int] = self.counts()
        verb = "differs" if n["differs"] == 1 else "differ"
        return (
            f"Compare: {n['differs']} {verb}, {n['only_a']} only in {self.a.label}, "
            f"{n['only_b']} only in {self.b.label}, {n['same']} the same."
        )

    def status_label(self, status: CompareStatus) -> str:
        """``differs``, ``only in dev``, ``only in prod``."""
        if status == "differs":
            return "differs"
        return f"only in {self.a.label if status == 'only_a' else self.b.label}"


def compare(a: SideState, b: SideState) -> CompareReport:
    """The comparison of two sides. Two live actions with one name on a side are a
    ``PlanError`` naming both ids (a name is an action's identity)."""
    refuse_duplicate_names(a.live.actions)
    refuse_duplicate_names(b.live.actions)
    left = {x.canonical["name"]: x for x in a.live.actions}
    right = {x.canonical["name"]: x for x in b.live.actions}
    found: list[ComparedAction] = []
    same: list[str] = []
    for name in sorted(set(left) | set(right)):
        x, y = left.get(name), right.get(name)
        if x is None and y is not None:
            found.append(ComparedAction(name, "only_b", b_id=y.id, b_version=y.version))
        elif y is None and x is not None:
            found.append(ComparedAction(name, "only_a", a_id=x.id, a_version=x.version))
        elif x is not None and y is not None:
            fields = diff(comparable(x, a), comparable(y, b))
            if not fields:
                same.append(name)
                continue
            found.append(
                ComparedAction(name, "differs", x.id, x.version, y.id, y.version, tuple(fields))
            )
    order = {status: i for i, status in enumerate(STATUSES)}
    found.sort(key=lambda c: (order[c.status], c.name))
    return CompareReport(a.side, b.side, tuple(found), tuple(same))


def comparable(action: LiveAction, state: SideState) -> Canonical:
    """The canonical live action of one side as it is compared with the other side's."""
    out = _named_integration(action.canonical, state.live.integrations)
    written = state.written.get(action.canonical["name"])
    restore_placeholders(out, written, state.variables, _spelled)
    return out


def _named_integration(canonical: Canonical, integrations: Integrations) -> Canonical:
    out = copy.deepcopy(canonical)
    integration_id = str(out.pop("integrationId", ""))
    name = integrations.names_by_id.get(integration_id, integration_id)
    if out.get("category") == name:
        out.pop("category")
    return {"name": out.pop("name"), "integration": name, **out}


def _spelled(text: str) -> str:
    """A value with placeholders, spelled one way (``{{ var.host }}``), so two trees that
    space them differently compare equal."""
    return PLACEHOLDER.sub(lambda m: "{{ var." + m.group(1) + " }}", text.strip())


__all__ = [
    "COMPARE_FORMAT_VERSION",
    "STATUSES",
    "CompareReport",
    "ComparedAction",
    "Side",
    "SideState",
    "comparable",
    "compare",
]
