"""Impact analysis (``reconciler.impact``): the flows that use the action of a risky change,
asked once per risky action (cached per version), never for an unchanged org; apply
refuses to delete or replace an action published flows use without ``allow_in_use``."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.consumers import BuildStatus, Consumer, Usage
from reconciler.errors import UnsafePlanError
from reconciler.impact import risks_of
from reconciler.plan import build_plan
from reconciler.render.apply import render_result
from reconciler.render.plan import render_json, render_markdown, render_text
from reconciler.sandbox.config import SandboxConfig
from reconciler.savedplan import plan_from_dict, plan_to_dict
from tests.fakes.org import FakeOrg
from tests.fakes.project import World, action
from tests.test_plan import INTEGRATIONS, live_of, spec

RISKY = ("consuming_resources", "dependency_build")


@pytest.fixture
def world(tmp_path: Path, org_env: None, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(tmp_path)
    return World(tmp_path)


def asked(org: FakeOrg, since: int = 0) -> list[str]:
    return [c.op for c in org.calls[since:] if c.op in RISKY]


def test_which_changes_are_risky() -> None:
    base = live_of(spec("A", timeout_seconds=5), "custom_-_a")
    cases = {
        "timeout down": (spec("A", timeout_seconds=3), ("timeout decrease",)),
        "timeout up": (spec("A", timeout_seconds=9), ()),
        "contract": (
            spec("A", contract_output={"type": "object", "properties": {"n": {"type": "string"}}}),
            ("contract change",),
        ),
        "secure": (spec("A", secure=True), ("replace", "secure change")),
    }
    for what, (desired, risks) in cases.items():
        plan = build_plan([desired], [base], INTEGRATIONS, contracts_mutable=True)
        assert [risks_of(c) for c in plan.changes] == [risks], what
    deleted = build_plan([], [base], INTEGRATIONS, prune=True)
    assert [risks_of(c) for c in deleted.changes] == [("delete",)]
    created = build_plan([spec("B")], [], INTEGRATIONS)
    assert [risks_of(c) for c in created.changes] == [()]


def test_a_timeout_decrease_asks_once_and_an_increase_never(world: World) -> None:
    ids = world.seed(action("Get User", timeout=5))
    world.org.add_flow("Inbound Main", ids["Get User"], version="12.0")
    world.org.add_flow("Chat Bot", ids["Get User"], kind="INBOUNDCHATFLOW", version="3.0")
    world.write(action("Get User", timeout=9))
    since = len(world.org.calls)
    up = world.plan()
    assert asked(world.org, since) == [] and up.plan.changes[0].usage is None
    world.write(action("Get User", timeout=2))
    since = len(world.org.calls)
    down = world.plan()
    assert asked(world.org, since) == ["consuming_resources", "dependency_build"]
    usage = down.plan.changes[0].usage
    assert usage is not None and usage.risks == ("timeout decrease",)
    assert [c.label for c in usage.consumers or ()] == [
        "Chat Bot (inboundchatflow, v3)",
        "Inbound Main (inboundcallflow, v12)",
    ]
    assert "2 flows affected" in down.plan.summary()
    # Cached by the action's version: the next plan asks only for the build status.
    since = len(world.org.calls)
    world.plan()
    assert asked(world.org, since) == ["dependency_build"]


def test_an_unchanged_org_costs_no_consumer_request(world: World) -> None:
    ids = world.seed(action("Get User"), action("Get Order"))
    world.org.add_flow("Inbound Main", *ids.values())
    result = world.plan()
    assert result.plan.empty and asked(world.org) == []


def test_the_consumers_of_a_secure_action_are_asked_as_secureaction(world: World) -> None:
    ids = world.seed(action("Pay", secure=True, timeout=5))
    world.org.add_flow("Payments", ids["Pay"])
    world.write(action("Pay", secure=True, timeout=1))
    usage = world.plan().plan.changes[0].usage
    assert usage is not None and [c.name for c in usage.consumers or ()] == ["Payments"]


def test_apply_refuses_to_delete_an_action_published_flows_use(world: World) -> None:
    ids = world.seed(action("Get User"), action("Old Lookup"))
    world.org.add_flow("Inbound Main", ids["Old Lookup"], version="4.0")
    world.org.add_flow("Draft Flow", ids["Old Lookup"], published=False)
    world.remove("Old Lookup")
    writes = len(world.org.writes)
    with pytest.raises(UnsafePlanError) as refused:
        world.apply(prune=True)
    assert "Inbound Main (inboundcallflow, v4)" in str(refused.value)
    assert "Draft Flow" not in str(refused.value)  # only published flows break at once
    assert "--allow-in-use" in str(refused.value)
    assert len(world.org.writes) == writes
    result = world.apply(prune=True, allow_in_use=True)
    assert [o.kind for o in result.outcomes if o.ok] == ["delete"]
    line = next(r for r in world.audit() if r["operation"] == "delete")
    assert line["consumers"] == [
        "Draft Flow (inboundcallflow, v1)",
        "Inbound Main (inboundcallflow, v4)",
    ]


def test_a_delete_only_checked_in_flows_use_goes_ahead(world: World) -> None:
    ids = world.seed(action("Get User"), action("Old Lookup"))
    world.org.add_flow("Draft Flow", ids["Old Lookup"], published=False)
    world.remove("Old Lookup")
    result = world.apply(prune=True)
    assert [o.kind for o in result.outcomes if o.ok] == ["delete"]


def test_unreadable_consumers_are_stated_and_stop_a_delete(world: World) -> None:
    ids = world.seed(action("Get User"), action("Old Lookup"))
    world.org.fail("consuming_resources", status=403, message="missing permission", times=9)
    world.remove("Old Lookup")
    plan = world.plan(prune=True).plan
    usage = plan.changes[0].usage
    assert usage is not None and not usage.known
    assert "architect:dependencyTracking:view" in usage.describe()
    assert "consumers unknown for 1 action" in plan.summary()
    with pytest.raises(UnsafePlanError, match="could not be read"):
        world.apply(prune=True)
    assert ids["Old Lookup"] in world.org.ids().values()


def test_a_replace_lists_the_flows_to_repoint(world: World) -> None:
    ids = world.seed(action("Get User"))
    world.org.add_flow("Inbound Main", ids["Get User"], version="12.0")
    world.write(action("Get User", output="integer"))  # a contract change: a replace
    result = world.apply(allow_replace=True, allow_in_use=True)
    new_id = result.outcomes[0].new_id
    assert new_id and new_id != ids["Get User"]
    text = render_result(result)
    assert f"'Get User' ({ids['Get User']} -> {new_id}): used by 1 flow: Inbound Main" in text
    assert "Flows to repoint from the old id to the new one" in text


def test_a_stale_build_is_stated(world: World, tmp_path: Path) -> None:
    stale = World(
        tmp_path / "stale",
        FakeOrg(
            SandboxConfig(
                function_processing_ms=0, dependency_build_status="OPERATIONALNEEDSREBUILD"
            )
        ),
    )
    stale.seed(action("Get User", timeout=5))
    stale.write(action("Get User", timeout=1))
    plan = stale.plan().plan
    assert plan.dependency_build == BuildStatus(
        "OPERATIONALNEEDSREBUILD", "2026-01-01T00:00:00.000Z"
    )
    assert "is stale" in render_text(plan) and "is stale" in render_markdown(plan)
    assert json.loads(render_json(plan))["dependency_build"]["status"] == "OPERATIONALNEEDSREBUILD"


def test_usage_shows_in_every_format_and_survives_a_saved_plan() -> None:
    base = live_of(spec("A", timeout_seconds=5), "custom_-_a")
    plan = build_plan([spec("A", timeout_seconds=2)], [base], INTEGRATIONS)
    flows = (
        Consumer("f1", "Inbound Main", "inboundcallflow", "12.0"),
        Consumer("f2", "Bot", "botflow", None),
    )
    plan = replace(
        plan,
        changes=(replace(plan.changes[0], usage=Usage(("timeout decrease",), flows)),),
        dependency_build=BuildStatus("OPERATIONAL"),
    )
    line = "used by 2 flows: Inbound Main (inboundcallflow, v12), Bot (botflow)"
    assert line in render_text(plan)
    assert line in render_markdown(plan)
    body = json.loads(render_json(plan))
    assert body["affected_flows"] == 2
    assert body["changes"][0]["usage"]["consumers"][0] == {
        "id": "f1",
        "name": "Inbound Main",
        "type": "inboundcallflow",
        "version": "12.0",
    }
    again = plan_from_dict(plan_to_dict(plan))
    assert again.changes[0].usage == plan.changes[0].usage
    assert again.dependency_build == plan.dependency_build
    assert "Warning" not in render_text(plan)  # a fresh build says nothing
