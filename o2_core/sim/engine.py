"""The exchange's matching and ledger engine: typed commands in, committed changes out.

No JSON, no HTTP, no clock: every command takes the time (``now``, unix seconds) from
its caller and ids come from the configured seed, so a run is reproducible.

What it models (PROTOCOL.md, PROTOCOL_V05.md): trading accounts with a sequential nonce
and a parallel nonce track (:mod:`.nonces`), owner-signed sessions, withdrawals and
upgrades (:mod:`.owner`), session-signed action batches executed atomically
(:mod:`.batches`: a revert rolls the whole batch back but still consumes the nonce or the
parallel slot), balances split into the trading account and per-order-book
locked/unlocked funds, price-time priority matching with maker/taker fees
(:mod:`.trading`), limit-order expiry, legacy accounts (parallel entry points revert with
``Revert(123)`` until upgraded), and the faucet.

A command returns the :class:`~.state.Committed` value of its transaction, or raises
:class:`~.errors.SimError` (rejected before reaching the chain: nothing changed) or
:class:`~.reverts.Revert` (reverted on chain: only the nonce moved, and that change was
committed and announced). Every commit is announced to the listeners registered with
:meth:`Engine.on_commit` (the WebSocket layer) before the command returns.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from typing import Any

from . import audit, batches, history, summaries, trading
from . import owner as owner_actions
from .chain import Chain
from .commands import (
    CreateAccount,
    FaucetMint,
    OpenSession,
    SubmitActions,
    UpgradeAccount,
    Withdraw,
)
from .config import SimConfig, derive_id
from .errors import FaucetRefusal, SimError
from .nonces import LANES, LaneWindow
from .reverts import Revert
from .state import Account, Committed, Ledger, MarketState, Order, Trade, Tx
from .summaries import Balance, Ticker


class Engine:
    """The matching and ledger engine of one exchange (see the module docstring).

    Args:
        config: the exchange's configuration (markets, assets, ids, options).
    """

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.ledger = Ledger(config)
        self.chain = Chain(config, self.ledger)

    # --- commits ---------------------------------------------------------------------

    def on_commit(self, listener: Callable[[Committed], None]) -> None:
        """Call ``listener`` with every committed transaction, in commit order.

        Args:
            listener: called with each :class:`~o2_core.sim.state.Committed` before the
                command that committed it returns.
        """
        self.chain.listeners.append(listener)

    # --- time ------------------------------------------------------------------------

    def expire(self, now: float) -> Committed | None:
        """Let time reach ``now``: limit orders whose expiry is due leave the book.

        The REST and WebSocket layers call this before each request or frame.

        Args:
            now: unix time in seconds.

        Returns:
            The transaction that cancelled them, or None when nothing was due.
        """
        due = self.ledger.due_expiries(now)
        if not due:
            return None
        tx = Tx(now)
        for order in due:
            trading.expire_order(order, tx)
        return self.chain.commit(tx)

    # --- accounts, whitelist, faucet -------------------------------------------------

    def create_account(self, cmd: CreateAccount, now: float) -> Account:
        """Create the trading account of an owner (one per owner).

        Args:
            cmd: the decoded request (the owner's identity).
            now: unix time in seconds.

        Returns:
            The new account (its id derived from the seed and the owner).

        Raises:
            SimError: the owner is not a 32-byte address.
            Revert: the owner already has a trading account.
        """
        owner = str(cmd.owner.value)
        if len(owner) != 66:
            raise SimError(1001, "the owner must be a 32-byte address")
        ledger = self.ledger
        if owner in ledger.accounts_by_owner:
            revert = Revert("TradeAccountRegistryError", "OwnerAlreadyHasTradeAccount")
            raise revert.located(self.config.accounts_registry_id)
        trade_account_id = derive_id(ledger.seed, f"trade_account:{owner}")
        return self.install_account(
            trade_account_id, owner, cmd.owner.is_contract, now, legacy=self.config.legacy_accounts
        )

    def install_account(
        self,
        trade_account_id: str,
        owner: str,
        owner_is_contract: bool,
        now: float,
        *,
        nonce: int = 0,
        legacy: bool = False,
    ) -> Account:
        """Put a trading account with a given id, owner and sequential nonce in place.

        :meth:`create_account` uses it; tests use it to stand up an account recorded
        elsewhere (ids and keys of recorded requests). Ids are normalised hex.

        Args:
            trade_account_id: the account's id.
            owner: the owner's address (or contract id).
            owner_is_contract: the owner is a contract.
            now: unix time in seconds.
            nonce: the account's sequential nonce.
            legacy: start on the legacy implementation (parallel entry points revert).

        Returns:
            The account.

        Raises:
            ValueError: that account id or owner already exists.
        """
        ledger = self.ledger
        if trade_account_id in ledger.accounts or owner in ledger.accounts_by_owner:
            raise ValueError("that trading account or owner already exists")
        account = Account(trade_account_id, owner, owner_is_contract, int(now), legacy=legacy)
        account.nonce = nonce
        ledger.accounts[trade_account_id] = account
        ledger.accounts_by_owner[owner] = account
        return account

    @staticmethod
    def set_legacy(account: Account, legacy: bool = True) -> None:
        """Make an account legacy (its parallel entry points revert) or current.

        Args:
            account: the account.
            legacy: legacy (True) or current (False).
        """
        account.legacy = legacy

    def add_to_whitelist(self, trade_account_id: str) -> bool:
        """Whitelist a trading account id.

        Args:
            trade_account_id: the account's id (normalised hex).

        Returns:
            True if it already was whitelisted.
        """
        already = trade_account_id in self.ledger.whitelist
        self.ledger.whitelist.add(trade_account_id)
        return already

    def mint(self, cmd: FaucetMint, now: float) -> Committed:
        """Mint every faucet asset to a wallet or a trading account, once per cooldown.

        Args:
            cmd: the decoded faucet request (an address or a trading account).
            now: unix time in seconds.

        Returns:
            The committed transaction.

        Raises:
            FaucetRefusal: an unknown trading account, or the cooldown has not passed
                (``retry_after`` says how long to wait).
        """
        ledger = self.ledger
        account = None
        if cmd.kind == "contract":
            account = ledger.accounts.get(cmd.target)
            if account is None:
                raise FaucetRefusal(f"Unknown trading account {cmd.target}")
        key = f"{cmd.kind}:{cmd.target}"
        last = ledger.faucet_last.get(key)
        cooldown = self.config.faucet_cooldown
        if last is not None and now - last < cooldown:
            wait = max(1, math.ceil(cooldown - (now - last)))
            raise FaucetRefusal(f"Faucet cooldown: try again in {wait} seconds", wait)
        ledger.faucet_last[key] = now
        tx = Tx(now)
        for asset in self.config.assets:
            if asset.faucet_amount <= 0:
                continue
            tx.add(ledger.minted, asset.asset_id, asset.faucet_amount)
            if account is not None:
                tx.add(account.balances, asset.asset_id, asset.faucet_amount)
                tx.touch_balance(account, asset.asset_id)
            else:
                wallet = ledger.wallets.setdefault(cmd.target, {})
                tx.add(wallet, asset.asset_id, asset.faucet_amount)
        return self.chain.commit(tx)

    # --- owner actions (:mod:`.owner`) ----------------------------------------------

    def open_session(self, cmd: OpenSession, now: float) -> Committed:
        """Register an owner-signed session (replacing any previous one).

        Args:
            cmd: the decoded ``PUT /v1/session`` request.
            now: unix time in seconds.

        Returns:
            The committed transaction.

        Raises:
            SimError: rejected before reaching the chain (nothing changed).
            Revert: reverted on chain (only the nonce moved, committed and announced).
        """
        return owner_actions.open_session(self.chain, cmd, now)

    def withdraw(self, cmd: Withdraw, now: float) -> Committed:
        """Pay an owner-signed amount out of the trading account (either nonce track).

        Args:
            cmd: the decoded ``POST /v1/accounts/withdraw`` request.
            now: unix time in seconds.

        Returns:
            The committed transaction.

        Raises:
            SimError: rejected before reaching the chain (nothing changed).
            Revert: reverted on chain (only the nonce moved, committed and announced).
        """
        return owner_actions.withdraw(self.chain, cmd, now)

    def upgrade_account(self, cmd: UpgradeAccount, now: float) -> Committed:
        """Upgrade a legacy account to the current implementation (PROTOCOL_V05 §3).

        Args:
            cmd: the decoded ``POST /v1/accounts/upgrade`` request.
            now: unix time in seconds.

        Returns:
            The committed transaction.

        Raises:
            SimError: rejected before reaching the chain (nothing changed).
            Revert: reverted on chain (only the nonce moved, committed and announced).
        """
        return owner_actions.upgrade(self.chain, cmd, now)

    # --- action batches (:mod:`.batches`) --------------------------------------------

    def submit_actions(self, cmd: SubmitActions, now: float) -> Committed:
        """Verify and execute a session-signed batch atomically.

        The signer is recovered from the exact signing bytes and must be the account's
        current, unexpired session, allowed on every market of the batch. A revert rolls the
        whole batch back but still consumes the nonce (or the parallel slot).

        Args:
            cmd: the decoded ``POST /v1/session/actions`` request.
            now: unix time in seconds.

        Returns:
            The committed transaction (with its ``tx_id``).

        Raises:
            SimError: no actions, too many, an invalid session, market, action or signature
                (nothing changed).
            Revert: a stale nonce, or an action reverted (only the nonce moved).
        """
        return batches.submit(self.chain, cmd, now)

    # --- reads -----------------------------------------------------------------------

    def markets(self) -> list[MarketState]:
        """Every market, in configuration order.

        Returns:
            The markets.
        """
        return list(self.ledger.markets.values())

    def market(self, key: str) -> MarketState | None:
        """A market by its market id or contract id (normalised ``0x`` lowercase hex).

        Args:
            key: the id.

        Returns:
            The market, or None.
        """
        ledger = self.ledger
        return ledger.markets.get(key) or ledger.markets_by_contract.get(key)

    def find_market(self, name: str) -> MarketState | None:
        """A market by pair (``"fFUEL/fUSDC"``), market id or contract id.

        Args:
            name: the pair or id, exactly as the market shows it.

        Returns:
            The market, or None.
        """
        for market in self.ledger.markets.values():
            if name in (market.pair, market.market_id, market.contract_id):
                return market
        return None

    def account(self, trade_account_id: str) -> Account | None:
        """A trading account by id.

        Args:
            trade_account_id: the id (normalised hex).

        Returns:
            The account, or None.
        """
        return self.ledger.accounts.get(trade_account_id)

    def account_of_owner(self, owner: str) -> Account | None:
        """The trading account of an owner address or contract.

        Args:
            owner: the owner (normalised hex).

        Returns:
            The account, or None.
        """
        return self.ledger.accounts_by_owner.get(owner)

    def order(self, order_id: str) -> Order | None:
        """An order by id.

        Args:
            order_id: the id (normalised hex).

        Returns:
            The order, or None.
        """
        return self.ledger.orders.get(order_id)

    @staticmethod
    def account_orders(account: Account, market: MarketState) -> list[Order]:
        """An account's orders in a market, oldest first.

        Args:
            account: the account.
            market: the market.

        Returns:
            The orders (the engine's own list: do not change it).
        """
        return account.orders.get(market.market_id, [])

    @staticmethod
    def account_trades(account: Account, market: MarketState) -> list[Trade]:
        """An account's trades in a market, oldest first.

        Args:
            account: the account.
            market: the market.

        Returns:
            The trades (the engine's own list).
        """
        return account.trades.get(market.market_id, [])

    @staticmethod
    def trades(market: MarketState) -> list[Trade]:
        """A market's remembered trades, oldest first.

        Args:
            market: the market.

        Returns:
            The trades (the engine's own list).
        """
        return market.trades

    @staticmethod
    def trade_position(market: MarketState, trade_id: str) -> int | None:
        """Where a trade is in :meth:`trades`.

        Args:
            market: the market.
            trade_id: the trade's id.

        Returns:
            Its index, or None if unknown or forgotten.
        """
        return history.trade_position(market, trade_id)

    @staticmethod
    def trades_between(market: MarketState, start_ms: int, end_ms: int) -> list[Trade]:
        """A market's trades with ``start_ms <= timestamp <= end_ms``, oldest first.

        Args:
            market: the market.
            start_ms: the start, in milliseconds.
            end_ms: the end, in milliseconds.

        Returns:
            The trades.
        """
        lo = bisect.bisect_left(market.trade_ts, start_ms)
        hi = bisect.bisect_right(market.trade_ts, end_ms)
        return market.trades[lo:hi]

    @staticmethod
    def depth(
        market: MarketState, precision: int, limit: int | None = None
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """A market's book, bucketed at ``precision``.

        Args:
            market: the market.
            precision: the bucket size in chain price units (the wire precision).
            limit: at most this many buckets per side (None: all).

        Returns:
            ``(bids, asks)``, each a list of ``(bucket price, quantity)``, best first.
        """
        return market.bids.depth(precision, limit), market.asks.depth(precision, limit)

    @staticmethod
    def bucket_totals(
        market: MarketState, precision: int, levels: frozenset[tuple[bool, int]]
    ) -> dict[tuple[bool, int], int]:
        """New totals of the depth buckets (at ``precision``) holding ``levels``.

        Args:
            market: the market.
            precision: the bucket size in chain price units.
            levels: ``(is_bid, price)`` levels that changed.

        Returns:
            The total of each ``(is_bid, bucket price)`` concerned.
        """
        totals: dict[tuple[bool, int], int] = {}
        for is_bid, price in levels:
            side = market.side(is_bid)
            bucket = side.bucket_of(price, precision)
            if (is_bid, bucket) not in totals:
                totals[(is_bid, bucket)] = side.bucket_total(bucket, precision)
        return totals

    def balance(self, account: Account, asset: str) -> Balance:
        """An account's funds of ``asset`` (books of markets not trading it are left out).

        Args:
            account: the account.
            asset: the asset id.

        Returns:
            The trading account's balance, the totals locked and unlocked (the account's own
            included in unlocked), and the funds per book.
        """
        return summaries.balance(self.ledger, account, asset)

    @staticmethod
    def ticker(market: MarketState, now: float) -> Ticker:
        """A market's best levels and 24-hour statistics at ``now``.

        Args:
            market: the market.
            now: unix time in seconds.

        Returns:
            The ticker.
        """
        return summaries.ticker(market, now)

    @staticmethod
    def window(account: Account, lane: int) -> LaneWindow:
        """A lane's parallel-nonce window (a fresh one when the lane was never used).

        Args:
            account: the account.
            lane: the lane, 0..4.

        Returns:
            The window.

        Raises:
            SimError: a lane outside 0..4.
        """
        if not 0 <= lane < LANES:
            raise SimError(1001, f"nonce_session_id must be in 0..{LANES - 1}, got {lane}")
        return account.windows.get(lane) or LaneWindow()

    def referral_owner(self, code: str) -> str | None:
        """The owner address of an active referral code.

        Args:
            code: the referral code.

        Returns:
            The owner's address, or None if the code is unknown.
        """
        return self.ledger.referral_codes.get(code)

    # --- inspection ------------------------------------------------------------------

    def check_invariants(self) -> None:
        """Raise AssertionError if the state is inconsistent (:func:`.audit.check_invariants`).

        Raises:
            AssertionError: an invariant does not hold (funds not conserved, a book out of
                order ...).
        """
        audit.check_invariants(self.ledger)

    def snapshot(self) -> dict[str, Any]:
        """The whole observable state as plain data (equal snapshots = same state).

        Returns:
            Nested dicts and lists of builtins.
        """
        return audit.snapshot(self.ledger)
