"""The local Fast Bridge's model: constants, errors, configuration and state records,
and request decoding helpers (no I/O, no clock read)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec

from ...bridge import models, protocol
from ...errors import InvalidInput
from ...http import Response

T = TypeVar("T", bound=models.BridgeModel)

BRIDGE_BASE_PATH = "/bridge"
SEPOLIA = 11155111
BASE_SEPOLIA = 84532
PROOF_KEY_ID = "sim-bridge-1"
JSON = {"content-type": "application/json"}
DAY = 86_400


class BridgeReply(Exception):
    """An error reply, raised inside a handler."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    """A reply in the bridge's error format."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return Response(status, msgspec.json.encode({"error": error}), dict(JSON))


def iso8601(seconds: float) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` of a Unix time (UTC), without reading any clock."""
    millis = int(seconds * 1000)
    days, rest = divmod(millis, DAY * 1000)
    # civil-from-days (proleptic Gregorian), H. Hinnant's algorithm
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (month <= 2)
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{year:04d}-{month:02d}-{day:02d}T{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}Z"


def hex0x(raw: bytes) -> str:
    return "0x" + raw.hex()


@dataclass(frozen=True)
class SimChain:
    """An EVM chain of the local bridge."""

    chain_id: int
    name: str
    messenger: bytes
    outpost: bytes


@dataclass(frozen=True)
class SimRoute:
    """An asset's token on one chain (``token`` None: the native coin)."""

    token: bytes | None
    token_decimals: int
    permit: bool = False


@dataclass
class SimAsset:
    """A bridged asset and its limits (Fuel base units)."""

    symbol: str
    sub_id: bytes
    asset_id: bytes
    fuel_decimals: int
    routes: dict[int, SimRoute]
    deposit_cap: int | None
    withdraw_fee: int
    transaction_limit: int | None
    daily_limit: int | None
    deposited: int = 0


@dataclass
class Prepared:
    operation: str
    raw: bytes
    chain_id: int
    asset: SimAsset
    amount: int
    signer: bytes


@dataclass
class SimDeposit:
    """A submitted deposit."""

    chain_id: int
    evm_tx_hash: str
    asset_id: str
    amount: int
    submitted_at: float
    reverted: bool = False


@dataclass
class SimWithdrawal:
    """A submitted withdrawal."""

    fuel_tx_id: str
    destination_chain_id: int
    asset_id: str
    amount: int
    submitted_at: float
    failure_reason: str | None = None


@dataclass
class DayTotals:
    day: int = -1
    withdrawn: dict[str, int] = field(default_factory=dict)


# --- request decoding ----------------------------------------------------------------


def b64decode_part(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def decode_body(body: bytes, kind: type[T]) -> T:
    try:
        return msgspec.json.decode(body, type=kind, dec_hook=models._dec_hook)
    except Exception as exc:
        detail = str(exc) if isinstance(exc, msgspec.ValidationError) else "not JSON"
        raise BridgeReply(400, "INVALID_REQUEST", f"invalid request body: {detail}"[:300]) from None


class Query:
    """Query parameters, each at most once."""

    def __init__(self, params: dict[str, list[str]]) -> None:
        self._params = params

    def text(self, name: str, required: bool = True) -> str | None:
        values = self._params.get(name)
        if not values:
            if required:
                raise BridgeReply(
                    400, "INVALID_REQUEST", f"missing query parameter {name}", {"field": name}
                )
            return None
        if len(values) > 1:
            raise BridgeReply(400, "INVALID_REQUEST", f"{name} given twice", {"field": name})
        return values[0]

    def chain(self, name: str, required: bool = True) -> int | None:
        value = self.text(name, required)
        if value is None:
            return None
        if not value.isascii() or not value.isdigit() or not 0 < int(value) < 2**64:
            raise BridgeReply(400, "INVALID_REQUEST", f"{name} must be a chain id", {"field": name})
        return int(value)

    def b256(self, name: str, required: bool = True) -> str | None:
        value = self.text(name, required)
        if value is None:
            return None
        try:
            return protocol.check_b256(value, name).lower()
        except InvalidInput as err:
            raise BridgeReply(400, "INVALID_REQUEST", str(err), {"field": name}) from None

    def amount(self, name: str) -> int | None:
        value = self.text(name, False)
        if value is None:
            return None
        try:
            return int(protocol.check_amount(value, name))
        except InvalidInput as err:
            raise BridgeReply(400, "INVALID_REQUEST", str(err), {"field": name}) from None


def need(value: int | str | None) -> Any:
    assert value is not None  # required parameters are never None
    return value
