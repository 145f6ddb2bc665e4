"""The parallel nonce track of the local exchange (PROTOCOL_V05 §1-§3).

Session batches and withdrawals signed at a parallel nonce, each rejection with its exact
text, the window reply, the sliding window, out-of-order use within a lane, typed-data
withdrawals (Fuel and EVM owners), legacy accounts reverting with ``Revert(123)`` until
upgraded, and ``"No upgrade available"``. Requests are built with the core's builders, as
a client would send them; replies are checked as bytes and through the core's readers and
classifiers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o2_core import actions as act
from o2_core import crypto, http
from o2_core import models as m
from o2_core.errors import OnChainRevert, error_from_body
from o2_core.nonce import (
    is_nonce_rejection,
    is_parallel_nonce_already_used,
    is_parallel_nonce_out_of_window,
)
from o2_core.onchain_revert import is_no_upgrade_available, is_selector_mismatch_revert
from o2_core.parallel_nonce import ParallelNonce, WindowResponse
from o2_core.sim import LaneWindow, SimError, default_config
from o2_core.sim.nonces import ParallelSlot

from .conftest import BASE, FUEL, P, Sim, Trader, body

PREFIX = "Parallel nonce is not usable: "
BAD_OWNER = "Invalid signature: it does not recover to the account owner"


# --- helpers -------------------------------------------------------------------------------


def pn(sim: Sim, word: int, bit: int, lane: int = 0, ttl: int = 120) -> int:
    """A packed parallel nonce expiring ``ttl`` seconds from the exchange's clock."""
    return ParallelNonce(lane, int(sim.clock.now) + ttl, word, bit).encode()


def par_request(
    sim: Sim, trader: Trader, actions: Sequence[act.PreparedAction], packed: int, pair: str = P
) -> http.Request:
    groups = [act.PreparedGroup(str(sim.by_pair[pair].market_id), tuple(actions))]
    assert trader.session is not None
    payload = act.parallel_actions_body(groups, packed, trader.session, True)
    return http.post_actions(BASE, trader.owner.b256_address, payload)


def par_submit(
    sim: Sim, trader: Trader, actions: Sequence[act.PreparedAction], packed: int
) -> http.Response:
    return sim.send(par_request(sim, trader, actions, packed))


def par_withdraw(
    sim: Sim,
    trader: Trader,
    amount: int,
    packed: int,
    owner: Any = None,
    to: m.Identity | None = None,
    symbol: str = "fUSDC",
) -> http.Response:
    payload = act.parallel_withdraw_body(
        owner or trader.owner,
        trader.trade_account_id,
        to or m.AddressIdentity(trader.owner.b256_address),
        sim.asset(symbol),
        amount,
        packed,
        sim.chain_id,
    )
    return sim.send(http.post_withdraw(BASE, trader.owner.b256_address, payload))


def upgrade(sim: Sim, trader: Trader, nonce: int | None = None, owner: Any = None) -> http.Response:
    nonce = sim.nonce(trader) if nonce is None else nonce
    payload = act.upgrade_body(owner or trader.owner, trader.trade_account_id, nonce, sim.chain_id)
    return sim.send(http.post_upgrade(BASE, trader.owner.b256_address, payload))


def window(sim: Sim, trader: Trader, lane: int = 0) -> dict[str, Any]:
    reply = sim.send(http.get_accounts_window(BASE, trader.trade_account_id, lane))
    return body(reply)  # type: ignore[no-any-return]


def rejection(reply: http.Response) -> str:
    """The reason of a parallel-nonce rejection, checking the whole reply."""
    assert reply.status == 400, reply.body
    decoded = msgspec.json.decode(reply.body)
    assert set(decoded) == {"code", "message"} and decoded["code"] == 1001, decoded
    assert decoded["message"].startswith(PREFIX), decoded
    return str(decoded["message"][len(PREFIX) :])


