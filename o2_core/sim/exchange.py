"""The local O2 exchange: a small facade wiring the engine, REST and WebSocket layers.

``Exchange(config, clock=...)`` is what the adapters (``o2_transport_memory``,
``o2_sim_server``) and the tests hold. It reads the injected clock once per request or
frame and hands the time down; it never reads the wall clock itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..http import Request, Response
from . import audit
from .config import AssetConfig, SimConfig, default_config
from .engine import Engine
from .faults import DropConnection, Faults, Outcome
from .requests import normalize_id
from .rest import RestApi
from .state import Account, MarketState, Order
from .ws import WsConnection, WsHub


class ManualClock:
    """A clock for tests: returns ``now`` until told otherwise."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = float(now)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


class Exchange:
    """The local O2 exchange.

    ``clock`` returns unix seconds (the adapters pass ``time.time``; tests inject a
    :class:`ManualClock`). Everything else is derived from ``config`` (default:
    :func:`default_config` of ``seed``). ``engine``, ``rest`` and ``ws`` are the three
    layers; the attributes below are read-only views for tests and tools.
    """

    def __init__(
        self,
        config: SimConfig | None = None,
        *,
        clock: Callable[[], float],
        seed: int | None = None,
    ) -> None:
        if config is None:
            config = default_config(0 if seed is None else seed)
        self.config = config
        self.clock = clock
        self.seed = config.seed
        self.faults = Faults()
        self.engine = Engine(config)
        self.rest = RestApi(self.engine, self.faults)
        self.ws = WsHub(self.engine)
        self.engine.on_commit(self.ws.publish)

    # --- REST ------------------------------------------------------------------------

    def process(self, request: Request) -> Outcome:
        """Answer one request and say what the adapter must do (delay, drop)."""
        return self.rest.process(request, self.clock())

    def handle(self, request: Request) -> Response:
        """Answer one request. Raises :class:`DropConnection` for a ``drop`` fault."""
        outcome = self.process(request)
        if outcome.drop or outcome.response is None:
            raise DropConnection(f"connection dropped by a fault: {request.method} {request.url}")
        return outcome.response

    # --- WebSocket -------------------------------------------------------------------

    def ws_connect(self) -> WsConnection:
        """Open a WebSocket connection (raises :class:`DropConnection` for a fault)."""
        if self.faults.take_ws_connect():
            raise DropConnection("WebSocket connection refused by a fault")
        return self.ws.connect()

    def ws_receive(self, conn: WsConnection, data: str | bytes) -> None:
        """Handle one client frame; replies land in ``conn.outbox``."""
        self.ws.receive(conn, data, self.clock())

    def ws_close(self, conn: WsConnection) -> None:
        """Forget a connection (idempotent)."""
        self.ws.close(conn)

    def drop_ws_connections(self) -> int:
        """Mark every WebSocket connection closed (adapters then close their sockets)."""
        return self.ws.drop_all()

    def inject_ws_frame(self, text: str, conn: WsConnection | None = None) -> None:
        """Push a raw (possibly malformed) frame to one or every connection."""
        self.ws.inject(text, conn)

    # --- inspection (tests, invariants) ----------------------------------------------

    @property
    def assets(self) -> dict[str, AssetConfig]:
        """Assets by id."""
        return self.engine.ledger.assets

    @property
    def markets(self) -> dict[str, MarketState]:
        """Markets by market id."""
        return self.engine.ledger.markets

    @property
    def accounts(self) -> dict[str, Account]:
        """Trading accounts by id."""
        return self.engine.ledger.accounts

    @property
    def orders(self) -> dict[str, Order]:
        """Every order by id."""
        return self.engine.ledger.orders

    @property
    def whitelist(self) -> set[str]:
        """Whitelisted trading account ids."""
        return self.engine.ledger.whitelist

    @property
    def wallets(self) -> dict[str, dict[str, int]]:
        """Funds paid out to plain addresses (faucet, withdrawals), per asset."""
        return self.engine.ledger.wallets

    # --- test hooks (accounts) ----------------------------------------------------------

    def set_legacy(self, trade_account_id: str, legacy: bool = True) -> None:
        """Make an account legacy (its parallel entry points revert with ``Revert(123)``
        until ``POST /v1/accounts/upgrade``) or current again."""
        self.engine.set_legacy(self.accounts[normalize_id(trade_account_id)], legacy)

    def install_account(
        self,
        trade_account_id: str,
        owner: str,
        *,
        nonce: int = 0,
        legacy: bool = False,
        owner_is_contract: bool = False,
    ) -> Account:
        """Put a trading account with a chosen id, owner and sequential nonce in place
        (e.g. to replay requests recorded against other ids). Ids are hex."""
        return self.engine.install_account(
            normalize_id(trade_account_id),
            normalize_id(owner),
            owner_is_contract,
            self.clock(),
            nonce=nonce,
            legacy=legacy,
        )

    def market(self, name: str) -> MarketState:
        """A market by pair (``"fFUEL/fUSDC"``), market id or contract id."""
        market = self.engine.find_market(name)
        if market is None:
            raise KeyError(name)
        return market

    def book_levels(self, name: str) -> dict[str, list[tuple[int, int]]]:
        """Exact price levels of a market, best first: ``{"buys": [(p, q)], "sells": ...}``."""
        return audit.book_levels(self.market(name))

    def balances(self, trade_account_id: str) -> dict[str, dict[str, int]]:
        """Per asset: trading, locked and unlocked (summed over books) of an account."""
        return audit.account_balances(self.engine.ledger, normalize_id(trade_account_id))

    def asset_totals(self, asset: str) -> dict[str, int]:
        """Where every unit of an asset is: must add up to ``minted``."""
        return audit.asset_totals(self.engine.ledger, asset)

    def check_invariants(self) -> None:
        """Raise AssertionError if the state is inconsistent."""
        self.engine.check_invariants()

    def snapshot(self) -> dict[str, Any]:
        """The whole observable state as plain data (equal snapshots = same state)."""
        return self.engine.snapshot()
