"""Run a sandbox for tests, the demo and benchmarks: as a subprocess or in a background thread.

``SandboxProcess`` runs ``python -m reconciler sandbox --port 0`` and reads the base URL from
its first stdout line. ``SandboxServer`` serves the same app with uvicorn in a thread of this
process (faster to start; ``.runtime`` gives direct access to the state). Both share the
control helpers of :class:`SandboxControl` and stop cleanly when their ``with`` block ends.
"""

from __future__ import annotations

import dataclasses
import os
import selectors
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import httpx

from reconciler.sandbox.auth import Clock
from reconciler.sandbox.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    SandboxConfig,
    is_loopback,
)


class SandboxStartError(RuntimeError):
    """The sandbox did not come up (the message includes its stderr when there is one)."""


class SandboxControl:
    """Helpers over the ``/sandbox/*`` control endpoints and ``/oauth/token``."""

    base_url: str
    client_id: str
    client_secret: str

    def start(self) -> Self:
        """Start serving; subclasses run the app in a thread or a process."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop serving and release the port."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _call(self, method: str, path: str, json: Any = None) -> httpx.Response:
        with httpx.Client(base_url=self.base_url, timeout=10.0) as client:
            response = client.request(method, path, json=json)
        response.raise_for_status()
        return response

    def stats(self) -> dict[str, Any]:
        """``GET /sandbox/stats``: request counts by method and route template."""
        result: dict[str, Any] = self._call("GET", "/sandbox/stats").json()
        return result

    def requests(self) -> list[dict[str, Any]]:
        """``GET /sandbox/requests``: recent API requests with their arrival time."""
        log: list[dict[str, Any]] = self._call("GET", "/sandbox/requests").json()["requests"]
        return log

    def inject_fault(
        self,
        *,
        path: str = ".*",
        method: str | None = None,
        count: int = 1,
        status: int | None = None,
        delay_ms: int = 0,
        drop_after_write: bool = False,
        retry_after: int | None = None,
    ) -> list[dict[str, Any]]:
        """``POST /sandbox/faults``; returns the live fault rules."""
        body = {
            "path": path,
            "method": method,
            "count": count,
            "status": status,
            "delay_ms": delay_ms,
            "drop_after_write": drop_after_write,
            "retry_after": retry_after,
        }
        faults: list[dict[str, Any]] = self._call("POST", "/sandbox/faults", body).json()["faults"]
        return faults

    def faults(self) -> list[dict[str, Any]]:
        """``GET /sandbox/faults``: the rules with requests left."""
        rules: list[dict[str, Any]] = self._call("GET", "/sandbox/faults").json()["faults"]
        return rules

    def clear_faults(self) -> None:
        """``DELETE /sandbox/faults``."""
        self._call("DELETE", "/sandbox/faults")

    def reset(self) -> None:
        """``POST /sandbox/reset``: seed state, no stats, no faults."""
        self._call("POST", "/sandbox/reset")

    def state(self) -> dict[str, Any]:
        """``GET /sandbox/state``: the whole org state."""
        result: dict[str, Any] = self._call("GET", "/sandbox/state").json()
        return result

    def token(self) -> str:
        """A fresh bearer token for the sandbox's client credentials."""
        with httpx.Client(base_url=self.base_url, timeout=10.0) as client:
            response = client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(self.client_id, self.client_secret),
            )
        response.raise_for_status()
        return str(response.json()["access_token"])


