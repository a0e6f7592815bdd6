"""Terraform values as Python values, and the conversions Terraform makes between them.

A value is ``str``, ``int``/``float``, ``bool``, ``None`` (null), ``list``, ``dict`` (string
keys, in the order written), or one of the two kinds below. Anything dactl cannot evaluate,
or that Terraform itself would reject, is an ``Unsupported`` naming the construct; the
caller adds the file, the resource and the line.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


class Unsupported(Exception):
    """A construct dactl does not evaluate (or an error Terraform would report), with the
    line of the expression where the parser told it."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class IntegrationRef:
    """``genesyscloud_integration.X.id`` or ``data.genesyscloud_integration.X.id``: an
    integration id that only the org knows, and what the configuration says of it."""

    address: str
    name: str | None = None  # config.name of the resource, name of the data source
    type_id: str | None = None  # integration_type of the resource
    defined: bool = True  # False: no such block in the files given
    why: str = ""  # why its name cannot be known, when it cannot


class JsonText(str):
    """What ``jsonencode`` returns: Terraform's JSON text, which also remembers the value
    it encodes (so a contract keeps the key order it was written in)."""

    value: Any

    def __new__(cls, value: Any) -> JsonText:
        text = super().__new__(cls, terraform_json(value))
        text.value = value
        return text


def terraform_json(value: Any) -> str:
    """``jsonencode``'s text exactly: keys sorted, no spaces, and ``<``, ``>``, ``&``, U+2028
    and U+2029 escaped as Go's encoder escapes them."""
    if isinstance(value, IntegrationRef):
        raise Unsupported(f"{value.address}.id: an integration id is known only in the org")
    text = json.dumps(_json_ready(value), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def _json_ready(value: Any) -> Any:
    if isinstance(value, IntegrationRef):
        raise Unsupported(f"{value.address}.id: an integration id is known only in the org")
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, float):
        return number(value)
    return value


def number(value: float | int) -> float | int:
    """A whole float as an int (Terraform has one number type: ``2.0`` is ``2``)."""
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    return value


def type_name(value: Any) -> str:
    """The Terraform type of a value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, IntegrationRef):
        return "an integration id"
    return "an object"


def to_string(value: Any, what: str) -> str:
    """A value where Terraform wants a string: numbers and bools convert, nothing else."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, IntegrationRef):
        raise Unsupported(f"{what}: {value.address}.id is an integration id, known only in the org")
    raise Unsupported(f"{what}: expected a string, got {type_name(value)}")


def format_number(value: float | int) -> str:
    """A number as Terraform prints it: ``20``, ``1.5``, ``0.0000001`` (never ``1e-07``)."""
    value = number(value)
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise Unsupported(f"{value} is not a Terraform number")
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def to_bool(value: Any, what: str) -> bool:
    """A value where Terraform wants a bool: ``true``/``false``, or those strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    raise Unsupported(f"{what}: expected true or false, got {describe(value)}")


def to_number(value: Any, what: str) -> int | float:
    """A value where Terraform wants a number: a number, or a string that is one."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value)
    if isinstance(value, str):
        try:
            parsed = float(value.strip()) if value.strip() else math.nan
        except ValueError:
            parsed = math.nan
        if math.isfinite(parsed):
            return number(int(value) if value.strip().lstrip("-").isdigit() else parsed)
    raise Unsupported(f"{what}: expected a number, got {describe(value)}")


def to_int(value: Any, what: str) -> int:
    """A whole number (Terraform's ``TypeInt`` attributes)."""
    result = to_number(value, what)
    if not isinstance(result, int):
        raise Unsupported(f"{what}: expected a whole number, got {format_number(result)}")
    return result


def describe(value: Any) -> str:
    """A value for a message: short strings quoted, other kinds by their type."""
    if isinstance(value, str) and len(value) <= 60:
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return format_number(value)
    return type_name(value)


def to_string_map(value: Any, what: str) -> dict[str, str]:
    """A map of strings (``headers``, ``translation_map``): an object whose values convert
    to strings; null entries are left out, as Terraform leaves them."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Unsupported(f"{what}: expected a map of strings, got {type_name(value)}")
    return {
        key: to_string(item, f"{what}.{key}") for key, item in value.items() if item is not None
    }


def equal(left: Any, right: Any) -> bool:
    """Terraform's ``==``: the same type and value (``1 == "1"`` is false)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    numbers = (int, float)
    if isinstance(left, numbers) and isinstance(right, numbers):
        return left == right
    if type_name(left) != type_name(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(map(equal, left, right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(equal(left[k], right[k]) for k in left)
    return bool(left == right)
