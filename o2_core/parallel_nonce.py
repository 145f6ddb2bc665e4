"""Parallel nonces (PROTOCOL_V05.md §1): the packed U256, the window reply, the local issuer.

An account has two nonce tracks. The sequential one is :class:`o2_core.nonce.NonceTracker`.
The parallel one is a sliding window of ``NONCE_SESSION_SLIDING_WINDOW_SIZE`` (8) words of
``NONCE_BITMAP_SIZE`` (128) bits in each of ``MAX_NONCE_SESSION_ID + 1`` (5) lanes: any free
bit is a valid nonce, so many submissions can be in flight at once.

Everything here is pure: the window is fetched by the caller (``GET /v1/accounts/window``,
:func:`o2_core.http.get_accounts_window`) and the time is passed in (an injected clock).
The issuer is an explicit state machine::

    UNSEATED --seat(window)--> SEATED --next_nonce(now)--> SEATED (cursor + 1)
                               SEATED --seat(window, seen_generation)--> SEATED (re-seated)

Every seat increments ``generation``. A seat that carries the generation its fetch began
under is refused (a no-op) once another seat has happened since: that is the single-flight
rule of §1.5, expressed without a lock. :class:`o2_core.parallel_manager.ParallelNonceManager`
is the official SDK's async wrapper around it (it only awaits the injected fetcher).

Which rejections are nonce problems, and whether a retry is safe, is
:mod:`o2_core.nonce_rejections`; its names are re-exported here, where they used to live.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .errors import InvalidInput, NonceStateError, ProtocolError
from .nonce_rejections import (  # re-exported (see the module docstring)
    NONCE_TOO_LOW_MARKER,
    PARALLEL_NONCE_ALREADY_USED_REASON,
    PARALLEL_NONCE_REJECTION_PREFIX,
    PARALLEL_NONCE_RETRYABLE_REASONS,
    SESSION_ERROR_MARKERS,
    is_nonce_rejection,
    is_nonce_too_low,
    is_parallel_nonce_already_used,
    is_parallel_nonce_out_of_window,
    is_session_error,
)

# --- constants (they must match the trade-account contract) ----------------------------

#: Words in the sliding window of one lane.
NONCE_SESSION_SLIDING_WINDOW_SIZE = 8
#: Bits in one window word.
NONCE_BITMAP_SIZE = 128
#: The highest lane (``nonce_session_id``) the contract accepts.
MAX_NONCE_SESSION_ID = 4
#: Default lifetime of an issued nonce, in seconds (its packed timestamp is now + TTL).
DEFAULT_NONCE_TTL_SECS = 120

_WORD_POSITION_SHIFT = 8
_TIMESTAMP_SHIFT = 136
_SESSION_ID_SHIFT = 168
_RESERVED_SHIFT = 176
_U8_MASK = 0xFF
_U32_MASK = 0xFFFF_FFFF
_U128_MASK = (1 << 128) - 1
_FULL_WORD = (1 << NONCE_BITMAP_SIZE) - 1


# --- errors -----------------------------------------------------------------------------


class ParallelNonceError(InvalidInput):
    """A parallel nonce, or a window to seat from, that cannot be used.

    Raised by the pure core before anything is signed or sent (hence an
    :class:`~o2_core.errors.InvalidInput`, and so also a ``ValueError``): a field out of
    range when packing, a value no packing could produce, a window reply for another lane.
    """


class ParallelNonceWindowFull(ParallelNonceError):
    """The top word of the lane's window is fully consumed: no nonce can be seated.

    Wait for the on-chain window to slide, then resync.
    """


def _int(value: Any, what: str) -> int:
    if type(value) is not int:  # no bool, no float, no str: an int field must be an int
        raise ParallelNonceError(f"{what} must be an integer, got {type(value).__name__}")
    return value


# --- the packed nonce ---------------------------------------------------------------------


@dataclass(frozen=True)
class ParallelNonce:
    """A parallel nonce's fields; :meth:`encode` packs them into the U256 the contract reads.

    Layout (bit ranges, LSB = 0): ``bitmap_position[0:8]``, ``word_position[8:136]``,
    ``timestamp[136:168]`` (the unix expiry, masked to u32), ``nonce_session_id[168:176]``,
    reserved ``[176:256)`` (zero). On the wire the packed value is a decimal string
    (``"parallel_nonce"``); inside signing bytes and typed data it is ``u256be``.
    """

    nonce_session_id: int
    timestamp: int
    word_position: int
    bitmap_position: int

    def encode(self) -> int:
        """The packed U256.

        Returns:
            The fields packed as the contract reads them.

        Raises:
            ParallelNonceError: a field out of range (``timestamp`` is masked to u32, only
                a negative one is refused), so that a field never bleeds into its neighbour.
        """
        bit = _int(self.bitmap_position, "bitmap_position")
        lane = _int(self.nonce_session_id, "nonce_session_id")
        word = _int(self.word_position, "word_position")
        timestamp = _int(self.timestamp, "timestamp")
        if not 0 <= bit < NONCE_BITMAP_SIZE:
            raise ParallelNonceError(
                f"bitmap_position must be in [0, {NONCE_BITMAP_SIZE}), got {bit}"
            )
        if not 0 <= lane <= MAX_NONCE_SESSION_ID:
            raise ParallelNonceError(
                f"nonce_session_id must be in [0, {MAX_NONCE_SESSION_ID}], got {lane}"
            )
        if not 0 <= word <= _U128_MASK:
            raise ParallelNonceError(f"word_position must fit in 128 bits, got {word}")
        if timestamp < 0:
            raise ParallelNonceError(f"timestamp must not be negative, got {timestamp}")
        return (
            bit
            | (word << _WORD_POSITION_SHIFT)
            | ((timestamp & _U32_MASK) << _TIMESTAMP_SHIFT)
            | (lane << _SESSION_ID_SHIFT)
        )

    def to_bytes(self) -> bytes:
        """The packed value as 32 big-endian bytes (its form inside signed payloads).

        Returns:
            32 bytes.

        Raises:
            ParallelNonceError: a field out of range.
        """
        return self.encode().to_bytes(32, "big")

    @property
    def slot(self) -> tuple[int, int]:
        """``(word_position, bitmap_position)``: which bit of the lane's window it consumes."""
        return (self.word_position, self.bitmap_position)

    @staticmethod
    def decode(nonce: int) -> ParallelNonce:
        """The fields of a packed nonce; refuses any value :meth:`encode` cannot produce.

        Args:
            nonce: the packed U256.

        Returns:
            The nonce's fields.

        Raises:
            ParallelNonceError: not an int, reserved bits set (also any negative or
                > 256-bit value), a bitmap position >= 128, or a lane > 4.
        """
        nonce = _int(nonce, "a packed parallel nonce")
        if nonce >> _RESERVED_SHIFT != 0:
            raise ParallelNonceError("reserved bits must be zero")
        bit = nonce & _U8_MASK
        if bit >= NONCE_BITMAP_SIZE:
            raise ParallelNonceError(f"bitmap_position {bit} >= {NONCE_BITMAP_SIZE}")
        lane = (nonce >> _SESSION_ID_SHIFT) & _U8_MASK
        if lane > MAX_NONCE_SESSION_ID:
            raise ParallelNonceError(f"nonce_session_id {lane} > {MAX_NONCE_SESSION_ID}")
        return ParallelNonce(
            nonce_session_id=lane,
            timestamp=(nonce >> _TIMESTAMP_SHIFT) & _U32_MASK,
            word_position=(nonce >> _WORD_POSITION_SHIFT) & _U128_MASK,
            bitmap_position=bit,
        )

    @staticmethod
    def parse(value: str | int) -> ParallelNonce:
        """:meth:`decode` of the wire form (a decimal string) or of the packed integer.

        Args:
            value: a decimal string or the packed integer.

        Returns:
            The nonce's fields.

        Raises:
            ParallelNonceError: not a decimal string, or not a value :meth:`encode` makes.
        """
        if isinstance(value, str):
            text = value.strip()
            if not text.isascii() or not text.isdigit():
                raise ParallelNonceError(f"a parallel nonce is a decimal string, got {value!r}")
            value = int(text)
        return ParallelNonce.decode(value)


