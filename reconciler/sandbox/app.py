"""``create_app(config)``: the sandbox as a Starlette ASGI application."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox import (
    routes_actions,
    routes_dependencies,
    routes_functions,
    routes_other,
)
from reconciler.sandbox.auth import Clock
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.middleware import SandboxMiddleware
from reconciler.sandbox.problems import STATUS_CODES, ApiProblem, json_response
from reconciler.sandbox.runtime import Runtime


async def _problem_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    return json_response(exc.body(request.state.correlation_id), exc.status, exc.headers)


async def _http_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {404: f"Unable to find {request.url.path}", 405: "Method not allowed"}.get(
        exc.status_code, str(exc.detail)
    )
    problem = ApiProblem(exc.status_code, STATUS_CODES.get(exc.status_code, "bad.request"), message)
    return await _problem_handler(request, problem)


def create_app(config: SandboxConfig | None = None, *, clock: Clock | None = None) -> Starlette:
    """A sandbox app with its own state; ``app.state.sandbox`` is its :class:`Runtime`."""
    config = config or SandboxConfig()
    runtime = Runtime(config, clock) if clock is not None else Runtime(config)
    routes = [
        *routes_functions.ROUTES,
        *routes_actions.ROUTES,
        *routes_dependencies.ROUTES,
        *routes_other.ROUTES,
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SandboxMiddleware, runtime=runtime, routes=routes)],
        exception_handlers={ApiProblem: _problem_handler, HTTPException: _http_handler},
    )
    app.state.sandbox = runtime
    return app
