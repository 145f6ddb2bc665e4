"""The trade account's parallel nonce track as the simulator enforces it (PROTOCOL_V05 §1).

Per account and lane (``nonce_session_id`` 0..4) a sliding window of
``NONCE_SESSION_SLIDING_WINDOW_SIZE`` (8) words of ``NONCE_BITMAP_SIZE`` (128) bits: the
words ``base .. base + 7`` are usable, their bitmaps live in 8 slots indexed by
``word % 8`` (a slot keeps an older word's bitmap until a newer word of the same index
is first used, exactly the "stale slot" of the window reply).

A submitted nonce is checked in the order the API reports it (§1.9), and rejected with
``"Parallel nonce is not usable: <reason>"`` (code 1001):

1. ``reserved bits set``: any of bits 176..255 (or a value that is not a u256);
2. ``bitmap position out of range``: bits 0..7 hold 128 or more;
3. ``nonce session id out of range``: bits 168..175 hold more than 4;
4. ``nonce expired``: its timestamp (a unix expiry, seconds) is before the current second;
5. ``word position out of sliding window``: the word is not in ``[base, base + 8)``;
6. ``nonce already used``: the word's bit is set.

Using a slot sets its bit and then **slides** the window: once a nonce lands in the upper
half of the window (``word >= base + 4``) the base advances by 4 words. That is the rule
of the official SDK repository's design notes (o2-exchange/sdks ``PARALLEL_NONCES_PLAN.md``:
"``use_parallel_nonce`` validates: not expired, word in ``[base, base+8)``, bit not already
consumed; advances ``base`` by 4 once a nonce passes the window midpoint"); the contract's
source itself (``parallel_nonce.sw``) is not public. It agrees with the client's
``first_free_position`` (§1.4: the issuer seats after the highest consumed bit, at most at
the top word, so a resync always seats inside the window) and with the heal loop of §1.8
(a cursor that ran past ``base + 7`` is refused as out of window, nothing executes, and
the resync seats it back in). Any free bit of the window may be used in any order: the
window is a bitmap, not a counter.

Pure: no clock (``now`` is an argument), no I/O. The engine consumes a slot inside its
transaction (with undo) and keeps it consumed when the batch reverts, as the sequential
nonce is.
"""

from __future__ import annotations

from typing import NamedTuple

from ..parallel_nonce import (
    MAX_NONCE_SESSION_ID,
    NONCE_BITMAP_SIZE,
    NONCE_SESSION_SLIDING_WINDOW_SIZE,
)
from .errors import SimError

#: The prefix of every parallel-nonce rejection (PROTOCOL_V05 §1.9).
REJECTION = "Parallel nonce is not usable"
RESERVED_BITS_SET = "reserved bits set"
BITMAP_POSITION_OUT_OF_RANGE = "bitmap position out of range"
SESSION_ID_OUT_OF_RANGE = "nonce session id out of range"
NONCE_EXPIRED = "nonce expired"
OUT_OF_WINDOW = "word position out of sliding window"
ALREADY_USED = "nonce already used"
#: The six reasons, in the order they are checked.
REASONS = (
    RESERVED_BITS_SET,
    BITMAP_POSITION_OUT_OF_RANGE,
    SESSION_ID_OUT_OF_RANGE,
    NONCE_EXPIRED,
    OUT_OF_WINDOW,
    ALREADY_USED,
)

WINDOW_WORDS = NONCE_SESSION_SLIDING_WINDOW_SIZE
#: How far the base moves when a nonce lands in the upper half of the window.
SLIDE_WORDS = WINDOW_WORDS // 2
LANES = MAX_NONCE_SESSION_ID + 1

_RESERVED_SHIFT = 176
_SESSION_ID_SHIFT = 168
_TIMESTAMP_SHIFT = 136
_WORD_SHIFT = 8
_U32 = (1 << 32) - 1
_U128 = (1 << 128) - 1
#: The longest decimal text of a value below 2^176 (a longer one, leading zeros aside,
#: has reserved bits set whatever its digits).
_MAX_DIGITS = len(str(1 << _RESERVED_SHIFT))


def rejected(reason: str) -> SimError:
    """The API's rejection of a parallel nonce: 1001 ``"Parallel nonce is not usable: ..."``."""
    return SimError(1001, f"{REJECTION}: {reason}")


class ParallelSlot(NamedTuple):
    """The fields of a packed parallel nonce: its lane, expiry and ``(word, bit)`` slot."""

    lane: int
    expiry: int
    word: int
    bit: int
    packed: int


