"""Request decoding: JSON bodies and frames into the engine's typed commands.

Every failure is a :class:`~.errors.SimError`: 1002 ParseError when the bytes are not
a JSON document this simulator accepts (not UTF-8, malformed, nested deeper than
:data:`MAX_JSON_DEPTH`), 1001 InvalidRequest when a field is missing, of the wrong type,
out of range (integers are u64) or not hex. No other exception escapes a decoder, and
the messages echo at most a clipped piece of what the client sent.

The wire shapes are PROTOCOL.md §5.1; the REST layer (:mod:`.rest`) and the WebSocket
layer (:mod:`.ws`) share these helpers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from itertools import accumulate
from typing import Any, TypeVar, cast

import msgspec

from ..encoding import U64_MAX
from ..models import Id, Identity
from .commands import (
    SIMPLE_ORDER_TYPES,
    Action,
    ActionGroup,
    CancelOrder,
    CreateAccount,
    CreateOrder,
    FaucetMint,
    OpenSession,
    OrderTypeSpec,
    RegisterReferer,
    SettleBalance,
    SubmitActions,
    UpgradeAccount,
    Withdraw,
)
from .errors import FaucetRefusal, SimError, clip, echo
from .nonces import parse_wire

#: The deepest nesting of arrays and objects a body or frame may have (real requests
#: need 8); deeper documents are refused before they are decoded.
MAX_JSON_DEPTH = 32

T = TypeVar("T")

_HEX_DIGITS = frozenset("0123456789abcdef")
#: A JSON string, its closing quote optional so that an unterminated string ends the
#: match instead of making the scan quadratic.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\[\s\S])*"?')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEP = [0] * 256
for _open in b"[{":
    _BRACKET_STEP[_open] = 1
for _close in b"]}":
    _BRACKET_STEP[_close] = -1


# --- JSON documents ------------------------------------------------------------------


def json_bytes(data: bytes | str | None) -> bytes:
    """The UTF-8 bytes of a body or frame, checked to be decodable by :func:`parse_json`
    (valid UTF-8, not nested deeper than :data:`MAX_JSON_DEPTH`); raises SimError 1002."""
    if isinstance(data, str):
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError:
            raise SimError(1002, "malformed JSON: the text is not valid Unicode") from None
    else:
        raw = bytes(data or b"")
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SimError(1002, "malformed JSON: the body is not valid UTF-8") from None
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and _depth(raw) > MAX_JSON_DEPTH:
        raise SimError(1002, f"malformed JSON: nested deeper than {MAX_JSON_DEPTH} arrays/objects")
    return raw


def _depth(raw: bytes) -> int:
    """The deepest bracket nesting of a JSON text, outside strings (linear time)."""
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0)


def parse_json(data: bytes | str | None) -> Any:
    """Any JSON value of a body or frame; SimError 1002 when it is not acceptable JSON."""
    raw = json_bytes(data)
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise SimError(1002, "malformed JSON") from None


@cache
def _decoder(kind: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(kind, strict=False)


def decode_body(data: bytes | str | None, kind: type[T]) -> T:
    """A body decoded into the msgspec Struct ``kind`` (numbers may come as strings)."""
    raw = json_bytes(data)
    try:
        result: T = _decoder(cast(Any, kind)).decode(raw)
        return result
    except msgspec.ValidationError as err:
        try:
            msgspec.json.decode(raw)
        except msgspec.DecodeError:
            raise SimError(1002, "malformed JSON body") from None
        raise SimError(1001, f"invalid request body: {clip(str(err), 160)}") from None
    except msgspec.DecodeError:
        raise SimError(1002, "malformed JSON body") from None


# --- fields --------------------------------------------------------------------------


def normalize_id(value: str) -> str:
    """A hex id as ``0x`` + lowercase (as given when it is not hex; it then matches nothing)."""
    text = value.strip().lower()
    return text if text.startswith("0x") else "0x" + text


def hex_id(value: object, what: str) -> str:
    """A non-empty hex id of any length as ``0x`` + lowercase hex."""
    if isinstance(value, str):
        raw = value.strip().lower()
        raw = raw[2:] if raw.startswith("0x") else raw
        if raw and _HEX_DIGITS.issuperset(raw):
            return "0x" + raw
    raise SimError(1001, f"{what} must be a hex id, got {echo(value)}")


def b256(value: object, what: str) -> str:
    """A 32-byte hex id (64 hex digits) as ``0x`` + lowercase hex."""
    text = hex_id(value, what)
    if len(text) != 66:
        raise SimError(1001, f"{what} must be 32 bytes (64 hex digits), got {echo(value)}")
    return text


def u64(value: object, what: str) -> int:
    """An integer in 0..2^64-1 (a JSON number or a string of decimal digits)."""
    if isinstance(value, str) and 0 < len(value) <= 20 and value.isdigit() and value.isascii():
        value = int(value)
    if type(value) is int and 0 <= value <= U64_MAX:
        return value
    raise SimError(1001, f"{what} must be an integer in 0..2^64-1, got {echo(value)}")


class WireIdentity(msgspec.Struct):
    """``{"Address": "0x.."}`` or ``{"ContractId": "0x.."}`` as sent."""

    Address: str | None = None
    ContractId: str | None = None


def identity(wire: WireIdentity, what: str) -> Identity:
    """A core Identity (32 bytes) from its wire form."""
    if (wire.Address is None) == (wire.ContractId is None):
        raise SimError(1001, f"{what} must be exactly one of Address or ContractId")
    if wire.Address is not None:
        return Identity(address=Id(b256(wire.Address, what)))
    return Identity(contract_id=Id(b256(wire.ContractId, what)))


def claimed_owner(headers: Iterable[tuple[str, str]]) -> str | None:
    """The ``O2-Owner-Id`` header (first one), normalised; None without one."""
    for name, value in headers:
        if name.lower() == "o2-owner-id":
            return normalize_id(value)
    return None


def parse_precision(value: object) -> int:
    """A depth precision: a power of ten in 1..10^18 (default 1 when absent)."""
    if value is None or value == "":
        return 1
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise SimError(1001, f"precision must be a power of ten, got {echo(value)}")
    text = str(value).strip()
    if not (0 < len(text) <= 19 and text.isdigit() and text.isascii()):
        raise SimError(1001, f"precision must be a power of ten, got {echo(value)}")
    precision = int(text)
    if precision < 1 or precision > 10**18 or 10 ** (len(str(precision)) - 1) != precision:
        raise SimError(1001, f"precision must be a power of ten in 1..10^18, got {echo(value)}")
    return precision


# --- bodies --------------------------------------------------------------------------


class _Signature(msgspec.Struct):
    Secp256k1: str


class _OwnerSignature(msgspec.Struct):
    """A personal (``Secp256k1``) or typed-data (``TypedSecp256k1``) owner signature."""

    Secp256k1: str | None = None
    TypedSecp256k1: str | None = None


class _WireCreateOrder(msgspec.Struct):
    side: str
    price: int
    quantity: int
    order_type: str | dict[str, Any]


class _WireOrderId(msgspec.Struct):
    order_id: str


class _WireTo(msgspec.Struct):
    to: WireIdentity


class _WireAction(msgspec.Struct):
    CreateOrder: _WireCreateOrder | None = None
    CancelOrder: _WireOrderId | None = None
    SettleBalance: _WireTo | None = None
    RegisterReferer: _WireTo | None = None


class _WireGroup(msgspec.Struct):
    market_id: str
    actions: list[_WireAction]


class _ActionsBody(msgspec.Struct):
    actions: list[_WireGroup]
    signature: _Signature
    trade_account_id: str
    session_id: WireIdentity
    nonce: int | None = None
    parallel_nonce: str | int | None = None
    collect_orders: bool = False


class _SessionBody(msgspec.Struct):
    contract_id: str
    session_id: WireIdentity
    signature: _Signature
    contract_ids: list[str]
    nonce: int
    expiry: int


class _WithdrawBody(msgspec.Struct):
    trade_account_id: str
    signature: _OwnerSignature
    to: WireIdentity
    asset_id: str
    amount: int
    nonce: int | None = None
    parallel_nonce: str | int | None = None


class _UpgradeBody(msgspec.Struct):
    trade_account_id: str
    nonce: int
    signature: _OwnerSignature


class _AccountBody(msgspec.Struct):
    identity: WireIdentity


class _WhitelistBody(msgspec.Struct):
    tradeAccount: str


def order_type(wire: object) -> OrderTypeSpec:
    """The order type of a wire ``order_type``: a name, ``{"Limit": [price, ts]}`` or
    ``{"BoundedMarket": {"max_price": p, "min_price": p}}``."""
    if isinstance(wire, str) and wire in SIMPLE_ORDER_TYPES:
        return OrderTypeSpec(wire)
    if isinstance(wire, dict) and len(wire) == 1:
        if "Limit" in wire:
            params = wire["Limit"]
            if isinstance(params, list) and len(params) == 2:
                return OrderTypeSpec(
                    "Limit", u64(params[0], "limit price"), u64(params[1], "limit timestamp")
                )
        elif "BoundedMarket" in wire:
            bounds = wire["BoundedMarket"]
            if isinstance(bounds, dict) and set(bounds) == {"max_price", "min_price"}:
                return OrderTypeSpec(
                    "BoundedMarket",
                    u64(bounds["max_price"], "max_price"),
                    u64(bounds["min_price"], "min_price"),
                )
    raise SimError(1001, f"invalid action: unknown order type {echo(wire)}")


def _action(wire: _WireAction) -> Action:
    given = [
        name
        for name in ("CreateOrder", "CancelOrder", "SettleBalance", "RegisterReferer")
        if getattr(wire, name) is not None
    ]
    if len(given) != 1:
        raise SimError(
            1001,
            "invalid action: an action is exactly one of CreateOrder, CancelOrder, "
            "SettleBalance, RegisterReferer",
        )
    if wire.CreateOrder is not None:
        order = wire.CreateOrder
        if order.side not in ("Buy", "Sell"):
            raise SimError(
                1001, f"invalid action: side must be Buy or Sell, got {echo(order.side)}"
            )
        return CreateOrder(
            side=order.side,
            price=u64(order.price, "price"),
            quantity=u64(order.quantity, "quantity"),
            order_type=order_type(order.order_type),
        )
    if wire.CancelOrder is not None:
        return CancelOrder(b256(wire.CancelOrder.order_id, "order_id"))
    if wire.SettleBalance is not None:
        return SettleBalance(identity(wire.SettleBalance.to, "to"))
    assert wire.RegisterReferer is not None
    return RegisterReferer(identity(wire.RegisterReferer.to, "to"))


def _session_address(wire: WireIdentity) -> str | None:
    """The session's address (any length), or None when it names a ContractId."""
    if (wire.Address is None) == (wire.ContractId is None):
        raise SimError(1001, "session_id must be exactly one of Address or ContractId")
    if wire.Address is None:
        hex_id(wire.ContractId, "session_id")
        return None
    return hex_id(wire.Address, "session_id")


