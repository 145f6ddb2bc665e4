"""The exchange's WebSocket side as pure state (PROTOCOL.md §6).

A :class:`WsConnection` is a subscription set plus an outbox of JSON text frames. The
adapter (in-memory transport, HTTP server) feeds client frames to
``Exchange.ws_receive`` and sends whatever appears in ``outbox``; ``on_ready`` (set by
the adapter, optional) is called after frames were added or the connection was closed.

Streams: ``subscribe_depth`` answers with a snapshot (``view``) at once, then every
committed change sends ``subscribe_depth_update`` whose levels carry the new total in
their bucket (``"0"`` removes the level); with ``SimConfig.depth_updates = "delta"``
they carry the signed change instead (what o2-sdk 0.5.0 documents). Only buckets whose
quantity changed since the connection's last frame are sent. Orders, trades, balances
and nonce frames are pushed on change only; they have no initial snapshot (read REST
for the current state).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from .book import Order, Tx, order_json, trade_json

if TYPE_CHECKING:
    from .engine import Exchange, MarketState

_encoder = msgspec.json.Encoder()


def _encode(value: Any) -> str:
    return _encoder.encode(value).decode()


class WsConnection:
    """One WebSocket connection's state: subscriptions and pending outgoing frames."""

    __slots__ = (
        "balances",
        "closed",
        "depth",
        "depth_view",
        "id",
        "nonce",
        "on_ready",
        "orders",
        "outbox",
        "trades",
    )

    def __init__(self, conn_id: int) -> None:
        self.id = conn_id
        self.outbox: deque[str] = deque()
        self.on_ready: Callable[[], None] | None = None
        self.closed = False
        self.depth: dict[str, int] = {}
        self.depth_view: dict[str, dict[tuple[bool, int], int]] = {}
        self.orders: set[str] = set()
        self.trades: set[str] = set()
        self.balances: set[str] = set()
        self.nonce: set[str] = set()

    @property
    def subscription_count(self) -> int:
        """How many subscriptions the connection holds."""
        return (
            len(self.depth)
            + len(self.orders)
            + len(self.trades)
            + len(self.balances)
            + len(self.nonce)
        )

    def send(self, frames: list[str]) -> None:
        """Queue frames and wake the adapter."""
        if self.closed or not frames:
            return
        self.outbox.extend(frames)
        self._wake()

    def _wake(self) -> None:
        if self.on_ready is not None:
            self.on_ready()

    def __repr__(self) -> str:
        return f"WsConnection(id={self.id}, closed={self.closed}, pending={len(self.outbox)})"


