"""The client's retry rules at the httpx level, with respx standing in for the server."""

from __future__ import annotations

import httpx
import pytest
import respx

from o2_core import NetworkConfig, O2Client, TransportError
from o2_core import http as h
from o2_transport_httpx import HttpxTransport

pytestmark = pytest.mark.anyio
API = "https://api.example.test"
OWNER = "0x" + "11" * 32


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def client() -> O2Client:
    config = NetworkConfig(API, "wss://api.example.test/v1/ws")
    return O2Client(custom_config=config, transport=HttpxTransport(), backoff_base=0.001)


async def test_reads_are_retried_after_connection_errors_and_429() -> None:
    with respx.mock(assert_all_called=True) as router:
        route = router.get(f"{API}/v1/markets")
        route.side_effect = [
            httpx.ConnectError("refused"),
            httpx.Response(429, headers={"retry-after": "0"}),
            httpx.Response(503, json={"code": 1000, "message": "busy"}),
            httpx.Response(200, json={"markets": [], "chain_id": "0x0"}),
        ]
        async with client() as c:
            assert await c.get_markets() == []
        assert route.call_count == 4


async def test_reads_give_up_after_max_retries() -> None:
    with respx.mock() as router:
        route = router.get(f"{API}/v1/markets").mock(side_effect=httpx.ConnectError("refused"))
        async with client() as c:
            with pytest.raises(TransportError, match="refused"):
                await c.get_markets()
        assert route.call_count == 4  # the first try and 3 retries


async def test_a_signed_submission_is_sent_once_on_connection_errors() -> None:
    with respx.mock() as router:
        route = router.post(f"{API}/v1/session/actions").mock(side_effect=httpx.ReadError("reset"))
        async with client() as c:
            with pytest.raises(TransportError, match="reset"):
                await c.api.send(h.post_actions(API, OWNER, b"{}"))
        assert route.call_count == 1


async def test_a_rate_limited_submission_is_resent_because_it_was_not_processed() -> None:
    with respx.mock() as router:
        route = router.post(f"{API}/v1/session/actions")
        route.side_effect = [
            httpx.Response(429, json={"code": 1003, "message": "slow down"}),
            httpx.Response(200, json={"tx_id": "0x" + "ab" * 32}),
        ]
        async with client() as c:
            response = await c.api.send(h.post_actions(API, OWNER, b"{}"))
        assert response.response.status == 200 and route.call_count == 2
