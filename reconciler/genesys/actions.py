"""The integration-actions API in Genesys shapes (raw dicts, never SDK models)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from reconciler.errors import ApiError, MissingTemplateError

from . import _shapes as shapes
from ._fanout import Fanout
from ._paging import paginate
from .client import GenesysClient
from .dependencies import DependencyTracking

ACTIONS = "/api/v2/integrations/actions"
INTEGRATIONS = "/api/v2/integrations"
ORGANIZATIONS_ME = "/api/v2/organizations/me"
REQUEST_TEMPLATE = "requesttemplate.vm"
SUCCESS_TEMPLATE = "successtemplate.vm"
MAX_IDS_PER_LISTING = 50  # the documented limit of the ``ids`` filter
# After a DELETE, GET until 404 for at most this long: the Terraform provider polls the
# same way for up to 30 s (docs/genesys-api-notes.md, integration_action delete).
DELETE_WAIT_SECONDS = 30.0
_FIRST_POLL_SECONDS = 0.25
_MAX_POLL_SECONDS = 2.0


class ActionsApi(DependencyTracking):
    """Integration actions, drafts and integrations over a ``GenesysClient``; the flows
    that consume them (``DependencyTracking``)."""

    def __init__(self, client: GenesysClient) -> None:
        self.client = client
        # Ids of actions listed with their templates as URIs only (as Genesys lists
        # them): ``get_action_full`` may read their templates alongside the action.
        self._uri_templates: set[str] = set()
        self._fanout = Fanout(client.max_concurrency)
        self._readers = 0  # get_action_full calls under way, on every thread
        self._readers_lock = threading.Lock()

    # -- published actions -------------------------------------------------------

    def iter_actions(
        self,
        *,
        include_config: bool = True,
        page_size: int = 100,
        name: str | None = None,
        ids: Iterable[str] | None = None,
        include_auth_actions: bool = False,
        secure: bool | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield every published action matching the filters, page by page."""
        params: dict[str, Any] = {
            "includeConfig": True if include_config else None,
            "name": name,
            "secure": secure,
            "includeAuthActions": True if include_auth_actions else None,
        }
        if ids is None:
            yield from self._noting_templates(self._paginate(ACTIONS, params, page_size))
            return
        wanted = list(dict.fromkeys(ids))
        for start in range(0, len(wanted), MAX_IDS_PER_LISTING):
            chunk = wanted[start : start + MAX_IDS_PER_LISTING]
            chunk_params = {**params, "ids": ",".join(chunk)}
            yield from self._noting_templates(self._paginate(ACTIONS, chunk_params, page_size))

    def get_action(
        self, action_id: str, *, expand_contract: bool = True, include_config: bool = True
    ) -> dict[str, Any]:
        """One published action, by default with its contract and config."""
        params = _get_params(expand_contract, include_config)
        shape = shapes.action(expect_id=action_id)
        found: dict[str, Any] = self.client.get_json(_action(action_id), params=params, shape=shape)
        return found

    def get_template(self, action_id: str, file_name: str, *, draft: bool = False) -> str:
        """A Velocity template (``requesttemplate.vm`` / ``successtemplate.vm``) as text."""
        base = _action(action_id) + ("/draft" if draft else "")
        return self.client.get_text(f"{base}/templates/{quote(file_name, safe='')}")

    def get_action_full(self, action_id: str) -> dict[str, Any]:
        """The action with contract, config and inline templates (fetched when only URIs
        came). For an action listed with its templates as URIs only, the three reads go
        out together while the client has room for them (so a few actions cost one round
        trip, not three; reading many, the threads already fill it); else the templates
        are read once the action shows it needs them."""
        with self._readers_lock:
            self._readers += 1
            side_by_side = 3 * self._readers <= self.client.max_concurrency
        try:
            if side_by_side and action_id in self._uri_templates:
                return self._read_side_by_side(action_id)
            return self._fill_templates(self.get_action(action_id), action_id, draft=False)
        finally:
            with self._readers_lock:
                self._readers -= 1

    def _read_side_by_side(self, action_id: str) -> dict[str, Any]:
        """The action and both its template files, read together."""

        def template(file_name: str) -> Callable[[], str | ApiError]:
            def read() -> str | ApiError:
                try:
                    return self._read_template(action_id, file_name, draft=False)
                except ApiError as exc:  # raised only if the action turns out to need it
                    return exc

            return read

        found = self._fanout.run(
            [lambda: self.get_action(action_id), *map(template, _TEMPLATE_FILES)]
        )
        action: dict[str, Any] = found[0]
        config = action.get("config")
        if not isinstance(config, dict):
            return action
        for (section, inline), text in zip(_TEMPLATE_KEYS, found[1:], strict=True):
            part = config.setdefault(section, {})
            if isinstance(part, dict) and part.get(inline) is None:
                if isinstance(text, ApiError):
                    raise text
                part[inline] = text
        return action

    def create_action(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create and publish an action (``PostActionInput``); never retried on 5xx."""
        created: dict[str, Any] = self.client.post_json(
            ACTIONS, json=dict(body), shape=shapes.action()
        )
        return created

    def patch_action(self, action_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Update a published action in place; ``body['version']`` guards the write."""
        _require_version(body)
        # Not resent by the client: after a lost answer, apply reads back what happened
        # (the version guards a resend, but the audit log must say which write landed).
        patched: dict[str, Any] = self.client.patch_json(
            _action(action_id),
            json=dict(body),
            idempotent=False,
            shape=shapes.action(expect_id=action_id),
        )
        return patched

    def delete_action(self, action_id: str, *, wait: bool = False) -> None:
        """Delete an action; with ``wait``, return only once it reads 404 (see
        ``wait_until_gone``)."""
        self.client.delete(_action(action_id))
        if wait:
            self.wait_until_gone(action_id)

    def wait_until_gone(self, action_id: str, *, timeout: float | None = None) -> None:
        """Poll ``GET /actions/{id}`` until it answers 404, so that a read right after a
        delete sees the truth. Raises ``ApiError`` when the action still reads after
        ``timeout`` seconds (default ``DELETE_WAIT_SECONDS``), or when a poll fails."""
        limit = DELETE_WAIT_SECONDS if timeout is None else timeout
        deadline = self.client.now() + limit
        interval = _FIRST_POLL_SECONDS
        while True:
            try:
                # Only the status matters here: any 2xx answer means "still there".
                self.client.request("GET", _action(action_id))
            except ApiError as exc:
                if exc.status == 404:
                    return
                raise ApiError(
                    f"the DELETE of {action_id} was accepted, but checking that it is gone "
                    f"failed: {exc.message}",
                    status=exc.status,
                    code=exc.code,
                    correlation_id=exc.correlation_id,
                ) from exc
            remaining = deadline - self.client.now()
            if remaining <= 0:
                raise ApiError(
                    f"the DELETE of {action_id} was accepted (204), but the org still returns "
                    f"the action {limit:g} s later; run plan again later to see whether it "
                    "is gone"
                )
            self.client.pause(min(interval, remaining))
            interval = min(interval * 2, _MAX_POLL_SECONDS)

    # -- drafts ------------------------------------------------------------------

    def create_draft(self, action_id: str) -> dict[str, Any]:
        """Create a draft from the published action; use the version it returns."""
        shape = shapes.action(expect_id=action_id)
        draft: dict[str, Any] = self.client.post_json(_action(action_id) + "/draft", shape=shape)
        return draft

    def create_draft_only(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a new, never-published action as a draft (version 1)."""
        path = ACTIONS + "/drafts"
        draft: dict[str, Any] = self.client.post_json(path, json=dict(body), shape=shapes.action())
        return draft

    def iter_drafts(
        self, *, name: str | None = None, page_size: int = 100
    ) -> Iterator[dict[str, Any]]:
        """Yield every draft (of published actions and of new ones) matching ``name``."""
        yield from self._paginate(ACTIONS + "/drafts", {"name": name}, page_size)

    def get_draft(self, action_id: str) -> dict[str, Any] | None:
        """The draft with contract and config, or None when there is none (404)."""
        try:
            body: dict[str, Any] = self.client.get_json(
                _action(action_id) + "/draft",
                params=_get_params(True, True),
                shape=shapes.action(expect_id=action_id),
            )
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        return body

    def get_draft_full(self, action_id: str) -> dict[str, Any] | None:
        """Like ``get_draft`` with inline templates fetched from the draft's ``.vm`` files."""
        draft = self.get_draft(action_id)
        if draft is None:
            return None
        try:
            return self._fill_templates(draft, action_id, draft=True)
        except ApiError as exc:
            if exc.status == 404 and not isinstance(exc, MissingTemplateError):
                return None  # the draft was published or deleted while it was read
            raise

    def patch_draft(self, action_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Update the draft; ``body['version']`` is the current draft version."""
        _require_version(body)
        path = _action(action_id) + "/draft"
        shape = shapes.action(expect_id=action_id)
        patched: dict[str, Any] = self.client.patch_json(
            path, json=dict(body), idempotent=False, shape=shape
        )
        return patched

    def delete_draft(self, action_id: str) -> None:
        """Delete the draft."""
        self.client.delete(_action(action_id) + "/draft")

    def validate_draft(self, action_id: str) -> dict[str, Any]:
        """``DraftValidationResult``: ``{"valid": bool, "errors": [...]}`` (its messages
        made printable)."""
        path = _action(action_id) + "/draft/validation"
        result: dict[str, Any] = self.client.get_json(path, shape=shapes.shown)
        return result

    def publish_draft(self, action_id: str, version: int) -> dict[str, Any]:
        """Publish the draft; ``version`` is the draft's own current version."""
        path = _action(action_id) + "/draft/publish"
        shape = shapes.action(expect_id=action_id)
        published: dict[str, Any] = self.client.post_json(
            path, json={"version": version}, shape=shape
        )
        return published

    # -- Function actions (SDK IntegrationsApi: *_action_function, *_draft_function*) ----

    def get_function(self, action_id: str, *, draft: bool = False) -> dict[str, Any]:
        """``FunctionConfig`` of the published action (or its draft): ``function``
        (handler, runtime, timeoutSeconds, description, zipId) and ``zip`` (id, name,
        status, errorMessage)."""
        base = _action(action_id) + ("/draft" if draft else "")
        found: dict[str, Any] = self.client.get_json(
            base + "/function", shape=shapes.function_config
        )
        return found

    def put_draft_function(self, action_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Set the draft's function settings (a ``Function``); returns ``FunctionConfig``."""
        path = _action(action_id) + "/draft/function"
        found: dict[str, Any] = self.client.put_json(
            path, json=dict(body), shape=shapes.function_config
        )
        return found

    def request_function_upload(
        self, action_id: str, file_name: str, *, url_seconds: int = 900
    ) -> dict[str, Any]:
        """``FunctionUploadResponse`` (``url``, ``headers``) for the draft's code package.

        Only asks for a URL, so it is safe to repeat: a lost answer is simply asked again.
        """
        path = _action(action_id) + "/draft/function/upload"
        body = {"fileName": file_name, "signedUrlTimeoutSeconds": url_seconds}
        answer: dict[str, Any] = self.client.post_json(
            path, json=body, idempotent=True, shape=shapes.any_object
        )
        return answer

    def function_runtimes(self) -> list[dict[str, Any]]:
        """``FunctionRuntime`` list: name, description, status, dateEndOfLife."""
        found = self.client.get_json(ACTIONS + "/functions/runtimes")
        return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []

    # -- running -----------------------------------------------------------------

    def test_action(
        self, action_id: str, inputs: Mapping[str, Any], *, draft: bool = False
    ) -> dict[str, Any]:
        """Run the published action (or its draft) in test mode: ``TestExecutionResult``,
        with every string made printable (step messages and results are server text)."""
        path = _action(action_id) + ("/draft/test" if draft else "/test")
        result: dict[str, Any] = self.client.post_json(
            path, json=dict(inputs), shape=shapes.shown, runs_action=True
        )
        return result

    def execute_action(self, action_id: str, inputs: Mapping[str, Any]) -> Any:
        """Execute the action; the result follows its success schema."""
        return self.client.post_json(
            _action(action_id) + "/execute", json=dict(inputs), runs_action=True
        )

    # -- the org -----------------------------------------------------------------

    def get_organization(self) -> Any:
        """``GET /api/v2/organizations/me``: the caller's ``Organization`` (``id``, ``name``,
        ...), as decoded; its shape is the caller's to check."""
        return self.client.get_json(ORGANIZATIONS_ME)

    # -- integrations ------------------------------------------------------------

    def iter_integrations(
        self, *, page_size: int = 100, type_id: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Yield every integration (optionally of one ``integrationType`` id)."""
        params = {"integrationType": type_id}
        yield from self._paginate(INTEGRATIONS, params, page_size, versioned=False)

    def get_integration(self, integration_id: str) -> dict[str, Any]:
        """One integration."""
        path = f"{INTEGRATIONS}/{quote(integration_id, safe='')}"
        found: dict[str, Any] = self.client.get_json(path, shape=shapes.integration)
        return found

    def find_integrations(
        self, name: str | None = None, type_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Integrations whose name equals ``name`` and/or whose type id is ``type_id``."""
        found = []
        for integration in self.iter_integrations(type_id=type_id):
            if name is not None and integration.get("name") != name:
                continue
            if type_id is not None and _type_id(integration) != type_id:
                continue
            found.append(integration)
        return found

    # -- internals ---------------------------------------------------------------

    def _noting_templates(self, entities: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for entity in entities:
            if _templates_by_uri(entity):
                self._uri_templates.add(entity["id"])
            yield entity

    def _paginate(
        self, path: str, params: Mapping[str, Any], page_size: int, *, versioned: bool = True
    ) -> Iterator[dict[str, Any]]:
        """Every entity of a listing, each once (``_paging.paginate``)."""
        return paginate(self.client, path, params, page_size, versioned=versioned)

    def _fill_templates(
        self, action: dict[str, Any], action_id: str, *, draft: bool
    ) -> dict[str, Any]:
        """Inline both templates: each one that did not come inline is read from its
        ``.vm`` file, whether or not a ``*TemplateUri`` names it. Genesys' defaults are
        never assumed; the Terraform provider, too, always GETs both files
        (``readIntegrationAction``, docs/genesys-api-notes.md)."""
        config = action.get("config")
        if not isinstance(config, dict):
            return action
        for section, inline, file_name in (
            ("request", "requestTemplate", REQUEST_TEMPLATE),
            ("response", "successTemplate", SUCCESS_TEMPLATE),
        ):
            part = config.setdefault(section, {})
            if isinstance(part, dict) and part.get(inline) is None:
                part[inline] = self._read_template(action_id, file_name, draft=draft)
        return action

    def _read_template(self, action_id: str, file_name: str, *, draft: bool) -> str:
        """A template file; on 404, whether the action vanished (that 404 is raised, as
        for any read of a deleted action; the Terraform provider, too, takes a template
        404 as "gone") or has no such file (``MissingTemplateError``)."""
        try:
            return self.get_template(action_id, file_name, draft=draft)
        except ApiError as exc:
            if exc.status != 404:
                raise
            missing = exc
        path = _action(action_id) + ("/draft" if draft else "")
        self.client.get_json(path)  # raises the 404 when the action or draft is gone
        raise MissingTemplateError(
            f"{path}/templates/{file_name}: not found, though the "
            f"{'draft' if draft else 'action'} exists; its template cannot be read, and "
            "dactl does not assume Genesys' default",
            status=404,
            code=missing.code,
            correlation_id=missing.correlation_id,
        ) from missing


_TEMPLATE_FILES = (REQUEST_TEMPLATE, SUCCESS_TEMPLATE)
_TEMPLATE_KEYS = (("request", "requestTemplate"), ("response", "successTemplate"))


def _templates_by_uri(entity: Mapping[str, Any]) -> bool:
    """True when a listed action's config shows no template inline (URIs at most)."""
    config = entity.get("config")
    if not isinstance(config, dict):
        return False
    return not any(
        isinstance(config.get(section), dict) and config[section].get(inline) is not None
        for section, inline in _TEMPLATE_KEYS
    )


def _action(action_id: str) -> str:
    if not action_id:
        raise ValueError("an action id is required")
    return f"{ACTIONS}/{quote(action_id, safe='')}"


def _get_params(expand_contract: bool, include_config: bool) -> dict[str, Any]:
    return {
        "expand": "contract" if expand_contract else None,
        "includeConfig": True if include_config else None,
    }


def _require_version(body: Mapping[str, Any]) -> None:
    if not isinstance(body.get("version"), int):
        raise ValueError("the body must carry the current integer 'version'")


def _type_id(integration: Mapping[str, Any]) -> str | None:
    kind = integration.get("integrationType")
    if isinstance(kind, dict):
        value = kind.get("id")
        return value if isinstance(value, str) else None
    return kind if isinstance(kind, str) else None
