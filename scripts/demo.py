"""``make demo``: validate the example org, start the sandbox, and run what exists of the pipeline.

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
        step("apply -> drift")
        print("  not built yet: `dactl apply` and `dactl drift` are the next issues.", flush=True)
    step("done: sandbox stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
