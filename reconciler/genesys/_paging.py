"""Listings, page by page: every entity once, every page checked, a listing never cut short."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.errors import ApiError, ResponseShapeError

from . import _shapes as shapes
from ._bounds import ENV_MAX_PAGES
from .client import GenesysClient


def paginate(
    client: GenesysClient,
    path: str,
    params: Mapping[str, Any],
    page_size: int,
    *,
    versioned: bool = True,
) -> Iterator[dict[str, Any]]:
    """Every entity of a listing, each once; every page's shape is checked (ids, and
    integer versions when ``versioned``).

    ``pageCount`` is never trusted to end the listing: it ends at the last page it
    names, at a short page when it names none, and at an empty page whatever it
    says. A page that lists no id not seen before (a server that ignores
    ``pageNumber``), or a listing past ``limits.max_pages`` pages or
    ``limits.max_entities`` entities, is an error: a listing cut short would make a
    plan take the missing actions for deleted ones. The pages after one whose
    ``pageCount`` agrees with its ``total`` are read together (up to the page
    ceiling); they are still taken in order, with every check.
    """
    limits = client.limits
    seen: set[str] = set()
    ahead: dict[int, dict[str, Any]] = {}  # pages read together, not yet taken
    page = 1
    while True:
        if page > limits.max_pages:
            raise ApiError(
                f"GET {path}: the listing did not end within {limits.max_pages} pages "
                f"({ENV_MAX_PAGES}); dactl stops rather than work from part of it"
            )
        listing = ahead.pop(page, None)
        if listing is None:
            listing = _page(client, path, params, page_size, page, versioned)
        _check_new(path, page, listing, seen)
        entities: list[dict[str, Any]] = listing["entities"]
        for entity in entities:
            # A listing that shifts between pages can repeat an entity; yield it once.
            if entity["id"] not in seen:
                seen.add(entity["id"])
                yield entity
        if len(seen) > limits.max_entities:
            raise ApiError(
                f"GET {path}: the listing passed {limits.max_entities} entities; dactl "
                "stops rather than work from part of it"
            )
        page_count = listing.get("pageCount")
        if not entities:
            return
        if isinstance(page_count, int) and not isinstance(page_count, bool):
            if page >= page_count:
                return
            if not ahead and _counts_agree(listing, page_count, page_size):
                numbers = range(page + 1, min(page_count, limits.max_pages) + 1)
                read = client.map(
                    lambda n: _page(client, path, params, page_size, n, versioned), numbers
                )
                ahead = dict(zip(numbers, read, strict=True))
        elif len(entities) < page_size:
            return
        page += 1


def _page(
    client: GenesysClient,
    path: str,
    params: Mapping[str, Any],
    page_size: int,
    page: int,
    versioned: bool,
) -> dict[str, Any]:
    query = {"pageSize": page_size, "pageNumber": page, **params}
    found: dict[str, Any] = client.get_json(
        path, params=query, shape=shapes.listing(versioned=versioned)
    )
    return found


def _check_new(path: str, page: int, listing: dict[str, Any], seen: set[str]) -> None:
    """A page that lists ids, all of earlier pages, is a server that ignores pageNumber."""
    entities = listing["entities"]
    if page > 1 and entities and all(entity["id"] in seen for entity in entities):
        raise ResponseShapeError(
            f"GET {path}: the server answered an unexpected shape: page {page} lists only "
            "ids of earlier pages (does the server ignore pageNumber?); the listing cannot "
            "be trusted",
            status=200,
        )


def _counts_agree(listing: Mapping[str, Any], page_count: int, page_size: int) -> bool:
    """True when a page's ``pageCount`` is what its ``total`` makes of its page size."""
    total, size = listing.get("total"), listing.get("pageSize", page_size)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (total, size)):
        return False
    return bool(size > 0 and page_count == math.ceil(total / size))
