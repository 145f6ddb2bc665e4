"""``O2Client``'s reads: markets, depth, trades, bars, tickers, accounts, balances,
orders, nonces, and the account set-up that needs no signature."""

from __future__ import annotations

import logging

import anyio

from .. import crypto, http
from ..errors import O2Error
from ..models import (
    AccountInfo,
    Balance,
    Bar,
    DepthSnapshot,
    FaucetResponse,
    Market,
    MarketSummary,
    MarketTicker,
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
        """The order book of a market.

        Args:
            market: a pair, market id, contract id or ``Market``.
            precision: the price-grouping level, 1 (exact) to 18 (coarsest).
            limit: at most this many levels per side (None: all).

        Raises:
            InvalidInput: a precision outside 1..18 or a bad limit.
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
        """Recent trades of a market (at most 50), newest first; only ``account``'s if given.

        ``start_timestamp``/``start_trade_id`` (both from the last trade of the previous
        page) page backwards.
        """
        mk = await self._market(market)
        contract = None if account is None else self._account_id(account)
        return await self.api.get_trades(
            str(mk.market_id), "desc", count, start_timestamp, start_trade_id, contract
        )

    async def get_ticker(self, market: str | Market) -> MarketTicker:
        """24h ticker of a market: the reply as a dict, with typed reads."""
        mk = await self._market(market)
        return await self.api.get_market_ticker(str(mk.market_id))

    async def get_market_summary(self, market: str | Market) -> MarketSummary:
        """24h summary of a market."""
        mk = await self._market(market)
        return await self.api.get_market_summary(str(mk.market_id))

    # --- accounts ----------------------------------------------------------------------

    async def get_account(
        self, owner: str | crypto.Signer | None = None, trade_account_id: str | None = None
    ) -> AccountInfo:
        """The trading account of an owner (address or signer), or by its id."""
        if owner is not None and not isinstance(owner, str):
            owner = owner.b256_address
        return await self.api.get_account(owner=owner, trade_account_id=trade_account_id)

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
        account = await self._owned_account(owner)
        return await self.api.mint_to_contract(self._account_id(account))

    async def get_balance(self, account: AccountInfo | str, asset: str) -> Balance:
        """The balance of one asset (symbol or asset id) of a trading account."""
        info = (await self._markets()).asset(asset)
        return await self.api.get_balance(info.asset_id, contract=self._account_id(account))

    async def get_balances(self, account: AccountInfo | str) -> dict[str, Balance]:
        """Balances of every asset of every market, keyed by symbol (fetched concurrently).

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

    # --- the sequential nonce ----------------------------------------------------------

    async def get_nonce(self, trade_account_id: str) -> int:
        """The account's next sequential nonce: the cached value, or read from the exchange."""
        return await self._sequencer(self._account_id(trade_account_id)).current()

    async def refresh_nonce(self, session: SessionInfo | None = None) -> int:
        """Re-read the sequential nonce (after the submissions in flight have settled)."""
        session = self._require_session(session)
        session.nonce = await self._sequencer(str(session.trade_account_id)).refresh()
        return session.nonce


__all__ = ["ReadsMixin"]
