"""A WebSocket client: websockets' sans-I/O ``ClientProtocol`` driven over anyio streams.

Runs wherever anyio runs (asyncio and trio). Only :meth:`AnyioWebSocket.receive_text`
reads the socket; every other method only writes. Writes are serialised by one lock and
always drain ``ClientProtocol.data_to_send()`` in order, so pongs and close echoes that
the protocol queues while receiving go out in sequence with the frames we send.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from collections import deque
from collections.abc import Callable

import anyio
import anyio.abc
from websockets.client import ClientProtocol
from websockets.exceptions import InvalidState, InvalidURI
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from o2_core.errors import RequestTimeout, TransportError
from o2_core.transport import ConnectionClosed, PendingPings

log = logging.getLogger(__name__)

_READ_SIZE = 65536
#: What a lost or closed stream raises under anyio (asyncio and trio alike).
_STREAM_ERRORS = (
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    anyio.EndOfStream,
    OSError,
)


async def open_websocket(
    url: str,
    timeout: float,
    *,
    max_size: int | None,
    close_timeout: float,
    ssl_context: ssl.SSLContext | None = None,
) -> AnyioWebSocket:
    """Connect to ``url`` (ws:// or wss://) and complete the opening handshake in ``timeout``.

    Args:
        url: the WebSocket URL.
        timeout: the most seconds connecting and the handshake may take.
        max_size: the largest incoming message, in bytes (None: no cap).
        close_timeout: seconds :meth:`AnyioWebSocket.close` may take.
        ssl_context: TLS settings for ``wss://`` (default: the system's).

    Returns:
        The open connection.

    Raises:
        TransportError: an invalid URL, or the connection or handshake failed.
        RequestTimeout: not done within ``timeout``.
    """
    try:
        uri = parse_uri(url)
    except InvalidURI as exc:
        raise TransportError(f"invalid WebSocket URL {url!r}: {exc}") from exc
    protocol = ClientProtocol(uri, max_size=max_size)
    stream: anyio.abc.ByteStream | None = None
    try:
        with anyio.fail_after(timeout):
            if uri.secure:
                stream = await anyio.connect_tcp(
                    uri.host,
                    uri.port,
                    tls=True,
                    ssl_context=ssl_context,
                    tls_standard_compatible=False,
                )
            else:
                stream = await anyio.connect_tcp(uri.host, uri.port)
            pending = await _handshake(stream, protocol, url)
            for data in protocol.data_to_send():  # pongs for pings that came early
                if data:
                    await stream.send(data)
    except TimeoutError as exc:
        await _abort(stream)
        raise RequestTimeout(f"WebSocket {url}: no handshake within {timeout}s") from exc
    except TransportError:
        await _abort(stream)
        raise
    except _STREAM_ERRORS as exc:
        await _abort(stream)
        raise TransportError(f"WebSocket {url}: cannot connect ({exc!r})") from exc
    except BaseException:
        await _abort(stream)
        raise
    log.debug("WebSocket open: %s", url)
    return AnyioWebSocket(stream, protocol, pending, url=url, close_timeout=close_timeout)


async def _handshake(
    stream: anyio.abc.ByteStream, protocol: ClientProtocol, url: str
) -> list[Frame]:
    """Send the upgrade request, read the reply; return frames that arrived with it."""
    protocol.send_request(protocol.connect())
    for data in protocol.data_to_send():
        if data:
            await stream.send(data)
    while protocol.state is State.CONNECTING:
        try:
            chunk = await stream.receive(_READ_SIZE)
        except anyio.EndOfStream:
            protocol.receive_eof()
        else:
            protocol.receive_data(chunk)
        if protocol.handshake_exc is not None:
            raise TransportError(f"WebSocket {url}: handshake failed ({protocol.handshake_exc})")
    return [event for event in protocol.events_received() if isinstance(event, Frame)]


async def _abort(stream: anyio.abc.ByteStream | None) -> None:
    if stream is not None:
        with anyio.CancelScope(shield=True):
            await anyio.aclose_forcefully(stream)


class AnyioWebSocket:
    """One open WebSocket connection (text frames), under asyncio or trio.

    :meth:`ping` waits for its pong, which only a task blocked in :meth:`receive_text`
    can see: pinging needs a concurrent receiver (``O2Client`` always runs one).
    Incoming pings are answered while receiving. Binary messages are skipped. Made by
    :meth:`HttpxTransport.connect_websocket <o2_transport_httpx.HttpxTransport.connect_websocket>`.

    Args:
        stream: the connected byte stream.
        protocol: websockets' client protocol, past the handshake.
        pending: frames that arrived with the handshake reply.
        url: the URL (for messages).
        close_timeout: seconds :meth:`close` may take.
    """

    def __init__(
        self,
        stream: anyio.abc.ByteStream,
        protocol: ClientProtocol,
        pending: list[Frame],
        *,
        url: str,
        close_timeout: float,
    ) -> None:
        self._stream = stream
        self._protocol = protocol
        self._url = url
        self._close_timeout = close_timeout
        self._frames: deque[Frame] = deque(pending)
        self._message: list[bytes] = []  # fragments of the message being received
        self._message_opcode: Opcode | None = None
        self._write_lock = anyio.Lock()
        self._read_lock = anyio.Lock()
        self._pings: PendingPings[anyio.Event] = PendingPings()
        self._closed_reason: str | None = None  # set once the connection is gone
        self._close_started = False

    def __repr__(self) -> str:
        state = "closed" if self._closed_reason is not None else "open"
        return f"<AnyioWebSocket {self._url} {state}>"

    # --- sending -------------------------------------------------------------------

    async def send_text(self, text: str) -> None:
        """Send one text frame.

        Args:
            text: the frame.

        Raises:
            ConnectionClosed: the connection is closed or closing, or the send failed.
        """
        await self._send(lambda protocol: protocol.send_text(text.encode()))

    async def ping(self) -> None:
        """Send a ping and return when its pong arrives (needs a concurrent receiver).

        Raises:
            ConnectionClosed: the connection ended before the pong.
        """
        waiter = anyio.Event()
        data = self._pings.add(waiter)
        try:
            await self._send(lambda protocol: protocol.send_ping(data))
            await waiter.wait()
        finally:
            self._pings.discard(data)
        if self._closed_reason is not None:
            raise ConnectionClosed(
                f"WebSocket {self._url} closed before the pong: {self._closed_reason}"
            )

    async def _send(self, action: Callable[[ClientProtocol], None]) -> None:
        async with self._write_lock:
            if self._closed_reason is not None or self._close_started:
                raise ConnectionClosed(
                    f"WebSocket {self._url} is closed: {self._closed_reason or 'closing'}"
                )
            try:
                action(self._protocol)
            except InvalidState as exc:
                raise ConnectionClosed(f"WebSocket {self._url} is closing: {exc}") from exc
            await self._flush_locked()

    async def _flush(self) -> None:
        async with self._write_lock:
            await self._flush_locked()

    async def _flush_locked(self) -> None:
        for data in self._protocol.data_to_send():
            if not data:  # SEND_EOF: the closing handshake is over on our side
                await self._shutdown(self._close_description())
                return
            if self._closed_reason is not None:
                return
            try:
                await self._stream.send(data)
            except _STREAM_ERRORS as exc:
                await self._shutdown(f"connection lost while sending ({exc!r})")
                raise ConnectionClosed(f"WebSocket {self._url}: {self._closed_reason}") from exc

    # --- receiving -----------------------------------------------------------------

    async def receive_text(self) -> str:
        """The next text message.

        Messages that arrived before the end are still delivered first. Fragmented messages
        are reassembled here (the sans-I/O protocol yields single frames).

        Returns:
            The message's text.

        Raises:
            ConnectionClosed: the connection ended.
        """
        async with self._read_lock:
            while True:
                while self._frames:
                    text = await self._on_frame(self._frames.popleft())
                    if text is not None:
                        return text
                if self._closed_reason is not None:
                    raise ConnectionClosed(f"WebSocket {self._url}: {self._closed_reason}")
                await self._read()

    async def _read(self) -> None:
        """Feed one chunk from the socket to the protocol; answer what it queues."""
        try:
            chunk = await self._stream.receive(_READ_SIZE)
        except anyio.EndOfStream:
            self._protocol.receive_eof()
        except _STREAM_ERRORS as exc:
            if self._closed_reason is None:
                await self._shutdown(f"connection lost ({exc!r})")
            return
        else:
            self._protocol.receive_data(chunk)
        self._frames.extend(e for e in self._protocol.events_received() if isinstance(e, Frame))
        await self._flush_quietly()
        if self._protocol.parser_exc is not None:  # we failed the connection
            await self._shutdown(f"failed: {self._protocol.parser_exc}")
        elif self._protocol.state is State.CLOSED and not self._frames:
            await self._shutdown(self._close_description())

    async def _on_frame(self, frame: Frame) -> str | None:
        """Handle one frame; return the text of a completed text message."""
        opcode = frame.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if frame.fin:
                return await self._decode(frame.data) if opcode is Opcode.TEXT else None
            self._message_opcode, self._message = opcode, [bytes(frame.data)]
            return None
        if opcode is Opcode.CONT:
            self._message.append(bytes(frame.data))
            if not frame.fin:
                return None
            data, kind = b"".join(self._message), self._message_opcode
            self._message, self._message_opcode = [], None
            return await self._decode(data) if kind is Opcode.TEXT else None
        if opcode is Opcode.PONG:
            for waiter in self._pings.acknowledge(bytes(frame.data)):
                waiter.set()
        elif opcode is Opcode.CLOSE:
            # The protocol has queued the echo; the server closes TCP next. Do not
            # linger for it: close our side now.
            await self._flush_quietly()
            await self._shutdown(self._close_description())
        return None  # PING: the protocol already queued the pong

    async def _decode(self, data: bytes | bytearray | memoryview) -> str:
        try:
            return bytes(data).decode()
        except UnicodeDecodeError as exc:
            if self._protocol.state is State.OPEN:
                self._protocol.fail(1007, "invalid UTF-8 in a text message")
                await self._flush_quietly()
            await self._shutdown("invalid UTF-8 in a text message")
            raise ConnectionClosed(f"WebSocket {self._url}: invalid UTF-8 text") from exc

    async def _flush_quietly(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            await self._flush()

    def _close_description(self) -> str:
        protocol = self._protocol
        if protocol.close_rcvd is not None:
            return f"closed by the server ({protocol.close_rcvd})"
        if protocol.close_sent is not None:
            return f"closed by the client ({protocol.close_sent})"
        return "connection lost"

    # --- closing -------------------------------------------------------------------

    async def close(self) -> None:
        """Send a close frame and close the socket, within ``close_timeout`` (idempotent).

        Without a concurrent receiver, waits (bounded) for the server's closing reply.
        """
        if self._closed_reason is not None:
            return
        if self._close_started:  # another task is closing: finish now
            await self._shutdown("closed by the client")
            return
        self._close_started = True
        with anyio.move_on_after(self._close_timeout, shield=True):
            with contextlib.suppress(ConnectionClosed):
                async with self._write_lock:
                    if self._protocol.state is State.OPEN:
                        self._protocol.send_close(1000)
                    await self._flush_locked()
            try:
                self._read_lock.acquire_nowait()
            except anyio.WouldBlock:
                pass  # a receiver is reading; it sees the stream close below
            else:
                try:
                    while self._closed_reason is None and self._protocol.close_rcvd is None:
                        await self._read()
                finally:
                    self._read_lock.release()
        await self._shutdown(self._close_description())

    async def _shutdown(self, reason: str) -> None:
        """Mark the connection gone, wake ping waiters, close the stream."""
        if self._closed_reason is None:
            self._closed_reason = reason
            log.debug("WebSocket %s: %s", self._url, reason)
        for waiter in self._pings.drain():
            waiter.set()
        with anyio.CancelScope(shield=True):
            await anyio.aclose_forcefully(self._stream)
