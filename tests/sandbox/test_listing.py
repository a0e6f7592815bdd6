"""List endpoints: pagination math, filters and sorting."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.sandbox import routes_actions
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.seed import CUSTOM_AUTH_ACTION_ID, STATIC_ACTION_IDS
from reconciler.sandbox.views import paginate

from .helpers import ACTIONS, Api


def _custom(api: Api, **params: Any) -> dict[str, Any]:
    """List only custom actions (category Genesys Cloud Data Actions)."""
    query = {"category": "Genesys Cloud Data Actions", **params}
    response = api.get(ACTIONS, params=query)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _page(uri: str) -> int:
    return int(parse_qs(urlsplit(uri).query)["pageNumber"][0])


def test_pagination_math(api: Api) -> None:
    for index in range(7):
        api.create(name=f"Action {index}")
    first = _custom(api, pageSize=3)
    assert (first["total"], first["pageCount"], first["pageSize"], first["pageNumber"]) == (
        7,
        3,
        3,
        1,
    )
    assert [e["name"] for e in first["entities"]] == ["Action 0", "Action 1", "Action 2"]
    assert _page(first["firstUri"]) == 1 and _page(first["lastUri"]) == 3
    assert _page(first["nextUri"]) == 2 and "previousUri" not in first
    assert "category=Genesys" in first["selfUri"]
    last = _custom(api, pageSize=3, pageNumber=3)
    assert [e["name"] for e in last["entities"]] == ["Action 6"]
    assert "nextUri" not in last and _page(last["previousUri"]) == 2
    beyond = _custom(api, pageSize=3, pageNumber=4)
    assert beyond["entities"] == [] and beyond["total"] == 7


def test_following_next_uri_visits_every_action_once(api: Api) -> None:
    for index in range(11):
        api.create(name=f"Paged {index:02d}")
    seen: list[str] = []
    uri: str | None = f"{ACTIONS}?pageSize=4&name=Paged"
    for _ in range(10):
        if uri is None:
            break
        page = api.get(uri).json()
        seen += [e["name"] for e in page["entities"]]
        uri = page.get("nextUri")
    assert seen == [f"Paged {index:02d}" for index in range(11)]


def test_default_page_size_is_25(api: Api) -> None:
    body = api.get(ACTIONS).json()
    assert body["pageSize"] == 25 and body["pageNumber"] == 1


@pytest.mark.parametrize("params", [{"pageSize": 101}, {"pageSize": 0}, {"pageNumber": 0}])
def test_bad_paging_is_400(api: Api, params: dict[str, Any]) -> None:
    response = api.get(ACTIONS, params=params)
    assert response.status_code == 400
    assert response.json()["status"] == 400


def test_max_page_size_is_configurable(make_api: Any) -> None:
    api = make_api(SandboxConfig(max_page_size=500))
    assert api.get(ACTIONS, params={"pageSize": 500}).status_code == 200
    assert api.get(ACTIONS, params={"pageSize": 501}).status_code == 400


def test_ids_filter_and_limit(api: Api) -> None:
    ids = [api.create(name=f"A{i}")["id"] for i in range(3)]
    body = api.get(ACTIONS, params={"ids": ",".join(ids[:2])}).json()
    assert sorted(e["id"] for e in body["entities"]) == sorted(ids[:2])
    fifty = ",".join([*ids, *(f"custom_-_{i}" for i in range(47))])
    assert api.get(ACTIONS, params={"ids": fifty}).status_code == 200
    too_many = api.get(ACTIONS, params={"ids": fifty + ",custom_-_extra"})
    assert too_many.status_code == 400
    assert "50" in too_many.json()["message"]


def test_name_filter_is_partial_and_case_insensitive_by_default(api: Api) -> None:
    api.create(name="Get User Presence")
    api.create(name="Set user state")
    names = [e["name"] for e in api.get(ACTIONS, params={"name": "USER"}).json()["entities"]]
    assert names == ["Get User Presence", "Set user state"]


def test_name_filter_case_sensitive_knob(make_api: Any) -> None:
    api = make_api(SandboxConfig(name_filter_case_sensitive=True))
    api.create(name="Get User Presence")
    api.create(name="Set user state")
    names = [e["name"] for e in api.get(ACTIONS, params={"name": "User"}).json()["entities"]]
    assert names == ["Get User Presence"]


def test_secure_filter(api: Api) -> None:
    api.create(name="Open")
    api.create(name="Closed", secure=True)
    secure = _custom(api, secure="true")
    assert [e["name"] for e in secure["entities"]] == ["Closed"]
    assert [e["name"] for e in _custom(api, secure="false")["entities"]] == ["Open"]
    assert api.get(ACTIONS, params={"secure": "maybe"}).status_code == 400


def test_auth_actions_hidden_unless_asked(api: Api) -> None:
    default = {e["id"] for e in api.get(ACTIONS).json()["entities"]}
    assert CUSTOM_AUTH_ACTION_ID not in default
    assert set(STATIC_ACTION_IDS) <= default
    shown = api.get(ACTIONS, params={"includeAuthActions": "true"}).json()["entities"]
    assert CUSTOM_AUTH_ACTION_ID in {e["id"] for e in shown}


def test_include_config(api: Api) -> None:
    api.create()
    plain = _custom(api)["entities"][0]
    assert "config" not in plain and "contract" not in plain
    with_config = _custom(api, includeConfig="true")["entities"][0]
    assert with_config["config"]["timeoutSeconds"] == 10
    assert "requestTemplateUri" in with_config["config"]["request"]


def test_sorting(api: Api) -> None:
    for name in ("b", "C", "a"):
        api.create(name=name)
    asc = [e["name"] for e in _custom(api, sortBy="name")["entities"]]
    assert asc == ["a", "b", "C"]
    desc = [e["name"] for e in _custom(api, sortBy="name", sortOrder="desc")["entities"]]
    assert desc == ["C", "b", "a"]
    assert api.get(ACTIONS, params={"sortBy": "nope"}).status_code == 400
    assert api.get(ACTIONS, params={"sortOrder": "sideways"}).status_code == 400


def test_drafts_listing_only_has_drafts(api: Api) -> None:
    published = api.create(name="Published")["id"]
    drafted = api.create(name="Drafted")["id"]
    assert api.post(f"{ACTIONS}/{drafted}/draft").status_code == 200
    body = api.get(f"{ACTIONS}/drafts").json()
    assert [e["id"] for e in body["entities"]] == [drafted]
    assert body["entities"][0]["selfUri"].endswith("/draft")
    assert published not in {e["id"] for e in body["entities"]}


@settings(max_examples=150, deadline=None)
@given(total=st.integers(0, 60), page_size=st.integers(1, 25))
def test_paging_covers_every_entity_once(total: int, page_size: int) -> None:
    entities = [{"id": str(i)} for i in range(total)]
    first = paginate(entities, {"pageSize": str(page_size)}, ACTIONS, max_page_size=100)
    assert first["pageCount"] == -(-total // page_size)
    seen: list[dict[str, Any]] = []
    for number in range(1, first["pageCount"] + 2):
        query = {"pageSize": str(page_size), "pageNumber": str(number)}
        page = paginate(entities, query, ACTIONS, max_page_size=100)
        assert len(page["entities"]) <= page_size
        assert ("nextUri" in page) == (number < first["pageCount"])
        seen += page["entities"]
    assert seen == entities


def test_the_pages_of_a_listing_choose_and_sort_once_until_a_write(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each page costs O(page): the listing's order is computed for its first page and
    kept; any write makes the next page compute it again, so it is never stale."""
    sorts: list[int] = []
    real_sort = routes_actions.sort_entities

    def counting_sort(entities: list[dict[str, Any]], *args: Any) -> list[dict[str, Any]]:
        sorts.append(len(entities))
        return real_sort(entities, *args)

    monkeypatch.setattr(routes_actions, "sort_entities", counting_sort)
    for index in range(5):
        api.create(name=f"Action {index}")
    pages = [_custom(api, pageSize=2, pageNumber=n)["entities"] for n in (1, 2, 3)]
    assert [e["name"] for page in pages for e in page] == [f"Action {i}" for i in range(5)]
    assert sorts == [5]
    assert _custom(api, pageSize=2, sortOrder="DESC")["entities"][0]["name"] == "Action 4"
    assert sorts == [5, 5]  # another listing (its own order)
    api.create(name="Action 5")
    assert _custom(api, pageSize=2, pageNumber=3)["entities"][-1]["name"] == "Action 5"
    assert sorts == [5, 5, 6]
