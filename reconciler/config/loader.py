"""Load a desired-state tree: the project file and one action per YAML file, ``extends`` applied."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.config.tree import Entry, Located, Node, merge, to_located
from reconciler.config.yamlsafe import YamlProblem, read_yaml
from reconciler.diagnostics import Problem, error

PROJECT_FILE_NAMES = ("dactl.yaml", "dactl.yml")
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class ActionDocument:
    """One action file after ``extends`` resolution."""

    path: Path
    display: str
    doc: Located
    extends_chain: tuple[str, ...] = ()
    # The document as written, before its placeholders were resolved (``doc`` then holds
    # the resolved one); None when nothing was resolved.
    written: Located | None = None
    # A hash of the bytes of the file and of every template of its ``extends`` chain: the
    # same digest, the same document (``reconciler.validate.cache``).
    digest: str = ""


@dataclass
class LoadedTree:
    """Everything read from a desired-state directory, and the problems met reading it."""

    root: Path
    project: Located | None
    actions: list[ActionDocument] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def display_path(path: Path) -> str:
    """A path as users typed it: relative to the working directory when below it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def discover(root: Path) -> tuple[Path | None, list[Path]]:
    """The project file (if any) and the action files under ``root``.

    Directories whose name starts with ``_`` (templates such as ``_templates/``) or ``.``
    hold no actions.
    """
    project = next((root / n for n in PROJECT_FILE_NAMES if (root / n).is_file()), None)
    actions: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(("_", ".")))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if name.endswith(YAML_SUFFIXES) and path != project and not name.startswith("."):
                actions.append(path)
    return project, sorted(actions)


def load_tree(root: Path) -> LoadedTree:
    """Read a directory, or one action file (with the project file beside it, if any).

    Unreadable files become problems, never exceptions.
    """
    if root.is_file():
        project_path = next(
            (root.parent / n for n in PROJECT_FILE_NAMES if (root.parent / n).is_file()), None
        )
        action_paths = [] if project_path == root else [root]
    else:
        project_path, action_paths = discover(root)
    tree = LoadedTree(root=root, project=None)
    if project_path is not None:
        try:
            tree.project = to_located(
                read_yaml(project_path, display_path(project_path)), display_path(project_path)
            )
        except YamlProblem as exc:
            tree.problems.append(error(exc.mark, exc.message, rule="yaml"))
    resolver = _ExtendsResolver()
    for path in action_paths:
        display = display_path(path)
        try:
            node = read_yaml(path, display)
            merged, chain = resolver.resolve(node, path.resolve(), display)
        except YamlProblem as exc:
            tree.problems.append(error(exc.mark, exc.message, rule="yaml"))
            continue
        except _ExtendsProblem as exc:
            tree.problems.append(exc.problem)
            continue
        digest = resolver.digest(path, chain)
        located = to_located(merged, display)
        tree.actions.append(ActionDocument(path, display, located, chain, digest=digest))
    return tree


class _ExtendsProblem(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


class _ExtendsResolver:
    """Resolves ``extends`` chains, reading each template once."""

    def __init__(self) -> None:
        self.cache: dict[Path, Node] = {}
        self.shown: dict[str, Path] = {}  # a template as shown, and its path
        self.digests: dict[Path, str] = {}

    def digest(self, path: Path, chain: tuple[str, ...]) -> str:
        """A hash of the bytes of ``path`` and of the templates of its chain ("" when one
        of them cannot be read again: no digest, no reuse)."""
        hasher = hashlib.sha256()
        for one in (path, *(self.shown[t] for t in chain if t in self.shown)):
            found = self.digests.get(one)
            if found is None:
                try:
                    found = hashlib.sha256(one.read_bytes()).hexdigest()
                except OSError:
                    return ""
                if one != path:
                    self.digests[one] = found
            hasher.update(f"{one}\0{found}\0".encode())
        return hasher.hexdigest()

    def resolve(self, node: Node, path: Path, display: str) -> tuple[Node, tuple[str, ...]]:
        return self._resolve(node, path, [path], [display])

    def _resolve(
        self, node: Node, path: Path, chain: list[Path], shown: list[str]
    ) -> tuple[Node, tuple[str, ...]]:
        if not node.is_map:
            return node, ()
        ext = node.get("extends")
        if ext is None:
            return node, ()
        if not isinstance(ext.value, str) or not ext.value.strip():
            raise _ExtendsProblem(
                error(ext.mark, "extends: must be a path to a template file", rule="extends")
            )
        target = (path.parent / ext.value).resolve()
        target_shown = display_path(target)
        if target in chain:
            cycle = " -> ".join([*shown[chain.index(target) :], target_shown])
            raise _ExtendsProblem(error(ext.mark, f"extends cycle: {cycle}", rule="extends"))
        if not target.is_file():
            raise _ExtendsProblem(
                error(
                    ext.mark,
                    f"extends: template {ext.value!r} not found ({target_shown})",
                    rule="extends",
                )
            )
        base = self.cache.get(target)
        if base is None:
            base = read_yaml(target, target_shown)
            self.cache[target] = base
            self.shown[target_shown] = target
        if not base.is_map:
            raise _ExtendsProblem(
                error(base.mark, "a template must be a mapping of action keys", rule="extends")
            )
        resolved, deeper = self._resolve(base, target, [*chain, target], [*shown, target_shown])
        inherited = {k: v for k, v in resolved.entries().items() if k != "extends"}
        merged = merge(Node(inherited, resolved.mark), node)
        return merged, (target_shown, *deeper)


__all__ = ["ActionDocument", "Entry", "LoadedTree", "discover", "display_path", "load_tree"]
