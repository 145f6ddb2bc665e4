"""The signed-request pipeline: typed actions → calls → signing bytes → signed body.

Everything a submission needs is prepared (scaled, validated, encoded) before a nonce is
reserved, so that bad input never consumes a nonce and signing is the only step left
once the nonce is known. Wire JSON shapes are PROTOCOL.md §5.1; byte layouts §3.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import encoding as enc
from . import market_models, models, typed_data
from .crypto import sign_typed_digest
from .errors import InvalidInput, TooManyActions
from .parallel_nonce import ParallelNonce
from .signatures import hex0x, parse_hex

#: The most actions in one batch.
MAX_ACTIONS = 5
#: The most market groups in one batch.
MAX_GROUPS = 5
_pack_u64 = struct.Struct(">Q").pack
_pack_u64_pair = struct.Struct(">QQ").pack


@dataclass(frozen=True)
class MarketContext:
    """What encoding an action on one market needs, precomputed once per market."""

    market_id: str
    contract_id: bytes
    base_asset: bytes
    quote_asset: bytes
    base_factor: int
    accounts_registry: bytes

    @classmethod
    def of(cls, market: market_models.Market, accounts_registry_id: str) -> MarketContext:
        """Context of a market model."""
        return cls(
            market_id=str(market.market_id),
            contract_id=parse_hex(market.contract_id, 32, "contract_id"),
            base_asset=parse_hex(market.base.asset, 32, "base asset"),
            quote_asset=parse_hex(market.quote.asset, 32, "quote asset"),
            base_factor=10**market.base.decimals,
            accounts_registry=parse_hex(accounts_registry_id, 32, "accounts_registry_id"),
        )


@dataclass(frozen=True)
class PreparedAction:
    """One action in both forms: its wire JSON object and its contract call.

    ``encoded`` is the call's signing-bytes layout, computed once (and cached across
    actions for repeated calls such as settling to the same account).
    """

    wire: dict[str, Any]
    call: enc.Call
    encoded: bytes = b""

    def __post_init__(self) -> None:
        if not self.encoded:
            object.__setattr__(self, "encoded", enc.encode_call(self.call))


@dataclass(frozen=True)
class PreparedGroup:
    """The prepared actions of one market."""

    market_id: str
    actions: tuple[PreparedAction, ...]


# --- single actions ------------------------------------------------------------------


def _order_type_parts(order_type: Any) -> tuple[str, int, int, Any]:
    """(variant name, first param, second param, wire JSON) of a scaled order type."""
    if isinstance(order_type, models.OrderType):
        name = order_type._value_  # the enum's value without the descriptor's cost
        return name, 0, 0, name
    if isinstance(order_type, models.LimitOrder):
        price = _chain_int(order_type.price, "limit price")
        if order_type.timestamp is None:
            raise InvalidInput("a LimitOrder needs its expiry timestamp (unix seconds)")
        ts = _chain_int(order_type.timestamp, "limit timestamp")
        return "Limit", price, ts, {"Limit": [str(price), str(ts)]}
    if isinstance(order_type, models.BoundedMarketOrder):
        hi = _chain_int(order_type.max_price, "max_price")
        lo = _chain_int(order_type.min_price, "min_price")
        if lo > hi:
            raise InvalidInput(f"BoundedMarketOrder min_price {lo} exceeds max_price {hi}")
        wire = {"BoundedMarket": {"max_price": str(hi), "min_price": str(lo)}}
        return "BoundedMarket", hi, lo, wire
    if isinstance(order_type, str) and order_type in ("Spot", "Market", "FillOrKill", "PostOnly"):
        return order_type, 0, 0, order_type
    raise InvalidInput(
        f"unknown order type {order_type!r}: use OrderType, LimitOrder or BoundedMarketOrder"
    )


def _chain_int(value: Any, what: str) -> int:
    if type(value) is int and 0 <= value <= enc.U64_MAX:  # the common case, checked first
        return value
    if isinstance(value, models.ChainInt):
        return value.value
    if isinstance(value, bool):
        raise InvalidInput(f"{what} must be an integer, got a bool")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= enc.U64_MAX:
        raise InvalidInput(f"{what} must be an integer in 0..2**64-1, got {value!r}")
    return value


def create_order(
    ctx: MarketContext, side: models.OrderSide | str, price: int, quantity: int, order_type: Any
) -> PreparedAction:
    """CreateOrder with already-scaled price and quantity."""
    side_name = side._value_ if isinstance(side, models.OrderSide) else side
    if side_name not in ("Buy", "Sell"):
        raise InvalidInput(f"side must be OrderSide.BUY or OrderSide.SELL, got {side!r}")
    price = _chain_int(price, "price")
    quantity = _chain_int(quantity, "quantity")
    name, first, second, wire_type = _order_type_parts(order_type)
    if side_name == "Buy":
        amount, asset = price * quantity // ctx.base_factor, ctx.quote_asset
    else:
        amount, asset = quantity, ctx.base_asset
    if amount > enc.U64_MAX:
        raise InvalidInput("price x quantity does not fit in a u64")
    # price and quantity are checked u64s: pack them directly (= enc.encode_order_args).
    call_data = _pack_u64_pair(price, quantity) + enc.encode_order_type(name, first, second)
    wire = {
        "CreateOrder": {
            "side": side_name,
            "price": str(price),
            "quantity": str(quantity),
            "order_type": wire_type,
        }
    }
    return PreparedAction(
        wire, enc.Call(ctx.contract_id, enc.SELECTOR_CREATE_ORDER, amount, asset, call_data)
    )


def cancel_order(ctx: MarketContext, order_id: str) -> PreparedAction:
    """CancelOrder of a 32-byte order id."""
    raw = parse_hex(order_id, 32, "order_id")
    call = enc.Call(ctx.contract_id, enc.SELECTOR_CANCEL_ORDER, 0, enc.ZERO_B256, raw)
    return PreparedAction({"CancelOrder": {"order_id": hex0x(raw)}}, call)


def _identity(to: models.Identity | str) -> models.Identity:
    if isinstance(to, models.Identity):
        return to
    return models.ContractIdentity(to)


def _identity_parts(to: models.Identity | str) -> tuple[dict[str, str], bytes]:
    """(wire JSON, ABI encoding) of an identity; cached, as orders settle to the same one."""
    if isinstance(to, (str, models.Identity)):
        wire, data = _cached_identity_parts(to)
        return dict(wire), data
    return _uncached_identity_parts(to)


def _uncached_identity_parts(to: models.Identity | str) -> tuple[dict[str, str], bytes]:
    ident = _identity(to)
    return ident.to_dict(), enc.encode_identity(ident.discriminant, ident.address_bytes)


_cached_identity_parts = lru_cache(maxsize=256)(_uncached_identity_parts)
#: Settling to the same account on the same market encodes the same call every time.
_encode_repeated_call = lru_cache(maxsize=1024)(enc.encode_call)


def settle_balance(ctx: MarketContext, to: models.Identity | str) -> PreparedAction:
    """SettleBalance to an identity (a bare id means a trading account, a ContractId)."""
    wire, data = _identity_parts(to)
    call = enc.Call(ctx.contract_id, enc.SELECTOR_SETTLE_BALANCE, 0, enc.ZERO_B256, data)
    return PreparedAction({"SettleBalance": {"to": wire}}, call, _encode_repeated_call(call))


def register_referer(ctx: MarketContext, to: models.Identity | str) -> PreparedAction:
    """RegisterReferer: a call on the accounts registry, not the market."""
    ident = _identity(to)
    data = enc.encode_identity(ident.discriminant, ident.address_bytes)
    call = enc.Call(ctx.accounts_registry, enc.SELECTOR_REGISTER_REFERER, 0, enc.ZERO_B256, data)
    return PreparedAction({"RegisterReferer": {"to": ident.to_dict()}}, call)


def prepare_typed(ctx: MarketContext, action: models.Action) -> PreparedAction:
    """A typed (already-scaled) action of ``batch_actions``."""
    if isinstance(action, models.CreateOrderAction):
        return create_order(
            ctx,
            action.side,
            _chain_int(action.price, "price"),
            _chain_int(action.quantity, "quantity"),
            action.order_type,
        )
    if isinstance(action, models.CancelOrderAction):
        return cancel_order(ctx, action.order_id)
    if isinstance(action, models.SettleBalanceAction):
        return settle_balance(ctx, action.to)
    if isinstance(action, models.RegisterRefererAction):
        return register_referer(ctx, action.to)
    raise InvalidInput(f"unsupported action {type(action).__name__}")


def check_batch(groups: Sequence[PreparedGroup]) -> None:
    """At most 5 actions in total and 5 market groups; at least one action."""
    total = sum(len(g.actions) for g in groups)
    if total == 0:
        raise InvalidInput("a batch needs at least one action")
    if total > MAX_ACTIONS or len(groups) > MAX_GROUPS:
        raise TooManyActions(
            f"a batch holds at most {MAX_ACTIONS} actions in {MAX_GROUPS} market groups, "
            f"got {total} in {len(groups)}"
        )


# --- signing and bodies --------------------------------------------------------------


def actions_signing_bytes(nonce: int, groups: Sequence[PreparedGroup]) -> bytes:
    """The bytes the session key signs for ``groups`` at ``nonce`` (= the layout of
    :func:`o2_core.encoding.actions_signing_bytes` over the groups' calls)."""
    encoded = [a.encoded for g in groups for a in g.actions]
    return enc.u64(nonce) + _pack_u64(len(encoded)) + b"".join(encoded)


def _sig(signature: bytes) -> dict[str, str]:
    return {"Secp256k1": "0x" + signature.hex()}


def actions_body(
    groups: Sequence[PreparedGroup],
    nonce: int,
    session: models.SessionInfo,
    collect_orders: bool,
) -> bytes:
    """Sign ``groups`` at ``nonce`` with the session key; the request body bytes."""
    signature = session.session_wallet.raw_sign(actions_signing_bytes(nonce, groups))
    return models.encode(
        {
            "actions": [
                {"market_id": g.market_id, "actions": [a.wire for a in g.actions]} for g in groups
            ],
            "signature": _sig(signature),
            "nonce": str(nonce),
            "trade_account_id": str(session.trade_account_id),
            "session_id": session.session_id.to_dict(),
            "collect_orders": collect_orders,
        }
    )


def session_body(
    owner: Any,
    trade_account_id: str,
    session_address: str,
    contract_ids: Sequence[str],
    nonce: int,
    chain_id: int,
    expiry: int,
) -> bytes:
    """Owner-signed ``PUT /v1/session`` body (``owner`` is a Signer)."""
    ids = list(dict.fromkeys(str(models.b256(c, "contract id")) for c in contract_ids))
    if not ids:
        raise InvalidInput("a session needs at least one market")
    signing = enc.session_signing_bytes(
        nonce,
        chain_id,
        parse_hex(session_address, 32, "session address"),
        expiry,
        [bytes.fromhex(c[2:]) for c in ids],
    )
    return models.encode(
        {
            "contract_id": str(models.b256(trade_account_id, "trade_account_id")),
            "session_id": {"Address": str(models.b256(session_address, "session address"))},
            "signature": _sig(owner.personal_sign(signing)),
            "contract_ids": ids,
            "nonce": str(nonce),
            "expiry": str(expiry),
        }
    )


def withdraw_body(
    owner: Any,
    trade_account_id: str,
    to: models.Identity,
    asset_id: str,
    amount: int,
    nonce: int,
    chain_id: int,
) -> bytes:
    """Owner-signed ``POST /v1/accounts/withdraw`` body."""
    if amount <= 0:
        raise InvalidInput("the withdrawal amount must be greater than zero")
    asset = parse_hex(asset_id, 32, "asset_id")
    signing = enc.withdraw_signing_bytes(
        nonce, chain_id, to.discriminant, to.address_bytes, amount, asset
    )
    return models.encode(
        {
            "trade_account_id": str(models.b256(trade_account_id, "trade_account_id")),
            "signature": _sig(owner.personal_sign(signing)),
            "nonce": str(nonce),
            "to": to.to_dict(),
            "asset_id": hex0x(asset),
            "amount": str(amount),
        }
    )


# --- the parallel track, typed data and the account upgrade (PROTOCOL_V05.md) ------------


def _packed_parallel_nonce(parallel_nonce: int | ParallelNonce) -> int:
    """The packed value of a parallel nonce, refused unless it is one (before signing)."""
    if isinstance(parallel_nonce, ParallelNonce):
        return parallel_nonce.encode()
    ParallelNonce.decode(parallel_nonce)  # raises ParallelNonceError for a bad value
    return parallel_nonce


def parallel_actions_signing_bytes(
    parallel_nonce: int | ParallelNonce, groups: Sequence[PreparedGroup]
) -> bytes:
    """The bytes the session key signs for ``groups`` on the parallel track
    (= :func:`o2_core.encoding.parallel_actions_signing_bytes` over the groups' calls)."""
    encoded = [a.encoded for g in groups for a in g.actions]
    packed = _packed_parallel_nonce(parallel_nonce)
    return enc.u256(packed) + _pack_u64(len(encoded)) + b"".join(encoded)


def parallel_actions_body(
    groups: Sequence[PreparedGroup],
    parallel_nonce: int | ParallelNonce,
    session: models.SessionInfo,
    collect_orders: bool,
) -> bytes:
    """Sign ``groups`` with the session key at a parallel nonce; the request body bytes.

    The sequential body with ``"parallel_nonce": "<decimal>"`` in place of ``"nonce"``
    (PROTOCOL_V05 §1.7).
    """
    packed = _packed_parallel_nonce(parallel_nonce)
    signature = session.session_wallet.raw_sign(parallel_actions_signing_bytes(packed, groups))
    return models.encode(
        {
            "actions": [
                {"market_id": g.market_id, "actions": [a.wire for a in g.actions]} for g in groups
            ],
            "signature": _sig(signature),
            "parallel_nonce": str(packed),
            "trade_account_id": str(session.trade_account_id),
            "session_id": session.session_id.to_dict(),
            "collect_orders": collect_orders,
        }
    )


def parallel_withdraw_digest_of(
    owner_b256: str,
    trade_account_id: str,
    to: models.Identity,
    asset_id: str,
    amount: int,
    parallel_nonce: int | ParallelNonce,
    chain_id: int,
) -> bytes:
    """The typed-data digest the owner signs for a parallel withdrawal (PROTOCOL_V05 §2)."""
    return typed_data.parallel_withdraw_digest(
        owner_b256=parse_hex(owner_b256, 32, "owner address"),
        chain_id=chain_id,
        verifying_contract=parse_hex(trade_account_id, 32, "trade_account_id"),
        nonce=_packed_parallel_nonce(parallel_nonce),
        to=to.address_bytes,
        amount=amount,
        asset_id=parse_hex(asset_id, 32, "asset_id"),
    )


def parallel_withdraw_body(
    owner: Any,
    trade_account_id: str,
    to: models.Identity,
    asset_id: str,
    amount: int,
    parallel_nonce: int | ParallelNonce,
    chain_id: int,
) -> bytes:
    """Owner-signed ``POST /v1/accounts/withdraw`` body on the parallel track.

    The owner signs the SRC-16 (Fuel owner) or EIP-712 (EVM owner) digest with
    ``sign_digest`` (see :func:`o2_core.crypto.sign_typed_digest`); the body carries
    ``{"TypedSecp256k1": ...}`` and ``"parallel_nonce"`` instead of ``"nonce"``.
    """
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidInput("the withdrawal amount must be a positive integer (base units)")
    packed = _packed_parallel_nonce(parallel_nonce)
    asset = parse_hex(asset_id, 32, "asset_id")
    digest = parallel_withdraw_digest_of(
        owner.b256_address, trade_account_id, to, hex0x(asset), amount, packed, chain_id
    )
    signature = sign_typed_digest(owner, digest)
    return models.encode(
        {
            "trade_account_id": str(models.b256(trade_account_id, "trade_account_id")),
            "signature": {"TypedSecp256k1": "0x" + signature.hex()},
            "parallel_nonce": str(packed),
            "to": to.to_dict(),
            "asset_id": hex0x(asset),
            "amount": str(amount),
        }
    )


def upgrade_body(owner: Any, trade_account_id: str, nonce: int, chain_id: int) -> bytes:
    """Owner-signed ``POST /v1/accounts/upgrade`` body (PROTOCOL_V05 §3).

    The owner personal-signs ``set_proxy_target_with_signature`` at the account's
    *sequential* nonce; the signature goes as ``{"Secp256k1": ...}`` (the legacy entry
    point every proxy has).
    """
    signing = enc.set_proxy_signing_bytes(nonce, chain_id)
    return models.encode(
        {
            "trade_account_id": str(models.b256(trade_account_id, "trade_account_id")),
            "nonce": str(nonce),
            "signature": _sig(owner.personal_sign(signing)),
        }
    )