def _one_nonce(
    nonce: int | None, parallel_nonce: str | int | None
) -> tuple[int | None, int | None]:
    """(sequential nonce, packed parallel nonce): exactly one of the two fields is given."""
    if (nonce is None) == (parallel_nonce is None):
        raise SimError(1001, "exactly one of nonce and parallel_nonce is required")
    if parallel_nonce is not None:
        return None, parse_wire(parallel_nonce)
    return u64(nonce, "nonce"), None


def submit_actions(body: bytes | None, headers: Iterable[tuple[str, str]]) -> SubmitActions:
    """``POST /v1/session/actions`` (``nonce``, or ``parallel_nonce`` on the parallel track)."""
    decoded = decode_body(body, _ActionsBody)
    nonce, parallel_nonce = _one_nonce(decoded.nonce, decoded.parallel_nonce)
    groups = tuple(
        ActionGroup(
            hex_id(group.market_id, "market_id"),
            tuple(_action(action) for action in group.actions),
        )
        for group in decoded.actions
    )
    return SubmitActions(
        trade_account_id=hex_id(decoded.trade_account_id, "trade_account_id"),
        session_address=_session_address(decoded.session_id),
        groups=groups,
        nonce=nonce,
        parallel_nonce=parallel_nonce,
        signature=decoded.signature.Secp256k1,
        collect_orders=decoded.collect_orders,
        claimed_owner=claimed_owner(headers),
    )


