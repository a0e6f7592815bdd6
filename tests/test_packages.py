"""Function packages: a content identity that is the same on every machine, and a
deterministic zip."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from reconciler.packages import (
    PackageError,
    identity_in_name,
    identity_of_zip,
    load_package,
    upload_name,
)


def make_package(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "index.js").write_text("exports.handler = async () => ({});\n")
    (root / "package.json").write_text('{"name": "echo"}\n')
    return root


def test_the_identity_ignores_mtimes_modes_and_the_checkout(tmp_path: Path) -> None:
    first = make_package(tmp_path / "one")
    second = tmp_path / "two"
    shutil.copytree(first, second)
    for path in second.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
        if path.is_file():
            path.chmod(0o700)
    a, b = load_package(first), load_package(second)
    assert a.identity == b.identity
    assert a.identity.startswith("sha256:") and len(a.identity) == len("sha256:") + 32
    assert a.zip_bytes() == b.zip_bytes()  # the bytes uploaded are the same too


def test_the_zip_is_deterministic_and_holds_the_files(tmp_path: Path) -> None:
    package = load_package(make_package(tmp_path / "code"))
    data = package.zip_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["package.json", "src/index.js"]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {(i.external_attr >> 16) & 0o777 for i in infos} == {0o644}
    assert identity_of_zip(data, "x") == package.identity


def test_a_zip_file_and_its_directory_share_the_identity(tmp_path: Path) -> None:
    code = make_package(tmp_path / "code")
    archive = shutil.make_archive(str(tmp_path / "code-archive"), "zip", code)
    assert load_package(Path(archive)).identity == load_package(code).identity


def test_any_content_change_changes_the_identity(tmp_path: Path) -> None:
    code = make_package(tmp_path / "code")
    before = load_package(code).identity
    (code / "src" / "index.js").write_text("exports.handler = 2;\n")
    changed = load_package(code).identity
    (code / "src" / "index.js").rename(code / "src" / "main.js")
    renamed = load_package(code).identity
    assert len({before, changed, renamed}) == 3


def test_a_package_changed_after_the_plan_is_not_uploaded(tmp_path: Path) -> None:
    code = make_package(tmp_path / "code")
    package = load_package(code)
    (code / "package.json").write_text("{}\n")
    with pytest.raises(PackageError, match="changed since it was planned"):
        package.zip_bytes()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p.mkdir(), "holds no files"),
        (lambda p: None, "no such directory or .zip file"),
        (lambda p: p.with_suffix(".zip").write_bytes(b"no zip"), "not a readable zip"),
        (lambda p: p.with_suffix(".txt").write_text("x"), "a directory or a .zip file"),
    ],
    ids=["empty", "missing", "broken-zip", "other-file"],
)
def test_unusable_packages_are_refused(tmp_path: Path, setup, message: str) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "code"
    setup(target)
    path = next((p for p in tmp_path.iterdir()), target)
    with pytest.raises(PackageError, match=message):
        load_package(path)


def test_symbolic_links_are_refused(tmp_path: Path) -> None:
    code = make_package(tmp_path / "code")
    (tmp_path / "secret.txt").write_text("not part of the package")
    (code / "link.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(PackageError, match="symbolic links are not packed"):
        load_package(code)


def test_a_zip_with_an_unsafe_path_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../escape.js", "x")
    path = tmp_path / "bad.zip"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(PackageError, match="unsafe path"):
        load_package(path)


def test_the_upload_name_carries_the_identity() -> None:
    identity = "sha256:" + "ab" * 16
    name = upload_name(identity)
    assert name == "dactl-" + "ab" * 16 + ".zip"
    assert identity_in_name(name) == identity
    assert identity_in_name("hotfix.zip") is None
    assert identity_in_name(None) is None
