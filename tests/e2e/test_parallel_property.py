"""Property: on the parallel track, no two submissions ever share a slot.

Hypothesis draws rounds of concurrent orders and withdrawals on one parallel session,
with faults in each round — replies lost after the exchange acted, requests lost before,
"out of window" and "already used" rejections, slow replies. Every request the client
sends is recorded. Whatever happens: each parallel nonce the client signed went out at
most once (no two submissions shared a slot, nothing was re-sent), every call ended in a
result or an ``O2Error`` in bounded time, the exchange kept its invariants, and the lane
still works afterwards. In memory and over loopback HTTP.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o2_core import NetworkConfig, O2Client, O2Error, OrderSide
from o2_core.http import Request, Response
from o2_core.sim import Exchange, default_config
from o2_core.sim.nonces import ALREADY_USED, OUT_OF_WINDOW
from o2_sim_server import SimServer
from o2_transport_httpx import HttpxTransport
from o2_transport_memory import MemoryTransport

PAIR = "fFUEL/fUSDC"
SIGNED = ("/v1/session/actions", "/v1/accounts/withdraw")


class Recording:
    """A transport that records the parallel nonce of every signed request it sends."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sent: list[str] = []

    async def request(self, request: Request, timeout: float) -> Response:
        if request.method == "POST" and request.url.endswith(SIGNED):
            nonce = json.loads(request.body).get("parallel_nonce")
            if nonce is not None:
                self.sent.append(nonce)
        return await self.inner.request(request, timeout)

    async def connect_websocket(self, url: str, timeout: float) -> Any:
        return await self.inner.connect_websocket(url, timeout)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _rejection(reason: str) -> bytes:
    return json.dumps({"code": 1001,
                       "message": f"Parallel nonce is not usable: {reason}"}).encode()


FAULTS = st.tuples(
    st.sampled_from(["none", "lost-reply", "lost-request", "out-of-window", "already-used",
                     "slow"]),
    st.sampled_from(SIGNED),
)
Rounds = list[tuple[list[str], list[tuple[str, str]]]]
ROUNDS = st.lists(
    st.tuples(st.lists(st.sampled_from(["order", "withdraw"]), min_size=1, max_size=6),
              st.lists(FAULTS, max_size=3)),
    min_size=1, max_size=4,
)


def _inject(ex: Exchange, fault: str, path: str) -> None:
    if fault == "lost-reply":
        ex.faults.drop(path, after=True)
    elif fault == "lost-request":
        ex.faults.drop(path)
    elif fault == "out-of-window":
        ex.faults.status(path, 400, body=_rejection(OUT_OF_WINDOW))
    elif fault == "already-used":
        ex.faults.status(path, 400, body=_rejection(ALREADY_USED))
    elif fault == "slow":
        ex.faults.delay(path, 0.05)


async def _run(client: O2Client, recording: Recording, lock: Any, ex: Exchange,
               rounds: Rounds) -> None:
    owner = client.generate_wallet()
    await client.setup_account(owner)
    session = await client.create_session(owner=owner, markets=[PAIR],
                                          nonce_strategy="parallel", nonce_session_id=3)
    outcomes: list[object] = []

    async def submit(kind: str, i: int) -> None:
        try:
            if kind == "order":
                price = f"0.0{1 + i % 9}"
                outcomes.append(await client.create_order(PAIR, OrderSide.BUY, price, 100))
            else:
                outcomes.append(await client.withdraw(owner, "fUSDC", "0.1"))
        except O2Error as err:
            outcomes.append(err)

    for kinds, faults in rounds:
        with lock():
            for fault, path in faults:
                _inject(ex, fault, path)
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                for i, kind in enumerate(kinds):
                    tg.start_soon(submit, kind, i)
        with lock():
            ex.faults.clear()  # a fault no request reached must not leak into the next round

    assert len(outcomes) == sum(len(k) for k, _ in rounds)
    repeated = [n for n, times in Counter(recording.sent).items() if times > 1]
    assert not repeated, f"slots signed or sent twice: {repeated}"
    with lock():
        ex.check_invariants()
    # the lane is healthy: a fresh order goes through
    assert (await client.create_order(PAIR, OrderSide.BUY, "0.01", 100, session=session)).success


@settings(max_examples=40, deadline=None)
@given(rounds=ROUNDS)
def test_no_slot_is_used_twice_in_memory(rounds: Rounds) -> None:
    exchange = Exchange(default_config(seed=9), clock=time.time)
    recording = Recording(MemoryTransport(exchange))
    config = NetworkConfig("http://o2.local", "ws://o2.local/v1/ws",
                           faucet_url="http://o2.local/faucet")

    async def main() -> None:
        async with O2Client(custom_config=config, transport=recording,
                            action_timeout_seconds=1.0, backoff_base=0.01) as client:
            await _run(client, recording, contextlib.nullcontext, exchange, rounds)

    anyio.run(main)


@pytest.fixture(scope="module")
def server() -> Any:
    with SimServer(port=0, seed=13) as running:
        yield running


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rounds=ROUNDS)
def test_no_slot_is_used_twice_over_loopback(
    server: SimServer, rounds: Rounds
) -> None:
    recording = Recording(HttpxTransport())
    config = NetworkConfig(server.api_base, server.ws_url,
                           faucet_url=server.api_base + "/faucet")

    async def main() -> None:
        async with O2Client(custom_config=config, transport=recording,
                            action_timeout_seconds=1.0, backoff_base=0.01) as client:
            await _run(client, recording, server.locked, server.exchange, rounds)

    anyio.run(main)
