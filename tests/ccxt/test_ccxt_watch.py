"""The ccxt pro style ``watch_*`` methods over the client's shared WebSocket (in memory):
values checked with ccxt's validators, the subscription lifecycle (join, un-watch,
close, failure, restart) and resynchronisation after a reconnect."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import ccxt.async_support as ccxt
import pytest
from ccxt_checks import check_balance, check_order, check_order_book, check_ticker, check_trade
from conftest import FAST, OTHER, PAIR, MakeExchange, trader

from o2_ccxt import (
    ArgumentsRequired,
    BadRequest,
    ExchangeClosedByUser,
    UnsubscribeError,
)
from o2_core.client import StreamOptions
from o2_core.sim import Exchange

pytestmark = pytest.mark.anyio

T = TypeVar("T")
#: reconnects slow enough to act while the connection is down
SLOW_RECONNECT = StreamOptions(reconnect_base=0.4, reconnect_cap=0.5, ping_interval=2)


async def within(awaitable: Awaitable[T], seconds: float = 5.0) -> T:
    return await asyncio.wait_for(awaitable, seconds)


async def watch_until(
    watch: Callable[[], Awaitable[T]], done: Callable[[T], bool], seconds: float = 5.0
) -> T:
    """Call ``watch`` (a watch_* method) until its result satisfies ``done``."""

    async def loop() -> T:
        while True:
            result = await watch()
            if done(result):
                return result

    return await within(loop(), seconds)


def server_subscriptions(sim: Exchange) -> int:
    return sum(conn.subscription_count for conn in sim.ws.conns.values())


async def settle() -> None:
    """Let waiting calls register (no I/O involved: a few loop turns are plenty)."""
    for _ in range(20):
        await asyncio.sleep(0.005)


def market_id(sim: Exchange, symbol: str) -> str:
    return next(m.market_id for m in sim.config.markets if f"{m.base}/{m.quote}" == symbol)


async def subscribed(sim: Exchange, channel: str, key: str) -> None:
    """Wait until the exchange holds a ``channel`` subscription (depth, trades: a market
    id; orders, balances: an account) on some connection."""
    await within(_until(
        lambda: any(key in getattr(conn, channel) for conn in sim.ws.conns.values())
    ))


# --- order book ------------------------------------------------------------------------


async def test_watch_order_book_follows_the_exchange(
    make_exchange: MakeExchange, sim: Exchange
) -> None:
    watcher = make_exchange(stream_options=FAST)
    maker = await trader(make_exchange())

    first = await within(watcher.watch_order_book(PAIR))
    check_order_book(watcher, "watchOrderBook", first, PAIR)
    assert (first["bids"], first["asks"], first["nonce"]) == ([], [], 1)
    assert first["symbol"] == PAIR and isinstance(first["timestamp"], int)
    assert watcher.orderbooks[PAIR] is first

    one = asyncio.ensure_future(watcher.watch_order_book(PAIR))
    two = asyncio.ensure_future(watcher.watch_order_book(PAIR))
    await settle()
    assert list(watcher._hub.feeds) == [f"orderbook:{PAIR}"]  # the second call joined
    await maker.create_order(PAIR, "limit", "buy", 100, 0.0499)
    book_one, book_two = await within(asyncio.gather(one, two))
    assert book_one is book_two is first  # ccxt pro: the live, shared book
    assert book_one["bids"] == [[0.0499, 100.0]] and book_one["nonce"] == 2

    await maker.create_order(PAIR, "limit", "buy", 50, 0.0498)
    await maker.create_order(PAIR, "limit", "sell", 80, 0.0501)
    order = await maker.create_order(PAIR, "limit", "sell", 20, 0.0502)
    await watch_until(lambda: watcher.watch_order_book(PAIR), lambda b: len(b["asks"]) == 2)
    await maker.cancel_order(order["id"], PAIR)
    rest = await maker.fetch_order_book(PAIR)
    book = await watch_until(
        lambda: watcher.watch_order_book(PAIR),
        lambda b: (b["bids"], b["asks"]) == (rest["bids"], rest["asks"]),
    )
    assert book["nonce"] == 6  # the snapshot, then one update per transaction
    check_order_book(watcher, "watchOrderBook", book, PAIR)
    assert book["asks"] == [[0.0501, 80.0]]

    with pytest.raises(BadRequest, match="already watched"):
        await watcher.watch_order_book(PAIR, params={"precision": 3})
    with pytest.raises(BadRequest, match="1 to 18"):
        await watcher.watch_order_book(PAIR, params={"precision": 0})

    pending = asyncio.ensure_future(watcher.watch_order_book(PAIR))
    await settle()
    assert server_subscriptions(sim) == 1
    assert await watcher.un_watch_order_book(PAIR) is True
    with pytest.raises(UnsubscribeError):
        await within(pending)
    assert PAIR not in watcher.orderbooks and not watcher._hub.feeds
    await within(_until(lambda: server_subscriptions(sim) == 0))

    grouped = await within(watcher.watch_order_book(PAIR, 5, {"precision": 3}))
    native = await watcher.o2_client.get_depth(PAIR, precision=3)
    assert grouped["bids"] == [[lv.price / 10**6, lv.quantity / 10**9] for lv in native.bids]
    assert len(grouped["bids"]) == 1  # 0.0499 and 0.0498 share a 0.001 bucket


async def _until(check: Callable[[], bool]) -> None:
    while not check():
        await asyncio.sleep(0.005)


async def test_the_order_book_resyncs_after_a_reconnect(
    make_exchange: MakeExchange, sim: Exchange
) -> None:
    watcher = make_exchange(stream_options=SLOW_RECONNECT)
    maker = await trader(make_exchange())
    await maker.create_order(PAIR, "limit", "buy", 100, 0.0499)
    book = await within(watcher.watch_order_book(PAIR))
    assert book["bids"] == [[0.0499, 100.0]]
    connections = len(sim.ws.conns)

    assert sim.drop_ws_connections() == connections
    await maker.create_order(PAIR, "limit", "sell", 40, 0.06)  # while nobody is connected
    first = await maker.create_order(PAIR, "limit", "buy", 60, 0.049)
    assert not sim.ws.conns  # the change was never streamed to the watcher
    book = await watch_until(
        lambda: watcher.watch_order_book(PAIR),
        lambda b: b["asks"] == [[0.06, 40.0]] and [0.049, 60.0] in b["bids"],
    )
    check_order_book(watcher, "watchOrderBook", book, PAIR)
    assert sim.ws.conns  # a new connection, re-subscribed, re-seeded from a snapshot
    await maker.cancel_order(first["id"], PAIR)  # and it keeps following afterwards
    book = await watch_until(
        lambda: watcher.watch_order_book(PAIR), lambda b: [0.049, 60.0] not in b["bids"]
    )
    assert book["bids"] == [[0.0499, 100.0]]


# --- trades and ticker -----------------------------------------------------------------


async def test_watch_trades_caches_new_trades(make_exchange: MakeExchange, sim: Exchange) -> None:
    watcher = make_exchange(stream_options=FAST)
    maker = await trader(make_exchange())
    taker = await trader(make_exchange())
    await maker.create_order(PAIR, "limit", "sell", 100, 0.05)
    waiting = asyncio.ensure_future(watcher.watch_trades(PAIR))
    await subscribed(sim, "trades", market_id(sim, PAIR))
    await settle()
    await taker.create_order(PAIR, "limit", "buy", 30, 0.05)
    trades = await within(waiting)
    assert [(t["side"], t["price"], t["amount"]) for t in trades] == [("buy", 0.05, 30.0)]
    for trade in trades:
        check_trade(watcher, "watchTrades", trade, PAIR, public=True)
    assert trades == await watcher.fetch_trades(PAIR)  # the same trades as REST

    waiting = asyncio.ensure_future(watcher.watch_trades(PAIR))
    await settle()
    await taker.create_order(PAIR, "limit", "buy", 25, 0.05)
    fresh = await within(waiting)
    assert [t["amount"] for t in fresh] == [25.0]  # only what is new since the last call
    assert [t["amount"] for t in watcher.trades[PAIR]] == [30.0, 25.0]  # the ArrayCache

    await maker.create_order(PAIR, "limit", "sell", 30, 0.051)
    waiting = asyncio.ensure_future(watcher.watch_trades(PAIR, since=0, limit=1))
    await settle()
    await taker.create_order(PAIR, "limit", "buy", 60, 0.051)  # one update, two trades
    assert [(t["price"], t["amount"]) for t in await within(waiting)] == [(0.051, 15.0)]
    assert [t["amount"] for t in watcher.trades[PAIR]] == [30.0, 25.0, 45.0, 15.0]

    waiting = asyncio.ensure_future(watcher.watch_trades(PAIR))
    await settle()
    assert await watcher.un_watch_trades(PAIR) is True
    with pytest.raises(UnsubscribeError):
        await within(waiting)
    assert PAIR not in watcher.trades
    await within(_until(lambda: server_subscriptions(sim) == 0))


async def test_watch_ticker_follows_the_book_and_the_trades(
    make_exchange: MakeExchange, sim: Exchange
) -> None:
    watcher = make_exchange(stream_options=FAST)
    maker = await trader(make_exchange())
    taker = await trader(make_exchange())
    await maker.create_order(PAIR, "limit", "buy", 100, 0.0499)
    await maker.create_order(PAIR, "limit", "sell", 100, 0.0501)

    ticker = await within(watcher.watch_ticker(PAIR))
    check_ticker(watcher, "watchTicker", ticker, PAIR)
    assert (ticker["bid"], ticker["ask"], ticker["last"]) == (0.0499, 0.0501, None)
    assert watcher.tickers[PAIR] is ticker
    await subscribed(sim, "depth", market_id(sim, PAIR))
    await subscribed(sim, "trades", market_id(sim, PAIR))

    await maker.create_order(PAIR, "limit", "buy", 50, 0.05)  # a better bid: book-driven
    ticker = await watch_until(lambda: watcher.watch_ticker(PAIR), lambda t: t["bid"] == 0.05)
    assert ticker["bidVolume"] == 50.0

    await taker.create_order(PAIR, "limit", "buy", 40, 0.0501)  # a trade: 24h stats re-read
    ticker = await watch_until(lambda: watcher.watch_ticker(PAIR), lambda t: t["last"] == 0.0501)
    check_ticker(watcher, "watchTicker", ticker, PAIR)
    rest = await watcher.fetch_ticker(PAIR)
    for key in ("bid", "bidVolume", "ask", "askVolume", "last", "close", "open", "high", "low",
                "baseVolume", "quoteVolume", "change", "percentage", "average"):
        assert ticker[key] == rest[key], key
    assert (ticker["askVolume"], ticker["baseVolume"]) == (60.0, 40.0)

    waiting = asyncio.ensure_future(watcher.watch_ticker(PAIR))
    await settle()
    assert await watcher.un_watch_ticker(PAIR) is True
    with pytest.raises(UnsubscribeError):
        await within(waiting)
    assert PAIR not in watcher.tickers


# --- the account's orders, trades and balance ------------------------------------------


async def test_watch_orders_tracks_every_change(
    make_exchange: MakeExchange, sim: Exchange
) -> None:
    maker = await trader(make_exchange(stream_options=FAST))
    taker = await trader(make_exchange())
    with pytest.raises(ArgumentsRequired):
        await make_exchange().watch_orders()

    waiting = asyncio.ensure_future(maker.watch_orders())
    await subscribed(sim, "orders", maker._account())
    await settle()
    sell = await maker.create_order(PAIR, "limit", "sell", 100, 0.05)
    [order] = await within(waiting)
    check_order(maker, "watchOrders", order, PAIR)
    assert (order["id"], order["status"], order["filled"]) == (sell["id"], "open", 0.0)

    waiting = asyncio.ensure_future(maker.watch_orders(PAIR))
    other = asyncio.ensure_future(maker.watch_orders(OTHER))
    await settle()
    await taker.create_order(PAIR, "limit", "buy", 40, 0.05)
    [order] = await within(waiting)
    assert (order["status"], order["filled"], order["remaining"]) == ("open", 40.0, 60.0)
    assert not other.done()  # nothing happened on fETH/fUSDC
    eth = await maker.create_order(OTHER, "limit", "buy", 0.01, 200)
    assert [o["id"] for o in await within(other)] == [eth["id"]]

    waiting = asyncio.ensure_future(maker.watch_orders(PAIR))
    await settle()
    await taker.create_order(PAIR, "limit", "buy", 60, 0.05)
    [order] = await within(waiting)
    check_order(maker, "watchOrders", order, PAIR)
    assert (order["status"], order["filled"], order["average"]) == ("closed", 100.0, 0.05)
    assert order == await maker.fetch_order(sell["id"], PAIR)
    assert {o["id"]: o["status"] for o in maker.orders} == {sell["id"]: "closed",
                                                           eth["id"]: "open"}
    assert await maker.un_watch_orders() is True and maker.orders is None


async def test_watch_orders_re_reads_open_orders_after_a_reconnect(
    make_exchange: MakeExchange, sim: Exchange
) -> None:
    maker = await trader(make_exchange(stream_options=SLOW_RECONNECT))
    taker = await trader(make_exchange())
    waiting = asyncio.ensure_future(maker.watch_orders(PAIR))
    await subscribed(sim, "orders", maker._account())
    await settle()
    sell = await maker.create_order(PAIR, "limit", "sell", 100, 0.05)
    assert [o["status"] for o in await within(waiting)] == ["open"]

    sim.drop_ws_connections()
    await taker.create_order(PAIR, "limit", "buy", 100, 0.05)  # filled while disconnected
    assert not sim.ws.conns
    [order] = await within(maker.watch_orders(PAIR))  # delivered by the REST re-read
    assert (order["id"], order["status"], order["filled"]) == (sell["id"], "closed", 100.0)


async def test_watch_my_trades_sees_both_sides(
    make_exchange: MakeExchange, sim: Exchange
) -> None:
    maker = await trader(make_exchange(stream_options=FAST))
    taker = await trader(make_exchange(stream_options=FAST))
    await maker.create_order(PAIR, "limit", "sell", 100, 0.05)
    mine_maker = asyncio.ensure_future(maker.watch_my_trades())  # every market
    mine_taker = asyncio.ensure_future(taker.watch_my_trades(PAIR))
    await subscribed(sim, "trades", market_id(sim, OTHER))
    await within(_until(lambda: sum(
        market_id(sim, PAIR) in conn.trades for conn in sim.ws.conns.values()) == 2))
    await settle()
    assert sorted(maker._hub.feeds) == [f"myTrades:{OTHER}", f"myTrades:{PAIR}"]
    await taker.create_order(PAIR, "limit", "buy", 30, 0.05)
    [sold] = await within(mine_maker)
    [bought] = await within(mine_taker)
    for who, trade in ((maker, sold), (taker, bought)):
        check_trade(who, "watchMyTrades", trade, PAIR, public=False)
    assert (sold["side"], sold["takerOrMaker"], sold["amount"]) == ("sell", "maker", 30.0)
    assert (bought["side"], bought["takerOrMaker"], bought["price"]) == ("buy", "taker", 0.05)
    assert sold["id"] == bought["id"]
    for who, trade in ((maker, sold), (taker, bought)):  # the same trade as over REST
        [rest] = await who.fetch_my_trades(PAIR)
        assert {**rest, "info": None} == {**trade, "info": None}

    third = await trader(make_exchange())
    unrelated = asyncio.ensure_future(maker.watch_my_trades(PAIR))
    await settle()
    await third.create_order(PAIR, "limit", "buy", 30, 0.04)
    await taker.create_order(PAIR, "limit", "sell", 30, 0.04)  # not the maker's trade
    assert len(await taker.fetch_my_trades(PAIR)) == 2
    await settle()
    assert not unrelated.done()
    assert await maker.un_watch_my_trades(PAIR) is True
    with pytest.raises(UnsubscribeError):
        await within(unrelated)
    assert await maker.un_watch_my_trades() is True
    assert not maker._hub.feeds and maker.myTrades is None


async def test_watch_balance_starts_full_and_follows_changes(
    make_exchange: MakeExchange, sim: Exchange
) -> None:
    exchange = await trader(make_exchange(stream_options=SLOW_RECONNECT))
    first = await within(exchange.watch_balance())
    check_balance(exchange, "watchBalance", first)
    rest = await exchange.fetch_balance()
    assert (first["free"], first["used"], first["total"]) == (
        rest["free"], rest["used"], rest["total"]
    )
    assert exchange.balance is first and first["fETH"]["total"] == 10.0
    await subscribed(sim, "balances", exchange._account())

    waiting = asyncio.ensure_future(exchange.watch_balance())
    await settle()
    await exchange.create_order(PAIR, "limit", "buy", 100, 0.02)
    balance = await within(waiting)
    check_balance(exchange, "watchBalance", balance)
    assert balance["fUSDC"]["used"] == 2.0 and balance["fUSDC"]["free"] == 99_998.0

    sim.drop_ws_connections()  # a change while disconnected is re-read after reconnecting
    await exchange.create_order(PAIR, "limit", "buy", 100, 0.03)
    assert not sim.ws.conns
    balance = await within(exchange.watch_balance())
    assert balance["fUSDC"]["used"] == 5.0
    assert balance["total"] == (await exchange.fetch_balance())["total"]
    assert await exchange.un_watch_balance() is True


# --- the subscription lifecycle --------------------------------------------------------


async def test_cancelled_callers_leave_the_others_waiting(make_exchange: MakeExchange) -> None:
    watcher = make_exchange(stream_options=FAST)
    maker = await trader(make_exchange())
    await within(watcher.watch_order_book(PAIR))
    leaving = asyncio.ensure_future(watcher.watch_order_book(PAIR))
    staying = asyncio.ensure_future(watcher.watch_order_book(PAIR))
    await settle()
    leaving.cancel()
    await settle()
    await maker.create_order(PAIR, "limit", "buy", 100, 0.02)
    assert (await within(staying))["bids"] == [[0.02, 100.0]]
    assert leaving.cancelled()


async def test_a_failing_feed_rejects_its_callers_and_restarts_on_the_next_call(
    make_exchange: MakeExchange,
) -> None:
    watcher = make_exchange(stream_options=FAST)
    await within(watcher.watch_order_book(PAIR, params={"precision": 3}))
    # the ticker needs the precision-1 book of the same market on the same connection
    with pytest.raises(BadRequest) as conflict:
        await within(watcher.watch_ticker(PAIR))
    assert type(conflict.value.original_error).__name__ == "SubscriptionConflict"
    assert f"ticker:{PAIR}" not in watcher._hub.feeds
    await watcher.un_watch_order_book(PAIR)
    ticker = await within(watcher.watch_ticker(PAIR))  # started again, now it works
    assert ticker["symbol"] == PAIR


async def test_close_stops_every_stream(make_exchange: MakeExchange, sim: Exchange) -> None:
    exchange = await trader(make_exchange(stream_options=FAST))
    await within(exchange.watch_order_book(PAIR))
    await within(exchange.watch_ticker(OTHER))  # the first call returns at once
    pending = [
        asyncio.ensure_future(exchange.watch_order_book(PAIR)),
        asyncio.ensure_future(exchange.watch_trades(PAIR)),
        asyncio.ensure_future(exchange.watch_orders()),
        asyncio.ensure_future(exchange.watch_my_trades()),
        asyncio.ensure_future(exchange.watch_ticker(OTHER)),
    ]
    await settle()
    tasks = [feed.task for feed in exchange._hub.feeds.values()]
    assert len(tasks) == 6
    await within(_until(lambda: server_subscriptions(sim) == 5))  # shared ones once
    await within(exchange.close())
    for future in pending:
        with pytest.raises(ExchangeClosedByUser):
            await within(future)
    assert all(task is not None and task.done() for task in tasks)
    assert not exchange._hub.feeds and not exchange._hub.futures
    with pytest.raises(ExchangeClosedByUser):
        await exchange.watch_trades(PAIR)
    await within(_until(lambda: server_subscriptions(sim) == 0))


async def test_a_client_closed_underneath_ends_the_streams(make_exchange: MakeExchange) -> None:
    watcher = make_exchange(stream_options=FAST)
    await within(watcher.watch_order_book(PAIR))
    waiting = asyncio.ensure_future(watcher.watch_order_book(PAIR))
    await settle()
    await watcher.o2_client.close()
    with pytest.raises(ExchangeClosedByUser, match="streams are closed"):
        await within(waiting)
    assert not watcher._hub.feeds
    assert isinstance(watcher, ccxt.Exchange)


async def test_un_watching_what_is_not_watched_is_harmless(make_exchange: MakeExchange) -> None:
    exchange = make_exchange()
    assert await exchange.un_watch_order_book(PAIR) is True
    assert await exchange.un_watch_trades(PAIR) is True
    assert await exchange.un_watch_ticker(PAIR) is True
    assert await exchange.un_watch_orders() is True
    assert await exchange.un_watch_my_trades() is True
    assert await exchange.un_watch_balance() is True


async def test_watching_a_private_stream_of_another_account_restarts_it(
    make_exchange: MakeExchange, sim: Exchange
) -> None:
    first = await trader(make_exchange(stream_options=FAST))
    second = await trader(make_exchange())
    waiting = asyncio.ensure_future(first.watch_orders())
    await settle()
    first.restore_session(second.o2_client.session)  # now trading as the second account
    moved = asyncio.ensure_future(first.watch_orders())
    await subscribed(sim, "orders", second._account())
    await settle()
    with pytest.raises(UnsubscribeError):
        await within(waiting)
    placed = await first.create_order(PAIR, "limit", "buy", 100, 0.02)
    assert [o["id"] for o in await within(moved)] == [placed["id"]]
    assert placed["info"]["account"]["ContractId"] == second._account()
