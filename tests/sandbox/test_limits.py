"""Rate limits, response headers, injected faults, latency, stats and reset (in-process)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.middleware import ConnectionDropped

from .helpers import ACTIONS, Api, action_body

HEADERS = ("inin-ratelimit-count", "inin-ratelimit-allowed", "inin-ratelimit-reset")


def _assert_headers(response: Any) -> None:
    for name in (*HEADERS, "ININ-Correlation-Id"):
        assert response.headers.get(name), f"{name} missing on {response.status_code}"


def test_headers_on_every_kind_of_response(make_api: Any) -> None:
    api = make_api(SandboxConfig(rate_limit=5))
    action_id = api.create()["id"]
    responses = [
        api.get(ACTIONS),
        api.get(f"{ACTIONS}/nope"),
        api.post(ACTIONS, json={}),
        api.delete(f"{ACTIONS}/{action_id}"),
        api.http.get(ACTIONS),
        api.http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("a", "b")),
        api.get(ACTIONS),
        api.http.get("/sandbox/stats"),
    ]
    for response in responses:
        _assert_headers(response)
    assert responses[-2].status_code == 429
    error = api.get(f"{ACTIONS}/nope")
    assert error.json()["contextId"] == error.headers["ININ-Correlation-Id"]


def test_rate_limit_429_and_retry_after(make_api: Any) -> None:
    api = make_api(SandboxConfig(rate_limit=3))
    counts = [int(api.get(ACTIONS).headers["inin-ratelimit-count"]) for _ in range(3)]
    assert counts == [1, 2, 3]
    api.clock.advance(20)
    limited = api.get(ACTIONS)
    assert limited.status_code == 429
    body = limited.json()
    assert body["code"] == "too.many.requests.retry.after"
    assert body["status"] == 429
    assert limited.headers["Retry-After"] == "40"
    assert limited.headers["inin-ratelimit-allowed"] == "3"
    assert limited.headers["inin-ratelimit-reset"] == "40"
    assert "[40]" in body["message"]
    api.clock.advance(40)
    assert api.get(ACTIONS).status_code == 200
    # The token request, four listings, one refused.
    assert api.http.get("/sandbox/stats").json()["statuses"] == {"200": 5, "429": 1}


def test_rate_limit_is_per_token(make_api: Any) -> None:
    api = make_api(SandboxConfig(rate_limit=1))
    assert api.get(ACTIONS).status_code == 200
    assert api.get(ACTIONS).status_code == 429
    api.token = api.new_token()
    assert api.get(ACTIONS).status_code == 200


def test_unlimited_by_default(api: Api) -> None:
    statuses = {api.get(ACTIONS).status_code for _ in range(400)}
    assert statuses == {200}


def test_injected_status_fault(api: Api) -> None:
    action_id = api.create()["id"]
    api.http.post(
        "/sandbox/faults", json={"method": "PATCH", "path": "/actions/", "count": 2, "status": 503}
    )
    for _ in range(2):
        response = api.patch(f"{ACTIONS}/{action_id}", json={"version": 1, "name": "x"})
        assert response.status_code == 503
        assert response.json()["code"] == "service.unavailable"
        _assert_headers(response)
    assert api.get(f"{ACTIONS}/{action_id}").json()["version"] == 1
    response = api.patch(f"{ACTIONS}/{action_id}", json={"version": 1, "name": "x"})
    assert response.status_code == 200


def test_injected_429_has_retry_after(api: Api) -> None:
    api.http.post("/sandbox/faults", json={"path": "actions$", "status": 429, "retry_after": 2})
    response = api.get(ACTIONS)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert response.json()["code"] == "too.many.requests.retry.after"
    assert api.get(ACTIONS).status_code == 200


def test_an_echo_fault_quotes_the_request_headers_in_its_error(api: Api) -> None:
    api.http.post("/sandbox/faults", json={"path": "actions$", "status": 400, "echo_request": True})
    response = api.get(ACTIONS + "?x=1", headers={"Cookie": "session=echo-me-123"})
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith(f"Injected sandbox fault (HTTP 400). Request: GET {ACTIONS}?x=1; ")
    assert f"authorization: Bearer {api.token}" in message
    assert "cookie: session=echo-me-123" in message
    assert api.get(ACTIONS).status_code == 200  # used up
    assert (
        api.http.post("/sandbox/faults", json={"status": 400, "echo_request": 1}).status_code == 400
    )


def test_fault_method_must_match(api: Api) -> None:
    api.http.post("/sandbox/faults", json={"method": "DELETE", "path": ".*", "status": 500})
    assert api.get(ACTIONS).status_code == 200
    assert api.http.get("/sandbox/faults").json()["faults"][0]["count"] == 1
    assert api.http.delete("/sandbox/faults").status_code == 204
    assert api.http.get("/sandbox/faults").json() == {"faults": []}


def test_delay_fault(api: Api) -> None:
    api.http.post("/sandbox/faults", json={"path": "actions$", "delay_ms": 150})
    started = time.monotonic()
    assert api.get(ACTIONS).status_code == 200
    assert time.monotonic() - started >= 0.15


def test_latency_knob(make_api: Any) -> None:
    api = make_api(SandboxConfig(latency_ms=100))
    started = time.monotonic()
    api.get(ACTIONS)
    assert time.monotonic() - started >= 0.1


def test_drop_after_write_in_process_raises_but_applies(api: Api) -> None:
    action_id = api.create()["id"]
    api.http.post("/sandbox/faults", json={"method": "PATCH", "drop_after_write": True})
    with pytest.raises(ConnectionDropped):
        api.patch(f"{ACTIONS}/{action_id}", json={"version": 1, "name": "applied"})
    after = api.get(f"{ACTIONS}/{action_id}").json()
    assert (after["version"], after["name"]) == (2, "applied")


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 200},
        {"path": "("},
        {"count": -1, "status": 500},
        {"path": ".*"},
        {"bogus": 1, "status": 500},
        {"status": 429, "retry_after": "soon"},
        {"drop_after_write": "yes"},
        [],
    ],
)
def test_bad_fault_bodies(api: Api, fault: Any) -> None:
    assert api.http.post("/sandbox/faults", json=fault).status_code == 400


def test_stats_count_route_templates_not_control_calls(api: Api) -> None:
    api.http.post("/sandbox/reset")
    action_id = api.create()["id"]
    for _ in range(3):
        api.get(f"{ACTIONS}/{action_id}")
    api.http.get("/sandbox/state")
    stats = api.http.get("/sandbox/stats").json()
    assert stats == {
        "requests": {
            "GET /api/v2/integrations/actions/{actionId}": 3,
            "POST /api/v2/integrations/actions": 1,
        },
        "statuses": {"200": 4},
        "total": 4,
    }


def test_reset_restores_seed_and_clears(api: Api) -> None:
    seeded = api.get(ACTIONS).json()["total"]
    api.create()
    api.http.post("/sandbox/faults", json={"path": "nothing-matches", "status": 500})
    assert api.http.post("/sandbox/reset").status_code == 204
    assert api.get(ACTIONS).json()["total"] == seeded
    assert api.http.get("/sandbox/faults").json() == {"faults": []}
    stats = api.http.get("/sandbox/stats").json()
    assert stats == {
        "requests": {"GET /api/v2/integrations/actions": 1},
        "statuses": {"200": 1},
        "total": 1,
    }


def test_state_endpoint(api: Api) -> None:
    action_id = api.post(f"{ACTIONS}/drafts", json=action_body()).json()["id"]
    state = api.http.get("/sandbox/state").json()
    entry = state["actions"][action_id]
    assert entry["published"] is None
    assert entry["draft"]["config"]["request"]["requestTemplate"] == "${input.rawRequest}"
