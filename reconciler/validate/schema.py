"""JSON Schema validation of users' files, with messages that point at the file and place."""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from reconciler.config.tree import JsonPath, Located
from reconciler.diagnostics import Problem, error
from reconciler.secrets import credential_header, literal_credential

NOT_SHOWN = "(value not shown)"


def schema_text(name: str) -> str:
    """The text of a schema shipped with dactl (``action``, ``action-file``,
    ``action-template`` or ``project``), as its file holds it."""
    return (
        resources.files("reconciler")
        .joinpath("schemas", f"{name}.schema.json")
        .read_text(encoding="utf-8")
    )


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A schema shipped with dactl, parsed."""
    schema: dict[str, Any] = json.loads(schema_text(name))
    return schema


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def check_document(doc: Located, schema_name: str) -> list[Problem]:
    """Every schema violation of ``doc``, one problem each, at the offending key or value."""
    problems: list[Problem] = []
    for err in _validator(schema_name).iter_errors(doc.data):
        problems.extend(_explain(err, doc))
    return problems


def dotted(path: JsonPath) -> str:
    """``('request', 'headers', 'Accept')`` -> ``request.headers.Accept``; list items as ``[i]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _explain(err: SchemaError, doc: Located) -> list[Problem]:
    path: JsonPath = tuple(err.absolute_path)
    where = dotted(path)
    prefix = f"{where}: " if where else ""
    validator = err.validator
    if validator == "additionalProperties" and isinstance(err.instance, dict):
        return _unknown_keys(err, doc, path)
    if validator == "required" and isinstance(err.validator_value, list):
        missing = _missing_name(err)
        mark = doc.where(path) if path else doc.value_at(())
        return [error(mark, f"{prefix}missing required key {missing!r}")]
    if validator == "anyOf" and not path:  # the only root anyOf: integration vs integrationId
        return [
            error(
                doc.value_at(()), "missing 'integration' (an integration name) or 'integrationId'"
            )
        ]
    if validator == "not" and not path:
        return [
            error(
                doc.where(("integrationId",)),
                "give either 'integration' or 'integrationId', not both",
            )
        ]
    hidden = _hides_value(path, err.instance)
    if validator == "enum":
        options: Any = err.validator_value
        allowed = ", ".join(str(v) for v in options)
        if hidden:
            return [error(doc.value_at(path), f"{prefix}must be one of {allowed} {NOT_SHOWN}")]
        return [error(doc.value_at(path), f"{prefix}{err.instance!r} is not one of {allowed}")]
    if validator == "type":
        if hidden:
            kind = _a_type(err.validator_value)
            return [error(doc.value_at(path), f"{prefix}must be {kind} {NOT_SHOWN}")]
        return [
            error(
                doc.value_at(path),
                f"{prefix}{_short(err.instance)} is not of type {_types(err.validator_value)}",
            )
        ]
    if validator in ("minLength", "maxLength"):
        n = len(err.instance) if isinstance(err.instance, str) else 0
        bound = "at least" if validator == "minLength" else "at most"
        return [
            error(
                doc.value_at(path),
                f"{prefix}must be {bound} {err.validator_value} characters long (got {n})",
            )
        ]
    if hidden:  # jsonschema's own messages quote the value
        return [error(doc.value_at(path), f"{prefix}breaks the rule {validator!r} {NOT_SHOWN}")]
    return [error(doc.value_at(path), f"{prefix}{err.message}")]


def _hides_value(path: JsonPath, value: Any) -> bool:
    """Whether a message about ``value`` at ``path`` must not quote it: a key on the path
    names a credential (``request.headers.X-API-Key``, ``...password``), or the value looks
    like one (``Bearer ...``). An unquoted number in YAML is still a secret."""
    if any(isinstance(part, str) and credential_header(part) for part in path):
        return True
    return isinstance(value, str) and literal_credential("", value)


def _a_type(value: Any) -> str:
    """``'string'`` -> ``a string``; ``['string', 'null']`` -> ``a string or null``."""
    names = value if isinstance(value, list) else [value]
    articles = {"string": "a string", "integer": "an integer", "number": "a number"}
    shown = [articles.get(str(n), f"of type {n!r}" if n != "null" else "null") for n in names]
    return " or ".join(shown)


def _unknown_keys(err: SchemaError, doc: Located, path: JsonPath) -> list[Problem]:
    schema: Any = err.schema
    instance: Any = err.instance
    known = sorted(schema.get("properties", {}))
    problems = []
    for key in sorted(set(instance) - set(known)):
        where = dotted((*path, key))
        hint = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        message = f"unknown key {where!r}"
        if hint:
            message += f" (did you mean {hint[0]!r}?)"
        elif known:
            message += f"; allowed here: {', '.join(known)}"
        problems.append(error(doc.where((*path, key)), message))
    return problems


def _missing_name(err: SchemaError) -> str:
    instance = err.instance if isinstance(err.instance, dict) else {}
    required: Any = err.validator_value
    for name in required:
        if name not in instance:
            return str(name)
    return str(required[0])


def _types(value: Any) -> str:
    if isinstance(value, list):
        return " or ".join(repr(v) for v in value)
    return repr(value)


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
