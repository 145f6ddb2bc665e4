"""The exchange's WebSocket side as pure state: subscriptions in, frames out."""

from __future__ import annotations

import json
from typing import Any

from o2_core import models as m
from o2_core.sim import default_config

from .conftest import FUEL, P, Sim, body


def frames(conn) -> list[dict[str, Any]]:
    out = [json.loads(text) for text in conn.outbox]
    conn.outbox.clear()
    return out


def test_depth_snapshot_then_signed_changes(sim: Sim) -> None:
    a, b = sim.new_trader(), sim.new_trader()
    sim.place(a, P, "Buy", 50_000, 40 * FUEL)
    conn = sim.ex.ws_connect()
    woken = []
    conn.on_ready = lambda: woken.append(1)
    mid = str(sim.by_pair[P].market_id)
    sim.ex.ws_receive(
        conn,
        json.dumps(
            {
                "action": "subscribe_depth",
                "market_id": mid.upper().replace("0X", "0x"),
                "precision": "10",
            }
        ),
    )
    [snap] = frames(conn)
    assert woken and snap["action"] == "subscribe_depth" and snap["market_id"] == mid
    assert snap["view"] == {"buys": [{"price": "50000", "quantity": str(40 * FUEL)}], "sells": []}
    assert isinstance(snap["onchain_timestamp"], int)
    assert m.decode(json.dumps(snap["view"]), m.DepthSnapshot).best_bid == m.DepthLevel(
        50_000, 40 * FUEL
    )

    sim.place(a, P, "Buy", 50_000, 20 * FUEL)  # same level grows
    [upd] = frames(conn)
    assert upd["action"] == "subscribe_depth_update" and upd["market_id"] == mid
    assert upd["changes"] == {"buys": [{"price": "50000", "quantity": str(20 * FUEL)}], "sells": []}

    sim.place(b, P, "Sell", 50_000, 60 * FUEL)  # consumes the whole level
    [upd] = frames(conn)
    assert upd["changes"] == {
        "buys": [{"price": "50000", "quantity": str(-60 * FUEL)}], "sells": []}

    sim.place(b, P, "Sell", 50_100, 40 * FUEL)
    [upd] = frames(conn)
    assert upd["changes"] == {"buys": [], "sells": [{"price": "50100", "quantity": str(40 * FUEL)}]}

    sim.ex.ws_receive(conn, json.dumps({"action": "unsubscribe_depth", "market_id": mid}))
    sim.place(b, P, "Sell", 50_200, 40 * FUEL)
    assert frames(conn) == []


def test_depth_updates_are_bucketed(sim: Sim) -> None:
    a = sim.new_trader()
    sim.place(a, P, "Sell", 50_100, 40 * FUEL)
    conn = sim.ex.ws_connect()
    mid = str(sim.by_pair[P].market_id)
    sim.ex.ws_receive(
        conn, json.dumps({"action": "subscribe_depth", "market_id": mid, "precision": "1000"})
    )
    [snap] = frames(conn)
    assert snap["view"]["sells"] == [{"price": "51000", "quantity": str(40 * FUEL)}]
    sim.place(a, P, "Sell", 50_900, 20 * FUEL)
    [upd] = frames(conn)
    assert upd["changes"]["sells"] == [{"price": "51000", "quantity": str(20 * FUEL)}]
    # resubscribing at another precision answers with a fresh snapshot
    sim.ex.ws_receive(
        conn, json.dumps({"action": "subscribe_depth", "market_id": mid, "precision": 100})
    )
    [snap] = frames(conn)
    assert [lv["price"] for lv in snap["view"]["sells"]] == ["50100", "50900"]


def test_account_streams(sim: Sim) -> None:
    a, b = sim.new_trader(), sim.new_trader()
    conn = sim.ex.ws_connect()
    ident = [{"ContractId": a.trade_account_id}]
    mid = str(sim.by_pair[P].market_id)
    for action in ("subscribe_orders", "subscribe_balances", "subscribe_nonce"):
        sim.ex.ws_receive(conn, json.dumps({"action": action, "identities": ident}))
    sim.ex.ws_receive(conn, json.dumps({"action": "subscribe_trades", "market_id": mid}))
    assert frames(conn) == []  # no snapshots for these streams
    order = sim.place(a, P, "Sell", 50_000, 40 * FUEL)
    got = {f["action"]: f for f in frames(conn)}
    assert set(got) == {"subscribe_orders", "subscribe_balances", "subscribe_nonce"}
    assert [o["order_id"] for o in got["subscribe_orders"]["orders"]] == [order["order_id"]]
    assert got["subscribe_nonce"] == {
        **got["subscribe_nonce"],
        "contract_id": a.trade_account_id,
        "nonce": str(sim.nonce(a)),
    }
    [entry] = got["subscribe_balances"]["balance"]
    assert entry["identity"] == {"ContractId": a.trade_account_id}
    assert entry["asset_id"] == sim.asset("fFUEL") and entry["total_locked"] == str(40 * FUEL)
    bal = m.decode(json.dumps(got["subscribe_balances"]), m.BalanceUpdate)
    assert bal.balance[0].total_locked == 40 * FUEL

    sim.place(b, P, "Buy", 50_000, 40 * FUEL)  # fills a's order: b's nonce does not concern us
    got = {f["action"]: f for f in frames(conn)}
    assert set(got) == {"subscribe_orders", "subscribe_balances", "subscribe_trades"}
    [filled] = got["subscribe_orders"]["orders"]
    assert filled["order_id"] == order["order_id"] and filled["close"] is True
    trades = m.decode(json.dumps(got["subscribe_trades"]), m.TradeUpdate)
    assert trades.market_id == mid and trades.trades[0].quantity == 40 * FUEL

    for action in ("unsubscribe_orders", "unsubscribe_balances", "unsubscribe_nonce"):
        sim.ex.ws_receive(conn, json.dumps({"action": action}))
    sim.ex.ws_receive(conn, json.dumps({"action": "unsubscribe_trades", "market_id": mid}))
    sim.place(a, P, "Sell", 50_000, 40 * FUEL)
    assert frames(conn) == []


