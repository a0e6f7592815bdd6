"""Semantic lint: warnings that do not fail the run, and the valid example tree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.secrets import literal_credential, words
from reconciler.validate import validate_tree
from reconciler.validate.lint import looks_sensitive
from tests.conftest import REPO_ROOT

ACTION = """\
name: {name}
integration: Web Services Data Actions
secure: {secure}
contract:
  input:
    type: object
    properties:
      {prop}: {{type: string}}
  output: {{type: object, properties: {{}}}}
request:
  requestUrlTemplate: https://example.com/x/${{input.{prop}}}
  requestType: GET
  headers:
    Authorization: {auth}
"""


def write_action(tmp_path: Path, **fields: str) -> Path:
    values = {"name": "A", "secure": "false", "prop": "orderId", "auth": "${credentials.token}"}
    values.update(fields)
    path = tmp_path / "a.yaml"
    path.write_text(ACTION.format(**values), encoding="utf-8")
    return path


def test_example_tree_is_valid() -> None:
    report = validate_tree(REPO_ROOT / "actions")
    assert report.problems == []
    assert len(report.actions) >= 8
    integrations = {a.integration for a in report.actions}
    assert integrations == {"Genesys Cloud Data Actions", "Web Services Data Actions"}
    assert len({a.timeout_seconds for a in report.actions}) >= 4
    assert any(a.extends_chain for a in report.tree.actions)


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [
        ("customerSSN", True),
        ("ssn", True),
        ("cardNumber", True),
        ("credit_card", True),
        ("userPassword", True),
        ("apiKey", True),
        ("pin", True),
        ("dateOfBirth", True),
        ("queueId", False),
        ("shippingAddress", False),
        ("spinCount", False),
        ("orderId", False),
    ],
)
def test_sensitive_names(name: str, sensitive: bool) -> None:
    assert looks_sensitive(name) is sensitive, words(name)


def test_sensitive_input_without_secure_is_a_warning(tmp_path: Path) -> None:
    write_action(tmp_path, prop="cardNumber")
    report = validate_tree(tmp_path)
    assert report.ok
    (warning,) = report.warnings
    assert warning.rule == "secure" and "cardNumber" in warning.message
    assert str(warning.mark).endswith("a.yaml:8:7")


def test_sensitive_input_with_secure_is_fine(tmp_path: Path) -> None:
    write_action(tmp_path, prop="cardNumber", secure="true")
    assert validate_tree(tmp_path).problems == []


@pytest.mark.parametrize(
    "value", ["Basic dXNlcjpzM2NyZXQtcGFzcw==", "Bearer abcdef123456", "k-123456"]
)
def test_literal_credential_header_warns_without_showing_it(tmp_path: Path, value: str) -> None:
    write_action(tmp_path, auth=value)
    report = validate_tree(tmp_path)
    assert report.ok
    (warning,) = report.warnings
    assert warning.rule == "credential"
    assert value not in warning.message and value.split()[-1] not in warning.message


def test_templated_credential_header_is_fine(tmp_path: Path) -> None:
    write_action(tmp_path, auth="Bearer ${credentials.token}")
    assert validate_tree(tmp_path).problems == []


@pytest.mark.parametrize(
    "value",
    [
        "Bearer abc$def123",  # "$def123" is no variable Genesys has: it stays in the text
        "Bearer abc$def123$ghi456",
        "s3cr3t$$value",
        "Bearer $12345678",
        "Token x$input",  # not "$input.": the literal "x" is followed by a root only by chance
    ],
)
def test_a_dollar_sign_alone_does_not_make_a_literal_templated(value: str) -> None:
    assert literal_credential("Authorization", value)
    assert literal_credential("X-Api-Key", value)


@pytest.mark.parametrize(
    "value",
    [
        "${credentials.token}",
        "Bearer ${credentials.token}",
        "Bearer $!{credentials.token}",
        "Bearer $credentials.token",
        "Bearer $!credentials.token",
        "${input.apiKey}",
        "$input.apiKey",
        'Basic $encoding.base64("${credentials.clientId}:${credentials.clientSecret}")',
        "${authResponse.token_type} ${authResponse.access_token}",
        "Bearer $authResponse.access_token",
        "Bearer ${token}",  # braced: a reference whatever its name
    ],
)
def test_a_real_velocity_reference_makes_a_value_templated(value: str) -> None:
    assert not literal_credential("Authorization", value)


def test_a_literal_with_a_dollar_sign_warns_without_showing_it(tmp_path: Path) -> None:
    write_action(tmp_path, auth='"Bearer abc$def123"')
    (warning,) = validate_tree(tmp_path).warnings
    assert warning.rule == "credential" and "abc" not in warning.message


def test_warnings_exit_zero_and_print(tmp_path: Path) -> None:
    write_action(tmp_path, prop="password")
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 0
    assert "warning: input 'password' looks sensitive" in result.output
    assert "OK: 1 action valid, 1 warning." in result.output


def test_json_format(tmp_path: Path) -> None:
    write_action(tmp_path, prop="password")
    (tmp_path / "b.yaml").write_text("name: B\ntimeoutSeconds: 99\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "--format", "json", str(tmp_path)])
    assert result.exit_code == 1
    body = json.loads(result.output)
    assert body["format_version"] == 1 and body["valid"] is False
    assert body["error_count"] >= 3 and body["warning_count"] == 1
    rules = {(p["severity"], p["rule"]) for p in body["problems"]}
    assert ("warning", "secure") in rules and ("error", "schema") in rules
    first = body["problems"][0]
    assert set(first) == {"file", "line", "column", "severity", "rule", "message"}


def test_all_errors_are_collected_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: A\ntimeoutSeconds: 0\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("name: [\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text("nam: C\n", encoding="utf-8")
    report = validate_tree(tmp_path)
    files = {Path(p.mark.file).name for p in report.errors}
    assert files == {"a.yaml", "b.yaml", "c.yaml"}


def test_missing_directory_is_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.output.strip().endswith("no such file or directory")
    assert "Traceback" not in result.output


def test_input_root_in_other_case_warns_and_still_checks_the_name(tmp_path: Path) -> None:
    path = write_action(tmp_path)
    path.write_text(path.read_text().replace("${input.orderId}", "$Input.orderId"))
    report = validate_tree(tmp_path)
    assert report.ok
    (warning,) = report.warnings
    assert warning.rule == "template-case" and "$Input differs from $input" in warning.message
    path.write_text(path.read_text().replace("$Input.orderId", "${INPUT.orderID}"))
    report = validate_tree(tmp_path)
    assert report.ok  # Genesys accepts it: a warning, never an error (rule 10)
    root, name = report.warnings
    assert root.rule == name.rule == "template-case"
    assert "$INPUT differs from $input only in case" in root.message
    assert name.message == (
        "request.requestUrlTemplate: INPUT.orderID differs from the input 'orderId' only in "
        "letter case; Velocity names are case-sensitive, so it never gets that value"
    )
    path.write_text(path.read_text().replace("${INPUT.orderID}", "${INPUT.order}"))
    (_, unknown) = validate_tree(tmp_path).warnings
    assert unknown.rule == "template"
    assert "INPUT.order is not a property of the input contract" in unknown.message


def test_a_template_the_linter_cannot_parse_is_a_warning_never_an_error(tmp_path: Path) -> None:
    path = write_action(tmp_path)
    text = path.read_text().replace("${input.orderId}", "${input.orderId}/${input.more")
    path.write_text(text)
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "warning: request.requestUrlTemplate: cannot parse template" in result.output
    assert "unterminated ${ reference" in result.output


def test_a_directory_without_actions_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 0
    assert result.output.strip() == f"No action files found under {tmp_path} (nothing to check)."


def test_an_action_without_a_url_is_a_warning_only_function_actions_have_none(
    tmp_path: Path,
) -> None:
    path = write_action(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("  requestUrlTemplate: https://example.com/x/${input.orderId}\n", "")
    )
    report = validate_tree(path)
    assert report.ok
    (problem,) = report.warnings
    assert str(problem).endswith(
        "a.yaml:10:1: warning: request: no requestUrlTemplate; only Genesys Function "
        "actions have none, and the org refuses any other action without one"
    )


@pytest.mark.parametrize(
    ("header", "value", "literal"),
    [
        ("Cookie", "session=COOKIESECRET", True),
        ("X-Client-Secret", "CLIENTSECRETHDR", True),
        ("X-Auth-Key", "abcdef123", True),
        ("Private-Token", "abcdefgh", True),
        ("X-API-TOKEN", "zzzzzz", True),
        ("api_key", "abcdef", True),
        ("Authorization", 'Basic $encoding.base64("admin:Hunter2Secret")', True),
        ("Authorization", "Bearer ${credentials.token}", False),
        ("Authorization", 'Basic $encoding.base64("${credentials.user}:${credentials.pw}")', False),
        ("X-Api-Key", "${credentials.apiKey}", False),
        ("Idempotency-Key", "abc123456", False),
        ("Content-Type", "application/json", False),
    ],
)
def test_credential_headers_by_name_and_value(header: str, value: str, literal: bool) -> None:
    assert literal_credential(header, value) is literal


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_undeclared_input_in_the_body_is_a_warning_that_says_when_it_is_not_sent(
    tmp_path: Path, method: str
) -> None:
    path = write_action(tmp_path)
    text = path.read_text().replace("requestType: GET", f"requestType: {method}")
    path.write_text(text + '  requestTemplate: \'{"note": "${input.note}"}\'\n')
    report = validate_tree(tmp_path)
    assert report.ok, report.problems  # Genesys saves it: never an error (rule 10)
    (problem,) = report.warnings
    assert problem.rule == "template"
    message = "request.requestTemplate: input.note is not a property of the input contract"
    unsent = " (Genesys does not send the request template on GET)"
    assert problem.message == message + (unsent if method == "GET" else "")


def test_a_success_variable_differing_from_a_built_in_only_in_case_says_so(
    tmp_path: Path,
) -> None:
    path = write_action(tmp_path)
    path.write_text(path.read_text() + "response:\n  successTemplate: '$RawResult'\n")
    (problem,) = validate_tree(tmp_path).warnings
    assert problem.rule == "template-case"
    assert problem.message == (
        "response.successTemplate: $RawResult differs from the Velocity built-in 'rawResult' "
        "only in letter case; Velocity names are case-sensitive, so it never gets that value"
    )
