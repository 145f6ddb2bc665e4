"""What users pass in: order sides and types, and the actions of ``batch_actions``.

Typed actions (:class:`CreateOrderAction` ...) carry already-scaled chain integers; the
``*RequestAction`` forms carry human values that the client scales and validates.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .identity import Identity
from .markets import NumericInput


class OrderSide(Enum):
    """Side of an order."""

    BUY = "Buy"
    SELL = "Sell"


class OrderType(Enum):
    """Order types without parameters. See :class:`LimitOrder`, :class:`BoundedMarketOrder`."""

    SPOT = "Spot"
    MARKET = "Market"
    FILL_OR_KILL = "FillOrKill"
    POST_ONLY = "PostOnly"


@dataclass(frozen=True)
class LimitOrder:
    """A limit order: ``price`` and ``timestamp`` (unix seconds; None = now)."""

    price: NumericInput
    timestamp: int | None = None


@dataclass(frozen=True)
class BoundedMarketOrder:
    """A market order that only fills between ``min_price`` and ``max_price``."""

    max_price: NumericInput
    min_price: NumericInput


AnyOrderType = OrderType | LimitOrder | BoundedMarketOrder


@dataclass(frozen=True)
class CreateOrderAction:
    """Create an order; ``price``/``quantity`` are already-scaled chain integers."""

    side: OrderSide
    price: int | str
    quantity: int | str
    order_type: AnyOrderType = OrderType.SPOT


@dataclass(frozen=True)
class CancelOrderAction:
    """Cancel an order by id."""

    order_id: str


@dataclass(frozen=True)
class SettleBalanceAction:
    """Move a market's settled proceeds to ``to`` (an Identity, or a trade account id)."""

    to: Identity | str


@dataclass(frozen=True)
class RegisterRefererAction:
    """Register ``to`` as the account's referer."""

    to: Identity | str


Action = CreateOrderAction | CancelOrderAction | SettleBalanceAction | RegisterRefererAction


@dataclass(frozen=True)
class MarketActions:
    """Typed actions on one market (by ``market_id``)."""

    market_id: str
    actions: list[Action]


@dataclass(frozen=True)
class CreateOrderRequestAction:
    """Create an order from human (or :class:`ChainInt`) price and quantity."""

    side: OrderSide
    price: NumericInput
    quantity: NumericInput
    order_type: AnyOrderType = OrderType.SPOT


@dataclass(frozen=True)
class CancelOrderRequestAction:
    """Cancel an order."""

    order_id: str


@dataclass(frozen=True)
class SettleBalanceRequestAction:
    """Settle to the session's own trading account."""


UserAction = CreateOrderRequestAction | CancelOrderRequestAction | SettleBalanceRequestAction



__all__ = [
    "Action",
    "AnyOrderType",
    "BoundedMarketOrder",
    "CancelOrderAction",
    "CancelOrderRequestAction",
    "CreateOrderAction",
    "CreateOrderRequestAction",
    "LimitOrder",
    "MarketActions",
    "OrderSide",
    "OrderType",
    "RegisterRefererAction",
    "SettleBalanceAction",
    "SettleBalanceRequestAction",
    "UserAction",
]
