"""Which org a run talks to, named for the reviewer: its name, else the API host.

``GET /api/v2/organizations/me`` answers an ``Organization`` (``id``, ``name``,
``thirdPartyOrgName``, ``domain``, ``state``, ``version``, ``selfUri``, ...). Source: the
official Python SDK, ``build/docs/OrganizationApi.md`` (``get_organizations_me``: "Wraps
GET /api/v2/organizations/me", "Requires no permissions") and ``build/docs/Organization.md``
(MyPureCloud/platform-client-sdk-python). Only ``id`` and ``name`` are used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from reconciler.backend import OrgApi
from reconciler.errors import ApiError
from reconciler.live import LiveCache


@dataclass(frozen=True)
class OrgInfo:
    """The org of a run: the API host always, its name and id when the org told them, and
    the project's environment (``--env``) the run is for, when it names one."""

    host: str
    name: str | None = None
    id: str | None = None
    environment: str | None = None

    @property
    def label(self) -> str:
        """``dactl sandbox (127.0.0.1:8765)``, or the host alone when the name is unknown."""
        return f"{self.name} ({self.host})" if self.name else self.host

    @property
    def target(self) -> str:
        """The label, with the environment in front when there is one: ``prod: Acme (host)``."""
        return f"{self.environment}: {self.label}" if self.environment else self.label

    def to_dict(self) -> dict[str, Any]:
        """``name``, ``id`` and ``host``: the org (the environment is a member of its own
        in the reports that carry one)."""
        return {"name": self.name, "id": self.id, "host": self.host}


def api_host(api_url: str) -> str:
    """``api.mypurecloud.ie`` of ``https://api.mypurecloud.ie`` (with the port, if any)."""
    return urlsplit(api_url).netloc or api_url


def lookup_organization(api: OrgApi, cache: LiveCache | None, api_url: str) -> OrgInfo:
    """The org behind ``api``: from ``cache`` when known, else one ``GET
    /api/v2/organizations/me`` (whose answer is cached).

    The lookup never fails a run on its own: an HTTP answer other than 2xx (403 for a
    client without the permission, 404, 5xx after the client's retries) or a body without
    a name gives the host alone, and nothing is cached, so the next run asks again. A 401
    (the credentials do not work) and a network failure are raised: every other request of
    the run would fail the same way.
    """
    host = api_host(api_url)
    cached = cache.get_organization() if cache is not None else None
    if cached is not None and isinstance(cached.get("name"), str):
        return OrgInfo(host, cached["name"], _text(cached.get("id")))
    try:
        body = api.get_organization()
    except ApiError as exc:
        if exc.status is None or exc.status == 401:
            raise
        return OrgInfo(host)
    name = _text(body.get("name")) if isinstance(body, dict) else None
    if name is None:
        return OrgInfo(host)
    org_id = _text(body.get("id"))
    if cache is not None:
        cache.put_organization({"id": org_id, "name": name})
    return OrgInfo(host, name, org_id)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _text(value: Any) -> str | None:
    """A non-empty string, control characters made harmless: the org's name reaches the
    terminal (and the apply prompt), where it must not drive the reviewer's screen."""
    if not isinstance(value, str):
        return None
    text = _CONTROL.sub("?", value).strip()
    return text or None
