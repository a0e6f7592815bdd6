"""Emulated ``/test`` and ``/execute`` of an action.

Limitation: the sandbox never makes outbound HTTP calls. It validates the inputs against the
input contract (JSON Schema draft 4, 400 ``invalid.schema`` on mismatch), renders the request
URL and body templates by plain substitution of ``${input.NAME}`` (and ``$!{input.NAME}``,
``${input.rawRequest}``) references - no Velocity logic - and builds the result from
``config.response.translationMapDefaults`` (each default parsed as JSON when it can be, else
kept as a string). Keys without a default are left out. The success template is not evaluated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

# No stubs ship with jsonschema; unused-ignore keeps this clean once stubs are added.
from jsonschema import Draft4Validator  # type: ignore[import-untyped,unused-ignore]

from reconciler.sandbox.problems import ApiProblem

_REFERENCE = re.compile(r"\$!?\{input\.([A-Za-z0-9_.-]+)\}")


def validate_inputs(defn: Mapping[str, Any], inputs: Any) -> dict[str, Any]:
    """The inputs when they satisfy the input contract; 400 ``invalid.schema`` otherwise."""
    schema = defn["contract"]["input"]["inputSchema"]
    if not isinstance(inputs, dict):
        raise _invalid_schema(["the request body must be a JSON object of inputs"])
    errors = sorted(
        Draft4Validator(schema).iter_errors(inputs), key=lambda e: list(e.absolute_path)
    )
    if errors:
        raise _invalid_schema(
            [
                f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
                for e in errors
            ]
        )
    return inputs


def _invalid_schema(reasons: list[str]) -> ApiProblem:
    return ApiProblem(
        400,
        "invalid.schema",
        "There was an issue validating the schema.",
        details=[{"errorCode": "ACTION.PROCESSING"}],
        errors=[{"message": r, "code": "invalid.schema", "status": 400} for r in reasons],
    )


def render_template(template: str, inputs: Mapping[str, Any]) -> str:
    """Substitute ``${input.X}`` references; unknown ones stay as written (``$!{}``: empty)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "rawRequest":
            return json.dumps(inputs, sort_keys=True)
        if name in inputs:
            value = inputs[name]
            return value if isinstance(value, str) else json.dumps(value)
        return "" if match.group(0).startswith("$!") else match.group(0)

    return _REFERENCE.sub(replace, template)


def final_result(defn: Mapping[str, Any]) -> dict[str, Any]:
    """What execute returns: the translation-map defaults, parsed as JSON where possible."""
    result: dict[str, Any] = {}
    for key, raw in sorted(defn["config"]["response"].get("translationMapDefaults", {}).items()):
        try:
            result[key] = json.loads(raw)
        except (TypeError, ValueError):
            result[key] = raw
    return result


def run_test(defn: Mapping[str, Any], inputs: Any) -> dict[str, Any]:
    """A ``TestExecutionResult`` with the emulated steps."""
    values = validate_inputs(defn, inputs)
    request = defn["config"]["request"]
    url = render_template(request["requestUrlTemplate"], values)
    body = render_template(request.get("requestTemplate", ""), values)
    result = final_result(defn)
    steps: list[tuple[str, Any]] = [
        ("Resolve request URL template", url),
        ("Resolve request body template", body),
        (
            "Execute request",
            {
                "requestType": request["requestType"],
                "url": url,
                # Step results can echo the request, credential headers included: shown
                # here so that clients are tested against such an echo.
                "headers": {
                    k: render_template(str(v), values)
                    for k, v in (request.get("headers") or {}).items()
                },
                "note": "sandbox: no outbound request is made",
            },
        ),
        ("Resolve translation map", result),
        ("Apply output transformation", result),
    ]
    operations = [
        {"step": number, "name": name, "success": True, "result": value}
        for number, (name, value) in enumerate(steps, start=1)
    ]
    return {"operations": operations, "finalResult": result, "success": True}


def run_execute(defn: Mapping[str, Any], inputs: Any) -> dict[str, Any]:
    """What ``/execute`` returns: the final result."""
    validate_inputs(defn, inputs)
    return final_result(defn)
