"""Fuel ABI byte layouts of the signed payloads (PROTOCOL.md §3).

Pure functions over ints and bytes. Integers are u64 big-endian; nothing is padded, except
the packed parallel nonce, a u256 (32 bytes big-endian, PROTOCOL_V05.md §1.7).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from .errors import InvalidInput

U64_MAX = 2**64 - 1
U256_MAX = 2**256 - 1
GAS_MAX = U64_MAX
_U64 = struct.Struct(">Q")
_pack_u64 = _U64.pack

_OPTION_NONE = _pack_u64(0)
_OPTION_SOME = _pack_u64(1)

IDENTITY_ADDRESS = 0
IDENTITY_CONTRACT = 1

#: OrderType discriminants, in the contract's declaration order.
ORDER_TYPE_CODES: dict[str, int] = {
    "Limit": 0,
    "Spot": 1,
    "FillOrKill": 2,
    "PostOnly": 3,
    "Market": 4,
    "BoundedMarket": 5,
}


def u64(value: int) -> bytes:
    """8-byte big-endian encoding of an unsigned 64-bit integer.

    Args:
        value: an int in 0..2**64-1.

    Returns:
        8 bytes.

    Raises:
        InvalidInput: not such an int.
    """
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= U64_MAX:
        raise InvalidInput(f"value must be an integer in 0..2**64-1, got {value!r}")
    return _pack_u64(value)


def u256(value: int) -> bytes:
    """32-byte big-endian encoding of an unsigned 256-bit integer (a packed parallel nonce).

    Args:
        value: an int in 0..2**256-1.

    Returns:
        32 bytes.

    Raises:
        InvalidInput: not such an int.
    """
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= U256_MAX:
        raise InvalidInput(f"value must be an integer in 0..2**256-1, got {value!r}")
    return value.to_bytes(32, "big")


def _bytes32(value: bytes, what: str) -> bytes:
    if not isinstance(value, (bytes, bytearray)) or len(value) != 32:
        raise InvalidInput(f"{what} must be 32 bytes")
    return bytes(value)


def function_selector(name: str) -> bytes:
    """Fuel function selector: ``u64(len(name)) || utf8(name)`` (not a hash).

    Args:
        name: the function's name.

    Returns:
        The selector bytes.
    """
    raw = name.encode()
    return _pack_u64(len(raw)) + raw


def encode_identity(discriminant: int, address: bytes) -> bytes:
    """Identity: ``u64(0)`` + Address or ``u64(1)`` + ContractId, 32 bytes.

    Args:
        discriminant: 0 (Address) or 1 (ContractId).
        address: 32 bytes.

    Returns:
        40 bytes.

    Raises:
        InvalidInput: another discriminant, or not 32 bytes.
    """
    if discriminant not in (IDENTITY_ADDRESS, IDENTITY_CONTRACT):
        raise InvalidInput(f"identity discriminant must be 0 or 1, got {discriminant!r}")
    return _pack_u64(discriminant) + _bytes32(address, "identity address")


def encode_option_call_data(data: bytes | None) -> bytes:
    """Option<Bytes> in a call: None = ``u64(0)``; Some = ``u64(1) || u64(len) || data``.

    Args:
        data: the call data, or None.

    Returns:
        The encoded option.
    """
    if data is None:
        return _pack_u64(0)
    return _pack_u64(1) + _pack_u64(len(data)) + data


def encode_order_type(name: str, first: int = 0, second: int = 0) -> bytes:
    """The tightly packed OrderType enum.

    ``Limit`` carries ``(price, timestamp)``, ``BoundedMarket`` ``(max_price,
    min_price)``; the other variants carry nothing.

    Args:
        name: the variant (``"Spot"``, ``"Limit"``, ...).
        first: the first parameter (``Limit``: price; ``BoundedMarket``: max_price).
        second: the second one (``Limit``: timestamp; ``BoundedMarket``: min_price).

    Returns:
        ``u64(code)``, followed by the two parameters for the variants that have them.

    Raises:
        InvalidInput: an unknown variant, or a parameter that is not a u64.
    """
    code = ORDER_TYPE_CODES.get(name)
    if code is None:
        raise InvalidInput(f"unknown order type {name!r}; expected one of {list(ORDER_TYPE_CODES)}")
    if code in (0, 5):
        return _pack_u64(code) + u64(first) + u64(second)
    return _pack_u64(code)


def encode_order_args(
    price: int,
    quantity: int,
    order_type: bytes | str,
    order_type_data: Mapping[str, Any] | None = None,
) -> bytes:
    """OrderArgs: ``u64(price) || u64(quantity) || OrderType``.

    Args:
        price: the chain price.
        quantity: the chain quantity.
        order_type: the encoded OrderType (bytes, see :func:`encode_order_type`) or, as in
            o2-sdk, its variant name.
        order_type_data: with a variant name, the parameters of the two variants that
            have them: ``{"price", "timestamp"}`` for ``Limit``, ``{"max_price",
            "min_price"}`` for ``BoundedMarket`` (integers or decimal strings).

    Returns:
        The encoded arguments.

    Raises:
        InvalidInput: an order type of another type, missing parameters, or a value out of
            range.
    """
    if isinstance(order_type, str):
        order_type = _order_type_from_name(order_type, order_type_data)
    elif not isinstance(order_type, (bytes, bytearray)):
        raise InvalidInput(f"order_type must be bytes or a variant name, got {order_type!r}")
    return u64(price) + u64(quantity) + bytes(order_type)


#: The parameters of the OrderType variants that carry two (o2-sdk's dict keys).
_ORDER_TYPE_PARAMS = {"Limit": ("price", "timestamp"), "BoundedMarket": ("max_price", "min_price")}


def _order_type_from_name(name: str, data: Mapping[str, Any] | None) -> bytes:
    keys = _ORDER_TYPE_PARAMS.get(name)
    if keys is None:
        return encode_order_type(name)
    if data is None:
        raise InvalidInput(f"a {name} order type needs order_type_data with {list(keys)}")
    try:
        first, second = (_int(data[key], f"{name} {key}") for key in keys)
    except (KeyError, TypeError) as err:
        raise InvalidInput(f"{name} order_type_data needs {list(keys)}, got {data!r}") from err
    return encode_order_type(name, first, second)


def _int(value: Any, what: str) -> int:
    """An integer from an int or a decimal string (as o2-sdk's JSON-shaped dicts carry)."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise InvalidInput(f"{what} must be an integer or a decimal string, got {value!r}")


class Call(NamedTuple):
    """One contract call of an action batch."""

    contract_id: bytes
    selector: bytes
    amount: int
    asset_id: bytes
    call_data: bytes | None
    gas: int = GAS_MAX


def encode_call(call: Call) -> bytes:
    """One call of a batch: ``contract_id || u64(len(selector)) || selector || u64(amount) ||
    asset_id || u64(gas) || Option(call_data)``.

    Args:
        call: the call.

    Returns:
        The encoded call.

    Raises:
        InvalidInput: a field out of range or not 32 bytes.
    """
    contract_id, selector, amount, asset_id, call_data, gas = call
    if (  # fast path (the hot one): every field already of the exact type and range
        type(contract_id) is bytes
        and len(contract_id) == 32
        and type(asset_id) is bytes
        and len(asset_id) == 32
        and type(amount) is int
        and 0 <= amount <= U64_MAX
        and type(gas) is int
        and 0 <= gas <= U64_MAX
    ):
        return b"".join(
            (
                contract_id,
                _pack_u64(len(selector)),
                selector,
                _pack_u64(amount),
                asset_id,
                _pack_u64(gas),
                _OPTION_NONE
                if call_data is None
                else _OPTION_SOME + _pack_u64(len(call_data)) + call_data,
            )
        )
    return b"".join(
        (
            _bytes32(call.contract_id, "contract_id"),
            _pack_u64(len(call.selector)),
            call.selector,
            u64(call.amount),
            _bytes32(call.asset_id, "asset_id"),
            u64(call.gas),
            encode_option_call_data(call.call_data),
        )
    )


def actions_signing_bytes(nonce: int, calls: list[Call]) -> bytes:
    """Bytes the session key signs for an action batch (PROTOCOL.md §3.2).

    Args:
        nonce: the account's sequential nonce.
        calls: the batch's calls, in order.

    Returns:
        ``u64(nonce) || u64(len(calls)) || calls``.

    Raises:
        InvalidInput: a field out of range or not 32 bytes.
    """
    return u64(nonce) + _pack_u64(len(calls)) + b"".join(encode_call(c) for c in calls)


def parallel_actions_signing_bytes(parallel_nonce: int, calls: list[Call]) -> bytes:
    """Bytes the session key signs for a batch on the parallel track (PROTOCOL_V05 §1.7).

    The layout of :func:`actions_signing_bytes` with the nonce as ``u256be`` (the packed
    parallel nonce) instead of ``u64be``.

    Args:
        parallel_nonce: the packed parallel nonce.
        calls: the batch's calls, in order.

    Returns:
        The signing bytes.

    Raises:
        InvalidInput: a field out of range or not 32 bytes.
    """
    return u256(parallel_nonce) + _pack_u64(len(calls)) + b"".join(encode_call(c) for c in calls)


def owner_action_signing_bytes(
    nonce: int, chain_id: int, function_name: bytes | str, encoded_args: bytes = b""
) -> bytes:
    """Bytes an owner signs for an owner action (PROTOCOL_V05 §3.1).

    Args:
        nonce: the account's sequential nonce.
        chain_id: the chain id.
        function_name: the function's name.
        encoded_args: its arguments, already encoded.

    Returns:
        ``u64(nonce) || u64(chain_id) || u64(len(function_name)) || function_name ||
        encoded_args``.

    Raises:
        InvalidInput: a nonce or chain id that is not a u64.
    """
    name = function_name.encode() if isinstance(function_name, str) else bytes(function_name)
    return u64(nonce) + u64(chain_id) + _pack_u64(len(name)) + name + bytes(encoded_args)


#: The proxy's legacy (non-typed) upgrade entry point, which every proxy has.
SET_PROXY_FN_NAME = b"set_proxy_target_with_signature"


def set_proxy_signing_bytes(nonce: int, chain_id: int) -> bytes:
    """Bytes an owner signs (personal-sign) to upgrade the account
    (``POST /v1/accounts/upgrade``): the owner action ``set_proxy_target_with_signature``
    with no arguments.

    Args:
        nonce: the account's sequential nonce.
        chain_id: the chain id.

    Returns:
        The signing bytes.

    Raises:
        InvalidInput: a nonce or chain id that is not a u64.
    """
    return owner_action_signing_bytes(nonce, chain_id, SET_PROXY_FN_NAME)


def session_signing_bytes(
    nonce: int,
    chain_id: int,
    session_address: bytes,
    expiry: int,
    contract_ids: list[bytes],
) -> bytes:
    """Bytes the owner signs to create a session (PROTOCOL.md §3.1).

    Args:
        nonce: the account's sequential nonce.
        chain_id: the chain id.
        session_address: the session key's 32-byte address.
        expiry: the session's expiry, unix seconds.
        contract_ids: the 32-byte order-book contract ids it may trade on.

    Returns:
        The signing bytes.

    Raises:
        InvalidInput: a field out of range or not 32 bytes.
    """
    return b"".join(
        (
            u64(nonce),
            u64(chain_id),
            function_selector("set_session"),
            _pack_u64(1),
            encode_identity(IDENTITY_ADDRESS, session_address),
            u64(expiry),
            _pack_u64(len(contract_ids)),
            *(_bytes32(c, "contract id") for c in contract_ids),
        )
    )


def withdraw_signing_bytes(
    nonce: int,
    chain_id: int,
    to_discriminant: int,
    to_address: bytes,
    amount: int,
    asset_id: bytes,
) -> bytes:
    """Bytes the owner signs to withdraw (PROTOCOL.md §3.3); amount before asset.

    Args:
        nonce: the account's sequential nonce.
        chain_id: the chain id.
        to_discriminant: 0 (Address) or 1 (ContractId).
        to_address: the destination's 32 bytes.
        amount: the chain amount.
        asset_id: the asset's 32 bytes.

    Returns:
        The signing bytes.

    Raises:
        InvalidInput: a field out of range or not 32 bytes.
    """
    return b"".join(
        (
            u64(nonce),
            u64(chain_id),
            function_selector("withdraw"),
            encode_identity(to_discriminant, to_address),
            u64(amount),
            _bytes32(asset_id, "asset_id"),
        )
    )


SELECTOR_CREATE_ORDER = function_selector("create_order")
SELECTOR_CANCEL_ORDER = function_selector("cancel_order")
SELECTOR_SETTLE_BALANCE = function_selector("settle_balance")
SELECTOR_REGISTER_REFERER = function_selector("register_referer")
ZERO_B256 = bytes(32)


# --- o2-sdk's names and argument orders -----------------------------------------------
#
# The official SDK's encoding functions, with its argument orders and shapes (calls as
# dicts, actions and markets as JSON-like dicts). Each one delegates to the layouts above,
# so there is one encoder of every payload; tests check the bytes against o2-sdk's.

#: o2-sdk's name of :func:`u64`.
u64_be = u64


def encode_option_none() -> bytes:
    """``Option::None``: ``u64(0)``.

    Returns:
        8 bytes.
    """
    return _OPTION_NONE


def encode_option_some(data: bytes) -> bytes:
    """``Option::Some(data)``: ``u64(1) || data`` (``data`` already encoded).

    Args:
        data: the encoded value.

    Returns:
        The encoded option.
    """
    return _OPTION_SOME + bytes(data)


def build_owner_action_signing_bytes(
    nonce: int, chain_id: int, func_name: bytes | str, encoded_args: bytes = b""
) -> bytes:
    """o2-sdk's name of :func:`owner_action_signing_bytes` (same arguments).

    Args:
        nonce: the account's sequential nonce.
        chain_id: the chain id.
        func_name: the function's name.
        encoded_args: its arguments, already encoded.

    Returns:
        The signing bytes.

    Raises:
        InvalidInput: a nonce or chain id that is not a u64.
    """
    return owner_action_signing_bytes(nonce, chain_id, func_name, encoded_args)


def build_set_proxy_signing_bytes(nonce: int, chain_id: int) -> bytes:
    """o2-sdk's name of :func:`set_proxy_signing_bytes`: the owner's account-upgrade bytes.

    Args:
        nonce: the account's sequential nonce.
        chain_id: the chain id.

    Returns:
        The signing bytes.

    Raises:
        InvalidInput: a nonce or chain id that is not a u64.
    """
    return set_proxy_signing_bytes(nonce, chain_id)


def build_session_signing_bytes(
    nonce: int,
    chain_id: int,
    session_address: bytes,
    contract_ids: Sequence[bytes],
    expiry: int,
) -> bytes:
    """The owner's ``set_session`` bytes, in o2-sdk's argument order (contract ids before
    expiry); :func:`session_signing_bytes` has expiry first.

    Args:
        nonce: the account's sequential nonce.
        chain_id: the chain id.
        session_address: the session key's 32-byte address.
        contract_ids: the 32-byte order-book contract ids.
        expiry: the session's expiry, unix seconds.

    Returns:
        The signing bytes.

    Raises:
        InvalidInput: a field out of range or not 32 bytes.
    """
    return session_signing_bytes(nonce, chain_id, session_address, expiry, list(contract_ids))


def build_withdraw_signing_bytes(
    nonce: int,
    chain_id: int,
    to_discriminant: int,
    to_address: bytes,
    asset_id: bytes,
    amount: int,
) -> bytes:
    """The owner's ``withdraw`` bytes, in o2-sdk's argument order (asset before amount; the
    bytes still carry the amount first). :func:`withdraw_signing_bytes` takes them in
    layout order.

    Args:
        nonce: the account's sequential nonce.
        chain_id: the chain id.
        to_discriminant: 0 (Address) or 1 (ContractId).
        to_address: the destination's 32 bytes.
        asset_id: the asset's 32 bytes.
        amount: the chain amount.

    Returns:
        The signing bytes.

    Raises:
        InvalidInput: a field out of range or not 32 bytes.
    """
    return withdraw_signing_bytes(nonce, chain_id, to_discriminant, to_address, amount, asset_id)


def _as_call(call: Call | Mapping[str, Any]) -> Call:
    """A :class:`Call` from o2-sdk's call dict (``contract_id``, ``function_selector``,
    ``amount``, ``asset_id``, ``gas``, optional ``call_data``) or a Call."""
    if isinstance(call, Call):
        return call
    if not isinstance(call, Mapping):
        raise InvalidInput(f"a call must be a dict or a Call, got {type(call).__name__}")
    try:
        return Call(
            call["contract_id"],
            call["function_selector"],
            call["amount"],
            call["asset_id"],
            call.get("call_data"),
            call.get("gas", GAS_MAX),
        )
    except KeyError as err:
        raise InvalidInput(f"a call dict needs {err.args[0]!r}") from err


def build_actions_signing_bytes(nonce: int, calls: Sequence[Call | Mapping[str, Any]]) -> bytes:
    """The session key's bytes for a batch on the sequential track.

    Args:
        nonce: the account's sequential nonce.
        calls: o2-sdk's call dicts (see :func:`action_to_call`) or :class:`Call` values.

    Returns:
        The signing bytes.

    Raises:
        InvalidInput: a call dict without a field, or a field out of range.
    """
    return actions_signing_bytes(nonce, [_as_call(c) for c in calls])


def build_parallel_actions_signing_bytes(
    nonce: int, calls: Sequence[Call | Mapping[str, Any]]
) -> bytes:
    """The session key's bytes for a batch on the parallel track.

    Args:
        nonce: the packed u256 parallel nonce.
        calls: call dicts or :class:`Call` values.

    Returns:
        The signing bytes.

    Raises:
        InvalidInput: a call dict without a field, or a field out of range.
    """
    return parallel_actions_signing_bytes(nonce, [_as_call(c) for c in calls])


def _hex32(value: Any, what: str) -> bytes:
    if isinstance(value, str):
        digits = value[2:] if value[:2] in ("0x", "0X") else value
        try:
            raw = bytes.fromhex(digits)
        except ValueError:
            raw = b""
        if len(raw) == 32:
            return raw
    raise InvalidInput(f"{what} must be 32 bytes of hex, got {value!r}")


def _identity_call_data(to: Any) -> bytes:
    if isinstance(to, Mapping) and "ContractId" in to:
        return encode_identity(IDENTITY_CONTRACT, _hex32(to["ContractId"], "ContractId"))
    if isinstance(to, Mapping) and "Address" in to:
        return encode_identity(IDENTITY_ADDRESS, _hex32(to["Address"], "Address"))
    raise InvalidInput(f'an identity is {{"Address": ...}} or {{"ContractId": ...}}, got {to!r}')


def _wire_order_type(order_type: Any) -> tuple[str, Mapping[str, Any] | None]:
    """(variant name, parameters) of a CreateOrder's wire ``order_type``."""
    if isinstance(order_type, str):
        return order_type, None
    if isinstance(order_type, Mapping) and "Limit" in order_type:
        limit = order_type["Limit"]
        if isinstance(limit, (list, tuple)) and len(limit) == 2:
            return "Limit", {"price": limit[0], "timestamp": limit[1]}
    if isinstance(order_type, Mapping) and isinstance(order_type.get("BoundedMarket"), Mapping):
        bounded: Mapping[str, Any] = order_type["BoundedMarket"]
        return "BoundedMarket", bounded
    raise InvalidInput(f"unknown order_type {order_type!r}")


def action_to_call(action: Mapping[str, Any], market_info: Mapping[str, Any]) -> dict[str, Any]:
    """The contract call of one wire action (o2-sdk's ``action_to_call``).

    A buy locks ``price * quantity // 10**base_decimals`` of the quote asset, a sell the
    quantity of the base asset.

    Args:
        action: a wire action (``{"CreateOrder": {...}}``, ``{"CancelOrder": {...}}``,
            ``{"SettleBalance": {"to": ...}}``, ``{"RegisterReferer": {"to": ...}}``) with
            chain integers.
        market_info: the market's JSON (``contract_id``, ``base``/``quote`` with
            ``asset`` and ``decimals``, and ``accounts_registry_id`` for RegisterReferer).

    Returns:
        The call dict :func:`build_actions_signing_bytes` takes.

    Raises:
        InvalidInput: an unknown action or order type, or a malformed field.
    """
    try:
        contract_id = _hex32(market_info["contract_id"], "contract_id")
        if "CreateOrder" in action:
            data = action["CreateOrder"]
            price, quantity = _int(data["price"], "price"), _int(data["quantity"], "quantity")
            side = data["side"]
            if side == "Buy":
                amount = price * quantity // 10 ** int(market_info["base"]["decimals"])
                asset_id = _hex32(market_info["quote"]["asset"], "quote asset")
            elif side == "Sell":
                amount, asset_id = quantity, _hex32(market_info["base"]["asset"], "base asset")
            else:
                raise InvalidInput(f"side must be 'Buy' or 'Sell', got {side!r}")
            if amount > U64_MAX:
                raise InvalidInput("price x quantity does not fit in a u64")
            name, params = _wire_order_type(data["order_type"])
            call_data = encode_order_args(price, quantity, name, params)
            selector = SELECTOR_CREATE_ORDER
        elif "CancelOrder" in action:
            amount, asset_id, selector = 0, ZERO_B256, SELECTOR_CANCEL_ORDER
            call_data = _hex32(action["CancelOrder"]["order_id"], "order_id")
        elif "SettleBalance" in action:
            amount, asset_id, selector = 0, ZERO_B256, SELECTOR_SETTLE_BALANCE
            call_data = _identity_call_data(action["SettleBalance"]["to"])
        elif "RegisterReferer" in action:
            # a call on the accounts registry, not on the market
            contract_id = _hex32(market_info["accounts_registry_id"], "accounts_registry_id")
            amount, asset_id, selector = 0, ZERO_B256, SELECTOR_REGISTER_REFERER
            call_data = _identity_call_data(action["RegisterReferer"]["to"])
        else:
            raise InvalidInput(f"unknown action {action!r}")
    except (KeyError, TypeError) as err:
        raise InvalidInput(f"malformed action or market info: missing or bad {err}") from err
    return {
        "contract_id": contract_id,
        "function_selector": selector,
        "amount": amount,
        "asset_id": asset_id,
        "gas": GAS_MAX,
        "call_data": call_data,
    }
