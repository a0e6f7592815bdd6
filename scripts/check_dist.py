"""Check what ``make dist`` built: the wheel and the sdist hold everything dactl reads at run
time, and their metadata is complete (``twine check`` renders the README beside this).

    python scripts/check_dist.py DIST_DIR

Exit 1 with one line per problem; the install test (tests/e2e/test_install_e2e.py) runs
the same checks on the files it builds.
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ("action", "action-file", "action-template", "project")
METADATA_FIELDS = ("License-Expression", "License-File", "Project-URL", "Classifier")


def runtime_files() -> dict[str, bytes]:
    """Package-relative path -> bytes, for every data file dactl reads at run time."""
    files = {
        f"reconciler/schemas/{name}.schema.json": (
            ROOT / "schemas" / f"{name}.schema.json"
        ).read_bytes()
        for name in SCHEMAS
    }
    templates = ROOT / "reconciler" / "ci" / "templates"
    for path in sorted(templates.rglob("*.yml")):
        files[path.relative_to(ROOT).as_posix()] = path.read_bytes()
    files["reconciler/py.typed"] = b""
    return files


def check_wheel(path: Path) -> list[str]:
    problems = []
    with zipfile.ZipFile(path) as wheel:
        names = set(wheel.namelist())
        for name, content in runtime_files().items():
            if name not in names:
                problems.append(f"{path.name}: {name} is missing")
            elif wheel.read(name) != content:
                problems.append(f"{path.name}: {name} differs from the repository's")
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        if f"{info}/licenses/LICENSE" not in names:
            problems.append(f"{path.name}: the LICENSE file is missing")
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
        if "dactl = reconciler.cli:main" not in entry_points:
            problems.append(f"{path.name}: no dactl console script")
        problems += _metadata(path.name, wheel.read(f"{info}/METADATA").decode())
        if any(n.startswith(("tests/", "actions/")) for n in names):
            problems.append(f"{path.name}: holds the repository's tests or examples")
    return problems


def check_sdist(path: Path) -> list[str]:
    problems = []
    with tarfile.open(path) as sdist:
        members = {m.name.split("/", 1)[1]: m for m in sdist.getmembers() if "/" in m.name}
        for name, content in runtime_files().items():
            member = members.get(name)
            if member is None or not member.isfile():  # a symlink would dangle when unpacked
                problems.append(f"{path.name}: {name} is missing (or not a regular file)")
                continue
            handle = sdist.extractfile(member)
            if handle is None or handle.read() != content:
                problems.append(f"{path.name}: {name} differs from the repository's")
        for name in ("LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "PKG-INFO"):
            if name not in members:
                problems.append(f"{path.name}: {name} is missing")
        if "PKG-INFO" in members and (handle := sdist.extractfile(members["PKG-INFO"])):
            problems += _metadata(path.name, handle.read().decode())
    return problems


def _metadata(where: str, text: str) -> list[str]:
    message = Parser().parsestr(text)
    problems = [
        f"{where}: no {field} in the metadata"
        for field in METADATA_FIELDS
        if not message.get_all(field)
    ]
    if message.get("License-Expression") != "Apache-2.0":
        problems.append(f"{where}: the license is not Apache-2.0")
    if message.get("Description-Content-Type") != "text/markdown":
        problems.append(f"{where}: the README is not the Markdown long description")
    body = message.get_payload()
    if not isinstance(body, str) or "dactl init" not in body:
        problems.append(f"{where}: the long description is not the README")
    return problems


def check(directory: Path) -> list[str]:
    """Every problem of the one wheel and the one sdist in ``directory``."""
    wheels = sorted(directory.glob("*.whl"))
    sdists = sorted(directory.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        return [f"{directory}: expected one wheel and one sdist, found {wheels + sdists}"]
    return check_wheel(wheels[0]) + check_sdist(sdists[0])


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: check_dist.py DIST_DIR", file=sys.stderr)
        return 1
    problems = check(Path(argv[0]))
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{argv[0]}: the wheel and the sdist hold what dactl needs at run time.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
