"""Create, get, patch, delete of published actions, the file endpoints, and §4 limits."""

from __future__ import annotations

import re
from typing import Any

import pytest

from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.seed import GENESYS_CLOUD_INTEGRATION_ID

from .helpers import ACTIONS, Api, action_body

ERROR_FIELDS = {"message", "code", "status", "messageParams", "contextId", "details", "errors"}


def test_create_returns_published_version_1(api: Api) -> None:
    created = api.create()
    assert re.fullmatch(r"custom_-_[0-9a-f-]{36}", created["id"])
    assert created["version"] == 1
    assert created["integrationId"] == GENESYS_CLOUD_INTEGRATION_ID
    assert created["contract"]["input"]["inputSchema"]["required"] == ["queueId"]
    assert created["config"]["timeoutSeconds"] == 10
    assert api.get(f"{ACTIONS}/{created['id']}/draft").status_code == 404


def test_get_is_minimal_without_expand(api: Api) -> None:
    action_id = api.create()["id"]
    body = api.get(f"{ACTIONS}/{action_id}").json()
    assert "contract" not in body and "config" not in body
    assert body["selfUri"] == f"{ACTIONS}/{action_id}"
    assert body["name"] == "Get Queue Waiting Count"


def test_get_with_contract_and_config_uses_uris(api: Api) -> None:
    action_id = api.create()["id"]
    body = api.get(
        f"{ACTIONS}/{action_id}", params={"expand": "contract", "includeConfig": "true"}
    ).json()
    base = f"{ACTIONS}/{action_id}"
    assert body["contract"]["input"]["inputSchemaUri"] == f"{base}/schemas/inputschema.json"
    assert body["contract"]["output"]["successSchemaUri"] == f"{base}/schemas/successschema.json"
    request, response = body["config"]["request"], body["config"]["response"]
    assert request["requestTemplateUri"] == f"{base}/templates/requesttemplate.vm"
    assert response["successTemplateUri"] == f"{base}/templates/successtemplate.vm"
    assert "requestTemplate" not in request and "successTemplate" not in response
    assert response["translationMapDefaults"] == {"waiting": "0"}


def test_inline_templates_knob(make_api: Any) -> None:
    api = make_api(SandboxConfig(inline_templates=True))
    action_id = api.create()["id"]
    config = api.get(f"{ACTIONS}/{action_id}", params={"includeConfig": "true"}).json()["config"]
    assert config["request"]["requestTemplate"] == "${input.rawRequest}"
    assert "requestTemplateUri" in config["request"]


def test_flatten_gives_flattened_schemas_only(api: Api) -> None:
    action_id = api.create()["id"]
    contract = api.get(
        f"{ACTIONS}/{action_id}", params={"expand": "contract", "flatten": "true"}
    ).json()["contract"]
    assert "inputSchema" not in contract["input"]
    flat = contract["input"]["inputSchemaFlattened"]
    assert flat["schema"]["properties"] == {"queueId": {"type": "string"}}
    assert flat["arrayProperties"] == []


def test_template_and_schema_files(api: Api) -> None:
    action_id = api.create()["id"]
    template = api.get(f"{ACTIONS}/{action_id}/templates/successtemplate.vm")
    assert template.status_code == 200
    assert template.headers["content-type"].startswith("text/plain")
    assert template.text == '{"waiting": ${waiting}}'
    schema = api.get(f"{ACTIONS}/{action_id}/schemas/successschema.json").json()
    assert schema["properties"] == {"waiting": {"type": "integer"}}
    assert api.get(f"{ACTIONS}/{action_id}/schemas/errorschema.json").status_code == 404
    assert api.get(f"{ACTIONS}/{action_id}/templates/other.vm").status_code == 404


