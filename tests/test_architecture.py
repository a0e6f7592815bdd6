"""The shape of the package (docs/architecture.md): imports point down the layers, there is
no import cycle, and no module is over 500 lines. Fails when an upward import is added.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "reconciler"
MAX_LINES = 500

# Top to bottom: a module may import its own layer and the layers below it, never above.
# Each entry is a module or a package (its submodules included).
LAYERS: tuple[tuple[str, ...], ...] = (
    (
        "reconciler.__main__",
        "reconciler.cli",
        "reconciler.cli_scaffold",
        "reconciler.cli_reports",
        "reconciler.cli_exchange",
        "reconciler.cli_impact",
        "reconciler.cli_pull",
    ),
    ("reconciler.cli_support", "reconciler.sandbox", "reconciler.ci.command"),
    ("reconciler.render",),
    ("reconciler.orchestrator",),
    (
        "reconciler.apply",
        "reconciler.apply_newdraft",
        "reconciler.apply_draft",
        "reconciler.apply_function",
        "reconciler.apply_base",
        "reconciler.savedplan",
        "reconciler.exporter",
        "reconciler.adopt",
        "reconciler.fmt",
        "reconciler.importer",
        "reconciler.actiontest",
        "reconciler.organization",
        "reconciler.webhook",
        "reconciler.ci",
        "reconciler.scaffold",
        "reconciler.compare",
        "reconciler.usages",
        "reconciler.pull",
        "reconciler.pull_files",
        "reconciler.pull_yaml",
    ),
    (
        "reconciler.live",
        "reconciler.drift",
        "reconciler.plan",
        "reconciler.identity",
        "reconciler.actionfile",
        "reconciler.terraform",
        "reconciler.impact",
    ),
    (
        "reconciler.diff",
        "reconciler.backend",
        "reconciler.genesys",
        "reconciler.audit",
        "reconciler.drafts",
    ),
    (
        "reconciler.canonical",
        "reconciler.ignore",
        "reconciler.consumers",
        "reconciler.validate",
        "reconciler.outdir",
        "reconciler.jsonsafe",
    ),
    ("reconciler.velocity",),
    ("reconciler.config",),
    (
        "reconciler.errors",
        "reconciler.exitcodes",
        "reconciler.diagnostics",
        "reconciler.fsutil",
        "reconciler.secrets",
        "reconciler.packages",
        "reconciler.velocity.scan",
        "reconciler.runcontext",
        "reconciler.suggest",
        "reconciler",
    ),
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> int:
    """The index of the layer whose entry is the longest prefix of ``module``."""
    best, index = -1, -1
    for i, layer in enumerate(LAYERS):
        for entry in layer:
            if (module == entry or module.startswith(entry + ".")) and len(entry) > best:
                best, index = len(entry), i
    assert index >= 0, f"{module} is in no layer: add it to LAYERS and docs/architecture.md"
    return index


def imports_of(path: Path) -> set[str]:
    """The reconciler modules ``path`` imports at run time (``TYPE_CHECKING`` aside)."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", "")
            if name == "TYPE_CHECKING":
                for child in node.orelse:
                    self.visit(child)
                return
            self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(a.name for a in node.names if a.name.startswith("reconciler"))

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if not target.startswith("reconciler"):
                return
            found.add(target)
            for alias in node.names:  # `from reconciler.x import submodule`
                candidate = f"{target}.{alias.name}"
                as_path = REPO_ROOT / candidate.replace(".", "/")
                if as_path.with_suffix(".py").exists() or (as_path / "__init__.py").exists():
                    found.add(candidate)

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    return found - {module}


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_import_points_down_the_layers() -> None:
    upward = [
        f"{module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})"
        for module, targets in graph().items()
        for target in sorted(targets)
        if layer_of(target) < layer_of(module)
    ]
    assert upward == []


def test_there_is_no_import_cycle() -> None:
    edges = graph()
    # A package's __init__ may gather its submodules; the cycle that would make is no cycle.
    for module, targets in edges.items():
        edges[module] = {t for t in targets if not module.startswith(t + ".")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_check_finds_an_upward_import(tmp_path: Path) -> None:
    """The layer check is not vacuous: an upward import in a lower module is reported."""
    assert layer_of("reconciler.plan") > layer_of("reconciler.orchestrator")
    assert layer_of("reconciler.genesys.wire") > layer_of("reconciler.live")
    assert layer_of("reconciler.config.model") == len(LAYERS) - 2


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: module_name(p))
def test_no_module_is_over_500_lines(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{path.relative_to(REPO_ROOT)} has {lines} lines"
