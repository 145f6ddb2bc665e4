"""Shared pieces of the ccxt adapter tests: a fresh local exchange per test, wired in
memory, and a factory of ``O2CCXT`` instances on it (closed at the end of the test)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from o2_ccxt import O2CCXT
from o2_core import NetworkConfig, O2Client
from o2_core.client import StreamOptions
from o2_core.sim import Exchange, default_config
from o2_transport_memory import MemoryTransport

PAIR = "fFUEL/fUSDC"
OTHER = "fETH/fUSDC"
LOCAL = NetworkConfig("http://o2.local", "ws://o2.local/v1/ws", faucet_url="http://o2.local/faucet")
FAST = StreamOptions(reconnect_base=0.01, reconnect_cap=0.05, ping_interval=2, pong_timeout=2)

MakeExchange = Callable[..., O2CCXT]


@pytest.fixture
def anyio_backend() -> str:
    """ccxt's async_support runs on asyncio."""
    return "asyncio"


@pytest.fixture
def sim() -> Exchange:
    """A fresh local exchange (fFUEL/fUSDC and fETH/fUSDC; 1 fUSDC minimum order, which
    the market-limit and order-rule tests read)."""
    return Exchange(default_config(seed=5, min_order=1_000_000), clock=time.time)


@pytest.fixture
async def make_exchange(sim: Exchange) -> AsyncIterator[MakeExchange]:
    """``make_exchange(**client_options)``: an O2CCXT on ``sim`` with a fresh owner wallet."""
    made: list[O2CCXT] = []

    def factory(config: dict[str, Any] | None = None, **client_options: Any) -> O2CCXT:
        client = O2Client(custom_config=LOCAL, transport=MemoryTransport(sim), **client_options)
        options: dict[str, Any] = {"client": client, "signer": client.generate_wallet()}
        options.update(config or {})
        exchange = O2CCXT(options)
        made.append(exchange)
        return exchange

    yield factory
    for exchange in made:
        await exchange.close()


async def trader(exchange: O2CCXT, markets: list[str] | None = None) -> O2CCXT:
    """Set up the exchange's account (funded by the faucet) and a session on ``markets``."""
    await exchange.setup_account()
    await exchange.create_session(markets or [PAIR, OTHER])
    return exchange


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    """Poll ``check`` until it is true (fails the test after ``timeout`` seconds)."""
    import anyio

    with anyio.fail_after(timeout):
        while not await check():
            await anyio.sleep(0.01)