def test_owner_address_identity_maps_to_account(sim: Sim) -> None:
    a = sim.new_trader()
    conn = sim.ex.ws_connect()
    sim.ex.ws_receive(
        conn,
        json.dumps(
            {"action": "subscribe_nonce", "identities": [{"Address": a.owner.b256_address}]}
        ),
    )
    body(sim.submit(a, P, sim.settle(P, a)))
    [frame] = frames(conn)
    assert frame["contract_id"] == a.trade_account_id


def test_error_frames() -> None:
    config = default_config(0)
    config.max_ws_subscriptions = 2
    sim = Sim(config)
    conn = sim.ex.ws_connect()
    sim.ex.ws_receive(conn, "{nope")
    sim.ex.ws_receive(
        conn, json.dumps({"action": "subscribe_depth", "market_id": "0x" + "ab" * 32})
    )
    sim.ex.ws_receive(conn, json.dumps({"action": "dance"}))
    sim.ex.ws_receive(conn, json.dumps([1, 2]))
    sim.ex.ws_receive(conn, json.dumps({"action": "subscribe_orders", "identities": ["0x12"]}))
    sim.ex.ws_receive(
        conn,
        json.dumps(
            {
                "action": "subscribe_depth",
                "market_id": str(sim.by_pair[P].market_id),
                "precision": "7",
            }
        ),
    )
    ids = [{"ContractId": "0x" + f"{i:064x}"} for i in range(3)]
    sim.ex.ws_receive(conn, json.dumps({"action": "subscribe_nonce", "identities": ids}))
    codes = [f["code"] for f in frames(conn)]
    assert codes == [1002, 6002, 6002, 6002, 6002, 6002, 6001]
    assert all("action" not in json.loads(t) for t in conn.outbox)


def test_drop_and_inject(sim: Sim) -> None:
    c1, c2 = sim.ex.ws_connect(), sim.ex.ws_connect()
    calls: list[int] = []
    c1.on_ready = lambda: calls.append(1)
    sim.ex.inject_ws_frame("not json at all", c1)
    assert list(c1.outbox) == ["not json at all"] and calls == [1]
    assert sim.ex.drop_ws_connections() == 2
    assert c1.closed and c2.closed and calls == [1, 1]
    sim.ex.ws_receive(
        c1, json.dumps({"action": "subscribe_trades", "market_id": str(sim.by_pair[P].market_id)})
    )
    assert list(c1.outbox) == ["not json at all"]  # a closed connection gets nothing more
    assert sim.ex.ws.conns == {}


def test_delta_depth_updates() -> None:
    config = default_config(0)
    config.depth_updates = "delta"
    sim = Sim(config)
    a, b = sim.new_trader(), sim.new_trader()
    sim.place(a, P, "Buy", 50_000, 40 * FUEL)
    conn = sim.ex.ws_connect()
    mid = str(sim.by_pair[P].market_id)
    sim.ex.ws_receive(conn, json.dumps({"action": "subscribe_depth", "market_id": mid}))
    [snap] = frames(conn)
    assert snap["view"]["buys"] == [{"price": "50000", "quantity": str(40 * FUEL)}]
    sim.place(a, P, "Buy", 50_000, 20 * FUEL)
    [upd] = frames(conn)
    assert upd["changes"]["buys"] == [{"price": "50000", "quantity": str(20 * FUEL)}]
    sim.place(b, P, "Sell", 50_000, 50 * FUEL)
    [upd] = frames(conn)
    assert upd["changes"]["buys"] == [{"price": "50000", "quantity": str(-50 * FUEL)}]


def test_unchanged_buckets_are_not_sent(sim: Sim) -> None:
    a = sim.new_trader()
    conn = sim.ex.ws_connect()
    mid = str(sim.by_pair[P].market_id)
    sim.ex.ws_receive(conn, json.dumps({"action": "subscribe_depth", "market_id": mid}))
    frames(conn)
    order = sim.place(a, P, "Buy", 50_000, 40 * FUEL)
    assert len(frames(conn)) == 1
    # an order created and cancelled in one batch leaves the book as it was
    from o2_core import actions as act

    reply = sim.submit(
        a,
        P,
        sim.create(P, "Buy", 49_000, 40 * FUEL),
        act.cancel_order(sim.ctx(P), order["order_id"]),
    )
    assert reply.status == 200
    [upd] = frames(conn)
    assert upd["changes"] == {
        "buys": [
            {"price": "50000", "quantity": str(-40 * FUEL)},
            {"price": "49000", "quantity": str(40 * FUEL)},
        ],
        "sells": [],
    }
