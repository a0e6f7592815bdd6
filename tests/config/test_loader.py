"""Tree discovery and ``extends`` resolution."""

from __future__ import annotations

from pathlib import Path

from reconciler.config.loader import load_tree
from reconciler.diagnostics import Mark


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_discovery_skips_templates_hidden_and_project(tmp_path: Path) -> None:
    write(tmp_path / "dactl.yaml", "prune: false\n")
    write(tmp_path / "a.yaml", "name: A\n")
    write(tmp_path / "sub" / "b.yml", "name: B\n")
    write(tmp_path / "_templates" / "t.yaml", "integration: X\n")
    write(tmp_path / ".hidden" / "c.yaml", "name: C\n")
    write(tmp_path / "notes.txt", "not yaml\n")
    tree = load_tree(tmp_path)
    assert tree.project is not None and tree.project.data == {"prune": False}
    assert [a.path.name for a in tree.actions] == ["a.yaml", "b.yml"]
    assert tree.problems == []


def test_extends_deep_merges_maps_action_wins_lists_replaced(tmp_path: Path) -> None:
    write(
        tmp_path / "_t" / "base.yaml",
        "integration: Base\ntimeoutSeconds: 5\nrequest:\n  requestType: GET\n"
        "  headers: {Accept: application/json, X-A: a}\ncontract:\n  input:\n"
        "    required: [a, b]\n",
    )
    write(
        tmp_path / "act.yaml",
        "name: Act\nextends: _t/base.yaml\ntimeoutSeconds: 9\nrequest:\n"
        "  headers: {X-A: override}\ncontract:\n  input:\n    required: [c]\n",
    )
    tree = load_tree(tmp_path)
    (action,) = tree.actions
    data = action.doc.data
    assert data["timeoutSeconds"] == 9
    assert data["integration"] == "Base"
    assert data["request"] == {
        "requestType": "GET",
        "headers": {"Accept": "application/json", "X-A": "override"},
    }
    assert data["contract"]["input"]["required"] == ["c"]
    # Inherited values keep the template's own position; overrides point at the action.
    assert action.doc.values[("integration",)].file.endswith("base.yaml")
    assert action.doc.values[("request", "headers", "X-A")].file.endswith("act.yaml")
    assert action.extends_chain[0].endswith("base.yaml")


def test_extends_chains_through_templates(tmp_path: Path) -> None:
    write(tmp_path / "_t" / "root.yaml", "integration: Root\ntimeoutSeconds: 3\n")
    write(tmp_path / "_t" / "mid.yaml", "extends: root.yaml\ntimeoutSeconds: 4\n")
    write(tmp_path / "a.yaml", "name: A\nextends: _t/mid.yaml\n")
    (action,) = load_tree(tmp_path).actions
    assert action.doc.data == {
        "name": "A",
        "extends": "_t/mid.yaml",
        "integration": "Root",
        "timeoutSeconds": 4,
    }
    assert len(action.extends_chain) == 2


def test_extends_cycle_prints_the_whole_cycle(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a.yaml", "name: A\nextends: b.yaml\n")
    write(tmp_path / "b.yaml", "extends: a.yaml\n")
    tree = load_tree(Path("."))
    messages = [str(p) for p in tree.problems]
    # Reported where the loop closes, read from the file being loaded.
    assert sorted(messages) == [
        "a.yaml:2:10: extends cycle: b.yaml -> a.yaml -> b.yaml",
        "b.yaml:1:10: extends cycle: a.yaml -> b.yaml -> a.yaml",
    ]


def test_self_extends_is_a_cycle(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a.yaml", "name: A\nextends: a.yaml\n")
    (problem,) = load_tree(Path(".")).problems
    assert problem.message == "extends cycle: a.yaml -> a.yaml"
    assert problem.mark == Mark("a.yaml", 2, 10)


def test_a_broken_file_does_not_stop_the_others(tmp_path: Path) -> None:
    write(tmp_path / "bad.yaml", "name: [\n")
    write(tmp_path / "good.yaml", "name: Good\n")
    tree = load_tree(tmp_path)
    assert [a.path.name for a in tree.actions] == ["good.yaml"]
    assert len(tree.problems) == 1 and "invalid YAML" in tree.problems[0].message
