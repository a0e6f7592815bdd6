"""The live state of the managed scope, fetched at the lowest request cost.

Cost model: one listing (``includeConfig=true``, 100 per page) tells each action's version.
An action whose (id, version) is in the local cache costs nothing more; any other costs the
contract GET and its two template GETs. The integrations (name <-> id) are cached too and
re-read only when the listing shows an integration id the cache does not know, or a name
the desired state needs is missing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.backend import OrgApi
from reconciler.fsutil import PRIVATE_FILE_MODE, atomic_write_json, ensure_private_dir
from reconciler.genesys.wire import FUNCTION_KEY, canonical_live
from reconciler.plan import Integrations, LiveAction

UNMANAGEABLE_PREFIXES = ("static", "customAuth_-_")
CACHE_FORMAT = 2  # 2: integrations carry their type ids; Function actions their config

Progress = Callable[[int], None]


def org_key(api_url: str, client_id: str | None) -> str:
    """A cache key for one org: the API host and the client id (never the secret)."""
    text = f"{api_url.rstrip('/')}\0{client_id or ''}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class LiveCache:
    """Full live actions keyed by org, id and version, under ``.dactl/cache/``.

    Safe to delete at any time; every write is atomic (temporary file, then rename). The
    entries hold live action content: files are ``0600``, directories ``0700``, and
    ``.dactl/`` gets a ``.gitignore`` (``fsutil.ensure_private_dir``).
    """

    def __init__(self, root: Path, org: str) -> None:
        self.dir = root / org
        self._dir_ready = False

    def _path(self, name: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in name)
        return self.dir / f"{safe}.json"

    def get_action(self, action_id: str, version: int) -> dict[str, Any] | None:
        data = self._read(self._path(f"{action_id}@{version}"))
        return data if isinstance(data, dict) and data.get("id") == action_id else None

    def put_action(self, action: dict[str, Any]) -> None:
        self._write(self._path(f"{action['id']}@{action['version']}"), action)

    def get_integrations(self) -> Integrations | None:
        """The cached integrations (names and type ids by id)."""
        data = self._read(self._path("integrations"))
        if not isinstance(data, dict):
            return None
        names, types = data.get("names"), data.get("types")
        if not (isinstance(names, dict) and isinstance(types, dict)):
            return None
        return Integrations(names, types)

    def put_integrations(self, integrations: Integrations) -> None:
        data = {"names": integrations.names_by_id, "types": integrations.types_by_id}
        self._write(self._path("integrations"), data)

    def get_organization(self) -> dict[str, Any] | None:
        """The cached ``GET /api/v2/organizations/me`` answer (its ``id`` and ``name``)."""
        data = self._read(self._path("organization"))
        return data if isinstance(data, dict) else None

    def put_organization(self, organization: dict[str, Any]) -> None:
        self._write(self._path("organization"), organization)

    def get_consumers(self, action_id: str, version: int, max_age: float) -> list[Any] | None:
        """The consumers read for this action version, when read less than ``max_age``
        seconds ago (flows change without the action's version moving)."""
        data = self._read(self._path(f"consumers-{action_id}@{version}"))
        if not isinstance(data, dict) or not isinstance(data.get("consumers"), list):
            return None
        read_at = data.get("read_at")
        if not isinstance(read_at, int | float) or not 0 <= time.time() - read_at < max_age:
            return None
        found: list[Any] = data["consumers"]
        return found

    def put_consumers(self, action_id: str, version: int, consumers: list[Any]) -> None:
        data = {"read_at": time.time(), "consumers": consumers}
        self._write(self._path(f"consumers-{action_id}@{version}"), data)

    def _read(self, path: Path) -> Any:
        try:
            wrapper = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # a missing or damaged entry is a cache miss, never an error
        if not isinstance(wrapper, dict) or wrapper.get("format") != CACHE_FORMAT:
            return None
        return wrapper.get("data")

    def _write(self, path: Path, data: Any) -> None:
        # The cache only saves requests: a run that cannot write it is slower, never wrong.
        with contextlib.suppress(OSError):
            if not self._dir_ready:
                ensure_private_dir(self.dir)
                self._dir_ready = True
            body = {"format": CACHE_FORMAT, "data": data}
            atomic_write_json(path, body, durable=False, mode=PRIVATE_FILE_MODE)


@dataclass
class LiveState:
    """The in-scope live actions (canonical, and ``raw`` as read) and the integrations."""

    actions: list[LiveAction]
    integrations: Integrations
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)


