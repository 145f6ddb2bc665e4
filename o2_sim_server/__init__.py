"""The local exchange over real HTTP + WebSocket on 127.0.0.1 (aiohttp.web).

One catch-all handler turns an aiohttp request into a :class:`~o2_core.http.Request`,
asks the engine, and sends the :class:`~o2_core.http.Response` back; ``/v1/ws``
bridges WebSocket frames both ways. The server runs its own asyncio loop in a
background thread; every call into the engine holds :attr:`SimServer.lock`, so tests
may inspect or script ``server.exchange`` from their own thread under that lock.

Console script: ``o2-sim --port 0 [--seed N]`` prints the REST and WS URLs and serves
until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType

from aiohttp import WSMsgType, web

from o2_core.http import Request
from o2_core.sim import DropConnection, Exchange, SimConfig, default_config

__all__ = ["SimServer", "main"]


class SimServer:
    """The exchange served on ``host:port`` (port 0 = an ephemeral port).

    Use as a context manager, or call :meth:`start` / :meth:`stop`.
    """

    def __init__(
        self,
        exchange: Exchange | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        config: SimConfig | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.exchange = exchange or Exchange(config or default_config(seed), clock=clock)
        self.host = host
        self.port = port
        self.lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._sockets: set[web.WebSocketResponse] = set()

    # --- addresses -------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """``ws://host:port/v1/ws``."""
        return f"ws://{self.host}:{self.port}/v1/ws"

    @property
    def faucet_url(self) -> str:
        """The faucet endpoint."""
        return f"{self.api_base}/faucet"

    @contextlib.contextmanager
    def locked(self) -> Iterator[Exchange]:
        """The exchange, held under the server's lock."""
        with self.lock:
            yield self.exchange

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> SimServer:
        """Start serving in a background thread; returns once the socket listens."""
        if self._thread is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        self._thread = threading.Thread(
            target=self._run, args=(sock,), name=f"o2-sim:{self.port}", daemon=True
        )
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise RuntimeError("the simulator server failed to start") from self._error
        return self

    def stop(self) -> None:
        """Stop serving and join the thread (idempotent)."""
        thread, loop = self._thread, self._loop
        if thread is None:
            return
        if loop is not None and self._stopping is not None:
            loop.call_soon_threadsafe(self._stopping.set)
        thread.join(10)
        self._thread = None

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self, sock: socket.socket) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve(sock))
        except BaseException as err:  # pragma: no cover - reported to start()
            self._error = err
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self, sock: socket.socket) -> None:
        self._stopping = asyncio.Event()
        app = web.Application(client_max_size=1 << 20)
        app.router.add_get("/v1/ws", self._websocket)
        app.router.add_route("*", "/{tail:.*}", self._http)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.SockSite(self._runner, sock)
        await site.start()
        self._ready.set()
        await self._stopping.wait()
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close()
        await self._runner.cleanup()

    # --- HTTP ------------------------------------------------------------------------

    async def _http(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        req = Request(
            method=request.method,
            url=str(request.url),
            headers=tuple((k.lower(), v) for k, v in request.headers.items()),
            body=body or None,
        )
        with self.lock:
            outcome = self.exchange.process(req)
        if outcome.delay > 0:
            await asyncio.sleep(outcome.delay)
        if outcome.drop or outcome.response is None:
            transport = request.transport
            if transport is not None:
                transport.abort()
            raise ConnectionResetError("dropped by a simulator fault")
        response = outcome.response
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return web.Response(status=response.status, body=response.body, headers=headers)

    # --- WebSocket -------------------------------------------------------------------

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        with self.lock:
            try:
                conn = self.exchange.ws_connect()
            except DropConnection:
                return web.Response(status=503, text="WebSocket refused by a simulator fault")
        ws = web.WebSocketResponse(autoping=True, heartbeat=None)
        await ws.prepare(request)
        self._sockets.add(ws)
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()

        def on_ready() -> None:
            loop.call_soon_threadsafe(wake.set)

        conn.on_ready = on_ready

        async def sender() -> None:
            try:
                while True:
                    await wake.wait()
                    wake.clear()
                    while True:
                        with self.lock:
                            text = conn.outbox.popleft() if conn.outbox else None
                        if text is None:
                            break
                        await ws.send_str(text)
                    if conn.closed:
                        break
            finally:
                await ws.close(code=1011, message=b"connection closed by the simulator")

        task = asyncio.create_task(sender())
        if conn.outbox or conn.closed:
            wake.set()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    with self.lock:
                        self.exchange.ws_receive(conn, msg.data)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            with self.lock:
                self.exchange.ws_close(conn)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            self._sockets.discard(ws)
        return ws


def main(argv: list[str] | None = None) -> None:
    """``o2-sim``: serve the local exchange until interrupted."""
    parser = argparse.ArgumentParser(prog="o2-sim", description="Serve the local O2 exchange.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--whitelist", action="store_true", help="require whitelisting")
    parser.add_argument("--faucet-cooldown", type=float, default=60.0)
    args = parser.parse_args(argv)
    config = default_config(
        args.seed, require_whitelist=args.whitelist, faucet_cooldown=args.faucet_cooldown
    )
    server = SimServer(host=args.host, port=args.port, config=config).start()
    print(f"O2 local exchange (seed {args.seed})", flush=True)
    print(f"REST: {server.api_base}", flush=True)
    print(f"WS:   {server.ws_url}", flush=True)
    print(f"Faucet: {server.faucet_url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr)
    finally:
        server.stop()
