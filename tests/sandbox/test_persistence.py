"""State files (atomic writes, reload on start) and --seed files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox import persist
from reconciler.sandbox.app import create_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.persist import atomic_write_json, journal_path, load_state
from reconciler.sandbox.seed import GENESYS_CLOUD_INTEGRATION_ID

from .helpers import ACTIONS, action_body


def test_state_survives_restart(make_api: Any, tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    first = make_api(SandboxConfig(state_file=state_file))
    action_id = first.create()["id"]
    first.patch(f"{ACTIONS}/{action_id}", json={"version": 1, "name": "Persisted"})
    draft_id = first.post(f"{ACTIONS}/drafts", json=action_body(name="Draft")).json()["id"]
    saved = load_state(state_file)
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
    assert action_id in load_state(state_file)["actions"]
    api.http.post("/sandbox/reset")
    assert action_id not in state_file.read_text()
    assert not journal_path(state_file).exists()  # the reset wrote the whole (seed) org


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


def test_a_write_appends_one_journal_line_and_leaves_the_file_alone(
    make_api: Any, tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    api = make_api(SandboxConfig(state_file=state_file))
    written = state_file.read_text()
    action_id = api.create()["id"]
    api.patch(f"{ACTIONS}/{action_id}", json={"version": 1, "name": "Renamed"})
    assert state_file.read_text() == written  # O(change) per write, not O(org)
    lines = [json.loads(line) for line in journal_path(state_file).read_text().splitlines()]
    assert [(r["id"], r["entry"]["published"]["name"]) for r in lines] == [
        (action_id, "Get Queue Waiting Count"),
        (action_id, "Renamed"),
    ]
    api.delete(f"{ACTIONS}/{action_id}")
    assert action_id not in load_state(state_file)["actions"]


def test_the_journal_is_compacted_into_the_file_once_as_long_as_half_the_org(
    make_api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(persist, "COMPACT_MIN", 5)
    state_file = tmp_path / "state.json"
    api = make_api(SandboxConfig(state_file=state_file))  # the seed org: 3 actions
    ids = [api.create(name=f"Action {n}")["id"] for n in range(4)]
    assert len(journal_path(state_file).read_text().splitlines()) == 4
    ids.append(api.create(name="Action 4")["id"])  # 5 lines, 8 actions: compacted
    assert not journal_path(state_file).exists()
    assert set(ids) <= set(json.loads(state_file.read_text())["actions"])
    api.create(name="Action 5")
    assert len(journal_path(state_file).read_text().splitlines()) == 1


def test_a_line_cut_short_by_a_kill_is_skipped_but_a_damaged_journal_is_refused(
    make_api: Any, tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    api = make_api(SandboxConfig(state_file=state_file))
    action_id = api.create()["id"]
    journal = journal_path(state_file)
    with journal.open("a") as handle:
        handle.write('{"id": "custom_-_cut", "entr')
    assert set(load_state(state_file)["actions"]) >= {action_id}
    assert "custom_-_cut" not in load_state(state_file)["actions"]
    restarted = make_api(SandboxConfig(state_file=state_file))  # compacts at start
    assert restarted.get(f"{ACTIONS}/{action_id}").status_code == 200
    assert not journal.exists()
    journal.write_text('not json\n{"id": "x", "entry": null}\n')
    with pytest.raises(ValueError, match=r"journal:1: not a journal record"):
        load_state(state_file)
