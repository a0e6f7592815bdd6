"""JSON read from files users give (``dactl import`` inputs, ``--inputs``, ``--response``).

``json.loads`` recurses once per nesting level, so a deeply nested file raises
``RecursionError``, and a file that parses just below that limit makes later steps
(copying, validating, writing YAML) recurse past it. ``loads`` turns both into a
``JsonTooDeep`` (a ``ValueError``, as every other parse failure), so callers report one
line naming the file.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.config.yamlsafe import MAX_DEPTH

__all__ = ["MAX_DEPTH", "JsonTooDeep", "loads"]


class JsonTooDeep(ValueError):
    """JSON nested deeper than ``MAX_DEPTH`` arrays and objects (or than Python can parse)."""


def loads(text: str, **kwargs: Any) -> Any:
    """``json.loads(text, **kwargs)``; ``ValueError`` (``JSONDecodeError``, ``JsonTooDeep``,
    or whatever a hook raises) on any parse failure."""
    try:
        data = json.loads(text, **kwargs)
    except RecursionError:
        raise JsonTooDeep("nesting is too deep to read") from None
    if _deeper_than(data, MAX_DEPTH):
        raise JsonTooDeep(f"nesting is deeper than {MAX_DEPTH} levels")
    return data


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether ``data`` nests more than ``limit`` arrays and objects; no recursion."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth >= limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return False
