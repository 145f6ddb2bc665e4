"""Server frames (PROTOCOL.md §6) to typed, immutable events, and events to consumers.

:class:`FrameDecoder` turns one frame into one event with one msgspec pass and never
raises (a bad frame becomes :class:`MalformedFrame`). :func:`route` splits an event into
``(key, part)`` pairs and :class:`Router` maps keys to consumers. Depth and trades route
by market id (depth frames do not carry the precision), nonce by ``contract_id``. An
orders (balances) message is split per identity: each order goes to the key of its
``account`` identity (its ``owner`` when it has no ``account``), each balance entry to
its ``identity``, so a consumer of account A never sees B's entries. Entries that name
no identity cannot be attributed and go to every consumer of that topic (key
``(topic, None)``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec

from .errors import O2Error, SubscriptionConflict, api_error
from .models import (
    BalanceEntry,
    BalanceUpdate,
    DepthChanges,
    DepthSnapshot,
    DepthUpdate,
    Id,
    Identity,
    NonceUpdate,
    Order,
    OrderUpdate,
    Trade,
    TradeUpdate,
)
from .subscriptions import Key, Subscription
from .wire import dec_hook as wire_dec_hook

T = TypeVar("T")
C = TypeVar("C")

class _Frame(msgspec.Struct, tag_field="action", kw_only=True):
    onchain_timestamp: int | None = None
    seen_timestamp: int | None = None


class _DepthSnapshotFrame(_Frame, tag="subscribe_depth"):
    market_id: Id
    view: DepthSnapshot | None = None
    orders: DepthSnapshot | None = None


class _DepthUpdateFrame(_Frame, tag="subscribe_depth_update"):
    market_id: Id
    changes: DepthChanges


class _OrdersFrame(_Frame, tag="subscribe_orders"):
    orders: tuple[Order, ...] = ()


class _TradesFrame(_Frame, tag="subscribe_trades"):
    market_id: Id
    trades: tuple[Trade, ...] = ()


class _BalancesFrame(_Frame, tag="subscribe_balances"):
    balance: tuple[BalanceEntry, ...] = ()


class _NonceFrame(_Frame, tag="subscribe_nonce"):
    contract_id: Id
    nonce: int


class _ErrorFrame(msgspec.Struct):
    code: int
    message: str = ""


_AnyFrame = (
    _DepthSnapshotFrame
    | _DepthUpdateFrame
    | _OrdersFrame
    | _TradesFrame
    | _BalancesFrame
    | _NonceFrame
)
_CANONICAL_ID = re.compile(r"0x[0-9a-f]+").fullmatch
_error_decoder = msgspec.json.Decoder(_ErrorFrame, strict=False)


@dataclass(frozen=True)
class ServerError:
    """An error frame from the server (``{"code": 6000, "message": ...}``).

    ``error`` is the matching :class:`~o2_core.errors.O2Error` subclass instance.
    """

    code: int
    message: str
    error: O2Error = field(compare=False, repr=False)


@dataclass(frozen=True)
class MalformedFrame:
    """A frame that is not valid JSON, has an unknown ``action`` or an unexpected shape.

    ``data`` is the start of the frame (at most 200 characters), for logging.
    """

    reason: str
    data: str


DataEvent = DepthUpdate | OrderUpdate | TradeUpdate | BalanceUpdate | NonceUpdate
StreamEvent = DataEvent | ServerError | MalformedFrame


def _preview(data: bytes | bytearray | memoryview | str) -> str:
    head = data[:200]
    if isinstance(head, str):
        return head
    return bytes(head).decode("utf-8", "replace")


def _id_hook(
    ids: dict[str, Id], pinned: dict[str, Id], cache_size: int
) -> Callable[[type, Any], Any]:
    """msgspec's decoding hook for a :class:`FrameDecoder`: ids through its cache.

    It runs for every id of every frame, so the cache is read first and directly (a
    closure, no attribute lookups); a miss builds the id and caches it.
    """

    def first_sight(obj: Any) -> Id:
        if type(obj) is not str:
            refused: Id = wire_dec_hook(Id, obj)  # raises: an id is text
            return refused
        ident = str.__new__(Id, obj) if _CANONICAL_ID(obj) else Id(obj)
        if len(ids) >= cache_size:
            ids.clear()
            ids.update(pinned)
        ids[obj] = ident
        return ident

    def hook(kind: type, obj: Any) -> Any:
        if kind is Id:
            try:
                return ids[obj]
            except (KeyError, TypeError):  # not seen yet, or not text
                return first_sight(obj)
        return wire_dec_hook(kind, obj)

    return hook


class FrameDecoder:
    """Decodes server frames into typed events with one msgspec pass per frame.

    Keeps a small cache of :class:`~o2_core.wire.Id` values: market and account ids
    recur in nearly every frame, and building an ``Id`` is most of the cost of a small
    frame.

    Args:
        cache_size: the most ids cached (the cache is emptied, pinned ids excepted, when
            it is full).
    """

    __slots__ = ("_cache_size", "_decoder", "_ids", "_pinned")

    def __init__(self, cache_size: int = 4096) -> None:
        self._cache_size = cache_size
        self._ids: dict[str, Id] = {}
        self._pinned: dict[str, Id] = {}
        hook = _id_hook(self._ids, self._pinned, cache_size)
        self._decoder = msgspec.json.Decoder(_AnyFrame, dec_hook=hook, strict=False)

    @property
    def cache_size(self) -> int:
        """The most ids cached."""
        return self._cache_size

    def clear_cache(self) -> None:
        """Forget the cached ids (but the pinned ones)."""
        self._ids.clear()
        self._ids.update(self._pinned)

    def pin(self, ident: Id) -> None:
        """Always decode ``ident``'s text to this very object.

        Routing keys built from the same object then compare by identity, the fast path of
        a dict lookup (``Id.__eq__`` is Python code).

        Args:
            ident: the id to pin (a market or account id that is subscribed).
        """
        self._pinned[str(ident)] = ident
        self._ids[str(ident)] = ident

    def decode(self, data: bytes | bytearray | memoryview | str) -> StreamEvent:
        """One server frame to one typed event; never raises.

        Depth ``subscribe_depth`` frames (book in ``view`` or ``orders``) become snapshots
        (``is_snapshot=True``); unknown or malformed frames become :class:`MalformedFrame`.

        Args:
            data: the frame's text (or its UTF-8 bytes).

        Returns:
            A depth, orders, trades, balances or nonce update; a :class:`ServerError` for an
            error frame; a :class:`MalformedFrame` for anything else.
        """
        try:
            frame = self._decoder.decode(data)
        except Exception as err:  # anything the input can provoke becomes an event
            return _decode_other(data, err)
        try:
            event = _build(frame)
        except Exception as err:
            return MalformedFrame(f"unexpected frame shape: {err}", _preview(data))
        return event if event is not None else MalformedFrame(_NO_BOOK, _preview(data))


_default_decoder = FrameDecoder()


def decode_frame(data: bytes | bytearray | memoryview | str) -> StreamEvent:
    """One server frame to one typed event; never raises (see :meth:`FrameDecoder.decode`).

    Args:
        data: the frame's text (or its UTF-8 bytes).

    Returns:
        The event.
    """
    return _default_decoder.decode(data)


def _decode_other(data: bytes | bytearray | memoryview | str, err: Exception) -> StreamEvent:
    try:
        body = _error_decoder.decode(data)
    except Exception:
        return MalformedFrame(str(err), _preview(data))
    message = body.message or f"server error {body.code}"
    return ServerError(body.code, message, api_error(body.code, message))


_NO_BOOK = "depth snapshot without `view` or `orders`"


def _build(frame: _AnyFrame) -> StreamEvent | None:
    if isinstance(frame, _DepthUpdateFrame):
        return DepthUpdate(
            frame.market_id, frame.changes, False, frame.onchain_timestamp, frame.seen_timestamp
        )
    if isinstance(frame, _OrdersFrame):
        return OrderUpdate(frame.orders, frame.onchain_timestamp, frame.seen_timestamp)
    if isinstance(frame, _TradesFrame):
        return TradeUpdate(
            frame.market_id, frame.trades, frame.onchain_timestamp, frame.seen_timestamp
        )
    if isinstance(frame, _DepthSnapshotFrame):
        book = frame.view if frame.view is not None else frame.orders
        if book is None:
            return None
        snapshot = DepthSnapshot(book.bids, book.asks, frame.market_id)
        return DepthUpdate(
            frame.market_id, snapshot, True, frame.onchain_timestamp, frame.seen_timestamp
        )
    if isinstance(frame, _BalancesFrame):
        return BalanceUpdate(frame.balance, frame.onchain_timestamp, frame.seen_timestamp)
    return NonceUpdate(
        frame.contract_id, frame.nonce, frame.onchain_timestamp, frame.seen_timestamp
    )


# --- routing ---------------------------------------------------------------------------


def route(event: StreamEvent) -> list[tuple[Key, DataEvent]]:
    """Split ``event`` into ``(key, part)`` pairs.

    Orders and balances messages are split per identity (module docstring); a message
    whose entries all belong to one identity is passed through unchanged.

    Args:
        event: a decoded event.

    Returns:
        The routing keys with the part of ``event`` for each; ``[]`` for errors and
        malformed frames.
    """
    # exact-type tests first: an isinstance() miss costs more on Struct types
    if type(event) is DepthUpdate:
        return [(("depth", event.market_id), event)]
    if type(event) is OrderUpdate:
        return _route_orders(event)
    if type(event) is TradeUpdate:
        return [(("trades", event.market_id), event)]
    if type(event) is NonceUpdate:
        return [(("nonce", event.contract_id), event)]
    if type(event) is BalanceUpdate:
        return _route_balances(event)
    # subclasses of the update types (the decoder never makes them)
    if isinstance(event, (DepthUpdate, TradeUpdate, NonceUpdate)):
        return [(_single_key(event), event)]
    if isinstance(event, OrderUpdate):
        return _route_orders(event)
    if isinstance(event, BalanceUpdate):
        return _route_balances(event)
    return []


def _single_key(event: DepthUpdate | TradeUpdate | NonceUpdate) -> Key:
    if isinstance(event, NonceUpdate):
        return ("nonce", event.contract_id)
    return ("depth" if isinstance(event, DepthUpdate) else "trades", event.market_id)


def _route_orders(event: OrderUpdate) -> list[tuple[Key, DataEvent]]:
    keys = [_order_key(o) for o in event.orders]
    if _all_same(keys):
        return [(("orders", keys[0] if keys else None), event)]
    ts = event.onchain_timestamp, event.seen_timestamp
    groups = _group(keys, event.orders)
    return [(("orders", k), OrderUpdate(tuple(v), *ts)) for k, v in groups.items()]


def _route_balances(event: BalanceUpdate) -> list[tuple[Key, DataEvent]]:
    keys = [_identity_key(e.identity) for e in event.balance]
    if _all_same(keys):
        return [(("balances", keys[0] if keys else None), event)]
    ts = event.onchain_timestamp, event.seen_timestamp
    return [
        (("balances", k), BalanceUpdate(tuple(v), *ts))
        for k, v in _group(keys, event.balance).items()
    ]


def _identity_key(ident: Identity | None) -> Id | None:
    if ident is None:
        return None
    return ident.contract_id if ident.contract_id is not None else ident.address


def _order_key(order: Order) -> Id | None:
    ident = order.account if order.account is not None else order.owner
    if ident is None:
        return None
    return ident.contract_id if ident.contract_id is not None else ident.address


def _all_same(keys: list[Id | None]) -> bool:
    if len(keys) < 2:
        return True
    first = keys[0]
    for k in keys:  # noqa: SIM110 - a plain loop is faster than all() over a generator
        if k is not first and (k is None or first is None or k != first):
            return False
    return True


def _group(keys: list[Id | None], items: tuple[T, ...]) -> dict[Id | None, list[T]]:
    groups: dict[Id | None, list[T]] = {}
    for key, item in zip(keys, items, strict=True):
        groups.setdefault(key, []).append(item)
    return groups


def matches(sub: Subscription, event: StreamEvent) -> bool:
    """Whether ``sub`` receives (some of) ``event``.

    Args:
        sub: a subscription.
        event: a decoded event.

    Returns:
        True when a part of ``event`` routes to ``sub``'s key.
    """
    topic, ident = sub.key
    return any(k[0] == topic and (k[1] is None or k[1] == ident) for k, _ in route(event))


class Router(Generic[C]):
    """Maps routed events to the consumers registered for their subscriptions.

    A consumer may be anything (typically a :class:`BoundedBuffer`); one consumer per
    stream iterator. Dispatch is one dict lookup per routed part.
    """

    def __init__(self) -> None:
        self._by_key: dict[Key, list[C]] = {}

    def add(self, sub: Subscription, consumer: C) -> None:
        """Deliver ``sub``'s updates to ``consumer`` from now on.

        Args:
            sub: the subscription.
            consumer: the consumer.
        """
        self._by_key.setdefault(sub.key, []).append(consumer)

    def remove(self, sub: Subscription, consumer: C) -> None:
        """Stop delivering ``sub``'s updates to ``consumer``.

        Args:
            sub: the subscription.
            consumer: the consumer (compared by identity).

        Raises:
            SubscriptionConflict: ``consumer`` is not registered for ``sub``.
        """
        consumers = self._by_key.get(sub.key, [])
        if not any(c is consumer for c in consumers):
            raise SubscriptionConflict(f"consumer is not registered for {sub!r}")
        consumers[:] = [c for c in consumers if c is not consumer]
        if not consumers:
            del self._by_key[sub.key]

    def consumers(self) -> list[C]:
        """Every registered consumer (once each), e.g. to signal them on close.

        Returns:
            The consumers.
        """
        seen: dict[int, C] = {}
        for consumers in self._by_key.values():
            for c in consumers:
                seen.setdefault(id(c), c)
        return list(seen.values())

    def dispatch(self, event: StreamEvent) -> list[tuple[C, DataEvent]]:
        """The deliveries for ``event``.

        Args:
            event: a decoded event.

        Returns:
            ``(consumer, part)`` pairs; ``[]`` for non-data events.
        """
        if type(event) is DepthUpdate:  # the common case: one key, one consumer
            consumers = self._by_key.get(("depth", event.market_id))
            if consumers is not None and len(consumers) == 1:
                return [(consumers[0], event)]
        out: list[tuple[C, DataEvent]] = []
        by_key = self._by_key
        for key, part in route(event):
            if key[1] is None:
                for k, every in by_key.items():
                    if k[0] == key[0]:
                        out.extend((c, part) for c in every)
                continue
            consumers = by_key.get(key)
            if consumers:
                if len(consumers) == 1:
                    out.append((consumers[0], part))
                else:
                    out.extend([(c, part) for c in consumers])
        return out


__all__ = [
    "DataEvent",
    "FrameDecoder",
    "MalformedFrame",
    "Router",
    "ServerError",
    "StreamEvent",
    "decode_frame",
    "matches",
    "route",
]
