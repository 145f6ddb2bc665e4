"""The nonce tracker (PROTOCOL.md §5.2): transitions, and a model-based state machine test."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    precondition,
    rule,
)

from o2_core.errors import O2Error, UsageError
from o2_core.nonce import NonceState, NonceStateError, NonceTracker, Reservation


def test_happy_path() -> None:
    t = NonceTracker()
    assert t.state is NonceState.UNSYNCED and t.needs_sync and t.current is None
    t.sync(7)
    assert t.state is NonceState.READY and not t.needs_sync and t.current == 7 and t.epoch == 1
    a, b = t.reserve(), t.reserve()
    assert (a.nonce, b.nonce) == (7, 8) and a.epoch == b.epoch == 1
    assert t.is_turn(a) and not t.is_turn(b)
    t.commit(a)
    assert t.is_turn(b) and t.current == 8
    t.commit(b)
    assert t.current == 9 and t.reserve().nonce == 9


def test_illegal_transitions() -> None:
    t = NonceTracker()
    with pytest.raises(NonceStateError, match="sync first"):
        t.reserve()
    for bad in (-1, 1.5, "3", None):
        with pytest.raises(NonceStateError):
            t.sync(bad)  # type: ignore[arg-type]
    t.sync(0)
    a, b = t.reserve(), t.reserve()
    with pytest.raises(NonceStateError, match="out of turn"):
        t.commit(b)
    t.commit(a)
    with pytest.raises(NonceStateError, match="out of turn"):
        t.commit(a)  # twice
    assert issubclass(NonceStateError, UsageError) and not issubclass(NonceStateError, O2Error)


def test_fail_demands_a_resync() -> None:
    t = NonceTracker()
    t.sync(3)
    a, b = t.reserve(), t.reserve()
    t.fail(a)
    assert t.state is NonceState.MUST_RESYNC and t.needs_sync and t.current is None
    assert t.is_stale(b) and not t.is_turn(b)
    with pytest.raises(NonceStateError):
        t.reserve()
    with pytest.raises(NonceStateError):
        t.commit(b)
    t.sync(4)  # a was consumed on-chain (reverted batches consume the nonce too)
    assert t.is_stale(a) and t.is_stale(b)  # old epoch: re-sign
    with pytest.raises(NonceStateError, match="old epoch"):
        t.fail(b)
    assert t.reserve() == Reservation(4, 2)


def test_epochs_make_reservations_stale() -> None:
    t = NonceTracker()
    t.sync(10)
    old = t.reserve()
    t.sync(10)
    assert t.is_stale(old) and not t.is_turn(old)
    new = t.reserve()
    assert new.nonce == 10 and new != old
    with pytest.raises(NonceStateError):
        t.commit(old)
    t.release(old)  # stale: a no-op
    assert t.state is NonceState.READY and t.reserve().nonce == 11


def test_release() -> None:
    t = NonceTracker()
    t.sync(0)
    a, b = t.reserve(), t.reserve()
    t.release(b)  # the last one: given back, no gap
    assert t.state is NonceState.READY and t.reserve().nonce == 1
    t.release(a)  # not the last one: a gap, the nonce must be re-read
    assert t.state is NonceState.MUST_RESYNC


def test_release_after_commit_is_a_no_op() -> None:
    t = NonceTracker()
    t.sync(0)
    a = t.reserve()
    t.commit(a)
    t.release(a)  # e.g. from a ``finally``: must not hand nonce 0 out again
    assert t.state is NonceState.READY
    assert t.reserve().nonce == 1


class Model:
    """The reference: what the tracker must do, written the simple way."""

    def __init__(self) -> None:
        self.state = "unsynced"
        self.epoch = 0
        self.next = 0
        self.turn = 0

    def stale(self, r: Reservation) -> bool:
        return r.epoch != self.epoch or self.state != "ready"


class NonceMachine(RuleBasedStateMachine):
    """Random interleavings of every operation, checked against :class:`Model`."""

    reservations = Bundle("reservations")

    def __init__(self) -> None:
        super().__init__()
        self.tracker = NonceTracker()
        self.model = Model()
        self.handed_out: set[tuple[int, int]] = set()  # (epoch, nonce) not given back
        self.committed: list[int] = []

    @rule(nonce=st.integers(0, 2**64 - 1))
    def sync(self, nonce: int) -> None:
        self.tracker.sync(nonce)
        self.model.state, self.model.epoch = "ready", self.model.epoch + 1
        self.model.next = self.model.turn = nonce

    @rule(target=reservations)
    def reserve(self) -> Reservation:
        if self.model.state != "ready":
            with pytest.raises(NonceStateError):
                self.tracker.reserve()
            return Reservation(-1, -1)  # a placeholder that never matches an epoch
        r = self.tracker.reserve()
        assert (r.nonce, r.epoch) == (self.model.next, self.model.epoch)
        assert (r.epoch, r.nonce) not in self.handed_out, "the same nonce handed out twice"
        self.handed_out.add((r.epoch, r.nonce))
        self.model.next += 1
        return r

    @rule(r=reservations)
    def commit(self, r: Reservation) -> None:
        if self.model.stale(r) or r.nonce != self.model.turn:
            with pytest.raises(NonceStateError):
                self.tracker.commit(r)
            return
        self.tracker.commit(r)
        if self.committed and r.epoch == self.committed[-1] >> 64:
            assert r.nonce == (self.committed[-1] & (2**64 - 1)) + 1  # strictly in order
        self.committed.append(r.epoch << 64 | r.nonce)
        self.model.turn += 1

    @rule(r=reservations)
    def fail(self, r: Reservation) -> None:
        if r.epoch != self.model.epoch:
            with pytest.raises(NonceStateError):
                self.tracker.fail(r)
            return
        self.tracker.fail(r)
        self.model.state = "must_resync"

    @rule(r=consumes(reservations))
    def release(self, r: Reservation) -> None:
        self.tracker.release(r)
        if self.model.stale(r) or r.nonce < self.model.turn:
            return
        if r.nonce == self.model.next - 1:
            self.model.next -= 1
            self.handed_out.discard((r.epoch, r.nonce))
        else:
            self.model.state = "must_resync"

    @precondition(lambda self: self.model.state == "ready")
    @rule(r=reservations)
    def turn_and_staleness(self, r: Reservation) -> None:
        assert self.tracker.is_stale(r) == self.model.stale(r)
        assert self.tracker.is_turn(r) == (not self.model.stale(r) and r.nonce == self.model.turn)

    @invariant()
    def agrees_with_model(self) -> None:
        t, model = self.tracker, self.model
        assert t.state.value == model.state
        assert t.epoch == model.epoch
        assert t.needs_sync == (model.state != "ready")
        assert t.current == (model.turn if model.state == "ready" else None)
        if model.state == "ready":
            assert model.turn <= model.next


TestNonceMachine = NonceMachine.TestCase
TestNonceMachine.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
