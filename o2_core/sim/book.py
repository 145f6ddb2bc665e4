"""Order-book data structures and the undo log that makes a batch atomic.

A side of the book is a sorted list of prices plus a dict ``price -> Level``; a level
holds its orders in arrival order (a deque) and its live total. Cancelled orders are
left in their deque and skipped later (lazy deletion), so no operation scans a level.

Every mutation made while executing a batch goes through a :class:`Tx`, which records
how to undo it: a reverted batch is rolled back exactly, in reverse order.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import Account, MarketState


def _restore(d: dict[Any, Any], key: Any, old: Any) -> None:
    if old is None:
        d.pop(key, None)
    else:
        d[key] = old


class Tx:
    """One atomic unit of change: an undo log plus what to announce once committed."""

    __slots__ = (
        "created",
        "logs",
        "nonce_accounts",
        "now",
        "now_ms",
        "touched_balances",
        "touched_levels",
        "touched_orders",
        "trades",
        "undo",
    )

    def __init__(self, now: float) -> None:
        self.now = now
        self.now_ms = int(now * 1000)
        self.undo: list[tuple[Any, ...]] = []
        self.logs: list[str] = []
        self.trades: list[Trade] = []
        self.created: list[Order] = []
        self.touched_orders: dict[str, Order] = {}
        self.touched_balances: dict[tuple[str, str], Account] = {}
        self.touched_levels: dict[str, set[tuple[bool, int]]] = {}
        self.nonce_accounts: dict[str, Account] = {}

    def set(self, obj: Any, name: str, value: Any) -> None:
        """``setattr`` with undo."""
        self.undo.append((setattr, obj, name, getattr(obj, name)))
        setattr(obj, name, value)

    def add(self, d: dict[Any, int], key: Any, delta: int) -> None:
        """``d[key] += delta`` with undo (a missing key counts as 0)."""
        old = d.get(key)
        self.undo.append((_restore, d, key, old))
        d[key] = (old or 0) + delta

    def put(self, d: dict[Any, Any], key: Any, value: Any) -> None:
        """``d[key] = value`` with undo."""
        self.undo.append((_restore, d, key, d.get(key)))
        d[key] = value

    def on_undo(self, fn: Callable[..., Any], *args: Any) -> None:
        """Register ``fn(*args)`` as the undo of a change just made."""
        self.undo.append((fn, *args))

    def rollback(self) -> None:
        """Undo every recorded change, newest first."""
        for entry in reversed(self.undo):
            entry[0](*entry[1:])
        self.undo.clear()


class Order:
    """One order. ``remaining = quantity - filled``; ``locked`` is what it still holds."""

    __slots__ = (
        "account",
        "cancel",
        "close",
        "expiry",
        "fill_notional",
        "filled",
        "is_buy",
        "locked",
        "market",
        "order_id",
        "price",
        "quantity",
        "resting",
        "seq",
        "timestamp_ms",
        "type_name",
        "type_wire",
    )

    def __init__(
        self,
        order_id: str,
        seq: int,
        market: MarketState,
        account: Account,
        is_buy: bool,
        price: int,
        quantity: int,
        type_name: str,
        type_wire: Any,
        timestamp_ms: int,
        locked: int,
        expiry: int | None,
    ) -> None:
        self.order_id = order_id
        self.seq = seq
        self.market = market
        self.account = account
        self.is_buy = is_buy
        self.price = price
        self.quantity = quantity
        self.filled = 0
        self.fill_notional = 0
        self.type_name = type_name
        self.type_wire = type_wire
        self.timestamp_ms = timestamp_ms
        self.locked = locked
        self.expiry = expiry
        self.close = False
        self.cancel = False
        self.resting = False

    @property
    def remaining(self) -> int:
        """Quantity not yet filled."""
        return self.quantity - self.filled

    @property
    def side(self) -> str:
        """``"Buy"`` or ``"Sell"``."""
        return "Buy" if self.is_buy else "Sell"

    def __repr__(self) -> str:
        return (
            f"Order({self.order_id[:10]}.. {self.side} {self.remaining}/{self.quantity} "
            f"@ {self.price} {self.type_name}{' closed' if self.close else ''})"
        )


class Trade:
    """One fill between a resting (maker) order and an incoming (taker) order."""

    __slots__ = (
        "maker",
        "maker_order",
        "maker_side",
        "market",
        "price",
        "quantity",
        "seq",
        "taker",
        "taker_order",
        "timestamp_ms",
        "total",
        "trade_id",
    )

    def __init__(
        self,
        trade_id: str,
        seq: int,
        market: MarketState,
        price: int,
        quantity: int,
        total: int,
        timestamp_ms: int,
        maker_order: Order,
        taker_order: Order,
    ) -> None:
        self.trade_id = trade_id
        self.seq = seq
        self.market = market
        self.price = price
        self.quantity = quantity
        self.total = total
        self.timestamp_ms = timestamp_ms
        self.maker_order = maker_order
        self.taker_order = taker_order
        self.maker = maker_order.account
        self.taker = taker_order.account
        self.maker_side = maker_order.side


class Level:
    """All resting orders at one price, oldest first, and their live total."""

    __slots__ = ("orders", "price", "total")

    def __init__(self, price: int) -> None:
        self.price = price
        self.orders: deque[Order] = deque()
        self.total = 0


class BookSide:
    """One side of a book: prices ascending in ``prices``, levels by price."""

    __slots__ = ("is_bid", "levels", "prices")

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.prices: list[int] = []
        self.levels: dict[int, Level] = {}

    def best(self) -> int | None:
        """Best price: the highest bid or the lowest ask."""
        if not self.prices:
            return None
        return self.prices[-1] if self.is_bid else self.prices[0]

    def best_level(self) -> Level | None:
        """The level at the best price."""
        price = self.best()
        return None if price is None else self.levels[price]

    def in_priority(self) -> Iterator[Level]:
        """Levels from best to worst."""
        prices = reversed(self.prices) if self.is_bid else iter(self.prices)
        for price in prices:
            yield self.levels[price]

    def add(self, order: Order, tx: Tx) -> None:
        """Append ``order`` at its price (creating the level if needed)."""
        level = self.levels.get(order.price)
        if level is None:
            level = Level(order.price)
            index = bisect.bisect_left(self.prices, order.price)
            self.prices.insert(index, order.price)
            self.levels[order.price] = level
            tx.on_undo(self._unlink, level)
        level.orders.append(order)
        tx.on_undo(level.orders.pop)
        tx.set(level, "total", level.total + order.remaining)

    def _unlink(self, level: Level) -> None:
        index = bisect.bisect_left(self.prices, level.price)
        del self.prices[index]
        del self.levels[level.price]

    def _relink(self, level: Level) -> None:
        bisect.insort(self.prices, level.price)
        self.levels[level.price] = level

    def reduce(self, level: Level, quantity: int, tx: Tx) -> None:
        """Take ``quantity`` off a level's total; an emptied level leaves the book."""
        tx.set(level, "total", level.total - quantity)
        if level.total == 0:
            self._unlink(level)
            tx.on_undo(self._relink, level)

    def pop_head(self, level: Level, tx: Tx) -> None:
        """Drop the oldest order of a level (filled or dead)."""
        order = level.orders.popleft()
        tx.on_undo(level.orders.appendleft, order)

    def total_between(self, low: int, high: int) -> int:
        """Sum of level totals with ``low <= price <= high``."""
        lo = bisect.bisect_left(self.prices, low)
        hi = bisect.bisect_right(self.prices, high)
        levels = self.levels
        return sum(levels[p].total for p in self.prices[lo:hi])

    def depth(self, precision: int, limit: int | None = None) -> list[tuple[int, int]]:
        """(bucket price, quantity) from best to worst; bids floor, asks ceil."""
        out: list[tuple[int, int]] = []
        for level in self.in_priority():
            if self.is_bid:
                bucket = level.price - level.price % precision
            else:
                bucket = -(-level.price // precision) * precision
            if out and out[-1][0] == bucket:
                out[-1] = (bucket, out[-1][1] + level.total)
            else:
                if limit is not None and len(out) >= limit:
                    break
                out.append((bucket, level.total))
        return out

    def bucket_total(self, bucket: int, precision: int) -> int:
        """Total quantity in one depth bucket at ``precision``."""
        if self.is_bid:
            return self.total_between(bucket, bucket + precision - 1)
        return self.total_between(bucket - precision + 1, bucket)

    def bucket_of(self, price: int, precision: int) -> int:
        """The depth bucket a price falls in."""
        if self.is_bid:
            return price - price % precision
        return -(-price // precision) * precision


# --- JSON views ------------------------------------------------------------------


def order_json(order: Order) -> dict[str, Any]:
    """An order as the REST API and the orders stream show it."""
    filled = order.filled
    return {
        "order_id": order.order_id,
        "side": order.side,
        "order_type": order.type_wire,
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
