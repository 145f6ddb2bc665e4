"""REST as values: a builder and a parser for every endpoint of PROTOCOL.md §5.

A builder returns a :class:`Request` (method, URL, headers, body bytes); a transport
turns it into a :class:`Response`; a parser turns that into a model or raises the
matching :class:`~o2_core.errors.O2Error`. Nothing here performs I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

import msgspec

from . import models as m
from .errors import InvalidInput, O2Error, ProtocolError, error_from_body
from .parallel_nonce import WindowResponse, check_lane

T = TypeVar("T")

JSON_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-type", "application/json"),
    ("accept", "application/json"),
)
GET_HEADERS: tuple[tuple[str, str], ...] = (("accept", "application/json"),)

MAX_TRADES = 50
MAX_ORDERS = 200
MAX_BARS = 5000
BAR_RESOLUTIONS = frozenset(
    [
        "1s",
        "1m",
        "2m",
        "3m",
        "5m",
        "15m",
        "30m",
        "1h",
        "2h",
        "4h",
        "6h",
        "8h",
        "12h",
        "1d",
        "3d",
        "1w",
        "1M",
        "3M",
    ]
)
#: Milliseconds per bar resolution (months as 30 days, for range checks only).
RESOLUTION_MS: dict[str, int] = {
    "1s": 1_000,
    "1m": 60_000,
    "2m": 120_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
    "3d": 259_200_000,
    "1w": 604_800_000,
    "1M": 2_592_000_000,
    "3M": 7_776_000_000,
}


@dataclass(frozen=True)
class Request:
    """One HTTP request, fully built.

    ``idempotent`` says whether a transport-level retry is safe (GETs and reads); a
    signed submission is never retried blindly.
    """

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = GET_HEADERS
    body: bytes | None = None
    idempotent: bool = True


@dataclass(frozen=True)
class Response:
    """One HTTP reply: status, headers (names lowercase) and raw body."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """A header's value by case-insensitive name."""
        key = name.lower()
        value = self.headers.get(key)
        if value is None:  # headers given with their original case
            value = next((v for k, v in self.headers.items() if k.lower() == key), None)
        return value


