"""Ignore rules: field paths of the canonical form that plan and drift leave alone, as
Terraform's ``ignore_changes`` does (``ignore:`` in an action file or in ``dactl.yaml``).

A rule is a dotted path in the field names of our files: ``timeoutSeconds``,
``request.headers.X-Trace``, ``response.translationMap.out``, ``contract.output``. The key
of an open map (headers, translation maps) is the rest of the path, dots included; below
``contract.input`` and ``contract.output`` any schema path is a field. ``name`` (the
action's identity: rename with ``formerNames``) and the integration are never ignored.

For an action that exists, an ignored field takes the live value (``keep_live``), so an
update never resets it and the difference is only counted; a create sends the file's value.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from reconciler.canonical import Canonical
from reconciler.suggest import did_you_mean

IgnorePath = tuple[str, ...]

_OPEN = "open"  # a map whose keys are the user's (headers, translation maps)
_SCHEMA = "schema"  # a contract schema: any path below is data
# The fields of the canonical form that an ignore rule may name (None: a leaf).
_FIELDS: dict[str, Any] = {
    "category": None,
    "secure": None,
    "timeoutSeconds": None,
    "contract": {"input": _SCHEMA, "output": _SCHEMA},
    "request": {
        "requestUrlTemplate": None,
        "requestType": None,
        "headers": _OPEN,
        "requestTemplate": None,
    },
    "response": {
        "translationMap": _OPEN,
        "translationMapDefaults": _OPEN,
        "successTemplate": None,
    },
    "function": {
        "handler": None,
        "runtime": None,
        "timeoutSeconds": None,
        "description": None,
        "package": None,
    },
}
_NEVER = {
    "name": "name is the action's identity and cannot be ignored (to rename an action, "
    "list its old name in formerNames)",
    "integration": "the integration cannot be ignored",
    "integrationId": "the integration cannot be ignored",
}


class IgnoreRuleError(ValueError):
    """An ignore rule that names no field of the canonical form; the message says why."""


def known_paths() -> list[str]:
    """Every fixed field path a rule can name, dotted (for did-you-mean)."""
    out: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        for key, child in node.items():
            path = f"{prefix}{key}"
            out.append(path)
            if isinstance(child, dict):
                walk(child, path + ".")

    walk(_FIELDS, "")
    return out


def parse_rule(text: str) -> IgnorePath:
    """The field path of an ignore rule, or ``IgnoreRuleError`` (with a did-you-mean)."""
    parts = text.split(".")
    if any(not part for part in parts):
        raise IgnoreRuleError(f"{text!r} is not a field path (an empty part between dots)")
    if parts[0] in _NEVER:
        raise IgnoreRuleError(_NEVER[parts[0]])
    node: Any = _FIELDS
    for i, part in enumerate(parts):
        if node == _OPEN:
            return (*parts[:i], ".".join(parts[i:]))
        if node == _SCHEMA:
            return tuple(parts)
        if node is None:
            leaf = ".".join(parts[:i])
            raise IgnoreRuleError(f"{text!r}: {leaf} has no fields below it")
        if part not in node:
            raise IgnoreRuleError(_unknown(text, parts[: i + 1], node))
        node = node[part]
    return tuple(parts)


def _unknown(text: str, upto: list[str], node: dict[str, Any]) -> str:
    """Why ``text`` names no field: its parts ``upto`` the first unknown one are compared
    with the known paths (``request.header`` -> ``request.headers``)."""
    prefix = ".".join(upto[:-1]) + "." if len(upto) > 1 else ""
    here = [f"{prefix}{key}" for key in node]
    same_depth = [p for p in known_paths() if p.count(".") == len(upto) - 1]
    hint = did_you_mean(".".join(upto), same_depth)
    message = f"{text!r} names no field of an action"
    if hint:
        return f"{message} ({hint})"
    return f"{message}; fields here: {', '.join(here)}"


def parse_rules(texts: Iterable[str]) -> tuple[IgnorePath, ...]:
    """The paths of valid rules, each once, in order (invalid ones are validation's to
    report: they never reach a plan)."""
    out: dict[IgnorePath, None] = {}
    for text in texts:
        try:
            out[parse_rule(text)] = None
        except IgnoreRuleError:
            continue
    return tuple(out)


def dotted(path: IgnorePath) -> str:
    return ".".join(path)


def covered(path: tuple[str | int, ...], rules: Iterable[IgnorePath]) -> bool:
    """Whether a field path is at or below one of ``rules``."""
    return any(tuple(path[: len(rule)]) == rule for rule in rules)


_MISSING = object()


def _get(data: Any, path: IgnorePath) -> Any:
    for part in path:
        if not (isinstance(data, dict) and part in data):
            return _MISSING
        data = data[part]
    return data


def keep_live(
    after: Canonical, live: Canonical, paths: Iterable[IgnorePath]
) -> tuple[Canonical, tuple[IgnorePath, ...]]:
    """``after`` with every ignored field as ``live`` holds it (absent when live has none),
    and the ignored paths whose values differed (what the plan says it ignored)."""
    out = after
    differed: list[IgnorePath] = []
    for path in paths:
        desired, current = _get(out, path), _get(live, path)
        if desired == current:
            continue
        if out is after:
            out = copy.deepcopy(after)
        differed.append(path)
        _put(out, path, current)
    return out, tuple(differed)


def _put(data: dict[str, Any], path: IgnorePath, value: Any) -> None:
    """Set (or, for ``_MISSING``, remove) the field at ``path``, making the mappings above
    it when they are missing."""
    *above, last = path
    for part in above:
        child = data.get(part)
        if not isinstance(child, dict):
            if value is _MISSING:
                return
            child = data[part] = {}
        data = child
    if value is _MISSING:
        data.pop(last, None)
    else:
        data[last] = copy.deepcopy(value)
