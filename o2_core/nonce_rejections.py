"""Which rejections are nonce problems, and which of them a retry can heal (PROTOCOL_V05.md §1.9).

A refused submission is classified from its error (an exception's message, reason and
receipts are read) or from a bare message, on both nonce tracks:

- :func:`is_parallel_nonce_out_of_window`: the API refused a parallel nonce at validation
  as out of the window or expired. Nothing executed: resync, then one retry with a fresh
  nonce is safe.
- :func:`is_parallel_nonce_already_used`: the slot was consumed. Ambiguous (the
  submission may have landed and lost its reply): resync, never retry.
- :func:`is_nonce_rejection`: any nonce refusal, on either track, by the API or the
  contract ("is my session dead?": no).
- :func:`is_nonce_too_low`: the sequential track's stale nonce (re-read it).
- :func:`is_session_error`: the session itself was refused (create a new one).

Pure string and receipt matching; the on-chain side is :mod:`o2_core.onchain_revert`.
:mod:`o2_core.parallel_nonce` and :mod:`o2_core.nonce` re-export every name here.
"""

from __future__ import annotations

from typing import Any

from .onchain_revert import error_text, is_onchain_already_used, is_onchain_nonce_error

#: The prefix the API puts on every parallel-nonce rejection, whatever the reason. It says
#: nothing about whether a retry is safe: never decide on it alone.
PARALLEL_NONCE_REJECTION_PREFIX = "Parallel nonce is not usable"
#: API reasons proving nothing executed (a fresh nonce may be tried once after a resync).
PARALLEL_NONCE_RETRYABLE_REASONS = ("word position out of sliding window", "nonce expired")
#: API reason for a consumed slot, which is ambiguous (the submission may have landed).
#: Never retry.
PARALLEL_NONCE_ALREADY_USED_REASON = "nonce already used"
#: The sequential track's stale-nonce rejection.
NONCE_TOO_LOW_MARKER = "Nonce in the request"
#: The session itself was rejected (one session per account; another one replaced it).
SESSION_ERROR_MARKERS = ("Invalid session address", "Expired session")


def is_parallel_nonce_out_of_window(error: Any) -> bool:
    """Whether the API refused a parallel nonce, at validation, as out of the window or
    expired.

    Nothing executed, so a resync and one retry with a fresh nonce are safe. The
    on-chain ``WordPosOutOfWindow`` and ``Expired`` do not count (a reverted transaction
    consumed gas and may have run).

    Args:
        error: an exception (its message, reason and receipts are read) or a message.

    Returns:
        True for those two rejections.
    """
    text = error_text(error)
    return any(marker in text for marker in PARALLEL_NONCE_RETRYABLE_REASONS)


def is_parallel_nonce_already_used(error: Any) -> bool:
    """Whether the slot was already consumed, as the API or the contract (``AlreadyUsed``
    logged) reports it.

    Never retry: a submission that landed but lost its reply looks exactly like this;
    heal the cursor (resync) and let the caller decide.

    Args:
        error: an exception (its message, reason and receipts are read) or a message.

    Returns:
        True for an "already used" rejection.
    """
    if PARALLEL_NONCE_ALREADY_USED_REASON in error_text(error):
        return True
    return is_onchain_already_used(error)


def is_nonce_rejection(error: Any) -> bool:
    """Whether the nonce was refused, for any reason, by the API or the contract, on either
    track.

    For "is my session dead?" (no: a nonce problem). Not for "may I retry?": use
    :func:`is_parallel_nonce_out_of_window` and :func:`is_parallel_nonce_already_used`.

    Args:
        error: an exception (its message, reason and receipts are read) or a message.

    Returns:
        True for any nonce rejection.
    """
    text = error_text(error)
    if PARALLEL_NONCE_REJECTION_PREFIX in text or NONCE_TOO_LOW_MARKER in text:
        return True
    return is_onchain_nonce_error(error)


def is_nonce_too_low(error: Any) -> bool:
    """Whether it is the sequential track's "nonce in the request is less than ..."
    conflict (re-read the nonce).

    Args:
        error: an exception (its message, reason and receipts are read) or a message.

    Returns:
        True for that conflict.
    """
    return NONCE_TOO_LOW_MARKER in error_text(error)


def is_session_error(error: Any) -> bool:
    """Whether the account rejected the session itself (replaced or expired): create a new
    one; resyncing nonces would only burn slots.

    Args:
        error: an exception (its message, reason and receipts are read) or a message.

    Returns:
        True for a rejected session.
    """
    text = error_text(error)
    return any(marker in text for marker in SESSION_ERROR_MARKERS)


__all__ = [
    "NONCE_TOO_LOW_MARKER",
    "PARALLEL_NONCE_ALREADY_USED_REASON",
    "PARALLEL_NONCE_REJECTION_PREFIX",
    "PARALLEL_NONCE_RETRYABLE_REASONS",
    "SESSION_ERROR_MARKERS",
    "is_nonce_rejection",
    "is_nonce_too_low",
    "is_parallel_nonce_already_used",
    "is_parallel_nonce_out_of_window",
    "is_session_error",
]
