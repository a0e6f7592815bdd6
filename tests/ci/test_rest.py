"""The CI services' JSON client: where the token may go, retries, caps, messages."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

import httpx
import pytest

from reconciler.ci import rest
from reconciler.ci.rest import RestClient, check_base_url
from reconciler.errors import CiError
from reconciler.secrets import redact_text

TOKEN = "s3cr3t-service-token-value"
Handler = Callable[[httpx.Request], httpx.Response]


class Service:
    """Answers each request with the next answer (a response, or an exception to raise)."""

    def __init__(self, *answers: httpx.Response | type[Exception]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, httpx.Response):
            return answer
        raise answer(f"failed with Authorization: Bearer {TOKEN}", request=request)  # type: ignore[call-arg]

    def client(self, url: str = "https://api.example/v3") -> RestClient:
        return RestClient(
            "Svc",
            url,
            source="SVC_URL",
            token=TOKEN,
            headers={"Authorization": f"Bearer {TOKEN}"},
            hints={403: "give the token more rights"},
            transport=httpx.MockTransport(self),
            sleep=self.sleeps.append,
        )


def ok(body: object, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def error(message: str, status: int) -> CiError:
    with pytest.raises(CiError) as info:
        raise_it(message, status)
    return info.value


def raise_it(message: str, status: int) -> None:
    Service(ok({"message": message}, status)).client().get("x")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://api.example", "refusing to send the token over plain http to api.example"),
        ("ftp://api.example", "SVC_URL is not an http:// or https:// URL"),
        ("not a url", "SVC_URL is not an http:// or https:// URL"),
        ("http://[::1", "SVC_URL is not an http:// or https:// URL"),
    ],
)
def test_the_token_goes_over_https_only(url: str, message: str) -> None:
    with pytest.raises(CiError, match=message):
        check_base_url(url, "SVC_URL")


def test_plain_http_to_loopback_is_allowed() -> None:
    assert check_base_url("http://127.0.0.1:8080/api/v4", "X") == "127.0.0.1"
    assert check_base_url("https://ghe.example/api/v3", "X") == "ghe.example"


def test_the_token_is_registered_so_any_echo_is_masked() -> None:
    Service().client()
    assert redact_text(f"echo: {TOKEN}") == "echo: ***"


def test_reads_are_tried_again_after_5xx_429_and_connection_failures() -> None:
    service = Service(ok({}, 502), httpx.ConnectError, ok({}, 429, **{"Retry-After": "7"}), ok([1]))
    with pytest.raises(CiError):  # three attempts in all
        service.client().get("x")
    assert service.sleeps == [0.5, 1.0]
    service = Service(ok({}, 429, **{"Retry-After": "7"}), ok({}, 503), ok({"a": 1}))
    assert service.client().get("x") == {"a": 1}
    assert service.sleeps == [7.0, 1.0]


def test_retry_after_is_bounded() -> None:
    service = Service(ok({}, 503, **{"Retry-After": "3600"}), ok({}, 503, **{"Retry-After": "x"}))
    service.answers.append(ok(None, 204))
    assert service.client().get("x") is None
    assert service.sleeps == [rest.MAX_WAIT, 1.0]


def test_the_last_failure_is_the_error() -> None:
    service = Service(*([httpx.ConnectError] * 3))
    with pytest.raises(CiError) as info:
        service.client().get("repos/a/b")
    assert str(info.value) == (
        "could not reach Svc at api.example: could not connect (after 3 attempts)"
    )
    assert TOKEN not in str(info.value) and info.value.__cause__ is None


def test_writes_are_sent_once() -> None:
    service = Service(ok({}, 502))
    with pytest.raises(CiError) as info:
        service.client().send("POST", "repos/a/b/issues", {"body": "x"})
    assert len(service.requests) == 1
    assert str(info.value) == (
        "Svc answered POST repos/a/b/issues with HTTP 502 Bad Gateway; it may have been "
        "written: the next run finds it"
    )
    assert json.loads(service.requests[0].content) == {"body": "x"}


@pytest.mark.parametrize(
    ("raised", "reason"),
    [(httpx.ReadTimeout, "timed out"), (httpx.RemoteProtocolError, "the request failed")],
)
def test_a_lost_answer_is_not_sent_again(raised: type[Exception], reason: str) -> None:
    service = Service(raised)
    with pytest.raises(CiError, match=f"Svc: PATCH x failed: {reason}") as info:
        service.client().send("PATCH", "x", {})
    assert TOKEN not in str(info.value) and len(service.requests) == 1


def test_a_refusal_quotes_the_server_safely_and_adds_the_hint() -> None:
    message = str(error("Resource \x1b]0;pwned\x07not accessible\x1b[2J", 403))
    assert message == (
        "Svc answered GET x with HTTP 403 Forbidden (Resource not accessible): "
        "give the token more rights"
    )
    assert str(error("a" * 400, 404)).endswith("a" * 297 + "...)")
    gitlab = Service(ok({"message": {"note": ["is too long"]}}, 400))
    with pytest.raises(CiError, match=r'HTTP 400 Bad Request \(\{"note": \["is too long"\]\}\)$'):
        gitlab.client().send("PUT", "x", {})
    for body in (b"<html>502</html>", b'{"message": ""}', b"[1]"):
        service = Service(httpx.Response(404, content=body))
        with pytest.raises(CiError, match=r"^Svc answered GET x with HTTP 404 Not Found$"):
            service.client().get("x")


def test_redirects_are_not_followed() -> None:
    service = Service(httpx.Response(301, headers={"Location": "https://elsewhere.example/"}))
    with pytest.raises(CiError, match="HTTP 301 Moved Permanently"):
        service.client().get("x")
    assert len(service.requests) == 1


def test_answers_are_capped_as_they_arrive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rest, "MAX_ANSWER", 1000)
    bomb = gzip.compress(b"[" + b"0," * 10_000 + b"0]")
    service = Service(httpx.Response(200, content=bomb, headers={"Content-Encoding": "gzip"}))
    with pytest.raises(CiError, match="answered GET x with more than 1000 bytes"):
        service.client().get("x")


def test_an_answer_that_is_not_json_is_an_error() -> None:
    service = Service(httpx.Response(200, content=b"<html>hi</html>"))
    with pytest.raises(CiError, match=r"^Svc answered GET x with no JSON$"):
        service.client().get("x")


def test_pages_until_a_short_page_and_never_past_the_ceiling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    full = [{"id": i} for i in range(rest.PAGE_SIZE)]
    service = Service(ok(full), ok([{"id": "x"}, 5]))
    assert len(list(service.client().pages("items", {"state": "open"}))) == rest.PAGE_SIZE + 1
    assert [r.url.params["page"] for r in service.requests] == ["1", "2"]
    assert service.requests[0].url.params["state"] == "open"
    service = Service(ok(full), ok([]))
    assert len(list(service.client().pages("items", {}))) == rest.PAGE_SIZE
    monkeypatch.setattr(rest, "MAX_PAGES", 2)
    service = Service(ok(full), ok(full))
    with pytest.raises(CiError, match="GET items lists more than 200 items; not looking further"):
        list(service.client().pages("items", {}))
    with pytest.raises(CiError, match="Svc answered GET items with no list"):
        list(Service(ok({"a": 1})).client().pages("items", {}))


def test_the_client_closes() -> None:
    with Service(ok([])).client() as client:
        assert client.get("x") == []
    with pytest.raises(RuntimeError):
        client.get("x")
