"""ccxt pro style ``watch_*`` methods over ``O2Client``'s shared WebSocket.

A :class:`Hub` keeps, per exchange, the ccxt-style futures by message hash and the
*feeds* that resolve them. A feed is one background asyncio task reading a client
stream (``order_book``, ``stream_trades``, ``stream_orders``, ``stream_balances``) into
the exchange's ccxt caches (``orderbooks``, ``trades``, ``orders``, ``myTrades``,
``tickers``, ``balance``) and resolving every waiting ``watch_*`` call on each change:

- the first ``watch_*`` call of a stream starts its feed; later calls join it and wait
  for its next change (ccxt's shared future per message hash);
- a feed keeps running between calls, so nothing is missed while the caller works;
- ``un_watch_*`` stops a feed (pending calls get ``UnsubscribeError``; the client drops
  the WebSocket subscription when no other stream needs it), ``close()`` stops them all
  (``ExchangeClosedByUser``);
- a feed that fails (a slow consumer, a subscription conflict, a failed REST re-read)
  rejects its pending calls with the mapped ccxt error and ends; the next call starts it
  again.

After a reconnect (the client's RECONNECTED lifecycle event) the book is re-seeded by the
client itself; the balance and the open orders cached as open are re-read over REST and
the ticker's 24h statistics refreshed. A REST value never overwrites a stream value that
arrived after the re-read began.

The feeds use anyio (task groups, events, cancel scopes) like the client; ccxt's
``async_support`` runs them on asyncio.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, cast

import anyio
from ccxt.async_support.base.ws.cache import ArrayCache, ArrayCacheBySymbolById
from ccxt.async_support.base.ws.future import Future

from o2_core.market_models import Market, MarketTicker
from o2_core.models import DepthLevel, Order
from o2_core.stream import ConnectionState

from .errors import BadRequest, ExchangeClosedByUser, UnsubscribeError, map_o2_error
from .parse import to_info, trader_side, units

logger = logging.getLogger(__name__)

Json = dict[str, Any]


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a future's exception retrieved (nobody may be waiting for it)."""
    if not future.cancelled():
        future.exception()


def _first_error(error: BaseException) -> BaseException:
    """The first leaf of a (nested) exception group, or ``error`` itself."""
    while True:
        inner = getattr(error, "exceptions", None)
        if not inner:
            return error
        error = inner[0]


def _closed_exchange() -> BaseException:
    return cast(BaseException, ExchangeClosedByUser("the O2 exchange is closed"))


def _closed_streams() -> BaseException:
    return cast(BaseException, ExchangeClosedByUser("the O2 client's streams are closed"))


class _Signal:
    """A re-armable wake-up: ``set`` any number of times, ``wait`` consumes it."""

    def __init__(self) -> None:
        self._event = anyio.Event()

    def set(self) -> None:
        self._event.set()

    async def wait(self) -> None:
        await self._event.wait()
        self._event = anyio.Event()


class Feed:
    """One running stream: its task, what it was started with, and what it serves.

    Args:
        key: the feed's name (also the message hash it resolves first).
        serves: message hashes (and ``hash:`` prefixes) its failure or stop rejects.
        params: what the feed was started with (a second call must match them).
        group: a message hash shared by several feeds (``myTrades``), rejected when the
            last feed of the group ends.
    """

    def __init__(
        self, key: str, serves: tuple[str, ...], params: tuple[Any, ...], group: str | None
    ) -> None:
        self.key = key
        self.serves = serves
        self.params = params
        self.group = group
        self.task: asyncio.Task[None] | None = None
        self.scope: anyio.CancelScope | None = None
        self.stopping = False

    def serves_hash(self, message_hash: str) -> bool:
        """True when ``message_hash`` is one this feed resolves."""
        return any(message_hash == s or message_hash.startswith(s + ":") for s in self.serves)


