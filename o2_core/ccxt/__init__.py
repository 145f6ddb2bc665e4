"""o2-sdk's ``o2_sdk.ccxt`` import path: our ccxt adapter under the name o2-sdk gives it.

``from o2_sdk.ccxt import O2CCXT`` keeps working once ``o2_sdk`` is renamed ``o2_core``.
Everything here is the adapter package :mod:`o2_ccxt` (``O2CCXT``, its errors,
``map_o2_error``), re-exported unchanged; the submodules ``errors``, ``exchange``,
``parsers`` and ``types`` mirror o2-sdk's the same way.

It needs the optional ccxt dependency: ``pip install 'o2-sansio[ccxt]'``.

This package is the one deliberate exception to "the core imports no adapter"
(``tests/test_boundary.py`` names it): it is only an alias, nothing else in ``o2_core``
imports it, and ``import o2_core`` never loads it (nor ccxt).
"""

from __future__ import annotations

try:
    import ccxt  # noqa: F401  (only to say what is missing, once, clearly)
except ImportError as _missing:
    raise ImportError(
        "o2_core.ccxt needs the optional ccxt dependency: pip install 'o2-sansio[ccxt]'",
        name="ccxt",
    ) from _missing

from o2_ccxt import (
    O2CCXT,
    ArgumentsRequired,
    AuthenticationError,
    BadRequest,
    BadSymbol,
    BaseError,
    ExchangeClosedByUser,
    ExchangeError,
    InsufficientFunds,
    InvalidOrder,
    NetworkError,
    NotSupported,
    O2AmbiguousSubmission,
    OperationFailed,
    OrderNotFound,
    RateLimitExceeded,
    UnsubscribeError,
    map_o2_error,
)

__all__ = [
    "O2CCXT",
    "ArgumentsRequired",
    "AuthenticationError",
    "BadRequest",
    "BadSymbol",
    "BaseError",
    "ExchangeClosedByUser",
    "ExchangeError",
    "InsufficientFunds",
    "InvalidOrder",
    "NetworkError",
    "NotSupported",
    "O2AmbiguousSubmission",
    "OperationFailed",
    "OrderNotFound",
    "RateLimitExceeded",
    "UnsubscribeError",
    "map_o2_error",
]
