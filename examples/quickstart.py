"""Quickstart: wallet → account → session → orders → a fill → balances → withdraw.

Runs against the embedded local O2 exchange by default (no network at all):

    python examples/quickstart.py                    # embedded local exchange
    python examples/quickstart.py --network testnet  # the real testnet (needs internet)
    python examples/quickstart.py --api http://127.0.0.1:8080 --ws ws://127.0.0.1:8080/v1/ws

On a real network only the first owner trades (one order, then cancelled); the local
exchange also shows a fill between two accounts.
"""

from __future__ import annotations

import argparse
from decimal import Decimal

import anyio

from o2_core import Network, NetworkConfig, O2Client, OrderSide, OrderType


def show(title: str, value: object = "") -> None:
    """Print one step of the demo."""
    print(f"  {title:<28} {value}")


async def main(network: Network, config: NetworkConfig | None, pair: str | None) -> None:
    async with O2Client(network=network, custom_config=config) as client:
        markets = await client.get_markets()
        market = await client.get_market(pair) if pair else markets[0]
        print(f"O2 quickstart on {client.config.api_base} — market {market.pair}")

        alice = client.generate_wallet()  # the maker
        show("wallet (alice)", alice.b256_address)
        account = await client.setup_account(alice)
        show("trading account", account.trade_account_id)
        alice_session = await client.create_session(owner=alice, markets=[market.pair])
        show("session key", alice_session.session_address)

        depth = await client.get_depth(market.pair)
        best_ask = depth.best_ask.price if depth.best_ask else None
        price = market.price_decimal(best_ask) * Decimal("0.5") if best_ask else Decimal("0.05")
        price = market.price_decimal(market.scale_price(price))
        quantity = Decimal(100)

        sell = await client.create_order(
            market.pair, OrderSide.SELL, price, quantity, order_type=OrderType.POST_ONLY
        )
        order = sell.orders[0] if sell.orders else None
        show("alice sells (post-only)", f"{quantity} @ {price:f}  tx {sell.tx_id}")

        if network is Network.LOCAL or config is not None:
            bob = client.generate_wallet()  # the taker
            await client.setup_account(bob)
            bob_session = await client.create_session(owner=bob, markets=[market.pair])
            buy = await client.create_order(
                market.pair, OrderSide.BUY, price, quantity / 2, session=bob_session
            )
            show("bob buys (spot)", f"{quantity / 2} @ {price:f}  tx {buy.tx_id}")
            trades = await client.get_trades(market.pair, count=5)
            if trades:
                qty, px = (
                    market.quantity_decimal(trades[0].quantity),
                    market.price_decimal(trades[0].price),
                )
                show("last trade", f"{qty:f} @ {px:f}")
            decimals = {a.symbol: a.decimals for mk in markets for a in (mk.base, mk.quote)}
            for who, session in (("alice", alice_session), ("bob", bob_session)):
                await client.settle_balance(market.pair, session=session)
                balances = await client.get_balances(session.trade_account_id)
                text = ", ".join(
                    f"{sym}={Decimal(bal.total).scaleb(-decimals[sym]).normalize():f}"
                    for sym, bal in balances.items()
                )
                show(f"{who} balances", text)

        open_orders = await client.get_orders(
            market.pair, alice_session.trade_account_id, is_open=True
        )
        show("alice open orders", [f"{o.quantity_fill}/{o.quantity}" for o in open_orders])
        if order is not None and order.is_open:
            cancelled = await client.cancel_all_orders(market.pair, session=alice_session)
            show("cancelled batches", len(cancelled))
        withdrawal = await client.withdraw(alice, market.quote.symbol, "1")
        show("withdraw 1 " + market.quote.symbol, f"success={withdrawal.success}")
        show("nonce now", await client.get_nonce(alice_session.trade_account_id))


def cli() -> None:
    """Parse arguments and run the demo."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", choices=[n.value for n in Network], default="local")
    parser.add_argument("--api", help="REST base URL of a custom deployment (e.g. o2-sim)")
    parser.add_argument("--ws", help="WebSocket URL of that deployment")
    parser.add_argument("--faucet", help="faucet URL of that deployment")
    parser.add_argument("--market", help="market pair, e.g. fFUEL/fUSDC (default: the first)")
    args = parser.parse_args()
    config = None
    if args.api:
        ws = args.ws or args.api.replace("http", "ws", 1) + "/v1/ws"
        config = NetworkConfig(args.api, ws, faucet_url=args.faucet or args.api + "/faucet")
    anyio.run(main, Network(args.network), config, args.market)


if __name__ == "__main__":
    cli()
