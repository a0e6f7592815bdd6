"""OAuth client credentials and bearer-token checks."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest

from reconciler.sandbox.config import SandboxConfig

from .helpers import ACTIONS, Api


def test_token_response_shape(api: Api) -> None:
    response = api.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("dactl-sandbox", "dactl-sandbox-secret"),
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 86399


def test_wrong_secret_is_bad_credentials(api: Api) -> None:
    response = api.http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("dactl-sandbox", "nope")
    )
    assert response.status_code == 401
    assert response.json()["code"] == "bad.credentials"
    assert "access_token" not in response.json()


def test_wrong_grant_type_is_refused(api: Api) -> None:
    response = api.http.post(
        "/oauth/token", data={"grant_type": "password"}, auth=("dactl-sandbox", "x")
    )
    assert response.status_code == 400


def test_missing_basic_auth_is_refused(api: Api) -> None:
    response = api.http.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 401
    assert response.json()["code"] == "bad.credentials"


def test_custom_credentials(make_api: Any) -> None:
    api = make_api(SandboxConfig(client_id="ci", client_secret="s3cret"))
    header = "Basic " + base64.b64encode(b"ci:s3cret").decode()
    response = api.http.post(
        "/oauth/token",
        content="grant_type=client_credentials",
        headers={"Authorization": header, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200


def test_api_without_token_needs_authentication(api: Api) -> None:
    response = api.http.get(ACTIONS)
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "authentication.required"
    assert body["status"] == 401
    assert set(body) >= {"message", "code", "status", "messageParams", "contextId", "details"}


def test_unknown_token_is_bad_credentials(api: Api) -> None:
    response = api.http.get(ACTIONS, headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.json()["code"] == "bad.credentials"


def test_token_expires_after_ttl(make_api: Any) -> None:
    api = make_api(SandboxConfig(token_ttl=30))
    assert api.get(ACTIONS).status_code == 200
    api.clock.advance(29)
    assert api.get(ACTIONS).status_code == 200
    api.clock.advance(2)
    expired = api.get(ACTIONS)
    assert expired.status_code == 401
    assert expired.json()["code"] == "bad.credentials"
    api.token = api.new_token()
    assert api.get(ACTIONS).status_code == 200


def test_secrets_never_logged(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api.get(ACTIONS)
    api.http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("dactl-sandbox", "bad")
    )
    assert api.token not in caplog.text
    assert "dactl-sandbox-secret" not in caplog.text


def test_config_repr_hides_secret() -> None:
    assert "dactl-sandbox-secret" not in repr(SandboxConfig())
