"""Parallel nonces (PROTOCOL_V05 §1): packing, the window, the issuer, the manager, classifiers."""

from __future__ import annotations

import asyncio
import threading
from types import ModuleType
from typing import Any

import pytest
import trio
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import o2_core.nonce as our_nonce
from o2_core.errors import InvalidInput, NonceStateError, O2Error, ProtocolError
from o2_core.nonce import (
    DEFAULT_NONCE_TTL_SECS,
    MAX_NONCE_SESSION_ID,
    NONCE_BITMAP_SIZE,
    NONCE_SESSION_SLIDING_WINDOW_SIZE,
    IssuerState,
    ParallelNonce,
    ParallelNonceError,
    ParallelNonceIssuer,
    ParallelNonceManager,
    ParallelNonceWindowFull,
    WindowResponse,
    WindowSlot,
    is_nonce_rejection,
    is_nonce_too_low,
    is_parallel_nonce_already_used,
    is_parallel_nonce_out_of_window,
    is_session_error,
)

U128 = (1 << 128) - 1
FULL = (1 << NONCE_BITMAP_SIZE) - 1
NOW = 1_900_000_000

lanes = st.integers(0, MAX_NONCE_SESSION_ID)
words = st.integers(0, U128)
bits = st.integers(0, NONCE_BITMAP_SIZE - 1)
u32 = st.integers(0, 2**32 - 1)
valid_nonces = st.builds(ParallelNonce, lanes, u32, words, bits)


def test_constants() -> None:
    assert (NONCE_SESSION_SLIDING_WINDOW_SIZE, NONCE_BITMAP_SIZE) == (8, 128)
    assert (MAX_NONCE_SESSION_ID, DEFAULT_NONCE_TTL_SECS) == (4, 120)


def test_error_classes() -> None:
    assert issubclass(ParallelNonceError, InvalidInput) and issubclass(ParallelNonceError, O2Error)
    assert issubclass(ParallelNonceError, ValueError)  # the official manager raised ValueError
    assert issubclass(ParallelNonceWindowFull, ParallelNonceError)


# --- packing -----------------------------------------------------------------------------


def test_layout() -> None:
    nonce = ParallelNonce(nonce_session_id=2, timestamp=NOW, word_position=5, bitmap_position=10)
    assert nonce.encode() == (2 << 168) | (NOW << 136) | (5 << 8) | 10
    assert nonce.to_bytes() == nonce.encode().to_bytes(32, "big")
    assert nonce.slot == (5, 10)


@given(valid_nonces)
def test_round_trip(nonce: ParallelNonce) -> None:
    packed = nonce.encode()
    assert 0 <= packed < 1 << 176
    assert ParallelNonce.decode(packed) == nonce
    assert ParallelNonce.parse(str(packed)) == nonce == ParallelNonce.parse(packed)


@given(lanes, st.integers(0, 2**64), words, bits)
def test_timestamp_is_masked_not_rejected(lane: int, ts: int, word: int, bit: int) -> None:
    decoded = ParallelNonce.decode(ParallelNonce(lane, ts, word, bit).encode())
    assert decoded == ParallelNonce(lane, ts & 0xFFFFFFFF, word, bit)


@given(valid_nonces, st.sampled_from(["nonce_session_id", "timestamp", "word_position",
                                       "bitmap_position"]), st.data())
def test_fields_never_bleed_into_each_other(nonce: ParallelNonce, name: str, data: Any) -> None:
    ranges = {"nonce_session_id": lanes, "timestamp": u32, "word_position": words,
              "bitmap_position": bits}
    fields = {k: getattr(nonce, k) for k in ranges}
    fields[name] = data.draw(ranges[name])
    changed = ParallelNonce(**fields).encode() ^ nonce.encode()
    spans = {"bitmap_position": (0, 8), "word_position": (8, 136), "timestamp": (136, 168),
             "nonce_session_id": (168, 176)}
    low, high = spans[name]
    assert changed >> high == 0 and changed & ((1 << low) - 1) == 0


@given(st.integers(0, (1 << 176) - 1), st.integers(1, (1 << 80) - 1))
def test_reserved_bits_are_refused(low: int, reserved: int) -> None:
    with pytest.raises(ParallelNonceError, match=r"^reserved bits must be zero$"):
        ParallelNonce.decode(low | (reserved << 176))


