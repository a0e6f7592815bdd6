"""Close matches for a mistyped name (``--target NAME``, ``dactl test NAME``)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_names(name: str, names: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` of ``names`` that look like ``name``; one that differs only in letter
    case comes first."""
    known = sorted(set(names))
    close = difflib.get_close_matches(name, known, n=n, cutoff=0.6)
    by_case = {k.lower(): k for k in known}
    same = by_case.get(name.lower())
    if same is not None and same not in close:
        close.insert(0, same)
    return close[:n]


def did_you_mean(name: str, names: Iterable[str]) -> str:
    """``did you mean 'Get User'?``, or ``''`` when nothing is close."""
    close = close_names(name, names)
    return "did you mean " + " or ".join(repr(n) for n in close) + "?" if close else ""
