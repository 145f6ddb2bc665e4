"""``O2CCXT``: the O2 Exchange as an asynchronous ccxt exchange, built on ``O2Client``.

REST methods follow the official o2-sdk 0.5.0 adapter; ``watch_*`` methods (ccxt pro
style) run over the client's shared WebSocket (see :mod:`o2_ccxt.live`). Signing,
nonces, sessions and exact decimal scaling stay in the client.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar, cast

import ccxt.async_support as ccxt
import msgspec

from o2_core import errors as o2
from o2_core.client import O2Client
from o2_core.config import Network, NetworkConfig
from o2_core.crypto import Signer
from o2_core.errors import OnChainRevert, api_error
from o2_core.inputs import BoundedMarketOrder, LimitOrder
from o2_core.models import (
    ActionsResponse,
    Balance,
    Bar,
    DepthLevel,
    DepthSnapshot,
    Market,
    MarketActionGroup,
    MarketActions,
    MarketTicker,
    Order,
    OrderSide,
    OrderType,
    SessionInfo,
    Trade,
    b256,
)
from o2_core.transport import Transport

from . import live
from .errors import (
    ArgumentsRequired,
    AuthenticationError,
    BadRequest,
    BadSymbol,
    ExchangeClosedByUser,
    InvalidOrder,
    NotSupported,
    O2AmbiguousSubmission,
    OperationFailed,
    OrderNotFound,
    map_o2_error,
)
from .parse import (
    TIMEFRAMES,
    order_type_info,
    timestamp_ms,
    to_info,
    trade_side,
    trader_side,
    units,
)

T = TypeVar("T")
Json = dict[str, Any]

_PRECISION_ERROR = "params.precision must be an integer from 1 to 18"


def _network(value: Network | str | None) -> Network:
    if value is None:
        return Network.TESTNET
    if isinstance(value, Network):
        return value
    try:
        return Network(str(value).lower())
    except ValueError:
        raise BadRequest(f"unknown O2 network: {value!r}") from None


def depth_precision(params: Json | None) -> int:
    """The O2 depth precision level (1..18, default 1) named by ``params["precision"]``.

    Raises:
        BadRequest: not an integer from 1 to 18.
    """
    requested = (params or {}).get("precision", 1)
    if isinstance(requested, bool):
        raise BadRequest(_PRECISION_ERROR)
    try:
        exact = Decimal(str(requested))
    except (InvalidOperation, ValueError):
        raise BadRequest(_PRECISION_ERROR) from None
    if not exact.is_finite() or exact != exact.to_integral_value() or not 1 <= exact <= 18:
        raise BadRequest(_PRECISION_ERROR)
    return int(exact)


def _positive_bound(params: Json, key: str) -> Decimal:
    try:
        value = Decimal(str(params.get(key)))
    except (InvalidOperation, ValueError):
        value = Decimal(0)
    if not value.is_finite() or value <= 0:
        raise ArgumentsRequired(
            f"create_order market orders require a positive params.{key} O2 price bound"
        )
    return value


def _settle_first(params: Json) -> bool:
    value = params.get("settleFirst", True)
    if not isinstance(value, bool):
        raise InvalidOrder("params.settleFirst must be a boolean")
    return value


def _order_type(value: object) -> OrderType | LimitOrder | BoundedMarketOrder:
    if isinstance(value, (OrderType, LimitOrder, BoundedMarketOrder)):
        return value
    if isinstance(value, str):
        try:
            return OrderType(value)
        except ValueError:
            raise InvalidOrder(f"invalid O2 orderType: {value!r}") from None
    raise InvalidOrder("params.orderType must be an O2 OrderType (or its name)")


class O2CCXT(ccxt.Exchange):
    """The O2 Exchange as an asynchronous ccxt exchange (``ccxt.async_support``).

    Args:
        config: ccxt options plus the O2 ones:
            ``client`` (an existing ``O2Client``; it is closed by :meth:`close`),
            ``network`` (``"testnet"``, ``"mainnet"``, ``"devnet"``, ``"local"`` or a
            ``Network``; default testnet), ``custom_config`` (a ``NetworkConfig``, e.g.
            pointing at an ``o2-sim``), ``transport`` (a ``Transport`` for the client made
            here), ``privateKey`` or ``signer`` (the owner), ``session`` (a saved
            ``SessionInfo`` to restore), ``tradeAccountId``.

    Raises:
        AuthenticationError: both ``privateKey`` and ``signer``, or a bad ``privateKey``.
        BadRequest: an option of the wrong type, or ``client`` with ``network``,
            ``custom_config`` or ``transport``.
    """

    def __init__(self, config: Json | None = None) -> None:
        options = dict(config or {})
        client = options.pop("client", options.pop("o2_client", None))
        network = options.pop("network", None)
        custom_config = options.pop("custom_config", options.pop("o2_config", None))
        transport = options.pop("transport", None)
        private_key = options.pop("privateKey", options.pop("private_key", None))
        signer = options.pop("signer", None)
        session = options.pop("session", None)
        account = options.pop("tradeAccountId", options.pop("trade_account_id", None))
        if private_key is not None and signer is not None:
            raise AuthenticationError("provide privateKey or signer, not both")
        super().__init__(options)
        if client is not None:
            if not isinstance(client, O2Client):
                raise BadRequest("client must be an O2Client")
            if network is not None or custom_config is not None or transport is not None:
                raise BadRequest("pass network/custom_config/transport or a client, not both")
        if custom_config is not None and not isinstance(custom_config, NetworkConfig):
            raise BadRequest("custom_config must be an O2 NetworkConfig")
        self.o2_client: O2Client = client or O2Client(
            network=_network(network),
            custom_config=custom_config,
            transport=cast("Transport | None", transport),
        )
        self._owner: Signer | None = signer
        if private_key is not None:
            try:
                self._owner = O2Client.load_wallet(str(private_key))
            except (o2.O2Error, ValueError):
                raise AuthenticationError("privateKey is not a valid private key") from None
        self._trade_account_id: str | None = None
        if account is not None:
            try:
                self._trade_account_id = str(b256(str(account), "tradeAccountId"))
            except o2.InvalidInput as err:
                raise BadRequest(str(err)) from None
        self._o2_markets: dict[str, Market] = {}
        self._hub = live.Hub(self)
        if session is not None:
            self.restore_session(session)

    def describe(self) -> Json:
        """The exchange's static description (ccxt)."""
        return cast(
            Json,
            self.deep_extend(
                super().describe(),
                {
                    "id": "o2",
                    "name": "O2 Exchange",
                    "version": "v1",
                    "countries": [],
                    "rateLimit": 0,
                    "enableRateLimit": False,
                    "precisionMode": ccxt.DECIMAL_PLACES,
                    "dex": True,
                    "pro": True,
                    "has": {
                        "CORS": None,
                        "spot": True,
                        "margin": False,
                        "swap": False,
                        "future": False,
                        "option": False,
                        "ws": True,
                        "fetchMarkets": True,
                        "fetchCurrencies": False,
                        "fetchTicker": True,
                        "fetchOrderBook": True,
                        "fetchL2OrderBook": True,
                        "fetchTrades": True,
                        "fetchOHLCV": True,
                        "fetchBalance": True,
                        "createOrder": True,
                        "createMarketOrder": True,
                        "createLimitOrder": True,
                        "cancelOrder": True,
                        "cancelAllOrders": True,
                        "fetchOrder": True,
                        "fetchOrders": True,
                        "fetchOpenOrders": True,
                        "fetchClosedOrders": True,
                        "fetchMyTrades": True,
                        "withdraw": True,
                        "watchOrderBook": True,
                        "watchTrades": True,
                        "watchTicker": True,
                        "watchOrders": True,
                        "watchMyTrades": True,
                        "watchBalance": True,
                        "unWatchOrderBook": True,
                        "unWatchTrades": True,
                        "unWatchTicker": True,
                        "unWatchOrders": True,
                        "unWatchMyTrades": True,
                        "unWatchBalance": True,
                    },
                    "timeframes": {key: key for key in TIMEFRAMES},
                    "requiredCredentials": {"apiKey": False, "secret": False},
                    "options": {"tradesLimit": 1000, "ordersLimit": 1000},
                },
            ),
        )

    # --- plumbing --------------------------------------------------------------------

    async def _read(self, operation: Callable[[], Awaitable[T]]) -> T:
        try:
            return await operation()
        except Exception as err:
            raise map_o2_error(err, "read") from err

    async def _submit(
        self,
        operation: Callable[[], Awaitable[T]],
        invalid_input: Any = None,
    ) -> T:
        try:
            return await operation()
        except Exception as err:
            mapped = map_o2_error(err, "private_submission")
            if invalid_input is not None and type(mapped) is BadRequest:
                mapped = invalid_input(str(err))  # bad order input, caught before signing
                mapped.original_error = err
            raise mapped from err

    def native_market(self, market: Json) -> Market:
        """The client's ``Market`` behind a ccxt market structure."""
        native = self._o2_markets.get(str(market["id"]))
        if native is None:
            raise BadSymbol(f"unknown O2 market: {market.get('symbol')}")
        return native

    def market_of_id(self, market_id: str | None) -> Json | None:
        """The loaded ccxt market with this O2 market id, or None."""
        if market_id is None or self.markets_by_id is None:
            return None
        found = self.markets_by_id.get(str(market_id))
        if isinstance(found, list):
            found = found[0] if found else None
        return cast("Json | None", found)

    async def _resolve_market(self, symbol: str) -> Json:
        markets = await self.load_markets()
        market = markets.get(symbol) if isinstance(symbol, str) else None
        if market is None and isinstance(symbol, str):
            market = self.market_of_id(symbol.lower())
        if market is None:
            raise BadSymbol(f"unknown O2 market: {symbol!r}")
        return cast(Json, market)

    def _account(self) -> str:
        session = self.o2_client.session
        account = self._trade_account_id or (
            str(session.trade_account_id) if session is not None else None
        )
        if account is None:
            raise ArgumentsRequired(
                "a tradeAccountId or an active O2 session is required for this private method"
            )
        return account

    def _signer(self) -> Signer:
        if self._owner is None:
            raise AuthenticationError("an O2 signer or privateKey is required for this method")
        return self._owner

    def _session(self) -> SessionInfo:
        session = self.o2_client.session
        if session is None:
            raise AuthenticationError(
                "no active O2 session: call create_session() or restore_session() first"
            )
        return session

    def _check_actions(self, response: ActionsResponse) -> ActionsResponse:
        """Raise for an action reply that carries an error, even next to a tx_id."""
        if response.code is not None:
            error: o2.O2Error = api_error(
                response.code,
                response.message or "O2 action rejected",
                response.reason,
                response.receipts,
            )
            raise map_o2_error(error, "private_submission")
        if response.reason is not None:
            revert = OnChainRevert(
                response.message or "O2 action reverted",
                reason=response.reason,
                receipts=response.receipts,
            )
            raise map_o2_error(revert, "private_submission")
        if not response.success:
            raise OperationFailed("O2 action failed without a transaction or an error")
        return response

    # --- parsing (ccxt structures from the client's models) ---------------------------

    def parse_market(self, market: Market) -> Json:
        """A ccxt market structure from an O2 ``Market``."""
        min_cost = units(market.min_order, market.quote.decimals) if market.min_order else None
        return cast(
            Json,
            self.safe_market_structure(
                {
                    "id": str(market.market_id),
                    "symbol": market.pair,
                    "base": market.base.symbol,
                    "quote": market.quote.symbol,
                    "baseId": str(market.base.asset),
                    "quoteId": str(market.quote.asset),
                    "type": "spot",
                    "spot": True,
                    "margin": False,
                    "swap": False,
                    "future": False,
                    "option": False,
                    "contract": False,
                    "active": True,
                    "maker": float(market.maker_fee),
                    "taker": float(market.taker_fee),
                    "percentage": True,
                    "tierBased": False,
                    "precision": {
                        "amount": market.base.max_precision,
                        "price": market.quote.max_precision,
                    },
                    "limits": {
                        "leverage": {"min": None, "max": None},
                        "amount": {"min": None, "max": None},
                        "price": {"min": None, "max": None},
                        "cost": {"min": self.parse_number(min_cost), "max": None},
                    },
                    "marginModes": {"cross": False, "isolated": False},
                    "created": None,
                    "info": to_info(market),
                }
            ),
        )

    def parse_ticker(
        self,
        ticker: MarketTicker,
        market: Json,
        top: tuple[DepthLevel | None, DepthLevel | None] | None = None,
        timestamp: int | None = None,
    ) -> Json:
        """A ccxt ticker from an O2 ``MarketTicker`` (chain integers, scaled exactly).

        ``top`` (best bid, best ask of a live book) overrides the ticker's bid/ask;
        ``timestamp`` (ms) the ticker's own.
        """
        native = self.native_market(market)
        qd, bd = native.quote.decimals, native.base.decimals
        bid, bid_volume = ticker.bid, ticker.bid_volume
        ask, ask_volume = ticker.ask, ticker.ask_volume
        if top is not None:
            best_bid, best_ask = top
            bid, bid_volume = (best_bid.price, best_bid.quantity) if best_bid else (None, None)
            ask, ask_volume = (best_ask.price, best_ask.quantity) if best_ask else (None, None)
        timestamp = timestamp or timestamp_ms(ticker.timestamp) or self.milliseconds()
        return cast(
            Json,
            self.safe_ticker(
                {
                    "symbol": market["symbol"],
                    "timestamp": timestamp,
                    "datetime": self.iso8601(timestamp),
                    "high": units(ticker.high, qd),
                    "low": units(ticker.low, qd),
                    "bid": units(bid, qd),
                    "bidVolume": units(bid_volume, bd),
                    "ask": units(ask, qd),
                    "askVolume": units(ask_volume, bd),
                    "vwap": None,
                    "open": units(ticker.open, qd),
                    "close": units(ticker.close if ticker.close is not None else ticker.last, qd),
                    "last": units(ticker.last, qd),
                    "previousClose": units(ticker.previous_close, qd),
                    "change": units(ticker.change, qd),
                    "percentage": None if ticker.percentage is None else str(ticker.percentage),
                    "average": units(ticker.average, qd),
                    "baseVolume": units(ticker.base_volume, bd),
                    "quoteVolume": units(ticker.quote_volume, qd),
                    "info": to_info(ticker),
                },
                market,
            ),
        )

    def parse_depth(
        self, depth: DepthSnapshot, market: Json, timestamp: int | None = None
    ) -> Json:
        """A ccxt order book from an O2 ``DepthSnapshot``.

        O2 sends no time with a snapshot; ``timestamp`` is when it was received.
        """
        native = self.native_market(market)
        qd, bd = native.quote.decimals, native.base.decimals

        def side(levels: Sequence[DepthLevel]) -> list[list[str | None]]:
            return [[units(lv.price, qd), units(lv.quantity, bd)] for lv in levels]

        return cast(
            Json,
            self.parse_order_book(
                {"bids": side(depth.bids), "asks": side(depth.asks)}, market["symbol"], timestamp
            ),
        )

    def parse_trade(
        self, trade: Trade, market: Json | None = None, role: str | None = None
    ) -> Json:
        """A ccxt trade from an O2 ``Trade``.

        Args:
            trade: the O2 trade (O2 reports the maker's side).
            market: its ccxt market.
            role: for an account's trade, ``"maker"``, ``"taker"`` or ``"both"``;
                None for a public trade (shown from the taker's side).
        """
        if market is None:
            market = self.market_of_id(str(trade.market_id) if trade.market_id else None)
        if market is None:
            raise BadSymbol(f"unknown O2 market of trade {trade.trade_id}")
        native = self.native_market(market)
        side, taker_or_maker = trade_side(trade, role)
        timestamp = timestamp_ms(trade.timestamp)
        return cast(
            Json,
            self.safe_trade(
                {
                    "id": trade.trade_id,
                    "timestamp": timestamp,
                    "datetime": self.iso8601(timestamp),
                    "symbol": market["symbol"],
                    "order": None,
                    "type": None,
                    "side": side,
                    "takerOrMaker": taker_or_maker,
                    "price": units(trade.price, native.quote.decimals),
                    "amount": units(trade.quantity, native.base.decimals),
                    "cost": None,
                    "fee": None,
                    "info": to_info(trade),
                },
                market,
            ),
        )

    def parse_order(self, order: Order, market: Json | None = None) -> Json:
        """A ccxt order from an O2 ``Order``."""
        if market is None:
            market = self.market_of_id(str(order.market_id) if order.market_id else None)
        if market is None:
            raise BadSymbol(f"unknown O2 market of order {order.order_id}")
        native = self.native_market(market)
        qd, bd = native.quote.decimals, native.base.decimals
        order_type, time_in_force, post_only = order_type_info(order.order_type)
        filled = min(order.quantity_fill, order.quantity) if order.quantity else 0
        timestamp = timestamp_ms(order.timestamp)
        status = "canceled" if order.cancel else "closed" if order.close else "open"
        return cast(
            Json,
            self.safe_order(
                {
                    "id": str(order.order_id),
                    "clientOrderId": None,
                    "timestamp": timestamp,
                    "datetime": self.iso8601(timestamp),
                    "lastTradeTimestamp": None,
                    "lastUpdateTimestamp": None,
                    "symbol": market["symbol"],
                    "type": order_type,
                    "timeInForce": time_in_force,
                    "postOnly": post_only,
                    "reduceOnly": False,
                    "side": order.side.lower() or None,
                    "price": units(order.price, qd),
                    "triggerPrice": None,
                    "amount": units(order.quantity, bd),
                    "filled": units(filled, bd),
                    "remaining": units(order.quantity - filled, bd),
                    "cost": None,
                    "average": units(order.price_fill, qd) if order.price_fill else None,
                    "status": status,
                    "fee": None,
                    "trades": None,
                    "info": to_info(order),
                },
                market,
            ),
        )

    def parse_ohlcv(self, ohlcv: Bar, market: Json | None = None) -> list[Any]:
        """A ccxt candle ``[ms, open, high, low, close, base volume]`` from an O2 ``Bar``."""
        if market is None:
            raise ArgumentsRequired("parse_ohlcv needs the market")
        native = self.native_market(market)
        qd, bd = native.quote.decimals, native.base.decimals
        return [
            timestamp_ms(ohlcv.timestamp) or 0,
            self.parse_number(units(ohlcv.open, qd)),
            self.parse_number(units(ohlcv.high, qd)),
            self.parse_number(units(ohlcv.low, qd)),
            self.parse_number(units(ohlcv.close, qd)),
            self.parse_number(units(ohlcv.volume, bd)),
        ]

    def asset_decimals(self) -> dict[str, int]:
        """Decimals of every asset of the loaded markets, by currency code."""
        out: dict[str, int] = {}
        for native in self._o2_markets.values():
            out.setdefault(native.base.symbol, native.base.decimals)
            out.setdefault(native.quote.symbol, native.quote.decimals)
        return out

    def asset_codes(self) -> dict[str, str]:
        """Currency codes of every asset of the loaded markets, by asset id."""
        out: dict[str, str] = {}
        for native in self._o2_markets.values():
            out.setdefault(str(native.base.asset), native.base.symbol)
            out.setdefault(str(native.quote.asset), native.quote.symbol)
        return out

    def parse_balance(self, response: dict[str, Balance]) -> Json:
        """A ccxt balance from O2 balances by symbol.

        ``free`` is ``total_unlocked`` (which already includes the trading account's
        balance), ``used`` is ``total_locked``, ``total`` their exact sum.
        """
        decimals = self.asset_decimals()
        result: Json = {"info": to_info(response), "timestamp": None, "datetime": None}
        for code, balance in response.items():
            scale = decimals.get(code, 0)
            account = self.account()
            account["free"] = units(balance.total_unlocked, scale)
            account["used"] = units(balance.total_locked, scale)
            result[code] = account
        return cast(Json, self.safe_balance(result))

    # --- public REST -----------------------------------------------------------------

    async def fetch_markets(self, params: Json | None = None) -> list[Json]:
        """Every spot market with public asset symbols (others would share symbol ``/``)."""
        markets = await self._read(self.o2_client.get_markets)
        result = []
        for market in markets:
            if not (market.base.symbol.strip() and market.quote.symbol.strip()):
                continue
            self._o2_markets[str(market.market_id)] = market
            result.append(self.parse_market(market))
        return result

    async def fetch_ticker(self, symbol: str, params: Json | None = None) -> Json:
        """24h statistics of a market; fields O2 does not report are None."""
        market = await self._resolve_market(symbol)
        native = self.native_market(market)
        raw = await self._read(lambda: self.o2_client.get_ticker(native))
        return self.parse_ticker(raw, market)

    async def fetch_order_book(
        self, symbol: str, limit: int | None = None, params: Json | None = None
    ) -> Json:
        """The order book; ``params["precision"]`` is O2's grouping level 1..18 (default 1).

        O2 reports no time for a book: ``timestamp`` is when the reply arrived.
        """
        precision = depth_precision(params)
        market = await self._resolve_market(symbol)
        native = self.native_market(market)
        depth = await self._read(lambda: self.o2_client.get_depth(native, precision, limit))
        return self.parse_depth(depth, market, self.milliseconds())

    async def fetch_l2_order_book(
        self, symbol: str, limit: int | None = None, params: Json | None = None
    ) -> Json:
        """The same as :meth:`fetch_order_book` (O2 books are already aggregated)."""
        return await self.fetch_order_book(symbol, limit, params)

    async def fetch_trades(
        self,
        symbol: str,
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[Json]:
        """Recent public trades (at most 50, oldest first), from ``since`` when given."""
        count = limit or 50
        market = await self._resolve_market(symbol)
        native = self.native_market(market)
        raw = await self._read(lambda: self.o2_client.get_trades(native, min(count, 50)))
        return self._recent([self.parse_trade(t, market) for t in raw], since, count)

    @staticmethod
    def _recent(items: list[Json], since: int | None, count: int) -> list[Json]:
        """The last ``count`` of ``items`` (each market's newest first, as O2 lists them)
        from ``since``, oldest first; equal timestamps keep the exchange's order."""
        kept = [x for x in reversed(items) if since is None or (x["timestamp"] or 0) >= since]
        kept.sort(key=lambda x: x["timestamp"] or 0)
        return kept[-count:]

    async def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: str = "1m",
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[list[Any]]:
        """Candles of ``timeframe`` (1m 5m 15m 30m 1h 4h 1d), oldest first.

        Without ``since``: the latest ``limit`` (default 100) ending at
        ``params["until"]`` (default now); with it: the first ``limit`` from ``since``.
        Periods without trades have no candle.
        """
        duration = TIMEFRAMES.get(timeframe)
        if duration is None:
            raise NotSupported(f"unsupported O2 OHLCV timeframe: {timeframe}")
        count = limit or 100
        market = await self._resolve_market(symbol)
        native = self.native_market(market)
        until_param = self.safe_integer(params or {}, "until")
        until = int(until_param) if until_param is not None else int(self.milliseconds())
        start = since if since is not None else until - duration * count
        end = until if since is None else min(until, start + duration * count)
        bars = await self._read(
            lambda: self.o2_client.get_bars(native, timeframe, max(start, 0), end)
        )
        candles = sorted((self.parse_ohlcv(bar, market) for bar in bars), key=lambda c: c[0])
        candles = [c for c in candles if start <= c[0] <= end]
        return candles[:count] if since is not None else candles[-count:]

    # --- private REST ----------------------------------------------------------------

    async def fetch_balance(self, params: Json | None = None) -> Json:
        """Balances of the trading account: free = unlocked, used = locked in orders."""
        account = self._account()
        await self.load_markets()
        balances = await self._read(lambda: self.o2_client.get_balances(account))
        return self.parse_balance(balances)

    async def fetch_order(
        self, id: str, symbol: str | None = None, params: Json | None = None
    ) -> Json:
        """One order by id (``symbol`` is required by O2)."""
        if symbol is None:
            raise ArgumentsRequired("fetch_order requires a symbol on O2")
        market = await self._resolve_market(symbol)
        native = self.native_market(market)
        raw = await self._read(lambda: self.o2_client.get_order(native, id))
        return self.parse_order(raw, market)

    async def fetch_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[Json]:
        """Orders of the account (per market, default limit 20, at most 200)."""
        return await self._orders(symbol, since, limit or 20, None)

    async def fetch_open_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[Json]:
        """Open orders of the account (per market, default limit 20, at most 200)."""
        return await self._orders(symbol, since, limit or 20, True)

    async def fetch_closed_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[Json]:
        """Filled or canceled orders of the account (per market, default limit 20)."""
        return await self._orders(symbol, since, limit or 20, False)

    async def _selected(self, symbol: str | None) -> list[Json]:
        if symbol is not None:
            return [await self._resolve_market(symbol)]
        return list((await self.load_markets()).values())

    async def _orders(
        self, symbol: str | None, since: int | None, limit: int, is_open: bool | None
    ) -> list[Json]:
        account = self._account()
        parsed: list[Json] = []
        for market in await self._selected(symbol):
            native = self.native_market(market)
            raw = await self._read(
                lambda native=native: self.o2_client.get_orders(  # type: ignore[misc]
                    native, account, is_open, min(limit, 200)
                )
            )
            parsed.extend(self.parse_order(order, market) for order in raw)
        return self._recent(parsed, since, limit)

    async def fetch_my_trades(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[Json]:
        """The account's trades (at most 50 per market, oldest first); a self-trade once,
        with ``side`` None."""
        account = self._account()
        count = limit or 50
        parsed: list[Json] = []
        for market in await self._selected(symbol):
            native = self.native_market(market)
            raw = await self._read(
                lambda native=native: self.o2_client.get_trades(  # type: ignore[misc]
                    native, min(count, 50), account
                )
            )
            parsed.extend(self.parse_trade(t, market, trader_side(t, account)) for t in raw)
        return self._recent(parsed, since, count)

    async def create_order(
        self,
        symbol: str,
        type: str,
        side: str,
        amount: float,
        price: float | None = None,
        params: Json | None = None,
    ) -> Json:
        """Place an order.

        ``limit``: ``params["orderType"]`` is an O2 order type (``"Spot"`` default,
        ``"PostOnly"``, ``"FillOrKill"``, ``"Market"``, or a ``LimitOrder`` /
        ``BoundedMarketOrder``). ``market``: a Fill-or-Kill at ``params["maxPrice"]``
        (buy) or ``params["minPrice"]`` (sell), both required; the whole amount fills
        inside the bound or the order fails. ``params["settleFirst"]`` (default True)
        settles the market's proceeds in the same transaction.

        Raises:
            ArgumentsRequired: no limit price, or a market order without both bounds.
            InvalidOrder: a bad side, type, bound or market rule (before signing).
            O2AmbiguousSubmission: the submission may have executed (not retried).
        """
        options = params or {}
        kind, direction = str(type).lower(), str(side).lower()
        if kind not in ("limit", "market"):
            raise NotSupported(f"O2 does not support order type {type!r}")
        if direction not in ("buy", "sell"):
            raise InvalidOrder(f"invalid order side: {side!r}")
        market = await self._resolve_market(symbol)
        native = self.native_market(market)
        symbol = market["symbol"]
        native_amount = self.amount_to_precision(symbol, amount)
        order_type: OrderType | LimitOrder | BoundedMarketOrder
        if kind == "limit":
            if price is None:
                raise ArgumentsRequired("create_order requires a limit price")
            native_price = self.price_to_precision(symbol, price)
            order_type = _order_type(options.get("orderType", OrderType.SPOT))
        else:
            native_price = self._market_order_price(market, direction, price, options)
            order_type = OrderType.FILL_OR_KILL
        settle_first = _settle_first(options)
        self._session()
        response = self._check_actions(
            await self._submit(
                lambda: self.o2_client.create_order(
                    native,
                    OrderSide.BUY if direction == "buy" else OrderSide.SELL,
                    native_price,
                    native_amount,
                    order_type=order_type,
                    settle_first=settle_first,
                    collect_orders=True,
                ),
                invalid_input=InvalidOrder,
            )
        )
        if not response.orders:
            raise O2AmbiguousSubmission(
                "O2 accepted create_order but returned no order. Reconcile orders and the "
                "account nonce before retrying.",
                transaction_id=str(response.tx_id) if response.tx_id else None,
            )
        parsed = self.parse_order(response.orders[-1], market)
        if kind == "market":
            parsed["type"] = "market"
        if not parsed["amount"] and amount:
            parsed.update(amount=float(native_amount), filled=0.0, cost=0.0)
            parsed["remaining"] = parsed["amount"]
        return parsed

    def _market_order_price(
        self, market: Json, side: str, price: float | None, params: Json
    ) -> str:
        """The protective price of a bounded market order, on the market's tick.

        A buy's bound is rounded down and a sell's up, so rounding never loosens it.
        """
        max_price = _positive_bound(params, "maxPrice")
        min_price = _positive_bound(params, "minPrice")
        if min_price > max_price:
            raise InvalidOrder("create_order market orders require minPrice <= maxPrice")
        if price is not None:
            given = Decimal(str(price))
            if not min_price <= given <= max_price:
                raise InvalidOrder(
                    "create_order market price must be between minPrice and maxPrice"
                )
            bound = given
        else:
            bound = max_price if side == "buy" else min_price
        digits = int(market["precision"]["price"])
        down = cast(
            str,
            self.decimal_to_precision(str(bound), ccxt.TRUNCATE, digits, ccxt.DECIMAL_PLACES),
        )
        if side == "buy":
            if Decimal(down) <= 0:
                raise InvalidOrder("create_order maxPrice is below the market's price tick")
            return down
        if Decimal(down) == bound:
            return down
        up = Decimal(down) + Decimal(1).scaleb(-digits)
        return cast(
            str,
            self.decimal_to_precision(str(up), ccxt.TRUNCATE, digits, ccxt.DECIMAL_PLACES),
        )

    async def cancel_order(
        self, id: str, symbol: str | None = None, params: Json | None = None
    ) -> Json:
        """Cancel an open order (``symbol`` is required by O2); returns it as canceled.

        Raises:
            OrderNotFound: no such order, or it is already closed (nothing is submitted).
        """
        if symbol is None:
            raise ArgumentsRequired("cancel_order requires a symbol on O2")
        market = await self._resolve_market(symbol)
        native = self.native_market(market)
        current = await self._read(lambda: self.o2_client.get_order(native, id))
        if not current.is_open:
            state = "canceled" if current.cancel else "closed"
            raise OrderNotFound(f"O2 order {id} is already {state}")
        self._session()
        self._check_actions(
            await self._submit(lambda: self.o2_client.cancel_order(id, market=native))
        )
        return self.parse_order(msgspec.structs.replace(current, cancel=True, close=True), market)

    async def cancel_all_orders(
        self, symbol: str | None = None, params: Json | None = None
    ) -> list[Json]:
        """Cancel every open order of ``symbol`` (or of every loaded market)."""
        canceled: list[Json] = []
        for market in await self._selected(symbol):
            open_orders = await self.fetch_open_orders(market["symbol"], limit=200)
            if not open_orders:
                continue
            native = self.native_market(market)
            self._session()
            replies = await self._submit(
                lambda native=native: self.o2_client.cancel_all_orders(native)  # type: ignore[misc]
            )
            for reply in replies:
                self._check_actions(reply)
            canceled.extend({**order, "status": "canceled"} for order in open_orders)
        return canceled

    async def withdraw(
        self,
        code: str,
        amount: float,
        address: str | None = None,
        tag: str | None = None,
        params: Json | None = None,
    ) -> Json:
        """Withdraw ``amount`` of ``code`` from the trading account to ``address``
        (default: the owner), signed by the owner (``params["signer"]`` or the
        constructor's).

        The amount is truncated to the asset's decimals, never rounded up.
        """
        signer = (params or {}).get("signer") or self._signer()
        await self.load_markets()
        decimals = self.asset_decimals().get(code)
        if decimals is None:
            raise BadRequest(f"unknown O2 currency: {code!r}")
        exact = cast(
            str,
            self.decimal_to_precision(amount, ccxt.TRUNCATE, decimals, ccxt.DECIMAL_PLACES),
        )
        response = await self._submit(
            lambda: self.o2_client.withdraw(signer, code, exact, address)
        )
        now = self.milliseconds()
        txid = str(response.tx_id) if response.tx_id else None
        return {
            "info": to_info(response),
            "id": txid,
            "txid": txid,
            "timestamp": now,
            "datetime": self.iso8601(now),
            "network": None,
            "address": address,
            "addressFrom": None,
            "addressTo": address,
            "tag": tag,
            "tagFrom": None,
            "tagTo": tag,
            "type": "withdrawal",
            "amount": self.parse_number(exact),
            "currency": code,
            "status": "pending",
            "updated": None,
            "fee": None,
            "comment": None,
            "internal": False,
        }

    # --- O2 extensions ---------------------------------------------------------------

    async def setup_account(self, signer: Signer | None = None) -> Any:
        """Create (if needed), fund on test networks and whitelist the owner's account.

        Returns:
            The client's ``AccountInfo``; its trading account becomes this exchange's.
        """
        owner = signer or self._signer()
        result = await self._submit(lambda: self.o2_client.setup_account(owner))
        if result.trade_account_id is not None:
            self._trade_account_id = str(result.trade_account_id)
        return result

    async def create_session(
        self,
        markets: Sequence[str | Market],
        expiry_days: float = 30,
        signer: Signer | None = None,
        nonce_strategy: str = "sequential",
        nonce_session_id: int = 0,
    ) -> SessionInfo:
        """Delegate trading on ``markets`` to a new session key (signed by the owner).

        ``nonce_strategy`` (``"sequential"`` or ``"parallel"``) and ``nonce_session_id``
        (the parallel lane, 0..4) go to the client as they are.

        Raises:
            BadRequest: an unknown strategy or lane (before anything is signed).
        """
        owner = signer or self._signer()
        names = list(markets) if not isinstance(markets, (str, Market)) else [markets]
        session = await self._submit(
            lambda: self.o2_client.create_session(
                owner, names, expiry_days, nonce_strategy, nonce_session_id
            )
        )
        self._trade_account_id = str(session.trade_account_id)
        return session

    def restore_session(self, session: SessionInfo) -> None:
        """Make a saved session the active one (its account becomes this exchange's)."""
        if not isinstance(session, SessionInfo):
            raise BadRequest("restore_session needs an O2 SessionInfo")
        self.o2_client.set_session(session)
        self._trade_account_id = str(session.trade_account_id)

    async def settle_balance(
        self, market: str | Market, params: Json | None = None
    ) -> ActionsResponse:
        """Move a market's filled proceeds back to the trading account."""
        self._session()
        return self._check_actions(
            await self._submit(lambda: self.o2_client.settle_balance(market))
        )

    async def batch_actions(
        self,
        actions: Sequence[MarketActions | MarketActionGroup],
        collect_orders: bool = False,
        session: SessionInfo | None = None,
    ) -> ActionsResponse:
        """Sign and submit up to 5 actions as one transaction (the client's batch)."""
        return self._check_actions(
            await self._submit(
                lambda: self.o2_client.batch_actions(actions, collect_orders, session)
            )
        )

    async def close(self, clean_instance_data: bool = False) -> None:
        """Stop every ``watch_*`` stream, close the O2 client, then ccxt's resources.

        Args:
            clean_instance_data: also forget cached markets and stream data (ccxt).
        """
        await self._hub.close()
        await self.o2_client.close()
        if self.session is None:
            self.timeout_on_exit = 0  # no aiohttp session was ever opened: nothing to drain
        await super().close(clean_instance_data)

    # --- live streams (ccxt pro style) -----------------------------------------------

    def _check_open(self) -> None:
        if self._hub.closed:
            raise ExchangeClosedByUser("the O2 exchange is closed")

    async def watch_order_book(
        self, symbol: str, limit: int | None = None, params: Json | None = None
    ) -> Any:
        """The live order book, returned on each change (the first: after the snapshot).

        Kept by the client's local book, re-seeded from a snapshot after a reconnect.
        ``params["precision"]`` is the grouping level (1..18); one per symbol at a time.

        Raises:
            BadRequest: a bad precision, or another precision is already watched.
        """
        self._check_open()
        precision = depth_precision(params)
        market = await self._resolve_market(symbol)
        native = self.native_market(market)
        book = await self._hub.watch_order_book(market, native, precision, limit)
        return book.limit()

    async def un_watch_order_book(self, symbol: str, params: Json | None = None) -> bool:
        """Stop the order-book stream of ``symbol`` (pending watchers get UnsubscribeError)."""
        market = await self._resolve_market(symbol)
        await self._hub.stop("orderbook:" + market["symbol"])
        self.orderbooks.pop(market["symbol"], None)
        return True

    async def watch_trades(
        self,
        symbol: str,
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[Json]:
        """Public trades of ``symbol`` as they happen (ccxt ``ArrayCache`` semantics)."""
        self._check_open()
        market = await self._resolve_market(symbol)
        trades = await self._hub.watch_trades(market, self.native_market(market))
        count = trades.getLimit(market["symbol"], limit) if self.newUpdates else limit
        return cast(list[Json], self.filter_by_since_limit(trades, since, count, "timestamp", True))

    async def un_watch_trades(self, symbol: str, params: Json | None = None) -> bool:
        """Stop the public trades stream of ``symbol``."""
        market = await self._resolve_market(symbol)
        await self._hub.stop("trades:" + market["symbol"])
        self.trades.pop(market["symbol"], None)
        return True

    async def watch_ticker(self, symbol: str, params: Json | None = None) -> Json:
        """The ticker of ``symbol`` on each change: best bid/ask from the live book
        (precision 1), 24h statistics re-read after each trade and after a reconnect."""
        self._check_open()
        market = await self._resolve_market(symbol)
        return await self._hub.watch_ticker(market, self.native_market(market))

    async def un_watch_ticker(self, symbol: str, params: Json | None = None) -> bool:
        """Stop the ticker stream of ``symbol``."""
        market = await self._resolve_market(symbol)
        await self._hub.stop("ticker:" + market["symbol"])
        self.tickers.pop(market["symbol"], None)
        return True

    async def watch_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[Json]:
        """The account's orders as they change (ccxt ``ArrayCacheBySymbolById``)."""
        self._check_open()
        account = self._account()
        await self.load_markets()
        resolved = (await self._resolve_market(symbol))["symbol"] if symbol else None
        orders = await self._hub.watch_orders(account, resolved)
        count = orders.getLimit(resolved, limit) if self.newUpdates else limit
        return cast(
            list[Json], self.filter_by_symbol_since_limit(orders, resolved, since, count, True)
        )

    async def un_watch_orders(self, symbol: str | None = None, params: Json | None = None) -> bool:
        """Stop the account's orders stream (for every symbol)."""
        await self._hub.stop("orders")
        self.orders = None
        return True

    async def watch_my_trades(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Json | None = None,
    ) -> list[Json]:
        """The account's trades as they happen, from the markets' trade streams
        (every loaded market when ``symbol`` is None)."""
        self._check_open()
        account = self._account()
        markets = await self._selected(symbol)
        resolved = markets[0]["symbol"] if symbol else None
        trades = await self._hub.watch_my_trades(
            account, [(m, self.native_market(m)) for m in markets], resolved
        )
        count = trades.getLimit(resolved, limit) if self.newUpdates else limit
        return cast(
            list[Json], self.filter_by_symbol_since_limit(trades, resolved, since, count, True)
        )

    async def un_watch_my_trades(
        self, symbol: str | None = None, params: Json | None = None
    ) -> bool:
        """Stop the account's trade streams (of ``symbol``, or all)."""
        if symbol is None:
            await self._hub.stop_prefix("myTrades:")
            self.myTrades = None
        else:
            market = await self._resolve_market(symbol)
            await self._hub.stop("myTrades:" + market["symbol"])
        return True

    async def watch_balance(self, params: Json | None = None) -> Json:
        """The account's balance: first the full balance (read over REST), then on each
        change; re-read over REST after a reconnect."""
        self._check_open()
        account = self._account()
        await self.load_markets()
        return await self._hub.watch_balance(account)

    async def un_watch_balance(self, params: Json | None = None) -> bool:
        """Stop the balance stream."""
        await self._hub.stop("balance")
        return True


__all__ = ["O2CCXT", "depth_precision"]
