"""``O2Client``: the whole user API, implemented once over a :class:`Transport`.

Every method is build → await the transport → parse: requests are built and replies
parsed by the pure core (:mod:`o2_core.http`, :mod:`o2_core.orders`,
:mod:`o2_core.actions`, :mod:`o2_core.directory`), retries decided by
:mod:`o2_core.policy`, nonces by :mod:`o2_core.sequencer` and
:mod:`o2_core.parallel_nonce`, streams by :mod:`o2_core.stream_driver`. The client uses
anyio for concurrency only (task groups, locks, sleeps), so it runs under asyncio and
trio; it never opens a socket itself.

The class is assembled from one part per area of the API: reads (:mod:`.reads`),
trading (:mod:`.trading`), owner-signed operations (:mod:`.owner`) and streams
(:mod:`.streams`), over a shared base (:mod:`.base`).

A client belongs to the event loop that first uses it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from types import TracebackType
from typing import ClassVar

import anyio
import anyio.abc

from .. import crypto
from ..api import O2Api
from ..config import Network, NetworkConfig, get_config
from ..directory import MarketDirectory
from ..models import SessionInfo
from ..orders import MarketActionsBuilder
from ..policy import RetryPolicy
from ..sequencer import AccountSequencer
from ..stream_driver import StreamDriver, StreamOptions
from ..transport import Transport
from .owner import UPGRADE_POLL_ATTEMPTS, UPGRADE_POLL_INTERVAL_SECS, OwnerMixin
from .reads import ReadsMixin
from .streams import StreamsMixin
from .trading import CANCEL_ALL_LIMIT, TradingMixin


class O2Client(StreamsMixin, OwnerMixin, TradingMixin, ReadsMixin):
    """High-level client for the O2 Exchange.

    Args:
        network: a built-in deployment (``Network.LOCAL`` is the embedded simulator).
        custom_config: endpoints of another deployment; overrides ``network``.
        action_timeout_seconds: seconds a signed submission may take (one attempt).
        transport: how requests travel; default: the subclass's
            :attr:`default_transport_factory`, else an installed transport chosen by
            :func:`~o2_core.transport.default_transport` (httpx for real networks,
            in-memory for ``Network.LOCAL``), made on first use.
        request_timeout: seconds a read may take, per attempt.
        max_retries: retries of a read after connection errors, 5xx and rate limits
            (and of a rate-limited submission, which the server did not process).
        backoff_base: the first retry delay in seconds (then doubling, jittered).
        backoff_cap: the longest retry delay.
        clock: unix time in seconds (session expiry, limit-order timestamps).
        rand: random floats in [0, 1) for the jitter (inject a seeded one for tests).
        stream_options: tuning of the shared WebSocket (:class:`StreamOptions`).

    Use as an async context manager (streams then run in the client's own task group),
    or call :meth:`close`.

    Raises:
        InvalidInput: a non-positive timeout or a bad retry setting.
    """

    #: Builds the transport when none is given (the transport packages' subclasses set it).
    default_transport_factory: ClassVar[Callable[[], Transport] | None] = None

    def __init__(
        self,
        network: Network = Network.TESTNET,
        custom_config: NetworkConfig | None = None,
        action_timeout_seconds: float = 30.0,
        *,
        transport: Transport | None = None,
        request_timeout: float = 10.0,
        max_retries: int = 3,
        backoff_base: float = 0.25,
        backoff_cap: float = 8.0,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
        stream_options: StreamOptions | None = None,
    ) -> None:
        self._config = custom_config or get_config(network)
        #: The low-level REST client this client is built on (official ``client.api``).
        self.api = O2Api(
            self._config,
            transport,
            transport_factory=type(self).default_transport_factory,
            policy=RetryPolicy(max_retries=max_retries, base=backoff_base, cap=backoff_cap),
            request_timeout=request_timeout,
            action_timeout_seconds=action_timeout_seconds,
            rand=rand,
        )
        self._clock = clock
        self._rand = rand
        self._stream_options = stream_options or StreamOptions()
        self._directory: MarketDirectory | None = None
        self._directory_lock: anyio.Lock | None = None
        self._sequencers: dict[str, AccountSequencer] = {}
        self._resync_locks: dict[int, anyio.Lock] = {}
        self._session: SessionInfo | None = None
        self._streams: StreamDriver | None = None
        self._ws = None
        self._task_group: anyio.abc.TaskGroup | None = None
        self._closed = False

    # --- lifecycle ---------------------------------------------------------------------

    @property
    def config(self) -> NetworkConfig:
        """The network configuration in use."""
        return self._config

    @property
    def transport(self) -> Transport:
        """The transport requests travel over (the default one is made on first use)."""
        return self.api.transport

    async def __aenter__(self) -> O2Client:
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        if self._streams is not None:
            self._streams.host_in(task_group)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.close()
        finally:
            task_group, self._task_group = self._task_group, None
            if task_group is not None:
                # The body's own exception propagates as it is (not in an exception group):
                # the task group only ever holds the stream loops, which never raise.
                task_group.cancel_scope.cancel()
                await task_group.__aexit__(None, None, None)

    async def close(self) -> None:
        """End every stream and close the transport. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._streams is not None:
            await self._streams.aclose()
        await self.api.close()

    # --- wallets -------------------------------------------------------------------------

    #: A new Fuel wallet with a random key (no network).
    generate_wallet = staticmethod(crypto.generate_wallet)
    #: A new EVM wallet with a random key (no network).
    generate_evm_wallet = staticmethod(crypto.generate_evm_wallet)
    #: A Fuel wallet from a private key (hex, ``0x`` optional, or 32 bytes).
    load_wallet = staticmethod(crypto.load_wallet)
    #: An EVM wallet from a private key (hex, ``0x`` optional, or 32 bytes).
    load_evm_wallet = staticmethod(crypto.load_evm_wallet)


__all__ = [
    "CANCEL_ALL_LIMIT",
    "UPGRADE_POLL_ATTEMPTS",
    "UPGRADE_POLL_INTERVAL_SECS",
    "MarketActionsBuilder",
    "O2Client",
    "StreamOptions",
]