def check_lane(nonce_session_id: Any) -> int:
    """``nonce_session_id`` checked to be a lane 0..4 (validate before anything is sent).

    Args:
        nonce_session_id: the lane.

    Returns:
        The lane.

    Raises:
        ParallelNonceError: not an int in 0..4.
    """
    lane = _int(nonce_session_id, "nonce_session_id")
    if not 0 <= lane <= MAX_NONCE_SESSION_ID:
        raise ParallelNonceError(
            f"nonce_session_id must be in [0, {MAX_NONCE_SESSION_ID}], got {lane}"
        )
    return lane


# --- the window reply (GET /v1/accounts/window) ------------------------------------------


@dataclass(frozen=True)
class WindowSlot:
    """One slot of the window: the word it currently holds and that word's consumed bits."""

    word_position: int
    bitmap: int

    def __post_init__(self) -> None:
        if _int(self.word_position, "word_position") < 0:
            raise ParallelNonceError(
                f"word_position must not be negative, got {self.word_position}"
            )
        if not 0 <= _int(self.bitmap, "bitmap") <= _FULL_WORD:
            raise ParallelNonceError(f"a window bitmap is 128 bits, got {self.bitmap}")


@dataclass(frozen=True)
class WindowResponse:
    """The indexed view of one lane's sliding window: its ``base`` word and the slots.

    ``slots`` is indexed by ``word % 8``; a slot may still hold an older word (recycled by
    a slide), and a fresh account may have fewer than 8 slots, or none.
    """

    nonce_session_id: int
    base: int
    slots: Sequence[WindowSlot] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        _int(self.nonce_session_id, "nonce_session_id")
        if _int(self.base, "base") < 0:
            raise ParallelNonceError(f"the window base must not be negative, got {self.base}")
        slots = tuple(self.slots)
        if not all(isinstance(s, WindowSlot) for s in slots):
            raise ParallelNonceError("window slots must be WindowSlot values")
        object.__setattr__(self, "slots", slots)

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> WindowResponse:
        """Parse the reply's JSON object; values are decimal strings or JSON integers.

        Args:
            data: the decoded JSON object.

        Returns:
            The window.

        Raises:
            ProtocolError: a missing key, a value that is not a non-negative integer, a
                bitmap wider than 128 bits.
        """
        try:
            slots = data.get("slots") or []
            if not isinstance(slots, list):
                raise ProtocolError("window slots must be a list")
            return WindowResponse(
                nonce_session_id=_wire_int(data["nonce_session_id"], "nonce_session_id"),
                base=_wire_int(data["base"], "base"),
                slots=tuple(
                    WindowSlot(
                        word_position=_wire_int(s["word_position"], "word_position"),
                        bitmap=_wire_int(s["bitmap"], "bitmap"),
                    )
                    for s in slots
                ),
            )
        except ProtocolError:
            raise
        except (KeyError, TypeError, AttributeError, ParallelNonceError) as exc:
            raise ProtocolError(f"malformed window reply: {exc!r}") from exc

    def effective_bitmap(self, word: int) -> int:
        """The consumed bits of ``word`` as this window shows them.

        Args:
            word: a word position.

        Returns:
            Its bitmap; 0 when its slot is absent or holds another word.
        """
        if not self.slots:
            return 0
        index = word % NONCE_SESSION_SLIDING_WINDOW_SIZE
        if index >= len(self.slots):
            return 0
        slot = self.slots[index]
        return slot.bitmap if slot.word_position == word else 0

    def first_free_position(self) -> tuple[int, int]:
        """The ``(word, bit)`` strictly after the highest consumed position of the window.

        Not the first hole: a hole may belong to an earlier run of this lane whose later
        positions already landed, so starting inside it could mint used nonces.

        Returns:
            Where to seat a cursor; ``(base, 0)`` for an empty window.

        Raises:
            ParallelNonceWindowFull: the top word (``base + 7``) is fully consumed.
        """
        top = self.base + NONCE_SESSION_SLIDING_WINDOW_SIZE - 1
        for word in range(top, self.base - 1, -1):
            bitmap = self.effective_bitmap(word)
            if bitmap == 0:
                continue
            highest = bitmap.bit_length() - 1
            if highest + 1 < NONCE_BITMAP_SIZE:
                return (word, highest + 1)
            if word < top:
                return (word + 1, 0)
            raise ParallelNonceWindowFull(
                "top window word fully consumed; wait for the on-chain window to slide "
                "before launching"
            )
        return (self.base, 0)