def test_missing_templates_get_genesys_defaults(api: Api) -> None:
    body = action_body()
    del body["config"]["request"]["requestTemplate"]
    del body["config"]["response"]["successTemplate"]
    action_id = api.post(ACTIONS, json=body).json()["id"]
    assert api.get(f"{ACTIONS}/{action_id}/templates/requesttemplate.vm").text == (
        "${input.rawRequest}"
    )
    assert api.get(f"{ACTIONS}/{action_id}/templates/successtemplate.vm").text == "${rawResult}"


@pytest.mark.parametrize("missing", ["name", "category", "integrationId", "config", "contract"])
def test_create_requires_fields(api: Api, missing: str) -> None:
    body = action_body()
    del body[missing]
    response = api.post(ACTIONS, json=body)
    assert response.status_code == 400
    assert set(response.json()) >= ERROR_FIELDS
    assert response.json()["code"] == "bad.request"
    assert missing in response.json()["message"]


def test_create_unknown_integration(api: Api) -> None:
    response = api.post(ACTIONS, json=action_body(integrationId="nope"))
    assert response.status_code == 400
    assert "nope" in response.json()["message"]


def test_patch_bumps_version_and_replaces_config(api: Api) -> None:
    created = api.create()
    config = action_body()["config"]
    del config["timeoutSeconds"]
    response = api.patch(
        f"{ACTIONS}/{created['id']}", json={"version": 1, "name": "Renamed", "config": config}
    )
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response.json()["name"] == "Renamed"
    fetched = api.get(f"{ACTIONS}/{created['id']}", params={"includeConfig": "true"}).json()
    assert fetched["version"] == 2
    assert "timeoutSeconds" not in fetched["config"]
    again = api.patch(f"{ACTIONS}/{created['id']}", json={"version": 2, "name": "Third"})
    assert again.json()["version"] == 3


def test_stale_patch_is_409_error_body(api: Api) -> None:
    action_id = api.create()["id"]
    assert api.patch(f"{ACTIONS}/{action_id}", json={"version": 1, "name": "A"}).status_code == 200
    stale = api.patch(f"{ACTIONS}/{action_id}", json={"version": 1, "name": "B"})
    assert stale.status_code == 409
    body = stale.json()
    assert set(body) >= ERROR_FIELDS
    assert body["status"] == 409
    assert body["code"] == "conflict"
    assert "version" in body["message"]
    assert api.get(f"{ACTIONS}/{action_id}").json()["name"] == "A"


def test_conflict_code_is_configurable(make_api: Any) -> None:
    api = make_api(SandboxConfig(conflict_code="version.mismatch"))
    action_id = api.create()["id"]
    stale = api.patch(f"{ACTIONS}/{action_id}", json={"version": 7, "name": "B"})
    assert (stale.status_code, stale.json()["code"]) == (409, "version.mismatch")


def test_patch_requires_version(api: Api) -> None:
    action_id = api.create()["id"]
    response = api.patch(f"{ACTIONS}/{action_id}", json={"name": "B"})
    assert response.status_code == 400
    assert "version" in response.json()["message"]


@pytest.mark.parametrize("field", ["contract", "secure", "integrationId"])
def test_patch_rejects_immutable_fields(api: Api, field: str) -> None:
    action_id = api.create()["id"]
    value = action_body()[field]
    response = api.patch(f"{ACTIONS}/{action_id}", json={"version": 1, field: value})
    assert response.status_code == 400
    assert field in response.json()["message"]
    assert api.get(f"{ACTIONS}/{action_id}").json()["version"] == 1


def test_immutable_category_knob(make_api: Any) -> None:
    mutable = make_api()
    action_id = mutable.create()["id"]
    response = mutable.patch(f"{ACTIONS}/{action_id}", json={"version": 1, "category": "Other"})
    assert response.status_code == 200
    strict = make_api(SandboxConfig(immutable_category=True))
    action_id = strict.create()["id"]
    response = strict.patch(f"{ACTIONS}/{action_id}", json={"version": 1, "category": "Other"})
    assert response.status_code == 400


