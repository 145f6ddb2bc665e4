"""Keys and signers (PROTOCOL.md §2): wallets, external signers, the signer protocols.

Signing holds a cached libsecp256k1 key (coincurve): building the key object once per
wallet instead of once per signature halves the cost of a signature. eth-keys is the key
model's pure-Python fallback when coincurve is not importable. No private key ever
appears in a ``repr``, ``str``, log line or exception message.

What needs no key (digests, hex, compact signatures, public-key recovery, addresses)
lives in :mod:`o2_core.signatures`; this module re-exports all of it, so every name of
o2-sdk's ``crypto`` module answers here.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from .errors import InvalidInput, InvalidSignature, O2Error, UsageError
from .signatures import (
    SECP256K1_N,
    evm_address,
    evm_personal_sign_digest,
    fuel_address,
    fuel_personal_sign_digest,
    hex0x,
    keccak256,
    parse_hex,
    raw_digest,
    recover_public_key,
    sha256,
    signature_recovers_to,
    split_compact_signature,
    to_fuel_compact_signature,
)

_coincurve: Any
try:  # pragma: no branch - the fast path is the normal one
    import coincurve

    _coincurve = coincurve
except ImportError:  # pragma: no cover - exercised only where coincurve is missing
    _coincurve = None

#: A private key as text: 64 hex digits, ``0x`` optional.
_KEY_RE = re.compile(r"(?:0[xX])?([0-9a-fA-F]{64})\Z")

SignDigestFn = Callable[[bytes], bytes]
"""An external signer, which receives a 32-byte digest and returns a 64-byte compact
signature."""


# --- the signing key -----------------------------------------------------------------


def _secret_bytes(private_key: str | bytes) -> bytes:
    # Never echo the value: it is a secret.
    if isinstance(private_key, str):
        match = _KEY_RE.match(private_key.strip())
        if match is None:
            raise InvalidInput("private key must be 32 bytes of hex (64 hex digits)")
        secret = bytes.fromhex(match.group(1))
    elif isinstance(private_key, (bytes, bytearray)):
        secret = bytes(private_key)
        if len(secret) != 32:
            raise InvalidInput(f"private key must be 32 bytes, got {len(secret)}")
    else:
        raise InvalidInput("private key must be hex text or 32 bytes")
    if not 0 < int.from_bytes(secret, "big") < SECP256K1_N:
        raise InvalidInput("private key is out of range for secp256k1")
    return secret


class _SigningKey:
    """A private key held in signing-ready form. Never printed."""

    __slots__ = ("_native", "_secret", "public_key")

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        if _coincurve is not None:
            self._native: Any = _coincurve.PrivateKey(secret)
            self.public_key = bytes(self._native.public_key.format(compressed=False))
        else:  # pragma: no cover - fallback path
            from eth_keys.datatypes import PrivateKey

            self._native = PrivateKey(secret)
            self.public_key = b"\x04" + self._native.public_key.to_bytes()

    def sign(self, digest: bytes) -> bytes:
        if _coincurve is not None:
            sig: bytes = self._native.sign_recoverable(digest, hasher=None)
            return sig[:32] + bytes(((sig[64] << 7) | (sig[32] & 0x7F),)) + sig[33:64]
        fallback = self._native.sign_msg_hash(digest)  # pragma: no cover
        return to_fuel_compact_signature(  # pragma: no cover
            fallback.r.to_bytes(32, "big"), fallback.s.to_bytes(32, "big"), fallback.v
        )

    def __repr__(self) -> str:
        return "<signing key>"


def _check_digest(digest: bytes) -> bytes:
    if not isinstance(digest, (bytes, bytearray)) or len(digest) != 32:
        raise InvalidInput("a digest to sign must be 32 bytes")
    return bytes(digest)


# --- signers -------------------------------------------------------------------------


@runtime_checkable
class PersonalSigner(Protocol):
    """What every owner operation except typed-data ones needs: an address, personal-sign.

    A custom signer that implements only this still works for accounts, sessions,
    sequential withdrawals and upgrades.
    """

    @property
    def b256_address(self) -> str:
        """The owner's B256 address, ``0x`` + 64 lowercase hex."""
        ...

    @property
    def address_bytes(self) -> bytes:
        """The owner's address as 32 bytes."""
        ...

    def personal_sign(self, message: bytes) -> bytes:
        """Sign ``message`` with the owner's personal-sign flavour.

        Args:
            message: the message (the SDK frames it: Fuel or EVM personal-sign).

        Returns:
            The 64-byte compact signature (``r`` and low ``s``, the recovery id in the top bit
            of ``s``).
        """
        ...


