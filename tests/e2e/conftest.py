"""End-to-end fixtures: a real sandbox server on an ephemeral loopback port, the real CLI."""

from __future__ import annotations

import io
import os
import pty
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.canonical import canonical_desired
from reconciler.genesys import ActionsApi, ConnectionSettings, GenesysClient
from reconciler.genesys.wire import post_body
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.process import SandboxServer
from reconciler.validate import validate_tree
from tests.conftest import REPO_ROOT

SANDBOX_INTEGRATIONS = {
    "Genesys Cloud Data Actions": "5a0e7c3b-1d2f-4e6a-8b9c-000000000001",
    "Web Services Data Actions": "5a0e7c3b-1d2f-4e6a-8b9c-000000000002",
}


@dataclass
class Cli:
    """Runs ``python -m reconciler`` against one sandbox, in one working directory."""

    sandbox: SandboxServer
    cwd: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GENESYSCLOUD_")}
        env.update(
            GENESYSCLOUD_API_URL=self.sandbox.base_url,
            GENESYSCLOUD_OAUTHCLIENT_ID=self.sandbox.client_id,
            GENESYSCLOUD_OAUTHCLIENT_SECRET=self.sandbox.client_secret,
        )
        env.update(extra)
        return env

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reconciler", *args],
            cwd=self.cwd,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def on_a_terminal(self, answer: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the CLI with a terminal as stdin, typing ``answer`` at the prompt."""
        master, slave = pty.openpty()
        try:
            os.write(master, answer.encode() + b"\n")
            return subprocess.run(
                [sys.executable, "-m", "reconciler", *args],
                cwd=self.cwd,
                env=self.env(),
                stdin=slave,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        finally:
            os.close(slave)
            os.close(master)

    def api(self) -> GenesysClient:
        settings = ConnectionSettings.resolve(
            api_url=self.sandbox.base_url,
            client_id=self.sandbox.client_id,
            client_secret=self.sandbox.client_secret,
            env={},
        )
        return GenesysClient(settings)


def requests_by_route(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    """Requests made between two ``/sandbox/stats`` snapshots, by route."""
    old, new = before["requests"], after["requests"]
    return {k: new[k] - old.get(k, 0) for k in new if new[k] - old.get(k, 0)}


WRITES = ("POST", "PATCH", "PUT", "DELETE")


def writes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    """API write requests between two stats snapshots (the token request excluded)."""
    return {
        route: n
        for route, n in requests_by_route(before, after).items()
        if route.startswith(WRITES) and "/api/v2/" in route
    }


def edit(cli: Cli, name: str, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` once in the action file ``actions/NAME``."""
    path = cli.cwd / "actions" / name
    text = path.read_text(encoding="utf-8")
    assert old in text, (name, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def edit_in_org(
    api: ActionsApi,
    action_id: str,
    *,
    headers: dict[str, str] | None = None,
    **config: Any,
) -> int:
    """What an admin does in the web UI: change config fields (and add request headers)
    of a published action with one versioned PATCH, past git. Returns the new version."""
    live = api.get_action_full(action_id)
    body_config = live["config"]
    body_config.update(config)
    body_config["request"].setdefault("headers", {}).update(headers or {})
    for part, uri in (("request", "requestTemplateUri"), ("response", "successTemplateUri")):
        body_config[part].pop(uri, None)
    body = {"name": live["name"], "category": live["category"], "config": body_config}
    return int(api.patch_action(action_id, {**body, "version": live["version"]})["version"])


def create_in_org(cli: Cli, name: str, integration: str = "Genesys Cloud Data Actions") -> str:
    """An action made in the org directly (no file in git); its id."""
    url = (
        "/api/v2/users/${input.q}" if "Genesys" in integration else "https://example.com/${input.q}"
    )
    canonical: dict[str, Any] = {
        "name": name,
        "integrationId": SANDBOX_INTEGRATIONS[integration],
        "category": integration,
        "secure": False,
        "timeoutSeconds": 5,
        "contract": {
            "input": {"type": "object", "properties": {"q": {"type": "string"}}},
            "output": {"type": "object", "properties": {}},
        },
        "request": {"requestUrlTemplate": url, "requestType": "GET"},
        "response": {"translationMap": {}, "successTemplate": "${rawResult}"},
    }
    with cli.api() as client:
        return str(ActionsApi(client).create_action(post_body(canonical))["id"])


FUNCTION_SETTINGS = {"handler": "src/index.handler", "runtime": "nodejs20.x", "description": ""}


def a_zip(files: dict[str, str] | None = None) -> bytes:
    """A small code package."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in (files or {"src/index.js": "exports.handler = 1;"}).items():
            archive.writestr(name, text)
    return buffer.getvalue()


def publish_function_in_org(
    api: ActionsApi,
    body: dict[str, Any],
    *,
    package: bytes | None = None,
    file_name: str = "code.zip",
    settings: dict[str, Any] | None = None,
) -> str:
    """A Function action made in the org as an admin makes one (draft-only create, upload,
    settings, publish), with raw API calls rather than dactl's writer; its id."""
    action_id = str(api.create_draft_only(body)["id"])
    answer = api.request_function_upload(action_id, file_name)
    api.client.upload(answer["url"], package or a_zip(), answer["headers"])
    wait_processed(api, action_id)
    api.put_draft_function(action_id, settings or FUNCTION_SETTINGS)
    version = int((api.get_draft(action_id) or {})["version"])
    api.publish_draft(action_id, version)
    return action_id


def wait_processed(api: ActionsApi, action_id: str) -> None:
    """Until the draft's uploaded package is processed (bounded)."""
    deadline = time.monotonic() + 10
    while (api.get_function(action_id, draft=True).get("zip") or {}).get("status") != "Available":
        assert time.monotonic() < deadline, "the package was not processed"
        time.sleep(0.05)


def seed_actions(cli: Cli, directory: Path) -> dict[str, str]:
    """Create every action of ``directory`` in the sandbox through the API; name -> id."""
    report = validate_tree(directory)
    assert report.ok, report.problems
    ids = {}
    with cli.api() as client:
        api = ActionsApi(client)
        for spec in report.actions:
            assert spec.integration is not None
            body = post_body(
                canonical_desired(spec, SANDBOX_INTEGRATIONS[spec.integration], spec.integration)
            )
            ids[spec.name] = api.create_action(body)["id"]
    return ids


# The real answer to a PATCH with a stale version is unknown (genesys-api.md §3 [I]): tests
# about stale versions run against both, with ``indirect=["sandbox"]``.
STALE_VERSION_ANSWERS = [
    pytest.param(SandboxConfig(stale_version_status=409), id="stale-409"),
    pytest.param(SandboxConfig(stale_version_status=400), id="stale-400"),
]


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[SandboxServer]:
    """A sandbox with the default config, or the ``SandboxConfig`` given as the param."""
    config = getattr(request, "param", None) or SandboxConfig()
    with SandboxServer(config) as server:
        yield server


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of the example org, so tests can edit files freely."""
    shutil.copytree(REPO_ROOT / "actions", tmp_path / "actions")
    return tmp_path


@pytest.fixture
def cli(sandbox: SandboxServer, workdir: Path) -> Cli:
    return Cli(sandbox, workdir)
