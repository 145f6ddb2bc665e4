"""Offline inspection: round trips of random valid transactions and proofs, differential
checks against the official o2-sdk 0.5.0 parsers, and hostile inputs."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from dataclasses import asdict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from o2_sdk.bridge import inspection as official

from o2_core import crypto
from o2_core.bridge import (
    BridgeInspectionError,
    parse_evm_unsigned_transaction,
    parse_fuel_unsigned_transaction,
    parse_preparation_proof,
)
from o2_core.bridge import encoding as enc
from o2_core.bridge import inspection as ins
from o2_core.errors import InvalidInput, O2Error

from .strategies import EvmCase, FuelCase, ProofCase, evm_cases, fuel_cases, proof_cases


def _hex(raw: bytes) -> str:
    return "0x" + raw.hex()


def official_or_none(fn: Any, *args: Any) -> Any:
    """The official parser's result as a dict, or None when it rejects (any exception)."""
    try:
        return asdict(fn(*args))
    except Exception:
        return None


def ours_or_none(fn: Any, *args: Any) -> Any:
    """Our parser's result as a dict, or None when it rejects: only with our error."""
    try:
        return asdict(fn(*args))
    except BridgeInspectionError:
        return None


# --- EVM -----------------------------------------------------------------------------


@given(evm_cases())
def test_evm_round_trip(case: EvmCase) -> None:
    got = parse_evm_unsigned_transaction(case.hex)
    assert (got.type, got.chain_id, got.nonce) == (2, case.chain_id, case.nonce)
    assert got.max_priority_fee_per_gas == case.priority_fee
    assert got.max_fee_per_gas == case.max_fee
    assert got.gas_limit == case.gas_limit
    assert got.estimated_network_fee == case.gas_limit * case.max_fee
    assert got.messenger_address == _hex(case.messenger)
    assert got.value == case.value
    assert got.method == case.method
    assert got.recipient == _hex(case.recipient)
    assert got.recipient_is_contract is case.is_contract
    assert got.token_address == (None if case.token is None else _hex(case.token))
    assert got.amount == case.amount
    if case.permit is None:
        assert got.permit is None
    else:
        assert got.permit == ins.EvmPermitInspection(
            case.permit.deadline, case.permit.v, _hex(case.permit.r), _hex(case.permit.s)
        )
    assert got.signing_digest == _hex(crypto.keccak256(case.raw))
    assert got.data == _hex(
        enc.messenger_calldata(
            case.recipient, case.is_contract, case.amount, case.token, case.permit
        )
    )
    assert asdict(got) == asdict(official.parse_evm_unsigned_transaction(case.hex))


