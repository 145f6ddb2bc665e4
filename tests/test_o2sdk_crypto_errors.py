"""o2-sdk 0.5.0's key-pair helpers, ``fuel_compact_sign``, ``ERROR_CODE_MAP`` and
``raise_for_error`` under o2_core, against the installed official functions."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from o2_sdk import crypto as official_crypto
from o2_sdk import errors as official_errors

from o2_core import crypto, errors
from o2_core.errors import (
    ERROR_CODES,
    InternalRevert,
    InvalidInput,
    O2Error,
    OnChainRevert,
    RateLimitExceeded,
    error_from_body,
    raise_for_error,
)
from o2_core.onchain_revert import is_selector_mismatch_revert

KEYS = st.integers(1, crypto.SECP256K1_N - 1).map(lambda k: k.to_bytes(32, "big"))
DIGESTS = st.binary(min_size=32, max_size=32)


@given(KEYS, DIGESTS)
def test_fuel_compact_sign_is_the_official_signature(key: bytes, digest: bytes) -> None:
    signature = crypto.fuel_compact_sign(key, digest)
    assert signature == official_crypto.fuel_compact_sign(key, digest)  # RFC 6979: same bytes
    assert signature == crypto.load_wallet(key).sign_digest(digest)
    assert crypto.recover_public_key(digest, signature) == crypto.load_wallet(key).public_key


def test_fuel_compact_sign_rejects_bad_input_without_echoing_the_key() -> None:
    with pytest.raises(InvalidInput) as bad_key:
        crypto.fuel_compact_sign(b"\x07" * 31, bytes(32))
    assert "07" * 31 not in str(bad_key.value)
    with pytest.raises(InvalidInput, match="32 bytes"):
        crypto.fuel_compact_sign(b"\x07" * 32, b"short")


def test_generate_keypair_has_the_official_shape() -> None:
    secret_hex, public_key, address = crypto.generate_keypair()
    ref = official_crypto.generate_keypair()
    assert [type(x) for x in (secret_hex, public_key, address)] == [type(x) for x in ref]
    assert len(secret_hex) == 64 and not secret_hex.startswith("0x")
    assert len(public_key) == 65 and public_key[0] == 4
    assert address == "0x" + hashlib.sha256(public_key[1:]).hexdigest()
    wallet = crypto.load_wallet(secret_hex)
    assert (wallet.public_key, wallet.b256_address) == (public_key, address)
    assert official_crypto.load_wallet(secret_hex).b256_address == address
    assert crypto.generate_keypair()[0] != secret_hex


def test_generate_evm_keypair_has_the_official_shape() -> None:
    secret_hex, public_key, evm_address, b256 = crypto.generate_evm_keypair()
    assert len(official_crypto.generate_evm_keypair()) == 4
    assert len(secret_hex) == 64 and len(public_key) == 65
    assert evm_address == "0x" + crypto.keccak256(public_key[1:])[-20:].hex()
    assert b256 == "0x" + "00" * 12 + evm_address[2:]
    ref = official_crypto.load_evm_wallet(secret_hex)
    assert (ref.evm_address, ref.b256_address) == (evm_address, b256)


# --- errors ------------------------------------------------------------------------------


def test_error_code_map_is_our_table_with_the_official_codes() -> None:
    assert errors.ERROR_CODE_MAP is ERROR_CODES
    assert set(ERROR_CODES) == set(official_errors.ERROR_CODE_MAP)
    for code, cls in ERROR_CODES.items():
        assert cls.__name__ == official_errors.ERROR_CODE_MAP[code].__name__


REVERT_REASON = (
    'Transaction a432 failed with logs: LogResult { results: [Ok("OrderPartiallyFilled")] } '
    "and error: transaction reverted: Revert(18446744073709486080), receipts: []"
)
BODIES: list[dict[str, Any]] = [
    {"code": 1003, "message": "Rate limit exceeded"},
    {"code": 4001, "message": "session gone"},
    {"code": 4001},
    {"code": 9999, "message": "new code"},
    {"message": "Something went wrong", "reason": "out of gas"},
    {"error": "plain error"},
    {"message": "Failed to process transaction", "reason": REVERT_REASON, "receipts": None},
    {"message": "Failed to process transaction", "receipts": [{"Revert": {"ra": 123}}]},
]


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_raise_for_error_raises_the_official_kind_through_our_one_classifier(
    body: dict[str, Any],
) -> None:
    with pytest.raises(official_errors.O2Error) as theirs:
        official_errors.raise_for_error(body)
    with pytest.raises(O2Error) as ours:
        raise_for_error(body)
    assert type(ours.value).__name__ == type(theirs.value).__name__ or (
        type(theirs.value) is official_errors.O2Error and type(ours.value) is errors.ApiError
    )  # an unknown code: ours is ApiError, an O2Error subclass
    assert ours.value.code == theirs.value.code
    assert ours.value.message == theirs.value.message
    # exactly what the reply classifier makes of the same body (a body without any
    # message gets o2-sdk's "Unknown error" rather than an HTTP status it never had)
    said = body.get("message") or body.get("error")
    text = body if said else {**body, "message": "Unknown error"}
    same = error_from_body(400, json.dumps(text).encode())
    assert type(same) is type(ours.value) and str(same) == str(ours.value)


def test_raise_for_error_passes_success_and_silent_bodies() -> None:
    for body in ({"tx_id": "0x" + "ab" * 32}, {}, {"orders": []}, {"tx_id": None, "code": 1}):
        official_errors.raise_for_error(body)
        assert raise_for_error(body) is None


def test_raise_for_error_decodes_an_on_chain_revert() -> None:
    with pytest.raises(OnChainRevert) as caught:
        raise_for_error({"message": "Failed to process transaction", "reason": REVERT_REASON})
    assert "OrderPartiallyFilled" in str(caught.value.reason)
    assert str(caught.value).startswith("On-chain revert:")
    assert caught.value.raw_reason == REVERT_REASON
    assert not is_selector_mismatch_revert(caught.value)
    with pytest.raises(InternalRevert):  # code 1000 with on-chain evidence: both at once
        raise_for_error({"code": 1000, "message": "Revert", "reason": REVERT_REASON})


def test_raise_for_error_rate_limit_and_bad_argument() -> None:
    with pytest.raises(RateLimitExceeded):
        raise_for_error({"code": 1003})
    with pytest.raises(InvalidInput):
        raise_for_error(["not", "a", "dict"])  # type: ignore[arg-type]
