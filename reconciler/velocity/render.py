"""Genesys-flavoured Velocity for offline tests: templates rendered with airspeed in the
context Genesys gives them (tools in ``reconciler.velocity.tools``), and translation maps evaluated
with JSONPath.

An emulation, not the platform: airspeed follows Apache Velocity closely but is not the Java
engine, and each tool follows what Genesys documents (EscapeTool, MathTool, its own helpers).
A tool Genesys has that is not emulated here fails the render with a message naming it.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import airspeed  # type: ignore[import-untyped,unused-ignore]
import jsonpath

from reconciler.velocity.scan import Reference, scan
from reconciler.velocity.tools import (
    Credentials,
    DynamicsTool,
    EncodingTool,
    EscapeTool,
    MathTool,
    NotEmulated,
    SalesforceTool,
    SuccessTemplateUtils,
    UrlTool,
    to_velocity,
)

__all__ = [
    "TemplateProblem",
    "Translation",
    "render",
    "template_context",
    "translate",
    "unrendered",
]

# Names a template may not reach through airspeed's attribute lookup: Python internals.
_BLOCKED_NAMES = frozenset({"format", "format_map", "mro"})


class TemplateProblem(Exception):
    """A template that does not parse or fails while rendering, at 1-based ``line``/``column``
    of the template. ``detail`` is the underlying error text, which may quote values."""

    def __init__(self, message: str, line: int, column: int, detail: str = "") -> None:
        super().__init__(message, line, column)
        self.message = message
        self.line = line
        self.column = column
        self.detail = detail

    def describe(self, *, with_detail: bool = True) -> str:
        """One line: ``line 3, column 18: message[: detail]``."""
        text = f"line {self.line}, column {self.column}: {self.message}"
        if with_detail and self.detail:
            text += f": {self.detail}"
        return " ".join(text.split())


def render(template: str, context: Mapping[str, Any]) -> str:
    """Render ``template`` with ``context``; ``TemplateProblem`` on any failure."""
    compiled = airspeed.Template(template, filename="template")
    try:
        compiled.ensure_compiled()
    except airspeed.TemplateSyntaxError as exc:
        message = re.sub(r"^line \d+, column \d+: ", "", str(exc))
        message = re.sub(r"(\s*\.\.\.)+\s*$", " ...", " ".join(message.split()))
        raise TemplateProblem(f"syntax error: {message}", exc.line, exc.column) from None
    except RecursionError:
        raise TemplateProblem("syntax error: nested too deeply", 1, 1) from None
    _refuse_internals(compiled.root_element, template)
    try:
        return str(compiled.merge(dict(context)))
    except airspeed.TemplateExecutionError as exc:
        line, column = _position(template, _offset(template, exc.element))
        cause = exc.__cause__
        if isinstance(cause, NotEmulated):
            raise TemplateProblem(str(cause), line, column) from None
        text = exc.element.my_text().strip()
        message = f"cannot evaluate {_clip(text)}"
        detail = f"{type(cause).__name__}: {cause}" if cause else ""
        raise TemplateProblem(message, line, column, detail) from None
    except RecursionError:
        raise TemplateProblem("recursion too deep while rendering", 1, 1) from None


def unrendered(template: str, rendered: str, context: Mapping[str, Any]) -> list[Reference]:
    """The references of ``template`` that ``rendered`` (its rendering with ``context``)
    still holds as literal text: Velocity leaves a reference it cannot resolve as written
    (``${input.UserId}`` when the input is ``userId``), where Genesys would send it so.

    A ``$`` in the output is not enough (a price ``$5``, a ``$`` inside a JSON string, a
    ``${esc.dollar}``): a reference counts only when the template has it, it is not quiet
    (``$!{...}`` renders empty on purpose), the rendered text holds it as a reference (the
    scanner reads both), it is meant as one (braced, or its root is a name of ``context``
    in any letter case, or one the template sets: an unbraced ``$def123`` in ``Bearer
    abc$def123`` is text, and Velocity sends it so), and, for a property chain whose value
    can be looked up in ``context``, that value is null. When chains explain what was left,
    method calls that failed because of them (``$esc.jsonString($input.x)``) are not named
    again. One reference per text, in template order."""
    if "$" not in rendered:
        return []
    left = {ref.text for ref in scan(rendered).references}
    found = scan(template)
    names = {name.casefold() for name in context}
    chains: list[Reference] = []
    calls: list[Reference] = []
    seen: set[str] = set()
    for ref in found.references:
        if ref.quiet or ref.text in seen or ref.text not in left:
            continue
        if not (ref.braced or ref.root.casefold() in names or ref.root in found.defined):
            continue  # "$def123" in "abc$def123": text that only looks like a reference
        if not _plain(ref):
            calls.append(ref)
        elif ref.root in found.defined or _lookup(context, ref) in (None, _UNKNOWN):
            chains.append(ref)
        else:
            continue  # it has a value: the same text in the output came from elsewhere
        seen.add(ref.text)
    return chains or calls


_UNKNOWN = object()


def _plain(ref: Reference) -> bool:
    """Whether ``ref`` is a plain property chain (``${input.x}``, ``$a.b``), no call."""
    head = ref.text.lstrip("$!").removeprefix("{").removesuffix("}")
    return head == ".".join((ref.root, *ref.path))


def _lookup(context: Mapping[str, Any], ref: Reference) -> Any:
    """The value of a plain chain in ``context``: None when a step is missing, or
    ``_UNKNOWN`` when a step goes through a tool object this function cannot read."""
    value = context.get(ref.root)
    for name in ref.path:
        if value is None:
            return None
        if not isinstance(value, Mapping):
            return _UNKNOWN
        value = value.get(name)
    return value


def _refuse_internals(root: Any, template: str) -> None:
    """Refuse names that would reach Python internals (``$x.__class__``), and ``#evaluate``,
    which would build such names at render time. Velocity identifiers never start with ``_``."""
    for element in _elements(root):
        names: list[str] = []
        if isinstance(element, airspeed.NameOrCall):
            names = [element.name]
        elif isinstance(element, airspeed.SetDirective):
            names = list(element.terms)
        elif isinstance(element, airspeed.EvaluateDirective):
            line, column = _position(template, _offset(template, element))
            raise TemplateProblem("#evaluate is not supported by offline tests", line, column)
        for name in names:
            if name.startswith("_") or name in _BLOCKED_NAMES:
                line, column = _position(template, _offset(template, element))
                raise TemplateProblem(f"the name {name!r} is not allowed", line, column)


def _elements(root: Any) -> Iterator[Any]:
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, airspeed._Element):
            yield node
            stack.extend(vars(node).values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())


def _offset(template: str, element: Any) -> int:
    """Where ``element`` starts in ``template``; elements inside a "string" are parsed from
    the string's content, so their offsets count from it."""
    text = element.full_text()
    base = 0 if text == template else max(template.find(text), 0)
    return base + int(element.start)


