"""o2-sdk's standalone ccxt parsers under o2_core.ccxt.parsers, on the shared fixtures.

The fixtures are the official SDKs' (tests/compat/fixtures/ccxt, raw -> expected). Where
their raw input is in human units (the ticker, the bar), the same expected output is
checked from the chain integers our client's models hold; that the official raw ticker
is refused is checked too (a deliberate difference, see o2_ccxt/parsers.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock

import pytest

from o2_core import O2Client
from o2_core.ccxt import O2CCXT
from o2_core.ccxt.parsers import (
    CCXT_TIMEFRAMES,
    json_compatible,
    native_market,
    number_or_none,
    parse_balance,
    parse_market,
    parse_ohlcv,
    parse_order,
    parse_order_book,
    parse_ticker,
    parse_trade,
    timestamp_ms,
)
from o2_core.errors import ProtocolError
from o2_core.models import Balance, Bar, DepthLevel, DepthSnapshot, Market, MarketTicker, Order
from o2_core.models import Trade as O2Trade

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).resolve().parents[1] / "compat" / "fixtures" / "ccxt"


def fixture(path: str) -> Any:
    return json.loads((FIXTURES / path).read_text())


def projection(actual: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    return {key: actual[key] for key in expected}


@pytest.fixture
def native() -> Market:
    return Market.from_dict(fixture("raw/markets.json")[0])


def test_a_market(native: Market) -> None:
    market = parse_market(native)
    expected = fixture("expected/markets.json")[0]
    assert market["limits"]["cost"]["min"] == expected.pop("minimumCost") == 1
    assert projection(market, expected) == expected
    assert native_market(market) == native  # rebuilt from its info
    assert native_market({"info": native}) is native
    json.dumps(market)


def test_public_and_account_trades(native: Market) -> None:
    market = parse_market(native)
    trades = [O2Trade.from_dict(t) for t in fixture("raw/trades.json")]
    parsed = [parse_trade(t, market, account_relative=i > 0) for i, t in enumerate(trades)]
    expected = fixture("expected/trades.json")
    assert [projection(p, e) for p, e in zip(parsed, expected, strict=True)] == expected
    assert [p["takerOrMaker"] for p in parsed] == [None, "maker", "taker", None]
    assert parsed[3]["info"]["trader_side"] == "both"
    # account_relative without a role, or with one O2 does not send: the public view
    odd = O2Trade.from_dict({**fixture("raw/trades.json")[1], "trader_side": "observer"})
    assert parse_trade(odd, market, account_relative=True)["side"] == "sell"
    json.dumps(parsed)


def test_book_balance_and_order(native: Market) -> None:
    market = parse_market(native)
    raw = fixture("raw/orderbook.json")
    depth = DepthSnapshot(bids=[DepthLevel.from_dict(x) for x in raw["bids"]],
                          asks=[DepthLevel.from_dict(x) for x in raw["asks"]])
    assert parse_order_book(depth, market) == fixture("expected/orderbook.json")
    book = parse_order_book(depth, market, 1_700_000_000_000)
    assert book["datetime"] == "2023-11-14T22:13:20.000Z"

    balances = {k: Balance.from_dict(v) for k, v in fixture("raw/balances.json").items()}
    parsed = parse_balance(balances, {"USDC": 6})
    assert parsed["USDC"] == fixture("expected/balances.json")["USDC"]
    assert parsed["free"] == {"USDC": 8} and parsed["total"] == {"USDC": 10}
    assert parse_balance(balances, {})["USDC"]["free"] == 8_000_000  # unknown code: 0 dp

    orders = [Order.from_dict(o) for o in fixture("raw/orders.json")]
    expected = fixture("expected/orders.json")
    parsed_orders = [parse_order(o, market) for o in orders]
    assert [projection(p, e) for p, e in zip(parsed_orders, expected, strict=True)] == expected
    json.dumps({"book": book, "balance": parsed, "orders": parsed_orders})


def test_ticker_and_candles_from_chain_integers(native: Market) -> None:
    market = parse_market(native)
    expected = fixture("expected/ticker.json")
    # the fixture's values (last 1.5, bid 1.4, ask 1.6, volumes 100 and 150) as chain ints
    raw = {"market_id": str(native.market_id), "last_price": "1500000", "best_bid": "1400000",
           "best_ask": "1600000", "base_volume": str(100 * 10**9),
           "quote_volume": str(150 * 10**6)}
    for given in (raw, MarketTicker(raw)):
        ticker = parse_ticker(given, market, 1_700_000_000_000)
        assert projection(ticker, expected) == expected
        assert ticker["timestamp"] == 1_700_000_000_000
    with pytest.raises(ProtocolError, match="not an integer"):  # human decimals: refused
        parse_ticker(fixture("raw/ticker.json"), market, 1_700_000_000_000)

    bar = Bar(open=1_000_000, high=2_000_000, low=500_000, close=1_500_000,
              buy_volume=4 * 10**9, sell_volume=5 * 10**9, timestamp=1_700_000_000)
    assert [parse_ohlcv(bar, market)] == fixture("expected/ohlcv.json")
    # without the market (o2-sdk's call): the bar's own numbers
    assert parse_ohlcv(bar) == [1_700_000_000_000, 1e6, 2e6, 5e5, 1.5e6, 9e9]


async def test_the_parsers_and_the_exchange_build_the_same_structures(native: Market) -> None:
    client = O2Client()
    client.get_markets = AsyncMock(return_value=[native])  # type: ignore[method-assign]
    exchange = O2CCXT({"client": client})
    try:
        market = (await exchange.load_markets())["FUEL/USDC"]
        assert market == parse_market(native)
        order = Order.from_dict(fixture("raw/orders.json")[0])
        assert exchange.parse_order(order, market) == parse_order(order, market)
        trade = O2Trade.from_dict(fixture("raw/trades.json")[2])
        assert exchange.parse_trade(trade, market, "taker") == parse_trade(trade, market, True)
    finally:
        await exchange.close()


def test_the_helpers() -> None:
    assert CCXT_TIMEFRAMES["1h"] == 3_600_000 and set(CCXT_TIMEFRAMES) == {
        "1m", "5m", "15m", "30m", "1h", "4h", "1d"}
    assert [timestamp_ms(v) for v in (1_700_000_000, 1_700_000_000_123, "1700000000",
                                      "2023-11-14T22:13:20Z", "2023-11-14T22:13:20",
                                      1.7e9)] == [1_700_000_000_000, 1_700_000_000_123,
                                                  1_700_000_000_000, 1_700_000_000_000,
                                                  1_700_000_000_000, 1_700_000_000_000]
    assert [timestamp_ms(v) for v in (None, "", 0, "soon", True, [1])] == [None] * 6
    assert [number_or_none(v) for v in ("1.5", 2, "1e3", None, "", "nan", "x", True)] == [
        1.5, 2.0, 1000.0, None, None, None, None, None]
    value = json_compatible({"order": Order.from_dict(fixture("raw/orders.json")[0])})
    assert value["order"]["price"] == 1_500_000 and json.dumps(value)
