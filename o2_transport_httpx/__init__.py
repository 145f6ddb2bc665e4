"""The httpx transport: REST over httpx, WebSockets over websockets' sans-I/O protocol.

Both run on anyio, so the transport works under asyncio and trio alike.
"""

from __future__ import annotations

import functools
import ssl

import anyio
import httpx

from o2_core import __version__ as __version__
from o2_core.client import O2Client as _CoreO2Client
from o2_core.errors import RequestTimeout, TransportError
from o2_core.http import Request, Response
from o2_core.transport import WebSocketConnection

from ._websocket import AnyioWebSocket, open_websocket

__all__ = ["AnyioWebSocket", "HttpxTransport", "O2Client"]

#: Largest incoming WebSocket message accepted (depth snapshots can be large).
DEFAULT_WS_MAX_SIZE = 16 * 2**20


@functools.lru_cache(maxsize=16)
def _timeouts(seconds: float) -> dict[str, float]:
    """httpx's per-request timeout extension: every phase bounded by ``seconds``."""
    return httpx.Timeout(seconds).as_dict()  # type: ignore[return-value]


class HttpxTransport:
    """A :class:`~o2_core.transport.Transport` over httpx.

    Given an ``httpx.AsyncClient`` (for proxies, event hooks, custom auth ...), requests
    go through it and it stays the caller's to close. Without one, requests go straight
    to an ``httpx.AsyncHTTPTransport`` connection pool owned (and closed by
    :meth:`aclose`) here: the client layer's redirects, cookies and hooks are of no use
    to this API and cost about 0.1 ms per request.

    Args:
        client: an ``httpx.AsyncClient`` to send requests through (it stays yours).
        ws_max_size: the largest incoming WebSocket message, in bytes (None: no cap).
        ws_close_timeout: seconds :meth:`AnyioWebSocket.close` may take.
        ssl_context: TLS settings for the WebSocket connections and for the pool
            created here.
    """

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        ws_max_size: int | None = DEFAULT_WS_MAX_SIZE,
        ws_close_timeout: float = 2.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._client = client
        self._pool: httpx.AsyncHTTPTransport | None = None
        if client is None:
            self._pool = httpx.AsyncHTTPTransport(verify=ssl_context or True)
        self._ws_max_size = ws_max_size
        self._ws_close_timeout = ws_close_timeout
        self._ssl_context = ssl_context

    async def request(self, request: Request, timeout: float) -> Response:
        """Perform one HTTP exchange; the whole exchange is bounded by ``timeout``.

        Args:
            request: the request.
            timeout: the most seconds the exchange may take.

        Returns:
            The reply, whatever its status (header names lowercase).

        Raises:
            RequestTimeout: no reply in time.
            TransportError: any other failure to get a reply.
        """
        try:
            with anyio.fail_after(timeout):
                if self._pool is not None:
                    status, body, raw_headers = await self._pooled(request, timeout)
                else:
                    assert self._client is not None
                    reply = await self._client.request(
                        request.method,
                        request.url,
                        headers=list(request.headers),
                        content=request.body,
                        timeout=timeout,
                    )
                    status, body, raw_headers = reply.status_code, reply.content, reply.headers
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise RequestTimeout(
                f"{request.method} {request.url}: no reply within {timeout}s"
            ) from exc
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            raise TransportError(f"{request.method} {request.url} failed: {exc!r}") from exc
        headers = {name.lower(): value for name, value in raw_headers.items()}
        return Response(status, body, headers)

    async def _pooled(self, request: Request, timeout: float) -> tuple[int, bytes, httpx.Headers]:
        assert self._pool is not None
        outgoing = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=request.body,
            extensions={"timeout": _timeouts(timeout)},
        )
        reply = await self._pool.handle_async_request(outgoing)
        try:
            body = await reply.aread()
        finally:
            await reply.aclose()
        return reply.status_code, body, reply.headers

    async def connect_websocket(self, url: str, timeout: float) -> WebSocketConnection:
        """Open a WebSocket (``ws://`` or ``wss://``) within ``timeout`` seconds.

        Args:
            url: the WebSocket URL.
            timeout: the most seconds the connection and handshake may take.

        Returns:
            The open connection (an :class:`AnyioWebSocket`).

        Raises:
            TransportError: an invalid URL or a failed connection or handshake
                (RequestTimeout when it took too long).
        """
        return await open_websocket(
            url,
            timeout,
            max_size=self._ws_max_size,
            close_timeout=self._ws_close_timeout,
            ssl_context=self._ssl_context,
        )

    async def aclose(self) -> None:
        """Close the connection pool created here (idempotent); a given client is left open."""
        if self._pool is not None:
            await self._pool.aclose()


class O2Client(_CoreO2Client):
    """``O2Client`` over :class:`HttpxTransport` unless given another ``transport``."""

    default_transport_factory = HttpxTransport
