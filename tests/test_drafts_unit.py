"""The draft path of apply against the in-memory org (no server): contract changes through
drafts, drafts left behind (resumed, discarded, refused, taken over, swept), the publish
guard, lost answers of each draft step, and Function actions with their code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.config import SandboxConfig
from tests.fakes.org import FakeOrg
from tests.fakes.project import FUNCTIONS, World, action, function_action, write_package

USER = "Get User"
ECHO = "Echo Function"


def only(result: Any) -> Any:
    (outcome,) = result.outcomes
    return outcome


def drafts_world(tmp_path: Path, *, mutable: bool = True) -> tuple[World, str]:
    """An org that takes contract changes through drafts (or refuses them), a project that
    says it does, one action seeded, and its output type changed in the file."""
    org = FakeOrg(SandboxConfig(function_processing_ms=0, mutable_contracts=mutable))
    world = World(tmp_path, org, immutableContracts=False)
    action_id = world.seed(action(USER))[USER]
    world.write(action(USER, output="number"))
    return world, action_id


@pytest.fixture
def world(tmp_path: Path, org_env: None) -> World:
    return drafts_world(tmp_path)[0]


@pytest.fixture
def action_id(world: World) -> str:
    return world.org.ids()[USER]


def output_type(world: World, action_id: str, *, draft: bool = False) -> str:
    defn = world.org.draft(action_id) if draft else world.org.published(action_id)
    assert defn is not None
    return str(defn["contract"]["output"]["successSchema"]["properties"]["out"]["type"])


def records(world: World) -> list[dict[str, Any]]:
    path = world.root / ".dactl" / "drafts.json"
    if not path.exists():
        return []
    orgs = json.loads(path.read_text())["orgs"]
    return [r for by_key in orgs.values() for r in by_key.values()]


def interrupted_at_publish(world: World) -> None:
    """An apply killed (Ctrl-C) just before it published its draft."""
    world.org.interrupt("publish_draft")
    with pytest.raises(KeyboardInterrupt):
        world.apply()


# -- a contract change through a draft ------------------------------------------------------


def test_a_contract_change_goes_draft_patch_validate_publish(world: World, action_id: str) -> None:
    outcome = only(world.apply())
    assert outcome.ok
    assert outcome.message == (
        f"updated through a draft {action_id} v1 -> v2 (contract.output.properties.out.type)"
    )
    assert world.org.ops() == ["create_draft", "patch_draft", "publish_draft"]
    assert world.audited() == [
        ("draft.create", "ok"),
        ("draft.patch", "ok"),
        ("draft.publish", "ok"),
    ]
    assert output_type(world, action_id) == "number" and world.org.draft(action_id) is None
    assert records(world) == []
    assert world.plan().plan.empty


def test_a_draft_the_org_refuses_is_deleted_and_nothing_is_published(
    tmp_path: Path, org_env: None
) -> None:
    world, action_id = drafts_world(tmp_path, mutable=False)
    outcome = only(world.apply())
    assert not outcome.ok
    assert outcome.message == (
        "the org refused the draft: The contract of a published action cannot be changed "
        "(this org refuses contract changes, as Genesys does by default: remove "
        "immutableContracts: false from dactl.yaml, plan again, and apply with --allow-replace)"
    )
    assert world.audited()[-2:] == [("draft.validate", "refused"), ("draft.delete", "ok")]
    assert world.audit()[-2]["codes"] == ["bad.request"]
    assert world.org.draft(action_id) is None and output_type(world, action_id) == "string"
    assert records(world) == []


def test_a_draft_whose_publish_did_not_take_is_reported(world: World, action_id: str) -> None:
    def keep_old_contract(body: dict[str, Any]) -> dict[str, Any]:
        body["contract"]["output"]["successSchema"]["properties"]["out"]["type"] = "string"
        return body

    world.org.answer("get_action_full", keep_old_contract, nth=2)  # after the publish
    outcome = only(world.apply())
    assert not outcome.ok
    assert outcome.message == (
        f"published {action_id} v2, but the org kept its own contract.output.properties.out"
        ".type; the change did not take: run plan to see the action as it is"
    )


# -- drafts left behind ---------------------------------------------------------------------


def test_ctrl_c_leaves_a_recorded_draft_which_the_next_run_publishes(
    world: World, action_id: str
) -> None:
    interrupted_at_publish(world)
    assert output_type(world, action_id, draft=True) == "number"
    (record,) = records(world)
    assert (record["action_id"], record["name"]) == (action_id, USER)
    outcome = only(world.apply())
    assert outcome.ok and outcome.message.endswith("; resumed a draft dactl had left")
    assert world.org.ops()[-1:] == ["publish_draft"]
    assert world.org.ops().count("create_draft") == 1
    assert records(world) == [] and output_type(world, action_id) == "number"


def test_dactls_own_stale_draft_is_discarded_and_made_again(world: World, action_id: str) -> None:
    interrupted_at_publish(world)
    world.write(action(USER, output="integer"))
    outcome = only(world.apply())
    assert outcome.ok, outcome.message
    deleted = [r for r in world.audit() if r["operation"] == "draft.delete"]
    assert [r["reason"] for r in deleted] == ["left by an earlier run"]
    assert output_type(world, action_id) == "integer" and records(world) == []


def test_someone_elses_draft_is_refused_unless_taken_over(world: World, action_id: str) -> None:
    world.org.draft_of(action_id, timeoutSeconds=7)
    outcome = only(world.apply())
    assert not outcome.ok
    assert outcome.message == (
        f"{action_id} has an unpublished draft that dactl did not make: someone may be "
        "editing it in the UI. Publish or delete that draft, or apply with "
        "--take-over-drafts to discard it"
    )
    assert world.org.draft(action_id) is not None and world.org.ops() == []
    outcome = only(world.apply(take_over_drafts=True))
    assert outcome.ok, outcome.message
    assert world.audit()[0]["reason"] == "taken over"
    assert output_type(world, action_id) == "number"


def test_a_draft_dactl_started_but_someone_edited_is_refused(world: World, action_id: str) -> None:
    interrupted_at_publish(world)
    world.write(action(USER, output="integer"))
    world.org.edit_draft(action_id, timeoutSeconds=7)
    outcome = only(world.apply())
    assert not outcome.ok
    assert "that dactl did not make (dactl started it, but it was edited since)" in outcome.message


def test_drafts_left_behind_are_swept_even_when_the_plan_is_empty(
    world: World, action_id: str
) -> None:
    interrupted_at_publish(world)
    world.write(action(USER))  # back as the org has it: nothing to do
    result = world.apply()
    assert result.outcomes == []
    assert result.notes == [f"{USER!r}: discarded the draft an earlier run left on {action_id}"]
    assert world.org.draft(action_id) is None and records(world) == []


@pytest.mark.parametrize(
    ("meanwhile", "take_over", "note", "left"),
    [
        ("deleted", False, "the draft an earlier run left is gone", False),
        ("edited", False, "was edited since; left alone", True),
        ("edited", True, "discarded the draft an earlier run left on", False),
        ("unreadable", False, "could not clear the draft an earlier run left: HTTP 500", True),
    ],
)
def test_the_sweep_leaves_a_draft_edited_since_alone(
    world: World, action_id: str, meanwhile: str, take_over: bool, note: str, left: bool
) -> None:
    interrupted_at_publish(world)
    world.write(action(USER))
    if meanwhile == "deleted":
        world.org.store.delete_draft(action_id)
    elif meanwhile == "edited":
        world.org.edit_draft(action_id, timeoutSeconds=7)
    else:
        world.org.fail("get_draft_full", status=500)
    result = world.apply(take_over_drafts=take_over)
    (text,) = result.notes
    assert note in text
    assert (world.org.draft(action_id) is not None) is left


def test_a_draft_that_cannot_be_deleted_keeps_its_record(world: World, action_id: str) -> None:
    interrupted_at_publish(world)
    world.write(action(USER))
    world.org.fail("delete_draft", status=503)
    result = world.apply()
    assert result.notes == [f"{USER!r}: discarded the draft an earlier run left on {action_id}"]
    assert world.audited()[-1] == ("draft.delete", "not applied")
    assert len(records(world)) == 1  # the next run tries again


# -- the publish guard ----------------------------------------------------------------------


def test_an_edit_between_the_check_and_the_publish_is_reported_overwritten(
    world: World, action_id: str
) -> None:
    world.org.before("publish_draft", lambda: world.org.edit(action_id, timeoutSeconds=7))
    outcome = only(world.apply())
    assert outcome.ok
    assert outcome.message.startswith(f"updated through a draft {action_id} v1 -> v3 (")
    assert outcome.message.endswith(
        "an edit made in the org while publishing (v2) was overwritten by the publish, and "
        "what it changed cannot be read back: check the action"
    )


def test_with_a_saved_plan_an_overwritten_edit_fails_the_change(
    world: World, action_id: str
) -> None:
    saved = world.save_plan()
    world.org.before("publish_draft", lambda: world.org.edit(action_id, timeoutSeconds=7))
    world.org.before("publish_draft", lambda: world.org.edit(action_id, timeoutSeconds=6))
    outcome = only(world.apply(saved=saved))
    assert not outcome.ok
    assert outcome.message.startswith(f"published {action_id} v1 -> v4, but an edit made")
    assert "(v2..v3)" in outcome.message
    assert outcome.message.endswith("the reviewed plan did not show that")


def test_an_edit_seen_before_publishing_is_replanned_or_refused(
    world: World, action_id: str
) -> None:
    world.org.before("validate_draft", lambda: world.org.edit(action_id, timeoutSeconds=7))
    outcome = only(world.apply())
    assert outcome.ok
    assert outcome.message == (
        f"updated through a draft {action_id} v2 -> v3 (contract.output.properties.out.type); "
        "re-planned after a conflict; also reset timeoutSeconds"
    )


def test_with_a_saved_plan_an_edit_seen_before_publishing_discards_the_draft(
    world: World, action_id: str
) -> None:
    saved = world.save_plan()
    world.org.before("validate_draft", lambda: world.org.edit(action_id, timeoutSeconds=7))
    outcome = only(world.apply(saved=saved))
    assert not outcome.ok and "not overwritten: run plan again and review" in outcome.message
    assert world.org.draft(action_id) is None and output_type(world, action_id) == "string"


def test_nothing_is_published_when_the_org_already_holds_the_change(
    world: World, action_id: str
) -> None:
    wanted = world.plan().plan.changes[0].after

    def colleague() -> None:
        contract = world.org.published(action_id)["contract"]  # type: ignore[index]
        contract["output"]["successSchema"] = wanted["contract"]["output"]  # type: ignore[index]
        world.org.mutate(action_id, contract=contract)

    world.org.before("validate_draft", colleague)
    outcome = only(world.apply())
    assert outcome.ok and outcome.message.startswith(f"already up to date {action_id} v2 -> v2")
    assert "publish_draft" not in world.org.ops() and world.org.draft(action_id) is None


# -- lost answers of the draft steps --------------------------------------------------------


@pytest.mark.parametrize("op", ["create_draft", "patch_draft", "publish_draft"])
def test_a_draft_step_whose_answer_was_lost_is_read_back_as_applied(
    world: World, action_id: str, op: str
) -> None:
    world.org.lose_answer(op)
    outcome = only(world.apply())
    assert outcome.ok, outcome.message
    operation = {"create_draft": "draft.create", "patch_draft": "draft.patch"}.get(
        op, "draft.publish"
    )
    assert (operation, "applied") in world.audited()
    assert world.org.ops() == ["create_draft", "patch_draft", "publish_draft"]
    assert output_type(world, action_id) == "number"


@pytest.mark.parametrize("op", ["create_draft", "patch_draft", "publish_draft"])
def test_a_draft_step_that_did_not_land_is_sent_again(
    world: World, action_id: str, op: str
) -> None:
    world.org.fail(op, status=503)
    outcome = only(world.apply())
    assert outcome.ok, outcome.message
    operation = {"create_draft": "draft.create", "patch_draft": "draft.patch"}.get(
        op, "draft.publish"
    )
    assert (operation, "not applied") in world.audited()
    assert world.org.ops().count(op) == 1
    assert output_type(world, action_id) == "number"


@pytest.mark.parametrize("op", ["create_draft", "patch_draft", "publish_draft"])
def test_a_draft_step_that_did_not_land_twice_fails(world: World, action_id: str, op: str) -> None:
    world.org.fail(op, status=503, times=2)
    outcome = only(world.apply())
    assert not outcome.ok and outcome.message.startswith("HTTP 503 service.unavailable")
    assert output_type(world, action_id) == "string" and world.org.draft(action_id) is None


@pytest.mark.parametrize("op", ["create_draft", "patch_draft", "publish_draft"])
def test_a_refused_draft_step_is_an_error_and_the_draft_goes(
    world: World, action_id: str, op: str
) -> None:
    world.org.fail(op, status=400, message="refused")
    outcome = only(world.apply())
    assert not outcome.ok and "refused" in outcome.message
    assert "error" in {o for _, o in world.audited()}
    assert world.org.draft(action_id) is None


@pytest.mark.parametrize(
    ("op", "read"), [("create_draft", "get_draft"), ("patch_draft", "get_draft_full")]
)
def test_a_lost_draft_step_whose_read_back_fails_is_unknown(
    world: World, action_id: str, op: str, read: str
) -> None:
    world.org.lose_answer(op)
    world.org.fail(read, status=500, nth=2 if read == "get_draft_full" else 1)
    outcome = only(world.apply())
    assert not outcome.ok and "reading back failed: HTTP 500" in outcome.message
    assert (("draft.create" if op == "create_draft" else "draft.patch"), "unknown") in (
        world.audited()
    )


def test_a_lost_draft_patch_with_the_draft_edited_meanwhile_is_unknown(
    world: World, action_id: str
) -> None:
    world.org.lose_answer("patch_draft")
    world.org.before(
        "get_draft_full", lambda: world.org.edit_draft(action_id, timeoutSeconds=7), nth=2
    )
    outcome = only(world.apply())
    assert outcome.message == f"the draft of {action_id} changed while it was being written"
    assert ("draft.patch", "unknown") in world.audited()


@pytest.mark.parametrize("meanwhile", ["unreadable", "new draft"])
def test_a_lost_publish_that_cannot_be_told_is_unknown(
    world: World, action_id: str, meanwhile: str
) -> None:
    world.org.lose_answer("publish_draft")
    if meanwhile == "unreadable":
        world.org.fail("get_draft", status=500)
    else:
        world.org.before("get_draft", lambda: world.org.draft_of(action_id))
    outcome = only(world.apply())
    assert not outcome.ok
    assert outcome.message.startswith("the publish's response was lost")
    assert ("draft.publish", "unknown") in world.audited()


def test_a_publish_meeting_a_newer_draft_version_reads_it_again(
    world: World, action_id: str
) -> None:
    world.org.before("publish_draft", lambda: world.org.edit_draft(action_id, timeoutSeconds=7))
    outcome = only(world.apply())
    assert ("draft.publish", "conflict") in world.audited()
    assert world.org.ops().count("publish_draft") == 1  # the second one, on the new version
    assert not outcome.ok and "the org kept its own timeoutSeconds" in outcome.message


def test_a_publish_conflicting_twice_fails(world: World, action_id: str) -> None:
    world.org.before(
        "publish_draft", lambda: world.org.edit_draft(action_id, timeoutSeconds=7), times=2
    )
    outcome = only(world.apply())
    assert not outcome.ok and "does not match latest draft version" in outcome.message
    assert world.audited().count(("draft.publish", "conflict")) == 2


# -- Function actions -----------------------------------------------------------------------


@pytest.fixture
def fn_world(tmp_path: Path, org_env: None) -> World:
    world = World(tmp_path, scope=(FUNCTIONS,))
    world.write(function_action())
    return world


def test_a_new_function_action_is_drafted_uploaded_set_and_published(fn_world: World) -> None:
    outcome = only(fn_world.apply())
    action_id = fn_world.org.ids()[ECHO]
    assert outcome.ok and outcome.message == f"created {action_id} v1 (through a draft)"
    assert fn_world.org.ops() == [
        "create_draft_only",
        "request_function_upload",
        "upload",
        "put_draft_function",
        "publish_draft",
    ]
    assert [op for op, _ in fn_world.audited()] == [
        "draft.create",
        "draft.function.upload",
        "draft.function",
        "draft.publish",
    ]
    upload = fn_world.audit()[1]
    assert upload["package"].startswith("sha256:") and upload["id"] == action_id
    config = fn_world.org.store.function_config(action_id, draft=False)
    assert config["function"]["handler"] == "src/index.handler"
    assert config["zip"]["status"] == "Available"
    assert fn_world.plan().plan.empty
    assert records(fn_world) == []


def test_a_function_settings_change_uploads_no_code(fn_world: World) -> None:
    fn_world.apply()
    changed = function_action()
    changed["function"]["handler"] = "src/index.main"
    fn_world.write(changed)
    outcome = only(fn_world.apply())
    assert outcome.ok and outcome.message.startswith("updated through a draft")
    assert fn_world.org.ops()[5:] == [
        "create_draft",
        "patch_draft",
        "put_draft_function",
        "publish_draft",
    ]


def test_a_code_change_uploads_the_new_package(fn_world: World) -> None:
    fn_world.apply()
    write_package(fn_world.directory / "echo-code", "exports.handler = async () => ({});\n")
    outcome = only(fn_world.apply())
    assert outcome.ok and outcome.message.endswith("(function.package)")
    assert "upload" in fn_world.org.ops()[5:]
    assert "put_draft_function" not in fn_world.org.ops()[5:]
    assert fn_world.plan().plan.empty


def test_a_package_the_org_refuses_fails_the_action_and_leaves_nothing(fn_world: World) -> None:
    def refused(config: dict[str, Any]) -> dict[str, Any]:
        config["zip"].update(status="InvalidFormat", errorMessage="not a zip archive")
        return config

    fn_world.org.answer("get_function", refused)
    outcome = only(fn_world.apply())
    assert not outcome.ok
    assert outcome.message.startswith(f"{ECHO!r}: the org refused the code package ")
    assert outcome.message.endswith("(InvalidFormat: not a zip archive)")
    assert fn_world.org.draft_ids() == {} and fn_world.org.ids() == {}
    assert fn_world.audited()[-1] == ("draft.delete", "ok")
    assert records(fn_world) == []


def test_a_lost_draft_only_create_is_found_by_name(fn_world: World) -> None:
    fn_world.org.lose_answer("create_draft_only")
    outcome = only(fn_world.apply())
    assert outcome.ok, outcome.message
    assert fn_world.audited()[0] == ("draft.create", "applied")
    assert fn_world.org.ops().count("create_draft_only") == 1


@pytest.mark.parametrize("status", [503, 400])
def test_a_draft_only_create_that_did_not_land(fn_world: World, status: int) -> None:
    fn_world.org.fail("create_draft_only", status=status, times=2)
    outcome = only(fn_world.apply())
    assert not outcome.ok
    expected = (
        [("draft.create", "not applied")] * 2 if status == 503 else [("draft.create", "error")]
    )
    assert fn_world.audited() == expected
    assert fn_world.org.draft_ids() == {}


def test_a_new_action_draft_left_by_ctrl_c_is_deleted_then_made_again(fn_world: World) -> None:
    fn_world.org.interrupt("request_function_upload")
    with pytest.raises(KeyboardInterrupt):
        fn_world.apply()
    (left,) = fn_world.org.draft_ids().values()
    assert records(fn_world)[0]["action_id"] == left
    outcome = only(fn_world.apply())
    assert outcome.ok, outcome.message
    assert fn_world.org.draft(left) is None  # its draft-only action went with it
    assert [r.get("reason") for r in fn_world.audit() if r["operation"] == "draft.delete"] == [
        "left by an earlier run"
    ]
    assert list(fn_world.org.ids()) == [ECHO] and records(fn_world) == []


def test_a_new_action_draft_whose_create_was_never_sent_is_forgotten(fn_world: World) -> None:
    fn_world.org.interrupt("create_draft_only")
    with pytest.raises(KeyboardInterrupt):
        fn_world.apply()
    assert records(fn_world)[0]["action_id"] is None
    outcome = only(fn_world.apply())
    assert outcome.ok and records(fn_world) == []
    assert fn_world.org.ops().count("delete_draft") == 0


def test_a_new_action_draft_left_behind_is_swept_when_its_file_is_gone(fn_world: World) -> None:
    fn_world.org.interrupt("put_draft_function")
    with pytest.raises(KeyboardInterrupt):
        fn_world.apply()
    fn_world.remove(ECHO)
    result = fn_world.apply()
    assert result.outcomes == []
    assert result.notes == [f"{ECHO!r}: discarded the draft of a new action an earlier run left"]
    assert fn_world.org.draft_ids() == {} and records(fn_world) == []
