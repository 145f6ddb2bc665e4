"""o2-sdk's ``O2WebSocket`` under o2_core.websocket: standalone and on a client's driver.

Scripted connections show the frames and the fan-in; the in-memory simulator runs the
official integration test ``TestWebSocket::test_depth_snapshot`` with the ``_ensure_ws``
that ``O2Client`` is to get (defined here the way the report proposes it).
"""

from __future__ import annotations

import json
from contextlib import aclosing
from typing import Any

import anyio
import pytest

from o2_core import NetworkConfig, O2Client, OrderSide
from o2_core.config import Network, get_config
from o2_core.errors import InvalidInput, TransportError, UsageError
from o2_core.http import Request, Response
from o2_core.models import BalanceUpdate, DepthUpdate, OrderUpdate, TradeUpdate
from o2_core.stream import ConnectionState
from o2_core.stream_driver import StreamDriver, StreamOptions
from o2_core.subscriptions import OrdersSub
from o2_core.transport import ConnectionClosed
from o2_core.websocket import ConnectionEvent, O2WebSocket
from o2_transport_memory import local_exchange

pytestmark = pytest.mark.anyio

CONFIG = NetworkConfig("http://example.test", "ws://example.test/v1/ws")
MARKET = "0x" + "aa" * 32
A, B = "0x" + "0a" * 32, "0x" + "0b" * 32


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


