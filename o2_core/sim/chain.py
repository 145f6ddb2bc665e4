"""Committing transactions and consuming nonces: what every command of the engine shares.

A :class:`Chain` owns the commit step (history, the transaction id, the listeners) and
both nonce tracks: the sequential nonce (one u64 per account) and the parallel track's
slots (:mod:`.nonces`). A nonce is consumed inside the command's transaction; when the
command reverts, that transaction is rolled back and the nonce is consumed again on its
own, so that a reverted submission still uses up its nonce (PROTOCOL.md §5.2; the
parallel track the same way, as the official client never reuses a slot after any
failure: "every attempt burns a fresh slot").
"""

from __future__ import annotations

from collections.abc import Callable

from . import history
from .config import SimConfig
from .nonces import LaneWindow, ParallelSlot
from .reverts import selector_mismatch
from .state import Account, Committed, Ledger, Tx


class Chain:
    """The commit step and the nonce tracks over one ledger."""

    def __init__(self, config: SimConfig, ledger: Ledger) -> None:
        self.config = config
        self.ledger = ledger
        self.listeners: list[Callable[[Committed], None]] = []

    def commit(self, tx: Tx, with_tx_id: bool = False) -> Committed:
        """Commit ``tx``: remember its history, announce it to the listeners, return it."""
        ledger = self.ledger
        history.remember(ledger, tx)
        tx.undo.clear()
        committed = tx.committed(ledger.next_id("tx") if with_tx_id else None)
        for listener in self.listeners:
            listener(committed)
        history.forget_oldest(ledger)
        return committed

    # --- the sequential track -----------------------------------------------------------

    @staticmethod
    def consume_nonce(account: Account, tx: Tx) -> None:
        """Consume the account's sequential nonce inside ``tx``."""
        tx.set(account, "nonce", account.nonce + 1)
        tx.set(account, "last_modification", int(tx.now))
        tx.nonce_accounts[account.trade_account_id] = account
        tx.logs.append("IncrementNonceEvent")

    def consume_nonce_alone(self, account: Account, now: float) -> None:
        """Consume the sequential nonce of a reverted submission in its own transaction."""
        tx = Tx(now)
        self.consume_nonce(account, tx)
        self.commit(tx)

    # --- the parallel track -------------------------------------------------------------

    @staticmethod
    def window(account: Account, lane: int) -> LaneWindow | None:
        """The lane's window (None while the lane was never used: a fresh window)."""
        return account.windows.get(lane)

    @staticmethod
    def admit_slot(account: Account, slot: ParallelSlot, now: float) -> None:
        """Refuse an unusable slot (expired, out of the window, already used: the API's
        check, nothing consumed), then revert on a legacy account: its proxy has no
        parallel entry point (``Revert(123)``, nothing consumed either)."""
        window = account.windows.get(slot.lane) or LaneWindow()
        window.check(slot, now)
        if account.legacy:
            raise selector_mismatch().located(account.trade_account_id)

    @staticmethod
    def consume_slot(account: Account, slot: ParallelSlot, tx: Tx) -> None:
        """Consume a (checked) parallel slot inside ``tx``, with undo."""
        window = account.windows.get(slot.lane)
        if window is None:
            window = LaneWindow()
            tx.put(account.windows, slot.lane, window)
        tx.on_undo(window.restore, window.state())
        window.use(slot.word, slot.bit)

    def consume_slot_alone(self, account: Account, slot: ParallelSlot, now: float) -> None:
        """Consume the slot of a reverted submission in its own transaction."""
        tx = Tx(now)
        self.consume_slot(account, slot, tx)
        self.commit(tx)
