from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs

import httpx
import pytest

from reconciler.errors import ApiError, AuthError
from reconciler.genesys import ConnectionSettings, GenesysClient

from .fakes import API, LOGIN, SECRET, FakeServer, FakeTime, json_response

MakeClient = Callable[..., GenesysClient]


def bearer(request: httpx.Request) -> str:
    return request.headers["Authorization"].removeprefix("Bearer ")


def test_token_request_is_client_credentials_with_basic_auth(
    client: GenesysClient, server: FakeServer
) -> None:
    client.get_json("/api/v2/x")
    (token_request,) = server.token_requests
    assert str(token_request.url) == f"{LOGIN}/oauth/token"
    assert token_request.method == "POST"
    scheme, _, encoded = token_request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == f"cid:{SECRET}"
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(token_request.content.decode()) == {"grant_type": ["client_credentials"]}
    assert token_request.headers["User-Agent"].startswith("dactl/")


def test_token_is_fetched_once_and_cached(client: GenesysClient, server: FakeServer) -> None:
    for _ in range(3):
        client.get_json("/api/v2/x")
    assert len(server.token_requests) == 1
    assert [bearer(request) for _, request in server.calls] == ["tok-1"] * 3
    assert client.requests_sent == 4  # one token request + three API calls


def test_one_token_for_many_threads(make_client: MakeClient, server: FakeServer) -> None:
    client = make_client(max_concurrency=8)
    client.map(lambda i: client.get_json(f"/api/v2/x/{i}"), range(32))
    assert len(server.token_requests) == 1
    assert {bearer(request) for _, request in server.calls} == {"tok-1"}


def test_token_is_refreshed_shortly_before_expiry(
    client: GenesysClient, server: FakeServer, fake_time: FakeTime
) -> None:
    server.expires_in = 100  # refreshed 10 s early (10% of the lifetime, at most 60 s)
    client.get_json("/api/v2/x")
    fake_time.advance(89)
    client.get_json("/api/v2/x")
    assert len(server.token_requests) == 1
    fake_time.advance(2)
    client.get_json("/api/v2/x")
    assert len(server.token_requests) == 2
    assert bearer(server.calls[-1][1]) == "tok-2"


def test_long_lived_token_is_refreshed_60_s_early(
    client: GenesysClient, server: FakeServer, fake_time: FakeTime
) -> None:
    client.get_json("/api/v2/x")
    fake_time.advance(86399 - 61)
    client.get_json("/api/v2/x")
    assert len(server.token_requests) == 1
    fake_time.advance(2)
    client.get_json("/api/v2/x")
    assert len(server.token_requests) == 2


def test_401_fetches_a_new_token_once_and_retries_once(
    client: GenesysClient, server: FakeServer
) -> None:
    server.api = [json_response(401, {"code": "bad.credentials"}), json_response(200, {"ok": 1})]
    assert client.get_json("/api/v2/x") == {"ok": 1}
    assert len(server.token_requests) == 2
    assert [bearer(request) for _, request in server.calls] == ["tok-1", "tok-2"]


def test_401_on_post_is_also_retried_once(client: GenesysClient, server: FakeServer) -> None:
    server.api = [json_response(401), json_response(200, {"id": "a"})]
    assert client.post_json("/api/v2/x", json={"name": "n"}) == {"id": "a"}
    assert [request.content for _, request in server.calls] == [b'{"name":"n"}'] * 2


def test_second_401_is_an_auth_error_without_the_token(
    client: GenesysClient, server: FakeServer
) -> None:
    body = {"message": "Invalid login credentials.", "code": "bad.credentials", "status": 401}
    server.api = [json_response(401, body), json_response(401, body)]
    with pytest.raises(AuthError) as info:
        client.get_json("/api/v2/x")
    error = info.value
    assert error.status == 401
    assert error.code == "bad.credentials"
    assert "refreshed and still refused" in str(error)
    assert "tok-" not in str(error) and SECRET not in str(error)
    assert len(server.calls) == 2
    assert len(server.token_requests) == 2


