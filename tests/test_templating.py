"""The Genesys-flavoured Velocity context and translation maps of offline tests."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.velocity.render import TemplateProblem, render, template_context, translate


def velocity(template: str, **inputs: Any) -> str:
    return render(template, template_context(inputs))


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('"$esc.jsonString(${input.s})"', '"say \\"hi\\"\\n"'),
        ("$esc.url(${input.q})", "a+b%2Fc%26d"),
        ("$esc.urlFormEncode(${input.q})", "a+b%2Fc%26d"),
        ("$esc.uriEncode(${input.q})", "a%20b%2Fc%26d"),
        ("${esc.dollar}top=1", "$top=1"),
        ("$esc.quote$esc.quote $esc.quote(${input.q})", '"" "a b/c&d"'),
        ("[$!esc.jsonString($!{input.missing})]", "[]"),
        ("${input.missing}", "${input.missing}"),
        ("${input.flag} $input.n", "true 3"),
        ('#if( $input.flag == "true" )yes#{else}no#end', "yes"),
        ("$math.add($input.n, 2) $math.div(7, 2) $math.div(6, 2) $math.mul(2, 1.5)", "5 3.5 3 3.0"),
        (
            "$math.max(1, 9, 4) $math.round(2.5) $math.toInteger('42') [$!math.add('x', 1)]",
            "9 3 42 []",
        ),
        ('$encoding.base64("user:pw")', "dXNlcjpwdw=="),
        ("$successTemplateUtils.firstFromArray('[{\"a\":1},2]')", '{"a":1}'),
        ('$successTemplateUtils.firstFromArray("[]", "0")', "0"),
        ('$salesforce.escReserved("a-b(c)")', "a\\-b\\(c\\)"),
        ("${credentials.apiKey}", "<credentials.apiKey>"),
        ("$input.s.trim().toUpperCase() $input.s.length()", 'SAY "HI" 9'),
        ("${input.rawRequest}", '{"flag": true, "n": 3, "q": "a b/c&d", "s": "say \\"hi\\"\\n"}'),
    ],
)
def test_the_tools_genesys_templates_use(template: str, expected: str) -> None:
    assert velocity(template, s='say "hi"\n', q="a b/c&d", flag=True, n=3) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('$input.s.equals("abc") $input.s.equals("x")', "true false"),
        ('$input.s.equalsIgnoreCase("ABC") $input.s.equalsIgnoreCase("x")', "true false"),
        ("$input.s.isEmpty() $input.e.isEmpty()", "false true"),
        ('$input.s.startsWith("ab") $input.s.startsWith("b")', "true false"),
        ('$input.s.endsWith("bc") $input.s.endsWith("b")', "true false"),
        ('$input.s.contains("b") $input.s.contains("x")', "true false"),
        # Java's matches() is a match of the whole string
        (
            '$input.s.matches("[a-c]+") $input.s.matches("ab") $input.s.matches("x")',
            "true false false",
        ),
        ('{"ok": $input.s.equals("abc")}', '{"ok": true}'),
        ('#if($input.s.startsWith("a"))yes#{else}no#end', "yes"),
        ('#if($input.s.matches("x.*"))yes#{else}no#end', "no"),
        ("#if(!$input.e.isEmpty())yes#{else}no#end", "no"),
        ('#if($input.s.equals("abc") == true)yes#{else}no#end', "yes"),
    ],
)
def test_java_string_methods_that_answer_a_boolean_render_true_or_false(
    template: str, expected: str
) -> None:
    assert velocity(template, s="abc", e="") == expected


def test_phone_number_filter_matches_the_number_as_given_and_as_digits() -> None:
    text = velocity('$msdynamics.phoneNumberFilter("tel:+1317", ["telephone1", "mobilephone"])')
    assert text == (
        "(telephone1 eq 'tel:+1317' or telephone1 eq '1317' "
        "or mobilephone eq 'tel:+1317' or mobilephone eq '1317')"
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("ok\n  $input.__class__", "line 2, column 10: the name '__class__' is not allowed"),
        ('"${input.s.__class__}"', "line 1, column 12: the name '__class__' is not allowed"),
        ("#set($x.__dict__ = 1)", "the name '__dict__' is not allowed"),
        ('$input.s.format("{0.__class__}")', "the name 'format' is not allowed"),
        ('#evaluate("$x")', "line 1, column 1: #evaluate is not supported by offline tests"),
        (
            '$urlTool.optionalQueryParam("a", 1)',
            "line 1, column 1: $urlTool.optionalQueryParam is not emulated by offline tests",
        ),
        ("$esc.sha256($input.s)", "$esc.sha256 is not emulated by offline tests"),
        ("#if( $a == )", "line 1, column 12: syntax error: expected value in expression"),
        (
            'x\n  ${successTemplateUtils.firstFromArray("nope")}',
            'line 2, column 3: cannot evaluate ${successTemplateUtils.firstFromArray("nope")}: '
            "ValueError: firstFromArray: its first argument is not a JSON array",
        ),
    ],
)
def test_what_a_template_may_not_do_is_a_problem_with_its_place(
    template: str, message: str
) -> None:
    with pytest.raises(TemplateProblem) as caught:
        velocity(template, s="x")
    assert message in caught.value.describe()


def test_translation_maps_follow_jsonpath_as_genesys_uses_it() -> None:
    response = {
        "results": [{"wait": 30}],
        "name": "Ann",
        "lines": [{"sku": "a"}, {"sku": "b"}],
        "participants": [{"purpose": "acd", "p": 2}, {"purpose": "customer", "p": 9}],
    }
    result = translate(
        {
            "wait": "$.results[0].wait",
            "name": "$.name",
            "skus": "$.lines[*].sku",
            "acd": "$.participants[?(@.purpose=='acd')].p",
            "none": "$.lines[?(@.sku=='z')].sku",
            "fallback": "$.results[3].wait",
            "missing": "$.nothing",
            "broken": "$.x[",
        },
        {"fallback": "0"},
        response,
    )
    assert result.values == {
        "wait": "30",
        "name": '"Ann"',  # JSON text: a string keeps its quotes
        "skus": '["a","b"]',
        "acd": "[2]",
        "none": "[]",  # an indefinite path gives an array, even an empty one
        "fallback": "0",
    }
    assert [key for key, _ in result.problems] == ["missing", "broken"]
    assert "found nothing in the response" in result.problems[0][1]
