"""Benchmarks (``make bench``): results are written to docs/benchmarks.md.

Speed and memory targets live here, never in timed unit tests.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from reconciler.orchestrator import Connection, Orchestrator
from reconciler.sandbox.process import SandboxServer
from reconciler.validate import validate_tree

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "benchmarks.md"

ACTION = """\
name: Bench Action {i:04d}
integration: Genesys Cloud Data Actions
timeoutSeconds: {timeout}
contract:
  input:
    type: object
    required: [queueId]
    properties:
      queueId: {{type: string}}
      note: {{type: string}}
  output:
    type: object
    properties:
      waiting: {{type: integer}}
request:
  requestUrlTemplate: /api/v2/routing/queues/${{input.queueId}}/estimatedwaittime
  requestType: POST
  headers: {{Content-Type: application/json}}
  requestTemplate: |
    {{"queue": "$esc.jsonString(${{input.queueId}})", "note": "$!{{input.note}}"}}
response:
  translationMap: {{waiting: "$.results[0].estimatedWaitTimeSeconds"}}
  translationMapDefaults: {{waiting: "0"}}
  successTemplate: '{{"waiting": ${{waiting}}}}'
"""


def make_tree(root: Path, count: int) -> None:
    for i in range(count):
        (root / f"action-{i:04d}.yaml").write_text(
            ACTION.format(i=i, timeout=1 + i % 60), encoding="utf-8"
        )


def bench_validate(count: int, repeats: int = 3) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_tree(root, count)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            report = validate_tree(root)
            times.append(time.perf_counter() - start)
            assert report.ok and len(report.actions) == count, report.problems[:3]
        tracemalloc.start()
        validate_tree(root)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {"median_s": statistics.median(times), "peak_mib": peak / 2**20}


def bench_pipeline(count: int) -> list[str]:
    """Apply ``count`` creates to an empty in-thread sandbox, plan cold and warm, then
    apply a timeout change to every action (one PATCH each)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp, SandboxServer() as sandbox:
        root = Path(tmp) / "tree"
        root.mkdir()
        make_tree(root, count)
        os.environ.update(
            GENESYSCLOUD_OAUTHCLIENT_ID=sandbox.client_id,
            GENESYSCLOUD_OAUTHCLIENT_SECRET=sandbox.client_secret,
        )
        orchestrator = Orchestrator(
            root, Connection(api_url=sandbox.base_url), cache_dir=Path(tmp) / "cache"
        )
        audit = Path(tmp) / "audit.jsonl"

        def row(label: str, elapsed: float, requests: int) -> None:
            rows.append(
                f"| {label} | {elapsed:.2f} s | {1000 * elapsed / count:.2f} ms "
                f"| {requests} requests |"
            )
            print(rows[-1], flush=True)

        def apply(label: str, expected: str) -> None:
            before = _requests(sandbox)
            start = time.perf_counter()
            result = orchestrator.apply(force=True, audit_path=audit)
            elapsed = time.perf_counter() - start
            assert not result.failed and len(result.outcomes) == count, result.failed[:3]
            assert all(o.kind == expected for o in result.outcomes)
            row(label, elapsed, _requests(sandbox) - before)

        apply(f"apply, {count} creates, empty org", "create")
        for label in ("cold", "warm"):
            start = time.perf_counter()
            result = orchestrator.plan()
            elapsed = time.perf_counter() - start
            assert result.plan.empty, result.plan.summary()
            row(f"plan, {count} actions, {label} cache", elapsed, result.requests)
        for path in root.glob("*.yaml"):  # every timeout t in 1..60 becomes t % 60 + 1
            text = re.sub(
                r"timeoutSeconds: (\d+)",
                lambda m: f"timeoutSeconds: {int(m.group(1)) % 60 + 1}",
                path.read_text(encoding="utf-8"),
            )
            path.write_text(text, encoding="utf-8")
        apply(f"apply, {count} timeout updates (warm cache)", "update")
    return rows


def _requests(sandbox: SandboxServer) -> int:
    """Every API request the sandbox has served (its own control endpoints excluded)."""
    return sum(n for route, n in sandbox.stats()["requests"].items() if "/sandbox/" not in route)


def main() -> None:
    rows = []
    for count in (100, 1000):
        result = bench_validate(count)
        rows.append(
            f"| validate, {count} actions | {result['median_s']:.2f} s "
            f"| {1000 * result['median_s'] / count:.2f} ms | {result['peak_mib']:.1f} MiB |"
        )
        print(rows[-1])
    plan_rows = bench_pipeline(500)
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(
        "# Benchmarks\n\n"
        "Written by `make bench` (scripts/bench.py). Median of 3 runs; peak memory from "
        "tracemalloc (Python allocations only).\n\n"
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"{platform.system()}.\n\n"
        "| benchmark | time | per action | peak memory |\n|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n\n"
        "Apply and plan against the sandbox (in-thread server on loopback, no added "
        "latency), in this order on one org; requests include the token request. Apply "
        "of creates: its plan (listing, integrations) + 1 integration-type lookup + 1 POST "
        "per action. Cold plan: listing pages + 3 per action (the integrations are already "
        "cached by the apply). Warm plan: listing pages only. Apply of updates: its warm "
        "plan + 1 PATCH per action.\n\n"
        "| benchmark | time | per action | requests |\n|---|---|---|---|\n"
        + "\n".join(plan_rows)
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
