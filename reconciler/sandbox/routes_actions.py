"""Endpoints under ``/api/v2/integrations/actions`` (docs/genesys-api-notes.md, rows 1-21)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from reconciler.sandbox import execution
from reconciler.sandbox.problems import bad_request, json_response, not_found
from reconciler.sandbox.runtime import read_json, read_object, runtime_of
from reconciler.sandbox.views import (
    ACTIONS_BASE,
    SCHEMA_FILES,
    TEMPLATE_FILES,
    paginate,
    parse_bool,
    render_action,
    sort_entities,
)

MAX_IDS = 50
SORT_FIELDS = ("category", "id", "integrationId", "name", "secure", "version")


def _action_response(
    request: Request, action_id: str, defn: dict[str, Any], *, draft: bool, full: bool = False
) -> Response:
    """Render one action; writes answer with contract and config, reads as the query asks."""
    query = request.query_params
    expand = {part.strip() for part in query.get("expand", "").split(",") if part.strip()}
    body = render_action(
        action_id,
        defn,
        draft=draft,
        contract=full or "contract" in expand,
        config=full or parse_bool(query, "includeConfig"),
        flatten=parse_bool(query, "flatten"),
        inline_templates=runtime_of(request).config.inline_templates,
    )
    return json_response(body)


def _listing(request: Request, *, drafts: bool) -> Response:
    """A page of a listing: the listing's ids are chosen and sorted once (the store keeps
    them until the next write), and only the page's actions are read and rendered."""
    runtime = runtime_of(request)
    query = request.query_params
    include_config = parse_bool(query, "includeConfig")
    include_auth = parse_bool(query, "includeAuthActions")
    ids_raw = query.get("ids")
    ids = frozenset(i.strip() for i in ids_raw.split(",") if i.strip()) if ids_raw else None
    if ids is not None and len(ids) > MAX_IDS:
        raise bad_request(f"ids must not list more than {MAX_IDS} ids", field="ids")
    secure = query.get("secure")
    secure_value = parse_bool(query, "secure") if secure else None
    name = query.get("name")
    case_sensitive = runtime.config.name_filter_case_sensitive
    category = query.get("category")
    sort_by, sort_order = query.get("sortBy"), query.get("sortOrder")

    def select(entries: Iterable[tuple[str, str, dict[str, Any]]]) -> list[str]:
        selected: list[dict[str, Any]] = []
        for action_id, kind, defn in entries:
            if kind == "customAuth" and not include_auth:
                continue
            if ids is not None and action_id not in ids:
                continue
            if category and defn["category"] != category:
                continue
            if secure_value is not None and defn["secure"] != secure_value:
                continue
            if name and not _name_matches(name, defn["name"], case_sensitive):
                continue
            selected.append({**defn, "id": action_id})  # a shallow copy, for sorting
        return [e["id"] for e in sort_entities(selected, sort_by, sort_order, SORT_FIELDS)]

    key = (include_auth, ids, category, secure_value, name, case_sensitive, sort_by, sort_order)
    ordered = runtime.store.listing(drafts=drafts, key=key, select=select)
    inline = runtime.config.inline_templates

    def render(window: list[str]) -> list[dict[str, Any]]:
        return [
            render_action(
                action_id,
                defn,
                draft=drafts,
                contract=False,
                config=include_config,
                inline_templates=inline,
            )
            for action_id, defn in runtime.store.definitions(window, drafts=drafts)
        ]

    path = f"{ACTIONS_BASE}/drafts" if drafts else ACTIONS_BASE
    return json_response(
        paginate(ordered, query, path, max_page_size=runtime.config.max_page_size, render=render)
    )


def _name_matches(wanted: str, name: str, case_sensitive: bool) -> bool:
    return wanted in name if case_sensitive else wanted.lower() in name.lower()


async def list_actions(request: Request) -> Response:
    """GET /actions: published actions."""
    return _listing(request, drafts=False)


async def list_drafts(request: Request) -> Response:
    """GET /actions/drafts: drafts."""
    return _listing(request, drafts=True)