def with_nonce_field(request: http.Request, value: Any) -> http.Request:
    """The same request with its ``parallel_nonce`` replaced (signature left as it was)."""
    payload = json.loads(request.body or b"")
    payload["parallel_nonce"] = value
    return http.Request(request.method, request.url, request.headers, json.dumps(payload).encode())


@pytest.fixture
def trader(sim: Sim) -> Trader:
    return sim.new_trader()


# --- the window reply ----------------------------------------------------------------------


def test_window_of_a_fresh_lane_and_after_use(sim: Sim, trader: Trader) -> None:
    raw = sim.send(http.get_accounts_window(BASE, trader.trade_account_id, 3))
    assert raw.status == 200
    assert raw.body == b'{"nonce_session_id":"3","base":"0","slots":[]}'
    for word, bit in ((0, 0), (0, 4), (2, 1)):
        assert par_submit(sim, trader, [sim.settle(P, trader)], pn(sim, word, bit, 3)).status == 200
    reply = window(sim, trader, 3)
    assert reply == {
        "nonce_session_id": "3",
        "base": "0",
        "slots": [
            {"word_position": "0", "bitmap": "17"},
            {"word_position": "1", "bitmap": "0"},
            {"word_position": "2", "bitmap": "2"},
        ],
    }
    # the official reader seats a cursor after the highest consumed bit
    assert WindowResponse.from_dict(reply).first_free_position() == (2, 2)
    # the other lanes are untouched
    assert window(sim, trader, 0) == {"nonce_session_id": "0", "base": "0", "slots": []}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"trade_account_id": "0x" + "ab" * 32, "nonce_session_id": "0"}, 4002),
        ({"nonce_session_id": "0"}, 1001),
        ({"trade_account_id": "TRADER", "nonce_session_id": "5"}, 1001),
        ({"trade_account_id": "TRADER", "nonce_session_id": "-1"}, 1001),
        ({"trade_account_id": "TRADER", "nonce_session_id": "x"}, 1001),
    ],
)
def test_window_query_errors(sim: Sim, trader: Trader, query: dict[str, str], code: int) -> None:
    params = {k: trader.trade_account_id if v == "TRADER" else v for k, v in query.items()}
    reply = sim.get("/v1/accounts/window", **params)
    assert reply.status in (400, 404)
    assert msgspec.json.decode(reply.body)["code"] == code


# --- accepted batches ------------------------------------------------------------------------


def test_a_parallel_batch_is_accepted_and_executed(sim: Sim, trader: Trader) -> None:
    before = sim.nonce(trader)
    reply = par_submit(
        sim, trader, [sim.settle(P, trader), sim.create(P, "Buy", 50_000, 40 * FUEL)], pn(sim, 0, 0)
    )
    data = body(reply)
    assert data["tx_id"].startswith("0x") and len(data["tx_id"]) == 66
    [order] = data["orders"]
    assert (order["side"], order["price"], order["quantity"]) == ("Buy", "50000", str(40 * FUEL))
    assert sim.ex.orders[order["order_id"]].resting
    # funds locked: 0.05 x 40 = 2 fUSDC
    assert sim.balance(trader, "fUSDC")["total_locked"] == "2000000"
    # the sequential nonce is another track: untouched
    assert sim.nonce(trader) == before
    assert window(sim, trader)["slots"] == [{"word_position": "0", "bitmap": "1"}]
    sim.ex.check_invariants()


def test_slots_of_a_lane_are_used_in_any_order(sim: Sim, trader: Trader) -> None:
    """Replies for one lane may land in any order, as on chain: a bitmap, not a counter."""
    requests = [
        par_request(sim, trader, [sim.create(P, "Buy", 50_000, (10 + i) * FUEL)], pn(sim, 0, i))
        for i in range(4)
    ]
    for index in (3, 0, 2, 1):
        assert sim.send(requests[index]).status == 200
    assert window(sim, trader)["slots"] == [{"word_position": "0", "bitmap": "15"}]
    # a later word before an earlier one, and a hole left open then filled
    assert par_submit(sim, trader, [sim.settle(P, trader)], pn(sim, 2, 7)).status == 200
    assert par_submit(sim, trader, [sim.settle(P, trader)], pn(sim, 1, 0)).status == 200
    assert par_submit(sim, trader, [sim.settle(P, trader)], pn(sim, 0, 100)).status == 200
    assert [
        o.quantity
        for o in sim.ex.accounts[trader.trade_account_id].orders[str(sim.by_pair[P].market_id)]
    ] == [13 * FUEL, 10 * FUEL, 12 * FUEL, 11 * FUEL]


