"""Field-level differences between two canonical actions (``reconciler.canonical``)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from deepdiff import DeepDiff

from reconciler.canonical import Canonical

FieldPath = tuple[str | int, ...]


class _Missing:
    """Marks a side of a change where the field is absent."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<absent>"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class FieldChange:
    """One changed field: its path in the canonical form and the values on each side."""

    path: FieldPath
    before: Any
    after: Any

    @property
    def dotted(self) -> str:
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + part
        return out

    @property
    def top(self) -> str:
        return str(self.path[0])


def diff(before: Canonical, after: Canonical) -> list[FieldChange]:
    """Field-level changes from ``before`` to ``after``; a changed list is one change."""
    found = DeepDiff(before, after, view="tree", verbose_level=2)
    changes: dict[FieldPath, FieldChange] = {}
    for items in found.values():
        for item in items:
            path: FieldPath = tuple(item.path(output_format="list"))
            cut = next((i for i, part in enumerate(path) if isinstance(part, int)), None)
            if cut is not None:
                path = path[:cut]
            changes[path] = FieldChange(path, _get(before, path), _get(after, path))
    return [changes[p] for p in sorted(changes, key=lambda p: [str(x) for x in p])]


def _get(data: Any, path: FieldPath) -> Any:
    for part in path:  # paths stop above list items, so only mappings are walked
        if not (isinstance(data, dict) and part in data):
            return MISSING
        data = data[part]
    return copy.deepcopy(data)
