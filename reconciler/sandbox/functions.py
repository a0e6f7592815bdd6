"""Genesys Cloud Function actions in the sandbox: settings, code upload, processing.

What the official sources show (docs/genesys-api-notes.md, §10): a Function action is created
as a draft (``POST /actions`` is refused for its integration); its code goes into the draft
through ``POST .../draft/function/upload`` (a presigned URL and the headers to send), a PUT
of the zip to that URL, and processing (``FunctionZipConfig.status``: Pending, Transferring,
Available, Unknown, Invalid, InvalidFormat, InvalidFile); ``PUT .../draft/function`` sets
the ``Function`` (handler, runtime, timeoutSeconds 1-15, description up to 255); publish makes
it the published ``GET .../function``. The presigned URL here is served by the sandbox itself
(``/function-uploads/{token}``, outside ``/api`` so it takes no bearer token); the headers it
asks for follow what the Terraform provider sends (``x-amz-meta-functionid``,
``x-amz-meta-organizationid``, ``x-amz-tagging``). How long processing takes, and whether
setting the function moves the draft's version, are unknown: both are knobs.
"""

from __future__ import annotations

import copy
import io
import re
import secrets
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reconciler.sandbox.problems import ApiProblem, bad_request, not_found

FUNCTION_TYPE = "function-data-actions"
# FunctionUploadRequest: "letters, numbers, and the following special characters: + - _ . ' ( )"
FILE_NAME = re.compile(r"^[A-Za-z0-9+\-_.'()]+$")
MAX_URL_SECONDS = 604800  # FunctionUploadRequest.signedUrlTimeoutSeconds: 1 to 604800
DEFAULT_URL_SECONDS = 900
MIN_TIMEOUT, MAX_TIMEOUT, DEFAULT_TIMEOUT = 1, 15, 15  # Function.timeoutSeconds
MAX_DESCRIPTION = 255
HISTORY = 10  # uploadExceptionHistory: "no more than last ten failures"


def empty_function_config() -> dict[str, Any]:
    """A new Function action's config: no settings, no package yet."""
    return {"function": None, "zip": None, "uploadExceptionHistory": []}


def runtimes_listing(runtimes: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
    """``FunctionRuntime`` entries."""
    out = []
    for name, status in runtimes:
        entry: dict[str, Any] = {"name": name, "description": f"{name} (sandbox)", "status": status}
        if status == "Deprecated":
            entry["dateEndOfLife"] = "2026-12-31"
        out.append(entry)
    return out


def check_function(
    body: Mapping[str, Any], runtimes: tuple[tuple[str, str], ...]
) -> dict[str, Any]:
    """A ``Function`` body as stored; 400 with every problem otherwise."""
    found: list[str] = []
    handler, runtime = body.get("handler"), body.get("runtime")
    if not isinstance(handler, str) or not handler.strip():
        found.append("handler is required")
    offered = {name: status for name, status in runtimes}
    if not isinstance(runtime, str) or not runtime:
        found.append("runtime is required")
    elif offered.get(runtime, "Unavailable") == "Unavailable":
        found.append(f"runtime {runtime!r} is not available; see /actions/functions/runtimes")
    description = body.get("description", "")
    if description is None:
        description = ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        found.append(f"description must be a string of at most {MAX_DESCRIPTION} characters")
    timeout = body.get("timeoutSeconds")
    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int)
        or not (MIN_TIMEOUT <= timeout <= MAX_TIMEOUT)
    ):
        found.append(f"timeoutSeconds must be an integer between {MIN_TIMEOUT} and {MAX_TIMEOUT}")
    if found:
        raise bad_request("; ".join(found), field="function")
    return {
        "handler": handler,
        "runtime": runtime,
        "timeoutSeconds": timeout,
        "description": description,
    }


def render_config(action_id: str, config: Mapping[str, Any], *, draft: bool) -> dict[str, Any]:
    """The ``FunctionConfig`` response (internal fields left out)."""
    base = f"/api/v2/integrations/actions/{action_id}" + ("/draft" if draft else "")
    function = config.get("function")
    zip_config = config.get("zip")
    out: dict[str, Any] = {"id": action_id, "selfUri": f"{base}/function"}
    if function is not None:
        out["function"] = {
            "id": f"function-{action_id}",
            "name": action_id,
            **copy.deepcopy(function),
        }
    if zip_config is not None:
        out["zip"] = {k: v for k, v in zip_config.items() if not k.startswith("_")}
    out["uploadExceptionHistory"] = copy.deepcopy(config.get("uploadExceptionHistory") or [])
    return out


@dataclass
class Upload:
    """A presigned upload URL handed out: for which draft, under which name, until when."""

    action_id: str
    file_name: str
    expires_at: float
    headers: dict[str, str]


