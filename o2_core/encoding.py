"""Fuel ABI byte layouts of the signed payloads (PROTOCOL.md §3).

Pure functions over ints and bytes. Integers are u64 big-endian; nothing is padded, except
the packed parallel nonce, a u256 (32 bytes big-endian, PROTOCOL_V05.md §1.7).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .errors import InvalidInput

U64_MAX = 2**64 - 1
U256_MAX = 2**256 - 1
GAS_MAX = U64_MAX
_U64 = struct.Struct(">Q")
_pack_u64 = _U64.pack

_OPTION_NONE = _pack_u64(0)
_OPTION_SOME = _pack_u64(1)

IDENTITY_ADDRESS = 0
IDENTITY_CONTRACT = 1

#: OrderType discriminants, in the contract's declaration order.
ORDER_TYPE_CODES: dict[str, int] = {
    "Limit": 0,
    "Spot": 1,
    "FillOrKill": 2,
    "PostOnly": 3,
    "Market": 4,
    "BoundedMarket": 5,
}


def u64(value: int) -> bytes:
    """8-byte big-endian encoding of an unsigned 64-bit integer."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= U64_MAX:
        raise InvalidInput(f"value must be an integer in 0..2**64-1, got {value!r}")
    return _pack_u64(value)


def u256(value: int) -> bytes:
    """32-byte big-endian encoding of an unsigned 256-bit integer (a packed parallel nonce)."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= U256_MAX:
        raise InvalidInput(f"value must be an integer in 0..2**256-1, got {value!r}")
    return value.to_bytes(32, "big")


def _bytes32(value: bytes, what: str) -> bytes:
    if not isinstance(value, (bytes, bytearray)) or len(value) != 32:
        raise InvalidInput(f"{what} must be 32 bytes")
    return bytes(value)


def function_selector(name: str) -> bytes:
    """Fuel function selector: ``u64(len(name)) || utf8(name)`` (not a hash)."""
    raw = name.encode()
    return _pack_u64(len(raw)) + raw


def encode_identity(discriminant: int, address: bytes) -> bytes:
    """Identity: ``u64(0)`` + Address or ``u64(1)`` + ContractId, 32 bytes."""
    if discriminant not in (IDENTITY_ADDRESS, IDENTITY_CONTRACT):
        raise InvalidInput(f"identity discriminant must be 0 or 1, got {discriminant!r}")
    return _pack_u64(discriminant) + _bytes32(address, "identity address")


def encode_option_call_data(data: bytes | None) -> bytes:
    """Option<Bytes> in a call: None = ``u64(0)``; Some = ``u64(1) || u64(len) || data``."""
    if data is None:
        return _pack_u64(0)
    return _pack_u64(1) + _pack_u64(len(data)) + data


def encode_order_type(name: str, first: int = 0, second: int = 0) -> bytes:
    """The tightly packed OrderType enum.

    ``Limit`` carries ``(price, timestamp)``, ``BoundedMarket`` ``(max_price,
    min_price)``; the other variants carry nothing.
    """
    code = ORDER_TYPE_CODES.get(name)
    if code is None:
        raise InvalidInput(f"unknown order type {name!r}; expected one of {list(ORDER_TYPE_CODES)}")
    if code in (0, 5):
        return _pack_u64(code) + u64(first) + u64(second)
    return _pack_u64(code)


def encode_order_args(price: int, quantity: int, order_type: bytes) -> bytes:
    """OrderArgs: ``u64(price) || u64(quantity) || OrderType``."""
    return u64(price) + u64(quantity) + order_type


class Call(NamedTuple):
    """One contract call of an action batch."""

    contract_id: bytes
    selector: bytes
    amount: int
    asset_id: bytes
    call_data: bytes | None
    gas: int = GAS_MAX


def encode_call(call: Call) -> bytes:
    """``contract_id || u64(len(selector)) || selector || u64(amount) || asset_id || u64(gas)
    || Option(call_data)``."""
    contract_id, selector, amount, asset_id, call_data, gas = call
    if (  # fast path (the hot one): every field already of the exact type and range
        type(contract_id) is bytes
        and len(contract_id) == 32
        and type(asset_id) is bytes
        and len(asset_id) == 32
        and type(amount) is int
        and 0 <= amount <= U64_MAX
        and type(gas) is int
        and 0 <= gas <= U64_MAX
    ):
        return b"".join(
            (
                contract_id,
                _pack_u64(len(selector)),
                selector,
                _pack_u64(amount),
                asset_id,
                _pack_u64(gas),
                _OPTION_NONE
                if call_data is None
                else _OPTION_SOME + _pack_u64(len(call_data)) + call_data,
            )
        )
    return b"".join(
        (
            _bytes32(call.contract_id, "contract_id"),
            _pack_u64(len(call.selector)),
            call.selector,
            u64(call.amount),
            _bytes32(call.asset_id, "asset_id"),
            u64(call.gas),
            encode_option_call_data(call.call_data),
        )
    )


def actions_signing_bytes(nonce: int, calls: list[Call]) -> bytes:
    """Bytes the session key signs for an action batch (PROTOCOL.md §3.2)."""
    return u64(nonce) + _pack_u64(len(calls)) + b"".join(encode_call(c) for c in calls)


def parallel_actions_signing_bytes(parallel_nonce: int, calls: list[Call]) -> bytes:
    """Bytes the session key signs for a batch on the parallel track (PROTOCOL_V05 §1.7).

    The layout of :func:`actions_signing_bytes` with the nonce as ``u256be`` (the packed
    parallel nonce) instead of ``u64be``.
    """
    return u256(parallel_nonce) + _pack_u64(len(calls)) + b"".join(encode_call(c) for c in calls)


def owner_action_signing_bytes(
    nonce: int, chain_id: int, function_name: bytes | str, encoded_args: bytes = b""
) -> bytes:
    """Bytes an owner signs for an owner action (PROTOCOL_V05 §3.1).

    ``u64(nonce) || u64(chain_id) || u64(len(function_name)) || function_name ||
    encoded_args``; the nonce is the account's sequential one.
    """
    name = function_name.encode() if isinstance(function_name, str) else bytes(function_name)
    return u64(nonce) + u64(chain_id) + _pack_u64(len(name)) + name + bytes(encoded_args)


#: The proxy's legacy (non-typed) upgrade entry point, which every proxy has.
SET_PROXY_FN_NAME = b"set_proxy_target_with_signature"


def set_proxy_signing_bytes(nonce: int, chain_id: int) -> bytes:
    """Bytes an owner signs (personal-sign) to upgrade the account (``POST /v1/accounts/upgrade``).

    The owner action ``set_proxy_target_with_signature`` with no arguments.
    """
    return owner_action_signing_bytes(nonce, chain_id, SET_PROXY_FN_NAME)


def session_signing_bytes(
    nonce: int,
    chain_id: int,
    session_address: bytes,
    expiry: int,
    contract_ids: list[bytes],
) -> bytes:
    """Bytes the owner signs to create a session (PROTOCOL.md §3.1)."""
    return b"".join(
        (
            u64(nonce),
            u64(chain_id),
            function_selector("set_session"),
            _pack_u64(1),
            encode_identity(IDENTITY_ADDRESS, session_address),
            u64(expiry),
            _pack_u64(len(contract_ids)),
            *(_bytes32(c, "contract id") for c in contract_ids),
        )
    )


def withdraw_signing_bytes(
    nonce: int,
    chain_id: int,
    to_discriminant: int,
    to_address: bytes,
    amount: int,
    asset_id: bytes,
) -> bytes:
    """Bytes the owner signs to withdraw (PROTOCOL.md §3.3); amount before asset."""
    return b"".join(
        (
            u64(nonce),
            u64(chain_id),
            function_selector("withdraw"),
            encode_identity(to_discriminant, to_address),
            u64(amount),
            _bytes32(asset_id, "asset_id"),
        )
    )


SELECTOR_CREATE_ORDER = function_selector("create_order")
SELECTOR_CANCEL_ORDER = function_selector("cancel_order")
SELECTOR_SETTLE_BALANCE = function_selector("settle_balance")
SELECTOR_REGISTER_REFERER = function_selector("register_referer")
ZERO_B256 = bytes(32)
