"""What ``make bench`` runs its scenarios on: a tree of action files and the org that
matches it, a sandbox process serving that org, and dactl (or the SDK script) run as
whole processes, timed, with their peak memory and the requests the sandbox counted."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.sandbox.process import SandboxProcess, SandboxServer

ROOT = Path(__file__).resolve().parents[1]
TOKEN_ROUTE = "POST /oauth/token"
LISTING_ROUTE = "GET /api/v2/integrations/actions"
PATCH_ROUTE = "PATCH /api/v2/integrations/actions/{actionId}"
# Built-in actions the sandbox's org lists besides ours (its custom-auth one is not listed).
BUILT_IN_LISTED = 2

ACTION = """\
name: Bench Action {i:05d}
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
    """``count`` action files (timeouts 1..60) in ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (root / f"action-{i:05d}.yaml").write_text(
            ACTION.format(i=i, timeout=1 + i % 60), encoding="utf-8"
        )


def change_timeouts(root: Path, count: int) -> list[Path]:
    """Change the timeout of the first ``count`` files (t becomes t % 60 + 1)."""
    changed = sorted(root.glob("action-*.yaml"))[:count]
    for path in changed:
        text = re.sub(
            r"timeoutSeconds: (\d+)",
            lambda m: f"timeoutSeconds: {int(m.group(1)) % 60 + 1}",
            path.read_text(encoding="utf-8"),
        )
        path.write_text(text, encoding="utf-8")
    return changed


def build_org(tree: Path, state_file: Path) -> float:
    """Create the org of ``tree`` in an in-thread sandbox (no latency) with dactl's own
    apply, and save it as a sandbox state file; returns the seconds it took."""
    from reconciler.orchestrator import Connection, Orchestrator

    start = time.perf_counter()
    saved = {k: os.environ.get(k) for k in CREDENTIALS}
    with SandboxServer() as sandbox, tempfile.TemporaryDirectory() as tmp:
        os.environ.update(credentials(sandbox))
        try:
            work = Path(tmp)
            orchestrator = Orchestrator(
                tree,
                Connection(api_url=sandbox.base_url),
                cache_dir=work / "cache",
                drafts_path=work / "drafts.json",
            )
            result = orchestrator.apply(force=True, audit_path=work / "audit.jsonl")
            assert not result.failed, result.failed[:3]
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        state_file.write_text(json.dumps(sandbox.state()), encoding="utf-8")
    return time.perf_counter() - start


CREDENTIALS = ("GENESYSCLOUD_OAUTHCLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_SECRET")


def credentials(sandbox: SandboxServer | SandboxProcess) -> dict[str, str]:
    return dict(zip(CREDENTIALS, (sandbox.client_id, sandbox.client_secret), strict=True))


def serve(state_file: Path, *args: str) -> SandboxProcess:
    """A sandbox process on a copy of ``state_file`` (runs never change the original)."""
    copy = state_file.with_name(f"run-{state_file.name}")
    shutil.copyfile(state_file, copy)
    for leftover in copy.parent.glob(f"{copy.name}.journal"):
        leftover.unlink()
    return SandboxProcess("--state", str(copy), *args)


@dataclass
class Run:
    """One process: its wall time, peak memory, exit code and output, and the requests
    the sandbox counted while it ran."""

    seconds: float
    peak_mib: float
    returncode: int
    stdout: str
    stderr: str
    routes: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return sum(self.routes.values())

    @property
    def api_requests(self) -> int:
        """Requests the rate limit counts: all but the token request."""
        return self.requests - self.routes.get(TOKEN_ROUTE, 0)

    @property
    def rejected(self) -> int:
        return self.statuses.get("429", 0)


def _diff(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def run(
    program: list[str],
    *,
    cwd: Path,
    sandbox: SandboxProcess | None = None,
    expect: tuple[int, ...] = (0,),
) -> Run:
    """Run ``python PROGRAM`` (``-m MODULE ...`` or ``SCRIPT ...``) as a process of its
    own, timed, with its peak resident memory (scripts/bench_peak.py)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "DACTL_"))}
    env["NO_COLOR"] = "1"
    if sandbox is not None:
        env.update(credentials(sandbox))
    before = sandbox.stats() if sandbox is not None else {}
    args = [sys.executable, str(ROOT / "scripts" / "bench_peak.py"), *program]
    with tempfile.TemporaryDirectory() as tmp:
        env["DACTL_BENCH_PEAK"] = peak = str(Path(tmp) / "peak")
        out_path, err_path = Path(tmp) / "out", Path(tmp) / "err"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            start = time.perf_counter()
            returncode = subprocess.run(args, cwd=cwd, env=env, stdout=out, stderr=err).returncode
            seconds = time.perf_counter() - start
        stdout = out_path.read_text(errors="replace")
        stderr = err_path.read_text(errors="replace")
        peak_kb = int(Path(peak).read_text()) if Path(peak).exists() else 0
    result = Run(seconds, peak_kb / 1024, returncode, stdout, stderr)
    if sandbox is not None:
        after = sandbox.stats()
        result.routes = _diff(before.get("requests", {}), after.get("requests", {}))
        result.statuses = _diff(before.get("statuses", {}), after.get("statuses", {}))
    if result.returncode not in expect:
        raise RuntimeError(
            f"{' '.join(program)} exited {result.returncode}:\n{stdout[-2000:]}\n{stderr[-2000:]}"
        )
    return result


def dactl(*args: str) -> list[str]:
    return ["-m", "reconciler", *args]


def sdk_read(sandbox: SandboxProcess, cwd: Path, *, obey_retry_after: bool = False) -> Run:
    """The sequential SDK script (scripts/bench_sdk.py) reading every action of the org."""
    script = [str(ROOT / "scripts" / "bench_sdk.py")]
    args = [*script, sandbox.base_url, sandbox.client_id, sandbox.client_secret]
    return run(
        [*args, *(["--obey-retry-after"] if obey_retry_after else [])], cwd=cwd, sandbox=sandbox
    )


def machine() -> str:
    """The machine and its load, in one line."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({model}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load average (1, 5, 15 min): {load}"
    )


def summary(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    return ordered[0], ordered[len(ordered) // 2], ordered[-1]


def dump(data: Any) -> str:
    return json.dumps(data, sort_keys=True)
