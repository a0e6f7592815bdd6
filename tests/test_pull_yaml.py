"""The file edits of ``dactl pull`` (``reconciler.pull_yaml``): a value set or removed, and
every other line of the file as it was, comments and their places included."""

from __future__ import annotations

import pytest
import yaml

from reconciler.pull_yaml import ActionYaml, EditError, has_path, to_yaml, value_at

FILE = """\
# yaml-language-server: $schema=x
name: A  # the name
extends: _t.yaml
timeoutSeconds: 10  # raised in March
# above the contract
contract:
  input:
    type: object
    properties:
      q: {type: string}
  output: {type: object}
request:
  # above the url
  requestUrlTemplate: /x
  requestType: GET
  headers:
    Accept: a  # json
    # above X
    X: 'b'
# above the response
response:
  translationMap:
    out: $.out
  successTemplate: |-
    {"out": ${out}}
# the end
"""


def edited(text: str, *edits: tuple[str, ...] | tuple[tuple[str, ...], object]) -> str:
    doc = ActionYaml(text)
    for edit in edits:
        if isinstance(edit[0], tuple):
            doc.set(edit[0], edit[1])
        else:
            doc.remove(edit)  # type: ignore[arg-type]
    return doc.text()


def comments(text: str) -> list[str]:
    return [line.split("#", 1)[1] for line in text.splitlines() if line.lstrip().startswith("#")]


def test_an_unedited_file_comes_out_byte_for_byte() -> None:
    doc = ActionYaml(FILE)
    assert doc.layout_kept and doc.text() == FILE


def test_a_value_set_changes_only_its_line() -> None:
    out = edited(FILE, (("timeoutSeconds",), 7), (("request", "headers", "X"), "c"))
    assert out == FILE.replace("timeoutSeconds: 10", "timeoutSeconds: 7").replace(
        "X: 'b'", "X: 'c'"
    )


def test_new_keys_go_where_export_puts_them_and_comments_keep_their_place() -> None:
    out = edited(
        FILE,
        (("category",), "Queues"),
        (("request", "requestTemplate"), "${input.rawRequest}"),
        (("request", "headers", "Y"), "d"),
        (("response", "translationMapDefaults"), {"out": '"0"'}),
    )
    assert out.splitlines()[:6] == [
        "# yaml-language-server: $schema=x",
        "name: A  # the name",
        "extends: _t.yaml",
        "category: Queues",
        "timeoutSeconds: 10  # raised in March",
        "# above the contract",
    ]
    assert (
        "    # above X\n    X: 'b'\n    Y: d\n  requestTemplate: ${input.rawRequest}\n"
        "# above the response\nresponse:\n  translationMap:\n    out: $.out\n"
        "  translationMapDefaults:\n    out: '\"0\"'\n  successTemplate: |-\n"
    ) in out
    assert comments(out) == comments(FILE)


def test_a_removed_key_takes_only_its_own_end_of_line_comment() -> None:
    out = edited(FILE, ("timeoutSeconds",), ("request", "requestUrlTemplate"))
    assert "timeoutSeconds" not in out and "requestUrlTemplate" not in out
    assert comments(out) == [c for c in comments(FILE) if c != " raised in March"]
    assert "extends: _t.yaml\n# above the contract\ncontract:\n" in out
    assert "request:\n  # above the url\n  requestType: GET\n" in out


def test_maps_left_empty_go_too_and_the_comments_after_them_stay() -> None:
    out = edited(FILE, ("request", "headers", "Accept"), ("request", "headers", "X"))
    assert "headers" not in out
    assert "  requestType: GET\n    # above X\n# above the response\nresponse:\n" in out
    out = edited(FILE, ("response", "translationMap", "out"), ("response", "successTemplate"))
    assert "\nresponse:" not in out and out.endswith(
        "    X: 'b'\n# above the response\n# the end\n"
    )


def test_removing_the_first_key_keeps_the_comments_that_led_to_the_next() -> None:
    text = "name: A\nrequest:\n  a: 1\n  # about b\n  b: 2\n"
    assert edited(text, ("request", "a")) == "name: A\nrequest:\n  # about b\n  b: 2\n"


def test_a_missing_path_is_left_alone() -> None:
    assert edited(FILE, ("nothing", "here"), ("request", "nope")) == FILE


