"""Typed values: every REST reply, WebSocket frame and user-facing result.

msgspec ``Struct``s decoded straight from bytes. u64/u128 values are accepted as JSON
strings or numbers and become ``int``; hex ids are accepted with or without ``0x`` in any
case and become lowercase ``0x...`` (:class:`Id`). Attribute names follow the seed docs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import msgspec

from . import markets as _m
from .book import DepthBook
from .depth import DepthChange, DepthChanges, DepthLevel, DepthSnapshot, DepthUpdate
from .errors import ProtocolError
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
from .markets import MAX_DECIMALS, U64_MAX, ChainInt, NumericInput
from .session import SessionInfo
from .wire import Id, Model, b256, decode, decoder, encode

T = TypeVar("T")

# --- markets -------------------------------------------------------------------------


def _accept_text(model: msgspec.Struct, names: tuple[str, ...], kind: type) -> None:
    """Convert the named fields from text when a model is built by hand.

    o2-sdk's models hold chain integers (and fees) as the wire's text, so code written
    for it builds them with strings (``Market(min_order="1000000", ...)``); decoding
    converts already, construction converts here. Anything but text is left as given.

    Raises:
        ValueError: the text is not a ``kind``.
    """
    for name in names:
        value = getattr(model, name)
        if isinstance(value, str):
            try:
                converted = kind(value.strip())
            except (ValueError, ArithmeticError):
                raise ValueError(f"{name} must be {kind.__name__} text, got {value!r}") from None
            msgspec.structs.force_setattr(model, name, converted)


#: An asset's decimals (10**decimals must fit a u64, PROTOCOL.md §4).
Decimals = Annotated[int, msgspec.Meta(ge=0, le=MAX_DECIMALS)]
#: A chain integer (its u64 upper bound is checked in ``__post_init__``: msgspec bounds
#: stop at int64).
U64 = Annotated[int, msgspec.Meta(ge=0)]


class MarketAsset(Model, frozen=True):
    """One side of a market: an asset with its decimals and price/quantity precision.

    Checked when decoded: decimals in 0..19 and max_precision in 0..decimals (a broken
    ``/v1/markets`` reply fails here, clearly, not later inside a computation).
    """

    symbol: str
    asset: Id
    decimals: Decimals
    max_precision: Decimals

    def __post_init__(self) -> None:
        if self.max_precision > self.decimals:
            raise ValueError(
                f"{self.symbol}: max_precision {self.max_precision} exceeds decimals "
                f"{self.decimals}"
            )


class Market(Model, frozen=True):
    """A market (order book): ids, fees, rules, and its base and quote assets."""

    contract_id: Id
    market_id: Id
    base: MarketAsset
    quote: MarketAsset
    maker_fee: Decimal = Decimal(0)
    taker_fee: Decimal = Decimal(0)
    min_order: U64 = 0
    dust: U64 = 0
    price_window: U64 = 0

    def __post_init__(self) -> None:
        _accept_text(self, ("maker_fee", "taker_fee"), Decimal)
        _accept_text(self, ("min_order", "dust", "price_window"), int)
        for name in ("maker_fee", "taker_fee"):
            fee = getattr(self, name)
            if not fee.is_finite() or fee < 0:
                # The unit is the exchange's (recorded replies carry e.g. 100); only a
                # negative or non-finite fee is certainly broken.
                raise ValueError(f"{name} must be finite and non-negative, got {fee}")
        for name in ("min_order", "dust", "price_window"):
            if getattr(self, name) > U64_MAX:
                raise ValueError(f"{name} does not fit a u64")

    @property
    def pair(self) -> str:
        """``"BASE/QUOTE"``, e.g. ``"fFUEL/fUSDC"``."""
        return f"{self.base.symbol}/{self.quote.symbol}"

    def scale_price(self, value: NumericInput) -> int:
        """Human price to chain integer, truncated to the market's tick.

        Args:
            value: a human price (str, int, Decimal, float via its repr) or a ``ChainInt``.

        Returns:
            The chain price.

        Raises:
            InvalidInput: not a usable number, or a ``ChainInt`` off the tick.
        """
        return _m.scale_price(value, self.quote.decimals, self.quote.max_precision)

    def scale_quantity(self, value: NumericInput) -> int:
        """Human quantity to chain integer, truncated toward zero.

        Args:
            value: a human quantity or a ``ChainInt``.

        Returns:
            The chain quantity.

        Raises:
            InvalidInput: not a usable number.
        """
        return _m.scale_quantity(value, self.base.decimals)

    def adjust_quantity(self, price: int, quantity: int) -> int:
        """Largest quantity <= ``quantity`` satisfying FractionalPrice at ``price``.

        Args:
            price: the chain price.
            quantity: the chain quantity.

        Returns:
            The adjusted chain quantity (possibly 0).
        """
        return _m.adjust_quantity(price, quantity, self.base.decimals)

    def validate_order(self, price: int, quantity: int) -> None:
        """Raise if the chain would reject an order at these values.

        Args:
            price: the chain price.
            quantity: the chain quantity.

        Raises:
            OrderRuleError: ``rule`` names the broken rule (PricePrecision, FractionalPrice,
                min_order).
        """
        _m.check_order(
            price,
            quantity,
            self.base.decimals,
            self.quote.decimals,
            self.quote.max_precision,
            self.min_order,
        )

    def price_decimal(self, chain_value: int) -> Decimal:
        """Chain price to its exact human value.

        Args:
            chain_value: a chain price (or any amount of the quote asset).

        Returns:
            The exact Decimal.
        """
        return _m.format_units(chain_value, self.quote.decimals)

    def quantity_decimal(self, chain_value: int) -> Decimal:
        """Chain quantity to its exact human value.

        Args:
            chain_value: a chain quantity (or any amount of the base asset).

        Returns:
            The exact Decimal.
        """
        return _m.format_units(chain_value, self.base.decimals)

    def format_price(self, chain_value: int) -> float:
        """Chain price to a human float, as o2-sdk gives it (:meth:`price_decimal` is exact).

        Args:
            chain_value: a chain price.

        Returns:
            The float.
        """
        return float(self.price_decimal(chain_value))

    def format_quantity(self, chain_value: int) -> float:
        """Chain quantity to a human float, as o2-sdk gives it (:meth:`quantity_decimal` is
        exact).

        Args:
            chain_value: a chain quantity.

        Returns:
            The float.
        """
        return float(self.quantity_decimal(chain_value))


_ZERO_ID = Id("0x" + "00" * 32)


class MarketsResponse(Model, frozen=True):
    """``GET /v1/markets``: registry ids, chain id and every market."""

    markets: list[Market]
    chain_id: str = "0x0"
    books_registry_id: Id = _ZERO_ID
    accounts_registry_id: Id = _ZERO_ID
    trade_account_oracle_id: Id = _ZERO_ID
    base_asset_id: Id = _ZERO_ID

    def __post_init__(self) -> None:
        self.chain_id_int  # noqa: B018 - checked when decoded: a u64, in hex or decimal

    @property
    def chain_id_int(self) -> int:
        """The chain id as an integer (it arrives as hex text)."""
        text = self.chain_id.strip().lower()
        try:
            value = int(text, 16) if text.startswith("0x") else int(text)
        except ValueError:
            value = -1
        if not 0 <= value <= U64_MAX:
            raise ValueError(f"chain_id must be a u64 in hex (0x...) or decimal, got "
                             f"{self.chain_id[:40]!r}")
        return value


def _int_field(*keys: str) -> property:
    def read(self: _RawReply) -> int | None:
        value = self._number(keys)
        if value is None:
            return None
        if value != value.to_integral_value():
            raise ProtocolError(f"{type(self).__name__}[{keys[0]!r}] is not an integer")
        return int(value)

    return property(read, doc=f"``{keys[0]}`` as an integer (None when absent).")


def _decimal_field(*keys: str) -> property:
    def read(self: _RawReply) -> Decimal | None:
        return self._number(keys)

    return property(read, doc=f"``{keys[0]}`` as an exact Decimal (None when absent).")


class _RawReply(dict[str, Any]):
    """A reply kept as the exchange sent it (a ``dict``, as o2-sdk returns it), with
    typed reads of the fields we know (chain integers, exact decimals)."""

    @property
    def data(self) -> dict[str, Any]:
        """The reply itself (o2-sdk's ``.data``)."""
        return self

    @property
    def market_id(self) -> Id | None:
        """The market id, when the reply has one."""
        value = self.get("market_id")
        return Id(value) if isinstance(value, str) and value else None

    def _number(self, keys: tuple[str, ...]) -> Decimal | None:
        for key in keys:
            value = self.get(key)
            if value is None:
                continue
            number = None
            if isinstance(value, (int, str, float)) and not isinstance(value, bool):
                try:
                    number = Decimal(str(value))
                except ArithmeticError:
                    number = None
            if number is None or not number.is_finite():
                raise ProtocolError(f"{type(self).__name__}[{key!r}] is not a number: {value!r}")
            return number
        return None


class MarketSummary(_RawReply):
    """``GET /v1/markets/summary``: the reply as a dict, with typed reads."""

    high_price = _int_field("high_price")
    low_price = _int_field("low_price")
    last_price = _int_field("last_price")
    volume_24h = _int_field("volume_24h")
    change_24h = _decimal_field("change_24h")


class MarketTicker(_RawReply):
    """``GET /v1/markets/ticker``: the reply as a dict (o2-sdk's ``get_ticker`` gives the
    dict), with typed reads of both the live field names (``last_price``, ``best_bid``,
    ``best_ask``) and PROTOCOL.md's (``last``, ``bid``, ``ask`` ...)."""

    last_price = _int_field("last_price", "last")
    best_bid = _int_field("best_bid", "bid")
    best_ask = _int_field("best_ask", "ask")
    last = _int_field("last", "last_price")
    bid = _int_field("bid", "best_bid")
    ask = _int_field("ask", "best_ask")
    bid_volume = _int_field("bid_volume")
    ask_volume = _int_field("ask_volume")
    high = _int_field("high")
    low = _int_field("low")
    open = _int_field("open")
    close = _int_field("close")
    previous_close = _int_field("previous_close")
    change = _int_field("change")
    percentage = _decimal_field("percentage")
    average = _decimal_field("average")
    base_volume = _int_field("base_volume")
    quote_volume = _int_field("quote_volume")
    timestamp = _int_field("timestamp")


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
        _accept_text(self, _ORDER_INTS, int)

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
        _accept_text(self, ("total_locked", "total_unlocked", "trading_account_balance"), int)

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
