"""The pure WebSocket session: inputs in, outputs (frames, wakes, reconnects) out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wire_frames import (
    MX,
    MY,
    A,
    B,
    depth_snapshot,
    depth_update,
    nonce_frame,
    order,
    orders_frame,
    trades_frame,
)

from o2_core import errors
from o2_core.errors import SlowConsumerError, StreamStateError, SubscriptionConflict
from o2_core.models import Id, NonceUpdate
from o2_core.policy import Backoff
from o2_core.stream import (
    OVERFLOW_POLICIES,
    BoundedBuffer,
    ConnectionEvent,
    ConnectionState,
    Consumer,
    OverflowPolicy,
    ProtocolState,
    ReconnectAfter,
    SendFrame,
    Stopped,
    StreamProtocol,
    Wake,
)
from o2_core.subscriptions import DepthSub, NonceSub, OrdersSub, TradesSub


def sent(outputs: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(o.text) for o in outputs if isinstance(o, SendFrame)]


def woken(outputs: list[Any]) -> list[Consumer]:
    return [o.consumer for o in outputs if isinstance(o, Wake)]


def drain(consumer: Consumer) -> list[Any]:
    items = []
    while (item := consumer.take()) is not None:
        items.append(item)
    return items


def states(events: list[ConnectionEvent]) -> list[tuple[ConnectionState, int]]:
    return [(e.state, e.attempt) for e in events]


# --- lifecycle -------------------------------------------------------------------------


def test_lifecycle_connect_drop_reconnect_close() -> None:
    proto = StreamProtocol(Backoff(base=1, factor=2, cap=8, max_attempts=5))
    life = proto.open_lifecycle()
    assert proto.state is ProtocolState.IDLE
    depth = proto.open(DepthSub(MX, 10))
    assert proto.outputs() == []  # subscribing before connecting sends nothing yet
    proto.connection_made()
    out = proto.outputs()
    assert sent(out) == [json.loads(DepthSub(MX, 10).subscribe_frame())]
    assert states(drain(life)) == [(ConnectionState.CONNECTED, 0)]
    orders = proto.open(OrdersSub(A))
    assert sent(proto.outputs()) == [json.loads(OrdersSub(A).subscribe_frame())]
    proto.open(OrdersSub(A))
    assert proto.outputs() == []  # the same subscription twice: one frame
    nonce = proto.open(NonceSub(A))
    proto.outputs()
    proto.receive(nonce_frame(A, 1))
    assert woken(proto.outputs()) == [nonce] and drain(nonce) == [NonceUpdate(Id(A), 1)]

    proto.connection_lost("reset by peer")
    out = proto.outputs()
    assert ReconnectAfter(1.0) in out
    events = drain(life)
    assert states(events) == [(ConnectionState.DISCONNECTED, 0), (ConnectionState.RECONNECTING, 1)]
    assert events[0].message == "reset by peer"
    assert proto.state is ProtocolState.RECONNECTING
    proto.open(TradesSub(MY))
    assert sent(proto.outputs()) == []  # recorded, sent on the next connection
    proto.connection_failed("refused")
    assert ReconnectAfter(2.0) in proto.outputs()
    proto.connection_made()
    out = proto.outputs()
    assert [f["action"] for f in sent(out)] == [
        "subscribe_depth", "subscribe_orders", "subscribe_nonce", "subscribe_trades"]
    events = drain(life)
    assert states(events) == [(ConnectionState.RECONNECTING, 2), (ConnectionState.RECONNECTED, 2)]
    assert "REST" in events[-1].message
    proto.connection_lost()
    assert ReconnectAfter(1.0) in proto.outputs()  # the backoff starts over
    proto.connection_made()
    proto.outputs()
    proto.close_consumer(orders)
    assert proto.outputs() == []  # another consumer still holds OrdersSub(A)

    proto.close()
    out = proto.outputs()
    assert [type(o) for o in out if not isinstance(o, Wake)] == [Stopped]
    assert depth.ended and nonce.ended and life.ended and depth in woken(out)
    assert states(drain(life))[-1] == (ConnectionState.CLOSED, 0)
    assert proto.state is ProtocolState.CLOSED
    proto.close()
    assert proto.outputs() == []  # idempotent


def test_exhausted_backoff_stops_and_ends_every_consumer() -> None:
    proto = StreamProtocol(Backoff(max_attempts=2))
    life = proto.open_lifecycle()
    trades = proto.open(TradesSub(MX))
    proto.connection_made()
    proto.connection_lost()
    proto.connection_failed()
    delays = [o.delay for o in proto.outputs() if isinstance(o, ReconnectAfter)]
    assert delays == [0.5, 1.0]
    proto.connection_failed()
    out = proto.outputs()
    assert any(isinstance(o, Stopped) for o in out) and trades in woken(out)
    assert not any(isinstance(o, ReconnectAfter) for o in out)
    assert trades.ended and trades.take() is None
    last = drain(life)[-1]
    assert last.state is ConnectionState.CLOSED and "exhausted" in last.message

    zero = StreamProtocol(Backoff(max_attempts=0))
    zero.connection_made()
    zero.connection_lost("bye")
    assert any(isinstance(o, Stopped) for o in zero.outputs())


def test_initial_connection_failure_then_first_success_is_connected() -> None:
    proto = StreamProtocol(Backoff(base=2, max_attempts=3))
    life = proto.open_lifecycle()
    proto.connection_failed("dns")
    assert proto.outputs()[0] == ReconnectAfter(2.0)
    proto.connection_made()
    assert states(drain(life)) == [
        (ConnectionState.RECONNECTING, 1), (ConnectionState.CONNECTED, 1)]


@pytest.mark.parametrize(("setup", "action"), [
    ([], "connection_lost"),
    ([], "receive"),
    (["connection_made"], "connection_made"),
    (["connection_made"], "connection_failed"),
    (["connection_made", "connection_lost"], "connection_lost"),
    (["connection_made", "connection_lost"], "receive"),
    (["close"], "receive"),
    (["close"], "connection_made"),
    (["close"], "connection_lost"),
    (["close"], "connection_failed"),
    (["close"], "open"),
    (["close"], "open_lifecycle"),
])
def test_illegal_transitions_raise(setup: list[str], action: str) -> None:
    proto = StreamProtocol()
    for step in setup:
        getattr(proto, step)()
    before = proto.state
    calls = {
        "receive": lambda: proto.receive(b"{}"),
        "open": lambda: proto.open(TradesSub(MX)),
    }
    with pytest.raises(StreamStateError, match=f"while {before.name}"):
        call = calls[action] if action in calls else getattr(proto, action)
        call()
    assert proto.state is before
    assert isinstance(StreamStateError("x"), errors.UsageError)
    assert not isinstance(StreamStateError("x"), errors.O2Error)


# --- consumers ---------------------------------------------------------------------------


def connected(buffer_size: int = 1024) -> StreamProtocol:
    proto = StreamProtocol(buffer_size=buffer_size)
    proto.connection_made()
    proto.outputs()
    return proto


def test_a_depth_consumer_waits_for_its_snapshot_after_open_and_every_reconnect() -> None:
    proto = connected()
    depth = proto.open(DepthSub(MX, 10))
    proto.receive(depth_update(MX, [(100, 5)], []))
    assert woken(proto.outputs()) == [] and depth.take() is None
    proto.receive(depth_snapshot(MX, [(100, 5)], []))
    proto.receive(depth_update(MX, [(100, 6)], []))
    assert woken(proto.outputs()) == [depth]
    assert [u.is_snapshot for u in drain(depth)] == [True, False]
    proto.connection_lost()
    proto.connection_made()
    proto.receive(depth_update(MX, [(100, 7)], []))  # from before the fresh snapshot
    proto.receive(depth_snapshot(MX, [(100, 9)], []))
    assert [u.is_snapshot for u in drain(depth)] == [True]


def test_a_stalled_depth_consumer_drops_the_oldest_and_resyncs_at_once() -> None:
    proto = connected(buffer_size=3)
    depth = proto.open(DepthSub(MX, 10))
    proto.outputs()
    proto.receive(depth_snapshot(MX, [(100, 1)], []))
    for q in range(2, 5):
        proto.receive(depth_update(MX, [(100, q)], []))
    out = proto.outputs()
    assert sent(out) == [
        {"action": "unsubscribe_depth", "market_id": MX},
        {"action": "subscribe_depth", "market_id": MX, "precision": "10"},
    ]
    assert depth.take() is None and depth.awaiting_snapshot
    proto.receive(depth_update(MX, [(100, 7)], []))  # ignored: before the fresh snapshot
    proto.receive(depth_snapshot(MX, [(100, 42)], []))
    [fresh] = drain(depth)
    assert fresh.is_snapshot and fresh.changes.bids[0].quantity == 42
    assert OVERFLOW_POLICIES["depth"] is OverflowPolicy.DROP_OLDEST


def test_a_stalled_orders_consumer_fails_and_the_others_do_not() -> None:
    proto = connected(buffer_size=2)
    stalled, other = proto.open(OrdersSub(A)), proto.open(OrdersSub(B))
    for n in range(3):
        proto.receive(orders_frame(order(f"0x{n:064x}", account=A)))
    proto.receive(orders_frame(order("0x" + "ff" * 32, account=B)))
    with pytest.raises(SlowConsumerError, match="fell behind"):
        stalled.take()
    assert [len(u.orders) for u in drain(other)] == [1]


def test_a_nonce_consumer_keeps_the_latest() -> None:
    proto = connected(buffer_size=2)
    nonce = proto.open(NonceSub(A))
    for n in range(10):
        proto.receive(nonce_frame(A, n))
    assert [u.nonce for u in drain(nonce)] == [8, 9]
    assert woken(proto.outputs()) == [nonce]  # one wake for ten frames


def test_closing_consumers_unsubscribes_the_last_and_keeps_other_orders() -> None:
    proto = connected()
    a1, a2, b = proto.open(OrdersSub(A)), proto.open(OrdersSub(A)), proto.open(OrdersSub(B))
    proto.outputs()
    proto.close_consumer(a1)
    assert proto.outputs() == []
    proto.close_consumer(a2)  # unsubscribe_orders names nobody: B must be re-sent
    assert sent(proto.outputs()) == [
        {"action": "unsubscribe_orders"},
        json.loads(OrdersSub(B).subscribe_frame()),
    ]
    proto.receive(orders_frame(order("0x" + "01" * 32, account=A)))
    assert woken(proto.outputs()) == [] and b.take() is None
    proto.close_consumer(b)
    assert a1.ended and len(proto.subscriptions) == 0


def test_updates_are_shared_immutable_values() -> None:
    proto = connected()
    first, second = proto.open(TradesSub(MX)), proto.open(TradesSub(MX))
    proto.receive(trades_frame(MX, 2))
    [one], [two] = drain(first), drain(second)
    assert one is two  # the same value to both consumers, which is safe because ...
    with pytest.raises(AttributeError):
        one.trades = ()  # type: ignore[misc]
    assert isinstance(one.trades, tuple)
    with pytest.raises(AttributeError):
        one.trades[0].price = 1  # type: ignore[misc]


def test_another_precision_of_a_streamed_market_conflicts() -> None:
    proto = connected()
    proto.open(DepthSub(MX, 10))
    with pytest.raises(SubscriptionConflict):
        proto.open(DepthSub(MX, 100))


def test_malformed_and_error_frames_are_logged_not_delivered(caplog: Any) -> None:
    proto = connected()
    trades = proto.open(TradesSub(MX))
    proto.receive(b"\xff{not json")
    proto.receive('{"code": 6000, "message": "already subscribed"}')
    assert trades.take() is None
    assert "malformed" in caplog.text and "6000" in caplog.text


@given(st.lists(st.sampled_from(["made", "lost", "failed", "frame", "open", "close_consumer",
                                 "take"]), max_size=60),
       st.integers(1, 4))
def test_any_sequence_keeps_buffers_bounded_and_frames_only_while_connected(
    steps: list[str], capacity: int
) -> None:
    proto = StreamProtocol(Backoff(max_attempts=None), buffer_size=capacity)
    consumers: list[Consumer] = []
    for step in steps:
        state = proto.state
        try:
            if step == "made":
                proto.connection_made()
            elif step == "lost":
                proto.connection_lost()
            elif step == "failed":
                proto.connection_failed()
            elif step == "frame":
                proto.receive(trades_frame(MX) if len(consumers) % 2 else nonce_frame(A, 1))
            elif step == "open":
                consumers.append(proto.open(TradesSub(MX) if len(consumers) % 2 else NonceSub(A)))
            elif step == "close_consumer" and consumers:
                proto.close_consumer(consumers.pop())
            elif step == "take" and consumers:
                consumers[0].take()
        except StreamStateError:
            assert proto.state is state
        out = proto.outputs()
        if sent(out):
            assert proto.state is ProtocolState.CONNECTED
        for consumer in consumers:
            assert len(consumer.buffer) <= capacity


# --- bounded buffers -------------------------------------------------------------------


def test_drop_oldest_keeps_the_newest() -> None:
    buf: BoundedBuffer[int] = BoundedBuffer(3, OverflowPolicy.DROP_OLDEST)
    assert [buf.push(i) for i in range(3)] == [True] * 3
    assert buf.push(3) is False and buf.push(4) is False
    assert len(buf) == 3 and buf.dropped == 2
    assert [buf.pop() for _ in range(3)] == [2, 3, 4]
    with pytest.raises(IndexError):
        buf.pop()


def test_error_policy_fails_at_next_read_and_stays_bounded() -> None:
    buf: BoundedBuffer[int] = BoundedBuffer(2, OverflowPolicy.ERROR)
    buf.push(1)
    buf.push(2)
    assert not buf.failed
    assert buf.push(3) is False
    assert buf.failed and len(buf) == 0
    for i in range(1000):
        assert buf.push(i) is False
    assert len(buf) == 0 and buf.dropped == 1001
    with pytest.raises(SlowConsumerError, match="fell behind"):
        buf.pop()
    assert isinstance(SlowConsumerError("x"), errors.O2Error)


@given(st.integers(1, 50), st.sampled_from(list(OverflowPolicy)),
       st.lists(st.booleans(), max_size=300))
def test_buffer_never_exceeds_capacity(capacity: int, policy: OverflowPolicy,
                                       ops: list[bool]) -> None:
    buf: BoundedBuffer[int] = BoundedBuffer(capacity, policy)
    model: list[int] = []
    for i, is_push in enumerate(ops):
        if is_push:
            buf.push(i)
            model.append(i)
            if policy is OverflowPolicy.DROP_OLDEST:
                model = model[-capacity:]
        elif not buf.failed and model:
            assert buf.pop() == model.pop(0)
        assert len(buf) <= capacity
    if not buf.failed:
        assert [buf.pop() for _ in range(len(buf))] == model


@pytest.mark.parametrize("cap", [0, -1, True, 1.5])
def test_buffer_capacity_validated(cap: Any) -> None:
    with pytest.raises(errors.InvalidInput):
        BoundedBuffer(cap, OverflowPolicy.ERROR)
    with pytest.raises(errors.InvalidInput):
        StreamProtocol(buffer_size=cap)
