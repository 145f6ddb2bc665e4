"""``O2Client``: the whole user API, implemented once over a :class:`Transport`.

The client is the only place that waits: it builds requests with the pure core
(:mod:`o2_core.http`, :mod:`o2_core.actions`), hands them to the transport, and parses the
replies. It uses anyio for concurrency only (locks, events, task groups, sleep), so it
runs under asyncio and trio alike; it never opens a socket itself.

A client belongs to the event loop that first uses it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import anyio

from . import actions as act
from . import crypto, stream
from . import http as h
from . import models as m
from .book import OrderBook
from .config import Network, NetworkConfig, get_config
from .errors import (
    AccountNotFound,
    ConnectionClosed,
    InvalidInput,
    MarketNotFound,
    O2Error,
    RateLimitExceeded,
    RequestTimeout,
    SessionExpired,
    TransportError,
    UnknownSubmissionOutcome,
    error_from_body,
)
from .markets import NumericInput, scale_amount
from .nonce import NonceTracker, Reservation
from .transport import Transport, WebSocketConnection, default_transport

logger = logging.getLogger("o2.client")

T = TypeVar("T")

#: HTTP statuses worth retrying for idempotent requests.
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
#: Longest Retry-After the client honours before giving up.
MAX_RETRY_AFTER = 60.0
#: Orders fetched by ``cancel_all_orders`` (the API's page limit).
CANCEL_ALL_LIMIT = 200


class MarketActionsBuilder:
    """Fluent builder of a :class:`~o2_core.models.MarketActionGroup` for one market."""

    def __init__(self, market: str | m.Market) -> None:
        self._market = market
        self._actions: list[m.UserAction] = []

    def settle_balance(self) -> MarketActionsBuilder:
        """Settle the market's proceeds to the session's trading account."""
        self._actions.append(m.SettleBalanceRequestAction())
        return self

    def cancel_order(self, order_id: str) -> MarketActionsBuilder:
        """Cancel an order."""
        self._actions.append(m.CancelOrderRequestAction(order_id=order_id))
        return self

    def create_order(
        self,
        side: m.OrderSide,
        price: NumericInput,
        quantity: NumericInput,
        order_type: m.AnyOrderType = m.OrderType.SPOT,
    ) -> MarketActionsBuilder:
        """Create an order from human (or ChainInt) values."""
        self._actions.append(m.CreateOrderRequestAction(side, price, quantity, order_type))
        return self

    def build(self) -> m.MarketActionGroup:
        """The group, ready for ``batch_actions``."""
        return m.MarketActionGroup(market=self._market, actions=list(self._actions))


class _AccountNonce:
    """A nonce tracker, the lock that serialises re-reads, and the tasks waiting their turn.

    Created inside the event loop. Tracker operations are synchronous, so only the
    re-read (an await) needs the lock; a waiter is woken when its nonce's turn comes or
    when its reservation goes stale, never on every commit.
    """

    __slots__ = ("lock", "tracker", "waiters")

    def __init__(self) -> None:
        self.tracker = NonceTracker()
        self.lock = anyio.Lock()
        self.waiters: dict[int, anyio.Event] = {}

    async def wait_for(self, nonce: int) -> None:
        """Sleep until :meth:`wake` says something changed for ``nonce``."""
        event = self.waiters.get(nonce)
        if event is None:
            event = self.waiters[nonce] = anyio.Event()
        await event.wait()

    def wake(self) -> None:
        """Wake the task whose turn it now is, or everyone when the epoch is over."""
        current = self.tracker.current
        if current is None:
            self.wake_all()
        elif current in self.waiters:
            self.waiters.pop(current).set()

    def wake_all(self) -> None:
        """Wake every waiter (a new epoch began)."""
        waiters, self.waiters = self.waiters, {}
        for event in waiters.values():
            event.set()


class O2Client:
    """High-level client for the O2 Exchange.

    ``network`` picks a built-in deployment (``Network.LOCAL`` is the embedded simulator);
    ``custom_config`` overrides it; ``transport`` chooses how requests travel (default:
    the subclass's :attr:`default_transport_factory`, else an installed transport chosen
    by :func:`~o2_core.transport.default_transport`: httpx for real networks, in-memory
    for ``Network.LOCAL``). Use as an async context manager or call :meth:`close`.
    """

    #: Builds the transport when none is given (the transport packages' subclasses set it).
    default_transport_factory: ClassVar[Callable[[], Transport] | None] = None

    def __init__(
        self,
        network: Network = Network.TESTNET,
        custom_config: NetworkConfig | None = None,
        transport: Transport | None = None,
        *,
        request_timeout: float = 10.0,
        action_timeout: float = 30.0,
        max_retries: int = 3,
        backoff_base: float = 0.25,
        backoff_cap: float = 8.0,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
        stream_options: StreamOptions | None = None,
    ) -> None:
        if request_timeout <= 0 or action_timeout <= 0:
            raise InvalidInput("timeouts must be positive")
        if max_retries < 0:
            raise InvalidInput("max_retries must be >= 0")
        self._config = custom_config or get_config(network)
        self._transport = transport
        self._request_timeout = request_timeout
        self._action_timeout = action_timeout
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._clock = clock
        self._rand = rand
        self._markets: m.MarketsResponse | None = None
        self._contexts: dict[str, act.MarketContext] = {}
        self._markets_lock: anyio.Lock | None = None
        self._nonces: dict[str, _AccountNonce] = {}
        self._session: m.SessionInfo | None = None
        self._streams: _StreamManager | None = None
        self._stream_options = stream_options or StreamOptions()
        self._closed = False

    # --- lifecycle ---------------------------------------------------------------------

    @property
    def config(self) -> NetworkConfig:
        """The network configuration in use."""
        return self._config

    @property
    def transport(self) -> Transport:
        """The transport requests travel over (the default one is made on first use)."""
        if self._transport is None:
            factory = type(self).default_transport_factory
            self._transport = (
                factory() if factory is not None else default_transport(self._config.api_base)
            )
        return self._transport

    async def __aenter__(self) -> O2Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close streams and the transport. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._streams is not None:
            await self._streams.aclose()
        if self._transport is not None:
            await self._transport.aclose()

    # --- wallets -------------------------------------------------------------------------

    @staticmethod
    def generate_wallet() -> crypto.Wallet:
        """A new Fuel wallet with a random key (no network)."""
        return crypto.generate_wallet()

    @staticmethod
    def generate_evm_wallet() -> crypto.EvmWallet:
        """A new EVM wallet with a random key (no network)."""
        return crypto.generate_evm_wallet()

    @staticmethod
    def load_wallet(private_key_hex: str) -> crypto.Wallet:
        """A Fuel wallet from a private key."""
        return crypto.load_wallet(private_key_hex)

    @staticmethod
    def load_evm_wallet(private_key_hex: str) -> crypto.EvmWallet:
        """An EVM wallet from a private key."""
        return crypto.load_evm_wallet(private_key_hex)

    # --- sending -------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._backoff_cap, self._backoff_base * 2.0**attempt)
        return ceiling * (0.5 + self._rand() / 2)

    async def _send(self, request: h.Request, timeout: float | None = None) -> h.Response:
        """One request with bounded retries.

        Rate limits (429 / code 1003) are retried for every request: they are rejected
        before processing. Connection errors and 5xx are retried only for idempotent
        requests; a signed submission is never re-sent after it may have been processed.
        """
        timeout = self._request_timeout if timeout is None else timeout
        attempt = 0
        while True:
            try:
                response = await self.transport.request(request, timeout)
            except TransportError as err:
                if not request.idempotent or attempt >= self._max_retries:
                    raise
                delay = self._backoff(attempt)
                logger.debug(
                    "%s %s failed (%s); retry in %.2fs", request.method, request.url, err, delay
                )
            else:
                if response.status < 400:
                    return response
                error = error_from_body(
                    response.status, response.body, h.retry_after_seconds(response)
                )
                if isinstance(error, RateLimitExceeded):
                    if attempt >= self._max_retries:
                        raise error
                    retry_after = error.retry_after
                    if retry_after is not None and retry_after > MAX_RETRY_AFTER:
                        raise error
                    delay = retry_after if retry_after is not None else self._backoff(attempt)
                    logger.info("rate limited on %s; retry in %.2fs", request.url, delay)
                elif response.status in _RETRY_STATUSES and request.idempotent:
                    if attempt >= self._max_retries:
                        return response
                    delay = self._backoff(attempt)
                else:
                    return response
            attempt += 1
            await anyio.sleep(delay)

    async def _get(self, request: h.Request, parse: Callable[[h.Response], T]) -> T:
        return parse(await self._send(request))

    # --- markets -------------------------------------------------------------------------

    async def _markets_response(self) -> m.MarketsResponse:
        if self._markets is not None:
            return self._markets
        if self._markets_lock is None:
            self._markets_lock = anyio.Lock()
        async with self._markets_lock:
            if self._markets is None:
                markets = await self._get(
                    h.get_markets(self._config.api_base), lambda r: h.parse(r, m.MarketsResponse)
                )
                self._contexts = {
                    str(mk.market_id): act.MarketContext.of(mk, markets.accounts_registry_id)
                    for mk in markets.markets
                }
                self._markets = markets
        return self._markets

    async def get_markets(self) -> list[m.Market]:
        """All markets (fetched once, then cached for the client's lifetime)."""
        return list((await self._markets_response()).markets)

    async def get_market(self, market: str | m.Market) -> m.Market:
        """One market by pair (``"fFUEL/fUSDC"``), market_id or contract_id."""
        return await self._resolve_market(market)

    async def _resolve_market(self, market: str | m.Market) -> m.Market:
        if isinstance(market, m.Market):
            return market
        if not isinstance(market, str) or not market:
            raise InvalidInput(f"a market is a pair, a market_id or a contract_id, got {market!r}")
        markets = (await self._markets_response()).markets
        for candidate in markets:
            if market == candidate.pair:
                return candidate
        lowered = market.lower()
        for candidate in markets:
            if lowered == candidate.pair.lower():
                return candidate
            is_hex = market.startswith("0x") or len(market) == 64
            if is_hex and (candidate.market_id == market or candidate.contract_id == market):
                return candidate
        known = ", ".join(c.pair for c in markets)
        raise MarketNotFound(f"no market {market!r}; known markets: {known}")

    def _context(self, market: m.Market) -> act.MarketContext:
        ctx = self._contexts.get(str(market.market_id))
        if ctx is None:
            registry = self._markets.accounts_registry_id if self._markets else "0x" + "00" * 32
            ctx = act.MarketContext.of(market, registry)
            self._contexts[str(market.market_id)] = ctx
        return ctx

    async def get_depth(
        self, market: str | m.Market, precision: int = 1, limit: int | None = None
    ) -> m.DepthSnapshot:
        """The order book of a market; ``precision`` is the price-grouping level 1..18."""
        h.depth_precision_wire(precision)
        mk = await self._resolve_market(market)
        snapshot = await self._get(
            h.get_depth(self._config.api_base, mk.market_id, precision, limit), h.parse_depth
        )
        if limit is not None:
            snapshot = m.DepthSnapshot(snapshot.bids[:limit], snapshot.asks[:limit], mk.market_id)
        elif snapshot.market_id is None:
            snapshot = m.DepthSnapshot(snapshot.bids, snapshot.asks, mk.market_id)
        return snapshot

    async def get_bars(
        self, market: str | m.Market, resolution: str, from_ts: int, to_ts: int
    ) -> list[m.Bar]:
        """OHLCV bars between ``from_ts`` and ``to_ts`` (milliseconds)."""
        mk = await self._resolve_market(market)
        request = h.get_bars(self._config.api_base, mk.market_id, from_ts, to_ts, resolution)
        return await self._get(request, h.parse_bars)

    async def get_trades(
        self,
        market: str | m.Market,
        count: int = 50,
        account: m.AccountInfo | str | None = None,
        start_timestamp: int | None = None,
        start_trade_id: str | None = None,
    ) -> list[m.Trade]:
        """Recent trades of a market (at most 50), optionally only ``account``'s."""
        mk = await self._resolve_market(market)
        base = self._config.api_base
        if account is None:
            request = h.get_trades(
                base,
                mk.market_id,
                count,
                start_timestamp=start_timestamp,
                start_trade_id=start_trade_id,
            )
        else:
            request = h.get_trades_by_account(
                base,
                mk.market_id,
                self._account_id(account),
                count,
                start_timestamp=start_timestamp,
                start_trade_id=start_trade_id,
            )
        return await self._get(request, h.parse_trades)

    async def get_ticker(self, market: str | m.Market) -> m.MarketTicker:
        """24h ticker of a market."""
        mk = await self._resolve_market(market)
        return await self._get(
            h.get_market_ticker(self._config.api_base, mk.market_id), h.parse_ticker
        )

    async def get_market_summary(self, market: str | m.Market) -> m.MarketSummary:
        """24h summary of a market."""
        mk = await self._resolve_market(market)
        request = h.get_market_summary(self._config.api_base, mk.market_id)
        return await self._get(request, lambda r: h.parse(r, m.MarketSummary))

    # --- accounts ------------------------------------------------------------------------

    @staticmethod
    def _account_id(account: m.AccountInfo | m.SessionInfo | str) -> str:
        if isinstance(account, (m.AccountInfo, m.SessionInfo)):
            if account.trade_account_id is None:
                raise AccountNotFound("this AccountInfo has no trading account")
            return str(account.trade_account_id)
        return str(m.b256(account, "trade_account_id"))

    async def get_account(
        self, owner: str | crypto.Signer | None = None, trade_account_id: str | None = None
    ) -> m.AccountInfo:
        """The trading account of an owner (address or signer) or by its id."""
        if owner is not None and not isinstance(owner, str):
            owner = owner.b256_address
        request = h.get_account(
            self._config.api_base, owner=owner, trade_account_id=trade_account_id
        )
        return await self._get(request, lambda r: h.parse(r, m.AccountInfo))

    async def setup_account(self, wallet: crypto.Signer) -> m.AccountInfo:
        """Create the owner's trading account if needed, fund it on test networks, whitelist.

        Idempotent: safe on every start. A faucet cooldown or a whitelist failure is
        logged, not raised.
        """
        account = await self.get_account(owner=wallet.b256_address)
        if not account.exists:
            logger.info("creating a trading account for %s", wallet.b256_address)
            created = await self._get(
                h.create_account(self._config.api_base, wallet.b256_address),
                lambda r: h.parse(r, m.AccountCreateResponse),
            )
            account = await self.get_account(trade_account_id=created.trade_account_id)
        tid = self._account_id(account)
        if self._config.faucet_url:
            balances = await self.get_balances(tid)
            if not any(b.total > 0 for b in balances.values()):
                faucet = await self._faucet(tid)
                if not faucet.success:
                    logger.warning("faucet did not mint (non-fatal): %s", faucet.error)
        if self._config.whitelist_required:
            try:
                await self._get(
                    h.whitelist_account(self._config.api_base, tid),
                    lambda r: h.parse(r, m.WhitelistResponse),
                )
            except O2Error as err:
                logger.warning("whitelisting %s failed (non-fatal): %s", tid, err)
        return account

    async def _faucet(self, trade_account_id: str) -> m.FaucetResponse:
        if not self._config.faucet_url:
            raise O2Error("this network has no faucet")
        request = h.faucet_mint(self._config.faucet_url, contract=trade_account_id)
        try:
            response = await self.transport.request(request, self._request_timeout)
        except TransportError as err:
            return m.FaucetResponse(error=str(err))
        return h.parse_faucet(response)

    async def top_up_from_faucet(self, owner: crypto.Signer) -> m.FaucetResponse:
        """Mint test assets to the owner's trading account (test networks only)."""
        account = await self.get_account(owner=owner.b256_address)
        if not account.exists:
            raise AccountNotFound("no trading account for this owner; call setup_account() first")
        return await self._faucet(self._account_id(account))

    async def get_balance(self, account: m.AccountInfo | str, asset: str) -> m.Balance:
        """The balance of one asset (symbol or asset id) of a trading account."""
        asset_id, _, _ = await self._resolve_asset(asset)
        request = h.get_balance(self._config.api_base, asset_id, contract=self._account_id(account))
        return await self._get(request, lambda r: h.parse(r, m.Balance))

    async def get_balances(self, account: m.AccountInfo | str) -> dict[str, m.Balance]:
        """Balances of every asset of every market, keyed by symbol (fetched concurrently)."""
        tid = self._account_id(account)
        assets: dict[str, str] = {}
        for mk in await self.get_markets():
            for asset in (mk.base, mk.quote):
                assets.setdefault(asset.symbol, str(asset.asset))
        results: dict[str, m.Balance] = {}
        errors: list[O2Error] = []

        async def fetch(symbol: str, asset_id: str) -> None:
            request = h.get_balance(self._config.api_base, asset_id, contract=tid)
            try:
                results[symbol] = await self._get(request, lambda r: h.parse(r, m.Balance))
            except O2Error as err:  # raised plainly below, not inside an exception group
                errors.append(err)

        async with anyio.create_task_group() as tg:
            for symbol, asset_id in assets.items():
                tg.start_soon(fetch, symbol, asset_id)
        if errors:
            raise errors[0]
        return {symbol: results[symbol] for symbol in assets}

    async def get_orders(
        self,
        market: str | m.Market,
        account: m.AccountInfo | str,
        is_open: bool | None = None,
        count: int = 20,
        start_timestamp: int | None = None,
        start_order_id: str | None = None,
    ) -> list[m.Order]:
        """Orders of an account on a market, most recent first (at most 200)."""
        mk = await self._resolve_market(market)
        request = h.get_orders(
            self._config.api_base,
            mk.market_id,
            self._account_id(account),
            count,
            is_open,
            start_timestamp=start_timestamp,
            start_order_id=start_order_id,
        )
        return (await self._get(request, lambda r: h.parse(r, m.OrdersResponse))).orders

    async def get_order(self, market: str | m.Market, order_id: str) -> m.Order:
        """One order by id."""
        mk = await self._resolve_market(market)
        oid = m.b256(order_id, "order_id")
        return await self._get(h.get_order(self._config.api_base, mk.market_id, oid), h.parse_order)

    # --- nonces --------------------------------------------------------------------------

    def _nonce(self, trade_account_id: str) -> _AccountNonce:
        state = self._nonces.get(trade_account_id)
        if state is None:
            state = self._nonces[trade_account_id] = _AccountNonce()
        return state

    async def _read_nonce(self, trade_account_id: str) -> int:
        account = await self.get_account(trade_account_id=trade_account_id)
        if not account.exists:
            raise AccountNotFound(f"no trading account {trade_account_id}")
        return account.nonce

    async def _sync(self, state: _AccountNonce, trade_account_id: str) -> None:
        async with state.lock:
            if state.tracker.needs_sync:
                state.tracker.sync(await self._read_nonce(trade_account_id))
                state.wake_all()

    async def get_nonce(self, trade_account_id: str) -> int:
        """The account's next nonce: the cached value, or read from the exchange."""
        tid = self._account_id(trade_account_id)
        state = self._nonce(tid)
        while state.tracker.current is None:
            await self._sync(state, tid)
        return state.tracker.current

    async def refresh_nonce(self, session: m.SessionInfo | None = None) -> int:
        """Re-read the nonce from the exchange (after in-flight submissions settle)."""
        session = self._require_session(session)
        tid = str(session.trade_account_id)
        state = self._nonce(tid)
        tracker = state.tracker
        while tracker.outstanding:
            await state.wait_for(tracker.current + tracker.outstanding)  # type: ignore[operator]
        async with state.lock:
            tracker.sync(await self._read_nonce(tid))
            state.wake_all()
        session.nonce = tracker.current or 0
        return session.nonce

    async def _submit_signed(
        self, trade_account_id: str, build: Callable[[int], h.Request]
    ) -> h.Response:
        """Reserve a nonce, sign (``build``), submit in nonce order, commit or fail.

        Several submissions may sign at once; they are sent one after the other in nonce
        order. After a failure (or an unknown outcome) the nonce is re-read before the
        next signature, and reservations signed meanwhile are signed again, never re-sent.
        """
        state = self._nonce(trade_account_id)
        tracker = state.tracker
        while True:
            while tracker.needs_sync:
                await self._sync(state, trade_account_id)
            reservation = tracker.reserve()
            try:
                request = build(reservation.nonce)
            except BaseException:
                tracker.release(reservation)
                state.wake()
                raise
            try:
                while not tracker.is_turn(reservation) and not tracker.is_stale(reservation):
                    await state.wait_for(reservation.nonce)
            except BaseException:  # cancelled while waiting: the nonce is never sent
                tracker.release(reservation)
                state.wake()
                raise
            if not tracker.is_stale(reservation):
                return await self._submit_in_turn(state, reservation, request)

    async def _submit_in_turn(
        self, state: _AccountNonce, reservation: Reservation, request: h.Request
    ) -> h.Response:
        tracker = state.tracker
        try:
            response = await self._send(request, self._action_timeout)
        except BaseException as err:
            tracker.fail(reservation)
            state.wake()
            if isinstance(err, (RequestTimeout, TransportError)):
                raise UnknownSubmissionOutcome(
                    f"{request.method} {request.url} was sent but no reply came ({err}); it is "
                    "not re-sent. The nonce will be re-read; check orders/balances first."
                ) from err
            raise
        error = error_from_body(response.status, response.body, h.retry_after_seconds(response))
        if error is None and response.status < 400:
            tracker.commit(reservation)
        else:
            tracker.fail(reservation)
        state.wake()
        if error is not None:
            raise error
        return response

    # --- sessions ------------------------------------------------------------------------

    @property
    def session(self) -> m.SessionInfo | None:
        """The active session used by trading calls."""
        return self._session

    def set_session(self, session: m.SessionInfo) -> None:
        """Make ``session`` the active session."""
        if not isinstance(session, m.SessionInfo):
            raise InvalidInput("set_session needs a SessionInfo")
        self._session = session

    def clear_session(self) -> None:
        """Forget the active session."""
        self._session = None

    def _require_session(self, session: m.SessionInfo | None) -> m.SessionInfo:
        session = session or self._session
        if session is None:
            raise O2Error("no active session: call create_session() first or pass session=")
        return session

    async def create_session(
        self,
        owner: crypto.Signer,
        markets: Sequence[str | m.Market],
        expiry_days: float = 30,
    ) -> m.SessionInfo:
        """Delegate trading on ``markets`` to a new session key, signed by ``owner``.

        Replaces any session the account had. The new session becomes the active one.
        """
        if isinstance(markets, (str, m.Market)):
            markets = [markets]
        if not markets:
            raise InvalidInput("create_session needs at least one market")
        if not isinstance(expiry_days, (int, float)) or not 0 < expiry_days <= 3650:
            raise InvalidInput(f"expiry_days must be in (0, 3650], got {expiry_days!r}")
        resolved = [await self._resolve_market(x) for x in markets]
        chain_id = (await self._markets_response()).chain_id_int
        account = await self.get_account(owner=owner.b256_address)
        if not account.exists:
            raise AccountNotFound("no trading account for this owner; call setup_account() first")
        tid = self._account_id(account)
        session_wallet = crypto.generate_wallet()
        expiry = int(self._clock() + expiry_days * 86400)
        contract_ids = [str(mk.contract_id) for mk in resolved]
        base = self._config.api_base

        def build(nonce: int) -> h.Request:
            body = act.session_body(
                owner, tid, session_wallet.b256_address, contract_ids, nonce, chain_id, expiry
            )
            return h.put_session(base, owner.b256_address, body)

        response = await self._submit_signed(tid, build)
        reply = h.parse(response, m.SessionResponse)
        session = m.SessionInfo(
            session_id=reply.session_id,
            trade_account_id=reply.trade_account_id,
            contract_ids=[str(c) for c in reply.contract_ids] or contract_ids,
            session_expiry=reply.session_expiry or expiry,
            session_wallet=session_wallet,
            owner_address=owner.b256_address,
            nonce=self._nonce(tid).tracker.current or 0,
        )
        self._session = session
        logger.info("session %s created for %s", session.session_address, tid)
        return session

    # --- trading -------------------------------------------------------------------------

    def actions_for(self, market: str | m.Market) -> MarketActionsBuilder:
        """A fluent builder of actions on one market, for :meth:`batch_actions`."""
        return MarketActionsBuilder(market)

    def _scaled_order_type(self, mk: m.Market, order_type: Any) -> Any:
        if isinstance(order_type, m.LimitOrder):
            ts = int(self._clock()) if order_type.timestamp is None else order_type.timestamp
            return m.LimitOrder(m.ChainInt(mk.scale_price(order_type.price)), ts)
        if isinstance(order_type, m.BoundedMarketOrder):
            return m.BoundedMarketOrder(
                m.ChainInt(mk.scale_price(order_type.max_price)),
                m.ChainInt(mk.scale_price(order_type.min_price)),
            )
        if isinstance(order_type, m.OrderType):
            return order_type
        raise InvalidInput(
            f"unknown order type {order_type!r}: use OrderType, LimitOrder or BoundedMarketOrder"
        )

    def _prepare_order(
        self,
        mk: m.Market,
        side: m.OrderSide,
        price: NumericInput,
        quantity: NumericInput,
        order_type: Any,
    ) -> act.PreparedAction:
        if not isinstance(side, m.OrderSide):
            raise InvalidInput(f"side must be OrderSide.BUY or OrderSide.SELL, got {side!r}")
        scaled_price = mk.scale_price(price)
        scaled_quantity = mk.adjust_quantity(scaled_price, mk.scale_quantity(quantity))
        if scaled_price == 0 or scaled_quantity == 0:
            raise InvalidInput(
                f"price {price!r} and quantity {quantity!r} scale to zero on {mk.pair}"
            )
        mk.validate_order(scaled_price, scaled_quantity)
        ot = self._scaled_order_type(mk, order_type)
        return act.create_order(self._context(mk), side, scaled_price, scaled_quantity, ot)

    def _check_session_market(self, session: m.SessionInfo, mk: m.Market) -> None:
        if session.contract_ids and mk.contract_id not in session.contract_ids:
            raise InvalidInput(
                f"market {mk.pair} is not in this session; create a session that includes it"
            )

    async def create_order(
        self,
        market: str | m.Market,
        side: m.OrderSide,
        price: NumericInput,
        quantity: NumericInput,
        order_type: m.AnyOrderType = m.OrderType.SPOT,
        settle_first: bool = True,
        collect_orders: bool = True,
        session: m.SessionInfo | None = None,
    ) -> m.ActionsResponse:
        """Place an order: scale and validate, sign with the session key, submit.

        ``price``/``quantity`` are human values (str, int, float via its repr, Decimal)
        or raw :class:`~o2_core.markets.ChainInt`. The quantity is adjusted down to
        satisfy FractionalPrice; breaking a market rule raises before anything is signed.
        """
        session = self._require_session(session)
        mk = await self._resolve_market(market)
        self._check_session_market(session, mk)
        ctx = self._context(mk)
        prepared = [self._prepare_order(mk, side, price, quantity, order_type)]
        if settle_first:
            prepared.insert(0, act.settle_balance(ctx, session.trade_account_id))
        group = act.PreparedGroup(str(mk.market_id), tuple(prepared))
        return await self._submit_actions(session, [group], collect_orders)

    async def cancel_order(
        self,
        order_id: str,
        market: str | m.Market | None = None,
        market_id: str | None = None,
        session: m.SessionInfo | None = None,
    ) -> m.ActionsResponse:
        """Cancel one order; name its market by ``market`` or ``market_id``."""
        session = self._require_session(session)
        if market is None and market_id is None:
            raise InvalidInput("cancel_order needs market or market_id")
        mk = await self._resolve_market(market if market is not None else str(market_id))
        self._check_session_market(session, mk)
        group = act.PreparedGroup(
            str(mk.market_id), (act.cancel_order(self._context(mk), order_id),)
        )
        return await self._submit_actions(session, [group], False)

    async def cancel_all_orders(
        self, market: str | m.Market, session: m.SessionInfo | None = None
    ) -> list[m.ActionsResponse]:
        """Cancel every open order (up to 200) of the session's account, 5 per batch."""
        session = self._require_session(session)
        mk = await self._resolve_market(market)
        self._check_session_market(session, mk)
        orders = await self.get_orders(
            mk, str(session.trade_account_id), is_open=True, count=CANCEL_ALL_LIMIT
        )
        ctx = self._context(mk)
        results = []
        for start in range(0, len(orders), act.MAX_ACTIONS):
            chunk = orders[start : start + act.MAX_ACTIONS]
            group = act.PreparedGroup(
                str(mk.market_id), tuple(act.cancel_order(ctx, o.order_id) for o in chunk)
            )
            results.append(await self._submit_actions(session, [group], False))
        return results

    async def settle_balance(
        self, market: str | m.Market, session: m.SessionInfo | None = None
    ) -> m.ActionsResponse:
        """Move a market's filled proceeds back to the trading account."""
        session = self._require_session(session)
        mk = await self._resolve_market(market)
        self._check_session_market(session, mk)
        action = act.settle_balance(self._context(mk), session.trade_account_id)
        return await self._submit_actions(
            session, [act.PreparedGroup(str(mk.market_id), (action,))], False
        )

    async def batch_actions(
        self,
        actions: Sequence[m.MarketActions | m.MarketActionGroup],
        collect_orders: bool = False,
        session: m.SessionInfo | None = None,
    ) -> m.ActionsResponse:
        """Sign and submit up to 5 actions (in up to 5 market groups) as one transaction.

        ``MarketActions`` hold typed, already-scaled actions; ``MarketActionGroup`` (see
        :meth:`actions_for`) holds human values that are scaled and validated here.
        """
        session = self._require_session(session)
        groups: list[act.PreparedGroup] = []
        for group in actions:
            if isinstance(group, m.MarketActions):
                mk = await self._resolve_market(str(group.market_id))
                ctx = self._context(mk)
                prepared = []
                for action in group.actions:
                    action = self._with_limit_timestamp(action)
                    item = act.prepare_typed(ctx, action)
                    if isinstance(action, m.CreateOrderAction):
                        mk.validate_order(int(action.price), int(action.quantity))
                    prepared.append(item)
            elif isinstance(group, m.MarketActionGroup):
                mk = await self._resolve_market(group.market)
                ctx = self._context(mk)
                prepared = [self._prepare_user_action(mk, ctx, a, session) for a in group.actions]
            else:
                raise InvalidInput(
                    f"batch_actions takes MarketActions or MarketActionGroup, got {group!r}"
                )
            self._check_session_market(session, mk)
            groups.append(act.PreparedGroup(str(mk.market_id), tuple(prepared)))
        return await self._submit_actions(session, groups, collect_orders)

    def _with_limit_timestamp(self, action: m.Action) -> m.Action:
        """A typed limit order without an expiry expires now (the clock is the client's)."""
        if (
            isinstance(action, m.CreateOrderAction)
            and isinstance(action.order_type, m.LimitOrder)
            and action.order_type.timestamp is None
        ):
            limit = m.LimitOrder(action.order_type.price, int(self._clock()))
            return dataclasses.replace(action, order_type=limit)
        return action

    def _prepare_user_action(
        self, mk: m.Market, ctx: act.MarketContext, action: Any, session: m.SessionInfo
    ) -> act.PreparedAction:
        if isinstance(action, m.CreateOrderRequestAction):
            return self._prepare_order(
                mk, action.side, action.price, action.quantity, action.order_type
            )
        if isinstance(action, m.CancelOrderRequestAction):
            return act.cancel_order(ctx, action.order_id)
        if isinstance(action, m.SettleBalanceRequestAction):
            return act.settle_balance(ctx, session.trade_account_id)
        return act.prepare_typed(ctx, action)

    async def _submit_actions(
        self, session: m.SessionInfo, groups: Sequence[act.PreparedGroup], collect_orders: bool
    ) -> m.ActionsResponse:
        act.check_batch(groups)
        if session.is_expired(self._clock()):
            raise SessionExpired("the session has expired; create a new session")
        base, owner = self._config.api_base, str(session.owner_address)

        def build(nonce: int) -> h.Request:
            if session.is_expired(self._clock()):
                raise SessionExpired("the session has expired; create a new session")
            return h.post_actions(
                base, owner, act.actions_body(groups, nonce, session, collect_orders)
            )

        tid = str(session.trade_account_id)
        response = await self._submit_signed(tid, build)
        session.nonce = self._nonce(tid).tracker.current or session.nonce
        return h.parse_actions(response)

    # --- withdrawals ---------------------------------------------------------------------

    async def _resolve_asset(self, asset: str) -> tuple[str, int, str]:
        for mk in await self.get_markets():
            for side in (mk.base, mk.quote):
                if asset == side.symbol or (asset.lower().startswith("0x") and side.asset == asset):
                    return str(side.asset), side.decimals, side.symbol
        raise InvalidInput(f"unknown asset {asset!r}: use a symbol or an asset id of a market")

    async def withdraw(
        self,
        owner: crypto.Signer,
        asset: str,
        amount: NumericInput,
        to: m.Identity | str | None = None,
    ) -> m.WithdrawResponse:
        """Withdraw ``amount`` (human units, exact) of ``asset`` to ``to`` (default: owner).

        Signed by the owner with personal-sign, not by the session key.
        """
        asset_id, decimals, symbol = await self._resolve_asset(asset)
        scaled = scale_amount(amount, decimals, f"{symbol} amount")
        if scaled <= 0:
            raise InvalidInput("the withdrawal amount must be greater than zero")
        if to is None:
            destination = m.AddressIdentity(owner.b256_address)
        elif isinstance(to, m.Identity):
            destination = to
        else:
            destination = m.AddressIdentity(to)
        chain_id = (await self._markets_response()).chain_id_int
        account = await self.get_account(owner=owner.b256_address)
        if not account.exists:
            raise AccountNotFound("no trading account for this owner; call setup_account() first")
        tid = self._account_id(account)
        base = self._config.api_base

        def build(nonce: int) -> h.Request:
            body = act.withdraw_body(owner, tid, destination, asset_id, scaled, nonce, chain_id)
            return h.post_withdraw(base, owner.b256_address, body)

        response = await self._submit_signed(tid, build)
        return h.parse(response, m.WithdrawResponse)

    # --- streams -------------------------------------------------------------------------

    def _stream_manager(self) -> _StreamManager:
        if self._closed:
            raise O2Error("the client is closed")
        if self._streams is None:
            self._streams = _StreamManager(
                self.transport, self._config.ws_url, self._stream_options
            )
        return self._streams

    async def stream_depth(
        self, market: str | m.Market, precision: int = 1
    ) -> AsyncIterator[m.DepthUpdate]:
        """Depth of a market: a snapshot first, then updates (each level's new total).

        A fresh snapshot (``is_snapshot``) follows every reconnect and every resync of a
        consumer that fell behind; treat each snapshot as a reset of the book.
        """
        wire = h.depth_precision_wire(precision)
        mk = await self._resolve_market(market)
        sub = stream.DepthSub(mk.market_id, wire)
        async for update in self._stream_manager().iterate(sub):
            yield update

    async def order_book(
        self, market: str | m.Market, precision: int = 1
    ) -> AsyncIterator[OrderBook]:
        """A live local order book: yields the same :class:`OrderBook` after each update.

        The book is seeded from the snapshot and re-seeded after reconnects and resyncs;
        deltas that arrive while it waits for a snapshot are ignored.
        """
        book = OrderBook()
        async for update in self.stream_depth(market, precision):
            if book.apply(update):
                yield book

    async def stream_orders(self, account: m.AccountInfo | str) -> AsyncIterator[m.OrderUpdate]:
        """Order updates of a trading account (raises SlowConsumerError if it falls behind)."""
        sub = stream.OrdersSub(m.ContractIdentity(self._account_id(account)))
        async for update in self._stream_manager().iterate(sub):
            yield update

    async def stream_trades(self, market: str | m.Market) -> AsyncIterator[m.TradeUpdate]:
        """Trades of a market (raises SlowConsumerError if it falls behind)."""
        mk = await self._resolve_market(market)
        async for update in self._stream_manager().iterate(stream.TradesSub(mk.market_id)):
            yield update

    async def stream_balances(self, account: m.AccountInfo | str) -> AsyncIterator[m.BalanceUpdate]:
        """Balance updates of a trading account (raises SlowConsumerError if it falls behind)."""
        sub = stream.BalancesSub(m.ContractIdentity(self._account_id(account)))
        async for update in self._stream_manager().iterate(sub):
            yield update

    async def stream_nonce(self, account: m.AccountInfo | str) -> AsyncIterator[m.NonceUpdate]:
        """Nonce updates of a trading account (only the latest matters: old ones may drop)."""
        sub = stream.NonceSub(m.ContractIdentity(self._account_id(account)))
        async for update in self._stream_manager().iterate(sub):
            yield update

    async def stream_lifecycle(self) -> AsyncIterator[stream.ConnectionEvent]:
        """Connection lifecycle events: CONNECTED, DISCONNECTED, RECONNECTING, RECONNECTED,
        CLOSED. After RECONNECTED re-sync orders, balances and nonce from REST."""
        async for event in self._stream_manager().lifecycle():
            yield event


@dataclass(frozen=True)
class StreamOptions:
    """Tuning of the shared WebSocket.

    ``buffer_size`` bounds each iterator's queue: depth drops the oldest update and
    resyncs from a fresh snapshot, orders/balances/trades raise ``SlowConsumerError``,
    nonce keeps the latest. ``ping_interval`` seconds of silence trigger a ping; no pong
    within ``pong_timeout`` means the connection is dead. ``max_reconnect_attempts``
    None retries forever.
    """

    buffer_size: int = 1024
    ping_interval: float = 20.0
    pong_timeout: float = 10.0
    connect_timeout: float = 10.0
    close_timeout: float = 2.0
    reconnect_base: float = 0.25
    reconnect_cap: float = 30.0
    max_reconnect_attempts: int | None = None


_POLICIES: dict[str, stream.OverflowPolicy] = {
    "depth": stream.OverflowPolicy.DROP_OLDEST,
    "nonce": stream.OverflowPolicy.DROP_OLDEST,
    "orders": stream.OverflowPolicy.ERROR,
    "balances": stream.OverflowPolicy.ERROR,
    "trades": stream.OverflowPolicy.ERROR,
}


class _Consumer:
    """One iterator's subscription and bounded buffer."""

    __slots__ = ("awaiting_snapshot", "buffer", "sub")

    def __init__(self, sub: stream.Subscription, capacity: int) -> None:
        self.sub = sub
        self.buffer: stream.BoundedBuffer[Any] = stream.BoundedBuffer(
            capacity, _POLICIES[sub.key[0]]
        )
        self.awaiting_snapshot = isinstance(sub, stream.DepthSub)


class _StreamManager:
    """Drives one shared WebSocket for every stream iterator of a client.

    There is no background task: the iterator that needs data while nobody else reads
    becomes the reader (under ``_reader``), reads one frame, dispatches it to every
    consumer's buffer and wakes the others. Connecting and reconnecting happen in the
    reader too, following :class:`~o2_core.stream.StreamProtocol`.
    """

    def __init__(self, transport: Transport, url: str, options: StreamOptions) -> None:
        self._transport = transport
        self._url = url
        self._opts = options
        backoff = stream.Backoff(
            base=options.reconnect_base,
            cap=options.reconnect_cap,
            max_attempts=options.max_reconnect_attempts,
            jitter=0.5,
            rand=random.random,
        )
        self._protocol = stream.StreamProtocol(backoff)
        self._router: stream.Router[_Consumer] = stream.Router()
        self._lifecycle: list[stream.BoundedBuffer[stream.ConnectionEvent]] = []
        self._conn: WebSocketConnection | None = None
        self._reader: anyio.Lock | None = None
        self._send_lock: anyio.Lock | None = None
        self._changed: anyio.Event | None = None
        self._read_scope: anyio.CancelScope | None = None
        self._closed = False
        self.reconnects = 0

    # -- plumbing --

    def _primitives(self) -> tuple[anyio.Lock, anyio.Lock]:
        if self._reader is None or self._send_lock is None:
            self._reader, self._send_lock = anyio.Lock(), anyio.Lock()
        return self._reader, self._send_lock

    def _event(self) -> anyio.Event:
        if self._changed is None:
            self._changed = anyio.Event()
        return self._changed

    def _notify(self) -> None:
        event, self._changed = self._changed, anyio.Event()
        if event is not None:
            event.set()

    def _emit(self, events: list[stream.ConnectionEvent]) -> None:
        for event in events:
            logger.info("websocket %s: %s", event.state.value, event.message)
            for buffer in self._lifecycle:
                buffer.push(event)
        if events:
            self._notify()

    async def _send(self, frames: list[str]) -> None:
        if not frames or self._conn is None:
            return
        _, send_lock = self._primitives()
        conn = self._conn
        async with send_lock:
            for frame in frames:
                logger.debug("websocket send %s", frame)
                await conn.send_text(frame)

    # -- connection --

    async def _connect(self) -> None:
        """Open the connection (reader only), retrying with backoff; False when closed."""
        while self._conn is None and not self._closed:
            if self._protocol.state is stream.ProtocolState.CLOSED:
                return
            try:
                conn = await self._transport.connect_websocket(
                    self._url, self._opts.connect_timeout
                )
            except TransportError as err:
                events, delay = self._protocol.connection_failed(str(err))
                self._emit(events)
                if delay is None:
                    self._shutdown()
                    return
                await anyio.sleep(delay)
                continue
            events, frames = self._protocol.connection_made()
            if any(e.state is stream.ConnectionState.RECONNECTED for e in events):
                self.reconnects += 1
            self._conn = conn
            try:
                await self._send(frames)
            except TransportError as err:
                await self._lost(err)
                continue
            self._emit(events)

    async def _lost(self, err: BaseException) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with anyio.move_on_after(self._opts.close_timeout, shield=True):
                await conn.close()
        if self._closed or self._protocol.state is not stream.ProtocolState.CONNECTED:
            return
        for consumer in self._router.consumers():
            if isinstance(consumer.sub, stream.DepthSub):
                consumer.awaiting_snapshot = True
        events, delay = self._protocol.connection_lost(str(err) or type(err).__name__)
        self._emit(events)
        if delay is None:
            self._shutdown()
            return
        await anyio.sleep(delay)

    def _shutdown(self) -> None:
        self._closed = True
        self._notify()

    async def _receive(self, conn: WebSocketConnection) -> str:
        """The next frame; after ``ping_interval`` of silence, a ping must be answered."""
        while True:
            with anyio.move_on_after(self._opts.ping_interval):
                return await conn.receive_text()
            frame = await self._probe(conn)
            if frame is not None:
                return frame

    async def _probe(self, conn: WebSocketConnection) -> str | None:
        """Ping while still receiving: a frame that arrives meanwhile, or None when the pong
        came first; raises when the connection failed or no pong came in time."""
        frames: list[str] = []
        failure: list[BaseException] = []
        pong = anyio.Event()

        async def ping() -> None:
            try:
                await conn.ping()
                pong.set()
            except TransportError as err:
                failure.append(err)

        async def receive(scope: anyio.CancelScope) -> None:
            try:
                frames.append(await conn.receive_text())
            except TransportError as err:
                failure.append(err)
            scope.cancel()

        async with anyio.create_task_group() as tg:
            tg.start_soon(ping)
            tg.start_soon(receive, tg.cancel_scope)
            with anyio.move_on_after(self._opts.pong_timeout):
                await pong.wait()
            tg.cancel_scope.cancel()
        if frames:
            return frames[0]
        if failure:
            raise failure[0]
        if not pong.is_set():
            raise ConnectionClosed(f"no pong within {self._opts.pong_timeout}s")
        return None

    async def _read_one(self) -> None:
        """Reader: connect if needed, read one frame, dispatch it."""
        with anyio.CancelScope() as scope:
            self._read_scope = scope
            try:
                if self._conn is None:
                    await self._connect()
                conn = self._conn
                if conn is None:
                    return
                try:
                    text = await self._receive(conn)
                except TransportError as err:
                    if not self._closed:
                        await self._lost(err)
                    return
                self._dispatch(self._protocol.receive(text))
            finally:
                self._read_scope = None
        self._notify()

    def _dispatch(self, events: list[stream.StreamEvent]) -> None:
        for event in events:
            if isinstance(event, stream.MalformedFrame):
                logger.warning("ignoring a malformed frame (%s): %s", event.reason, event.data)
                continue
            if isinstance(event, stream.ServerError):
                logger.warning("websocket server error %s: %s", event.code, event.message)
                continue
            for consumer, part in self._router.dispatch(event):
                if consumer.awaiting_snapshot:
                    if not getattr(part, "is_snapshot", False):
                        continue
                    consumer.awaiting_snapshot = False
                consumer.buffer.push(part)

    # -- iteration --

    async def _next(self, consumer: _Consumer | None, buffer: stream.BoundedBuffer[Any]) -> Any:
        """The consumer's next item, or ``_END`` when the streams are closed."""
        reader, _ = self._primitives()
        while True:
            changed = self._event()
            if consumer is not None and buffer.take_resync():
                buffer.drain()  # updates from before the gap are useless without a snapshot
                consumer.awaiting_snapshot = True
                if self._protocol.state is stream.ProtocolState.CONNECTED:
                    await self._send(self._protocol.resync_frames(consumer.sub))  # type: ignore[arg-type]
            if len(buffer) or buffer.failed:
                return buffer.pop()
            if self._closed:
                return _END
            if not reader.locked():
                async with reader:
                    await self._read_one()
                continue
            await changed.wait()

    async def iterate(self, sub: stream.Subscription) -> AsyncIterator[Any]:
        """Subscribe ``sub`` and yield its updates until the streams close."""
        if self._closed:
            raise O2Error("the streams are closed")
        consumer = _Consumer(sub, self._opts.buffer_size)
        self._router.add(sub, consumer)
        frames = self._protocol.subscribe(sub)
        try:
            await self._send(frames)
            while True:
                item = await self._next(consumer, consumer.buffer)
                if item is _END:
                    return
                yield item
        finally:
            with anyio.CancelScope(shield=True):
                await self._unsubscribe(sub, consumer)

    async def _unsubscribe(self, sub: stream.Subscription, consumer: _Consumer) -> None:
        self._router.remove(sub, consumer)
        self._notify()
        if self._closed or self._protocol.state is stream.ProtocolState.CLOSED:
            return
        frames = self._protocol.unsubscribe(sub)  # restores other orders subs if needed
        with anyio.move_on_after(self._opts.close_timeout), contextlib.suppress(TransportError):
            await self._send(frames)

    async def lifecycle(self) -> AsyncIterator[stream.ConnectionEvent]:
        """Lifecycle events until CLOSED (this iterator also keeps the connection read)."""
        buffer: stream.BoundedBuffer[stream.ConnectionEvent] = stream.BoundedBuffer(
            self._opts.buffer_size, stream.OverflowPolicy.DROP_OLDEST
        )
        self._lifecycle.append(buffer)
        try:
            while True:
                item = await self._next(None, buffer)
                if item is _END:
                    return
                yield item
                if item.state is stream.ConnectionState.CLOSED:
                    return
        finally:
            self._lifecycle.remove(buffer)

    async def aclose(self) -> None:
        """End every iterator promptly and close the connection."""
        if self._closed:
            return
        self._closed = True
        self._emit(self._protocol.close())
        if self._read_scope is not None:
            self._read_scope.cancel()
        conn, self._conn = self._conn, None
        if conn is not None:
            with anyio.move_on_after(self._opts.close_timeout, shield=True):
                await conn.close()
        self._notify()


_END = object()


__all__ = ["MarketActionsBuilder", "O2Client", "StreamOptions"]
