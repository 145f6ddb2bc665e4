"""Typed values: every REST reply, WebSocket frame and user-facing result.

msgspec ``Struct``s decoded straight from bytes. u64/u128 values are accepted as JSON
strings or numbers and become ``int``; hex ids are accepted with or without ``0x`` in any
case and become lowercase ``0x...`` (:class:`Id`). Attribute names follow the seed docs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, TypeVar, cast

import msgspec

from . import markets as _m
from .errors import ProtocolError, excerpt
from .ids import AddressIdentity, ContractIdentity, Id, Identity, b256
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
from .markets import ChainInt, NumericInput

T = TypeVar("T")

# --- markets -------------------------------------------------------------------------


class MarketAsset(msgspec.Struct, frozen=True):
    """One side of a market: an asset with its decimals and price/quantity precision."""

    symbol: str
    asset: Id
    decimals: int
    max_precision: int


class Market(msgspec.Struct, frozen=True):
    """A market (order book): ids, fees, rules, and its base and quote assets."""

    contract_id: Id
    market_id: Id
    base: MarketAsset
    quote: MarketAsset
    maker_fee: Decimal = Decimal(0)
    taker_fee: Decimal = Decimal(0)
    min_order: int = 0
    dust: int = 0
    price_window: int = 0

    @property
    def pair(self) -> str:
        """``"BASE/QUOTE"``, e.g. ``"fFUEL/fUSDC"``."""
        return f"{self.base.symbol}/{self.quote.symbol}"

    def scale_price(self, value: NumericInput) -> int:
        """Human price to chain integer, truncated to the market's tick."""
        return _m.scale_price(value, self.quote.decimals, self.quote.max_precision)

    def scale_quantity(self, value: NumericInput) -> int:
        """Human quantity to chain integer, truncated toward zero."""
        return _m.scale_quantity(value, self.base.decimals)

    def adjust_quantity(self, price: int, quantity: int) -> int:
        """Largest quantity <= ``quantity`` satisfying FractionalPrice at ``price``."""
        return _m.adjust_quantity(price, quantity, self.base.decimals)

    def validate_order(self, price: int, quantity: int) -> None:
        """Raise :class:`~o2_core.markets.OrderRuleError` if the chain would reject it."""
        _m.check_order(
            price,
            quantity,
            self.base.decimals,
            self.quote.decimals,
            self.quote.max_precision,
            self.min_order,
        )

    def format_price(self, chain_value: int) -> Decimal:
        """Chain price to an exact human Decimal."""
        return _m.format_units(chain_value, self.quote.decimals)

    def format_quantity(self, chain_value: int) -> Decimal:
        """Chain quantity to an exact human Decimal."""
        return _m.format_units(chain_value, self.base.decimals)


_ZERO_ID = Id("0x" + "00" * 32)


class MarketsResponse(msgspec.Struct, frozen=True):
    """``GET /v1/markets``: registry ids, chain id and every market."""

    markets: list[Market]
    chain_id: str = "0x0"
    books_registry_id: Id = _ZERO_ID
    accounts_registry_id: Id = _ZERO_ID
    trade_account_oracle_id: Id = _ZERO_ID
    base_asset_id: Id = _ZERO_ID

    @property
    def chain_id_int(self) -> int:
        """The chain id as an integer (it arrives as hex text)."""
        text = self.chain_id.strip().lower()
        return int(text, 16) if text.startswith("0x") else int(text)


class MarketSummary(msgspec.Struct, frozen=True):
    """``GET /v1/markets/summary``."""

    market_id: Id
    high_price: int | None = None
    low_price: int | None = None
    last_price: int | None = None
    volume_24h: int | None = None
    change_24h: Decimal | None = None


class MarketTicker(msgspec.Struct, frozen=True):
    """``GET /v1/markets/ticker``: 24h statistics of one market (chain integers)."""

    market_id: Id | None = None
    high: int | None = None
    low: int | None = None
    bid: int | None = None
    bid_volume: int | None = None
    ask: int | None = None
    ask_volume: int | None = None
    open: int | None = None
    close: int | None = None
    last: int | None = None
    previous_close: int | None = None
    change: int | None = None
    percentage: Decimal | None = None
    average: Decimal | None = None
    base_volume: int | None = None
    quote_volume: int | None = None
    timestamp: int | None = None


