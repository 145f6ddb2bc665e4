"""ccxt's own structure validators (``ccxt.test.exchange.base``), wrapped for our tests.

Imported under other names so pytest does not collect ccxt's ``test_*`` functions.
"""

from __future__ import annotations

from typing import Any

from ccxt.test.exchange.base import test_balance as _balance
from ccxt.test.exchange.base import test_deposit_withdrawal as _withdrawal
from ccxt.test.exchange.base import test_market as _market
from ccxt.test.exchange.base import test_ohlcv as _ohlcv
from ccxt.test.exchange.base import test_order as _order
from ccxt.test.exchange.base import test_order_book as _order_book
from ccxt.test.exchange.base import test_ticker as _ticker
from ccxt.test.exchange.base import test_trade as _trade


def check_market(exchange: Any, market: dict[str, Any]) -> None:
    """ccxt's market validator."""
    _market(exchange, {}, "fetchMarkets", market)


def check_order_book(exchange: Any, method: str, book: Any, symbol: str) -> None:
    """ccxt's order-book validator (sorted sides, positive levels, bid < ask)."""
    _order_book(exchange, {}, method, book, symbol)


def check_ticker(exchange: Any, method: str, ticker: dict[str, Any], symbol: str) -> None:
    """ccxt's ticker validator (incl. last == close and the 24h consistency checks)."""
    _ticker(exchange, {}, method, ticker, symbol)


def check_trade(
    exchange: Any,
    method: str,
    trade: dict[str, Any],
    symbol: str | None,
    public: bool,
    unknown: dict[str, bool] | None = None,
) -> None:
    """ccxt's trade validator (``unknown``: properties it must skip)."""
    _trade(exchange, unknown or {}, method, trade, symbol, exchange.milliseconds(), public)


def check_ohlcv(exchange: Any, candle: list[Any], symbol: str) -> None:
    """ccxt's candle validator (minute-aligned, open/close within high/low)."""
    _ohlcv(exchange, {}, "fetchOHLCV", candle, symbol, exchange.milliseconds())


def check_balance(exchange: Any, method: str, balance: dict[str, Any]) -> None:
    """ccxt's balance validator (free + used == total, exactly)."""
    _balance(exchange, {}, method, balance)


def check_order(exchange: Any, method: str, order: dict[str, Any], symbol: str | None) -> None:
    """ccxt's order validator."""
    _order(exchange, {}, method, order, symbol, exchange.milliseconds())


#: The withdrawal fields O2 cannot fill (as in the official adapter): no network code,
#: no fee schedule, no update time.
WITHDRAWAL_UNKNOWN = {"network": True, "fee": True, "updated": True}


def check_withdrawal(exchange: Any, transaction: dict[str, Any], code: str) -> None:
    """ccxt's deposit/withdrawal validator, minus :data:`WITHDRAWAL_UNKNOWN`."""
    _withdrawal(
        exchange, WITHDRAWAL_UNKNOWN, "withdraw", transaction, code, exchange.milliseconds()
    )
