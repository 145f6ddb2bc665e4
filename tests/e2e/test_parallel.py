"""The parallel nonce track end to end, on every transport (PROTOCOL_V05 §1).

Concurrent submissions on a parallel session do not wait for each other; the heal loop
of §1.8 (already used: resync and raise, never re-send; out of window: resync and retry
once); which track a withdrawal takes; the account upgrade and the capability probe.
"""

from __future__ import annotations

import time

import anyio
import pytest

from o2_core import ApiError, InvalidInput, O2Client, O2Error, OrderSide, SessionInfo
from o2_core.parallel_nonce import ParallelNonce
from o2_core.sim.nonces import ALREADY_USED, OUT_OF_WINDOW

pytestmark = pytest.mark.anyio

PAIR = "fFUEL/fUSDC"
ACTIONS = "/v1/session/actions"
LANE = 2


def used_slots(ex, tid: str, lane: int = LANE) -> int:
    """How many slots of ``lane`` the exchange has consumed (words below 8 only)."""
    window = ex.accounts[tid].windows.get(lane)
    return 0 if window is None else sum(bin(bits).count("1") for _, bits in window.slots)


def sequential_nonce(ex, tid: str) -> int:
    return ex.accounts[tid].nonce


async def parallel_session(client: O2Client, lane: int = LANE):
    owner = client.generate_wallet()
    await client.setup_account(owner)
    session = await client.create_session(
        owner=owner, markets=[PAIR], nonce_strategy="parallel", nonce_session_id=lane
    )
    return owner, session


def rejection(reason: str) -> bytes:
    return (b'{"code":1001,"message":"Parallel nonce is not usable: '
            + reason.encode() + b'"}')


async def test_concurrent_submissions_do_not_wait_for_each_other(make_client, engine) -> None:
    async with make_client() as client:
        _, session = await parallel_session(client)
        tid = str(session.trade_account_id)
        with engine() as ex:
            ex.faults.delay(ACTIONS, 0.4, count=8)
            before = sequential_nonce(ex, tid)
        results: list[object] = []

        async def place(i: int) -> None:
            # bids far below the other tests' prices: the loopback exchange is shared
            results.append(await client.create_order(PAIR, OrderSide.BUY, f"0.00{i + 1}", 1000))

        started = time.monotonic()
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                for i in range(8):
                    tg.start_soon(place, i)
        elapsed = time.monotonic() - started
        # eight replies each held 0.4 s: one after another would take 3.2 s
        assert elapsed < 1.6, elapsed
        assert len(results) == 8 and all(r.success for r in results)  # type: ignore[attr-defined]
        with engine() as ex:
            assert used_slots(ex, tid) == 8
            assert sequential_nonce(ex, tid) == before  # the sequential track untouched


async def test_an_already_used_slot_is_resynced_and_raised_never_resent(
    make_client, engine
) -> None:
    async with make_client() as client, make_client() as twin:
        _, session = await parallel_session(client)
        tid = str(session.trade_account_id)
        # A twin holding the same session key takes the slot the client will pick next:
        # exactly what a submission that landed but lost its reply looks like.
        saved = SessionInfo(session.session_id, tid, session.contract_ids,
                            session.session_expiry, session.session_private_key,
                            session.owner_address)
        await twin.restore_session(saved, "parallel", LANE)
        assert (await twin.create_order(PAIR, OrderSide.BUY, "0.01", 100)).success
        with engine() as ex:
            used_before = used_slots(ex, tid)
            counter = ex.faults.delay(ACTIONS, 0.0, count=100)  # counts what is sent
        with pytest.raises(ApiError) as info:
            await client.create_order(PAIR, OrderSide.BUY, "0.02", 100)
        assert ALREADY_USED in str(info.value)
        with engine() as ex:
            assert counter.count == 99  # sent once, never again
            assert used_slots(ex, tid) == used_before
            ex.faults.clear()
        assert len(await client.get_orders(PAIR, tid, is_open=True)) == 1
        # the resync healed the cursor: the next order goes through
        assert (await client.create_order(PAIR, OrderSide.BUY, "0.03", 100)).success


