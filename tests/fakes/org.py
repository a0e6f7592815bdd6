"""An in-memory org: ``reconciler.backend.OrgApi`` over the sandbox's own ``Store``.

The store is the sandbox's model of the org (versions, drafts, 409/400 conflicts, contracts
fixed once published, Function actions and their packages); this fake answers what
``ActionsApi`` would answer over HTTP against it, in the same wire shapes
(``reconciler.sandbox.views.render_action``), and fails the way ``ActionsApi`` fails: an
``ApiProblem`` of the store becomes the ``ApiError`` (``AuthError``, ``ConflictError``)
with the status, code and message the real client would build from the sandbox's answer.

Fault hooks, each for the ``nth`` call of one operation (an ``OrgApi`` method name, or
``"upload"`` for ``client.upload``), optionally of one action id only:

- ``lose_answer``: the call is carried out, then its answer is lost (``ApiError`` with
  ``status`` None by default: no answer; 502/408; 200: an unusable body).
- ``fail``: an error before anything is done (a 5xx by default; any status and message).
- ``before``: a colleague's edit (any callable) made just before the call.
- ``interrupt``: Ctrl-C (``KeyboardInterrupt``) at the call, before it is sent.
- ``answer``: the call is carried out and its answer replaced (``transform(answer)``).

``client.map`` runs sequentially; ``client.upload`` hands the bytes to the store's upload
path, which processes them at once (``function_processing_ms=0``).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from reconciler.errors import ApiError, AuthError, ConflictError, ResponseShapeError
from reconciler.genesys import ConnectionSettings
from reconciler.genesys._errors import is_version_conflict, one_line
from reconciler.sandbox import execution
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.dependencies import Dependencies
from reconciler.sandbox.functions import UploadRefused
from reconciler.sandbox.problems import STATUS_CODES, ApiProblem
from reconciler.sandbox.seed import (
    GENESYS_CLOUD_INTEGRATION_ID,
    WEB_SERVICES_INTEGRATION_ID,
)
from reconciler.sandbox.store import Store
from reconciler.sandbox.views import ACTIONS_BASE, render_action

T = TypeVar("T")
R = TypeVar("R")

API_URL = "https://api.fake.test"
UPLOADS = "https://uploads.fake.test/function-uploads/"
GENESYS = GENESYS_CLOUD_INTEGRATION_ID
WEB = WEB_SERVICES_INTEGRATION_ID
FUNCTION_INTEGRATION_ID = "5a0e7c3b-1d2f-4e6a-8b9c-000000000007"
WRITES = frozenset(
    {
        "create_action",
        "patch_action",
        "delete_action",
        "create_draft",
        "create_draft_only",
        "patch_draft",
        "delete_draft",
        "publish_draft",
        "put_draft_function",
        "request_function_upload",
        "upload",
    }
)


@dataclass
class Fault:
    """One armed fault: fires on calls ``nth`` .. ``nth + times - 1`` of ``op``."""

    op: str
    kind: str
    action_id: str | None
    skip: int
    times: int
    status: int | None = None
    code: str | None = None
    message: str | None = None
    edit: Callable[[], object] | None = None
    transform: Callable[[Any], Any] | None = None

    def matches(self, op: str, action_id: str | None) -> bool:
        return self.op == op and (self.action_id is None or self.action_id == action_id)


@dataclass(frozen=True)
class Call:
    """One call the reconciler made: the operation, and the action it was about."""

    op: str
    action_id: str | None


def fake_settings(api_url: str = API_URL) -> ConnectionSettings:
    return ConnectionSettings(api_url=api_url, login_url=api_url, access_token="fake-org-token")


class FakeClient:
    """``OrgClient``: counts calls, runs ``map`` in order, uploads into the store."""

    def __init__(self, org: FakeOrg) -> None:
        self._org = org
        self.settings = fake_settings()
        self.since = 0  # calls made before this session

    @property
    def requests_sent(self) -> int:
        """Calls made in this session (one call, one request)."""
        return len(self._org.calls) - self.since

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        return [fn(item) for item in items]

    def upload(self, url: str, content: bytes, headers: Mapping[str, str]) -> None:
        self._org.receive_upload(url, content, headers)


@dataclass
class FakeOrg:
    """``OrgApi`` over a sandbox ``Store``; ``calls`` and ``writes`` say what was asked
    and what was done."""

    config: SandboxConfig = field(default_factory=lambda: SandboxConfig(function_processing_ms=0))
    calls: list[Call] = field(default_factory=list, repr=False)
    writes: list[Call] = field(default_factory=list, repr=False)
    faults: list[Fault] = field(default_factory=list, repr=False)
    sessions: int = 0

    def __post_init__(self) -> None:
        self.store = Store(self.config)
        self.dependencies = Dependencies(self.config.dependency_build_status)
        self.client = FakeClient(self)
        self._ids = itertools.count(1)

    # -- the injection point of the orchestrator ----------------------------------------------

    @contextmanager
    def connect(self, settings: ConnectionSettings, max_concurrency: int) -> Iterator[FakeOrg]:
        """For ``Orchestrator(connect=org.connect)``: this org, at ``settings``."""
        self.client.settings = settings
        self.client.since = len(self.calls)
        self.sessions += 1
        yield self

    # -- fault hooks --------------------------------------------------------------------------

    def _arm(
        self, op: str, kind: str, nth: int, times: int, action_id: str | None, **kw: Any
    ) -> None:
        self.faults.append(Fault(op, kind, action_id, nth - 1, times, **kw))

    def lose_answer(
        self,
        op: str,
        *,
        status: int | None = None,
        nth: int = 1,
        times: int = 1,
        action_id: str | None = None,
    ) -> None:
        """The call is carried out, then its answer lost."""
        self._arm(op, "lose", nth, times, action_id, status=status)

    def fail(
        self,
        op: str,
        *,
        status: int | None = 503,
        code: str | None = None,
        message: str | None = None,
        nth: int = 1,
        times: int = 1,
        action_id: str | None = None,
    ) -> None:
        """An error before anything is done."""
        self._arm(op, "fail", nth, times, action_id, status=status, code=code, message=message)

    def before(
        self,
        op: str,
        edit: Callable[[], object],
        *,
        nth: int = 1,
        times: int = 1,
        action_id: str | None = None,
    ) -> None:
        """``edit`` (a colleague's change) runs just before the call."""
        self._arm(op, "before", nth, times, action_id, edit=edit)

    def interrupt(self, op: str, *, nth: int = 1, action_id: str | None = None) -> None:
        """Ctrl-C at the call, before it is sent."""
        self._arm(op, "interrupt", nth, 1, action_id)

    def answer(
        self,
        op: str,
        transform: Callable[[Any], Any],
        *,
        nth: int = 1,
        action_id: str | None = None,
    ) -> None:
        """The call is carried out and its answer replaced by ``transform(answer)``."""
        self._arm(op, "answer", nth, 1, action_id, transform=transform)

    def _firing(self, op: str, action_id: str | None) -> list[Fault]:
        fired = []
        for fault in list(self.faults):
            if not fault.matches(op, action_id):
                continue
            if fault.skip:
                fault.skip -= 1
                continue
            fired.append(fault)
            fault.times -= 1
            if fault.times <= 0:
                self.faults.remove(fault)
        return fired

    # -- the call -----------------------------------------------------------------------------

    def _call(
        self,
        op: str,
        action_id: str | None,
        what: str,
        perform: Callable[[], T],
    ) -> T:
        self.calls.append(Call(op, action_id))
        fired = self._firing(op, action_id)
        for fault in fired:
            if fault.kind == "before" and fault.edit is not None:
                fault.edit()
        for fault in fired:
            if fault.kind == "interrupt":
                raise KeyboardInterrupt
            if fault.kind == "fail":
                raise self._injected(fault, what)
        try:
            result = perform()
        except ApiProblem as problem:
            raise self._error(problem, what) from None
        except UploadRefused as refused:
            raise ApiError(
                f"{what}: HTTP {refused.status} {refused.code}: {refused.message}",
                status=refused.status,
            ) from None
        if op in WRITES:
            self.writes.append(Call(op, action_id))
        for fault in fired:
            if fault.kind == "answer" and fault.transform is not None:
                result = fault.transform(copy.deepcopy(result))
            if fault.kind == "lose":
                raise self._injected(fault, what)
        return result

    def _correlation(self) -> str:
        return f"fake-correlation-{next(self._ids)}"

    def _error(self, problem: ApiProblem, what: str) -> ApiError:
        """What ``error_from_response`` makes of the sandbox's answer to the call."""
        message = one_line(problem.message)
        cls: type[ApiError] = ApiError
        if problem.status in (401, 403):
            cls = AuthError
        elif is_version_conflict(problem.status, message):
            cls = ConflictError
        context = self._correlation()
        return cls(
            f"{what}: {message}",
            status=problem.status,
            code=problem.code,
            correlation_id=context,
            body=problem.body(context),
        )

    def _injected(self, fault: Fault, what: str) -> ApiError:
        status = fault.status
        if status is None:
            return ApiError(
                f"cannot reach {API_URL}: the server closed the connection without a "
                f"response ({what})"
            )
        if 200 <= status < 300:
            return ResponseShapeError(
                f"{what}: the answer is not the shape this call returns", status=status
            )
        message = fault.message or f"injected HTTP {status}"
        code = fault.code or STATUS_CODES.get(status, "error")
        problem = ApiProblem(status, code, message)
        return self._error(problem, what)

    # -- OrgApi: the org ----------------------------------------------------------------------

    def get_organization(self) -> Any:
        def perform() -> dict[str, Any]:
            return {"id": self.config.org_id, "name": self.config.org_name}

        return self._call("get_organization", None, "GET /api/v2/organizations/me", perform)

    def iter_integrations(self) -> Iterator[dict[str, Any]]:
        found = self._call(
            "iter_integrations", None, "GET /api/v2/integrations", self.store.integrations
        )
        return iter(sorted(found, key=lambda i: (i["name"].lower(), i["id"])))

    # -- OrgApi: published actions ------------------------------------------------------------

    def iter_actions(
        self, *, include_config: bool = True, page_size: int = 100, name: str | None = None
    ) -> Iterator[dict[str, Any]]:
        return iter(self._listing("iter_actions", drafts=False, config=include_config, name=name))

    def _listing(
        self, op: str, *, drafts: bool, config: bool, name: str | None
    ) -> list[dict[str, Any]]:
        def perform() -> list[dict[str, Any]]:
            selected = [
                render_action(action_id, defn, draft=drafts, config=config)
                for action_id, kind, defn in self.store.entries(drafts=drafts)
                if kind != "customAuth" and (not name or name.lower() in defn["name"].lower())
            ]
            return sorted(selected, key=lambda a: (a["name"].lower(), a["id"]))

        path = ACTIONS_BASE + ("/drafts" if drafts else "")
        return self._call(op, None, f"GET {path}", perform)

    def get_action(
        self, action_id: str, *, expand_contract: bool = True, include_config: bool = True
    ) -> dict[str, Any]:
        return self._read("get_action", action_id, contract=expand_contract, config=include_config)

    def get_action_full(self, action_id: str) -> dict[str, Any]:
        return self._read("get_action_full", action_id, inline=True)

    def _read(
        self,
        op: str,
        action_id: str,
        *,
        draft: bool = False,
        contract: bool = True,
        config: bool = True,
        inline: bool = False,
    ) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            _, defn = self.store.get(action_id, draft=draft)
            return render_action(
                action_id,
                defn,
                draft=draft,
                contract=contract,
                config=config,
                inline_templates=inline,
            )

        return self._call(op, action_id, f"GET {_path(action_id, draft)}", perform)

    def create_action(self, body: Mapping[str, Any]) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            action_id, defn = self.store.create(copy.deepcopy(dict(body)), draft_only=False)
            return _full(action_id, defn, draft=False)

        return self._call("create_action", None, f"POST {ACTIONS_BASE}", perform)

    def patch_action(self, action_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            defn = self.store.patch(action_id, copy.deepcopy(dict(body)))
            return _full(action_id, defn, draft=False)

        return self._call("patch_action", action_id, f"PATCH {_path(action_id)}", perform)

    def delete_action(self, action_id: str) -> None:
        self._call(
            "delete_action",
            action_id,
            f"DELETE {_path(action_id)}",
            lambda: self.store.delete(action_id),
        )

    def wait_until_gone(self, action_id: str) -> None:
        def perform() -> None:
            try:
                self.store.get(action_id, draft=False)
            except ApiProblem as problem:
                if problem.status == 404:
                    return
                raise
            raise ApiError(
                f"the DELETE of {action_id} was accepted (204), but the org still returns "
                "the action 30 s later; run plan again later to see whether it is gone"
            )

        self._call("wait_until_gone", action_id, f"GET {_path(action_id)}", perform)

    # -- OrgApi: drafts -----------------------------------------------------------------------

    def create_draft(self, action_id: str) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            return _full(action_id, self.store.create_draft(action_id), draft=True)

        return self._call("create_draft", action_id, f"POST {_path(action_id, True)}", perform)

    def create_draft_only(self, body: Mapping[str, Any]) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            action_id, defn = self.store.create(copy.deepcopy(dict(body)), draft_only=True)
            return _full(action_id, defn, draft=True)

        return self._call("create_draft_only", None, f"POST {ACTIONS_BASE}/drafts", perform)

    def iter_drafts(self, *, name: str | None = None) -> Iterator[dict[str, Any]]:
        return iter(self._listing("iter_drafts", drafts=True, config=False, name=name))

    def get_draft(self, action_id: str) -> dict[str, Any] | None:
        return self._draft("get_draft", action_id, inline=False)

    def get_draft_full(self, action_id: str) -> dict[str, Any] | None:
        return self._draft("get_draft_full", action_id, inline=True)

    def _draft(self, op: str, action_id: str, *, inline: bool) -> dict[str, Any] | None:
        try:
            return self._read(op, action_id, draft=True, inline=inline)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def patch_draft(self, action_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            defn = self.store.patch_draft(action_id, copy.deepcopy(dict(body)))
            return _full(action_id, defn, draft=True)

        return self._call("patch_draft", action_id, f"PATCH {_path(action_id, True)}", perform)

    def delete_draft(self, action_id: str) -> None:
        self._call(
            "delete_draft",
            action_id,
            f"DELETE {_path(action_id, True)}",
            lambda: self.store.delete_draft(action_id),
        )

    def validate_draft(self, action_id: str) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            problems = self.store.validate_draft(action_id)
            context = self._correlation()
            return {"valid": not problems, "errors": [p.body(context) for p in problems]}

        what = f"GET {_path(action_id, True)}/validation"
        return self._call("validate_draft", action_id, what, perform)

    def publish_draft(self, action_id: str, version: int) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            defn = self.store.publish(action_id, {"version": version})
            return _full(action_id, defn, draft=False)

        what = f"POST {_path(action_id, True)}/publish"
        return self._call("publish_draft", action_id, what, perform)

    # -- OrgApi: Function actions -------------------------------------------------------------

    def get_function(self, action_id: str, *, draft: bool = False) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            return self.store.function_config(action_id, draft=draft)

        what = f"GET {_path(action_id, draft)}/function"
        return self._call("get_function", action_id, what, perform)

    def put_draft_function(self, action_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            return self.store.put_function(action_id, copy.deepcopy(dict(body)))

        what = f"PUT {_path(action_id, True)}/function"
        return self._call("put_draft_function", action_id, what, perform)

    def request_function_upload(self, action_id: str, file_name: str) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            body = {"fileName": file_name, "signedUrlTimeoutSeconds": 900}
            token, answer = self.store.request_upload(action_id, body)
            return {"url": UPLOADS + token, **answer}

        what = f"POST {_path(action_id, True)}/function/upload"
        return self._call("request_function_upload", action_id, what, perform)

    def receive_upload(self, url: str, content: bytes, headers: Mapping[str, str]) -> None:
        """``client.upload``: the PUT of a package to its presigned URL."""
        token = url.removeprefix(UPLOADS)

        def perform() -> None:
            self.store.receive_upload(token, dict(headers), content)

        self._call("upload", None, "PUT https://uploads.fake.test (package upload)", perform)

    # -- OrgApi: dependency tracking ----------------------------------------------------------

    def consuming_resources(
        self, object_id: str, object_type: str, *, flow_filter: str | None = None
    ) -> list[dict[str, Any]]:
        def perform() -> list[dict[str, Any]]:
            query = {"id": object_id, "objectType": object_type}
            if flow_filter is not None:
                query["flowFilter"] = flow_filter
            return self.dependencies.consumers(query, [], self._secure_of)

        what = "GET /api/v2/architect/dependencytracking/consumingresources"
        return self._call("consuming_resources", object_id, what, perform)

    def dependency_build(self) -> dict[str, Any]:
        what = "GET /api/v2/architect/dependencytracking/build"
        return self._call("dependency_build", None, what, self.dependencies.build)

    def _secure_of(self, action_id: str) -> bool | None:
        try:
            _, defn = self.store.get(action_id, draft=False)
        except ApiProblem:
            return None
        return bool(defn.get("secure"))

    def add_flow(
        self,
        name: str,
        *action_ids: str,
        published: bool = True,
        kind: str = "INBOUNDCALLFLOW",
        version: str = "1.0",
    ) -> str:
        """A flow that calls the actions ``action_ids`` (for dependency tracking); its id."""
        body = {
            "name": name,
            "type": kind,
            "version": version,
            "published": published,
            "consumes": list(action_ids),
        }
        return self.dependencies.register(body).id

    # -- OrgApi: running ----------------------------------------------------------------------

    def test_action(self, action_id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        def perform() -> dict[str, Any]:
            _, defn = self.store.get(action_id, draft=False)
            return execution.run_test(defn, copy.deepcopy(dict(inputs)))

        return self._call("test_action", action_id, f"POST {_path(action_id)}/test", perform)

    # -- for tests: the org as an admin sees it --------------------------------------------------

    def seed(self, body: Mapping[str, Any], *, version: int = 1) -> str:
        """An action created in the org outside dactl (a ``PostActionInput``); its id.
        ``version`` > 1: edited that many times since (same content)."""
        action_id, defn = self.store.create(copy.deepcopy(dict(body)), draft_only=False)
        for _ in range(version - 1):
            self.store.patch(action_id, {"name": defn["name"], "version": self.version(action_id)})
        return action_id

    def seed_function(
        self,
        body: Mapping[str, Any],
        package: bytes,
        file_name: str,
        settings: Mapping[str, Any],
    ) -> str:
        """A Function action published in the org as an admin publishes one; its id."""
        action_id, _ = self.store.create(copy.deepcopy(dict(body)), draft_only=True)
        token, answer = self.store.request_upload(action_id, {"fileName": file_name})
        self.store.receive_upload(token, answer["headers"], package)
        self.store.put_function(action_id, dict(settings))
        _, draft = self.store.get(action_id, draft=True)
        self.store.publish(action_id, {"version": draft["version"]})
        return action_id

    def edit(self, action_id: str, **config: Any) -> int:
        """A colleague's edit of the published action's config in the UI (one versioned
        PATCH); its new version."""
        _, defn = self.store.get(action_id, draft=False)
        new_config = {**copy.deepcopy(defn["config"]), **config}
        body = {"name": defn["name"], "category": defn["category"], "config": new_config}
        patched = self.store.patch(action_id, {**body, "version": defn["version"]})
        return int(patched["version"])

    def mutate(self, action_id: str, **fields: Any) -> int:
        """An edit no PATCH can make (``secure``, ``contract``): the published definition
        changed in place, its version + 1; the new version."""
        with self.store._lock:
            defn = self.store._state["actions"][action_id]["published"]
            defn.update(copy.deepcopy(fields))
            defn["version"] += 1
            return int(defn["version"])

    def edit_draft(self, action_id: str, **config: Any) -> int:
        """A colleague's edit of the draft's config; the draft's new version."""
        _, draft = self.store.get(action_id, draft=True)
        new_config = {**copy.deepcopy(draft["config"]), **config}
        patched = self.store.patch_draft(
            action_id, {"config": new_config, "version": draft["version"]}
        )
        return int(patched["version"])

    def draft_of(self, action_id: str, **config: Any) -> int:
        """A colleague's draft of the action in the UI (config edited); its version."""
        draft = self.store.create_draft(action_id)
        if not config:
            return int(draft["version"])
        new_config = {**copy.deepcopy(draft["config"]), **config}
        patched = self.store.patch_draft(
            action_id, {"config": new_config, "version": draft["version"]}
        )
        return int(patched["version"])

    def published(self, action_id: str) -> dict[str, Any] | None:
        """The stored published definition, or None."""
        try:
            return self.store.get(action_id, draft=False)[1]
        except ApiProblem:
            return None

    def draft(self, action_id: str) -> dict[str, Any] | None:
        """The stored draft, or None."""
        try:
            return self.store.get(action_id, draft=True)[1]
        except ApiProblem:
            return None

    def version(self, action_id: str) -> int:
        found = self.published(action_id)
        assert found is not None, action_id
        return int(found["version"])

    def ids(self) -> dict[str, str]:
        """Name -> id of the published custom actions."""
        return {
            defn["name"]: action_id
            for action_id, kind, defn in self.store.entries(drafts=False)
            if kind == "custom"
        }

    def draft_ids(self) -> dict[str, str]:
        """Name -> id of every draft of a custom action."""
        return {
            defn["name"]: action_id
            for action_id, kind, defn in self.store.entries(drafts=True)
            if kind == "custom"
        }

    def ops(self, *, writes: bool = True) -> list[str]:
        """The operations done (``writes``) or asked for, in order."""
        return [c.op for c in (self.writes if writes else self.calls)]

    def count(self, op: str) -> int:
        """How often ``op`` was asked for."""
        return sum(1 for c in self.calls if c.op == op)


def _path(action_id: str, draft: bool = False) -> str:
    return f"{ACTIONS_BASE}/{action_id}" + ("/draft" if draft else "")


def _full(action_id: str, defn: Mapping[str, Any], *, draft: bool) -> dict[str, Any]:
    """What a write answers: the action with contract and config."""
    return render_action(action_id, defn, draft=draft, contract=True, config=True)
