"""A small aiohttp server on 127.0.0.1 in a background thread, for the transport tests.

Runs its own event loop, so tests on asyncio and on trio can use it alike.

HTTP: ``/json``, ``/sleep?s=``, ``/fail`` (500, text), ``/echo`` (any method).
WebSocket ``/ws`` echoes text; these messages trigger behaviours instead:
``big`` (one 1 MiB frame), ``fragmented`` (a message in 3 fragments with a ping between
them), ``big-fragmented`` (1 MiB in 16 fragments), ``ping-me`` (the server pings; every
pong it gets is reported as ``pong:<data>``), ``bad-utf8``, ``close`` (clean close, code
1000, reason "bye"), ``drop`` (TCP closed without a close frame). Pings from the client are
answered by hand (``autoping=False``), so pongs stay observable. ``/ws?greet`` sends
``welcome`` and pings right after the handshake.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import trustme
from aiohttp import WSMsgType, web
from multidict import CIMultiDict

BIG = 1 << 20
BIG_TEXT = "".join(chr(ord("a") + i % 26) for i in range(BIG))


def raw_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """An unmasked server-to-client frame."""
    head = bytes([(0x80 if fin else 0) | opcode])
    size = len(payload)
    if size < 126:
        return head + bytes([size]) + payload
    if size < 1 << 16:
        return head + bytes([126]) + size.to_bytes(2, "big") + payload
    return head + bytes([127]) + size.to_bytes(8, "big") + payload


class TransportTestServer:
    """Start with :meth:`start`, stop with :meth:`stop`; ``base`` is ``http://127.0.0.1:<port>``."""

    def __init__(self) -> None:
        self.port = 0
        self.tls_port = 0
        self._tmp = tempfile.TemporaryDirectory()
        self.cert_file = Path(self._tmp.name) / "cert.pem"
        self._server_ssl = _self_signed(self.cert_file, Path(self._tmp.name) / "key.pem")
        self.ws_close_codes: list[int | None] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def tls_base(self) -> str:
        return f"https://127.0.0.1:{self.tls_port}"

    @property
    def wss_url(self) -> str:
        return f"wss://127.0.0.1:{self.tls_port}/ws"

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's self-signed certificate."""
        return ssl.create_default_context(cafile=str(self.cert_file))

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._tmp.cleanup()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/json", self._json)
        app.router.add_get("/sleep", self._sleep)
        app.router.add_get("/fail", self._fail)
        app.router.add_route("*", "/echo", self._echo)
        app.router.add_get("/ws", self._ws)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = _bound_port(site)
        tls_site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._server_ssl)
        await tls_site.start()
        self.tls_port = _bound_port(tls_site)

    async def _stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        assert self._runner is not None
        await self._runner.cleanup()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    async def _json(self, request: web.Request) -> web.Response:
        headers = CIMultiDict([("X-Custom", "yes"), ("X-Multi", "a"), ("X-Multi", "b")])
        return web.json_response({"ok": True, "items": [1, 2, 3]}, headers=headers)

    async def _sleep(self, request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query.get("s", "5")))
        return web.Response(text="late")

    async def _fail(self, request: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    async def _echo(self, request: web.Request) -> web.Response:
        body = await request.read()
        reply = {
            "method": request.method,
            "path_qs": request.path_qs,
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "body": body.hex(),
        }
        return web.Response(body=json.dumps(reply).encode(), content_type="application/json")

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False, max_msg_size=8 * BIG)
        await ws.prepare(request)
        self._sockets.add(ws)
        if "greet" in request.query:  # a frame right behind the handshake reply
            await ws.send_str("welcome")
            await ws.ping(b"early")
        transport = request.transport
        assert transport is not None
        try:
            async for msg in ws:
                if msg.type is WSMsgType.PING:
                    await ws.pong(msg.data)
                elif msg.type is WSMsgType.PONG:
                    await ws.send_str("pong:" + bytes(msg.data).decode())
                elif msg.type is WSMsgType.TEXT:
                    text = msg.data
                    if text == "big":
                        await ws.send_str(BIG_TEXT)
                    elif text == "fragmented":
                        transport.write(
                            raw_frame(0x1, b"frag-", fin=False)
                            + raw_frame(0x9, b"mid")
                            + raw_frame(0x0, b"ment-", fin=False)
                            + raw_frame(0x0, b"ed")
                        )
                    elif text == "big-fragmented":
                        data = BIG_TEXT.encode()
                        step = BIG // 16
                        for i in range(16):
                            opcode = 0x1 if i == 0 else 0x0
                            chunk = data[i * step : (i + 1) * step]
                            transport.write(raw_frame(opcode, chunk, fin=i == 15))
                    elif text == "ping-me":
                        await ws.ping(b"srv-ping")
                    elif text == "bad-utf8":
                        transport.write(raw_frame(0x1, b"\xff\xfe"))
                    elif text == "close":
                        await ws.close(code=1000, message=b"bye")
                        break
                    elif text == "drop":
                        transport.close()
                        break
                    else:
                        await ws.send_str(text)
        finally:
            self._sockets.discard(ws)
            self.ws_close_codes.append(ws.close_code)
        return ws


def _bound_port(site: web.TCPSite) -> int:
    server = site._server
    assert server is not None
    port: int = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return port


def _self_signed(cert: Path, key: Path) -> ssl.SSLContext:
    """A server context with a throwaway CA-signed certificate for 127.0.0.1 (trustme)."""
    authority = trustme.CA()
    issued = authority.issue_cert("127.0.0.1")
    authority.cert_pem.write_to_path(str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    issued.configure_cert(context)
    return context


@contextlib.contextmanager
def running_server() -> Iterator[TransportTestServer]:
    """A started :class:`TransportTestServer`, stopped on exit."""
    server = TransportTestServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def refused_port() -> int:
    """A local port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextlib.contextmanager
def silent_port() -> Iterator[int]:
    """A local port that accepts TCP connections (backlog) but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]
