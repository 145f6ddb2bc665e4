"""The local bridge for the bridge tests: in memory, and served on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import anyio
import anyio.lowlevel
import pytest
from aiohttp import web

from o2_core.errors import RequestTimeout, TransportError
from o2_core.http import Request, Response
from o2_core.sim import ManualClock
from o2_core.sim.bridge import BridgeSim
from o2_core.transport import WebSocketConnection

T0 = 1_900_000_000.0
MEMORY_BASE = "http://bridge.test/bridge"


class SimBridgeTransport:
    """A test-only Transport: each Request goes to ``sim.process`` in memory.

    ``fail`` makes the next requests raise that error instead; ``delay`` sleeps first
    (a delay at least the timeout raises RequestTimeout, as a real transport would).
    """

    def __init__(self, sim: BridgeSim) -> None:
        self.sim = sim
        self.seen: list[Request] = []
        self.fail: Exception | None = None
        self.delay = 0.0
        self.closed = 0

    async def request(self, request: Request, timeout: float) -> Response:
        await anyio.lowlevel.checkpoint()
        self.seen.append(request)
        if self.delay:
            if self.delay >= timeout:
                await anyio.sleep(timeout)
                raise RequestTimeout(f"no reply within {timeout}s")
            await anyio.sleep(self.delay)
        if self.fail is not None:
            raise self.fail
        return self.sim.process(request)

    async def connect_websocket(self, url: str, timeout: float) -> WebSocketConnection:
        raise TransportError("the bridge has no WebSocket")

    async def aclose(self) -> None:
        self.closed += 1


class BridgeServer:
    """``BridgeSim`` served by aiohttp.web on 127.0.0.1 from a background thread."""

    def __init__(self, sim: BridgeSim) -> None:
        self.sim = sim
        self.port = 0
        self.requests = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.sim.base_path}"

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def _stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        outgoing = Request(request.method, str(request.url), tuple(request.headers.items()), body)
        with self._lock:
            self.requests += 1
            reply = self.sim.process(outgoing)
        return web.Response(status=reply.status, body=reply.body, headers=dict(reply.headers))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def sim(clock: ManualClock) -> BridgeSim:
    return BridgeSim(clock=clock, seed=5)


@pytest.fixture
def memory(sim: BridgeSim) -> SimBridgeTransport:
    return SimBridgeTransport(sim)


@pytest.fixture
def server(sim: BridgeSim) -> Iterator[BridgeServer]:
    running = BridgeServer(sim)
    running.start()
    try:
        yield running
    finally:
        running.stop()
