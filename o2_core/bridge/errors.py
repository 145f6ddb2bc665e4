"""The bridge's errors, placed in the SDK's exception tree (:mod:`o2_core.errors`).

::

    O2Error
    ├── ApiError
    │   └── BridgeApiError            the bridge answered an error (status, bridge_code, details)
    │       └── BridgeInvalidResponse bridge_code "INVALID_RESPONSE" (also a ProtocolError)
    ├── TransportError
    │   └── BridgeTransportError      no reply (also an OSError, like aiohttp's connect errors)
    │       └── BridgeTimeout         no reply in time (also a TimeoutError / RequestTimeout)
    └── InvalidInput (a ValueError)
        └── BridgeInspectionError     an unsigned transaction or proof failed offline inspection

The official ``o2_sdk.bridge`` raises ``BridgeApiError`` for error replies, ``ValueError``
for bad arguments and failed inspections, and lets aiohttp's errors and
``asyncio.TimeoutError`` out for transport failures; the classes here are caught by the same
``except`` clauses (``TimeoutError`` is ``asyncio.TimeoutError`` from Python 3.11), except
``except aiohttp.ClientError``, which the sans-I/O core cannot subclass.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError, InvalidInput, ProtocolError, RequestTimeout, TransportError

#: The ``bridge_code`` of a reply that is not JSON or not of the documented shape.
INVALID_RESPONSE = "INVALID_RESPONSE"
#: The ``bridge_code`` of an error reply without a usable ``error.code``.
HTTP_ERROR = "HTTP_ERROR"


class BridgeApiError(ApiError):
    """The Fast Bridge answered with an error, or with a reply that cannot be used.

    Args:
        status: the HTTP status of the reply.
        bridge_code: the bridge's ``error.code`` (``"HTTP_ERROR"`` when it gave none,
            ``"INVALID_RESPONSE"`` for a reply that is not JSON or not of the right shape).
        message: the bridge's ``error.message``, or a description.
        details: the bridge's ``error.details`` (any JSON value), when given.
    """

    def __init__(self, status: int, bridge_code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.bridge_code = bridge_code
        self.details = details

    def __reduce__(self) -> Any:
        return (type(self), (self.status, self.bridge_code, self.message, self.details))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, bridge_code={self.bridge_code!r}, "
            f"message={self.message!r})"
        )


class BridgeInvalidResponse(BridgeApiError, ProtocolError):
    """A bridge reply that is not JSON, or not of the documented shape (``INVALID_RESPONSE``)."""

    def __init__(self, status: int, message: str, details: Any = None) -> None:
        super().__init__(status, INVALID_RESPONSE, message, details)

    def __reduce__(self) -> Any:
        return (type(self), (self.status, self.message, self.details))


class BridgeTransportError(TransportError, OSError):
    """No reply from the bridge (connection refused or reset, TLS, DNS ...).

    Also an :class:`OSError`, as the official client's aiohttp connection errors are.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> Any:
        return (type(self), (self.message,))


class BridgeTimeout(BridgeTransportError, RequestTimeout, TimeoutError):
    """No reply from the bridge within the timeout. Also a :class:`TimeoutError`.

    A ``submit_*`` call that times out may still have been accepted: read its status
    before submitting again.
    """


class BridgeInspectionError(InvalidInput):
    """An unsigned transaction or preparation proof failed offline inspection (a ValueError)."""


__all__ = [
    "HTTP_ERROR",
    "INVALID_RESPONSE",
    "BridgeApiError",
    "BridgeInspectionError",
    "BridgeInvalidResponse",
    "BridgeTimeout",
    "BridgeTransportError",
]