@given(evm_cases(), st.data())
def test_evm_mutations_agree_with_the_official_parser(case: EvmCase, data: st.DataObject) -> None:
    raw = bytearray(case.raw)
    for _ in range(data.draw(st.integers(1, 3))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = data.draw(st.integers(0, len(raw) - 1)) if raw else 0
        if op == "flip" and raw:
            raw[at] ^= data.draw(st.integers(1, 255))
        elif op == "insert":
            raw.insert(at, data.draw(st.integers(0, 255)))
        elif op == "delete" and len(raw) > 1:
            del raw[at]
        elif op == "truncate" and at > 0:
            del raw[at:]
    value = _hex(bytes(raw))
    mine = ours_or_none(parse_evm_unsigned_transaction, value)
    assert mine == official_or_none(official.parse_evm_unsigned_transaction, value)


def _deposit(method: str = "deposit", **over: Any) -> list[Any]:
    token = None if method == "depositETH" else b"\x22" * 20
    permit = (
        enc.EvmPermit(9, 27, b"\x03" * 32, b"\x04" * 32) if method == "depositWithPermit" else None
    )
    data = enc.messenger_calldata(b"\x01" * 32, False, 5, token, permit)
    fields = enc.eip1559_fields(1, 0, 1, 2, 21000, b"\x11" * 20, 0, data)
    for index, value in over.items():
        fields[int(index[1:])] = value
    return fields


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"\x01" + enc.rlp_encode(_deposit()), "EIP-1559"),
        (enc.encode_eip1559(_deposit()[:8]), "nine fields"),
        (enc.encode_eip1559(_deposit(f8=[[b"\x01" * 20, []]])), "access list"),
        (enc.encode_eip1559(_deposit(f0=b"")), "chainId"),
        (enc.encode_eip1559(_deposit(f0=b"\x00\x01")), "canonical"),
        (enc.encode_eip1559(_deposit(f2=b"\x05", f3=b"\x04")), "maxPriorityFeePerGas"),
        (enc.encode_eip1559(_deposit(f5=b"")), "20-byte"),
        (enc.encode_eip1559(_deposit(f6=b"\x01")), "ERC-20"),
        (enc.encode_eip1559(_deposit(f7=b"\xde\xad\xbe\xef")), "Messenger"),
        (enc.encode_eip1559(_deposit(f7=_deposit()[7] + b"\x00")), "calldata must be"),
        (enc.encode_eip1559(_deposit(f7=_deposit()[7][:-1] + b"\x02")), "bool"),
        (enc.encode_eip1559(_deposit("depositETH", f7=[])), "byte string"),
        (enc.encode_eip1559(_deposit()) + b"\x00", "trailing"),
        (b"\x02\x81\x05", "non-canonical"),
        (b"\x02\xb8\x01\x05", "non-canonical RLP length"),
        (b"\x02\xc5\xc4\xc3\xc2\xc1\x80", "too deep"),
    ],
)
def test_evm_rejections(raw: bytes, message: str) -> None:
    with pytest.raises(BridgeInspectionError, match=message):
        parse_evm_unsigned_transaction(_hex(raw))


def test_evm_permit_v_must_be_a_uint8() -> None:
    fields = _deposit("depositWithPermit")
    data = bytearray(fields[7])
    data[4 + 32 * 4 + 30] = 1  # v = 256 + 27
    fields[7] = bytes(data)
    with pytest.raises(BridgeInspectionError, match="uint8"):
        parse_evm_unsigned_transaction(_hex(enc.encode_eip1559(fields)))


@pytest.mark.parametrize("value", ["", "0x", "0x0", "02ab", "0xzz", "0x" + "00" * 16385, 5, None])
def test_evm_rejects_what_is_not_transaction_hex(value: Any) -> None:
    with pytest.raises(BridgeInspectionError):
        parse_evm_unsigned_transaction(value)


# --- Fuel ----------------------------------------------------------------------------


@given(fuel_cases())
@settings(max_examples=150)
def test_fuel_round_trip(case: FuelCase) -> None:
    got = parse_fuel_unsigned_transaction(case.hex, case.chain_id, case.max_inputs)
    assert got.asset_id == _hex(case.asset_id)
    assert got.asset_sub_id == _hex(case.sub_id)
    assert got.asset_registry_contract_id == _hex(case.registry)
    assert got.destination_chain_id == case.destination
    assert got.recipient == _hex(case.recipient)
    assert (got.gross_amount, got.bridge_fee) == (case.gross, case.fee)
    assert got.net_amount == case.gross - case.fee
    assert got.network_fee.max_fee == case.policies["maxFee"]
    assert got.expiration_block_height == case.policies["expiration"]
    assert got.script_gas_limit == case.gas
    assert got.policies == case.policies
    assert list(got.policies) == [n for n in ins.FUEL_POLICIES if n in case.policies]
    assert [i.type for i in got.inputs] == [i.kind for i in case.inputs]
    for seen, made in zip(got.inputs, case.inputs, strict=True):
        v = made.values
        if made.kind == "contract":
            assert seen.contract_id == _hex(v["contract"])
        else:
            assert (seen.owner, seen.amount, seen.witness_index) == (
                _hex(v["owner"]),
                v["amount"],
                0,
            )
            assert seen.asset_id == (_hex(v["asset"]) if made.kind == "coin" else None)
    assert [o.type for o in got.outputs] == [o.kind for o in case.outputs]
    for seen_out, made_out in zip(got.outputs, case.outputs, strict=True):
        v = made_out.values
        if made_out.kind == "contract":
            assert seen_out.input_index == v["input_index"]
        else:
            assert (seen_out.to, seen_out.amount, seen_out.asset_id) == (
                _hex(v["to"]),
                v["amount"],
                _hex(v["asset"]),
            )
    signed_form = case.build(signed_form=True)
    expected_id = hashlib.sha256(case.chain_id.to_bytes(8, "big") + signed_form).digest()
    assert got.transaction_id == _hex(expected_id)
    assert asdict(got) == asdict(
        official.parse_fuel_unsigned_transaction(case.hex, case.chain_id, case.max_inputs)
    )


