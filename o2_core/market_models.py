"""The markets: ``GET /v1/markets`` and its summary and ticker replies.

A :class:`Market` carries everything the SDK needs to turn human values into chain
integers and back (its assets' decimals and precision) and the exchange's rules for an
order (:meth:`Market.validate_order`). The summary and ticker are kept as the exchange
sends them (dicts), with typed reads of the fields we know. :mod:`o2_core.models`
re-exports every name of this module.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import msgspec

from . import markets
from .errors import ProtocolError
from .markets import MAX_DECIMALS, U64_MAX, NumericInput
from .wire import Id, Model

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
        self._accept_text(("maker_fee", "taker_fee"), Decimal)
        self._accept_text(("min_order", "dust", "price_window"), int)
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
        return markets.scale_price(value, self.quote.decimals, self.quote.max_precision)

    def scale_quantity(self, value: NumericInput) -> int:
        """Human quantity to chain integer, truncated toward zero.

        Args:
            value: a human quantity or a ``ChainInt``.

        Returns:
            The chain quantity.

        Raises:
            InvalidInput: not a usable number.
        """
        return markets.scale_quantity(value, self.base.decimals)

    def adjust_quantity(self, price: int, quantity: int) -> int:
        """Largest quantity <= ``quantity`` satisfying FractionalPrice at ``price``.

        Args:
            price: the chain price.
            quantity: the chain quantity.

        Returns:
            The adjusted chain quantity (possibly 0).
        """
        return markets.adjust_quantity(price, quantity, self.base.decimals)

    def validate_order(self, price: int, quantity: int) -> None:
        """Raise if the chain would reject an order at these values.

        Args:
            price: the chain price.
            quantity: the chain quantity.

        Raises:
            OrderRuleError: ``rule`` names the broken rule (PricePrecision, FractionalPrice,
                min_order).
        """
        markets.check_order(
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
        return markets.format_units(chain_value, self.quote.decimals)

    def quantity_decimal(self, chain_value: int) -> Decimal:
        """Chain quantity to its exact human value.

        Args:
            chain_value: a chain quantity (or any amount of the base asset).

        Returns:
            The exact Decimal.
        """
        return markets.format_units(chain_value, self.base.decimals)

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


__all__ = [
    "U64",
    "Decimals",
    "Market",
    "MarketAsset",
    "MarketSummary",
    "MarketTicker",
    "MarketsResponse",
]
