"""The SDK's exception tree and the decoding of error replies (PROTOCOL.md §5.3).

Every failure a user can hit is an :class:`O2Error`. Server error codes map to one class
each; on-chain reverts become :class:`OnChainRevert` with a reason decoded from the
backend's ``LogResult`` text or from the ``LogData`` receipt and the contracts' ABI.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from ._abi_errors import ERROR_ENUMS


class O2Error(Exception):
    """Base of every error the SDK raises.

    ``code`` is the server's error code when there is one; ``reason`` the decoded
    on-chain revert reason; ``receipts`` the raw receipts of a reverted transaction.
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


class InvalidInput(O2Error, ValueError):
    """Client side: bad input, rejected before anything was signed or sent."""


# --- server codes (PROTOCOL.md §5.3) -------------------------------------------------


class InternalError(O2Error):
    """1000: unexpected server error."""


class InvalidRequest(O2Error):
    """1001: malformed or invalid request."""


class ParseError(O2Error):
    """1002: the server could not parse the request body."""


class RateLimitExceeded(O2Error):
    """1003 / HTTP 429: too many requests; ``retry_after`` is in seconds when known."""

    retry_after: float | None = None


class GeoRestricted(O2Error):
    """1004: region not allowed."""


class MarketNotFound(O2Error):
    """2000: market does not exist."""


class MarketPaused(O2Error):
    """2001: market is paused."""


class MarketAlreadyExists(O2Error):
    """2002: market already exists."""


class OrderNotFound(O2Error):
    """3000: order does not exist."""


class OrderNotActive(O2Error):
    """3001: order is not active."""


class InvalidOrderParams(O2Error):
    """3002: invalid order parameters."""


class InvalidSignature(O2Error):
    """4000: signature verification failed."""


class InvalidSession(O2Error):
    """4001: session is invalid or expired."""


class AccountNotFound(O2Error):
    """4002: trading account not found; call ``setup_account()`` first."""


class WhitelistNotConfigured(O2Error):
    """4003: whitelist not configured."""


class TradeNotFound(O2Error):
    """5000: trade does not exist."""


class InvalidTradeCount(O2Error):
    """5001: invalid trade count."""


class AlreadySubscribed(O2Error):
    """6000: already subscribed to this topic."""


class TooManySubscriptions(O2Error):
    """6001: subscription limit exceeded."""


class SubscriptionError(O2Error):
    """6002: general subscription error."""


class InvalidAmount(O2Error):
    """7000: invalid amount."""


class InvalidTimeRange(O2Error):
    """7001: invalid time range."""


class InvalidPagination(O2Error):
    """7002: invalid pagination parameters."""


class NoActionsProvided(O2Error):
    """7003: no actions in the request."""


class TooManyActions(O2Error):
    """7004: too many actions (at most 5 per request)."""


class BlockNotFound(O2Error):
    """8000: block not found."""


class EventsNotFound(O2Error):
    """8001: events not found for the block."""


# --- client side ---------------------------------------------------------------------


class SessionExpired(O2Error):
    """The session has expired (checked before signing); create a new session."""


class OnChainRevert(O2Error):
    """The transaction reached the chain and reverted; ``reason`` names the error.

    The account's nonce was consumed all the same.
    """

    def __str__(self) -> str:
        return f"On-chain revert: {self.reason or self.message}"


class TransportError(O2Error):
    """The request could not be completed (connection refused, reset, TLS, DNS ...)."""


class RequestTimeout(TransportError):
    """No reply within the request timeout."""


class UnknownSubmissionOutcome(TransportError):
    """A signed submission was sent but its outcome is unknown (connection lost, timeout).

    It is never re-sent automatically: it may have been executed. The nonce has been
    re-read; check your orders or balances before submitting again.
    """


class ProtocolError(O2Error):
    """The server's reply could not be understood (malformed body, unexpected shape)."""


