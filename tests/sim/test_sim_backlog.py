"""A WebSocket client that does not read costs bounded memory: it is disconnected (1008).

The pure layer bounds each connection's outbox (``SimConfig.ws_max_backlog``) and drops
it on overflow; the in-memory transport reports the close; the loopback server closes
the socket and lets go of its buffers.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import socket
import time
import tracemalloc
import weakref

import anyio
import pytest
import websockets

from o2_core.sim import CLOSE_SLOW_CONSUMER, default_config
from o2_core.transport import ConnectionClosed
from o2_sim_server import SimServer
from o2_transport_memory import MemoryTransport

from .conftest import FUEL, P, Sim


def deep_book(sim: Sim, levels: int) -> None:
    """``levels`` resting buys at distinct prices (large depth snapshots)."""
    trader = sim.new_trader(markets=[P])
    for start in range(0, levels, 5):
        actions = [sim.create(P, "Buy", 40_000 + 100 * (start + i), 25 * FUEL) for i in range(5)]
        assert sim.submit(trader, P, *actions).status == 200
    assert len(sim.ex.book_levels(P)["buys"]) == levels


def subscribe_frame(sim: Sim) -> str:
    return json.dumps({"action": "subscribe_depth", "market_id": str(sim.by_pair[P].market_id)})


def test_a_client_that_does_not_read_is_dropped_and_released() -> None:
    config = default_config(0)
    config.ws_max_backlog = 40
    sim = Sim(config)
    deep_book(sim, 100)
    reader, idle = sim.ex.ws_connect(), sim.ex.ws_connect()
    woken: list[int] = []
    idle.on_ready = lambda: woken.append(1)
    frame = subscribe_frame(sim)
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        sizes = []
        snapshot_size = 0
        for i in range(5000):
            sim.ex.ws_receive(idle, frame)
            sizes.append(len(idle.outbox))
            if i % 50 == 0:
                sim.ex.ws_receive(reader, frame)
            snapshot_size = max([snapshot_size, *(len(text) for text in reader.outbox)])
            reader.outbox.clear()  # this one reads everything
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the backlog grew to the bound, then the connection was dropped and emptied
    assert max(sizes) == 40 and sizes[39] == 40 and sizes[40:] == [0] * (5000 - 40)
    assert idle.closed and idle.close_code == CLOSE_SLOW_CONSUMER == 1008
    assert len(idle.outbox) == 0 and idle.subscription_count == 0
    assert len(woken) == 40 + 1 and idle.id not in sim.ex.ws.conns  # 40 frames, 1 close
    # 5,000 snapshots of >4 KB would hold >20 MB; the bound keeps the peak near 40 of them
    assert snapshot_size > 4_000
    assert peak - start < 2_000_000, (start, peak)
    assert current - start < 500_000, (start, current)
    # the reading connection was not affected
    assert not reader.closed and reader.id in sim.ex.ws.conns
    sim.place(sim.new_trader(markets=[P]), P, "Buy", 39_000, 30 * FUEL)
    assert [json.loads(t)["action"] for t in reader.outbox] == ["subscribe_depth_update"]
    # nothing keeps the dropped connection alive
    gone = weakref.ref(idle)
    del idle
    gc.collect()
    assert gone() is None
    sim.ex.check_invariants()


def test_updates_overflowing_the_backlog_drop_the_client(sim: Sim) -> None:
    sim.ex.config.ws_max_backlog = 10
    trader = sim.new_trader(markets=[P])
    conn = sim.ex.ws_connect()
    sim.ex.ws_receive(conn, subscribe_frame(sim))
    for i in range(9):  # the snapshot and 9 updates fit exactly
        sim.place(trader, P, "Buy", 40_000 + 100 * i, 25 * FUEL)
    assert len(conn.outbox) == 10 and not conn.closed
    sim.place(trader, P, "Buy", 45_000, 25 * FUEL)
    assert conn.closed and conn.close_code == 1008 and not conn.outbox
    sim.place(trader, P, "Buy", 45_100, 25 * FUEL)  # nothing more is queued
    assert not conn.outbox


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.mark.anyio
async def test_memory_transport_reports_the_eviction(anyio_backend: str) -> None:
    config = default_config(0)
    config.ws_max_backlog = 8
    sim = Sim(config)
    ws = await MemoryTransport(sim.ex).connect_websocket("ws://o2.local/v1/ws", 5)
    for _ in range(9):
        await ws.send_text(subscribe_frame(sim))
    with anyio.fail_after(5), pytest.raises(ConnectionClosed, match="code 1008"):
        await ws.receive_text()
    with pytest.raises(ConnectionClosed):
        await ws.send_text(subscribe_frame(sim))


async def _flood(
    server: SimServer, frame: str, count: int, pause: float = 0.0
) -> tuple[int, int, int, int]:
    """Send up to ``count`` frames without reading (fewer if the server closes first),
    wait ``pause`` seconds, then read until the connection ends.

    Returns (frames sent, frames received, close code (1006 when no close frame came),
    the server's open WebSockets after the pause, before the client read anything).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((server.host, server.port))
    async with websockets.connect(server.ws_url, sock=sock, max_queue=1) as ws:
        sent = received = 0
        with contextlib.suppress(websockets.ConnectionClosed):
            for _ in range(count):
                await ws.send(frame)
                sent += 1
        started = time.monotonic()
        while time.monotonic() - started < 10:
            with server.locked() as ex:
                if not ex.ws.conns:
                    break
            await asyncio.sleep(0.02)
        await asyncio.sleep(pause)
        held = server.websocket_count
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 10)
                received += 1
        rcvd = closed.value.rcvd
        return sent, received, 1006 if rcvd is None else rcvd.code, held


