""".dactl/ holds live content: private modes, and a .gitignore that keeps it out of git."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from reconciler.audit import AuditLog
from reconciler.fsutil import atomic_write_json, ensure_private_dir, write_new_file
from reconciler.live import LiveCache


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_dirs_it_creates_are_0700_and_dactl_gets_a_gitignore(tmp_path: Path) -> None:
    target = tmp_path / ".dactl" / "cache" / "org"
    assert ensure_private_dir(target) == target
    for path in (tmp_path / ".dactl", tmp_path / ".dactl" / "cache", target):
        assert mode(path) == 0o700, path
    gitignore = (tmp_path / ".dactl" / ".gitignore").read_text()
    assert gitignore.splitlines()[-1] == "*"
    assert [p.name for p in (tmp_path / ".dactl").iterdir() if p.name.endswith(".tmp")] == []


def test_existing_dirs_keep_their_mode(tmp_path: Path) -> None:
    existing = tmp_path / ".dactl"
    existing.mkdir(mode=0o755)
    os.chmod(existing, 0o755)
    ensure_private_dir(existing / "cache")
    assert mode(existing) == 0o755
    assert mode(existing / "cache") == 0o700


def test_a_users_gitignore_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / ".dactl").mkdir()
    mine = tmp_path / ".dactl" / ".gitignore"
    mine.write_text("cache/\n")
    ensure_private_dir(tmp_path / ".dactl" / "cache")
    assert mine.read_text() == "cache/\n"
    assert write_new_file(mine, "*\n") is False
    assert mine.read_text() == "cache/\n"


def test_no_gitignore_outside_dactl(tmp_path: Path) -> None:
    ensure_private_dir(tmp_path / "logs" / "audit")
    assert not (tmp_path / "logs" / ".gitignore").exists()
    assert not (tmp_path / "logs" / "audit" / ".gitignore").exists()


def test_a_file_in_the_way_is_an_oserror(tmp_path: Path) -> None:
    (tmp_path / ".dactl").write_text("not a directory")
    with pytest.raises(OSError):
        ensure_private_dir(tmp_path / ".dactl" / "cache")


def test_atomic_write_with_a_mode_sets_it_even_on_rewrite(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{}")
    os.chmod(path, 0o644)
    atomic_write_json(path, {"a": 1}, mode=0o600)
    assert mode(path) == 0o600
    atomic_write_json(path, {"a": 2})  # without a mode, a rewrite keeps the file's
    assert mode(path) == 0o600


def test_cache_files_are_0600_under_a_gitignored_dactl(tmp_path: Path) -> None:
    cache = LiveCache(tmp_path / ".dactl" / "cache", "org")
    cache.put_action({"id": "a", "version": 1})
    cache.put_organization({"id": "o", "name": "Acme"})
    files = sorted((tmp_path / ".dactl" / "cache" / "org").iterdir())
    assert [f.name for f in files] == ["a@1.json", "organization.json"]
    assert {mode(f) for f in files} == {0o600}
    assert mode(tmp_path / ".dactl" / "cache" / "org") == 0o700
    assert (tmp_path / ".dactl" / ".gitignore").exists()
    assert cache.get_organization() == {"id": "o", "name": "Acme"}


def test_the_audit_log_check_creates_a_gitignored_dactl(tmp_path: Path) -> None:
    AuditLog(tmp_path / ".dactl" / "audit.jsonl").check()
    assert (tmp_path / ".dactl" / "audit.jsonl").exists()
    assert (tmp_path / ".dactl" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert mode(tmp_path / ".dactl") == 0o700
