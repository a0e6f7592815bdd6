"""OAuth for the Platform API: client credentials with a cached token, or a ready token."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Generator
from typing import Any

import httpx

from reconciler.errors import ApiError, AuthError
from reconciler.secrets import register_secret

from ._errors import correlation_id, one_line, response_body
from .settings import ENV_ACCESS_TOKEN, ENV_CLIENT_ID, ENV_CLIENT_SECRET

_DEFAULT_LIFETIME = 3600.0  # when the token endpoint omits expires_in


class ClientCredentialsAuth(httpx.Auth):
    """Client-credentials grant; one cached token shared by all threads, refreshed once on 401."""

    hint_on_401 = "the token was refreshed and still refused"

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        clock: Callable[[], float] = time.monotonic,
        user_agent: str | None = None,
        timeout: float | httpx.Timeout = 30.0,
    ) -> None:
        self._token_url = token_url
        self._client_id = client_id
        self._secret = client_secret
        self._clock = clock
        self._user_agent = user_agent
        self._timeout = httpx.Timeout(timeout)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(token_url={self._token_url!r}, client_id={self._client_id!r})"

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Attach a bearer token; on a 401, fetch a new token once and resend once."""
        # Overridden instead of auth_flow so that token responses are read inside this
        # generator: httpx always closes it, so the lock held across the token request's
        # yield is released on every path, errors included.
        with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                token_response = yield self._token_request()
                token_response.read()
                if not self._store(token_response):
                    return  # 429/5xx from the login host: the caller retries it
            token = self._token
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401:
            return
        with self._lock:
            if self._token == token:  # nobody refreshed it while we were waiting
                token_response = yield self._token_request()
                token_response.read()
                if not self._store(token_response):
                    return
            token = self._token
        request.headers["Authorization"] = f"Bearer {token}"
        yield request

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Not supported: the token lock is a thread lock; use ``httpx.Client``."""
        raise NotImplementedError("ClientCredentialsAuth works with httpx.Client only")

    def _token_request(self) -> httpx.Request:
        raw = f"{self._client_id}:{self._secret}".encode()
        headers = {
            "Authorization": "Basic " + base64.b64encode(raw).decode("ascii"),
            "Accept": "application/json",
        }
        if self._user_agent:
            headers["User-Agent"] = self._user_agent
        return httpx.Request(
            "POST",
            self._token_url,
            headers=headers,
            data={"grant_type": "client_credentials"},
            extensions={"timeout": self._timeout.as_dict()},
        )

    def _store(self, response: httpx.Response) -> bool:
        """Cache the token from a token response; False when the caller should retry."""
        status = response.status_code
        if status == 429 or status >= 500:
            return False
        body = response_body(response)
        if status != 200:
            raise self._failure(response, body)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ApiError(
                f"the token endpoint {self._token_url} returned no access_token",
                status=status,
                correlation_id=correlation_id(response, None),
            )
        lifetime = _lifetime(body)
        # Refresh a little early so a token never expires between check and use.
        self._refresh_at = self._clock() + lifetime - min(60.0, lifetime * 0.1)
        register_secret(token)  # masked in any output that echoes it
        self._token = token
        return True

    def _failure(self, response: httpx.Response, body: Any) -> AuthError:
        code, description = None, None
        if isinstance(body, dict):
            code = body.get("code") or body.get("error")
            code = one_line(str(code), 80) if code else None  # server text: made printable
            description = (
                body.get("message") or body.get("error_description") or body.get("description")
            )
        code_text = str(code) if code else f"HTTP {response.status_code}"
        detail = one_line(str(description or response.reason_phrase)).replace(self._secret, "***")
        return AuthError(
            f"authentication failed: {code_text}: {detail} "
            f"(check {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}; token endpoint {self._token_url})",
            status=response.status_code,
            code=str(code) if code else None,
            correlation_id=correlation_id(response, body),
        )


class AccessTokenAuth(httpx.Auth):
    """A ready bearer token (``GENESYSCLOUD_ACCESS_TOKEN``); it cannot be refreshed."""

    hint_on_401 = (
        f"the ready access token was refused and cannot be refreshed: "
        f"set a fresh {ENV_ACCESS_TOKEN} or use client credentials"
    )

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "AccessTokenAuth(token=***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Attach the token as-is."""
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def _lifetime(body: dict[str, Any]) -> float:
    try:
        value = float(body.get("expires_in", _DEFAULT_LIFETIME))
    except (TypeError, ValueError):
        return _DEFAULT_LIFETIME
    return value if value > 0 else _DEFAULT_LIFETIME
