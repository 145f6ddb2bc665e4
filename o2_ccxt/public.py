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
        """24h statistics of a market; fields O2 does not report are None.

        Args:
            symbol: a ccxt symbol (``"fFUEL/fUSDC"``) or an O2 market id.
            params: ccxt's extra parameters (none are read).

        Returns:
            A ccxt ticker.

        Raises:
            BadSymbol: an unknown market.
            NetworkError: no reply (after the client's retries).
        """
        market, native = await self._market_pair(symbol)
        raw = await self._read(lambda: self.o2_client.get_ticker(native))
        return self.parse_ticker(raw, market)

    async def fetch_order_book(
        self, symbol: str, limit: int | None = None, params: Json | None = None
    ) -> Json:
        """The order book.

        O2 reports no time for a book: ``timestamp`` is when the reply arrived.

        Args:
            symbol: a ccxt symbol (``"fFUEL/fUSDC"``) or an O2 market id.
            limit: at most this many levels per side.
            params: ``precision``: O2's grouping level 1..18 (default 1).

        Returns:
            A ccxt order book.

        Raises:
            BadRequest: a bad precision.
            BadSymbol: an unknown market.
            NetworkError: no reply (after the client's retries).
        """
        precision = depth_precision(params)
        market, native = await self._market_pair(symbol)
        depth = await self._read(lambda: self.o2_client.get_depth(native, precision, limit))
        return self.parse_depth(depth, market, self.milliseconds())

    async def fetch_l2_order_book(
        self, symbol: str, limit: int | None = None, params: Json | None = None
    ) -> Json:
        """The same as :meth:`fetch_order_book` (O2 books are already aggregated).

        Args:
            symbol: a ccxt symbol (``"fFUEL/fUSDC"``) or an O2 market id.
            limit: at most this many levels per side.
            params: ``precision`` (see :meth:`fetch_order_book`).

        Returns:
            A ccxt order book.
        """
        return await self.fetch_order_book(symbol, limit, params)

    async def fetch_trades(
        self,
        symbol: str,
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[Json]:
        """Recent public trades (at most 50, oldest first), from ``since`` when given.

        Args:
            symbol: a ccxt symbol (``"fFUEL/fUSDC"``) or an O2 market id.
            since: only trades from this time on (ms).
            limit: at most this many (50 at most).
            params: ccxt's extra parameters (none are read).

        Returns:
            ccxt trades.

        Raises:
            BadSymbol: an unknown market.
            NetworkError: no reply (after the client's retries).
        """
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
        """Candles of ``timeframe``, oldest first; periods without trades have no candle.

        Args:
            symbol: a ccxt symbol (``"fFUEL/fUSDC"``) or an O2 market id.
            timeframe: ``1m``, ``5m``, ``15m``, ``30m``, ``1h``, ``4h`` or ``1d``.
            since: the first candle's time (ms); without it, the latest ``limit``.
            limit: how many candles (default 100).
            params: ``until``: the end (ms, default now).

        Returns:
            ``[ms, open, high, low, close, volume]`` rows.

        Raises:
            NotSupported: another timeframe.
            BadSymbol: an unknown market.
            NetworkError: no reply (after the client's retries).
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
