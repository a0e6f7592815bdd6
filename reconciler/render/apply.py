"""What `dactl apply` prints: one line per change as it finishes, then a summary."""

from __future__ import annotations

from collections import Counter

import click

from reconciler.apply import ApplyResult, Outcome

_SYMBOL = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}
_DONE = {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted"}


def render_outcome(outcome: Outcome, *, color: bool = False) -> str:
    """``  ~ update 'Get Queue Waiting Count': updated custom_-_1 v1 -> v2 (timeoutSeconds)``"""
    head = f"{_SYMBOL[outcome.kind]:>3} {outcome.kind} {outcome.name!r}: "
    if outcome.ok:
        return head + outcome.message
    text = head + "FAILED: " + outcome.message
    return click.style(text, fg="red", bold=True) if color else text


def render_result(result: ApplyResult, *, color: bool = False) -> str:
    """Notes on saved-plan changes that needed no write, then the summary line."""
    lines = [f"Note: {note}" for note in result.notes]
    lines.extend(repoint_lines(result))
    if result.cancelled:
        lines.append("Apply cancelled; nothing was changed.")
    elif not result.outcomes:
        lines.append("No changes. The org matches the desired state.")
    else:
        done = Counter[str](o.kind for o in result.outcomes if o.ok)
        counts = ", ".join(f"{done[kind]} {verb}" for kind, verb in _DONE.items())
        failed = len(result.failed)
        if failed:
            text = f"Apply failed for {failed} of {len(result.outcomes)} changes ({counts})."
            lines.append(click.style(text, fg="red", bold=True) if color else text)
        else:
            text = f"Apply complete: {counts}."
            lines.append(click.style(text, fg="green", bold=True) if color else text)
    return "\n".join(lines) + "\n"


def repoint_lines(result: ApplyResult) -> list[str]:
    """For each action replaced (or created, its old id not deleted), the flows that used
    the old id: they go on calling it until repointed to the new id and republished."""
    usages = {c.name: c.usage for c in result.plan.changes if c.kind == "replace"}
    lines: list[str] = []
    for outcome in result.outcomes:
        usage = usages.get(outcome.name)
        if outcome.kind != "replace" or outcome.new_id is None or usage is None:
            continue
        if usage.known and not usage.in_use:
            continue
        moved = f"{outcome.action_id} -> {outcome.new_id}"
        lines.append(f"  {outcome.name!r} ({moved}): {usage.describe(50)}")
    head = "Flows to repoint from the old id to the new one, then republish:"
    return [head, *lines] if lines else []