def test_lanes_are_independent(sim: Sim, trader: Trader) -> None:
    for lane in range(5):
        assert par_submit(sim, trader, [sim.settle(P, trader)], pn(sim, 0, 0, lane)).status == 200
    assert rejection(par_submit(sim, trader, [sim.settle(P, trader)], pn(sim, 0, 0, 4))) == (
        "nonce already used"
    )


# --- rejections --------------------------------------------------------------------------------


def test_each_rejection_has_the_exact_text(sim: Sim, trader: Trader) -> None:
    settle = [sim.settle(P, trader)]
    valid = par_request(sim, trader, settle, pn(sim, 1, 1))
    base = pn(sim, 0, 0)
    cases = {
        "reserved bits set": str(base | 1 << 176),
        "bitmap position out of range": str(base | 0xC8),  # bit 200
        "nonce session id out of range": str(base | 5 << 168),
    }
    before = sim.ex.snapshot()
    for reason, value in cases.items():
        assert rejection(sim.send(with_nonce_field(valid, value))) == reason
    # a u256 and beyond (as text, and as a JSON number) also has reserved bits set
    for value in (str(2**256 + 5), "9" * 200, 2**200):
        assert rejection(sim.send(with_nonce_field(valid, value))) == "reserved bits set"
    signed = {
        "nonce expired": pn(sim, 0, 0, ttl=-1),
        "word position out of sliding window": pn(sim, 8, 0),
    }
    for reason, packed in signed.items():
        assert rejection(par_submit(sim, trader, settle, packed)) == reason
    assert sim.ex.snapshot() == before  # nothing consumed by a rejection
    assert par_submit(sim, trader, settle, pn(sim, 0, 0)).status == 200
    reply = par_submit(sim, trader, settle, pn(sim, 0, 0))
    assert (
        reply.body == b'{"code":1001,"message":"Parallel nonce is not usable: nonce already used"}'
    )
    # as the core classifies them
    err = error_from_body(reply.status, reply.body)
    assert is_parallel_nonce_already_used(err) and not is_parallel_nonce_out_of_window(err)
    for packed in signed.values():
        err = error_from_body(400, par_submit(sim, trader, settle, packed).body)
        assert is_parallel_nonce_out_of_window(err) and is_nonce_rejection(err)
        assert not is_parallel_nonce_already_used(err)


def test_an_unexpired_nonce_is_good_until_its_second_passes(sim: Sim, trader: Trader) -> None:
    packed = pn(sim, 0, 0, ttl=0)  # expires at the current second
    request = par_request(sim, trader, [sim.settle(P, trader)], packed)
    sim.clock.advance(0.9)
    assert sim.send(request).status == 200
    late = par_request(sim, trader, [sim.settle(P, trader)], pn(sim, 0, 1, ttl=0))
    sim.clock.advance(1.0)
    assert rejection(sim.send(late)) == "nonce expired"


