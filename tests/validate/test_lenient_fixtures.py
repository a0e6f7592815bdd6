"""Rule 10, never refuse what Genesys accepts: every template lint finding is a warning.

Each file under tests/fixtures/lenient/ is an action Genesys saves and runs, in the shape of
real admin-UI exports (a GET with a leftover request template, variables that differ from
an input only in letter case, ``$Input``/``${INPUT.x}`` roots, unknown success-template
variables). ``dactl validate`` must exit 0 and report exactly the warnings the file's
``# expect: LINE:COL: warning: FRAGMENT`` comments name, and nothing else; ``--strict``
turns those warnings into a failure.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.cli import main
from reconciler.config.tree import Located
from reconciler.validate.templates import check_templates
from tests.conftest import FIXTURES, REPO_ROOT
from tests.validate.test_invalid_fixtures import _expectations

LENIENT = FIXTURES / "lenient"


def _cases() -> list[Path]:
    return sorted(LENIENT.glob("*.yaml"))


def test_every_case_states_warnings() -> None:
    cases = _cases()
    assert len(cases) >= 9
    for case in cases:
        expected = _expectations(case)
        assert expected, case
        assert all(fragment.startswith("warning: ") for _, fragment in expected), case


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_lenient_fixture_validates_with_exactly_its_warnings(case: Path, in_repo: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(case.relative_to(REPO_ROOT))])
    output = result.output
    assert result.exit_code == 0, output
    expected = _expectations(case)
    reported = [line for line in output.splitlines() if line.startswith("tests/")]
    assert len(reported) == len(expected), output  # no other finding, and no error
    assert all(": warning: " in line for line in reported), output
    for where, fragment in expected:
        hits = [line for line in reported if line.startswith(where)]
        assert hits, f"no warning reported at {where}\n{output}"
        assert any(fragment in line for line in hits), f"{fragment!r} not in {hits}"
    n = len(expected)
    assert output.endswith(f"OK: 1 action valid, {n} warning{'' if n == 1 else 's'}.\n")


def test_the_whole_directory_is_valid_and_strict_fails_on_its_warnings(in_repo: Path) -> None:
    directory = str(LENIENT.relative_to(REPO_ROOT))
    warnings = sum(len(_expectations(case)) for case in _cases())
    result = CliRunner().invoke(main, ["validate", directory])
    assert result.exit_code == 0, result.output
    assert result.output.endswith(f"OK: {len(_cases())} actions valid, {warnings} warnings.\n")

    strict = CliRunner().invoke(main, ["validate", "--strict", directory])
    assert strict.exit_code == 1
    assert strict.stderr == f"Error: --strict fails the run on {warnings} warnings.\n"

    as_json = CliRunner().invoke(main, ["validate", "--strict", "--format", "json", directory])
    assert as_json.exit_code == 1
    body = json.loads(as_json.stdout)
    assert body["valid"] is True and body["error_count"] == 0
    assert body["warning_count"] == warnings
    assert {p["rule"] for p in body["problems"]} == {"template", "template-case"}


def test_strict_passes_a_tree_without_warnings(in_repo: Path) -> None:
    result = CliRunner().invoke(main, ["validate", "--strict", "actions"])
    assert result.exit_code == 0, result.output
    assert result.output == "OK: 10 actions valid.\n"


_PIECES = st.lists(
    st.sampled_from(
        [
            "${input.a}",
            "$input.A",
            "$Input.a",
            "${INPUT.b}",
            "$!{input.c}",
            "$waiting",
            "$Waiting",
            "${x}",
            "#set($y = 1)",
            "$y",
            "$esc.jsonString($input.z)",
            "${",
            "(",
            '"',
            "#if(",
            "#end",
            "text ",
            "$5",
            "\\$input.q",
        ]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["GET", "POST"]),
    st.one_of(_PIECES, st.text(max_size=40)),
    st.one_of(_PIECES, st.text(max_size=40)),
)
def test_template_lint_never_gives_an_error(method: str, request: str, success: str) -> None:
    """Whatever the templates say, Genesys saves them: the lint can only warn (rule 10)."""
    data = {
        "contract": {"input": {"type": "object", "properties": {"a": {"type": "string"}}}},
        "request": {
            "requestUrlTemplate": request,
            "requestType": method,
            "requestTemplate": request,
            "headers": {"X": request},
        },
        "response": {"translationMap": {"waiting": "$.w"}, "successTemplate": success},
    }
    problems = check_templates(Located(data=data, file="a.yaml"))
    assert all(p.severity == "warning" for p in problems), problems
