"""The default org of the sandbox: integrations, built-in actions, and ``--seed`` files."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

from reconciler.sandbox.validation import normalize_config, normalize_contract

GENESYS_CLOUD_INTEGRATION_ID = "5a0e7c3b-1d2f-4e6a-8b9c-000000000001"
WEB_SERVICES_INTEGRATION_ID = "5a0e7c3b-1d2f-4e6a-8b9c-000000000002"
SALESFORCE_INTEGRATION_ID = "5a0e7c3b-1d2f-4e6a-8b9c-000000000003"
GENESYS_CLOUD_INTEGRATION_NAME = "Genesys Cloud Data Actions"
WEB_SERVICES_INTEGRATION_NAME = "Web Services Data Actions"
SALESFORCE_INTEGRATION_NAME = "Salesforce Data Actions"
# The other data-action integration types (docs/genesys-api-notes.md), so every real
# definition loads.
EXTRA_INTEGRATIONS = (
    ("5a0e7c3b-1d2f-4e6a-8b9c-000000000004", "AWS Lambda Data Actions", "aws-lambda-data-actions"),
    (
        "5a0e7c3b-1d2f-4e6a-8b9c-000000000005",
        "Microsoft Dynamics 365 Data Actions",
        "microsoft-dynamics-data-actions",
    ),
    ("5a0e7c3b-1d2f-4e6a-8b9c-000000000006", "Zendesk Data Actions", "zendesk-data-actions"),
    ("5a0e7c3b-1d2f-4e6a-8b9c-000000000007", "Function Data Actions", "function-data-actions"),
)
FUNCTION_TYPE = "function-data-actions"
CUSTOM_AUTH_ACTION_ID = f"customAuth_-_{WEB_SERVICES_INTEGRATION_ID}"
STATIC_ACTION_IDS = (
    "static_-_0c1d2e3f-4a5b-4c6d-8e7f-000000000101",
    "static_-_0c1d2e3f-4a5b-4c6d-8e7f-000000000102",
)
# A fixed timestamp keeps the seeded org (and state files) deterministic.
SEED_TIME = "2024-01-01T00:00:00.000Z"

_TYPES = {
    "purecloud-data-actions": "Genesys Cloud Data Actions",
    "custom-rest-actions": "Web Services Data Actions",
    "salesforce-datadip": "Salesforce Data Actions",
    **{type_id: name for _, name, type_id in EXTRA_INTEGRATIONS},
}

OBJECT_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": True}


def integration_type(type_id: str) -> dict[str, Any]:
    """The ``IntegrationType`` object embedded in an integration."""
    return {
        "id": type_id,
        "name": _TYPES.get(type_id, type_id),
        "description": f"{_TYPES.get(type_id, type_id)} (sandbox)",
        "provider": "genesys",
        "category": "Data Actions",
        "nonInstallable": False,
        "maxInstances": 10,
        "selfUri": f"/api/v2/integrations/types/{type_id}",
    }


def integration(
    integration_id: str, name: str, type_id: str, credential_type: str | None = None
) -> dict[str, Any]:
    """An ``Integration`` in the API's shape."""
    credentials: dict[str, Any] = {}
    if credential_type:
        credentials[credential_type] = {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"dactl-sandbox/{integration_id}/cred")),
            "name": f"{name} credentials",
            "type": {"name": credential_type},
        }
    return {
        "id": integration_id,
        "name": name,
        "integrationType": integration_type(type_id),
        "notes": "Seeded by the dactl sandbox",
        "intendedState": "ENABLED",
        "config": {
            "current": {
                "id": integration_id,
                "name": name,
                "version": 1,
                "properties": {},
                "advanced": {},
                "notes": "",
                "credentials": credentials,
                "selfUri": f"/api/v2/integrations/{integration_id}/config/current",
            }
        },
        "reportedState": {"code": "ACTIVE", "effective": "Active", "lastUpdated": SEED_TIME},
        "attributes": {},
        "selfUri": f"/api/v2/integrations/{integration_id}",
    }


