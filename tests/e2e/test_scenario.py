"""The seed API end to end, over every transport, against the local exchange."""

from __future__ import annotations

import time
from decimal import Decimal

import anyio
import pytest

from o2_core import (
    BoundedMarketOrder,
    ChainInt,
    CreateOrderAction,
    InvalidInput,
    LimitOrder,
    MarketActions,
    MarketNotFound,
    OnChainRevert,
    OrderRuleError,
    OrderSide,
    OrderType,
    SessionExpired,
    SettleBalanceAction,
    TooManyActions,
)
from o2_core.models import SessionInfo

pytestmark = pytest.mark.anyio

PAIR = "fFUEL/fUSDC"


def units(value: str, decimals: int) -> int:
    """Chain units of a human decimal string."""
    return int(Decimal(value).scaleb(decimals))


async def test_full_scenario(make_client) -> None:
    async with make_client() as client:
        market = await client.get_market(PAIR)
        assert market.pair == PAIR
        fee_maker, fee_taker = market.maker_fee, market.taker_fee

        alice = client.generate_wallet()
        bob = client.generate_evm_wallet()  # an EVM owner exercises the other signing path
        alice_account = await client.setup_account(alice)
        bob_account = await client.setup_account(bob)
        assert alice_account.exists and bob_account.exists
        again = await client.setup_account(alice)  # idempotent
        assert again.trade_account_id == alice_account.trade_account_id

        start = await client.get_balances(alice_account)
        usdc0 = start["fUSDC"].total
        fuel0 = start["fFUEL"].total
        assert usdc0 > 0 and fuel0 > 0

        a_session = await client.create_session(owner=alice, markets=[PAIR, "fETH/fUSDC"])
        assert client.session is a_session
        b_session = await client.create_session(owner=bob, markets=[PAIR], expiry_days=1)
        assert client.session is b_session
        client.set_session(a_session)
        assert await client.get_nonce(a_session.trade_account_id) == 1

        # Alice makes: every resting order type on both sides.
        spot_sell = await client.create_order(PAIR, OrderSide.SELL, "0.06", 50)
        assert spot_sell.success and spot_sell.orders and spot_sell.orders[0].is_open
        post_buy = await client.create_order(
            PAIR, OrderSide.BUY, Decimal("0.04"), 30.0, order_type=OrderType.POST_ONLY
        )
        assert post_buy.orders and post_buy.orders[0].price == units("0.04", 6)
        limit_sell = await client.create_order(
            PAIR,
            OrderSide.SELL,
            "0.07",
            20,
            order_type=LimitOrder(price="0.07", timestamp=int(time.time()) + 3600),
        )
        assert limit_sell.orders and limit_sell.orders[0].is_open
        raw_buy = await client.create_order(
            PAIR, OrderSide.BUY, ChainInt(30_000), ChainInt(100 * 10**9)
        )
        assert raw_buy.orders and raw_buy.orders[0].quantity == 100 * 10**9

        depth = await client.get_depth(PAIR)
        assert depth.best_bid is not None and depth.best_bid.price == units("0.04", 6)
        assert depth.best_ask is not None and depth.best_ask.price == units("0.06", 6)

        # Bob takes: a market buy fills against Alice's spot sell at the maker price.
        taken = await client.create_order(
            PAIR, OrderSide.BUY, "0.065", 50, order_type=OrderType.MARKET, session=b_session
        )
        assert taken.success
        # A bounded market sell fills Alice's post-only buy inside the bounds.
        bounded = await client.create_order(
            PAIR,
            OrderSide.SELL,
            "0.04",
            30,
            order_type=BoundedMarketOrder(max_price="0.05", min_price="0.035"),
            session=b_session,
        )
        assert bounded.success

        trades = await client.get_trades(PAIR, count=10)
        assert [(t.price, t.quantity) for t in trades[:2]] == [
            (units("0.04", 6), units("30", 9)),
            (units("0.06", 6), units("50", 9)),
        ]
        bob_trades = await client.get_trades(PAIR, account=b_session.trade_account_id)
        assert {t.trader_side for t in bob_trades} == {"taker"}

        # Fill-or-kill that cannot fill and a crossing post-only both revert on chain,
        # consume the nonce, and the next order still goes through.
        nonce_before = await client.get_nonce(b_session.trade_account_id)
        with pytest.raises(OnChainRevert) as fok:
            await client.create_order(
                PAIR,
                OrderSide.BUY,
                "0.08",
                1000,
                order_type=OrderType.FILL_OR_KILL,
                session=b_session,
            )
        assert "OrderNotFilled" in str(fok.value)
        with pytest.raises(OnChainRevert) as post:
            await client.create_order(
                PAIR,
                OrderSide.SELL,
                "0.03",
                50,
                order_type=OrderType.POST_ONLY,
                session=b_session,
            )
        assert "OrderPartiallyFilled" in str(post.value)
        assert await client.refresh_nonce(b_session) == nonce_before + 2
        ok = await client.create_order(PAIR, OrderSide.SELL, "0.09", 20, session=b_session)
        assert ok.success

        # Cancel: one by id, then the rest.
        open_orders = await client.get_orders(PAIR, a_session.trade_account_id, is_open=True)
        ids = {o.order_id for o in open_orders}
        assert limit_sell.orders[0].order_id in ids and raw_buy.orders[0].order_id in ids
        assert spot_sell.orders[0].order_id not in ids  # filled
        await client.cancel_order(limit_sell.orders[0].order_id, market=PAIR)
        cancelled = await client.get_order(PAIR, limit_sell.orders[0].order_id)
        assert cancelled.cancel and not cancelled.is_open
        results = await client.cancel_all_orders(PAIR)
        assert len(results) == 1 and results[0].success
        assert await client.get_orders(PAIR, a_session.trade_account_id, is_open=True) == []

        # Settle and check Alice's balances to the unit: she sold 50 @ 0.06 and bought
        # 30 @ 0.04 as the maker, paying the maker fee on what she received.
        await client.settle_balance(PAIR)
        end = await client.get_balances(a_session.trade_account_id)
        got_usdc = units("3", 6) - int(units("3", 6) * fee_maker)
        got_fuel = units("30", 9) - int(units("30", 9) * fee_maker)
        assert end["fUSDC"].total == usdc0 + got_usdc - units("1.2", 6)
        assert end["fFUEL"].total == fuel0 - units("50", 9) + got_fuel
        assert end["fUSDC"].total_locked == 0 and end["fFUEL"].total_locked == 0
        assert fee_taker >= 0

        # Withdraw exactly 1.5 fUSDC to the owner.
        withdrawal = await client.withdraw(alice, "fUSDC", "1.5")
        assert withdrawal.success
        after = await client.get_balances(a_session.trade_account_id)
        assert after["fUSDC"].total == end["fUSDC"].total - units("1.5", 6)

        # Typed batch: settle + create with raw chain values.
        batch = await client.batch_actions(
            [
                MarketActions(
                    market_id=market.market_id,
                    actions=[
                        SettleBalanceAction(to=a_session.trade_account_id),
                        CreateOrderAction(
                            OrderSide.BUY, str(units("0.01", 6)), str(units("200", 9))
                        ),
                    ],
                )
            ],
            collect_orders=True,
        )
        assert batch.orders and batch.orders[0].price == units("0.01", 6)
        fluent = client.actions_for(PAIR).cancel_order(batch.orders[0].order_id).settle_balance()
        assert (await client.batch_actions([fluent.build()])).success


