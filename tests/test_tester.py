"""``dactl test``: inputs, offline rendering, sample responses, reading ``/test`` results,
and secure redaction throughout."""

from __future__ import annotations

import base64
import json
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from reconciler.actiontest.inputs import GivenInputs
from reconciler.actiontest.offline import OfflineRun
from reconciler.actiontest.remote import LiveTarget, RemoteRun, run_remote
from reconciler.cli import main
from reconciler.errors import DactlError, InputError
from reconciler.genesys import ActionsApi, ConnectionSettings, GenesysClient
from reconciler.orchestrator import Orchestrator
from reconciler.plan import Integrations
from reconciler.render.test import render_result
from reconciler.validate import validate_tree
from reconciler.velocity.render import render, template_context, unrendered
from tests.conftest import REPO_ROOT

ACTIONS = REPO_ROOT / "actions"
PIN = "98127364"
CUSTOMER = "cust-5550199"


def offline(
    name: str,
    *pairs: str,
    directory: Path = ACTIONS,
    inputs_file: Path | None = None,
    response: Path | None = None,
) -> OfflineRun:
    run = Orchestrator(directory, cache_dir=None).run_test(
        name, GivenInputs(pairs, inputs_file), offline=True, response=response
    )
    assert isinstance(run, OfflineRun)
    return run


def body(run: OfflineRun) -> Any:
    assert run.request is not None, run.problems
    return json.loads(run.request.body)


def sample_inputs(contract: dict[str, Any]) -> list[str]:
    """One valid ``KEY=VALUE`` per required input, by its contract type."""
    pairs = []
    for name in contract.get("required", []):
        spec = contract["properties"][name]
        if "enum" in spec:
            value = str(spec["enum"][0])
        else:
            value = {"integer": "2", "number": "2.5", "boolean": "true"}.get(spec["type"], "a1")
        pairs.append(f"{name}={value}")
    return pairs


def here(problem: str) -> str:
    """A problem from the file name on (the directory part depends on the working dir)."""
    return problem[problem.index("probe.yaml") :]


