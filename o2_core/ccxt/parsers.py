"""o2-sdk's ``o2_sdk.ccxt.parsers``: the parser functions of :mod:`o2_ccxt.parsers`
(o2-sdk's names and parameters, our conversions; see there for what differs)."""

from __future__ import annotations

from o2_ccxt.parsers import (
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
