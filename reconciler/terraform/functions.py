"""The Terraform functions dactl evaluates, on values already evaluated.

``jsonencode`` and ``format`` are what data action configurations use; a few plain string
and collection functions come along because they cost a line each. ``file`` and
``templatefile`` read files relative to the configuration, so ``evaluate`` has them. Any
other function is an ``Unsupported`` naming it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from reconciler.terraform.values import (
    IntegrationRef,
    JsonText,
    Unsupported,
    describe,
    format_number,
    to_bool,
    to_number,
    to_string,
    type_name,
)

# Go's fmt verbs as Terraform's format() reads them: %[n]<flags><width>.<precision><verb>
_VERB = re.compile(r"%(?:\[(\d+)\])?([-+# 0]*)(\d+)?(?:\.(\d+))?(.)", re.S)


def jsonencode(value: Any) -> str:
    return JsonText(value)


def jsondecode(text: Any) -> Any:
    try:
        return json.loads(to_string(text, "jsondecode()"))
    except json.JSONDecodeError as exc:
        raise Unsupported(f"jsondecode(): not JSON: {exc.msg} (char {exc.pos})") from exc


def format_(spec: Any, *args: Any) -> str:
    """``format(spec, args...)``: the verbs %s %d %f %t %v %q %%, with widths, flags,
    precisions and explicit argument indexes ``%[2]s``."""
    spec = to_string(spec, "format()")
    out: list[str] = []
    position = 0
    next_arg = 0
    for match in _VERB.finditer(spec):
        out.append(spec[position : match.start()])
        position = match.end()
        index, flags, width, precision, verb = match.groups()
        if verb == "%":
            out.append("%")
            continue
        if index is not None:
            next_arg = int(index) - 1
        if not 0 <= next_arg < len(args):
            raise Unsupported(f"format(): {match.group(0)!r} has no argument to format")
        text = _verb(verb, args[next_arg], precision, flags)
        next_arg += 1
        out.append(_pad(text, int(width or 0), flags, verb))
    if "%" in spec[position:]:
        raise Unsupported("format(): a lone % at the end of the format string")
    out.append(spec[position:])
    return "".join(out)


def _verb(verb: str, value: Any, precision: str | None, flags: str) -> str:
    what = f"format() %{verb}"
    if value is None:
        raise Unsupported(f"{what}: the argument is null")
    if verb == "s":
        return to_string(value, what)
    if verb == "v":
        if isinstance(value, dict | list | IntegrationRef):
            raise Unsupported(f"{what} of {type_name(value)} is not supported")
        return to_string(value, what)
    if verb == "q":
        return json.dumps(to_string(value, what), ensure_ascii=False)
    if verb == "t":
        return "true" if to_bool(value, what) else "false"
    if verb == "d":
        number = to_number(value, what)
        if not isinstance(number, int):
            raise Unsupported(f"{what}: {format_number(number)} is not a whole number")
        return f"{number:+d}" if "+" in flags else str(number)
    if verb in "fFeEgG":
        places = "" if precision is None and verb in "gG" else f".{precision or 6}"
        return format(float(to_number(value, what)), f"{'+' if '+' in flags else ''}{places}{verb}")
    raise Unsupported(f"format(): the verb %{verb} is not supported")


def _pad(text: str, width: int, flags: str, verb: str) -> str:
    if len(text) >= width:
        return text
    if "-" in flags:
        return text.ljust(width)
    if "0" in flags and verb in "dfFeEgG":
        sign = text[0] if text[:1] in "+-" else ""
        return sign + text[len(sign) :].rjust(width - len(sign), "0")
    return text.rjust(width)


def _join(separator: Any, *lists: Any) -> str:
    items = [item for values in lists for item in _list(values, "join()")]
    return to_string(separator, "join()").join(to_string(i, "join()") for i in items)


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise Unsupported(f"{what}: expected a list, got {type_name(value)}")
    return value


def _map(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Unsupported(f"{what}: expected an object, got {type_name(value)}")
    return value


def _merge(*maps: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in maps:
        if item is not None:
            out.update(_map(item, "merge()"))
    return out


def _lookup(mapping: Any, key: Any, *default: Any) -> Any:
    found = _map(mapping, "lookup()")
    name = to_string(key, "lookup()")
    if name in found:
        return found[name]
    if default:
        return default[0]
    raise Unsupported(f"lookup(): no key {describe(name)} and no default")


def _coalesce(*values: Any) -> Any:
    for value in values:
        if value is not None and value != "":
            return value
    raise Unsupported("coalesce(): every argument is null or empty")


def _length(value: Any) -> int:
    if isinstance(value, str | list | dict):
        return len(value)
    raise Unsupported(f"length() of {type_name(value)}")


def _replace(text: Any, search: Any, replacement: Any) -> str:
    needle = to_string(search, "replace()")
    if len(needle) > 1 and needle.startswith("/") and needle.endswith("/"):
        raise Unsupported("replace() with a regular expression is not supported")
    return to_string(text, "replace()").replace(needle, to_string(replacement, "replace()"))


def _to_string(value: Any) -> Any:
    return None if value is None else to_string(value, "tostring()")


FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    # name: (function, fewest arguments, most arguments or None for any number)
    "jsonencode": (jsonencode, 1, 1),
    "jsondecode": (jsondecode, 1, 1),
    "format": (format_, 1, None),
    "tostring": (_to_string, 1, 1),
    "tonumber": (lambda v: None if v is None else to_number(v, "tonumber()"), 1, 1),
    "tobool": (lambda v: None if v is None else to_bool(v, "tobool()"), 1, 1),
    "lower": (lambda v: to_string(v, "lower()").lower(), 1, 1),
    "upper": (lambda v: to_string(v, "upper()").upper(), 1, 1),
    "trimspace": (lambda v: to_string(v, "trimspace()").strip(), 1, 1),
    "chomp": (lambda v: re.sub(r"(\r\n|\n|\r)+\Z", "", to_string(v, "chomp()")), 1, 1),
    "replace": (_replace, 3, 3),
    "join": (_join, 2, None),
    "concat": (lambda *ls: [i for v in ls for i in _list(v, "concat()")], 0, None),
    "merge": (_merge, 0, None),
    "lookup": (_lookup, 2, 3),
    "coalesce": (_coalesce, 1, None),
    "length": (_length, 1, 1),
}


def call(name: str, args: list[Any]) -> Any:
    """``name(args...)`` on evaluated arguments."""
    if name not in FUNCTIONS:
        raise Unsupported(f"the function {name}() is not supported")
    function, fewest, most = FUNCTIONS[name]
    if len(args) < fewest or (most is not None and len(args) > most):
        wanted = str(fewest) if most == fewest else f"{fewest} or more"
        raise Unsupported(f"{name}() takes {wanted} arguments, not {len(args)}")
    return function(*args)
