"""``O2WebSocket``: o2-sdk's low-level WebSocket client, over our stream driver.

The official ``O2WebSocket`` is a second, lower-level door to the streams: ids instead of
market names, identities as wire dicts, depth precision as its wire value. Here it is a
thin owner of stream consumers on a :class:`~o2_core.stream_driver.StreamDriver`, so
everything the driver does (one shared connection, reconnects with backoff and
re-subscription, keepalive, bounded buffers, depth snapshot gating) holds for it too:

- standalone, ``O2WebSocket(config, ping_interval, pong_timeout, max_reconnect_attempts)``
  runs its own driver over :func:`~o2_core.transport.default_transport` (or
  ``transport=``);
- bound, ``O2WebSocket(config, driver=client_driver)`` shares a client's connection
  (what ``O2Client._ensure_ws()`` hands out, as o2-sdk's client does).

Differences from o2-sdk, on purpose: the connection opens when the first iterator waits,
not in :meth:`O2WebSocket.connect` (failures show as lifecycle events and reconnects,
not as an exception of ``connect``); ``unsubscribe_*`` ends this object's iterators of
that subscription (they return) and the driver unsubscribes once no other consumer holds
it, instead of leaving them waiting forever; the identities of ``unsubscribe_balances``
and ``unsubscribe_nonce`` are honoured (o2-sdk forgets all of them).

Several identities in one ``stream_orders``/``stream_balances``/``stream_nonce`` call
are one consumer each, fanned in round-robin by one iterator. The fan-in waits on the
driver's consumer wake-ups (it reaches into the driver for that): an iterator cannot own
a task group across its ``yield`` (cancelling it from its finaliser would cancel the
consumer's task), and a pending ``__anext__`` of a stream iterator cannot be abandoned
without ending that stream. anyio only: it runs under asyncio and trio.
"""

from __future__ import annotations

import random
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Mapping
from contextlib import aclosing
from typing import Any

import anyio

from .config import NetworkConfig
from .errors import InvalidInput, ProtocolError, UsageError
from .identity import Identity
from .models import BalanceUpdate, DepthUpdate, NonceUpdate, OrderUpdate, TradeUpdate, b256
from .stream import ConnectionEvent, ConnectionState, Consumer, ProtocolState
from .stream_driver import StreamDriver, StreamOptions
from .subscriptions import BalancesSub, DepthSub, NonceSub, OrdersSub, Subscription, TradesSub
from .transport import Transport, default_transport

IdentityLike = Mapping[str, str] | Identity | str
"""An identity as o2-sdk's stream methods take it (``{"ContractId": "0x..."}``), an
:class:`~o2_core.identity.Identity`, or a trade account id."""


class _Feed:
    """The consumers one iterator reads from, on the driver it opened them on."""

    __slots__ = ("consumers", "driver", "event", "turn")

    def __init__(self, driver: StreamDriver) -> None:
        self.driver = driver
        self.consumers: list[Consumer] = []
        self.event: anyio.Event | None = None
        self.turn = 0

    def take(self) -> Any:
        """The next buffered item, round-robin over the consumers (None if none)."""
        consumers = self.consumers
        count = len(consumers)
        for step in range(count):
            index = (self.turn + step) % count
            item = consumers[index].take()  # raises SlowConsumerError when it fell behind
            if item is not None:
                self.turn = (index + 1) % count
                return item
        return None


