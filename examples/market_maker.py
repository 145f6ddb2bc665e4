"""A market maker: quote a bid and an ask around a mid price, and re-quote after fills.

    python examples/market_maker.py                     # the embedded local exchange
    python examples/market_maker.py --api http://127.0.0.1:8080   # e.g. o2-sim
    O2_PRIVATE_KEY=0x... python examples/market_maker.py --network testnet

The maker posts one post-only bid and one post-only ask in a single batch. Each fill
arrives on the orders stream; the maker then cancels what is left and quotes again, the
mid moved one step toward the side that traded. It stops after ``--fills`` fills or
``--seconds`` seconds, and on the way out, Ctrl-C included, cancels its quotes.

On the embedded exchange nobody else trades, so the example brings a taker of its own
that hits a quote every half second. On a real network the key comes from the
environment (``O2_PRIVATE_KEY``), never from the command line.
"""

from __future__ import annotations

import argparse
import os
from decimal import Decimal

import anyio

from o2_core import (
    Market,
    Network,
    NetworkConfig,
    O2Client,
    Order,
    OrderSide,
    OrderType,
    OrderUpdate,
    SessionInfo,
)

PAIR = "fFUEL/fUSDC"


def show(value: Decimal) -> str:
    """A decimal without trailing zeros: 100, 0.05."""
    return f"{value.normalize():f}"


class Maker:
    """The maker's quotes on one market: a bid and an ask, ``half_spread`` from ``mid``."""

    def __init__(self, client: O2Client, market: Market, mid: Decimal) -> None:
        self.client, self.market, self.mid = client, market, mid
        self.step = Decimal(1).scaleb(-market.quote.max_precision)  # one price tick
        self.half_spread, self.size = 5 * self.step, Decimal(100)
        self.filled: dict[str, int] = {}  # the live quotes' filled quantity, by order id
        self._lock = anyio.Lock()  # one re-quote at a time

    async def requote(self) -> None:
        """Cancel what is left of the quotes, then settle and quote again in one batch."""
        async with self._lock:
            await self._requote()

    async def _requote(self) -> None:
        await self.client.cancel_all_orders(self.market)
        bid, ask = self.mid - self.half_spread, self.mid + self.half_spread
        batch = (self.client.actions_for(self.market)
                 .settle_balance()  # proceeds of past fills back to the trading account
                 .create_order(OrderSide.BUY, bid, self.size, OrderType.POST_ONLY)
                 .create_order(OrderSide.SELL, ask, self.size, OrderType.POST_ONLY))
        placed = await self.client.batch_actions([batch.build()], collect_orders=True)
        self.filled = {str(order.order_id): 0 for order in placed.orders or []}
        size = show(self.size)
        print(f"quotes: bid {size} @ {show(bid)}, ask {size} @ {show(ask)}")

    def new_fills(self, update: OrderUpdate) -> list[tuple[Order, int]]:
        """The quotes an orders-stream update shows filled further, with how much more."""
        fills = []
        for order in update.orders:
            before = self.filled.get(str(order.order_id))
            if before is not None and order.quantity_fill > before:
                self.filled[str(order.order_id)] = order.quantity_fill
                fills.append((order, order.quantity_fill - before))
        return fills


async def make_market(maker: Maker, account: str, fills_wanted: int) -> int:
    """Quote, and after each fill move the mid a tick toward the buyers (an ask filled)
    or the sellers (a bid filled) and quote again; the number of fills seen."""
    fills = 0
    async with anyio.create_task_group() as tg:

        async def first_quotes() -> None:
            await anyio.sleep(0.2)  # orders have no snapshot: let the subscription land first
            await maker.requote()

        tg.start_soon(first_quotes)
        async for update in maker.client.stream_orders(account):
            new = maker.new_fills(update)
            for order, quantity in new:
                fills += 1
                side = "bought" if order.side == "Buy" else "sold"
                price = show(maker.market.price_decimal(order.price))
                amount = show(maker.market.quantity_decimal(quantity))
                print(f"fill {fills}: {side} {amount} @ {price}")
                maker.mid += maker.step if order.side == "Sell" else -maker.step
            if fills >= fills_wanted:
                break
            if new:
                await maker.requote()
        tg.cancel_scope.cancel()
    return fills


async def local_taker(client: O2Client, market: Market, taker: SessionInfo) -> None:
    """Only on the embedded exchange: hit the best bid or lift the best ask, in turn."""
    for turn in range(1_000_000):
        await anyio.sleep(0.5)
        book = await client.get_depth(market)
        side = OrderSide.BUY if turn % 2 == 0 else OrderSide.SELL
        levels = book.asks if side is OrderSide.BUY else book.bids
        if levels:
            price = market.price_decimal(levels[0].price)
            await client.create_order(market, side, price, 30, session=taker)


async def main(network: Network, config: NetworkConfig | None, fills: int, seconds: float) -> None:
    async with O2Client(network=network, custom_config=config) as client:
        market = await client.get_market(PAIR)
        local = network is Network.LOCAL and config is None
        key = os.environ.get("O2_PRIVATE_KEY")
        owner = client.load_wallet(key) if key and not local else client.generate_wallet()
        await client.setup_account(owner)
        taker = None
        if local:  # a counterparty, with its own account and session
            taker_owner = client.generate_wallet()
            await client.setup_account(taker_owner)
            taker = await client.create_session(owner=taker_owner, markets=[PAIR])
        session = await client.create_session(owner=owner, markets=[PAIR])  # now the active one
        maker = Maker(client, market, mid=Decimal("0.05"))
        print(f"market maker on {PAIR} around {show(maker.mid)}")
        done = 0
        try:
            with anyio.move_on_after(seconds):
                async with anyio.create_task_group() as tg:
                    if taker is not None:
                        tg.start_soon(local_taker, client, market, taker)
                    done = await make_market(maker, str(session.trade_account_id), fills)
                    tg.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):  # runs even when cancelled or interrupted
                await client.cancel_all_orders(market)
                left = await client.get_orders(market, session.trade_account_id, is_open=True)
                print(f"done: {done} fills; open orders left: {len(left)}")


def cli() -> None:
    """Parse the command line and run the market maker."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", choices=[n.value for n in Network], default="local")
    parser.add_argument("--api", help="REST base URL of another deployment (e.g. o2-sim)")
    parser.add_argument("--ws", help="its WebSocket URL (default: from --api)")
    parser.add_argument("--fills", type=int, default=5, help="stop after this many fills")
    parser.add_argument("--seconds", type=float, default=60, help="stop after this long")
    args = parser.parse_args()
    config = None
    if args.api:
        ws = args.ws or args.api.replace("http", "ws", 1) + "/v1/ws"
        config = NetworkConfig(args.api, ws, faucet_url=args.api + "/faucet")
    anyio.run(main, Network(args.network), config, args.fills, args.seconds)


if __name__ == "__main__":
    cli()
