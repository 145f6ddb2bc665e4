"""REST as values: requests, replies, their classification, and a builder for every
endpoint of PROTOCOL.md §5.

A builder returns a :class:`Request` (method, URL, headers, body bytes); a transport
turns it into a :class:`Response`; :func:`classify` says once what a reply means, and
:mod:`o2_core.replies` turns a success into a model or raises the matching
:class:`~o2_core.errors.O2Error`. Nothing here performs I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from . import models
from .errors import InvalidInput, O2Error, ProtocolError, error_from_body
from .parallel_nonce import check_lane

T = TypeVar("T")

JSON_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-type", "application/json"),
    ("accept", "application/json"),
)
GET_HEADERS: tuple[tuple[str, str], ...] = (("accept", "application/json"),)

#: The most trades one request returns.
MAX_TRADES = 50
#: The most orders one request returns.
MAX_ORDERS = 200
#: The most bars one request may span.
MAX_BARS = 5000
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
#: The bar widths ``/v1/bars`` knows.
BAR_RESOLUTIONS = frozenset(RESOLUTION_MS)


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
        """A header's value by case-insensitive name.

        Args:
            name: the header name.

        Returns:
            Its value, or None when absent.
        """
        key = name.lower()
        value = self.headers.get(key)
        if value is None:  # headers given with their original case
            value = next((v for k, v in self.headers.items() if k.lower() == key), None)
        return value


def retry_after_seconds(response: Response) -> float | None:
    """The ``Retry-After`` delay of a reply in seconds.

    An HTTP date, ``nan``, ``inf`` or a negative number counts as absent.

    Args:
        response: the reply.

    Returns:
        The delay, or None unless the header is a finite number >= 0.
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
    """Classify a reply once: a success, or the error it stands for. Never raises.

    Args:
        response: the reply.

    Returns:
        The reply with its error (None for a success; a ProtocolError for a 4xx/5xx
        without an error body).
    """
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
    return models.encode(payload)


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
    """``GET /v1/markets``.

    Args:
        base: the API base URL (``NetworkConfig.api_base``).

    Returns:
        The request.
    """
    return Request("GET", base + "/v1/markets")


def get_market_summary(base: str, market_id: str) -> Request:
    """``GET /v1/markets/summary``.

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        market_id: the market's id.

    Returns:
        The request.
    """
    return Request("GET", _url(base, "/v1/markets/summary", {"market_id": market_id}))


def get_market_ticker(base: str, market_id: str) -> Request:
    """``GET /v1/markets/ticker``.

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        market_id: the market's id.

    Returns:
        The request.
    """
    return Request("GET", _url(base, "/v1/markets/ticker", {"market_id": market_id}))


def depth_precision_wire(level: int) -> int:
    """The wire precision (``10**level``) of a user-facing level 1..18.

    Args:
        level: the level (1: exact prices; each level groups ten times coarser).

    Returns:
        ``10**level``.

    Raises:
        InvalidInput: not an integer in 1..18.
    """
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 18:
        raise InvalidInput(f"depth precision must be an integer level in 1..18, got {level!r}")
    return int(10**level)


def depth_precision_level(wire: int) -> int:
    """The level 1..18 of a wire precision ``10**level``.

    Args:
        wire: a power of ten, 10..10**18.

    Returns:
        Its exponent.

    Raises:
        InvalidInput: not such a power of ten.
    """
    power_of_ten = isinstance(wire, int) and wire >= 10 and str(wire).rstrip("0") == "1"
    if isinstance(wire, bool) or not power_of_ten:
        raise InvalidInput(f"depth precision must be a power of ten in 10..10**18, got {wire!r}")
    level = len(str(wire)) - 1
    depth_precision_wire(level)
    return level


