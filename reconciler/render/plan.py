"""Render a plan as terminal text, as a Markdown pull-request comment, or as versioned JSON.

The JSON form is also the saved-plan file (``dactl plan --out``).
"""

from __future__ import annotations

import difflib
import json
import re
from typing import TYPE_CHECKING, Any

import click

from reconciler.diff import MISSING, FieldChange
from reconciler.plan import Change, Ignored, Kept, Plan, ignored_note
from reconciler.savedplan import PlanOrigin, plan_to_dict
from reconciler.secrets import redact_canonical

if TYPE_CHECKING:
    from reconciler.organization import OrgInfo

MARKDOWN_LIMIT = 60_000
UNSAFE_NOTE = (
    "this plan is over the project's safety thresholds; `dactl apply` refuses it without --force"
)
_SYMBOL = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}
_COLOR = {"create": "green", "update": "yellow", "replace": "magenta", "delete": "red"}
_EMOJI = {"create": "➕", "update": "✏️", "replace": "♻️", "delete": "🗑️"}
PLAN_SIDES = ("live", "desired")  # what a plan's before and after are
IGNORED_NOTE = "where the org differs, by ignore rules (the org's values are kept)"
KEPT_NOTE = "live actions in scope that no file claims, left alone (`--prune` plans their deletion)"
_MAX_KEPT = 50  # names listed in a Markdown plan


def show(value: Any) -> str:
    """A value on one line: JSON for data, ``<absent>`` for a missing field."""
    if value is MISSING:
        return "<absent>"
    if value is None:
        return "null"
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def is_multiline(change: FieldChange) -> bool:
    return any(isinstance(v, str) and "\n" in v for v in (change.before, change.after))


def line_diff(change: FieldChange, labels: tuple[str, str] = PLAN_SIDES) -> list[str]:
    """A unified line diff of a multi-line string field (before -> after, named ``labels``)."""
    before = change.before if isinstance(change.before, str) else ""
    after = change.after if isinstance(change.after, str) else ""
    return [
        _visible(line)
        for line in difflib.unified_diff(
            before.splitlines(), after.splitlines(), *labels, lineterm="", n=2
        )
    ]


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(line: str) -> str:
    """Control characters as ``\\x1b`` escapes: template text (which drift reads from the
    org) must not drive the reviewer's terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", line)


def diff_block(lines: list[str]) -> list[str]:
    """``lines`` in a Markdown ``diff`` code block whose fence no line can close."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}diff", *lines, fence]


# --- text -------------------------------------------------------------------------------


