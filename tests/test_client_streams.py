"""The client's WebSocket driver against a scripted connection: heartbeats, slow
consumers, resubscription and shutdown, under asyncio and trio."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest

from o2_core import (
    ConnectionState,
    Market,
    MarketAsset,
    NetworkConfig,
    O2Client,
    SlowConsumerError,
    StreamOptions,
)
from o2_core.http import Request, Response
from o2_core.transport import ConnectionClosed

pytestmark = pytest.mark.anyio

MARKET_ID = "0x" + "aa" * 32
ACCOUNT = "0x" + "bb" * 32
MARKET = Market(
    contract_id="0x" + "cc" * 32,  # type: ignore[arg-type]
    market_id=MARKET_ID,  # type: ignore[arg-type]
    base=MarketAsset("BASE", "0x" + "01" * 32, 9, 3),  # type: ignore[arg-type]
    quote=MarketAsset("QUOTE", "0x" + "02" * 32, 6, 6),  # type: ignore[arg-type]
)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


class Conn:
    """A scripted WebSocket: frames pushed by the test, pings answered or not."""

    def __init__(self, answer_pings: bool) -> None:
        self.sent: list[dict[str, Any]] = []
        self.answer_pings = answer_pings
        self.closed = False
        self._send, self._receive = anyio.create_memory_object_stream[str](1000)

    def push(self, frame: dict[str, Any]) -> None:
        self._send.send_nowait(json.dumps(frame))

    async def send_text(self, text: str) -> None:
        if self.closed:
            raise ConnectionClosed("closed")
        self.sent.append(json.loads(text))

    async def receive_text(self) -> str:
        try:
            return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise ConnectionClosed("closed") from None

    async def ping(self) -> None:
        if not self.answer_pings:
            await anyio.sleep_forever()

    async def close(self) -> None:
        self.closed = True
        self._send.close()


class Scripted:
    """A transport whose WebSocket connections the test controls."""

    def __init__(self, answer_pings: bool = True) -> None:
        self.conns: list[Conn] = []
        self.answer_pings = answer_pings

    async def request(self, request: Request, timeout: float) -> Response:
        raise AssertionError(f"no REST expected, got {request.url}")

    async def connect_websocket(self, url: str, timeout: float) -> Conn:
        conn = Conn(self.answer_pings)
        self.conns.append(conn)
        return conn

    async def aclose(self) -> None:
        pass


def client_for(transport: Scripted, **options: Any) -> O2Client:
    config = NetworkConfig("http://example.test", "ws://example.test/v1/ws")
    return O2Client(
        custom_config=config, transport=transport, stream_options=StreamOptions(**options)
    )


def depth(quantity: int, snapshot: bool = False) -> dict[str, Any]:
    side = {"buys": [{"price": "100", "quantity": str(quantity)}], "sells": []}
    if snapshot:
        return {"action": "subscribe_depth", "market_id": MARKET_ID, "view": side}
    return {"action": "subscribe_depth_update", "market_id": MARKET_ID, "changes": side}


def orders(n: int) -> dict[str, Any]:
    order = {"order_id": "0x" + f"{n:064x}", "account": {"ContractId": ACCOUNT}, "close": False}
    return {"action": "subscribe_orders", "orders": [order]}


async def until(predicate: Any, timeout: float = 5) -> None:
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(0.005)


async def test_a_silent_connection_without_pong_is_replaced_and_resubscribed() -> None:
    transport = Scripted(answer_pings=False)
    client = client_for(transport, ping_interval=0.05, pong_timeout=0.05, reconnect_base=0.01)
    events: list[Any] = []
    async with client, anyio.create_task_group() as tg:

        async def watch() -> None:
            async for event in client.stream_lifecycle():
                events.append(event)

        async def consume() -> None:
            async for _ in client.stream_depth(MARKET):
                pass

        tg.start_soon(consume)
        tg.start_soon(watch)
        await until(lambda: len(transport.conns) >= 3 and all(c.sent for c in transport.conns[:3]))
        states = [e.state for e in events]
        assert ConnectionState.RECONNECTED in states and ConnectionState.DISCONNECTED in states
        for conn in transport.conns[:3]:  # every new connection re-sends the subscription
            assert conn.sent[0] == {
                "action": "subscribe_depth",
                "market_id": MARKET_ID,
                "precision": "10",
            }
        tg.cancel_scope.cancel()


async def test_a_quiet_connection_that_answers_pings_is_kept() -> None:
    transport = Scripted(answer_pings=True)
    client = client_for(transport, ping_interval=0.02, pong_timeout=0.5)
    got: list[Any] = []
    async with client, anyio.create_task_group() as tg:

        async def consume() -> None:
            async for update in client.stream_depth(MARKET):
                got.append(update)

        tg.start_soon(consume)
        await until(lambda: transport.conns)
        await anyio.sleep(0.2)  # ten ping intervals of silence
        transport.conns[0].push(depth(5, snapshot=True))
        await until(lambda: got)
        assert len(transport.conns) == 1 and got[0].is_snapshot
        tg.cancel_scope.cancel()


async def test_a_stalled_depth_consumer_drops_old_updates_and_resyncs() -> None:
    transport = Scripted()
    client = client_for(transport, buffer_size=4)
    async with client:
        stream = client.stream_depth(MARKET)
        got: list[Any] = []

        async def next_depth() -> None:
            got.append(await stream.__anext__())

        async with anyio.create_task_group() as tg:
            tg.start_soon(next_depth)
            await until(lambda: transport.conns and transport.conns[0].sent)
            conn = transport.conns[0]
            conn.push(depth(5, snapshot=True))
        assert got[0].is_snapshot

        async def drain_orders() -> None:  # another iterator keeps the connection read
            async for _ in client.stream_orders(ACCOUNT):
                pass

        async with anyio.create_task_group() as tg:
            tg.start_soon(drain_orders)
            await until(lambda: len(conn.sent) == 2)  # the orders subscription went out
            for quantity in range(1, 11):  # the depth consumer is stalled: room for 4 only
                conn.push(depth(quantity))
            await anyio.sleep(0.05)
            tg.start_soon(next_depth)  # it reads again: the book must be re-seeded first
            resync = [
                {"action": "unsubscribe_depth", "market_id": MARKET_ID},
                {"action": "subscribe_depth", "market_id": MARKET_ID, "precision": "10"},
            ]
            await until(lambda: conn.sent[-2:] == resync)
            conn.push(depth(7))  # a delta before the fresh snapshot is ignored
            conn.push(depth(42, snapshot=True))
            await until(lambda: len(got) == 2)
            assert got[1].is_snapshot and got[1].changes.bids[0].quantity == 42
            tg.cancel_scope.cancel()
        await stream.aclose()


async def test_a_stalled_orders_consumer_gets_slow_consumer_error() -> None:
    transport = Scripted()
    client = client_for(transport, buffer_size=3)
    async with client:
        stalled = client.stream_orders(ACCOUNT)
        depth_stream = client.stream_depth(MARKET)
        async with anyio.create_task_group() as tg:

            async def first_order() -> None:
                await stalled.__anext__()

            tg.start_soon(first_order)
            await until(lambda: transport.conns and transport.conns[0].sent)
            conn = transport.conns[0]
            conn.push(orders(0))
        for n in range(1, 10):  # while nobody reads orders, 9 more arrive
            conn.push(orders(n))
        conn.push(depth(1, snapshot=True))
        assert (await depth_stream.__anext__()).is_snapshot  # the depth reader dispatches all
        with pytest.raises(SlowConsumerError):
            await stalled.__anext__()
        await stalled.aclose()
        await depth_stream.aclose()


async def test_close_ends_iterators_blocked_in_a_read() -> None:
    transport = Scripted()
    client = client_for(transport)
    ended: list[str] = []

    async def run(name: str, stream: Any) -> None:
        async for _ in stream:
            pass
        ended.append(name)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(run, "depth", client.stream_depth(MARKET))
            tg.start_soon(run, "orders", client.stream_orders(ACCOUNT))
            tg.start_soon(run, "lifecycle", client.stream_lifecycle())
            await until(lambda: transport.conns and len(transport.conns[0].sent) == 2)
            await client.close()
    assert sorted(ended) == ["depth", "lifecycle", "orders"]
    assert transport.conns[0].closed


def test_a_pong_releases_its_ping_and_every_earlier_one() -> None:
    from o2_core.transport import PendingPings

    payloads = iter([b"aaaa", b"aaaa", b"bbbb", b"cccc", b"dddd"])
    pings: PendingPings[str] = PendingPings(lambda n: next(payloads))
    first, second, third = pings.add("w1"), pings.add("w2"), pings.add("w3")
    assert (first, second, third) == (b"aaaa", b"bbbb", b"cccc")  # a repeat is redrawn
    assert pings.acknowledge(b"zzzz") == []
    assert pings.acknowledge(second) == ["w1", "w2"]
    pings.discard(third)
    assert len(pings) == 0 and pings.drain() == []
    pings.add("w4")
    assert pings.drain() == ["w4"] and len(pings) == 0


async def test_frames_survive_a_hosting_consumer_leaving_mid_send() -> None:
    """Without ``async with``, a waiting consumer hosts the reader; when it gets its item
    (here: the CONNECTED event) it stops hosting, possibly while the reader is sending the
    subscribe frames. Nothing sent must be lost: the next host sends what is left."""
    transport = Scripted()
    client = client_for(transport)

    class SlowConn(Conn):
        async def send_text(self, text: str) -> None:
            await anyio.sleep(0.02)  # the host leaves while this send is in flight
            await super().send_text(text)

    async def connect(url: str, timeout: float) -> Conn:
        conn = SlowConn(True)
        transport.conns.append(conn)
        return conn

    transport.connect_websocket = connect  # type: ignore[method-assign]
    got: list[Any] = []
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:

            async def lifecycle() -> None:
                async for _ in client.stream_lifecycle():
                    pass

            async def consume_depth() -> None:
                async for update in client.stream_depth(MARKET):
                    got.append(update)
                    return

            tg.start_soon(lifecycle)
            tg.start_soon(consume_depth)
            await until(lambda: transport.conns and transport.conns[0].sent)
            transport.conns[0].push(depth(5, snapshot=True))
            await until(lambda: got)
            await client.close()
    assert transport.conns[0].sent[0]["action"] == "subscribe_depth" and got[0].is_snapshot