async def test_bad_input_is_rejected_before_signing(make_client) -> None:
    async with make_client() as client:
        owner = client.generate_wallet()
        await client.setup_account(owner)
        session = await client.create_session(owner=owner, markets=[PAIR])
        nonce = await client.get_nonce(session.trade_account_id)

        with pytest.raises(InvalidInput):
            await client.create_order(PAIR, OrderSide.BUY, "-1", 10)
        with pytest.raises(InvalidInput):
            await client.create_order(PAIR, OrderSide.BUY, float("nan"), 10)
        with pytest.raises(InvalidInput):
            await client.create_order(PAIR, OrderSide.BUY, "0.05", "inf")
        with pytest.raises(MarketNotFound):
            await client.create_order("NOPE/USD", OrderSide.BUY, "0.05", 10)
        with pytest.raises(OrderRuleError) as too_small:
            await client.create_order(PAIR, OrderSide.BUY, "0.05", 1)
        assert too_small.value.rule == "min_order"
        with pytest.raises(InvalidInput):
            await client.create_order(PAIR, OrderSide.BUY, ChainInt(123_456_789_1), 10)
        with pytest.raises(InvalidInput):
            await client.create_order(PAIR, OrderSide.BUY, "0.05", 100, order_type="Spot")
        with pytest.raises(InvalidInput):
            await client.cancel_order("0x" + "ab" * 32)
        with pytest.raises(InvalidInput):
            await client.cancel_order("0x1234", market=PAIR)
        with pytest.raises(InvalidInput):
            await client.create_order("fETH/fUSDC", OrderSide.BUY, "2000", "0.01")
        builder = client.actions_for(PAIR)
        for _ in range(6):
            builder.create_order(OrderSide.BUY, "0.01", 200)
        with pytest.raises(TooManyActions):
            await client.batch_actions([builder.build()])
        with pytest.raises(InvalidInput):
            await client.withdraw(owner, "fUSDC", "0.0000001")
        with pytest.raises(InvalidInput):
            await client.withdraw(owner, "NOPE", "1")
        with pytest.raises(InvalidInput):
            await client.get_depth(PAIR, precision=19)
        with pytest.raises(InvalidInput):
            await client.get_bars(PAIR, "7m", 0, 1000)
        assert await client.refresh_nonce(session) == nonce  # nothing was submitted

        expired = SessionInfo(
            session_id=session.session_id,
            trade_account_id=session.trade_account_id,
            contract_ids=session.contract_ids,
            session_expiry=int(time.time()) - 1,
            session_wallet=session.session_wallet,
            owner_address=session.owner_address,
        )
        with pytest.raises(SessionExpired):
            await client.create_order(PAIR, OrderSide.BUY, "0.05", 100, session=expired)
        assert await client.refresh_nonce(session) == nonce


