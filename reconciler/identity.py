"""Identity: which live action a file's action is (docs/architecture.md, rule 1).

A name is an action's identity inside the managed scope: two live actions with one name
are an error naming both ids, never a guess (``refuse_duplicate_names``, the one place this
is decided; ``reconciler.plan`` uses it). A file may list the names its action had before
(``formerNames``): when no live action has the file's name, the live action of one of them
(same integration) is taken over and renamed in place (``find_renames``), under the same
rule: two candidates are an error naming both.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from reconciler.canonical import Canonical
from reconciler.config.model import ActionSpec
from reconciler.errors import PlanError


@dataclass(frozen=True)
class LiveAction:
    """A live action in scope: its id, version and canonical content."""

    id: str
    version: int
    canonical: Canonical


def find_renames(
    desired: list[ActionSpec], canon: dict[str, Canonical], groups: dict[str, list[LiveAction]]
) -> dict[str, LiveAction]:
    """The live action each renaming file takes over, by the file's name: a file whose
    name no live action has, and the one live action of its integration that has one of
    its ``formerNames``. Two candidates (one by its name and one by a former name, or two
    by former names) are a ``PlanError`` naming both ids, in the manner of rule 1."""
    out: dict[str, LiveAction] = {}
    for spec in desired:
        integration = canon[spec.name]["integrationId"]
        found = [
            (old, action)
            for old in spec.former_names
            for action in sorted(groups.get(old, ()), key=lambda a: a.id)
            if action.canonical["integrationId"] == integration
        ]
        if not found:
            continue
        by_name = groups.get(spec.name, [])
        if by_name or len(found) > 1:
            shown = "; ".join(
                [f"{spec.name!r}: {a.id}" for a in by_name]
                + [f"{old!r} (a former name): {a.id}" for old, a in found]
            )
            raise PlanError(
                f"{spec.source}: several live actions could be {spec.name!r}, and a name is "
                f"an action's identity (never guessed): {shown}; delete or rename all but "
                "one in the org, or remove the former name from formerNames"
            )
        out[spec.name] = found[0][1]
    return out


def group_live(live: Iterable[LiveAction]) -> dict[str, list[LiveAction]]:
    by_name: dict[str, list[LiveAction]] = {}
    for action in live:
        by_name.setdefault(action.canonical["name"], []).append(action)
    return by_name


def refuse_duplicate_names(
    actions: Iterable[LiveAction], *, among: Collection[str] | None = None
) -> None:
    """Rule 1 of docs/architecture.md, in its one place: a name two live actions carry is
    a ``PlanError`` naming both ids, never a guess. ``among``: only these names matter
    (live duplicates no file names are not in the way of a plan; prune deletes them all)."""
    ids: dict[str, list[str]] = {}
    for action in actions:
        ids.setdefault(action.canonical["name"], []).append(action.id)
    clashes = sorted(
        (name, sorted(group))
        for name, group in ids.items()
        if len(group) > 1 and (among is None or name in among)
    )
    if clashes:
        lines = [f"{name!r}: {', '.join(group)}" for name, group in clashes]
        raise PlanError(
            "several live actions share one name, and a name is an action's identity; "
            "rename or delete all but one in the org (never guessed): " + "; ".join(lines)
        )
