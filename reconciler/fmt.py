"""``dactl fmt``: action files in the layout ``dactl export`` writes, comments kept.

A round-trip YAML library (ruamel.yaml) reads each file with its comments, and writes it
back with: the keys of an action and of its sections in the export's order (keys of the
user's own maps, such as schema properties and headers, keep theirs); multi-line strings as
literal block scalars where YAML can hold them exactly, else as double-quoted scalars broken
after each line (a template with CRLF line ends: YAML reads every line break in a block
scalar as LF, so ``\\r`` needs an escape); short leaves of contract schemas in flow style
(``{type: string}``), other collections in block style; two-space indentation.

Nothing is rewritten unless dactl's own strict loader reads the new text as exactly the data
the old text held, and every comment is still there: a file that would change otherwise is
left as it is and named (``FmtResult.problems``).
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import Emitter
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString
from ruamel.yaml.tokens import CommentToken

from reconciler.actionfile import LineBreakingQuotes, block_safe, is_short_leaf
from reconciler.config.loader import discover, display_path
from reconciler.config.tree import to_located
from reconciler.config.yamlsafe import YamlProblem, parse_yaml
from reconciler.diagnostics import Mark, Problem, error
from reconciler.errors import ConfigError
from reconciler.fsutil import atomic_write_text

# The order of an action's keys, as export writes them (keys it never writes in the place
# the examples give them); unknown keys keep their order after these.
TOP_ORDER = (
    "name",
    "formerNames",
    "extends",
    "integration",
    "integrationId",
    "category",
    "secure",
    "timeoutSeconds",
    "ignore",
    "contract",
    "request",
    "response",
    "function",
)
SECTION_ORDER: dict[str, tuple[str, ...]] = {
    "contract": ("input", "output"),
    "request": ("requestUrlTemplate", "requestType", "headers", "requestTemplate"),
    "response": ("translationMap", "translationMapDefaults", "successTemplate"),
    "function": ("handler", "runtime", "timeoutSeconds", "description", "package"),
}
_COLLECTIONS = (CommentedMap, CommentedSeq)
FLOW_LISTS = ("formerNames", "ignore")  # short lists of names, on one line like schema leaves
_LINE_BREAKS = "\n\r\x85\u2028\u2029"


@dataclass
class FmtResult:
    """What ``dactl fmt`` found: the files it changed (or, with ``check``, would change),
    those already in layout, and the problems (a file it cannot read, or cannot format
    without changing its content or losing a comment: left as it is)."""

    changed: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def format_tree(root: Path, *, check: bool = False) -> FmtResult:
    """Format every action file under ``root`` (or the one file ``root``); with ``check``,
    write nothing. ``ConfigError`` when ``root`` does not exist."""
    if not root.exists():
        raise ConfigError(f"{root}: no such file or directory")
    paths = [root] if root.is_file() else discover(root)[1]
    result = FmtResult()
    for path in paths:
        display = display_path(path)
        try:
            text = path.read_bytes()
            new = format_text(text, display)
        except OSError as exc:
            result.problems.append(error(Mark(display, 1, 1), f"cannot read file: {exc.strerror}"))
            continue
        except YamlProblem as exc:
            result.problems.append(error(exc.mark, exc.message, rule="yaml"))
            continue
        if new.encode("utf-8") == text:
            result.unchanged.append(path)
            continue
        if not check:
            try:
                atomic_write_text(path, new)
            except OSError as exc:
                message = f"cannot write file: {exc.strerror or exc}"
                result.problems.append(error(Mark(display, 1, 1), message))
                continue
        result.changed.append(path)
    return result


def format_text(raw: bytes, display: str) -> str:
    """The text of one action file in the canonical layout; ``YamlProblem`` when it cannot
    be read, or formatted without changing its data or losing a comment."""
    before = _plain(parse_yaml(raw, display), display)
    text = raw.decode("utf-8-sig")
    yaml = round_trip_yaml()
    try:
        doc = yaml.load(text)
        if not isinstance(doc, CommentedMap):
            raise YamlProblem(Mark(display, 1, 1), "an action file is a mapping of action keys")
        comments = _comments(doc)
        _layout(doc)
        out = io.StringIO()
        yaml.dump(doc, out)
    except YAMLError as exc:  # the strict loader read it, so this is rare
        raise YamlProblem(Mark(display, 1, 1), f"cannot be formatted: {exc}") from exc
    new = out.getvalue()
    if raw.startswith(b"\xef\xbb\xbf"):
        new = "\ufeff" + new
    try:
        after = _plain(parse_yaml(new.encode("utf-8"), display), display)
        kept = _comments(round_trip_yaml().load(new)) == comments
    except (YamlProblem, YAMLError):
        after, kept = None, False
    if after != before or not kept:
        what = "its content" if after != before else "a comment"
        raise YamlProblem(
            Mark(display, 1, 1),
            f"left as it is: formatting would change {what} (please report this)",
        )
    return new


def _plain(node: Any, display: str) -> str:
    """The data of a parsed file, as text that tells every type apart (1, 1.0 and true)."""
    data = to_located(node, display).data
    return json.dumps(data, sort_keys=True, ensure_ascii=False, default=repr)


def round_trip_yaml() -> YAML:
    yaml = YAML()  # round trip: comments, key order and scalar styles are kept
    yaml.preserve_quotes = True
    yaml.width = 1 << 20  # never fold a line: a folded scalar reads badly in a git diff
    yaml.indent(mapping=2, sequence=2, offset=0)
    yaml.Emitter = _Emitter
    return yaml


# -- layout ---------------------------------------------------------------------------------


def _layout(doc: CommentedMap) -> None:
    doc.fa.set_block_style()
    _reorder(doc, TOP_ORDER)
    for key, order in SECTION_ORDER.items():
        section = doc.get(key)
        if isinstance(section, CommentedMap):
            _reorder(section, order, parent=(doc, key))
    for path, node in _walk(doc, ()):
        if isinstance(node, CommentedMap | CommentedSeq) and path:
            _style(node, path)
    _scalars(doc)


def _style(node: CommentedMap | CommentedSeq, path: tuple[Any, ...]) -> None:
    """Flow style for a short leaf of a contract schema (and a short list of names), as
    export writes them; block style for every other collection. A collection holding
    comments stays as it is (flow style has no room for them)."""
    schema = len(path) >= 2 and path[0] == "contract"
    values = list(node.values()) if isinstance(node, CommentedMap) else list(node)
    keys = list(node.keys()) if isinstance(node, CommentedMap) else []
    flow_list = path in ((name,) for name in FLOW_LISTS)
    flow = (schema or flow_list) and is_short_leaf([*keys, *values])
    if flow == node.fa.flow_style():
        return
    if _holds_comments(node):
        return
    if flow:
        node.fa.set_flow_style()
    else:
        node.fa.set_block_style()


def _scalars(node: Any) -> None:
    """Multi-line strings as literal block scalars where that holds them exactly, else
    double-quoted (broken after each line by ``_Emitter``)."""
    if isinstance(node, CommentedMap):
        items: Iterator[tuple[Any, Any]] = iter(list(node.items()))
    elif isinstance(node, CommentedSeq):
        items = iter(list(enumerate(node)))
    else:
        return
    for key, value in items:
        if isinstance(value, str) and any(ch in value for ch in _LINE_BREAKS):
            node[key] = (
                LiteralScalarString(str(value))
                if block_safe(str(value))
                else DoubleQuotedScalarString(str(value))
            )
        else:
            _scalars(value)


def _walk(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, node
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, CommentedSeq):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))


# -- keys in order, each with its comments --------------------------------------------------


def _reorder(
    node: CommentedMap, order: Sequence[str], parent: tuple[CommentedMap, str] | None = None
) -> None:
    """Put the keys of ``node`` in ``order`` (others after, as they were), each key with
    the comment lines above it and the comment at the end of its line. The comment above
    the first key of the file stays at the top: it is the file's (the schema line)."""
    keys = list(node.keys())
    rank = {key: i for i, key in enumerate(order)}
    wanted = sorted(keys, key=lambda k: (rank.get(k, len(order)), keys.index(k)))
    if wanted == keys:
        return
    column = node.lc.col if node.lc.col is not None else 0
    pending: list[str] = []
    if parent is not None:  # the comment above a section's first key is the key's
        pending = _lines(node.ca.comment[1] if node.ca.comment else None)
        if node.ca.comment:
            node.ca.comment[1] = None
        outer, key = parent
        entry = outer.ca.items.get(key)
        if entry and len(entry) > 3:
            entry[3] = None
    above: dict[Any, list[str]] = {}
    for key in keys:
        if pending:
            above[key] = pending
        pending = _take_tail(node, key, column)
    for key in wanted:
        node.move_to_end(key)
        lines = above.get(key)
        if lines:
            entry = node.ca.items.setdefault(key, [None, None, None, None])
            entry[1] = [_token(line, column) for line in lines] + list(entry[1] or [])
    if pending:  # comment lines after the last key stay at the end
        _append_tail(node, wanted[-1], pending, column)


