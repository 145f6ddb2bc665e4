"""What every part of ``O2Client`` shares: the low-level API, markets, accounts, nonces
and the active session.

``O2Client`` is one class assembled from parts that each hold one area of the user API
(:mod:`.reads`, :mod:`.trading`, :mod:`.owner`, :mod:`.streams`); they share this base.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import anyio
import anyio.abc

from .. import crypto, http, replies
from ..actions import PreparedGroup, actions_body, check_batch, parallel_actions_body
from ..api import O2Api
from ..config import NetworkConfig
from ..directory import MarketDirectory
from ..errors import AccountNotFound, InvalidInput, O2Error
from ..http import Reply, Request
from ..market_models import Market
from ..models import AccountInfo, ActionsResponse, SessionInfo, b256
from ..nonce_rejections import is_parallel_nonce_already_used, is_parallel_nonce_out_of_window
from ..orders import check_session_alive
from ..parallel_manager import ParallelNonceManager
from ..parallel_nonce import WindowResponse
from ..replies import Decoder, decoder_of
from ..sequencer import AccountSequencer
from ..stream_driver import StreamDriver, StreamOptions

logger = logging.getLogger(__name__)

T = TypeVar("T")



class ClientBase:
    """The state and helpers the parts of :class:`~o2_core.client.O2Client` share."""

    api: O2Api
    _config: NetworkConfig
    _clock: Callable[[], float]
    _rand: Callable[[], float]
    _stream_options: StreamOptions
    _directory: MarketDirectory | None
    _directory_lock: anyio.Lock | None
    _sequencers: dict[str, AccountSequencer]
    _resync_locks: dict[int, anyio.Lock]
    _session: SessionInfo | None
    _streams: StreamDriver | None
    _task_group: anyio.abc.TaskGroup | None
    _closed: bool

    # --- markets -----------------------------------------------------------------------

    async def _markets(self) -> MarketDirectory:
        """The market directory: fetched once, then cached for the client's lifetime."""
        if self._directory is not None:
            return self._directory
        if self._directory_lock is None:
            self._directory_lock = anyio.Lock()
        async with self._directory_lock:
            if self._directory is None:
                self._directory = MarketDirectory(await self.api.get_markets())
        return self._directory

    async def _market(self, market: str | Market) -> Market:
        if isinstance(market, Market):
            return market
        return (await self._markets()).resolve(market)

    # --- accounts ----------------------------------------------------------------------

    @staticmethod
    def _account_id(account: AccountInfo | SessionInfo | str) -> str:
        if isinstance(account, (AccountInfo, SessionInfo)):
            if account.trade_account_id is None:
                raise AccountNotFound("this AccountInfo has no trading account")
            return str(account.trade_account_id)
        return str(b256(account, "trade_account_id"))

    async def _owned_account(self, owner: crypto.Signer) -> AccountInfo:
        """The owner's trading account, which must exist."""
        account = await self.api.get_account(owner=owner.b256_address)
        if not account.exists:
            raise AccountNotFound("no trading account for this owner; call setup_account() first")
        return account

    # --- the sequential nonce ----------------------------------------------------------

    def _sequencer(self, trade_account_id: str) -> AccountSequencer:
        sequencer = self._sequencers.get(trade_account_id)
        if sequencer is None:

            async def read_nonce() -> int:
                account = await self.api.get_account(trade_account_id=trade_account_id)
                if not account.exists:
                    raise AccountNotFound(f"no trading account {trade_account_id}")
                return account.nonce

            sequencer = self._sequencers[trade_account_id] = AccountSequencer(read_nonce)
        return sequencer

    async def _submit(
        self, trade_account_id: str, build: Callable[[int], Request], decoder: Decoder[T]
    ) -> T:
        """A submission signed at the account's sequential nonce, sent in nonce order."""
        return await self._sequencer(trade_account_id).submit(build, self._send_signed, decoder)

    def _send_signed(self, request: Request) -> Awaitable[Reply]:
        return self.api.send(request, self.api.action_timeout)

    # --- the parallel track (PROTOCOL_V05 §1) -------------------------------------------

    def _parallel_manager(self, trade_account_id: str, lane: int) -> ParallelNonceManager:
        """An issuer of one lane's parallel nonces, healed from ``/v1/accounts/window``."""
        request = http.get_accounts_window(self._config.api_base, trade_account_id, lane)

        async def window() -> WindowResponse:
            return await self.api.fetch(request, replies.decode_accounts_window)

        return ParallelNonceManager(window_fetcher=window, nonce_session_id=lane, clock=self._clock)

    async def _resync(self, manager: ParallelNonceManager, seen_generation: int) -> None:
        """Re-seat ``manager`` from the chain, once per generation (single-flight)."""
        lock = self._resync_locks.get(id(manager))
        if lock is None:
            lock = self._resync_locks[id(manager)] = anyio.Lock()
        async with lock:  # a waiter finds the generation moved on and fetches nothing
            await manager.resync_from_chain(seen_generation)

    async def _submit_parallel(
        self, manager: ParallelNonceManager, build: Callable[[int], Request], decoder: Decoder[T]
    ) -> T:
        """A submission at a fresh parallel nonce, healed as PROTOCOL_V05 §1.8 says.

        "Already used" is also what a submission that landed but lost its reply looks
        like: resync and raise, never re-send. "Out of window" or "expired" proves that
        nothing executed: resync and try once more with a fresh nonce. Concurrent
        submissions never wait for each other.
        """
        resynced = False
        while True:
            seen = manager.resync_generation
            request = build(manager.reserve_nonce().encode())
            try:
                return decoder((await self._send_signed(request)).response.body)
            except O2Error as err:
                if is_parallel_nonce_already_used(err):
                    with contextlib.suppress(O2Error):
                        await self._resync(manager, seen)
                    raise
                if resynced or not is_parallel_nonce_out_of_window(err):
                    raise
                logger.info("parallel nonce out of window or expired; resyncing lane %d",
                            manager.nonce_session_id)
                await self._resync(manager, seen)
                resynced = True

    async def _submit_actions(
        self, session: SessionInfo, groups: Sequence[PreparedGroup], collect_orders: bool
    ) -> ActionsResponse:
        check_batch(groups)
        check_session_alive(session, self._clock())
        if session.owner_address is None:
            raise InvalidInput("this SessionInfo has no owner_address: give it when restoring")
        base, owner = self._config.api_base, str(session.owner_address)
        manager = session.nonce_manager
        if manager is not None:

            def build_parallel(nonce: int) -> http.Request:
                check_session_alive(session, self._clock())
                body = parallel_actions_body(groups, nonce, session, collect_orders)
                return http.post_actions(base, owner, body)

            return await self._submit_parallel(manager, build_parallel, replies.decode_actions)

        def build(nonce: int) -> http.Request:
            check_session_alive(session, self._clock())
            body = actions_body(groups, nonce, session, collect_orders)
            return http.post_actions(base, owner, body)

        tid = str(session.trade_account_id)
        result = await self._submit(tid, build, replies.decode_actions)
        session.nonce = self._sequencer(tid).tracker.current or session.nonce
        return result

    # --- the active session ------------------------------------------------------------

    @property
    def session(self) -> SessionInfo | None:
        """The active session used by trading calls."""
        return self._session

    def set_session(self, session: SessionInfo) -> None:
        """Make ``session`` the active session (e.g. one restored from storage).

        Args:
            session: the session trading calls use from now on.

        Raises:
            InvalidInput: not a :class:`~o2_core.session.SessionInfo`.
        """
        if not isinstance(session, SessionInfo):
            raise InvalidInput("set_session needs a SessionInfo")
        self._session = session

    def clear_session(self) -> None:
        """Forget the active session."""
        self._session = None

    def _require_session(self, session: SessionInfo | None) -> SessionInfo:
        session = session or self._session
        if session is None:
            raise O2Error("No active session: call create_session() first, or pass session=")
        return session


__all__ = ["ClientBase", "decoder_of"]