ERROR_CODES: dict[int, type[O2Error]] = {
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

# --- on-chain revert decoding --------------------------------------------------------

#: Sway's std error signals: the ``ra`` of the Revert receipt says what kind of failure.
REVERT_SIGNALS: dict[int, str] = {
    0xFFFF_FFFF_FFFF_0000: "FAILED_REQUIRE",
    0xFFFF_FFFF_FFFF_0001: "FAILED_TRANSFER_TO_ADDRESS",
    0xFFFF_FFFF_FFFF_0003: "FAILED_ASSERT_EQ",
    0xFFFF_FFFF_FFFF_0004: "FAILED_ASSERT",
    0xFFFF_FFFF_FFFF_0005: "FAILED_ASSERT_NE",
    0xFFFF_FFFF_FFFF_0006: "REVERT_WITH_LOG",
}

#: What the user should do about the variants a trader actually meets.
_HINTS: dict[str, str] = {
    "InvalidInputAmount": "the forwarded amount does not match price x quantity; check balance",
    "PricePrecision": "price is not a multiple of the market's tick; use Market.scale_price()",
    "FractionalPrice": "price x quantity must divide 10^base_decimals; use adjust_quantity()",
    "OrderNotFilled": "the FillOrKill order could not be filled in full",
    "OrderPartiallyFilled": "the PostOnly order would have crossed the book",
    "TraderNotWhiteListed": "the account is not whitelisted for this market",
    "NotOrderOwner": "only the owner of an order can cancel it",
    "InvalidNonce": "the nonce is stale; the SDK re-reads it before the next submission",
    "InvalidSigner": "the signature does not match the session key",
    "SessionInThePast": "the session expired; create a new session",
    "NotEnoughBalance": "insufficient balance for the withdrawal",
    "AmountIsZero": "the amount must be greater than zero",
    "PriceExceedsRange": "the price is outside the market's allowed window",
    "InvalidMarketOrderArgs": "bounded market order bounds are invalid",
}

_VARIANTS: dict[str, str] = {}
for _enum, _names in ERROR_ENUMS.values():
    for _name in _names:
        _VARIANTS.setdefault(_name, _enum.rsplit("::", 1)[-1] + "::" + _name)

_OK_RE = re.compile(r'Ok\(\\?"([A-Za-z0-9_]+)\\?"\)')
# Receipts come as fuels-rs debug text (``LogData { rb: 1, data: Some(Bytes(..)) }``) or
# as JSON (``{"LogData": {"rb": "1", "data": ".."}}``): the patterns accept both.
_LOGDATA_RE = re.compile(r'LogData"?\s*:?\s*\{(?P<body>[^{}]*)\}')
_RB_RE = re.compile(r'\brb"?\s*:\s*"?(\d+)')
_DATA_RE = re.compile(r'Bytes\(\s*(?:0x)?([0-9a-fA-F]*)\s*\)|"data"\s*:\s*"(?:0x)?([0-9a-fA-F]*)"')
_REVERT_RE = re.compile(
    r'Revert"?\s*:?\s*(?:\(\s*(\d+)\s*\)|\{[^{}]*?\bra"?\s*:\s*"?(\d+))'
)


def _describe(qualified: str) -> str:
    hint = _HINTS.get(qualified.rsplit("::", 1)[-1])
    return f"{qualified} ({hint})" if hint else qualified


def decode_revert_reason(text: str) -> str | None:
    """Name the contract error behind a revert, from the backend's reason/receipt text.

    Tries, in order: the last known variant of a ``LogResult`` ``Ok("...")`` list; the
    ``LogData`` receipt before the last ``Revert`` (``rb`` = logId, data = variant
    index); the Sway error signal of the revert code. Returns None when none applies.
    """
    last_known = None
    for match in _OK_RE.finditer(text):
        if match.group(1) in _VARIANTS:
            last_known = match.group(1)
    if last_known is not None:
        return _describe(_VARIANTS[last_known])

    reverts = list(_REVERT_RE.finditer(text))
    end = reverts[-1].start() if reverts else len(text)
    logdata = list(_LOGDATA_RE.finditer(text, 0, end))
    if logdata:
        body = logdata[-1].group("body")
        rb, data = _RB_RE.search(body), _DATA_RE.search(body)
        if rb and data and int(rb.group(1)) in ERROR_ENUMS:
            enum, variants = ERROR_ENUMS[int(rb.group(1))]
            short = enum.rsplit("::", 1)[-1]
            hex_data = data.group(1) or data.group(2) or ""
            if len(hex_data) >= 16:
                index = int(hex_data[:16], 16)
                if index < len(variants):
                    return _describe(f"{short}::{variants[index]}")
                return f"{short}::<unknown variant {index}>"
    for match in reverts:
        code = int(match.group(1) or match.group(2))
        if code in REVERT_SIGNALS:
            return f"{REVERT_SIGNALS[code]} (no error variant in the receipts)"
    return None


_REVERT_WORDS = ("Revert", "revert", "Panic", "LogResult", "LogData")


def _looks_onchain(message: str, reason: str | None, receipts: Any) -> bool:
    if receipts is not None:
        return True
    return any(w in (reason or "") or w in message for w in _REVERT_WORDS)


class _ErrorBody(msgspec.Struct):
    code: int | None = None
    message: str | None = None
    error: str | None = None
    reason: str | None = None
    receipts: Any = None
    tx_id: str | None = None


def error_from_body(status: int, body: bytes, retry_after: float | None = None) -> O2Error | None:
    """Turn an HTTP reply into the matching exception, or None if it is a success.

    Handles structured errors (``code`` + ``message``), on-chain reverts (``message`` +
    ``reason`` [+ ``receipts``], sometimes wrapped as code 1000), HTTP 429, and bodies
    that are not JSON at all.
    """
    try:
        data = msgspec.json.decode(body, type=_ErrorBody, strict=False) if body else _ErrorBody()
    except msgspec.DecodeError:
        if status < 400:
            return None
        text = body[:200].decode("utf-8", "replace")
        if status == 429:
            err: O2Error = RateLimitExceeded(f"HTTP 429: {text}", code=1003)
            err.retry_after = retry_after  # type: ignore[attr-defined]
            return err
        return ProtocolError(f"HTTP {status} with a non-JSON body: {text!r}")
    if data.tx_id is not None:
        return None
    if status < 400 and data.code is None and data.reason is None and data.receipts is None:
        return None
    message = data.message or data.error or f"HTTP {status}"
    code = data.code
    if status == 429 and code is None:
        code = 1003
    raw_reason = data.reason
    if code is None or (code == 1000 and _looks_onchain(message, raw_reason, data.receipts)):
        if code is None and not _looks_onchain(message, raw_reason, data.receipts):
            return O2Error(message)
        context = f"{message}\n{raw_reason or ''}\n{_receipts_text(data.receipts)}"
        decoded = decode_revert_reason(context)
        return OnChainRevert(
            message,
            code=code,
            reason=decoded or raw_reason or message,
            receipts=data.receipts,
            raw_reason=raw_reason,
        )
    cls = ERROR_CODES.get(code, O2Error)
    error = cls(message, code=code, reason=raw_reason, receipts=data.receipts)
    if isinstance(error, RateLimitExceeded):
        error.retry_after = retry_after
    return error


def _receipts_text(receipts: Any) -> str:
    if receipts is None:
        return ""
    if isinstance(receipts, str):
        return receipts
    try:
        return msgspec.json.encode(receipts).decode()
    except (TypeError, msgspec.EncodeError):
        return repr(receipts)
