"""``make demo``'s script runs the pipeline against a sandbox it starts and stops itself."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest

from tests.conftest import REPO_ROOT


def test_demo_starts_the_sandbox_runs_the_pipeline_and_stops_it() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/demo.py"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "OK: 10 actions valid." in out
    match = re.search(r"sandbox listening on (http://127\.0\.0\.1:\d+)", out)
    assert match, out
    assert "Plan: 10 to create, 0 to update, 0 to replace, 0 to delete." in out
    assert "Apply complete: 10 created, 0 updated, 0 replaced, 0 deleted." in out
    in_sync, edited = out.split("someone raises a timeout in the Genesys UI")
    assert "No drift: the org matches git." in in_sync
    assert "timeoutSeconds: 10 → 25" in edited
    assert "Drift: 1 changed outside git, 0 missing, 0 unmanaged." in edited
    assert out.rstrip().endswith("==> done: sandbox stopped")
    with pytest.raises(httpx.ConnectError):
        httpx.get(match.group(1) + "/sandbox/stats", timeout=2)
