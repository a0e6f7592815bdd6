"""``scripts/check_dist.py`` (run by ``make dist`` and the install test) finds what a wheel
or an sdist lacks: a schema or CI template missing, changed or a symlink, the license,
the console script, metadata fields."""

from __future__ import annotations

import importlib.util
import io
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import REPO_ROOT

METADATA = """\
Metadata-Version: 2.4
Name: dactl
Version: 0.1.0
License-Expression: Apache-2.0
License-File: LICENSE
Project-URL: Source, https://example.org/dactl
Classifier: Typing :: Typed
Description-Content-Type: text/markdown

# dactl
Start with `dactl init`.
"""


@pytest.fixture(scope="module")
def check_dist() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_dist", REPO_ROOT / "scripts" / "check_dist.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_wheel(path: Path, files: dict[str, bytes], metadata: str = METADATA) -> None:
    info = "dactl-0.1.0.dist-info"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, content in files.items():
            wheel.writestr(name, content)
        wheel.writestr(f"{info}/METADATA", metadata)
        wheel.writestr(f"{info}/licenses/LICENSE", "Apache License")
        wheel.writestr(
            f"{info}/entry_points.txt", "[console_scripts]\ndactl = reconciler.cli:main\n"
        )


def make_sdist(path: Path, files: dict[str, bytes], *, link: str | None = None) -> None:
    extra = {n: b"x" for n in ("LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml")}
    with tarfile.open(path, "w:gz") as sdist:
        for name, content in {**files, **extra, "PKG-INFO": METADATA.encode()}.items():
            member = tarfile.TarInfo(f"dactl-0.1.0/{name}")
            if name == link:
                member.type, member.linkname = tarfile.SYMTYPE, "../elsewhere"
                sdist.addfile(member)
                continue
            member.size = len(content)
            sdist.addfile(member, io.BytesIO(content))


def test_complete_files_pass(check_dist: ModuleType, tmp_path: Path) -> None:
    files = check_dist.runtime_files()
    assert "reconciler/schemas/action-file.schema.json" in files
    assert any(name.startswith("reconciler/ci/templates/github/") for name in files)
    make_wheel(tmp_path / "dactl-0.1.0-py3-none-any.whl", files)
    make_sdist(tmp_path / "dactl-0.1.0.tar.gz", files)
    assert check_dist.check(tmp_path) == []
    assert check_dist.main([str(tmp_path)]) == 0


def test_what_is_missing_changed_or_a_link_is_named(check_dist: ModuleType, tmp_path: Path) -> None:
    files = check_dist.runtime_files()
    schema = "reconciler/schemas/action-file.schema.json"
    template = next(n for n in files if n.startswith("reconciler/ci/templates/"))
    wheel_files = {n: c for n, c in files.items() if n != schema}
    wheel_files[template] = b"changed"
    metadata = METADATA.replace("Project-URL: Source, https://example.org/dactl\n", "")
    make_wheel(tmp_path / "dactl-0.1.0-py3-none-any.whl", wheel_files, metadata)
    make_sdist(tmp_path / "dactl-0.1.0.tar.gz", files, link=schema)
    problems = check_dist.check(tmp_path)
    assert f"dactl-0.1.0-py3-none-any.whl: {schema} is missing" in problems
    assert f"dactl-0.1.0-py3-none-any.whl: {template} differs from the repository's" in problems
    assert "dactl-0.1.0-py3-none-any.whl: no Project-URL in the metadata" in problems
    assert f"dactl-0.1.0.tar.gz: {schema} is missing (or not a regular file)" in problems
    assert len(problems) == 4
    assert check_dist.main([str(tmp_path)]) == 1


def test_a_directory_without_one_wheel_and_one_sdist(
    check_dist: ModuleType, tmp_path: Path
) -> None:
    assert check_dist.check(tmp_path)[0].endswith("expected one wheel and one sdist, found []")
    assert check_dist.main([]) == 1
