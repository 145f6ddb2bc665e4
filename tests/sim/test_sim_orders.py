"""Matching, order types, fees, balances and atomic batches of the local exchange."""

from __future__ import annotations

import msgspec
import pytest

from o2_core import models as m
from o2_core.errors import OnChainRevert, error_from_body
from o2_core.sim import default_config

from .conftest import FUEL, P, Sim, body, revert_reason

PX = 50_000  # 0.05 fUSDC per fFUEL


def usdc(sim: Sim, trader, what: str = "trading_account_balance") -> int:
    return int(sim.balance(trader, "fUSDC")[what])


def fuel(sim: Sim, trader, what: str = "trading_account_balance") -> int:
    return int(sim.balance(trader, "fFUEL")[what])


def test_resting_buy_locks_quote(sim: Sim) -> None:
    a = sim.new_trader()
    before = usdc(sim, a)
    order = sim.place(a, P, "Buy", PX, 100 * FUEL)
    assert order["close"] is False and order["quantity_fill"] == "0"
    bal = sim.balance(a, "fUSDC")
    contract = str(sim.by_pair[P].contract_id)
    assert int(bal["trading_account_balance"]) == before - 5_000_000
    assert bal["order_books"][contract] == {"locked": "5000000", "unlocked": "0", "fee": "0"}
    assert int(bal["total_locked"]) == 5_000_000
    assert int(bal["total_unlocked"]) == before - 5_000_000
    assert sim.ex.book_levels(P) == {"buys": [(PX, 100 * FUEL)], "sells": []}
    sim.ex.check_invariants()


