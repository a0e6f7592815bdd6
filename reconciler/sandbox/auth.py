"""OAuth client credentials for the sandbox: Basic-auth token requests and bearer checks."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from collections.abc import Callable

from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.problems import ApiProblem

Clock = Callable[[], float]


def bad_credentials() -> ApiProblem:
    """401 for a wrong client secret or an unknown/expired token."""
    return ApiProblem(401, "bad.credentials", "Invalid login credentials.")


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """(client id, secret) from an ``Authorization: Basic`` header, or None."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


class TokenIssuer:
    """Issues opaque bearer tokens for the one configured client and checks them."""

    def __init__(self, config: SandboxConfig, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}

    def issue(self, client_id: str, secret: str) -> dict[str, object]:
        """The token response for valid credentials; raises 401 ``bad.credentials`` otherwise."""
        id_ok = hmac.compare_digest(client_id.encode(), self._config.client_id.encode())
        secret_ok = hmac.compare_digest(secret.encode(), self._config.client_secret.encode())
        if not (id_ok and secret_ok):
            raise bad_credentials()
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            # Drop expired tokens so a long-running sandbox does not grow without bound.
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + self._config.token_ttl
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self._config.token_ttl,
        }

    def check(self, header: str | None) -> str:
        """The bearer token of a request; 401 when absent, unknown or expired."""
        if not header or not header.lower().startswith("bearer ") or not header[7:].strip():
            raise ApiProblem(
                401,
                "authentication.required",
                "No authentication bearer token specified in authorization header.",
            )
        token = header[7:].strip()
        with self._lock:
            expiry = self._tokens.get(token)
        if expiry is None or expiry <= self._clock():
            raise bad_credentials()
        return token
