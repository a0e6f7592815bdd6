"""Validation of a desired-state tree: schema, contracts, templates and semantic lint.

Every problem of a run is collected; nothing here touches the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from reconciler.config.environments import choose_environment
from reconciler.config.loader import ActionDocument, LoadedTree, load_tree
from reconciler.config.model import ActionSpec, ProjectSpec
from reconciler.config.placeholders import resolve_document
from reconciler.config.tree import Located
from reconciler.diagnostics import Problem
from reconciler.errors import ConfigError
from reconciler.validate.cache import ValidationCache
from reconciler.validate.contracts import check_contract
from reconciler.validate.lint import (
    check_action,
    check_duplicates,
    check_former_names,
    check_project,
)
from reconciler.validate.packages import with_package
from reconciler.validate.schema import check_document
from reconciler.validate.templates import check_templates


@dataclass
class ValidationReport:
    """The outcome of validating one tree."""

    tree: LoadedTree
    project: ProjectSpec
    problems: list[Problem] = field(default_factory=list)
    actions: list[ActionSpec] = field(default_factory=list)
    # The environments checked, when the project declares some and none was chosen.
    environments: tuple[str, ...] = ()

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_tree(
    root: Path,
    environment: str | None = None,
    *,
    source: str = "--env",
    require_environment: bool = False,
    cache: ValidationCache | None = None,
) -> ValidationReport:
    """Check every file under ``root`` (or the one file ``root``); ``ConfigError`` if missing.

    Placeholders are resolved for ``environment`` (named by ``source``, for errors), after
    ``extends`` and before the schema checks. A project that declares environments is
    checked in every one of them when none is given (unless ``require_environment``: then
    ``SettingsError``); a problem found in only some of them says which. An unknown
    environment is a ``SettingsError`` naming the known ones. ``cache`` remembers what
    each file's checks found (``reconciler.validate.cache``).
    """
    if not root.exists():
        raise ConfigError(f"{root}: no such file or directory")
    tree = load_tree(root)
    problems = list(tree.problems)
    project = ProjectSpec()
    if tree.project is not None:
        project_problems = check_document(tree.project, "project")
        problems += project_problems
        if not project_problems:
            project = ProjectSpec.from_data(tree.project.data, tree.project.file)
            problems += check_project(tree.project, project)
            project = choose_environment(project, environment, source, required=require_environment)
    elif environment is not None:
        project = choose_environment(project, environment, source)
    if project.environment is None and project.environments:
        return _every_environment(tree, project, problems)
    project_key = ValidationCache.project_key(
        tree.project.data if tree.project else None, project.environment
    )
    checked = _check_actions(tree, project, cache, project_key)
    if cache is not None:
        cache.save()
    problems += checked.problems + check_duplicates(tree.actions)
    problems += check_former_names(tree.actions)
    unique = sorted(set(problems), key=Problem.sort_key)
    resolved = replace(tree, actions=checked.documents)
    report = ValidationReport(tree=resolved, project=project, problems=unique)
    report.actions = checked.actions if report.ok else []
    return report


@dataclass
class _Checked:
    """The actions of a tree checked for one environment."""

    problems: list[Problem]
    actions: list[ActionSpec]
    documents: list[ActionDocument]


def _check_actions(
    tree: LoadedTree,
    project: ProjectSpec,
    cache: ValidationCache | None = None,
    project_key: str = "",
) -> _Checked:
    where = project.source or "dactl.yaml"
    out = _Checked([], [], [])
    for action in tree.actions:
        doc, found = resolve_document(action.doc, project.variables, project_file=where)
        if doc.data != action.doc.data:
            action = replace(action, doc=doc, written=action.doc)
        out.documents.append(action)
        key = cache.key(action, project_key) if cache is not None else None
        checks = cache.get(key) if cache is not None and key is not None else None
        if checks is None:
            checks = _checks(doc, project, errors_before=_has_error(found))
            if cache is not None and key is not None:
                cache.put(key, checks)
        found += checks
        if not _has_error(found):
            spec, package_problems = with_package(
                ActionSpec.from_data(doc.data, action.display, path=action.path), action
            )
            found += package_problems
            out.actions.append(spec)
        out.problems += found
    return out


def _checks(doc: Located, project: ProjectSpec, *, errors_before: bool) -> list[Problem]:
    """Every check of one resolved action document (the action checks only when nothing
    before them is an error)."""
    found = check_document(doc, "action")
    if isinstance(doc.data, dict):
        contract = doc.data.get("contract")
        if isinstance(contract, dict):
            found += check_contract(contract.get("input"), doc, ("contract", "input"), "input")
            found += check_contract(contract.get("output"), doc, ("contract", "output"), "output")
        found += check_templates(doc)
    if not errors_before and not _has_error(found):
        found += check_action(doc, project)
    return found


def _has_error(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


def _every_environment(
    tree: LoadedTree, project: ProjectSpec, problems: list[Problem]
) -> ValidationReport:
    """Check the actions in each environment of ``project``: a problem found in every one
    is reported once as it is, one found in some of them says which (``env prod: ...``)."""
    names = list(project.environments)
    found: dict[Problem, list[str]] = {}
    first: _Checked | None = None
    for name in names:
        checked = _check_actions(tree, project.for_environment(name))
        first = first or checked
        for problem in set(checked.problems):
            found.setdefault(problem, []).append(name)
    for problem, envs in found.items():
        if len(envs) < len(names):
            message = f"env {', '.join(envs)}: {problem.message}"
            problem = Problem(problem.mark, message, problem.severity, problem.rule)
        problems.append(problem)
    problems += check_duplicates(tree.actions) + check_former_names(tree.actions)
    unique = sorted(set(problems), key=Problem.sort_key)
    report = ValidationReport(
        tree=tree, project=project, problems=unique, environments=tuple(names)
    )
    report.actions = first.actions if report.ok and first is not None else []
    return report


__all__ = ["ValidationReport", "validate_tree"]
