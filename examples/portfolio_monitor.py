"""A portfolio monitor: one trading account's balances and orders, live from the streams.

    python examples/portfolio_monitor.py                 # the embedded exchange, with trading
    python examples/portfolio_monitor.py --network testnet 0xTRADE_ACCOUNT_ID
    python examples/portfolio_monitor.py --api http://127.0.0.1:8080 0xTRADE_ACCOUNT_ID

It reads the balances and open orders once over REST, then follows the balances and
orders streams of the account, printing each change in human units. Two tasks feed one
loop through a memory channel, so the loop sees the changes in the order they arrived.
It stops after ``--updates`` changes or ``--seconds``. It only reads: it needs an
account id, never a key.

On the embedded exchange there is no account to watch, so the example makes one, and
trades on it (a sell order, part of it bought by another account, the rest cancelled).
"""

from __future__ import annotations

import argparse
from decimal import Decimal

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from o2_core import (
    BalanceUpdate,
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
Change = BalanceUpdate | OrderUpdate  # what the two streams send into the channel


def show(value: Decimal) -> str:
    """A decimal without trailing zeros: 100, 0.05."""
    return f"{value.normalize():f}"


class Portfolio:
    """Turns stream updates into lines a person reads (assets and markets by name)."""

    def __init__(self, markets: list[Market]) -> None:
        self.markets = {str(m.market_id): m for m in markets}
        self.assets = {str(a.asset): (a.symbol, a.decimals)
                       for m in markets for a in (m.base, m.quote)}
        self.decimals = dict(self.assets.values())  # by symbol

    def amount(self, symbol: str, chain_amount: int) -> str:
        """``chain_amount`` of an asset in its human unit."""
        return show(Decimal(chain_amount).scaleb(-self.decimals[symbol]))

    def balance_lines(self, update: BalanceUpdate) -> list[str]:
        """One line per asset in a balances update."""
        lines = []
        for entry in update.balance:
            symbol = self.assets.get(str(entry.asset_id), ("", 0))[0]
            if symbol:
                lines.append(f"balance {symbol}: available "
                             f"{self.amount(symbol, entry.total_unlocked)}, "
                             f"locked {self.amount(symbol, entry.total_locked)}")
        return lines

    def order_line(self, order: Order) -> str:
        """One order: side, size, price, market and state."""
        market = self.markets[str(order.market_id)]
        filled = show(market.quantity_decimal(order.quantity_fill))
        size = show(market.quantity_decimal(order.quantity))
        state = ("cancelled" if order.cancel else "filled" if order.close
                 else "partly filled" if order.quantity_fill else "open")
        return (f"order {str(order.order_id)[:10]}…: {order.side.lower()} {size} @ "
                f"{show(market.price_decimal(order.price))} {market.pair}, {state} "
                f"({filled}/{size} filled)")


async def forward(client: O2Client, account: str, kind: str,
                  send: MemoryObjectSendStream[Change]) -> None:
    """Send every update of one of the account's streams into ``send``."""
    async with send:
        stream = client.stream_balances if kind == "balances" else client.stream_orders
        async for update in stream(account):
            await send.send(update)


async def monitor(client: O2Client, account: str, updates: int) -> None:
    """Print the account's balances and open orders, then ``updates`` changes."""
    portfolio = Portfolio(await client.get_markets())
    print(f"watching {account}")
    for symbol, balance in (await client.get_balances(account)).items():
        print(f"balance {symbol}: available {portfolio.amount(symbol, balance.available)}, "
              f"locked {portfolio.amount(symbol, balance.locked)}")
    for market in portfolio.markets.values():
        for order in await client.get_orders(market, account, is_open=True):
            print(portfolio.order_line(order))
    send, receive = anyio.create_memory_object_stream[Change](100)
    async with anyio.create_task_group() as tg, receive:
        tg.start_soon(forward, client, account, "balances", send.clone())
        tg.start_soon(forward, client, account, "orders", send)
        seen = 0
        async for change in receive:
            if isinstance(change, BalanceUpdate):
                lines = portfolio.balance_lines(change)
            else:
                lines = [portfolio.order_line(order) for order in change.orders]
            for line in lines:
                print(line)
            seen += 1
            if seen >= updates:
                break
        tg.cancel_scope.cancel()


async def local_trading(client: O2Client, owner_session: SessionInfo) -> None:
    """Only on the embedded exchange: sell 100, let another account buy 40, cancel."""
    await anyio.sleep(0.3)  # the streams have no snapshot: let the subscriptions land
    placed = await client.create_order(PAIR, OrderSide.SELL, "0.05", 100,
                                       order_type=OrderType.POST_ONLY, session=owner_session)
    buyer_owner = client.generate_wallet()
    await client.setup_account(buyer_owner)
    buyer = await client.create_session(owner=buyer_owner, markets=[PAIR])
    await client.create_order(PAIR, OrderSide.BUY, "0.05", 40, session=buyer)
    assert placed.orders
    await client.cancel_order(placed.orders[0].order_id, market=PAIR, session=owner_session)


async def main(network: Network, config: NetworkConfig | None, account: str | None,
               updates: int, seconds: float) -> None:
    async with O2Client(network=network, custom_config=config) as client:
        with anyio.move_on_after(seconds):
            if account is not None:
                await monitor(client, account, updates)
                return
            owner = client.generate_wallet()  # the embedded exchange: an account to watch
            await client.setup_account(owner)
            session = await client.create_session(owner=owner, markets=[PAIR])
            async with anyio.create_task_group() as tg:
                tg.start_soon(local_trading, client, session)
                await monitor(client, str(session.trade_account_id), updates)


def cli() -> None:
    """Parse the command line and run the monitor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("account", nargs="?", help="trading account id (default on the "
                        "embedded exchange: one it makes)")
    parser.add_argument("--network", choices=[n.value for n in Network], default="local")
    parser.add_argument("--api", help="REST base URL of another deployment (e.g. o2-sim)")
    parser.add_argument("--ws", help="its WebSocket URL (default: from --api)")
    parser.add_argument("--updates", type=int, default=6, help="stop after this many changes")
    parser.add_argument("--seconds", type=float, default=60, help="stop after this long")
    args = parser.parse_args()
    config = None
    if args.api:
        ws = args.ws or args.api.replace("http", "ws", 1) + "/v1/ws"
        config = NetworkConfig(args.api, ws)
    network = Network(args.network)
    if args.account is None and (config is not None or network is not Network.LOCAL):
        parser.error("give the trading account to watch")
    anyio.run(main, network, config, args.account, args.updates, args.seconds)


if __name__ == "__main__":
    cli()
