"""Secret detection and redaction (reconciler.secrets) and the channels that apply it."""

from __future__ import annotations

import base64
import io
import json
import logging
import sys
from pathlib import Path
from typing import TextIO, cast

import click
import httpx
import pytest
from click.testing import CliRunner

from reconciler import secrets
from reconciler.audit import AuditLog
from reconciler.cli import main
from reconciler.genesys.auth import ClientCredentialsAuth
from reconciler.genesys.settings import ConnectionSettings
from reconciler.plan import build_plan
from reconciler.render.plan import render_json, render_markdown, render_text
from reconciler.secrets import (
    MASK,
    SENSITIVE,
    RedactingStream,
    credential_header,
    literal_credential,
    redact_text,
    redact_value,
    redacting_output,
    register_secret,
)
from reconciler.secrets import redact_canonical as redact
from reconciler.validate import validate_tree
from reconciler.webhook import post_json
from tests.test_plan import INTEGRATIONS, live_of, spec

# --- names --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "credential"),
    [
        ("Authorization", True),
        ("Proxy-Authorization", True),
        ("Cookie", True),
        ("Set-Cookie", True),
        ("X-API-Key", True),
        ("client_secret", True),
        ("access_token", True),
        ("X-Amz-Signature", True),
        ("Idempotency-Key", False),
        ("Content-Type", False),
        ("timeoutSeconds", False),
    ],
)
def test_credential_names(name: str, credential: bool) -> None:
    assert credential_header(name) is credential


def test_a_literal_is_told_from_a_template() -> None:
    assert literal_credential("Authorization", "Bearer abc$def123")
    assert not literal_credential("Authorization", "Bearer ${credentials.token}")
    assert literal_credential("X-Anything", "Bearer LEAKME-123456")


