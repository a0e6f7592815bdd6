"""``dactl pull``, one file at a time: the new text of an action file that drifted, so that
it describes the live action, and the files of unmanaged actions adopted into the tree.

A drifted field (``reconciler.drift``: git -> org) is written into the action file at its
path, every other part of the file as it was (``reconciler.pull_yaml``). A field the file
has from its ``extends`` template is written into the action file as an override; the
template is never touched, and a field the org removed that a template gives cannot be
pulled (a file cannot take away what its template gives): the file is refused. A value
written with a placeholder (``{{ var.host }}``) keeps it where the org holds exactly what
it resolves to in this run's environment; any other is written as the org has it, and
named. The org's default values (category = the integration's name, the default
templates, no timeout) are written by leaving the key out, as ``dactl export`` does,
unless a template gives the field another value.

Each new text is checked before anything is written: dactl's strict loader reads it, its
template merged and placeholders resolved, it passes the action schema, and a plan of it
against the live action shows no change besides what is deliberately left alone (a
pending rename, a Function's code). A file that fails is a ``PullRefused``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from reconciler.actionfile import action_schema_ref, action_to_yaml, file_name_for
from reconciler.adopt import Adoption, former_names, select
from reconciler.config.loader import ActionDocument, LoadedTree, display_path
from reconciler.config.model import (
    DEFAULT_REQUEST_TEMPLATE,
    DEFAULT_SUCCESS_TEMPLATE,
    FUNCTION_DEFAULT_TIMEOUT,
    ActionSpec,
    ProjectSpec,
)
from reconciler.config.placeholders import (
    placeholder_values,
    resolve_document,
    restore_placeholders,
)
from reconciler.config.tree import Node, merge, to_located
from reconciler.config.yamlsafe import YamlProblem, parse_yaml, read_yaml
from reconciler.diff import MISSING, FieldChange
from reconciler.drift import DriftedAction
from reconciler.errors import ProblemsError
from reconciler.live import LiveState
from reconciler.outdir import existing_actions
from reconciler.plan import Integrations, LiveAction, build_plan
from reconciler.pull_yaml import ActionYaml, EditError, has_path, value_at
from reconciler.validate.lint import check_action
from reconciler.validate.schema import check_document

FileStatus = Literal["updated", "new", "left"]  # left: drifted, but nothing to write
FieldPath = tuple[str, ...]


class PullRefused(ProblemsError):
    """The pull was refused before anything was written; one line per file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems, "; ".join(problems))

    @property
    def closing(self) -> str:
        return "Nothing was written."


@dataclass(frozen=True)
class Override:
    """A field the action file had from its template, now written in the file."""

    path: str
    template: str


@dataclass(frozen=True)
class PulledFile:
    """One file ``dactl pull`` writes (or, with ``--check``, would write).

    ``fields`` read git -> org (as drift's); ``overrides`` the fields written over the
    file's template; ``placeholders_lost`` the values written with a placeholder that the
    org's value no longer is (``request.requestUrlTemplate ({{ var.host }})``); ``left``
    what was not pulled, and why; ``notes`` what to know about the new file.
    """

    name: str
    path: Path
    display: str
    status: FileStatus
    text: str = field(repr=False)
    original: str | None = field(default=None, repr=False)  # the text read (updated files)
    action_id: str | None = None
    live_version: int | None = None
    fields: tuple[FieldChange, ...] = ()
    overrides: tuple[Override, ...] = ()
    placeholders_kept: int = 0
    placeholders_lost: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    """What every rewrite of one run needs: the project (its environment's variables and
    ignore rules) and the org's integrations."""

    project: ProjectSpec
    integrations: Integrations


class FileRefused(Exception):
    """One file (or new action) that cannot be pulled; the message names it."""


_ROUNDS = 3  # of writing what a plan of the new file still finds

# The value the canonical form reads an absent field as: pulled by leaving the key out.
_DEFAULTS: dict[FieldPath, Any] = {
    ("secure",): False,
    ("timeoutSeconds",): None,
    ("request", "requestUrlTemplate"): "",
    ("request", "requestType"): "",
    ("request", "requestTemplate"): DEFAULT_REQUEST_TEMPLATE,
    ("response", "successTemplate"): DEFAULT_SUCCESS_TEMPLATE,
    ("function", "timeoutSeconds"): FUNCTION_DEFAULT_TIMEOUT,
    ("function", "description"): "",
}


