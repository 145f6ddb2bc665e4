"""The read endpoints of the local exchange, parsed with the core's own parsers."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from o2_core import http, replies
from o2_core import models as m
from o2_core.sim import DEFAULT_MIN_ORDER, default_config

from .conftest import BASE, FUEL, P, Sim, body, error_code


def test_markets(sim: Sim) -> None:
    reply = m.decode(sim.send(http.get_markets(BASE)).body, m.MarketsResponse)
    config = default_config(0)
    assert reply.chain_id == "0x0000000000000000" and reply.chain_id_int == 0
    assert reply.base_asset_id == config.base_asset_id
    assert [mk.pair for mk in reply.markets] == ["fFUEL/fUSDC", "fETH/fUSDC"]
    fuel = reply.markets[0]
    assert (
        fuel.base.decimals,
        fuel.base.max_precision,
        fuel.quote.decimals,
        fuel.quote.max_precision,
    ) == (9, 3, 6, 4)
    assert fuel.maker_fee == Decimal("0.0001") and fuel.taker_fee == Decimal("0.0002")
    assert fuel.min_order == DEFAULT_MIN_ORDER == 10_000  # 0.01 fUSDC
    raw = msgspec.json.decode(sim.send(http.get_markets(BASE)).body)
    assert raw["markets"][0]["min_order"] == "10000"  # u64 as a JSON string
    strict = Sim(default_config(0, min_order=1_000_000))
    assert [mk.min_order for mk in strict.markets.markets] == [1_000_000, 1_000_000]
    # ids differ with the seed
    other = Sim(seed=1)
    assert other.markets.markets[0].contract_id != fuel.contract_id


def _book(sim: Sim) -> None:
    a = sim.new_trader()
    for price, qty in [(50_000, 40), (49_900, 40), (49_800, 40), (49_100, 40)]:
        sim.place(a, P, "Buy", price, qty * FUEL)
    for price, qty in [(50_100, 40), (50_200, 20), (51_000, 40)]:
        sim.place(a, P, "Sell", price, qty * FUEL)


def test_depth_buckets(sim: Sim) -> None:
    _book(sim)
    mid = str(sim.by_pair[P].market_id)
    exact = replies.parse_depth(sim.send(http.get_depth(BASE, mid, 1)))  # wire precision 10
    assert [(lv.price, lv.quantity // FUEL) for lv in exact.bids] == [
        (50_000, 40),
        (49_900, 40),
        (49_800, 40),
        (49_100, 40),
    ]
    assert [(lv.price, lv.quantity // FUEL) for lv in exact.asks] == [
        (50_100, 40),
        (50_200, 20),
        (51_000, 40),
    ]
    coarse = replies.parse_depth(sim.send(http.get_depth(BASE, mid, 3)))  # 0.001 buckets
    assert [(lv.price, lv.quantity // FUEL) for lv in coarse.bids] == [(50_000, 40), (49_000, 120)]
    assert [(lv.price, lv.quantity // FUEL) for lv in coarse.asks] == [(51_000, 100)]
    limited = replies.parse_depth(sim.send(http.get_depth(BASE, mid, 1, limit=2)))
    assert len(limited.bids) == 2 and len(limited.asks) == 2
    raw = body(sim.get("/v1/depth", market_id=mid, precision=1000))
    assert raw["market_id"] == mid and raw["orders"]["sells"][0] == {
        "price": "51000",
        "quantity": str(100 * FUEL),
    }
    assert error_code(sim.get("/v1/depth", market_id=mid, precision=30)) == 1001
    assert error_code(sim.get("/v1/depth", market_id="0x" + "66" * 32)) == 2000
    assert error_code(sim.get("/v1/depth")) == 1001


def _trades(sim: Sim, n: int) -> tuple:
    maker, taker = sim.new_trader(), sim.new_trader()
    for i in range(n):
        sim.place(maker, P, "Sell", 50_000 + 100 * i, 40 * FUEL)
        sim.clock.advance(1)
        sim.place(taker, P, "Buy", 50_000 + 100 * i, 40 * FUEL)
        sim.clock.advance(1)
    return maker, taker


def test_trades_and_pagination(sim: Sim) -> None:
    maker, taker = _trades(sim, 6)
    mid = str(sim.by_pair[P].market_id)
    newest = replies.parse_trades(sim.send(http.get_trades(BASE, mid, count=4)))
    assert [t.price for t in newest] == [50_500, 50_400, 50_300, 50_200]
    assert all(t.side == "Sell" for t in newest)
    last = newest[-1]
    page = replies.parse_trades(
        sim.send(
            http.get_trades(
                BASE, mid, count=4, start_timestamp=last.timestamp, start_trade_id=last.trade_id
            )
        )
    )
    assert [t.price for t in page] == [50_100, 50_000]
    asc = replies.parse_trades(sim.send(http.get_trades(BASE, mid, count=3, direction="asc")))
    assert [t.price for t in asc] == [50_000, 50_100, 50_200]
    assert asc[1].timestamp - asc[0].timestamp == 2000  # milliseconds
    mine = replies.parse_trades(
        sim.send(http.get_trades_by_account(BASE, mid, taker.trade_account_id, count=50))
    )
    assert len(mine) == 6 and {t.trader_side for t in mine} == {"taker"}
    theirs = replies.parse_trades(
        sim.send(http.get_trades_by_account(BASE, mid, maker.trade_account_id, count=2))
    )
    assert {t.trader_side for t in theirs} == {"maker"}
    assert error_code(sim.get("/v1/trades", market_id=mid, count=51)) == 5001
    assert error_code(sim.get("/v1/trades", market_id=mid, count=0)) == 5001
    assert error_code(sim.get("/v1/trades", market_id=mid, direction="up")) == 1001
    assert error_code(sim.get("/v1/trades", market_id=mid, start_trade_id="0x" + "77" * 32)) == 7002


def test_orders_and_order(sim: Sim) -> None:
    a = sim.new_trader()
    ids = []
    for i in range(5):
        ids.append(sim.place(a, P, "Buy", 40_000 + 100 * i, 40 * FUEL)["order_id"])
        sim.clock.advance(1)
    body(sim.submit(a, P, sim.cancel(P, ids[1])))
    mid = str(sim.by_pair[P].market_id)
    reply = m.decode(
        sim.send(http.get_orders(BASE, mid, a.trade_account_id, count=200)).body, m.OrdersResponse
    )
    assert [o.order_id for o in reply.orders] == ids[::-1]
    assert reply.identity is not None and reply.identity.value == a.trade_account_id
    open_ = m.decode(
        sim.send(http.get_orders(BASE, mid, a.trade_account_id, is_open=True)).body,
        m.OrdersResponse,
    )
    assert [o.order_id for o in open_.orders] == [ids[4], ids[3], ids[2], ids[0]]
    closed = m.decode(
        sim.send(http.get_orders(BASE, mid, a.trade_account_id, is_open=False)).body,
        m.OrdersResponse,
    )
    assert [o.order_id for o in closed.orders] == [ids[1]] and closed.orders[0].cancel
    first = reply.orders[1]
    page = m.decode(
        sim.send(
            http.get_orders(
                BASE,
                mid,
                a.trade_account_id,
                count=2,
                start_timestamp=first.timestamp,
                start_order_id=first.order_id,
            )
        ).body,
        m.OrdersResponse,
    )
    assert [o.order_id for o in page.orders] == [ids[2], ids[1]]
    asc = m.decode(
        sim.send(http.get_orders(BASE, mid, a.trade_account_id, count=2, direction="asc")).body,
        m.OrdersResponse,
    )
    assert [o.order_id for o in asc.orders] == ids[:2]
    one = replies.parse_order(sim.send(http.get_order(BASE, mid, ids[0])))
    assert one.order_id == ids[0] and one.price == 40_000 and one.is_open and one.side == "Buy"
    assert one.account is not None and one.account.value == a.trade_account_id
    assert error_code(sim.send(http.get_order(BASE, mid, "0x" + "88" * 32))) == 3000
    assert (
        error_code(sim.get("/v1/orders", market_id=mid, contract=a.trade_account_id, count=201))
        == 7002
    )
    assert error_code(sim.get("/v1/orders", market_id=mid)) == 1001
    assert (
        error_code(
            sim.get("/v1/orders", market_id=mid, contract=a.trade_account_id, is_open="maybe")
        )
        == 1001
    )
    nobody = body(sim.get("/v1/orders", market_id=mid, contract="0x" + "99" * 32))
    assert nobody["orders"] == []


def test_bars(sim: Sim) -> None:
    _trades(sim, 4)  # trades at t0+1, t0+3, t0+5, t0+7 seconds
    mid = str(sim.by_pair[P].market_id)
    t0 = int(sim.clock.now * 1000) - 8000
    request = http.get_bars(BASE, mid, t0 - t0 % 60_000, t0 + 60_000, "1m")
    bars = replies.parse_bars(sim.send(request))
    assert len(bars) == 1
    bar = bars[0]
    assert (bar.open, bar.high, bar.low, bar.close) == (50_000, 50_300, 50_000, 50_300)
    assert bar.buy_volume == 4 * 40 * FUEL and bar.sell_volume == 0
    assert bar.timestamp % 60_000 == 0
    secs = replies.parse_bars(sim.send(http.get_bars(BASE, mid, t0, t0 + 10_000, "1s")))
    assert [b.close for b in secs] == [50_000, 50_100, 50_200, 50_300]
    assert (
        error_code(sim.get("/v1/bars", market_id=mid, **{"from": 10, "to": 5, "resolution": "1m"}))
        == 7001
    )
    assert (
        error_code(
            sim.get("/v1/bars", market_id=mid, **{"from": 0, "to": 10**10, "resolution": "1s"})
        )
        == 7001
    )
    assert (
        error_code(sim.get("/v1/bars", market_id=mid, **{"from": 0, "to": 5, "resolution": "7m"}))
        == 1001
    )


def test_ticker_and_summary(sim: Sim) -> None:
    mid = str(sim.by_pair[P].market_id)
    empty = replies.parse_ticker(sim.send(http.get_market_ticker(BASE, mid)))
    assert empty.last is None and empty.bid is None and empty.high is None
    _trades(sim, 3)
    a = sim.new_trader()
    sim.place(a, P, "Buy", 45_000, 40 * FUEL)
    sim.place(a, P, "Sell", 55_000, 20 * FUEL)
    tick = replies.parse_ticker(sim.send(http.get_market_ticker(BASE, mid)))
    assert (tick.open, tick.close, tick.last, tick.high, tick.low) == (
        50_000,
        50_200,
        50_200,
        50_200,
        50_000,
    )
    assert (tick.bid, tick.bid_volume, tick.ask, tick.ask_volume) == (
        45_000,
        40 * FUEL,
        55_000,
        20 * FUEL,
    )
    assert tick.change == 200 and tick.percentage == Decimal("0.40")
    assert tick.base_volume == 120 * FUEL and tick.quote_volume == 2_000_000 + 2_004_000 + 2_008_000
    summary = replies.decode_summary(sim.send(http.get_market_summary(BASE, mid)).body)
    assert summary.last_price == 50_200 and summary.volume_24h == 120 * FUEL
    sim.clock.advance(86_401)
    later = replies.parse_ticker(sim.send(http.get_market_ticker(BASE, mid)))
    assert later.last == 50_200 and later.open is None and later.base_volume == 0


def test_ticker_answers_the_live_shape_with_both_names(sim: Sim) -> None:
    """A one-item list (PROTOCOL_V05 §4); the live names and PROTOCOL.md's in one object."""
    mid = str(sim.by_pair[P].market_id)
    _trades(sim, 3)
    a = sim.new_trader()
    sim.place(a, P, "Buy", 45_000, 40 * FUEL)
    sim.place(a, P, "Sell", 55_000, 20 * FUEL)
    raw = body(sim.get("/v1/markets/ticker", market_id=mid))
    assert isinstance(raw, list) and len(raw) == 1
    [entry] = raw
    assert entry["market_id"] == mid
    live = {k: entry[k] for k in ("last_price", "best_bid", "best_ask")}
    assert live == {"last_price": "50200", "best_bid": "45000", "best_ask": "55000"}
    assert (entry["last"], entry["bid"], entry["ask"]) == ("50200", "45000", "55000")
    assert entry["base_volume"] == str(120 * FUEL) and entry["quote_volume"] == "6012000"
    assert {"high", "low", "open", "close", "bid_volume", "ask_volume", "timestamp"} <= set(entry)
    # the official reader (o2-sdk 0.5.0 takes data[0]) and ours read the same values
    from o2_sdk.models import MarketTicker as OfficialTicker

    official = OfficialTicker.from_dict({"market_id": mid, **entry})
    assert official.data["last_price"] == "50200" and official.data["best_bid"] == "45000"
    ours = replies.parse_ticker(sim.send(http.get_market_ticker(BASE, mid)))
    assert (ours.last_price, ours.best_bid, ours.best_ask) == (50_200, 45_000, 55_000)
    # an empty market: nulls, zero volumes
    [quiet] = body(
        sim.get("/v1/markets/ticker", market_id=str(sim.by_pair["fETH/fUSDC"].market_id))
    )
    assert quiet["last_price"] is None and quiet["best_bid"] is None and quiet["base_volume"] == "0"


