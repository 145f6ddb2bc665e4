"""A local order book kept from the depth stream (PROTOCOL.md §6, PROTOCOL_V05.md §4).

A snapshot replaces the book with its absolute levels; an update carries SIGNED RELATIVE
changes: each is added to the level at its price, and a level whose quantity reaches
zero or below is gone. Updates apply atomically: an invalid one changes nothing.

:class:`OrderBook` keeps each side as a ``price -> quantity`` dict plus a sorted price
list maintained with :mod:`bisect`, so reads never re-sort. :class:`DepthBook` is the
official o2-sdk's simpler book (two dicts), with the same semantics.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Literal

from .depth import DepthChange, DepthLevel, DepthUpdate
from .errors import InvalidInput
from .inputs import OrderSide
from .wire import Id

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

    __slots__ = ("_cache", "_journal", "descending", "prices", "qty")

    def __init__(self, descending: bool) -> None:
        self.descending = descending
        self.qty: dict[int, int] = {}
        self.prices: list[int] = []
        self._cache: list[DepthLevel] | None = None
        # for each change of the last add() that left its level absent, in order, the
        # quantity it removed (0 when the level was absent already): what undo() needs
        self._journal: list[int] = []

    def replace(self, levels: Sequence[DepthLevel | DepthChange]) -> None:
        # levels > 0 only; of two positive levels at one price, the last wins
        self.qty = {lv.price: lv.quantity for lv in levels if lv.quantity > 0}
        self.prices = sorted(self.qty)
        self._cache = None

    def add(self, changes: Sequence[DepthChange | DepthLevel], what: str) -> None:
        """Add each signed change to its level; a level that reaches 0 or less is gone.

        A price twice in one update adds up. Checking and applying are one pass: a change
        whose price is not a positive integer, or whose quantity is not an integer, undoes
        the changes before it and raises, so the side is as it was.

        Args:
            changes: the changes, in order.
            what: ``"bid"`` or ``"ask"``, for the error.

        Raises:
            InvalidInput: a change that is not valid (the side unchanged).
        """
        qty, prices, journal = self.qty, self.prices, self._journal
        journal.clear()
        pending = iter(changes)
        for change in pending:
            price, delta = change.price, change.quantity
            if type(price) is not int or type(delta) is not int or price <= 0:
                # applied so far: all but this change and those not read yet
                done = len(changes) - 1 - sum(1 for _ in pending)
                self.undo(changes[:done])
                raise _invalid_change(change, what)
            try:
                total = qty[price] + delta
            except KeyError:  # no level at this price
                if delta > 0:
                    insort(prices, price)
                    qty[price] = delta
                else:
                    journal.append(0)
                continue
            if total > 0:
                qty[price] = total
            else:
                journal.append(qty.pop(price))
                del prices[bisect_left(prices, price)]
        if changes:
            self._cache = None

    def undo(self, changes: Sequence[DepthChange | DepthLevel]) -> None:
        """Take back ``changes``: the last :meth:`add`'s (all of them, or those before the
        change it refused).

        Last change first, from the state it left: where it left no level, the journal
        says what was there before (0: nothing); otherwise the level held ``now - delta``
        before it, or nothing when that is not positive (the change made the level).
        """
        qty, prices, journal = self.qty, self.prices, self._journal
        for change in reversed(changes):
            price, delta = change.price, change.quantity
            now = qty.get(price)
            if now is None:
                before = journal.pop()
                if before:
                    insort(prices, price)
                    qty[price] = before
            elif now - delta > 0:
                qty[price] = now - delta
            else:
                del qty[price]
                del prices[bisect_left(prices, price)]
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


def _check(levels: Sequence[DepthLevel | DepthChange], what: str) -> None:
    for lv in levels:
        price, quantity = lv.price, lv.quantity
        if type(price) is not int or type(quantity) is not int or price <= 0 or quantity < 0:
            raise InvalidInput(
                f"{what} level must have integer price > 0 and quantity >= 0, got {lv!r}"
            )


def _check_changes(changes: Sequence[DepthChange | DepthLevel], what: str) -> None:
    """Refuse a change whose price is not a positive integer or whose quantity is not an
    integer (what :meth:`_Side.add` checks as it goes)."""
    for change in changes:
        price, delta = change.price, change.quantity
        if type(price) is not int or type(delta) is not int or price <= 0:
            raise _invalid_change(change, what)


def _invalid_change(change: DepthChange | DepthLevel, what: str) -> InvalidInput:
    return InvalidInput(
        f"{what} change must have integer price > 0 and integer quantity, got {change!r}"
    )


class OrderBook:
    """The book of one market from depth snapshots and signed relative changes.

    Until the first snapshot, and after :meth:`invalidate`, updates are ignored (and
    counted in ``ignored_updates``): only a snapshot makes the book valid again.

    Args:
        market_id: the market; when given, another market's update is refused.
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
        """Apply a snapshot or an update atomically.

        Args:
            update: a depth update (``is_snapshot``: absolute levels, else signed changes).

        Returns:
            True when applied; False when the update was ignored (no snapshot yet).

        Raises:
            InvalidInput: (the book untouched) another market's update, or a level with
                a non-integer or non-positive price, or a negative snapshot quantity.
        """
        if self.market_id is not None and update.market_id != self.market_id:
            raise InvalidInput(
                f"depth update of market {update.market_id} applied to the book of "
                f"market {self.market_id}"
            )
        bids, asks = update.changes.bids, update.changes.asks
        if update.is_snapshot:
            _check(bids, "bid")
            _check(asks, "ask")
            self._bids.replace(bids)
            self._asks.replace(asks)
            self.snapshot_count += 1
            self.needs_snapshot = False
            return True
        if self.needs_snapshot:
            _check_changes(bids, "bid")
            _check_changes(asks, "ask")
            self.ignored_updates += 1
            return False
        self._bids.add(bids, "bid")
        try:
            self._asks.add(asks, "ask")
        except InvalidInput:
            self._bids.undo(bids)
            raise
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
        """The quantity resting at ``price`` on ``side``.

        Args:
            side: ``"bids"`` or ``"asks"``.
            price: a chain price.

        Returns:
            The quantity (0 when no level is there).

        Raises:
            InvalidInput: another ``side``.
        """
        return self._side(side).qty.get(price, 0)

    def depth(self, side: BookSide, size: int) -> list[DepthLevel]:
        """The best ``size`` levels of one side.

        Args:
            side: ``"bids"`` or ``"asks"``.
            size: how many levels (>= 0).

        Returns:
            The levels, best first.

        Raises:
            InvalidInput: a negative size, or another ``side``.
        """
        if size < 0:
            raise InvalidInput(f"depth size must be >= 0, got {size}")
        return self._side(side).levels()[:size]

    def levels_to_fill(self, side: OrderSide | str, quantity: int) -> Fill:
        """The levels an order of ``side`` would consume (YOUR side: a buy takes asks).

        Args:
            side: ``OrderSide.BUY``/``SELL``, or ``"buy"``/``"sell"``.
            quantity: the chain quantity to fill (a positive integer).

        Returns:
            The fill: the levels used (the last possibly partly), the filled quantity and the
            notional; ``complete`` is False when the book holds less.

        Raises:
            InvalidInput: an unknown side or a quantity that is not a positive integer.
        """
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