async def list_categories(request: Request) -> Response:
    """GET /actions/categories: distinct categories of published actions."""
    runtime = runtime_of(request)
    query = request.query_params
    secure = parse_bool(query, "secure") if query.get("secure") else None
    names = sorted(
        {
            defn["category"]
            for _, kind, defn in runtime.store.entries(drafts=False)
            if kind != "customAuth" and (secure is None or defn["secure"] == secure)
        }
    )
    ordered = sort_entities(
        [{"name": n} for n in names], query.get("sortBy"), query.get("sortOrder"), ("name",)
    )
    return json_response(
        paginate(
            ordered,
            query,
            f"{ACTIONS_BASE}/categories",
            max_page_size=runtime.config.max_page_size,
            uris=False,
        )
    )


async def create_action(request: Request) -> Response:
    """POST /actions: create and publish (200, version 1)."""
    action_id, defn = runtime_of(request).store.create(await read_object(request), draft_only=False)
    return _action_response(request, action_id, defn, draft=False, full=True)


async def create_draft_only(request: Request) -> Response:
    """POST /actions/drafts: a new action that exists only as a draft."""
    action_id, defn = runtime_of(request).store.create(await read_object(request), draft_only=True)
    return _action_response(request, action_id, defn, draft=True, full=True)


async def get_action(request: Request) -> Response:
    """GET /actions/{id}."""
    action_id = request.path_params["actionId"]
    _, defn = runtime_of(request).store.get(action_id, draft=False)
    return _action_response(request, action_id, defn, draft=False)


async def patch_action(request: Request) -> Response:
    """PATCH /actions/{id}: version-checked in-place update."""
    action_id = request.path_params["actionId"]
    defn = runtime_of(request).store.patch(action_id, await read_object(request))
    return _action_response(request, action_id, defn, draft=False, full=True)


async def delete_action(request: Request) -> Response:
    """DELETE /actions/{id}: 204."""
    runtime_of(request).store.delete(request.path_params["actionId"])
    return Response(status_code=204)


async def create_draft(request: Request) -> Response:
    """POST /actions/{id}/draft: draft from the published action."""
    action_id = request.path_params["actionId"]
    defn = runtime_of(request).store.create_draft(action_id)
    return _action_response(request, action_id, defn, draft=True, full=True)


async def get_draft(request: Request) -> Response:
    """GET /actions/{id}/draft: 404 when there is none."""
    action_id = request.path_params["actionId"]
    _, defn = runtime_of(request).store.get(action_id, draft=True)
    return _action_response(request, action_id, defn, draft=True)


async def patch_draft(request: Request) -> Response:
    """PATCH /actions/{id}/draft: version-checked against the draft's own version."""
    action_id = request.path_params["actionId"]
    defn = runtime_of(request).store.patch_draft(action_id, await read_object(request))
    return _action_response(request, action_id, defn, draft=True, full=True)


async def delete_draft(request: Request) -> Response:
    """DELETE /actions/{id}/draft: 204."""
    runtime_of(request).store.delete_draft(request.path_params["actionId"])
    return Response(status_code=204)


async def validate_draft(request: Request) -> Response:
    """GET /actions/{id}/draft/validation: DraftValidationResult."""
    runtime = runtime_of(request)
    problems = runtime.store.validate_draft(request.path_params["actionId"])
    context = request.state.correlation_id
    return json_response({"valid": not problems, "errors": [p.body(context) for p in problems]})


async def publish_draft(request: Request) -> Response:
    """POST /actions/{id}/draft/publish with ``{version}`` of the draft."""
    action_id = request.path_params["actionId"]
    defn = runtime_of(request).store.publish(action_id, await read_object(request))
    return _action_response(request, action_id, defn, draft=False, full=True)


def _run(request: Request, *, draft: bool) -> tuple[str, dict[str, Any]]:
    action_id = request.path_params["actionId"]
    _, defn = runtime_of(request).store.get(action_id, draft=draft)
    return action_id, defn