class Uploads:
    """Presigned upload URLs (kept in memory: a restart ends them, like a short expiry)."""

    def __init__(self, org_id: str, clock: Callable[[], float]) -> None:
        self._org_id = org_id
        self._clock = clock
        self._by_token: dict[str, Upload] = {}

    def issue(self, action_id: str, body: Mapping[str, Any]) -> tuple[str, Upload, int]:
        """A token for ``POST .../draft/function/upload``; 400 for a bad request body."""
        file_name = body.get("fileName")
        if not isinstance(file_name, str) or not FILE_NAME.match(file_name):
            raise bad_request(
                "fileName is required and may hold only letters, numbers and + - _ . ' ( )",
                field="fileName",
            )
        seconds = body.get("signedUrlTimeoutSeconds", DEFAULT_URL_SECONDS)
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int)
            or not (1 <= seconds <= MAX_URL_SECONDS)
        ):
            raise bad_request(
                f"signedUrlTimeoutSeconds must be between 1 and {MAX_URL_SECONDS}",
                field="signedUrlTimeoutSeconds",
            )
        token = secrets.token_urlsafe(24)
        upload = Upload(
            action_id,
            file_name,
            self._clock() + seconds,
            {
                "Content-Type": "application/zip",
                "x-amz-meta-functionid": action_id,
                "x-amz-meta-organizationid": self._org_id,
                "x-amz-tagging": f"functionId={action_id}",
            },
        )
        self._by_token[token] = upload
        return token, upload, seconds

    def take(self, token: str, headers: Mapping[str, str]) -> Upload:
        """The upload a PUT to ``token`` is for; ``UploadRefused`` like object storage."""
        upload = self._by_token.get(token)
        if upload is None:
            raise UploadRefused(403, "AccessDenied", "Access Denied")
        if self._clock() > upload.expires_at:
            raise UploadRefused(403, "AccessDenied", "Request has expired")
        sent = {k.lower(): v for k, v in headers.items()}
        if any(sent.get(k.lower()) != v for k, v in upload.headers.items()):
            raise UploadRefused(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        return upload


class UploadRefused(Exception):
    """An upload PUT refused the way object storage refuses one (XML body)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def xml(self) -> str:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{self.message}</Message></Error>"
        )


def received_zip(content: bytes, upload: Upload, ready_at: float) -> dict[str, Any]:
    """The ``FunctionZipConfig`` of a received package, processing until ``ready_at``.

    A body that is not a zip archive ends as ``InvalidFormat``.
    """
    valid = _is_zip(content)
    record: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "name": upload.file_name,
        "status": "Transferring",
        "dateCreated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "requestId": str(uuid.uuid4()),
        "_final": "Available" if valid else "InvalidFormat",
        "_readyAt": ready_at,
    }
    if not valid:
        record["_error"] = "The uploaded file is not a valid zip archive."
    return record


def settle(config: dict[str, Any], now: float) -> bool:
    """Finish processing of the config's zip once its time has come; whether it changed.

    A valid package becomes the function's (``zipId``); an invalid one moves to the
    exception history and the previous package stays.
    """
    zip_config = config.get("zip")
    if not isinstance(zip_config, dict) or "_final" not in zip_config:
        return False
    if now < zip_config.get("_readyAt", 0):
        return False
    final = zip_config.pop("_final")
    zip_config.pop("_readyAt", None)
    error = zip_config.pop("_error", None)
    previous = zip_config.pop("_previous", None)
    zip_config["status"] = final
    if final == "Available":
        if config.get("function") is not None:
            config["function"]["zipId"] = zip_config["id"]
        return True
    failed = {**zip_config, "errorMessage": error}
    history = [failed, *(config.get("uploadExceptionHistory") or [])][:HISTORY]
    config["uploadExceptionHistory"] = history
    config["zip"] = previous
    return True


def publish_problems(config: Mapping[str, Any] | None) -> list[str]:
    """Why a Function action's draft cannot be published (empty: it can)."""
    if config is None:
        return ["The function configuration is missing"]
    found = []
    zip_config = config.get("zip")
    if not isinstance(zip_config, dict) or zip_config.get("status") != "Available":
        found.append("A function package must be uploaded and processed before publishing")
    if config.get("function") is None:
        found.append("The function settings (handler, runtime) must be set before publishing")
    return found


def require_function(kind: str | None, action_id: str) -> None:
    """404/400 unless the action is a Function action."""
    if kind is None:
        raise not_found(f"Unable to find action with id {action_id}")
    if kind != FUNCTION_TYPE:
        raise bad_request(f"Action {action_id} is not a function data action")


def _is_zip(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return archive.testzip() is None
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError):
        return False


__all__ = ["ApiProblem", "Upload", "UploadRefused", "Uploads"]
