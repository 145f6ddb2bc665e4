"""A local Fast Bridge: the bridge's v1 API as a pure state machine (no I/O, no clock read).

``BridgeSim(clock=..., seed=...)`` answers :class:`~o2_core.http.Request` values whose URL
path starts with ``base_path`` (default ``/bridge``) with :class:`~o2_core.http.Response`
values, as ``https://bridge.o2.app`` would answer ``/v1/...``:

- configuration: two EVM chains (11155111 and 84532) with Messenger and Outpost
  addresses, two assets (``ETH``: native on both chains; ``USDC``: an ERC-20 with
  permits on 11155111), Fuel contracts, all derived from ``seed``;
- deposits: ``prepare`` builds a REAL unsigned EIP-1559 Messenger call (``depositETH``,
  ``deposit`` or ``depositWithPermit``, the sender's next nonce, Fuel units converted
  to token units) and an HMAC-SHA256 preparation proof bound to the operation and the
  exact bytes; ``submit`` checks the proof (MAC, expiry), the transaction's nonce and the
  secp256k1 signature (it must recover the claimed sender), and computes the signed
  transaction's hash; the status goes pending -> confirmed (or reverted, on request)
  as the injected clock passes ``confirm_seconds``;
- withdrawals: ``prepare`` builds a REAL unsigned Fuel Script transaction calling
  ``withdraw_via_fast_bridge_with_fee`` (coins of the sender, the bridge's contracts,
  change and variable outputs, maxFee/expiration policies, the fee quote); ``submit``
  checks the proof, parses the transaction with the SDK's own inspection, and verifies
  the Fuel signature over its id against the claimed owner; status pending -> success
  (or reverted);
- caps, daily rate limits, pauses and every error in the bridge's format
  ``{"error": {"code", "message", "details"}}``.

Test hooks: :meth:`BridgeSim.pause`, :meth:`BridgeSim.revert_deposit`,
:meth:`BridgeSim.revert_withdrawal`, :meth:`BridgeSim.script` (a canned reply).

Modules, lower first: :mod:`.model` (constants, errors, records, request decoding),
:mod:`.base` (configuration, state, hooks, shared checks, reads), :mod:`.deposits` and
:mod:`.withdrawals` (the two flows), :mod:`.routing` (:class:`BridgeSim`: requests to
handlers). It imports nothing of the exchange's simulator, and the exchange's modules
import nothing of it; the adapters (``o2_sim_server``, ``o2_transport_memory``) serve
both side by side.
"""

from __future__ import annotations

from .model import (
    BASE_SEPOLIA,
    BRIDGE_BASE_PATH,
    SEPOLIA,
    BridgeReply,
    SimAsset,
    SimChain,
    SimDeposit,
    SimRoute,
    SimWithdrawal,
    error_response,
    iso8601,
)
from .routing import BridgeSim

__all__ = [
    "BASE_SEPOLIA",
    "BRIDGE_BASE_PATH",
    "SEPOLIA",
    "BridgeReply",
    "BridgeSim",
    "SimAsset",
    "SimChain",
    "SimDeposit",
    "SimRoute",
    "SimWithdrawal",
    "error_response",
    "iso8601",
]
