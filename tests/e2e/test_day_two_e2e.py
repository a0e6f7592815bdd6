"""Renames, adopting one action, ignore rules and ``dactl fmt``, end to end: the real CLI
against a real sandbox, the writes counted by the sandbox itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.genesys import ActionsApi
from tests.e2e.conftest import (
    Cli,
    create_in_org,
    edit,
    edit_in_org,
    seed_actions,
    writes,
)

pytestmark = pytest.mark.e2e

QUEUE_FILE = "get-queue-waiting-count.yaml"
OLD, NEW = "Get Queue Waiting Count", "Queue Waiting Count"
ACTION = "/api/v2/integrations/actions/{actionId}"


def live_of(cli: Cli, action_id: str) -> dict[str, Any]:
    with cli.api() as client:
        return ActionsApi(client).get_action_full(action_id)


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_a_rename_plans_and_applies_as_one_patch_on_the_same_id(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    edit(cli, QUEUE_FILE, f"name: {OLD}\n", f"name: {NEW}\nformerNames: [{OLD}]\n")
    edit(cli, QUEUE_FILE, "timeoutSeconds: 10", "timeoutSeconds: 5")
    plan = cli.run("plan", "actions", "--out", "plan.json", "--no-color")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert f"  ~ rename  '{OLD}' → '{NEW}'  {ids[OLD]} v1" in plan.stdout
    assert "Plan: 0 to create, 1 to update (1 rename, 1 timeout change), 0 to replace" in (
        plan.stdout
    )
    assert "create" not in plan.stdout.split("Plan:")[0] and "Not managed" not in plan.stdout
    saved = json.loads((cli.cwd / "plan.json").read_text())
    (change,) = saved["changes"]
    assert (change["kind"], change["renamed_from"], change["id"]) == ("update", OLD, ids[OLD])
    markdown = cli.run("show", "plan.json", "--format", "markdown")
    assert f"| {OLD} → {NEW} | update (rename) |" in markdown.stdout

    before = cli.sandbox.stats()
    applied = cli.run("apply", "plan.json")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert f"renamed from '{OLD}', updated {ids[OLD]} v1 -> v2 (name, timeoutSeconds)" in (
        applied.stdout
    )
    assert writes(before, cli.sandbox.stats()) == {f"PATCH {ACTION}": 1}
    live = live_of(cli, ids[OLD])
    assert (live["name"], live["config"]["timeoutSeconds"], live["version"]) == (NEW, 5, 2)

    drift = cli.run("drift", "actions")
    assert drift.returncode == 0, drift.stdout + drift.stderr
    assert drift.stdout.strip() == "No drift: the org matches git."
    assert cli.run("plan", "actions", "--detailed-exitcode").returncode == 0


def test_two_live_actions_for_one_renamed_file_are_refused(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    edit(cli, QUEUE_FILE, f"name: {OLD}\n", f"name: {NEW}\nformerNames: [{OLD}]\n")
    made = create_in_org(cli, NEW)
    before = cli.sandbox.stats()
    result = cli.run("apply", "actions", "--auto-approve")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"several live actions could be '{NEW}'" in result.stderr
    assert made in result.stderr and ids[OLD] in result.stderr
    assert writes(before, cli.sandbox.stats()) == {}


def test_export_name_into_a_tree_of_ten_files_writes_one_and_touches_none(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    create_in_org(cli, "Made In The Org")
    tree = cli.cwd / "actions"
    assert len(list(tree.glob("*.yaml"))) == 11  # ten action files and dactl.yaml
    drift = cli.run("drift", "actions")
    assert drift.returncode == 2
    assert "      adopt: dactl export --out actions --name 'Made In The Org'" in drift.stdout
    before = snapshot(tree)

    result = cli.run("export", "--out", "actions", "--name", "Made In The Org")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == (
        "new      actions/made-in-the-org.yaml  (Made In The Org)\n"
        "Exported 1 action from 1 integration to actions/ (1 new, 0 updated, 0 unchanged).\n"
    )
    after = snapshot(tree)
    assert set(after) - set(before) == {"made-in-the-org.yaml"}
    assert {name: after[name] for name in before} == before  # bytes and mtimes
    assert cli.run("validate", "actions").returncode == 0
    assert cli.run("drift", "actions").returncode == 0
    plan = cli.run("plan", "actions", "--format", "json")
    assert json.loads(plan.stdout)["changes"] == []
    assert "name: Made In The Org\n" in (tree / "made-in-the-org.yaml").read_text()
    assert json.loads(plan.stdout)["unchanged"].count("Made In The Org") == 1
    again = cli.run("export", "--out", "actions", "--unmanaged")
    assert again.returncode == 0 and again.stdout.startswith("Exported 0 actions")
    assert snapshot(tree) == after


def test_an_ignored_field_changed_in_the_org_is_no_change_and_no_drift(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    edit(
        cli,
        QUEUE_FILE,
        f"name: {OLD}\n",
        f"name: {OLD}\nignore: [timeoutSeconds, request.headers.X-Debug]\n",
    )
    with cli.api() as client:
        edit_in_org(ActionsApi(client), ids[OLD], timeoutSeconds=9, headers={"X-Debug": "1"})
    plan = cli.run("plan", "actions", "--detailed-exitcode", "--no-color")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes. The org matches the desired state (ignored: 2 fields)." in plan.stdout
    assert f"  '{OLD}': timeoutSeconds, request.headers.X-Debug" in plan.stdout
    as_json = json.loads(cli.run("plan", "actions", "--format", "json").stdout)
    assert as_json["ignored"] == [
        {"name": OLD, "paths": ["timeoutSeconds", "request.headers.X-Debug"]}
    ]
    markdown = cli.run("plan", "actions", "--format", "markdown").stdout
    assert "_Ignored: 2 fields" in markdown
    drift = cli.run("drift", "actions", "--no-color")
    assert drift.returncode == 0, drift.stdout + drift.stderr
    assert "No drift: the org matches git (ignored: 2 fields)." in drift.stdout

    edit(cli, QUEUE_FILE, f"name: {OLD}\n", f"name: {OLD}\ncategory: Queues\n")  # ours
    applied = cli.run("apply", "actions", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    live = live_of(cli, ids[OLD])
    assert live["config"]["timeoutSeconds"] == 9  # kept: never reset by an update
    assert live["config"]["request"]["headers"]["X-Debug"] == "1"
    assert live["category"] == "Queues"


def test_an_unknown_ignore_rule_is_an_error_at_its_place(cli: Cli) -> None:
    edit(cli, QUEUE_FILE, f"name: {OLD}\n", f"name: {OLD}\nignore: [timeoutSecond]\n")
    result = cli.run("validate", "actions")
    assert result.returncode == 1
    assert (
        f"actions/{QUEUE_FILE}:3:10: ignore: 'timeoutSecond' names no field of an action "
        "(did you mean 'timeoutSeconds'?)"
    ) in result.stdout


def test_fmt_check_on_the_examples_and_a_rewrite(cli: Cli) -> None:
    check = cli.run("fmt", "--check", "actions")
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout == "10 files already formatted.\n"
    edit(cli, QUEUE_FILE, f"name: {OLD}\n", "")
    path = cli.cwd / "actions" / QUEUE_FILE
    path.write_text(path.read_text() + f"name: {OLD}  # moved last\n")
    before = path.read_bytes()
    check = cli.run("fmt", "--check", "actions")
    assert check.returncode == 1
    assert check.stdout.startswith(f"would reformat actions/{QUEUE_FILE}\n")
    assert path.read_bytes() == before
    done = cli.run("fmt", "actions")
    assert done.returncode == 0, done.stdout + done.stderr
    assert path.read_text().splitlines()[1] == f"name: {OLD}  # moved last"
    assert cli.run("validate", "actions").returncode == 0
