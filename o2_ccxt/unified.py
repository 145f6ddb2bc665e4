"""ccxt's unified structures of O2 values, finished by ccxt's own helpers.

Each function takes the fields :mod:`o2_ccxt.structures` builds (chain integers scaled
to exact decimal strings) and hands them to the ``safe_*`` / ``parse_*`` helpers of
``ex``, a ccxt exchange instance, which make the numbers and fill in what ccxt derives
(``cost``, ``remaining``, ``total`` ...). ``O2CCXT`` passes itself; the o2-sdk style
parser functions of :mod:`o2_ccxt.parsers` pass a plain ccxt exchange in O2CCXT's
precision mode. One path, so both give the same structures.

``native`` is always the client's ``Market`` of the structure's market: its decimals
scale every chain integer.
"""

from __future__ import annotations

from typing import Any, cast

from o2_core.market_models import Market, MarketTicker
from o2_core.models import Balance, Bar, DepthLevel, DepthSnapshot, Order, Trade

from . import structures

Json = dict[str, Any]


def market(ex: Any, native: Market) -> Json:
    """A ccxt market of an O2 ``Market``."""
    fields = structures.market_fields(native)
    cost = fields["limits"]["cost"]
    cost["min"] = ex.parse_number(cost["min"])
    return cast(Json, ex.safe_market_structure(fields))


def ticker(
    ex: Any,
    raw: MarketTicker,
    market: Json,
    native: Market,
    timestamp: int,
    top: tuple[DepthLevel | None, DepthLevel | None] | None = None,
) -> Json:
    """A ccxt ticker of an O2 ``MarketTicker`` (chain integers) at ``timestamp`` (ms)."""
    fields = structures.ticker_fields(raw, market["symbol"], native, timestamp, top)
    return cast(Json, ex.safe_ticker(fields, market))


def order_book(
    ex: Any, depth: DepthSnapshot, market: Json, native: Market, timestamp: int | None
) -> Json:
    """A ccxt order book of an O2 ``DepthSnapshot`` (``timestamp``: when it was received)."""
    sides = structures.depth_sides(depth, native)
    return cast(Json, ex.parse_order_book(sides, market["symbol"], timestamp))


def trade(ex: Any, raw: Trade, market: Json, native: Market, role: str | None) -> Json:
    """A ccxt trade of an O2 ``Trade`` (``role``: see :func:`structures.trade_fields`)."""
    fields = structures.trade_fields(raw, market["symbol"], native, role)
    return cast(Json, ex.safe_trade(fields, market))


def order(ex: Any, raw: Order, market: Json, native: Market) -> Json:
    """A ccxt order of an O2 ``Order``."""
    fields = structures.order_fields(raw, market["symbol"], native)
    return cast(Json, ex.safe_order(fields, market))


def ohlcv(ex: Any, bar: Bar, native: Market) -> list[Any]:
    """A ccxt candle ``[ms, open, high, low, close, base volume]`` of an O2 ``Bar``."""
    timestamp, values = structures.ohlcv_row(bar, native)
    return [timestamp, *(ex.parse_number(value) for value in values)]


def balance(ex: Any, balances: dict[str, Balance], decimals: dict[str, int]) -> Json:
    """A ccxt balance of O2 balances by currency code (``decimals`` by code)."""
    return cast(Json, ex.safe_balance(structures.balance_fields(balances, decimals)))


__all__ = ["balance", "market", "ohlcv", "order", "order_book", "ticker", "trade"]
