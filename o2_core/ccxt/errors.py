"""o2-sdk's ``o2_sdk.ccxt.errors``: the errors of :mod:`o2_ccxt.errors`, unchanged."""

from __future__ import annotations

from o2_ccxt.errors import (
    ArgumentsRequired,
    AuthenticationError,
    BadRequest,
    BadSymbol,
    BaseError,
    ErrorContext,
    ExchangeError,
    InsufficientFunds,
    InvalidOrder,
    NetworkError,
    NotSupported,
    O2AmbiguousSubmission,
    OperationFailed,
    OrderNotFound,
    RateLimitExceeded,
    map_o2_error,
)

__all__ = [
    "ArgumentsRequired",
    "AuthenticationError",
    "BadRequest",
    "BadSymbol",
    "BaseError",
    "ErrorContext",
    "ExchangeError",
    "InsufficientFunds",
    "InvalidOrder",
    "NetworkError",
    "NotSupported",
    "O2AmbiguousSubmission",
    "OperationFailed",
    "OrderNotFound",
    "RateLimitExceeded",
    "map_o2_error",
]
