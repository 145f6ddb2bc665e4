"""The local O2 exchange: a pure engine answering :class:`~o2_core.http.Request` values.

No sockets, no event loop, no clock reads: time comes from the injected ``clock``
(unix seconds) and ids from the configured seed, so a run is reproducible.

What it models (PROTOCOL.md): trading accounts with one nonce each, owner-signed
sessions and withdrawals, session-signed action batches executed atomically (a revert
rolls the whole batch back but still consumes the nonce), balances split into the
trading account and per-order-book locked/unlocked funds, price-time priority matching
with maker/taker fees, and every REST read. WebSocket traffic lives in :mod:`.ws`.
"""

from __future__ import annotations

import bisect
import heapq
import logging
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import msgspec

from .. import crypto
from .. import encoding as enc
from .. import models as m
from ..actions import (
    MAX_ACTIONS,
    MAX_GROUPS,
    ActionsBody,
    MarketContext,
    SessionBody,
    WireAction,
    WithdrawBody,
    call_of_wire,
    wire_order_type,
)
from ..errors import InvalidInput, InvalidSignature
from ..http import BAR_RESOLUTIONS, MAX_BARS, MAX_ORDERS, MAX_TRADES, RESOLUTION_MS, Response
from ..markets import order_rule_violation, truncation_factor
from .book import BookSide, Order, Trade, Tx, order_json, trade_json
from .config import AssetConfig, MarketConfig, SimConfig, default_config, derive_id
from .faults import DropConnection, Faults, Outcome, canned_response
from .reverts import Revert, revert_body
from .ws import WsConnection, WsHub

_log = logging.getLogger("o2.sim")
_JSON = {"content-type": "application/json"}
_encoder = msgspec.json.Encoder()
_DAY_MS = 86_400_000

#: HTTP status of each structured error code.
_STATUS: dict[int, int] = {
    1000: 500,
    1003: 429,
    2000: 404,
    3000: 404,
    4000: 401,
    4001: 401,
    4002: 404,
    5000: 404,
}


class ApiError(Exception):
    """A structured ``{"code", "message"}`` error reply."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ManualClock:
    """A clock for tests: returns ``now`` until told otherwise."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = float(now)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


# --- state ---------------------------------------------------------------------------


class Session:
    """The session registered on an account."""

    __slots__ = ("address", "address_bytes", "contract_ids", "contract_set", "expiry")

    def __init__(self, address: str, expiry: int, contract_ids: list[str]) -> None:
        self.address = address
        self.address_bytes = bytes.fromhex(address[2:])
        self.expiry = expiry
        self.contract_ids = contract_ids
        self.contract_set = frozenset(contract_ids)


class BookBalance:
    """An account's funds inside one order book, per asset."""

    __slots__ = ("fee", "locked", "unlocked")

    def __init__(self) -> None:
        self.locked: dict[str, int] = {}
        self.unlocked: dict[str, int] = {}
        self.fee: dict[str, int] = {}


class Account:
    """A trading account (an on-chain contract owned by an address)."""

    __slots__ = (
        "balances",
        "books",
        "last_modification",
        "nonce",
        "orders",
        "owner",
        "owner_bytes",
        "owner_is_contract",
        "referer",
        "session",
        "trade_account_id",
        "trades",
    )

    def __init__(self, trade_account_id: str, owner: str, owner_is_contract: bool, now: int):
        self.trade_account_id = trade_account_id
        self.owner = owner
        self.owner_bytes = bytes.fromhex(owner[2:])
        self.owner_is_contract = owner_is_contract
        self.nonce = 0
        self.last_modification = now
        self.session: Session | None = None
        self.balances: dict[str, int] = {}
        self.books: dict[str, BookBalance] = {}
        self.referer: str | None = None
        self.orders: dict[str, list[Order]] = {}
        self.trades: dict[str, list[Trade]] = {}

    @property
    def identity(self) -> dict[str, str]:
        """``{"ContractId": trade_account_id}``."""
        return {"ContractId": self.trade_account_id}


class MarketState:
    """One order book: configuration, both sides, trade history, fee pool."""

    def __init__(self, cfg: MarketConfig, base: AssetConfig, quote: AssetConfig, registry: str):
        self.cfg = cfg
        self.market_id = cfg.market_id
        self.contract_id = cfg.contract_id
        self.base = base
        self.quote = quote
        self.base_asset = base.asset_id
        self.quote_asset = quote.asset_id
        self.base_factor = 10**base.decimals
        self.price_tick = truncation_factor(quote.decimals, cfg.quote_max_precision)
        self.pair = f"{base.symbol}/{quote.symbol}"
        self.ctx = MarketContext(
            market_id=cfg.market_id,
            contract_id=bytes.fromhex(cfg.contract_id[2:]),
            base_asset=bytes.fromhex(base.asset_id[2:]),
            quote_asset=bytes.fromhex(quote.asset_id[2:]),
            base_factor=self.base_factor,
            accounts_registry=bytes.fromhex(registry[2:]),
        )
        maker, taker = cfg.maker_rate, cfg.taker_rate
        self.maker_fee = (maker.numerator, maker.denominator)
        self.taker_fee = (taker.numerator, taker.denominator)
        self.bids = BookSide(is_bid=True)
        self.asks = BookSide(is_bid=False)
        self.trades: list[Trade] = []
        self.trade_ts: list[int] = []
        self.trade_index: dict[str, int] = {}
        self.fee_pool: dict[str, int] = {}

    def to_json(self) -> dict[str, Any]:
        """The market as ``GET /v1/markets`` lists it."""
        cfg = self.cfg
        return {
            "contract_id": cfg.contract_id,
            "market_id": cfg.market_id,
            "maker_fee": cfg.maker_fee,
            "taker_fee": cfg.taker_fee,
            "min_order": str(cfg.min_order),
            "dust": str(cfg.dust),
            "price_window": cfg.price_window,
            "base": {
                "symbol": self.base.symbol,
                "asset": self.base.asset_id,
                "decimals": self.base.decimals,
                "max_precision": cfg.base_max_precision,
            },
            "quote": {
                "symbol": self.quote.symbol,
                "asset": self.quote.asset_id,
                "decimals": self.quote.decimals,
                "max_precision": cfg.quote_max_precision,
            },
        }


def _norm_id(value: str) -> str:
    text = value.strip().lower()
    return text if text.startswith("0x") else "0x" + text


def _b256(value: str, what: str) -> str:
    try:
        return str(m.b256(value, what))
    except InvalidInput as err:
        raise ApiError(1001, str(err)) from None


