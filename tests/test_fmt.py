"""``dactl fmt``: the export's layout with comments kept (``reconciler.fmt``), and proof
that formatting never changes what a file holds: the data dactl's strict loader reads
before and after are equal for every example, every lenient fixture and every action file
imported from the corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.config.tree import to_located
from reconciler.config.yamlsafe import YamlProblem, parse_yaml
from reconciler.errors import DactlError
from reconciler.fmt import format_text, format_tree
from reconciler.importer import import_actions
from reconciler.validate import validate_tree
from tests.conftest import FIXTURES, REPO_ROOT, corpus_dir

EXAMPLES = REPO_ROOT / "actions"

COMMENTED = """\
# yaml-language-server: $schema=../schemas/action-file.schema.json
# Header about the file.
timeoutSeconds: 5   # tight on purpose
# Above the integration
integration: Genesys Cloud Data Actions
request:
  # the template, first
  requestTemplate: "{\\r\\n  \\"a\\": 1,\\r\\n  \\"b\\": \\"x  \\"\\r\\n}"
  headers: {Accept: application/json}
  # Above the type, inside the mapping
  requestType: GET  # always GET
  requestUrlTemplate: /api/v2/users/${input.q}
  # end of request
# Above the name
name: Get User
contract:
  output: {type: object}   # out
  input:
    type: object
    properties:
      q:
        type: string
    # end of input
response:
  successTemplate: "line one\\nline two\\n"
  translationMap: {out: $.out}
# the very end
"""

FORMATTED = """\
# yaml-language-server: $schema=../schemas/action-file.schema.json
# Header about the file.
# Above the name
name: Get User
# Above the integration
integration: Genesys Cloud Data Actions
timeoutSeconds: 5   # tight on purpose
contract:
  input:
    type: object
    properties:
      q:
        type: string
    # end of input
  output: {type: object}   # out
request:
  requestUrlTemplate: /api/v2/users/${input.q}
  # Above the type, inside the mapping
  requestType: GET  # always GET
  headers:
    Accept: application/json
  # the template, first
  requestTemplate: "{\\r\\n\\
    \\  \\"a\\": 1,\\r\\n\\
    \\  \\"b\\": \\"x  \\"\\r\\n\\
    }"
  # end of request
response:
  translationMap:
    out: $.out
  successTemplate: |
    line one
    line two
# the very end
"""


def data_of(raw: bytes) -> str:
    """What dactl's strict loader reads, as text that tells 1, 1.0 and true apart."""
    data = to_located(parse_yaml(raw, "x.yaml"), "x.yaml").data
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def assert_same_content(path: Path) -> str:
    """Format ``path``'s text: the strict loader reads the same data from both; the
    formatted text formats to itself."""
    raw = path.read_bytes()
    new = format_text(raw, str(path))
    assert data_of(new.encode("utf-8")) == data_of(raw), path
    assert format_text(new.encode("utf-8"), str(path)) == new, path  # idempotent
    return new


def test_comments_above_keys_and_inside_mappings_move_with_their_keys() -> None:
    new = format_text(COMMENTED.encode(), "x.yaml")
    assert new == FORMATTED
    assert data_of(new.encode()) == data_of(COMMENTED.encode())
    assert json.loads(data_of(new.encode()))["request"]["requestTemplate"] == (
        '{\r\n  "a": 1,\r\n  "b": "x  "\r\n}'
    )


def test_every_example_is_formatted_and_keeps_its_content() -> None:
    paths = sorted(EXAMPLES.glob("*.yaml"))
    for path in paths:
        if path.name == "dactl.yaml":
            continue
        assert assert_same_content(path) == path.read_text(encoding="utf-8"), path
    assert format_tree(EXAMPLES, check=True).changed == []


@pytest.mark.parametrize(
    "path", sorted((FIXTURES / "lenient").glob("*.yaml")), ids=lambda p: p.name
)
def test_lenient_fixtures_keep_their_content(path: Path) -> None:
    assert_same_content(path)


def test_a_crlf_template_becomes_one_line_per_line_and_other_breaks_stay_exact() -> None:
    template = '{\r\n  "a": 1,\r\n\t"b": "\u2028"  \r\n}\r\n'
    raw = json.dumps({"name": "X", "request": {"requestTemplate": template}}).encode()
    new = format_text(raw, "x.yaml")
    assert new.count("\n") == 6  # name, request, and the template's four lines
    assert json.loads(data_of(new.encode()))["request"]["requestTemplate"] == template
    lines = {"name": "X", "b": "keep\n", "c": "  leading\nspace", "d": "end  \nspace"}
    new = format_text(json.dumps(lines).encode(), "y.yaml")
    assert '"b": |\n  keep\n' in new  # JSON's quoted keys stay quoted
    assert json.loads(data_of(new.encode())) == lines


