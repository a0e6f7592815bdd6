"""Offline tests: the action file's templates rendered here, as Genesys would."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler import jsonsafe
from reconciler.actiontest import document_of
from reconciler.actiontest.inputs import contract_problems, placeholders, redact
from reconciler.config.model import DEFAULT_REQUEST_TEMPLATE, DEFAULT_SUCCESS_TEMPLATE, ActionSpec
from reconciler.config.tree import JsonPath, Located
from reconciler.errors import DactlError
from reconciler.secrets import SENSITIVE, literal_credential
from reconciler.validate import ValidationReport
from reconciler.velocity.render import (
    TemplateProblem,
    render,
    template_context,
    translate,
    unrendered,
)
from reconciler.velocity.scan import Reference

# --- offline -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedRequest:
    """A request as it would be sent (or, for a secure action, with placeholders)."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: str


@dataclass
class OfflineRun:
    """What an offline test found. ``problems`` are one line each; none means pass."""

    name: str
    source: str
    secure: bool
    request: RenderedRequest | None = None
    body_json: bool = False
    response_file: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    output: Any = None
    has_output: bool = False
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # validate's, for this action's files

    @property
    def passed(self) -> bool:
        return not self.problems


class _Renderer:
    """Renders one action's templates, turning failures into ``file:line:col`` lines."""

    def __init__(self, spec: ActionSpec, doc: Located | None, problems: list[str]) -> None:
        self.spec = spec
        self.doc = doc
        self.problems = problems

    def render(self, path: JsonPath, template: str, context: Mapping[str, Any]) -> str | None:
        try:
            return render(template, context)
        except TemplateProblem as problem:
            text = problem.describe(with_detail=not self.spec.secure)
            self.problems.append(f"{self.place(path, template, problem)}: {_dotted(path)}: {text}")
            return None

    def at(self, path: JsonPath) -> str:
        """``file:line:col`` of the key at ``path`` (or of the nearest one written)."""
        return self.spec.source if self.doc is None else str(self.doc.where(path))

    def place(self, path: JsonPath, template: str, problem: TemplateProblem | None = None) -> str:
        if self.doc is None:
            return self.spec.source
        offset = 0
        if problem is not None:
            lines = template.split("\n")
            offset = sum(len(line) + 1 for line in lines[: problem.line - 1]) + problem.column - 1
        return str(self.doc.offset_mark(path, template, offset))


def _dotted(path: JsonPath) -> str:
    return ".".join(str(p) for p in path)


def run_offline(
    report: ValidationReport,
    spec: ActionSpec,
    values: Mapping[str, Any],
    response_file: Path | None = None,
) -> OfflineRun:
    """Render the request of ``spec`` with ``values``; with ``response_file``, also turn that
    sample response into the action's output and check it against the output contract."""
    run = OfflineRun(spec.name, spec.source, spec.secure)
    run.warnings = action_warnings(report, spec)
    renderer = _Renderer(spec, document_of(report, spec), run.problems)
    request = _render_request(renderer, spec, values)
    if request is not None:
        _check_unrendered(renderer, spec, request, values)
        run.body_json = _check_body(renderer, spec, request)
        run.request = _display_request(spec, values) if spec.secure else _shown(spec, request)
    if response_file is not None:
        _respond(run, renderer, spec, values, response_file)
    return run


def _render_request(
    renderer: _Renderer, spec: ActionSpec, values: Mapping[str, Any]
) -> RenderedRequest | None:
    context = template_context(values)
    request = spec.request
    url = renderer.render(
        ("request", "requestUrlTemplate"), str(request.get("requestUrlTemplate", "")), context
    )
    headers = []
    for name, template in (request.get("headers") or {}).items():
        value = renderer.render(("request", "headers", name), str(template), context)
        headers.append((str(name), value or ""))
    body_template = str(request.get("requestTemplate") or DEFAULT_REQUEST_TEMPLATE)
    body = renderer.render(("request", "requestTemplate"), body_template, context)
    if url is None or body is None or renderer.problems:
        return None
    return RenderedRequest(str(request.get("requestType", "")), url, tuple(headers), body)


def action_warnings(report: ValidationReport, spec: ActionSpec) -> list[str]:
    """Validate's warnings in the files ``spec`` is made of (its file and its ``extends``
    templates), as ``file:line:col: warning: message`` lines. None quotes an input value."""
    files = {spec.source}
    for action in report.tree.actions:
        if action.display == spec.source:
            files.update(action.extends_chain)
    return [str(p) for p in report.warnings if p.mark.file in files]


def _check_unrendered(
    renderer: _Renderer, spec: ActionSpec, request: RenderedRequest, values: Mapping[str, Any]
) -> None:
    """A problem for each reference the rendered URL, headers or body still holds as text:
    Genesys would send ``${input.UserId}`` as written."""
    context = template_context(values)
    written = spec.request.get("headers") or {}
    url = str(spec.request.get("requestUrlTemplate", ""))
    body = str(spec.request.get("requestTemplate") or DEFAULT_REQUEST_TEMPLATE)
    fields: list[tuple[JsonPath, str, str]] = [
        (("request", "requestUrlTemplate"), url, request.url),
        *((("request", "headers", k), str(written.get(k, "")), v) for k, v in request.headers),
        (("request", "requestTemplate"), body, request.body),
    ]
    declared = set((spec.contract_input or {}).get("properties") or {})
    for path, template, rendered in fields:
        for ref in unrendered(template, rendered, context):
            where = spec.source
            if renderer.doc is not None:
                where = str(renderer.doc.offset_mark(path, template, ref.offset))
            renderer.problems.append(
                f"{where}: {_dotted(path)}: {_shown_ref(template, ref)} was left unrendered"
                f"{_why(ref, declared, values)}"
            )


