"""Benchmarks (``make bench``): results are written to docs/benchmarks.md.

Speed and memory targets live here, never in timed unit tests. Every scenario runs dactl
as a whole process (``python -m reconciler ...``) against a sandbox process with 20 ms
of added latency, and counts requests in the sandbox (``/sandbox/stats``), beside a plain
sequential script on the official SDK reading the same org (scripts/bench_sdk.py). Each
goal of issue 14 is printed with its measured value and PASS or MISS.

    python scripts/bench.py            # the full run; writes docs/benchmarks.md
    python scripts/bench.py --quick    # 100 and 500 actions, to check the harness
    python scripts/bench.py --quick --only rate --out /tmp/bench.md
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench_org import (
    BUILT_IN_LISTED,
    LISTING_ROUTE,
    PATCH_ROUTE,
    ROOT,
    TOKEN_ROUTE,
    Run,
    build_org,
    change_timeouts,
    dactl,
    machine,
    make_tree,
    run,
    sdk_read,
    serve,
)

from reconciler.sandbox.process import SandboxProcess

LATENCY = ("--latency-ms", "20")
RATE = 300  # requests a minute, the real default
SWEEP = (4, 8, 16, 24, 32)  # --concurrency values of the cold plans that chose the default


@dataclass
class Bench:
    """Rows of the report and the goals, as they are measured."""

    repeats: int
    rows: list[str] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    misses: int = 0

    def row(self, label: str, runs: list[Run], *, sdk: float | None = None) -> float:
        """A row: the median time of ``runs`` (with min-max), peak memory, requests."""
        times = [r.seconds for r in runs]
        median = statistics.median(times)
        spread = f" ({min(times):.2f}-{max(times):.2f})" if len(runs) > 1 else ""
        ratio = f"{sdk / median:.1f}x" if sdk else ""
        last = runs[-1]
        rejected = f", {last.rejected} refused (429)" if last.rejected else ""
        self.rows.append(
            f"| {label} | {median:.2f} s{spread} | {len(runs)} | {ratio} "
            f"| {max(r.peak_mib for r in runs):.0f} MB | {last.requests}{rejected} |"
        )
        print(self.rows[-1], flush=True)
        return median

    def goal(self, text: str, measured: str, met: bool) -> None:
        self.goals.append(f"- **{'PASS' if met else 'MISS'}** {text}: {measured}")
        self.misses += not met
        print(self.goals[-1], flush=True)


def listing_pages(actions: int) -> int:
    return math.ceil((actions + BUILT_IN_LISTED) / 100)


def bench_validate(bench: Bench, count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "actions"
        make_tree(tree, count)
        runs = [run(dactl("validate", "actions"), cwd=Path(tmp)) for _ in range(bench.repeats)]
        bench.row(f"validate, {count} files (no network)", runs)


@dataclass
class Org:
    """An org of ``count`` actions served with 20 ms latency, and its tree in ``work``."""

    bench: Bench
    count: int
    work: Path
    sandbox: SandboxProcess

    def dactl(self, *args: str) -> Run:
        url = ("--api-url", self.sandbox.base_url)
        return run(dactl(*args, "actions", *url), cwd=self.work, sandbox=self.sandbox)

    def repeat(self, *args: str, cold: bool = False) -> list[Run]:
        """``dactl ARGS`` as many times as the bench repeats; ``cold``: each time with no
        ``.dactl/`` directory (no live cache, nothing remembered)."""
        runs = []
        for _ in range(self.bench.repeats):
            if cold:
                shutil.rmtree(self.work / ".dactl", ignore_errors=True)
            runs.append(self.dactl(*args))
        return runs


def bench_org(
    bench: Bench,
    count: int,
    *,
    sdk: bool = True,
    plans: bool = True,
    sweep: tuple[int, ...] = (),
    apply_changes: int = 0,
) -> dict[str, float]:
    """On an org of ``count`` actions: the SDK read; cold plans at each ``--concurrency``
    of ``sweep``; cold and warm plans and drift; an apply of ``apply_changes`` timeout
    changes and the plan after it."""
    measured: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        make_tree(work / "actions", count)
        built = build_org(work / "actions", work / "org.json")
        print(f"# org of {count} actions built in {built:.1f} s", flush=True)
        with serve(work / "org.json", *LATENCY) as sandbox:
            org = Org(bench, count, work, sandbox)
            if sdk:
                read = sdk_read(sandbox, work)
                measured["sdk"] = bench.row(f"SDK sequential read, {count} actions", [read])
            for level in sweep:
                runs = org.repeat("plan", "--concurrency", str(level), cold=True)
                bench.row(f"plan, {count} actions, cold, --concurrency {level}", runs)
            if plans:
                measured.update(bench_plans(org, measured.get("sdk")))
            if apply_changes:
                bench_apply(org, apply_changes)
    return measured


def bench_plans(org: Org, sdk: float | None) -> dict[str, float]:
    bench, count = org.bench, org.count
    cold = org.repeat("plan", cold=True)
    measured = {"cold": bench.row(f"plan, {count} actions, cold (no .dactl/)", cold, sdk=sdk)}
    warm = org.repeat("plan")
    measured["warm"] = bench.row(f"plan, {count} actions, warm", warm, sdk=sdk)
    measured["warm_mib"] = max(r.peak_mib for r in warm)
    measured["warm_requests"] = warm[-1].requests
    measured["warm_only_listing"] = float(only_listing(warm[-1], count))
    bench.row(f"drift, {count} actions, warm", org.repeat("drift"))
    return measured


def only_listing(plan: Run, count: int) -> bool:
    """The plan sent the token request and the listing's pages, nothing else."""
    return set(plan.routes) <= {LISTING_ROUTE, TOKEN_ROUTE} and plan.routes.get(
        LISTING_ROUTE
    ) == listing_pages(count)


