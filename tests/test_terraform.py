"""The Terraform expression evaluator (``reconciler.terraform``) on python-hcl2's tree:
each construct's value as Terraform gives it, and a one-line ``Unsupported`` naming what it
does not evaluate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hcl2.api import parses

from reconciler.terraform import functions
from reconciler.terraform.configuration import (
    Configuration,
    looks_like_terraform,
    parse_var_options,
    references,
    variable_value,
)
from reconciler.terraform.evaluate import Evaluator, Scope
from reconciler.terraform.strings import decode
from reconciler.terraform.values import (
    IntegrationRef,
    JsonText,
    Unsupported,
    equal,
    format_number,
    terraform_json,
    to_bool,
    to_int,
    to_number,
    to_string,
    to_string_map,
)


def evaluate(
    source: str,
    directory: Path = Path("/nowhere"),
    variables: dict[str, Any] | None = None,
    locals_: str = "",
    integrations: dict[str, IntegrationRef] | None = None,
) -> Any:
    """The value of ``x`` in ``x = SOURCE`` (locals from ``locals { LOCALS_ }``)."""
    body = parses(f"x = {source}\nlocals {{\n{locals_}\n}}\n").body
    attribute, block = [c for c in body.children if hasattr(c, "expression") or hasattr(c, "body")]
    local_exprs = {
        c.identifier.token.value: c.expression
        for c in block.body.children
        if hasattr(c, "expression")
    }
    scope = Scope(directory, variables or {}, local_exprs, integrations or {})
    return Evaluator(scope).value(attribute.expression)


def refusal(source: str, **kwargs: Any) -> str:
    with pytest.raises(Unsupported) as caught:
        evaluate(source, **kwargs)
    return str(caught.value)


# --- literals and strings ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("42", 42),
        ("-3", -3),
        ("2.5", 2.5),
        ("2.0", 2),
        ("1e3", 1000),
        ("true", True),
        ("false", False),
        ("null", None),
        ('"plain"', "plain"),
        ('""', ""),
        (r'"a\nb\tc\r\"q\" \\ \u00e9 \U0001F600"', 'a\nb\tc\r"q" \\ é 😀'),
        ('"$${input.x} and %%{ if }"', "${input.x} and %{ if }"),
        ('"$esc.quote $!{input.x} 100% $ {x}"', "$esc.quote $!{input.x} 100% $ {x}"),
        ('"user\\u2019s"', "user’s"),
    ],
)
def test_literals_and_quoted_strings(source: str, value: Any) -> None:
    assert evaluate(source) == value
    assert type(evaluate(source)) is type(value)


def test_an_escaped_interpolation_keeps_the_escapes_inside_it() -> None:
    """callback-prioritization's success_template: `$${` and `\\"` inside one token."""
    source = (
        r'"{\"priority\": $${successTemplateUtils.firstFromArray(\"$${pIdArray}\", '
        r'\"$esc.quote$esc.quote\")}}"'
    )
    assert evaluate(source) == (
        '{"priority": ${successTemplateUtils.firstFromArray("${pIdArray}", '
        '"$esc.quote$esc.quote")}}'
    )


def test_interpolations_convert_to_strings_and_a_lone_one_keeps_its_type() -> None:
    variables = {"n": 20, "ok": True, "name": "Get User", "nothing": None, "items": [1]}
    assert evaluate('"${var.name}: ${var.n} ${var.ok} ${1.5}"', variables=variables) == (
        "Get User: 20 true 1.5"
    )
    assert evaluate('"${var.n}"', variables=variables) == 20
    assert evaluate('"${var.ok}"', variables=variables) is True
    assert "a ${...} whose value is null" in refusal('"a${var.nothing}"', variables=variables)
    assert "expected a string, got a list" in refusal('"a${var.items}"', variables=variables)


