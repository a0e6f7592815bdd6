"""Execute a plan against the org: version-aware writes, conflict rules, an audit line per write.

The rules of docs/architecture.md kept here:

3. On a 409 (or the 400 "does not match ... version"), re-fetch and re-diff. Without a saved
   plan, retry with the new version (bounded). With a saved plan, retry only while the live
   content still equals what the plan showed; otherwise stop for that action and say what
   changed.
4. Config/name/category: one PATCH. Contract (where the project allows it), and every
   change of a Function action: draft -> patch -> validate -> publish on the same id
   (``reconciler.apply_draft``). A replace creates the new action before deleting the old.
7. Lost responses are safe: after any write whose answer was lost (no answer, 408, 5xx, or
   an unusable 2xx body) the org is read back, and the audit line says what it found
   (``applied``, ``not applied``, ``unknown``: never a guess). A PATCH that did not land is
   sent again with the same version; a create that did not land, once more.
8. Every write request is one JSON line in the audit log, success or not.
9. Own drafts are never orphans (``reconciler.drafts``).

Which changes to apply, and whether they are allowed (stale plan, safety, replaces), is the
orchestrator's decision; this module only carries them out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.apply_base import (
    FIXED_FIELDS,
    Outcome,
    _after,
    _changed_since_plan,
    _error,
    _id_and_version,
    _operation,
    _outcome_unknown,
    _paths,
    _Stop,
    _target,
    _version,
)
from reconciler.apply_function import FunctionWriter
from reconciler.apply_newdraft import NewDraftSteps
from reconciler.audit import APPLIED, CONFLICT, ERROR, NOT_APPLIED, OK, UNKNOWN, AuditLog
from reconciler.backend import OrgApi
from reconciler.canonical import Canonical, content_hash
from reconciler.diff import diff
from reconciler.drafts import DraftRegistry
from reconciler.errors import ApiError, ConflictError, DactlError
from reconciler.genesys.wire import (
    FUNCTION_KEY,
    canonical_live,
    patch_body,
    post_body,
    written_action,
)
from reconciler.ignore import covered, keep_live
from reconciler.plan import Change, Integrations, Plan

MAX_CONFLICT_RETRIES = 3

__all__ = ["Applier", "ApplyResult", "AuditLog", "Outcome"]


@dataclass
class ApplyResult:
    """What apply did: the plan it carried out, one outcome per change, and notes on
    saved-plan changes that needed no write."""

    plan: Plan
    outcomes: list[Outcome]
    notes: list[str] = field(default_factory=list)
    cancelled: bool = False

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


class Applier(NewDraftSteps):
    """Carries out changes through an ``OrgApi``.

    ``saved_plan``: the changes come from a reviewed plan file, so a conflicting edit in the
    org is never overwritten (rule 3). ``integrations`` names the integrations (for the
    canonical form of re-fetched actions) and tells which host Function actions.
    ``drafts`` holds the records of dactl's own unfinished drafts (in memory when None);
    ``take_over_drafts`` lets apply discard drafts nobody recorded (someone else's).
    """

    def __init__(
        self,
        api: OrgApi,
        integrations: Integrations,
        audit: AuditLog,
        *,
        saved_plan: bool,
        drafts: DraftRegistry | None = None,
        take_over_drafts: bool = False,
        max_conflict_retries: int = MAX_CONFLICT_RETRIES,
        on_done: Callable[[Outcome], None] | None = None,
        functions: FunctionWriter | None = None,
        on_written: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.api = api
        self.integrations = integrations
        self.functions = functions or FunctionWriter(api)
        self.audit = audit
        self.saved_plan = saved_plan
        self.drafts = drafts or DraftRegistry(None, "")
        self.take_over_drafts = take_over_drafts
        self.max_conflict_retries = max_conflict_retries
        self.on_done = on_done
        # Hears each action as a write left it (the live cache keeps it: the next plan is
        # warm); only what the answer shows equals what was sent.
        self.on_written = on_written
        self.notes: list[str] = []

    def apply(self, changes: Sequence[Change]) -> list[Outcome]:
        """Apply every change (concurrently, within the client's bound); outcomes in order.

        First, drafts dactl left behind that no change of this run takes up are discarded
        (``notes`` says so).
        """
        self.notes.extend(self.sweep_drafts(changes))
        return self.api.client.map(self._apply_one, list(changes))

    # -- one change ----------------------------------------------------------------------

    def _apply_one(self, change: Change) -> Outcome:
        try:
            if change.kind == "create":
                outcome = self._create(change)
            elif change.kind == "update" and change.draft:
                outcome = self._update_by_draft(change)
            elif change.kind == "update":
                outcome = self._update(change)
            elif change.kind == "replace":
                outcome = self._replace(change)
            else:
                outcome = self._delete(change)
        except (_Stop, DactlError) as exc:
            outcome = self._failed(change, str(exc))
        if self.on_done is not None:
            self.on_done(outcome)
        return outcome

    def _failed(self, change: Change, message: str) -> Outcome:
        return Outcome(change.name, change.kind, False, message, change.action_id)

    # -- create --------------------------------------------------------------------------

    def _create(self, change: Change) -> Outcome:
        after = _after(change)
        action_id, version, note = self._create_action(change, after)
        return Outcome(
            change.name,
            "create",
            True,
            f"created {action_id} v{version}{note}",
            action_id,
            None,
            version,
        )

    def _create_action(self, change: Change, after: Canonical) -> tuple[str, int, str]:
        """Create (and publish) the desired action; (id, version, note)."""
        body = post_body(after)
        if self.integrations.is_function(after["integrationId"]):
            return self._create_by_draft(change, body)
        for attempt in range(2):
            try:
                created = self.api.create_action(body)
            except ApiError as exc:
                if not _outcome_unknown(exc):
                    self._audit(change, "create", outcome=ERROR, **_error(exc))
                    raise
                # Rule 7: the request may have been carried out; look before sending it
                # again. A replace's old action has the same name: never the one looked for.
                found = self._find_by_name(change, after, exclude=change.action_id)
                if found is not None:
                    self._audit(
                        change,
                        "create",
                        action_id=found["id"],
                        version_after=found["version"],
                        outcome=APPLIED,
                        **_error(exc),
                    )
                    note = " (the response was lost; read back)"
                    return str(found["id"]), int(found["version"]), note
                self._audit(change, "create", outcome=NOT_APPLIED, **_error(exc))
                if attempt:
                    raise
                continue
            action_id, version = _id_and_version(created)
            self._audit(change, "create", action_id=action_id, version_after=version)
            self._written(created, after)
            return action_id, version, ""
        raise _Stop("the action could not be created")  # not reached: the loop raises

    def _find_by_name(
        self, change: Change, after: Canonical, *, exclude: str | None
    ) -> dict[str, Any] | None:
        """The live action with this name and integration (other than ``exclude``), when
        it equals ``after``."""
        try:
            listed = list(self.api.iter_actions(name=after["name"], include_config=False))
        except ApiError as exc:
            self._audit(change, "create", outcome=UNKNOWN, **_error(exc))
            raise _Stop(f"the create's response was lost, and reading back failed: {exc}") from exc
        for action in listed:
            if (
                action.get("name") == after["name"]
                and action.get("integrationId") == after["integrationId"]
                and action.get("id") != exclude
            ):
                full = self._read(str(action["id"]))
                if not diff(self._canonical(full), after):
                    return full
                raise _Stop(
                    f"the create's response was lost and an action named {after['name']!r} "
                    f"now exists ({action['id']}) with other content; run plan again"
                )
        return None

    # -- update in place -----------------------------------------------------------------

    def _update(self, change: Change) -> Outcome:
        action_id, version = _target(change)
        after = _after(change)
        notes: list[str] = []
        for _ in range(self.max_conflict_retries + 1):
            try:
                result = self.api.patch_action(action_id, patch_body(after, version))
            except ConflictError as exc:
                self._audit(
                    change, "patch", version_before=version, outcome=CONFLICT, **_error(exc)
                )
                version, done, after = self._after_conflict(change, notes)
                if done:
                    return self._ok(change, version, version, "already up to date", notes)
                continue
            except ApiError as exc:
                if not _outcome_unknown(exc):
                    self._audit(
                        change, "patch", version_before=version, outcome=ERROR, **_error(exc)
                    )
                    raise
                landed = self._read_back_patch(change, version, exc)
                if landed is not None:
                    notes.append("the response was lost; read back")
                    return self._ok(change, version, landed, "updated", notes)
                continue  # not applied: sent again with the same version
            new_version = _version(result)
            self._audit(change, "patch", version_before=version, version_after=new_version)
            self._written(result, after)
            return self._ok(change, version, new_version, "updated", notes)
        raise _Stop(f"gave up after {self.max_conflict_retries + 1} attempts")

    def _read_back_patch(self, change: Change, version: int, exc: ApiError) -> int | None:
        """After a PATCH whose answer was lost: the new version when it landed (audited
        ``applied``), None when it did not (``not applied``). Anything else stops."""
        action_id, _ = _target(change)
        try:
            full = self._read(action_id)
        except ApiError as again:
            self._audit(change, "patch", version_before=version, outcome=UNKNOWN, **_error(exc))
            raise _Stop(
                f"the update's response was lost, and reading back failed: {again}"
            ) from again
        live, live_version = self._canonical(full), _version(full)
        if live_version == version:
            self._audit(change, "patch", version_before=version, outcome=NOT_APPLIED, **_error(exc))
            return None
        if live_version == version + 1 and not diff(live, _after(change)):
            self._audit(
                change,
                "patch",
                version_before=version,
                version_after=live_version,
                outcome=APPLIED,
                **_error(exc),
            )
            return live_version
        # The action moved by another write: whether ours landed first cannot be told.
        self._audit(change, "patch", version_before=version, outcome=UNKNOWN, **_error(exc))
        raise _Stop(
            f"the update's response was lost and the action changed meanwhile "
            f"(v{version} -> v{live_version}); run plan again"
        )

    def _after_conflict(self, change: Change, notes: list[str]) -> tuple[int, bool, Canonical]:
        """Re-fetch and re-diff after a conflict: (the live version, nothing left to do,
        the content to write now: fields that ignore rules keep, as the org holds them now).

        Stops when a saved plan's action changed in the org since the plan was made.
        """
        action_id, _ = _target(change)
        full = self._read(action_id)
        live, version = self._canonical(full), _version(full)
        after = keep_live(_after(change), live, change.ignore)[0]
        if not diff(live, after):
            return version, True, after
        if content_hash(live) != change.live_hash:
            if self.saved_plan:
                raise _Stop(
                    f"{_changed_since_plan(change, live)}; not overwritten: run plan again "
                    "and review"
                )
            moved = diff(change.before or {}, live)
            moved = [f for f in moved if not covered(f.path, change.ignore)]
            fixed = {f.top for f in moved} & FIXED_FIELDS.get(_operation(change), set())
            if fixed:
                raise _Stop(
                    f"{', '.join(sorted(fixed))} changed in the org meanwhile, which this "
                    f"{_operation(change)} cannot reset; run plan again"
                )
            if moved:
                notes.append(f"re-planned after a conflict; also reset {_paths(moved)}")
        return version, False, after

    # -- replace and delete --------------------------------------------------------------

    def _replace(self, change: Change) -> Outcome:
        """Create the new action first; delete the old one only once that succeeded.

        Everything that can be checked is checked before the create. Should the delete
        still fail (a flow that uses the old id, for one), the outcome names both ids.
        """
        old_id, old_version = _target(change)
        if self.saved_plan:
            self._check_unchanged(change, old_id, "replaced")
        new_id, new_version, note = self._create_action(change, _after(change))
        try:
            if not self.saved_plan:
                note += self._edited_since(change, old_id, old_version)
            self._delete_id(change, old_id, old_version)
        except (_Stop, DactlError) as exc:
            return Outcome(
                change.name,
                "replace",
                False,
                f"created {new_id} v{new_version}{note}, but the old action {old_id} could "
                f"not be deleted ({exc}); both now carry the name, which plan refuses: "
                f"repoint flows to {new_id}, then delete {old_id}",
                old_id,
                old_version,
                new_version,
                new_id,
            )
        return Outcome(
            change.name,
            "replace",
            True,
            f"replaced {old_id} by {new_id} v{new_version}{note}: "
            "repoint flows that use the old id",
            old_id,
            old_version,
            new_version,
            new_id,
        )

    def _delete(self, change: Change) -> Outcome:
        """A DELETE carries no version: a saved plan's action must still hold what the plan
        showed; without one, an edit made since the plan is named (and deleted with it)."""
        action_id, version = _target(change)
        note = ""
        if self.saved_plan:
            self._check_unchanged(change, action_id, "deleted")
        else:
            note = self._edited_since(change, action_id, version)
        self._delete_id(change, action_id, version)
        message = f"deleted {action_id}{note}"
        return Outcome(change.name, "delete", True, message, action_id, version)

    def _edited_since(self, change: Change, action_id: str, version: int) -> str:
        """`` (edited in the org since the plan, ...; deleted with it)`` when the action
        about to be deleted moved since the plan (a DELETE carries no version), else ""."""
        try:
            if self._live_version(action_id) == version:  # one cheap GET; then the fields
                return ""
            live = self._read(action_id)
        except ApiError as exc:
            if exc.status == 404:
                return ""
            raise
        moved = diff(change.before or {}, self._canonical(live))
        return (
            f" (edited in the org since the plan, v{version} -> v{_version(live)}: "
            f"{_paths(moved)}; deleted with it)"
        )

    def _check_unchanged(self, change: Change, action_id: str, verb: str) -> None:
        """A saved plan's action must still hold what the plan showed (rule 2)."""
        live = self._canonical(self._read(action_id))
        if content_hash(live) != change.live_hash:
            raise _Stop(
                f"{action_id} {_changed_since_plan(change, live)}; not {verb}: run plan "
                "again and review"
            )

    def _delete_id(self, change: Change, action_id: str, version: int) -> None:
        try:
            self.api.delete_action(action_id)
        except ApiError as exc:
            if exc.status != 404:
                where = {"action_id": action_id, "version_before": version}
                if not _outcome_unknown(exc):
                    self._audit(change, "delete", outcome=ERROR, **where, **_error(exc))
                    raise
                # The client sent it again and gave up: was it done? Read back.
                try:
                    self._live_version(action_id)
                except ApiError as again:
                    if again.status != 404:
                        self._audit(change, "delete", outcome=UNKNOWN, **where, **_error(exc))
                        raise exc from again
                    self._audit(change, "delete", outcome=APPLIED, **where, **_error(exc))
                    return
                self._audit(change, "delete", outcome=NOT_APPLIED, **where, **_error(exc))
                raise
        self._audit(change, "delete", action_id=action_id, version_before=version)
        self.api.wait_until_gone(action_id)  # so that a plan right after sees it gone

    # -- helpers -------------------------------------------------------------------------

    def _ok(self, change: Change, before: int, after: int, what: str, notes: list[str]) -> Outcome:
        fields = ", ".join(f.dotted for f in change.fields)
        extra = "".join(f"; {n}" for n in notes)
        if change.rename and what == "updated":
            what = f"renamed from {change.renamed_from!r}, updated"
        message = f"{what} {change.action_id} v{before} -> v{after} ({fields}){extra}"
        return Outcome(change.name, change.kind, True, message, change.action_id, before, after)

    def _written(self, answer: Any, after: Canonical) -> None:
        if self.on_written is not None:
            found = written_action(answer, after, self.integrations.names_by_id)
            if found is not None:
                self.on_written(found)

    def _canonical(self, action: dict[str, Any]) -> Canonical:
        return canonical_live(action, self.integrations.names_by_id)

    def _read(self, action_id: str) -> dict[str, Any]:
        """The published action as plan reads it: for a Function action, with its
        function settings and package (``GET .../function``)."""
        full = self.api.get_action_full(action_id)
        if self.integrations.is_function(str(full.get("integrationId"))):
            full[FUNCTION_KEY] = self.api.get_function(action_id)
        return full

    def _is_function(self, change: Change) -> bool:
        return self.integrations.is_function(_after(change)["integrationId"])

    def _write_function(self, change: Change, action_id: str, before: Canonical | None) -> None:
        """Upload the code and set the settings in the draft (Function actions only)."""
        if not self._is_function(change):
            return

        def audit(operation: str, **fields: Any) -> None:
            self._audit(change, operation, **fields)

        self.functions.write(action_id, _after(change), before, change.package, audit)

    def _audit(self, change: Change, operation: str, **fields: Any) -> None:
        record: dict[str, Any] = {
            "action": change.name,
            "id": fields.pop("action_id", change.action_id),
            "change": change.kind,
            "operation": operation,
            "version_before": fields.pop("version_before", None),
            "version_after": fields.pop("version_after", None),
            "fields": [f.dotted for f in change.fields],
            "outcome": fields.pop("outcome", OK),
        }
        if change.usage is not None:  # who used the action when the change was planned
            consumers = change.usage.consumers
            record["consumers"] = None if consumers is None else [c.label for c in consumers]
        record.update(fields)
        self.audit.write(**record)