# --- text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a password in a URL; a user part alone (often a token); templates stay
        (
            "GET https://svc:LEAKPASS@api.example.com/x failed",
            "GET https://svc:***@api.example.com/x failed",
        ),
        ("https://svc:p@ss@host/x", "https://svc:***@host/x"),
        ("git clone https://ghp_tok3n@github.com/a/b", "git clone https://***@github.com/a/b"),
        (
            "https://${credentials.user}:${credentials.pw}@host/x",
            "https://${credentials.user}:${credentials.pw}@host/x",
        ),
        ("https://api.example.com/x?a=1", "https://api.example.com/x?a=1"),
        # secret query parameters and form bodies
        (
            "/oauth?client_secret=S1&grant_type=client_credentials",
            "/oauth?client_secret=***&grant_type=client_credentials",
        ),
        (
            "?X-Amz-Credential=AKIA/2024/us&X-Amz-Signature=ab12&X-Amz-Date=2024",
            "?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Date=2024",
        ),
        (
            "?key=AIzaSy&sig=abc&api_key=k&apikey=k&password=p&token=t&access_token=a&page=2",
            "?key=***&sig=***&api_key=***&apikey=***&password=***&token=***&access_token=***"
            "&page=2",
        ),
        ("?token=${input.token}", "?token=${input.token}"),
        # scheme credentials in free text, never prose
        ("echo: Bearer LEAKME-42 was refused", "echo: Bearer *** was refused"),
        ("got Basic ZGFjdGw6c2VjcmV0 back", "got Basic *** back"),
        ("Token 9f8e7d6c5b", "Token ***"),
        (
            "the token endpoint https://login.x refused",
            "the token endpoint https://login.x refused",
        ),
        (
            "never the bearer token; Basic authentication",
            "never the bearer token; Basic authentication",
        ),
        ("Bearer ${credentials.token}", "Bearer ${credentials.token}"),
        # header lines: the whole value; placeholders and our own messages stay
        ("Authorization: Bearer x.y.z", "Authorization: ***"),
        ("  Cookie: session=abc; theme=dark", "  Cookie: ***"),
        ("+Set-Cookie: id=abc; HttpOnly", "+Set-Cookie: ***"),
        ("  X-API-Key: 98127364512", "  X-API-Key: ***"),
        (
            "  Authorization: Bearer <credentials.token>",
            "  Authorization: Bearer <credentials.token>",
        ),
        ("  X-API-Key: (sensitive value)", "  X-API-Key: (sensitive value)"),
        (
            "a.yaml:9:20: request.headers.X-API-Key: looks like a literal credential",
            "a.yaml:9:20: request.headers.X-API-Key: looks like a literal credential",
        ),
        ("Content-Type: application/json", "Content-Type: application/json"),
        # JSON-ish pairs, quoted either way, numbers too
        (
            '{"client_secret": "s3cr3t", "password": "hunter22", "name": "x"}',
            '{"client_secret": "***", "password": "***", "name": "x"}',
        ),
        ("{'Cookie': 'a=b'}", "{'Cookie': '***'}"),
        ('{"X-API-Key": 98127364512}', '{"X-API-Key": "***"}'),
        ('{"password": "${input.password}"}', '{"password": "${input.password}"}'),
        ('{"token": {"type": "string"}}', '{"token": {"type": "string"}}'),
    ],
)
def test_redact_text(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_known_values_are_masked_anywhere_in_any_encoding() -> None:
    secret = 'S3CRET-CLIENT-9f2c/"x'
    assert redact_text(f"msg {secret}") == f"msg {secret}"  # not known yet
    register_secret(secret)
    assert redact_text(f"id:{secret}; again{secret}end") == "id:***; again***end"
    assert redact_text("q=S3CRET-CLIENT-9f2c%2F%22x") == "q=***"  # URL-encoded
    assert redact_text(json.dumps({"m": secret})) == '{"m": "***"}'  # JSON-escaped
    secrets.forget_secrets()
    assert secret in redact_text(secret)


def test_short_values_are_not_remembered() -> None:
    register_secret("abc")  # would mask every "abc" of the output
    assert redact_text("abcdef") == "abcdef"


def test_settings_and_auth_register_what_they_read() -> None:
    settings = ConnectionSettings(
        api_url="https://api.example.test",
        login_url="https://login.example.test",
        client_id="my-client",
        client_secret="S3CRET-CLIENT-9f2c",
    )
    assert "S3CRET" not in redact_text(f"echo {settings.client_secret}")
    basic = base64.b64encode(b"my-client:S3CRET-CLIENT-9f2c").decode()
    assert redact_text(f"echo {basic} (no scheme word)") == "echo *** (no scheme word)"
    ConnectionSettings(
        api_url="https://api.example.test",
        login_url="https://login.example.test",
        access_token="READY-TOKEN-abcdefgh",
    )
    assert redact_text("READY-TOKEN-abcdefgh") == MASK
    auth = ClientCredentialsAuth(
        token_url="https://x/oauth/token", client_id="i", client_secret="s"
    )
    response = httpx.Response(200, json={"access_token": "fetchedtoken", "expires_in": 60})
    assert auth._store(response)
    assert redact_text("server said fetchedtoken") == "server said ***"


# --- data ----------------------------------------------------------------------------


def test_redact_value_hides_credential_entries_and_redacts_every_string() -> None:
    step = {
        "url": "https://svc:LEAKPASS@api.example.com/v1?api_key=K123&q=1",
        "headers": {
            "Authorization": "Bearer LEAKME-123",
            "Cookie": "session=COOKIEVALUE",
            "X-API-Key": 98127364512,
            "X-Token": "${credentials.token}",
            "Accept": "application/json",
        },
        "echo": ["Basic ZGFjdGw6c2VjcmV0", True, 3],
        "secure": False,
    }
    assert redact_value(step) == {
        "url": "https://svc:***@api.example.com/v1?api_key=***&q=1",
        "headers": {
            "Authorization": SENSITIVE,
            "Cookie": SENSITIVE,
            "X-API-Key": SENSITIVE,
            "X-Token": "${credentials.token}",
            "Accept": "application/json",
        },
        "echo": [SENSITIVE, True, 3],
        "secure": False,
    }


def test_plans_redact_urls_and_template_secrets_but_still_diff_lines() -> None:
    url = "https://svc:LEAKPASS@api.example.com/x?client_secret=QSECRET1"
    template = 'line one\n{"password": "LEAKPW-1", "user": "${input.user}"}\nline three'
    s = spec(
        "A",
        request={"requestUrlTemplate": url, "requestType": "POST", "requestTemplate": template},
    )
    plan = build_plan([s], [live_of(spec("A"), "custom_-_a")], INTEGRATIONS)
    for text in (render_text(plan), render_markdown(plan), render_json(plan)):
        for leaked in ("LEAKPASS", "QSECRET1", "LEAKPW-1"):
            assert leaked not in text
    text = render_text(plan)
    assert '+{"password": "***", "user": "${input.user}"}' in text  # still a line diff
    assert redact(("request", "headers", "X-API-Key"), 98127364512) == SENSITIVE


def test_a_schema_error_never_quotes_a_credential_header(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "name: A\nintegration: Web Services Data Actions\n"
        "contract: {input: {type: object}, output: {type: object}}\n"
        "request:\n  requestUrlTemplate: https://example.com/x\n  requestType: GET\n"
        "  headers:\n    X-API-Key: 98127364512\n    X-Retries: 3\n",
        encoding="utf-8",
    )
    messages = [p.message for p in validate_tree(tmp_path).problems]
    assert "request.headers.X-API-Key: must be a string (value not shown)" in messages
    assert "request.headers.X-Retries: 3 is not of type 'string'" in messages
    assert not any("98127364512" in m for m in messages)


# --- channels ------------------------------------------------------------------------


def test_the_stream_redacts_what_click_writes_and_cannot_be_bypassed() -> None:
    target = io.StringIO()
    stream = cast(TextIO, RedactingStream(target))
    click.echo("Authorization: Bearer LEAKME-1", file=stream)
    click.echo("x", file=stream, err=True)
    assert target.getvalue() == "Authorization: ***\nx\n"
    with pytest.raises(TypeError):
        stream.write(b"bytes")  # type: ignore[arg-type]
    assert not hasattr(stream, "buffer") and stream.isatty() is False


def test_redacting_output_covers_stdout_stderr_and_logging(
    capsys: pytest.CaptureFixture[str],
) -> None:
    records = io.StringIO()
    handler = logging.StreamHandler(records)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with redacting_output():
            print("GET https://u:LEAKPASS@h/x")
            print("?client_secret=LEAKQ1", file=sys.stderr)
            logging.getLogger("reconciler.genesys").warning("sent %s", "Bearer LEAKTOK-1")
        logging.getLogger("reconciler.genesys").warning("after %s", "Bearer LEAKTOK-2")
    finally:
        root.removeHandler(handler)
    out, err = capsys.readouterr()
    assert out == "GET https://u:***@h/x\n" and err == "?client_secret=***\n"
    assert "sent Bearer ***" in records.getvalue()
    assert "LEAKTOK-1" not in records.getvalue()
    assert "after Bearer LEAKTOK-2" in records.getvalue()  # the filter is gone again
    assert not isinstance(sys.stdout, RedactingStream)


def test_every_cli_line_goes_through_the_filter() -> None:
    url = "http://127.0.0.1:9/?client_secret=LEAKQ-77"
    env = {"GENESYSCLOUD_OAUTHCLIENT_ID": "a", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "b"}
    result = CliRunner().invoke(main, ["plan", "--api-url", url], env=env)
    assert result.exit_code == 1
    assert "client_secret=***" in result.stderr and "LEAKQ-77" not in result.stderr


def test_audit_lines_are_redacted(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.write(action="A", note="server echoed Authorization: Bearer LEAKME-9", token="t0ken-x")
    line = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert "LEAKME-9" not in line and "t0ken-x" not in line
    assert json.loads(line)["action"] == "A"


def test_webhook_bodies_are_redacted() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    body = {"text": "drift", "drift": {"url": "https://u:LEAKPASS@h", "Cookie": "s=LEAKC00KIE"}}
    post_json("https://hooks.example.com/x", body, transport=httpx.MockTransport(answer))
    (request,) = sent
    assert json.loads(request.content) == {
        "text": "drift",
        "drift": {"url": "https://u:***@h", "Cookie": SENSITIVE},
    }