def test_wrong_secret_is_a_one_line_auth_error(client: GenesysClient, server: FakeServer) -> None:
    server.token_responses = [
        json_response(
            401,
            {"code": "bad.credentials", "message": "Invalid login\ncredentials.", "status": 401},
        )
    ]
    with pytest.raises(AuthError) as info:
        client.get_json("/api/v2/x")
    text = str(info.value)
    assert "authentication failed: bad.credentials: Invalid login credentials." in text
    assert "\n" not in text
    assert SECRET not in text
    assert server.calls == []  # the API call itself never went out


def test_oauth_error_shape_is_understood(client: GenesysClient, server: FakeServer) -> None:
    server.token_responses = [
        json_response(400, {"error": "invalid_client", "error_description": "client not found"})
    ]
    with pytest.raises(AuthError, match="authentication failed: invalid_client: client not found"):
        client.get_json("/api/v2/x")


def test_token_endpoint_outage_is_retried_even_for_post(
    client: GenesysClient, server: FakeServer
) -> None:
    server.token_responses = [json_response(503, {"code": "service.unavailable"})]
    assert client.post_json("/api/v2/x", json={}) == {}
    assert len(server.token_requests) == 2
    assert len(server.calls) == 1


def test_token_endpoint_without_token_is_an_api_error(
    client: GenesysClient, server: FakeServer
) -> None:
    server.token_responses = [json_response(200, {"token_type": "bearer"})]
    with pytest.raises(ApiError, match="returned no access_token"):
        client.get_json("/api/v2/x")


def test_ready_access_token_is_used_as_is(make_client: MakeClient, server: FakeServer) -> None:
    settings = ConnectionSettings(api_url=API, login_url=LOGIN, access_token="ready-tok-9")
    client = make_client(settings=settings)
    client.get_json("/api/v2/x")
    client.get_json("/api/v2/x")
    assert server.token_requests == []
    assert {bearer(request) for _, request in server.calls} == {"ready-tok-9"}


def test_ready_access_token_refused_is_a_clear_auth_error(
    make_client: MakeClient, server: FakeServer
) -> None:
    settings = ConnectionSettings(api_url=API, login_url=LOGIN, access_token="ready-tok-9")
    client = make_client(settings=settings)
    server.api = [json_response(401, {"code": "bad.credentials", "message": "Invalid token"})]
    with pytest.raises(AuthError) as info:
        client.get_json("/api/v2/x")
    text = str(info.value)
    assert "cannot be refreshed" in text and "GENESYSCLOUD_ACCESS_TOKEN" in text
    assert "ready-tok-9" not in text
    assert server.token_requests == []
    assert len(server.calls) == 1


def test_logs_carry_neither_token_nor_secret(
    client: GenesysClient, server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.api = [json_response(401), json_response(503), json_response(200)]
    with caplog.at_level(logging.DEBUG, logger="reconciler.genesys"):
        client.get_json("/api/v2/x")
    logged = caplog.text
    assert "GET https://api.example.test/api/v2/x -> 200" in logged
    assert "POST https://login.example.test/oauth/token -> 200" in logged
    for secret in (SECRET, "tok-1", "tok-2", "Bearer", "Basic"):
        assert secret not in logged


class _BrokenStream(httpx.SyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        raise httpx.ReadError("connection reset while reading")


@pytest.mark.timeout(10)
def test_a_token_response_that_breaks_mid_read_releases_the_lock(
    client: GenesysClient, server: FakeServer
) -> None:
    server.token_responses = [httpx.Response(200, stream=_BrokenStream())]
    assert client.get_json("/api/v2/x") == {}  # retried; a held lock would deadlock here
    assert len(server.token_requests) == 2


def test_async_use_is_refused() -> None:
    from reconciler.genesys import ClientCredentialsAuth

    auth = ClientCredentialsAuth(token_url=f"{LOGIN}/oauth/token", client_id="c", client_secret="s")
    with pytest.raises(NotImplementedError):
        next(auth.auth_flow(httpx.Request("GET", API)))
