"""``O2Client``: the whole user API, implemented once over a :class:`Transport`.

Every method is build → await the transport → parse: requests are built and replies
parsed by the pure core (:mod:`o2_core.http`, :mod:`o2_core.orders`,
:mod:`o2_core.actions`, :mod:`o2_core.directory`), retries decided by
:mod:`o2_core.policy`, nonces by :mod:`o2_core.sequencer`, streams by
:mod:`o2_core.stream_driver`. The client uses anyio for concurrency only (task groups,
sleeps), so it runs under asyncio and trio; it never opens a socket itself.

A client belongs to the event loop that first uses it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from types import TracebackType
from typing import ClassVar, TypeVar

import anyio
import anyio.abc

from . import crypto, http
from .actions import PreparedGroup, check_batch, session_body, withdraw_body
from .actions import actions_body as signed_actions_body
from .api import O2Api
from .book import OrderBook
from .config import Network, NetworkConfig, get_config
from .directory import MarketDirectory
from .errors import AccountNotFound, InvalidInput, O2Error, UsageError
from .http import Decoder, Reply, Request
from .markets import NumericInput, scale_amount
from .models import (
    AccountInfo,
    ActionsResponse,
    AddressIdentity,
    AnyOrderType,
    Balance,
    BalanceUpdate,
    Bar,
    ContractIdentity,
    DepthSnapshot,
    DepthUpdate,
    FaucetResponse,
    Identity,
    Market,
    MarketActionGroup,
    MarketActions,
    MarketSummary,
    MarketTicker,
    NonceUpdate,
    Order,
    OrderSide,
    OrderType,
    OrderUpdate,
    SessionInfo,
    SessionResponse,
    Trade,
    TradeUpdate,
    WithdrawResponse,
    b256,
    decode,
)
from .orders import (
    MarketActionsBuilder,
    cancel_groups,
    check_session_alive,
    check_session_market,
    order_group,
    prepare_group,
    prepare_order,
)
from .policy import RetryPolicy
from .sequencer import AccountSequencer
from .stream import ConnectionEvent
from .stream_driver import StreamDriver, StreamOptions
from .subscriptions import BalancesSub, DepthSub, NonceSub, OrdersSub, TradesSub
from .transport import Transport

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _as(kind: type[T]) -> Decoder[T]:
    return lambda body: decode(body, kind)

#: Orders fetched by ``cancel_all_orders`` (the API's page limit).
CANCEL_ALL_LIMIT = 200


class O2Client:
    """High-level client for the O2 Exchange.

    Args:
        network: a built-in deployment (``Network.LOCAL`` is the embedded simulator).
        custom_config: endpoints of another deployment; overrides ``network``.
        action_timeout_seconds: seconds a signed submission may take (one attempt).
        transport: how requests travel; default: the subclass's
            :attr:`default_transport_factory`, else an installed transport chosen by
            :func:`~o2_core.transport.default_transport` (httpx for real networks,
            in-memory for ``Network.LOCAL``), made on first use.
        request_timeout: seconds a read may take, per attempt.
        max_retries: retries of a read after connection errors, 5xx and rate limits
            (and of a rate-limited submission, which the server did not process).
        backoff_base: the first retry delay in seconds (then doubling, jittered).
        backoff_cap: the longest retry delay.
        clock: unix time in seconds (session expiry, limit-order timestamps).
        rand: random floats in [0, 1) for the jitter (inject a seeded one for tests).
        stream_options: tuning of the shared WebSocket (:class:`StreamOptions`).

    Use as an async context manager (streams then run in the client's own task group),
    or call :meth:`close`.

    Raises:
        InvalidInput: a non-positive timeout or a bad retry setting.
    """

    #: Builds the transport when none is given (the transport packages' subclasses set it).
    default_transport_factory: ClassVar[Callable[[], Transport] | None] = None

    def __init__(
        self,
        network: Network = Network.TESTNET,
        custom_config: NetworkConfig | None = None,
        action_timeout_seconds: float = 30.0,
        *,
        transport: Transport | None = None,
        request_timeout: float = 10.0,
        max_retries: int = 3,
        backoff_base: float = 0.25,
        backoff_cap: float = 8.0,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
        stream_options: StreamOptions | None = None,
    ) -> None:
        self._config = custom_config or get_config(network)
        #: The low-level REST client this client is built on (official ``client.api``).
        self.api = O2Api(
            self._config,
            transport,
            transport_factory=type(self).default_transport_factory,
            policy=RetryPolicy(max_retries=max_retries, base=backoff_base, cap=backoff_cap),
            request_timeout=request_timeout,
            action_timeout_seconds=action_timeout_seconds,
            rand=rand,
        )
        self._clock = clock
        self._rand = rand
        self._stream_options = stream_options or StreamOptions()
        self._directory: MarketDirectory | None = None
        self._directory_lock: anyio.Lock | None = None
        self._sequencers: dict[str, AccountSequencer] = {}
        self._session: SessionInfo | None = None
        self._streams: StreamDriver | None = None
        self._task_group: anyio.abc.TaskGroup | None = None
        self._closed = False

    # --- lifecycle ---------------------------------------------------------------------

    @property
    def config(self) -> NetworkConfig:
        """The network configuration in use."""
        return self._config

    @property
    def transport(self) -> Transport:
        """The transport requests travel over (the default one is made on first use)."""
        return self.api.transport

    async def __aenter__(self) -> O2Client:
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        if self._streams is not None:
            self._streams.host_in(task_group)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.close()
        finally:
            task_group, self._task_group = self._task_group, None
            if task_group is not None:
                # The body's own exception propagates as it is (not in an exception group):
                # the task group only ever holds the stream loops, which never raise.
                task_group.cancel_scope.cancel()
                await task_group.__aexit__(None, None, None)

    async def close(self) -> None:
        """End every stream and close the transport. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._streams is not None:
            await self._streams.aclose()
        await self.api.close()

    # --- wallets -------------------------------------------------------------------------

    #: A new Fuel wallet with a random key (no network).
    generate_wallet = staticmethod(crypto.generate_wallet)
    #: A new EVM wallet with a random key (no network).
    generate_evm_wallet = staticmethod(crypto.generate_evm_wallet)
    #: A Fuel wallet from a private key (hex, ``0x`` optional, or 32 bytes).
    load_wallet = staticmethod(crypto.load_wallet)
    #: An EVM wallet from a private key (hex, ``0x`` optional, or 32 bytes).
    load_evm_wallet = staticmethod(crypto.load_evm_wallet)

    # --- markets -------------------------------------------------------------------------

    async def _markets(self) -> MarketDirectory:
        if self._directory is not None:
            return self._directory
        if self._directory_lock is None:
            self._directory_lock = anyio.Lock()
        async with self._directory_lock:
            if self._directory is None:
                self._directory = MarketDirectory(await self.api.get_markets())
        return self._directory

    async def _market(self, market: str | Market) -> Market:
        if isinstance(market, Market):
            return market
        return (await self._markets()).resolve(market)

    async def get_markets(self) -> list[Market]:
        """All markets (fetched once, then cached for the client's lifetime)."""
        return list((await self._markets()).markets)

    async def get_market(self, symbol_pair: str | Market) -> Market:
        """One market by pair (``"fFUEL/fUSDC"``), market_id or contract_id.

        Raises:
            MarketNotFound: no such market.
        """
        return await self._market(symbol_pair)

    async def get_depth(
        self, market: str | Market, precision: int = 1, limit: int | None = None
    ) -> DepthSnapshot:
        """The order book of a market; ``precision`` is the price-grouping level 1..18."""
        wire = http.depth_precision_wire(precision)
        mk = await self._market(market)
        snapshot = await self.api.get_depth(str(mk.market_id), wire, limit)
        if snapshot.market_id is None:
            return DepthSnapshot(snapshot.bids, snapshot.asks, mk.market_id)
        return snapshot

    async def get_bars(
        self, market: str | Market, resolution: str, from_ts: int, to_ts: int
    ) -> list[Bar]:
        """OHLCV bars between ``from_ts`` and ``to_ts`` (milliseconds)."""
        mk = await self._market(market)
        return await self.api.get_bars(str(mk.market_id), from_ts, to_ts, resolution)

    async def get_trades(
        self,
        market: str | Market,
        count: int = 50,
        account: AccountInfo | str | None = None,
        start_timestamp: int | None = None,
        start_trade_id: str | None = None,
    ) -> list[Trade]:
        """Recent trades of a market (at most 50), optionally only ``account``'s."""
        mk = await self._market(market)
        contract = None if account is None else self._account_id(account)
        return await self.api.get_trades(
            str(mk.market_id), "desc", count, start_timestamp, start_trade_id, contract
        )

    async def get_ticker(self, market: str | Market) -> MarketTicker:
        """24h ticker of a market."""
        mk = await self._market(market)
        return await self.api.get_market_ticker(str(mk.market_id))

    async def get_market_summary(self, market: str | Market) -> MarketSummary:
        """24h summary of a market."""
        mk = await self._market(market)
        return await self.api.get_market_summary(str(mk.market_id))

    # --- accounts ------------------------------------------------------------------------

    @staticmethod
    def _account_id(account: AccountInfo | SessionInfo | str) -> str:
        if isinstance(account, (AccountInfo, SessionInfo)):
            if account.trade_account_id is None:
                raise AccountNotFound("this AccountInfo has no trading account")
            return str(account.trade_account_id)
        return str(b256(account, "trade_account_id"))

    async def get_account(
        self, owner: str | crypto.Signer | None = None, trade_account_id: str | None = None
    ) -> AccountInfo:
        """The trading account of an owner (address or signer) or by its id."""
        if owner is not None and not isinstance(owner, str):
            owner = owner.b256_address
        return await self.api.get_account(owner=owner, trade_account_id=trade_account_id)

    async def _owned_account(self, owner: crypto.Signer) -> str:
        account = await self.get_account(owner=owner.b256_address)
        if not account.exists:
            raise AccountNotFound("no trading account for this owner; call setup_account() first")
        return self._account_id(account)

    async def setup_account(self, wallet: crypto.Signer) -> AccountInfo:
        """Create the owner's trading account if needed, fund it on test networks, whitelist.

        Idempotent: safe on every start. A faucet cooldown or a whitelist failure is
        logged, not raised.
        """
        account = await self.get_account(owner=wallet.b256_address)
        if not account.exists:
            logger.info("creating a trading account for %s", wallet.b256_address)
            created = await self.api.create_account(wallet.b256_address)
            account = await self.get_account(trade_account_id=created.trade_account_id)
        tid = self._account_id(account)
        if self._config.faucet_url:
            balances = await self.get_balances(tid)
            if not any(b.total > 0 for b in balances.values()):
                faucet = await self.api.mint_to_contract(tid)
                if not faucet.success:
                    logger.warning("faucet did not mint (non-fatal): %s", faucet.error)
        if self._config.whitelist_required:
            try:
                await self.api.whitelist_account(tid)
            except O2Error as err:
                logger.warning("whitelisting %s failed (non-fatal): %s", tid, err)
        return account

    async def top_up_from_faucet(self, owner: crypto.Signer) -> FaucetResponse:
        """Mint test assets to the owner's trading account (test networks only)."""
        return await self.api.mint_to_contract(await self._owned_account(owner))

    async def get_balance(self, account: AccountInfo | str, asset: str) -> Balance:
        """The balance of one asset (symbol or asset id) of a trading account."""
        info = (await self._markets()).asset(asset)
        return await self.api.get_balance(info.asset_id, contract=self._account_id(account))

    async def get_balances(self, account: AccountInfo | str) -> dict[str, Balance]:
        """Balances of every asset of every market, keyed by symbol (fetched concurrently)."""
        tid = self._account_id(account)
        assets = (await self._markets()).asset_ids()
        results: dict[str, Balance] = {}
        errors: list[O2Error] = []

        async def fetch(symbol: str, asset_id: str) -> None:
            try:
                results[symbol] = await self.api.get_balance(asset_id, contract=tid)
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
        market: str | Market,
        account: AccountInfo | str,
        is_open: bool | None = None,
        count: int = 20,
        start_timestamp: int | None = None,
        start_order_id: str | None = None,
    ) -> list[Order]:
        """Orders of an account on a market, most recent first (at most 200)."""
        mk = await self._market(market)
        return await self.api.get_orders(
            str(mk.market_id),
            self._account_id(account),
            "desc",
            count,
            is_open,
            start_timestamp,
            start_order_id,
        )

    async def get_order(self, market: str | Market, order_id: str) -> Order:
        """One order by id."""
        mk = await self._market(market)
        return await self.api.get_order(str(mk.market_id), b256(order_id, "order_id"))

    # --- nonces --------------------------------------------------------------------------

    def _sequencer(self, trade_account_id: str) -> AccountSequencer:
        sequencer = self._sequencers.get(trade_account_id)
        if sequencer is None:

            async def read_nonce() -> int:
                account = await self.get_account(trade_account_id=trade_account_id)
                if not account.exists:
                    raise AccountNotFound(f"no trading account {trade_account_id}")
                return account.nonce

            sequencer = self._sequencers[trade_account_id] = AccountSequencer(read_nonce)
        return sequencer

    async def get_nonce(self, trade_account_id: str) -> int:
        """The account's next nonce: the cached value, or read from the exchange."""
        return await self._sequencer(self._account_id(trade_account_id)).current()

    async def refresh_nonce(self, session: SessionInfo | None = None) -> int:
        """Re-read the nonce from the exchange (after in-flight submissions settle)."""
        session = self._require_session(session)
        session.nonce = await self._sequencer(str(session.trade_account_id)).refresh()
        return session.nonce

    async def _submit(
        self, trade_account_id: str, build: Callable[[int], Request], decoder: Decoder[T]
    ) -> T:
        async def send(request: Request) -> Reply:
            return await self.api.send(request, self.api.action_timeout)

        return await self._sequencer(trade_account_id).submit(build, send, decoder)

    # --- sessions ------------------------------------------------------------------------

    @property
    def session(self) -> SessionInfo | None:
        """The active session used by trading calls."""
        return self._session

    def set_session(self, session: SessionInfo) -> None:
        """Make ``session`` the active session."""
        if not isinstance(session, SessionInfo):
            raise InvalidInput("set_session needs a SessionInfo")
        self._session = session

    def clear_session(self) -> None:
        """Forget the active session."""
        self._session = None

    def _require_session(self, session: SessionInfo | None) -> SessionInfo:
        session = session or self._session
        if session is None:
            raise O2Error("No active session: call create_session() first, or pass session=")
        return session

    async def create_session(
        self,
        owner: crypto.Signer,
        markets: Sequence[str | Market],
        expiry_days: float = 30,
    ) -> SessionInfo:
        """Delegate trading on ``markets`` to a new session key, signed by ``owner``.

        Replaces any session the account had. The new session becomes the active one.
        """
        if isinstance(markets, (str, Market)):
            markets = [markets]
        if not markets:
            raise InvalidInput("create_session needs at least one market")
        if not isinstance(expiry_days, (int, float)) or not 0 < expiry_days <= 3650:
            raise InvalidInput(f"expiry_days must be in (0, 3650], got {expiry_days!r}")
        directory = await self._markets()
        contract_ids = [str(directory.resolve(x).contract_id) for x in markets]
        tid = await self._owned_account(owner)
        session_wallet = crypto.generate_wallet()
        expiry = int(self._clock() + expiry_days * 86400)
        base, chain_id = self._config.api_base, directory.chain_id

        def build(nonce: int) -> Request:
            body = session_body(
                owner, tid, session_wallet.b256_address, contract_ids, nonce, chain_id, expiry
            )
            return http.put_session(base, owner.b256_address, body)

        reply = await self._submit(tid, build, _as(SessionResponse))
        session = SessionInfo(
            session_id=reply.session_id,
            trade_account_id=reply.trade_account_id,
            contract_ids=[str(c) for c in reply.contract_ids] or contract_ids,
            session_expiry=reply.session_expiry or expiry,
            session_wallet=session_wallet,
            owner_address=owner.b256_address,
            nonce=self._sequencer(tid).tracker.current or 0,
        )
        self._session = session
        logger.info("session %s created for %s", session.session_address, tid)
        return session

    # --- trading -------------------------------------------------------------------------

    def actions_for(self, market: str | Market) -> MarketActionsBuilder:
        """A fluent builder of actions on one market, for :meth:`batch_actions`."""
        return MarketActionsBuilder(market)

    async def create_order(
        self,
        market: str | Market,
        side: OrderSide,
        price: NumericInput,
        quantity: NumericInput,
        order_type: AnyOrderType = OrderType.SPOT,
        settle_first: bool = True,
        collect_orders: bool = True,
        session: SessionInfo | None = None,
    ) -> ActionsResponse:
        """Place an order: scale and validate, sign with the session key, submit.

        ``price``/``quantity`` are human values (str, int, float via its repr, Decimal)
        or raw :class:`~o2_core.markets.ChainInt`. The quantity is adjusted down to
        satisfy FractionalPrice; breaking a market rule raises before anything is signed.
        """
        session = self._require_session(session)
        directory = await self._markets()
        mk = directory.resolve(market)
        ctx = directory.context(mk)
        order = prepare_order(mk, ctx, side, price, quantity, order_type, self._clock())
        group = order_group(mk, ctx, session, order, settle_first)
        return await self._submit_actions(session, [group], collect_orders)

    async def cancel_order(
        self,
        order_id: str,
        market: str | Market | None = None,
        market_id: str | None = None,
        session: SessionInfo | None = None,
    ) -> ActionsResponse:
        """Cancel one order; name its market by ``market`` or ``market_id``."""
        session = self._require_session(session)
        if market is None and market_id is None:
            raise InvalidInput("cancel_order needs market or market_id")
        directory = await self._markets()
        mk = directory.resolve(market if market is not None else str(market_id))
        [group] = cancel_groups(mk, directory.context(mk), session, [order_id])
        return await self._submit_actions(session, [group], False)

    async def cancel_all_orders(
        self, market: str | Market, session: SessionInfo | None = None
    ) -> list[ActionsResponse]:
        """Cancel every open order (up to 200) of the session's account, 5 per batch."""
        session = self._require_session(session)
        directory = await self._markets()
        mk = directory.resolve(market)
        check_session_market(session, mk)
        orders = await self.get_orders(
            mk, str(session.trade_account_id), is_open=True, count=CANCEL_ALL_LIMIT
        )
        groups = cancel_groups(mk, directory.context(mk), session, [o.order_id for o in orders])
        return [await self._submit_actions(session, [group], False) for group in groups]

    async def settle_balance(
        self, market: str | Market, session: SessionInfo | None = None
    ) -> ActionsResponse:
        """Move a market's filled proceeds back to the trading account."""
        group = self.actions_for(market).settle_balance().build()
        return await self.batch_actions([group], session=session)

    async def batch_actions(
        self,
        actions: Sequence[MarketActions | MarketActionGroup],
        collect_orders: bool = False,
        session: SessionInfo | None = None,
    ) -> ActionsResponse:
        """Sign and submit up to 5 actions (in up to 5 market groups) as one transaction.

        ``MarketActions`` hold typed, already-scaled actions; ``MarketActionGroup`` (see
        :meth:`actions_for`) holds human values that are scaled and validated here.
        """
        session = self._require_session(session)
        directory = await self._markets()
        now = self._clock()
        groups = []
        for group in actions:
            if isinstance(group, MarketActions):
                mk = directory.resolve(str(group.market_id))
            elif isinstance(group, MarketActionGroup):
                mk = directory.resolve(group.market)
            else:
                raise InvalidInput(
                    f"batch_actions takes MarketActions or MarketActionGroup, got {group!r}"
                )
            groups.append(prepare_group(mk, directory.context(mk), group, session, now))
        return await self._submit_actions(session, groups, collect_orders)

    async def _submit_actions(
        self, session: SessionInfo, groups: Sequence[PreparedGroup], collect_orders: bool
    ) -> ActionsResponse:
        check_batch(groups)
        check_session_alive(session, self._clock())
        if session.owner_address is None:
            raise InvalidInput("this SessionInfo has no owner_address: give it when restoring")
        base, owner = self._config.api_base, str(session.owner_address)

        def build(nonce: int) -> Request:
            check_session_alive(session, self._clock())
            return http.post_actions(
                base, owner, signed_actions_body(groups, nonce, session, collect_orders)
            )

        tid = str(session.trade_account_id)
        result = await self._submit(tid, build, http.decode_actions)
        session.nonce = self._sequencer(tid).tracker.current or session.nonce
        return result

    # --- withdrawals ---------------------------------------------------------------------

    async def withdraw(
        self,
        owner: crypto.Signer,
        asset: str,
        amount: NumericInput,
        to: Identity | str | None = None,
    ) -> WithdrawResponse:
        """Withdraw ``amount`` (human units, exact) of ``asset`` to ``to`` (default: owner).

        Signed by the owner with personal-sign, not by the session key.
        """
        directory = await self._markets()
        info = directory.asset(asset)
        scaled = scale_amount(amount, info.decimals, f"{info.symbol} amount")
        if scaled <= 0:
            raise InvalidInput("the withdrawal amount must be greater than zero")
        if to is None:
            destination = AddressIdentity(owner.b256_address)
        elif isinstance(to, Identity):
            destination = to
        else:
            destination = AddressIdentity(to)
        tid = await self._owned_account(owner)
        base, chain_id = self._config.api_base, directory.chain_id

        def build(nonce: int) -> Request:
            body = withdraw_body(owner, tid, destination, info.asset_id, scaled, nonce, chain_id)
            return http.post_withdraw(base, owner.b256_address, body)

        return await self._submit(tid, build, _as(WithdrawResponse))

    # --- streams -------------------------------------------------------------------------

    def _stream_driver(self) -> StreamDriver:
        if self._closed:
            raise UsageError("the client is closed")
        if self._streams is None:
            self._streams = StreamDriver(
                self.transport, self._config.ws_url, self._stream_options, self._rand
            )
            if self._task_group is not None:
                self._streams.host_in(self._task_group)
        return self._streams

    async def stream_depth(
        self, market: str | Market, precision: int = 1
    ) -> AsyncIterator[DepthUpdate]:
        """Depth of a market: a snapshot first, then updates.

        A fresh snapshot (``is_snapshot``) follows every reconnect and every resync of a
        consumer that fell behind; treat each snapshot as a reset of the book.
        """
        wire = http.depth_precision_wire(precision)
        mk = await self._market(market)
        async for update in self._stream_driver().iterate(DepthSub(mk.market_id, wire)):
            yield update

    async def order_book(
        self, market: str | Market, precision: int = 1
    ) -> AsyncIterator[OrderBook]:
        """A live local order book: yields the same :class:`OrderBook` after each update.

        The book is seeded from the snapshot and re-seeded after reconnects and resyncs.
        """
        book = OrderBook()
        async for update in self.stream_depth(market, precision):
            if book.apply(update):
                yield book

    async def stream_orders(self, account: AccountInfo | str) -> AsyncIterator[OrderUpdate]:
        """Order updates of a trading account (raises SlowConsumerError if it falls behind)."""
        sub = OrdersSub(ContractIdentity(self._account_id(account)))
        async for update in self._stream_driver().iterate(sub):
            yield update

    async def stream_trades(self, market: str | Market) -> AsyncIterator[TradeUpdate]:
        """Trades of a market (raises SlowConsumerError if it falls behind)."""
        mk = await self._market(market)
        async for update in self._stream_driver().iterate(TradesSub(mk.market_id)):
            yield update

    async def stream_balances(self, account: AccountInfo | str) -> AsyncIterator[BalanceUpdate]:
        """Balance updates of a trading account (raises SlowConsumerError if it falls behind)."""
        sub = BalancesSub(ContractIdentity(self._account_id(account)))
        async for update in self._stream_driver().iterate(sub):
            yield update

    async def stream_nonce(self, account: AccountInfo | str) -> AsyncIterator[NonceUpdate]:
        """Nonce updates of a trading account (only the latest matters: old ones may drop)."""
        sub = NonceSub(ContractIdentity(self._account_id(account)))
        async for update in self._stream_driver().iterate(sub):
            yield update

    async def stream_lifecycle(self) -> AsyncIterator[ConnectionEvent]:
        """Connection lifecycle events: CONNECTED, DISCONNECTED, RECONNECTING, RECONNECTED,
        CLOSED. After RECONNECTED re-sync orders, balances and nonce from REST."""
        async for event in self._stream_driver().lifecycle():
            yield event


__all__ = ["MarketActionsBuilder", "O2Client", "StreamOptions"]