@given(st.integers(0, (1 << 176) - 1))
def test_decode_is_the_inverse_of_encode_on_its_domain(packed: int) -> None:
    bit, lane = packed & 0xFF, (packed >> 168) & 0xFF
    if bit >= 128 or lane > 4:
        with pytest.raises(ParallelNonceError):
            ParallelNonce.decode(packed)
    else:
        assert ParallelNonce.decode(packed).encode() == packed


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ((0, 0, 0, 128), "bitmap_position must be in [0, 128), got 128"),
        ((0, 0, 0, -1), "bitmap_position must be in [0, 128), got -1"),
        ((5, 0, 0, 0), "nonce_session_id must be in [0, 4], got 5"),
        ((-1, 0, 0, 0), "nonce_session_id must be in [0, 4], got -1"),
        ((0, 0, 1 << 128, 0), f"word_position must fit in 128 bits, got {1 << 128}"),
        ((0, 0, -1, 0), "word_position must fit in 128 bits, got -1"),
        ((0, -1, 0, 0), "timestamp must not be negative, got -1"),
        ((0, 0, 0, True), "bitmap_position must be an integer, got bool"),
        ((0, 1.5, 0, 0), "timestamp must be an integer, got float"),
        (("0", 0, 0, 0), "nonce_session_id must be an integer, got str"),
    ],
)
def test_encode_errors(fields: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ParallelNonceError) as info:
        ParallelNonce(*fields).encode()
    assert str(info.value) == message


def test_decode_and_parse_errors() -> None:
    with pytest.raises(ParallelNonceError, match="reserved bits"):
        ParallelNonce.decode(-1)
    with pytest.raises(ParallelNonceError, match="an integer"):
        ParallelNonce.decode("5")  # type: ignore[arg-type]
    for bad in ("", "0x10", "-5", "1e3", "١٢"):
        with pytest.raises(ParallelNonceError, match="decimal string"):
            ParallelNonce.parse(bad)


# --- the window --------------------------------------------------------------------------


def window(base: int, used: dict[int, int], lane: int = 0) -> WindowResponse:
    """A full window whose slot w % 8 holds word w (used bits given per word)."""
    slots = [WindowSlot(w, used.get(w, 0)) for w in range(base, base + 8)]
    slots.sort(key=lambda s: s.word_position % 8)
    return WindowResponse(lane, base, slots)


def test_window_parsing() -> None:
    reply = {"nonce_session_id": "1", "base": "3",
             "slots": [{"word_position": "8", "bitmap": "0"}, {"word_position": 9, "bitmap": 7}]}
    parsed = WindowResponse.from_dict(reply)
    assert parsed == WindowResponse(1, 3, (WindowSlot(8, 0), WindowSlot(9, 7)))
    assert WindowResponse.from_dict({"nonce_session_id": 0, "base": 0}).slots == ()
    assert WindowResponse(0, 0, [WindowSlot(0, 1)]).slots == (WindowSlot(0, 1),)  # lists too


@pytest.mark.parametrize(
    "reply",
    [
        {},
        {"nonce_session_id": "0"},
        {"nonce_session_id": "x", "base": "0"},
        {"nonce_session_id": "0", "base": "-1"},
        {"nonce_session_id": "0", "base": True},
        {"nonce_session_id": "0", "base": 1.5},
        {"nonce_session_id": "0", "base": "0", "slots": {"a": 1}},
        {"nonce_session_id": "0", "base": "0", "slots": [{"word_position": "0"}]},
        {"nonce_session_id": "0", "base": "0", "slots": [5]},
        {"nonce_session_id": "0", "base": "0",
         "slots": [{"word_position": "0", "bitmap": str(1 << 128)}]},
        ["not", "an", "object"],
    ],
)
def test_malformed_window_replies(reply: Any) -> None:
    with pytest.raises(ProtocolError):
        WindowResponse.from_dict(reply)


def test_window_values_are_checked_on_construction() -> None:
    with pytest.raises(ParallelNonceError):
        WindowSlot(-1, 0)
    with pytest.raises(ParallelNonceError):
        WindowSlot(0, 1 << 128)
    with pytest.raises(ParallelNonceError):
        WindowResponse(0, -1)
    with pytest.raises(ParallelNonceError):
        WindowResponse(0, 0, [(0, 1)])  # type: ignore[list-item]


