"""ccxt quickstart: trade on O2 through the ccxt API, against the embedded local exchange.

    python examples/ccxt_quickstart.py        # no network at all

Two traders share one in-process exchange: a maker rests a post-only sell, a taker
buys part of it with a price-bounded market order, and both watch it happen live.
"""

from __future__ import annotations

import asyncio

from o2_ccxt import O2CCXT
from o2_core import Network, O2Client
from o2_transport_memory import MemoryTransport, local_exchange

PAIR = "fFUEL/fUSDC"


async def main() -> None:
    engine, _ = local_exchange()  # one local exchange for both traders

    def trader() -> O2CCXT:
        client = O2Client(network=Network.LOCAL, transport=MemoryTransport(engine))
        return O2CCXT({"client": client, "signer": client.generate_wallet()})

    maker, taker = trader(), trader()
    try:
        for exchange in (maker, taker):
            await exchange.setup_account()  # create, fund from the faucet, whitelist
            await exchange.create_session([PAIR])
        market = (await maker.load_markets())[PAIR]
        limits = market["limits"]
        print(f"{PAIR}: precision {market['precision']}, min cost {limits['cost']['min']}")

        await maker.watch_order_book(PAIR)  # live book: the first call returns the snapshot
        next_book = asyncio.ensure_future(maker.watch_order_book(PAIR))  # the next change
        fills = asyncio.ensure_future(taker.watch_my_trades(PAIR))
        await asyncio.sleep(0.1)  # let the subscriptions reach the exchange

        sell = await maker.create_order(PAIR, "limit", "sell", 100, 0.05, {"orderType": "PostOnly"})
        print(f"maker sells {sell['amount']} @ {sell['price']}: {sell['status']}")
        book = await next_book
        print(f"live book: best ask {book['asks'][0]}")

        # a ccxt market order on O2 is a fill-or-kill bounded by maxPrice (buy) / minPrice (sell)
        buy = await taker.create_order(
            PAIR, "market", "buy", 40, None, {"maxPrice": 0.05, "minPrice": 0.04}
        )
        print(f"taker buys {buy['filled']} @ {buy['average']}: {buy['status']}")
        [fill] = await fills
        role = fill["takerOrMaker"]
        print(f"taker's fill: {fill['side']} {fill['amount']} @ {fill['price']} ({role})")

        order = await maker.fetch_order(sell["id"], PAIR)
        print(f"maker's order: {order['filled']} filled, {order['remaining']} left")
        canceled = await maker.cancel_order(sell["id"], PAIR)
        print(f"maker cancels the rest: {canceled['status']}")
        balance = await taker.fetch_balance()
        print(f"taker holds {balance['fFUEL']['total']} fFUEL")
    finally:
        await maker.close()
        await taker.close()


if __name__ == "__main__":
    asyncio.run(main())
