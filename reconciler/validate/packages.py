"""Function packages named by action files: each must exist and be a readable package."""

from __future__ import annotations

from dataclasses import replace

from reconciler.config.loader import ActionDocument
from reconciler.config.model import ActionSpec
from reconciler.diagnostics import Problem, error
from reconciler.errors import PackageError
from reconciler.packages import load_package


def with_package(spec: ActionSpec, action: ActionDocument) -> tuple[ActionSpec, list[Problem]]:
    """``spec`` with its function package read and identified, or the problem reading it
    (placed at ``function.package``). Paths are relative to the action file."""
    function = spec.function
    if function is None or function.package_path is None:
        return spec, []
    try:
        package = load_package(function.package_path)
    except PackageError as exc:
        mark = action.doc.value_at(("function", "package"))
        return spec, [error(mark, f"function.package: {exc}", rule="package")]
    return replace(spec, function=replace(function, identity=package.identity)), []