@pytest.mark.parametrize(
    "mutation",
    ["wrong key", "sequential bytes", "other nonce", "both nonces", "no nonce", "typed kind"],
)
def test_bad_parallel_batches_are_refused(sim: Sim, trader: Trader, mutation: str) -> None:
    settle = [sim.settle(P, trader)]
    packed = pn(sim, 0, 0)
    request = par_request(sim, trader, settle, packed)
    payload = json.loads(request.body or b"")
    groups = [act.PreparedGroup(str(sim.by_pair[P].market_id), tuple(settle))]
    if mutation == "wrong key":
        payload["signature"] = {
            "Secp256k1": "0x"
            + crypto.generate_wallet()
            .raw_sign(act.parallel_actions_signing_bytes(packed, groups))
            .hex()
        }
    elif mutation == "sequential bytes":  # signed as a sequential batch at the same number
        assert trader.session is not None
        wallet = trader.session.session_wallet
        signing = act.actions_signing_bytes(packed & (2**64 - 1), groups)
        payload["signature"] = {"Secp256k1": "0x" + wallet.raw_sign(signing).hex()}
    elif mutation == "other nonce":
        payload["parallel_nonce"] = str(pn(sim, 0, 1))
    elif mutation == "both nonces":
        payload["nonce"] = "0"
    elif mutation == "no nonce":
        del payload["parallel_nonce"]
    else:
        payload["signature"] = {"TypedSecp256k1": payload["signature"]["Secp256k1"]}
    reply = sim.send(
        http.Request(request.method, request.url, request.headers, json.dumps(payload).encode())
    )
    decoded = msgspec.json.decode(reply.body)
    expected = 4000 if mutation in ("wrong key", "sequential bytes", "other nonce") else 1001
    assert reply.status in (400, 401) and decoded["code"] == expected, decoded
    assert window(sim, trader)["slots"] == []


# --- the sliding window ------------------------------------------------------------------------


def test_the_window_slides_by_four_words_past_its_midpoint(sim: Sim, trader: Trader) -> None:
    settle = [sim.settle(P, trader)]
    assert par_submit(sim, trader, settle, pn(sim, 3, 5)).status == 200
    assert window(sim, trader)["base"] == "0"  # word 3: the lower half, no slide
    assert par_submit(sim, trader, settle, pn(sim, 4, 0)).status == 200
    reply = window(sim, trader)
    assert reply["base"] == "4"  # word 4 = base + 4: the window slid to 4..11
    # words below the base are gone, even unused slots of them
    assert rejection(par_submit(sim, trader, settle, pn(sim, 3, 6))) == (
        "word position out of sliding window"
    )
    assert rejection(par_submit(sim, trader, settle, pn(sim, 12, 0))) == (
        "word position out of sliding window"
    )
    # word 11 recycles slot 3, which still held word 3 (a stale slot in the reply)
    assert reply["slots"][3] == {"word_position": "3", "bitmap": str(1 << 5)}
    assert par_submit(sim, trader, settle, pn(sim, 11, 2)).status == 200
    reply = window(sim, trader)
    assert reply["base"] == "8"
    assert reply["slots"][3] == {"word_position": "11", "bitmap": "4"}
    assert reply["slots"][4] == {"word_position": "4", "bitmap": "1"}  # stale: word 12 unused
    seat = WindowResponse.from_dict(reply).first_free_position()
    assert seat == (11, 3)
    # the seated cursor is usable: the client's heal loop lands
    assert par_submit(sim, trader, settle, pn(sim, *seat)).status == 200


def test_a_reverted_parallel_batch_consumes_its_slot(sim: Sim, trader: Trader) -> None:
    before = sim.nonce(trader)
    too_big = [sim.create(P, "Buy", 50_000, 10**9 * FUEL)]  # more than the account holds
    reply = par_submit(sim, trader, too_big, pn(sim, 0, 9))
    err = error_from_body(reply.status, reply.body)
    assert isinstance(err, OnChainRevert) and "InvalidInputAmount" in (err.reason or "")
    assert window(sim, trader)["slots"] == [{"word_position": "0", "bitmap": str(1 << 9)}]
    assert sim.nonce(trader) == before
    assert not sim.ex.orders  # the batch itself was rolled back
    assert rejection(par_submit(sim, trader, [sim.settle(P, trader)], pn(sim, 0, 9))) == (
        "nonce already used"
    )
    sim.ex.check_invariants()


