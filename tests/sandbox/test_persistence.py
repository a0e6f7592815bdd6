"""State files (atomic writes, reload on start) and --seed files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.app import create_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.persist import atomic_write_json
from reconciler.sandbox.seed import GENESYS_CLOUD_INTEGRATION_ID

from .helpers import ACTIONS, action_body


def test_state_survives_restart(make_api: Any, tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    first = make_api(SandboxConfig(state_file=state_file))
    action_id = first.create()["id"]
    first.patch(f"{ACTIONS}/{action_id}", json={"version": 1, "name": "Persisted"})
    draft_id = first.post(f"{ACTIONS}/drafts", json=action_body(name="Draft")).json()["id"]
    saved = json.loads(state_file.read_text())
    assert saved["formatVersion"] == 1
    assert saved["actions"][action_id]["published"]["version"] == 2

    second = make_api(SandboxConfig(state_file=state_file))
    fetched = second.get(f"{ACTIONS}/{action_id}").json()
    assert (fetched["name"], fetched["version"]) == ("Persisted", 2)
    assert second.get(f"{ACTIONS}/{draft_id}/draft").json()["version"] == 1


def test_state_file_written_at_start_and_reset(make_api: Any, tmp_path: Path) -> None:
    state_file = tmp_path / "nested" / "state.json"
    api = make_api(SandboxConfig(state_file=state_file))
    assert state_file.exists()
    action_id = api.create()["id"]
    assert action_id in state_file.read_text()
    api.http.post("/sandbox/reset")
    assert action_id not in state_file.read_text()


def test_atomic_write_keeps_old_file_when_replace_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "state.json"
    atomic_write_json(target, {"v": 1})

    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        atomic_write_json(target, {"v": 2})
    assert json.loads(target.read_text()) == {"v": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_atomic_write_never_exposes_partial_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "state.json"
    atomic_write_json(target, {"v": 1})
    seen: list[str] = []
    real_replace = os.replace

    def spying_replace(src: Any, dst: Any) -> None:
        # At the moment of the swap the target still holds the complete old document.
        seen.append(Path(dst).read_text())
        assert json.loads(Path(src).read_text()) == {"v": 2, "big": "x" * 100_000}
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spying_replace)
    atomic_write_json(target, {"v": 2, "big": "x" * 100_000})
    assert json.loads(seen[0]) == {"v": 1}
    assert json.loads(target.read_text())["v"] == 2


def test_bad_state_file_is_refused(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_text('{"something": "else"}')
    with pytest.raises(ValueError, match="state file"):
        create_app(SandboxConfig(state_file=state_file))


def test_seed_file(make_api: Any, tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    explicit = action_body(name="Seeded explicit")
    explicit["id"] = "custom_-_11111111-2222-4333-8444-555555555555"
    by_category = action_body(name="Seeded by category")
    del by_category["integrationId"]
    seed.write_text(json.dumps([explicit, by_category]))
    api = make_api(SandboxConfig(seed_file=seed))
    listed = {e["name"]: e for e in api.get(ACTIONS).json()["entities"]}
    assert listed["Seeded explicit"]["id"] == explicit["id"]
    assert listed["Seeded by category"]["integrationId"] == GENESYS_CLOUD_INTEGRATION_ID
    api.patch(f"{ACTIONS}/{explicit['id']}", json={"version": 1, "name": "changed"})
    api.http.post("/sandbox/reset")
    assert api.get(f"{ACTIONS}/{explicit['id']}").json()["name"] == "Seeded explicit"


def test_invalid_seed_file_is_refused(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps([action_body(name="")]))
    with pytest.raises(ValueError, match="name"):
        create_app(SandboxConfig(seed_file=seed))
    seed.write_text(json.dumps({"not": "a list"}))
    with pytest.raises(ValueError, match="JSON list"):
        create_app(SandboxConfig(seed_file=seed))
