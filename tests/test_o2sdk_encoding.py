"""o2-sdk 0.5.0's encoding names in o2_core.encoding: the same bytes as the official ones.

Every function is compared with the installed official ``o2_sdk.encoding`` on generated
inputs (hypothesis), and checked against our own encoders (one layout per payload).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from o2_sdk import encoding as official

from o2_core import actions
from o2_core import encoding as enc
from o2_core import models as m
from o2_core.errors import InvalidInput

U64 = st.integers(0, enc.U64_MAX)
U256 = st.integers(0, 2**256 - 1)
B32 = st.binary(min_size=32, max_size=32)
HEX32 = B32.map(lambda b: "0x" + b.hex())
SMALL = st.integers(0, 2**40)
NAMES = st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=40)


def test_the_constants_and_aliases() -> None:
    assert enc.GAS_MAX == official.GAS_MAX
    assert enc.SET_PROXY_FN_NAME == official.SET_PROXY_FN_NAME
    assert enc.u64_be is enc.u64
    assert enc.encode_option_none() == official.encode_option_none() == bytes(8)


@given(U64)
def test_u64_be(value: int) -> None:
    assert enc.u64_be(value) == official.u64_be(value)


@given(st.binary(max_size=100))
def test_options(data: bytes) -> None:
    assert enc.encode_option_some(data) == official.encode_option_some(data)
    assert enc.encode_option_call_data(data) == official.encode_option_call_data(data)


@given(NAMES, st.sampled_from([0, 1]), B32)
def test_selector_and_identity(name: str, disc: int, address: bytes) -> None:
    assert enc.function_selector(name) == official.function_selector(name)
    assert enc.encode_identity(disc, address) == official.encode_identity(disc, address)


ORDER_TYPES = st.one_of(
    st.tuples(st.sampled_from(["Spot", "FillOrKill", "PostOnly", "Market"]), st.none()),
    st.tuples(st.just("Limit"), st.fixed_dictionaries({"price": U64, "timestamp": U64})),
    st.tuples(
        st.just("BoundedMarket"), st.fixed_dictionaries({"max_price": U64, "min_price": U64})
    ),
)


@given(U64, U64, ORDER_TYPES, st.booleans())
def test_order_args_by_name_and_by_bytes(
    price: int, quantity: int, order_type: tuple[str, dict[str, Any] | None], as_text: bool
) -> None:
    name, data = order_type
    if data is not None and as_text:  # o2-sdk's dicts carry decimal strings too
        data = {k: str(v) for k, v in data.items()}
    want = official.encode_order_args(price, quantity, name, data)
    assert enc.encode_order_args(price, quantity, name, data) == want
    keys = {"Limit": ("price", "timestamp"), "BoundedMarket": ("max_price", "min_price")}
    first, second = (int(data[k]) for k in keys[name]) if data else (0, 0)
    encoded_type = enc.encode_order_type(name, first, second)
    assert enc.encode_order_args(price, quantity, encoded_type) == want


@pytest.mark.parametrize(
    ("name", "data"),
    [("Limit", None), ("BoundedMarket", None), ("Limit", {"price": 1}), ("Nope", None),
     ("Limit", {"price": "x", "timestamp": 1})],
)
def test_order_args_bad_input_is_a_value_error(name: str, data: dict[str, Any] | None) -> None:
    with pytest.raises((ValueError, KeyError)):  # o2-sdk: KeyError for a missing key
        official.encode_order_args(1, 1, name, data)
    with pytest.raises(InvalidInput):
        enc.encode_order_args(1, 1, name, data)


@given(U64, U64, B32, st.lists(B32, max_size=5), U64)
def test_session_signing_bytes(
    nonce: int, chain_id: int, session: bytes, contracts: list[bytes], expiry: int
) -> None:
    want = official.build_session_signing_bytes(nonce, chain_id, session, contracts, expiry)
    assert enc.build_session_signing_bytes(nonce, chain_id, session, contracts, expiry) == want
    assert enc.session_signing_bytes(nonce, chain_id, session, expiry, contracts) == want


@given(U64, U64, st.sampled_from([0, 1]), B32, B32, U64)
def test_withdraw_signing_bytes(
    nonce: int, chain_id: int, disc: int, to: bytes, asset: bytes, amount: int
) -> None:
    want = official.build_withdraw_signing_bytes(nonce, chain_id, disc, to, asset, amount)
    assert enc.build_withdraw_signing_bytes(nonce, chain_id, disc, to, asset, amount) == want
    assert enc.withdraw_signing_bytes(nonce, chain_id, disc, to, amount, asset) == want


@given(U64, U64, NAMES.map(str.encode), st.binary(max_size=64))
def test_owner_action_and_set_proxy_signing_bytes(
    nonce: int, chain_id: int, name: bytes, args: bytes
) -> None:
    assert enc.build_owner_action_signing_bytes(
        nonce, chain_id, name, args
    ) == official.build_owner_action_signing_bytes(nonce, chain_id, name, args)
    assert enc.build_set_proxy_signing_bytes(
        nonce, chain_id
    ) == official.build_set_proxy_signing_bytes(nonce, chain_id)


CALLS = st.lists(
    st.fixed_dictionaries(
        {
            "contract_id": B32,
            "function_selector": NAMES.map(enc.function_selector),
            "amount": U64,
            "asset_id": B32,
            "gas": U64,
        },
        optional={"call_data": st.none() | st.binary(max_size=80)},
    ),
    max_size=5,
)


@given(U64, U256, CALLS)
def test_actions_signing_bytes_from_call_dicts(
    nonce: int, parallel: int, calls: list[dict[str, Any]]
) -> None:
    want = official.build_actions_signing_bytes(nonce, calls)
    assert enc.build_actions_signing_bytes(nonce, calls) == want
    as_calls = [
        enc.Call(c["contract_id"], c["function_selector"], c["amount"], c["asset_id"],
                 c.get("call_data"), c["gas"])
        for c in calls
    ]
    assert enc.build_actions_signing_bytes(nonce, as_calls) == want
    assert enc.actions_signing_bytes(nonce, as_calls) == want
    want_parallel = official.build_parallel_actions_signing_bytes(parallel, calls)
    assert enc.build_parallel_actions_signing_bytes(parallel, calls) == want_parallel


def test_a_call_dict_without_a_field_is_bad_input() -> None:
    with pytest.raises(InvalidInput, match="contract_id"):
        enc.build_actions_signing_bytes(0, [{"amount": 1}])
    with pytest.raises(InvalidInput):
        enc.build_actions_signing_bytes(0, ["not a call"])  # type: ignore[list-item]


# --- action_to_call ----------------------------------------------------------------------

MARKET_INFO = st.fixed_dictionaries(
    {
        "contract_id": HEX32,
        "accounts_registry_id": HEX32,
        "base": st.fixed_dictionaries({"asset": HEX32, "decimals": st.integers(0, 18)}),
        "quote": st.fixed_dictionaries({"asset": HEX32, "decimals": st.integers(0, 18)}),
    }
)
WIRE_ORDER_TYPES = st.one_of(
    st.sampled_from(["Spot", "FillOrKill", "PostOnly", "Market"]),
    st.tuples(SMALL, SMALL).map(lambda t: {"Limit": [str(t[0]), str(t[1])]}),
    st.tuples(SMALL, SMALL).map(
        lambda t: {"BoundedMarket": {"max_price": str(t[0]), "min_price": str(t[1])}}
    ),
)
IDENTITY = st.one_of(
    HEX32.map(lambda h: {"Address": h}), HEX32.map(lambda h: {"ContractId": h})
)
ACTIONS = st.one_of(
    st.fixed_dictionaries(
        {
            "CreateOrder": st.fixed_dictionaries(
                {
                    "side": st.sampled_from(["Buy", "Sell"]),
                    "price": SMALL.map(str),
                    "quantity": SMALL.map(str),
                    "order_type": WIRE_ORDER_TYPES,
                }
            )
        }
    ),
    st.fixed_dictionaries(
        {"CancelOrder": st.fixed_dictionaries(
            {"order_id": st.one_of(HEX32, HEX32.map(lambda h: h[2:]))})}
    ),
    st.fixed_dictionaries({"SettleBalance": st.fixed_dictionaries({"to": IDENTITY})}),
    st.fixed_dictionaries({"RegisterReferer": st.fixed_dictionaries({"to": IDENTITY})}),
)


@given(ACTIONS, MARKET_INFO)
def test_action_to_call_matches_the_official(
    action: dict[str, Any], market: dict[str, Any]
) -> None:
    want = official.action_to_call(action, market)
    if want["amount"] > enc.U64_MAX:  # o2-sdk fails later, when it packs the amount
        with pytest.raises(InvalidInput, match="u64"):
            enc.action_to_call(action, market)
        return
    got = enc.action_to_call(action, market)
    assert got == want
    assert enc.build_actions_signing_bytes(7, [got]) == official.build_actions_signing_bytes(
        7, [want]
    )


@given(
    st.sampled_from(["Buy", "Sell"]), SMALL, SMALL, st.sampled_from(["Spot", "PostOnly"]),
    MARKET_INFO,
)
def test_action_to_call_is_the_call_our_pipeline_signs(
    side: str, price: int, quantity: int, order_type: str, market: dict[str, Any]
) -> None:
    ctx = actions.MarketContext(
        market_id="0x" + "00" * 32,
        contract_id=bytes.fromhex(market["contract_id"][2:]),
        base_asset=bytes.fromhex(market["base"]["asset"][2:]),
        quote_asset=bytes.fromhex(market["quote"]["asset"][2:]),
        base_factor=10 ** market["base"]["decimals"],
        accounts_registry=bytes.fromhex(market["accounts_registry_id"][2:]),
    )
    assume(side == "Sell" or price * quantity // ctx.base_factor <= enc.U64_MAX)
    prepared = actions.create_order(ctx, side, price, quantity, m.OrderType(order_type))
    call = enc.action_to_call(prepared.wire, market)
    assert call["call_data"] == prepared.call.call_data
    assert enc.build_actions_signing_bytes(3, [call]) == enc.actions_signing_bytes(
        3, [prepared.call]
    )


@pytest.mark.parametrize(
    "action",
    [
        {"Nope": {}},
        {"CreateOrder": {"side": "Hold", "price": "1", "quantity": "1", "order_type": "Spot"}},
        {"CreateOrder": {"side": "Buy", "price": "1", "quantity": "1", "order_type": "Odd"}},
        {"CreateOrder": {"side": "Buy", "price": "1", "quantity": "1",
                         "order_type": {"Odd": []}}},
        {"CancelOrder": {"order_id": "0x12"}},
        {"SettleBalance": {"to": {"Bank": "0x" + "11" * 32}}},
        {"CreateOrder": {"side": "Buy"}},
    ],
)
def test_action_to_call_rejects_bad_actions(action: dict[str, Any]) -> None:
    market = {"contract_id": "0x" + "22" * 32, "accounts_registry_id": "0x" + "33" * 32,
              "base": {"asset": "0x" + "44" * 32, "decimals": 9},
              "quote": {"asset": "0x" + "55" * 32, "decimals": 6}}
    with pytest.raises(InvalidInput):
        enc.action_to_call(action, market)


def test_a_buy_whose_amount_overflows_a_u64_is_rejected() -> None:
    market = {"contract_id": "0x" + "22" * 32, "base": {"asset": "0x" + "44" * 32,
              "decimals": 0}, "quote": {"asset": "0x" + "55" * 32, "decimals": 6}}
    big = str(2**40)
    action = {"CreateOrder": {"side": "Buy", "price": big, "quantity": big, "order_type": "Spot"}}
    with pytest.raises(InvalidInput, match="u64"):
        enc.action_to_call(action, market)