def rewrite(
    doc: ActionDocument,
    spec: ActionSpec | None,
    drifted: DriftedAction,
    live: LiveAction,
    context: Context,
    *,
    renamed_from: str | None = None,
) -> PulledFile | None:
    """The file of ``doc`` rewritten to describe ``live``; with status ``left`` when what
    drifted is all left alone (a pending rename, a Function's code), None when nothing
    drifted after all. ``FileRefused`` when it cannot be done."""
    try:
        text = doc.path.read_bytes().decode("utf-8")  # line ends as they are (CRLF too)
        edit = ActionYaml(text)
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise FileRefused(f"{doc.display}: cannot be read: {reason}") from None
    except EditError as exc:
        raise FileRefused(f"{doc.display}: {exc}") from None
    work = _Rewrite(doc, spec, live, context, edit, renamed_from)
    work.apply(drifted.fields)
    # A field written can move what another one defaults to (a new integration, the
    # category): what the plan still finds is written too, a few rounds at most.
    notes: list[str] = []
    for _ in range(_ROUNDS):
        new = edit.text()
        if new == text and all(_key(f.path) in work.left for f in drifted.fields):
            break  # all of it left alone: nothing to check
        notes, still = work.check(new)
        if not still:
            break
        work.apply(still)
    else:
        shown = ", ".join(sorted(".".join(_key(f.path)) for f in still))
        raise FileRefused(
            f"{doc.display}: cannot be rewritten to match the org: {shown} would still "
            "differ (please report this)"
        )
    left = tuple(work.left.values())
    common: dict[str, Any] = {
        "action_id": drifted.action_id,
        "live_version": drifted.live_version,
        "fields": drifted.fields,
        "left": left,
    }
    if new == text:
        if not left:
            return None
        return PulledFile(drifted.name, doc.path, doc.display, "left", text, text, **common)
    if not edit.layout_kept:
        notes.insert(
            0, f"{doc.display}: written with dactl's indentation (its own could not be kept)"
        )
    return PulledFile(
        drifted.name,
        doc.path,
        doc.display,
        "updated",
        new,
        text,
        overrides=tuple(work.overrides),
        placeholders_kept=work.kept,
        placeholders_lost=tuple(work.lost),
        notes=tuple(notes),
        **common,
    )


class _Rewrite:
    """The edits of one file, and what they tell: overrides, placeholders, what is left."""

    def __init__(
        self,
        doc: ActionDocument,
        spec: ActionSpec | None,
        live: LiveAction,
        context: Context,
        edit: ActionYaml,
        renamed_from: str | None,
    ) -> None:
        self.doc, self.spec, self.live, self.context = doc, spec, live, context
        self.edit = edit
        self.renamed_from = renamed_from
        self.templates = _templates(doc)
        self.inherited = _merged_templates(self.templates)
        self.written = (doc.written or doc.doc).data
        self.overrides: list[Override] = []
        self.lost: list[str] = []
        self.kept = 0
        self.left: dict[FieldPath, str] = {}

    def apply(self, changes: Sequence[FieldChange]) -> None:
        """Write each field's ``after`` (the org's value) into the file."""
        for change in changes:
            path = _key(change.path)
            if path == ("name",) and self.renamed_from is not None:
                self.left[path] = (
                    f"name: the file renames {self.renamed_from!r} to {change.before!r} "
                    "(formerNames); `dactl apply` carries the rename out"
                )
            elif path[:2] == ("function", "package"):
                self.left[path] = (
                    "function.package: the org's code package cannot be downloaded; the "
                    "file's package is kept"
                )
            else:
                self._put(path, change.after)

    def _put(self, path: FieldPath, value: Any) -> None:
        target, value = _file_field(path, value, self.edit, self.inherited, self.context)
        given = has_path(self.inherited, target)
        if _absent(target, value, self.context, self.live):
            if given and value in (MISSING, None):
                raise FileRefused(
                    f"{self.doc.display}: {'.'.join(target)}: the org has none, but "
                    f"{_giver(self.templates, target)} gives it one, and a file cannot take "
                    "away what its template gives; edit the file by hand"
                )
            if not given:
                self.edit.remove(target)
                return
        variables = self.context.project.variables
        value, restored, lost = _with_placeholders(value, target, self.written, variables)
        self.kept += restored
        self.lost += lost
        if given and not self.edit.has(target):
            self.overrides.append(Override(".".join(target), _giver(self.templates, target)))
        self.edit.set(target, value)

    def check(self, text: str) -> tuple[list[str], list[FieldChange]]:
        """The notes on a new text (what ``dactl validate`` will say of it), and the fields
        in which it still differs from the live action (git -> org), beyond those left
        alone. ``FileRefused`` when it is not a valid action file."""
        doc, project = self.doc, self.context.project
        try:
            node = parse_yaml(text.encode("utf-8"), doc.display)
        except YamlProblem as exc:
            raise FileRefused(
                f"{exc.mark}: the rewritten file would not read: {exc.message}"
            ) from None
        base = _merged_node(self.templates)
        merged = merge(base, node) if base is not None else node
        where = project.source or "dactl.yaml"
        resolved, problems = resolve_document(
            to_located(merged, doc.display), project.variables, project_file=where
        )
        errors = [p for p in problems + check_document(resolved, "action") if p.severity == "error"]
        if errors:
            raise FileRefused(f"the rewritten file would not be valid: {errors[0]}")
        new = ActionSpec.from_data(resolved.data, doc.display, path=doc.path)
        old = self.spec.function if self.spec is not None else None
        if new.function is not None and old is not None and new.function.package == old.package:
            function = replace(new.function, package_path=old.package_path, identity=old.identity)
            new = replace(new, function=function)
        plan = build_plan(
            [new],
            [self.live],
            self.context.integrations,
            contracts_mutable=not project.immutable_contracts,
            ignore=project.ignore,
        )
        still = [
            FieldChange(f.path, f.after, f.before)  # a plan reads org -> git
            for change in plan.changes
            for f in change.fields
            if _key(f.path) not in self.left
        ]
        return [str(p) for p in check_action(resolved, project)], still


