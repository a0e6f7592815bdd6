"""Environments and promotion, end to end: two real sandboxes as ``dev`` and ``prod``, one
tree with placeholders, the real CLI.

The tree applies to both orgs, and their live actions differ exactly by the per-environment
values; ``dactl compare`` shows exactly the differences seeded in one org, never the
placeholder values; a plan saved for ``dev`` is refused for ``prod`` before anything is
written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.genesys import ActionsApi, ConnectionSettings, GenesysClient
from reconciler.sandbox.process import SandboxServer
from tests.e2e.conftest import edit_in_org, requests_by_route

THING = "Get Thing"
OTHER = "Get Other"
HOSTS = {"dev": "dev.example.com", "prod": "api.example.com"}
TIMEOUTS = {"dev": 9, "prod": 5}
TOKENS = {"dev": "dev-token-header", "prod": "prod-token-header"}

PROJECT = """\
scope: {{integrations: [Web Services Data Actions]}}
variables:
  timeout: 5
environments:
  dev:
    apiUrl: {dev}
    credentialsPrefix: DEV_
    variables: {{host: {dev_host}, timeout: 9, channel: {dev_token}}}
  prod:
    apiUrl: {prod}
    credentialsPrefix: PROD_
    variables: {{host: {prod_host}, channel: {prod_token}}}
"""

THING_FILE = """\
name: Get Thing
integration: Web Services Data Actions
timeoutSeconds: "{{ var.timeout }}"
contract:
  input: {type: object, properties: {q: {type: string}}}
  output: {type: object, properties: {}}
request:
  requestUrlTemplate: "https://{{ var.host }}/things/${input.q}"
  requestType: GET
  headers:
    X-Channel: "{{ var.channel }}"
response:
  translationMap: {}
  successTemplate: "${rawResult}"
"""

OTHER_FILE = """\
name: Get Other
integration: Web Services Data Actions
timeoutSeconds: 5
contract:
  input: {type: object, properties: {q: {type: string}}}
  output: {type: object, properties: {}}
request:
  requestUrlTemplate: "https://{{var.host}}/other/${input.q}"
  requestType: GET
response:
  translationMap: {}
  successTemplate: "${rawResult}"
"""


class Envs:
    """The real CLI in one directory, with each sandbox's credentials under its
    environment's prefix (and the unprefixed variables pointing at dev, which an
    environment with a prefix must ignore)."""

    def __init__(self, cwd: Path, dev: SandboxServer, prod: SandboxServer) -> None:
        self.cwd = cwd
        self.orgs = {"dev": dev, "prod": prod}

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "DACTL"))}
        for name, server in self.orgs.items():
            prefix = name.upper() + "_"
            env[prefix + "GENESYSCLOUD_OAUTHCLIENT_ID"] = server.client_id
            env[prefix + "GENESYSCLOUD_OAUTHCLIENT_SECRET"] = server.client_secret
        dev = self.orgs["dev"]
        env.update(
            GENESYSCLOUD_API_URL=dev.base_url,
            GENESYSCLOUD_OAUTHCLIENT_ID=dev.client_id,
            GENESYSCLOUD_OAUTHCLIENT_SECRET=dev.client_secret,
        )
        return env | extra

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reconciler", *args],
            cwd=self.cwd,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def client(self, name: str) -> GenesysClient:
        server = self.orgs[name]
        settings = ConnectionSettings.resolve(
            api_url=server.base_url,
            client_id=server.client_id,
            client_secret=server.client_secret,
            env={},
        )
        return GenesysClient(settings)

    def live(self, name: str) -> dict[str, dict[str, Any]]:
        """The org's actions by name, as the API answers them (server-owned fields out)."""
        with self.client(name) as client:
            api = ActionsApi(client)
            found = {}
            for summary in api.iter_actions(include_config=True, page_size=100):
                if str(summary["id"]).startswith("static"):
                    continue
                full = api.get_action_full(summary["id"])
                for key in ("id", "version", "selfUri"):
                    full.pop(key, None)
                found[full["name"]] = full
            return found

    def edit(self, name: str, action: str, **config: Any) -> None:
        with self.client(name) as client:
            api = ActionsApi(client)
            ids = {a["name"]: a["id"] for a in api.iter_actions(page_size=100)}
            edit_in_org(api, ids[action], **config)


