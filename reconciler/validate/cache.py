"""Remembered validation results: a file checked once is not checked again while nothing
that decides its result has changed.

An entry is reused only when the file's bytes, the bytes of every template of its
``extends`` chain, the project file, the environment, where the file is shown from, and
dactl itself (its version and the files of its package) are all unchanged; anything else
is a miss and the file is checked. The entry holds the problems the checks found (the
file is still read, so the action itself always comes from the file as it is now).
The file lives in ``.dactl/cache/`` (private, like the live cache); deleting it is safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from reconciler import __version__
from reconciler.config.loader import ActionDocument
from reconciler.diagnostics import Mark, Problem
from reconciler.fsutil import PRIVATE_FILE_MODE, atomic_write_json, ensure_private_dir

CACHE_FORMAT = 1
FILE_NAME = "validation.json"


@cache
def code_stamp() -> str:
    """dactl's version, and the name, size and time of every file of its package: a
    changed check (even in a development checkout) is a miss."""
    package = Path(__file__).resolve().parents[1]
    hasher = hashlib.sha256(__version__.encode())
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts:
            info = path.stat()
            hasher.update(
                f"{path.relative_to(package)}:{info.st_size}:{info.st_mtime_ns};".encode()
            )
    return hasher.hexdigest()


class ValidationCache:
    """The problems found per file, keyed as the module says; ``read=False`` (``--refresh``)
    ignores what is stored but keeps it fresh."""

    def __init__(self, path: Path, *, read: bool = True) -> None:
        self.path = path
        self.stored: dict[str, list[dict[str, Any]]] = self._load() if read else {}
        self.used: dict[str, list[dict[str, Any]]] = {}
        self.hits = 0

    def key(self, action: ActionDocument, project: str) -> str | None:
        """The key of ``action`` in a project whose key is ``project``; None: uncacheable."""
        if not action.digest:
            return None
        text = f"{code_stamp()}\0{project}\0{action.display}\0{action.digest}"
        return hashlib.sha256(text.encode()).hexdigest()

    @staticmethod
    def project_key(project_data: Any, environment: str | None) -> str:
        text = json.dumps([project_data, environment], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, key: str) -> list[Problem] | None:
        found = self.stored.get(key)
        if found is None:
            return None
        try:
            problems = [_problem(p) for p in found]
        except (KeyError, TypeError, ValueError):
            return None
        self.used[key] = found
        self.hits += 1
        return problems

    def put(self, key: str, problems: list[Problem]) -> None:
        self.used[key] = [p.as_dict() for p in problems]

    def save(self) -> None:
        """Keep the entries this run used (so the file never grows past the tree); a run
        that cannot write it is slower next time, never wrong."""
        if self.used == self.stored:
            return
        with contextlib.suppress(OSError):
            ensure_private_dir(self.path.parent)
            body = {"format": CACHE_FORMAT, "entries": self.used}
            atomic_write_json(self.path, body, durable=False, mode=PRIVATE_FILE_MODE)

    def _load(self) -> dict[str, list[dict[str, Any]]]:
        try:
            body = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(body, dict) or body.get("format") != CACHE_FORMAT:
            return {}
        entries = body.get("entries")
        if not isinstance(entries, dict):
            return {}
        return {k: v for k, v in entries.items() if isinstance(k, str) and isinstance(v, list)}


def _problem(data: dict[str, Any]) -> Problem:
    mark = Mark(str(data["file"]), int(data["line"]), int(data["column"]))
    severity = data["severity"]
    if severity not in ("error", "warning"):
        raise ValueError(severity)
    return Problem(mark, str(data["message"]), severity, str(data["rule"]))
