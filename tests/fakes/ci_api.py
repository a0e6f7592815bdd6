"""Fakes of the GitHub and GitLab REST endpoints the CI kit uses, recording every request.

One fake answers both ways: in process through ``httpx.MockTransport`` (``transport()``,
for unit tests), and as a real HTTP server on an ephemeral loopback port (``serve()``,
for the tests that run the CLI as a subprocess). Each keeps the state a real service
would (comments, issues, notes with ids), pages listings by ``page``/``per_page``, checks
the token, refuses a body over the service's cap, and can be told to refuse a method.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

Answer = tuple[int, Any]
GITHUB_TOKEN = "ghs_fakeJobToken0123456789abcdef"
GITLAB_TOKEN = "glpat-fakeProjectToken012345"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


@dataclass
class FakeApi:
    """The common part: the request log, refusals, paging, the two adapters."""

    token: str
    requests: list[Recorded] = field(default_factory=list)
    refuse: dict[str, int] = field(default_factory=dict)  # method -> status
    prefix: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, method: str, target: str, body: bytes, headers: dict[str, str]) -> Answer:
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        data = json.loads(body) if body else None
        with self.lock:
            self.requests.append(Recorded(method, parts.path, query, data, headers))
            if not self.authorized(headers):
                return 401, {"message": "Bad credentials"}
            if method in self.refuse:
                return self.refuse[method], {"message": "Resource not accessible by integration"}
            path = parts.path.removeprefix(self.prefix)
            return self.route(method, path, query, data)

    def authorized(self, headers: dict[str, str]) -> bool:
        raise NotImplementedError

    def route(self, method: str, path: str, query: dict[str, str], data: Any) -> Answer:
        raise NotImplementedError

    def writes(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests if r.method != "GET"]

    @staticmethod
    def page(items: list[dict[str, Any]], query: dict[str, str]) -> Answer:
        size = int(query.get("per_page", "30"))
        number = int(query.get("page", "1"))
        return 200, items[(number - 1) * size : number * size]

    def transport(self) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            target = request.url.raw_path.decode()
            status, body = self.handle(
                request.method, target, request.content, dict(request.headers)
            )
            return httpx.Response(status, json=body)

        return httpx.MockTransport(answer)

    @contextmanager
    def serve(self) -> Iterator[str]:
        """A real HTTP server on 127.0.0.1 (a free port) answering as this fake; its URL."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer = fake.handle(self.command, self.path, body, headers)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_PUT = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}{self.prefix}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


