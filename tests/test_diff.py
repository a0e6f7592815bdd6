"""Normalization and field-level diff."""

from __future__ import annotations

import copy
from typing import Any

from reconciler.canonical import canonical_desired, content_hash
from reconciler.config.model import ActionSpec
from reconciler.diff import MISSING, diff
from reconciler.genesys.wire import canonical_live

SPEC = ActionSpec(
    name="Get Waiting",
    source="actions/a.yaml",
    integration="Genesys Cloud Data Actions",
    timeout_seconds=10,
    contract_input={
        "type": "object",
        "required": ["b", "a"],
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
    },
    contract_output={"type": "object", "properties": {"n": {"type": "integer"}}},
    request={"requestUrlTemplate": "/api/v2/x/${input.a}", "requestType": "GET"},
    response={"translationMap": {"n": "$.n"}, "successTemplate": '{"n": ${n}}'},
)
NAMES = {"gid": "Genesys Cloud Data Actions"}


def live_shape(**overrides: Any) -> dict[str, Any]:
    """The action as the API returns it (with server-owned fields) after template inlining."""
    action: dict[str, Any] = {
        "id": "custom_-_1",
        "version": 4,
        "selfUri": "/api/v2/integrations/actions/custom_-_1",
        "name": "Get Waiting",
        "integrationId": "gid",
        "category": "Genesys Cloud Data Actions",
        "secure": False,
        "contract": {
            "input": {
                "inputSchema": {
                    "type": "object",
                    "required": ["a", "b"],
                    "properties": {"b": {"type": "string"}, "a": {"type": "string"}},
                },
                "inputSchemaUri": "/x/schemas/inputschema.json",
                "inputSchemaFlattened": {"x": 1},
            },
            "output": {
                "successSchema": {"type": "object", "properties": {"n": {"type": "integer"}}},
                "successSchemaUri": "/x/schemas/successschema.json",
            },
        },
        "config": {
            "timeoutSeconds": 10,
            "request": {
                "requestUrlTemplate": "/api/v2/x/${input.a}",
                "requestType": "GET",
                "headers": {},
                "requestTemplate": "${input.rawRequest}",
                "requestTemplateUri": "/x/templates/requesttemplate.vm",
            },
            "response": {
                "translationMap": {"n": "$.n"},
                "translationMapDefaults": {},
                "successTemplate": '{"n": ${n}}',
                "successTemplateUri": "/x/templates/successtemplate.vm",
            },
        },
    }
    action.update(overrides)
    return action


def test_export_shape_equals_desired_no_perpetual_diff() -> None:
    desired = canonical_desired(SPEC, "gid", "Genesys Cloud Data Actions")
    live = canonical_live(live_shape(), NAMES)
    assert diff(live, desired) == []
    assert content_hash(live) == content_hash(desired)


def test_default_templates_equal_absent_ones_and_category_defaults() -> None:
    raw = live_shape(category=None)
    del raw["config"]["request"]["requestTemplate"]
    raw["config"]["response"]["successTemplate"] = ""
    desired = canonical_desired(
        ActionSpec(**{**SPEC.__dict__, "response": {"translationMap": {"n": "$.n"}}}),
        "gid",
        "Genesys Cloud Data Actions",
    )
    live = canonical_live(raw, NAMES)
    assert diff(live, desired) == []
    assert live["category"] == "Genesys Cloud Data Actions"
    assert live["request"]["requestTemplate"] == "${input.rawRequest}"
    assert desired["response"]["successTemplate"] == "${rawResult}"


def test_properties_named_like_server_fields_are_user_data() -> None:
    """Only the fields beside a schema are the server's; inside it, every key is the user's."""
    raw = live_shape()
    schema = raw["contract"]["input"]["inputSchema"]
    schema["properties"]["callbackUri"] = {"type": "string"}
    schema["properties"]["resultFlattened"] = {"type": "boolean"}
    live = canonical_live(raw, NAMES)
    assert set(live["contract"]["input"]["properties"]) == {
        "a",
        "b",
        "callbackUri",
        "resultFlattened",
    }
    changes = diff(live, canonical_desired(SPEC, "gid", NAMES["gid"]))
    assert [c.dotted for c in changes] == [  # the desired file lacks them: that is a change
        "contract.input.properties.callbackUri",
        "contract.input.properties.resultFlattened",
    ]


def test_timeout_change_is_one_field() -> None:
    raw = live_shape()
    raw["config"]["timeoutSeconds"] = 3
    (change,) = diff(canonical_live(raw, NAMES), canonical_desired(SPEC, "gid", NAMES["gid"]))
    assert change.path == ("timeoutSeconds",) and (change.before, change.after) == (3, 10)


def test_absent_timeout_is_a_change_not_the_default() -> None:
    raw = live_shape()
    del raw["config"]["timeoutSeconds"]
    (change,) = diff(canonical_live(raw, NAMES), canonical_desired(SPEC, "gid", NAMES["gid"]))
    assert change.before is None and change.after == 10


def test_added_and_removed_keys_and_lists() -> None:
    live = canonical_live(live_shape(), NAMES)
    desired = copy.deepcopy(live)
    desired["request"]["headers"]["Accept"] = "application/json"
    desired["contract"]["output"]["properties"]["n"]["enum"] = [1, 2]
    del desired["response"]["translationMap"]["n"]
    live["contract"]["output"]["required"] = ["n"]
    changes = {c.dotted: c for c in diff(live, desired)}
    assert set(changes) == {
        "request.headers.Accept",
        "contract.output.properties.n.enum",
        "response.translationMap.n",
        "contract.output.required",
    }
    assert changes["request.headers.Accept"].before is MISSING
    assert changes["response.translationMap.n"].after is MISSING
    assert changes["contract.output.properties.n.enum"].after == [1, 2]


def test_list_changes_are_reported_whole() -> None:
    live = canonical_live(live_shape(), NAMES)
    desired = copy.deepcopy(live)
    desired["contract"]["input"]["properties"]["a"]["enum"] = ["x", "y", "z"]
    live["contract"]["input"]["properties"]["a"]["enum"] = ["x", "q"]
    (change,) = diff(live, desired)
    assert change.path == ("contract", "input", "properties", "a", "enum")
    assert change.before == ["x", "q"] and change.after == ["x", "y", "z"]
