"""Remembered validation results (``reconciler.validate.cache``): reused only while the
file, its ``extends`` chain, the project file, the environment and dactl are unchanged;
a reused result is exactly what checking again finds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.validate import cache as cache_module
from reconciler.validate import validate_tree
from reconciler.validate.cache import ValidationCache
from tests.fakes.project import action, write_action, write_project

TEMPLATE = "timeoutSeconds: 7\ncategory: Shared\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    directory = write_project(tmp_path, [action("One"), action("Two"), action("Three")])
    (directory / "_templates").mkdir()
    (directory / "_templates" / "base.yaml").write_text(TEMPLATE, encoding="utf-8")
    three = directory / "three.yaml"
    text = three.read_text(encoding="utf-8").replace("timeoutSeconds: 5\n", "")
    three.write_text("extends: _templates/base.yaml\n" + text, encoding="utf-8")
    # A warning (lint) to replay: a sensitive-looking input of an action not secure.
    two = action("Two")
    two["contract"]["input"]["properties"]["password"] = {"type": "string"}
    write_action(directory, two)
    return directory


def run(tree: Path, store: Path, **kw: object) -> tuple[object, ValidationCache]:
    cache = ValidationCache(store, **kw)  # type: ignore[arg-type]
    return validate_tree(tree, cache=cache), cache


def same(a: object, b: object) -> None:
    assert a.problems == b.problems  # type: ignore[attr-defined]
    assert a.actions == b.actions  # type: ignore[attr-defined]


def test_a_second_run_reuses_every_result_and_finds_the_same(tree: Path, tmp_path: Path) -> None:
    store = tmp_path / "validation.json"
    first, cold = run(tree, store)
    assert cold.hits == 0 and first.ok and first.problems  # the unused input's warning
    second, warm = run(tree, store)
    assert warm.hits == 3
    same(first, second)
    same(second, validate_tree(tree))


def test_a_changed_file_template_or_project_is_checked_again(tree: Path, tmp_path: Path) -> None:
    store = tmp_path / "validation.json"
    run(tree, store)
    one = tree / "one.yaml"
    one.write_text(one.read_text().replace("timeoutSeconds: 5", "timeoutSeconds: 90"))
    changed, cache = run(tree, store)
    assert cache.hits == 2
    assert any("timeoutSeconds" in p.message for p in changed.problems)
    one.write_text(one.read_text().replace("timeoutSeconds: 90", "timeoutSeconds: 5"))
    (tree / "_templates" / "base.yaml").write_text(TEMPLATE.replace("7", "8"), encoding="utf-8")
    _, cache = run(tree, store)
    assert cache.hits == 1  # "Two": not "Three" (its template changed) nor "One" (its
    # old entry was dropped when the tree stopped using it)
    assert next(a for a in validate_tree(tree).actions if a.name == "Three").timeout_seconds == 8
    project = tree / "dactl.yaml"
    project.write_text(project.read_text() + "prune: false\n", encoding="utf-8")
    _, cache = run(tree, store)
    assert cache.hits == 0


def test_refresh_reads_nothing_and_another_dactl_reuses_nothing(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "validation.json"
    run(tree, store)
    _, refreshed = run(tree, store, read=False)
    assert refreshed.hits == 0
    monkeypatch.setattr(cache_module, "code_stamp", lambda: "another dactl")
    _, other = run(tree, store)
    assert other.hits == 0


def test_a_damaged_store_is_a_miss_and_entries_follow_the_tree(tree: Path, tmp_path: Path) -> None:
    store = tmp_path / "validation.json"
    store.write_text("{not json", encoding="utf-8")
    report, cache = run(tree, store)
    assert report.ok and cache.hits == 0
    assert len(json.loads(store.read_text())["entries"]) == 3
    (tree / "two.yaml").unlink()
    run(tree, store)
    assert len(json.loads(store.read_text())["entries"]) == 2  # no entry outlives its file
    body = json.loads(store.read_text())
    key = next(iter(body["entries"]))
    body["entries"][key] = [{"file": "x"}]  # an entry of the wrong shape
    store.write_text(json.dumps(body), encoding="utf-8")
    again, cache = run(tree, store)
    assert again.ok and cache.hits == 1
