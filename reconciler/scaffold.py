"""``dactl init`` and ``dactl schema``: the files a user's repository starts with.

``init`` writes the project file, the ``.dactl/`` line of ``.gitignore``, the editor
schemas and the CI files of the kit, and never overwrites a file: an existing one is kept
(``.gitignore`` only gets its missing line appended), so a second run changes nothing.
``schema`` (re)writes the schemas, for a repository that updates dactl.

CI files are the kit's templates (``reconciler/ci/templates/<ci>/``, see ``ci.kit``), with
``OWNER/dactl`` replaced when ``--owner`` is given: for GitHub they go to
``.github/workflows/``; for GitLab to ``.gitlab/``, and a repository without a
``.gitlab-ci.yml`` gets one that includes them (an existing one is kept, and a note says
what to include).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from reconciler.actionfile import dump_yaml
from reconciler.ci.kit import OWNER_PLACEHOLDER, PROVIDERS, template_files
from reconciler.config.loader import PROJECT_FILE_NAMES, display_path
from reconciler.errors import ScaffoldError
from reconciler.fsutil import DACTL_DIR, atomic_write_text, write_new_file
from reconciler.genesys.settings import known_region
from reconciler.validate.editor_schema import (
    SCHEMA_NAMES,
    derived_schemas,
    schema_file_name,
    schema_json,
)
from reconciler.validate.schema import schema_text

CI_CHOICES = (*PROVIDERS, "none")
GITLAB_PIPELINE = ".gitlab-ci.yml"
ACTIONS_DIR = "actions"
SCHEMAS_DIR = "schemas"
GITIGNORE = ".gitignore"
GITIGNORE_ENTRY = f"{DACTL_DIR}/"
GITIGNORE_BLOCK = (
    "# dactl: the local cache of live actions (their content, as the org holds it) and the\n"
    f"# audit log; keep the directory between CI runs, never in git.\n{GITIGNORE_ENTRY}\n"
)
# Lines of a .gitignore that already keep .dactl/ out of git.
_IGNORES_DACTL = {f"{lead}{DACTL_DIR}{tail}" for lead in ("", "/", "**/") for tail in ("", "/")}

Status = Literal["created", "kept", "added", "updated", "unchanged"]


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file; ``note`` says why, when it is not obvious."""

    path: Path
    status: Status
    note: str = ""

    def line(self) -> str:
        note = f"  ({self.note})" if self.note else ""
        return f"{self.status:<9} {display_path(self.path)}{note}"


@dataclass
class ScaffoldResult:
    """The files of one ``init`` or ``schema`` run, in the order they were handled."""

    root: Path
    files: list[FileOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, *statuses: Status) -> int:
        return sum(1 for f in self.files if f.status in statuses)

    def lines(self) -> list[str]:
        return [f.line() for f in self.files]


# -- schemas --------------------------------------------------------------------------------


def schema_files(directory: Path) -> list[tuple[Path, str]]:
    """Each schema dactl ships, as its path in ``directory`` and its text. The derived
    ones (action-file, action-template) are generated from the action schema, so in a
    checkout ``dactl schema --out schemas`` regenerates them after it changes."""
    derived = derived_schemas()
    return [
        (
            directory / schema_file_name(name),
            schema_json(derived[name]) if name in derived else schema_text(name),
        )
        for name in SCHEMA_NAMES
    ]


def write_schemas(directory: Path) -> ScaffoldResult:
    """Write every schema into ``directory``, replacing older copies (``dactl schema``)."""
    _require_directory(directory)
    result = ScaffoldResult(directory)
    for path, text in schema_files(directory):
        if _read(path) == text:
            result.files.append(FileOutcome(path, "unchanged"))
            continue
        status: Status = "updated" if path.exists() else "created"
        _write(path, text, replace=True)
        result.files.append(FileOutcome(path, status))
    return result


# -- init -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InitOptions:
    """What ``dactl init`` was asked for."""

    ci: str = "none"
    region: str | None = None
    integrations: tuple[str, ...] = ()
    owner: str | None = None


def init_repository(root: Path, options: InitOptions) -> ScaffoldResult:
    """Scaffold ``root`` (made when missing); an existing file is never overwritten."""
    _check(options)
    _require_directory(root)
    result = ScaffoldResult(root)
    _init_project(root, options, result)
    _init_gitignore(root, result)
    for path, text in schema_files(root / SCHEMAS_DIR):
        note = "" if _read(path) in (None, text) else "differs: `dactl schema` rewrites it"
        _create(path, text, result, note)
    if options.ci != "none":
        _init_ci(root, options, result)
    return result


def _check(options: InitOptions) -> None:
    if options.ci not in CI_CHOICES:
        raise ScaffoldError(f"--ci {options.ci}: use one of {', '.join(CI_CHOICES)}")
    if options.region is not None:
        known_region(options.region, "--region")  # says which regions there are
    for name in options.integrations:
        if not name.strip():
            raise ScaffoldError("--integration: an integration name cannot be empty")
    if options.owner is not None:
        if options.ci == "none":
            raise ScaffoldError("--owner is written into CI files: add --ci github or gitlab")
        template_files(options.ci, owner=options.owner)  # says what an owner looks like