def _definition(
    name: str, integration_id: str, category: str, config: dict[str, Any], contract: dict[str, Any]
) -> dict[str, Any]:
    return {
        "name": name,
        "integrationId": integration_id,
        "category": category,
        "secure": False,
        "version": 1,
        "config": normalize_config(config),
        "contract": normalize_contract(contract),
    }


def _static_action(name: str, path: str, prop: str) -> dict[str, Any]:
    contract = {
        "input": {
            "inputSchema": {
                "type": "object",
                "required": [prop],
                "properties": {prop: {"type": "string"}},
                "additionalProperties": True,
            }
        },
        "output": {"successSchema": OBJECT_SCHEMA},
    }
    config = {
        "request": {
            "requestUrlTemplate": f"/services/data/v56.0/{path}",
            "requestType": "GET",
            "headers": {},
        },
        "response": {"translationMap": {}, "translationMapDefaults": {}},
    }
    return _definition(
        name, SALESFORCE_INTEGRATION_ID, SALESFORCE_INTEGRATION_NAME, config, contract
    )


def _custom_auth_action() -> dict[str, Any]:
    contract = {
        "input": {"inputSchema": OBJECT_SCHEMA},
        "output": {
            "successSchema": {
                "type": "object",
                "properties": {"tokenValue": {"type": "string"}},
                "additionalProperties": True,
            }
        },
    }
    config = {
        "request": {
            "requestUrlTemplate": "https://auth.example.invalid/oauth2/token",
            "requestType": "POST",
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            "requestTemplate": "grant_type=client_credentials",
        },
        "response": {
            "translationMap": {"tokenValue": "$.access_token"},
            "translationMapDefaults": {},
            "successTemplate": '{"tokenValue": ${tokenValue}}',
        },
    }
    return _definition(
        f"{WEB_SERVICES_INTEGRATION_NAME} Custom Auth",
        WEB_SERVICES_INTEGRATION_ID,
        WEB_SERVICES_INTEGRATION_NAME,
        config,
        contract,
    )


def default_state() -> dict[str, Any]:
    """The seeded org: one integration per data-action type, two static actions and one
    custom-auth action."""
    integrations = [
        integration(
            GENESYS_CLOUD_INTEGRATION_ID, GENESYS_CLOUD_INTEGRATION_NAME, "purecloud-data-actions"
        ),
        integration(
            WEB_SERVICES_INTEGRATION_ID,
            WEB_SERVICES_INTEGRATION_NAME,
            "custom-rest-actions",
            "userDefinedOAuth",
        ),
        integration(SALESFORCE_INTEGRATION_ID, SALESFORCE_INTEGRATION_NAME, "salesforce-datadip"),
        *(integration(ident, name, type_id) for ident, name, type_id in EXTRA_INTEGRATIONS),
    ]
    statics = [
        _static_action("Lookup Account by Phone Number", "search/account", "phoneNumber"),
        _static_action("Get Contact by Id", "sobjects/Contact/${input.contactId}", "contactId"),
    ]
    actions: dict[str, Any] = {
        action_id: {"kind": "static", "published": defn, "draft": None}
        for action_id, defn in zip(STATIC_ACTION_IDS, statics, strict=True)
    }
    actions[CUSTOM_AUTH_ACTION_ID] = {
        "kind": "customAuth",
        "published": _custom_auth_action(),
        "draft": None,
    }
    return {"formatVersion": 1, "integrations": integrations, "actions": actions}


def resolve_integration(item: dict[str, Any], integrations: list[dict[str, Any]]) -> str | None:
    """The integration id of a seed item: explicit, by category name, or by integration type."""
    if item.get("integrationId"):
        return str(item["integrationId"])
    for entry in integrations:
        if entry["name"] == item.get("category"):
            return str(entry["id"])
    for entry in integrations:
        if entry["integrationType"]["id"] == item.get("integrationType"):
            return str(entry["id"])
    return None


def load_seed_file(path: Path) -> list[dict[str, Any]]:
    """Read a ``--seed`` file: a JSON list of actions in the API's shape (PostActionInput).

    Each item may also carry ``id`` and ``version``; without ``integrationId`` the integration
    is found by ``category`` (integration name) or ``integrationType`` (UI export files).
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValueError(f"{path}: a seed file must hold a JSON list of action objects")
    return copy.deepcopy(data)