@runtime_checkable
class Signer(PersonalSigner, Protocol):
    """Anything that can act as an account owner: wallets and external signers.

    As in the official SDK, ``sign_digest`` is part of the protocol (every signer of this
    module has it). The SDK calls it only for typed-data operations (the parallel
    withdrawal), through :func:`sign_typed_digest`; a custom signer without it (a
    :class:`PersonalSigner`) works for everything else, and one may raise
    ``NotImplementedError`` from it.
    """

    def sign_digest(self, digest: bytes) -> bytes:
        """Sign a 32-byte digest as it is (no framing).

        Args:
            digest: the 32-byte digest.

        Returns:
            The 64-byte compact signature (``r`` and low ``s``, the recovery id in the top bit
            of ``s``).
        """
        ...


class Wallet:
    """A Fuel-native key pair. Owners sign with Fuel personal-sign; session keys raw.

    The key never shows in ``repr``, and a wallet cannot be pickled.

    Args:
        private_key: the key (hex, ``0x`` optional, or 32 bytes).

    Raises:
        InvalidInput: not 32 bytes, or out of range for secp256k1 (the message never shows
            the key).
    """

    __slots__ = ("_key", "b256_address", "public_key")

    def __init__(self, private_key: str | bytes) -> None:
        self._key = _SigningKey(_secret_bytes(private_key))
        self.public_key: bytes = self._key.public_key
        self.b256_address: str = hex0x(fuel_address(self.public_key))

    @property
    def private_key(self) -> bytes:
        """The 32-byte secret. Handle with care (it is never shown by ``repr``)."""
        return self._key._secret

    @property
    def address_bytes(self) -> bytes:
        """The 32-byte Fuel address."""
        return bytes.fromhex(self.b256_address[2:])

    def sign_digest(self, digest: bytes) -> bytes:
        """Sign a 32-byte digest as it is (no framing).

        Args:
            digest: the 32-byte digest.

        Returns:
            The 64-byte compact signature (``r`` and low ``s``, the recovery id in the top bit
            of ``s``).

        Raises:
            InvalidInput: the digest is not 32 bytes.
        """
        return self._key.sign(_check_digest(digest))

    def personal_sign(self, message: bytes) -> bytes:
        """Fuel personal-sign of ``message``.

        Args:
            message: the message.

        Returns:
            The 64-byte compact signature (``r`` and low ``s``, the recovery id in the top bit
            of ``s``).
        """
        return self._key.sign(fuel_personal_sign_digest(message))

    def raw_sign(self, message: bytes) -> bytes:
        """Sign ``sha256(message)``: how a session key signs an action batch.

        Args:
            message: the signing bytes.

        Returns:
            The 64-byte compact signature (``r`` and low ``s``, the recovery id in the top bit
            of ``s``).
        """
        return self._key.sign(hashlib.sha256(message).digest())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(b256_address={self.b256_address!r})"

    def __reduce__(self) -> Any:
        raise TypeError("wallets are not picklable: they hold a private key")


class EvmWallet(Wallet):
    """An EVM key pair: its B256 address is the 20-byte EVM address left-padded with zeros.

    Args:
        private_key: the key (hex, ``0x`` optional, or 32 bytes).

    Raises:
        InvalidInput: not 32 bytes, or out of range for secp256k1.
    """

    __slots__ = ("evm_address",)

    def __init__(self, private_key: str | bytes) -> None:
        super().__init__(private_key)
        raw = evm_address(self.public_key)
        self.evm_address: str = hex0x(raw)
        self.b256_address = hex0x(bytes(12) + raw)

    def personal_sign(self, message: bytes) -> bytes:
        """EVM personal-sign (keccak256 framing) of ``message``.

        Args:
            message: the message.

        Returns:
            The 64-byte compact signature (``r`` and low ``s``, the recovery id in the top bit
            of ``s``).
        """
        return self._key.sign(evm_personal_sign_digest(message))


def generate_wallet() -> Wallet:
    """A new Fuel wallet with a random key.

    Returns:
        The wallet.
    """
    while True:
        secret = os.urandom(32)
        if 0 < int.from_bytes(secret, "big") < SECP256K1_N:
            return Wallet(secret)


def generate_evm_wallet() -> EvmWallet:
    """A new EVM wallet with a random key.

    Returns:
        The wallet.
    """
    return EvmWallet(generate_wallet().private_key)


def generate_keypair() -> tuple[str, bytes, str]:
    """A new Fuel key pair, as o2-sdk returns it. Prefer :func:`generate_wallet`.

    Returns:
        ``(private key hex without 0x, 65-byte uncompressed public key, B256 address)``.
    """
    wallet = generate_wallet()
    return wallet.private_key.hex(), wallet.public_key, wallet.b256_address


