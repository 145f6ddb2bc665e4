"""The local Fast Bridge served beside the exchange: in memory (``local_exchange()``, the
``o2.local`` embedded transport) and over loopback (``o2_sim_server.SimServer`` at
``<api_base>/bridge``, ``o2-sim``), driven end to end with ``FastBridgeClient``."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from o2_core import crypto, http
from o2_core.bridge import (
    BridgeApiError,
    FastBridgeClient,
    parse_evm_unsigned_transaction,
    parse_fuel_unsigned_transaction,
)
from o2_core.bridge import models as m
from o2_core.sim import ManualClock, default_config
from o2_core.sim.bridge import SEPOLIA, BridgeSim
from o2_sim_server import SimServer
from o2_transport_httpx import HttpxTransport
from o2_transport_memory import embedded_transport, local_exchange

from .conftest import T0

pytestmark = pytest.mark.anyio

EVM_KEY = crypto.EvmWallet(b"\x31" * 32)
FUEL_KEY = crypto.Wallet(b"\x32" * 32)
LOCAL_BRIDGE = "http://o2.local/bridge"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def evm_signature(digest_hex: str) -> str:
    compact = bytearray(EVM_KEY.sign_digest(bytes.fromhex(digest_hex[2:])))
    v = 27 + (compact[32] >> 7)
    compact[32] &= 0x7F
    return "0x" + bytes(compact).hex() + bytes([v]).hex()


async def round_trip(client: FastBridgeClient, bridge: BridgeSim, clock: ManualClock) -> None:
    """Reads, one deposit and one withdrawal through ``client``, checked on ``bridge``."""
    info = await client.get_info()
    assert info.config_version == bridge.config_version and info.environment == "local"
    usdc = "0x" + bridge.asset("USDC").asset_id.hex()
    eth = "0x" + bridge.asset("ETH").asset_id.hex()

    prepared = await client.prepare_deposit(
        m.DepositPrepareRequest(
            SEPOLIA, EVM_KEY.evm_address, FUEL_KEY.b256_address, "address", eth, "3000000"
        )
    )
    tx = parse_evm_unsigned_transaction(prepared.unsigned_transaction)
    assert (tx.method, tx.amount) == ("depositETH", 3_000_000 * 10**9)
    submitted = await client.submit_deposit(
        m.SubmitRequest(
            prepared.preparation_proof,
            prepared.unsigned_transaction,
            evm_signature(tx.signing_digest),
        )
    )
    assert [d.evm_tx_hash for d in bridge.deposits.values()] == [submitted.evm_tx_hash]
    clock.advance(bridge.confirm_seconds)
    status = await client.get_deposit_status(SEPOLIA, submitted.evm_tx_hash)
    assert status.source.status == "confirmed"

    withdrawal = await client.prepare_withdraw(
        m.WithdrawPrepareRequest(
            SEPOLIA, FUEL_KEY.b256_address, EVM_KEY.evm_address, usdc, 5_000_000
        )
    )
    fuel_tx = parse_fuel_unsigned_transaction(
        withdrawal.unsigned_transaction, bridge.fuel_chain_id, bridge.fuel_max_inputs
    )
    assert (fuel_tx.gross_amount, fuel_tx.net_amount) == (5_000_000, 4_750_000)
    signature = FUEL_KEY.sign_digest(bytes.fromhex(fuel_tx.transaction_id[2:]))
    done = await client.submit_withdraw(
        m.SubmitRequest(
            withdrawal.preparation_proof, withdrawal.unsigned_transaction, "0x" + signature.hex()
        )
    )
    assert list(bridge.withdrawals) == [done.fuel_tx_id]
    with pytest.raises(BridgeApiError) as error:
        await client.get_withdraw_status("0x" + "00" * 32)
    assert error.value.bridge_code == "TRANSACTION_NOT_FOUND"


async def test_in_memory_beside_the_exchange() -> None:
    clock = ManualClock(T0)
    exchange, transport = local_exchange(seed=4, clock=clock)
    bridge = transport.bridge
    assert bridge is not None
    # built from the exchange's clock and seed: the same ids as a bridge of seed 4
    assert bridge.clock is clock and bridge.contracts == BridgeSim(clock, seed=4).contracts
    assert bridge.fuel_chain_id == exchange.config.chain_id
    async with FastBridgeClient(LOCAL_BRIDGE, transport=transport) as client:
        await round_trip(client, bridge, clock)
    # the exchange answers beside it, through the same transport
    reply = await transport.request(http.get_markets("http://o2.local"), 5)
    assert reply.status == 200 and b"fFUEL" in reply.body
    assert bridge.requests_seen == 7 and not exchange.accounts


async def test_in_memory_without_a_bridge() -> None:
    _, transport = local_exchange(seed=4, clock=ManualClock(T0), bridge=False)
    assert transport.bridge is None
    reply = await transport.request(http.Request("GET", LOCAL_BRIDGE + "/v1/info"), 5)
    assert reply.status == 400 and b"not found" in reply.body  # the exchange's answer


async def test_the_embedded_transport_reaches_the_bridge() -> None:
    """``FastBridgeClient("http://o2.local/bridge")`` with no transport: the embedded one."""
    async with FastBridgeClient(LOCAL_BRIDGE) as client:
        info = await client.get_info()
        assert info.environment == "local" and info.chains[0].chain_id == SEPOLIA
    transport = embedded_transport()
    assert transport.bridge is not None and transport.bridge.base_path == "/bridge"


async def test_over_loopback_beside_the_exchange() -> None:
    clock = ManualClock(T0)
    with SimServer(port=0, config=default_config(6), clock=clock) as server:
        assert server.bridge is not None
        assert server.bridge_url == server.api_base + "/bridge"
        assert server.bridge.clock is clock and server.bridge.contracts == (
            BridgeSim(clock, seed=6).contracts
        )
        async with FastBridgeClient(server.bridge_url, transport=HttpxTransport()) as client:
            await round_trip(client, server.bridge, clock)
        assert httpx.get(server.api_base + "/v1/markets", timeout=5).status_code == 200


def test_over_loopback_without_a_bridge() -> None:
    with SimServer(port=0, bridge=False) as server:
        assert server.bridge is None and server.bridge_url is None
        reply = httpx.get(server.api_base + "/bridge/v1/info", timeout=5)
        assert reply.status_code == 400 and reply.json()["code"] == 1001  # the exchange's


def test_a_given_bridge_is_served_under_its_own_path() -> None:
    bridge = BridgeSim(ManualClock(T0), seed=2, base_path="/fast-bridge")
    with SimServer(port=0, bridge=bridge) as server:
        assert server.bridge_url == server.api_base + "/fast-bridge"
        info = httpx.get(server.bridge_url + "/v1/info", timeout=5).json()
        assert info["configVersion"] == bridge.config_version


def test_o2_sim_prints_the_bridge_url() -> None:
    for extra, expect_bridge in (([], True), (["--no-bridge"], False)):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"from o2_sim_server import main; main(['--port', '0', *{extra!r}])",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            lines = [proc.stdout.readline() for _ in range(5)]  # type: ignore[union-attr]
            rest = lines[1].split()[-1]
            assert lines[4].startswith("Bridge: ")
            url = lines[4].split()[-1]
            if expect_bridge:
                assert url == rest + "/bridge"
                reply = httpx.get(url + "/v1/info", timeout=5)
                assert reply.status_code == 200 and reply.json()["environment"] == "local"
            else:
                assert url == "off"
        finally:
            proc.terminate()
            proc.wait(10)