@dataclass
class FakeGitHub(FakeApi):
    """Issues (pull requests are issues too), their comments, and labels, of one repository."""

    repository: str = "acme/actions"
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    issues: list[dict[str, Any]] = field(default_factory=list)
    pulls: set[int] = field(default_factory=lambda: {7})
    next_id: int = 1000
    body_limit: int = 65_536

    def authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("authorization") == f"Bearer {self.token}"

    def html(self, tail: str) -> str:
        return f"https://github.example/{self.repository}/{tail}"

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def route(self, method: str, path: str, query: dict[str, str], data: Any) -> Answer:
        base = f"/repos/{self.repository}"
        if not path.startswith(base + "/"):
            return 404, {"message": "Not Found"}
        rest = path[len(base) :]
        if isinstance(data, dict) and len(str(data.get("body", ""))) > self.body_limit:
            return 422, {"message": "Validation Failed: body is too long"}
        if m := re.fullmatch(r"/issues/(\d+)/comments", rest):
            return self.issue_comments(method, int(m.group(1)), query, data)
        if (m := re.fullmatch(r"/issues/comments/(\d+)", rest)) and method == "PATCH":
            return self.edit_comment(int(m.group(1)), data)
        if rest == "/issues":
            return self.list_or_open(method, query, data)
        if (m := re.fullmatch(r"/issues/(\d+)", rest)) and method == "PATCH":
            return self.edit_issue(int(m.group(1)), data)
        return 404, {"message": "Not Found"}

    def issue_comments(self, method: str, number: int, query: dict[str, str], data: Any) -> Answer:
        if number not in self.pulls and not any(i["number"] == number for i in self.issues):
            return 404, {"message": "Not Found"}
        thread = self.comments.setdefault(number, [])
        if method == "GET":
            return self.page(thread, query)
        ident = self.new_id()
        comment = {
            "id": ident,
            "body": data["body"],
            "html_url": self.html(f"pull/{number}#issuecomment-{ident}"),
        }
        thread.append(comment)
        return 201, comment

    def edit_comment(self, ident: int, data: Any) -> Answer:
        for thread in self.comments.values():
            for comment in thread:
                if comment["id"] == ident:
                    comment["body"] = data["body"]
                    return 200, comment
        return 404, {"message": "Not Found"}

    def list_or_open(self, method: str, query: dict[str, str], data: Any) -> Answer:
        if method == "GET":
            wanted = set(filter(None, query.get("labels", "").split(",")))
            found = [
                i
                for i in self.issues
                if i["state"] == query.get("state", "open")
                and wanted <= {label["name"] for label in i["labels"]}
            ]
            return self.page(found, query)
        number = max([*self.pulls, *(i["number"] for i in self.issues)], default=0) + 1
        issue = {
            "number": number,
            "id": self.new_id(),
            "title": data["title"],
            "body": data["body"],
            "labels": [{"name": n} for n in data.get("labels", [])],
            "state": "open",
            "state_reason": None,
            "html_url": self.html(f"issues/{number}"),
        }
        self.issues.append(issue)
        return 201, issue

    def edit_issue(self, number: int, data: Any) -> Answer:
        for issue in self.issues:
            if issue["number"] == number:
                issue.update(data)
                return 200, issue
        return 404, {"message": "Not Found"}

    def open_issues(self) -> list[dict[str, Any]]:
        return [i for i in self.issues if i["state"] == "open"]


@dataclass
class FakeGitLab(FakeApi):
    """The notes of merge requests of one project, under ``/api/v4``."""

    project: int = 42
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    merge_requests: set[int] = field(default_factory=lambda: {3})
    next_id: int = 500
    prefix: str = "/api/v4"

    def authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("private-token") == self.token

    def route(self, method: str, path: str, query: dict[str, str], data: Any) -> Answer:
        m = re.fullmatch(rf"/projects/{self.project}/merge_requests/(\d+)/notes(?:/(\d+))?", path)
        if not m or int(m.group(1)) not in self.merge_requests:
            return 404, {"message": "404 Not found"}
        thread = self.notes.setdefault(int(m.group(1)), [])
        if m.group(2) is None and method == "GET":
            return self.page(thread, query)
        if m.group(2) is None and method == "POST":
            self.next_id += 1
            note = {"id": self.next_id, "body": data["body"], "system": False}
            thread.append(note)
            return 201, note
        if m.group(2) is not None and method == "PUT":
            for note in thread:
                if note["id"] == int(m.group(2)):
                    note["body"] = data["body"]
                    return 200, note
        return 404, {"message": "404 Not found"}


# --- what a job's step sees ---------------------------------------------------------


def github_event(tmp_path: Path, number: int = 7, sha: str = "0123456789abcdef" * 2) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"pull_request": {"number": number, "head": {"sha": sha}}}))
    return path


def github_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """What a GitHub job's step sees (the API URL is the fake's, put in by the test)."""
    return {
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "GITHUB_REPOSITORY": "acme/actions",
        "GITHUB_EVENT_PATH": str(github_event(tmp_path)),
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "4242",
        **extra,
    }


def gitlab_env(**extra: str) -> dict[str, str]:
    return {
        "DACTL_GITLAB_TOKEN": GITLAB_TOKEN,
        "CI_API_V4_URL": "https://gitlab.example/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_MERGE_REQUEST_IID": "3",
        "CI_MERGE_REQUEST_PROJECT_URL": "https://gitlab.example/acme/actions",
        "CI_JOB_URL": "https://gitlab.example/acme/actions/-/jobs/99",
        "CI_COMMIT_SHA": "fedcba9876543210" * 2,
        **extra,
    }
