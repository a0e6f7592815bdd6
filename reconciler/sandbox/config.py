"""Settings of the sandbox, including knobs for API behaviour that genesys-api.md tags [I]."""

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
# The "allowed" header value when no rate limit is configured (the sandbox is unlimited then).
UNLIMITED_ALLOWED = 2147483647
STALE_VERSION_MESSAGE = (
    "The version number of the modified resource must match the version number in the database."
)

DraftExistsPolicy = Literal["error", "replace"]


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
    immutable_contracts: bool = False
    # [I] knobs: the real values are unknown, so tests can pick the behaviour they assume.
    max_page_size: int = 100
    conflict_code: str = "conflict"
    conflict_message: str = STALE_VERSION_MESSAGE
    name_filter_case_sensitive: bool = False
    inline_templates: bool = False
    draft_exists: DraftExistsPolicy = "error"
    immutable_category: bool = False
    writable_custom_auth: bool = False


def is_loopback(host: str) -> bool:
    """True when ``host`` names a loopback interface (127.0.0.0/8, ::1 or localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