class Hub:
    """The futures and feeds of one :class:`~o2_ccxt.exchange.O2CCXT`."""

    def __init__(self, exchange: Any) -> None:  # an O2CCXT (ccxt types are Any anyway)
        self.ex = exchange
        self.futures: dict[str, Future] = {}
        self.feeds: dict[str, Feed] = {}
        self.closed = False

    # --- futures ---------------------------------------------------------------------

    def future(self, message_hash: str) -> Future:
        """The pending future of ``message_hash`` (shared by every caller waiting on it)."""
        future = self.futures.get(message_hash)
        if future is None or future.done():
            future = self.futures[message_hash] = Future()
            future.add_done_callback(_retrieve)
        return future

    async def wait(self, message_hash: str) -> Any:
        """Wait for the next value of ``message_hash``; a cancelled caller leaves the
        shared future to the others."""
        return await asyncio.shield(self.future(message_hash))

    def resolve(self, value: Any, message_hash: str) -> None:
        """Hand ``value`` to everyone waiting on ``message_hash``."""
        future = self.futures.pop(message_hash, None)
        if future is not None:
            future.resolve(value)

    def reject(self, error: Callable[[], BaseException], match: Callable[[str], bool]) -> None:
        """Fail every pending future whose hash ``match`` accepts (each with a fresh
        exception from ``error``, so tracebacks of different callers do not mix)."""
        for message_hash in [h for h in self.futures if match(h)]:
            future = self.futures.pop(message_hash)
            future.reject(error())

    # --- feeds -----------------------------------------------------------------------

    def start(
        self,
        key: str,
        runner: Callable[[Feed], Awaitable[None]],
        params: tuple[Any, ...] = (),
        serves: tuple[str, ...] | None = None,
        group: str | None = None,
    ) -> Feed:
        """The running feed ``key``, started with ``runner`` if it is not running.

        Raises:
            ExchangeClosedByUser: the exchange is closed.
            BadRequest: ``key`` runs with other ``params``.
        """
        if self.closed:
            raise ExchangeClosedByUser("the O2 exchange is closed")
        feed = self.feeds.get(key)
        if feed is not None:
            if feed.params != params:
                raise BadRequest(
                    f"{key} is already watched with {feed.params}; un-watch it first"
                )
            return feed
        feed = self.feeds[key] = Feed(key, serves or (key,), params, group)
        feed.task = asyncio.get_running_loop().create_task(self._main(feed, runner))
        return feed

    async def _main(self, feed: Feed, runner: Callable[[Feed], Awaitable[None]]) -> None:
        error: Callable[[], BaseException] | None = None
        try:
            with anyio.CancelScope() as scope:
                feed.scope = scope
                if feed.stopping:
                    scope.cancel()
                await runner(feed)
            if not feed.stopping:
                error = _closed_streams
        except Exception as err:
            cause = _first_error(err)
            logger.debug("o2 ccxt feed %s failed: %r", feed.key, cause)

            def error() -> BaseException:
                return cast(BaseException, map_o2_error(cause, "read"))

        finally:
            if self.feeds.get(feed.key) is feed:
                del self.feeds[feed.key]
        if error is not None and not feed.stopping:
            self._reject_feed(feed, error)

    def _reject_feed(self, feed: Feed, error: Callable[[], BaseException]) -> None:
        self.reject(error, feed.serves_hash)
        group = feed.group
        if group is not None and not any(f.group == group for f in self.feeds.values()):
            self.reject(error, lambda h: h == group)

    async def stop(self, key: str, error: Callable[[], BaseException] | None = None) -> None:
        """Stop feed ``key`` and reject its pending futures (UnsubscribeError by default)."""
        feed = self.feeds.pop(key, None)
        if feed is None:
            return
        feed.stopping = True
        if feed.scope is not None:
            feed.scope.cancel()
        elif feed.task is not None:
            feed.task.cancel()  # not started yet
        if feed.task is not None:
            await asyncio.wait({feed.task})
        self._reject_feed(feed, error or (lambda: UnsubscribeError(f"o2 {key}")))

    async def stop_prefix(
        self, prefix: str, error: Callable[[], BaseException] | None = None
    ) -> None:
        """Stop every feed whose key starts with ``prefix``."""
        for key in [k for k in self.feeds if k.startswith(prefix)]:
            await self.stop(key, error)

    async def close(self) -> None:
        """Stop every feed; pending and later calls get ``ExchangeClosedByUser``."""
        self.closed = True
        for key in list(self.feeds):
            await self.stop(key, _closed_exchange)
        self.reject(_closed_exchange, lambda h: True)

    async def _reconnects(self, signal: _Signal) -> None:
        """Set ``signal`` on every RECONNECTED lifecycle event of the client."""
        async for event in self.ex.o2_client.stream_lifecycle():
            if event.state is ConnectionState.RECONNECTED:
                signal.set()

    # --- order book ------------------------------------------------------------------

    async def watch_order_book(
        self, market: Json, native: Market, precision: int, limit: int | None
    ) -> Any:
        """The exchange's ccxt ``OrderBook`` of ``market``, after its next change."""
        key = "orderbook:" + market["symbol"]

        async def run(feed: Feed) -> None:
            await self._book(feed, market, native, precision, limit)

        self.start(key, run, (precision,))
        return await self.wait(key)

    async def _book(
        self, feed: Feed, market: Json, native: Market, precision: int, limit: int | None
    ) -> None:
        ex, symbol = self.ex, market["symbol"]
        price_scale, amount_scale = 10**native.quote.decimals, 10**native.base.decimals
        nonce = 0
        async for book in ex.o2_client.order_book(native, precision):
            nonce += 1
            stored = ex.orderbooks.get(symbol)
            if stored is None:
                stored = ex.orderbooks[symbol] = ex.order_book({}, limit)
            timestamp = ex.milliseconds()
            stored.reset(
                {
                    "symbol": symbol,
                    # int / int is correctly rounded: the same floats as fetch_order_book
                    "bids": [[lv.price / price_scale, lv.quantity / amount_scale]
                             for lv in book.bids],
                    "asks": [[lv.price / price_scale, lv.quantity / amount_scale]
                             for lv in book.asks],
                    "timestamp": timestamp,
                    "nonce": nonce,
                }
            )
            self.resolve(stored, feed.key)

    # --- public trades ---------------------------------------------------------------

    async def watch_trades(self, market: Json, native: Market) -> Any:
        """The ``ArrayCache`` of ``market``'s public trades, after its next trades."""
        key = "trades:" + market["symbol"]

        async def run(feed: Feed) -> None:
            await self._trades(feed, market, native)

        self.start(key, run)
        return await self.wait(key)

    async def _trades(self, feed: Feed, market: Json, native: Market) -> None:
        ex, symbol = self.ex, market["symbol"]
        cache = ex.trades.get(symbol)
        if cache is None:
            cache = ex.trades[symbol] = ArrayCache(ex.safe_integer(ex.options, "tradesLimit", 1000))
        async for update in ex.o2_client.stream_trades(native):
            for trade in update.trades:
                cache.append(ex.parse_trade(trade, market))
            if update.trades:
                self.resolve(cache, feed.key)

    # --- ticker ----------------------------------------------------------------------

    async def watch_ticker(self, market: Json, native: Market) -> Json:
        """The ticker of ``market`` after its next change."""
        key = "ticker:" + market["symbol"]

        async def run(feed: Feed) -> None:
            await self._ticker(feed, market, native)

        self.start(key, run)
        return await self.wait(key)  # type: ignore[no-any-return]

    async def _ticker(self, feed: Feed, market: Json, native: Market) -> None:
        ex, client, symbol = self.ex, self.ex.o2_client, market["symbol"]
        stats: list[MarketTicker] = []
        top: list[tuple[DepthLevel | None, DepthLevel | None]] = []
        refresh = _Signal()
        refresh.set()

        def emit() -> None:
            if not stats:
                return
            ticker = ex.parse_ticker(
                stats[-1], market, top[-1] if top else None, ex.milliseconds()
            )
            ex.tickers[symbol] = ticker
            self.resolve(ticker, feed.key)

        async with anyio.create_task_group() as tg:

            async def book() -> None:
                async for live in client.order_book(native, 1):
                    now = (live.best_bid, live.best_ask)
                    if not top or top[-1] != now:
                        top[:] = [now]
                        emit()
                tg.cancel_scope.cancel()

            async def trades() -> None:
                async for update in client.stream_trades(native):
                    if update.trades:
                        refresh.set()
                tg.cancel_scope.cancel()

            tg.start_soon(book)
            tg.start_soon(trades)
            tg.start_soon(self._reconnects, refresh)
            while True:
                await refresh.wait()
                stats[:] = [await client.get_ticker(native)]
                emit()

    # --- the account's orders --------------------------------------------------------

    async def watch_orders(self, account: str, symbol: str | None) -> Any:
        """The ``ArrayCacheBySymbolById`` of the account's orders, after the next change
        (of ``symbol``'s orders when given)."""
        feed = self.feeds.get("orders")
        if feed is not None and feed.params != (account,):
            await self.stop("orders")

        async def run(feed: Feed) -> None:
            await self._orders(feed, account)

        self.start("orders", run, (account,))
        return await self.wait("orders" if symbol is None else "orders:" + symbol)

    async def _orders(self, feed: Feed, account: str) -> None:
        ex, client = self.ex, self.ex.o2_client
        if ex.orders is None:
            ex.orders = ArrayCacheBySymbolById(ex.safe_integer(ex.options, "ordersLimit", 1000))
        versions: dict[str, int] = {}
        counter = [0]

        def deliver(orders: Iterable[Order]) -> None:
            cache = ex.orders
            if cache is None:
                cache = ex.orders = ArrayCacheBySymbolById(
                    ex.safe_integer(ex.options, "ordersLimit", 1000)
                )
            symbols: list[str] = []
            for order in orders:
                market = ex.market_of_id(str(order.market_id) if order.market_id else None)
                if market is None:
                    continue
                cache.append(ex.parse_order(order, market))
                if market["symbol"] not in symbols:
                    symbols.append(market["symbol"])
            for symbol in symbols:
                self.resolve(cache, "orders:" + symbol)
            if symbols:
                self.resolve(cache, "orders")

        async def resync() -> None:
            """Re-read the orders cached as open; deliver those that changed."""
            start = counter[0]
            held: list[Json] = list(ex.orders or [])
            cached = {o["id"]: o for o in held if o["status"] == "open"}
            fresh: list[Order] = []
            for order_id, old in cached.items():
                native = ex.native_market(ex.markets[old["symbol"]])
                order = await client.get_order(native, order_id)
                if versions.get(order_id, 0) > start:
                    continue  # the stream told us something newer meanwhile
                new = ex.parse_order(order, ex.markets[old["symbol"]])
                if (new["status"], new["filled"]) != (old["status"], old["filled"]):
                    fresh.append(order)
            deliver(fresh)

        async with anyio.create_task_group() as tg:
            reconnected = _Signal()

            async def resyncs() -> None:
                while True:
                    await reconnected.wait()
                    await resync()

            tg.start_soon(self._reconnects, reconnected)
            tg.start_soon(resyncs)
            async for update in client.stream_orders(account):
                counter[0] += 1
                for order in update.orders:
                    versions[str(order.order_id)] = counter[0]
                deliver(update.orders)
            tg.cancel_scope.cancel()

    # --- the account's trades --------------------------------------------------------

    async def watch_my_trades(
        self, account: str, markets: list[tuple[Json, Market]], symbol: str | None
    ) -> Any:
        """The ``ArrayCacheBySymbolById`` of the account's trades after its next trade
        (in ``symbol`` when given; else in any of ``markets``)."""
        for market, native in markets:
            key = "myTrades:" + market["symbol"]
            feed = self.feeds.get(key)
            if feed is not None and feed.params != (account,):
                await self.stop(key)

            async def run(feed: Feed, market: Json = market, native: Market = native) -> None:
                await self._my_trades(feed, market, native, account)

            self.start(key, run, (account,), group="myTrades")
        return await self.wait("myTrades" if symbol is None else "myTrades:" + symbol)

    async def _my_trades(self, feed: Feed, market: Json, native: Market, account: str) -> None:
        ex = self.ex
        async for update in ex.o2_client.stream_trades(native):
            mine = [(t, trader_side(t, account)) for t in update.trades]
            mine = [(t, role) for t, role in mine if role is not None]
            if not mine:
                continue
            cache = ex.myTrades
            if cache is None:
                cache = ex.myTrades = ArrayCacheBySymbolById(
                    ex.safe_integer(ex.options, "tradesLimit", 1000)
                )
            for trade, role in mine:
                cache.append(ex.parse_trade(trade, market, role))
            self.resolve(cache, feed.key)
            self.resolve(cache, "myTrades")

    # --- the account's balance -------------------------------------------------------

    async def watch_balance(self, account: str) -> Json:
        """The ccxt balance of the account: first once read over REST, then after each
        change."""
        feed = self.feeds.get("balance")
        if feed is not None and feed.params != (account,):
            await self.stop("balance")

        async def run(feed: Feed) -> None:
            await self._balance(feed, account)

        self.start("balance", run, (account,))
        return await self.wait("balance")  # type: ignore[no-any-return]

    async def _balance(self, feed: Feed, account: str) -> None:
        ex, client = self.ex, self.ex.o2_client
        codes = ex.asset_codes()
        decimals = ex.asset_decimals()
        state: dict[str, tuple[str | None, str | None]] = {}
        info: dict[str, Any] = {}
        versions: dict[str, int] = {}
        counter = [0]
        seeded = [False]

        def emit() -> None:
            timestamp = ex.milliseconds()
            result: Json = {
                "info": dict(info),
                "timestamp": timestamp,
                "datetime": ex.iso8601(timestamp),
            }
            for code, (free, used) in state.items():
                entry = ex.account()
                entry["free"], entry["used"] = free, used
                result[code] = entry
            ex.balance = ex.safe_balance(result)
            self.resolve(ex.balance, feed.key)

        async def seed() -> None:
            start = counter[0]
            balances = await client.get_balances(account)
            for code, balance in balances.items():
                if versions.get(code, 0) > start:
                    continue  # the stream told us something newer meanwhile
                scale = decimals.get(code, 0)
                state[code] = (units(balance.total_unlocked, scale),
                               units(balance.total_locked, scale))
                info[code] = to_info(balance)
            seeded[0] = True
            emit()

        async with anyio.create_task_group() as tg:

            async def stream() -> None:
                async for update in client.stream_balances(account):
                    changed = False
                    for entry in update.balance:
                        if entry.identity is not None and entry.identity.value != account:
                            continue
                        code = codes.get(str(entry.asset_id))
                        if code is None:
                            continue
                        counter[0] += 1
                        versions[code] = counter[0]
                        scale = decimals.get(code, 0)
                        state[code] = (units(entry.total_unlocked, scale),
                                       units(entry.total_locked, scale))
                        info[code] = to_info(entry)
                        changed = True
                    if changed and seeded[0]:
                        emit()
                tg.cancel_scope.cancel()

            reconnected = _Signal()
            tg.start_soon(stream)
            tg.start_soon(self._reconnects, reconnected)
            await seed()
            while True:
                await reconnected.wait()
                await seed()


__all__ = ["Feed", "Hub"]
