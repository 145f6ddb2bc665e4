"""o2-sdk 0.5.0's ccxt parser functions (``o2_sdk.ccxt.parsers``), over our conversions.

The same names and parameters as o2-sdk's, each building its structure the way
``O2CCXT`` does (:mod:`o2_ccxt.unified`), so a standalone call and the exchange's
method agree. What they take is the client's models: chain integers are scaled by the
market's decimals, as everywhere in this package. Where that differs from o2-sdk 0.5.0:

- :func:`parse_ticker` reads the ticker's values as chain integers (our client's
  ``MarketTicker``, PROTOCOL.md §5); o2-sdk reads them as human decimals.
- :func:`parse_ohlcv` takes an optional ``market``: with it the candle is scaled by its
  decimals; without it (o2-sdk's call) the values are the bar's own numbers, as o2-sdk
  gives them. Our ``Bar`` holds chain integers and ``buy_volume + sell_volume``.
- :func:`timestamp_ms` gives None for 0 (an unknown time), o2-sdk 0.
- :func:`json_compatible` is the adapter's ``info`` conversion (msgspec's builtins).

The ccxt market structures they take are ``O2CCXT``'s (or :func:`parse_market`'s): the
client's market is rebuilt from ``market["info"]`` (:func:`native_market`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import ccxt.async_support as ccxt

from o2_core.market_models import Market, MarketTicker
from o2_core.models import Balance, Bar, DepthSnapshot, Order, Trade

from . import unified
from .parse import TIMEFRAMES, number_or_none, timestamp_ms, to_info
from .types import CCXTObject

#: ccxt timeframe -> milliseconds (o2-sdk's name for :data:`o2_ccxt.parse.TIMEFRAMES`).
CCXT_TIMEFRAMES: dict[str, int] = TIMEFRAMES

#: A JSON-compatible copy of an O2 value (o2-sdk's name for the adapter's ``info``).
json_compatible = to_info

_ROLES = ("maker", "taker", "both")


@cache
def _ccxt() -> Any:
    """A plain ccxt exchange in O2CCXT's precision mode: its helpers make the numbers.

    It never opens a connection (nothing here sends a request).
    """
    return ccxt.Exchange({"precisionMode": ccxt.DECIMAL_PLACES})


def native_market(market: Mapping[str, Any]) -> Market:
    """The client's ``Market`` behind a ccxt market structure (from its ``info``)."""
    info = market["info"]
    return info if isinstance(info, Market) else Market.from_dict(dict(info))


def parse_market(market: Market) -> CCXTObject:
    """A ccxt market of an O2 ``Market`` (``limits.cost.min`` is the minimum order)."""
    return unified.market(_ccxt(), market)


def parse_order_book(
    depth: DepthSnapshot, market: Mapping[str, Any], timestamp: int | None = None
) -> CCXTObject:
    """A ccxt order book of an O2 ``DepthSnapshot`` (``timestamp``: when received, ms)."""
    ccxt_market = dict(market)
    return unified.order_book(_ccxt(), depth, ccxt_market, native_market(market), timestamp)


def parse_trade(
    trade: Trade, market: Mapping[str, Any], account_relative: bool = False
) -> CCXTObject:
    """A ccxt trade of an O2 ``Trade``.

    Public (default): shown from the taker's side (O2 reports the maker's). With
    ``account_relative``, from the account's side by the trade's ``trader_side``; a
    self-trade (``"both"``) has no side.
    """
    role = trade.trader_side if account_relative and trade.trader_side in _ROLES else None
    ccxt_market = dict(market)
    return unified.trade(_ccxt(), trade, ccxt_market, native_market(market), role)


def parse_ticker(
    ticker: Mapping[str, Any], market: Mapping[str, Any], timestamp: int
) -> CCXTObject:
    """A ccxt ticker of an O2 ticker reply (its values chain integers) at ``timestamp``."""
    raw = ticker if isinstance(ticker, MarketTicker) else MarketTicker(ticker)
    ccxt_market = dict(market)
    return unified.ticker(_ccxt(), raw, ccxt_market, native_market(market), timestamp)


def parse_ohlcv(bar: Bar, market: Mapping[str, Any] | None = None) -> list[float | int]:
    """A ccxt candle ``[ms, open, high, low, close, volume]`` of an O2 ``Bar``.

    With ``market``, scaled by its decimals (as ``O2CCXT.fetch_ohlcv``); without it,
    the bar's own numbers.
    """
    if market is not None:
        return unified.ohlcv(_ccxt(), bar, native_market(market))
    values = (bar.open, bar.high, bar.low, bar.close, bar.volume)
    return [timestamp_ms(bar.timestamp) or 0, *(float(value) for value in values)]


def parse_balance(balances: Mapping[str, Balance], decimals: Mapping[str, int]) -> CCXTObject:
    """A ccxt balance of O2 balances by currency code (``decimals`` by code; unknown: 0).

    ``free`` is ``total_unlocked``, ``used`` ``total_locked``, ``total`` their sum.
    """
    return unified.balance(_ccxt(), dict(balances), dict(decimals))


def parse_order(order: Order, market: Mapping[str, Any]) -> CCXTObject:
    """A ccxt order of an O2 ``Order``."""
    ccxt_market = dict(market)
    return unified.order(_ccxt(), order, ccxt_market, native_market(market))


__all__ = [
    "CCXT_TIMEFRAMES",
    "json_compatible",
    "native_market",
    "number_or_none",
    "parse_balance",
    "parse_market",
    "parse_ohlcv",
    "parse_order",
    "parse_order_book",
    "parse_ticker",
    "parse_trade",
    "timestamp_ms",
]
