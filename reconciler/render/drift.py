"""Render a drift report as terminal text, as a Markdown issue comment and as versioned JSON
(chat webhook messages are in ``render.webhook``).

Field values are shown, and credentials redacted, by the plan renderer's helpers; a drift
field reads git -> org (what was changed outside git).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from reconciler.diff import MISSING, FieldChange
from reconciler.drift import (
    DRIFT_FORMAT_VERSION,
    STATUSES,
    DriftedAction,
    DriftReport,
    DriftStatus,
)
from reconciler.render.plan import (
    MARKDOWN_LIMIT,
    diff_block,
    diff_field,
    fit_markdown,
    ignored_lines,
    md_code,
    md_escape,
    md_field_summary,
    md_ignored,
    md_org,
    text_field,
)
from reconciler.secrets import redact_canonical

if TYPE_CHECKING:
    from reconciler.organization import OrgInfo

DRIFT_SIDES = ("git", "org")  # what a drift field's before and after are
_LABEL: dict[DriftStatus, str] = {
    "changed": "changed outside git",
    "missing": "missing from the org",
    "unmanaged": "unmanaged (in the org, not in git)",
}
_SYMBOL: dict[DriftStatus, str] = {"changed": "~", "missing": "!", "unmanaged": "?"}
_COLOR: dict[DriftStatus, str] = {"changed": "yellow", "missing": "red", "unmanaged": "cyan"}
_MAX_ADOPT = 20  # unmanaged actions whose adopt command a Markdown report lists
_EMOJI: dict[DriftStatus, str] = {"changed": "✏️", "missing": "❗", "unmanaged": "❓"}
_HINT: dict[DriftStatus, str] = {
    "changed": "`dactl apply` puts git's version back; or `dactl pull` writes the org's "
    "change into the files, for a pull request",
    "missing": "`dactl apply` creates it again; or remove its file",
    "unmanaged": "adopt it into git (`dactl export --name NAME` writes its file only; "
    "`--unmanaged` every unmanaged action's), or remove it in the org",
}


# --- text -------------------------------------------------------------------------------


def render_text(report: DriftReport, *, color: bool = False) -> str:
    """The terminal view: one line per drifted action, its fields (git -> org), a summary."""

    def paint(text: str, fg: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if color else text

    lines: list[str] = []
    for action in report.actions:
        head = f"{_SYMBOL[action.status]} {action.status:<9} {action.name!r}"
        lines.append(paint(head, _COLOR[action.status], bold=True) + _where(action, "  "))
        if action.source:
            lines.append(f"      in {action.source}")
        if action.status == "unmanaged":
            if action.usage is not None:
                lines.append(
                    paint(f"      {action.usage.describe()}", "yellow", bold=action.in_use)
                )
            lines.append(f"      adopt: {report.adopt_command(action.name)}")
        for field_change in action.fields:
            lines.extend(text_field(field_change, paint, DRIFT_SIDES))
    if lines:
        lines.append("")
    lines.append(paint(report.summary(), bold=True))
    lines.extend(ignored_lines(report.ignored))
    if len(report.with_status("unmanaged")) > 1:
        lines.append(f"Adopt every unmanaged action: {report.adopt_command()}")
    if any(a.fields for a in report.actions):
        lines.append("Changed fields read git → org.")
    return "\n".join(lines) + "\n"


def _where(action: DriftedAction, sep: str) -> str:
    return f"{sep}{action.action_id} v{action.live_version}" if action.action_id else ""


# --- markdown ---------------------------------------------------------------------------


def render_markdown(
    report: DriftReport, *, limit: int = MARKDOWN_LIMIT, org: OrgInfo | None = None
) -> str:
    """An issue or comment body: summary first, a table, details folded, under ``limit``;
    ``org`` named under the summary when known."""
    head = f"### dactl drift\n\n**{report.summary()}**\n"
    if org is not None:
        head += "\n" + md_org(org)
    head += md_ignored(report.ignored)
    if not report.drifted:
        return head
    table = ["| | action | status | live id | fields (git → org) |", "|---|---|---|---|---|"]
    for action in report.actions:
        fields = ", ".join(md_field_summary(f) for f in action.fields) or "—"
        if action.usage is not None and action.usage.in_use:
            fields = md_escape(action.usage.describe())
        where = f"`{action.action_id}` v{action.live_version}" if action.action_id else "—"
        table.append(
            f"| {_EMOJI[action.status]} | {md_escape(action.name)} | "
            f"{_LABEL[action.status]} | {where} | {fields} |"
        )
    hints = [f"- **{status}**: {_HINT[status]}" for status in _present(report)]
    hints += [
        f"  - {md_escape(a.name)}: {md_code(report.adopt_command(a.name))}"
        for a in report.with_status("unmanaged")[:_MAX_ADOPT]
    ]
    body = f"{head}\n" + "\n".join(table) + "\n\n" + "\n".join(hints) + "\n"
    details = [_md_details(a) for a in report.actions if a.fields]
    note = (
        "\n_The report is longer than a comment allows; {n} of {total} details are left "
        "out. Run `dactl drift` for the full report._\n"
    )
    return fit_markdown(body, details, note, limit)


def _present(report: DriftReport) -> list[DriftStatus]:
    return [status for status in STATUSES if report.with_status(status)]


def _md_details(action: DriftedAction) -> str:
    summary = f"<b>{md_escape(action.name)}</b> ({_LABEL[action.status]})"
    lines = [
        f"<details><summary>{summary}</summary>\n",
        "`-` is git, `+` is the org.\n",
        *diff_block([line for f in action.fields for line in diff_field(f, DRIFT_SIDES)]),
        "</details>\n",
    ]
    return "\n".join(lines) + "\n"


# --- json -------------------------------------------------------------------------------


def drift_to_dict(report: DriftReport, *, org: OrgInfo | None = None) -> dict[str, Any]:
    """The versioned JSON report (also the ``drift`` member of a webhook body); with
    ``org``, an ``organization`` member (name, id, host) names the org, and
    ``environment`` the project's environment (null: none)."""
    extra = {} if org is None else {"organization": org.to_dict(), "environment": org.environment}
    return extra | {
        "format_version": DRIFT_FORMAT_VERSION,
        "drift": report.drifted,
        "summary": report.summary(),
        "counts": report.counts(),
        "in_sync": list(report.in_sync),
        "ignored": [{"name": i.name, "paths": list(i.paths)} for i in report.ignored],
        "actions": [_action_dict(a, report) for a in report.actions],
    }