class Conn:
    """A scripted WebSocket: the test pushes frames and reads what was sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
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
        pass

    async def close(self) -> None:
        self.closed = True
        self._send.close()
        self._receive.close()


class Scripted:
    """A transport of scripted WebSockets (no REST)."""

    def __init__(self) -> None:
        self.conns: list[Conn] = []
        self.closed = 0

    async def request(self, request: Request, timeout: float) -> Response:
        raise AssertionError(f"no REST expected, got {request.url}")

    async def connect_websocket(self, url: str, timeout: float) -> Conn:
        conn = Conn()
        self.conns.append(conn)
        return conn

    async def aclose(self) -> None:
        self.closed += 1


async def until(predicate: Any, timeout: float = 5) -> None:
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(0.005)


def sent(transport: Scripted) -> list[dict[str, Any]]:
    return [frame for conn in transport.conns for frame in conn.sent]


def orders_frame(account: str, n: int) -> dict[str, Any]:
    order = {"order_id": "0x" + f"{n:064x}", "account": {"ContractId": account}, "close": False}
    return {"action": "subscribe_orders", "orders": [order]}


def balance_frame(account: str) -> dict[str, Any]:
    entry = {"identity": {"ContractId": account}, "asset_id": "0x" + "01" * 32,
             "total_locked": "0", "total_unlocked": "5", "trading_account_balance": "5"}
    return {"action": "subscribe_balances", "balance": [entry]}


async def collect(iterator: Any, into: list[Any], count: int | None = None) -> None:
    async with aclosing(iterator):
        async for item in iterator:
            into.append(item)
            if count is not None and len(into) >= count:
                return


# --- standalone --------------------------------------------------------------------------


async def test_stream_depth_takes_the_wire_precision() -> None:
    transport = Scripted()
    ws = await O2WebSocket(CONFIG, transport=transport).connect()
    got: list[DepthUpdate] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(collect, ws.stream_depth(MARKET, "100"), got, 2)
        await until(lambda: sent(transport))
        assert sent(transport) == [
            {"action": "subscribe_depth", "market_id": MARKET, "precision": "100"}]
        conn = transport.conns[0]
        conn.push({"action": "subscribe_depth_update", "market_id": MARKET,  # before the
                   "changes": {"buys": [{"price": "1", "quantity": "1"}]}})  # snapshot: dropped
        conn.push({"action": "subscribe_depth", "market_id": MARKET,
                   "view": {"buys": [{"price": "100", "quantity": "5"}], "sells": []}})
        conn.push({"action": "subscribe_depth_update", "market_id": MARKET,
                   "changes": {"buys": [{"price": "100", "quantity": "-2"}]}})
    assert [u.is_snapshot for u in got] == [True, False]
    assert got[0].market_id == MARKET and got[0].changes.bids[0].quantity == 5
    assert got[1].changes.bids[0].quantity == -2
    await ws.disconnect()
    assert transport.closed == 0  # a transport given to it stays its owner's


@pytest.mark.parametrize("precision", ["7", "x", 0, True, "10.0"])
async def test_a_bad_wire_precision_is_bad_input(precision: Any) -> None:
    ws = O2WebSocket(CONFIG, transport=Scripted())
    with pytest.raises(InvalidInput):
        await ws.stream_depth(MARKET, precision).__anext__()


async def test_several_identities_fan_in_to_one_iterator() -> None:
    transport = Scripted()
    ws = O2WebSocket(CONFIG, transport=transport)
    got: list[OrderUpdate] = []
    identities = [{"ContractId": A}, {"ContractId": B}, {"ContractId": A.upper()[2:]}]
    async with anyio.create_task_group() as tg:
        tg.start_soon(collect, ws.stream_orders(identities), got, 4)
        await until(lambda: len(sent(transport)) == 2)  # the duplicate of A is one stream
        assert sent(transport) == [
            {"action": "subscribe_orders", "identities": [{"ContractId": A}]},
            {"action": "subscribe_orders", "identities": [{"ContractId": B}]},
        ]
        conn = transport.conns[0]
        for n, account in enumerate([A, B, B, A]):
            conn.push(orders_frame(account, n))
    accounts = sorted(str(u.orders[0].account.value) for u in got)
    assert accounts == [A, A, B, B]
    await until(lambda: {"action": "unsubscribe_orders"} in sent(transport))
    await ws.disconnect()


async def test_unsubscribe_ends_this_sockets_iterators_of_that_subscription() -> None:
    transport = Scripted()
    ws = O2WebSocket(CONFIG, transport=transport)
    balances: list[BalanceUpdate] = []
    trades: list[TradeUpdate] = []
    done: list[str] = []

    async def run(name: str, iterator: Any, into: list[Any]) -> None:
        await collect(iterator, into)
        done.append(name)  # the iterator returned: unsubscribed

    async with anyio.create_task_group() as tg:
        tg.start_soon(run, "balances", ws.stream_balances([{"ContractId": A}, B]), balances)
        tg.start_soon(run, "trades", ws.stream_trades(MARKET), trades)
        tg.start_soon(run, "depth", ws.stream_depth(MARKET), [])
        await until(lambda: len(sent(transport)) == 4)
        conn = transport.conns[0]
        conn.push(balance_frame(A))
        await until(lambda: len(balances) == 1)

        await ws.unsubscribe_balances([{"ContractId": A}])  # B's stream goes on
        await until(lambda: {"action": "unsubscribe_balances",
                             "identities": [{"ContractId": A}]} in sent(transport))
        conn.push(balance_frame(A))  # no longer delivered
        conn.push(balance_frame(B))
        await until(lambda: len(balances) == 2)
        assert balances[1].balance[0].identity.value == B and done == []

        await ws.unsubscribe_balances([B])
        await ws.unsubscribe_trades(MARKET)
        await ws.unsubscribe_depth(MARKET)
        await until(lambda: sorted(done) == ["balances", "depth", "trades"])
    assert {"action": "unsubscribe_trades", "market_id": MARKET} in sent(transport)
    assert {"action": "unsubscribe_depth", "market_id": MARKET} in sent(transport)
    await ws.disconnect()


async def test_disconnect_ends_everything_and_connect_starts_over() -> None:
    transport = Scripted()
    ws = O2WebSocket(CONFIG, transport=transport)
    events: list[ConnectionEvent] = []
    nonces: list[Any] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(collect, ws.stream_lifecycle(), events)
        tg.start_soon(collect, ws.stream_nonce([A]), nonces)
        await until(lambda: len(sent(transport)) == 1)
        await ws.disconnect()  # both iterators return
    assert [e.state for e in events] == [ConnectionState.CONNECTED, ConnectionState.CLOSED]
    assert transport.conns[0].closed

    await ws.connect()  # a fresh driver on the same transport
    got: list[Any] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(collect, ws.stream_nonce([A]), got, 1)
        await until(lambda: len(transport.conns) == 2 and transport.conns[1].sent)
        transport.conns[1].push({"action": "subscribe_nonce", "contract_id": A, "nonce": "7"})
    assert got[0].nonce == 7
    await ws.disconnect()


async def test_the_tuning_arguments_reach_the_driver() -> None:
    ws = await O2WebSocket(CONFIG, 5.0, 2.0, 3, transport=Scripted()).connect()
    assert ws.driver is not None and ws.driver.protocol.backoff.max_attempts == 3
    assert ws.driver.protocol.backoff.base == 1.0  # o2-sdk's reconnect schedule
    forever = await O2WebSocket(CONFIG, max_reconnect_attempts=0, transport=Scripted()).connect()
    assert forever.driver is not None and forever.driver.protocol.backoff.max_attempts is None
    assert "example.test" in repr(ws) and "connected" not in repr(O2WebSocket(CONFIG))
    with pytest.raises(InvalidInput):
        O2WebSocket()
    with pytest.raises(InvalidInput):
        O2WebSocket(CONFIG, ping_interval=0)
    with pytest.raises(InvalidInput):
        O2WebSocket(CONFIG, max_reconnect_attempts=1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        O2WebSocket(CONFIG, driver=ws.driver, transport=Scripted())
    with pytest.raises(InvalidInput):
        await ws.stream_orders([]).__anext__()
    with pytest.raises(InvalidInput):
        await ws.stream_orders([{"Bank": A}]).__anext__()


async def test_a_standalone_socket_uses_the_default_transport() -> None:
    ws = O2WebSocket(get_config(Network.LOCAL))  # the embedded exchange, in memory
    events: list[ConnectionEvent] = []
    await collect(ws.stream_lifecycle(), events, 1)
    assert events[0].state is ConnectionState.CONNECTED
    await ws.disconnect()


# --- on a client's driver ----------------------------------------------------------------


async def test_a_bound_socket_shares_the_clients_connection() -> None:
    transport = Scripted()
    client = O2Client(custom_config=CONFIG, transport=transport,
                      stream_options=StreamOptions(reconnect_base=0.01))
    driver: StreamDriver = client._stream_driver()
    ws = O2WebSocket(client.config, driver=driver)
    mine: list[OrderUpdate] = []
    theirs: list[OrderUpdate] = []
    async with client, anyio.create_task_group() as tg:
        tg.start_soon(collect, ws.stream_orders([{"ContractId": A}]), mine, 1)
        tg.start_soon(collect, client.stream_orders(A), theirs, 1)
        await until(lambda: driver.protocol.subscriptions.count(OrdersSub(A)) == 2
                    and bool(sent(transport)))
        transport.conns[0].push(orders_frame(A, 1))
    assert len(transport.conns) == 1 and len(mine) == len(theirs) == 1
    assert sent(transport)[0] == {"action": "subscribe_orders", "identities": [{"ContractId": A}]}
    assert sent(transport).count(sent(transport)[0]) == 1  # one subscription, two consumers
    with pytest.raises(UsageError):  # the client closed its streams
        await ws.connect()


async def _ensure_ws(self: O2Client) -> O2WebSocket:
    """The method proposed for O2Client: an O2WebSocket on the client's shared driver."""
    ws: O2WebSocket | None = getattr(self, "_ws", None)
    if ws is None:
        ws = self._ws = O2WebSocket(self.config, driver=self._stream_driver())  # type: ignore[attr-defined]
    return ws


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_official_depth_snapshot_test_with_ensure_ws(
    monkeypatch: pytest.MonkeyPatch, anyio_backend: str
) -> None:
    """``TestWebSocket::test_depth_snapshot`` of o2-sdk 0.5.0, its body as it is."""
    monkeypatch.setattr(O2Client, "_ensure_ws", _ensure_ws, raising=False)
    _, transport = local_exchange(seed=5)
    config = NetworkConfig("http://o2.local", "ws://o2.local/v1/ws")
    client = O2Client(custom_config=config, transport=transport)

    markets = await client.get_markets()
    market = markets[0]
    ws = await client._ensure_ws()  # type: ignore[attr-defined]
    assert await client._ensure_ws() is ws  # type: ignore[attr-defined]

    received = False
    async for update in ws.stream_depth(market.market_id, "10"):
        assert update.market_id == market.market_id
        received = True
        break  # Just need one message

    assert received
    await client.close()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_trade_reaches_a_bound_socket(anyio_backend: str) -> None:
    _, transport = local_exchange(seed=6)
    config = NetworkConfig("http://o2.local", "ws://o2.local/v1/ws",
                           faucet_url="http://o2.local/faucet")
    async with O2Client(custom_config=config, transport=transport) as client:
        market = (await client.get_markets())[0]
        ws = O2WebSocket(client.config, driver=client._stream_driver())
        maker, taker = client.generate_wallet(), client.generate_wallet()
        trades: list[TradeUpdate] = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(collect, ws.stream_trades(market.market_id), trades, 1)
            await client.setup_account(maker)
            await client.create_session(maker, [market])
            await client.create_order(market, OrderSide.SELL, "0.02", 100)
            await client.setup_account(taker)
            await client.create_session(taker, [market])
            await client.create_order(market, OrderSide.BUY, "0.02", 100)
        assert trades and trades[0].market_id == market.market_id


async def test_a_connection_failure_does_not_raise_from_connect() -> None:
    class Refusing(Scripted):
        async def connect_websocket(self, url: str, timeout: float) -> Conn:
            raise TransportError("refused")

    ws = await O2WebSocket(CONFIG, max_reconnect_attempts=1, transport=Refusing()).connect()
    assert ws.driver is not None
    await ws.disconnect()
