"""``O2Client``'s owner-signed operations: sessions, withdrawals, the account upgrade, and
the parallel-nonce capability (PROTOCOL_V05 §1–§3).

The owner signs session creation, sequential withdrawals and the upgrade with its
personal-sign flavour at the account's SEQUENTIAL nonce; a parallel withdrawal is signed
over typed data (SRC-16 / EIP-712) at a PARALLEL nonce drawn from the session's lane, the
same issuer that actions use, so the two never share a slot.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import anyio

from .. import crypto, http, replies
from ..actions import parallel_withdraw_body, session_body, upgrade_body, withdraw_body
from ..errors import InvalidInput, O2Error
from ..market_models import Market
from ..markets import NumericInput, scale_amount
from ..models import (
    AddressIdentity,
    Identity,
    MarketActionGroup,
    SessionInfo,
    SessionResponse,
    SettleBalanceRequestAction,
    WithdrawResponse,
)
from ..onchain_revert import is_no_upgrade_available, is_selector_mismatch_revert
from ..orders import prepare_group
from ..parallel_manager import ParallelNonceManager
from ..parallel_nonce import ParallelNonce, check_lane
from .base import ClientBase

logger = logging.getLogger(__name__)

#: ``upgrade_account(wait=True)`` polls the account this often (seconds) ...
UPGRADE_POLL_INTERVAL_SECS = 3.0
#: ... this many times before giving up.
UPGRADE_POLL_ATTEMPTS = 40
#: The two nonce strategies of ``create_session``.
NONCE_STRATEGIES = ("sequential", "parallel")


@dataclass(frozen=True)
class _Withdrawal:
    """A withdrawal checked and scaled before anything is signed."""

    trade_account_id: str
    to: Identity
    asset_id: str
    amount: int
    chain_id: int


def _lane(nonce_strategy: str, nonce_session_id: int) -> int | None:
    """The parallel lane asked for (None on the sequential track), checked."""
    if nonce_strategy not in NONCE_STRATEGIES:
        raise InvalidInput(f"nonce_strategy must be one of {NONCE_STRATEGIES}, got "
                           f"{nonce_strategy!r}")
    return check_lane(nonce_session_id) if nonce_strategy == "parallel" else None


class OwnerMixin(ClientBase):
    """Sessions, withdrawals and the account upgrade, signed by the account owner."""

    # --- sessions ----------------------------------------------------------------------

    async def create_session(
        self,
        owner: crypto.Signer,
        markets: Sequence[str | Market],
        expiry_days: float = 30,
        nonce_strategy: str = "sequential",
        nonce_session_id: int = 0,
    ) -> SessionInfo:
        """Delegate trading on ``markets`` to a new session key, signed by ``owner``.

        Replaces any session the account had. The new session becomes the active one.

        Args:
            owner: the account owner (a wallet or an external signer).
            markets: the markets the session may trade on (one name is accepted too).
            expiry_days: the session's lifetime, in days (above 0, at most 3650).
            nonce_strategy: ``"sequential"`` (one account nonce, submissions in order) or
                ``"parallel"`` (nonces from a lane's sliding window: concurrent
                submissions do not wait for each other; the account must support it —
                see :meth:`ensure_parallel_session`).
            nonce_session_id: the parallel lane, 0..4 (distinct lanes for clients that
                share one account); ignored for ``"sequential"``.

        Returns:
            The session: its key, account, markets and expiry. A parallel session also holds
            its lane's nonce issuer (``nonce_manager``), already read from the exchange.

        Raises:
            InvalidInput: a bad strategy, lane, market or expiry — before anything is
                signed (registering a session consumes the nonce and ends the old one).
            MarketNotFound: one of ``markets`` does not exist.
            AccountNotFound: the owner has no trading account (call :meth:`setup_account`).
        """
        lane = _lane(nonce_strategy, nonce_session_id)
        if isinstance(markets, (str, Market)):
            markets = [markets]
        if not markets:
            raise InvalidInput("create_session needs at least one market")
        if not isinstance(expiry_days, (int, float)) or not 0 < expiry_days <= 3650:
            raise InvalidInput(f"expiry_days must be in (0, 3650], got {expiry_days!r}")
        directory = await self._markets()
        contract_ids = [str(directory.resolve(x).contract_id) for x in markets]
        tid = self._account_id(await self._owned_account(owner))
        session_wallet = crypto.generate_wallet()
        expiry = int(self._clock() + expiry_days * 86400)
        base, chain_id = self._config.api_base, directory.chain_id

        def build(nonce: int) -> http.Request:
            body = session_body(
                owner, tid, session_wallet.b256_address, contract_ids, nonce, chain_id, expiry
            )
            return http.put_session(base, owner.b256_address, body)

        reply = await self._submit(tid, build, replies.decoder_of(SessionResponse))
        session = SessionInfo(
            session_id=reply.session_id,
            trade_account_id=reply.trade_account_id,
            contract_ids=[str(c) for c in reply.contract_ids] or contract_ids,
            session_expiry=reply.session_expiry or expiry,
            session_wallet=session_wallet,
            owner_address=owner.b256_address,
            nonce=self._sequencer(tid).tracker.current or 0,
        )
        if lane is not None:
            session.nonce_manager = await self._synced_lane(tid, lane)
        self._session = session
        logger.info("%s session %s created for %s", nonce_strategy, session.session_address, tid)
        return session

    async def restore_session(
        self,
        session: SessionInfo,
        nonce_strategy: str = "sequential",
        nonce_session_id: int = 0,
    ) -> SessionInfo:
        """Make a saved session the active one, on the nonce track of your choice.

        The track is the client's choice, not the session's: a session restored after a
        restart may trade on the parallel track (its lane is read from
        ``/v1/accounts/window``) or on the sequential one (the account's nonce is read
        again before the next signature).

        Args:
            session: the saved session (see :class:`~o2_core.models.SessionInfo`).
            nonce_strategy: ``"sequential"`` or ``"parallel"``.
            nonce_session_id: the parallel lane, 0..4.

        Returns:
            ``session``, now active, with its parallel issuer set (or cleared).

        Raises:
            InvalidInput: not a SessionInfo, a bad strategy or lane — before any request.
            O2Error: the lane's window could not be read.
        """
        if not isinstance(session, SessionInfo):
            raise InvalidInput("restore_session needs a SessionInfo")
        lane = _lane(nonce_strategy, nonce_session_id)
        tid = str(session.trade_account_id)
        session.nonce_manager = None if lane is None else await self._synced_lane(tid, lane)
        self._sequencer(tid).invalidate()
        self._session = session
        return session

    async def _synced_lane(self, trade_account_id: str, lane: int) -> ParallelNonceManager:
        manager = self._parallel_manager(trade_account_id, lane)
        await manager.init()
        return manager

    # --- withdrawals -------------------------------------------------------------------

    async def withdraw(
        self,
        owner: crypto.Signer,
        asset: str,
        amount: NumericInput,
        to: Identity | str | None = None,
        *,
        nonce: int | ParallelNonce | None = None,
    ) -> WithdrawResponse:
        """Withdraw ``amount`` of ``asset`` from the owner's trading account.

        Without ``nonce``: on the parallel track when the active session belongs to this
        owner and is parallel, else on the sequential track. An explicit ``int`` is an
        exact sequential nonce, an explicit :class:`~o2_core.parallel_nonce.ParallelNonce`
        an exact parallel one: sent once as given, never retried under another nonce.

        Args:
            owner: the account owner (a wallet or an external signer); it signs.
            asset: the asset's symbol (``"fUSDC"``) or asset id.
            amount: how much, in human units (str, int, Decimal or a float via its repr),
                scaled exactly by the asset's decimals.
            to: where to: an ``Identity``, or an address (default: the owner's address).
            nonce: an exact nonce to sign with (see above); None to draw one.

        Returns:
            The withdrawal's transaction id.

        Raises:
            InvalidInput: an unknown asset, an amount with more decimals than the asset
                has, not above zero, or a ``nonce`` of another type — before anything is
                signed.
            AccountNotFound: the owner has no trading account.
            UnknownSubmissionOutcome: sent, but no reply came; it is not re-sent.
        """
        if isinstance(nonce, ParallelNonce):
            return await self.withdraw_parallel(owner, asset, amount, to, nonce=nonce)
        if isinstance(nonce, int) and not isinstance(nonce, bool):
            return await self.withdraw_sequential(owner, asset, amount, to, nonce=nonce)
        if nonce is not None:
            raise InvalidInput(f"nonce must be an int or a ParallelNonce, got {nonce!r}")
        if self._lane_of(owner) is not None:
            return await self.withdraw_parallel(owner, asset, amount, to)
        return await self.withdraw_sequential(owner, asset, amount, to)

    async def withdraw_sequential(
        self,
        owner: crypto.Signer,
        asset: str,
        amount: NumericInput,
        to: Identity | str | None = None,
        *,
        nonce: int | None = None,
    ) -> WithdrawResponse:
        """Withdraw on the sequential track: the owner personal-signs at the account's nonce.

        Args:
            owner: the account owner (a wallet or an external signer); it signs.
            asset: the asset's symbol (``"fUSDC"``) or asset id.
            amount: how much, in human units (str, int, Decimal or a float via its repr),
                scaled exactly by the asset's decimals.
            to: where to: an ``Identity``, or an address (default: the owner's address).
            nonce: sign at exactly this sequential nonce and send once (the client re-reads
                the account's nonce before its next signature); None: the next one, in
                turn with the account's other submissions.

        Returns:
            The withdrawal's transaction id.

        Raises:
            InvalidInput: an unknown asset, or an amount that is not positive or has more
                decimals than the asset — before anything is signed.
            AccountNotFound: the owner has no trading account.
            UnknownSubmissionOutcome: sent, but no reply came; it is not re-sent.
        """
        w = await self._withdrawal(owner, asset, amount, to)
        base = self._config.api_base

        def build(sequential: int) -> http.Request:
            body = withdraw_body(
                owner, w.trade_account_id, w.to, w.asset_id, w.amount, sequential, w.chain_id
            )
            return http.post_withdraw(base, owner.b256_address, body)

        decode = replies.decoder_of(WithdrawResponse)
        if nonce is None:
            return await self._submit(w.trade_account_id, build, decode)
        request = build(nonce)  # signed at exactly that nonce: outside the sequencer
        self._sequencer(w.trade_account_id).invalidate()
        return decode((await self._send_signed(request)).response.body)

    async def withdraw_parallel(
        self,
        owner: crypto.Signer,
        asset: str,
        amount: NumericInput,
        to: Identity | str | None = None,
        *,
        nonce: ParallelNonce | None = None,
    ) -> WithdrawResponse:
        """Withdraw on the parallel track: the owner signs typed data (SRC-16 for a Fuel
        owner, EIP-712 for an EVM owner) with ``sign_digest``, at a parallel nonce.

        Without ``nonce`` the nonce comes from the active parallel session's lane (the same
        issuer its actions use) and is healed like theirs: "out of window" or "expired"
        resyncs and tries once more; "already used" resyncs and raises.

        Args:
            owner: the account owner (a wallet or an external signer); it signs.
            asset: the asset's symbol (``"fUSDC"``) or asset id.
            amount: how much, in human units (str, int, Decimal or a float via its repr),
                scaled exactly by the asset's decimals.
            to: where to: an ``Identity``, or an address (default: the owner's address).
            nonce: an exact parallel nonce, sent once as given; None: draw one from the
                active parallel session of this owner.

        Returns:
            The withdrawal's transaction id.

        Raises:
            O2Error: no ``nonce`` given and no active parallel session of this owner.
            InvalidInput: an unknown asset, or an amount that is not positive or has more
                decimals than the asset — before anything is signed.
            AccountNotFound: the owner has no trading account.
            UnknownSubmissionOutcome: sent, but no reply came; it is not re-sent.
        """
        manager = None if nonce is not None else self._lane_of(owner)
        if nonce is None and manager is None:
            raise O2Error("No active parallel nonce manager for owner "
                          f"{owner.b256_address}: create a parallel session or pass nonce=")
        w = await self._withdrawal(owner, asset, amount, to)
        base = self._config.api_base

        def build(parallel: int) -> http.Request:
            body = parallel_withdraw_body(
                owner, w.trade_account_id, w.to, w.asset_id, w.amount, parallel, w.chain_id
            )
            return http.post_withdraw(base, owner.b256_address, body)

        decode = replies.decoder_of(WithdrawResponse)
        if manager is None:
            assert nonce is not None
            return decode((await self._send_signed(build(nonce.encode()))).response.body)
        return await self._submit_parallel(manager, build, decode)

    def _lane_of(self, owner: crypto.Signer) -> ParallelNonceManager | None:
        session = self._session
        if session is None or session.nonce_manager is None:
            return None
        if session.owner_address != owner.b256_address:
            return None
        manager: ParallelNonceManager = session.nonce_manager
        return manager

    async def _withdrawal(
        self, owner: crypto.Signer, asset: str, amount: NumericInput, to: Identity | str | None
    ) -> _Withdrawal:
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
        tid = self._account_id(await self._owned_account(owner))
        return _Withdrawal(tid, destination, info.asset_id, scaled, directory.chain_id)

    # --- the account upgrade and the parallel capability ------------------------------

    async def upgrade_account(self, owner: crypto.Signer, *, wait: bool = True) -> str | None:
        """Point the account's proxy at the current implementation (PROTOCOL_V05 §3).

        Signed by the owner at the sequential nonce. With ``wait``, polls the account
        (every 3 s, up to 40 times) until its nonce shows that the upgrade landed.

        Args:
            owner: the account owner.
            wait: wait until the upgrade has landed.

        Returns:
            The upgrade's transaction id, or None when the account is already current
            ("No upgrade available").

        Raises:
            AccountNotFound: the owner has no trading account.
            O2Error: with ``wait``, the upgrade did not land in time.
        """
        tid = self._account_id(await self._owned_account(owner))
        base, chain_id = self._config.api_base, (await self._markets()).chain_id
        signed_at: list[int] = []

        def build(nonce: int) -> http.Request:
            signed_at.append(nonce)
            body = upgrade_body(owner, tid, nonce, chain_id)
            return http.post_upgrade(base, owner.b256_address, body)

        try:
            tx_id = await self._submit(tid, build, replies.decode_upgrade)
        except O2Error as err:
            if is_no_upgrade_available(err):
                logger.info("account %s is already current: no upgrade to apply", tid)
                return None
            raise
        logger.info("account %s upgrade sent (tx %s)", tid, tx_id)
        if wait:
            for attempt in range(UPGRADE_POLL_ATTEMPTS):
                account = await self.api.get_account(trade_account_id=tid)
                if account.nonce > signed_at[-1]:
                    return tx_id
                if attempt + 1 < UPGRADE_POLL_ATTEMPTS:
                    await anyio.sleep(UPGRADE_POLL_INTERVAL_SECS)
            raise O2Error(f"Account upgrade for {tid} did not land within "
                          f"{UPGRADE_POLL_ATTEMPTS * UPGRADE_POLL_INTERVAL_SECS:.0f}s (tx {tx_id})")
        return tx_id

    async def probe_parallel_support(self, session: SessionInfo, market: str | Market) -> bool:
        """Whether the account's parallel entry points work.

        Submits one SettleBalance (a no-op when there is nothing to settle) on the
        session's parallel track. Only a revert with the dispatcher's selector mismatch (an
        account still on a pre-parallel implementation) means no; any other failure is
        logged and counts as support.

        Args:
            session: a session created with ``nonce_strategy="parallel"``.
            market: one of the session's markets, to settle on.

        Returns:
            False when the account needs :meth:`upgrade_account`, else True.

        Raises:
            InvalidInput: ``session`` is not a parallel session.
        """
        if session.nonce_manager is None:
            raise InvalidInput("probe_parallel_support needs a session created with "
                               'nonce_strategy="parallel"')
        directory = await self._markets()
        mk = directory.resolve(market)
        settle = MarketActionGroup(mk, [SettleBalanceRequestAction()])
        group = prepare_group(mk, directory.context(mk), settle, session, self._clock())
        try:
            await self._submit_actions(session, [group], False)
        except O2Error as err:
            if is_selector_mismatch_revert(err):
                return False
            logger.warning("parallel capability probe failed otherwise (counted as support): %s",
                           err)
        return True

    async def ensure_parallel_session(
        self,
        owner: crypto.Signer,
        markets: Sequence[str | Market],
        expiry_days: float = 30,
        nonce_session_id: int = 0,
        auto_upgrade: bool = True,
    ) -> SessionInfo:
        """A parallel session that is known to work: create it, probe it, and upgrade the
        account (then create and probe again) if the probe says it is needed.

        Args:
            owner: the account owner.
            markets: the markets the session may trade on (the first one is probed).
            expiry_days: the session's lifetime, in days.
            nonce_session_id: the parallel lane, 0..4.
            auto_upgrade: upgrade the account when the probe fails.

        Returns:
            The working parallel session (the active one).

        Raises:
            InvalidInput: no markets.
            O2Error: the account cannot use parallel nonces (with ``auto_upgrade`` off, or
                still after an upgrade).
        """
        if not markets:
            raise InvalidInput("ensure_parallel_session needs at least one market")
        market = markets[0]

        async def session() -> SessionInfo:
            return await self.create_session(
                owner, markets, expiry_days, "parallel", nonce_session_id
            )

        created = await session()
        if await self.probe_parallel_support(created, market):
            return created
        if not auto_upgrade:
            raise O2Error("this account's parallel entry points revert with a selector "
                          "mismatch: upgrade it (upgrade_account) or pass auto_upgrade=True")
        tx_id = await self.upgrade_account(owner, wait=True)
        created = await session()
        if await self.probe_parallel_support(created, market):
            return created
        if tx_id is None:
            raise O2Error("parallel entry points still revert with a selector mismatch, and "
                          "the account had no upgrade to apply")
        raise O2Error("parallel entry points still revert with a selector mismatch after the "
                      f"account upgrade landed (tx {tx_id})")


__all__ = ["NONCE_STRATEGIES", "UPGRADE_POLL_ATTEMPTS", "UPGRADE_POLL_INTERVAL_SECS", "OwnerMixin"]