def open_session(body: bytes | None, headers: Iterable[tuple[str, str]]) -> OpenSession:
    """``PUT /v1/session``."""
    decoded = decode_body(body, _SessionBody)
    return OpenSession(
        trade_account_id=hex_id(decoded.contract_id, "contract_id"),
        session_address=_session_address(decoded.session_id),
        contract_ids=tuple(hex_id(c, "contract_ids") for c in decoded.contract_ids),
        nonce=u64(decoded.nonce, "nonce"),
        expiry=u64(decoded.expiry, "expiry"),
        signature=decoded.signature.Secp256k1,
        claimed_owner=claimed_owner(headers),
    )


def withdraw(body: bytes | None, headers: Iterable[tuple[str, str]]) -> Withdraw:
    """``POST /v1/accounts/withdraw``: sequential (``Secp256k1`` + ``nonce``) or parallel
    (``TypedSecp256k1`` + ``parallel_nonce``, PROTOCOL_V05 §2.6)."""
    decoded = decode_body(body, _WithdrawBody)
    nonce, parallel_nonce = _one_nonce(decoded.nonce, decoded.parallel_nonce)
    signature = decoded.signature
    if parallel_nonce is None:
        if signature.Secp256k1 is None or signature.TypedSecp256k1 is not None:
            raise SimError(1001, 'a withdrawal with "nonce" is signed {"Secp256k1": ...}')
        text = signature.Secp256k1
    else:
        if signature.TypedSecp256k1 is None or signature.Secp256k1 is not None:
            raise SimError(
                1001, 'a withdrawal with "parallel_nonce" is signed {"TypedSecp256k1": ...}'
            )
        text = signature.TypedSecp256k1
    return Withdraw(
        trade_account_id=hex_id(decoded.trade_account_id, "trade_account_id"),
        to=identity(decoded.to, "to"),
        asset_id=b256(decoded.asset_id, "asset_id"),
        amount=u64(decoded.amount, "amount"),
        nonce=nonce,
        parallel_nonce=parallel_nonce,
        signature=text,
        claimed_owner=claimed_owner(headers),
    )


