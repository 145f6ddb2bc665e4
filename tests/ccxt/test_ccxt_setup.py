"""Constructing O2CCXT (every option, no secret in any repr/str/log) and the errors of
reads that meet transport faults."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import ccxt.async_support as ccxt
import pytest
from conftest import LOCAL, PAIR, MakeExchange, trader

from o2_ccxt import O2CCXT, AuthenticationError, BadRequest, NetworkError, RateLimitExceeded
from o2_core import Network, O2Client
from o2_core.sim import Exchange
from o2_transport_memory import MemoryTransport

pytestmark = pytest.mark.anyio


async def test_an_embedded_local_exchange_from_options_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = O2Client.generate_wallet().private_key.hex()
    caplog.set_level(logging.DEBUG)
    exchange = O2CCXT({"network": "local", "privateKey": "0x" + key, "verbose": False})
    try:
        assert exchange.o2_client.config.api_base == "http://o2.local"
        await exchange.setup_account()
        session = await exchange.create_session([PAIR])
        order = await exchange.create_order(PAIR, "limit", "buy", 100, 0.02)
        assert order["status"] == "open"
        assert exchange._account() == str(session.trade_account_id)
        shown = " ".join(
            [repr(exchange), str(exchange), repr(vars(exchange)), repr(exchange.describe()),
             repr(session), repr(exchange.o2_client.session), caplog.text]
        )
        assert key not in shown and key.upper() not in shown
        assert session.session_private_key.hex() not in shown
        assert getattr(exchange, "privateKey", "") in ("", None)  # not handed to ccxt
    finally:
        await exchange.close()


async def test_options_are_checked(sim: Exchange) -> None:
    client = O2Client(custom_config=LOCAL, transport=MemoryTransport(sim))
    wallet = client.generate_wallet()
    with pytest.raises(AuthenticationError, match="not both"):
        O2CCXT({"privateKey": wallet.private_key.hex(), "signer": wallet})
    with pytest.raises(AuthenticationError) as bad_key:
        O2CCXT({"network": "local", "privateKey": "0xdeadbeef"})
    assert "deadbeef" not in str(bad_key.value) and bad_key.value.__cause__ is None
    with pytest.raises(BadRequest, match="O2Client"):
        O2CCXT({"client": "nope"})
    with pytest.raises(BadRequest, match="not both"):
        O2CCXT({"client": client, "network": "local"})
    with pytest.raises(BadRequest, match="NetworkConfig"):
        O2CCXT({"custom_config": {"api_base": "http://x"}})
    with pytest.raises(BadRequest, match="network"):
        O2CCXT({"network": "moon"})
    with pytest.raises(BadRequest, match="tradeAccountId"):
        O2CCXT({"client": client, "tradeAccountId": "0x1234"})
    with pytest.raises(BadRequest, match="SessionInfo"):
        O2CCXT({"client": client, "session": {"trade_account_id": "0x00"}})

    default = O2CCXT({})
    assert default.o2_client.config.api_base == "https://api.testnet.o2.app"
    await default.close()
    enum = O2CCXT({"network": Network.MAINNET, "enableRateLimit": False})
    assert enum.o2_client.config.api_base == "https://api.o2.app"
    await enum.close()
    configured = O2CCXT({"custom_config": LOCAL, "transport": MemoryTransport(sim),
                         "tradeAccountId": "0x" + "AB" * 32})
    assert configured._account() == "0x" + "ab" * 32
    with pytest.raises(AuthenticationError, match="Account not found"):  # no such account
        await configured.fetch_balance()
    await configured.close()
    assert isinstance(configured, ccxt.Exchange)


async def test_read_faults_map_to_network_errors(
    make_exchange: MakeExchange, sim: Exchange
) -> None:
    exchange = make_exchange(max_retries=1, backoff_base=0.001, backoff_cap=0.002,
                             request_timeout=0.05)
    await exchange.load_markets()
    sim.faults.drop("/v1/depth", count=2)
    with pytest.raises(NetworkError) as dropped:
        await exchange.fetch_order_book(PAIR)
    assert type(dropped.value) is NetworkError
    assert type(dropped.value.original_error).__name__ == "TransportError"

    sim.faults.delay("/v1/trades", 0.5, count=2)
    with pytest.raises(ccxt.RequestTimeout):
        await exchange.fetch_trades(PAIR)

    sim.faults.status("/v1/markets/ticker", 429, count=2)
    with pytest.raises(RateLimitExceeded):
        await exchange.fetch_ticker(PAIR)

    sim.faults.status("/v1/depth", 500, count=2)
    with pytest.raises(ccxt.ExchangeError) as server:
        await exchange.fetch_order_book(PAIR)
    assert type(server.value.original_error).__name__ == "InternalError"

    sim.faults.malformed("/v1/markets/ticker", body=b"<html>", count=1)
    with pytest.raises(ccxt.BadResponse):
        await exchange.fetch_ticker(PAIR)

    sim.faults.status("/v1/depth", 429, count=1)  # one rate limit is retried
    assert (await exchange.fetch_order_book(PAIR))["symbol"] == PAIR


async def test_private_reads_of_a_submitting_method_are_not_ambiguous(
    make_exchange: MakeExchange, sim: Exchange
) -> None:
    exchange = await trader(make_exchange(max_retries=0, backoff_base=0.001))
    before = len(sim.orders)
    sim.faults.drop("/v1/order", count=1)  # cancel_order reads the order first
    with pytest.raises(NetworkError) as failed:
        await exchange.cancel_order("0x" + "12" * 32, PAIR)
    assert type(failed.value) is NetworkError  # nothing was signed or sent
    assert len(sim.orders) == before


class ParallelReadyClient(O2Client):
    """A client that records the parallel-nonce options it is given, and makes a
    sequential session (so the test does not depend on the account's capability)."""

    seen: list[tuple[str, int]]

    async def create_session(
        self,
        owner: Any,
        markets: Any,
        expiry_days: float = 30,
        nonce_strategy: str = "sequential",
        nonce_session_id: int = 0,
    ) -> Any:
        self.seen.append((nonce_strategy, nonce_session_id))
        return await super().create_session(owner, markets, expiry_days)


async def test_parallel_nonce_options_reach_a_client_that_takes_them(sim: Exchange) -> None:
    client = ParallelReadyClient(custom_config=LOCAL, transport=MemoryTransport(sim))
    client.seen = []
    exchange = O2CCXT({"client": client, "signer": client.generate_wallet()})
    try:
        await exchange.setup_account()
        await exchange.create_session([PAIR], 1, nonce_strategy="parallel", nonce_session_id=3)
        await exchange.create_session([PAIR])
        assert client.seen == [("parallel", 3), ("sequential", 0)]
    finally:
        await exchange.close()


async def test_streams_hosted_by_a_client_used_as_a_context_manager(sim: Exchange) -> None:
    async with O2Client(custom_config=LOCAL, transport=MemoryTransport(sim)) as client:
        exchange = O2CCXT({"client": client, "signer": client.generate_wallet()})
        await trader(exchange)
        book = await asyncio.wait_for(exchange.watch_order_book(PAIR), 5)
        assert book["bids"] == []
        waiting = asyncio.ensure_future(exchange.watch_order_book(PAIR))
        await asyncio.sleep(0.05)
        await exchange.create_order(PAIR, "limit", "buy", 100, 0.02)
        assert (await asyncio.wait_for(waiting, 5))["bids"] == [[0.02, 100.0]]
        await exchange.close(clean_instance_data=True)
        assert exchange.orderbooks == {}
