"""Hex identifiers and Fuel identities, as they travel on the wire.

Hex ids are accepted with or without ``0x``, in any case, and always shown as lowercase
``0x...`` (:class:`Id`). An :class:`Identity` is an Address or a ContractId.
"""

from __future__ import annotations

import msgspec

from .errors import InvalidInput

_HEX_DIGITS = frozenset("0123456789abcdef")


class Id(str):
    """A hex identifier, always shown as lowercase ``0x...``.

    Comparison with a plain string ignores case and the ``0x`` prefix.
    """

    __slots__ = ()

    def __new__(cls, value: str) -> Id:
        if isinstance(value, Id):
            return value
        if not isinstance(value, str):
            raise InvalidInput(f"an id must be a hex string, got {type(value).__name__}")
        raw = value.strip().lower()
        if raw.startswith("0x"):
            raw = raw[2:]
        if not raw or not _HEX_DIGITS.issuperset(raw):
            raise InvalidInput(f"an id must be a non-empty hex string, got {value!r}")
        return super().__new__(cls, "0x" + raw)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Id):
            return str.__eq__(self, other)
        if isinstance(other, str):
            low = other.lower()
            return str.__eq__(self, low if low.startswith("0x") else "0x" + low)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = str.__hash__

    def __repr__(self) -> str:
        return f"Id({str.__repr__(self)})"

    def to_bytes(self) -> bytes:
        """The id's raw bytes."""
        digits = self[2:]
        return bytes.fromhex(digits if len(digits) % 2 == 0 else "0" + digits)


def b256(value: str, what: str = "id") -> Id:
    """An :class:`Id` that must be exactly 32 bytes (64 hex digits)."""
    ident = Id(value)
    if len(ident) != 66:
        raise InvalidInput(f"{what} must be 32 bytes (64 hex digits), got {value!r}")
    return ident


class Identity(msgspec.Struct, omit_defaults=True, frozen=True, gc=False):
    """A Fuel Identity: an Address or a ContractId (wire: ``{"Address": "0x.."}``)."""

    address: Id | None = msgspec.field(default=None, name="Address")
    contract_id: Id | None = msgspec.field(default=None, name="ContractId")

    def __post_init__(self) -> None:
        if (self.address is None) == (self.contract_id is None):
            raise ValueError("an Identity is exactly one of Address or ContractId")

    @property
    def value(self) -> Id:
        """The 32-byte id as hex."""
        return self.address if self.address is not None else self.contract_id  # type: ignore[return-value]

    @property
    def is_contract(self) -> bool:
        """True for a ContractId."""
        return self.contract_id is not None

    @property
    def discriminant(self) -> int:
        """0 for Address, 1 for ContractId (the ABI encoding)."""
        return 1 if self.contract_id is not None else 0

    @property
    def address_bytes(self) -> bytes:
        """The 32 raw bytes."""
        return bytes.fromhex(self.value[2:])

    def to_dict(self) -> dict[str, str]:
        """The wire form."""
        return {"ContractId" if self.is_contract else "Address": str(self.value)}


def AddressIdentity(value: str) -> Identity:
    """An Address identity."""
    return Identity(address=b256(value, "address"))


def ContractIdentity(value: str) -> Identity:
    """A ContractId identity."""
    return Identity(contract_id=b256(value, "contract id"))


__all__ = ["AddressIdentity", "ContractIdentity", "Id", "Identity", "b256"]
