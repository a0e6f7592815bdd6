"""The schemas an editor applies to one file, derived from the full action schema.

``dactl validate`` merges a file's ``extends`` template underneath it and checks the merged
action against ``action.schema.json``. An editor sees one file at a time, so it gets:

- ``action-file.schema.json``: an action file as written. Without ``extends`` it must be a
  whole action; with ``extends`` the keys a template may supply (every required one, at
  any level) are optional, while types, limits and unknown keys are checked as ever.
- ``action-template.schema.json``: a template (``_templates/*.yaml``): any part of an action.

In both, a value that is one placeholder (``timeoutSeconds: "{{ var.timeout }}"``) is
accepted where a number, a boolean or one of a list of values goes: ``dactl validate``
resolves placeholders before it checks the merged action, so only it knows the value.

Both are derived here, never written by hand, so they cannot drift from the action schema;
the repository's ``schemas/`` holds them as ``dactl schema --out schemas`` writes them.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from reconciler.validate.schema import load_schema

ACTION = "action"
ACTION_FILE = "action-file"
ACTION_TEMPLATE = "action-template"
PROJECT = "project"
# Every schema dactl ships, in the order they are written and listed.
SCHEMA_NAMES = (ACTION, ACTION_FILE, ACTION_TEMPLATE, PROJECT)


def schema_file_name(name: str) -> str:
    """``action-file`` -> ``action-file.schema.json``."""
    return f"{name}.schema.json"


def _without_requirements(action: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The action schema with nothing required (the root's keys, its ``anyOf`` between
    ``integration`` and ``integrationId``, and the required keys of each section), and
    those requirements as a schema of their own."""
    partial = copy.deepcopy(action)
    requirements: dict[str, Any] = {}
    if "required" in partial:
        requirements["required"] = partial.pop("required")
    if "anyOf" in partial:
        requirements["anyOf"] = partial.pop("anyOf")
    sections: dict[str, Any] = {}
    for key, section in partial.get("properties", {}).items():
        if isinstance(section, dict) and "required" in section:
            sections[key] = {"required": section.pop("required")}
    if sections:
        requirements["properties"] = sections
    return partial, requirements


PLACEHOLDER_DEF = {
    "type": "string",
    "pattern": r"^\s*\{\{\s*var\.[A-Za-z_][A-Za-z0-9_]*\s*\}\}\s*$",
    "description": "A placeholder, {{ var.NAME }}: the value of the variable NAME of the "
    "environment (dactl.yaml variables:), with its type.",
}
_CHILD_SCHEMAS = ("items", "additionalProperties")


def _placeholders_allowed(schema: Any) -> Any:
    """``schema`` where every number, boolean or enumerated value may also be a
    placeholder (``#/$defs/placeholder``); the free-form parts (contracts) are left alone."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: _placeholders_allowed(v) for k, v in out["properties"].items()}
    for key in _CHILD_SCHEMAS:
        if isinstance(out.get(key), dict):
            out[key] = _placeholders_allowed(out[key])
    if out.get("type") in ("integer", "number", "boolean") or "enum" in out:
        description = out.pop("description", None)
        wrapped: dict[str, Any] = {"anyOf": [out, {"$ref": "#/$defs/placeholder"}]}
        if description is not None:
            wrapped["description"] = description
        return wrapped
    return out


def _with_placeholders(schema: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = _placeholders_allowed(schema)
    out["$defs"] = {**out.get("$defs", {}), "placeholder": PLACEHOLDER_DEF}
    return out


def _retitled(schema: dict[str, Any], name: str, title: str, description: str) -> dict[str, Any]:
    schema["$id"] = f"urn:dactl:schema:{name}"
    schema["title"] = title
    schema["description"] = description
    return schema


def action_file_schema(action: dict[str, Any]) -> dict[str, Any]:
    """The schema of one action file: whole unless it ``extends`` a template."""
    partial, requirements = _without_requirements(action)
    schema = _retitled(
        _with_placeholders(partial),
        ACTION_FILE,
        "dactl action file",
        "One action file as written. With `extends`, the keys its template may supply are "
        "optional here; `dactl validate` checks the merged action against "
        "action.schema.json.",
    )
    schema["if"] = {"required": ["extends"]}
    schema["else"] = requirements
    return schema


def action_template_schema(action: dict[str, Any]) -> dict[str, Any]:
    """The schema of a template that action files ``extends``: any part of an action."""
    partial, _ = _without_requirements(action)
    return _retitled(
        _with_placeholders(partial),
        ACTION_TEMPLATE,
        "dactl action template",
        "A template that action files name in `extends` (kept in a directory whose name "
        "starts with _, such as _templates/): any part of an action, merged underneath it.",
    )


def schema_json(schema: dict[str, Any]) -> str:
    """A derived schema as the text of its file."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def derived_schemas() -> dict[str, dict[str, Any]]:
    """The editor schemas derived from the shipped action schema, by name."""
    action = load_schema(ACTION)
    return {
        ACTION_FILE: action_file_schema(action),
        ACTION_TEMPLATE: action_template_schema(action),
    }


__all__ = [
    "ACTION",
    "ACTION_FILE",
    "ACTION_TEMPLATE",
    "PROJECT",
    "SCHEMA_NAMES",
    "action_file_schema",
    "action_template_schema",
    "derived_schemas",
    "schema_file_name",
    "schema_json",
]
