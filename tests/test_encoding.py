"""Fuel ABI byte layouts (PROTOCOL.md §3): lengths, field positions, and bad input."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2_core import encoding as enc
from o2_core.errors import InvalidInput

U64 = st.integers(0, enc.U64_MAX)
B32 = st.binary(min_size=32, max_size=32)
NAMES = st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=40)
ORDER_TYPES = st.sampled_from(list(enc.ORDER_TYPE_CODES))


def be(value: int) -> bytes:
    return struct.pack(">Q", value)


def test_selector_and_constants() -> None:
    assert enc.function_selector("create_order") == be(12) + b"create_order"
    assert be(14) + b"settle_balance" == enc.SELECTOR_SETTLE_BALANCE
    assert be(12) + b"cancel_order" == enc.SELECTOR_CANCEL_ORDER
    assert be(16) + b"register_referer" == enc.SELECTOR_REGISTER_REFERER
    assert enc.GAS_MAX == 2**64 - 1
    assert bytes(32) == enc.ZERO_B256
    assert enc.ORDER_TYPE_CODES == {
        "Limit": 0, "Spot": 1, "FillOrKill": 2, "PostOnly": 3, "Market": 4, "BoundedMarket": 5,
    }


def test_identity_and_option() -> None:
    addr = bytes(range(32))
    assert enc.encode_identity(0, addr) == be(0) + addr
    assert enc.encode_identity(1, addr) == be(1) + addr
    assert enc.encode_option_call_data(None) == be(0)
    assert enc.encode_option_call_data(b"abc") == be(1) + be(3) + b"abc"
    assert enc.encode_option_call_data(b"") == be(1) + be(0)


@given(U64, U64, ORDER_TYPES, U64, U64)
def test_order_args_layout(price: int, qty: int, name: str, a: int, b: int) -> None:
    order_type = enc.encode_order_type(name, a, b)
    args = enc.encode_order_args(price, qty, order_type)
    parametrised = name in ("Limit", "BoundedMarket")
    assert len(args) == 16 + (24 if parametrised else 8)
    assert args[:8] == be(price) and args[8:16] == be(qty)
    assert args[16:24] == be(enc.ORDER_TYPE_CODES[name])
    if parametrised:
        assert args[24:] == be(a) + be(b)


@given(
    U64,
    st.lists(st.tuples(B32, NAMES, U64, B32, st.none() | st.binary(max_size=80), U64), max_size=6),
)
def test_actions_signing_bytes_layout(nonce: int, raw: list[tuple]) -> None:  # type: ignore[type-arg]
    calls = [
        enc.Call(cid, enc.function_selector(name), amount, asset, data, gas)
        for cid, name, amount, asset, data, gas in raw
    ]
    out = enc.actions_signing_bytes(nonce, calls)
    assert out[:8] == be(nonce) and out[8:16] == be(len(calls))
    pos = 16
    for call in calls:
        option = 8 if call.call_data is None else 16 + len(call.call_data)
        size = 32 + 8 + len(call.selector) + 8 + 32 + 8 + option
        one = enc.encode_call(call)
        assert len(one) == size
        assert out[pos : pos + size] == one
        assert one[:32] == call.contract_id
        assert one[32:40] == be(len(call.selector))  # the selector's length, then the selector
        sel_end = 40 + len(call.selector)
        assert one[40:sel_end] == call.selector
        assert one[sel_end : sel_end + 8] == be(call.amount)
        assert one[sel_end + 8 : sel_end + 40] == call.asset_id
        assert one[sel_end + 40 : sel_end + 48] == be(call.gas)
        pos += size
    assert pos == len(out)


@given(U64, U64, B32, U64, st.lists(B32, max_size=10))
def test_session_layout(
    nonce: int, chain: int, session: bytes, expiry: int, ids: list[bytes]
) -> None:
    out = enc.session_signing_bytes(nonce, chain, session, expiry, ids)
    assert len(out) == 8 + 8 + 8 + 11 + 8 + 8 + 32 + 8 + 8 + 32 * len(ids)
    assert out == (
        be(nonce) + be(chain) + be(11) + b"set_session" + be(1) + be(0) + session + be(expiry)
        + be(len(ids)) + b"".join(ids)
    )


@given(U64, U64, st.sampled_from([0, 1]), B32, U64, B32)
def test_withdraw_layout(
    nonce: int, chain: int, disc: int, to: bytes, amount: int, asset: bytes
) -> None:
    out = enc.withdraw_signing_bytes(nonce, chain, disc, to, amount, asset)
    assert len(out) == 8 + 8 + 8 + 8 + 8 + 32 + 8 + 32
    assert out == (
        be(nonce) + be(chain) + be(8) + b"withdraw" + be(disc) + to + be(amount) + asset
    )


@pytest.mark.parametrize("bad", [-1, 2**64, 2**70, True, 1.0, "1", None])
def test_u64_rejects(bad: object) -> None:
    with pytest.raises(InvalidInput):
        enc.u64(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        enc.encode_order_args(bad, 1, enc.encode_order_type("Spot"))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        enc.session_signing_bytes(bad, 0, bytes(32), 0, [])  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        enc.withdraw_signing_bytes(0, 0, 0, bytes(32), bad, bytes(32))  # type: ignore[arg-type]


def test_u64_bounds() -> None:
    assert enc.u64(0) == bytes(8)
    assert enc.u64(2**64 - 1) == b"\xff" * 8


def test_u64_overflow_in_calls() -> None:
    call = enc.Call(bytes(32), enc.SELECTOR_CANCEL_ORDER, 2**64, bytes(32), None)
    with pytest.raises(InvalidInput):
        enc.actions_signing_bytes(0, [call])
    with pytest.raises(InvalidInput):
        enc.actions_signing_bytes(2**64, [])
    with pytest.raises(InvalidInput):
        enc.encode_order_type("Limit", 2**64, 0)
    with pytest.raises(InvalidInput):
        enc.encode_order_type("BoundedMarket", 0, -1)


@pytest.mark.parametrize("name", ["Foo", "spot", "", "LIMIT"])
def test_unknown_order_type(name: str) -> None:
    with pytest.raises(InvalidInput, match="unknown order type"):
        enc.encode_order_type(name)


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_wrong_length_ids(length: int) -> None:
    raw = b"\x01" * length
    with pytest.raises(InvalidInput):
        enc.encode_identity(0, raw)
    with pytest.raises(InvalidInput):
        enc.encode_call(enc.Call(raw, enc.SELECTOR_CANCEL_ORDER, 0, bytes(32), None))
    with pytest.raises(InvalidInput):
        enc.encode_call(enc.Call(bytes(32), enc.SELECTOR_CANCEL_ORDER, 0, raw, None))
    with pytest.raises(InvalidInput):
        enc.session_signing_bytes(0, 0, raw, 0, [])
    with pytest.raises(InvalidInput):
        enc.session_signing_bytes(0, 0, bytes(32), 0, [raw])
    with pytest.raises(InvalidInput):
        enc.withdraw_signing_bytes(0, 0, 0, bytes(32), 1, raw)


@pytest.mark.parametrize("disc", [2, -1, None])
def test_identity_discriminant(disc: object) -> None:
    with pytest.raises(InvalidInput):
        enc.encode_identity(disc, bytes(32))  # type: ignore[arg-type]


@given(B32, NAMES, U64, B32, st.none() | st.binary(max_size=80), U64)
def test_encode_call_fast_and_checked_paths_agree(
    cid: bytes, name: str, amount: int, asset: bytes, data: bytes | None, gas: int
) -> None:
    selector = enc.function_selector(name)
    fast = enc.encode_call(enc.Call(cid, selector, amount, asset, data, gas))
    # bytearray ids take the fully checked path
    slow_call = enc.Call(bytearray(cid), selector, amount, bytearray(asset), data, gas)
    checked = enc.encode_call(slow_call)
    assert fast == checked
