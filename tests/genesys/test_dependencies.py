"""``DependencyTracking`` (on ``ActionsApi``): the consumers listing, paged and checked,
and the build status, as the SDK's ``ArchitectApi`` sends them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reconciler.errors import ApiError, ResponseShapeError
from reconciler.genesys import ActionsApi, GenesysClient

from .fakes import FakeServer, json_response

CONSUMERS = "/api/v2/architect/dependencytracking/consumingresources"


@pytest.fixture
def api(client: GenesysClient) -> ActionsApi:
    return ActionsApi(client)


def flows(total: int, page: int, size: int = 25) -> dict[str, Any]:
    ids = range((page - 1) * size, min(total, page * size))
    return {
        "entities": [
            {"id": f"flow-{i}", "name": f"Flow {i}", "type": "INBOUNDCALLFLOW", "version": "2.0"}
            for i in ids
        ],
        "pageSize": size,
        "pageNumber": page,
        "total": total,
        "pageCount": -(-total // size),
    }


def test_consumers_are_asked_as_the_sdk_asks_and_every_page_is_read(
    api: ActionsApi, server: FakeServer
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return json_response(200, flows(30, int(request.url.params["pageNumber"])))

    server.api = handle
    found = api.consuming_resources("custom_-_a", "DATAACTION", flow_filter="published")
    assert [f["id"] for f in found] == [f"flow-{i}" for i in range(30)]
    params = [dict(r.url.params) for _, r in server.calls]
    assert params == [
        {
            "id": "custom_-_a",
            "objectType": "DATAACTION",
            "flowFilter": "published",
            "pageSize": "25",
            "pageNumber": str(n),
        }
        for n in (1, 2)
    ]
    assert server.paths == [CONSUMERS, CONSUMERS]


def test_a_server_that_ignores_page_number_ends_the_listing(
    api: ActionsApi, server: FakeServer
) -> None:
    body = {**flows(25, 1), "pageCount": 9}
    server.api = lambda _request: json_response(200, body)
    assert len(api.consuming_resources("custom_-_a", "DATAACTION")) == 25
    assert len(server.calls) == 2  # the second page named nothing new


def test_a_consumer_without_an_id_is_a_shape_error(api: ActionsApi, server: FakeServer) -> None:
    server.api = lambda _request: json_response(200, {"entities": [{"name": "x"}]})
    with pytest.raises(ResponseShapeError, match=r"entities\[0\] has no id"):
        api.consuming_resources("custom_-_a", "DATAACTION")


def test_a_refused_read_is_an_api_error_with_its_status(
    api: ActionsApi, server: FakeServer
) -> None:
    server.api = lambda _request: json_response(403, {"code": "missing.permissions"})
    with pytest.raises(ApiError) as raised:
        api.consuming_resources("custom_-_a", "DATAACTION")
    assert raised.value.status == 403


def test_the_build_status(api: ActionsApi, server: FakeServer) -> None:
    server.api = lambda _request: json_response(200, {"status": "BUILDINPROGRESS"})
    assert api.dependency_build() == {"status": "BUILDINPROGRESS"}
    assert server.paths == ["/api/v2/architect/dependencytracking/build"]
