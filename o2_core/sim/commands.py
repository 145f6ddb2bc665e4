"""Typed commands of the engine: what a decoded request asks for (no JSON, no HTTP).

The request decoders (:mod:`.requests`) build these from bodies; the engine
(:mod:`.engine`) executes them. Ids are normalised ``0x`` + lowercase hex strings; they
are not length-checked here unless the field says "32 bytes": the engine answers an
unknown or malformed id as the exchange does (not found, invalid request). Integers
are checked to be u64 values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..models import Identity

#: The parameterless order types.
SIMPLE_ORDER_TYPES = ("Spot", "Market", "FillOrKill", "PostOnly")


class OrderTypeSpec(NamedTuple):
    """An order type: its variant name and two parameters.

    ``Limit`` carries (limit price, expiry in unix seconds); ``BoundedMarket`` carries
    (max_price, min_price); the simple types carry (0, 0).
    """

    name: str
    first: int = 0
    second: int = 0


@dataclass(frozen=True, slots=True)
class CreateOrder:
    """Create an order; ``side`` is ``"Buy"`` or ``"Sell"``; price/quantity are chain ints."""

    side: str
    price: int
    quantity: int
    order_type: OrderTypeSpec


@dataclass(frozen=True, slots=True)
class CancelOrder:
    """Cancel an order by its 32-byte id."""

    order_id: str


@dataclass(frozen=True, slots=True)
class SettleBalance:
    """Move a book's unlocked funds to ``to`` (32-byte identity)."""

    to: Identity


@dataclass(frozen=True, slots=True)
class RegisterReferer:
    """Record ``to`` (32-byte identity) as the account's referer (an accounts-registry call)."""

    to: Identity


Action = CreateOrder | CancelOrder | SettleBalance | RegisterReferer


@dataclass(frozen=True, slots=True)
class ActionGroup:
    """The actions of one market (``market_id`` as given: any-length hex)."""

    market_id: str
    actions: tuple[Action, ...]


@dataclass(frozen=True, slots=True)
class SubmitActions:
    """A session-signed batch (``POST /v1/session/actions``).

    ``session_address`` is None when the body named a ContractId as the session.
    ``claimed_owner`` is the ``O2-Owner-Id`` header (normalised when it is hex, kept as
    given otherwise so that it never matches), or None without one. Exactly one of
    ``nonce`` (the sequential u64) and ``parallel_nonce`` (the packed value, unchecked:
    see :mod:`.nonces`) is set.
    """

    trade_account_id: str
    session_address: str | None
    groups: tuple[ActionGroup, ...]
    nonce: int | None
    signature: str
    collect_orders: bool
    claimed_owner: str | None
    parallel_nonce: int | None = None


@dataclass(frozen=True, slots=True)
class OpenSession:
    """An owner-signed session registration (``PUT /v1/session``)."""

    trade_account_id: str
    session_address: str | None
    contract_ids: tuple[str, ...]
    nonce: int
    expiry: int
    signature: str
    claimed_owner: str | None


@dataclass(frozen=True, slots=True)
class Withdraw:
    """An owner-signed withdrawal (``POST /v1/accounts/withdraw``) to a 32-byte identity.

    Sequential: ``nonce`` set, ``signature`` a personal signature (``Secp256k1``).
    Parallel (``par_withdraw``): ``parallel_nonce`` set, ``signature`` over the typed-data
    digest (``TypedSecp256k1``, PROTOCOL_V05 §2).
    """

    trade_account_id: str
    to: Identity
    asset_id: str
    amount: int
    nonce: int | None
    signature: str
    claimed_owner: str | None
    parallel_nonce: int | None = None


@dataclass(frozen=True, slots=True)
class UpgradeAccount:
    """An owner-signed account upgrade (``POST /v1/accounts/upgrade``, PROTOCOL_V05 §3):
    a personal signature over ``set_proxy_target_with_signature`` at the sequential nonce."""

    trade_account_id: str
    nonce: int
    signature: str
    claimed_owner: str | None


@dataclass(frozen=True, slots=True)
class CreateAccount:
    """Create the trading account of ``owner`` (``POST /v1/accounts``)."""

    owner: Identity


@dataclass(frozen=True, slots=True)
class FaucetMint:
    """Mint every faucet asset to a 32-byte ``target``: a wallet address
    (``kind="address"``) or a trading account (``kind="contract"``)."""

    kind: str
    target: str
