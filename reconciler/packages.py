"""Code packages of Genesys Cloud Function actions: a content identity and a deterministic zip.

A function action's code is a directory or a ``.zip`` file next to its action file. Its
identity is a hash of the *content* (each file's path and bytes, sorted), not of zip bytes,
so it is the same on every machine and for every checkout (mtimes, modes, zip tool and
compression level do not enter it). A directory is zipped with sorted entries, a fixed
timestamp and fixed modes, so the bytes uploaded are the same wherever dactl runs.

The identity travels to the org in the uploaded file's name (``dactl-<hash>.zip``):
Genesys keeps the name of the uploaded zip (``FunctionZipConfig.name``; the Terraform
provider reads it back as ``function_config.file_path``), so a plan tells a changed package,
or one replaced in the UI, without downloading anything (there is no download endpoint).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import PackageError

# A sanity bound for dactl, not a Genesys limit (none is documented).
MAX_PACKAGE_BYTES = 256 * 1024 * 1024
MAX_PACKAGE_FILES = 20_000
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
_FILE_MODE = 0o644
_HASH_CHARS = 32
_UPLOAD_NAME = re.compile(r"^dactl-([0-9a-f]{32})\.zip$")


@dataclass(frozen=True)
class Package:
    """A function package on disk: where it is, and its content identity."""

    path: Path
    identity: str  # "sha256:<32 hex>", see _identity

    @property
    def upload_name(self) -> str:
        """The file name dactl uploads it under (carries the identity)."""
        return upload_name(self.identity)

    def zip_bytes(self) -> bytes:
        """The zip to upload; checked against the identity, which the plan showed."""
        data = _zip_directory(self.path) if self.path.is_dir() else _read_zip(self.path)
        if identity_of_zip(data, str(self.path)) != self.identity:
            raise PackageError(
                f"{self.path}: the package changed since it was planned; run plan again"
            )
        return data


def load_package(path: Path) -> Package:
    """Read the package at ``path`` (a directory, or a ``.zip`` file); ``PackageError``."""
    if path.is_dir():
        return Package(path, _identity(_directory_files(path)))
    if path.is_file() and path.suffix.lower() == ".zip":
        return Package(path, identity_of_zip(_read_zip(path), str(path)))
    if path.exists():
        raise PackageError(f"{path}: a package is a directory or a .zip file")
    raise PackageError(f"{path}: no such directory or .zip file")


def upload_name(identity: str) -> str:
    """``dactl-<32 hex>.zip``: only characters Genesys allows in a function upload file
    name (letters, digits, ``+ - _ . ' ( )``, SDK ``FunctionUploadRequest``)."""
    return f"dactl-{identity.removeprefix('sha256:')}.zip"


def identity_in_name(name: str | None) -> str | None:
    """The identity carried by an uploaded file's name, when dactl uploaded it."""
    match = _UPLOAD_NAME.match(name or "")
    return f"sha256:{match.group(1)}" if match else None


def identity_of_zip(data: bytes, where: str) -> str:
    """The content identity of a zip's files (directories and order do not count)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            if len(infos) > MAX_PACKAGE_FILES:
                raise PackageError(f"{where}: more than {MAX_PACKAGE_FILES} files")
            total = sum(i.file_size for i in infos)
            if total > MAX_PACKAGE_BYTES:
                raise PackageError(f"{where}: more than {_mib(MAX_PACKAGE_BYTES)} unpacked")
            files = {_entry_name(i.filename, where): archive.read(i) for i in infos}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise PackageError(f"{where}: not a readable zip file ({exc})") from exc
    except NotImplementedError as exc:  # an unsupported compression method
        raise PackageError(f"{where}: {exc}") from exc
    return _identity(files)


def _entry_name(name: str, where: str) -> str:
    clean = name.replace("\\", "/")
    if clean.startswith("/") or ".." in clean.split("/"):
        raise PackageError(f"{where}: unsafe path {name!r} in the zip")
    return clean


def _identity(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256(b"dactl-package-v1\0")
    for name in sorted(files):
        content = files[name]
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(str(len(content)).encode() + b"\0")
        digest.update(hashlib.sha256(content).digest())
    # 128 bits are far beyond any collision risk and keep the upload name short.
    return "sha256:" + digest.hexdigest()[:_HASH_CHARS]


def _directory_files(root: Path) -> dict[str, bytes]:
    """Every regular file under ``root`` by its posix path; symlinks are refused (a link
    out of the package would upload files from elsewhere)."""
    files: dict[str, bytes] = {}
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        links = [d for d in dirnames if (Path(dirpath) / d).is_symlink()]
        for name in [*sorted(filenames), *links]:
            path = Path(dirpath) / name
            info = path.lstat()
            rel = path.relative_to(root).as_posix()
            if stat.S_ISLNK(info.st_mode):
                raise PackageError(f"{path}: symbolic links are not packed; copy the file in")
            if not stat.S_ISREG(info.st_mode):
                raise PackageError(f"{path}: not a regular file")
            total += info.st_size
            if total > MAX_PACKAGE_BYTES or len(files) >= MAX_PACKAGE_FILES:
                raise PackageError(
                    f"{root}: more than {_mib(MAX_PACKAGE_BYTES)} or {MAX_PACKAGE_FILES} files"
                )
            try:
                files[rel] = path.read_bytes()
            except OSError as exc:
                raise PackageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if not files:
        raise PackageError(f"{root}: the package directory holds no files")
    return files


def _zip_directory(root: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for name, content in sorted(_directory_files(root).items()):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = (stat.S_IFREG | _FILE_MODE) << 16
            info.create_system = 3  # unix, so the mode above is read as such
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, content)
    return buffer.getvalue()


def _read_zip(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_PACKAGE_BYTES:
            raise PackageError(f"{path}: larger than {_mib(MAX_PACKAGE_BYTES)}")
        return path.read_bytes()
    except OSError as exc:
        raise PackageError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _mib(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB"
