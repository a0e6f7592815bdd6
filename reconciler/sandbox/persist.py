"""Atomic JSON state files: a crash leaves either the old file or the new one, never half."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.fsutil import atomic_write_json

__all__ = ["STATE_FORMAT_VERSION", "atomic_write_json", "load_state"]

STATE_FORMAT_VERSION = 1


def load_state(path: Path) -> dict[str, Any]:
    """Read a state file written by :func:`atomic_write_json`, checking its format version."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("formatVersion") != STATE_FORMAT_VERSION:
        raise ValueError(f"{path}: not a dactl sandbox state file (formatVersion 1)")
    if not isinstance(data.get("actions"), dict) or not isinstance(data.get("integrations"), list):
        raise ValueError(f"{path}: state file lacks 'actions' or 'integrations'")
    return data