def get_depth(base: str, market_id: str, precision: int = 1, limit: int | None = None) -> Request:
    """``GET /v1/depth``.

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        market_id: the market's id.
        precision: the level 1..18 (sent as ``10**precision``).
        limit: at most this many levels per side (None: the server's default).

    Returns:
        The request.

    Raises:
        InvalidInput: a precision outside 1..18 or a limit below 1.
    """
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
    """``GET /v1/trades``.

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        market_id: the market's id.
        count: how many, 1..50.
        direction: ``"desc"`` (newest first) or ``"asc"``.
        start_timestamp: page from this timestamp.
        start_trade_id: page from this trade id.

    Returns:
        The request.

    Raises:
        InvalidInput: a count outside 1..50 or an unknown direction.
    """
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
    """``GET /v1/trades_by_account``: one account's trades.

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        market_id: the market's id.
        contract: the trading account id.
        count: how many, 1..50.
        direction: ``"desc"`` (newest first) or ``"asc"``.
        start_timestamp: page from this timestamp.
        start_trade_id: page from this trade id.

    Returns:
        The request.

    Raises:
        InvalidInput: a count outside 1..50 or an unknown direction.
    """
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
    """``GET /v1/bars``.

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        market_id: the market's id.
        from_ts: the start, in milliseconds.
        to_ts: the end, in milliseconds.
        resolution: one of :data:`BAR_RESOLUTIONS` (``"1m"``, ``"1h"``, ``"1d"`` ...).

    Returns:
        The request.

    Raises:
        InvalidInput: an unknown resolution, ``from_ts`` > ``to_ts`` or negative, or
            more than 5000 bars in the range.
    """
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
    """``POST /v1/accounts``: create a trading account for an owner.

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        owner: the owner's b256 address.

    Returns:
        The request.

    Raises:
        InvalidInput: a malformed address.
    """
    body = _json({"identity": {"Address": str(models.b256(owner, "owner address"))}})
    return Request("POST", base + "/v1/accounts", JSON_HEADERS, body, idempotent=False)


def get_account(
    base: str,
    owner: str | None = None,
    trade_account_id: str | None = None,
    owner_contract: str | None = None,
) -> Request:
    """``GET /v1/accounts`` by exactly one of owner, trade account id or owner contract.

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        owner: the owner's address.
        trade_account_id: the trading account's id.
        owner_contract: the owning contract's id.

    Returns:
        The request.

    Raises:
        InvalidInput: not exactly one of them given.
    """
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
    """``GET /v1/balance`` of an asset for a trading account (or an address).

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        asset_id: the asset.
        contract: a trading account id.
        address: an address (give this or ``contract``).

    Returns:
        The request.

    Raises:
        InvalidInput: not exactly one of ``contract`` and ``address``.
    """
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
    """``GET /v1/orders``.

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        market_id: the market's id.
        contract: the trading account id.
        count: how many, 1..200.
        is_open: True: open orders only; False: closed only; None: both.
        direction: ``"desc"`` (newest first) or ``"asc"``.
        start_timestamp: page from this timestamp.
        start_order_id: page from this order id.

    Returns:
        The request.

    Raises:
        InvalidInput: a count outside 1..200 or an unknown direction.
    """
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
    """``GET /v1/order``.

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        market_id: the market's id.
        order_id: the order id.

    Returns:
        The request.
    """
    return Request("GET", _url(base, "/v1/order", {"market_id": market_id, "order_id": order_id}))


def _owner_headers(owner_id: str) -> tuple[tuple[str, str], ...]:
    return (*JSON_HEADERS, ("o2-owner-id", str(models.b256(owner_id, "owner id"))))


def put_session(base: str, owner_id: str, body: bytes) -> Request:
    """``PUT /v1/session`` with a signed body (see :mod:`o2_core.actions`).

    Never retried blindly (``idempotent`` is False).

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        owner_id: the owner's b256 address (the ``O2-Owner-Id`` header).
        body: the signed JSON body.

    Returns:
        The request.

    Raises:
        InvalidInput: a malformed owner id.
    """
    return Request("PUT", base + "/v1/session", _owner_headers(owner_id), body, idempotent=False)


def post_actions(base: str, owner_id: str, body: bytes) -> Request:
    """``POST /v1/session/actions`` with a signed body.

    Never retried blindly (``idempotent`` is False).

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        owner_id: the owner's b256 address (the ``O2-Owner-Id`` header).
        body: the signed JSON body.

    Returns:
        The request.

    Raises:
        InvalidInput: a malformed owner id.
    """
    return Request(
        "POST", base + "/v1/session/actions", _owner_headers(owner_id), body, idempotent=False
    )


