"""The local O2 exchange simulator: pure (no sockets, no event loop, no clock reads).

Layered one way, lower first:

- :mod:`.config`, :mod:`.errors`, :mod:`.reverts`, :mod:`.commands`, :mod:`.nonces`:
  configuration, the structured error, on-chain reverts, the engine's typed commands,
  and the parallel nonce track's sliding windows.
- :mod:`.state`, :mod:`.trading`, :mod:`.audit`, :mod:`.history`, :mod:`.auth`,
  :mod:`.summaries`, :mod:`.chain`, :mod:`.owner`, :mod:`.batches`, :mod:`.engine`: the
  matching and ledger engine (accounts, signatures, both nonce tracks, sessions,
  withdrawals, upgrades, action batches, balances and tickers, matching, expiry), which
  takes commands and returns committed changes; it knows nothing of JSON or HTTP.
- :mod:`.requests` (bodies and frames into commands), :mod:`.views` (JSON renderings).
- :mod:`.faults`, :mod:`.rest` (``Request`` -> ``Outcome``) and :mod:`.ws` (connections,
  subscriptions, frames).
- :mod:`.exchange`: the :class:`Exchange` facade the adapters and tests use.

``Exchange(clock=...)`` answers :class:`~o2_core.http.Request` values with
:class:`~o2_core.http.Response` values and keeps WebSocket connections as plain state;
the in-memory transport (``o2_transport_memory``) and the HTTP server
(``o2_sim_server``) are thin adapters around it. The local Fast Bridge
(:mod:`.bridge`, ``BridgeSim``) is a separate simulator the same adapters serve beside it.
"""

from .commands import OrderTypeSpec
from .config import (
    DEFAULT_MIN_ORDER,
    AssetConfig,
    MarketConfig,
    SimConfig,
    default_config,
    derive_id,
)
from .engine import Engine
from .errors import FaucetRefusal, SimError
from .exchange import Exchange, ManualClock
from .faults import DropConnection, Faults, HttpFault, Outcome
from .nonces import LaneWindow
from .reverts import Revert, revert_body
from .state import Account, Committed, MarketState, Order, Trade, Tx
from .ws import CLOSE_DROPPED, CLOSE_SLOW_CONSUMER, WsConnection

__all__ = [
    "CLOSE_DROPPED",
    "CLOSE_SLOW_CONSUMER",
    "DEFAULT_MIN_ORDER",
    "Account",
    "AssetConfig",
    "Committed",
    "DropConnection",
    "Engine",
    "Exchange",
    "FaucetRefusal",
    "Faults",
    "HttpFault",
    "LaneWindow",
    "ManualClock",
    "MarketConfig",
    "MarketState",
    "Order",
    "OrderTypeSpec",
    "Outcome",
    "Revert",
    "SimConfig",
    "SimError",
    "Trade",
    "Tx",
    "WsConnection",
    "default_config",
    "derive_id",
    "revert_body",
]
