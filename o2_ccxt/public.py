"""``ExchangePublic``: ``O2CCXT``'s public market-data methods over REST (``fetch_ticker``,
``fetch_order_book``, ``fetch_trades``, ``fetch_ohlcv``); no account or signer needed."""

from __future__ import annotations

from typing import Any

from .errors import NotSupported
from .markets import ExchangeMarkets
from .params import depth_precision
from .parse import TIMEFRAMES
from .structures import recent

Json = dict[str, Any]


class ExchangePublic(ExchangeMarkets):
    """Public REST market data of ``O2CCXT``."""

    async def fetch_ticker(self, symbol: str, params: Json | None = None) -> Json:
        """24h statistics of a market; fields O2 does not report are None."""
        market, native = await self._market_pair(symbol)
        raw = await self._read(lambda: self.o2_client.get_ticker(native))
        return self.parse_ticker(raw, market)

    async def fetch_order_book(
        self, symbol: str, limit: int | None = None, params: Json | None = None
    ) -> Json:
        """The order book; ``params["precision"]`` is O2's grouping level 1..18 (default 1).

        O2 reports no time for a book: ``timestamp`` is when the reply arrived.
        """
        precision = depth_precision(params)
        market, native = await self._market_pair(symbol)
        depth = await self._read(lambda: self.o2_client.get_depth(native, precision, limit))
        return self.parse_depth(depth, market, self.milliseconds())

    async def fetch_l2_order_book(
        self, symbol: str, limit: int | None = None, params: Json | None = None
    ) -> Json:
        """The same as :meth:`fetch_order_book` (O2 books are already aggregated)."""
        return await self.fetch_order_book(symbol, limit, params)

    async def fetch_trades(
        self,
        symbol: str,
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[Json]:
        """Recent public trades (at most 50, oldest first), from ``since`` when given."""
        count = limit or 50
        market, native = await self._market_pair(symbol)
        raw = await self._read(lambda: self.o2_client.get_trades(native, min(count, 50)))
        return recent([self.parse_trade(t, market) for t in raw], since, count)

    async def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: str = "1m",
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[list[Any]]:
        """Candles of ``timeframe`` (1m 5m 15m 30m 1h 4h 1d), oldest first.

        Without ``since``: the latest ``limit`` (default 100) ending at
        ``params["until"]`` (default now); with it: the first ``limit`` from ``since``.
        Periods without trades have no candle.
        """
        duration = TIMEFRAMES.get(timeframe)
        if duration is None:
            raise NotSupported(f"unsupported O2 OHLCV timeframe: {timeframe}")
        count = limit or 100
        market, native = await self._market_pair(symbol)
        until_param = self.safe_integer(params or {}, "until")
        until = int(until_param) if until_param is not None else int(self.milliseconds())
        start = since if since is not None else until - duration * count
        end = until if since is None else min(until, start + duration * count)
        bars = await self._read(
            lambda: self.o2_client.get_bars(native, timeframe, max(start, 0), end)
        )
        candles = sorted((self.parse_ohlcv(bar, market) for bar in bars), key=lambda c: c[0])
        candles = [c for c in candles if start <= c[0] <= end]
        return candles[:count] if since is not None else candles[-count:]


__all__ = ["ExchangePublic"]
