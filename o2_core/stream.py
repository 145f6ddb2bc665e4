"""The WebSocket protocol (PROTOCOL.md §6) as a sans-I/O state machine.

Frames go in as text or bytes, typed events come out; subscriptions go in, frames to send
come out. No sockets, no clock, no event loop: the async client
(:mod:`o2_core.client`) drives a :class:`StreamProtocol` and sends what it returns.

Connection lifecycle of :class:`StreamProtocol` (``-`` = illegal, raises
:class:`StreamStateError`)::

    state         connection_made       connection_lost      connection_failed     receive  close
    IDLE          CONNECTED  [1]        -                    RECONNECTING [3]      -        CLOSED
    CONNECTED     -                     RECONNECTING [2]     -                     events   CLOSED
    RECONNECTING  CONNECTED  [4]        -                    RECONNECTING [3]      -        CLOSED
    CLOSED        -                     -                    -                     -        no-op

    [1] emits CONNECTED; returns every subscription's subscribe frame.
    [2] emits DISCONNECTED then RECONNECTING(attempt=1) with the backoff delay; when the
        backoff is exhausted emits DISCONNECTED, CLOSED and goes to CLOSED (delay None).
    [3] emits RECONNECTING(attempt=n+1) with the next delay, or CLOSED when exhausted.
    [4] emits RECONNECTED(attempt=n) (CONNECTED if there never was a connection) and
        returns the resubscribe frames; the backoff is reset. Messages sent while
        disconnected are lost: re-sync orders, balances and nonce from REST; the server
        sends a fresh depth snapshot for every re-sent depth subscription.

``subscribe``/``unsubscribe`` are legal in every state but CLOSED; they return frames only
while CONNECTED (otherwise the frames go out on the next connection).

Routing: :func:`route` splits an event into ``(key, event)`` parts and :class:`Router`
maps keys to consumers. Depth and trades route by market id (depth frames do not carry
the precision), nonce by ``contract_id``. An orders (balances) message is split per
identity: each order goes to the key of its ``account`` identity (its ``owner`` when it
has no ``account``), each balance entry to its ``identity``, so a consumer of account A
never sees B's entries. Entries that name no identity cannot be attributed and go to
every consumer of that topic (key ``(topic, None)``).
"""

from __future__ import annotations

import logging
import random
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar

import msgspec

from .errors import (
    InvalidInput,
    O2Error,
    SlowConsumerError,
    StreamStateError,
    SubscriptionConflict,
    api_error,
)
from .models import (
    BalanceEntry,
    BalanceUpdate,
    DepthChanges,
    DepthUpdate,
    Id,
    Identity,
    NonceUpdate,
    Order,
    OrderUpdate,
    Trade,
    TradeUpdate,
    b256,
)
from .models import _dec_hook as _models_dec_hook

logger = logging.getLogger("o2.stream")

T = TypeVar("T")
C = TypeVar("C")


# --- subscriptions ---------------------------------------------------------------------

Key = tuple[str, Id | None]
"""A routing key: ``(topic, market id or identity value)``; ``None`` = any of the topic."""

_encode = msgspec.json.Encoder().encode


def _frame(obj: dict[str, Any]) -> str:
    return _encode(obj).decode()


