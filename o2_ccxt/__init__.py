"""O2 Exchange as a ccxt exchange: ``O2CCXT`` (REST and ccxt pro style ``watch_*``).

Install with the ``ccxt`` extra (``pip install 'o2-sansio[ccxt]'``). ``o2_core`` never
imports this package.
"""

from o2_core import __version__ as __version__

from .errors import (
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
from .exchange import O2CCXT

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
