"""GET /api/v2/organizations/me: the org's name and id, behind the bearer token, counted."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.sandbox.config import DEFAULT_ORG_ID, SandboxConfig
from reconciler.sandbox.process import SandboxServer

from .helpers import Api

ME = "/api/v2/organizations/me"


def test_answers_the_organization_shape_of_the_sdk(api: Api) -> None:
    response = api.get(ME)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "dactl sandbox"
    assert body["id"] == DEFAULT_ORG_ID
    assert body["selfUri"] == f"/api/v2/organizations/{DEFAULT_ORG_ID}"
    # Field names of the SDK's Organization model (build/docs/Organization.md).
    assert set(body) <= {
        "id",
        "name",
        "defaultLanguage",
        "defaultCountryCode",
        "thirdPartyOrgName",
        "thirdPartyURI",
        "domain",
        "features",
        "version",
        "state",
        "defaultSiteId",
        "supportURI",
        "voicemailEnabled",
        "productPlatform",
        "selfUri",
    }


def test_needs_a_bearer_token_and_is_counted(api: Api) -> None:
    api.http.post("/sandbox/reset")
    assert api.http.get(ME).status_code == 401
    assert api.get(ME).status_code == 200
    stats = api.http.get("/sandbox/stats").json()
    assert stats["requests"] == {"GET /api/v2/organizations/me": 2}


def test_name_and_id_are_configurable(make_api: Any) -> None:
    api = make_api(SandboxConfig(org_name="Acme Prod", org_id="0000-acme"))
    body = api.get(ME).json()
    assert (body["name"], body["id"]) == ("Acme Prod", "0000-acme")


def test_a_fault_can_refuse_it(api: Api) -> None:
    api.http.post("/sandbox/faults", json={"path": "organizations/me", "status": 403})
    assert api.get(ME).status_code == 403
    assert api.get(ME).status_code == 200


def test_the_command_has_an_org_name_option() -> None:
    result = CliRunner().invoke(main, ["sandbox", "--help"])
    assert result.exit_code == 0
    assert "--org-name" in result.output and "dactl sandbox" in result.output


def test_the_official_sdk_reads_it(live: SandboxServer) -> None:
    sdk = pytest.importorskip("PureCloudPlatformClientV2")
    saved_host = sdk.configuration.host
    sdk.configuration.host = live.base_url
    try:
        client = sdk.api_client.ApiClient().get_client_credentials_token(
            live.client_id, live.client_secret
        )
        try:
            org = sdk.OrganizationApi(client).get_organizations_me()
        finally:
            client.get_http_client().rest_client.pool_manager.clear()
    finally:
        sdk.configuration.host = saved_host
    assert isinstance(org, sdk.Organization)
    assert (org.name, org.id, org.state) == ("dactl sandbox", DEFAULT_ORG_ID, "active")