async def test_action(request: Request) -> Response:
    """POST /actions/{id}/test: TestExecutionResult (emulated, see execution.py)."""
    _, defn = _run(request, draft=False)
    return json_response(execution.run_test(defn, await read_json(request)))


async def test_draft(request: Request) -> Response:
    """POST /actions/{id}/draft/test."""
    _, defn = _run(request, draft=True)
    return json_response(execution.run_test(defn, await read_json(request)))


async def execute_action(request: Request) -> Response:
    """POST /actions/{id}/execute: the emulated final result."""
    _, defn = _run(request, draft=False)
    return json_response(execution.run_execute(defn, await read_json(request)))


def _schema(request: Request, *, draft: bool) -> Response:
    action_id, defn = _run(request, draft=draft)
    file_name = request.path_params["fileName"]
    part_key = SCHEMA_FILES.get(file_name)
    schema = defn["contract"][part_key[0]].get(part_key[1]) if part_key else None
    if schema is None:
        raise not_found(f"Unable to find schema {file_name} for action {action_id}")
    return json_response(schema)


def _template(request: Request, *, draft: bool) -> Response:
    action_id, defn = _run(request, draft=draft)
    file_name = request.path_params["fileName"]
    part_key = TEMPLATE_FILES.get(file_name)
    if part_key is None:
        raise not_found(f"Unable to find template {file_name} for action {action_id}")
    return PlainTextResponse(defn["config"][part_key[0]].get(part_key[1], ""))


async def get_schema(request: Request) -> Response:
    """GET /actions/{id}/schemas/{fileName}."""
    return _schema(request, draft=False)


async def get_draft_schema(request: Request) -> Response:
    """GET /actions/{id}/draft/schemas/{fileName}."""
    return _schema(request, draft=True)


async def get_template(request: Request) -> Response:
    """GET /actions/{id}/templates/{fileName} as text/plain."""
    return _template(request, draft=False)


async def get_draft_template(request: Request) -> Response:
    """GET /actions/{id}/draft/templates/{fileName} as text/plain."""
    return _template(request, draft=True)


_ONE = ACTIONS_BASE + "/{actionId}"

ROUTES = [
    Route(ACTIONS_BASE, list_actions, methods=["GET"]),
    Route(ACTIONS_BASE, create_action, methods=["POST"]),
    Route(f"{ACTIONS_BASE}/drafts", list_drafts, methods=["GET"]),
    Route(f"{ACTIONS_BASE}/drafts", create_draft_only, methods=["POST"]),
    Route(f"{ACTIONS_BASE}/categories", list_categories, methods=["GET"]),
    Route(_ONE, get_action, methods=["GET"]),
    Route(_ONE, patch_action, methods=["PATCH"]),
    Route(_ONE, delete_action, methods=["DELETE"]),
    Route(f"{_ONE}/draft", get_draft, methods=["GET"]),
    Route(f"{_ONE}/draft", create_draft, methods=["POST"]),
    Route(f"{_ONE}/draft", patch_draft, methods=["PATCH"]),
    Route(f"{_ONE}/draft", delete_draft, methods=["DELETE"]),
    Route(f"{_ONE}/draft/validation", validate_draft, methods=["GET"]),
    Route(f"{_ONE}/draft/publish", publish_draft, methods=["POST"]),
    Route(f"{_ONE}/draft/test", test_draft, methods=["POST"]),
    Route(f"{_ONE}/draft/schemas/{{fileName}}", get_draft_schema, methods=["GET"]),
    Route(f"{_ONE}/draft/templates/{{fileName}}", get_draft_template, methods=["GET"]),
    Route(f"{_ONE}/test", test_action, methods=["POST"]),
    Route(f"{_ONE}/execute", execute_action, methods=["POST"]),
    Route(f"{_ONE}/schemas/{{fileName}}", get_schema, methods=["GET"]),
    Route(f"{_ONE}/templates/{{fileName}}", get_template, methods=["GET"]),
]
