"""``dactl show`` end to end: the real CLI against a real sandbox. The Markdown of a saved
plan is the Markdown of the ``dactl plan`` that wrote it, byte for byte (issue 11), and a
plan made with ``--prune`` carries its reviewed deletes into ``dactl apply PLAN``."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Cli, create_in_org, seed_actions

pytestmark = pytest.mark.e2e


def edit_files(cli: Cli) -> None:
    """A timeout and a template edited in git, one action left for the org alone."""
    directory = cli.cwd / "actions"
    queue = directory / "get-queue-waiting-count.yaml"
    queue.write_text(queue.read_text().replace("timeoutSeconds: 10", "timeoutSeconds: 5"))
    callback = directory / "create-callback.yaml"
    text = callback.read_text()
    assert '"queueId"' in text
    callback.write_text(text.replace('"queueId"', '"routingQueueId"', 1))
    (directory / "get-user-presence.yaml").unlink()


@pytest.mark.parametrize("prune", [False, True])
def test_show_prints_the_markdown_of_the_plan_that_wrote_it(cli: Cli, prune: bool) -> None:
    seed_actions(cli, cli.cwd / "actions")
    create_in_org(cli, "Made In The Org")
    edit_files(cli)
    extra = ["--prune"] if prune else []
    planned = cli.run("plan", "actions", "--format", "markdown", "--out", "plan.json", *extra)
    assert planned.returncode == 0, planned.stderr
    shown = cli.run("show", "plan.json", "--format", "markdown")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == planned.stdout
    assert "`timeoutSeconds: 10 → 5`" in planned.stdout
    assert "| ✏️ | Create Callback | update |" in planned.stdout
    if prune:
        assert "| 🗑️ | Get User Presence | delete |" in planned.stdout
        assert "| 🗑️ | Made In The Org | delete |" in planned.stdout
        assert "Not managed, kept" not in planned.stdout
    else:
        assert "<details><summary>Not managed, kept (2)</summary>" in planned.stdout
        assert "- Get User Presence (`" in planned.stdout
    text = cli.run("plan", "actions", *extra)
    assert cli.run("show", "plan.json").stdout == text.stdout


def test_a_plan_made_with_prune_applies_its_deletes(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    create_in_org(cli, "Made In The Org")
    kept = cli.run("plan", "actions", "--detailed-exitcode")
    assert kept.returncode == 0, kept.stdout + kept.stderr  # a kept action is no change
    assert "Not managed, kept (1)" in kept.stdout
    assert cli.run("plan", "actions", "--prune", "--out", "plan.json").returncode == 0
    applied = cli.run("apply", "plan.json")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete: 0 created, 0 updated, 0 replaced, 1 deleted." in applied.stdout
    after = cli.run("plan", "actions", "--detailed-exitcode")
    assert after.returncode == 0 and "kept" not in after.stdout
