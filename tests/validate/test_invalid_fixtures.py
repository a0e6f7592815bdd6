"""Every invalid fixture fails validation with its expected ``file:line:col: message``.

A fixture is one YAML file under tests/fixtures/invalid/ (or a directory, for rules that
need several files). Its ``# expect: [FILE:]LINE:COL: FRAGMENT`` comments name each
problem that must be reported; FILE is relative to the case (default: the file itself).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import FIXTURES, REPO_ROOT

INVALID = FIXTURES / "invalid"
EXPECT = re.compile(
    rb"#\s*expect:\s*(?:(?P<file>[^:\s]+\.ya?ml):)?(?P<line>\d+):(?P<col>\d+):\s*(?P<msg>.+)"
)


def _cases() -> list[Path]:
    return sorted(p for p in INVALID.iterdir() if not p.name.startswith("_"))


def _expectations(case: Path) -> list[tuple[str, str]]:
    files = sorted(case.glob("*.yaml")) if case.is_dir() else [case]
    base = case if case.is_dir() else case.parent
    found = []
    for file in files:
        for match in EXPECT.finditer(file.read_bytes()):
            target = base / match["file"].decode() if match["file"] else file
            where = f"{target.relative_to(REPO_ROOT)}:{int(match['line'])}:{int(match['col'])}: "
            found.append((where, match["msg"].decode().strip()))
    return found


def test_there_are_enough_cases() -> None:
    cases = _cases()
    assert len(cases) >= 30
    assert all(_expectations(c) for c in cases), "every case states what it expects"


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_invalid_fixture(case: Path, in_repo: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(case.relative_to(REPO_ROOT))])
    output = result.output
    assert result.exit_code == 1, output
    assert "Traceback" not in output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = output.splitlines()
    for where, fragment in _expectations(case):
        hits = [line for line in lines if line.startswith(where)]
        assert hits, f"no problem reported at {where}\n{output}"
        assert any(fragment in line for line in hits), f"{fragment!r} not in {hits}"
