"""Presigned uploads (a Function action's code package): a PUT to a URL the API handed out.

The URL is the credential: no bearer token goes with it, and only its host is ever shown.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import httpx
from tenacity import Retrying

from reconciler.errors import ApiError

from ._bounds import BodyError
from ._errors import describe_transport_error
from ._support import _NOT_SENT_ERRORS, _Retry, _retry_after, _upload_reason
from .settings import is_loopback_host


def put_presigned(
    uploads: httpx.Client,
    slots: threading.BoundedSemaphore,
    retrying: Retrying,
    url: str,
    content: bytes,
    headers: Mapping[str, str],
) -> None:
    """PUT ``content`` to ``url`` with ``headers``; a PUT of the same bytes is idempotent,
    so transport failures, 429 and 5xx are retried under ``retrying``."""
    parts = httpx.URL(url)
    host = parts.host
    if parts.scheme not in ("http", "https") or not host:
        raise ApiError("the API returned an upload URL that is not http(s)")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ApiError(f"refusing to upload a package over plain http to {host}")
    where = f"PUT {parts.scheme}://{host} (package upload)"

    def attempt() -> httpx.Response:
        request = uploads.build_request("PUT", url, content=content, headers=headers)
        try:
            with slots:
                response = uploads.send(request)
        except BodyError as exc:
            raise ApiError(f"{where}: {exc}", status=exc.status) from exc
        except httpx.RequestError as exc:
            raise _Retry(
                ApiError(f"cannot reach {host}: {describe_transport_error(exc)} ({where})"),
                unreachable=isinstance(exc, _NOT_SENT_ERRORS),
            ) from exc
        if response.is_success:
            return response
        error = ApiError(f"{where}: {_upload_reason(response)}", status=response.status_code)
        if response.status_code >= 500 or response.status_code == 429:
            raise _Retry(error, retry_after=_retry_after(response))
        raise error

    try:
        retrying(attempt)
    except _Retry as exc:
        attempts = int(retrying.statistics.get("attempt_number", 1))
        raise exc.give_up(attempts) from exc.__cause__
