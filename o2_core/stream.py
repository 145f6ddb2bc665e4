"""The WebSocket session (PROTOCOL.md §6) as a sans-I/O state machine.

Inputs are method calls (a consumer opens or closes, a connection is made, lost or
failed, a frame arrives, the user closes). Outputs are drained in one uniform way from
:meth:`StreamProtocol.outputs`, like websockets' ``data_to_send`` or h11's
``next_event``:

- :class:`SendFrame` — a frame to send on the current connection;
- :class:`Wake` — a consumer has something to take (items, an error, or its end); only
  when its buffer stops being empty, since a consumer waits only after finding it empty;
- :class:`ReconnectAfter` — connect again after ``delay`` seconds;
- :class:`Stopped` — the protocol is closed for good: stop reading, end every consumer.

No sockets, no clock, no event loop: the async driver (:mod:`o2_core.stream_driver`)
performs what the outputs say. Each stream iterator is a :class:`Consumer` with its own
bounded buffer; what a full buffer does depends on the topic (:data:`OVERFLOW_POLICIES`):
depth drops the oldest update and resyncs from a fresh snapshot (the resync frames go
out at once), nonce keeps the latest, orders/balances/trades fail the consumer with
:class:`~o2_core.errors.SlowConsumerError`. A depth consumer ignores updates until it
has a snapshot (after opening, after every reconnect, after every resync).

Connection lifecycle (``-`` = illegal, raises :class:`~o2_core.errors.StreamStateError`)::

    state         connection_made  connection_lost   connection_failed  receive  close
    IDLE          CONNECTED [1]    -                 RECONNECTING [3]   -        CLOSED
    CONNECTED     -                RECONNECTING [2]  -                  frames   CLOSED
    RECONNECTING  CONNECTED [4]    -                 RECONNECTING [3]   -        CLOSED
    CLOSED        -                -                 -                  -        no-op

    [1] lifecycle CONNECTED; sends every subscription's subscribe frame.
    [2] lifecycle DISCONNECTED, then RECONNECTING(attempt=1) and ReconnectAfter(delay);
        when the backoff is exhausted, CLOSED and Stopped instead.
    [3] lifecycle RECONNECTING(attempt=n+1) and ReconnectAfter, or CLOSED and Stopped.
    [4] lifecycle RECONNECTED(attempt=n) (CONNECTED if there never was a connection);
        re-sends every subscription; the backoff is reset. Messages sent while
        disconnected are lost: re-sync orders, balances and nonce from REST; the server
        sends a fresh depth snapshot for every re-sent depth subscription.

Opening and closing consumers is legal in every state but CLOSED; frames go out only
while CONNECTED (otherwise on the next connection).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, TypeVar

from .errors import InvalidInput, SlowConsumerError, StreamStateError, SubscriptionConflict
from .frames import FrameDecoder, MalformedFrame, Router, ServerError
from .models import DepthUpdate
from .policy import Backoff
from .subscriptions import DepthSub, Subscription, Subscriptions

logger = logging.getLogger(__name__)

T = TypeVar("T")


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


# --- bounded buffers -------------------------------------------------------------------


class OverflowPolicy(Enum):
    """What a full :class:`BoundedBuffer` does with a new item."""

    DROP_OLDEST = "drop_oldest"
    """Drop the oldest item and report it (depth then resyncs; nonce keeps the latest)."""
    ERROR = "error"
    """Drop everything and raise :class:`SlowConsumerError` at the next read."""


class BoundedBuffer(Generic[T]):
    """A bounded FIFO between the reader and one consumer; memory never exceeds capacity.

    Args:
        capacity: the most items it holds (a positive integer).
        policy: what a full buffer does with a new item.

    Raises:
        InvalidInput: a capacity that is not a positive integer.
    """

    __slots__ = ("_error", "_items", "capacity", "dropped", "policy")

    def __init__(self, capacity: int, policy: OverflowPolicy) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise InvalidInput(f"buffer capacity must be a positive integer, got {capacity!r}")
        self.capacity = capacity
        self.policy = policy
        self._items: deque[T] = deque(maxlen=capacity)
        self.dropped = 0
        self._error: SlowConsumerError | None = None

    def __len__(self) -> int:
        return len(self._items)

    @property
    def failed(self) -> bool:
        """True once an ERROR-policy buffer has overflowed."""
        return self._error is not None

    def push(self, item: T) -> bool:
        """Append ``item``, applying the overflow policy when the buffer is full.

        Args:
            item: the item.

        Returns:
            True when stored with nothing lost; False when something was dropped (the
            oldest item, or with the ERROR policy everything, or ``item`` itself once the
            buffer has failed).
        """
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
            return False
        self._error = SlowConsumerError(
            f"stream consumer fell behind: buffer of {self.capacity} overflowed and updates "
            "were lost; re-sync from REST and subscribe again"
        )
        items.clear()
        return False

    def pop(self) -> T:
        """The oldest item.

        Returns:
            The item, removed from the buffer.

        Raises:
            SlowConsumerError: the buffer has failed (ERROR policy overflow).
            IndexError: the buffer is empty.
        """
        if self._error is not None:
            raise self._error
        return self._items.popleft()

    def clear(self) -> None:
        """Forget every buffered item."""
        self._items.clear()


#: What a full buffer does, per topic (the first element of a subscription's key).
OVERFLOW_POLICIES: dict[str, OverflowPolicy] = {
    "depth": OverflowPolicy.DROP_OLDEST,
    "nonce": OverflowPolicy.DROP_OLDEST,
    "orders": OverflowPolicy.ERROR,
    "balances": OverflowPolicy.ERROR,
    "trades": OverflowPolicy.ERROR,
    "lifecycle": OverflowPolicy.DROP_OLDEST,
}


class Consumer:
    """One stream iterator: its subscription, bounded buffer and snapshot gate.

    The driver takes items with :meth:`take`. A depth consumer starts (and restarts after
    each reconnect or resync) awaiting a snapshot and ignores updates until it has one.

    Args:
        sub: the subscription (None for lifecycle events).
        capacity: its buffer's capacity; the overflow policy comes from the topic
            (:data:`OVERFLOW_POLICIES`).
    """

    __slots__ = ("awaiting_snapshot", "buffer", "ended", "sub")

    def __init__(self, sub: Subscription | None, capacity: int) -> None:
        self.sub = sub
        topic = sub.key[0] if sub is not None else "lifecycle"
        self.buffer: BoundedBuffer[Any] = BoundedBuffer(capacity, OVERFLOW_POLICIES[topic])
        self.awaiting_snapshot = isinstance(sub, DepthSub)
        self.ended = False

    def take(self) -> Any:
        """The next item, or None when there is none yet (check ``ended``).

        Returns:
            The oldest buffered item, or None.

        Raises:
            SlowConsumerError: the consumer fell behind and lost updates.
        """
        buffer = self.buffer
        if len(buffer) or buffer.failed:
            return buffer.pop()
        return None

    def __repr__(self) -> str:
        return f"Consumer({self.sub!r}, buffered={len(self.buffer)}, ended={self.ended})"


# --- outputs ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendFrame:
    """Send ``text`` on the current connection."""

    text: str


@dataclass(frozen=True, slots=True, eq=False)
class Wake:
    """``consumer`` has something to take (items, an error, or its end)."""

    consumer: Consumer


@dataclass(frozen=True, slots=True)
class ReconnectAfter:
    """The connection is gone: connect again after ``delay`` seconds."""

    delay: float


@dataclass(frozen=True, slots=True)
class Stopped:
    """The protocol is closed for good: stop reading; every consumer has ended."""


Output = SendFrame | Wake | ReconnectAfter | Stopped


# --- the protocol ----------------------------------------------------------------------


class StreamProtocol:
    """The WebSocket session: subscriptions, consumers, decoding and the lifecycle.

    Args:
        backoff: the reconnect schedule (default: 0.5 s doubling to 30 s, unlimited).
        buffer_size: each consumer's buffer capacity.
    """

    def __init__(self, backoff: Backoff | None = None, buffer_size: int = 1024) -> None:
        BoundedBuffer[Any](buffer_size, OverflowPolicy.ERROR)  # validates the size
        self.backoff = backoff if backoff is not None else Backoff()
        self.buffer_size = buffer_size
        self.subscriptions = Subscriptions()
        self.decoder = FrameDecoder()
        self.router: Router[Consumer] = Router()
        self.state = ProtocolState.IDLE
        self._lifecycle: list[Consumer] = []
        self._outputs: list[Output] = []
        self._woken: dict[int, Consumer] = {}
        self._ever_connected = False

    # -- outputs --

    def outputs(self) -> list[Output]:
        """Everything to do since the last call, in order (wakes last).

        Returns:
            The outputs: frames to send, consumers to wake, a reconnect to schedule, or the
            stop.
        """
        out = self._outputs
        if self._woken:
            out.extend(Wake(c) for c in self._woken.values())
            self._woken = {}
        self._outputs = []
        return out

    def _send(self, frames: list[str]) -> None:
        if self.state is ProtocolState.CONNECTED:
            self._outputs.extend(SendFrame(f) for f in frames)

    def _wake(self, consumer: Consumer) -> None:
        self._woken[id(consumer)] = consumer

    def _require(self, action: str, *allowed: ProtocolState) -> None:
        if self.state not in allowed:
            names = ", ".join(s.name for s in allowed)
            raise StreamStateError(
                f"cannot {action} while {self.state.name} (allowed in: {names})"
            )

    # -- consumers --

    def open(self, sub: Subscription) -> Consumer:
        """A consumer of ``sub``'s updates; subscribes when it is the first of ``sub``.

        Args:
            sub: the subscription.

        Returns:
            The new consumer.

        Raises:
            SubscriptionConflict: ``sub`` cannot coexist with a current subscription (a
                second depth precision of one market).
            StreamStateError: the protocol is closed.
        """
        self._require("open a consumer", *_OPEN_STATES)
        frames = self.subscriptions.add(sub)
        consumer = Consumer(sub, self.buffer_size)
        self.router.add(sub, consumer)
        key_id = sub.key[1]
        if key_id is not None:
            self.decoder.pin(key_id)
        self._send(frames)
        return consumer

    def open_lifecycle(self) -> Consumer:
        """A consumer of the lifecycle events.

        Returns:
            The new consumer; it receives :class:`ConnectionEvent` values from now on.

        Raises:
            StreamStateError: the protocol is closed.
        """
        self._require("open a consumer", *_OPEN_STATES)
        consumer = Consumer(None, self.buffer_size)
        self._lifecycle.append(consumer)
        return consumer

    def close_consumer(self, consumer: Consumer) -> None:
        """Forget ``consumer``; unsubscribes when it was the last of its subscription.

        Args:
            consumer: a consumer this protocol opened.
        """
        consumer.ended = True
        if consumer.sub is None:
            if consumer in self._lifecycle:
                self._lifecycle.remove(consumer)
            return
        self.router.remove(consumer.sub, consumer)
        if self.state is not ProtocolState.CLOSED:
            self._send(self.subscriptions.remove(consumer.sub))

    # -- connection --

    def connection_made(self) -> None:
        """A connection is open: (re)subscribe everything; depth consumers await fresh snapshots.

        Raises:
            StreamStateError: not IDLE or RECONNECTING.
        """
        self._require("report a new connection", ProtocolState.IDLE, ProtocolState.RECONNECTING)
        attempt = self.backoff.attempt
        self.backoff.reset()
        self.state = ProtocolState.CONNECTED
        if self._ever_connected:
            message = "reconnected; re-sync orders, balances and nonce from REST"
            self._notify(ConnectionEvent(ConnectionState.RECONNECTED, attempt, message))
        else:
            self._notify(ConnectionEvent(ConnectionState.CONNECTED, attempt, "connected"))
        self._ever_connected = True
        for consumer in self.router.consumers():
            if isinstance(consumer.sub, DepthSub):
                consumer.awaiting_snapshot = True
        self._send(self.subscriptions.resubscribe_frames())

    def connection_lost(self, reason: str = "") -> None:
        """The open connection dropped: schedule a reconnect (or stop when exhausted).

        Args:
            reason: what happened, for the DISCONNECTED event.

        Raises:
            StreamStateError: not CONNECTED.
        """
        self._require("report a lost connection", ProtocolState.CONNECTED)
        self._notify(ConnectionEvent(ConnectionState.DISCONNECTED, 0, reason or "connection lost"))
        self._schedule()

    def connection_failed(self, reason: str = "") -> None:
        """A connection attempt failed: schedule the next one (or stop when exhausted).

        Args:
            reason: what happened, for the log.

        Raises:
            StreamStateError: not IDLE or RECONNECTING.
        """
        self._require("report a failed connection", ProtocolState.IDLE, ProtocolState.RECONNECTING)
        logger.debug("websocket connection attempt failed: %s", reason)
        self._schedule()

    def _schedule(self) -> None:
        delay = self.backoff.next_delay()
        attempt = self.backoff.attempt
        if delay is None:
            message = f"max reconnect attempts ({self.backoff.max_attempts}) exhausted"
            self._stop(ConnectionEvent(ConnectionState.CLOSED, attempt, message))
            return
        self.state = ProtocolState.RECONNECTING
        message = f"reconnecting in {delay:.2f}s (attempt {attempt})"
        self._notify(ConnectionEvent(ConnectionState.RECONNECTING, attempt, message))
        self._outputs.append(ReconnectAfter(delay))

    def close(self) -> None:
        """Close for good (idempotent): every consumer ends, then :class:`Stopped`."""
        if self.state is not ProtocolState.CLOSED:
            self._stop(ConnectionEvent(ConnectionState.CLOSED, 0, "closed by client"))

    def _stop(self, event: ConnectionEvent) -> None:
        self.state = ProtocolState.CLOSED
        self._notify(event)
        for consumer in [*self.router.consumers(), *self._lifecycle]:
            consumer.ended = True
            self._wake(consumer)
        self._outputs.append(Stopped())

    def _notify(self, event: ConnectionEvent) -> None:
        logger.info("websocket %s: %s", event.state.value, event.message)
        for consumer in self._lifecycle:
            consumer.buffer.push(event)
            self._wake(consumer)

    # -- frames --

    def receive(self, data: bytes | bytearray | memoryview | str) -> None:
        """One received frame: decoded, routed, buffered for its consumers.

        Malformed frames and server error frames are logged and ignored. A depth consumer
        whose buffer overflows is resynced (unsubscribe and subscribe frames go out at once).

        Args:
            data: the frame's text (or its UTF-8 bytes).

        Raises:
            StreamStateError: not CONNECTED.
        """
        if self.state is not ProtocolState.CONNECTED:
            self._require("receive data", ProtocolState.CONNECTED)
        event = self.decoder.decode(data)
        if isinstance(event, MalformedFrame):
            logger.warning("ignoring a malformed frame (%s): %s", event.reason, event.data)
            return
        if isinstance(event, ServerError):
            logger.warning("websocket server error %s: %s", event.code, event.message)
            return
        woken = self._woken
        for consumer, part in self.router.dispatch(event):
            if consumer.awaiting_snapshot:
                if not (isinstance(part, DepthUpdate) and part.is_snapshot):
                    continue  # a delta before the snapshot it applies to
                consumer.awaiting_snapshot = False
            buffer = consumer.buffer
            was_empty = not len(buffer)
            if not buffer.push(part) and isinstance(consumer.sub, DepthSub):
                self._resync(consumer, consumer.sub)
            elif was_empty:  # a consumer waits only when it found its buffer empty
                woken[id(consumer)] = consumer

    def _resync(self, consumer: Consumer, sub: DepthSub) -> None:
        """A depth consumer lost updates: drop the rest, ask the server for a snapshot."""
        consumer.buffer.clear()
        consumer.awaiting_snapshot = True
        if sub not in self.subscriptions:
            raise SubscriptionConflict(f"cannot resync {sub!r}: it is not subscribed")
        self._send([sub.unsubscribe_frame(), sub.subscribe_frame()])


_OPEN_STATES = (ProtocolState.IDLE, ProtocolState.CONNECTED, ProtocolState.RECONNECTING)


__all__ = [
    "OVERFLOW_POLICIES",
    "BoundedBuffer",
    "ConnectionEvent",
    "ConnectionState",
    "Consumer",
    "Output",
    "OverflowPolicy",
    "ProtocolState",
    "ReconnectAfter",
    "SendFrame",
    "Stopped",
    "StreamProtocol",
    "Wake",
]
