"""Bounds on what one server can cost a command: time per request, answer size, and the
knobs that set them (``DACTL_*`` environment variables).

- **Deadline.** httpx's timeouts apply to each socket operation, so a server that sends a
  byte every few seconds could hold a request for hours. Each attempt runs under a
  deadline (``deadline``): every connect, read and write of the attempt (token request
  included) is given at most the time left, through a network backend installed in the
  client's connection pools (``install_deadlines``); the body is read under it too.
- **Size.** ``read_body`` reads an answer in chunks, counting the bytes as sent and, for a
  gzip/deflate answer, as inflated chunk by chunk with a ceiling: a gzip bomb is never
  inflated beyond the cap.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from reconciler.errors import SettingsError

logger = logging.getLogger("reconciler.genesys")

ENV_REQUEST_DEADLINE = "DACTL_REQUEST_DEADLINE"
ENV_RETRY_AFTER_BUDGET = "DACTL_RETRY_AFTER_BUDGET"
ENV_MAX_PAGES = "DACTL_MAX_PAGES"

MIB = 1024 * 1024
# A page of 100 actions with their config is well under 1 MiB; a template is at most a few
# hundred KiB. 32 MiB leaves a wide margin and still bounds memory.
MAX_RESPONSE_BYTES = 32 * MIB
# Genesys documents no limit on the number of actions of an org; 2,000 pages of 100 (and
# 200,000 entities in all) is far above any org seen, and still ends a listing that never
# does.
MAX_PAGES = 2000
MAX_ENTITIES = 200_000
CONNECT_TIMEOUT = 10.0
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """The bounds of one client (one command)."""

    request_deadline: float = 60.0  # seconds per attempt, connect to last byte
    retry_after_budget: float = 300.0  # seconds of Retry-After honoured in all
    max_response_bytes: int = MAX_RESPONSE_BYTES  # as sent and as inflated
    max_pages: int = MAX_PAGES  # per listing
    max_entities: int = MAX_ENTITIES  # per listing

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Limits:
        """Defaults, with ``DACTL_REQUEST_DEADLINE``, ``DACTL_RETRY_AFTER_BUDGET`` (seconds)
        and ``DACTL_MAX_PAGES`` taken from ``env`` when set; ``SettingsError`` when one is
        not a positive number."""
        default = cls()
        return cls(
            request_deadline=_seconds(env, ENV_REQUEST_DEADLINE, default.request_deadline),
            retry_after_budget=_seconds(env, ENV_RETRY_AFTER_BUDGET, default.retry_after_budget),
            max_pages=int(_seconds(env, ENV_MAX_PAGES, default.max_pages, whole=True)),
        )


def _seconds(env: Mapping[str, str], name: str, default: float, *, whole: bool = False) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text) if not whole else int(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        kind = "a whole number" if whole else "a number of seconds"
        raise SettingsError(f"{name}={text!r}: expected {kind} greater than 0")
    return value


# -- the deadline --------------------------------------------------------------------------


class _Deadline(threading.local):
    at: float | None = None
    expired = False


_current = _Deadline()


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Run the block (one attempt, in this thread) under a deadline of ``seconds``;
    ``deadline_expired`` tells afterwards whether a timeout came from the deadline."""
    previous = _current.at
    _current.at = time.monotonic() + seconds
    _current.expired = False
    try:
        yield
    finally:
        _current.at = previous


def deadline_expired() -> bool:
    """Whether the last deadline of this thread is what ended its attempt."""
    return _current.expired


def deadline_passed() -> bool:
    """Whether this thread's deadline has passed (and mark it expired if so)."""
    if _current.at is not None and time.monotonic() >= _current.at:
        _current.expired = True
        return True
    return False


def _bounded(timeout: float | None, error: type[Exception]) -> tuple[float | None, bool]:
    """The socket timeout to use under this thread's deadline, and whether the deadline
    (rather than ``timeout``) is what bounds it."""
    at = _current.at
    if at is None:
        return timeout, False
    left = at - time.monotonic()
    if left <= 0:
        _current.expired = True
        raise error("the request deadline has passed")
    if timeout is None or left < timeout:
        return left, True
    return timeout, False