# --- depth ---------------------------------------------------------------------------


class DepthLevel(msgspec.Struct, frozen=True, gc=False):
    """One resting level of a snapshot: chain price and the ABSOLUTE quantity there."""

    price: int
    quantity: int


class DepthChange(msgspec.Struct, frozen=True, gc=False):
    """One change from the incremental depth stream: a SIGNED RELATIVE quantity.

    Positive when liquidity is added, negative when a fill or a cancel removes some: add
    it to the level's quantity; the level is gone when the sum reaches zero or below
    (:class:`~o2_core.book.OrderBook` and :class:`~o2_core.book.DepthBook` do this).
    """

    price: int
    quantity: int


class DepthSnapshot(msgspec.Struct, frozen=True):
    """A whole book (``GET /v1/depth``, and the depth stream's snapshots): absolute levels,
    bids best (highest) first, asks best (lowest) first."""

    bids: tuple[DepthLevel, ...] = msgspec.field(default=(), name="buys")
    asks: tuple[DepthLevel, ...] = msgspec.field(default=(), name="sells")
    market_id: Id | None = None

    @property
    def buys(self) -> tuple[DepthLevel, ...]:
        """Alias of ``bids`` (the wire name)."""
        return self.bids

    @property
    def sells(self) -> tuple[DepthLevel, ...]:
        """Alias of ``asks`` (the wire name)."""
        return self.asks

    @property
    def best_bid(self) -> DepthLevel | None:
        """The highest-priced bid level with a non-zero quantity, if any."""
        live = [lv for lv in self.bids if lv.quantity > 0]
        return max(live, key=_price) if live else None

    @property
    def best_ask(self) -> DepthLevel | None:
        """The lowest-priced ask level with a non-zero quantity, if any."""
        live = [lv for lv in self.asks if lv.quantity > 0]
        return min(live, key=_price) if live else None


def _price(level: DepthLevel) -> int:
    return level.price


class DepthChanges(msgspec.Struct, frozen=True):
    """Both sides of one incremental depth update (wire ``buys``/``sells``)."""

    bids: tuple[DepthChange, ...] = msgspec.field(default=(), name="buys")
    asks: tuple[DepthChange, ...] = msgspec.field(default=(), name="sells")

    @property
    def buys(self) -> tuple[DepthChange, ...]:
        """Alias of ``bids`` (the wire name)."""
        return self.bids

    @property
    def sells(self) -> tuple[DepthChange, ...]:
        """Alias of ``asks`` (the wire name)."""
        return self.asks


class DepthUpdate(msgspec.Struct, frozen=True):
    """One depth-stream message.

    A snapshot (``is_snapshot``: on subscribing, after every reconnect and every resync)
    carries a :class:`DepthSnapshot` of absolute levels and replaces the whole book;
    every other message carries :class:`DepthChanges` of signed relative changes.
    """

    market_id: Id
    changes: DepthSnapshot | DepthChanges
    is_snapshot: bool = False
    onchain_timestamp: int | None = None
    seen_timestamp: int | None = None


# --- accounts, sessions --------------------------------------------------------------


class TradeAccount(msgspec.Struct, frozen=True):
    """The on-chain trading account record."""

    owner: Identity
    nonce: int = 0
    last_modification: int = 0
    synced_with_network: bool | None = None


class AccountSession(msgspec.Struct, frozen=True):
    """The session currently registered on an account, as ``GET /v1/accounts`` shows it."""

    session_id: Identity | str | None = None
    expiry: int | None = None
    contract_ids: list[Id] = msgspec.field(default_factory=list)


class AccountInfo(msgspec.Struct, frozen=True):
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


class AccountCreateResponse(msgspec.Struct, frozen=True):
    """``POST /v1/accounts``."""

    trade_account_id: Id
    nonce: int = 0


