"""``ExchangeMarkets``: loading O2 markets, mapping symbols to them, and the ccxt ``parse_*``
methods that build unified structures against a loaded market.

The ``parse_*`` methods look the client's market up and build the structure with
:mod:`o2_ccxt.unified` (the fields of :mod:`o2_ccxt.structures`, finished by ccxt's
``safe_*`` helpers of this exchange).
"""

from __future__ import annotations

from typing import Any, cast

from o2_core.market_models import Market, MarketTicker
from o2_core.models import Balance, Bar, DepthLevel, DepthSnapshot, Order, Trade

from . import structures, unified
from .base import ExchangeCore
from .errors import ArgumentsRequired, BadSymbol
from .parse import timestamp_ms

Json = dict[str, Any]


class ExchangeMarkets(ExchangeCore):
    """Market loading, symbol mapping and unified structures of ``O2CCXT``."""

    # --- loading and mapping ---------------------------------------------------------

    async def fetch_markets(self, params: Json | None = None) -> list[Json]:
        """Every spot market with public asset symbols (others would share symbol ``/``).

        Args:
            params: ccxt's extra parameters (none are read).

        Returns:
            ccxt market structures (``load_markets`` caches them).
        """
        markets = await self._read(self.o2_client.get_markets)
        result = []
        for market in markets:
            if not (market.base.symbol.strip() and market.quote.symbol.strip()):
                continue
            self._o2_markets[str(market.market_id)] = market
            result.append(self.parse_market(market))
        return result

    def native_market(self, market: Json) -> Market:
        """The client's ``Market`` behind a ccxt market structure.

        Args:
            market: a loaded ccxt market.

        Returns:
            The O2 market.

        Raises:
            BadSymbol: the markets were not loaded, or it is not an O2 market.
        """
        native = self._o2_markets.get(str(market["id"]))
        if native is None:
            raise BadSymbol(f"unknown O2 market: {market.get('symbol')}")
        return native

    def market_of_id(self, market_id: str | None) -> Json | None:
        """The loaded ccxt market with this O2 market id.

        Args:
            market_id: the O2 market id.

        Returns:
            The ccxt market, or None.
        """
        if market_id is None or self.markets_by_id is None:
            return None
        found = self.markets_by_id.get(str(market_id))
        if isinstance(found, list):
            found = found[0] if found else None
        return cast("Json | None", found)

    async def _resolve_market(self, symbol: str) -> Json:
        markets = await self.load_markets()
        market = markets.get(symbol) if isinstance(symbol, str) else None
        if market is None and isinstance(symbol, str):
            market = self.market_of_id(symbol.lower())
        if market is None:
            raise BadSymbol(f"unknown O2 market: {symbol!r}")
        return cast(Json, market)

    async def _market_pair(self, symbol: str) -> tuple[Json, Market]:
        """The ccxt market of ``symbol`` (a symbol or an O2 market id) and the client's."""
        market = await self._resolve_market(symbol)
        return market, self.native_market(market)

    async def _selected(self, symbol: str | None) -> list[Json]:
        """The ccxt market of ``symbol``, or every loaded market when it is None."""
        if symbol is not None:
            return [await self._resolve_market(symbol)]
        return list((await self.load_markets()).values())

    def _market_of(self, market: Json | None, market_id: Any, what: str) -> Json:
        """``market``, or the loaded market of ``market_id`` (``what`` names the item)."""
        if market is None:
            market = self.market_of_id(str(market_id) if market_id else None)
        if market is None:
            raise BadSymbol(f"unknown O2 market of {what}")
        return market

    def asset_decimals(self) -> dict[str, int]:
        """Decimals of every asset of the loaded markets, by currency code.

        Returns:
            ``{code: decimals}``.
        """
        return structures.asset_decimals(self._o2_markets.values())

    def asset_codes(self) -> dict[str, str]:
        """Currency codes of every asset of the loaded markets, by asset id.

        Returns:
            ``{asset id: code}``.
        """
        return structures.asset_codes(self._o2_markets.values())

    # --- unified structures (built by o2_ccxt.unified) --------------------------------

    def parse_market(self, market: Market) -> Json:
        """A ccxt market structure from an O2 ``Market``.

        Args:
            market: the O2 market.

        Returns:
            The ccxt market (precision in decimal places).
        """
        return unified.market(self, market)

    def parse_ticker(
        self,
        ticker: MarketTicker,
        market: Json,
        top: tuple[DepthLevel | None, DepthLevel | None] | None = None,
        timestamp: int | None = None,
    ) -> Json:
        """A ccxt ticker from an O2 ``MarketTicker`` (chain integers, scaled exactly).

        Args:
            ticker: the O2 ticker.
            market: its ccxt market.
            top: ``(best bid, best ask)`` of a live book, which override the ticker's bid/ask.
            timestamp: milliseconds, overriding the ticker's own.

        Returns:
            The ccxt ticker.
        """
        native = self.native_market(market)
        timestamp = timestamp or timestamp_ms(ticker.timestamp) or self.milliseconds()
        return unified.ticker(self, ticker, market, native, timestamp, top)

    def parse_depth(
        self, depth: DepthSnapshot, market: Json, timestamp: int | None = None
    ) -> Json:
        """A ccxt order book from an O2 ``DepthSnapshot``.

        Args:
            depth: the snapshot.
            market: its ccxt market.
            timestamp: when it was received, in ms (O2 sends no time with a snapshot).

        Returns:
            The ccxt order book.
        """
        return unified.order_book(self, depth, market, self.native_market(market), timestamp)

    def parse_trade(
        self, trade: Trade, market: Json | None = None, role: str | None = None
    ) -> Json:
        """A ccxt trade from an O2 ``Trade``.

        Args:
            trade: the O2 trade (O2 reports the maker's side).
            market: its ccxt market (default: the loaded market of ``trade.market_id``).
            role: for an account's trade, ``"maker"``, ``"taker"`` or ``"both"``;
                None for a public trade (shown from the taker's side).

        Returns:
            The ccxt trade.

        Raises:
            BadSymbol: no loaded market for the trade.
        """
        market = self._market_of(market, trade.market_id, f"trade {trade.trade_id}")
        return unified.trade(self, trade, market, self.native_market(market), role)

    def parse_order(self, order: Order, market: Json | None = None) -> Json:
        """A ccxt order from an O2 ``Order``.

        Args:
            order: the O2 order.
            market: its ccxt market (default: the loaded market of ``order.market_id``).

        Returns:
            The ccxt order.

        Raises:
            BadSymbol: no loaded market for the order.
        """
        market = self._market_of(market, order.market_id, f"order {order.order_id}")
        return unified.order(self, order, market, self.native_market(market))

    def parse_ohlcv(self, ohlcv: Bar, market: Json | None = None) -> list[Any]:
        """A ccxt candle from an O2 ``Bar``.

        Args:
            ohlcv: the bar.
            market: its ccxt market (required).

        Returns:
            ``[ms, open, high, low, close, base volume]``.

        Raises:
            ArgumentsRequired: no market.
        """
        if market is None:
            raise ArgumentsRequired("parse_ohlcv needs the market")
        return unified.ohlcv(self, ohlcv, self.native_market(market))

    def parse_balance(self, response: dict[str, Balance]) -> Json:
        """A ccxt balance from O2 balances by symbol.

        ``free`` is ``total_unlocked`` (which already includes the trading account's
        balance), ``used`` is ``total_locked``, ``total`` their exact sum.

        Args:
            response: the client's balances, by symbol.

        Returns:
            The ccxt balance structure.
        """
        return unified.balance(self, response, self.asset_decimals())


__all__ = ["ExchangeMarkets"]
