"""``dactl import``: action JSON files (Genesys admin UI exports, or API request bodies) as
YAML action files of ours, offline.

``read_sources`` checks every input and refuses the whole run (``ImportRefused``) on any
problem; ``plan_files`` decides each file's path and text, refusing a directory that holds
action files unless ``force``; ``import_actions`` does both, writes atomically, and
validates the result. Files are written by ``reconciler.export``, so an imported action
reads as ``dactl export`` writes it (keys inside schemas and maps keep the order of the file
read). No file is ever deleted.

An export names only an integration *type*; the instance's name is the org's choice, so a
type maps to the product's name (``DEFAULT_INTEGRATIONS``, as the sandbox seeds them)
unless ``--integration`` says otherwise, and the result says what was assumed.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from reconciler import jsonsafe
from reconciler.actionfile import (
    action_schema_ref,
    action_to_yaml,
    file_name_for,
    project_yaml,
)
from reconciler.config.loader import PROJECT_FILE_NAMES, discover, load_tree
from reconciler.errors import ImportRefused
from reconciler.outdir import PROJECT_FILE, existing_actions, write_files
from reconciler.terraform.resources import looks_like_terraform, read_terraform
from reconciler.validate import ValidationReport, validate_tree

PLATFORM_TYPE = "purecloud-data-actions"
FUNCTION_TYPE = "function-data-actions"
DEFAULT_INTEGRATIONS = {
    PLATFORM_TYPE: "Genesys Cloud Data Actions",
    "custom-rest-actions": "Web Services Data Actions",
    "salesforce-datadip": "Salesforce Data Actions",
    "zendesk-data-actions": "Zendesk Data Actions",
    "microsoft-dynamics-data-actions": "Microsoft Dynamics 365 Data Actions",
    "aws-lambda-data-actions": "AWS Lambda Data Actions",
    FUNCTION_TYPE: "Function Data Actions",
}
NEVER_MANAGED = {
    "static": "a built-in (static) action; dactl never manages static actions",
    "customAuth": "a custom-auth action; dactl never manages custom-auth actions "
    "(they belong to the integration's credentials)",
}
# The admin UI appends this to the name on export; an export of an export has it twice.
EXPORT_SUFFIX = re.compile(r" - Exported \d{4}-\d{2}-\d{2} @ \d{1,2}:\d{2}$")
PLACEHOLDER = re.compile(r"^<[^<>]+>$")  # "<integrationName>", "<integrationId>"
# What an action file has room for, per object; server-owned ``*Uri``/``*Flattened``
# fields, ``id``, ``version`` and ``selfUri`` are dropped silently (STYLE 3).
_KEPT = {
    (): {"name", "integrationType", "actionType", "category", "integrationId"}
    | {"config", "contract", "secure"},
    ("config",): {"request", "response", "timeoutSeconds"},
    ("config", "request"): {"requestUrlTemplate", "requestType", "headers", "requestTemplate"},
    ("config", "response"): {"translationMap", "translationMapDefaults", "successTemplate"},
    ("contract",): {"input", "output"},
    ("contract", "input"): {"inputSchema"},
    ("contract", "output"): {"successSchema"},
}
_SERVER_OWNED = {"id", "version", "selfUri"}
_OBJECTS = (
    ("config",),
    ("contract",),
    ("config", "request"),
    ("config", "response"),
    ("config", "request", "headers"),
    ("config", "response", "translationMap"),
    ("config", "response", "translationMapDefaults"),
    ("contract", "input"),
    ("contract", "output"),
    ("contract", "input", "inputSchema"),
    ("contract", "output", "successSchema"),
)
_TEMPLATES = (("request", "requestTemplate"), ("response", "successTemplate"))
Status = Literal["new", "updated", "unchanged"]


class _Problem(Exception):
    """One input refused, with the reason."""


@dataclass(frozen=True)
class SourceAction:
    """One input file as an action in the API's shape, its integration decided."""

    source: Path
    action: dict[str, Any]  # name, category (when real), secure, config, contract
    integration: str
    type_id: str | None = None  # the type the integration name was assumed from
    typed_by_url: bool = False  # an API body whose type was read off its /api/v2/ URL
    from_category: bool = False  # an API body whose integration is its category
    notes: tuple[str, ...] = ()
    package: Path | None = None  # a Function action's code, from Terraform's file_path
    terraform: bool = False  # an action resource of a Terraform file

    @property
    def name(self) -> str:
        return str(self.action["name"])


@dataclass(frozen=True)
class PlannedFile:
    """What ``import_actions`` writes for one action."""

    source: Path
    name: str
    path: Path
    text: str
    status: Status


