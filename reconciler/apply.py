"""Execute a plan against the org: version-aware writes, conflict rules, an audit line per write.

DESIGN rules kept here:

3. On a 409 (or the 400 "does not match ... version"), re-fetch and re-diff. Without a saved
   plan, retry with the new version (bounded). With a saved plan, retry only while the live
   content still equals what the plan showed; otherwise stop for that action and say what
   changed.
4. Config/name/category: one PATCH. Contract or ``secure``: draft -> patch -> validate ->
   publish on the same id. A replace creates the new action before deleting the old one.
7. A PATCH is guarded by its version, so a retry after a lost response is safe (the retry
   meets a 409, and the re-fetch shows the change is already there). A create whose
   response was lost is looked up by name before it is sent again.
8. Every write request is one JSON line in the audit log, success or not.

Which changes to apply, and whether they are allowed (stale plan, safety, replaces), is the
orchestrator's decision; this module only carries them out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.apply_function import FunctionWriter
from reconciler.audit import AuditLog
from reconciler.diff import FUNCTION_KEY, Canonical, canonical_live, content_hash, diff
from reconciler.errors import ApiError, ConflictError, DactlError
from reconciler.genesys import ActionsApi
from reconciler.genesys.bodies import draft_patch_body, patch_body, post_body
from reconciler.plan import Change, ChangeKind, Integrations

MAX_CONFLICT_RETRIES = 3


@dataclass(frozen=True)
class Outcome:
    """What happened to one change."""

    name: str
    kind: ChangeKind
    ok: bool
    message: str
    action_id: str | None = None
    version_before: int | None = None
    version_after: int | None = None
    new_id: str | None = None


class _Stop(Exception):
    """Ends the work on one change with a failed outcome (never escapes this module)."""


class Applier:
    """Carries out changes through an ``ActionsApi``.

    ``saved_plan``: the changes come from a reviewed plan file, so a conflicting edit in the
    org is never overwritten (rule 3). ``integrations`` names the integrations (for the
    canonical form of re-fetched actions) and tells which host Function actions.
    """

    def __init__(
        self,
        api: ActionsApi,
        integrations: Integrations,
        audit: AuditLog,
        *,
        saved_plan: bool,
        max_conflict_retries: int = MAX_CONFLICT_RETRIES,
        on_done: Callable[[Outcome], None] | None = None,
        functions: FunctionWriter | None = None,
    ) -> None:
        self.api = api
        self.integrations = integrations
        self.functions = functions or FunctionWriter(api)
        self.audit = audit
        self.saved_plan = saved_plan
        self.max_conflict_retries = max_conflict_retries
        self.on_done = on_done

    def apply(self, changes: Sequence[Change]) -> list[Outcome]:
        """Apply every change (concurrently, within the client's bound); outcomes in order."""
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
        try:
            created = self.api.create_action(body)
        except ApiError as exc:
            self._audit(change, "create", outcome="error", **_error(exc))
            if not _outcome_unknown(exc):
                raise
            # Rule 7: the request may have been carried out; look before sending it again.
            # A replace's old action has the same name: it is never the one we look for.
            found = self._find_by_name(after, exclude=change.action_id)
            if found is not None:
                self._audit(change, "create", action_id=found["id"], outcome="found by name")
                return found["id"], int(found["version"]), " (the response was lost; found)"
            try:
                created = self.api.create_action(body)
            except ApiError as again:
                self._audit(change, "create", outcome="error", **_error(again))
                raise
        self._audit(change, "create", action_id=created["id"], version_after=created["version"])
        return str(created["id"]), int(created["version"]), ""

    def _create_by_draft(self, change: Change, body: dict[str, Any]) -> tuple[str, int, str]:
        """Function actions cannot be created published: draft-only create, upload the code
        and set the function's settings, then publish.

        A failure leaves nothing behind: the draft (and with it the draft-only action) is
        deleted, since the action listing would not show it and a rerun would add another.
        """
        try:
            draft = self.api.create_draft_only(body)
        except ApiError as exc:
            self._audit(change, "draft.create", outcome="error", **_error(exc))
            raise
        self._audit(change, "draft.create", action_id=draft["id"], version_after=draft["version"])
        draft_id = str(draft["id"])
        try:
            self._write_function(change, draft_id, None)
            version = self._draft_version(change, draft_id, int(draft["version"]))
            published = self._publish(change, draft_id, version, created=True)
        except (_Stop, DactlError):
            self._discard_draft(change, draft_id)
            raise
        assert published is not None  # no guard, so always published
        return str(draft["id"]), int(published["version"]), " (through a draft)"

    def _find_by_name(self, after: Canonical, *, exclude: str | None) -> dict[str, Any] | None:
        """The live action with this name and integration (other than ``exclude``), when
        it equals ``after``."""
        for action in self.api.iter_actions(name=after["name"], include_config=False):
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
                    change, "patch", version_before=version, outcome="conflict", **_error(exc)
                )
                version, done = self._after_conflict(change, notes)
                if done:
                    return self._ok(change, version, version, "already up to date", notes)
                continue
            except ApiError as exc:
                self._audit(change, "patch", version_before=version, outcome="error", **_error(exc))
                raise
            new_version = int(result["version"])
            self._audit(change, "patch", version_before=version, version_after=new_version)
            return self._ok(change, version, new_version, "updated", notes)
        raise _Stop(f"gave up after {self.max_conflict_retries + 1} version conflicts")

    def _after_conflict(self, change: Change, notes: list[str]) -> tuple[int, bool]:
        """Re-fetch and re-diff after a conflict: (the live version, nothing left to do).

        Stops when a saved plan's action changed in the org since the plan was made.
        """
        action_id, _ = _target(change)
        full = self._read(action_id)
        live, version = self._canonical(full), int(full["version"])
        if not diff(live, _after(change)):
            return version, True
        if content_hash(live) != change.live_hash:
            if self.saved_plan:
                raise _Stop(
                    f"{_changed_since_plan(change, live)}; not overwritten: run plan again "
                    "and review"
                )
            moved = diff(change.before or {}, live)
            fixed = {f.top for f in moved} & FIXED_FIELDS.get(_operation(change), set())
            if fixed:
                raise _Stop(
                    f"{', '.join(sorted(fixed))} changed in the org meanwhile, which this "
                    f"{_operation(change)} cannot reset; run plan again"
                )
            notes.append(f"re-planned after a conflict; also reset {_paths(moved)}")
        return version, False

    def _live_version(self, action_id: str) -> int:
        return int(
            self.api.get_action(action_id, expand_contract=False, include_config=False)["version"]
        )

    # -- update through a draft ----------------------------------------------------------

    def _update_by_draft(self, change: Change) -> Outcome:
        action_id, version = _target(change)
        after = _after(change)
        existing = self.api.get_draft_full(action_id)
        if existing is not None and self._is_function(change):
            existing[FUNCTION_KEY] = self.api.get_function(action_id, draft=True)
        if existing is not None:
            if diff(self._canonical(existing), after):
                raise _Stop(
                    f"{action_id} has an unpublished draft (someone may be editing it in "
                    "the UI); publish or delete that draft, then apply again"
                )
            draft_version = int(existing["version"])  # ours, left by an interrupted run
        else:
            try:
                draft = self.api.create_draft(action_id)
            except ApiError as exc:
                self._audit(change, "draft.create", outcome="error", **_error(exc))
                raise
            self._audit(change, "draft.create", version_after=draft["version"])
            patched = self._patch_draft(change, action_id, int(draft["version"]), after)
            draft_version = int(patched["version"])
            if self._is_function(change):
                try:
                    self._write_function(change, action_id, change.before)
                    draft_version = self._draft_version(change, action_id, draft_version)
                except (_Stop, DactlError):
                    self._discard_draft(change, action_id)
                    raise
        notes: list[str] = []
        state = {"current": version}

        def still_as_planned() -> int | None:
            """Just before publishing: has the published action moved since the plan?
            Publishing replaces it whole, so a colleague's edit would be lost. The version
            to publish over, or None when the org already holds the desired content."""
            current = state["current"] = self._live_version(action_id)
            if current == version:
                return current
            _, done = self._after_conflict(change, notes)  # stops with a saved plan
            return None if done else current

        try:
            published = self._publish(
                change, action_id, draft_version, created=False, guard=still_as_planned
            )
        except _Stop:
            self._discard_draft(change, action_id)
            raise
        current = state["current"]
        if published is None:
            self._discard_draft(change, action_id)
            return self._ok(change, current, current, "already up to date", notes)
        new_version = int(published["version"])
        # Nothing documents that a publish applies a contract change; check that it did.
        left = diff(self._canonical(self._read(action_id)), after)
        if left:
            raise _Stop(
                f"published {action_id} v{new_version}, but the org kept its own "
                f"{_paths(left)}; the change did not take: run plan to see the action as it is"
            )
        return self._ok(change, current, new_version, "updated through a draft", notes)

    def _patch_draft(
        self, change: Change, action_id: str, draft_version: int, after: Canonical
    ) -> dict[str, Any]:
        try:
            patched = self.api.patch_draft(action_id, draft_patch_body(after, draft_version))
        except ApiError as exc:
            self._audit(change, "draft.patch", outcome="error", **_error(exc))
            self._discard_draft(change, action_id)
            raise
        self._audit(
            change, "draft.patch", version_before=draft_version, version_after=patched["version"]
        )
        return patched

    def _publish(
        self,
        change: Change,
        action_id: str,
        draft_version: int,
        *,
        created: bool,
        guard: Callable[[], int | None] | None = None,
    ) -> dict[str, Any] | None:
        """Validate the draft, then publish it. A refusal is a ``_Stop``; the caller deletes
        the draft.

        ``guard`` runs between validation and publishing, to keep the window in which a
        colleague's edit could be overwritten as short as the API allows. It returns the
        published version being replaced, or None: then nothing is published (None).
        """
        check = self.api.validate_draft(action_id)
        if not check.get("valid", False):
            reasons = "; ".join(
                str(e.get("message", e)) if isinstance(e, dict) else str(e)
                for e in check.get("errors") or []
            )
            self._audit(
                change,
                "draft.validate",
                action_id=action_id,
                outcome="refused",
                codes=[e.get("code") for e in check.get("errors") or [] if isinstance(e, dict)],
            )
            hint = ""
            if not created and "cannot be changed" in reasons:
                hint = (
                    " (this org refuses contract changes, as Genesys does by default: remove "
                    "immutableContracts: false from dactl.yaml, plan again, and apply with "
                    "--allow-replace)"
                )
            raise _Stop(f"the org refused the draft: {reasons or 'no reason given'}{hint}")
        before = None
        if guard is not None:
            before = guard()
            if before is None:
                return None
        try:
            published = self.api.publish_draft(action_id, draft_version)
        except ApiError as exc:
            self._audit(
                change, "draft.publish", action_id=action_id, outcome="error", **_error(exc)
            )
            raise
        self._audit(
            change,
            "draft.publish",
            action_id=action_id,
            version_before=before,
            version_after=published["version"],
        )
        return published

    def _discard_draft(self, change: Change, action_id: str) -> None:
        try:
            self.api.delete_draft(action_id)
        except ApiError as exc:
            self._audit(change, "draft.delete", action_id=action_id, outcome="error", **_error(exc))
            return
        self._audit(change, "draft.delete", action_id=action_id)

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
        action_id, version = _target(change)
        if self.saved_plan:
            self._check_unchanged(change, action_id, "deleted")
        self._delete_id(change, action_id, version)
        return Outcome(change.name, "delete", True, f"deleted {action_id}", action_id, version)

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
                self._audit(
                    change,
                    "delete",
                    action_id=action_id,
                    version_before=version,
                    outcome="error",
                    **_error(exc),
                )
                raise
        self._audit(change, "delete", action_id=action_id, version_before=version)
        self.api.wait_until_gone(action_id)  # so that a plan right after sees it gone

    # -- helpers -------------------------------------------------------------------------

    def _ok(self, change: Change, before: int, after: int, what: str, notes: list[str]) -> Outcome:
        fields = ", ".join(f.dotted for f in change.fields)
        extra = "".join(f"; {n}" for n in notes)
        message = f"{what} {change.action_id} v{before} -> v{after} ({fields}){extra}"
        return Outcome(change.name, change.kind, True, message, change.action_id, before, after)

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

    def _draft_version(self, change: Change, action_id: str, known: int) -> int:
        """The draft's version after the function steps, which may move it: read back for
        Function actions (the Terraform provider does the same before publishing)."""
        if not self._is_function(change):
            return known
        draft = self.api.get_draft(action_id)
        if draft is None:
            raise _Stop(f"the draft of {action_id} disappeared before it was published")
        return int(draft["version"])

    def _audit(self, change: Change, operation: str, **fields: Any) -> None:
        record: dict[str, Any] = {
            "action": change.name,
            "id": fields.pop("action_id", change.action_id),
            "change": change.kind,
            "operation": operation,
            "version_before": fields.pop("version_before", None),
            "version_after": fields.pop("version_after", None),
            "fields": [f.dotted for f in change.fields],
            "outcome": fields.pop("outcome", "ok"),
        }
        record.update(fields)
        self.audit.write(**record)


