"""``o2 --demo``: something to look at on the embedded exchange, which starts empty.

Two demo traders share the command's own :class:`~o2_core.O2Client`: a market maker
rests five asks and five bids around a fixed mid on every market of the embedded
exchange, and a taker trades against them, so that ``depth``, ``trades``, ``balances``,
``orders`` and ``nonce`` all have something to show. With ``depth --watch`` they keep
trading (:func:`keep_trading`), so the book moves.

Their keys are derived from fixed labels: the embedded exchange is a local simulator
with no value in it, and fixed keys give the same trading account ids on every run.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from decimal import Decimal

import anyio

from o2_core import Market, O2Client, OrderSide, OrderType, SessionInfo

#: Names the demo's accounts answer to where a command takes an ACCOUNT.
ACCOUNT_NAMES = ("maker", "taker")


@dataclass(frozen=True)
class Ladder:
    """The maker's quotes on one market: ``levels`` a side, ``step`` apart, around ``mid``;
    level ``i`` (1-based) holds ``i * size``."""

    mid: Decimal
    step: Decimal
    size: Decimal
    levels: int = 5

    def price(self, side: OrderSide, level: int) -> Decimal:
        """The price of ``level`` (1 = nearest the mid) on ``side``."""
        offset = self.step * level
        return self.mid + offset if side is OrderSide.SELL else self.mid - offset


#: The ladders of the embedded exchange's markets (``o2_core.sim.default_config``).
LADDERS = {
    "fFUEL/fUSDC": Ladder(mid=Decimal("0.05"), step=Decimal("0.0005"), size=Decimal(1000)),
    "fETH/fUSDC": Ladder(mid=Decimal(2500), step=Decimal("2.5"), size=Decimal("0.2")),
}


def _wallet_key(name: str) -> bytes:
    return hashlib.sha256(f"o2 cli demo trader: {name}".encode()).digest()


@dataclass
class Demo:
    """The demo's two traders: their sessions, and their trading account ids by name."""

    maker: SessionInfo
    taker: SessionInfo
    markets: list[Market]

    @property
    def accounts(self) -> dict[str, str]:
        """``{"maker": trade_account_id, "taker": ...}``."""
        return {"maker": str(self.maker.trade_account_id),
                "taker": str(self.taker.trade_account_id)}


async def seed(client: O2Client) -> Demo:
    """Open the demo traders' accounts and sessions, rest the maker's ladders, and trade
    a little on every market the demo knows."""
    markets = [m for m in await client.get_markets() if m.pair in LADDERS]
    pairs = [m.pair for m in markets]
    sessions = []
    for name in ACCOUNT_NAMES:
        owner = client.load_wallet(_wallet_key(name))
        await client.setup_account(owner)
        sessions.append(await client.create_session(owner=owner, markets=pairs))
    client.clear_session()  # every demo order names its session
    demo = Demo(sessions[0], sessions[1], markets)
    for market in markets:
        ladder = LADDERS[market.pair]
        for side in (OrderSide.SELL, OrderSide.BUY):
            quotes = client.actions_for(market)
            for level in range(1, ladder.levels + 1):
                quotes.create_order(
                    side, ladder.price(side, level), ladder.size * level, OrderType.POST_ONLY
                )
            await client.batch_actions([quotes.build()], session=demo.maker)
        # the taker lifts half the best ask and hits 70% of the best bid
        await _take(client, demo, market, OrderSide.BUY, ladder.size / 2)
        await _take(client, demo, market, OrderSide.SELL, ladder.size * Decimal("0.7"))
    return demo


async def _take(
    client: O2Client, demo: Demo, market: Market, side: OrderSide, quantity: Decimal
) -> None:
    """The taker trades ``quantity`` (at most the best level's) at the best price."""
    book = await client.get_depth(market)
    levels = book.asks if side is OrderSide.BUY else book.bids
    if not levels:
        return
    best = levels[0]
    quantity = min(quantity, market.quantity_decimal(best.quantity))
    price = market.price_decimal(best.price)
    if quantity * price < market.price_decimal(market.min_order):
        return
    await client.create_order(market, side, price, quantity, session=demo.taker)


async def keep_trading(
    client: O2Client, demo: Demo, market: Market, interval: float = 0.3, seed: int = 0
) -> None:
    """Move the book of ``market`` until cancelled: every ``interval`` seconds the taker
    takes part of a best level, or the maker adds to a level of its ladder."""
    ladder = LADDERS[market.pair]
    rng = random.Random(seed)
    while True:
        await anyio.sleep(interval)
        side = rng.choice([OrderSide.BUY, OrderSide.SELL])
        size = ladder.size * Decimal(rng.randint(1, 8)) / 4
        if rng.random() < 0.5:
            await _take(client, demo, market, side, size)
        else:
            price = ladder.price(side, rng.randint(1, ladder.levels))
            await client.create_order(
                market, side, price, size, order_type=OrderType.POST_ONLY, session=demo.maker
            )


__all__ = ["ACCOUNT_NAMES", "LADDERS", "Demo", "Ladder", "keep_trading", "seed"]
