"""The exchange over real loopback sockets: plain clients, faults, and the official SDK."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys

import httpx
import pytest
import websockets

from o2_core import http
from o2_core import models as m
from o2_sim_server import SimServer

PAIR = "fFUEL/fUSDC"


@pytest.fixture(scope="module")
def server():
    with SimServer(port=0, seed=11) as srv:
        yield srv


def test_rest_and_websocket_over_loopback(server: SimServer) -> None:
    reply = httpx.get(server.api_base + "/v1/markets", timeout=5)
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
    markets = m.decode(reply.content, m.MarketsResponse)
    assert [mk.pair for mk in markets.markets] == [PAIR, "fETH/fUSDC"]
    mid = str(markets.markets[0].market_id)
    bad = httpx.get(
        server.api_base + "/v1/depth", params={"market_id": "0x" + "ab" * 32}, timeout=5
    )
    assert bad.status_code == 404 and bad.json()["code"] == 2000

    async def stream() -> list[dict]:
        async with websockets.connect(server.ws_url) as ws:
            await ws.send(
                json.dumps({"action": "subscribe_depth", "market_id": mid, "precision": "10"})
            )
            first = json.loads(await asyncio.wait_for(ws.recv(), 5))
            await ws.send(json.dumps({"action": "subscribe_trades", "market_id": "nope"}))
            error = json.loads(await asyncio.wait_for(ws.recv(), 5))
            return [first, error]

    snapshot, error = asyncio.run(stream())
    assert snapshot["action"] == "subscribe_depth" and snapshot["market_id"] == mid
    assert snapshot["view"] == {"buys": [], "sells": []}
    assert error["code"] == 6002


def test_http_faults_over_loopback(server: SimServer) -> None:
    with server.locked() as ex:
        ex.faults.status("/v1/markets", 429, retry_after=2)
        ex.faults.status("/v1/markets", 503, body=b"upstream down")
        ex.faults.drop("/v1/markets")
    first = httpx.get(server.api_base + "/v1/markets", timeout=5)
    assert first.status_code == 429 and first.headers["retry-after"] == "2"
    second = httpx.get(server.api_base + "/v1/markets", timeout=5)
    assert second.status_code == 503 and second.text == "upstream down"
    with pytest.raises(httpx.TransportError):
        httpx.get(server.api_base + "/v1/markets", timeout=5)
    assert httpx.get(server.api_base + "/v1/markets", timeout=5).status_code == 200


def test_ws_drop_over_loopback(server: SimServer) -> None:
    async def run() -> None:
        async with websockets.connect(server.ws_url) as ws:
            with server.locked() as ex:
                assert ex.drop_ws_connections() >= 1
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)

    asyncio.run(run())


def test_server_stops_cleanly() -> None:
    srv = SimServer(port=0).start()
    port = srv.port
    assert httpx.get(srv.api_base + "/v1/markets", timeout=5).status_code == 200
    srv.stop()
    srv.stop()  # idempotent
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_console_script_prints_urls() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from o2_sim_server import main; main(['--port', '0', '--seed', '3'])",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(3)]  # type: ignore[union-attr]
        rest = lines[1].split()[-1]
        assert lines[1].startswith("REST: http://127.0.0.1:") and lines[2].startswith(
            "WS:   ws://127.0.0.1:"
        )
        assert httpx.get(rest + "/v1/markets", timeout=5).status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)


def test_official_sdk_quickstart(server: SimServer) -> None:
    from o2_sdk import Network, OrderSide
    from o2_sdk import NetworkConfig as OfficialConfig
    from o2_sdk import O2Client as OfficialClient

    async def run() -> None:
        config = OfficialConfig(
            api_base=server.api_base,
            ws_url=server.ws_url,
            fuel_rpc="",
            faucet_url=server.api_base + "/faucet",
            whitelist_required=False,
        )
        client = OfficialClient(network=Network.DEVNET, custom_config=config)
        try:
            owner = client.generate_wallet()
            account = await client.setup_account(owner)
            assert account.trade_account_id is not None and account.nonce == 0
            balances = await client.get_balances(account)
            assert int(balances["fUSDC"].trading_account_balance) == 100_000 * 10**6
            session = await client.create_session(owner, markets=[PAIR])
            assert session.trade_account_id == account.trade_account_id
            placed = await client.create_order(PAIR, OrderSide.BUY, "0.05", 100)
            assert placed.success and placed.orders and placed.orders[0].price == "50000"
            order_id = placed.orders[0].order_id
            orders = await client.get_orders(PAIR, account, is_open=True)
            assert [o.order_id for o in orders] == [order_id]
            depth = await client.get_depth(PAIR)
            assert depth.best_bid is not None and int(depth.best_bid.price) == 50_000

            async def first_depth():
                async for update in client.stream_depth(PAIR, precision=1):
                    return update

            update = await asyncio.wait_for(first_depth(), 10)
            assert update.is_snapshot
            assert [(int(lv.price), int(lv.quantity)) for lv in update.changes.bids] == [
                (50_000, 100 * 10**9)
            ]
            cancelled = await client.cancel_order(order_id, market=PAIR)
            assert cancelled.success
            after = await client.get_order(PAIR, order_id)
            assert after.cancel and after.close
            assert await client.get_orders(PAIR, account, is_open=True) == []
            withdrawal = await client.withdraw(owner, "fUSDC", 1.5)
            assert withdrawal.success
            final = await client.get_balances(account)
            assert int(final["fUSDC"].total_locked) == 0
            assert int(final["fUSDC"].total_unlocked) == 100_000 * 10**6 - 1_500_000
            nonce = await client.get_nonce(account.trade_account_id)
            assert nonce == 4  # session, order, cancel, withdraw
        finally:
            await client.close()

    asyncio.run(run())
    # what the SDK did is visible to our own parsers too
    with server.locked() as ex:
        ex.check_invariants()
    reply = httpx.get(server.api_base + "/v1/markets", timeout=5)
    assert http.Response(reply.status_code, reply.content).status == 200
