"""The real CLI against a hostile or broken server: a small HTTP server in this test (not
the sandbox) that answers the token, the org and the integrations plausibly and then
misbehaves on purpose, one case per behaviour.

Every case must end the same way: exit 1, exactly one ``Error:`` line on stderr, no
traceback, no escape sequence or control character from the server in the output, within
its time bound; for a huge body and a gzip bomb, the CLI's peak memory stays bounded. The
cases run a few at a time (each in its own server and working directory): most of their
time is spent waiting.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024
LISTING = "GET /api/v2/integrations/actions"
INTEGRATION_ID = "5a0e7c3b-1d2f-4e6a-8b9c-000000000001"
ACTION_ID = "custom_-_0c0ffee0-0000-4000-8000-000000000001"
ACTION_NAME = "Get Queue Waiting Count"
# What a terminal would act on: ESC and the other C0 controls but tab and newline, DEL, C1.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
HOSTILE = "\x1b[2J\x1b[H\x1b]0;owned\x07\x9b31mpwned\x1b[0m \x1b]8;;https://evil.test\x1b\\here"
# The CLI's peak memory (RSS) for a case that sends more than the 32 MiB cap: a plan is
# ~45 MiB, reading up to the cap (and joining what was read) adds up to ~70 MiB. Without
# the cap, the huge body alone is 256 MiB and the bomb 1 GiB.
MEMORY_LIMIT_MIB = 200

Handler = BaseHTTPRequestHandler
Behaviour = Callable[[Handler, str, dict[str, list[str]]], bool]


# -- the hostile server --------------------------------------------------------------------


def send(
    h: Handler, status: int, body: Any, headers: dict[str, str] | None = None, *, raw: bool = False
) -> None:
    data = body if raw else json.dumps(body).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        h.send_header(name, value)
    h.end_headers()
    h.wfile.write(data)


def plausible(h: Handler, route: str, query: dict[str, list[str]]) -> None:
    """What a Genesys org answers, with no actions."""
    if route == "POST /oauth/token":
        send(h, 200, {"access_token": "hostile-token", "token_type": "bearer", "expires_in": 86399})
    elif route == "GET /api/v2/organizations/me":
        send(h, 200, {"id": "org-1", "name": "Hostile Org"})
    elif route == "GET /api/v2/integrations":
        entity = {
            "id": INTEGRATION_ID,
            "name": "Genesys Cloud Data Actions",
            "integrationType": {"id": "purecloud-data-actions"},
        }
        send(h, 200, {"entities": [entity], "pageCount": 1})
    elif route == LISTING:
        send(h, 200, {"entities": [], "pageCount": 1})
    else:
        send(h, 404, {"message": "Not found", "code": "not.found", "status": 404})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        parts = urlsplit(self.path)
        route = f"{self.command} {parts.path}"
        query = parse_qs(parts.query)
        try:
            if not self.server.behaviour(self, route, query):
                plausible(self, route, query)
        except OSError:  # the client gave up (as it should): nothing more to say
            self.close_connection = True

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, behaviour: Behaviour) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.behaviour = behaviour

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up on a hostile answer is the expected outcome


@dataclass
class Hostile:
    """A running hostile server; ``url`` is its base URL."""

    behaviour: Behaviour
    url: str = ""
    _server: _Server | None = field(default=None, repr=False)

    def __enter__(self) -> Hostile:
        self._server = _Server(self.behaviour)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


# -- behaviours ----------------------------------------------------------------------------


def entity(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"custom_-_{n:08d}-0000-4000-8000-000000000000",
        "name": f"Action {n}",
        "version": 1,
        "integrationId": INTEGRATION_ID,
        **extra,
    }


def on(route: str, answer: Callable[[Handler, dict[str, list[str]]], None]) -> Behaviour:
    """Misbehave on ``route`` only."""

    def behaviour(h: Handler, got: str, query: dict[str, list[str]]) -> bool:
        if got != route:
            return False
        answer(h, query)
        return True

    return behaviour


def listing_of(body: Any, status: int = 200, **headers: str) -> Behaviour:
    def answer(h: Handler, query: dict[str, list[str]]) -> None:
        raw = isinstance(body, bytes)
        send(h, status, body, {k.replace("_", "-"): v for k, v in headers.items()}, raw=raw)

    return on(LISTING, answer)


def endless_pages(h: Handler, query: dict[str, list[str]]) -> None:
    page = int(query["pageNumber"][0])
    send(h, 200, {"entities": [entity(page * 1000 + n) for n in range(100)], "pageCount": 10**9})


def same_page(h: Handler, query: dict[str, list[str]]) -> None:
    send(h, 200, {"entities": [entity(n) for n in range(100)], "pageCount": 5})


def drip(h: Handler, query: dict[str, list[str]]) -> None:
    """The whole answer, status line first, one byte every 0.2 s (~40 s in all)."""
    body = json.dumps({"entities": [], "pageCount": 1}).encode()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    h.close_connection = True
    for byte in head % len(body) + body:
        time.sleep(0.2)
        h.wfile.write(bytes([byte]))


def huge(h: Handler, query: dict[str, list[str]]) -> None:
    """256 MiB, chunked (no Content-Length to refuse it by)."""
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    chunk = b" " * MIB
    h.close_connection = True
    for _ in range(256):
        h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    h.wfile.write(b"0\r\n\r\n")


def gzip_bomb() -> bytes:
    """1 GiB of zeros as ~1 MiB of gzip: after a flush point, every MiB compresses to the
    same bytes (the trailer's checksum is not made: the client must stop long before)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MIB)
    first = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    return first + again * 1023 + packer.flush()


def bomb(h: Handler, query: dict[str, list[str]]) -> None:
    data = gzip_bomb()
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Encoding", "gzip")
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


def slam(h: Handler, route: str, query: dict[str, list[str]]) -> bool:
    """Close every connection without a word."""
    h.close_connection = True
    return True


def one_action(body: Any) -> Behaviour:
    """A listing of one action, which then reads as ``body``."""
    one = f"GET /api/v2/integrations/actions/{ACTION_ID}"

    def behaviour(h: Handler, route: str, query: dict[str, list[str]]) -> bool:
        if route == LISTING:
            send(h, 200, {"entities": [entity(0, id=ACTION_ID)], "pageCount": 1})
        elif route == one:
            send(h, 200, body)
        else:
            return False
        return True

    return behaviour


def full_action() -> dict[str, Any]:
    return {
        **entity(0),
        "id": ACTION_ID,
        "name": ACTION_NAME,
        "category": "Genesys Cloud Data Actions",
        "secure": False,
        "contract": {
            "input": {
                "inputSchema": {"type": "object", "properties": {"queueId": {"type": "string"}}}
            },
            "output": {"successSchema": {"type": "object", "properties": {}}},
        },
        "config": {
            "timeoutSeconds": 10,
            "request": {
                "requestUrlTemplate": "/api/v2/routing/queues/${input.queueId}/estimatedwaittime",
                "requestType": "GET",
                "headers": {},
                "requestTemplate": "${input.rawRequest}",
            },
            "response": {"translationMap": {}, "successTemplate": "${rawResult}"},
        },
    }


def live_action(test_answer: Callable[[Handler], None]) -> Behaviour:
    """One live action named ACTION_NAME, whose ``/test`` answers with ``test_answer``."""
    one = f"GET /api/v2/integrations/actions/{ACTION_ID}"

    def behaviour(h: Handler, route: str, query: dict[str, list[str]]) -> bool:
        if route == LISTING:
            send(h, 200, {"entities": [entity(0, id=ACTION_ID, name=ACTION_NAME)], "pageCount": 1})
        elif route == one:
            send(h, 200, full_action())
        elif route == f"POST /api/v2/integrations/actions/{ACTION_ID}/test":
            test_answer(h)
        else:
            return False
        return True

    return behaviour


def proxy_502(h: Handler) -> None:
    page = (
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
        "Gateway</h1></center>\r\n" + "<!-- padding -->\r\n" * 200 + "</body>\r\n</html>\r\n"
    ).encode()
    h.send_response(502)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", str(len(page)))
    h.end_headers()
    h.wfile.write(page)


# -- the cases -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One misbehaviour, what the one error line must say, and the bounds."""

    behaviour: Behaviour | None  # None: no server at all (the port is closed)
    error: str
    env: dict[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ("plan", "actions")
    seconds: float = 20.0
    memory: bool = False  # check the peak RSS
    at_least: float = 0.0  # the command must have waited this long (Retry-After honoured)


NO_ID = {"entities": [entity(0), entity(1), entity(2), {"name": "x", "version": 1}]}
CASES: dict[str, Case] = {
    # item 5: shapes
    "entities-not-a-list": Case(
        listing_of({"entities": {"0": entity(0)}, "pageCount": 1}),
        "the server answered an unexpected shape: the page has entities an object, not an array",
    ),
    "entity-not-an-object": Case(
        listing_of({"entities": [entity(0), "custom_-_x"]}),
        "unexpected shape: entities[1] is a string, not an object",
    ),
    "entity-without-id": Case(
        listing_of(NO_ID),
        f"{LISTING}: the server answered an unexpected shape: entities[3] has no id",
    ),
    "entity-without-version": Case(
        listing_of({"entities": [{**entity(0), "version": None}]}),
        "unexpected shape: entities[0] has no version",
    ),
    "version-not-an-integer": Case(
        listing_of({"entities": [entity(0, version="3")]}),
        "unexpected shape: entities[0].version is a string, not an integer",
    ),
    "version-a-boolean": Case(
        listing_of({"entities": [entity(0, version=True)]}),
        "unexpected shape: entities[0].version is a boolean, not an integer",
    ),
    "numeric-id": Case(
        listing_of({"entities": [entity(0, id=12345)]}),
        "unexpected shape: entities[0].id is a number, not a string",
    ),
    "action-without-id-version-name": Case(
        one_action({"description": "an action without id, version or name"}),
        f"GET /api/v2/integrations/actions/{ACTION_ID}: the server answered an unexpected "
        "shape: the answer has no id",
    ),
    "json-200000-deep": Case(
        on(LISTING, lambda h, q: send(h, 200, b"[" * 200_000 + b"]" * 200_000, raw=True)),
        f"{LISTING}: the response's JSON nesting is too deep to read",
    ),
    "json-200000-deep-error-body": Case(
        on(LISTING, lambda h, q: send(h, 400, b'{"a":' * 200_000, raw=True)),
        f'HTTP 400: {LISTING}: {{"a":{{"a":',
    ),
    # item 6: pagination
    "endless-pages": Case(
        on(LISTING, endless_pages),
        f"{LISTING}: the listing did not end within 20 pages (DACTL_MAX_PAGES)",
        env={"DACTL_MAX_PAGES": "20"},
    ),
    "ignored-page-number": Case(
        on(LISTING, same_page),
        "page 2 lists only ids of earlier pages (does the server ignore pageNumber?)",
    ),
    # item 7: bounds
    "drip-feed": Case(
        on(LISTING, drip),
        f"{LISTING}: no complete answer within 2 s (the request deadline, DACTL_REQUEST_DEADLINE)",
        env={"DACTL_REQUEST_DEADLINE": "2"},
        seconds=10,
    ),
    "429-retry-after-100": Case(
        listing_of(
            {"message": "Rate limit exceeded", "code": "too.many.requests"}, 429, Retry_After="100"
        ),
        "rate limited by the org: retry after 100 s would take this run's waits for the server "
        "past 5 s in all (DACTL_RETRY_AFTER_BUDGET)",
        env={"DACTL_RETRY_AFTER_BUDGET": "5"},
        seconds=10,
    ),
    "503-retry-after-100": Case(
        listing_of({"message": "Service Unavailable"}, 503, Retry_After="100"),
        "(retry after 100 s would take this run's waits for the server past 5 s in all",
        env={"DACTL_RETRY_AFTER_BUDGET": "5"},
        seconds=10,
    ),
    "503-retry-after-1-endless": Case(
        listing_of({"message": "Service Unavailable"}, 503, Retry_After="1"),
        "(retry after 1 s would take this run's waits for the server past 2.5 s in all",
        env={"DACTL_RETRY_AFTER_BUDGET": "2.5"},
        seconds=12,
        at_least=2.0,
    ),
    "huge-body": Case(
        on(LISTING, huge),
        f"{LISTING}: the response is larger than 32 MiB",
        memory=True,
    ),
    "gzip-bomb": Case(
        on(LISTING, bomb),
        f"{LISTING}: the response inflates to more than 32 MiB",
        memory=True,
    ),
    "closes-every-connection": Case(
        slam,
        "the server closed the connection without a response",
        seconds=10,
    ),
    "gone": Case(None, "connection refused", seconds=10),
    # item 8: server text is data
    "html-502-page": Case(
        live_action(proxy_502),
        f"HTTP 502: POST /api/v2/integrations/actions/{ACTION_ID}/test: 502 Bad Gateway "
        "(HTML page)",
        args=("test", ACTION_NAME, "actions", "--input", "queueId=q-1"),
    ),
    "escapes-in-error-message": Case(
        listing_of(
            {"message": f"Bad {HOSTILE} request", "code": "bad.\x1b[31mrequest", "status": 400},
            400,
            ININ_Correlation_Id="c-\x9b31m-1",  # h11 refuses C0 in headers, not C1
        ),
        f"HTTP 400 bad.request: {LISTING}: Bad pwned here request (correlation id c--1)",
    ),
}


# -- running the CLI -----------------------------------------------------------------------


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mib: float | None  # measured only when asked


# ``python -m reconciler ARGS``, reporting its own peak RSS when it exits. Not rusage: on
# Linux a child's ru_maxrss keeps the high-water mark of the process it was forked from
# (this test run, hundreds of MiB late in the suite) across exec; VmHWM belongs to the
# exec'd program alone.
MEASURED = """
import atexit, os, runpy, sys
def report():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    with open(os.environ["HOSTILE_PEAK_FILE"], "w") as out:
        out.write(line.split()[1])
atexit.register(report)
sys.argv[0] = "reconciler"
runpy.run_module("reconciler", run_name="__main__", alter_sys=True)
"""


def run_cli(
    args: tuple[str, ...], cwd: Path, url: str, extra: dict[str, str], *, measure: bool = False
) -> Run:
    """The real CLI with the hostile server's URL and credentials in its environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "DACTL_"))}
    env.update(
        GENESYSCLOUD_API_URL=url,
        GENESYSCLOUD_OAUTHCLIENT_ID="hostile-client",
        GENESYSCLOUD_OAUTHCLIENT_SECRET="hostile-secret",
        HOSTILE_PEAK_FILE=str(cwd / "peak-kib"),
        **extra,
    )
    command = ["-c", MEASURED] if measure else ["-m", "reconciler"]
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, *command, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    seconds = time.monotonic() - start
    peak = int((cwd / "peak-kib").read_text()) / 1024 if measure else None
    return Run(
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
        seconds,
        peak,
    )


def closed_port() -> str:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def run_case(case: Case, cwd: Path) -> Run:
    shutil.copytree(REPO_ROOT / "actions", cwd / "actions")
    if case.behaviour is None:
        return run_cli(case.args, cwd, closed_port(), case.env)
    with Hostile(case.behaviour) as server:
        return run_cli(case.args, cwd, server.url, case.env, measure=case.memory)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """Every case, three at a time."""
    root = tmp_path_factory.mktemp("hostile")
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(run_case, case, root / name) for name, case in CASES.items()}
        yield {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_server_gives_one_clean_error_line_within_bounds(
    runs: dict[str, Run], name: str
) -> None:
    case, run = CASES[name], runs[name]
    output = run.stdout + run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
    assert run.returncode == 1, output
    assert "Traceback" not in output, output
    assert len(errors) == 1, run.stderr
    assert case.error in errors[0], errors[0]
    assert not UNSAFE.search(output), repr(output)
    assert run.seconds < case.seconds, f"took {run.seconds:.1f} s"
    assert run.seconds >= case.at_least
    if case.memory:
        assert run.peak_rss_mib is not None
        assert run.peak_rss_mib < MEMORY_LIMIT_MIB, f"peak RSS {run.peak_rss_mib:.0f} MiB"


def test_test_step_messages_from_the_server_are_printed_without_escapes(
    tmp_path: Path,
) -> None:
    def answer(h: Handler) -> None:
        send(
            h,
            200,
            {
                "success": False,
                "operations": [
                    {
                        "step": 1,
                        "name": "Execute\x1b[8m",
                        "success": False,
                        "error": {"message": f"boom {HOSTILE}", "status": 400, "code": "x\x07y"},
                    }
                ],
                "finalResult": {"note": f"\x1b[41m{HOSTILE}"},
            },
        )

    case = Case(
        live_action(answer), "", args=("test", ACTION_NAME, "actions", "--input", "queueId=q")
    )
    run = run_case(case, tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert "Traceback" not in output
    assert not UNSAFE.search(output), repr(output)
    assert "✗ 1. Execute: HTTP 400 xy: boom pwned here" in run.stdout
    assert "FAIL: the test did not succeed." in run.stdout
