"""Typed values: every REST reply, WebSocket frame and user-facing result.

msgspec ``Struct``s decoded straight from bytes. u64/u128 values are accepted as JSON
strings or numbers and become ``int``; hex ids are accepted with or without ``0x`` in any
case and become lowercase ``0x...`` (:class:`Id`). Attribute names follow the seed docs.

The markets (:class:`Market` and its replies) are defined in :mod:`o2_core.market_models`;
this module re-exports them with every other model, as o2-sdk's ``models`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec

from .book import DepthBook
from .depth import DepthChange, DepthChanges, DepthLevel, DepthSnapshot, DepthUpdate
from .identity import AddressIdentity, ContractIdentity, Identity
from .inputs import (
    Action,
    AnyOrderType,
    BoundedMarketOrder,
    CancelOrderAction,
    CancelOrderRequestAction,
    CreateOrderAction,
    CreateOrderRequestAction,
    LimitOrder,
    MarketActions,
    OrderSide,
    OrderType,
    RegisterRefererAction,
    SettleBalanceAction,
    SettleBalanceRequestAction,
    UserAction,
)
from .market_models import (
    U64,
    Decimals,
    Market,
    MarketAsset,
    MarketsResponse,
    MarketSummary,
    MarketTicker,
)
from .markets import ChainInt, NumericInput
from .session import SessionInfo
from .wire import Id, Model, b256, decode, decoder, encode

T = TypeVar("T")

# --- accounts, sessions --------------------------------------------------------------


class TradeAccount(Model, frozen=True):
    """The on-chain trading account record.

    ``sync_state`` is the indexer's record shape as sent: ``"None"`` or ``{"V3": {...}}``.
    """

    owner: Identity
    nonce: int = 0
    last_modification: int = 0
    synced_with_network: bool | None = None
    sync_state: dict[str, Any] | str | None = None

    @property
    def sync_generation(self) -> int:
        """The indexer's sync generation from ``sync_state`` (``{"V3": ...}`` is 3; none
        is 0). Not the account's implementation: it says nothing about parallel-nonce
        support (use :meth:`~o2_core.client.O2Client.probe_parallel_support`)."""
        if isinstance(self.sync_state, dict):
            for key in self.sync_state:
                if key[:1] == "V" and key[1:].isdigit():
                    return int(key[1:])
        return 0


class AccountSession(Model, frozen=True):
    """The session currently registered on an account, as ``GET /v1/accounts`` shows it."""

    session_id: Identity | str | None = None
    expiry: int | None = None
    contract_ids: list[Id] = msgspec.field(default_factory=list)


class AccountInfo(Model, frozen=True):
    """``GET /v1/accounts``: the trading account of an owner, or none."""

    trade_account_id: Id | None = None
    trade_account: TradeAccount | None = None
    session: AccountSession | None = None

    @property
    def exists(self) -> bool:
        """True when the owner has a trading account."""
        return self.trade_account_id is not None

    @property
    def nonce(self) -> int:
        """The account's current nonce (0 when there is no account)."""
        return self.trade_account.nonce if self.trade_account is not None else 0

    @property
    def sync_generation(self) -> int:
        """:attr:`TradeAccount.sync_generation` (0 when there is no account)."""
        return self.trade_account.sync_generation if self.trade_account is not None else 0


class AccountCreateResponse(Model, frozen=True):
    """``POST /v1/accounts``."""

    trade_account_id: Id
    nonce: int = 0


class SessionResponse(Model, frozen=True):
    """``PUT /v1/session``."""

    tx_id: Id
    trade_account_id: Id
    session_id: Identity
    contract_ids: list[Id] = msgspec.field(default_factory=list)
    session_expiry: int = 0


# --- orders, trades, balances --------------------------------------------------------


_ORDER_INTS = ("quantity", "quantity_fill", "price", "price_fill", "timestamp", "desired_quantity")


