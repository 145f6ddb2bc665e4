"""Scaling, truncation, FractionalPrice adjustment and order rules (PROTOCOL.md §4)."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from o2_core import markets
from o2_core.errors import InvalidInput, ProtocolError
from o2_core.markets import ChainInt, OrderRuleError
from o2_core.models import Market, MarketAsset, MarketsResponse, decode

DECIMALS = st.integers(0, 18)
HUMAN = st.decimals(min_value=0, max_value=10**9, allow_nan=False, allow_infinity=False)


@st.composite
def precision(draw: st.DrawFn) -> tuple[int, int]:
    decimals = draw(DECIMALS)
    return decimals, draw(st.integers(0, decimals))


@given(HUMAN, precision(), st.sampled_from([str, Decimal, "float"]))
def test_scale_price_never_rounds_up(value: Decimal, prec: tuple[int, int], form: object) -> None:
    decimals, max_precision = prec
    if form == "float":
        as_float = float(value)
        assume(math.isfinite(as_float))
        given_value: object = as_float
        exact = Fraction(Decimal(repr(as_float)))  # floats are taken by their shortest repr
    else:
        given_value = form(value)  # type: ignore[operator]
        exact = Fraction(value)
    factor = 10 ** (decimals - max_precision)
    scaled = markets.scale_price(given_value, decimals, max_precision)  # type: ignore[arg-type]
    assert scaled % factor == 0
    assert Fraction(scaled, 10**decimals) <= exact  # never rounds up
    assert Fraction(scaled + factor, 10**decimals) > exact  # and truncates by less than a tick


@given(st.integers(0, 10**15), precision())
def test_scale_price_is_exact_for_representable_values(ticks: int, prec: tuple[int, int]) -> None:
    decimals, max_precision = prec
    chain = ticks * 10 ** (decimals - max_precision)
    human = Decimal(chain).scaleb(-decimals)
    assert markets.scale_price(human, decimals, max_precision) == chain
    assert markets.scale_price(str(human), decimals, max_precision) == chain
    assert markets.scale_price(format(human, "f"), decimals, max_precision) == chain
    if chain <= markets.U64_MAX:
        assert markets.scale_price(ChainInt(chain), decimals, max_precision) == chain
    assert markets.format_units(chain, decimals) == human


@given(HUMAN, DECIMALS)
def test_scale_quantity_never_rounds_up(value: Decimal, decimals: int) -> None:
    scaled = markets.scale_quantity(value, decimals)
    exact = Fraction(value) * 10**decimals
    assert scaled <= exact < scaled + 1
    assert markets.scale_quantity(Decimal(scaled).scaleb(-decimals), decimals) == scaled


def test_binary_float_trap_is_avoided() -> None:
    assert int(0.57 * 10**8) == 56999999  # what a float pipeline gets
    assert markets.scale_price(0.57, 8, 8) == 57000000
    assert markets.scale_quantity(0.57, 8) == 57000000
    assert markets.scale_quantity("1_000.5", 3) == 1000500
    assert markets.scale_price("1.999", 6, 2) == 1990000  # truncated, never rounded
    assert markets.scale_price(12, 6, 2) == 12000000
    assert markets.scale_price("0.0000001", 6, 6) == 0


@st.composite
def small_order(draw: st.DrawFn) -> tuple[int, int, int]:
    decimals = draw(st.integers(0, 4))
    return draw(st.integers(1, 3000)), draw(st.integers(0, 3000)), decimals


@given(small_order())
def test_adjust_quantity_is_the_largest_valid_quantity(order: tuple[int, int, int]) -> None:
    price, quantity, decimals = order
    base = 10**decimals
    adjusted = markets.adjust_quantity(price, quantity, decimals)
    brute = next(q for q in range(quantity, -1, -1) if price * q % base == 0)
    assert adjusted == brute


@given(st.integers(1, 2**64 - 1), st.integers(0, 2**64 - 1), DECIMALS)
def test_adjust_quantity_satisfies_fractional_price(price: int, quantity: int, dec: int) -> None:
    adjusted = markets.adjust_quantity(price, quantity, dec)
    assert 0 <= adjusted <= quantity
    assert price * adjusted % 10**dec == 0
    quantum = 10**dec // math.gcd(price, 10**dec)
    assert quantity - adjusted < quantum  # nothing larger would do


def test_adjust_quantity_at_price_zero_is_unchanged() -> None:
    assert markets.adjust_quantity(0, 12345, 9) == 12345


@pytest.mark.parametrize(
    "bad",
    ["-1", -1, Decimal("-0.5"), float("nan"), float("inf"), float("-inf"), "NaN", "Infinity",
     "sNaN", "abc", "", "1e", "0x10", True, False, None, [1], b"1"],
)
def test_bad_numbers_are_rejected(bad: object) -> None:
    for fn in (
        lambda v: markets.scale_price(v, 6, 2),
        lambda v: markets.scale_quantity(v, 9),
        lambda v: markets.scale_amount(v, 9),
    ):
        with pytest.raises(InvalidInput) as info:
            fn(bad)
        assert isinstance(info.value, ValueError)


def test_chain_int_rules() -> None:
    assert markets.scale_price(ChainInt(12_000_000), 6, 2) == 12_000_000
    with pytest.raises(InvalidInput, match="multiple of 10000"):
        markets.scale_price(ChainInt(12_000_001), 6, 2)
    assert markets.scale_quantity(ChainInt(7), 9) == 7
    for bad in (-1, 2**64, True, 1.0, "5"):
        with pytest.raises(InvalidInput):
            ChainInt(bad)  # type: ignore[arg-type]


def test_scale_amount_is_exact() -> None:
    assert markets.scale_amount("1.5", 9) == 1_500_000_000
    assert markets.scale_amount(Decimal("18446744073.709551615"), 9) == 2**64 - 1
    with pytest.raises(InvalidInput, match="decimal places"):
        markets.scale_amount("0.0000000001", 9)
    with pytest.raises(InvalidInput, match="u64"):
        markets.scale_amount("18446744073.709551616", 9)
    with pytest.raises(InvalidInput, match="u64"):
        markets.scale_amount("1e60", 9)


def test_check_order_rules_in_order() -> None:
    # price tick: 10^(6-2) = 10000; base decimals 9.
    args = (9, 6, 2)
    markets.check_order(10_000_000, 1_000_000_000, *args, min_order=1)
    with pytest.raises(OrderRuleError) as info:
        markets.check_order(10_000_001, 3, *args, min_order=10**12)
    assert info.value.rule == "PricePrecision"
    with pytest.raises(OrderRuleError) as info:
        markets.check_order(10_000_000, 3, *args, min_order=10**12)
    assert info.value.rule == "FractionalPrice"
    with pytest.raises(OrderRuleError) as info:
        markets.check_order(10_000_000, 1_000_000_000, *args, min_order=10**12)
    assert info.value.rule == "min_order"
    assert isinstance(info.value, InvalidInput)
    assert markets.order_rule_violation(10_000_000, 101, *args, min_order=0) == "FractionalPrice"
    assert markets.order_rule_violation(10_000_000, 100_000_000, *args, min_order=0) is None


def test_market_model_helpers() -> None:
    market = Market(
        contract_id="0x" + "11" * 32,  # type: ignore[arg-type]
        market_id="0x" + "22" * 32,  # type: ignore[arg-type]
        base=MarketAsset("FUEL", "0x" + "33" * 32, 9, 3),  # type: ignore[arg-type]
        quote=MarketAsset("USDC", "0x" + "44" * 32, 6, 4),  # type: ignore[arg-type]
        min_order=1_000_000,
    )
    assert market.pair == "FUEL/USDC"
    price = market.scale_price("0.012345")
    assert price == 12300
    quantity = market.scale_quantity("1000.123456789")
    assert quantity == 1_000_123_456_789
    adjusted = market.adjust_quantity(price, quantity)
    assert adjusted <= quantity and price * adjusted % 10**9 == 0
    market.validate_order(price, adjusted)
    with pytest.raises(OrderRuleError):
        market.validate_order(price, 1)
    assert market.price_decimal(price) == Decimal("0.012300")
    assert market.quantity_decimal(adjusted) == Decimal(adjusted).scaleb(-9)
    # o2-sdk's float forms, for the arithmetic bots do with them
    assert market.format_price(price) == 0.0123 and isinstance(market.format_price(1), float)
    assert market.format_price(price) * 0.5 == 0.00615
    assert market.format_quantity(1_500_000_000) == 1.5


def _markets_body(**changes: object) -> bytes:
    """A ``/v1/markets`` reply with one market, ``changes`` applied to it (``base.x`` for
    the base asset) or to the top level (``top.x``)."""
    asset = {"symbol": "FUEL", "asset": "0x" + "33" * 32, "decimals": 9, "max_precision": 3}
    market: dict[str, object] = {
        "contract_id": "0x" + "11" * 32, "market_id": "0x" + "22" * 32,
        "maker_fee": "0", "taker_fee": "100", "min_order": "1000", "dust": "1",
        "price_window": "0", "base": dict(asset),
        "quote": dict(asset, symbol="USDC", decimals=6, max_precision=4),
    }
    top: dict[str, object] = {"chain_id": "0x0", "markets": [market]}
    for key, value in changes.items():
        where, _, name = key.rpartition(".")
        target = {"": market, "base": market["base"], "top": top}[where]
        target[name] = value  # type: ignore[index]
    return json.dumps(top).encode()


def test_a_sound_market_config_decodes() -> None:
    reply = decode(_markets_body(), MarketsResponse)
    assert reply.chain_id_int == 0
    assert reply.markets[0].taker_fee == 100  # the exchange's unit, kept as sent


@pytest.mark.parametrize(
    "changes",
    [
        {"base.decimals": 20},  # 10**20 does not fit a u64
        {"base.decimals": -1},
        {"base.max_precision": 10},  # more than the asset's 9 decimals
        {"maker_fee": "-0.1"},
        {"taker_fee": "NaN"},
        {"taker_fee": "Infinity"},
        {"min_order": str(2**64)},
        {"dust": -5},
        {"price_window": "18446744073709551616"},
        {"top.chain_id": "0xnothex"},
        {"top.chain_id": "-1"},
        {"top.chain_id": hex(2**64)},
    ],
    ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()),
)
def test_a_broken_market_config_fails_when_decoded(changes: dict[str, object]) -> None:
    """A broken markets reply is a ProtocolError naming the field, at once — not a
    confusing failure later inside price scaling."""
    with pytest.raises(ProtocolError) as info:
        decode(_markets_body(**changes), MarketsResponse)
    field = next(iter(changes)).rpartition(".")[2]
    assert field in str(info.value)