async def test_concurrent_orders_get_distinct_nonces(make_client) -> None:
    async with make_client() as client:
        owner = client.generate_wallet()
        await client.setup_account(owner)
        session = await client.create_session(owner=owner, markets=[PAIR])
        first = await client.get_nonce(session.trade_account_id)
        results = []

        async def place(i: int) -> None:
            price = Decimal("0.01") + Decimal(i) / Decimal(10_000)
            results.append(await client.create_order(PAIR, OrderSide.BUY, price, 200))

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                for i in range(50):
                    tg.start_soon(place, i)
        assert len(results) == 50 and all(r.success for r in results)
        assert len({r.tx_id for r in results}) == 50
        assert await client.refresh_nonce(session) == first + 50
        orders = await client.get_orders(PAIR, session.trade_account_id, is_open=True, count=200)
        assert len(orders) == 50


async def test_cancelled_submissions_leave_no_nonce_gap(make_client) -> None:
    async with make_client() as client:
        owner = client.generate_wallet()
        await client.setup_account(owner)
        session = await client.create_session(owner=owner, markets=[PAIR])
        first = await client.get_nonce(session.trade_account_id)
        placed = []

        async def place(i: int) -> None:
            placed.append(
                await client.create_order(
                    PAIR, OrderSide.BUY, Decimal("0.01") + Decimal(i) / 10**5, 200
                )
            )

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for i in range(10):
                    tg.start_soon(place, i)
                await anyio.sleep(0)
                tg.cancel_scope.cancel()  # cancel them wherever they are
            # whatever was cancelled, the next orders go through with the right nonce
            async with anyio.create_task_group() as tg:
                for i in range(10, 15):
                    tg.start_soon(place, i)
        nonce = await client.refresh_nonce(session)
        orders = await client.get_orders(PAIR, session.trade_account_id, is_open=True, count=200)
        assert len(orders) == nonce - first >= 5
