"""The exchange's WebSocket layer as pure state (PROTOCOL.md §6).

A :class:`WsConnection` is a subscription set plus an outbox of JSON text frames. The
adapter (in-memory transport, HTTP server) feeds client frames to
:meth:`WsHub.receive` and sends whatever appears in ``outbox``; ``on_ready`` (set by the
adapter, optional) is called after frames were added or the connection was closed.

Streams: ``subscribe_depth`` answers with a snapshot (``view``) at once, then every
committed change sends ``subscribe_depth_update`` whose levels carry the new total in
their bucket (``"0"`` removes the level); with ``SimConfig.depth_updates = "delta"``
they carry the signed change instead (what o2-sdk 0.5.0 documents). Only buckets whose
quantity changed since the connection's last frame are sent. Orders, trades, balances
and nonce frames are pushed on change only; they have no initial snapshot (read REST
for the current state).

A malformed client frame (not UTF-8, not JSON, nested too deeply, wrong types) gets an
error frame ``{"code", "message"}`` and the connection stays up.

The outbox is bounded: a client that does not read its frames is disconnected once
``SimConfig.ws_max_backlog`` frames wait for it (close code :data:`CLOSE_SLOW_CONSUMER`),
and everything queued for it is released at once.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any

import msgspec

from . import requests, views
from .engine import Engine
from .errors import SimError, clip, echo
from .state import Committed, MarketState, Order

_log = logging.getLogger(__name__)
_encoder = msgspec.json.Encoder()

#: Close code of a client disconnected for not reading its frames: 1008, Policy
#: Violation (RFC 6455 §7.4.1), the generic code for a client that broke the server's
#: rules when no more specific code applies. Not 1013 (Try Again Later), which blames a
#: temporary condition of the server: here the server is fine and the cause is the
#: client's, so reconnecting without reading faster would end the same way.
CLOSE_SLOW_CONSUMER = 1008
#: Close code of connections the simulator drops (``drop_all``, a scripted fault).
CLOSE_DROPPED = 1011
#: The error frame of a simulator bug: no exception text leaves the process.
INTERNAL_ERROR_FRAME = '{"code":1000,"message":"Internal error"}'


def _encode(value: Any) -> str:
    return _encoder.encode(value).decode()


def _error_frame(code: int, message: str) -> str:
    return _encode({"code": code, "message": message})


class WsConnection:
    """One WebSocket connection's state: subscriptions and pending outgoing frames.

    ``close_code``/``close_reason`` are set when the simulator closed the connection
    (None while open or when the client closed it). ``on_ready`` is called when frames
    arrive in ``outbox`` (the in-memory transport wakes its reader with it).

    Args:
        conn_id: the connection's number.
    """

    __slots__ = (
        "__weakref__",
        "balances",
        "close_code",
        "close_reason",
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
        self.close_code: int | None = None
        self.close_reason = ""
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

    def wake(self) -> None:
        """Tell the adapter that frames arrived or the connection closed."""
        if self.on_ready is not None:
            self.on_ready()

    def __repr__(self) -> str:
        return f"WsConnection(id={self.id}, closed={self.closed}, pending={len(self.outbox)})"


class WsHub:
    """Every WebSocket connection of one exchange, and the frames they receive.

    Register :meth:`publish` with :meth:`Engine.on_commit` so that committed changes
    reach the subscribers.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.config = engine.config
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
        """Forget a connection the client closed (idempotent)."""
        conn.closed = True
        self.conns.pop(conn.id, None)

    def drop_all(self) -> int:
        """Close every connection from the server side; returns how many there were.

        Frames already queued are still delivered before the close (code 1011).
        """
        conns = list(self.conns.values())
        self.conns.clear()
        for conn in conns:
            conn.closed = True
            conn.close_code = CLOSE_DROPPED
            conn.close_reason = "connection closed by the simulator"
            conn.wake()
        return len(conns)

    def inject(self, text: str, conn: WsConnection | None = None) -> None:
        """Queue a raw frame on one or every connection."""
        for target in [conn] if conn is not None else list(self.conns.values()):
            self._deliver(target, [text])

    def _deliver(self, conn: WsConnection, frames: list[str]) -> None:
        """Queue frames for a connection, disconnecting it if its backlog overflows."""
        if conn.closed or not frames:
            return
        if len(conn.outbox) + len(frames) > self.config.ws_max_backlog:
            self._evict(conn)
            return
        conn.outbox.extend(frames)
        conn.wake()

    def _evict(self, conn: WsConnection) -> None:
        """Disconnect a client that does not read, releasing everything queued for it."""
        _log.info("disconnecting WebSocket %d: %d frames unread", conn.id, len(conn.outbox))
        conn.closed = True
        conn.close_code = CLOSE_SLOW_CONSUMER
        conn.close_reason = "too many unread frames"
        conn.outbox.clear()
        conn.depth.clear()
        conn.depth_view.clear()
        for subscriptions in (conn.orders, conn.trades, conn.balances, conn.nonce):
            subscriptions.clear()
        self.conns.pop(conn.id, None)
        conn.wake()

    # --- client frames ---------------------------------------------------------------

    def receive(self, conn: WsConnection, data: str | bytes, now: float) -> None:
        """Handle one client frame (text, or bytes holding UTF-8 JSON) at time ``now``."""
        if conn.closed:
            return
        try:
            self.engine.expire(now)
            try:
                frame = requests.parse_json(data)
                if not isinstance(frame, dict) or not isinstance(frame.get("action"), str):
                    raise SimError(6002, "a frame must be a JSON object with an action")
                frames = self._dispatch(conn, frame, int(now * 1000))
            except SimError as err:
                frames = [_error_frame(err.code, err.message)]
        except Exception:  # a simulator bug: log it, keep the connection
            _log.exception("internal error handling a frame of WebSocket %d", conn.id)
            frames = [INTERNAL_ERROR_FRAME]
        self._deliver(conn, frames)

    def _market(self, frame: dict[str, Any]) -> MarketState:
        value = frame.get("market_id")
        if not isinstance(value, str) or not value:
            raise SimError(6002, "market_id is required")
        market = self.engine.market(requests.normalize_id(value))
        if market is None:
            raise SimError(6002, f"Market not found: {clip(value)}")
        return market

    @staticmethod
    def _identities(frame: dict[str, Any], required: bool) -> list[str] | None:
        raw = frame.get("identities")
        if raw is None and not required:
            return None
        if not isinstance(raw, list) or not raw:
            raise SimError(6002, "identities must be a non-empty list")
        out = []
        for item in raw:
            value = None
            if isinstance(item, dict) and len(item) == 1:
                value = item.get("ContractId", item.get("Address"))
            elif isinstance(item, str):
                value = item
            try:
                out.append(requests.b256(value, "identity"))
            except SimError:
                raise SimError(6002, f"invalid identity {echo(item)}") from None
        return out

    def _resolve_accounts(self, ids: list[str]) -> list[str]:
        """Trading account ids of identities (an owner address maps to its account)."""
        out = []
        for key in ids:
            if self.engine.account(key) is None:
                account = self.engine.account_of_owner(key)
                if account is not None:
                    key = account.trade_account_id
            out.append(key)
        return out

    def _room(self, conn: WsConnection, adding: int) -> None:
        if conn.subscription_count + adding > self.config.max_ws_subscriptions:
            raise SimError(6001, "Too many subscriptions on this connection")

    def _dispatch(self, conn: WsConnection, frame: dict[str, Any], now_ms: int) -> list[str]:
        action = frame["action"]
        if action == "subscribe_depth":
            market = self._market(frame)
            try:
                precision = requests.parse_precision(frame.get("precision"))
            except SimError as err:
                raise SimError(6002, err.message) from None
            if market.market_id not in conn.depth:
                self._room(conn, 1)
            conn.depth[market.market_id] = precision
            depth = self.engine.depth(market, precision)
            view = {(True, p): q for p, q in depth[0]}
            view.update({(False, p): q for p, q in depth[1]})
            conn.depth_view[market.market_id] = view
            return [
                _encode(
                    {
                        "action": "subscribe_depth",
                        "market_id": market.market_id,
                        "view": views.depth_json(depth),
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
        raise SimError(6002, f"unknown action {echo(action)}")

    # --- server pushes ---------------------------------------------------------------

    def publish(self, committed: Committed) -> None:
        """Send the frames a committed transaction causes to every subscriber."""
        if not self.conns:
            return
        engine = self.engine
        stamp = {"onchain_timestamp": committed.now_ms, "seen_timestamp": committed.now_ms}
        totals_cache: dict[tuple[str, int], dict[tuple[bool, int], int]] = {}
        delta = self.config.depth_updates == "delta"
        orders_by_account: dict[str, list[Order]] = {}
        for order in committed.orders:
            orders_by_account.setdefault(order.account.trade_account_id, []).append(order)
        trades_by_market: dict[str, str] = {}
        if committed.trades:
            grouped: dict[str, list[dict[str, Any]]] = {}
            for trade in committed.trades:
                grouped.setdefault(trade.market.market_id, []).append(views.trade_json(trade))
            for mid, trades in grouped.items():
                trades_by_market[mid] = _encode(
                    {"action": "subscribe_trades", "market_id": mid, "trades": trades, **stamp}
                )
        balances_by_account: dict[str, list[str]] = {}
        for account, asset in committed.balances:
            balances_by_account.setdefault(account.trade_account_id, []).append(asset)
        nonces = {account.trade_account_id: account for account in committed.nonces}
        for conn in list(self.conns.values()):
            frames: list[str] = []
            for mid, precision in conn.depth.items():
                levels = committed.levels.get(mid)
                if levels is None:
                    continue
                key = (mid, precision)
                totals = totals_cache.get(key)
                if totals is None:
                    market = engine.market(mid)
                    assert market is not None
                    totals = totals_cache[key] = engine.bucket_totals(market, precision, levels)
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
                                "orders": [views.order_json(o) for o in mine],
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
                    holder = engine.account(aid)
                    assert holder is not None
                    entries = [
                        {
                            "identity": holder.identity,
                            "asset_id": asset,
                            **views.balance_json(engine.balance(holder, asset)),
                        }
                        for asset in assets
                    ]
                    frames.append(
                        _encode({"action": "subscribe_balances", "balance": entries, **stamp})
                    )
            for aid in conn.nonce:
                changed = nonces.get(aid)
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
            self._deliver(conn, frames)

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
        changes = {"buys": views.levels_json(buys), "sells": views.levels_json(sells)}
        return _encode(
            {
                "action": "subscribe_depth_update",
                "market_id": market_id,
                "changes": changes,
                **stamp,
            }
        )