def test_first_free_position_cases() -> None:
    assert WindowResponse(0, 0).first_free_position() == (0, 0)
    assert window(0, {0: 0b11111}).first_free_position() == (0, 5)
    assert window(0, {3: 1}).first_free_position() == (3, 1)  # holes below are skipped
    assert window(0, {0: FULL, 1: FULL}).first_free_position() == (2, 0)
    assert window(10, {11: 1, 12: 1 << 127}).first_free_position() == (13, 0)
    assert window(0, {0: 1, 5: 1 << 64}).first_free_position() == (5, 65)
    with pytest.raises(ParallelNonceWindowFull, match="top window word fully consumed"):
        window(0, {7: FULL}).first_free_position()
    # A slot recycled by a slide (slot 0 holds word 8) counts as empty for word 0 ...
    recycled = WindowResponse(0, 0, [WindowSlot(8, 15)] + [WindowSlot(w, 0) for w in range(1, 8)])
    assert recycled.first_free_position() == (0, 0)
    assert recycled.effective_bitmap(8) == 15 and recycled.effective_bitmap(0) == 0
    # ... and slots missing from a short list are empty.
    short = WindowResponse(0, 4, [WindowSlot(8, 0), WindowSlot(9, 0)])
    assert short.effective_bitmap(12) == 0 and short.first_free_position() == (4, 0)


def reference_first_free(w: WindowResponse) -> tuple[int, int]:
    """PROTOCOL_V05 §1.4 written the slow way: the position after the highest used bit."""
    top = w.base + 7
    used = []
    for word in range(w.base, top + 1):
        index = word % 8
        bitmap = 0
        if index < len(w.slots) and w.slots[index].word_position == word:
            bitmap = w.slots[index].bitmap
        used.extend((word, b) for b in range(128) if bitmap >> b & 1)
    if not used:
        return (w.base, 0)
    word, bit = max(used)
    if bit < 127:
        return (word, bit + 1)
    if word < top:
        return (word + 1, 0)
    raise ParallelNonceWindowFull("full")


slot_lists = st.lists(
    st.builds(WindowSlot, st.integers(0, 40),
              st.one_of(st.just(0), st.just(FULL), st.integers(0, FULL),
                        st.integers(0, 127).map(lambda b: 1 << b))),
    max_size=8,
)


@given(st.integers(0, 32), slot_lists)
def test_first_free_position_matches_the_reference(base: int, slots: list[WindowSlot]) -> None:
    w = WindowResponse(0, base, slots)
    try:
        expected: tuple[int, int] | None = reference_first_free(w)
    except ParallelNonceWindowFull:
        expected = None
    if expected is None:
        with pytest.raises(ParallelNonceWindowFull):
            w.first_free_position()
    else:
        assert w.first_free_position() == expected


@given(st.integers(0, 32), slot_lists)
def test_first_free_position_matches_the_official_sdk(base: int, slots: list[WindowSlot]) -> None:
    from o2_sdk import nonce as official

    theirs = official.WindowResponse(
        0, base, [official.WindowSlot(s.word_position, s.bitmap) for s in slots]
    )
    try:
        expected: Any = theirs.first_free_position()
    except official.ParallelNonceWindowFull as exc:
        expected = str(exc)
    try:
        ours: Any = WindowResponse(0, base, slots).first_free_position()
    except ParallelNonceWindowFull as exc:
        ours = str(exc)
    assert ours == expected


@given(st.one_of(valid_nonces, st.builds(ParallelNonce, st.integers(-2, 6), st.integers(-2, 2**33),
                                         st.integers(-2, 1 << 129), st.integers(-2, 130))))
def test_packing_matches_the_official_sdk(nonce: ParallelNonce) -> None:
    from o2_sdk import nonce as official

    theirs = official.ParallelNonce(nonce.nonce_session_id, nonce.timestamp,
                                    nonce.word_position, nonce.bitmap_position)
    try:
        expected: Any = theirs.encode()
    except official.ParallelNonceError as exc:
        expected = str(exc)
    try:
        ours: Any = nonce.encode()
    except ParallelNonceError as exc:
        ours = str(exc)
    assert ours == expected


@given(st.integers(0, (1 << 256) - 1))
def test_unpacking_matches_the_official_sdk(packed: int) -> None:
    from o2_sdk import nonce as official

    try:
        expected: Any = official.ParallelNonce.decode(packed)
        expected = (expected.nonce_session_id, expected.timestamp, expected.word_position,
                    expected.bitmap_position)
    except official.ParallelNonceError as exc:
        expected = str(exc)
    try:
        mine = ParallelNonce.decode(packed)
        ours: Any = (mine.nonce_session_id, mine.timestamp, mine.word_position,
                     mine.bitmap_position)
    except ParallelNonceError as exc:
        ours = str(exc)
    assert ours == expected


# --- the issuer ------------------------------------------------------------------------


