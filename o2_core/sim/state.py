"""The engine's state: markets and their books, accounts, orders, trades, the undo log.

A side of a book is a sorted list of prices plus a dict ``price -> Level``; a level
holds its orders in arrival order (a deque) and its live total. Cancelled orders are
left in their deque and skipped later (lazy deletion), so no operation scans a level.

Every mutation made while executing a command goes through a :class:`Tx`, which records
how to undo it (a reverted batch is rolled back exactly, in reverse order) and what
changed; once committed, what changed is frozen into a :class:`Committed` value.

Nothing here knows JSON or HTTP; the engine (:mod:`.engine`) owns these objects and
the REST and WebSocket layers only read them.
"""

from __future__ import annotations

import bisect
import heapq
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..actions import MarketContext
from ..markets import truncation_factor
from .commands import OrderTypeSpec
from .config import AssetConfig, MarketConfig, SimConfig, derive_id
from .nonces import LaneWindow


def _restore(d: dict[Any, Any], key: Any, old: Any) -> None:
    if old is None:
        d.pop(key, None)
    else:
        d[key] = old


# --- orders and trades ---------------------------------------------------------------


class Order:
    """One order. ``remaining = quantity - filled``; ``locked`` is what it still holds.

    Args:
        order_id: its id.
        seq: its place in the exchange's sequence (price-time priority).
        market: its market.
        account: the account that placed it.
        is_buy: a buy (else a sell).
        price: its chain price.
        quantity: its chain quantity.
        order_type: its order type and parameters.
        timestamp_ms: when it was placed, in milliseconds.
        locked: the funds it locks (quote for a buy, base for a sell).
        expiry: when a limit order leaves the book (unix seconds), else None.
    """

    __slots__ = (
        "account",
        "cancel",
        "close",
        "expiry",
        "fill_notional",
        "filled",
        "is_buy",
        "locked",
        "market",
        "order_id",
        "order_type",
        "price",
        "quantity",
        "resting",
        "seq",
        "timestamp_ms",
    )

    def __init__(
        self,
        order_id: str,
        seq: int,
        market: MarketState,
        account: Account,
        is_buy: bool,
        price: int,
        quantity: int,
        order_type: OrderTypeSpec,
        timestamp_ms: int,
        locked: int,
        expiry: int | None,
    ) -> None:
        self.order_id = order_id
        self.seq = seq
        self.market = market
        self.account = account
        self.is_buy = is_buy
        self.price = price
        self.quantity = quantity
        self.filled = 0
        self.fill_notional = 0
        self.order_type = order_type
        self.timestamp_ms = timestamp_ms
        self.locked = locked
        self.expiry = expiry
        self.close = False
        self.cancel = False
        self.resting = False

    @property
    def remaining(self) -> int:
        """Quantity not yet filled."""
        return self.quantity - self.filled

    @property
    def side(self) -> str:
        """``"Buy"`` or ``"Sell"``."""
        return "Buy" if self.is_buy else "Sell"

    @property
    def type_name(self) -> str:
        """The order type's variant name (``"Spot"``, ``"Limit"``, ...)."""
        return self.order_type.name

    def __repr__(self) -> str:
        return (
            f"Order({self.order_id[:10]}.. {self.side} {self.remaining}/{self.quantity} "
            f"@ {self.price} {self.type_name}{' closed' if self.close else ''})"
        )


class Trade:
    """One fill between a resting (maker) order and an incoming (taker) order.

    Args:
        trade_id: its id.
        seq: its place in the exchange's sequence.
        market: its market.
        price: the chain price it traded at (the maker's).
        quantity: the chain quantity.
        total: ``price * quantity`` in quote chain units.
        timestamp_ms: when, in milliseconds.
        maker_order: the resting order.
        taker_order: the incoming order.
    """

    __slots__ = (
        "maker",
        "maker_order",
        "maker_side",
        "market",
        "price",
        "quantity",
        "seq",
        "taker",
        "taker_order",
        "timestamp_ms",
        "total",
        "trade_id",
    )

    def __init__(
        self,
        trade_id: str,
        seq: int,
        market: MarketState,
        price: int,
        quantity: int,
        total: int,
        timestamp_ms: int,
        maker_order: Order,
        taker_order: Order,
    ) -> None:
        self.trade_id = trade_id
        self.seq = seq
        self.market = market
        self.price = price
        self.quantity = quantity
        self.total = total
        self.timestamp_ms = timestamp_ms
        self.maker_order = maker_order
        self.taker_order = taker_order
        self.maker = maker_order.account
        self.taker = taker_order.account
        self.maker_side = maker_order.side


