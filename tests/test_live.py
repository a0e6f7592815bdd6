"""The live fetch and its cache against the in-memory org (no server): what a cold, a warm
and a refreshed fetch cost, and what makes a cache entry a miss."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from reconciler.live import LiveCache, fetch_live, integrations_for, org_key, type_id
from reconciler.plan import Integrations
from reconciler.sandbox.seed import GENESYS_CLOUD_INTEGRATION_ID
from tests.fakes.org import FakeOrg
from tests.fakes.project import FUNCTIONS, GENESYS, WEB, World, action, function_action

USER = "Get User"
ORDER = "Get Order"


@pytest.fixture
def world(tmp_path: Path, org_env: None) -> World:
    world = World(tmp_path)
    world.seed(action(USER), action(ORDER, integration=WEB))
    return world


def costs(org: FakeOrg, since: int) -> list[str]:
    return [c.op for c in org.calls[since:]]


def test_a_cold_plan_reads_every_action_and_caches_it(world: World) -> None:
    result = world.plan()
    assert result.plan.empty and sorted(result.plan.unchanged) == [ORDER, USER]
    assert costs(world.org, 0) == [
        "get_organization",
        "iter_actions",
        "iter_integrations",
        "get_action_full",
        "get_action_full",
    ]
    assert result.requests == 5
    cache = world.root / ".dactl" / "cache" / result.org
    names = sorted(p.name for p in cache.iterdir())
    assert names == sorted(
        [f"{i}@1.json" for i in world.org.ids().values()]
        + ["integrations.json", "organization.json"]
    )
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in cache.iterdir())


def test_a_warm_plan_costs_the_listing_only(world: World) -> None:
    world.plan()
    since = len(world.org.calls)
    result = world.plan()
    assert result.plan.empty and result.requests == 1
    assert costs(world.org, since) == ["iter_actions"]


def test_a_changed_version_is_a_miss_for_that_action_only(world: World) -> None:
    world.plan()
    ids = world.org.ids()
    world.org.edit(ids[USER], timeoutSeconds=3)  # the file raises it back: no risk
    since = len(world.org.calls)
    result = world.plan()
    assert costs(world.org, since) == ["iter_actions", "get_action_full"]
    assert world.org.calls[-1].action_id == ids[USER]
    assert [c.fields[0].dotted for c in result.plan.changes] == ["timeoutSeconds"]


def test_refresh_reads_everything_again_and_keeps_the_cache_fresh(world: World) -> None:
    world.plan()
    since = len(world.org.calls)
    world.orchestrator(refresh=True).plan()
    assert costs(world.org, since) == [
        "get_organization",
        "iter_actions",
        "iter_integrations",
        "get_action_full",
        "get_action_full",
    ]
    since = len(world.org.calls)
    world.plan()
    assert costs(world.org, since) == ["iter_actions"]


@pytest.mark.parametrize("damage", ["garbage", "old format", "other id"])
def test_a_damaged_cache_entry_is_a_miss_never_an_error(world: World, damage: str) -> None:
    result = world.plan()
    action_id = world.org.ids()[USER]
    entry = world.root / ".dactl" / "cache" / result.org / f"{action_id}@1.json"
    if damage == "garbage":
        entry.write_text("{not json")
    elif damage == "old format":
        entry.write_text(json.dumps({"format": 1, "data": {"id": action_id}}))
    else:
        entry.write_text(json.dumps({"format": 2, "data": {"id": "custom_-_other"}}))
    since = len(world.org.calls)
    assert world.plan().plan.empty
    assert costs(world.org, since) == ["iter_actions", "get_action_full"]


def test_a_cache_that_cannot_be_written_only_costs_requests(tmp_path: Path, org_env: None) -> None:
    (tmp_path / "not-a-dir").write_text("")
    world = World(tmp_path)
    world.seed(action(USER))
    orchestrator = world.orchestrator(cache_dir=tmp_path / "not-a-dir" / "cache")
    assert orchestrator.plan().plan.empty
    since = len(world.org.calls)
    assert orchestrator.plan().plan.empty
    assert costs(world.org, since) == [
        "get_organization",
        "iter_actions",
        "iter_integrations",
        "get_action_full",
    ]


def test_without_a_cache_dir_nothing_is_cached(world: World) -> None:
    orchestrator = world.orchestrator(cache_dir=None)
    orchestrator.plan()
    since = len(world.org.calls)
    orchestrator.plan()
    assert len(costs(world.org, since)) == 5
    assert not (world.root / ".dactl" / "cache").exists()


def test_a_name_is_fetched_alone_and_matched_exactly(world: World) -> None:
    world.org.seed(
        {
            **world.org.store.get(world.org.ids()[USER], draft=False)[1],
            "name": f"{USER} Extra",
        }
    )
    progress: list[int] = []
    state = fetch_live(
        world.org, name=USER, progress_total=progress.append, progress=progress.append
    )
    assert [a.canonical["name"] for a in state.actions] == [USER]
    assert progress == [1, 1]  # one to fetch, then one fetched


def test_static_and_custom_auth_actions_are_never_fetched(tmp_path: Path) -> None:
    org = FakeOrg()
    state = fetch_live(org)  # every integration: the seeded org holds only those
    assert state.actions == [] and org.count("get_action_full") == 0


def test_a_function_action_is_fetched_with_its_function(tmp_path: Path, org_env: None) -> None:
    world = World(tmp_path, scope=(FUNCTIONS,))
    world.write(function_action())
    world.apply()
    cache = LiveCache(tmp_path / "cache", "k")
    before = world.org.count("get_function")  # apply waited for the package
    state = fetch_live(world.org, scope=[FUNCTIONS], cache=cache)
    (live,) = state.actions
    assert live.canonical["function"]["handler"] == "src/index.handler"
    assert live.canonical["function"]["package"].startswith("sha256:")
    assert world.org.count("get_function") == before + 1
    again = fetch_live(world.org, scope=[FUNCTIONS], cache=cache)
    assert again.actions == state.actions and world.org.count("get_function") == before + 1


def test_integrations_are_listed_again_only_when_the_cache_lacks_one(tmp_path: Path) -> None:
    org = FakeOrg()
    cache = LiveCache(tmp_path, "k")
    first = integrations_for(org, cache, [GENESYS_CLOUD_INTEGRATION_ID], [GENESYS])
    assert first.is_function("5a0e7c3b-1d2f-4e6a-8b9c-000000000007")
    assert integrations_for(org, cache, [], [WEB]) == first
    assert org.count("iter_integrations") == 1
    integrations_for(org, cache, ["unknown-id"], [])
    integrations_for(org, cache, [], ["Unknown Integration"])
    assert org.count("iter_integrations") == 3
    cache.put_integrations(Integrations({"i": "n"}))
    (tmp_path / "k" / "integrations.json").write_text(
        json.dumps({"format": 2, "data": {"names": [], "types": {}}})
    )
    assert cache.get_integrations() is None


def test_an_integration_type_may_be_an_object_or_its_id() -> None:
    assert type_id({"integrationType": {"id": "custom-rest-actions"}}) == "custom-rest-actions"
    assert type_id({"integrationType": "purecloud-data-actions"}) == "purecloud-data-actions"
    assert type_id({"integrationType": {"id": 7}}) is None and type_id({}) is None


def test_the_org_key_is_per_host_and_client_never_the_secret() -> None:
    key = org_key("https://api.mypurecloud.ie/", "client")
    assert key == org_key("https://api.mypurecloud.ie", "client") and len(key) == 16
    assert key != org_key("https://api.mypurecloud.ie", "other")
    assert key != org_key("https://api.mypurecloud.de", "client")


def test_the_plan_after_an_apply_is_warm(world: World) -> None:
    ids = world.org.ids()
    world.write(action(USER, timeout=9), action("Get Account"))  # a PATCH and a create
    applied = world.apply()
    assert [o.kind for o in applied.outcomes] == ["create", "update"]
    since = len(world.org.calls)
    result = world.plan()
    assert result.plan.empty
    assert costs(world.org, since) == ["iter_actions"]  # what the writes answered is cached
    assert ids[USER] in world.org.ids().values()


def test_a_write_answer_that_differs_from_what_was_sent_is_not_cached(world: World) -> None:
    world.write(action(USER, timeout=9))

    def normalised(answer: dict[str, Any]) -> dict[str, Any]:
        answer["config"]["timeoutSeconds"] = 10  # the org answers what it really stored
        return answer

    world.org.answer("patch_action", normalised)
    world.apply()
    since = len(world.org.calls)
    world.plan()
    assert costs(world.org, since) == ["iter_actions", "get_action_full"]
