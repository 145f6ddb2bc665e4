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
    """A clock for tests: returns ``now`` until told otherwise.

    Args:
        now: the time it starts at, in unix seconds.
    """

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = float(now)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward.

        Args:
            seconds: how far.
        """
        self.now += seconds


class Exchange:
    """The local O2 exchange.

    ``engine``, ``rest`` and ``ws`` are its three layers; the attributes below are
    read-only views for tests and tools.

    Args:
        config: the configuration (default: :func:`default_config` of ``seed``).
        clock: returns unix seconds (the adapters pass ``time.time``; tests inject a
            :class:`ManualClock`); read once per request or frame.
        seed: the seed of the default configuration (0 when not given).
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
        """Answer one request and say what the adapter must do (delay, drop).

        Args:
            request: the request.

        Returns:
            The reply, with the delay or dropped connection a scripted fault asks for.
        """
        return self.rest.process(request, self.clock())

    def handle(self, request: Request) -> Response:
        """Answer one request.

        Args:
            request: the request.

        Returns:
            The reply (a scripted delay is ignored).

        Raises:
            DropConnection: a scripted ``drop`` fault.
        """
        outcome = self.process(request)
        if outcome.drop or outcome.response is None:
            raise DropConnection(f"connection dropped by a fault: {request.method} {request.url}")
        return outcome.response

    # --- WebSocket -------------------------------------------------------------------

    def ws_connect(self) -> WsConnection:
        """Open a WebSocket connection.

        Returns:
            The connection's state (frames for the client land in its ``outbox``).

        Raises:
            DropConnection: a scripted refusal (``faults.reject_ws_connects``).
        """
        if self.faults.take_ws_connect():
            raise DropConnection("WebSocket connection refused by a fault")
        return self.ws.connect()

    def ws_receive(self, conn: WsConnection, data: str | bytes) -> None:
        """Handle one client frame; replies land in ``conn.outbox``.

        Args:
            conn: the connection.
            data: the frame's text.
        """
        self.ws.receive(conn, data, self.clock())

    def ws_close(self, conn: WsConnection) -> None:
        """Forget a connection (idempotent).

        Args:
            conn: the connection.
        """
        self.ws.close(conn)

    def drop_ws_connections(self) -> int:
        """Mark every WebSocket connection closed (adapters then close their sockets).

        Returns:
            How many connections were dropped.
        """
        return self.ws.drop_all()

    def inject_ws_frame(self, text: str, conn: WsConnection | None = None) -> None:
        """Push a raw (possibly malformed) frame to one or every connection.

        Args:
            text: the frame.
            conn: the connection (None: every one).
        """
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
        """Make an account legacy (its parallel entry points revert with ``Revert(123)`` until
        ``POST /v1/accounts/upgrade``) or current again.

        Args:
            trade_account_id: the account's id (hex).
            legacy: legacy (True) or current (False).
        """
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
        """Put a trading account with a chosen id, owner and sequential nonce in place (e.g. to
        replay requests recorded against other ids).

        Args:
            trade_account_id: the account's id (hex).
            owner: the owner's address (hex).
            nonce: its sequential nonce.
            legacy: start on the legacy implementation.
            owner_is_contract: the owner is a contract.

        Returns:
            The account.

        Raises:
            ValueError: that account or owner already exists.
        """
        return self.engine.install_account(
            normalize_id(trade_account_id),
            normalize_id(owner),
            owner_is_contract,
            self.clock(),
            nonce=nonce,
            legacy=legacy,
        )

    def market(self, name: str) -> MarketState:
        """A market by pair (``"fFUEL/fUSDC"``), market id or contract id.

        Args:
            name: the pair or id.

        Returns:
            The market's state.

        Raises:
            KeyError: no such market.
        """
        market = self.engine.find_market(name)
        if market is None:
            raise KeyError(name)
        return market

    def book_levels(self, name: str) -> dict[str, list[tuple[int, int]]]:
        """Exact price levels of a market, best first.

        Args:
            name: the pair or id of the market.

        Returns:
            ``{"buys": [(price, quantity), ...], "sells": [...]}`` in chain integers.

        Raises:
            KeyError: no such market.
        """
        return audit.book_levels(self.market(name))

    def balances(self, trade_account_id: str) -> dict[str, dict[str, int]]:
        """An account's funds, per asset.

        Args:
            trade_account_id: the account's id (hex).

        Returns:
            By asset id: ``{"trading": ..., "locked": ..., "unlocked": ...}`` (locked and
            unlocked summed over the account's order books).
        """
        return audit.account_balances(self.engine.ledger, normalize_id(trade_account_id))

    def asset_totals(self, asset: str) -> dict[str, int]:
        """Where every unit of an asset is: must add up to ``minted``.

        Args:
            asset: the asset id.

        Returns:
            Amounts by place (``minted``, ``trading``, ``locked``, ``unlocked``, ``fees``,
            ``wallets`` ...).
        """
        return audit.asset_totals(self.engine.ledger, asset)

    def check_invariants(self) -> None:
        """Raise AssertionError if the state is inconsistent.

        Raises:
            AssertionError: an invariant does not hold.
        """
        self.engine.check_invariants()

    def snapshot(self) -> dict[str, Any]:
        """The whole observable state as plain data (equal snapshots = same state).

        Returns:
            Nested dicts and lists of builtins.
        """
        return self.engine.snapshot()