def test_an_unknown_escape_and_an_interpolation_hidden_in_an_escape_are_refused() -> None:
    assert "the escape \\q (Terraform has no such escape)" in refusal(r'"a\q"')
    with pytest.raises(Unsupported, match=r"a \$\{...\} inside an escaped"):
        decode("$${a ${b}")


# --- template directives -------------------------------------------------------------------


def test_for_and_if_directives_over_known_values() -> None:
    fields = [{"field": "a", "type": "string"}, {"field": "b", "type": "integer"}]
    source = (
        r'"{%{ for obj in var.fields } \"${obj.field}\": %{ if obj.type == "string" }\"'
        r'%{ endif }$!{input.${obj.field}}%{ if obj.type == "string" }\"%{ else }'
        r'%{ endif },%{ endfor }}"'
    )
    assert evaluate(source, variables={"fields": fields}) == (
        '{ "a": "$!{input.a}", "b": $!{input.b},}'
    )


def test_a_for_directive_over_a_map_goes_in_key_order_with_key_and_value() -> None:
    source = '"%{ for k, v in var.m }${k}=${v};%{ endfor }"'
    assert evaluate(source, variables={"m": {"b": 2, "a": 1}}) == "a=1;b=2;"
    assert evaluate('"%{ for i, v in ["x", "y"] }${i}${v}%{ endfor }"') == "0x1y"


def test_strip_markers_strip_the_literal_whitespace_beside_them() -> None:
    source = '"a  %{~ for v in [1, 2] ~}  <${v}>  %{~ endfor ~}  b %{~ if true ~}  c  %{~ endif }"'
    assert evaluate(source) == "a<1><2>bc"
    assert evaluate('"x %{ if false }y%{ else ~}  z%{ endif }"') == "x z"


def test_a_directive_over_an_unknown_shape_names_the_construct() -> None:
    message = refusal('"%{ for obj in var.f }x%{ endfor }"', variables={"f": "text"})
    assert message == (
        "%{ for obj in var.f }: var.f is a string, not a list or a map (a --var value is a "
        "string unless its variable block declares a type)"
    )
    assert "expected true or false, got 1" in refusal('"%{ if 1 }x%{ endif }"')


# --- heredocs ------------------------------------------------------------------------------


def test_heredocs_keep_their_last_newline_and_are_templates() -> None:
    assert evaluate("<<EOT\nline one\n  two \\n\nEOT\n") == "line one\n  two \\n\n"
    assert evaluate("<<EOT\nEOT\n") == ""
    source = (
        '<<-EOT\n    {\n      "a": "$${input.a}",\n      "b": "${upper("x")}"\n    }\n    EOT\n'
    )
    assert evaluate(source) == '{\n  "a": "${input.a}",\n  "b": "X"\n}\n'
    trimmed = "<<-EOT\n  x %{~ for v in [1, 2] ~}\n  ${v}\n  %{~ endfor ~}\n  y\n  EOT\n"
    assert evaluate(trimmed) == "x12y\n"


# --- collections, operators, for expressions -----------------------------------------------


def test_objects_with_either_separator_and_any_key_form() -> None:
    source = '{ "quoted" = 1, bare: 2, for = 3, 4 = "four", (var.k) = 5, nested = { a = [1, "b"] }}'
    assert evaluate(source, variables={"k": "from-var"}) == {
        "quoted": 1,
        "bare": 2,
        "for": 3,
        "4": "four",
        "from-var": 5,
        "nested": {"a": [1, "b"]},
    }
    assert "the key 'a' twice in one object" in refusal("{ a = 1, a = 2 }")


