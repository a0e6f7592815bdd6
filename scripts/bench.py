"""Benchmarks (``make bench``): results are written to docs/benchmarks.md.

Speed and memory targets live here, never in timed unit tests.
"""

from __future__ import annotations

import platform
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

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


def main() -> None:
    rows = []
    for count in (100, 1000):
        result = bench_validate(count)
        rows.append(
            f"| validate, {count} actions | {result['median_s']:.2f} s "
            f"| {1000 * result['median_s'] / count:.2f} ms | {result['peak_mib']:.1f} MiB |"
        )
        print(rows[-1])
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(
        "# Benchmarks\n\n"
        "Written by `make bench` (scripts/bench.py). Median of 3 runs; peak memory from "
        "tracemalloc (Python allocations only).\n\n"
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"{platform.system()}.\n\n"
        "| benchmark | time | per action | peak memory |\n|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