def upgrade_account(body: bytes | None, headers: Iterable[tuple[str, str]]) -> UpgradeAccount:
    """``POST /v1/accounts/upgrade`` (PROTOCOL_V05 §3.2): the non-typed entry point only."""
    decoded = decode_body(body, _UpgradeBody)
    signature = decoded.signature
    if signature.Secp256k1 is None or signature.TypedSecp256k1 is not None:
        raise SimError(
            1001,
            'an upgrade is signed {"Secp256k1": ...} (set_proxy_target_with_signature); '
            "the typed entry point is not modelled",
        )
    return UpgradeAccount(
        trade_account_id=hex_id(decoded.trade_account_id, "trade_account_id"),
        nonce=u64(decoded.nonce, "nonce"),
        signature=signature.Secp256k1,
        claimed_owner=claimed_owner(headers),
    )


def create_account(body: bytes | None) -> CreateAccount:
    """``POST /v1/accounts``."""
    return CreateAccount(identity(decode_body(body, _AccountBody).identity, "identity"))


def whitelist_account(body: bytes | None) -> str:
    """``POST /analytics/v1/whitelist``: the trading account id to whitelist."""
    return b256(decode_body(body, _WhitelistBody).tradeAccount, "tradeAccount")


def faucet_mint(body: bytes | None) -> FaucetMint:
    """A faucet body ``{"address": ..}`` or ``{"contract": ..}``; refusals are
    :class:`~.errors.FaucetRefusal` (the faucet's own error shape)."""
    try:
        payload = parse_json(body)
    except SimError:
        raise FaucetRefusal("Invalid JSON body") from None
    if not isinstance(payload, dict) or len(payload.keys() & {"address", "contract"}) != 1:
        raise FaucetRefusal('Body must be {"address": ...} or {"contract": ...}')
    kind = "address" if "address" in payload else "contract"
    try:
        target = b256(payload[kind], kind)
    except SimError:
        raise FaucetRefusal(f"Invalid {kind}") from None
    return FaucetMint(kind, target)
