"""`dactl import` of Terraform (CX as Code) files, without a network: action resources as
action files, the integration from the configuration or --integration, variables from
--var or defaults (all missing ones in one error), Function actions, drafts, and a one-line
refusal, with nothing written, for whatever dactl cannot read. The corpus: every file
imports or is refused, and the modules that ship both a .tf and a .json agree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.importer import DEFAULT_INTEGRATIONS, ImportRefused, import_actions, read_sources
from reconciler.terraform.resources import read_terraform
from reconciler.validate.editor_schema import schema_file_name
from tests.conftest import REPO_ROOT, corpus_dir
from tests.validate.test_editor_schema import errors, modeline_target, schema_for

GENESYS = "Genesys Cloud Data Actions"
ACTION = """\
resource "genesyscloud_integration_action" "get_user" {
  name           = var.action_name
  category       = "Users"
  integration_id = genesyscloud_integration.platform.id
  secure         = var.secure
  config_timeout_seconds = "20"
  contract_input = jsonencode({
    "type" : "object",
    "required" : ["userId"],
    "properties" : { "userId" : { "type" : "string" } }
  })
  contract_output = jsonencode({ type = "object", properties = {} })
  config_request {
    request_url_template = "/api/v2/users/$${input.userId}"
    request_type         = "GET"
    request_template     = "$${input.rawRequest}"
    headers = {
      Accept = "application/json"
    }
  }
  config_response {
    translation_map          = { name = "$.name" }
    translation_map_defaults = { name = "\\"\\"" }
    success_template         = "{\\"name\\": $${name}}"
  }
  depends_on = [genesyscloud_integration.platform]
  lifecycle {
    ignore_changes = [name]
  }
}
"""
INTEGRATION = """\
resource "genesyscloud_integration" "platform" {
  intended_state   = "ENABLED"
  integration_type = "purecloud-data-actions"
  config {
    name = "Platform API"
  }
}
"""
VARIABLES = """\
variable "action_name" {
  type = string
}
variable "secure" {
  type    = bool
  default = false
}
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: Any) -> Result:
    return CliRunner().invoke(main, ["import", *map(str, args)])


def refused(*paths: Path, **options: Any) -> list[str]:
    with pytest.raises(ImportRefused) as caught:
        read_sources(paths, **options)
    return [str(p) for p in caught.value.problems]


