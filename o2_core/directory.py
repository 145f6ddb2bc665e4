"""The markets of one exchange, indexed: resolving what users name a market or an asset.

Pure: built from a ``GET /v1/markets`` reply; the client fetches it once and asks here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .actions import MarketContext
from .errors import InvalidInput, MarketNotFound
from .market_models import Market, MarketsResponse


@dataclass(frozen=True, slots=True)
class AssetInfo:
    """An asset as markets list it: id, decimals and symbol."""

    asset_id: str
    decimals: int
    symbol: str


class MarketDirectory:
    """Markets by pair, market id and contract id; assets by symbol and id; contexts."""

    def __init__(self, reply: MarketsResponse) -> None:
        self.reply = reply
        self.markets: list[Market] = list(reply.markets)
        self.chain_id: int = reply.chain_id_int
        self._by_pair = {mk.pair: mk for mk in self.markets}
        self._by_lower_pair = {mk.pair.lower(): mk for mk in reversed(self.markets)}
        self._by_id: dict[str, Market] = {}
        for mk in reversed(self.markets):  # the first market wins a (theoretical) clash
            self._by_id[str(mk.contract_id)] = mk
            self._by_id[str(mk.market_id)] = mk
        self._contexts: dict[str, MarketContext] = {}
        self._assets: dict[str, AssetInfo] = {}
        for mk in self.markets:
            for side in (mk.base, mk.quote):
                info = AssetInfo(str(side.asset), side.decimals, side.symbol)
                self._assets.setdefault(side.symbol, info)
                self._assets.setdefault(str(side.asset), info)

    def resolve(self, market: str | Market) -> Market:
        """The market named by a pair (``"fFUEL/fUSDC"``, any case), market id or contract id.

        Raises:
            InvalidInput: ``market`` is not a non-empty string or a ``Market``.
            MarketNotFound: no market has that name.
        """
        if isinstance(market, Market):
            return market
        if not isinstance(market, str) or not market:
            raise InvalidInput(f"a market is a pair, a market_id or a contract_id, got {market!r}")
        found = self._by_pair.get(market) or self._by_lower_pair.get(market.lower())
        if found is None and (market[:2].lower() == "0x" or len(market) == 64):
            text = market.lower()
            found = self._by_id.get(text if text.startswith("0x") else "0x" + text)
        if found is None:
            known = ", ".join(mk.pair for mk in self.markets)
            raise MarketNotFound(f"no market {market!r}; known markets: {known}")
        return found

    def context(self, market: Market) -> MarketContext:
        """The precomputed encoding context of ``market`` (cached per market id)."""
        ctx = self._contexts.get(str(market.market_id))
        if ctx is None:
            ctx = MarketContext.of(market, self.reply.accounts_registry_id)
            self._contexts[str(market.market_id)] = ctx
        return ctx

    def asset(self, asset: str) -> AssetInfo:
        """An asset by symbol or by asset id (``0x``-prefixed, any case).

        Raises:
            InvalidInput: no market lists that asset.
        """
        info = self._assets.get(asset) if isinstance(asset, str) else None
        if info is None and isinstance(asset, str) and asset[:2].lower() == "0x":
            info = self._assets.get(asset.lower())
        if info is None:
            raise InvalidInput(f"unknown asset {asset!r}: use a symbol or an asset id of a market")
        return info

    def asset_ids(self) -> dict[str, str]:
        """Every asset of every market: symbol -> asset id, in market order."""
        out: dict[str, str] = {}
        for mk in self.markets:
            for side in (mk.base, mk.quote):
                out.setdefault(side.symbol, str(side.asset))
        return out


__all__ = ["AssetInfo", "MarketDirectory"]