def _take_tail(node: CommentedMap | CommentedSeq, key: Any, column: int) -> list[str]:
    """Detach and return the comment lines after the value of ``key`` that sit at most at
    ``column`` (they lead to whatever comes next); its end-of-line comment, and lines
    indented under the value, stay."""
    value = node[key]
    if isinstance(value, CommentedMap | CommentedSeq) and len(value) and not value.fa.flow_style():
        last = list(value.keys())[-1] if isinstance(value, CommentedMap) else len(value) - 1
        return _take_tail(value, last, column)
    entry = node.ca.items.get(key)
    slot = 2 if isinstance(node, CommentedMap) else 0
    token = entry[slot] if entry else None
    if not isinstance(token, CommentToken):
        return []
    eol, *lines = token.value.split("\n")
    cut = next(
        (i for i, line in enumerate(lines) if line.strip() and _indent(line) <= column),
        len(lines),
    )
    stay, leave = lines[:cut], [line for line in lines[cut:]]
    while leave and not leave[-1].strip():
        leave.pop()
    if not leave:
        return []
    kept = "\n".join([eol, *stay])
    token.value = kept if kept.endswith("\n") else kept + "\n"
    return leave


def _append_tail(
    node: CommentedMap | CommentedSeq, key: Any, lines: list[str], column: int
) -> None:
    """Put comment lines after the value of ``key`` (in the deepest last entry)."""
    value = node[key]
    if isinstance(value, CommentedMap | CommentedSeq) and len(value) and not value.fa.flow_style():
        last = list(value.keys())[-1] if isinstance(value, CommentedMap) else len(value) - 1
        _append_tail(value, last, lines, column)
        return
    slot = 2 if isinstance(node, CommentedMap) else 0
    entry = node.ca.items.setdefault(key, [None, None, None, None])
    token = entry[slot]
    text = "\n".join(" " * column + line.strip() if line.strip() else "" for line in lines)
    if isinstance(token, CommentToken):
        token.value = token.value + text + "\n"
    else:
        entry[slot] = CommentToken("\n" + text + "\n", CommentMark(column))


