"""A live action (API shape) as one YAML action file of ours (one action per file).

The file is built from the canonical form of ``reconciler.diff``, so everything that form
ignores (server-owned fields, default templates, empty maps) stays out of the file, and a
plan of the written file against the same live action shows no change (rule 6 of
docs/architecture.md).
Multi-line strings become literal block scalars when that is loss-free, else double-quoted.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any

import yaml

from reconciler.config.loader import PROJECT_FILE_NAMES
from reconciler.config.model import (
    DEFAULT_REQUEST_TEMPLATE,
    DEFAULT_SUCCESS_TEMPLATE,
    FUNCTION_DEFAULT_TIMEOUT,
)
from reconciler.genesys.wire import canonical_live

# Leaf mappings and lists of a contract schema this short stay on one line: {type: string}.
FLOW_WIDTH = 72
MAX_SLUG = 80
SCHEMA_DIR = "schemas"
_LINE_BREAKS = "\n\x85\u2028\u2029"


def action_to_data(action: dict[str, Any], integration_name: str) -> dict[str, Any]:
    """The action-file mapping of a live action, in file key order, defaults left out."""
    canon = canonical_live(action, {str(action.get("integrationId", "")): integration_name})
    data: dict[str, Any] = {"name": canon["name"], "integration": integration_name}
    if canon["category"] != integration_name:
        data["category"] = canon["category"]
    if canon["secure"]:
        data["secure"] = True
    if canon["timeoutSeconds"] is not None:
        data["timeoutSeconds"] = canon["timeoutSeconds"]
    data["contract"] = canon["contract"]
    data["request"] = _without_defaults(
        canon["request"], "requestTemplate", DEFAULT_REQUEST_TEMPLATE
    )
    response = _without_defaults(canon["response"], "successTemplate", DEFAULT_SUCCESS_TEMPLATE)
    if response:
        data["response"] = response
    function = canon.get("function")
    if function is not None:
        data["function"] = _function_data(function)
    return data


def _function_data(function: dict[str, Any]) -> dict[str, Any]:
    """A Function action's settings; never its package, which the org will not hand out
    (there is no download endpoint): the file then leaves the org's package alone."""
    out: dict[str, Any] = {"handler": function["handler"], "runtime": function["runtime"]}
    if function["timeoutSeconds"] != FUNCTION_DEFAULT_TIMEOUT:
        out["timeoutSeconds"] = function["timeoutSeconds"]
    if function["description"]:
        out["description"] = function["description"]
    return out


def package_comment(action: dict[str, Any]) -> str:
    """The comment that opens an exported Function action's file: why it names no package."""
    function = canonical_live(action, {}).get("function")
    if function is None:
        return ""
    live = function.get("package") or "none uploaded"
    return (
        "# function.package: the code package cannot be downloaded from the org, so this file\n"
        f"# leaves it alone (in the org: {live}). To manage the code, add\n"
        "# `package: <directory or .zip next to this file>` under function:.\n"
    )


def _without_defaults(section: dict[str, Any], template: str, default: str) -> dict[str, Any]:
    # Empty strings and maps are what the canonical form reads an absent field as.
    return {
        k: v
        for k, v in section.items()
        if v not in ("", {}) and not (k == template and v == default)
    }


def action_to_yaml(
    action: dict[str, Any],
    integration_name: str,
    *,
    schema_ref: str | None = None,
    package: str | None = None,
    org_comment: bool = True,
    adjust: Callable[[dict[str, Any]], object] | None = None,
) -> str:
    """One YAML document for a live action; ``schema_ref`` adds the editor schema comment.
    A Function action's file names ``package`` when given; else, with ``org_comment``, a
    comment says why it names none (the org does not hand packages out). ``adjust`` may
    change the file's data before it is written (export puts placeholders back)."""
    data = action_to_data(action, integration_name)
    if adjust is not None:
        adjust(data)
    data["contract"] = {part: _compact(schema) for part, schema in data["contract"].items()}
    if package is not None and "function" in data:
        data["function"]["package"] = package
    comment = package_comment(action) if org_comment and package is None else ""
    text = comment + dump_yaml(data)
    if schema_ref is not None:
        text = f"# yaml-language-server: $schema={schema_ref}\n{text}"
    return text


def dump_yaml(data: Any) -> str:
    """Plain data as deterministic YAML that our strict loader reads back unchanged."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 20,  # never fold: a folded plain scalar reads badly in a git diff
        indent=2,
    )


def file_name_for(name: str, taken: Collection[str] = ()) -> str:
    """A safe, lower-case ``.yaml`` file name for an action name, not in ``taken``.

    ``Get User Presence`` -> ``get-user-presence.yaml``; a clash gets ``-2``, ``-3``, ...
    The project file names are always taken.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:MAX_SLUG].rstrip("-")
    slug = slug or "action"
    used = {t.lower() for t in taken} | set(PROJECT_FILE_NAMES)
    candidate, number = f"{slug}.yaml", 1
    while candidate in used:
        number += 1
        candidate = f"{slug}-{number}.yaml"
    return candidate


class _FlowMap(dict[str, Any]):
    """A mapping written in flow style."""


class _FlowList(list[Any]):
    """A sequence written in flow style."""


def _compact(node: Any) -> Any:
    """Mark short leaf collections for flow style, so schemas read like the examples."""
    if isinstance(node, dict):
        items = {k: _compact(v) for k, v in node.items()}
        if is_short_leaf([*node, *node.values()]):
            return _FlowMap(items)
        return items
    if isinstance(node, list):
        values = [_compact(v) for v in node]
        return _FlowList(values) if is_short_leaf(node) else values
    return node


