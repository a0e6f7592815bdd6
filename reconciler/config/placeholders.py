"""Placeholders for per-environment values in action files: ``{{ var.NAME }}``.

The syntax cannot be taken for Velocity (``$x``, ``${x}``, ``#if``), for Genesys' JSONPath
(``$.x``) or for JSON (an object never opens with ``{{``); no real action definition seen
holds ``{{``. A string value that is one placeholder and nothing else becomes the variable's
value with its type (``timeoutSeconds: "{{ var.timeout }}"`` an integer); a placeholder
inside text becomes its text (``https://{{ var.host }}/v1``). Values are replaced, never
mapping keys. Resolution runs after ``extends`` is merged and before the schema checks, so
a resolved action is checked like any other; an unknown variable is an error at the
placeholder's ``file:line:col``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from reconciler.config.tree import JsonPath, Located
from reconciler.diagnostics import Problem, error, warning
from reconciler.suggest import did_you_mean

PLACEHOLDER = re.compile(r"\{\{\s*var\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_WHOLE = re.compile(r"\s*\{\{\s*var\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*")
# Text that looks meant as a placeholder but is not one (`{{ host }}`, `{{ var.my-host }}`).
_LOOKALIKE = re.compile(r"\{\{[^{}\n]{0,80}\}\}")


def has_placeholder(text: Any) -> bool:
    """Whether ``text`` is a string holding at least one placeholder."""
    return isinstance(text, str) and PLACEHOLDER.search(text) is not None


def as_text(value: Any) -> str:
    """A variable's value inside text: booleans as ``true``/``false``, as JSON writes them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def substitute(text: str, variables: Mapping[str, Any]) -> tuple[Any, list[tuple[int, str]]]:
    """``text`` with its placeholders replaced, and the unknown ones (offset, name). A
    whole-value placeholder gives the variable's value itself (an integer stays one)."""
    whole = _WHOLE.fullmatch(text)
    if whole is not None:
        name = whole.group(1)
        if name in variables:
            return variables[name], []
        return text, [(text.index("{{"), name)]
    unknown: list[tuple[int, str]] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            unknown.append((match.start(), name))
            return match.group(0)
        return as_text(variables[name])

    return PLACEHOLDER.sub(replace, text), unknown


def resolve_document(
    doc: Located, variables: Mapping[str, Any], *, project_file: str = "dactl.yaml"
) -> tuple[Located, list[Problem]]:
    """``doc`` with every placeholder of its values replaced from ``variables``, and the
    problems: an unknown variable (error, at the placeholder), a placeholder in the
    action's ``name`` (error: the name is what matches the action in every environment) or
    in a mapping key, and text that looks like a placeholder but is none (warnings)."""
    problems: list[Problem] = []
    converted: set[JsonPath] = set()

    def visit(value: Any, path: JsonPath) -> Any:
        if isinstance(value, dict):
            for key in value:
                if has_placeholder(key):
                    problems.append(
                        warning(
                            doc.where((*path, key)),
                            f"{_dotted((*path, key))}: placeholders are replaced in values, "
                            "not in keys; this key is sent as written",
                            rule="placeholder",
                        )
                    )
            return {key: visit(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [visit(item, (*path, i)) for i, item in enumerate(value)]
        if not isinstance(value, str):
            return value
        problems.extend(_lookalikes(doc, path, value))
        if not has_placeholder(value):
            return value
        if path == ("name",):
            problems.append(
                error(
                    doc.value_at(path),
                    "name: placeholders are not allowed in an action's name (the name is "
                    "what matches the action in every environment)",
                    rule="placeholder",
                )
            )
            return value
        resolved, unknown = substitute(value, variables)
        for offset, name in unknown:
            hint = did_you_mean(name, variables)
            problems.append(
                error(
                    doc.offset_mark(path, value, offset),
                    f"{_dotted(path)}: unknown variable {name!r}"
                    + (f" ({hint})" if hint else "")
                    + f"; define it under variables: in {project_file}",
                    rule="placeholder",
                )
            )
        if not isinstance(resolved, str):
            converted.add(path)
        return resolved

    data = visit(doc.data, ())
    scalars = {p: s for p, s in doc.scalars.items() if p not in converted}
    return Located(data, doc.file, doc.values, doc.keys, scalars), problems


def _lookalikes(doc: Located, path: JsonPath, text: str) -> list[Problem]:
    return [
        warning(
            doc.offset_mark(path, text, match.start()),
            f"{_dotted(path)}: {match.group(0)!r} is not a placeholder (write "
            "{{ var.NAME }}, NAME of letters, digits and _); it is sent as written",
            rule="placeholder",
        )
        for match in _LOOKALIKE.finditer(text)
        if PLACEHOLDER.fullmatch(match.group(0)) is None
    ]


def placeholder_values(data: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, str]]:
    """Every string value of ``data`` (an action as written) that holds a placeholder,
    with its path, ``name`` aside."""
    if isinstance(data, dict):
        for key, item in data.items():
            yield from placeholder_values(item, (*path, key))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from placeholder_values(item, (*path, i))
    elif has_placeholder(data) and path != ("name",):
        yield path, data


def restore_placeholders(
    data: Any,
    written: Any,
    variables: Mapping[str, Any],
    spell: Callable[[str], str] = lambda text: text,
) -> int:
    """Put back into ``data`` (an action read from an org, in the layout of ``written``)
    each placeholder that ``written`` (the action as its file writes it) has where
    ``data`` holds exactly what it resolves to with ``variables``; ``spell`` gives the
    text put back. A value the org changed keeps the org's value. Returns how many."""
    restored = 0
    for path, text in placeholder_values(written):
        expected, unknown = substitute(text, variables)
        if unknown:
            continue
        current = _get(data, path)
        if type(current) is type(expected) and current == expected:
            _put(data, path, spell(text))
            restored += 1
    return restored


_ABSENT = object()


def _get(data: Any, path: JsonPath) -> Any:
    for part in path:  # placeholder paths stop at strings: walk mappings and lists
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return _ABSENT
    return data


def _put(data: Any, path: JsonPath, value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _dotted(path: JsonPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "(root)"


__all__ = [
    "PLACEHOLDER",
    "as_text",
    "has_placeholder",
    "placeholder_values",
    "resolve_document",
    "restore_placeholders",
    "substitute",
]
