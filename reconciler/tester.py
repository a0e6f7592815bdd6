"""``dactl test``: run one action, offline (templates rendered here) or in the org (``/test``).

Offline, the request is rendered as Genesys would render it, and with a sample response the
translation map, the success template and the output contract are checked too. In the org,
the live action of that name is tested and its steps reported. For a ``secure`` action no
input value is ever part of a result: requests are shown with ``<input.NAME>`` placeholders,
step bodies, error texts and the org's result are left out, and offline outputs are
redacted.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler import jsonsafe
from reconciler.canonical import canonical_desired
from reconciler.config.model import DEFAULT_REQUEST_TEMPLATE, DEFAULT_SUCCESS_TEMPLATE, ActionSpec
from reconciler.config.tree import JsonPath, Located
from reconciler.diff import diff
from reconciler.errors import ApiError, DactlError
from reconciler.genesys import ActionsApi
from reconciler.genesys.wire import canonical_live
from reconciler.inputs import contract_problems, placeholders, redact
from reconciler.live import UNMANAGEABLE_PREFIXES, LiveCache, integrations_for
from reconciler.plan import Integrations
from reconciler.secrets import SENSITIVE, literal_credential, redact_value
from reconciler.templating import (
    TemplateProblem,
    render,
    template_context,
    translate,
    unrendered,
)
from reconciler.validate import ValidationReport
from reconciler.validate.velocity import Reference

# --- finding the action ------------------------------------------------------------------


def find_spec(report: ValidationReport, name: str) -> ActionSpec | None:
    """The action file's spec for ``name``, if the tree has one."""
    return next((s for s in report.actions if s.name == name), None)


def unknown_action(name: str, names: Iterable[str], where: str) -> DactlError:
    """The error for a name no action has, with the closest names."""
    known = sorted(set(names))
    by_case = {n.lower(): n for n in known}
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if name.lower() in by_case and by_case[name.lower()] not in close:
        close.insert(0, by_case[name.lower()])
    if close:
        hint = "did you mean " + " or ".join(repr(n) for n in close) + "?"
    elif known:
        hint = "the actions are: " + ", ".join(repr(n) for n in known[:10])
        hint += ", ..." if len(known) > 10 else ""
    else:
        hint = "it has no actions"
    return DactlError(f"no action is named {name!r} {where}; {hint}")


def require_spec(report: ValidationReport, name: str) -> ActionSpec:
    """The spec of ``name``, or an error naming the closest names."""
    spec = find_spec(report, name)
    if spec is None:
        raise unknown_action(name, (s.name for s in report.actions), f"in {report.tree.root}")
    return spec


def _document(report: ValidationReport, spec: ActionSpec) -> Located | None:
    return next((a.doc for a in report.tree.actions if a.display == spec.source), None)


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
    renderer = _Renderer(spec, _document(report, spec), run.problems)
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


# --- in the org --------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveTarget:
    """The live action a remote test runs, with its canonical form (for the file check)."""

    id: str
    version: int
    secure: bool
    input_schema: dict[str, Any]
    canonical: dict[str, Any]
    integrations: Integrations


def find_live(
    api: ActionsApi, name: str, *, scope: Iterable[str], cache: LiveCache | None
) -> LiveTarget | None:
    """The live action named ``name`` in the managed ``scope`` (every integration when
    empty); None when there is none. Two of one name is an error naming both ids."""
    listed = [
        a
        for a in api.iter_actions(include_config=False, name=name)
        if a.get("name") == name and not str(a.get("id", "")).startswith(UNMANAGEABLE_PREFIXES)
    ]
    if not listed:
        return None
    scope = list(scope)
    integrations = integrations_for(
        api, cache, {str(a.get("integrationId")) for a in listed}, scope
    )
    if scope:
        wanted = integrations.ids_named(scope)
        listed = [a for a in listed if a.get("integrationId") in wanted]
    if len(listed) > 1:
        ids = ", ".join(sorted(str(a["id"]) for a in listed))
        raise DactlError(
            f"several live actions are named {name!r} ({ids}); rename or delete all but one"
        )
    if not listed:
        return None
    summary = listed[0]
    version = summary.get("version")
    full = None
    if cache is not None and isinstance(version, int):
        full = cache.get_action(str(summary["id"]), version)
    if full is None:
        full = api.get_action_full(str(summary["id"]))
        if cache is not None and isinstance(full.get("version"), int):
            cache.put_action(full)
    schema = ((full.get("contract") or {}).get("input") or {}).get("inputSchema") or {}
    return LiveTarget(
        id=str(full["id"]),
        version=int(full.get("version", 0)),
        secure=bool(full.get("secure", False)),
        input_schema=schema,
        canonical=canonical_live(full, integrations.by_id),
        integrations=integrations,
    )


