"""Drift: how the org differs from git, read off a plan made with prune on (no I/O).

A plan says what apply would do to make the org match git; drift says what happened in
the org. So an ``update`` or ``replace`` is an action **changed** outside git, a
``create`` is an action **missing** from the org, and a ``delete`` (with prune on, every
live in-scope action without a file) is an **unmanaged** action. Field changes are turned
around to read as the change made in the org: ``before`` is git, ``after`` is the org.
Fields that ignore rules leave alone are no drift; the report counts them.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Literal

from reconciler.consumers import Usage
from reconciler.diff import FieldChange
from reconciler.plan import Change, Ignored, Plan, ignored_note

DriftStatus = Literal["changed", "missing", "unmanaged"]
STATUSES: tuple[DriftStatus, ...] = ("changed", "missing", "unmanaged")
DRIFT_FORMAT_VERSION = 1
_STATUS_OF_KIND: dict[str, DriftStatus] = {
    "update": "changed",
    "replace": "changed",
    "create": "missing",
    "delete": "unmanaged",
}


@dataclass(frozen=True)
class DriftedAction:
    """One action whose org state differs from git.

    ``fields`` read git -> org. ``action_id`` and ``live_version`` are unset for a missing
    action; ``source`` (the file) is unset for an unmanaged one.
    """

    status: DriftStatus
    name: str
    action_id: str | None = None
    live_version: int | None = None
    fields: tuple[FieldChange, ...] = ()
    source: str | None = None
    usage: Usage | None = None  # for an unmanaged action: the flows that use it

    @classmethod
    def from_change(cls, change: Change) -> DriftedAction:
        return cls(
            _STATUS_OF_KIND[change.kind],
            change.name,
            change.action_id,
            change.live_version,
            tuple(FieldChange(f.path, f.after, f.before) for f in change.fields),
            change.source,
            change.usage if change.kind == "delete" else None,
        )

    @property
    def in_use(self) -> bool:
        """An unmanaged action that flows use: the first to adopt."""
        return self.usage is not None and self.usage.in_use


@dataclass(frozen=True)
class DriftReport:
    """Every drifted action, sorted by status then name; ``in_sync`` names those that match;
    ``ignored`` the differences ignore rules left alone; ``directory`` the tree compared
    (for the command that adopts an unmanaged action)."""

    actions: tuple[DriftedAction, ...]
    in_sync: tuple[str, ...] = ()
    ignored: tuple[Ignored, ...] = ()
    directory: str | None = None

    def adopt_command(self, name: str | None = None) -> str:
        """``dactl export --out actions --name 'Made In The Org'`` (``--unmanaged`` for
        every unmanaged action): writes only that file into the tree, touching no other."""
        out = shlex.quote(self.directory or "actions")
        which = "--unmanaged" if name is None else f"--name {shlex.quote(name)}"
        return f"dactl export --out {out} {which}"

    @property
    def drifted(self) -> bool:
        return bool(self.actions)

    def with_status(self, status: DriftStatus) -> tuple[DriftedAction, ...]:
        return tuple(a for a in self.actions if a.status == status)

    def counts(self) -> dict[str, int]:
        """Drifted actions per status, every status present."""
        return {status: len(self.with_status(status)) for status in STATUSES}

    def summary(self) -> str:
        """``Drift: 1 changed outside git, 0 missing, 2 unmanaged.``"""
        ignored = ignored_note(self.ignored)
        if not self.drifted:
            return "No drift: the org matches git" + (f" ({ignored})." if ignored else ".")
        n = self.counts()
        return (
            f"Drift: {n['changed']} changed outside git, {n['missing']} missing, "
            f"{n['unmanaged']} unmanaged" + (f"; {ignored}." if ignored else ".")
        )


def drift_report(plan: Plan, directory: str | None = None) -> DriftReport:
    """The drift a plan shows; make the plan with prune on so unmanaged actions appear.
    ``directory``: the tree compared, named in the advice for unmanaged actions."""
    order = {status: i for i, status in enumerate(STATUSES)}
    # Unmanaged actions that flows use come first among the unmanaged: adopt them first.
    actions = sorted(
        (DriftedAction.from_change(c) for c in plan.changes),
        key=lambda a: (order[a.status], not a.in_use, a.name),
    )
    return DriftReport(tuple(actions), plan.unchanged, plan.ignored, directory)
