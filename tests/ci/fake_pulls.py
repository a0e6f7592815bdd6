"""A fake GitHub that also has pull requests (``/repos/{o}/{r}/pulls``): listed by state and
head (``owner:branch``), opened (refused, as GitHub refuses, for a second open one from the
same head, or from a branch that was never pushed when ``branches`` is known), edited and
closed. Pull requests are issues too: they share the numbers, and take comments."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.ci_api import Answer, FakeGitHub


@dataclass
class FakeGitHubPulls(FakeGitHub):
    pull_requests: list[dict[str, Any]] = field(default_factory=list)
    pulls: set[int] = field(default_factory=set)
    # The branches the repository has (None: any); a callable reads them when asked.
    branches: Callable[[], set[str]] | None = None

    def route(self, method: str, path: str, query: dict[str, str], data: Any) -> Answer:
        base = f"/repos/{self.repository}"
        rest = path[len(base) :] if path.startswith(base + "/") else ""
        if isinstance(data, dict) and len(str(data.get("body", ""))) > self.body_limit:
            return 422, {"message": "Validation Failed: body is too long"}
        if rest == "/pulls":
            return self.list_pulls(query) if method == "GET" else self.open_pull(data)
        if (m := re.fullmatch(r"/pulls/(\d+)", rest)) and method == "PATCH":
            return self.edit_pull(int(m.group(1)), data)
        return super().route(method, path, query, data)

    @property
    def owner(self) -> str:
        return self.repository.split("/")[0]

    def list_pulls(self, query: dict[str, str]) -> Answer:
        found = [
            p
            for p in self.pull_requests
            if p["state"] == query.get("state", "open")
            and query.get("head") in (None, p["head"]["label"])
        ]
        return self.page(found, query)

    def open_pull(self, data: Any) -> Answer:
        if not all(isinstance(data.get(k), str) and data[k] for k in ("title", "head", "base")):
            return 422, {"message": "Validation Failed: title, head and base are required"}
        label = f"{self.owner}:{data['head']}"
        if any(p["state"] == "open" and p["head"]["label"] == label for p in self.pull_requests):
            return 422, {
                "message": f"Validation Failed: A pull request already exists for {label}."
            }
        if self.branches is not None and data["head"] not in self.branches():
            return 422, {"message": "Validation Failed: head is invalid"}
        numbers = [*self.pulls, *(i["number"] for i in self.issues)]
        number = max(numbers, default=0) + 1
        self.pulls.add(number)
        pull = {
            "number": number,
            "id": self.new_id(),
            "title": data["title"],
            "body": data.get("body") or "",
            "state": "open",
            "head": {"ref": data["head"], "label": label},
            "base": {"ref": data["base"]},
            "html_url": self.html(f"pull/{number}"),
        }
        self.pull_requests.append(pull)
        return 201, pull

    def edit_pull(self, number: int, data: Any) -> Answer:
        for pull in self.pull_requests:
            if pull["number"] == number:
                pull.update({k: v for k, v in data.items() if k in ("title", "body", "state")})
                return 200, pull
        return 404, {"message": "Not Found"}

    def open_pulls(self) -> list[dict[str, Any]]:
        return [p for p in self.pull_requests if p["state"] == "open"]