def one(path: Path, *, integration: str | None = None, **variables: str) -> dict[str, Any]:
    """The one action file imported from PATH, read back."""
    out = path.parent / "out"
    pairs = [f"{k}={v}" for k, v in variables.items()]
    result = import_actions([path], out, integration=integration, variables=pairs)
    assert result.report.ok, result.report.problems
    (file,) = result.files
    data = yaml.safe_load(file.path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_an_action_resource_becomes_an_action_file(tmp_path: Path) -> None:
    main_tf = write(tmp_path / "tf", "main.tf", ACTION + INTEGRATION)
    write(tmp_path / "tf", "variables.tf", VARIABLES)  # the same configuration
    out = tmp_path / "actions"
    result = run(
        main_tf, tmp_path / "tf" / "variables.tf", "--out", out, "--var", "action_name=Get User"
    )
    assert result.exit_code == 0, result.stderr
    # The integration's name is in the configuration: nothing assumed.
    assert result.stderr == f"note: wrote {out / 'dactl.yaml'} (scope: Platform API)\n"
    text = (out / "get-user.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(text) == {
        "name": "Get User",
        "integration": "Platform API",
        "category": "Users",
        "timeoutSeconds": 20,
        "contract": {
            "input": {
                "type": "object",
                "required": ["userId"],
                "properties": {"userId": {"type": "string"}},
            },
            "output": {"type": "object", "properties": {}},
        },
        "request": {
            "requestUrlTemplate": "/api/v2/users/${input.userId}",
            "requestType": "GET",
            "headers": {"Accept": "application/json"},
        },
        "response": {
            "translationMap": {"name": "$.name"},
            "translationMapDefaults": {"name": '""'},
            "successTemplate": '{"name": ${name}}',
        },
    }
    # The contract keeps the order written (jsonencode's own text sorts the keys).
    assert text.index("required:") < text.index("properties:")
    project = yaml.safe_load((out / "dactl.yaml").read_text(encoding="utf-8"))
    assert project == {"scope": {"integrations": ["Platform API"]}}


def test_an_integration_without_a_name_is_named_after_its_type(tmp_path: Path) -> None:
    unnamed = INTEGRATION.replace('  config {\n    name = "Platform API"\n  }\n', "")
    path = write(tmp_path, "main.tf", ACTION + unnamed + VARIABLES)
    out = tmp_path / "out"
    result = run(path, "--out", out, "--var", "action_name=A", "--var", "secure=true")
    assert result.exit_code == 0, result.stderr
    assert (
        "note: integration type purecloud-data-actions: assumed the integration is named "
        f"'{GENESYS}' (1 file)" in result.stderr
    )
    data = yaml.safe_load((out / "a.yaml").read_text(encoding="utf-8"))
    assert data["integration"] == GENESYS and data["secure"] is True


def test_a_data_source_names_its_integration(tmp_path: Path) -> None:
    source = ACTION.replace(
        "genesyscloud_integration.platform.id", "data.genesyscloud_integration.d.id"
    )
    data_block = 'data "genesyscloud_integration" "d" {\n  name = "${var.prefix} Actions"\n}\n'
    variables = VARIABLES + 'variable "prefix" {\n  default = "Shared"\n}\n'
    path = write(tmp_path, "main.tf", source + data_block + variables)
    assert one(path, action_name="A")["integration"] == "Shared Actions"


@pytest.mark.parametrize(
    ("integration_id", "message"),
    [
        (
            "var.integration_id",
            "integration_id is var.integration_id, an id, not a name; pass "
            "--integration NAME (the integration's name in your org)",
        ),
        ('"${var.integration_id}"', "integration_id is var.integration_id, an id, not a name"),
        ('"5a0e7c3b-1d2f"', 'integration_id is an id ("5a0e7c3b-1d2f"), not a name; pass --int'),
        (
            "genesyscloud_integration.elsewhere.id",
            "integration_id: genesyscloud_integration."
            "elsewhere is not in the files given; pass --integration NAME (the integration's name "
            "in your org), or import the file that declares it too",
        ),
        (
            "module.integration.integration_id",
            "integration_id: module.integration.integration_id"
            " is a module's output, known only once Terraform has applied the module; pass --int",
        ),
    ],
)
def test_an_integration_that_cannot_be_named_asks_for_integration(
    tmp_path: Path, integration_id: str, message: str
) -> None:
    source = ACTION.replace("genesyscloud_integration.platform.id", integration_id)
    path = write(tmp_path, "main.tf", source + VARIABLES)
    problems = refused(path, variables=["action_name=A"])
    assert (
        problems == [f'{path}:4: resource "genesyscloud_integration_action" "get_user": {message}']
        or message in problems[0]
    )
    assert len(problems) == 1 and problems[0].startswith(f"{path}:4: resource ")
    assert one(path, integration="Given", action_name="A")["integration"] == "Given"


def test_an_integration_whose_name_cannot_be_known(tmp_path: Path) -> None:
    odd = INTEGRATION.replace('"Platform API"', "module.m.name").replace(
        '"purecloud-data-actions"', '"zzz"'
    )
    path = write(tmp_path, "main.tf", ACTION + odd + VARIABLES)
    (problem,) = refused(path, variables=["action_name=A"])
    assert (
        "integration_id: genesyscloud_integration.platform: its name: module.m.name is a "
        "module's output" in problem
    )
    unnamed = INTEGRATION.replace('name = "Platform API"', "").replace(
        '"purecloud-data-actions"', '"zzz"'
    )
    path = write(tmp_path / "b", "main.tf", ACTION + unnamed + VARIABLES)
    (problem,) = refused(path, variables=["action_name=A"])
    assert (
        "has no config.name and its type (zzz) has no default name; pass --integration" in problem
    )


def test_every_missing_variable_is_named_in_one_error(tmp_path: Path) -> None:
    source = ACTION.replace('"Users"', "local.category") + INTEGRATION
    source += 'locals {\n  category = "${var.team}-${var.area}"\n}\n'
    source += 'variable "secure" {}\n'  # declared, without a default
    path = write(tmp_path, "main.tf", source)
    assert refused(path) == [
        f"{path}: no value for var.action_name, var.area, var.secure, var.team: pass "
        "--var NAME=VALUE for each (or give the variable a default)"
    ]
    data = one(path, action_name="A", area="b", team="c", secure="false")
    assert data["category"] == "c-b"


def test_variables_are_typed_by_their_block_and_checked(tmp_path: Path) -> None:
    path = write(tmp_path, "main.tf", ACTION + INTEGRATION + VARIABLES)
    assert refused(path, variables=["action_name=A", "secure=maybe"]) == [
        f'{path}: var.secure: --var secure: expected true or false, got "maybe"'
    ]
    assert refused(path, variables=["action_name=A", "unused=1", "bad"]) == [
        "--var 'bad': expected NAME=VALUE (NAME a Terraform variable name)",
        "--var unused: no Terraform file given declares or uses var.unused",
    ]
    undeclared = write(
        tmp_path / "u", "main.tf", ACTION.replace('"Users"', "var.secure") + INTEGRATION
    )
    (problem,) = refused(undeclared, variables=["action_name=A", "secure=yes"])
    assert problem == (
        f'{undeclared}:5: resource "genesyscloud_integration_action" "get_user": secure: '
        'expected true or false, got "yes" (from var.secure)'
    )


def test_files_from_two_directories_are_two_configurations(tmp_path: Path) -> None:
    first = write(tmp_path / "one", "main.tf", ACTION + INTEGRATION + VARIABLES)
    second = write(tmp_path / "two", "main.tf", ACTION + VARIABLES)  # no integration here
    problems = refused(first, second, variables=["action_name=A"])
    assert len(problems) == 1 and problems[0].startswith(f"{second}:4: ")
    assert "genesyscloud_integration.platform is not in the files given" in problems[0]
    write(tmp_path / "two", "integration.tf", INTEGRATION)
    problems = refused(
        first, second, tmp_path / "two" / "integration.tf", variables=["action_name=A"]
    )
    assert problems == [
        f"{second}: action name 'A' is also the name in {first}; an action name is unique in a "
        "repository, so import only one of them"
    ]


def test_a_function_action_gets_its_settings_and_its_package(tmp_path: Path) -> None:
    function = """\
resource "genesyscloud_integration_action" "fn" {
  name           = "Echo"
  category       = "Function Data Actions"
  integration_id = genesyscloud_integration.fn.id
  contract_input  = jsonencode({ type = "object", properties = {} })
  contract_output = jsonencode({ type = "object", properties = {} })
  function_config {
    description     = "Echoes"
    handler         = "src/index.handler"
    runtime         = "nodejs20.x"
    timeout_seconds = 10
    file_path       = "${path.module}/code/echo.zip"
    zip_id          = "z-1"
  }
}
resource "genesyscloud_integration" "fn" {
  integration_type = "function-data-actions"
}
"""
    path = write(tmp_path / "tf", "main.tf", function)
    (tmp_path / "tf" / "code").mkdir()
    (tmp_path / "tf" / "code" / "echo.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    out = tmp_path / "actions"
    result = import_actions([path], out)
    data = yaml.safe_load(result.files[0].path.read_text(encoding="utf-8"))
    assert data["integration"] == "Function Data Actions"
    assert data["request"] == {"requestType": "POST"}
    assert data["function"] == {
        "handler": "src/index.handler",
        "runtime": "nodejs20.x",
        "timeoutSeconds": 10,
        "description": "Echoes",
        "package": "../tf/code/echo.zip",  # relative to the new file
    }
    assert not result.files[0].path.read_text(encoding="utf-8").startswith("# function.package")
    notes = "\n".join(result.notes)
    assert "no config_request: requestType POST written" in notes
    assert "function_config.zip_id not imported" in notes
    (tmp_path / "tf" / "code" / "echo.zip").unlink()
    result = import_actions([path], tmp_path / "again")
    assert (
        "package"
        not in yaml.safe_load(result.files[0].path.read_text(encoding="utf-8"))["function"]
    )
    assert any(
        "function_config.file_path" in n and "add one before dactl apply" in n for n in result.notes
    )


def test_a_draft_resource_is_imported_with_a_note(tmp_path: Path) -> None:
    draft = ACTION.replace(
        'genesyscloud_integration_action"', 'genesyscloud_integration_action_draft"'
    )
    path = write(tmp_path, "main.tf", draft + INTEGRATION + VARIABLES)
    result = import_actions([path], tmp_path / "out", variables=["action_name=A"])
    assert [f.name for f in result.files] == ["A"]
    assert any("is a draft in Terraform; dactl apply publishes it" in n for n in result.notes)


def test_other_resources_are_named_in_a_note(tmp_path: Path) -> None:
    flow = 'resource "genesyscloud_flow" "f" {\n  filepath = "x.yaml"\n}\n'
    flow += 'module "m" {\n  source = "./m"\n}\n'
    path = write(tmp_path, "main.tf", ACTION + INTEGRATION + VARIABLES + flow)
    result = import_actions([path], tmp_path / "out", variables=["action_name=A"])
    assert f"{path}: not imported (not data actions): genesyscloud_flow.f, module.m" in result.notes


def test_template_files_and_directives_in_a_resource(tmp_path: Path) -> None:
    source = ACTION.replace(
        'request_template     = "$${input.rawRequest}"',
        'request_template     = templatefile("${path.module}/body.tftpl", { fields = var.fields })',
    ).replace(
        'success_template         = "{\\"name\\": $${name}}"', 'success_template = file("ok.vm")'
    )
    variables = VARIABLES + 'variable "fields" {\n  type = list(string)\n}\n'
    path = write(tmp_path, "main.tf", source + INTEGRATION + variables)
    write(tmp_path, "body.tftpl", '{%{ for f in fields ~}\n"${f}": "$${input.${f}}",%{ endfor }}')
    write(tmp_path, "ok.vm", "${rawResult}\n")
    data = one(path, action_name="A", fields='["a", "b"]')
    assert data["request"]["requestTemplate"] == '{"a": "${input.a}","b": "${input.b}",}'
    assert data["response"]["successTemplate"] == "${rawResult}\n"


SECURE = "secure         = var.secure"
LIFECYCLE = "  lifecycle {"
TYPE = 'request_type         = "GET"'
OUTPUT = 'contract_output = jsonencode({ type = "object", properties = {} })'
CATEGORY = 'category       = "Users"'
HEADERS = 'headers = {\n      Accept = "application/json"\n    }'


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (SECURE, "count = 2", "count is not supported (one resource is one action)"),
        (SECURE, "for_each = {}", "for_each is not supported"),
        (SECURE, "publish = true", "publish is not an argument of genesyscloud_integration_act"),
        (SECURE, "config_request = {}", "config_request is a block (config_request { ... }), not"),
        (LIFECYCLE, '  dynamic "x" {\n  }\n' + LIFECYCLE, "dynamic blocks are not supported"),
        (LIFECYCLE, "  extra {\n  }\n" + LIFECYCLE, "extra { ... } is not a block of genesys"),
        (LIFECYCLE, "  config_response {\n  }\n" + LIFECYCLE, "more than one config_response"),
        (TYPE, TYPE + '\n    verb = "x"', "config_request.verb is not an argument of config_req"),
        (TYPE, TYPE + "\n    inner {\n    }", "config_request.inner { ... } is not an argument"),
        (TYPE, "", "no request_type (the provider requires one)"),
        (OUTPUT, 'contract_output = "{not json"', "contract_output is not JSON: Expecting prop"),
        (OUTPUT, "contract_output = jsonencode([1])", "contract_output must be a JSON object (a"),
        (OUTPUT, 'contract_output = { type = "obj" }', "contract_output must be JSON text (json"),
        (OUTPUT, "", "no contract_output (the provider requires one)"),
        (CATEGORY, "category = null", "category is null; the provider requires a value"),
        (CATEGORY, 'category = "${module.x.y}"', "category: module.x.y is a module's output"),
        ("name           = var.action_name", 'name = " "', "name is empty"),
        (HEADERS, "headers = [1]", "headers: expected a map of strings, got a list"),
        ('config_timeout_seconds = "20"', "config_timeout_seconds = 1.5", "a whole number"),
    ],
)
def test_what_the_resource_holds_that_dactl_cannot_read_is_one_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in ACTION
    path = write(tmp_path, "main.tf", ACTION.replace(old, new) + INTEGRATION + VARIABLES)
    out = tmp_path / "out"
    result = run(path, "--out", out, "--var", "action_name=A")
    assert result.exit_code == 1 and result.stdout == "" and not out.exists()
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and lines[1] == "Nothing was written.", result.stderr
    assert lines[0].startswith(f"Error: {path}:") and message in lines[0], lines[0]
    assert 'resource "genesyscloud_integration_action" "get_user": ' in lines[0]


