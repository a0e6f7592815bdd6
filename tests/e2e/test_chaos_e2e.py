"""Chaos: one apply of every kind of change under faults on every write route, with a
colleague editing the org at the same time; then a clean re-apply.

The real CLI against a real sandbox. What must hold: no edit of the colleague's is lost
silently (it survives in the org, or the output names its action), no action is created
twice, no draft is left behind, the audit log matches the writes the org performed, and
after the re-apply the plan is empty.

``make test`` runs it with a few dozen changes; ``make chaos`` (``DACTL_CHAOS_SIZE=300``)
runs the full size. Marked ``chaos`` so it can run alone: ``pytest -m chaos``.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from reconciler.canonical import canonical_desired
from reconciler.config.model import ActionSpec
from reconciler.genesys import ActionsApi
from reconciler.genesys.wire import post_body
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.problems import ApiProblem
from reconciler.sandbox.process import SandboxServer
from tests.e2e.conftest import SANDBOX_INTEGRATIONS, Cli

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]

SIZE = int(os.environ.get("DACTL_CHAOS_SIZE", "42"))
KINDS = ("create", "timeout", "template", "contract", "secure", "delete", "same")
INTEGRATION = "Genesys Cloud Data Actions"
ACTIONS = "/api/v2/integrations/actions"
# Every write route apply uses, as the sandbox names them (method, route template, regex).
WRITE_ROUTES = (
    ("POST", ACTIONS, rf"^{ACTIONS}$"),
    ("PATCH", ACTIONS + "/{actionId}", rf"^{ACTIONS}/[^/]+$"),
    ("DELETE", ACTIONS + "/{actionId}", rf"^{ACTIONS}/[^/]+$"),
    ("POST", ACTIONS + "/{actionId}/draft", rf"^{ACTIONS}/[^/]+/draft$"),
    ("PATCH", ACTIONS + "/{actionId}/draft", rf"^{ACTIONS}/[^/]+/draft$"),
    ("POST", ACTIONS + "/{actionId}/draft/publish", rf"^{ACTIONS}/[^/]+/draft/publish$"),
    ("DELETE", ACTIONS + "/{actionId}/draft", rf"^{ACTIONS}/[^/]+/draft$"),
)
OPERATIONS = {
    "create": "POST " + ACTIONS,
    "patch": "PATCH " + ACTIONS + "/{actionId}",
    "delete": "DELETE " + ACTIONS + "/{actionId}",
    "draft.create": "POST " + ACTIONS + "/{actionId}/draft",
    "draft.patch": "PATCH " + ACTIONS + "/{actionId}/draft",
    "draft.publish": "POST " + ACTIONS + "/{actionId}/draft/publish",
    "draft.delete": "DELETE " + ACTIONS + "/{actionId}/draft",
}
NAMED = re.compile(r"also reset|edited in the org|overwritten|changed in the org|FAILED")


def action_data(name: str, kind: str, *, desired: bool) -> dict[str, Any]:
    """One action file's data: the org's version (``desired`` False) or the file's."""
    data: dict[str, Any] = {
        "name": name,
        "integration": INTEGRATION,
        "timeoutSeconds": 5,
        "contract": {
            "input": {"type": "object", "properties": {"q": {"type": "string"}}},
            "output": {"type": "object", "properties": {"n": {"type": "integer"}}},
        },
        "request": {"requestUrlTemplate": "/api/v2/users/${input.q}", "requestType": "GET"},
        "response": {"translationMap": {"n": "$.n"}, "successTemplate": '{"n": ${n}}'},
    }
    if not desired:
        return data
    if kind == "timeout":
        data["timeoutSeconds"] = 7
    elif kind == "template":
        data["response"]["successTemplate"] = '{"n": ${n}, "chaos": true}'
    elif kind == "contract":
        data["contract"]["output"]["properties"]["m"] = {"type": "string"}
    elif kind == "secure":
        data["secure"] = True
    return data


