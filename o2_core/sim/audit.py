"""Inspection of the engine's state for tests: invariants, totals, and a plain snapshot."""

from __future__ import annotations

from typing import Any

from .nonces import LANES, SLIDE_WORDS, WINDOW_WORDS
from .state import Ledger, MarketState


def book_levels(market: MarketState) -> dict[str, list[tuple[int, int]]]:
    """Exact price levels of a market, best first: ``{"buys": [(p, q)], "sells": ...}``."""
    return {"buys": market.bids.depth(1), "sells": market.asks.depth(1)}


def account_balances(ledger: Ledger, trade_account_id: str) -> dict[str, dict[str, int]]:
    """Per asset: trading, locked and unlocked (summed over books) of an account."""
    account = ledger.accounts[trade_account_id]
    out: dict[str, dict[str, int]] = {}
    for asset in ledger.assets:
        entry = {"trading": account.balances.get(asset, 0), "locked": 0, "unlocked": 0}
        for bb in account.books.values():
            entry["locked"] += bb.locked.get(asset, 0)
            entry["unlocked"] += bb.unlocked.get(asset, 0)
        out[asset] = entry
    return out


def asset_totals(ledger: Ledger, asset: str) -> dict[str, int]:
    """Where every unit of an asset is: must add up to ``minted``."""
    totals = {
        "minted": ledger.minted.get(asset, 0),
        "trading": 0,
        "locked": 0,
        "unlocked": 0,
        "fees": sum(mk.fee_pool.get(asset, 0) for mk in ledger.markets.values()),
        "wallets": sum(w.get(asset, 0) for w in ledger.wallets.values()),
        "withdrawn": ledger.withdrawn.get(asset, 0),
    }
    for account in ledger.accounts.values():
        totals["trading"] += account.balances.get(asset, 0)
        for bb in account.books.values():
            totals["locked"] += bb.locked.get(asset, 0)
            totals["unlocked"] += bb.unlocked.get(asset, 0)
    return totals


def check_invariants(ledger: Ledger) -> None:
    """Raise AssertionError if the state is inconsistent.

    Checks: no asset created or lost; no negative balance; every book uncrossed;
    level totals equal their open orders; locked funds equal open orders' locks; every
    parallel-nonce window holds each word in its slot (``word % 8``), bitmaps of 128 bits
    and no word above its top, its base a multiple of the slide step.
    """
    for asset in ledger.assets:
        t = asset_totals(ledger, asset)
        held = t["trading"] + t["locked"] + t["unlocked"] + t["fees"] + t["wallets"]
        assert held == t["minted"], f"asset {asset} not conserved: {t}"
    locks: dict[tuple[str, str, str], int] = {}
    for market in ledger.markets.values():
        bid, ask = market.bids.best(), market.asks.best()
        assert bid is None or ask is None or bid < ask, f"{market.pair} crossed: {bid} >= {ask}"
        for side in (market.bids, market.asks):
            assert side.prices == sorted(side.levels), "price index out of sync"
            for level in side.levels.values():
                live = [o for o in level.orders if o.resting and not o.close]
                assert level.total == sum(o.remaining for o in live) > 0, "bad level total"
                assert all(o.price == level.price for o in live)
                assert all(o.is_buy == side.is_bid for o in live)
    for order in ledger.orders.values():
        assert order.filled <= order.quantity and order.locked >= 0
        if order.close:
            assert order.locked == 0 and not order.resting
        else:
            assert order.resting, f"open order {order} is not on the book"
            market = order.market
            asset = market.quote_asset if order.is_buy else market.base_asset
            key = (order.account.trade_account_id, market.contract_id, asset)
            locks[key] = locks.get(key, 0) + order.locked
            if order.is_buy:
                need = order.price * order.remaining // market.base_factor
                assert order.locked >= need, f"buy {order} under-collateralised"
            else:
                assert order.locked == order.remaining
    for account in ledger.accounts.values():
        for lane, window in account.windows.items():
            assert 0 <= lane < LANES and window.base % SLIDE_WORDS == 0, (lane, window.base)
            assert 0 <= window.shown <= WINDOW_WORDS
            for index, (word, bitmap) in enumerate(window.slots):
                assert word % WINDOW_WORDS == index and 0 <= bitmap < 1 << 128
                assert word < window.base + WINDOW_WORDS, "a slot above the window"
        assert all(v >= 0 for v in account.balances.values()), "negative balance"
        for contract, bb in account.books.items():
            for asset, amount in bb.locked.items():
                key = (account.trade_account_id, contract, asset)
                assert amount == locks.get(key, 0), f"locked mismatch {key}"
            assert all(v >= 0 for v in bb.unlocked.values()), "negative unlocked"


def snapshot(ledger: Ledger) -> dict[str, Any]:
    """The whole observable state as plain data (equal snapshots = same state)."""
    return {
        "accounts": {
            aid: {
                "nonce": a.nonce,
                "session": None
                if a.session is None
                else (a.session.address, a.session.expiry, a.session.contract_ids),
                "balances": dict(sorted((k, v) for k, v in a.balances.items() if v)),
                "books": {
                    c: (
                        {k: v for k, v in bb.locked.items() if v},
                        {k: v for k, v in bb.unlocked.items() if v},
                        {k: v for k, v in bb.fee.items() if v},
                    )
                    for c, bb in a.books.items()
                },
                "referer": a.referer,
                "legacy": a.legacy,
                "windows": {lane: w.state() for lane, w in sorted(a.windows.items())},
                "orders": {k: [o.order_id for o in v] for k, v in a.orders.items() if v},
            }
            for aid, a in ledger.accounts.items()
        },
        "orders": {
            oid: (o.filled, o.locked, o.close, o.cancel, o.resting)
            for oid, o in ledger.orders.items()
        },
        "books": {mid: book_levels(mk) for mid, mk in ledger.markets.items()},
        "trades": {mid: len(mk.trades) for mid, mk in ledger.markets.items()},
        "fees": {mid: dict(mk.fee_pool) for mid, mk in ledger.markets.items()},
        "minted": dict(ledger.minted),
        "wallets": {k: dict(v) for k, v in ledger.wallets.items()},
        "withdrawn": dict(ledger.withdrawn),
        "whitelist": sorted(ledger.whitelist),
    }