def test_issuer_transitions() -> None:
    issuer = ParallelNonceIssuer(nonce_session_id=1, ttl_secs=120)
    assert issuer.state is IssuerState.UNSEATED and issuer.generation == 0
    with pytest.raises(NonceStateError, match="not seated"):
        issuer.next_nonce(NOW)
    assert issuer.seat(window(3, {3: (1 << 126) - 1}, lane=1)) is True
    assert issuer.state is IssuerState.SEATED and issuer.generation == 1
    assert issuer.cursor == (3, 126)
    issued = [issuer.next(NOW + 0.9) for _ in range(4)]
    assert [n.slot for n in issued] == [(3, 126), (3, 127), (4, 0), (4, 1)]
    assert {(n.timestamp, n.nonce_session_id) for n in issued} == {(NOW + 120, 1)}
    assert issuer.next_nonce(NOW) == ParallelNonce(1, NOW + 120, 4, 2).encode()
    assert "lane=1" in repr(issuer) and "(4, 3)" in repr(issuer)


def test_seat_rules() -> None:
    issuer = ParallelNonceIssuer(nonce_session_id=2)
    with pytest.raises(ParallelNonceError,
                       match=r"^window response carried session id 0, expected 2$"):
        issuer.seat(window(0, {}, lane=0))
    assert issuer.generation == 0
    assert issuer.seat(window(0, {0: 1}, lane=2), seen_generation=0)
    seen = issuer.generation
    issuer.next_nonce(NOW)
    assert issuer.seat(window(0, {0: 3}, lane=2), seen_generation=seen) is True
    assert issuer.cursor == (0, 2)
    # A seat under a generation that has moved on is refused and changes nothing.
    assert issuer.seat(window(0, {}, lane=2), seen_generation=seen) is False
    assert issuer.cursor == (0, 2) and issuer.generation == seen + 1
    assert not issuer.is_current(seen) and issuer.is_current(seen + 1)
    # A full window raises and changes nothing.
    with pytest.raises(ParallelNonceWindowFull):
        issuer.seat(window(0, {7: FULL}, lane=2))
    assert issuer.cursor == (0, 2) and issuer.generation == seen + 1


def test_issuer_arguments() -> None:
    for lane in (-1, 5, True, "1"):
        with pytest.raises(ParallelNonceError):
            ParallelNonceIssuer(nonce_session_id=lane)  # type: ignore[arg-type]
    with pytest.raises(ParallelNonceError):
        ParallelNonceIssuer(ttl_secs=-1)
    # The last slot a u128 word position allows, then a refusal that moves nothing.
    issuer = ParallelNonceIssuer()
    issuer.seat(WindowResponse(0, U128, [WindowSlot(U128, (1 << 127) - 1)] * 8))
    assert issuer.cursor == (U128, 127)
    assert ParallelNonce.decode(issuer.next_nonce(0)).slot == (U128, 127)
    with pytest.raises(ParallelNonceError, match="word_position must fit in 128 bits"):
        issuer.next_nonce(0)
    assert issuer.cursor == (U128 + 1, 0)
    fresh = ParallelNonceIssuer(ttl_secs=0)
    fresh.seat(WindowResponse(0, 0))
    with pytest.raises(ParallelNonceError, match="timestamp must not be negative"):
        fresh.next(-5)
    assert fresh.cursor == (0, 0)


def test_a_seat_never_hands_out_a_slot_still_in_flight() -> None:
    issuer = ParallelNonceIssuer(ttl_secs=60)
    issuer.seat(window(0, {}))
    assert [issuer.reserve(0).slot for _ in range(3)] == [(0, 0), (0, 1), (0, 2)]
    # None has landed yet: the window is unchanged, the cursor goes back to (0, 0) ...
    assert issuer.seat(window(0, {}), now=1)
    assert issuer.cursor == (0, 0)
    # ... and the three in flight are skipped (the official SDK would reissue them)
    assert issuer.reserve(1).slot == (0, 3)
    # (0, 0) and (0, 1) landed: the seat forgets them and what lies before the cursor
    assert issuer.seat(window(0, {0: 0b11}), now=2)
    assert issuer.cursor == (0, 2) and issuer.is_issued(0, 2) and not issuer.is_issued(0, 0)
    assert issuer.reserve(2).slot == (0, 4)  # (0, 2) and (0, 3) may still land
    # Their nonces have expired by now (issued at 0 and 1 with 60 s to live): they cannot
    # land any more, so a seat forgets them and the slots are used again.
    assert issuer.seat(window(0, {0: 0b11}), now=200)
    assert issuer.issued_words == 0
    assert issuer.reserve(200).slot == (0, 2)