def is_short_leaf(values: list[Any]) -> bool:
    if not all(v is None or isinstance(v, str | int | float | bool) for v in values):
        return False
    texts = [str(v) for v in values]
    return all("\n" not in t for t in texts) and sum(len(t) + 2 for t in texts) <= FLOW_WIDTH


def block_safe(text: str) -> bool:
    """Whether a literal block scalar (``|``, ``|-``, ``|+``) holds ``text`` exactly.

    Not when a line ends in a space (block scalars drop it), when the first line starts
    with a space or is empty (that needs an indentation indicator), or when a character
    is one YAML escapes or reads as a line break (tab, CR, NEL, LS, PS, BOM, controls).
    """
    if "\n" not in text or text[0] in " \n":
        return False
    if any(line.endswith(" ") for line in text.split("\n")):
        return False
    return all(ch == "\n" or _printable(ch) for ch in text)


def _printable(ch: str) -> bool:
    # PyYAML's printable set with allow_unicode; NEL, LS and PS are line breaks to YAML.
    return (
        "\x20" <= ch <= "\x7e"
        or ("\xa0" <= ch <= "\ud7ff" and ch not in "\u2028\u2029")
        or ("\ue000" <= ch <= "\ufffd" and ch != "\ufeff")
        or "\U00010000" <= ch < "\U0010ffff"
    )


class LineBreakingQuotes:
    """For a YAML emitter (PyYAML's, or ruamel's in ``dactl fmt``): a multi-line string
    that must be double-quoted (one a block scalar cannot hold: CRLF line ends, a tab, a
    trailing space) is written one line of its content per line of YAML: after each
    escaped ``\\n`` an escaped line break (``\\`` at the end of the line), and the next
    line's leading space escaped (``\\ ``), since YAML drops it there. The text read back is
    the same; the diff of a changed template is a line diff."""

    def write_double_quoted(self, text: Any, split: Any = True) -> None:
        emitter: Any = self  # the emitter this is mixed into
        if not split or emitter.root_context or "\n" not in text.rstrip("\n"):
            super().write_double_quoted(text, split)  # type: ignore[misc]
            return
        emitter.write_indicator('"', True)
        lines = text.split("\n")
        for i, line in enumerate(lines):
            part = line if i == len(lines) - 1 else line + "\n"
            if i and part.startswith(" "):
                self._raw("\\ ")
                part = part[1:]
            self._raw(self._escaped(part))
            if i < len(lines) - 1 and "".join(lines[i + 1 :]):
                self._raw("\\")
                emitter.write_indent()
                emitter.whitespace = False
                emitter.indention = False
        emitter.write_indicator('"', False)

    def _escaped(self, text: str) -> str:
        emitter: Any = self
        out = []
        for ch in text:
            printable = "\x20" <= ch <= "\x7e" or (
                emitter.allow_unicode
                and ("\xa0" <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd" or ch >= "\U00010000")
            )
            if ch in '"\\\x85\u2028\u2029\ufeff' or not printable:
                if ch in emitter.ESCAPE_REPLACEMENTS:
                    out.append("\\" + emitter.ESCAPE_REPLACEMENTS[ch])
                elif ch <= "\xff":
                    out.append(f"\\x{ord(ch):02X}")
                elif ch <= "\uffff":
                    out.append(f"\\u{ord(ch):04X}")
                else:
                    out.append(f"\\U{ord(ch):08X}")
            else:
                out.append(ch)
        return "".join(out)

    def _raw(self, data: str) -> None:
        emitter: Any = self
        emitter.column += len(data)
        emitter.stream.write(data.encode(emitter.encoding) if emitter.encoding else data)


class _Dumper(LineBreakingQuotes, yaml.SafeDumper):
    """SafeDumper with literal blocks for multi-line strings, flow leaves, and no aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = None
    # PyYAML would pick single quotes for some of these and write NEL/LS/PS raw, which
    # reads back as a folded line; double quotes escape them.
    if any(ch in data for ch in _LINE_BREAKS):
        style = "|" if block_safe(data) else '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _represent_flow_map(dumper: yaml.SafeDumper, data: _FlowMap) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


def _represent_flow_list(dumper: yaml.SafeDumper, data: _FlowList) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_FlowMap, _represent_flow_map)
_Dumper.add_representer(_FlowList, _represent_flow_list)


def schema_ref(directory: Path, kind: str) -> str | None:
    """A relative path to ``schemas/<kind>.schema.json`` for the editor comment, when the
    directory sits in a repository that has one (``../schemas/action.schema.json`` for
    ``actions/``); looked for upwards, up to the repository root."""
    start = directory.resolve()
    for folder in (start, *start.parents):
        schema = folder / SCHEMA_DIR / f"{kind}.schema.json"
        if schema.is_file():
            return Path(os.path.relpath(schema, start)).as_posix()
        if (folder / ".git").exists():
            return None
    return None


def action_schema_ref(directory: Path) -> str | None:
    """The editor schema comment's target for action files in ``directory``: the per-file
    schema (``action-file``, which takes files that ``extends`` a template), else the full
    action schema of a repository that copied its schemas before the per-file one existed
    (files written here use no ``extends``, so it fits them)."""
    return schema_ref(directory, "action-file") or schema_ref(directory, "action")


def project_yaml(directory: Path, integrations: Iterable[str], note: str) -> str:
    """A ``dactl.yaml`` holding only the scope; ``note`` opens its comment."""
    ref = schema_ref(directory, "project")
    head = f"# yaml-language-server: $schema={ref}\n" if ref else ""
    head += (
        f"# {note}\n"
        "# The org to connect to comes from the environment (GENESYSCLOUD_REGION or\n"
        "# GENESYSCLOUD_API_URL, and the client credentials).\n"
    )
    return head + dump_yaml({"scope": {"integrations": list(integrations)}})
