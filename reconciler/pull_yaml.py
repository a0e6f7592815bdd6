"""Edits of one action file as written, for ``dactl pull``: set or remove the value at a
field path, everything else as it was.

The file is read with the round-trip YAML of ``dactl fmt`` (ruamel.yaml: comments, key
order, quoting and flow or block style kept), in the indentation the file already uses.
A new key goes where ``dactl export`` would put it among its siblings (``fmt.TOP_ORDER``,
``fmt.SECTION_ORDER``), at the end of a map of the user's own (headers, schema
properties). Comment lines never go away with a key that is removed or pushed down by one
that is added: the lines that led to the next key are moved along so they still do. Only
the key's own end-of-line comment, and comments inside a removed map, leave with it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
)
from ruamel.yaml.tokens import CommentToken

from reconciler.actionfile import block_safe, is_short_leaf
from reconciler.fmt import FLOW_LISTS, SECTION_ORDER, TOP_ORDER
from reconciler.fmt import round_trip_yaml as fmt_yaml

Path_ = tuple[str, ...]
_BOM = "\ufeff"
_LINE_BREAKS = "\n\r\x85\u2028\u2029"
# (mapping, sequence, offset) indentations tried, dactl's own layout first.
_RESOLVER = yaml.resolver.Resolver()
_STR = "tag:yaml.org,2002:str"
_INDENTS = ((2, 2, 0), (2, 4, 2), (4, 4, 0), (4, 6, 4), (4, 4, 2), (3, 3, 0), (3, 5, 3))


class EditError(Exception):
    """A file that cannot be edited here (ruamel.yaml cannot read it as a mapping)."""


class ActionYaml:
    """One action file, loaded for editing; ``text()`` writes it out again.

    ``layout_kept``: whether the file, unedited, comes out byte for byte as it was read
    (else it is written in dactl's own layout, and the caller says so).
    """

    def __init__(self, text: str) -> None:
        self.bom = text.startswith(_BOM)
        source = text.removeprefix(_BOM)
        # Windows line ends throughout: edited with LF, written back with CRLF.
        self.crlf = "\r\n" in source and source.count("\n") == source.count("\r\n")
        if self.crlf:
            source = source.replace("\r\n", "\n")
        self.lines = source.split("\n")
        self.layout_kept = False
        first: tuple[YAML, CommentedMap] | None = None
        for indent in _INDENTS:
            yaml = _yaml(indent)
            try:
                doc = yaml.load(source)
            except YAMLError as exc:
                raise EditError(f"cannot be read for editing: {exc}") from None
            if not isinstance(doc, CommentedMap):
                raise EditError("an action file is a mapping of action keys")
            if _dump(yaml, doc) == source:
                self.yaml, self.doc, self.layout_kept = yaml, doc, True
                return
            first = first or (yaml, doc)
        assert first is not None
        self.yaml, self.doc = first

    def text(self) -> str:
        out = _dump(self.yaml, self.doc)
        return (_BOM if self.bom else "") + (out.replace("\n", "\r\n") if self.crlf else out)

    def has(self, path: Sequence[str]) -> bool:
        return has_path(self.doc, path)

    def set(self, path: Sequence[str], value: Any) -> None:
        """Put ``value`` (plain data) at ``path``, making the maps above it when missing; a
        value replaced keeps its quoting where it can."""
        node = self.doc
        for depth, key in enumerate(path[:-1]):
            child = node.get(key)
            if not isinstance(child, CommentedMap):
                if key in node:
                    _remove_key(node, key)
                child = CommentedMap()
                _insert(node, key, child, tuple(path[:depth]))
            node = child
        key = path[-1]
        new = to_yaml(value, tuple(path))
        if key in node:
            _replace(node, key, new)
            self._keep_gap(node, key)
        else:
            _insert(node, key, new, tuple(path[:-1]))

    def _keep_gap(self, node: CommentedMap, key: str) -> None:
        """Keep the spaces between a replaced one-line value and its end-of-line comment
        (ruamel keeps the comment's column instead)."""
        entry = node.ca.items.get(key)
        token = entry[2] if entry else None
        value = node[key]
        if not isinstance(token, CommentToken) or token.value.startswith("\n"):
            return
        if isinstance(value, CommentedMap | CommentedSeq | LiteralScalarString):
            return
        try:
            line, column = node.lc.value(key)
            old = self.lines[line][column : token.column]
        except (KeyError, IndexError, TypeError):
            return
        gap = len(old) - len(old.rstrip())
        shown = _dump(self.yaml, CommentedMap([("k", value)])).rstrip("\n")
        if old.strip() and gap and "\n" not in shown:
            token.column = column + len(shown) - len("k: ") + gap

    def remove(self, path: Sequence[str]) -> None:
        """Remove the key at ``path`` (when there), and every map above it that this leaves
        empty; the comment lines around it stay in the file."""
        chain = [self.doc]
        for key in path[:-1]:
            child = chain[-1].get(key)
            if not isinstance(child, CommentedMap):
                return
            chain.append(child)
        if path[-1] not in chain[-1]:
            return
        lines: list[str] = []
        for depth in range(len(path) - 1, -1, -1):
            node = chain[depth]
            taken, index = _remove_key(node, path[depth])
            lines = taken + lines
            if len(node) or depth == 0:
                break
            lines = _pre_comments(node) + lines  # the emptied map goes: keep what led to it
        _put_back(node, index, lines)


def has_path(data: Any, path: Sequence[str]) -> bool:
    """Whether mappings in ``data`` lead all the way along ``path``."""
    for key in path:
        if not (isinstance(data, dict) and key in data):
            return False
        data = data[key]
    return True


def value_at(data: Any, path: Sequence[str | int]) -> Any:
    """The value at ``path`` (``KeyError``, ``IndexError`` or ``TypeError`` if none)."""
    for key in path:
        data = data[key]
    return data


def to_yaml(value: Any, path: tuple[str, ...]) -> Any:
    """Plain data as round-trip nodes in export's style: short leaves of contract schemas
    (and short lists of names) in flow style, multi-line strings as literal blocks where
    they hold them exactly, else double-quoted."""
    if isinstance(value, dict):
        node = CommentedMap((k, to_yaml(v, (*path, k))) for k, v in value.items())
        _flow(node, path, [*value, *value.values()])
        return node
    if isinstance(value, list):
        seq = CommentedSeq(to_yaml(v, path) for v in value)
        _flow(seq, path, list(value))
        return seq
    if isinstance(value, str) and any(ch in value for ch in _LINE_BREAKS):
        return LiteralScalarString(value) if block_safe(value) else DoubleQuotedScalarString(value)
    if isinstance(value, str) and not _plain_string(value):
        return DoubleQuotedScalarString(value)  # YAML 1.1 (dactl's loader) reads `on` as true
    return value


def _plain_string(text: str) -> bool:
    """Whether dactl's loader (PyYAML: YAML 1.1) reads ``text``, written plain, as a string."""
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return tag == _STR


def _flow(node: CommentedMap | CommentedSeq, path: tuple[str, ...], values: list[Any]) -> None:
    schema = len(path) >= 2 and path[0] == "contract"
    if (schema or path in [(name,) for name in FLOW_LISTS]) and is_short_leaf(values):
        node.fa.set_flow_style()
    else:
        node.fa.set_block_style()


def _replace(node: CommentedMap, key: str, new: Any) -> None:
    """Replace the value of ``key``. A one-line string keeps the old one's quotes (ruamel
    does that); one that replaces a block scalar is written plain (or quoted, as it needs).
    The comment lines after the value stay where they were: a block scalar ends its own
    line, any other value leaves that to the comment."""
    old = node[key]
    was_block = isinstance(old, LiteralScalarString | FoldedScalarString)
    is_block = isinstance(new, LiteralScalarString | FoldedScalarString)
    if was_block and isinstance(new, str) and not is_block:
        new = str(new)
        super(CommentedMap, node).__setitem__(key, new)  # not ruamel's: it keeps the block
    else:
        node[key] = new
    entry = node.ca.items.get(key)
    token = entry[2] if entry else None
    if not isinstance(token, CommentToken) or was_block == is_block:
        return
    if is_block and token.value.startswith("\n"):
        token.value = token.value[1:]
    elif was_block and not is_block:
        token.value = "\n" + token.value


def _yaml(indent: tuple[int, int, int]) -> YAML:
    yaml = fmt_yaml()
    mapping, sequence, offset = indent
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _dump(yaml: YAML, doc: CommentedMap) -> str:
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


# -- keys in and out, comment lines kept ------------------------------------------------------


def _insert(node: CommentedMap, key: str, value: Any, parent: tuple[str, ...]) -> None:
    """Insert ``key`` where export's order puts it (else last); the comment lines that led
    to the key now after it keep leading there."""
    order: Sequence[str] = ()
    if not parent:
        order = TOP_ORDER
    elif len(parent) == 1:
        order = SECTION_ORDER.get(parent[0], ())
    rank = {name: i for i, name in enumerate(order)}
    keys = list(node)
    mine = rank.get(key, len(order))
    position = next((i for i, k in enumerate(keys) if rank.get(k, len(order)) > mine), len(keys))
    lines = _tail(node, keys[position - 1], _column(node), everything=False) if position else []
    node.insert(position, key, value)
    if lines:
        _append(node, key, lines)


def _remove_key(node: CommentedMap, key: str) -> tuple[list[str], int]:
    """Delete ``key``; the comment lines after it (those that led to what came next), for
    the caller to put back, and where the key was."""
    index = list(node).index(key)
    lines = _tail(node, key, _column(node), everything=True)
    del node[key]
    node.ca.items.pop(key, None)
    return lines, index


def _put_back(node: CommentedMap, index: int, lines: list[str]) -> None:
    """Put comment lines back where the key at ``index`` was: after the key before it,
    else before the map's first key."""
    if not lines or not len(node):
        return
    if index:
        _append(node, list(node)[index - 1], lines)
        return
    tokens = [
        CommentToken(line.strip() + "\n" if line.strip() else "\n", CommentMark(_indent(line)))
        for line in lines
    ]
    if not node.ca.comment:
        node.ca.comment = [None, []]
    node.ca.comment[1] = [*(node.ca.comment[1] or []), *tokens]


def _pre_comments(node: CommentedMap) -> list[str]:
    """The comment lines before the first key of a map, as they were written."""
    tokens = node.ca.comment[1] if node.ca.comment else None
    lines: list[str] = []
    for token in tokens or ():
        if isinstance(token, CommentToken):
            first, *rest = token.value.rstrip("\n").split("\n")
            lines += [" " * token.column + first if first else "", *rest]
    return lines


def _column(node: CommentedMap) -> int:
    return node.lc.col if node.lc.col is not None else 0


def _tail(node: CommentedMap, key: str, column: int, *, everything: bool) -> list[str]:
    """Detach and return the comment lines after the value of ``key``: every one after a
    scalar's end-of-line comment (``everything``), else only from the first that sits at
    most at ``column`` (those lead to what comes next); inside a block collection, those of
    its last entry that sit at most at ``column``."""
    value = node[key]
    if isinstance(value, CommentedMap | CommentedSeq) and len(value) and not value.fa.flow_style():
        last = list(value.keys())[-1] if isinstance(value, CommentedMap) else len(value) - 1
        return _tail(value, last, column, everything=False)  # type: ignore[arg-type]
    entry = node.ca.items.get(key)
    slot = 2 if isinstance(node, CommentedMap) else 0
    token = entry[slot] if entry else None
    if not isinstance(token, CommentToken):
        return []
    block = isinstance(value, LiteralScalarString | FoldedScalarString)
    eol, *lines = ([""] if block else []) + token.value.split("\n")  # a block ends its line
    cut = (
        0
        if everything
        else next(
            (i for i, line in enumerate(lines) if line.strip() and _indent(line) <= column),
            len(lines),
        )
    )
    stay, leave = lines[:cut], lines[cut:]
    while leave and not leave[-1].strip():
        leave.pop()
    if not leave:
        return []
    kept = "\n".join([eol, *stay]).rstrip("\n") + "\n" if stay else eol + "\n"
    if block:
        kept = kept[1:]
    if kept.strip():
        token.value = kept
    else:
        node.ca.items[key][slot] = None if block else CommentToken("\n", CommentMark(0))
    return leave


def _append(node: CommentedMap | CommentedSeq, key: Any, lines: list[str]) -> None:
    """Put comment lines, as they were written, after the value of ``key``."""
    value = node[key]
    if isinstance(value, CommentedMap | CommentedSeq) and len(value) and not value.fa.flow_style():
        last = list(value.keys())[-1] if isinstance(value, CommentedMap) else len(value) - 1
        _append(value, last, lines)
        return
    slot = 2 if isinstance(node, CommentedMap) else 0
    entry = node.ca.items.setdefault(key, [None, None, None, None])
    token = entry[slot]
    text = "\n".join(lines) + "\n"
    if isinstance(token, CommentToken):
        token.value = (
            token.value.rstrip("\n") + "\n" + text if token.value.strip() else (token.value + text)
        )
    else:
        block = isinstance(value, LiteralScalarString | FoldedScalarString)
        entry[slot] = CommentToken(text if block else "\n" + text, CommentMark(0))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))