def retry_after_seconds(response: Response) -> float | None:
    """The ``Retry-After`` delay in seconds; None unless it is a finite number >= 0.

    (An HTTP date, ``nan``, ``inf`` or a negative number is treated as absent.)
    """
    value = response.header("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


@dataclass(frozen=True, slots=True)
class Reply:
    """A response classified once: ``error`` is what it stands for when not a success."""

    response: Response
    error: O2Error | None

    @property
    def ok(self) -> bool:
        """True for a success reply."""
        return self.error is None


def classify(response: Response) -> Reply:
    """Classify ``response`` (never raises): a success, or the error it stands for."""
    error = error_from_body(response.status, response.body, retry_after_seconds(response))
    if error is None and response.status >= 400:
        error = ProtocolError(f"HTTP {response.status} without an error body")
    return Reply(response, error)


def _url(base: str, path: str, params: Mapping[str, Any] | None = None) -> str:
    if not params:
        return base + path
    query = {k: _param(v) for k, v in params.items() if v is not None}
    return f"{base}{path}?{urlencode(query)}" if query else base + path


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json(payload: Any) -> bytes:
    return m.encode(payload)


def _count(count: int, limit: int, what: str) -> int:
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= limit:
        raise InvalidInput(f"{what} count must be an integer in 1..{limit}, got {count!r}")
    return count


def _direction(direction: str) -> str:
    if direction not in ("asc", "desc"):
        raise InvalidInput(f"direction must be 'asc' or 'desc', got {direction!r}")
    return direction


# --- builders ------------------------------------------------------------------------


def get_markets(base: str) -> Request:
    """``GET /v1/markets``."""
    return Request("GET", base + "/v1/markets")


def get_market_summary(base: str, market_id: str) -> Request:
    """``GET /v1/markets/summary``."""
    return Request("GET", _url(base, "/v1/markets/summary", {"market_id": market_id}))


def get_market_ticker(base: str, market_id: str) -> Request:
    """``GET /v1/markets/ticker``."""
    return Request("GET", _url(base, "/v1/markets/ticker", {"market_id": market_id}))


def depth_precision_wire(level: int) -> int:
    """The wire precision (10^level) of a user-facing level 1..18."""
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 18:
        raise InvalidInput(f"depth precision must be an integer level in 1..18, got {level!r}")
    return int(10**level)


def depth_precision_level(wire: int) -> int:
    """The level 1..18 of a wire precision ``10**level``."""
    power_of_ten = isinstance(wire, int) and wire >= 10 and str(wire).rstrip("0") == "1"
    if isinstance(wire, bool) or not power_of_ten:
        raise InvalidInput(f"depth precision must be a power of ten in 10..10**18, got {wire!r}")
    level = len(str(wire)) - 1
    depth_precision_wire(level)
    return level


def get_depth(base: str, market_id: str, precision: int = 1, limit: int | None = None) -> Request:
    """``GET /v1/depth``; ``precision`` is the level 1..18 (wire: 10^level)."""
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise InvalidInput(f"depth limit must be a positive integer, got {limit!r}")
    params = {"market_id": market_id, "precision": depth_precision_wire(precision), "limit": limit}
    return Request("GET", _url(base, "/v1/depth", params))


def get_trades(
    base: str,
    market_id: str,
    count: int = MAX_TRADES,
    direction: str = "desc",
    start_timestamp: int | None = None,
    start_trade_id: str | None = None,
) -> Request:
    """``GET /v1/trades`` (count <= 50)."""
    params = {
        "market_id": market_id,
        "direction": _direction(direction),
        "count": _count(count, MAX_TRADES, "trade"),
        "start_timestamp": start_timestamp,
        "start_trade_id": start_trade_id,
    }
    return Request("GET", _url(base, "/v1/trades", params))


def get_trades_by_account(
    base: str,
    market_id: str,
    contract: str,
    count: int = MAX_TRADES,
    direction: str = "desc",
    start_timestamp: int | None = None,
    start_trade_id: str | None = None,
) -> Request:
    """``GET /v1/trades_by_account`` (count <= 50)."""
    params = {
        "market_id": market_id,
        "contract": contract,
        "direction": _direction(direction),
        "count": _count(count, MAX_TRADES, "trade"),
        "start_timestamp": start_timestamp,
        "start_trade_id": start_trade_id,
    }
    return Request("GET", _url(base, "/v1/trades_by_account", params))


def get_bars(base: str, market_id: str, from_ts: int, to_ts: int, resolution: str) -> Request:
    """``GET /v1/bars``; timestamps in milliseconds, at most 5000 bars."""
    if resolution not in BAR_RESOLUTIONS:
        raise InvalidInput(
            f"unknown bar resolution {resolution!r}; expected one of {sorted(BAR_RESOLUTIONS)}"
        )
    if not isinstance(from_ts, int) or not isinstance(to_ts, int) or from_ts < 0 or to_ts < from_ts:
        raise InvalidInput(f"bars need 0 <= from_ts <= to_ts (ms), got {from_ts!r}..{to_ts!r}")
    if (to_ts - from_ts) // RESOLUTION_MS[resolution] > MAX_BARS:
        raise InvalidInput(f"that range holds more than {MAX_BARS} {resolution} bars")
    params = {"market_id": market_id, "from": from_ts, "to": to_ts, "resolution": resolution}
    return Request("GET", _url(base, "/v1/bars", params))


def create_account(base: str, owner: str) -> Request:
    """``POST /v1/accounts`` for an owner address."""
    body = _json({"identity": {"Address": str(m.b256(owner, "owner address"))}})
    return Request("POST", base + "/v1/accounts", JSON_HEADERS, body, idempotent=False)


def get_account(
    base: str,
    owner: str | None = None,
    trade_account_id: str | None = None,
    owner_contract: str | None = None,
) -> Request:
    """``GET /v1/accounts`` by exactly one of owner, trade account id or owner contract."""
    given = {
        k: v
        for k, v in (
            ("owner", owner),
            ("trade_account_id", trade_account_id),
            ("owner_contract", owner_contract),
        )
        if v is not None
    }
    if len(given) != 1:
        raise InvalidInput(
            "get_account needs exactly one of owner, trade_account_id, owner_contract"
        )
    return Request("GET", _url(base, "/v1/accounts", given))


def get_balance(
    base: str, asset_id: str, contract: str | None = None, address: str | None = None
) -> Request:
    """``GET /v1/balance`` of an asset for a trading account (or an address)."""
    if (contract is None) == (address is None):
        raise InvalidInput("get_balance needs exactly one of contract or address")
    params = {"asset_id": asset_id, "contract": contract, "address": address}
    return Request("GET", _url(base, "/v1/balance", params))


def get_orders(
    base: str,
    market_id: str,
    contract: str,
    count: int = 20,
    is_open: bool | None = None,
    direction: str = "desc",
    start_timestamp: int | None = None,
    start_order_id: str | None = None,
) -> Request:
    """``GET /v1/orders`` (count <= 200)."""
    params = {
        "market_id": market_id,
        "contract": contract,
        "direction": _direction(direction),
        "count": _count(count, MAX_ORDERS, "order"),
        "is_open": is_open,
        "start_timestamp": start_timestamp,
        "start_order_id": start_order_id,
    }
    return Request("GET", _url(base, "/v1/orders", params))


def get_order(base: str, market_id: str, order_id: str) -> Request:
    """``GET /v1/order``."""
    return Request("GET", _url(base, "/v1/order", {"market_id": market_id, "order_id": order_id}))


def _owner_headers(owner_id: str) -> tuple[tuple[str, str], ...]:
    return (*JSON_HEADERS, ("o2-owner-id", str(m.b256(owner_id, "owner id"))))


def put_session(base: str, owner_id: str, body: bytes) -> Request:
    """``PUT /v1/session`` with a signed body (see :mod:`o2_core.actions`)."""
    return Request("PUT", base + "/v1/session", _owner_headers(owner_id), body, idempotent=False)


def post_actions(base: str, owner_id: str, body: bytes) -> Request:
    """``POST /v1/session/actions`` with a signed body."""
    return Request(
        "POST", base + "/v1/session/actions", _owner_headers(owner_id), body, idempotent=False
    )


def post_withdraw(base: str, owner_id: str, body: bytes) -> Request:
    """``POST /v1/accounts/withdraw`` with a signed body."""
    return Request(
        "POST", base + "/v1/accounts/withdraw", _owner_headers(owner_id), body, idempotent=False
    )


def get_accounts_window(base: str, trade_account_id: str, nonce_session_id: int = 0) -> Request:
    """``GET /v1/accounts/window``: one lane's parallel-nonce window (PROTOCOL_V05 §1.3).

    No ``O2-Owner-Id`` header; an ordinary read (retried like any GET). The lane is
    checked (0..4) before anything is sent.
    """
    params = {
        "trade_account_id": str(m.b256(trade_account_id, "trade_account_id")),
        "nonce_session_id": str(check_lane(nonce_session_id)),
    }
    return Request("GET", _url(base, "/v1/accounts/window", params))


def post_upgrade(base: str, owner_id: str, body: bytes) -> Request:
    """``POST /v1/accounts/upgrade`` with an owner-signed body (see
    :func:`o2_core.actions.upgrade_body`).

    Marked idempotent, as the official SDK sends it with its ordinary 3-attempt policy:
    the signed sequential nonce makes a replay harmless (it can land at most once).
    """
    return Request("POST", base + "/v1/accounts/upgrade", _owner_headers(owner_id), body)


def whitelist_account(base: str, trade_account_id: str) -> Request:
    """``POST /analytics/v1/whitelist`` (idempotent on the server)."""
    body = _json({"tradeAccount": str(m.b256(trade_account_id, "trade_account_id"))})
    return Request("POST", base + "/analytics/v1/whitelist", JSON_HEADERS, body)


def get_referral_info(base: str, code: str) -> Request:
    """``GET /analytics/v1/referral/code-info``."""
    return Request("GET", _url(base, "/analytics/v1/referral/code-info", {"code": code}))


def faucet_mint(
    faucet_url: str, address: str | None = None, contract: str | None = None
) -> Request:
    """``POST <faucet>`` minting test assets to an address or a trading account."""
    if (address is None) == (contract is None):
        raise InvalidInput("the faucet needs exactly one of address or contract")
    payload = {"address": address} if address is not None else {"contract": contract}
    return Request("POST", faucet_url, JSON_HEADERS, _json(payload), idempotent=False)


def get_aggregated(base: str, what: str, **params: Any) -> Request:
    """``GET /v1/aggregated/{assets,summary,ticker,orderbook,trades}``."""
    if what not in ("assets", "summary", "ticker", "orderbook", "trades"):
        raise InvalidInput(f"unknown aggregated endpoint {what!r}")
    return Request("GET", _url(base, f"/v1/aggregated/{what}", params))


# --- parsers: a decoder per endpoint (body bytes of a success reply -> model) -------

Decoder = Callable[[bytes], T]


def check(response: Response) -> None:
    """Raise the matching :class:`O2Error` if ``response`` is an error reply."""
    error = classify(response).error
    if error is not None:
        raise error


def parse(response: Response, kind: type[T]) -> T:
    """Check ``response`` and decode its body into ``kind``."""
    check(response)
    return m.decode(response.body, kind)


class _DepthReply(msgspec.Struct):
    market_id: m.Id | None = None
    orders: m.DepthSnapshot | None = None
    view: m.DepthSnapshot | None = None


def decode_depth(body: bytes) -> m.DepthSnapshot:
    """``/v1/depth``: the book under ``orders`` (or ``view`` on older servers)."""
    reply = m.decode(body, _DepthReply)
    book = reply.orders or reply.view or m.DepthSnapshot()
    return m.DepthSnapshot(bids=book.bids, asks=book.asks, market_id=reply.market_id)


def decode_ticker(body: bytes) -> m.MarketTicker:
    """``/v1/markets/ticker``: an object, or a one-item list on the live API."""
    reply = m.decode(body, m.MarketTicker | list[m.MarketTicker])  # type: ignore[arg-type]
    if isinstance(reply, list):
        if not reply:
            raise ProtocolError("the ticker reply is an empty list")
        first: m.MarketTicker = reply[0]
        return first
    return reply


def decode_trades(body: bytes) -> list[m.Trade]:
    """``/v1/trades``: ``{"trades": [...]}`` or a bare list."""
    reply = m.decode(body, m.TradesResponse | list[m.Trade])  # type: ignore[arg-type]
    return list(reply) if isinstance(reply, list) else list(reply.trades)


def decode_bars(body: bytes) -> list[m.Bar]:
    """``/v1/bars``: a bare list or ``{"bars": [...]}``."""
    reply = m.decode(body, m.BarsResponse | list[m.Bar])  # type: ignore[arg-type]
    return reply if isinstance(reply, list) else reply.bars


def decode_order(body: bytes) -> m.Order:
    """``/v1/order``: the order under ``order``."""
    return m.decode(body, m.OrderReply).order


def decode_actions(body: bytes) -> m.ActionsResponse:
    """``/v1/session/actions``: a success has a ``tx_id``."""
    reply = m.decode(body, m.ActionsResponse)
    if reply.tx_id is None:
        raise ProtocolError("the actions reply has neither tx_id nor an error")
    return reply


def parse_depth(response: Response) -> m.DepthSnapshot:
    """Check and decode a ``/v1/depth`` reply."""
    check(response)
    return decode_depth(response.body)


def parse_ticker(response: Response) -> m.MarketTicker:
    """Check and decode a ``/v1/markets/ticker`` reply."""
    check(response)
    return decode_ticker(response.body)


def parse_trades(response: Response) -> list[m.Trade]:
    """Check and decode a ``/v1/trades`` reply."""
    check(response)
    return decode_trades(response.body)


def parse_bars(response: Response) -> list[m.Bar]:
    """Check and decode a ``/v1/bars`` reply."""
    check(response)
    return decode_bars(response.body)


def parse_order(response: Response) -> m.Order:
    """Check and decode a ``/v1/order`` reply."""
    check(response)
    return decode_order(response.body)


def parse_actions(response: Response) -> m.ActionsResponse:
    """Check and decode a ``/v1/session/actions`` reply (success needs a ``tx_id``)."""
    check(response)
    return decode_actions(response.body)


def parse_faucet(response: Response) -> m.FaucetResponse:
    """The faucet answers ``{"error": ...}`` (e.g. a cooldown) with a 4xx: not raised."""
    try:
        return m.decode(response.body, m.FaucetResponse)
    except ProtocolError:
        check(response)
        raise


def decode_accounts_window(body: bytes) -> WindowResponse:
    """``/v1/accounts/window``: the lane's window (decimal strings or JSON integers)."""
    try:
        data = msgspec.json.decode(body)
    except (msgspec.DecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"the window reply is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ProtocolError("the window reply is not a JSON object")
    return WindowResponse.from_dict(data)


def parse_accounts_window(response: Response) -> WindowResponse:
    """Check and decode a ``/v1/accounts/window`` reply."""
    check(response)
    return decode_accounts_window(response.body)


class _UpgradeReply(msgspec.Struct):
    tx_id: m.Id | None = None


def decode_upgrade(body: bytes) -> str:
    """``/v1/accounts/upgrade``: the upgrade's ``tx_id``.

    A proxy with nothing to upgrade answers with an error naming
    :data:`o2_core.onchain_revert.NO_UPGRADE_AVAILABLE_MESSAGE`: it is raised like any
    error (test it with :func:`o2_core.onchain_revert.is_no_upgrade_available`).
    """
    reply = m.decode(body, _UpgradeReply)
    if reply.tx_id is None:
        raise ProtocolError("the upgrade reply has neither tx_id nor an error")
    return str(reply.tx_id)


def parse_upgrade(response: Response) -> str:
    """Check and decode a ``/v1/accounts/upgrade`` reply."""
    check(response)
    return decode_upgrade(response.body)
