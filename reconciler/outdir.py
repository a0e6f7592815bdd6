"""The ``--out`` directory that ``dactl export`` and ``dactl import`` write action files into.

Both read it the same way before writing (which action each existing file holds, so a
same-name action is rewritten in place and never lands in a second file) and write the
same way (atomically, one file at a time, a failure one line naming the path).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.config.loader import PROJECT_FILE_NAMES, ActionDocument, LoadedTree, display_path
from reconciler.diagnostics import Problem
from reconciler.errors import ConfigError
from reconciler.fsutil import atomic_write_text

PROJECT_FILE = PROJECT_FILE_NAMES[0]  # the name of the project file either command writes


@dataclass
class ExistingActions:
    """The action files already in a directory, by the action they hold."""

    # Why some action files cannot be read: which action such a file holds is unknown, so
    # writing could put that action in a second file.
    unreadable: list[Problem] = field(default_factory=list)
    by_name: dict[str, ActionDocument] = field(default_factory=dict)  # name -> its one file
    in_several: dict[str, list[Path]] = field(default_factory=dict)  # name -> its files


def existing_actions(tree: LoadedTree) -> ExistingActions:
    """Which action each file of ``tree`` (the loaded directory) holds."""
    project_files = {display_path(tree.root / name) for name in PROJECT_FILE_NAMES}
    found = ExistingActions([p for p in tree.problems if p.mark.file not in project_files])
    files: dict[str, list[ActionDocument]] = {}
    for doc in tree.actions:
        name = doc.doc.data.get("name") if isinstance(doc.doc.data, dict) else None
        if isinstance(name, str):
            files.setdefault(name, []).append(doc)
    for name, docs in files.items():
        if len(docs) > 1:
            found.in_several[name] = [d.path for d in docs]
        else:
            found.by_name[name] = docs[0]
    return found


def write_files(writes: Iterable[tuple[Path, str]]) -> list[Path]:
    """Write each ``(path, text)`` atomically, in order; the paths written. The first
    ``OSError`` is a ``ConfigError`` naming its path and the files written before it."""
    written: list[Path] = []
    for path, text in writes:
        try:
            atomic_write_text(path, text)
        except OSError as exc:
            done = f"; written before it: {', '.join(map(str, written))}" if written else ""
            raise ConfigError(f"cannot write {path}: {exc.strerror or exc}{done}") from exc
        written.append(path)
    return written
