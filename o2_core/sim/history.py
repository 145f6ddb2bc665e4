"""What the exchange remembers of the past: trades and closed orders, bounded per market.

Committed trades are appended to their market's and both accounts' histories; closed
orders are queued per market in the order they closed. With
``SimConfig.history_limit`` set, the oldest trades and closed orders beyond that many
per market are forgotten (reads then answer "not found" for them), in batches of a tenth
of the limit so that forgetting costs O(1) per order on average. Open orders are never
forgotten. This is what keeps a long-running simulator's memory flat.
"""

from __future__ import annotations

from collections import Counter

from .state import Account, Ledger, MarketState, Order, Tx


def remember(ledger: Ledger, tx: Tx) -> None:
    """Record a committed transaction's trades and newly closed orders."""
    for trade in tx.trades:
        market = trade.market
        market.trade_index[trade.trade_id] = market.trades_forgotten + len(market.trades)
        market.trades.append(trade)
        market.trade_ts.append(trade.timestamp_ms)
        trade.maker.trades.setdefault(market.market_id, []).append(trade)
        if trade.taker is not trade.maker:
            trade.taker.trades.setdefault(market.market_id, []).append(trade)
    for order in tx.touched_orders.values():
        if order.close:
            order.market.closed_orders.append(order)


def trade_position(market: MarketState, trade_id: str) -> int | None:
    """Where a remembered trade is in ``market.trades`` (None if unknown or forgotten)."""
    index = market.trade_index.get(trade_id)
    return None if index is None else index - market.trades_forgotten


def forget_oldest(ledger: Ledger) -> None:
    """Forget trades and closed orders beyond ``history_limit`` per market."""
    limit = ledger.config.history_limit
    if limit is None:
        return
    slack = max(1, limit // 10)
    for market in ledger.markets.values():
        if len(market.trades) > limit + slack:
            _forget_trades(market, len(market.trades) - limit)
        if len(market.closed_orders) > limit + slack:
            _forget_orders(ledger, market, len(market.closed_orders) - limit)


def _forget_trades(market: MarketState, count: int) -> None:
    dropped = market.trades[:count]
    del market.trades[:count]
    del market.trade_ts[:count]
    market.trades_forgotten += count
    per_account: Counter[Account] = Counter()
    for trade in dropped:
        del market.trade_index[trade.trade_id]
        per_account[trade.maker] += 1
        if trade.taker is not trade.maker:
            per_account[trade.taker] += 1
    for account, n in per_account.items():  # an account's oldest trades are the oldest
        del account.trades[market.market_id][:n]


def _forget_orders(ledger: Ledger, market: MarketState, count: int) -> None:
    gone: set[Order] = set()
    for _ in range(count):
        order = market.closed_orders.popleft()
        ledger.orders.pop(order.order_id, None)
        gone.add(order)
    for account in {order.account for order in gone}:
        history = account.orders.get(market.market_id)
        if history is not None:
            history[:] = [order for order in history if order not in gone]
