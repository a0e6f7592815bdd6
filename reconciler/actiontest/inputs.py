"""The inputs of ``dactl test``: read from ``--inputs FILE`` and ``--input KEY=VALUE``,
typed by the input contract, validated against it, and hidden for ``secure`` actions.

Nothing here prints. An input problem never quotes a value, of any action: inputs are
checked before the live action is known, and with it whether the action is secure (a file
may say ``secure: false`` of an action that is secure in the org). A problem names the
input and the rule it breaks.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# No stubs ship with jsonschema; unused-ignore keeps this clean once stubs are added.
from jsonschema import Draft4Validator  # type: ignore[import-untyped,unused-ignore]
from jsonschema.validators import validator_for  # type: ignore[import-untyped,unused-ignore]

from reconciler import jsonsafe
from reconciler.errors import InputError

_INTEGER = re.compile(r"[+-]?\d+")
# Messages that name properties, never values, and so are safe for secure actions too.
_VALUE_FREE = frozenset({"required", "additionalProperties", "dependencies"})


@dataclass(frozen=True)
class GivenInputs:
    """Inputs as given on the command line: ``KEY=VALUE`` texts and an optional JSON file."""

    pairs: tuple[str, ...] = ()
    file: Path | None = None


def prepare_inputs(given: GivenInputs, contract: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs (file first, then each ``--input``), typed and checked against
    ``contract``; ``InputError`` naming every problem, never a value."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    from_file = _read_file(given.file, problems) if given.file is not None else {}
    values.update(from_file or {})
    properties = contract.get("properties") if isinstance(contract, Mapping) else None
    properties = properties if isinstance(properties, Mapping) else {}
    refused: set[str] = set()
    for number, pair in enumerate(given.pairs, start=1):
        key, sep, text = pair.partition("=")
        if not sep or not key:
            problems.append(f"--input number {number} is not KEY=VALUE")
            continue
        spec = properties.get(key)
        converted = _convert(key, text, spec if isinstance(spec, Mapping) else {})
        if isinstance(converted, _Refused):
            problems.append(converted.reason)
            refused.add(key)
            converted = text  # present, so the contract check does not call it missing
        values[key] = converted
    if from_file is not None:  # else every input of the file would look missing
        problems += contract_problems(values, contract, secure=True, what="input", skip=refused)
    if problems:
        raise InputError(problems)
    return values


def _read_file(path: Path, problems: list[str]) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problems.append(f"--inputs {path}: cannot be read ({exc.strerror or exc})")
        return None
    except UnicodeDecodeError as exc:
        problems.append(f"--inputs {path}: not UTF-8 text (byte {exc.start})")
        return None
    try:
        data = jsonsafe.loads(text)
    except ValueError as exc:
        where = f"{exc.lineno}:{exc.colno}: " if isinstance(exc, json.JSONDecodeError) else " "
        message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        problems.append(f"--inputs {path}:{where}not JSON: {message}")
        return None
    if not isinstance(data, dict):
        problems.append(f"--inputs {path}: must hold a JSON object of inputs")
        return None
    return data


@dataclass(frozen=True)
class _Refused:
    reason: str


def _types(spec: Mapping[str, Any]) -> list[str]:
    kind = spec.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [k for k in kind if isinstance(k, str)]
    return []


def _convert(key: str, text: str, spec: Mapping[str, Any]) -> Any:
    """``text`` as the type the contract gives ``key``: a string unless it says otherwise."""
    types = _types(spec)
    if not types or (types == ["string"]):
        return text
    if "null" in types and text == "null":
        return None
    for kind in types:
        value = _as(kind, text)
        if not isinstance(value, _Refused):
            return value
    wanted = " or ".join(t for t in types)
    return _Refused(
        f"input {key!r}: the value given is not {_article(wanted)} (the input contract type)"
    )


def _article(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


def _as(kind: str, text: str) -> Any:
    stripped = text.strip()
    if kind == "string":
        return text
    if kind == "integer" and _INTEGER.fullmatch(stripped):
        return int(stripped)
    if kind == "number":
        if _INTEGER.fullmatch(stripped):
            return int(stripped)
        try:
            number = float(stripped)
        except ValueError:
            return _Refused(kind)
        return number if math.isfinite(number) else _Refused(kind)
    if kind == "boolean" and stripped.lower() in ("true", "false"):
        return stripped.lower() == "true"
    return _Refused(kind)


def contract_problems(
    value: Any,
    schema: Mapping[str, Any],
    *,
    secure: bool,
    what: str,
    skip: Iterable[str] = (),
) -> list[str]:
    """Where ``value`` breaks the JSON Schema ``schema`` (draft-04 unless its ``$schema`` says
    otherwise), one line each, sorted; with ``secure``, no line quotes a value. Problems
    under a top-level key in ``skip`` are left out (already reported)."""
    if not isinstance(schema, Mapping) or not schema:
        return []
    cls = validator_for(dict(schema), default=Draft4Validator)
    found = sorted(
        cls(dict(schema)).iter_errors(value),
        key=lambda e: ([str(p) for p in e.absolute_path], e.message),
    )
    lines = []
    skipped = set(skip)
    for error in found:
        if error.absolute_path and str(error.absolute_path[0]) in skipped:
            continue
        place = ".".join(str(p) for p in error.absolute_path)
        head = f"{what} {place!r}" if place else what
        if secure and error.validator not in _VALUE_FREE:
            rule = json.dumps(error.validator_value, sort_keys=True, ensure_ascii=False)
            lines.append(f"{head}: does not satisfy {error.validator} {rule} (value hidden)")
        else:
            lines.append(f"{head}: {error.message}")
    return lines


def placeholders(values: Mapping[str, Any]) -> dict[str, str]:
    """Each input as the placeholder ``<input.NAME>``, to show a secure action's request."""
    return {name: f"<input.{name}>" for name in values}


def redact(data: Any, values: Mapping[str, Any]) -> Any:
    """``data`` (decoded JSON) with every input value in it replaced by ``<input.NAME>``:
    strings that contain one, and other leaves equal to one."""
    secrets = [(n, v) for n, v in values.items() if v is not None and v != ""]

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        for name, secret in secrets:
            holder = f"<input.{name}>"
            if isinstance(node, str) and not isinstance(secret, bool):
                node = node.replace(str(secret), holder)
            elif type(node) is type(secret) and node == secret:
                return holder
        return node

    return walk(data)
