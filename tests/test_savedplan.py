"""Saved plans (``dactl plan --out``, ``dactl apply PLAN``): the file, and each reason a
plan is refused as stale, against the in-memory org (no server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import DactlError, PlanError, StalePlanError
from reconciler.orchestrator import Connection
from reconciler.organization import OrgInfo
from reconciler.plan import Plan
from reconciler.savedplan import plan_to_dict, read_saved_plan, save_plan
from tests.fakes.project import World, action, post_body_of

USER = "Get User"
ORDER = "Get Order"


@pytest.fixture
def world(tmp_path: Path, org_env: None) -> World:
    return World(tmp_path)


def stale(world: World, saved: Any, **kw: Any) -> str:
    with pytest.raises(StalePlanError) as caught:
        world.apply(saved=saved, **kw)
    assert world.org.ops() == []  # nothing was written
    return str(caught.value)


# -- the file -------------------------------------------------------------------------------


def test_a_saved_plan_records_what_it_was_made_from(world: World) -> None:
    action_id = world.seed(action(USER))[USER]
    world.write(action(USER, timeout=9))
    result = world.plan()
    path = world.root / "plan.json"
    save_plan(result.plan, path, world.directory, result.org, result.organization)
    data = json.loads(path.read_text())
    assert data["directory"] == str(world.directory) and data["org"] == result.org
    assert data["organization"] == {
        "name": "dactl sandbox",
        "id": world.org.config.org_id,
        "host": "api.fake.test",
    }
    (change,) = data["changes"]
    assert (change["id"], change["live_version"], change["kind"]) == (action_id, 1, "update")
    assert change["fields"][0]["path"] == ["timeoutSeconds"]
    saved = read_saved_plan(path)
    assert (saved.directory, saved.org, saved.desired_hash) == (
        str(world.directory),
        result.org,
        result.plan.desired_hash,
    )
    assert [(c.name, c.kind, c.id) for c in saved.changes] == [(USER, "update", action_id)]


def test_the_json_plan_names_the_org_only_when_known() -> None:
    plan = Plan(())
    assert "organization" not in plan_to_dict(plan)
    named = plan_to_dict(plan, org=OrgInfo("api.example.test"))
    assert named["organization"] == {"name": None, "id": None, "host": "api.example.test"}
    assert named["changes"] == [] and named["safety"] == {"ok": True, "violations": []}


def test_a_plan_file_that_cannot_be_written_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(DactlError, match="cannot write the plan file"):
        save_plan(Plan(()), tmp_path / "a-file" / "plan.json", tmp_path, "org")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the plan file"),
        ("{not json", "not a saved plan (invalid JSON"),
        ("[" * 100_000 + "]" * 100_000, "not a saved plan (nested too deeply)"),
        ('{"changes": []}', "not a saved plan (no format_version); make one with plan --out"),
        ('{"format_version": 99}', "plan format 99 is not supported (this dactl reads 1)"),
        ('{"format_version": 1, "changes": []}', "damaged saved plan (KeyError('directory'))"),
        (
            json.dumps(
                {
                    "format_version": 1,
                    "directory": "d",
                    "desired_hash": "h",
                    "org": "o",
                    "changes": [{"name": "A", "kind": "rename"}],
                }
            ),
            "damaged saved plan (ValueError(\"unknown change kind 'rename'\"))",
        ),
    ],
)
def test_a_file_that_is_no_usable_saved_plan_is_refused(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "plan.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(PlanError) as caught:
        read_saved_plan(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


# -- staleness ------------------------------------------------------------------------------


def test_a_plan_made_against_another_org_is_stale(world: World) -> None:
    world.seed(action(USER))
    world.write(action(USER, timeout=9))
    saved = world.save_plan()
    other = world.orchestrator(connection=Connection(api_url="https://other.fake.test"))
    with pytest.raises(StalePlanError, match="was planned against another org"):
        other.apply(saved=saved, audit_path=world.audit_path)
    assert world.org.ops() == []


def test_changed_files_make_a_plan_stale(world: World) -> None:
    world.seed(action(USER))
    world.write(action(USER, timeout=9))
    saved = world.save_plan()
    world.write(action(USER, timeout=10))
    assert "the action files changed since the plan was made" in stale(world, saved)


def test_an_edit_in_the_org_makes_a_plan_stale_naming_the_field(world: World) -> None:
    ids = world.seed(action(USER), action(ORDER))
    world.write(action(USER, timeout=9))
    saved = world.save_plan()
    world.org.edit(ids[USER], timeoutSeconds=7)
    text = stale(world, saved)
    assert text == (
        f"stale plan: {USER!r} changed in the org since the plan was made (timeoutSeconds). "
        "Nothing was changed; run plan again."
    )


def test_a_version_bump_alone_is_not_staleness(world: World) -> None:
    action_id = world.seed(action(USER))[USER]
    world.write(action(USER, timeout=9))
    saved = world.save_plan()
    world.org.store.patch(action_id, {"version": 1})
    result = world.apply(saved=saved)
    (outcome,) = result.outcomes
    assert outcome.ok and outcome.message == f"updated {action_id} v2 -> v3 (timeoutSeconds)"


def test_a_planned_action_deleted_in_the_org_makes_the_plan_stale(world: World) -> None:
    action_id = world.seed(action(USER))[USER]
    world.write(action(USER, timeout=9))
    saved = world.save_plan()
    world.org.store.delete(action_id)
    assert f"{USER!r} no longer exists in the org" in stale(world, saved)


def test_an_action_created_in_the_org_since_the_plan_makes_it_stale(world: World) -> None:
    world.write(action(USER))
    saved = world.save_plan()
    made = world.org.seed(post_body_of(action(USER, timeout=30), world.org))
    assert f"{USER!r} was created in the org since the plan was made ({made})" in stale(
        world, saved
    )


def test_an_action_replaced_in_the_org_since_the_plan_makes_it_stale(world: World) -> None:
    old = world.seed(action(USER))[USER]
    world.write(action(USER, timeout=9))
    saved = world.save_plan()
    world.org.store.delete(old)
    new = world.org.seed(post_body_of(action(USER), world.org))
    assert f"{USER!r} is now a different action in the org ({new}, was {old})" in stale(
        world, saved
    )


def test_a_change_that_now_plans_as_another_kind_makes_the_plan_stale(world: World) -> None:
    world.seed(action(USER))
    world.write(action(USER, output="number"))
    saved = world.save_plan()
    assert [c.kind for c in saved.changes] == ["replace"]
    project = world.directory / "dactl.yaml"
    project.write_text(project.read_text() + "immutableContracts: false\n")
    assert (
        f"{USER!r} now plans as a update, not the replace that was reviewed (did dactl.yaml "
        "change?)" in stale(world, saved, allow_replace=True)
    )


def test_changes_done_meanwhile_or_not_in_the_plan_are_named_not_stale(world: World) -> None:
    names = [f"Action {n:02}" for n in range(14)]
    ids = world.seed(*(action(name) for name in names))
    world.write(action(names[0], timeout=9))
    world.remove(names[1])
    project = world.directory / "dactl.yaml"
    project.write_text(project.read_text() + "prune: true\nsafety: {minExisting: 100}\n")
    saved = world.save_plan()
    assert [(c.name, c.kind) for c in saved.changes] == [
        (names[0], "update"),
        (names[1], "delete"),
    ]
    world.org.edit(ids[names[0]], timeoutSeconds=9)  # the same edit, made in the UI
    world.org.store.delete(ids[names[1]])
    for name in names[2:]:
        world.org.edit(ids[name], timeoutSeconds=7)
    result = world.apply(saved=saved)
    assert result.outcomes == [] and world.org.ops() == []
    assert result.notes == [
        f"{names[0]!r}: already up to date",
        f"{names[1]!r}: already deleted",
        "12 change(s) not in the saved plan were left alone: "
        + ", ".join(names[2:12])
        + " and 2 more",
    ]
