"""Draft lifecycle: create, patch with the draft's own version, validate, publish, delete."""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.config import SandboxConfig

from .helpers import ACTIONS, Api, action_body


def test_draft_only_lifecycle(api: Api) -> None:
    created = api.post(f"{ACTIONS}/drafts", json=action_body(name="Draft only"))
    assert created.status_code == 200
    draft = created.json()
    action_id = draft["id"]
    assert draft["version"] == 1
    assert draft["selfUri"] == f"{ACTIONS}/{action_id}/draft"
    assert api.get(f"{ACTIONS}/{action_id}").status_code == 404
    assert action_id not in {e["id"] for e in api.get(ACTIONS).json()["entities"]}

    contract = action_body()["contract"]
    contract["input"]["inputSchema"]["properties"]["extra"] = {"type": "integer"}
    patched = api.patch(
        f"{ACTIONS}/{action_id}/draft", json={"version": 1, "contract": contract, "secure": True}
    )
    assert patched.status_code == 200
    assert patched.json()["version"] == 2
    assert patched.json()["secure"] is True
    stale = api.patch(f"{ACTIONS}/{action_id}/draft", json={"version": 1, "name": "x"})
    assert stale.status_code == 409

    validation = api.get(f"{ACTIONS}/{action_id}/draft/validation")
    assert validation.json() == {"valid": True, "errors": []}

    wrong = api.post(f"{ACTIONS}/{action_id}/draft/publish", json={"version": 1})
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "bad.request"
    assert wrong.json()["message"] == "Supplied version 1 does not match latest draft version 2"

    published = api.post(f"{ACTIONS}/{action_id}/draft/publish", json={"version": 2})
    assert published.status_code == 200
    assert published.json()["version"] == 1
    assert published.json()["contract"]["input"]["inputSchema"]["properties"]["extra"]
    assert api.get(f"{ACTIONS}/{action_id}/draft").status_code == 404
    assert api.get(f"{ACTIONS}/{action_id}").json()["secure"] is True


def test_draft_of_published_action(api: Api) -> None:
    action_id = api.create()["id"]
    api.patch(f"{ACTIONS}/{action_id}", json={"version": 1, "name": "v2"})
    assert api.get(f"{ACTIONS}/{action_id}/draft").status_code == 404
    draft = api.post(f"{ACTIONS}/{action_id}/draft").json()
    assert draft["version"] == 1
    assert draft["name"] == "v2"
    assert draft["contract"]["input"]["inputSchema"]["required"] == ["queueId"]
    fetched = api.get(f"{ACTIONS}/{action_id}/draft", params={"includeConfig": "true"}).json()
    assert fetched["config"]["request"]["requestTemplateUri"].endswith(
        f"{action_id}/draft/templates/requesttemplate.vm"
    )
    assert api.get(f"{ACTIONS}/{action_id}/draft/templates/requesttemplate.vm").text == (
        "${input.rawRequest}"
    )
    schema = api.get(f"{ACTIONS}/{action_id}/draft/schemas/inputschema.json").json()
    assert schema["required"] == ["queueId"]
    api.patch(f"{ACTIONS}/{action_id}/draft", json={"version": 1, "name": "v3"})
    published = api.post(f"{ACTIONS}/{action_id}/draft/publish", json={"version": 2}).json()
    assert (published["version"], published["name"]) == (3, "v3")


def test_patch_draft_rejects_integration_and_bad_limits(api: Api) -> None:
    action_id = api.post(f"{ACTIONS}/drafts", json=action_body()).json()["id"]
    moved = api.patch(f"{ACTIONS}/{action_id}/draft", json={"version": 1, "integrationId": "x"})
    assert moved.status_code == 400
    config = action_body()["config"]
    config["timeoutSeconds"] = 90
    too_slow = api.patch(f"{ACTIONS}/{action_id}/draft", json={"version": 1, "config": config})
    assert too_slow.status_code == 400
    assert "timeoutSeconds" in too_slow.json()["message"]


