"""``dactl drift`` end to end: the real CLI against a real sandbox, and a real webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from reconciler.genesys import ActionsApi
from tests.e2e.conftest import (
    Cli,
    create_in_org,
    edit_in_org,
    requests_by_route,
    seed_actions,
)

pytestmark = pytest.mark.e2e

WRITES = ("POST /api/v2", "PATCH /api/v2", "PUT /api/v2", "DELETE /api/v2")
SECRET_PATH = "/services/T000/B000/s3cr3t-webhook-token"


class Receiver:
    """A chat webhook stand-in on an ephemeral loopback port; answers every POST ``status``."""

    def __init__(self) -> None:
        self.status = 200
        self.posts: list[tuple[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                receiver.posts.append((self.path, json.loads(self.rfile.read(length))))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{SECRET_PATH}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


def ui_edit(cli: Cli, action_id: str) -> None:
    """What someone does in the admin UI: a timeout and a new header, past git."""
    with cli.api() as client:
        edit_in_org(ActionsApi(client), action_id, timeoutSeconds=9, headers={"X-Debug": "1"})


def delete_in_org(cli: Cli, action_id: str) -> None:
    with cli.api() as client:
        ActionsApi(client).delete_action(action_id)


def drift_json(cli: Cli, *args: str, **env: str) -> dict[str, Any]:
    result = cli.run("drift", "actions", "--format", "json", *args, **env)
    assert result.returncode == 2, result.stdout + result.stderr
    body: dict[str, Any] = json.loads(result.stdout)
    return body


def test_an_org_that_matches_git_has_no_drift_and_calls_no_webhook(
    cli: Cli, receiver: Receiver
) -> None:
    seed_actions(cli, cli.cwd / "actions")
    result = cli.run("drift", "actions", "--webhook", receiver.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "No drift: the org matches git.\n"
    assert receiver.posts == []


def test_an_edit_made_in_the_org_is_changed_outside_git(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    ui_edit(cli, ids["Lookup Customer By Phone"])
    result = cli.run("drift", "actions")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout.startswith("~ changed   'Lookup Customer By Phone'")
    assert "      timeoutSeconds: 4 → 9\n" in result.stdout
    assert '      request.headers.X-Debug: <absent> → "1"\n' in result.stdout
    assert "Drift: 1 changed outside git, 0 missing, 0 unmanaged." in result.stdout

    (action,) = drift_json(cli)["actions"]
    assert action["status"] == "changed" and action["id"] == ids["Lookup Customer By Phone"]
    assert action["live_version"] == 2
    assert [f["path"] for f in action["fields"]] == [
        ["request", "headers", "X-Debug"],
        ["timeoutSeconds"],
    ]

    markdown = cli.run("drift", "actions", "--format", "markdown")
    assert markdown.returncode == 2
    assert markdown.stdout.startswith("### dactl drift\n\n**Drift: 1 changed outside git")
    assert "`timeoutSeconds: 4 → 9`" in markdown.stdout


def test_an_action_made_in_the_org_is_unmanaged_and_left_alone(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    extra = create_in_org(cli, "Made In The Org", "Web Services Data Actions")
    before = cli.sandbox.stats()
    body = drift_json(cli)
    assert [(a["status"], a["name"], a["id"]) for a in body["actions"]] == [
        ("unmanaged", "Made In The Org", extra)
    ]
    assert body["counts"] == {"changed": 0, "missing": 0, "unmanaged": 1}
    made = requests_by_route(before, cli.sandbox.stats())
    assert not [r for r in made if r.startswith(WRITES)], made
    with cli.api() as client:
        assert ActionsApi(client).get_action(extra)["name"] == "Made In The Org"


def test_an_action_missing_from_the_org_is_missing(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    delete_in_org(cli, ids["Get User Presence"])
    (action,) = drift_json(cli)["actions"]
    assert action == {
        "name": "Get User Presence",
        "status": "missing",
        "id": None,
        "live_version": None,
        "source": "actions/get-user-presence.yaml",
        "fields": [],
        "adopt": None,
        "usage": None,
    }


def test_drift_is_read_only(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    ui_edit(cli, ids["Lookup Customer By Phone"])
    delete_in_org(cli, ids["Get User Presence"])
    create_in_org(cli, "Made In The Org", "Web Services Data Actions")
    before = cli.sandbox.stats()
    for fmt in ("text", "markdown", "json"):
        result = cli.run("drift", "actions", "--refresh", "--format", fmt)
        assert result.returncode == 2, result.stderr
        assert "delete" not in result.stdout.lower()
    made = requests_by_route(before, cli.sandbox.stats())
    assert made.get("GET /api/v2/integrations/actions", 0) >= 3
    assert not [r for r in made if r.startswith(WRITES)], made
    assert set(made) <= {"POST /oauth/token"} | {r for r in made if r.startswith("GET ")}
    assert drift_json(cli)["counts"] == {"changed": 1, "missing": 1, "unmanaged": 1}


# What GitHub Actions sets in a workflow run; the messages name the repository and the run.
GITHUB_RUN = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_REPOSITORY": "acme/dactl-actions",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_RUN_ID": "31337",
}
RUN_URL = "https://github.com/acme/dactl-actions/actions/runs/31337"


def test_the_webhook_gets_a_summary_and_the_json_report(cli: Cli, receiver: Receiver) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    ui_edit(cli, ids["Lookup Customer By Phone"])
    create_in_org(cli, "Made In The Org", "Web Services Data Actions")
    result = cli.run("drift", "actions", DACTL_DRIFT_WEBHOOK=receiver.url, **GITHUB_RUN)
    assert result.returncode == 2, result.stdout + result.stderr
    assert SECRET_PATH not in result.stdout + result.stderr
    ((path, body),) = receiver.posts
    assert path == SECRET_PATH
    report = drift_json(cli)
    host = report["organization"]["host"]
    assert body["text"] == (
        f"dactl drift: the org dactl sandbox ({host}) differs from git (repository "
        f"acme/dactl-actions, CI run {RUN_URL}): 1 changed outside git "
        "(Lookup Customer By Phone); 0 missing; 1 unmanaged (Made In The Org)."
    )
    assert body["organization"] == report["organization"]
    assert body["ci"]["repository"] == "acme/dactl-actions" and body["ci"]["run_url"] == RUN_URL
    assert body["drift"]["format_version"] == 1
    assert body["drift"]["counts"] == {"changed": 1, "missing": 0, "unmanaged": 1}
    # the report, with field names but without their values
    for action in report["actions"]:
        for field in action["fields"]:
            del field["before"], field["after"]
    assert body["drift"] == report
    assert '"1"' not in json.dumps(body["drift"])  # the header's value stayed home


@pytest.mark.parametrize("fmt", ["slack", "teams"])
def test_the_webhook_speaks_slack_and_teams(cli: Cli, receiver: Receiver, fmt: str) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    ui_edit(cli, ids["Lookup Customer By Phone"])
    result = cli.run(
        "drift", "actions", "--webhook", receiver.url, "--webhook-format", fmt, **GITHUB_RUN
    )
    assert result.returncode == 2, result.stdout + result.stderr
    ((_, body),) = receiver.posts
    fields = "Lookup Customer By Phone (request.headers.X-Debug, timeoutSeconds)"
    if fmt == "slack":
        assert body["text"].startswith("dactl drift: the org dactl sandbox (")
        section = body["blocks"][1]["text"]["text"]
        assert f"*Changed outside git* (1): {fields}" in section
        assert f"<{RUN_URL}|CI run>" in body["blocks"][2]["elements"][0]["text"]
    else:
        assert body["type"] == "message"
        card = body["attachments"][0]["content"]
        assert card["type"] == "AdaptiveCard"
        assert {"title": "Changed outside git", "value": fields} in card["body"][2]["facts"]
        assert {"title": "Repository", "value": "acme/dactl-actions"} in card["body"][2]["facts"]
        assert card["actions"][0]["url"] == RUN_URL
    assert "→" not in json.dumps(body) and '"1"' not in json.dumps(body)


def test_a_failing_webhook_is_exit_1_after_the_report_and_never_prints_the_url(
    cli: Cli, receiver: Receiver
) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    ui_edit(cli, ids["Lookup Customer By Phone"])
    receiver.status = 500
    result = cli.run("drift", "actions", "--webhook", receiver.url)
    assert result.returncode == 1
    assert "Drift: 1 changed outside git, 0 missing, 0 unmanaged." in result.stdout
    assert result.stderr == (
        "Error: the drift webhook failed after 3 attempts: HTTP 500 Internal Server Error\n"
    )
    assert len(receiver.posts) == 3  # a 5xx is retried
    for text in (result.stdout, result.stderr):
        assert receiver.url not in text and "s3cr3t" not in text and "127.0.0.1" not in text