def test_loopback_server_drops_a_client_that_does_not_read() -> None:
    config = default_config(0)
    config.ws_max_backlog = 32
    sim = Sim(config)
    deep_book(sim, 400)  # each depth snapshot is ~18 KB
    frame = subscribe_frame(sim)
    # a grace long enough for a loaded machine to read what was sent before the close
    with SimServer(sim.ex, evict_grace=10.0) as server:
        # 600 snapshots (~11 MB) outgrow the socket buffers: the client is dropped; when
        # it reads at last it gets what was already sent, then the close frame (1008)
        sent, received, code, _ = asyncio.run(_flood(server, frame, 600))
        assert sent > 32 and received < sent - 32 and code == CLOSE_SLOW_CONSUMER
        server.evict_grace = 1.0
        with server.locked() as ex:
            assert ex.ws.conns == {}
        # one that still does not read once the grace is over has its socket aborted:
        # the server holds nothing for it any more (the bytes already handed to the
        # kernel, close frame included, may still reach it)
        sent, received, code, held = asyncio.run(_flood(server, frame, 600, pause=2.5))
        assert sent > 32 and received < sent - 32 and code in (CLOSE_SLOW_CONSUMER, 1006)
        assert held == 0

        async def probe() -> str:
            async with websockets.connect(server.ws_url) as ws:
                await ws.send(json.dumps({"action": "subscribe_trades", "market_id": "x"}))
                return str(await asyncio.wait_for(ws.recv(), 5))

        # the server keeps serving others, and holds nothing for the dropped clients
        assert json.loads(asyncio.run(probe()))["code"] == 6002
        deadline = time.monotonic() + 10
        while server.websocket_count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.websocket_count == 0


def test_a_client_leaving_during_the_handshake_leaves_nothing_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aiohttp import web

    async def reset(self: web.WebSocketResponse, request: web.BaseRequest) -> None:
        raise ConnectionResetError("Cannot write to closing transport")

    sim = Sim()
    with SimServer(sim.ex) as server:
        monkeypatch.setattr(web.WebSocketResponse, "prepare", reset)

        async def attempt() -> None:
            with pytest.raises((websockets.InvalidHandshake, OSError)):
                async with websockets.connect(server.ws_url, open_timeout=5):
                    pass

        asyncio.run(attempt())
        with server.locked() as ex:
            assert ex.ws.conns == {}
