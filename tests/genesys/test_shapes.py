"""Every answer's shape is checked where it is decoded; listings never run away."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconciler.errors import ApiError, ResponseShapeError
from reconciler.genesys import ActionsApi, GenesysClient
from reconciler.genesys._bounds import Limits

from .fakes import FakeServer, json_response

MakeClient = Callable[..., GenesysClient]
LISTING = "GET /api/v2/integrations/actions"
ACTION_ID = "custom_-_3f0c7c1e-0000-4000-8000-000000000001"
GOOD = {"id": "custom_-_a", "name": "A", "version": 1, "integrationId": "i-1"}


def entity(n: int) -> dict[str, Any]:
    return {"id": f"custom_-_{n:06d}", "name": f"A {n}", "version": 1}


@pytest.fixture
def api(client: GenesysClient) -> ActionsApi:
    return ActionsApi(client)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"entities": {"0": GOOD}}, "the page has entities an object, not an array"),
        ({"pageCount": 1}, "the page has no entities, not an array"),
        ([GOOD], "the answer is an array, not an object"),
        ({"entities": [GOOD, 7]}, "entities[1] is a number, not an object"),
        ({"entities": [GOOD, {"name": "B", "version": 1}]}, "entities[1] has no id"),
        ({"entities": [GOOD, {"id": None, "version": 1}]}, "entities[1] has no id"),
        ({"entities": [{"id": 42, "version": 1}]}, "entities[0].id is a number, not a string"),
        ({"entities": [{"id": "custom_-_\x1b[2J", "version": 1}]}, "entities[0].id is not a "),
        ({"entities": [{"id": "", "version": 1}]}, "entities[0].id is not a plausible id"),
        ({"entities": [{"id": "a"}]}, "entities[0] has no version"),
        ({"entities": [{"id": "a", "version": "2"}]}, "entities[0].version is a string, not an"),
        ({"entities": [{"id": "a", "version": True}]}, "entities[0].version is a boolean, not"),
        ({"entities": [{"id": "a", "version": 2.0}]}, "entities[0].version is a number, not an"),
        ({"entities": [{"id": "a", "version": -1}]}, "entities[0].version is out of range"),
        (
            {"entities": [{"id": "a", "version": 1, "integrationId": {"id": "i"}}]},
            "entities[0].integrationId is an object, not a string",
        ),
    ],
)
def test_a_listing_of_the_wrong_shape_is_an_error_naming_the_call(
    api: ActionsApi, server: FakeServer, body: Any, problem: str
) -> None:
    server.api = [json_response(200, body)]
    with pytest.raises(ResponseShapeError) as info:
        list(api.iter_actions())
    error = info.value
    assert error.message.startswith(f"{LISTING}: the server answered an unexpected shape: ")
    assert problem in error.message
    assert error.status == 200
    assert "\x1b" not in str(error)  # the id itself is never echoed


def test_an_integration_without_id_is_an_error(api: ActionsApi, server: FakeServer) -> None:
    server.api = [json_response(200, {"entities": [{"name": "Web Services"}]})]
    with pytest.raises(ResponseShapeError, match=r"/integrations: .*entities\[0\] has no id"):
        list(api.iter_integrations())


def test_integrations_need_no_version(api: ActionsApi, server: FakeServer) -> None:
    server.api = [json_response(200, {"entities": [{"id": "i-1", "name": "W"}], "pageCount": 1})]
    assert [i["id"] for i in api.iter_integrations()] == ["i-1"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"name": "A", "version": 1}, "the answer has no id"),
        ({"id": ACTION_ID, "name": "A"}, "the answer has no version"),
        ({"id": ACTION_ID, "version": 1}, "the answer has no name"),
        ({"id": ACTION_ID, "version": False, "name": "A"}, "version is a boolean"),
        ({"id": "custom_-_other", "version": 1, "name": "A"}, "another action than the one"),
        ({**GOOD, "id": ACTION_ID, "config": []}, "config is an array, not an object"),
        (
            {**GOOD, "id": ACTION_ID, "config": {"request": {"headers": "X: 1"}}},
            "config.request.headers is a string, not an object",
        ),
        (
            {**GOOD, "id": ACTION_ID, "config": {"response": {"successTemplate": 5}}},
            "config.response.successTemplate is a number, not a string",
        ),
        ({**GOOD, "id": ACTION_ID, "contract": {"input": "x"}}, "contract.input is a string"),
        ("just text", "the answer is a string, not an object"),
    ],
)
def test_an_action_of_the_wrong_shape_is_an_error(
    api: ActionsApi, server: FakeServer, body: Any, problem: str
) -> None:
    server.api = [json_response(200, body)]
    with pytest.raises(ResponseShapeError) as info:
        api.get_action(ACTION_ID)
    assert info.value.message.startswith(
        f"GET /api/v2/integrations/actions/{ACTION_ID}: the server answered an unexpected shape"
    )
    assert problem in info.value.message


def test_a_write_accepted_with_an_unusable_answer_is_a_shape_error_with_its_2xx_status(
    api: ActionsApi, server: FakeServer
) -> None:
    """Apply tells "the org took the write, its answer is unusable" by the class and the
    2xx status: such a write must be audited and read back, not taken as undone."""
    server.api = [json_response(201, {"name": "A", "version": 1})]
    with pytest.raises(ResponseShapeError) as info:
        api.create_action({"name": "A"})
    assert info.value.status == 201
    assert isinstance(info.value, ApiError)
    server.api = [httpx.Response(200, text="[" * 200_000)]  # json would raise RecursionError
    with pytest.raises(ResponseShapeError) as deep:
        api.patch_action(ACTION_ID, {"name": "A", "version": 1})
    assert deep.value.status == 200
    assert "nesting is too deep to read" in deep.value.message


def test_json_nested_too_deep_in_an_error_body_is_a_clean_error(
    client: GenesysClient, server: FakeServer
) -> None:
    server.api = [httpx.Response(400, text="[" * 200_000 + "]" * 200_000)]
    with pytest.raises(ApiError) as info:
        client.get_json("/api/v2/x")
    assert info.value.status == 400
    assert len(str(info.value)) < 400  # the text, shortened


def test_function_config_status_texts_are_printable(api: ActionsApi, server: FakeServer) -> None:
    body = {"zip": {"name": "code.zip", "status": "Failed\x1b[2J", "errorMessage": "bad\x07 zip"}}
    server.api = [json_response(200, body)]
    found = api.get_function(ACTION_ID)
    assert found["zip"] == {"name": "code.zip", "status": "Failed", "errorMessage": "bad zip"}
    server.api = [json_response(200, {"uploadExceptionHistory": "none"})]
    with pytest.raises(ResponseShapeError, match="uploadExceptionHistory is a string"):
        api.get_function(ACTION_ID)


# -- pagination ---------------------------------------------------------------------------


def pages(handler: Callable[[int], dict[str, Any]]) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        return json_response(200, handler(int(request.url.params["pageNumber"])))

    return handle


def test_a_server_that_ignores_page_number_is_an_error_not_a_loop(
    api: ActionsApi, server: FakeServer
) -> None:
    first = {"entities": [entity(n) for n in range(100)], "pageCount": 50}
    server.api = pages(lambda page: first)
    with pytest.raises(ResponseShapeError, match="page 2 lists only ids of earlier pages"):
        list(api.iter_actions())
    assert len(server.calls) == 2


def test_an_endless_listing_stops_at_the_page_ceiling(
    make_client: MakeClient, server: FakeServer
) -> None:
    api = ActionsApi(make_client(limits=Limits(max_pages=5)))
    server.api = pages(
        lambda page: {
            "entities": [entity(page * 1000 + n) for n in range(100)],
            "pageCount": 10**9,
        }
    )
    with pytest.raises(ApiError, match="did not end within 5 pages \\(DACTL_MAX_PAGES\\)"):
        list(api.iter_actions())
    assert len(server.calls) == 5


def test_a_listing_stops_at_the_entity_ceiling(make_client: MakeClient, server: FakeServer) -> None:
    api = ActionsApi(make_client(limits=Limits(max_entities=250)))
    server.api = pages(
        lambda page: {"entities": [entity(page * 1000 + n) for n in range(100)]}  # no pageCount
    )
    with pytest.raises(ApiError, match="passed 250 entities"):
        list(api.iter_actions())
    assert len(server.calls) == 3


def test_an_empty_page_ends_the_listing_whatever_page_count_says(
    api: ActionsApi, server: FakeServer
) -> None:
    server.api = pages(
        lambda page: {
            "entities": [entity(page * 1000 + n) for n in range(100)] if page < 3 else [],
            "pageCount": 10**9,
        }
    )
    assert len(list(api.iter_actions())) == 200
    assert len(server.calls) == 3


def test_a_boolean_page_count_is_no_page_count(api: ActionsApi, server: FakeServer) -> None:
    # True == 1 in Python: taken as a page count, the listing would stop after page 1.
    server.api = pages(
        lambda page: {
            "entities": [entity(page * 10 + n) for n in range(2 if page == 1 else 1)],
            "pageCount": True,
        }
    )
    assert len(list(api.iter_actions(page_size=2))) == 3
    assert len(server.calls) == 2


def test_a_shifted_listing_that_repeats_some_ids_yields_each_once(
    api: ActionsApi, server: FakeServer
) -> None:
    server.api = pages(
        lambda page: {
            "entities": [entity(n) for n in range(100)]
            if page == 1
            else [entity(n) for n in range(99, 150)],
            "pageCount": 2,
        }
    )
    assert len(list(api.iter_actions())) == 150