def test_the_whitelist_is_off_by_default_and_holds_on_the_parallel_track(sim: Sim) -> None:
    assert default_config().require_whitelist is False  # 0.5.0's TESTNET: no whitelist
    anyone = sim.new_trader()
    assert (
        par_submit(sim, anyone, [sim.create(P, "Buy", 50_000, FUEL)], pn(sim, 0, 0)).status == 200
    )
    strict = Sim(default_config(0, require_whitelist=True))
    trader = strict.new_trader()
    order = [strict.create(P, "Buy", 50_000, FUEL)]
    reply = par_submit(strict, trader, order, pn(strict, 0, 0))
    err = error_from_body(reply.status, reply.body)
    assert isinstance(err, OnChainRevert)
    assert (err.reason or "").startswith("OrderCreationError::TraderNotWhiteListed")
    assert body(strict.send(http.whitelist_account(BASE, trader.trade_account_id)))["success"]
    [placed] = body(par_submit(strict, trader, order, pn(strict, 0, 1)))["orders"]
    assert placed["price"] == "50000" and not placed["close"]


# --- typed-data withdrawals ----------------------------------------------------------------------


def test_a_typed_withdrawal_is_accepted_and_pays_out(sim: Sim, trader: Trader) -> None:
    usdc = sim.asset("fUSDC")
    held = int(sim.balance(trader, "fUSDC")["trading_account_balance"])
    nonce = sim.nonce(trader)
    reply = par_withdraw(sim, trader, 2_500_000, pn(sim, 0, 3, lane=2))
    assert len(body(reply)["tx_id"]) == 66
    assert int(sim.balance(trader, "fUSDC")["trading_account_balance"]) == held - 2_500_000
    assert sim.ex.wallets[trader.owner.b256_address][usdc] == 2_500_000
    assert sim.nonce(trader) == nonce
    assert window(sim, trader, 2)["slots"] == [{"word_position": "0", "bitmap": "8"}]
    # the same slot again: already used, shared with session batches of the lane
    assert rejection(par_withdraw(sim, trader, 1, pn(sim, 0, 3, lane=2))) == "nonce already used"
    assert par_submit(sim, trader, [sim.settle(P, trader)], pn(sim, 0, 3, 2)).status == 400
    # to a ContractId: another trading account is credited
    other = sim.new_trader(markets=[])
    other_held = int(sim.balance(other, "fUSDC")["trading_account_balance"])
    to = m.ContractIdentity(other.trade_account_id)
    assert par_withdraw(sim, trader, 7, pn(sim, 0, 4, lane=2), to=to).status == 200
    assert int(sim.balance(other, "fUSDC")["trading_account_balance"]) == other_held + 7
    sim.ex.check_invariants()


def test_an_evm_owner_signs_eip712(sim: Sim) -> None:
    evm = crypto.generate_evm_wallet()
    trader = sim.new_trader(owner=evm)
    reply = par_withdraw(sim, trader, 1_000, pn(sim, 0, 0))
    assert reply.status == 200, reply.body
    assert sim.ex.wallets[evm.b256_address][sim.asset("fUSDC")] == 1_000
    # a Fuel-style (SRC-16) signature of the same withdrawal does not recover to it
    digest = act.parallel_withdraw_digest_of(
        "0x" + "11" * 32, trader.trade_account_id, m.AddressIdentity(evm.b256_address),
        sim.asset("fUSDC"), 1_000, pn(sim, 0, 1), sim.chain_id,
    )  # fmt: skip
    payload = json.loads(
        act.parallel_withdraw_body(
            evm, trader.trade_account_id, m.AddressIdentity(evm.b256_address),
            sim.asset("fUSDC"), 1_000, pn(sim, 0, 1), sim.chain_id,
        )
    )  # fmt: skip
    payload["signature"] = {"TypedSecp256k1": "0x" + evm.sign_digest(digest).hex()}
    bad = sim.send(http.post_withdraw(BASE, evm.b256_address, json.dumps(payload).encode()))
    assert bad.status == 401 and msgspec.json.decode(bad.body)["message"] == BAD_OWNER


