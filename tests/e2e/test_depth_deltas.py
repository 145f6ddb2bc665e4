"""Depth as signed deltas, end to end: after random trading, our live ``order_book()``
and the official o2-sdk ``DepthBook`` fed from the simulator's depth stream both equal
the REST depth, through placements, partial and full fills, and cancels."""

from __future__ import annotations

import json
import time

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from o2_sdk import models as official

from o2_core import ChainInt, NetworkConfig, O2Client, OrderSide
from o2_core.book import OrderBook
from o2_core.sim import Exchange, default_config
from o2_transport_memory import MemoryTransport

PAIR = "fFUEL/fUSDC"
CONFIG = NetworkConfig("http://o2.local", "ws://o2.local/v1/ws", faucet_url="http://o2.local/faucet")
PRICES = [49_000, 49_500, 50_000, 50_500, 51_000]  # around the spread, on the tick

Step = tuple[str, int, int, int]  # (kind, who, price index, quantity in whole fFUEL)
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["buy", "sell", "cancel"]),
        st.integers(0, 1),
        st.integers(0, len(PRICES) - 1),
        st.integers(25, 80),
    ),
    min_size=1,
    max_size=10,
)


def levels(book: OrderBook) -> tuple[dict[int, int], dict[int, int]]:
    return {lv.price: lv.quantity for lv in book.bids}, {lv.price: lv.quantity for lv in book.asks}


async def run(steps: list[Step]) -> None:
    exchange = Exchange(default_config(seed=5), clock=time.time)
    async with O2Client(custom_config=CONFIG, transport=MemoryTransport(exchange)) as client:
        sessions = []
        for _ in range(2):
            owner = client.generate_wallet()
            await client.setup_account(owner)
            sessions.append(await client.create_session(owner=owner, markets=[PAIR]))
        market = await client.get_market(PAIR)

        # the official book, fed the raw frames of a connection of its own
        raw = await MemoryTransport(exchange).connect_websocket(CONFIG.ws_url, 5)
        await raw.send_text(json.dumps(
            {"action": "subscribe_depth", "market_id": str(market.market_id), "precision": "10"}
        ))
        official_book = official.DepthBook()
        ours: list[OrderBook] = []

        async def feed_official() -> None:
            while True:
                frame = json.loads(await raw.receive_text())
                official_book.apply(official.DepthUpdate.from_dict(frame))

        async def feed_ours() -> None:
            async for book in client.order_book(PAIR):
                ours[:] = [book]

        async def agree() -> None:
            want = await client.get_depth(PAIR)
            bids = {lv.price: lv.quantity for lv in want.bids}
            asks = {lv.price: lv.quantity for lv in want.asks}
            with anyio.fail_after(5):
                while not (ours and levels(ours[0]) == (bids, asks)
                           and (official_book.bids, official_book.asks) == (bids, asks)):
                    await anyio.sleep(0.005)

        async with anyio.create_task_group() as tg:
            tg.start_soon(feed_official)
            tg.start_soon(feed_ours)
            await agree()
            for kind, who, price_index, quantity in steps:
                session = sessions[who]
                if kind == "cancel":
                    mine = await client.get_orders(PAIR, session.trade_account_id, is_open=True)
                    if mine:
                        await client.cancel_order(mine[0].order_id, market=PAIR, session=session)
                else:
                    side = OrderSide.BUY if kind == "buy" else OrderSide.SELL
                    await client.create_order(
                        PAIR, side, ChainInt(PRICES[price_index]), quantity, session=session
                    )
                await agree()
            tg.cancel_scope.cancel()
        await raw.close()
        assert exchange.check_invariants() is None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STEPS)
def test_both_books_equal_rest_depth_through_random_trading(steps: list[Step]) -> None:
    anyio.run(run, steps)


def test_a_fill_is_a_negative_change_and_the_level_survives_a_partial_fill() -> None:
    anyio.run(run, [("sell", 0, 2, 80), ("buy", 1, 2, 30), ("buy", 1, 4, 50), ("cancel", 0, 0, 1)])