# --- the undo log --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Committed:
    """What one committed transaction changed (the value the engine returns and announces).

    ``orders``, ``balances`` and ``nonces`` are in the order they were first touched;
    ``levels`` maps a market id to the (is_bid, price) levels whose quantity may have
    changed. The objects are live: read them before the next command.
    """

    now_ms: int
    tx_id: str | None
    created: tuple[Order, ...]
    orders: tuple[Order, ...]
    trades: tuple[Trade, ...]
    balances: tuple[tuple[Account, str], ...]
    levels: Mapping[str, frozenset[tuple[bool, int]]]
    nonces: tuple[Account, ...]


class Tx:
    """One atomic unit of change: an undo log plus what changed, to announce on commit.

    Args:
        now: the transaction's time, in unix seconds.
    """

    __slots__ = (
        "created",
        "logs",
        "nonce_accounts",
        "now",
        "now_ms",
        "touched_balances",
        "touched_levels",
        "touched_orders",
        "trades",
        "undo",
    )

    def __init__(self, now: float) -> None:
        self.now = now
        self.now_ms = int(now * 1000)
        self.undo: list[tuple[Any, ...]] = []
        self.logs: list[str] = []
        self.trades: list[Trade] = []
        self.created: list[Order] = []
        self.touched_orders: dict[str, Order] = {}
        self.touched_balances: dict[tuple[str, str], Account] = {}
        self.touched_levels: dict[str, set[tuple[bool, int]]] = {}
        self.nonce_accounts: dict[str, Account] = {}

    def set(self, obj: Any, name: str, value: Any) -> None:
        """``setattr`` with undo.

        Args:
            obj: the object.
            name: the attribute.
            value: its new value.
        """
        self.undo.append((setattr, obj, name, getattr(obj, name)))
        setattr(obj, name, value)

    def add(self, d: dict[Any, int], key: Any, delta: int) -> None:
        """``d[key] += delta`` with undo (a missing key counts as 0).

        Args:
            d: the mapping.
            key: the key.
            delta: the change.
        """
        old = d.get(key)
        self.undo.append((_restore, d, key, old))
        d[key] = (old or 0) + delta

    def put(self, d: dict[Any, Any], key: Any, value: Any) -> None:
        """``d[key] = value`` with undo.

        Args:
            d: the mapping.
            key: the key.
            value: the value.
        """
        self.undo.append((_restore, d, key, d.get(key)))
        d[key] = value

    def on_undo(self, fn: Callable[..., Any], *args: Any) -> None:
        """Register ``fn(*args)`` as the undo of a change just made.

        Args:
            fn: what undoes it.
            *args: its arguments.
        """
        self.undo.append((fn, *args))

    def rollback(self) -> None:
        """Undo every recorded change, newest first."""
        for entry in reversed(self.undo):
            entry[0](*entry[1:])
        self.undo.clear()

    def touch_balance(self, account: Account, asset: str) -> None:
        """Record that an account's balance of ``asset`` changed.

        Args:
            account: the account.
            asset: the asset id.
        """
        self.touched_balances[(account.trade_account_id, asset)] = account

    def touch_level(self, market: MarketState, is_bid: bool, price: int) -> None:
        """Record that a price level's quantity may have changed.

        Args:
            market: the market.
            is_bid: the bid side (else the ask side).
            price: the level's price.
        """
        self.touched_levels.setdefault(market.market_id, set()).add((is_bid, price))

    def committed(self, tx_id: str | None) -> Committed:
        """The frozen record of what this transaction changed.

        Args:
            tx_id: the transaction id (None for changes without one, such as expiries).

        Returns:
            The record.
        """
        return Committed(
            now_ms=self.now_ms,
            tx_id=tx_id,
            created=tuple(self.created),
            orders=tuple(self.touched_orders.values()),
            trades=tuple(self.trades),
            balances=tuple(
                (account, asset) for (_, asset), account in self.touched_balances.items()
            ),
            levels={mid: frozenset(levels) for mid, levels in self.touched_levels.items()},
            nonces=tuple(self.nonce_accounts.values()),
        )


# --- books ---------------------------------------------------------------------------


class Level:
    """All resting orders at one price, oldest first, and their live total."""

    __slots__ = ("orders", "price", "total")

    def __init__(self, price: int) -> None:
        self.price = price
        self.orders: deque[Order] = deque()
        self.total = 0


