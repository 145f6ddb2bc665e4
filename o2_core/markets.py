"""Prices and quantities: scaling, truncation, FractionalPrice adjustment, validation.

PROTOCOL.md §4, in exact decimal arithmetic (never binary floats). Functions take the
market's decimals and precisions as ints so they are usable without a ``Market`` model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .errors import InvalidInput, OrderRuleError

U64_MAX = 2**64 - 1
#: The most decimals an asset can have (10**19 is the largest power of ten in a u64).
MAX_DECIMALS = 19


@dataclass(frozen=True)
class ChainInt:
    """An explicit raw chain integer (already scaled): passed through after validation."""

    value: int

    def __post_init__(self) -> None:
        if not isinstance(self.value, int) or isinstance(self.value, bool):
            raise InvalidInput(f"ChainInt needs an int, got {type(self.value).__name__}")
        if not 0 <= self.value <= U64_MAX:
            raise InvalidInput(f"ChainInt must be in 0..2**64-1, got {self.value}")


NumericInput = str | int | float | Decimal | ChainInt
"""What price and quantity arguments accept (human units, or a raw :class:`ChainInt`)."""



def to_decimal(value: str | int | float | Decimal, what: str) -> Decimal:
    """A finite, non-negative Decimal from a human input; floats via their shortest repr.

    Args:
        value: a str (``_`` separators allowed), int, float or Decimal.
        what: what it is, for the error message.

    Returns:
        The exact value.

    Raises:
        InvalidInput: a bool, another type, not a number, not finite, or negative.
    """
    if isinstance(value, bool):
        raise InvalidInput(f"{what} must be a number, got a bool")
    try:
        if isinstance(value, Decimal):
            parsed = value
        elif isinstance(value, int):
            parsed = Decimal(value)
        elif isinstance(value, float):
            parsed = Decimal(repr(value))
        elif isinstance(value, str):
            parsed = Decimal(value.strip().replace("_", ""))
        else:
            raise InvalidInput(f"{what} must be str, int, float, Decimal or ChainInt")
    except InvalidOperation:
        raise InvalidInput(f"{what} is not a number: {value!r}") from None
    if not parsed.is_finite():
        raise InvalidInput(f"{what} must be finite, got {value!r}")
    if parsed < 0:
        raise InvalidInput(f"{what} must not be negative, got {value!r}")
    return parsed


def truncation_factor(decimals: int, max_precision: int) -> int:
    """``10 ** (decimals - max_precision)``: chain values must be multiples of it.

    Args:
        decimals: the asset's decimals.
        max_precision: the significant decimals allowed.

    Returns:
        The factor (1 when ``max_precision >= decimals``).
    """
    return int(10 ** max(decimals - max_precision, 0))


def _shift(human: Decimal, decimals: int) -> tuple[int, bool]:
    """``human * 10**decimals`` truncated toward zero, and whether it was exact.

    Integer arithmetic on the decimal digits: no context precision, no rounding.
    """
    _, digits, exponent = human.as_tuple()
    assert isinstance(exponent, int)  # finite, checked by to_decimal
    mantissa = int("".join(map(str, digits)) or "0")
    shift = exponent + decimals
    if mantissa == 0:
        return 0, True
    if shift >= 0:
        if shift > 40:  # certainly beyond a u64; avoid building a huge power of ten
            return U64_MAX + 1, True
        return mantissa * 10**shift, True
    if -shift > len(digits):
        return 0, False
    whole, rest = divmod(mantissa, 10**-shift)
    return whole, rest == 0


def _scale(value: NumericInput, decimals: int, factor: int, what: str) -> int:
    if isinstance(value, ChainInt):
        if value.value % factor:
            raise InvalidInput(
                f"raw {what} {value.value} must be a multiple of {factor} "
                f"(the market's {what} precision)"
            )
        return value.value
    scaled, _ = _shift(to_decimal(value, what), decimals)
    return scaled - scaled % factor


def scale_price(value: NumericInput, quote_decimals: int, quote_max_precision: int) -> int:
    """Chain price: human x 10^quote_decimals, truncated to the market's tick.

    Args:
        value: a human price, or a ``ChainInt`` (which must already be on the tick).
        quote_decimals: the quote asset's decimals.
        quote_max_precision: the price's significant decimals.

    Returns:
        The chain price.

    Raises:
        InvalidInput: not a usable number, or a ``ChainInt`` off the tick.
    """
    return _scale(
        value, quote_decimals, truncation_factor(quote_decimals, quote_max_precision), "price"
    )


def scale_quantity(value: NumericInput, base_decimals: int) -> int:
    """Chain quantity: human x 10^base_decimals, truncated toward zero.

    Scaling is exact arithmetic and does not bound the result; a value beyond a u64 is
    rejected when the order is encoded.

    Quantity is not truncated to ``max_precision`` here (the official SDK's vectors do
    not); :func:`adjust_quantity` then makes it satisfy FractionalPrice.

    Args:
        value: a human quantity, or a ``ChainInt``.
        base_decimals: the base asset's decimals.

    Returns:
        The chain quantity.

    Raises:
        InvalidInput: not a usable number.
    """
    return _scale(value, base_decimals, 1, "quantity")


def scale_amount(value: NumericInput, decimals: int, what: str = "amount") -> int:
    """An asset amount (e.g. a withdrawal) in chain units; it must scale exactly.

    Args:
        value: a human amount, or a ``ChainInt`` (passed through).
        decimals: the asset's decimals.
        what: what it is, for the error message.

    Returns:
        The chain amount.

    Raises:
        InvalidInput: not a usable number, more decimal places than ``decimals``, or
            beyond a u64 once scaled.
    """
    if isinstance(value, ChainInt):
        return value.value
    scaled, exact = _shift(to_decimal(value, what), decimals)
    if not exact:
        raise InvalidInput(f"{what} {value!r} has more than {decimals} decimal places")
    if scaled > U64_MAX:
        raise InvalidInput(f"{what} {value!r} does not fit in a u64 once scaled")
    return scaled


def adjust_quantity(price: int, quantity: int, base_decimals: int) -> int:
    """The largest quantity <= ``quantity`` with ``price*q % 10^base_decimals == 0``
    (FractionalPrice).

    Args:
        price: the chain price (a non-positive price leaves the quantity as it is).
        quantity: the chain quantity.
        base_decimals: the base asset's decimals.

    Returns:
        The adjusted quantity (possibly 0).
    """
    if price <= 0:
        return quantity
    base: int = 10**base_decimals
    quantum = base // math.gcd(price, base)
    return quantity - quantity % quantum


def check_order(
    price: int,
    quantity: int,
    base_decimals: int,
    quote_decimals: int,
    quote_max_precision: int,
    min_order: int,
) -> None:
    """Raise for the first rule the order breaks: PricePrecision, then FractionalPrice, then
    min_order (PROTOCOL.md §4).

    Args:
        price: the chain price.
        quantity: the chain quantity.
        base_decimals: the base asset's decimals.
        quote_decimals: the quote asset's decimals.
        quote_max_precision: the price's significant decimals (the tick is
            ``10**(quote_decimals - quote_max_precision)``).
        min_order: the smallest order value, in chain units of the quote asset.

    Raises:
        OrderRuleError: ``rule`` names the broken rule.
    """
    factor = truncation_factor(quote_decimals, quote_max_precision)
    if price % factor:
        raise OrderRuleError("PricePrecision", f"price {price} must be a multiple of {factor}")
    notional = price * quantity
    base = 10**base_decimals
    if notional % base:
        raise OrderRuleError(
            "FractionalPrice",
            f"price*quantity = {notional} must be divisible by 10^{base_decimals}",
        )
    if notional // base < min_order:
        raise OrderRuleError(
            "min_order", f"order value {notional // base} is below the market minimum {min_order}"
        )


def order_rule_violation(
    price: int,
    quantity: int,
    base_decimals: int,
    quote_decimals: int,
    quote_max_precision: int,
    min_order: int,
) -> str | None:
    """The name of the first rule the order breaks (see :func:`check_order`).

    Args:
        price: the chain price.
        quantity: the chain quantity.
        base_decimals: the base asset's decimals.
        quote_decimals: the quote asset's decimals.
        quote_max_precision: the price's significant decimals (the tick is
            ``10**(quote_decimals - quote_max_precision)``).
        min_order: the smallest order value, in chain units of the quote asset.

    Returns:
        ``"PricePrecision"``, ``"FractionalPrice"`` or ``"min_order"``; None when the
        order is valid.
    """
    try:
        check_order(price, quantity, base_decimals, quote_decimals, quote_max_precision, min_order)
    except OrderRuleError as err:
        return err.rule
    return None


def format_units(value: int, decimals: int) -> Decimal:
    """Human value of a chain integer, exactly.

    Args:
        value: the chain integer.
        decimals: the asset's decimals.

    Returns:
        ``value / 10**decimals`` as a Decimal.
    """
    return Decimal(value).scaleb(-decimals)
