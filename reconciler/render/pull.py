"""Render a pull report as terminal text, as Markdown (the body of the pull request the CI
kit opens: what the pull wrote, then the drift report it was read from), and as versioned
JSON. Field values read git -> org and are redacted as drift's are.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from reconciler.pull import PULL_FORMAT_VERSION, PullReport
from reconciler.pull_files import PulledFile
from reconciler.render.drift import DRIFT_SIDES, drift_to_dict
from reconciler.render.drift import render_markdown as drift_markdown
from reconciler.render.plan import (
    MARKDOWN_LIMIT,
    ignored_lines,
    md_code,
    md_escape,
    md_field_summary,
    md_org,
    text_field,
)

if TYPE_CHECKING:
    from reconciler.organization import OrgInfo

FORMATS = ("text", "markdown", "json")
_SYMBOL = {"updated": "~", "new": "+", "left": "="}
_EMOJI = {"updated": "✏️", "new": "➕", "left": "⏸️"}
_COLOR = {"updated": "yellow", "new": "green", "left": "blue"}
MISSING_NOTE = (
    "in git, not in the org: its file is kept (`dactl apply` creates the action again; "
    "or remove the file)"
)
UNMANAGED_NOTE = "in the org, no file: not adopted (`dactl pull --unmanaged` adds its file)"
PLACEHOLDER_NOTE = (
    "the org's value is not what the placeholder resolves to here, so it is written as the "
    "org has it"
)


def render_pull(
    fmt: str, report: PullReport, *, color: bool = False, org: OrgInfo | None = None
) -> str:
    """``report`` in ``fmt`` (one of ``FORMATS``)."""
    if fmt == "json":
        return render_json(report, org=org)
    if fmt == "markdown":
        return render_markdown(report, org=org)
    return render_text(report, color=color)


# --- text -------------------------------------------------------------------------------


def file_notes(pulled: PulledFile) -> list[str]:
    """What to know about one file besides its fields: overrides, placeholders, what was
    left alone, what validate will say."""
    out = [
        f"override: {o.path} comes from {o.template}; written in this file ({o.template} "
        "is unchanged)"
        for o in pulled.overrides
    ]
    out += [f"no placeholder: {lost}: {PLACEHOLDER_NOTE}" for lost in pulled.placeholders_lost]
    out += [f"not pulled: {left}" for left in pulled.left]
    out += [f"note: {note}" for note in pulled.notes]
    return out


def render_text(report: PullReport, *, color: bool = False) -> str:
    """One line per file written (its fields, git -> org, below), the actions left as they
    are, a summary."""

    def paint(text: str, fg: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if color else text

    lines: list[str] = []
    for pulled in report.files:
        head = f"{_SYMBOL[pulled.status]} {pulled.status:<9} {pulled.display}"
        lines.append(paint(head, _COLOR[pulled.status], bold=True) + f"  ({pulled.name!r})")
        for change in pulled.fields:
            lines.extend(text_field(change, paint, DRIFT_SIDES))
        lines.extend(f"      {note}" for note in file_notes(pulled))
    for action in report.missing:
        lines.append(paint(f"! missing   {action.name!r}", "red", bold=True) + f"  {action.source}")
        lines.append(f"      {MISSING_NOTE}")
    for action in report.unmanaged:
        where = f"  {action.action_id} v{action.live_version}" if action.action_id else ""
        lines.append(paint(f"? unmanaged {action.name!r}", "cyan", bold=True) + where)
        lines.append(f"      {UNMANAGED_NOTE}")
    if lines:
        lines.append("")
    lines.append(paint(report.summary(), bold=True))
    lines.extend(ignored_lines(report.drift.ignored))
    if any(f.fields for f in report.files):
        lines.append("Changed fields read git → org.")
    return "\n".join(lines) + "\n"


# --- markdown ---------------------------------------------------------------------------


def render_markdown(
    report: PullReport, *, limit: int = MARKDOWN_LIMIT, org: OrgInfo | None = None
) -> str:
    """The pull request's body: the files, what to know about them, and the drift report
    below, under ``limit`` characters."""
    head = f"### dactl pull\n\n**{report.summary()}**\n"
    if org is not None:
        head += "\n" + md_org(org)
    parts = [head]
    if report.files:
        table = ["| | file | action | fields (git → org) |", "|---|---|---|---|"]
        for pulled in report.files:
            fields = ", ".join(md_field_summary(f) for f in pulled.fields) or "new file"
            if pulled.status == "left":
                fields += " (left as it is)"
            table.append(
                f"| {_EMOJI[pulled.status]} | {md_code(pulled.display)} | "
                f"{md_escape(pulled.name)} | {fields} |"
            )
        parts.append("\n".join(table) + "\n")
    notes = [
        f"- {md_code(pulled.display)}: {md_escape(note)}"
        for pulled in report.files
        for note in file_notes(pulled)
    ]
    notes += [f"- **missing** {md_escape(a.name)}: {MISSING_NOTE}" for a in report.missing]
    notes += [f"- **unmanaged** {md_escape(a.name)}: {UNMANAGED_NOTE}" for a in report.unmanaged]
    if notes:
        parts.append("\n".join(notes) + "\n")
    body = "\n".join(parts)
    room = limit - len(body) - 2
    if report.drift.drifted and room > 2_000:
        body += "\n" + drift_markdown(report.drift, limit=room, org=org)
    return body


# --- json -------------------------------------------------------------------------------


def pull_to_dict(report: PullReport, *, org: OrgInfo | None = None) -> dict[str, Any]:
    """The versioned JSON report: the files and their fields, what was left as it is, and
    the drift report it was read from (with the values, git -> org, redacted)."""
    return {
        "format_version": PULL_FORMAT_VERSION,
        "pulled": report.pulled,
        "check": report.check,
        "summary": report.summary(),
        "counts": report.counts(),
        "files": [_file_dict(f) for f in report.files],
        "missing": [{"name": a.name, "source": a.source} for a in report.missing],
        "unmanaged": [
            {"name": a.name, "id": a.action_id, "live_version": a.live_version}
            for a in report.unmanaged
        ],
        "drift": drift_to_dict(report.drift, org=org),
    }


def _file_dict(pulled: PulledFile) -> dict[str, Any]:
    return {
        "path": pulled.display,
        "name": pulled.name,
        "status": pulled.status,
        "id": pulled.action_id,
        "live_version": pulled.live_version,
        "fields": [list(f.path) for f in pulled.fields],
        "overrides": [{"path": o.path, "template": o.template} for o in pulled.overrides],
        "placeholders_kept": pulled.placeholders_kept,
        "placeholders_lost": list(pulled.placeholders_lost),
        "not_pulled": list(pulled.left),
        "notes": list(pulled.notes),
    }


def render_json(report: PullReport, *, org: OrgInfo | None = None) -> str:
    body = pull_to_dict(report, org=org)
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
