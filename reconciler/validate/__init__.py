"""Validation of a desired-state tree: schema, contracts, templates and semantic lint.

Every problem of a run is collected; nothing here touches the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reconciler.config.loader import LoadedTree, load_tree
from reconciler.config.model import ActionSpec, ProjectSpec
from reconciler.diagnostics import Problem
from reconciler.errors import ConfigError
from reconciler.validate.contracts import check_contract
from reconciler.validate.lint import check_action, check_duplicates, check_project
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

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_tree(root: Path) -> ValidationReport:
    """Check every file under ``root`` (or the one file ``root``); ``ConfigError`` if missing."""
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
    actions = []
    for action in tree.actions:
        doc = action.doc
        found = check_document(doc, "action")
        if isinstance(doc.data, dict):
            contract = doc.data.get("contract")
            if isinstance(contract, dict):
                found += check_contract(contract.get("input"), doc, ("contract", "input"), "input")
                found += check_contract(
                    contract.get("output"), doc, ("contract", "output"), "output"
                )
            found += check_templates(doc)
        if not [p for p in found if p.severity == "error"]:
            found += check_action(doc, project)
            spec, package_problems = with_package(
                ActionSpec.from_data(doc.data, action.display, path=action.path), action
            )
            found += package_problems
            actions.append(spec)
        problems += found
    problems += check_duplicates(tree.actions)
    unique = sorted(set(problems), key=Problem.sort_key)
    report = ValidationReport(tree=tree, project=project, problems=unique)
    report.actions = actions if report.ok else []
    return report


__all__ = ["ValidationReport", "validate_tree"]
