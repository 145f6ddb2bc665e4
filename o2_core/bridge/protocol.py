"""The Fast Bridge v1 API as values: request builders and reply parsers (no I/O).

A builder checks its arguments and returns a :class:`~o2_core.http.Request` for a
bridge base URL (see :func:`bridge_base_url`); a transport performs it; :func:`parse_reply`
turns the :class:`~o2_core.http.Response` into a model of :mod:`o2_core.bridge.models`
or raises a :class:`~o2_core.bridge.errors.BridgeApiError`.

Error replies are ``{"error": {"code", "message", "details"}}``. A reply that is not
JSON (at any status), a success that is not an object of the model's shape, or anything
hostile (invalid UTF-8, absurd nesting) raises :class:`BridgeInvalidResponse`
(``bridge_code="INVALID_RESPONSE"``); the parser lets no other exception out.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import msgspec

from ..errors import InvalidInput
from ..http import GET_HEADERS, JSON_HEADERS, Request, Response
from ..signatures import keccak256
from . import models
from .errors import HTTP_ERROR, BridgeApiError, BridgeInvalidResponse

T = TypeVar("T", bound=models.BridgeModel)

U64_MAX = 2**64 - 1
U256_MAX = 2**256 - 1
#: Longest preparation proof accepted for a submission.
MAX_PROOF_CHARS = 4096
#: Longest unsigned transaction accepted (hex characters after ``0x``).
MAX_TX_HEX = 2 * 16384

_B256 = re.compile(r"0x[0-9a-fA-F]{64}\Z")
_EVM = re.compile(r"0x[0-9a-fA-F]{40}\Z")
_HEX = re.compile(r"0x(?:[0-9a-fA-F]{2})+\Z")
_PROOF = re.compile(r"[\x21-\x7e]+\Z")


# --- argument checks -----------------------------------------------------------------


def bridge_base_url(url: str) -> str:
    """The bridge root URL without its trailing ``/``, checked.

    Args:
        url: the bridge's root URL.

    Returns:
        The URL, its trailing ``/`` removed.

    Raises:
        InvalidInput: not an ``http(s)`` URL with a host, or it has a query, a fragment,
            credentials, a bad port, whitespace or control characters.
    """
    if not isinstance(url, str):
        raise InvalidInput(f"the bridge base URL must be a string, got {type(url).__name__}")
    if not url or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise InvalidInput("the bridge base URL must be non-empty, without spaces or controls")
    parts = urlsplit(url)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or not port_ok:
        raise InvalidInput(
            f"the bridge base URL must be http(s)://host[:port][/path], got {_safe_url(url)!r}"
        )
    if "?" in url or "#" in url or "@" in parts.netloc:
        raise InvalidInput(
            "the bridge base URL must have no query, fragment or credentials, got "
            f"{_safe_url(url)!r}"
        )
    return url.rstrip("/")


def _safe_url(url: str) -> str:
    """``url`` without anything that could be a credential (user info)."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        return f"{parts.scheme}://***@{parts.netloc.rsplit('@', 1)[1]}{parts.path}"
    return url[:200]


def check_chain_id(value: object, what: str) -> int:
    """An EVM chain id: an int in 1..2**64-1 (not a bool).

    Args:
        value: the value to check.
        what: its name, for the error message.

    Returns:
        The chain id.

    Raises:
        InvalidInput: anything else.
    """
    if type(value) is not int or not 0 < value <= U64_MAX:
        raise InvalidInput(f"{what} must be an integer in 1..2**64-1, got {value!r}")
    return value


def check_b256(value: object, what: str) -> str:
    """A 32-byte hex id (``0x`` + 64 hex digits), as given.

    Args:
        value: the value to check.
        what: its name, for the error message.

    Returns:
        The id, unchanged.

    Raises:
        InvalidInput: anything else.
    """
    if not isinstance(value, str) or not _B256.match(value):
        raise InvalidInput(f"{what} must be 0x + 64 hex digits, got {value!r}")
    return value


def check_evm_address(value: object, what: str) -> str:
    """A 20-byte EVM address; a mixed-case one must carry a valid EIP-55 checksum.

    Args:
        value: the value to check.
        what: its name, for the error message.

    Returns:
        The address, unchanged.

    Raises:
        InvalidInput: not ``0x`` + 40 hex digits, or a wrong checksum.
    """
    if not isinstance(value, str) or not _EVM.match(value):
        raise InvalidInput(f"{what} must be an EVM address (0x + 40 hex digits), got {value!r}")
    digits = value[2:]
    if digits != digits.lower() and digits != digits.upper() and eip55(value) != value:
        raise InvalidInput(f"{what} has a wrong EIP-55 checksum: {value!r}")
    return value


