"""Terraform expressions evaluated over python-hcl2's typed rule tree (``hcl2.api.parses``).

The subset data action configurations are written in: literals, strings and heredocs with
Terraform's escapes (``$${`` is ``${``, ``%%{`` is ``%{``), ``${...}`` interpolation,
``%{ for }`` and ``%{ if }`` directives (with ``~`` strip markers), objects, tuples, indexes,
``a ? b : c``, operators, ``for`` expressions, ``var.*``, ``local.*``, ``path.module``,
integration references, and the functions of ``functions`` plus ``file`` and
``templatefile`` (paths relative to the configuration's directory). Anything else is an
``Unsupported`` naming it, with its line: never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hcl2.rules.abstract import LarkElement, LarkToken
from hcl2.rules.containers import (
    ObjectElemKeyExpressionRule,
    ObjectRule,
    TupleRule,
)
from hcl2.rules.directives import TemplateElseRule, TemplateForRule, TemplateIfRule
from hcl2.rules.expressions import (
    BinaryOpRule,
    ConditionalRule,
    ExprTermRule,
    UnaryOpRule,
)
from hcl2.rules.for_expressions import ForObjectExprRule, ForTupleExprRule
from hcl2.rules.functions import FunctionCallRule
from hcl2.rules.indexing import GetAttrExprTermRule, IndexExprTermRule, ShortIndexRule
from hcl2.rules.literal_rules import (
    FloatLitRule,
    IdentifierRule,
    IntLitRule,
    KeywordRule,
    LiteralValueRule,
)
from hcl2.rules.strings import (
    HeredocTemplateRule,
    InterpolationRule,
    StringRule,
    TemplateStringRule,
)

from reconciler.terraform import functions
from reconciler.terraform.strings import (
    STRIP_LEFT,
    STRIP_RIGHT,
    decode,
    hides_a_template,
    join_segments,
    parse_string,
)
from reconciler.terraform.values import (
    IntegrationRef,
    Unsupported,
    equal,
    number,
    to_bool,
    to_number,
    to_string,
    type_name,
)

INTEGRATION = "genesyscloud_integration"


def line_of(node: Any) -> int | None:
    """The line a rule starts on, as the parser recorded it."""
    return getattr(getattr(node, "_meta", None), "line", None)


def name_of(rule: Any) -> str:
    """An identifier's (or keyword's) text."""
    return str(rule.token.value)


@dataclass
class Scope:
    """What names mean in one configuration: its directory (``path.module``), variable
    values, ``locals`` expressions and the integrations it declares."""

    directory: Path
    variables: Mapping[str, Any] = field(default_factory=dict)
    local_exprs: Mapping[str, Any] = field(default_factory=dict)
    integrations: Mapping[str, IntegrationRef] = field(default_factory=dict)
    _locals: dict[str, Any] = field(default_factory=dict)
    _evaluating: list[str] = field(default_factory=list)

    def local(self, name: str, line: int | None) -> Any:
        if name in self._locals:
            return self._locals[name]
        if name not in self.local_exprs:
            raise Unsupported(f"local.{name} is not defined in this configuration", line)
        if name in self._evaluating:
            cycle = " -> ".join(f"local.{n}" for n in [*self._evaluating, name])
            raise Unsupported(f"the locals refer to each other in a cycle: {cycle}", line)
        self._evaluating.append(name)
        try:
            value = Evaluator(self).value(self.local_exprs[name])
        finally:
            self._evaluating.pop()
        self._locals[name] = value
        return value


class Evaluator:
    """Values of expressions, in a ``Scope`` (None: a template given only ``names``, as
    ``templatefile`` gives its template), with iterator ``names`` on top."""

    def __init__(
        self,
        scope: Scope | None,
        names: Mapping[str, Any] | None = None,
        *,
        heredoc: bool = False,
        directory: Path | None = None,
    ) -> None:
        self.scope = scope
        self.names = dict(names or {})
        self.heredoc = heredoc  # strings here were a heredoc's or a template file's text
        self.directory = directory or (scope.directory if scope else Path())

    def _with(self, names: Mapping[str, Any]) -> Evaluator:
        return Evaluator(
            self.scope, {**self.names, **names}, heredoc=self.heredoc, directory=self.directory
        )

    def value(self, node: Any) -> Any:
        """The value of one expression rule."""
        try:
            return self._value(node)
        except Unsupported as exc:
            if exc.line is None:
                exc.line = line_of(node)
            raise
        except RecursionError as exc:
            raise Unsupported("the expression is nested too deeply", line_of(node)) from exc

    def _value(self, node: Any) -> Any:  # one branch per kind of rule
        if isinstance(node, ExprTermRule):
            return self.value(node.expression)
        if isinstance(node, StringRule):
            return self.template(node.string_parts)
        if isinstance(node, HeredocTemplateRule):  # and its <<- subclass
            return self._heredoc(node)
        if isinstance(node, IntLitRule):
            return int(str(node.token.value))
        if isinstance(node, FloatLitRule):
            return number(float(str(node.token.value)))
        if isinstance(node, LiteralValueRule):
            return {"true": True, "false": False, "null": None}[str(node.token.value)]
        if isinstance(node, TupleRule):
            return [self.value(element) for element in node.elements]
        if isinstance(node, ObjectRule):
            return self._object(node)
        if isinstance(node, IdentifierRule | GetAttrExprTermRule | IndexExprTermRule):
            return self._reference(node)
        if isinstance(node, FunctionCallRule):
            return self._call(node)
        if isinstance(node, ConditionalRule):
            test = to_bool(self.value(node.condition), "the condition of ? :")
            return self.value(node.if_true if test else node.if_false)
        if isinstance(node, BinaryOpRule):
            return self._binary(node)
        if isinstance(node, UnaryOpRule):
            operand = self.value(node.expr_term)
            if node.operator.strip() == "!":
                return not to_bool(operand, "the operand of !")
            return number(-to_number(operand, "the operand of -"))
        if isinstance(node, ForTupleExprRule | ForObjectExprRule):
            return self._for_expression(node)
        if isinstance(node, TemplateStringRule) and self.heredoc:
            return self._nested_string(node.inner_value)
        raise Unsupported(f"{_kind(node)} is not supported")

    # -- strings -------------------------------------------------------------------------

    def template(self, parts: list[Any]) -> Any:
        """A quoted string's value. One lone ``${x}`` is the value of ``x`` itself, of its
        own type, as in Terraform."""
        if len(parts) == 1 and isinstance(parts[0].content, InterpolationRule):
            return self.value(parts[0].content.expression)
        return join_segments(self._segments(parts))

    def _segments(self, parts: list[Any]) -> list[Any]:
        out: list[Any] = []
        for part in parts:
            content = part.content
            if isinstance(content, LarkToken) and hides_a_template(str(content.value)):
                text = str(content.value)  # $${input.${k}: "${" then a template
                out.append(("text", text[1:3]))
                rest = parse_string(text[3:], "the text after an escaped $${ or %%{")
                out.extend(self._segments(rest.string_parts))
            elif isinstance(content, LarkToken):
                out.append(("text", decode(str(content.value))))
            elif isinstance(content, InterpolationRule):
                value = self.value(content.expression)
                if value is None:
                    raise Unsupported("a ${...} whose value is null", line_of(content))
                out.append(("value", to_string(value, "${...}")))
            elif isinstance(content, TemplateIfRule):
                out.extend(self._if_directive(content))
            elif isinstance(content, TemplateForRule):
                out.extend(self._for_directive(content))
            else:  # an %{ else }, %{ endif } or %{ endfor } without its start
                raise Unsupported(f"a stray {_kind(content)} directive", line_of(content))
        return out

    def _if_directive(self, rule: TemplateIfRule) -> list[Any]:
        start, *middle, end = rule.children
        split = next((i for i, c in enumerate(middle) if isinstance(c, TemplateElseRule)), None)
        else_rule = middle[split] if split is not None else None
        test = to_bool(self.value(start.condition), "%{ if }")
        out: list[Any] = [STRIP_LEFT] if start.strip_open else []
        if test:
            body, opens, closes = middle[:split], start.strip_close, (else_rule or end).strip_open
        elif else_rule is not None and split is not None:
            body, opens, closes = middle[split + 1 :], else_rule.strip_close, end.strip_open
        else:
            body, opens, closes = [], False, False
        out += [STRIP_RIGHT] * opens + self._segments(body) + [STRIP_LEFT] * closes
        return out + [STRIP_RIGHT] * end.strip_close

    def _for_directive(self, rule: TemplateForRule) -> list[Any]:
        start, *body, end = rule.children
        out: list[Any] = [STRIP_LEFT] if start.strip_open else []
        for names in self._iterations(
            start.iterator, start.key_iterator, start.collection, directive=True
        ):
            out += [STRIP_RIGHT] * start.strip_close
            out += self._with(names)._segments(body)
            out += [STRIP_LEFT] * end.strip_open
        return out + [STRIP_RIGHT] * end.strip_close

    def _iterations(
        self, first: Any, second: Any, collection: Any, directive: bool = False
    ) -> list[dict[str, Any]]:
        """The iterator names of each round of a ``for``: ``for v in`` or ``for k, v in``;
        a map goes in key order, as in Terraform."""
        items = self.value(collection)
        if isinstance(items, list):
            pairs: list[tuple[Any, Any]] = list(enumerate(items))
        elif isinstance(items, dict):
            pairs = sorted(items.items())
        else:
            names = ", ".join(name_of(n) for n in (first, second) if n is not None)
            what = _source(collection)
            construct = f"%{{ for {names} in {what} }}" if directive else f"for {names} in {what}"
            hint = " (a --var value is a string unless its variable block declares a type)"
            raise Unsupported(
                f"{construct}: {what} is {type_name(items)}, not a list or a map"
                + (hint if what.startswith("var.") else ""),
                line_of(collection),
            )
        if second is None:
            return [{name_of(first): value} for _, value in pairs]
        return [{name_of(first): key, name_of(second): value} for key, value in pairs]

    def _heredoc(self, node: HeredocTemplateRule) -> Any:
        """A heredoc is a template too: its lines (each with its newline; ``<<-`` takes
        the common indentation off) are parsed and evaluated as a template's text."""
        opener, *lines = str(node.heredoc.value).split("\n")
        body = [line.removesuffix("\r") for line in lines[:-2]]  # then the marker, ""
        if opener.startswith("<<-"):
            indents = [len(x) - len(x.lstrip(" \t")) for x in body if x.strip(" \t")]
            body = [line[min(indents, default=0) :] for line in body]
        return self.template_text("".join(f"{line}\n" for line in body))

    def template_text(self, text: str) -> Any:
        """The value of a template's text (a heredoc's, or a template file's)."""
        quoted = (
            text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        )
        string = parse_string(quoted, "this template")
        return Evaluator(self.scope, self.names, heredoc=True, directory=self.directory).template(
            string.string_parts
        )

    def _nested_string(self, inner: str) -> Any:
        """A quoted string inside a heredoc's ``${...}``: its source, unescaped once."""
        source = re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m[1], m[1]), inner)
        string = parse_string(source, "a quoted string inside a heredoc's ${...}")
        return Evaluator(self.scope, self.names, directory=self.directory).template(
            string.string_parts
        )

    # -- collections and operators -------------------------------------------------------

    def _object(self, node: ObjectRule) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for element in node.elements:
            key_rule: Any = element.key
            if isinstance(key_rule, ObjectElemKeyExpressionRule):
                key = to_string(self.value(key_rule.expression), "an object key")
            else:
                inner = key_rule.value
                if isinstance(inner, IdentifierRule | KeywordRule):
                    key = name_of(inner)  # a bare name is the key itself, never a reference
                else:
                    key = to_string(self.value(inner), "an object key")
            if key in out:
                raise Unsupported(f"the key {key!r} twice in one object", line_of(element))
            out[key] = self.value(element.expression)
        return out

    def _binary(self, node: BinaryOpRule) -> Any:
        operator = str(node.binary_term.binary_operator.token.value)
        left = self.value(node.expr_term)
        if operator in ("&&", "||"):
            if to_bool(left, operator) is (operator == "||"):
                return left
            return to_bool(self.value(node.binary_term.expr_term), operator)
        right = self.value(node.binary_term.expr_term)
        if operator in ("==", "!="):
            return equal(left, right) is (operator == "==")
        a, b = to_number(left, operator), to_number(right, operator)
        if operator in ("/", "%") and b == 0:
            raise Unsupported(f"{operator} by zero")
        results: dict[str, Callable[[], Any]] = {
            "<": lambda: a < b,
            ">": lambda: a > b,
            "<=": lambda: a <= b,
            ">=": lambda: a >= b,
            "+": lambda: a + b,
            "-": lambda: a - b,
            "*": lambda: a * b,
            "/": lambda: a / b,
            "%": lambda: a % b,
        }
        if operator not in results:
            raise Unsupported(f"the operator {operator}")
        result = results[operator]()
        return result if isinstance(result, bool) else number(result)

    def _for_expression(self, node: ForTupleExprRule | ForObjectExprRule) -> Any:
        intro = node.for_intro
        rounds = self._iterations(intro.first_iterator, intro.second_iterator, intro.iterable)
        kept = []
        for names in rounds:
            inner = self._with(names)
            if node.condition is None or to_bool(
                inner.value(node.condition.condition_expr), "the if of a for"
            ):
                kept.append(inner)
        if isinstance(node, ForTupleExprRule):
            return [inner.value(node.value_expr) for inner in kept]
        if node.ellipsis is not None:
            raise Unsupported("a for expression that groups (...)")
        out: dict[str, Any] = {}
        for inner in kept:
            key = to_string(inner.value(node.key_expr), "a for expression's key")
            if key in out:
                raise Unsupported(f"the for expression makes the key {key!r} twice")
            out[key] = inner.value(node.value_expr)
        return out

    # -- names ---------------------------------------------------------------------------

    def _reference(self, node: Any) -> Any:
        base, steps = _chain(node)
        line = line_of(node)
        if not isinstance(base, IdentifierRule):
            return self._apply(self.value(base), steps)
        root = name_of(base)
        if root in self.names:
            return self._apply(self.names[root], steps)
        attrs = [s for s in steps if isinstance(s, str)]
        if root == "var" and steps and isinstance(steps[0], str):
            scope = self._needs_scope("var")
            if steps[0] not in scope.variables:
                raise Unsupported(f"var.{steps[0]} has no value", line)
            return self._apply(scope.variables[steps[0]], steps[1:])
        if root == "local" and steps and isinstance(steps[0], str):
            return self._apply(self._needs_scope("local").local(steps[0], line), steps[1:])
        if root == "path" and steps[:1] in (["module"], ["root"]):
            return self._apply(str(self._needs_scope("path").directory), steps[1:])
        if root == "data" and len(attrs) >= 3 and steps[:3] == attrs[:3]:
            return self._resource(f"data.{attrs[0]}.{attrs[1]}", attrs[2], steps[3:], line)
        if root == "module":
            what = ".".join([root, *attrs[:2]])
            raise Unsupported(
                f"{what} is a module's output, known only once Terraform has applied the module",
                line,
            )
        if "_" in root and len(attrs) >= 2 and steps[:2] == attrs[:2]:
            return self._resource(f"{root}.{attrs[0]}", attrs[1], steps[2:], line)
        if root in ("each", "count", "self", "terraform", "path", "var", "local", "data"):
            raise Unsupported(f"{'.'.join([root, *attrs[:1]])} is not supported", line)
        raise Unsupported(f"unknown name {root!r}", line)

    def _resource(self, address: str, attribute: str, steps: list[Any], line: int | None) -> Any:
        kind = address.removeprefix("data.").split(".")[0]
        if kind != INTEGRATION or attribute != "id":
            what = "a data source's" if address.startswith("data.") else "another resource's"
            raise Unsupported(
                f"{address}.{attribute} is {what} attribute, known only to Terraform", line
            )
        scope = self._needs_scope(address)
        ref = scope.integrations.get(address) or IntegrationRef(address, defined=False)
        return self._apply(ref, steps)

    def _needs_scope(self, what: str) -> Scope:
        if self.scope is None:
            raise Unsupported(f"{what}: a template file sees only the variables given to it")
        return self.scope

    def _apply(self, value: Any, steps: list[Any]) -> Any:
        for step in steps:
            key: Any = step if isinstance(step, str | int) else self.value(step)
            if isinstance(value, dict):
                key = to_string(key, "an index")
                if key not in value:
                    raise Unsupported(f"the object has no key {key!r}")
                value = value[key]
            elif isinstance(value, list):
                index = to_number(key, "a list index")
                if not isinstance(index, int) or not 0 <= index < len(value):
                    raise Unsupported(f"the list has no index {index} (length {len(value)})")
                value = value[index]
            else:
                raise Unsupported(f"an index into {type_name(value)}")
        return value

    def _call(self, node: FunctionCallRule) -> Any:
        names = [name_of(i) for i in node.identifiers]
        name = "::".join(names)
        arguments = node.arguments
        if arguments is not None and arguments.has_ellipsis:
            raise Unsupported(f"{name}(...) with an expanding argument (...)")
        args = [self.value(a) for a in (arguments.arguments if arguments else [])]
        if name in ("file", "templatefile"):
            return self._file(name, args)
        return functions.call(name, args)

    def _file(self, name: str, args: list[Any]) -> Any:
        if len(args) != (1 if name == "file" else 2):
            raise Unsupported(f"{name}() takes {1 if name == 'file' else 2} arguments")
        path = self.directory / to_string(args[0], f"{name}()")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc.strerror
            raise Unsupported(f"{name}({str(args[0])!r}): {path} cannot be read: {reason}") from exc
        if name == "file":
            return text
        if not isinstance(args[1], dict):
            raise Unsupported("templatefile(): its variables must be an object")
        return Evaluator(None, args[1], directory=path.parent).template_text(text)


