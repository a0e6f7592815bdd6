"""Atomic JSON state files: a crash leaves either the old file or the new one, never half."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

STATE_FORMAT_VERSION = 1


def atomic_write_json(path: Path, data: Any) -> None:
    """Write ``data`` as sorted JSON via a temp file in the same directory, fsync, os.replace."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not every platform allows opening a directory.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load_state(path: Path) -> dict[str, Any]:
    """Read a state file written by :func:`atomic_write_json`, checking its format version."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("formatVersion") != STATE_FORMAT_VERSION:
        raise ValueError(f"{path}: not a dactl sandbox state file (formatVersion 1)")
    if not isinstance(data.get("actions"), dict) or not isinstance(data.get("integrations"), list):
        raise ValueError(f"{path}: state file lacks 'actions' or 'integrations'")
    return data