def test_a_resource_without_config_request_is_refused_unless_a_function(tmp_path: Path) -> None:
    start = ACTION.index("  config_request {")
    end = ACTION.index("  config_response {")
    path = write(tmp_path, "main.tf", ACTION[:start] + ACTION[end:] + INTEGRATION + VARIABLES)
    (problem,) = refused(path, variables=["action_name=A"])
    assert problem.endswith(
        "no config_request block: every action but a Function action needs "
        "one (its request_type at least)"
    )


def test_custom_auth_actions_are_refused(tmp_path: Path) -> None:
    auth = 'resource "genesyscloud_integration_custom_auth_action" "auth" {\n  name = "Auth"\n}\n'
    path = write(tmp_path, "main.tf", ACTION + INTEGRATION + VARIABLES + auth)
    assert refused(path, variables=["action_name=A"]) == [
        f"{path}:{(ACTION + INTEGRATION + VARIABLES).count(chr(10)) + 1}: resource "
        '"genesyscloud_integration_custom_auth_action" "auth": a custom-auth '
        "action; dactl never manages custom-auth actions (they belong to the integration's "
        "credentials)"
    ]


def test_a_configuration_without_an_action_resource(tmp_path: Path) -> None:
    first = write(tmp_path, "a.tf", INTEGRATION)
    second = write(tmp_path, "b.tf", VARIABLES)
    assert refused(first, second) == [
        f'{tmp_path} (a.tf, b.tf): no resource "genesyscloud_integration_action" (nor '
        '"genesyscloud_integration_action_draft"): nothing to import'
    ]