def post_withdraw(base: str, owner_id: str, body: bytes) -> Request:
    """``POST /v1/accounts/withdraw`` with a signed body.

    Never retried blindly (``idempotent`` is False).

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        owner_id: the owner's b256 address (the ``O2-Owner-Id`` header).
        body: the signed JSON body.

    Returns:
        The request.

    Raises:
        InvalidInput: a malformed owner id.
    """
    return Request(
        "POST", base + "/v1/accounts/withdraw", _owner_headers(owner_id), body, idempotent=False
    )


def get_accounts_window(base: str, trade_account_id: str, nonce_session_id: int = 0) -> Request:
    """``GET /v1/accounts/window``: one lane's parallel-nonce window (PROTOCOL_V05 §1.3).

    No ``O2-Owner-Id`` header; an ordinary read (retried like any GET).

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        trade_account_id: the trading account id.
        nonce_session_id: the lane, 0..4.

    Returns:
        The request.

    Raises:
        InvalidInput: a malformed account id or a lane outside 0..4.
    """
    params = {
        "trade_account_id": str(models.b256(trade_account_id, "trade_account_id")),
        "nonce_session_id": str(check_lane(nonce_session_id)),
    }
    return Request("GET", _url(base, "/v1/accounts/window", params))


def post_upgrade(base: str, owner_id: str, body: bytes) -> Request:
    """``POST /v1/accounts/upgrade`` with an owner-signed body.

    The body is built by :func:`o2_core.actions.upgrade_body`. Marked idempotent, as
    the official SDK sends it with its ordinary 3-attempt policy:
    the signed sequential nonce makes a replay harmless (it can land at most once).

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        owner_id: the owner's b256 address (the ``O2-Owner-Id`` header).
        body: the signed JSON body.

    Returns:
        The request.

    Raises:
        InvalidInput: a malformed owner id.
    """
    return Request("POST", base + "/v1/accounts/upgrade", _owner_headers(owner_id), body)


def whitelist_account(base: str, trade_account_id: str) -> Request:
    """``POST /analytics/v1/whitelist`` (idempotent on the server).

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        trade_account_id: the trading account id.

    Returns:
        The request.

    Raises:
        InvalidInput: a malformed account id.
    """
    body = _json({"tradeAccount": str(models.b256(trade_account_id, "trade_account_id"))})
    return Request("POST", base + "/analytics/v1/whitelist", JSON_HEADERS, body)


def get_referral_info(base: str, code: str) -> Request:
    """``GET /analytics/v1/referral/code-info``.

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        code: the referral code.

    Returns:
        The request.
    """
    return Request("GET", _url(base, "/analytics/v1/referral/code-info", {"code": code}))


def faucet_mint(
    faucet_url: str, address: str | None = None, contract: str | None = None
) -> Request:
    """``POST <faucet>``: mint test assets to an address or a trading account.

    Args:
        faucet_url: the faucet's URL (``NetworkConfig.faucet_url``).
        address: an address to mint to.
        contract: a trading account to mint to (give this or ``address``).

    Returns:
        The request.

    Raises:
        InvalidInput: not exactly one of ``address`` and ``contract``.
    """
    if (address is None) == (contract is None):
        raise InvalidInput("the faucet needs exactly one of address or contract")
    payload = {"address": address} if address is not None else {"contract": contract}
    return Request("POST", faucet_url, JSON_HEADERS, _json(payload), idempotent=False)


def get_aggregated(base: str, what: str, **params: Any) -> Request:
    """``GET /v1/aggregated/{assets,summary,ticker,orderbook,trades}``.

    Args:
        base: the API base URL (``NetworkConfig.api_base``).
        what: which one: ``"assets"``, ``"summary"``, ``"ticker"``, ``"orderbook"`` or
            ``"trades"``.
        **params: the query parameters (None values are left out).

    Returns:
        The request.

    Raises:
        InvalidInput: another ``what``.
    """
    if what not in ("assets", "summary", "ticker", "orderbook", "trades"):
        raise InvalidInput(f"unknown aggregated endpoint {what!r}")
    return Request("GET", _url(base, f"/v1/aggregated/{what}", params))
