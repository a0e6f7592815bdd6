"""Desired-state trees for unit tests: a ``dactl.yaml`` and small action files, and an
orchestrator wired to a ``FakeOrg``."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import yaml

from reconciler.canonical import canonical_desired
from reconciler.genesys.wire import post_body
from reconciler.orchestrator import Connection, Orchestrator
from reconciler.savedplan import read_saved_plan, save_plan
from reconciler.validate import validate_tree
from tests.fakes.org import API_URL, FakeOrg

GENESYS = "Genesys Cloud Data Actions"
WEB = "Web Services Data Actions"
FUNCTIONS = "Function Data Actions"
FUNCTION_SETTINGS = {
    "handler": "src/index.handler",
    "runtime": "nodejs20.x",
    "timeoutSeconds": 10,
    "description": "Echoes its input",
}


def action(
    name: str,
    *,
    timeout: int = 5,
    integration: str = GENESYS,
    output: str = "string",
    secure: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """An action file's content: a GET with one input and one output."""
    url = "/api/v2/users/${input.q}" if integration == GENESYS else "https://example.com/${input.q}"
    body: dict[str, Any] = {
        "name": name,
        "integration": integration,
        "timeoutSeconds": timeout,
        "contract": {
            "input": {"type": "object", "properties": {"q": {"type": "string"}}},
            "output": {"type": "object", "properties": {"out": {"type": output}}},
        },
        "request": {"requestUrlTemplate": url, "requestType": "GET"},
        "response": {
            "translationMap": {"out": "$.out"},
            "translationMapDefaults": {"out": '"none"'},
            "successTemplate": '{"out": ${out}}',
        },
    }
    if secure:
        body["secure"] = True
    body.update(extra)
    return body


def function_action(
    name: str = "Echo Function", package: str | None = "echo-code"
) -> dict[str, Any]:
    """A Function action's file content, with its package directory (relative)."""
    function: dict[str, Any] = dict(FUNCTION_SETTINGS)
    if package is not None:
        function["package"] = package
    return {
        "name": name,
        "integration": FUNCTIONS,
        "contract": {
            "input": {"type": "object", "properties": {"text": {"type": "string"}}},
            "output": {"type": "object", "properties": {"echo": {"type": "string"}}},
        },
        "request": {"requestType": "POST", "requestTemplate": '{"text": "${input.text}"}'},
        "function": function,
    }


def post_body_of(content: dict[str, Any], org: FakeOrg) -> dict[str, Any]:
    """A ``PostActionInput`` for an action file's content (no ``extends``), as an admin
    would create it in the UI."""
    by_name = {i["name"]: i["id"] for i in org.store.integrations()}
    config: dict[str, Any] = {
        "request": content["request"],
        "response": content.get("response") or {},
    }
    if content.get("timeoutSeconds") is not None:
        config["timeoutSeconds"] = content["timeoutSeconds"]
    return {
        "name": content["name"],
        "category": content["integration"],
        "integrationId": by_name[content["integration"]],
        "secure": bool(content.get("secure", False)),
        "config": config,
        "contract": {
            "input": {"inputSchema": content["contract"]["input"]},
            "output": {"successSchema": content["contract"]["output"]},
        },
    }


def slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def write_action(directory: Path, content: dict[str, Any]) -> Path:
    path = directory / f"{slug(content['name'])}.yaml"
    path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return path


def write_project(
    root: Path,
    actions: list[dict[str, Any]],
    *,
    scope: tuple[str, ...] = (GENESYS, WEB),
    **project: Any,
) -> Path:
    """``root/actions`` with a ``dactl.yaml`` (``project``: more of its keys) and one file
    per action; a Function action's package directory is made beside its file."""
    directory = root / "actions"
    directory.mkdir(parents=True, exist_ok=True)
    body = {"scope": {"integrations": list(scope)}, **project}
    (directory / "dactl.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    for content in actions:
        write_action(directory, content)
        package = (content.get("function") or {}).get("package")
        if package is not None and not (directory / package).exists():
            write_package(directory / package)
    return directory


def write_package(
    path: Path, code: str = "exports.handler = async (i) => ({echo: i.text});\n"
) -> None:
    (path / "src").mkdir(parents=True, exist_ok=True)
    (path / "src" / "index.js").write_text(code, encoding="utf-8")


def a_zip(files: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in (files or {"src/index.js": "exports.handler = 1;"}).items():
            archive.writestr(name, text)
    return buffer.getvalue()


def seed_tree(org: FakeOrg, directory: Path, *, only: set[str] | None = None) -> dict[str, str]:
    """Create the actions of ``directory`` in the org as they are in the files (not
    Function actions); name -> id."""
    report = validate_tree(directory)
    assert report.ok, report.problems
    by_name = {i["name"]: i["id"] for i in org.store.integrations()}
    ids = {}
    for spec in report.actions:
        if only is not None and spec.name not in only:
            continue
        assert spec.integration is not None
        canonical = canonical_desired(spec, by_name[spec.integration], spec.integration)
        ids[spec.name] = org.seed(post_body(canonical))
    return ids


def orchestrator(directory: Path, org: FakeOrg, tmp_path: Path, **kw: Any) -> Orchestrator:
    """An orchestrator for ``directory`` against ``org``, its cache and drafts under
    ``tmp_path/.dactl``."""
    kw.setdefault("cache_dir", tmp_path / ".dactl" / "cache")
    kw.setdefault("drafts_path", tmp_path / ".dactl" / "drafts.json")
    connection = kw.pop("connection", None) or Connection(api_url=API_URL)
    return Orchestrator(directory, connection, connect=org.connect, **kw)


class World:
    """One project directory, one in-memory org, and the ``.dactl/`` of the runs."""

    def __init__(self, root: Path, org: FakeOrg | None = None, **project: Any) -> None:
        self.root = root
        self.org = org or FakeOrg()
        self.project = project
        self.directory = write_project(root, [], **project)
        self.audit_path = root / ".dactl" / "audit.jsonl"

    def write(self, *actions: dict[str, Any]) -> None:
        """Write these action files (others are kept)."""
        for content in actions:
            write_action(self.directory, content)
            package = (content.get("function") or {}).get("package")
            if package is not None and not (self.directory / package).exists():
                write_package(self.directory / package)

    def remove(self, name: str) -> None:
        (self.directory / f"{slug(name)}.yaml").unlink()

    def seed(self, *actions: dict[str, Any]) -> dict[str, str]:
        """Write the files and create the same actions in the org; name -> id."""
        self.write(*actions)
        return seed_tree(self.org, self.directory, only={a["name"] for a in actions})

    def orchestrator(self, **kw: Any) -> Orchestrator:
        return orchestrator(self.directory, self.org, self.root, **kw)

    def plan(self, **kw: Any) -> Any:
        return self.orchestrator().plan(**kw)

    def apply(self, *, refresh: bool = False, **kw: Any) -> Any:
        kw.setdefault("audit_path", self.audit_path)
        return self.orchestrator(refresh=refresh).apply(**kw)

    def save_plan(self, name: str = "plan.json") -> Any:
        """``dactl plan --out``, then read back as ``dactl apply PLAN`` reads it."""
        result = self.plan()
        path = self.root / name
        save_plan(result.plan, path, self.directory, result.org, result.organization)
        return read_saved_plan(path)

    def audit(self) -> list[dict[str, Any]]:
        if not self.audit_path.exists():
            return []
        lines = self.audit_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]

    def audited(self) -> list[tuple[str, str]]:
        """(operation, outcome) of every audit line."""
        return [(r["operation"], r["outcome"]) for r in self.audit()]