def _key(path: Sequence[str | int]) -> FieldPath:
    return tuple(str(part) for part in path)


def _file_field(
    path: FieldPath,
    value: Any,
    edit: ActionYaml,
    inherited: Mapping[str, Any],
    context: Context,
) -> tuple[FieldPath, Any]:
    """The file's field for a canonical one, and its value there: the integration is
    written by name, or by id where the file (or its template) names it by id."""
    if path != ("integrationId",):
        return path, value
    if edit.has(("integrationId",)) or has_path(inherited, ("integrationId",)):
        return ("integrationId",), value
    return ("integration",), context.integrations.names_by_id.get(str(value), str(value))


def _absent(path: FieldPath, value: Any, context: Context, live: LiveAction) -> bool:
    """Whether ``value`` is what the canonical form reads an absent field as."""
    if value is MISSING or value is None:
        return True
    if path == ("category",):
        integration = str(live.canonical.get("integrationId", ""))
        return bool(value == context.integrations.names_by_id.get(integration))
    return path in _DEFAULTS and value == _DEFAULTS[path] and type(value) is type(_DEFAULTS[path])


def _with_placeholders(
    value: Any, path: FieldPath, written: Any, variables: Mapping[str, Any]
) -> tuple[Any, int, list[str]]:
    """``value`` with the placeholders the file wrote at ``path`` put back where the org
    holds what they resolve to; how many, and the ones that no longer fit."""
    if not has_path(written, path):
        return value, 0, []
    before = value_at(written, path)
    holders = list(placeholder_values({"v": before}))
    if not holders:
        return value, 0, []
    box = {"v": copy.deepcopy(value)}
    restored = restore_placeholders(box, {"v": before}, variables)
    lost = []
    for where, text in holders:
        if _get(box, where) != text:
            dotted = ".".join([*path, *(str(p) for p in where[1:])])
            lost.append(f"{dotted} ({text})")
    return box["v"], restored, lost


def _get(data: Any, path: Sequence[str | int]) -> Any:
    try:
        return value_at(data, path)
    except (KeyError, IndexError, TypeError):
        return MISSING


def _templates(doc: ActionDocument) -> list[tuple[str, Node]]:
    """The templates of ``doc``'s ``extends`` chain, nearest first, each without its own
    ``extends``."""
    out = []
    for display in doc.extends_chain:
        try:
            node = read_yaml(Path(display), display)
        except YamlProblem as exc:
            raise FileRefused(f"{doc.display}: its template {exc}") from None
        entries = {k: v for k, v in node.entries().items() if k != "extends"}
        out.append((display, Node(entries, node.mark)))
    return out


def _merged_node(templates: Sequence[tuple[str, Node]]) -> Node | None:
    merged: Node | None = None
    for _, node in reversed(templates):
        merged = node if merged is None else merge(merged, node)
    return merged


def _merged_templates(templates: Sequence[tuple[str, Node]]) -> dict[str, Any]:
    node = _merged_node(templates)
    data = to_located(node, "").data if node is not None else {}
    return data if isinstance(data, dict) else {}


def _giver(templates: Sequence[tuple[str, Node]], path: FieldPath) -> str:
    """The nearest template that gives ``path``."""
    for display, node in templates:
        if has_path(to_located(node, display).data, path):
            return display
    return templates[0][0] if templates else "its template"


def adopt(
    tree: LoadedTree,
    live: LiveState,
    unmanaged: Sequence[str],
    directory: Path,
) -> list[PulledFile]:
    """A new file for each of the ``unmanaged`` live actions, as ``dactl export
    --unmanaged`` writes it; refused (before anything is written) as export refuses."""
    files = existing_actions(tree).by_name
    chosen, _ = select(
        sorted(live.actions, key=lambda a: (a.canonical["name"], a.id)),
        Adoption(unmanaged=True),
        files,
        former_names(tree),
    )
    wanted = set(unmanaged)
    by_id = live.integrations.names_by_id
    ambiguous = live.integrations.ambiguous
    schema = action_schema_ref(directory)
    taken = {p.name for p in directory.iterdir()} if directory.is_dir() else set()
    out = []
    for action in chosen:
        name = action.canonical["name"]
        if name not in wanted:
            continue
        integration = by_id[str(live.raw[action.id].get("integrationId", ""))]
        if integration in ambiguous:
            raise FileRefused(
                f"{name!r}: several integrations in the org are named {integration!r}; "
                "action files name their integration, so rename all but one in the org first"
            )
        path = directory / file_name_for(name, taken)
        taken.add(path.name)
        text = action_to_yaml(live.raw[action.id], integration, schema_ref=schema)
        shown = display_path(path)
        new = PulledFile(name, path, shown, "new", text, None, action.id, action.version)
        out.append(new)
    return out
