"""A local order book kept from the depth stream (PROTOCOL.md §6).

A snapshot replaces the book; in an update each level carries the NEW TOTAL quantity at
its price, and 0 removes the level. Each side is a ``price -> quantity`` dict plus a
sorted price list maintained with :mod:`bisect`, so reads never re-sort.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Literal

from .errors import InvalidInput
from .models import DepthLevel, DepthUpdate, Id, OrderSide

BookSide = Literal["bids", "asks"]


@dataclass(frozen=True)
class Fill:
    """What walking the book for ``requested`` would take.

    ``levels`` are the levels used, the last one possibly partly (its ``quantity`` is the
    part taken); ``notional`` is ``sum(price * quantity)``; ``complete`` is False when the
    book holds less than ``requested``.
    """

    requested: int
    filled: int
    notional: int
    levels: list[DepthLevel]

    @property
    def complete(self) -> bool:
        """True when the whole requested quantity is available."""
        return self.filled == self.requested

    @property
    def average_price(self) -> Decimal | None:
        """``notional / filled`` in chain price units (None when nothing fills).

        Exact whenever the quotient has at most 60 significant digits.
        """
        if not self.filled:
            return None
        with localcontext() as ctx:
            ctx.prec = 60
            return (Decimal(self.notional) / Decimal(self.filled)).normalize()


class _Side:
    """One side: quantities by price and the prices in ascending order."""

    __slots__ = ("_cache", "descending", "prices", "qty")

    def __init__(self, descending: bool) -> None:
        self.descending = descending
        self.qty: dict[int, int] = {}
        self.prices: list[int] = []
        self._cache: list[DepthLevel] | None = None

    def replace(self, levels: Sequence[DepthLevel]) -> None:
        qty = {lv.price: lv.quantity for lv in levels}  # the last level of a price wins
        self.qty = {p: q for p, q in qty.items() if q}
        self.prices = sorted(self.qty)
        self._cache = None

    def update(self, levels: Sequence[DepthLevel]) -> None:
        qty, prices = self.qty, self.prices
        for lv in levels:
            price, quantity = lv.price, lv.quantity
            if quantity:
                if price not in qty:
                    insort(prices, price)
                qty[price] = quantity
            elif price in qty:
                del qty[price]
                del prices[bisect_left(prices, price)]
        if levels:
            self._cache = None

    def best(self) -> DepthLevel | None:
        if not self.prices:
            return None
        price = self.prices[-1] if self.descending else self.prices[0]
        return DepthLevel(price, self.qty[price])

    def levels(self) -> list[DepthLevel]:
        if self._cache is None:
            qty = self.qty
            order = reversed(self.prices) if self.descending else self.prices
            self._cache = [DepthLevel(p, qty[p]) for p in order]
        return self._cache


def _check(levels: Sequence[DepthLevel], what: str) -> None:
    for lv in levels:
        price, quantity = lv.price, lv.quantity
        if type(price) is not int or type(quantity) is not int or price <= 0 or quantity < 0:
            raise InvalidInput(
                f"{what} level must have integer price > 0 and quantity >= 0, got {lv!r}"
            )


class OrderBook:
    """The book of one market from depth snapshots and absolute-level updates.

    Until the first snapshot, and after :meth:`invalidate`, updates are ignored (and
    counted in ``ignored_updates``): only a snapshot makes the book valid again.
    """

    def __init__(self, market_id: str | None = None) -> None:
        self.market_id = Id(market_id) if market_id is not None else None
        self._bids = _Side(descending=True)
        self._asks = _Side(descending=False)
        self.snapshot_count = 0
        self.update_count = 0
        self.ignored_updates = 0
        self.needs_snapshot = True

    def apply(self, update: DepthUpdate) -> bool:
        """Apply a snapshot or an update atomically; False when the update was ignored.

        Raises :class:`~o2_core.errors.InvalidInput` (book untouched) for another
        market's update or a level with a non-integer or negative price or quantity.
        """
        if self.market_id is not None and update.market_id != self.market_id:
            raise InvalidInput(
                f"depth update of market {update.market_id} applied to the book of "
                f"market {self.market_id}"
            )
        bids, asks = update.changes.bids, update.changes.asks
        _check(bids, "bid")
        _check(asks, "ask")
        if update.is_snapshot:
            self._bids.replace(bids)
            self._asks.replace(asks)
            self.snapshot_count += 1
            self.needs_snapshot = False
            return True
        if self.needs_snapshot:
            self.ignored_updates += 1
            return False
        self._bids.update(bids)
        self._asks.update(asks)
        self.update_count += 1
        return True

    def invalidate(self) -> None:
        """Mark the book stale (updates were lost): wait for the next snapshot."""
        self.needs_snapshot = True

    @property
    def bids(self) -> list[DepthLevel]:
        """Bid levels, best (highest price) first. Do not mutate the returned list."""
        return self._bids.levels()

    @property
    def asks(self) -> list[DepthLevel]:
        """Ask levels, best (lowest price) first. Do not mutate the returned list."""
        return self._asks.levels()

    @property
    def best_bid(self) -> DepthLevel | None:
        """The highest bid, if any."""
        return self._bids.best()

    @property
    def best_ask(self) -> DepthLevel | None:
        """The lowest ask, if any."""
        return self._asks.best()

    @property
    def spread(self) -> int | None:
        """Best ask minus best bid (negative when crossed); None when a side is empty."""
        if not self._bids.prices or not self._asks.prices:
            return None
        return self._asks.prices[0] - self._bids.prices[-1]

    @property
    def mid(self) -> Decimal | None:
        """The exact midpoint of best bid and best ask, None when a side is empty."""
        if not self._bids.prices or not self._asks.prices:
            return None
        total = self._asks.prices[0] + self._bids.prices[-1]
        return Decimal(total // 2) if total % 2 == 0 else Decimal(f"{total // 2}.5")

    @property
    def is_crossed(self) -> bool:
        """True when the best bid is at or above the best ask."""
        spread = self.spread
        return spread is not None and spread <= 0

    def quantity_at(self, side: BookSide, price: int) -> int:
        """The quantity resting at ``price`` on ``side`` (0 when none)."""
        return self._side(side).qty.get(price, 0)

    def depth(self, side: BookSide, size: int) -> list[DepthLevel]:
        """The best ``size`` levels of ``side`` (``"bids"`` or ``"asks"``)."""
        if size < 0:
            raise InvalidInput(f"depth size must be >= 0, got {size}")
        return self._side(side).levels()[:size]

    def levels_to_fill(self, side: OrderSide | str, quantity: int) -> Fill:
        """The levels an order of ``side`` (YOUR side: a buy takes asks) would consume."""
        if isinstance(side, str):
            try:
                side = OrderSide(side.capitalize())
            except ValueError:
                raise InvalidInput(f"side must be 'buy' or 'sell', got {side!r}") from None
        if type(quantity) is not int or quantity <= 0:
            raise InvalidInput(f"quantity must be a positive integer, got {quantity!r}")
        book = self._asks if side is OrderSide.BUY else self._bids
        levels: list[DepthLevel] = []
        left, notional = quantity, 0
        for level in book.levels():
            take = min(left, level.quantity)
            levels.append(level if take == level.quantity else DepthLevel(level.price, take))
            notional += level.price * take
            left -= take
            if not left:
                break
        return Fill(quantity, quantity - left, notional, levels)

    def _side(self, side: BookSide) -> _Side:
        if side == "bids":
            return self._bids
        if side == "asks":
            return self._asks
        raise InvalidInput(f"side must be 'bids' or 'asks', got {side!r}")

    def __repr__(self) -> str:
        return (
            f"OrderBook(market_id={self.market_id!r}, bids={len(self._bids.prices)}, "
            f"asks={len(self._asks.prices)}, best_bid={self.best_bid}, "
            f"best_ask={self.best_ask}, needs_snapshot={self.needs_snapshot})"
        )


__all__ = ["BookSide", "Fill", "OrderBook"]
