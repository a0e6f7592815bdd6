"""Render validation reports (``dactl validate``)."""

from __future__ import annotations

import json

from reconciler.validate import ValidationReport

FORMAT_VERSION = 1


def render_text(report: ValidationReport) -> str:
    """One ``file:line:col: message`` line per problem, then a summary line."""
    lines = [str(p) for p in report.problems]
    files = len(report.tree.actions) + (1 if report.tree.project else 0)
    errors, warnings = len(report.errors), len(report.warnings)
    if errors:
        lines.append(f"{_n(errors, 'error')}, {_n(warnings, 'warning')} in {_n(files, 'file')}.")
    elif not report.tree.actions:
        lines.append(f"No action files found under {report.tree.root} (nothing to check).")
    else:
        extra = f", {_n(warnings, 'warning')}" if warnings else ""
        lines.append(f"OK: {_n(len(report.actions), 'action')} valid{extra}.")
    return "\n".join(lines) + "\n"


def render_json(report: ValidationReport) -> str:
    """A versioned JSON document for tools."""
    body = {
        "format_version": FORMAT_VERSION,
        "valid": report.ok,
        "error_count": len(report.errors),
        "warning_count": len(report.warnings),
        "actions": sorted(a.name for a in report.actions),
        "problems": [p.as_dict() for p in report.problems],
    }
    return json.dumps(body, indent=2, sort_keys=True) + "\n"


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
