"""Emulated /test, /draft/test and /execute."""

from __future__ import annotations

import pytest

from reconciler.sandbox.execution import render_template
from reconciler.sandbox.seed import STATIC_ACTION_IDS

from .helpers import ACTIONS, Api, action_body


def test_test_renders_templates_and_defaults(api: Api) -> None:
    action_id = api.create()["id"]
    result = api.post(f"{ACTIONS}/{action_id}/test", json={"queueId": "q-1"}).json()
    assert result["success"] is True
    assert result["finalResult"] == {"waiting": 0}
    steps = {op["name"]: op["result"] for op in result["operations"]}
    assert steps["Resolve request URL template"] == "/api/v2/routing/queues/q-1/estimatedwaittime"
    assert steps["Resolve request body template"] == '{"queueId": "q-1"}'
    assert [op["step"] for op in result["operations"]] == list(
        range(1, len(result["operations"]) + 1)
    )


def test_execute_returns_final_result(api: Api) -> None:
    action_id = api.create()["id"]
    response = api.post(f"{ACTIONS}/{action_id}/execute", json={"queueId": "q-1"})
    assert response.status_code == 200
    assert response.json() == {"waiting": 0}


@pytest.mark.parametrize("suffix", ["test", "execute", "draft/test"])
@pytest.mark.parametrize("inputs", [{}, {"queueId": 5}, [1, 2]])
def test_inputs_not_matching_the_contract(api: Api, suffix: str, inputs: object) -> None:
    action_id = api.create()["id"]
    api.post(f"{ACTIONS}/{action_id}/draft")
    response = api.post(f"{ACTIONS}/{action_id}/{suffix}", json=inputs)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid.schema"
    assert body["message"] == "There was an issue validating the schema."
    assert body["errors"]


def test_draft_test_uses_the_draft(api: Api) -> None:
    body = action_body()
    body["config"]["response"]["translationMapDefaults"] = {"waiting": "7"}
    action_id = api.post(f"{ACTIONS}/drafts", json=body).json()["id"]
    result = api.post(f"{ACTIONS}/{action_id}/draft/test", json={"queueId": "q"}).json()
    assert result["finalResult"] == {"waiting": 7}
    assert api.post(f"{ACTIONS}/{action_id}/test", json={"queueId": "q"}).status_code == 404


def test_static_actions_can_be_tested(api: Api) -> None:
    response = api.post(f"{ACTIONS}/{STATIC_ACTION_IDS[1]}/test", json={"contactId": "003"}).json()
    assert response["operations"][0]["result"].endswith("/sobjects/Contact/003")


def test_render_template() -> None:
    inputs = {"a": "x", "n": 3}
    assert render_template("/u/${input.a}/${input.n}", inputs) == "/u/x/3"
    assert render_template("${input.missing}|$!{input.missing}", inputs) == "${input.missing}|"
    assert render_template("${input.rawRequest}", inputs) == '{"a": "x", "n": 3}'
