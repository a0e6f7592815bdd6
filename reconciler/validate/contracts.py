"""Contract checks: each schema is valid JSON Schema, and keeps the Genesys contract rules.

Genesys contracts are draft-04 style, so a schema without ``$schema`` is checked against
the draft-04 meta-schema. The Genesys rules are those of docs/genesys-api-notes.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

from jsonschema import (
    Draft3Validator,
    Draft4Validator,
    Draft6Validator,
    Draft7Validator,
    Draft201909Validator,
    Draft202012Validator,
)
from jsonschema.protocols import Validator

from reconciler.config.tree import JsonPath, Located
from reconciler.diagnostics import Problem, error
from reconciler.validate.schema import dotted

MAX_DEPTH = 50
INPUT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
RESERVED_INPUT_NAMES = frozenset({"orgId", "integrationId", "rawRequest"})

_DRAFTS: tuple[type[Validator], ...] = (
    Draft3Validator,
    Draft4Validator,
    Draft6Validator,
    Draft7Validator,
    Draft201909Validator,
    Draft202012Validator,
)


def _key(uri: str) -> str:
    return re.sub(r"^https?://", "", uri).rstrip("#")


_BY_URI: dict[str, type[Validator]] = {
    _key(str(cls.META_SCHEMA.get("$id") or cls.META_SCHEMA.get("id"))): cls for cls in _DRAFTS
}

ContractKind = Literal["input", "output"]


def check_contract(schema: Any, doc: Located, path: JsonPath, kind: ContractKind) -> list[Problem]:
    """All problems of one contract schema found at ``path`` in ``doc``."""
    if not isinstance(schema, dict):
        return []  # the file schema already reports the wrong type
    problems = _meta_schema_problems(schema, doc, path)
    problems += _genesys_problems(schema, doc, path, kind)
    return problems


def _meta_schema_problems(schema: dict[str, Any], doc: Located, path: JsonPath) -> list[Problem]:
    declared = schema.get("$schema")
    if declared is None:
        cls: type[Validator] = Draft4Validator
    elif isinstance(declared, str) and _key(declared) in _BY_URI:
        cls = _BY_URI[_key(declared)]
    else:
        known = ", ".join(sorted(_BY_URI))
        return [
            error(
                doc.value_at((*path, "$schema")),
                f"{dotted((*path, '$schema'))}: unknown meta-schema {declared!r}; known: {known}",
                rule="contract",
            )
        ]
    problems = []
    meta = cls(cls.META_SCHEMA)
    for err in sorted(meta.iter_errors(schema), key=lambda e: list(map(str, e.absolute_path))):
        where = (*path, *err.absolute_path)
        problems.append(
            error(
                doc.value_at(where),
                f"{dotted(where)}: {err.message} (invalid JSON Schema)",
                rule="contract",
            )
        )
    return problems


def _genesys_problems(
    schema: dict[str, Any], doc: Located, path: JsonPath, kind: ContractKind
) -> list[Problem]:
    problems = []
    for sub_path, node in _walk(schema, ()):
        if isinstance(node, dict) and "$ref" in node:
            where = (*path, *sub_path, "$ref")
            problems.append(
                error(
                    doc.where(where),
                    f"{dotted(where)}: $ref is not supported in Genesys contracts",
                    rule="contract",
                )
            )
    depth = _depth(schema)
    if depth > MAX_DEPTH:
        problems.append(
            error(
                doc.where(path),
                f"{dotted(path)}: nesting depth {depth} exceeds the Genesys limit of {MAX_DEPTH}",
                rule="contract",
            )
        )
    if kind == "input":
        problems += _input_rules(schema, doc, path)
    else:
        problems += _output_rules(schema, doc, path)
    return problems


def _input_rules(schema: dict[str, Any], doc: Located, path: JsonPath) -> list[Problem]:
    problems = []
    top = schema.get("type")
    if top is not None and top != "object":
        problems.append(
            error(
                doc.value_at((*path, "type")),
                f"{dotted((*path, 'type'))}: an input contract must be of type "
                f"'object', not {top!r}",
                rule="contract",
            )
        )
    props = schema.get("properties")
    if not isinstance(props, dict):
        return problems
    for name, prop in props.items():
        where = (*path, "properties", name)
        if name in RESERVED_INPUT_NAMES:
            problems.append(
                error(
                    doc.where(where),
                    f"{dotted(where)}: {name!r} is a reserved input name in Genesys Cloud",
                    rule="contract",
                )
            )
        elif not INPUT_NAME.match(name):
            problems.append(
                error(
                    doc.where(where),
                    f"{dotted(where)}: input name {name!r} must "
                    "start with a letter and hold only letters, "
                    "digits, '_' and '-'",
                    rule="contract",
                )
            )
        types = prop.get("type") if isinstance(prop, dict) else None
        names = types if isinstance(types, list) else [types] if types is not None else []
        bad = [t for t in names if t in ("object", "array")]
        if bad:
            problems.append(
                error(
                    doc.value_at((*where, "type")),
                    f"{dotted((*where, 'type'))}: input properties must be flat "
                    f"(string, integer, number, boolean or null), not {bad[0]!r}",
                    rule="contract",
                )
            )
    return problems


def _output_rules(schema: dict[str, Any], doc: Located, path: JsonPath) -> list[Problem]:
    problems = []
    for sub_path, node in _walk(schema, ()):
        if _is_array(node) and isinstance(node, dict) and _is_array(node.get("items")):
            where = (*path, *sub_path, "items")
            problems.append(
                error(
                    doc.where(where),
                    f"{dotted(where)}: nested arrays are not allowed in an output contract",
                    rule="contract",
                )
            )
    return problems


def _is_array(node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    kind = node.get("type")
    return kind == "array" or (isinstance(kind, list) and "array" in kind)


def _walk(node: Any, path: JsonPath) -> Iterator[tuple[JsonPath, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, (*path, i))


def _depth(node: Any) -> int:
    """Nesting depth of a schema counted in objects: properties and items levels."""
    if not isinstance(node, dict):
        return 0
    children = []
    props = node.get("properties")
    if isinstance(props, dict):
        children += [p for p in props.values() if isinstance(p, dict)]
    items = node.get("items")
    if isinstance(items, dict):
        children.append(items)
    elif isinstance(items, list):
        children += [i for i in items if isinstance(i, dict)]
    return 1 + max((_depth(c) for c in children), default=0)