def test_maps_above_a_new_value_are_made() -> None:
    out = edited("name: A\nresponse: {}\n", (("request", "headers", "A"), "1"))
    assert yaml.safe_load(out) == {"name": "A", "request": {"headers": {"A": "1"}}, "response": {}}
    out = edited("name: A\nrequest: x\n", (("request", "headers", "A"), "b"))
    assert yaml.safe_load(out) == {"name": "A", "request": {"headers": {"A": "b"}}}


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("on", '"on"'),
        ("yes", '"yes"'),
        ("12", '"12"'),
        ("1.5", '"1.5"'),
        ("null", '"null"'),
        ("~", '"~"'),
        ("true", '"true"'),
        ("plain words", "plain words"),
        ("a\nb", "|-\n    a\n    b"),
        ("ends with space \nx", '"ends with space \\n\\\n    x"'),
    ],
)
def test_strings_read_back_as_the_same_strings(value: str, written: str) -> None:
    out = edited("name: A\nrequest:\n  x: 1\n", (("request", "y"), value))
    assert f"  y: {written}\n" in out
    assert yaml.safe_load(out)["request"]["y"] == value  # PyYAML: YAML 1.1, as dactl reads


def test_block_and_one_line_strings_swap_without_stray_lines() -> None:
    out = edited(FILE, (("response", "successTemplate"), "plain"))
    assert out.endswith("  successTemplate: plain\n# the end\n")
    out = edited(FILE, (("request", "requestType"), "POST\nGET"))
    assert "  requestType: |-\n    POST\n    GET\n  headers:\n" in out
    out = edited("name: A\nx: '1'\n# end\n", (("x",), "a\nb"))
    assert out == "name: A\nx: |-\n  a\n  b\n# end\n"


def test_contract_leaves_are_written_in_flow_style_and_lists_of_names_too() -> None:
    node = to_yaml(
        {"type": "object", "properties": {"n": {"type": "integer"}}}, ("contract", "input")
    )
    out = edited("name: A\n", (("contract", "input"), node))
    assert out == (
        "name: A\ncontract:\n  input:\n    type: object\n    properties:\n"
        "      n: {type: integer}\n"
    )
    out = edited("name: A\n", (("formerNames",), ["B", "C"]))
    assert out == "name: A\nformerNames: [B, C]\n"
    out = edited("name: A\n", (("request", "headers"), {"A": "1"}))
    assert out == 'name: A\nrequest:\n  headers:\n    A: "1"\n'


@pytest.mark.parametrize(
    "text",
    [
        "name: A\nrequest:\n    headers:\n        A: b\n",
        "name: A\nformerNames:\n  - B\nrequest:\n  headers:\n    A: b\n",
        "name: A\nformerNames:\n    - B\nrequest:\n    headers:\n        A: b\n",
    ],
)
def test_the_file_s_own_indentation_is_kept(text: str) -> None:
    doc = ActionYaml(text)
    assert doc.layout_kept
    doc.set(("request", "headers", "A"), "c")
    assert doc.text() == text.replace("A: b", "A: c")


def test_a_byte_order_mark_and_windows_line_ends_are_kept() -> None:
    assert edited("\ufeffname: A\nx: 1\n", (("x",), 2)) == "\ufeffname: A\nx: 2\n"
    crlf = "name: A\r\n# note\r\nx: 1\r\nt: |\r\n  a\r\n  b\r\n"
    assert ActionYaml(crlf).layout_kept
    assert edited(crlf, (("x",), 2)) == crlf.replace("x: 1", "x: 2")


def test_what_cannot_be_edited_is_an_edit_error() -> None:
    with pytest.raises(EditError, match="a mapping of action keys"):
        ActionYaml("- a\n- b\n")
    with pytest.raises(EditError, match="cannot be read for editing"):
        ActionYaml("name: [a\n")


def test_paths() -> None:
    data = {"a": {"b": [1, {"c": 2}]}}
    assert has_path(data, ("a", "b")) and not has_path(data, ("a", "x"))
    assert not has_path(data, ("a", "b", "c"))
    assert value_at(data, ("a", "b", 1, "c")) == 2


def test_a_key_after_a_block_scalar_keeps_the_comment_after_it_last() -> None:
    out = edited(FILE, (("response", "extra"), "x"))
    assert out.endswith('  successTemplate: |-\n    {"out": ${out}}\n  extra: x\n# the end\n')
    out = edited(FILE, ("response", "translationMap"))
    assert out.endswith('response:\n  successTemplate: |-\n    {"out": ${out}}\n# the end\n')
