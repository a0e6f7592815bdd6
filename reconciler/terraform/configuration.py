"""One Terraform configuration: the files given from one directory, parsed with python-hcl2,
and what its blocks declare (resources, data sources, variables, locals).

A file is Terraform when its name ends in ``.tf`` or when its content has a Terraform
block at the start of a line, whatever it is called (``looks_like_terraform``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hcl2.api import parses
from hcl2.rules.base import AttributeRule, BlockRule
from hcl2.rules.indexing import GetAttrExprTermRule
from hcl2.rules.literal_rules import IdentifierRule
from hcl2.rules.strings import StringRule
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from reconciler.terraform.evaluate import INTEGRATION, Evaluator, Scope, line_of, name_of
from reconciler.terraform.values import (
    IntegrationRef,
    Unsupported,
    describe,
    to_bool,
    to_number,
    to_string,
)

# An HCL block at the start of a line (no JSON line starts so).
_HCL_RESOURCE = re.compile(r'^[ \t]*(resource|data)[ \t]+"([\w-]+)"[ \t]+"[^"\n]*"[ \t]*\{', re.M)
_HCL_BLOCK = re.compile(
    r'^[ \t]*(terraform|provider|module|variable|output|locals)\b[ \t]*("[^"\n]*")?[ \t]*\{',
    re.M,
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def looks_like_terraform(path: Path, text: str) -> bool:
    """A ``.tf`` file, or one whose content has a Terraform block."""
    return path.name.endswith(".tf") or bool(_HCL_RESOURCE.search(text) or _HCL_BLOCK.search(text))


@dataclass
class Block:
    """One block of a file: ``resource "T" "N" {...}``, ``variable "v" {...}``, ..."""

    path: Path
    rule: BlockRule
    kind: str
    labels: tuple[str, ...]

    @property
    def line(self) -> int | None:
        return line_of(self.rule)

    @property
    def address(self) -> str:
        """``T.N`` for a resource, ``data.T.N``, ``module.N``, ``var.N``."""
        prefix = {"resource": "", "variable": "var."}.get(self.kind, f"{self.kind}.")
        return prefix + ".".join(self.labels)

    @property
    def label(self) -> str:
        """``resource "T" "N"`` as written."""
        return " ".join([self.kind, *(f'"{x}"' for x in self.labels)])

    def items(self) -> Iterator[AttributeRule | BlockRule]:
        for child in self.rule.body.children:
            if isinstance(child, AttributeRule | BlockRule):
                yield child

    def attribute(self, name: str) -> Any:
        """The expression of attribute ``name``, or None."""
        for item in self.items():
            if isinstance(item, AttributeRule) and attr_name(item) == name:
                return item.expression
        return None


@dataclass
class Configuration:
    """The blocks of the files given from one directory, and the problems reading them."""

    directory: Path
    files: list[Path]
    resources: list[Block] = field(default_factory=list)
    data: list[Block] = field(default_factory=list)
    modules: list[Block] = field(default_factory=list)
    variables: dict[str, Block] = field(default_factory=dict)
    local_exprs: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        """The configuration in a message: its file, or its directory and files."""
        if len(self.files) == 1:
            return str(self.files[0])
        return f"{self.directory} ({', '.join(p.name for p in self.files)})"

    def add(self, path: Path, text: str) -> None:
        """Parse one file and take its blocks; a file that is not HCL is one problem."""
        try:
            start = parses(text)
        except UnexpectedInput as exc:
            self.problems.append(f"{path}:{exc.line}:{exc.column}: not valid HCL: {_why(exc)}")
            return
        except Exception as exc:  # the parser's own checks (a duplicate attribute, ...)
            self.problems.append(f"{path}: not valid HCL: {str(exc).splitlines()[0]}")
            return
        self.files.append(path)
        for child in start.body.children:
            if isinstance(child, AttributeRule):
                self.problems.append(
                    f"{path}:{line_of(child)}: {attr_name(child)} = ...: an attribute outside "
                    "any block is not Terraform"
                )
            elif isinstance(child, BlockRule):
                self._take(Block(path, child, name_of(child.labels[0]), _labels(child)))

    def _take(self, block: Block) -> None:
        where = f"{block.path}:{block.line}"
        if block.kind in ("resource", "data") and len(block.labels) == 2:
            found = self.resources if block.kind == "resource" else self.data
            twice = next((b for b in found if b.labels == block.labels), None)
            if twice is not None:
                self.problems.append(
                    f"{where}: {block.label} is declared twice (also {twice.path}:{twice.line})"
                )
            found.append(block)
        elif block.kind == "module" and len(block.labels) == 1:
            self.modules.append(block)
        elif block.kind == "variable" and len(block.labels) == 1:
            if block.labels[0] in self.variables:
                self.problems.append(f"{where}: variable {block.labels[0]!r} is declared twice")
            self.variables[block.labels[0]] = block
        elif block.kind == "locals":
            for item in block.items():
                if not isinstance(item, AttributeRule) or attr_name(item) in self.local_exprs:
                    what = (
                        f"local.{attr_name(item)} is defined twice"
                        if isinstance(item, AttributeRule)
                        else "a block inside locals"
                    )
                    self.problems.append(f"{block.path}:{line_of(item)}: {what}")
                    continue
                self.local_exprs[attr_name(item)] = item.expression


def attr_name(rule: AttributeRule) -> str:
    return name_of(rule.identifier)


def _labels(rule: BlockRule) -> tuple[str, ...]:
    labels = []
    for label in rule.labels[1:]:
        if isinstance(label, StringRule):
            labels.append("".join(str(p.content.value) for p in label.string_parts))
        else:
            labels.append(name_of(label))
    return tuple(labels)


def _why(exc: UnexpectedInput) -> str:
    if isinstance(exc, UnexpectedToken):
        text = str(exc.token)
        if exc.token.type == "$END":
            return "unexpected end of file"
        return "unexpected end of line" if text[:1] in "\r\n" else f"unexpected {text.strip()!r}"
    if isinstance(exc, UnexpectedCharacters):
        return f"unexpected character {exc.char!r}"
    if isinstance(exc, UnexpectedEOF):
        return "unexpected end of file"
    return str(exc).splitlines()[0]  # pragma: no cover - lark has no other kind


# -- variables ----------------------------------------------------------------------------


def parse_var_options(pairs: tuple[str, ...] | list[str]) -> tuple[dict[str, str], list[str]]:
    """``--var NAME=VALUE`` options as a mapping, and a problem for each malformed one."""
    values: dict[str, str] = {}
    problems = []
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not _NAME.match(name):
            problems.append(f"--var {pair!r}: expected NAME=VALUE (NAME a Terraform variable name)")
        else:
            values[name] = value
    return values, problems


def variable_value(block: Block | None, given: str) -> Any:
    """A ``--var`` value, typed as the variable's ``type`` says: a string unless the type
    is ``number`` or ``bool``, or a collection (then the value is read as HCL)."""
    type_expr = block.attribute("type") if block is not None else None
    kind = _type_name(type_expr)
    what = f"--var {block.labels[0] if block else ''}".rstrip()
    if kind in (None, "string", "any"):
        return given
    if kind == "number":
        return to_number(given, what)
    if kind == "bool":
        return to_bool(given, what)
    try:
        expression = parses(f"x = {given}\n").body.children[0].expression
    except Exception as exc:  # the parser's errors: not an HCL value
        raise Unsupported(f"{what}: {describe(given)} is not an HCL value of its type") from exc
    return Evaluator(None).value(expression)


def _type_name(expression: Any) -> str | None:
    inner = getattr(expression, "expression", expression)
    if inner is None:
        return None
    return name_of(inner) if isinstance(inner, IdentifierRule) else "collection"


def default_value(block: Block) -> tuple[bool, Any]:
    """(has a default, its value)."""
    expression = block.attribute("default")
    if expression is None:
        return False, None
    return True, Evaluator(None).value(expression)


# -- references ---------------------------------------------------------------------------


def references(node: Any) -> set[str]:
    """The names an expression refers to: ``var.x``, ``local.y``, and the integrations
    ``genesyscloud_integration.N`` / ``data.genesyscloud_integration.N``."""
    found: set[str] = set()
    _walk(node, found)
    return found


def _walk(node: Any, found: set[str]) -> None:
    if isinstance(node, GetAttrExprTermRule):
        base = getattr(node.expr_term, "expression", None)
        if isinstance(base, IdentifierRule):
            root, first = name_of(base), name_of(node.get_attr.identifier)
            if root in ("var", "local", INTEGRATION):
                found.add(f"{root}.{first}")
            elif root == "data" and first == INTEGRATION:
                parent = node.parent.parent if node.parent is not None else None
                if isinstance(parent, GetAttrExprTermRule):
                    found.add(f"data.{INTEGRATION}.{name_of(parent.get_attr.identifier)}")
    for child in getattr(node, "children", ()):
        if child is not None:
            _walk(child, found)


def integration_expressions(block: Block) -> tuple[Any, Any]:
    """The expressions of an integration's name and type: ``config { name }`` and
    ``integration_type`` of a resource, ``name`` of a data source."""
    if block.kind == "data":
        return block.attribute("name"), None
    settings = next(
        (c for c in block.items() if isinstance(c, BlockRule) and name_of(c.labels[0]) == "config"),
        None,
    )
    name = Block(block.path, settings, "config", ()).attribute("name") if settings else None
    return name, block.attribute("integration_type")


def integrations(config: Configuration, scope: Scope) -> dict[str, IntegrationRef]:
    """The integrations the configuration declares, with what it says of their names."""
    return {
        block.address: _integration(block, scope, *integration_expressions(block))
        for block in [*config.resources, *config.data]
        if block.labels[0] == INTEGRATION
    }


def _integration(block: Block, scope: Scope, name_expr: Any, type_expr: Any) -> IntegrationRef:
    try:
        name = to_string(Evaluator(scope).value(name_expr), "name") if name_expr else None
        type_id = to_string(Evaluator(scope).value(type_expr), "type") if type_expr else None
    except Unsupported as exc:
        return IntegrationRef(block.address, why=f"its name: {exc}")
    return IntegrationRef(block.address, name or None, type_id)


def scope_for(config: Configuration, values: Mapping[str, Any]) -> Scope:
    scope = Scope(config.directory, values, config.local_exprs)
    scope.integrations = integrations(config, scope)
    return scope
