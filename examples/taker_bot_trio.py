"""The taker bot of ``taker_bot.py``, on trio: buy a quantity at or below a limit price.

    python examples/taker_bot_trio.py                   # the embedded local exchange
    python examples/taker_bot_trio.py --api http://127.0.0.1:8080   # e.g. o2-sim
    O2_PRIVATE_KEY=0x... python examples/taker_bot_trio.py --network testnet --limit 0.02

``O2Client`` runs on anyio, so the same calls work under trio: ``trio.run``, a nursery
and trio's cancel scopes replace their asyncio counterparts, and the bot is the same.
It follows ``O2Client.order_book()`` and takes the best ask with a fill-or-kill order
whenever it is at or below ``--limit``, until it has bought ``--quantity`` or
``--seconds`` have passed. A fill-or-kill order never rests, so stopping at any point
(Ctrl-C included) leaves nothing on the book.

On the embedded exchange nobody else trades, so the example brings a seller of its own
that offers 100 at a lower price every 0.2 seconds. On a real network the key comes from
the environment (``O2_PRIVATE_KEY``), never from the command line.
"""

from __future__ import annotations

import argparse
import os
from decimal import Decimal

import trio

from o2_core import (
    Market,
    Network,
    NetworkConfig,
    O2Client,
    O2Error,
    OrderSide,
    OrderType,
    SessionInfo,
)

PAIR = "fFUEL/fUSDC"


def show(value: Decimal) -> str:
    """A decimal without trailing zeros: 100, 0.05."""
    return f"{value.normalize():f}"


async def buy_below(client: O2Client, market: Market, limit: Decimal, wanted: Decimal) -> Decimal:
    """Take asks at or below ``limit`` until ``wanted`` is bought; the quantity bought."""
    bought = cost = Decimal(0)
    async for book in client.order_book(market):
        best = book.best_ask
        if best is None or market.price_decimal(best.price) > limit:
            continue  # nothing cheap enough yet: wait for the next change
        price = market.price_decimal(best.price)
        quantity = min(market.quantity_decimal(best.quantity), wanted - bought)
        try:
            await client.create_order(market, OrderSide.BUY, price, quantity,
                                      order_type=OrderType.FILL_OR_KILL)
        except O2Error as error:  # e.g. the level went first: the next book tells
            print(f"missed {show(quantity)} @ {show(price)}: {error}")
            continue
        bought += quantity
        cost += price * quantity
        print(f"bought {show(quantity)} @ {show(price)} ({show(wanted - bought)} to go)")
        if bought >= wanted:
            break
    base, quote = market.base.symbol, market.quote.symbol
    print(f"done: bought {show(bought)} {base} for {show(cost)} {quote}")
    return bought


async def local_seller(client: O2Client, market: Market, session: SessionInfo) -> None:
    """Only on the embedded exchange: offer 100 at 0.056, 0.054, ... every 0.2 s."""
    for step in range(6):
        await trio.sleep(0.2)
        price = Decimal("0.056") - Decimal("0.002") * step  # 0.056 down to 0.046
        await client.create_order(market, OrderSide.SELL, price, 100,
                                  order_type=OrderType.POST_ONLY, session=session)


async def main(network: Network, config: NetworkConfig | None, limit: Decimal,
               quantity: Decimal, seconds: float) -> None:
    async with O2Client(network=network, custom_config=config) as client:
        market = await client.get_market(PAIR)
        local = network is Network.LOCAL and config is None
        seller = None
        if local:  # a counterparty, with its own account and session
            seller_owner = client.generate_wallet()
            await client.setup_account(seller_owner)
            seller = await client.create_session(owner=seller_owner, markets=[PAIR])
        key = os.environ.get("O2_PRIVATE_KEY")
        owner = client.load_wallet(key) if key and not local else client.generate_wallet()
        await client.setup_account(owner)
        await client.create_session(owner=owner, markets=[PAIR])  # now the active session
        print(f"taker bot on {PAIR}: buy {show(quantity)} at or below {show(limit)}")
        with trio.move_on_after(seconds):
            async with trio.open_nursery() as nursery:
                if seller is not None:
                    nursery.start_soon(local_seller, client, market, seller)
                await buy_below(client, market, limit, quantity)
                nursery.cancel_scope.cancel()


def cli() -> None:
    """Parse the command line and run the bot under trio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", choices=[n.value for n in Network], default="local")
    parser.add_argument("--api", help="REST base URL of another deployment (e.g. o2-sim)")
    parser.add_argument("--ws", help="its WebSocket URL (default: from --api)")
    parser.add_argument("--limit", type=Decimal, default=Decimal("0.05"), help="highest price")
    parser.add_argument("--quantity", type=Decimal, default=Decimal(300), help="how much")
    parser.add_argument("--seconds", type=float, default=60, help="stop after this long")
    args = parser.parse_args()
    config = None
    if args.api:
        ws = args.ws or args.api.replace("http", "ws", 1) + "/v1/ws"
        config = NetworkConfig(args.api, ws, faucet_url=args.api + "/faucet")
    trio.run(main, Network(args.network), config, args.limit, args.quantity, args.seconds)


if __name__ == "__main__":
    cli()
