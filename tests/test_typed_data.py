"""Typed-data owner signatures (PROTOCOL_V05 §2): SRC-16 / EIP-712 and sign_digest."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2_core import crypto, typed_data
from o2_core.errors import InvalidInput, InvalidSignature, UsageError
from o2_core.typed_data import (
    EIP712,
    SRC16,
    eip712_domain_separator,
    is_evm_owner,
    parallel_withdraw_digest,
    parallel_withdraw_struct_hash,
    parallel_withdraw_struct_preimage,
    src16_domain_separator,
    typed_digest,
)

CHAIN = 9889
CONTRACT = bytes.fromhex("33" * 32)
TO = bytes.fromhex("44" * 32)
ASSET = bytes.fromhex("55" * 32)
NONCE = (2 << 168) | (1_900_000_000 << 136) | (5 << 8) | 10
FUEL_OWNER = bytes.fromhex("11" * 32)
EVM_OWNER = bytes(12) + bytes.fromhex("22" * 20)


def test_the_reconstructed_type_strings_hash_to_the_sdk_constants() -> None:
    assert typed_data.SRC16_PARALLEL_WITHDRAW_TYPE_HASH.hex() == (
        "95a9c4c23dd3607b14ecdc67fcc42946f61a4f1d153dc7dfbd77ca6c2af1c6f6"
    )
    assert typed_data.EIP712_PARALLEL_WITHDRAW_TYPE_HASH.hex() == (
        "7d2e70c357f073fd00c187b1871bf74c440ec8303b435f001d884d6ffd77ca1c"
    )
    assert typed_data.SRC16_DOMAIN_TYPE_HASH.hex() == (
        "95a8ac61c3ae27c1ba91e6d63dce4b6cfa22e3fba0c6f966970dbcffd8450412"
    )
    assert typed_data.EIP712_DOMAIN_TYPE_HASH.hex() == (
        "599a80fcaa47b95e2323ab4d34d34e0cc9feda4b843edafcc30c7bdf60ea15bf"
    )
    assert (typed_data.TRADE_ACCOUNT_DOMAIN, typed_data.TRADE_ACCOUNT_VERSION) == (
        "TradeAccount", "2")
    assert (SRC16, EIP712) == ("src16", "eip712")


def test_the_sdk_goldens() -> None:
    assert src16_domain_separator(CHAIN, CONTRACT).hex() == (
        "e642a737af80566f0757786406caeacdd950a75f7c56f5b29f256701039b7d1a"
    )
    assert eip712_domain_separator(CHAIN).hex() == (
        "9e3b0972fd54906177c2e9f72a9413582744a5a74fb3ca6a38364e8ceb09e61b"
    )
    common = {"chain_id": CHAIN, "verifying_contract": CONTRACT, "nonce": NONCE, "to": TO,
              "amount": 123_456_789, "asset_id": ASSET}
    assert parallel_withdraw_digest(owner_b256=FUEL_OWNER, **common).hex() == (
        "992024613b5f5727386f192b6f6a0da3c5fd5ce455d1dad491ba98e425e8281c"
    )
    assert parallel_withdraw_digest(owner_b256=EVM_OWNER, **common).hex() == (
        "750f21e1677c611e6b4a659b1a4102c005ccc6f54970e29aa2fb775d3c1cd0d8"
    )


def test_layouts() -> None:
    pre = parallel_withdraw_struct_preimage(encoding=SRC16, nonce=NONCE, to=TO, amount=7,
                                            asset_id=ASSET)
    assert len(pre) == 160
    assert pre == (typed_data.SRC16_PARALLEL_WITHDRAW_TYPE_HASH + NONCE.to_bytes(32, "big") + TO
                   + (7).to_bytes(32, "big") + ASSET)
    assert parallel_withdraw_struct_hash(encoding=SRC16, nonce=NONCE, to=TO, amount=7,
                                         asset_id=ASSET) == typed_data.keccak256(pre)
    assert typed_data.eip712_salt(CHAIN) == bytes(24) + CHAIN.to_bytes(8, "big")
    assert typed_digest(CONTRACT, TO) == typed_data.keccak256(b"\x19\x01" + CONTRACT + TO)


def test_owner_kind() -> None:
    assert is_evm_owner(EVM_OWNER) and is_evm_owner(bytes(32))
    assert not is_evm_owner(FUEL_OWNER)
    assert not is_evm_owner(bytes(20))  # not 32 bytes
    assert not is_evm_owner(bytes(11) + b"\x01" + bytes(20))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: parallel_withdraw_struct_hash(encoding="bad", nonce=1, to=TO, amount=1,
                                               asset_id=ASSET), "unknown typed-data encoding: bad"),
        (lambda: parallel_withdraw_struct_hash(encoding=SRC16, nonce=1, to=b"short", amount=1,
                                               asset_id=ASSET), "to must be 32 bytes, got 5"),
        (lambda: parallel_withdraw_struct_hash(encoding=EIP712, nonce=1, to=TO, amount=1,
                                               asset_id=bytes(31)),
         "asset_id must be 32 bytes, got 31"),
        (lambda: parallel_withdraw_struct_hash(encoding=SRC16, nonce=1 << 256, to=TO, amount=1,
                                               asset_id=ASSET),
         "nonce must fit in an unsigned 256-bit integer"),
        (lambda: parallel_withdraw_struct_hash(encoding=SRC16, nonce=-1, to=TO, amount=1,
                                               asset_id=ASSET),
         "nonce must fit in an unsigned 256-bit integer"),
        (lambda: parallel_withdraw_struct_hash(encoding=SRC16, nonce=1, to=TO, amount=1 << 64,
                                               asset_id=ASSET),
         "amount must fit in an unsigned 64-bit integer"),
        (lambda: parallel_withdraw_struct_hash(encoding=SRC16, nonce=1, to=TO, amount=True,
                                               asset_id=ASSET),
         "amount must fit in an unsigned 64-bit integer"),
        (lambda: eip712_domain_separator(1 << 64),
         "chain_id must fit in an unsigned 64-bit integer"),
        (lambda: src16_domain_separator(-1, CONTRACT),
         "chain_id must fit in an unsigned 256-bit integer"),
        (lambda: src16_domain_separator(1, CONTRACT[:5]),
         "verifying_contract must be 32 bytes, got 5"),
        (lambda: typed_digest(bytes(32), "x" * 32),  # type: ignore[arg-type]
         "struct_hash must be 32 bytes, got str"),
        (lambda: parallel_withdraw_digest(owner_b256=bytes(20), chain_id=1,
                                          verifying_contract=CONTRACT, nonce=1, to=TO, amount=1,
                                          asset_id=ASSET), "owner_b256 must be 32 bytes, got 20"),
    ],
)
def test_out_of_range_inputs(call: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        call()
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)  # as the official SDK's ValueError


b32 = st.binary(min_size=32, max_size=32)
owners = st.one_of(b32, b32.map(lambda b: bytes(12) + b[12:]))


@given(owners, st.integers(0, 2**64 - 1), b32, st.integers(0, 2**256 - 1), b32,
       st.integers(0, 2**64 - 1), b32)
def test_digests_match_the_official_sdk(
    owner: bytes, chain: int, contract: bytes, nonce: int, to: bytes, amount: int, asset: bytes
) -> None:
    from o2_sdk import typed_data as official

    args = {"owner_b256": owner, "chain_id": chain, "verifying_contract": contract,
            "nonce": nonce, "to": to, "amount": amount, "asset_id": asset}
    assert parallel_withdraw_digest(**args) == official.parallel_withdraw_digest(**args)
    assert src16_domain_separator(chain, contract) == official.src16_domain_separator(
        chain, contract)
    assert eip712_domain_separator(chain) == official.eip712_domain_separator(chain)


def test_every_official_public_name_is_importable() -> None:
    import o2_sdk.typed_data as official

    names = {n for n, v in vars(official).items()
             if not n.startswith("_") and n != "annotations" and not isinstance(v, ModuleType)
             and getattr(v, "__module__", "o2_sdk.typed_data") == "o2_sdk.typed_data"}
    assert {"parallel_withdraw_digest", "SRC16", "keccak256"} <= names
    assert names <= set(typed_data.__all__)


# --- sign_digest on every signer -----------------------------------------------------------

KEY = "0x" + "11" * 32
DIGEST = parallel_withdraw_digest(owner_b256=FUEL_OWNER, chain_id=CHAIN,
                                  verifying_contract=CONTRACT, nonce=NONCE, to=TO, amount=1,
                                  asset_id=ASSET)


def _kms(key: str) -> Any:
    wallet = crypto.Wallet(key)
    return wallet.sign_digest


def test_every_signer_signs_digests_as_they_are() -> None:
    fuel, evm = crypto.Wallet(KEY), crypto.EvmWallet(KEY)
    external = crypto.ExternalSigner(fuel.b256_address, _kms(KEY))
    external_evm = crypto.ExternalEvmSigner(evm.b256_address, evm.evm_address, _kms(KEY))
    expected = fuel.sign_digest(DIGEST)
    for signer in (fuel, evm, external, external_evm):
        assert isinstance(signer, crypto.Signer) and isinstance(signer, crypto.PersonalSigner)
        assert signer.sign_digest(DIGEST) == expected  # no framing: the same key, same bytes
        assert crypto.sign_typed_digest(signer, DIGEST) == expected
    # For an EVM owner the signature recovers to its EVM address (not a Fuel address).
    public_key = crypto.recover_public_key(DIGEST, expected)
    assert crypto.hex0x(crypto.evm_address(public_key)) == evm.evm_address
    assert crypto.signature_recovers_to(evm.address_bytes, DIGEST, expected)
    assert crypto.signature_recovers_to(fuel.address_bytes, DIGEST, expected)
    assert not crypto.signature_recovers_to(bytes(32), DIGEST, expected)
    assert not crypto.signature_recovers_to(fuel.address_bytes, DIGEST, bytes(64))


def test_external_signers_check_typed_signatures() -> None:
    evm = crypto.EvmWallet(KEY)
    wrong = _kms("0x" + "22" * 32)
    with pytest.raises(InvalidSignature):
        crypto.ExternalEvmSigner(evm.b256_address, evm.evm_address, wrong).sign_digest(DIGEST)
    with pytest.raises(InvalidSignature):
        crypto.ExternalSigner(crypto.Wallet(KEY).b256_address, wrong).sign_digest(DIGEST)


class PersonalOnly:
    """A custom signer from before typed data: no sign_digest."""

    def __init__(self) -> None:
        self._wallet = crypto.Wallet(KEY)
        self.b256_address = self._wallet.b256_address

    @property
    def address_bytes(self) -> bytes:
        return self._wallet.address_bytes

    def personal_sign(self, message: bytes) -> bytes:
        return self._wallet.personal_sign(message)


class Refuses(PersonalOnly):
    def sign_digest(self, digest: bytes) -> bytes:
        raise NotImplementedError


class SignsWrong(PersonalOnly):
    def sign_digest(self, digest: bytes) -> bytes:
        return crypto.Wallet("0x" + "22" * 32).sign_digest(digest)


class SignsShort(PersonalOnly):
    def sign_digest(self, digest: bytes) -> bytes:
        return b"\x01" * 65


def test_custom_signers_without_typed_support() -> None:
    plain = PersonalOnly()
    assert isinstance(plain, crypto.PersonalSigner) and not isinstance(plain, crypto.Signer)
    with pytest.raises(UsageError, match="has no sign_digest"):
        crypto.sign_typed_digest(plain, DIGEST)
    with pytest.raises(UsageError, match="not implemented"):
        crypto.sign_typed_digest(Refuses(), DIGEST)
    with pytest.raises(InvalidSignature, match="does not recover to the owner"):
        crypto.sign_typed_digest(SignsWrong(), DIGEST)
    with pytest.raises(InvalidSignature, match="64-byte"):
        crypto.sign_typed_digest(SignsShort(), DIGEST)
    with pytest.raises(InvalidInput, match="32 bytes"):
        crypto.sign_typed_digest(crypto.Wallet(KEY), DIGEST[:31])
