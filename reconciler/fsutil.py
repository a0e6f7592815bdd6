"""Atomic file writes: a crash leaves either the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def atomic_write_text(path: Path, text: str, *, durable: bool = True) -> None:
    """Write ``text`` via a temp file in the same directory, then ``os.replace``.

    ``durable`` also fsyncs the file and its directory, so the rename survives a power cut;
    caches can skip that cost.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600; keep the file's mode, or the umask's
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    if durable:
        _fsync_directory(directory)


def atomic_write_json(path: Path, data: Any, *, durable: bool = True) -> None:
    """Write ``data`` as stable (sorted-key, indented) JSON, atomically."""
    text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    atomic_write_text(path, text, durable=durable)


def _read_umask() -> int:
    # os.umask can only be read by setting it; done once, at import, before any thread.
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


_NEW_FILE_MODE = 0o666 & ~_read_umask()


def _mode_for(path: Path) -> int:
    """The permission bits a rewrite of ``path`` should have: its own, else the umask's."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return _NEW_FILE_MODE


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
