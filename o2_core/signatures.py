"""Digests, hex, addresses and Fuel compact signatures (PROTOCOL.md §2): no keys here.

Functions of bytes only: what a signature is over (the digests), how it is laid out (the
64-byte compact form), whom it comes from (public-key recovery and the Fuel and EVM
addresses of a key). Holding a key and signing are :mod:`o2_core.crypto`'s, which
re-exports every name of this module (o2-sdk's module is ``crypto``).

Recovery uses libsecp256k1 (coincurve); eth-keys is its pure-Python fallback when
coincurve is not importable.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from Crypto.Hash import keccak as _keccak

from .errors import InvalidInput, InvalidSignature

_coincurve: Any
try:  # pragma: no branch - the fast path is the normal one
    import coincurve

    _coincurve = coincurve
except ImportError:  # pragma: no cover - exercised only where coincurve is missing
    _coincurve = None

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HALF_N = SECP256K1_N // 2
_HEX_RE = re.compile(r"(?:0[xX])?([0-9a-fA-F]*)\Z")


# --- digests -------------------------------------------------------------------------


def sha256(data: bytes) -> bytes:
    """SHA-256 of ``data``.

    Args:
        data: the bytes.

    Returns:
        The 32-byte digest.
    """
    return hashlib.sha256(data).digest()


def keccak256(data: bytes) -> bytes:
    """Keccak-256 (Ethereum's, not SHA3-256) of ``data``.

    Args:
        data: the bytes.

    Returns:
        The 32-byte digest.
    """
    return _keccak.new(data=data, digest_bits=256).digest()


def fuel_personal_sign_digest(message: bytes) -> bytes:
    """``sha256(b"\\x19Fuel Signed Message:\\n" + len + message)``.

    Args:
        message: the message (``len`` is its length in decimal digits).

    Returns:
        The 32-byte digest a Fuel owner signs.
    """
    return sha256(b"\x19Fuel Signed Message:\n" + str(len(message)).encode() + message)


def evm_personal_sign_digest(message: bytes) -> bytes:
    """``keccak256(b"\\x19Ethereum Signed Message:\\n" + len + message)``.

    Args:
        message: the message.

    Returns:
        The 32-byte digest an EVM owner signs.
    """
    return keccak256(b"\x19Ethereum Signed Message:\n" + str(len(message)).encode() + message)


def raw_digest(message: bytes) -> bytes:
    """The digest a session key signs for an action batch: plain ``sha256``.

    Args:
        message: the signing bytes.

    Returns:
        The 32-byte digest.
    """
    return sha256(message)


# --- hex helpers ---------------------------------------------------------------------


def parse_hex(value: str | bytes, length: int | None = None, what: str = "value") -> bytes:
    """Bytes of a hex string (``0x`` optional, any case), checked to be ``length`` bytes.

    Args:
        value: hex text, or bytes (taken as they are).
        length: the exact number of bytes required (None: any).
        what: its name, for the error message.

    Returns:
        The bytes.

    Raises:
        InvalidInput: not hex (or an odd number of digits), or not ``length`` bytes.
    """
    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
    elif isinstance(value, str):
        match = _HEX_RE.match(value.strip())
        if match is None or len(match.group(1)) % 2:
            raise InvalidInput(f"{what} must be a hex string, got {value!r}")
        raw = bytes.fromhex(match.group(1))
    else:
        raise InvalidInput(f"{what} must be a hex string, got {type(value).__name__}")
    if length is not None and len(raw) != length:
        raise InvalidInput(f"{what} must be {length} bytes, got {len(raw)}")
    return raw


def hex0x(raw: bytes) -> str:
    """``0x`` + lowercase hex.

    Args:
        raw: the bytes.

    Returns:
        The text.
    """
    return "0x" + raw.hex()


# --- compact signatures --------------------------------------------------------------


def to_fuel_compact_signature(r: bytes, s: bytes, recovery_id: int) -> bytes:
    """Build the 64-byte Fuel compact signature from ``(r, s, recovery_id)``.

    A high ``s`` (as some KMS return) is normalised to low-s, flipping the recovery id.

    Args:
        r: 32 bytes.
        s: 32 bytes.
        recovery_id: 0 or 1.

    Returns:
        The 64-byte compact signature (``r`` and low ``s``, the recovery id in the top bit
        of ``s``).

    Raises:
        InvalidInput: ``r`` or ``s`` not 32 bytes or not in 1..n-1, or a recovery id other
            than 0 and 1.
    """
    if not isinstance(r, (bytes, bytearray)) or len(r) != 32:
        raise InvalidInput("r must be 32 bytes")
    if not isinstance(s, (bytes, bytearray)) or len(s) != 32:
        raise InvalidInput("s must be 32 bytes")
    if type(recovery_id) is not int or recovery_id not in (0, 1):  # no bool, no 0.0
        raise InvalidInput(f"recovery_id must be 0 or 1, got {recovery_id!r}")
    s_int = int.from_bytes(s, "big")
    if not 0 < s_int < SECP256K1_N or not 0 < int.from_bytes(r, "big") < SECP256K1_N:
        raise InvalidInput("r and s must be in 1..n-1")
    if s_int > _HALF_N:
        s_int = SECP256K1_N - s_int
        recovery_id ^= 1
    s_bytes = bytearray(s_int.to_bytes(32, "big"))
    s_bytes[0] = (recovery_id << 7) | (s_bytes[0] & 0x7F)
    return bytes(r) + bytes(s_bytes)


def split_compact_signature(signature: bytes) -> tuple[bytes, bytes, int]:
    """Inverse of :func:`to_fuel_compact_signature`.

    Args:
        signature: a 64-byte compact signature.

    Returns:
        ``(r, s, recovery_id)``.

    Raises:
        InvalidSignature: not 64 bytes.
    """
    if len(signature) != 64:
        raise InvalidSignature(f"a compact signature is 64 bytes, got {len(signature)}")
    s = bytearray(signature[32:])
    recovery_id = s[0] >> 7
    s[0] &= 0x7F
    return signature[:32], bytes(s), recovery_id


def recover_public_key(digest: bytes, signature: bytes) -> bytes:
    """The public key that produced ``signature`` over ``digest``.

    Args:
        digest: the 32-byte digest that was signed.
        signature: the 64-byte compact signature.

    Returns:
        The 65-byte uncompressed public key.

    Raises:
        InvalidInput: a digest that is not 32 bytes.
        InvalidSignature: not 64 bytes, a high ``s`` or a zero ``r``/``s``, or no key can
            be recovered.
    """
    if len(digest) != 32:
        raise InvalidInput(f"digest must be 32 bytes, got {len(digest)}")
    r, s, recovery_id = split_compact_signature(signature)
    if not 0 < int.from_bytes(s, "big") <= _HALF_N or int.from_bytes(r, "big") == 0:
        raise InvalidSignature("signature s is not low-s normalised, or r/s is zero")
    try:
        if _coincurve is not None:
            key = _coincurve.PublicKey.from_signature_and_message(
                r + s + bytes((recovery_id,)), digest, hasher=None
            )
            return bytes(key.format(compressed=False))
        from eth_keys.datatypes import Signature  # pragma: no cover

        sig = Signature(vrs=(recovery_id, int.from_bytes(r, "big"), int.from_bytes(s, "big")))
        return b"\x04" + sig.recover_public_key_from_msg_hash(digest).to_bytes()
    except Exception as exc:  # the libraries raise assorted ValueError/Exception types
        raise InvalidSignature("no public key can be recovered from this signature") from exc


# --- addresses -----------------------------------------------------------------------


def fuel_address(public_key: bytes) -> bytes:
    """Fuel B256 address of a public key: ``sha256(x || y)``.

    Args:
        public_key: the 65-byte uncompressed public key.

    Returns:
        The 32-byte address.
    """
    return sha256(public_key[1:65])


def evm_address(public_key: bytes) -> bytes:
    """EVM address of a public key: the last 20 bytes of ``keccak256(x || y)``.

    Args:
        public_key: the 65-byte uncompressed public key.

    Returns:
        The 20-byte address.
    """
    return keccak256(public_key[1:65])[12:]



# --- verification --------------------------------------------------------------------


def signature_recovers_to(owner_b256: bytes, digest: bytes, signature: bytes) -> bool:
    """Whether ``signature`` over ``digest`` recovers to the owner ``owner_b256``.

    A zero-padded EVM owner is compared by EVM address, any other by Fuel address.

    Args:
        owner_b256: the owner's 32-byte address.
        digest: the 32-byte digest.
        signature: the 64-byte compact signature.

    Returns:
        True when it does (False also for a signature nothing recovers from).
    """
    try:
        public_key = recover_public_key(digest, signature)
    except (InvalidInput, InvalidSignature):
        return False
    if len(owner_b256) == 32 and owner_b256[:12] == bytes(12):
        return evm_address(public_key) == owner_b256[12:]
    return fuel_address(public_key) == owner_b256


__all__ = [
    "SECP256K1_N",
    "evm_address",
    "evm_personal_sign_digest",
    "fuel_address",
    "fuel_personal_sign_digest",
    "hex0x",
    "keccak256",
    "parse_hex",
    "raw_digest",
    "recover_public_key",
    "sha256",
    "signature_recovers_to",
    "split_compact_signature",
    "to_fuel_compact_signature",
]