def _after(change: Change) -> Canonical:
    if change.after is None:
        raise _Stop("the plan holds no desired content for this change")
    return change.after


def _target(change: Change) -> tuple[str, int]:
    if change.action_id is None or change.live_version is None:
        raise _Stop("the plan holds no live id or version for this change")
    return change.action_id, change.live_version


# Fields a write cannot reset: a PATCH carries no contract or secure, a draft no secure,
# and nothing moves an action to another integration.
FIXED_FIELDS: dict[str, set[str]] = {
    "patch": {"contract", "secure", "integrationId"},
    "draft": {"secure", "integrationId"},
}


def _operation(change: Change) -> str:
    return "draft" if change.draft else "patch"


def _paths(changes: Sequence[Any]) -> str:
    return ", ".join(f.dotted for f in changes) or "content"


def _changed_since_plan(change: Change, live: Canonical) -> str:
    """``changed in the org since the plan was made (timeoutSeconds)``"""
    return f"changed in the org since the plan was made ({_paths(diff(change.before or {}, live))})"


def _error(exc: ApiError) -> dict[str, Any]:
    """What the audit log keeps of a failed request: never the message, which can quote
    submitted values."""
    return {"status": exc.status, "code": exc.code, "correlation_id": exc.correlation_id}


def _outcome_unknown(exc: ApiError) -> bool:
    """Whether a failed write may still have been carried out (no answer, a 408 or a 5xx)."""
    return exc.status is None or exc.status == 408 or exc.status >= 500
