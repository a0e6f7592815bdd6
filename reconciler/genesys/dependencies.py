"""Architect dependency tracking: the flows that consume an action, and how fresh that
data is. Shapes from the official SDK (``ArchitectApi``, ``ConsumingResourcesEntityListing``,
``Dependency``, ``DependencyStatus``; docs/genesys-api-notes.md, "Dependency tracking")."""

from __future__ import annotations

from typing import Any

from reconciler.errors import ApiError

from . import _shapes as shapes
from .client import GenesysClient

DEPENDENCY_TRACKING = "/api/v2/architect/dependencytracking"
CONSUMING_RESOURCES = f"{DEPENDENCY_TRACKING}/consumingresources"
BUILD = f"{DEPENDENCY_TRACKING}/build"
# The SDK's documented default page size of this listing (ArchitectApi.md); a larger one
# is not documented as accepted, so dactl asks for the default and follows the pages.
CONSUMERS_PAGE_SIZE = 25
_TEXT_KEYS = ("name", "version", "type")


def consumers_page(body: Any) -> dict[str, Any]:
    """A ``ConsumingResourcesEntityListing`` page: ``entities`` of ``Dependency`` objects,
    each with an ``id``, and ``name``, ``version`` and ``type`` strings when present."""
    page = shapes.obj(body)
    entities = page.get("entities")
    if entities is None:
        page["entities"] = entities = []
    if not isinstance(entities, list):
        raise shapes.ShapeProblem(f"the page has entities {shapes.kind(entities)}, not an array")
    for i, entity in enumerate(entities):
        where = f"entities[{i}]"
        shapes.obj(entity, where)
        shapes.identifier(entity, where)
        for key in _TEXT_KEYS:
            value = entity.get(key)
            if value is not None and not isinstance(value, str | int | float):
                raise shapes.ShapeProblem(f"{where}.{key} is {shapes.kind(value)}, not a string")
    return page


class DependencyTracking:
    """The dependency-tracking reads of ``ActionsApi`` (it needs ``self.client``)."""

    client: GenesysClient

    def consuming_resources(
        self, object_id: str, object_type: str, *, flow_filter: str | None = None
    ) -> list[dict[str, Any]]:
        """Every ``Dependency`` that consumes ``object_id`` (``DATAACTION`` or
        ``SECUREACTION``), page by page; ``flow_filter``: ``published`` or ``checkedIn``."""
        max_pages = self.client.limits.max_pages
        found: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        page = 1
        while True:
            if page > max_pages:
                raise ApiError(
                    f"GET {CONSUMING_RESOURCES}: the listing did not end within {max_pages} "
                    "pages; dactl stops rather than work from part of it"
                )
            params = {
                "id": object_id,
                "objectType": object_type,
                "flowFilter": flow_filter,
                "pageSize": CONSUMERS_PAGE_SIZE,
                "pageNumber": page,
            }
            listing = self.client.get_json(CONSUMING_RESOURCES, params=params, shape=consumers_page)
            entities: list[dict[str, Any]] = listing["entities"]
            new = 0
            for entity in entities:
                key = (entity["id"], str(entity.get("version")))
                if key not in seen:
                    seen.add(key)
                    found.append(entity)
                    new += 1
            page_count = listing.get("pageCount")
            if not entities or not new:
                return found
            if isinstance(page_count, int) and not isinstance(page_count, bool):
                if page >= page_count:
                    return found
            elif len(entities) < CONSUMERS_PAGE_SIZE:
                return found
            page += 1

    def dependency_build(self) -> dict[str, Any]:
        """``GET .../dependencytracking/build``: a ``DependencyStatus`` (``status``,
        ``dateCompleted``, ...)."""
        status: dict[str, Any] = self.client.get_json(BUILD, shape=shapes.any_object)
        return status
