"""Stream subscriptions: exact frames, normalisation, reference counting."""

from __future__ import annotations

import json
from typing import Any

import pytest
from wire_frames import MX, MY, OWNER_A, A, B

from o2_core import errors
from o2_core.errors import SubscriptionConflict
from o2_core.models import Id, Identity
from o2_core.subscriptions import (
    BalancesSub,
    DepthSub,
    NonceSub,
    OrdersSub,
    Subscriptions,
    TradesSub,
)

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