class SessionResponse(msgspec.Struct, frozen=True):
    """``PUT /v1/session``."""

    tx_id: Id
    trade_account_id: Id
    session_id: Identity
    contract_ids: list[Id] = msgspec.field(default_factory=list)
    session_expiry: int = 0


class SessionInfo:
    """An active trading session: the session key, its account, markets and expiry.

    The session key never appears in ``repr``.
    """

    __slots__ = (
        "contract_ids",
        "nonce",
        "owner_address",
        "session_expiry",
        "session_id",
        "session_wallet",
        "trade_account_id",
    )

    def __init__(
        self,
        session_id: Identity,
        trade_account_id: str,
        contract_ids: list[str],
        session_expiry: int,
        session_wallet: Any,
        owner_address: str,
        nonce: int = 0,
    ) -> None:
        self.session_id = session_id
        self.trade_account_id = b256(trade_account_id, "trade_account_id")
        self.contract_ids = [b256(c, "contract id") for c in contract_ids]
        self.session_expiry = int(session_expiry)
        self.session_wallet = session_wallet
        self.owner_address = b256(owner_address, "owner address")
        self.nonce = nonce

    @property
    def session_private_key(self) -> bytes:
        """The session key's 32-byte secret."""
        return bytes(self.session_wallet.private_key)

    @property
    def session_address(self) -> Id:
        """The session key's B256 address."""
        return Id(self.session_wallet.b256_address)

    def is_expired(self, now: float) -> bool:
        """True when ``now`` (unix seconds) is at or past the expiry."""
        return now >= self.session_expiry

    def __repr__(self) -> str:
        return (
            f"SessionInfo(trade_account_id={self.trade_account_id!r}, "
            f"session_address={self.session_address!r}, contract_ids={self.contract_ids!r}, "
            f"session_expiry={self.session_expiry})"
        )


# --- orders, trades, balances --------------------------------------------------------


class Order(msgspec.Struct, frozen=True):
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

    @property
    def is_open(self) -> bool:
        """True while the order rests on the book."""
        return not self.close


class OrdersResponse(msgspec.Struct):
    """``GET /v1/orders``."""

    orders: list[Order] = msgspec.field(default_factory=list)
    identity: Identity | None = None
    market_id: Id | None = None


class OrderReply(msgspec.Struct):
    """``GET /v1/order``."""

    order: Order


class Trade(msgspec.Struct, frozen=True):
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


class TradesResponse(msgspec.Struct):
    """``GET /v1/trades`` and ``/v1/trades_by_account``."""

    trades: list[Trade] = msgspec.field(default_factory=list)
    market_id: Id | None = None


class OrderBookBalance(msgspec.Struct, frozen=True):
    """Funds of one account inside one order-book contract."""

    locked: int = 0
    unlocked: int = 0
    fee: int = 0


class Balance(msgspec.Struct, frozen=True):
    """``GET /v1/balance``: one asset of one account.

    ``total_unlocked`` already includes ``trading_account_balance``.
    """

    trading_account_balance: int = 0
    total_locked: int = 0
    total_unlocked: int = 0
    order_books: dict[str, OrderBookBalance] = msgspec.field(default_factory=dict)

    @property
    def available(self) -> int:
        """What new orders can use: ``total_unlocked``."""
        return self.total_unlocked

    @property
    def locked(self) -> int:
        """Locked in open orders: ``total_locked``."""
        return self.total_locked

    @property
    def total(self) -> int:
        """Everything: unlocked + locked."""
        return self.total_unlocked + self.total_locked


class Bar(msgspec.Struct, frozen=True):
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
        """Total volume: buy + sell."""
        return self.buy_volume + self.sell_volume


class BarsResponse(msgspec.Struct, frozen=True):
    """``GET /v1/bars`` when wrapped in an object."""

    bars: list[Bar] = msgspec.field(default_factory=list)


# --- action, withdraw and analytics replies ------------------------------------------


class ActionsResponse(msgspec.Struct):
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


class WithdrawResponse(msgspec.Struct):
    """``POST /v1/accounts/withdraw``."""

    tx_id: Id | None = None
    message: str | None = None

    @property
    def success(self) -> bool:
        """True when the withdrawal executed."""
        return self.tx_id is not None


