"""Owner-signed commands: session registration, withdrawals (both tracks), the upgrade.

Each checks, in order, what the API checks before submitting (the account, the
``O2-Owner-Id`` claim, the body, the signature; on the parallel track the nonce's slot,
:mod:`.nonces`), then what the chain does: a legacy account's proxy has no parallel entry
point (``Revert(123)``, nothing consumed); a stale sequential nonce reverts
``NonceError::InvalidNonce`` (nothing consumed); any later revert still consumes the nonce
or slot; success consumes it and changes the state in one committed transaction.

Account upgrade (PROTOCOL_V05 §3): the owner personal-signs
``set_proxy_target_with_signature`` at the sequential nonce. A legacy account is pointed
at the current implementation (its parallel entry points work from then on); an account
that already runs it reverts with the proxy's ``"No upgrade available"``. Both consume the
sequential nonce, as every other reverted owner action does here.
"""

from __future__ import annotations

from .. import encoding, typed_data
from ..errors import InvalidInput
from . import trading
from .auth import BAD_OWNER_SIGNATURE, owner_signed, owner_typed_signed, signed_account
from .chain import Chain
from .commands import OpenSession, UpgradeAccount, Withdraw
from .errors import SimError, clip
from .nonces import unpack
from .reverts import Revert, no_upgrade_available
from .state import Account, Committed, Session, Tx


def open_session(chain: Chain, cmd: OpenSession, now: float) -> Committed:
    """Register an owner-signed session (replacing any previous one)."""
    ledger = chain.ledger
    account = signed_account(ledger, cmd.trade_account_id, cmd.claimed_owner)
    if cmd.session_address is None:
        raise SimError(1001, "session_id must be an Address")
    for contract in cmd.contract_ids:
        if len(contract) != 66 or contract not in ledger.markets_by_contract:
            raise SimError(2000, f"Market not found for contract id {clip(contract)}")
    if len(cmd.session_address) != 66:
        raise SimError(1001, "the session address must be 32 bytes (64 hex digits)")
    try:
        signing = encoding.session_signing_bytes(
            cmd.nonce,
            chain.config.chain_id,
            bytes.fromhex(cmd.session_address[2:]),
            cmd.expiry,
            [bytes.fromhex(c[2:]) for c in cmd.contract_ids],
        )
    except InvalidInput as err:
        raise SimError(1001, str(err)) from None
    if not owner_signed(account, signing, cmd.signature):
        raise SimError(4000, BAD_OWNER_SIGNATURE)
    contract = account.trade_account_id
    if cmd.nonce != account.nonce:
        raise Revert("NonceError", "InvalidNonce").located(contract)
    revert = None
    if not cmd.contract_ids:
        revert = Revert("SessionError", "NoApprovedContractIdsProvided")
    elif cmd.expiry <= now:
        revert = Revert("SessionError", "SessionInThePast")
    if revert is not None:
        chain.consume_nonce_alone(account, now)
        raise revert.located(contract)
    tx = Tx(now)
    session = Session(cmd.session_address, cmd.expiry, list(cmd.contract_ids))
    tx.set(account, "session", session)
    chain.consume_nonce(account, tx)
    return chain.commit(tx, with_tx_id=True)


def withdraw(chain: Chain, cmd: Withdraw, now: float) -> Committed:
    """Pay an owner-signed amount out of the trading account (either track)."""
    account = signed_account(chain.ledger, cmd.trade_account_id, cmd.claimed_owner)
    if cmd.parallel_nonce is not None:
        return _parallel_withdraw(chain, account, cmd, cmd.parallel_nonce, now)
    assert cmd.nonce is not None  # the decoder sets exactly one of the two
    try:
        signing = encoding.withdraw_signing_bytes(
            cmd.nonce,
            chain.config.chain_id,
            cmd.to.discriminant,
            cmd.to.address_bytes,
            cmd.amount,
            bytes.fromhex(cmd.asset_id[2:]),
        )
    except (InvalidInput, ValueError) as err:
        raise SimError(1001, clip(str(err))) from None
    if not owner_signed(account, signing, cmd.signature):
        raise SimError(4000, BAD_OWNER_SIGNATURE)
    if cmd.nonce != account.nonce:
        raise Revert("NonceError", "InvalidNonce").located(account.trade_account_id)
    revert = _withdraw_revert(account, cmd)
    if revert is not None:
        chain.consume_nonce_alone(account, now)
        raise revert.located(account.trade_account_id, ["IncrementNonceEvent"])
    tx = Tx(now)
    chain.consume_nonce(account, tx)
    return _pay_out(chain, account, cmd, tx)


def _parallel_withdraw(
    chain: Chain, account: Account, cmd: Withdraw, packed: int, now: float
) -> Committed:
    """``par_withdraw``: typed-data owner signature, a parallel slot (PROTOCOL_V05 §2)."""
    slot = unpack(packed)
    try:
        digest = typed_data.parallel_withdraw_digest(
            owner_b256=account.owner_bytes,
            chain_id=chain.config.chain_id,
            verifying_contract=bytes.fromhex(account.trade_account_id[2:]),
            nonce=packed,
            to=cmd.to.address_bytes,
            amount=cmd.amount,
            asset_id=bytes.fromhex(cmd.asset_id[2:]),
        )
    except InvalidInput as err:
        raise SimError(1001, clip(str(err))) from None
    if not owner_typed_signed(account, digest, cmd.signature):
        raise SimError(4000, BAD_OWNER_SIGNATURE)
    chain.admit_slot(account, slot, now)
    contract = account.trade_account_id
    revert = _withdraw_revert(account, cmd)
    if revert is not None:
        chain.consume_slot_alone(account, slot, now)
        raise revert.located(contract)
    tx = Tx(now)
    chain.consume_slot(account, slot, tx)
    return _pay_out(chain, account, cmd, tx)


def _withdraw_revert(account: Account, cmd: Withdraw) -> Revert | None:
    if cmd.amount == 0:
        return Revert("WithdrawError", "AmountIsZero")
    if account.balances.get(cmd.asset_id, 0) < cmd.amount:
        return Revert("WithdrawError", "NotEnoughBalance")
    return None


def _pay_out(chain: Chain, account: Account, cmd: Withdraw, tx: Tx) -> Committed:
    asset = cmd.asset_id
    tx.add(account.balances, asset, -cmd.amount)
    tx.touch_balance(account, asset)
    trading.credit(chain.ledger, cmd.to, asset, cmd.amount, tx)
    tx.add(chain.ledger.withdrawn, asset, cmd.amount)
    tx.logs.append("WithdrawEvent")
    return chain.commit(tx, with_tx_id=True)


def upgrade(chain: Chain, cmd: UpgradeAccount, now: float) -> Committed:
    """Point a legacy account's proxy at the current implementation (see the module)."""
    account = signed_account(chain.ledger, cmd.trade_account_id, cmd.claimed_owner)
    signing = encoding.set_proxy_signing_bytes(cmd.nonce, chain.config.chain_id)
    if not owner_signed(account, signing, cmd.signature):
        raise SimError(4000, BAD_OWNER_SIGNATURE)
    contract = account.trade_account_id
    if cmd.nonce != account.nonce:
        raise Revert("NonceError", "InvalidNonce").located(contract)
    if not account.legacy:
        chain.consume_nonce_alone(account, now)
        revert = no_upgrade_available()
        raise revert.located(contract, ["IncrementNonceEvent", revert.detail])
    tx = Tx(now)
    tx.set(account, "legacy", False)
    chain.consume_nonce(account, tx)
    tx.logs.append("SetProxyTargetEvent")
    return chain.commit(tx, with_tx_id=True)