def render_text(plan: Plan, *, color: bool = False, org: OrgInfo | None = None) -> str:
    """The terminal view; colored when ``color`` (a TTY); ``org`` heads it when known."""

    def paint(text: str, fg: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if color else text

    lines: list[str] = []
    for change in plan.changes:
        verb = "rename" if change.rename else change.kind
        head = f"{_SYMBOL[change.kind]:>3} {verb:<7} {_visible(change.label)}"
        where = f"  {change.action_id} v{change.live_version}" if change.action_id else ""
        lines.append(paint(head, _COLOR[change.kind], bold=True) + where)
        if change.source:
            lines.append(f"      from {change.source}")
        if change.kind == "replace":
            lines.append(
                paint(
                    f"      replace because {change.reason}: a new id is created and "
                    "flows that use the old id must be repointed",
                    "magenta",
                )
            )
        if change.kind == "update" and change.draft:
            lines.append(f"      {draft_path(change)}")
        if change.usage is not None:
            risky = change.usage.in_use or not change.usage.known
            lines.append(paint(f"      {usage_line(change)}", "yellow" if risky else None))
        for field_change in change.fields:
            lines.extend(text_field(field_change, paint))
    if lines:
        lines.append("")
    lines.append(paint(plan.summary(), bold=True))
    if plan.kept:
        lines.append(f"Not managed, kept ({len(plan.kept)}): {KEPT_NOTE}:")
        lines.extend(f"  = {k.name!r}{_kept_where(k)}" for k in plan.kept)
    lines.extend(ignored_lines(plan.ignored))
    build = build_note(plan)
    if build:
        lines.append(paint(f"Warning: {build}", "yellow", bold=True))
    lines.extend(f"Note: {_visible(note)}" for note in plan.notes)
    if plan.unsafe:
        lines.append(paint(f"Warning: {UNSAFE_NOTE}:", "yellow", bold=True))
        lines.extend(paint(f"  - {why}", "yellow") for why in plan.unsafe)
    if org is not None:
        lines[:0] = [f"Org: {paint(_visible(org.label), bold=True)}", ""]
        if org.environment:
            lines[:0] = [f"Environment: {paint(org.environment, bold=True)}"]
    return "\n".join(lines) + "\n"


def usage_line(change: Change) -> str:
    """``used by 2 flows: A (inboundcallflow, v12), B (...) [delete]``: who uses the action
    of a risky change, and why they were asked."""
    assert change.usage is not None
    return f"{_visible(change.usage.describe())} [{', '.join(change.usage.risks)}]"


def build_note(plan: Plan) -> str:
    """Why the consumers shown may lag behind the flows (empty when they are fresh)."""
    build = plan.dependency_build
    return "" if build is None or build.note is None else build.note


def md_affected(plan: Plan) -> str:
    """The Markdown list of risky changes and the flows that use their actions."""
    items = [
        f"- **{_md_name(c)}** ({', '.join(u.risks)}): {md_escape(_visible(u.describe()))}"
        for c in plan.changes
        if (u := c.usage) is not None
    ]
    if not items:
        return ""
    return "\n**Flows that use the actions of risky changes**\n\n" + "\n".join(items) + "\n"


def ignored_lines(ignored: tuple[Ignored, ...]) -> list[str]:
    """What ignore rules left alone (the org's values are kept), one line per action."""
    if not ignored:
        return []
    head = f"Ignored: {ignored_note(ignored)[len('ignored: ') :]} {IGNORED_NOTE}:"
    return [head, *(f"  {_visible(repr(i.name))}: {', '.join(i.paths)}" for i in ignored)]


def md_ignored(ignored: tuple[Ignored, ...]) -> str:
    """The Markdown paragraph of ``ignored_lines`` (empty when nothing was ignored)."""
    if not ignored:
        return ""
    items = "; ".join(
        f"{md_escape(_visible(i.name))}: {', '.join(md_code(p) for p in i.paths)}" for i in ignored
    )
    count = ignored_note(ignored)[len("ignored: ") :]
    return f"\n_Ignored: {count} {IGNORED_NOTE}: {items}._\n"


def _kept_where(kept: Kept) -> str:
    version = f" v{kept.live_version}" if kept.live_version is not None else ""
    return f"  {_visible(kept.action_id)}{version}"


def draft_path(change: Change) -> str:
    """How an update that goes through a draft is carried out."""
    if any(f.top == "contract" for f in change.fields):
        return "contract change: draft -> patch -> publish on the same id"
    return "Function action: draft -> code and settings -> publish on the same id"


def text_field(change: FieldChange, paint: Any, labels: tuple[str, str] = PLAN_SIDES) -> list[str]:
    """One changed field for the terminal, redacted; templates as a colored line diff."""
    before = redact_canonical(change.path, change.before)
    after = redact_canonical(change.path, change.after)
    shown = FieldChange(change.path, before, after)
    if is_multiline(shown):
        out = [f"      {change.dotted}:"]
        for line in line_diff(shown, labels):
            fg = "green" if line.startswith("+") else "red" if line.startswith("-") else None
            out.append("        " + paint(line, fg))
        return out
    return [f"      {change.dotted}: {show(before)} → {show(after)}"]


# --- markdown ---------------------------------------------------------------------------


def render_markdown(
    plan: Plan,
    *,
    limit: int = MARKDOWN_LIMIT,
    org: OrgInfo | None = None,
    origin: PlanOrigin | None = None,
) -> str:
    """A pull-request comment: summary first, a table, details folded, under ``limit`` chars;
    when it is cut short, it says where the whole plan is (``origin``)."""
    org_line = "" if org is None else "\n" + md_org(org)
    head = [f"### dactl plan\n\n**{plan.summary()}**\n{org_line}{md_ignored(plan.ignored)}"]
    if plan.notes:
        head.append("\n" + "".join(f"> {md_escape(_visible(n))}\n>\n" for n in plan.notes))
    if plan.unsafe:
        why = "".join(f"\n> - {md_escape(w)}" for w in plan.unsafe)
        head.append(f"> [!WARNING]\n> {UNSAFE_NOTE[0].upper()}{UNSAFE_NOTE[1:]}:{why}\n")
    build = build_note(plan)
    if build:
        head.append(f"> [!WARNING]\n> {md_escape(build)}\n")
    affected = md_affected(plan)
    if affected:
        head.append(affected)
    kept = _md_kept(plan.kept)
    if plan.empty:
        return "".join(head) + (f"\n{kept}" if kept else "")
    table = ["| | action | change | fields |", "|---|---|---|---|"]
    for change in plan.changes:
        fields = ", ".join(md_field_summary(f) for f in change.fields) or "—"
        table.append(
            f"| {_EMOJI[change.kind]} | {_md_name(change)} | "
            f"{'/'.join(change.terraform_actions)}{' (rename)' if change.rename else ''} | "
            f"{fields} |"
        )
    details = [_md_details(c) for c in plan.changes if c.fields or c.kind == "replace"]
    body = "\n".join(head) + "\n" + "\n".join(table) + "\n" + (f"\n{kept}" if kept else "")
    where = full_plan_where(origin)
    note = (
        "\n_The plan is longer than a comment allows; {n} of {total} details are left "
        f"out. {where}_\n"
    )
    return fit_markdown(body, details, note, limit, where)


def full_plan_where(origin: PlanOrigin | None) -> str:
    """Where a plan cut short can be read whole: the saved plan (a CI job's artifact), the
    CI job's log."""
    origin = origin or PlanOrigin()
    url = origin.log_url
    safe = url is not None and re.fullmatch(r"https?://[^\s<>()\[\]`|\"']+", url)
    log = f"the [CI job log]({url})" if safe else None
    if origin.saved_as:
        saved = md_code(origin.saved_as)
        also = f"; see also {log}" if log else ""
        return (
            f"The full plan is in the saved plan {saved} (the job's artifact in CI; "
            f"`dactl show {_shell_word(origin.saved_as)}` prints it){also}."
        )
    return "Run `dactl plan` for the full plan" + (f", or see {log}." if log else ".")


def _md_kept(kept: tuple[Kept, ...]) -> str:
    """The folded list of live actions no file claims (no changes), or ``''``."""
    if not kept:
        return ""
    items = [f"- {md_escape(_visible(k.name))} (`{md_escape(k.action_id)}`)" for k in kept]
    if len(items) > _MAX_KEPT:
        items = [*items[:_MAX_KEPT], f"- and {len(items) - _MAX_KEPT} more"]
    return (
        f"<details><summary>Not managed, kept ({len(kept)})</summary>\n\n"
        f"{KEPT_NOTE[0].upper()}{KEPT_NOTE[1:]}.\n\n" + "\n".join(items) + "\n\n</details>\n"
    )


def md_code(text: str) -> str:
    """``text`` as inline code, whatever backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{_visible(text)}{pad}{fence}"


def _shell_word(text: str) -> str:
    """A path as one shell word, for a command to copy (no backticks: it sits in code)."""
    if re.fullmatch(r"[A-Za-z0-9_./@%+=:,-]+", text):
        return text
    return "'" + _visible(text).replace("`", "").replace("'", "'\\''") + "'"


def fit_markdown(
    body: str,
    details: list[str],
    note: str,
    limit: int,
    where: str = "Run the command for the full list.",
) -> str:
    """``body`` then as many ``details`` blocks as fit under ``limit`` characters; when some
    do not fit, ``note`` (formatted with ``n`` left out of ``total``) says so; when even
    ``body`` does not fit, it is cut at a line and ``where`` says where the rest is."""
    room = limit - len(note) - 200
    if len(body) > room:  # even the table is too long: cut it at a row
        rows = body[:room].rsplit("\n", 1)[0]
        left = body.count("\n") - rows.count("\n")
        return rows + f"\n\n_The table is cut here: {left} more lines. {where}_\n"
    kept: list[str] = []
    for i, block in enumerate(details):
        candidate = body + "\n" + "".join(kept) + block
        if len(candidate) + len(note) + 20 > limit:
            return body + "\n" + "".join(kept) + note.format(n=len(details) - i, total=len(details))
        kept.append(block)
    text = body + "\n" + "".join(kept)
    return text if len(text) <= limit else text[: limit - 40] + "\n\n_(truncated)_\n"


def md_field_summary(change: FieldChange) -> str:
    """A field for a table cell: its path, with the values for a timeout change."""
    if change.path == ("timeoutSeconds",):
        return f"`timeoutSeconds: {show(change.before)} → {show(change.after)}`"
    return f"`{change.dotted}`"


def _md_details(change: Change) -> str:
    lines = [f"<details><summary><b>{_md_name(change)}</b> ({change.kind})</summary>\n"]
    if change.kind == "replace":
        lines.append(
            f"Replaced because {change.reason}: the new action gets a new id; "
            "flows that reference the old id must be repointed.\n"
        )
    lines.extend(diff_block([line for f in change.fields for line in diff_field(f)]))
    lines.append("</details>\n")
    return "\n".join(lines) + "\n"


def _md_name(change: Change) -> str:
    """The action's name, or ``Old → New`` for a renamed one."""
    if change.renamed_from is None:
        return md_escape(change.name)
    return f"{md_escape(change.renamed_from)} → {md_escape(change.name)}"


def diff_field(change: FieldChange, labels: tuple[str, str] = PLAN_SIDES) -> list[str]:
    """One changed field as lines of a ```diff block, redacted; templates as a line diff."""
    before = redact_canonical(change.path, change.before)
    after = redact_canonical(change.path, change.after)
    shown = FieldChange(change.path, before, after)
    if is_multiline(shown):
        return [f"# {change.dotted}", *line_diff(shown, labels)]
    return [f"- {change.dotted}: {show(before)}", f"+ {change.dotted}: {show(after)}"]


def md_org(org: OrgInfo) -> str:
    """The org line of a Markdown report: ``Org: **name** (`host`)``, after
    ``Environment: **prod** ·`` when the run is for an environment of the project."""
    name = _visible(md_escape(org.name)) if org.name else None
    host = f"`{_visible(org.host).replace('`', '')}`"
    env = f"Environment: **{md_escape(org.environment)}** · " if org.environment else ""
    return f"{env}Org: **{name}** ({host})\n" if name else f"{env}Org: {host}\n"


def md_escape(text: str) -> str:
    """Text safe inside a Markdown table cell or HTML summary."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


# --- json -------------------------------------------------------------------------------


def render_json(plan: Plan, *, org: OrgInfo | None = None) -> str:
    body = plan_to_dict(plan, org=org)  # the saved-plan format, by design
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
