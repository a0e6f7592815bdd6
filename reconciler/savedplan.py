"""The saved-plan file (``dactl plan --out``, read by ``dactl apply PLAN``): its format,
writing it, reading it, and telling whether it is stale (docs/architecture.md, rule 2).
The JSON plan of ``--format json`` is the same document, written by ``plan_to_dict`` here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reconciler.canonical import Canonical
from reconciler.consumers import BuildStatus, Usage, affected
from reconciler.diff import MISSING, FieldChange, diff
from reconciler.errors import DactlError, PlanError, StalePlanError
from reconciler.fsutil import atomic_write_json
from reconciler.organization import OrgInfo
from reconciler.plan import (
    KIND_ORDER,
    Change,
    ChangeKind,
    Ignored,
    Kept,
    LiveAction,
    Plan,
    Safety,
    count_kinds,
)
from reconciler.secrets import redact_canonical, redact_value

PLAN_FORMAT_VERSION = 1


@dataclass(frozen=True)
class PlanOrigin:
    """Where the whole of a plan can be read when its Markdown is cut short: the saved
    plan (``--out``) and the log of the CI job that printed it. Recorded in the saved plan,
    so ``dactl show`` says the same as the plan did, wherever it runs."""

    saved_as: str | None = None
    log_url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"saved_as": self.saved_as, "log_url": self.log_url}


def plan_to_dict(plan: Plan, *, org: OrgInfo | None = None) -> dict[str, Any]:
    """The versioned JSON plan; also the saved-plan file format. With ``org``, an
    ``organization`` member names it (``name`` and ``id`` null when the org did not say);
    a saved plan's ``org`` member is something else: the hash that ties it to the org.
    ``environment`` names the project's environment the plan is for (null: none)."""
    extra = {} if org is None else {"organization": org.to_dict(), "environment": org.environment}
    build = plan.dependency_build
    # The changes' values are redacted by path (below); the rest (notes, names) as text.
    body = extra | {
        "format_version": PLAN_FORMAT_VERSION,
        "desired_hash": plan.desired_hash,
        "summary": plan.summary(),
        "counts": count_kinds(plan),
        "existing": plan.existing,
        "safety": {"ok": not plan.unsafe, "violations": list(plan.unsafe)},
        "unchanged": list(plan.unchanged),
        "notes": list(plan.notes),
        "kept": [
            {"name": k.name, "id": k.action_id, "live_version": k.live_version} for k in plan.kept
        ],
        "ignored": [{"name": i.name, "paths": list(i.paths)} for i in plan.ignored],
        "affected_flows": affected(c.usage for c in plan.changes),
        "dependency_build": None if build is None else build.to_dict(),
    }
    redacted: dict[str, Any] = redact_value(body)
    return redacted | {"changes": [_change_dict(c) for c in plan.changes]}


def _change_dict(change: Change) -> dict[str, Any]:
    return {
        "name": change.name,
        "kind": change.kind,
        "actions": change.terraform_actions,
        "id": change.action_id,
        "live_version": change.live_version,
        "live_hash": change.live_hash,
        "draft": change.draft,
        "reason": change.reason or None,
        "source": change.source,
        "renamed_from": change.renamed_from,
        "usage": None if change.usage is None else redact_value(change.usage.to_dict()),
        "fields": [
            {
                "path": list(f.path),
                "before": None if f.before is MISSING else redact_canonical(f.path, f.before),
                "after": None if f.after is MISSING else redact_canonical(f.path, f.after),
                "before_present": f.before is not MISSING,
                "after_present": f.after is not MISSING,
            }
            for f in change.fields
        ],
        "before": redact_canonical((), change.before),
        "after": redact_canonical((), change.after),
    }


@dataclass(frozen=True)
class SavedChange:
    """One change as a saved plan file recorded it."""

    name: str
    kind: ChangeKind
    id: str | None
    live_hash: str | None
    before: Canonical | None  # redacted: for saying what changed, never for writing


@dataclass(frozen=True)
class SavedPlan:
    """A plan file written by ``dactl plan --out``: what was reviewed."""

    path: str
    directory: str
    desired_hash: str
    changes: tuple[SavedChange, ...]
    org: str = ""
    # What the reviewer saw, for ``dactl show``: the plan (values redacted), its org, and
    # where its whole text is.
    plan: Plan | None = None
    organization: OrgInfo | None = None
    origin: PlanOrigin = PlanOrigin()
    environment: str | None = None  # the project's environment it was planned for


