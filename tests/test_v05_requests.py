"""The 0.5.0 request builders and parsers: parallel bodies, the window, the upgrade."""

from __future__ import annotations

import json

import pytest
import wire_bodies
from hypothesis import given
from hypothesis import strategies as st

from o2_core import actions, crypto, encoding, http, replies
from o2_core import models as m
from o2_core.errors import (
    InvalidInput,
    InvalidRequest,
    OnChainRevert,
    ProtocolError,
    UsageError,
)
from o2_core.nonce import ParallelNonce, ParallelNonceError, WindowResponse, WindowSlot
from o2_core.onchain_revert import is_no_upgrade_available

BASE = "https://api.o2.test"
OWNER = crypto.Wallet("0x" + "11" * 32)
EVM_OWNER = crypto.EvmWallet("0x" + "33" * 32)
SESSION = crypto.Wallet("0x" + "22" * 32)
ACCOUNT = "0x" + "ab" * 32
ASSET = "0x" + "f6" * 32
CTX = actions.MarketContext(
    market_id="0x" + "99" * 32, contract_id=bytes.fromhex("9a" * 32),
    base_asset=bytes.fromhex("a1" * 32), quote_asset=bytes.fromhex("f6" * 32),
    base_factor=10**9, accounts_registry=bytes.fromhex("22" * 32),
)
PARALLEL = ParallelNonce(nonce_session_id=1, timestamp=1_900_000_120, word_position=3,
                         bitmap_position=126)


def session() -> m.SessionInfo:
    return m.SessionInfo(m.AddressIdentity(SESSION.b256_address), ACCOUNT, [CTX.market_id],
                         1_902_592_000, SESSION, OWNER.b256_address)


def groups() -> list[actions.PreparedGroup]:
    return [actions.PreparedGroup(CTX.market_id, (actions.settle_balance(CTX, ACCOUNT),))]


# --- encoding -------------------------------------------------------------------------------


def test_u256() -> None:
    assert encoding.u256(0) == bytes(32)
    assert encoding.u256(2**256 - 1) == b"\xff" * 32
    for bad in (-1, 2**256, True, 1.0, "1"):
        with pytest.raises(InvalidInput):
            encoding.u256(bad)  # type: ignore[arg-type]


calls = st.lists(
    st.builds(encoding.Call, st.binary(min_size=32, max_size=32),
              st.sampled_from([encoding.SELECTOR_SETTLE_BALANCE, encoding.SELECTOR_CANCEL_ORDER]),
              st.integers(0, 2**64 - 1), st.binary(min_size=32, max_size=32),
              st.none() | st.binary(max_size=40), gas=st.just(encoding.GAS_MAX)),
    max_size=5,
)


@given(st.integers(0, 2**64 - 1), st.integers(0, 2**256 - 1), calls)
def test_parallel_bytes_differ_from_sequential_only_in_the_nonce(
    seq: int, par: int, batch: list[encoding.Call]
) -> None:
    sequential = encoding.actions_signing_bytes(seq, batch)
    parallel = encoding.parallel_actions_signing_bytes(par, batch)
    assert parallel[:32] == par.to_bytes(32, "big")
    assert parallel[32:] == sequential[8:]


def test_owner_action_bytes() -> None:
    raw = encoding.owner_action_signing_bytes(7, 9889, "fn", b"\x01\x02")
    assert raw == (7).to_bytes(8, "big") + (9889).to_bytes(8, "big") + (2).to_bytes(8, "big") + (
        b"fn\x01\x02")
    assert encoding.owner_action_signing_bytes(7, 9889, b"fn", b"\x01\x02") == raw
    assert encoding.set_proxy_signing_bytes(1, 2) == encoding.owner_action_signing_bytes(
        1, 2, encoding.SET_PROXY_FN_NAME)
    with pytest.raises(InvalidInput):
        encoding.set_proxy_signing_bytes(-1, 2)


# --- bodies -------------------------------------------------------------------------------


def test_parallel_actions_body_shape_and_decoding() -> None:
    body = actions.parallel_actions_body(groups(), PARALLEL, session(), True)
    assert list(json.loads(body)) == ["actions", "signature", "parallel_nonce",
                                      "trade_account_id", "session_id", "collect_orders"]
    decoded = m.decode(body, wire_bodies.ParallelActionsBody)
    assert decoded.parallel_nonce == PARALLEL.encode()
    signing = actions.parallel_actions_signing_bytes(PARALLEL, groups())
    assert crypto.recover_public_key(
        crypto.sha256(signing), bytes.fromhex(decoded.signature.Secp256k1[2:])
    ) == SESSION.public_key
    assert body == actions.parallel_actions_body(groups(), PARALLEL.encode(), session(), True)


@pytest.mark.parametrize("bad", [-1, 1 << 176, 128, 5 << 168, True])
def test_an_invalid_parallel_nonce_is_refused_before_signing(bad: int) -> None:
    with pytest.raises(ParallelNonceError):
        actions.parallel_actions_body(groups(), bad, session(), True)
    with pytest.raises(ParallelNonceError):
        actions.parallel_withdraw_body(OWNER, ACCOUNT, m.AddressIdentity(OWNER.b256_address),
                                       ASSET, 1, bad, 9889)


