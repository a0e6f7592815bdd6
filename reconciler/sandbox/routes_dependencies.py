"""Architect dependency-tracking endpoints, and the control endpoints that register flows
(``reconciler.sandbox.dependencies``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.sandbox.problems import ApiProblem, json_response
from reconciler.sandbox.runtime import Runtime, read_json, runtime_of
from reconciler.sandbox.views import paginate

BASE = "/api/v2/architect/dependencytracking"


def _secure_of(runtime: Runtime, action_id: str) -> bool | None:
    try:
        _, defn = runtime.store.get(action_id, draft=False)
    except ApiProblem:
        return None
    return bool(defn.get("secure"))


async def consuming_resources(request: Request) -> Response:
    """GET .../consumingresources: a ``ConsumingResourcesEntityListing``."""
    runtime = runtime_of(request)
    query = request.query_params
    found = runtime.dependencies.consumers(
        query, query.getlist("resourceType"), lambda ident: _secure_of(runtime, ident)
    )
    path = f"{BASE}/consumingresources"
    return json_response(paginate(found, query, path, max_page_size=runtime.config.max_page_size))


async def build_status(request: Request) -> Response:
    """GET .../build: a ``DependencyStatus``."""
    return json_response(runtime_of(request).dependencies.build())


async def set_build_status(request: Request) -> Response:
    """PUT /sandbox/dependencytracking/build ``{"status": "OPERATIONALNEEDSREBUILD"}``."""
    runtime = runtime_of(request)
    body = await read_json(request)
    runtime.dependencies.set_build_status(body.get("status") if isinstance(body, dict) else None)
    return json_response(runtime.dependencies.build())


async def add_flow(request: Request) -> Response:
    """POST /sandbox/flows: register a flow as a consumer of action ids."""
    flow = runtime_of(request).dependencies.register(await read_json(request))
    return json_response(flow.to_dict())


async def list_flows(request: Request) -> Response:
    """GET /sandbox/flows: the registered flows."""
    flows = runtime_of(request).dependencies.flows.values()
    return json_response({"flows": [f.to_dict() for f in flows]})


async def clear_flows(request: Request) -> Response:
    """DELETE /sandbox/flows."""
    runtime_of(request).dependencies.clear()
    return Response(status_code=204)


ROUTES = [
    Route(f"{BASE}/consumingresources", consuming_resources, methods=["GET"]),
    Route(f"{BASE}/build", build_status, methods=["GET"]),
    Route("/sandbox/dependencytracking/build", set_build_status, methods=["PUT"]),
    Route("/sandbox/flows", add_flow, methods=["POST"]),
    Route("/sandbox/flows", list_flows, methods=["GET"]),
    Route("/sandbox/flows", clear_flows, methods=["DELETE"]),
]
