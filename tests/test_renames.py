"""Renames keep the id: ``formerNames`` in a file, planned as one in-place update of the live
action that has a former name (``reconciler.identity``), applied as one PATCH, shown in
every format, saved and applied as reviewed, and never "unmanaged" in drift."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.errors import PlanError
from reconciler.plan import build_plan
from reconciler.render.plan import render_json, render_markdown, render_text
from reconciler.savedplan import plan_from_dict, plan_to_dict
from reconciler.validate import validate_tree
from tests.fakes.project import WEB, World, action
from tests.test_plan import INTEGRATIONS, live_of, spec

OLD, NEW = "Get User", "Get User By Id"


def renamed(**kw: object) -> object:
    return spec(NEW, former_names=(OLD,), **kw)


@pytest.fixture
def world(tmp_path: Path, org_env: None, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(tmp_path)
    return World(tmp_path)


# -- the plan (no I/O) ----------------------------------------------------------------------


def test_a_rename_is_one_in_place_update_of_the_live_id() -> None:
    live = live_of(spec(OLD), "custom_-_u", version=3)
    plan = build_plan([renamed()], [live], INTEGRATIONS, prune=True)
    (change,) = plan.changes
    assert (change.kind, change.name, change.action_id, change.live_version) == (
        "update",
        NEW,
        "custom_-_u",
        3,
    )
    assert change.rename and change.renamed_from == OLD and not change.draft
    assert [(f.dotted, f.before, f.after) for f in change.fields] == [("name", OLD, NEW)]
    assert plan.kept == () and plan.summary() == (
        "Plan: 0 to create, 1 to update (1 rename), 0 to replace, 0 to delete."
    )


def test_a_rename_carries_the_other_config_changes_and_contract_rules_hold() -> None:
    live = live_of(spec(OLD), "custom_-_u", timeoutSeconds=9)
    (change,) = build_plan([renamed()], [live], INTEGRATIONS).changes
    assert {f.dotted for f in change.fields} == {"name", "timeoutSeconds"}
    contract = live_of(spec(OLD), "custom_-_u")
    contract.canonical["contract"]["output"] = {"type": "object"}
    immutable = {"contracts_mutable": False}
    (replace,) = build_plan([renamed()], [contract], INTEGRATIONS, **immutable).changes
    assert (replace.kind, replace.renamed_from, replace.action_id) == (
        "replace",
        OLD,
        "custom_-_u",
    )
    assert "-/+ replace 'Get User' → 'Get User By Id'" in render_text(
        build_plan([renamed()], [contract], INTEGRATIONS, **immutable)
    )
    (draft,) = build_plan([renamed()], [contract], INTEGRATIONS).changes
    assert (draft.kind, draft.draft, draft.renamed_from) == ("update", True, OLD)


def test_no_rename_once_the_new_name_is_live_or_when_the_old_one_is_elsewhere() -> None:
    done = build_plan([renamed()], [live_of(spec(NEW), "custom_-_u")], INTEGRATIONS)
    assert done.empty and done.unchanged == (NEW,)
    web = live_of(spec(OLD, integration="Web Services Data Actions"), "custom_-_w")
    other = build_plan([renamed()], [web], INTEGRATIONS)
    assert [(c.kind, c.name) for c in other.changes] == [("create", NEW)]
    assert [k.name for k in other.kept] == [OLD]  # another integration's: not taken over


def test_two_live_candidates_are_an_error_naming_both_ids() -> None:
    old = live_of(spec(OLD), "custom_-_old")
    new = live_of(spec(NEW), "custom_-_new")
    with pytest.raises(PlanError) as by_name:
        build_plan([renamed()], [old, new], INTEGRATIONS)
    message = str(by_name.value)
    assert "several live actions could be 'Get User By Id'" in message
    assert "'Get User By Id': custom_-_new" in message
    assert "'Get User' (a former name): custom_-_old" in message
    older = live_of(spec("Fetch User"), "custom_-_older")
    two = spec(NEW, former_names=(OLD, "Fetch User"))
    with pytest.raises(PlanError, match=r"custom_-_old.*custom_-_older"):
        build_plan([two], [old, older], INTEGRATIONS)


def test_target_names_the_rename_by_either_name() -> None:
    other = live_of(spec("Other"), "custom_-_o", timeoutSeconds=1)
    live = [live_of(spec(OLD), "custom_-_u"), other]
    desired = [renamed(), spec("Other")]
    for target in (OLD, NEW):
        plan = build_plan(desired, live, INTEGRATIONS, targets=[target])
        assert [c.name for c in plan.changes] == [NEW]


def test_every_format_shows_the_rename_and_the_json_keeps_it() -> None:
    plan = build_plan([renamed()], [live_of(spec(OLD), "custom_-_u")], INTEGRATIONS)
    text = render_text(plan)
    assert "  ~ rename  'Get User' → 'Get User By Id'  custom_-_u v2" in text
    assert '      name: "Get User" → "Get User By Id"' in text
    markdown = render_markdown(plan)
    assert "| Get User → Get User By Id | update (rename) | `name` |" in markdown
    body = json.loads(render_json(plan))
    assert body["changes"][0]["renamed_from"] == OLD and body["changes"][0]["name"] == NEW
    again = plan_from_dict(plan_to_dict(plan))
    assert again.changes[0].renamed_from == OLD
    assert render_text(again) == text and render_markdown(again) == markdown


# -- validation -----------------------------------------------------------------------------


def test_a_former_name_belongs_to_one_file_and_to_no_current_name(world: World) -> None:
    world.write(
        action(NEW, formerNames=[OLD]),
        action("Fetch User", formerNames=[OLD, "Fetch User"]),
        action("Other", formerNames=[NEW]),
    )
    report = validate_tree(world.directory)
    messages = sorted(str(p) for p in report.errors)
    assert any(
        "fetch-user.yaml:" in m and "formerNames: 'Fetch User' is this action's own name" in m
        for m in messages
    )
    assert any(
        "get-user-by-id.yaml:" in m
        and "formerNames: 'Get User' is also a former name in actions/fetch-user.yaml:" in m
        for m in messages
    )
    assert any(
        "other.yaml:" in m
        and "formerNames: 'Get User By Id' is the name of the action in "
        "actions/get-user-by-id.yaml:1:7"
        in m
        for m in messages
    )
    assert len(messages) == 4  # both files that claim 'Get User' say so


# -- through the orchestrator, against the in-memory org --------------------------------------


def test_apply_renames_with_one_patch_and_drift_is_clean_after(world: World) -> None:
    ids = world.seed(action(OLD), action("Untouched", integration=WEB))
    world.remove(OLD)
    world.write(action(NEW, formerNames=[OLD], timeout=7))
    result = world.apply()
    assert [o.ok for o in result.outcomes] == [True]
    (outcome,) = result.outcomes
    assert outcome.message.startswith(f"renamed from {OLD!r}, updated {ids[OLD]} v1 -> v2")
    assert world.org.ops() == ["patch_action"]
    assert world.org.ids() == {NEW: ids[OLD], "Untouched": ids["Untouched"]}
    assert world.org.published(ids[OLD])["config"]["timeoutSeconds"] == 7  # type: ignore[index]
    assert [(r["operation"], r["id"], r["action"]) for r in world.audit()] == [
        ("patch", ids[OLD], NEW)
    ]
    report, _ = world.orchestrator().drift()
    assert not report.drifted and NEW in report.in_sync
    assert world.plan().plan.empty


def test_drift_before_the_rename_is_a_change_not_an_unmanaged_action(world: World) -> None:
    world.seed(action(OLD))
    world.remove(OLD)
    world.write(action(NEW, formerNames=[OLD]))
    report, _ = world.orchestrator().drift()
    assert [(a.status, a.name) for a in report.actions] == [("changed", NEW)]
    assert [f.dotted for f in report.actions[0].fields] == ["name"]


def test_a_saved_plan_with_a_rename_applies_as_reviewed_or_is_stale(world: World) -> None:
    ids = world.seed(action(OLD))
    world.remove(OLD)
    world.write(action(NEW, formerNames=[OLD]))
    saved = world.save_plan()
    assert saved.plan is not None and saved.plan.changes[0].renamed_from == OLD
    world.org.edit(ids[OLD], timeoutSeconds=9)
    from reconciler.errors import StalePlanError

    with pytest.raises(StalePlanError, match="'Get User By Id' changed in the org since the plan"):
        world.apply(saved=saved)
    assert world.org.ops() == []
    saved = world.save_plan()
    result = world.apply(saved=saved)
    assert [o.ok for o in result.outcomes] == [True]
    assert world.org.ids() == {NEW: ids[OLD]}


def test_a_rename_with_a_contract_change_goes_through_one_draft_on_the_same_id(
    tmp_path: Path, org_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.sandbox.config import SandboxConfig
    from tests.fakes.org import FakeOrg

    monkeypatch.chdir(tmp_path)
    org = FakeOrg(SandboxConfig(function_processing_ms=0, mutable_contracts=True))
    world = World(tmp_path, org, immutableContracts=False)
    ids = world.seed(action(OLD))
    world.remove(OLD)
    world.write(action(NEW, formerNames=[OLD], output="integer"))
    (change,) = world.plan().plan.changes
    assert (change.kind, change.draft, change.renamed_from) == ("update", True, OLD)
    result = world.apply()
    assert [o.ok for o in result.outcomes] == [True], result.outcomes
    assert org.ops() == ["create_draft", "patch_draft", "publish_draft"]
    assert org.ids() == {NEW: ids[OLD]}
    assert world.plan().plan.empty