@pytest.mark.parametrize(
    "mutation", ["other key", "personal sign", "other amount", "sequential kind", "other chain"]
)
def test_a_wrong_typed_signature_is_refused(sim: Sim, trader: Trader, mutation: str) -> None:
    packed = pn(sim, 0, 0)
    to = m.AddressIdentity(trader.owner.b256_address)
    usdc = sim.asset("fUSDC")
    good = act.parallel_withdraw_body(
        trader.owner, trader.trade_account_id, to, usdc, 5_000, packed, sim.chain_id
    )
    payload = json.loads(good)
    digest = act.parallel_withdraw_digest_of(
        trader.owner.b256_address, trader.trade_account_id, to, usdc, 5_000, packed, sim.chain_id
    )
    if mutation == "other key":
        signature = crypto.generate_wallet().sign_digest(digest)
        payload["signature"] = {"TypedSecp256k1": "0x" + signature.hex()}
    elif mutation == "personal sign":
        signature = trader.owner.personal_sign(digest)
        payload["signature"] = {"TypedSecp256k1": "0x" + signature.hex()}
    elif mutation == "other amount":
        payload["amount"] = "5001"
    elif mutation == "other chain":
        other = act.parallel_withdraw_digest_of(
            trader.owner.b256_address, trader.trade_account_id, to, usdc, 5_000, packed, 9889
        )
        payload["signature"] = {"TypedSecp256k1": "0x" + trader.owner.sign_digest(other).hex()}
    else:
        payload["signature"] = {"Secp256k1": payload["signature"]["TypedSecp256k1"]}
    before = sim.ex.snapshot()
    reply = sim.send(
        http.post_withdraw(BASE, trader.owner.b256_address, json.dumps(payload).encode())
    )
    decoded = msgspec.json.decode(reply.body)
    if mutation == "sequential kind":
        assert reply.status == 400 and decoded["code"] == 1001
        assert "TypedSecp256k1" in decoded["message"]
    else:
        assert reply.status == 401 and decoded == {"code": 4000, "message": BAD_OWNER}
    assert sim.ex.snapshot() == before
    assert sim.send(http.post_withdraw(BASE, trader.owner.b256_address, good)).status == 200


def test_a_reverted_typed_withdrawal_consumes_its_slot(sim: Sim, trader: Trader) -> None:
    reply = par_withdraw(sim, trader, 10**15, pn(sim, 0, 0))
    err = error_from_body(reply.status, reply.body)
    assert isinstance(err, OnChainRevert) and "NotEnoughBalance" in (err.reason or "")
    assert window(sim, trader)["slots"] == [{"word_position": "0", "bitmap": "1"}]
    assert rejection(par_withdraw(sim, trader, 1, pn(sim, 0, 0))) == "nonce already used"


def test_sequential_bodies_keep_working(sim: Sim, trader: Trader) -> None:
    nonce = sim.nonce(trader)
    assert sim.submit(trader, P, sim.settle(P, trader)).status == 200
    payload = act.withdraw_body(
        trader.owner, trader.trade_account_id, m.AddressIdentity(trader.owner.b256_address),
        sim.asset("fUSDC"), 10, nonce + 1, sim.chain_id,
    )  # fmt: skip
    assert sim.send(http.post_withdraw(BASE, trader.owner.b256_address, payload)).status == 200
    assert sim.nonce(trader) == nonce + 2
    assert window(sim, trader)["slots"] == []


# --- legacy accounts and the upgrade -------------------------------------------------------------