async def test_out_of_window_is_resynced_and_retried_once(make_client, engine) -> None:
    async with make_client() as client:
        _, session = await parallel_session(client)
        tid = str(session.trade_account_id)
        with engine() as ex:
            ex.faults.status(ACTIONS, 400, body=rejection(OUT_OF_WINDOW), count=1)
        assert (await client.create_order(PAIR, OrderSide.BUY, "0.01", 100)).success
        with engine() as ex:
            assert used_slots(ex, tid) == 1
            # twice in a row: one retry only, then the error
            ex.faults.status(ACTIONS, 400, body=rejection(OUT_OF_WINDOW), count=2)
        with pytest.raises(ApiError) as info:
            await client.create_order(PAIR, OrderSide.BUY, "0.02", 100)
        assert OUT_OF_WINDOW in str(info.value)
        with engine() as ex:
            assert not ex.faults.http and used_slots(ex, tid) == 1
        assert (await client.create_order(PAIR, OrderSide.BUY, "0.03", 100)).success


async def test_a_withdrawal_takes_the_track_of_the_active_session(make_client, engine) -> None:
    async with make_client() as client:
        owner, session = await parallel_session(client)
        tid = str(session.trade_account_id)
        with engine() as ex:
            seq = sequential_nonce(ex, tid)
        await client.withdraw(owner, "fUSDC", "1")  # active parallel session of this owner
        with engine() as ex:
            assert (used_slots(ex, tid), sequential_nonce(ex, tid)) == (1, seq)
        await client.withdraw_sequential(owner, "fUSDC", "1")
        with engine() as ex:
            assert (used_slots(ex, tid), sequential_nonce(ex, tid)) == (1, seq + 1)
        # an explicit nonce picks its own track
        await client.withdraw(owner, "fUSDC", "1", nonce=seq + 1)
        slot = ParallelNonce(LANE, int(time.time()) + 600, 0, 100)
        await client.withdraw(owner, "fUSDC", "1", nonce=slot)
        with engine() as ex:
            assert (used_slots(ex, tid), sequential_nonce(ex, tid)) == (2, seq + 2)
            assert ex.accounts[tid].windows[LANE].is_used(0, 100)

        # another owner's withdrawal stays on its own sequential track
        other = client.generate_wallet()
        other_account = await client.setup_account(other)
        other_tid = str(other_account.trade_account_id)
        with engine() as ex:
            other_seq = sequential_nonce(ex, other_tid)
        await client.withdraw(other, "fUSDC", "1")
        with engine() as ex:
            assert sequential_nonce(ex, other_tid) == other_seq + 1
            assert used_slots(ex, tid) == 2
        with pytest.raises(O2Error, match="No active parallel nonce manager"):
            await client.withdraw_parallel(other, "fUSDC", "1")


async def test_a_legacy_account_is_upgraded_before_it_trades_in_parallel(
    make_client, engine
) -> None:
    async with make_client() as client:
        owner = client.generate_wallet()
        account = await client.setup_account(owner)
        tid = str(account.trade_account_id)
        with engine() as ex:
            ex.set_legacy(tid)
        session = await client.create_session(
            owner=owner, markets=[PAIR], nonce_strategy="parallel", nonce_session_id=1
        )
        assert await client.probe_parallel_support(session, PAIR) is False
        with pytest.raises(O2Error):
            await client.ensure_parallel_session(owner, [PAIR], nonce_session_id=1,
                                                 auto_upgrade=False)
        session = await client.ensure_parallel_session(owner, [PAIR], nonce_session_id=1)
        with engine() as ex:
            assert not ex.accounts[tid].legacy
        assert await client.probe_parallel_support(session, PAIR) is True
        assert (await client.create_order(PAIR, OrderSide.BUY, "0.01", 100)).success
        assert await client.upgrade_account(owner) is None  # already current
        with pytest.raises(InvalidInput):
            await client.ensure_parallel_session(owner, [], nonce_session_id=1)