def fetch_live(
    api: OrgApi,
    *,
    scope: Iterable[str] = (),
    needed_integrations: Iterable[str] = (),
    cache: LiveCache | None = None,
    progress_total: Callable[[int], None] | None = None,
    progress: Progress | None = None,
    name: str | None = None,
) -> LiveState:
    """Fetch the live actions of the integrations named in ``scope`` (all data-action
    integrations when empty); with ``name``, only the actions of that exact name (the
    listing is filtered by the API, so it costs one page)."""
    listing = [
        a
        for a in api.iter_actions(include_config=True, page_size=100, name=name)
        if not str(a.get("id", "")).startswith(UNMANAGEABLE_PREFIXES)
        and (name is None or a.get("name") == name)  # the API's filter is "partial"
    ]
    wanted_names = set(scope) | set(needed_integrations)
    listed_ids = {str(a.get("integrationId")) for a in listing}
    integrations = integrations_for(api, cache, listed_ids, wanted_names)
    scope = list(scope)
    in_scope_ids = integrations.ids_named(scope) if scope else set(integrations.names_by_id)
    listing = [a for a in listing if a.get("integrationId") in in_scope_ids]
    state = LiveState(actions=[], integrations=integrations)
    missing: list[dict[str, Any]] = []
    for summary in listing:
        cached = cache.get_action(summary["id"], summary["version"]) if cache else None
        if cached is not None:
            state.raw[summary["id"]] = cached
        else:
            missing.append(summary)
    if progress_total:
        progress_total(len(missing))

    def fetch(summary: dict[str, Any]) -> dict[str, Any]:
        full = api.get_action_full(summary["id"])
        if integrations.is_function(str(full.get("integrationId"))):
            # Settings and package live beside the action; a change to them goes through
            # a published draft, which bumps the version, so the cache stays keyed right.
            full[FUNCTION_KEY] = api.get_function(summary["id"])
        if cache is not None:
            cache.put_action(full)
        if progress:
            progress(1)
        return full

    for full in api.client.map(fetch, missing):
        state.raw[full["id"]] = full
    names = integrations.names_by_id
    state.actions = [
        LiveAction(action_id, int(action.get("version", 0)), canonical_live(action, names))
        for action_id, action in sorted(state.raw.items())
    ]
    return state


def integrations_for(
    api: OrgApi, cache: LiveCache | None, ids: Iterable[str], names: Iterable[str]
) -> Integrations:
    """The org's integrations (id -> name): from the cache when it knows every id in
    ``ids`` and every name in ``names``, else listed (and cached)."""
    cached = cache.get_integrations() if cache else None
    if cached is not None:
        known = cached.names_by_id
        if set(ids) <= set(known) and set(names) <= set(known.values()):
            return cached
    listed = [i for i in api.iter_integrations() if i.get("id")]
    integrations = Integrations(
        {str(i["id"]): str(i.get("name", "")) for i in listed},
        {str(i["id"]): kind for i in listed if (kind := type_id(i)) is not None},
    )
    if cache is not None:
        cache.put_integrations(integrations)
    return integrations


def type_id(integration: dict[str, Any]) -> str | None:
    """The ``integrationType.id`` of an ``Integration``."""
    kind = integration.get("integrationType")
    value = kind.get("id") if isinstance(kind, dict) else kind
    return value if isinstance(value, str) else None
