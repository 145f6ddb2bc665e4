"""Retry and backoff decisions: what to do after each attempt. Pure, value in, value out.

One backoff formula serves REST retries and WebSocket reconnects: attempt ``n``
(0-based) waits ``min(cap, base * factor**n) * (1 - jitter * r)`` for a random ``r`` in
[0, 1) supplied by the caller. Jitter only shortens a delay, so ``cap`` is a true bound.

REST (:meth:`RetryPolicy.decide`), given a request and what its attempt produced:

====================================  =============================================
outcome                               decision
====================================  =============================================
a success reply                       :class:`Return`
rate limited (HTTP 429 / code 1003)   :class:`Retry` after ``Retry-After`` (or the
                                      backoff) while attempts remain and the server's
                                      wait is at most ``max_retry_after``; else
                                      :class:`Raise`. Safe for signed submissions
                                      too: a rate-limited request was not processed.
HTTP 500/502/503/504                  :class:`Retry` for idempotent requests while
                                      attempts remain; else :class:`Raise`
any other error reply                 :class:`Raise`
no reply (``TransportError``)         idempotent: :class:`Retry` while attempts
                                      remain, else :class:`Raise`; a signed
                                      submission: :class:`Raise` of
                                      :class:`~o2_core.errors.UnknownSubmissionOutcome`
                                      (it may have executed; it is never re-sent)
====================================  =============================================
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from .errors import (
    InvalidInput,
    O2Error,
    RateLimitExceeded,
    TransportError,
    UnknownSubmissionOutcome,
)
from .http import Reply, Request

#: HTTP statuses worth retrying for idempotent requests.
RETRY_STATUSES = frozenset({500, 502, 503, 504})


def backoff_delay(attempt: int, base: float, factor: float, cap: float, jitter: float,
                  r: float) -> float:
    """The delay before retry ``attempt``: ``min(cap, base * factor**attempt)``, shortened by
    up to ``jitter`` of itself.

    Args:
        attempt: the retry, 0-based.
        base: the first delay, in seconds.
        factor: growth per attempt.
        cap: the longest delay.
        jitter: the share a delay may be shortened by, in [0, 1].
        r: a random float in [0, 1).

    Returns:
        Seconds to wait.

    Raises:
        InvalidInput: ``r`` outside [0, 1).
    """
    if not 0 <= r < 1:
        raise InvalidInput(f"a random value must be a float in [0, 1), got {r!r}")
    if attempt <= 0 or factor == 1 or cap == base:
        raw = base
    elif attempt >= math.log(cap / base, factor):  # at the cap (and no float overflow)
        raw = cap
    else:
        raw = min(cap, base * factor**attempt)
    return raw * (1 - jitter * r) if jitter else raw


def _check_shape(base: float, factor: float, cap: float, jitter: float) -> None:
    if not base > 0 or not cap >= base or not math.isfinite(cap):
        raise InvalidInput(f"backoff needs 0 < base <= cap < inf, got base={base}, cap={cap}")
    if not factor >= 1:
        raise InvalidInput(f"backoff factor must be >= 1, got {factor}")
    if not 0 <= jitter <= 1:
        raise InvalidInput(f"backoff jitter must be in [0, 1], got {jitter}")


class Backoff:
    """A reconnect schedule: successive delays of :func:`backoff_delay`, then None.

    Args:
        base: the first delay, in seconds.
        factor: growth per attempt.
        cap: the longest delay.
        max_attempts: delays before :meth:`next_delay` returns None (None: unlimited).
        jitter: the share a delay may be shortened by, in [0, 1].
        rand: returns floats in [0, 1) (inject a seeded source for determinism).

    Raises:
        InvalidInput: not ``0 < base <= cap < inf``, ``factor < 1``, ``jitter`` outside
            [0, 1], or a negative ``max_attempts``.
    """

    def __init__(
        self,
        base: float = 0.5,
        factor: float = 2.0,
        cap: float = 30.0,
        max_attempts: int | None = None,
        jitter: float = 0.0,
        rand: Callable[[], float] = random.random,
    ) -> None:
        _check_shape(base, factor, cap, jitter)
        if max_attempts is not None and max_attempts < 0:
            raise InvalidInput(f"max_attempts must be >= 0 or None, got {max_attempts}")
        self.base = float(base)
        self.factor = float(factor)
        self.cap = float(cap)
        self.max_attempts = max_attempts
        self.jitter = float(jitter)
        self._rand = rand
        self.attempt = 0

    @property
    def exhausted(self) -> bool:
        """True when no attempt is left."""
        return self.max_attempts is not None and self.attempt >= self.max_attempts

    def next_delay(self) -> float | None:
        """Seconds to wait before the next attempt (and count the attempt).

        Returns:
            The delay, or None when attempts are exhausted.
        """
        if self.exhausted:
            return None
        r = self._rand() if self.jitter else 0.0
        delay = backoff_delay(self.attempt, self.base, self.factor, self.cap, self.jitter, r)
        self.attempt += 1
        return delay

    def reset(self) -> None:
        """Start over (after a successful connection)."""
        self.attempt = 0


# --- REST decisions ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Return:
    """Give the reply to the caller."""


@dataclass(frozen=True, slots=True)
class Retry:
    """Send the same request again after ``delay`` seconds."""

    delay: float


@dataclass(frozen=True, slots=True)
class Raise:
    """Give up: raise ``error``."""

    error: O2Error


Decision = Return | Retry | Raise
RETURN = Return()


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter (see the module docstring).

    Args:
        max_retries: retries after the first attempt (0 = never retry).
        base: the first backoff delay, in seconds.
        cap: the longest backoff delay.
        factor: growth of the delay per attempt.
        jitter: the random share a delay may be shortened by, in [0, 1].
        max_retry_after: the longest ``Retry-After`` honoured; a longer one raises.
    """

    max_retries: int = 3
    base: float = 0.25
    cap: float = 8.0
    factor: float = 2.0
    jitter: float = 0.5
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int):
            raise InvalidInput(f"max_retries must be an integer, got {self.max_retries!r}")
        if self.max_retries < 0:
            raise InvalidInput("max_retries must be >= 0")
        _check_shape(self.base, self.factor, self.cap, self.jitter)
        if not self.max_retry_after >= 0:
            raise InvalidInput("max_retry_after must be >= 0")

    def backoff(self, attempt: int, r: float) -> float:
        """The backoff delay before retry ``attempt`` (0-based), jittered by ``r``.

        Args:
            attempt: the retry, 0-based.
            r: a random float in [0, 1).

        Returns:
            Seconds to wait.
        """
        return backoff_delay(attempt, self.base, self.factor, self.cap, self.jitter, r)

    def decide(
        self, request: Request, attempt: int, outcome: Reply | TransportError, r: float
    ) -> Decision:
        """What to do after ``attempt`` of ``request`` produced ``outcome`` (the table in the
        module docstring).

        Args:
            request: the request sent (``idempotent`` decides whether a lost reply may be
                retried).
            attempt: the attempt, 0-based.
            outcome: the classified reply, or the transport's failure.
            r: a random float in [0, 1) for the jitter.

        Returns:
            :class:`Return`, :class:`Retry` (with its delay) or :class:`Raise` (with the
            error: for a signed submission without reply, an
            :class:`~o2_core.errors.UnknownSubmissionOutcome`).
        """
        last = attempt >= self.max_retries
        if isinstance(outcome, TransportError):
            if not request.idempotent:
                return Raise(
                    UnknownSubmissionOutcome(
                        f"{request.method} {request.url} was sent but no reply came "
                        f"({outcome}); it is not re-sent. Check orders and balances first."
                    )
                )
            return Raise(outcome) if last else Retry(self.backoff(attempt, r))
        error = outcome.error
        if error is None:
            return RETURN
        if isinstance(error, RateLimitExceeded):
            wait = error.retry_after
            if last or (wait is not None and wait > self.max_retry_after):
                return Raise(error)
            return Retry(wait if wait is not None else self.backoff(attempt, r))
        if outcome.response.status in RETRY_STATUSES and request.idempotent and not last:
            return Retry(self.backoff(attempt, r))
        return Raise(error)


def finite_seconds(value: float | None) -> float | None:
    """``value`` when it is a usable number of seconds.

    Args:
        value: a number of seconds, or None.

    Returns:
        ``value`` when finite and non-negative, else None.
    """
    if value is None or not math.isfinite(value) or value < 0:
        return None
    return value


__all__ = [
    "RETRY_STATUSES",
    "Backoff",
    "Decision",
    "Raise",
    "Retry",
    "RetryPolicy",
    "Return",
    "backoff_delay",
    "finite_seconds",
]