def generate_evm_keypair() -> tuple[str, bytes, str, str]:
    """A new EVM key pair, as o2-sdk returns it. Prefer :func:`generate_evm_wallet`.

    Returns:
        ``(private key hex without 0x, 65-byte uncompressed public key, EVM address, B256
        address)``.
    """
    wallet = generate_evm_wallet()
    return (wallet.private_key.hex(), wallet.public_key, wallet.evm_address,
            wallet.b256_address)


def fuel_compact_sign(private_key_bytes: bytes, digest: bytes) -> bytes:
    """Sign a 32-byte digest as it is. Prefer :meth:`Wallet.sign_digest`.

    Args:
        private_key_bytes: the key (32 bytes, or hex).
        digest: the 32-byte digest.

    Returns:
        The 64-byte compact signature (``r`` and low ``s``, the recovery id in the top bit
        of ``s``).

    Raises:
        InvalidInput: a bad key, or a digest that is not 32 bytes.
    """
    return _SigningKey(_secret_bytes(private_key_bytes)).sign(_check_digest(digest))


def load_wallet(private_key_hex: str | bytes) -> Wallet:
    """A Fuel wallet from its private key.

    Args:
        private_key_hex: the key (hex, ``0x`` optional, or 32 bytes).

    Returns:
        The wallet.

    Raises:
        InvalidInput: not 32 bytes, or out of range for secp256k1.
    """
    return Wallet(private_key_hex)


def load_evm_wallet(private_key_hex: str | bytes) -> EvmWallet:
    """An EVM wallet from its private key.

    Args:
        private_key_hex: the key (hex, ``0x`` optional, or 32 bytes).

    Returns:
        The wallet.

    Raises:
        InvalidInput: not 32 bytes, or out of range for secp256k1.
    """
    return EvmWallet(private_key_hex)


def _normalise_address(address: str, what: str) -> str:
    return hex0x(parse_hex(address, 32, what))


class ExternalSigner:
    """A Fuel owner whose key lives elsewhere (hardware wallet, KMS, HSM).

    Each signature is checked to recover to ``b256_address`` before it is used.

    Args:
        b256_address: the owner's address (``0x`` + 64 hex digits).
        sign_digest: receives a 32-byte digest (the Fuel personal-sign digest, or a
            typed-data digest signed as it is) and returns the 64-byte compact signature
            (see :func:`to_fuel_compact_signature`).

    Raises:
        InvalidInput: a malformed address.
    """

    def __init__(self, b256_address: str, sign_digest: SignDigestFn) -> None:
        self.b256_address = _normalise_address(b256_address, "b256_address")
        self._sign_digest = sign_digest

    @property
    def address_bytes(self) -> bytes:
        """The 32-byte owner address."""
        return bytes.fromhex(self.b256_address[2:])

    def _framed_digest(self, message: bytes) -> bytes:
        return fuel_personal_sign_digest(message)

    def _signer_of(self, public_key: bytes) -> bytes:
        return fuel_address(public_key)

    def sign_digest(self, digest: bytes) -> bytes:
        """Sign a digest with the external signer, checking the result.

        Args:
            digest: the 32-byte digest.

        Returns:
            The signature, once checked to recover to the owner.

        Raises:
            InvalidInput: the digest is not 32 bytes.
            O2Error: the signer did not return 64 bytes.
            InvalidSignature: the signature does not recover to the owner (a wrong key, or a
                wrong recovery id).
        """
        digest = _check_digest(digest)
        signature = self._sign_digest(digest)
        if not isinstance(signature, (bytes, bytearray)) or len(signature) != 64:
            raise O2Error(
                "the external signer must return a 64-byte compact signature "
                "(use to_fuel_compact_signature(r, s, recovery_id))"
            )
        signature = bytes(signature)
        recovered = self._signer_of(recover_public_key(digest, signature))
        if not self.address_bytes.endswith(recovered):
            raise InvalidSignature(
                "the external signer's signature does not recover to "
                f"{self.b256_address}: wrong key, or wrong recovery id"
            )
        return signature

    def personal_sign(self, message: bytes) -> bytes:
        """Personal-sign ``message`` through the external signer.

        Args:
            message: the message (framed here: Fuel personal-sign, or EVM for an
                :class:`ExternalEvmSigner`).

        Returns:
            The checked signature.

        Raises:
            InvalidSignature: the signature does not recover to the owner.
        """
        return self.sign_digest(self._framed_digest(message))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(b256_address={self.b256_address!r})"


