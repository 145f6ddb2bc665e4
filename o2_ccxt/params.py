"""Pure checks of what a caller passes the adapter: constructor options and ``params``.

Each function turns one caller-supplied value into what the client takes (a ``Network``,
a depth precision, an O2 order type, an exact decimal string on a market's tick) or
raises the ccxt error for it; nothing here touches a network or an exchange instance.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, cast

from ccxt.base.decimal_to_precision import DECIMAL_PLACES, TRUNCATE, decimal_to_precision

from o2_core.config import Network
from o2_core.inputs import BoundedMarketOrder, LimitOrder
from o2_core.models import OrderType

from .errors import ArgumentsRequired, BadRequest, InvalidOrder

Json = dict[str, Any]

_PRECISION_ERROR = "params.precision must be an integer from 1 to 18"


def o2_network(value: Network | str | None) -> Network:
    """The ``Network`` named by the ``network`` option (default testnet).

    Raises:
        BadRequest: no such network.
    """
    if value is None:
        return Network.TESTNET
    if isinstance(value, Network):
        return value
    try:
        return Network(str(value).lower())
    except ValueError:
        raise BadRequest(f"unknown O2 network: {value!r}") from None


def depth_precision(params: Json | None) -> int:
    """The O2 depth precision level (1..18, default 1) named by ``params["precision"]``.

    Raises:
        BadRequest: not an integer from 1 to 18.
    """
    requested = (params or {}).get("precision", 1)
    if isinstance(requested, bool):
        raise BadRequest(_PRECISION_ERROR)
    try:
        exact = Decimal(str(requested))
    except (InvalidOperation, ValueError):
        raise BadRequest(_PRECISION_ERROR) from None
    if not exact.is_finite() or exact != exact.to_integral_value() or not 1 <= exact <= 18:
        raise BadRequest(_PRECISION_ERROR)
    return int(exact)


def settle_first(params: Json) -> bool:
    """``params["settleFirst"]`` (default True).

    Raises:
        InvalidOrder: not a boolean.
    """
    value = params.get("settleFirst", True)
    if not isinstance(value, bool):
        raise InvalidOrder("params.settleFirst must be a boolean")
    return value


def order_type(value: object) -> OrderType | LimitOrder | BoundedMarketOrder:
    """The O2 order type named by ``params["orderType"]`` (an ``OrderType``, its name, a
    ``LimitOrder`` or a ``BoundedMarketOrder``).

    Raises:
        InvalidOrder: anything else.
    """
    if isinstance(value, (OrderType, LimitOrder, BoundedMarketOrder)):
        return value
    if isinstance(value, str):
        try:
            return OrderType(value)
        except ValueError:
            raise InvalidOrder(f"invalid O2 orderType: {value!r}") from None
    raise InvalidOrder("params.orderType must be an O2 OrderType (or its name)")


def truncate(value: float | str | Decimal, digits: int) -> str:
    """``value`` cut (never rounded up) to ``digits`` decimal places, as ccxt writes it."""
    return cast(str, decimal_to_precision(str(value), TRUNCATE, digits, DECIMAL_PLACES))


def _positive_bound(params: Json, key: str) -> Decimal:
    try:
        value = Decimal(str(params.get(key)))
    except (InvalidOperation, ValueError):
        value = Decimal(0)
    if not value.is_finite() or value <= 0:
        raise ArgumentsRequired(
            f"create_order market orders require a positive params.{key} O2 price bound"
        )
    return value


def market_order_price(digits: int, side: str, price: float | None, params: Json) -> str:
    """The protective price of a bounded market order, on a tick of ``digits`` places.

    The bound is ``price`` when given (it must lie within the bounds), else
    ``params["maxPrice"]`` for a buy and ``params["minPrice"]`` for a sell (both
    required). A buy's bound is rounded down and a sell's up, so rounding never
    loosens it.

    Raises:
        ArgumentsRequired: a bound missing or not positive.
        InvalidOrder: ``minPrice > maxPrice``, ``price`` outside them, or a buy bound
            below the tick.
    """
    max_price = _positive_bound(params, "maxPrice")
    min_price = _positive_bound(params, "minPrice")
    if min_price > max_price:
        raise InvalidOrder("create_order market orders require minPrice <= maxPrice")
    if price is not None:
        given = Decimal(str(price))
        if not min_price <= given <= max_price:
            raise InvalidOrder("create_order market price must be between minPrice and maxPrice")
        bound = given
    else:
        bound = max_price if side == "buy" else min_price
    down = truncate(bound, digits)
    if side == "buy":
        if Decimal(down) <= 0:
            raise InvalidOrder("create_order maxPrice is below the market's price tick")
        return down
    if Decimal(down) == bound:
        return down
    return truncate(Decimal(down) + Decimal(1).scaleb(-digits), digits)


__all__ = [
    "depth_precision",
    "market_order_price",
    "o2_network",
    "order_type",
    "settle_first",
    "truncate",
]
