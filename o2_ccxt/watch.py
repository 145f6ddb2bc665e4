"""``ExchangeWatch``: ``O2CCXT``'s ccxt pro style ``watch_*`` and ``un_watch_*`` methods.

Each resolves its market(s) and account, then waits on the exchange's
:class:`~o2_ccxt.live.Hub`, which runs the streams over the client's shared WebSocket.
"""

from __future__ import annotations

from typing import Any, cast

from .errors import ExchangeClosedByUser
from .markets import ExchangeMarkets
from .params import depth_precision

Json = dict[str, Any]


class ExchangeWatch(ExchangeMarkets):
    """Live streams of ``O2CCXT`` (ccxt pro style)."""

    def _check_open(self) -> None:
        if self._hub.closed:
            raise ExchangeClosedByUser("the O2 exchange is closed")

    async def _stop_stream(self, kind: str, symbol: str) -> str:
        """Stop the ``kind`` stream of ``symbol``; returns the market's ccxt symbol."""
        resolved: str = (await self._resolve_market(symbol))["symbol"]
        await self._hub.stop(f"{kind}:{resolved}")
        return resolved

    def _account_window(
        self, cache: Any, symbol: str | None, since: int | None, limit: int | None
    ) -> list[Json]:
        """What a ``watch_*`` of the account returns from its cache (of ``symbol``, or
        all): the new updates (ccxt ``newUpdates``) or the last ``limit``, from ``since``."""
        count = cache.getLimit(symbol, limit) if self.newUpdates else limit
        return cast(
            list[Json], self.filter_by_symbol_since_limit(cache, symbol, since, count, True)
        )

    async def watch_order_book(
        self, symbol: str, limit: int | None = None, params: Json | None = None
    ) -> Any:
        """The live order book, returned on each change (the first: after the snapshot).

        Kept by the client's local book, re-seeded from a snapshot after a reconnect.

        Args:
            symbol: a ccxt symbol or an O2 market id.
            limit: at most this many levels per side.
            params: ``precision``: the grouping level (1..18); one per symbol at a time.

        Returns:
            A ccxt order book.

        Raises:
            BadRequest: a bad precision, or another precision is already watched.
            ExchangeClosedByUser: the exchange is closed.
        """
        self._check_open()
        precision = depth_precision(params)
        market, native = await self._market_pair(symbol)
        book = await self._hub.watch_order_book(market, native, precision, limit)
        return book.limit()

    async def un_watch_order_book(self, symbol: str, params: Json | None = None) -> bool:
        """Stop the order-book stream of ``symbol`` (pending watchers get UnsubscribeError).

        Args:
            symbol: a ccxt symbol or an O2 market id.
            params: ccxt's extra parameters (none are read).

        Returns:
            True.
        """
        self.orderbooks.pop(await self._stop_stream("orderbook", symbol), None)
        return True

    async def watch_trades(
        self,
        symbol: str,
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[Json]:
        """Public trades of ``symbol`` as they happen (ccxt ``ArrayCache`` semantics).

        Args:
            symbol: a ccxt symbol or an O2 market id.
            since: only trades from this time on (ms).
            limit: at most this many.
            params: ccxt's extra parameters (none are read).

        Returns:
            ccxt trades.

        Raises:
            ExchangeClosedByUser: the exchange is closed.
        """
        self._check_open()
        market, native = await self._market_pair(symbol)
        trades = await self._hub.watch_trades(market, native)
        count = trades.getLimit(market["symbol"], limit) if self.newUpdates else limit
        return cast(list[Json], self.filter_by_since_limit(trades, since, count, "timestamp", True))

    async def un_watch_trades(self, symbol: str, params: Json | None = None) -> bool:
        """Stop the public trades stream of ``symbol``.

        Args:
            symbol: a ccxt symbol or an O2 market id.
            params: ccxt's extra parameters (none are read).

        Returns:
            True.
        """
        self.trades.pop(await self._stop_stream("trades", symbol), None)
        return True

    async def watch_ticker(self, symbol: str, params: Json | None = None) -> Json:
        """The ticker of ``symbol`` on each change: best bid/ask from the live book (precision
        1), 24h statistics re-read after each trade and after a reconnect.

        Args:
            symbol: a ccxt symbol or an O2 market id.
            params: ccxt's extra parameters (none are read).

        Returns:
            A ccxt ticker.

        Raises:
            ExchangeClosedByUser: the exchange is closed.
        """
        self._check_open()
        market, native = await self._market_pair(symbol)
        return await self._hub.watch_ticker(market, native)

    async def un_watch_ticker(self, symbol: str, params: Json | None = None) -> bool:
        """Stop the ticker stream of ``symbol``.

        Args:
            symbol: a ccxt symbol or an O2 market id.
            params: ccxt's extra parameters (none are read).

        Returns:
            True.
        """
        self.tickers.pop(await self._stop_stream("ticker", symbol), None)
        return True

    async def watch_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[Json]:
        """The account's orders as they change (ccxt ``ArrayCacheBySymbolById``).

        Args:
            symbol: only this market's (None: all).
            since: only orders from this time on (ms).
            limit: at most this many.
            params: ccxt's extra parameters (none are read).

        Returns:
            ccxt orders.

        Raises:
            ExchangeClosedByUser: the exchange is closed.
        """
        self._check_open()
        account = self._account()
        await self.load_markets()
        resolved = (await self._resolve_market(symbol))["symbol"] if symbol else None
        orders = await self._hub.watch_orders(account, resolved)
        return self._account_window(orders, resolved, since, limit)

    async def un_watch_orders(self, symbol: str | None = None, params: Json | None = None) -> bool:
        """Stop the account's orders stream (for every symbol).

        Args:
            symbol: ignored (the stream is the account's).
            params: ccxt's extra parameters (none are read).

        Returns:
            True.
        """
        await self._hub.stop("orders")
        self.orders = None
        return True

    async def watch_my_trades(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[Json]:
        """The account's trades as they happen, from the markets' trade streams.

        Args:
            symbol: only this market's (None: every loaded market).
            since: only trades from this time on (ms).
            limit: at most this many.
            params: ccxt's extra parameters (none are read).

        Returns:
            ccxt trades.

        Raises:
            ExchangeClosedByUser: the exchange is closed.
        """
        self._check_open()
        account = self._account()
        markets = await self._selected(symbol)
        resolved = markets[0]["symbol"] if symbol else None
        trades = await self._hub.watch_my_trades(
            account, [(m, self.native_market(m)) for m in markets], resolved
        )
        return self._account_window(trades, resolved, since, limit)

    async def un_watch_my_trades(
        self, symbol: str | None = None, params: Json | None = None
    ) -> bool:
        """Stop the account's trade streams (of ``symbol``, or all).

        Args:
            symbol: one market's stream (None: all).
            params: ccxt's extra parameters (none are read).

        Returns:
            True.
        """
        if symbol is None:
            await self._hub.stop_prefix("myTrades:")
            self.myTrades = None
        else:
            await self._stop_stream("myTrades", symbol)
        return True

    async def watch_balance(self, params: Json | None = None) -> Json:
        """The account's balance: first the full balance (read over REST), then on each change;
        re-read over REST after a reconnect.

        Args:
            params: ccxt's extra parameters (none are read).

        Returns:
            A ccxt balance.

        Raises:
            ExchangeClosedByUser: the exchange is closed.
        """
        self._check_open()
        account = self._account()
        await self.load_markets()
        return await self._hub.watch_balance(account)

    async def un_watch_balance(self, params: Json | None = None) -> bool:
        """Stop the balance stream.

        Args:
            params: ccxt's extra parameters (none are read).

        Returns:
            True.
        """
        await self._hub.stop("balance")
        return True


__all__ = ["ExchangeWatch"]