@given(fuel_cases(), st.data())
@settings(max_examples=150)
def test_fuel_mutations_agree_with_the_official_parser(case: FuelCase, data: st.DataObject) -> None:
    raw = bytearray(case.raw)
    for _ in range(data.draw(st.integers(1, 3))):
        op = data.draw(st.sampled_from(["flip", "set-zero", "insert8", "delete8", "truncate"]))
        at = data.draw(st.integers(0, len(raw) - 1))
        if op == "flip":
            raw[at] ^= data.draw(st.integers(1, 255))
        elif op == "set-zero":
            raw[at] = 0
        elif op == "insert8":
            raw[at:at] = data.draw(st.binary(min_size=8, max_size=8))
        elif op == "delete8":
            del raw[at : at + 8]
        elif at > 0:
            del raw[at:]
    value = _hex(bytes(raw))
    args = (value, case.chain_id, case.max_inputs)
    mine = ours_or_none(parse_fuel_unsigned_transaction, *args)
    assert mine == official_or_none(official.parse_fuel_unsigned_transaction, *args)


@given(fuel_cases())
@settings(max_examples=30)
def test_runtime_filled_fields_do_not_change_the_id(case: FuelCase) -> None:
    """Receipts root, tx pointers, contract roots, change and variable amounts are zeroed."""
    before = parse_fuel_unsigned_transaction(case.hex, case.chain_id, case.max_inputs)
    case.receipts_root = b"\x55" * 32
    for item in case.inputs:
        if "pointer" in item.values:
            item.values["pointer"] = (7, 7)
        if item.kind == "contract":
            item.values.update(tx_id=b"\x66" * 32, index=3, root1=b"\x01" * 32)
    for out in case.outputs:
        if out.kind == "contract":
            out.values["root2"] = b"\x09" * 32
        else:
            out.values["amount"] = 12345
        if out.kind == "variable":
            out.values.update(to=b"\x08" * 32, asset=b"\x07" * 32)
    after = parse_fuel_unsigned_transaction(_hex(case.build()), case.chain_id, case.max_inputs)
    assert after.transaction_id == before.transaction_id


@given(fuel_cases())
@settings(max_examples=30)
def test_signed_fields_change_the_id(case: FuelCase) -> None:
    before = parse_fuel_unsigned_transaction(case.hex, case.chain_id, case.max_inputs)
    other_chain = parse_fuel_unsigned_transaction(case.hex, case.chain_id ^ 1, case.max_inputs)
    assert other_chain.transaction_id != before.transaction_id
    case.gas ^= 1
    after = parse_fuel_unsigned_transaction(_hex(case.build()), case.chain_id, case.max_inputs)
    assert after.transaction_id != before.transaction_id


def _withdrawal(**over: Any) -> dict[str, Any]:
    registry = b"\x07" * 32
    args: dict[str, Any] = {
        "max_inputs": 255,
        "script_gas_limit": 1000,
        "policies": {"maxFee": 5, "expiration": 99},
        "inputs": [
            enc.fuel_coin_input(b"\x01" * 32, 0, b"\x02" * 32, 10, b"\x03" * 32),
            enc.fuel_contract_input(registry),
        ],
        "outputs": [
            enc.fuel_contract_output(1),
            enc.fuel_change_output(b"\x02" * 32, b"\x03" * 32),
        ],
        "gross_amount": 10,
        "asset_id": b"\x03" * 32,
        "registry": registry,
        "asset_sub_id": b"\x04" * 32,
        "destination_chain_id": 1,
        "recipient": b"\xaa" * 20,
        "bridge_fee": 1,
    }
    args.update(over)
    return args