def _position(text: str, offset: int) -> tuple[int, int]:
    starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
    line = bisect.bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


def _clip(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def template_context(inputs: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """The names a Genesys template sees: ``input`` (with ``rawRequest``, the inputs as
    JSON), the tools, placeholder ``credentials``, and ``extra`` (success-template values)."""
    raw = json.dumps(dict(inputs), sort_keys=True, ensure_ascii=False)
    context: dict[str, Any] = {
        "input": {**to_velocity(dict(inputs)), "rawRequest": raw},
        "esc": EscapeTool(),
        "math": MathTool(),
        "encoding": EncodingTool(),
        "successTemplateUtils": SuccessTemplateUtils(),
        "salesforce": SalesforceTool(),
        "msdynamics": DynamicsTool(),
        "urlTool": UrlTool(),
        "credentials": Credentials(),
    }
    context.update(extra)
    return context


# --- translation maps --------------------------------------------------------------------


@dataclass(frozen=True)
class Translation:
    """The values of a translation map, each as JSON text, and the problems met (key and
    message)."""

    values: dict[str, str]
    problems: list[tuple[str, str]]


def translate(
    translation_map: Mapping[str, str], defaults: Mapping[str, str], response: Any
) -> Translation:
    """Evaluate each JSONPath of ``translation_map`` on ``response``, as Genesys does.

    A definite path gives its value, or the default when it finds nothing (no default is a
    problem). An indefinite path (filter, wildcard, deep scan) gives the array of what it
    found, possibly empty. Values are JSON text: a string keeps its quotes.
    """
    values: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for key, expression in translation_map.items():
        try:
            path = jsonpath.compile(str(expression))
            found = path.findall(response)
        except jsonpath.JSONPathError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            problems.append((key, f"{expression!r} cannot be evaluated: {first}"))
            continue
        definite = isinstance(path, jsonpath.JSONPath) and path.singular_query()
        if not definite:
            values[key] = _json_text(found)
        elif found:
            values[key] = _json_text(found[0])
        elif key in defaults:
            values[key] = str(defaults[key])
        else:
            problems.append(
                (
                    key,
                    f"{expression!r} found nothing in the response, and "
                    f"translationMapDefaults has no value for {key!r}",
                )
            )
    return Translation(values, problems)


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
