"""The official SDK's parallel-nonce manager: an async shell over the pure issuer.

:class:`ParallelNonceManager` awaits only the injected window fetcher (no event loop
library is imported), guards the issuer with a thread lock and keeps resyncs
single-flight by the issuer's generation. The state machine itself is
:class:`o2_core.parallel_nonce.ParallelNonceIssuer`.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable

from .parallel_nonce import (
    DEFAULT_NONCE_TTL_SECS,
    ParallelNonce,
    ParallelNonceIssuer,
    WindowResponse,
)

WindowFetcher = Callable[[], Awaitable[WindowResponse]]
"""Fetches the lane's window (``GET /v1/accounts/window``, parsed)."""


class ParallelNonceManager:
    """The official SDK's issuer of one ``(trade account, lane)``: an async shell over the issuer.

    ``next_nonce()`` is synchronous, does no I/O and is thread-safe. ``init()`` and
    ``resync_from_chain()`` await only the injected ``window_fetcher``; this module
    imports no event loop library, so the manager runs under asyncio, trio or anything
    else that can await the fetcher.

    **Single-flight resync without a lock.** Re-seating moves the cursor *backwards* onto
    slots the chain has not yet recorded (the issuer skips those it handed out itself), so
    two resyncs racing after the same failure could hand one slot to two retries. The
    official SDK serialises resyncs with an asyncio lock. Here every seat is guarded by
    the issuer's generation instead:

    1. the generation ``g`` is read *before* fetching (from the caller's
       ``seen_generation``, read before its failed submission, or, when None, now);
    2. if ``g`` is already stale, return at once without fetching (someone resynced);
    3. after the fetch, seat only if the generation is *still* ``g`` (checked and set in
       one synchronous step, so no await can interleave).

    So at most one seat happens per generation: of several resyncs started under ``g``,
    the first fetch to complete seats (making ``g + 1``); the others find the generation
    moved and discard their windows, since seating from them could move the cursor back
    onto slots the winner's retries already hold (the winner's cursor is past everything
    its window showed consumed, and only this lane's submitters consume this lane). The
    difference from the lock is only that a losing fetch is wasted, not avoided. A
    ``threading.Lock`` guards the synchronous steps (never held across an await) so that
    threads sharing a manager cannot interleave inside them either.

    Args:
        window_fetcher: coroutine function returning the lane's :class:`WindowResponse`.
        nonce_session_id: the lane, 0..4 (checked here, before anything is fetched).
        ttl_secs: lifetime of each issued nonce.
        clock: returns the unix time in seconds (injected: the core never reads the clock).
    """

    def __init__(
        self,
        *,
        window_fetcher: WindowFetcher,
        nonce_session_id: int = 0,
        ttl_secs: int = DEFAULT_NONCE_TTL_SECS,
        clock: Callable[[], float],
    ) -> None:
        self._issuer = ParallelNonceIssuer(nonce_session_id, ttl_secs)
        self._fetch_window = window_fetcher
        self._clock = clock
        self._lock = threading.RLock()  # re-entrant: held by callers that set the cursor

    @property
    def issuer(self) -> ParallelNonceIssuer:
        """The underlying pure state machine (read it; drive it through the manager)."""
        return self._issuer

    @property
    def nonce_session_id(self) -> int:
        """The lane."""
        return self._issuer.nonce_session_id

    @property
    def cursor(self) -> tuple[int, int]:
        """``(word, bit)`` of the next nonce."""
        with self._lock:
            return self._issuer.cursor

    @property
    def resync_generation(self) -> int:
        """Incremented by every seat; read it before a submission, pass it to
        :meth:`resync_from_chain` if the submission fails."""
        with self._lock:
            return self._issuer.generation

    def next_nonce(self) -> int:
        """Issue the next parallel nonce. Thread-safe, no I/O.

        Not remembered (as in o2-sdk): a nonce burnt this way may be handed out again after a
        resync. Submitters use :meth:`reserve_nonce`.

        Returns:
            The packed U256.

        Raises:
            NonceStateError: :meth:`init` has not seated the issuer yet.
        """
        with self._lock:
            return self._issuer.next_nonce(self._clock())

    def reserve_nonce(self) -> ParallelNonce:
        """Issue the next nonce and remember it as in flight, so that no resync hands it out
        again while it may still land (see :class:`~o2_core.parallel_nonce.ParallelNonceIssuer`).

        Returns:
            The nonce's fields (``encode()`` packs it).

        Raises:
            NonceStateError: :meth:`init` has not seated the issuer yet.
        """
        with self._lock:
            return self._issuer.reserve(self._clock())

    # o2-sdk's tests set its manager's cursor fields under its lock; these keep them
    # running unchanged (each assignment is a :meth:`ParallelNonceIssuer.rewind`).

    @property
    def _word(self) -> int:
        return self.cursor[0]

    @_word.setter
    def _word(self, word: int) -> None:
        with self._lock:
            self._issuer.rewind(word, self._issuer.cursor[1])

    @property
    def _bit(self) -> int:
        return self.cursor[1]

    @_bit.setter
    def _bit(self, bit: int) -> None:
        with self._lock:
            self._issuer.rewind(self._issuer.cursor[0], bit)

    async def init(self) -> None:
        """Fetch the window and seat the cursor (a resync that no concurrent one preempts).

        Raises:
            o2_core.parallel_nonce.ParallelNonceWindowFull: the lane's window is full.
        """
        await self.resync_from_chain()

    async def resync_from_chain(self, seen_generation: int | None = None) -> bool:
        """Re-fetch the window and seat the cursor past its highest consumed bit, once.

        Args:
            seen_generation: :attr:`resync_generation` read before the failed submission;
                when a seat has happened since, nothing is fetched and nothing changes.
                None: resync under the current generation.

        Returns:
            True when this call seated the cursor; False when another seat made it moot.
        """
        with self._lock:
            current = self._issuer.generation
        if seen_generation is None:
            seen_generation = current
        elif seen_generation != current:
            return False
        window = await self._fetch_window()
        with self._lock:
            return self._issuer.seat(window, seen_generation, self._clock())

    def __repr__(self) -> str:
        return f"ParallelNonceManager({self._issuer!r})"


__all__ = ["ParallelNonceManager", "WindowFetcher"]
