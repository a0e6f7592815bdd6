"""What ``dactl test`` prints: the rendered request (offline) or the steps of ``/test``
(in the org), the output, then one PASS or FAIL line."""

from __future__ import annotations

import json
from typing import Any

from reconciler.actiontest.offline import OfflineRun, RenderedRequest
from reconciler.actiontest.remote import RemoteRun

MAX_DETAIL_LINES = 20
INDENT = "  "


def render_result(run: OfflineRun | RemoteRun) -> str:
    """The text of a test run, ending in a newline."""
    lines = render_offline(run) if isinstance(run, OfflineRun) else render_remote(run)
    return "\n".join(lines) + "\n"


def render_offline(run: OfflineRun) -> list[str]:
    lines = [f"Offline test of {run.name!r} ({run.source})"]
    if run.secure:
        lines.append("secure action: inputs are shown as <input.NAME>, values are hidden")
    if run.warnings:  # validate's, for the action's files: they often explain a FAIL below
        lines += ["", *run.warnings]
    if run.request is not None:
        lines += ["", "Request:", *_indent(_request_lines(run.request))]
    if run.response_file is not None and (run.variables or run.has_output):
        lines += ["", f"Sample response {run.response_file}, translation map:"]
        lines += [f"{INDENT}{k} = {v}" for k, v in run.variables.items()] or [
            f"{INDENT}(hidden: secure action)" if run.secure else f"{INDENT}(empty)"
        ]
    if run.has_output and run.secure:
        # Values derived from a secret input (upper-cased, cut, encoded) are still secret.
        lines += ["", "Output: hidden (secure action)"]
    elif run.has_output:
        lines += ["", "Output:", *_indent(_json(run.output).splitlines())]
    if run.problems:
        lines += ["", *run.problems, f"FAIL: {_count(len(run.problems), 'problem')}."]
        return lines
    lines += ["", f"PASS: {_offline_summary(run)}."]
    return lines


def _offline_summary(run: OfflineRun) -> str:
    text = "the request renders"
    if run.body_json:
        text += " and its body is JSON"
    if run.has_output:
        text += "; the sample response gives an output that matches the output contract"
    return text


def _request_lines(request: RenderedRequest) -> list[str]:
    lines = [f"{request.method} {request.url}".strip()]
    lines += [f"{name}: {value}" for name, value in request.headers]
    if request.body.strip():
        lines += ["", *_body(request.body).splitlines()]
    return lines


def _body(body: str) -> str:
    try:
        return _json(json.loads(body))
    except ValueError:
        return body.rstrip("\n")


def render_remote(run: RemoteRun) -> list[str]:
    lines = [f"Test of {run.name!r} in the org ({run.action_id}, version {run.version})"]
    if run.secure:
        lines.append(
            "secure action: step details and the result are hidden, only names and codes are shown"
        )
    for step in run.steps:
        mark = "✓" if step.success else "✗"
        head = f"{INDENT}{mark} {step.number}. {step.name}"
        lines.append(f"{head}: {step.error}" if step.error else head)
        if step.detail is not None:
            lines += _indent(_clip(step.detail.splitlines()), INDENT * 3)
    if run.secure:
        lines += ["", "Result: hidden (secure action)"]
    elif run.final_result is not None:
        lines += ["", "Result:", *_indent(_json(run.final_result).splitlines())]
    if run.error and not any(s.error for s in run.steps):
        lines += ["", f"Error: {run.error}"]
    lines += ["", "PASS: the test succeeded." if run.passed else "FAIL: the test did not succeed."]
    return lines


def _clip(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_DETAIL_LINES:
        return lines
    more = len(lines) - MAX_DETAIL_LINES
    return [*lines[:MAX_DETAIL_LINES], f"... ({_count(more, 'more line')})"]


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _indent(lines: list[str], prefix: str = INDENT) -> list[str]:
    return [f"{prefix}{line}" if line else "" for line in lines]


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
