"""Keys, addresses, digests and Fuel compact signatures (PROTOCOL.md §2).

Signing holds a cached libsecp256k1 key (coincurve): building the key object once per
wallet instead of once per signature halves the cost of a signature. eth-keys is the key
model's pure-Python fallback when coincurve is not importable. No private key ever
appears in a ``repr``, ``str``, log line or exception message.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from Crypto.Hash import keccak as _keccak

from .errors import InvalidInput, InvalidSignature, O2Error, UsageError

_coincurve: Any
try:  # pragma: no branch - the fast path is the normal one
    import coincurve

    _coincurve = coincurve
except ImportError:  # pragma: no cover - exercised only where coincurve is missing
    _coincurve = None

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HALF_N = SECP256K1_N // 2
_HEX_RE = re.compile(r"(?:0[xX])?([0-9a-fA-F]*)\Z")

SignDigestFn = Callable[[bytes], bytes]
"""An external signer, which receives a 32-byte digest and returns a 64-byte compact
signature."""


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


def _secret_bytes(private_key: str | bytes) -> bytes:
    # Never echo the value: it is a secret.
    if isinstance(private_key, str):
        match = _HEX_RE.match(private_key.strip())
        if match is None or len(match.group(1)) != 64:
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


# --- compact signatures ----------------------------------------------------------------


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


def hex0x(raw: bytes) -> str:
    """``0x`` + lowercase hex.

    Args:
        raw: the bytes.

    Returns:
        The text.
    """
    return "0x" + raw.hex()


# --- the signing key -----------------------------------------------------------------


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
