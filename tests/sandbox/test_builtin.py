"""Seeded integrations, static actions and the custom-auth action."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.seed import (
    CUSTOM_AUTH_ACTION_ID,
    GENESYS_CLOUD_INTEGRATION_ID,
    STATIC_ACTION_IDS,
    WEB_SERVICES_INTEGRATION_ID,
)

from .helpers import ACTIONS, Api, action_body

READ_ONLY = [*STATIC_ACTION_IDS, CUSTOM_AUTH_ACTION_ID]


def test_seeded_integrations(api: Api) -> None:
    listing = api.get("/api/v2/integrations").json()
    by_name = {e["name"]: e for e in listing["entities"]}
    genesys = by_name["Genesys Cloud Data Actions"]
    web = by_name["Web Services Data Actions"]
    assert genesys["id"] == GENESYS_CLOUD_INTEGRATION_ID
    assert genesys["integrationType"]["id"] == "purecloud-data-actions"
    assert web["id"] == WEB_SERVICES_INTEGRATION_ID
    assert web["integrationType"]["id"] == "custom-rest-actions"
    assert genesys["intendedState"] == "ENABLED"
    assert listing["total"] == 7 and "firstUri" in listing
    types = {e["integrationType"]["id"] for e in listing["entities"]}
    assert "function-data-actions" in types and "zendesk-data-actions" in types
    single = api.get(f"/api/v2/integrations/{WEB_SERVICES_INTEGRATION_ID}").json()
    assert single == web
    assert api.get("/api/v2/integrations/nope").status_code == 404


def test_integration_type_filter(api: Api) -> None:
    listing = api.get("/api/v2/integrations", params={"integrationType": "custom-rest-actions"})
    assert [e["id"] for e in listing.json()["entities"]] == [WEB_SERVICES_INTEGRATION_ID]


@pytest.mark.parametrize("action_id", READ_ONLY)
def test_builtin_actions_are_readable(api: Api, action_id: str) -> None:
    body = api.get(f"{ACTIONS}/{action_id}", params={"expand": "contract"}).json()
    assert body["version"] == 1
    assert "inputSchema" in body["contract"]["input"]


@pytest.mark.parametrize("action_id", READ_ONLY)
def test_builtin_actions_refuse_writes(api: Api, action_id: str) -> None:
    attempts = [
        api.patch(f"{ACTIONS}/{action_id}", json={"version": 1, "name": "x"}),
        api.delete(f"{ACTIONS}/{action_id}"),
        api.post(f"{ACTIONS}/{action_id}/draft"),
    ]
    for response in attempts:
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "bad.request" and body["status"] == 400
        assert action_id in body["message"]
    assert api.get(f"{ACTIONS}/{action_id}").json()["version"] == 1


def test_custom_auth_patch_knob(make_api: Any) -> None:
    api = make_api(SandboxConfig(writable_custom_auth=True))
    current = api.get(f"{ACTIONS}/{CUSTOM_AUTH_ACTION_ID}", params={"includeConfig": "true"})
    config = action_body()["config"]
    del config["timeoutSeconds"]
    ok = api.patch(f"{ACTIONS}/{CUSTOM_AUTH_ACTION_ID}", json={"version": 1, "config": config})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    assert current.json()["version"] == 1
    config["timeoutSeconds"] = 5
    refused = api.patch(f"{ACTIONS}/{CUSTOM_AUTH_ACTION_ID}", json={"version": 2, "config": config})
    assert refused.status_code == 400
    assert api.delete(f"{ACTIONS}/{CUSTOM_AUTH_ACTION_ID}").status_code == 400


def test_custom_actions_can_live_on_the_web_services_integration(api: Api) -> None:
    created = api.create(
        integrationId=WEB_SERVICES_INTEGRATION_ID, category="Web Services Data Actions"
    )
    assert created["integrationId"] == WEB_SERVICES_INTEGRATION_ID