class O2WebSocket:
    """o2-sdk's WebSocket client for real-time O2 data, over a :class:`StreamDriver`.

    Args:
        config: the deployment (its ``ws_url``); optional when ``driver`` is given.
        ping_interval: seconds of silence after which a ping is sent.
        pong_timeout: seconds a pong may take before the connection counts as dead.
        max_reconnect_attempts: reconnect attempts before giving up (0: forever).
        driver: an existing driver to share (a client's); the tuning arguments and
            ``transport`` are then the driver's own business.
        transport: the transport of a standalone socket (default:
            :func:`~o2_core.transport.default_transport` for ``config.ws_url``).
        buffer_size: each iterator's buffer (see :class:`StreamOptions`).
        rand: random floats in [0, 1) for the reconnect jitter.

    Raises:
        InvalidInput: neither config nor driver, both driver and transport, or a
            non-positive interval or timeout.
    """

    def __init__(
        self,
        config: NetworkConfig | None = None,
        ping_interval: float = 30.0,
        pong_timeout: float = 60.0,
        max_reconnect_attempts: int = 10,
        *,
        driver: StreamDriver | None = None,
        transport: Transport | None = None,
        buffer_size: int = 1024,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if config is None and driver is None:
            raise InvalidInput("O2WebSocket needs a NetworkConfig (or a driver to share)")
        if driver is not None and transport is not None:
            raise InvalidInput("a shared driver has its own transport: give one or the other")
        if not ping_interval > 0 or not pong_timeout > 0:
            raise InvalidInput("ping_interval and pong_timeout must be greater than zero")
        attempts = max_reconnect_attempts
        if isinstance(attempts, bool) or not isinstance(attempts, int):
            raise InvalidInput(f"max_reconnect_attempts must be an integer, got {attempts!r}")
        self._config = config
        self._options = StreamOptions(
            buffer_size=buffer_size,
            ping_interval=ping_interval,
            pong_timeout=pong_timeout,
            reconnect_base=1.0,  # o2-sdk's schedule: 1 s doubling to 60 s
            reconnect_cap=60.0,
            max_reconnect_attempts=attempts if attempts > 0 else None,
        )
        self._driver = driver
        self._bound = driver is not None
        self._transport = transport
        self._owns_transport = transport is None
        self._rand = rand
        self._feeds: list[_Feed] = []

    def __repr__(self) -> str:
        url = self._config.ws_url if self._config is not None else "a shared driver"
        driver = self._driver
        state = driver.protocol.state.value if driver is not None else "not started"
        return f"<O2WebSocket {url} {state}>"

    @property
    def driver(self) -> StreamDriver | None:
        """The driver streams run on (None until a standalone socket is first used)."""
        return self._driver

    # --- lifecycle ---------------------------------------------------------------------

    def _ready(self) -> StreamDriver:
        driver = self._driver
        if driver is not None and driver.protocol.state is not ProtocolState.CLOSED:
            return driver
        if self._bound:
            raise UsageError("the shared streams are closed (disconnect() or the client's close)")
        assert self._config is not None
        if self._transport is None:
            self._transport = default_transport(self._config.ws_url)
        self._driver = StreamDriver(self._transport, self._config.ws_url, self._options,
                                    self._rand)
        return self._driver

    async def connect(self) -> O2WebSocket:
        """Get ready to stream (again, after :meth:`disconnect`).

        The connection itself opens when the first iterator waits (see the module docstring).

        Returns:
            ``self``.

        Raises:
            UsageError: a shared driver that was closed.
        """
        self._ready()
        return self

    async def disconnect(self) -> None:
        """End every iterator (lifecycle iterators get CLOSED first) and close the
        connection; a standalone socket also closes a transport it made. Bound to a
        client, this closes the client's shared connection, as o2-sdk's does."""
        driver = self._driver
        if driver is not None:
            await driver.aclose()
        if not self._bound and self._owns_transport and self._transport is not None:
            transport, self._transport = self._transport, None
            await transport.aclose()

    # --- iterating ---------------------------------------------------------------------

    async def _iterate(self, subs: list[Subscription]) -> AsyncGenerator[Any, None]:
        """Updates of ``subs``, fanned in, until they are unsubscribed or the driver stops.

        The driver's own ``iterate`` does this for one subscription; here several
        consumers share one wake-up event, and :meth:`_end` can end some of them.
        """
        driver = self._ready()
        feed = _Feed(driver)
        self._feeds.append(feed)
        try:
            for sub in subs:
                feed.consumers.append(driver.protocol.open(sub))
            driver._ensure_running()
            await driver._flush()
            while True:
                item = feed.take()
                if item is not None:
                    yield item
                    continue
                if all(consumer.ended for consumer in feed.consumers):
                    return  # every subscription unsubscribed, or the driver stopped
                event = feed.event = anyio.Event()
                for consumer in feed.consumers:
                    driver._waiting[id(consumer)] = event
                await driver._wait(event)
        finally:
            self._feeds.remove(feed)
            with anyio.CancelScope(shield=True):
                for consumer in feed.consumers:
                    await driver._release(consumer)

    async def _end(self, matches: Callable[[Subscription], bool]) -> None:
        """End this socket's consumers whose subscription ``matches``."""
        for feed in list(self._feeds):
            ended = [c for c in feed.consumers if c.sub is not None and matches(c.sub)]
            for consumer in ended:
                feed.consumers.remove(consumer)
                await feed.driver._release(consumer)
            if ended and feed.event is not None:
                feed.event.set()

    # --- subscriptions -----------------------------------------------------------------

    async def stream_lifecycle(self) -> AsyncIterator[ConnectionEvent]:
        """Connection lifecycle events until CLOSED (re-sync from REST on RECONNECTED).

        Yields:
            Each lifecycle event, from now on.

        Raises:
            UsageError: a shared driver that was closed.
        """
        async with aclosing(self._ready().lifecycle()) as events:
            async for event in events:
                yield event

    async def stream_depth(
        self, market_id: str, wire_precision: str | int = "10"
    ) -> AsyncIterator[DepthUpdate]:
        """Depth of a market: a snapshot first (and after every reconnect), then updates.

        Args:
            market_id: the market's id.
            wire_precision: the wire value ``10**level`` (``"10"``, ``100``...), as in o2-sdk;
                ``O2Client.stream_depth`` takes the level instead.

        Yields:
            Depth updates.

        Raises:
            InvalidInput: a malformed market id or precision.
            SubscriptionConflict: another precision of this market is streamed on the driver.
            UsageError: a shared driver that was closed.
        """
        sub = DepthSub(b256(market_id, "market_id"), _wire_precision(wire_precision))
        async with aclosing(self._iterate([sub])) as updates:
            async for update in updates:
                yield update

    async def stream_orders(
        self, identities: Iterable[IdentityLike]
    ) -> AsyncIterator[OrderUpdate]:
        """Order updates of every identity.

        Args:
            identities: the accounts (``{"ContractId": "0x..."}`` dicts, Identities or trade
                account ids); one subscription each, fanned in.

        Yields:
            Order updates, round-robin over the identities.

        Raises:
            InvalidInput: a malformed identity.
            SlowConsumerError: the iterator fell behind.
            UsageError: a shared driver that was closed.
        """
        subs: list[Subscription] = [OrdersSub(i) for i in _identities(identities)]
        async with aclosing(self._iterate(subs)) as updates:
            async for update in updates:
                yield update

    async def stream_trades(self, market_id: str) -> AsyncIterator[TradeUpdate]:
        """Every trade of a market.

        Args:
            market_id: the market's id.

        Yields:
            Trade updates.

        Raises:
            InvalidInput: a malformed market id.
            SlowConsumerError: the iterator fell behind.
            UsageError: a shared driver that was closed.
        """
        sub = TradesSub(b256(market_id, "market_id"))
        async with aclosing(self._iterate([sub])) as updates:
            async for update in updates:
                yield update

    async def stream_balances(
        self, identities: Iterable[IdentityLike]
    ) -> AsyncIterator[BalanceUpdate]:
        """Balance updates of every identity.

        Args:
            identities: the accounts (``{"ContractId": "0x..."}`` dicts, Identities or trade
                account ids); one subscription each, fanned in.

        Yields:
            Balance updates, round-robin over the identities.

        Raises:
            InvalidInput: a malformed identity.
            SlowConsumerError: the iterator fell behind.
            UsageError: a shared driver that was closed.
        """
        subs: list[Subscription] = [BalancesSub(i) for i in _identities(identities)]
        async with aclosing(self._iterate(subs)) as updates:
            async for update in updates:
                yield update

    async def stream_nonce(self, identities: Iterable[IdentityLike]) -> AsyncIterator[NonceUpdate]:
        """Nonce updates of every identity (old ones may drop: only the latest matters).

        Args:
            identities: the accounts (``{"ContractId": "0x..."}`` dicts, Identities or trade
                account ids); one subscription each, fanned in.

        Yields:
            Nonce updates, round-robin over the identities.

        Raises:
            InvalidInput: a malformed identity.
            UsageError: a shared driver that was closed.
        """
        subs: list[Subscription] = [NonceSub(i) for i in _identities(identities)]
        async with aclosing(self._iterate(subs)) as updates:
            async for update in updates:
                yield update

    # --- unsubscribing -----------------------------------------------------------------

    async def unsubscribe_depth(self, market_id: str) -> None:
        """End this socket's depth iterators of ``market_id`` (they return).

        Args:
            market_id: the market's id.

        Raises:
            InvalidInput: a malformed market id.
        """
        market = b256(market_id, "market_id")
        await self._end(lambda s: isinstance(s, DepthSub) and s.market_id == market)

    async def unsubscribe_orders(self) -> None:
        """End every orders iterator of this socket (the wire frame names no identity)."""
        await self._end(lambda s: isinstance(s, OrdersSub))

    async def unsubscribe_trades(self, market_id: str) -> None:
        """End this socket's trades iterators of ``market_id`` (they return).

        Args:
            market_id: the market's id.

        Raises:
            InvalidInput: a malformed market id.
        """
        market = b256(market_id, "market_id")
        await self._end(lambda s: isinstance(s, TradesSub) and s.market_id == market)

    async def unsubscribe_balances(self, identities: Iterable[IdentityLike]) -> None:
        """End this socket's balance streams of ``identities``.

        Args:
            identities: the accounts whose streams end.

        Raises:
            InvalidInput: a malformed identity.
        """
        wanted = {i.value for i in _identities(identities)}
        await self._end(lambda s: isinstance(s, BalancesSub) and s.identity.value in wanted)

    async def unsubscribe_nonce(self, identities: Iterable[IdentityLike]) -> None:
        """End this socket's nonce streams of ``identities``.

        Args:
            identities: the accounts whose streams end.

        Raises:
            InvalidInput: a malformed identity.
        """
        wanted = {i.value for i in _identities(identities)}
        await self._end(lambda s: isinstance(s, NonceSub) and s.identity.value in wanted)


def _wire_precision(value: str | int) -> int:
    """The wire precision as an int (``"10"`` -> 10); DepthSub checks it is 10**level."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise InvalidInput(f"wire_precision must be a power of ten such as '10', got {value!r}")


def _identity(value: IdentityLike) -> Identity:
    if isinstance(value, Identity):
        return value
    if isinstance(value, str):
        return Identity(contract_id=b256(value, "identity"))
    if isinstance(value, Mapping):
        try:
            return Identity.from_dict(dict(value))
        except ProtocolError as err:
            raise InvalidInput(
                f'an identity is {{"Address": "0x..."}} or {{"ContractId": "0x..."}}, got {value!r}'
            ) from err
    raise InvalidInput(f"not an identity: {value!r}")


def _identities(values: Iterable[IdentityLike]) -> list[Identity]:
    """Distinct identities, in order (one dict or id alone is taken as a list of one)."""
    if isinstance(values, (str, Mapping, Identity)):
        values = [values]
    result: list[Identity] = []
    for value in values:
        identity = _identity(value)
        if identity not in result:
            result.append(identity)
    if not result:
        raise InvalidInput("the stream needs at least one identity")
    return result


__all__ = ["ConnectionEvent", "ConnectionState", "IdentityLike", "O2WebSocket"]
