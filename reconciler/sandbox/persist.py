"""``--state FILE``: the org as one JSON document, and a journal of the writes since.

Rewriting the whole org on every write would cost O(org) per write (O(n²) to create n
actions), so a write appends one line to ``FILE.journal`` instead: the action it changed,
whole, or its deletion. Once the journal holds as many lines as half the org has actions
(at least ``COMPACT_MIN``), FILE is rewritten (atomically: a crash leaves the old file or the
new one, never half) and the journal starts again; a clean stop does the same. Loading
reads FILE, then replays the journal over it: a write the sandbox answered is in one of
the two, even when the process is killed right after (a line cut short by the kill is the
last one, and is skipped). The journal is flushed to the OS on every write, not synced to
disk: it survives a killed process, not a power cut.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from reconciler.fsutil import atomic_write_json

__all__ = ["COMPACT_MIN", "STATE_FORMAT_VERSION", "StateFile", "atomic_write_json", "load_state"]

log = logging.getLogger(__name__)

STATE_FORMAT_VERSION = 1
COMPACT_MIN = 1000


def journal_path(path: Path) -> Path:
    """Where the journal of state file ``path`` lives."""
    return path.with_name(path.name + ".journal")


def load_state(path: Path) -> dict[str, Any]:
    """The org a state file holds: FILE (checked for its format version), then the journal
    beside it, when there is one, replayed over it."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("formatVersion") != STATE_FORMAT_VERSION:
        raise ValueError(f"{path}: not a dactl sandbox state file (formatVersion 1)")
    if not isinstance(data.get("actions"), dict) or not isinstance(data.get("integrations"), list):
        raise ValueError(f"{path}: state file lacks 'actions' or 'integrations'")
    _replay(journal_path(Path(path)), data["actions"])
    return data


def _replay(journal: Path, actions: dict[str, Any]) -> None:
    try:
        lines = journal.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
            action_id, entry = record["id"], record["entry"]
        except (ValueError, KeyError, TypeError):
            if number == len(lines):
                log.warning("%s: skipping its last line, cut short", journal)
                return
            raise ValueError(f"{journal}:{number}: not a journal record") from None
        if entry is None:
            actions.pop(action_id, None)
        else:
            actions[action_id] = entry


class StateFile:
    """Writes one sandbox's state: whole (``snapshot``) or one action at a time
    (``record``); ``close`` leaves FILE complete and no journal."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.journal = journal_path(self.path)
        self._records = 0

    def snapshot(self, state: dict[str, Any]) -> None:
        """Write the whole org to FILE, then drop the journal (FILE holds it all now)."""
        atomic_write_json(self.path, state)
        self._drop_journal()

    def record(self, state: dict[str, Any], action_ids: tuple[str, ...]) -> None:
        """Journal the actions ``action_ids`` as ``state`` now holds them (absent: deleted);
        compact into FILE when the journal has grown as long as half the org (so that
        rewriting FILE costs O(1) a write, amortized)."""
        actions = state["actions"]
        lines = [json.dumps({"id": i, "entry": actions.get(i)}) + "\n" for i in action_ids]
        with self.journal.open("a", encoding="utf-8") as handle:  # closing flushes to the OS
            handle.write("".join(lines))
        self._records += len(lines)
        if self._records >= max(COMPACT_MIN, len(actions) // 2):
            self.snapshot(state)

    def close(self, state: dict[str, Any]) -> None:
        """Compact when anything is journaled, so that FILE alone holds the org."""
        if self._records or self.journal.exists():
            self.snapshot(state)

    def _drop_journal(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.journal)
        self._records = 0
