"""The audit log: one JSON line per write request dactl sends (docs/architecture.md, rule 8).

A line records what the org did, never a guess: after a lost response the write is read
back and its ``outcome`` says what was found (see ``Outcome`` values below).
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.errors import DactlError
from reconciler.fsutil import ensure_private_dir
from reconciler.secrets import redact_value

# What a line's ``outcome`` says.
OK = "ok"  # the org answered that it did the write
APPLIED = "applied"  # the answer was lost (or unusable); read back: the org did it
NOT_APPLIED = "not applied"  # the answer was lost; read back: the org did not do it
UNKNOWN = "unknown"  # the answer was lost and reading back failed too
CONFLICT = "conflict"  # refused: the version was stale
REFUSED = "refused"  # refused by validation (a draft the org would not publish)
ERROR = "error"  # refused with an error status


class AuditLog:
    """Appends one JSON line per write to a file (``None``: no log). Never holds values:
    only names, ids, versions, field paths, outcomes and, for a failure, the HTTP status,
    Genesys error code and correlation id (never the server's message, which can quote
    submitted values), so secrets cannot leak into it."""

    def __init__(
        self, path: Path | None, run_id: str | None = None, environment: str | None = None
    ) -> None:
        self.path = path
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.environment = environment  # the project's environment (--env), on every line
        self._lock = threading.Lock()

    def check(self) -> None:
        """Fail before any write when the log cannot be appended to."""
        if self.path is None:
            return
        try:
            ensure_private_dir(self.path.parent)  # .dactl/: 0700, and a .gitignore
            with self.path.open("a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise DactlError(
                f"cannot write the audit log {self.path}: {exc.strerror or exc}; "
                "nothing was changed (use --audit-log to choose another file)"
            ) from exc

    def write(self, **record: Any) -> None:
        if self.path is None:
            return
        line = json.dumps(
            {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "run": self.run_id,
                "env": self.environment,
            }
            | redact_value(record),  # no values are logged; this is the safety net
            sort_keys=False,
            ensure_ascii=False,
        )
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(line + "\n")
                    handle.flush()
                    os.fsync(handle.fileno())
        except OSError as exc:
            raise DactlError(
                f"the write was sent, but the audit log {self.path} could not be written: "
                f"{exc.strerror or exc}"
            ) from exc
