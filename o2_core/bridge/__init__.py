"""The O2 Fast Bridge: deposits and withdrawals between EVM chains and Fuel.

The same public names as the official ``o2_sdk.bridge`` (swap the import), over this
SDK's transports, plus the sans-I/O pieces they are made of:

- :mod:`.protocol`: request builders and reply parsers (pure);
- :mod:`.models`: the wire models (msgspec Structs, camelCase JSON, exact integers);
- :mod:`.inspection`: offline parsing of proofs and unsigned transactions (pure);
- :mod:`.encoding`: the inverse encoders (used by the local bridge and the tests);
- :mod:`.client`: :class:`FastBridgeClient` (anyio);
- :mod:`o2_core.bridge.errors`: where the bridge's errors sit in :mod:`o2_core.errors`.
"""

from .client import FAST_BRIDGE_MAINNET_URL, FAST_BRIDGE_TESTNET_URL, FastBridgeClient
from .errors import (
    BridgeApiError,
    BridgeInspectionError,
    BridgeInvalidResponse,
    BridgeTimeout,
    BridgeTransportError,
)
from .inspection import (
    parse_evm_unsigned_transaction,
    parse_fuel_unsigned_transaction,
    parse_preparation_proof,
)

__all__ = [
    "FAST_BRIDGE_MAINNET_URL",
    "FAST_BRIDGE_TESTNET_URL",
    "BridgeApiError",
    "BridgeInspectionError",
    "BridgeInvalidResponse",
    "BridgeTimeout",
    "BridgeTransportError",
    "FastBridgeClient",
    "parse_evm_unsigned_transaction",
    "parse_fuel_unsigned_transaction",
    "parse_preparation_proof",
]