def _identity(value: Identity | str, what: str) -> Identity:
    if isinstance(value, Identity):
        return value
    if isinstance(value, str):
        return Identity(contract_id=b256(value, what))
    raise InvalidInput(f"{what} must be a hex string or an Identity, got {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class DepthSub:
    """Depth of one market at one precision; ``precision_wire`` is ``10**level``."""

    market_id: Id
    precision_wire: int = 10

    def __post_init__(self) -> None:
        object.__setattr__(self, "market_id", b256(self.market_id, "market_id"))
        p = self.precision_wire
        if isinstance(p, bool) or not isinstance(p, int) or p < 1 or str(p).rstrip("0") != "1":
            raise InvalidInput(f"precision_wire must be a power of ten (10**level), got {p!r}")

    @classmethod
    def from_level(cls, market_id: str, level: int) -> DepthSub:
        """The subscription for precision ``level`` (wire value ``10**level``)."""
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 18:
            raise InvalidInput(f"precision level must be an integer in 0..18, got {level!r}")
        return cls(Id(market_id), 10**level)

    @property
    def key(self) -> Key:
        """The routing key of the updates this subscription receives."""
        return ("depth", self.market_id)

    def subscribe_frame(self) -> str:
        """The ``subscribe_depth`` frame."""
        return _frame(
            {
                "action": "subscribe_depth",
                "market_id": str(self.market_id),
                "precision": str(self.precision_wire),
            }
        )

    def unsubscribe_frame(self) -> str:
        """The ``unsubscribe_depth`` frame (it names the market only)."""
        return _frame({"action": "unsubscribe_depth", "market_id": str(self.market_id)})


@dataclass(frozen=True, slots=True)
class TradesSub:
    """Every trade of one market."""

    market_id: Id

    def __post_init__(self) -> None:
        object.__setattr__(self, "market_id", b256(self.market_id, "market_id"))

    @property
    def key(self) -> Key:
        """The routing key of the updates this subscription receives."""
        return ("trades", self.market_id)

    def subscribe_frame(self) -> str:
        """The ``subscribe_trades`` frame."""
        return _frame({"action": "subscribe_trades", "market_id": str(self.market_id)})

    def unsubscribe_frame(self) -> str:
        """The ``unsubscribe_trades`` frame."""
        return _frame({"action": "unsubscribe_trades", "market_id": str(self.market_id)})


class _IdentitySub:
    """Shared behaviour of the subscriptions keyed by one identity."""

    __slots__ = ()
    _topic: str
    identity: Identity

    def _post_init(self) -> None:
        object.__setattr__(self, "identity", _identity(self.identity, "identity"))

    @property
    def key(self) -> Key:
        """The routing key of the updates this subscription receives."""
        return (self._topic, self.identity.value)

    def _identities(self) -> list[dict[str, str]]:
        return [self.identity.to_dict()]

    def subscribe_frame(self) -> str:
        """The ``subscribe_<topic>`` frame."""
        return _frame({"action": "subscribe_" + self._topic, "identities": self._identities()})

    def unsubscribe_frame(self) -> str:
        """The ``unsubscribe_<topic>`` frame."""
        return _frame({"action": "unsubscribe_" + self._topic, "identities": self._identities()})


@dataclass(frozen=True, slots=True)
class OrdersSub(_IdentitySub):
    """Order updates of one trading account (a trade account id or an Identity)."""

    identity: Identity
    _topic = "orders"

    def __post_init__(self) -> None:
        self._post_init()

    def unsubscribe_frame(self) -> str:
        """``{"action": "unsubscribe_orders"}``: it ends EVERY orders subscription."""
        return _frame({"action": "unsubscribe_orders"})


@dataclass(frozen=True, slots=True)
class BalancesSub(_IdentitySub):
    """Balance updates of one trading account."""

    identity: Identity
    _topic = "balances"

    def __post_init__(self) -> None:
        self._post_init()


@dataclass(frozen=True, slots=True)
class NonceSub(_IdentitySub):
    """Nonce updates of one trading account."""

    identity: Identity
    _topic = "nonce"

    def __post_init__(self) -> None:
        self._post_init()


Subscription = DepthSub | OrdersSub | TradesSub | BalancesSub | NonceSub


class Subscriptions:
    """A reference-counted set of subscriptions: what to send on add, remove and reconnect.

    Two wire facts shape it. ``unsubscribe_orders`` names no identity, so removing one
    orders subscription while others remain re-sends theirs after it. Depth frames do not
    carry the precision, so one market can be streamed at one precision at a time: adding
    another precision of a subscribed market raises :class:`SubscriptionConflict`.
    """

    def __init__(self) -> None:
        self._counts: dict[Subscription, int] = {}  # insertion order = first-subscribed order
        self._depth: dict[Id, DepthSub] = {}

    def __len__(self) -> int:
        return len(self._counts)

    def __contains__(self, sub: object) -> bool:
        return sub in self._counts

    def __iter__(self) -> Iterator[Subscription]:
        return iter(list(self._counts))

    def count(self, sub: Subscription) -> int:
        """How many users hold ``sub``."""
        return self._counts.get(sub, 0)

    def add(self, sub: Subscription) -> list[str]:
        """Take one reference to ``sub``; the subscribe frame only for the first one."""
        if not isinstance(sub, (DepthSub, OrdersSub, TradesSub, BalancesSub, NonceSub)):
            raise InvalidInput(f"not a subscription: {sub!r}")
        count = self._counts.get(sub, 0)
        if count:
            self._counts[sub] = count + 1
            return []
        if isinstance(sub, DepthSub):
            other = self._depth.get(sub.market_id)
            if other is not None:
                raise SubscriptionConflict(
                    f"market {sub.market_id} is already streamed at precision "
                    f"{other.precision_wire}; depth frames do not say their precision, so "
                    "a market can be streamed at one precision at a time"
                )
            self._depth[sub.market_id] = sub
        self._counts[sub] = 1
        return [sub.subscribe_frame()]

    def remove(self, sub: Subscription) -> list[str]:
        """Drop one reference to ``sub``; the unsubscribe frame(s) when the last one goes."""
        count = self._counts.get(sub, 0)
        if count == 0:
            raise SubscriptionConflict(f"cannot remove {sub!r}: it was never added (or is gone)")
        if count > 1:
            self._counts[sub] = count - 1
            return []
        del self._counts[sub]
        if isinstance(sub, DepthSub):
            del self._depth[sub.market_id]
        frames = [sub.unsubscribe_frame()]
        if isinstance(sub, OrdersSub):
            frames += [s.subscribe_frame() for s in self._counts if isinstance(s, OrdersSub)]
        return frames

    def resubscribe_frames(self) -> list[str]:
        """Every subscribe frame, in first-subscribed order (after a (re)connect)."""
        return [sub.subscribe_frame() for sub in self._counts]


# --- server frames ---------------------------------------------------------------------


class _Frame(msgspec.Struct, tag_field="action", kw_only=True):
    onchain_timestamp: int | None = None
    seen_timestamp: int | None = None


class _DepthSnapshotFrame(_Frame, tag="subscribe_depth"):
    market_id: Id
    view: DepthChanges | None = None
    orders: DepthChanges | None = None


class _DepthUpdateFrame(_Frame, tag="subscribe_depth_update"):
    market_id: Id
    changes: DepthChanges


class _OrdersFrame(_Frame, tag="subscribe_orders"):
    orders: list[Order] = msgspec.field(default_factory=list)


class _TradesFrame(_Frame, tag="subscribe_trades"):
    market_id: Id
    trades: list[Trade] = msgspec.field(default_factory=list)


class _BalancesFrame(_Frame, tag="subscribe_balances"):
    balance: list[BalanceEntry] = msgspec.field(default_factory=list)


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


class FrameDecoder:
    """Decodes server frames into typed events with one msgspec pass per frame.

    Keeps a small cache of :class:`Id` values: market and account ids recur in nearly
    every frame, and building an ``Id`` is most of the cost of a small frame.
    """

    __slots__ = ("_decoder", "_ids", "_pinned", "cache_size")

    def __init__(self, cache_size: int = 4096) -> None:
        self.cache_size = cache_size
        self._ids: dict[str, Id] = {}
        self._pinned: dict[str, Id] = {}
        self._decoder = msgspec.json.Decoder(_AnyFrame, dec_hook=self._dec_hook, strict=False)

    def _dec_hook(self, kind: type, obj: Any) -> Any:
        if kind is Id and type(obj) is str:
            ids = self._ids
            ident = ids.get(obj)
            if ident is None:
                ident = str.__new__(Id, obj) if _CANONICAL_ID(obj) else Id(obj)
                if len(ids) >= self.cache_size:
                    ids.clear()
                    ids.update(self._pinned)
                ids[obj] = ident
            return ident
        return _models_dec_hook(kind, obj)

    def clear_cache(self) -> None:
        """Forget the cached ids (but the pinned ones)."""
        self._ids.clear()
        self._ids.update(self._pinned)

    def pin(self, ident: Id) -> None:
        """Always decode ``ident``'s text to this very object.

        Routing keys built from the same object then compare by identity, the fast path
        of a dict lookup (``Id.__eq__`` is Python code).
        """
        self._pinned[str(ident)] = ident
        self._ids[str(ident)] = ident

    def decode(self, data: bytes | bytearray | memoryview | str) -> StreamEvent:
        """One server frame to one typed event; never raises.

        Depth ``subscribe_depth`` frames (book in ``view`` or ``orders``) become snapshots
        (``is_snapshot=True``); unknown or malformed frames become :class:`MalformedFrame`.
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
    """One server frame to one typed event; never raises (see :meth:`FrameDecoder.decode`)."""
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
        return DepthUpdate(
            frame.market_id, book, True, frame.onchain_timestamp, frame.seen_timestamp
        )
    if isinstance(frame, _BalancesFrame):
        return BalanceUpdate(frame.balance, frame.onchain_timestamp, frame.seen_timestamp)
    return NonceUpdate(
        frame.contract_id, frame.nonce, frame.onchain_timestamp, frame.seen_timestamp
    )


# --- routing ---------------------------------------------------------------------------


def route(event: StreamEvent) -> list[tuple[Key, DataEvent]]:
    """Split ``event`` into ``(key, part)`` pairs; ``[]`` for errors and malformed frames.

    Orders and balances messages are split per identity (module docstring); a message
    whose entries all belong to one identity is passed through unchanged.
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
    return [(("orders", k), OrderUpdate(v, *ts)) for k, v in _group(keys, event.orders).items()]


def _route_balances(event: BalanceUpdate) -> list[tuple[Key, DataEvent]]:
    keys = [_identity_key(e.identity) for e in event.balance]
    if _all_same(keys):
        return [(("balances", keys[0] if keys else None), event)]
    ts = event.onchain_timestamp, event.seen_timestamp
    return [
        (("balances", k), BalanceUpdate(v, *ts)) for k, v in _group(keys, event.balance).items()
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


def _group(keys: list[Id | None], items: list[T]) -> dict[Id | None, list[T]]:
    groups: dict[Id | None, list[T]] = {}
    for key, item in zip(keys, items, strict=True):
        groups.setdefault(key, []).append(item)
    return groups


def matches(sub: Subscription, event: StreamEvent) -> bool:
    """True when ``sub`` receives (some of) ``event``."""
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
        """Deliver ``sub``'s updates to ``consumer`` from now on."""
        self._by_key.setdefault(sub.key, []).append(consumer)

    def remove(self, sub: Subscription, consumer: C) -> None:
        """Stop delivering ``sub``'s updates to ``consumer``."""
        consumers = self._by_key.get(sub.key, [])
        if not any(c is consumer for c in consumers):
            raise SubscriptionConflict(f"consumer is not registered for {sub!r}")
        consumers[:] = [c for c in consumers if c is not consumer]
        if not consumers:
            del self._by_key[sub.key]

    def consumers(self) -> list[C]:
        """Every registered consumer (once each), e.g. to signal them on close."""
        seen: dict[int, C] = {}
        for consumers in self._by_key.values():
            for c in consumers:
                seen.setdefault(id(c), c)
        return list(seen.values())

    def dispatch(self, event: StreamEvent) -> list[tuple[C, DataEvent]]:
        """The ``(consumer, part)`` deliveries for ``event``; ``[]`` for non-data events."""
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


# --- reconnect backoff -----------------------------------------------------------------


class Backoff:
    """Exponential reconnect delays, deterministic given ``rand``.

    Attempt n (1-based) waits ``min(cap, base * factor**(n-1)) * (1 - jitter * rand())``:
    jitter only shortens a delay, so ``cap`` is a true upper bound. ``rand`` returns a
    float in [0, 1). After ``max_attempts`` delays :meth:`next_delay` returns None.
    """

    def __init__(
        self,
        base: float = 0.5,
        factor: float = 2.0,
        cap: float = 30.0,
        max_attempts: int | None = None,
        jitter: float = 0.0,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if not base > 0 or not cap >= base:
            raise InvalidInput(f"backoff needs 0 < base <= cap, got base={base}, cap={cap}")
        if not factor >= 1:
            raise InvalidInput(f"backoff factor must be >= 1, got {factor}")
        if not 0 <= jitter <= 1:
            raise InvalidInput(f"backoff jitter must be in [0, 1], got {jitter}")
        if max_attempts is not None and max_attempts < 0:
            raise InvalidInput(f"max_attempts must be >= 0 or None, got {max_attempts}")
        self.base = float(base)
        self.factor = float(factor)
        self.cap = float(cap)
        self.max_attempts = max_attempts
        self.jitter = float(jitter)
        self._rand = rand
        self.attempt = 0
        self._raw = self.base

    @property
    def exhausted(self) -> bool:
        """True when no attempt is left."""
        return self.max_attempts is not None and self.attempt >= self.max_attempts

    def next_delay(self) -> float | None:
        """Seconds to wait before the next attempt, or None when attempts are exhausted."""
        if self.exhausted:
            return None
        self.attempt += 1
        raw = self._raw
        self._raw = min(self.cap, raw * self.factor)
        if not self.jitter:
            return raw
        r = self._rand()
        if not 0 <= r < 1:
            raise InvalidInput(f"rand() must return a float in [0, 1), got {r!r}")
        return raw * (1 - self.jitter * r)

    def reset(self) -> None:
        """Start over (after a successful connection)."""
        self.attempt = 0
        self._raw = self.base


# --- lifecycle -------------------------------------------------------------------------


class ConnectionState(Enum):
    """WebSocket lifecycle states, as lifecycle events report them."""

    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    RECONNECTING = "reconnecting"
    RECONNECTED = "reconnected"
    CLOSED = "closed"


@dataclass(frozen=True)
class ConnectionEvent:
    """A lifecycle transition; ``attempt`` is the reconnect attempt (0 when none)."""

    state: ConnectionState
    attempt: int = 0
    message: str = ""


class ProtocolState(Enum):
    """The state of a :class:`StreamProtocol` (the table in the module docstring)."""

    IDLE = "idle"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


class StreamProtocol:
    """The WebSocket session: subscriptions, decoding and the connection lifecycle.

    The caller performs the I/O: it sends the frames returned, waits the delays returned
    and reports what happened (module docstring has the state table).
    """

    def __init__(self, backoff: Backoff | None = None) -> None:
        self.backoff = backoff if backoff is not None else Backoff()
        self.subscriptions = Subscriptions()
        self.decoder = FrameDecoder()
        self.state = ProtocolState.IDLE
        self._ever_connected = False

    def _require(self, action: str, *allowed: ProtocolState) -> None:
        if self.state not in allowed:
            names = ", ".join(s.name for s in allowed)
            raise StreamStateError(
                f"cannot {action} while {self.state.name} (allowed in: {names})"
            )

    def subscribe(self, sub: Subscription) -> list[str]:
        """Add a reference to ``sub``; frames to send now (none unless CONNECTED)."""
        self._require("subscribe", *_OPEN_STATES)
        frames = self.subscriptions.add(sub)
        key_id = sub.key[1]
        if key_id is not None:
            self.decoder.pin(key_id)
        return frames if self.state is ProtocolState.CONNECTED else []

    def unsubscribe(self, sub: Subscription) -> list[str]:
        """Drop a reference to ``sub``; frames to send now (none unless CONNECTED)."""
        self._require("unsubscribe", *_OPEN_STATES)
        frames = self.subscriptions.remove(sub)
        return frames if self.state is ProtocolState.CONNECTED else []

    def resync_frames(self, sub: DepthSub) -> list[str]:
        """Frames that make the server send a fresh depth snapshot for ``sub``."""
        self._require("resync", ProtocolState.CONNECTED)
        if sub not in self.subscriptions:
            raise SubscriptionConflict(f"cannot resync {sub!r}: it is not subscribed")
        return [sub.unsubscribe_frame(), sub.subscribe_frame()]

    def connection_made(self) -> tuple[list[ConnectionEvent], list[str]]:
        """A connection is open: lifecycle events and the (re)subscribe frames to send."""
        self._require("report a new connection", ProtocolState.IDLE, ProtocolState.RECONNECTING)
        attempt = self.backoff.attempt
        self.backoff.reset()
        self.state = ProtocolState.CONNECTED
        if self._ever_connected:
            msg = "reconnected; re-sync orders, balances and nonce from REST"
            event = ConnectionEvent(ConnectionState.RECONNECTED, attempt, msg)
        else:
            event = ConnectionEvent(ConnectionState.CONNECTED, attempt, "connected")
        self._ever_connected = True
        return [event], self.subscriptions.resubscribe_frames()

    def connection_lost(self, reason: str = "") -> tuple[list[ConnectionEvent], float | None]:
        """The open connection dropped: lifecycle events and the delay before reconnecting.

        A None delay means the backoff is exhausted and the protocol is CLOSED.
        """
        self._require("report a lost connection", ProtocolState.CONNECTED)
        lost = ConnectionEvent(ConnectionState.DISCONNECTED, 0, reason or "connection lost")
        events, delay = self._schedule()
        return [lost, *events], delay

    def connection_failed(self, reason: str = "") -> tuple[list[ConnectionEvent], float | None]:
        """A connection attempt failed: lifecycle events and the delay before the next one."""
        self._require("report a failed connection", ProtocolState.IDLE, ProtocolState.RECONNECTING)
        logger.debug("connection attempt failed: %s", reason)
        return self._schedule()

    def _schedule(self) -> tuple[list[ConnectionEvent], float | None]:
        delay = self.backoff.next_delay()
        if delay is None:
            self.state = ProtocolState.CLOSED
            msg = f"max reconnect attempts ({self.backoff.max_attempts}) exhausted"
            return [ConnectionEvent(ConnectionState.CLOSED, self.backoff.attempt, msg)], None
        self.state = ProtocolState.RECONNECTING
        attempt = self.backoff.attempt
        msg = f"reconnecting in {delay:.2f}s (attempt {attempt})"
        return [ConnectionEvent(ConnectionState.RECONNECTING, attempt, msg)], delay

    def receive(self, data: bytes | bytearray | memoryview | str) -> list[StreamEvent]:
        """Decode one received frame into events (legal only while CONNECTED)."""
        if self.state is not ProtocolState.CONNECTED:
            self._require("receive data", ProtocolState.CONNECTED)
        return [self.decoder.decode(data)]

    def close(self) -> list[ConnectionEvent]:
        """Close for good: the CLOSED event (nothing when already CLOSED)."""
        if self.state is ProtocolState.CLOSED:
            return []
        self.state = ProtocolState.CLOSED
        return [ConnectionEvent(ConnectionState.CLOSED, 0, "closed by client")]


_OPEN_STATES = (ProtocolState.IDLE, ProtocolState.CONNECTED, ProtocolState.RECONNECTING)


# --- slow consumers --------------------------------------------------------------------


class OverflowPolicy(Enum):
    """What a full :class:`BoundedBuffer` does with a new item."""

    DROP_OLDEST = "drop_oldest"
    """Drop the oldest item and set ``needs_resync`` (depth: re-seed the book)."""
    ERROR = "error"
    """Fail: drop everything and raise :class:`SlowConsumerError` at the next read."""


class BoundedBuffer(Generic[T]):
    """A bounded FIFO between the reader and one consumer; memory never exceeds capacity."""

    __slots__ = ("_error", "_items", "capacity", "dropped", "needs_resync", "policy")

    def __init__(self, capacity: int, policy: OverflowPolicy) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise InvalidInput(f"buffer capacity must be a positive integer, got {capacity!r}")
        self.capacity = capacity
        self.policy = policy
        self._items: deque[T] = deque(maxlen=capacity)
        self.dropped = 0
        self.needs_resync = False
        self._error: SlowConsumerError | None = None

    def __len__(self) -> int:
        return len(self._items)

    @property
    def failed(self) -> bool:
        """True once an ERROR-policy buffer has overflowed."""
        return self._error is not None

    def push(self, item: T) -> bool:
        """Append ``item``; False when something was dropped (or the buffer has failed)."""
        items = self._items
        if len(items) < self.capacity:
            if self._error is not None:
                self.dropped += 1
                return False
            items.append(item)
            return True
        self.dropped += 1
        if self.policy is OverflowPolicy.DROP_OLDEST:
            items.append(item)  # the deque's maxlen drops the oldest
            self.needs_resync = True
            return False
        self._error = SlowConsumerError(
            f"stream consumer fell behind: buffer of {self.capacity} overflowed and updates "
            "were lost; re-sync from REST and subscribe again"
        )
        items.clear()
        return False

    def pop(self) -> T:
        """The oldest item; raises the :class:`SlowConsumerError` of a failed buffer, and
        IndexError when empty."""
        if self._error is not None:
            raise self._error
        return self._items.popleft()

    def drain(self) -> list[T]:
        """Every buffered item, oldest first (raises like :meth:`pop` when failed)."""
        if self._error is not None:
            raise self._error
        out = list(self._items)
        self._items.clear()
        return out

    def take_resync(self) -> bool:
        """Return and clear ``needs_resync``."""
        flag, self.needs_resync = self.needs_resync, False
        return flag


__all__ = [
    "Backoff",
    "BalancesSub",
    "BoundedBuffer",
    "ConnectionEvent",
    "ConnectionState",
    "DataEvent",
    "DepthSub",
    "FrameDecoder",
    "Key",
    "MalformedFrame",
    "NonceSub",
    "OrdersSub",
    "OverflowPolicy",
    "ProtocolState",
    "Router",
    "ServerError",
    "SlowConsumerError",
    "StreamEvent",
    "StreamProtocol",
    "StreamStateError",
    "Subscription",
    "SubscriptionConflict",
    "Subscriptions",
    "TradesSub",
    "decode_frame",
    "matches",
    "route",
]
