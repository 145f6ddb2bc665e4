"""The signed-request pipeline: prepared actions → signing bytes → signed body bytes."""

from __future__ import annotations

import json
from typing import Any

import pytest
import wire_bodies
from hypothesis import given
from hypothesis import strategies as st

from o2_core import actions, crypto, encoding
from o2_core import models as m
from o2_core.actions import MarketContext, PreparedGroup
from o2_core.errors import InvalidInput, TooManyActions

REGISTRY = "0x" + "ee" * 32
TA = "0x" + "cc" * 32
MARKET = m.Market(
    contract_id=m.Id("0x" + "11" * 32),
    market_id=m.Id("0x" + "22" * 32),
    base=m.MarketAsset("FUEL", m.Id("0x" + "33" * 32), 9, 3),
    quote=m.MarketAsset("USDC", m.Id("0x" + "44" * 32), 6, 6),
)
CTX = MarketContext.of(MARKET, REGISTRY)
SESSION_KEY = crypto.Wallet("0x" + "5a" * 32)


class Spy:
    """A signer that counts its signatures."""

    def __init__(self, wallet: crypto.Wallet) -> None:
        self.wallet, self.calls = wallet, 0
        self.b256_address = wallet.b256_address
        self.private_key = wallet.private_key

    def raw_sign(self, message: bytes) -> bytes:
        self.calls += 1
        return self.wallet.raw_sign(message)

    def personal_sign(self, message: bytes) -> bytes:
        self.calls += 1
        return self.wallet.personal_sign(message)


def session(wallet: Any = SESSION_KEY) -> m.SessionInfo:
    return m.SessionInfo(
        session_id=m.AddressIdentity(wallet.b256_address),
        trade_account_id=TA,
        contract_ids=[MARKET.contract_id],
        session_expiry=2**40,
        session_wallet=wallet,
        owner_address="0x" + "0f" * 32,
    )


def test_market_context() -> None:
    assert CTX.market_id == MARKET.market_id
    assert CTX.contract_id == b"\x11" * 32
    assert (CTX.base_asset, CTX.quote_asset) == (b"\x33" * 32, b"\x44" * 32)
    assert CTX.base_factor == 10**9 and CTX.accounts_registry == b"\xee" * 32


def test_create_order_calls() -> None:
    buy = actions.create_order(CTX, m.OrderSide.BUY, 2_500_000, 3_000_000_000, m.OrderType.SPOT)
    assert buy.call.amount == 2_500_000 * 3_000_000_000 // 10**9
    assert buy.call.asset_id == CTX.quote_asset
    assert buy.call.contract_id == CTX.contract_id
    assert buy.call.selector == encoding.SELECTOR_CREATE_ORDER
    assert buy.call.gas == encoding.GAS_MAX
    assert buy.call.call_data == encoding.encode_order_args(
        2_500_000, 3_000_000_000, encoding.encode_order_type("Spot")
    )
    assert buy.wire == {"CreateOrder": {"side": "Buy", "price": "2500000",
                                        "quantity": "3000000000", "order_type": "Spot"}}
    sell = actions.create_order(CTX, "Sell", 7, 9, m.OrderType.POST_ONLY)
    assert (sell.call.amount, sell.call.asset_id) == (9, CTX.base_asset)

    limit = actions.create_order(CTX, "Buy", 10, 20, m.LimitOrder(price=11, timestamp=1700))
    assert limit.wire["CreateOrder"]["order_type"] == {"Limit": ["11", "1700"]}
    assert limit.call.call_data == encoding.encode_order_args(
        10, 20, encoding.encode_order_type("Limit", 11, 1700)
    )
    bounded = actions.create_order(
        CTX, "Sell", 10, 20, m.BoundedMarketOrder(max_price=m.ChainInt(30), min_price=5)
    )
    assert bounded.wire["CreateOrder"]["order_type"] == {
        "BoundedMarket": {"max_price": "30", "min_price": "5"}
    }
    for order_type in m.OrderType:
        action = actions.create_order(CTX, "Buy", 1, 1, order_type)
        assert action.wire["CreateOrder"]["order_type"] == order_type.value