def write_action(tmp_path: Path, text: str, name: str = "probe.yaml") -> Path:
    (tmp_path / "dactl.yaml").write_text("scope: {integrations: [Web Services Data Actions]}\n")
    (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path


# --- every example action ------------------------------------------------------------


EXAMPLES = sorted(spec.name for spec in validate_tree(ACTIONS).actions)


def test_the_examples_are_all_here() -> None:
    assert len(EXAMPLES) == 10


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_action_renders_offline(name: str) -> None:
    spec = next(s for s in validate_tree(ACTIONS).actions if s.name == name)
    run = offline(name, *sample_inputs(spec.contract_input))
    assert run.passed, run.problems
    assert run.request is not None and run.request.url
    assert "${" not in run.request.url and "$esc" not in run.request.url
    assert run.body_json, run.request.body
    assert render_result(run).endswith("PASS: the request renders and its body is JSON.\n")


# --- request rendering ---------------------------------------------------------------


def test_esc_json_string_keeps_the_body_json_whatever_the_input() -> None:
    tricky = 'Ann "the \\ boss"\nO\'Neil'
    run = offline("Create Callback", "queueId=q1", "phoneNumber=+3531", f"customerName={tricky}")
    assert body(run) == {
        "queueId": "q1",
        "callbackNumbers": ["+3531"],
        "callbackUserName": tricky,
    }
    assert run.request is not None
    assert (run.request.method, run.request.url) == ("POST", "/api/v2/conversations/callbacks")
    assert run.request.headers == (("Content-Type", "application/json"),)


def test_quiet_references_render_empty_and_if_adds_the_optional_field() -> None:
    run = offline("Create Callback", "queueId=q1", "phoneNumber=1")
    assert body(run)["callbackUserName"] == ""  # $!{input.customerName} absent
    assert "callbackScheduledTime" not in body(run)
    run = offline("Create Callback", "queueId=q1", "phoneNumber=1", "callbackAt=2030-01-01T09:00Z")
    assert body(run)["callbackScheduledTime"] == "2030-01-01T09:00Z"


def test_set_and_if_with_an_integer_input() -> None:
    assert body(offline("Create Support Ticket", "customerId=c", "subject=s"))["priority"] == 3
    run = offline("Create Support Ticket", "customerId=c", "subject=s", "priority=1")
    assert body(run)["priority"] == 1


def test_url_escaping_and_the_raw_request_body() -> None:
    run = offline("Lookup Customer By Phone", "phoneNumber=+1 555&x")
    assert run.request is not None
    assert run.request.url == "https://crm.example.com/api/v1/customers?phone=%2B1+555%26x"
    assert body(run) == {"phoneNumber": "+1 555&x"}  # ${input.rawRequest}


def test_a_template_error_names_its_place_in_the_file(tmp_path: Path) -> None:
    directory = write_action(
        tmp_path,
        """\
        name: Probe
        integration: Web Services Data Actions
        contract:
          input: {type: object, properties: {a: {type: string}}}
          output: {type: object}
        request:
          requestUrlTemplate: https://x.example.com/a
          requestType: POST
          requestTemplate: |
            {
              "a": "$esc.jsonString(${input.a})"
            #if( $input.a == )
            }
        """,
    )
    run = offline("Probe", "a=1", directory=directory)
    assert not run.passed and run.request is None
    (problem,) = run.problems
    # The template's line 3 is the file's line 12; airspeed stops at column 18 of it, which
    # is column 22 of the file (the block scalar is indented by 4).
    assert here(problem).startswith(
        "probe.yaml:12:22: request.requestTemplate: line 3, column 18: syntax error: "
        "expected value in expression, got: ) } ..."
    )
    assert render_result(run).endswith("FAIL: 1 problem.\n")


def test_a_body_that_is_not_json_fails_with_where(tmp_path: Path) -> None:
    directory = write_action(
        tmp_path,
        """\
        name: Probe
        integration: Web Services Data Actions
        contract:
          input: {type: object, properties: {n: {type: string}}}
          output: {type: object}
        request:
          requestUrlTemplate: https://x.example.com/a
          requestType: POST
          headers: {Content-Type: application/json}
          requestTemplate: '{"n": ${input.n}}'
        """,
    )
    assert offline("Probe", "n=12", directory=directory).passed
    run = offline("Probe", "n=twelve", directory=directory)
    (problem,) = run.problems
    assert here(problem).startswith("probe.yaml:10:21: request.requestTemplate: the rendered body")
    assert "line 1, column 7 of the rendered body" in problem


# --- inputs --------------------------------------------------------------------------


def test_inputs_are_typed_by_the_contract_and_every_problem_is_reported() -> None:
    with pytest.raises(InputError) as caught:
        offline("Create Support Ticket", "customerId=c", "priority=high", "broken")
    assert caught.value.problems == [
        "input 'priority': the value given is not an integer (the input contract type)",
        "--input number 3 is not KEY=VALUE",
        "input: 'subject' is a required property",
    ]


def test_the_input_contract_is_checked_before_anything_renders() -> None:
    with pytest.raises(InputError) as caught:
        offline("Create Support Ticket", "customerId=c", "subject=s", "priority=9")
    assert caught.value.problems == ["input 'priority': does not satisfy maximum 4 (value hidden)"]
    with pytest.raises(InputError) as caught:
        offline("Set User Routing Status", "userId=u", "status=AWAY")
    assert caught.value.problems == [
        'input \'status\': does not satisfy enum ["OFF_QUEUE", "IDLE"] (value hidden)'
    ]


def test_input_problems_never_quote_a_value_even_of_an_action_that_is_not_secure() -> None:
    # Before the live action is known, whether it is secure is not: a file may say
    # secure: false of an action that is secure in the org. So no input problem quotes one.
    with pytest.raises(InputError) as caught:
        offline("Set User Routing Status", f"userId={CUSTOMER}", f"status=AWAY{PIN}", f"x={PIN}")
    problems = "\n".join(caught.value.problems)
    assert_no_secret(problems)
    assert "input 'status': does not satisfy enum" in problems
    with pytest.raises(InputError) as caught:
        offline("Create Support Ticket", "customerId=c", "subject=s", f"priority=x{PIN}")
    assert caught.value.problems == [
        "input 'priority': the value given is not an integer (the input contract type)"
    ]


def test_an_inputs_file_then_input_pairs_override_it(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"customerId": "c", "subject": "from file", "priority": 4}))
    run = offline("Create Support Ticket", "subject=from flag", inputs_file=path)
    assert body(run)["subject"] == "from flag" and body(run)["priority"] == 4
    path.write_text('{"customerId": "c",\n "subject": }')
    with pytest.raises(InputError) as caught:
        offline("Create Support Ticket", inputs_file=path)
    (problem,) = caught.value.problems
    assert problem.startswith(f"--inputs {path}:2:13: not JSON: Expecting value")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 200_000, "not JSON: nesting is too deep to read"),
        ("[" * 300 + "]" * 300, "not JSON: nesting is deeper than 200 levels"),
        (b'{"subject": "\xe9"}', "not UTF-8 text (byte 13)"),
    ],
)
def test_an_inputs_file_that_cannot_be_parsed_is_one_line(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    path = tmp_path / "in.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    result = CliRunner().invoke(
        main, ["test", "Create Support Ticket", str(ACTIONS), "--offline", "--inputs", str(path)]
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: --inputs {path}: {message}",
        "Nothing was run: fix the inputs (see the input contract).",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 200_000, "not JSON: nesting is too deep to read"),
        ("[" * 300 + "]" * 300, "not JSON: nesting is deeper than 200 levels"),
        (b'{"waiting": "\xe9"}', "not UTF-8 text (byte 13)"),
    ],
)
def test_a_response_file_that_cannot_be_parsed_is_one_line(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    path = tmp_path / "response.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    args = ["test", "Get Queue Waiting Count", str(ACTIONS), "--offline", "--input", "queueId=q"]
    result = CliRunner().invoke(main, [*args, "--response", str(path)])
    assert result.exit_code == 1
    assert f"\n--response {path}: {message}\nFAIL: 1 problem.\n" in result.stdout
    assert result.stderr == ""


def test_number_and_boolean_inputs(tmp_path: Path) -> None:
    directory = write_action(
        tmp_path,
        """\
        name: Probe
        integration: Web Services Data Actions
        contract:
          input:
            type: object
            properties: {r: {type: number}, b: {type: boolean}, s: {type: string}}
          output: {type: object}
        request:
          requestUrlTemplate: https://x.example.com/$!{input.b}
          requestType: POST
          requestTemplate: '{"r": $!{input.r}, "b": $!{input.b}, "s": "$!{input.s}"}'
        """,
    )
    run = offline("Probe", "r=2.5", "b=TRUE", "s=007", directory=directory)
    assert body(run) == {"r": 2.5, "b": True, "s": "007"}
    assert run.request is not None and run.request.url == "https://x.example.com/true"
    with pytest.raises(InputError) as caught:
        offline("Probe", "r=NaN", "b=yes", directory=directory)
    assert caught.value.problems == [
        "input 'r': the value given is not a number (the input contract type)",
        "input 'b': the value given is not a boolean (the input contract type)",
    ]


def test_an_unknown_name_suggests_the_close_ones() -> None:
    with pytest.raises(DactlError, match="did you mean 'Get Queue Waiting Count'"):
        offline("Get Queue Count")
    with pytest.raises(DactlError, match="did you mean 'Get User Presence'"):
        offline("get user presence")


# --- sample responses ----------------------------------------------------------------


def response(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "response.json"
    path.write_text(json.dumps(data))
    return path


def test_translation_map_success_template_and_output_contract(tmp_path: Path) -> None:
    sample = {
        "status": "shipped",
        "lines": [{"sku": "A-1"}, {"sku": "B-2"}],
        "estimatedDelivery": {"late": True},
    }
    run = offline("Get Order Status", "orderId=o1", response=response(tmp_path, sample))
    assert run.passed, run.problems
    assert run.variables == {"status": '"shipped"', "items": '["A-1","B-2"]', "eta": "true"}
    assert run.output == {"status": "shipped", "items": ["A-1", "B-2"], "delayed": True}
    text = render_result(run)
    assert 'status = "shipped"' in text
    assert text.endswith("matches the output contract.\n")


def test_defaults_fill_what_the_response_lacks(tmp_path: Path) -> None:
    run = offline("Get User Presence", "userId=u", response=response(tmp_path, {}))
    assert run.output == {"presence": "Offline", "routingStatus": "OFF_QUEUE"}
    sample = {"participants": [{"purpose": "acd", "conversationRoutingData": {"priority": 7}}]}
    run = offline("Get Callback Priority", "conversationId=c", response=response(tmp_path, sample))
    assert run.variables == {"priorities": "[7]"} and run.output == {"priority": 7}
    run = offline("Get Callback Priority", "conversationId=c", response=response(tmp_path, {}))
    assert run.output == {"priority": 0}  # firstFromArray of [] gives its default


def test_an_output_that_breaks_the_contract_fails(tmp_path: Path) -> None:
    sample = {"status": 5, "lines": [], "estimatedDelivery": {"late": False}}
    run = offline("Get Order Status", "orderId=o1", response=response(tmp_path, sample))
    (problem,) = run.problems
    assert problem.endswith(
        "get-order-status.yaml:11:3: contract.output: output 'status': 5 is not of type 'string'"
    )
    assert run.output == {"status": 5, "items": [], "delayed": False}


def test_a_path_that_finds_nothing_without_a_default_fails(tmp_path: Path) -> None:
    run = offline(
        "Create Callback", "queueId=q", "phoneNumber=1", response=response(tmp_path, {"x": 1})
    )
    (problem,) = run.problems
    assert "create-callback.yaml:36:5: response.translationMap.conversationId: " in problem
    assert "'$.conversation.id' found nothing in the response" in problem


def test_broken_jsonpath_and_an_output_that_is_not_json(tmp_path: Path) -> None:
    directory = write_action(
        tmp_path,
        """\
        name: Probe
        integration: Web Services Data Actions
        contract:
          input: {type: object, properties: {}}
          output: {type: object}
        request:
          requestUrlTemplate: https://x.example.com/a
          requestType: GET
        response:
          translationMap: {a: "$.a[", b: $.b}
          translationMapDefaults: {a: "1"}
          successTemplate: '{"b": $b'
        """,
    )
    sample = response(tmp_path, {"b": "x"})
    run = offline("Probe", directory=directory, response=sample)
    (problem,) = run.problems
    assert here(problem).startswith("probe.yaml:10:20: response.translationMap.a: '$.a[' cannot")
    (directory / "probe.yaml").write_text(
        (directory / "probe.yaml").read_text().replace('"$.a["', "$.a")
    )
    run = offline("Probe", directory=directory, response=sample)
    (problem,) = run.problems
    assert "response.successTemplate: the output is not valid JSON" in problem


# --- secure actions ------------------------------------------------------------------


SECURE_ACTION = """\
    name: Probe Secure
    integration: Web Services Data Actions
    secure: true
    contract:
      input:
        type: object
        required: [customerId, pin]
        properties:
          customerId: {type: string}
          pin: {type: string, pattern: "^[0-9]{4}$"}
          retries: {type: integer}
      output: {type: object, properties: {ok: {type: boolean}, echo: {type: integer}}}
    request:
      requestUrlTemplate: https://auth.example.com/c/$esc.url(${input.customerId})
      requestType: POST
      headers: {Content-Type: application/json, X-Customer: "${input.customerId}"}
      requestTemplate: '{"pin": "$esc.jsonString(${input.pin})", "raw": ${input.rawRequest}}'
    response:
      translationMap: {ok: $.ok}
      successTemplate: '{"ok": ${ok}, "echo": "${input.pin} for ${input.customerId}"}'
    """


def assert_no_secret(text: str) -> None:
    assert PIN not in text and CUSTOMER not in text, text


def test_a_secure_action_never_shows_its_inputs(tmp_path: Path) -> None:
    run = offline("Verify Customer PIN", f"customerId={CUSTOMER}", f"pin={PIN}")
    assert run.passed
    text = render_result(run)
    assert_no_secret(text)
    assert "customers/<input.customerId>/verify" in text
    assert '"pin": "<input.pin>"' in text


def test_secure_output_problems_and_errors_are_redacted(tmp_path: Path) -> None:
    directory = write_action(tmp_path, SECURE_ACTION)
    sample = response(tmp_path, {"ok": True})
    run = offline(
        "Probe Secure", f"customerId={CUSTOMER}", "pin=1234", directory=directory, response=sample
    )
    text = render_result(run)
    assert CUSTOMER not in text and "1234" not in text
    assert '"raw": {' in text and '"customerId": "<input.customerId>"' in text
    assert "X-Customer: <input.customerId>" in text
    assert run.output == {"ok": True, "echo": "<input.pin> for <input.customerId>"}
    # the output breaks its contract (echo is not an integer): said without the value
    assert run.problems[-1].endswith(
        "contract.output: output 'echo': does not satisfy type \"integer\" (value hidden)"
    )

    with pytest.raises(InputError) as caught:
        offline(
            "Probe Secure",
            f"customerId={CUSTOMER}",
            f"pin={PIN}",
            "retries=x" + PIN,
            directory=directory,
        )
    problems = "\n".join(caught.value.problems)
    assert_no_secret(problems)
    assert "input 'pin': does not satisfy pattern" in problems
    assert "input 'retries': the value given is not an integer" in problems


def test_a_secure_render_error_leaves_out_the_detail_that_could_quote_a_value(
    tmp_path: Path,
) -> None:
    broken = SECURE_ACTION.replace(
        "requestTemplate: '{", "requestTemplate: '#set($l = [1])$l[$input.pin]{"
    )
    directory = write_action(tmp_path, broken)
    run = offline("Probe Secure", f"customerId={CUSTOMER}", "pin=1234", directory=directory)
    (problem,) = run.problems
    assert "cannot evaluate" in problem and "1234" not in problem
    shown = write_action(tmp_path, broken.replace("secure: true", "secure: false"))
    (problem,) = offline(
        "Probe Secure", f"customerId={CUSTOMER}", "pin=1234", directory=shown
    ).problems
    assert "1234" in problem  # the detail is real, and only secure actions hide it


def test_the_cli_keeps_secure_inputs_out_of_stdout_and_stderr(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["test", "Verify Customer PIN", str(ACTIONS), "--offline"]
    ok = runner.invoke(main, [*args, "--input", f"customerId={CUSTOMER}", "--input", f"pin={PIN}"])
    assert ok.exit_code == 0, ok.output
    assert_no_secret(ok.stdout + ok.stderr)
    bad = runner.invoke(main, [*args, "--input", f"pin={PIN}", "--input", f"nope{CUSTOMER}"])
    assert bad.exit_code == 1
    assert "Nothing was run" in bad.stderr
    assert_no_secret(bad.stdout + bad.stderr)


def test_the_cli_exit_codes_and_response_needs_offline(tmp_path: Path) -> None:
    runner = CliRunner()
    # nothing listens on port 9: an offline test never connects
    passed = runner.invoke(
        main,
        ["test", "Get Queue Waiting Count", str(ACTIONS), "--offline", "--input", "queueId=q"],
        env={"GENESYSCLOUD_API_URL": "http://127.0.0.1:9"},
    )
    assert (
        passed.exit_code == 0 and "GET /api/v2/routing/queues/q/estimatedwaittime" in passed.stdout
    )
    failed = runner.invoke(
        main,
        [
            "test",
            "Create Callback",
            str(ACTIONS),
            "--offline",
            "--input",
            "queueId=q",
            "--input",
            "phoneNumber=1",
            "--response",
            str(response(tmp_path, {})),
        ],
    )
    assert failed.exit_code == 1 and failed.stdout.endswith("FAIL: 1 problem.\n")
    refused = runner.invoke(main, ["test", "Create Callback", "--response", "x.json"])
    assert refused.exit_code == 1 and "add --offline" in refused.stderr


# --- reading /test results (remote; the e2e tests run it against the sandbox) --------


FAILED_TEST = {
    "success": False,
    "operations": [
        {
            "step": 1,
            "name": "Resolve request URL template",
            "success": True,
            "result": f"https://auth.example.com/c/{CUSTOMER}",
        },
        {
            "step": 2,
            "name": "Execute request",
            "success": True,
            "result": {"headers": {"Authorization": "Bearer abcdef123456"}, "status": 200},
        },
        {
            "step": 3,
            "name": "Apply output transformation",
            "success": False,
            "error": {
                "status": 400,
                "code": "bad.request",
                "message": f"Transform failed: Variable $x has not been set. Template:'{PIN}'",
            },
        },
    ],
    "error": {"status": 400, "code": "bad.request", "message": "Transform failed"},
}


def remote(body: dict[str, Any], status: int = 200, *, secure: bool) -> RemoteRun:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v2/integrations/actions/custom_-_1/test"
        assert json.loads(request.content) == {"customerId": CUSTOMER, "pin": PIN}
        return httpx.Response(status, json=body)

    settings = ConnectionSettings(
        api_url="https://api.example.test",
        login_url="https://login.example.test",
        access_token="token",
    )
    target = LiveTarget("custom_-_1", 3, secure, {}, {}, Integrations({}))
    with GenesysClient(settings, transport=httpx.MockTransport(answer)) as client:
        return run_remote(
            ActionsApi(client),
            "Probe",
            target,
            {"customerId": CUSTOMER, "pin": PIN},
            secure=secure,
        )


def test_a_failed_remote_test_shows_each_step_and_hides_credentials() -> None:
    run = remote(FAILED_TEST, secure=False)
    assert not run.passed
    text = render_result(run)
    assert "  ✓ 1. Resolve request URL template\n" in text
    assert f"      https://auth.example.com/c/{CUSTOMER}\n" in text
    assert '"Authorization": "(sensitive value)"' in text and "abcdef123456" not in text
    assert "  ✗ 3. Apply output transformation: HTTP 400 bad.request: Transform failed" in text
    assert text.endswith("FAIL: the test did not succeed.\n")


def test_a_secure_remote_test_shows_step_names_and_codes_only() -> None:
    text = render_result(remote(FAILED_TEST, secure=True))
    assert_no_secret(text)
    assert "  ✗ 3. Apply output transformation: HTTP 400 bad.request\n" in text
    assert "Transform failed" not in text and "Bearer" not in text


ECHOING_TEST = {
    "success": True,
    "operations": [{"step": 1, "name": "Execute request", "success": True, "result": {}}],
    # what a service may answer: the inputs echoed, exactly and not quite
    "finalResult": {
        "customer": CUSTOMER,
        "customerUpper": CUSTOMER.upper(),
        "pinLast4": PIN[-4:],
        "pinNumber": int(PIN),
        "greeting": f"Hello {CUSTOMER.removeprefix('cust-')}",
    },
}


def test_a_secure_remote_test_prints_no_result_only_whether_it_succeeded() -> None:
    run = remote(ECHOING_TEST, secure=True)
    assert run.passed and run.final_result is None
    text = render_result(run)
    for leaked in (CUSTOMER, CUSTOMER.upper(), PIN[-4:], CUSTOMER.removeprefix("cust-")):
        assert leaked not in text, text
    assert "Result: hidden (secure action)\n" in text
    assert text.endswith("PASS: the test succeeded.\n")
    shown = render_result(remote(ECHOING_TEST, secure=False))
    assert f'"customerUpper": "{CUSTOMER.upper()}"' in shown  # only secure hides it


def test_a_refused_remote_test_names_the_reasons_unless_secure() -> None:
    refusal = {
        "status": 400,
        "code": "invalid.schema",
        "message": "There was an issue validating the schema.",
        "errors": [{"message": f"pin: '{PIN}' does not match '^[0-9]{{4}}$'"}],
    }
    with pytest.raises(DactlError) as caught:
        remote(refusal, 400, secure=False)
    assert "HTTP 400 invalid.schema" in str(caught.value) and PIN in str(caught.value)
    with pytest.raises(DactlError) as caught:
        remote(refusal, 400, secure=True)
    assert str(caught.value) == (
        "the org refused the test (HTTP 400 invalid.schema; details hidden: secure)"
    )


def test_a_secure_offline_output_derived_from_an_input_is_never_shown(tmp_path: Path) -> None:
    """Upper-cased, cut or encoded, a secret is still a secret: the output is hidden."""
    derived = SECURE_ACTION.replace(
        """successTemplate: '{"ok": ${ok}, "echo": "${input.pin} for ${input.customerId}"}\'""",
        """successTemplate: '{"ok": ${ok}, "echo": "$input.customerId.toUpperCase() """
        """$encoding.base64(${input.pin})"}\'""",
    ).replace("echo: {type: integer}", "echo: {type: string}")
    assert derived != SECURE_ACTION
    directory = write_action(tmp_path, derived)
    sample = tmp_path / "response.json"
    sample.write_text('{"ok": true}')
    run = offline(
        "Probe Secure", f"customerId={CUSTOMER}", "pin=4321", directory=directory, response=sample
    )
    assert run.passed, run.problems
    text = render_result(run)
    assert_no_secret(text)
    assert CUSTOMER.upper() not in text
    assert base64.b64encode(b"4321").decode() not in text and "4321" not in text
    assert "Output: hidden (secure action)" in text


# --- references left unrendered ------------------------------------------------------

UNRENDERED = """\
name: Probe
integration: Web Services Data Actions
secure: {secure}
contract:
  input:
    type: object
    properties: {{userId: {{type: string}}, note: {{type: string}}, tag: {{type: string}}}}
  output: {{type: object}}
request:
  requestUrlTemplate: https://x.example.com/users/${{input.UserId}}?u=${{input.userId}}
  requestType: POST
  headers:
    X-Tag: $input.tag
    X-Price: "$5 and abc$def123"
  requestTemplate: |
    {{"note": "$esc.jsonString($Input.note)", "cost": "$5", "quiet": "$!{{input.gone}}",
     "literal": "${{esc.dollar}}{{input.userId}}"}}
"""


def test_a_reference_left_unrendered_fails_naming_the_field_and_the_reference(
    tmp_path: Path,
) -> None:
    directory = write_action(tmp_path, UNRENDERED.format(secure="false"))
    run = offline("Probe", "userId=u1", "note=n", "tag=t", directory=directory)
    assert [here(p) for p in run.problems] == [
        "probe.yaml:10:51: request.requestUrlTemplate: ${input.UserId} was left unrendered "
        "(the input is 'userId': Velocity names are case-sensitive)",
        "probe.yaml:16:31: request.requestTemplate: $Input.note was left unrendered "
        "($Input is not $input: Velocity names are case-sensitive)",
    ]
    # The request is still shown, with what Genesys would send.
    assert run.request is not None
    assert run.request.url == "https://x.example.com/users/${input.UserId}?u=u1"
    assert ("X-Price", "$5 and abc$def123") in run.request.headers  # text, not references
    assert body(run) == {
        "note": "$esc.jsonString($Input.note)",
        "cost": "$5",
        "quiet": "",
        "literal": "${input.userId}",
    }
    text = render_result(run)
    assert text.endswith("FAIL: 2 problems.\n")
    # validate's warnings for the action come first, before the request and the result
    warning = "warning: request.requestUrlTemplate: input.UserId differs from the input"
    assert warning in text and text.index(warning) < text.index("Request:")


def test_an_input_given_no_value_is_left_unrendered_and_the_hint_says_how_to_quiet_it(
    tmp_path: Path,
) -> None:
    directory = write_action(tmp_path, UNRENDERED.format(secure="false"))
    run = offline("Probe", "userId=u1", "note=n", directory=directory)
    assert here(run.problems[1]) == (
        "probe.yaml:13:12: request.headers.X-Tag: $input.tag was left unrendered (no value was "
        "given for the input 'tag'; write $!input.tag to send nothing when it is absent)"
    )


def test_a_fully_rendered_request_with_literal_dollars_passes(tmp_path: Path) -> None:
    text = UNRENDERED.format(secure="false")
    text = text.replace("${input.UserId}", "${input.userId}").replace("$Input", "$input")
    directory = write_action(tmp_path, text)
    run = offline("Probe", "userId=u1", "note=n", "tag=t", directory=directory)
    assert run.passed, run.problems
    # A warning of validate is shown on a PASS too; a quiet reference renders empty.
    warning = (
        "probe.yaml:16:70: warning: request.requestTemplate: input.gone is not a property of "
        "the input contract"
    )
    assert [here(w) for w in run.warnings] == [warning]
    text = render_result(run)
    assert warning in text and text.endswith("PASS: the request renders and its body is JSON.\n")


def test_a_secure_action_left_unrendered_names_the_reference_never_a_value(
    tmp_path: Path,
) -> None:
    directory = write_action(tmp_path, UNRENDERED.format(secure="true"))
    run = offline("Probe", f"userId={PIN}", f"note={CUSTOMER}", directory=directory)
    assert len(run.problems) == 3  # the URL, the X-Tag header (no tag given), the body
    text = render_result(run)
    assert PIN not in text and CUSTOMER not in text
    assert "${input.UserId} was left unrendered" in text


@pytest.mark.parametrize(
    ("template", "inputs", "left"),
    [
        ("/u/${input.UserId}", {"userId": "u"}, ["${input.UserId}"]),
        ("/u/$input.UserId/x", {"userId": "u"}, ["$input.UserId"]),
        ("/u/$!{input.UserId}", {"userId": "u"}, []),  # quiet: renders empty on purpose
        ('{"p": "$esc.jsonString($input.phone)"}', {}, ["$input.phone"]),
        ("$nothing.here() costs $5", {}, []),  # unbraced, no such name: text
        ("${esc.dollar}input.userId $input.userId", {"userId": "u"}, []),
        ("\\${input.userId}", {"userId": "u"}, []),  # escaped: text on purpose
        ("#if($input.q)q#end", {}, []),  # a condition renders nothing
        ("$input.userId.foo", {"userId": "u"}, ["$input.userId.foo"]),
        ("#set($a = $input.zz)$a", {}, ["$a"]),
        ("${input.zz.trim()}", {}, ["${input.zz.trim"]),
        ("$input.userIdx $input.userId", {"userId": "u"}, ["$input.userIdx"]),
    ],
)
def test_unrendered_finds_only_references_the_template_left_as_text(
    template: str, inputs: dict[str, Any], left: list[str]
) -> None:
    context = template_context(inputs)
    found = unrendered(template, render(template, context), context)
    assert [ref.text for ref in found] == left
