"""The adapter's type aliases, under o2-sdk 0.5.0's names (``o2_sdk.ccxt.types``)."""

from __future__ import annotations

from typing import Any, TypeAlias

#: A ccxt ``params`` argument.
Params: TypeAlias = dict[str, Any]
#: A ccxt unified structure (market, ticker, order, ...), as a dict.
CCXTObject: TypeAlias = dict[str, Any]

__all__ = ["CCXTObject", "Params"]
