"""An in-memory transport: ``O2Client`` wired straight to a local :class:`Exchange`.

No sockets at all. Requests go to ``Exchange.process``; WebSocket frames go through the
exchange's connection state, and a waiting ``receive_text`` is woken by the
connection's ``on_ready`` callback. Works under asyncio and trio (anyio). A client that
leaves more than ``SimConfig.ws_max_backlog`` frames unread is disconnected by the
exchange, as over a real socket: ``receive_text`` then raises ``ConnectionClosed``
naming the close code.

Scripted faults of the exchange are carried out here: ``delay`` waits (a delay longer
than the request timeout raises :class:`~o2_core.errors.RequestTimeout` after the
timeout), ``drop`` raises :class:`~o2_core.errors.TransportError`.

Requests whose path is under ``/bridge`` (e.g. ``http://o2.local/bridge/v1/info``) go to
the transport's local Fast Bridge (:class:`~o2_core.sim.bridge.BridgeSim`), when it has
one: :func:`local_exchange` builds it with the exchange's clock and seed, so
``FastBridgeClient("http://o2.local/bridge")`` works in memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.lowlevel

from o2_core import __version__ as __version__
from o2_core.errors import RequestTimeout, TransportError
from o2_core.http import Request, Response
from o2_core.sim import DropConnection, Exchange, SimConfig, WsConnection, default_config
from o2_core.sim.bridge import BRIDGE_BASE_PATH, BridgeSim
from o2_core.transport import ConnectionClosed

__all__ = ["MemoryTransport", "MemoryWebSocket", "embedded_transport", "local_exchange"]


class MemoryWebSocket:
    """One in-memory WebSocket connection to the exchange.

    Args:
        exchange: the exchange.
        conn: the exchange-side state of the connection (from ``Exchange.ws_connect``).
    """

    def __init__(self, exchange: Exchange, conn: WsConnection) -> None:
        self._exchange = exchange
        self._conn = conn
        self._event: anyio.Event | None = None
        self._closed = False
        conn.on_ready = self._wake

    def _wake(self) -> None:
        event = self._event
        if event is not None:
            self._event = None
            event.set()

    @property
    def connection(self) -> WsConnection:
        """The exchange-side state of this connection."""
        return self._conn

    def _check_open(self) -> None:
        if self._closed or self._conn.closed:
            raise ConnectionClosed("the WebSocket connection is closed")

    async def send_text(self, text: str) -> None:
        """Send one text frame to the exchange.

        Args:
            text: the frame.

        Raises:
            ConnectionClosed: the connection is closed.
        """
        await anyio.lowlevel.checkpoint()
        self._check_open()
        self._exchange.ws_receive(self._conn, text)

    def _closed_by_exchange(self) -> str:
        code = self._conn.close_code
        if code is None:
            return "the exchange closed the WebSocket connection"
        reason = self._conn.close_reason
        return f"the exchange closed the WebSocket connection (code {code}: {reason})"

    async def receive_text(self) -> str:
        """The next frame from the exchange (waits until there is one).

        Returns:
            The frame's text.

        Raises:
            ConnectionClosed: closed by us, or by the exchange (the message names its close
                code, e.g. for a client that left too many frames unread).
        """
        await anyio.lowlevel.checkpoint()
        while True:
            if self._closed:
                raise ConnectionClosed("the WebSocket connection is closed")
            if self._conn.outbox:
                return self._conn.outbox.popleft()
            if self._conn.closed:
                raise ConnectionClosed(self._closed_by_exchange())
            event = anyio.Event()
            self._event = event
            await event.wait()

    async def ping(self) -> None:
        """A pong is immediate in memory (if the connection is open).

        Raises:
            ConnectionClosed: the connection is closed.
        """
        await anyio.lowlevel.checkpoint()
        self._check_open()

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        if not self._closed:
            self._closed = True
            self._exchange.ws_close(self._conn)
            self._wake()


class MemoryTransport:
    """A :class:`~o2_core.transport.Transport` that calls an :class:`~o2_core.sim.Exchange`
    directly.

    Args:
        exchange: the exchange to answer requests (``exchange`` attribute).
        bridge: a local Fast Bridge to answer the requests under its base path
            (``/bridge``); None: none.
    """

    def __init__(self, exchange: Exchange, bridge: BridgeSim | None = None) -> None:
        self.exchange = exchange
        self.bridge = bridge
        self._sockets: list[MemoryWebSocket] = []

    async def request(self, request: Request, timeout: float) -> Response:
        """Answer one request, carrying out the exchange's scripted ``delay``/``drop`` faults.

        Args:
            request: the request.
            timeout: the most seconds a scripted delay may take.

        Returns:
            The exchange's reply.

        Raises:
            RequestTimeout: a scripted delay of ``timeout`` or more (raised after
                ``timeout``).
            TransportError: a scripted dropped connection.
        """
        await anyio.lowlevel.checkpoint()
        bridge = self.bridge
        if bridge is not None and bridge.handles(request.url):
            return bridge.process(request)
        outcome = self.exchange.process(request)
        if outcome.delay > 0:
            if outcome.delay >= timeout:
                await anyio.sleep(timeout)
                raise RequestTimeout(
                    f"no reply to {request.method} {urlsplit(request.url).path} within {timeout}s"
                )
            await anyio.sleep(outcome.delay)
        if outcome.drop or outcome.response is None:
            raise TransportError(
                f"connection lost during {request.method} {urlsplit(request.url).path}"
            )
        return outcome.response

    async def connect_websocket(self, url: str, timeout: float) -> MemoryWebSocket:
        """Open an in-memory WebSocket (the URL's path must be ``/v1/ws``).

        Args:
            url: the WebSocket URL (only its path is read).
            timeout: unused (connecting is immediate).

        Returns:
            The open connection.

        Raises:
            TransportError: another path, or a scripted refusal of the exchange.
        """
        await anyio.lowlevel.checkpoint()
        path = urlsplit(url).path.rstrip("/")
        if path != "/v1/ws":
            raise TransportError(f"no WebSocket endpoint at {url}")
        try:
            conn = self.exchange.ws_connect()
        except DropConnection as err:
            raise TransportError(f"WebSocket connection to {url} failed: {err}") from None
        socket = MemoryWebSocket(self.exchange, conn)
        self._sockets = [s for s in self._sockets if not s._closed]
        self._sockets.append(socket)
        return socket

    async def aclose(self) -> None:
        """Close every WebSocket this transport opened."""
        for socket in self._sockets:
            await socket.close()
        self._sockets.clear()


def local_exchange(
    seed: int = 0,
    clock: Callable[[], float] = time.time,
    config: SimConfig | None = None,
    *,
    bridge: bool = True,
    **options: Any,
) -> tuple[Exchange, MemoryTransport]:
    """A fresh local exchange and a transport wired to it (and, unless ``bridge`` is
    False, to a local Fast Bridge under ``/bridge`` on the same clock and seed:
    ``transport.bridge``).

    Args:
        seed: the seed of the exchange's ids and keys (see
            :func:`~o2_core.sim.default_config`).
        clock: unix time in seconds (inject one to control expiry and faucet cooldowns).
        config: the exchange's configuration (default: ``default_config(seed, **options)``).
        bridge: also wire a local Fast Bridge under ``/bridge``.
        **options: passed to :func:`~o2_core.sim.default_config` when no ``config`` is
            given.

    Returns:
        ``(exchange, transport)``: pass the transport to ``O2Client(network=Network.LOCAL,
        transport=...)`` and keep the exchange to inspect it or script faults.
    """
    exchange = Exchange(config or default_config(seed, **options), clock=clock)
    local_bridge = None
    if bridge:
        local_bridge = BridgeSim(
            clock,
            seed=exchange.seed,
            base_path=BRIDGE_BASE_PATH,
            fuel_chain_id=exchange.config.chain_id,
        )
    return exchange, MemoryTransport(exchange, local_bridge)


def embedded_transport() -> MemoryTransport:
    """A transport to a fresh embedded exchange: the default of ``Network.LOCAL``.

    Returns:
        The transport; each call makes a new exchange.
    """
    return local_exchange()[1]
