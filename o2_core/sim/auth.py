"""Who signed a request: the account it acts on, owner signatures (personal and typed).

Owners sign owner actions (session, sequential withdrawal, upgrade) with personal-sign:
Fuel framing (sha256) for a Fuel owner, EVM framing (keccak) for a zero-padded EVM owner.
The parallel withdrawal is signed over a typed-data digest itself (SRC-16 for a Fuel
owner, EIP-712 for an EVM owner; PROTOCOL_V05 §2): the recovered key's Fuel address, or
for an EVM owner its EVM address, must be the owner. An account owned by a contract has
no key: nothing recovers to it.
"""

from __future__ import annotations

from ..errors import InvalidInput, InvalidSignature
from ..signatures import (
    evm_address,
    evm_personal_sign_digest,
    fuel_address,
    fuel_personal_sign_digest,
    parse_hex,
    recover_public_key,
    signature_recovers_to,
)
from .errors import SimError, clip
from .state import Account, Ledger

#: The reply to an owner signature that does not recover to the owner.
BAD_OWNER_SIGNATURE = "Invalid signature: it does not recover to the account owner"


def signed_account(ledger: Ledger, trade_account_id: str, claimed_owner: str | None) -> Account:
    """The account a signed request acts on, checking the ``O2-Owner-Id`` claim."""
    account = ledger.accounts.get(trade_account_id)
    if account is None:
        raise SimError(4002, f"Trading account not found: {clip(trade_account_id)}")
    if claimed_owner is not None and claimed_owner != account.owner:
        raise SimError(4000, "O2-Owner-Id does not match the trading account's owner")
    return account


def owner_signed(account: Account, message: bytes, signature_hex: str) -> bool:
    """True when ``signature_hex`` is the owner's personal signature of ``message``."""
    try:
        signature = parse_hex(signature_hex, 64, "signature")
        owner = account.owner_bytes
        if owner[:12] == bytes(12):
            key = recover_public_key(evm_personal_sign_digest(message), signature)
            signer = bytes(12) + evm_address(key)
        else:
            key = recover_public_key(fuel_personal_sign_digest(message), signature)
            signer = fuel_address(key)
    except (InvalidInput, InvalidSignature):
        return False
    return signer == owner and not account.owner_is_contract


def owner_typed_signed(account: Account, digest: bytes, signature_hex: str) -> bool:
    """True when ``signature_hex`` signs the typed-data ``digest`` with the owner's key."""
    try:
        signature = parse_hex(signature_hex, 64, "signature")
    except InvalidInput:
        return False
    if account.owner_is_contract:
        return False
    return signature_recovers_to(account.owner_bytes, digest, signature)
