"""The Function-action part of the sandbox store: settings, packages and their processing.

Mixed into ``Store``, whose lock guards every method here. Each Function action's
definition (published and draft) holds a ``function`` entry: ``FunctionConfig`` fields
(``function``, ``zip``, ``uploadExceptionHistory``) as ``reconciler.sandbox.functions``
describes them.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.sandbox import functions as fn
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.problems import not_found


class FunctionStoreMixin:
    """Function endpoints' state changes; ``Store`` provides the attributes below."""

    _config: SandboxConfig
    _clock: Callable[[], float]
    _lock: threading.RLock
    _state: dict[str, Any]
    _uploads: fn.Uploads

    def _entry(self, action_id: str, side: str) -> dict[str, Any]:
        raise NotImplementedError

    def _save(self, *action_ids: str) -> None:
        raise NotImplementedError

    def _integration_type(self, integration_id: Any) -> str | None:
        raise NotImplementedError

    def function_config(self, action_id: str, *, draft: bool) -> dict[str, Any]:
        """``GET .../function`` or ``GET .../draft/function``: the ``FunctionConfig``."""
        side = "draft" if draft else "published"
        with self._lock:
            entry = self._function_entry(action_id, side)
            config = entry[side]["function"]
            if fn.settle(config, self._clock()):
                self._save(action_id)
            return fn.render_config(action_id, config, draft=draft)

    def request_upload(self, action_id: str, body: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """``POST .../draft/function/upload``: a token for the presigned URL, and the
        ``FunctionUploadResponse`` without its URL (the route knows its own host)."""
        with self._lock:
            self._function_entry(action_id, "draft")
            token, upload, seconds = self._uploads.issue(action_id, body)
            return token, {"headers": dict(upload.headers), "signedUrlTimeoutSeconds": seconds}

    def receive_upload(self, token: str, headers: Mapping[str, str], content: bytes) -> None:
        """The PUT of a package to its presigned URL: processing starts.

        ``UploadRefused`` when the URL is unknown or expired or the headers differ.
        """
        with self._lock:
            upload = self._uploads.take(token, headers)
            entry = self._state["actions"].get(upload.action_id)
            if entry is None or entry["draft"] is None:
                raise fn.UploadRefused(403, "AccessDenied", "The draft no longer exists")
            config = entry["draft"]["function"]
            fn.settle(config, float("inf"))  # an older upload still processing is done
            ready_at = self._clock() + self._config.function_processing_ms / 1000
            record = fn.received_zip(content, upload, ready_at)
            record["_previous"] = copy.deepcopy(config.get("zip"))
            config["zip"] = record
            fn.settle(config, self._clock())
            self._save(upload.action_id)

    def put_function(self, action_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``PUT .../draft/function``: the draft's settings; the zip stays as uploaded."""
        with self._lock:
            entry = self._function_entry(action_id, "draft")
            draft = entry["draft"]
            config = draft["function"]
            fn.settle(config, self._clock())
            settings = fn.check_function(body, self._config.function_runtimes)
            zip_config = config.get("zip")
            ready = isinstance(zip_config, dict) and zip_config.get("status") == "Available"
            settings["zipId"] = zip_config["id"] if ready else None
            config["function"] = settings
            if self._config.function_put_bumps_version:
                draft["version"] += 1
            self._save(action_id)
            return fn.render_config(action_id, config, draft=True)

    def function_publish_problems(self, definition: dict[str, Any]) -> list[str]:
        """Why a draft cannot be published as a Function action (empty when it can)."""
        if self._integration_type(definition.get("integrationId")) != fn.FUNCTION_TYPE:
            return []
        config = definition.get("function")
        if isinstance(config, dict):
            fn.settle(config, self._clock())
        return fn.publish_problems(config)

    def _function_entry(self, action_id: str, side: str) -> dict[str, Any]:
        entry = self._entry(action_id, side)
        defn = entry[side]
        kind = self._integration_type(defn.get("integrationId"))
        fn.require_function(kind, action_id)
        if not isinstance(defn.get("function"), dict):
            if side == "draft":
                defn["function"] = fn.empty_function_config()
            else:
                raise not_found(f"Unable to find the function of action {action_id}")
        return entry
