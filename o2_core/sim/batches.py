"""Session-signed action batches (``POST /v1/session/actions``): verified, then executed
atomically.

:func:`submit` checks, in order, what the API checks before submitting: the batch's size
(at most ``MAX_ACTIONS`` actions in ``MAX_GROUPS`` market groups), the account and its
``O2-Owner-Id`` claim, the session (the account's current one, unexpired, allowed on every
market of the batch), each action (encoded as the contract call the session key signed),
the signature over the exact signing bytes of either nonce track, and on the parallel
track the nonce's slot (:mod:`.nonces`). Then what the chain does: a legacy account's
proxy has no parallel entry point (``Revert(123)``, nothing consumed); a stale sequential
nonce reverts ``NonceError::InvalidNonce`` (nothing consumed); the actions run in order
inside one transaction (:mod:`.trading`), and a revert rolls the whole batch back but
still consumes the nonce or the slot in a transaction of its own.
"""

from __future__ import annotations

from typing import Any

from .. import crypto, encoding
from ..actions import (
    MAX_ACTIONS,
    MAX_GROUPS,
    cancel_order,
    create_order,
    register_referer,
    settle_balance,
)
from ..errors import InvalidInput, InvalidSignature
from ..markets import ChainInt
from ..models import BoundedMarketOrder, LimitOrder
from . import trading
from .auth import signed_account
from .chain import Chain
from .commands import (
    Action,
    CancelOrder,
    CreateOrder,
    RegisterReferer,
    SettleBalance,
    SubmitActions,
)
from .errors import SimError, clip
from .nonces import ParallelSlot, unpack
from .reverts import Revert
from .state import Account, Committed, Ledger, MarketState, Tx


def submit(chain: Chain, cmd: SubmitActions, now: float) -> Committed:
    """Verify and execute a session-signed batch atomically (see the module docstring)."""
    ledger = chain.ledger
    total = sum(len(group.actions) for group in cmd.groups)
    if total == 0:
        raise SimError(7003, "No actions provided")
    if total > MAX_ACTIONS or len(cmd.groups) > MAX_GROUPS:
        raise SimError(
            7004,
            f"Too many actions: at most {MAX_ACTIONS} actions in {MAX_GROUPS} market groups",
        )
    account = signed_account(ledger, cmd.trade_account_id, cmd.claimed_owner)
    session = account.session
    if session is None or cmd.session_address != session.address:
        raise SimError(4001, "Invalid session: not the account's current session")
    if now >= session.expiry:
        raise SimError(4001, "Invalid session: the session has expired")
    plan: list[tuple[MarketState, Action]] = []
    calls: list[encoding.Call] = []
    for group in cmd.groups:
        market = ledger.markets.get(group.market_id)
        if market is None:
            raise SimError(2000, f"Market not found: {clip(group.market_id)}")
        for action in group.actions:
            if (
                not isinstance(action, RegisterReferer)
                and market.contract_id not in session.contract_set
            ):
                raise SimError(
                    4001, f"Invalid session: market {market.pair} is not in the session"
                )
            try:
                calls.append(_call_of(action, market))
            except InvalidInput as err:
                raise SimError(1001, f"invalid action: {clip(str(err))}") from None
            plan.append((market, action))
    slot = None if cmd.parallel_nonce is None else unpack(cmd.parallel_nonce)
    try:
        if slot is not None:
            signing = encoding.parallel_actions_signing_bytes(slot.packed, calls)
        else:
            assert cmd.nonce is not None  # the decoder sets exactly one of the two
            signing = encoding.actions_signing_bytes(cmd.nonce, calls)
        signature = crypto.parse_hex(cmd.signature, 64, "signature")
        key = crypto.recover_public_key(crypto.raw_digest(signing), signature)
    except InvalidSignature:
        raise SimError(4000, "Invalid signature") from None
    except InvalidInput as err:
        code = 4000 if "signature" in str(err) else 1001
        raise SimError(code, clip(str(err))) from None
    if crypto.fuel_address(key) != session.address_bytes:
        raise SimError(4000, "Invalid signature: it does not recover to the session key")
    contract = account.trade_account_id
    if slot is not None:
        chain.admit_slot(account, slot, now)
    elif cmd.nonce != account.nonce:
        raise Revert("NonceError", "InvalidNonce").located(contract)
    tx = Tx(now)
    tx.logs.append("SessionContractCallEvent")
    failing = contract
    try:
        for market, action in plan:
            failing = (
                chain.config.accounts_registry_id
                if isinstance(action, RegisterReferer)
                else market.contract_id
            )
            _execute(ledger, account, market, action, tx)
    except Revert as revert:
        logs = list(tx.logs)
        tx.rollback()
        _consume_alone(chain, account, slot, now)
        raise revert.located(failing, logs) from None
    except BaseException:
        tx.rollback()
        raise
    if slot is not None:
        chain.consume_slot(account, slot, tx)
    else:
        chain.consume_nonce(account, tx)
    return chain.commit(tx, with_tx_id=True)


def _consume_alone(chain: Chain, account: Account, slot: ParallelSlot | None, now: float) -> None:
    """Consume the nonce (or the parallel slot) of a reverted batch on its own."""
    if slot is not None:
        chain.consume_slot_alone(account, slot, now)
    else:
        chain.consume_nonce_alone(account, now)


def _call_of(action: Action, market: MarketState) -> encoding.Call:
    """The contract call an action stands for (what the session key signed).

    The core refuses to build a BoundedMarket order with min_price > max_price (no
    client should sign one); the chain accepts the call and reverts, so it is
    encoded here directly to be able to answer with that revert.
    """
    ctx = market.ctx
    if isinstance(action, CreateOrder):
        name, first, second = action.order_type
        order_type: Any
        if name == "Limit":
            order_type = LimitOrder(price=ChainInt(first), timestamp=second)
        elif name == "BoundedMarket":
            if second > first:
                data = encoding.encode_order_args(
                    action.price,
                    action.quantity,
                    encoding.encode_order_type(name, first, second),
                )
                if action.side == "Buy":
                    amount = action.price * action.quantity // ctx.base_factor
                    asset = ctx.quote_asset
                else:
                    amount, asset = action.quantity, ctx.base_asset
                return encoding.Call(
                    ctx.contract_id, encoding.SELECTOR_CREATE_ORDER, amount, asset, data
                )
            order_type = BoundedMarketOrder(
                max_price=ChainInt(first), min_price=ChainInt(second)
            )
        else:
            order_type = name
        return create_order(ctx, action.side, action.price, action.quantity, order_type).call
    if isinstance(action, CancelOrder):
        return cancel_order(ctx, action.order_id).call
    if isinstance(action, SettleBalance):
        return settle_balance(ctx, action.to).call
    return register_referer(ctx, action.to).call


def _execute(ledger: Ledger, account: Account, market: MarketState, action: Action, tx: Tx) -> None:
    if isinstance(action, CreateOrder):
        trading.place_order(ledger, account, market, action, tx)
    elif isinstance(action, CancelOrder):
        trading.cancel_order(ledger, account, market, action.order_id, tx)
    elif isinstance(action, SettleBalance):
        trading.settle(ledger, account, market, action.to, tx)
    else:
        if account.referer is not None:
            raise Revert("TradeAccountRegistryError", "TradeAccountAlreadyHasReferer")
        tx.set(account, "referer", str(action.to.value))
        tx.logs.append("TradeAccountReferer")
