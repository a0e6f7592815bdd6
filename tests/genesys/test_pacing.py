from __future__ import annotations

import itertools

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.genesys import ConnectionSettings, GenesysClient
from reconciler.genesys._pacing import Pacer

from .fakes import API, LOGIN, FakeServer, FakeTime, json_response


def budget(count: int, allowed: int, reset: float) -> dict[str, str]:
    return {
        "inin-ratelimit-count": str(count),
        "inin-ratelimit-allowed": str(allowed),
        "inin-ratelimit-reset": str(reset),
    }


class WindowedOrg:
    """Counts requests per fixed window like Genesys and answers 429 past the limit."""

    def __init__(self, time: FakeTime, *, allowed: int, window: float, start_count: int) -> None:
        self.time = time
        self.allowed = allowed
        self.window = window
        self.count = start_count
        self.window_end = time.clock() + window
        self.rejected = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        now = self.time.clock()
        if now >= self.window_end:
            self.count, self.window_end = 0, now + self.window
        self.count += 1
        headers = budget(self.count, self.allowed, self.window_end - now)
        if self.count > self.allowed:
            self.rejected += 1
            return httpx.Response(429, json={"code": "too.many.requests"}, headers=headers)
        return httpx.Response(200, json={}, headers=headers)


def test_exhausted_budget_makes_the_next_request_wait_for_the_reset(
    client: GenesysClient, server: FakeServer, fake_time: FakeTime
) -> None:
    server.api = [json_response(200, {}, **budget(300, 300, 30)), json_response(200)]
    client.get_json("/api/v2/x")
    assert fake_time.sleeps == []
    client.get_json("/api/v2/x")
    assert fake_time.sleeps == [30.0]
    (first, _), (second, _) = server.calls
    assert second - first == 30.0
    assert client.paced_seconds == 30.0


def test_low_budget_spreads_requests_over_the_time_left(
    client: GenesysClient, server: FakeServer, fake_time: FakeTime
) -> None:
    # 5 left for 50 s: one request every 10 s instead of five at once.
    server.api = lambda request: json_response(200, {}, **budget(295, 300, 50))
    client.get_json("/api/v2/x")
    for _ in range(3):
        client.get_json("/api/v2/x")
    times = [when for when, _ in server.calls]
    assert times[1] == times[0]  # the first spaced request goes at once...
    assert [b - a for a, b in itertools.pairwise(times[1:])] == [10.0, 10.0]


def test_ample_budget_is_not_slowed(
    client: GenesysClient, server: FakeServer, fake_time: FakeTime
) -> None:
    server.api = lambda request: json_response(200, {}, **budget(1, 300, 60))
    for _ in range(20):
        client.get_json("/api/v2/x")
    assert fake_time.sleeps == []


def test_a_long_run_stays_under_the_rate_without_429s(
    client: GenesysClient, server: FakeServer, fake_time: FakeTime
) -> None:
    org = WindowedOrg(fake_time, allowed=300, window=60.0, start_count=280)
    server.api = org
    for _ in range(60):
        client.get_json("/api/v2/x")
    assert org.rejected == 0
    assert fake_time.sleeps  # it did slow down near the end of the first window
    assert fake_time.now - 1000.0 <= 61.0  # ...but not beyond the window reset


def test_without_pacing_the_same_run_hits_429s(fake_time: FakeTime) -> None:
    org = WindowedOrg(fake_time, allowed=300, window=60.0, start_count=280)
    with httpx.Client(transport=httpx.MockTransport(org)) as raw:
        statuses = [raw.get("https://api.example.test/x").status_code for _ in range(60)]
    assert statuses.count(429) == 40  # the baseline the pacer avoids


def test_missing_or_garbled_headers_are_ignored(fake_time: FakeTime) -> None:
    pacer = Pacer(clock=fake_time.clock, sleep=fake_time.sleep)
    pacer.observe({})
    pacer.observe({"inin-ratelimit-count": "x", "inin-ratelimit-allowed": "300"})
    pacer.observe(budget(1, 0, 10))
    assert pacer.acquire() == 0.0
    assert fake_time.sleeps == []


def test_hold_from_retry_after_applies_to_every_caller(fake_time: FakeTime) -> None:
    pacer = Pacer(clock=fake_time.clock, sleep=fake_time.sleep)
    pacer.hold(5.0)
    assert pacer.acquire() == pytest.approx(5.0)
    assert pacer.acquire() == 0.0


def test_spent_budget_holds_later_callers_too(fake_time: FakeTime) -> None:
    pacer = Pacer(clock=fake_time.clock, sleep=lambda s: None)  # a sleeper that does not move time
    pacer.observe(budget(300, 300, 20))
    assert pacer.acquire() == pytest.approx(20.0)
    # A second thread arriving before any new response must wait for the reset as well.
    assert pacer.acquire() == pytest.approx(20.0)


@settings(max_examples=60, deadline=None)
@given(
    allowed=st.integers(min_value=10, max_value=300),
    spent=st.floats(min_value=0.0, max_value=0.99),
    window=st.floats(min_value=5.0, max_value=120.0),
    requests=st.integers(min_value=1, max_value=400),
)
def test_sequential_runs_never_hit_429(
    allowed: int, spent: float, window: float, requests: int
) -> None:
    time = FakeTime()
    org = WindowedOrg(time, allowed=allowed, window=window, start_count=int(allowed * spent))
    config = ConnectionSettings(api_url=API, login_url=LOGIN, access_token="t")
    transport = httpx.MockTransport(org)
    with GenesysClient(config, transport=transport, sleep=time.sleep, clock=time.clock) as client:
        for _ in range(requests):
            client.get_json("/api/v2/x")
    assert org.rejected == 0


def test_requests_in_flight_are_taken_off_the_reported_budget(fake_time: FakeTime) -> None:
    pacer = Pacer(clock=fake_time.clock, sleep=fake_time.sleep, reserve=1, low_fraction=0.0)
    for _ in range(3):
        pacer.acquire()  # three requests out, none answered yet
    # The first answer says 2 left, but the two others still in flight will use them up.
    pacer.observe(budget(298, 300, 40))
    pacer.release()
    assert pacer.acquire() == pytest.approx(40.0)
