"""The local O2 exchange simulator: a pure engine (no sockets, no event loop, no clock).

``Exchange(clock=...)`` answers :class:`~o2_core.http.Request` values with
:class:`~o2_core.http.Response` values and keeps WebSocket connections as plain state;
the in-memory transport (``o2_transport_memory``) and the HTTP server
(``o2_sim_server``) are thin adapters around it.
"""

from .book import Order, Trade, Tx
from .config import AssetConfig, MarketConfig, SimConfig, default_config, derive_id
from .engine import Account, ApiError, Exchange, ManualClock, MarketState
from .faults import DropConnection, Faults, HttpFault, Outcome
from .reverts import Revert, revert_body
from .ws import WsConnection

__all__ = [
    "Account",
    "ApiError",
    "AssetConfig",
    "DropConnection",
    "Exchange",
    "Faults",
    "HttpFault",
    "ManualClock",
    "MarketConfig",
    "MarketState",
    "Order",
    "Outcome",
    "Revert",
    "SimConfig",
    "Trade",
    "Tx",
    "WsConnection",
    "default_config",
    "derive_id",
    "revert_body",
]
