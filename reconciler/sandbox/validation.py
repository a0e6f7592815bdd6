"""Limit and contract checks of docs/genesys-api-notes.md, reported as Genesys error bodies."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

# No stubs ship with jsonschema; unused-ignore keeps this clean once stubs are added.
from jsonschema import Draft4Validator  # type: ignore[import-untyped,unused-ignore]
from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped,unused-ignore]

from reconciler.sandbox.problems import ApiProblem

MAX_TEXT = 256
MIN_TIMEOUT, MAX_TIMEOUT = 1, 60
MAX_DEPTH = 50
REQUEST_TYPES = ("DELETE", "GET", "PATCH", "POST", "PUT")
INPUT_TYPES = frozenset({"string", "integer", "number", "boolean", "null"})
INPUT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
RESERVED_INPUT_NAMES = frozenset({"orgId", "integrationId", "rawRequest"})
DEFAULT_REQUEST_TEMPLATE = "${input.rawRequest}"
DEFAULT_SUCCESS_TEMPLATE = "${rawResult}"


def problem(messages: list[tuple[str, str]], code: str = "bad.request") -> ApiProblem:
    """One 400 ErrorBody carrying every (field, message) pair; the first one is the headline."""
    errors = [
        {"message": msg, "code": code, "status": 400, "details": [{"fieldName": fld}]}
        for fld, msg in messages
    ]
    details = [{"errorCode": code, "fieldName": fld} for fld, _ in messages]
    return ApiProblem(400, code, messages[0][1], details=details, errors=errors)


def check_text(body: Mapping[str, Any], key: str, *, required: bool) -> list[tuple[str, str]]:
    """``name``/``category``: a string of 1..256 characters."""
    if key not in body or body[key] is None:
        return [(key, f"{key} is required")] if required else []
    value = body[key]
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_TEXT:
        return [(key, f"{key} must be a string of 1 to {MAX_TEXT} characters")]
    return []


def check_config(config: Any, *, url_required: bool = True) -> list[tuple[str, str]]:
    """``config``: timeout range, request type enum, string maps.

    Function integrations own the request URL (read-only), so theirs is optional.
    """
    if not isinstance(config, dict):
        return [("config", "config is required and must be an object")]
    found: list[tuple[str, str]] = []
    timeout = config.get("timeoutSeconds")
    if timeout is not None and (
        isinstance(timeout, bool)
        or not isinstance(timeout, int)
        or not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT
    ):
        found.append(
            (
                "config.timeoutSeconds",
                f"timeoutSeconds must be an integer between {MIN_TIMEOUT} and {MAX_TIMEOUT}",
            )
        )
    request = config.get("request")
    if not isinstance(request, dict):
        return [*found, ("config.request", "config.request is required")]
    url = request.get("requestUrlTemplate")
    if not isinstance(url, str) if url_required else url is not None and not isinstance(url, str):
        found.append(("config.request.requestUrlTemplate", "requestUrlTemplate is required"))
    if request.get("requestType") not in REQUEST_TYPES:
        found.append(
            (
                "config.request.requestType",
                f"requestType must be one of {', '.join(REQUEST_TYPES)}",
            )
        )
    found += _string_map(request.get("headers"), "config.request.headers")
    response = config.get("response")
    if response is not None and not isinstance(response, dict):
        return [*found, ("config.response", "config.response must be an object")]
    for key in ("translationMap", "translationMapDefaults"):
        found += _string_map((response or {}).get(key), f"config.response.{key}")
    for key, holder in (("requestTemplate", request), ("successTemplate", response or {})):
        if holder.get(key) is not None and not isinstance(holder[key], str):
            found.append((key, f"{key} must be a string"))
    return found


def _string_map(value: Any, name: str) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        return [(name, f"{name} must map names to strings")]
    return []


def check_contract(contract: Any) -> list[tuple[str, str]]:
    """``contract``: input flat with allowed names and types, output without nested arrays."""
    if not isinstance(contract, dict):
        return [("contract", "contract is required and must be an object")]
    input_part = contract.get("input")
    output_part = contract.get("output")
    input_schema = input_part.get("inputSchema") if isinstance(input_part, dict) else None
    success = output_part.get("successSchema") if isinstance(output_part, dict) else None
    found: list[tuple[str, str]] = []
    if not isinstance(input_schema, dict):
        found.append(("contract.input.inputSchema", "contract.input.inputSchema is required"))
    if not isinstance(success, dict):
        found.append(("contract.output.successSchema", "contract.output.successSchema is required"))
    if found:
        return found
    assert isinstance(input_schema, dict) and isinstance(success, dict)
    error_schema = output_part.get("errorSchema") if isinstance(output_part, dict) else None
    schemas = {"inputSchema": input_schema, "successSchema": success}
    if error_schema is not None:
        schemas["errorSchema"] = error_schema
    for name, schema in schemas.items():
        found += _check_schema_document(name, schema)
    found += _check_input(input_schema)
    for name in ("successSchema", "errorSchema"):
        if isinstance(schemas.get(name), dict) and _has_nested_array(schemas[name]):
            found.append((f"contract.output.{name}", f"{name} must not contain nested arrays"))
    return found


def _check_schema_document(name: str, schema: Any) -> list[tuple[str, str]]:
    if not isinstance(schema, dict):
        return [(name, f"{name} must be an object")]
    found: list[tuple[str, str]] = []
    if depth(schema) > MAX_DEPTH:
        found.append((name, f"{name} is nested deeper than {MAX_DEPTH} levels"))
        return found
    if any(key == "$ref" for key in _keys(schema)):
        found.append((name, f"{name} must not use $ref"))
    try:
        Draft4Validator.check_schema(schema)
    except SchemaError as exc:
        found.append((name, f"{name} is not a valid JSON Schema (draft 4): {exc.message}"))
    return found


def _check_input(schema: dict[str, Any]) -> list[tuple[str, str]]:
    where = "contract.input.inputSchema"
    found: list[tuple[str, str]] = []
    if schema.get("type", "object") != "object":
        found.append((where, "inputSchema must be of type object"))
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        return [*found, (where, "inputSchema.properties must be an object")]
    for prop, spec in sorted(properties.items()):
        if not INPUT_NAME.match(prop):
            found.append((f"{where}.properties.{prop}", f"input property name {prop!r} is invalid"))
        if prop in RESERVED_INPUT_NAMES:
            found.append(
                (f"{where}.properties.{prop}", f"input property name {prop!r} is reserved")
            )
        kinds = spec.get("type") if isinstance(spec, dict) else None
        kinds_list = kinds if isinstance(kinds, list) else [kinds]
        if kinds is not None and not set(kinds_list) <= INPUT_TYPES:
            found.append(
                (
                    f"{where}.properties.{prop}",
                    f"input property {prop!r} must be a flat type "
                    "(string, integer, number, boolean or null)",
                )
            )
    return found


def _has_nested_array(node: Any, inside_array: bool = False) -> bool:
    if isinstance(node, list):
        return any(_has_nested_array(item, inside_array) for item in node)
    if not isinstance(node, dict):
        return False
    is_array = node.get("type") == "array" or (
        isinstance(node.get("type"), list) and "array" in node["type"]
    )
    if is_array and inside_array:
        return True
    return any(
        _has_nested_array(value, inside_array or (is_array and key == "items"))
        for key, value in node.items()
        if isinstance(value, dict | list)
    )


def _keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item)


def depth(node: Any) -> int:
    """JSON nesting depth: a scalar is 0, ``{}`` or ``[]`` is 1."""
    stack: list[tuple[Any, int]] = [(node, 0)]
    deepest = 0
    while stack:
        current, level = stack.pop()
        if isinstance(current, dict | list):
            level += 1
            deepest = max(deepest, level)
            values = current.values() if isinstance(current, dict) else current
            stack.extend((value, level) for value in values)
    return deepest


def check_version(body: Mapping[str, Any]) -> int:
    """The required ``version`` of an update or publish body."""
    version = body.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise problem([("version", "version is required and must be an integer")])
    return version


def normalize_config(config: dict[str, Any]) -> dict[str, Any]:
    """Fill in what Genesys stores when a client leaves it out (templates, empty maps)."""
    request = dict(config.get("request") or {})
    response = dict(config.get("response") or {})
    request.pop("requestTemplateUri", None)
    response.pop("successTemplateUri", None)
    request.setdefault("headers", {})
    if request.get("requestTemplate") is None:
        request["requestTemplate"] = DEFAULT_REQUEST_TEMPLATE
    for key in ("translationMap", "translationMapDefaults"):
        if response.get(key) is None:
            response[key] = {}
    if response.get("successTemplate") is None:
        response["successTemplate"] = DEFAULT_SUCCESS_TEMPLATE
    result: dict[str, Any] = {"request": request, "response": response}
    if config.get("timeoutSeconds") is not None:
        result["timeoutSeconds"] = config["timeoutSeconds"]
    return result


def normalize_contract(contract: dict[str, Any]) -> dict[str, Any]:
    """Keep only the writable schemas; URIs and flattened variants are server-owned."""
    output = contract["output"]
    result: dict[str, Any] = {
        "input": {"inputSchema": contract["input"]["inputSchema"]},
        "output": {"successSchema": output["successSchema"]},
    }
    if output.get("errorSchema") is not None:
        result["output"]["errorSchema"] = output["errorSchema"]
    return result
