"""The shapes of the API's answers, checked where they are decoded.

Everything past the ``genesys`` package indexes answers freely (``summary["id"]``,
``config.get("request")``), so an answer of the wrong shape is stopped here, with a
``ShapeProblem`` saying what is wrong in JSON terms (``entities[3] has no id``); the client
turns it into a ``ResponseShapeError`` naming the call. Only what dactl relies on is
checked: ids and versions (keys of the cache, of the plan, of every write), and the
objects the canonical form reads into.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from .text import printable, printable_data

# Genesys ids are UUIDs, or ``custom_-_<uuid>`` and the like for actions: printable ASCII.
_ID = re.compile(r"[!-~]{1,256}")
_MAX_VERSION = 2**63 - 1

Shape = Callable[[Any], Any]


class ShapeProblem(ValueError):
    """What is wrong with an answer, e.g. ``entities[3] has no id``."""


def kind(value: Any) -> str:
    """A value's JSON type, as the message names it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def obj(value: Any, where: str = "the answer") -> dict[str, Any]:
    """``value`` when it is a JSON object."""
    if not isinstance(value, dict):
        raise ShapeProblem(f"{where} is {kind(value)}, not an object")
    return value


def _optional_objects(value: dict[str, Any], where: str, keys: Iterable[str]) -> None:
    for key in keys:
        item = value.get(key)
        if item is not None and not isinstance(item, dict):
            raise ShapeProblem(f"{_at(where, key)} is {kind(item)}, not an object")


def _optional_strings(value: dict[str, Any], where: str, keys: Iterable[str]) -> None:
    for key in keys:
        item = value.get(key)
        if item is not None and not isinstance(item, str):
            raise ShapeProblem(f"{_at(where, key)} is {kind(item)}, not a string")


def _at(where: str, key: str) -> str:
    return key if where == "the answer" else f"{where}.{key}"


def identifier(value: dict[str, Any], where: str, key: str = "id") -> str:
    """The ``id`` (or ``key``) of ``value``: a printable ASCII string of 1 to 256 characters
    (it goes into URLs, cache file names and output)."""
    ident = value.get(key)
    if ident is None:
        raise ShapeProblem(f"{where} has no {key}")
    if not isinstance(ident, str):
        raise ShapeProblem(f"{_at(where, key)} is {kind(ident)}, not a string")
    if not _ID.fullmatch(ident):
        raise ShapeProblem(f"{_at(where, key)} is not a plausible id")
    return ident


def version(value: dict[str, Any], where: str) -> int:
    """The ``version`` of ``value``: a non-negative integer (not a boolean, not 2.0)."""
    number = value.get("version")
    if number is None:
        raise ShapeProblem(f"{where} has no version")
    if isinstance(number, bool) or not isinstance(number, int):
        raise ShapeProblem(f"{_at(where, 'version')} is {kind(number)}, not an integer")
    if not 0 <= number <= _MAX_VERSION:
        raise ShapeProblem(f"{_at(where, 'version')} is out of range")
    return number


def listing(*, versioned: bool) -> Shape:
    """A page of a listing: an object whose ``entities`` is an array of objects, each with
    an ``id`` (and an integer ``version`` when ``versioned``: actions and drafts)."""

    def check(body: Any) -> dict[str, Any]:
        page = obj(body)
        entities = page.get("entities")
        if not isinstance(entities, list):
            found = "no entities" if entities is None else f"entities {kind(entities)}"
            raise ShapeProblem(f"the page has {found}, not an array")
        for i, entity in enumerate(entities):
            where = f"entities[{i}]"
            obj(entity, where)
            identifier(entity, where)
            if versioned:
                version(entity, where)
                _optional_strings(entity, where, ("name", "integrationId"))
        return page

    return check


def action(expect_id: str | None = None) -> Shape:
    """One action (or draft): ``id``, ``version``, ``name``, and the objects and strings the
    canonical form reads (``config.request.headers``, the templates, the contract). With
    ``expect_id``, the id must be that one."""

    def check(body: Any) -> dict[str, Any]:
        found = obj(body)
        ident = identifier(found, "the answer")
        if expect_id is not None and ident != expect_id:
            raise ShapeProblem("the answer is another action than the one asked for")
        version(found, "the answer")
        if found.get("name") is None:
            raise ShapeProblem("the answer has no name")
        _optional_strings(found, "the answer", ("name", "integrationId", "category"))
        _optional_objects(found, "the answer", ("config", "contract"))
        config = found.get("config") or {}
        _optional_objects(config, "config", ("request", "response"))
        request = config.get("request") or {}
        _optional_objects(request, "config.request", ("headers",))
        _optional_strings(
            request, "config.request", ("requestUrlTemplate", "requestType", "requestTemplate")
        )
        response = config.get("response") or {}
        _optional_objects(response, "config.response", ("translationMap", "translationMapDefaults"))
        _optional_strings(response, "config.response", ("successTemplate",))
        contract = found.get("contract") or {}
        _optional_objects(contract, "contract", ("input", "output"))
        return found

    return check


def integration(body: Any) -> dict[str, Any]:
    """One integration: an object with an ``id``."""
    found = obj(body)
    identifier(found, "the answer")
    return found


def function_config(body: Any) -> dict[str, Any]:
    """A ``FunctionConfig``: ``function`` and ``zip`` objects (or absent), an array of
    ``uploadExceptionHistory``; the status texts it carries are made printable (they are
    only shown)."""
    found = obj(body)
    _optional_objects(found, "the answer", ("function", "zip"))
    history = found.get("uploadExceptionHistory")
    if history is not None and not isinstance(history, list):
        raise ShapeProblem(f"uploadExceptionHistory is {kind(history)}, not an array")
    for item in [found.get("zip"), *(history or [])]:
        if isinstance(item, dict):
            for key in ("status", "errorMessage"):
                if isinstance(item.get(key), str):
                    item[key] = printable(item[key])
    return found


def shown(body: Any) -> dict[str, Any]:
    """An answer that is only shown (a test run, a draft's validation): an object whose
    strings are made printable; ``errors`` and ``operations``, when present, arrays."""
    found = obj(body)
    for key in ("errors", "operations"):
        value = found.get(key)
        if value is not None and not isinstance(value, list):
            raise ShapeProblem(f"{key} is {kind(value)}, not an array")
    cleaned: dict[str, Any] = printable_data(found)
    return cleaned


def any_object(body: Any) -> dict[str, Any]:
    """Any JSON object."""
    return obj(body)
