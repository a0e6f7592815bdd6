"""One canonical form for desired and live actions, and field-level differences between them.

Normalization happens here and nowhere else: server-owned fields (``id``, ``version``,
``selfUri``, the ``*Uri`` and ``*Flattened`` fields beside schemas and templates) are
dropped, default templates equal absent ones, contract schemas are compared as data, and
the integration is named by id on both sides.
The canonical form uses the field names of our YAML files (``config`` flattened), so a
change's path reads the same as the file a reviewer edits.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from deepdiff import DeepDiff

from reconciler.config.model import (
    DEFAULT_REQUEST_TEMPLATE,
    DEFAULT_SUCCESS_TEMPLATE,
    FUNCTION_DEFAULT_TIMEOUT,
    ActionSpec,
)
from reconciler.packages import identity_in_name

Canonical = dict[str, Any]
FieldPath = tuple[str | int, ...]


class _Missing:
    """Marks a side of a change where the field is absent."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<absent>"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class FieldChange:
    """One changed field: its path in the canonical form and the values on each side."""

    path: FieldPath
    before: Any
    after: Any

    @property
    def dotted(self) -> str:
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + part
        return out

    @property
    def top(self) -> str:
        return str(self.path[0])


def canonical_desired(spec: ActionSpec, integration_id: str, integration_name: str) -> Canonical:
    """The canonical form of a desired action, its integration already resolved.

    An unset category defaults to the integration name, the Genesys convention.
    """
    out = _canonical(
        name=spec.name,
        integration_id=integration_id,
        category=spec.category or integration_name,
        secure=spec.secure,
        timeout=spec.timeout_seconds,
        contract_input=spec.contract_input,
        contract_output=spec.contract_output,
        request=spec.request,
        response=spec.response,
    )
    if spec.function is not None:
        fn = spec.function
        out["function"] = _function(
            fn.handler, fn.runtime, fn.timeout_seconds, fn.description, fn.identity
        )
    return out


def canonical_live(action: dict[str, Any], integration_names: dict[str, str]) -> Canonical:
    """The canonical form of a live action (API shape, templates already inlined).

    A Function action carries its ``FunctionConfig`` (``GET .../{id}/function``) under
    ``FUNCTION_KEY``, which the live fetch adds; the Action itself has no such field.
    """
    config = action.get("config") or {}
    contract = action.get("contract") or {}
    integration_id = str(action.get("integrationId", ""))
    out = _canonical(
        name=action.get("name", ""),
        integration_id=integration_id,
        category=action.get("category") or integration_names.get(integration_id),
        secure=bool(action.get("secure", False)),
        timeout=config.get("timeoutSeconds"),
        contract_input=(contract.get("input") or {}).get("inputSchema") or {},
        contract_output=(contract.get("output") or {}).get("successSchema") or {},
        request=config.get("request") or {},
        response=config.get("response") or {},
    )
    function_config = action.get(FUNCTION_KEY)
    if isinstance(function_config, dict):
        out["function"] = canonical_function(function_config)
    return out


FUNCTION_KEY = "dactl:functionConfig"


def canonical_function(function_config: dict[str, Any]) -> dict[str, Any]:
    """The canonical ``function`` part of a live ``FunctionConfig``: its settings, and its
    code package named by the identity dactl put in the uploaded file's name (the name
    itself, marked, when someone else uploaded it; None when there is no package)."""
    fn = _mapping(function_config.get("function"))
    zip_config = _mapping(function_config.get("zip"))
    package = None
    name = zip_config.get("name")
    if isinstance(name, str) and name:
        package = identity_in_name(name) or f"uploaded outside dactl: {name}"
    return _function(
        fn.get("handler") or "",
        fn.get("runtime") or "",
        fn.get("timeoutSeconds"),
        fn.get("description"),
        package,
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _function(
    handler: str,
    runtime: str,
    timeout: int | None,
    description: str | None,
    package: str | None,
) -> dict[str, Any]:
    return {
        "handler": handler,
        "runtime": runtime,
        # Absent means the platform default (SDK Function.timeoutSeconds: default 15).
        "timeoutSeconds": FUNCTION_DEFAULT_TIMEOUT if timeout is None else timeout,
        "description": description or "",
        "package": package,
    }


def _canonical(
    *,
    name: str,
    integration_id: str,
    category: str | None,
    secure: bool,
    timeout: int | None,
    contract_input: dict[str, Any],
    contract_output: dict[str, Any],
    request: dict[str, Any],
    response: dict[str, Any],
) -> Canonical:
    out: Canonical = {
        "name": name,
        "integrationId": integration_id,
        "category": category,
        "secure": secure,
        "timeoutSeconds": timeout,
        "contract": {"input": _schema(contract_input), "output": _schema(contract_output)},
        "request": {
            "requestUrlTemplate": request.get("requestUrlTemplate", ""),
            "requestType": request.get("requestType", ""),
            "headers": dict(request.get("headers") or {}),
            "requestTemplate": request.get("requestTemplate") or DEFAULT_REQUEST_TEMPLATE,
        },
        "response": {
            "translationMap": dict(response.get("translationMap") or {}),
            "translationMapDefaults": dict(response.get("translationMapDefaults") or {}),
            "successTemplate": response.get("successTemplate") or DEFAULT_SUCCESS_TEMPLATE,
        },
    }
    return out


def _schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A contract schema as comparable data, ``required`` lists in a stable order.

    Nothing inside a schema is server-owned: the API's ``inputSchemaUri`` and
    ``*Flattened`` copies sit beside the schema, and ``canonical_live`` never reads them.
    So a property named ``callbackUri`` is user data and stays.
    """
    clean = _sort_required(copy.deepcopy(schema))
    return clean if isinstance(clean, dict) else {}


def _sort_required(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: sorted(value, key=str)  # a set in meaning; order is noise
            if key == "required" and isinstance(value, list)
            else _sort_required(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_sort_required(v) for v in node]
    return node


def diff(before: Canonical, after: Canonical) -> list[FieldChange]:
    """Field-level changes from ``before`` to ``after``; a changed list is one change."""
    found = DeepDiff(before, after, view="tree", verbose_level=2)
    changes: dict[FieldPath, FieldChange] = {}
    for items in found.values():
        for item in items:
            path: FieldPath = tuple(item.path(output_format="list"))
            cut = next((i for i, part in enumerate(path) if isinstance(part, int)), None)
            if cut is not None:
                path = path[:cut]
            changes[path] = FieldChange(path, _get(before, path), _get(after, path))
    return [changes[p] for p in sorted(changes, key=lambda p: [str(x) for x in p])]


def _get(data: Any, path: FieldPath) -> Any:
    for part in path:  # paths stop above list items, so only mappings are walked
        if not (isinstance(data, dict) and part in data):
            return MISSING
        data = data[part]
    return copy.deepcopy(data)


def content_hash(canonical: Canonical) -> str:
    """A stable hash of a canonical action (sorted-key JSON, SHA-256)."""
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
