"""``genesyscloud_integration_action`` resources (and ``_draft``) as actions in the API's
shape, with the argument names of the provider's schema
(``resource_genesyscloud_integration_action_schema.go``): each resource becomes a
``TerraformAction``, or one refusal line naming the file, the line, the resource and what
dactl cannot read. Nothing is guessed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hcl2.rules.base import AttributeRule, BlockRule
from hcl2.rules.expressions import ExprTermRule
from hcl2.rules.indexing import GetAttrExprTermRule
from hcl2.rules.literal_rules import IdentifierRule
from hcl2.rules.strings import InterpolationRule, StringRule

from reconciler.genesys.wire import FUNCTION_KEY
from reconciler.terraform.configuration import (
    Block,
    Configuration,
    attr_name,
    default_value,
    integration_expressions,
    looks_like_terraform,
    parse_var_options,
    references,
    scope_for,
    variable_value,
)
from reconciler.terraform.evaluate import INTEGRATION, Evaluator, Scope, line_of, name_of
from reconciler.terraform.values import (
    IntegrationRef,
    JsonText,
    Unsupported,
    describe,
    to_bool,
    to_int,
    to_string,
    to_string_map,
)

ACTION = "genesyscloud_integration_action"
DRAFT = "genesyscloud_integration_action_draft"
CUSTOM_AUTH = "genesyscloud_integration_custom_auth_action"
ARGUMENTS = {
    "name",
    "category",
    "integration_id",
    "secure",
    "config_timeout_seconds",
    "contract_input",
    "contract_output",
}
BLOCKS = {
    "config_request": {"request_url_template", "request_type", "request_template", "headers"},
    "config_response": {"translation_map", "translation_map_defaults", "success_template"},
    "function_config": {
        *("description", "handler", "runtime", "timeout_seconds", "zip_id", "file_path")
    },
}
IGNORED = {"depends_on", "lifecycle", "provider"}  # meta-arguments that change no action
_FIX = "pass --integration NAME (the integration's name in your org)"
__all__ = ["TerraformAction", "looks_like_terraform", "read_terraform"]


@dataclass
class TerraformAction:
    """One action resource read: the action (API shape), its integration's name and the
    type that name was assumed from (None when the configuration or --integration said
    it), a Function action's code (its settings are in the action, as a live action
    carries them), and notes."""

    source: Path
    action: dict[str, Any]
    integration: str
    type_id: str | None = None
    package: Path | None = None
    notes: list[str] = field(default_factory=list)


class _Refused(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def read_terraform(
    files: Sequence[tuple[Path, str]],
    *,
    integration: str | None,
    var_pairs: Sequence[str],
    type_names: Mapping[str, str],
) -> tuple[list[TerraformAction], list[str]]:
    """Every action resource of the files (grouped by directory into configurations), and
    the problems; a note on what a configuration holds besides goes with its first action."""
    given, problems = parse_var_options(list(var_pairs))
    configs: dict[Path, Configuration] = {}
    for path, text in files:
        directory = path.resolve().parent
        configs.setdefault(directory, Configuration(path.parent, [])).add(path, text)
    actions: list[TerraformAction] = []
    used: set[str] = set()
    unread = any(config.problems for config in configs.values())  # a file not read uses nothing
    for config in configs.values():
        reader = _Reader(config, given, integration, type_names)
        actions += reader.read()
        problems += reader.problems
        used |= reader.used
    for name in given if not unread else ():
        if name not in used:
            problems.append(f"--var {name}: no Terraform file given declares or uses var.{name}")
    return actions, problems


class _Reader:
    """The action resources of one configuration."""

    def __init__(
        self,
        config: Configuration,
        given: Mapping[str, str],
        integration: str | None,
        type_names: Mapping[str, str],
    ) -> None:
        self.config = config
        self.given = given
        self.integration = integration
        self.type_names = type_names
        self.problems = list(config.problems)
        self.used = set(config.variables)

    def read(self) -> list[TerraformAction]:
        if self.problems:
            return []
        config = self.config
        wanted = [b for b in config.resources if b.labels[0] in (ACTION, DRAFT)]
        for block in config.resources:
            if block.labels[0] == CUSTOM_AUTH:
                self._refuse(
                    block,
                    "a custom-auth action; dactl never manages custom-auth "
                    "actions (they belong to the integration's credentials)",
                    block.line,
                )
        if not wanted and not self.problems:
            self.problems.append(
                f'{config.where}: no resource "{ACTION}" (nor "{DRAFT}"): nothing to import'
            )
        others = sorted(
            b.address
            for b in [*config.resources, *config.modules]
            if b.labels[0] not in (ACTION, DRAFT, CUSTOM_AUTH, INTEGRATION)
        )
        if self.integration is None:
            for block in wanted:
                integration_id = block.attribute("integration_id")
                variable = _variable(integration_id) if integration_id is not None else None
                if variable is not None:
                    self._refuse(
                        block,
                        f"integration_id is var.{variable}, an id, not a name; {_FIX}",
                        line_of(integration_id),
                    )
        scope = self._scope(wanted)
        if scope is None:
            return []
        out = []
        for block in wanted:
            try:
                out.append(self._action(block, scope))
            except _Refused as exc:
                self._refuse(block, str(exc), exc.line)
        if others and out:
            out[0].notes.insert(
                0, f"{config.where}: not imported (not data actions): {', '.join(others)}"
            )
        return out

    def _refuse(self, block: Block, message: str, line: int | None) -> None:
        self.problems.append(f"{block.path}:{line or block.line}: {block.label}: {message}")

    def _scope(self, wanted: list[Block]) -> Scope | None:
        """Variable values, or None after one problem naming every variable without one."""
        config = self.config
        names: set[str] = set()
        for block in wanted:
            for item in block.items():
                if not self._skipped(item):
                    names |= references(item)
        names = self._closure(names)
        self.used |= {n.removeprefix("var.") for n in names if n.startswith("var.")}
        values: dict[str, Any] = {}
        missing = []
        for name in sorted(n.removeprefix("var.") for n in names if n.startswith("var.")):
            declared = config.variables.get(name)
            try:
                if name in self.given:
                    values[name] = variable_value(declared, self.given[name])
                    continue
                has_default, default = default_value(declared) if declared else (False, None)
            except Unsupported as exc:
                where = declared.path if declared else config.where
                self.problems.append(f"{where}: var.{name}: {exc}")
                continue
            if has_default:
                values[name] = default
            else:
                missing.append(f"var.{name}")
        if missing:
            self.problems.append(
                f"{config.where}: no value for {', '.join(missing)}: pass --var NAME=VALUE for "
                "each (or give the variable a default)"
            )
        return None if self.problems else scope_for(config, values)

    def _closure(self, names: set[str]) -> set[str]:
        """``names`` with what the locals and integrations they name refer to in turn."""
        todo, done = list(names), set()
        while todo:
            name = todo.pop()
            if name in done:
                continue
            done.add(name)
            if name.startswith("local.") and name[6:] in self.config.local_exprs:
                todo += references(self.config.local_exprs[name[6:]])
            for block in [*self.config.resources, *self.config.data]:
                if block.address == name and block.labels[0] == INTEGRATION:
                    for expression in integration_expressions(block):
                        todo += references(expression) if expression is not None else []
        return done

    def _skipped(self, item: AttributeRule | BlockRule) -> bool:
        """Items never evaluated: meta-arguments, and integration_id when --integration
        names the integration or when it is a variable (an id; never a name)."""
        if not isinstance(item, AttributeRule):
            return name_of(item.labels[0]) in IGNORED
        name = attr_name(item)
        if name == "integration_id":
            return self.integration is not None or _variable(item.expression) is not None
        return name in IGNORED

    # -- one resource --------------------------------------------------------------------

    def _action(self, block: Block, scope: Scope) -> TerraformAction:
        kind = block.labels[0]
        attributes, blocks = _items(block, kind)
        value = _Values(Evaluator(scope), attributes)
        name = value.get("name", to_string, required=True)
        if not name.strip():
            raise _Refused("name is empty", line_of(attributes["name"]))
        action: dict[str, Any] = {
            "name": name,
            "category": value.get("category", to_string, required=True),
            "secure": bool(value.get("secure", to_bool)),
            "contract": {
                "input": {"inputSchema": value.get("contract_input", _schema, required=True)},
                "output": {"successSchema": value.get("contract_output", _schema, required=True)},
            },
        }
        request_block, response_block = blocks.get("config_request"), blocks.get("config_response")
        request = _request(value.inner(request_block)) if request_block else None
        response = _response(value.inner(response_block)) if response_block else {}
        config: dict[str, Any] = {"request": request or {}, "response": response}
        timeout = value.get("config_timeout_seconds", to_int)
        if timeout:  # the provider sends none when 0
            config["timeoutSeconds"] = timeout
        action["config"] = config
        result = TerraformAction(block.path, action, *self._integration(block, attributes, value))
        if kind == DRAFT:
            result.notes.append(
                f"{block.path}: {block.address} is a draft in Terraform; dactl apply publishes it"
            )
        function = blocks.get("function_config")
        if function is not None:
            self._function(result, value.inner(function), request is None)
        elif request is None:
            raise _Refused(
                "no config_request block: every action but a Function action needs one "
                "(its request_type at least)",
                block.line,
            )
        return result

    def _function(self, result: TerraformAction, value: _Values, no_request: bool) -> None:
        settings = {
            "handler": value.get("handler", to_string),
            "runtime": value.get("runtime", to_string),
            "timeoutSeconds": value.get("timeout_seconds", to_int),
            "description": value.get("description", to_string),
        }
        function = {k: v for k, v in settings.items() if v not in (None, "", 0)}
        result.action[FUNCTION_KEY] = {"function": function}
        where = f"{result.source}: {result.action['name']!r}"
        if no_request:
            result.action["config"]["request"] = {"requestType": "POST"}
            result.notes.append(
                f"{where}: no config_request: requestType POST written, as "
                "Genesys writes it for Function actions"
            )
        if value.get("zip_id", to_string):
            result.notes.append(
                f"{where}: function_config.zip_id not imported (dactl uploads the package itself)"
            )
        file_path = value.get("file_path", to_string, required=True)
        path = self.config.directory / file_path
        if path.exists():
            result.package = path.resolve()
        else:
            result.notes.append(
                f"{where}: function_config.file_path {file_path!r} is not there ({path}); the "
                "file names no function.package: add one before dactl apply"
            )

    def _integration(
        self, block: Block, attributes: dict[str, AttributeRule], value: _Values
    ) -> tuple[str, str | None]:
        """(the integration's name, the type it was assumed from)."""
        if self.integration is not None:
            return self.integration, None
        fix = _FIX
        if "integration_id" not in attributes:
            raise _Refused(f"no integration_id; {fix}", block.line)
        expression = attributes["integration_id"].expression
        line = line_of(attributes["integration_id"])
        try:
            ref = value.evaluator.value(expression)
        except Unsupported as exc:
            raise _Refused(f"integration_id: {exc}; {fix}", exc.line or line) from exc
        if not isinstance(ref, IntegrationRef):
            raise _Refused(f"integration_id is an id ({describe(ref)}), not a name; {fix}", line)
        if not ref.defined:
            raise _Refused(
                f"integration_id: {ref.address} is not in the files given; {fix}, "
                "or import the file that declares it too",
                line,
            )
        if ref.name:
            return ref.name, None
        if ref.why:
            raise _Refused(f"integration_id: {ref.address}: {ref.why}; {fix}", line)
        if ref.type_id is not None and ref.type_id in self.type_names:
            return self.type_names[ref.type_id], ref.type_id
        raise _Refused(
            f"integration_id: {ref.address} has no config.name and its type "
            f"({ref.type_id or 'none given'}) has no default name; {fix}",
            line,
        )


@dataclass
class _BlockItems:
    attrs: dict[str, AttributeRule]


def _items(block: Block, kind: str) -> tuple[dict[str, AttributeRule], dict[str, _BlockItems]]:
    """The resource's arguments and blocks, checked against the provider's schema."""
    allowed = {k: v for k, v in BLOCKS.items() if kind == ACTION or k != "function_config"}
    attributes: dict[str, AttributeRule] = {}
    blocks: dict[str, _BlockItems] = {}
    for item in block.items():
        line = line_of(item)
        if isinstance(item, AttributeRule):
            name = attr_name(item)
            if name in ("count", "for_each"):
                raise _Refused(f"{name} is not supported (one resource is one action)", line)
            if name in allowed:
                raise _Refused(f"{name} is a block ({name} {{ ... }}), not an argument", line)
            if name not in ARGUMENTS | IGNORED:
                raise _Refused(f"{name} is not an argument of {kind} (the provider's schema)", line)
            attributes[name] = item
            continue
        name = name_of(item.labels[0])
        if name == "dynamic":
            raise _Refused("dynamic blocks are not supported", line)
        if name in IGNORED:
            continue
        if name not in allowed:
            raise _Refused(
                f"{name} {{ ... }} is not a block of {kind} (the provider's schema)", line
            )
        if name in blocks:
            raise _Refused(f"more than one {name} block (the provider takes one)", line)
        inner = Block(block.path, item, name, ())
        blocks[name] = _BlockItems({})
        for child in inner.items():
            if not isinstance(child, AttributeRule) or attr_name(child) not in allowed[name]:
                what = (
                    attr_name(child)
                    if isinstance(child, AttributeRule)
                    else f"{name_of(child.labels[0])} {{ ... }}"
                )
                raise _Refused(
                    f"{name}.{what} is not an argument of {name} (the provider's schema)",
                    line_of(child),
                )
            blocks[name].attrs[attr_name(child)] = child
    return attributes, blocks


class _Values:
    """Arguments evaluated and converted; a failure names the argument, and the variable
    its value came from when it is one."""

    def __init__(self, evaluator: Evaluator, attributes: Mapping[str, AttributeRule]) -> None:
        self.evaluator = evaluator
        self.attributes = attributes

    def inner(self, block: _BlockItems) -> _Values:
        """The values of a block's arguments, in the same scope."""
        return _Values(self.evaluator, block.attrs)

    def get(self, name: str, convert: Callable[[Any, str], Any], required: bool = False) -> Any:
        attribute = self.attributes.get(name)
        if attribute is None:
            if required:
                raise _Refused(f"no {name} (the provider requires one)", None)
            return None
        variable = _variable(attribute.expression)
        source = f" (from var.{variable})" if variable else ""
        try:
            value = self.evaluator.value(attribute.expression)
        except Unsupported as exc:
            raise _Refused(f"{name}: {exc}", exc.line or line_of(attribute)) from exc
        if value is None:
            if required:
                raise _Refused(f"{name} is null{source}; the provider requires a value", None)
            return None
        try:
            return convert(value, name)
        except Unsupported as exc:
            raise _Refused(f"{exc}{source}", line_of(attribute)) from exc


def _schema(value: Any, name: str) -> dict[str, Any]:
    """A contract: the JSON text the provider parses (``jsonencode(...)`` keeps its value,
    in the order written)."""
    if isinstance(value, JsonText):
        data = value.value
    elif isinstance(value, str):
        try:
            data = json.loads(value)
        except json.JSONDecodeError as exc:
            raise Unsupported(
                f"{name} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from exc
    else:
        raise Unsupported(f"{name} must be JSON text (jsonencode({{...}})), not {describe(value)}")
    if not isinstance(data, dict):
        raise Unsupported(f"{name} must be a JSON object (a schema), not {describe(data)}")
    return data


def _request(value: _Values) -> dict[str, Any]:
    request = {
        "requestUrlTemplate": value.get("request_url_template", to_string),
        "requestType": value.get("request_type", to_string, required=True),
        "requestTemplate": value.get("request_template", to_string),
        "headers": value.get("headers", to_string_map),
    }
    return {k: v for k, v in request.items() if v not in (None, "", {})}


def _response(value: _Values) -> dict[str, Any]:
    response = {
        "translationMap": value.get("translation_map", to_string_map),
        "translationMapDefaults": value.get("translation_map_defaults", to_string_map),
        "successTemplate": value.get("success_template", to_string),
    }
    return {k: v for k, v in response.items() if v not in (None, "", {})}


def _variable(expression: Any) -> str | None:
    """``NAME`` when the expression is ``var.NAME`` (or ``"${var.NAME}"``), else None."""
    node = expression
    while True:
        if isinstance(node, ExprTermRule):
            node = node.expression
        elif isinstance(node, StringRule) and len(node.string_parts) == 1:
            content = node.string_parts[0].content
            if not isinstance(content, InterpolationRule):
                return None
            node = content.expression
        else:
            break
    if isinstance(node, GetAttrExprTermRule):
        base = getattr(node.expr_term, "expression", None)
        if isinstance(base, IdentifierRule) and name_of(base) == "var":
            return name_of(node.get_attr.identifier)
    return None
