from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconciler import __version__
from reconciler.errors import ApiError
from reconciler.genesys import ActionsApi, GenesysClient

from .fakes import FakeServer, json_response

MakeClient = Callable[..., GenesysClient]
BASE = "/api/v2/integrations/actions"
ACTION_ID = "custom_-_3f0c7c1e-0000-4000-8000-000000000001"


@pytest.fixture
def api(client: GenesysClient) -> ActionsApi:
    return ActionsApi(client)


def listing(total: int, page_size: int, page: int, *, page_count: bool = True) -> dict[str, Any]:
    start = (page - 1) * page_size
    ids = range(start, min(total, start + page_size))
    body: dict[str, Any] = {
        "entities": [{"id": f"custom_-_{i:04d}", "name": f"A {i}", "version": 1} for i in ids],
        "pageSize": page_size,
        "pageNumber": page,
        "total": total,
    }
    if page_count:
        body["pageCount"] = -(-total // page_size)
    return body


def paged(total: int, *, page_count: bool = True) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        size, page = int(request.url.params["pageSize"]), int(request.url.params["pageNumber"])
        return json_response(200, listing(total, size, page, page_count=page_count))

    return handle


def action(*, inline: bool) -> dict[str, Any]:
    request: dict[str, Any] = {"requestUrlTemplate": "/api/v2/x", "requestType": "GET"}
    response: dict[str, Any] = {"translationMap": {}}
    if inline:
        request["requestTemplate"] = "${input.rawRequest}"
        response["successTemplate"] = "${rawResult}"
    else:
        request["requestTemplateUri"] = f"{BASE}/{ACTION_ID}/templates/requesttemplate.vm"
        response["successTemplateUri"] = f"{BASE}/{ACTION_ID}/templates/successtemplate.vm"
    return {
        "id": ACTION_ID,
        "name": "Get callbacks waiting",
        "version": 3,
        "contract": {"input": {"inputSchema": {"type": "object"}}},
        "config": {"timeoutSeconds": 10, "request": request, "response": response},
    }


def test_pagination_requests_exactly_three_pages(api: ActionsApi, server: FakeServer) -> None:
    server.api = paged(250)
    actions = list(api.iter_actions())
    assert len(actions) == 250
    assert len({a["id"] for a in actions}) == 250
    assert [str(r.url) for _, r in server.calls] == [
        f"https://api.example.test{BASE}?pageSize=100&pageNumber={n}&includeConfig=true"
        for n in (1, 2, 3)
    ]


def test_pagination_without_page_count_stops_at_a_short_or_empty_page(
    api: ActionsApi, server: FakeServer
) -> None:
    server.api = paged(200, page_count=False)
    assert len(list(api.iter_actions())) == 200
    assert len(server.calls) == 3  # the third page is empty
    server.calls.clear()
    server.api = paged(150, page_count=False)
    assert len(list(api.iter_actions())) == 150
    assert len(server.calls) == 2


def test_listing_filters_are_sent_as_genesys_expects(api: ActionsApi, server: FakeServer) -> None:
    server.api = paged(0)
    list(
        api.iter_actions(
            include_config=False, page_size=25, name="Get", secure=False, include_auth_actions=True
        )
    )
    params = server.calls[0][1].url.params
    assert dict(params) == {
        "pageSize": "25",
        "pageNumber": "1",
        "name": "Get",
        "secure": "false",
        "includeAuthActions": "true",
    }


def test_ids_filter_is_split_into_chunks_of_50(api: ActionsApi, server: FakeServer) -> None:
    server.api = paged(0)
    list(api.iter_actions(ids=[f"id-{i}" for i in range(120)]))
    chunks = [r.url.params["ids"].split(",") for _, r in server.calls]
    assert [len(chunk) for chunk in chunks] == [50, 50, 20]


def test_get_action_asks_for_contract_and_config(api: ActionsApi, server: FakeServer) -> None:
    server.api = [json_response(200, action(inline=True))]
    assert api.get_action(ACTION_ID)["version"] == 3
    url = server.calls[0][1].url
    assert url.path == f"{BASE}/{ACTION_ID}"
    assert dict(url.params) == {"expand": "contract", "includeConfig": "true"}


def test_get_action_full_fetches_both_templates_when_only_uris_came(
    api: ActionsApi, server: FakeServer
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(".vm"):
            assert request.headers["Accept"] == "text/plain"
            return httpx.Response(200, text=f"TEMPLATE {request.url.path.rsplit('/', 1)[1]}")
        return json_response(200, action(inline=False))

    server.api = handle
    full = api.get_action_full(ACTION_ID)
    assert server.paths == [
        f"{BASE}/{ACTION_ID}",
        f"{BASE}/{ACTION_ID}/templates/requesttemplate.vm",
        f"{BASE}/{ACTION_ID}/templates/successtemplate.vm",
    ]
    assert full["config"]["request"]["requestTemplate"] == "TEMPLATE requesttemplate.vm"
    assert full["config"]["response"]["successTemplate"] == "TEMPLATE successtemplate.vm"


def test_get_action_full_fetches_nothing_more_when_inline(
    api: ActionsApi, server: FakeServer
) -> None:
    server.api = [json_response(200, action(inline=True))]
    full = api.get_action_full(ACTION_ID)
    assert len(server.calls) == 1
    assert full["config"]["request"]["requestTemplate"] == "${input.rawRequest}"


def test_draft_templates_come_from_the_draft_endpoint(api: ActionsApi, server: FakeServer) -> None:
    server.api = [
        json_response(200, action(inline=False)),
        httpx.Response(200, text="r"),
        httpx.Response(200, text="s"),
    ]
    draft = api.get_draft_full(ACTION_ID)
    assert draft is not None
    assert server.paths[1] == f"{BASE}/{ACTION_ID}/draft/templates/requesttemplate.vm"


def test_get_draft_404_is_none(api: ActionsApi, server: FakeServer) -> None:
    server.api = [json_response(404, {"code": "not.found", "message": "no draft"})]
    assert api.get_draft(ACTION_ID) is None
    server.api = [json_response(403, {"code": "missing.permissions", "message": "no"})]
    with pytest.raises(ApiError):
        api.get_draft(ACTION_ID)


def test_write_calls_use_the_documented_endpoints(api: ActionsApi, server: FakeServer) -> None:
    server.api = lambda request: json_response(200, {"id": ACTION_ID, "name": "n", "version": 1})
    api.create_action({"name": "n"})
    api.create_draft_only({"name": "n"})
    api.create_draft(ACTION_ID)
    api.patch_action(ACTION_ID, {"name": "n", "version": 3})
    api.patch_draft(ACTION_ID, {"name": "n", "version": 1})
    api.publish_draft(ACTION_ID, 1)
    api.validate_draft(ACTION_ID)
    api.test_action(ACTION_ID, {"queueId": "q"})
    api.test_action(ACTION_ID, {"queueId": "q"}, draft=True)
    api.execute_action(ACTION_ID, {"queueId": "q"})
    server.api = lambda request: httpx.Response(204)
    api.delete_draft(ACTION_ID)
    api.delete_action(ACTION_ID)
    one = f"{BASE}/{ACTION_ID}"
    assert [(r.method, r.url.path) for _, r in server.calls] == [
        ("POST", BASE),
        ("POST", f"{BASE}/drafts"),
        ("POST", f"{one}/draft"),
        ("PATCH", one),
        ("PATCH", f"{one}/draft"),
        ("POST", f"{one}/draft/publish"),
        ("GET", f"{one}/draft/validation"),
        ("POST", f"{one}/test"),
        ("POST", f"{one}/draft/test"),
        ("POST", f"{one}/execute"),
        ("DELETE", f"{one}/draft"),
        ("DELETE", one),
    ]
    assert json.loads(server.calls[5][1].content) == {"version": 1}
    assert json.loads(server.calls[7][1].content) == {"queueId": "q"}


def test_patch_needs_a_version_and_is_left_to_apply_after_a_5xx(
    api: ActionsApi, server: FakeServer
) -> None:
    """A 5xx may mean the PATCH was done: the client does not send it again by itself, so
    apply can read back and record what the org did (then resend with the same version)."""
    with pytest.raises(ValueError, match="version"):
        api.patch_action(ACTION_ID, {"name": "n"})
    server.api = [json_response(503), json_response(200, {"version": 4})]
    with pytest.raises(ApiError) as failed:
        api.patch_action(ACTION_ID, {"name": "n", "version": 3})
    assert failed.value.status == 503
    assert len(server.calls) == 1


def test_create_is_not_retried_on_5xx(api: ActionsApi, server: FakeServer) -> None:
    server.api = [json_response(503)]
    with pytest.raises(ApiError):
        api.create_action({"name": "n"})
    assert len(server.calls) == 1


def test_find_integrations_by_name_and_type(api: ActionsApi, server: FakeServer) -> None:
    entities = [
        {
            "id": "i1",
            "name": "Genesys Cloud Data Actions",
            "integrationType": {"id": "purecloud-data-actions"},
        },
        {
            "id": "i2",
            "name": "Web Services Data Actions",
            "integrationType": {"id": "custom-rest-actions"},
        },
        {
            "id": "i3",
            "name": "Web Services Data Actions",
            "integrationType": {"id": "purecloud-data-actions"},
        },
    ]
    server.api = lambda request: json_response(200, {"entities": entities, "pageCount": 1})
    found = api.find_integrations(name="Web Services Data Actions")
    assert [i["id"] for i in found] == ["i2", "i3"]
    found = api.find_integrations(name="Web Services Data Actions", type_id="custom-rest-actions")
    assert [i["id"] for i in found] == ["i2"]
    assert server.calls[-1][1].url.params["integrationType"] == "custom-rest-actions"
    assert server.calls[-1][1].url.path == "/api/v2/integrations"


def test_user_agent(client: GenesysClient, server: FakeServer) -> None:
    client.get_json("/api/v2/x")
    assert server.calls[0][1].headers["User-Agent"] == f"dactl/{__version__} (+python-httpx)"


def test_map_preserves_order_and_bounds_concurrency(
    make_client: MakeClient, server: FakeServer
) -> None:
    limit = 3
    lock = threading.Lock()
    in_flight, peak, seen = 0, 0, 0
    # The first `limit` requests meet at a barrier: proof that `limit` run at once.
    barrier = threading.Barrier(limit, timeout=10)

    def handle(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak, seen
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
            seen += 1
            first_wave = seen <= limit
        if first_wave:
            barrier.wait()
        with lock:
            in_flight -= 1
        return json_response(200, {"n": request.url.path.rsplit("/", 1)[1]})

    client = make_client(max_concurrency=limit)
    server.api = handle
    results = client.map(lambda i: client.get_json(f"/api/v2/x/{i}")["n"], range(20))
    assert results == [str(i) for i in range(20)]
    assert peak == limit


def test_map_reraises_the_first_error(make_client: MakeClient, server: FakeServer) -> None:
    client = make_client(max_concurrency=4)

    def work(i: int) -> int:
        if i in (5, 9):
            raise ApiError(f"item {i} failed")
        return i

    with pytest.raises(ApiError, match="item 5 failed"):
        client.map(work, range(12))
    assert client.map(work, []) == []
    assert client.map(lambda i: i * 2, [1]) == [2]


def test_running_an_action_waits_for_the_action_s_own_timeout(
    api: ActionsApi, server: FakeServer
) -> None:
    """/test answers once the action has run, which may take its timeout (up to 60 s):
    that call reads longer than the others, which keep the client's read timeout."""
    reads: dict[str, float] = {}

    def handle(request: httpx.Request) -> httpx.Response:
        reads[request.url.path.rsplit("/", 1)[-1]] = request.extensions["timeout"]["read"]
        if request.url.path.endswith("/test"):
            return json_response(200, {"success": True, "operations": []})
        return json_response(200, {"entities": [], "pageSize": 100, "pageNumber": 1})

    server.api = handle
    api.test_action(ACTION_ID, {"q": "x"})
    list(api.iter_actions())
    assert reads == {"test": 90.0, "actions": 30.0}
