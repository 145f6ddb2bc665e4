"""Every vector of tests/data/vectors/o2_vectors.json (made by the official SDK), byte for byte.

The file is a copy of ``../shared/vectors/o2_vectors.json`` (``tools/sync_test_data.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import wire_bodies

from o2_core import actions, crypto, encoding, markets
from o2_core.actions import MarketContext
from o2_core.errors import InvalidInput

VECTORS_PATH = Path(__file__).resolve().parent / "data" / "vectors" / "o2_vectors.json"
if not VECTORS_PATH.is_file():
    raise FileNotFoundError(f"test vectors not found at {VECTORS_PATH}: the tests need them")
VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text())


def cases(section: str) -> Any:
    items = VECTORS[section]
    assert len(items) >= 10, f"the {section} vectors are suspiciously few"
    return pytest.mark.parametrize(
        "vec", items, ids=[f"{section}-{i:02d}" for i in range(len(items))]
    )


def h(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


def owner_wallet(vec: dict[str, Any]) -> crypto.Wallet:
    kind = vec["owner_kind"]
    assert kind in ("fuel", "evm")
    key = vec["owner_private_key"]
    return crypto.EvmWallet(key) if kind == "evm" else crypto.Wallet(key)


def test_vectors_come_from_the_official_sdk() -> None:
    assert VECTORS["generator"] == "official o2-sdk 0.5.0"
    for section in ("wallets", "digests", "session", "actions", "withdraw", "scaling"):
        assert VECTORS[section], section


@cases("wallets")
def test_wallet(vec: dict[str, Any]) -> None:
    fuel = crypto.Wallet(vec["private_key"])
    evm = crypto.EvmWallet(vec["private_key"])
    assert fuel.public_key == h(vec["public_key"])
    assert fuel.b256_address == vec["b256_address"]
    assert fuel.address_bytes == h(vec["b256_address"])
    assert crypto.hex0x(crypto.fuel_address(fuel.public_key)) == vec["b256_address"]
    assert evm.evm_address == vec["evm_address"]
    assert evm.b256_address == vec["evm_b256_address"]
    assert evm.address_bytes == bytes(12) + h(vec["evm_address"])
    # Same key given as bytes and without the 0x prefix.
    assert crypto.Wallet(h(vec["private_key"])).b256_address == vec["b256_address"]
    assert crypto.load_wallet(vec["private_key"][2:]).b256_address == vec["b256_address"]


@cases("digests")
def test_digests_and_signatures(vec: dict[str, Any]) -> None:
    message = h(vec["message"])
    assert crypto.fuel_personal_sign_digest(message) == h(vec["fuel_personal_digest"])
    assert crypto.evm_personal_sign_digest(message) == h(vec["evm_personal_digest"])
    fuel = crypto.Wallet(vec["private_key"])
    evm = crypto.EvmWallet(vec["private_key"])
    assert fuel.personal_sign(message) == h(vec["fuel_personal_signature"])
    assert evm.personal_sign(message) == h(vec["evm_personal_signature"])
    assert fuel.raw_sign(message) == h(vec["raw_signature"])
    # The same through the module-level helpers and sign_digest.
    key = h(vec["private_key"])
    assert crypto.personal_sign(key, message) == h(vec["fuel_personal_signature"])
    assert crypto.evm_personal_sign(key, message) == h(vec["evm_personal_signature"])
    assert crypto.raw_sign(key, message) == h(vec["raw_signature"])
    assert fuel.sign_digest(crypto.raw_digest(message)) == h(vec["raw_signature"])
    # And each signature recovers to the signer.
    for digest, sig in (
        (vec["fuel_personal_digest"], vec["fuel_personal_signature"]),
        (vec["evm_personal_digest"], vec["evm_personal_signature"]),
    ):
        assert crypto.recover_public_key(h(digest), h(sig)) == fuel.public_key


@cases("session")
def test_session(vec: dict[str, Any]) -> None:
    owner = owner_wallet(vec)
    assert owner.b256_address == vec["owner_b256_address"]
    signing = encoding.session_signing_bytes(
        vec["nonce"],
        vec["chain_id"],
        h(vec["session_address"]),
        vec["expiry"],
        [h(c) for c in vec["contract_ids"]],
    )
    assert signing == h(vec["signing_bytes"])
    assert owner.personal_sign(signing) == h(vec["signature"])

    body = actions.session_body(
        owner,
        "0x" + "ab" * 32,
        vec["session_address"],
        vec["contract_ids"],
        vec["nonce"],
        vec["chain_id"],
        vec["expiry"],
    )
    decoded = json.loads(body)
    assert decoded["signature"] == {"Secp256k1": vec["signature"]}
    assert decoded["contract_ids"] == vec["contract_ids"]
    assert decoded["nonce"] == str(vec["nonce"])
    assert decoded["expiry"] == str(vec["expiry"])
    assert decoded["session_id"] == {"Address": vec["session_address"]}


def market_context(market: dict[str, Any]) -> MarketContext:
    return MarketContext(
        market_id=market["market_id"],
        contract_id=h(market["contract_id"]),
        base_asset=h(market["base"]["asset"]),
        quote_asset=h(market["quote"]["asset"]),
        base_factor=10 ** market["base"]["decimals"],
        accounts_registry=h(market["accounts_registry_id"]),
    )


@cases("actions")
def test_actions(vec: dict[str, Any]) -> None:
    ctx = market_context(vec["market"])
    wire = wire_bodies.decode_wire_actions(vec["actions"])
    assert len(wire) == len(vec["actions"])
    calls = [wire_bodies.call_of_wire(a, ctx) for a in wire]
    signing = encoding.actions_signing_bytes(vec["nonce"], calls)
    assert signing == h(vec["signing_bytes"])
    session_key = crypto.Wallet(vec["session_private_key"])
    assert session_key.raw_sign(signing) == h(vec["signature"])


@cases("actions")
def test_actions_rebuilt_from_prepared_actions(vec: dict[str, Any]) -> None:
    """The wire JSON our own builders produce for the vector's actions is the vector's."""
    ctx = market_context(vec["market"])
    prepared = []
    for a in wire_bodies.decode_wire_actions(vec["actions"]):
        call = wire_bodies.call_of_wire(a, ctx)
        if a.CreateOrder is not None:
            o = a.CreateOrder
            prepared.append(
                actions.create_order(ctx, o.side, o.price, o.quantity, _order_type(o.order_type))
            )
        elif a.CancelOrder is not None:
            prepared.append(actions.cancel_order(ctx, a.CancelOrder.order_id))
        elif a.SettleBalance is not None:
            prepared.append(actions.settle_balance(ctx, a.SettleBalance.to))
        else:
            assert a.RegisterReferer is not None
            prepared.append(actions.register_referer(ctx, a.RegisterReferer.to))
        assert prepared[-1].call == call
    assert [p.wire for p in prepared] == vec["actions"]
    group = actions.PreparedGroup(ctx.market_id, tuple(prepared))
    assert actions.actions_signing_bytes(vec["nonce"], [group]) == h(vec["signing_bytes"])


def _order_type(wire: Any) -> Any:
    from o2_core import models as m

    name, first, second = wire_bodies.wire_order_type(wire)
    if name == "Limit":
        return m.LimitOrder(price=first, timestamp=second)
    if name == "BoundedMarket":
        return m.BoundedMarketOrder(max_price=first, min_price=second)
    return m.OrderType(name)


@cases("withdraw")
def test_withdraw(vec: dict[str, Any]) -> None:
    owner = owner_wallet(vec)
    (kind, to), = vec["to"].items()
    discriminant = {"Address": 0, "ContractId": 1}[kind]
    signing = encoding.withdraw_signing_bytes(
        vec["nonce"], vec["chain_id"], discriminant, h(to), vec["amount"], h(vec["asset_id"])
    )
    assert signing == h(vec["signing_bytes"])
    assert owner.personal_sign(signing) == h(vec["signature"])

    from o2_core import models as m

    ident = m.AddressIdentity(to) if kind == "Address" else m.ContractIdentity(to)
    if vec["amount"] == 0:
        # The chain reverts a zero withdrawal (AmountIsZero): the body builder refuses it.
        with pytest.raises(InvalidInput):
            actions.withdraw_body(
                owner, "0x" + "cd" * 32, ident, vec["asset_id"], 0, vec["nonce"], vec["chain_id"]
            )
        return
    body = json.loads(
        actions.withdraw_body(
            owner, "0x" + "cd" * 32, ident, vec["asset_id"], vec["amount"], vec["nonce"],
            vec["chain_id"],
        )
    )
    assert body["signature"] == {"Secp256k1": vec["signature"]}
    assert body["amount"] == str(vec["amount"])
    assert body["to"] == vec["to"]


@cases("scaling")
def test_scaling(vec: dict[str, Any]) -> None:
    base, quote = vec["base"], vec["quote"]
    price = markets.scale_price(vec["price"], quote["decimals"], quote["max_precision"])
    quantity = markets.scale_quantity(vec["quantity"], base["decimals"])
    assert price == vec["scaled_price"]
    assert quantity == vec["scaled_quantity"]
    adjusted = markets.adjust_quantity(price, quantity, base["decimals"])
    assert adjusted == vec["adjusted_quantity"]
    violation = markets.order_rule_violation(
        price, adjusted, base["decimals"], quote["decimals"], quote["max_precision"],
        int(vec["min_order"]),
    )
    assert violation == vec["validation_error"]