class ExternalEvmSigner(ExternalSigner):
    """An EVM owner whose key lives elsewhere; the SDK frames with EVM personal-sign.

    Every signature (personal-sign or typed digest) must recover to ``evm_address``.

    Args:
        b256_address: the owner's B256 address: ``evm_address`` left-padded with zeros.
        evm_address: the 20-byte EVM address.
        sign_digest: signs 32-byte digests (see :class:`ExternalSigner`).

    Raises:
        InvalidInput: malformed addresses, or a B256 address that is not the EVM address
            padded.
    """

    def __init__(self, b256_address: str, evm_address: str, sign_digest: SignDigestFn) -> None:
        super().__init__(b256_address, sign_digest)
        self.evm_address = hex0x(parse_hex(evm_address, 20, "evm_address"))
        if self.address_bytes != bytes(12) + bytes.fromhex(self.evm_address[2:]):
            raise InvalidInput("b256_address must be evm_address left-padded with 12 zero bytes")

    def _framed_digest(self, message: bytes) -> bytes:
        return evm_personal_sign_digest(message)

    def _signer_of(self, public_key: bytes) -> bytes:
        return evm_address(public_key)


def sign_typed_digest(owner: PersonalSigner, digest: bytes) -> bytes:
    """The owner's signature of a typed-data digest (no framing), checked before use.

    Args:
        owner: the owner (it must have ``sign_digest``).
        digest: the 32-byte digest.

    Returns:
        The checked 64-byte signature.

    Raises:
        InvalidInput: the digest is not 32 bytes.
        UsageError: the signer has no ``sign_digest``, or raises ``NotImplementedError``
            from it (a custom :class:`PersonalSigner`): typed operations need it.
        InvalidSignature: the signature is not 64 bytes or does not recover to the owner
            (for an EVM owner, to its EVM address).
    """
    digest = _check_digest(digest)
    method = getattr(owner, "sign_digest", None)
    if not callable(method):
        raise UsageError(
            f"{type(owner).__name__} has no sign_digest(digest): typed-data operations "
            "(the parallel withdrawal) need it; withdraw sequentially or implement it"
        )
    try:
        signature = method(digest)
    except NotImplementedError as exc:
        raise UsageError(
            f"{type(owner).__name__}.sign_digest is not implemented: typed-data operations "
            "(the parallel withdrawal) need it"
        ) from exc
    if not isinstance(signature, (bytes, bytearray)) or len(signature) != 64:
        raise InvalidSignature("sign_digest must return a 64-byte compact signature")
    signature = bytes(signature)
    if not signature_recovers_to(owner.address_bytes, digest, signature):
        raise InvalidSignature(
            f"the typed-data signature does not recover to the owner {owner.b256_address}"
        )
    return signature


def personal_sign(private_key: bytes, message: bytes) -> bytes:
    """Fuel personal-sign with a raw private key (prefer a :class:`Wallet`).

    Args:
        private_key: the key (hex, ``0x`` optional, or 32 bytes).
        message: the message.

    Returns:
        The 64-byte compact signature (``r`` and low ``s``, the recovery id in the top bit
        of ``s``).

    Raises:
        InvalidInput: not 32 bytes, or out of range for secp256k1.
    """
    return Wallet(private_key).personal_sign(message)


def evm_personal_sign(private_key: bytes, message: bytes) -> bytes:
    """EVM personal-sign with a raw private key (prefer an :class:`EvmWallet`).

    Args:
        private_key: the key (hex, ``0x`` optional, or 32 bytes).
        message: the message.

    Returns:
        The 64-byte compact signature (``r`` and low ``s``, the recovery id in the top bit
        of ``s``).

    Raises:
        InvalidInput: not 32 bytes, or out of range for secp256k1.
    """
    return EvmWallet(private_key).personal_sign(message)


def raw_sign(private_key: bytes, message: bytes) -> bytes:
    """Raw (sha256) signature with a raw private key (prefer :meth:`Wallet.raw_sign`).

    Args:
        private_key: the key (hex, ``0x`` optional, or 32 bytes).
        message: the signing bytes.

    Returns:
        The 64-byte compact signature (``r`` and low ``s``, the recovery id in the top bit
        of ``s``).

    Raises:
        InvalidInput: not 32 bytes, or out of range for secp256k1.
    """
    return Wallet(private_key).raw_sign(message)


__all__ = [
    "SECP256K1_N",
    "EvmWallet",
    "ExternalEvmSigner",
    "ExternalSigner",
    "PersonalSigner",
    "SignDigestFn",
    "Signer",
    "Wallet",
    "evm_address",
    "evm_personal_sign",
    "evm_personal_sign_digest",
    "fuel_address",
    "fuel_compact_sign",
    "fuel_personal_sign_digest",
    "generate_evm_keypair",
    "generate_evm_wallet",
    "generate_keypair",
    "generate_wallet",
    "hex0x",
    "keccak256",
    "load_evm_wallet",
    "load_wallet",
    "parse_hex",
    "personal_sign",
    "raw_digest",
    "raw_sign",
    "recover_public_key",
    "sha256",
    "sign_typed_digest",
    "signature_recovers_to",
    "split_compact_signature",
    "to_fuel_compact_signature",
]
