"""Keys, digests and compact signatures: properties, bad input, and secrets kept secret."""

from __future__ import annotations

import copy
import pickle

import coincurve
import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2_core import crypto
from o2_core.crypto import SECP256K1_N
from o2_core.errors import InvalidInput, InvalidSignature, O2Error
from o2_core.models import AddressIdentity, SessionInfo

keys = st.integers(1, SECP256K1_N - 1).map(lambda k: k.to_bytes(32, "big"))
digests = st.binary(min_size=32, max_size=32)
messages = st.binary(max_size=300)


@given(keys, digests)
def test_sign_digest_recovers_to_signer(key: bytes, digest: bytes) -> None:
    wallet = crypto.Wallet(key)
    signature = wallet.sign_digest(digest)
    assert len(signature) == 64
    assert crypto.recover_public_key(digest, signature) == wallet.public_key


@given(keys, messages)
def test_personal_and_raw_sign_recover_to_signer(key: bytes, message: bytes) -> None:
    fuel, evm = crypto.Wallet(key), crypto.EvmWallet(key)
    pub = fuel.public_key
    fuel_digest = crypto.fuel_personal_sign_digest(message)
    evm_digest = crypto.evm_personal_sign_digest(message)
    assert crypto.recover_public_key(fuel_digest, fuel.personal_sign(message)) == pub
    assert crypto.recover_public_key(evm_digest, evm.personal_sign(message)) == pub
    assert crypto.recover_public_key(crypto.sha256(message), fuel.raw_sign(message)) == pub
    # Addresses derive from the recovered key as PROTOCOL.md §2 says.
    assert fuel.b256_address == "0x" + crypto.sha256(pub[1:]).hex()
    assert evm.b256_address == "0x" + bytes(12).hex() + crypto.keccak256(pub[1:])[12:].hex()


@given(keys, digests)
def test_compact_signature_round_trip_and_high_s(key: bytes, digest: bytes) -> None:
    native = coincurve.PrivateKey(key).sign_recoverable(digest, hasher=None)
    r, s, recid = native[:32], native[32:64], native[64]
    assert int.from_bytes(s, "big") <= SECP256K1_N // 2  # libsecp256k1 signs low-s
    compact = crypto.to_fuel_compact_signature(r, s, recid)
    assert compact == crypto.Wallet(key).sign_digest(digest)  # same deterministic signature
    assert crypto.split_compact_signature(compact) == (r, s, recid)

    # A KMS may return the high-s twin: normalised back, the recovery id flips.
    high_s = (SECP256K1_N - int.from_bytes(s, "big")).to_bytes(32, "big")
    normalised = crypto.to_fuel_compact_signature(r, high_s, recid ^ 1)
    assert normalised == compact
    assert crypto.split_compact_signature(normalised)[2] == recid
    assert crypto.recover_public_key(digest, normalised) == crypto.Wallet(key).public_key


@given(digests, st.binary(min_size=64, max_size=64))
def test_recovery_of_garbage_raises_only_invalid_signature(digest: bytes, sig: bytes) -> None:
    try:
        pub = crypto.recover_public_key(digest, sig)
    except InvalidSignature:
        return
    assert len(pub) == 65 and pub[0] == 4


@given(keys, digests)
def test_wrong_recovery_id_recovers_another_key(key: bytes, digest: bytes) -> None:
    compact = bytearray(crypto.Wallet(key).sign_digest(digest))
    compact[32] ^= 0x80
    try:
        other = crypto.recover_public_key(digest, bytes(compact))
    except InvalidSignature:
        return
    assert other != crypto.Wallet(key).public_key


# --- bad input ------------------------------------------------------------------------


R = bytes.fromhex("11" * 32)
S = bytes.fromhex("22" * 32)


@pytest.mark.parametrize("recid", [2, -1, 3, 255, True, False, None, "0", 0.0])
def test_compact_signature_rejects_bad_recovery_id(recid: object) -> None:
    with pytest.raises(InvalidInput, match="recovery_id"):
        crypto.to_fuel_compact_signature(R, S, recid)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("r", "s"),
    [(R[:31], S), (R + b"\0", S), (R, S[:31]), (R, S + b"\0"), (b"", S), ("11" * 32, S), (R, None)],
)
def test_compact_signature_rejects_bad_lengths(r: object, s: object) -> None:
    with pytest.raises(InvalidInput, match="32 bytes"):
        crypto.to_fuel_compact_signature(r, s, 0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("r", "s"),
    [(bytes(32), S), (R, bytes(32)), (SECP256K1_N.to_bytes(32, "big"), S), (R, b"\xff" * 32)],
)
def test_compact_signature_rejects_out_of_range(r: bytes, s: bytes) -> None:
    with pytest.raises(InvalidInput):
        crypto.to_fuel_compact_signature(r, s, 0)


def test_split_and_recover_reject_bad_lengths() -> None:
    with pytest.raises(InvalidSignature):
        crypto.split_compact_signature(bytes(63))
    with pytest.raises(InvalidInput):
        crypto.recover_public_key(bytes(31), bytes(64))
    with pytest.raises(InvalidSignature):
        crypto.recover_public_key(bytes(32), bytes(65))
    with pytest.raises(InvalidInput):
        crypto.Wallet(b"\x01" * 32).sign_digest(bytes(33))


