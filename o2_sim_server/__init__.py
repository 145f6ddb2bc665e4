"""The local exchange over real HTTP + WebSocket on 127.0.0.1 (aiohttp.web).

One catch-all handler turns an aiohttp request into a :class:`~o2_core.http.Request`,
asks the engine, and sends the :class:`~o2_core.http.Response` back; ``/v1/ws``
bridges WebSocket frames both ways. The server runs its own asyncio loop in a
background thread; every call into the engine holds ``SimServer.lock``, so tests
may inspect or script ``server.exchange`` from their own thread under that lock.

Beside the exchange it serves the local Fast Bridge (:class:`~o2_core.sim.bridge.BridgeSim`,
built with the exchange's clock and seed) under ``<api_base>/bridge``
(:attr:`SimServer.bridge_url`, for ``FastBridgeClient``); ``bridge=False`` turns it off.

Console script: ``o2-sim --port 0 [--seed N] [--no-bridge]`` prints the REST, WS, faucet
and bridge URLs and serves until Ctrl-C.
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
from typing import Any

from aiohttp import WSMsgType, web

from o2_core.http import Request
from o2_core.sim import (
    CLOSE_DROPPED,
    CLOSE_SLOW_CONSUMER,
    DropConnection,
    Exchange,
    SimConfig,
    default_config,
)
from o2_core.sim.bridge import BRIDGE_BASE_PATH, BridgeSim

__all__ = ["SimServer", "main"]


class SimServer:
    """The exchange served on ``host:port`` over real HTTP and WebSocket.

    Use as a context manager, or call :meth:`start` / :meth:`stop`.

    Args:
        exchange: the exchange to serve (default: a new one from ``config`` or ``seed``).
            An object that is not an :class:`~o2_core.sim.Exchange` (anything with
            ``process``) gets no bridge unless one is given: it answers every path itself.
        host: the address to listen on.
        port: the port (0: an ephemeral one; ``port`` holds the real one once started).
        seed: the seed of a new exchange's default configuration.
        config: the configuration of a new exchange.
        clock: unix time in seconds, for a new exchange.
        evict_grace: seconds a WebSocket client evicted for not reading, or being closed,
            has to complete the close handshake before its socket is aborted.
        bridge: True serves a local Fast Bridge built with the exchange's clock, seed and
            chain id under ``/bridge``; a ``BridgeSim`` is served as given (under its own
            ``base_path``); False serves none.
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
        evict_grace: float = 1.0,
        bridge: bool | BridgeSim = True,
    ) -> None:
        self.exchange = exchange or Exchange(config or default_config(seed), clock=clock)
        self.bridge: BridgeSim | None = None
        if isinstance(bridge, BridgeSim):
            self.bridge = bridge
        elif bridge and isinstance(self.exchange, Exchange):
            ex = self.exchange
            self.bridge = BridgeSim(
                ex.clock, seed=ex.seed, base_path=BRIDGE_BASE_PATH, fuel_chain_id=ex.config.chain_id
            )
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
        self.evict_grace = evict_grace

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

    @property
    def bridge_url(self) -> str | None:
        """The local Fast Bridge's base URL (``<api_base>/bridge``), None without one."""
        if self.bridge is None:
            return None
        return self.api_base + self.bridge.base_path

    @property
    def websocket_count(self) -> int:
        """How many WebSocket connections the server holds open."""
        return len(self._sockets)

    @contextlib.contextmanager
    def locked(self) -> Iterator[Exchange]:
        """The exchange, held under the server's lock (inspect or script it from your thread).

        Yields:
            The exchange.
        """
        with self.lock:
            yield self.exchange

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> SimServer:
        """Start serving in a background thread; returns once the socket listens.

        Returns:
            This server (started once; a second call does nothing).

        Raises:
            RuntimeError: the server failed to start.
        """
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
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.Response(
                status=413,
                body=b'{"code":1001,"message":"request body too large (limit 1 MiB)"}',
                content_type="application/json",
            )
        req = Request(
            method=request.method,
            url=str(request.url),
            headers=tuple((k.lower(), v) for k, v in request.headers.items()),
            body=body or None,
        )
        bridge = self.bridge
        if bridge is not None and bridge.handles(req.url):
            with self.lock:
                reply = bridge.process(req)
            return web.Response(status=reply.status, body=reply.body, headers=reply.headers)
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
        """Bridge one WebSocket: client frames in, ``conn.outbox`` out.

        TEXT and BINARY frames both go to the exchange (a BINARY frame must hold UTF-8
        JSON, else it gets an error frame); a TEXT frame that is not UTF-8 breaks the
        WebSocket protocol itself and aiohttp closes the connection with 1007. When the
        exchange closes the connection it is closed with the exchange's close code. A
        client the exchange evicted for not reading (1008) gets the close handshake if
        it reads within :attr:`evict_grace` seconds, else its socket is aborted, so that
        nothing stays buffered for it.
        """
        with self.lock:
            try:
                conn = self.exchange.ws_connect()
            except DropConnection:
                return web.Response(status=503, text="WebSocket refused by a simulator fault")
        ws = web.WebSocketResponse(
            autoping=True, heartbeat=None, max_msg_size=1 << 20, timeout=self.evict_grace
        )
        try:
            await ws.prepare(request)
        except BaseException:  # the client left during the handshake
            with self.lock:
                self.exchange.ws_close(conn)
            raise
        self._sockets.add(ws)
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        evicted = asyncio.Event()

        async def sender() -> None:
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
            if conn.close_code == CLOSE_SLOW_CONSUMER:
                # an eviction: the handler cancels this task and closes with a grace
                # (_evict); a close begun here would be cancelled mid-way, and a
                # cancelled close aborts the socket before the client reads anything
                return
            code = conn.close_code or CLOSE_DROPPED
            await ws.close(code=code, message=conn.close_reason.encode())

        async def receiver() -> None:
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    with self.lock:
                        self.exchange.ws_receive(conn, msg.data)
                    # let the sender hand the replies to the socket before the next
                    # frame: only frames the client has not taken count as backlog
                    await asyncio.sleep(0)
                elif msg.type == WSMsgType.ERROR:
                    break

        def react() -> None:
            wake.set()
            if conn.close_code == CLOSE_SLOW_CONSUMER:
                evicted.set()

        def on_ready() -> None:
            loop.call_soon_threadsafe(react)

        conn.on_ready = on_ready
        tasks = [loop.create_task(sender()), loop.create_task(receiver())]
        eviction = loop.create_task(evicted.wait())
        if conn.outbox or conn.closed:
            react()
        try:
            await asyncio.wait([tasks[1], eviction], return_when=asyncio.FIRST_COMPLETED)
            if evicted.is_set():
                await self._stop_tasks(tasks)
                await self._evict(ws, request)
        finally:
            with self.lock:
                self.exchange.ws_close(conn)
            await self._stop_tasks([*tasks, eviction])
            self._sockets.discard(ws)
        return ws

    @staticmethod
    async def _stop_tasks(tasks: list[asyncio.Task[Any]]) -> None:
        for task in tasks:
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _evict(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        """Close an evicted client's socket with 1008 (reading and dropping what it still
        sends until its close reply), or abort it after :attr:`evict_grace` seconds: its
        unsent bytes are dropped, whatever the client does."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                ws.close(code=CLOSE_SLOW_CONSUMER, message=b"too many unread frames"),
                self.evict_grace,
            )
        transport = request.transport
        if transport is not None:
            transport.abort()


def main(argv: list[str] | None = None) -> None:
    """``o2-sim``: serve the local exchange until interrupted.

    Args:
        argv: the command line arguments (default: ``sys.argv[1:]``): ``--host``,
            ``--port`` (0 picks a free port), ``--seed``, ``--whitelist``,
            ``--faucet-cooldown``, ``--history``, ``--ws-backlog``.
    """
    parser = argparse.ArgumentParser(prog="o2-sim", description="Serve the local O2 exchange.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--whitelist", action="store_true", help="require whitelisting")
    parser.add_argument("--faucet-cooldown", type=float, default=60.0)
    parser.add_argument(
        "--no-bridge", action="store_true", help="do not serve the local Fast Bridge at /bridge"
    )
    parser.add_argument(
        "--legacy-accounts",
        action="store_true",
        help="new accounts start legacy (parallel nonces revert until upgraded)",
    )
    parser.add_argument(
        "--history",
        type=int,
        default=SimConfig.history_limit,
        help="trades and closed orders remembered per market (negative: all)",
    )
    parser.add_argument(
        "--ws-backlog",
        type=int,
        default=SimConfig.ws_max_backlog,
        help="unread frames after which a WebSocket client is dropped (1008)",
    )
    args = parser.parse_args(argv)
    config = default_config(
        args.seed,
        require_whitelist=args.whitelist,
        faucet_cooldown=args.faucet_cooldown,
        legacy_accounts=args.legacy_accounts,
    )
    config.history_limit = None if args.history < 0 else args.history
    config.ws_max_backlog = args.ws_backlog
    server = SimServer(
        host=args.host, port=args.port, config=config, bridge=not args.no_bridge
    ).start()
    print(f"O2 local exchange (seed {args.seed})", flush=True)
    print(f"REST: {server.api_base}", flush=True)
    print(f"WS:   {server.ws_url}", flush=True)
    print(f"Faucet: {server.faucet_url}", flush=True)
    print(f"Bridge: {server.bridge_url or 'off'}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr)
    finally:
        server.stop()
