"""No secret is ever echoed: every command, every format, errors provoked on purpose.

Distinctive secret values go in everywhere they can come from (the environment, a URL, the
action files, a secure action's inputs, an error body that echoes the request, the step
results of a remote test), then every stdout, stderr, webhook body and file dactl wrote is
searched for each of them. Two places hold some of them by design, and are checked for
exactly that: the action files dactl writes (``export``, ``import``) hold what the org, or
the imported file, holds; ``.dactl/cache/`` holds the org's live definitions (0600, git-
ignored). Neither may hold a credential of the connection (secret, tokens) or an input.
"""

from __future__ import annotations

import base64
import json
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from reconciler.genesys import ActionsApi
from reconciler.sandbox.config import SandboxConfig
from tests.e2e.conftest import Cli, edit_in_org
from tests.e2e.test_drift_e2e import SECRET_PATH, Receiver

pytestmark = pytest.mark.e2e

CLIENT_ID = "dactl-e2e-client"
CLIENT_SECRET = "S3CRET-CLIENT-9f2c"
BASIC = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
WRONG_SECRET = "WRONG-SECRET-4a7b"
URL_ENV_PASSWORD = "LEAKENVPASS-0c1e"
URL_ENV_QUERY = "LEAKENVQUERY-77d2"
WEBHOOK_SECRET = "LEAKHOOK-9d3f"
SECURE_INPUT = "LEAKSSN-6543"
# In the action files (and so in the org): the user's own data.
HEADER_TOKEN = "LEAKME-7c1d0e5a"
COOKIE = "LEAKCOOKIE-2b9e"
URL_PASSWORD = "LEAKPASS-51f3"
URL_QUERY = "LEAKQUERY-88a1"
API_KEY_NUMBER = "98127364512"
DRIFT_TOKEN = "LEAKDRIFT-4e0a"  # added in the org, past git
DEFINITION_SECRETS = (HEADER_TOKEN, COOKIE, URL_PASSWORD, URL_QUERY, API_KEY_NUMBER, DRIFT_TOKEN)
CONNECTION_SECRETS = (
    CLIENT_SECRET,
    BASIC,
    WRONG_SECRET,
    URL_ENV_PASSWORD,
    URL_ENV_QUERY,
    WEBHOOK_SECRET,
    SECURE_INPUT,
)

LEAKY = f"""\
name: Leaky Lookup
integration: Web Services Data Actions
timeoutSeconds: 10
contract:
  input: {{type: object, required: [orderId], properties: {{orderId: {{type: string}}}}}}
  output: {{type: object, properties: {{status: {{type: string}}}}}}
request:
  requestUrlTemplate: https://svc:{URL_PASSWORD}@api.example.com/orders/${{input.orderId}}?api_key={URL_QUERY}
  requestType: GET
  headers:
    Authorization: Bearer {HEADER_TOKEN}
    Cookie: session={COOKIE}
    X-API-Key: "{API_KEY_NUMBER}"
response:
  translationMap: {{status: $.status}}
  translationMapDefaults: {{status: '"ok"'}}
  successTemplate: '{{"status": ${{status}}}}'
"""
SECURE = """\
name: Check SSN
integration: Web Services Data Actions
secure: true
timeoutSeconds: 10
contract:
  input: {type: object, required: [ssn], properties: {ssn: {type: string}}}
  output: {type: object, properties: {valid: {type: boolean}}}
request:
  requestUrlTemplate: https://api.example.com/ssn/${input.ssn}
  requestType: POST
  requestTemplate: '{"ssn": "${input.ssn}"}'
response:
  translationMap: {valid: $.valid}
  translationMapDefaults: {valid: "true"}
  successTemplate: '{"valid": ${valid}}'
"""
PROJECT = "scope: {integrations: [Web Services Data Actions]}\n"
# An admin UI export of an action with credentials written in clear.
UI_EXPORT = {
    "name": "Imported Leak - Exported 2024-11-19 @ 14:13",
    "integrationType": "custom-rest-actions",
    "actionType": "custom",
    "secure": False,
    "config": {
        "request": {
            "requestUrlTemplate": f"https://svc:{URL_PASSWORD}@api.example.com/i",
            "requestType": "GET",
            "headers": {"Authorization": f"Bearer {HEADER_TOKEN}"},
        },
        "response": {"translationMap": {}, "successTemplate": "${rawResult}"},
    },
    "contract": {
        "input": {"inputSchema": {"type": "object", "properties": {}}},
        "output": {"successSchema": {"type": "object", "properties": {}}},
    },
}
SANDBOX = SandboxConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


