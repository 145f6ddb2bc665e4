"""The nonce of one trading account as an explicit state machine (PROTOCOL.md §5.2).

Every signed submission consumes the account nonce, reverted ones included, and the
exchange accepts only the current one. The tracker hands out consecutive nonces so that
several batches can be signed at once, lets them be submitted strictly in nonce order,
and after any failure demands a re-read before anything else is signed::

    UNSYNCED --sync(n)--> READY --fail(r)--> MUST_RESYNC --sync(n)--> READY
                          |  reserve() -> r; is_turn(r); commit(r)

Each ``sync`` opens a new epoch: reservations of an older epoch are stale and must be
signed again with a fresh nonce (they were never sent, so that is safe).

The parallel track (PROTOCOL_V05.md §1) lives in :mod:`o2_core.parallel_nonce`, the
classification of rejections in :mod:`o2_core.nonce_rejections`; every public name of the
official ``o2_sdk.nonce`` is re-exported here, so ``from o2_sdk.nonce import X`` becomes
``from o2_core.nonce import X``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .errors import NonceStateError
from .nonce_rejections import (
    is_nonce_rejection,
    is_nonce_too_low,
    is_parallel_nonce_already_used,
    is_parallel_nonce_out_of_window,
    is_session_error,
)
from .onchain_revert import is_onchain_already_used, is_onchain_nonce_error
from .parallel_manager import ParallelNonceManager, WindowFetcher
from .parallel_nonce import (
    DEFAULT_NONCE_TTL_SECS,
    MAX_NONCE_SESSION_ID,
    NONCE_BITMAP_SIZE,
    NONCE_SESSION_SLIDING_WINDOW_SIZE,
    IssuerState,
    ParallelNonce,
    ParallelNonceError,
    ParallelNonceIssuer,
    ParallelNonceWindowFull,
    WindowResponse,
    WindowSlot,
)


class NonceState(Enum):
    """Where the tracker is."""

    UNSYNCED = "unsynced"
    READY = "ready"
    MUST_RESYNC = "must_resync"


@dataclass(frozen=True)
class Reservation:
    """A nonce handed out for one submission, valid within one epoch."""

    nonce: int
    epoch: int


class NonceTracker:
    """Nonce bookkeeping for one trading account. Pure: no I/O, no clock, no locks."""

    __slots__ = ("_epoch", "_next", "_state", "_turn")

    def __init__(self) -> None:
        self._state = NonceState.UNSYNCED
        self._epoch = 0
        self._next = 0
        self._turn = 0

    @property
    def state(self) -> NonceState:
        """The current state."""
        return self._state

    @property
    def needs_sync(self) -> bool:
        """True until the nonce has been (re-)read from the exchange."""
        return self._state is not NonceState.READY

    @property
    def current(self) -> int | None:
        """The next nonce the exchange expects as far as we know (None when unknown)."""
        return self._turn if self._state is NonceState.READY else None

    @property
    def outstanding(self) -> int:
        """Reservations handed out in this epoch and not yet committed."""
        return self._next - self._turn if self._state is NonceState.READY else 0

    @property
    def epoch(self) -> int:
        """Incremented by every ``sync``."""
        return self._epoch

    def sync(self, nonce: int) -> None:
        """Adopt the nonce read from the exchange; outstanding reservations become stale.

        Args:
            nonce: the account's nonce as the exchange reports it.

        Raises:
            NonceStateError: not a non-negative integer.
        """
        if not isinstance(nonce, int) or nonce < 0:
            raise NonceStateError(f"a nonce is a non-negative integer, got {nonce!r}")
        self._state = NonceState.READY
        self._epoch += 1
        self._next = nonce
        self._turn = nonce

    def reserve(self) -> Reservation:
        """Hand out the next nonce to sign with.

        Returns:
            The reservation: its nonce and the epoch it belongs to.

        Raises:
            NonceStateError: the tracker is not READY (sync first).
        """
        if self._state is not NonceState.READY:
            raise NonceStateError(f"cannot reserve a nonce while {self._state.value}; sync first")
        reservation = Reservation(self._next, self._epoch)
        self._next += 1
        return reservation

    def is_stale(self, reservation: Reservation) -> bool:
        """Whether ``reservation`` can no longer be submitted (sign it again).

        Args:
            reservation: a reservation from :meth:`reserve`.

        Returns:
            True when it is from an older epoch or the tracker must re-read the nonce.
        """
        return reservation.epoch != self._epoch or self._state is not NonceState.READY

    def is_turn(self, reservation: Reservation) -> bool:
        """Whether ``reservation`` is the next one to submit.

        Args:
            reservation: a reservation from :meth:`reserve`.

        Returns:
            True when it is current and its nonce is the one the exchange expects.
        """
        return not self.is_stale(reservation) and reservation.nonce == self._turn

    def commit(self, reservation: Reservation) -> None:
        """The submission of ``reservation`` succeeded: its nonce is consumed.

        Args:
            reservation: the reservation whose turn it was.

        Raises:
            NonceStateError: it is not ``reservation``'s turn.
        """
        if not self.is_turn(reservation):
            raise NonceStateError(
                f"commit of nonce {reservation.nonce} out of turn "
                f"(state {self._state.value}, expected nonce {self._turn})"
            )
        self._turn += 1

    def fail(self, reservation: Reservation) -> None:
        """The submission of ``reservation`` failed, or its outcome is unknown: the nonce must
        be re-read (MUST_RESYNC).

        Args:
            reservation: the reservation that was submitted.

        Raises:
            NonceStateError: ``reservation`` is from an older epoch.
        """
        if reservation.epoch != self._epoch:
            raise NonceStateError(f"fail of nonce {reservation.nonce} from an old epoch")
        self._state = NonceState.MUST_RESYNC

    def release(self, reservation: Reservation) -> None:
        """``reservation`` will not be submitted (its signing failed, or it was cancelled).

        The last nonce handed out is simply taken back; an earlier one leaves a gap, so the
        nonce must be re-read. A stale or already committed reservation changes nothing.

        Args:
            reservation: the reservation given up.
        """
        if self.is_stale(reservation) or reservation.nonce < self._turn:
            return  # stale, or already committed: nothing to give back
        if reservation.nonce == self._next - 1:
            self._next -= 1  # the last one handed out: no gap, nothing to re-read
        else:
            self._state = NonceState.MUST_RESYNC

    def invalidate(self) -> None:
        """The nonce may have moved outside the tracker (a submission signed at an explicit
        nonce): re-read it before the next signature."""
        if self._state is NonceState.READY:
            self._state = NonceState.MUST_RESYNC


__all__ = [
    "DEFAULT_NONCE_TTL_SECS",
    "MAX_NONCE_SESSION_ID",
    "NONCE_BITMAP_SIZE",
    "NONCE_SESSION_SLIDING_WINDOW_SIZE",
    "IssuerState",
    "NonceState",
    "NonceStateError",
    "NonceTracker",
    "ParallelNonce",
    "ParallelNonceError",
    "ParallelNonceIssuer",
    "ParallelNonceManager",
    "ParallelNonceWindowFull",
    "Reservation",
    "WindowFetcher",
    "WindowResponse",
    "WindowSlot",
    "is_nonce_rejection",
    "is_nonce_too_low",
    "is_onchain_already_used",
    "is_onchain_nonce_error",
    "is_parallel_nonce_already_used",
    "is_parallel_nonce_out_of_window",
    "is_session_error",
]