def test_indexes_attributes_and_conditionals() -> None:
    variables = {"m": {"list": [{"c": "deep"}, "x"]}}
    assert evaluate("var.m.list[0].c", variables=variables) == "deep"
    assert evaluate('var.m["list"].1', variables=variables) == "x"
    assert evaluate("[10, 20][1]") == 20
    assert evaluate('true ? "yes" : "no"') == "yes"
    assert evaluate('!true ? "yes" : "no"') == "no"
    assert "the object has no key 'z'" in refusal("var.m.z", variables=variables)
    assert "the list has no index 5 (length 2)" in refusal("var.m.list[5]", variables=variables)
    assert "an index into a string" in refusal('"s"[0]')


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("1 + 2 * 3", 7),
        ("7 - 10", -3),
        ("7 / 2", 3.5),
        ("8 / 2", 4),
        ("7 % 4", 3),
        ('1 == 1 && "a" != "b"', True),
        ('1 == "1"', False),
        ("false || 2 > 1", True),
        ("true || undefined_thing", True),
        ("false && undefined_thing", False),
        ("2 <= 2 && 3 >= 4", False),
        ("1 < 2", True),
        ("-(3)", -3),
        ('"5" + 1', 6),
        ("[1, [2]] == [1, [2]]", True),
        ("{ a = 1 } == { a = 1 }", True),
        ("{ a = 1 } == { b = 1 }", False),
    ],
)
def test_operators(source: str, value: Any) -> None:
    assert evaluate(source) == value


def test_for_expressions_make_lists_and_objects() -> None:
    variables = {"m": {"a": 1, "b": 2, "c": 3}}
    assert evaluate('[for k, v in var.m : v * 10 if k != "b"]', variables=variables) == [10, 30]
    assert evaluate("{ for k, v in var.m : upper(k) => v }", variables=variables) == {
        "A": 1,
        "B": 2,
        "C": 3,
    }
    assert evaluate('[for s in ["x", "y"] : "${s}!"]') == ["x!", "y!"]
    assert "makes the key 'k' twice" in refusal('{ for v in [1, 2] : "k" => v }')
    assert "groups (...)" in refusal("{ for v in [1, 2] : v => v... }")


# --- names ---------------------------------------------------------------------------------


def test_variables_locals_and_the_module_path(tmp_path: Path) -> None:
    locals_ = 'greeting = "hello ${var.who}"\nshout = upper(local.greeting)'
    assert evaluate("local.shout", variables={"who": "you"}, locals_=locals_) == "HELLO YOU"
    assert evaluate("path.module", directory=tmp_path) == str(tmp_path)
    assert "local.nope is not defined in this configuration" in refusal("local.nope")
    cycle = refusal("local.a", locals_="a = local.b\nb = local.a")
    assert "the locals refer to each other in a cycle: local.a -> local.b -> local.a" in cycle
    assert "var.x has no value" in refusal("var.x")


def test_integration_references_resolve_to_what_the_configuration_says() -> None:
    known = {
        "genesyscloud_integration.gc": IntegrationRef("genesyscloud_integration.gc", "Mine"),
        "data.genesyscloud_integration.d": IntegrationRef("data.genesyscloud_integration.d", "D"),
    }
    assert evaluate("genesyscloud_integration.gc.id", integrations=known).name == "Mine"
    assert evaluate('"${data.genesyscloud_integration.d.id}"', integrations=known).name == "D"
    missing = evaluate("genesyscloud_integration.other.id", integrations=known)
    assert missing == IntegrationRef("genesyscloud_integration.other", defined=False)
    text = refusal('"id-${genesyscloud_integration.gc.id}"', integrations=known)
    assert "genesyscloud_integration.gc.id is an integration id, known only in the org" in text


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("module.data_action.integration_name", "module.data_action.integration_name is a module"),
        ("genesyscloud_flow.f.name", "genesyscloud_flow.f.name is another resource's attribute"),
        ("data.genesyscloud_user.u.id", "data.genesyscloud_user.u.id is a data source's attribute"),
        ("genesyscloud_integration.x.name", "genesyscloud_integration.x.name is another"),
        ("each.key", "each.key is not supported"),
        ("count.index", "count.index is not supported"),
        ("terraform.workspace", "terraform.workspace is not supported"),
        ("path.cwd", "path.cwd is not supported"),
        ("somename", "unknown name 'somename'"),
        ("var.list[*].id", "a splat expression ([*]) is not supported"),
        ("var.list.*.id", "a splat expression (.*) is not supported"),
        ("timestamp()", "the function timestamp() is not supported"),
        ("provider::p::f(1)", "the function provider::p::f() is not supported"),
        ("concat([1], [2]...)", "with an expanding argument (...)"),
        ("1 / 0", "/ by zero"),
        ("-true", "the operand of -: expected a number, got true"),
        ('"${"', "not valid"),
    ],
)
def test_what_is_not_evaluated_is_named(source: str, message: str) -> None:
    try:
        text = refusal(source, variables={"list": [{"id": 1}]})
    except Exception as exc:  # a source the parser itself refuses
        text = f"not valid: {exc}"
    assert message in text


