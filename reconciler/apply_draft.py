"""The draft path of apply: draft -> patch (-> code and settings) -> validate -> publish.

Taken for contract changes where the project allows them, and for every change of a
Function action. Three rules shape it:

- **Own drafts are never orphans** (docs/architecture.md, rule 9). Each draft is recorded
  before it is created (``reconciler.drafts``); a draft found later is resumed when it
  already holds the desired content, discarded and made again when it is dactl's own, and
  refused when it is someone else's, unless ``--take-over-drafts``. Drafts left behind that
  no change of the run takes up are discarded first. A step that fails discards the draft.
- **Publishing is not version-guarded** in the API (``PublishDraftInput`` carries the
  draft's version only), so the published version is checked just before publishing, and
  after it: a version that moved by more than the publish means an edit made meanwhile was
  overwritten, which is reported (and, with a saved plan, fails the change).
- **A lost answer is read back**: a draft create by asking for the draft, a draft patch by
  reading the draft, a publish by reading the action; the audit line says what was found.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from reconciler.apply_base import (
    Outcome,
    _after,
    _error,
    _outcome_unknown,
    _paths,
    _Stop,
    _target,
    _version,
)
from reconciler.audit import APPLIED, CONFLICT, ERROR, NOT_APPLIED, REFUSED, UNKNOWN, AuditLog
from reconciler.backend import OrgApi
from reconciler.canonical import Canonical, content_hash
from reconciler.diff import diff
from reconciler.drafts import DraftRecord, DraftRegistry, draft_key, now
from reconciler.errors import ApiError, ConflictError, DactlError
from reconciler.genesys.wire import FUNCTION_KEY, draft_patch_body
from reconciler.plan import Change, Integrations

MAX_DRAFT_ATTEMPTS = 2
T = TypeVar("T")


def core(canonical: Canonical) -> Canonical:
    """The content a draft patch writes: all but the Function part (code and settings are
    written in separate steps)."""
    return {k: v for k, v in canonical.items() if k != "function"}


def core_hash(canonical: Canonical) -> str:
    return content_hash(core(canonical))


class DraftSteps:
    """The draft path; mixed into ``Applier``, which provides the attributes below."""

    api: OrgApi
    audit: AuditLog
    integrations: Integrations
    drafts: DraftRegistry
    take_over_drafts: bool
    saved_plan: bool

    # Provided by Applier.
    def _audit(self, change: Change, operation: str, **fields: Any) -> None:
        raise NotImplementedError

    def _read(self, action_id: str) -> dict[str, Any]:
        raise NotImplementedError

    def _canonical(self, action: dict[str, Any]) -> Canonical:
        raise NotImplementedError

    def _is_function(self, change: Change) -> bool:
        raise NotImplementedError

    def _write_function(self, change: Change, action_id: str, before: Canonical | None) -> None:
        raise NotImplementedError

    def _after_conflict(self, change: Change, notes: list[str]) -> tuple[int, bool, Canonical]:
        raise NotImplementedError

    def _ok(self, change: Change, before: int, after: int, what: str, notes: list[str]) -> Outcome:
        raise NotImplementedError

    # -- update of a published action -----------------------------------------------------

    def _update_by_draft(self, change: Change) -> Outcome:
        action_id, version = _target(change)
        after = _after(change)
        draft_version, ready = self._open_draft(change, action_id)
        notes: list[str] = [] if not ready else ["resumed a draft dactl had left"]
        state = {"current": version}

        def still_as_planned() -> int | None:
            """Just before publishing: has the published action moved since the plan?
            Publishing replaces it whole, so a colleague's edit would be lost. The version
            to publish over, or None when the org already holds the desired content."""
            current = state["current"] = self._live_version(action_id)
            if current == version:
                return current
            _, done, now = self._after_conflict(change, notes)  # stops with a saved plan
            if not done and now != after:  # the draft holds the ignored fields of the plan
                raise _Stop(
                    "a field that ignore rules keep changed in the org meanwhile; run plan again"
                )
            return None if done else current

        try:
            if not ready:
                draft_version = self._patch_draft(change, action_id, draft_version, after)
                if self._is_function(change):
                    self._write_function(change, action_id, change.before)
                    draft_version = self._draft_version_now(action_id)
            published = self._publish(
                change, action_id, draft_version, created=False, guard=still_as_planned
            )
        except (_Stop, DactlError):
            self._discard_draft(change, action_id)
            raise
        current = state["current"]
        if published is None:
            self._discard_draft(change, action_id)
            return self._ok(change, current, current, "already up to date", notes)
        self.drafts.forget(action_id)
        new_version = _version(published)
        # Nothing documents that a publish applies a contract change; check that it did.
        left = diff(self._canonical(self._read(action_id)), after)
        if left:
            raise _Stop(
                f"published {action_id} v{new_version}, but the org kept its own "
                f"{_paths(left)}; the change did not take: run plan to see the action as it is"
            )
        if new_version > current + 1:
            return self._overwrote(change, current, new_version, notes)
        return self._ok(change, current, new_version, "updated through a draft", notes)

    def _overwrote(
        self, change: Change, current: int, new_version: int, notes: list[str]
    ) -> Outcome:
        """The publish went over an edit made between the last check and the publish (the
        published version moved by more than the publish). Genesys keeps no history, so
        what that edit held cannot be read back: say so; a saved plan's change fails."""
        action_id, _ = _target(change)
        lost = (
            f"v{current + 1}"
            if new_version == current + 2
            else f"v{current + 1}..v{new_version - 1}"
        )
        warning = (
            f"an edit made in the org while publishing ({lost}) was overwritten by the "
            "publish, and what it changed cannot be read back: check the action"
        )
        if self.saved_plan:
            message = (
                f"published {action_id} v{current} -> v{new_version}, but {warning}; "
                "the reviewed plan did not show that"
            )
            return Outcome(
                change.name, change.kind, False, message, action_id, current, new_version
            )
        return self._ok(change, current, new_version, "updated through a draft", [*notes, warning])

    def _live_version(self, action_id: str) -> int:
        return _version(self.api.get_action(action_id, expand_contract=False, include_config=False))

    # -- opening a draft: resume, discard our own, refuse someone else's --------------------

    def _open_draft(self, change: Change, action_id: str) -> tuple[int, bool]:
        """A draft of ``action_id`` to work in: (its version, whether it already holds the
        desired content and only needs publishing)."""
        after = _after(change)
        existing = self._read_draft(action_id, function=self._is_function(change))
        if existing is not None:
            draft, version = existing
            if not diff(draft, after):
                self.drafts.intend(self._record(change, action_id))
                return version, True
            self._clear_draft(change, action_id, draft)
        self.drafts.intend(self._record(change, action_id))
        return self._create_draft(change, action_id), False

    def _clear_draft(self, change: Change, action_id: str, draft: Canonical) -> None:
        """Discard a draft in the way, when it is dactl's own or taking over was asked for;
        else refuse (someone may be editing it in the UI)."""
        record = self.drafts.get(action_id)
        known = {core_hash(change.before or {})} | ({record.core_hash} if record else set())
        if record is not None and core_hash(draft) in known:
            self._discard_draft(change, action_id, why="left by an earlier run")
            return
        if self.take_over_drafts:
            self._discard_draft(change, action_id, why="taken over")
            return
        edited = " (dactl started it, but it was edited since)" if record else ""
        raise _Stop(
            f"{action_id} has an unpublished draft that dactl did not make{edited}: someone "
            "may be editing it in the UI. Publish or delete that draft, or apply with "
            "--take-over-drafts to discard it"
        )

    def _record(self, change: Change, action_id: str | None) -> DraftRecord:
        after = _after(change)
        return DraftRecord(
            key=draft_key(action_id, after["name"], after["integrationId"]),
            name=after["name"],
            integration_id=after["integrationId"],
            action_id=action_id,
            core_hash=core_hash(after),
            run=self.audit.run_id,
            time=now(),
        )

    def _create_draft(self, change: Change, action_id: str) -> int:
        """``POST .../draft``; after a lost answer (or a 5xx) the draft is asked for: it
        exists (the request was done) or it is created again. Returns its version."""
        for attempt in range(MAX_DRAFT_ATTEMPTS):
            try:
                draft = self.api.create_draft(action_id)
            except ApiError as exc:
                if not _outcome_unknown(exc):
                    self._audit(change, "draft.create", outcome=ERROR, **_error(exc))
                    raise
                found = self._read_back(
                    change, "draft.create", exc, lambda: self.api.get_draft(action_id)
                )
                if found is not None:
                    self._audit(
                        change,
                        "draft.create",
                        version_after=found["version"],
                        outcome=APPLIED,
                        **_error(exc),
                    )
                    return _version(found)
                self._audit(change, "draft.create", outcome=NOT_APPLIED, **_error(exc))
                if attempt + 1 == MAX_DRAFT_ATTEMPTS:
                    raise
                continue
            self._audit(change, "draft.create", version_after=draft.get("version"))
            return _version(draft)
        raise _Stop("no draft could be created")  # not reached

    def _read_draft(self, action_id: str, *, function: bool) -> tuple[Canonical, int] | None:
        draft = self.api.get_draft_full(action_id)
        if draft is None:
            return None
        if function:
            draft[FUNCTION_KEY] = self.api.get_function(action_id, draft=True)
        return self._canonical(draft), _version(draft)

    def _draft_version_now(self, action_id: str) -> int:
        """The draft's version after the function steps, which may move it: read back (the
        Terraform provider does the same before publishing)."""
        draft = self.api.get_draft(action_id)
        if draft is None:
            raise _Stop(f"the draft of {action_id} disappeared before it was published")
        return _version(draft)

    # -- patching and publishing ----------------------------------------------------------

    def _patch_draft(
        self, change: Change, action_id: str, draft_version: int, after: Canonical
    ) -> int:
        """Write the desired content into the draft; its new version."""
        for attempt in range(MAX_DRAFT_ATTEMPTS):
            try:
                patched = self.api.patch_draft(action_id, draft_patch_body(after, draft_version))
            except ApiError as exc:
                if not _outcome_unknown(exc):
                    self._audit(
                        change,
                        "draft.patch",
                        version_before=draft_version,
                        outcome=ERROR,
                        **_error(exc),
                    )
                    raise
                found = self._read_back(
                    change, "draft.patch", exc, lambda: self._read_draft(action_id, function=False)
                )
                if found is not None and not diff(core(found[0]), core(after)):
                    self._audit(
                        change,
                        "draft.patch",
                        version_before=draft_version,
                        version_after=found[1],
                        outcome=APPLIED,
                        **_error(exc),
                    )
                    return found[1]
                if found is not None and found[1] == draft_version:
                    self._audit(
                        change,
                        "draft.patch",
                        version_before=draft_version,
                        outcome=NOT_APPLIED,
                        **_error(exc),
                    )
                    if attempt + 1 == MAX_DRAFT_ATTEMPTS:
                        raise
                    continue
                self._audit(
                    change,
                    "draft.patch",
                    version_before=draft_version,
                    outcome=UNKNOWN,
                    **_error(exc),
                )
                raise _Stop(f"the draft of {action_id} changed while it was being written") from exc
            version = _version(patched)
            self._audit(change, "draft.patch", version_before=draft_version, version_after=version)
            return version
        raise _Stop("the draft could not be written")  # not reached

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
        self._validate_draft(change, action_id, created=created)
        before = None
        if guard is not None:
            before = guard()
            if before is None:
                return None
        for attempt in range(MAX_DRAFT_ATTEMPTS):
            try:
                published = self.api.publish_draft(action_id, draft_version)
            except ConflictError as exc:
                # "Supplied version X does not match latest draft version Y": read it again.
                self._audit(
                    change, "draft.publish", action_id=action_id, outcome=CONFLICT, **_error(exc)
                )
                if attempt + 1 == MAX_DRAFT_ATTEMPTS:
                    raise
                draft_version = self._draft_version_now(action_id)
                continue
            except ApiError as exc:
                if not _outcome_unknown(exc):
                    self._audit(
                        change, "draft.publish", action_id=action_id, outcome=ERROR, **_error(exc)
                    )
                    raise
                landed = self._read_back_publish(change, action_id, before, exc)
                if landed is not None:
                    return landed
                if attempt + 1 == MAX_DRAFT_ATTEMPTS:
                    raise
                continue
            self._audit(
                change,
                "draft.publish",
                action_id=action_id,
                version_before=before,
                version_after=published.get("version"),
            )
            return published
        raise _Stop("the draft could not be published")  # not reached

    def _validate_draft(self, change: Change, action_id: str, *, created: bool) -> None:
        check = self.api.validate_draft(action_id)
        if check.get("valid", False) is True:
            return
        errors = [e for e in check.get("errors") or [] if isinstance(e, dict)]
        reasons = "; ".join(str(e.get("message", e)) for e in errors)
        self._audit(
            change,
            "draft.validate",
            action_id=action_id,
            outcome=REFUSED,
            codes=[e.get("code") for e in errors],
        )
        hint = ""
        if not created and "cannot be changed" in reasons:
            hint = (
                " (this org refuses contract changes, as Genesys does by default: remove "
                "immutableContracts: false from dactl.yaml, plan again, and apply with "
                "--allow-replace)"
            )
        raise _Stop(f"the org refused the draft: {reasons or 'no reason given'}{hint}")

    def _read_back_publish(
        self, change: Change, action_id: str, before: int | None, exc: ApiError
    ) -> dict[str, Any] | None:
        """After a publish whose answer was lost: the published action when the publish
        landed (``applied``); None when the draft is still there unpublished (``not
        applied``, so it may be sent again). Anything else stops."""
        try:
            draft = self.api.get_draft(action_id)
            try:
                live = self._read(action_id)
            except ApiError as missing:
                if missing.status != 404:
                    raise
                live = None
        except ApiError as again:
            self._audit(
                change, "draft.publish", action_id=action_id, outcome=UNKNOWN, **_error(exc)
            )
            raise _Stop(
                f"the publish's response was lost, and reading back failed: {again}"
            ) from again
        moved = live is not None and (before is None or _version(live) > before)
        if (
            draft is None
            and moved
            and live is not None
            and not diff(self._canonical(live), _after(change))
        ):
            self._audit(
                change,
                "draft.publish",
                action_id=action_id,
                version_before=before,
                version_after=live.get("version"),
                outcome=APPLIED,
                **_error(exc),
            )
            return live
        if draft is not None and not moved:
            self._audit(
                change, "draft.publish", action_id=action_id, outcome=NOT_APPLIED, **_error(exc)
            )
            return None
        self._audit(change, "draft.publish", action_id=action_id, outcome=UNKNOWN, **_error(exc))
        raise _Stop(
            "the publish's response was lost and the action changed meanwhile; run plan again"
        )

    def _read_back(self, change: Change, operation: str, exc: ApiError, read: Callable[[], T]) -> T:
        try:
            return read()
        except ApiError as again:
            self._audit(change, operation, outcome=UNKNOWN, **_error(exc))
            raise _Stop(
                f"the {operation}'s response was lost, and reading back failed: {again}"
            ) from again

    def _discard_draft(self, change: Change, action_id: str, *, why: str | None = None) -> None:
        """Delete the draft (a new action's draft deletes the action); its record goes with
        it. A draft that cannot be deleted keeps its record, for the next run."""
        extra = {"reason": why} if why else {}
        try:
            self.api.delete_draft(action_id)
        except ApiError as exc:
            if exc.status != 404:
                outcome = ERROR
                if _outcome_unknown(exc):  # the client sent it again and gave up: read back
                    try:
                        gone = self.api.get_draft(action_id) is None
                        outcome = APPLIED if gone else NOT_APPLIED
                    except ApiError:
                        outcome = UNKNOWN
                self._audit(
                    change,
                    "draft.delete",
                    action_id=action_id,
                    outcome=outcome,
                    **extra,
                    **_error(exc),
                )
                if outcome != APPLIED:
                    return
            else:  # gone already (a resend after a lost answer meets a 404)
                self._audit(change, "draft.delete", action_id=action_id, **extra)
        else:
            self._audit(change, "draft.delete", action_id=action_id, **extra)
        self.drafts.forget(action_id)
        self.drafts.forget(draft_key(None, _after(change)["name"], _after(change)["integrationId"]))
