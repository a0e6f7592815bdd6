"""Apply against the in-memory org (no server): creates, updates, conflicts, lost answers,
replaces, deletes and Ctrl-C, each checked in the outcome, the audit log and the org."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.apply import Applier
from reconciler.audit import AuditLog
from reconciler.errors import UnsafePlanError
from reconciler.plan import Change, Integrations
from reconciler.sandbox.config import SandboxConfig
from tests.fakes.org import GENESYS, FakeOrg
from tests.fakes.project import WEB, World, action, post_body_of

USER = "Get User"
ORDER = "Get Order"


@pytest.fixture
def world(tmp_path: Path, org_env: None) -> World:
    return World(tmp_path)


def world_with(tmp_path: Path, **config: Any) -> World:
    return World(tmp_path, FakeOrg(SandboxConfig(function_processing_ms=0, **config)))


def only(result: Any) -> Any:
    (outcome,) = result.outcomes
    return outcome


# -- create and update ----------------------------------------------------------------------


def test_new_actions_are_created_once_and_then_plan_shows_no_change(world: World) -> None:
    world.write(action(USER), action(ORDER, integration=WEB))
    result = world.apply()
    ids = world.org.ids()
    assert set(ids) == {USER, ORDER}
    assert [o.message for o in result.outcomes] == [
        f"created {ids[ORDER]} v1",
        f"created {ids[USER]} v1",
    ]
    assert world.audited() == [("create", "ok"), ("create", "ok")]
    assert [r["id"] for r in world.audit()] == [ids[ORDER], ids[USER]]
    assert world.org.ops() == ["create_action", "create_action"]
    assert world.plan().plan.empty
    again = world.apply()
    assert again.outcomes == [] and world.org.ops() == ["create_action", "create_action"]


def test_an_update_is_one_versioned_patch(world: World) -> None:
    action_id = world.seed(action(USER))[USER]
    world.write(action(USER, timeout=9))
    outcome = only(world.apply())
    assert outcome.ok and outcome.message == f"updated {action_id} v1 -> v2 (timeoutSeconds)"
    assert (outcome.version_before, outcome.version_after) == (1, 2)
    assert world.org.ops() == ["patch_action"]
    assert world.org.published(action_id)["config"]["timeoutSeconds"] == 9  # type: ignore[index]
    (record,) = world.audit()
    assert record["fields"] == ["timeoutSeconds"] and record["change"] == "update"
    assert (record["version_before"], record["version_after"], record["outcome"]) == (1, 2, "ok")


def test_answers_without_a_usable_id_or_version_stop_that_change(world: World) -> None:
    world.write(action(USER))
    world.org.answer("create_action", lambda body: {**body, "id": ""})
    outcome = only(world.apply())
    assert not outcome.ok
    assert outcome.message == "the org answered without a usable action id; run plan again"
    action_id = world.org.ids()[USER]
    world.write(action(USER, timeout=9))
    world.org.answer("patch_action", lambda body: {**body, "version": "2"})
    outcome = only(world.apply())
    assert outcome.message == "the org answered without a usable version ('2'); run plan again"
    assert world.org.version(action_id) == 2  # the write was done; the next plan sees it


# -- conflicts ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [409, 400])
def test_a_conflict_is_replanned_and_retried_naming_what_was_reset(
    tmp_path: Path, org_env: None, status: int
) -> None:
    world = world_with(tmp_path, stale_version_status=status)
    action_id = world.seed(action(USER))[USER]
    world.write(action(USER, timeout=9))
    world.org.before("patch_action", lambda: world.org.edit(action_id, timeoutSeconds=7))
    outcome = only(world.apply())
    assert outcome.ok, outcome.message
    assert outcome.message == (
        f"updated {action_id} v2 -> v3 (timeoutSeconds); re-planned after a conflict; "
        "also reset timeoutSeconds"
    )
    assert world.audited() == [("patch", "conflict"), ("patch", "ok")]
    conflict = world.audit()[0]
    assert conflict["status"] == status
    assert conflict["code"] == ("conflict" if status == 409 else "bad.request")
    assert world.org.published(action_id)["config"]["timeoutSeconds"] == 9  # type: ignore[index]


def test_a_conflict_with_the_desired_content_already_there_writes_nothing(world: World) -> None:
    action_id = world.seed(action(USER))[USER]
    world.write(action(USER, timeout=9))
    world.org.before("patch_action", lambda: world.org.edit(action_id, timeoutSeconds=9))
    outcome = only(world.apply())
    assert outcome.ok
    assert outcome.message == f"already up to date {action_id} v2 -> v2 (timeoutSeconds)"
    assert world.audited() == [("patch", "conflict")]


def test_a_field_a_patch_cannot_reset_stops_after_a_conflict(world: World) -> None:
    action_id = world.seed(action(USER))[USER]
    world.write(action(USER, timeout=9))
    world.org.before("patch_action", lambda: world.org.mutate(action_id, secure=True))
    outcome = only(world.apply())
    assert not outcome.ok
    assert outcome.message == (
        "secure changed in the org meanwhile, which this patch cannot reset; run plan again"
    )
    assert world.org.published(action_id)["secure"] is True  # type: ignore[index]


def test_conflicts_without_end_give_up(world: World) -> None:
    action_id = world.seed(action(USER))[USER]
    world.write(action(USER, timeout=9))
    world.org.before("patch_action", lambda: world.org.edit(action_id), times=4)
    outcome = only(world.apply())
    assert outcome.message == "gave up after 4 attempts"
    assert world.audited() == [("patch", "conflict")] * 4


def test_with_a_saved_plan_a_conflicting_edit_is_never_overwritten(world: World) -> None:
    action_id = world.seed(action(USER))[USER]
    world.write(action(USER, timeout=9))
    saved = world.save_plan()
    world.org.before("patch_action", lambda: world.org.edit(action_id, timeoutSeconds=7))
    outcome = only(world.apply(saved=saved))
    assert not outcome.ok
    assert outcome.message == (
        "changed in the org since the plan was made (timeoutSeconds); not overwritten: run "
        "plan again and review"
    )
    assert world.org.published(action_id)["config"]["timeoutSeconds"] == 7  # type: ignore[index]
    assert world.audited() == [("patch", "conflict")]


def test_with_a_saved_plan_a_version_bump_alone_is_retried(world: World) -> None:
    action_id = world.seed(action(USER))[USER]
    world.write(action(USER, timeout=9))
    saved = world.save_plan()
    world.org.before("patch_action", lambda: world.org.store.patch(action_id, {"version": 1}))
    outcome = only(world.apply(saved=saved))
    assert outcome.ok and outcome.message == f"updated {action_id} v2 -> v3 (timeoutSeconds)"
    assert world.audited() == [("patch", "conflict"), ("patch", "ok")]


# -- lost answers ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [None, 408, 502, 200])
def test_a_create_whose_answer_was_lost_is_read_back_as_applied(
    world: World, status: int | None
) -> None:
    world.write(action(USER))
    world.org.lose_answer("create_action", status=status)
    outcome = only(world.apply())
    action_id = world.org.ids()[USER]
    assert outcome.ok
    assert outcome.message == f"created {action_id} v1 (the response was lost; read back)"
    assert world.audited() == [("create", "applied")]
    assert world.audit()[0]["status"] == status
    assert world.org.ops() == ["create_action"]  # never sent twice


def test_a_create_that_did_not_land_is_sent_once_more(world: World) -> None:
    world.write(action(USER))
    world.org.fail("create_action", status=503)
    outcome = only(world.apply())
    assert outcome.ok and outcome.message == f"created {world.org.ids()[USER]} v1"
    assert world.audited() == [("create", "not applied"), ("create", "ok")]
    record = world.audit()[0]
    assert (record["status"], record["code"]) == (503, "service.unavailable")
    assert record["correlation_id"].startswith("fake-correlation-")
    assert "message" not in record  # never the server's text


def test_a_create_that_did_not_land_twice_fails(world: World) -> None:
    world.write(action(USER))
    world.org.fail("create_action", status=503, times=2)
    outcome = only(world.apply())
    assert not outcome.ok
    assert outcome.message.startswith("HTTP 503 service.unavailable: POST /api/v2/")
    assert world.audited() == [("create", "not applied")] * 2
    assert world.org.ids() == {}


def test_a_refused_create_is_an_error_line(world: World) -> None:
    world.write(action(USER))
    world.org.fail("create_action", status=400, message="name is taken")
    outcome = only(world.apply())
    assert outcome.message == (
        "HTTP 400 bad.request: POST /api/v2/integrations/actions: name is taken "
        "(correlation id fake-correlation-1)"
    )
    assert world.audited() == [("create", "error")]


def test_a_lost_create_whose_read_back_fails_is_unknown(world: World) -> None:
    world.write(action(USER))
    world.org.lose_answer("create_action")
    world.org.fail("iter_actions", status=500, nth=2)  # the first is the plan's listing
    outcome = only(world.apply())
    assert not outcome.ok
    assert outcome.message.startswith(
        "the create's response was lost, and reading back failed: HTTP 500"
    )
    assert world.audited() == [("create", "unknown")]


def test_a_lost_create_meeting_an_action_of_that_name_with_other_content_stops(
    world: World,
) -> None:
    world.write(action(USER))
    other = post_body_of(action(USER, timeout=30), world.org)
    world.org.before("create_action", lambda: world.org.seed(other))
    world.org.fail("create_action", status=502)
    outcome = only(world.apply())
    assert not outcome.ok
    assert outcome.message == (
        f"the create's response was lost and an action named {USER!r} now exists "
        f"({world.org.ids()[USER]}) with other content; run plan again"
    )


def test_a_patch_whose_answer_was_lost_is_read_back_as_applied(world: World) -> None:
    action_id = world.seed(action(USER))[USER]
    world.write(action(USER, timeout=9))
    world.org.lose_answer("patch_action", status=504)
    outcome = only(world.apply())
    assert outcome.ok
    assert outcome.message == (
        f"updated {action_id} v1 -> v2 (timeoutSeconds); the response was lost; read back"
    )
    record = world.audit()[0]
    assert (record["outcome"], record["version_before"], record["version_after"]) == (
        "applied",
        1,
        2,
    )
    assert world.org.ops() == ["patch_action"]


def test_a_patch_that_did_not_land_is_sent_again_with_the_same_version(world: World) -> None:
    action_id = world.seed(action(USER))[USER]
    world.write(action(USER, timeout=9))
    world.org.fail("patch_action", status=503)
    outcome = only(world.apply())
    assert outcome.ok and outcome.message == f"updated {action_id} v1 -> v2 (timeoutSeconds)"
    assert world.audited() == [("patch", "not applied"), ("patch", "ok")]
    assert [r["version_before"] for r in world.audit()] == [1, 1]


def test_a_lost_patch_whose_read_back_fails_is_unknown(world: World) -> None:
    action_id = world.seed(action(USER))[USER]
    world.write(action(USER, timeout=9))
    world.org.lose_answer("patch_action")
    world.org.fail("get_action_full", status=500, nth=2)  # the first is the plan's
    outcome = only(world.apply())
    assert outcome.message.startswith(
        "the update's response was lost, and reading back failed: HTTP 500"
    )
    assert world.audited() == [("patch", "unknown")]
    assert world.org.version(action_id) == 2  # it did land: the next plan will say


def test_a_lost_patch_with_another_write_after_it_is_unknown(world: World) -> None:
    action_id = world.seed(action(USER))[USER]
    world.write(action(USER, timeout=9))
    world.org.lose_answer("patch_action")
    world.org.before("get_action_full", lambda: world.org.edit(action_id), nth=2)
    outcome = only(world.apply())
    assert outcome.message == (
        "the update's response was lost and the action changed meanwhile (v1 -> v3); run plan again"
    )
    assert world.audited() == [("patch", "unknown")]


def test_a_refused_patch_is_an_error(world: World) -> None:
    world.seed(action(USER))
    world.write(action(USER, timeout=9))
    world.org.fail("patch_action", status=400, message="timeoutSeconds is invalid")
    outcome = only(world.apply())
    assert not outcome.ok and "timeoutSeconds is invalid" in outcome.message
    assert world.audited() == [("patch", "error")]


# -- delete ---------------------------------------------------------------------------------


def test_prune_deletes_and_waits_until_the_action_is_gone(world: World) -> None:
    ids = world.seed(action(USER), action(ORDER))
    world.remove(ORDER)
    plan = world.plan().plan
    assert [c.kind for c in plan.changes] == []  # prune is off in dactl.yaml
    outcome = only(world.apply(prune=True))
    assert outcome.ok and outcome.message == f"deleted {ids[ORDER]}"
    assert world.org.ops() == ["delete_action"]
    assert world.org.count("wait_until_gone") == 1
    assert world.org.ids() == {USER: ids[USER]}
    (record,) = world.audit()
    assert (record["change"], record["operation"], record["version_before"]) == (
        "delete",
        "delete",
        1,
    )


def test_a_delete_names_an_edit_made_since_the_plan(world: World) -> None:
    ids = world.seed(action(USER), action(ORDER))
    world.remove(ORDER)
    world.org.before("get_action", lambda: world.org.edit(ids[ORDER], timeoutSeconds=8))
    outcome = only(world.apply(prune=True))
    assert outcome.ok
    assert outcome.message == (
        f"deleted {ids[ORDER]} (edited in the org since the plan, v1 -> v2: timeoutSeconds; "
        "deleted with it)"
    )


def test_a_delete_of_an_action_gone_meanwhile_is_done(world: World) -> None:
    ids = world.seed(action(USER), action(ORDER))
    world.remove(ORDER)
    world.org.before("get_action", lambda: world.org.store.delete(ids[ORDER]))
    outcome = only(world.apply(prune=True))
    assert outcome.ok and outcome.message == f"deleted {ids[ORDER]}"
    assert world.audited() == [("delete", "ok")]


@pytest.mark.parametrize(
    ("fault", "audited", "ok"),
    [
        ("lose", "applied", True),
        ("fail", "not applied", False),
        ("unknown", "unknown", False),
        ("refused", "error", False),
    ],
)
def test_a_delete_whose_answer_was_lost_is_read_back(
    world: World, fault: str, audited: str, ok: bool
) -> None:
    world.seed(action(USER), action(ORDER))
    world.remove(ORDER)
    if fault == "lose":
        world.org.lose_answer("delete_action")
    elif fault == "refused":
        world.org.fail("delete_action", status=400, message="in use by a flow")
    else:
        world.org.fail("delete_action", status=503)
    if fault == "unknown":
        world.org.fail("get_action", status=500, nth=2)  # the first checks for edits
    outcome = only(world.apply(prune=True))
    assert outcome.ok is ok, outcome.message
    assert world.audited() == [("delete", audited)]
    assert (ORDER in world.org.ids()) is (fault != "lose")


def test_an_action_that_still_reads_after_its_delete_is_a_failure(world: World) -> None:
    world.seed(action(USER), action(ORDER))
    world.remove(ORDER)
    world.org.fail("wait_until_gone", status=None)
    outcome = only(world.apply(prune=True))
    assert not outcome.ok and "cannot reach https://api.fake.test" in outcome.message
    assert world.audited() == [("delete", "ok")]


def test_with_a_saved_plan_an_action_edited_since_is_not_deleted(world: World) -> None:
    ids = world.seed(action(USER), action(ORDER))
    world.remove(ORDER)
    (world.directory / "dactl.yaml").write_text(
        (world.directory / "dactl.yaml").read_text() + "prune: true\n"
    )
    saved = world.save_plan()
    world.org.before("get_action_full", lambda: world.org.edit(ids[ORDER], timeoutSeconds=8))
    outcome = only(world.apply(saved=saved))
    assert not outcome.ok
    assert outcome.message == (
        f"{ids[ORDER]} changed in the org since the plan was made (timeoutSeconds); not "
        "deleted: run plan again and review"
    )
    assert ORDER in world.org.ids() and world.org.ops() == []


# -- replace --------------------------------------------------------------------------------


def test_a_replace_needs_allow_replace_then_creates_before_it_deletes(world: World) -> None:
    old = world.seed(action(USER))[USER]
    world.write(action(USER, secure=True))
    with pytest.raises(UnsafePlanError, match="replaces 1 action"):
        world.apply()
    assert world.org.ops() == []
    outcome = only(world.apply(allow_replace=True))
    new = world.org.ids()[USER]
    assert outcome.ok and new != old
    assert outcome.message == (f"replaced {old} by {new} v1: repoint flows that use the old id")
    assert (outcome.action_id, outcome.new_id) == (old, new)
    assert world.org.ops() == ["create_action", "delete_action"]
    assert world.org.published(new)["secure"] is True  # type: ignore[index]
    assert world.audited() == [("create", "ok"), ("delete", "ok")]


def test_a_replace_whose_old_action_cannot_be_deleted_names_both_ids(world: World) -> None:
    old = world.seed(action(USER))[USER]
    world.write(action(USER, secure=True))
    world.org.fail("delete_action", status=400, message="the action is used by a flow")
    outcome = only(world.apply(allow_replace=True))
    new = next(
        i for i, kind, _ in world.org.store.entries(drafts=False) if kind == "custom" and i != old
    )
    assert not outcome.ok
    assert outcome.message.startswith(f"created {new} v1, but the old action {old} could not")
    assert outcome.message.endswith(f"repoint flows to {new}, then delete {old}")


def test_a_replace_names_an_edit_of_the_old_action_and_finds_its_lost_create(
    world: World,
) -> None:
    old = world.seed(action(USER))[USER]
    world.write(action(USER, secure=True))
    world.org.lose_answer("create_action")
    world.org.before("get_action", lambda: world.org.edit(old, timeoutSeconds=8))
    outcome = only(world.apply(allow_replace=True))
    new = world.org.ids()[USER]
    assert outcome.ok
    assert outcome.message == (
        f"replaced {old} by {new} v1 (the response was lost; read back) (edited in the org "
        f"since the plan, v1 -> v2: timeoutSeconds; deleted with it): repoint flows that "
        "use the old id"
    )


def test_a_saved_replace_of_an_action_edited_since_creates_nothing(world: World) -> None:
    old = world.seed(action(USER))[USER]
    world.write(action(USER, secure=True))
    saved = world.save_plan()
    world.org.before("get_action_full", lambda: world.org.edit(old, timeoutSeconds=8))
    outcome = only(world.apply(saved=saved, allow_replace=True))
    assert not outcome.ok and outcome.message.endswith("not replaced: run plan again and review")
    assert world.org.ops() == []


# -- Ctrl-C ---------------------------------------------------------------------------------


def test_ctrl_c_sends_no_further_writes(world: World) -> None:
    world.write(action("A One"), action("B Two"), action("C Three"))
    world.org.interrupt("create_action", nth=2)
    with pytest.raises(KeyboardInterrupt):
        world.apply()
    assert list(world.org.ids()) == ["A One"]
    assert world.org.ops() == ["create_action"]
    assert world.audited() == [("create", "ok")]


# -- the applier on its own -----------------------------------------------------------------


def test_a_change_without_its_parts_fails_alone(tmp_path: Path) -> None:
    org = FakeOrg()
    seen: list[str] = []
    applier = Applier(
        org,
        Integrations({GENESYS: "Genesys Cloud Data Actions"}),
        AuditLog(tmp_path / "audit.jsonl"),
        saved_plan=False,
        on_done=lambda outcome: seen.append(outcome.message),
    )
    outcomes = applier.apply(
        [
            Change("create", "No Content"),
            Change("update", "No Id", after={"name": "No Id", "integrationId": GENESYS}),
        ]
    )
    assert [o.message for o in outcomes] == [
        "the plan holds no desired content for this change",
        "the plan holds no live id or version for this change",
    ]
    assert seen == [o.message for o in outcomes] and org.writes == []
