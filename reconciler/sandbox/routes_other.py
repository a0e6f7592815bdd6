"""``/oauth/token``, ``/api/v2/integrations``, ``/api/v2/organizations/me`` and the
``/sandbox/*`` control endpoints."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.sandbox.auth import parse_basic
from reconciler.sandbox.limits import parse_fault
from reconciler.sandbox.problems import ApiProblem, bad_request, dumps, json_response, not_found
from reconciler.sandbox.runtime import read_json, runtime_of
from reconciler.sandbox.views import paginate

MAX_INTEGRATION_IDS = 100


async def oauth_token(request: Request) -> Response:
    """Client credentials: HTTP Basic auth and ``grant_type=client_credentials``."""
    # Parsed by hand: Starlette's form parser would need the python-multipart package.
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("latin-1")).items()}
    grant = form.get("grant_type")
    credentials = parse_basic(request.headers.get("authorization"))
    if credentials is None and "client_id" in form:
        credentials = (form["client_id"], form.get("client_secret", ""))
    if grant != "client_credentials":
        raise ApiProblem(400, "unsupported_grant_type", "grant_type must be client_credentials")
    if credentials is None:
        raise ApiProblem(401, "bad.credentials", "Client credentials are required (HTTP Basic).")
    body = runtime_of(request).tokens.issue(*credentials)
    # Token responses must not be cached by intermediaries (RFC 6749 §5.1).
    return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


async def list_integrations(request: Request) -> Response:
    """GET /api/v2/integrations with paging and ``integrationType``/``ids`` filters."""
    runtime = runtime_of(request)
    query = request.query_params
    wanted_type = query.get("integrationType")
    ids_raw = query.get("ids")
    ids = {i.strip() for i in ids_raw.split(",") if i.strip()} if ids_raw else None
    if ids is not None and len(ids) > MAX_INTEGRATION_IDS:
        raise bad_request(f"ids must not list more than {MAX_INTEGRATION_IDS} ids", field="ids")
    selected = [
        item
        for item in runtime.store.integrations()
        if (not wanted_type or item["integrationType"]["id"] == wanted_type)
        and (ids is None or item["id"] in ids)
    ]
    selected.sort(key=lambda item: (item["name"].lower(), item["id"]))
    return json_response(
        paginate(
            selected, query, "/api/v2/integrations", max_page_size=runtime.config.max_page_size
        )
    )


async def get_integration(request: Request) -> Response:
    """GET /api/v2/integrations/{integrationId}."""
    integration_id = request.path_params["integrationId"]
    found = runtime_of(request).store.integration(integration_id)
    if found is None:
        raise not_found(f"Unable to find integration with id {integration_id}")
    return json_response(found)


async def get_organization(request: Request) -> Response:
    """GET /api/v2/organizations/me: the ``Organization`` of the caller (official Python SDK,
    build/docs/OrganizationApi.md ``get_organizations_me``, "Requires no permissions";
    fields from build/docs/Organization.md; only some are served). Name and id come from the
    sandbox config; the selfUri shape is assumed, like the other resources' selfUri."""
    config = runtime_of(request).config
    return json_response(
        {
            "id": config.org_id,
            "name": config.org_name,
            "thirdPartyOrgName": "dactl-sandbox",
            "domain": "dactl-sandbox",
            "version": 1,
            "state": "active",
            "selfUri": f"/api/v2/organizations/{config.org_id}",
        }
    )


async def get_requests(request: Request) -> Response:
    """GET /sandbox/requests: recent API requests in arrival order, with the sandbox clock."""
    return json_response({"requests": runtime_of(request).stats.log()})


async def get_stats(request: Request) -> Response:
    """GET /sandbox/stats: counts by ``METHOD /route/template``."""
    return json_response(runtime_of(request).stats.snapshot())


async def get_faults(request: Request) -> Response:
    """GET /sandbox/faults: the rules with requests left."""
    return json_response({"faults": runtime_of(request).faults.list()})


async def add_fault(request: Request) -> Response:
    """POST /sandbox/faults: register one rule."""
    runtime = runtime_of(request)
    runtime.faults.add(parse_fault(await read_json(request)))
    return json_response({"faults": runtime.faults.list()})


async def clear_faults(request: Request) -> Response:
    """DELETE /sandbox/faults."""
    runtime_of(request).faults.clear()
    return Response(status_code=204)


async def reset(request: Request) -> Response:
    """POST /sandbox/reset: seed state, no faults, no stats."""
    runtime_of(request).reset()
    return Response(status_code=204)


async def get_state(request: Request) -> Response:
    """GET /sandbox/state: the whole org state as persisted."""
    return Response(dumps(runtime_of(request).store.snapshot()), media_type="application/json")


ROUTES = [
    Route("/oauth/token", oauth_token, methods=["POST"]),
    Route("/api/v2/integrations", list_integrations, methods=["GET"]),
    Route("/api/v2/integrations/{integrationId}", get_integration, methods=["GET"]),
    Route("/api/v2/organizations/me", get_organization, methods=["GET"]),
    Route("/sandbox/stats", get_stats, methods=["GET"]),
    Route("/sandbox/requests", get_requests, methods=["GET"]),
    Route("/sandbox/faults", get_faults, methods=["GET"]),
    Route("/sandbox/faults", add_fault, methods=["POST"]),
    Route("/sandbox/faults", clear_faults, methods=["DELETE"]),
    Route("/sandbox/reset", reset, methods=["POST"]),
    Route("/sandbox/state", get_state, methods=["GET"]),
]
