"""O2CCXT's REST methods against the local exchange (in memory): values, ccxt's own
structure validators, and the errors each method raises."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt
import pytest
from ccxt_checks import (
    check_balance,
    check_market,
    check_ohlcv,
    check_order,
    check_order_book,
    check_ticker,
    check_trade,
    check_withdrawal,
)
from conftest import OTHER, PAIR, MakeExchange, trader

from o2_ccxt import (
    O2CCXT,
    ArgumentsRequired,
    AuthenticationError,
    BadRequest,
    BadSymbol,
    InsufficientFunds,
    InvalidOrder,
    NotSupported,
    OrderNotFound,
)
from o2_ccxt.errors import PermissionDenied
from o2_ccxt.parse import TIMEFRAMES
from o2_core import BoundedMarketOrder, LimitOrder, OrderSide
from o2_core.models import (
    CreateOrderRequestAction,
    MarketActionGroup,
    SettleBalanceRequestAction,
)
from o2_core.sim import Exchange

pytestmark = pytest.mark.anyio


async def book_scenario(make_exchange: MakeExchange) -> tuple[O2CCXT, O2CCXT, list[str]]:
    """A maker with two bids and two asks; a taker lifting 30, then 60 across two asks.

    Book after: bids 0.0499 x100, 0.0498 x50; asks 0.0502 x10. Trades: 30 @ 0.0501,
    50 @ 0.0501, 10 @ 0.0502 (taker buys).
    """
    maker = await trader(make_exchange())
    taker = await trader(make_exchange())
    ids = [
        (await maker.create_order(PAIR, "limit", "buy", 100, 0.0499))["id"],
        (await maker.create_order(PAIR, "limit", "buy", 50, 0.0498))["id"],
        (await maker.create_order(PAIR, "limit", "sell", 80, 0.0501))["id"],
        (await maker.create_order(PAIR, "limit", "sell", 20, 0.0502))["id"],
    ]
    await taker.create_order(PAIR, "limit", "buy", 30, 0.0501)
    await taker.create_order(PAIR, "limit", "buy", 60, 0.0502)
    return maker, taker, ids


# --- description and markets ----------------------------------------------------------


async def test_describe_has_the_official_capabilities_plus_live_streams(
    make_exchange: MakeExchange,
) -> None:
    exchange = make_exchange()
    assert isinstance(exchange, ccxt.Exchange)
    assert exchange.id == "o2" and exchange.dex is True
    assert exchange.precisionMode == ccxt.DECIMAL_PLACES
    for capability in (
        "fetchMarkets", "fetchTicker", "fetchOrderBook", "fetchL2OrderBook", "fetchTrades",
        "fetchOHLCV", "fetchBalance", "createOrder", "createMarketOrder", "cancelOrder",
        "cancelAllOrders", "fetchOrder", "fetchOrders", "fetchOpenOrders", "fetchClosedOrders",
        "fetchMyTrades", "withdraw", "watchOrderBook", "watchTrades", "watchTicker",
        "watchOrders", "watchMyTrades", "watchBalance", "unWatchOrderBook", "unWatchTrades",
        "unWatchTicker", "unWatchOrders", "unWatchMyTrades", "unWatchBalance",
    ):
        assert exchange.has[capability] is True, capability
    assert exchange.has["fetchCurrencies"] is False
    assert sorted(exchange.timeframes) == sorted(TIMEFRAMES)


async def test_markets_pass_ccxt_validation_and_carry_o2_rules(
    make_exchange: MakeExchange, sim: Exchange
) -> None:
    exchange = make_exchange()
    calls: list[int] = []
    fetch = exchange.o2_client.get_markets

    async def counted() -> Any:
        calls.append(1)
        return await fetch()

    exchange.o2_client.get_markets = counted  # type: ignore[method-assign]
    markets = await exchange.load_markets()
    await exchange.load_markets()
    assert calls == [1]  # loaded once
    assert list(markets) == [PAIR, OTHER]
    for market in markets.values():
        check_market(exchange, market)
    fuel = markets[PAIR]
    config = sim.config.markets[0]
    assert fuel["id"] == config.market_id
    assert (fuel["base"], fuel["quote"]) == ("fFUEL", "fUSDC")
    assert fuel["baseId"] == sim.config.asset("fFUEL").asset_id
    assert fuel["quoteId"] == sim.config.asset("fUSDC").asset_id
    assert fuel["precision"] == {"amount": 3, "price": 4}
    assert markets[OTHER]["precision"] == {"amount": 6, "price": 2}
    assert fuel["limits"]["cost"]["min"] == 1.0  # min_order 1_000_000 at 6 decimals
    assert (fuel["maker"], fuel["taker"]) == (0.0001, 0.0002)
    assert fuel["spot"] is True and fuel["active"] is True and fuel["contract"] is False
    assert json.loads(json.dumps(fuel["info"]))["market_id"] == config.market_id
    assert exchange.amount_to_precision(PAIR, 1.23456) == "1.234"
    assert exchange.price_to_precision(PAIR, 0.123456) == "0.1235"
    assert exchange.market_of_id(config.market_id)["symbol"] == PAIR
    assert (await exchange.fetch_ticker(config.market_id))["symbol"] == PAIR  # by id too


# --- public market data ----------------------------------------------------------------


async def test_order_book_values_precision_and_limit(make_exchange: MakeExchange) -> None:
    maker, _, _ = await book_scenario(make_exchange)
    book = await maker.fetch_order_book(PAIR)
    check_order_book(maker, "fetchOrderBook", book, PAIR)
    assert book["bids"] == [[0.0499, 100.0], [0.0498, 50.0]]
    assert book["asks"] == [[0.0502, 10.0]]
    assert book["nonce"] is None and book["symbol"] == PAIR
    assert abs(book["timestamp"] - maker.milliseconds()) < 5_000  # when it arrived
    l2 = await maker.fetch_l2_order_book(PAIR)
    assert (l2["bids"], l2["asks"]) == (book["bids"], book["asks"])
    assert (await maker.fetch_order_book(PAIR, 1))["bids"] == [[0.0499, 100.0]]

    grouped = await maker.fetch_order_book(PAIR, params={"precision": 3})
    check_order_book(maker, "fetchOrderBook", grouped, PAIR)
    native = await maker.o2_client.get_depth(PAIR, precision=3)
    assert grouped["bids"] == [[lv.price / 10**6, lv.quantity / 10**9] for lv in native.bids]
    assert grouped["bids"] != book["bids"]  # 0.0499 and 0.0498 share a 0.001 bucket
    assert (await maker.fetch_order_book(PAIR, params={"precision": "2"}))["bids"] == book["bids"]


@pytest.mark.parametrize("precision", [0, 19, 1.5, "x", True, None, -1])
async def test_order_book_precision_must_be_an_integer_level(
    make_exchange: MakeExchange, precision: Any
) -> None:
    exchange = make_exchange()
    with pytest.raises(BadRequest, match="1 to 18"):
        await exchange.fetch_order_book(PAIR, params={"precision": precision})


async def test_ticker_trades_and_candles(make_exchange: MakeExchange) -> None:
    maker, _, _ = await book_scenario(make_exchange)

    ticker = await maker.fetch_ticker(PAIR)
    check_ticker(maker, "fetchTicker", ticker, PAIR)
    assert (ticker["bid"], ticker["bidVolume"]) == (0.0499, 100.0)
    assert (ticker["ask"], ticker["askVolume"]) == (0.0502, 10.0)
    assert ticker["last"] == ticker["close"] == 0.0502
    assert (ticker["open"], ticker["high"], ticker["low"]) == (0.0501, 0.0502, 0.0501)
    assert ticker["baseVolume"] == 90.0
    assert ticker["quoteVolume"] == pytest.approx(30 * 0.0501 + 50 * 0.0501 + 10 * 0.0502)
    assert ticker["change"] == pytest.approx(0.0001)
    assert ticker["percentage"] == 0.2  # the exchange rounds to hundredths
    assert isinstance(ticker["timestamp"], int) and ticker["datetime"].endswith("Z")

    trades = await maker.fetch_trades(PAIR)
    for trade in trades:
        check_trade(maker, "fetchTrades", trade, PAIR, public=True)
    assert [(t["side"], t["price"], t["amount"]) for t in trades] == [
        ("buy", 0.0501, 30.0),
        ("buy", 0.0501, 50.0),
        ("buy", 0.0502, 10.0),
    ]  # the taker's side, oldest first
    assert [t["cost"] for t in trades] == pytest.approx([1.503, 2.505, 0.502])
    assert all(t["takerOrMaker"] is None for t in trades)
    assert (await maker.fetch_trades(PAIR, limit=1)) == trades[-1:]
    assert await maker.fetch_trades(PAIR, since=trades[-1]["timestamp"] + 1) == []

    for timeframe, duration in TIMEFRAMES.items():
        expected: dict[int, list[float]] = {}
        for trade in trades:
            start = trade["timestamp"] - trade["timestamp"] % duration
            candle = expected.setdefault(start, [trade["price"]] * 4 + [0.0])
            candle[1] = max(candle[1], trade["price"])
            candle[2] = min(candle[2], trade["price"])
            candle[3] = trade["price"]
            candle[4] += trade["amount"]
        candles = await maker.fetch_ohlcv(PAIR, timeframe)
        for candle in candles:
            check_ohlcv(maker, candle, PAIR)
        assert [c[0] for c in candles] == sorted(expected)
        for candle in candles:
            assert candle[1:] == pytest.approx(expected[candle[0]])
    first = trades[0]["timestamp"]
    assert await maker.fetch_ohlcv(PAIR, "1m", since=first - first % 60_000, limit=1) == (
        (await maker.fetch_ohlcv(PAIR, "1m"))[:1]
    )
    assert await maker.fetch_ohlcv(PAIR, "1m", params={"until": first - 120_000}) == []
    with pytest.raises(NotSupported):
        await maker.fetch_ohlcv(PAIR, "3m")


async def test_unknown_symbols_are_bad_symbols(make_exchange: MakeExchange) -> None:
    exchange = make_exchange()
    for call in (
        exchange.fetch_ticker("NOT/AMARKET"),
        exchange.fetch_order_book("NOT/AMARKET"),
        exchange.fetch_trades("NOT/AMARKET"),
        exchange.fetch_ohlcv("NOT/AMARKET"),
    ):
        with pytest.raises(BadSymbol):
            await call


# --- private reads ---------------------------------------------------------------------


async def test_balance_orders_and_my_trades(make_exchange: MakeExchange) -> None:
    maker, taker, ids = await book_scenario(make_exchange)

    balance = await maker.fetch_balance()
    check_balance(maker, "fetchBalance", balance)
    assert set(balance["total"]) == {"fFUEL", "fUSDC", "fETH"}
    assert balance["fUSDC"]["used"] == pytest.approx(100 * 0.0499 + 50 * 0.0498)
    assert balance["fFUEL"] == {"free": 999_900.0, "used": 10.0, "total": 999_910.0}
    assert balance["fETH"] == {"free": 10.0, "used": 0.0, "total": 10.0}
    native = await maker.o2_client.get_balances(maker._account())
    assert balance["fUSDC"]["free"] == native["fUSDC"].total_unlocked / 10**6
    assert balance["info"]["fUSDC"]["total_locked"] == native["fUSDC"].total_locked

    orders = await maker.fetch_orders(PAIR)
    for order in orders:
        check_order(maker, "fetchOrders", order, PAIR)
    by_id = {o["id"]: o for o in orders}
    assert set(by_id) == set(ids)
    assert [by_id[i]["status"] for i in ids] == ["open", "open", "closed", "open"]
    assert (by_id[ids[2]]["filled"], by_id[ids[2]]["remaining"]) == (80.0, 0.0)
    assert by_id[ids[2]]["average"] == 0.0501
    assert by_id[ids[2]]["cost"] == pytest.approx(80 * 0.0501)
    assert (by_id[ids[3]]["filled"], by_id[ids[3]]["remaining"]) == (10.0, 10.0)
    assert by_id[ids[0]]["side"] == "buy" and by_id[ids[3]]["side"] == "sell"
    assert all(o["type"] == "limit" and o["timeInForce"] == "GTC" for o in orders)
    assert {o["id"] for o in await maker.fetch_open_orders(PAIR)} == {ids[0], ids[1], ids[3]}
    closed = await maker.fetch_closed_orders()
    assert [o["id"] for o in closed] == [ids[2]]
    assert len(await maker.fetch_orders(PAIR, limit=2)) == 2
    fetched = await maker.fetch_order(ids[3], PAIR)
    check_order(maker, "fetchOrder", fetched, PAIR)
    assert fetched == by_id[ids[3]]

    for who, side, role in ((maker, "sell", "maker"), (taker, "buy", "taker")):
        mine = await who.fetch_my_trades(PAIR)
        for trade in mine:
            check_trade(who, "fetchMyTrades", trade, PAIR, public=False)
        assert [(t["side"], t["takerOrMaker"], t["amount"]) for t in mine] == [
            (side, role, 30.0), (side, role, 50.0), (side, role, 10.0)
        ]
    assert await taker.fetch_my_trades(OTHER) == []
    assert len(await taker.fetch_my_trades(limit=2)) == 2


async def test_a_self_trade_is_reported_once_without_a_side(make_exchange: MakeExchange) -> None:
    solo = await trader(make_exchange())
    await solo.create_order(PAIR, "limit", "sell", 40, 0.05)
    await solo.create_order(PAIR, "limit", "buy", 40, 0.05)
    [trade] = await solo.fetch_my_trades(PAIR)
    # ccxt's validator wants a side; O2's adapter contract (as the official) has none here
    check_trade(solo, "fetchMyTrades", trade, PAIR, public=False, unknown={"side": True})
    assert (trade["side"], trade["takerOrMaker"]) == (None, None)
    assert trade["info"]["trader_side"] == "both"


async def test_private_reads_need_an_account(make_exchange: MakeExchange) -> None:
    exchange = make_exchange()
    for call in (
        exchange.fetch_balance(),
        exchange.fetch_orders(PAIR),
        exchange.fetch_open_orders(),
        exchange.fetch_my_trades(),
    ):
        with pytest.raises(ArgumentsRequired, match="tradeAccountId"):
            await call
    with pytest.raises(ArgumentsRequired):
        await exchange.fetch_order("0x" + "11" * 32)
    with pytest.raises(ArgumentsRequired):
        await exchange.cancel_order("0x" + "11" * 32)


async def test_unknown_orders_are_not_found(make_exchange: MakeExchange) -> None:
    exchange = await trader(make_exchange())
    with pytest.raises(OrderNotFound) as caught:
        await exchange.fetch_order("0x" + "ff" * 32, PAIR)
    assert type(caught.value.original_error).__name__ == "OrderNotFound"
    with pytest.raises(OrderNotFound):
        await exchange.cancel_order("0x" + "ff" * 32, PAIR)


# --- orders ----------------------------------------------------------------------------


async def test_limit_orders_of_every_o2_type(make_exchange: MakeExchange, sim: Exchange) -> None:
    exchange = await trader(make_exchange())
    spot = await exchange.create_order(PAIR, "limit", "buy", 100, 0.02)
    post = await exchange.create_order(PAIR, "limit", "buy", 100, 0.021, {"orderType": "PostOnly"})
    limit = await exchange.create_order(
        PAIR, "limit", "sell", 30, 0.09,
        {"orderType": LimitOrder(price="0.09", timestamp=int(time.time()) + 3600)},
    )
    for order in (spot, post, limit):
        check_order(exchange, "createOrder", order, PAIR)
        assert order["status"] == "open" and order["filled"] == 0.0
    assert (spot["timeInForce"], spot["postOnly"]) == ("GTC", False)
    assert (post["timeInForce"], post["postOnly"]) == ("PO", True)
    assert (spot["price"], spot["amount"], spot["side"]) == (0.02, 100.0, "buy")
    assert limit["side"] == "sell" and limit["type"] == "limit"
    # ccxt precision first (price rounded, amount truncated), then exact scaling
    rounded = await exchange.create_order(PAIR, "limit", "buy", 12.3456, 0.12496)
    assert (rounded["price"], rounded["amount"]) == (0.125, 12.345)
    resting = sim.orders[rounded["id"]]
    assert (resting.price, resting.quantity) == (125_000, 12_345_000_000)

    bounded = await exchange.create_order(
        PAIR, "limit", "sell", 60, 0.019,
        {"orderType": BoundedMarketOrder(max_price="0.03", min_price="0.015")},
    )
    assert bounded["id"] in sim.orders
    market = await exchange.create_order(PAIR, "limit", "sell", 80, 0.015, {"orderType": "Market"})
    assert market["type"] == "market"


async def test_invalid_orders_fail_before_signing(make_exchange: MakeExchange) -> None:
    exchange = await trader(make_exchange())
    account = exchange._account()
    nonce = await exchange.o2_client.get_nonce(account)
    cases: list[tuple[tuple[Any, ...], type[Exception], str]] = [
        ((PAIR, "limit", "buy", 100, None), ArgumentsRequired, "limit price"),
        ((PAIR, "stop", "buy", 100, 0.02), NotSupported, "stop"),
        ((PAIR, "limit", "up", 100, 0.02), InvalidOrder, "side"),
        ((PAIR, "limit", "buy", 100, 0.02, {"orderType": "Fancy"}), InvalidOrder, "orderType"),
        ((PAIR, "limit", "buy", 100, 0.02, {"orderType": 3}), InvalidOrder, "orderType"),
        ((PAIR, "limit", "buy", 100, 0.02, {"settleFirst": "no"}), InvalidOrder, "settleFirst"),
        ((PAIR, "limit", "buy", 10, 0.02), InvalidOrder, "min_order"),
        ((PAIR, "limit", "buy", 0.0001, 0.02), InvalidOrder, "amount"),
        (("NOT/AMARKET", "limit", "buy", 100, 0.02), BadSymbol, "NOT/AMARKET"),
    ]
    for args, error, text in cases:
        with pytest.raises(error, match=text):
            await exchange.create_order(*args)
    assert await exchange.o2_client.refresh_nonce() == nonce  # nothing was submitted


async def test_rejected_orders_map_to_ccxt_classes(make_exchange: MakeExchange) -> None:
    maker = await trader(make_exchange())
    taker = await trader(make_exchange())
    await maker.create_order(PAIR, "limit", "buy", 100, 0.05)
    with pytest.raises(ccxt.OrderImmediatelyFillable) as crossing:  # an InvalidOrder
        await taker.create_order(PAIR, "limit", "sell", 50, 0.04, {"orderType": "PostOnly"})
    assert "OrderPartiallyFilled" in str(crossing.value.original_error)
    assert isinstance(crossing.value, InvalidOrder)
    with pytest.raises(ccxt.OrderNotFillable) as unfilled:  # an InvalidOrder
        await taker.create_order(PAIR, "limit", "sell", 500, 0.05, {"orderType": "FillOrKill"})
    assert isinstance(unfilled.value, InvalidOrder)
    with pytest.raises(InsufficientFunds):
        await taker.create_order(PAIR, "limit", "buy", 100, 1001.0)  # > 100k fUSDC held
    with pytest.raises(InsufficientFunds):
        await taker.create_order(OTHER, "limit", "sell", 11, 100.0)  # 10 fETH held


async def test_market_orders_are_bounded_fill_or_kill(
    make_exchange: MakeExchange, sim: Exchange
) -> None:
    maker = await trader(make_exchange())
    taker = await trader(make_exchange())
    await maker.create_order(PAIR, "limit", "sell", 100, 0.05)
    await maker.create_order(PAIR, "limit", "buy", 100, 0.04)
    sent: list[tuple[Any, ...]] = []
    create = taker.o2_client.create_order

    async def recording(*args: Any, **kwargs: Any) -> Any:
        sent.append((*args[2:4], kwargs["order_type"]))
        return await create(*args, **kwargs)

    taker.o2_client.create_order = recording  # type: ignore[method-assign]
    bought = await taker.create_order(
        PAIR, "market", "buy", 60, None, {"maxPrice": 0.050099, "minPrice": 0.01}
    )
    check_order(taker, "createOrder", bought, PAIR)
    assert bought["type"] == "market" and bought["status"] == "closed"
    assert (bought["filled"], bought["average"]) == (60.0, 0.05)
    sold = await taker.create_market_order(PAIR, "sell", 50, None,
                                           {"maxPrice": 0.06, "minPrice": 0.03991})
    assert sold["filled"] == 50.0 and sold["average"] == 0.04
    # a buy's bound rounds down to the tick, a sell's up: never looser than asked
    assert [s[:2] for s in sent] == [("0.05", "60"), ("0.04", "50")]
    assert all(s[2].value == "FillOrKill" for s in sent)
    later = await taker.fetch_order(bought["id"], PAIR)
    assert (later["type"], later["timeInForce"]) == ("limit", "FOK")  # as indexed natively

    given = await taker.create_order(
        PAIR, "market", "buy", 20, 0.0501, {"maxPrice": 0.06, "minPrice": 0.01}
    )
    assert sent[-1][:2] == ("0.0501", "20") and given["filled"] == 20.0
    with pytest.raises(ccxt.OrderNotFillable):  # only 20 left at <= 0.0501
        await taker.create_order(PAIR, "market", "buy", 500, None,
                                 {"maxPrice": 0.0501, "minPrice": 0.01})
    orders_before = len(sim.orders)
    for params, error in (
        ({"maxPrice": 0.06}, ArgumentsRequired),
        ({"minPrice": 0.01}, ArgumentsRequired),
        ({"maxPrice": -1, "minPrice": 0.01}, ArgumentsRequired),
        ({"maxPrice": "nan", "minPrice": 0.01}, ArgumentsRequired),
        ({"maxPrice": 0.01, "minPrice": 0.06}, InvalidOrder),
        ({"maxPrice": 0.00001, "minPrice": 0.000001}, InvalidOrder),
    ):
        with pytest.raises(error):
            await taker.create_order(PAIR, "market", "buy", 20, None, params)
    with pytest.raises(InvalidOrder, match="between"):
        await taker.create_order(PAIR, "market", "buy", 20, 0.07,
                                 {"maxPrice": 0.06, "minPrice": 0.01})
    assert len(sim.orders) == orders_before


async def test_cancel_one_and_all(make_exchange: MakeExchange) -> None:
    exchange = await trader(make_exchange())
    first = await exchange.create_order(PAIR, "limit", "buy", 100, 0.02)
    await exchange.create_order(PAIR, "limit", "buy", 100, 0.021)
    await exchange.create_order(OTHER, "limit", "sell", 0.5, 3000)

    canceled = await exchange.cancel_order(first["id"], PAIR)
    check_order(exchange, "cancelOrder", canceled, PAIR)
    assert canceled["status"] == "canceled" and canceled["id"] == first["id"]
    assert (await exchange.fetch_order(first["id"], PAIR))["status"] == "canceled"
    nonce = await exchange.o2_client.refresh_nonce()
    with pytest.raises(OrderNotFound, match="already canceled"):
        await exchange.cancel_order(first["id"], PAIR)
    assert await exchange.o2_client.refresh_nonce() == nonce  # nothing submitted

    only_pair = await exchange.cancel_all_orders(PAIR)
    assert [o["status"] for o in only_pair] == ["canceled"]
    assert len(await exchange.fetch_open_orders(OTHER)) == 1
    everything = await exchange.cancel_all_orders()
    assert [(o["symbol"], o["status"]) for o in everything] == [(OTHER, "canceled")]
    assert await exchange.fetch_open_orders() == []
    assert await exchange.cancel_all_orders() == []


# --- withdrawals and the O2 extras -----------------------------------------------------


async def test_withdraw_moves_exact_amounts(make_exchange: MakeExchange, sim: Exchange) -> None:
    exchange = await trader(make_exchange())
    before = (await exchange.fetch_balance())["fUSDC"]["free"]
    transaction = await exchange.withdraw("fUSDC", 12.5000004, None)  # float noise truncated
    check_withdrawal(exchange, transaction, "fUSDC")
    assert transaction["amount"] == 12.5 and transaction["type"] == "withdrawal"
    assert transaction["txid"] and transaction["status"] == "pending"
    assert json.loads(json.dumps(transaction))["info"]["tx_id"] == transaction["txid"]
    after = (await exchange.fetch_balance())["fUSDC"]["free"]
    assert Decimal(str(before)) - Decimal(str(after)) == Decimal("12.5")

    with pytest.raises(BadRequest, match="currency"):
        await exchange.withdraw("DOGE", 1, None)
    with pytest.raises(BadRequest):
        await exchange.withdraw("fUSDC", 0.0000001, None)  # zero once truncated
    with pytest.raises(InsufficientFunds):
        await exchange.withdraw("fETH", 11, None)
    unsigned = O2CCXT({"client": exchange.o2_client})
    with pytest.raises(AuthenticationError):
        await unsigned.withdraw("fUSDC", 1, None)


async def test_withdraw_before_the_markets_are_loaded(
    make_exchange: MakeExchange, sim: Exchange
) -> None:
    """The amount goes to the client as given; only when the client refuses it before
    signing (more decimals than the asset has) are the markets loaded and the amount
    truncated, then sent once."""
    owner = await trader(make_exchange())
    fresh = make_exchange({"signer": owner._signer()})  # another client, nothing loaded
    calls: list[Any] = []
    withdraw = fresh.o2_client.withdraw

    async def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[2])
        return await withdraw(*args, **kwargs)

    fresh.o2_client.withdraw = spy  # type: ignore[method-assign]
    address = owner._signer().b256_address
    plain = await fresh.withdraw("fUSDC", 2, address)
    assert (calls, fresh.markets, plain["amount"]) == (["2"], None, 2)
    noisy = await fresh.withdraw("fUSDC", 0.1 + 0.2, address)  # 0.30000000000000004
    assert calls[1:] == ["0.30000000000000004", "0.3"] and noisy["amount"] == 0.3
    assert fresh.markets is not None
    usdc = next(i for i, asset in sim.assets.items() if asset.symbol == "fUSDC")
    assert {k.lower(): v for k, v in sim.wallets.items()}[address.lower()][usdc] == 2_300_000


async def test_session_lifecycle_settle_and_batch(
    make_exchange: MakeExchange, sim: Exchange
) -> None:
    exchange = make_exchange()
    with pytest.raises(AuthenticationError, match="session"):
        await exchange.settle_balance(PAIR)
    account = await exchange.setup_account()
    assert exchange._account() == str(account.trade_account_id)
    nonce = sim.accounts[exchange._account()].nonce
    with pytest.raises(BadRequest, match="nonce_session_id"):  # lanes are 0..4
        await exchange.create_session([PAIR], nonce_strategy="parallel", nonce_session_id=9)
    with pytest.raises(BadRequest):
        await exchange.create_session([PAIR], nonce_strategy="random")
    assert sim.accounts[exchange._account()].nonce == nonce  # nothing was signed
    session = await exchange.create_session([PAIR], expiry_days=1)
    assert exchange.o2_client.session is session
    assert (await exchange.settle_balance(PAIR)).success

    batch = await exchange.batch_actions(
        [MarketActionGroup(PAIR, [
            SettleBalanceRequestAction(),
            CreateOrderRequestAction(OrderSide.BUY, "0.02", 100),
        ])],
        collect_orders=True,
    )
    assert batch.success and batch.orders and batch.orders[-1].price == 20_000

    # a second exchange restores the saved session over a new client
    restored = make_exchange({"session": session})
    assert restored.o2_client.session is session
    assert restored._account() == str(session.trade_account_id)
    order = await restored.create_order(PAIR, "limit", "buy", 100, 0.021)
    assert order["status"] == "open"
    with pytest.raises(PermissionDenied, match="not in this session"):
        await restored.create_order(OTHER, "limit", "buy", 0.01, 100)
    with pytest.raises(BadRequest):
        restored.restore_session("not a session")  # type: ignore[arg-type]

    session.session_expiry = 1  # expired long ago: refused before signing
    with pytest.raises(AuthenticationError):
        await restored.create_order(PAIR, "limit", "buy", 100, 0.021)
    fresh = make_exchange()
    with pytest.raises(AuthenticationError, match="session"):
        await fresh.create_order(PAIR, "limit", "buy", 100, 0.02)
    with pytest.raises(AuthenticationError, match="signer"):
        await O2CCXT({"client": fresh.o2_client}).setup_account()