def project_text(options: InitOptions) -> str:
    """The ``dactl.yaml`` that ``init`` writes, with its editor schema comment."""
    head = [
        f"# yaml-language-server: $schema=../{SCHEMAS_DIR}/{schema_file_name('project')}",
        "# dactl project file: which org, and which of its integrations this repository",
        "# manages. Credentials never go here: dactl reads GENESYSCLOUD_OAUTHCLIENT_ID and",
        "# GENESYSCLOUD_OAUTHCLIENT_SECRET from the environment (CI secrets).",
    ]
    data: dict[str, object] = {}
    if options.region is not None:
        data["region"] = options.region.strip()
    else:
        head += [
            "# The org: set GENESYSCLOUD_REGION (or pass --region), or add a line such as",
            "# region: mypurecloud.ie",
        ]
    names = list(dict.fromkeys(n.strip() for n in options.integrations))
    if names:
        data["scope"] = {"integrations": names}
    else:
        head += [
            "# No scope: every integration of the org is managed. Name yours before turning",
            "# prune on (prune deletes in-scope actions that have no file):",
            "# scope:",
            "#   integrations: [Web Services Data Actions]",
        ]
    data["prune"] = False  # the default, written so the file says it: no deletes
    return "\n".join(head) + "\n" + dump_yaml(data)


def _init_project(root: Path, options: InitOptions, result: ScaffoldResult) -> None:
    directory = root / ACTIONS_DIR
    existing = next((directory / n for n in PROJECT_FILE_NAMES if (directory / n).exists()), None)
    if existing is not None:
        asked = options.region is not None or options.integrations
        note = "exists; --region and --integration were not applied" if asked else ""
        result.files.append(FileOutcome(existing, "kept", note))
        return
    _create(directory / PROJECT_FILE_NAMES[0], project_text(options), result)


def _init_gitignore(root: Path, result: ScaffoldResult) -> None:
    path = root / GITIGNORE
    text = _read(path)
    if text is None and not path.exists():
        _create(path, GITIGNORE_BLOCK, result, GITIGNORE_ENTRY)
        return
    if text is None:  # a directory, or unreadable: leave it alone
        result.files.append(FileOutcome(path, "kept", f"cannot be read; add {GITIGNORE_ENTRY}"))
        return
    if any(line.strip() in _IGNORES_DACTL for line in text.splitlines()):
        result.files.append(FileOutcome(path, "kept"))
        return
    separator = "" if not text or text.endswith("\n") else "\n"
    _write(path, text + separator + GITIGNORE_BLOCK, replace=True)
    result.files.append(FileOutcome(path, "added", GITIGNORE_ENTRY))


def gitlab_pipeline(includes: list[str]) -> str:
    """The ``.gitlab-ci.yml`` of a repository that has none: it includes the kit's files."""
    head = (
        "# GitLab CI of this repository: dactl's jobs (validate, plan, apply, drift) come\n"
        "# from the files included below, written by `dactl init --ci gitlab`.\n"
    )
    return head + dump_yaml({"include": [{"local": path} for path in includes]})


def _init_ci(root: Path, options: InitOptions, result: ScaffoldResult) -> None:
    templates = template_files(options.ci, owner=options.owner)
    if not templates:
        result.notes.append(f"this dactl ships no {options.ci} CI files; none were written")
    for relative, text in templates.items():
        path = root / relative
        note = "" if _read(path) in (None, text) else "differs from dactl's"
        _create(path, text, result, note)
    if options.ci == "gitlab" and templates:
        pipeline = root / GITLAB_PIPELINE
        if pipeline.exists():
            result.files.append(FileOutcome(pipeline, "kept"))
            missing = [p for p in templates if p not in (_read(pipeline) or "")]
            if missing:
                result.notes.append(
                    f"{display_path(pipeline)} was kept: add `include: [{{local: "
                    f"{missing[0]}}}]` to it for dactl's jobs"
                )
        else:
            _create(pipeline, gitlab_pipeline(list(templates)), result)
    if options.owner is None and any(OWNER_PLACEHOLDER in t for t in templates.values()):
        result.notes.append(
            f"the CI files install dactl from {OWNER_PLACEHOLDER}: replace OWNER with the "
            "account that hosts the dactl repository you use (or run init with --owner)"
        )


# -- files ----------------------------------------------------------------------------------


def _create(path: Path, text: str, result: ScaffoldResult, note: str = "") -> None:
    """Write ``path`` when it does not exist; record it as created or kept."""
    if path.exists() or path.is_symlink():
        result.files.append(FileOutcome(path, "kept", note))
        return
    created = _write(path, text, replace=False)
    result.files.append(FileOutcome(path, "created" if created else "kept", ""))


def _write(path: Path, text: str, *, replace: bool) -> bool:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if replace:
            atomic_write_text(path, text)
            return True
        return write_new_file(path, text)
    except OSError as exc:
        raise ScaffoldError(f"cannot write {display_path(path)}: {exc.strerror or exc}") from exc


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _require_directory(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise ScaffoldError(f"{display_path(directory)} is not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScaffoldError(f"cannot create {display_path(directory)}: {exc.strerror}") from exc


__all__ = [
    "CI_CHOICES",
    "FileOutcome",
    "InitOptions",
    "ScaffoldResult",
    "gitlab_pipeline",
    "init_repository",
    "project_text",
    "schema_files",
    "write_schemas",
]
