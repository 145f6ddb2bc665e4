"""Typed-data owner signatures: SRC-16 for Fuel owners, EIP-712 for EVM owners (PROTOCOL_V05 §2).

In o2-sdk 0.5.0 exactly one operation is signed this way: the parallel withdrawal
(``par_withdraw``). The owner signs the final digest itself with secp256k1 (the Fuel
compact form, for both owner kinds): no personal-sign framing
(:meth:`o2_core.crypto.Wallet.sign_digest`).

::

    SRC16  domain = keccak256(keccak256(SRC16_DOMAIN_TYPE) ‖ keccak256(name) ‖ keccak256(version)
                              ‖ u256be(chain_id) ‖ verifying_contract)
    EIP712 domain = keccak256(keccak256(EIP712_DOMAIN_TYPE) ‖ keccak256(name) ‖ keccak256(version)
                              ‖ salt)                 salt = 24 zero bytes ‖ u64be(chain_id)
    struct hash   = keccak256(TYPEHASH ‖ u256be(nonce) ‖ to ‖ u256be(amount <= u64) ‖ asset_id)
    digest        = keccak256(0x19 ‖ 0x01 ‖ domain ‖ struct hash)

The official SDK carries the two ParallelWithdrawArgs type hashes as constants; the type
strings below are reconstructions whose keccak256 equals them (checked by the tests).
Out-of-range inputs raise :class:`~o2_core.errors.InvalidInput` (a ``ValueError``) with the
official texts.
"""

from __future__ import annotations

from typing import Any

from .errors import InvalidInput
from .signatures import keccak256

#: The two encodings, as the official ``parallel_withdraw_struct_hash(encoding=...)`` names them.
SRC16 = "src16"
EIP712 = "eip712"

TRADE_ACCOUNT_DOMAIN = "TradeAccount"
TRADE_ACCOUNT_VERSION = "2"

SRC16_DOMAIN_TYPE = (
    b"SRC16Domain(string name,string version,u256 chain_id,contractId verifying_contract)"
)
EIP712_DOMAIN_TYPE = b"EIP712Domain(string name,string version,bytes32 salt)"
SRC16_PARALLEL_WITHDRAW_TYPE = (
    b"ParallelWithdrawArgs(u256 nonce,identity to,u64 amount,assetId asset_id)"
)
EIP712_PARALLEL_WITHDRAW_TYPE = (
    b"ParallelWithdrawArgs(uint256 nonce,bytes32 to,uint64 amount,bytes32 asset_id)"
)

SRC16_DOMAIN_TYPE_HASH = keccak256(SRC16_DOMAIN_TYPE)
EIP712_DOMAIN_TYPE_HASH = keccak256(EIP712_DOMAIN_TYPE)
#: = 0x95a9c4c2…c6f6, the official SDK's constant (from the trade-account contract).
SRC16_PARALLEL_WITHDRAW_TYPE_HASH = keccak256(SRC16_PARALLEL_WITHDRAW_TYPE)
#: = 0x7d2e70c3…ca1c, the official SDK's constant.
EIP712_PARALLEL_WITHDRAW_TYPE_HASH = keccak256(EIP712_PARALLEL_WITHDRAW_TYPE)

