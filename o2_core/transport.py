"""What ``O2Client`` needs from the network, and nothing more.

A transport performs one HTTP exchange (:class:`~o2_core.http.Request` in,
:class:`~o2_core.http.Response` out) and opens WebSocket connections that carry text
frames. Retries, backoff, rate limits, nonces and parsing are the client's and the core's
business, so a transport stays a thin adapter over a networking library.

Errors a transport raises: :class:`~o2_core.errors.RequestTimeout` when no reply came in
time, :class:`~o2_core.errors.TransportError` for any other failure to get a reply, and
:class:`ConnectionClosed` when a WebSocket is gone.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Generic, Protocol, TypeVar, runtime_checkable
from urllib.parse import urlsplit

from .config import LOCAL_HOST
from .errors import ConnectionClosed, UsageError
from .http import Request, Response

W = TypeVar("W")


class PendingPings(Generic[W]):
    """Pings sent and not yet answered, each with the waiter of its sender.

    WebSocket transports share this bookkeeping: a pong acknowledges its own ping and
    every ping sent before it (RFC 6455 lets a peer answer only the latest). ``W`` is the
    transport's waiter type (an event); this class only decides whom to release.

    Args:
        random_bytes: makes ping payloads (``os.urandom`` by default).
    """

    def __init__(self, random_bytes: Callable[[int], bytes] = os.urandom) -> None:
        self._pending: dict[bytes, W] = {}
        self._random_bytes = random_bytes

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, waiter: W) -> bytes:
        """Register ``waiter`` under a fresh payload.

        Args:
            waiter: what to release when the pong comes.

        Returns:
            The 4-byte payload to send in the ping.
        """
        payload = self._random_bytes(4)
        while payload in self._pending:
            payload = self._random_bytes(4)
        self._pending[payload] = waiter
        return payload

    def discard(self, payload: bytes) -> None:
        """Forget a ping (its sender stopped waiting).

        Args:
            payload: the ping's payload.
        """
        self._pending.pop(payload, None)

    def acknowledge(self, payload: bytes) -> list[W]:
        """The waiters a pong releases: its own ping's and those of every earlier ping.

        Args:
            payload: the pong's payload.

        Returns:
            The released waiters, oldest first (none for an unknown payload).
        """
        if payload not in self._pending:
            return []
        released = []
        for key in list(self._pending):
            released.append(self._pending.pop(key))
            if key == payload:
                break
        return released

    def drain(self) -> list[W]:
        """Every waiter (the connection is gone).

        Returns:
            The waiters; none remain registered.
        """
        waiters = list(self._pending.values())
        self._pending.clear()
        return waiters


@runtime_checkable
class WebSocketConnection(Protocol):
    """One open WebSocket connection carrying JSON text frames."""

    async def send_text(self, text: str) -> None:
        """Send one text frame.

        Args:
            text: the frame (JSON).

        Raises:
            ConnectionClosed: the connection is gone.
        """
        ...

    async def receive_text(self) -> str:
        """The next text frame.

        Returns:
            The frame's text.

        Raises:
            ConnectionClosed: the connection ended (by either side, or lost).
        """
        ...

    async def ping(self) -> None:
        """Send a ping and return when its pong arrives.

        Raises:
            ConnectionClosed: the connection ended before the pong.
        """
        ...

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        ...


@runtime_checkable
class Transport(Protocol):
    """A way to reach an O2 exchange. Implementations: httpx, aiohttp, in-memory."""

    async def request(self, request: Request, timeout: float) -> Response:
        """Perform one HTTP exchange within ``timeout`` seconds.

        Every reply is returned, whatever its status: classifying it is the core's job.

        Args:
            request: the request.
            timeout: the most seconds the whole exchange may take.

        Returns:
            The reply (header names lowercase).

        Raises:
            RequestTimeout: no reply in time.
            TransportError: any other failure to get a reply.
        """
        ...

    async def connect_websocket(self, url: str, timeout: float) -> WebSocketConnection:
        """Open a WebSocket to ``url`` within ``timeout`` seconds.

        Args:
            url: the WebSocket URL (``NetworkConfig.ws_url``).
            timeout: the most seconds the handshake may take.

        Returns:
            The open connection.

        Raises:
            TransportError: the connection could not be made (RequestTimeout when it took too
                long).
        """
        ...

    async def aclose(self) -> None:
        """Release connections and pools (idempotent)."""
        ...


#: The entry-point group transport packages register a factory under (see pyproject.toml).
#: The core never imports an adapter: it finds the installed ones here.
ENTRY_POINT_GROUP = "o2_core.transports"
#: Which registered transport serves a real network, in order of preference.
NETWORK_TRANSPORTS = ("httpx", "aiohttp")


def transport_factories() -> dict[str, Callable[[], Transport]]:
    """The installed transports' factories by name (``httpx``, ``aiohttp``, ``memory``...).

    A transport whose package cannot be imported (an optional dependency is missing) is
    left out.

    Returns:
        Each registered name with the callable that makes a new transport.
    """
    factories: dict[str, Callable[[], Transport]] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            factories[entry.name] = entry.load()
        except ImportError:
            continue
    return factories


def default_transport(url: str) -> Transport:
    """A new transport able to reach ``url``, chosen among the installed ones.

    The embedded local exchange (host ``o2.local``) is reached in memory; anything else
    over the first installed of :data:`NETWORK_TRANSPORTS`.

    Args:
        url: the API base URL to reach.

    Returns:
        The transport.

    Raises:
        UsageError: no installed transport can reach ``url``.
    """
    factories = transport_factories()
    wanted = ("memory",) if urlsplit(url).hostname == LOCAL_HOST else NETWORK_TRANSPORTS
    for name in wanted:
        if name in factories:
            return factories[name]()
    raise UsageError(
        f"no installed transport can reach {url} (looked for {', '.join(wanted)} in the "
        f"{ENTRY_POINT_GROUP!r} entry points); reinstall o2-sansio or pass transport="
    )


__all__ = [
    "ENTRY_POINT_GROUP",
    "ConnectionClosed",
    "PendingPings",
    "Transport",
    "WebSocketConnection",
    "default_transport",
    "transport_factories",
]
