"""The WebSocket protocol layer: frames in, events out; subscriptions in, frames out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2_core import errors
from o2_core.models import (
    BalanceUpdate,
    DepthLevel,
    DepthUpdate,
    Id,
    Identity,
    NonceUpdate,
    OrderUpdate,
    TradeUpdate,
)
from o2_core.stream import (
    Backoff,
    BalancesSub,
    BoundedBuffer,
    ConnectionEvent,
    ConnectionState,
    DepthSub,
    MalformedFrame,
    NonceSub,
    OrdersSub,
    OverflowPolicy,
    ProtocolState,
    Router,
    ServerError,
    SlowConsumerError,
    StreamProtocol,
    StreamStateError,
    SubscriptionConflict,
    Subscriptions,
    TradesSub,
    decode_frame,
    matches,
    route,
)

MX = "0x" + "aa" * 32
MY = "0x" + "bb" * 32
A = "0x" + "a1" * 32
B = "0x" + "b2" * 32
OWNER_A = "0x" + "0a" * 32


def dumps(obj: Any) -> str:
    return json.dumps(obj)


def depth_snapshot(market: str, bids: list[tuple[Any, Any]], asks: list[tuple[Any, Any]],
                   key: str = "view") -> str:
    return dumps({
        "action": "subscribe_depth",
        "market_id": market,
        key: {
            "buys": [{"price": p, "quantity": q} for p, q in bids],
            "sells": [{"price": p, "quantity": q} for p, q in asks],
        },
        "onchain_timestamp": "1700000000",
        "seen_timestamp": 1700000001,
    })


def depth_update(market: str, bids: list[tuple[Any, Any]], asks: list[tuple[Any, Any]]) -> str:
    return dumps({
        "action": "subscribe_depth_update",
        "market_id": market,
        "changes": {
            "buys": [{"price": p, "quantity": q} for p, q in bids],
            "sells": [{"price": p, "quantity": q} for p, q in asks],
        },
    })


def order(oid: str, account: str | None = None, owner: str | None = None,
          **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"order_id": oid, "side": "Buy", "quantity": "100",
                           "quantity_fill": 40, "price": "5000", "close": False, **extra}
    if account is not None:
        out["account"] = {"ContractId": account}
    if owner is not None:
        out["owner"] = {"Address": owner}
    return out


def orders_frame(*orders: dict[str, Any]) -> str:
    return dumps({"action": "subscribe_orders", "orders": list(orders),
                  "onchain_timestamp": "5", "seen_timestamp": "6"})


def trades_frame(market: str, n: int = 1) -> str:
    return dumps({
        "action": "subscribe_trades", "market_id": market,
        "trades": [{"trade_id": str(i), "side": "Sell", "total": "500", "quantity": 10,
                    "price": "50", "timestamp": "1700000000123"} for i in range(n)],
    })


def balance_entry(ident: str | None, asset: str = "0x" + "cc" * 32) -> dict[str, Any]:
    out: dict[str, Any] = {"asset_id": asset, "trading_account_balance": "10",
                           "total_locked": 5, "total_unlocked": "15",
                           "order_books": {MX: {"locked": "5", "unlocked": 0}}}
    if ident is not None:
        out["identity"] = {"ContractId": ident}
    return out


def balances_frame(*entries: dict[str, Any]) -> str:
    return dumps({"action": "subscribe_balances", "balance": list(entries)})


def nonce_frame(account: str, nonce: Any) -> str:
    return dumps({"action": "subscribe_nonce", "contract_id": account, "nonce": nonce})


# --- subscription frames ---------------------------------------------------------------


def test_subscribe_frames_are_exactly_the_protocol() -> None:
    assert json.loads(DepthSub(MX.upper().replace("0X", "0x"), 10).subscribe_frame()) == {
        "action": "subscribe_depth", "market_id": MX, "precision": "10"}
    assert json.loads(DepthSub(MX, 1000).unsubscribe_frame()) == {
        "action": "unsubscribe_depth", "market_id": MX}
    assert DepthSub.from_level(MX, 3) == DepthSub(MX, 1000)
    assert json.loads(TradesSub(MX).subscribe_frame()) == {
        "action": "subscribe_trades", "market_id": MX}
    assert json.loads(TradesSub(MX).unsubscribe_frame()) == {
        "action": "unsubscribe_trades", "market_id": MX}
    ident = [{"ContractId": A}]
    assert json.loads(OrdersSub(A).subscribe_frame()) == {
        "action": "subscribe_orders", "identities": ident}
    assert json.loads(OrdersSub(A).unsubscribe_frame()) == {"action": "unsubscribe_orders"}
    for cls, topic in ((BalancesSub, "balances"), (NonceSub, "nonce")):
        assert json.loads(cls(A).subscribe_frame()) == {
            "action": f"subscribe_{topic}", "identities": ident}
        assert json.loads(cls(A).unsubscribe_frame()) == {
            "action": f"unsubscribe_{topic}", "identities": ident}
    # compact JSON, action first
    assert TradesSub(MX).subscribe_frame() == (
        '{"action":"subscribe_trades","market_id":"' + MX + '"}')


def test_subscriptions_normalise_ids_and_accept_identities() -> None:
    assert OrdersSub(A.upper().replace("0X", "0x")) == OrdersSub(A)
    assert OrdersSub(A[2:]) == OrdersSub(Identity(contract_id=Id(A)))
    assert hash(NonceSub(A)) == hash(NonceSub(A[2:].upper()))
    addr = OrdersSub(Identity(address=Id(OWNER_A)))
    assert json.loads(addr.subscribe_frame())["identities"] == [{"Address": OWNER_A}]


@pytest.mark.parametrize("bad", [0, 5, 20, -10, True, "10", 10.0])
def test_depth_precision_must_be_a_power_of_ten(bad: Any) -> None:
    with pytest.raises(errors.InvalidInput, match="power of ten"):
        DepthSub(MX, bad)


def test_subscription_ids_are_validated() -> None:
    with pytest.raises(errors.InvalidInput, match="market_id"):
        TradesSub("0x1234")
    with pytest.raises(errors.InvalidInput):
        OrdersSub("not-hex")
    with pytest.raises(errors.InvalidInput):
        DepthSub.from_level(MX, 19)
    with pytest.raises(errors.InvalidInput):
        OrdersSub(12)  # type: ignore[arg-type]


# --- reference-counted subscription set ------------------------------------------------


def test_refcount_sends_subscribe_once_and_unsubscribe_when_last_goes() -> None:
    subs = Subscriptions()
    d = DepthSub(MX, 10)
    assert subs.add(d) == [d.subscribe_frame()]
    assert subs.add(DepthSub(MX.upper().replace("0X", "0x"), 10)) == []  # same sub, deduped
    assert subs.count(d) == 2 and len(subs) == 1
    assert subs.remove(d) == []
    assert subs.remove(d) == [d.unsubscribe_frame()]
    assert d not in subs and subs.resubscribe_frames() == []
    with pytest.raises(SubscriptionConflict, match="never added"):
        subs.remove(d)
    with pytest.raises(SubscriptionConflict, match="never added"):
        subs.remove(TradesSub(MY))


def test_resubscribe_frames_keep_first_subscribed_order() -> None:
    subs = Subscriptions()
    order_ = [TradesSub(MY), DepthSub(MX, 100), OrdersSub(A), BalancesSub(A), NonceSub(B)]
    for s in order_:
        subs.add(s)
    subs.add(TradesSub(MY))  # a second user does not move it
    assert subs.resubscribe_frames() == [s.subscribe_frame() for s in order_]
    subs.remove(DepthSub(MX, 100))
    subs.add(DepthSub(MX, 100))  # re-added after removal: now last
    assert subs.resubscribe_frames() == [
        s.subscribe_frame() for s in [*order_[:1], *order_[2:], order_[1]]]
    assert list(subs) == [*order_[:1], *order_[2:], order_[1]]


def test_removing_one_orders_sub_resubscribes_the_others() -> None:
    subs = Subscriptions()
    subs.add(OrdersSub(A))
    subs.add(OrdersSub(B))
    # unsubscribe_orders names no identity: B must be re-sent
    assert subs.remove(OrdersSub(A)) == [
        '{"action":"unsubscribe_orders"}', OrdersSub(B).subscribe_frame()]
    assert subs.remove(OrdersSub(B)) == ['{"action":"unsubscribe_orders"}']


def test_one_precision_per_market() -> None:
    subs = Subscriptions()
    subs.add(DepthSub(MX, 10))
    with pytest.raises(SubscriptionConflict, match="precision 10"):
        subs.add(DepthSub(MX, 100))
    assert subs.add(DepthSub(MY, 100)) == [DepthSub(MY, 100).subscribe_frame()]
    subs.remove(DepthSub(MX, 10))
    assert subs.add(DepthSub(MX, 100)) == [DepthSub(MX, 100).subscribe_frame()]


def test_add_rejects_non_subscriptions() -> None:
    with pytest.raises(errors.InvalidInput):
        Subscriptions().add("subscribe_depth")  # type: ignore[arg-type]


# --- decoding every frame kind ---------------------------------------------------------


@pytest.mark.parametrize("key", ["view", "orders"])
def test_depth_snapshot_via_view_or_orders(key: str) -> None:
    ev = decode_frame(depth_snapshot(MX.upper().replace("0X", "0x"),
                                     [("100", "5"), (99, 7)], [("101", 3)], key))
    assert isinstance(ev, DepthUpdate)
    assert ev.is_snapshot and ev.market_id == MX and str(ev.market_id) == MX
    assert ev.changes.bids == [DepthLevel(100, 5), DepthLevel(99, 7)]
    assert ev.changes.asks == [DepthLevel(101, 3)]
    assert ev.changes.best_bid == DepthLevel(100, 5)
    assert (ev.onchain_timestamp, ev.seen_timestamp) == (1700000000, 1700000001)


def test_depth_update_strings_and_numbers() -> None:
    big = 2**64 - 1
    ev = decode_frame(depth_update(MX, [(str(big), "0")], [(7, big)]).encode())
    assert isinstance(ev, DepthUpdate) and not ev.is_snapshot
    assert ev.changes.bids == [DepthLevel(big, 0)]
    assert ev.changes.asks == [DepthLevel(7, big)]
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


@given(st.lists(st.tuples(st.integers(1, 2**64 - 1), st.integers(0, 2**64 - 1)), max_size=20),
       st.booleans())
def test_depth_levels_decode_exactly_from_strings_or_numbers(
        levels: list[tuple[int, int]], as_str: bool) -> None:
    wire = [(str(p), str(q)) if as_str else (p, q) for p, q in levels]
    ev = decode_frame(depth_update(MX, wire, wire[::-1]))
    assert isinstance(ev, DepthUpdate)
    assert ev.changes.bids == [DepthLevel(p, q) for p, q in levels]
    assert ev.changes.asks == [DepthLevel(p, q) for p, q in levels[::-1]]


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
    raw = base
    for r in rands:
        d = b.next_delay()
        assert d is not None
        assert d == raw * (1 - jitter * r) if jitter else d == raw
        assert 0 < d <= cap or (jitter == 1 and d >= 0)
        raw = min(cap, raw * factor)
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


# --- lifecycle -------------------------------------------------------------------------


def states(events: list[ConnectionEvent]) -> list[tuple[ConnectionState, int]]:
    return [(e.state, e.attempt) for e in events]


def test_lifecycle_connect_drop_reconnect_close() -> None:
    proto = StreamProtocol(Backoff(base=1, factor=2, cap=8, max_attempts=5))
    assert proto.state is ProtocolState.IDLE
    # subscribing before connecting sends nothing yet
    assert proto.subscribe(DepthSub(MX, 10)) == []
    events, frames = proto.connection_made()
    assert states(events) == [(ConnectionState.CONNECTED, 0)]
    assert frames == [DepthSub(MX, 10).subscribe_frame()]
    assert proto.subscribe(OrdersSub(A)) == [OrdersSub(A).subscribe_frame()]
    assert proto.subscribe(OrdersSub(A)) == []
    assert proto.receive(nonce_frame(A, 1)) == [NonceUpdate(Id(A), 1)]

    events, delay = proto.connection_lost("reset by peer")
    assert states(events) == [(ConnectionState.DISCONNECTED, 0),
                              (ConnectionState.RECONNECTING, 1)]
    assert events[0].message == "reset by peer" and delay == 1.0
    assert proto.state is ProtocolState.RECONNECTING
    # subscriptions while disconnected are recorded, not sent
    assert proto.subscribe(TradesSub(MY)) == []
    events, delay = proto.connection_failed("refused")
    assert states(events) == [(ConnectionState.RECONNECTING, 2)] and delay == 2.0
    events, frames = proto.connection_made()
    assert states(events) == [(ConnectionState.RECONNECTED, 2)]
    assert "REST" in events[0].message
    assert frames == [DepthSub(MX, 10).subscribe_frame(), OrdersSub(A).subscribe_frame(),
                      TradesSub(MY).subscribe_frame()]
    # the backoff starts over after a successful connection
    events, delay = proto.connection_lost()
    assert states(events)[1] == (ConnectionState.RECONNECTING, 1) and delay == 1.0
    proto.connection_made()
    assert proto.unsubscribe(OrdersSub(A)) == []
    assert proto.unsubscribe(OrdersSub(A)) == ['{"action":"unsubscribe_orders"}']

    assert states(proto.close()) == [(ConnectionState.CLOSED, 0)]
    assert proto.state is ProtocolState.CLOSED
    assert proto.close() == []  # idempotent


def test_lifecycle_exhausted_backoff_closes() -> None:
    proto = StreamProtocol(Backoff(max_attempts=2))
    proto.connection_made()
    _, d1 = proto.connection_lost()
    _, d2 = proto.connection_failed()
    events, d3 = proto.connection_failed()
    assert (d1, d2, d3) == (0.5, 1.0, None)
    assert states(events) == [(ConnectionState.CLOSED, 2)]
    assert "exhausted" in events[0].message and proto.state is ProtocolState.CLOSED

    zero = StreamProtocol(Backoff(max_attempts=0))
    zero.connection_made()
    events, delay = zero.connection_lost("bye")
    assert delay is None
    assert [e.state for e in events] == [ConnectionState.DISCONNECTED, ConnectionState.CLOSED]


def test_initial_connection_failure_then_first_success_is_connected() -> None:
    proto = StreamProtocol(Backoff(base=2, max_attempts=3))
    events, delay = proto.connection_failed("dns")
    assert states(events) == [(ConnectionState.RECONNECTING, 1)] and delay == 2.0
    events, _ = proto.connection_made()
    assert states(events) == [(ConnectionState.CONNECTED, 1)]


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
    (["close"], "subscribe"),
    (["close"], "unsubscribe"),
    ([], "resync"),
])
def test_illegal_transitions_raise(setup: list[str], action: str) -> None:
    proto = StreamProtocol()
    for step in setup:
        getattr(proto, step)()
    before = proto.state
    calls = {
        "receive": lambda: proto.receive(b"{}"),
        "subscribe": lambda: proto.subscribe(TradesSub(MX)),
        "unsubscribe": lambda: proto.unsubscribe(TradesSub(MX)),
        "resync": lambda: proto.resync_frames(DepthSub(MX, 10)),
    }
    with pytest.raises(StreamStateError, match=f"while {before.name}"):
        call = calls[action] if action in calls else getattr(proto, action)
        call()
    assert proto.state is before
    assert isinstance(StreamStateError("x"), errors.UsageError)
    assert not isinstance(StreamStateError("x"), errors.O2Error)


def test_resync_frames_request_a_fresh_snapshot() -> None:
    proto = StreamProtocol()
    proto.subscribe(DepthSub(MX, 100))
    proto.connection_made()
    assert proto.resync_frames(DepthSub(MX, 100)) == [
        DepthSub(MX, 100).unsubscribe_frame(), DepthSub(MX, 100).subscribe_frame()]
    with pytest.raises(SubscriptionConflict):
        proto.resync_frames(DepthSub(MY, 100))


# --- bounded buffers -------------------------------------------------------------------


def test_drop_oldest_keeps_newest_and_flags_resync() -> None:
    buf: BoundedBuffer[int] = BoundedBuffer(3, OverflowPolicy.DROP_OLDEST)
    assert [buf.push(i) for i in range(3)] == [True] * 3
    assert not buf.needs_resync
    assert buf.push(3) is False and buf.push(4) is False
    assert len(buf) == 3 and buf.dropped == 2 and buf.needs_resync
    assert buf.pop() == 2
    assert buf.take_resync() is True and buf.take_resync() is False
    assert buf.drain() == [3, 4] and len(buf) == 0
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
    with pytest.raises(SlowConsumerError):
        buf.drain()
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
        assert buf.drain() == model


@pytest.mark.parametrize("cap", [0, -1, True, 1.5])
def test_buffer_capacity_validated(cap: Any) -> None:
    with pytest.raises(errors.InvalidInput):
        BoundedBuffer(cap, OverflowPolicy.ERROR)