def test_a_legacy_account_reverts_with_123_until_upgraded(sim: Sim, trader: Trader) -> None:
    sim.ex.set_legacy(trader.trade_account_id)
    settle = [sim.settle(P, trader)]
    before = sim.ex.snapshot()
    reply = par_submit(sim, trader, settle, pn(sim, 0, 0))
    decoded = msgspec.json.decode(reply.body)
    assert reply.status == 400 and decoded["message"] == "Transaction reverted: Revert(123)"
    assert {
        "Revert": {"id": trader.trade_account_id, "ra": "123", "pc": "12016", "is": "11472"}
    } in (decoded["receipts"])
    err = error_from_body(reply.status, reply.body)
    assert isinstance(err, OnChainRevert) and is_selector_mismatch_revert(err)
    withdrawal = par_withdraw(sim, trader, 1, pn(sim, 0, 1))
    assert is_selector_mismatch_revert(error_from_body(withdrawal.status, withdrawal.body))
    assert sim.ex.snapshot() == before  # nothing consumed: the entry point does not exist
    # the sequential track works on a legacy account
    assert sim.submit(trader, P, *settle).status == 200
    nonce = sim.nonce(trader)
    reply = upgrade(sim, trader)
    assert len(body(reply)["tx_id"]) == 66
    assert sim.nonce(trader) == nonce + 1  # the owner's sequential nonce moved
    assert par_submit(sim, trader, settle, pn(sim, 0, 0)).status == 200
    assert par_withdraw(sim, trader, 1, pn(sim, 0, 1)).status == 200
    # now current: another upgrade has nothing to do
    again = upgrade(sim, trader)
    err = error_from_body(again.status, again.body)
    assert isinstance(err, OnChainRevert) and is_no_upgrade_available(err)
    assert "No upgrade available" in msgspec.json.decode(again.body)["reason"]
    assert 'Ok(\\"No upgrade available\\")' in again.body.decode()
    assert sim.nonce(trader) == nonce + 2  # a revert consumes the nonce, as everywhere


def test_the_selector_mismatch_as_code_1000() -> None:
    sim = Sim(default_config(0, revert_as_code_1000=True, legacy_accounts=True))
    trader = sim.new_trader()
    reply = par_submit(sim, trader, [sim.settle(P, trader)], pn(sim, 0, 0))
    decoded = msgspec.json.decode(reply.body)
    assert decoded["code"] == 1000 and "Revert(123)" in decoded["message"]
    err = error_from_body(reply.status, reply.body)
    assert is_selector_mismatch_revert(err) and err.code == 1000
    assert body(upgrade(sim, trader))["tx_id"]
    assert par_submit(sim, trader, [sim.settle(P, trader)], pn(sim, 0, 0)).status == 200


def test_a_new_account_is_current_unless_configured_legacy(sim: Sim) -> None:
    current = sim.new_trader()
    again = upgrade(sim, current)
    assert is_no_upgrade_available(error_from_body(again.status, again.body))
    legacy = Sim(default_config(0, legacy_accounts=True))
    trader = legacy.new_trader()
    assert legacy.ex.accounts[trader.trade_account_id].legacy
    assert body(upgrade(legacy, trader))["tx_id"]
    assert not legacy.ex.accounts[trader.trade_account_id].legacy


@pytest.mark.parametrize("mutation", ["stale nonce", "other key", "typed kind", "other owner"])
def test_bad_upgrades_are_refused(mutation: str) -> None:
    sim = Sim(default_config(0, legacy_accounts=True))
    trader = sim.new_trader()
    nonce = sim.nonce(trader)
    if mutation == "stale nonce":
        reply = upgrade(sim, trader, nonce=nonce - 1)
        err = error_from_body(reply.status, reply.body)
        assert isinstance(err, OnChainRevert) and "InvalidNonce" in (err.reason or "")
    elif mutation == "other key":
        reply = upgrade(sim, trader, owner=crypto.generate_wallet())
        assert msgspec.json.decode(reply.body) == {"code": 4000, "message": BAD_OWNER}
    elif mutation == "typed kind":
        payload = json.loads(act.upgrade_body(trader.owner, trader.trade_account_id, nonce, 0))
        payload["signature"] = {"TypedSecp256k1": payload["signature"]["Secp256k1"]}
        reply = sim.send(
            http.post_upgrade(BASE, trader.owner.b256_address, json.dumps(payload).encode())
        )
        assert msgspec.json.decode(reply.body)["code"] == 1001
    else:
        payload = act.upgrade_body(trader.owner, trader.trade_account_id, nonce, 0)
        reply = sim.send(http.post_upgrade(BASE, "0x" + "12" * 32, payload))
        assert msgspec.json.decode(reply.body)["code"] == 4000
    assert sim.ex.accounts[trader.trade_account_id].legacy  # still legacy
    assert sim.nonce(trader) == nonce  # nothing consumed