def test_an_unsupported_construct_carries_its_line() -> None:
    body = parses("x = {\n  a = 1\n  b = module.m.out\n}\n").body
    with pytest.raises(Unsupported) as caught:
        Evaluator(Scope(Path())).value(body.children[0].expression)
    assert caught.value.line == 3


# --- functions -----------------------------------------------------------------------------


def test_jsonencode_writes_terraforms_text_and_keeps_the_value() -> None:
    value = evaluate('jsonencode({ "type" = "object", b = [1, 2.0, true, null], "c<&>" = "ü" })')
    assert isinstance(value, JsonText)
    assert value == '{"b":[1,2,true,null],"c\\u003c\\u0026\\u003e":"ü","type":"object"}'
    assert list(value.value) == ["type", "b", "c<&>"]  # the order written
    assert json.loads(value) == value.value | {"b": [1, 2, True, None]}
    assert terraform_json("\u2028") == '"\\u2028"'
    with pytest.raises(Unsupported, match="known only in the org"):
        terraform_json({"a": IntegrationRef("genesyscloud_integration.x")})


@pytest.mark.parametrize(
    ("source", "value"),
    [
        (
            'format("%s-%05d|%-4s|%.2f|%q|%%|%t", "a", 42, "b", 3.14159, "q", true)',
            'a-00042|b   |3.14|"q"|%|true',
        ),
        ('format("%[2]s %[1]s %s", "a", "b")', "b a b"),  # Go's rule: on after %[1]
        (
            'format("%v %d %+d %6.1f %e %g", 7, 8, 9, 2.25, 1500, 0.5)',
            "7 8 +9    2.2 1.500000e+03 0.5",
        ),
        ('format("{\\"a\\": %s}", jsonencode({ x = 1 }))', '{"a": {"x":1}}'),
        ('jsondecode("{\\"a\\": [1]}")', {"a": [1]}),
        ('lower("AbC")', "abc"),
        ('upper("abc")', "ABC"),
        ('trimspace("  a  ")', "a"),
        ('chomp("a\\n\\n")', "a"),
        ('replace("a-b-c", "-", "+")', "a+b+c"),
        ('join(", ", ["a", "b"], ["c"])', "a, b, c"),
        ("concat([1], [2, 3])", [1, 2, 3]),
        ("merge({ a = 1 }, null, { b = 2 })", {"a": 1, "b": 2}),
        ('lookup({ a = 1 }, "a")', 1),
        ('lookup({ a = 1 }, "b", "default")', "default"),
        ('coalesce(null, "", "x")', "x"),
        ("length([1, 2])", 2),
        ("tostring(12)", "12"),
        ("tostring(null)", None),
        ('tonumber("12")', 12),
        ('tobool("true")', True),
    ],
)
def test_functions(source: str, value: Any) -> None:
    assert evaluate(source) == value


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('format("%x", 1)', "format(): the verb %x is not supported"),
        ('format("%s %s", "a")', "has no argument to format"),
        ('format("50%")', "a lone % at the end"),
        ('format("%d", 1.5)', "1.5 is not a whole number"),
        ('format("%v", [1])', "%v of a list is not supported"),
        ('format("%s", null)', "the argument is null"),
        ('jsondecode("{")', "jsondecode(): not JSON"),
        ('replace("a", "/a/", "b")', "a regular expression is not supported"),
        ('lookup({}, "a")', 'no key "a" and no default'),
        ("coalesce(null)", "every argument is null or empty"),
        ("length(1)", "length() of a number"),
        ("merge(1)", "merge(): expected an object, got a number"),
        ("concat(1)", "concat(): expected a list, got a number"),
        ("lower()", "lower() takes 1 arguments, not 0"),
        ("format()", "format() takes 1 or more arguments, not 0"),
    ],
)
def test_function_misuse_is_refused(source: str, message: str) -> None:
    assert message in refusal(source)