def remote_warnings(
    spec: ActionSpec | None, target: LiveTarget, name: str, directory: Path
) -> list[str]:
    """What to say before a remote test: the live action has no file, or differs from it."""
    if spec is None:
        return [f"no file in {directory} describes {name!r}; testing the live action"]
    fields = differing_fields(spec, target)
    if not fields:
        return []
    return [
        f"testing the live version; it differs from the file {spec.source} in: "
        + ", ".join(fields)
        + " (run `dactl plan` to see how)"
    ]


def differing_fields(spec: ActionSpec, target: LiveTarget) -> list[str]:
    """The fields where the action file differs from the live action (as plan compares)."""
    integrations = target.integrations
    integration_id = spec.integration_id or integrations.by_name.get(spec.integration or "", "")
    integration_name = integrations.by_id.get(integration_id, spec.integration or "")
    desired = canonical_desired(spec, integration_id, integration_name)
    return [change.dotted for change in diff(target.canonical, desired)]


@dataclass(frozen=True)
class Step:
    """One operation of a ``TestExecutionResult``; ``detail`` and ``error`` are display
    text, absent for secure actions (they could echo inputs)."""

    number: int
    name: str
    success: bool
    detail: str | None = None
    error: str | None = None


@dataclass
class RemoteRun:
    """What ``/test`` of the live action said."""

    name: str
    action_id: str
    version: int
    secure: bool
    steps: list[Step] = field(default_factory=list)
    success: bool = False
    final_result: Any = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.success


def run_remote(
    api: ActionsApi, name: str, target: LiveTarget, values: Mapping[str, Any], *, secure: bool
) -> RemoteRun:
    """POST the inputs to the live action's ``/test`` and read the step breakdown."""
    run = RemoteRun(name, target.id, target.version, secure)
    try:
        result = api.test_action(target.id, values)
    except ApiError as exc:
        raise _test_refused(exc, secure) from None
    for i, operation in enumerate(result.get("operations") or [], start=1):
        if isinstance(operation, dict):
            run.steps.append(_step(operation, i, secure))
    run.success = result.get("success") is True
    # A secure action's result could echo an input in any form (a part of it, upper-case,
    # as a number), which no redaction finds: it is left out, and only success is told.
    if not secure:
        run.final_result = _hide_credentials(result.get("finalResult"))
    if isinstance(result.get("error"), dict):
        run.error = _error_text(result["error"], secure)
    return run


def _step(operation: Mapping[str, Any], index: int, secure: bool) -> Step:
    number = operation.get("step")
    success = operation.get("success") is True
    error = operation.get("error")
    detail = None
    if not secure and operation.get("result") is not None:
        detail = _detail(_hide_credentials(operation["result"]))
    return Step(
        number if isinstance(number, int) else index,
        str(operation.get("name") or f"step {index}"),
        success,
        detail,
        _error_text(error, secure) if isinstance(error, dict) else None,
    )


def _detail(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def _error_text(error: Mapping[str, Any], secure: bool) -> str:
    """An ErrorBody as one line; for secure actions only its status and code."""
    status, code = error.get("status"), error.get("code")
    head = " ".join(str(x) for x in (f"HTTP {status}" if status else None, code) if x)
    if secure:
        return head or "failed"
    message = " ".join(str(error.get("message") or "").split())
    return f"{head}: {message}" if head and message else head or message or "failed"


def _test_refused(exc: ApiError, secure: bool) -> DactlError:
    head = " ".join(str(x) for x in (f"HTTP {exc.status}" if exc.status else None, exc.code) if x)
    if secure:
        return DactlError(f"the org refused the test ({head or 'error'}; details hidden: secure)")
    reasons = []
    if isinstance(exc.body, dict):
        errors = exc.body.get("errors") or []
        reasons = [str(e.get("message")) for e in errors if isinstance(e, dict)]
    text = str(exc) + ("".join(f"\n  {r}" for r in reasons if r))
    return DactlError(f"the org refused the test: {text}")


def _hide_credentials(value: Any) -> Any:
    """Step results may echo the request: credential headers and cookies (by name), a
    password in a URL, ``Bearer ...`` values, secret query parameters are hidden."""
    return redact_value(value)


def not_created(spec: ActionSpec) -> DactlError:
    """The error for an action that has a file but is not in the org yet."""
    return DactlError(
        f"{spec.name!r} ({spec.source}) is not in the org yet: run `dactl apply` to create "
        f"it, or test the file with --offline"
    )
