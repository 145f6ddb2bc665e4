"""The exchange's REST layer: routing, query parsing, faults and JSON replies.

:meth:`RestApi.process` answers one :class:`~o2_core.http.Request` with an
:class:`~.faults.Outcome`: the reply, and whether the adapter must delay it or drop the
connection (scripted faults are interpreted here and nowhere else). Bodies are decoded
by :mod:`.requests` into commands for the :class:`~.engine.Engine`; replies are
rendered by :mod:`.views`.

Every reply is JSON. A malformed request gets ``{"code", "message"}`` with a 4xx
status (PROTOCOL.md §5.3); an on-chain revert gets the revert shape; a failure of the
simulator itself is logged with its traceback and answered with a bare
``{"code": 1000, "message": "Internal error"}`` (HTTP 500), no exception text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import msgspec

from ..http import (
    BAR_RESOLUTIONS,
    MAX_BARS,
    MAX_ORDERS,
    MAX_TRADES,
    RESOLUTION_MS,
    Request,
    Response,
)
from . import requests, views
from .engine import Engine
from .errors import FaucetRefusal, SimError, clip, echo
from .faults import Faults, Outcome, canned_response
from .reverts import Revert, revert_body
from .state import Account, MarketState

_log = logging.getLogger(__name__)
_JSON = {"content-type": "application/json"}
_encoder = msgspec.json.Encoder()

#: HTTP status of each structured error code (the rest answer 400).
STATUS: dict[int, int] = {
    1000: 500,
    1003: 429,
    2000: 404,
    3000: 404,
    4000: 401,
    4001: 401,
    4002: 404,
    5000: 404,
}
#: The reply to a simulator bug: no exception text leaves the process.
INTERNAL_ERROR = b'{"code":1000,"message":"Internal error"}'

Query = dict[str, str]
Handler = Callable[[Query, Request, float], Any]


def error_response(error: SimError) -> Response:
    """The reply of a structured error."""
    body = _encoder.encode({"code": error.code, "message": error.message})
    return Response(STATUS.get(error.code, 400), body, _JSON)


def _faucet_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(status, _encoder.encode({"error": message}), {**_JSON, **(headers or {})})


def _is_faucet(path: str) -> bool:
    return path in ("/faucet", "/faucet/mint", "/faucet/mint-v2") or path.endswith("/mint-v2")


# --- query parameters ----------------------------------------------------------------


def _int_param(query: Query, name: str, default: int | None = None, code: int = 1001) -> int | None:
    value = query.get(name)
    if value is None or value == "":
        return default
    text = value.strip()
    if not (0 < len(text) <= 20 and text.isascii() and text.isdigit()):
        raise SimError(code, f"{name} must be a non-negative integer, got {echo(value)}")
    return int(text)


def _direction(query: Query) -> bool:
    """True for ``desc`` (the default)."""
    value = query.get("direction", "desc") or "desc"
    if value not in ("asc", "desc"):
        raise SimError(1001, f"direction must be asc or desc, got {echo(value)}")
    return value == "desc"


def _page(
    items: list[Any],
    desc: bool,
    count: int,
    position: Callable[[str], int | None],
    start_id: str | None,
    start_ts: int | None,
    ts_of: Callable[[Any], int],
) -> list[Any]:
    """One page of ``items`` (oldest first) after a cursor, newest first if ``desc``."""
    if start_id:
        index = position(requests.normalize_id(start_id))
        if index is None:
            raise SimError(7002, f"unknown pagination cursor {echo(start_id)}")
        selected = items[:index][::-1] if desc else items[index + 1 :]
    else:
        selected = items[::-1] if desc else items
        if start_ts is not None:
            if desc:
                selected = [x for x in selected if ts_of(x) <= start_ts]
            else:
                selected = [x for x in selected if ts_of(x) >= start_ts]
    return selected[:count]


class RestApi:
    """The REST side of one exchange over an engine (see the module docstring)."""

    def __init__(self, engine: Engine, faults: Faults) -> None:
        self.engine = engine
        self.config = engine.config
        self.faults = faults
        self._markets_body = _encoder.encode(views.markets_json(self.config, engine.markets()))
        self._routes: dict[tuple[str, str], Handler] = {
            ("GET", "/v1/markets"): self._get_markets,
            ("GET", "/v1/markets/summary"): self._get_summary,
            ("GET", "/v1/markets/ticker"): self._get_ticker,
            ("GET", "/v1/depth"): self._get_depth,
            ("GET", "/v1/trades"): self._get_trades,
            ("GET", "/v1/trades_by_account"): self._get_trades_by_account,
            ("GET", "/v1/bars"): self._get_bars,
            ("POST", "/v1/accounts"): self._post_account,
            ("GET", "/v1/accounts"): self._get_account,
            ("GET", "/v1/balance"): self._get_balance,
            ("GET", "/v1/orders"): self._get_orders,
            ("GET", "/v1/order"): self._get_order,
            ("PUT", "/v1/session"): self._put_session,
            ("POST", "/v1/session/actions"): self._post_actions,
            ("POST", "/v1/accounts/withdraw"): self._post_withdraw,
            ("GET", "/v1/accounts/window"): self._get_window,
            ("POST", "/v1/accounts/upgrade"): self._post_upgrade,
            ("POST", "/analytics/v1/whitelist"): self._post_whitelist,
            ("GET", "/analytics/v1/referral/code-info"): self._get_referral,
            ("GET", "/v1/aggregated/assets"): self._agg_assets,
            ("GET", "/v1/aggregated/summary"): self._agg_summary,
            ("GET", "/v1/aggregated/ticker"): self._agg_summary,
            ("GET", "/v1/aggregated/orderbook"): self._agg_orderbook,
            ("GET", "/v1/aggregated/trades"): self._agg_trades,
        }
        self._paths = {path for _, path in self._routes}

    # --- entry point -----------------------------------------------------------------

    def process(self, request: Request, now: float) -> Outcome:
        """Answer one request at time ``now`` and say what the adapter must do."""
        path = urlsplit(request.url).path.rstrip("/") or "/"
        fault = self.faults.take(request.method, path)
        if fault is not None:
            if fault.drop and not fault.after:
                return Outcome(None, delay=fault.delay, drop=True)
            if fault.status is not None:
                return Outcome(canned_response(fault), delay=fault.delay)
        response = self.answer(request, now)
        if fault is None:
            return Outcome(response)
        if fault.malformed:
            body = fault.body if fault.body is not None else b'{"tx_id": "0x'
            response = Response(response.status, body, dict(response.headers))
        return Outcome(response, delay=fault.delay, drop=fault.drop)

    def answer(self, request: Request, now: float) -> Response:
        """The reply to one request (no faults applied); never raises."""
        try:
            return self._answer(request, now)
        except Exception:  # a simulator bug: log it, tell the client nothing more
            _log.exception("internal error answering %s %s", request.method, clip(request.url))
            return Response(500, INTERNAL_ERROR, _JSON)

    def _answer(self, request: Request, now: float) -> Response:
        parts = urlsplit(request.url)
        path = parts.path.rstrip("/") or "/"
        method = request.method.upper()
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.engine.expire(now)
        handler = self._routes.get((method, path))
        if handler is None and method == "POST" and _is_faucet(path):
            handler = self._post_faucet
        try:
            if handler is None:
                what = "method not allowed" if path in self._paths else "not found"
                raise SimError(1001, f"{what}: {clip(method, 16)} {clip(path)}")
            result = handler(query, request, now)
        except SimError as err:
            return error_response(err)
        except Revert as revert:
            body = revert_body(
                revert, revert.contract_id, list(revert.logs), self.config.revert_as_code_1000
            )
            return Response(400, _encoder.encode(body), _JSON)
        if isinstance(result, Response):
            return result
        return Response(200, _encoder.encode(result), _JSON)

    # --- parameters ------------------------------------------------------------------

    def _market_param(self, query: Query) -> MarketState:
        value = query.get("market_id")
        if not value:
            raise SimError(1001, "market_id is required")
        market = self.engine.market(requests.normalize_id(value))
        if market is None:
            raise SimError(2000, f"Market not found: {clip(value)}")
        return market

    def _account_param(self, query: Query, *names: str) -> Account | None:
        for name in names:
            value = query.get(name)
            if value:
                return self.engine.account(requests.normalize_id(value))
        raise SimError(1001, f"one of {', '.join(names)} is required")

    def _pair_param(self, query: Query) -> MarketState:
        pair = query.get("market_pair")
        if not pair:
            raise SimError(1001, "market_pair is required")
        wanted = pair.replace("/", "_").lower()
        for market in self.engine.markets():
            base, quote = market.base.symbol.lower(), market.quote.symbol.lower()
            names = {f"{base}_{quote}", f"{base.removeprefix('f')}_{quote.removeprefix('f')}"}
            if wanted in names:
                return market
        raise SimError(2000, f"Market not found: {clip(pair)}")

    @staticmethod
    def _trade_count(query: Query) -> int:
        count = _int_param(query, "count", MAX_TRADES, code=5001)
        assert count is not None
        if not 1 <= count <= MAX_TRADES:
            raise SimError(5001, f"count must be in 1..{MAX_TRADES}, got {count}")
        return count

    # --- accounts, faucet, whitelist, referral --------------------------------------

    def _post_account(self, query: Query, request: Request, now: float) -> Any:
        account = self.engine.create_account(requests.create_account(request.body), now)
        return {"trade_account_id": account.trade_account_id, "nonce": "0"}

    def _get_account(self, query: Query, request: Request, now: float) -> Any:
        if query.get("trade_account_id"):
            account_id = requests.normalize_id(query["trade_account_id"])
            return views.account_json(self.engine.account(account_id))
        for name, is_contract in (("owner", False), ("owner_contract", True)):
            if query.get(name):
                account = self.engine.account_of_owner(requests.normalize_id(query[name]))
                if account is not None and account.owner_is_contract != is_contract:
                    account = None
                return views.account_json(account)
        raise SimError(1001, "one of owner, trade_account_id, owner_contract is required")

    def _get_balance(self, query: Query, request: Request, now: float) -> Any:
        asset = query.get("asset_id")
        if not asset:
            raise SimError(1001, "asset_id is required")
        if query.get("contract"):
            account = self.engine.account(requests.normalize_id(query["contract"]))
        elif query.get("address"):
            account = self.engine.account_of_owner(requests.normalize_id(query["address"]))
        else:
            raise SimError(1001, "one of contract or address is required")
        if account is None:
            raise SimError(4002, "Account not found")
        return views.balance_json(self.engine.balance(account, requests.normalize_id(asset)))

    def _post_whitelist(self, query: Query, request: Request, now: float) -> Any:
        account = requests.whitelist_account(request.body)
        already = self.engine.add_to_whitelist(account)
        return {"success": True, "tradeAccount": account, "alreadyWhitelisted": already}

    def _get_referral(self, query: Query, request: Request, now: float) -> Any:
        code = query.get("code")
        if not code:
            raise SimError(1001, "code is required")
        owner = self.engine.referral_owner(code)
        if owner is None:
            return {"valid": False, "ownerAddress": None, "isActive": False}
        return {"valid": True, "ownerAddress": owner, "isActive": True}

    def _post_faucet(self, query: Query, request: Request, now: float) -> Any:
        try:
            cmd = requests.faucet_mint(request.body)
            self.engine.mint(cmd, now)
        except FaucetRefusal as refusal:
            if refusal.retry_after is None:
                return _faucet_response(400, refusal.message)
            headers = {"retry-after": str(refusal.retry_after)}
            return _faucet_response(429, refusal.message, headers)
        symbols = ", ".join(a.symbol for a in self.config.assets if a.faucet_amount > 0)
        return {"message": f"Minted {symbols} to {cmd.target}"}

    # --- signed submissions ----------------------------------------------------------

    def _put_session(self, query: Query, request: Request, now: float) -> Any:
        cmd = requests.open_session(request.body, request.headers)
        committed = self.engine.open_session(cmd, now)
        return {
            "tx_id": committed.tx_id,
            "trade_account_id": cmd.trade_account_id,
            "contract_ids": list(cmd.contract_ids),
            "session_id": {"Address": cmd.session_address},
            "session_expiry": str(cmd.expiry),
        }

    def _post_withdraw(self, query: Query, request: Request, now: float) -> Any:
        cmd = requests.withdraw(request.body, request.headers)
        return {"tx_id": self.engine.withdraw(cmd, now).tx_id}

    def _post_upgrade(self, query: Query, request: Request, now: float) -> Any:
        cmd = requests.upgrade_account(request.body, request.headers)
        return {"tx_id": self.engine.upgrade_account(cmd, now).tx_id}

    def _get_window(self, query: Query, request: Request, now: float) -> Any:
        value = query.get("trade_account_id")
        if not value:
            raise SimError(1001, "trade_account_id is required")
        lane = _int_param(query, "nonce_session_id", 0)
        assert lane is not None
        account = self.engine.account(requests.normalize_id(value))
        if account is None:
            raise SimError(4002, f"Trading account not found: {clip(value)}")
        return views.window_json(lane, self.engine.window(account, lane))

    def _post_actions(self, query: Query, request: Request, now: float) -> Any:
        cmd = requests.submit_actions(request.body, request.headers)
        committed = self.engine.submit_actions(cmd, now)
        reply: dict[str, Any] = {"tx_id": committed.tx_id}
        if cmd.collect_orders:
            reply["orders"] = [views.order_json(order) for order in committed.created]
        return reply

    # --- market data -----------------------------------------------------------------

    def _get_markets(self, query: Query, request: Request, now: float) -> Any:
        return Response(200, self._markets_body, _JSON)

    def _get_ticker(self, query: Query, request: Request, now: float) -> Any:
        return views.live_ticker_json(self.engine.ticker(self._market_param(query), now))

    def _get_summary(self, query: Query, request: Request, now: float) -> Any:
        return views.summary_json(self.engine.ticker(self._market_param(query), now))

    def _get_depth(self, query: Query, request: Request, now: float) -> Any:
        market = self._market_param(query)
        precision = requests.parse_precision(query.get("precision"))
        limit = _int_param(query, "limit")
        if limit is not None and limit < 1:
            raise SimError(1001, "limit must be at least 1")
        depth = self.engine.depth(market, precision, limit)
        return {"market_id": market.market_id, "orders": views.depth_json(depth)}

    def _get_trades(self, query: Query, request: Request, now: float) -> Any:
        market = self._market_param(query)
        engine = self.engine
        page = _page(
            engine.trades(market),
            _direction(query),
            self._trade_count(query),
            lambda trade_id: engine.trade_position(market, trade_id),
            query.get("start_trade_id"),
            _int_param(query, "start_timestamp"),
            lambda t: t.timestamp_ms,
        )
        return {"trades": [views.trade_json(t) for t in page], "market_id": market.market_id}

    def _get_trades_by_account(self, query: Query, request: Request, now: float) -> Any:
        market = self._market_param(query)
        desc = _direction(query)
        count = self._trade_count(query)
        account = self._account_param(query, "contract", "account")
        trades = self.engine.account_trades(account, market) if account is not None else []
        index = {t.trade_id: i for i, t in enumerate(trades)} if query.get("start_trade_id") else {}
        page = _page(
            trades,
            desc,
            count,
            index.get,
            query.get("start_trade_id"),
            _int_param(query, "start_timestamp"),
            lambda t: t.timestamp_ms,
        )
        return {
            "trades": [views.trade_json(t, account) for t in page],
            "market_id": market.market_id,
        }

    def _get_orders(self, query: Query, request: Request, now: float) -> Any:
        market = self._market_param(query)
        desc = _direction(query)
        count = _int_param(query, "count", 20, code=7002)
        assert count is not None
        if not 1 <= count <= MAX_ORDERS:
            raise SimError(7002, f"count must be in 1..{MAX_ORDERS}, got {count}")
        is_open = query.get("is_open")
        if is_open not in (None, "", "true", "false"):
            raise SimError(1001, f"is_open must be true or false, got {echo(is_open)}")
        contract = query.get("contract") or query.get("account")
        account = self._account_param(query, "contract", "account")
        orders = self.engine.account_orders(account, market) if account is not None else []
        if is_open == "true":
            orders = [o for o in orders if not o.close]
        elif is_open == "false":
            orders = [o for o in orders if o.close]
        start_id = query.get("start_order_id")
        index = {o.order_id: i for i, o in enumerate(orders)} if start_id else {}
        page = _page(
            orders,
            desc,
            count,
            index.get,
            start_id,
            _int_param(query, "start_timestamp"),
            lambda o: o.timestamp_ms,
        )
        assert contract is not None
        return {
            "identity": {"ContractId": requests.normalize_id(contract)},
            "market_id": market.market_id,
            "orders": [views.order_json(o) for o in page],
        }

    def _get_order(self, query: Query, request: Request, now: float) -> Any:
        market = self._market_param(query)
        order_id = query.get("order_id")
        if not order_id:
            raise SimError(1001, "order_id is required")
        order = self.engine.order(requests.normalize_id(order_id))
        if order is None or order.market is not market:
            raise SimError(3000, f"Order not found: {clip(order_id)}")
        return {"order": views.order_json(order)}

    def _get_bars(self, query: Query, request: Request, now: float) -> Any:
        market = self._market_param(query)
        resolution = query.get("resolution", "")
        if resolution not in BAR_RESOLUTIONS:
            raise SimError(1001, f"unknown resolution {echo(resolution)}")
        start = _int_param(query, "from", code=7001)
        end = _int_param(query, "to", code=7001)
        if start is None or end is None:
            raise SimError(1001, "from and to (milliseconds) are required")
        step = RESOLUTION_MS[resolution]
        if start > end:
            raise SimError(7001, "from must not be after to")
        if (end - start) // step > MAX_BARS:
            raise SimError(7001, f"the range holds more than {MAX_BARS} bars")
        return views.bars_json(self.engine.trades_between(market, start, end), step)

    # --- aggregated (CoinGecko/CMC style, human units) ------------------------------

    def _agg_assets(self, query: Query, request: Request, now: float) -> Any:
        return [
            {"id": a.asset_id, "symbol": a.symbol, "name": a.name or a.symbol}
            for a in self.config.assets
        ]

    def _agg_summary(self, query: Query, request: Request, now: float) -> Any:
        return [views.aggregated_entry(self.engine.ticker(mk, now)) for mk in self.engine.markets()]

    def _agg_orderbook(self, query: Query, request: Request, now: float) -> Any:
        market = self._pair_param(query)
        depth = _int_param(query, "depth", 500)
        level = _int_param(query, "level", 2)
        if not depth or level not in (1, 2):
            raise SimError(1001, "depth must be >= 1 and level 1 or 2")
        limit = 1 if level == 1 else depth
        return views.aggregated_book(market, self.engine.depth(market, 1, limit), int(now * 1000))

    def _agg_trades(self, query: Query, request: Request, now: float) -> Any:
        market = self._pair_param(query)
        return [views.trade_json(t) for t in self.engine.trades(market)[::-1][:MAX_TRADES]]