def _fuel(**over: Any) -> str:
    return _hex(enc.encode_fuel_withdrawal(**_withdrawal(**over)))


def test_a_plain_withdrawal_parses() -> None:
    got = parse_fuel_unsigned_transaction(_fuel(), 0, 255)
    assert (got.gross_amount, got.bridge_fee, got.net_amount) == (10, 1, 9)
    assert got.recipient == "0x" + "aa" * 20
    assert [i.type for i in got.inputs] == ["coin", "contract"]


@pytest.mark.parametrize(
    "over, message",
    [
        (
            {
                "outputs": [
                    enc.fuel_change_output(b"\x02" * 32, b"\x03" * 32)[:0]
                    + b"\x00" * 8
                    + b"\x02" * 32
                    + b"\x00" * 8
                    + b"\x03" * 32
                ]
            },
            "coin outputs",
        ),
        ({"outputs": [enc.fuel_contract_output(0)]}, "contract input"),
        ({"policies": {"maxFee": 5}}, "expiration"),
        ({"policies": {"expiration": 5}}, "maxFee"),
        ({"policies": {"maxFee": 5, "expiration": 2**32}}, "block height"),
        ({"bridge_fee": 11}, "exceeds"),
        ({"recipient": bytes(20)}, "non-zero"),
        ({"registry": b"\x09" * 32}, "registry"),
        (
            {
                "inputs": [
                    enc.fuel_coin_input(b"\x01" * 32, 0, b"\x02" * 32, 10, b"\x03" * 32, (0, 0), 1),
                    enc.fuel_contract_input(b"\x07" * 32),
                ]
            },
            "witness 0",
        ),
        (
            {
                "inputs": [
                    enc.fuel_coin_input(b"\x01" * 32, 0, b"\x02" * 32, 10, b"\x03" * 32)[:-16]
                    + (1).to_bytes(8, "big")
                    + bytes(8)
                    + b"\x00" * 8,
                    enc.fuel_contract_input(b"\x07" * 32),
                ]
            },
            "predicates",
        ),
    ],
)
def test_fuel_rejections(over: dict[str, Any], message: str) -> None:
    with pytest.raises(BridgeInspectionError, match=message):
        parse_fuel_unsigned_transaction(_fuel(**over), 0, 255)


def test_fuel_rejects_message_data_other_scripts_and_other_layouts() -> None:
    message = enc.fuel_message_input(b"\x01" * 32, b"\x02" * 32, 5, b"\x03" * 32)
    with_data = message[:-24] + (3).to_bytes(8, "big") + bytes(16)
    with pytest.raises(BridgeInspectionError, match="message data"):
        parse_fuel_unsigned_transaction(
            _fuel(inputs=[with_data, enc.fuel_contract_input(b"\x07" * 32)]), 0, 255
        )
    for max_inputs in (254, 256):
        with pytest.raises(BridgeInspectionError, match="Fuel call pointer"):
            parse_fuel_unsigned_transaction(_fuel(), 0, max_inputs)
    raw = bytearray.fromhex(_fuel()[2:])
    raw[96 + 23] ^= 1  # the script's RET
    with pytest.raises(BridgeInspectionError, match="single-CALL"):
        parse_fuel_unsigned_transaction(_hex(bytes(raw)), 0, 255)
    signed = bytes.fromhex(_fuel()[2:-16]) + (64).to_bytes(8, "big") + bytes(64)
    with pytest.raises(BridgeInspectionError, match="empty"):
        parse_fuel_unsigned_transaction(_hex(signed), 0, 255)


@pytest.mark.parametrize(
    "chain_id, max_inputs", [(-1, 255), (2**64, 255), (True, 255), (0, 0), (0, 65536), (0, 1.0)]
)
def test_fuel_consensus_arguments_are_checked(chain_id: Any, max_inputs: Any) -> None:
    with pytest.raises(BridgeInspectionError):
        parse_fuel_unsigned_transaction(_fuel(), chain_id, max_inputs)


