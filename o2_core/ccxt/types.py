"""o2-sdk's ``o2_sdk.ccxt.types``: the type aliases of :mod:`o2_ccxt.types`."""

from __future__ import annotations

from o2_ccxt.types import CCXTObject, Params

__all__ = ["CCXTObject", "Params"]