@contextmanager
def _under_deadline(capped: bool) -> Iterator[None]:
    try:
        yield
    except (httpcore.TimeoutException, TimeoutError):
        if capped:
            _current.expired = True
        raise


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        limit, capped = _bounded(timeout, httpcore.ReadTimeout)
        with _under_deadline(capped):
            return self._inner.read(max_bytes, limit)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        limit, capped = _bounded(timeout, httpcore.WriteTimeout)
        with _under_deadline(capped):
            self._inner.write(buffer, limit)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        limit, capped = _bounded(timeout, httpcore.ConnectTimeout)
        with _under_deadline(capped):
            return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, limit))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """A network backend whose streams give each socket operation at most the time left
    before this thread's deadline (``deadline``); without one, it changes nothing."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        limit, capped = _bounded(timeout, httpcore.ConnectTimeout)
        with _under_deadline(capped):
            stream = self._inner.connect_tcp(host, port, limit, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        limit, capped = _bounded(timeout, httpcore.ConnectTimeout)
        with _under_deadline(capped):
            stream = self._inner.connect_unix_socket(path, limit, socket_options)
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def install_deadlines(client: httpx.Client) -> int:
    """Put a ``DeadlineBackend`` under every connection pool of ``client`` (its default
    transport and any proxy mounts from the environment); returns how many it found.

    httpx offers no public way to choose the network backend of its default transport, so
    this reaches its pools' ``_network_backend``; a transport without one (a test's
    ``MockTransport``) is left alone, and the body is still read under the deadline."""
    found = 0
    transports = [getattr(client, "_transport", None)]
    transports += list((getattr(client, "_mounts", None) or {}).values())
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, DeadlineBackend):
            found += 1
        elif isinstance(backend, httpcore.NetworkBackend):
            pool._network_backend = DeadlineBackend(backend)  # type: ignore[union-attr]
            found += 1
    if not found:
        logger.debug("no connection pool found: request deadlines apply to bodies only")
    return found


# -- the size cap --------------------------------------------------------------------------


class BodyError(Exception):
    """An answer that cannot be read within the bounds (too large, badly encoded); the
    client fills in the answer's status and request."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.status: int | None = None
        self.request: httpx.Request | None = None


def read_body(response: httpx.Response, limit: int) -> None:
    """Read ``response``'s body (not yet read) within ``limit`` bytes as sent and as
    decoded, under this thread's deadline; the decoded body is then what
    ``response.content`` gives. ``BodyError`` when it is too large or badly encoded;
    ``httpx.ReadTimeout`` when the deadline passes."""
    if response.is_stream_consumed:  # already in memory (a test's fake transport)
        if len(response.content) > limit:
            raise BodyError(f"the response is larger than {_size(limit)}")
        return
    parts: list[bytes] = []
    try:
        declared = response.headers.get("Content-Length", "").strip()
        numeric = declared.isascii() and declared.isdigit()
        if numeric and (len(declared) > 18 or int(declared) > limit):  # int() caps digits
            raise BodyError(f"the response is larger than {_size(limit)} (it says so)")
        inflater = _inflater(response.headers.get("Content-Encoding", ""), limit)
        received = 0
        for chunk in response.iter_raw(_CHUNK):
            received += len(chunk)
            if received > limit:
                raise BodyError(f"the response is larger than {_size(limit)}")
            parts.append(chunk if inflater is None else inflater.feed(chunk))
            if deadline_passed():
                raise httpx.ReadTimeout("the request deadline has passed")
        if inflater is not None:
            parts.append(inflater.finish())
    finally:
        response.close()
    response._content = b"".join(parts)


def _size(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit} bytes"


class _Inflater:
    """Incremental gzip/deflate decoding that never holds more than ``limit`` bytes of
    output: each piece is asked for with ``max_length``, so a bomb stops at the cap."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.encoding = encoding
        self.limit = limit
        self.size = 0
        gzip = encoding in ("gzip", "x-gzip")
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS)
        # Some servers send deflate without the zlib header (httpx accepts both).
        self._may_be_raw = not gzip
        self._started = False

    def feed(self, data: bytes) -> bytes:
        try:
            return self._inflate(data)
        except zlib.error as exc:
            if not self._may_be_raw or self._started:
                raise BodyError(f"the response's {self.encoding} encoding is damaged") from exc
            self._may_be_raw = False
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            return self._inflate(data)

    def _inflate(self, data: bytes) -> bytes:
        out: list[bytes] = []
        pending = data
        while pending:
            # At least 1: a max_length of 0 would mean "no limit".
            piece = self._zlib.decompress(pending, self.limit + 1 - self.size)
            self._started = True
            self._grow(piece)
            out.append(piece)
            pending = self._zlib.unconsumed_tail
        return b"".join(out)

    def finish(self) -> bytes:
        try:
            tail = self._zlib.flush()
        except zlib.error as exc:
            raise BodyError(f"the response's {self.encoding} encoding is damaged") from exc
        self._grow(tail)
        return tail

    def _grow(self, piece: bytes) -> None:
        self.size += len(piece)
        if self.size > self.limit:
            raise BodyError(f"the response inflates to more than {_size(self.limit)}")


def _inflater(header: str, limit: int) -> _Inflater | None:
    names = [e.strip().lower() for e in header.split(",") if e.strip()]
    names = [e for e in names if e != "identity"]
    if not names:
        return None
    if len(names) == 1 and names[0] in ("gzip", "x-gzip", "deflate"):
        return _Inflater(names[0], limit)
    shown = header.strip()[:40]
    raise BodyError(f"the response uses Content-Encoding {shown!r}, which dactl does not ask for")