def test_file_and_templatefile_read_relative_to_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "request.vm").write_text('{"id": "$${input.id}"}\n')
    (tmp_path / "body.tftpl").write_text(
        '{\n%{ for k in keys ~}\n  "${k}": "$${input.${k}}",\n%{ endfor ~}\n'
        '  "name": "${name}"\n}\n'
    )
    assert evaluate('file("templates/request.vm")', directory=tmp_path) == (
        '{"id": "$${input.id}"}\n'  # file() reads text as it is
    )
    assert (
        evaluate(
            'templatefile("${path.module}/body.tftpl", { keys = ["a", "b"], name = "n" })',
            directory=tmp_path,
        )
        == '{\n"a": "${input.a}",\n"b": "${input.b}",\n"name": "n"\n}\n'
    )  # ~} strips
    assert "cannot be read" in refusal('file("missing.vm")', directory=tmp_path)
    (tmp_path / "latin.vm").write_bytes(b"\xe9")
    assert "not UTF-8 text" in refusal('file("latin.vm")', directory=tmp_path)
    assert "its variables must be an object" in refusal(
        'templatefile("body.tftpl", [])', directory=tmp_path
    )
    (tmp_path / "vars.tftpl").write_text("${var.x}")
    assert "a template file sees only the variables given to it" in refusal(
        'templatefile("vars.tftpl", {})', directory=tmp_path
    )
    assert "file() takes 1 arguments" in refusal('file("a", "b")', directory=tmp_path)


# --- values --------------------------------------------------------------------------------


def test_conversions_as_terraform_makes_them() -> None:
    assert to_string(20, "x") == "20" and to_string(False, "x") == "false"
    assert to_bool("true", "secure") is True
    assert to_number(" 12 ", "n") == 12 and to_number("1.5", "n") == 1.5
    assert to_int("20", "config_timeout_seconds") == 20
    assert to_string_map({"a": 1, "b": None, "c": True}, "headers") == {"a": "1", "c": "true"}
    assert to_string_map(None, "headers") == {}
    assert format_number(1e-07) == "0.0000001" and format_number(2.50) == "2.5"
    with pytest.raises(Unsupported, match='secure: expected true or false, got "yes"'):
        to_bool("yes", "secure")
    with pytest.raises(Unsupported, match="expected a number, got"):
        to_number("twelve", "n")
    with pytest.raises(Unsupported, match=r"expected a whole number, got 1\.5"):
        to_int(1.5, "n")
    with pytest.raises(Unsupported, match="expected a map of strings, got a list"):
        to_string_map([], "headers")
    with pytest.raises(Unsupported, match="expected a string, got an object"):
        to_string({}, "name")
    with pytest.raises(Unsupported, match="not a Terraform number"):
        format_number(float("inf"))
    assert equal(1, 1.0) and not equal(True, 1) and not equal([1], [1, 2])


# --- configurations ------------------------------------------------------------------------