def parse_wire(value: str | int) -> int:
    """The packed value of a wire ``parallel_nonce`` (a decimal string, or a JSON integer).

    A value with reserved bits set (or negative, or beyond u256) is refused here with the
    API's text, before it is ever converted from a long string.
    """
    if isinstance(value, bool):
        raise SimError(1001, "parallel_nonce must be a decimal integer")
    if isinstance(value, int):
        if value < 0:
            raise rejected(RESERVED_BITS_SET)
        return value
    text = value.strip()
    if not text or not text.isascii() or not text.isdigit():
        raise SimError(1001, "parallel_nonce must be a decimal integer string")
    digits = text.lstrip("0") or "0"
    if len(digits) > _MAX_DIGITS:
        raise rejected(RESERVED_BITS_SET)
    return int(digits)


def unpack(packed: int) -> ParallelSlot:
    """The fields of ``packed``; refuses what no packing produces (checks 1 to 3)."""
    if packed < 0 or packed >> _RESERVED_SHIFT:
        raise rejected(RESERVED_BITS_SET)
    bit = packed & 0xFF
    if bit >= NONCE_BITMAP_SIZE:
        raise rejected(BITMAP_POSITION_OUT_OF_RANGE)
    lane = (packed >> _SESSION_ID_SHIFT) & 0xFF
    if lane > MAX_NONCE_SESSION_ID:
        raise rejected(SESSION_ID_OUT_OF_RANGE)
    expiry = (packed >> _TIMESTAMP_SHIFT) & _U32
    word = (packed >> _WORD_SHIFT) & _U128
    return ParallelSlot(lane, expiry, word, bit, packed)


class LaneWindow:
    """One lane's sliding window: ``base`` and 8 slots of ``(word, bitmap)``.

    ``shown`` is how many slots the window reply lists: 1 + the highest slot index ever
    written (a fresh lane lists none; unwritten slots below it show their initial word
    with an empty bitmap).
    """

    __slots__ = ("base", "shown", "slots")

    def __init__(self) -> None:
        self.base = 0
        self.slots: list[tuple[int, int]] = [(index, 0) for index in range(WINDOW_WORDS)]
        self.shown = 0

    def bitmap(self, word: int) -> int:
        """The consumed bits of ``word`` (0 when its slot holds another word).

        Args:
            word: a word position.

        Returns:
            The bitmap.
        """
        slot_word, bits = self.slots[word % WINDOW_WORDS]
        return bits if slot_word == word else 0

    def is_used(self, word: int, bit: int) -> bool:
        """Whether ``(word, bit)`` is consumed and still tracked by its slot.

        Args:
            word: a word position.
            bit: a bit of it, 0..127.

        Returns:
            True when consumed.
        """
        return bool(self.bitmap(word) >> bit & 1)

    def in_window(self, word: int) -> bool:
        """Whether ``word`` is one of ``base .. base + 7``.

        Args:
            word: a word position.

        Returns:
            True when inside the window.
        """
        return self.base <= word < self.base + WINDOW_WORDS

    def check(self, slot: ParallelSlot, now: float) -> None:
        """Refuse an unusable slot (checks 4 to 6).

        Args:
            slot: the unpacked parallel nonce.
            now: unix time in seconds.

        Raises:
            SimError: 1001 "Parallel nonce is not usable": expired, out of the window, or
                already used.
        """
        if slot.expiry < int(now):
            raise rejected(NONCE_EXPIRED)
        if not self.in_window(slot.word):
            raise rejected(OUT_OF_WINDOW)
        if self.is_used(slot.word, slot.bit):
            raise rejected(ALREADY_USED)

    def use(self, word: int, bit: int) -> None:
        """Consume ``(word, bit)`` (checked usable) and slide the window past the midpoint.

        Args:
            word: a word position.
            bit: a bit of it.
        """
        index = word % WINDOW_WORDS
        slot_word, bits = self.slots[index]
        if slot_word != word:
            bits = 0  # the slot held an older word: it is recycled for this one
        self.slots[index] = (word, bits | 1 << bit)
        self.shown = max(self.shown, index + 1)
        if word >= self.base + SLIDE_WORDS:
            self.base += SLIDE_WORDS

    def state(self) -> tuple[int, int, tuple[tuple[int, int], ...]]:
        """Everything the window holds, to restore it (an undo) or compare it (a snapshot).

        Returns:
            ``(base, shown, slots)``.
        """
        return (self.base, self.shown, tuple(self.slots))

    def restore(self, state: tuple[int, int, tuple[tuple[int, int], ...]]) -> None:
        """Put back a :meth:`state`.

        Args:
            state: what :meth:`state` returned.
        """
        self.base, self.shown, slots = state
        self.slots = list(slots)

    def shown_slots(self) -> list[tuple[int, int]]:
        """The slots the window reply lists, indexed by ``word % 8``.

        Returns:
            ``(word, bitmap)`` pairs.
        """
        return self.slots[: self.shown]