def test_cancel_settle_register() -> None:
    oid = "0X" + "AB" * 32
    cancel = actions.cancel_order(CTX, oid)
    assert cancel.wire == {"CancelOrder": {"order_id": "0x" + "ab" * 32}}
    assert cancel.call == encoding.Call(
        CTX.contract_id, encoding.SELECTOR_CANCEL_ORDER, 0, bytes(32), b"\xab" * 32
    )
    settle = actions.settle_balance(CTX, TA)  # a bare id is a trading account: ContractId
    assert settle.wire == {"SettleBalance": {"to": {"ContractId": TA}}}
    assert settle.call.call_data == encoding.encode_identity(1, b"\xcc" * 32)
    assert settle.call.contract_id == CTX.contract_id
    settle_addr = actions.settle_balance(CTX, m.AddressIdentity(TA))
    assert settle_addr.wire == {"SettleBalance": {"to": {"Address": TA}}}
    assert settle_addr.call.call_data == encoding.encode_identity(0, b"\xcc" * 32)
    referer = actions.register_referer(CTX, TA)
    assert referer.call.contract_id == CTX.accounts_registry  # not the market
    assert referer.call.selector == encoding.SELECTOR_REGISTER_REFERER
    assert referer.wire == {"RegisterReferer": {"to": {"ContractId": TA}}}


def test_prepare_typed() -> None:
    typed = [
        m.CreateOrderAction(m.OrderSide.SELL, "100", "5", m.OrderType.MARKET),
        m.CancelOrderAction("0x" + "01" * 32),
        m.SettleBalanceAction(TA),
        m.RegisterRefererAction(m.AddressIdentity(TA)),
    ]
    prepared = [actions.prepare_typed(CTX, a) for a in typed]
    assert prepared[0] == actions.create_order(CTX, "Sell", 100, 5, m.OrderType.MARKET)
    assert prepared[1] == actions.cancel_order(CTX, "0x" + "01" * 32)
    assert prepared[2] == actions.settle_balance(CTX, TA)
    assert prepared[3] == actions.register_referer(CTX, m.AddressIdentity(TA))
    with pytest.raises(InvalidInput):
        actions.prepare_typed(CTX, object())  # type: ignore[arg-type]


BAD_CREATES: list[tuple[Any, Any, Any, Any]] = [
    ("Buy", 1, 1, "Foo"),
    ("Buy", 1, 1, "spot"),
    ("Buy", 1, 1, None),
    ("Up", 1, 1, m.OrderType.SPOT),
    ("Buy", -1, 1, m.OrderType.SPOT),
    ("Buy", 1, -5, m.OrderType.SPOT),
    ("Buy", True, 1, m.OrderType.SPOT),
    ("Buy", 1, False, m.OrderType.SPOT),
    ("Buy", 1.5, 1, m.OrderType.SPOT),
    ("Buy", float("nan"), 1, m.OrderType.SPOT),
    ("Buy", float("inf"), 1, m.OrderType.SPOT),
    ("Buy", "abc", 1, m.OrderType.SPOT),
    ("Buy", "-3", 1, m.OrderType.SPOT),
    ("Buy", 2**64, 1, m.OrderType.SPOT),
    ("Sell", 1, 2**64, m.OrderType.SPOT),
    ("Buy", 2**63, 2**40, m.OrderType.SPOT),  # price x quantity overflows the amount
    ("Buy", 1, 1, m.LimitOrder(price=-1, timestamp=1)),
    ("Buy", 1, 1, m.LimitOrder(price=1, timestamp=2**64)),
    ("Buy", 1, 1, m.BoundedMarketOrder(max_price=1, min_price=2)),
    ("Buy", 1, 1, m.BoundedMarketOrder(max_price="x", min_price=2)),
]


@pytest.mark.parametrize(("side", "price", "qty", "order_type"), BAD_CREATES)
def test_bad_create_order_input(side: Any, price: Any, qty: Any, order_type: Any) -> None:
    with pytest.raises(InvalidInput) as info:
        actions.create_order(CTX, side, price, qty, order_type)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("oid", ["0x1234", "0x" + "zz" * 32, "0x" + "ab" * 33, "", 12])