def _shown_ref(template: str, ref: Reference) -> str:
    """The reference as written; a call's arguments as ``(...)``."""
    if template.startswith("(", ref.offset + len(ref.text)):
        return ref.text + "(...)" + ("}" if ref.braced else "")
    return ref.text


def _why(ref: Reference, declared: set[str], values: Mapping[str, Any]) -> str:
    """Why an input reference has no value; names only, never a value."""
    if ref.root.casefold() != "input" or not ref.path:
        return ""
    if ref.root != "input":
        return f" (${ref.root} is not $input: Velocity names are case-sensitive)"
    name = ref.path[0]
    same = next((d for d in sorted(declared) if d.casefold() == name.casefold()), None)
    if name in declared and values.get(name) is None:
        plain = ref.text in (f"${{input.{name}}}", f"$input.{name}")
        hint = f"; write $!{ref.text[1:]} to send nothing when it is absent" if plain else ""
        return f" (no value was given for the input {name!r}{hint})"
    if name not in declared and same is not None:
        return f" (the input is {same!r}: Velocity names are case-sensitive)"
    if name not in declared:
        return f" (the input contract has no {name!r})"
    return ""


def _meant_as_json(request: RenderedRequest) -> bool:
    content_type = next((v for k, v in request.headers if k.lower() == "content-type"), "")
    return "json" in content_type.lower() or request.body.lstrip().startswith(("{", "["))


def _check_body(renderer: _Renderer, spec: ActionSpec, request: RenderedRequest) -> bool:
    """Whether the body is JSON; a problem when it is meant to be and is not."""
    if not request.body.strip():
        return False
    try:
        json.loads(request.body)
    except ValueError as exc:
        if _meant_as_json(request):
            template = str(spec.request.get("requestTemplate") or DEFAULT_REQUEST_TEMPLATE)
            path = ("request", "requestTemplate")
            renderer.problems.append(
                f"{renderer.place(path, template)}: request.requestTemplate: the rendered body "
                f"is not valid JSON: {_json_error(exc, 'of the rendered body')}"
            )
        return False
    return True


def _json_error(exc: ValueError, what: str) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno}, column {exc.colno}" + (f" {what}" if what else "")
    return str(exc)


def _shown(spec: ActionSpec, request: RenderedRequest) -> RenderedRequest:
    """The request with header values that are literal credentials in the file hidden."""
    written = spec.request.get("headers") or {}
    headers = tuple(
        (k, SENSITIVE if literal_credential(k, str(written.get(k, ""))) else v)
        for k, v in request.headers
    )
    return RenderedRequest(request.method, request.url, headers, request.body)


def _display_request(spec: ActionSpec, values: Mapping[str, Any]) -> RenderedRequest:
    """A secure action's request rendered again with ``<input.NAME>`` for every input."""
    request = _render_request(_Renderer(spec, None, []), spec, placeholders(values))
    if request is None:
        hidden = "(not shown: secure action)"
        return RenderedRequest(str(spec.request.get("requestType", "")), hidden, (), hidden)
    return _shown(spec, request)


def _respond(
    run: OfflineRun,
    renderer: _Renderer,
    spec: ActionSpec,
    values: Mapping[str, Any],
    response_file: Path,
) -> None:
    run.response_file = str(response_file)
    try:
        raw = response_file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        reason = exc.strerror or exc
        raise DactlError(f"--response {response_file}: cannot be read ({reason})") from None
    except UnicodeDecodeError as exc:
        run.problems.append(f"--response {response_file}: not UTF-8 text (byte {exc.start})")
        return
    try:
        response = jsonsafe.loads(raw)
    except ValueError as exc:
        run.problems.append(f"--response {response_file}: not JSON: {_json_error(exc, '')}")
        return
    translation = translate(
        spec.response.get("translationMap") or {},
        spec.response.get("translationMapDefaults") or {},
        response,
    )
    for key, message in translation.problems:
        place = renderer.at(("response", "translationMap", key))
        run.problems.append(f"{place}: response.translationMap.{key}: {message}")
    if translation.problems:
        return
    if not spec.secure:
        run.variables = dict(translation.values)
    template = str(spec.response.get("successTemplate") or DEFAULT_SUCCESS_TEMPLATE)
    context = template_context(values, **{**translation.values, "rawResult": raw})
    text = renderer.render(("response", "successTemplate"), template, context)
    if text is None:
        return
    try:
        output = json.loads(text)
    except ValueError as exc:
        place = renderer.place(("response", "successTemplate"), template)
        run.problems.append(
            f"{place}: response.successTemplate: the output is not valid JSON: "
            f"{_json_error(exc, 'of the output')}"
        )
        return
    run.output = redact(output, values) if spec.secure else output
    run.has_output = True
    place = renderer.at(("contract", "output"))
    lines = contract_problems(output, spec.contract_output, secure=spec.secure, what="output")
    run.problems += [f"{place}: contract.output: {line}" for line in lines]
