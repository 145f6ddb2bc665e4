"""``ExchangeTrading``: ``O2CCXT``'s private methods over REST, for the trading account.

Reads (``fetch_balance``, ``fetch_order(s)``, ``fetch_open_orders``,
``fetch_closed_orders``, ``fetch_my_trades``) need the account; submissions
(``create_order``, ``cancel_order``, ``cancel_all_orders``, ``settle_balance``,
``batch_actions``) the active session; ``withdraw`` the owner's signature.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from o2_core import errors as o2
from o2_core.inputs import BoundedMarketOrder, LimitOrder
from o2_core.market_models import Market
from o2_core.models import (
    ActionsResponse,
    MarketActionGroup,
    MarketActions,
    OrderSide,
    OrderType,
    SessionInfo,
)

from . import params as checks
from .errors import (
    ArgumentsRequired,
    BadRequest,
    InvalidOrder,
    NotSupported,
    O2AmbiguousSubmission,
    OrderNotFound,
    map_o2_error,
)
from .markets import ExchangeMarkets
from .parse import trader_side
from .structures import recent, withdrawal_fields

Json = dict[str, Any]


class ExchangeTrading(ExchangeMarkets):
    """Private REST methods of ``O2CCXT``: balances, orders, trades, withdrawals."""

    # --- reads -----------------------------------------------------------------------

    async def fetch_balance(self, params: Json | None = None) -> Json:
        """The account's balances of every asset of the loaded markets.

        Args:
            params: ccxt's extra parameters (none are read).

        Returns:
            A ccxt balance (``free``: unlocked, ``used``: locked in orders).

        Raises:
            ArgumentsRequired: no trading account (call setup_account or pass tradeAccountId).
        """
        account = self._account()
        await self.load_markets()
        balances = await self._read(lambda: self.o2_client.get_balances(account))
        return self.parse_balance(balances)

    async def fetch_order(
        self, id: str, symbol: str | None = None, params: Json | None = None
    ) -> Json:
        """One order by id.

        Args:
            id: the order id.
            symbol: its market (required by O2).
            params: ccxt's extra parameters (none are read).

        Returns:
            A ccxt order.

        Raises:
            ArgumentsRequired: no symbol.
            OrderNotFound: no such order.
        """
        if symbol is None:
            raise ArgumentsRequired("fetch_order requires a symbol on O2")
        market, native = await self._market_pair(symbol)
        raw = await self._read(lambda: self.o2_client.get_order(native, id))
        return self.parse_order(raw, market)

    async def fetch_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[Json]:
        """Orders of the account (per market), newest kept.

        Args:
            symbol: a ccxt symbol (None: every loaded market).
            since: only those from this time on (ms).
            limit: at most this many (default 20, at most 200 per market).
            params: ccxt's extra parameters (none are read).

        Returns:
            ccxt orders.

        Raises:
            ArgumentsRequired: no trading account (call setup_account or pass tradeAccountId).
        """
        return await self._orders(symbol, since, limit or 20, None)

    async def fetch_open_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[Json]:
        """Open orders of the account (per market).

        Args:
            symbol: a ccxt symbol (None: every loaded market).
            since: only those from this time on (ms).
            limit: at most this many (default 20, at most 200 per market).
            params: ccxt's extra parameters (none are read).

        Returns:
            ccxt orders.

        Raises:
            ArgumentsRequired: no trading account (call setup_account or pass tradeAccountId).
        """
        return await self._orders(symbol, since, limit or 20, True)

    async def fetch_closed_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[Json]:
        """Filled or canceled orders of the account (per market).

        Args:
            symbol: a ccxt symbol (None: every loaded market).
            since: only those from this time on (ms).
            limit: at most this many (default 20, at most 200 per market).
            params: ccxt's extra parameters (none are read).

        Returns:
            ccxt orders.

        Raises:
            ArgumentsRequired: no trading account (call setup_account or pass tradeAccountId).
        """
        return await self._orders(symbol, since, limit or 20, False)

    async def _orders(
        self, symbol: str | None, since: int | None, limit: int, is_open: bool | None
    ) -> list[Json]:
        account = self._account()
        parsed: list[Json] = []
        for market in await self._selected(symbol):
            native = self.native_market(market)
            raw = await self._read(
                lambda native=native: self.o2_client.get_orders(  # type: ignore[misc]
                    native, account, is_open, min(limit, 200)
                )
            )
            parsed.extend(self.parse_order(order, market) for order in raw)
        return recent(parsed, since, limit)

    async def fetch_my_trades(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[Json]:
        """The account's trades (at most 50 per market, oldest first); a self-trade once, with
        ``side`` None.

        Args:
            symbol: a ccxt symbol (None: every loaded market).
            since: only trades from this time on (ms).
            limit: at most this many (default 50).
            params: ccxt's extra parameters (none are read).

        Returns:
            ccxt trades (``takerOrMaker`` from the account's point of view).

        Raises:
            ArgumentsRequired: no trading account (call setup_account or pass tradeAccountId).
        """
        account = self._account()
        count = limit or 50
        parsed: list[Json] = []
        for market in await self._selected(symbol):
            native = self.native_market(market)
            raw = await self._read(
                lambda native=native: self.o2_client.get_trades(  # type: ignore[misc]
                    native, min(count, 50), account
                )
            )
            parsed.extend(self.parse_trade(t, market, trader_side(t, account)) for t in raw)
        return recent(parsed, since, count)

    # --- orders ----------------------------------------------------------------------

    async def create_order(
        self,
        symbol: str,
        type: str,
        side: str,
        amount: float,
        price: float | None = None,
        params: Json | None = None,
    ) -> Json:
        """Place an order.

        Args:
            symbol: a ccxt symbol or an O2 market id.
            type: ``"limit"``, or ``"market"``: a Fill-or-Kill bounded by ``maxPrice`` (buy)
                or ``minPrice`` (sell), both required; the whole amount fills inside the
                bound or the order fails.
            side: ``"buy"`` or ``"sell"``.
            amount: the base quantity (truncated to the market's precision).
            price: the limit price (``"limit"`` only).
            params: ``orderType``: an O2 order type for ``"limit"`` (``"Spot"`` default,
                ``"PostOnly"``, ``"FillOrKill"``, ``"Market"``, or a ``LimitOrder`` /
                ``BoundedMarketOrder``); ``maxPrice``/``minPrice`` for ``"market"``;
                ``settleFirst`` (default True) settles the market's proceeds in the same
                transaction.

        Returns:
            The order as created (a ccxt order).

        Raises:
            NotSupported: another order type.
            ArgumentsRequired: no limit price, or a market order without both bounds.
            InvalidOrder: a bad side, type, bound or market rule (before signing).
            AuthenticationError: no active session.
            O2AmbiguousSubmission: the submission may have executed (not retried).
        """
        options = params or {}
        kind, direction = str(type).lower(), str(side).lower()
        if kind not in ("limit", "market"):
            raise NotSupported(f"O2 does not support order type {type!r}")
        if direction not in ("buy", "sell"):
            raise InvalidOrder(f"invalid order side: {side!r}")
        market, native = await self._market_pair(symbol)
        symbol = market["symbol"]
        native_amount = self.amount_to_precision(symbol, amount)
        order_type: OrderType | LimitOrder | BoundedMarketOrder
        if kind == "limit":
            if price is None:
                raise ArgumentsRequired("create_order requires a limit price")
            native_price = self.price_to_precision(symbol, price)
            order_type = checks.order_type(options.get("orderType", OrderType.SPOT))
        else:
            digits = int(market["precision"]["price"])
            native_price = checks.market_order_price(digits, direction, price, options)
            order_type = OrderType.FILL_OR_KILL
        settle_first = checks.settle_first(options)
        response = self._check_actions(
            await self._submit(
                lambda: self.o2_client.create_order(
                    native,
                    OrderSide.BUY if direction == "buy" else OrderSide.SELL,
                    native_price,
                    native_amount,
                    order_type=order_type,
                    settle_first=settle_first,
                    collect_orders=True,
                ),
                invalid_input=InvalidOrder,
                session=True,
            )
        )
        if not response.orders:
            raise O2AmbiguousSubmission(
                "O2 accepted create_order but returned no order. Reconcile orders and the "
                "account nonce before retrying.",
                transaction_id=str(response.tx_id) if response.tx_id else None,
            )
        parsed = self.parse_order(response.orders[-1], market)
        if kind == "market":
            parsed["type"] = "market"
        if not parsed["amount"] and amount:
            parsed.update(amount=float(native_amount), filled=0.0, cost=0.0)
            parsed["remaining"] = parsed["amount"]
        return parsed

    async def cancel_order(
        self, id: str, symbol: str | None = None, params: Json | None = None
    ) -> Json:
        """Cancel an open order.

        Args:
            id: the order id.
            symbol: its market (required by O2).
            params: ccxt's extra parameters (none are read).

        Returns:
            The order, as canceled.

        Raises:
            ArgumentsRequired: no symbol.
            OrderNotFound: no such order, or it is already closed (nothing is submitted).
            AuthenticationError: no active session.
            O2AmbiguousSubmission: the submission may have executed (not retried).
        """
        if symbol is None:
            raise ArgumentsRequired("cancel_order requires a symbol on O2")
        market, native = await self._market_pair(symbol)
        current = await self._read(lambda: self.o2_client.get_order(native, id))
        if not current.is_open:
            state = "canceled" if current.cancel else "closed"
            raise OrderNotFound(f"O2 order {id} is already {state}")
        self._check_actions(
            await self._submit(
                lambda: self.o2_client.cancel_order(id, market=native), session=True
            )
        )
        return self.parse_order(msgspec.structs.replace(current, cancel=True, close=True), market)

    async def cancel_all_orders(
        self, symbol: str | None = None, params: Json | None = None
    ) -> list[Json]:
        """Cancel every open order of ``symbol`` (or of every loaded market).

        Args:
            symbol: a ccxt symbol (None: every loaded market).
            params: ccxt's extra parameters (none are read).

        Returns:
            The orders canceled, as ccxt orders.

        Raises:
            ArgumentsRequired: no trading account (call setup_account or pass tradeAccountId).
            AuthenticationError: no active session.
            O2AmbiguousSubmission: the submission may have executed (not retried).
        """
        canceled: list[Json] = []
        for market in await self._selected(symbol):
            open_orders = await self.fetch_open_orders(market["symbol"], limit=200)
            if not open_orders:
                continue
            native = self.native_market(market)
            replies = await self._submit(
                lambda native=native: self.o2_client.cancel_all_orders(native),  # type: ignore[misc]
                session=True,
            )
            for reply in replies:
                self._check_actions(reply)
            canceled.extend({**order, "status": "canceled"} for order in open_orders)
        return canceled

    async def settle_balance(
        self, market: str | Market, params: Json | None = None
    ) -> ActionsResponse:
        """Move a market's filled proceeds back to the trading account.

        Args:
            market: an O2 pair, market id or ``Market``.
            params: ccxt's extra parameters (none are read).

        Returns:
            The client's ``ActionsResponse``.

        Raises:
            AuthenticationError: no active session.
            O2AmbiguousSubmission: the submission may have executed (not retried).
        """
        return self._check_actions(
            await self._submit(lambda: self.o2_client.settle_balance(market), session=True)
        )

    async def batch_actions(
        self,
        actions: Sequence[MarketActions | MarketActionGroup],
        collect_orders: bool = False,
        session: SessionInfo | None = None,
    ) -> ActionsResponse:
        """Sign and submit up to 5 actions as one transaction (the client's batch).

        Args:
            actions: the market groups (see ``O2Client.batch_actions``).
            collect_orders: return the created orders.
            session: the session to use (default: the active one).

        Returns:
            The client's ``ActionsResponse``.

        Raises:
            O2AmbiguousSubmission: the submission may have executed (not retried).
        """
        return self._check_actions(
            await self._submit(
                lambda: self.o2_client.batch_actions(actions, collect_orders, session)
            )
        )

    # --- funds -----------------------------------------------------------------------

    async def withdraw(
        self,
        code: str,
        amount: float,
        address: str | None = None,
        tag: str | None = None,
        params: Json | None = None,
    ) -> Json:
        """Withdraw from the trading account, signed by the owner.

        The amount is truncated to the asset's decimals, never rounded up. With the
        markets loaded that happens here; otherwise the amount goes to the client as it
        is, and only if the client refuses it before signing (more decimals than the
        asset has) are the markets loaded and the truncated amount sent.

        Args:
            code: the currency code (an asset symbol).
            amount: how much.
            address: where to (default: the owner).
            tag: unused by O2 (kept in the result).
            params: ``signer``: the owner (default: the constructor's).

        Returns:
            A ccxt withdrawal transaction.

        Raises:
            BadRequest: an unknown currency.
            AuthenticationError: no signer.
            O2AmbiguousSubmission: the submission may have executed (not retried).
        """
        signer = (params or {}).get("signer") or self._signer()
        decimals = self.asset_decimals().get(code)
        exact = checks.truncate(amount, decimals) if decimals is not None else str(amount)
        try:
            response = await self.o2_client.withdraw(signer, code, exact, address)
        except o2.InvalidInput as refused:  # raised before anything is signed
            if decimals is not None:
                raise map_o2_error(refused, "private_submission") from refused
            await self.load_markets()
            decimals = self.asset_decimals().get(code)
            if decimals is None:
                raise BadRequest(f"unknown O2 currency: {code!r}") from refused
            exact = checks.truncate(amount, decimals)
            response = await self._submit(
                lambda: self.o2_client.withdraw(signer, code, exact, address)
            )
        except Exception as err:
            raise map_o2_error(err, "private_submission") from err
        amount_number = self.parse_number(exact)
        return withdrawal_fields(response, code, amount_number, address, tag, self.milliseconds())


__all__ = ["ExchangeTrading"]