def test_bad_order_ids(oid: Any) -> None:
    with pytest.raises(InvalidInput):
        actions.cancel_order(CTX, oid)


@pytest.mark.parametrize("to", ["0x1234", "nothex", "0x" + "ab" * 31])
def test_bad_identities(to: str) -> None:
    with pytest.raises(InvalidInput):
        actions.settle_balance(CTX, to)
    with pytest.raises(InvalidInput):
        actions.register_referer(CTX, to)


def test_market_context_rejects_bad_ids() -> None:
    with pytest.raises(InvalidInput):
        MarketContext.of(MARKET, "0x1234")


def _group(n: int) -> PreparedGroup:
    return PreparedGroup(CTX.market_id, tuple(actions.settle_balance(CTX, TA) for _ in range(n)))


def test_check_batch() -> None:
    actions.check_batch([_group(5)])
    actions.check_batch([_group(2), _group(3)])
    with pytest.raises(TooManyActions):
        actions.check_batch([_group(6)])
    with pytest.raises(TooManyActions):
        actions.check_batch([_group(3), _group(3)])
    with pytest.raises(TooManyActions):
        actions.check_batch([_group(1)] * 5 + [_group(0)])  # six market groups
    with pytest.raises(InvalidInput, match="at least one"):
        actions.check_batch([])
    with pytest.raises(InvalidInput, match="at least one"):
        actions.check_batch([_group(0)])


# --- bodies -------------------------------------------------------------------------


def test_actions_body_exact_bytes_and_order() -> None:
    groups = [
        PreparedGroup(
            CTX.market_id,
            (
                actions.settle_balance(CTX, TA),
                actions.create_order(CTX, "Buy", 100_000_000, 5_000_000_000, m.OrderType.SPOT),
                actions.cancel_order(CTX, "0x" + "01" * 32),
            ),
        )
    ]
    body = actions.actions_body(groups, 8, session(), collect_orders=True)
    signing = actions.actions_signing_bytes(8, groups)
    signature = SESSION_KEY.raw_sign(signing)
    expected = (
        '{"actions":[{"market_id":"' + MARKET.market_id + '","actions":['
        '{"SettleBalance":{"to":{"ContractId":"' + TA + '"}}},'
        '{"CreateOrder":{"side":"Buy","price":"100000000","quantity":"5000000000",'
        '"order_type":"Spot"}},'
        '{"CancelOrder":{"order_id":"0x' + "01" * 32 + '"}}]}],'
        '"signature":{"Secp256k1":"0x' + signature.hex() + '"},"nonce":"8",'
        '"trade_account_id":"' + TA + '","session_id":{"Address":"'
        + SESSION_KEY.b256_address + '"},"collect_orders":true}'
    )
    assert body == expected.encode()
    decoded = m.decode(body, wire_bodies.ActionsBody)
    assert decoded.nonce == 8 and decoded.collect_orders is True
    assert decoded.trade_account_id == TA
    assert decoded.session_id == m.AddressIdentity(SESSION_KEY.b256_address)
    recovered = crypto.recover_public_key(
        crypto.sha256(signing), bytes.fromhex(decoded.signature.Secp256k1[2:])
    )
    assert recovered == SESSION_KEY.public_key


@st.composite
def prepared_actions(draw: st.DrawFn) -> actions.PreparedAction:
    kind = draw(st.sampled_from(["create", "cancel", "settle", "referer"]))
    ident = draw(st.binary(min_size=32, max_size=32)).hex()
    if kind == "cancel":
        return actions.cancel_order(CTX, ident)
    if kind == "settle":
        to: Any = draw(st.sampled_from([ident, m.AddressIdentity(ident)]))
        return actions.settle_balance(CTX, to)
    if kind == "referer":
        return actions.register_referer(CTX, m.ContractIdentity(ident))
    price = draw(st.integers(0, 2**32))
    qty = draw(st.integers(0, 2**32))
    order_type = draw(
        st.sampled_from(list(m.OrderType))
        | st.builds(m.LimitOrder, st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1))
        | st.tuples(st.integers(0, 2**63), st.integers(0, 2**63)).map(
            lambda t: m.BoundedMarketOrder(max(t), min(t))
        )
    )
    return actions.create_order(CTX, draw(st.sampled_from(["Buy", "Sell"])), price, qty,
                                order_type)