def test_delete_draft(api: Api) -> None:
    action_id = api.create()["id"]
    api.post(f"{ACTIONS}/{action_id}/draft")
    assert api.delete(f"{ACTIONS}/{action_id}/draft").status_code == 204
    assert api.get(f"{ACTIONS}/{action_id}/draft").status_code == 404
    assert api.get(f"{ACTIONS}/{action_id}").status_code == 200
    assert api.delete(f"{ACTIONS}/{action_id}/draft").status_code == 404


def test_deleting_the_draft_of_a_draft_only_action_removes_it(api: Api) -> None:
    action_id = api.post(f"{ACTIONS}/drafts", json=action_body()).json()["id"]
    assert api.delete(f"{ACTIONS}/{action_id}/draft").status_code == 204
    assert api.post(f"{ACTIONS}/{action_id}/draft").status_code == 404


def test_second_draft_policy(make_api: Any) -> None:
    api = make_api()
    action_id = api.create()["id"]
    assert api.post(f"{ACTIONS}/{action_id}/draft").status_code == 200
    again = api.post(f"{ACTIONS}/{action_id}/draft")
    assert again.status_code == 400
    replacing = make_api(SandboxConfig(draft_exists="replace"))
    action_id = replacing.create()["id"]
    replacing.post(f"{ACTIONS}/{action_id}/draft")
    replacing.patch(f"{ACTIONS}/{action_id}/draft", json={"version": 1, "name": "changed"})
    fresh = replacing.post(f"{ACTIONS}/{action_id}/draft").json()
    assert (fresh["version"], fresh["name"]) == (1, "Get Queue Waiting Count")


def test_publish_requires_version(api: Api) -> None:
    action_id = api.post(f"{ACTIONS}/drafts", json=action_body()).json()["id"]
    response = api.post(f"{ACTIONS}/{action_id}/draft/publish", json={})
    assert response.status_code == 400


def _changed_contract() -> dict[str, Any]:
    contract = action_body()["contract"]
    contract["output"]["successSchema"]["properties"]["more"] = {"type": "string"}
    return contract


def test_contract_change_publishes_with_mutable_contracts(make_api: Any) -> None:
    api = make_api(SandboxConfig(mutable_contracts=True))
    action_id = api.create()["id"]
    api.post(f"{ACTIONS}/{action_id}/draft")
    api.patch(f"{ACTIONS}/{action_id}/draft", json={"version": 1, "contract": _changed_contract()})
    published = api.post(f"{ACTIONS}/{action_id}/draft/publish", json={"version": 2})
    assert published.status_code == 200
    assert published.json()["version"] == 2
    assert "more" in published.json()["contract"]["output"]["successSchema"]["properties"]


def test_contracts_are_fixed_once_published_by_default(api: Api) -> None:
    action_id = api.create()["id"]
    api.post(f"{ACTIONS}/{action_id}/draft")
    api.patch(f"{ACTIONS}/{action_id}/draft", json={"version": 1, "contract": _changed_contract()})
    validation = api.get(f"{ACTIONS}/{action_id}/draft/validation").json()
    assert validation["valid"] is False
    assert validation["errors"][0]["status"] == 400
    refused = api.post(f"{ACTIONS}/{action_id}/draft/publish", json={"version": 2})
    assert refused.status_code == 400
    assert "contract" in refused.json()["message"]
    assert api.get(f"{ACTIONS}/{action_id}").json()["version"] == 1
    assert api.get(f"{ACTIONS}/{action_id}/draft").status_code == 200
    # A draft that keeps the contract still publishes.
    api.patch(
        f"{ACTIONS}/{action_id}/draft",
        json={"version": 2, "contract": action_body()["contract"], "name": "Renamed"},
    )
    ok = api.post(f"{ACTIONS}/{action_id}/draft/publish", json={"version": 3})
    assert ok.status_code == 200
    assert ok.json()["name"] == "Renamed"


def test_fixed_contracts_allow_changes_before_the_first_publish(api: Api) -> None:
    action_id = api.post(f"{ACTIONS}/drafts", json=action_body()).json()["id"]
    api.patch(f"{ACTIONS}/{action_id}/draft", json={"version": 1, "contract": _changed_contract()})
    assert api.post(f"{ACTIONS}/{action_id}/draft/publish", json={"version": 2}).status_code == 200
