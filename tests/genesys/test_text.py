"""Server text is data: escape sequences and control characters never reach the output."""

from __future__ import annotations

import re

import httpx
import pytest

from reconciler.errors import ApiError, AuthError
from reconciler.genesys import ActionsApi, GenesysClient
from reconciler.genesys.text import printable, printable_data

from .fakes import FakeServer, json_response

# Anything a terminal would act on: C0 (but \n where kept), DEL, C1, bidi controls.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
HOSTILE = (
    "\x1b[2J\x1b[H"  # clear the screen, cursor home
    "\x1b]0;owned\x07"  # retitle the window (OSC ... BEL)
    "\x1b]8;;https://evil.test\x1b\\link\x1b]8;;\x1b\\"  # a hyperlink (OSC ... ST)
    "\x9b31mred\x9b0m"  # C1 CSI
    "\x1bP1$r\x1b\\"  # DCS
    "\x1b(B"  # charset designation
    "back\x08\x08\x08\x08"  # backspaces to overwrite text
    "\u202etxt.exe\u202c"  # a bidi override
    "bell\x07 end"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\x1b[31mred\x1b[0m", "red"),
        ("a\x1b]0;title\x07b", "ab"),
        ("a\x1b]0;title\x1b\\b", "ab"),
        ("a\x9b1;31mb", "ab"),
        ("a\x9d0;t\x9cb", "ab"),
        ("a\x1bPq#0;2\x1b\\b", "ab"),
        ("a\x1b(Bb", "ab"),
        ("a\x1b", "a"),
        ("a\x1b]0;unterminated title", "a"),
        ("tab\there", "tab here"),
        ("two\r\nlines\rthree\u2028four", "two lines three four"),
        ("nul\x00del\x7fc1\x85x", "nuldelc1 x"),
        ("\u202eabc\u202c \u2066x\u2069", "abc x"),
        ("plain text, ünïcode ✓", "plain text, ünïcode ✓"),
    ],
)
def test_printable_removes_sequences_and_controls(text: str, expected: str) -> None:
    assert printable(text) == expected


def test_printable_keeps_line_breaks_when_asked() -> None:
    assert printable("a\r\nb\rc\n\x1b[1md", newlines=True) == "a\nb\nc\nd"


def test_printable_leaves_nothing_unsafe_in_a_hostile_text() -> None:
    cleaned = printable(HOSTILE)
    assert not UNSAFE.search(cleaned)
    assert "\x1b" not in cleaned and "owned" not in cleaned
    assert cleaned.endswith("bell end")


def test_printable_data_cleans_every_string_keys_included() -> None:
    data = {"m\x1b[1m": ["a\x1b]0;t\x07b", {"k": "x\ny\x9b2J"}], "n": 5, "b": True, "z": None}
    assert printable_data(data) == {"m": ["ab", {"k": "x\ny"}], "n": 5, "b": True, "z": None}


def fail(client: GenesysClient, server: FakeServer, response: httpx.Response) -> ApiError:
    server.api = [response]
    with pytest.raises(ApiError) as info:
        client.post_json("/api/v2/integrations/actions/a/test", json={})
    return info.value


def test_an_error_message_code_and_correlation_id_are_made_printable(
    client: GenesysClient, server: FakeServer
) -> None:
    body = {
        "message": HOSTILE,
        "code": "bad.\x1b[31mrequest",
        "errors": [{"message": "inner \x1b]0;x\x07one"}],
    }
    headers = [(b"ININ-Correlation-Id", b"c-\x1b[1m\x9b1m1")]  # raw bytes on the wire
    error = fail(client, server, httpx.Response(400, json=body, headers=headers))
    text = str(error)
    assert not UNSAFE.search(text) and "\n" not in text
    assert error.code == "bad.request"
    assert error.correlation_id == "c-1"
    assert error.body["errors"] == [{"message": "inner one"}]  # the body is shown too


def test_an_auth_failure_is_made_printable(client: GenesysClient, server: FakeServer) -> None:
    server.token_responses = [
        json_response(401, {"error": "invalid_client\x1b[5m", "error_description": HOSTILE})
    ]
    with pytest.raises(AuthError) as info:
        client.get_json("/api/v2/x")
    assert not UNSAFE.search(str(info.value))
    assert "invalid_client" in str(info.value)


def test_a_proxy_html_page_is_shortened_to_its_title(
    client: GenesysClient, server: FakeServer
) -> None:
    page = (
        "<!DOCTYPE html>\n<html><head><title>502 Bad\n Gateway &amp; \x1b[2Jfriends</title>"
        "</head><body>" + "<p>nginx</p>" * 5000 + "</body></html>"
    )
    response = httpx.Response(502, text=page, headers={"Content-Type": "text/html"})
    error = fail(client, server, response)
    assert error.message == (
        "POST /api/v2/integrations/actions/a/test: 502 Bad Gateway & friends (HTML page)"
    )
    assert str(error).startswith("HTTP 502: ")
    assert error.body is None  # the page is not kept


def test_an_html_page_without_title_is_named_not_dumped(
    client: GenesysClient, server: FakeServer
) -> None:
    error = fail(client, server, httpx.Response(503, text="<html><body>down</body></html>"))
    assert error.message.endswith(": an HTML page")


def test_an_html_page_answering_2xx_is_named_in_the_not_json_error(
    client: GenesysClient, server: FakeServer
) -> None:
    page = "<html><title>Sign in</title><body>portal</body></html>"
    server.api = [httpx.Response(200, text=page, headers={"Content-Type": "text/html"})]
    with pytest.raises(ApiError) as info:
        client.get_json("/api/v2/x")
    assert info.value.message == "GET /api/v2/x: the response is not JSON (Sign in (HTML page))"


def test_test_step_messages_and_results_are_made_printable(
    client: GenesysClient, server: FakeServer
) -> None:
    result = {
        "operations": [
            {
                "step": 1,
                "name": "Execute\x1b[8m",
                "success": False,
                "result": {"body": "line 1\nline\x1b]0;x\x07 2"},
                "error": {"message": "failed \x1b[2J\x9b31mhere", "code": "x\x07"},
            }
        ],
        "success": False,
        "finalResult": "a\u202eb",
    }
    server.api = [json_response(200, result)]
    answer = ActionsApi(client).test_action("a", {})
    step = answer["operations"][0]
    assert step["name"] == "Execute"
    assert step["result"] == {"body": "line 1\nline 2"}
    assert step["error"] == {"message": "failed here", "code": "x"}
    assert answer["finalResult"] == "ab"
