"""What ``dactl apply`` prints: a line per outcome of each kind, and the closing summary."""

from __future__ import annotations

import click
import pytest

from reconciler.apply import ApplyResult, Outcome
from reconciler.plan import ChangeKind, Plan
from reconciler.render.apply import render_outcome, render_result


@pytest.mark.parametrize(
    ("kind", "line"),
    [
        ("create", "  + create 'A': created custom_-_1 v1"),
        ("update", "  ~ update 'A': updated custom_-_1 v1 -> v2 (timeoutSeconds)"),
        ("replace", "-/+ replace 'A': replaced custom_-_1 by custom_-_2 v1"),
        ("delete", "  - delete 'A': deleted custom_-_1"),
    ],
)
def test_each_kind_of_outcome_is_one_line(kind: ChangeKind, line: str) -> None:
    message = line.split(": ", 1)[1]
    assert render_outcome(Outcome("A", kind, True, message)) == line
    assert render_outcome(Outcome("A", kind, True, message), color=True) == line  # only failures
    failed = Outcome("A", kind, False, "HTTP 400 bad.request")
    head = line.split(": ", 1)[0]
    assert render_outcome(failed) == f"{head}: FAILED: HTTP 400 bad.request"
    assert render_outcome(failed, color=True) == click.style(
        f"{head}: FAILED: HTTP 400 bad.request", fg="red", bold=True
    )


def test_the_summary_counts_what_was_done() -> None:
    outcomes = [
        Outcome("A", "create", True, "created"),
        Outcome("B", "update", True, "updated"),
        Outcome("C", "replace", True, "replaced"),
        Outcome("D", "delete", True, "deleted"),
        Outcome("E", "update", True, "updated"),
    ]
    done = ApplyResult(Plan(()), outcomes, notes=["'X': already up to date"])
    assert render_result(done) == (
        "Note: 'X': already up to date\n"
        "Apply complete: 1 created, 2 updated, 1 replaced, 1 deleted.\n"
    )
    assert render_result(done, color=True).endswith(
        click.style(
            "Apply complete: 1 created, 2 updated, 1 replaced, 1 deleted.", fg="green", bold=True
        )
        + "\n"
    )
    failed = ApplyResult(Plan(()), [*outcomes[:2], Outcome("F", "delete", False, "no")])
    text = "Apply failed for 1 of 3 changes (1 created, 1 updated, 0 replaced, 0 deleted)."
    assert render_result(failed) == text + "\n"
    assert render_result(failed, color=True) == click.style(text, fg="red", bold=True) + "\n"


def test_nothing_done_and_cancelled() -> None:
    assert render_result(ApplyResult(Plan(()), [])) == (
        "No changes. The org matches the desired state.\n"
    )
    assert render_result(ApplyResult(Plan(()), [], cancelled=True)) == (
        "Apply cancelled; nothing was changed.\n"
    )
