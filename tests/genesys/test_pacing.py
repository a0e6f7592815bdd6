from __future__ import annotations

import threading
import time as time_module
from collections.abc import Callable

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


RESET_60 = {"inin-ratelimit-reset": "60"}


class RealTime:
    """The real clock, for tests whose threads must really wait for one another."""

    def clock(self) -> float:
        return time_module.monotonic()

    def sleep(self, seconds: float) -> None:
        time_module.sleep(seconds)


class WindowedOrg:
    """Counts requests per fixed window like Genesys and answers 429 past the limit; a
    window starts with the first request after the last one ended."""

    def __init__(self, time: FakeTime, *, allowed: int, window: float, start_count: int) -> None:
        self.time = time
        self.allowed = allowed
        self.window = window
        self.count = start_count
        self.window_end = time.clock() + window
        self.rejected = 0
        self.windows = 1
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            now = self.time.clock()
            if now >= self.window_end:
                self.count, self.window_end = 0, now + self.window
                self.windows += 1
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


def test_a_budget_that_covers_the_run_is_used_at_full_speed(
    client: GenesysClient, server: FakeServer, fake_time: FakeTime
) -> None:
    # 5 left for 50 s: the 5 go at once (nothing is kept back for requests never sent),
    # the 6th waits for the reset, then the new window's budget is read from one request.
    left = [json_response(200, {}, **budget(295 + n, 300, 50)) for n in range(1, 6)]
    server.api = [*left, json_response(200, {}, **budget(1, 300, 60)), json_response(200)]
    client.get_json("/api/v2/x")
    for _ in range(4):
        client.get_json("/api/v2/x")
    assert fake_time.sleeps == []
    times = [when for when, _ in server.calls]
    assert times == [1000.0] * 5
    client.get_json("/api/v2/x")
    assert fake_time.sleeps == [50.0]
    client.get_json("/api/v2/x")
    assert fake_time.sleeps == [50.0]  # the probe's answer told a fresh budget


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
    pacer.release()  # answered without rate-limit headers: nothing more is known
    assert pacer.acquire() == 0.0


def test_spent_budget_holds_later_callers_too(fake_time: FakeTime) -> None:
    pacer = Pacer(clock=fake_time.clock, sleep=fake_time.sleep)
    pacer.acquire()
    pacer.observe(budget(300, 300, 20))
    pacer.release()
    assert pacer.acquire() == pytest.approx(20.0)
    assert fake_time.sleeps == [20.0]


def test_the_highest_count_of_a_window_wins_over_answers_out_of_order(
    fake_time: FakeTime,
) -> None:
    pacer = Pacer(clock=fake_time.clock, sleep=fake_time.sleep)
    pacer.acquire()
    pacer.acquire()
    pacer.observe(budget(299, 300, 30))  # the second request's answer comes back first
    pacer.release()
    pacer.observe(budget(298, 300, 30))  # the first one's, counted earlier
    pacer.release()
    assert pacer.acquire() == 0.0  # the 300th
    pacer.observe(budget(300, 300, 30))
    pacer.release()
    assert pacer.acquire() == pytest.approx(30.0)


def test_an_answer_that_names_a_later_reset_starts_a_new_window(fake_time: FakeTime) -> None:
    pacer = Pacer(clock=fake_time.clock, sleep=fake_time.sleep)
    pacer.acquire()
    pacer.observe(budget(300, 300, 10))
    pacer.release()
    pacer.acquire()  # waits for the reset, then goes alone
    pacer.observe(budget(1, 300, 60))
    pacer.release()
    assert pacer.acquire() == 0.0
    assert fake_time.sleeps == [10.0]


def _start(target: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_a_window_that_reset_with_room_left_lets_requests_go_together(
    fake_time: FakeTime,
) -> None:
    """A reset in 0 s (the window's last instant, or a server that always says 0) with
    budget left: the next requests are not sent one at a time."""
    pacer = Pacer(clock=fake_time.clock, sleep=fake_time.sleep)
    pacer.acquire()
    pacer.observe(budget(5, 300, 0))
    pacer.release()
    both = _start(lambda: (pacer.acquire(), pacer.acquire()))
    both.join(timeout=10)
    assert not both.is_alive()  # the second did not wait for the first one's answer
    assert fake_time.sleeps == []


def test_the_last_of_the_budget_waits_for_the_answers_in_flight(fake_time: FakeTime) -> None:
    """Two requests are out with 2 left: the server may not have counted them yet, so a
    third waits for their answers, which tell whether the window has room."""
    pacer = Pacer(clock=fake_time.clock, sleep=fake_time.sleep)
    pacer.observe(budget(298, 300, 40))
    pacer.acquire()
    pacer.acquire()
    waited: list[float] = []
    third = _start(lambda: waited.append(pacer.acquire()))
    third.join(timeout=0.3)
    assert third.is_alive()  # blocked while both are in flight
    pacer.observe(budget(299, 300, 40))
    pacer.release()
    third.join(timeout=0.3)
    assert third.is_alive()  # 299 counted + 1 in flight: still no room
    pacer.observe(budget(300, 300, 40))
    pacer.release()
    third.join(timeout=10)
    assert not third.is_alive()
    assert waited == [pytest.approx(40.0)] and fake_time.sleeps == [40.0]


def test_after_a_reset_one_request_probes_and_its_answer_lets_the_others_go(
    fake_time: FakeTime,
) -> None:
    pacer = Pacer(clock=fake_time.clock, sleep=fake_time.sleep)
    pacer.hold(2.0)  # a 429's Retry-After
    assert pacer.acquire() == pytest.approx(2.0)  # the probe
    others = [_start(pacer.acquire) for _ in range(3)]
    for thread in others:
        thread.join(timeout=0.3)
    assert all(thread.is_alive() for thread in others)  # one request at a time
    pacer.observe({"inin-ratelimit-count": "1", "inin-ratelimit-allowed": "300", **RESET_60})
    pacer.release()
    for thread in others:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in others)


def test_a_late_answer_from_before_the_reset_does_not_end_the_probe(
    fake_time: FakeTime,
) -> None:
    pacer = Pacer(clock=fake_time.clock, sleep=fake_time.sleep)
    old = _start(pacer.acquire)  # sent before the 429
    old.join(timeout=10)
    pacer.hold(1.0)
    assert pacer.acquire() == pytest.approx(1.0)  # the probe
    # The old request's answer (another thread) says 295 left: not the new window's word.
    answer = _start(lambda: (pacer.observe(budget(5, 300, 30)), pacer.release()))
    answer.join(timeout=10)
    waiting = _start(pacer.acquire)
    waiting.join(timeout=0.3)
    assert waiting.is_alive()  # still one request at a time
    pacer.observe(budget(1, 300, 60))
    pacer.release()
    waiting.join(timeout=10)
    assert not waiting.is_alive()


def test_concurrent_requests_never_overrun_a_window(fake_time: FakeTime) -> None:
    """Eight threads against an org of 10 requests per (real) 0.2 s window."""
    time = RealTime()
    org = WindowedOrg(time, allowed=10, window=0.2, start_count=3)  # type: ignore[arg-type]
    config = ConnectionSettings(api_url=API, login_url=LOGIN, access_token="t")
    transport = httpx.MockTransport(org)
    with GenesysClient(config, transport=transport, max_concurrency=8) as client:
        client.map(lambda _: client.get_json("/api/v2/x"), range(35))
    assert org.rejected == 0
    assert org.windows >= 4  # 7 left, then 10 a window: 35 need at least four


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
