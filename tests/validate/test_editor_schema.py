"""The editor schemas accept exactly the files ``dactl validate`` accepts as files.

An editor checks one file at a time against the schema its ``yaml-language-server``
comment names: action files against ``action-file.schema.json``, templates against
``action-template.schema.json``, ``dactl.yaml`` against ``project.schema.json``. Every
example, fixture, exported and imported file that validates must pass there with plain
jsonschema, and every file that validate finds a schema problem in must fail there.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from reconciler.config.loader import PROJECT_FILE_NAMES, load_tree
from reconciler.config.tree import to_located
from reconciler.config.yamlsafe import YamlProblem, read_yaml
from reconciler.errors import ImportRefused
from reconciler.importer import import_actions
from reconciler.orchestrator import Connection, Orchestrator
from reconciler.validate.editor_schema import (
    ACTION_FILE,
    ACTION_TEMPLATE,
    SCHEMA_NAMES,
    action_file_schema,
    derived_schemas,
    schema_file_name,
    schema_json,
)
from reconciler.validate.schema import check_document, load_schema, schema_text
from tests.conftest import CORPUS_DIR, FIXTURES, REPO_ROOT
from tests.fakes.org import API_URL, FakeOrg
from tests.fakes.project import seed_tree

EXAMPLES = REPO_ROOT / "actions"
INVALID = FIXTURES / "invalid"


def errors(schema: str, path: Path) -> list[str]:
    """What plain jsonschema says about one file, read as dactl reads it."""
    data = to_located(read_yaml(path, str(path)), str(path)).data
    validator = Draft202012Validator(load_schema(schema))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]


def schema_for(path: Path) -> str:
    """The schema the editor comment of a file written by dactl names."""
    if path.name in PROJECT_FILE_NAMES:
        return "project"
    return ACTION_TEMPLATE if any(p.startswith("_") for p in path.parent.parts) else ACTION_FILE


def modeline_target(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema="), path
    return first.rsplit("/", 1)[-1]


# -- the schema files ----------------------------------------------------------------------


def test_the_repository_and_the_package_ship_the_derived_schemas() -> None:
    """``schemas/`` holds what ``dactl schema --out schemas`` writes: the derived files
    cannot drift from the action schema (regenerate them with that command)."""
    for name, schema in derived_schemas().items():
        on_disk = (REPO_ROOT / "schemas" / schema_file_name(name)).read_text(encoding="utf-8")
        assert on_disk == schema_json(schema), f"run `dactl schema --out schemas` ({name})"
    for name in SCHEMA_NAMES:
        assert schema_text(name) == (REPO_ROOT / "schemas" / schema_file_name(name)).read_text()
        Draft202012Validator.check_schema(load_schema(name))
        assert load_schema(name)["$id"] == f"urn:dactl:schema:{name}"


def test_the_file_schema_requires_a_whole_action_unless_it_extends_a_template() -> None:
    file_schema = Draft202012Validator(action_file_schema(load_schema("action")))
    whole = {
        "name": "A",
        "integration": "I",
        "contract": {"input": {}, "output": {}},
        "request": {"requestType": "GET"},
    }
    assert list(file_schema.iter_errors(whole)) == []
    partial = {"name": "A", "extends": "_t.yaml", "contract": {"input": {}}, "request": {}}
    assert list(file_schema.iter_errors(partial)) == []
    messages = {e.message for e in file_schema.iter_errors({"name": "A", "contract": {}})}
    assert "'request' is a required property" in messages
    # What no template can repair is refused with or without extends.
    for bad in (
        {**partial, "timeoutSeconds": 90},
        {**partial, "timeoutSecond": 5},
        {**partial, "integration": "I", "integrationId": "x"},
        {**partial, "request": {"requestType": "FETCH"}},
    ):
        assert list(file_schema.iter_errors(bad)), bad


# -- what validate accepts passes ------------------------------------------------------------


def test_every_example_and_template_passes_the_schema_its_comment_names() -> None:
    files = sorted(EXAMPLES.rglob("*.yaml"))
    assert len(files) >= 12
    kinds = set()
    for path in files:
        schema = schema_for(path)
        kinds.add(schema)
        assert modeline_target(path) == schema_file_name(schema), path
        assert errors(schema, path) == [], path
    assert kinds == {"project", ACTION_FILE, ACTION_TEMPLATE}
    # The examples that extend a template are exactly what the full schema alone refuses.
    extending = [p for p in files if "extends:" in p.read_text(encoding="utf-8")]
    assert extending and all(errors("action", p) for p in extending)


def test_every_lenient_fixture_passes_the_file_schema() -> None:
    files = sorted((FIXTURES / "lenient").glob("*.yaml"))
    assert len(files) >= 5
    for path in files:
        assert errors(ACTION_FILE, path) == [], path


def _exported_example_org(tmp_path: Path) -> Path:
    org = FakeOrg()
    seed_tree(org, EXAMPLES)
    shutil.copytree(REPO_ROOT / "schemas", tmp_path / "schemas")
    out = tmp_path / "exported"
    Orchestrator(out, Connection(api_url=API_URL), connect=org.connect).export()
    return out


def test_every_exported_file_passes_the_schema_its_comment_names(
    tmp_path: Path, org_env: None
) -> None:
    out = _exported_example_org(tmp_path)
    files = sorted(out.glob("*.yaml"))
    assert len(files) == 11  # the ten example actions and dactl.yaml
    for path in files:
        assert modeline_target(path) == schema_file_name(schema_for(path)), path
        assert errors(schema_for(path), path) == [], path


@pytest.mark.corpus
def test_every_imported_corpus_file_passes_the_schema_its_comment_names(tmp_path: Path) -> None:
    """Real admin-UI exports and API bodies, imported one by one (Terraform files and the
    other inputs import refuses are left out)."""
    if not CORPUS_DIR.is_dir():
        pytest.skip("../shared/corpus is not present (bare clone)")
    shutil.copytree(REPO_ROOT / "schemas", tmp_path / "schemas")
    imported = 0
    for number, source in enumerate(sorted((CORPUS_DIR / "real-actions").glob("*.json"))):
        out = tmp_path / f"imported-{number}"
        try:
            result = import_actions([source], out)
        except ImportRefused:
            continue
        for path in sorted(out.glob("*.yaml")):
            assert modeline_target(path) == schema_file_name(schema_for(path)), path
            assert errors(schema_for(path), path) == [], (source, path)
        imported += len(result.files)
    assert imported >= 40


# -- what validate refuses for its schema fails --------------------------------------------


def _schema_findings(case: Path) -> tuple[set[Path], set[Path]]:
    """The files of an invalid case in which validate finds a schema problem, and the
    other files of the case that read as YAML."""
    tree = load_tree(case)
    marked: set[str] = set()
    for doc in [a.doc for a in tree.actions]:
        marked |= {p.mark.file for p in check_document(doc, "action")}
    if tree.project is not None:
        marked |= {p.mark.file for p in check_document(tree.project, "project")}
    files = sorted(case.glob("*.yaml")) if case.is_dir() else [case]
    readable = set()
    for path in files:
        try:
            read_yaml(path, str(path))
        except YamlProblem:
            continue
        readable.add(path)
    bad = {p for p in readable if any(Path(m).resolve() == p.resolve() for m in marked)}
    return bad, readable - bad


def _cases() -> list[Path]:
    return sorted(p for p in INVALID.iterdir() if not p.name.startswith("_"))


def test_every_invalid_schema_fixture_fails_its_schema_and_no_other_does() -> None:
    refused = accepted = 0
    for case in _cases():
        bad, fine = _schema_findings(case)
        for path in bad:
            assert errors(schema_for(path), path), f"{path}: validate finds a schema problem"
            refused += 1
        for path in fine:
            if (data := to_located(read_yaml(path, str(path)), str(path)).data) is None:
                continue
            assert isinstance(data, dict), path
            assert errors(schema_for(path), path) == [], f"{path}: no schema problem there"
            accepted += 1
    assert refused >= 15 and accepted >= 15, (refused, accepted)


def test_the_schemas_are_plain_json() -> None:
    for name in SCHEMA_NAMES:
        schema: dict[str, Any] = json.loads(schema_text(name))
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