@pytest.fixture
def envs(tmp_path: Path) -> Iterator[Envs]:
    with SandboxServer() as dev, SandboxServer() as prod:
        directory = tmp_path / "actions"
        directory.mkdir()
        (directory / "dactl.yaml").write_text(
            PROJECT.format(
                dev=dev.base_url,
                prod=prod.base_url,
                dev_host=HOSTS["dev"],
                prod_host=HOSTS["prod"],
                dev_token=TOKENS["dev"],
                prod_token=TOKENS["prod"],
            ),
            encoding="utf-8",
        )
        (directory / "get-thing.yaml").write_text(THING_FILE, encoding="utf-8")
        (directory / "get-other.yaml").write_text(OTHER_FILE, encoding="utf-8")
        yield Envs(tmp_path, dev, prod)


def with_env_values_replaced(action: dict[str, Any], env: str) -> str:
    """An action's JSON with the environment's own values put back as placeholders (and
    the server's template URIs, which hold the id, left out)."""
    action = _without_uris(action)
    if action["name"] == THING and action["config"]["timeoutSeconds"] == TIMEOUTS[env]:
        action["config"]["timeoutSeconds"] = "{{ var.timeout }}"
    text = json.dumps(action, sort_keys=True)
    return text.replace(HOSTS[env], "{{ var.host }}").replace(TOKENS[env], "{{ var.channel }}")


def _without_uris(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_uris(v) for k, v in data.items() if not k.endswith("Uri")}
    return data


def test_one_tree_applies_to_two_orgs_that_differ_only_by_their_values(envs: Envs) -> None:
    checked = envs("validate", "actions")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "OK: 2 actions valid in every environment (dev, prod)." in checked.stdout

    for env in ("dev", "prod"):
        applied = envs("apply", "actions", "--env", env, "--auto-approve")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert applied.stdout.startswith(f"Environment: {env}\nOrg: ")
        assert "Apply complete: 2 created" in applied.stdout
    dev, prod = envs.live("dev"), envs.live("prod")
    assert sorted(dev) == sorted(prod) == [OTHER, THING]
    thing = dev[THING]["config"]
    assert thing["request"]["requestUrlTemplate"] == "https://dev.example.com/things/${input.q}"
    assert thing["request"]["headers"] == {"X-Channel": TOKENS["dev"]}
    assert thing["timeoutSeconds"] == 9  # a whole-value placeholder became an integer
    assert prod[THING]["config"]["timeoutSeconds"] == 5  # the project's default value
    assert prod[OTHER]["config"]["request"]["requestUrlTemplate"] == (
        "https://api.example.com/other/${input.q}"
    )
    for name in (THING, OTHER):
        assert dev[name] != prod[name]
        assert with_env_values_replaced(dev[name], "dev") == with_env_values_replaced(
            prod[name], "prod"
        )

    for env in ("dev", "prod"):
        planned = envs("plan", "actions", "--env", env, "--detailed-exitcode")
        assert planned.returncode == 0, planned.stdout + planned.stderr
    same = envs("compare", "--env", "dev", "--env", "prod", "--detailed-exitcode")
    assert same.returncode == 0, same.stdout + same.stderr
    assert "No differences: dev and prod hold the same 2 actions." in same.stdout

    # Seeded: a timeout edited in dev's org, and an action made in dev only.
    envs.edit("dev", OTHER, timeoutSeconds=7)
    with envs.client("dev") as client:  # the helper makes it in the sandbox of `Cli`
        made = ActionsApi(client).create_action(_body_of(envs.live("prod")[OTHER], "New In Dev"))
    assert made["id"]
    shown = envs("compare", "actions", "--env", "dev", "--env", "prod", "--detailed-exitcode")
    assert shown.returncode == 2, shown.stdout + shown.stderr
    assert "timeoutSeconds: 7 → 5" in shown.stdout
    assert "'New In Dev'" in shown.stdout
    assert "Compare: 1 differs, 1 only in dev, 0 only in prod, 1 the same." in shown.stdout
    for value in (*HOSTS.values(), *TOKENS.values()):
        assert value not in shown.stdout
    compared = envs("compare", "--env", "dev", "--env", "prod", "--format", "json")
    as_json = json.loads(compared.stdout)
    assert [(a["name"], a["status"]) for a in as_json["actions"]] == [
        (OTHER, "differs"),
        ("New In Dev", "only_a"),
    ]
    assert as_json["actions"][0]["fields"] == [
        {"path": ["timeoutSeconds"], "a": 7, "b": 5, "a_present": True, "b_present": True}
    ]
    assert (as_json["a"]["environment"], as_json["b"]["environment"]) == ("dev", "prod")
    assert as_json["same"] == [THING]
    markdown = envs("compare", "--env", "dev", "--env", "prod", "--format", "markdown").stdout
    assert markdown.startswith("### dactl compare: dev → prod")


