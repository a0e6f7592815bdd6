"""Atomic file writes: a crash leaves either the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def atomic_write_text(
    path: Path, text: str, *, durable: bool = True, mode: int | None = None
) -> None:
    """Write ``text`` via a temp file in the same directory, then ``os.replace``.

    ``durable`` also fsyncs the file and its directory, so the rename survives a power cut;
    caches can skip that cost. ``mode`` (e.g. ``0o600``) is the file's mode whatever it
    was; by default a rewrite keeps the file's mode and a new file gets the umask's.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path) if mode is None else mode
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


def atomic_write_json(
    path: Path, data: Any, *, durable: bool = True, mode: int | None = None
) -> None:
    """Write ``data`` as stable (sorted-key, indented) JSON, atomically."""
    text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    atomic_write_text(path, text, durable=durable, mode=mode)


# --- .dactl/: live content that must stay out of git ------------------------------------

DACTL_DIR = ".dactl"
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
GITIGNORE_TEXT = "# Written by dactl: live action content and logs stay out of git.\n*\n"


def ensure_private_dir(directory: Path) -> Path:
    """Create ``directory`` for dactl's own files, and keep ``.dactl/`` out of git.

    Directories it creates are ``0700`` (existing ones keep their mode). When
    ``directory`` is, or lies inside, a directory named ``.dactl`` (the cache and the
    audit log hold live action content), that directory gets a ``.gitignore`` holding
    ``*`` -- git then ignores everything in it, the ``.gitignore`` included. An existing
    ``.gitignore`` is never changed. ``OSError`` when the directory cannot be made.
    """
    directory = Path(directory)
    missing: list[Path] = []
    probe = directory
    while not probe.is_dir():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=PRIVATE_DIR_MODE)
            os.chmod(path, PRIVATE_DIR_MODE)  # mkdir's mode is filtered by the umask
    if not directory.is_dir():
        raise NotADirectoryError(f"{directory} is not a directory")
    dactl = _dactl_root(directory)
    if dactl is not None:
        write_new_file(dactl / ".gitignore", GITIGNORE_TEXT)
    return directory


def _dactl_root(directory: Path) -> Path | None:
    """The innermost directory named ``.dactl`` among ``directory`` and its parents."""
    for path in (directory, *directory.parents):
        if path.name == DACTL_DIR:
            return path
    return None


def write_new_file(path: Path, text: str) -> bool:
    """Write ``path`` atomically only when it does not exist (never overwritten, even by
    a race): a temp file, then a hard link that fails when the name is taken. True when
    written."""
    if path.exists():
        return False
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _NEW_FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            os.link(tmp_name, path)
        except FileExistsError:
            return False
        except OSError:  # no hard links here: fall back to an exclusive create
            try:
                with open(path, "x", encoding="utf-8") as out:
                    out.write(text)
            except FileExistsError:
                return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)


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