def _wire_int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise ProtocolError(f"window {what} must be an integer, got {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.strip().isdigit():
        number = int(value)
    else:
        raise ProtocolError(f"window {what} must be a decimal integer, got {value!r}")
    if number < 0:
        raise ProtocolError(f"window {what} must not be negative, got {number}")
    return number


# --- the issuer: a pure state machine ------------------------------------------------------


class IssuerState(Enum):
    """Where a :class:`ParallelNonceIssuer` is."""

    UNSEATED = "unseated"
    SEATED = "seated"


class ParallelNonceIssuer:
    """The local issuer of one ``(trade account, lane)``: a cursor over the lane's slots.

    Pure: no I/O, no clock (``now`` is an argument), no locks. :meth:`next` hands out the
    cursor's slot and advances it by one bit (rolling into the next word); :meth:`reserve`
    does the same and remembers the slot as in flight, so that no later seat hands it out
    again. The cursor never moves backwards except by :meth:`seat` (and :meth:`rewind`),
    and is not bounded by the window top (running past it earns an "out of window"
    rejection, healed by a resync).

    Args:
        nonce_session_id: the lane, 0..4.
        ttl_secs: seconds each issued nonce stays valid (not negative).

    Raises:
        ParallelNonceError: a lane outside 0..4 or a negative TTL.
    """

    __slots__ = ("_bit", "_generation", "_issued", "_lane", "_ttl", "_word")

    def __init__(self, nonce_session_id: int = 0, ttl_secs: int = DEFAULT_NONCE_TTL_SECS) -> None:
        self._lane = check_lane(nonce_session_id)
        if _int(ttl_secs, "ttl_secs") < 0:
            raise ParallelNonceError(f"ttl_secs must not be negative, got {ttl_secs}")
        self._ttl = ttl_secs
        self._word = 0
        self._bit = 0
        self._generation = 0
        #: word -> (bitmap of reserved slots not known settled, latest expiry among them)
        self._issued: dict[int, tuple[int, int]] = {}

    @property
    def nonce_session_id(self) -> int:
        """The lane."""
        return self._lane

    @property
    def issued_words(self) -> int:
        """How many words hold reserved slots not yet known settled (the memory this
        takes is bounded by the nonce lifetime)."""
        return len(self._issued)

    def is_issued(self, word: int, bit: int) -> bool:
        """Whether ``(word, bit)`` was reserved and may still be in flight.

        Args:
            word: a word position.
            bit: a bit of it, 0..127.

        Returns:
            True when it was reserved and is not yet known settled.
        """
        return bool(self._issued.get(word, (0, 0))[0] >> bit & 1)

    @property
    def ttl_secs(self) -> int:
        """Seconds each issued nonce stays valid."""
        return self._ttl

    @property
    def state(self) -> IssuerState:
        """UNSEATED until the first seat."""
        return IssuerState.SEATED if self._generation else IssuerState.UNSEATED

    @property
    def cursor(self) -> tuple[int, int]:
        """``(word, bit)`` of the next nonce to issue."""
        return (self._word, self._bit)

    @property
    def generation(self) -> int:
        """How many seats have happened. Read it before a submission; pass it to
        :meth:`seat` when resyncing after that submission failed."""
        return self._generation

    def next(self, now: float) -> ParallelNonce:
        """Issue the cursor's slot and advance the cursor (slots still in flight from before a
        seat are skipped).

        Args:
            now: unix time in seconds; the nonce expires at ``int(now) + ttl_secs``.

        Returns:
            The issued nonce.

        Raises:
            NonceStateError: not seated yet.
            ParallelNonceError: the cursor or the time cannot be packed.
        """
        if not self._generation:
            raise NonceStateError("the parallel nonce issuer is not seated; seat it from a window")
        while self.is_issued(self._word, self._bit):  # in flight since before a seat
            self._advance(now)
        nonce = ParallelNonce(self._lane, int(now) + self._ttl, self._word, self._bit)
        nonce.encode()  # validate (a cursor past 2^128 words, a negative time) before moving
        self._advance(now)
        return nonce

    def reserve(self, now: float) -> ParallelNonce:
        """:meth:`next`, remembered as in flight: no seat hands it out again until it is shown
        consumed, seated past or expired.

        Args:
            now: unix time in seconds.

        Returns:
            The issued nonce.

        Raises:
            NonceStateError: not seated yet.
        """
        nonce = self.next(now)
        word, bit = nonce.slot
        bits, latest = self._issued.get(word, (0, 0))
        self._issued[word] = (bits | 1 << bit, max(latest, nonce.timestamp))
        return nonce

    def rewind(self, word: int, bit: int) -> None:
        """Put the cursor on ``(word, bit)``, trusting the caller: remembered slots at or after
        it are forgotten. For tools and tests that replay a lane (o2-sdk's own tests set its
        manager's cursor this way); a client never needs it.

        Args:
            word: a word position.
            bit: a bit of it, 0..127.

        Raises:
            ParallelNonceError: not a slot of a u128 word.
        """
        ParallelNonce(self._lane, 0, word, bit).encode()
        for issued in list(self._issued):
            if issued > word:
                del self._issued[issued]
            elif issued == word:
                bits, latest = self._issued[issued]
                bits &= (1 << bit) - 1
                if bits:
                    self._issued[issued] = (bits, latest)
                else:
                    del self._issued[issued]
        self._word, self._bit = word, bit

    def _advance(self, now: float) -> None:
        if self._bit + 1 < NONCE_BITMAP_SIZE:
            self._bit += 1
            return
        self._bit = 0
        self._word += 1
        # once a word: forget words whose every nonce has expired (they cannot land)
        for word in [w for w, (_, latest) in self._issued.items() if latest < int(now)]:
            del self._issued[word]

    def next_nonce(self, now: float) -> int:
        """:meth:`next`, packed.

        Args:
            now: unix time in seconds.

        Returns:
            The packed U256.

        Raises:
            NonceStateError: not seated yet.
        """
        return self.next(now).encode()

    def is_current(self, seen_generation: int) -> bool:
        """Whether no seat has happened since ``seen_generation`` was read.

        Args:
            seen_generation: a :attr:`generation` read earlier.

        Returns:
            True when it is still the current generation.
        """
        return seen_generation == self._generation

    def seat(
        self,
        window: WindowResponse,
        seen_generation: int | None = None,
        now: float | None = None,
    ) -> bool:
        """Seat the cursor just past the window's highest consumed bit; a new generation.

        Slots issued earlier and not shown consumed stay remembered (still skipped), unless
        they lie before the new cursor or, given ``now``, have expired.

        Args:
            window: the lane's window as fetched.
            seen_generation: :attr:`generation` as read before the fetch (or before the
                failed submission). When another seat has happened since, the window is
                no fresher than what that seat used, and re-seating would move the cursor
                back onto slots already handed out again: the seat is refused. None seats
                unconditionally.
            now: unix seconds, to forget remembered slots whose nonces have expired.

        Returns:
            True when seated; False when refused as stale (nothing changes).

        Raises:
            ParallelNonceError: the window is for another lane.
            ParallelNonceWindowFull: the window's top word is full (nothing changes).
        """
        if window.nonce_session_id != self._lane:
            raise ParallelNonceError(
                f"window response carried session id {window.nonce_session_id}, "
                f"expected {self._lane}"
            )
        if seen_generation is not None and seen_generation != self._generation:
            return False
        word, bit = window.first_free_position()
        kept: dict[int, tuple[int, int]] = {}
        for issued, (bits, latest) in self._issued.items():
            if issued < word or (now is not None and latest < int(now)):
                continue
            bits &= ~window.effective_bitmap(issued)  # landed: the chain has them now
            if issued == word:
                bits &= ~((1 << bit) - 1)  # before the cursor: never handed out again
            if bits:
                kept[issued] = (bits, latest)
        self._issued = kept
        self._word, self._bit = word, bit
        self._generation += 1
        return True

    def __repr__(self) -> str:
        return (
            f"ParallelNonceIssuer(lane={self._lane}, cursor={self.cursor}, "
            f"generation={self._generation})"
        )


__all__ = [
    "DEFAULT_NONCE_TTL_SECS",
    "MAX_NONCE_SESSION_ID",
    "NONCE_BITMAP_SIZE",
    "NONCE_SESSION_SLIDING_WINDOW_SIZE",
    "NONCE_TOO_LOW_MARKER",
    "PARALLEL_NONCE_ALREADY_USED_REASON",
    "PARALLEL_NONCE_REJECTION_PREFIX",
    "PARALLEL_NONCE_RETRYABLE_REASONS",
    "SESSION_ERROR_MARKERS",
    "IssuerState",
    "ParallelNonce",
    "ParallelNonceError",
    "ParallelNonceIssuer",
    "ParallelNonceWindowFull",
    "WindowResponse",
    "WindowSlot",
    "check_lane",
    "is_nonce_rejection",
    "is_nonce_too_low",
    "is_parallel_nonce_already_used",
    "is_parallel_nonce_out_of_window",
    "is_session_error",
]
