"""Benchmarks (``make bench``): results are written to docs/benchmarks.md.

Speed and memory targets live here, never in timed unit tests.
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from reconciler.diff import canonical_desired
from reconciler.genesys import ActionsApi, ConnectionSettings, GenesysClient
from reconciler.genesys.bodies import post_body
from reconciler.orchestrator import Connection, Orchestrator
from reconciler.sandbox.process import SandboxServer
from reconciler.sandbox.seed import GENESYS_CLOUD_INTEGRATION_ID
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


def bench_plan(count: int) -> list[str]:
    """Cold and warm ``plan`` of ``count`` actions against an in-thread sandbox."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp, SandboxServer() as sandbox:
        root = Path(tmp) / "tree"
        root.mkdir()
        make_tree(root, count)
        settings = ConnectionSettings.resolve(
            api_url=sandbox.base_url,
            client_id=sandbox.client_id,
            client_secret=sandbox.client_secret,
            env={},
        )
        report = validate_tree(root)
        with GenesysClient(settings) as client:
            api = ActionsApi(client)
            for spec in report.actions:
                canonical = canonical_desired(
                    spec, GENESYS_CLOUD_INTEGRATION_ID, "Genesys Cloud Data Actions"
                )
                api.create_action(post_body(canonical))
        os.environ.update(
            GENESYSCLOUD_OAUTHCLIENT_ID=sandbox.client_id,
            GENESYSCLOUD_OAUTHCLIENT_SECRET=sandbox.client_secret,
        )
        orchestrator = Orchestrator(
            root, Connection(api_url=sandbox.base_url), cache_dir=Path(tmp) / "cache"
        )
        for label in ("cold", "warm"):
            start = time.perf_counter()
            result = orchestrator.plan()
            elapsed = time.perf_counter() - start
            assert result.plan.empty, result.plan.summary()
            rows.append(
                f"| plan, {count} actions, {label} cache | {elapsed:.2f} s "
                f"| {1000 * elapsed / count:.2f} ms | {result.requests} requests |"
            )
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    rows = []
    for count in (100, 1000):
        result = bench_validate(count)
        rows.append(
            f"| validate, {count} actions | {result['median_s']:.2f} s "
            f"| {1000 * result['median_s'] / count:.2f} ms | {result['peak_mib']:.1f} MiB |"
        )
        print(rows[-1])
    plan_rows = bench_plan(500)
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
        "Plan against the sandbox (in-thread server on loopback, no added latency); requests "
        "include the token request. Cold: listing pages + integrations + 3 per action. "
        "Warm: listing pages only.\n\n"
        "| benchmark | time | per action | requests |\n|---|---|---|---|\n"
        + "\n".join(plan_rows)
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
