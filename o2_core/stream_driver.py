"""Runs the shared WebSocket of one client: the async side of :mod:`o2_core.stream`.

One reader loop receives frames and feeds the pure :class:`~o2_core.stream.StreamProtocol`;
one keepalive loop pings a silent connection and drops it when no pong comes. Every
decision (routing, buffering, overflow, snapshot gating, reconnect delays) is the
protocol's; this module only performs its outputs: it sends frames, wakes consumers and
waits reconnect delays. anyio only, so it runs under asyncio and trio.

Where the loops run: under ``async with O2Client(...)`` they are two tasks of the
client's task group, started with the first stream and cancelled by ``close()``.
Without ``async with`` (the o2-sdk style: ``client = O2Client(); ...; await
client.close()``) there is no task group to own them, so a waiting consumer hosts them
in a task group of its own until its item arrives, and then hands over to the next
waiting consumer. Structured concurrency forbids a task to outlive its host, and a
stream iterator cannot host tasks across its ``yield`` (that would break cancellation);
hosting during waits is the closest to a background task that stays correct.

Consumers do not use anyio memory streams: their buffers are the protocol's bounded
buffers, whose overflow policies (drop the oldest and resync, keep the latest, fail)
an anyio stream cannot express; a consumer waits on an event the reader sets.
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.abc

from .errors import TransportError, UsageError
from .policy import Backoff
from .stream import (
    ConnectionEvent,
    ConnectionState,
    Consumer,
    ProtocolState,
    ReconnectAfter,
    SendFrame,
    Stopped,
    StreamProtocol,
    Wake,
)
from .subscriptions import Subscription
from .transport import Transport, WebSocketConnection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamOptions:
    """Tuning of the shared WebSocket.

    Args:
        buffer_size: each iterator's buffer; when its consumer falls behind, depth drops
            the oldest update and resyncs from a fresh snapshot, orders/balances/trades
            raise ``SlowConsumerError``, nonce keeps the latest.
        ping_interval: seconds of silence after which a ping is sent.
        pong_timeout: seconds a pong may take before the connection counts as dead.
        connect_timeout: seconds a connection attempt may take.
        close_timeout: seconds a close handshake may take.
        reconnect_base: the first reconnect delay (then doubling, jittered).
        reconnect_cap: the longest reconnect delay.
        max_reconnect_attempts: reconnect attempts before giving up (None: forever).
    """

    buffer_size: int = 1024
    ping_interval: float = 20.0
    pong_timeout: float = 10.0
    connect_timeout: float = 10.0
    close_timeout: float = 2.0
    reconnect_base: float = 0.25
    reconnect_cap: float = 30.0
    max_reconnect_attempts: int | None = None


class StreamDriver:
    """Drives one shared WebSocket for every stream iterator of a client.

    Args:
        transport: opens the connections.
        url: the WebSocket URL.
        options: tuning.
        rand: the random source of the reconnect jitter (floats in [0, 1)).
    """

    def __init__(
        self,
        transport: Transport,
        url: str,
        options: StreamOptions,
        rand: Callable[[], float],
    ) -> None:
        backoff = Backoff(
            base=options.reconnect_base,
            cap=options.reconnect_cap,
            max_attempts=options.max_reconnect_attempts,
            jitter=0.5,
            rand=rand,
        )
        self.protocol = StreamProtocol(backoff, options.buffer_size)
        self._transport = transport
        self._url = url
        self._opts = options
        self._conn: WebSocketConnection | None = None
        self._outbox: deque[str] = deque()
        self._send_lock: anyio.Lock | None = None
        self._waiting: dict[int, anyio.Event] = {}
        self._host: anyio.abc.TaskGroup | None = None
        self._run_scope: anyio.CancelScope | None = None
        self._hosting = False
        self._stopped = False
        self._reconnect_at = 0.0
        self._last_frame = 0.0
        self._abort_reason: str | None = None

    # --- hosting ---------------------------------------------------------------------

    def host_in(self, task_group: anyio.abc.TaskGroup) -> None:
        """Run the loops in ``task_group`` (the client's) once the first stream opens.

        Args:
            task_group: a task group that outlives the streams.
        """
        self._host = task_group

    def _ensure_running(self) -> None:
        if self._host is not None and self._run_scope is None and not self._stopped:
            self._run_scope = anyio.CancelScope()
            self._host.start_soon(self._run, self._run_scope)

    async def _run(self, scope: anyio.CancelScope) -> None:
        with scope:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._reader_loop)
                tg.start_soon(self._keepalive_loop)

    async def _wait(self, event: anyio.Event) -> None:
        """Wait for ``event``; without a host task group, host the loops meanwhile."""
        if self._run_scope is not None or self._hosting:
            await event.wait()
            return
        self._hosting = True
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._reader_loop)
                tg.start_soon(self._keepalive_loop)
                await event.wait()
                tg.cancel_scope.cancel()
        finally:
            self._hosting = False
            self._wake_all()  # the next waiting consumer takes over the loops

    # --- the loops -------------------------------------------------------------------

    async def _reader_loop(self) -> None:
        while not self._stopped:
            try:
                await self._read_step()
            except anyio.get_cancelled_exc_class():
                raise
            except Exception as err:  # never let a surprise kill the host task group
                logger.exception("websocket reader failed; dropping the connection")
                await self._lost(self._conn, f"reader failed: {err!r}")

    async def _read_step(self) -> None:
        conn = self._conn
        if conn is None:
            await self._connect()
            return
        if self._outbox:  # frames a cancelled host left unsent
            await self._send_outbox()
        try:
            text = await conn.receive_text()
        except TransportError as err:
            await self._lost(conn, self._abort_reason or str(err) or type(err).__name__)
            return
        if conn is not self._conn or self._stopped:
            return  # closed or replaced while this frame was on its way
        self._last_frame = anyio.current_time()
        self.protocol.receive(text)
        await self._flush()

    async def _connect(self) -> None:
        delay = self._reconnect_at - anyio.current_time()
        if delay > 0:
            await anyio.sleep(delay)
        try:
            conn = await self._transport.connect_websocket(self._url, self._opts.connect_timeout)
        except TransportError as err:
            self.protocol.connection_failed(str(err))
            await self._flush()
            return
        if self._stopped:
            await self._close_conn(conn)
            return
        self._conn = conn
        self._abort_reason = None
        self._last_frame = anyio.current_time()
        self.protocol.connection_made()
        await self._flush()

    async def _lost(self, conn: WebSocketConnection | None, reason: str) -> None:
        if conn is not None and conn is self._conn:
            self._conn = None
            self._outbox.clear()
            await self._close_conn(conn)
        if self.protocol.state is ProtocolState.CONNECTED:
            self.protocol.connection_lost(reason)
            await self._flush()

    async def _keepalive_loop(self) -> None:
        interval, timeout = self._opts.ping_interval, self._opts.pong_timeout
        while not self._stopped:
            conn = self._conn
            idle = anyio.current_time() - self._last_frame
            if conn is None or idle < interval:
                await anyio.sleep(interval - idle if conn is not None else interval)
                continue
            answered = False
            with anyio.move_on_after(timeout), contextlib.suppress(TransportError):
                await conn.ping()
                answered = True
            if answered:
                self._last_frame = anyio.current_time()
            elif conn is self._conn:
                self._abort_reason = f"no pong within {timeout}s"
                await self._close_conn(conn)  # the reader sees it closed and reconnects

    # --- outputs ---------------------------------------------------------------------

    async def _flush(self) -> None:
        """Carry out the protocol's outputs."""
        for output in self.protocol.outputs():
            if isinstance(output, SendFrame):
                self._outbox.append(output.text)
            elif isinstance(output, Wake):
                event = self._waiting.pop(id(output.consumer), None)
                if event is not None:
                    event.set()
            elif isinstance(output, ReconnectAfter):
                self._reconnect_at = anyio.current_time() + output.delay
            elif isinstance(output, Stopped):
                self._stopped = True
                self._wake_all()
        if self._outbox:
            await self._send_outbox()

    async def _send_outbox(self) -> None:
        if self._send_lock is None:
            self._send_lock = anyio.Lock()
        async with self._send_lock:  # one sender at a time keeps the frames in order
            while self._outbox:
                conn = self._conn
                if conn is None:
                    self._outbox.clear()  # a reconnect re-sends every subscription
                    return
                text = self._outbox[0]  # taken off only once sent: cancellation-safe
                try:
                    logger.debug("websocket send %s", text)
                    await conn.send_text(text)
                except TransportError as err:
                    self._abort_reason = f"send failed: {err}"
                    await self._close_conn(conn)
                    return
                if self._outbox and self._outbox[0] is text:
                    self._outbox.popleft()

    async def _close_conn(self, conn: WebSocketConnection) -> None:
        with anyio.move_on_after(self._opts.close_timeout, shield=True):
            with contextlib.suppress(TransportError):
                await conn.close()

    def _wake_all(self) -> None:
        waiting, self._waiting = self._waiting, {}
        for event in waiting.values():
            event.set()

    # --- consumers -------------------------------------------------------------------

    async def _next(self, consumer: Consumer) -> Any:
        """The consumer's next item, or None once it has ended."""
        while True:
            item = consumer.take()
            if item is not None:
                return item
            if consumer.ended or self._stopped:
                return None
            event = self._waiting[id(consumer)] = anyio.Event()
            await self._wait(event)

    async def iterate(self, sub: Subscription) -> AsyncGenerator[Any, None]:
        """Subscribe ``sub`` and yield its updates until the streams close.

        Args:
            sub: the subscription; shared with other iterators of the same one.

        Yields:
            The updates routed to it (a depth iterator: a snapshot first).

        Raises:
            UsageError: the streams are closed.
            SlowConsumerError: the iterator fell behind (orders, balances, trades).
            SubscriptionConflict: another precision of the same market is streamed.
        """
        if self._stopped:
            raise UsageError("the client's streams are closed")
        consumer = self.protocol.open(sub)
        try:
            self._ensure_running()
            await self._flush()
            while True:
                item = await self._next(consumer)
                if item is None:
                    return
                yield item
        finally:
            with anyio.CancelScope(shield=True):
                await self._release(consumer)

    async def lifecycle(self) -> AsyncGenerator[ConnectionEvent, None]:
        """Lifecycle events until CLOSED (this iterator also keeps the connection read).

        Yields:
            Each lifecycle event, from now on; the last one is CLOSED.

        Raises:
            UsageError: the streams are closed.
        """
        if self._stopped:
            raise UsageError("the client's streams are closed")
        consumer = self.protocol.open_lifecycle()
        try:
            self._ensure_running()
            while True:
                event: ConnectionEvent | None = await self._next(consumer)
                if event is None:
                    return
                yield event
                if event.state is ConnectionState.CLOSED:
                    return
        finally:
            self.protocol.close_consumer(consumer)

    async def _release(self, consumer: Consumer) -> None:
        self._waiting.pop(id(consumer), None)
        self.protocol.close_consumer(consumer)
        with anyio.move_on_after(self._opts.close_timeout):
            await self._flush()

    async def aclose(self) -> None:
        """End every iterator promptly and close the connection (idempotent)."""
        if self._stopped and self._conn is None:
            return
        self.protocol.close()
        await self._flush()
        if self._run_scope is not None:
            self._run_scope.cancel()
        conn, self._conn = self._conn, None
        if conn is not None:
            await self._close_conn(conn)


__all__ = ["StreamDriver", "StreamOptions"]
