"""Server frames as the exchange sends them, for the stream tests."""

from __future__ import annotations

import json
from typing import Any

MX = "0x" + "aa" * 32
MY = "0x" + "bb" * 32
A = "0x" + "a1" * 32
B = "0x" + "b2" * 32
OWNER_A = "0x" + "0a" * 32


def dumps(obj: Any) -> str:
    return json.dumps(obj)


def depth_snapshot(market: str, bids: list[tuple[Any, Any]], asks: list[tuple[Any, Any]],
                   key: str = "view") -> str:
    return dumps({
        "action": "subscribe_depth",
        "market_id": market,
        key: {
            "buys": [{"price": p, "quantity": q} for p, q in bids],
            "sells": [{"price": p, "quantity": q} for p, q in asks],
        },
        "onchain_timestamp": "1700000000",
        "seen_timestamp": 1700000001,
    })


def depth_update(market: str, bids: list[tuple[Any, Any]], asks: list[tuple[Any, Any]]) -> str:
    return dumps({
        "action": "subscribe_depth_update",
        "market_id": market,
        "changes": {
            "buys": [{"price": p, "quantity": q} for p, q in bids],
            "sells": [{"price": p, "quantity": q} for p, q in asks],
        },
    })


def order(oid: str, account: str | None = None, owner: str | None = None,
          **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"order_id": oid, "side": "Buy", "quantity": "100",
                           "quantity_fill": 40, "price": "5000", "close": False, **extra}
    if account is not None:
        out["account"] = {"ContractId": account}
    if owner is not None:
        out["owner"] = {"Address": owner}
    return out


def orders_frame(*orders: dict[str, Any]) -> str:
    return dumps({"action": "subscribe_orders", "orders": list(orders),
                  "onchain_timestamp": "5", "seen_timestamp": "6"})


def trades_frame(market: str, n: int = 1) -> str:
    return dumps({
        "action": "subscribe_trades", "market_id": market,
        "trades": [{"trade_id": str(i), "side": "Sell", "total": "500", "quantity": 10,
                    "price": "50", "timestamp": "1700000000123"} for i in range(n)],
    })


def balance_entry(ident: str | None, asset: str = "0x" + "cc" * 32) -> dict[str, Any]:
    out: dict[str, Any] = {"asset_id": asset, "trading_account_balance": "10",
                           "total_locked": 5, "total_unlocked": "15",
                           "order_books": {MX: {"locked": "5", "unlocked": 0}}}
    if ident is not None:
        out["identity"] = {"ContractId": ident}
    return out


def balances_frame(*entries: dict[str, Any]) -> str:
    return dumps({"action": "subscribe_balances", "balance": list(entries)})


def nonce_frame(account: str, nonce: Any) -> str:
    return dumps({"action": "subscribe_nonce", "contract_id": account, "nonce": nonce})