@dataclass
class ImportResult:
    """What an import wrote, what it assumed, and how the directory validates now."""

    directory: Path
    files: list[PlannedFile]
    report: ValidationReport
    project_file: Path | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """``Imported 12 actions into actions.``"""
        n = len(self.files)
        return f"Imported {n} action{'' if n == 1 else 's'} into {self.directory}."

    def file_lines(self) -> list[str]:
        """One line per action: what happened to its file, and the input it came from."""
        return [f"{f.status:<9} {f.path}  <- {f.source}" for f in self.files]


def import_actions(
    paths: Sequence[Path],
    directory: Path,
    *,
    integration: str | None = None,
    force: bool = False,
    variables: Sequence[str] = (),
) -> ImportResult:
    """Check every input and the directory, then write one file per action and
    ``dactl.yaml`` (when there is none), then validate the directory. Any refusal is an
    ``ImportRefused`` raised before the first write. ``variables``: ``--var NAME=VALUE``."""
    sources = read_sources(paths, integration=integration, variables=variables)
    files, project = plan_files(sources, directory, force=force)
    write_files([(f.path, f.text) for f in files if f.status != "unchanged"] + project)
    result = ImportResult(directory, files, validate_tree(directory))
    result.notes = assumption_notes(sources)
    if project:
        result.project_file = project[0][0]
        scope = ", ".join(sorted({s.integration for s in sources}))
        result.notes.append(f"wrote {result.project_file} (scope: {scope})")
    return result


def read_sources(
    paths: Sequence[Path], *, integration: str | None = None, variables: Sequence[str] = ()
) -> list[SourceAction]:
    """Every input as a ``SourceAction`` (a Terraform file: each action resource); all
    problems of all inputs in one ``ImportRefused``."""
    if integration is not None and not integration.strip():
        raise ImportRefused(["--integration needs an integration name"])
    problems: list[str] = []
    sources: list[SourceAction] = []
    terraform: list[tuple[Path, str]] = []
    for path in dict.fromkeys(paths):  # the same path twice is one input
        try:
            text = read_text(path)
            if looks_like_terraform(path, text):
                terraform.append((path, text))
            else:
                sources.append(source_action(path, read_json(path, text), integration))
        except _Problem as exc:
            problems.append(str(exc))
    if terraform or variables:
        sources += _terraform_sources(terraform, integration, variables, problems)
    seen: dict[str, Path] = {}
    for source in sources:
        if source.name in seen:
            problems.append(
                f"{source.source}: action name {source.name!r} is also the name in "
                f"{seen[source.name]}; an action name is unique in a repository, so import "
                "only one of them"
            )
        seen.setdefault(source.name, source.source)
    if problems:
        raise ImportRefused(problems)
    return sources


def _terraform_sources(
    files: list[tuple[Path, str]], integration: str | None, pairs: Sequence[str], out: list[str]
) -> list[SourceAction]:
    """The action resources of Terraform files (``reconciler.terraform``); problems to
    ``out``."""
    actions, problems = read_terraform(
        files, integration=integration, var_pairs=pairs, type_names=DEFAULT_INTEGRATIONS
    )
    out += problems
    return [
        SourceAction(a.source, a.action, a.integration, a.type_id, notes=tuple(a.notes),
                     package=a.package, terraform=True)
        for a in actions
    ]


