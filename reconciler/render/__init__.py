"""Renderers: turn results into text, Markdown or JSON. Only these and the CLI write output.

``render(kind, fmt, result, ...)`` is the one table from a report kind and format name to
the renderer; modules are imported when used, so a command pays only for its own.
"""

from __future__ import annotations

import importlib
from typing import Any

# The drift webhook's body formats (``reconciler.render.webhook``).
WEBHOOK_FORMATS = ("json", "slack", "teams")

# kind -> format -> (module under reconciler.render, function, keywords it takes)
_TABLE: dict[str, dict[str, tuple[str, str, tuple[str, ...]]]] = {
    "plan": {
        "text": ("plan", "render_text", ("color", "org")),
        "markdown": ("plan", "render_markdown", ("org", "origin")),
        "json": ("plan", "render_json", ("org",)),
    },
    "drift": {
        "text": ("drift", "render_text", ("color",)),
        "markdown": ("drift", "render_markdown", ("org",)),
        "json": ("drift", "render_json", ("org",)),
    },
    "compare": {
        "text": ("compare", "render_text", ("color",)),
        "markdown": ("compare", "render_markdown", ()),
        "json": ("compare", "render_json", ()),
    },
    "usages": {
        "text": ("usages", "render_text", ()),
        "markdown": ("usages", "render_markdown", ()),
        "json": ("usages", "render_json", ()),
    },
    "problems": {
        "text": ("problems", "render_text", ()),
        "json": ("problems", "render_json", ()),
        "github": ("problems", "render_github", ()),
        "gitlab": ("problems", "render_gitlab", ()),
    },
}


def formats(kind: str) -> tuple[str, ...]:
    """The format names a kind of report has (``--format`` choices)."""
    return tuple(_TABLE[kind])


def render(kind: str, fmt: str, result: Any, **view: Any) -> str:
    """``result`` (a plan, a drift report, a validation report) in ``fmt``; ``view`` holds
    ``color``, ``org`` and ``origin`` (where a whole plan is), each passed to the renderers
    that use it."""
    module, function, takes = _TABLE[kind][fmt]
    renderer = getattr(importlib.import_module(f"reconciler.render.{module}"), function)
    text: str = renderer(result, **{k: v for k, v in view.items() if k in takes})
    return text
