"""FastBridgeClient end to end against the local bridge: in memory (asyncio and trio),
httpx over loopback (asyncio and trio) and aiohttp over loopback (asyncio)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from o2_core import crypto
from o2_core.bridge import (
    FAST_BRIDGE_MAINNET_URL,
    FAST_BRIDGE_TESTNET_URL,
    BridgeApiError,
    BridgeInvalidResponse,
    BridgeTimeout,
    BridgeTransportError,
    FastBridgeClient,
    parse_evm_unsigned_transaction,
    parse_fuel_unsigned_transaction,
    parse_preparation_proof,
)
from o2_core.bridge import models as m
from o2_core.errors import (
    ApiError,
    InvalidInput,
    O2Error,
    ProtocolError,
    RequestTimeout,
    TransportError,
    UsageError,
)
from o2_core.http import Response
from o2_core.sim import ManualClock
from o2_core.sim.bridge import BASE_SEPOLIA, SEPOLIA, BridgeSim, iso8601
from o2_transport_httpx import HttpxTransport

from .conftest import MEMORY_BASE, T0, BridgeServer, SimBridgeTransport

pytestmark = pytest.mark.anyio

EVM_KEY = crypto.EvmWallet(b"\x21" * 32)
FUEL_KEY = crypto.Wallet(b"\x22" * 32)
FUEL_RECIPIENT = "0x" + "ab" * 32


def evm_signature(digest_hex: str, wallet: crypto.Wallet = EVM_KEY) -> str:
    """``r || s || v`` over a raw digest (no personal-sign framing)."""
    compact = bytearray(wallet.sign_digest(bytes.fromhex(digest_hex[2:])))
    v = 27 + (compact[32] >> 7)
    compact[32] &= 0x7F
    return "0x" + bytes(compact).hex() + bytes([v]).hex()


def fuel_signature(tx_id_hex: str, wallet: crypto.Wallet = FUEL_KEY) -> str:
    return "0x" + wallet.sign_digest(bytes.fromhex(tx_id_hex[2:])).hex()


CASES = [
    ("memory", "asyncio"),
    ("memory", "trio"),
    ("httpx", "asyncio"),
    ("httpx", "trio"),
    ("aiohttp", "asyncio"),
]


@pytest.fixture(params=CASES, ids=[f"{t}-{b}" for t, b in CASES])
def case(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def anyio_backend(case: tuple[str, str]) -> str:
    return case[1]


@pytest.fixture
async def client(
    case: tuple[str, str],
    sim: BridgeSim,
    memory: SimBridgeTransport,
    request: pytest.FixtureRequest,
) -> AsyncIterator[FastBridgeClient]:
    kind = case[0]
    if kind == "memory":
        async with FastBridgeClient(MEMORY_BASE, transport=memory) as bridge:
            yield bridge
        return
    server: BridgeServer = request.getfixturevalue("server")
    if kind == "httpx":
        async with FastBridgeClient(server.base + "/", transport=HttpxTransport()) as bridge:
            yield bridge
        return
    async with aiohttp.ClientSession() as session:
        async with FastBridgeClient(server.base, session=session) as bridge:
            yield bridge
        assert not session.closed  # borrowed: left open


def asset_id(sim: BridgeSim, symbol: str) -> str:
    return "0x" + sim.asset(symbol).asset_id.hex()


async def test_reads(client: FastBridgeClient, sim: BridgeSim) -> None:
    info = await client.get_info()
    assert info.environment == "local" and info.api_version.startswith("1.")
    assert info.fuel.chain_id == 0 and isinstance(info.fuel.chain_id, int)
    assert info.fuel.contracts.asset_registry == "0x" + sim.contracts["assetRegistry"].hex()
    assert [c.chain_id for c in info.chains] == [SEPOLIA, BASE_SEPOLIA]
    assert info.preparation_proof_ttl_seconds == 300

    every = await client.get_assets()
    assert {a.symbol for a in every.assets} == {"ETH", "USDC"}
    base = await client.get_assets(BASE_SEPOLIA)
    assert [a.symbol for a in base.assets] == ["ETH"]
    assert [r.chain_id for r in base.assets[0].routes] == [BASE_SEPOLIA]

    usdc = asset_id(sim, "USDC")
    deposit = await client.get_deposit_info(SEPOLIA, usdc, "1000000")
    assert deposit.messenger_address == info.chains[0].messenger_address
    (only,) = deposit.assets
    assert (only.asset_id, only.requires_allowance, only.permit_supported) == (usdc, True, True)
    assert only.allowance_spender == deposit.messenger_address
    assert only.deposit_cap is None and only.amount_eligible is True
    eth = await client.get_deposit_info(SEPOLIA, asset_id(sim, "ETH"), 10**13)
    assert eth.assets[0].amount_eligible is False
    assert eth.assets[0].ineligibility_reason == "DEPOSIT_CAP_EXCEEDED"
    assert eth.assets[0].remaining_capacity == 10**12

    withdraw = await client.get_withdraw_info(SEPOLIA, usdc, 100)
    assert withdraw.recipient_format == "evm-address"
    assert withdraw.outpost_address == info.chains[0].outpost_address
    assert withdraw.assets[0].fee == 250_000 and withdraw.assets[0].amount_eligible is False
    assert withdraw.assets[0].ineligibility_reason == "AMOUNT_BELOW_FEE"
    assert withdraw.assets[0].rate_limit.resets_at == "2030-03-18T00:00:00.000Z"
    fee = await client.get_withdraw_fee(SEPOLIA, usdc)
    assert (fee.fee, fee.fuel_block_height, fee.observed_at) == (
        250_000,
        int(T0),
        "2030-03-17T17:46:40.000Z",
    )


async def deposit_flow(
    client: FastBridgeClient,
    sim: BridgeSim,
    clock: ManualClock,
    symbol: str,
    permit: m.DepositPermit | None = None,
) -> m.DepositSubmitResponse:
    request = m.DepositPrepareRequest(
        SEPOLIA,
        EVM_KEY.evm_address,
        FUEL_RECIPIENT,
        "contract",
        asset_id(sim, symbol),
        "2500000",
        permit,
    )
    prepared = await client.prepare_deposit(request)
    claims = parse_preparation_proof(prepared.preparation_proof)
    assert claims.signer == EVM_KEY.evm_address and claims.expires_at == int(clock()) + 300
    tx = parse_evm_unsigned_transaction(prepared.unsigned_transaction)
    chain = sim.chains[SEPOLIA]
    assert tx.chain_id == SEPOLIA and tx.messenger_address == "0x" + chain.messenger.hex()
    assert tx.recipient == FUEL_RECIPIENT and tx.recipient_is_contract
    if symbol == "ETH":  # 9 Fuel decimals -> 18 EVM decimals
        assert (tx.method, tx.token_address, tx.amount, tx.value) == (
            "depositETH",
            None,
            2_500_000 * 10**9,
            2_500_000 * 10**9,
        )
    else:
        route = sim.asset("USDC").routes[SEPOLIA]
        assert tx.token_address == "0x" + (route.token or b"").hex()
        assert tx.amount == 2_500_000 and tx.value == 0
        assert tx.method == ("deposit" if permit is None else "depositWithPermit")
    submitted = await client.submit_deposit(
        m.SubmitRequest(
            prepared.preparation_proof,
            prepared.unsigned_transaction,
            evm_signature(tx.signing_digest),
        )
    )
    assert (submitted.source_chain_id, submitted.status) == (SEPOLIA, "submitted")
    assert submitted.submitted_at == iso8601(clock())
    return submitted


async def test_deposit_end_to_end(
    client: FastBridgeClient, sim: BridgeSim, clock: ManualClock
) -> None:
    submitted = await deposit_flow(client, sim, clock, "ETH")
    status = await client.get_deposit_status(SEPOLIA, submitted.evm_tx_hash)
    assert (status.source.status, status.source.block_number, status.fuel.status) == (
        "pending",
        None,
        "unavailable",
    )
    clock.advance(5)
    status = await client.get_deposit_status(SEPOLIA, submitted.evm_tx_hash)
    assert (status.source.status, status.source.confirmations) == ("pending", 5)
    clock.advance(10)
    status = await client.get_deposit_status(SEPOLIA, submitted.evm_tx_hash)
    assert status.source.status == "confirmed" and status.source.confirmations == 15
    assert status.source.block_number == int(T0) + 1 and status.request_hash is not None
    info = await client.get_deposit_info(SEPOLIA, asset_id(sim, "ETH"))
    assert info.assets[0].deposited_amount == 2_500_000

    # a second deposit needs the next nonce; the permit path works for USDC
    permit = m.DepositPermit(str(2**40), 28, "0x" + "01" * 32, "0x" + "02" * 32)
    second = await deposit_flow(client, sim, clock, "USDC", permit)
    sim.revert_deposit(second.evm_tx_hash)
    status = await client.get_deposit_status(SEPOLIA, second.evm_tx_hash)
    assert status.source.status == "reverted"


async def test_withdraw_end_to_end(
    client: FastBridgeClient, sim: BridgeSim, clock: ManualClock
) -> None:
    usdc = asset_id(sim, "USDC")
    recipient = EVM_KEY.evm_address
    prepared = await client.prepare_withdraw(
        m.WithdrawPrepareRequest(SEPOLIA, FUEL_KEY.b256_address, recipient, usdc, 10_000_000)
    )
    assert prepared.fuel_chain_id == 0
    claims = parse_preparation_proof(prepared.preparation_proof)
    assert claims.signer == FUEL_KEY.b256_address
    tx = parse_fuel_unsigned_transaction(prepared.unsigned_transaction, 0, 255)
    assert (tx.asset_id, tx.destination_chain_id, tx.recipient) == (usdc, SEPOLIA, recipient)
    assert (tx.gross_amount, tx.bridge_fee, tx.net_amount) == (10_000_000, 250_000, 9_750_000)
    assert tx.asset_sub_id == "0x" + sim.asset("USDC").sub_id.hex()
    assert tx.asset_registry_contract_id == "0x" + sim.contracts["assetRegistry"].hex()
    assert tx.expiration_block_height == int(T0) + 600 and tx.network_fee.max_fee == 1_000_000
    assert [i.type for i in tx.inputs] == ["coin", "coin"] + ["contract"] * 5
    assert {i.owner for i in tx.inputs if i.type == "coin"} == {FUEL_KEY.b256_address}
    assert [o.type for o in tx.outputs] == ["contract"] * 5 + ["change", "change", "variable"]

    submitted = await client.submit_withdraw(
        m.SubmitRequest(
            prepared.preparation_proof,
            prepared.unsigned_transaction,
            fuel_signature(tx.transaction_id),
        )
    )
    assert (submitted.fuel_tx_id, submitted.status) == (tx.transaction_id, "submitted")
    status = await client.get_withdraw_status(tx.transaction_id)
    assert status.fuel.status == "pending" and status.destination is None
    clock.advance(12)
    status = await client.get_withdraw_status(tx.transaction_id)
    assert (status.fuel.status, status.fuel.block_height) == ("success", int(T0) + 1)
    assert status.destination_chain_id == SEPOLIA and status.destination is not None
    assert status.destination.status == "unavailable"
    limits = await client.get_withdraw_info(SEPOLIA, usdc)
    assert limits.assets[0].rate_limit.withdrawn_today == 10_000_000

    sim.revert_withdrawal(tx.transaction_id, "Revert(7)")
    status = await client.get_withdraw_status(tx.transaction_id)
    assert (status.fuel.status, status.fuel.failure_reason) == ("reverted", "Revert(7)")


async def expect_error(awaitable: Any, status: int, code: str) -> BridgeApiError:
    with pytest.raises(BridgeApiError) as caught:
        await awaitable
    assert (caught.value.status, caught.value.bridge_code) == (status, code), caught.value
    return caught.value


async def test_error_replies(client: FastBridgeClient, sim: BridgeSim, clock: ManualClock) -> None:
    eth, usdc = asset_id(sim, "ETH"), asset_id(sim, "USDC")
    unknown = "0x" + "00" * 32
    error = await expect_error(
        client.get_deposit_status(SEPOLIA, unknown), 404, "TRANSACTION_NOT_FOUND"
    )
    assert error.details == {"sourceChainId": SEPOLIA, "evmTxHash": unknown}
    assert isinstance(error, ApiError) and not isinstance(error, ProtocolError)
    await expect_error(client.get_withdraw_status(unknown), 404, "TRANSACTION_NOT_FOUND")
    await expect_error(client.get_deposit_info(1), 404, "CHAIN_NOT_SUPPORTED")
    await expect_error(client.get_withdraw_fee(SEPOLIA, unknown), 404, "ASSET_NOT_SUPPORTED")

    deposit = m.DepositPrepareRequest(
        SEPOLIA, EVM_KEY.evm_address, FUEL_RECIPIENT, "address", eth, 10**13
    )
    error = await expect_error(client.prepare_deposit(deposit), 422, "DEPOSIT_CAP_EXCEEDED")
    assert error.details == {"remainingCapacity": str(10**12)}
    permit = m.DepositPermit(1, 27, "0x" + "01" * 32, "0x" + "02" * 32)
    with_permit = m.DepositPrepareRequest(
        SEPOLIA, EVM_KEY.evm_address, FUEL_RECIPIENT, "address", eth, 5, permit
    )
    await expect_error(client.prepare_deposit(with_permit), 400, "PERMIT_NOT_SUPPORTED")
    sim.pause(SEPOLIA)
    deposit.amount = 5
    error = await expect_error(client.prepare_deposit(deposit), 503, "ROUTE_PAUSED")
    assert error.details == {"chainId": SEPOLIA, "retry": True}
    assert (await client.get_deposit_info(SEPOLIA)).paused is True
    sim.pause(SEPOLIA, False)

    prepared = await client.prepare_deposit(deposit)
    tx = parse_evm_unsigned_transaction(prepared.unsigned_transaction)
    good = evm_signature(tx.signing_digest)
    submit = m.SubmitRequest(prepared.preparation_proof, prepared.unsigned_transaction, good)
    other_key = evm_signature(tx.signing_digest, crypto.EvmWallet(b"\x33" * 32))
    await expect_error(
        client.submit_deposit(
            m.SubmitRequest(submit.preparation_proof, submit.unsigned_transaction, other_key)
        ),
        400,
        "INVALID_SIGNATURE",
    )
    tampered = bytearray.fromhex(prepared.unsigned_transaction[2:])
    tampered[-40] ^= 1
    await expect_error(
        client.submit_deposit(
            m.SubmitRequest(submit.preparation_proof, "0x" + tampered.hex(), good)
        ),
        401,
        "INVALID_PREPARATION_PROOF",
    )
    await expect_error(
        client.submit_deposit(m.SubmitRequest("not-a-proof", submit.unsigned_transaction, good)),
        401,
        "INVALID_PREPARATION_PROOF",
    )
    await client.submit_deposit(submit)
    await expect_error(client.submit_deposit(submit), 409, "ALREADY_SUBMITTED")

    withdraw = m.WithdrawPrepareRequest(
        SEPOLIA, FUEL_KEY.b256_address, EVM_KEY.evm_address, usdc, 10**12 + 1
    )
    await expect_error(client.prepare_withdraw(withdraw), 422, "DAILY_LIMIT_EXCEEDED")
    withdraw.amount = 300_000
    prepared_w = await client.prepare_withdraw(withdraw)
    clock.advance(301)
    w_tx = parse_fuel_unsigned_transaction(prepared_w.unsigned_transaction, 0, 255)
    error = await expect_error(
        client.submit_withdraw(
            m.SubmitRequest(
                prepared_w.preparation_proof,
                prepared_w.unsigned_transaction,
                fuel_signature(w_tx.transaction_id),
            )
        ),
        410,
        "PREPARATION_PROOF_EXPIRED",
    )
    assert str(error) == "prepare again: the proof expired"
    # a deposit proof is not a withdrawal proof
    await expect_error(
        client.submit_withdraw(
            m.SubmitRequest(
                prepared.preparation_proof,
                prepared_w.unsigned_transaction,
                fuel_signature(w_tx.transaction_id),
            )
        ),
        401,
        "INVALID_PREPARATION_PROOF",
    )


@pytest.mark.parametrize(
    "status, body, code, invalid",
    [
        (200, b"<html>oops</html>", "INVALID_RESPONSE", True),
        (502, b"Bad Gateway", "INVALID_RESPONSE", True),
        (200, b"[]", "INVALID_RESPONSE", True),
        (200, b'{"environment": "x"}', "INVALID_RESPONSE", True),
        (502, b'{"error": "gateway"}', "HTTP_ERROR", False),
        (
            429,
            b'{"error": {"code": "RATE_LIMITED", "message": "slow", "details": [1]}}',
            "RATE_LIMITED",
            False,
        ),
    ],
)
async def test_scripted_replies(
    client: FastBridgeClient, sim: BridgeSim, status: int, body: bytes, code: str, invalid: bool
) -> None:
    sim.script(
        "/v1/info",
        Response(
            status,
            body,
            {"content-type": "application/json", "location": "http://127.0.0.1:1/elsewhere"},
        ),
    )
    before = sim.requests_seen
    error = await expect_error(client.get_info(), status, code)
    assert isinstance(error, BridgeInvalidResponse) is invalid
    assert isinstance(error, ProtocolError) is invalid
    assert sim.requests_seen == before + 1  # one attempt, no retry, no redirect followed
    assert (await client.get_info()).environment == "local"


async def test_unknown_route_and_method(
    client: FastBridgeClient, memory: SimBridgeTransport
) -> None:
    from o2_core.bridge import protocol as p

    bad = p.get_info(client.base_url)
    wrong = type(bad)("DELETE", bad.url)
    transport = client._get_transport()
    reply = await transport.request(wrong, 5)
    assert reply.status == 405
    with pytest.raises(BridgeApiError) as caught:
        p.parse_reply(reply, m.InfoResponse)
    assert caught.value.bridge_code == "METHOD_NOT_ALLOWED"
    missing = type(bad)("GET", bad.url.replace("/v1/info", "/v1/nope"))
    reply = await transport.request(missing, 5)
    assert reply.status == 404


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_redirects_are_not_followed(anyio_backend: str, server: BridgeServer) -> None:
    elsewhere = server.base + "/v1/assets"
    server.sim.script("/v1/info", Response(302, b"{}", {"location": elsewhere}))
    async with FastBridgeClient(server.base, transport=HttpxTransport()) as bridge:
        await expect_error(bridge.get_info(), 302, "HTTP_ERROR")
    assert server.requests == 1


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_aiohttp_transport_still_follows_redirects(
    anyio_backend: str, server: BridgeServer
) -> None:
    """KNOWN ISSUE, reported: o2_transport_aiohttp follows redirects (aiohttp's default),
    which the bridge client must not do. This pins today's behaviour until it is fixed."""
    elsewhere = server.base + "/v1/info"
    server.sim.script("/v1/info", Response(302, b"{}", {"location": elsewhere}))
    async with (
        aiohttp.ClientSession() as session,
        FastBridgeClient(server.base, session=session) as bridge,
    ):
        assert (await bridge.get_info()).environment == "local"
    assert server.requests == 2


# --- transport failures, timeouts, lifecycle (memory transport) -----------------------


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_transport_failures_are_typed(memory: SimBridgeTransport, anyio_backend: str) -> None:
    async with FastBridgeClient(MEMORY_BASE, transport=memory, timeout_seconds=0.05) as bridge:
        memory.fail = TransportError("connection reset")
        with pytest.raises(BridgeTransportError) as caught:
            await bridge.get_info()
        assert isinstance(caught.value, TransportError) and isinstance(caught.value, OSError)
        assert not isinstance(caught.value, TimeoutError)
        assert "connection reset" in str(caught.value)
        memory.fail = RequestTimeout("slow")
        with pytest.raises(BridgeTimeout) as timed_out:
            await bridge.get_info()
        assert isinstance(timed_out.value, asyncio.TimeoutError)
        assert isinstance(timed_out.value, RequestTimeout)
        memory.fail = None
        memory.delay = 1.0  # longer than the timeout: the client's own limit applies too
        with pytest.raises(BridgeTimeout):
            await bridge.get_info()
        memory.delay = 0.0
        assert (await bridge.get_info()).environment == "local"
    assert memory.closed == 0  # a given transport stays the caller's


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_client_timeout_bounds_a_hung_transport(anyio_backend: str) -> None:
    class Hung(SimBridgeTransport):
        async def request(self, request: Any, timeout: float) -> Response:
            import anyio

            await anyio.sleep(3600)
            raise AssertionError

    async with FastBridgeClient(
        MEMORY_BASE, transport=Hung(BridgeSim(ManualClock(T0))), timeout_seconds=0.05
    ) as bridge:
        with pytest.raises(BridgeTimeout, match=r"no reply within 0\.05s"):
            await bridge.get_info()


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_loopback_connection_refused(anyio_backend: str, sim: BridgeSim) -> None:
    server = BridgeServer(sim)
    server.start()
    base = server.base
    server.stop()
    async with FastBridgeClient(base, transport=HttpxTransport()) as bridge:
        with pytest.raises(BridgeTransportError) as caught:
            await bridge.get_info()
    assert isinstance(caught.value, OSError) and isinstance(caught.value, O2Error)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_owned_transport_is_made_lazily_and_closed(
    anyio_backend: str, monkeypatch: pytest.MonkeyPatch, sim: BridgeSim
) -> None:
    made: list[SimBridgeTransport] = []

    def factory(url: str) -> SimBridgeTransport:
        made.append(SimBridgeTransport(sim))
        assert url == MEMORY_BASE
        return made[-1]

    monkeypatch.setattr("o2_core.bridge.client.default_transport", factory)
    bridge = FastBridgeClient(MEMORY_BASE + "/")
    assert made == [] and repr(bridge) == f"<FastBridgeClient {MEMORY_BASE} open>"
    async with bridge:
        await bridge.get_info()
        await bridge.get_info()
    assert len(made) == 1 and made[0].closed == 1
    await bridge.close()  # idempotent
    assert made[0].closed == 1
    with pytest.raises(UsageError):
        await bridge.get_info()


def test_constants() -> None:
    assert FAST_BRIDGE_MAINNET_URL == "https://bridge.o2.app"
    assert FAST_BRIDGE_TESTNET_URL == "https://bridge.testnet.o2.app"


@pytest.mark.parametrize(
    "url",
    [
        "file:///tmp",
        "https://bridge.example?query=yes",
        "https://bridge.example?",
        "https://bridge.example#x",
        "https://user:pass@bridge.example",
        "https://@bridge.example",
        "bridge.example",
        "https://",
        "https://bridge.example:99999",
        "https://bridge .example",
        "http://bridge.example/\n",
        "",
        5,
    ],
)
def test_invalid_base_urls(url: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        FastBridgeClient(url)
    assert isinstance(caught.value, ValueError)
    assert "pass" not in str(caught.value)  # no credential echoed


@pytest.mark.parametrize("timeout", [0, -1, float("inf"), float("nan"), True, "5"])
def test_invalid_timeouts(timeout: Any) -> None:
    with pytest.raises(InvalidInput):
        FastBridgeClient("https://bridge.example", timeout_seconds=timeout)


def test_session_and_transport_are_exclusive(memory: SimBridgeTransport) -> None:
    with pytest.raises(InvalidInput):
        FastBridgeClient("https://bridge.example", session=object(), transport=memory)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_bad_arguments_send_nothing(anyio_backend: str, memory: SimBridgeTransport) -> None:
    bridge = FastBridgeClient(MEMORY_BASE, transport=memory)
    good = m.SubmitRequest("a.b", "0x00", "0x" + "11" * 64)
    calls = [
        bridge.get_assets(0),
        bridge.get_deposit_info(True),
        bridge.get_deposit_info(1, "0x12"),
        bridge.get_deposit_info(1, None, "1.5"),
        bridge.get_deposit_info(1, None, 0),
        bridge.get_deposit_status(1, "0x" + "00" * 31),
        bridge.get_withdraw_info(2**64),
        bridge.get_withdraw_fee(1, "nothex"),
        bridge.get_withdraw_status("0x" + "zz" * 32),
        bridge.submit_withdraw(good),  # 64-byte signature is fine for Fuel ...
        bridge.submit_deposit(good),  # ... but a deposit needs 65 bytes
        bridge.submit_withdraw(m.SubmitRequest("", "0x00", "0x" + "11" * 64)),
        bridge.submit_withdraw(m.SubmitRequest("a.b", "0x0", "0x" + "11" * 64)),
        bridge.prepare_withdraw(
            m.WithdrawPrepareRequest(1, "0x" + "11" * 32, "0x" + "22" * 32, "0x" + "33" * 32, 5)
        ),
        bridge.prepare_deposit(
            m.DepositPrepareRequest(
                1,
                "0x" + "11" * 20,
                "0x" + "22" * 32,
                "wallet",
                "0x" + "33" * 32,
                5,  # type: ignore[arg-type]
            )
        ),
        bridge.prepare_deposit(
            m.DepositPrepareRequest(
                1,
                "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
                "0x" + "22" * 32,
                "address",
                "0x" + "33" * 32,
                5,
            )
        ),
        bridge.prepare_deposit(
            m.DepositPrepareRequest(
                1, "0x" + "11" * 20, "0x" + "22" * 32, "address", "0x" + "33" * 32, 2**64
            )
        ),
        bridge.prepare_deposit(
            m.DepositPrepareRequest(
                1,
                "0x" + "11" * 20,
                "0x" + "22" * 32,
                "address",
                "0x" + "33" * 32,
                5,
                m.DepositPermit(1, 256, "0x" + "01" * 32, "0x" + "02" * 32),
            )
        ),
        bridge.prepare_deposit("not a request"),  # type: ignore[arg-type]
    ]
    for index, call in enumerate(calls):
        if index == 9:
            await expect_error(call, 401, "INVALID_PREPARATION_PROOF")  # reaches the bridge
            continue
        with pytest.raises(InvalidInput):
            await call
    assert len(memory.seen) == 1
