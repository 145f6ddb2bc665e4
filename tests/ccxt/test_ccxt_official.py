"""The official adapter's recorded expectations, checked against ours.

Two sources (o2-sdk 0.5.0): the shared parser fixtures of o2-exchange/sdks
(``fixtures/ccxt/raw`` -> ``expected``; their values are inlined below) and the unit
tests of ``tests/ccxt/test_exchange.py``. The fixtures' FUEL/USDC market (same ids,
decimals and precisions) is set up in a local exchange, so the unit expectations run
end to end instead of against mocks.

Where the official raw input has another shape than our client's models (its ticker is
a dict of human values, its bars carry ``time``/``volume``), the same expected output is
checked from the equivalent chain-integer input.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from typing import Any

import ccxt.async_support as ccxt
import pytest
from ccxt_checks import check_market, check_order, check_order_book, check_trade
from conftest import LOCAL

from o2_ccxt import (
    O2CCXT,
    ArgumentsRequired,
    BadRequest,
    InsufficientFunds,
    InvalidOrder,
    O2AmbiguousSubmission,
)
from o2_core import O2Client, OrderSide, OrderType, SessionInfo
from o2_core.models import (
    Balance,
    Bar,
    DepthLevel,
    DepthSnapshot,
    MarketActionGroup,
    MarketTicker,
    Order,
    SettleBalanceRequestAction,
    Trade,
    decode,
)
from o2_core.sim import AssetConfig, Exchange, MarketConfig, default_config
from o2_transport_memory import MemoryTransport

pytestmark = pytest.mark.anyio

SYMBOL = "FUEL/USDC"
MARKET_ID = "0x" + "33" * 32
FUEL_ID, USDC_ID = "0x" + "44" * 32, "0x" + "55" * 32

# fixtures/ccxt/raw/*.json (the market is the simulator's below)
RAW_TRADES = [
    {"trade_id": "trade-public", "side": "buy", "total": "3000000", "quantity": "2000000000",
     "price": "1500000", "timestamp": 1700000000000},
    {"trade_id": "trade-maker", "side": "buy", "trader_side": "maker", "total": "3000000",
     "quantity": "2000000000", "price": "1500000", "timestamp": 1700000001000},
    {"trade_id": "trade-taker", "side": "buy", "trader_side": "taker", "total": "3000000",
     "quantity": "2000000000", "price": "1500000", "timestamp": 1700000002000},
    {"trade_id": "trade-self", "side": "buy", "trader_side": "both", "total": "3000000",
     "quantity": "2000000000", "price": "1500000", "timestamp": 1700000003000},
]
RAW_BOOK = {"bids": [{"price": "1500000", "quantity": "2000000000"}],
            "asks": [{"price": "1600000", "quantity": "3000000000"}]}
RAW_ORDER = {
    "order_id": "0x" + "66" * 32, "side": "buy", "order_type": "PostOnly",
    "quantity": "2000000000", "quantity_fill": "500000000", "price": "1500000",
    "price_fill": "1400000", "timestamp": 1700000000, "close": False,
    "partially_filled": True, "cancel": False, "market_id": MARKET_ID,
}
RAW_BALANCES = {"USDC": {"order_books": {}, "total_locked": "2000000",
                         "total_unlocked": "8000000", "trading_account_balance": "5000000"}}

# fixtures/ccxt/expected/*.json
EXPECTED_MARKET = {
    "id": MARKET_ID, "symbol": SYMBOL, "base": "FUEL", "quote": "USDC", "baseId": FUEL_ID,
    "quoteId": USDC_ID, "type": "spot", "spot": True, "active": True,
    "precision": {"amount": 4, "price": 3},
}
EXPECTED_TRADES = [
    {"id": "trade-public", "side": "sell", "price": 1.5, "amount": 2, "cost": 3},
    {"id": "trade-maker", "side": "buy", "price": 1.5, "amount": 2, "cost": 3},
    {"id": "trade-taker", "side": "sell", "price": 1.5, "amount": 2, "cost": 3},
    {"id": "trade-self", "side": None, "price": 1.5, "amount": 2, "cost": 3},
]
EXPECTED_BOOK = {"symbol": SYMBOL, "bids": [[1.5, 2]], "asks": [[1.6, 3]], "timestamp": None,
                 "datetime": None, "nonce": None}
EXPECTED_TICKER = {"symbol": SYMBOL, "last": 1.5, "close": 1.5, "bid": 1.4, "ask": 1.6,
                   "baseVolume": 100, "quoteVolume": 150}
EXPECTED_OHLCV = [[1700000000000, 1, 2, 0.5, 1.5, 9]]
EXPECTED_ORDER = {
    "id": "0x" + "66" * 32, "symbol": SYMBOL, "type": "limit", "timeInForce": "PO",
    "postOnly": True, "side": "buy", "price": 1.5, "amount": 2, "filled": 0.5,
    "remaining": 1.5, "average": 1.4, "cost": 0.7, "status": "open",
    "timestamp": 1700000000000,
}


def fixture_exchange() -> Exchange:
    """A local exchange whose only market is the fixtures' FUEL/USDC."""
    base = default_config(seed=9)
    return Exchange(
        dataclasses.replace(
            base,
            assets=[
                base.assets[0],  # the chain's base asset
                AssetConfig("FUEL", 9, FUEL_ID, 1_000 * 10**9),
                AssetConfig("USDC", 6, USDC_ID, 10_000 * 10**6),
            ],
            markets=[MarketConfig("FUEL", "USDC", "0x" + "22" * 32, MARKET_ID, 4, 3, 1_000_000)],
        ),
        clock=time.time,
    )


