"""The records of dactl's own unfinished drafts (.dactl/drafts.json)."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import pytest

from reconciler.drafts import DraftRecord, DraftRegistry, draft_key
from reconciler.errors import DactlError


def record(key: str = "custom_-_1", action_id: str | None = "custom_-_1") -> DraftRecord:
    return DraftRecord(key, "Echo", "int-1", action_id, "sha256:x", "run1", "2026-01-01")


def test_records_survive_a_new_process_and_are_per_org(tmp_path: Path) -> None:
    path = tmp_path / ".dactl" / "drafts.json"
    DraftRegistry(path, "org-a").intend(record())
    DraftRegistry(path, "org-b").intend(record("new:int-1:Echo", None))
    assert DraftRegistry(path, "org-a").records() == [record()]
    assert [r.key for r in DraftRegistry(path, "org-b").records()] == ["new:int-1:Echo"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "*" in (tmp_path / ".dactl" / ".gitignore").read_text().splitlines()


def test_a_new_actions_record_gets_its_id_and_is_forgotten(tmp_path: Path) -> None:
    registry = DraftRegistry(tmp_path / "drafts.json", "org")
    key = draft_key(None, "Echo", "int-1")
    registry.intend(record(key, None))
    assert registry.get(key) is not None and registry.get(key).new_action  # type: ignore[union-attr]
    registry.settle(key, "custom_-_9")
    assert registry.get(key).action_id == "custom_-_9"  # type: ignore[union-attr]
    registry.forget(key)
    assert registry.records() == []
    assert json.loads((tmp_path / "drafts.json").read_text()) == {"format": 1, "orgs": {}}


def test_concurrent_changes_are_all_kept(tmp_path: Path) -> None:
    registry = DraftRegistry(tmp_path / "drafts.json", "org")
    threads = [
        threading.Thread(target=registry.intend, args=(record(f"custom_-_{i}", f"custom_-_{i}"),))
        for i in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(DraftRegistry(tmp_path / "drafts.json", "org").records()) == 20


@pytest.mark.parametrize(
    "text", ["not json", '{"format": 9}', '{"format": 1, "orgs": {"o": {"k": {}}}}']
)
def test_a_damaged_file_is_an_error_that_says_what_to_do(tmp_path: Path, text: str) -> None:
    path = tmp_path / "drafts.json"
    path.write_text(text)
    with pytest.raises(DactlError, match=r"drafts\.json"):
        DraftRegistry(path, "org").records()


def test_an_unwritable_place_fails_the_check_before_any_write(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    with pytest.raises(DactlError, match="the draft records"):
        DraftRegistry(blocked / "drafts.json", "org").check()


def test_without_a_path_records_live_in_memory() -> None:
    registry = DraftRegistry(None, "org")
    registry.intend(record())
    assert registry.records() == [record()]
