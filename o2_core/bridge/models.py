"""The Fast Bridge v1 wire models: msgspec Structs with Python names and camelCase JSON.

Integers the bridge sends as decimal strings (amounts in Fuel base units, fees, limits,
block numbers, Fuel chain ids, permit deadlines) are exact :class:`DecimalInt` values
here, and decimal strings again on the wire and in :meth:`BridgeModel.to_dict`. Times
(``submitted_at``, ``observed_at``, ``resets_at``) stay the strings the bridge sent.

Every class takes its fields positionally in the official ``o2_sdk.bridge.models`` order
and has ``from_dict`` / ``to_dict``. Request models accept an amount as an ``int`` or a
decimal string; the request builders of :mod:`o2_core.bridge.protocol` check them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, get_args

import msgspec

from ..errors import InvalidInput

T = TypeVar("T", bound="BridgeModel")

#: The longest decimal accepted (2**256 - 1 has 78 digits).
MAX_DECIMAL_DIGITS = 78
_DECIMAL = re.compile(r"[0-9]{1,78}\Z")


class DecimalInt(int):
    """A non-negative integer that travels as a decimal string (``"1000000"``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return int.__repr__(self)


def decimal_int(value: object, what: str = "value") -> DecimalInt:
    """A :class:`DecimalInt` from an ``int`` >= 0 or a string of 1..78 decimal digits.

    Raises:
        InvalidInput: anything else (bool, negative, sign, spaces, ``_``, float, ...).
    """
    if isinstance(value, DecimalInt):
        return value
    if type(value) is int and 0 <= value < 10**MAX_DECIMAL_DIGITS:
        return DecimalInt(value)
    if isinstance(value, str) and _DECIMAL.match(value):
        return DecimalInt(int(value))
    raise InvalidInput(f"{what} must be a non-negative integer or decimal string, got {value!r}")


if TYPE_CHECKING:
    #: An integer sent as a decimal string (a :class:`DecimalInt` at run time).
    WireInt = int
    #: What a request model accepts for such an integer: an int or a decimal string.
    WireIntIn = int | str
else:
    WireInt = DecimalInt
    WireIntIn = DecimalInt


def _dec_hook(kind: type, value: Any) -> Any:
    if kind is DecimalInt:
        if not isinstance(value, str):
            raise ValueError("expected a decimal string")
        return decimal_int(value)
    raise NotImplementedError


def _enc_hook(value: Any) -> Any:
    if isinstance(value, DecimalInt):
        return str(int(value))
    raise NotImplementedError(f"cannot encode {type(value).__name__}")


def _is_decimal(kind: Any) -> bool:
    return kind is DecimalInt or DecimalInt in get_args(kind)


class BridgeModel(msgspec.Struct, rename="camel", omit_defaults=True):
    """Base of the wire models: camelCase JSON, ``None`` optional fields left out."""

    _decimal_fields: ClassVar[dict[type, tuple[str, ...]]] = {}

    def __post_init__(self) -> None:
        cls = type(self)
        names = BridgeModel._decimal_fields.get(cls)
        if names is None:
            names = tuple(f.name for f in msgspec.structs.fields(cls) if _is_decimal(f.type))
            BridgeModel._decimal_fields[cls] = names
        for name in names:
            value = getattr(self, name)
            if value is not None and not isinstance(value, DecimalInt):
                setattr(self, name, decimal_int(value, name))

    @classmethod
    def from_dict(cls: type[T], data: Any) -> T:
        """The model of a decoded JSON object (camelCase keys, decimal strings).

        Raises:
            InvalidInput: ``data`` is not of the model's shape.
        """
        try:
            return msgspec.convert(data, cls, dec_hook=_dec_hook)
        except (msgspec.ValidationError, InvalidInput) as exc:
            raise InvalidInput(f"not a valid {cls.__name__}: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of this model (camelCase keys, integers as decimal strings)."""
        _normalise(self)
        result: dict[str, Any] = msgspec.to_builtins(self, enc_hook=_enc_hook)
        return result


def _normalise(value: Any) -> None:
    """Re-apply the decimal conversion to fields assigned after construction."""
    if isinstance(value, BridgeModel):
        value.__post_init__()
        for name in value.__struct_fields__:
            _normalise(getattr(value, name))
    elif isinstance(value, list):
        for item in value:
            _normalise(item)


def encode(model: BridgeModel) -> bytes:
    """The JSON bytes of ``model``."""
    _normalise(model)
    return msgspec.json.encode(model, enc_hook=_enc_hook)


# --- /v1/info ------------------------------------------------------------------------


class FuelContracts(BridgeModel):
    """The bridge's Fuel contracts (``/v1/info``)."""

    fast_bridge: str
    asset_registry: str
    wrapped_assets_minter: str
    gas_oracle: str
    rate_limiter: str


class WithdrawalFuelContracts(BridgeModel):
    """The Fuel contracts a withdrawal touches (``/v1/withdraw/info``)."""

    asset_registry: str
    wrapped_assets_minter: str
    gas_oracle: str
    rate_limiter: str


class ChainSummary(BridgeModel):
    """One EVM chain the bridge serves, with its Messenger and Outpost contracts."""

    chain_id: int
    name: str
    messenger_address: str
    outpost_address: str


class FuelInfo(BridgeModel):
    """The Fuel side: chain id (a decimal string on the wire), network and contracts."""

    chain_id: WireInt
    network: str
    contracts: FuelContracts


class InfoResponse(BridgeModel):
    """``GET /v1/info``: environment, versions, proof lifetime, Fuel and EVM chains."""

    environment: str
    api_version: str
    config_version: str
    preparation_proof_ttl_seconds: int
    fuel: FuelInfo
    chains: list[ChainSummary]


# --- /v1/assets ----------------------------------------------------------------------


class AssetRoute(BridgeModel):
    """An asset's token on one EVM chain (``token_address`` None: the native coin)."""

    chain_id: int
    token_address: str | None
    token_decimals: int


class Asset(BridgeModel):
    """A bridged asset: its full Fuel asset id, symbol, decimals and EVM routes."""

    asset_id: str
    symbol: str
    fuel_decimals: int
    routes: list[AssetRoute]


class AssetsResponse(BridgeModel):
    """``GET /v1/assets``."""

    config_version: str
    assets: list[Asset]


# --- deposits ------------------------------------------------------------------------


class DepositAssetInfo(BridgeModel):
    """Deposit route state of one asset; amounts in Fuel base units."""

    asset_id: str
    token_address: str | None
    token_decimals: int
    fuel_decimals: int
    whitelisted: bool
    deposit_cap: WireInt | None
    deposited_amount: WireInt
    remaining_capacity: WireInt | None
    requires_allowance: bool
    allowance_spender: str | None
    permit_supported: bool
    amount_eligible: bool | None = None
    ineligibility_reason: str | None = None


class DepositInfoResponse(BridgeModel):
    """``GET /v1/deposit/info``."""

    source_chain_id: int
    route_enabled: bool
    messenger_address: str
    paused: bool
    assets: list[DepositAssetInfo]


class DepositPermit(BridgeModel):
    """An EIP-2612 permit for ``depositWithPermit`` (not the transaction signature)."""

    deadline: WireIntIn
    v: int
    r: str
    s: str


class DepositPrepareRequest(BridgeModel):
    """``POST /v1/deposit/prepare``; ``from_address`` is sent as ``"from"``.

    ``amount`` is in Fuel base units (an int or a decimal string).
    """

    source_chain_id: int
    from_address: str = msgspec.field(name="from")
    to: str
    to_type: Literal["address", "contract"]
    asset_id: str
    amount: WireIntIn
    permit: DepositPermit | None = None


class DepositPrepareResponse(BridgeModel):
    """The unsigned EIP-1559 transaction to sign and the opaque preparation proof."""

    unsigned_transaction: str
    preparation_proof: str


class SubmitRequest(BridgeModel):
    """``POST /v1/deposit/submit`` and ``/v1/withdraw/submit``."""

    preparation_proof: str
    unsigned_transaction: str
    signature: str


class DepositSubmitResponse(BridgeModel):
    """A submitted (not confirmed) deposit."""

    source_chain_id: int
    evm_tx_hash: str
    status: Literal["submitted"]
    submitted_at: str


class DepositSourceStatus(BridgeModel):
    """The deposit's EVM transaction: pending, confirmed or reverted."""

    status: Literal["pending", "confirmed", "reverted"]
    block_number: WireInt | None = None
    confirmations: WireInt | None = None


class UnavailableStatus(BridgeModel):
    """A side the bridge does not track (``"unavailable"`` is not a failure)."""

    status: Literal["unavailable"]


class DepositStatusResponse(BridgeModel):
    """``GET /v1/deposit/status``."""

    source_chain_id: int
    evm_tx_hash: str
    source: DepositSourceStatus
    fuel: UnavailableStatus
    request_hash: str | None = None


# --- withdrawals ---------------------------------------------------------------------


class RateLimitInfo(BridgeModel):
    """Withdrawal limits of an asset, in Fuel base units."""

    transaction_limit: WireInt | None
    daily_limit: WireInt | None
    withdrawn_today: WireInt
    remaining_today: WireInt | None
    resets_at: str


class WithdrawAssetInfo(BridgeModel):
    """Withdrawal route state of one asset; fee and amounts in Fuel base units."""

    asset_id: str
    token_address: str | None
    fuel_decimals: int
    token_decimals: int
    withdraw_enabled: bool
    fee: WireInt
    fee_quote_block_height: WireInt
    fee_observed_at: str
    rate_limit: RateLimitInfo
    amount_eligible: bool | None = None
    ineligibility_reason: str | None = None


class WithdrawInfoResponse(BridgeModel):
    """``GET /v1/withdraw/info``."""

    destination_chain_id: int
    route_enabled: bool
    messenger_address: str
    outpost_address: str
    fuel_contracts: WithdrawalFuelContracts
    paused: bool
    recipient_format: Literal["evm-address"]
    assets: list[WithdrawAssetInfo]


class WithdrawFeeResponse(BridgeModel):
    """``GET /v1/withdraw/fee``: the current fee quote, in Fuel base units."""

    destination_chain_id: int
    asset_id: str
    fee: WireInt
    fuel_block_height: WireInt
    observed_at: str
    config_version: str


class WithdrawPrepareRequest(BridgeModel):
    """``POST /v1/withdraw/prepare``; ``from_address`` (a Fuel address) is sent as ``"from"``."""

    destination_chain_id: int
    from_address: str = msgspec.field(name="from")
    to: str
    asset_id: str
    amount: WireIntIn


class WithdrawPrepareResponse(BridgeModel):
    """The unsigned Fuel script transaction, the Fuel chain id it claims, and the proof."""

    unsigned_transaction: str
    fuel_chain_id: WireInt
    preparation_proof: str


class WithdrawSubmitResponse(BridgeModel):
    """A submitted (not confirmed) withdrawal."""

    fuel_tx_id: str
    status: Literal["submitted"]
    submitted_at: str


class FuelStatus(BridgeModel):
    """The withdrawal's Fuel transaction: pending, success or reverted."""

    status: Literal["pending", "success", "reverted"]
    block_height: WireInt | None = None
    failure_reason: str | None = None


class WithdrawStatusResponse(BridgeModel):
    """``GET /v1/withdraw/status``."""

    fuel_tx_id: str
    fuel: FuelStatus
    request_hash: str | None = None
    destination_chain_id: int | None = None
    destination: UnavailableStatus | None = None


__all__ = [
    "Asset",
    "AssetRoute",
    "AssetsResponse",
    "BridgeModel",
    "ChainSummary",
    "DecimalInt",
    "DepositAssetInfo",
    "DepositInfoResponse",
    "DepositPermit",
    "DepositPrepareRequest",
    "DepositPrepareResponse",
    "DepositSourceStatus",
    "DepositStatusResponse",
    "DepositSubmitResponse",
    "FuelContracts",
    "FuelInfo",
    "FuelStatus",
    "InfoResponse",
    "RateLimitInfo",
    "SubmitRequest",
    "UnavailableStatus",
    "WireInt",
    "WireIntIn",
    "WithdrawAssetInfo",
    "WithdrawFeeResponse",
    "WithdrawInfoResponse",
    "WithdrawPrepareRequest",
    "WithdrawPrepareResponse",
    "WithdrawSubmitResponse",
    "WithdrawalFuelContracts",
    "decimal_int",
    "encode",
]
