"""Enforce the unit-test coverage floor of ``make test`` (docs/architecture.md).

Reads the JSON report of ``pytest --cov`` (unit tests only: no server, no subprocess) and
fails when the lines of ``reconciler/`` covered (the sandbox aside) are under 90 %, or any
module of 50 statements or more is under 75 %.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TOTAL_FLOOR = 90.0
MODULE_FLOOR = 75.0
MODULE_MIN_STATEMENTS = 50


def main(report_path: str) -> int:
    report = json.loads(Path(report_path).read_text(encoding="utf-8"))
    total = report["totals"]["percent_covered"]
    low = [
        (name, summary["percent_covered"], summary["num_statements"])
        for name, data in sorted(report["files"].items())
        if (summary := data["summary"])["num_statements"] >= MODULE_MIN_STATEMENTS
        and summary["percent_covered"] < MODULE_FLOOR
    ]
    floor = f"floor {TOTAL_FLOOR:g} %"
    print(f"unit-test coverage of reconciler/ (sandbox aside): {total:.1f} % ({floor})")
    for name, percent, statements in low:
        print(f"  {name}: {percent:.1f} % of {statements} statements (floor {MODULE_FLOOR:g} %)")
    if total < TOTAL_FLOOR or low:
        print("coverage is under its floor", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".coverage.json"))
