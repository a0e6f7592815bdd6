"""What ``dactl usages`` prints: text, Markdown or JSON."""

from __future__ import annotations

import json

from reconciler.consumers import plural
from reconciler.render.plan import md_escape
from reconciler.usages import UsagesReport


def _head(report: UsagesReport) -> str:
    """``'Name' is used by 2 flows`` (over the actions of that name, when the org has several)."""
    n = len(report.actions)
    several = f" (over {n} actions of that name)" if n > 1 else ""
    return f"{report.name!r} is used by {plural(report.consumers, 'flow')}{several}"


def render_text(report: UsagesReport) -> str:
    lines = []
    for action in report.actions:
        lines.append(
            f"{action.name!r}  {action.action_id} v{action.version} ({action.object_type})"
        )
        lines.extend(f"  {c.label}  {c.id}" for c in action.consumers)
        if not action.consumers:
            lines.append("  no flow uses it")
    lines += ["", _head(report) + "."]
    if report.build.note:
        lines.append(f"Warning: {report.build.note}")
    return "\n".join(lines) + "\n"


def render_markdown(report: UsagesReport) -> str:
    out = [f"### dactl usages\n\n**{md_escape(_head(report))}.**\n"]
    if report.build.note:
        out.append(f"> [!WARNING]\n> {md_escape(report.build.note)}\n")
    for action in report.actions:
        out.append(f"\n`{action.action_id}` v{action.version} ({action.object_type}):\n")
        out.extend(f"- {md_escape(c.label)} (`{c.id}`)\n" for c in action.consumers)
        if not action.consumers:
            out.append("- no flow uses it\n")
    return "".join(out)


def render_json(report: UsagesReport) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