def test_burnt_slots_are_not_remembered_and_a_rewind_is_trusted() -> None:
    """``next`` burns as o2-sdk does (a seat may hand the slot out again); ``rewind``
    puts the cursor where the caller says, forgetting what it remembered from there."""
    issuer = ParallelNonceIssuer(ttl_secs=60)
    issuer.seat(window(0, {}))
    assert [issuer.next(0).slot for _ in range(2)] == [(0, 0), (0, 1)]
    assert issuer.reserve(0).slot == (0, 2)
    issuer.seat(window(0, {}))
    assert [issuer.next(0).slot for _ in range(3)] == [(0, 0), (0, 1), (0, 3)]
    issuer.rewind(0, 2)
    assert not issuer.is_issued(0, 2)
    assert issuer.next(0).slot == (0, 2)
    with pytest.raises(ParallelNonceError):
        issuer.rewind(2**128, 0)
    # o2-sdk's tests set the manager's cursor fields under its lock
    manager = ParallelNonceManager(window_fetcher=None, clock=lambda: 0)  # type: ignore[arg-type]
    manager.issuer.seat(window(0, {}))
    manager.reserve_nonce()
    with manager._lock:
        manager._word, manager._bit = (0, 0)
    assert manager.cursor == (0, 0) and ParallelNonce.decode(manager.next_nonce()).slot == (0, 0)


def test_reserved_slots_are_forgotten_as_they_expire() -> None:
    """Memory stays bounded by the nonce lifetime: ~rate x ttl slots, one int per word."""
    issuer = ParallelNonceIssuer(ttl_secs=10)
    issuer.seat(window(0, {}))
    for i in range(20_000):
        issuer.reserve(i / 100)  # 100 nonces a second, never resynced
    # 10 s of nonces are 1,000 slots: 8 words, plus the word being filled and one spare
    assert issuer.issued_words <= 10


class ChainLane:
    """The contract's view of one lane: a window base and 8 recycled slots."""

    def __init__(self) -> None:
        self.base = 0
        self.slot_word = list(range(8))  # slot i initially holds word i, empty
        self.slot_bits = [0] * 8
        self.written = [False] * 8

    def bitmap(self, word: int) -> int:
        i = word % 8
        return self.slot_bits[i] if self.slot_word[i] == word else 0

    def consume(self, word: int, bits: int) -> None:
        if not self.base <= word < self.base + 8:
            return  # out of the window: rejected
        i = word % 8
        if self.slot_word[i] != word:
            self.slot_word[i], self.slot_bits[i] = word, 0  # recycled
        self.slot_bits[i] |= bits
        self.written[i] = True

    def reply(self, lane: int, partial: bool) -> WindowResponse:
        slots = [WindowSlot(w, b) for w, b in zip(self.slot_word, self.slot_bits, strict=True)]
        if partial:  # a fresh account's indexer may omit never-written trailing slots
            while slots and not self.written[len(slots) - 1]:
                slots.pop()
        return WindowResponse(lane, self.base, slots)


