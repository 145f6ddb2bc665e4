"""Server frames in, typed immutable events out; events routed to their consumers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wire_frames import (
    MX,
    MY,
    OWNER_A,
    A,
    B,
    balance_entry,
    balances_frame,
    depth_snapshot,
    depth_update,
    dumps,
    nonce_frame,
    order,
    orders_frame,
    trades_frame,
)

from o2_core import errors
from o2_core.errors import SubscriptionConflict
from o2_core.frames import (
    FrameDecoder,
    MalformedFrame,
    Router,
    ServerError,
    decode_frame,
    matches,
    route,
)
from o2_core.models import (
    BalanceUpdate,
    DepthChange,
    DepthLevel,
    DepthUpdate,
    Id,
    Identity,
    NonceUpdate,
    OrderUpdate,
    TradeUpdate,
)
from o2_core.subscriptions import BalancesSub, DepthSub, NonceSub, OrdersSub, TradesSub

# --- decoding every frame kind ---------------------------------------------------------


@pytest.mark.parametrize("key", ["view", "orders"])
def test_depth_snapshot_via_view_or_orders(key: str) -> None:
    ev = decode_frame(depth_snapshot(MX.upper().replace("0X", "0x"),
                                     [("100", "5"), (99, 7)], [("101", 3)], key))
    assert isinstance(ev, DepthUpdate)
    assert ev.is_snapshot and ev.market_id == MX and str(ev.market_id) == MX
    assert list(ev.changes.bids) == [DepthLevel(100, 5), DepthLevel(99, 7)]
    assert list(ev.changes.asks) == [DepthLevel(101, 3)]
    assert ev.changes.best_bid == DepthLevel(100, 5)
    assert (ev.onchain_timestamp, ev.seen_timestamp) == (1700000000, 1700000001)


def test_depth_update_strings_and_numbers() -> None:
    big = 2**64 - 1
    ev = decode_frame(depth_update(MX, [(str(big), "0"), (5, "-3")], [(7, big)]).encode())
    assert isinstance(ev, DepthUpdate) and not ev.is_snapshot
    assert list(ev.changes.bids) == [DepthChange(big, 0), DepthChange(5, -3)]  # signed
    assert list(ev.changes.asks) == [DepthChange(7, big)]
    assert ev.onchain_timestamp is None


def test_orders_frame() -> None:
    ev = decode_frame(orders_frame(order("0xDEAD", A, OWNER_A, cancel=True, close=True)))
    assert isinstance(ev, OrderUpdate)
    (o,) = ev.orders
    assert o.order_id == "0xdead" and o.quantity == 100 and o.quantity_fill == 40
    assert o.price == 5000 and o.cancel and not o.is_open
    assert o.account == Identity(contract_id=Id(A)) and o.owner == Identity(address=Id(OWNER_A))
    assert (ev.onchain_timestamp, ev.seen_timestamp) == (5, 6)


def test_trades_frame() -> None:
    ev = decode_frame(trades_frame(MX, 2))
    assert isinstance(ev, TradeUpdate) and ev.market_id == MX
    assert [(t.trade_id, t.quantity, t.price, t.total, t.timestamp) for t in ev.trades] == [
        ("0", 10, 50, 500, 1700000000123), ("1", 10, 50, 500, 1700000000123)]


def test_balances_frame() -> None:
    ev = decode_frame(balances_frame(balance_entry(A)))
    assert isinstance(ev, BalanceUpdate)
    (e,) = ev.balance
    assert e.identity is not None and e.identity.value == A
    assert (e.trading_account_balance, e.total_locked, e.total_unlocked) == (10, 5, 15)
    assert e.order_books[MX].locked == 5


@pytest.mark.parametrize("nonce", ["42", 42])
def test_nonce_frame(nonce: Any) -> None:
    ev = decode_frame(nonce_frame(A.upper().replace("0X", "0x"), nonce))
    assert ev == NonceUpdate(Id(A), 42)


@pytest.mark.parametrize(("code", "cls"), [
    (6000, errors.AlreadySubscribed), (6001, errors.TooManySubscriptions),
    (6002, errors.SubscriptionError), (1003, errors.RateLimitExceeded), (9999, errors.ApiError),
])
def test_server_error_frames(code: int, cls: type[errors.O2Error]) -> None:
    ev = decode_frame(dumps({"code": code, "message": "nope"}))
    assert isinstance(ev, ServerError)
    assert (ev.code, ev.message) == (code, "nope")
    assert type(ev.error) is cls and ev.error.code == code and ev.error.message == "nope"
    assert route(ev) == []


def test_error_frame_with_an_action_is_still_an_error() -> None:
    ev = decode_frame(dumps({"action": "subscribe_depth", "code": "6000"}))
    assert isinstance(ev, ServerError) and isinstance(ev.error, errors.AlreadySubscribed)
    assert ev.message == "server error 6000"


@pytest.mark.parametrize("data", [
    b"", b"not json", b"\xff\xfe", "[1,2,3]", "null", '{"action":"subscribe_candles"}',
    '{"action":"subscribe_depth","market_id":"' + MX + '"}',  # no view/orders
    '{"action":"subscribe_depth_update","market_id":"0xzz","changes":{}}',
    '{"action":"subscribe_nonce","contract_id":"' + A + '"}',
    '{"action":"subscribe_trades","trades":[]}',
    '{"action":"subscribe_orders","orders":[{"side":"Buy"}]}',
    '{"action":"subscribe_depth_update","market_id":"' + MX
    + '","changes":{"buys":[{"price":"1.5","quantity":1}]}}',
    '{"code":"x"}', '{"message":"no code"}',
])
def test_malformed_frames_are_events(data: Any) -> None:
    ev = decode_frame(data)
    assert isinstance(ev, MalformedFrame)
    assert ev.reason
    assert len(ev.data) <= 200
    assert route(ev) == []


def test_malformed_preview_is_truncated() -> None:
    ev = decode_frame("x" * 10_000)
    assert isinstance(ev, MalformedFrame) and ev.data == "x" * 200


def test_unknown_fields_are_ignored() -> None:
    frame = json.loads(nonce_frame(A, 1))
    frame["future_field"] = {"a": [1, 2]}
    assert decode_frame(dumps(frame)) == NonceUpdate(Id(A), 1)


def test_the_decoder_caches_ids_pins_some_and_bounds_the_cache() -> None:
    decoder = FrameDecoder(cache_size=2)
    pinned = Id(MY)
    decoder.pin(pinned)

    def market_of(market: Any) -> Any:
        ev = decoder.decode(depth_update(market, [], []))
        assert isinstance(ev, DepthUpdate)
        return ev.market_id

    first = market_of(MX)  # cached beside the pinned id: the cache is full
    assert first == MX and type(first) is Id and decoder.cache_size == 2
    assert market_of(MX) is first  # the same text: the same object
    assert market_of(MY) is pinned  # a pinned id's text: always that object
    other = market_of(MY.upper().replace("0X", "0x"))  # new text, the cache full:
    assert other == MY and other is not pinned  # emptied but the pinned id, then cached
    assert market_of(MY) is pinned  # kept through the emptying
    assert market_of(MX) == MX and market_of(MX) is not first  # MX was forgotten
    decoder.clear_cache()
    assert market_of(MY) is pinned
    for not_text in (5, None, [], {}, [MX]):
        ev = decoder.decode(dumps({"action": "subscribe_depth_update", "market_id": not_text,
                                   "changes": {}}))
        assert isinstance(ev, MalformedFrame) and "market_id" in ev.reason


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
_actions = st.sampled_from([
    "subscribe_depth", "subscribe_depth_update", "subscribe_orders", "subscribe_trades",
    "subscribe_balances", "subscribe_nonce", "other",
])
_EVENT_TYPES = (DepthUpdate, OrderUpdate, TradeUpdate, BalanceUpdate, NonceUpdate,
                ServerError, MalformedFrame)


@given(st.binary(max_size=300))
def test_decode_arbitrary_bytes_never_raises(data: bytes) -> None:
    assert isinstance(decode_frame(data), _EVENT_TYPES)


@given(_actions, st.dictionaries(
    st.sampled_from(["market_id", "view", "orders", "changes", "trades", "balance",
                     "contract_id", "nonce", "code", "message", "onchain_timestamp"]),
    _json, max_size=6))
def test_decode_arbitrary_json_frames_never_raises(action: str, body: dict[str, Any]) -> None:
    ev = decode_frame(dumps({"action": action, **body}))
    assert isinstance(ev, _EVENT_TYPES)
    for _key, part in route(ev):
        assert isinstance(part, _EVENT_TYPES[:5])


@given(st.lists(st.tuples(st.integers(1, 2**64 - 1), st.integers(-(2**64), 2**64 - 1)),
                max_size=20),
       st.booleans())
def test_depth_changes_decode_exactly_from_strings_or_numbers(
        levels: list[tuple[int, int]], as_str: bool) -> None:
    wire = [(str(p), str(q)) if as_str else (p, q) for p, q in levels]
    ev = decode_frame(depth_update(MX, wire, wire[::-1]))
    assert isinstance(ev, DepthUpdate)
    assert list(ev.changes.bids) == [DepthChange(p, q) for p, q in levels]
    assert list(ev.changes.asks) == [DepthChange(p, q) for p, q in levels[::-1]]


# --- routing ---------------------------------------------------------------------------


def test_depth_and_trades_route_by_market_only() -> None:
    router: Router[str] = Router()
    router.add(DepthSub(MX, 10), "depth-x")
    router.add(DepthSub(MY, 1000), "depth-y")
    router.add(TradesSub(MX), "trades-x")
    frames = [depth_snapshot(MX, [(1, 1)], []), depth_update(MY, [(2, 2)], []),
              trades_frame(MY), trades_frame(MX), depth_update(MX, [], [(3, 3)])]
    got: dict[str, list[Any]] = {}
    for f in frames:
        for consumer, ev in router.dispatch(decode_frame(f)):
            got.setdefault(consumer, []).append(ev)
    assert [e.market_id for e in got["depth-x"]] == [MX, MX]
    assert all(isinstance(e, DepthUpdate) for e in got["depth-x"])
    assert [e.market_id for e in got["depth-y"]] == [MY]
    assert [type(e) for e in got["trades-x"]] == [TradeUpdate]
    assert got["trades-x"][0].market_id == MX


def test_orders_of_several_accounts_are_split() -> None:
    router: Router[str] = Router()
    router.add(OrdersSub(A), "a")
    router.add(OrdersSub(B), "b")
    ev = decode_frame(orders_frame(order("0x1", A), order("0x2", B), order("0x3", A)))
    out = router.dispatch(ev)
    assert sorted((c, [o.order_id for o in e.orders]) for c, e in out) == [
        ("a", ["0x1", "0x3"]), ("b", ["0x2"])]
    for _c, e in out:
        assert isinstance(e, OrderUpdate) and e.onchain_timestamp == 5 and e.seen_timestamp == 6


def test_single_account_orders_pass_through_unchanged() -> None:
    ev = decode_frame(orders_frame(order("0x1", A), order("0x2", A)))
    assert route(ev) == [(("orders", Id(A)), ev)]
    assert route(ev)[0][1] is ev


def test_orders_route_by_account_then_owner() -> None:
    router: Router[str] = Router()
    router.add(OrdersSub(Identity(address=Id(OWNER_A))), "by-owner")
    router.add(OrdersSub(A), "by-account")
    router.add(OrdersSub(B), "b")
    out = router.dispatch(decode_frame(orders_frame(order("0x1", A, OWNER_A))))
    assert [c for c, _ in out] == ["by-account"]
    only_owner = router.dispatch(decode_frame(orders_frame(order("0x2", None, OWNER_A))))
    assert [c for c, _ in only_owner] == ["by-owner"]


def test_empty_updates_route_to_the_whole_topic() -> None:
    router: Router[str] = Router()
    router.add(OrdersSub(A), "a")
    router.add(BalancesSub(B), "b")
    assert [c for c, _ in router.dispatch(decode_frame(orders_frame()))] == ["a"]
    assert [c for c, _ in router.dispatch(decode_frame(balances_frame()))] == ["b"]


def test_unattributed_orders_go_to_every_orders_consumer() -> None:
    router: Router[str] = Router()
    router.add(OrdersSub(A), "a")
    router.add(OrdersSub(B), "b")
    router.add(TradesSub(MX), "t")
    out = router.dispatch(decode_frame(orders_frame(order("0x1"), order("0x2", B))))
    got = sorted((c, [o.order_id for o in e.orders]) for c, e in out)
    assert got == [("a", ["0x1"]), ("b", ["0x1"]), ("b", ["0x2"])]


def test_balances_and_nonce_isolated_per_account() -> None:
    router: Router[str] = Router()
    for sub, name in ((BalancesSub(A), "bal-a"), (BalancesSub(B), "bal-b"),
                      (NonceSub(A), "nonce-a"), (OrdersSub(A), "orders-a")):
        router.add(sub, name)
    out = router.dispatch(decode_frame(balances_frame(balance_entry(B), balance_entry(B))))
    assert [(c, len(e.balance)) for c, e in out] == [("bal-b", 2)]
    out = router.dispatch(decode_frame(balances_frame(balance_entry(A), balance_entry(B))))
    assert sorted((c, [x.identity.value for x in e.balance]) for c, e in out) == [
        ("bal-a", [A]), ("bal-b", [B])]
    assert router.dispatch(decode_frame(nonce_frame(B, 3))) == []
    out = router.dispatch(decode_frame(nonce_frame(A, 3)))
    assert [(c, e.nonce) for c, e in out] == [("nonce-a", 3)]
    assert router.dispatch(decode_frame(orders_frame(order("0x9", B)))) == []


def test_matches() -> None:
    ev = decode_frame(orders_frame(order("0x1", A), order("0x2", B)))
    assert matches(OrdersSub(A), ev) and matches(OrdersSub(B), ev)
    assert not matches(OrdersSub("0x" + "99" * 32), ev)
    assert not matches(BalancesSub(A), ev)
    d = decode_frame(depth_update(MX, [], []))
    assert matches(DepthSub(MX, 10), d) and matches(DepthSub(MX, 10**6), d)
    assert not matches(DepthSub(MY, 10), d) and not matches(TradesSub(MX), d)
    assert matches(NonceSub(A), decode_frame(nonce_frame(A, 1)))
    assert not matches(NonceSub(B), decode_frame(nonce_frame(A, 1)))
    assert not matches(NonceSub(A), decode_frame("garbage"))


def test_router_fan_out_and_remove() -> None:
    router: Router[object] = Router()
    c1, c2 = object(), object()
    router.add(TradesSub(MX), c1)
    router.add(TradesSub(MX), c2)
    ev = decode_frame(trades_frame(MX))
    assert [c for c, _ in router.dispatch(ev)] == [c1, c2]
    assert router.consumers() == [c1, c2]
    router.remove(TradesSub(MX), c1)
    assert [c for c, _ in router.dispatch(ev)] == [c2]
    with pytest.raises(SubscriptionConflict):
        router.remove(TradesSub(MX), c1)
    router.remove(TradesSub(MX), c2)
    assert router.dispatch(ev) == [] and router.consumers() == []
    with pytest.raises(SubscriptionConflict):
        router.remove(TradesSub(MY), c2)