def test_aggregated(sim: Sim) -> None:
    _trades(sim, 2)
    a = sim.new_trader()
    sim.place(a, P, "Buy", 45_000, 40 * FUEL)
    assets = body(sim.send(http.get_aggregated(BASE, "assets")))
    assert {x["symbol"] for x in assets} == {"ETH", "fFUEL", "fETH", "fUSDC"}
    book = body(
        sim.send(
            http.get_aggregated(BASE, "orderbook", market_pair="fFUEL_fUSDC", depth=10, level=2)
        )
    )
    assert book["bids"] == [["0.045", "40"]] and book["asks"] == []
    assert (
        body(sim.send(http.get_aggregated(BASE, "orderbook", market_pair="FUEL_USDC")))["ticker_id"]
        == "fFUEL_fUSDC"
    )
    trades = body(sim.send(http.get_aggregated(BASE, "trades", market_pair="fFUEL_fUSDC")))
    assert [t["price"] for t in trades] == ["50100", "50000"]
    summary = body(sim.send(http.get_aggregated(BASE, "summary")))
    assert summary[0]["last_price"] == "0.0501" and summary[0]["base_volume"] == "80"
    ticker = body(sim.send(http.get_aggregated(BASE, "ticker")))
    assert ticker[0]["ticker_id"] == "fFUEL_fUSDC" and ticker[0]["bid"] == "0.045"
    assert (
        error_code(sim.send(http.get_aggregated(BASE, "orderbook", market_pair="NOPE_X"))) == 2000
    )


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [("GET", "/v1/nope", 1001), ("DELETE", "/v1/markets", 1001), ("GET", "/v1/balance", 1001)],
)
def test_unknown_routes(sim: Sim, method: str, path: str, code: int) -> None:
    assert error_code(sim.send(http.Request(method, BASE + path))) == code


def test_balance_errors(sim: Sim) -> None:
    usdc = sim.asset("fUSDC")
    assert error_code(sim.get("/v1/balance", asset_id=usdc, contract="0x" + "12" * 32)) == 4002
    a = sim.new_trader()
    by_owner = body(sim.get("/v1/balance", asset_id=usdc, address=a.owner.b256_address))
    assert by_owner == body(sim.get("/v1/balance", asset_id=usdc, contract=a.trade_account_id))
    reply = sim.get("/v1/balance", asset_id=usdc, contract=a.trade_account_id)
    bal = replies.parse(reply, m.Balance)
    assert bal.available == sim.ex.config.asset("fUSDC").faucet_amount
