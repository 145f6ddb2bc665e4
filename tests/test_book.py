"""The local order book: snapshots replace, updates add signed changes, <= 0 removes."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2_core.book import DepthBook, OrderBook
from o2_core.errors import InvalidInput
from o2_core.frames import decode_frame
from o2_core.models import (
    DepthChange,
    DepthChanges,
    DepthLevel,
    DepthSnapshot,
    DepthUpdate,
    Id,
    OrderSide,
)

MX = "0x" + "aa" * 32
MY = "0x" + "bb" * 32

Levels = list[tuple[int, int]]


def upd(bids: Levels, asks: Levels, snapshot: bool = False, market: str = MX) -> DepthUpdate:
    changes: DepthSnapshot | DepthChanges
    if snapshot:
        changes = DepthSnapshot(
            tuple(DepthLevel(p, q) for p, q in bids), tuple(DepthLevel(p, q) for p, q in asks)
        )
    else:
        changes = DepthChanges(
            tuple(DepthChange(p, q) for p, q in bids), tuple(DepthChange(p, q) for p, q in asks)
        )
    return DepthUpdate(Id(market), changes, is_snapshot=snapshot)


def pairs(levels: Any) -> Levels:
    return [(lv.price, lv.quantity) for lv in levels]


def test_snapshot_then_signed_changes() -> None:
    book = OrderBook(MX)
    assert book.needs_snapshot and book.best_bid is None and book.spread is None
    assert book.apply(upd([(100, 5), (98, 1), (99, 2)], [(103, 4), (101, 3)], snapshot=True))
    assert pairs(book.bids) == [(100, 5), (99, 2), (98, 1)]
    assert pairs(book.asks) == [(101, 3), (103, 4)]
    assert book.best_bid == DepthLevel(100, 5) and book.best_ask == DepthLevel(101, 3)
    assert book.spread == 1 and book.mid == Decimal("100.5") and not book.is_crossed
    # an update adds a SIGNED change to the level; <= 0 removes it; new levels appear
    assert book.apply(upd([(100, 2), (98, -1), (97, 9)], [(101, -3), (102, 6)]))
    assert pairs(book.bids) == [(100, 7), (99, 2), (97, 9)]
    assert pairs(book.asks) == [(102, 6), (103, 4)]
    assert book.spread == 2 and book.mid == Decimal(101)
    assert book.quantity_at("bids", 100) == 7 and book.quantity_at("asks", 101) == 0
    # a partial fill leaves the level; overshooting removes it; a zero change is a no-op
    book.apply(upd([(100, -4), (99, -5), (50, 0)], []))
    assert pairs(book.bids) == [(100, 3), (97, 9)]
    # a new snapshot replaces everything
    book.apply(upd([(10, 1)], [], snapshot=True))
    assert pairs(book.bids) == [(10, 1)] and book.asks == [] and book.best_ask is None
    assert book.mid is None and book.spread is None and not book.is_crossed
    assert (book.snapshot_count, book.update_count) == (2, 2)


def test_several_changes_of_one_level_in_one_update_add_up() -> None:
    book = OrderBook()
    book.apply(upd([(100, 5)], [], snapshot=True))
    book.apply(upd([(100, -5), (100, 3)], []))  # emptied, then refilled, in one frame
    assert pairs(book.bids) == [(100, 3)]


def test_snapshot_from_wire_frames_drops_zero_levels() -> None:
    book = OrderBook()
    snap = decode_frame(
        '{"action":"subscribe_depth","market_id":"' + MX + '","orders":{"buys":'
        '[{"price":"5","quantity":"0"},{"price":"4","quantity":"2"}],"sells":[]}}'
    )
    assert isinstance(snap, DepthUpdate)
    book.apply(snap)
    assert pairs(book.bids) == [(4, 2)]


def test_updates_before_the_first_snapshot_and_after_invalidate_are_ignored() -> None:
    book = OrderBook()
    assert book.apply(upd([(1, 1)], [])) is False
    assert book.ignored_updates == 1 and book.bids == []
    book.apply(upd([(1, 1)], [(2, 1)], snapshot=True))
    book.invalidate()
    assert book.needs_snapshot
    assert book.apply(upd([(1, 5)], [])) is False
    assert pairs(book.bids) == [(1, 1)] and book.ignored_updates == 2
    book.apply(upd([(3, 3)], [(4, 4)], snapshot=True))
    assert not book.needs_snapshot and pairs(book.bids) == [(3, 3)]


def test_crossed_book_and_exact_mid() -> None:
    book = OrderBook()
    book.apply(upd([(10**20 + 1, 1)], [(10**20, 1)], snapshot=True))
    assert book.is_crossed and book.spread == -1
    assert book.mid == Decimal("100000000000000000000.5")
    book.apply(upd([(10**20 + 1, -1), (10**20, 2)], []))
    assert book.is_crossed and book.spread == 0 and book.mid == Decimal(10**20)


@pytest.mark.parametrize("bad", [
    upd([], [(0, 1)]),
    DepthUpdate(Id(MX), DepthChanges((DepthChange("5", 1),), ())),  # type: ignore[arg-type]
    DepthUpdate(Id(MX), DepthChanges((), (DepthChange(5, 1.5),))),  # type: ignore[arg-type]
])
def test_invalid_changes_leave_the_book_untouched(bad: DepthUpdate) -> None:
    book = OrderBook()
    book.apply(upd([(100, 5)], [(101, 5)], snapshot=True))
    bad_update = DepthUpdate(Id(MX), DepthChanges(
        (DepthChange(100, 9), *bad.changes.bids), tuple(bad.changes.asks)))  # type: ignore[arg-type]
    for candidate in (bad, bad_update):
        with pytest.raises(InvalidInput, match="change"):
            book.apply(candidate)
    assert pairs(book.bids) == [(100, 5)] and pairs(book.asks) == [(101, 5)]
    assert book.update_count == 0


def test_a_snapshot_rejects_negative_quantities() -> None:
    book = OrderBook()
    with pytest.raises(InvalidInput, match="level"):
        book.apply(upd([(1, -1)], [], snapshot=True))
    assert book.needs_snapshot


def test_wrong_market_rejected() -> None:
    book = OrderBook(MX.upper().replace("0X", "0x"))
    with pytest.raises(InvalidInput, match="market"):
        book.apply(upd([(1, 1)], [], snapshot=True, market=MY))
    assert book.needs_snapshot
    book.apply(upd([(1, 1)], [], snapshot=True, market=MX))
    assert not book.needs_snapshot


def test_depth_and_levels_to_fill() -> None:
    book = OrderBook()
    book.apply(upd([(100, 5), (99, 10), (97, 1)], [(101, 3), (102, 4), (105, 10)],
                   snapshot=True))
    assert pairs(book.depth("bids", 2)) == [(100, 5), (99, 10)]
    assert pairs(book.depth("asks", 10)) == [(101, 3), (102, 4), (105, 10)]
    assert book.depth("asks", 0) == []
    fill = book.levels_to_fill(OrderSide.BUY, 5)  # a buy takes asks
    assert pairs(fill.levels) == [(101, 3), (102, 2)]
    assert fill.complete and fill.filled == 5 and fill.notional == 3 * 101 + 2 * 102
    assert fill.average_price == Decimal("101.4")
    fill = book.levels_to_fill("sell", 6)
    assert pairs(fill.levels) == [(100, 5), (99, 1)]
    assert fill.average_price == Decimal("99." + "8" + "3" * 57)  # 60 significant digits
    assert fill.notional == 599 and fill.filled == 6
    fill = book.levels_to_fill("SELL", 100)
    assert not fill.complete and fill.filled == 16 and fill.requested == 100
    assert fill.average_price == Decimal("99.1875")  # (500 + 990 + 97) / 16, exact
    empty = OrderBook().levels_to_fill(OrderSide.BUY, 1)
    assert empty.levels == [] and empty.average_price is None and not empty.complete
    three = OrderBook()
    three.apply(upd([(1, 1), (2, 2)], [], snapshot=True))
    assert three.levels_to_fill("sell", 3).average_price == Decimal("1." + "6" * 58 + "7")


@pytest.mark.parametrize(("args", "match"), [
    (("buys", 1), "side"), ((OrderSide.BUY, 0), "quantity"), (("buy", 1.5), "quantity"),
])
def test_levels_to_fill_validates(args: tuple[Any, Any], match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        OrderBook().levels_to_fill(*args)


def test_depth_validates_side_and_size() -> None:
    with pytest.raises(InvalidInput, match="side"):
        OrderBook().depth("buys", 1)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        OrderBook().depth("bids", -1)


def test_read_lists_are_cached_until_a_change() -> None:
    book = OrderBook()
    book.apply(upd([(1, 1)], [(2, 2)], snapshot=True))
    first = book.bids
    assert book.bids is first
    book.apply(upd([], [(3, 3)]))
    assert book.bids is first  # bids untouched
    book.apply(upd([(1, 3)], []))
    assert book.bids is not first and pairs(book.bids) == [(1, 4)]
    assert "needs_snapshot=False" in repr(book)


# --- model-based -----------------------------------------------------------------------

_level = st.tuples(st.integers(1, 30), st.integers(0, 5))
_change = st.tuples(st.integers(1, 30), st.integers(-6, 6))
_op = st.one_of(
    st.tuples(st.just("snapshot"), st.lists(_level, max_size=12), st.lists(_level, max_size=12)),
    st.tuples(st.just("update"), st.lists(_change, max_size=8), st.lists(_change, max_size=8)),
    st.tuples(st.just("invalidate"), st.just([]), st.just([])),
)


class Reference:
    """A trivially correct book: plain dicts, sorted when read."""

    def __init__(self) -> None:
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self.stale = True
        self.ignored = 0

    def apply(self, kind: str, bids: Levels, asks: Levels) -> None:
        if kind == "invalidate":
            self.stale = True
            return
        if kind == "snapshot":
            self.bids, self.asks, self.stale = {}, {}, False
            for side, levels in ((self.bids, bids), (self.asks, asks)):
                for price, qty in levels:
                    if qty > 0:
                        side[price] = qty
            return
        if self.stale:
            self.ignored += 1
            return
        for side, levels in ((self.bids, bids), (self.asks, asks)):
            for price, change in levels:
                total = side.get(price, 0) + change
                if total > 0:
                    side[price] = total
                else:
                    side.pop(price, None)


@given(st.lists(_op, max_size=40))
def test_book_equals_reference_model(ops: list[tuple[str, Levels, Levels]]) -> None:
    book, ref = OrderBook(MX), Reference()
    for kind, bids, asks in ops:
        if kind == "invalidate":
            book.invalidate()
        else:
            book.apply(upd(bids, asks, snapshot=kind == "snapshot"))
        ref.apply(kind, bids, asks)

        want_bids = sorted(ref.bids.items(), reverse=True)
        want_asks = sorted(ref.asks.items())
        assert pairs(book.bids) == want_bids
        assert pairs(book.asks) == want_asks
        assert book.needs_snapshot == ref.stale and book.ignored_updates == ref.ignored
        bb = DepthLevel(*want_bids[0]) if want_bids else None
        ba = DepthLevel(*want_asks[0]) if want_asks else None
        assert book.best_bid == bb and book.best_ask == ba
        if bb and ba:
            assert book.spread == ba.price - bb.price
            assert book.mid == (Decimal(bb.price) + Decimal(ba.price)) / 2
            assert book.is_crossed == (bb.price >= ba.price)
        else:
            assert book.spread is None and book.mid is None and not book.is_crossed
        for n in (0, 1, 3):
            assert pairs(book.depth("bids", n)) == want_bids[:n]


_bad_change = st.sampled_from([(0, 1), (-3, 2), ("7", 1), (7, 1.5), (7, "2"), (7.0, 1),
                               (True, 1), (7, None)])


@given(st.lists(_op, max_size=20), st.lists(_change, max_size=10),
       st.lists(_change, max_size=10), _bad_change, st.integers(0, 10), st.booleans(),
       st.lists(_change, max_size=8), st.lists(_change, max_size=8))
def test_a_bad_change_anywhere_leaves_the_book_as_it_was(
    ops: list[tuple[str, Levels, Levels]], bids: Levels, asks: Levels, bad: Any,
    position: int, in_asks: bool, later_bids: Levels, later_asks: Levels,
) -> None:
    """The changes before the bad one (both sides') are taken back, whatever they did:
    levels made, moved, removed, changed twice; and the book goes on as if the update had
    never come."""
    book, ref = OrderBook(MX), Reference()
    for kind, b, a in [("snapshot", [(p, 3) for p in range(1, 30, 2)], []), *ops]:
        if kind == "invalidate":
            book.invalidate()
        else:
            book.apply(upd(b, a, snapshot=kind == "snapshot"))
        ref.apply(kind, b, a)
    before = (pairs(book.bids), pairs(book.asks), book.update_count, book.ignored_updates)
    side = asks if in_asks else bids
    side.insert(min(position, len(side)), bad)

    with pytest.raises(InvalidInput, match="ask change" if in_asks else "bid change"):
        book.apply(upd(bids, asks))

    assert (pairs(book.bids), pairs(book.asks), book.update_count,
            book.ignored_updates) == before
    book.apply(upd(later_bids, later_asks))
    ref.apply("update", later_bids, later_asks)
    assert pairs(book.bids) == sorted(ref.bids.items(), reverse=True)
    assert pairs(book.asks) == sorted(ref.asks.items())
    assert book.quantity_at("bids", 7) == ref.bids.get(7, 0)


@given(st.lists(_level, min_size=1, max_size=15), st.integers(1, 40))
def test_levels_to_fill_matches_a_naive_walk(asks: Levels, quantity: int) -> None:
    book = OrderBook()
    book.apply(upd([], asks, snapshot=True))
    fill = book.levels_to_fill(OrderSide.BUY, quantity)
    left, notional, taken = quantity, 0, []
    for price, qty in sorted({p: q for p, q in asks if q > 0}.items()):
        if not qty or not left:
            continue
        t = min(left, qty)
        taken.append((price, t))
        notional += price * t
        left -= t
    assert pairs(fill.levels) == taken
    assert fill.filled == quantity - left and fill.notional == notional
    if fill.filled:
        exact = Fraction(notional, fill.filled)
        avg = fill.average_price
        assert avg is not None
        den = exact.denominator
        for p in (2, 5):
            while den % p == 0:
                den //= p
        if den == 1:  # a terminating decimal: exactly equal
            assert Fraction(avg) == exact
        else:
            assert abs(Fraction(avg) - exact) < Fraction(1, 10**55)


# --- the official DepthBook's semantics -------------------------------------------------

VECTOR = json.loads(
    (Path(__file__).parent / "data" / "vectors" / "o2_v05_vectors.json").read_text()
)["depth_book_0_5_0"]


def test_both_books_reproduce_the_official_depth_book_vector() -> None:
    official_like, ours = DepthBook(), OrderBook()
    for frame, want in zip(VECTOR["frames"], VECTOR["book_after_each_frame"], strict=True):
        update = decode_frame(json.dumps(frame))
        assert isinstance(update, DepthUpdate)
        official_like.apply(update)
        ours.apply(update)
        bids = {int(p): q for p, q in want["bids"].items()}
        asks = {int(p): q for p, q in want["asks"].items()}
        assert official_like.bids == bids and official_like.asks == asks
        assert dict(pairs(ours.bids)) == bids and dict(pairs(ours.asks)) == asks
    assert official_like.best_bid == 100 and official_like.best_ask == 101


@given(st.lists(_op, max_size=40))
def test_depth_book_equals_the_order_book_after_a_snapshot(
    ops: list[tuple[str, Levels, Levels]]
) -> None:
    depth_book, book = DepthBook(), OrderBook()
    for kind, bids, asks in ops:
        if kind == "invalidate":
            continue
        update = upd(bids, asks, snapshot=kind == "snapshot")
        depth_book.apply(update)
        book.apply(update)
        if not book.needs_snapshot:
            assert dict(pairs(book.bids)) == depth_book.bids
            assert dict(pairs(book.asks)) == depth_book.asks
            assert depth_book.best_bid == (book.best_bid.price if book.best_bid else None)


def test_depth_book_is_atomic_and_accepts_integer_text() -> None:
    book = DepthBook()
    book.apply(upd([(100, 5)], [], snapshot=True))
    text = DepthUpdate(Id(MX), DepthChanges((DepthChange("100", "-2"),), ()))  # type: ignore[arg-type]
    book.apply(text)
    assert book.bids == {100: 3}
    bad = DepthUpdate(Id(MX), DepthChanges(
        (DepthChange(100, 1), DepthChange("x", 1)), ()))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        book.apply(bad)
    assert book.bids == {100: 3}
