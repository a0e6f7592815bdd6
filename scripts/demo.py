"""``make demo``: validate the example org, start the sandbox, plan, apply, and check drift.

The sandbox runs in the background on a free loopback port and is stopped at the end,
whatever happens in between.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from reconciler.sandbox.process import SandboxProcess

ROOT = Path(__file__).resolve().parents[1]


def step(title: str) -> None:
    print(f"\n==> {title}", flush=True)


def dactl(*args: str, env: dict[str, str] | None = None) -> int:
    print("$ dactl " + " ".join(args), flush=True)
    return subprocess.call([sys.executable, "-m", "reconciler", *args], cwd=ROOT, env=env)


DRIFT_ACTION = "Get Queue Waiting Count"
DRIFT_TIMEOUT = 25


def ui_edit(sandbox: SandboxProcess, token: str, name: str, timeout: int) -> str:
    """Change one action's timeout through the API, as an admin in the web UI would."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=sandbox.base_url, timeout=10, headers=headers) as http:
        listing = http.get("/api/v2/integrations/actions", params={"name": name}).json()
        action_id = next(a["id"] for a in listing["entities"] if a["name"] == name)
        path = f"/api/v2/integrations/actions/{action_id}"
        live = http.get(path, params={"expand": "contract", "includeConfig": "true"}).json()
        config = live["config"]
        for part, inline, uri, file_name in (
            ("request", "requestTemplate", "requestTemplateUri", "requesttemplate.vm"),
            ("response", "successTemplate", "successTemplateUri", "successtemplate.vm"),
        ):
            if config[part].pop(uri, None):
                config[part][inline] = http.get(f"{path}/templates/{file_name}").text
        before = config.get("timeoutSeconds")
        config["timeoutSeconds"] = timeout
        body = {"name": name, "category": live["category"], "config": config}
        http.patch(path, json={**body, "version": live["version"]}).raise_for_status()
    return f"{name!r}: timeoutSeconds {before} -> {timeout} (PATCH {action_id})"


def main() -> int:
    step("validate: schema, contracts and template lint, no network")
    if dactl("validate", "actions/") != 0:
        return 1
    step("sandbox: a local emulator of the Genesys Cloud actions API")
    with SandboxProcess() as sandbox:
        print(f"sandbox listening on {sandbox.base_url}", flush=True)
        env = dict(os.environ)
        env.update(
            GENESYSCLOUD_API_URL=sandbox.base_url,
            GENESYSCLOUD_OAUTHCLIENT_ID=sandbox.client_id,
            GENESYSCLOUD_OAUTHCLIENT_SECRET=sandbox.client_secret,
        )
        with httpx.Client(base_url=sandbox.base_url, timeout=10) as http:
            token = http.post(
                "/oauth/token",
                auth=(sandbox.client_id, sandbox.client_secret),
                data={"grant_type": "client_credentials"},
            ).json()["access_token"]
            listing = http.get(
                "/api/v2/integrations", headers={"Authorization": f"Bearer {token}"}
            ).json()
        for integration in listing["entities"]:
            print(f"  integration {integration['name']!r} ({integration['integrationType']['id']})")
        step("plan: what would change in the (empty) sandbox org")
        if dactl("plan", "actions/", env=env) != 0:
            return 1
        step("apply: create the actions (each write is audited in .dactl/audit.jsonl)")
        if dactl("apply", "actions/", "--auto-approve", env=env) != 0:
            return 1
        step("drift: the org now matches git")
        if dactl("drift", "actions/", env=env) != 0:
            return 1
        step("someone raises a timeout in the Genesys UI, outside git ...")
        print(f"  {ui_edit(sandbox, token, DRIFT_ACTION, DRIFT_TIMEOUT)}", flush=True)
        step("drift: ... and the scheduled check catches it (exit code 2)")
        if dactl("drift", "actions/", env=env) != 2:
            return 1
    step("done: sandbox stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
