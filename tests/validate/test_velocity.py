"""Tests for the Velocity reference scanner (reconciler.velocity.scan)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.velocity.scan import Reference, ScanResult, scan

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

Row = tuple[str, tuple[str, ...], str, int, int, bool, bool]


def R(
    root: str,
    path: tuple[str, ...],
    text: str,
    line: int,
    column: int,
    braced: bool = False,
    quiet: bool = False,
) -> Row:
    """An expected reference, in the field order of ``_rows``."""
    return (root, path, text, line, column, braced, quiet)


def _rows(result: ScanResult) -> list[Row]:
    return [
        (r.root, r.path, r.text, r.line, r.column, r.braced, r.quiet) for r in result.references
    ]


def _positions(template: str) -> list[tuple[int, int]]:
    """Line and column of every offset, computed independently of the scanner."""
    out = []
    line, column = 1, 1
    for i, c in enumerate(template):
        out.append((line, column))
        if c == "\n" or (c == "\r" and template[i + 1 : i + 2] != "\n"):
            line, column = line + 1, 1
        else:
            column += 1
    return out


def _check_consistent(template: str, result: ScanResult) -> None:
    """Invariants every scan result must satisfy, whatever the input."""
    ident = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
    where = _positions(template)
    offsets = [r.offset for r in result.references]
    assert offsets == sorted(set(offsets)), "references unique and in source order"
    for ref in result.references:
        assert template[ref.offset] == "$"
        assert ref.text == template[ref.offset : ref.offset + len(ref.text)]
        prefix = "$" + ("!" if ref.quiet else "") + ("{" if ref.braced else "")
        assert ref.text.startswith(prefix + ref.root)
        assert ident.match(ref.root)
        assert all(ident.match(p) for p in ref.path)
        assert (ref.line, ref.column) == where[ref.offset]
    for name in result.defined:
        assert ident.match(name)
    problem_offsets = [p.offset for p in result.problems]
    assert problem_offsets == sorted(problem_offsets)
    for problem in result.problems:
        assert 0 <= problem.offset < len(template)
        assert (problem.line, problem.column) == where[problem.offset]


# -- references -------------------------------------------------------------------------

REFERENCE_CASES: list[tuple[str, str, list[Row]]] = [
    ("plain", "$name", [R("name", (), "$name", 1, 1)]),
    ("quiet", "$!name", [R("name", (), "$!name", 1, 1, quiet=True)]),
    ("braced", "${name}", [R("name", (), "${name}", 1, 1, braced=True)]),
    ("quiet braced", "$!{name}", [R("name", (), "$!{name}", 1, 1, braced=True, quiet=True)]),
    ("underscore start", "$_x1", [R("_x1", (), "$_x1", 1, 1)]),
    ("chain", "$a.b.c", [R("a", ("b", "c"), "$a.b.c", 1, 1)]),
    (
        "braced chain",
        "x${input.queueId}y",
        [R("input", ("queueId",), "${input.queueId}", 1, 2, True)],
    ),
    ("hyphen in property", "$input.queue-id", [R("input", ("queue-id",), "$input.queue-id", 1, 1)]),
    ("hyphen in root", "$a-b.c", [R("a-b", ("c",), "$a-b.c", 1, 1)]),
    ("trailing hyphen kept", "$input.x- ", [R("input", ("x-",), "$input.x-", 1, 1)]),
    ("trailing dot is text", "$input.x.", [R("input", ("x",), "$input.x", 1, 1)]),
    ("dot then digit is text", "$a.1", [R("a", (), "$a", 1, 1)]),
    ("root followed by paren is text", "$a(1)", [R("a", (), "$a", 1, 1)]),
    (
        "space before paren is text",
        "$a.b ($c)",
        [R("a", ("b",), "$a.b", 1, 1), R("c", (), "$c", 1, 7)],
    ),
    (
        "method call",
        "$esc.jsonString($input.x)",
        [R("esc", (), "$esc.jsonString", 1, 1), R("input", ("x",), "$input.x", 1, 17)],
    ),
    ("method with no args", "$x.get()", [R("x", (), "$x.get", 1, 1)]),
    ("method call then chain", "$a.b.c(1).d", [R("a", ("b",), "$a.b.c", 1, 1)]),
    ("index", "$x.get(0) $list[0]", [R("x", (), "$x.get", 1, 1), R("list", (), "$list", 1, 11)]),
    ("index after property", "$a.b[0].c", [R("a", ("b",), "$a.b", 1, 1)]),
    ("map index", '$map["k"]', [R("map", (), "$map", 1, 1)]),
    ("index with reference", "$a[$i]", [R("a", (), "$a", 1, 1), R("i", (), "$i", 1, 4)]),
    (
        "braced method",
        "${a.method($x)}!",
        [R("a", (), "${a.method", 1, 1, braced=True), R("x", (), "$x", 1, 12)],
    ),
    (
        "arguments of every kind",
        '$a.m("s", $b, 1, true, null, [1, $c], {"k": $d}, [1..$n], $e.f($g), \'$h\')',
        [
            R("a", (), "$a.m", 1, 1),
            R("b", (), "$b", 1, 11),
            R("c", (), "$c", 1, 34),
            R("d", (), "$d", 1, 45),
            R("n", (), "$n", 1, 54),
            R("e", (), "$e.f", 1, 59),
            R("g", (), "$g", 1, 64),
        ],
    ),
    (
        "interpolated string argument",
        '${successTemplateUtils.firstFromArray("${pIdArray}", "$esc.quote$esc.quote")}',
        [
            R("successTemplateUtils", (), "${successTemplateUtils.firstFromArray", 1, 1, True),
            R("pIdArray", (), "${pIdArray}", 1, 40, braced=True),
            R("esc", ("quote",), "$esc.quote", 1, 55),
            R("esc", ("quote",), "$esc.quote", 1, 65),
        ],
    ),
    (
        "single-quoted argument is literal",
        "$a.b('$c', \"$d\")",
        [R("a", (), "$a.b", 1, 1), R("d", (), "$d", 1, 13)],
    ),
    (
        "escaped quote in string",
        '$a.b("x\\"$c")',
        [R("a", (), "$a.b", 1, 1), R("c", (), "$c", 1, 10)],
    ),
    ("parens inside string", '$a.b(")") $c', [R("a", (), "$a.b", 1, 1), R("c", (), "$c", 1, 11)]),
    (
        "alternate value",
        "${a|'none'} ${b|$c}",
        [
            R("a", (), "${a", 1, 1, braced=True),
            R("b", (), "${b", 1, 13, braced=True),
            R("c", (), "$c", 1, 17),
        ],
    ),
    ("double dollar", "$${convEnd}", [R("convEnd", (), "${convEnd}", 1, 2, braced=True)]),
    (
        "adjacent references",
        "$a$b${c}",
        [R("a", (), "$a", 1, 1), R("b", (), "$b", 1, 3), R("c", (), "${c}", 1, 5, True)],
    ),
    ("braced then literal dot", "${a}.b", [R("a", (), "${a}", 1, 1, braced=True)]),
    (
        "loop helpers",
        "$foreach.count $velocityCount",
        [
            R("foreach", ("count",), "$foreach.count", 1, 1),
            R("velocityCount", (), "$velocityCount", 1, 16),
        ],
    ),
    ("escaped backslash then reference", "\\\\$name", [R("name", (), "$name", 1, 3)]),
    ("three backslashes escape", "\\\\\\$name $b", [R("b", (), "$b", 1, 10)]),
    ("non-ascii is not an identifier", "$é $aé", [R("a", (), "$a", 1, 4)]),
    # Line and column with every kind of line break.
    ("lines LF", "a\n  $x", [R("x", (), "$x", 2, 3)]),
    ("lines CRLF", "a\r\nb\r\n$x", [R("x", (), "$x", 3, 1)]),
    ("lines CR", "a\rb\r $x", [R("x", (), "$x", 3, 2)]),
    ("lines mixed", "\n\r\n\r$x", [R("x", (), "$x", 4, 1)]),
    # Real-world forms from the corpus.
    (
        "jsonString inside JSON string",
        '"textBody": "$esc.jsonString(${input.body})"',
        [
            R("esc", (), "$esc.jsonString", 1, 14),
            R("input", ("body",), "${input.body}", 1, 30, True),
        ],
    ),
    (
        "replace inside braces",
        "/rows/${input.key.replace(' ','%20')}",
        [R("input", ("key",), "${input.key.replace", 1, 7, braced=True)],
    ),
    (
        "replace outside braces is text",
        "/rows/${input.KEY_VALUE}.replace(' ', '%20')?x",
        [R("input", ("KEY_VALUE",), "${input.KEY_VALUE}", 1, 7, braced=True)],
    ),
    (
        "salesforce search with braces and stray paren in string",
        '?q=$esc.url("FIND {$salesforce.escReserved(${input.PHONE_NUMBER}))} IN Contact(Id)")',
        [
            R("esc", (), "$esc.url", 1, 4),
            R("salesforce", (), "$salesforce.escReserved", 1, 20),
            R("input", ("PHONE_NUMBER",), "${input.PHONE_NUMBER}", 1, 44, braced=True),
        ],
    ),
    (
        "dynamics filter with list argument",
        "${esc.dollar}filter="
        '$esc.url($msdynamics.phoneNumberFilter("$input.PHONE_NUMBER", ["t1"]))',
        [
            R("esc", ("dollar",), "${esc.dollar}", 1, 1, braced=True),
            R("esc", (), "$esc.url", 1, 21),
            R("msdynamics", (), "$msdynamics.phoneNumberFilter", 1, 30),
            R("input", ("PHONE_NUMBER",), "$input.PHONE_NUMBER", 1, 61),
        ],
    ),
    (
        "base64 of credentials",
        'Basic $encoding.base64("${credentials.clientId}:${credentials.clientSecret}")',
        [
            R("encoding", (), "$encoding.base64", 1, 7),
            R("credentials", ("clientId",), "${credentials.clientId}", 1, 25, braced=True),
            R("credentials", ("clientSecret",), "${credentials.clientSecret}", 1, 49, braced=True),
        ],
    ),
    (
        "if with quiet reference in string",
        '{\n#if( "$!{input.n}" != "" )\n  ,"n": ${input.n}\n#end\n}',
        [
            R("input", ("n",), "$!{input.n}", 2, 7, braced=True, quiet=True),
            R("input", ("n",), "${input.n}", 3, 9, braced=True),
        ],
    ),
    (
        "firstFromArray without default",
        '{"id": ${successTemplateUtils.firstFromArray(${contactId})}}',
        [
            R("successTemplateUtils", (), "${successTemplateUtils.firstFromArray", 1, 8, True),
            R("contactId", (), "${contactId}", 1, 46, braced=True),
        ],
    ),
]


@pytest.mark.parametrize(
    ("template", "expected"),
    [pytest.param(t, e, id=i) for i, t, e in REFERENCE_CASES],
)
def test_references(template: str, expected: list[Row]) -> None:
    result = scan(template)
    assert _rows(result) == expected
    assert result.problems == ()
    _check_consistent(template, result)


def test_offsets_and_reference_type() -> None:
    result = scan("ab\n ${input.x}")
    assert result.references == (
        Reference("input", ("x",), "${input.x}", 4, 2, 2, braced=True, quiet=False),
    )


# -- literal text -------------------------------------------------------------------------

LITERAL_CASES = [
    "$.results[0].id",
    "$[0]",
    '"$"',
    "$$",
    "$1",
    "$ ",
    "$",
    "$!",
    "$!!x",
    "${",
    "${.x}",
    "${ name }",
    "$!{ x}",
    "${}",
    "\\$name",
    "\\${name}",
    "\\$!{name}",
    "\\$a.b(",
    "#",
    '"#"',
    "#123",
    "#!",
    "#fff",
    "color: #ff0000;",
    "https://x/y#section",
    "#else-where",
    "#endfor",
    "#{",
    "#{if",
    "#@",
    "## comment $x ${y",
    "#* block $x ${y *#",
    "#** doc $x *#",
    "#[[ raw $x #if( ]]#",
    "@{Contact.records[0].Id}",
    "%{ for obj in var.x }",
]


@pytest.mark.parametrize("template", LITERAL_CASES)
def test_literal_text(template: str) -> None:
    result = scan(template)
    assert result == ScanResult((), frozenset(), ())


def test_comment_ends_at_line_break() -> None:
    for brk in ("\n", "\r\n", "\r"):
        result = scan(f"## $a{brk}$b")
        assert [r.root for r in result.references] == ["b"]
        assert result.references[0].line == 2


def test_text_after_block_comment_and_unparsed() -> None:
    result = scan("#* $a *#$b #[[ $c ]]#$d #*#$e*#$f")
    assert [r.root for r in result.references] == ["b", "d", "f"]
    assert result.problems == ()


# -- directives and definitions ----------------------------------------------------------

DIRECTIVE_CASES: list[tuple[str, str, list[str], set[str]]] = [
    ("set", '#set($x = "a")$x', ["x"], {"x"}),
    ("set uses right side", "#set( $x = $y.z + 1 )", ["y"], {"x"}),
    ("set property target", "#set( $x.y = $w )", ["w"], {"x"}),
    ("set self increment", "#set($i = $i + 1)", ["i"], {"i"}),
    ("set index target", "#set($m[$k] = 1)", ["k"], {"m"}),
    ("set braced target", "#set(${x} = 1)", [], {"x"}),
    ("set multi-line", "#set(\n  $x = [\n 1,\n $y\n])", ["y"], {"x"}),
    ("foreach", "#foreach($item in $list)$item.name#end", ["list", "item"], {"item"}),
    ("foreach range", "#foreach( $i in [1..$n] )$foreach.hasNext#end", ["n", "foreach"], {"i"}),
    ("foreach with break", "#foreach($i in $l)#break($foreach)#end", ["l", "foreach"], {"i"}),
    ("macro", "#macro(row $a $b)$a$c#end#row(1 $d)", ["a", "c", "d"], {"a", "b"}),
    ("macro call", "#myMacro($x, 'y')", ["x"], set()),
    ("block macro call", "#@wrap($x)body#end", ["x"], set()),
    ("define", "#define($block)$x#end$block", ["x", "block"], {"block"}),
    ("parse include evaluate", '#parse("a.vm")#include($f)#evaluate("$g")', ["f", "g"], set()),
    (
        "if elseif else",
        '#if($a == 1 && !$b || $c != "x")A#elseif($d > 2 and not $e)B#else C#end',
        ["a", "b", "c", "d", "e"],
        set(),
    ),
    ("space before paren", "#if ($a)#end", ["a"], set()),
    ("braced directives", "#{if}($a)x#{else}y#{end}$b", ["a", "b"], set()),
    ("else followed by text", "#if($a)x#{else}y#end$b", ["a", "b"], set()),
    ("stop", "#stop $a", ["a"], set()),
    ("nested set in string", '$a.b("#set($q = 1)$q")', ["a", "q"], {"q"}),
    ("map in directive", '#set($m = {"k": $v, "l": [$w]})', ["v", "w"], {"m"}),
]


@pytest.mark.parametrize(
    ("template", "roots", "defined"),
    [pytest.param(t, r, d, id=i) for i, t, r, d in DIRECTIVE_CASES],
)
def test_directives(template: str, roots: list[str], defined: set[str]) -> None:
    result = scan(template)
    assert [r.root for r in result.references] == roots
    assert result.defined == frozenset(defined)
    assert result.problems == ()
    _check_consistent(template, result)


def test_foreach_positions() -> None:
    result = scan('[\n#foreach( $q in $input.queues )\n  "$q.id"#if($foreach.hasNext),#end\n#end]')
    assert _rows(result) == [
        R("input", ("queues",), "$input.queues", 2, 17),
        R("q", ("id",), "$q.id", 3, 4),
        R("foreach", ("hasNext",), "$foreach.hasNext", 3, 14),
    ]
    assert result.defined == frozenset({"q"})


# -- problems ---------------------------------------------------------------------------

PROBLEM_CASES: list[tuple[str, str, list[tuple[str, int, int]], list[str]]] = [
    ("unterminated braced", "ab\n${input.x", [("unterminated ${ reference", 2, 1)], ["input"]),
    ("braced with space", "${a b}", [("unterminated ${ reference", 1, 1)], ["a"]),
    ("quiet braced unterminated", "$!{a.b $c", [("unterminated ${ reference", 1, 1)], ["a", "c"]),
    ("block comment", "x #* never closed $a", [("unterminated #* comment", 1, 3)], []),
    ("unparsed", "#[[ $a ]]", [("unterminated #[[ unparsed content", 1, 1)], []),
    ("set parens", "#set($x = ($y)", [("unbalanced parentheses in #set", 1, 1)], ["y"]),
    ("if parens", "#if($a\n$b", [("unbalanced parentheses in #if", 1, 1)], ["a", "b"]),
    ("if without parens", "#if $a #end", [("expected ( after #if", 1, 1)], ["a"]),
    ("set without reference", "#set(x = 1)", [("#set does not start with a $reference", 1, 1)], []),
    ("method args", "$a.b($c", [("unterminated method call arguments", 1, 5)], ["a", "c"]),
    ("index", "$a[0", [("unterminated index", 1, 3)], ["a"]),
    (
        "double-quoted string",
        '$a.b("x',
        [("unterminated method call arguments", 1, 5), ("unterminated string literal", 1, 6)],
        ["a"],
    ),
    (
        "single-quoted string",
        "$a.b('x",
        [("unterminated method call arguments", 1, 5), ("unterminated string literal", 1, 6)],
        ["a"],
    ),
    ("mismatched closer recovered", "#if($a ]) $b", [("mismatched ']' in #if", 1, 8)], ["a", "b"]),
    ("closer ends unclosed bracket", "#if([$a) $b", [("mismatched ')' in #if", 1, 8)], ["a", "b"]),
    ("inner closer pops stack", "#if([($a]) $b", [("mismatched ']' in #if", 1, 9)], ["a", "b"]),
    (
        "string bounds reference",
        '$a.b("${c") $d',
        [("unterminated ${ reference", 1, 7)],
        ["a", "c", "d"],
    ),
]


@pytest.mark.parametrize(
    ("template", "problems", "roots"),
    [pytest.param(t, p, r, id=i) for i, t, p, r in PROBLEM_CASES],
)
def test_problems(template: str, problems: list[tuple[str, int, int]], roots: list[str]) -> None:
    result = scan(template)
    assert [(p.message, p.line, p.column) for p in result.problems] == problems
    assert [r.root for r in result.references] == roots
    _check_consistent(template, result)


def test_scanning_continues_after_unterminated_brace() -> None:
    result = scan('{"a": "${input.a", "b": "${input.b}"}')
    assert [(r.root, r.path) for r in result.references] == [("input", ("a",)), ("input", ("b",))]
    assert len(result.problems) == 1


# -- size and pathological inputs ---------------------------------------------------------


def test_large_template_is_scanned_completely() -> None:
    chunk = (
        '{"q": "${input.queueId}", "t": "$esc.jsonString($input.text)",\n'
        '#if( "$!{input.opt}" != "" ) "o": $input.opt, #end\n'
        '"p": $.path[0], "c": "#fff" ## note $x\n}\n'
    )
    template = chunk * (200_000 // len(chunk) + 1)
    repeats = template.count(chunk)
    assert len(template) >= 200_000
    result = scan(template)
    assert result.problems == ()
    assert len(result.references) == 5 * repeats
    assert result.references[-1].line == 4 * repeats - 2


@pytest.mark.parametrize(
    "template",
    [
        "#if(" + "(" * 100_000,
        "#if(" * 50_000,
        "$a[" + "[" * 50_000 + "]" * 100_000,
        "#set($x = " + "(" * 50_000 + "]" * 50_000,
        "${" * 100_000,
        "$!{a" * 50_000,
        "\\" * 200_000 + "$x",
        '"' * 200_000,
        "'" * 200_000,
        "#*" * 100_000,
        "#[[" * 60_000,
        "$a." * 60_000,
        '$a.b("' * 30_000,
        "#foo" + " " * 200_000,
        "#if" + " " * 200_000 + "x",
    ],
    ids=lambda t: repr(t[:12]),
)
def test_pathological_inputs_terminate(template: str) -> None:
    _check_consistent(template, scan(template))


def test_deep_nesting_is_reported_not_raised() -> None:
    template = "$a.b(" * 20_000 + "$z"
    result = scan(template)
    assert [p.message for p in result.problems][-1:] == [
        "nesting deeper than 100 levels; rest of template not scanned"
    ]
    assert result.references[0].root == "a"


# -- property tests -----------------------------------------------------------------------

_NOISY = st.text(
    alphabet=st.sampled_from(list("$#{}()[]\"'\\!.*$#{}\"'\\") + list("ab_-1 \n\r|=@"))
)
_TOKENS = st.lists(
    st.sampled_from(
        [
            "$a",
            "$!",
            "${",
            "}",
            "$b.c",
            ".d",
            "(",
            ")",
            "[",
            "]",
            "#if(",
            "#set(",
            "#foreach(",
            "#macro(",
            "#end",
            "#{else}",
            "##",
            "#*",
            "*#",
            "#[[",
            "]]#",
            '"',
            "'",
            "\\",
            " in ",
            "\n",
            "\r\n",
            "=",
            "|",
            "$.x",
            "$esc.q(",
            "-",
            "1",
            "{",
            "#m(",
        ]
    )
).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_NOISY, _TOKENS, st.text()))
def test_scan_never_raises_and_is_consistent(template: str) -> None:
    _check_consistent(template, scan(template))


# -- the shared corpus ----------------------------------------------------------------------

# Templates that are expected to yield scan problems, with the reason; none do today.
EXPECTED_PROBLEMS: dict[tuple[str, str], str] = {}

# References whose root is not a Genesys-provided one, found by eye; they are real defects
# (or integration-specific helpers) that the lint should be able to flag.
KNOWN_ODD_ROOTS: dict[tuple[str, str, str], str] = {
    (
        "GenesysCloudBlueprints__automated-callback-blueprint__files__Add-contact-to-contact-list"
        ".custom.json",
        "requestUrlTemplate",
        "$Input.contactListId",
    ): "Velocity is case-sensitive: $Input is never bound, the URL keeps the text",
    (
        "GenesysCloudBlueprints__automated-callback-blueprint__files__automated-powershell-script"
        "__data-actions__Add-contact-to-contact-list.custom.json",
        "requestUrlTemplate",
        "$Input.contactListId",
    ): "same action as above",
    (
        "GenesysCloudBlueprints__negative-sentiment-callback__exports__Update-External-Tag"
        ".custom.json",
        "requestUrlTemplate",
        "${INPUT.ConversationID}",
    ): "Velocity is case-sensitive: ${INPUT...} is never bound",
    (
        "GenesysCloudDevOps__dynamics-365-get-most-recent-lead-by-phone-number-data-action-module"
        "__Get-Most-Recent-Lead-By-Phone-Number.json",
        "requestUrlTemplate",
        "$msdynamics.phoneNumberFilter",
    ): "helper of the Microsoft Dynamics integration, not a defect",
}
_USUAL_ROOTS = {
    "input",
    "esc",
    "successTemplateUtils",
    "encoding",
    "salesforce",
    "credentials",
    "authResponse",
    "rawResult",
    "math",
}
_INPUT_RE = re.compile(r"\$!?\{?input\.([A-Za-z_][A-Za-z0-9_-]*)")


def _templates(action: dict[str, Any]) -> list[tuple[str, str]]:
    config = action.get("config") or {}
    request = config.get("request") or {}
    response = config.get("response") or {}
    found = [
        ("requestUrlTemplate", request.get("requestUrlTemplate")),
        ("requestTemplate", request.get("requestTemplate")),
        ("successTemplate", response.get("successTemplate")),
    ]
    found += [(f"headers.{k}", v) for k, v in (request.get("headers") or {}).items()]
    return [(field, text) for field, text in found if isinstance(text, str)]


@pytest.mark.corpus
def test_corpus_templates() -> None:
    folder = CORPUS / "real-actions"
    if not CORPUS.is_dir():
        pytest.skip("../shared corpus not present")
    files = sorted(folder.glob("*.json"))
    assert files, f"no JSON files in {folder}"
    problems: dict[tuple[str, str], list[str]] = {}
    odd: set[tuple[str, str, str]] = set()
    input_refs = 0
    for file in files:
        action = json.loads(file.read_text(encoding="utf-8"))
        for field, template in _templates(action):
            result = scan(template)
            _check_consistent(template, result)
            if result.problems:
                problems[(file.name, field)] = [p.message for p in result.problems]
            by_offset = {r.offset: r for r in result.references}
            for m in _INPUT_RE.finditer(template):
                ref = by_offset.get(m.start())
                assert ref is not None, (file.name, field, m.group())
                assert (ref.root, ref.path[:1]) == ("input", (m.group(1),)), (file.name, field)
                input_refs += 1
            if field != "successTemplate":
                odd |= {
                    (file.name, field, r.text)
                    for r in result.references
                    if r.root not in _USUAL_ROOTS
                }
    assert problems.keys() == EXPECTED_PROBLEMS.keys(), problems
    assert odd == set(KNOWN_ODD_ROOTS)
    assert input_refs > 200
