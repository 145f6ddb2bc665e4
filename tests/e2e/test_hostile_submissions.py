"""A malformed success reply to a signed submission never wedges the account.

Each kind of hostile body is put in place of the exchange's reply to each kind of signed
submission, on every transport. The submission (which the exchange did carry out) ends in
a ``ProtocolError``; its nonce reservation is settled, so the next submission of any kind
on the same account goes through — all under a time limit, so a hang fails the test.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest

from o2_core import O2Client, OrderSide, ProtocolError

pytestmark = pytest.mark.anyio

PAIR = "fFUEL/fUSDC"

#: What replaces the reply body: each broke a parser before (see issue 13).
HOSTILE = {
    "invalid-utf8": b'{"tx_id":"0x12\xff"}',
    "nested-1000": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "wrong-types": b'{"tx_id":17,"orders":"none","session":[]}',
    "truncated": b'{"tx_id": "0x',
    "not-json": b"<html>502 Bad Gateway</html>",
}

Step = Callable[[O2Client, Any, Any], Awaitable[Any]]


async def _order(client: O2Client, owner: Any, session: Any) -> Any:
    return await client.create_order(PAIR, OrderSide.BUY, "0.01", 100, session=session)


async def _cancel(client: O2Client, owner: Any, session: Any) -> Any:
    placed = await _order(client, owner, session)
    return await client.cancel_order(placed.orders[0].order_id, PAIR, session=session)


async def _session(client: O2Client, owner: Any, session: Any) -> Any:
    return await client.create_session(owner=owner, markets=[PAIR])


async def _withdraw(client: O2Client, owner: Any, session: Any) -> Any:
    return await client.withdraw(owner, "fUSDC", "0.5")


#: submission kind -> (the path whose reply is garbled, the call that makes it)
SUBMISSIONS: dict[str, tuple[str, str, Step]] = {
    "order": ("POST", "/v1/session/actions", _order),
    "cancel": ("POST", "/v1/session/actions", _cancel),
    "session": ("PUT", "/v1/session", _session),
    "withdraw": ("POST", "/v1/accounts/withdraw", _withdraw),
}


@pytest.mark.parametrize("kind", sorted(SUBMISSIONS))
async def test_a_garbled_reply_settles_the_nonce(make_client, engine, kind: str) -> None:
    method, path, submit = SUBMISSIONS[kind]
    async with make_client(backoff_base=0.01) as client:
        owner = client.generate_wallet()
        await client.setup_account(owner)
        session = await client.create_session(owner=owner, markets=[PAIR])
        for name, body in HOSTILE.items():
            with anyio.fail_after(10):  # a wedged nonce would wait forever
                if kind == "cancel":  # garble the cancel, not the order before it
                    placed = await _order(client, owner, session)
                    with engine() as ex:
                        ex.faults.malformed(path, body, method=method)
                    with pytest.raises(ProtocolError):
                        await client.cancel_order(placed.orders[0].order_id, PAIR,
                                                  session=session)
                else:
                    with engine() as ex:
                        ex.faults.malformed(path, body, method=method)
                    with pytest.raises(ProtocolError) as info:
                        await submit(client, owner, session)
                    assert len(str(info.value)) < 400, name  # an excerpt, not the body
                # the account goes on: the same kind of submission, then an order
                done = await submit(client, owner, session)
                if kind == "session":  # the garbled one replaced the session we held
                    session = done
                assert (await _order(client, owner, session)).success, name
        with engine() as ex:
            assert not ex.faults.http, "every fault was used"
