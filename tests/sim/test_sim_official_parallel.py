"""The official o2-sdk 0.5.0 client on the parallel track against ``o2-sim`` over loopback.

Unchanged official code (``o2_sdk``) drives the simulator through HTTP: a legacy account
makes ``ensure_parallel_session`` probe (``Revert(123)``), upgrade and re-probe; concurrent
orders land on distinct slots; a typed withdrawal lands; a cursor pushed past the window
is refused as out of window and healed by one resync; a rewound cursor is refused as
already used and not retried. Only the SDK's upgrade poll interval (3 s) is shortened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import o2_sdk  # the official SDK, a test dependency
import pytest

from o2_core.sim import default_config
from o2_sim_server import SimServer

PAIR = "fFUEL/fUSDC"


@pytest.fixture
def server() -> Iterator[SimServer]:
    with SimServer(port=0, config=default_config(31, legacy_accounts=True)) as running:
        yield running


def client_for(server: SimServer) -> Any:
    config = o2_sdk.NetworkConfig(
        api_base=server.api_base,
        ws_url=server.ws_url,
        fuel_rpc="",
        faucet_url=server.faucet_url,
    )
    return o2_sdk.O2Client(custom_config=config)


def test_the_official_client_upgrades_a_legacy_account_and_trades_in_parallel(
    server: SimServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from o2_sdk import client as official_client
    from o2_sdk.nonce import is_parallel_nonce_already_used

    monkeypatch.setattr(official_client, "UPGRADE_POLL_INTERVAL_SECS", 0.01)

    async def run() -> None:
        client = client_for(server)
        try:
            owner = client.generate_wallet()
            account = await client.setup_account(owner)
            tid = str(account.trade_account_id)
            with server.locked() as ex:
                assert ex.accounts[tid].legacy
                nonce = ex.accounts[tid].nonce
            session = await client.ensure_parallel_session(
                owner=owner, markets=[PAIR], expiry_days=1, nonce_session_id=2
            )
            with server.locked() as ex:
                # upgraded; the sequential nonce moved for two sessions and the upgrade
                assert not ex.accounts[tid].legacy
                assert ex.accounts[tid].nonce == nonce + 3
                # the first probe reverted (nothing consumed); the second took (0, 0)
                assert ex.accounts[tid].windows[2].shown_slots() == [(0, 1)]
            manager = session.nonce_manager
            assert manager is not None and manager.cursor == (0, 1)

            async def place() -> Any:
                return await client.create_order(
                    PAIR, o2_sdk.OrderSide.BUY, 0.05, 10, session=session, collect_orders=True
                )

            results = await asyncio.gather(*[place() for _ in range(6)])
            assert all(r.success for r in results)
            assert manager.cursor == (0, 7)
            with server.locked() as ex:
                # create_order settles first: one batch per order, one slot each
                assert ex.accounts[tid].windows[2].shown_slots() == [(0, 0x7F)]
                assert sum(1 for o in ex.orders.values() if o.account.trade_account_id == tid) == 6

            withdrawal = await client.withdraw(owner, "fUSDC", 1.5)
            assert withdrawal.success
            with server.locked() as ex:
                assert ex.wallets[owner.b256_address][ex.market(PAIR).quote_asset] == 1_500_000

            # past the window: refused as out of window, resynced once, then lands
            generation = manager.resync_generation
            for _ in range(128 * 9):
                manager.next_nonce()
            late = await place()
            assert late.success and manager.resync_generation == generation + 1

            # a rewound cursor: "nonce already used", surfaced, not retried
            used = manager.cursor
            assert (await place()).success
            with manager._lock:
                manager._word, manager._bit = used
            with pytest.raises(o2_sdk.O2Error) as info:
                await place()
            assert is_parallel_nonce_already_used(info.value)
            with server.locked() as ex:
                orders = [o for o in ex.orders.values() if o.account.trade_account_id == tid]
                assert len(orders) == 8
                ex.check_invariants()
        finally:
            await client.close()

    asyncio.run(run())