def eip55(address: str) -> str:
    """The EIP-55 checksummed form of a 20-byte hex address.

    Args:
        address: ``0x`` + 40 hex digits, any case.

    Returns:
        The address with its checksum casing.
    """
    digits = address[2:].lower()
    hashed = keccak256(digits.encode()).hex()
    pairs = zip(digits, hashed[:40], strict=True)
    return "0x" + "".join(c.upper() if int(h, 16) >= 8 else c for c, h in pairs)


def check_amount(value: object, what: str = "amount") -> str:
    """A positive u64 amount in Fuel base units, as its decimal string.

    Args:
        value: an int or a decimal string.
        what: its name, for the error message.

    Returns:
        The amount as a decimal string.

    Raises:
        InvalidInput: not an integer in 1..2**64-1.
    """
    amount = models.decimal_int(value, what)
    if not 0 < amount <= U64_MAX:
        raise InvalidInput(f"{what} must be in 1..2**64-1 Fuel base units, got {value!r}")
    return str(int(amount))


def check_hex(value: object, what: str, size: int | None = None, limit: int = MAX_TX_HEX) -> str:
    """``0x`` + an even, non-zero number of hex digits (``size`` bytes when given).

    Args:
        value: the value to check.
        what: its name, for the error message.
        size: the exact number of bytes required (None: any).
        limit: the most hex digits accepted.

    Returns:
        The hex string, unchanged.

    Raises:
        InvalidInput: anything else.
    """
    if (
        not isinstance(value, str)
        or len(value) > limit + 2
        or not _HEX.match(value)
        or (size is not None and len(value) != 2 + 2 * size)
    ):
        shown = value if not isinstance(value, str) or len(value) <= 80 else value[:80] + "..."
        want = f"{size} bytes of" if size is not None else "non-empty, even-length"
        raise InvalidInput(f"{what} must be 0x + {want} hex, got {shown!r}")
    return value


