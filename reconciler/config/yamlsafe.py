"""Strict, position-keeping YAML reading.

Only plain data is allowed: no language tags, no duplicate keys, a bounded number of
alias expansions (so an "alias bomb" fails fast), UTF-8 only, and a size ceiling.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from reconciler.config.tree import Entry, Node
from reconciler.diagnostics import Mark

MAX_FILE_BYTES = 1024 * 1024
MAX_ALIAS_EXPANSIONS = 300
MAX_DEPTH = 200
# Nodes rebuilt inside alias expansions; bounds the work of a few aliases to huge subtrees.
MAX_COPIED_NODES = 100_000

_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}
# Implicitly resolved timestamps stay strings: our files are JSON-shaped data.
_AS_STRING = {_CORE + "timestamp", _CORE + "str"}


# libyaml's parser when PyYAML was built with it (much faster); same safe constructor.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlProblem(Exception):
    """A file that cannot be read as plain YAML data; carries the place."""

    def __init__(self, mark: Mark, message: str) -> None:
        self.mark = mark
        self.message = message
        super().__init__(f"{mark}: {message}")


def read_yaml(path: Path, display: str) -> Node:
    """Read one YAML file into a ``Node`` tree, or raise ``YamlProblem``."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a device or a FIFO would never end
            raise YamlProblem(Mark(display, 1, 1), "not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise YamlProblem(
                Mark(display, 1, 1),
                f"file is {info.st_size} bytes; the limit is {MAX_FILE_BYTES} bytes (1 MiB)",
            )
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # parse_yaml refuses what is over
    except OSError as exc:
        raise YamlProblem(Mark(display, 1, 1), f"cannot read file: {exc.strerror}") from exc
    return parse_yaml(raw, display)


def parse_yaml(raw: bytes, display: str) -> Node:
    """Parse bytes of one YAML document into a ``Node`` tree, or raise ``YamlProblem``."""
    if len(raw) > MAX_FILE_BYTES:
        raise YamlProblem(Mark(display, 1, 1), f"file is larger than {MAX_FILE_BYTES} bytes")
    text = _decode(raw, display)
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlProblem(Mark(display, line, col), _yaml_message(exc)) from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(Mark(display, 1, 1), f"invalid YAML: {exc}") from exc
    except RecursionError:
        raise YamlProblem(Mark(display, 1, 1), "nesting is too deep to read") from None
    finally:
        getattr(loader, "dispose", lambda: None)()
    if root is None:
        raise YamlProblem(Mark(display, 1, 1), "file is empty")
    return _Builder(display, loader, text).build(root)


def _decode(raw: bytes, display: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise YamlProblem(
            Mark(display, line, column),
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
        ) from None


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    return "invalid YAML: " + ", ".join(parts) if parts else "invalid YAML"


class _Builder:
    """Turns composed YAML nodes into ``Node`` trees while enforcing the safety rules."""

    def __init__(self, display: str, loader: yaml.SafeLoader, text: str) -> None:
        self.display = display
        self.loader = loader
        self.text = text
        self.seen: set[int] = set()
        self.flattened: set[int] = set()
        self.expansions = 0
        self.copied_nodes = 0

    def mark(self, node: yaml.Node) -> Mark:
        return Mark(self.display, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: yaml.Node, stack: tuple[int, ...] = (), copying: bool = False) -> Node:
        if id(node) in stack:
            raise YamlProblem(self.mark(node), "recursive alias: a node contains itself")
        if len(stack) >= MAX_DEPTH:
            raise YamlProblem(self.mark(node), f"nesting is deeper than {MAX_DEPTH} levels")
        if copying:
            self.copied_nodes += 1
        elif id(node) in self.seen:
            # A second visit means an alias is being expanded: count it, and everything under it.
            self.expansions += 1
            copying = True
        if self.expansions > MAX_ALIAS_EXPANSIONS or self.copied_nodes > MAX_COPIED_NODES:
            raise YamlProblem(
                self.mark(node),
                f"too many alias expansions (more than {MAX_ALIAS_EXPANSIONS}); "
                "refusing a possible alias bomb",
            )
        self.seen.add(id(node))
        if node.tag not in _ALLOWED_TAGS and node.tag not in _AS_STRING:
            raise YamlProblem(
                self.mark(node), f"tag {_show_tag(node.tag)} is not allowed; use plain data"
            )
        inner = (*stack, id(node))
        if isinstance(node, MappingNode):
            return self._mapping(node, inner, copying)
        if isinstance(node, SequenceNode):
            items = [self.build(item, inner, copying) for item in node.value]
            return Node(items, self.mark(node))
        return Node(
            self._scalar(node), self.mark(node), self._content(node), getattr(node, "style", None)
        )

    def _content(self, node: yaml.Node) -> Mark | None:
        """Where a block scalar's text begins: the first non-blank line after its indicator."""
        if getattr(node, "style", None) not in ("|", ">"):
            return None
        lines = self.text[node.start_mark.index : node.end_mark.index].split("\n")
        for index, text in enumerate(lines[1:], start=1):
            if text.strip():
                indent = len(text) - len(text.lstrip(" "))
                return Mark(self.display, node.start_mark.line + index + 1, indent + 1)
        return None

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag in _AS_STRING:
            return str(node.value)
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: MappingNode, stack: tuple[int, ...], copying: bool) -> Node:
        if id(node) not in self.flattened:
            self._check_duplicates(node)
            # Merge keys (<<) are expanded by PyYAML itself; explicit keys come last and win.
            self.loader.flatten_mapping(node)
            self.flattened.add(id(node))
        entries: dict[str, Entry] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node)
            entries[key] = Entry(self.mark(key_node), self.build(value_node, stack, copying))
        return Node(entries, self.mark(node))

    def _check_duplicates(self, node: MappingNode) -> None:
        explicit: dict[str, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == _CORE + "merge":
                continue
            key = self._key(key_node)
            if key in explicit:
                first = self.mark(explicit[key])
                raise YamlProblem(
                    self.mark(key_node),
                    f"duplicate key {key!r} (first defined at line {first.line})",
                )
            explicit[key] = key_node

    def _key(self, key_node: yaml.Node) -> str:
        if not isinstance(key_node, ScalarNode):
            raise YamlProblem(self.mark(key_node), "mapping keys must be plain strings")
        if key_node.tag not in _ALLOWED_TAGS and key_node.tag not in _AS_STRING:
            raise YamlProblem(
                self.mark(key_node), f"tag {_show_tag(key_node.tag)} is not allowed; use plain data"
            )
        return str(key_node.value)


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag
