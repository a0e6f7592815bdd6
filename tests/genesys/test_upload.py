"""Presigned uploads of code packages: no bearer token, safe URLs only, retries on 5xx and
transport failures, and refusals that name the host and the store's error code only."""

from __future__ import annotations

import httpx
import pytest

from reconciler.errors import ApiError
from reconciler.genesys import GenesysClient

from .fakes import FakeServer

URL = "https://uploads.example.test/bucket/code.zip?X-Amz-Signature=s3cr3t"
HEADERS = {"Content-Type": "application/zip", "x-amz-tagging": "functionId=f1"}


def test_the_zip_goes_with_the_given_headers_and_never_the_token(
    client: GenesysClient, server: FakeServer
) -> None:
    server.api = [httpx.Response(200)]
    client.upload(URL, b"PK\x03\x04zip", HEADERS)
    ((_, request),) = server.calls
    assert (request.method, str(request.url)) == ("PUT", URL)
    assert request.content == b"PK\x03\x04zip"
    assert request.headers["x-amz-tagging"] == "functionId=f1"
    assert "authorization" not in request.headers
    assert server.token_requests == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://uploads.example.test/x", "the API returned an upload URL that is not http(s)"),
        ("https:///no-host", "the API returned an upload URL that is not http(s)"),
        (
            "http://uploads.example.test/x",
            "refusing to upload a package over plain http to uploads.example.test",
        ),
    ],
)
def test_unsafe_upload_urls_are_refused_unsent(
    client: GenesysClient, server: FakeServer, url: str, message: str
) -> None:
    with pytest.raises(ApiError) as caught:
        client.upload(url, b"zip", HEADERS)
    assert str(caught.value) == message and server.calls == []


def test_plain_http_to_the_loopback_sandbox_is_allowed(
    client: GenesysClient, server: FakeServer
) -> None:
    server.api = [httpx.Response(200)]
    client.upload("http://127.0.0.1:8765/function-uploads/t", b"zip", HEADERS)
    assert len(server.calls) == 1


def test_a_refusal_names_the_host_and_the_stores_code_not_the_signature(
    client: GenesysClient, server: FakeServer
) -> None:
    body = "<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>"
    server.api = [httpx.Response(403, text=body)]
    with pytest.raises(ApiError) as caught:
        client.upload(URL, b"zip", HEADERS)
    assert caught.value.status == 403 and len(server.calls) == 1
    assert str(caught.value) == (
        "HTTP 403: PUT https://uploads.example.test (package upload): HTTP 403 "
        "SignatureDoesNotMatch"
    )
    assert "s3cr3t" not in str(caught.value)


def test_5xx_and_transport_failures_are_retried(client: GenesysClient, server: FakeServer) -> None:
    server.api = [
        httpx.Response(503, text="busy"),
        httpx.ConnectError("connection refused"),
        httpx.Response(200),
    ]
    client.upload(URL, b"zip", HEADERS)
    assert len(server.calls) == 3


def test_a_store_that_keeps_failing_is_given_up_on(make_client: object, server: FakeServer) -> None:
    client = make_client(max_retries=1)  # type: ignore[operator]
    server.api = [httpx.Response(500, text="oops"), httpx.Response(500, text="oops")]
    with pytest.raises(ApiError) as caught:
        client.upload(URL, b"zip", HEADERS)
    assert caught.value.status == 500 and len(server.calls) == 2
    assert "PUT https://uploads.example.test (package upload): HTTP 500" in str(caught.value)