class _Reject(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class WsHub:
    """Every WebSocket connection of one exchange, and the frames they receive."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self.conns: dict[int, WsConnection] = {}
        self._next_id = 0

    # --- lifecycle -------------------------------------------------------------------

    def connect(self) -> WsConnection:
        """A new connection."""
        self._next_id += 1
        conn = WsConnection(self._next_id)
        self.conns[conn.id] = conn
        return conn

    def close(self, conn: WsConnection) -> None:
        """Forget a connection (idempotent)."""
        conn.closed = True
        self.conns.pop(conn.id, None)

    def drop_all(self) -> int:
        """Close every connection from the server side; returns how many there were."""
        conns = list(self.conns.values())
        self.conns.clear()
        for conn in conns:
            conn.closed = True
            conn._wake()
        return len(conns)

    def inject(self, text: str, conn: WsConnection | None = None) -> None:
        """Queue a raw frame on one or every connection."""
        for target in [conn] if conn is not None else list(self.conns.values()):
            target.send([text])

    # --- client frames ---------------------------------------------------------------

    def receive(self, conn: WsConnection, text: str, now: float) -> None:
        """Handle one client frame."""
        if conn.closed:
            return
        try:
            frame = msgspec.json.decode(text)
        except msgspec.DecodeError:
            conn.send([_encode({"code": 1002, "message": "malformed JSON frame"})])
            return
        try:
            if not isinstance(frame, dict) or not isinstance(frame.get("action"), str):
                raise _Reject(6002, "a frame must be a JSON object with an action")
            frames = self._dispatch(conn, frame, int(now * 1000))
        except _Reject as err:
            frames = [_encode({"code": err.code, "message": err.message})]
        conn.send(frames)

    def _market(self, frame: dict[str, Any]) -> MarketState:
        value = frame.get("market_id")
        if not isinstance(value, str) or not value:
            raise _Reject(6002, "market_id is required")
        key = value.strip().lower()
        key = key if key.startswith("0x") else "0x" + key
        ex = self.exchange
        market = ex.markets.get(key) or ex.markets_by_contract.get(key)
        if market is None:
            raise _Reject(6002, f"Market not found: {value}")
        return market

    @staticmethod
    def _identities(frame: dict[str, Any], required: bool) -> list[str] | None:
        raw = frame.get("identities")
        if raw is None and not required:
            return None
        if not isinstance(raw, list) or not raw:
            raise _Reject(6002, "identities must be a non-empty list")
        out = []
        for item in raw:
            value = None
            if isinstance(item, dict) and len(item) == 1:
                value = item.get("ContractId", item.get("Address"))
            elif isinstance(item, str):
                value = item
            if not isinstance(value, str):
                raise _Reject(6002, f"invalid identity {item!r}")
            key = value.strip().lower()
            key = key if key.startswith("0x") else "0x" + key
            if len(key) != 66 or not all(c in "0123456789abcdef" for c in key[2:]):
                raise _Reject(6002, f"invalid identity {item!r}")
            out.append(key)
        return out

    def _resolve_accounts(self, ids: list[str]) -> list[str]:
        """Trading account ids of identities (an owner address maps to its account)."""
        ex = self.exchange
        out = []
        for key in ids:
            if key not in ex.accounts and key in ex.accounts_by_owner:
                key = ex.accounts_by_owner[key].trade_account_id
            out.append(key)
        return out

    def _room(self, conn: WsConnection, adding: int) -> None:
        if conn.subscription_count + adding > self.exchange.config.max_ws_subscriptions:
            raise _Reject(6001, "Too many subscriptions on this connection")

    def _dispatch(self, conn: WsConnection, frame: dict[str, Any], now_ms: int) -> list[str]:
        action = frame["action"]
        if action == "subscribe_depth":
            market = self._market(frame)
            from .engine import ApiError

            try:
                precision = self.exchange._precision(
                    None if frame.get("precision") is None else str(frame["precision"])
                )
            except ApiError as err:
                raise _Reject(6002, err.message) from None
            if market.market_id not in conn.depth:
                self._room(conn, 1)
            conn.depth[market.market_id] = precision
            view = {(True, p): q for p, q in market.bids.depth(precision)}
            view.update({(False, p): q for p, q in market.asks.depth(precision)})
            conn.depth_view[market.market_id] = view
            return [
                _encode(
                    {
                        "action": "subscribe_depth",
                        "market_id": market.market_id,
                        "view": self.exchange.depth_json(market, precision),
                        "onchain_timestamp": now_ms,
                        "seen_timestamp": now_ms,
                    }
                )
            ]
        if action == "unsubscribe_depth":
            market_id = self._market(frame).market_id
            conn.depth.pop(market_id, None)
            conn.depth_view.pop(market_id, None)
            return []
        if action in ("subscribe_trades", "unsubscribe_trades"):
            market_id = self._market(frame).market_id
            if action == "subscribe_trades":
                if market_id not in conn.trades:
                    self._room(conn, 1)
                conn.trades.add(market_id)
            else:
                conn.trades.discard(market_id)
            return []
        for name in ("orders", "balances", "nonce"):
            if action == f"subscribe_{name}":
                ids = self._resolve_accounts(self._identities(frame, required=True) or [])
                target: set[str] = getattr(conn, name)
                self._room(conn, len(set(ids) - target))
                target.update(ids)
                return []
            if action == f"unsubscribe_{name}":
                given = self._identities(frame, required=False)
                target = getattr(conn, name)
                if given is None:
                    target.clear()
                else:
                    target.difference_update(self._resolve_accounts(given))
                return []
        raise _Reject(6002, f"unknown action {action!r}")

    # --- server pushes ---------------------------------------------------------------

    def publish(self, tx: Tx) -> None:
        """Send the frames a committed transaction causes to every subscriber."""
        ex = self.exchange
        stamp = {"onchain_timestamp": tx.now_ms, "seen_timestamp": tx.now_ms}
        totals_cache: dict[tuple[str, int], dict[tuple[bool, int], int]] = {}
        delta = ex.config.depth_updates == "delta"
        orders_by_account: dict[str, list[Order]] = {}
        for order in tx.touched_orders.values():
            orders_by_account.setdefault(order.account.trade_account_id, []).append(order)
        trades_by_market: dict[str, str] = {}
        if tx.trades:
            grouped: dict[str, list[dict[str, Any]]] = {}
            for trade in tx.trades:
                grouped.setdefault(trade.market.market_id, []).append(trade_json(trade))
            for mid, trades in grouped.items():
                trades_by_market[mid] = _encode(
                    {"action": "subscribe_trades", "market_id": mid, "trades": trades, **stamp}
                )
        balances_by_account: dict[str, list[str]] = {}
        for aid, asset in tx.touched_balances:
            balances_by_account.setdefault(aid, []).append(asset)
        for conn in list(self.conns.values()):
            frames: list[str] = []
            for mid, precision in conn.depth.items():
                if mid not in tx.touched_levels:
                    continue
                key = (mid, precision)
                totals = totals_cache.get(key)
                if totals is None:
                    totals = totals_cache[key] = self._bucket_totals(ex.markets[mid], precision, tx)
                text = self._depth_update(
                    mid, conn.depth_view.setdefault(mid, {}), totals, delta, stamp
                )
                if text is not None:
                    frames.append(text)
            if conn.orders:
                mine = [o for aid in conn.orders for o in orders_by_account.get(aid, ())]
                if mine:
                    mine.sort(key=lambda o: o.seq)
                    frames.append(
                        _encode(
                            {
                                "action": "subscribe_orders",
                                "orders": [order_json(o) for o in mine],
                                **stamp,
                            }
                        )
                    )
            for mid in conn.trades:
                if mid in trades_by_market:
                    frames.append(trades_by_market[mid])
            for aid in conn.balances:
                assets = balances_by_account.get(aid)
                if assets:
                    account = ex.accounts[aid]
                    entries = [
                        {
                            "identity": account.identity,
                            "asset_id": asset,
                            **ex.balance_json(account, asset),
                        }
                        for asset in assets
                    ]
                    frames.append(
                        _encode({"action": "subscribe_balances", "balance": entries, **stamp})
                    )
            for aid in conn.nonce:
                changed = tx.nonce_accounts.get(aid)
                if changed is not None:
                    frames.append(
                        _encode(
                            {
                                "action": "subscribe_nonce",
                                "contract_id": aid,
                                "nonce": str(changed.nonce),
                                **stamp,
                            }
                        )
                    )
            conn.send(frames)

    @staticmethod
    def _bucket_totals(market: MarketState, precision: int, tx: Tx) -> dict[tuple[bool, int], int]:
        """New totals of every depth bucket the transaction touched."""
        totals: dict[tuple[bool, int], int] = {}
        for is_bid, price in tx.touched_levels[market.market_id]:
            side = market.bids if is_bid else market.asks
            bucket = side.bucket_of(price, precision)
            if (is_bid, bucket) not in totals:
                totals[(is_bid, bucket)] = side.bucket_total(bucket, precision)
        return totals

    @staticmethod
    def _depth_update(
        market_id: str,
        view: dict[tuple[bool, int], int],
        totals: dict[tuple[bool, int], int],
        delta: bool,
        stamp: dict[str, int],
    ) -> str | None:
        """The update bringing a connection's ``view`` to ``totals`` (None if equal)."""
        buys: list[tuple[int, int]] = []
        sells: list[tuple[int, int]] = []
        for (is_bid, bucket), total in totals.items():
            old = view.get((is_bid, bucket), 0)
            if total == old:
                continue
            if total:
                view[(is_bid, bucket)] = total
            else:
                view.pop((is_bid, bucket), None)
            (buys if is_bid else sells).append((bucket, total - old if delta else total))
        if not buys and not sells:
            return None
        buys.sort(reverse=True)
        sells.sort()
        changes = {
            "buys": [{"price": str(p), "quantity": str(q)} for p, q in buys],
            "sells": [{"price": str(p), "quantity": str(q)} for p, q in sells],
        }
        return _encode(
            {
                "action": "subscribe_depth_update",
                "market_id": market_id,
                "changes": changes,
                **stamp,
            }
        )