def test_files_are_told_terraform_by_name_or_content() -> None:
    assert looks_like_terraform(Path("x.tf"), "")
    assert looks_like_terraform(Path("x.json"), 'resource "a" "b" {\n}')
    assert looks_like_terraform(Path("x.txt"), "  locals {\n}")
    assert not looks_like_terraform(Path("x.json"), '{"resource": {}}')


def test_a_configuration_reports_what_terraform_would_refuse(tmp_path: Path) -> None:
    config = Configuration(tmp_path, [])
    config.add(tmp_path / "a.tf", 'variable "v" {}\nvariable "v" {}\nlocals {\n  l = 1\n}\n')
    config.add(tmp_path / "b.tf", "locals {\n  l = 2\n  inner {}\n}\ntop = 1\n")
    config.add(tmp_path / "c.tf", 'resource "t" "n" {}\nresource "t" "n" {}\n')
    config.add(tmp_path / "d.tf", 'resource "t" {\n')
    config.add(tmp_path / "e.tf", 'x = "${"\n')
    assert config.problems[:5] == [
        f"{tmp_path / 'a.tf'}:2: variable 'v' is declared twice",
        f"{tmp_path / 'b.tf'}:2: local.l is defined twice",
        f"{tmp_path / 'b.tf'}:3: a block inside locals",
        f"{tmp_path / 'b.tf'}:5: top = ...: an attribute outside any block is not Terraform",
        f'{tmp_path / "c.tf"}:2: resource "t" "n" is declared twice (also {tmp_path / "c.tf"}:1)',
    ]
    assert config.problems[5].startswith(f"{tmp_path / 'd.tf'}:2:1: not valid HCL: unexpected")
    assert config.problems[6].startswith(f"{tmp_path / 'e.tf'}:1:")
    assert len(config.problems) == 7


def test_var_options_and_their_types(tmp_path: Path) -> None:
    assert parse_var_options(["a=1", "b=x=y", "c="]) == ({"a": "1", "b": "x=y", "c": ""}, [])
    assert parse_var_options(["novalue", "1a=2"])[1] == [
        "--var 'novalue': expected NAME=VALUE (NAME a Terraform variable name)",
        "--var '1a=2': expected NAME=VALUE (NAME a Terraform variable name)",
    ]
    config = Configuration(tmp_path, [])
    config.add(
        tmp_path / "v.tf",
        'variable "s" {\n  type = string\n}\nvariable "n" {\n  type = number\n}\n'
        'variable "b" {\n  type = bool\n}\n'
        'variable "l" {\n  type = list(object({ f = string }))\n}\n',
    )
    blocks = config.variables
    assert variable_value(blocks["s"], "1") == "1"
    assert variable_value(None, "[1]") == "[1]"  # undeclared: a string
    assert variable_value(blocks["n"], "2.5") == 2.5
    assert variable_value(blocks["b"], "false") is False
    assert variable_value(blocks["l"], '[{ f = "a" }]') == [{"f": "a"}]
    with pytest.raises(Unsupported, match="--var b: expected true or false"):
        variable_value(blocks["b"], "no")
    with pytest.raises(Unsupported, match=r"--var l: .* is not an HCL value of its type"):
        variable_value(blocks["l"], "[unclosed")


def test_references_name_variables_locals_and_integrations() -> None:
    body = parses(
        'x = "${var.a}-${local.b.c}-${genesyscloud_integration.i.id}"\n'
        "y = data.genesyscloud_integration.d.id\nz = module.m.o\n"
    ).body
    assert references(body) == {
        "var.a",
        "local.b",
        "genesyscloud_integration.i",
        "data.genesyscloud_integration.d",
    }


def test_call_checks_the_number_of_arguments() -> None:
    assert functions.call("lookup", [{"a": 1}, "a"]) == 1
    with pytest.raises(Unsupported, match=r"lookup\(\) takes 2 or more arguments, not 4"):
        functions.call("lookup", [{}, "a", 1, 2])
