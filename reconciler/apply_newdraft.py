"""New actions through a draft (Function actions), and drafts earlier runs left behind.

A new action's draft is recorded before it is created (by name and integration, its id
once the create answers), so one left by a crash is found and deleted with its draft-only
action; ``sweep_drafts`` clears every draft an earlier run left that no change of this run
takes up (docs/architecture.md, rule 9).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.apply_base import (
    _after,
    _error,
    _outcome_unknown,
    _Stop,
    _version,
)
from reconciler.apply_draft import MAX_DRAFT_ATTEMPTS, DraftSteps, core_hash
from reconciler.audit import APPLIED, ERROR, NOT_APPLIED
from reconciler.drafts import DraftRecord, draft_key
from reconciler.errors import ApiError, DactlError
from reconciler.plan import Change


class NewDraftSteps(DraftSteps):
    """New actions through drafts, and the sweep; mixed into ``Applier``."""

    # -- a new action through a draft (Function actions) -----------------------------------

    def _create_by_draft(self, change: Change, body: dict[str, Any]) -> tuple[str, int, str]:
        """Function actions cannot be created published: draft-only create, upload the code
        and set the function's settings, then publish.

        A failure leaves nothing behind: the draft (and with it the draft-only action) is
        deleted, since the action listing would not show it and a rerun would add another.
        """
        after = _after(change)
        key = draft_key(None, after["name"], after["integrationId"])
        leftover = self.drafts.get(key)
        if leftover is not None:
            self._discard_new_draft(change, leftover)
        self.drafts.intend(self._record(change, None))
        draft_id, draft_version = self._create_draft_only(change, body)
        self.drafts.settle(key, draft_id)
        try:
            self._write_function(change, draft_id, None)
            version = (
                self._draft_version_now(draft_id) if self._is_function(change) else draft_version
            )
            published = self._publish(change, draft_id, version, created=True)
        except (_Stop, DactlError):
            self._discard_draft(change, draft_id)
            raise
        assert published is not None  # no guard, so always published
        self.drafts.forget(key)
        return draft_id, _version(published), " (through a draft)"

    def _create_draft_only(self, change: Change, body: dict[str, Any]) -> tuple[str, int]:
        after = _after(change)
        for attempt in range(MAX_DRAFT_ATTEMPTS):
            try:
                draft = self.api.create_draft_only(body)
            except ApiError as exc:
                if not _outcome_unknown(exc):
                    self._audit(change, "draft.create", outcome=ERROR, **_error(exc))
                    raise
                found = self._read_back(
                    change,
                    "draft.create",
                    exc,
                    lambda: self._find_new_draft(
                        after["name"], after["integrationId"], core_hash(after)
                    ),
                )
                if found is not None:
                    self._audit(
                        change,
                        "draft.create",
                        action_id=found[0],
                        version_after=found[1],
                        outcome=APPLIED,
                        **_error(exc),
                    )
                    return found
                self._audit(change, "draft.create", outcome=NOT_APPLIED, **_error(exc))
                if attempt + 1 == MAX_DRAFT_ATTEMPTS:
                    raise
                continue
            ident = draft.get("id")
            if not isinstance(ident, str) or not ident:
                raise _Stop("the org answered the draft create without an action id")
            self._audit(change, "draft.create", action_id=ident, version_after=draft.get("version"))
            return ident, _version(draft)
        raise _Stop("no draft could be created")  # not reached

    def _find_new_draft(
        self, name: str, integration_id: str, wanted: str
    ) -> tuple[str, int] | None:
        """A never-published action's draft with this name, integration and content."""
        for summary in self.api.iter_drafts(name=name):
            ident = summary.get("id")
            if summary.get("name") != name or summary.get("integrationId") != integration_id:
                continue
            if not isinstance(ident, str) or self._published(ident):
                continue
            found = self._read_draft(ident, function=False)
            if found is not None and core_hash(found[0]) == wanted:
                return ident, found[1]
        return None

    def _published(self, action_id: str) -> bool:
        try:
            self.api.get_action(action_id, expand_contract=False, include_config=False)
        except ApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def _discard_new_draft(self, change: Change, record: DraftRecord) -> None:
        """The draft of a new action an earlier run left: deleted, with its action."""
        found = record.action_id
        if found is None:
            hit = self._find_new_draft(record.name, record.integration_id, record.core_hash)
            found = hit[0] if hit else None
        if found is not None and not self._published(found):
            self._discard_draft(change, found, why="left by an earlier run")
        self.drafts.forget(record.key)

    # -- drafts left behind ------------------------------------------------------------------

    def sweep_drafts(self, changes: Sequence[Change]) -> list[str]:
        """Discard the drafts an earlier run left that no change of this run takes up (a
        change takes up the draft of its own action); notes saying what was done."""
        taken = set()
        for change in changes:
            if change.after is not None:
                taken.add(draft_key(None, change.after["name"], change.after["integrationId"]))
            if change.action_id is not None:
                taken.add(change.action_id)
        notes = []
        for record in self.drafts.records():
            if record.key in taken:
                continue
            notes.append(self._sweep(record))
        return notes

    def _sweep(self, record: DraftRecord) -> str:
        pseudo = Change(
            "update",
            record.name,
            action_id=record.action_id,
            after={
                "name": record.name,
                "integrationId": record.integration_id,
            },
        )
        try:
            if record.new_action:
                self._discard_new_draft(pseudo, record)
                return f"{record.name!r}: discarded the draft of a new action an earlier run left"
            assert record.action_id is not None
            found = self._read_draft(record.action_id, function=False)
            if found is None:
                self.drafts.forget(record.key)
                return f"{record.name!r}: the draft an earlier run left is gone"
            untouched = core_hash(found[0]) == core_hash(
                self._canonical(self._read(record.action_id))
            )
            if core_hash(found[0]) == record.core_hash or untouched or self.take_over_drafts:
                self._discard_draft(pseudo, record.action_id, why="left by an earlier run")
                where = record.action_id
                return f"{record.name!r}: discarded the draft an earlier run left on {where}"
        except (ApiError, _Stop) as exc:
            return f"{record.name!r}: could not clear the draft an earlier run left: {exc}"
        return (
            f"{record.name!r}: the draft an earlier run left on {record.action_id} was edited "
            "since; left alone (publish or delete it, or apply with --take-over-drafts)"
        )