# --- properties ------------------------------------------------------------------------------

OPS = st.lists(
    st.tuples(
        st.integers(0, 1),  # lane
        st.integers(-2, 9),  # word, relative to the base the window reply shows
        st.integers(0, 2),  # bit (few, so that slots collide)
        st.booleans(),  # expired
        st.integers(0, 3),  # seconds that pass afterwards
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_no_slot_is_taken_twice_and_no_fresh_slot_is_refused(
    ops: list[tuple[int, int, int, bool, int]],
) -> None:
    """Over signed requests: a slot is accepted at most once; a slot never accepted before,
    unexpired and inside the window the reply shows, is always accepted."""
    sim = Sim()
    trader = sim.new_trader(fund=False)
    settle = [sim.settle(P, trader)]
    used: set[tuple[int, int, int]] = set()
    accepted = 0
    for lane, offset, bit, expired, later in ops:
        base = int(window(sim, trader, lane)["base"])
        word = base + offset
        if word < 0:
            continue
        reply = par_submit(sim, trader, settle, pn(sim, word, bit, lane, ttl=-1 if expired else 60))
        if expired:
            assert rejection(reply) == "nonce expired"
        elif not 0 <= offset < 8:
            assert rejection(reply) == "word position out of sliding window"
        elif (lane, word, bit) in used:
            assert rejection(reply) == "nonce already used"
        else:
            assert reply.status == 200, reply.body
            used.add((lane, word, bit))
            accepted += 1
        sim.clock.advance(later)
    assert len(used) == accepted
    for lane in (0, 1):  # the reply shows exactly the used slots still tracked
        shown = WindowResponse.from_dict(window(sim, trader, lane))
        for word in range(shown.base, shown.base + 8):
            bits = {b for (ln, w, b) in used if ln == lane and w == word}
            assert shown.effective_bitmap(word) == sum(1 << b for b in bits)
    sim.ex.check_invariants()


@settings(max_examples=400, deadline=None)
@given(ops=st.lists(st.tuples(st.integers(0, 12), st.integers(0, 127), st.booleans()), max_size=60))
def test_the_window_model_against_a_plain_set(ops: list[tuple[int, int, bool]]) -> None:
    """The pure window: a consumed slot is refused until it leaves the window, a fresh
    in-window slot is taken, the base only grows (by 4 past the midpoint), and a rolled
    back use (a transaction's undo) leaves nothing behind."""
    lane_window = LaneWindow()
    used: set[tuple[int, int]] = set()
    for word, bit, roll_back in ops:
        slot = ParallelSlot(0, 2**31, word, bit, 0)
        base = lane_window.base
        try:
            lane_window.check(slot, now=0)
        except SimError as err:
            if not base <= word < base + 8:
                assert err.message == PREFIX + "word position out of sliding window"
            else:
                assert (word, bit) in used and err.message == PREFIX + "nonce already used"
            continue
        assert base <= word < base + 8 and (word, bit) not in used
        saved = lane_window.state()
        lane_window.use(word, bit)
        assert lane_window.is_used(word, bit)
        assert lane_window.base == (base + 4 if word >= base + 4 else base)
        if roll_back:
            lane_window.restore(saved)
            assert not lane_window.is_used(word, bit) and lane_window.state() == saved
        else:
            used.add((word, bit))