@pytest.mark.corpus
def test_corpus_imported_files_keep_their_content(tmp_path: Path) -> None:
    files = sorted((corpus_dir() / "real-actions").glob("*.json"))
    formatted = 0
    for i, source in enumerate(files):
        out = tmp_path / f"import-{i}"
        try:
            import_actions([source], out, integration=None)
        except DactlError:
            continue  # refused by import (static or custom-auth actions, ...)
        assert format_tree(out, check=True).changed == [], source.name  # import writes it
        for path in sorted(out.glob("*.yaml")):
            if path.name == "dactl.yaml":
                continue
            # The same data in another layout (keys sorted, long lines folded, quoted
            # scalars split where PyYAML likes): fmt gives it back the layout, not the data.
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            path.write_text(yaml.safe_dump(data, sort_keys=True, width=60), encoding="utf-8")
            assert assert_same_content(path) != path.read_text(encoding="utf-8")
            formatted += 1
        before = validate_tree(out).actions
        format_tree(out)
        assert validate_tree(out).actions == before, source.name
    assert formatted >= 40


def test_a_file_that_cannot_be_read_is_named_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("name: [unclosed\n")
    (tmp_path / "list.yaml").write_text("- a\n")
    (tmp_path / "ok.yaml").write_text("request: {requestType: GET}\nname: Ok\n")
    result = format_tree(tmp_path)
    assert [p.name for p in result.changed] == ["ok.yaml"]
    messages = sorted(str(p) for p in result.problems)
    assert len(messages) == 2 and "bad.yaml:2:1: invalid YAML" in messages[0]
    assert "list.yaml:1:1: an action file is a mapping of action keys" in messages[1]
    assert (tmp_path / "bad.yaml").read_text() == "name: [unclosed\n"
    with pytest.raises(YamlProblem):
        format_text(b"\xff", "x.yaml")
    with pytest.raises(DactlError, match="no such file"):
        format_tree(tmp_path / "missing")


def test_the_command_checks_and_rewrites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    tree = tmp_path / "actions"
    tree.mkdir()
    (tree / "dactl.yaml").write_text("prune: false\n")
    (tree / "a.yaml").write_text("request: {requestType: GET}\nname: A\n")
    (tree / "b.yaml").write_text("name: B\n")
    runner = CliRunner()
    check = runner.invoke(main, ["fmt", "--check", "actions"])
    assert check.exit_code == 1
    assert check.stdout == (
        "would reformat actions/a.yaml\n"
        "1 file would be reformatted, 1 already formatted: run `dactl fmt actions`.\n"
    )
    assert (tree / "a.yaml").read_text() == "request: {requestType: GET}\nname: A\n"
    done = runner.invoke(main, ["fmt"])
    assert done.exit_code == 0
    assert done.stdout == "reformatted actions/a.yaml\nReformatted 1 file, 1 already formatted.\n"
    assert (tree / "a.yaml").read_text() == "name: A\nrequest:\n  requestType: GET\n"
    again = runner.invoke(main, ["fmt", "--check"])
    assert again.exit_code == 0 and again.stdout == "2 files already formatted.\n"
    (tree / "c.yaml").write_text("name: [\n")
    broken = runner.invoke(main, ["fmt", "actions/c.yaml"])
    assert broken.exit_code == 1 and "actions/c.yaml:2:1: invalid YAML" in broken.stderr
    assert "Traceback" not in broken.output


def test_a_short_schema_leaf_goes_on_one_line_unless_it_holds_a_comment() -> None:
    plain = b"name: X\ncontract:\n  output:\n    type: object\n"
    assert format_text(plain, "x.yaml") == "name: X\ncontract:\n  output: {type: object}\n"
    commented = b"name: X\ncontract:\n  output:\n    type: object  # nothing yet\n"
    assert format_text(commented, "x.yaml") == commented.decode()
    bom = b"\xef\xbb\xbfname: X\nformerNames:\n- Old\n"
    assert format_text(bom, "x.yaml") == "\ufeffname: X\nformerNames: [Old]\n"