def test_var_without_terraform_input_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"name": "A"}))
    problems = refused(path, variables=["x=1"])
    assert "--var x: no Terraform file given declares or uses var.x" in problems


def test_read_terraform_groups_files_by_directory(tmp_path: Path) -> None:
    first = write(tmp_path / "a", "main.tf", ACTION + INTEGRATION + VARIABLES)
    actions, problems = read_terraform(
        [(first, first.read_text())],
        integration=None,
        var_pairs=["action_name=A"],
        type_names=DEFAULT_INTEGRATIONS,
    )
    assert problems == [] and [a.action["name"] for a in actions] == ["A"]
    assert actions[0].integration == "Platform API" and actions[0].type_id is None


# --- the corpus ----------------------------------------------------------------------------

# The modules that ship one action as both a .tf and a .json (written from the same
# definition): imported, they agree on config, contract and secure. Two are left out,
# as the corpus README says: update-data-table-row (a different body) and get-data-table-row
# (`.replace()` inside the ${} in HCL, outside it in JSON); get-user-presence's JSON is the
# static action.
PAIRS = [
    "dynamics-365-get-most-recent-lead-by-phone-number",
    "public-api-get-service-level",
    "public-api-set-user-roles",
    "public-api-set-user-state",
    "public-api-update-emergency-group",
    "public-api-wrap-up-conversation",
    "salesforce-composite-create-case-example",
    "salesforce-update-sf-object-field-with-value",
    "servicenow-create-inc",
    "zendesk-create-ticket",
]