def _action_dict(action: DriftedAction, report: DriftReport) -> dict[str, Any]:
    adopt = report.adopt_command(action.name) if action.status == "unmanaged" else None
    return {
        "name": action.name,
        "status": action.status,
        "id": action.action_id,
        "live_version": action.live_version,
        "source": action.source,
        "fields": [_field_dict(f) for f in action.fields],
        "adopt": adopt,
        "usage": None if action.usage is None else _usage_dict(action),
    }


def _usage_dict(action: DriftedAction) -> dict[str, Any]:
    """The flows that use an unmanaged action (``consumers`` null: unknown, ``error`` why)."""
    assert action.usage is not None
    usage = action.usage.to_dict()
    return {"consumers": usage["consumers"], "error": usage["error"]}


def _field_dict(change: FieldChange) -> dict[str, Any]:
    """``before`` is git, ``after`` the org; an absent side is null with ``*_present`` false."""
    return {
        "path": list(change.path),
        "before": _shown(change.path, change.before),
        "after": _shown(change.path, change.after),
        "before_present": change.before is not MISSING,
        "after_present": change.after is not MISSING,
    }


def render_json(report: DriftReport, *, org: OrgInfo | None = None) -> str:
    body = drift_to_dict(report, org=org)
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _shown(path: tuple[str | int, ...], value: object) -> object:
    return None if value is MISSING else redact_canonical(path, value)