def setup_org(cli: Cli, tree: Path) -> dict[str, tuple[str, str | None]]:
    """Files in ``tree`` and actions in the org; name -> (kind, live id or None)."""
    tree.mkdir()
    (tree / "dactl.yaml").write_text(
        f"scope: {{integrations: [{INTEGRATION}]}}\nprune: true\nimmutableContracts: false\n"
    )
    plan: dict[str, tuple[str, str | None]] = {}
    with cli.api() as client:
        api = ActionsApi(client)
        for i in range(SIZE):
            kind = KINDS[i % len(KINDS)]
            name = f"Chaos {i:03d} {kind}"
            if kind != "delete":
                path = tree / f"chaos-{i:03d}.yaml"
                path.write_text(json.dumps(action_data(name, kind, desired=True)))
            live_id = None
            if kind != "create":
                spec = ActionSpec.from_data(action_data(name, kind, desired=False), name)
                canonical = canonical_desired(spec, SANDBOX_INTEGRATIONS[INTEGRATION], INTEGRATION)
                live_id = str(api.create_action(post_body(canonical))["id"])
            plan[name] = (kind, live_id)
    return plan


class Colleague(threading.Thread):
    """Edits timeouts in the org while apply runs, as an admin in the UI would: straight in
    the sandbox's store, so the faults meant for apply never hit these edits and the
    request log holds apply's writes only."""

    def __init__(self, sandbox: SandboxServer, victims: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.store = sandbox.runtime.store
        self.victims = victims  # id -> name
        self.stop = threading.Event()
        self.edits: dict[str, int] = {}  # id -> the timeout the colleague set last

    def run(self) -> None:
        value = 40
        while not self.stop.is_set():
            for action_id in self.victims:
                if self.stop.is_set():
                    return
                value = value % 59 + 1
                try:
                    _, defn = self.store.get(action_id, draft=False)
                    config = {**defn["config"], "timeoutSeconds": value}
                    body = {"name": defn["name"], "config": config, "version": defn["version"]}
                    self.store.patch(action_id, body)
                except ApiProblem:  # gone (deleted, replaced), or apply wrote first
                    continue
                self.edits[action_id] = value
                time.sleep(0.02)


def performed_writes(sandbox: SandboxServer, start: int) -> Counter[tuple[str, str | None]]:
    """The writes the org performed since request ``start`` of its log (answered 2xx, the
    answer dropped or not), by route and action id."""
    out: Counter[tuple[str, str | None]] = Counter()
    for entry in sandbox.requests()[start:]:
        if entry["request"] not in OPERATIONS.values():
            continue
        status = entry.get("status")
        if status is None or not 200 <= status < 300:
            continue
        parts = entry["path"].removeprefix(ACTIONS).strip("/").split("/")
        out[(entry["request"], parts[0] or None)] += 1
    return out


def audited(cli: Cli, outcomes: tuple[str, ...]) -> Counter[tuple[str, str | None]]:
    out: Counter[tuple[str, str | None]] = Counter()
    for line in (cli.cwd / ".dactl" / "audit.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["outcome"] in outcomes and record["operation"] in OPERATIONS:
            ident = None if record["operation"] == "create" else record["id"]
            out[(OPERATIONS[record["operation"]], ident)] += 1
    return out


def explain(
    missing: Counter[tuple[str, str | None]], cli: Cli, sandbox: SandboxServer, output: str
) -> str:
    """What the audit log and the org's request log say of the actions in ``missing``."""
    ids = {ident for _, ident in missing if ident}
    lines = [f"not in the audit log: {dict(missing)}"]
    for line in (cli.cwd / ".dactl" / "audit.jsonl").read_text().splitlines():
        if any(i in line for i in ids):
            lines.append("audit: " + line)
    for entry in sandbox.requests():
        if any(i in entry["path"] for i in ids):
            lines.append(f"org: {entry}")
    lines += [line for line in output.splitlines() if any(i in line for i in ids)]
    return "\n".join(lines)


def inject_faults(sandbox: SandboxServer) -> None:
    per_route = max(1, SIZE // 40)
    for method, _, pattern in WRITE_ROUTES:
        sandbox.inject_fault(path=pattern, method=method, status=503, count=per_route)
        sandbox.inject_fault(
            path=pattern, method=method, status=429, retry_after=0, count=per_route
        )
        sandbox.inject_fault(path=pattern, method=method, drop_after_write=True, count=per_route)


def test_apply_under_faults_and_a_concurrent_writer_loses_nothing(tmp_path: Path) -> None:
    with SandboxServer(SandboxConfig(mutable_contracts=True)) as sandbox:
        cli = Cli(sandbox, tmp_path)
        plan = setup_org(cli, tmp_path / "actions")
        victims = {
            live_id: name
            for name, (kind, live_id) in plan.items()
            if live_id is not None and kind in ("same", "timeout", "template", "delete")
        }
        start = len(sandbox.requests())
        inject_faults(sandbox)
        colleague = Colleague(sandbox, dict(list(victims.items())[: max(4, SIZE // 6)]))
        colleague.start()
        try:
            first = cli.run(
                "apply",
                "actions",
                "--auto-approve",
                "--allow-replace",
                "--force",
                "--concurrency",
                "8",
            )
        finally:
            colleague.stop.set()
            colleague.join(timeout=30)
        output = first.stdout + first.stderr
        assert first.returncode in (0, 1), output
        # Every fault met a request of apply's (a draft is deleted only when a step of it
        # fails, so that route may see fewer requests than faults).
        draft_delete = (ACTIONS + "/[^/]+/draft$", "DELETE")
        left = [f for f in sandbox.faults() if (f["path"][1:], f["method"]) != draft_delete]
        assert left == [], left
        assert "Traceback" not in output
        assert colleague.edits, "the colleague never got an edit in"

        # No lost edit: each of the colleague's edits survives, or its action is named.
        with cli.api() as client:
            api = ActionsApi(client)
            live = {a["id"]: a for a in api.iter_actions(include_config=True)}
        for action_id, value in colleague.edits.items():
            name = colleague.victims[action_id]
            survived = (
                action_id in live and live[action_id]["config"].get("timeoutSeconds") == value
            )
            named = any(name in line and NAMED.search(line) for line in output.splitlines())
            deleted_and_said = action_id not in live and f"deleted {action_id}" in output
            assert survived or named or deleted_and_said, (name, value, output[-3000:])

        # The audit log says what the org did: every write it records as done was done,
        # and every write done is recorded (as done, or as unknown when reading back failed).
        done = performed_writes(sandbox, start)
        said = audited(cli, ("ok", "applied"))
        unknown = audited(cli, ("unknown",))
        assert said - done == Counter(), (said - done, output[-3000:])
        assert audited(cli, ("applied",)) and audited(cli, ("not applied",))  # read back
        missing = done - (said + unknown)
        assert missing == Counter(), explain(missing, cli, sandbox, output)

        # A clean re-apply converges: no duplicates, no drafts, no records, no change.
        sandbox.clear_faults()
        again = cli.run("apply", "actions", "--auto-approve", "--allow-replace", "--force")
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr
        final = cli.run("plan", "actions", "--detailed-exitcode")
        assert final.returncode == 0, final.stdout[-3000:] + final.stderr
        with cli.api() as client:
            api = ActionsApi(client)
            names = [a["name"] for a in api.iter_actions() if a["name"].startswith("Chaos ")]
            drafts = client.get_json(ACTIONS + "/drafts", params={"pageSize": 100})["entities"]
        assert sorted(names) == sorted(set(names))  # no duplicate
        assert sorted(names) == sorted(n for n, (kind, _) in plan.items() if kind != "delete")
        assert drafts == []
        records = tmp_path / ".dactl" / "drafts.json"
        assert not records.exists() or json.loads(records.read_text())["orgs"] == {}
