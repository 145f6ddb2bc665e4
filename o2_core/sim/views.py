"""JSON views of the engine's values, shared by the REST and WebSocket layers.

Chain integers are rendered as decimal strings (PROTOCOL.md §5); ids as ``0x`` hex.
Each function returns plain data for a JSON encoder; none of them changes anything.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .commands import OrderTypeSpec
from .config import SimConfig
from .nonces import LaneWindow
from .state import Account, MarketState, Order, Trade
from .summaries import Balance, Ticker


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


def order_type_json(spec: OrderTypeSpec) -> Any:
    """An order type as the wire shows it (``"Spot"``, ``{"Limit": [price, ts]}``, ...)."""
    name, first, second = spec
    if name == "Limit":
        return {"Limit": [str(first), str(second)]}
    if name == "BoundedMarket":
        return {"BoundedMarket": {"max_price": str(first), "min_price": str(second)}}
    return name


def order_json(order: Order) -> dict[str, Any]:
    """An order as the REST API and the orders stream show it."""
    filled = order.filled
    return {
        "order_id": order.order_id,
        "side": order.side,
        "order_type": order_type_json(order.order_type),
        "quantity": str(order.quantity),
        "quantity_fill": str(filled),
        "price": str(order.price),
        "price_fill": str(order.fill_notional // filled if filled else 0),
        "timestamp": str(order.timestamp_ms),
        "close": order.close,
        "partially_filled": 0 < filled < order.quantity,
        "cancel": order.cancel,
        "market_id": order.market.market_id,
        "account": order.account.identity,
        "owner": order.account.identity,
    }


def trade_json(trade: Trade, viewer: Account | None = None) -> dict[str, Any]:
    """A trade; ``trader_side`` is added when seen from ``viewer``'s account."""
    out: dict[str, Any] = {
        "trade_id": trade.trade_id,
        "side": trade.maker_side,
        "total": str(trade.total),
        "quantity": str(trade.quantity),
        "price": str(trade.price),
        "timestamp": trade.timestamp_ms,
        "maker": trade.maker.identity,
        "taker": trade.taker.identity,
        "market_id": trade.market.market_id,
    }
    if viewer is not None:
        maker, taker = trade.maker is viewer, trade.taker is viewer
        out["trader_side"] = "both" if maker and taker else "maker" if maker else "taker"
    return out


def market_json(market: MarketState) -> dict[str, Any]:
    """A market as ``GET /v1/markets`` lists it."""
    cfg = market.cfg
    return {
        "contract_id": cfg.contract_id,
        "market_id": cfg.market_id,
        "maker_fee": cfg.maker_fee,
        "taker_fee": cfg.taker_fee,
        "min_order": str(cfg.min_order),
        "dust": str(cfg.dust),
        "price_window": cfg.price_window,
        "base": {
            "symbol": market.base.symbol,
            "asset": market.base.asset_id,
            "decimals": market.base.decimals,
            "max_precision": cfg.base_max_precision,
        },
        "quote": {
            "symbol": market.quote.symbol,
            "asset": market.quote.asset_id,
            "decimals": market.quote.decimals,
            "max_precision": cfg.quote_max_precision,
        },
    }


def markets_json(config: SimConfig, markets: list[MarketState]) -> dict[str, Any]:
    """The ``GET /v1/markets`` reply."""
    return {
        "books_registry_id": config.books_registry_id,
        "accounts_registry_id": config.accounts_registry_id,
        "trade_account_oracle_id": config.trade_account_oracle_id,
        "chain_id": f"0x{config.chain_id:016x}",
        "base_asset_id": config.base_asset_id,
        "markets": [market_json(market) for market in markets],
    }


def account_json(account: Account | None) -> dict[str, Any]:
    """The ``GET /v1/accounts`` reply for an account (or none)."""
    if account is None:
        return {"trade_account_id": None, "trade_account": None, "session": None}
    session = account.session
    owner_kind = "ContractId" if account.owner_is_contract else "Address"
    return {
        "trade_account_id": account.trade_account_id,
        "trade_account": {
            "last_modification": account.last_modification,
            "nonce": str(account.nonce),
            "owner": {owner_kind: account.owner},
            "synced_with_network": True,
        },
        "session": None
        if session is None
        else {
            "session_id": {"Address": session.address},
            "expiry": str(session.expiry),
            "contract_ids": list(session.contract_ids),
        },
    }


def window_json(lane: int, window: LaneWindow) -> dict[str, Any]:
    """The ``GET /v1/accounts/window`` reply (PROTOCOL_V05 §1.3): decimal strings, the
    slots indexed by ``word % 8`` (a fresh lane lists none; a slot may hold an older word)."""
    return {
        "nonce_session_id": str(lane),
        "base": str(window.base),
        "slots": [
            {"word_position": str(word), "bitmap": str(bitmap)}
            for word, bitmap in window.shown_slots()
        ],
    }


def balance_json(balance: Balance) -> dict[str, Any]:
    """The ``GET /v1/balance`` reply (also the body of a balances frame entry)."""
    return {
        "trading_account_balance": str(balance.trading),
        "total_locked": str(balance.total_locked),
        "total_unlocked": str(balance.total_unlocked),
        "order_books": {
            book.contract_id: {
                "locked": str(book.locked),
                "unlocked": str(book.unlocked),
                "fee": str(book.fee),
            }
            for book in balance.books
        },
    }


def levels_json(levels: list[tuple[int, int]]) -> list[dict[str, str]]:
    """Depth levels ``[{"price", "quantity"}]``."""
    return [{"price": str(price), "quantity": str(quantity)} for price, quantity in levels]


