"""How stored definitions look on the wire: Action, listings, flattened schemas, query parsing."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from reconciler.sandbox.problems import bad_request

ACTIONS_BASE = "/api/v2/integrations/actions"
SCHEMA_FILES = {
    "inputschema.json": ("input", "inputSchema"),
    "successschema.json": ("output", "successSchema"),
    "errorschema.json": ("output", "errorSchema"),
}
TEMPLATE_FILES = {
    "requesttemplate.vm": ("request", "requestTemplate"),
    "successtemplate.vm": ("response", "successTemplate"),
}


def action_base(action_id: str, *, draft: bool) -> str:
    """The URI of an action, or of its draft."""
    return f"{ACTIONS_BASE}/{action_id}" + ("/draft" if draft else "")


def render_action(
    action_id: str,
    defn: Mapping[str, Any],
    *,
    draft: bool,
    contract: bool = False,
    config: bool = False,
    flatten: bool = False,
    inline_templates: bool = False,
) -> dict[str, Any]:
    """An ``Action``: contract only with expand=contract, config only with includeConfig."""
    base = action_base(action_id, draft=draft)
    body: dict[str, Any] = {
        "id": action_id,
        "name": defn["name"],
        "integrationId": defn["integrationId"],
        "category": defn["category"],
        "version": defn["version"],
        "secure": defn["secure"],
        "selfUri": base,
    }
    if contract:
        body["contract"] = _render_contract(defn["contract"], base, flatten)
    if config:
        body["config"] = _render_config(defn["config"], base, inline_templates)
    return body


def _render_contract(contract: Mapping[str, Any], base: str, flatten: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"input": {}, "output": {}}
    for file_name, (part, key) in SCHEMA_FILES.items():
        schema = contract[part].get(key)
        if schema is None:
            continue
        if flatten:
            result[part][f"{key}Flattened"] = flatten_schema(schema)
        else:
            result[part][key] = copy.deepcopy(schema)
        result[part][f"{key}Uri"] = f"{base}/schemas/{file_name}"
    return result


def _render_config(config: Mapping[str, Any], base: str, inline: bool) -> dict[str, Any]:
    result = copy.deepcopy(dict(config))
    for file_name, (part, key) in TEMPLATE_FILES.items():
        section = result[part]
        section[f"{key}Uri"] = f"{base}/templates/{file_name}"
        if not inline:
            section.pop(key, None)
    return result


def flatten_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A ``FlattenedJsonSchemaDocument``: nested object properties become dotted names."""
    properties: dict[str, Any] = {}
    arrays: list[str] = []

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for name, spec in sorted((node.get("properties") or {}).items()):
            path = f"{prefix}{name}"
            if isinstance(spec, dict) and spec.get("type") == "object" and "properties" in spec:
                walk(spec, f"{path}.")
                continue
            if isinstance(spec, dict) and spec.get("type") == "array":
                arrays.append(path)
            properties[path] = copy.deepcopy(spec)

    walk(schema, "")
    flat = {k: copy.deepcopy(v) for k, v in schema.items() if k != "properties"}
    flat["properties"] = properties
    return {"schema": flat, "arrayProperties": sorted(arrays)}


def parse_bool(query: Mapping[str, str], name: str, default: bool = False) -> bool:
    """A ``true``/``false`` query parameter; 400 ``invalid.value`` otherwise."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise bad_request(f"{name} must be true or false", code="invalid.value", field=name)


def parse_int(query: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    """A positive integer query parameter; 400 ``invalid.value`` otherwise."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise bad_request(
            f"{name} must be an integer of at least {minimum}", code="invalid.value", field=name
        )
    return value


def sort_entities(
    entities: list[dict[str, Any]],
    sort_by: str | None,
    sort_order: str | None,
    allowed: Sequence[str],
) -> list[dict[str, Any]]:
    """Sort by a root-level field (default ``name``, ties by id), ASC or DESC."""
    key = sort_by or "name"
    if key not in allowed:
        raise bad_request(f"sortBy must be one of {', '.join(allowed)}", field="sortBy")
    order = (sort_order or "ASC").upper()
    if order not in ("ASC", "DESC"):
        raise bad_request("sortOrder must be ASC or DESC", field="sortOrder")

    def sort_key(item: dict[str, Any]) -> tuple[str, str]:
        value = item.get(key)
        return (str(value).lower() if value is not None else "", str(item.get("id", "")))

    return sorted(entities, key=sort_key, reverse=order == "DESC")


def paginate(
    entities: Sequence[Any],
    query: Mapping[str, str],
    path: str,
    *,
    max_page_size: int,
    uris: bool = True,
    render: Callable[[list[Any]], list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """An entity listing page: entities, pageSize, pageNumber, total, pageCount and URIs.
    ``render`` turns the page's window of ``entities`` (ids, say) into what it lists."""
    page_size = parse_int(query, "pageSize", 25)
    if page_size > max_page_size:
        raise bad_request(
            f"pageSize must not be greater than {max_page_size}",
            code="invalid.value",
            field="pageSize",
        )
    page_number = parse_int(query, "pageNumber", 1)
    total = len(entities)
    page_count = math.ceil(total / page_size)
    window = list(entities[(page_number - 1) * page_size : page_number * page_size])
    listing: dict[str, Any] = {
        "entities": render(window) if render else window,
        "pageSize": page_size,
        "pageNumber": page_number,
        "total": total,
        "pageCount": page_count,
    }
    if not uris:
        return listing
    kept = [(k, v) for k, v in query.items() if k not in ("pageSize", "pageNumber")]

    def uri(number: int) -> str:
        return f"{path}?" + urlencode([("pageSize", page_size), ("pageNumber", number), *kept])

    listing.update(firstUri=uri(1), selfUri=uri(page_number), lastUri=uri(max(page_count, 1)))
    if page_number < page_count:
        listing["nextUri"] = uri(page_number + 1)
    if 1 < page_number <= page_count + 1:
        listing["previousUri"] = uri(page_number - 1)
    return listing
