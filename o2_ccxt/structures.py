"""Pure builders of ccxt's unified structures from the client's models.

Each function returns the fields of one ccxt structure (market, ticker, order book
sides, trade, order, candle, balance, withdrawal) with chain integers scaled to exact
decimal strings; the exchange then hands them to ccxt's ``safe_*`` helpers, which make
the numbers. Nothing here touches a network or an exchange instance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ccxt.base.exchange import Exchange

from o2_core.market_models import Market, MarketTicker
from o2_core.models import Balance, Bar, DepthLevel, DepthSnapshot, Order, Trade, WithdrawResponse

from .parse import order_type_info, timestamp_ms, to_info, trade_side, units

Json = dict[str, Any]

#: ``YYYY-MM-DDTHH:MM:SS.mmmZ`` of a millisecond timestamp (None for None), as ccxt writes it.
iso8601 = Exchange.iso8601


def market_fields(market: Market) -> Json:
    """A ccxt market of an O2 ``Market``; ``limits.cost.min`` (the minimum order) is an
    exact decimal string, left for the exchange to make a number."""
    min_cost = units(market.min_order, market.quote.decimals) if market.min_order else None
    return {
        "id": str(market.market_id),
        "symbol": market.pair,
        "base": market.base.symbol,
        "quote": market.quote.symbol,
        "baseId": str(market.base.asset),
        "quoteId": str(market.quote.asset),
        "type": "spot",
        "spot": True,
        "margin": False,
        "swap": False,
        "future": False,
        "option": False,
        "contract": False,
        "active": True,
        "maker": float(market.maker_fee),
        "taker": float(market.taker_fee),
        "percentage": True,
        "tierBased": False,
        "precision": {
            "amount": market.base.max_precision,
            "price": market.quote.max_precision,
        },
        "limits": {
            "leverage": {"min": None, "max": None},
            "amount": {"min": None, "max": None},
            "price": {"min": None, "max": None},
            "cost": {"min": min_cost, "max": None},
        },
        "marginModes": {"cross": False, "isolated": False},
        "created": None,
        "info": to_info(market),
    }


def ticker_fields(
    ticker: MarketTicker,
    symbol: str,
    native: Market,
    timestamp: int,
    top: tuple[DepthLevel | None, DepthLevel | None] | None = None,
) -> Json:
    """A ccxt ticker of an O2 ``MarketTicker`` of ``native`` at ``timestamp`` (ms).

    ``top`` (best bid, best ask of a live book) overrides the ticker's bid/ask.
    """
    qd, bd = native.quote.decimals, native.base.decimals
    bid, bid_volume = ticker.bid, ticker.bid_volume
    ask, ask_volume = ticker.ask, ticker.ask_volume
    if top is not None:
        best_bid, best_ask = top
        bid, bid_volume = (best_bid.price, best_bid.quantity) if best_bid else (None, None)
        ask, ask_volume = (best_ask.price, best_ask.quantity) if best_ask else (None, None)
    return {
        "symbol": symbol,
        "timestamp": timestamp,
        "datetime": iso8601(timestamp),
        "high": units(ticker.high, qd),
        "low": units(ticker.low, qd),
        "bid": units(bid, qd),
        "bidVolume": units(bid_volume, bd),
        "ask": units(ask, qd),
        "askVolume": units(ask_volume, bd),
        "vwap": None,
        "open": units(ticker.open, qd),
        "close": units(ticker.close if ticker.close is not None else ticker.last, qd),
        "last": units(ticker.last, qd),
        "previousClose": units(ticker.previous_close, qd),
        "change": units(ticker.change, qd),
        "percentage": None if ticker.percentage is None else str(ticker.percentage),
        "average": units(ticker.average, qd),
        "baseVolume": units(ticker.base_volume, bd),
        "quoteVolume": units(ticker.quote_volume, qd),
        "info": to_info(ticker),
    }


def depth_sides(depth: DepthSnapshot, native: Market) -> Json:
    """``{"bids": [[price, amount], ...], "asks": [...]}`` of an O2 ``DepthSnapshot``."""
    qd, bd = native.quote.decimals, native.base.decimals

    def side(levels: Sequence[DepthLevel]) -> list[list[str | None]]:
        return [[units(lv.price, qd), units(lv.quantity, bd)] for lv in levels]

    return {"bids": side(depth.bids), "asks": side(depth.asks)}


def trade_fields(trade: Trade, symbol: str, native: Market, role: str | None = None) -> Json:
    """A ccxt trade of an O2 ``Trade`` of ``native``.

    ``role``: for an account's trade, ``"maker"``, ``"taker"`` or ``"both"``; None for a
    public trade (shown from the taker's side). O2 reports the maker's side.
    """
    side, taker_or_maker = trade_side(trade, role)
    timestamp = timestamp_ms(trade.timestamp)
    return {
        "id": trade.trade_id,
        "timestamp": timestamp,
        "datetime": iso8601(timestamp),
        "symbol": symbol,
        "order": None,
        "type": None,
        "side": side,
        "takerOrMaker": taker_or_maker,
        "price": units(trade.price, native.quote.decimals),
        "amount": units(trade.quantity, native.base.decimals),
        "cost": None,
        "fee": None,
        "info": to_info(trade),
    }


def order_fields(order: Order, symbol: str, native: Market) -> Json:
    """A ccxt order of an O2 ``Order`` of ``native``."""
    qd, bd = native.quote.decimals, native.base.decimals
    order_type, time_in_force, post_only = order_type_info(order.order_type)
    filled = min(order.quantity_fill, order.quantity) if order.quantity else 0
    timestamp = timestamp_ms(order.timestamp)
    status = "canceled" if order.cancel else "closed" if order.close else "open"
    return {
        "id": str(order.order_id),
        "clientOrderId": None,
        "timestamp": timestamp,
        "datetime": iso8601(timestamp),
        "lastTradeTimestamp": None,
        "lastUpdateTimestamp": None,
        "symbol": symbol,
        "type": order_type,
        "timeInForce": time_in_force,
        "postOnly": post_only,
        "reduceOnly": False,
        "side": order.side.lower() or None,
        "price": units(order.price, qd),
        "triggerPrice": None,
        "amount": units(order.quantity, bd),
        "filled": units(filled, bd),
        "remaining": units(order.quantity - filled, bd),
        "cost": None,
        "average": units(order.price_fill, qd) if order.price_fill else None,
        "status": status,
        "fee": None,
        "trades": None,
        "info": to_info(order),
    }


def ohlcv_row(bar: Bar, native: Market) -> tuple[int, list[str | None]]:
    """``(ms, [open, high, low, close, base volume])`` of an O2 ``Bar``, the values as
    exact decimal strings."""
    qd, bd = native.quote.decimals, native.base.decimals
    prices = [units(value, qd) for value in (bar.open, bar.high, bar.low, bar.close)]
    return timestamp_ms(bar.timestamp) or 0, [*prices, units(bar.volume, bd)]


def asset_decimals(markets: Iterable[Market]) -> dict[str, int]:
    """Decimals of every asset of ``markets``, by currency code (the first market
    naming a code decides)."""
    out: dict[str, int] = {}
    for native in markets:
        for asset in (native.base, native.quote):
            out.setdefault(asset.symbol, asset.decimals)
    return out


def asset_codes(markets: Iterable[Market]) -> dict[str, str]:
    """Currency codes of every asset of ``markets``, by asset id."""
    out: dict[str, str] = {}
    for native in markets:
        for asset in (native.base, native.quote):
            out.setdefault(str(asset.asset), asset.symbol)
    return out


def balance_fields(balances: dict[str, Balance], decimals: dict[str, int]) -> Json:
    """A ccxt balance of O2 balances by currency code (``decimals`` by code; an unknown
    code is taken as 0 decimals).

    ``free`` is ``total_unlocked`` (which already includes the trading account's
    balance), ``used`` is ``total_locked``; ccxt's ``safe_balance`` adds ``total``.
    """
    result: Json = {"info": to_info(balances), "timestamp": None, "datetime": None}
    for code, balance in balances.items():
        scale = decimals.get(code, 0)
        result[code] = {
            "free": units(balance.total_unlocked, scale),
            "used": units(balance.total_locked, scale),
            "total": None,
        }
    return result


def withdrawal_fields(
    response: WithdrawResponse,
    code: str,
    amount: Any,
    address: str | None,
    tag: str | None,
    timestamp: int,
) -> Json:
    """A ccxt withdrawal transaction of the client's withdrawal reply, pending.

    ``amount`` is put as given (the exchange passes the number it shows);
    ``timestamp`` (ms) is when the reply arrived.
    """
    txid = str(response.tx_id) if response.tx_id else None
    return {
        "info": to_info(response),
        "id": txid,
        "txid": txid,
        "timestamp": timestamp,
        "datetime": iso8601(timestamp),
        "network": None,
        "address": address,
        "addressFrom": None,
        "addressTo": address,
        "tag": tag,
        "tagFrom": None,
        "tagTo": tag,
        "type": "withdrawal",
        "amount": amount,
        "currency": code,
        "status": "pending",
        "updated": None,
        "fee": None,
        "comment": None,
        "internal": False,
    }


def recent(items: list[Json], since: int | None, count: int) -> list[Json]:
    """The last ``count`` of ``items`` (each market's newest first, as O2 lists them)
    from ``since``, oldest first; equal timestamps keep the exchange's order."""
    kept = [x for x in reversed(items) if since is None or (x["timestamp"] or 0) >= since]
    kept.sort(key=lambda x: x["timestamp"] or 0)
    return kept[-count:]


__all__ = [
    "asset_codes",
    "asset_decimals",
    "balance_fields",
    "depth_sides",
    "iso8601",
    "market_fields",
    "ohlcv_row",
    "order_fields",
    "recent",
    "ticker_fields",
    "trade_fields",
    "withdrawal_fields",
]
