"""What the engine's reads sum up: an account's funds of one asset, a market's ticker.

Plain records computed from the ledger on demand (nothing here is stored or changed):
:class:`Balance` (the trading account plus the locked and unlocked funds in each order
book, :class:`BookFunds`) and :class:`Ticker` (a market's best levels and its statistics
over the last 24 hours of remembered trades). :class:`~.engine.Engine` answers
``balance`` and ``ticker`` with them; :mod:`.views` renders them as JSON.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from .state import Account, Ledger, MarketState

_DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class BookFunds:
    """An account's funds of one asset inside one order book."""

    contract_id: str
    locked: int
    unlocked: int
    fee: int


@dataclass(frozen=True, slots=True)
class Balance:
    """An account's funds of one asset: trading account, and totals over its books."""

    trading: int
    total_locked: int
    total_unlocked: int
    books: tuple[BookFunds, ...]


@dataclass(frozen=True, slots=True)
class Ticker:
    """A market's best levels and its statistics over the last 24 hours.

    ``high``/``low``/``open``/``close`` are None without trades in the window;
    ``previous_close`` is the last price before the window (None if none).
    """

    market: MarketState
    now_ms: int
    bid: int | None
    bid_volume: int | None
    ask: int | None
    ask_volume: int | None
    last: int | None
    previous_close: int | None
    high: int | None
    low: int | None
    open: int | None
    close: int | None
    base_volume: int
    quote_volume: int


def balance(ledger: Ledger, account: Account, asset: str) -> Balance:
    """An account's funds of ``asset`` (books of markets not trading it are left out)."""
    trading_balance = account.balances.get(asset, 0)
    total_locked = 0
    total_unlocked = trading_balance
    books: list[BookFunds] = []
    for contract, bb in account.books.items():
        market = ledger.markets_by_contract[contract]
        if asset not in (market.base_asset, market.quote_asset):
            continue
        locked = bb.locked.get(asset, 0)
        unlocked = bb.unlocked.get(asset, 0)
        total_locked += locked
        total_unlocked += unlocked
        books.append(BookFunds(contract, locked, unlocked, bb.fee.get(asset, 0)))
    return Balance(trading_balance, total_locked, total_unlocked, tuple(books))


def ticker(market: MarketState, now: float) -> Ticker:
    """A market's best levels and 24-hour statistics at ``now``."""
    now_ms = int(now * 1000)
    start = bisect.bisect_left(market.trade_ts, now_ms - _DAY_MS)
    window = market.trades[start:]
    bid_level = market.bids.best_level()
    ask_level = market.asks.best_level()
    prices = [t.price for t in window]
    return Ticker(
        market=market,
        now_ms=now_ms,
        bid=bid_level.price if bid_level else None,
        bid_volume=bid_level.total if bid_level else None,
        ask=ask_level.price if ask_level else None,
        ask_volume=ask_level.total if ask_level else None,
        last=market.trades[-1].price if market.trades else None,
        previous_close=market.trades[start - 1].price if start > 0 else None,
        high=max(prices) if prices else None,
        low=min(prices) if prices else None,
        open=prices[0] if prices else None,
        close=prices[-1] if prices else None,
        base_volume=sum(t.quantity for t in window),
        quote_volume=sum(t.total for t in window),
    )
