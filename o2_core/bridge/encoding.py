"""Encoders of what the bridge prepares: the inverse of :mod:`o2_core.bridge.inspection`.

Used by the local bridge (:mod:`o2_core.sim.bridge`) to prepare real transactions and
proofs, and by the tests to build random valid ones. Pure functions over bytes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..signatures import keccak256
from .inspection import (
    EVM_METHODS,
    FUEL_POLICIES,
    FUEL_WITHDRAW_METHOD,
    RlpItem,
    fuel_call_script,
    fuel_script_data_offset,
)

# --- RLP and EIP-1559 ----------------------------------------------------------------


def _rlp_length(length: int, base: int) -> bytes:
    if length < 56:
        return bytes((base + length,))
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((base + 55 + len(size),)) + size


def rlp_encode(item: RlpItem) -> bytes:
    """The canonical RLP encoding of a byte string or a (nested) list of them."""
    if isinstance(item, bytes):
        if len(item) == 1 and item[0] < 0x80:
            return item
        return _rlp_length(len(item), 0x80) + item
    payload = b"".join(rlp_encode(child) for child in item)
    return _rlp_length(len(payload), 0xC0) + payload


def rlp_uint(value: int) -> bytes:
    """The minimal big-endian bytes of a non-negative integer (empty for zero)."""
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _address_word(address: bytes) -> bytes:
    if len(address) != 20:
        raise ValueError("an EVM address is 20 bytes")
    return bytes(12) + address


@dataclass(frozen=True)
class EvmPermit:
    """An EIP-2612 permit for ``depositWithPermit``."""

    deadline: int
    v: int
    r: bytes
    s: bytes


def messenger_calldata(
    recipient: bytes,
    recipient_is_contract: bool,
    amount: int,
    token: bytes | None = None,
    permit: EvmPermit | None = None,
) -> bytes:
    """Calldata of ``depositETH`` (no ``token``), ``deposit`` or ``depositWithPermit``.

    ``recipient`` is the 32-byte Fuel recipient; ``amount`` is in token base units (for
    ``depositETH`` the amount travels as the transaction's value, not in the calldata).
    """
    if len(recipient) != 32:
        raise ValueError("the Fuel recipient is 32 bytes")
    flag = _word(int(recipient_is_contract))
    if token is None:
        if permit is not None:
            raise ValueError("depositETH takes no permit")
        method, args = "depositETH", [recipient, flag]
    elif permit is None:
        method, args = "deposit", [recipient, _address_word(token), _word(amount), flag]
    else:
        method = "depositWithPermit"
        args = [
            recipient,
            _address_word(token),
            _word(amount),
            _word(permit.deadline),
            _word(permit.v),
            permit.r,
            permit.s,
            flag,
        ]
    selector = keccak256(EVM_METHODS[method][0].encode())[:4]
    return selector + b"".join(args)


def eip1559_fields(
    chain_id: int,
    nonce: int,
    max_priority_fee_per_gas: int,
    max_fee_per_gas: int,
    gas_limit: int,
    to: bytes,
    value: int,
    data: bytes,
) -> list[RlpItem]:
    """The nine RLP fields of an unsigned EIP-1559 transaction (empty access list)."""
    return [
        rlp_uint(chain_id),
        rlp_uint(nonce),
        rlp_uint(max_priority_fee_per_gas),
        rlp_uint(max_fee_per_gas),
        rlp_uint(gas_limit),
        to,
        rlp_uint(value),
        data,
        [],
    ]


def encode_eip1559(fields: Sequence[RlpItem]) -> bytes:
    """``0x02 || rlp(fields)``: an unsigned (nine fields) or signed (twelve) transaction."""
    return b"\x02" + rlp_encode(list(fields))


def evm_signed_hash(fields: Sequence[RlpItem], y_parity: int, r: int, s: int) -> bytes:
    """The hash of the signed transaction: ``keccak256(0x02 || rlp(fields + [y, r, s]))``."""
    signed = [*fields, rlp_uint(y_parity), rlp_uint(r), rlp_uint(s)]
    return keccak256(encode_eip1559(signed))


# --- preparation proofs --------------------------------------------------------------


def b64url(raw: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def proof_claims_part(version: int, key_id: str, expires_at: int, signer: str) -> str:
    """The first part of a preparation proof: base64url of the claims JSON."""
    claims = {"version": version, "keyId": key_id, "expiresAt": expires_at, "signer": signer}
    return b64url(json.dumps(claims, separators=(",", ":")).encode())


def encode_preparation_proof(claims_part: str, mac: bytes) -> str:
    """``claims_part + "." + base64url(mac)``."""
    return f"{claims_part}.{b64url(mac)}"


# --- Fuel script transactions --------------------------------------------------------


def _u64(value: int) -> bytes:
    return value.to_bytes(8, "big")


def _padded(raw: bytes) -> bytes:
    return raw + bytes(-len(raw) % 8)


def fuel_coin_input(
    tx_id: bytes,
    output_index: int,
    owner: bytes,
    amount: int,
    asset_id: bytes,
    tx_pointer: tuple[int, int] = (0, 0),
    witness_index: int = 0,
) -> bytes:
    """A signed coin input (no predicate)."""
    return b"".join(
        [
            _u64(0),
            tx_id,
            _u64(output_index),
            owner,
            _u64(amount),
            asset_id,
            _u64(tx_pointer[0]),
            _u64(tx_pointer[1]),
            _u64(witness_index),
            _u64(0),  # predicate gas used
            _u64(0),  # predicate length
            _u64(0),  # predicate data length
        ]
    )


def fuel_contract_input(
    contract_id: bytes,
    tx_id: bytes = bytes(32),
    output_index: int = 0,
    balance_root: bytes = bytes(32),
    state_root: bytes = bytes(32),
    tx_pointer: tuple[int, int] = (0, 0),
) -> bytes:
    """A contract input."""
    return b"".join(
        [
            _u64(1),
            tx_id,
            _u64(output_index),
            balance_root,
            state_root,
            _u64(tx_pointer[0]),
            _u64(tx_pointer[1]),
            contract_id,
        ]
    )


def fuel_message_input(
    sender: bytes, recipient: bytes, amount: int, nonce: bytes, witness_index: int = 0
) -> bytes:
    """A signed message-coin input (no data, no predicate)."""
    return b"".join(
        [
            _u64(2),
            sender,
            recipient,
            _u64(amount),
            nonce,
            _u64(witness_index),
            _u64(0),  # predicate gas used
            _u64(0),  # data length
            _u64(0),  # predicate length
            _u64(0),  # predicate data length
        ]
    )


def fuel_contract_output(
    input_index: int, balance_root: bytes = bytes(32), state_root: bytes = bytes(32)
) -> bytes:
    """A contract output for the contract input at ``input_index``."""
    return _u64(1) + _u64(input_index) + balance_root + state_root


def fuel_change_output(to: bytes, asset_id: bytes, amount: int = 0) -> bytes:
    """A change output (its amount is filled in by execution)."""
    return _u64(2) + to + _u64(amount) + asset_id


def fuel_variable_output(
    to: bytes = bytes(32), amount: int = 0, asset_id: bytes = bytes(32)
) -> bytes:
    """A variable output (filled in by execution)."""
    return _u64(3) + to + _u64(amount) + asset_id


def fuel_withdraw_call_data(
    data_offset: int,
    gross_amount: int,
    asset_id: bytes,
    registry: bytes,
    asset_sub_id: bytes,
    destination_chain_id: int,
    recipient: bytes,
    bridge_fee: int,
) -> bytes:
    """The script data of ``withdraw_via_fast_bridge_with_fee`` at VM address ``data_offset``.

    ``recipient`` is the 20-byte EVM address (sent as a left-padded b256).
    """
    method_pointer = data_offset + 88
    return b"".join(
        [
            _u64(gross_amount),
            asset_id,
            registry,
            _u64(method_pointer),
            _u64(method_pointer + 8 + len(FUEL_WITHDRAW_METHOD)),
            _u64(len(FUEL_WITHDRAW_METHOD)),
            FUEL_WITHDRAW_METHOD,
            asset_sub_id,
            destination_chain_id.to_bytes(4, "big"),
            _address_word(recipient),
            _u64(bridge_fee),
        ]
    )


def encode_fuel_script(
    script_gas_limit: int,
    script: bytes,
    script_data: bytes,
    policies: Mapping[str, int],
    inputs: Sequence[bytes],
    outputs: Sequence[bytes],
    witnesses: Sequence[bytes] = (b"",),
    receipts_root: bytes = bytes(32),
) -> bytes:
    """A Fuel Script transaction's canonical bytes.

    ``policies`` maps names of :data:`FUEL_POLICIES` to values; they are written in
    policy-bit order whatever the mapping's order.
    """
    unknown = set(policies) - set(FUEL_POLICIES)
    if unknown:
        raise ValueError(f"unknown policies {sorted(unknown)}")
    mask = sum(1 << bit for bit, name in enumerate(FUEL_POLICIES) if name in policies)
    return b"".join(
        [
            _u64(0),
            _u64(script_gas_limit),
            receipts_root,
            _u64(len(script)),
            _u64(len(script_data)),
            _u64(mask),
            _u64(len(inputs)),
            _u64(len(outputs)),
            _u64(len(witnesses)),
            _padded(script),
            _padded(script_data),
            *(_u64(policies[name]) for name in FUEL_POLICIES if name in policies),
            *inputs,
            *outputs,
            *(_u64(len(w)) + _padded(w) for w in witnesses),
        ]
    )


def encode_fuel_withdrawal(
    max_inputs: int,
    script_gas_limit: int,
    policies: Mapping[str, int],
    inputs: Sequence[bytes],
    outputs: Sequence[bytes],
    gross_amount: int,
    asset_id: bytes,
    registry: bytes,
    asset_sub_id: bytes,
    destination_chain_id: int,
    recipient: bytes,
    bridge_fee: int,
) -> bytes:
    """An unsigned withdrawal: the single-CALL script, its call data and one empty witness."""
    offset = fuel_script_data_offset(max_inputs)
    data = fuel_withdraw_call_data(
        offset,
        gross_amount,
        asset_id,
        registry,
        asset_sub_id,
        destination_chain_id,
        recipient,
        bridge_fee,
    )
    return encode_fuel_script(
        script_gas_limit, fuel_call_script(offset), data, policies, inputs, outputs
    )


__all__ = [
    "EvmPermit",
    "b64url",
    "eip1559_fields",
    "encode_eip1559",
    "encode_fuel_script",
    "encode_fuel_withdrawal",
    "encode_preparation_proof",
    "evm_signed_hash",
    "fuel_change_output",
    "fuel_coin_input",
    "fuel_contract_input",
    "fuel_contract_output",
    "fuel_message_input",
    "fuel_variable_output",
    "fuel_withdraw_call_data",
    "messenger_calldata",
    "proof_claims_part",
    "rlp_encode",
    "rlp_uint",
]