def bench_apply(org: Org, changes: int) -> None:
    bench, count = org.bench, org.count
    change_timeouts(org.work / "actions", changes)
    applied = org.dactl("apply", "--auto-approve")
    bench.row(f"apply, {changes} timeout changes of {count}", [applied])
    after = org.dactl("plan")
    bench.row(f"plan after that apply, {count} actions", [after])
    patches = applied.routes.get(PATCH_ROUTE, 0)
    writes = {k: v for k, v in applied.routes.items() if not k.startswith(("GET ", "POST /oauth"))}
    bench.goal(
        f"apply of {changes} timeout changes: exactly {changes} PATCHes",
        f"{patches} PATCHes; writes {writes}",
        patches == changes and sum(writes.values()) == changes,
    )
    extra = {k: v for k, v in after.routes.items() if k not in (LISTING_ROUTE, TOKEN_ROUTE)}
    bench.goal(
        "the plan after it is warm (listing pages and token only)",
        f"{after.requests} requests ({listing_pages(count)} pages + token"
        + (f"; also {extra}" if extra else "")
        + ")",
        only_listing(after, count),
    )


def bench_rate(bench: Bench, count: int) -> None:
    """A cold plan of ``count`` actions under --rate-limit 300, against its floor and
    against the SDK script that obeys Retry-After."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        tree = work / "actions"
        make_tree(tree, count)
        build_org(tree, work / "org.json")
        with serve(work / "org.json", *LATENCY, "--rate-limit", str(RATE)) as sandbox:
            cold = run(
                dactl("plan", "actions", "--api-url", sandbox.base_url), cwd=work, sandbox=sandbox
            )
        with serve(work / "org.json", *LATENCY, "--rate-limit", str(RATE)) as sandbox:
            script = sdk_read(sandbox, work, obey_retry_after=True)
    floor = cold.api_requests / RATE * 60
    bench.row(f"plan, {count} actions, cold, --rate-limit {RATE}", [cold])
    bench.row(f"SDK read obeying Retry-After, {count} actions, --rate-limit {RATE}", [script])
    bench.notes.append(
        f"Floor of the rate-limited cold plan: {cold.api_requests} rate-limited requests "
        f"/ {RATE} a minute = {floor:.1f} s."
    )
    bench.goal(
        f"cold plan of {count} under {RATE} requests/min: within 5 % of the floor",
        f"{cold.seconds:.1f} s, floor {floor:.1f} s ({cold.seconds / floor - 1:+.1%})",
        cold.seconds <= floor * 1.05,
    )
    bench.goal("... with zero 429s", f"{cold.rejected} refused", cold.rejected == 0)
    bench.goal(
        "... and never slower than a script that obeys Retry-After",
        f"{cold.seconds:.1f} s against {script.seconds:.1f} s ({script.rejected} 429s met)",
        cold.seconds <= script.seconds,
    )


def org_goals(
    bench: Bench, small: int, large: int, one: dict[str, float], five: dict[str, float]
) -> None:
    bench.goal(
        f"warm plan of {small}: requests = listing pages + token",
        f"{one['warm_requests']:.0f} requests ({listing_pages(small)} pages + 1)",
        bool(one["warm_only_listing"]),
    )
    bench.goal(
        f"warm plan of {small}: >= 40x faster than the SDK read",
        f"{one['sdk'] / one['warm']:.1f}x",
        one["sdk"] / one["warm"] >= 40,
    )
    bench.goal(
        f"cold plan of {small} at 20 ms: >= 8x faster than the SDK read",
        f"{one['sdk'] / one['cold']:.1f}x",
        one["sdk"] / one["cold"] >= 8,
    )
    bench.goal(
        f"warm plan of {large}: <= 5x the warm plan of {small}",
        f"{five['warm'] / one['warm']:.2f}x ({five['warm']:.2f} s / {one['warm']:.2f} s)",
        five["warm"] <= 5 * one["warm"],
    )
    bench.goal(
        f"warm plan of {large}: <= 300 MB",
        f"{five['warm_mib']:.0f} MB peak resident",
        five["warm_mib"] <= 300,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small orgs: checks the harness")
    parser.add_argument("--only", choices=("validate", "orgs", "sweep", "rate"), action="append")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, help="the report (default: docs/benchmarks.md)")
    args = parser.parse_args()
    small, large, validate_count, rate_count = (
        (100, 500, 500, 100) if args.quick else (1000, 5000, 5000, 300)
    )
    out = args.out or (None if args.quick else ROOT / "docs" / "benchmarks.md")
    only = set(args.only or ("validate", "orgs", "rate"))
    bench = Bench(repeats=args.repeats)
    load_before = machine()
    print(f"# {load_before}", flush=True)
    if "validate" in only:
        bench_validate(bench, validate_count)
    if "sweep" in only and "orgs" not in only:
        bench_org(bench, small, sdk=False, plans=False, sweep=SWEEP)
    if "orgs" in only:
        one = bench_org(bench, small, sweep=SWEEP, apply_changes=10)
        five = bench_org(bench, large)
        org_goals(bench, small, large, one, five)
    if "rate" in only:
        bench_rate(bench, rate_count)
    report = render(bench, load_before, machine(), quick=args.quick)
    if out is not None:
        out.write_text(report, encoding="utf-8")
        print(f"wrote {out}")
    print(f"{len(bench.goals) - bench.misses} of {len(bench.goals)} goals met")


def render(bench: Bench, before: str, after: str, *, quick: bool) -> str:
    return (
        "# Benchmarks\n\n"
        "Written by `make bench` (scripts/bench.py"
        + (" --quick" if quick else "")
        + "). Every figure is one whole process (`python -m reconciler ...`, start-up "
        "included) against a sandbox process (`dactl sandbox --latency-ms 20`, so 20 ms "
        "added to every request) on this machine, never against Genesys Cloud. Requests "
        "are counted by the sandbox (`/sandbox/stats`), the token request included. "
        "Time is the median of the runs (fastest-slowest in brackets); memory is the "
        "peak resident set of the process (`VmHWM`, scripts/bench_peak.py). The "
        "`--concurrency N` rows are cold plans at each value: the default, 24, is where "
        "they stop getting faster. The SDK read is a plain sequential script on "
        "the official Python SDK (scripts/bench_sdk.py) reading what a cold plan reads: "
        "the listing, then each action with its contract and its two templates; "
        '"x SDK" is its time over the row\'s. A cold plan runs with no `.dactl/` '
        "directory (no live cache, nothing remembered); a warm plan after it.\n\n"
        f"Machine at the start: {before}.  \nAt the end: {after}.  \n"
        "Numbers taken while other work shares the CPU are noisy.\n\n"
        "| benchmark | time | runs | x SDK | memory | requests |\n"
        "|---|---|---|---|---|---|\n"
        + "\n".join(bench.rows)
        + "\n\n"
        + "".join(f"{note}\n\n" for note in bench.notes)
        + "## Goals (issue 14)\n\n"
        + "\n".join(bench.goals)
        + "\n"
    )


if __name__ == "__main__":
    main()