def _chain(node: Any) -> tuple[Any, list[Any]]:
    """``a.b[0].c`` as its base rule and the steps after it: attribute names, list
    positions, and index expressions."""
    steps: list[Any] = []
    while True:
        if isinstance(node, ExprTermRule) and not node.parentheses:
            node = node.expression
        elif isinstance(node, GetAttrExprTermRule):
            steps.append(name_of(node.get_attr.identifier))
            node = node.expr_term
        elif isinstance(node, IndexExprTermRule):
            index = node.children[1]
            is_short = isinstance(index, ShortIndexRule)
            steps.append(int(str(index.index.value)) if is_short else index.index_expression)
            node = node.children[0]
        else:
            return node, steps[::-1]


def _source(node: Any) -> str:
    """``var.x.y`` for a plain reference, else what it is."""
    base, steps = _chain(node)
    if isinstance(base, IdentifierRule) and all(isinstance(s, str | int) for s in steps):
        return ".".join([name_of(base), *map(str, steps)])
    return "its collection"


def _kind(node: LarkElement) -> str:
    names = {
        "attr_splat_expr_term": "a splat expression (.*)",
        "full_splat_expr_term": "a splat expression ([*])",
        "template_string": 'a \\"...\\" string inside a directive',
    }
    name = node.lark_name()
    return names.get(name, f"the {name.replace('_', ' ')}")
