"""The tools Genesys puts in a data action template's context (``$esc``, ``$math``,
``$encoding``, ``$successTemplateUtils``, ``$salesforce``, ``$msdynamics``,
``$credentials``), Java string methods, and values that render as Java renders them.

Each tool follows what Genesys documents; a method it does not have raises ``NotEmulated``
naming it, so an offline test fails clearly instead of rendering the reference as text.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus

import airspeed  # type: ignore[import-untyped,unused-ignore]


class NotEmulated(Exception):
    """A Genesys template tool or method that offline tests do not emulate."""


class JavaBool:
    """A boolean that renders as Java does (``true``/``false``) and, like Velocity, equals
    a string with the same text."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __bool__(self) -> bool:
        return self.value

    def __str__(self) -> str:
        return "true" if self.value else "false"

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        if isinstance(other, JavaBool):
            return self.value is other.value
        if isinstance(other, bool):
            return self.value is other
        return isinstance(other, str) and str(self) == other

    def __hash__(self) -> int:
        return hash(self.value)


def to_velocity(value: Any) -> Any:
    """A JSON value as a template sees it: booleans render as ``true``/``false``."""
    if isinstance(value, bool):
        return JavaBool(value)
    if isinstance(value, dict):
        return {k: to_velocity(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_velocity(v) for v in value]
    return value


def _text(value: Any) -> str | None:
    """Java's ``String.valueOf`` for the values templates hold; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _passing_none(func: Callable[..., Any]) -> Callable[..., Any]:
    """Velocity tools return null for a null argument; a quiet reference then renders ''."""

    def wrapper(self: Any, value: Any, *args: Any) -> Any:
        text = _text(value)
        return None if text is None else func(self, text, *args)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


class _Tool:
    """A template tool; a method it does not have fails the render with its name."""

    prefix = "tool"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise NotEmulated(f"${self.prefix}.{name} is not emulated by offline tests")


class _Char(str):
    """``$esc.quote`` is both the character (as a property) and a method that quotes."""

    def __call__(self, value: Any) -> str | None:
        text = _text(value)
        return None if text is None else f"{self}{text}{self}"


class EscapeTool(_Tool):
    """``$esc``: Velocity's EscapeTool with the methods Genesys documents."""

    prefix = "esc"
    dollar = d = "$"
    hash = h = "#"
    backslash = b = "\\"
    exclamation = e = "!"
    quote = q = _Char('"')
    singleQuote = s = _Char("'")

    @_passing_none
    def jsonString(self, value: str) -> str:
        """The value escaped for use inside a JSON string (no quotes added)."""
        return json.dumps(value, ensure_ascii=False)[1:-1]

    jsonEncode = jsonString

    @_passing_none
    def jsonDecode(self, value: str) -> str:
        return str(json.loads(f'"{value}"'))

    @_passing_none
    def javascript(self, value: str) -> str:
        return json.dumps(value, ensure_ascii=False)[1:-1].replace("'", "\\'")

    @_passing_none
    def url(self, value: str) -> str:
        """Form encoding (``application/x-www-form-urlencoded``): a space becomes ``+``."""
        return quote_plus(value, safe="", encoding="utf-8")

    urlFormEncode = url

    @_passing_none
    def unurl(self, value: str) -> str:
        return unquote_plus(value, encoding="utf-8")

    @_passing_none
    def uriEncode(self, value: str) -> str:
        """Percent-encoding for a URL path or query part: a space becomes ``%20``."""
        return quote(value, safe="-_.~", encoding="utf-8")

    @_passing_none
    def xml(self, value: str) -> str:
        return html.escape(value, quote=True).replace("&#x27;", "&apos;")

    @_passing_none
    def html(self, value: str) -> str:
        return html.escape(value, quote=True)

    @_passing_none
    def sql(self, value: str) -> str:
        return value.replace("'", "''")


Number = int | float


def _number(value: Any) -> Number | None:
    if isinstance(value, bool | JavaBool) or value is None:
        return None
    if isinstance(value, int | float):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _numbers(values: tuple[Any, ...]) -> list[Number] | None:
    found = [n for n in (_number(v) for v in values) if n is not None]
    return found if found and len(found) == len(values) else None


def _typed(result: float, inputs: list[Number]) -> Number:
    """MathTool's rule: whole results of integer inputs stay integers."""
    if all(isinstance(n, int) for n in inputs) and float(result).is_integer():
        return int(result)
    return float(result)


class MathTool(_Tool):
    """``$math``: Velocity's MathTool. A value that is not a number gives null, as in Java."""

    prefix = "math"

    def add(self, *values: Any) -> Number | None:
        nums = _numbers(values)
        return None if nums is None else sum(nums)

    def sub(self, *values: Any) -> Number | None:
        nums = _numbers(values)
        if nums is None:
            return None
        result = nums[0]
        for n in nums[1:]:
            result -= n
        return result

    def mul(self, *values: Any) -> Number | None:
        nums = _numbers(values)
        return None if nums is None else math.prod(nums)

    def div(self, *values: Any) -> Number | None:
        nums = _numbers(values)
        if nums is None or any(n == 0 for n in nums[1:]):
            return None
        result = float(nums[0])
        for n in nums[1:]:
            result /= n
        return _typed(result, nums)

    def idiv(self, a: Any, b: Any) -> int | None:
        nums = _numbers((a, b))
        if nums is None or int(nums[1]) == 0:
            return None
        x, y = int(nums[0]), int(nums[1])
        quotient = abs(x) // abs(y)
        return quotient if (x >= 0) == (y >= 0) else -quotient

    def mod(self, a: Any, b: Any) -> int | None:
        nums = _numbers((a, b))
        if nums is None or int(nums[1]) == 0:
            return None
        return int(math.fmod(int(nums[0]), int(nums[1])))

    def pow(self, a: Any, b: Any) -> Number | None:
        nums = _numbers((a, b))
        return None if nums is None else _typed(math.pow(nums[0], nums[1]), nums)

    def max(self, *values: Any) -> Number | None:
        nums = _numbers(values)
        return None if nums is None else max(nums)

    def min(self, *values: Any) -> Number | None:
        nums = _numbers(values)
        return None if nums is None else min(nums)

    def abs(self, value: Any) -> Number | None:
        n = _number(value)
        return None if n is None else abs(n)

    def ceil(self, value: Any) -> int | None:
        n = _number(value)
        return None if n is None else math.ceil(n)

    def floor(self, value: Any) -> int | None:
        n = _number(value)
        return None if n is None else math.floor(n)

    def round(self, value: Any) -> int | None:
        n = _number(value)
        return None if n is None else math.floor(n + 0.5)

    def roundTo(self, decimals: Any, value: Any) -> Number | None:
        places, n = _number(decimals), _number(value)
        if places is None or n is None:
            return None
        factor: int = 10 ** int(places)
        return float(math.floor(n * factor + 0.5) / factor)

    def toNumber(self, value: Any) -> Number | None:
        return _number(value)

    def toInteger(self, value: Any) -> int | None:
        n = _number(value)
        return None if n is None else int(n)

    def toDouble(self, value: Any) -> float | None:
        n = _number(value)
        return None if n is None else float(n)


class EncodingTool(_Tool):
    """``$encoding``: Genesys' encoding helpers."""

    prefix = "encoding"

    @_passing_none
    def base64(self, value: str) -> str:
        return base64.b64encode(value.encode("utf-8")).decode("ascii")


class SuccessTemplateUtils(_Tool):
    """``$successTemplateUtils``: Genesys' helpers for success templates."""

    prefix = "successTemplateUtils"

    def firstFromArray(self, array: Any, default: Any = "") -> Any:
        """The first element (as JSON text) of a JSON array given as text, else ``default``."""
        items = array
        if isinstance(array, str):
            try:
                items = json.loads(array)
            except ValueError:
                raise ValueError("firstFromArray: its first argument is not a JSON array") from None
        if not isinstance(items, list):
            raise ValueError("firstFromArray: its first argument is not a JSON array")
        if not items:
            return default
        return json.dumps(items[0], ensure_ascii=False, separators=(",", ":"))


class SalesforceTool(_Tool):
    """``$salesforce``: escaping for Salesforce queries."""

    prefix = "salesforce"
    _RESERVED = re.compile(r"([?&|!{}\[\]()^~*:\\\"'+\-])")

    @_passing_none
    def escReserved(self, value: str) -> str:
        """Backslash before each character SOSL reserves."""
        return self._RESERVED.sub(r"\\\1", value)


class DynamicsTool(_Tool):
    """``$msdynamics``: Microsoft Dynamics 365 helpers."""

    prefix = "msdynamics"

    def phoneNumberFilter(self, phone: Any, fields: Any) -> str | None:
        """An OData filter matching ``phone`` as given and as digits only in each field.

        An approximation of Genesys' macro: the exact filter text may differ.
        """
        text = _text(phone)
        if text is None:
            return None
        variants = list(dict.fromkeys([text, re.sub(r"\D", "", text)]))
        names = [str(f) for f in fields] if isinstance(fields, list) else [str(fields)]
        terms = [f"{f} eq '{v.replace(chr(39), chr(39) * 2)}'" for f in names for v in variants]
        return "(" + " or ".join(terms) + ")"


class Credentials(Mapping[str, str]):
    """``$credentials``: a placeholder ``<credentials.NAME>`` for every name, never a secret."""

    def __getitem__(self, key: str) -> str:
        return f"<credentials.{key}>"

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


_JAVA_STRING_METHODS: dict[str, Callable[..., Any]] = {
    "trim": lambda s: s.strip(),
    "toUpperCase": lambda s: s.upper(),
    "toLowerCase": lambda s: s.lower(),
    # Methods that answer a boolean give a JavaBool: it renders "true"/"false" as in Java.
    "isEmpty": lambda s: JavaBool(not s),
    "equals": lambda s, other: JavaBool(s == _text(other)),
    "equalsIgnoreCase": lambda s, other: JavaBool(
        other is not None and s.lower() == (_text(other) or "").lower()
    ),
    "endsWith": lambda s, suffix: JavaBool(s.endswith(str(suffix))),
    "startsWith": lambda s, prefix: JavaBool(s.startswith(str(prefix))),
    "contains": lambda s, part: JavaBool(str(part) in s),
    "matches": lambda s, pattern: JavaBool(re.fullmatch(str(pattern), s) is not None),
    "indexOf": lambda s, sub: s.find(str(sub)),
    "lastIndexOf": lambda s, sub: s.rfind(str(sub)),
    "substring": lambda s, start, end=None: s[start:end],
    "charAt": lambda s, index: s[index],
    "concat": lambda s, other: s + str(other),
    "toString": lambda s: s,
    "replaceFirst": lambda s, pattern, repl: re.sub(pattern, _java_replacement(repl), s, count=1),
}


def _java_replacement(repl: str) -> str:
    """Java's ``$1`` group references in Python's ``\\g<1>`` form."""
    return re.sub(r"\$(\d+)", r"\\g<\1>", repl.replace("\\", "\\\\"))


def _install_java_string_methods() -> None:
    """Java String methods through airspeed's own extension table. Ours replace airspeed's
    of the same name (its ``startsWith``, ``contains`` and ``matches`` answer Python values:
    ``True``, a ``re.Match``; and its ``matches`` matches a prefix only)."""
    table = airspeed.__additional_methods__.setdefault(str, {})
    table.update(_JAVA_STRING_METHODS)


_install_java_string_methods()


class UrlTool(_Tool):
    """``$urlTool``: none of its methods is emulated."""

    prefix = "urlTool"
