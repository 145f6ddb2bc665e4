"""Logs are useful and clean: every request at DEBUG (method, path, status, ms), retries
and reconnects at INFO, unknown outcomes at WARNING — and no key or signature ever."""

from __future__ import annotations

import logging
import re
import time

import anyio
import pytest

from o2_core import NetworkConfig, O2Client, OrderSide, UnknownSubmissionOutcome
from o2_core.sim import Exchange, default_config
from o2_core.stream import ConnectionState
from o2_core.stream_driver import StreamOptions
from o2_transport_memory import MemoryTransport

CONFIG = NetworkConfig("http://o2.local", "ws://o2.local/v1/ws", faucet_url="http://o2.local/faucet")
PAIR = "fFUEL/fUSDC"


class Recording(MemoryTransport):
    """Keeps every request body: the signatures a log must never show."""

    def __init__(self, exchange: Exchange) -> None:
        super().__init__(exchange)
        self.bodies: list[bytes] = []

    async def request(self, request, timeout):  # type: ignore[no-untyped-def]
        if request.body:
            self.bodies.append(request.body)
        return await super().request(request, timeout)


async def scenario(exchange: Exchange, transport: Recording) -> list[bytes]:
    """Everything a bot does, with a rate limit, a lost reply and a dropped WebSocket."""
    options = StreamOptions(reconnect_base=0.01, reconnect_cap=0.02)
    async with O2Client(custom_config=CONFIG, transport=transport, backoff_base=0.001,
                        stream_options=options) as client:
        owner = client.generate_evm_wallet()
        await client.setup_account(owner)
        session = await client.create_session(owner=owner, markets=[PAIR])
        exchange.faults.status("/v1/markets/ticker", 429, retry_after=0)
        await client.get_ticker(PAIR)
        await client.create_order(PAIR, OrderSide.BUY, "0.02", 100)
        exchange.faults.drop("/v1/session/actions", after=True)
        with pytest.raises(UnknownSubmissionOutcome):
            await client.create_order(PAIR, OrderSide.BUY, "0.021", 100)
        await client.cancel_all_orders(PAIR)
        await client.withdraw(owner, "fUSDC", "1.5")
        async with anyio.create_task_group() as tg:

            async def watch() -> None:
                async for event in client.stream_lifecycle():
                    if event.state is ConnectionState.CONNECTED:
                        exchange.drop_ws_connections()
                    if event.state is ConnectionState.RECONNECTED:
                        tg.cancel_scope.cancel()

            tg.start_soon(watch)
            async for _ in client.stream_depth(PAIR):
                pass
        return [owner.private_key, session.session_private_key]


def test_logs_are_useful_and_never_show_a_key_or_a_signature(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exchange = Exchange(default_config(seed=11), clock=time.time)
    transport = Recording(exchange)
    with caplog.at_level(logging.DEBUG):
        secrets = anyio.run(scenario, exchange, transport)
    text = "\n".join(f"{r.name} {r.levelname} {r.getMessage()} {r.args!r}"
                     for r in caplog.records).lower()

    # useful: each request, retries, unknown outcomes and reconnects, under module names
    assert re.search(r"o2_core\.api debug put /v1/session -> 200 in [\d.]+ ms", text)
    assert re.search(r"o2_core\.api debug get /v1/markets/ticker -> 429 in", text)
    assert re.search(r"o2_core\.api info get /v1/markets/ticker failed .* retry in", text)
    assert re.search(r"o2_core\.api warning post /v1/session/actions: outcome unknown", text)
    assert re.search(r"o2_core\.stream info websocket reconnected", text)
    ours = [r for r in caplog.records if r.name.startswith("o2")]
    assert {r.name.partition(".")[0] for r in ours} <= {"o2_core", "o2_transport_memory"}

    # clean: no private key, no signature, in any case, with or without 0x
    signatures = [m.group(1) for body in transport.bodies
                  for m in re.finditer(rb'"(?:Typed)?Secp256k1":"0x([0-9a-f]+)"', body)]
    assert len(signatures) >= 4
    for secret in [s.hex() for s in secrets] + [s.decode() for s in signatures]:
        assert secret.lower() not in text
