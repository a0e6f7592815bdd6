"""Knobs for behaviour genesys-api.md tags [I]: the answer to a stale-version PATCH
(§3: 409, or a 400 "does not match the current version" as the Terraform provider's
``IsVersionMismatch`` expects) and a delete that reads on for a while (§10: the provider
polls GET after DELETE until 404)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.genesys._errors import is_version_conflict
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.persist import load_state

from .helpers import ACTIONS, Api, action_body


def _stale_patch(api: Api, path: str) -> Any:
    assert api.patch(path, json={"version": 1, "name": "A"}).status_code == 200
    return api.patch(path, json={"version": 1, "name": "B"})


def test_a_stale_patch_is_409_conflict_by_default(api: Api) -> None:
    action_id = api.create()["id"]
    stale = _stale_patch(api, f"{ACTIONS}/{action_id}")
    body = stale.json()
    assert (stale.status_code, body["code"], body["status"]) == (409, "conflict", 409)
    assert body["messageParams"] == {"currentVersion": 2, "suppliedVersion": 1}


@pytest.mark.parametrize("draft", [False, True], ids=["action", "draft"])
def test_a_stale_patch_can_be_answered_with_a_400(make_api: Any, draft: bool) -> None:
    api = make_api(SandboxConfig(stale_version_status=400))
    if draft:
        action_id = api.post(f"{ACTIONS}/drafts", json=action_body(name="D")).json()["id"]
        path = f"{ACTIONS}/{action_id}/draft"
    else:
        action_id = api.create()["id"]
        path = f"{ACTIONS}/{action_id}"
    stale = _stale_patch(api, path)
    body = stale.json()
    assert (stale.status_code, body["code"], body["status"]) == (400, "bad.request", 400)
    assert body["message"] == "Supplied version 1 does not match the current version 2"
    assert is_version_conflict(400, body["message"])  # dactl's client takes it as a conflict
    assert api.get(path).json()["name"] == "A"  # nothing written


def test_the_stale_version_status_option_reaches_the_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[SandboxConfig] = []

    def fake_create_app(config: SandboxConfig) -> None:
        seen.append(config)
        raise ValueError("stop here")

    monkeypatch.setattr("reconciler.sandbox.app.create_app", fake_create_app)
    args = ["sandbox", "--port", "0", "--stale-version-status", "400", "--delete-delay-ms", "1500"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert (seen[0].stale_version_status, seen[0].delete_delay_ms) == (400, 1500)
    refused = CliRunner().invoke(main, ["sandbox", "--stale-version-status", "412"])
    assert refused.exit_code == 1
    assert "412" in refused.output


def test_help_names_the_knobs() -> None:
    result = CliRunner().invoke(main, ["sandbox", "--help"])
    assert "--stale-version-status" in result.output
    assert "--delete-delay-ms" in result.output


def _listed(api: Api) -> set[str]:
    return {e["id"] for e in api.get(ACTIONS, params={"pageSize": 100}).json()["entities"]}


def test_without_a_delay_a_deleted_action_is_gone_at_once(api: Api) -> None:
    action_id = api.create()["id"]
    assert api.delete(f"{ACTIONS}/{action_id}").status_code == 204
    assert api.get(f"{ACTIONS}/{action_id}").status_code == 404
    assert action_id not in _listed(api)


def test_a_deleted_action_reads_until_the_delay_has_passed(make_api: Any) -> None:
    api = make_api(SandboxConfig(delete_delay_ms=1500))
    action_id = api.create()["id"]
    one = f"{ACTIONS}/{action_id}"
    assert api.delete(one).status_code == 204

    api.clock.advance(1.4)
    still = api.get(one, params={"expand": "contract", "includeConfig": "true"})
    assert still.status_code == 200 and still.json()["id"] == action_id
    assert action_id in _listed(api)
    template = api.get(f"{one}/templates/successtemplate.vm")
    assert (template.status_code, template.text) == (200, '{"waiting": ${waiting}}')
    # Reads lag, writes do not: the action is gone for every write at once.
    assert api.delete(one).status_code == 404
    assert api.patch(one, json={"version": 1, "name": "X"}).status_code == 404
    assert api.post(f"{one}/draft").status_code == 404

    api.clock.advance(0.1)
    assert api.get(one).status_code == 404
    assert action_id not in _listed(api)


def test_the_delay_is_not_persisted_and_reset_ends_it(make_api: Any, tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    config = SandboxConfig(state_file=state_file, delete_delay_ms=60_000)
    api = make_api(config)
    action_id = api.create()["id"]
    assert api.delete(f"{ACTIONS}/{action_id}").status_code == 204
    assert api.get(f"{ACTIONS}/{action_id}").status_code == 200
    # The state file holds the org with the delete done: a restart never brings it back.
    assert action_id not in load_state(state_file)["actions"]
    assert action_id not in api.http.get("/sandbox/state").json()["actions"]
    restarted = make_api(config)
    assert restarted.get(f"{ACTIONS}/{action_id}").status_code == 404

    other = api.create()["id"]
    assert api.delete(f"{ACTIONS}/{other}").status_code == 204
    assert api.http.post("/sandbox/reset").status_code == 204
    assert api.get(f"{ACTIONS}/{other}").status_code == 404
