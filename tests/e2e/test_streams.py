"""Streams end to end: the guide's multiple-streams example, fills on every stream,
routing isolation, reconnects with a live order book, and prompt shutdown."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest

from o2_core import O2Client, OrderSide
from o2_core.client import StreamOptions
from o2_core.stream import ConnectionState

pytestmark = pytest.mark.anyio

PAIR = "fFUEL/fUSDC"
OTHER = "fETH/fUSDC"
FAST = StreamOptions(reconnect_base=0.01, reconnect_cap=0.05, ping_interval=2, pong_timeout=2)


async def trader(client: O2Client, markets: list[str] | None = None) -> Any:
    owner = client.generate_wallet()
    await client.setup_account(owner)
    return await client.create_session(owner=owner, markets=markets or [PAIR, OTHER])


async def collect(
    stream: AsyncIterator[Any], sink: list[Any], done: Callable[[list[Any]], bool]
) -> None:
    async for item in stream:
        sink.append(item)
        if done(sink):
            return


async def wait_for(predicate: Callable[[], bool], timeout: float = 10) -> None:
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(0.01)


def subscribed(client: O2Client, count: int) -> Callable[[], bool]:
    return lambda: (
        client._streams is not None and len(client._streams.protocol.subscriptions) >= count
    )


async def test_guide_multiple_streams_see_a_fill(make_client) -> None:
    async with make_client(stream_options=FAST) as client:
        maker = await trader(client)
        taker = await trader(client)
        mid = maker.trade_account_id
        seen: dict[str, list[Any]] = {
            k: [] for k in ("depth", "orders", "trades", "balances", "nonce")
        }

        def filled(orders: list[Any]) -> bool:
            return any(
                o.quantity_fill == o.quantity and not o.is_open for u in orders for o in u.orders
            )

        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                tg.start_soon(collect, client.stream_orders(mid), seen["orders"], filled)
                tg.start_soon(collect, client.stream_trades(PAIR), seen["trades"], bool)
                tg.start_soon(
                    collect, client.stream_balances(mid), seen["balances"], lambda s: len(s) >= 2
                )
                tg.start_soon(
                    collect, client.stream_nonce(mid), seen["nonce"], lambda s: s[-1].nonce >= 2
                )
                await wait_for(subscribed(client, 4))
                tg.start_soon(
                    collect,
                    client.stream_depth(PAIR),
                    seen["depth"],
                    lambda s: (
                        len(s) > 1
                        and not s[-1].is_snapshot
                        and any(c.quantity < 0 for c in s[-1].changes.asks)
                    ),
                )
                await wait_for(lambda: len(seen["depth"]) >= 1)
                assert seen["depth"][0].is_snapshot

                sell = await client.create_order(PAIR, OrderSide.SELL, "0.05", 100, session=maker)
                await client.create_order(PAIR, OrderSide.BUY, "0.05", 100, session=taker)

        order_id = sell.orders[0].order_id
        updates = [o for u in seen["orders"] for o in u.orders]
        assert {o.order_id for o in updates} == {order_id}
        assert updates[-1].quantity_fill == updates[-1].quantity == 100 * 10**9
        trade = seen["trades"][-1].trades[-1]
        assert (trade.price, trade.quantity) == (50_000, 100 * 10**9)
        assert all(u.market_id == seen["trades"][0].market_id for u in seen["trades"])
        assert all(e.identity.value == mid for u in seen["balances"] for e in u.balance)
        assert [u.nonce for u in seen["nonce"]][-1] == 2 and all(
            u.contract_id == mid for u in seen["nonce"]
        )
        changes = [c for u in seen["depth"][1:] for c in u.changes.asks]
        assert [(c.price, c.quantity) for c in changes] == [
            (50_000, 100 * 10**9), (50_000, -100 * 10**9)]  # signed changes: placed, filled


async def test_each_iterator_sees_only_its_market_and_account(make_client) -> None:
    async with make_client(stream_options=FAST) as client:
        alice = await trader(client)
        bob = await trader(client)
        alice_orders: list[Any] = []
        other_trades: list[Any] = []

        def seen_ids() -> set[Any]:
            return {o.order_id for u in alice_orders for o in u.orders}

        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                tg.start_soon(collect, client.stream_orders(alice.trade_account_id), alice_orders,
                              lambda s: False)
                tg.start_soon(collect, client.stream_trades(OTHER), other_trades, lambda s: False)
                await wait_for(subscribed(client, 2))
                await client.create_order(PAIR, OrderSide.SELL, "0.05", 100, session=bob)
                mine = await client.create_order(PAIR, OrderSide.BUY, "0.05", 100, session=alice)
                await client.create_order(PAIR, OrderSide.BUY, "0.04", 100, session=bob)
                # a last order of alice's: frames arrive in order, so once its update is
                # here every update about the orders before it is too
                last = await client.create_order(PAIR, OrderSide.BUY, "0.01", 1000, session=alice)
                last_id = last.orders[0].order_id
                await wait_for(lambda: last_id in seen_ids())
                tg.cancel_scope.cancel()
        assert other_trades == []  # every trade was on PAIR
        # only alice's own orders, none of bob's
        assert seen_ids() == {mine.orders[0].order_id, last_id}
        await client.cancel_order(last_id, market=PAIR, session=alice)


async def test_dropped_connections_resubscribe_and_the_book_converges(make_client, engine) -> None:
    rng = random.Random(5)
    async with make_client(stream_options=FAST) as client:
        makers = [await trader(client, [PAIR]) for _ in range(3)]
        books: list[Any] = []
        events: list[Any] = []
        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:

                async def follow_book() -> None:
                    async for book in client.order_book(PAIR):
                        books[:] = [book]

                orders: list[Any] = []
                trades: list[Any] = []
                tg.start_soon(follow_book)
                tg.start_soon(collect, client.stream_lifecycle(), events, lambda s: False)
                tg.start_soon(
                    collect,
                    client.stream_orders(makers[0].trade_account_id),
                    orders,
                    lambda s: False,
                )
                tg.start_soon(collect, client.stream_trades(PAIR), trades, lambda s: False)
                await wait_for(lambda: bool(books))
                for _round in range(6):
                    for _ in range(rng.randint(1, 4)):
                        session = rng.choice(makers)
                        side = rng.choice([OrderSide.BUY, OrderSide.SELL])
                        price = f"0.0{rng.randint(30, 90):02d}"
                        await client.create_order(
                            PAIR, side, price, rng.randint(40, 120), session=session
                        )
                    if rng.random() < 0.5:
                        await anyio.sleep(rng.random() / 20)
                    with engine() as ex:
                        ex.drop_ws_connections()
                    reconnected = sum(e.state is ConnectionState.RECONNECTED for e in events)
                    await wait_for(
                        lambda r=reconnected: (
                            sum(e.state is ConnectionState.RECONNECTED for e in events) > r
                        )
                    )
                with engine() as ex:
                    expected = ex.book_levels(PAIR)

                def converged() -> bool:
                    book = books[0]
                    return [(lv.price, lv.quantity) for lv in book.bids] == expected["buys"] and [
                        (lv.price, lv.quantity) for lv in book.asks
                    ] == expected["sells"]

                await wait_for(converged)
                # every iterator survived the drops: fresh activity still reaches each one
                seen_orders, seen_trades = len(orders), len(trades)
                await client.create_order(PAIR, OrderSide.SELL, "0.5", 10, session=makers[0])
                await client.create_order(PAIR, OrderSide.BUY, "0.5", 10, session=makers[1])
                await wait_for(lambda: len(orders) > seen_orders and len(trades) > seen_trades)
                tg.cancel_scope.cancel()
        states = [e.state for e in events]
        assert states.count(ConnectionState.RECONNECTED) >= 6
        assert ConnectionState.DISCONNECTED in states and ConnectionState.RECONNECTING in states


async def test_close_ends_every_iterator_promptly(make_client) -> None:
    client = make_client(stream_options=FAST)
    session = await trader(client)
    ended: list[str] = []
    depth: list[Any] = []
    lifecycle: list[Any] = []

    async def run(name: str, stream: AsyncIterator[Any], sink: list[Any]) -> None:
        async for item in stream:
            sink.append(item)
        ended.append(name)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(run, "depth", client.stream_depth(PAIR), depth)
            tg.start_soon(run, "orders", client.stream_orders(session.trade_account_id), [])
            tg.start_soon(run, "lifecycle", client.stream_lifecycle(), lifecycle)
            await wait_for(lambda: bool(depth))
            with anyio.fail_after(3):
                await client.close()
    assert sorted(ended) == ["depth", "lifecycle", "orders"]
    assert lifecycle[-1].state is ConnectionState.CLOSED


async def test_a_closed_iterator_drops_its_subscription_unless_shared(make_client, engine) -> None:
    async with make_client(stream_options=FAST) as client:
        first: list[Any] = []
        second: list[Any] = []
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(collect, client.stream_depth(PAIR), first, lambda s: True)
                tg.start_soon(collect, client.stream_depth(PAIR), second, lambda s: False)
                await wait_for(lambda: bool(first) and bool(second))
                await wait_for(lambda: len(client._streams.protocol.subscriptions) == 1)

                def server_subs() -> int:
                    with engine() as ex:
                        return sum(c.subscription_count for c in ex.ws.conns.values())

                assert server_subs() == 1  # still needed by the second iterator
                tg.cancel_scope.cancel()
        await wait_for(lambda: server_subs() == 0)