_NAME_HASH = keccak256(TRADE_ACCOUNT_DOMAIN.encode())
_VERSION_HASH = keccak256(TRADE_ACCOUNT_VERSION.encode())
_EVM_PADDING = bytes(12)
_TYPE_HASHES = {
    SRC16: SRC16_PARALLEL_WITHDRAW_TYPE_HASH,
    EIP712: EIP712_PARALLEL_WITHDRAW_TYPE_HASH,
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _uint256(value: int, name: str) -> bytes:
    if not _is_int(value) or not 0 <= value < 1 << 256:
        raise InvalidInput(f"{name} must fit in an unsigned 256-bit integer")
    return value.to_bytes(32, "big")


def _u64_padded(value: int, name: str) -> bytes:
    if not _is_int(value) or not 0 <= value < 1 << 64:
        raise InvalidInput(f"{name} must fit in an unsigned 64-bit integer")
    return value.to_bytes(32, "big")


def _bytes32(value: bytes, name: str) -> bytes:
    if not isinstance(value, (bytes, bytearray)):
        raise InvalidInput(f"{name} must be 32 bytes, got {type(value).__name__}")
    if len(value) != 32:
        raise InvalidInput(f"{name} must be 32 bytes, got {len(value)}")
    return bytes(value)


def is_evm_owner(owner_b256: bytes) -> bool:
    """Whether the 32-byte owner is a zero-padded EVM address (EIP-712); else SRC-16.

    Args:
        owner_b256: the owner's 32-byte address.

    Returns:
        True when its first 12 bytes are zero.
    """
    return len(owner_b256) == 32 and bytes(owner_b256[:12]) == _EVM_PADDING


def src16_domain_separator(chain_id: int, verifying_contract: bytes) -> bytes:
    """The SRC-16 TradeAccount domain separator.

    Args:
        chain_id: the chain id (u256).
        verifying_contract: the trade account id (32 bytes).

    Returns:
        32 bytes.

    Raises:
        InvalidInput: a chain id out of range, or not 32 bytes.
    """
    return keccak256(
        SRC16_DOMAIN_TYPE_HASH
        + _NAME_HASH
        + _VERSION_HASH
        + _uint256(chain_id, "chain_id")
        + _bytes32(verifying_contract, "verifying_contract")
    )


def eip712_salt(chain_id: int) -> bytes:
    """The EIP-712 domain salt: 24 zero bytes and ``u64be(chain_id)``.

    Args:
        chain_id: the chain id (u64).

    Returns:
        32 bytes.

    Raises:
        InvalidInput: a chain id that is not a u64.
    """
    if not _is_int(chain_id) or not 0 <= chain_id < 1 << 64:
        raise InvalidInput("chain_id must fit in an unsigned 64-bit integer")
    return bytes(24) + chain_id.to_bytes(8, "big")


def eip712_domain_separator(chain_id: int) -> bytes:
    """The EIP-712 TradeAccount domain separator (it has no verifying contract).

    Args:
        chain_id: the chain id (u64).

    Returns:
        32 bytes.

    Raises:
        InvalidInput: a chain id that is not a u64.
    """
    return keccak256(EIP712_DOMAIN_TYPE_HASH + _NAME_HASH + _VERSION_HASH + eip712_salt(chain_id))


def parallel_withdraw_struct_preimage(
    *, encoding: str, nonce: int, to: bytes, amount: int, asset_id: bytes
) -> bytes:
    """The 160 bytes hashed into the ``ParallelWithdrawArgs`` struct hash.

    Args:
        encoding: ``"src16"`` or ``"eip712"``.
        nonce: the packed parallel nonce (u256).
        to: the destination's 32 raw bytes, without the Identity discriminant.
        amount: base units, at most u64.
        asset_id: 32 bytes.

    Returns:
        The type hash and the four fields, 32 bytes each.

    Raises:
        InvalidInput: an unknown encoding, or a field out of range.
    """
    type_hash = _TYPE_HASHES.get(encoding)
    if type_hash is None:
        raise InvalidInput(f"unknown typed-data encoding: {encoding}")
    return (
        type_hash
        + _uint256(nonce, "nonce")
        + _bytes32(to, "to")
        + _u64_padded(amount, "amount")
        + _bytes32(asset_id, "asset_id")
    )


def parallel_withdraw_struct_hash(
    *, encoding: str, nonce: int, to: bytes, amount: int, asset_id: bytes
) -> bytes:
    """``keccak256`` of :func:`parallel_withdraw_struct_preimage`, as the contract hashes it.

    Args:
        encoding: ``"src16"`` or ``"eip712"``.
        nonce: the packed parallel nonce (u256).
        to: the destination's 32 raw bytes, without the Identity discriminant.
        amount: base units, at most u64.
        asset_id: 32 bytes.

    Returns:
        32 bytes.

    Raises:
        InvalidInput: an unknown encoding, or a field out of range.
    """
    return keccak256(
        parallel_withdraw_struct_preimage(
            encoding=encoding, nonce=nonce, to=to, amount=amount, asset_id=asset_id
        )
    )


def typed_digest(domain_separator: bytes, struct_hash: bytes) -> bytes:
    """``keccak256(0x19 ‖ 0x01 ‖ domain_separator ‖ struct_hash)``: what the owner signs.

    Args:
        domain_separator: 32 bytes.
        struct_hash: 32 bytes.

    Returns:
        The 32-byte digest.

    Raises:
        InvalidInput: either is not 32 bytes.
    """
    return keccak256(
        b"\x19\x01"
        + _bytes32(domain_separator, "domain_separator")
        + _bytes32(struct_hash, "struct_hash")
    )


def parallel_withdraw_digest(
    *,
    owner_b256: bytes,
    chain_id: int,
    verifying_contract: bytes,
    nonce: int,
    to: bytes,
    amount: int,
    asset_id: bytes,
) -> bytes:
    """The typed digest authorising ``par_withdraw``: EIP-712 for an EVM owner, else SRC-16.

    Args:
        owner_b256: the owner's 32-byte address (decides the encoding).
        chain_id: the chain id (``GET /v1/markets`` ``chain_id`` as an integer).
        verifying_contract: the trade account id (32 bytes; unused by EIP-712).
        nonce: the packed parallel nonce.
        to: the destination's 32 raw bytes (Address or ContractId alike).
        amount: base units, at most u64.
        asset_id: 32 bytes.

    Returns:
        The 32-byte digest the owner signs with ``sign_digest``.

    Raises:
        InvalidInput: a field out of range, or a value that is not 32 bytes.
    """
    if is_evm_owner(_bytes32(owner_b256, "owner_b256")):
        encoding, domain = EIP712, eip712_domain_separator(chain_id)
    else:
        encoding, domain = SRC16, src16_domain_separator(chain_id, verifying_contract)
    struct_hash = parallel_withdraw_struct_hash(
        encoding=encoding, nonce=nonce, to=to, amount=amount, asset_id=asset_id
    )
    return typed_digest(domain, struct_hash)


__all__ = [
    "EIP712",
    "EIP712_DOMAIN_TYPE",
    "EIP712_DOMAIN_TYPE_HASH",
    "EIP712_PARALLEL_WITHDRAW_TYPE",
    "EIP712_PARALLEL_WITHDRAW_TYPE_HASH",
    "SRC16",
    "SRC16_DOMAIN_TYPE",
    "SRC16_DOMAIN_TYPE_HASH",
    "SRC16_PARALLEL_WITHDRAW_TYPE",
    "SRC16_PARALLEL_WITHDRAW_TYPE_HASH",
    "TRADE_ACCOUNT_DOMAIN",
    "TRADE_ACCOUNT_VERSION",
    "eip712_domain_separator",
    "eip712_salt",
    "is_evm_owner",
    "keccak256",
    "parallel_withdraw_digest",
    "parallel_withdraw_struct_hash",
    "parallel_withdraw_struct_preimage",
    "src16_domain_separator",
    "typed_digest",
]
