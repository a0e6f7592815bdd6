"""The code and settings of a Genesys Cloud Function action, written into its draft.

Genesys publishes no Function action without its code package, and the package goes into a
draft (SDK ``post_integrations_actions``; the Terraform provider's
``createFunctionDataActionDraft`` does the same): ask for a presigned upload URL, PUT the zip
there with the headers the API gave, wait until the org has processed the zip, then set the
function's settings. Publishing is the caller's (``reconciler.apply``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from reconciler.backend import OrgApi
from reconciler.canonical import Canonical
from reconciler.errors import FunctionStepError
from reconciler.genesys.wire import function_body
from reconciler.packages import Package

# SDK FunctionZipConfig.status values: Pending, Transferring, Available, Unknown, Invalid,
# InvalidFormat, InvalidFile.
READY = "Available"
REFUSED = frozenset({"Invalid", "InvalidFormat", "InvalidFile"})
DEFAULT_PROCESSING_TIMEOUT = 120.0
SETTINGS = ("handler", "runtime", "timeoutSeconds", "description")

Audit = Callable[..., None]


class FunctionWriter:
    """Uploads packages and sets settings in a Function action's draft."""

    def __init__(
        self,
        api: OrgApi,
        *,
        processing_timeout: float = DEFAULT_PROCESSING_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api = api
        self.processing_timeout = processing_timeout
        self.sleep = sleep
        self.clock = clock

    def write(
        self,
        action_id: str,
        after: Canonical,
        before: Canonical | None,
        package: Package | None,
        audit: Audit,
    ) -> None:
        """Bring the draft's package and settings to ``after``'s (``before``: the live
        action the draft came from; None for a new action)."""
        wanted = after.get("function")
        if wanted is None:  # not managed by the file: the draft keeps what it copied
            return
        old = (before or {}).get("function") or {}
        if wanted.get("package") != old.get("package"):
            if package is None or package.identity != wanted.get("package"):
                raise FunctionStepError(
                    f"{after['name']!r}: the plan holds no code package to upload; "
                    "add function.package to the file and plan again"
                )
            self.upload(action_id, package, after["name"], audit)
        if before is None or {k: old.get(k) for k in SETTINGS} != {
            k: wanted.get(k) for k in SETTINGS
        }:
            self.api.put_draft_function(action_id, function_body(after))
            audit("draft.function", action_id=action_id)

    def upload(self, action_id: str, package: Package, name: str, audit: Audit) -> None:
        """Upload ``package`` into the draft and wait until the org has processed it."""
        content = package.zip_bytes()
        answer = self.api.request_function_upload(action_id, package.upload_name)
        url = answer.get("url")
        headers = answer.get("headers") or {}
        if not isinstance(url, str) or not isinstance(headers, dict):
            raise FunctionStepError(f"{name!r}: the org returned no upload URL for the package")
        self.api.client.upload(url, content, {str(k): str(v) for k, v in headers.items()})
        audit("draft.function.upload", action_id=action_id, package=package.identity)
        self._wait_processed(action_id, package, name)

    def _wait_processed(self, action_id: str, package: Package, name: str) -> None:
        deadline = self.clock() + self.processing_timeout
        delay = 0.25
        status = "not seen yet"
        while True:
            config = self.api.get_function(action_id, draft=True)
            status, message = _upload_status(config, package.upload_name)
            if status == READY:
                return
            if status in REFUSED:
                raise FunctionStepError(
                    f"{name!r}: the org refused the code package {package.path} "
                    f"({status}{': ' + message if message else ''})"
                )
            if self.clock() + delay > deadline:
                raise FunctionStepError(
                    f"{name!r}: the code package was not processed within "
                    f"{self.processing_timeout:g} s (last status: {status}); the draft was "
                    "discarded, run apply again"
                )
            self.sleep(delay)
            delay = min(delay * 2, 2.0)


def _upload_status(config: dict[str, Any], file_name: str) -> tuple[str, str]:
    """The status of our upload: the current zip when it carries our name, else a failure
    recorded in ``uploadExceptionHistory`` (the last ten failed uploads, SDK FunctionConfig)."""
    current = config.get("zip")
    if isinstance(current, dict) and current.get("name") == file_name:
        return str(current.get("status") or "Unknown"), str(current.get("errorMessage") or "")
    for failed in config.get("uploadExceptionHistory") or []:
        if isinstance(failed, dict) and failed.get("name") == file_name:
            status = str(failed.get("status") or "Invalid")
            return (status if status in REFUSED else "Invalid"), str(
                failed.get("errorMessage") or ""
            )
    return "not seen yet", ""
