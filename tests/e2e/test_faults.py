"""Faults end to end: every fault ends in success after a retry or in a precise error,
never a hang, never a double-submitted order."""

from __future__ import annotations

import time

import anyio
import pytest

from o2_core import (
    InternalError,
    O2Client,
    O2Error,
    OrderSide,
    ProtocolError,
    RateLimitExceeded,
    UnknownSubmissionOutcome,
)

pytestmark = pytest.mark.anyio

PAIR = "fFUEL/fUSDC"
ACTIONS = "/v1/session/actions"


async def setup(client: O2Client):
    owner = client.generate_wallet()
    await client.setup_account(owner)
    return await client.create_session(owner=owner, markets=[PAIR])


async def open_orders(client: O2Client, session) -> int:
    return len(await client.get_orders(PAIR, session.trade_account_id, is_open=True, count=200))


async def test_rate_limits_are_retried_honouring_retry_after(make_client, engine) -> None:
    async with make_client(backoff_base=0.01) as client:
        with engine() as ex:
            ex.faults.status("/v1/markets", 429, retry_after=0.2, count=2)
        started = time.monotonic()
        with anyio.fail_after(10):
            markets = await client.get_markets()
        assert markets and time.monotonic() - started >= 0.4

        session = await setup(client)
        nonce = await client.get_nonce(session.trade_account_id)
        with engine() as ex:
            ex.faults.status(ACTIONS, 429, count=1)  # rejected before processing: safe to resend
        result = await client.create_order(PAIR, OrderSide.BUY, "0.02", 100)
        assert result.success and await open_orders(client, session) == 1
        assert await client.refresh_nonce(session) == nonce + 1

        with engine() as ex:
            ex.faults.status("/v1/depth", 429, count=10)
        with pytest.raises(RateLimitExceeded), anyio.fail_after(10):
            await client.get_depth(PAIR)
        with engine() as ex:
            ex.faults.clear()


async def test_server_errors_retry_reads_but_never_resend_a_submission(make_client, engine) -> None:
    async with make_client(backoff_base=0.01) as client:
        session = await setup(client)
        with engine() as ex:
            ex.faults.status("/v1/depth", 503, count=2)
            ex.faults.status("/v1/trades", 502, body=b"<html>bad gateway</html>", count=1)
        depth = await client.get_depth(PAIR)  # two 503s, then the book
        assert depth.market_id == (await client.get_market(PAIR)).market_id
        assert isinstance(
            await client.get_trades(PAIR), list
        )  # a 502 with an HTML body, then trades
        with engine() as ex:
            assert not ex.faults.http  # every queued fault was consumed by a retry

        nonce = await client.get_nonce(session.trade_account_id)
        with engine() as ex:
            ex.faults.status(ACTIONS, 500, count=1)
        with pytest.raises(InternalError):
            await client.create_order(PAIR, OrderSide.BUY, "0.02", 100)
        assert await open_orders(client, session) == 0
        again = await client.create_order(PAIR, OrderSide.BUY, "0.02", 100)  # nonce re-read
        assert again.success and await open_orders(client, session) == 1
        assert await client.refresh_nonce(session) == nonce + 1


async def test_dropped_connections(make_client, engine) -> None:
    async with make_client(backoff_base=0.01) as client:
        session = await setup(client)
        with engine() as ex:
            ex.faults.drop("/v1/orders", count=2)  # a read: retried
        assert await open_orders(client, session) == 0

        nonce = await client.get_nonce(session.trade_account_id)
        with engine() as ex:
            ex.faults.drop(ACTIONS, after=True)  # processed, reply lost
        with pytest.raises(UnknownSubmissionOutcome), anyio.fail_after(10):
            await client.create_order(PAIR, OrderSide.BUY, "0.02", 100)
        assert await open_orders(client, session) == 1  # executed once, not re-sent
        assert (await client.create_order(PAIR, OrderSide.BUY, "0.021", 100)).success
        assert await open_orders(client, session) == 2
        assert await client.refresh_nonce(session) == nonce + 2

        with engine() as ex:
            ex.faults.drop(ACTIONS)  # never reached the exchange
        with pytest.raises(UnknownSubmissionOutcome):
            await client.create_order(PAIR, OrderSide.BUY, "0.022", 100)
        assert await open_orders(client, session) == 2
        assert (await client.create_order(PAIR, OrderSide.BUY, "0.023", 100)).success


async def test_malformed_bodies_and_slow_replies(make_client, engine) -> None:
    async with make_client(backoff_base=0.01, action_timeout_seconds=0.5) as client:
        session = await setup(client)
        with engine() as ex:
            ex.faults.malformed("/v1/balance", count=1)
        with pytest.raises(ProtocolError):
            await client.get_balance(session.trade_account_id, "fUSDC")

        with engine() as ex:
            ex.faults.malformed(ACTIONS, count=1)
        with pytest.raises(ProtocolError):
            await client.create_order(PAIR, OrderSide.BUY, "0.02", 100)
        assert await open_orders(client, session) == 1  # it was executed; the reply was garbled

        with engine() as ex:
            ex.faults.delay(ACTIONS, 2.0, count=1)
        started = time.monotonic()
        with pytest.raises(UnknownSubmissionOutcome):
            await client.create_order(PAIR, OrderSide.BUY, "0.021", 100)
        assert time.monotonic() - started < 1.5
        await anyio.sleep(1.6)  # let the delayed reply land before counting
        assert await open_orders(client, session) in (1, 2)
        assert (await client.create_order(PAIR, OrderSide.BUY, "0.022", 100)).success


async def test_a_failed_concurrent_read_raises_the_plain_error(make_client, engine) -> None:
    async with make_client(max_retries=0) as client:
        session = await setup(client)
        with engine() as ex:
            ex.faults.status("/v1/balance", 404, body=b'{"code": 4002, "message": "nope"}')
        with pytest.raises(O2Error) as err:
            await client.get_balances(session.trade_account_id)
        assert err.value.code == 4002  # the O2Error itself, not an exception group
