"""``O2Client``'s trading: orders, cancels, settlements and batches, signed by the session
key on the session's nonce track (sequential, or parallel)."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import InvalidInput
from ..market_models import Market
from ..markets import NumericInput
from ..models import (
    ActionsResponse,
    AnyOrderType,
    MarketActionGroup,
    MarketActions,
    OrderSide,
    OrderType,
    SessionInfo,
)
from ..orders import (
    MarketActionsBuilder,
    cancel_groups,
    check_session_market,
    order_group,
    prepare_group,
    prepare_order,
)
from .base import ClientBase

#: Orders fetched by ``cancel_all_orders`` (the API's page limit).
CANCEL_ALL_LIMIT = 200


class TradingMixin(ClientBase):
    """Orders and batches on the active (or a given) session."""

    def actions_for(self, market: str | Market) -> MarketActionsBuilder:
        """A fluent builder of actions on one market, for :meth:`batch_actions`.

        Nothing is checked until the built group is submitted.

        Args:
            market: a pair, market id, contract id or ``Market``.

        Returns:
            An empty builder: chain ``create_order``, ``cancel_order`` and
            ``settle_balance``, then ``build()``.
        """
        return MarketActionsBuilder(market)

    async def create_order(
        self,
        market: str | Market,
        side: OrderSide,
        price: NumericInput,
        quantity: NumericInput,
        order_type: AnyOrderType = OrderType.SPOT,
        settle_first: bool = True,
        collect_orders: bool = True,
        session: SessionInfo | None = None,
    ) -> ActionsResponse:
        """Place an order: scale and validate, sign with the session key, submit.

        Args:
            market: a pair, market id, contract id or ``Market``.
            side: ``OrderSide.BUY`` or ``OrderSide.SELL``.
            price: human value (str, int, Decimal, or a float via its repr), or a raw
                ``ChainInt``; truncated to the market's tick.
            quantity: human value or ``ChainInt``; adjusted down to satisfy
                FractionalPrice.
            order_type: ``OrderType``, ``LimitOrder`` or ``BoundedMarketOrder``.
            settle_first: settle the market's proceeds in the same batch, first.
            collect_orders: return the created order in ``orders``.
            session: the session to use (default: the active one).

        Returns:
            The transaction id and, with ``collect_orders``, the created order.

        Raises:
            InvalidInput: bad input (OrderRuleError: a market rule), before anything is
                signed; also a market the session may not trade.
            MarketNotFound: no such market.
            SessionExpired: the session has expired.
            OnChainRevert: the batch reverted (the nonce is consumed all the same).
            UnknownSubmissionOutcome: sent, but no reply came; it is not re-sent.
            O2Error: no ``session`` given and no active session.
        """
        session = self._require_session(session)
        directory = await self._markets()
        mk = directory.resolve(market)
        ctx = directory.context(mk)
        order = prepare_order(mk, ctx, side, price, quantity, order_type, self._clock())
        group = order_group(mk, ctx, session, order, settle_first)
        return await self._submit_actions(session, [group], collect_orders)

    async def cancel_order(
        self,
        order_id: str,
        market: str | Market | None = None,
        market_id: str | None = None,
        session: SessionInfo | None = None,
    ) -> ActionsResponse:
        """Cancel one order of the session's account.

        Args:
            order_id: the order to cancel.
            market: its market (a pair, market id, contract id or ``Market``).
            market_id: its market id, when ``market`` is not given.
            session: the session to use (default: the active one).

        Returns:
            The transaction id.

        Raises:
            InvalidInput: neither ``market`` nor ``market_id`` given, a malformed order id,
                or a market the session may not trade.
            OnChainRevert: the cancel reverted (e.g. the order is no longer open).
            UnknownSubmissionOutcome: sent, but no reply came; it is not re-sent.
            O2Error: no ``session`` given and no active session.
        """
        session = self._require_session(session)
        if market is None and market_id is None:
            raise InvalidInput("cancel_order needs market or market_id")
        directory = await self._markets()
        mk = directory.resolve(market if market is not None else str(market_id))
        [group] = cancel_groups(mk, directory.context(mk), session, [order_id])
        return await self._submit_actions(session, [group], False)

    async def cancel_all_orders(
        self, market: str | Market, session: SessionInfo | None = None
    ) -> list[ActionsResponse]:
        """Cancel every open order of the session's account on a market (up to 200), five per
        batch, one batch after the other.

        Args:
            market: a pair, market id, contract id or ``Market``.
            session: the session to use (default: the active one).

        Returns:
            One response per batch sent (an empty list when nothing was open).

        Raises:
            InvalidInput: a market the session may not trade.
            SessionExpired: the session has expired.
            OnChainRevert: a batch reverted; the batches before it stand.
            O2Error: no ``session`` given and no active session.
        """
        session = self._require_session(session)
        directory = await self._markets()
        mk = directory.resolve(market)
        check_session_market(session, mk)
        orders = await self.api.get_orders(
            str(mk.market_id), str(session.trade_account_id), "desc", CANCEL_ALL_LIMIT, True
        )
        groups = cancel_groups(mk, directory.context(mk), session, [o.order_id for o in orders])
        return [await self._submit_actions(session, [group], False) for group in groups]

    async def settle_balance(
        self, market: str | Market, session: SessionInfo | None = None
    ) -> ActionsResponse:
        """Move a market's filled proceeds from its order book back to the trading account.

        Args:
            market: a pair, market id, contract id or ``Market``.
            session: the session to use (default: the active one).

        Returns:
            The transaction id.

        Raises:
            InvalidInput: a market the session may not trade.
            SessionExpired: the session has expired.
            O2Error: no ``session`` given and no active session.
        """
        group = self.actions_for(market).settle_balance().build()
        return await self.batch_actions([group], session=session)

    async def batch_actions(
        self,
        actions: Sequence[MarketActions | MarketActionGroup],
        collect_orders: bool = False,
        session: SessionInfo | None = None,
    ) -> ActionsResponse:
        """Sign and submit up to 5 actions (in up to 5 market groups) as one transaction.

        Either every action takes effect or none does.

        Args:
            actions: ``MarketActions`` hold typed, already-scaled actions (checked against
                the market's rules here); ``MarketActionGroup`` (see :meth:`actions_for`)
                holds human values that are scaled and validated here.
            collect_orders: return the orders the batch created in ``orders``.
            session: the session to use (default: the active one).

        Returns:
            The transaction id and, with ``collect_orders``, the created orders.

        Raises:
            TooManyActions: more than 5 actions or 5 groups (before anything is signed).
            InvalidInput: no action at all, a group of another type, a bad action or one on
                a market the session may not trade (before anything is signed).
            SessionExpired: the session has expired.
            OnChainRevert: the batch reverted (the nonce is consumed all the same).
            UnknownSubmissionOutcome: sent, but no reply came; it is not re-sent.
            O2Error: no ``session`` given and no active session.
        """
        session = self._require_session(session)
        directory = await self._markets()
        now = self._clock()
        groups = []
        for group in actions:
            if isinstance(group, MarketActions):
                mk = directory.resolve(str(group.market_id))
            elif isinstance(group, MarketActionGroup):
                mk = directory.resolve(group.market)
            else:
                raise InvalidInput(
                    f"batch_actions takes MarketActions or MarketActionGroup, got {group!r}"
                )
            groups.append(prepare_group(mk, directory.context(mk), group, session, now))
        return await self._submit_actions(session, groups, collect_orders)


__all__ = ["CANCEL_ALL_LIMIT", "TradingMixin"]
