"""Models built by hand the way code written for o2-sdk 0.5.0 builds them.

o2-sdk's models are dataclasses holding chain integers (and fees) as the wire's text;
its own ccxt tests build ``Market(min_order="1000000", ...)``, ``Balance({}, "2000000",
...)`` and ``Order(**{**order.__dict__, "price": "0"})``. Ours keep exact ints: text is
converted on construction, as decoding does.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2_core import Balance, Id, Market, MarketAsset, Order

IDS = {name: Id("0x" + digit * 64) for name, digit in
       (("contract", "2"), ("market", "3"), ("order", "6"))}


def market(**changes: object) -> Market:
    fields: dict[str, object] = dict(
        contract_id=IDS["contract"], market_id=IDS["market"], maker_fee="0", taker_fee="10",
        min_order="1000000", dust="0", price_window=0,
        base=MarketAsset("FUEL", "0x" + "44" * 32, 9, 4),
        quote=MarketAsset("USDC", "0x" + "55" * 32, 6, 3),
    )
    fields.update(changes)
    return Market(**fields)  # type: ignore[arg-type]


def test_a_market_takes_o2_sdk_s_text_fields() -> None:
    built = market()
    assert (built.min_order, built.dust, built.price_window) == (1_000_000, 0, 0)
    assert (built.maker_fee, built.taker_fee) == (Decimal(0), Decimal(10))
    assert built == Market.from_dict(built.to_dict())
    assert built.scale_price("1.5") == 1_500_000
    with pytest.raises(ValueError, match="min_order"):
        market(min_order="1.5")
    with pytest.raises(ValueError, match="taker_fee"):
        market(taker_fee="ten")
    with pytest.raises(ValueError, match="u64"):
        market(dust=str(2**64))


def test_an_order_takes_text_and_rebuilds_from_its_dict() -> None:
    order = Order(order_id=IDS["order"], side="buy", order_type="PostOnly",
                  quantity="2000000000", quantity_fill="500000000", price="1500000",
                  price_fill="1400000", timestamp="1700000000", close=False,
                  partially_filled=True, cancel=False, market_id=IDS["market"])
    assert (order.quantity, order.quantity_fill, order.price, order.price_fill,
            order.timestamp) == (2_000_000_000, 500_000_000, 1_500_000, 1_400_000, 1_700_000_000)
    fields = order.__dict__
    assert fields == vars(order) and list(fields) == list(Order.__struct_fields__)
    fields["price"] = "0"  # a fresh dict: the order is untouched
    assert order.price == 1_500_000
    copy = Order(**{**order.__dict__, "order_type": "FillOrKill", "quantity": "0"})
    assert (copy.order_type, copy.quantity, copy.price) == ("FillOrKill", 0, 1_500_000)
    with pytest.raises(ValueError, match="quantity"):
        Order(order_id=IDS["order"], quantity="2.5")


@pytest.mark.parametrize("name", ["quantity", "quantity_fill", "price", "price_fill",
                                  "timestamp", "desired_quantity"])
def test_each_integer_field_of_an_order_takes_text_alone(name: str) -> None:
    order = Order(order_id=IDS["order"], **{name: " 7"})  # type: ignore[arg-type]
    assert getattr(order, name) == 7 and type(getattr(order, name)) is int
    with pytest.raises(ValueError, match=name):
        Order(order_id=IDS["order"], **{name: "7.5"})  # type: ignore[arg-type]


def test_a_balance_has_o2_sdk_s_field_order_and_takes_text() -> None:
    balance = Balance({}, "2000000", "8000000", "5000000")
    assert (balance.order_books, balance.total_locked, balance.total_unlocked,
            balance.trading_account_balance) == ({}, 2_000_000, 8_000_000, 5_000_000)
    assert balance.total == 10_000_000
    assert Balance.from_dict(balance.to_dict()) == balance
