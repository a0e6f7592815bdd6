"""``dactl sandbox --port 0`` as a real subprocess (SandboxProcess)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox.process import SandboxProcess, SandboxStartError

from .helpers import ACTIONS, action_body


def test_subprocess_serves_token_list_create(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with SandboxProcess("--state", str(state_file), "--client-secret", "proc-secret") as proc:
        assert proc.base_url.startswith("http://127.0.0.1:")
        assert proc.client_secret == "proc-secret"
        with httpx.Client(base_url=proc.base_url, timeout=10.0) as client:
            token = client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(proc.client_id, "proc-secret"),
            )
            assert token.status_code == 200
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            created = client.post(ACTIONS, json=action_body(), headers=headers)
            assert created.status_code == 200
            listing = client.get(ACTIONS, headers=headers).json()
            assert created.json()["id"] in {e["id"] for e in listing["entities"]}
        assert proc.stats()["requests"]["POST /api/v2/integrations/actions"] == 1
        proc.inject_fault(method="GET", path="actions$", status=500)
        with httpx.Client(base_url=proc.base_url, timeout=10.0) as client:
            assert client.get(ACTIONS, headers=headers).status_code == 500
        proc.reset()
        assert proc.stats()["total"] == 0
    assert proc.returncode is not None
    assert created.json()["id"] not in state_file.read_text()  # reset was persisted


def test_subprocess_state_survives_restart(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with SandboxProcess("--state", str(state_file)) as first:
        headers = {"Authorization": f"Bearer {first.token()}"}
        with httpx.Client(base_url=first.base_url, timeout=10.0, headers=headers) as client:
            action_id = client.post(ACTIONS, json=action_body()).json()["id"]
    with SandboxProcess("--state", str(state_file)) as second:
        headers = {"Authorization": f"Bearer {second.token()}"}
        with httpx.Client(base_url=second.base_url, timeout=10.0, headers=headers) as client:
            assert client.get(f"{ACTIONS}/{action_id}").status_code == 200


def test_failed_start_reports_stderr(tmp_path: Path) -> None:
    missing = tmp_path / "missing-seed.json"
    with pytest.raises(SandboxStartError, match=r"missing-seed\.json"):
        SandboxProcess("--seed", str(missing), startup_timeout=20).start()


def test_a_killed_sandbox_keeps_every_write_it_answered(tmp_path: Path) -> None:
    """kill -9 right after the answers: the journal beside the state file holds them, and
    the next start reads them (and folds them into the file)."""
    state_file = tmp_path / "state.json"
    with SandboxProcess("--state", str(state_file)) as first:
        headers = {"Authorization": f"Bearer {first.token()}"}
        with httpx.Client(base_url=first.base_url, timeout=10.0, headers=headers) as client:
            ids = [
                client.post(ACTIONS, json=action_body(name=f"A{n}")).json()["id"] for n in range(3)
            ]
            assert client.patch(f"{ACTIONS}/{ids[0]}", json={"version": 1, "name": "B"}).is_success
            assert client.delete(f"{ACTIONS}/{ids[1]}").status_code == 204
        first.kill()
    assert not any(i in state_file.read_text() for i in ids)  # not rewritten per write
    with SandboxProcess("--state", str(state_file)) as second:
        headers = {"Authorization": f"Bearer {second.token()}"}
        with httpx.Client(base_url=second.base_url, timeout=10.0, headers=headers) as client:
            assert client.get(f"{ACTIONS}/{ids[0]}").json()["name"] == "B"
            assert client.get(f"{ACTIONS}/{ids[1]}").status_code == 404
            assert client.get(f"{ACTIONS}/{ids[2]}").json()["name"] == "A2"


def test_a_clean_stop_leaves_the_whole_org_in_the_state_file(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with SandboxProcess("--state", str(state_file)) as proc:
        headers = {"Authorization": f"Bearer {proc.token()}"}
        with httpx.Client(base_url=proc.base_url, timeout=10.0, headers=headers) as client:
            action_id = client.post(ACTIONS, json=action_body()).json()["id"]
    assert action_id in json.loads(state_file.read_text())["actions"]
    assert not (tmp_path / "state.json.journal").exists()