class DepthBook:
    """A local order book with o2-sdk 0.5.0's interface: ``bids``/``asks`` map each
    non-empty level's integer price to its integer quantity.

    Feed it every :class:`~o2_core.models.DepthUpdate`: a snapshot replaces the book
    (levels > 0 kept); an update adds each signed change to its level and removes the
    level at zero or below. Each apply is atomic. :class:`OrderBook` does the same with
    sorted levels, a snapshot gate, spread and fill estimates.
    """

    def __init__(self) -> None:
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}

    def apply(self, update: DepthUpdate) -> None:
        """Apply a snapshot or an update; a malformed entry raises with the book untouched.

        Args:
            update: a depth update (``is_snapshot``: absolute levels, else signed changes).

        Raises:
            InvalidInput: a price or quantity that is not an integer (or integer text).
        """
        parsed = [
            (_as_int(level.price, "price"), _as_int(level.quantity, "quantity"), book)
            for levels, book in ((update.changes.bids, self.bids), (update.changes.asks, self.asks))
            for level in levels
        ]
        if update.is_snapshot:
            self.bids.clear()
            self.asks.clear()
            for price, quantity, book in parsed:
                if quantity > 0:
                    book[price] = quantity
            return
        for price, quantity, book in parsed:
            total = book.get(price, 0) + quantity
            if total > 0:
                book[price] = total
            else:
                book.pop(price, None)

    @property
    def best_bid(self) -> int | None:
        """The highest non-empty bid price, or None."""
        return max(self.bids) if self.bids else None

    @property
    def best_ask(self) -> int | None:
        """The lowest non-empty ask price, or None."""
        return min(self.asks) if self.asks else None


def _as_int(value: object, what: str) -> int:
    if type(value) is int:
        return value
    try:
        if isinstance(value, str):
            return int(value)
    except ValueError:
        pass
    raise InvalidInput(f"depth level {what} must be an integer, got {value!r}")


__all__ = ["BookSide", "DepthBook", "Fill", "OrderBook"]
