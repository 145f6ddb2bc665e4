"""What the ``o2`` commands print: aligned tables for people, JSON for programs.

Pure functions of the SDK's models, no I/O. Chain integers become exact human decimals
through :meth:`~o2_core.Market.price_decimal` and :meth:`~o2_core.Market.quantity_decimal`;
nothing is rounded. Tables align numbers on their decimal point. JSON keeps both the
human value (decimal text, exact) and the chain integer (``*_chain``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Protocol

from o2_core import Balance, DepthLevel, Market, Order, Trade

#: Ask or bid levels shown by ``o2 depth`` unless told otherwise.
DEFAULT_LEVELS = 10


class Book(Protocol):
    """Both sides of a book, best level first (a ``DepthSnapshot`` or an ``OrderBook``)."""

    @property
    def bids(self) -> Sequence[DepthLevel]: ...  # pragma: no cover - protocol

    @property
    def asks(self) -> Sequence[DepthLevel]: ...  # pragma: no cover - protocol


# --- numbers and tables ---------------------------------------------------------------


def places(value: Decimal) -> int:
    """How many fractional digits ``value`` needs to be written exactly."""
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def exact(value: Decimal, min_places: int = 0) -> str:
    """``value`` written exactly, with at least ``min_places`` decimals."""
    return f"{value:.{max(min_places, places(value))}f}"


def number_column(values: Sequence[Decimal | None], min_places: int = 0) -> list[str]:
    """Each value written exactly with at least ``min_places`` decimals, the column
    aligned on the decimal point (``None`` is written ``-``)."""
    texts = ["-" if v is None else exact(v, min_places) for v in values]
    fraction = max((len(t.partition(".")[2]) + 1 for t in texts if "." in t), default=0)
    out = []
    for text in texts:
        whole, dot, frac = text.partition(".")
        out.append(whole + (dot + frac).ljust(fraction))
    return out


def table(
    headers: Sequence[str], columns: Sequence[Sequence[str]], right: Iterable[int] = ()
) -> list[str]:
    """Lines of a table: ``columns`` hold each column's cells; columns whose index is in
    ``right`` are right-aligned (numbers), the others left-aligned."""
    right = set(right)
    widths = [
        max([len(h), *(len(c) for c in col)]) for h, col in zip(headers, columns, strict=True)
    ]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rows = [line([col[r] for col in columns]) for r in range(len(columns[0]) if columns else 0)]
    return [line(headers), *rows]


def utc(timestamp_ms: int) -> str:
    """A millisecond unix timestamp as ``YYYY-MM-DD HH:MM:SS.mmm`` (UTC)."""
    moment = datetime.fromtimestamp(timestamp_ms / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{timestamp_ms % 1000:03d}"


def _side(text: str) -> str:
    return text.lower()


# --- markets --------------------------------------------------------------------------


def markets_table(markets: Sequence[Market]) -> list[str]:
    """``o2 markets``: one line per market."""
    return table(
        ["PAIR", "TICK", "MIN ORDER", "MAKER FEE", "TAKER FEE", "MARKET ID"],
        [
            [m.pair for m in markets],
            number_column([_tick(m) for m in markets]),
            [f"{m.price_decimal(m.min_order).normalize():f} {m.quote.symbol}" for m in markets],
            [f"{m.maker_fee:f}" for m in markets],
            [f"{m.taker_fee:f}" for m in markets],
            [str(m.market_id) for m in markets],
        ],
        right=[1, 2, 3, 4],
    )


def _tick(market: Market) -> Decimal:
    return Decimal(1).scaleb(-market.quote.max_precision)


def market_json(market: Market) -> dict[str, Any]:
    """One market for ``--json``."""
    return {
        "pair": market.pair,
        "market_id": str(market.market_id),
        "contract_id": str(market.contract_id),
        "base": _asset_json(market.base.symbol, str(market.base.asset), market.base.decimals,
                            market.base.max_precision),
        "quote": _asset_json(market.quote.symbol, str(market.quote.asset),
                             market.quote.decimals, market.quote.max_precision),
        "tick": str(_tick(market)),
        "min_order": str(market.price_decimal(market.min_order)),
        "min_order_chain": market.min_order,
        "maker_fee": str(market.maker_fee),
        "taker_fee": str(market.taker_fee),
    }


def _asset_json(symbol: str, asset_id: str, decimals: int, max_precision: int) -> dict[str, Any]:
    return {"symbol": symbol, "asset_id": asset_id, "decimals": decimals,
            "max_precision": max_precision}


# --- depth ----------------------------------------------------------------------------


def _edges(market: Market, book: Book) -> tuple[Decimal | None, Decimal | None]:
    """Spread and mid in human units (None when a side is empty)."""
    if not book.bids or not book.asks:
        return None, None
    bid, ask = book.bids[0].price, book.asks[0].price
    return market.price_decimal(ask - bid), market.price_decimal(bid + ask) / 2


def depth_lines(
    market: Market, book: Book, levels: int = DEFAULT_LEVELS, title: str = ""
) -> list[str]:
    """``o2 depth``: a ladder, the best ``levels`` asks above the best ``levels`` bids."""
    asks = list(reversed(book.asks[:levels]))
    bids = list(book.bids[:levels])
    head = f"{market.pair}  {len(book.bids)} bids · {len(book.asks)} asks"
    lines = [head + (f"  ({title})" if title else "")]
    if not asks and not bids:
        return [*lines, "  the book is empty"]
    rows = asks + bids
    prices = number_column(
        [market.price_decimal(lv.price) for lv in rows], market.quote.max_precision
    )
    quantities = number_column(
        [market.quantity_decimal(lv.quantity) for lv in rows], market.base.max_precision
    )
    sides = ["ask"] * len(asks) + ["bid"] * len(bids)
    body = table(
        ["", f"PRICE ({market.quote.symbol})", f"QUANTITY ({market.base.symbol})"],
        [sides, prices, quantities],
        right=[1, 2],
    )
    spread, mid = _edges(market, book)
    if spread is None or mid is None:
        middle = "  ---- one side is empty ----"
    else:
        tick = market.quote.max_precision
        middle = f"  ---- spread {exact(spread, tick)} · mid {exact(mid, tick)} ----"
    return [*lines, *("  " + b for b in body[: 1 + len(asks)]), middle,
            *("  " + b for b in body[1 + len(asks):])]


def _level_json(market: Market, level: DepthLevel) -> dict[str, Any]:
    return {
        "price": str(market.price_decimal(level.price)),
        "quantity": str(market.quantity_decimal(level.quantity)),
        "price_chain": level.price,
        "quantity_chain": level.quantity,
    }


def depth_json(
    market: Market, book: Book, levels: int = DEFAULT_LEVELS, precision: int = 1
) -> dict[str, Any]:
    """The book for ``--json``: best level first on both sides."""
    spread, mid = _edges(market, book)
    return {
        "pair": market.pair,
        "market_id": str(market.market_id),
        "precision": precision,
        "bids": [_level_json(market, lv) for lv in book.bids[:levels]],
        "asks": [_level_json(market, lv) for lv in book.asks[:levels]],
        "spread": None if spread is None else str(spread),
        "mid": None if mid is None else str(mid),
    }


# --- trades ---------------------------------------------------------------------------


def trades_table(market: Market, trades: Sequence[Trade]) -> list[str]:
    """``o2 trades``: most recent first; MAKER is the side of the resting order."""
    if not trades:
        return [f"{market.pair}: no trades yet"]
    return table(
        ["TIME (UTC)", "MAKER", f"PRICE ({market.quote.symbol})",
         f"QUANTITY ({market.base.symbol})", f"VALUE ({market.quote.symbol})"],
        [
            [utc(t.timestamp) for t in trades],
            [_side(t.side) for t in trades],
            number_column([market.price_decimal(t.price) for t in trades],
                          market.quote.max_precision),
            number_column([market.quantity_decimal(t.quantity) for t in trades],
                          market.base.max_precision),
            number_column([market.price_decimal(t.total) for t in trades], 2),
        ],
        right=[2, 3, 4],
    )


def trade_json(market: Market, trade: Trade) -> dict[str, Any]:
    """One trade for ``--json`` (``maker_side``: the side of the resting order)."""
    return {
        "trade_id": trade.trade_id,
        "timestamp_ms": trade.timestamp,
        "maker_side": _side(trade.side),
        "price": str(market.price_decimal(trade.price)),
        "quantity": str(market.quantity_decimal(trade.quantity)),
        "value": str(market.price_decimal(trade.total)),
        "price_chain": trade.price,
        "quantity_chain": trade.quantity,
        "value_chain": trade.total,
    }


# --- balances -------------------------------------------------------------------------


def _units(amount: int, decimals: int) -> Decimal:
    return Decimal(amount).scaleb(-decimals)


def balances_table(balances: dict[str, Balance], decimals: dict[str, int]) -> list[str]:
    """``o2 balances``: AVAILABLE can back new orders, LOCKED backs open orders."""
    symbols = list(balances)
    column = [
        number_column([_units(getattr(balances[s], f), decimals[s]) for s in symbols], 2)
        for f in ("available", "locked", "total")
    ]
    return table(["ASSET", "AVAILABLE", "LOCKED", "TOTAL"], [symbols, *column], right=[1, 2, 3])


def balance_json(symbol: str, balance: Balance, decimals: int) -> dict[str, Any]:
    """One asset's balance for ``--json``."""
    out: dict[str, Any] = {"asset": symbol}
    for field in ("available", "locked", "total"):
        amount = getattr(balance, field)
        out[field] = str(_units(amount, decimals))
        out[field + "_chain"] = amount
    return out