@pytest.mark.corpus
@pytest.mark.parametrize("module", PAIRS)
def test_a_module_s_terraform_and_json_import_to_the_same_action(module: str) -> None:
    corpus = corpus_dir() / "real-actions"
    prefix = f"GenesysCloudDevOps__{module}-data-action-module__"
    tf = corpus / f"{prefix}main.tf"
    (exported,) = [p for p in corpus.glob(f"{prefix}*.json")]
    (from_json,) = read_sources([exported])
    secure = "true" if from_json.action["secure"] else "false"
    variables = [
        f"action_name={from_json.name}",
        "action_category=C",
        f"secure_data_action={secure}",
    ]
    (from_tf,) = read_sources([tf], integration=GENESYS, variables=variables)
    for key in ("config", "contract", "secure"):
        ours, theirs = from_tf.action[key], from_json.action[key]
        if key == "config":  # an absent template is the default one
            for part, template in (("request", "requestTemplate"), ("response", "successTemplate")):
                for section in (ours, theirs):
                    if section[part].get(template) in ("${input.rawRequest}", "${rawResult}"):
                        del section[part][template]
                    section[part] = {k: v for k, v in section[part].items() if v != {}}
        assert ours == theirs, key


@pytest.mark.corpus
def test_every_corpus_terraform_file_imports_or_is_refused_line_by_line(tmp_path: Path) -> None:
    """Each real .tf file alone, with --integration: actions, or refusal lines that each
    name the file (never another exception)."""
    files = sorted((corpus_dir() / "real-actions").glob("*.tf"))
    assert len(files) == 30
    read = []
    for path in files:
        try:
            read += [s.name for s in read_sources([path], integration=GENESYS)]
        except ImportRefused as exc:
            assert all(str(p).startswith(f"{path}") for p in exc.problems), exc.problems
    assert read == ["Example Action Draft"]  # the others need variables, or are refused


def test_imported_terraform_files_pass_the_editor_schema_they_name(tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "schemas", tmp_path / "schemas")
    (tmp_path / ".git").mkdir()  # the repository root: schemas/ is looked for up to here
    path = write(tmp_path / "tf", "main.tf", ACTION + INTEGRATION + VARIABLES)
    out = tmp_path / "actions"
    import_actions([path], out, variables=["action_name=A"])
    files = sorted(out.glob("*.yaml"))
    assert [f.name for f in files] == ["a.yaml", "dactl.yaml"]
    for file in files:
        assert modeline_target(file) == schema_file_name(schema_for(file)), file
        assert errors(schema_for(file), file) == [], file
