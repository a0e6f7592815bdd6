"""The drafts dactl has started and not yet published or discarded (docs/architecture.md, rule 9).

A draft is recorded *before* the request that creates it, so a crash, a kill or a lost
response at any later point leaves a record: the next apply knows the draft is its own and
resumes or discards it, while a draft nobody recorded (someone editing in the UI) is still
never touched without ``--take-over-drafts``. Genesys keeps no marker of who made a draft,
so the record is local: ``.dactl/drafts.json`` beside the audit log (keep ``.dactl/``
between CI runs, as the live cache is kept). Each record is per org (the org key of the
live cache), and names the action, or for a new action its name and integration.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.errors import DactlError
from reconciler.fsutil import PRIVATE_FILE_MODE, atomic_write_json, ensure_private_dir

DEFAULT_PATH = Path(".dactl") / "drafts.json"
FORMAT = 1


@dataclass(frozen=True)
class DraftRecord:
    """One draft dactl started: where, for what content, by which run."""

    key: str
    name: str
    integration_id: str
    action_id: str | None  # None until a new action's create answered
    core_hash: str  # the desired content without the function part (see core_hash)
    run: str
    time: str

    @property
    def new_action(self) -> bool:
        """Whether the draft is a new, never-published action's."""
        return self.key.startswith("new:")


def draft_key(action_id: str | None, name: str, integration_id: str) -> str:
    """The record key: the action id for a draft of a published action, else the name
    and integration of the new action."""
    return action_id if action_id is not None else f"new:{integration_id}:{name}"


class DraftRegistry:
    """Records of one org's unfinished drafts; thread-safe, every change written at once.

    ``path`` None keeps records in memory only (tests, or no working directory).
    """

    def __init__(self, path: Path | None, org: str) -> None:
        self.path = path
        self.org = org
        self._lock = threading.Lock()
        self._memory: dict[str, dict[str, DraftRecord]] = {}

    def check(self) -> None:
        """Fail before any write when the records cannot be kept."""
        with self._lock:
            self._save(self._load())

    def records(self) -> list[DraftRecord]:
        """This org's records."""
        with self._lock:
            return list(self._load().get(self.org, {}).values())

    def get(self, key: str) -> DraftRecord | None:
        with self._lock:
            return self._load().get(self.org, {}).get(key)

    def intend(self, record: DraftRecord) -> None:
        """Record a draft about to be created (before the request is sent)."""
        self._change(lambda mine: mine.__setitem__(record.key, record))

    def settle(self, key: str, action_id: str) -> None:
        """A new action's draft now has an id."""

        def update(mine: dict[str, DraftRecord]) -> None:
            if key in mine:
                mine[key] = DraftRecord(**{**asdict(mine[key]), "action_id": action_id})

        self._change(update)

    def forget(self, key: str) -> None:
        """The draft was published or deleted."""
        self._change(lambda mine: mine.pop(key, None))

    def _change(self, edit: Any) -> None:
        with self._lock:
            everything = self._load()
            mine = everything.setdefault(self.org, {})
            edit(mine)
            if not mine:
                everything.pop(self.org, None)
            self._save(everything)

    # -- the file ------------------------------------------------------------------------

    def _load(self) -> dict[str, dict[str, DraftRecord]]:
        if self.path is None:
            return {org: dict(records) for org, records in self._memory.items()}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise DactlError(
                f"cannot read the draft records {self.path}: {exc.strerror or exc}"
            ) from exc
        except ValueError as exc:
            raise DactlError(
                f"{self.path}: the draft records are damaged ({exc}); they say which drafts "
                "dactl left behind: remove the file (then apply may need --take-over-drafts "
                "for a draft it left)"
            ) from exc
        try:
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise TypeError("unknown format")
            return {
                org: {key: DraftRecord(**value) for key, value in records.items()}
                for org, records in data["orgs"].items()
            }
        except (TypeError, KeyError, AttributeError) as exc:
            raise DactlError(
                f"{self.path}: not a draft record file of this dactl ({exc}); remove it "
                "(then apply may need --take-over-drafts for a draft it left)"
            ) from exc

    def _save(self, everything: dict[str, dict[str, DraftRecord]]) -> None:
        if self.path is None:
            self._memory = everything
            return
        body = {
            "format": FORMAT,
            "orgs": {
                org: {key: asdict(record) for key, record in sorted(records.items())}
                for org, records in sorted(everything.items())
            },
        }
        try:
            ensure_private_dir(self.path.parent)
            atomic_write_json(self.path, body, mode=PRIVATE_FILE_MODE)
        except OSError as exc:
            raise DactlError(
                f"cannot write the draft records {self.path}: {exc.strerror or exc}"
            ) from exc


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
