from __future__ import annotations

import httpx
import pytest

from reconciler.errors import ApiError, AuthError, ConflictError
from reconciler.genesys import GenesysClient

from .fakes import FakeServer, json_response

STEP_FAILURE = {
    "message": "Transform failed to process result using 'successTemplate' template due to "
    "error:'Variable $Presences has not been set'\n Template:'{\"PresenceArray\" : $Presences}'.",
    "code": "bad.request",
    "status": 400,
    "messageParams": {},
    "contextId": "fc7c43df-fb93-4651-83b2-2dc942e623d7",
    "details": [{"errorCode": "ACTION.PROCESSING"}],
    "errors": [],
}


def fail(client: GenesysClient, server: FakeServer, response: httpx.Response) -> ApiError:
    server.api = [response]
    with pytest.raises(ApiError) as info:
        client.post_json("/api/v2/integrations/actions/a/test", json={})
    return info.value


def test_error_body_becomes_api_error_fields(client: GenesysClient, server: FakeServer) -> None:
    error = fail(client, server, json_response(400, STEP_FAILURE))
    assert type(error) is ApiError
    assert error.status == 400
    assert error.code == "bad.request"
    assert error.correlation_id == "fc7c43df-fb93-4651-83b2-2dc942e623d7"  # from contextId
    assert error.body == STEP_FAILURE
    assert error.message.startswith("POST /api/v2/integrations/actions/a/test: Transform failed")
    assert "\n" not in str(error)
    assert str(error).startswith("HTTP 400 bad.request: POST /api/v2/")
    assert str(error).endswith("(correlation id fc7c43df-fb93-4651-83b2-2dc942e623d7)")


def test_correlation_header_wins_over_context_id(client: GenesysClient, server: FakeServer) -> None:
    error = fail(client, server, json_response(400, STEP_FAILURE, ININ_Correlation_Id="hdr-1"))
    assert error.correlation_id == "hdr-1"


def test_409_is_a_conflict(client: GenesysClient, server: FakeServer) -> None:
    body = {
        "status": 409,
        "code": "conflict",
        "message": "The version number of the modified resource must match the version number "
        "in the database.",
    }
    error = fail(client, server, json_response(409, body))
    assert isinstance(error, ConflictError)
    assert (error.status, error.code) == (409, "conflict")


def test_400_version_mismatch_is_a_conflict(client: GenesysClient, server: FakeServer) -> None:
    body = {
        "status": 400,
        "code": "bad.request",
        "message": "Supplied version 2 does not match latest draft version 1",
    }
    error = fail(client, server, json_response(400, body))
    assert isinstance(error, ConflictError)
    assert error.status == 400


def test_other_400_is_not_a_conflict(client: GenesysClient, server: FakeServer) -> None:
    body = {"status": 400, "code": "invalid.value", "message": "timeoutSeconds does not match"}
    assert not isinstance(fail(client, server, json_response(400, body)), ConflictError)


@pytest.mark.parametrize(
    ("status", "code"), [(401, "bad.credentials"), (403, "missing.permissions")]
)
def test_auth_failures_are_auth_errors(
    client: GenesysClient, server: FakeServer, status: int, code: str
) -> None:
    server.api = [json_response(status, {"code": code, "message": "no"})] * 2
    with pytest.raises(AuthError) as info:
        client.get_json("/api/v2/x")
    assert (info.value.status, info.value.code) == (status, code)


def test_non_json_error_body(client: GenesysClient, server: FakeServer) -> None:
    error = fail(client, server, httpx.Response(502, text="Bad\ngateway\n"))
    assert error.status == 502
    assert error.code is None
    assert error.message.endswith(": Bad gateway")


def test_empty_error_body_uses_the_reason_phrase(client: GenesysClient, server: FakeServer) -> None:
    error = fail(client, server, httpx.Response(404))
    assert error.message == "POST /api/v2/integrations/actions/a/test: Not Found"


def test_non_json_success_is_an_api_error(client: GenesysClient, server: FakeServer) -> None:
    server.api = [httpx.Response(200, text="not json")]
    with pytest.raises(ApiError, match="the response is not JSON"):
        client.get_json("/api/v2/x")