def _body_of(live: dict[str, Any], name: str) -> dict[str, Any]:
    """A create body copied from a live action (of the other org), under another name."""
    config = live["config"]
    for part, uri in (("request", "requestTemplateUri"), ("response", "successTemplateUri")):
        config[part].pop(uri, None)
    return {
        "name": name,
        "category": live["category"],
        "integrationId": live["integrationId"],
        "secure": live["secure"],
        "config": config,
        "contract": live["contract"],
    }


def test_a_plan_saved_for_dev_is_refused_for_prod(envs: Envs) -> None:
    for env in ("dev", "prod"):
        assert envs("apply", "actions", "--env", env, "--auto-approve").returncode == 0
    path = envs.cwd / "actions" / "get-other.yaml"
    path.write_text(path.read_text().replace("timeoutSeconds: 5", "timeoutSeconds: 6"))
    saved = envs("plan", "actions", "--env", "dev", "--out", "plan.json", "--format", "json")
    assert saved.returncode == 0, saved.stderr
    assert json.loads(saved.stdout)["environment"] == "dev"
    assert json.loads((envs.cwd / "plan.json").read_text())["environment"] == "dev"
    audit = envs.cwd / ".dactl" / "audit.jsonl"
    lines = audit.read_text().splitlines()

    prod_before = envs.orgs["prod"].stats()
    for how in (("--env", "prod"), ()):
        refused = envs("apply", "plan.json", *how, **({} if how else {"DACTL_ENV": "prod"}))
        assert refused.returncode == 1
        assert refused.stderr == (
            "Error: plan.json was planned for environment dev, and this run is for "
            "environment prod; nothing was changed. Apply it to the environment it was "
            "made for, or plan again with --env prod.\n"
        )
        assert "Traceback" not in refused.stderr
    changed = requests_by_route(prod_before, envs.orgs["prod"].stats())
    assert not [r for r in changed if r.startswith(("POST /api", "PATCH", "PUT", "DELETE"))]
    assert audit.read_text().splitlines() == lines

    applied = envs("apply", "plan.json")  # no environment named: the plan's own
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "timeoutSeconds: 5 → 6" in applied.stdout
    new = [json.loads(line) for line in audit.read_text().splitlines()[len(lines) :]]
    assert [(r["env"], r["action"], r["operation"]) for r in new] == [("dev", OTHER, "patch")]
    assert envs.live("dev")[OTHER]["config"]["timeoutSeconds"] == 6
    assert envs.live("prod")[OTHER]["config"]["timeoutSeconds"] == 5

    drift = envs("drift", "actions", "--env", "prod", "--format", "json")
    assert drift.returncode == 2  # prod has not had the change yet
    assert json.loads(drift.stdout)["environment"] == "prod"


def test_environments_must_be_chosen_and_known(envs: Envs) -> None:
    missing = envs("plan", "actions")
    assert missing.returncode == 1
    assert missing.stderr == (
        "Error: actions/dactl.yaml declares environments (dev, prod): choose one with "
        "--env NAME (or DACTL_ENV)\n"
    )
    unknown = envs("plan", "actions", "--env", "prd")
    assert unknown.returncode == 1
    assert unknown.stderr == (
        "Error: unknown environment 'prd' (from --env); actions/dactl.yaml declares dev, "
        "prod; did you mean 'prod'?\n"
    )
    from_variable = envs("plan", "actions", DACTL_ENV="stage")
    assert "unknown environment 'stage' (from DACTL_ENV)" in from_variable.stderr
    no_secret = envs("plan", "actions", "--env", "prod", PROD_GENESYSCLOUD_OAUTHCLIENT_SECRET="")
    assert no_secret.returncode == 1
    assert no_secret.stderr == (
        "Error: no Genesys Cloud credentials: PROD_GENESYSCLOUD_OAUTHCLIENT_SECRET is not set "
        "(it is needed with PROD_GENESYSCLOUD_OAUTHCLIENT_ID)\n"
    )
    test_offline = envs("test", THING, "actions", "--offline", "--env", "prod", "--input", "q=1")
    assert test_offline.returncode == 0, test_offline.stdout + test_offline.stderr
    assert "https://api.example.com/things/1" in test_offline.stdout
    assert envs.orgs["prod"].stats()["requests"].get("POST /api/v2/integrations/actions") is None