@pytest.fixture
async def official() -> Any:
    sim = fixture_exchange()
    made: list[O2CCXT] = []

    def make() -> O2CCXT:
        client = O2Client(custom_config=LOCAL, transport=MemoryTransport(sim))
        exchange = O2CCXT({"client": client, "signer": client.generate_wallet()})
        made.append(exchange)
        return exchange

    yield sim, make
    for exchange in made:
        await exchange.close()


def projection(actual: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    return {key: actual[key] for key in expected}


async def test_parsers_reproduce_the_shared_fixtures(official: Any) -> None:
    _, make = official
    exchange = make()
    market = (await exchange.load_markets())[SYMBOL]
    assert projection(market, EXPECTED_MARKET) == EXPECTED_MARKET
    assert market["limits"]["cost"]["min"] == 1  # "minimumCost"
    check_market(exchange, market)

    trades = [decode(json.dumps(t), Trade) for t in RAW_TRADES]
    parsed = [
        exchange.parse_trade(t, market, t.trader_side if index else None)
        for index, t in enumerate(trades)
    ]
    projected = [projection(p, e) for p, e in zip(parsed, EXPECTED_TRADES, strict=True)]
    assert projected == EXPECTED_TRADES
    assert parsed[3]["info"]["trader_side"] == "both"
    for index, trade in enumerate(parsed[:3]):
        check_trade(exchange, "fetchTrades", trade, SYMBOL, public=index == 0)
    json.dumps(parsed)

    depth = DepthSnapshot(  # our model's wire names are buys/sells; built as the official test
        bids=tuple(decode(json.dumps(lv), DepthLevel) for lv in RAW_BOOK["bids"]),
        asks=tuple(decode(json.dumps(lv), DepthLevel) for lv in RAW_BOOK["asks"]),
    )
    book = exchange.parse_depth(depth, market)
    assert book == EXPECTED_BOOK
    book["timestamp"], book["datetime"] = 1_700_000_000_000, "2023-11-14T22:13:20.000Z"
    check_order_book(exchange, "fetchOrderBook", book, SYMBOL)  # with the receipt time we add

    order = exchange.parse_order(decode(json.dumps(RAW_ORDER), Order), market)
    assert projection(order, EXPECTED_ORDER) == EXPECTED_ORDER
    check_order(exchange, "fetchOrder", order, SYMBOL)

    balances = {k: decode(json.dumps(v), Balance) for k, v in RAW_BALANCES.items()}
    assert exchange.parse_balance(balances)["USDC"] == {"free": 8, "used": 2, "total": 10}
    json.dumps({"market": market, "book": book, "order": order})


async def test_ticker_and_candles_give_the_fixture_values_from_chain_integers(
    official: Any,
) -> None:
    _, make = official
    exchange = make()
    market = (await exchange.load_markets())[SYMBOL]
    # our client's ticker is in chain integers: last 1.5, bid 1.4, ask 1.6 (6 decimals),
    # base volume 100 (9 decimals), quote volume 150 (6 decimals)
    ticker = exchange.parse_ticker(
        MarketTicker(last=1_500_000, bid=1_400_000, ask=1_600_000,
                     base_volume=100 * 10**9, quote_volume=150 * 10**6),
        market,
        timestamp=1_700_000_000_000,
    )
    assert projection(ticker, EXPECTED_TICKER) == EXPECTED_TICKER
    bar = Bar(open=1_000_000, high=2_000_000, low=500_000, close=1_500_000,
              buy_volume=4 * 10**9, sell_volume=5 * 10**9, timestamp=1_700_000_000)
    assert [exchange.parse_ohlcv(bar, market)] == EXPECTED_OHLCV


async def test_the_official_unit_expectations_hold_end_to_end(official: Any) -> None:
    sim, make = official
    exchange = make()
    markets = await exchange.load_markets()
    assert markets[SYMBOL]["limits"]["cost"]["min"] == 1
    assert exchange.amount_to_precision(SYMBOL, 1.23456) == "1.2345"
    assert exchange.price_to_precision(SYMBOL, 1.23456) == "1.235"

    await exchange.setup_account()
    await exchange.create_session([SYMBOL])
    maker = make()
    await maker.setup_account()
    await maker.create_session([SYMBOL])
    await maker.create_order(SYMBOL, "limit", "sell", 3, 1.55)
    await maker.create_order(SYMBOL, "limit", "buy", 3, 1.45)

    depth_calls: list[tuple[Any, ...]] = []
    order_calls: list[tuple[Any, ...]] = []
    client = exchange.o2_client
    get_depth, create_order = client.get_depth, client.create_order

    async def spy_depth(*args: Any) -> Any:
        depth_calls.append(args)
        return await get_depth(*args)

    async def spy_create(*args: Any, **kwargs: Any) -> Any:
        order_calls.append((*args[1:4], kwargs["order_type"], kwargs["settle_first"],
                            kwargs["collect_orders"]))
        return await create_order(*args, **kwargs)

    client.get_depth = spy_depth  # type: ignore[method-assign]
    client.create_order = spy_create  # type: ignore[method-assign]

    book = await exchange.fetch_order_book(SYMBOL, 10, {"precision": 2})
    assert [(c[1], c[2]) for c in depth_calls] == [(2, 10)]
    assert str(depth_calls[0][0].market_id) == MARKET_ID
    assert book["bids"] == [[1.45, 3.0]] and book["asks"] == [[1.55, 3.0]]
    with pytest.raises(BadRequest):
        await exchange.fetch_order_book(SYMBOL, params={"precision": 19})

    placed = await exchange.create_order(
        SYMBOL, "limit", "buy", 2, 1.4, {"orderType": "PostOnly", "settleFirst": False}
    )
    assert (placed["type"], placed["timeInForce"]) == ("limit", "PO")
    await exchange.create_order(SYMBOL, "limit", "buy", 2.123456, 1.23456)
    bought = await exchange.create_order(
        SYMBOL, "market", "buy", 2.123456, params={"maxPrice": 1.6009, "minPrice": 1.4}
    )
    sold = await exchange.create_market_order(
        SYMBOL, "sell", 2.123456, None, {"maxPrice": 1.6, "minPrice": 1.4001}
    )
    assert order_calls == [
        (OrderSide.BUY, "1.4", "2", OrderType.POST_ONLY, False, True),
        (OrderSide.BUY, "1.235", "2.1234", OrderType.SPOT, True, True),
        (OrderSide.BUY, "1.6", "2.1234", OrderType.FILL_OR_KILL, True, True),
        (OrderSide.SELL, "1.401", "2.1234", OrderType.FILL_OR_KILL, True, True),
    ]
    assert bought["type"] == sold["type"] == "market"
    assert bought["average"] == 1.55 and sold["average"] == 1.45

    for params, price, error in (
        ({"maxPrice": 1.6}, None, ArgumentsRequired),
        ({"maxPrice": 1.4, "minPrice": 1.6}, None, InvalidOrder),
        ({"maxPrice": 1.6, "minPrice": 1.4}, 1.7, InvalidOrder),
        ({"maxPrice": 1.6, "minPrice": 1.4}, 1.3, InvalidOrder),
    ):
        with pytest.raises(error):
            await exchange.create_order(SYMBOL, "market", "buy", 2, price, params)
    assert len(order_calls) == 4

    # a lost submission is ambiguous and is not sent again
    before = len(sim.orders)
    sim.faults.drop("/v1/session/actions", after=True)
    with pytest.raises(O2AmbiguousSubmission) as lost:
        await exchange.create_order(SYMBOL, "limit", "buy", 2, 1.3)
    assert type(lost.value.original_error).__name__ == "UnknownSubmissionOutcome"
    assert len(sim.orders) == before + 1  # executed once, never re-sent

    # a garbled reply to a signed submission is ambiguous too
    sim.faults.malformed("/v1/session/actions")
    with pytest.raises(O2AmbiguousSubmission):
        await exchange.create_order(SYMBOL, "limit", "buy", 2, 1.3)
    assert len(sim.orders) == before + 2

    # a mined revert next to a tx_id is definitive, not ambiguous
    sim.faults.status(
        "/v1/session/actions", 200,
        body=json.dumps({"tx_id": "0x" + "88" * 32, "message": "transaction reverted",
                         "reason": "OrderCreationError::NotEnoughBalance",
                         "receipts": []}).encode(),
    )
    with pytest.raises(InsufficientFunds):
        await exchange.create_order(SYMBOL, "limit", "buy", 2, 1.3)
    assert len(sim.orders) == before + 2
    assert isinstance(exchange, ccxt.Exchange)


def test_importing_the_core_and_transports_does_not_load_ccxt() -> None:
    script = """
import importlib.abc
import sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname.split('.')[0] in ('ccxt', 'o2_ccxt'):
            raise ModuleNotFoundError('blocked ' + fullname)
        return None
sys.meta_path.insert(0, Block())
import o2_core, o2_core.client, o2_core.sim
import o2_transport_memory, o2_transport_httpx, o2_transport_aiohttp, o2_sim_server
assert not any(n.split('.')[0] in ('ccxt', 'o2_ccxt') for n in sys.modules)
"""
    subprocess.run([sys.executable, "-c", script], check=True, cwd=_root())


def _root() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parents[2])



