"""Settings of the sandbox, including knobs for API behaviour that
docs/genesys-api-notes.md marks unknown."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_CLIENT_ID = "dactl-sandbox"
DEFAULT_CLIENT_SECRET = "dactl-sandbox-secret"
# Real Genesys tokens from client credentials live for about a day.
DEFAULT_TOKEN_TTL = 86399
# What GET /api/v2/organizations/me answers (an ``Organization``; SDK build/docs/Organization.md).
DEFAULT_ORG_NAME = "dactl sandbox"
DEFAULT_ORG_ID = "5a0e7c3b-1d2f-4e6a-8b9c-0000000000aa"
# The "allowed" header value when no rate limit is configured (the sandbox is unlimited then).
UNLIMITED_ALLOWED = 2147483647
STALE_VERSION_MESSAGE = (
    "The version number of the modified resource must match the version number in the database."
)
# The 400 variant of a stale-version PATCH, worded as the client libraries match it: the
# Terraform provider's util.IsVersionMismatch retries a 400 "does not match the current
# version" (docs/genesys-api-notes.md); the real PATCH answer is unknown [I].
STALE_VERSION_400_MESSAGE = (
    "Supplied version {supplied} does not match the current version {current}"
)

# [I] The runtimes the org offers (GET /actions/functions/runtimes); names as in the
# Terraform provider's examples.
DEFAULT_RUNTIMES: tuple[tuple[str, str], ...] = (
    ("nodejs18.x", "Deprecated"),
    ("nodejs20.x", "Available"),
    ("nodejs22.x", "Available"),
    ("python3.12", "Available"),
)

# DependencyStatus.status values (SDK ``DependencyStatus``, its ``allowed_values``).
BUILD_STATUSES = (
    "BUILDINCOMPLETE",
    "BUILDINITIALIZING",
    "BUILDINPROGRESS",
    "BUILDQUEUED",
    "NOTBUILT",
    "OPERATIONAL",
    "OPERATIONALNEEDSREBUILD",
)

DraftExistsPolicy = Literal["error", "replace"]
StaleVersionStatus = Literal[409, 400]


@dataclass(frozen=True)
class SandboxConfig:
    """Everything that shapes one sandbox instance; immutable once the app is built."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    state_file: Path | None = None
    seed_file: Path | None = None
    latency_ms: int = 0
    # Requests per token per minute; 0 means unlimited (real Genesys default is 300).
    rate_limit: int = 0
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = field(default=DEFAULT_CLIENT_SECRET, repr=False)
    token_ttl: int = DEFAULT_TOKEN_TTL
    org_name: str = DEFAULT_ORG_NAME
    org_id: str = DEFAULT_ORG_ID
    # Contracts are fixed once published (help centre, docs/genesys-api-notes.md); an org that lets
    # a draft change them is emulated with --mutable-contracts.
    mutable_contracts: bool = False
    # [I] knobs: the real values are unknown, so tests can pick the behaviour they assume.
    max_page_size: int = 100
    conflict_code: str = "conflict"
    conflict_message: str = STALE_VERSION_MESSAGE
    name_filter_case_sensitive: bool = False
    inline_templates: bool = False
    draft_exists: DraftExistsPolicy = "error"
    immutable_category: bool = False
    writable_custom_auth: bool = False
    # A PATCH of an action or draft with a stale version: 409 ``conflict_code``, or 400
    # ``bad.request`` with STALE_VERSION_400_MESSAGE (docs/genesys-api-notes.md: unknown [I]).
    stale_version_status: StaleVersionStatus = 409
    # A deleted action keeps reading (GET 200, in listings) this long after its DELETE
    # returned 204, as an eventually consistent API may (Terraform polls GET until 404 for
    # up to 30 s after a DELETE, docs/genesys-api-notes.md).
    delete_delay_ms: int = 0
    # [I] Function actions: how long an uploaded package stays "Transferring" before it is
    # processed, whether PUT .../draft/function moves the draft's version, and the runtimes
    # offered (name, status).
    function_processing_ms: int = 200
    function_put_bumps_version: bool = True
    function_runtimes: tuple[tuple[str, str], ...] = DEFAULT_RUNTIMES
    # The dependency-tracking build's status (``DependencyStatus.status``): OPERATIONAL,
    # or OPERATIONALNEEDSREBUILD, BUILDINPROGRESS, ... for data that lags behind the flows.
    dependency_build_status: str = "OPERATIONAL"


def is_loopback(host: str) -> bool:
    """True when ``host`` names a loopback interface (127.0.0.0/8, ::1 or localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
