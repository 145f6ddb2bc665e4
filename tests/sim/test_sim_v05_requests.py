"""The requests the official o2-sdk 0.5.0 client sent, replayed byte for byte to the simulator.

``end_to_end_requests`` of ``tests/data/vectors/o2_v05_vectors.json`` were recorded from
the official ``O2Client`` (fixed keys, chain id 9889, clock 1 900 000 000, trade account
``0xabab…``, market ``0x9999…`` with contract ``0x9a9a…``, quote asset ``0xf6f6…``). Each
body is sent exactly as recorded (compact JSON of the recorded object, its headers and
query) to an exchange configured with those ids, keys, chain id and clock, and must be
accepted with the effects it asks for: a parallel session and its window, a parallel
batch, typed-data withdrawals of a Fuel and of an EVM owner (to an Address and to a
ContractId), a sequential withdrawal, and the upgrade of a legacy account (Fuel and EVM
owners). Replaying a request again is refused as the chain would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import msgspec
import pytest

from o2_core import http
from o2_core.errors import OnChainRevert, error_from_body
from o2_core.onchain_revert import is_no_upgrade_available, is_selector_mismatch_revert
from o2_core.sim import AssetConfig, Exchange, ManualClock, MarketConfig, SimConfig, derive_id

VECTORS = Path(__file__).resolve().parents[1] / "data" / "vectors" / "o2_v05_vectors.json"
V: dict[str, Any] = json.loads(VECTORS.read_text())
E2E: dict[str, Any] = V["end_to_end_requests"]
KEYS = V["_meta"]["keys"]
CHAIN_ID = V["_meta"]["chain_id"]
NOW = V["_meta"]["fixed_now"]
BASE = "https://api.o2.test"
ACCOUNT = "0x" + "ab" * 32
MARKET = "0x" + "99" * 32
CONTRACT = "0x" + "9a" * 32
QUOTE = "0x" + "f6" * 32
FUEL_OWNER = KEYS["owner_fuel_b256"]
EVM_OWNER = KEYS["owner_evm_b256"]


def vector_config() -> SimConfig:
    """One FUEL/USDC market with the vectors' ids (9 decimals each, 0.000001 price tick)."""
    base = AssetConfig("FUEL", 9, derive_id(9889, "asset:FUEL"), 10**15, "Fuel")
    quote = AssetConfig("USDC", 9, QUOTE, 10**13, "USD Coin")
    market = MarketConfig(
        base="FUEL",
        quote="USDC",
        contract_id=CONTRACT,
        market_id=MARKET,
        base_max_precision=3,
        quote_max_precision=6,
        min_order=1,
    )
    return SimConfig(
        seed=9889,
        chain_id=CHAIN_ID,
        assets=[base, quote],
        markets=[market],
        base_asset_id=base.asset_id,
        books_registry_id=derive_id(9889, "books_registry"),
        accounts_registry_id=derive_id(9889, "accounts_registry"),
        trade_account_oracle_id=derive_id(9889, "trade_account_oracle"),
    )


def exchange(owner: str, nonce: int, legacy: bool = False) -> Exchange:
    """An exchange at the vectors' clock holding the account ``0xabab…`` (funded)."""
    ex = Exchange(vector_config(), clock=ManualClock(NOW))
    ex.install_account(ACCOUNT, owner, nonce=nonce, legacy=legacy)
    minted = ex.handle(http.faucet_mint(BASE + "/faucet", contract=ACCOUNT))
    assert minted.status == 200, minted.body
    return ex


def recorded(entry: dict[str, Any]) -> http.Request:
    """The recorded request, exactly: method, path, query, headers, compact JSON body."""
    url = BASE + entry["path"]
    if entry["params"]:
        url += "?" + urlencode(entry["params"])
    headers = tuple((k.lower(), v) for k, v in (entry["headers"] or {}).items())
    payload = entry["json"]
    data = None
    if payload is not None:
        data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        headers += (("content-type", "application/json"),)
    return http.Request(entry["method"], url, headers, data)


def send(ex: Exchange, entry: dict[str, Any]) -> Any:
    reply = ex.handle(recorded(entry))
    assert reply.status == 200, reply.body
    return msgspec.json.decode(reply.body)


def account(ex: Exchange) -> dict[str, Any]:
    reply = ex.handle(http.get_account(BASE, trade_account_id=ACCOUNT))
    return msgspec.json.decode(reply.body)  # type: ignore[no-any-return]