class IssuerMachine(RuleBasedStateMachine):
    """Issues, landings, foreign consumption, window slides and (stale) resyncs, interleaved.

    Properties: the issuer's cursor follows the model exactly (it never moves backwards
    except by a seat); it skips a slot only when that slot was issued and may still be in
    flight; no slot is issued twice unless its earlier nonce had expired (so it could not
    land); never a slot the last seat's window showed consumed; a stale resync and a full
    window change nothing.
    """

    def __init__(self) -> None:
        super().__init__()
        self.lane = 3
        self.issuer = ParallelNonceIssuer(nonce_session_id=self.lane, ttl_secs=60)
        self.chain = ChainLane()
        self.cursor: tuple[int, int] | None = None
        self.generation = 0
        self.issued: dict[tuple[int, int], int] = {}  # slot -> generation of its last issue
        self.pending: list[tuple[int, int]] = []
        self.seat_consumed: set[tuple[int, int]] = set()  # consumed per the last seat's window
        # issued, not shown consumed by a seat, not before a seated cursor: slot -> expiry
        self.remembered: dict[tuple[int, int], int] = {}

    @rule(now=st.integers(0, 2**32), reserve=st.booleans())
    def issue(self, now: int, reserve: bool) -> None:
        if self.cursor is None:
            with pytest.raises(NonceStateError):
                self.issuer.reserve(now) if reserve else self.issuer.next(now)
            return
        nonce = self.issuer.reserve(now) if reserve else self.issuer.next(now)
        assert nonce.slot >= self.cursor
        slot = self.cursor
        while slot != nonce.slot:  # every skipped slot may still be in flight
            assert slot in self.remembered, f"skipped {slot}, which was never issued"
            slot = (slot[0], slot[1] + 1) if slot[1] < 127 else (slot[0] + 1, 0)
            event("skipped a slot still in flight")
        assert (nonce.timestamp, nonce.nonce_session_id) == (now + 60, self.lane)
        if nonce.slot in self.remembered:
            assert self.remembered[nonce.slot] < now, "a slot in flight issued again"
            event("a slot issued again after its nonce expired")
        elif nonce.slot in self.issued:
            event("a slot issued again after a seat showed it settled")
        assert nonce.slot not in self.seat_consumed, "issued a slot the window showed consumed"
        self.issued[nonce.slot] = self.generation
        if reserve:
            self.remembered[nonce.slot] = nonce.timestamp
        else:
            self.remembered.pop(nonce.slot, None)
        self.pending.append(nonce.slot)
        word, bit = nonce.slot
        self.cursor = (word, bit + 1) if bit < 127 else (word + 1, 0)

    @rule(data=st.data(), lands=st.booleans())
    def settle_one(self, data: Any, lands: bool) -> None:
        if not self.pending:
            return
        word, bit = self.pending.pop(data.draw(st.integers(0, len(self.pending) - 1)))
        if lands:  # else it was rejected or lost
            self.chain.consume(word, 1 << bit)

    @rule(offset=st.integers(0, 7), bits=st.one_of(st.integers(1, FULL), st.just(FULL)))
    def foreign_consumption(self, offset: int, bits: int) -> None:
        self.chain.consume(self.chain.base + offset, bits)

    @rule(k=st.integers(1, 3))
    def slide(self, k: int) -> None:
        self.chain.base += k

    @rule(stale=st.booleans(), partial=st.booleans())
    def resync(self, stale: bool, partial: bool) -> None:
        reply = self.chain.reply(self.lane, partial)
        seen = self.generation - 1 if stale and self.generation else self.generation
        try:
            expected = reference_first_free(reply)
        except ParallelNonceWindowFull:
            expected = None
        if seen != self.generation:
            assert self.issuer.seat(reply, seen) is False
            event("a stale seat refused")
            return
        if expected is None:
            event("a full window")
            with pytest.raises(ParallelNonceWindowFull):
                self.issuer.seat(reply, seen)
            return
        assert self.issuer.seat(reply, seen) is True
        self.cursor, self.generation = expected, self.generation + 1
        self.seat_consumed = {
            (w, b) for w in range(reply.base, reply.base + 8) for b in range(128)
            if reply.effective_bitmap(w) >> b & 1
        }
        self.remembered = {
            slot: expiry for slot, expiry in self.remembered.items()
            if slot >= expected and not reply.effective_bitmap(slot[0]) >> slot[1] & 1
        }

    @rule(back=st.integers(0, 300))
    def rewind(self, back: int) -> None:
        if self.cursor is None:
            return
        word, bit = self.cursor
        position = max(0, word * 128 + bit - back)
        self.issuer.rewind(position // 128, position % 128)
        self.cursor = (position // 128, position % 128)
        self.remembered = {s: e for s, e in self.remembered.items() if s < self.cursor}
        self.seat_consumed = set()  # the caller is trusted: it may rewind onto used slots

    @rule()
    def seat_for_another_lane(self) -> None:
        with pytest.raises(ParallelNonceError, match="carried session id"):
            self.issuer.seat(self.chain.reply(self.lane + 1, False))

    @invariant()
    def follows_the_model(self) -> None:
        assert self.issuer.generation == self.generation
        if self.cursor is not None:
            assert self.issuer.cursor == self.cursor
            assert self.issuer.state is IssuerState.SEATED


TestIssuerMachine = IssuerMachine.TestCase
TestIssuerMachine.settings = settings(max_examples=150, stateful_step_count=50, deadline=None)


# --- the manager -------------------------------------------------------------------------


def vector_window(lane: int = 1) -> WindowResponse:
    """The window of the nonce_manager_sequence vector: bits 0..125 of word 3 used."""
    return window(3, {3: (1 << 126) - 1}, lane=lane)


def test_manager_sequence() -> None:
    async def fetch() -> WindowResponse:
        return vector_window()

    manager = ParallelNonceManager(window_fetcher=fetch, nonce_session_id=1, clock=lambda: NOW)
    assert manager.nonce_session_id == 1 and manager.resync_generation == 0
    with pytest.raises(NonceStateError):
        manager.next_nonce()
    asyncio.run(manager.init())
    assert manager.cursor == (3, 126) and manager.resync_generation == 1
    packed = [manager.next_nonce() for _ in range(4)]
    assert [ParallelNonce.decode(p).slot for p in packed] == [(3, 126), (3, 127), (4, 0), (4, 1)]
    assert {ParallelNonce.decode(p).timestamp for p in packed} == {NOW + 120}
    assert manager.issuer.generation == 1 and "ParallelNonceManager(" in repr(manager)


def test_manager_validates_the_lane_before_fetching() -> None:
    async def fetch() -> WindowResponse:
        raise AssertionError("must not fetch")

    for lane in (-1, 5):
        with pytest.raises(ParallelNonceError) as info:
            ParallelNonceManager(window_fetcher=fetch, nonce_session_id=lane, clock=lambda: NOW)
        assert isinstance(info.value, ValueError)


def test_resync_generations_like_the_official_sdk() -> None:
    fetches: list[int] = []

    async def fetch() -> WindowResponse:
        fetches.append(1)
        return window(0, {0: 0b111})

    async def scenario() -> None:
        manager = ParallelNonceManager(window_fetcher=fetch, clock=lambda: NOW)
        await manager.init()
        assert manager.cursor == (0, 3) and manager.resync_generation == 1
        gen_a = gen_b = manager.resync_generation  # two submissions read it, both fail
        assert await manager.resync_from_chain(gen_a) is True
        a = ParallelNonce.decode(manager.next_nonce())
        assert await manager.resync_from_chain(gen_b) is False  # coalesced: no fetch
        b = ParallelNonce.decode(manager.next_nonce())
        assert a.slot != b.slot
        assert len(fetches) == 2 and manager.resync_generation == 2
        manager.next_nonce()
        assert await manager.resync_from_chain() is True  # None: an explicit resync reseats
        assert manager.cursor == (0, 3) and manager.resync_generation == 3

    asyncio.run(scenario())


def test_concurrent_resyncs_seat_once() -> None:
    """Two resyncs under one generation, both fetching: the first reply seats, the
    slower one is discarded, so the retry nonces never share a slot."""

    async def scenario() -> None:
        gates = {2: asyncio.Event(), 3: asyncio.Event()}
        calls: list[int] = []

        async def fetch() -> WindowResponse:
            calls.append(len(calls) + 1)
            number = calls[-1]
            if number in gates:
                await gates[number].wait()
            if number == 3:  # B's reply: older than A's (only bit 2 consumed)
                return window(0, {0: 0b100})
            return window(0, {0: 0b11111})

        manager = ParallelNonceManager(window_fetcher=fetch, clock=lambda: NOW)
        await manager.init()
        seen = manager.resync_generation
        a = asyncio.create_task(manager.resync_from_chain(seen))
        b = asyncio.create_task(manager.resync_from_chain(seen))
        while len(calls) < 3:  # both fetches in flight
            await asyncio.sleep(0)
        gates[2].set()
        assert await a is True
        retry_a = ParallelNonce.decode(manager.next_nonce()).slot
        gates[3].set()
        assert await b is False  # fetched, then found the generation moved: discarded
        retry_b = ParallelNonce.decode(manager.next_nonce()).slot
        assert retry_a == (0, 5) and retry_b == (0, 6)
        assert manager.resync_generation == seen + 1 and calls == [1, 2, 3]

    asyncio.run(scenario())


def test_the_manager_runs_under_trio() -> None:
    async def fetch() -> WindowResponse:
        await trio.sleep(0)
        return vector_window(lane=4)

    async def scenario() -> list[tuple[int, int]]:
        manager = ParallelNonceManager(window_fetcher=fetch, nonce_session_id=4,
                                       clock=lambda: NOW)
        await manager.init()
        results: list[bool] = []

        async def resync(seen: int) -> None:
            results.append(await manager.resync_from_chain(seen))

        seen = manager.resync_generation
        async with trio.open_nursery() as nursery:
            for _ in range(5):
                nursery.start_soon(resync, seen)
        assert sorted(results) == [False] * 4 + [True]
        return [ParallelNonce.decode(manager.next_nonce()).slot for _ in range(2)]

    assert trio.run(scenario) == [(3, 126), (3, 127)]


def test_threads_never_share_a_slot() -> None:
    async def fetch() -> WindowResponse:
        return WindowResponse(0, 0)

    manager = ParallelNonceManager(window_fetcher=fetch, clock=lambda: NOW)
    asyncio.run(manager.init())
    seen: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [manager.next_nonce() for _ in range(400)]
        with lock:
            seen.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1600
    assert manager.cursor == (1600 // 128, 1600 % 128)


def test_a_window_for_another_lane_is_an_error() -> None:
    async def fetch() -> WindowResponse:
        return vector_window(lane=0)

    manager = ParallelNonceManager(window_fetcher=fetch, nonce_session_id=2, clock=lambda: NOW)
    with pytest.raises(ParallelNonceError, match="carried session id 0, expected 2"):
        asyncio.run(manager.init())
    assert manager.resync_generation == 0


# --- classification ----------------------------------------------------------------------

API_REASONS = {
    "reserved bits set": (False, False),
    "bitmap position out of range": (False, False),
    "nonce session id out of range": (False, False),
    "nonce expired": (True, False),
    "word position out of sliding window": (True, False),
    "nonce already used": (False, True),
}


@pytest.mark.parametrize(("reason", "expected"), sorted(API_REASONS.items()))
def test_api_nonce_rejections(reason: str, expected: tuple[bool, bool]) -> None:
    from o2_core.errors import InvalidRequest

    err = InvalidRequest(f"Parallel nonce is not usable: {reason}", code=1001)
    assert (is_parallel_nonce_out_of_window(err), is_parallel_nonce_already_used(err)) == expected
    assert is_nonce_rejection(err)
    assert not is_session_error(err) and not is_nonce_too_low(err)


def test_the_prefix_alone_decides_nothing() -> None:
    bare = "Parallel nonce is not usable"
    assert is_nonce_rejection(bare)
    assert not is_parallel_nonce_out_of_window(bare)
    assert not is_parallel_nonce_already_used(bare)


def test_sequential_and_session_errors() -> None:
    too_low = "Nonce in the request(5) is less than the nonce in the database(7)."
    assert is_nonce_too_low(too_low) and is_nonce_rejection(too_low)
    assert not is_session_error(too_low)
    for text in ("Invalid session address for account", "Expired session"):
        assert is_session_error(text)
        assert not is_nonce_rejection(text) and not is_parallel_nonce_out_of_window(text)
    assert not any(f(None) for f in (is_session_error, is_nonce_rejection, is_nonce_too_low))
    assert not is_nonce_rejection(RuntimeError("connection reset"))


def test_every_field_of_an_error_is_searched() -> None:
    from o2_core.errors import InternalError, OnChainRevert

    in_raw = InternalError("Failed to process transaction", code=1000, reason="summary",
                           raw_reason="word position out of sliding window")
    assert is_parallel_nonce_out_of_window(in_raw)
    in_receipts = O2Error("m", receipts=[{"note": "nonce already used"}])
    assert is_parallel_nonce_already_used(in_receipts)
    onchain = InternalError("transaction reverted", code=1000,
                            reason='LogResult { results: [Ok("AlreadyUsed")] }')
    assert is_parallel_nonce_already_used(onchain) and is_nonce_rejection(onchain)
    assert not is_parallel_nonce_out_of_window(onchain)
    # The contract's own WordPosOutOfWindow / Expired are not "refused at validation".
    for variant in ("WordPosOutOfWindow", "Expired"):
        err = OnChainRevert("m", reason=f'LogResult {{ results: [Ok("{variant}")] }}')
        assert is_nonce_rejection(err) and not is_parallel_nonce_out_of_window(err)
    other = OnChainRevert("m", reason='LogResult { results: [Ok("OrderPartiallyFilled")] }')
    assert not is_nonce_rejection(other) and not is_parallel_nonce_already_used(other)


CORPUS = st.lists(
    st.sampled_from([
        "Parallel nonce is not usable: ", "nonce expired", "word position out of sliding window",
        "nonce already used", "Nonce in the request(5)", "Invalid session address",
        "Expired session", 'Ok("AlreadyUsed")', 'Ok(\\"Expired\\")', 'Ok("FractionalPrice")',
        "LogResult { results: [", "] }", " ", "x",
    ]),
    max_size=8,
).map("".join)


@given(CORPUS)
def test_string_classification_matches_the_official_sdk(text: str) -> None:
    from o2_sdk import nonce as official

    for name in ("is_nonce_rejection", "is_parallel_nonce_out_of_window",
                 "is_parallel_nonce_already_used", "is_nonce_too_low", "is_session_error"):
        assert getattr(our_nonce, name)(text) == getattr(official, name)(text), name


def test_every_official_public_name_is_importable() -> None:
    import o2_sdk.nonce as official

    wanted = set()
    for name, value in vars(official).items():
        if name.startswith("_") or name == "annotations" or isinstance(value, ModuleType):
            continue
        module = getattr(value, "__module__", None)
        if module is None or module in ("o2_sdk.nonce", "o2_sdk.onchain_revert"):
            wanted.add(name)
    assert hasattr(official, "WindowFetcher")
    wanted.add("WindowFetcher")  # a type alias: its __module__ is typing's
    assert wanted >= {"ParallelNonceManager", "WindowFetcher", "DEFAULT_NONCE_TTL_SECS"}
    assert wanted <= set(our_nonce.__all__), wanted - set(our_nonce.__all__)
    for name in our_nonce.__all__:
        assert getattr(our_nonce, name) is not None
