"""The local bridge as a pure state machine: Request values in, Response values out."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2_core import crypto
from o2_core.bridge import encoding as enc
from o2_core.bridge import models as m
from o2_core.bridge import protocol as p
from o2_core.bridge.inspection import parse_evm_unsigned_transaction, parse_preparation_proof
from o2_core.http import Request, Response
from o2_core.sim import ManualClock
from o2_core.sim.bridge import SEPOLIA, BridgeSim, iso8601

from .conftest import T0

BASE = "http://b.test/bridge"
EVM = crypto.EvmWallet(b"\x07" * 32)
TO = "0x" + "ab" * 32


def error_code(reply: Response) -> tuple[int, str]:
    return reply.status, json.loads(reply.body)["error"]["code"]


@given(st.floats(0, 4e9, allow_nan=False))
def test_iso8601_matches_datetime(seconds: float) -> None:
    millis = int(seconds * 1000)
    expected = datetime.datetime.fromtimestamp(millis // 1000, datetime.timezone.utc)
    assert iso8601(seconds) == expected.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"


def test_routing() -> None:
    sim = BridgeSim(ManualClock(T0), base_path="")
    assert sim.handles("http://x/v1/info")
    assert sim.process(Request("GET", "http://x/v1/info")).status == 200
    nested = BridgeSim(ManualClock(T0), base_path="/api/bridge/")
    assert not nested.handles("http://x/api/bridgeX/v1/info")
    assert error_code(nested.process(Request("GET", "http://x/v1/info"))) == (404, "NOT_FOUND")
    assert nested.process(Request("GET", "http://x/api/bridge/v1/info")).status == 200
    assert error_code(nested.process(Request("POST", "http://x/api/bridge/v1/info"))) == (
        405,
        "METHOD_NOT_ALLOWED",
    )
    assert "2 deposits" not in repr(nested)


@pytest.mark.parametrize(
    "url, field",
    [
        ("/v1/deposit/info", "sourceChainId"),
        ("/v1/deposit/info?sourceChainId=abc", "sourceChainId"),
        ("/v1/deposit/info?sourceChainId=1&sourceChainId=1", "sourceChainId"),
        ("/v1/withdraw/fee?destinationChainId=11155111", "assetId"),
        ("/v1/withdraw/fee?destinationChainId=11155111&assetId=0x12", "assetId"),
        ("/v1/withdraw/info?destinationChainId=11155111&amount=-5", "amount"),
        ("/v1/withdraw/status?fuelTxId=", "fuelTxId"),
    ],
)
def test_bad_queries(url: str, field: str) -> None:
    reply = BridgeSim(ManualClock(T0)).process(Request("GET", BASE + url))
    assert error_code(reply) == (400, "INVALID_REQUEST")
    assert json.loads(reply.body)["error"]["details"] == {"field": field}


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"nope",
        b"[]",
        b'{"sourceChainId": 1}',
        b"\xff",
        b"[" * 10_000,
        b'{"sourceChainId":11155111,"from":"0x01","to":"0x02","toType":"address",'
        b'"assetId":"0x03","amount":"1"}',
    ],
)
def test_bad_bodies(body: bytes) -> None:
    reply = BridgeSim(ManualClock(T0)).process(
        Request("POST", BASE + "/v1/deposit/prepare", body=body)
    )
    assert error_code(reply) == (400, "INVALID_REQUEST")


def prepare(sim: BridgeSim, amount: int = 1_000_000) -> m.DepositPrepareResponse:
    usdc = "0x" + sim.asset("USDC").asset_id.hex()
    request = m.DepositPrepareRequest(SEPOLIA, EVM.evm_address, TO, "address", usdc, amount)
    return p.parse_reply(sim.process(p.prepare_deposit(BASE, request)), m.DepositPrepareResponse)


def sign(prepared: m.DepositPrepareResponse, s_high: bool = False, v_base: int = 27) -> str:
    tx = parse_evm_unsigned_transaction(prepared.unsigned_transaction)
    compact = bytearray(EVM.sign_digest(bytes.fromhex(tx.signing_digest[2:])))
    parity = compact[32] >> 7
    compact[32] &= 0x7F
    r, s = bytes(compact[:32]), int.from_bytes(compact[32:], "big")
    if s_high:
        s, parity = crypto.SECP256K1_N - s, parity ^ 1
    return "0x" + (r + s.to_bytes(32, "big") + bytes([v_base + parity])).hex()


def submit(
    sim: BridgeSim, prepared: m.DepositPrepareResponse, signature: str, proof: str | None = None
) -> Response:
    request = m.SubmitRequest(
        proof or prepared.preparation_proof, prepared.unsigned_transaction, signature
    )
    return sim.process(p.submit_deposit(BASE, request))


def test_nonces_and_signatures() -> None:
    sim = BridgeSim(ManualClock(T0))
    first, second = prepare(sim), prepare(sim, 2_000_000)
    assert parse_evm_unsigned_transaction(first.unsigned_transaction).nonce == 0
    assert parse_evm_unsigned_transaction(second.unsigned_transaction).nonce == 0
    assert error_code(submit(sim, first, sign(first, s_high=True))) == (400, "INVALID_SIGNATURE")
    assert submit(sim, first, sign(first, v_base=0)).status == 202  # v may be 0/1
    reply = submit(sim, second, sign(second))
    assert error_code(reply) == (409, "NONCE_MISMATCH")
    assert json.loads(reply.body)["error"]["details"] == {"expected": "1", "got": "0"}
    third = prepare(sim)
    assert parse_evm_unsigned_transaction(third.unsigned_transaction).nonce == 1
    submitted = p.parse_reply(submit(sim, third, sign(third)), m.DepositSubmitResponse)
    # the hash is the signed transaction's: keccak256(0x02 || rlp(fields + [y, r, s]))
    tx = parse_evm_unsigned_transaction(third.unsigned_transaction)
    sig = bytes.fromhex(sign(third)[2:])
    fields = enc.eip1559_fields(
        tx.chain_id,
        tx.nonce,
        tx.max_priority_fee_per_gas,
        tx.max_fee_per_gas,
        tx.gas_limit,
        bytes.fromhex(tx.messenger_address[2:]),
        tx.value,
        bytes.fromhex(tx.data[2:]),
    )
    expected = enc.evm_signed_hash(
        fields, sig[64] - 27, int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big")
    )
    assert submitted.evm_tx_hash == "0x" + expected.hex()


def test_forged_claims_are_refused() -> None:
    sim = BridgeSim(ManualClock(T0))
    prepared = prepare(sim)
    claims = parse_preparation_proof(prepared.preparation_proof)
    mac = prepared.preparation_proof.split(".")[1]
    later = enc.proof_claims_part(1, claims.key_id, claims.expires_at + 10_000, claims.signer)
    forged = f"{later}.{mac}"
    assert error_code(submit(sim, prepared, sign(prepared), forged)) == (
        401,
        "INVALID_PREPARATION_PROOF",
    )
    other_sim = BridgeSim(ManualClock(T0), seed=99)  # another key
    assert error_code(submit(other_sim, prepared, sign(prepared))) == (
        401,
        "INVALID_PREPARATION_PROOF",
    )


def test_deposit_capacity_is_accounted() -> None:
    sim = BridgeSim(ManualClock(T0))
    eth = sim.asset("ETH")
    eth.deposit_cap = 1_500_000
    request = m.DepositPrepareRequest(
        SEPOLIA, EVM.evm_address, TO, "address", "0x" + eth.asset_id.hex(), 1_000_000
    )
    prepared = p.parse_reply(
        sim.process(p.prepare_deposit(BASE, request)), m.DepositPrepareResponse
    )
    assert submit(sim, prepared, sign(prepared)).status == 202
    reply = sim.process(p.prepare_deposit(BASE, request))
    assert error_code(reply) == (422, "DEPOSIT_CAP_EXCEEDED")
    assert json.loads(reply.body)["error"]["details"] == {"remainingCapacity": "500000"}


def test_internal_errors_answer_in_the_bridge_format(monkeypatch: Any) -> None:
    sim = BridgeSim(ManualClock(T0))
    monkeypatch.setattr(sim, "info", lambda: 1 / 0)
    reply = sim.process(p.get_info(BASE))
    assert error_code(reply) == (500, "INTERNAL_ERROR")
