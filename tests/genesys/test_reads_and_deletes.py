"""Reads and deletes as Genesys clients do them: both template files are always read
(the Terraform provider's ``readIntegrationAction`` GETs both), and a delete is waited on
until the action reads 404 (the provider polls GET for up to 30 s), genesys-api.md §10."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reconciler.errors import ApiError, MissingTemplateError
from reconciler.genesys import ActionsApi, GenesysClient
from reconciler.genesys.actions import DELETE_WAIT_SECONDS

from .fakes import FakeServer, FakeTime, json_response

BASE = "/api/v2/integrations/actions"
ACTION_ID = "custom_-_3f0c7c1e-0000-4000-8000-000000000002"
ONE = f"{BASE}/{ACTION_ID}"
NOT_FOUND = {"code": "not.found", "message": "Unable to find it", "status": 404}


@pytest.fixture
def api(client: GenesysClient) -> ActionsApi:
    return ActionsApi(client)


def bare_action(**config: Any) -> dict[str, Any]:
    """An action whose config names no template at all: neither inline nor by URI."""
    return {"id": ACTION_ID, "name": "A", "version": 2, "config": config}


def serve(action: dict[str, Any], templates: dict[str, httpx.Response | None]) -> Any:
    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith(".vm"):
            found = templates.get(path.rsplit("/", 1)[1])
            return found if found is not None else json_response(404, NOT_FOUND)
        return json_response(200, action)

    return handle


def test_templates_are_read_even_when_no_uri_names_them(
    api: ActionsApi, server: FakeServer
) -> None:
    server.api = serve(
        bare_action(request={"requestType": "GET"}, response={"translationMap": {}}),
        {
            "requesttemplate.vm": httpx.Response(200, text="REQ"),
            "successtemplate.vm": httpx.Response(200, text="OK"),
        },
    )
    full = api.get_action_full(ACTION_ID)
    assert server.paths == [
        ONE,
        f"{ONE}/templates/requesttemplate.vm",
        f"{ONE}/templates/successtemplate.vm",
    ]
    assert full["config"]["request"]["requestTemplate"] == "REQ"
    assert full["config"]["response"]["successTemplate"] == "OK"


def test_a_missing_config_section_gets_its_template_read(
    api: ActionsApi, server: FakeServer
) -> None:
    server.api = serve(
        bare_action(request={"requestType": "GET"}),
        {
            "requesttemplate.vm": httpx.Response(200, text="REQ"),
            "successtemplate.vm": httpx.Response(200, text="${rawResult}"),
        },
    )
    full = api.get_action_full(ACTION_ID)
    assert full["config"]["response"] == {"successTemplate": "${rawResult}"}
    assert len(server.calls) == 3


def test_an_empty_inline_template_is_not_read_again(api: ActionsApi, server: FakeServer) -> None:
    server.api = serve(
        bare_action(request={"requestTemplate": ""}, response={"successTemplate": "x"}), {}
    )
    full = api.get_action_full(ACTION_ID)
    assert full["config"]["request"]["requestTemplate"] == ""
    assert server.paths == [ONE]


def test_a_template_404_of_a_vanished_action_is_the_action_404(
    api: ActionsApi, server: FakeServer
) -> None:
    responses = [
        json_response(200, bare_action(request={}, response={})),
        json_response(404, NOT_FOUND),  # requesttemplate.vm
        json_response(404, NOT_FOUND),  # the action itself, asked again
    ]
    server.api = list(responses)
    with pytest.raises(ApiError) as info:
        api.get_action_full(ACTION_ID)
    assert info.value.status == 404
    assert not isinstance(info.value, MissingTemplateError)
    assert f"GET {ONE}:" in str(info.value)
    assert server.paths == [ONE, f"{ONE}/templates/requesttemplate.vm", ONE]


def test_a_template_404_of_an_action_that_exists_is_an_error_not_a_default(
    api: ActionsApi, server: FakeServer
) -> None:
    server.api = serve(
        bare_action(request={}, response={"successTemplate": "x"}),
        {"requesttemplate.vm": None},
    )
    with pytest.raises(MissingTemplateError) as info:
        api.get_action_full(ACTION_ID)
    message = str(info.value)
    assert "templates/requesttemplate.vm: not found, though the action exists" in message
    assert "does not assume Genesys' default" in message


def test_a_draft_that_vanishes_while_read_is_no_draft(api: ActionsApi, server: FakeServer) -> None:
    server.api = [
        json_response(200, bare_action(request={}, response={})),
        json_response(404, NOT_FOUND),  # draft/templates/requesttemplate.vm
        json_response(404, NOT_FOUND),  # the draft, asked again: published meanwhile
    ]
    assert api.get_draft_full(ACTION_ID) is None
    assert server.paths[1:] == [f"{ONE}/draft/templates/requesttemplate.vm", f"{ONE}/draft"]


def test_a_template_that_fails_otherwise_is_that_error(api: ActionsApi, server: FakeServer) -> None:
    server.api = serve(
        bare_action(request={}, response={}),
        {
            "requesttemplate.vm": json_response(
                403, {"code": "missing.permissions", "message": "no"}
            )
        },
    )
    with pytest.raises(ApiError) as info:
        api.get_action_full(ACTION_ID)
    assert info.value.status == 403
    assert len(server.calls) == 2


# -- deletes ---------------------------------------------------------------------------------


def reads_for(fake_time: FakeTime, seconds: float) -> Any:
    """An org where the deleted action keeps reading for ``seconds`` after the DELETE."""
    state: dict[str, float] = {}

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            state["deleted"] = fake_time.clock()
            return httpx.Response(204)
        if fake_time.clock() - state["deleted"] < seconds:
            return json_response(200, {"id": ACTION_ID, "version": 1})
        return json_response(404, NOT_FOUND)

    return handle


def test_delete_with_wait_returns_once_the_action_reads_404(
    api: ActionsApi, server: FakeServer, fake_time: FakeTime
) -> None:
    server.api = reads_for(fake_time, 1.5)
    api.delete_action(ACTION_ID, wait=True)
    methods = [(r.method, r.url.path) for _, r in server.calls]
    assert methods[0] == ("DELETE", ONE)
    assert all(m == ("GET", ONE) for m in methods[1:])
    assert dict(server.calls[1][1].url.params) == {}  # the smallest GET
    assert 1.5 <= sum(fake_time.sleeps) <= 1.5 + 2.0  # polls no further apart than 2 s
    assert max(fake_time.sleeps) <= 2.0


def test_delete_without_wait_sends_only_the_delete(api: ActionsApi, server: FakeServer) -> None:
    server.api = lambda request: httpx.Response(204)
    api.delete_action(ACTION_ID)
    assert [r.method for _, r in server.calls] == ["DELETE"]


def test_an_action_that_still_reads_after_the_bound_is_reported_not_waited_on(
    api: ActionsApi, server: FakeServer, fake_time: FakeTime
) -> None:
    server.api = reads_for(fake_time, 3600)
    started = fake_time.clock()
    with pytest.raises(ApiError) as info:
        api.delete_action(ACTION_ID, wait=True)
    assert fake_time.clock() - started == DELETE_WAIT_SECONDS == 30.0
    assert str(info.value) == (
        f"the DELETE of {ACTION_ID} was accepted (204), but the org still returns the action "
        "30 s later; run plan again later to see whether it is gone"
    )


def test_wait_until_gone_takes_a_shorter_bound(
    api: ActionsApi, server: FakeServer, fake_time: FakeTime
) -> None:
    org = reads_for(fake_time, 3600)
    server.api = org
    org(httpx.Request("DELETE", f"https://api.example.test{ONE}"))
    with pytest.raises(ApiError, match="still returns the action 1 s later"):
        api.wait_until_gone(ACTION_ID, timeout=1.0)
    assert sum(fake_time.sleeps) == 1.0


def test_a_failing_poll_says_the_delete_was_accepted(
    api: ActionsApi, server: FakeServer, fake_time: FakeTime
) -> None:
    server.api = [
        httpx.Response(204),
        json_response(403, {"code": "missing.permissions", "message": "no view permission"}),
    ]
    with pytest.raises(ApiError) as info:
        api.delete_action(ACTION_ID, wait=True)
    assert info.value.status == 403
    assert "the DELETE of" in str(info.value) and "checking that it is gone failed" in str(
        info.value
    )
