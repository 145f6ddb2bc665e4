"""o2-sdk's ``o2_sdk.ccxt.exchange``: ``O2CCXT`` of :mod:`o2_ccxt`, unchanged."""

from __future__ import annotations

from o2_ccxt.exchange import O2CCXT

__all__ = ["O2CCXT"]
