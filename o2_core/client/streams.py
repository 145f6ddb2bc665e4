"""``O2Client``'s streams: every stream shares one WebSocket (see
:mod:`o2_core.stream_driver`), and a live local order book."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from .. import http
from ..book import OrderBook
from ..errors import UsageError
from ..models import (
    AccountInfo,
    BalanceUpdate,
    ContractIdentity,
    DepthUpdate,
    Market,
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
        """Depth of a market: a snapshot first, then updates.

        A fresh snapshot (``is_snapshot``) follows every reconnect and every resync of a
        consumer that fell behind; treat each snapshot as a reset of the book.
        """
        wire = http.depth_precision_wire(precision)
        mk = await self._market(market)
        async for update in self._iterate(DepthSub(mk.market_id, wire)):
            yield update

    async def order_book(
        self, market: str | Market, precision: int = 1
    ) -> AsyncGenerator[OrderBook, None]:
        """A live local order book: yields the same :class:`OrderBook` after each update.

        The book is seeded from the snapshot and re-seeded after reconnects and resyncs.
        """
        book = OrderBook()
        async with aclosing(self.stream_depth(market, precision)) as updates:
            async for update in updates:
                if book.apply(update):
                    yield book

    async def stream_orders(self, account: AccountInfo | str) -> AsyncGenerator[OrderUpdate, None]:
        """Order updates of a trading account (raises SlowConsumerError if it falls behind)."""
        sub = OrdersSub(ContractIdentity(self._account_id(account)))
        async for update in self._iterate(sub):
            yield update

    async def stream_trades(self, market: str | Market) -> AsyncGenerator[TradeUpdate, None]:
        """Trades of a market (raises SlowConsumerError if it falls behind)."""
        mk = await self._market(market)
        async for update in self._iterate(TradesSub(mk.market_id)):
            yield update

    async def stream_balances(
        self, account: AccountInfo | str
    ) -> AsyncGenerator[BalanceUpdate, None]:
        """Balance updates of a trading account (raises SlowConsumerError if it falls behind)."""
        sub = BalancesSub(ContractIdentity(self._account_id(account)))
        async for update in self._iterate(sub):
            yield update

    async def stream_nonce(self, account: AccountInfo | str) -> AsyncGenerator[NonceUpdate, None]:
        """Nonce updates of a trading account (only the latest matters: old ones may drop)."""
        sub = NonceSub(ContractIdentity(self._account_id(account)))
        async for update in self._iterate(sub):
            yield update

    async def stream_lifecycle(self) -> AsyncGenerator[ConnectionEvent, None]:
        """Connection lifecycle events: CONNECTED, DISCONNECTED, RECONNECTING, RECONNECTED,
        CLOSED. After RECONNECTED re-sync orders, balances and nonce from REST."""
        async with aclosing(self._stream_driver().lifecycle()) as events:
            async for event in events:
                yield event



__all__ = ["StreamsMixin"]
