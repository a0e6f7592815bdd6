"""A YAML document as a tree that remembers where every key and value came from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from reconciler.diagnostics import Mark

JsonPath = tuple[str | int, ...]


@dataclass
class Node:
    """A value (mapping, sequence or scalar) with the place it was written.

    Mappings hold ``dict[str, Entry]``, sequences ``list[Node]``, scalars plain values.
    """

    value: Any
    mark: Mark
    # For block scalars (| and >): where the first content line starts; style is the YAML style.
    content: Mark | None = None
    style: str | None = None

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    def entries(self) -> dict[str, Entry]:
        """The entries of a mapping node (empty for other kinds)."""
        return self.value if isinstance(self.value, dict) else {}

    def get(self, key: str) -> Node | None:
        """The child node under ``key`` of a mapping, if any."""
        entry = self.entries().get(key)
        return entry.node if entry else None


@dataclass
class Entry:
    """A mapping entry: the key's place and the value node."""

    key_mark: Mark
    node: Node


@dataclass
class Located:
    """Plain data (dicts, lists, scalars) plus the place of every key and value."""

    data: Any
    file: str
    values: dict[JsonPath, Mark] = field(default_factory=dict)
    keys: dict[JsonPath, Mark] = field(default_factory=dict)
    scalars: dict[JsonPath, tuple[str | None, Mark]] = field(default_factory=dict)

    def where(self, path: JsonPath, *, prefer_key: bool = True) -> Mark:
        """The best place to report a problem at ``path``: its key, its value, or an ancestor."""
        probe = tuple(path)
        while True:
            if prefer_key and probe in self.keys:
                return self.keys[probe]
            if probe in self.values:
                return self.values[probe]
            if probe in self.keys:
                return self.keys[probe]
            if not probe:
                return Mark(self.file, 1, 1)
            probe = probe[:-1]

    def value_at(self, path: JsonPath) -> Mark:
        """The place of the value at ``path`` (falls back like ``where``)."""
        return self.where(path, prefer_key=False)

    def offset_mark(self, path: JsonPath, text: str, offset: int) -> Mark:
        """The file place of character ``offset`` of the string scalar at ``path``.

        Exact for literal block scalars (``|``, the way templates are written) and for
        single-line plain scalars; quoted and folded scalars map to their nearest line start.
        """
        start = self.value_at(path)
        style, content = self.scalars.get(path, (None, start))
        line_no = text.count("\n", 0, offset)
        column = offset - (text.rfind("\n", 0, offset) + 1)
        if style == "|":
            return Mark(content.file, content.line + line_no, content.column + column)
        if style in (None, "") and line_no == 0:
            return Mark(start.file, start.line, start.column + column)
        if style in ('"', "'") and line_no == 0 and "\\" not in text[:offset]:
            return Mark(start.file, start.line, start.column + 1 + column)
        return content


def to_located(node: Node, file: str) -> Located:
    """Flatten a node tree into plain data and position maps."""
    located = Located(data=None, file=file)
    located.data = _plain(node, (), located)
    return located


def _plain(node: Node, path: JsonPath, out: Located) -> Any:
    out.values[path] = node.mark
    if isinstance(node.value, str):
        out.scalars[path] = (node.style, node.content or node.mark)
    if isinstance(node.value, dict):
        result: dict[str, Any] = {}
        for key, entry in node.value.items():
            child = (*path, key)
            out.keys[child] = entry.key_mark
            result[key] = _plain(entry.node, child, out)
        return result
    if isinstance(node.value, list):
        return [_plain(item, (*path, i), out) for i, item in enumerate(node.value)]
    return node.value


def merge(base: Node, over: Node) -> Node:
    """Deep-merge ``over`` onto ``base``: mappings merge key by key, anything else is replaced."""
    if not (isinstance(base.value, dict) and isinstance(over.value, dict)):
        return over
    merged: dict[str, Entry] = dict(base.value)
    for key, entry in over.value.items():
        if key in merged:
            merged[key] = Entry(entry.key_mark, merge(merged[key].node, entry.node))
        else:
            merged[key] = entry
    return Node(merged, over.mark)


def walk(node: Node, path: JsonPath = ()) -> Iterator[tuple[JsonPath, Node]]:
    """Every node of the tree with its path, parents first."""
    yield path, node
    if isinstance(node.value, dict):
        for key, entry in node.value.items():
            yield from walk(entry.node, (*path, key))
    elif isinstance(node.value, list):
        for i, item in enumerate(node.value):
            yield from walk(item, (*path, i))
