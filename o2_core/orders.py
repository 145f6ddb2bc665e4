"""Order preparation: user values -> scaled, validated, encoded actions. Pure.

Everything a submission needs is decided here before a nonce is reserved, so bad input
never consumes a nonce and never reaches a signer. Time is a parameter (``now``, unix
seconds): a :class:`~o2_core.models.LimitOrder` without a timestamp expires ``now``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from .actions import (
    MAX_ACTIONS,
    MarketContext,
    PreparedAction,
    PreparedGroup,
    cancel_order,
    create_order,
    prepare_typed,
    settle_balance,
)
from .errors import InvalidInput, SessionExpired
from .market_models import Market
from .markets import NumericInput
from .models import (
    Action,
    AnyOrderType,
    BoundedMarketOrder,
    CancelOrderRequestAction,
    ChainInt,
    CreateOrderAction,
    CreateOrderRequestAction,
    LimitOrder,
    MarketActionGroup,
    MarketActions,
    OrderSide,
    OrderType,
    SessionInfo,
    SettleBalanceRequestAction,
    UserAction,
)


def scaled_order_type(market: Market, order_type: Any, now: float) -> Any:
    """``order_type`` with its human prices scaled to chain integers.

    A ``LimitOrder`` without a timestamp gets ``int(now)``.

    Args:
        market: the market whose price decimals and tick apply.
        order_type: an ``OrderType``, ``LimitOrder`` or ``BoundedMarketOrder``.
        now: unix time in seconds.

    Returns:
        The same kind of order type, its prices as ``ChainInt``.

    Raises:
        InvalidInput: not an ``OrderType``, ``LimitOrder`` or ``BoundedMarketOrder``,
            or a price that does not scale.
    """
    if isinstance(order_type, LimitOrder):
        ts = int(now) if order_type.timestamp is None else order_type.timestamp
        return LimitOrder(ChainInt(market.scale_price(order_type.price)), ts)
    if isinstance(order_type, BoundedMarketOrder):
        return BoundedMarketOrder(
            ChainInt(market.scale_price(order_type.max_price)),
            ChainInt(market.scale_price(order_type.min_price)),
        )
    if isinstance(order_type, OrderType):
        return order_type
    raise InvalidInput(
        f"unknown order type {order_type!r}: use OrderType, LimitOrder or BoundedMarketOrder"
    )


def prepare_order(
    market: Market,
    context: MarketContext,
    side: OrderSide,
    price: NumericInput,
    quantity: NumericInput,
    order_type: Any,
    now: float,
) -> PreparedAction:
    """A CreateOrder action from human (or :class:`~o2_core.markets.ChainInt`) values.

    The price is truncated to the market's tick, the quantity scaled and adjusted down to
    satisfy FractionalPrice; the market's rules are checked.

    Args:
        market: the market.
        context: the market's encoding context (``MarketDirectory.context``).
        side: ``OrderSide.BUY`` or ``OrderSide.SELL``.
        price: a human price or a ``ChainInt``.
        quantity: a human quantity or a ``ChainInt``.
        order_type: an ``OrderType``, ``LimitOrder`` or ``BoundedMarketOrder``.
        now: unix time in seconds (the timestamp of a ``LimitOrder`` that has none).

    Returns:
        The action, encoded for signing.

    Raises:
        InvalidInput: a bad side, value or order type; values that scale to zero.
        OrderRuleError: a market rule the chain would revert on.
    """
    if not isinstance(side, OrderSide):
        raise InvalidInput(f"side must be OrderSide.BUY or OrderSide.SELL, got {side!r}")
    scaled_price = market.scale_price(price)
    scaled_quantity = market.adjust_quantity(scaled_price, market.scale_quantity(quantity))
    if scaled_price == 0 or scaled_quantity == 0:
        raise InvalidInput(
            f"price {price!r} and quantity {quantity!r} scale to zero on {market.pair}"
        )
    market.validate_order(scaled_price, scaled_quantity)
    order = scaled_order_type(market, order_type, now)
    return create_order(context, side, scaled_price, scaled_quantity, order)


def with_limit_timestamp(action: Action, now: float) -> Action:
    """A typed limit order without a timestamp gets ``int(now)``; other actions pass as
    they are.

    Args:
        action: a typed action.
        now: unix time in seconds.

    Returns:
        ``action``, or a copy of it with the timestamp set.
    """
    if (
        isinstance(action, CreateOrderAction)
        and isinstance(action.order_type, LimitOrder)
        and action.order_type.timestamp is None
    ):
        return dataclasses.replace(
            action, order_type=LimitOrder(action.order_type.price, int(now))
        )
    return action


def prepare_group(
    market: Market,
    context: MarketContext,
    group: MarketActions | MarketActionGroup,
    session: SessionInfo,
    now: float,
) -> PreparedGroup:
    """The prepared actions of one market group of ``batch_actions``.

    ``MarketActions`` hold typed, already-scaled actions (validated against the market's
    rules here); ``MarketActionGroup`` holds human values, scaled and validated here.

    Args:
        market: the market.
        context: the market's encoding context (``MarketDirectory.context``).
        group: the group's actions.
        session: the session that will sign (it must be allowed on ``market``).
        now: unix time in seconds.

    Returns:
        The group, every action encoded for signing.

    Raises:
        InvalidInput: the group is neither, an action is bad, or the session may not
            trade on ``market``.
        OrderRuleError: an order breaks a market rule.
    """
    check_session_market(session, market)
    prepared: list[PreparedAction] = []
    if isinstance(group, MarketActions):
        for action in group.actions:
            action = with_limit_timestamp(action, now)
            item = prepare_typed(context, action)
            if isinstance(action, CreateOrderAction):
                market.validate_order(int(action.price), int(action.quantity))
            prepared.append(item)
    elif isinstance(group, MarketActionGroup):
        for user_action in group.actions:
            prepared.append(_prepare_user_action(market, context, user_action, session, now))
    else:
        raise InvalidInput(f"batch_actions takes MarketActions or MarketActionGroup, got {group!r}")
    return PreparedGroup(str(market.market_id), tuple(prepared))


def _prepare_user_action(
    market: Market, context: MarketContext, action: Any, session: SessionInfo, now: float
) -> PreparedAction:
    if isinstance(action, CreateOrderRequestAction):
        return prepare_order(
            market, context, action.side, action.price, action.quantity, action.order_type, now
        )
    if isinstance(action, CancelOrderRequestAction):
        return cancel_order(context, action.order_id)
    if isinstance(action, SettleBalanceRequestAction):
        return settle_balance(context, session.trade_account_id)
    return prepare_typed(context, action)


def order_group(
    market: Market,
    context: MarketContext,
    session: SessionInfo,
    order: PreparedAction,
    settle_first: bool,
) -> PreparedGroup:
    """The one-market group of ``create_order``: the order, after a settle if asked.

    Args:
        market: the market.
        context: the market's encoding context (``MarketDirectory.context``).
        session: the session that will sign.
        order: the prepared CreateOrder.
        settle_first: put a SettleBalance to the session's account before the order.

    Returns:
        The group.

    Raises:
        InvalidInput: the session may not trade on ``market``.
    """
    check_session_market(session, market)
    actions = (settle_balance(context, session.trade_account_id), order) if settle_first else (
        order,
    )
    return PreparedGroup(str(market.market_id), actions)


def cancel_groups(
    market: Market, context: MarketContext, session: SessionInfo, order_ids: Sequence[str]
) -> list[PreparedGroup]:
    """Cancels of ``order_ids``, at most :data:`~o2_core.actions.MAX_ACTIONS` per group.

    Args:
        market: the market.
        context: the market's encoding context (``MarketDirectory.context``).
        session: the session that will sign.
        order_ids: the orders to cancel.

    Returns:
        One group per batch to send (none for no ids).

    Raises:
        InvalidInput: a malformed order id, or the session may not trade on ``market``.
    """
    check_session_market(session, market)
    return [
        PreparedGroup(
            str(market.market_id),
            tuple(cancel_order(context, oid) for oid in order_ids[i : i + MAX_ACTIONS]),
        )
        for i in range(0, len(order_ids), MAX_ACTIONS)
    ]


def check_session_market(session: SessionInfo, market: Market) -> None:
    """Raise unless ``session`` may trade on ``market``.

    Args:
        session: the session.
        market: the market.

    Raises:
        InvalidInput: the market is not one of the session's contracts.
    """
    if session.contract_ids and market.contract_id not in session.contract_ids:
        raise InvalidInput(
            f"market {market.pair} is not in this session; create a session that includes it"
        )


def check_session_alive(session: SessionInfo, now: float) -> None:
    """Raise when ``session`` is past its expiry.

    Args:
        session: the session.
        now: unix time in seconds.

    Raises:
        SessionExpired: the session has expired.
    """
    if session.is_expired(now):
        raise SessionExpired("the session has expired; create a new session")


class MarketActionsBuilder:
    """Fluent builder of a :class:`~o2_core.models.MarketActionGroup` for one market.

    Args:
        market: a pair, market id, contract id or ``Market`` (resolved when the group is
            submitted).
    """

    def __init__(self, market: str | Market) -> None:
        self._market = market
        self._actions: list[UserAction] = []

    def settle_balance(self) -> MarketActionsBuilder:
        """Add a SettleBalance: the market's proceeds go to the session's trading account.

        Returns:
            This builder.
        """
        self._actions.append(SettleBalanceRequestAction())
        return self

    def cancel_order(self, order_id: str) -> MarketActionsBuilder:
        """Add a CancelOrder.

        Args:
            order_id: the order to cancel.

        Returns:
            This builder.
        """
        self._actions.append(CancelOrderRequestAction(order_id=order_id))
        return self

    def create_order(
        self,
        side: OrderSide,
        price: NumericInput,
        quantity: NumericInput,
        order_type: AnyOrderType = OrderType.SPOT,
    ) -> MarketActionsBuilder:
        """Add a CreateOrder from human (or ``ChainInt``) values, scaled and validated when the
        group is submitted.

        Args:
            side: ``OrderSide.BUY`` or ``OrderSide.SELL``.
            price: a human price or a ``ChainInt``.
            quantity: a human quantity or a ``ChainInt``.
            order_type: an ``OrderType``, ``LimitOrder`` or ``BoundedMarketOrder``.

        Returns:
            This builder.
        """
        self._actions.append(CreateOrderRequestAction(side, price, quantity, order_type))
        return self

    def build(self) -> MarketActionGroup:
        """The group, ready for ``batch_actions``.

        Returns:
            A group of the actions added so far, in order.
        """
        return MarketActionGroup(market=self._market, actions=list(self._actions))


__all__ = [
    "MarketActionsBuilder",
    "cancel_groups",
    "check_session_alive",
    "check_session_market",
    "order_group",
    "prepare_group",
    "prepare_order",
    "scaled_order_type",
    "with_limit_timestamp",
]
