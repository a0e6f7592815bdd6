"""Live action -> YAML action file: exact output, exact round trips, safe file names."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconciler.actionfile import (
    action_to_data,
    action_to_yaml,
    block_safe,
    dump_yaml,
    file_name_for,
)
from reconciler.canonical import canonical_desired
from reconciler.config.model import DEFAULT_REQUEST_TEMPLATE, ActionSpec
from reconciler.config.tree import Located, to_located
from reconciler.config.yamlsafe import parse_yaml
from reconciler.diff import diff
from reconciler.genesys.wire import canonical_live

INTEGRATION = "Genesys Cloud Data Actions"

LIVE: dict[str, Any] = {
    "id": "custom_-_1",
    "version": 4,
    "selfUri": "/api/v2/integrations/actions/custom_-_1",
    "name": "Get Queue Waiting Count",
    "integrationId": "gid",
    "category": INTEGRATION,
    "secure": False,
    "contract": {
        "input": {
            "inputSchema": {
                "type": "object",
                "required": ["queueId"],
                "properties": {"queueId": {"type": "string", "description": "The queue id."}},
            },
            "inputSchemaUri": "/x/schemas/inputschema.json",
            "inputSchemaFlattened": {"schema": {}, "arrayProperties": []},
        },
        "output": {
            "successSchema": {"type": "object", "properties": {"waiting": {"type": "integer"}}},
            "successSchemaUri": "/x/schemas/successschema.json",
        },
    },
    "config": {
        "timeoutSeconds": 10,
        "request": {
            "requestUrlTemplate": "/api/v2/routing/queues/${input.queueId}/estimatedwaittime",
            "requestType": "GET",
            "headers": {},
            "requestTemplate": "${input.rawRequest}",
            "requestTemplateUri": "/x/templates/requesttemplate.vm",
        },
        "response": {
            "translationMap": {"waiting": "$.results[0].estimatedWaitTimeSeconds"},
            "translationMapDefaults": {"waiting": "0"},
            "successTemplate": '{"waiting": ${waiting}}',
            "successTemplateUri": "/x/templates/successtemplate.vm",
        },
    },
}


def live(**config: Any) -> dict[str, Any]:
    """``LIVE`` with request/response fields replaced (``request_X=...``, ``response_X=...``)."""
    action = copy.deepcopy(LIVE)
    for key, value in config.items():
        section, field = key.split("_", 1)
        action["config"][section][field] = value
    return action


def load(text: str) -> Located:
    return to_located(parse_yaml(text.encode("utf-8"), "a.yaml"), "a.yaml")


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (``1 == True`` does not count)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def test_exact_output_leaves_out_server_fields_and_defaults() -> None:
    text = action_to_yaml(LIVE, INTEGRATION, schema_ref="../schemas/action.schema.json")
    assert text == (
        "# yaml-language-server: $schema=../schemas/action.schema.json\n"
        "name: Get Queue Waiting Count\n"
        "integration: Genesys Cloud Data Actions\n"
        "timeoutSeconds: 10\n"
        "contract:\n"
        "  input:\n"
        "    type: object\n"
        "    required: [queueId]\n"
        "    properties:\n"
        "      queueId: {type: string, description: The queue id.}\n"
        "  output:\n"
        "    type: object\n"
        "    properties:\n"
        "      waiting: {type: integer}\n"
        "request:\n"
        "  requestUrlTemplate: /api/v2/routing/queues/${input.queueId}/estimatedwaittime\n"
        "  requestType: GET\n"
        "response:\n"
        "  translationMap:\n"
        "    waiting: $.results[0].estimatedWaitTimeSeconds\n"
        "  translationMapDefaults:\n"
        "    waiting: '0'\n"
        """  successTemplate: '{"waiting": ${waiting}}'\n"""
    )


def test_exact_output_category_secure_and_templates() -> None:
    action = live(
        request_headers={"Content-Type": "application/json"},
        request_requestTemplate='{\n  "q": "${input.queueId}"\n}\n',
        response_translationMap={},
        response_translationMapDefaults={},
        response_successTemplate='{\n  "w": ${w} \n}',  # a trailing space: no block scalar
    )
    action.update(category="Queues", secure=True)
    del action["config"]["timeoutSeconds"]
    text = action_to_yaml(action, INTEGRATION)
    assert text.startswith(
        "name: Get Queue Waiting Count\n"
        "integration: Genesys Cloud Data Actions\n"
        "category: Queues\n"
        "secure: true\n"
        "contract:\n"
    )
    assert text.endswith(
        "  headers:\n"
        "    Content-Type: application/json\n"
        "  requestTemplate: |\n"
        "    {\n"
        '      "q": "${input.queueId}"\n'
        "    }\n"
        "response:\n"
        '  successTemplate: "{\\n\\\n    \\  \\"w\\": ${w} \\n\\\n    }"\n'
    )


def test_chomping_indicator_keeps_trailing_newlines_exactly() -> None:
    for template, header in (("a\nb", "|-"), ("a\nb\n", "|"), ("a\nb\n\n", "|+")):
        text = dump_yaml({"t": template})
        assert text.startswith(f"t: {header}\n"), text
        assert load(text).data == {"t": template}


def test_default_templates_and_empty_response_are_left_out() -> None:
    action = live(
        request_requestTemplate="",
        response_translationMap={},
        response_translationMapDefaults={},
        response_successTemplate="${rawResult}",
    )
    data = action_to_data(action, INTEGRATION)
    assert "requestTemplate" not in data["request"] and "response" not in data


# Characters that make YAML scalars awkward: indicators, breaks of every kind, blanks,
# controls, quotes, a BOM, non-ASCII letters and an astral-plane emoji.
AWKWARD = st.text(
    st.sampled_from(list(" \n\t\r\x85\u2028\u2029\ufeff\x00\x7f\xa0#:-?|>'\"%@`!&*{}[],\\$aZ0é😀")),
    max_size=24,
)
TEXT = AWKWARD | st.text(st.characters(exclude_categories=["Cs"]), max_size=24)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(TEXT)
@example("a\nb  \nc")
@example("  lead\nsecond")
@example("\nfirst line empty")
@example("tab\there\n")
@example("crlf\r\nline\r\n")
@example("nel\x85line")
@example("end\n\n\n")
@example("---\n...\n# not a comment\n")
def test_any_string_round_trips_in_every_position(text: str) -> None:
    action = live(
        request_headers={text: text},
        request_requestTemplate=text,
        response_translationMap={text: "$.x", "y": text},
    )
    action.update(name=text, category=text)
    action["contract"]["input"]["inputSchema"]["properties"] = {text: {"enum": [text, 1]}}
    action["contract"]["output"]["successSchema"]["description"] = text
    written = action_to_data(action, INTEGRATION)
    loaded = load(action_to_yaml(action, INTEGRATION))
    assert same(loaded.data, written)
    if text not in ("", DEFAULT_REQUEST_TEMPLATE):
        style, _ = loaded.scalars[("request", "requestTemplate")]
        assert (style == "|") == block_safe(text)


@settings(max_examples=100, deadline=None)
@given(JSON)
def test_any_json_data_in_a_contract_round_trips(value: Any) -> None:
    action = live()
    action["contract"]["input"]["inputSchema"]["properties"]["queueId"]["default"] = value
    assert same(load(action_to_yaml(action, INTEGRATION)).data, action_to_data(action, INTEGRATION))


@settings(max_examples=150, deadline=None)
@given(
    request_template=TEXT,
    success_template=TEXT,
    header=TEXT,
    description=TEXT,
    timeout=st.none() | st.integers(1, 60),
)
def test_exported_file_plans_no_change_against_its_live_action(
    request_template: str, success_template: str, header: str, description: str, timeout: int | None
) -> None:
    action = live(
        request_requestTemplate=request_template,
        request_headers={"X-Note": header},
        response_successTemplate=success_template,
    )
    action["contract"]["input"]["inputSchema"]["description"] = description
    if timeout is None:
        del action["config"]["timeoutSeconds"]
    else:
        action["config"]["timeoutSeconds"] = timeout
    data = load(action_to_yaml(action, INTEGRATION)).data
    spec = ActionSpec.from_data(data, "a.yaml")
    desired = canonical_desired(spec, "gid", INTEGRATION)
    assert diff(canonical_live(action, {"gid": INTEGRATION}), desired) == []


def test_block_safe() -> None:
    assert block_safe("a\n  b\n\nc\n")
    assert not block_safe("one line")
    for text in ("a \nb", "a\nb ", " a\nb", "\na", "a\tb\n", "a\r\nb", "a\n\ufeffb", "a\u2028b\n"):
        assert not block_safe(text), repr(text)


def test_file_names_are_safe_and_unique() -> None:
    assert file_name_for("Get User Presence") == "get-user-presence.yaml"
    assert file_name_for("Get User Presence", {"get-user-presence.yaml"}) == (
        "get-user-presence-2.yaml"
    )
    taken = {"get-user-presence.yaml", "Get-User-Presence-2.yaml"}
    assert file_name_for("get user presence!", taken) == "get-user-presence-3.yaml"
    assert file_name_for("Café Über / Lookup") == "cafe-uber-lookup.yaml"
    assert file_name_for("../../etc/passwd") == "etc-passwd.yaml"
    assert file_name_for("_template") == "template.yaml"
    assert file_name_for("!!!") == "action.yaml"
    assert file_name_for("dactl") == "dactl-2.yaml"
    assert len(file_name_for("x" * 300)) == 80 + len(".yaml")
