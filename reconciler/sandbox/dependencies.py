"""Architect dependency tracking: which flows consume which data actions.

The real shapes come from the official SDK (docs/genesys-api-notes.md, "Dependency
tracking"): ``GET /api/v2/architect/dependencytracking/consumingresources`` answers a
``ConsumingResourcesEntityListing`` of ``Dependency`` (``id``, ``name``, ``version``,
``type``, ``deleted``, ``updated``, ``stateUnknown``, ``selfUri``), and
``GET /api/v2/architect/dependencytracking/build`` a ``DependencyStatus``.

Flows do not exist in the sandbox; a test registers them (``POST /sandbox/flows``) as
consumers of action ids, published or only checked in. How the real service filters is
inferred [I]: ``flowFilter=published`` keeps published flows, ``checkedIn`` the others;
an action is consumed as ``SECUREACTION`` when it is secure and as ``DATAACTION``
otherwise, and a query with the other type finds nothing.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.sandbox.config import BUILD_STATUSES
from reconciler.sandbox.problems import bad_request

FLOW_FILTERS = ("checkedIn", "published")
ACTION_TYPES = ("DATAACTION", "SECUREACTION")
BUILD_ID = "5a0e7c3b-1d2f-4e6a-8b9c-0000000000bd"
BUILD_COMPLETED = "2026-01-01T00:00:00.000Z"


@dataclass(frozen=True)
class Flow:
    """A flow registered as a consumer of actions."""

    id: str
    name: str
    type: str
    version: str
    published: bool
    consumes: tuple[str, ...]

    def dependency(self) -> dict[str, Any]:
        """The flow as a ``Dependency``."""
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "type": self.type,
            "deleted": False,
            "updated": False,
            "stateUnknown": False,
            "selfUri": f"/api/v2/flows/{self.id}",
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "version": self.version,
            "published": self.published,
            "consumes": list(self.consumes),
        }


@dataclass
class Dependencies:
    """The flows of the org and the state of its dependency-tracking build."""

    build_status: str = "OPERATIONAL"
    flows: dict[str, Flow] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def register(self, body: Any) -> Flow:
        """A flow from a control request: ``name``, ``type`` (e.g. ``INBOUNDCALLFLOW``),
        ``version``, ``published`` and ``consumes`` (action ids); ``id`` optional."""
        if not isinstance(body, Mapping):
            raise bad_request("the body must be a JSON object")
        name, kind = body.get("name"), body.get("type", "INBOUNDCALLFLOW")
        consumes = body.get("consumes", [])
        if not isinstance(name, str) or not name:
            raise bad_request("name is required", field="name")
        if not isinstance(kind, str) or not kind:
            raise bad_request("type must be a string", field="type")
        if not isinstance(consumes, list) or not all(isinstance(c, str) for c in consumes):
            raise bad_request("consumes must be a list of action ids", field="consumes")
        flow = Flow(
            id=str(body.get("id") or uuid.uuid4()),
            name=name,
            type=kind.upper(),
            version=str(body.get("version", "1.0")),
            published=bool(body.get("published", True)),
            consumes=tuple(consumes),
        )
        with self._lock:
            self.flows[flow.id] = flow
        return flow

    def clear(self) -> None:
        with self._lock:
            self.flows.clear()

    def set_build_status(self, status: Any) -> None:
        if status not in BUILD_STATUSES:
            raise bad_request(f"status must be one of {', '.join(BUILD_STATUSES)}", field="status")
        self.build_status = status

    def build(self) -> dict[str, Any]:
        """``GET .../dependencytracking/build``: a ``DependencyStatus``."""
        body: dict[str, Any] = {
            "id": BUILD_ID,
            "buildId": BUILD_ID,
            "status": self.build_status,
            "dateStarted": BUILD_COMPLETED,
            "failedObjects": [],
            "selfUri": "/api/v2/architect/dependencytracking/build",
        }
        if self.build_status in ("OPERATIONAL", "OPERATIONALNEEDSREBUILD", "BUILDINCOMPLETE"):
            body["dateCompleted"] = BUILD_COMPLETED
        return body

    def consumers(
        self,
        query: Mapping[str, str],
        resource_types: list[str],
        secure_of: Callable[[str], bool | None],
    ) -> list[dict[str, Any]]:
        """The ``Dependency`` entities that consume ``id`` as ``objectType``, sorted by
        name; ``secure_of`` says whether an action id is secure (None: no such action)."""
        object_id, object_type = query.get("id"), query.get("objectType")
        if not object_id:
            raise bad_request("id is required", field="id")
        if not object_type:
            raise bad_request("objectType is required", field="objectType")
        flow_filter = query.get("flowFilter")
        if flow_filter is not None and flow_filter not in FLOW_FILTERS:
            raise bad_request(
                f"flowFilter must be one of {', '.join(FLOW_FILTERS)}", field="flowFilter"
            )
        if object_type.upper() not in ACTION_TYPES:
            return []
        secure = secure_of(object_id)
        if secure is not None and (object_type.upper() == "SECUREACTION") != secure:
            return []
        wanted = {t.upper() for t in resource_types}
        with self._lock:
            flows = [f for f in self.flows.values() if object_id in f.consumes]
        if flow_filter is not None:
            flows = [f for f in flows if f.published == (flow_filter == "published")]
        if wanted:
            flows = [f for f in flows if f.type in wanted]
        return [f.dependency() for f in sorted(flows, key=lambda f: (f.name.lower(), f.id))]