class BookSide:
    """One side of a book: prices ascending in ``prices``, levels by price."""

    __slots__ = ("is_bid", "levels", "prices")

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.prices: list[int] = []
        self.levels: dict[int, Level] = {}

    def best(self) -> int | None:
        """Best price: the highest bid or the lowest ask."""
        if not self.prices:
            return None
        return self.prices[-1] if self.is_bid else self.prices[0]

    def best_level(self) -> Level | None:
        """The level at the best price."""
        price = self.best()
        return None if price is None else self.levels[price]

    def in_priority(self) -> Iterator[Level]:
        """Levels from best to worst."""
        prices = reversed(self.prices) if self.is_bid else iter(self.prices)
        for price in prices:
            yield self.levels[price]

    def add(self, order: Order, tx: Tx) -> None:
        """Append ``order`` at its price (creating the level if needed)."""
        level = self.levels.get(order.price)
        if level is None:
            level = Level(order.price)
            index = bisect.bisect_left(self.prices, order.price)
            self.prices.insert(index, order.price)
            self.levels[order.price] = level
            tx.on_undo(self._unlink, level)
        level.orders.append(order)
        tx.on_undo(level.orders.pop)
        tx.set(level, "total", level.total + order.remaining)

    def _unlink(self, level: Level) -> None:
        index = bisect.bisect_left(self.prices, level.price)
        del self.prices[index]
        del self.levels[level.price]

    def _relink(self, level: Level) -> None:
        bisect.insort(self.prices, level.price)
        self.levels[level.price] = level

    def reduce(self, level: Level, quantity: int, tx: Tx) -> None:
        """Take ``quantity`` off a level's total; an emptied level leaves the book."""
        tx.set(level, "total", level.total - quantity)
        if level.total == 0:
            self._unlink(level)
            tx.on_undo(self._relink, level)

    def pop_head(self, level: Level, tx: Tx) -> None:
        """Drop the oldest order of a level (filled or dead)."""
        order = level.orders.popleft()
        tx.on_undo(level.orders.appendleft, order)

    def total_between(self, low: int, high: int) -> int:
        """Sum of level totals with ``low <= price <= high``."""
        lo = bisect.bisect_left(self.prices, low)
        hi = bisect.bisect_right(self.prices, high)
        levels = self.levels
        return sum(levels[p].total for p in self.prices[lo:hi])

    def depth(self, precision: int, limit: int | None = None) -> list[tuple[int, int]]:
        """(bucket price, quantity) from best to worst; bids floor, asks ceil."""
        out: list[tuple[int, int]] = []
        for level in self.in_priority():
            bucket = self.bucket_of(level.price, precision)
            if out and out[-1][0] == bucket:
                out[-1] = (bucket, out[-1][1] + level.total)
            else:
                if limit is not None and len(out) >= limit:
                    break
                out.append((bucket, level.total))
        return out

    def bucket_total(self, bucket: int, precision: int) -> int:
        """Total quantity in one depth bucket at ``precision``."""
        if self.is_bid:
            return self.total_between(bucket, bucket + precision - 1)
        return self.total_between(bucket - precision + 1, bucket)

    def bucket_of(self, price: int, precision: int) -> int:
        """The depth bucket a price falls in."""
        if self.is_bid:
            return price - price % precision
        return -(-price // precision) * precision


# --- accounts and markets ------------------------------------------------------------


class Session:
    """The session registered on an account."""

    __slots__ = ("address", "address_bytes", "contract_ids", "contract_set", "expiry")

    def __init__(self, address: str, expiry: int, contract_ids: list[str]) -> None:
        self.address = address
        self.address_bytes = bytes.fromhex(address[2:])
        self.expiry = expiry
        self.contract_ids = contract_ids
        self.contract_set = frozenset(contract_ids)


class BookBalance:
    """An account's funds inside one order book, per asset."""

    __slots__ = ("fee", "locked", "unlocked")

    def __init__(self) -> None:
        self.locked: dict[str, int] = {}
        self.unlocked: dict[str, int] = {}
        self.fee: dict[str, int] = {}


class Account:
    """A trading account (an on-chain contract owned by an address).

    ``nonce`` is the sequential nonce; ``windows`` the parallel track's window of each lane
    used so far (:class:`~.nonces.LaneWindow`). ``legacy`` marks an account whose proxy
    still targets an implementation without the parallel entry points (every parallel
    call reverts with the dispatcher's ``Revert(123)`` until the account is upgraded).

    Args:
        trade_account_id: its id.
        owner: the owner's address or contract id (hex).
        owner_is_contract: the owner is a contract.
        now: when it was created (unix seconds).
        legacy: start on the legacy implementation.
    """

    __slots__ = (
        "balances",
        "books",
        "last_modification",
        "legacy",
        "nonce",
        "orders",
        "owner",
        "owner_bytes",
        "owner_is_contract",
        "referer",
        "session",
        "trade_account_id",
        "trades",
        "windows",
    )

    def __init__(
        self,
        trade_account_id: str,
        owner: str,
        owner_is_contract: bool,
        now: int,
        legacy: bool = False,
    ):
        self.trade_account_id = trade_account_id
        self.owner = owner
        self.owner_bytes = bytes.fromhex(owner[2:])
        self.owner_is_contract = owner_is_contract
        self.nonce = 0
        self.legacy = legacy
        self.windows: dict[int, LaneWindow] = {}
        self.last_modification = now
        self.session: Session | None = None
        self.balances: dict[str, int] = {}
        self.books: dict[str, BookBalance] = {}
        self.referer: str | None = None
        self.orders: dict[str, list[Order]] = {}
        self.trades: dict[str, list[Trade]] = {}

    @property
    def identity(self) -> dict[str, str]:
        """``{"ContractId": trade_account_id}``."""
        return {"ContractId": self.trade_account_id}


class MarketState:
    """One order book: configuration, both sides, trade history, fee pool.

    ``trades`` holds the remembered trades, oldest first (``trades_forgotten`` older ones
    were forgotten); ``trade_index`` maps a remembered trade id to its absolute position;
    ``closed_orders`` holds the remembered closed orders in the order they closed (see
    :mod:`.history`).

    Args:
        cfg: the market's configuration.
        base: the base asset.
        quote: the quote asset.
        registry: the accounts registry's contract id (for referral calls).
    """

    def __init__(self, cfg: MarketConfig, base: AssetConfig, quote: AssetConfig, registry: str):
        self.cfg = cfg
        self.market_id = cfg.market_id
        self.contract_id = cfg.contract_id
        self.base = base
        self.quote = quote
        self.base_asset = base.asset_id
        self.quote_asset = quote.asset_id
        self.base_factor = 10**base.decimals
        self.price_tick = truncation_factor(quote.decimals, cfg.quote_max_precision)
        self.pair = f"{base.symbol}/{quote.symbol}"
        self.ctx = MarketContext(
            market_id=cfg.market_id,
            contract_id=bytes.fromhex(cfg.contract_id[2:]),
            base_asset=bytes.fromhex(base.asset_id[2:]),
            quote_asset=bytes.fromhex(quote.asset_id[2:]),
            base_factor=self.base_factor,
            accounts_registry=bytes.fromhex(registry[2:]),
        )
        maker, taker = cfg.maker_rate, cfg.taker_rate
        self.maker_fee = (maker.numerator, maker.denominator)
        self.taker_fee = (taker.numerator, taker.denominator)
        self.bids = BookSide(is_bid=True)
        self.asks = BookSide(is_bid=False)
        self.trades: list[Trade] = []
        self.trade_ts: list[int] = []
        self.trade_index: dict[str, int] = {}
        self.trades_forgotten = 0
        self.closed_orders: deque[Order] = deque()
        self.fee_pool: dict[str, int] = {}

    def side(self, is_bid: bool) -> BookSide:
        """The bids (``is_bid``) or the asks.

        Args:
            is_bid: the bid side.

        Returns:
            That side of the book.
        """
        return self.bids if is_bid else self.asks


class Ledger:
    """Everything the engine holds: markets, accounts, orders, money, and the id counter.

    Every id is derived from the seed and a counter (:meth:`next_id`), so the same
    commands give the same ids.
    """

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.seed = config.seed
        self.assets: dict[str, AssetConfig] = {a.asset_id: a for a in config.assets}
        self.markets: dict[str, MarketState] = {}
        self.markets_by_contract: dict[str, MarketState] = {}
        by_symbol = {a.symbol: a for a in config.assets}
        for mc in config.markets:
            market = MarketState(
                mc, by_symbol[mc.base], by_symbol[mc.quote], config.accounts_registry_id
            )
            self.markets[market.market_id] = market
            self.markets_by_contract[market.contract_id] = market
        self.accounts: dict[str, Account] = {}
        self.accounts_by_owner: dict[str, Account] = {}
        self.orders: dict[str, Order] = {}
        self.whitelist: set[str] = set()
        self.referral_codes: dict[str, str] = dict(config.referral_codes)
        self.minted: dict[str, int] = {}
        self.wallets: dict[str, dict[str, int]] = {}
        self.withdrawn: dict[str, int] = {}
        self.faucet_last: dict[str, float] = {}
        self.expiries: list[tuple[int, int, Order]] = []
        self.counter = 0

    def next_seq(self) -> int:
        """The next value of the counter behind every id and sequence number."""
        self.counter += 1
        return self.counter

    def next_id(self, label: str) -> str:
        """A fresh deterministic id ``derive_id(seed, "<label>:<n>")``."""
        return derive_id(self.seed, f"{label}:{self.next_seq()}")

    def schedule_expiry(self, order: Order, at: int) -> None:
        """Make a resting limit order leave the book once the time reaches ``at``."""
        heapq.heappush(self.expiries, (at, order.seq, order))

    def due_expiries(self, now: float) -> list[Order]:
        """Pop the orders whose expiry time is ``<= now`` (oldest first)."""
        heap = self.expiries
        due: list[Order] = []
        while heap and heap[0][0] <= now:
            due.append(heapq.heappop(heap)[2])
        return due
