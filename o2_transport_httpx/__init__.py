"""The httpx transport: REST over httpx, WebSockets over websockets' sans-I/O protocol.

Both run on anyio, so the transport works under asyncio and trio alike.
"""

from __future__ import annotations

import ssl

import anyio
import httpx

from o2_core.client import client_class
from o2_core.errors import RequestTimeout, TransportError
from o2_core.http import Request, Response
from o2_core.transport import WebSocketConnection

from ._websocket import AnyioWebSocket, open_websocket

__all__ = ["AnyioWebSocket", "HttpxTransport", "O2Client"]

#: Largest incoming WebSocket message accepted (depth snapshots can be large).
DEFAULT_WS_MAX_SIZE = 16 * 2**20


class HttpxTransport:
    """A :class:`~o2_core.transport.Transport` over an ``httpx.AsyncClient``.

    A client passed in stays the caller's to close; one created here is closed by
    :meth:`aclose`. ``ssl_context`` applies to the WebSocket connections and to the
    client created here. ``ws_max_size`` caps an incoming WebSocket message (None: no
    cap); ``ws_close_timeout`` bounds :meth:`AnyioWebSocket.close`.
    """

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        ws_max_size: int | None = DEFAULT_WS_MAX_SIZE,
        ws_close_timeout: float = 2.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._owns_client = client is None
        if client is None:
            client = httpx.AsyncClient(verify=ssl_context) if ssl_context else httpx.AsyncClient()
        self._client = client
        self._ws_max_size = ws_max_size
        self._ws_close_timeout = ws_close_timeout
        self._ssl_context = ssl_context

    async def request(self, request: Request, timeout: float) -> Response:
        """Perform one HTTP exchange; the whole exchange is bounded by ``timeout``."""
        try:
            with anyio.fail_after(timeout):
                reply = await self._client.request(
                    request.method,
                    request.url,
                    headers=list(request.headers),
                    content=request.body,
                    timeout=timeout,
                )
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise RequestTimeout(
                f"{request.method} {request.url}: no reply within {timeout}s"
            ) from exc
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            raise TransportError(f"{request.method} {request.url} failed: {exc!r}") from exc
        headers = {name.lower(): value for name, value in reply.headers.items()}
        return Response(reply.status_code, reply.content, headers)

    async def connect_websocket(self, url: str, timeout: float) -> WebSocketConnection:
        """Open a WebSocket (``ws://`` or ``wss://``) within ``timeout`` seconds."""
        return await open_websocket(
            url,
            timeout,
            max_size=self._ws_max_size,
            close_timeout=self._ws_close_timeout,
            ssl_context=self._ssl_context,
        )

    async def aclose(self) -> None:
        """Close the httpx client if this transport created it (idempotent)."""
        if self._owns_client and not self._client.is_closed:
            await self._client.aclose()


#: ``O2Client`` with :class:`HttpxTransport` as its default transport (drop-in imports).
O2Client = client_class(HttpxTransport)
