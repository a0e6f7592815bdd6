"""``dactl export``: the live actions of an org as a desired-state tree (rule 6 of
docs/architecture.md).

Two steps around the fetch that ``Orchestrator.export`` makes: ``prepare_export`` reads the
target directory (no network) and refuses one that already holds action files unless
``force``; ``write_export`` turns the fetched live state into files. Every check (unknown
integration, two live actions with one name, ...) happens before the first write, and no
file is ever deleted: with ``force`` an existing file holding an exported action is
rewritten in place, or left as it is when it already matches the org.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from reconciler.actionfile import (
    action_schema_ref,
    action_to_yaml,
    file_name_for,
    project_yaml,
)
from reconciler.adopt import Adoption, former_names, select
from reconciler.config.loader import LoadedTree, discover, display_path
from reconciler.config.model import ActionSpec, ProjectSpec
from reconciler.config.placeholders import restore_placeholders
from reconciler.errors import ConfigError, ExportError, PlanError, ValidationError
from reconciler.live import LiveState
from reconciler.outdir import PROJECT_FILE, existing_actions, write_files
from reconciler.plan import LiveAction, build_plan
from reconciler.validate import ValidationReport, validate_tree

Status = Literal["new", "updated", "unchanged"]


@dataclass(frozen=True)
class ExistingFile:
    """An action file already in the target directory; ``spec`` when the tree is valid."""

    path: Path
    spec: ActionSpec | None = None
    written: Any = None  # the action as its file writes it, placeholders unresolved


@dataclass
class ExportTarget:
    """The directory to export into, as read before any request."""

    directory: Path
    report: ValidationReport  # its project file (scope, connection fallbacks) and files
    project_file: Path | None = None
    had_actions: bool = False  # the directory already held action files (``--force``)
    existing: dict[str, ExistingFile] = field(default_factory=dict)  # action name -> file


@dataclass(frozen=True)
class ExportedFile:
    """One exported action and what happened to its file."""

    name: str
    path: Path
    status: Status


@dataclass
class ExportResult:
    """What an export wrote."""

    directory: Path
    integrations: tuple[str, ...]
    files: list[ExportedFile] = field(default_factory=list)
    project_file: Path | None = None  # the dactl.yaml written, when there was none
    merged: bool = False  # the directory already held action files
    notes: list[str] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for f in self.files if f.status == status)

    def summary(self) -> str:
        """``Exported 12 actions from 2 integrations to actions/ (12 new, 0 updated, ...).``"""
        n, k = len(self.files), len(self.integrations)
        return (
            f"Exported {n} action{'' if n == 1 else 's'} from {k} "
            f"integration{'' if k == 1 else 's'} to {dir_label(self.directory)} "
            f"({self.count('new')} new, {self.count('updated')} updated, "
            f"{self.count('unchanged')} unchanged)."
        )

    def file_lines(self) -> list[str]:
        """One line per file written into a directory that already held action files."""
        if not self.merged:
            return []
        return [
            f"{f.status:<8} {f.path}  ({f.name})" for f in self.files if f.status != "unchanged"
        ]


def dir_label(directory: Path) -> str:
    """A directory as the user gave it, with a trailing slash: ``actions/``."""
    text = str(directory)
    return text if text.endswith(("/", os.sep)) else text + "/"


def prepare_export(
    directory: Path,
    *,
    force: bool,
    environment: str | None = None,
    source: str = "--env",
    adopt: bool = False,
) -> ExportTarget:
    """Read the target directory: its project file and, with ``force``, which action each
    existing file holds. Refuses (``ExportError``) a directory holding action files without
    ``force``, and (``ValidationError``) an invalid project file or an unreadable action
    file, whose action could otherwise end up in two files. ``adopt`` (``--name``,
    ``--unmanaged``): files are expected there; only the adopted ones are written."""
    empty = ValidationReport(tree=LoadedTree(root=directory, project=None), project=ProjectSpec())
    if not directory.exists():
        return ExportTarget(directory, empty)
    if not directory.is_dir():
        raise ConfigError(f"{directory} is not a directory; --out needs a directory")
    project_path, action_paths = discover(directory)
    if action_paths and not force and not adopt:
        raise ExportError(
            f"{dir_label(directory)} already holds action files; export with --force to "
            "update them in place (no file is deleted), or export to an empty directory"
        )
    # Existing files are read as the environment's (placeholders resolved), to tell which
    # already match its org.
    report = validate_tree(directory, environment, source=source)
    _check_project_file(report, project_path)
    target = ExportTarget(directory, report, project_path, had_actions=bool(action_paths))
    if action_paths:
        target.existing = _existing_files(report)
    return target


def _check_project_file(report: ValidationReport, project_path: Path | None) -> None:
    if project_path is None:
        return
    shown = display_path(project_path)
    problems = [p for p in report.errors if p.mark.file == shown]
    if problems:
        raise ValidationError(problems)


def _existing_files(report: ValidationReport) -> dict[str, ExistingFile]:
    found = existing_actions(report.tree)
    if found.unreadable:
        # Which action such a file holds is unknown: exporting could put it in two files.
        raise ValidationError(found.unreadable)
    if found.in_several:
        name, files = next(iter(found.in_several.items()))
        shown = ", ".join(display_path(f) for f in files)
        raise ExportError(
            f"action {name!r} is defined in several files ({shown}); keep one, then export"
        )
    specs = {spec.source: spec for spec in report.actions}
    return {
        name: ExistingFile(
            doc.path, specs.get(doc.display), None if doc.written is None else doc.written.data
        )
        for name, doc in found.by_name.items()
    }


def write_export(
    target: ExportTarget,
    live: LiveState,
    *,
    scope: Sequence[str],
    scope_from: str | None = None,
    adoption: Adoption | None = None,
    force: bool = False,
) -> ExportResult:
    """Write every live action of ``live`` (fetched for ``scope``; empty = every
    integration) into the target directory, and ``dactl.yaml`` when there is none.

    ``scope_from`` tells where the scope came from, for error messages. All checks come
    before the first write: an unknown or ambiguous integration name, or two live actions
    with one name, is an ``ExportError`` and nothing is written. With ``adoption``, only
    the actions it names (or no file claims) are written, and an existing file that
    differs from the org is rewritten only with ``force``.
    """
    integrations = live.integrations
    unknown = [name for name in scope if name not in integrations.by_name]
    if unknown:
        known = ", ".join(sorted(set(integrations.names_by_id.values()))) or "none"
        where = f" ({scope_from})" if scope_from else ""
        raise ExportError(
            f"no integration named {', '.join(repr(n) for n in unknown)} in the org{where}; "
            f"its integrations are: {known}"
        )
    actions = sorted(live.actions, key=lambda a: (a.canonical["name"], a.id))
    adoption = adoption or Adoption()
    former = former_names(target.report.tree)
    actions, left_alone = select(actions, adoption, target.existing, former)
    by_id = integrations.names_by_id
    names = sorted({by_id[_integration_id(live, a)] for a in actions})
    if not adoption.active:
        names = list(scope) or names
    ambiguous = sorted(set(names) & integrations.ambiguous)
    if ambiguous:
        raise ExportError(
            f"several integrations in the org are named {', '.join(map(repr, ambiguous))}; "
            "action files name their integration, so rename all but one in the org first"
        )

    directory = target.directory
    action_schema = action_schema_ref(directory)
    taken = {p.name for p in directory.iterdir()} if directory.is_dir() else set()
    writes: list[tuple[Path, str]] = []
    result = ExportResult(directory, tuple(names), merged=target.had_actions)
    for action in actions:
        name = action.canonical["name"]
        integration = integrations.names_by_id[_integration_id(live, action)]
        existing = target.existing.get(name)
        text = action_to_yaml(
            live.raw[action.id],
            integration,
            schema_ref=action_schema,
            adjust=_keep_placeholders(existing, target.report.project.variables),
        )
        if existing is None:
            path = directory / file_name_for(name, taken)
            taken.add(path.name)
            status: Status = "new"
        else:
            path = existing.path
            same = _matches(existing, text, action, live, target.report.project.ignore)
            status = "unchanged" if same else "updated"
            if status == "updated" and adoption.active and not force:
                raise ExportError(
                    f"{name!r} already has a file, {display_path(path)}, that differs from "
                    "the org; export with --force to rewrite it (nothing was written)"
                )
        if status != "unchanged":
            writes.append((path, text))
        result.files.append(ExportedFile(name, path, status))

    project_text = None
    if target.project_file is None and names:
        project_text = project_yaml(directory, sorted(names), "Written by `dactl export`.")
        result.project_file = directory / PROJECT_FILE
    if project_text is not None and result.project_file is not None:
        writes.append((result.project_file, project_text))
    write_files(writes)
    if result.project_file is not None:
        result.notes.append(f"Wrote {result.project_file} (scope: {', '.join(names)}).")
    result.notes += left_alone + _after_notes(target)
    return result


def _keep_placeholders(
    existing: ExistingFile | None, variables: Mapping[str, Any]
) -> Callable[[dict[str, Any]], object] | None:
    """For a file written with placeholders (``{{ var.host }}``): put each back where the
    org holds what it resolves to in this environment, so a rewrite keeps them; a value
    the org changed is written as the org has it."""
    if existing is None or existing.written is None:
        return None
    return lambda data: restore_placeholders(data, existing.written, variables)


def _integration_id(live: LiveState, action: LiveAction) -> str:
    return str(live.raw[action.id].get("integrationId", ""))


def _matches(
    existing: ExistingFile,
    text: str,
    action: LiveAction,
    live: LiveState,
    ignore: Sequence[str] = (),
) -> bool:
    """Whether an existing file already says what the org has, as ``dactl plan`` sees it
    (then it is left as written, comments and ``extends`` included)."""
    try:
        if existing.path.read_text(encoding="utf-8") == text:
            return True
    except (OSError, UnicodeDecodeError):
        return False
    if existing.spec is None:
        return False
    try:
        plan = build_plan([existing.spec], [action], live.integrations, ignore=ignore)
    except PlanError:
        return False
    return plan.empty


def _after_notes(target: ExportTarget) -> list[str]:
    """What to say after the export: each header value that looks like a literal
    credential (the files are meant for git; the warning never holds the value), and a
    warning when the directory does not validate (an existing ``dactl.yaml`` whose scope or
    policy the exported actions break, or other files)."""
    report = validate_tree(target.directory) if target.directory.is_dir() else None
    if report is None:
        return []
    notes = [str(p) for p in report.warnings if p.rule == "credential"]
    if not report.ok:
        n = len(report.errors)
        notes.append(
            f"warning: {dir_label(target.directory)} does not validate now ({n} error"
            f"{'' if n == 1 else 's'}, first: {report.errors[0]}); run "
            f"`dactl validate {target.directory}`"
        )
    return notes