async def test_the_official_session_restore_steps(make_exchange: Any) -> None:
    """The steps of o2-sdk's test_adapter_owned_account_session_restore_settle_and_batch
    (tests/ccxt/test_integration.py). Its last step makes the expired session with
    ``dataclasses.replace(session, session_expiry=...)``, which our SessionInfo (not a
    dataclass) refuses; here that copy is built with ``SessionInfo(...)``."""
    exchange = make_exchange()
    setup = await exchange.setup_account()
    markets = await exchange.fetch_markets()
    session = await exchange.create_session([markets[0]["symbol"]], 1)
    assert session.trade_account_id == setup.trade_account_id
    assert exchange.o2_client.session is session
    assert (await exchange.fetch_balance())["total"] is not None
    assert (await exchange.settle_balance(markets[0]["symbol"])).success is True
    batch = await exchange.batch_actions(
        [MarketActionGroup(market=markets[0]["symbol"], actions=[SettleBalanceRequestAction()])]
    )
    assert batch.success is True

    restored = make_exchange({"signer": exchange._signer()})
    restored.restore_session(session)
    assert restored.o2_client.session is session
    assert (await restored.settle_balance(markets[0]["symbol"])).success is True
    with pytest.raises(ccxt.ExchangeError):  # a market outside the session
        await restored.settle_balance(markets[1]["symbol"])
    expired = SessionInfo(
        session.session_id, session.trade_account_id, session.contract_ids,
        str(int(time.time()) - 1), session.session_private_key, session.owner_address,
        session.nonce, session.nonce_manager,
    )
    restored.restore_session(expired)
    with pytest.raises(ccxt.AuthenticationError):
        await restored.settle_balance(markets[0]["symbol"])