SECRET_HEX = "5f" * 31 + "a1"
BAD_KEYS: list[object] = [
    "0x" + SECRET_HEX[:-2],  # 31 bytes
    "0x" + SECRET_HEX + "ab",  # 33 bytes
    SECRET_HEX[:-1],  # odd length
    "0x" + SECRET_HEX[:-2] + "zz",  # not hex
    "0x" + "00" * 32,  # zero
    "0x" + SECP256K1_N.to_bytes(32, "big").hex(),  # == n
    "0x" + "ff" * 32,  # > n
    bytes.fromhex(SECRET_HEX)[:31],
    bytes.fromhex(SECRET_HEX) + b"\x01",
    bytes(32),
    int(SECRET_HEX, 16),
    None,
]


@pytest.mark.parametrize("cls", [crypto.Wallet, crypto.EvmWallet])
@pytest.mark.parametrize("key", BAD_KEYS, ids=range(len(BAD_KEYS)))
def test_bad_private_keys_are_rejected_without_echoing_them(cls: type, key: object) -> None:
    with pytest.raises(InvalidInput) as info:
        cls(key)
    text = str(info.value) + repr(info.value) + repr(info.value.args)
    assert SECRET_HEX[:16] not in text.lower()
    if isinstance(key, str):
        assert key.removeprefix("0x").lower()[:20] not in text.lower()
    assert info.value.__cause__ is None or SECRET_HEX[:16] not in str(info.value.__cause__)


def test_keys_at_the_range_limits_are_accepted() -> None:
    assert crypto.Wallet((1).to_bytes(32, "big")).public_key[0] == 4
    assert crypto.Wallet((SECP256K1_N - 1).to_bytes(32, "big")).public_key[0] == 4
    assert crypto.Wallet("0X" + SECRET_HEX.upper()).private_key == bytes.fromhex(SECRET_HEX)


@pytest.mark.parametrize("value", ["0xzz", "0x123", 5, None])
def test_parse_hex_rejects(value: object) -> None:
    with pytest.raises(InvalidInput):
        crypto.parse_hex(value)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="32 bytes"):
        crypto.parse_hex("0x" + "00" * 31, 32, "asset")


# --- secrets --------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [crypto.Wallet, crypto.EvmWallet])
def test_wallet_never_shows_its_key(cls: type) -> None:
    wallet = cls("0x" + SECRET_HEX)
    for text in (repr(wallet), str(wallet), f"{wallet}", repr(wallet._key), repr([wallet])):
        assert SECRET_HEX not in text.lower()
        assert SECRET_HEX[:16] not in text.lower()
    assert wallet.b256_address in repr(wallet)
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(wallet)
    with pytest.raises(TypeError):
        copy.copy(wallet)


def test_session_info_never_shows_the_session_key() -> None:
    wallet = crypto.Wallet("0x" + SECRET_HEX)
    info = SessionInfo(
        session_id=AddressIdentity(wallet.b256_address),
        trade_account_id="0x" + "01" * 32,
        contract_ids=["0x" + "02" * 32],
        session_expiry=2_000_000_000,
        session_wallet=wallet,
        owner_address="0x" + "03" * 32,
    )
    assert SECRET_HEX not in repr(info).lower()
    assert SECRET_HEX not in str(info).lower()
    assert info.session_private_key == bytes.fromhex(SECRET_HEX)
    assert info.session_address == wallet.b256_address
    assert info.is_expired(now=2_000_000_000) and not info.is_expired(now=1_999_999_999)


# --- external signers -----------------------------------------------------------------


def _kms(key: bytes, *, high_s: bool = False):  # type: ignore[no-untyped-def]
    native = coincurve.PrivateKey(key)

    def sign(digest: bytes) -> bytes:
        sig = native.sign_recoverable(digest, hasher=None)
        r, s, recid = sig[:32], sig[32:64], sig[64]
        if high_s:
            s = (SECP256K1_N - int.from_bytes(s, "big")).to_bytes(32, "big")
            recid ^= 1
        return crypto.to_fuel_compact_signature(r, s, recid)

    return sign


@given(keys, messages, st.booleans())
def test_external_signers_match_wallets(key: bytes, message: bytes, high_s: bool) -> None:
    fuel, evm = crypto.Wallet(key), crypto.EvmWallet(key)
    shouted = fuel.b256_address.upper().replace("0X", "0x")
    ext = crypto.ExternalSigner(shouted, _kms(key, high_s=high_s))
    assert ext.b256_address == fuel.b256_address
    assert ext.personal_sign(message) == fuel.personal_sign(message)
    ext_evm = crypto.ExternalEvmSigner(evm.b256_address, evm.evm_address, _kms(key, high_s=high_s))
    assert ext_evm.personal_sign(message) == evm.personal_sign(message)
    assert isinstance(ext, crypto.Signer) and isinstance(fuel, crypto.Signer)


def test_external_signer_checks_what_it_gets() -> None:
    key, other = b"\x07" * 32, b"\x08" * 32
    owner = crypto.Wallet(key).b256_address
    with pytest.raises(InvalidSignature, match="does not recover"):
        crypto.ExternalSigner(owner, _kms(other)).personal_sign(b"hello")
    with pytest.raises(O2Error, match="64-byte"):
        crypto.ExternalSigner(owner, lambda d: b"\x01" * 65).personal_sign(b"hello")
    with pytest.raises(InvalidInput):
        crypto.ExternalSigner("0x1234", _kms(key))
    evm = crypto.EvmWallet(key)
    with pytest.raises(InvalidInput, match="left-padded"):
        crypto.ExternalEvmSigner("0x" + "11" * 32, evm.evm_address, _kms(key))


def test_generated_wallets_are_valid_and_distinct() -> None:
    a, b = crypto.generate_wallet(), crypto.generate_evm_wallet()
    assert a.b256_address != b.b256_address
    assert crypto.recover_public_key(bytes(32), a.sign_digest(bytes(32))) == a.public_key
    assert b.b256_address.startswith("0x" + "00" * 12)
