"""The SDK's exception tree, and the classification of error replies (PROTOCOL.md §5.3).

Every failure of a trading operation is an :class:`O2Error`, in one of these groups::

    O2Error
    ├── ApiError                 the exchange answered with an error code
    │   ├── InternalError (1000) ... EventsNotFound (8001): one class per code
    │   └── RateLimitExceeded    also HTTP 429; ``retry_after`` seconds when known
    ├── OnChainRevert            the transaction reached the chain and reverted
    │   └── InternalRevert       ... reported as code 1000 (so also an InternalError)
    ├── TransportError           no reply: connection failed, timed out, closed
    │   ├── RequestTimeout
    │   ├── ConnectionClosed     a WebSocket is gone
    │   └── UnknownSubmissionOutcome   a signed submission may or may not have executed
    ├── ProtocolError            the reply could not be understood (malformed body)
    ├── InvalidInput             bad input, rejected before anything was signed or sent
    │   ├── OrderRuleError       a market rule the chain would revert on
    │   └── SubscriptionConflict
    ├── SessionExpired           the session expired (checked before signing)
    └── SlowConsumerError        a stream consumer fell behind and lost updates

    UsageError (a RuntimeError, NOT an O2Error): the calling code is wrong
    ├── StreamStateError
    └── NonceStateError

Caller bugs are outside the trading tree on purpose: a bot's ``except O2Error: retry``
must not hide them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from .onchain_revert import decode_revert_reason, looks_onchain, receipts_text


class O2Error(Exception):
    """Base of every error a trading operation can raise.

    Args:
        message: what happened, and what to do about it.
        code: the exchange's error code, when there is one.
        reason: the on-chain revert reason, decoded when possible.
        receipts: the raw receipts of a reverted transaction.
        raw_reason: the backend's ``reason`` text as it came (defaults to ``reason``).
    """

    def __init__(
        self,
        message: str,
        code: int | None = None,
        reason: str | None = None,
        receipts: Any = None,
        raw_reason: str | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.reason = reason
        self.receipts = receipts
        self.raw_reason = raw_reason if raw_reason is not None else reason
        super().__init__(message)

    def __str__(self) -> str:
        prefix = f"[{self.code}] " if self.code is not None else ""
        return prefix + self.message


# --- groups --------------------------------------------------------------------------


class ApiError(O2Error):
    """The exchange rejected the request with a structured ``{"code", "message"}`` reply."""


class OnChainRevert(O2Error):
    """The transaction reached the chain and reverted; ``reason`` names the contract error.

    The account's nonce was consumed all the same.
    """

    def __str__(self) -> str:
        return f"On-chain revert: {self.reason or self.message}"


class TransportError(O2Error):
    """No reply could be had (connection refused or reset, TLS, DNS, timeout ...)."""


class ProtocolError(O2Error):
    """The server's reply could not be understood (malformed body, unexpected shape)."""


class InvalidInput(O2Error, ValueError):
    """Bad input, rejected before anything was signed or sent."""


class UsageError(RuntimeError):
    """The calling code used the SDK wrongly (a bug to fix, not a failure to retry).

    Deliberately not an :class:`O2Error`.
    """


# --- exchange error codes (PROTOCOL.md §5.3) -----------------------------------------


class InternalError(ApiError):
    """1000: unexpected server error."""


class InvalidRequest(ApiError):
    """1001: malformed or invalid request."""


class ParseError(ApiError):
    """1002: the server could not parse the request body."""


class RateLimitExceeded(ApiError):
    """1003 / HTTP 429: too many requests.

    Args:
        retry_after: seconds the server asked to wait (``Retry-After``), when known.
    """

    def __init__(
        self,
        message: str,
        code: int | None = 1003,
        reason: str | None = None,
        receipts: Any = None,
        raw_reason: str | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, code, reason, receipts, raw_reason)
        self.retry_after = retry_after


class GeoRestricted(ApiError):
    """1004: region not allowed."""


class MarketNotFound(ApiError):
    """2000: market does not exist."""


class MarketPaused(ApiError):
    """2001: market is paused."""


class MarketAlreadyExists(ApiError):
    """2002: market already exists."""


class OrderNotFound(ApiError):
    """3000: order does not exist."""


class OrderNotActive(ApiError):
    """3001: order is not active."""


class InvalidOrderParams(ApiError):
    """3002: invalid order parameters."""


class InvalidSignature(ApiError):
    """4000: signature verification failed."""


class InvalidSession(ApiError):
    """4001: session is invalid or expired."""


class AccountNotFound(ApiError):
    """4002: trading account not found; call ``setup_account()`` first."""


class WhitelistNotConfigured(ApiError):
    """4003: whitelist not configured."""


class TradeNotFound(ApiError):
    """5000: trade does not exist."""


class InvalidTradeCount(ApiError):
    """5001: invalid trade count."""


