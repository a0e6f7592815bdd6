"""Render a comparison of two live orgs (``dactl compare``) as terminal text, as a Markdown
comment for a change-advisory board, or as versioned JSON.

Fields read A → B (the first side named, then the second), values redacted by the plan
renderer's helpers; each side is named with its environment and org.
"""

from __future__ import annotations

import json
from typing import Any

import click

from reconciler.compare import (
    COMPARE_FORMAT_VERSION,
    ComparedAction,
    CompareReport,
    CompareStatus,
    Side,
)
from reconciler.diff import MISSING
from reconciler.render.plan import (
    MARKDOWN_LIMIT,
    diff_block,
    diff_field,
    fit_markdown,
    md_escape,
    md_field_summary,
    text_field,
)
from reconciler.secrets import redact_canonical

_SYMBOL: dict[CompareStatus, str] = {"differs": "~", "only_a": "<", "only_b": ">"}
_COLOR: dict[CompareStatus, str] = {"differs": "yellow", "only_a": "green", "only_b": "red"}
_EMOJI: dict[CompareStatus, str] = {"differs": "✏️", "only_a": "⬅️", "only_b": "➡️"}
PLACEHOLDER_NOTE = (
    "Fields written with a {{ var.NAME }} placeholder compare equal when each org holds "
    "its environment's value."
)


def side_line(side: Side) -> str:
    """``dev: Acme Dev (api.example.test), actions/``."""
    org = side.organization.label if side.organization is not None else "org unknown"
    return f"{side.label}: {org}, {side.directory}"


def _sides(report: CompareReport) -> tuple[str, str]:
    return (report.a.label, report.b.label)


# --- text -------------------------------------------------------------------------------


def render_text(report: CompareReport, *, color: bool = False) -> str:
    """The terminal view: the two sides, one line per action that is not the same and its
    fields (A → B), a summary."""

    def paint(text: str, fg: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if color else text

    lines = [f"Compare {side_line(report.a)}", f"   with {side_line(report.b)}", ""]
    for action in report.actions:
        label = report.status_label(action.status)
        head = f"{_SYMBOL[action.status]} {label:<{_width(report)}} {action.name!r}"
        lines.append(paint(head, _COLOR[action.status], bold=True) + _ids(report, action))
        for field_change in action.fields:
            lines.extend(text_field(field_change, paint, _sides(report)))
    if report.actions:
        lines.append("")
    lines.append(paint(report.summary(), bold=True))
    if any(a.fields for a in report.actions):
        lines.append(f"Fields read {report.a.label} → {report.b.label}. {PLACEHOLDER_NOTE}")
    return "\n".join(lines) + "\n"


def _width(report: CompareReport) -> int:
    return max(len(report.status_label(a.status)) for a in report.actions)


def _ids(report: CompareReport, action: ComparedAction) -> str:
    parts = []
    if action.a_id is not None:
        parts.append(f"{report.a.label} {action.a_id} v{action.a_version}")
    if action.b_id is not None:
        parts.append(f"{report.b.label} {action.b_id} v{action.b_version}")
    return "  " + ", ".join(parts)


# --- markdown ---------------------------------------------------------------------------


def render_markdown(report: CompareReport, *, limit: int = MARKDOWN_LIMIT) -> str:
    """A comment for a change request: summary first, the two sides, a table, details
    folded, under ``limit`` characters."""
    a, b = report.a.label, report.b.label
    sides = "".join(f"- {md_escape(side_line(s))}\n" for s in (report.a, report.b))
    head = f"### dactl compare: {md_escape(a)} → {md_escape(b)}\n\n**{report.summary()}**\n\n"
    head += sides
    if not report.differs:
        return head
    table = [f"| | action | status | fields ({md_escape(a)} → {md_escape(b)}) |"]
    table.append("|---|---|---|---|")
    for action in report.actions:
        fields = ", ".join(md_field_summary(f) for f in action.fields) or "—"
        table.append(
            f"| {_EMOJI[action.status]} | {md_escape(action.name)} | "
            f"{md_escape(report.status_label(action.status))} | {fields} |"
        )
    body = head + "\n" + "\n".join(table) + f"\n\n{md_escape(PLACEHOLDER_NOTE)}\n"
    details = [_md_details(report, x) for x in report.actions if x.fields]
    note = (
        "\n_The comparison is longer than a comment allows; {n} of {total} details are "
        "left out. Run `dactl compare` for all of it._\n"
    )
    return fit_markdown(body, details, note, limit)


def _md_details(report: CompareReport, action: ComparedAction) -> str:
    a, b = (md_escape(s) for s in _sides(report))
    lines = [
        f"<details><summary><b>{md_escape(action.name)}</b></summary>\n",
        f"`-` is {a}, `+` is {b}.\n",
        *diff_block([line for f in action.fields for line in diff_field(f, _sides(report))]),
        "</details>\n",
    ]
    return "\n".join(lines) + "\n"


# --- json -------------------------------------------------------------------------------


def compare_to_dict(report: CompareReport) -> dict[str, Any]:
    """The versioned JSON comparison: the sides, the summary, counts, the names that are
    the same, and per other action its status, ids and versions, and fields (``a`` and
    ``b`` values, redacted; ``*_present`` tell an absent field from a null)."""
    return {
        "format_version": COMPARE_FORMAT_VERSION,
        "a": report.a.to_dict(),
        "b": report.b.to_dict(),
        "differs": report.differs,
        "summary": report.summary(),
        "counts": report.counts(),
        "same": list(report.same),
        "actions": [
            {
                "name": x.name,
                "status": x.status,
                "a": None if x.a_id is None else {"id": x.a_id, "version": x.a_version},
                "b": None if x.b_id is None else {"id": x.b_id, "version": x.b_version},
                "fields": [
                    {
                        "path": list(f.path),
                        "a": None if f.before is MISSING else redact_canonical(f.path, f.before),
                        "b": None if f.after is MISSING else redact_canonical(f.path, f.after),
                        "a_present": f.before is not MISSING,
                        "b_present": f.after is not MISSING,
                    }
                    for f in x.fields
                ],
            }
            for x in report.actions
        ],
    }


def render_json(report: CompareReport) -> str:
    return json.dumps(compare_to_dict(report), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