def test_delete_then_gone(api: Api) -> None:
    action_id = api.create()["id"]
    response = api.delete(f"{ACTIONS}/{action_id}")
    assert response.status_code == 204
    assert response.content == b""
    gone = api.get(f"{ACTIONS}/{action_id}")
    assert gone.status_code == 404
    assert gone.json()["code"] == "not.found"
    assert api.delete(f"{ACTIONS}/{action_id}").status_code == 404


def _with_config(**changes: Any) -> dict[str, Any]:
    body = action_body()
    body["config"].update(changes)
    return body


def _with_input(properties: dict[str, Any]) -> dict[str, Any]:
    body = action_body()
    body["contract"]["input"]["inputSchema"] = {"type": "object", "properties": properties}
    return body


def _with_output(schema: dict[str, Any]) -> dict[str, Any]:
    body = action_body()
    body["contract"]["output"]["successSchema"] = schema
    return body


def _deep(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"x": schema}}
    return schema


INVALID = {
    "timeout 0": (_with_config(timeoutSeconds=0), "timeoutSeconds"),
    "timeout 61": (_with_config(timeoutSeconds=61), "timeoutSeconds"),
    "timeout text": (_with_config(timeoutSeconds="10"), "timeoutSeconds"),
    "name too long": (action_body(name="n" * 257), "name"),
    "empty name": (action_body(name=""), "name"),
    "category too long": (action_body(category="c" * 257), "category"),
    "request type": (
        _with_config(request={"requestUrlTemplate": "/x", "requestType": "HEAD"}),
        "requestType",
    ),
    "nested input object": (_with_input({"a": {"type": "object"}}), "flat"),
    "input array": (_with_input({"a": {"type": "array", "items": {"type": "string"}}}), "flat"),
    "bad input name": (_with_input({"1abc": {"type": "string"}}), "invalid"),
    "reserved input name": (_with_input({"rawRequest": {"type": "string"}}), "reserved"),
    "input $ref": (_with_input({"a": {"$ref": "#/definitions/a"}}), "$ref"),
    "nested output arrays": (
        _with_output(
            {
                "type": "object",
                "properties": {"m": {"type": "array", "items": {"type": "array"}}},
            }
        ),
        "nested arrays",
    ),
    "too deep": (_with_output(_deep(30)), "deeper than 50"),
    "not a schema": (_with_output({"type": 12}), "JSON Schema"),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_limits_are_enforced(api: Api, case: str) -> None:
    body, expected = INVALID[case]
    response = api.post(ACTIONS, json=body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert set(error) >= ERROR_FIELDS
    assert expected in error["message"] or any(expected in e["message"] for e in error["errors"])


def test_limits_at_the_edges_are_accepted(api: Api) -> None:
    for timeout in (1, 60):
        assert api.post(ACTIONS, json=_with_config(timeoutSeconds=timeout)).status_code == 200
    assert api.post(ACTIONS, json=action_body(name="n" * 256)).status_code == 200
    assert api.post(ACTIONS, json=_with_output(_deep(20))).status_code == 200


def test_invalid_json_body(api: Api) -> None:
    response = api.post(ACTIONS, content=b"{nope", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "bad.request"


def test_categories(api: Api) -> None:
    api.create()
    api.create(category="Zeta")
    body = api.get(f"{ACTIONS}/categories").json()
    names = [e["name"] for e in body["entities"]]
    assert names == ["Genesys Cloud Data Actions", "Salesforce Data Actions", "Zeta"]
    assert body["total"] == 3 and body["pageCount"] == 1
    desc = api.get(f"{ACTIONS}/categories", params={"sortOrder": "DESC"}).json()
    assert [e["name"] for e in desc["entities"]] == names[::-1]
    assert api.get(f"{ACTIONS}/categories", params={"sortBy": "id"}).status_code == 400


def test_unknown_route_is_genesys_404(api: Api) -> None:
    response = api.get("/api/v2/nothing/here")
    assert response.status_code == 404
    assert set(response.json()) >= ERROR_FIELDS
