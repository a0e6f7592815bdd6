"""The sandbox's org state: actions with versions and drafts, guarded by one lock, persisted.

Every entry is ``{"kind": "custom"|"static"|"customAuth", "published": defn|None,
"draft": defn|None}``; a definition holds name, integrationId, category, secure, version,
config (templates inline) and contract. A draft-only action has ``published`` None.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from reconciler.sandbox import functions as fn
from reconciler.sandbox import validation as v
from reconciler.sandbox.config import STALE_VERSION_400_MESSAGE, SandboxConfig
from reconciler.sandbox.persist import StateFile, load_state
from reconciler.sandbox.problems import ApiProblem, bad_request, not_found
from reconciler.sandbox.seed import (
    FUNCTION_TYPE,
    default_state,
    load_seed_file,
    resolve_integration,
)
from reconciler.sandbox.store_functions import FunctionStoreMixin

log = logging.getLogger(__name__)

Definition = dict[str, Any]
Problems = list[tuple[str, str]]
# (id, kind, definition): one published action, or one draft.
Entry = tuple[str, str, Definition]
# Listings remembered at most (each is a list of ids), until the next write.
MAX_LISTINGS = 64


class Store(FunctionStoreMixin):
    """All actions and integrations; every method is atomic under one lock.

    With ``delete_delay_ms``, a deleted action leaves a tombstone: it keeps reading (GET,
    listings, its files) until its deadline on ``clock``, while every write to it, a second
    DELETE included, gets 404 at once (reads lag, writes do not). Tombstones live in memory
    only: the state file holds the org with every delete done, and ``reset`` drops them.
    """

    def __init__(
        self, config: SandboxConfig, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._config = config
        self._clock = clock
        self._uploads = fn.Uploads(config.org_id, clock)
        self._lock = threading.RLock()
        self._state = default_state()
        # action id -> (deadline on the clock, the entry as it was when deleted)
        self._tombstones: dict[str, tuple[float, dict[str, Any]]] = {}
        # (drafts, the listing's key) -> its ids in order; emptied by every write.
        self._listings: dict[tuple[bool, Hashable], list[str]] = {}
        path = config.state_file
        self._file = StateFile(Path(path)) if path is not None else None
        if config.seed_file is not None:
            for item in load_seed_file(config.seed_file):
                self._insert_seed(item)
        self._seed = copy.deepcopy(self._state)
        if path is not None and Path(path).exists():
            self._state = load_state(Path(path))
            log.info("loaded sandbox state from %s", path)
            self.close()  # a journal left by a killed sandbox goes into the file
        else:
            self._save()

    # -- persistence and reset -------------------------------------------------------------

    def _save(self, *action_ids: str) -> None:
        """After a write: forget remembered listings, and persist the actions
        ``action_ids`` (one journal line each), or without ids the whole state."""
        self._listings.clear()
        if self._file is None:
            return
        if action_ids:
            self._file.record(self._state, action_ids)
        else:
            self._file.snapshot(self._state)

    def close(self) -> None:
        """Leave the state file complete on its own (a clean stop calls this)."""
        with self._lock:
            if self._file is not None:
                self._file.close(self._state)

    def reset(self) -> None:
        """Back to the seed state (default org plus ``--seed`` actions)."""
        with self._lock:
            self._state = copy.deepcopy(self._seed)
            self._tombstones.clear()
            self._save()

    def snapshot(self) -> dict[str, Any]:
        """A deep copy of the whole state, as persisted."""
        with self._lock:
            return copy.deepcopy(self._state)

    # -- reads -----------------------------------------------------------------------------

    def integrations(self) -> list[dict[str, Any]]:
        """All integrations."""
        with self._lock:
            return copy.deepcopy(self._state["integrations"])

    def integration(self, integration_id: str) -> dict[str, Any] | None:
        """One integration, or None."""
        with self._lock:
            for entry in self._state["integrations"]:
                if entry["id"] == integration_id:
                    found: dict[str, Any] = copy.deepcopy(entry)
                    return found
            return None

    def entries(self, *, drafts: bool) -> list[Entry]:
        """(id, kind, definition) of every published action, or of every draft."""
        side = "draft" if drafts else "published"
        with self._lock:
            readable = {**self._readable_tombstones(), **self._state["actions"]}
            return [
                (action_id, entry["kind"], copy.deepcopy(entry[side]))
                for action_id, entry in readable.items()
                if entry[side] is not None
            ]

    def get(self, action_id: str, *, draft: bool) -> tuple[str, Definition]:
        """(kind, definition) of the published action or its draft; 404 when absent."""
        with self._lock:
            entry = self._state["actions"].get(action_id)
            if entry is None:
                entry = self._readable_tombstones().get(action_id)
            side = "draft" if draft else "published"
            if entry is None or entry[side] is None:
                what = "draft of action" if draft else "action"
                raise not_found(f"Unable to find {what} with id {action_id}")
            return entry["kind"], copy.deepcopy(entry[side])

    def listing(
        self, *, drafts: bool, key: Hashable, select: Callable[[Iterable[Entry]], list[str]]
    ) -> list[str]:
        """The ids ``select`` picks, in its order, from every published action (or every
        draft), given as (id, kind, definition) without copies: ``select`` must not change
        them. Remembered under ``key`` until the next write, so that each page of a listing
        costs O(page), not O(org); ``definitions`` then reads the page."""
        with self._lock:
            readable = self._readable_tombstones()
            memo = (drafts, key)
            found = None if readable else self._listings.get(memo)
            if found is None:
                side = "draft" if drafts else "published"
                found = select(
                    (action_id, entry["kind"], entry[side])
                    for action_id, entry in {**readable, **self._state["actions"]}.items()
                    if entry[side] is not None
                )
                if not readable:  # tombstones read until their deadline: never remembered
                    if len(self._listings) >= MAX_LISTINGS:
                        self._listings.clear()
                    self._listings[memo] = found
            return found

    def definitions(self, ids: Sequence[str], *, drafts: bool) -> list[tuple[str, Definition]]:
        """(id, a copy of the definition) of each of ``ids`` that can still be read."""
        side = "draft" if drafts else "published"
        with self._lock:
            actions = self._state["actions"]
            readable = self._readable_tombstones() if self._tombstones else {}
            found = []
            for action_id in ids:
                entry = actions.get(action_id) or readable.get(action_id)
                if entry is not None and entry[side] is not None:
                    found.append((action_id, copy.deepcopy(entry[side])))
            return found

    # -- published actions -----------------------------------------------------------------

    def create(self, body: Mapping[str, Any], *, draft_only: bool) -> tuple[str, Definition]:
        """POST /actions (published, version 1) or POST /actions/drafts (draft-only)."""
        found = v.check_text(body, "name", required=True)
        found += v.check_text(body, "category", required=True)
        found += self._check_integration(body.get("integrationId"))
        function = self._integration_type(body.get("integrationId")) == fn.FUNCTION_TYPE
        if function and not draft_only:
            # The real refusal, quoted in the Terraform provider's PR #2450
            # (docs/genesys-api-notes.md).
            raise bad_request(
                f"Integration of type '{fn.FUNCTION_TYPE}' does not support creating "
                "published actions",
                field="integrationId",
            )
        found += _check_secure(body)
        found += v.check_config(body.get("config"), url_required=self._url_required(body))
        found += v.check_contract(body.get("contract"))
        if found:
            raise v.problem(found)
        defn = _definition(body, version=1)
        if function:
            defn["function"] = fn.empty_function_config()
        action_id = f"custom_-_{uuid.uuid4()}"
        with self._lock:
            self._state["actions"][action_id] = {
                "kind": "custom",
                "published": None if draft_only else defn,
                "draft": defn if draft_only else None,
            }
            self._save(action_id)
        return action_id, copy.deepcopy(defn)

    def patch(self, action_id: str, body: Mapping[str, Any]) -> Definition:
        """PATCH /actions/{id}: version-checked, ``config`` replaced wholesale, version + 1."""
        forbidden = sorted(k for k in ("contract", "secure", "integrationId") if k in body)
        if forbidden:
            raise v.problem(
                [(k, f"{k} cannot be changed on a published action") for k in forbidden]
            )
        with self._lock:
            entry = self._entry(action_id, "published")
            self._check_writable(action_id, entry["kind"], "updated")
            current = entry["published"]
            self._check_fresh(v.check_version(body), current["version"])
            found = self._check_update(body, current, entry["kind"])
            if found:
                raise v.problem(found)
            entry["published"] = _apply_update(current, body)
            self._save(action_id)
            return copy.deepcopy(entry["published"])

    def delete(self, action_id: str) -> None:
        """DELETE /actions/{id}: removes the action and any draft."""
        with self._lock:
            entry = self._entry(action_id, "published")
            self._check_writable(action_id, entry["kind"], "deleted")
            del self._state["actions"][action_id]
            if self._config.delete_delay_ms:
                deadline = self._clock() + self._config.delete_delay_ms / 1000
                self._tombstones[action_id] = (deadline, entry)
            self._save(action_id)

    # -- drafts ----------------------------------------------------------------------------

    def create_draft(self, action_id: str) -> Definition:
        """POST /actions/{id}/draft: a copy of the published action, with its own version 1."""
        with self._lock:
            entry = self._entry(action_id, "published")
            self._check_writable(action_id, entry["kind"], "drafted")
            if entry["draft"] is not None and self._config.draft_exists == "error":
                raise bad_request(f"A draft already exists for action {action_id}")
            entry["draft"] = {**copy.deepcopy(entry["published"]), "version": 1}
            self._save(action_id)
            return copy.deepcopy(entry["draft"])

    def patch_draft(self, action_id: str, body: Mapping[str, Any]) -> Definition:
        """PATCH /actions/{id}/draft: like PATCH, but contract and secure may change too."""
        if "integrationId" in body:
            raise v.problem([("integrationId", "integrationId cannot be changed")])
        with self._lock:
            entry = self._entry(action_id, "draft")
            self._check_writable(action_id, entry["kind"], "updated")
            current = entry["draft"]
            self._check_fresh(v.check_version(body), current["version"])
            found = self._check_update(body, current, entry["kind"], published=False)
            found += _check_secure(body)
            if "contract" in body:
                found += v.check_contract(body["contract"])
            if found:
                raise v.problem(found)
            entry["draft"] = _apply_update(current, body)
            self._save(action_id)
            return copy.deepcopy(entry["draft"])

    def delete_draft(self, action_id: str) -> None:
        """DELETE /actions/{id}/draft; a draft-only action disappears with its draft."""
        with self._lock:
            entry = self._entry(action_id, "draft")
            self._check_writable(action_id, entry["kind"], "deleted")
            if entry["published"] is None:
                del self._state["actions"][action_id]
            else:
                entry["draft"] = None
            self._save(action_id)

    def validate_draft(self, action_id: str) -> list[ApiProblem]:
        """The problems publishing the draft would meet (empty when it would publish)."""
        with self._lock:
            entry = self._entry(action_id, "draft")
            return self._publish_problems(entry)

    def publish(self, action_id: str, body: Mapping[str, Any]) -> Definition:
        """POST /actions/{id}/draft/publish: consumes the draft, bumps the published version."""
        with self._lock:
            entry = self._entry(action_id, "draft")
            self._check_writable(action_id, entry["kind"], "published")
            supplied, latest = v.check_version(body), entry["draft"]["version"]
            if supplied != latest:
                raise bad_request(
                    f"Supplied version {supplied} does not match latest draft version {latest}"
                )
            problems = self._publish_problems(entry)
            if problems:
                raise problems[0]
            previous = entry["published"]
            version = previous["version"] + 1 if previous is not None else 1
            entry["published"] = {**entry["draft"], "version": version}
            entry["draft"] = None
            self._save(action_id)
            return copy.deepcopy(entry["published"])

    # -- helpers ---------------------------------------------------------------------------

    def _insert_seed(self, item: dict[str, Any]) -> None:
        body = dict(item)
        body["integrationId"] = resolve_integration(item, self._state["integrations"])
        body.setdefault("category", self._integration_name(body["integrationId"]))
        found = v.check_text(body, "name", required=True) + v.check_text(
            body, "category", required=True
        )
        found += self._check_integration(body["integrationId"])
        found += v.check_config(body.get("config"), url_required=self._url_required(body))
        found += v.check_contract(body.get("contract"))
        if found:
            raise ValueError(f"seed action {item.get('name')!r}: {found[0][1]}")
        version = item.get("version", 1)
        action_id = str(item.get("id") or f"custom_-_{uuid.uuid4()}")
        kind = "static" if action_id.startswith("static") else "custom"
        if action_id.startswith("customAuth_-_"):
            kind = "customAuth"
        defn = _definition(body, version=version if isinstance(version, int) else 1)
        self._state["actions"][action_id] = {"kind": kind, "published": defn, "draft": None}

    def _integration_name(self, integration_id: str | None) -> str | None:
        for entry in self._state["integrations"]:
            if entry["id"] == integration_id:
                return str(entry["name"])
        return None

    def _url_required(self, action: Mapping[str, Any]) -> bool:
        return self._integration_type(action.get("integrationId")) != FUNCTION_TYPE

    def _integration_type(self, integration_id: Any) -> str | None:
        for entry in self._state["integrations"]:
            if entry["id"] == integration_id:
                return str(entry["integrationType"]["id"])
        return None

    def _check_integration(self, integration_id: Any) -> Problems:
        if not isinstance(integration_id, str) or not integration_id:
            return [("integrationId", "integrationId is required")]
        if self._integration_name(integration_id) is None:
            return [("integrationId", f"Integration {integration_id} was not found")]
        return []

    def _entry(self, action_id: str, side: str) -> dict[str, Any]:
        entry: dict[str, Any] | None = self._state["actions"].get(action_id)
        if entry is None or entry[side] is None:
            what = "draft of action" if side == "draft" else "action"
            raise not_found(f"Unable to find {what} with id {action_id}")
        return entry

    def _check_writable(self, action_id: str, kind: str, verb: str) -> None:
        if kind == "static":
            raise bad_request(f"Static action {action_id} cannot be {verb}")
        if kind == "customAuth" and not (verb == "updated" and self._config.writable_custom_auth):
            raise bad_request(f"Custom authentication action {action_id} cannot be {verb}")

    def _readable_tombstones(self) -> dict[str, dict[str, Any]]:
        """Deleted actions that still read (their deadline is ahead); drops the others."""
        now = self._clock()
        for action_id in [k for k, (deadline, _) in self._tombstones.items() if deadline <= now]:
            del self._tombstones[action_id]
        return {action_id: entry for action_id, (_, entry) in self._tombstones.items()}

    def _check_fresh(self, supplied: int, current: int) -> None:
        if supplied == current:
            return
        params = {"currentVersion": current, "suppliedVersion": supplied}
        if self._config.stale_version_status == 400:
            message = STALE_VERSION_400_MESSAGE.format(supplied=supplied, current=current)
            raise ApiProblem(400, "bad.request", message, message_params=params)
        raise ApiProblem(
            409, self._config.conflict_code, self._config.conflict_message, message_params=params
        )

    def _check_update(
        self, body: Mapping[str, Any], current: Definition, kind: str, *, published: bool = True
    ) -> Problems:
        found = v.check_text(body, "name", required=False)
        found += v.check_text(body, "category", required=False)
        if "config" in body:
            found += v.check_config(body["config"], url_required=self._url_required(current))
            new_config = body["config"] if isinstance(body["config"], dict) else {}
            if kind == "customAuth" and new_config.get("timeoutSeconds") is not None:
                found.append(("config.timeoutSeconds", "timeoutSeconds is invalid for custom auth"))
        changes_category = "category" in body and body["category"] != current["category"]
        if published and self._config.immutable_category and changes_category:
            found.append(("category", "category cannot be changed after creation"))
        return found

    def _publish_problems(self, entry: dict[str, Any]) -> list[ApiProblem]:
        draft, previous = entry["draft"], entry["published"]
        found = v.check_text(draft, "name", required=True)
        found += v.check_text(draft, "category", required=True)
        found += v.check_config(draft["config"], url_required=self._url_required(draft))
        found += v.check_contract(draft["contract"])
        found += [("function", why) for why in self.function_publish_problems(draft)]
        problems = [v.problem(found)] if found else []
        if previous is not None:
            # `secure` is fixed once published (help center, confirmed), and so is the
            # contract, except in orgs emulated with --mutable-contracts.
            fixed = ("secure",) if self._config.mutable_contracts else ("contract", "secure")
            changed = [k for k in fixed if draft[k] != previous[k]]
            if changed:
                problems.append(
                    bad_request(
                        f"The {' and '.join(changed)} of a published action cannot be changed",
                        field=changed[0],
                    )
                )
        return problems


def _check_secure(body: Mapping[str, Any]) -> Problems:
    if "secure" in body and not isinstance(body["secure"], bool):
        return [("secure", "secure must be a boolean")]
    return []


def _definition(body: Mapping[str, Any], *, version: int) -> Definition:
    return {
        "name": body["name"],
        "integrationId": body["integrationId"],
        "category": body["category"],
        "secure": bool(body.get("secure", False)),
        "version": version,
        "config": v.normalize_config(body["config"]),
        "contract": v.normalize_contract(body["contract"]),
    }


def _apply_update(current: Definition, body: Mapping[str, Any]) -> Definition:
    updated = copy.deepcopy(current)
    for key in ("name", "category", "secure"):
        if key in body:
            updated[key] = body[key]
    if "config" in body:
        updated["config"] = v.normalize_config(body["config"])
    if "contract" in body:
        updated["contract"] = v.normalize_contract(body["contract"])
    updated["version"] = current["version"] + 1
    return updated
