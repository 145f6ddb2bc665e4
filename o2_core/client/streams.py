"""``O2Client``'s streams: every stream shares one WebSocket (see
:mod:`o2_core.stream_driver`), and a live local order book."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from .. import http
from ..book import OrderBook
from ..errors import UsageError
from ..market_models import Market
from ..models import (
    AccountInfo,
    BalanceUpdate,
    ContractIdentity,
    DepthUpdate,
    NonceUpdate,
    OrderUpdate,
    TradeUpdate,
)
from ..stream import ConnectionEvent
from ..stream_driver import StreamDriver
from ..subscriptions import (
    BalancesSub,
    DepthSub,
    NonceSub,
    OrdersSub,
    Subscription,
    TradesSub,
)
from ..websocket import O2WebSocket
from .base import ClientBase


class StreamsMixin(ClientBase):
    """Market and account streams over the client's shared WebSocket."""

    _ws: O2WebSocket | None

    def _stream_driver(self) -> StreamDriver:
        if self._closed:
            raise UsageError("the client is closed")
        if self._streams is None:
            self._streams = StreamDriver(
                self.api.transport, self._config.ws_url, self._stream_options, self._rand
            )
            if self._task_group is not None:
                self._streams.host_in(self._task_group)
        return self._streams

    async def _ensure_ws(self) -> O2WebSocket:
        """o2-sdk's hook: an :class:`~o2_core.websocket.O2WebSocket` on this client's
        shared connection (made once; closed with the client).

        Raises:
            UsageError: the client is closed.
        """
        if self._ws is None:
            self._ws = O2WebSocket(self._config, driver=self._stream_driver())
        return self._ws

    async def _iterate(self, sub: Subscription) -> AsyncGenerator[Any, None]:
        """The driver's iterator of ``sub``, closed as soon as the caller stops (on trio an
        iterator left to the garbage collector warns)."""
        async with aclosing(self._stream_driver().iterate(sub)) as updates:
            async for update in updates:
                yield update

    async def stream_depth(
        self, market: str | Market, precision: int = 1
    ) -> AsyncGenerator[DepthUpdate, None]:
        """Depth of a market: a snapshot first, then updates of signed relative changes.

        A fresh snapshot (``is_snapshot``) follows every reconnect and every resync of a
        consumer that fell behind; treat each snapshot as a reset of the book (or use
        :meth:`order_book`, which does). One connection carries one precision per market.

        Args:
            market: a pair, market id, contract id or ``Market``.
            precision: the price-grouping level, 1 (exact) to 18.

        Yields:
            Depth updates: ``is_snapshot`` ones carry absolute levels, the others changes.

        Raises:
            InvalidInput: a precision outside 1..18.
            MarketNotFound: no such market.
            SubscriptionConflict: another precision of this market is already streamed.
            UsageError: the client is closed.
        """
        wire = http.depth_precision_wire(precision)
        mk = await self._market(market)
        async for update in self._iterate(DepthSub(mk.market_id, wire)):
            yield update

    async def order_book(
        self, market: str | Market, precision: int = 1
    ) -> AsyncGenerator[OrderBook, None]:
        """A live local order book of a market, kept from :meth:`stream_depth`.

        The book is seeded from the snapshot and re-seeded after reconnects and resyncs.

        Args:
            market: a pair, market id, contract id or ``Market``.
            precision: the price-grouping level, 1 (exact) to 18.

        Yields:
            The same :class:`~o2_core.book.OrderBook` object, after each update that changed
            it (read it before the next iteration, or copy what you keep).

        Raises:
            InvalidInput: a precision outside 1..18.
            MarketNotFound: no such market.
            SubscriptionConflict: another precision of this market is already streamed.
        """
        book = OrderBook()
        async with aclosing(self.stream_depth(market, precision)) as updates:
            async for update in updates:
                if book.apply(update):
                    yield book

    async def stream_orders(self, account: AccountInfo | str) -> AsyncGenerator[OrderUpdate, None]:
        """Order updates of a trading account.

        Args:
            account: the trading account (``AccountInfo``, ``SessionInfo`` or its id).

        Yields:
            Each order-stream message.

        Raises:
            SlowConsumerError: the consumer fell behind and its buffer overflowed (updates
                were lost: re-read the orders from REST).
            UsageError: the client is closed.
        """
        sub = OrdersSub(ContractIdentity(self._account_id(account)))
        async for update in self._iterate(sub):
            yield update

    async def stream_trades(self, market: str | Market) -> AsyncGenerator[TradeUpdate, None]:
        """Trades of a market.

        Args:
            market: a pair, market id, contract id or ``Market``.

        Yields:
            Each trade-stream message.

        Raises:
            SlowConsumerError: the consumer fell behind and its buffer overflowed.
            MarketNotFound: no such market.
            UsageError: the client is closed.
        """
        mk = await self._market(market)
        async for update in self._iterate(TradesSub(mk.market_id)):
            yield update

    async def stream_balances(
        self, account: AccountInfo | str
    ) -> AsyncGenerator[BalanceUpdate, None]:
        """Balance updates of a trading account.

        Args:
            account: the trading account (``AccountInfo``, ``SessionInfo`` or its id).

        Yields:
            Each balance-stream message.

        Raises:
            SlowConsumerError: the consumer fell behind and its buffer overflowed (re-read
                the balances from REST).
            UsageError: the client is closed.
        """
        sub = BalancesSub(ContractIdentity(self._account_id(account)))
        async for update in self._iterate(sub):
            yield update

    async def stream_nonce(self, account: AccountInfo | str) -> AsyncGenerator[NonceUpdate, None]:
        """Nonce updates of a trading account.

        Only the latest matters: when the consumer falls behind, older updates are dropped,
        never an error.

        Args:
            account: the trading account (``AccountInfo``, ``SessionInfo`` or its id).

        Yields:
            Each nonce-stream message that was not dropped.

        Raises:
            UsageError: the client is closed.
        """
        sub = NonceSub(ContractIdentity(self._account_id(account)))
        async for update in self._iterate(sub):
            yield update

    async def stream_lifecycle(self) -> AsyncGenerator[ConnectionEvent, None]:
        """The shared WebSocket's lifecycle: CONNECTED, DISCONNECTED, RECONNECTING, RECONNECTED,
        CLOSED.

        Messages sent while the connection was down are lost: after RECONNECTED, re-read
        orders, balances and the nonce from REST.

        Yields:
            Connection events, from now on.

        Raises:
            UsageError: the client is closed.
        """
        async with aclosing(self._stream_driver().lifecycle()) as events:
            async for event in events:
                yield event



__all__ = ["StreamsMixin"]