def read_text(path: Path) -> str:
    """One input file's text (UTF-8, a BOM allowed)."""
    if path.is_dir():
        raise _Problem(f"{path}: is a directory; pass the files in it")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise _Problem(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise _Problem(f"{path}: is not UTF-8 text (byte {exc.start})") from exc


def read_json(path: Path, text: str) -> Any:
    """One input file's JSON. Refused: invalid JSON, and Terraform's JSON syntax
    (``.tf.json``, or a top-level ``resource`` object): HCL is what dactl reads."""
    json_tf = "this is Terraform's JSON syntax; dactl imports Terraform written in HCL (.tf)"
    try:
        data = jsonsafe.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_nan)
    except json.JSONDecodeError as exc:
        raise _Problem(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    except ValueError as exc:
        raise _Problem(f"{path}: invalid JSON: {exc}") from exc
    resources = data.get("resource") if isinstance(data, dict) else None
    if path.name.endswith(".tf.json") or (isinstance(resources, dict) and "config" not in data):
        raise _Problem(f"{path}: {json_tf}")
    return data


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = Counter(k for k, _ in pairs)
    twice = sorted(k for k, n in keys.items() if n > 1)
    if twice:  # json.loads would keep the last one silently
        raise ValueError(f"duplicate key {twice[0]!r} in one object")
    return dict(pairs)


def _no_nan(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")


def source_action(path: Path, data: Any, integration: str | None) -> SourceAction:
    """One parsed input as an action, or ``_Problem`` saying why it cannot be imported."""
    if not isinstance(data, dict):
        raise _Problem(
            f"{path}: the top level is {_json_type(data)}; expected an object (an action)"
        )
    action_type = data.get("actionType", "custom")
    if isinstance(action_type, str) and action_type in NEVER_MANAGED:
        raise _Problem(f"{path}: actionType {action_type}: {NEVER_MANAGED[action_type]}")
    if action_type != "custom":
        raise _Problem(f"{path}: unknown actionType {action_type!r} (data actions are 'custom')")
    missing = [key for key in ("name", "config", "contract") if data.get(key) is None]
    if missing:
        raise _Problem(f"{path}: missing {', '.join(missing)}; is this a data action export?")
    problems = _shape_problems(data)
    if problems:
        raise _Problem(f"{path}: {'; '.join(problems)}")

    name, stripped = _without_export_suffix(data["name"])
    notes = [f"{path}: name {data['name']!r} imported as {name!r}"] if stripped else []
    category = _real(data.get("category"))
    action = {"name": name, "secure": bool(data.get("secure") or False)}
    action |= {"config": data["config"], "contract": data["contract"]}
    dropped = _dropped_keys(data)
    if _real(data.get("integrationId")):
        dropped.append("integrationId (a file names its integration)")
    if dropped:
        notes.append(f"{path}: not imported (no place in an action file): {', '.join(dropped)}")

    if data.get("integrationType") == FUNCTION_TYPE:
        notes.append(
            f"{path}: a Function action: the export holds neither its settings nor its code, "
            "and Genesys publishes none without its code; add function: {handler, runtime, "
            "package} to the file before apply"
        )
    if category is not None:
        action["category"] = category  # left out of the file when it equals the integration
    return SourceAction(path, action, *_integration(path, data, integration), tuple(notes))


def _integration(
    path: Path, data: dict[str, Any], given: str | None
) -> tuple[str, str | None, bool, bool]:
    """(integration name, type assumed from, typed by URL, taken from the category)."""
    if given is not None:
        return given, None, False, False
    type_id = data.get("integrationType")
    if type_id is not None:
        if not isinstance(type_id, str) or type_id not in DEFAULT_INTEGRATIONS:
            known = ", ".join(sorted(DEFAULT_INTEGRATIONS))
            raise _Problem(
                f"{path}: unknown integrationType {type_id!r}; pass --integration NAME "
                f"(known types: {known})"
            )
        return DEFAULT_INTEGRATIONS[type_id], type_id, False, False
    category = _real(data.get("category"))
    if category is not None:
        return category, None, False, True
    url = _get(data, ("config", "request", "requestUrlTemplate"))
    if isinstance(url, str) and url.startswith("/api/v2/"):
        return DEFAULT_INTEGRATIONS[PLATFORM_TYPE], PLATFORM_TYPE, True, False
    raise _Problem(
        f"{path}: names no integration (no integrationType, category "
        f"{data.get('category')!r}) and its URL is not a Platform API path; "
        "pass --integration NAME"
    )


def _shape_problems(data: dict[str, Any]) -> list[str]:
    """Values of a type the file cannot keep as they are (rather than guess)."""
    problems = []
    if not isinstance(data["name"], str) or not data["name"].strip():
        problems.append("name must be a non-empty string")
    for path in _OBJECTS:
        value = _get(data, path)
        if value is not None and not isinstance(value, dict):
            problems.append(f"{'.'.join(path)} must be an object, not {_json_type(value)}")
    if data.get("secure") is not None and not isinstance(data["secure"], bool):
        problems.append(f"secure must be true or false, not {json.dumps(data['secure'])}")
    for section, key in _TEMPLATES:
        part = _get(data, ("config", section))
        if isinstance(part, dict) and part.get(f"{key}Uri") and part.get(key) is None:
            problems.append(
                f"config.{section} has {key}Uri but no {key}: the template itself is not in "
                "the file (an API response read without its templates)"
            )
    return problems


def _dropped_keys(data: dict[str, Any]) -> list[str]:
    dropped = []
    for where, kept in _KEPT.items():
        node = _get(data, where)
        for key in node if isinstance(node, dict) else ():
            owned = (not where and key in _SERVER_OWNED) or key.endswith(("Uri", "Flattened"))
            if key not in kept and not owned:
                dropped.append(".".join((*where, key)))
    return dropped


def _get(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _real(value: Any) -> str | None:
    """A category or id that names something, not a ``<placeholder>`` or blank."""
    if isinstance(value, str) and value.strip() and not PLACEHOLDER.match(value.strip()):
        return value
    return None


def _without_export_suffix(name: str) -> tuple[str, bool]:
    stripped = name
    while (match := EXPORT_SUFFIX.search(stripped)) and match.start() > 0:
        stripped = stripped[: match.start()]
    return stripped, stripped != name


def _json_type(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    kinds = {dict: "an object", list: "an array", str: "a string"}
    return next((v for k, v in kinds.items() if isinstance(value, k)), "a number")


def assumption_notes(sources: list[SourceAction]) -> list[str]:
    """One line per integration type whose name was assumed, per category taken as the
    integration, then the per-file notes (names shortened, fields not imported)."""
    notes = []
    fix = "if your org names it otherwise, rerun with --integration NAME or edit the files"
    by_type = Counter(s.type_id for s in sources if s.type_id is not None)
    for type_id, count in sorted(by_type.items()):
        by_url = sum(1 for s in sources if s.type_id == type_id and s.typed_by_url)
        how = (
            f", {by_url} of them API bodies with a placeholder integration, typed by "
            "their /api/v2/ URL"
            if by_url
            else ""
        )
        notes.append(
            f"integration type {type_id}: assumed the integration is named "
            f"{DEFAULT_INTEGRATIONS[type_id]!r} ({_files(count)}{how}); {fix}"
        )
    by_category = Counter(s.integration for s in sources if s.from_category)
    for name, count in sorted(by_category.items()):
        notes.append(
            f"integration {name!r} taken from the category of {_files(count)} in the API "
            f"format (Genesys names categories after integrations); {fix}"
        )
    return notes + [note for s in sources for note in s.notes]


def _files(count: int) -> str:
    return f"{count} file{'' if count == 1 else 's'}"


def plan_files(
    sources: list[SourceAction], directory: Path, *, force: bool
) -> tuple[list[PlannedFile], list[tuple[Path, str]]]:
    """Each action's file (a same-name action file is rewritten in place) and, when the
    directory has no project file, ``dactl.yaml``. Refuses a directory that holds action
    files without ``force``, and one with a file whose action cannot be told."""
    existing = _existing_files(directory, force=force)
    ref = action_schema_ref(directory)
    taken = {p.name for p in directory.iterdir()} if directory.is_dir() else set()
    files = []
    for source in sources:
        package = source.package and Path(os.path.relpath(source.package, directory.resolve()))
        text = action_to_yaml(
            source.action,
            source.integration,
            schema_ref=ref,
            package=package.as_posix() if package else None,
            org_comment=not source.terraform,
        )
        path = existing.get(source.name)
        if path is None:
            path = directory / file_name_for(source.name, taken)
            taken.add(path.name)
            status: Status = "new"
        else:
            status = "unchanged" if _read(path) == text else "updated"
        files.append(PlannedFile(source.source, source.name, path, text, status))
    project: list[tuple[Path, str]] = []
    if not any((directory / n).is_file() for n in PROJECT_FILE_NAMES):
        integrations = sorted({s.integration for s in sources})
        project.append(
            (
                directory / PROJECT_FILE,
                project_yaml(
                    directory,
                    integrations,
                    "Written by `dactl import`: check that the integration names are those "
                    "of your org.",
                ),
            )
        )
    return files, project


def _existing_files(directory: Path, *, force: bool) -> dict[str, Path]:
    """Action name -> the file already holding it."""
    if not directory.exists():
        return {}
    if not directory.is_dir():
        raise ImportRefused([f"{directory}: is not a directory; --out needs a directory"])
    _, action_paths = discover(directory)
    if not action_paths:
        return {}
    if not force:
        raise ImportRefused(
            [
                f"{directory} already holds {_files(len(action_paths))} of actions; import "
                "with --force to rewrite the files of same-name actions in place (no file is "
                "deleted), or import into an empty directory"
            ]
        )
    found = existing_actions(load_tree(directory))
    # A file whose action is unknown could hold an imported one: importing would make two.
    if found.unreadable:
        problems = found.unreadable
        raise ImportRefused([f"{p} (cannot tell which action this file holds)" for p in problems])
    if found.in_several:
        raise ImportRefused(
            [
                f"action {name!r} is in several files ({', '.join(map(str, files))}); keep one"
                for name, files in sorted(found.in_several.items())
            ]
        )
    return {name: doc.path for name, doc in found.by_name.items()}


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