def test_the_recorded_parallel_flow_of_a_fuel_owner_is_accepted() -> None:
    ex = exchange(FUEL_OWNER, nonce=7)
    session_put, window_get = E2E["create_session_parallel"]["requests"]
    reply = send(ex, session_put)
    assert reply["session_id"] == {"Address": KEYS["session_b256"]}
    assert reply["session_expiry"] == "1902592000" and reply["contract_ids"] == [CONTRACT]
    assert account(ex)["trade_account"]["nonce"] == "8"
    assert send(ex, window_get) == {"nonce_session_id": "1", "base": "0", "slots": []}

    # the batch at (word 3, bit 126) of lane 1: SettleBalance + a PostOnly buy
    actions = send(ex, E2E["session_actions_parallel"]["request"])
    [order] = actions["orders"]
    assert (order["side"], order["price"], order["quantity"], order["order_type"]) == (
        "Buy", "20000000", "5123456700", "PostOnly"
    )  # fmt: skip
    assert ex.orders[order["order_id"]].resting
    locked = 20_000_000 * 5_123_456_700 // 10**9
    assert ex.balances(ACCOUNT)[QUOTE]["locked"] == locked

    # typed withdrawals: (3, 127) of lane 1 to the owner, (0, 0) of lane 2 to a ContractId
    held = ex.balances(ACCOUNT)[QUOTE]["trading"]
    send(ex, E2E["withdraw_parallel_fuel_owner"]["request"])
    send(ex, E2E["withdraw_parallel_explicit_override_contract_dest"]["request"])
    assert ex.balances(ACCOUNT)[QUOTE]["trading"] == held - 2 * 10_000_000
    assert ex.wallets[FUEL_OWNER][QUOTE] == 10_000_000
    assert ex.wallets["0x" + "77" * 32][QUOTE] == 10_000_000

    window = send(ex, window_get)
    assert window["base"] == "0" and window["slots"][3] == {
        "word_position": "3",
        "bitmap": str(3 << 126),
    }
    lane2 = ex.handle(http.get_accounts_window(BASE, ACCOUNT, 2))
    assert msgspec.json.decode(lane2.body)["slots"] == [{"word_position": "0", "bitmap": "1"}]
    # the parallel track left the sequential nonce alone
    assert account(ex)["trade_account"]["nonce"] == "8"

    # a replayed request is refused: its slot is used
    again = ex.handle(recorded(E2E["session_actions_parallel"]["request"]))
    assert msgspec.json.decode(again.body) == {
        "code": 1001,
        "message": "Parallel nonce is not usable: nonce already used",
    }
    ex.check_invariants()


def test_the_recorded_sequential_withdrawal_is_accepted() -> None:
    ex = exchange(FUEL_OWNER, nonce=9)
    entry = E2E["withdraw_sequential_explicit_nonce"]["request"]
    assert send(ex, entry)["tx_id"].startswith("0x")
    assert ex.wallets[FUEL_OWNER][QUOTE] == 10_000_000
    assert account(ex)["trade_account"]["nonce"] == "10"
    stale = ex.handle(recorded(entry))
    err = error_from_body(stale.status, stale.body)
    assert isinstance(err, OnChainRevert) and "InvalidNonce" in (err.reason or "")


@pytest.mark.parametrize(
    ("owner", "nonce", "upgrade", "withdrawal"),
    [
        (FUEL_OWNER, 7, "upgrade_account_fuel_owner", "withdraw_parallel_fuel_owner"),
        (EVM_OWNER, 11, "upgrade_account_evm_owner", "withdraw_parallel_evm_owner"),
    ],
    ids=["fuel", "evm"],
)
def test_the_recorded_upgrade_makes_a_legacy_account_parallel(
    owner: str, nonce: int, upgrade: str, withdrawal: str
) -> None:
    ex = exchange(owner, nonce=nonce, legacy=True)
    request = E2E[withdrawal]["request"]
    before = ex.handle(recorded(request))
    assert is_selector_mismatch_revert(error_from_body(before.status, before.body))
    assert send(ex, E2E[upgrade]["request"])["tx_id"].startswith("0x")
    assert account(ex)["trade_account"]["nonce"] == str(nonce + 1)
    assert not ex.accounts[ACCOUNT].legacy
    # the very withdrawal that reverted is now accepted: nothing was consumed by the revert
    send(ex, request)
    assert ex.wallets[owner][QUOTE] == 10_000_000
    # the same upgrade again is stale (its nonce was consumed)
    stale = ex.handle(recorded(E2E[upgrade]["request"]))
    err = error_from_body(stale.status, stale.body)
    assert isinstance(err, OnChainRevert) and "InvalidNonce" in (err.reason or "")


def test_the_recorded_upgrade_of_a_current_account_has_nothing_to_do() -> None:
    ex = exchange(FUEL_OWNER, nonce=7)
    reply = ex.handle(recorded(E2E["upgrade_account_fuel_owner"]["request"]))
    err = error_from_body(reply.status, reply.body)
    assert isinstance(err, OnChainRevert) and is_no_upgrade_available(err)
    assert account(ex)["trade_account"]["nonce"] == "8"
