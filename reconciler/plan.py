"""The plan: what would change in the org, as immutable, sorted, counted change objects.

Identity is the action name inside the managed scope (docs/architecture.md, rule 1). Config,
name and category changes are one in-place update; a contract, integration or ``secure``
change is a replace (new id), but a contract change takes the draft path on the same id
where the project says its org accepts that; every change of a Function action goes through
a draft. Deletes appear only with prune on. A file whose name no live action has takes over
the live action of one of its ``formerNames`` (same integration): a rename on the same id.
Ignore rules (``reconciler.ignore``) keep the live value of the fields they name.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from reconciler.canonical import Canonical, canonical_desired, content_hash
from reconciler.config.model import ActionSpec
from reconciler.consumers import BuildStatus, Usage, affected, plural
from reconciler.diff import FieldChange, diff
from reconciler.errors import PlanError
from reconciler.identity import LiveAction as LiveAction
from reconciler.identity import find_renames, group_live
from reconciler.identity import refuse_duplicate_names as refuse_duplicate_names
from reconciler.ignore import IgnorePath, dotted, keep_live, parse_rules
from reconciler.packages import Package
from reconciler.suggest import did_you_mean

ChangeKind = Literal["create", "update", "replace", "delete"]
KIND_ORDER: dict[str, int] = {"create": 0, "update": 1, "replace": 2, "delete": 3}
DRAFT_FIELDS = frozenset({"contract"})
FUNCTION_INTEGRATION_TYPE = "function-data-actions"


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
    renamed_from: str | None = None  # the live action's name, when the file renames it
    ignore: tuple[IgnorePath, ...] = ()  # the ignore rules in force (apply keeps them)
    usage: Usage | None = None  # the flows that use the action, for a risky change

    @property
    def rename(self) -> bool:
        """An in-place update that renames the action (same id)."""
        return self.kind == "update" and self.renamed_from is not None

    @property
    def label(self) -> str:
        """``'New'``, or ``'Old' → 'New'`` for a rename."""
        if self.renamed_from is None:
            return repr(self.name)
        return f"{self.renamed_from!r} → {self.name!r}"

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
class Ignored:
    """An action some of whose differing fields ignore rules left alone: their paths."""

    name: str
    paths: tuple[str, ...]


def ignored_note(ignored: Iterable[Ignored]) -> str:
    """``ignored: 2 fields`` (empty when nothing was ignored)."""
    n = sum(len(i.paths) for i in ignored)
    return f"ignored: {n} field{'' if n == 1 else 's'}" if n else ""


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
    ``kept`` lists the live actions no file claims, when prune is off (they are no changes);
    ``ignored`` the fields whose differences ignore rules left alone, per action.
    """

    changes: tuple[Change, ...]
    unchanged: tuple[str, ...] = ()
    desired_hash: str = ""
    existing: int = 0
    unsafe: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    kept: tuple[Kept, ...] = ()
    ignored: tuple[Ignored, ...] = ()
    dependency_build: BuildStatus | None = None  # read when consumers were

    @property
    def empty(self) -> bool:
        return not self.changes

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    @property
    def timeout_changes(self) -> int:
        return sum(1 for c in self.changes if c.kind == "update" and c.timeout_change)

    def summary(self) -> str:
        """``Plan: 2 to create, 3 to update (1 rename, 1 timeout change), 0 to replace, 0 to
        delete.``, with ``; ignored: 1 field`` before the stop when ignore rules hid any."""
        ignored = ignored_note(self.ignored)
        if self.empty:
            tail = f" ({ignored})" if ignored else ""
            return f"No changes. The org matches the desired state{tail}."
        updates = f"{self.count('update')} to update"
        renames = sum(1 for c in self.changes if c.rename)
        extra = [f"{renames} rename{'' if renames == 1 else 's'}"] if renames else []
        if self.timeout_changes:
            s = "" if self.timeout_changes == 1 else "s"
            extra.append(f"{self.timeout_changes} timeout change{s}")
        if extra:
            updates += f" ({', '.join(extra)})"
        parts = [part for part in (ignored, self.affected_note) if part]
        return (
            f"Plan: {self.count('create')} to create, {updates}, "
            f"{self.count('replace')} to replace, {self.count('delete')} to delete"
            + "".join(f"; {part}" for part in parts)
            + "."
        )

    @property
    def affected_note(self) -> str:
        """``2 flows affected`` (``, consumers unknown for 1 action`` when some could not
        be read); empty when no flow is known to use a changed action."""
        usages = [c.usage for c in self.changes if c.usage is not None]
        n, unknown = affected(usages), sum(1 for u in usages if not u.known)
        out = f"{plural(n, 'flow')} affected" if n else ""
        if unknown:
            out += f"{', ' if out else ''}consumers unknown for {plural(unknown, 'action')}"
        return out


def build_plan(
    desired: Iterable[ActionSpec],
    live: Iterable[LiveAction],
    integrations: Integrations,
    *,
    prune: bool = False,
    contracts_mutable: bool = True,
    targets: Iterable[str] | None = None,
    safety: Safety | None = None,
    ignore: Iterable[str] = (),
) -> Plan:
    """Compare desired with live and return the plan (no I/O). ``ignore``: the project's
    ignore rules (each action's own come on top)."""
    wanted = set(targets) if targets is not None else None
    desired_list = sorted(desired, key=lambda s: s.name)
    canon = {s.name: _canonical(s, integrations) for s in desired_list}
    live_list = list(live)
    groups = group_live(live_list)
    refuse_duplicate_names(live_list, among=canon)
    renamed = find_renames(desired_list, canon, groups)
    claimed = {a.id for a in renamed.values()}
    live_by_name = {n: g[0] for n, g in groups.items() if n in canon} | renamed
    _refuse_function_mismatches(desired_list, canon, live_by_name, integrations)
    project_ignore = tuple(ignore)
    changes: list[Change] = []
    unchanged: list[str] = []
    notes: list[str] = []
    ignored: list[Ignored] = []
    for spec in desired_list:
        current = live_by_name.get(spec.name)
        old = current.canonical["name"] if current and spec.name in renamed else None
        if wanted is not None and spec.name not in wanted and old not in wanted:
            continue
        after = canon[spec.name]
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
        rules = parse_rules((*project_ignore, *spec.ignore))
        after, differed = keep_live(after, current.canonical, rules)
        if differed:
            ignored.append(Ignored(spec.name, tuple(dotted(p) for p in differed)))
        change = _compare(spec, current, after, contracts_mutable, function)
        if change is not None:
            change = replace(change, renamed_from=old, ignore=rules)
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
            if current.id in claimed:  # a file renames it: not an action without a file
                continue
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
        ignored=tuple(ignored),
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
        elif (
            function
            and spec.name not in live
            and (spec.function is None or spec.function.package is None)
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
    if current.canonical == after:  # most actions of a plan: no DeepDiff for them
        return None
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
