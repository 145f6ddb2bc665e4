"""The simulator's one structured error type, shared by its REST and WebSocket layers.

A :class:`SimError` becomes ``{"code": N, "message": "..."}`` (PROTOCOL.md §5.3) in a
REST reply or a WebSocket error frame. On-chain reverts are not SimErrors: they are
:class:`~o2_core.sim.reverts.Revert` and answer in the revert shape.
"""

from __future__ import annotations

#: How much of a client-supplied value an error message may echo.
ECHO_LIMIT = 48


class SimError(Exception):
    """A structured ``{"code", "message"}`` error reply (codes of PROTOCOL.md §5.3).

    ``message`` is meant for the client: it never holds exception text or a traceback,
    and client-supplied values in it are clipped with :func:`echo`.
    """

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"SimError({self.code}, {self.message!r})"


def echo(value: object) -> str:
    """``repr(value)`` clipped to :data:`ECHO_LIMIT` characters, for error messages.

    Keeps a reply small whatever the client sent (a 1 MB string is not echoed back).
    """
    text = repr(value)
    if len(text) <= ECHO_LIMIT:
        return text
    return text[: ECHO_LIMIT - 3] + "..."


def clip(text: str, limit: int = 80) -> str:
    """``text`` itself, or its first ``limit`` characters and ``...`` when longer."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class FaucetRefusal(Exception):
    """The faucet refuses a mint; it answers ``{"error": message}``, not the API's shape.

    ``retry_after`` (seconds) is set when the refusal is the cooldown (HTTP 429).
    """

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
