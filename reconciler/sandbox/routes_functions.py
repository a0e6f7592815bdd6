"""Function-action endpoints (docs/genesys-api-notes.md) and the sandbox's presigned upload URL."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.sandbox.functions import UploadRefused, runtimes_listing
from reconciler.sandbox.problems import json_response
from reconciler.sandbox.runtime import read_object, runtime_of
from reconciler.sandbox.views import ACTIONS_BASE

UPLOADS = "/function-uploads"
MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # a sandbox bound, not a Genesys limit


async def get_function(request: Request) -> Response:
    """GET /actions/{id}/function: the published FunctionConfig."""
    store = runtime_of(request).store
    return json_response(store.function_config(request.path_params["actionId"], draft=False))


async def get_draft_function(request: Request) -> Response:
    """GET /actions/{id}/draft/function: the draft's FunctionConfig."""
    store = runtime_of(request).store
    return json_response(store.function_config(request.path_params["actionId"], draft=True))


async def put_draft_function(request: Request) -> Response:
    """PUT /actions/{id}/draft/function with a Function: the draft's settings."""
    store = runtime_of(request).store
    body = await read_object(request)
    return json_response(store.put_function(request.path_params["actionId"], body))


async def request_upload(request: Request) -> Response:
    """POST /actions/{id}/draft/function/upload: a FunctionUploadResponse whose URL this
    sandbox serves itself."""
    store = runtime_of(request).store
    token, answer = store.request_upload(
        request.path_params["actionId"], await read_object(request)
    )
    base = str(request.base_url).rstrip("/")
    return json_response({"url": f"{base}{UPLOADS}/{token}", **answer})


async def receive_upload(request: Request) -> Response:
    """PUT /function-uploads/{token}: the zip, sent as to object storage (no bearer token;
    the URL and the headers it was issued with are the credential)."""
    content = bytearray()
    async for chunk in request.stream():
        content += chunk
        if len(content) > MAX_UPLOAD_BYTES:
            return _refused(UploadRefused(400, "EntityTooLarge", "Your proposed upload is too big"))
    try:
        runtime_of(request).store.receive_upload(
            request.path_params["token"], dict(request.headers), bytes(content)
        )
    except UploadRefused as refused:
        return _refused(refused)
    return Response(status_code=200)


async def list_runtimes(request: Request) -> Response:
    """GET /actions/functions/runtimes: the FunctionRuntime list."""
    return json_response(runtimes_listing(runtime_of(request).config.function_runtimes))


def _refused(refused: UploadRefused) -> Response:
    return Response(refused.xml(), status_code=refused.status, media_type="application/xml")


_ONE = ACTIONS_BASE + "/{actionId}"

ROUTES = [
    Route(f"{ACTIONS_BASE}/functions/runtimes", list_runtimes, methods=["GET"]),
    Route(f"{_ONE}/function", get_function, methods=["GET"]),
    Route(f"{_ONE}/draft/function", get_draft_function, methods=["GET"]),
    Route(f"{_ONE}/draft/function", put_draft_function, methods=["PUT"]),
    Route(f"{_ONE}/draft/function/upload", request_upload, methods=["POST"]),
    Route(UPLOADS + "/{token}", receive_upload, methods=["PUT"]),
]