def check_environment(saved: SavedPlan, environment: str | None) -> None:
    """Refuse, before anything is read from the org, a saved plan made for another
    environment of the project than the one this run is for."""
    if saved.environment == environment:
        return
    planned = f"environment {saved.environment}" if saved.environment else "no environment"
    now = f"environment {environment}" if environment else "no environment"
    again = f"plan again with --env {environment}" if environment else "plan again"
    raise StalePlanError(
        f"{saved.path} was planned for {planned}, and this run is for {now}; nothing was "
        f"changed. Apply it to the environment it was made for, or {again}."
    )


def read_saved_plan(path: Path) -> SavedPlan:
    """Read a saved plan; ``PlanError`` naming the file when it is not one we can use."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanError(f"{path}: cannot read the plan file: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise PlanError(f"{path}: not a saved plan (invalid JSON: {exc})") from exc
    except RecursionError as exc:
        raise PlanError(f"{path}: not a saved plan (nested too deeply)") from exc
    if not isinstance(data, dict) or "format_version" not in data:
        raise PlanError(f"{path}: not a saved plan (no format_version); make one with plan --out")
    if data["format_version"] != PLAN_FORMAT_VERSION:
        raise PlanError(
            f"{path}: plan format {data['format_version']!r} is not supported "
            f"(this dactl reads {PLAN_FORMAT_VERSION}); plan again with this version"
        )
    try:
        changes = tuple(
            SavedChange(
                name=str(c["name"]),
                kind=_kind(c["kind"]),
                id=c.get("id"),
                live_hash=c.get("live_hash"),
                before=c.get("before"),
            )
            for c in data["changes"]
        )
        return SavedPlan(
            str(path),
            str(data["directory"]),
            str(data["desired_hash"]),
            changes,
            str(data["org"]),
            plan=plan_from_dict(data),
            organization=_organization(data.get("organization"), data.get("environment")),
            origin=PlanOrigin(**_texts(data.get("origin") or {}, ("saved_as", "log_url"))),
            environment=_text(data.get("environment")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PlanError(f"{path}: damaged saved plan ({exc!r}); plan again") from exc


def plan_from_dict(data: dict[str, Any]) -> Plan:
    """The plan a JSON plan (``plan_to_dict``) shows, for rendering it again: every value
    is as the file holds it (redacted), so it is for showing, never for writing."""
    changes = tuple(
        Change(
            _kind(c["kind"]),
            str(c["name"]),
            action_id=_text(c.get("id")),
            live_version=_int(c.get("live_version")),
            live_hash=_text(c.get("live_hash")),
            fields=tuple(_field(f) for f in c.get("fields") or ()),
            before=c.get("before"),
            after=c.get("after"),
            draft=bool(c.get("draft")),
            reason=str(c.get("reason") or ""),
            source=_text(c.get("source")),
            renamed_from=_text(c.get("renamed_from")),
            usage=Usage.from_dict(c["usage"]) if isinstance(c.get("usage"), dict) else None,
        )
        for c in data["changes"]
    )
    kept = tuple(
        Kept(str(k["name"]), str(k["id"]), _int(k.get("live_version")))
        for k in data.get("kept") or ()
    )
    safety = data.get("safety") or {}
    build = data.get("dependency_build")
    return Plan(
        changes,
        unchanged=tuple(str(n) for n in data.get("unchanged") or ()),
        desired_hash=str(data.get("desired_hash") or ""),
        existing=int(data.get("existing") or 0),
        unsafe=tuple(str(v) for v in safety.get("violations") or ()),
        notes=tuple(str(n) for n in data.get("notes") or ()),
        kept=kept,
        ignored=tuple(
            Ignored(str(i["name"]), tuple(str(p) for p in i["paths"]))
            for i in data.get("ignored") or ()
        ),
        dependency_build=BuildStatus.from_dict(build) if isinstance(build, dict) else None,
    )


def _field(data: dict[str, Any]) -> FieldChange:
    path = tuple(p if isinstance(p, int) else str(p) for p in data["path"])
    before = data.get("before") if data.get("before_present", True) else MISSING
    after = data.get("after") if data.get("after_present", True) else MISSING
    return FieldChange(path, before, after)


def _organization(data: Any, environment: Any = None) -> OrgInfo | None:
    if not isinstance(data, dict) or not isinstance(data.get("host"), str):
        return None
    name, org_id = _text(data.get("name")), _text(data.get("id"))
    return OrgInfo(data["host"], name, org_id, _text(environment))


def _texts(data: dict[str, Any], keys: tuple[str, ...]) -> dict[str, str | None]:
    return {key: _text(data.get(key)) for key in keys}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"not a version: {value!r}")
    return value


def _kind(value: Any) -> ChangeKind:
    if value not in KIND_ORDER:
        raise ValueError(f"unknown change kind {value!r}")
    kind: ChangeKind = value
    return kind


def from_saved(
    saved: SavedPlan,
    fresh: Plan,
    live_actions: Iterable[LiveAction],
    org: str,
    safety: Safety,
) -> tuple[Plan, list[str]]:
    """The changes of a reviewed plan, checked against the org as it is now
    (docs/architecture.md, rule 2):
    ``fresh`` is a plan made now (with prune on, to see planned deletes) against
    ``live_actions`` of the org whose key is ``org``.

    A change is carried out with today's version when the live content still hashes as it
    did at plan time (a version bump alone is not staleness). Any other difference makes
    the whole plan stale: ``StalePlanError``, and nothing is written.
    """
    if saved.org != org:
        raise StalePlanError(
            f"{saved.path} was planned against another org (or with another client id) "
            "than the one this run connects to; nothing was changed. Check the connection "
            "settings, or plan again against this org."
        )
    problems: list[str] = []
    if saved.desired_hash != fresh.desired_hash:
        problems.append("the action files changed since the plan was made")
    by_key = {(c.name, c.action_id): c for c in fresh.changes}
    by_name: dict[str, Change] = {}
    for c in fresh.changes:
        by_name.setdefault(c.name, c)
    actions = list(live_actions)
    live = {a.canonical["name"]: a for a in actions}
    by_id = {a.id: a for a in actions}  # a renamed action is found by its id
    keep: list[Change] = []
    notes: list[str] = []
    for planned in saved.changes:
        now = by_key.get((planned.name, planned.id)) or by_name.get(planned.name)
        if now is None:
            gone = planned.kind == "delete" and planned.name not in live
            notes.append(f"{planned.name!r}: {'already deleted' if gone else 'already up to date'}")
            continue
        if (now.kind, now.action_id, now.live_hash) == (
            planned.kind,
            planned.id,
            planned.live_hash,
        ):
            keep.append(now)
            continue
        if (now.action_id, now.live_hash) == (planned.id, planned.live_hash):
            problems.append(
                f"{planned.name!r} now plans as a {now.kind}, not the {planned.kind} that was "
                "reviewed (did dactl.yaml change?)"
            )
            continue
        current = by_id.get(planned.id or "") or live.get(planned.name)
        problems.append(f"{planned.name!r} {_what_changed(planned, current)}")
    planned_names = {c.name for c in saved.changes}
    # The fresh plan prunes, to see planned deletes; deletes it alone found are no news.
    extra = sorted({c.name for c in fresh.changes if c.kind != "delete"} - planned_names)
    if extra:
        shown = ", ".join(extra[:10]) + (f" and {len(extra) - 10} more" if len(extra) > 10 else "")
        notes.append(f"{len(extra)} change(s) not in the saved plan were left alone: {shown}")
    if problems:
        raise StalePlanError(
            "stale plan: " + "; ".join(problems) + ". Nothing was changed; run plan again."
        )
    keep.sort(key=lambda c: (c.name, KIND_ORDER[c.kind]))
    plan = replace(
        fresh,
        changes=tuple(keep),
        unsafe=safety.violations(keep, fresh.existing),
    )
    return plan, notes


def _what_changed(planned: SavedChange, live: LiveAction | None) -> str:
    if live is None:
        return "no longer exists in the org" if planned.id else "is missing from the org"
    if planned.id is None:
        return f"was created in the org since the plan was made ({live.id})"
    if live.id != planned.id:
        return f"is now a different action in the org ({live.id}, was {planned.id})"
    fields = [f.dotted for f in diff(planned.before or {}, redact_canonical((), live.canonical))]
    what = ", ".join(fields) if fields else "content"
    return f"changed in the org since the plan was made ({what})"


def save_plan(
    plan: Plan,
    path: Path,
    directory: Path,
    org: str,
    organization: OrgInfo | None = None,
    origin: PlanOrigin | None = None,
) -> None:
    """Write the saved-plan file atomically (no partial file on failure); it records the
    directory and the org it was made from, for ``dactl apply PLANFILE`` (``org``: the
    hash that ties it to the org; ``organization``: its name and host, for reviewers),
    and ``origin``, where the whole plan is, for ``dactl show``."""
    body = {
        **plan_to_dict(plan, org=organization),
        "directory": str(directory),
        "org": org,
        "origin": (origin or PlanOrigin(saved_as=str(path))).to_dict(),
    }
    try:
        atomic_write_json(path, body)
    except OSError as exc:
        raise DactlError(f"cannot write the plan file {path}: {exc.strerror or exc}") from exc
