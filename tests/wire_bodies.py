"""The request bodies as the exchange decodes them, for tests that check what we send.

The simulator has its own decoders (``o2_core.sim.requests``); these mirror the wire
shapes plainly so that a test can read a body back and rebuild its contract calls with
the client's own pipeline (:func:`typed_action` + ``actions.prepare_typed``).
"""

from __future__ import annotations

from typing import Any

import msgspec

from o2_core import models as m
from o2_core.actions import MarketContext, prepare_typed
from o2_core.encoding import Call
from o2_core.errors import InvalidInput
from o2_core.wire import dec_hook


class _WireCreateOrder(msgspec.Struct):
    side: str
    price: int
    quantity: int
    order_type: str | dict[str, Any]


class _WireOrderId(msgspec.Struct):
    order_id: str


class _WireTo(msgspec.Struct):
    to: m.Identity


class WireAction(msgspec.Struct, omit_defaults=True):
    """One action of a request body, decoded (exactly one field is set)."""

    CreateOrder: _WireCreateOrder | None = None
    CancelOrder: _WireOrderId | None = None
    SettleBalance: _WireTo | None = None
    RegisterReferer: _WireTo | None = None


class WireGroup(msgspec.Struct):
    """One market group of a request body."""

    market_id: m.Id
    actions: list[WireAction]


class Signature(msgspec.Struct):
    """``{"Secp256k1": "0x..."}``."""

    Secp256k1: str


class ActionsBody(msgspec.Struct):
    """A decoded ``POST /v1/session/actions`` body."""

    actions: list[WireGroup]
    signature: Signature
    nonce: int
    trade_account_id: m.Id
    session_id: m.Identity
    collect_orders: bool = False


class SessionBody(msgspec.Struct):
    """A decoded ``PUT /v1/session`` body."""

    contract_id: m.Id
    session_id: m.Identity
    signature: Signature
    contract_ids: list[m.Id]
    nonce: int
    expiry: int


class WithdrawBody(msgspec.Struct):
    """A decoded ``POST /v1/accounts/withdraw`` body."""

    trade_account_id: m.Id
    signature: Signature
    nonce: int
    to: m.Identity
    asset_id: m.Id
    amount: int


def wire_order_type(order_type: str | dict[str, Any]) -> tuple[str, int, int]:
    """(variant, first, second) of a wire ``order_type``."""
    if isinstance(order_type, str):
        if order_type not in ("Spot", "Market", "FillOrKill", "PostOnly"):
            raise InvalidInput(f"unknown order type {order_type!r}")
        return order_type, 0, 0
    if len(order_type) == 1 and "Limit" in order_type:
        price, ts = order_type["Limit"]
        return "Limit", int(price), int(ts)
    if len(order_type) == 1 and "BoundedMarket" in order_type:
        bounds = order_type["BoundedMarket"]
        return "BoundedMarket", int(bounds["max_price"]), int(bounds["min_price"])
    raise InvalidInput(f"unknown order type {order_type!r}")


def call_of_wire(action: WireAction, ctx: MarketContext) -> Call:
    """The contract call a wire action stands for, built by the client's pipeline."""
    return prepare_typed(ctx, typed_action(action)).call


def decode_wire_actions(actions_json: Any) -> list[WireAction]:
    """Typed wire actions from their JSON form (a list of ``{"Kind": {...}}``)."""
    return msgspec.convert(actions_json, list[WireAction], strict=False, dec_hook=dec_hook)


class TypedSignature(msgspec.Struct):
    """``{"TypedSecp256k1": "0x..."}``."""

    TypedSecp256k1: str


class ParallelActionsBody(msgspec.Struct):
    """A decoded ``POST /v1/session/actions`` body on the parallel track."""

    actions: list[WireGroup]
    signature: Signature
    parallel_nonce: int
    trade_account_id: m.Id
    session_id: m.Identity
    collect_orders: bool = False


class ParallelWithdrawBody(msgspec.Struct):
    """A decoded ``POST /v1/accounts/withdraw`` body on the parallel track."""

    trade_account_id: m.Id
    signature: TypedSignature
    parallel_nonce: int
    to: m.Identity
    asset_id: m.Id
    amount: int


class UpgradeBody(msgspec.Struct):
    """A decoded ``POST /v1/accounts/upgrade`` body."""

    trade_account_id: m.Id
    nonce: int
    signature: Signature


def typed_action(wire: WireAction) -> m.Action:
    """The typed (already-scaled) action a wire action stands for."""
    if wire.CreateOrder is not None:
        o = wire.CreateOrder
        name, first, second = wire_order_type(o.order_type)
        order_type: Any
        if name == "Limit":
            order_type = m.LimitOrder(price=first, timestamp=second)
        elif name == "BoundedMarket":
            order_type = m.BoundedMarketOrder(max_price=first, min_price=second)
        else:
            order_type = m.OrderType(name)
        return m.CreateOrderAction(m.OrderSide(o.side), o.price, o.quantity, order_type)
    if wire.CancelOrder is not None:
        return m.CancelOrderAction(wire.CancelOrder.order_id)
    if wire.SettleBalance is not None:
        return m.SettleBalanceAction(wire.SettleBalance.to)
    if wire.RegisterReferer is not None:
        return m.RegisterRefererAction(wire.RegisterReferer.to)
    raise InvalidInput("an action must be one of CreateOrder, CancelOrder, SettleBalance, "
                       "RegisterReferer")
