"""Reads sent together: the pages of a listing after the first, and the three reads of
an action listed with its templates by URI. Each test's server answers only once every
read it expects has arrived (a barrier), so reads sent one after another fail it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconciler.errors import ApiError, MissingTemplateError
from reconciler.genesys import ActionsApi, GenesysClient
from reconciler.genesys._bounds import Limits
from reconciler.genesys._fanout import Fanout

from .fakes import FakeServer, json_response

MakeClient = Callable[..., GenesysClient]
BASE = "/api/v2/integrations/actions"
ACTION_ID = "custom_-_3f0c7c1e-0000-4000-8000-000000000001"
ONE = f"{BASE}/{ACTION_ID}"
NOT_FOUND = {"code": "not.found", "message": "Unable to find it"}


@pytest.fixture
def api(client: GenesysClient) -> ActionsApi:
    return ActionsApi(client)


def page_of(total: int, size: int, page: int, *, page_count: int | None = None) -> dict[str, Any]:
    ids = range((page - 1) * size, min(total, page * size))
    return {
        "entities": [{"id": f"custom_-_{i:04d}", "name": f"A {i}", "version": 1} for i in ids],
        "pageSize": size,
        "pageNumber": page,
        "total": total,
        "pageCount": -(-total // size) if page_count is None else page_count,
    }


def gathered(parties: int, answer: Callable[[httpx.Request], httpx.Response]) -> Any:
    """A handler that holds the requests it is given until ``parties`` have arrived."""
    barrier = threading.Barrier(parties, timeout=10)

    def handle(request: httpx.Request) -> httpx.Response:
        barrier.wait()  # BrokenBarrierError (the test fails) if they come one by one
        return answer(request)

    return handle


def test_the_pages_after_the_first_are_read_together(
    make_client: MakeClient, server: FakeServer
) -> None:
    api = ActionsApi(make_client(max_concurrency=8))
    later = gathered(4, lambda r: json_response(200, page_of(450, 100, _number(r))))

    def handle(request: httpx.Request) -> httpx.Response:
        if _number(request) == 1:
            return json_response(200, page_of(450, 100, 1))
        return later(request)

    server.api = handle
    found = [a["id"] for a in api.iter_actions()]
    assert found == [f"custom_-_{i:04d}" for i in range(450)]  # in order, each once
    assert sorted(_number(r) for _, r in server.calls) == [1, 2, 3, 4, 5]


def test_a_page_count_that_disagrees_with_the_total_is_followed_page_by_page(
    api: ActionsApi, server: FakeServer
) -> None:
    # pageCount 10**9 for 250 entities: pages are read one at a time and the empty
    # fourth ends the listing, as without a total.
    server.api = lambda r: json_response(200, page_of(250, 100, _number(r), page_count=10**9))
    assert len(list(api.iter_actions())) == 250
    assert [_number(r) for _, r in server.calls] == [1, 2, 3, 4]


def test_pages_read_together_stop_at_the_page_ceiling(
    make_client: MakeClient, server: FakeServer
) -> None:
    api = ActionsApi(make_client(limits=Limits(max_pages=5)))
    server.api = lambda r: json_response(200, page_of(10_000, 100, _number(r)))
    with pytest.raises(ApiError, match="did not end within 5 pages"):
        list(api.iter_actions())
    assert sorted(_number(r) for _, r in server.calls) == [1, 2, 3, 4, 5]


def test_a_listing_that_grows_while_read_is_followed_to_its_new_end(
    api: ActionsApi, server: FakeServer
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        page = _number(request)
        total = 250 if page == 1 else 350  # an action created after the first page
        return json_response(200, page_of(total, 100, page))

    server.api = handle
    assert len(list(api.iter_actions())) == 350
    assert sorted(_number(r) for _, r in server.calls) == [1, 2, 3, 4]


def test_a_server_that_ignores_page_number_is_still_an_error(
    api: ActionsApi, server: FakeServer
) -> None:
    server.api = lambda r: json_response(200, page_of(300, 100, 1))
    with pytest.raises(ApiError, match="page 2 lists only ids of earlier pages"):
        list(api.iter_actions())


def listed(*, inline: bool) -> dict[str, Any]:
    request: dict[str, Any] = {"requestUrlTemplate": "/x", "requestType": "GET"}
    response: dict[str, Any] = {"translationMap": {}}
    if inline:
        request["requestTemplate"] = "${input.rawRequest}"
        response["successTemplate"] = "${rawResult}"
    else:
        request["requestTemplateUri"] = f"{ONE}/templates/requesttemplate.vm"
        response["successTemplateUri"] = f"{ONE}/templates/successtemplate.vm"
    config = {"request": request, "response": response}
    return {"id": ACTION_ID, "name": "A", "version": 2, "config": config}


def list_one(api: ActionsApi, server: FakeServer, *, inline: bool) -> None:
    body = {"entities": [listed(inline=inline)], "total": 1, "pageCount": 1, "pageSize": 100}
    server.api = [json_response(200, body)]
    assert len(list(api.iter_actions())) == 1
    server.calls.clear()


def answer(action: dict[str, Any], templates: dict[str, httpx.Response]) -> Any:
    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith(".vm"):
            return templates.get(path.rsplit("/", 1)[1], json_response(404, NOT_FOUND))
        return json_response(200, action)

    return handle


def test_an_action_listed_with_uris_has_its_three_reads_sent_together(
    api: ActionsApi, server: FakeServer
) -> None:
    list_one(api, server, inline=False)
    texts = {"requesttemplate.vm": "REQ", "successtemplate.vm": "OK"}
    server.api = gathered(
        3, answer(listed(inline=False), {k: httpx.Response(200, text=v) for k, v in texts.items()})
    )
    full = api.get_action_full(ACTION_ID)
    assert full["config"]["request"]["requestTemplate"] == "REQ"
    assert full["config"]["response"]["successTemplate"] == "OK"
    assert sorted(server.paths) == [
        ONE,
        f"{ONE}/templates/requesttemplate.vm",
        f"{ONE}/templates/successtemplate.vm",
    ]


def test_an_action_listed_with_inline_templates_is_read_once(
    api: ActionsApi, server: FakeServer
) -> None:
    list_one(api, server, inline=True)
    server.api = answer(listed(inline=True), {})
    full = api.get_action_full(ACTION_ID)
    assert full["config"]["request"]["requestTemplate"] == "${input.rawRequest}"
    assert server.paths == [ONE]


def test_a_template_read_alongside_fails_only_when_the_action_needs_it(
    api: ActionsApi, server: FakeServer
) -> None:
    list_one(api, server, inline=False)
    # Edited since the listing: it now comes with its templates inline, and its files 404.
    server.api = answer(listed(inline=True), {})
    full = api.get_action_full(ACTION_ID)
    assert full["config"]["response"]["successTemplate"] == "${rawResult}"
    # Without them inline, the same missing file is the error it always was.
    server.api = answer(listed(inline=False), {})
    with pytest.raises(MissingTemplateError, match="not found, though the action exists"):
        api.get_action_full(ACTION_ID)


def test_an_action_gone_since_the_listing_is_its_own_404(
    api: ActionsApi, server: FakeServer
) -> None:
    list_one(api, server, inline=False)
    server.api = lambda request: json_response(404, NOT_FOUND)
    with pytest.raises(ApiError) as info:
        api.get_action_full(ACTION_ID)
    assert info.value.status == 404 and not isinstance(info.value, MissingTemplateError)
    assert f"GET {ONE}:" in str(info.value)


def _number(request: httpx.Request) -> int:
    return int(request.url.params["pageNumber"])


def test_without_room_for_three_requests_the_templates_are_read_in_turn(
    make_client: MakeClient, server: FakeServer
) -> None:
    """Many reads at once already fill the client's bound: each then reads its templates
    only once the action shows it needs them (here it does not: they came inline)."""
    api = ActionsApi(make_client(max_concurrency=2))
    list_one(api, server, inline=False)
    server.api = answer(listed(inline=True), {})
    api.get_action_full(ACTION_ID)
    assert server.paths == [ONE]


def test_a_fanout_raises_the_earliest_error_once_every_call_has_ended() -> None:
    fanout = Fanout(4)
    ended: list[str] = []
    started = threading.Barrier(3, timeout=10)

    def call(name: str, error: Exception | None) -> Callable[[], str]:
        def run() -> str:
            started.wait()  # all three at once
            ended.append(name)
            if error is not None:
                raise error
            return name

        return run

    with pytest.raises(LookupError, match="second"):
        fanout.run([call("a", None), call("b", LookupError("second")), call("c", KeyError("x"))])
    assert sorted(ended) == ["a", "b", "c"]
    assert fanout.run([call("a", None), call("b", None), call("c", None)]) == ["a", "b", "c"]
    fanout.close()
