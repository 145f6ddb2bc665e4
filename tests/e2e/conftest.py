"""Every end-to-end test runs over each transport against the local exchange.

``make_client()`` builds an ``O2Client`` for the current case: the in-memory transport
(asyncio and trio), httpx over real loopback sockets (asyncio and trio), and aiohttp
(asyncio), the latter against a loopback ``o2-sim`` server started for the session.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from o2_core import NetworkConfig, O2Client
from o2_core.sim import Exchange, default_config
from o2_sim_server import SimServer
from o2_transport_aiohttp import AiohttpTransport
from o2_transport_httpx import HttpxTransport
from o2_transport_memory import MemoryTransport

CASES = [
    ("memory", "asyncio"),
    ("memory", "trio"),
    ("httpx", "asyncio"),
    ("httpx", "trio"),
    ("aiohttp", "asyncio"),
]


@pytest.fixture(scope="session")
def sim_server() -> Iterator[SimServer]:
    """One loopback exchange for the whole run (tests use fresh wallets; 1 fUSDC minimum
    order, which the order-rule tests read)."""
    with SimServer(port=0, config=default_config(7, min_order=1_000_000)) as server:
        yield server


@pytest.fixture(params=CASES, ids=[f"{t}-{b}" for t, b in CASES])
def case(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def anyio_backend(case: tuple[str, str]) -> str:
    return case[1]


@pytest.fixture
def exchange(case: tuple[str, str], sim_server: SimServer) -> Exchange:
    """The exchange the current case talks to (fresh for in-memory cases)."""
    if case[0] == "memory":
        return Exchange(default_config(seed=3, min_order=1_000_000), clock=time.time)
    return sim_server.exchange


def config_for(server: SimServer) -> NetworkConfig:
    return NetworkConfig(server.api_base, server.ws_url, faucet_url=server.api_base + "/faucet")


@pytest.fixture
def make_client(
    case: tuple[str, str], exchange: Exchange, sim_server: SimServer
) -> Callable[..., O2Client]:
    """A factory of clients wired to the current case's transport and exchange."""

    def factory(**options: Any) -> O2Client:
        if case[0] == "memory":
            transport: Any = MemoryTransport(exchange)
            config = NetworkConfig(
                "http://o2.local", "ws://o2.local/v1/ws", faucet_url="http://o2.local/faucet"
            )
        else:
            transport = HttpxTransport() if case[0] == "httpx" else AiohttpTransport()
            config = config_for(sim_server)
        return O2Client(custom_config=config, transport=transport, **options)

    return factory


@pytest.fixture
def engine(
    case: tuple[str, str], exchange: Exchange, sim_server: SimServer
) -> Callable[[], contextlib.AbstractContextManager[Exchange]]:
    """``with engine() as ex:`` gives safe access to the exchange of the current case."""
    if case[0] == "memory":
        return lambda: contextlib.nullcontext(exchange)
    return sim_server.locked
