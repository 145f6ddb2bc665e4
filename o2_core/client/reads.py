"""``O2Client``'s reads: markets, depth, trades, bars, tickers, accounts, balances,
orders, nonces, and the account set-up that needs no signature."""

from __future__ import annotations

import logging

import anyio

from .. import crypto, http
from ..errors import O2Error
from ..market_models import Market, MarketSummary, MarketTicker
from ..models import (
    AccountInfo,
    Balance,
    Bar,
    DepthSnapshot,
    FaucetResponse,
    Order,
    SessionInfo,
    Trade,
    b256,
)
from .base import ClientBase

logger = logging.getLogger(__name__)


class ReadsMixin(ClientBase):
    """Market data, accounts and balances (no signature needed)."""

    # --- markets -----------------------------------------------------------------------

    async def get_markets(self) -> list[Market]:
        """All markets of the exchange (fetched once, then cached for the client's lifetime).

        Returns:
            Every market, in the order the exchange lists them.
        """
        return list((await self._markets()).markets)

    async def get_market(self, symbol_pair: str | Market) -> Market:
        """One market by pair (``"fFUEL/fUSDC"``, any case), market id or contract id.

        Args:
            symbol_pair: the pair, a market id or a contract id (a ``Market`` is returned as
                it is).

        Returns:
            The market.

        Raises:
            MarketNotFound: no market has that name.
            InvalidInput: ``symbol_pair`` is not a non-empty string.
        """
        return await self._market(symbol_pair)

    async def get_depth(
        self, market: str | Market, precision: int = 1, limit: int | None = None
    ) -> DepthSnapshot:
        """The order book of a market, as one snapshot.

        Args:
            market: a pair, market id, contract id or ``Market``.
            precision: the price-grouping level, 1 (exact) to 18 (coarsest); the wire value
                is ``10**precision``.
            limit: at most this many levels per side (None: all the exchange sends).

        Returns:
            Bids (best first) and asks (best first) in chain integers, with the market id.

        Raises:
            InvalidInput: a precision outside 1..18 or a limit below 1.
            MarketNotFound: no such market.
        """
        wire = http.depth_precision_wire(precision)
        mk = await self._market(market)
        snapshot = await self.api.get_depth(str(mk.market_id), wire, limit)
        if snapshot.market_id is None:
            return DepthSnapshot(snapshot.bids, snapshot.asks, mk.market_id)
        return snapshot

    async def get_bars(
        self, market: str | Market, resolution: str, from_ts: int, to_ts: int
    ) -> list[Bar]:
        """OHLCV bars (candles) of a market.

        Args:
            market: a pair, market id, contract id or ``Market``.
            resolution: the bar width: ``"1s"``, ``"1m"`` ... ``"1d"``, ``"3d"``, ``"1w"``,
                ``"1M"``, ``"3M"``.
            from_ts: the start, in milliseconds since the epoch.
            to_ts: the end, in milliseconds (not before ``from_ts``).

        Returns:
            The bars the exchange has in that range.

        Raises:
            InvalidInput: an unknown resolution, a bad range, or a range of more than 5000
                bars.
            MarketNotFound: no such market.
        """
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
        """Recent trades of a market, newest first; only one account's when ``account`` is given.

        Args:
            market: a pair, market id, contract id or ``Market``.
            count: how many, 1..50.
            account: a trading account (``AccountInfo`` or its id): that account's trades
                (``/v1/trades_by_account``).
            start_timestamp: page backwards from this trade's timestamp (take it, with
                ``start_trade_id``, from the last trade of the previous page).
            start_trade_id: page backwards from this trade id.

        Returns:
            The trades.

        Raises:
            InvalidInput: a count outside 1..50 or a malformed account id.
            MarketNotFound: no such market.
        """
        mk = await self._market(market)
        contract = None if account is None else self._account_id(account)
        return await self.api.get_trades(
            str(mk.market_id), "desc", count, start_timestamp, start_trade_id, contract
        )

    async def get_ticker(self, market: str | Market) -> MarketTicker:
        """The 24-hour ticker of a market.

        Args:
            market: a pair, market id, contract id or ``Market``.

        Returns:
            The reply as a dict (the official SDK's shape), with typed reads.

        Raises:
            MarketNotFound: no such market.
        """
        mk = await self._market(market)
        return await self.api.get_market_ticker(str(mk.market_id))

    async def get_market_summary(self, market: str | Market) -> MarketSummary:
        """The 24-hour summary of a market.

        Args:
            market: a pair, market id, contract id or ``Market``.

        Returns:
            The reply as a dict, with typed reads.

        Raises:
            MarketNotFound: no such market.
        """
        mk = await self._market(market)
        return await self.api.get_market_summary(str(mk.market_id))

    # --- accounts ----------------------------------------------------------------------

    async def get_account(
        self, owner: str | crypto.Signer | None = None, trade_account_id: str | None = None
    ) -> AccountInfo:
        """A trading account, looked up by its owner or by its id (give exactly one).

        Args:
            owner: the owner's b256 address, or a signer (its ``b256_address`` is used).
            trade_account_id: the trading account's contract id.

        Returns:
            The account; ``exists`` is False when the owner has none yet.

        Raises:
            InvalidInput: neither or both given.
        """
        if owner is not None and not isinstance(owner, str):
            owner = owner.b256_address
        return await self.api.get_account(owner=owner, trade_account_id=trade_account_id)

    async def setup_account(self, wallet: crypto.Signer) -> AccountInfo:
        """Make the wallet ready to trade: create its trading account if needed, fund it from
        the faucet on networks that have one (only while all its balances are zero), and
        whitelist it where the network requires it.

        Idempotent: safe to call on every start. A faucet refusal (e.g. its cooldown) or a
        failed whitelisting is logged as a warning, not raised.

        Args:
            wallet: the account owner (a wallet or an external signer).

        Returns:
            The trading account (as read before funding: balances live in ``get_balances``).
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
        """Mint test assets to the owner's trading account (networks with a faucet only).

        Args:
            owner: the account owner.

        Returns:
            The faucet's answer; a refusal (such as its cooldown) is in ``error``, not raised.

        Raises:
            AccountNotFound: the owner has no trading account (call :meth:`setup_account`).
            InvalidInput: this network has no faucet.
        """
        account = await self._owned_account(owner)
        return await self.api.mint_to_contract(self._account_id(account))

    async def get_balance(self, account: AccountInfo | str, asset: str) -> Balance:
        """The balance of one asset of a trading account.

        Args:
            account: the trading account (``AccountInfo``, ``SessionInfo`` or its id).
            asset: the asset's symbol (``"fUSDC"``) or asset id.

        Returns:
            Chain integers: ``total_unlocked`` (what new orders can use, the account's own
            balance included), ``total_locked`` (in open orders) and per-book details.

        Raises:
            InvalidInput: no market lists that asset, or a malformed account id.
            AccountNotFound: an ``AccountInfo`` without a trading account.
        """
        info = (await self._markets()).asset(asset)
        return await self.api.get_balance(info.asset_id, contract=self._account_id(account))

    async def get_balances(self, account: AccountInfo | str) -> dict[str, Balance]:
        """The balances of every asset of every market, fetched concurrently.

        Args:
            account: the trading account (``AccountInfo``, ``SessionInfo`` or its id).

        Returns:
            A balance per asset symbol, in market order.

        Raises:
            O2Error: the first failed read (as itself, not in an exception group).
        """
        tid = self._account_id(account)
        assets = (await self._markets()).asset_ids()
        results: dict[str, Balance] = {}
        errors: list[O2Error] = []

        async def fetch(symbol: str, asset_id: str) -> None:
            try:
                results[symbol] = await self.api.get_balance(asset_id, contract=tid)
            except O2Error as err:
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
        """Orders of a trading account on a market, most recent first.

        Args:
            market: a pair, market id, contract id or ``Market``.
            account: the trading account (``AccountInfo``, ``SessionInfo`` or its id).
            is_open: True for open orders only, False for closed ones only, None for both.
            count: how many, 1..200.
            start_timestamp: page backwards from this order's timestamp.
            start_order_id: page backwards from this order id.

        Returns:
            The orders.

        Raises:
            InvalidInput: a count outside 1..200 or a malformed account id.
            MarketNotFound: no such market.
        """
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
        """One order by its id.

        Args:
            market: the order's market (a pair, market id, contract id or ``Market``).
            order_id: the order id (32 bytes in hex).

        Returns:
            The order.

        Raises:
            InvalidInput: a malformed order id.
            OrderNotFound: the exchange knows no such order.
            MarketNotFound: no such market.
        """
        mk = await self._market(market)
        return await self.api.get_order(str(mk.market_id), b256(order_id, "order_id"))

    # --- the sequential nonce ----------------------------------------------------------

    async def get_nonce(self, trade_account_id: str) -> int:
        """The account's next sequential nonce: the cached value, else read from the exchange.

        Args:
            trade_account_id: the trading account (its id, or an ``AccountInfo``).

        Returns:
            The nonce the next sequential signature will use.

        Raises:
            AccountNotFound: the exchange has no such trading account.
            InvalidInput: a malformed account id.
        """
        return await self._sequencer(self._account_id(trade_account_id)).current()

    async def refresh_nonce(self, session: SessionInfo | None = None) -> int:
        """Re-read the sequential nonce from the exchange, once the submissions in flight have
        settled (e.g. after another process used the account).

        Args:
            session: the session whose account to refresh (default: the active one); its
                ``nonce`` is updated.

        Returns:
            The fresh nonce.

        Raises:
            O2Error: no session given and no active session.
        """
        session = self._require_session(session)
        session.nonce = await self._sequencer(str(session.trade_account_id)).refresh()
        return session.nonce


__all__ = ["ReadsMixin"]
