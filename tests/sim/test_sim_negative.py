"""Bad submissions get the real error reply and change nothing at all."""

from __future__ import annotations

import msgspec
import pytest

from o2_core import crypto, http
from o2_core import models as m

from .conftest import BASE, FUEL, P, Sim, error_code, revert_reason


@pytest.fixture
def armed(sim: Sim):
    """A funded trader with a session on fFUEL/fUSDC only, and a resting order."""
    trader = sim.new_trader(markets=[P])
    sim.place(trader, P, "Buy", 50_000, 100 * FUEL)
    return sim, trader


def _unchanged(
    sim: Sim, request: http.Request, expect_code: int | None, expect_revert: str | None
) -> None:
    before = sim.ex.snapshot()
    reply = sim.send(request)
    if expect_code is not None:
        assert error_code(reply) == expect_code
    else:
        assert expect_revert is not None
        assert revert_reason(reply).startswith(expect_revert)
    assert sim.ex.snapshot() == before


def test_wrong_session_key(armed) -> None:
    sim, trader = armed
    impostor = m.SessionInfo(
        session_id=trader.session.session_id,
        trade_account_id=trader.trade_account_id,
        contract_ids=trader.session.contract_ids,
        session_expiry=trader.session.session_expiry,
        session_wallet=trader.session.session_wallet,
        owner_address=trader.owner.b256_address,
    )
    # the SDK refuses such a session; the exchange must refuse it too
    impostor.session_wallet = crypto.generate_wallet()
    request = sim.actions_request(
        trader, [(P, [sim.create(P, "Buy", 50_000, 100 * FUEL)])], session=impostor
    )
    _unchanged(sim, request, 4000, None)


def test_tampered_body(armed) -> None:
    sim, trader = armed
    request = sim.actions_request(trader, [(P, [sim.create(P, "Buy", 50_000, 100 * FUEL)])])
    tampered = (request.body or b"").replace(b'"price":"50000"', b'"price":"40000"')
    assert tampered != request.body
    _unchanged(sim, http.post_actions(BASE, trader.owner.b256_address, tampered), 4000, None)


def test_stale_nonce(armed) -> None:
    sim, trader = armed
    nonce = sim.nonce(trader)
    request = sim.actions_request(
        trader, [(P, [sim.create(P, "Buy", 50_000, 100 * FUEL)])], nonce=nonce - 1
    )
    _unchanged(sim, request, None, "NonceError::InvalidNonce")
    assert sim.nonce(trader) == nonce


def test_expired_session(armed) -> None:
    sim, trader = armed
    request = sim.actions_request(trader, [(P, [sim.create(P, "Buy", 50_000, 100 * FUEL)])])
    sim.clock.advance(3601)
    _unchanged(sim, request, 4001, None)


def test_replaced_session(armed) -> None:
    sim, trader = armed
    old = trader.session
    sim.open_session(trader, [P])
    request = sim.actions_request(
        trader, [(P, [sim.create(P, "Buy", 50_000, 100 * FUEL)])], session=old
    )
    _unchanged(sim, request, 4001, None)


def test_market_outside_session(armed) -> None:
    sim, trader = armed
    pair = "fETH/fUSDC"
    request = sim.actions_request(
        trader, [(pair, [sim.create(pair, "Buy", 3_000_000_000, 25_000 * 40)])]
    )
    _unchanged(sim, request, 4001, None)


def test_unknown_market_and_account(armed) -> None:
    sim, trader = armed
    request = sim.actions_request(trader, [(P, [sim.create(P, "Buy", 50_000, 100 * FUEL)])])
    data = msgspec.json.decode(request.body or b"")
    data["actions"][0]["market_id"] = "0x" + "44" * 32
    _unchanged(
        sim,
        http.post_actions(BASE, trader.owner.b256_address, msgspec.json.encode(data)),
        2000,
        None,
    )
    data = msgspec.json.decode(request.body or b"")
    data["trade_account_id"] = "0x" + "55" * 32
    _unchanged(
        sim,
        http.post_actions(BASE, trader.owner.b256_address, msgspec.json.encode(data)),
        4002,
        None,
    )


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b'{"actions": [', 1002),
        (b"not json", 1002),
        (b'{"actions": "x"}', 1001),
        (
            b'{"actions": [], "signature": {"Secp256k1": "0x00"}, "nonce": "1",'
            b' "trade_account_id": "0x01", "session_id": {"Address": "0x01"}}',
            7003,
        ),
    ],
)
def test_malformed_bodies(armed, payload: bytes, code: int) -> None:
    sim, trader = armed
    _unchanged(sim, http.post_actions(BASE, trader.owner.b256_address, payload), code, None)


def test_too_many_actions(armed) -> None:
    sim, trader = armed
    actions = [sim.create(P, "Buy", 50_000, 100 * FUEL) for _ in range(6)]
    _unchanged(sim, sim.actions_request(trader, [(P, actions)]), 7004, None)


def test_malformed_session_and_withdraw(armed) -> None:
    sim, trader = armed
    _unchanged(sim, http.put_session(BASE, trader.owner.b256_address, b"{"), 1002, None)
    _unchanged(
        sim, http.post_withdraw(BASE, trader.owner.b256_address, b'{"amount": []}'), 1001, None
    )
    _unchanged(
        sim, http.Request("POST", BASE + "/v1/accounts", http.JSON_HEADERS, b"[1"), 1002, None
    )
