"""O2 failures as ccxt's exception classes: by class first, by text second.

``map_o2_error(error, context)`` returns a ccxt error whose ``original_error`` is the
native failure (also its ``__cause__``). ``context`` is ``"read"`` for lookups and
``"private_submission"`` for anything that signs and sends; a submission whose outcome
cannot be known becomes :class:`O2AmbiguousSubmission`, never something retryable.

=====================================================  ====================================
O2 failure (``o2_core.errors``)                        ccxt error
=====================================================  ====================================
``UnknownSubmissionOutcome``                           ``O2AmbiguousSubmission``
``ProtocolError`` while submitting                     ``O2AmbiguousSubmission``
``ProtocolError`` on a read                            ``BadResponse``
``RequestTimeout``                                     ``RequestTimeout``
other ``TransportError`` (only reads raise it)         ``NetworkError``
``RateLimitExceeded``                                  ``RateLimitExceeded``
``InvalidSignature``/``InvalidSession``/
``AccountNotFound``/``SessionExpired``                 ``AuthenticationError``
``WhitelistNotConfigured``                             ``PermissionDenied``
``GeoRestricted``                                      ``RestrictedLocation``
``MarketNotFound``                                     ``BadSymbol``
``MarketPaused``                                       ``MarketClosed``
``OrderNotFound``/``OrderNotActive``                   ``OrderNotFound``
``InvalidOrderParams``/``InvalidAmount``/
``OrderRuleError``                                     ``InvalidOrder``
a market outside the session (``InvalidInput``)      ``PermissionDenied``
request-shape codes (1001, 1002, 5001, 7001-7004),
``SubscriptionConflict``, other ``InvalidInput``       ``BadRequest``
``OnChainRevert`` by reason: NotEnoughBalance,
InvalidInputAmount                                     ``InsufficientFunds``
  OrderNotFilled (Fill-or-Kill)                        ``OrderNotFillable``
  OrderPartiallyFilled (PostOnly would cross)          ``OrderImmediatelyFillable``
  session and signer errors                            ``AuthenticationError``
  TraderNotWhiteListed/TraderBlackListed               ``PermissionDenied``
  InvalidNonce                                         ``InvalidNonce``
  Paused                                               ``MarketClosed``
  order not found / already closed                     ``OrderNotFound``
  anything else                                        ``InvalidOrder``
``SlowConsumerError``                                  ``NetworkError``
a closed client (``UsageError``)                       ``ExchangeClosedByUser``
a bare ``O2Error`` or a foreign exception: a network
cause or text (submitting / reading)                   ``O2AmbiguousSubmission`` /
                                                       ``NetworkError``
  "not enough balance", "insufficient funds"           ``InsufficientFunds``
  min_order, PricePrecision, FractionalPrice ...       ``InvalidOrder`` (or a subclass)
anything else                                          ``ExchangeError``
=====================================================  ====================================
"""

from __future__ import annotations

import asyncio
import re
from typing import Literal

from ccxt.base.errors import (
    ArgumentsRequired,
    AuthenticationError,
    BadRequest,
    BadResponse,
    BadSymbol,
    BaseError,
    ExchangeClosedByUser,
    ExchangeError,
    InsufficientFunds,
    InvalidNonce,
    InvalidOrder,
    MarketClosed,
    NetworkError,
    NotSupported,
    OperationFailed,
    OrderImmediatelyFillable,
    OrderNotFillable,
    OrderNotFound,
    PermissionDenied,
    RateLimitExceeded,
    RequestTimeout,
    RestrictedLocation,
    UnsubscribeError,
)

from o2_core import errors as o2

ErrorContext = Literal["read", "private_submission"]