@given(st.lists(prepared_actions(), min_size=1, max_size=5), st.integers(0, 2**64 - 1),
       st.booleans())
def test_actions_body_is_verifiable_by_the_exchange(
    prepared: list[actions.PreparedAction], nonce: int, collect: bool
) -> None:
    """What the exchange does: decode the body, rebuild the calls, verify the signature."""
    groups = [PreparedGroup(CTX.market_id, tuple(prepared))]
    actions.check_batch(groups)
    body = actions.actions_body(groups, nonce, session(), collect)
    decoded = m.decode(body, wire_bodies.ActionsBody)
    assert decoded.nonce == nonce and decoded.collect_orders is collect
    (group,) = decoded.actions
    assert group.market_id == CTX.market_id
    calls = [wire_bodies.call_of_wire(a, CTX) for a in group.actions]
    assert calls == [p.call for p in prepared]
    signing = encoding.actions_signing_bytes(decoded.nonce, calls)
    signature = bytes.fromhex(decoded.signature.Secp256k1.removeprefix("0x"))
    assert crypto.recover_public_key(crypto.sha256(signing), signature) == SESSION_KEY.public_key
    raw = json.loads(body)
    assert list(raw) == ["actions", "signature", "nonce", "trade_account_id", "session_id",
                         "collect_orders"]
    assert raw["nonce"] == str(nonce)
    for action in raw["actions"][0]["actions"]:
        if "CreateOrder" in action:
            assert list(action["CreateOrder"]) == ["side", "price", "quantity", "order_type"]
            assert isinstance(action["CreateOrder"]["price"], str)
            assert isinstance(action["CreateOrder"]["quantity"], str)


OWNERS = [crypto.Wallet("0x" + "71" * 32), crypto.EvmWallet("0x" + "72" * 32)]


def _signer_address(owner: crypto.Wallet, digest: bytes, signature: bytes) -> str:
    pub = crypto.recover_public_key(digest, signature)
    if isinstance(owner, crypto.EvmWallet):
        return "0x" + bytes(12).hex() + crypto.evm_address(pub).hex()
    return "0x" + crypto.fuel_address(pub).hex()


@pytest.mark.parametrize("owner", OWNERS, ids=["fuel", "evm"])
def test_session_body(owner: crypto.Wallet) -> None:
    ids = ["0x" + "a1" * 32, "0X" + "A2" * 32, "0x" + "a1" * 32]
    body = actions.session_body(owner, TA, SESSION_KEY.b256_address, ids, 7, 0x2A, 1737504000)
    raw = json.loads(body)
    assert list(raw) == ["contract_id", "session_id", "signature", "contract_ids", "nonce",
                         "expiry"]
    assert raw["nonce"] == "7" and raw["expiry"] == "1737504000"
    decoded = m.decode(body, wire_bodies.SessionBody)
    assert decoded.contract_id == TA
    assert decoded.contract_ids == ["0x" + "a1" * 32, "0x" + "a2" * 32]  # deduplicated, in order
    assert decoded.session_id == m.AddressIdentity(SESSION_KEY.b256_address)
    signing = encoding.session_signing_bytes(
        7, 0x2A, SESSION_KEY.address_bytes, 1737504000, [b"\xa1" * 32, b"\xa2" * 32]
    )
    framed = (
        crypto.evm_personal_sign_digest(signing)
        if isinstance(owner, crypto.EvmWallet)
        else crypto.fuel_personal_sign_digest(signing)
    )
    sig = bytes.fromhex(decoded.signature.Secp256k1[2:])
    assert _signer_address(owner, framed, sig) == owner.b256_address
    with pytest.raises(InvalidInput, match="at least one"):
        actions.session_body(owner, TA, SESSION_KEY.b256_address, [], 7, 1, 1)


