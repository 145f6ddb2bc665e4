"""The aiohttp transport: REST and WebSockets over an ``aiohttp.ClientSession`` (asyncio only)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable

import aiohttp

from o2_core import __version__ as __version__
from o2_core.client import O2Client as _CoreO2Client
from o2_core.errors import RequestTimeout, TransportError
from o2_core.http import Request, Response
from o2_core.transport import ConnectionClosed, PendingPings, WebSocketConnection

__all__ = ["AiohttpTransport", "AiohttpWebSocket", "O2Client"]

#: Largest incoming WebSocket message accepted (depth snapshots can be large).
DEFAULT_WS_MAX_SIZE = 16 * 2**20

_CLOSING = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED)


class AiohttpWebSocket:
    """One open WebSocket connection (text frames) over aiohttp.

    The socket is opened with ``autoping=False`` so that pongs are visible:
    :meth:`receive_text` answers pings and resolves :meth:`ping` waiters. Pinging
    therefore needs a concurrent receiver (``O2Client`` always runs one).

    Args:
        ws: the open aiohttp WebSocket.
        url: its URL (for messages).
    """

    def __init__(self, ws: aiohttp.ClientWebSocketResponse[bool], url: str) -> None:
        self._ws = ws
        self._url = url
        self._write_lock = asyncio.Lock()
        self._pings: PendingPings[asyncio.Event] = PendingPings()
        self._gone = False

    def __repr__(self) -> str:
        return f"<AiohttpWebSocket {self._url} {'closed' if self._gone else 'open'}>"

    async def send_text(self, text: str) -> None:
        """Send one text frame.

        Args:
            text: the frame.

        Raises:
            ConnectionClosed: the connection is closed, or the send failed.
        """
        await self._write(lambda: self._ws.send_str(text))

    async def ping(self) -> None:
        """Send a ping and return when its pong arrives (needs a concurrent receiver).

        Raises:
            ConnectionClosed: the connection ended before the pong.
        """
        waiter = asyncio.Event()
        data = self._pings.add(waiter)
        try:
            await self._write(lambda: self._ws.ping(data))
            await waiter.wait()
        finally:
            self._pings.discard(data)
        if self._gone:
            raise ConnectionClosed(f"WebSocket {self._url} closed before the pong")

    async def _write(self, operation: Callable[[], Awaitable[None]]) -> None:
        if self._gone or self._ws.closed:
            raise ConnectionClosed(f"WebSocket {self._url} is closed")
        try:
            async with self._write_lock:
                await operation()
        except (aiohttp.ClientError, ConnectionError) as exc:
            self._set_gone()
            raise ConnectionClosed(f"WebSocket {self._url}: send failed ({exc!r})") from exc

    async def receive_text(self) -> str:
        """The next text message; pings are answered and pongs resolve :meth:`ping` waiters on
        the way.

        Returns:
            The message's text.

        Raises:
            ConnectionClosed: the connection ended (closed, or an error).
        """
        ws = self._ws
        while True:
            msg = await ws.receive()
            kind = msg.type
            if kind is aiohttp.WSMsgType.TEXT:
                return msg.data  # type: ignore[no-any-return]
            if kind is aiohttp.WSMsgType.PING:
                with contextlib.suppress(ConnectionClosed):
                    await self._write(functools.partial(ws.pong, bytes(msg.data)))
            elif kind is aiohttp.WSMsgType.PONG:
                for waiter in self._pings.acknowledge(bytes(msg.data)):
                    waiter.set()
            elif kind in _CLOSING or kind is aiohttp.WSMsgType.ERROR:
                self._set_gone()
                detail = f"error {msg.data!r}" if kind is aiohttp.WSMsgType.ERROR else kind.name
                raise ConnectionClosed(
                    f"WebSocket {self._url} closed ({detail}, code {ws.close_code})"
                )
            # BINARY: not part of the protocol; skipped

    def _set_gone(self) -> None:
        self._gone = True
        for waiter in self._pings.drain():
            waiter.set()

    async def close(self) -> None:
        """Send a close frame and wait (bounded by the session's ws_close) for the reply."""
        self._set_gone()
        with contextlib.suppress(aiohttp.ClientError, ConnectionError):
            await self._ws.close()


class AiohttpTransport:
    """A :class:`~o2_core.transport.Transport` over ``aiohttp.ClientSession`` (asyncio only).

    A session passed in stays the caller's to close; otherwise one is created on first
    use (inside the running loop) and closed by :meth:`aclose`.

    Args:
        session: an ``aiohttp.ClientSession`` to use (it stays yours).
        ws_max_size: the largest incoming WebSocket message, in bytes.
        ws_close_timeout: seconds a WebSocket close handshake may take.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        ws_max_size: int = DEFAULT_WS_MAX_SIZE,
        ws_close_timeout: float = 2.0,
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self._ws_max_size = ws_max_size
        self._ws_close_timeout = ws_close_timeout

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or (self._owns_session and self._session.closed):
            self._session = aiohttp.ClientSession()
        return self._session

    async def request(self, request: Request, timeout: float) -> Response:
        """Perform one HTTP exchange; the whole exchange is bounded by ``timeout``.

        Args:
            request: the request.
            timeout: the most seconds the exchange may take.

        Returns:
            The reply, whatever its status (header names lowercase; repeated headers joined
            with ``", "``).

        Raises:
            RequestTimeout: no reply in time.
            TransportError: any other failure to get a reply.
        """
        try:
            async with self._get_session().request(
                request.method,
                request.url,
                headers=list(request.headers),
                data=request.body,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as reply:
                body = await reply.read()
                status = reply.status
                headers: dict[str, str] = {}
                for name, value in reply.headers.items():
                    key = name.lower()
                    headers[key] = f"{headers[key]}, {value}" if key in headers else value
        except asyncio.TimeoutError as exc:
            raise RequestTimeout(
                f"{request.method} {request.url}: no reply within {timeout}s"
            ) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise TransportError(f"{request.method} {request.url} failed: {exc!r}") from exc
        return Response(status, body, headers)

    async def connect_websocket(self, url: str, timeout: float) -> WebSocketConnection:
        """Open a WebSocket within ``timeout`` seconds (``autoping=False``: see
        :class:`AiohttpWebSocket`).

        Args:
            url: the WebSocket URL.
            timeout: the most seconds the handshake may take.

        Returns:
            The open connection.

        Raises:
            RequestTimeout: no handshake in time.
            TransportError: the connection failed.
        """
        try:
            ws = await asyncio.wait_for(
                self._get_session().ws_connect(
                    url,
                    autoping=False,
                    heartbeat=None,
                    max_msg_size=self._ws_max_size,
                    timeout=aiohttp.ClientWSTimeout(ws_close=self._ws_close_timeout),
                ),
                timeout,
            )
        except asyncio.TimeoutError as exc:
            raise RequestTimeout(f"WebSocket {url}: no handshake within {timeout}s") from exc
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            raise TransportError(f"WebSocket {url}: cannot connect ({exc!r})") from exc
        return AiohttpWebSocket(ws, url)

    async def aclose(self) -> None:
        """Close the session if this transport created it (idempotent)."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()


class O2Client(_CoreO2Client):
    """``O2Client`` over :class:`AiohttpTransport` unless given another ``transport``."""

    default_transport_factory = AiohttpTransport
