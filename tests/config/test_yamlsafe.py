"""The strict YAML reader: plain data only, positions kept, hostile input refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.config.tree import to_located
from reconciler.config.yamlsafe import MAX_FILE_BYTES, YamlProblem, parse_yaml, read_yaml
from reconciler.diagnostics import Mark


def located(text: str):  # type: ignore[no-untyped-def]
    return to_located(parse_yaml(text.encode(), "f.yaml"), "f.yaml")


def test_positions_of_keys_and_values_are_one_based() -> None:
    doc = located("name: A\nrequest:\n  requestType: GET\n")
    assert doc.keys[("request", "requestType")] == Mark("f.yaml", 3, 3)
    assert doc.values[("request", "requestType")] == Mark("f.yaml", 3, 16)
    assert doc.where(("request", "missing")) == Mark("f.yaml", 2, 1)


def test_timestamps_stay_strings_and_keys_are_strings() -> None:
    doc = located("when: 2024-01-01\n200: ok\nyes: 1\n")
    assert doc.data == {"when": "2024-01-01", "200": "ok", "yes": 1}


def test_merge_keys_work_and_explicit_keys_win() -> None:
    doc = located("base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  b: 3\n")
    assert doc.data["x"] == {"a": 1, "b": 3}


def test_an_alias_used_twice_with_merge_is_not_a_duplicate() -> None:
    doc = located("b: &b {a: 1}\nx: &x {<<: *b, a: 2}\ny: *x\n")
    assert doc.data["y"] == {"a": 2}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a: 1\na: 2\n", "duplicate key 'a'"),
        ("a: !!python/name:os.system\n", "tag !!python/name:os.system is not allowed"),
        ("a: !custom x\n", "tag !custom is not allowed"),
        ("a: !!binary aGVsbG8=\n", "tag !!binary is not allowed"),
        ("a: !!set {x: null}\n", "tag !!set is not allowed"),
        ("a: &a [1, *a]\n", "recursive alias"),
        ("? [a, b]\n: 1\n", "mapping keys must be plain strings"),
        ("a: 1\n---\nb: 2\n", "expected a single document"),
        ("a: [\n", "invalid YAML"),
        ("", "file is empty"),
    ],
)
def test_refused(text: str, fragment: str) -> None:
    with pytest.raises(YamlProblem) as info:
        parse_yaml(text.encode(), "f.yaml")
    assert fragment in info.value.message


def test_alias_bomb_fails_fast() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        levels.append(f"a{i}: &a{i} [{refs}]")
    with pytest.raises(YamlProblem) as info:
        parse_yaml("\n".join(levels).encode(), "bomb.yaml")
    assert "alias" in info.value.message


def test_a_few_aliases_are_fine() -> None:
    doc = located("h: &h {Accept: application/json}\na: *h\nb: *h\n")
    assert doc.data["a"] == doc.data["b"] == {"Accept": "application/json"}


def test_non_utf8_names_line_and_column() -> None:
    with pytest.raises(YamlProblem) as info:
        parse_yaml(b"a: 1\nbb: \xc3\x28\n", "f.yaml")
    assert info.value.mark == Mark("f.yaml", 2, 5)
    assert "not valid UTF-8" in info.value.message


def test_utf8_bom_is_accepted() -> None:
    assert to_located(parse_yaml(b"\xef\xbb\xbfa: 1\n", "f.yaml"), "f.yaml").data == {"a": 1}


def test_too_large_file_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * MAX_FILE_BYTES + b"\n")
    with pytest.raises(YamlProblem) as info:
        read_yaml(big, "big.yaml")
    assert "1 MiB" in info.value.message


@pytest.mark.parametrize("depth", [250, 20_000])
def test_deep_nesting_is_an_error_not_a_crash(depth: int) -> None:
    with pytest.raises(YamlProblem) as info:
        parse_yaml(b"a: " + b"[" * depth + b"]" * depth, "f.yaml")
    assert "nesting" in info.value.message


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(YamlProblem) as info:
        read_yaml(tmp_path / "missing.yaml", "missing.yaml")
    assert "cannot read file" in info.value.message


def test_template_offsets_map_to_file_positions() -> None:
    text = 'a:\n  b: |\n    one ${x}\n      two ${y}\n  c: plain ${z}\n  d: "q ${w}"\n'
    doc = located(text)
    for path, needle, expected in [
        (("a", "b"), "${x}", Mark("f.yaml", 3, 9)),
        (("a", "b"), "${y}", Mark("f.yaml", 4, 11)),
        (("a", "c"), "${z}", Mark("f.yaml", 5, 12)),
        (("a", "d"), "${w}", Mark("f.yaml", 6, 9)),
    ]:
        value = doc.data[path[0]][path[1]]
        assert doc.offset_mark(path, value, value.index(needle)) == expected


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_special_file_is_an_error_never_a_hang(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "special.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    with pytest.raises(YamlProblem, match="not a regular file"):
        read_yaml(path, "special.yaml")
