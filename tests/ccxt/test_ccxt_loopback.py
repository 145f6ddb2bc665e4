"""The main flows over real sockets: O2CCXT against an ``o2-sim`` server on 127.0.0.1
(started and stopped here), with the default httpx transport and with aiohttp."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from ccxt_checks import check_balance, check_order, check_order_book, check_trade

from o2_ccxt import O2CCXT, O2AmbiguousSubmission
from o2_core import NetworkConfig, O2Client
from o2_core.client import StreamOptions
from o2_sim_server import SimServer
from o2_transport_aiohttp import AiohttpTransport

pytestmark = pytest.mark.anyio

PAIR = "fFUEL/fUSDC"
FAST = StreamOptions(reconnect_base=0.01, reconnect_cap=0.05, ping_interval=2, pong_timeout=2)


@pytest.fixture
def server() -> Iterator[SimServer]:
    """A fresh loopback exchange for each test."""
    with SimServer(port=0, seed=21) as running:
        yield running


@pytest.fixture(params=["httpx", "aiohttp"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def exchange_on(server: SimServer, transport: str) -> O2CCXT:
    config = NetworkConfig(server.api_base, server.ws_url, faucet_url=server.faucet_url)
    key = "0x" + O2Client.generate_wallet().private_key.hex()
    if transport == "httpx":  # the client's default transport for a custom_config
        return O2CCXT({"custom_config": config, "privateKey": key})
    client = O2Client(custom_config=config, transport=AiohttpTransport(), stream_options=FAST)
    return O2CCXT({"client": client, "privateKey": key})


async def within(awaitable: Any, seconds: float = 10.0) -> Any:
    return await asyncio.wait_for(awaitable, seconds)


async def test_trading_and_watching_over_loopback(server: SimServer, transport: str) -> None:
    maker, taker = exchange_on(server, transport), exchange_on(server, transport)
    try:
        for exchange in (maker, taker):
            await exchange.setup_account()
            await exchange.create_session([PAIR])
        markets = await maker.load_markets()
        assert markets[PAIR]["precision"] == {"amount": 3, "price": 4}

        balance = await within(maker.watch_balance())  # the REST seed first
        check_balance(maker, "watchBalance", balance)
        assert balance["fUSDC"]["used"] == 0.0
        await within(maker.watch_order_book(PAIR))  # the snapshot
        book_waiter = asyncio.ensure_future(maker.watch_order_book(PAIR))
        orders_waiter = asyncio.ensure_future(maker.watch_orders(PAIR))
        await within(_subscribed(server, "orders", maker._account()))

        sell = await maker.create_order(PAIR, "limit", "sell", 100, 0.05)
        check_order(maker, "createOrder", sell, PAIR)
        book = await within(book_waiter)
        check_order_book(maker, "watchOrderBook", book, PAIR)
        assert [0.05, 100.0] in book["asks"]
        [watched] = await within(orders_waiter)
        assert (watched["id"], watched["status"]) == (sell["id"], "open")

        mine = asyncio.ensure_future(taker.watch_my_trades(PAIR))
        await within(_subscribed(server, "trades", markets[PAIR]["id"]))  # only the taker's
        bought = await taker.create_order(
            PAIR, "market", "buy", 40, None, {"maxPrice": 0.05, "minPrice": 0.01}
        )
        assert (bought["type"], bought["status"], bought["filled"]) == ("market", "closed", 40.0)
        [trade] = await within(mine)
        check_trade(taker, "watchMyTrades", trade, PAIR, public=False)
        assert (trade["side"], trade["takerOrMaker"], trade["amount"]) == ("buy", "taker", 40.0)
        [rest] = await taker.fetch_my_trades(PAIR)
        assert rest["id"] == trade["id"] and rest["price"] == 0.05

        order = await within(_order_status(maker, sell["id"], "open", 40.0))
        assert order["remaining"] == 60.0
        canceled = await maker.cancel_order(sell["id"], PAIR)
        assert canceled["status"] == "canceled"
        assert await maker.cancel_all_orders(PAIR) == []

        transaction = await maker.withdraw("fUSDC", 1.25, None)
        assert transaction["amount"] == 1.25 and transaction["txid"]

        with server.locked() as engine:
            engine.faults.drop("/v1/session/actions", after=True)
        with pytest.raises(O2AmbiguousSubmission):
            await maker.create_order(PAIR, "limit", "buy", 100, 0.02)
        [landed] = await maker.fetch_open_orders(PAIR)  # it did execute, once
        assert (landed["price"], landed["amount"]) == (0.02, 100.0)
    finally:
        await maker.close()
        await taker.close()


async def _subscribed(server: SimServer, channel: str, key: str) -> None:
    """Wait until a connection holds a ``channel`` subscription to ``key``."""
    while True:
        with server.locked() as engine:
            if any(key in getattr(conn, channel) for conn in engine.ws.conns.values()):
                return
        await asyncio.sleep(0.01)


async def _order_status(exchange: O2CCXT, order_id: str, status: str, filled: float) -> Any:
    while True:
        order = await exchange.fetch_order(order_id, PAIR)
        if (order["status"], order["filled"]) == (status, filled):
            return order
        await asyncio.sleep(0.02)
