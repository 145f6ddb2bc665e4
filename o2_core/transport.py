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

from typing import Protocol, runtime_checkable

from .errors import TransportError
from .http import Request, Response


class ConnectionClosed(TransportError):
    """The WebSocket connection is closed (by either side, or lost)."""


@runtime_checkable
class WebSocketConnection(Protocol):
    """One open WebSocket connection carrying JSON text frames."""

    async def send_text(self, text: str) -> None:
        """Send one text frame."""
        ...

    async def receive_text(self) -> str:
        """The next text frame; raises :class:`ConnectionClosed` when the connection ends."""
        ...

    async def ping(self) -> None:
        """Send a ping and return when its pong arrives."""
        ...

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        ...


@runtime_checkable
class Transport(Protocol):
    """A way to reach an O2 exchange. Implementations: httpx, aiohttp, in-memory."""

    async def request(self, request: Request, timeout: float) -> Response:
        """Perform one HTTP exchange within ``timeout`` seconds."""
        ...

    async def connect_websocket(self, url: str, timeout: float) -> WebSocketConnection:
        """Open a WebSocket to ``url`` within ``timeout`` seconds."""
        ...

    async def aclose(self) -> None:
        """Release connections and pools (idempotent)."""
        ...
