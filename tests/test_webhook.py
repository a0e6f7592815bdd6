"""The drift webhook sender, over ``httpx.MockTransport`` (the e2e tests use a real receiver)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from reconciler.errors import WebhookError
from reconciler.webhook import post_json

URL = "https://hooks.example.com/services/T0/B0/s3cr3t-token"


class Receiver:
    """Answers each request with the next of ``answers`` (a status, or an exception)."""

    def __init__(self, *answers: int | type[Exception]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, int):
            return httpx.Response(answer, text="ok")
        raise answer("failed talking to " + str(request.url), request=request)  # type: ignore[call-arg]

    def post(self, url: str = URL) -> None:
        post_json(
            url,
            {"text": "hi"},
            transport=httpx.MockTransport(self),
            sleep=self.sleeps.append,
        )


def test_posts_the_body_as_json() -> None:
    receiver = Receiver(200)
    receiver.post()
    (request,) = receiver.requests
    assert request.method == "POST" and str(request.url) == URL
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("dactl/")
    assert json.loads(request.content) == {"text": "hi"}


def test_5xx_and_connection_failures_are_retried() -> None:
    receiver = Receiver(503, httpx.ConnectError, 204)
    receiver.post()
    assert len(receiver.requests) == 3
    assert len(receiver.sleeps) == 2 and all(0 < s <= 4 for s in receiver.sleeps)


def _error(post: Callable[[], None]) -> str:
    with pytest.raises(WebhookError) as info:
        post()
    message = str(info.value)
    assert "s3cr3t" not in message and "hooks.example.com" not in message
    # httpx's exceptions hold the URL: none may be chained to the error
    error = info.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    return message


@pytest.mark.parametrize(
    ("answers", "attempts", "expected"),
    [
        ((500, 500, 500), 3, "failed after 3 attempts: HTTP 500 Internal Server Error"),
        ((httpx.ConnectError,) * 3, 3, "failed after 3 attempts: could not connect"),
        ((httpx.ConnectTimeout,) * 3, 3, "failed after 3 attempts: timed out"),
        ((404,), 1, "refused the report: HTTP 404 Not Found"),
        ((302,), 1, "refused the report: HTTP 302 Found"),
        # the body may have arrived: sending it again could post the message twice
        ((httpx.ReadTimeout,), 1, "the drift webhook failed: timed out"),
    ],
)
def test_failures_are_errors_that_never_name_the_url(
    answers: tuple[int | type[Exception], ...], attempts: int, expected: str
) -> None:
    receiver = Receiver(*answers)
    assert expected in _error(receiver.post)
    assert len(receiver.requests) == attempts


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://hooks.example.com/services/T0/B0/s3cr3t-token", "plain http"),
        ("ftp://hooks.example.com/s3cr3t-token", "not an http:// or https:// URL"),
        ("hooks.example.com/s3cr3t-token", "not an http:// or https:// URL"),
        ("http://[hooks.example.com/s3cr3t-token", "not an http:// or https:// URL"),
    ],
)
def test_unsafe_or_malformed_urls_are_refused_before_sending(url: str, expected: str) -> None:
    receiver = Receiver()
    assert expected in _error(lambda: receiver.post(url))
    assert receiver.requests == []


def test_plain_http_is_allowed_to_loopback() -> None:
    receiver = Receiver(200)
    receiver.post("http://127.0.0.1:9/hook")
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://xn--.com/services/s3cr3t-token",  # an A-label with nothing after xn--
        "https://" + "a" * 64 + ".com/services/s3cr3t-token",  # a label over 63 characters
        "https://hooks..example.com/services/s3cr3t-token",  # an empty label
    ],
)
def test_a_bad_host_name_is_an_invalid_url_never_a_traceback(url: str) -> None:
    receiver = Receiver()
    message = _error(lambda: receiver.post(url))
    assert message == "the drift webhook failed: the URL is not valid"
    assert "aaaa" not in message and "xn--" not in message
    assert receiver.requests == []


@pytest.mark.parametrize("error", [UnicodeError, ValueError])
def test_an_encoding_failure_while_sending_is_an_invalid_url(error: type[Exception]) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        # the socket layer encodes the host with the idna codec, after httpx's checks
        raise error(f"encoding with 'idna' codec failed for {request.url}")

    with pytest.raises(WebhookError) as info:
        post_json(URL, {"text": "hi"}, transport=httpx.MockTransport(answer))
    assert str(info.value) == "the drift webhook failed: the URL is not valid"
    assert info.value.__cause__ is None and info.value.__suppress_context__