class AlreadySubscribed(ApiError):
    """6000: already subscribed to this topic."""


class TooManySubscriptions(ApiError):
    """6001: subscription limit exceeded."""


class SubscriptionError(ApiError):
    """6002: general subscription error."""


class InvalidAmount(ApiError):
    """7000: invalid amount."""


class InvalidTimeRange(ApiError):
    """7001: invalid time range."""


class InvalidPagination(ApiError):
    """7002: invalid pagination parameters."""


class NoActionsProvided(ApiError):
    """7003: no actions in the request."""


class TooManyActions(ApiError):
    """7004: too many actions (at most 5 per request)."""


class BlockNotFound(ApiError):
    """8000: block not found."""


class EventsNotFound(ApiError):
    """8001: events not found for the block."""


class InternalRevert(OnChainRevert, InternalError):
    """An on-chain revert the backend reported as code 1000 "Failed to process transaction".

    Caught by ``except OnChainRevert`` and by ``except InternalError`` alike.
    """


# --- transport, client side ----------------------------------------------------------


class RequestTimeout(TransportError):
    """No reply within the request timeout."""


class ConnectionClosed(TransportError):
    """The WebSocket connection is closed (by either side, or lost)."""


class UnknownSubmissionOutcome(TransportError):
    """A signed submission was sent but its outcome is unknown (connection lost, timeout).

    It is never re-sent automatically: it may have been executed. The nonce is re-read
    before the next submission; check your orders or balances before submitting again.
    """


class SessionExpired(O2Error):
    """The session has expired (checked before signing); create a new session."""


class OrderRuleError(InvalidInput):
    """An order breaks a market rule the chain would revert on.

    Args:
        rule: ``"PricePrecision"``, ``"FractionalPrice"`` or ``"min_order"``.
        message: the details.
    """

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule


class SubscriptionConflict(InvalidInput):
    """A subscription that cannot coexist with an existing one, or removing one never added."""


class SlowConsumerError(O2Error):
    """A stream consumer fell so far behind that its buffer overflowed; updates were lost.

    Re-sync the state from REST and subscribe again.
    """


class StreamStateError(UsageError):
    """An operation the stream protocol's current state does not allow."""


class NonceStateError(UsageError):
    """An operation the nonce tracker's current state does not allow."""


ERROR_CODES: dict[int, type[ApiError]] = {
    1000: InternalError,
    1001: InvalidRequest,
    1002: ParseError,
    1003: RateLimitExceeded,
    1004: GeoRestricted,
    2000: MarketNotFound,
    2001: MarketPaused,
    2002: MarketAlreadyExists,
    3000: OrderNotFound,
    3001: OrderNotActive,
    3002: InvalidOrderParams,
    4000: InvalidSignature,
    4001: InvalidSession,
    4002: AccountNotFound,
    4003: WhitelistNotConfigured,
    5000: TradeNotFound,
    5001: InvalidTradeCount,
    6000: AlreadySubscribed,
    6001: TooManySubscriptions,
    6002: SubscriptionError,
    7000: InvalidAmount,
    7001: InvalidTimeRange,
    7002: InvalidPagination,
    7003: NoActionsProvided,
    7004: TooManyActions,
    8000: BlockNotFound,
    8001: EventsNotFound,
}
CODE_OF: dict[type[O2Error], int] = {cls: code for code, cls in ERROR_CODES.items()}
#: o2-sdk's name of :data:`ERROR_CODES` (the same dict).
ERROR_CODE_MAP = ERROR_CODES


# --- classification of replies -------------------------------------------------------


class _ErrorBody(msgspec.Struct):
    code: int | None = None
    message: str | None = None
    error: str | None = None
    reason: str | None = None
    receipts: Any = None
    tx_id: str | None = None


_error_body = msgspec.json.Decoder(_ErrorBody, strict=False)


def excerpt(body: bytes, limit: int = 200) -> str:
    """The start of a reply body as text (invalid UTF-8 replaced), for error messages.

    Args:
        body: the body.
        limit: at most this many bytes.

    Returns:
        The text.
    """
    return body[:limit].decode("utf-8", "replace")


def api_error(
    code: int,
    message: str,
    reason: str | None = None,
    receipts: Any = None,
    retry_after: float | None = None,
) -> ApiError:
    """The :class:`ApiError` subclass instance for an exchange error ``code``.

    Args:
        code: the exchange's error code (an unknown one gives a plain ``ApiError``).
        message: the error's message.
        reason: the backend's ``reason`` text, if any.
        receipts: the receipts, if any.
        retry_after: for a rate limit, the seconds to wait.

    Returns:
        The error (not raised).
    """
    cls = ERROR_CODES.get(code, ApiError)
    if cls is RateLimitExceeded:
        return RateLimitExceeded(message, code, reason, receipts, retry_after=retry_after)
    return cls(message, code=code, reason=reason, receipts=receipts)