@dataclass
class Transcript:
    """Every command run, with what it printed; and the files the test itself wrote."""

    cli: Cli
    runs: list[tuple[str, subprocess.CompletedProcess[str]]] = field(default_factory=list)
    inputs: set[Path] = field(default_factory=set)

    def run(
        self, *args: str, expect: int | None = 0, **env: str
    ) -> subprocess.CompletedProcess[str]:
        result = self.cli.run(*args, **env)
        self.runs.append((" ".join(args), result))
        if expect is not None:
            assert result.returncode == expect, (args, result.stdout[-2000:], result.stderr)
        return result

    def write(self, relative: str, text: str) -> Path:
        path = self.cli.cwd / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.inputs.add(path)
        return path

    def fault(self, **rule: object) -> None:
        response = httpx.post(f"{self.cli.sandbox.base_url}/sandbox/faults", json=rule)
        assert response.status_code in (200, 201), response.text


def leaks(text: str, secrets: tuple[str, ...]) -> list[str]:
    return [s for s in secrets if s in text]


@pytest.mark.parametrize("sandbox", [SANDBOX], indirect=True)
def test_no_secret_reaches_any_output_file_or_webhook(cli: Cli) -> None:
    t = Transcript(cli)
    for path in (cli.cwd / "actions").rglob("*"):
        t.inputs.add(path)  # the example tree the fixture copied: not dactl's writing
    t.write("secrets/dactl.yaml", PROJECT)
    t.write("secrets/leaky-lookup.yaml", LEAKY)
    t.write("secrets/check-ssn.yaml", SECURE)
    t.write("broken/dactl.yaml", PROJECT)
    t.write(
        "broken/unquoted-key.yaml",
        LEAKY.replace(f'X-API-Key: "{API_KEY_NUMBER}"', f"X-API-Key: {API_KEY_NUMBER}"),
    )
    t.write("ui-export.json", json.dumps(UI_EXPORT))
    token = httpx.post(
        f"{cli.sandbox.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
    ).json()["access_token"]
    connection_secrets = (*CONNECTION_SECRETS, token)

    # validate, every format; a schema error on a credential header's value
    t.run("validate", "secrets")
    t.run("validate", "--format", "json", "secrets")
    broken = t.run("validate", "broken", expect=1)
    assert "request.headers.X-API-Key: must be a string (value not shown)" in broken.stdout
    t.run("validate", "--format", "json", "broken", expect=1)
    t.run("plan", "broken", expect=1)

    # plan, every format, and a saved plan; apply it (audited)
    for fmt in ("text", "markdown", "json"):
        t.run("plan", "secrets", "--format", fmt)
    t.run("plan", "secrets", "--out", "plan.json")
    t.run("apply", "plan.json")
    assert (cli.cwd / ".dactl" / "audit.jsonl").is_file()
    t.run("plan", "secrets", "--detailed-exitcode")

    # an update planned and applied, its write refused by a server that echoes the request
    t.write("secrets/leaky-lookup.yaml", LEAKY.replace("/orders/", "/v2/orders/"))
    changed = t.run("plan", "secrets")
    assert "request.requestUrlTemplate" in changed.stdout and "svc:***@" in changed.stdout
    t.fault(method="PATCH", path="/actions/", status=400, echo_request=True)
    refused = t.run("apply", "secrets", "--auto-approve", expect=1)
    assert "authorization: Bearer ***" in refused.stdout + refused.stderr  # echoed, masked
    t.run("apply", "secrets", "--auto-approve")

    # drift: an edit in the org past git, every format, and the webhook
    with cli.api() as client:
        api = ActionsApi(client)
        (live,) = [a for a in api.iter_actions() if a["name"] == "Leaky Lookup"]
        edit_in_org(api, live["id"], headers={"X-Session-Token": DRIFT_TOKEN})
    for fmt in ("text", "markdown", "json"):
        t.run("drift", "secrets", "--format", fmt, expect=2)
    with Receiver() as receiver:
        hook = receiver.url.replace(SECRET_PATH, f"/hooks/{WEBHOOK_SECRET}")
        t.run("drift", "secrets", "--webhook", hook, expect=2)
        t.run("drift", "secrets", expect=2, DACTL_DRIFT_WEBHOOK=hook)
    assert len(receiver.posts) == 2
    for _, body in receiver.posts:
        sent = json.dumps(body)
        assert "X-Session-Token" in sent  # the drifted field is reported ...
        assert not leaks(sent, DEFINITION_SECRETS + connection_secrets), sent  # ... redacted

    # test: remote and offline, a non-secure action (its step results echo the request's
    # URL and headers) and a secure one
    remote = t.run("test", "Leaky Lookup", "secrets", "--input", "orderId=1")
    assert '"Authorization": "(sensitive value)"' in remote.stdout
    assert "https://svc:***@api.example.com/v2/orders/1?api_key=***" in remote.stdout
    t.run("test", "Leaky Lookup", "secrets", "--input", "orderId=1", "--offline")
    t.run("test", "Check SSN", "secrets", "--input", f"ssn={SECURE_INPUT}")
    t.run("test", "Check SSN", "secrets", "--input", f"ssn={SECURE_INPUT}", "--offline")
    t.fault(method="POST", path="/test$", status=400, echo_request=True)
    t.run("test", "Leaky Lookup", "secrets", "--input", "orderId=1", expect=1)

    # export and import: the files hold the definitions, the output does not
    exported = t.run("export", "--out", "exported", "--integration", "Web Services Data Actions")
    assert "looks like a literal credential (value not shown)" in exported.stderr
    t.run(
        "import",
        "ui-export.json",
        "--out",
        "imported",
        "--integration",
        "Web Services Data Actions",
    )

    # errors on purpose: a wrong secret, credentials in the API URL, echoing servers
    t.run("plan", "secrets", expect=1, GENESYSCLOUD_OAUTHCLIENT_SECRET=WRONG_SECRET)
    base = cli.sandbox.base_url
    netloc = base.removeprefix("http://")
    t.run("plan", "secrets", expect=1, GENESYSCLOUD_API_URL=f"http://u:{URL_ENV_PASSWORD}@{netloc}")
    t.run(
        "plan", "secrets", expect=1, GENESYSCLOUD_API_URL=f"{base}/?client_secret={URL_ENV_QUERY}"
    )
    t.run("plan", "secrets", "--api-url", f"http://u:{URL_ENV_PASSWORD}@{netloc}", expect=1)
    # count 3: the org-name lookup (which may fail quietly) fetches a token first
    t.fault(path="^/oauth/token$", status=400, echo_request=True, count=3)
    echoed = t.run("plan", "secrets", "--refresh", expect=1)
    assert "authorization: Basic ***" in echoed.stderr, echoed.stderr  # echoed, masked
    t.fault(method="GET", path="integrations/actions$", status=400, echo_request=True)
    echoed = t.run("plan", "secrets", "--refresh", expect=1, GENESYSCLOUD_ACCESS_TOKEN=token)
    assert "authorization: Bearer ***" in echoed.stderr, echoed.stderr

    # Nothing printed holds any secret.
    everything = DEFINITION_SECRETS + connection_secrets
    for command, result in t.runs:
        for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
            assert not leaks(text, everything), (command, stream, leaks(text, everything), text)

    # Nothing written holds one, but for the places that hold definitions by design.
    written = [p for p in cli.cwd.rglob("*") if p.is_file() and p not in t.inputs]
    cache = cli.cwd / ".dactl" / "cache"
    action_files = {
        p for p in written if p.parent.name in ("exported", "imported") and p.name != "dactl.yaml"
    }
    assert {p.parent.name for p in action_files} == {"exported", "imported"}
    checked = 0
    for path in written:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not leaks(text, connection_secrets), (path, leaks(text, connection_secrets))
        if path in action_files or cache in path.parents:
            continue
        assert not leaks(text, DEFINITION_SECRETS), (path, leaks(text, DEFINITION_SECRETS))
        checked += 1
    assert checked >= 3  # plan.json, the audit log, dactl.yaml files ...
    assert (cli.cwd / "plan.json") in written and (cli.cwd / ".dactl" / "audit.jsonl") in written

    # Action files hold what they were given: a literal credential round-trips.
    leaky_export = (cli.cwd / "exported" / "leaky-lookup.yaml").read_text(encoding="utf-8")
    for value in (HEADER_TOKEN, COOKIE, URL_PASSWORD, URL_QUERY, API_KEY_NUMBER, DRIFT_TOKEN):
        assert value in leaky_export
    imported = (cli.cwd / "imported" / "imported-leak.yaml").read_text(encoding="utf-8")
    assert HEADER_TOKEN in imported and URL_PASSWORD in imported
    # The cache holds the org's definitions, private to the user.
    cached = [p for p in written if cache in p.parents]
    assert cached and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in cached)
