"""History is bounded: past ``SimConfig.history_limit`` per market the oldest trades and
closed orders are forgotten (open orders never are), and every read stays consistent."""

from __future__ import annotations

import gc
import tracemalloc

from o2_core.sim import default_config

from .conftest import FUEL, P, Sim, body, error_code


def history_sim(limit: int | None) -> Sim:
    config = default_config(0)
    config.history_limit = limit
    return Sim(config)


def trade_round(sim: Sim, a, b, i: int) -> tuple[dict, dict]:
    """``a`` rests a buy, ``b`` fills it: two closed orders and one trade."""
    maker = sim.place(a, P, "Buy", 50_000, 40 * FUEL)
    taker = sim.place(b, P, "Sell", 50_000, 40 * FUEL)
    assert taker["close"] and taker["quantity_fill"] == str(40 * FUEL), i
    return maker, taker


def test_oldest_trades_and_closed_orders_are_forgotten() -> None:
    sim = history_sim(20)
    a, b = sim.new_trader(), sim.new_trader()
    resting = sim.place(a, P, "Buy", 40_000, 40 * FUEL)  # stays open throughout
    market = sim.ex.market(P)
    placed = [trade_round(sim, a, b, 0)]
    first_trade = market.trades[0].trade_id
    placed += [trade_round(sim, a, b, i) for i in range(1, 60)]
    # at most limit + limit // 10 of each are remembered
    assert 20 <= len(market.trades) <= 22 and 20 <= len(market.closed_orders) <= 22
    assert market.trades_forgotten + len(market.trades) == 60
    assert set(sim.ex.orders) == {resting["order_id"]} | {o.order_id for o in market.closed_orders}
    # the open order is still there, the first closed ones are gone
    mid = str(sim.by_pair[P].market_id)
    assert (
        body(sim.get("/v1/order", market_id=mid, order_id=resting["order_id"]))["order"]["close"]
        is False
    )
    first_maker, _ = placed[0]
    reply = sim.get("/v1/order", market_id=mid, order_id=first_maker["order_id"])
    assert error_code(reply) == 3000
    _, last_taker = placed[-1]
    assert body(sim.get("/v1/order", market_id=mid, order_id=last_taker["order_id"]))
    # account histories hold exactly the remembered orders and trades
    for trader in (a, b):
        account = sim.ex.accounts[trader.trade_account_id]
        assert all(o.order_id in sim.ex.orders for o in account.orders[market.market_id])
        assert account.trades[market.market_id] == market.trades
        orders = body(
            sim.get("/v1/orders", market_id=mid, contract=trader.trade_account_id, count=200)
        )["orders"]
        assert {o["order_id"] for o in orders} == {
            o.order_id for o in account.orders[market.market_id]
        }
    # trade pages and cursors work on what is remembered; a forgotten cursor is refused
    newest = body(sim.get("/v1/trades", market_id=mid, count=5))["trades"]
    assert [t["trade_id"] for t in newest] == [t.trade_id for t in market.trades[::-1][:5]]
    older = body(
        sim.get("/v1/trades", market_id=mid, count=50, start_trade_id=newest[-1]["trade_id"])
    )["trades"]
    assert [t["trade_id"] for t in older] == [t.trade_id for t in market.trades[::-1][5:]]
    forgotten = sim.get("/v1/trades", market_id=mid, start_trade_id=first_trade)
    assert error_code(forgotten) == 7002
    [ticker] = body(sim.get("/v1/markets/ticker", market_id=mid))
    assert ticker["last"] == ticker["last_price"] == "50000"
    sim.ex.check_invariants()


def test_no_limit_remembers_everything() -> None:
    sim = history_sim(None)
    a, b = sim.new_trader(), sim.new_trader()
    for i in range(30):
        trade_round(sim, a, b, i)
    market = sim.ex.market(P)
    assert len(market.trades) == 30 and market.trades_forgotten == 0
    assert len(sim.ex.orders) == 60


def test_memory_is_flat_once_the_limit_is_reached() -> None:
    sim = history_sim(50)
    a, b = sim.new_trader(), sim.new_trader()
    for i in range(100):  # fill the history up to its limit
        trade_round(sim, a, b, i)
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for i in range(300):
            trade_round(sim, a, b, i)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    # 300 rounds remembered would be 600 orders and 300 trades (~1 MB); forgotten: ~0
    assert grown < 150_000, grown
    sim.ex.check_invariants()