class Exchange:
    """The local O2 exchange.

    ``clock`` returns unix seconds (the adapters pass ``time.time``; tests inject a
    :class:`ManualClock`); it is read once per request. The engine never reads the
    wall clock itself. Everything else is
    derived from ``config`` (default: :func:`default_config` of ``seed``).
    """

    def __init__(
        self,
        config: SimConfig | None = None,
        *,
        clock: Callable[[], float],
        seed: int | None = None,
    ) -> None:
        if config is None:
            config = default_config(0 if seed is None else seed)
        self.config = config
        self.clock = clock
        self.seed = config.seed
        self.faults = Faults()
        self.assets: dict[str, AssetConfig] = {a.asset_id: a for a in config.assets}
        self.markets: dict[str, MarketState] = {}
        self.markets_by_contract: dict[str, MarketState] = {}
        by_symbol = {a.symbol: a for a in config.assets}
        for mc in config.markets:
            market = MarketState(
                mc, by_symbol[mc.base], by_symbol[mc.quote], config.accounts_registry_id
            )
            self.markets[market.market_id] = market
            self.markets_by_contract[market.contract_id] = market
        self.accounts: dict[str, Account] = {}
        self.accounts_by_owner: dict[str, Account] = {}
        self.orders: dict[str, Order] = {}
        self.whitelist: set[str] = set()
        self.referral_codes: dict[str, str] = dict(config.referral_codes)
        self.minted: dict[str, int] = {}
        self.wallets: dict[str, dict[str, int]] = {}
        self.withdrawn: dict[str, int] = {}
        self._faucet_last: dict[str, float] = {}
        self._expiries: list[tuple[int, int, Order]] = []
        self._counter = 0
        self._markets_body = _encoder.encode(
            {
                "books_registry_id": config.books_registry_id,
                "accounts_registry_id": config.accounts_registry_id,
                "trade_account_oracle_id": config.trade_account_oracle_id,
                "chain_id": f"0x{config.chain_id:016x}",
                "base_asset_id": config.base_asset_id,
                "markets": [mk.to_json() for mk in self.markets.values()],
            }
        )
        self.ws = WsHub(self)
        self._routes: dict[tuple[str, str], Callable[[dict[str, str], Any, float], Any]] = {
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
            ("POST", "/analytics/v1/whitelist"): self._post_whitelist,
            ("GET", "/analytics/v1/referral/code-info"): self._get_referral,
            ("GET", "/v1/aggregated/assets"): self._agg_assets,
            ("GET", "/v1/aggregated/summary"): self._agg_summary,
            ("GET", "/v1/aggregated/ticker"): self._agg_ticker,
            ("GET", "/v1/aggregated/orderbook"): self._agg_orderbook,
            ("GET", "/v1/aggregated/trades"): self._agg_trades,
        }

    # --- entry points ----------------------------------------------------------------

    def handle(self, request: Any) -> Response:
        """Answer one request. Raises :class:`DropConnection` for a ``drop`` fault."""
        outcome = self.process(request)
        if outcome.drop or outcome.response is None:
            raise DropConnection(f"connection dropped by a fault: {request.method} {request.url}")
        return outcome.response

    def process(self, request: Any) -> Outcome:
        """Answer one request and say what the adapter must do (delay, drop)."""
        path = urlsplit(request.url).path.rstrip("/") or "/"
        fault = self.faults.take(request.method, path)
        if fault is not None:
            if fault.drop and not fault.after:
                return Outcome(None, delay=fault.delay, drop=True)
            if fault.status is not None:
                return Outcome(canned_response(fault), delay=fault.delay)
        response = self._answer(request)
        if fault is None:
            return Outcome(response)
        if fault.malformed:
            body = fault.body if fault.body is not None else b'{"tx_id": "0x'
            response = Response(response.status, body, dict(response.headers))
        return Outcome(response, delay=fault.delay, drop=fault.drop)

    def _answer(self, request: Any) -> Response:
        parts = urlsplit(request.url)
        path = parts.path.rstrip("/") or "/"
        method = request.method.upper()
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        now = self.clock()
        self._expire(now)
        handler = self._routes.get((method, path))
        if handler is None and method == "POST" and self._is_faucet(path):
            handler = self._post_faucet
        try:
            if handler is None:
                known = any(p == path for (_, p) in self._routes)
                raise ApiError(
                    1001, f"{'method not allowed' if known else 'not found'}: {method} {path}"
                )
            result = handler(query, request, now)
        except ApiError as err:
            body = _encoder.encode({"code": err.code, "message": err.message})
            return Response(_STATUS.get(err.code, 400), body, _JSON)
        except Exception as err:  # a simulator bug: answer like the backend's 500
            _log.exception("internal error answering %s %s", method, path)
            body = _encoder.encode({"code": 1000, "message": f"Internal error: {err!r}"})
            return Response(500, body, _JSON)
        if isinstance(result, Response):
            return result
        return Response(200, _encoder.encode(result), _JSON)

    @staticmethod
    def _is_faucet(path: str) -> bool:
        return path in ("/faucet", "/faucet/mint", "/faucet/mint-v2") or path.endswith("/mint-v2")

    # --- WebSocket facade ------------------------------------------------------------

    def ws_connect(self) -> WsConnection:
        """Open a WebSocket connection (raises :class:`DropConnection` for a fault)."""
        if self.faults.take_ws_connect():
            raise DropConnection("WebSocket connection refused by a fault")
        return self.ws.connect()

    def ws_receive(self, conn: WsConnection, text: str) -> None:
        """Handle one client frame; replies land in ``conn.outbox``."""
        now = self.clock()
        self._expire(now)
        self.ws.receive(conn, text, now)

    def ws_close(self, conn: WsConnection) -> None:
        """Forget a connection (idempotent)."""
        self.ws.close(conn)

    def drop_ws_connections(self) -> int:
        """Mark every WebSocket connection closed (adapters then close their sockets)."""
        return self.ws.drop_all()

    def inject_ws_frame(self, text: str, conn: WsConnection | None = None) -> None:
        """Push a raw (possibly malformed) frame to one or every connection."""
        self.ws.inject(text, conn)

    # --- helpers ---------------------------------------------------------------------

    def _next_id(self, label: str) -> str:
        self._counter += 1
        return derive_id(self.seed, f"{label}:{self._counter}")

    def _decode(self, body: bytes | None, kind: Any) -> Any:
        try:
            return m.decoder(kind).decode(body or b"")
        except msgspec.ValidationError as err:
            try:
                msgspec.json.decode(body or b"")
            except msgspec.DecodeError as syntax:
                raise ApiError(1002, f"malformed JSON body: {syntax}") from None
            raise ApiError(1001, f"invalid request body: {err}") from None
        except msgspec.DecodeError as err:
            raise ApiError(1002, f"malformed JSON body: {err}") from None
        except (InvalidInput, ValueError, TypeError) as err:
            raise ApiError(1001, f"invalid request body: {err}") from None

    def _market_param(self, query: dict[str, str]) -> MarketState:
        value = query.get("market_id")
        if not value:
            raise ApiError(1001, "market_id is required")
        key = _norm_id(value)
        market = self.markets.get(key) or self.markets_by_contract.get(key)
        if market is None:
            raise ApiError(2000, f"Market not found: {value}")
        return market

    @staticmethod
    def _int_param(
        query: dict[str, str], name: str, default: int | None = None, code: int = 1001
    ) -> int | None:
        value = query.get(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise ApiError(code, f"{name} must be an integer, got {value!r}") from None
        if number < 0:
            raise ApiError(code, f"{name} must not be negative")
        return number

    @staticmethod
    def _direction(query: dict[str, str]) -> bool:
        value = query.get("direction", "desc") or "desc"
        if value not in ("asc", "desc"):
            raise ApiError(1001, f"direction must be asc or desc, got {value!r}")
        return value == "desc"

    def _account_param(self, query: dict[str, str], *names: str) -> Account | None:
        for name in names:
            value = query.get(name)
            if value:
                return self.accounts.get(_norm_id(value))
        raise ApiError(1001, f"one of {', '.join(names)} is required")

    def _book_balance(self, account: Account, market: MarketState, tx: Tx) -> BookBalance:
        bb = account.books.get(market.contract_id)
        if bb is None:
            bb = BookBalance()
            tx.put(account.books, market.contract_id, bb)
        return bb

    def _touch(self, tx: Tx, account: Account, asset: str) -> None:
        tx.touched_balances[(account.trade_account_id, asset)] = account

    def _owner_signed(self, account: Account, message: bytes, signature_hex: str) -> bool:
        try:
            signature = crypto.parse_hex(signature_hex, 64, "signature")
            owner = account.owner_bytes
            if owner[:12] == bytes(12):
                key = crypto.recover_public_key(crypto.evm_personal_sign_digest(message), signature)
                signer = bytes(12) + crypto.evm_address(key)
            else:
                key = crypto.recover_public_key(
                    crypto.fuel_personal_sign_digest(message), signature
                )
                signer = crypto.fuel_address(key)
        except (InvalidInput, InvalidSignature):
            return False
        return signer == owner and not account.owner_is_contract

    def _check_owner_header(self, request: Any, account: Account) -> None:
        for name, value in request.headers:
            if name.lower() == "o2-owner-id":
                try:
                    ok = str(m.Id(value)) == account.owner
                except InvalidInput:
                    ok = False
                if not ok:
                    raise ApiError(4000, "O2-Owner-Id does not match the trading account's owner")

    def _revert(self, revert: Revert, contract: str, logs: list[str]) -> Response:
        body = revert_body(revert, contract, logs, self.config.revert_as_code_1000)
        return Response(400, _encoder.encode(body), _JSON)

    def _consume_nonce(self, account: Account, tx: Tx) -> None:
        tx.set(account, "nonce", account.nonce + 1)
        tx.set(account, "last_modification", int(tx.now))
        tx.nonce_accounts[account.trade_account_id] = account
        tx.logs.append("IncrementNonceEvent")

    def _commit(self, tx: Tx) -> None:
        for trade in tx.trades:
            market = trade.market
            market.trade_index[trade.trade_id] = len(market.trades)
            market.trades.append(trade)
            market.trade_ts.append(trade.timestamp_ms)
            trade.maker.trades.setdefault(market.market_id, []).append(trade)
            if trade.taker is not trade.maker:
                trade.taker.trades.setdefault(market.market_id, []).append(trade)
        tx.undo.clear()
        if self.ws.conns:
            self.ws.publish(tx)

    def _consume_nonce_alone(self, account: Account, now: float) -> None:
        """Consume the nonce of a reverted submission in its own transaction."""
        tx = Tx(now)
        self._consume_nonce(account, tx)
        self._commit(tx)

    # --- limit-order expiry ----------------------------------------------------------

    def _expire(self, now: float) -> None:
        heap = self._expiries
        if not heap or heap[0][0] > now:
            return
        tx = Tx(now)
        while heap and heap[0][0] <= now:
            _, _, order = heapq.heappop(heap)
            if order.resting and not order.close:
                self._remove_resting(order, tx)
                self._close_order(order, tx, cancel=True)
        self._commit(tx)

    # --- accounts --------------------------------------------------------------------

    def _post_account(self, query: dict[str, str], request: Any, now: float) -> Any:
        class _Body(msgspec.Struct):
            identity: m.Identity

        body = self._decode(request.body, _Body)
        owner = str(body.identity.value)
        if len(owner) != 66:
            raise ApiError(1001, "the owner must be a 32-byte address")
        existing = self.accounts_by_owner.get(owner)
        registry = self.config.accounts_registry_id
        if existing is not None:
            revert = Revert("TradeAccountRegistryError", "OwnerAlreadyHasTradeAccount")
            return self._revert(revert, registry, [])
        trade_account_id = derive_id(self.seed, f"trade_account:{owner}")
        account = Account(trade_account_id, owner, body.identity.is_contract, int(now))
        self.accounts[trade_account_id] = account
        self.accounts_by_owner[owner] = account
        return {"trade_account_id": trade_account_id, "nonce": "0"}

    def account_json(self, account: Account | None) -> dict[str, Any]:
        """The ``GET /v1/accounts`` reply for an account (or none)."""
        if account is None:
            return {"trade_account_id": None, "trade_account": None, "session": None}
        session = account.session
        owner_kind = "ContractId" if account.owner_is_contract else "Address"
        return {
            "trade_account_id": account.trade_account_id,
            "trade_account": {
                "last_modification": account.last_modification,
                "nonce": str(account.nonce),
                "owner": {owner_kind: account.owner},
                "synced_with_network": True,
            },
            "session": None
            if session is None
            else {
                "session_id": {"Address": session.address},
                "expiry": str(session.expiry),
                "contract_ids": list(session.contract_ids),
            },
        }

    def _get_account(self, query: dict[str, str], request: Any, now: float) -> Any:
        if query.get("trade_account_id"):
            return self.account_json(self.accounts.get(_norm_id(query["trade_account_id"])))
        for name, is_contract in (("owner", False), ("owner_contract", True)):
            if query.get(name):
                account = self.accounts_by_owner.get(_norm_id(query[name]))
                if account is not None and account.owner_is_contract != is_contract:
                    account = None
                return self.account_json(account)
        raise ApiError(1001, "one of owner, trade_account_id, owner_contract is required")

    def balance_json(self, account: Account, asset: str) -> dict[str, Any]:
        """The ``GET /v1/balance`` reply of one account and asset."""
        trading = account.balances.get(asset, 0)
        total_locked = 0
        total_unlocked = trading
        books: dict[str, dict[str, str]] = {}
        for contract, bb in account.books.items():
            market = self.markets_by_contract[contract]
            if asset not in (market.base_asset, market.quote_asset):
                continue
            locked = bb.locked.get(asset, 0)
            unlocked = bb.unlocked.get(asset, 0)
            total_locked += locked
            total_unlocked += unlocked
            books[contract] = {
                "locked": str(locked),
                "unlocked": str(unlocked),
                "fee": str(bb.fee.get(asset, 0)),
            }
        return {
            "trading_account_balance": str(trading),
            "total_locked": str(total_locked),
            "total_unlocked": str(total_unlocked),
            "order_books": books,
        }

    def _get_balance(self, query: dict[str, str], request: Any, now: float) -> Any:
        asset = query.get("asset_id")
        if not asset:
            raise ApiError(1001, "asset_id is required")
        asset = _norm_id(asset)
        if query.get("contract"):
            account = self.accounts.get(_norm_id(query["contract"]))
        elif query.get("address"):
            account = self.accounts_by_owner.get(_norm_id(query["address"]))
        else:
            raise ApiError(1001, "one of contract or address is required")
        if account is None:
            raise ApiError(4002, "Account not found")
        return self.balance_json(account, asset)

    def _post_whitelist(self, query: dict[str, str], request: Any, now: float) -> Any:
        class _Body(msgspec.Struct):
            tradeAccount: str

        body = self._decode(request.body, _Body)
        account = _b256(body.tradeAccount, "tradeAccount")
        already = account in self.whitelist
        self.whitelist.add(account)
        return {"success": True, "tradeAccount": account, "alreadyWhitelisted": already}

    def _get_referral(self, query: dict[str, str], request: Any, now: float) -> Any:
        code = query.get("code")
        if not code:
            raise ApiError(1001, "code is required")
        owner = self.referral_codes.get(code)
        if owner is None:
            return {"valid": False, "ownerAddress": None, "isActive": False}
        return {"valid": True, "ownerAddress": owner, "isActive": True}

    # --- faucet ----------------------------------------------------------------------

    def _post_faucet(self, query: dict[str, str], request: Any, now: float) -> Any:
        def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
            return Response(
                status, _encoder.encode({"error": message}), {**_JSON, **(headers or {})}
            )

        try:
            payload = msgspec.json.decode(request.body or b"")
        except msgspec.DecodeError:
            return error(400, "Invalid JSON body")
        if not isinstance(payload, dict) or len(payload.keys() & {"address", "contract"}) != 1:
            return error(400, 'Body must be {"address": ...} or {"contract": ...}')
        kind = "address" if "address" in payload else "contract"
        try:
            target = str(m.b256(str(payload[kind]), kind))
        except InvalidInput:
            return error(400, f"Invalid {kind}")
        account = None
        if kind == "contract":
            account = self.accounts.get(target)
            if account is None:
                return error(400, f"Unknown trading account {target}")
        key = f"{kind}:{target}"
        last = self._faucet_last.get(key)
        cooldown = self.config.faucet_cooldown
        if last is not None and now - last < cooldown:
            wait = max(1, math.ceil(cooldown - (now - last)))
            return error(
                429, f"Faucet cooldown: try again in {wait} seconds", {"retry-after": str(wait)}
            )
        self._faucet_last[key] = now
        tx = Tx(now)
        for asset in self.config.assets:
            if asset.faucet_amount <= 0:
                continue
            tx.add(self.minted, asset.asset_id, asset.faucet_amount)
            if account is not None:
                tx.add(account.balances, asset.asset_id, asset.faucet_amount)
                self._touch(tx, account, asset.asset_id)
            else:
                wallet = self.wallets.setdefault(target, {})
                tx.add(wallet, asset.asset_id, asset.faucet_amount)
        self._commit(tx)
        symbols = ", ".join(a.symbol for a in self.config.assets if a.faucet_amount > 0)
        return {"message": f"Minted {symbols} to {target}"}

    # --- sessions --------------------------------------------------------------------

    def _put_session(self, query: dict[str, str], request: Any, now: float) -> Any:
        body: SessionBody = self._decode(request.body, SessionBody)
        account = self.accounts.get(str(body.contract_id))
        if account is None:
            raise ApiError(4002, f"Trading account not found: {body.contract_id}")
        self._check_owner_header(request, account)
        if body.session_id.address is None:
            raise ApiError(1001, "session_id must be an Address")
        contract_ids = [str(c) for c in body.contract_ids]
        for contract in contract_ids:
            if len(contract) != 66 or contract not in self.markets_by_contract:
                raise ApiError(2000, f"Market not found for contract id {contract}")
        session_address = str(body.session_id.value)
        try:
            signing = enc.session_signing_bytes(
                body.nonce,
                self.config.chain_id,
                bytes.fromhex(session_address[2:]),
                body.expiry,
                [bytes.fromhex(c[2:]) for c in contract_ids],
            )
        except InvalidInput as err:
            raise ApiError(1001, str(err)) from None
        if not self._owner_signed(account, signing, body.signature.Secp256k1):
            raise ApiError(4000, "Invalid signature: it does not recover to the account owner")
        contract = account.trade_account_id
        if body.nonce != account.nonce:
            return self._revert(Revert("NonceError", "InvalidNonce"), contract, [])
        revert = None
        if not contract_ids:
            revert = Revert("SessionError", "NoApprovedContractIdsProvided")
        elif body.expiry <= now:
            revert = Revert("SessionError", "SessionInThePast")
        if revert is not None:
            self._consume_nonce_alone(account, now)
            return self._revert(revert, contract, [])
        tx = Tx(now)
        tx.set(account, "session", Session(session_address, body.expiry, contract_ids))
        self._consume_nonce(account, tx)
        self._commit(tx)
        return {
            "tx_id": self._next_id("tx"),
            "trade_account_id": account.trade_account_id,
            "contract_ids": contract_ids,
            "session_id": {"Address": session_address},
            "session_expiry": str(body.expiry),
        }

    # --- withdraw --------------------------------------------------------------------

    def _post_withdraw(self, query: dict[str, str], request: Any, now: float) -> Any:
        body: WithdrawBody = self._decode(request.body, WithdrawBody)
        account = self.accounts.get(str(body.trade_account_id))
        if account is None:
            raise ApiError(4002, f"Trading account not found: {body.trade_account_id}")
        self._check_owner_header(request, account)
        asset = str(body.asset_id)
        if len(asset) != 66:
            raise ApiError(1001, "asset_id must be 32 bytes")
        try:
            signing = enc.withdraw_signing_bytes(
                body.nonce,
                self.config.chain_id,
                body.to.discriminant,
                body.to.address_bytes,
                body.amount,
                bytes.fromhex(asset[2:]),
            )
        except (InvalidInput, ValueError) as err:
            raise ApiError(1001, str(err)) from None
        if not self._owner_signed(account, signing, body.signature.Secp256k1):
            raise ApiError(4000, "Invalid signature: it does not recover to the account owner")
        contract = account.trade_account_id
        if body.nonce != account.nonce:
            return self._revert(Revert("NonceError", "InvalidNonce"), contract, [])
        revert = None
        if body.amount == 0:
            revert = Revert("WithdrawError", "AmountIsZero")
        elif account.balances.get(asset, 0) < body.amount:
            revert = Revert("WithdrawError", "NotEnoughBalance")
        if revert is not None:
            self._consume_nonce_alone(account, now)
            return self._revert(revert, contract, ["IncrementNonceEvent"])
        tx = Tx(now)
        self._consume_nonce(account, tx)
        tx.add(account.balances, asset, -body.amount)
        self._touch(tx, account, asset)
        self._credit(body.to, asset, body.amount, tx)
        tx.add(self.withdrawn, asset, body.amount)
        tx.logs.append("WithdrawEvent")
        self._commit(tx)
        return {"tx_id": self._next_id("tx")}

    def _credit(self, to: m.Identity, asset: str, amount: int, tx: Tx) -> None:
        """Pay ``amount`` out to an identity: a known trading account, or a wallet."""
        target = str(to.value)
        account = self.accounts.get(target) if to.is_contract else None
        if account is not None:
            tx.add(account.balances, asset, amount)
            self._touch(tx, account, asset)
        else:
            wallet = self.wallets.get(target)
            if wallet is None:
                wallet = {}
                tx.put(self.wallets, target, wallet)
            tx.add(wallet, asset, amount)

    # --- action batches --------------------------------------------------------------

    def _post_actions(self, query: dict[str, str], request: Any, now: float) -> Any:
        body: ActionsBody = self._decode(request.body, ActionsBody)
        total = sum(len(group.actions) for group in body.actions)
        if total == 0:
            raise ApiError(7003, "No actions provided")
        if total > MAX_ACTIONS or len(body.actions) > MAX_GROUPS:
            raise ApiError(
                7004,
                f"Too many actions: at most {MAX_ACTIONS} actions in {MAX_GROUPS} market groups",
            )
        account = self.accounts.get(str(body.trade_account_id))
        if account is None:
            raise ApiError(4002, f"Trading account not found: {body.trade_account_id}")
        self._check_owner_header(request, account)
        session = account.session
        if (
            session is None
            or body.session_id.address is None
            or str(body.session_id.value) != session.address
        ):
            raise ApiError(4001, "Invalid session: not the account's current session")
        if now >= session.expiry:
            raise ApiError(4001, "Invalid session: the session has expired")
        plan: list[tuple[MarketState, WireAction]] = []
        calls: list[enc.Call] = []
        for group in body.actions:
            market = self.markets.get(str(group.market_id))
            if market is None:
                raise ApiError(2000, f"Market not found: {group.market_id}")
            for action in group.actions:
                if (
                    action.RegisterReferer is None
                    and market.contract_id not in session.contract_set
                ):
                    raise ApiError(
                        4001, f"Invalid session: market {market.pair} is not in the session"
                    )
                try:
                    calls.append(self._call_of(action, market))
                except (InvalidInput, ValueError, TypeError, KeyError, IndexError) as err:
                    raise ApiError(1001, f"invalid action: {err}") from None
                plan.append((market, action))
        try:
            signing = enc.actions_signing_bytes(body.nonce, calls)
            signature = crypto.parse_hex(body.signature.Secp256k1, 64, "signature")
            key = crypto.recover_public_key(crypto.raw_digest(signing), signature)
        except InvalidSignature:
            raise ApiError(4000, "Invalid signature") from None
        except InvalidInput as err:
            raise ApiError(4000 if "signature" in str(err) else 1001, str(err)) from None
        if crypto.fuel_address(key) != session.address_bytes:
            raise ApiError(4000, "Invalid signature: it does not recover to the session key")
        contract = account.trade_account_id
        if body.nonce != account.nonce:
            return self._revert(Revert("NonceError", "InvalidNonce"), contract, [])
        tx = Tx(now)
        tx.logs.append("SessionContractCallEvent")
        failing = contract
        try:
            for market, action in plan:
                failing = (
                    self.config.accounts_registry_id
                    if action.RegisterReferer is not None
                    else market.contract_id
                )
                self._execute(account, market, action, tx)
        except Revert as revert:
            logs = list(tx.logs)
            tx.rollback()
            self._consume_nonce_alone(account, now)
            return self._revert(revert, failing, logs)
        except BaseException:
            tx.rollback()
            raise
        self._consume_nonce(account, tx)
        created = list(tx.created)
        self._commit(tx)
        reply: dict[str, Any] = {"tx_id": self._next_id("tx")}
        if body.collect_orders:
            reply["orders"] = [order_json(order) for order in created]
        return reply

    @staticmethod
    def _call_of(action: WireAction, market: MarketState) -> enc.Call:
        """The signed call of a wire action.

        The core refuses to build a BoundedMarket order with min_price > max_price (no
        client should sign one); the chain accepts the call and reverts, so it is
        encoded here directly to be able to answer with that revert.
        """
        try:
            return call_of_wire(action, market.ctx)
        except InvalidInput:
            order = action.CreateOrder
            if order is None or order.side not in ("Buy", "Sell"):
                raise
            name, first, second = wire_order_type(order.order_type)
            if name != "BoundedMarket" or second <= first:
                raise
            data = enc.encode_order_args(
                order.price, order.quantity, enc.encode_order_type(name, first, second)
            )
            ctx = market.ctx
            if order.side == "Buy":
                amount, asset = order.price * order.quantity // ctx.base_factor, ctx.quote_asset
            else:
                amount, asset = order.quantity, ctx.base_asset
            return enc.Call(ctx.contract_id, enc.SELECTOR_CREATE_ORDER, amount, asset, data)

    def _execute(self, account: Account, market: MarketState, action: WireAction, tx: Tx) -> None:
        if action.CreateOrder is not None:
            self._create_order(account, market, action.CreateOrder, tx)
        elif action.CancelOrder is not None:
            self._cancel_order(account, market, _norm_id(action.CancelOrder.order_id), tx)
        elif action.SettleBalance is not None:
            self._settle(account, market, action.SettleBalance.to, tx)
        elif action.RegisterReferer is not None:
            if account.referer is not None:
                raise Revert("TradeAccountRegistryError", "TradeAccountAlreadyHasReferer")
            tx.set(account, "referer", str(action.RegisterReferer.to.value))
            tx.logs.append("TradeAccountReferer")

    def _settle(self, account: Account, market: MarketState, to: m.Identity, tx: Tx) -> None:
        bb = account.books.get(market.contract_id)
        if bb is not None:
            for asset, amount in list(bb.unlocked.items()):
                if amount > 0:
                    tx.add(bb.unlocked, asset, -amount)
                    self._touch(tx, account, asset)
                    self._credit(to, asset, amount, tx)
                    if not to.is_contract or str(to.value) not in self.accounts:
                        tx.add(self.withdrawn, asset, amount)
        tx.logs.append("WithdrawSettledTradeEvent")

    def _cancel_order(self, account: Account, market: MarketState, order_id: str, tx: Tx) -> None:
        order = self.orders.get(order_id)
        if order is None or order.market is not market:
            raise Revert(None, None, f"order {order_id} not found in this market")
        if order.account is not account:
            raise Revert("OrderCancelError", "NotOrderOwner")
        if order.close:
            raise Revert(None, None, f"order {order_id} is already closed")
        self._remove_resting(order, tx)
        self._close_order(order, tx, cancel=True)
        tx.logs.append("OrderCancelledEvent")

    def _remove_resting(self, order: Order, tx: Tx) -> None:
        """Take a resting order's remainder off its level (the order stays in the deque)."""
        market = order.market
        side = market.bids if order.is_buy else market.asks
        level = side.levels.get(order.price)
        if level is not None and order.remaining:
            side.reduce(level, order.remaining, tx)
            tx.touched_levels.setdefault(market.market_id, set()).add((order.is_buy, order.price))
        tx.set(order, "resting", False)

    def _close_order(self, order: Order, tx: Tx, cancel: bool) -> None:
        """Close an order, releasing whatever it still locks to the book's unlocked."""
        if order.locked:
            market = order.market
            asset = market.quote_asset if order.is_buy else market.base_asset
            bb = self._book_balance(order.account, market, tx)
            tx.add(bb.locked, asset, -order.locked)
            tx.add(bb.unlocked, asset, order.locked)
            tx.set(order, "locked", 0)
            self._touch(tx, order.account, asset)
        tx.set(order, "close", True)
        if cancel and order.remaining:
            tx.set(order, "cancel", True)
        if order.resting:
            tx.set(order, "resting", False)
        tx.touched_orders[order.order_id] = order

    def _create_order(self, account: Account, market: MarketState, wire: Any, tx: Tx) -> None:
        if self.config.require_whitelist and account.trade_account_id not in self.whitelist:
            raise Revert("OrderCreationError", "TraderNotWhiteListed")
        name, first, second = wire_order_type(wire.order_type)
        is_buy = wire.side == "Buy"
        price, quantity = wire.price, wire.quantity
        if price <= 0 or quantity <= 0:
            raise Revert("OrderCreationError", "InvalidOrderArgs")
        rule = order_rule_violation(
            price,
            quantity,
            market.base.decimals,
            market.quote.decimals,
            market.cfg.quote_max_precision,
            market.cfg.min_order,
        )
        if rule is not None:
            variant = rule if rule in ("PricePrecision", "FractionalPrice") else "InvalidOrderArgs"
            raise Revert("OrderCreationError", variant)
        if name == "BoundedMarket" and second > first:
            raise Revert("OrderCreationError", "InvalidMarketOrderArgs")
        if name == "Limit" and (first <= 0 or first % market.price_tick):
            raise Revert("OrderCreationError", "PricePrecision")
        if is_buy:
            asset, amount = market.quote_asset, price * quantity // market.base_factor
        else:
            asset, amount = market.base_asset, quantity
        if account.balances.get(asset, 0) < amount:
            raise Revert("OrderCreationError", "InvalidInputAmount")
        tx.add(account.balances, asset, -amount)
        bb = self._book_balance(account, market, tx)
        tx.add(bb.locked, asset, amount)
        self._touch(tx, account, asset)
        self._counter += 1
        order = Order(
            order_id=derive_id(self.seed, f"order:{self._counter}"),
            seq=self._counter,
            market=market,
            account=account,
            is_buy=is_buy,
            price=price,
            quantity=quantity,
            type_name=name,
            type_wire=wire.order_type,
            timestamp_ms=tx.now_ms,
            locked=amount,
            expiry=second if name == "Limit" else None,
        )
        tx.put(self.orders, order.order_id, order)
        history = account.orders.get(market.market_id)
        if history is None:
            history = []
            tx.put(account.orders, market.market_id, history)
        history.append(order)
        tx.on_undo(history.pop)
        tx.created.append(order)
        tx.touched_orders[order.order_id] = order
        tx.logs.append("OrderCreatedEvent")

        opposite = market.asks if is_buy else market.bids
        best = opposite.best()
        crosses = best is not None and (best <= price if is_buy else best >= price)
        low: int | None
        high: int | None
        if is_buy:
            low, high = None, price
        else:
            low, high = price, None
        if name == "PostOnly":
            if crosses:
                raise Revert("OrderCreationError", "OrderPartiallyFilled")
            self._rest(order, tx)
            return
        if name == "FillOrKill":
            available = (
                opposite.total_between(0, price) if is_buy else opposite.total_between(price, 2**64)
            )
            if available < quantity:
                raise Revert("OrderCreationError", "OrderNotFilled")
        elif name == "BoundedMarket":
            if is_buy:
                low, high = second, min(first, price)
            else:
                low, high = max(second, price), first
        elif name == "Limit":
            if is_buy:
                high = min(first, price)
            else:
                low = max(first, price)
        self._match(order, low, high, tx)
        if order.remaining == 0:
            self._close_order(order, tx, cancel=False)
            return
        if name == "Spot":
            self._rest(order, tx)
        elif name == "Limit":
            best = opposite.best()
            crosses = best is not None and (best <= price if is_buy else best >= price)
            if second > tx.now and not crosses:
                self._rest(order, tx)
                heapq.heappush(self._expiries, (second, order.seq, order))
            else:
                self._close_order(order, tx, cancel=True)
        else:
            self._close_order(order, tx, cancel=True)

    def _rest(self, order: Order, tx: Tx) -> None:
        market = order.market
        side = market.bids if order.is_buy else market.asks
        side.add(order, tx)
        tx.set(order, "resting", True)
        tx.touched_levels.setdefault(market.market_id, set()).add((order.is_buy, order.price))

    def _match(self, taker: Order, low: int | None, high: int | None, tx: Tx) -> None:
        market = taker.market
        book = market.asks if taker.is_buy else market.bids
        touched = tx.touched_levels.setdefault(market.market_id, set())
        while taker.remaining > 0:
            level = book.best_level()
            if level is None:
                break
            price = level.price
            if (high is not None and price > high) or (low is not None and price < low):
                break
            touched.add((not taker.is_buy, price))
            orders = level.orders
            while taker.remaining > 0 and level.total > 0:
                maker = orders[0]
                if maker.close or not maker.resting:
                    book.pop_head(level, tx)
                    continue
                quantity = min(maker.remaining, taker.remaining)
                self._fill(maker, taker, price, quantity, tx)
                book.reduce(level, quantity, tx)
                if maker.remaining == 0:
                    book.pop_head(level, tx)
                    self._close_order(maker, tx, cancel=False)

    def _fill(self, maker: Order, taker: Order, price: int, quantity: int, tx: Tx) -> None:
        market = maker.market
        base, quote = market.base_asset, market.quote_asset
        cost = price * quantity // market.base_factor
        buy, sell = (maker, taker) if maker.is_buy else (taker, maker)
        buyer, seller = buy.account, sell.account
        buy_bb = self._book_balance(buyer, market, tx)
        sell_bb = self._book_balance(seller, market, tx)
        tx.set(sell, "locked", sell.locked - quantity)
        tx.add(sell_bb.locked, base, -quantity)
        tx.set(buy, "locked", buy.locked - cost)
        tx.add(buy_bb.locked, quote, -cost)
        num, den = market.maker_fee if buy is maker else market.taker_fee
        buyer_fee = quantity * num // den
        num, den = market.maker_fee if sell is maker else market.taker_fee
        seller_fee = cost * num // den
        tx.add(buy_bb.unlocked, base, quantity - buyer_fee)
        tx.add(sell_bb.unlocked, quote, cost - seller_fee)
        if buyer_fee:
            tx.add(buy_bb.fee, base, buyer_fee)
            tx.add(market.fee_pool, base, buyer_fee)
        if seller_fee:
            tx.add(sell_bb.fee, quote, seller_fee)
            tx.add(market.fee_pool, quote, seller_fee)
        notional = price * quantity
        for order in (maker, taker):
            tx.set(order, "filled", order.filled + quantity)
            tx.set(order, "fill_notional", order.fill_notional + notional)
            tx.touched_orders[order.order_id] = order
        needed = buy.price * buy.remaining // market.base_factor
        excess = buy.locked - needed
        if excess > 0:
            tx.set(buy, "locked", needed)
            tx.add(buy_bb.locked, quote, -excess)
            tx.add(buy_bb.unlocked, quote, excess)
        for account in (buyer, seller):
            self._touch(tx, account, base)
            self._touch(tx, account, quote)
        self._counter += 1
        trade = Trade(
            trade_id=derive_id(self.seed, f"trade:{self._counter}"),
            seq=self._counter,
            market=market,
            price=price,
            quantity=quantity,
            total=cost,
            timestamp_ms=tx.now_ms,
            maker_order=maker,
            taker_order=taker,
        )
        tx.trades.append(trade)
        tx.logs.append("OrderMatchedEvent")

    # --- market data -----------------------------------------------------------------

    def _get_markets(self, query: dict[str, str], request: Any, now: float) -> Any:
        return Response(200, self._markets_body, _JSON)

    def _window(self, market: MarketState, now_ms: int) -> list[Trade]:
        start = bisect.bisect_left(market.trade_ts, now_ms - _DAY_MS)
        return market.trades[start:]

    def ticker(self, market: MarketState, now: float) -> dict[str, Any]:
        """24-hour statistics of a market (chain integers as strings, null = no data)."""
        now_ms = int(now * 1000)
        window = self._window(market, now_ms)
        bid_level = market.bids.best_level()
        ask_level = market.asks.best_level()

        def s(value: int | None) -> str | None:
            return None if value is None else str(value)

        out: dict[str, Any] = {
            "market_id": market.market_id,
            "bid": s(bid_level.price if bid_level else None),
            "bid_volume": s(bid_level.total if bid_level else None),
            "ask": s(ask_level.price if ask_level else None),
            "ask_volume": s(ask_level.total if ask_level else None),
            "last": s(market.trades[-1].price if market.trades else None),
            "timestamp": now_ms,
        }
        previous = len(market.trades) - len(window) - 1
        out["previous_close"] = s(market.trades[previous].price if previous >= 0 else None)
        if window:
            prices = [t.price for t in window]
            first, last = prices[0], prices[-1]
            out.update(
                high=str(max(prices)),
                low=str(min(prices)),
                open=str(first),
                close=str(last),
                change=str(last - first),
                percentage=str((Decimal(last - first) * 100 / first).quantize(Decimal("0.01"))),
                average=str((Decimal(first + last) / 2).normalize()),
                base_volume=str(sum(t.quantity for t in window)),
                quote_volume=str(sum(t.total for t in window)),
            )
        else:
            for name in ("high", "low", "open", "close", "change", "percentage", "average"):
                out[name] = None
            out["base_volume"] = "0"
            out["quote_volume"] = "0"
        return out

    def _get_ticker(self, query: dict[str, str], request: Any, now: float) -> Any:
        return self.ticker(self._market_param(query), now)

    def _get_summary(self, query: dict[str, str], request: Any, now: float) -> Any:
        tick = self.ticker(self._market_param(query), now)
        return {
            "market_id": tick["market_id"],
            "high_price": tick["high"],
            "low_price": tick["low"],
            "last_price": tick["last"],
            "volume_24h": tick["base_volume"],
            "change_24h": tick["percentage"],
        }

    @staticmethod
    def _precision(value: str | None) -> int:
        if value is None or value == "":
            return 1
        try:
            precision = int(value)
        except ValueError:
            raise ApiError(1001, f"precision must be a power of ten, got {value!r}") from None
        if precision < 1 or precision > 10**18 or 10 ** (len(str(precision)) - 1) != precision:
            raise ApiError(1001, f"precision must be a power of ten in 1..10^18, got {value!r}")
        return precision

    def depth_json(
        self, market: MarketState, precision: int, limit: int | None = None
    ) -> dict[str, list[dict[str, str]]]:
        """Both sides bucketed at ``precision``: ``{"buys": [...], "sells": [...]}``."""
        return {
            "buys": [
                {"price": str(p), "quantity": str(q)}
                for p, q in market.bids.depth(precision, limit)
            ],
            "sells": [
                {"price": str(p), "quantity": str(q)}
                for p, q in market.asks.depth(precision, limit)
            ],
        }

    def _get_depth(self, query: dict[str, str], request: Any, now: float) -> Any:
        market = self._market_param(query)
        precision = self._precision(query.get("precision"))
        limit = self._int_param(query, "limit")
        if limit is not None and limit < 1:
            raise ApiError(1001, "limit must be at least 1")
        return {"market_id": market.market_id, "orders": self.depth_json(market, precision, limit)}

    @staticmethod
    def _page(
        items: list[Any],
        desc: bool,
        count: int,
        index_of: dict[str, int] | None,
        start_id: str | None,
        start_ts: int | None,
        ts_of: Callable[[Any], int],
    ) -> list[Any]:
        """One page of ``items`` (oldest first) after a cursor, newest first if ``desc``."""
        if start_id:
            if index_of is None or _norm_id(start_id) not in index_of:
                raise ApiError(7002, f"unknown pagination cursor {start_id}")
            index = index_of[_norm_id(start_id)]
            selected = items[:index][::-1] if desc else items[index + 1 :]
        else:
            selected = items[::-1] if desc else items
            if start_ts is not None:
                if desc:
                    selected = [x for x in selected if ts_of(x) <= start_ts]
                else:
                    selected = [x for x in selected if ts_of(x) >= start_ts]
        return selected[:count]

    def _trade_count(self, query: dict[str, str]) -> int:
        count = self._int_param(query, "count", MAX_TRADES, code=5001)
        assert count is not None
        if not 1 <= count <= MAX_TRADES:
            raise ApiError(5001, f"count must be in 1..{MAX_TRADES}, got {count}")
        return count

    def _get_trades(self, query: dict[str, str], request: Any, now: float) -> Any:
        market = self._market_param(query)
        desc = self._direction(query)
        count = self._trade_count(query)
        page = self._page(
            market.trades,
            desc,
            count,
            market.trade_index,
            query.get("start_trade_id"),
            self._int_param(query, "start_timestamp"),
            lambda t: t.timestamp_ms,
        )
        return {"trades": [trade_json(t) for t in page], "market_id": market.market_id}

    def _get_trades_by_account(self, query: dict[str, str], request: Any, now: float) -> Any:
        market = self._market_param(query)
        desc = self._direction(query)
        count = self._trade_count(query)
        account = self._account_param(query, "contract", "account")
        trades = account.trades.get(market.market_id, []) if account is not None else []
        index = (
            {t.trade_id: i for i, t in enumerate(trades)} if query.get("start_trade_id") else None
        )
        page = self._page(
            trades,
            desc,
            count,
            index,
            query.get("start_trade_id"),
            self._int_param(query, "start_timestamp"),
            lambda t: t.timestamp_ms,
        )
        return {
            "trades": [trade_json(t, account) for t in page],
            "market_id": market.market_id,
        }

    def _get_orders(self, query: dict[str, str], request: Any, now: float) -> Any:
        market = self._market_param(query)
        desc = self._direction(query)
        count = self._int_param(query, "count", 20, code=7002)
        assert count is not None
        if not 1 <= count <= MAX_ORDERS:
            raise ApiError(7002, f"count must be in 1..{MAX_ORDERS}, got {count}")
        is_open = query.get("is_open")
        if is_open not in (None, "", "true", "false"):
            raise ApiError(1001, f"is_open must be true or false, got {is_open!r}")
        contract = query.get("contract") or query.get("account")
        account = self._account_param(query, "contract", "account")
        orders = account.orders.get(market.market_id, []) if account is not None else []
        if is_open == "true":
            orders = [o for o in orders if not o.close]
        elif is_open == "false":
            orders = [o for o in orders if o.close]
        start_id = query.get("start_order_id")
        index = {o.order_id: i for i, o in enumerate(orders)} if start_id else None
        page = self._page(
            orders,
            desc,
            count,
            index,
            start_id,
            self._int_param(query, "start_timestamp"),
            lambda o: o.timestamp_ms,
        )
        assert contract is not None
        return {
            "identity": {"ContractId": _norm_id(contract)},
            "market_id": market.market_id,
            "orders": [order_json(o) for o in page],
        }

    def _get_order(self, query: dict[str, str], request: Any, now: float) -> Any:
        market = self._market_param(query)
        order_id = query.get("order_id")
        if not order_id:
            raise ApiError(1001, "order_id is required")
        order = self.orders.get(_norm_id(order_id))
        if order is None or order.market is not market:
            raise ApiError(3000, f"Order not found: {order_id}")
        return {"order": order_json(order)}

    def _get_bars(self, query: dict[str, str], request: Any, now: float) -> Any:
        market = self._market_param(query)
        resolution = query.get("resolution", "")
        if resolution not in BAR_RESOLUTIONS:
            raise ApiError(1001, f"unknown resolution {resolution!r}")
        start = self._int_param(query, "from", code=7001)
        end = self._int_param(query, "to", code=7001)
        if start is None or end is None:
            raise ApiError(1001, "from and to (milliseconds) are required")
        step = RESOLUTION_MS[resolution]
        if start > end:
            raise ApiError(7001, "from must not be after to")
        if (end - start) // step > MAX_BARS:
            raise ApiError(7001, f"the range holds more than {MAX_BARS} bars")
        lo = bisect.bisect_left(market.trade_ts, start)
        hi = bisect.bisect_right(market.trade_ts, end)
        bars: dict[int, list[int]] = {}
        for trade in market.trades[lo:hi]:
            bucket = trade.timestamp_ms - trade.timestamp_ms % step
            bar = bars.get(bucket)
            p = trade.price
            if bar is None:
                bars[bucket] = bar = [p, p, p, p, 0, 0]
            else:
                bar[1] = max(bar[1], p)
                bar[2] = min(bar[2], p)
                bar[3] = p
            bar[4 if trade.maker_side == "Sell" else 5] += trade.quantity
        return [
            {
                "open": str(b[0]),
                "high": str(b[1]),
                "low": str(b[2]),
                "close": str(b[3]),
                "buy_volume": str(b[4]),
                "sell_volume": str(b[5]),
                "timestamp": ts,
            }
            for ts, b in sorted(bars.items())
        ]

    # --- aggregated (CoinGecko/CMC style, human units) ------------------------------

    def _pair_param(self, query: dict[str, str]) -> MarketState:
        pair = query.get("market_pair")
        if not pair:
            raise ApiError(1001, "market_pair is required")
        wanted = pair.replace("/", "_").lower()
        for market in self.markets.values():
            base, quote = market.base.symbol.lower(), market.quote.symbol.lower()
            names = {f"{base}_{quote}", f"{base.removeprefix('f')}_{quote.removeprefix('f')}"}
            if wanted in names:
                return market
        raise ApiError(2000, f"Market not found: {pair}")

    @staticmethod
    def _human(value: int | None, decimals: int) -> str | None:
        if value is None:
            return None
        return format(Decimal(value).scaleb(-decimals).normalize(), "f")

    def _agg_assets(self, query: dict[str, str], request: Any, now: float) -> Any:
        return [
            {"id": a.asset_id, "symbol": a.symbol, "name": a.name or a.symbol}
            for a in self.config.assets
        ]

    def _agg_entry(self, market: MarketState, now: float) -> dict[str, Any]:
        tick = self.ticker(market, now)
        qd, bd = market.quote.decimals, market.base.decimals

        def price(key: str) -> str | None:
            v = tick[key]
            return None if v is None else self._human(int(v), qd)

        return {
            "ticker_id": f"{market.base.symbol}_{market.quote.symbol}",
            "trading_pairs": f"{market.base.symbol}_{market.quote.symbol}",
            "base_currency": market.base.symbol,
            "quote_currency": market.quote.symbol,
            "target_currency": market.quote.symbol,
            "last_price": price("last"),
            "bid": price("bid"),
            "ask": price("ask"),
            "highest_bid": price("bid"),
            "lowest_ask": price("ask"),
            "high": price("high"),
            "low": price("low"),
            "highest_price_24h": price("high"),
            "lowest_price_24h": price("low"),
            "base_volume": self._human(int(tick["base_volume"]), bd),
            "quote_volume": self._human(int(tick["quote_volume"]), qd),
            "target_volume": self._human(int(tick["quote_volume"]), qd),
            "price_change_percent_24h": tick["percentage"],
        }

    def _agg_summary(self, query: dict[str, str], request: Any, now: float) -> Any:
        return [self._agg_entry(mk, now) for mk in self.markets.values()]

    def _agg_ticker(self, query: dict[str, str], request: Any, now: float) -> Any:
        return [self._agg_entry(mk, now) for mk in self.markets.values()]

    def _agg_orderbook(self, query: dict[str, str], request: Any, now: float) -> Any:
        market = self._pair_param(query)
        depth = self._int_param(query, "depth", 500)
        level = self._int_param(query, "level", 2)
        if not depth or level not in (1, 2):
            raise ApiError(1001, "depth must be >= 1 and level 1 or 2")
        limit = 1 if level == 1 else depth
        qd, bd = market.quote.decimals, market.base.decimals

        def side(book: BookSide) -> list[list[str | None]]:
            return [[self._human(p, qd), self._human(q, bd)] for p, q in book.depth(1, limit)]

        return {
            "ticker_id": f"{market.base.symbol}_{market.quote.symbol}",
            "timestamp": int(now * 1000),
            "bids": side(market.bids),
            "asks": side(market.asks),
        }

    def _agg_trades(self, query: dict[str, str], request: Any, now: float) -> Any:
        market = self._pair_param(query)
        return [trade_json(t) for t in market.trades[::-1][:MAX_TRADES]]

    # --- inspection (tests, invariants) -------------------------------------------

    def market(self, name: str) -> MarketState:
        """A market by pair (``"fFUEL/fUSDC"``), market id or contract id."""
        for market in self.markets.values():
            if name in (market.pair, market.market_id, market.contract_id):
                return market
        raise KeyError(name)

    def book_levels(self, name: str) -> dict[str, list[tuple[int, int]]]:
        """Exact price levels of a market, best first: ``{"buys": [(p, q)], "sells": ...}``."""
        market = self.market(name)
        return {"buys": market.bids.depth(1), "sells": market.asks.depth(1)}

    def balances(self, trade_account_id: str) -> dict[str, dict[str, int]]:
        """Per asset: trading, locked and unlocked (summed over books) of an account."""
        account = self.accounts[_norm_id(trade_account_id)]
        out: dict[str, dict[str, int]] = {}
        for asset in self.assets:
            entry = {"trading": account.balances.get(asset, 0), "locked": 0, "unlocked": 0}
            for bb in account.books.values():
                entry["locked"] += bb.locked.get(asset, 0)
                entry["unlocked"] += bb.unlocked.get(asset, 0)
            out[asset] = entry
        return out

    def asset_totals(self, asset: str) -> dict[str, int]:
        """Where every unit of an asset is: must add up to ``minted``."""
        totals = {
            "minted": self.minted.get(asset, 0),
            "trading": 0,
            "locked": 0,
            "unlocked": 0,
            "fees": sum(mk.fee_pool.get(asset, 0) for mk in self.markets.values()),
            "wallets": sum(w.get(asset, 0) for w in self.wallets.values()),
            "withdrawn": self.withdrawn.get(asset, 0),
        }
        for account in self.accounts.values():
            totals["trading"] += account.balances.get(asset, 0)
            for bb in account.books.values():
                totals["locked"] += bb.locked.get(asset, 0)
                totals["unlocked"] += bb.unlocked.get(asset, 0)
        return totals

    def check_invariants(self) -> None:
        """Raise AssertionError if the state is inconsistent.

        Checks: no asset created or lost; no negative balance; every book uncrossed;
        level totals equal their open orders; locked funds equal open orders' locks.
        """
        for asset in self.assets:
            t = self.asset_totals(asset)
            held = t["trading"] + t["locked"] + t["unlocked"] + t["fees"] + t["wallets"]
            assert held == t["minted"], f"asset {asset} not conserved: {t}"
        locks: dict[tuple[str, str, str], int] = {}
        for market in self.markets.values():
            bid, ask = market.bids.best(), market.asks.best()
            assert bid is None or ask is None or bid < ask, f"{market.pair} crossed: {bid} >= {ask}"
            for side in (market.bids, market.asks):
                assert side.prices == sorted(side.levels), "price index out of sync"
                for level in side.levels.values():
                    live = [o for o in level.orders if o.resting and not o.close]
                    assert level.total == sum(o.remaining for o in live) > 0, "bad level total"
                    assert all(o.price == level.price for o in live)
                    assert all(o.is_buy == side.is_bid for o in live)
        for order in self.orders.values():
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
        for account in self.accounts.values():
            assert all(v >= 0 for v in account.balances.values()), "negative balance"
            for contract, bb in account.books.items():
                for asset, amount in bb.locked.items():
                    key = (account.trade_account_id, contract, asset)
                    assert amount == locks.get(key, 0), f"locked mismatch {key}"
                assert all(v >= 0 for v in bb.unlocked.values()), "negative unlocked"

    def snapshot(self) -> dict[str, Any]:
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
                    "orders": {k: [o.order_id for o in v] for k, v in a.orders.items() if v},
                }
                for aid, a in self.accounts.items()
            },
            "orders": {
                oid: (o.filled, o.locked, o.close, o.cancel, o.resting)
                for oid, o in self.orders.items()
            },
            "books": {mid: self.book_levels(mid) for mid in self.markets},
            "trades": {mid: len(mk.trades) for mid, mk in self.markets.items()},
            "fees": {mid: dict(mk.fee_pool) for mid, mk in self.markets.items()},
            "minted": dict(self.minted),
            "wallets": {k: dict(v) for k, v in self.wallets.items()},
            "withdrawn": dict(self.withdrawn),
            "whitelist": sorted(self.whitelist),
        }