class WhitelistResponse(msgspec.Struct, frozen=True):
    """``POST /analytics/v1/whitelist``."""

    success: bool = False
    trade_account: str = msgspec.field(default="", name="tradeAccount")
    already_whitelisted: bool = msgspec.field(default=False, name="alreadyWhitelisted")


class ReferralInfo(msgspec.Struct, frozen=True):
    """``GET /analytics/v1/referral/code-info``."""

    valid: bool = False
    owner_address: str | None = msgspec.field(default=None, name="ownerAddress")
    is_active: bool | None = msgspec.field(default=None, name="isActive")


class FaucetResponse(msgspec.Struct, frozen=True):
    """The faucet's reply: ``message`` on success, ``error`` otherwise (e.g. cooldown)."""

    message: str | None = None
    error: str | None = None

    @property
    def success(self) -> bool:
        """True when the faucet minted."""
        return self.error is None and self.message is not None


class AggregatedAsset(msgspec.Struct, frozen=True):
    """``GET /v1/aggregated/assets`` entry."""

    id: str
    symbol: str = ""
    name: str = ""


# --- stream updates ------------------------------------------------------------------


class OrderUpdate(msgspec.Struct, frozen=True):
    """An orders-stream message (immutable: consumers may share it)."""

    orders: tuple[Order, ...] = ()
    onchain_timestamp: int | None = None
    seen_timestamp: int | None = None


class TradeUpdate(msgspec.Struct, frozen=True):
    """A trades-stream message (immutable: consumers may share it)."""

    market_id: Id
    trades: tuple[Trade, ...] = ()
    onchain_timestamp: int | None = None
    seen_timestamp: int | None = None


class BalanceEntry(msgspec.Struct, frozen=True):
    """One account/asset balance in a balances-stream message."""

    identity: Identity | None = None
    asset_id: Id | None = None
    trading_account_balance: int = 0
    total_locked: int = 0
    total_unlocked: int = 0
    order_books: dict[str, OrderBookBalance] = msgspec.field(default_factory=dict)


class BalanceUpdate(msgspec.Struct, frozen=True):
    """A balances-stream message (immutable: consumers may share it)."""

    balance: tuple[BalanceEntry, ...] = ()
    onchain_timestamp: int | None = None
    seen_timestamp: int | None = None


class NonceUpdate(msgspec.Struct, frozen=True):
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


# --- decoding and encoding -----------------------------------------------------------


def _dec_hook(kind: type, obj: Any) -> Any:
    if kind is Id:
        if not isinstance(obj, str):
            raise ValueError(f"expected a hex string, got {type(obj).__name__}")
        return Id(obj)
    raise NotImplementedError(f"no decoder for {kind!r}")


def _enc_hook(obj: Any) -> Any:
    if isinstance(obj, Id):
        return str(obj)
    if isinstance(obj, Enum):
        return obj.value
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


@cache
def decoder(kind: Any) -> msgspec.json.Decoder[Any]:
    """A cached lax JSON decoder for ``kind`` (strings accepted for numbers)."""
    return msgspec.json.Decoder(kind, dec_hook=_dec_hook, strict=False)


def decode(data: bytes | str, kind: type[T]) -> T:
    """Decode JSON ``data`` into ``kind``; malformed input raises :class:`ProtocolError`."""
    try:
        result: T = decoder(cast(Any, kind)).decode(data)
        return result
    except (msgspec.DecodeError, ValueError, TypeError, RecursionError) as err:
        # ValueError covers invalid UTF-8 and our own InvalidInput; RecursionError absurd nesting
        head = data[:80] if isinstance(data, str) else excerpt(bytes(data), 80)
        raise ProtocolError(
            f"cannot decode {getattr(kind, '__name__', kind)}: {err} (body starts {head!r})"
        ) from err


_encoder = msgspec.json.Encoder(enc_hook=_enc_hook)


def encode(value: Any) -> bytes:
    """JSON bytes of a model (or any msgspec-encodable value)."""
    return _encoder.encode(value)


__all__ = [
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
    "encode",
]
