"""Pure conversions from O2 values to the pieces of ccxt structures.

Chain integers become exact decimal strings (ccxt's ``safe_*`` helpers then make them
numbers); nothing here touches a network or an exchange instance.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any

import msgspec

from o2_core.models import Identity, Trade

#: ccxt timeframe -> milliseconds, the bar resolutions the adapter offers.
TIMEFRAMES: dict[str, int] = {
    "1m": 60_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "4h": 14_400_000,
    "1d": 86_400_000,
}

_MS_THRESHOLD = 1_000_000_000_000  # below: seconds (year 33658 in ms), above: milliseconds


def units(value: int | Decimal | None, decimals: int) -> str | None:
    """A chain integer as an exact human decimal string (``1500000``, 6 -> ``"1.5"``).

    Args:
        value: the chain integer (or an exact Decimal in chain units); None passes through.
        decimals: the asset's decimals.
    """
    if value is None:
        return None
    text = format(Decimal(value).scaleb(-decimals), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def timestamp_ms(value: object) -> int | None:
    """Milliseconds from an O2 timestamp in seconds or milliseconds (0/None: unknown).

    Integers are what the client's models hold; digit strings and ISO 8601 texts
    (``"2023-11-14T22:13:20Z"``) are read too, anything else is unknown (None).
    """
    if isinstance(value, str):
        text = value.strip()
        if not text.isdigit():
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return int(moment.timestamp() * 1000) or None
        value = int(text)
    elif isinstance(value, float) and value == value and abs(value) != float("inf"):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return None
    return value * 1000 if value < _MS_THRESHOLD else value


def number_or_none(value: object) -> float | None:
    """A finite number as a float (a number or its text), else None (``""`` included)."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        parsed = Decimal(str(value).strip())
    except ArithmeticError:
        return None
    return float(parsed) if parsed.is_finite() else None


def order_type_info(order_type: Any) -> tuple[str, str | None, bool]:
    """``(ccxt type, timeInForce, postOnly)`` of an O2 order type as the API shows it.

    The API shows a plain name (``"Spot"``, ``"PostOnly"``, ...) or a one-key object
    (``{"Limit": [...]}``, ``{"BoundedMarket": {...}}``).
    """
    if isinstance(order_type, dict):
        label = next(iter(order_type), "Spot")
    elif isinstance(order_type, Enum):
        label = order_type.value
    else:
        label = order_type if isinstance(order_type, str) else "Spot"
    if label in ("Market", "BoundedMarket"):
        return "market", None, False
    if label == "FillOrKill":
        return "limit", "FOK", False
    if label == "PostOnly":
        return "limit", "PO", True
    return "limit", "GTC", False


def _opposite(side: str) -> str:
    return "sell" if side == "buy" else "buy"


def trader_side(trade: Trade, account: str) -> str | None:
    """``"maker"``, ``"taker"``, ``"both"`` (a self-trade) or None: ``account``'s part."""
    if trade.trader_side:
        return trade.trader_side
    maker = _is(trade.maker, account)
    taker = _is(trade.taker, account)
    if maker and taker:
        return "both"
    return "maker" if maker else "taker" if taker else None


def _is(identity: Identity | None, account: str) -> bool:
    return identity is not None and identity.value == account


def trade_side(trade: Trade, role: str | None) -> tuple[str | None, str | None]:
    """``(side, takerOrMaker)`` of a trade.

    O2 reports the maker order's side. A public trade (``role`` None) is shown from the
    taker's side; an account's trade from that account's side; a self-trade (``"both"``)
    has no side.
    """
    maker_side = trade.side.lower()
    if maker_side not in ("buy", "sell"):
        return None, role if role in ("maker", "taker") else None
    if role is None:
        return _opposite(maker_side), None
    if role == "both":
        return None, None
    if role == "maker":
        return maker_side, "maker"
    return _opposite(maker_side), "taker"


def _enc_hook(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str):  # Id and other str subclasses
        return str(value)
    raise NotImplementedError(f"cannot show {type(value).__name__}")


def to_info(value: Any) -> Any:
    """A JSON-compatible copy of an O2 value (structs, ids, Decimals, enums)."""
    return msgspec.to_builtins(value, enc_hook=_enc_hook)


__all__ = [
    "TIMEFRAMES",
    "number_or_none",
    "order_type_info",
    "timestamp_ms",
    "to_info",
    "trade_side",
    "trader_side",
    "units",
]