def error_from_body(status: int, body: bytes, retry_after: float | None = None) -> O2Error | None:
    """The error an HTTP reply stands for, or None when it is a success. Never raises.

    Handles structured errors (``code`` + ``message``), on-chain reverts (``message`` +
    ``reason`` [+ ``receipts``], sometimes wrapped as code 1000), HTTP 429, and bodies
    that are not JSON (or not decodable: invalid UTF-8, absurd nesting) at all.

    Args:
        status: the HTTP status.
        body: the body.
        retry_after: the ``Retry-After`` delay, for a rate limit.

    Returns:
        The error (not raised): the ``ApiError`` of its code, an ``OnChainRevert`` (an
        ``InternalRevert`` for code 1000) with a decoded ``reason``, a
        ``RateLimitExceeded``, a ``ProtocolError`` for an undecodable error body, or a
        plain ``O2Error``; None for a success.
    """
    try:
        data = _error_body.decode(body) if body else _ErrorBody()
    except Exception:  # anything a hostile body provokes, incl. UnicodeError, RecursionError
        if status < 400:
            return None
        if status == 429:
            return RateLimitExceeded(f"HTTP 429: {excerpt(body)}", retry_after=retry_after)
        return ProtocolError(f"HTTP {status} with an undecodable body: {excerpt(body)!r}")
    if data.tx_id is not None:
        return None
    if status < 400 and data.code is None and data.reason is None and data.receipts is None:
        return None
    message = data.message or data.error or f"HTTP {status}"
    code = data.code
    if status == 429 and code is None:
        code = 1003
    raw_reason = data.reason
    onchain = looks_onchain(message, raw_reason, data.receipts)
    if code is None and not onchain:
        return O2Error(message)
    if code is None or (code == 1000 and onchain):
        context = f"{message}\n{raw_reason or ''}\n{receipts_text(data.receipts)}"
        cls = OnChainRevert if code is None else InternalRevert
        return cls(
            message,
            code=code,
            reason=decode_revert_reason(context) or raw_reason or message,
            receipts=data.receipts,
            raw_reason=raw_reason,
        )
    return api_error(code, message, raw_reason, data.receipts, retry_after)


def raise_for_error(data: Mapping[str, Any]) -> None:
    """Raise the error a decoded reply body stands for; return if it is not an error.

    o2-sdk's function over a ``json.loads`` result. A body with a ``tx_id`` is a success;
    one with neither a ``code`` nor a ``message``/``error`` says nothing and passes. Any
    other body raises exactly what :func:`error_from_body` makes of it as an error reply
    (one classifier for both).

    Args:
        data: the decoded body.

    Raises:
        InvalidInput: ``data`` is not a mapping.
        O2Error: the :class:`ApiError` of its code, an :class:`OnChainRevert` (or
            :class:`InternalRevert` for code 1000) when it shows on-chain evidence, else a
            plain :class:`O2Error`.
    """
    if not isinstance(data, Mapping):
        raise InvalidInput(f"raise_for_error takes a decoded JSON object, got {data!r:.80}")
    if "tx_id" in data:
        return
    if data.get("code") is None and "message" not in data and "error" not in data:
        return
    body = dict(data)
    if not (body.get("message") or body.get("error")):
        body["message"] = "Unknown error"
    error = error_from_body(400, msgspec.json.encode(body, enc_hook=str))
    if error is not None:
        raise error


__all__ = [
    "CODE_OF",
    "ERROR_CODES",
    "ERROR_CODE_MAP",
    "AccountNotFound",
    "AlreadySubscribed",
    "ApiError",
    "BlockNotFound",
    "ConnectionClosed",
    "EventsNotFound",
    "GeoRestricted",
    "InternalError",
    "InternalRevert",
    "InvalidAmount",
    "InvalidInput",
    "InvalidOrderParams",
    "InvalidPagination",
    "InvalidRequest",
    "InvalidSession",
    "InvalidSignature",
    "InvalidTimeRange",
    "InvalidTradeCount",
    "MarketAlreadyExists",
    "MarketNotFound",
    "MarketPaused",
    "NoActionsProvided",
    "NonceStateError",
    "O2Error",
    "OnChainRevert",
    "OrderNotActive",
    "OrderNotFound",
    "OrderRuleError",
    "ParseError",
    "ProtocolError",
    "RateLimitExceeded",
    "RequestTimeout",
    "SessionExpired",
    "SlowConsumerError",
    "StreamStateError",
    "SubscriptionConflict",
    "SubscriptionError",
    "TooManyActions",
    "TooManySubscriptions",
    "TradeNotFound",
    "TransportError",
    "UnknownSubmissionOutcome",
    "UsageError",
    "api_error",
    "error_from_body",
    "excerpt",
    "raise_for_error",
]