class O2AmbiguousSubmission(OperationFailed):
    """A signed submission may have executed, but no usable reply came back.

    It was not retried. Reconcile orders, balances and the account nonce before
    submitting again.

    Args:
        message: what happened.
        original_error: the native failure.
        transaction_id: the transaction id, when the exchange reported one.
        nonce: the nonce the submission was signed with, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        original_error: object | None = None,
        transaction_id: str | None = None,
        nonce: str | None = None,
    ) -> None:
        super().__init__(message)
        self.original_error = original_error
        self.transaction_id = transaction_id
        self.nonce = nonce
        if isinstance(original_error, BaseException):
            self.__cause__ = original_error


_AMBIGUOUS_TEXT = (
    "O2 submission outcome is unknown; it was not retried. Reconcile orders, balances and "
    "the account nonce before submitting again."
)

_NETWORK_TYPES: tuple[type[BaseException], ...] = (
    asyncio.TimeoutError,
    TimeoutError,
    ConnectionError,
    OSError,
)
_NETWORK_TEXT = re.compile(
    r"network|fetch failed|socket|connect(?:ion|ed|ing)?\b|disconnect|response (?:was )?lost|"
    r"broken pipe|connection reset|dns|name resolution|temporary failure|timed? ?out|"
    r"remote host",
    re.IGNORECASE,
)
_FUNDS_TEXT = re.compile(r"not.?enough.?balance|insufficient.?funds", re.IGNORECASE)
_FOK_TEXT = re.compile(r"OrderNotFilled|Fill.?Or.?Kill order", re.IGNORECASE)
_POST_ONLY_TEXT = re.compile(r"OrderPartiallyFilled|Post.?Only order", re.IGNORECASE)
_INVALID_ORDER_TEXT = re.compile(
    r"min_order|order value below|invalid (?:order|price|quantity)|PricePrecision|"
    r"FractionalPrice|InvalidOrderArgs|InvalidMarketOrder|PriceExceedsRange",
    re.IGNORECASE,
)
_SESSION_SCOPE_TEXT = re.compile(r"not in this session")
_REVERT_RULES: tuple[tuple[re.Pattern[str], type[BaseError]], ...] = (
    (re.compile(r"NotEnoughBalance|InvalidInputAmount|insufficient", re.IGNORECASE),
     InsufficientFunds),
    (_FOK_TEXT, OrderNotFillable),
    (_POST_ONLY_TEXT, OrderImmediatelyFillable),
    (re.compile(r"TraderNotWhiteListed|TraderBlackListed|TraderNotWhitelisted"),
     PermissionDenied),
    (re.compile(r"SessionInThePast|NoApprovedContractIds|InvalidSigner|SignatureError|"
                r"InvalidCaller|NotOwner\b|ProxyOwnerIsContract"), AuthenticationError),
    (re.compile(r"InvalidNonce"), InvalidNonce),
    (re.compile(r"PauseError|::Paused"), MarketClosed),
    (re.compile(r"order \S+ (?:not found|is already closed)", re.IGNORECASE), OrderNotFound),
)

_BY_CLASS: tuple[tuple[type[o2.O2Error], type[BaseError]], ...] = (
    (o2.RateLimitExceeded, RateLimitExceeded),
    (o2.InvalidSignature, AuthenticationError),
    (o2.InvalidSession, AuthenticationError),
    (o2.AccountNotFound, AuthenticationError),
    (o2.SessionExpired, AuthenticationError),
    (o2.WhitelistNotConfigured, PermissionDenied),
    (o2.GeoRestricted, RestrictedLocation),
    (o2.MarketNotFound, BadSymbol),
    (o2.MarketPaused, MarketClosed),
    (o2.OrderNotFound, OrderNotFound),
    (o2.OrderNotActive, OrderNotFound),
    (o2.InvalidOrderParams, InvalidOrder),
    (o2.InvalidAmount, InvalidOrder),
    (o2.OrderRuleError, InvalidOrder),
    (o2.InvalidRequest, BadRequest),
    (o2.ParseError, BadRequest),
    (o2.InvalidTradeCount, BadRequest),
    (o2.InvalidTimeRange, BadRequest),
    (o2.InvalidPagination, BadRequest),
    (o2.NoActionsProvided, BadRequest),
    (o2.TooManyActions, BadRequest),
    (o2.SubscriptionConflict, BadRequest),
    (o2.InvalidInput, BadRequest),
    (o2.SlowConsumerError, NetworkError),
    (o2.RequestTimeout, RequestTimeout),
)


def _with_original(error: BaseError, original: object) -> BaseError:
    error.original_error = original
    if isinstance(original, BaseException):
        error.__cause__ = original
    return error


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and its causes/contexts, each once."""
    seen: set[int] = set()
    out: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        out.append(current)
        current = current.__cause__ or current.__context__
    return out


def _looks_like_network(error: BaseException) -> bool:
    for link in _chain(error):
        if isinstance(link, (o2.TransportError, *_NETWORK_TYPES)):
            return True
        if _is_foreign_network_error(link) or _NETWORK_TEXT.search(str(link)):
            return True
    return False


