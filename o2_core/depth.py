"""Depth of a market: snapshots of absolute levels and updates of signed changes.

A snapshot (``GET /v1/depth``, and the depth stream on subscribing, after a reconnect or
a resync) carries each level's ABSOLUTE quantity; an update carries SIGNED RELATIVE
changes (PROTOCOL.md §6). :mod:`o2_core.book` keeps a book from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn, TypeVar

import msgspec
from msgspec.structs import force_setattr

from .errors import ProtocolError
from .wire import Id, Model

T = TypeVar("T")


class DepthLevel(Model, frozen=True, gc=False):
    """One resting level of a snapshot: chain price and the ABSOLUTE quantity there."""

    price: int
    quantity: int


class DepthChange(Model, frozen=True, gc=False):
    """One change from the incremental depth stream: a SIGNED RELATIVE quantity.

    Positive when liquidity is added, negative when a fill or a cancel removes some: add
    it to the level's quantity; the level is gone when the sum reaches zero or below
    (:class:`~o2_core.book.OrderBook` and :class:`~o2_core.book.DepthBook` do this).
    """

    price: int
    quantity: int


class FrozenList(list[T]):
    """A ``list`` that cannot change: ``isinstance(x, list)`` holds (as o2-sdk's models
    promise), yet every mutator raises ``TypeError``, so that one value can be shared by
    several stream consumers. Hashable; copies and pickles as itself."""

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (list(self),))

    def __repr__(self) -> str:
        return list.__repr__(self)


def _immutable(self: FrozenList[Any], *args: Any, **kwargs: Any) -> NoReturn:
    """Refuse the change: a :class:`FrozenList` is immutable (every mutator is this).

    Args:
        *args: ignored.
        **kwargs: ignored.

    Raises:
        TypeError: always; copy it with ``list(...)`` to change it.
    """
    raise TypeError(f"{type(self).__name__} is immutable (shared between consumers); copy it "
                    "with list(...) to change it")


for _mutator in ("__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend",
                 "insert", "pop", "remove", "clear", "sort", "reverse"):
    setattr(FrozenList, _mutator, _immutable)


def _frozen(levels: Sequence[DepthLevel]) -> FrozenList[DepthLevel]:
    return levels if type(levels) is FrozenList else FrozenList(levels)


class DepthSnapshot(Model, frozen=True):
    """A whole book (``GET /v1/depth``, and the depth stream's snapshots): absolute levels,
    bids best (highest) first, asks best (lowest) first.

    ``bids`` and ``asks`` are lists, as in o2-sdk, but immutable ones
    (:class:`FrozenList`): a snapshot is shared by every consumer of a stream.
    """

    bids: Sequence[DepthLevel] = msgspec.field(default=(), name="buys")
    asks: Sequence[DepthLevel] = msgspec.field(default=(), name="sells")
    market_id: Id | None = None

    def __post_init__(self) -> None:
        force_setattr(self, "bids", _frozen(self.bids))
        force_setattr(self, "asks", _frozen(self.asks))

    @property
    def buys(self) -> Sequence[DepthLevel]:
        """Alias of ``bids`` (the wire name)."""
        return self.bids

    @property
    def sells(self) -> Sequence[DepthLevel]:
        """Alias of ``asks`` (the wire name)."""
        return self.asks

    @classmethod
    def from_dict(cls, data: Any) -> DepthSnapshot:
        """A snapshot from a REST reply or a stream frame, as o2-sdk reads it.

        Args:
            data: the decoded JSON: the book under ``orders`` or ``view``, or the book itself
                (``buys``/``sells``), with ``market_id``.

        Returns:
            The snapshot.

        Raises:
            ProtocolError: not a JSON object of that shape.
        """
        if not isinstance(data, dict):
            raise ProtocolError(f"a depth snapshot is a JSON object, got {data!r:.80}")
        book = data.get("orders", data.get("view", data))
        body = {**(book if isinstance(book, dict) else {}), "market_id": data.get("market_id")}
        return super().from_dict(body)

    @property
    def best_bid(self) -> DepthLevel | None:
        """The highest-priced bid level with a non-zero quantity, if any."""
        live = [lv for lv in self.bids if lv.quantity > 0]
        return max(live, key=_price) if live else None

    @property
    def best_ask(self) -> DepthLevel | None:
        """The lowest-priced ask level with a non-zero quantity, if any."""
        live = [lv for lv in self.asks if lv.quantity > 0]
        return min(live, key=_price) if live else None


def _price(level: DepthLevel) -> int:
    return level.price


class DepthChanges(Model, frozen=True):
    """Both sides of one incremental depth update (wire ``buys``/``sells``)."""

    bids: tuple[DepthChange, ...] = msgspec.field(default=(), name="buys")
    asks: tuple[DepthChange, ...] = msgspec.field(default=(), name="sells")

    @property
    def buys(self) -> tuple[DepthChange, ...]:
        """Alias of ``bids`` (the wire name)."""
        return self.bids

    @property
    def sells(self) -> tuple[DepthChange, ...]:
        """Alias of ``asks`` (the wire name)."""
        return self.asks


class DepthUpdate(Model, frozen=True):
    """One depth-stream message.

    A snapshot (``is_snapshot``: on subscribing, after every reconnect and every resync)
    carries a :class:`DepthSnapshot` of absolute levels and replaces the whole book;
    every other message carries :class:`DepthChanges` of signed relative changes.
    """

    market_id: Id
    changes: DepthSnapshot | DepthChanges
    is_snapshot: bool = False
    onchain_timestamp: int | None = None
    seen_timestamp: int | None = None

    @classmethod
    def from_dict(cls, data: Any) -> DepthUpdate:
        """A depth-stream frame as ``json.loads`` gives it.

        Args:
            data: the frame: ``subscribe_depth`` is a snapshot, anything else carries signed
                ``changes``.

        Returns:
            The update.

        Raises:
            ProtocolError: not a JSON object of that shape.
        """
        if not isinstance(data, dict):
            raise ProtocolError(f"a depth frame is a JSON object, got {data!r:.80}")
        is_snapshot = data.get("action") == "subscribe_depth"
        changes: DepthSnapshot | DepthChanges = (
            DepthSnapshot.from_dict(data)
            if is_snapshot
            else DepthChanges.from_dict(data.get("changes") or {})
        )
        stamps = _Stamps.from_dict(
            {k: data.get(k) for k in ("market_id", "onchain_timestamp", "seen_timestamp")}
        )
        return cls(stamps.market_id, changes, is_snapshot, stamps.onchain_timestamp,
                   stamps.seen_timestamp)


class _Stamps(Model, frozen=True):
    market_id: Id
    onchain_timestamp: int | None = None
    seen_timestamp: int | None = None


__all__ = [
    "DepthChange", "DepthChanges", "DepthLevel", "DepthSnapshot", "DepthUpdate", "FrozenList",
]
