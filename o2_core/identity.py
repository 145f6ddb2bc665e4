"""Fuel identities: an Address or a ContractId (wire: ``{"Address": "0x..."}``).

:class:`Identity` is one compact, immutable type (decoded natively from the wire).
``AddressIdentity(value)`` and ``ContractIdentity(value)`` build one, and — as in o2-sdk —
``isinstance(identity, ContractIdentity)`` tells which kind it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from .wire import Id, Model, b256


class Identity(Model, omit_defaults=True, frozen=True, gc=False):
    """A Fuel Identity: exactly one of ``address`` or ``contract_id``."""

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

    def to_dict(self) -> dict[str, Any]:
        """The wire form.

        Returns:
            ``{"Address": "0x..."}`` or ``{"ContractId": "0x..."}``.
        """
        return {"ContractId" if self.is_contract else "Address": str(self.value)}


class _IdentityKind(type):
    """Makes ``AddressIdentity``/``ContractIdentity`` build :class:`Identity` values and
    answer ``isinstance`` by kind."""

    _is_contract: bool

    def __call__(cls, value: str) -> Identity:
        if cls._is_contract:
            return Identity(contract_id=b256(value, "contract id"))
        return Identity(address=b256(value, "address"))

    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, Identity) and instance.is_contract == cls._is_contract

    def __subclasscheck__(cls, subclass: type) -> bool:
        return subclass is cls


if TYPE_CHECKING:  # to a type checker they are what they are called for: constructors

    def AddressIdentity(value: str) -> Identity:
        """An Address identity."""

    def ContractIdentity(value: str) -> Identity:
        """A ContractId identity."""

else:

    class AddressIdentity(metaclass=_IdentityKind):
        """An Address identity: ``AddressIdentity(value)`` is an :class:`Identity`."""

        _is_contract = False

    class ContractIdentity(metaclass=_IdentityKind):
        """A ContractId identity: ``ContractIdentity(value)`` is an :class:`Identity`."""

        _is_contract = True


__all__ = ["AddressIdentity", "ContractIdentity", "Identity"]