def _is_foreign_network_error(error: BaseException) -> bool:
    """aiohttp/httpx client errors, recognised by their module without importing them."""
    module = type(error).__module__
    return module.startswith(("aiohttp", "httpx", "httpcore", "websockets")) and not isinstance(
        error, o2.O2Error
    )


def _error_text(error: BaseException) -> str:
    if isinstance(error, o2.O2Error):
        return f"{error.reason or ''} {error.raw_reason or ''} {error.message}"
    return str(error)


_TEXT_RULES: tuple[tuple[re.Pattern[str], type[BaseError]], ...] = (
    (_FUNDS_TEXT, InsufficientFunds),
    (_FOK_TEXT, OrderNotFillable),
    (_POST_ONLY_TEXT, OrderImmediatelyFillable),
    (_INVALID_ORDER_TEXT, InvalidOrder),
)


def _by_text(error: BaseException, default: type[BaseError]) -> type[BaseError]:
    text = _error_text(error)
    return next((cls for pattern, cls in _TEXT_RULES if pattern.search(text)), default)


def _revert_class(error: o2.OnChainRevert) -> type[BaseError]:
    text = _error_text(error)
    for pattern, cls in _REVERT_RULES:
        if pattern.search(text):
            return cls
    return _by_text(error, InvalidOrder)


def map_o2_error(error: object, context: ErrorContext = "read") -> BaseError:
    """The ccxt error for an O2 failure, keeping the native one as ``original_error``.

    Args:
        error: what the O2 client (or anything under it) raised.
        context: ``"read"`` or ``"private_submission"`` (anything signed and sent).

    Returns:
        A ``ccxt.base.errors.BaseError`` (``error`` itself when it already is one).
    """
    if isinstance(error, BaseError):
        return error
    if not isinstance(error, BaseException):
        return _with_original(ExchangeError("Unknown O2 error"), error)
    message = str(error) or type(error).__name__
    private = context == "private_submission"
    if isinstance(error, o2.UnknownSubmissionOutcome):
        return O2AmbiguousSubmission(_AMBIGUOUS_TEXT, original_error=error)
    if isinstance(error, o2.ProtocolError):
        if private:
            return O2AmbiguousSubmission(_AMBIGUOUS_TEXT, original_error=error)
        return _with_original(BadResponse(message), error)
    if isinstance(error, o2.OnChainRevert):  # before ApiError: InternalRevert is both
        return _with_original(_revert_class(error)(message), error)
    if isinstance(error, o2.InvalidInput) and _SESSION_SCOPE_TEXT.search(message):
        return _with_original(PermissionDenied(message), error)
    for native, mapped in _BY_CLASS:
        if isinstance(error, native):
            return _with_original(mapped(message), error)
    if isinstance(error, o2.TransportError):  # never a submission: those are Unknown...
        return _with_original(NetworkError(message), error)
    if isinstance(error, o2.UsageError):
        closed = "closed" in message
        cls: type[BaseError] = ExchangeClosedByUser if closed else ExchangeError
        return _with_original(cls(message), error)
    if isinstance(error, o2.ApiError):  # the remaining codes: text, then ExchangeError
        return _with_original(_by_text(error, ExchangeError)(message), error)
    # a bare O2Error, or something foreign that leaked from below the client
    if _looks_like_network(error):
        if private:
            return O2AmbiguousSubmission(_AMBIGUOUS_TEXT, original_error=error)
        return _with_original(NetworkError(message), error)
    return _with_original(_by_text(error, ExchangeError)(message), error)


__all__ = [
    "ArgumentsRequired",
    "AuthenticationError",
    "BadRequest",
    "BadResponse",
    "BadSymbol",
    "BaseError",
    "ErrorContext",
    "ExchangeClosedByUser",
    "ExchangeError",
    "InsufficientFunds",
    "InvalidNonce",
    "InvalidOrder",
    "MarketClosed",
    "NetworkError",
    "NotSupported",
    "O2AmbiguousSubmission",
    "OperationFailed",
    "OrderImmediatelyFillable",
    "OrderNotFillable",
    "OrderNotFound",
    "PermissionDenied",
    "RateLimitExceeded",
    "RequestTimeout",
    "RestrictedLocation",
    "UnsubscribeError",
    "map_o2_error",
]
