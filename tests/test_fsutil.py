"""Atomic writes keep a file's permissions, and new files get the umask's."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from reconciler.fsutil import atomic_write_text


def test_a_rewrite_keeps_the_mode_and_a_new_file_follows_the_umask(tmp_path: Path) -> None:
    existing = tmp_path / "action.yaml"
    existing.write_text("old")
    existing.chmod(0o640)
    atomic_write_text(existing, "new")
    assert existing.read_text() == "new"
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640

    umask = os.umask(0o022)
    os.umask(umask)
    fresh = tmp_path / "fresh.yaml"
    atomic_write_text(fresh, "x")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE(fresh.stat().st_mode) != 0o600 or umask == 0o066
