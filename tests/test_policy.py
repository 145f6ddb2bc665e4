"""Retry and backoff decisions: one formula for REST retries and WebSocket reconnects."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2_core import errors
from o2_core.errors import (
    InternalError,
    InvalidSignature,
    OnChainRevert,
    ProtocolError,
    RateLimitExceeded,
    RequestTimeout,
    TransportError,
    UnknownSubmissionOutcome,
)
from o2_core.http import Reply, Request, Response, classify, get_markets, post_actions
from o2_core.policy import RETURN, Backoff, Raise, Retry, RetryPolicy, backoff_delay

# --- backoff ---------------------------------------------------------------------------


def test_backoff_schedule_exact() -> None:
    b = Backoff(base=0.5, factor=2, cap=30, max_attempts=10)
    assert [b.next_delay() for _ in range(11)] == [
        0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0, None]
    assert b.exhausted and b.attempt == 10
    assert b.next_delay() is None
    b.reset()
    assert (b.attempt, b.next_delay(), b.next_delay()) == (0, 0.5, 1.0)


def test_backoff_jitter_is_deterministic_given_rand() -> None:
    values = iter([0.0, 0.5, 0.999])
    b = Backoff(base=1, factor=3, cap=5, jitter=0.5, rand=lambda: next(values))
    assert b.next_delay() == 1.0
    assert b.next_delay() == 3.0 * 0.75
    assert b.next_delay() == pytest.approx(5.0 * (1 - 0.5 * 0.999))
    b2 = Backoff(jitter=1.0, rand=lambda: 0.25)
    assert [b2.next_delay() for _ in range(3)] == [0.375, 0.75, 1.5]


def test_backoff_unlimited_never_overflows() -> None:
    b = Backoff(base=0.5, factor=10, cap=60)
    delays = [b.next_delay() for _ in range(2000)]
    assert delays[-1] == 60.0 and b.attempt == 2000 and not b.exhausted


@given(st.floats(0.01, 10), st.floats(1, 5), st.floats(10, 100), st.floats(0, 1),
       st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=30))
def test_backoff_bounds(base: float, factor: float, cap: float, jitter: float,
                        rands: list[float]) -> None:
    it = iter(rands)
    b = Backoff(base, factor, cap, max_attempts=len(rands), jitter=jitter, rand=lambda: next(it))
    for n, r in enumerate(rands):
        d = b.next_delay()
        raw = min(cap, base * factor**n)
        assert d is not None
        assert d == pytest.approx(raw * (1 - jitter * r) if jitter else raw, rel=1e-12)
        assert 0 < d <= cap or (jitter == 1 and d >= 0)
    assert b.next_delay() is None


@pytest.mark.parametrize("kwargs", [
    {"base": 0}, {"base": 5, "cap": 1}, {"factor": 0.5}, {"jitter": 1.5}, {"jitter": -0.1},
    {"max_attempts": -1},
])
def test_backoff_rejects_bad_parameters(kwargs: dict[str, Any]) -> None:
    with pytest.raises(errors.InvalidInput):
        Backoff(**kwargs)


def test_backoff_rejects_bad_rand() -> None:
    b = Backoff(jitter=0.1, rand=lambda: 1.0)
    with pytest.raises(errors.InvalidInput, match=r"\[0, 1\)"):
        b.next_delay()


def test_rest_and_websocket_share_one_formula() -> None:
    rest = RetryPolicy(max_retries=10, base=0.5, cap=30, jitter=0.5)
    ws = Backoff(base=0.5, cap=30, jitter=0.5, rand=lambda: 0.3)
    assert [rest.backoff(n, 0.3) for n in range(8)] == [ws.next_delay() for _ in range(8)]
    assert backoff_delay(3, 0.25, 2, 8, 0.5, 0.0) == 2.0
    assert backoff_delay(10**6, 0.25, 2, 8, 0.0, 0.0) == 8.0  # no overflow far out


# --- REST decisions, value in / value out ---------------------------------------------

API = "https://api.example.test"
READ = get_markets(API)
SUBMIT = post_actions(API, "0x" + "11" * 32, b"{}")
POLICY = RetryPolicy(max_retries=2, base=1, cap=4, jitter=0, max_retry_after=30)


def reply(status: int, body: bytes = b"", **headers: str) -> Reply:
    return classify(Response(status, body, headers))


def test_a_success_is_returned() -> None:
    assert POLICY.decide(READ, 0, reply(200, b"{}"), 0.5) is RETURN
    assert POLICY.decide(SUBMIT, 0, reply(200, b'{"tx_id": "0x01"}'), 0.5) is RETURN


@pytest.mark.parametrize("request_", [READ, SUBMIT], ids=["read", "submission"])
def test_rate_limits_are_retried_for_every_request(request_: Request) -> None:
    limited = reply(429, b'{"code": 1003, "message": "slow"}', **{"retry-after": "3"})
    assert POLICY.decide(request_, 0, limited, 0.5) == Retry(3.0)
    unknown_wait = reply(400, b'{"code": 1003, "message": "slow"}')
    assert POLICY.decide(request_, 1, unknown_wait, 0.0) == Retry(2.0)  # the backoff
    last = POLICY.decide(request_, 2, limited, 0.5)
    assert isinstance(last, Raise) and isinstance(last.error, RateLimitExceeded)
    too_long = reply(429, b"", **{"retry-after": "31"})
    assert isinstance(POLICY.decide(request_, 0, too_long, 0.5), Raise)


def test_server_errors_are_retried_only_for_idempotent_requests() -> None:
    busy = reply(503, b'{"code": 1000, "message": "busy"}')
    assert POLICY.decide(READ, 0, busy, 0.0) == Retry(1.0)
    assert POLICY.decide(READ, 1, busy, 0.0) == Retry(2.0)
    gave_up = POLICY.decide(READ, 2, busy, 0.0)
    assert isinstance(gave_up, Raise) and isinstance(gave_up.error, InternalError)
    once = POLICY.decide(SUBMIT, 0, busy, 0.0)
    assert isinstance(once, Raise) and once.error is busy.error
    html = POLICY.decide(SUBMIT, 0, reply(502, b"<html>"), 0.0)
    assert isinstance(html, Raise) and isinstance(html.error, ProtocolError)


@pytest.mark.parametrize("status", [400, 401, 404, 500])
def test_other_error_replies_raise_at_once(status: int) -> None:
    rejected = reply(status, b'{"code": 4000, "message": "bad signature"}')
    decision = POLICY.decide(READ if status != 500 else SUBMIT, 0, rejected, 0.0)
    assert isinstance(decision, Raise) and isinstance(decision.error, InvalidSignature)
    revert = reply(400, b'{"message": "reverted", "reason": "Revert(123)"}')
    decision = POLICY.decide(SUBMIT, 0, revert, 0.0)
    assert isinstance(decision, Raise) and isinstance(decision.error, OnChainRevert)


def test_no_reply_retries_reads_and_never_resends_a_submission() -> None:
    lost = TransportError("connection reset")
    assert POLICY.decide(READ, 0, lost, 0.5) == Retry(1.0)
    final = POLICY.decide(READ, 2, lost, 0.5)
    assert isinstance(final, Raise) and final.error is lost
    for failure in (lost, RequestTimeout("no reply in 30s")):
        decision = POLICY.decide(SUBMIT, 0, failure, 0.5)
        assert isinstance(decision, Raise)
        assert isinstance(decision.error, UnknownSubmissionOutcome)
        assert str(failure) in str(decision.error) and "not re-sent" in str(decision.error)


@given(st.integers(0, 10), st.sampled_from([200, 400, 429, 500, 503]),
       st.floats(0, 1, exclude_max=True))
def test_decisions_are_bounded(attempt: int, status: int, r: float) -> None:
    policy = RetryPolicy(max_retries=3)
    for request_ in (READ, SUBMIT):
        decision = policy.decide(request_, attempt, reply(status, b'{"code":1003}'), r)
        if isinstance(decision, Retry):
            assert attempt < 3 and 0 <= decision.delay <= max(policy.cap, policy.max_retry_after)


@pytest.mark.parametrize("kwargs", [
    {"max_retries": -1}, {"max_retries": True}, {"base": 0}, {"cap": float("inf")},
    {"jitter": 2}, {"max_retry_after": -1},
])
def test_retry_policy_rejects_bad_settings(kwargs: dict[str, Any]) -> None:
    with pytest.raises(errors.InvalidInput):
        RetryPolicy(**kwargs)
