"""Architect dependency tracking in the sandbox: flows registered as consumers of actions,
the ``ConsumingResourcesEntityListing`` and ``DependencyStatus`` shapes, filters, paging."""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.config import SandboxConfig

from .helpers import Api, action_body

CONSUMERS = "/api/v2/architect/dependencytracking/consumingresources"
BUILD = "/api/v2/architect/dependencytracking/build"


def _create(api: Api, **overrides: Any) -> str:
    response = api.post("/api/v2/integrations/actions", json=action_body(**overrides))
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def _flow(api: Api, name: str, *ids: str, **extra: Any) -> dict[str, Any]:
    response = api.http.post("/sandbox/flows", json={"name": name, "consumes": list(ids), **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_consumers_have_the_dependency_shape_and_filters(api: Api) -> None:
    action_id = _create(api)
    main = _flow(api, "Inbound Main", action_id, type="inboundcallflow", version="12.0")
    _flow(api, "Draft", action_id, published=False, type="INBOUNDCHATFLOW")
    _flow(api, "Unrelated", "custom_-_other")
    page = api.get(CONSUMERS, params={"id": action_id, "objectType": "DATAACTION"}).json()
    assert page["total"] == 2 and page["pageCount"] == 1 and page["pageNumber"] == 1
    assert page["entities"][1] == {
        "id": main["id"],
        "name": "Inbound Main",
        "version": "12.0",
        "type": "INBOUNDCALLFLOW",
        "deleted": False,
        "updated": False,
        "stateUnknown": False,
        "selfUri": f"/api/v2/flows/{main['id']}",
    }
    published = {"id": action_id, "objectType": "DATAACTION", "flowFilter": "published"}
    assert [e["name"] for e in api.get(CONSUMERS, params=published).json()["entities"]] == [
        "Inbound Main"
    ]
    checked_in = {**published, "flowFilter": "checkedIn"}
    assert [e["name"] for e in api.get(CONSUMERS, params=checked_in).json()["entities"]] == [
        "Draft"
    ]
    typed = {"id": action_id, "objectType": "DATAACTION", "resourceType": "INBOUNDCHATFLOW"}
    assert [e["name"] for e in api.get(CONSUMERS, params=typed).json()["entities"]] == ["Draft"]


def test_a_secure_action_is_consumed_as_secureaction(api: Api) -> None:
    action_id = _create(api, secure=True)
    _flow(api, "Payments", action_id)
    as_data = api.get(CONSUMERS, params={"id": action_id, "objectType": "DATAACTION"}).json()
    as_secure = api.get(CONSUMERS, params={"id": action_id, "objectType": "SECUREACTION"}).json()
    assert as_data["entities"] == [] and [e["name"] for e in as_secure["entities"]] == ["Payments"]


def test_consumers_are_paged(api: Api) -> None:
    action_id = _create(api)
    for n in range(30):
        _flow(api, f"Flow {n:02}", action_id)
    query = {"id": action_id, "objectType": "DATAACTION"}
    first = api.get(CONSUMERS, params=query).json()
    second = api.get(CONSUMERS, params={**query, "pageNumber": 2}).json()
    assert (first["pageSize"], first["pageCount"], len(first["entities"])) == (25, 2, 25)
    assert len(second["entities"]) == 5 and "nextUri" in first and "nextUri" not in second


def test_bad_queries_are_400(api: Api) -> None:
    assert api.get(CONSUMERS, params={"objectType": "DATAACTION"}).status_code == 400
    assert api.get(CONSUMERS, params={"id": "x"}).status_code == 400
    bad_filter = {"id": "x", "objectType": "DATAACTION", "flowFilter": "all"}
    assert api.get(CONSUMERS, params=bad_filter).status_code == 400
    assert api.http.post("/sandbox/flows", json={"consumes": ["x"]}).status_code == 400


def test_the_build_status_is_a_knob_and_a_control(make_api: Any) -> None:
    api = make_api(SandboxConfig(dependency_build_status="BUILDINPROGRESS"))
    status = api.get(BUILD).json()
    assert status["status"] == "BUILDINPROGRESS" and "dateCompleted" not in status
    changed = api.http.put("/sandbox/dependencytracking/build", json={"status": "OPERATIONAL"})
    assert changed.status_code == 200 and api.get(BUILD).json()["dateCompleted"]
    refused = api.http.put("/sandbox/dependencytracking/build", json={"status": "FINE"})
    assert refused.status_code == 400


def test_reset_forgets_the_flows(api: Api) -> None:
    _flow(api, "Inbound Main", "custom_-_x")
    api.http.post("/sandbox/reset")
    assert api.http.get("/sandbox/flows").json() == {"flows": []}