def _check_proof(value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_PROOF_CHARS or not _PROOF.match(value):
        raise InvalidInput(
            f"preparation_proof must be 1..{MAX_PROOF_CHARS} printable ASCII characters"
        )
    return value


def _check_model(value: object, kind: type[models.BridgeModel], what: str) -> None:
    if not isinstance(value, kind):
        raise InvalidInput(f"{what} must be a {kind.__name__}, got {type(value).__name__}")


# --- builders ------------------------------------------------------------------------


def _get(base: str, path: str, params: dict[str, Any] | None = None) -> Request:
    query = {k: str(v) for k, v in (params or {}).items() if v is not None}
    url = base + path + ("?" + urlencode(query) if query else "")
    return Request("GET", url, GET_HEADERS)


def _post(base: str, path: str, payload: dict[str, Any]) -> Request:
    return Request("POST", base + path, JSON_HEADERS, msgspec.json.encode(payload), False)


def get_info(base: str) -> Request:
    """``GET /v1/info``.

    Args:
        base: the bridge root URL (checked by :func:`bridge_base_url`).

    Returns:
        The request.
    """
    return _get(base, "/v1/info")


def get_assets(base: str, chain_id: int | None = None) -> Request:
    """``GET /v1/assets``, optionally only the routes of one EVM chain.

    Args:
        base: the bridge root URL (checked by :func:`bridge_base_url`).
        chain_id: an EVM chain id, or None for every chain.

    Returns:
        The request.

    Raises:
        InvalidInput: an argument out of range or malformed (nothing is sent).
    """
    if chain_id is not None:
        check_chain_id(chain_id, "chain_id")
    return _get(base, "/v1/assets", {"chainId": chain_id})


def get_deposit_info(
    base: str,
    source_chain_id: int,
    asset_id: str | None = None,
    amount: int | str | None = None,
) -> Request:
    """``GET /v1/deposit/info``.

    Args:
        base: the bridge root URL (checked by :func:`bridge_base_url`).
        source_chain_id: the EVM chain the deposit comes from.
        asset_id: the Fuel asset id (None: every route of the chain).
        amount: Fuel base units: asks whether a deposit of that amount is eligible.

    Returns:
        The request.

    Raises:
        InvalidInput: an argument out of range or malformed (nothing is sent).
    """
    check_chain_id(source_chain_id, "source_chain_id")
    if asset_id is not None:
        check_b256(asset_id, "asset_id")
    params = {
        "sourceChainId": source_chain_id,
        "assetId": asset_id,
        "amount": None if amount is None else check_amount(amount),
    }
    return _get(base, "/v1/deposit/info", params)


def _permit(permit: models.DepositPermit) -> dict[str, Any]:
    _check_model(permit, models.DepositPermit, "permit")
    deadline = models.decimal_int(permit.deadline, "permit.deadline")
    if deadline > U256_MAX:
        raise InvalidInput("permit.deadline must fit uint256")
    if type(permit.v) is not int or not 0 <= permit.v <= 255:
        raise InvalidInput(f"permit.v must be an integer in 0..255, got {permit.v!r}")
    return {
        "deadline": str(int(deadline)),
        "v": permit.v,
        "r": check_hex(permit.r, "permit.r", 32),
        "s": check_hex(permit.s, "permit.s", 32),
    }


def prepare_deposit(base: str, request: models.DepositPrepareRequest) -> Request:
    """``POST /v1/deposit/prepare``: an EVM sender, a Fuel recipient, a Fuel-unit amount.

    Args:
        base: the bridge root URL (checked by :func:`bridge_base_url`).
        request: the deposit to prepare (its permit, if any, is checked too).

    Returns:
        The request.

    Raises:
        InvalidInput: an argument out of range or malformed (nothing is sent).
    """
    _check_model(request, models.DepositPrepareRequest, "request")
    if request.to_type not in ("address", "contract"):
        raise InvalidInput(f"to_type must be 'address' or 'contract', got {request.to_type!r}")
    payload: dict[str, Any] = {
        "sourceChainId": check_chain_id(request.source_chain_id, "source_chain_id"),
        "from": check_evm_address(request.from_address, "from_address"),
        "to": check_b256(request.to, "to"),
        "toType": request.to_type,
        "assetId": check_b256(request.asset_id, "asset_id"),
        "amount": check_amount(request.amount),
    }
    if request.permit is not None:
        payload["permit"] = _permit(request.permit)
    return _post(base, "/v1/deposit/prepare", payload)


def _submit(base: str, path: str, request: models.SubmitRequest, signature_size: int) -> Request:
    _check_model(request, models.SubmitRequest, "request")
    payload = {
        "preparationProof": _check_proof(request.preparation_proof),
        "unsignedTransaction": check_hex(request.unsigned_transaction, "unsigned_transaction"),
        "signature": check_hex(request.signature, "signature", signature_size),
    }
    return _post(base, path, payload)


def submit_deposit(base: str, request: models.SubmitRequest) -> Request:
    """``POST /v1/deposit/submit`` with a 65-byte EVM signature ``r || s || v``.

    Args:
        base: the bridge root URL (checked by :func:`bridge_base_url`).
        request: the preparation proof, the unsigned transaction and its signature.

    Returns:
        The request.

    Raises:
        InvalidInput: an argument out of range or malformed (nothing is sent).
    """
    return _submit(base, "/v1/deposit/submit", request, 65)


def get_deposit_status(base: str, source_chain_id: int, evm_tx_hash: str) -> Request:
    """``GET /v1/deposit/status`` of a submitted deposit.

    Args:
        base: the bridge root URL (checked by :func:`bridge_base_url`).
        source_chain_id: the EVM chain of the deposit.
        evm_tx_hash: its transaction hash.

    Returns:
        The request.

    Raises:
        InvalidInput: an argument out of range or malformed (nothing is sent).
    """
    params = {
        "sourceChainId": check_chain_id(source_chain_id, "source_chain_id"),
        "evmTxHash": check_b256(evm_tx_hash, "evm_tx_hash"),
    }
    return _get(base, "/v1/deposit/status", params)


def get_withdraw_info(
    base: str,
    destination_chain_id: int,
    asset_id: str | None = None,
    amount: int | str | None = None,
) -> Request:
    """``GET /v1/withdraw/info``.

    Args:
        base: the bridge root URL (checked by :func:`bridge_base_url`).
        destination_chain_id: the EVM chain to withdraw to.
        asset_id: the Fuel asset id (None: every route of the chain).
        amount: Fuel base units: asks whether a withdrawal of that amount is eligible.

    Returns:
        The request.

    Raises:
        InvalidInput: an argument out of range or malformed (nothing is sent).
    """
    check_chain_id(destination_chain_id, "destination_chain_id")
    if asset_id is not None:
        check_b256(asset_id, "asset_id")
    params = {
        "destinationChainId": destination_chain_id,
        "assetId": asset_id,
        "amount": None if amount is None else check_amount(amount),
    }
    return _get(base, "/v1/withdraw/info", params)


def get_withdraw_fee(base: str, destination_chain_id: int, asset_id: str) -> Request:
    """``GET /v1/withdraw/fee``.

    Args:
        base: the bridge root URL (checked by :func:`bridge_base_url`).
        destination_chain_id: the EVM chain to withdraw to.
        asset_id: the Fuel asset id.

    Returns:
        The request.

    Raises:
        InvalidInput: an argument out of range or malformed (nothing is sent).
    """
    params = {
        "destinationChainId": check_chain_id(destination_chain_id, "destination_chain_id"),
        "assetId": check_b256(asset_id, "asset_id"),
    }
    return _get(base, "/v1/withdraw/fee", params)


def prepare_withdraw(base: str, request: models.WithdrawPrepareRequest) -> Request:
    """``POST /v1/withdraw/prepare``: a Fuel sender, an EVM recipient, a Fuel-unit amount.

    Args:
        base: the bridge root URL (checked by :func:`bridge_base_url`).
        request: the withdrawal to prepare.

    Returns:
        The request.

    Raises:
        InvalidInput: an argument out of range or malformed (nothing is sent).
    """
    _check_model(request, models.WithdrawPrepareRequest, "request")
    payload = {
        "destinationChainId": check_chain_id(request.destination_chain_id, "destination_chain_id"),
        "from": check_b256(request.from_address, "from_address"),
        "to": check_evm_address(request.to, "to"),
        "assetId": check_b256(request.asset_id, "asset_id"),
        "amount": check_amount(request.amount),
    }
    return _post(base, "/v1/withdraw/prepare", payload)


def submit_withdraw(base: str, request: models.SubmitRequest) -> Request:
    """``POST /v1/withdraw/submit`` with a 64-byte Fuel compact signature.

    Args:
        base: the bridge root URL (checked by :func:`bridge_base_url`).
        request: the preparation proof, the unsigned transaction and its signature.

    Returns:
        The request.

    Raises:
        InvalidInput: an argument out of range or malformed (nothing is sent).
    """
    return _submit(base, "/v1/withdraw/submit", request, 64)


def get_withdraw_status(base: str, fuel_tx_id: str) -> Request:
    """``GET /v1/withdraw/status`` of a submitted withdrawal.

    Args:
        base: the bridge root URL (checked by :func:`bridge_base_url`).
        fuel_tx_id: the Fuel transaction id.

    Returns:
        The request.

    Raises:
        InvalidInput: an argument out of range or malformed (nothing is sent).
    """
    return _get(base, "/v1/withdraw/status", {"fuelTxId": check_b256(fuel_tx_id, "fuel_tx_id")})


# --- parsers -------------------------------------------------------------------------

_decoders: dict[type, msgspec.json.Decoder[Any]] = {}


def _decoder(kind: type[T]) -> msgspec.json.Decoder[T]:
    decoder = _decoders.get(kind)
    if decoder is None:
        decoder = _decoders[kind] = msgspec.json.Decoder(kind, dec_hook=models._dec_hook)
    return decoder


def error_of(response: Response) -> BridgeApiError | None:
    """The error a reply stands for. Never raises.

    Args:
        response: the bridge's reply.

    Returns:
        None for a 2xx JSON reply; a :class:`~o2_core.bridge.BridgeInvalidResponse` for a
        reply that is not JSON; else a :class:`~o2_core.bridge.BridgeApiError` with the
        body's code and message (``HTTP_ERROR`` when it has none).
    """
    status = response.status
    try:
        payload = msgspec.json.decode(response.body)
    except Exception:  # invalid JSON or UTF-8, absurd nesting, huge numbers ...
        return BridgeInvalidResponse(status, f"Bridge returned a non-JSON reply (HTTP {status})")
    if 200 <= status < 300:
        return None
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        error = {}
    code, message = error.get("code"), error.get("message")
    return BridgeApiError(
        status,
        code if isinstance(code, str) else HTTP_ERROR,
        message if isinstance(message, str) else f"Bridge request failed (HTTP {status})",
        error.get("details"),
    )


def parse_reply(response: Response, kind: type[T]) -> T:
    """The ``kind`` model of a 2xx reply, or the error the reply stands for.

    Args:
        response: the bridge's reply.
        kind: the model of a success body.

    Returns:
        The decoded model.

    Raises:
        BridgeApiError: an error reply (``bridge_code`` from the body, else ``HTTP_ERROR``).
        BridgeInvalidResponse: not JSON, or not an object of ``kind``'s shape.
    """
    status = response.status
    if not 200 <= status < 300:
        error = error_of(response)
        assert error is not None
        raise error
    try:
        return _decoder(kind).decode(response.body)
    except Exception as exc:  # anything a hostile body provokes
        detail = str(exc) if isinstance(exc, msgspec.ValidationError) else type(exc).__name__
        raise BridgeInvalidResponse(
            status, f"Malformed bridge reply for {kind.__name__}: {detail[:200]}"
        ) from None


__all__ = [
    "MAX_PROOF_CHARS",
    "MAX_TX_HEX",
    "U64_MAX",
    "bridge_base_url",
    "check_amount",
    "check_b256",
    "check_chain_id",
    "check_evm_address",
    "check_hex",
    "eip55",
    "error_of",
    "get_assets",
    "get_deposit_info",
    "get_deposit_status",
    "get_info",
    "get_withdraw_fee",
    "get_withdraw_info",
    "get_withdraw_status",
    "parse_reply",
    "prepare_deposit",
    "prepare_withdraw",
    "submit_deposit",
    "submit_withdraw",
]
