"""The plan: what would change in the org, as immutable, sorted, counted change objects.

Identity is the action name inside the managed scope (docs/architecture.md, rule 1). Config,
name and category changes are one in-place update; a contract, integration or ``secure``
change is a replace (new id), but a contract change takes the draft path on the same id
where the project says its org accepts that; every change of a Function action goes through
a draft. Deletes appear only with prune on.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.canonical import Canonical, canonical_desired, content_hash
from reconciler.config.model import ActionSpec
from reconciler.diff import FieldChange, diff
from reconciler.errors import PlanError
from reconciler.packages import Package
from reconciler.suggest import did_you_mean

ChangeKind = Literal["create", "update", "replace", "delete"]
KIND_ORDER: dict[str, int] = {"create": 0, "update": 1, "replace": 2, "delete": 3}
DRAFT_FIELDS = frozenset({"contract"})
FUNCTION_INTEGRATION_TYPE = "function-data-actions"


@dataclass(frozen=True)
class LiveAction:
    """A live action in scope: its id, version and canonical content."""

    id: str
    version: int
    canonical: Canonical


@dataclass(frozen=True)
class Integrations:
    """The org's integrations, by id. A name held by several of them is ``ambiguous``."""

    names_by_id: dict[str, str]
    types_by_id: dict[str, str] = field(default_factory=dict)  # integrationType ids

    @classmethod
    def from_names(cls, by_name: dict[str, str]) -> Integrations:
        return cls({ident: name for name, ident in by_name.items()})

    def is_function(self, integration_id: str) -> bool:
        """Whether the integration hosts Genesys Cloud Function actions."""
        return self.types_by_id.get(integration_id) == FUNCTION_INTEGRATION_TYPE

    @property
    def by_name(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for ident, name in sorted(self.names_by_id.items()):
            out.setdefault(name, ident)
        return out

    @property
    def ambiguous(self) -> frozenset[str]:
        seen = Counter(self.names_by_id.values())
        return frozenset(name for name, n in seen.items() if n > 1)

    def ids_named(self, names: Iterable[str]) -> set[str]:
        wanted = set(names)
        return {ident for ident, name in self.names_by_id.items() if name in wanted}


@dataclass(frozen=True)
class Change:
    """One planned change to one action."""

    kind: ChangeKind
    name: str
    action_id: str | None = None
    live_version: int | None = None
    live_hash: str | None = None
    fields: tuple[FieldChange, ...] = ()
    before: Canonical | None = None
    after: Canonical | None = None
    draft: bool = False
    reason: str = ""
    source: str | None = None
    package: Package | None = None  # a function action's code, when it is to be uploaded

    @property
    def timeout_change(self) -> FieldChange | None:
        return next((f for f in self.fields if f.path == ("timeoutSeconds",)), None)

    @property
    def terraform_actions(self) -> list[str]:
        """The change in Terraform's words, for the JSON plan."""
        return ["delete", "create"] if self.kind == "replace" else [self.kind]


@dataclass(frozen=True)
class Kept:
    """A live in-scope action that no file claims, left alone because prune is off: not a
    change, listed so the reviewer knows it is there (``dactl plan --prune`` deletes it)."""

    name: str
    action_id: str
    live_version: int | None = None


@dataclass(frozen=True)
class Safety:
    """The project's safety thresholds (``safety`` in dactl.yaml), in the octoDNS manner.

    When at least ``min_existing`` actions exist in scope, a plan that updates more than
    ``max_update_percent`` of them, or deletes more than ``max_delete_percent``, is unsafe:
    apply refuses it without ``--force``. A replace removes an id and adds one, so it counts
    as an update and as a delete. Creates never count.
    """

    max_update_percent: float = 30
    max_delete_percent: float = 10
    min_existing: int = 10

    def violations(self, changes: Iterable[Change], existing: int) -> tuple[str, ...]:
        """Why a plan with ``changes`` over ``existing`` live actions is unsafe (empty: safe)."""
        if existing < self.min_existing or existing == 0:
            return ()
        kinds = Counter(c.kind for c in changes)
        out = []
        checks = (
            ("update", kinds["update"] + kinds["replace"], self.max_update_percent),
            ("delete", kinds["delete"] + kinds["replace"], self.max_delete_percent),
        )
        for verb, n, limit in checks:
            share = 100 * n / existing
            if share > limit:
                out.append(
                    f"it would {verb} {n} of {existing} existing actions ({share:.0f}%), "
                    f"over max{verb.capitalize()}Percent {limit:g}"
                )
        return tuple(out)


@dataclass(frozen=True)
class Plan:
    """Every change, sorted; ``unchanged`` names the in-scope actions that match.

    ``existing`` counts the live in-scope actions the plan was made against;
    ``unsafe`` says why the plan is over the safety thresholds (empty when it is not);
    ``kept`` lists the live actions no file claims, when prune is off (they are no changes).
    """

    changes: tuple[Change, ...]
    unchanged: tuple[str, ...] = ()
    desired_hash: str = ""
    existing: int = 0
    unsafe: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    kept: tuple[Kept, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.changes

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    @property
    def timeout_changes(self) -> int:
        return sum(1 for c in self.changes if c.kind == "update" and c.timeout_change)

    def summary(self) -> str:
        """``Plan: 2 to create, 3 to update (1 timeout change), 0 to replace, 0 to delete.``"""
        if self.empty:
            return "No changes. The org matches the desired state."
        updates = f"{self.count('update')} to update"
        if self.timeout_changes:
            s = "" if self.timeout_changes == 1 else "s"
            updates += f" ({self.timeout_changes} timeout change{s})"
        return (
            f"Plan: {self.count('create')} to create, {updates}, "
            f"{self.count('replace')} to replace, {self.count('delete')} to delete."
        )


def build_plan(
    desired: Iterable[ActionSpec],
    live: Iterable[LiveAction],
    integrations: Integrations,
    *,
    prune: bool = False,
    contracts_mutable: bool = True,
    targets: Iterable[str] | None = None,
    safety: Safety | None = None,
) -> Plan:
    """Compare desired with live and return the plan (no I/O)."""
    wanted = set(targets) if targets is not None else None
    desired_list = sorted(desired, key=lambda s: s.name)
    canon = {s.name: _canonical(s, integrations) for s in desired_list}
    live_list = list(live)
    groups = _group_live(live_list)
    refuse_duplicate_names(live_list, among=canon)
    live_by_name = {n: g[0] for n, g in groups.items() if n in canon}
    _refuse_function_mismatches(desired_list, canon, live_by_name, integrations)
    changes: list[Change] = []
    unchanged: list[str] = []
    notes: list[str] = []
    for spec in desired_list:
        if wanted is not None and spec.name not in wanted:
            continue
        after = canon[spec.name]
        current = live_by_name.get(spec.name)
        function = integrations.is_function(after["integrationId"])
        if current is None:
            changes.append(
                Change(
                    "create",
                    spec.name,
                    after=after,
                    source=spec.source,
                    draft=function,
                    package=_package(spec),
                )
            )
            continue
        after, note = unmanaged_from_live(spec, after, current.canonical)
        notes.extend([note] if note else [])
        change = _compare(spec, current, after, contracts_mutable, function)
        if change is None:
            unchanged.append(spec.name)
        else:
            changes.append(change)
    kept: list[Kept] = []
    # Every live action with no file: deleted with prune (duplicates of one name
    # included), else listed as kept.
    for name, group in sorted(groups.items()):
        if name in canon or (wanted is not None and name not in wanted):
            continue
        for current in sorted(group, key=lambda a: a.id):
            if not prune:
                kept.append(Kept(name, current.id, current.version))
                continue
            changes.append(
                Change(
                    "delete",
                    name,
                    current.id,
                    current.version,
                    content_hash(current.canonical),
                    before=current.canonical,
                )
            )
    if wanted is not None:
        refuse_unknown_targets(wanted, set(canon) | set(groups))
    changes.sort(key=lambda c: (c.name, KIND_ORDER[c.kind], c.action_id or ""))
    existing = sum(len(g) for g in groups.values())
    return Plan(
        tuple(changes),
        tuple(sorted(unchanged)),
        desired_hash(canon.values()),
        existing=existing,
        unsafe=(safety or Safety()).violations(changes, existing),
        notes=tuple(notes),
        kept=tuple(kept),
    )


def refuse_unknown_targets(wanted: Iterable[str], known: Collection[str]) -> None:
    """A ``--target`` that names no action (no file, no live action in scope) is an error
    that suggests the closest names: a typo must not plan nothing in silence."""
    missing = sorted(set(wanted) - set(known))
    if not missing:
        return
    hints = []
    for name in missing:
        hint = did_you_mean(name, known)
        if hint:
            hints.append(hint if len(missing) == 1 else f"{name}: {hint}")
    raise PlanError(
        f"--target names no known action: {', '.join(missing)}"
        + (f" ({'; '.join(hints)})" if hints else "")
    )


def unmanaged_from_live(
    spec: ActionSpec, after: Canonical, live: Canonical
) -> tuple[Canonical, str | None]:
    """``after`` with what the file leaves unmanaged taken from the live action: a Function
    action's settings when the file has no ``function:``, its code package when the
    ``function:`` block names none (an exported file: the org's package cannot be
    downloaded). The note says so, since that part is never compared."""
    live_function = live.get("function")
    if live_function is None:
        return after, None
    if spec.function is None:
        note = (
            f"{spec.name!r}: the file has no function: block, so the function's settings "
            "and code package in the org are left alone (not compared)"
        )
        return {**after, "function": live_function}, note
    if spec.function.package is None:
        note = (
            f"{spec.name!r}: package unknown: the file names no function.package, so the "
            f"code package in the org ({live_function.get('package') or 'none'}) is not "
            "compared"
        )
        function = {**after["function"], "package": live_function.get("package")}
        return {**after, "function": function}, note
    return after, None


def _package(spec: ActionSpec) -> Package | None:
    function = spec.function
    if function is None or function.package_path is None or function.identity is None:
        return None
    return Package(function.package_path, function.identity)


def _refuse_function_mismatches(
    desired: list[ActionSpec],
    canon: dict[str, Canonical],
    live: dict[str, LiveAction],
    integrations: Integrations,
) -> None:
    """A ``function:`` block belongs to Function actions only, and Genesys publishes no
    Function action without its code package (SDK ``post_integrations_actions``: function
    actions "must be created as drafts to allow managing of uploading required ZIP function
    package")."""
    problems = []
    for spec in desired:
        function = integrations.is_function(canon[spec.name]["integrationId"])
        if spec.function is not None and not function:
            problems.append(
                f"{spec.source}: function: is only for actions of a Function Data Actions "
                "integration; remove it or change the integration"
            )
        elif function and spec.name not in live and (
            spec.function is None or spec.function.package is None
        ):
            problems.append(
                f"{spec.source}: a Function action is published only with its code: add "
                "function: {handler, runtime, package} (package: a directory or .zip next "
                "to the file)"
            )
    if problems:
        raise PlanError("; ".join(problems))


def _compare(
    spec: ActionSpec,
    current: LiveAction,
    after: Canonical,
    contracts_mutable: bool,
    function: bool = False,
) -> Change | None:
    fields = tuple(diff(current.canonical, after))
    if not fields:
        return None
    tops = {f.top for f in fields}
    common: dict[str, Any] = {
        "action_id": current.id,
        "live_version": current.version,
        "live_hash": content_hash(current.canonical),
        "fields": fields,
        "before": current.canonical,
        "after": after,
        "source": spec.source,
        "package": _package(spec),
    }
    if "integrationId" in tops:
        return Change("replace", spec.name, reason="the integration changed", **common)
    if "secure" in tops:
        return Change("replace", spec.name, reason="secure cannot change once published", **common)
    if "contract" in tops and not contracts_mutable:
        return Change("replace", spec.name, reason="the org refuses contract changes", **common)
    # Function actions change only through a draft: settings and code go with it.
    return Change("update", spec.name, draft=function or bool(tops & DRAFT_FIELDS), **common)


def _group_live(live: Iterable[LiveAction]) -> dict[str, list[LiveAction]]:
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


def _canonical(spec: ActionSpec, integrations: Integrations) -> Canonical:
    if spec.integration_id is not None:
        name = integrations.names_by_id.get(spec.integration_id)
        if name is None:
            raise PlanError(
                f"{spec.source}: integrationId {spec.integration_id!r} is not an "
                "integration in scope in this org"
            )
        return canonical_desired(spec, spec.integration_id, name)
    assert spec.integration is not None  # the schema requires one of the two
    if spec.integration in integrations.ambiguous:
        raise PlanError(
            f"{spec.source}: several integrations are named {spec.integration!r}; "
            "use integrationId to say which"
        )
    integration_id = integrations.by_name.get(spec.integration)
    if integration_id is None:
        known = ", ".join(sorted(integrations.by_name)) or "none"
        raise PlanError(
            f"{spec.source}: integration {spec.integration!r} was not found in "
            f"scope in this org (found: {known})"
        )
    return canonical_desired(spec, integration_id, spec.integration)


def desired_hash(canonicals: Iterable[Canonical]) -> str:
    """A hash of the whole desired state, to tell whether a saved plan's input changed."""
    text = json.dumps(
        sorted(canonicals, key=lambda c: c["name"]),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def count_kinds(plan: Plan) -> dict[str, int]:
    """Counts per change kind, every kind present."""
    counts: Counter[str] = Counter(c.kind for c in plan.changes)
    return {kind: counts[kind] for kind in KIND_ORDER}