class Order(Model, frozen=True):
    """An order as the exchange reports it. Open while ``close`` is false."""

    order_id: Id
    side: str = ""
    order_type: Any = None
    quantity: int = 0
    quantity_fill: int = 0
    price: int = 0
    price_fill: int = 0
    timestamp: int = 0
    close: bool = False
    partially_filled: bool = False
    cancel: bool = False
    market_id: Id | None = None
    account: Identity | None = None
    owner: Identity | None = None
    desired_quantity: int | None = None
    base_decimals: int | None = None
    #: The detail records some replies carry, kept as sent.
    fill: dict[str, Any] | None = None
    fills: list[Any] | None = None
    history: list[Any] | None = None
    order_tx_history: list[Any] | None = None

    def __post_init__(self) -> None:
        # A decoded order holds ints: one inline test spares the stream the general path.
        if not (
            type(self.quantity) is type(self.quantity_fill) is type(self.price)
            is type(self.price_fill) is type(self.timestamp) is int
            and type(self.desired_quantity) is not str  # type: ignore[comparison-overlap]
        ):
            self._accept_text(_ORDER_INTS, int)

    @property
    def is_open(self) -> bool:
        """True while the order rests on the book."""
        return not self.close


class OrdersResponse(Model, frozen=True):
    """``GET /v1/orders``."""

    orders: list[Order] = msgspec.field(default_factory=list)
    identity: Identity | None = None
    market_id: Id | None = None


class OrderReply(Model, frozen=True):
    """``GET /v1/order``."""

    order: Order


class Trade(Model, frozen=True):
    """A trade. ``side`` is the maker's side; ``trader_side`` (maker/taker/both) only in
    account-scoped queries; ``timestamp`` in milliseconds."""

    trade_id: str
    side: str = ""
    total: int = 0
    quantity: int = 0
    price: int = 0
    timestamp: int = 0
    maker: Identity | None = None
    taker: Identity | None = None
    trader_side: str | None = None
    market_id: Id | None = None


class TradesResponse(Model, frozen=True):
    """``GET /v1/trades`` and ``/v1/trades_by_account``."""

    trades: list[Trade] = msgspec.field(default_factory=list)
    market_id: Id | None = None


class OrderBookBalance(Model, frozen=True):
    """Funds of one account inside one order-book contract."""

    locked: int = 0
    unlocked: int = 0
    fee: int = 0


class Balance(Model, frozen=True):
    """``GET /v1/balance``: one asset of one account.

    ``total_unlocked`` already includes ``trading_account_balance``. The fields are in
    o2-sdk's order (``Balance(order_books, total_locked, total_unlocked,
    trading_account_balance)``).
    """

    order_books: dict[str, OrderBookBalance] = msgspec.field(default_factory=dict)
    total_locked: int = 0
    total_unlocked: int = 0
    trading_account_balance: int = 0

    def __post_init__(self) -> None:
        self._accept_text(("total_locked", "total_unlocked", "trading_account_balance"), int)

    @property
    def available(self) -> int:
        """What new orders can use (``total_unlocked``)."""
        return self.total_unlocked

    @property
    def locked(self) -> int:
        """Locked in open orders (``total_locked``)."""
        return self.total_locked

    @property
    def total(self) -> int:
        """Everything, unlocked and locked."""
        return self.total_unlocked + self.total_locked


class Bar(Model, frozen=True):
    """One OHLCV candle; ``timestamp`` in milliseconds."""

    open: int = 0
    high: int = 0
    low: int = 0
    close: int = 0
    buy_volume: int = 0
    sell_volume: int = 0
    timestamp: int = 0

    @property
    def time(self) -> int:
        """Alias of ``timestamp`` (the seed docs' name)."""
        return self.timestamp

    @property
    def volume(self) -> int:
        """Total volume, buy and sell."""
        return self.buy_volume + self.sell_volume


class BarsResponse(Model, frozen=True):
    """``GET /v1/bars`` when wrapped in an object."""

    bars: list[Bar] = msgspec.field(default_factory=list)


# --- action, withdraw and analytics replies ------------------------------------------


class ActionsResponse(Model, frozen=True):
    """``POST /v1/session/actions``: ``tx_id`` on success, created ``orders`` if asked."""

    tx_id: Id | None = None
    orders: list[Order] | None = None
    message: str | None = None
    reason: str | None = None
    receipts: Any = None
    code: int | None = None

    @property
    def success(self) -> bool:
        """True when the batch executed (a ``tx_id`` is present)."""
        return self.tx_id is not None


class WithdrawResponse(Model, frozen=True):
    """``POST /v1/accounts/withdraw``."""

    tx_id: Id | None = None
    message: str | None = None

    @property
    def success(self) -> bool:
        """True when the withdrawal executed."""
        return self.tx_id is not None


