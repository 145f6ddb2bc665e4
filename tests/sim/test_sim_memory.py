"""Scripted faults, and the in-memory transport under asyncio and trio."""

from __future__ import annotations

import json

import anyio
import pytest

from o2_core import http
from o2_core.errors import (
    ProtocolError,
    RateLimitExceeded,
    RequestTimeout,
    TransportError,
    error_from_body,
)
from o2_core.sim import DropConnection, ManualClock
from o2_core.transport import ConnectionClosed, Transport, WebSocketConnection
from o2_transport_memory import MemoryTransport, local_exchange

from .conftest import BASE, FUEL, P, Sim, body


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


def test_status_faults_in_the_pure_engine(sim: Sim) -> None:
    sim.ex.faults.status("/v1/markets", 429, retry_after=3)
    sim.ex.faults.status("/v1/", 502, body=b"<html>bad gateway</html>", count=2)
    reply = sim.send(http.get_markets(BASE))
    assert reply.status == 429 and reply.header("retry-after") == "3"
    err = error_from_body(reply.status, reply.body, http.retry_after_seconds(reply))
    assert isinstance(err, RateLimitExceeded) and err.retry_after == 3
    for _ in range(2):
        reply = sim.send(http.get_markets(BASE))
        assert reply.status == 502
        assert isinstance(error_from_body(reply.status, reply.body), ProtocolError)
    assert sim.send(http.get_markets(BASE)).status == 200
    sim.ex.faults.status("/v1/markets", 500, method="POST")
    assert sim.send(http.get_markets(BASE)).status == 200  # method did not match
    sim.ex.faults.clear()
    sim.ex.faults.status("/v1/markets", 503)
    reply = sim.send(http.get_markets(BASE))
    assert json.loads(reply.body) == {"code": 1000, "message": "Service unavailable"}


def test_drop_and_malformed_in_the_pure_engine(sim: Sim) -> None:
    trader = sim.new_trader()
    request = sim.actions_request(trader, [(P, [sim.create(P, "Buy", 50_000, 40 * FUEL)])])
    nonce = sim.nonce(trader)
    sim.ex.faults.drop("/v1/session/actions")
    with pytest.raises(DropConnection):
        sim.send(request)
    assert sim.nonce(trader) == nonce  # never reached the exchange
    sim.ex.faults.malformed("/v1/session/actions")
    garbled = sim.send(request)
    assert garbled.status == 200 and garbled.body == b'{"tx_id": "0x'
    assert sim.nonce(trader) == nonce + 1  # but it was executed
    outcome = sim.ex.faults.delay("/v1/markets", 2.5)
    assert outcome.delay == 2.5
    assert sim.ex.process(http.get_markets(BASE)).delay == 2.5


@pytest.mark.anyio
async def test_memory_transport_requests(anyio_backend: str) -> None:
    clock = ManualClock()
    exchange, transport = local_exchange(seed=5, clock=clock)
    assert isinstance(transport, Transport)
    reply = await transport.request(http.get_markets("http://o2.local"), 5)
    assert reply.status == 200 and json.loads(reply.body)["markets"][0]["market_id"] == str(
        exchange.market(P).market_id
    )
    exchange.faults.delay("/v1/markets", 0.02)
    with anyio.fail_after(2):
        assert (await transport.request(http.get_markets("http://o2.local"), 5)).status == 200
    exchange.faults.delay("/v1/markets", 10)
    with anyio.fail_after(2), pytest.raises(RequestTimeout):
        await transport.request(http.get_markets("http://o2.local"), 0.05)
    exchange.faults.drop("/v1/markets", after=True)
    with pytest.raises(TransportError):
        await transport.request(http.get_markets("http://o2.local"), 5)
    await transport.aclose()


@pytest.mark.anyio
async def test_memory_transport_websocket(anyio_backend: str) -> None:
    sim = Sim()
    transport = MemoryTransport(sim.ex)
    with pytest.raises(TransportError):
        await transport.connect_websocket("ws://o2.local/elsewhere", 5)
    ws = await transport.connect_websocket("ws://o2.local/v1/ws", 5)
    assert isinstance(ws, WebSocketConnection)
    mid = str(sim.by_pair[P].market_id)
    await ws.send_text(
        json.dumps({"action": "subscribe_depth", "market_id": mid, "precision": "10"})
    )
    snap = json.loads(await ws.receive_text())
    assert snap["action"] == "subscribe_depth" and snap["view"] == {"buys": [], "sells": []}
    trader = sim.new_trader()
    got: list[dict] = []

    async def reader() -> None:
        got.append(json.loads(await ws.receive_text()))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(reader)
            await anyio.sleep(0.01)  # the reader is now waiting for a frame
            sim.place(trader, P, "Buy", 50_000, 40 * FUEL)
    assert got[0]["changes"]["buys"] == [{"price": "50000", "quantity": str(40 * FUEL)}]
    await ws.ping()

    async def blocked() -> None:
        with pytest.raises(ConnectionClosed):
            await ws.receive_text()

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(blocked)
            await anyio.sleep(0.01)
            assert sim.ex.drop_ws_connections() == 1
    with pytest.raises(ConnectionClosed):
        await ws.send_text("{}")
    sim.ex.faults.reject_ws_connects(1)
    with pytest.raises(TransportError):
        await transport.connect_websocket("ws://o2.local/v1/ws", 5)
    again = await transport.connect_websocket("ws://o2.local/v1/ws", 5)
    sim.ex.inject_ws_frame("{garbage")
    assert await again.receive_text() == "{garbage"
    await transport.aclose()
    with pytest.raises(ConnectionClosed):
        await again.receive_text()
    assert sim.ex.ws.conns == {}
    body(sim.get("/v1/markets"))