def test_cross_fills_at_maker_price_with_fees_and_refund(sim: Sim) -> None:
    maker, taker = sim.new_trader(), sim.new_trader()
    m_usdc, t_usdc, t_fuel = usdc(sim, maker), usdc(sim, taker), fuel(sim, taker)
    sell = sim.place(maker, P, "Sell", PX, 100 * FUEL)
    buy = sim.place(taker, P, "Buy", 51_000, 60 * FUEL)
    assert buy["close"] is True and buy["quantity_fill"] == str(60 * FUEL)
    assert buy["price_fill"] == str(PX)
    contract = str(sim.by_pair[P].contract_id)
    # taker forwarded 51_000 * 60 = 3_060_000, paid 3_000_000: 60_000 back, unlocked
    tb = sim.balance(taker, "fUSDC")
    assert int(tb["trading_account_balance"]) == t_usdc - 3_060_000
    assert tb["order_books"][contract] == {"locked": "0", "unlocked": "60000", "fee": "0"}
    # taker receives 60 FUEL minus the 2 bp taker fee, in FUEL
    fb = sim.balance(taker, "fFUEL")
    assert fb["order_books"][contract]["unlocked"] == str(60 * FUEL - 60 * FUEL * 2 // 10_000)
    assert fb["order_books"][contract]["fee"] == str(60 * FUEL * 2 // 10_000)
    assert int(fb["total_unlocked"]) == t_fuel + 60 * FUEL - 12_000_000
    # maker receives 3 USDC minus the 1 bp maker fee, and still locks 40 FUEL
    mb = sim.balance(maker, "fUSDC")
    assert mb["order_books"][contract] == {"locked": "0", "unlocked": "2999700", "fee": "300"}
    assert int(mb["total_unlocked"]) == m_usdc + 2_999_700
    assert sim.balance(maker, "fFUEL")["order_books"][contract]["locked"] == str(40 * FUEL)
    market = sim.ex.market(P)
    assert market.fee_pool == {market.base_asset: 12_000_000, market.quote_asset: 300}
    trade = sim.get_json("/v1/trades", market_id=market.market_id)["trades"][0]
    assert trade["price"] == str(PX) and trade["quantity"] == str(60 * FUEL)
    assert trade["total"] == "3000000" and trade["side"] == "Sell"
    assert trade["maker"] == {"ContractId": maker.trade_account_id}
    assert trade["taker"] == {"ContractId": taker.trade_account_id}
    order = body(sim.get("/v1/order", market_id=market.market_id, order_id=sell["order_id"]))[
        "order"
    ]
    assert order["partially_filled"] is True and order["quantity_fill"] == str(60 * FUEL)
    assert order["close"] is False
    sim.ex.check_invariants()


def test_price_time_priority(sim: Sim) -> None:
    first, second, better, taker = (sim.new_trader() for _ in range(4))
    o1 = sim.place(first, P, "Sell", 50_100, 40 * FUEL)
    o2 = sim.place(second, P, "Sell", 50_100, 40 * FUEL)
    o3 = sim.place(better, P, "Sell", PX, 40 * FUEL)
    sim.place(taker, P, "Buy", 50_100, 60 * FUEL)
    trades = sim.get_json("/v1/trades", market_id=sim.by_pair[P].market_id, direction="asc")[
        "trades"
    ]
    assert [(t["maker"]["ContractId"], t["price"], t["quantity"]) for t in trades] == [
        (better.trade_account_id, str(PX), str(40 * FUEL)),
        (first.trade_account_id, "50100", str(20 * FUEL)),
    ]
    mid = sim.by_pair[P].market_id
    fills = [
        body(sim.get("/v1/order", market_id=mid, order_id=o["order_id"]))["order"]["quantity_fill"]
        for o in (o1, o2, o3)
    ]
    assert fills == [str(20 * FUEL), "0", str(40 * FUEL)]
    assert sim.ex.book_levels(P)["sells"] == [(50_100, 60 * FUEL)]


def test_post_only(sim: Sim) -> None:
    a, b = sim.new_trader(), sim.new_trader()
    sim.place(a, P, "Sell", PX, 40 * FUEL)
    rest = sim.place(b, P, "Buy", 49_900, 80 * FUEL, "PostOnly")
    assert rest["close"] is False
    snap = sim.ex.snapshot()
    nonce = sim.nonce(b)
    reply = sim.submit(b, P, sim.create(P, "Buy", PX, 80 * FUEL, "PostOnly"))
    assert "OrderCreationError::OrderPartiallyFilled" in revert_reason(reply)
    assert sim.nonce(b) == nonce + 1
    after = sim.ex.snapshot()
    after["accounts"][b.trade_account_id]["nonce"] -= 1
    assert after == snap


def test_fill_or_kill(sim: Sim) -> None:
    a, b = sim.new_trader(), sim.new_trader()
    sim.place(a, P, "Sell", PX, 40 * FUEL)
    sim.place(a, P, "Sell", 50_100, 40 * FUEL)
    reply = sim.submit(b, P, sim.create(P, "Buy", 50_100, 100 * FUEL, "FillOrKill"))
    assert "OrderCreationError::OrderNotFilled" in revert_reason(reply)
    assert sim.ex.book_levels(P)["sells"] == [(PX, 40 * FUEL), (50_100, 40 * FUEL)]
    order = sim.place(b, P, "Buy", 50_100, 60 * FUEL, "FillOrKill")
    assert order["close"] is True and order["quantity_fill"] == str(60 * FUEL)
    assert sim.ex.book_levels(P)["sells"] == [(50_100, 20 * FUEL)]
    sim.ex.check_invariants()


def test_market_order_fills_then_cancels_remainder(sim: Sim) -> None:
    a, b = sim.new_trader(), sim.new_trader()
    sim.place(a, P, "Sell", PX, 40 * FUEL)
    sim.place(a, P, "Sell", 60_000, 40 * FUEL)
    before = usdc(sim, b, "total_unlocked")
    order = sim.place(b, P, "Buy", 55_000, 120 * FUEL, "Market")
    assert order["close"] is True and order["cancel"] is True
    assert order["quantity_fill"] == str(40 * FUEL)
    assert sim.ex.book_levels(P) == {"buys": [], "sells": [(60_000, 40 * FUEL)]}
    # paid exactly 0.5 fUSDC, the rest came back unlocked
    assert usdc(sim, b, "total_unlocked") == before - 2_000_000
    assert usdc(sim, b, "total_locked") == 0
    sim.ex.check_invariants()


def test_bounded_market(sim: Sim) -> None:
    a, b = sim.new_trader(), sim.new_trader()
    sim.place(a, P, "Buy", PX, 40 * FUEL)
    sim.place(a, P, "Buy", 40_000, 40 * FUEL)
    bad = m.BoundedMarketOrder(max_price=m.ChainInt(40_000), min_price=m.ChainInt(45_000))
    # the core refuses min > max before signing, so build the wire action by hand
    with pytest.raises(ValueError):
        sim.create(P, "Sell", 40_000, 40 * FUEL, bad)
    order = sim.place(
        b,
        P,
        "Sell",
        30_000,
        120 * FUEL,
        m.BoundedMarketOrder(max_price=m.ChainInt(60_000), min_price=m.ChainInt(45_000)),
    )
    assert order["quantity_fill"] == str(40 * FUEL) and order["close"] and order["cancel"]
    assert order["order_type"] == {"BoundedMarket": {"max_price": "60000", "min_price": "45000"}}
    assert sim.ex.book_levels(P) == {"buys": [(40_000, 40 * FUEL)], "sells": []}


def test_bounded_market_min_above_max_reverts(sim: Sim) -> None:
    from o2_core import actions as act
    from o2_core import encoding as enc

    b = sim.new_trader()
    ctx = sim.ctx(P)
    data = enc.encode_order_args(
        PX, 40 * FUEL, enc.encode_order_type("BoundedMarket", 40_000, 45_000)
    )
    call = enc.Call(ctx.contract_id, enc.SELECTOR_CREATE_ORDER, 40 * FUEL, ctx.base_asset, data)
    wire = {
        "CreateOrder": {
            "side": "Sell",
            "price": str(PX),
            "quantity": str(40 * FUEL),
            "order_type": {"BoundedMarket": {"max_price": "40000", "min_price": "45000"}},
        }
    }
    reply = sim.submit(b, P, act.PreparedAction(wire, call))
    assert "OrderCreationError::InvalidMarketOrderArgs" in revert_reason(reply)


def test_limit_order_rests_until_its_timestamp(sim: Sim) -> None:
    a, b = sim.new_trader(), sim.new_trader()
    sim.place(a, P, "Sell", 49_000, 40 * FUEL)
    sim.place(a, P, "Sell", 51_000, 40 * FUEL)
    now = int(sim.clock.now)
    # matches only up to the limit price 0.05, rests the remainder at 0.05
    order = sim.place(b, P, "Buy", PX, 80 * FUEL, m.LimitOrder(m.ChainInt(PX), now + 60))
    assert order["quantity_fill"] == str(40 * FUEL) and order["close"] is False
    assert order["order_type"] == {"Limit": [str(PX), str(now + 60)]}
    assert sim.ex.book_levels(P) == {"buys": [(PX, 40 * FUEL)], "sells": [(51_000, 40 * FUEL)]}
    assert usdc(sim, b, "total_locked") == PX * 40
    sim.clock.advance(61)
    assert sim.ex.book_levels(P)["buys"] == [(PX, 40 * FUEL)]  # expiry runs on the next request
    got = body(sim.get("/v1/order", market_id=sim.by_pair[P].market_id, order_id=order["order_id"]))
    assert got["order"]["close"] is True and got["order"]["cancel"] is True
    assert sim.ex.book_levels(P)["buys"] == []
    assert usdc(sim, b, "total_locked") == 0
    # a limit order whose timestamp has passed does not rest
    late = sim.place(b, P, "Buy", 49_000, 80 * FUEL, m.LimitOrder(m.ChainInt(49_000), now))
    assert late["close"] is True and late["cancel"] is True
    # a limit price below the order price must not leave a crossed book
    sim.place(a, P, "Sell", 50_000, 40 * FUEL)
    crossing = sim.place(
        b, P, "Buy", 52_000, 80 * FUEL, m.LimitOrder(m.ChainInt(49_000), now + 600)
    )
    assert crossing["quantity_fill"] == "0" and crossing["close"] is True
    sim.ex.check_invariants()


def test_cancel_and_settle(sim: Sim) -> None:
    a, other = sim.new_trader(), sim.new_trader()
    start = usdc(sim, a)
    order = sim.place(a, P, "Buy", PX, 100 * FUEL)
    assert "OrderCancelError::NotOrderOwner" in revert_reason(
        sim.submit(other, P, sim.cancel(P, order["order_id"]))
    )
    unknown = sim.submit(a, P, sim.cancel(P, "0x" + "ab" * 32))
    assert "FAILED_REQUIRE" in revert_reason(unknown)
    reply = body(sim.submit(a, P, sim.cancel(P, order["order_id"])))
    assert "tx_id" in reply
    got = body(sim.get("/v1/order", market_id=sim.by_pair[P].market_id, order_id=order["order_id"]))
    assert got["order"]["cancel"] is True and got["order"]["close"] is True
    assert usdc(sim, a) == start - 5_000_000
    assert usdc(sim, a, "total_unlocked") == start
    assert "FAILED_REQUIRE" in revert_reason(sim.submit(a, P, sim.cancel(P, order["order_id"])))
    body(sim.submit(a, P, sim.settle(P, a)))
    assert usdc(sim, a) == start
    assert sim.ex.book_levels(P) == {"buys": [], "sells": []}
    sim.ex.check_invariants()


def test_batch_is_atomic_but_consumes_the_nonce(sim: Sim) -> None:
    a = sim.new_trader()
    snap = sim.ex.snapshot()
    nonce = sim.nonce(a)
    reply = sim.submit(
        a,
        P,
        sim.settle(P, a),
        sim.create(P, "Buy", PX, 100 * FUEL),
        sim.create(P, "Buy", 50_100, FUEL + 1),  # breaks FractionalPrice
    )
    reason = revert_reason(reply)
    assert reason.startswith("OrderCreationError::FractionalPrice")
    raw = msgspec.json.decode(reply.body)
    assert 'Ok(\\"OrderCreatedEvent\\")' in msgspec.json.encode(raw["reason"]).decode()
    after = sim.ex.snapshot()
    assert after["accounts"][a.trade_account_id]["nonce"] == nonce + 1
    after["accounts"][a.trade_account_id]["nonce"] = nonce
    assert after == snap


@pytest.mark.parametrize(
    ("price", "qty", "variant"),
    [
        (50_050, 100 * FUEL, "PricePrecision"),
        (50_100, FUEL + 1, "FractionalPrice"),
        (PX, FUEL, "InvalidOrderArgs"),  # 0.05 fUSDC: below this market's min_order (1 fUSDC)
        (PX, 10**9 * FUEL, "InvalidInputAmount"),  # more than the account holds
    ],
)
def test_order_rules_revert(price: int, qty: int, variant: str) -> None:
    sim = Sim(default_config(0, min_order=1_000_000))  # 1 fUSDC, set for the rule
    a = sim.new_trader()
    reason = revert_reason(sim.submit(a, P, sim.create(P, "Buy", price, qty)))
    assert reason.startswith(f"OrderCreationError::{variant}")


def test_the_default_min_order_takes_the_official_quickstarts_order(sim: Sim) -> None:
    """o2-sdk 0.5.0's quickstart ends with a 0.01 fUSDC x 1 fFUEL PostOnly buy: the default
    minimum order (0.01 fUSDC of notional) takes it, and one unit less is refused."""
    a = sim.new_trader()
    order = sim.place(a, P, "Buy", 10_000, FUEL, "PostOnly")  # 0.01 x 1 = 10_000 units
    assert order["price"] == "10000" and order["quantity"] == str(FUEL) and not order["close"]
    reason = revert_reason(sim.submit(a, P, sim.create(P, "Buy", 9_900, FUEL, "PostOnly")))
    assert reason.startswith("OrderCreationError::InvalidOrderArgs")


def test_revert_wrapped_as_code_1000() -> None:
    sim = Sim(default_config(0, revert_as_code_1000=True))
    a = sim.new_trader()
    reply = sim.submit(a, P, sim.create(P, "Buy", 50_050, 100 * FUEL))
    assert msgspec.json.decode(reply.body)["code"] == 1000
    err = error_from_body(reply.status, reply.body)
    assert isinstance(err, OnChainRevert) and err.code == 1000
    assert err.reason is not None and err.reason.startswith("OrderCreationError::PricePrecision")


def test_whitelist_required() -> None:
    sim = Sim(default_config(0, require_whitelist=True))
    a = sim.new_trader()
    reason = revert_reason(sim.submit(a, P, sim.create(P, "Buy", PX, 100 * FUEL)))
    assert reason.startswith("OrderCreationError::TraderNotWhiteListed")
    sim.place  # noqa: B018
    from o2_core import http

    from .conftest import BASE

    first = body(sim.send(http.whitelist_account(BASE, a.trade_account_id)))
    assert first == {
        "success": True,
        "tradeAccount": a.trade_account_id,
        "alreadyWhitelisted": False,
    }
    again = body(sim.send(http.whitelist_account(BASE, a.trade_account_id)))
    assert again["alreadyWhitelisted"] is True
    assert sim.place(a, P, "Buy", PX, 100 * FUEL)["close"] is False


def test_self_trade_is_allowed(sim: Sim) -> None:
    a = sim.new_trader()
    sim.place(a, P, "Sell", PX, 40 * FUEL)
    order = sim.place(a, P, "Buy", PX, 40 * FUEL)
    assert order["close"] is True
    trades = sim.get_json(
        "/v1/trades_by_account", market_id=sim.by_pair[P].market_id, contract=a.trade_account_id
    )["trades"]
    assert len(trades) == 1 and trades[0]["trader_side"] == "both"
    sim.ex.check_invariants()


def test_collect_orders_false_and_register_referer(sim: Sim) -> None:
    from o2_core import actions as act

    a, ref = sim.new_trader(), sim.new_trader(fund=False, markets=[])
    reply = body(sim.submit(a, P, sim.create(P, "Buy", PX, 100 * FUEL), collect=False))
    assert set(reply) == {"tx_id"}
    register = act.register_referer(sim.ctx(P), ref.trade_account_id)
    body(sim.submit(a, P, register))
    assert sim.ex.accounts[a.trade_account_id].referer == ref.trade_account_id
    reason = revert_reason(sim.submit(a, P, register))
    assert reason.startswith("TradeAccountRegistryError::TradeAccountAlreadyHasReferer")


def test_sell_side_and_second_market(sim: Sim) -> None:
    a, b = sim.new_trader(), sim.new_trader()
    eth_price = 3_000_120_000  # 3000.12 fUSDC (tick 0.01)
    sim.place(a, "fETH/fUSDC", "Buy", eth_price, 25_000 * 100)
    order = sim.place(b, "fETH/fUSDC", "Sell", 2_999_000_000, 25_000 * 40)
    assert order["close"] is True and order["price_fill"] == str(eth_price)
    sim.ex.check_invariants()