class WhitelistResponse(Model, frozen=True):
    """``POST /analytics/v1/whitelist``."""

    success: bool = False
    trade_account: str = msgspec.field(default="", name="tradeAccount")
    already_whitelisted: bool = msgspec.field(default=False, name="alreadyWhitelisted")


class ReferralInfo(Model, frozen=True):
    """``GET /analytics/v1/referral/code-info``."""

    valid: bool = False
    owner_address: str | None = msgspec.field(default=None, name="ownerAddress")
    is_active: bool | None = msgspec.field(default=None, name="isActive")


class FaucetResponse(Model, frozen=True):
    """The faucet's reply: ``message`` on success, ``error`` otherwise (e.g. cooldown)."""

    message: str | None = None
    error: str | None = None

    @property
    def success(self) -> bool:
        """True when the faucet minted."""
        return self.error is None and self.message is not None


class AggregatedAsset(Model, frozen=True):
    """``GET /v1/aggregated/assets`` entry."""

    id: str
    symbol: str = ""
    name: str = ""


# --- stream updates ------------------------------------------------------------------


class OrderUpdate(Model, frozen=True):
    """An orders-stream message (immutable: consumers may share it)."""

    orders: tuple[Order, ...] = ()
    onchain_timestamp: int | None = None
    seen_timestamp: int | None = None


class TradeUpdate(Model, frozen=True):
    """A trades-stream message (immutable: consumers may share it)."""

    market_id: Id
    trades: tuple[Trade, ...] = ()
    onchain_timestamp: int | None = None
    seen_timestamp: int | None = None


class BalanceEntry(Model, frozen=True):
    """One account/asset balance in a balances-stream message."""

    identity: Identity | None = None
    asset_id: Id | None = None
    trading_account_balance: int = 0
    total_locked: int = 0
    total_unlocked: int = 0
    order_books: dict[str, OrderBookBalance] = msgspec.field(default_factory=dict)


class BalanceUpdate(Model, frozen=True):
    """A balances-stream message (immutable: consumers may share it)."""

    balance: tuple[BalanceEntry, ...] = ()
    onchain_timestamp: int | None = None
    seen_timestamp: int | None = None


class NonceUpdate(Model, frozen=True):
    """A nonce-stream message."""

    contract_id: Id
    nonce: int
    onchain_timestamp: int | None = None
    seen_timestamp: int | None = None


# --- user-side action inputs (batch_actions) -----------------------------------------


@dataclass
class MarketActionGroup:
    """High-level actions on one market named by pair, id or ``Market``."""

    market: str | Market
    actions: list[UserAction] = field(default_factory=list)


__all__ = [
    "U64",
    "AccountCreateResponse",
    "AccountInfo",
    "AccountSession",
    "Action",
    "ActionsResponse",
    "AddressIdentity",
    "AggregatedAsset",
    "AnyOrderType",
    "Balance",
    "BalanceEntry",
    "BalanceUpdate",
    "Bar",
    "BarsResponse",
    "BoundedMarketOrder",
    "CancelOrderAction",
    "CancelOrderRequestAction",
    "ChainInt",
    "ContractIdentity",
    "CreateOrderAction",
    "CreateOrderRequestAction",
    "Decimals",
    "DepthBook",
    "DepthChange",
    "DepthChanges",
    "DepthLevel",
    "DepthSnapshot",
    "DepthUpdate",
    "FaucetResponse",
    "Id",
    "Identity",
    "LimitOrder",
    "Market",
    "MarketActionGroup",
    "MarketActions",
    "MarketAsset",
    "MarketSummary",
    "MarketTicker",
    "MarketsResponse",
    "Model",
    "NonceUpdate",
    "NumericInput",
    "Order",
    "OrderBookBalance",
    "OrderReply",
    "OrderSide",
    "OrderType",
    "OrderUpdate",
    "OrdersResponse",
    "ReferralInfo",
    "RegisterRefererAction",
    "SessionInfo",
    "SessionResponse",
    "SettleBalanceAction",
    "SettleBalanceRequestAction",
    "Trade",
    "TradeAccount",
    "TradeUpdate",
    "TradesResponse",
    "UserAction",
    "WhitelistResponse",
    "WithdrawResponse",
    "b256",
    "decode",
    "decoder",
    "encode",
]
