"""The canonical form of an action: what dactl compares, one shape for desired and live.

Normalization happens here and nowhere else: server-owned fields (``id``, ``version``,
``selfUri``, the ``*Uri`` and ``*Flattened`` fields beside schemas and templates) are never
part of it, default templates equal absent ones, contract schemas are data with their
``required`` lists in a stable order, and the integration is named by id. The form uses
the field names of our YAML files (``config`` flattened), so a change's path reads the
same as the file a reviewer edits. Reading the Genesys wire shape into this form is
``reconciler.genesys.wire``'s job.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from reconciler.config.model import (
    DEFAULT_REQUEST_TEMPLATE,
    DEFAULT_SUCCESS_TEMPLATE,
    FUNCTION_DEFAULT_TIMEOUT,
    ActionSpec,
)

Canonical = dict[str, Any]


def canonical_desired(spec: ActionSpec, integration_id: str, integration_name: str) -> Canonical:
    """The canonical form of a desired action, its integration already resolved.

    An unset category defaults to the integration name, the Genesys convention.
    """
    out = build(
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
        out["function"] = function_part(
            fn.handler, fn.runtime, fn.timeout_seconds, fn.description, fn.identity
        )
    return out


def build(
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
    """A canonical action from its parts (in the API's field names)."""
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
    ``*Flattened`` copies sit beside the schema, and the wire decoding never reads them.
    So a property named ``callbackUri`` is user data and stays.
    """
    clean = _sort_required(schema)  # a new structure: nothing of ``schema`` is shared
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


def function_part(
    handler: str,
    runtime: str,
    timeout: int | None,
    description: str | None,
    package: str | None,
) -> dict[str, Any]:
    """The canonical ``function`` part of a Function action."""
    return {
        "handler": handler,
        "runtime": runtime,
        # Absent means the platform default (SDK Function.timeoutSeconds: default 15).
        "timeoutSeconds": FUNCTION_DEFAULT_TIMEOUT if timeout is None else timeout,
        "description": description or "",
        "package": package,
    }


def content_hash(canonical: Canonical) -> str:
    """A stable hash of a canonical action (sorted-key JSON, SHA-256)."""
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
