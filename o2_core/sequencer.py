"""Signed submissions of one trading account, sent strictly in nonce order.

The pure :class:`~o2_core.nonce.NonceTracker` decides; this async shell waits. Several
submissions may sign at once (each with its own reserved nonce) but they are sent one
after the other in nonce order, and every exit settles its reservation:

- a success reply that decodes: **commit** (the nonce is consumed);
- any failure once the request may have been sent (an error reply, no reply, a reply
  that does not decode, cancellation): **fail**, so the nonce is re-read before anything
  else is signed; reservations signed meanwhile become stale and are signed again
  with a fresh nonce (they were never sent, so that is safe);
- a failure before sending (signing raised, cancelled while waiting its turn):
  **release**.

anyio only (events and a lock), so it runs under asyncio and trio.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from .http import Reply, Request
from .nonce import NonceTracker, Reservation

T = TypeVar("T")


class AccountSequencer:
    """The nonce of one trading account and the submissions waiting their turn.

    Args:
        read_nonce: reads the account's current nonce from the exchange.
    """

    def __init__(self, read_nonce: Callable[[], Awaitable[int]]) -> None:
        self.tracker = NonceTracker()
        self._read_nonce = read_nonce
        self._lock: anyio.Lock | None = None
        self._waiters: dict[int, anyio.Event] = {}

    async def _wait_for(self, nonce: int) -> None:
        """Sleep until something changed for ``nonce`` (its turn came, or a new epoch)."""
        event = self._waiters.get(nonce)
        if event is None:
            event = self._waiters[nonce] = anyio.Event()
        await event.wait()

    def _wake(self) -> None:
        """Wake the task whose turn it now is, or everyone when the epoch is over."""
        current = self.tracker.current
        if current is None:
            self._wake_all()
        elif current in self._waiters:
            self._waiters.pop(current).set()

    def _wake_all(self) -> None:
        waiters, self._waiters = self._waiters, {}
        for event in waiters.values():
            event.set()

    async def _sync(self, force: bool = False) -> None:
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            if force or self.tracker.needs_sync:
                self.tracker.sync(await self._read_nonce())
                self._wake_all()

    async def current(self) -> int:
        """The next nonce: the cached value, else read from the exchange.

        Returns:
            The nonce the next submission will be signed with (if nothing else is queued).
        """
        while self.tracker.current is None:
            await self._sync()
        return self.tracker.current

    async def refresh(self) -> int:
        """Re-read the nonce once the submissions in flight have settled.

        Returns:
            The nonce just read.
        """
        tracker = self.tracker
        while tracker.outstanding and tracker.current is not None:
            await self._wait_for(tracker.current + tracker.outstanding)
        await self._sync(force=True)
        return await self.current()

    def invalidate(self) -> None:
        """Re-read the nonce before the next signature (it was used outside the sequencer);
        reservations signed meanwhile are signed again."""
        self.tracker.invalidate()
        self._wake_all()

    async def submit(
        self,
        build: Callable[[int], Request],
        send: Callable[[Request], Awaitable[Reply]],
        decode: Callable[[bytes], T],
    ) -> T:
        """Reserve a nonce, ``build`` (sign) the request, ``send`` it in turn, ``decode`` the
        reply.

        A reservation that goes stale while waiting (another submission failed and the
        nonce was re-read) is built again with a fresh nonce; it was never sent.

        Args:
            build: signs the request at the nonce it is given.
            send: sends a request (the reply is a success, else it raises).
            decode: decodes the success reply's body.

        Returns:
            What ``decode`` returns.

        Raises:
            O2Error: whatever ``build``, ``send`` or ``decode`` raise, after the
                reservation was settled (released if never sent, else the nonce is
                re-read before the next signature).
        """
        tracker = self.tracker
        while True:
            while tracker.needs_sync:
                await self._sync()
            reservation = tracker.reserve()
            try:
                request = build(reservation.nonce)
                while not tracker.is_turn(reservation) and not tracker.is_stale(reservation):
                    await self._wait_for(reservation.nonce)
            except BaseException:  # never sent: give the nonce back
                tracker.release(reservation)
                self._wake()
                raise
            if not tracker.is_stale(reservation):
                return await self._send_in_turn(reservation, request, send, decode)

    async def _send_in_turn(
        self,
        reservation: Reservation,
        request: Request,
        send: Callable[[Request], Awaitable[Reply]],
        decode: Callable[[bytes], T],
    ) -> T:
        tracker = self.tracker
        try:
            reply = await send(request)
            result = decode(reply.response.body)
        except BaseException:  # any exit after the request may have gone out: re-read
            if not tracker.is_stale(reservation):  # (a concurrent refresh already re-read)
                tracker.fail(reservation)
            self._wake()
            raise
        if not tracker.is_stale(reservation):
            tracker.commit(reservation)
        self._wake()
        return result


__all__ = ["AccountSequencer"]
