"""Networks the SDK can talk to, and the configuration of each."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Network(Enum):
    """A named O2 deployment.

    ``LOCAL`` is the embedded local exchange simulator (no network at all): an
    ``O2Client(network=Network.LOCAL)`` runs against an in-process simulator.
    """

    TESTNET = "testnet"
    DEVNET = "devnet"
    MAINNET = "mainnet"
    LOCAL = "local"


@dataclass(frozen=True)
class NetworkConfig:
    """Endpoints of one deployment (field names as in the official SDK)."""

    api_base: str
    ws_url: str
    fuel_rpc: str = ""
    faucet_url: str | None = None
    whitelist_required: bool = False

    def __post_init__(self) -> None:
        for name in ("api_base", "ws_url"):
            value = getattr(self, name)
            if not isinstance(value, str) or "://" not in value:
                raise ValueError(f"NetworkConfig.{name} must be an absolute URL, got {value!r}")
        object.__setattr__(self, "api_base", self.api_base.rstrip("/"))


#: Host name used by the in-memory transport of the local simulator; never resolved.
LOCAL_HOST = "o2.local"

NETWORK_CONFIGS: dict[Network, NetworkConfig] = {
    Network.TESTNET: NetworkConfig(
        api_base="https://api.testnet.o2.app",
        ws_url="wss://api.testnet.o2.app/v1/ws",
        fuel_rpc="https://testnet.fuel.network/v1/graphql",
        faucet_url="https://fuel-o2-faucet.vercel.app/api/testnet/mint-v2",
    ),
    Network.DEVNET: NetworkConfig(
        api_base="https://api.devnet.o2.app",
        ws_url="wss://api.devnet.o2.app/v1/ws",
        fuel_rpc="https://devnet.fuel.network/v1/graphql",
        faucet_url="https://fuel-o2-faucet.vercel.app/api/devnet/mint-v2",
    ),
    Network.MAINNET: NetworkConfig(
        api_base="https://api.o2.app",
        ws_url="wss://api.o2.app/v1/ws",
        fuel_rpc="https://mainnet.fuel.network/v1/graphql",
    ),
    Network.LOCAL: NetworkConfig(
        api_base=f"http://{LOCAL_HOST}",
        ws_url=f"ws://{LOCAL_HOST}/v1/ws",
        faucet_url=f"http://{LOCAL_HOST}/faucet/mint-v2",
        whitelist_required=True,
    ),
}


def get_config(network: Network) -> NetworkConfig:
    """The built-in configuration of ``network``.

    Args:
        network: a named deployment.

    Returns:
        Its endpoints (``Network.LOCAL``: the embedded local exchange).
    """
    return NETWORK_CONFIGS[network]