def depth_json(
    depth: tuple[list[tuple[int, int]], list[tuple[int, int]]],
) -> dict[str, list[dict[str, str]]]:
    """Both sides of a book: ``{"buys": [...], "sells": [...]}``."""
    buys, sells = depth
    return {"buys": levels_json(buys), "sells": levels_json(sells)}


def ticker_json(tick: Ticker) -> dict[str, Any]:
    """24-hour statistics of a market (chain integers as strings, null = no data).

    Both readers' names in one object: the live API's (``last_price``, ``best_bid``,
    ``best_ask``, ``base_volume``, ``quote_volume``: o2-sdk 0.5.0's tests and ccxt parser)
    and PROTOCOL.md's (``last``, ``bid``, ``ask``, ``high``, ``low``, ``open``, ...).
    """
    out: dict[str, Any] = {
        "market_id": tick.market.market_id,
        "last_price": _text(tick.last),
        "best_bid": _text(tick.bid),
        "best_ask": _text(tick.ask),
        "bid": _text(tick.bid),
        "bid_volume": _text(tick.bid_volume),
        "ask": _text(tick.ask),
        "ask_volume": _text(tick.ask_volume),
        "last": _text(tick.last),
        "timestamp": tick.now_ms,
        "previous_close": _text(tick.previous_close),
    }
    if tick.open is not None and tick.close is not None:
        first, last = tick.open, tick.close
        out.update(
            high=_text(tick.high),
            low=_text(tick.low),
            open=str(first),
            close=str(last),
            change=str(last - first),
            percentage=str((Decimal(last - first) * 100 / first).quantize(Decimal("0.01"))),
            average=str((Decimal(first + last) / 2).normalize()),
            base_volume=str(tick.base_volume),
            quote_volume=str(tick.quote_volume),
        )
    else:
        for name in ("high", "low", "open", "close", "change", "percentage", "average"):
            out[name] = None
        out["base_volume"] = "0"
        out["quote_volume"] = "0"
    return out


def live_ticker_json(tick: Ticker) -> list[dict[str, Any]]:
    """The ``GET /v1/markets/ticker`` reply: a one-item list, as the live API answers
    (PROTOCOL_V05 §4; o2-sdk 0.5.0 takes ``data[0]``)."""
    return [ticker_json(tick)]


def summary_json(tick: Ticker) -> dict[str, Any]:
    """The ``GET /v1/markets/summary`` reply."""
    full = ticker_json(tick)
    return {
        "market_id": full["market_id"],
        "high_price": full["high"],
        "low_price": full["low"],
        "last_price": full["last"],
        "volume_24h": full["base_volume"],
        "change_24h": full["percentage"],
    }


def bars_json(trades: list[Trade], step_ms: int) -> list[dict[str, Any]]:
    """OHLC bars of ``step_ms`` over trades (oldest first); empty buckets are left out."""
    bars: dict[int, list[int]] = {}
    for trade in trades:
        bucket = trade.timestamp_ms - trade.timestamp_ms % step_ms
        bar = bars.get(bucket)
        price = trade.price
        if bar is None:
            bars[bucket] = bar = [price, price, price, price, 0, 0]
        else:
            bar[1] = max(bar[1], price)
            bar[2] = min(bar[2], price)
            bar[3] = price
        bar[4 if trade.maker_side == "Sell" else 5] += trade.quantity
    return [
        {
            "open": str(bar[0]),
            "high": str(bar[1]),
            "low": str(bar[2]),
            "close": str(bar[3]),
            "buy_volume": str(bar[4]),
            "sell_volume": str(bar[5]),
            "timestamp": timestamp,
        }
        for timestamp, bar in sorted(bars.items())
    ]


# --- aggregated (CoinGecko/CMC style, human units) ----------------------------------


def human(value: int | None, decimals: int) -> str | None:
    """A chain integer in human units (``1500000``, 6 -> ``"1.5"``)."""
    if value is None:
        return None
    return format(Decimal(value).scaleb(-decimals).normalize(), "f")


def pair_name(market: MarketState) -> str:
    """``BASE_QUOTE`` of the aggregated endpoints."""
    return f"{market.base.symbol}_{market.quote.symbol}"


def aggregated_entry(tick: Ticker) -> dict[str, Any]:
    """One market of ``/v1/aggregated/summary`` and ``/ticker``."""
    market = tick.market
    qd, bd = market.quote.decimals, market.base.decimals
    full = ticker_json(tick)

    def price(key: str) -> str | None:
        value = full[key]
        return None if value is None else human(int(value), qd)

    return {
        "ticker_id": pair_name(market),
        "trading_pairs": pair_name(market),
        "base_currency": market.base.symbol,
        "quote_currency": market.quote.symbol,
        "target_currency": market.quote.symbol,
        "last_price": price("last"),
        "bid": price("bid"),
        "ask": price("ask"),
        "highest_bid": price("bid"),
        "lowest_ask": price("ask"),
        "high": price("high"),
        "low": price("low"),
        "highest_price_24h": price("high"),
        "lowest_price_24h": price("low"),
        "base_volume": human(tick.base_volume, bd),
        "quote_volume": human(tick.quote_volume, qd),
        "target_volume": human(tick.quote_volume, qd),
        "price_change_percent_24h": full["percentage"],
    }


def aggregated_book(
    market: MarketState,
    depth: tuple[list[tuple[int, int]], list[tuple[int, int]]],
    now_ms: int,
) -> dict[str, Any]:
    """The ``/v1/aggregated/orderbook`` reply (human units)."""
    qd, bd = market.quote.decimals, market.base.decimals

    def side(levels: list[tuple[int, int]]) -> list[list[str | None]]:
        return [[human(price, qd), human(quantity, bd)] for price, quantity in levels]

    buys, sells = depth
    return {
        "ticker_id": pair_name(market),
        "timestamp": now_ms,
        "bids": side(buys),
        "asks": side(sells),
    }