# --- orders ---------------------------------------------------------------------------


def order_status(order: Order) -> str:
    """``open``, ``partly filled`` (still open), ``filled``, ``cancelled`` or ``closed``."""
    if order.cancel:
        return "cancelled"
    if order.close:
        return "filled" if order.quantity_fill >= order.quantity else "closed"
    return "partly filled" if order.quantity_fill else "open"


def order_type_name(order: Order) -> str:
    """The order type's name (``Spot``, ``PostOnly``, ``Limit``...)."""
    kind = order.order_type
    if isinstance(kind, dict) and kind:
        return str(next(iter(kind)))
    return str(kind) if kind else "-"


def orders_table(market: Market, orders: Sequence[Order]) -> list[str]:
    """``o2 orders``: most recent first."""
    if not orders:
        return [f"{market.pair}: no orders"]
    return table(
        ["TIME (UTC)", "SIDE", "TYPE", f"PRICE ({market.quote.symbol})",
         f"QUANTITY ({market.base.symbol})", "FILLED", "STATUS", "ORDER ID"],
        [
            [utc(o.timestamp) for o in orders],
            [_side(o.side) for o in orders],
            [order_type_name(o) for o in orders],
            number_column([market.price_decimal(o.price) for o in orders],
                          market.quote.max_precision),
            number_column([market.quantity_decimal(o.quantity) for o in orders],
                          market.base.max_precision),
            number_column([market.quantity_decimal(o.quantity_fill) for o in orders],
                          market.base.max_precision),
            [order_status(o) for o in orders],
            [str(o.order_id) for o in orders],
        ],
        right=[3, 4, 5],
    )


def order_json(market: Market, order: Order) -> dict[str, Any]:
    """One order for ``--json``."""
    return {
        "order_id": str(order.order_id),
        "timestamp_ms": order.timestamp,
        "side": _side(order.side),
        "type": order_type_name(order),
        "status": order_status(order),
        "price": str(market.price_decimal(order.price)),
        "quantity": str(market.quantity_decimal(order.quantity)),
        "filled": str(market.quantity_decimal(order.quantity_fill)),
        "price_chain": order.price,
        "quantity_chain": order.quantity,
        "filled_chain": order.quantity_fill,
    }


__all__ = [
    "DEFAULT_LEVELS",
    "Book",
    "balance_json",
    "balances_table",
    "depth_json",
    "depth_lines",
    "exact",
    "market_json",
    "markets_table",
    "number_column",
    "order_json",
    "order_status",
    "order_type_name",
    "orders_table",
    "places",
    "table",
    "trade_json",
    "trades_table",
    "utc",
]
