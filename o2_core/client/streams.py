"""``O2Client``'s streams: every stream shares one WebSocket (see
:mod:`o2_core.stream_driver`), and a live local order book."""

from __future__ import annotations

from collections.abc import AsyncIterator

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
from ..subscriptions import BalancesSub, DepthSub, NonceSub, OrdersSub, TradesSub
from .base import ClientBase


class StreamsMixin(ClientBase):
    """Market and account streams over the client's shared WebSocket."""

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

    async def stream_depth(
        self, market: str | Market, precision: int = 1
    ) -> AsyncIterator[DepthUpdate]:
        """Depth of a market: a snapshot first, then updates.

        A fresh snapshot (``is_snapshot``) follows every reconnect and every resync of a
        consumer that fell behind; treat each snapshot as a reset of the book.
        """
        wire = http.depth_precision_wire(precision)
        mk = await self._market(market)
        async for update in self._stream_driver().iterate(DepthSub(mk.market_id, wire)):
            yield update

    async def order_book(
        self, market: str | Market, precision: int = 1
    ) -> AsyncIterator[OrderBook]:
        """A live local order book: yields the same :class:`OrderBook` after each update.

        The book is seeded from the snapshot and re-seeded after reconnects and resyncs.
        """
        book = OrderBook()
        async for update in self.stream_depth(market, precision):
            if book.apply(update):
                yield book

    async def stream_orders(self, account: AccountInfo | str) -> AsyncIterator[OrderUpdate]:
        """Order updates of a trading account (raises SlowConsumerError if it falls behind)."""
        sub = OrdersSub(ContractIdentity(self._account_id(account)))
        async for update in self._stream_driver().iterate(sub):
            yield update

    async def stream_trades(self, market: str | Market) -> AsyncIterator[TradeUpdate]:
        """Trades of a market (raises SlowConsumerError if it falls behind)."""
        mk = await self._market(market)
        async for update in self._stream_driver().iterate(TradesSub(mk.market_id)):
            yield update

    async def stream_balances(self, account: AccountInfo | str) -> AsyncIterator[BalanceUpdate]:
        """Balance updates of a trading account (raises SlowConsumerError if it falls behind)."""
        sub = BalancesSub(ContractIdentity(self._account_id(account)))
        async for update in self._stream_driver().iterate(sub):
            yield update

    async def stream_nonce(self, account: AccountInfo | str) -> AsyncIterator[NonceUpdate]:
        """Nonce updates of a trading account (only the latest matters: old ones may drop)."""
        sub = NonceSub(ContractIdentity(self._account_id(account)))
        async for update in self._stream_driver().iterate(sub):
            yield update

    async def stream_lifecycle(self) -> AsyncIterator[ConnectionEvent]:
        """Connection lifecycle events: CONNECTED, DISCONNECTED, RECONNECTING, RECONNECTED,
        CLOSED. After RECONNECTED re-sync orders, balances and nonce from REST."""
        async for event in self._stream_driver().lifecycle():
            yield event



__all__ = ["StreamsMixin"]