class SandboxServer(SandboxControl):
    """The sandbox app under uvicorn in a daemon thread, on an ephemeral loopback port."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        clock: Clock | None = None,
        startup_timeout: float = 10.0,
    ) -> None:
        config = config or SandboxConfig()
        if not is_loopback(config.host):
            raise ValueError(f"SandboxServer binds loopback addresses only, not {config.host!r}")
        self.config = dataclasses.replace(config, port=0)
        self.client_id = self.config.client_id
        self.client_secret = self.config.client_secret
        self._clock = clock
        self._startup_timeout = startup_timeout
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def start(self) -> Self:
        """Bind, start serving, and wait until uvicorn accepts requests."""
        # Imported here so that merely importing process.py stays cheap for subprocess users.
        from reconciler.sandbox.app import create_app
        from reconciler.sandbox.server import base_url, bind_socket, build_server

        self.app = create_app(self.config, clock=self._clock)
        self.runtime = self.app.state.sandbox
        self._sock = bind_socket(self.config.host, 0)
        self.base_url = base_url(self._sock)
        self._server = build_server(self.app)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            daemon=True,
            name="dactl-sandbox",
        )
        self._thread.start()
        deadline = time.monotonic() + self._startup_timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise SandboxStartError("the in-process sandbox server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._thread = None
        self._sock.close()
        self.runtime.store.close()


class SandboxProcess(SandboxControl):
    """``dactl sandbox --port 0`` as a subprocess; ``base_url`` comes from its first line."""

    def __init__(
        self,
        *extra_args: str,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        startup_timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
    ) -> None:
        # click keeps the last occurrence of an option, so extra args win over the keywords.
        self.client_id = _last_option(extra_args, "--client-id") or client_id
        self.client_secret = _last_option(extra_args, "--client-secret") or client_secret
        self.args = [
            sys.executable,
            "-m",
            "reconciler",
            "sandbox",
            "--port",
            "0",
            "--client-id",
            self.client_id,
            "--client-secret",
            self.client_secret,
            *extra_args,
        ]
        self._startup_timeout = startup_timeout
        self._env = dict(env) if env is not None else None
        self._cwd = cwd
        self._proc: subprocess.Popen[bytes] | None = None
        self._drain: threading.Thread | None = None
        self._returncode: int | None = None
        self.base_url = ""

    def start(self) -> Self:
        """Start the process and wait for its base URL line."""
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self._proc = subprocess.Popen(
            self.args,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            stdin=subprocess.DEVNULL,
            env=self._env,
            cwd=self._cwd,
        )
        try:
            line = self._first_line()
        except BaseException:
            self.stop()
            raise
        if not line.startswith("http"):
            message = f"unexpected first line {line!r}"
            self.stop()
            raise SandboxStartError(message)
        self.base_url = line
        # Keep reading stdout so the child never blocks on a full pipe.
        self._drain = threading.Thread(target=self._drain_stdout, daemon=True)
        self._drain.start()
        return self

    def _first_line(self) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        buffer = b""
        deadline = time.monotonic() + self._startup_timeout
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SandboxStartError(self._failure("timed out waiting for the base URL"))
                if not selector.select(timeout=min(remaining, 0.5)):
                    continue
                chunk = os.read(fd, 4096)
                if not chunk:
                    self._proc.wait(timeout=5)
                    raise SandboxStartError(self._failure("exited before printing its base URL"))
                buffer += chunk
        return buffer.split(b"\n", 1)[0].decode().strip()

    def _failure(self, what: str) -> str:
        self._stderr.seek(0)
        stderr = self._stderr.read().decode(errors="replace").strip()
        code = self._proc.poll() if self._proc else None
        return f"sandbox process {what} (exit code {code}); stderr:\n{stderr or '(empty)'}"

    def _drain_stdout(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        try:
            while os.read(fd, 65536):
                pass
        except OSError:
            return

    def kill(self) -> None:
        """End the process at once with SIGKILL, as a crash would: nothing is flushed; what
        ``--state`` holds is what was written before."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(timeout=10)

    @property
    def returncode(self) -> int | None:
        """The exit code once the process has ended."""
        return self._proc.poll() if self._proc else self._returncode

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate (then kill if needed) and release pipes and files."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
        self._returncode = proc.returncode
        if self._drain is not None:
            self._drain.join(timeout=timeout)
            self._drain = None
        if proc.stdout is not None:
            proc.stdout.close()
        self._stderr.close()


def _last_option(args: tuple[str, ...], flag: str) -> str | None:
    """The value of the last ``flag VALUE`` or ``flag=VALUE`` in ``args``."""
    value = None
    for index, arg in enumerate(args):
        if arg == flag and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith(flag + "="):
            value = arg[len(flag) + 1 :]
    return value