def _lines(tokens: Any) -> list[str]:
    """The comment lines of a list of comment tokens (blank lines kept)."""
    out: list[str] = []
    for token in tokens or ():
        if isinstance(token, CommentToken):
            out.extend(token.value.rstrip("\n").split("\n"))
    return out


def _token(line: str, column: int) -> CommentToken:
    return CommentToken((line.strip() + "\n") if line.strip() else "\n", CommentMark(column))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _holds_comments(node: CommentedMap | CommentedSeq) -> bool:
    if any(node.ca.comment or ()) or any(any(e or ()) for e in node.ca.items.values()):
        return True
    if getattr(node.ca, "end", None):
        return True
    children = node.values() if isinstance(node, CommentedMap) else node
    nested = [c for c in children if isinstance(c, CommentedMap | CommentedSeq)]
    return any(_holds_comments(child) for child in nested)


def _comments(node: Any) -> Counter[str]:
    """Every comment of a loaded document, as its lines (blank lines left out)."""
    found: Counter[str] = Counter()
    seen: set[int] = set()  # a token can hang in two places (a section's first comment)

    def add(token: Any) -> None:
        if isinstance(token, CommentToken) and id(token) not in seen:
            seen.add(id(token))
            found.update(line.strip() for line in token.value.split("\n") if line.strip())
        elif isinstance(token, list):
            for item in token:
                add(item)

    def walk(value: Any) -> None:
        if isinstance(value, CommentedMap | CommentedSeq):
            add(value.ca.comment)
            add(getattr(value.ca, "end", None))
            for entry in value.ca.items.values():
                add(entry)
            children = value.values() if isinstance(value, CommentedMap) else value
            for child in children:
                walk(child)

    walk(node)
    return found


# -- the emitter ----------------------------------------------------------------------------


class _Emitter(LineBreakingQuotes, Emitter):
    """ruamel's emitter, writing multi-line double-quoted scalars as export does."""