def test_every_truncation_is_rejected() -> None:
    fuel_raw = _fuel()
    evm_raw = _hex(enc.encode_eip1559(_deposit("depositWithPermit")))
    for raw, parse in (
        (fuel_raw, lambda v: parse_fuel_unsigned_transaction(v, 0, 255)),
        (evm_raw, parse_evm_unsigned_transaction),
    ):
        for end in range(4, len(raw), 2):
            with pytest.raises(BridgeInspectionError):
                parse(raw[:end])


# --- proofs --------------------------------------------------------------------------


@given(proof_cases())
def test_proof_round_trip(case: ProofCase) -> None:
    claims = parse_preparation_proof(case.proof)
    assert claims == ins.PreparationProofClaims(1, case.key_id, case.expires_at, case.signer)
    assert asdict(claims) == asdict(official.parse_preparation_proof(case.proof))


@given(proof_cases(), st.data())
def test_proof_mutations_agree_with_the_official_parser(
    case: ProofCase, data: st.DataObject
) -> None:
    chars = list(case.proof)
    at = data.draw(st.integers(0, len(chars) - 1))
    chars[at] = data.draw(st.sampled_from("AaZz09-_.=+/ "))
    value = "".join(chars)
    mine = ours_or_none(parse_preparation_proof, value)
    assert mine == official_or_none(official.parse_preparation_proof, value)


def _proof(claims: Any, mac: bytes = bytes(32)) -> str:
    raw = claims if isinstance(claims, bytes) else json.dumps(claims).encode()
    return enc.encode_preparation_proof(enc.b64url(raw), mac)


GOOD = {"version": 1, "keyId": "k1", "expiresAt": 1, "signer": "0x" + "ab" * 20}


@pytest.mark.parametrize(
    "proof",
    [
        "",
        "a.b",
        "x" * 2049,
        _proof(GOOD) + ".",
        _proof(GOOD, bytes(31)),
        _proof({**GOOD, "version": 2}),
        _proof({**GOOD, "version": True}),
        _proof({**GOOD, "version": 1.0}),
        _proof({**GOOD, "extra": 1}),
        _proof({k: v for k, v in GOOD.items() if k != "signer"}),
        _proof({**GOOD, "keyId": ""}),
        _proof({**GOOD, "expiresAt": 0}),
        _proof({**GOOD, "expiresAt": 2**53}),
        _proof({**GOOD, "signer": "0x" + "AB" * 20}),
        _proof({**GOOD, "signer": "0x" + "ab" * 21}),
        _proof([GOOD]),
        _proof(b"\xff\xfe"),
        _proof(b"[" * 1400),
        _proof(GOOD).replace(".", "=."),
        base64.urlsafe_b64encode(json.dumps(GOOD).encode()).decode() + "." + enc.b64url(bytes(32)),
        enc.b64url(json.dumps(GOOD).encode())[:-1] + "B." + enc.b64url(bytes(32)),
    ],
)
def test_proof_rejections(proof: str) -> None:
    with pytest.raises(BridgeInspectionError):
        parse_preparation_proof(proof)


def test_an_expired_proof_still_parses_and_nothing_is_authenticated() -> None:
    assert parse_preparation_proof(_proof(GOOD, b"\xff" * 32)).expires_at == 1


@given(st.text(max_size=300))
def test_only_our_error_escapes_the_proof_parser(text: str) -> None:
    try:
        parse_preparation_proof(text)
    except BridgeInspectionError as err:
        assert isinstance(err, InvalidInput) and isinstance(err, ValueError)
        assert isinstance(err, O2Error)


@given(st.binary(max_size=400))
def test_only_our_error_escapes_the_transaction_parsers(raw: bytes) -> None:
    for value in (_hex(raw), _hex(b"\x02" + raw), _hex(bytes(8) + raw)):
        for parse in (
            parse_evm_unsigned_transaction,
            lambda v: parse_fuel_unsigned_transaction(v, 0, 255),
        ):
            with contextlib.suppress(BridgeInspectionError):
                parse(value)
