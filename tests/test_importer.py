"""``dactl import`` without a network: each refusal (and that nothing is written then), the
integration-type mapping and ``--integration``, API bodies with placeholders, ``--force``,
and files written exactly as ``dactl export`` writes the same action."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from reconciler.actionfile import action_to_yaml
from reconciler.cli import main
from reconciler.importer import (
    DEFAULT_INTEGRATIONS,
    ImportRefused,
    import_actions,
    read_sources,
)
from reconciler.sandbox.seed import integration_type
from tests.conftest import FIXTURES

GENESYS = "Genesys Cloud Data Actions"

EXPORT: dict[str, Any] = {
    "name": "Get Queue Waiting Count - Exported 2024-11-19 @ 14:13",
    "integrationType": "purecloud-data-actions",
    "actionType": "custom",
    "config": {
        "request": {
            "requestUrlTemplate": "/api/v2/routing/queues/${input.queueId}/estimatedwaittime",
            "requestType": "GET",
            "headers": {"Accept": "application/json"},
            "requestTemplate": "${input.rawRequest}",
        },
        "response": {
            "translationMap": {"waiting": "$.results[0].estimatedWaitTimeSeconds"},
            "translationMapDefaults": {"waiting": "0"},
            "successTemplate": '{\n  "waiting": ${waiting}\n}',
        },
    },
    "contract": {
        "input": {
            "inputSchema": {
                "type": "object",
                "required": ["queueId"],
                "properties": {"queueId": {"type": "string"}},
            }
        },
        "output": {
            "successSchema": {"type": "object", "properties": {"waiting": {"type": "integer"}}}
        },
    },
    "secure": False,
}

# The same action as the API returns it (what `dactl export` writes a file from).
LIVE: dict[str, Any] = {
    "id": "custom_-_1",
    "version": 4,
    "name": "Get Queue Waiting Count",
    "integrationId": "5a0e7c3b-1d2f-4e6a-8b9c-000000000001",
    "category": GENESYS,
    "secure": False,
    "config": EXPORT["config"],
    "contract": EXPORT["contract"],
    "selfUri": "/api/v2/integrations/actions/custom_-_1",
}


def api_body(name: str, url: str = "/api/v2/users/${input.userId}") -> dict[str, Any]:
    """An API request body as blueprints ship it, with placeholder integration fields."""
    return {
        "name": name,
        "category": "<integrationName>",
        "integrationId": "<integrationId>",
        "config": {
            "request": {"requestUrlTemplate": url, "requestType": "GET", "headers": {}},
            "response": {"translationMap": {}, "successTemplate": "${rawResult}"},
        },
        "contract": {
            "input": {
                "inputSchema": {"type": "object", "properties": {"userId": {"type": "string"}}}
            },
            "output": {"successSchema": {"type": "object", "properties": {}}},
        },
        "secure": False,
    }


def export_of(name: str, type_id: str = "purecloud-data-actions", **extra: Any) -> dict[str, Any]:
    out = copy.deepcopy(EXPORT)
    out.update(name=name, integrationType=type_id, **extra)
    return out


def _nested(levels: int) -> dict[str, Any]:
    """An object ``2 * levels`` objects deep: parses, but deeper than a file may be."""
    schema: dict[str, Any] = {"type": "object"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


def write_json(directory: Path, name: str, data: Any) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["import", *map(str, args)])


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*")}


# --- the files written -------------------------------------------------------------------


def test_an_export_becomes_the_file_dactl_export_writes_for_that_action(tmp_path: Path) -> None:
    src = write_json(tmp_path / "in", "Get-Queue.custom.json", EXPORT)
    out = tmp_path / "out"
    result = run(src, "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["dactl.yaml", "get-queue-waiting-count.yaml"]
    text = (out / "get-queue-waiting-count.yaml").read_text(encoding="utf-8")
    assert text == action_to_yaml(LIVE, GENESYS)  # byte for byte, as export writes it
    assert "category:" not in text  # the category equals the integration name
    assert '  successTemplate: |-\n    {\n      "waiting": ${waiting}\n    }\n' in text
    project = (out / "dactl.yaml").read_text(encoding="utf-8")
    assert project.endswith(f"scope:\n  integrations:\n  - {GENESYS}\n")
    assert result.stdout.splitlines() == [
        f"new       {out}/get-queue-waiting-count.yaml  <- {src}",
        "OK: 1 action valid.",
        f"Imported 1 action into {out}.",
    ]
    assert result.stderr.splitlines() == [
        f"note: integration type purecloud-data-actions: assumed the integration is named "
        f"'{GENESYS}' (1 file); if your org names it otherwise, rerun with --integration "
        "NAME or edit the files",
        f"note: {src}: name 'Get Queue Waiting Count - Exported 2024-11-19 @ 14:13' imported "
        "as 'Get Queue Waiting Count'",
        f"note: wrote {out}/dactl.yaml (scope: {GENESYS})",
    ]


def test_the_schema_comment_is_written_as_export_writes_it(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "schemas").mkdir()
    for kind in ("action", "action-file", "project"):
        (repo / "schemas" / f"{kind}.schema.json").write_text("{}")
    src = write_json(tmp_path, "a.json", EXPORT)
    import_actions([src], repo / "actions")
    text = (repo / "actions" / "get-queue-waiting-count.yaml").read_text(encoding="utf-8")
    assert text == action_to_yaml(LIVE, GENESYS, schema_ref="../schemas/action-file.schema.json")
    project = (repo / "actions" / "dactl.yaml").read_text(encoding="utf-8")
    assert project.startswith("# yaml-language-server: $schema=../schemas/project.schema.json\n")


def test_every_type_maps_to_the_name_the_sandbox_gives_its_integration() -> None:
    assert len(DEFAULT_INTEGRATIONS) == 7
    for type_id, name in DEFAULT_INTEGRATIONS.items():
        assert integration_type(type_id)["name"] == name


def test_each_integration_type_gets_its_default_name(tmp_path: Path) -> None:
    paths = [
        write_json(tmp_path, f"{i}.json", export_of(f"Action {i}", type_id))
        for i, type_id in enumerate(sorted(DEFAULT_INTEGRATIONS))
    ]
    sources = read_sources(paths)
    assert [s.integration for s in sources] == [
        DEFAULT_INTEGRATIONS[t] for t in sorted(DEFAULT_INTEGRATIONS)
    ]
    result = import_actions(paths, tmp_path / "out")
    assert result.report.ok, result.report.problems
    assert len([n for n in result.notes if n.startswith("integration type ")]) == 7


def test_integration_option_names_the_integration_of_every_file(tmp_path: Path) -> None:
    paths = [
        write_json(tmp_path, "a.json", export_of("A", "custom-rest-actions")),
        write_json(tmp_path, "b.json", export_of("B", "some-future-data-actions")),
        write_json(tmp_path, "c.json", api_body("C")),
    ]
    out = tmp_path / "out"
    result = import_actions(paths, out, integration="Prod REST")
    assert {s.integration for s in read_sources(paths, integration="Prod REST")} == {"Prod REST"}
    for name in ("a.yaml", "b.yaml", "c.yaml"):
        assert "\nintegration: Prod REST\n" in (out / name).read_text(encoding="utf-8")
    assert "  - Prod REST\n" in (out / "dactl.yaml").read_text(encoding="utf-8")
    assert not [n for n in result.notes if "assumed" in n]
    assert result.report.ok


def test_api_bodies_with_placeholders_get_the_platform_integration(tmp_path: Path) -> None:
    src = write_json(tmp_path, "Get-User.custom.json", api_body("Get User"))
    out = tmp_path / "out"
    result = import_actions([src], out)
    text = (out / "get-user.yaml").read_text(encoding="utf-8")
    assert text.startswith(f"name: Get User\nintegration: {GENESYS}\ncontract:\n")
    assert "<integration" not in text
    assert result.notes[0] == (
        f"integration type purecloud-data-actions: assumed the integration is named "
        f"'{GENESYS}' (1 file, 1 of them API bodies with a placeholder integration, typed by "
        "their /api/v2/ URL); if your org names it otherwise, rerun with --integration NAME "
        "or edit the files"
    )


def test_an_api_body_for_another_service_needs_the_integration_option(tmp_path: Path) -> None:
    src = write_json(tmp_path, "x.json", api_body("X", url="https://example.com/x"))
    with pytest.raises(ImportRefused, match=r"names no integration .* pass --integration NAME"):
        read_sources([src])
    assert read_sources([src], integration="Web")[0].integration == "Web"


def test_a_real_category_names_the_integration_or_stays_as_category(tmp_path: Path) -> None:
    body = api_body("X", url="https://example.com/x")
    body.update(category="Prod REST", integrationId="9a8b7c6d-0000-4000-8000-00000000abcd")
    src = write_json(tmp_path, "x.json", body)
    out = tmp_path / "out"
    result = import_actions([src], out)
    text = (out / "x.yaml").read_text(encoding="utf-8")
    assert text.startswith("name: X\nintegration: Prod REST\ncontract:\n")
    assert "integration 'Prod REST' taken from the category of 1 file" in result.notes[0]
    assert result.notes[1] == (
        f"{src}: not imported (no place in an action file): integrationId (a file names its "
        "integration)"
    )
    other = import_actions([src], tmp_path / "other", integration="Web")
    kept = (tmp_path / "other" / "x.yaml").read_text(encoding="utf-8")
    assert kept.startswith("name: X\nintegration: Web\ncategory: Prod REST\n")
    assert other.report.ok


def test_fields_an_action_file_cannot_hold_are_named(tmp_path: Path) -> None:
    data = export_of("A", description="made by hand", id="custom_-_1", version=3)
    data["contract"]["output"]["errorSchema"] = {"type": "object"}
    data["contract"]["output"]["successSchemaFlattened"] = {"type": "object"}
    src = write_json(tmp_path, "a.json", data)
    result = import_actions([src], tmp_path / "out")
    # Server-owned fields (id, version, *Flattened) go without a word.
    assert result.notes[1] == (
        f"{src}: not imported (no place in an action file): description, "
        "contract.output.errorSchema"
    )


def test_the_export_suffix_is_removed_however_often_it_was_added(tmp_path: Path) -> None:
    name = "Fn - Exported 2024-02-27 @ 15:48 - Exported 2024-02-28 @ 9:51"
    src = write_json(tmp_path, "a.json", export_of(name))
    assert read_sources([src])[0].name == "Fn"
    plain = write_json(tmp_path, "b.json", export_of(" - Exported 2024-02-27 @ 15:48"))
    assert read_sources([plain])[0].name == " - Exported 2024-02-27 @ 15:48"  # nothing left


# --- refusals ----------------------------------------------------------------------------

NO_ACTION_RESOURCE = 'no resource "genesyscloud_integration_action" (nor "genesyscloud_integrati'


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.json", '{\n  "name": "A",\n  "config": {,\n}', "bad.json:3:14: invalid JSON: "),
        ("list.json", "[]", "the top level is an array; expected an object (an action)"),
        ("dup.json", '{"name": "A", "name": "B"}', "invalid JSON: duplicate key 'name'"),
        ("nan.json", '{"name": NaN}', "invalid JSON: NaN is not a JSON number"),
        ("latin1.json", b'{"name": "\xe9"}', "is not UTF-8 text (byte 10)"),
        ("deep.json", "[" * 200_000, "invalid JSON: nesting is too deep to read"),
        (
            "deeper.json",
            json.dumps({**EXPORT, "contract": {"input": {"inputSchema": _nested(240)}}}),
            "invalid JSON: nesting is deeper than 200 levels",
        ),
        ("main.tf", 'resource "x" "y" {}', NO_ACTION_RESOURCE),
        ("main.tf.json", "{}", "this is Terraform's JSON syntax; dactl imports Terraform written"),
        ("empty.tf", "", NO_ACTION_RESOURCE),
        ("vars.txt", 'variable "v" {\n}\n', NO_ACTION_RESOURCE),
        ("mod.json", '\nmodule "m" {}', NO_ACTION_RESOURCE),
        ("bad.tf", 'resource "a" "b" {\n  x = \n}', "bad.tf:2:7: not valid HCL: unexpected end of"),
        (
            "tf.json",
            {"resource": {"genesyscloud_integration_action": {"a": {"name": "A"}}}},
            "this is Terraform's JSON syntax; dactl imports Terraform written in HCL (.tf)",
        ),
        ("none.json", {"integrationType": "purecloud-data-actions"}, "missing name, config, "),
        ("static.json", {**EXPORT, "actionType": "static"}, "dactl never manages static"),
        ("auth.json", {**EXPORT, "actionType": "customAuth"}, "never manages custom-auth"),
        ("odd.json", {**EXPORT, "actionType": "flow"}, "unknown actionType 'flow'"),
        ("type.json", {**EXPORT, "integrationType": "x"}, "unknown integrationType 'x'; pass"),
        ("empty.json", {**EXPORT, "name": " "}, "name must be a non-empty string"),
        ("sec.json", {**EXPORT, "secure": "false"}, 'secure must be true or false, not "false"'),
        (
            "req.json",
            {**EXPORT, "config": {"request": "GET /x"}},
            "config.request must be an object, not a string",
        ),
        (
            "uri.json",
            {**EXPORT, "config": {"request": {"requestTemplateUri": "/t.vm"}}},
            "has requestTemplateUri but no requestTemplate: the template itself is not in",
        ),
    ],
)
def test_a_bad_input_is_refused_and_nothing_is_written(
    tmp_path: Path, name: str, content: Any, message: str
) -> None:
    good = write_json(tmp_path, "good.json", export_of("Good"))
    bad = tmp_path / name
    if isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content if isinstance(content, str) else json.dumps(content))
    out = tmp_path / "out"
    result = run(good, bad, "--out", out)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and lines[1] == "Nothing was written.", result.stderr
    assert lines[0].startswith(f"Error: {bad}") and message in lines[0], lines[0]
    assert not out.exists()
    assert result.stdout == ""


def test_every_refused_input_is_named_in_one_run(tmp_path: Path) -> None:
    paths = [
        write_json(tmp_path, "a.json", export_of("Same")),
        write_json(tmp_path, "b.json", export_of("Same - Exported 2024-01-01 @ 10:00")),
        write_json(tmp_path, "c.json", {**EXPORT, "actionType": "static"}),
        tmp_path / "missing.json",
        tmp_path,
    ]
    with pytest.raises(ImportRefused) as caught:
        import_actions(paths, tmp_path / "out")
    assert caught.value.problems == [
        f"{paths[2]}: actionType static: a built-in (static) action; dactl never manages "
        "static actions",
        f"{paths[3]}: cannot be read: No such file or directory",
        f"{tmp_path}: is a directory; pass the files in it",
        f"{paths[1]}: action name 'Same' is also the name in {paths[0]}; an action name is "
        "unique in a repository, so import only one of them",
    ]
    assert not (tmp_path / "out").exists()


def test_an_empty_integration_option_is_refused(tmp_path: Path) -> None:
    src = write_json(tmp_path, "a.json", EXPORT)
    result = run(src, "--out", tmp_path / "out", "--integration", " ")
    assert result.exit_code == 1
    assert "Error: --integration needs an integration name" in result.stderr


# --- a directory that already holds files --------------------------------------------------


def test_existing_action_files_are_kept_unless_force(tmp_path: Path) -> None:
    src = write_json(tmp_path, "a.json", EXPORT)
    out = tmp_path / "out"
    assert run(src, "--out", out).exit_code == 0
    before = snapshot(out)
    result = run(src, "--out", out)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {out} already holds 1 file of actions; import with --force to rewrite the "
        "files of same-name actions in place (no file is deleted), or import into an empty "
        "directory",
        "Nothing was written.",
    ]
    assert snapshot(out) == before


def test_force_rewrites_same_name_files_in_place_and_deletes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "team").mkdir(parents=True)
    (out / "dactl.yaml").write_text(f"scope:\n  integrations: [{GENESYS}]\n")
    old = action_to_yaml(LIVE, GENESYS).replace("GET\n", "POST\n")
    (out / "team" / "queue-count.yaml").write_text("# mine\n" + old)  # another file name
    unrelated = action_to_yaml({**LIVE, "name": "Unrelated"}, GENESYS)
    (out / "unrelated.yaml").write_text(unrelated)
    (out / "notes.txt").write_text("keep me")
    src = write_json(tmp_path, "a.json", EXPORT)
    new = write_json(tmp_path, "b.json", export_of("Get Queue Waiting Count 2"))

    result = import_actions([src, new], out, force=True)
    assert [(f.path, f.status) for f in result.files] == [
        (out / "team" / "queue-count.yaml", "updated"),
        (out / "get-queue-waiting-count-2.yaml", "new"),
    ]
    assert (out / "team" / "queue-count.yaml").read_text() == action_to_yaml(LIVE, GENESYS)
    assert (out / "unrelated.yaml").read_text() == unrelated
    assert (out / "notes.txt").read_text() == "keep me"
    assert (out / "dactl.yaml").read_text() == f"scope:\n  integrations: [{GENESYS}]\n"
    assert result.project_file is None
    assert result.report.ok and len(result.report.actions) == 3

    again = import_actions([src], out, force=True)
    assert [f.status for f in again.files] == ["unchanged"]


def test_force_refuses_a_file_whose_action_cannot_be_told(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "broken.yaml").write_text("name: [unclosed\n")
    src = write_json(tmp_path, "a.json", EXPORT)
    with pytest.raises(ImportRefused) as caught:
        import_actions([src], out, force=True)
    assert len(caught.value.problems) == 1
    assert "broken.yaml:" in caught.value.problems[0]
    assert caught.value.problems[0].endswith("(cannot tell which action this file holds)")
    assert sorted(p.name for p in out.iterdir()) == ["broken.yaml"]


def test_force_refuses_an_action_already_in_two_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in ("a.yaml", "b.yaml"):
        (out / name).write_text(action_to_yaml(LIVE, GENESYS))
    src = write_json(tmp_path, "a.json", EXPORT)
    with pytest.raises(ImportRefused, match=r"'Get Queue Waiting Count' is in several files"):
        import_actions([src], out, force=True)


def test_an_out_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    src = write_json(tmp_path, "a.json", EXPORT)
    with pytest.raises(ImportRefused, match="is not a directory"):
        import_actions([src], src)


# --- validation after writing --------------------------------------------------------------


def test_a_template_using_an_undeclared_input_imports_with_a_warning(tmp_path: Path) -> None:
    """Genesys accepts such a template, so dactl does too (rule 10): a warning, exit 0."""
    data = export_of("Lenient")
    data["config"]["request"]["requestUrlTemplate"] = "/api/v2/users/${input.userId}"
    src = write_json(tmp_path, "a.json", data)
    out = tmp_path / "out"
    result = run(src, "--out", out)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "out/lenient.yaml:14:37: warning: " in lines[1], lines
    assert lines[1].endswith(
        ": warning: request.requestUrlTemplate: input.userId is not a property of the input "
        "contract"
    ), lines
    assert lines[-2:] == ["OK: 1 action valid, 1 warning.", f"Imported 1 action into {out}."]


def test_files_that_do_not_validate_are_kept_and_the_run_fails(tmp_path: Path) -> None:
    data = export_of("Broken")
    data["config"]["timeoutSeconds"] = 90  # over the limit Genesys keeps: an error
    src = write_json(tmp_path, "a.json", data)
    out = tmp_path / "out"
    result = run(src, "--out", out)
    assert result.exit_code == 1
    assert (out / "broken.yaml").is_file()
    lines = result.stdout.splitlines()
    assert "broken.yaml:" in lines[1] and "timeoutSeconds: 90" in lines[1], lines
    assert lines[-2:] == ["1 error, 0 warnings in 2 files.", f"Imported 1 action into {out}."]
    assert result.stderr.splitlines()[-1] == (
        f"Error: {out} does not validate (see above); the files were kept: fix them, then "
        f"run `dactl validate {out}` before `dactl plan`."
    )


def test_an_integration_outside_an_existing_scope_fails_validation(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "dactl.yaml").write_text("scope:\n  integrations: [Web Services Data Actions]\n")
    src = write_json(tmp_path, "a.json", EXPORT)
    result = import_actions([src], out)
    assert not result.report.ok
    assert "is not in the project scope" in result.report.errors[0].message
    assert result.project_file is None


# --- Terraform, told by content (tests/test_import_terraform.py has the rest) -----------


def test_terraform_hcl_in_a_json_file_is_read_by_its_content(tmp_path: Path) -> None:
    hcl = FIXTURES / "import" / "terraform-action.json"
    good = write_json(tmp_path, "good.json", export_of("Good"))
    out = tmp_path / "out"
    refused = run(good, hcl, "--out", out)
    assert refused.exit_code == 1 and refused.stdout == "" and not out.exists()
    assert refused.stderr == (
        f'Error: {hcl}:5: resource "genesyscloud_integration_action" "get_user": '
        "integration_id is var.integration_id, an id, not a name; pass --integration NAME "
        "(the integration's name in your org)\nNothing was written.\n"
    )
    result = run(good, hcl, "--out", out, "--integration", GENESYS)
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load((out / "get-user.yaml").read_text(encoding="utf-8")) == {
        "name": "Get User",
        "integration": GENESYS,  # the category, equal to it, is left out
        "contract": {
            "input": {"type": "object", "properties": {"userId": {"type": "string"}}},
            "output": {"type": "object", "properties": {}},
        },
        "request": {"requestUrlTemplate": "/api/v2/users/${input.userId}", "requestType": "GET"},
    }