@pytest.mark.parametrize("owner", OWNERS, ids=["fuel", "evm"])
def test_withdraw_body(owner: crypto.Wallet) -> None:
    to = m.AddressIdentity(owner.b256_address)
    asset = "0x" + "dd" * 32
    body = actions.withdraw_body(owner, TA, to, asset.upper().replace("0X", "0x"), 10_000_000, 9, 0)
    raw = json.loads(body)
    assert list(raw) == ["trade_account_id", "signature", "nonce", "to", "asset_id", "amount"]
    assert raw["amount"] == "10000000" and raw["nonce"] == "9" and raw["asset_id"] == asset
    decoded = m.decode(body, wire_bodies.WithdrawBody)
    assert decoded.to == to and decoded.amount == 10_000_000
    signing = encoding.withdraw_signing_bytes(9, 0, 0, to.address_bytes, 10_000_000, b"\xdd" * 32)
    framed = (
        crypto.evm_personal_sign_digest(signing)
        if isinstance(owner, crypto.EvmWallet)
        else crypto.fuel_personal_sign_digest(signing)
    )
    sig = bytes.fromhex(decoded.signature.Secp256k1[2:])
    assert _signer_address(owner, framed, sig) == owner.b256_address


def test_bad_input_is_rejected_before_signing() -> None:
    spy = Spy(SESSION_KEY)
    info = session(spy)
    with pytest.raises(InvalidInput):
        actions.actions_body([_group(1)], 2**64, info, False)
    with pytest.raises(InvalidInput):
        actions.actions_body([_group(1)], -1, info, False)
    owner = Spy(OWNERS[0])
    with pytest.raises(InvalidInput):
        actions.session_body(owner, TA, SESSION_KEY.b256_address, ["0x12"], 1, 1, 1)
    with pytest.raises(InvalidInput):
        actions.session_body(owner, TA, "nothex", ["0x" + "a1" * 32], 1, 1, 1)
    with pytest.raises(InvalidInput):
        actions.session_body(owner, TA, SESSION_KEY.b256_address, ["0x" + "a1" * 32], 1, 1, -1)
    to = m.AddressIdentity(TA)
    for amount in (0, -5):
        with pytest.raises(InvalidInput):
            actions.withdraw_body(owner, TA, to, "0x" + "dd" * 32, amount, 1, 0)
    with pytest.raises(InvalidInput):
        actions.withdraw_body(owner, TA, to, "0xdd", 5, 1, 0)
    with pytest.raises(InvalidInput):
        actions.withdraw_body(owner, TA, to, "0x" + "dd" * 32, 2**64, 1, 0)
    assert spy.calls == 0 and owner.calls == 0
    actions.actions_body([_group(1)], 1, info, False)
    assert spy.calls == 1


def test_wire_decoding_rejects_unknown_shapes() -> None:
    (empty,) = wire_bodies.decode_wire_actions([{}])
    with pytest.raises(InvalidInput):
        wire_bodies.call_of_wire(empty, CTX)
    for order_type in ("Foo", {"Limit": ["1", "2"], "Spot": 1}, {"Stop": 1}):
        (wire,) = wire_bodies.decode_wire_actions(
            [{"CreateOrder": {"side": "Buy", "price": "1", "quantity": "1",
                              "order_type": order_type}}]
        )
        with pytest.raises(InvalidInput):
            wire_bodies.call_of_wire(wire, CTX)


def test_prepared_wire_objects_are_independent() -> None:
    first = actions.settle_balance(CTX, TA)
    first.wire["SettleBalance"]["to"]["ContractId"] = "tampered"
    second = actions.settle_balance(CTX, TA)
    assert second.wire == {"SettleBalance": {"to": {"ContractId": TA}}}
    assert actions.settle_balance(CTX, TA.upper().replace("0X", "0x")).wire == second.wire
    with pytest.raises(InvalidInput):
        actions.settle_balance(CTX, ["not", "hashable"])  # type: ignore[arg-type]