def test_parallel_withdraw_body() -> None:
    to = m.ContractIdentity("0x" + "77" * 32)
    body = actions.parallel_withdraw_body(EVM_OWNER, ACCOUNT, to, ASSET, 10, PARALLEL, 9889)
    decoded = m.decode(body, wire_bodies.ParallelWithdrawBody)
    assert list(json.loads(body)) == ["trade_account_id", "signature", "parallel_nonce", "to",
                                      "asset_id", "amount"]
    digest = actions.parallel_withdraw_digest_of(EVM_OWNER.b256_address, ACCOUNT, to, ASSET, 10,
                                                 PARALLEL, 9889)
    signature = bytes.fromhex(decoded.signature.TypedSecp256k1[2:])
    assert crypto.hex0x(crypto.evm_address(crypto.recover_public_key(digest, signature))) == (
        EVM_OWNER.evm_address)
    assert (decoded.to, decoded.amount, decoded.parallel_nonce) == (to, 10, PARALLEL.encode())
    for amount in (0, -1, True):
        with pytest.raises(InvalidInput, match="positive"):
            actions.parallel_withdraw_body(OWNER, ACCOUNT, to, ASSET, amount, PARALLEL, 9889)
    with pytest.raises(InvalidInput, match="64-bit"):
        actions.parallel_withdraw_body(OWNER, ACCOUNT, to, ASSET, 1 << 64, PARALLEL, 9889)


class PersonalOnly:
    b256_address = OWNER.b256_address
    address_bytes = OWNER.address_bytes

    def personal_sign(self, message: bytes) -> bytes:
        return OWNER.personal_sign(message)


def test_a_personal_sign_only_signer() -> None:
    """Works for the upgrade (personal-sign); refused for the typed parallel withdrawal."""
    body = actions.upgrade_body(PersonalOnly(), ACCOUNT, 7, 9889)
    assert body == actions.upgrade_body(OWNER, ACCOUNT, 7, 9889)
    with pytest.raises(UsageError, match="sign_digest"):
        actions.parallel_withdraw_body(PersonalOnly(), ACCOUNT,
                                       m.AddressIdentity(OWNER.b256_address), ASSET, 1,
                                       PARALLEL, 9889)


def test_upgrade_body() -> None:
    body = actions.upgrade_body(OWNER, ACCOUNT, 7, 9889)
    decoded = m.decode(body, wire_bodies.UpgradeBody)
    assert list(json.loads(body)) == ["trade_account_id", "nonce", "signature"]
    assert decoded.nonce == 7
    assert decoded.signature.Secp256k1 == crypto.hex0x(
        OWNER.personal_sign(encoding.set_proxy_signing_bytes(7, 9889)))


# --- requests and replies -----------------------------------------------------------------


def test_window_request() -> None:
    request = http.get_accounts_window(BASE, ACCOUNT, 3)
    assert request.method == "GET" and request.body is None and request.idempotent
    assert request.url == f"{BASE}/v1/accounts/window?trade_account_id={ACCOUNT}&nonce_session_id=3"
    assert "o2-owner-id" not in dict(request.headers)
    for lane in (-1, 5, True):
        with pytest.raises(ParallelNonceError):
            http.get_accounts_window(BASE, ACCOUNT, lane)
    with pytest.raises(InvalidInput):
        http.get_accounts_window(BASE, "0x1234", 0)


def test_upgrade_request() -> None:
    request = http.post_upgrade(BASE, OWNER.b256_address, b"{}")
    assert (request.method, request.url, request.body) == ("POST", BASE + "/v1/accounts/upgrade",
                                                           b"{}")
    assert dict(request.headers)["o2-owner-id"] == OWNER.b256_address
    assert request.idempotent  # the official SDK's 3-attempt policy


def test_parse_window() -> None:
    reply = b'{"nonce_session_id":"1","base":"3","slots":[{"word_position":"3","bitmap":"7"}]}'
    window = replies.parse_accounts_window(http.Response(200, reply))
    assert window == WindowResponse(1, 3, (WindowSlot(3, 7),))
    with pytest.raises(ProtocolError):
        replies.parse_accounts_window(http.Response(200, b"not json"))
    with pytest.raises(ProtocolError):
        replies.parse_accounts_window(http.Response(200, b"[1, 2]"))
    with pytest.raises(ProtocolError):
        replies.parse_accounts_window(http.Response(200, b'{"base": "0"}'))
    with pytest.raises(InvalidRequest):
        replies.parse_accounts_window(http.Response(400, b'{"code": 1001, "message": "bad"}'))


def test_parse_upgrade() -> None:
    tx = "0x" + "cd" * 32
    assert replies.parse_upgrade(http.Response(200, json.dumps({"tx_id": tx}).encode())) == tx
    with pytest.raises(ProtocolError):
        replies.parse_upgrade(http.Response(200, b"{}"))
    no_upgrade = {"message": "Failed to process transaction",
                  "reason": 'Revert: require failed with "No upgrade available"'}
    with pytest.raises(OnChainRevert) as info:
        replies.parse_upgrade(http.Response(400, json.dumps(no_upgrade).encode()))
    assert is_no_upgrade_available(info.value)
