"""Template lint: variables a template uses that nothing defines.

Request-side templates (URL, body, headers) should use ``input.X`` only for X in the input
contract. The success template should use translation-map keys, Velocity built-ins and what
it defines itself. Every finding here is a **warning**, never an error: Genesys saves and
runs such templates (an unknown reference is just null), so dactl must accept them too
(docs/architecture.md, rule 10); ``dactl validate --strict`` turns them into failures for
teams that want lint to gate CI. A name that differs from a real one only in letter case is
called out as such. On a GET, Genesys does not send the request template, and findings there
say so. Forms the scanner cannot parse are warnings too.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from reconciler.config.tree import JsonPath, Located
from reconciler.diagnostics import Mark, Problem, warning
from reconciler.validate.schema import dotted
from reconciler.velocity.scan import TOOLS, Reference, ScanResult, scan

SUCCESS_BUILTINS = TOOLS | {"rawResult", "input"}
BUILTIN_INPUTS = frozenset({"rawRequest"})


def check_templates(doc: Located) -> list[Problem]:
    """Lint every template field of one action document."""
    data = doc.data if isinstance(doc.data, dict) else {}
    inputs = _input_names(data)
    problems: list[Problem] = []
    request = _mapping(data.get("request"))
    get = str(request.get("requestType", "")).upper() == "GET"
    for path, text in _request_templates(request):
        unsent = get and path == ("request", "requestTemplate")
        problems += _check_request(doc, path, text, inputs, unsent)
    response = _mapping(data.get("response"))
    success = response.get("successTemplate")
    if isinstance(success, str):
        known = set(_keys(response.get("translationMap"))) | SUCCESS_BUILTINS
        problems += _check_success(doc, ("response", "successTemplate"), success, known, inputs)
    return problems


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _request_templates(request: dict[str, Any]) -> Iterable[tuple[JsonPath, str]]:
    for key in ("requestUrlTemplate", "requestTemplate"):
        if isinstance(request.get(key), str):
            yield ("request", key), request[key]
    headers = request.get("headers")
    if isinstance(headers, dict):
        for name, value in headers.items():
            if isinstance(value, str):
                yield ("request", "headers", name), value


def _input_names(data: dict[str, Any]) -> set[str] | None:
    """Input property names, or None when the contract is too unusual to judge."""
    contract = data.get("contract")
    schema = contract.get("input") if isinstance(contract, dict) else None
    if not isinstance(schema, dict):
        return None
    props = schema.get("properties", {})
    if not isinstance(props, dict):
        return None
    return set(props) | BUILTIN_INPUTS


def _keys(value: Any) -> list[str]:
    return list(value) if isinstance(value, dict) else []


def _check_request(
    doc: Located, path: JsonPath, text: str, inputs: set[str] | None, unsent: bool = False
) -> list[Problem]:
    result = scan(text)
    problems = _scan_warnings(doc, path, text, result.problems)
    if inputs is not None:
        for ref in _checkable(result):
            problems += _check_input_ref(doc, path, text, ref, inputs, result.defined)
    if unsent:  # a GET's request template: Genesys does not send it, whatever it says
        problems = [
            warning(
                p.mark,
                f"{p.message} (Genesys does not send the request template on GET)",
                rule=p.rule,
            )
            for p in problems
        ]
    return problems


def _check_success(
    doc: Located, path: JsonPath, text: str, known: set[str], inputs: set[str] | None
) -> list[Problem]:
    result = scan(text)
    problems = _scan_warnings(doc, path, text, result.problems)
    for ref in _checkable(result):
        if _is_input(ref) and inputs is not None:
            problems += _check_input_ref(doc, path, text, ref, inputs, result.defined)
        elif ref.root not in known and ref.root not in result.defined:
            place = _place(doc, path, text, ref.offset)
            same = _same_but_case(ref.root, known)
            if same is not None:
                what = "Velocity built-in" if same in SUCCESS_BUILTINS else "translationMap key"
                problems.append(
                    warning(
                        place,
                        f"{dotted(path)}: ${ref.root} differs from the {what} {same!r} only in "
                        f"letter case; {_CASE_SENSITIVE}",
                        rule="template-case",
                    )
                )
                continue
            problems.append(
                warning(
                    place,
                    f"{dotted(path)}: ${ref.root} is not a translationMap key or a Velocity "
                    f"built-in{_suggest(ref.root, known)}",
                    rule="template",
                )
            )
    return problems


def _check_input_ref(
    doc: Located,
    path: JsonPath,
    text: str,
    ref: Reference,
    inputs: set[str],
    defined: frozenset[str],
) -> list[Problem]:
    if not _is_input(ref) or ref.root in defined or not ref.path:
        return []
    problems = []
    if ref.root != "input":
        problems.append(
            warning(
                _place(doc, path, text, ref.offset),
                f"{dotted(path)}: ${ref.root} differs from $input only in case; "
                "Velocity names are case-sensitive",
                rule="template-case",
            )
        )
    name = ref.path[0]
    # Velocity reads "$input.id-suffix" as one identifier; the author usually meant "id".
    prefix = name if ref.braced else name.split("-", 1)[0]
    if name in inputs or prefix in inputs:
        return problems
    same = _same_but_case(name, inputs) or _same_but_case(prefix, inputs)
    if same is not None:
        return [
            *problems,
            warning(
                _place(doc, path, text, ref.offset),
                f"{dotted(path)}: {ref.root}.{name} differs from the input {same!r} only in "
                f"letter case; {_CASE_SENSITIVE}",
                rule="template-case",
            ),
        ]
    return [
        *problems,
        warning(
            _place(doc, path, text, ref.offset),
            f"{dotted(path)}: {ref.root}.{name} is not a property of the input contract"
            f"{_suggest(name, inputs)}",
            rule="template",
        ),
    ]


_CASE_SENSITIVE = "Velocity names are case-sensitive, so it never gets that value"


def _same_but_case(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate that equals ``name`` but for letter case (the first in sorted order)."""
    folded = name.casefold()
    return next((c for c in sorted(candidates) if c.casefold() == folded and c != name), None)


def _checkable(result: ScanResult) -> list[Reference]:
    """References before the first form the scanner could not parse: past it, the reading
    is a guess, and a guess must never become an error."""
    limit = min((p.offset for p in result.problems), default=None)
    return [r for r in result.references if limit is None or r.offset < limit]


def _is_input(ref: Reference) -> bool:
    # Genesys's own blueprints write $Input.x and ${INPUT.x}; treat the root case-blind.
    return ref.root.lower() == "input"


def _scan_warnings(doc: Located, path: JsonPath, text: str, found: Iterable[Any]) -> list[Problem]:
    return [
        warning(
            _place(doc, path, text, p.offset),
            f"{dotted(path)}: cannot parse template ({p.message}); variables after "
            "this point were not checked",
            rule="template-parse",
        )
        for p in found
    ]


def _suggest(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.7)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _place(doc: Located, path: JsonPath, text: str, offset: int) -> Mark:
    return doc.offset_mark(path, text, offset)
