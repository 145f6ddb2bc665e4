"""o2-sdk 0.5.0's low-level ``O2Api`` methods and constructor under o2_core.api.

A bot written against the official ``O2Api`` builds its signed request dicts itself
(``build_*_signing_bytes``, ``action_to_call``, ``personal_sign``/``raw_sign``) and hands
them to ``create_session``/``submit_actions``/``withdraw``: here exactly that runs, with
our names, against the in-memory simulator. The endpoints the simulator lacks (the
parallel-nonce window, account upgrades) and the failure paths run on a scripted
transport.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from o2_core import NetworkConfig, O2Client
from o2_core.api import O2Api
from o2_core.crypto import generate_wallet, raw_sign
from o2_core.encoding import (
    action_to_call,
    build_actions_signing_bytes,
    build_session_signing_bytes,
    build_withdraw_signing_bytes,
)
from o2_core.errors import (
    InvalidInput,
    InvalidSession,
    O2Error,
    ProtocolError,
    RateLimitExceeded,
    RequestTimeout,
    TransportError,
    UnknownSubmissionOutcome,
)
from o2_core.http import Request, Response
from o2_core.models import (
    ActionsResponse,
    AggregatedAsset,
    SessionResponse,
    Trade,
    WithdrawResponse,
)
from o2_core.nonce import WindowResponse
from o2_core.policy import RetryPolicy
from o2_core.sim import Exchange, default_config
from o2_core.transport import Transport, WebSocketConnection
from o2_transport_memory import MemoryTransport

pytestmark = pytest.mark.anyio

CONFIG = NetworkConfig("http://o2.local", "ws://o2.local/v1/ws", faucet_url="http://o2.local/faucet")
PAIR = "fFUEL/fUSDC"
OWNER = "0x" + "0a" * 32
ACCOUNT = "0x" + "0b" * 32


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Scripted:
    """A transport answering from a script; it records every request."""

    def __init__(self, *outcomes: Response | Exception) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[tuple[Request, float]] = []

    async def request(self, request: Request, timeout: float) -> Response:
        self.requests.append((request, timeout))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def connect_websocket(self, url: str, timeout: float) -> WebSocketConnection:
        raise TransportError("no websockets here")

    async def aclose(self) -> None:
        pass


def ok(data: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(data).encode())


def api_over(transport: Transport, **kwargs: Any) -> O2Api:
    return O2Api(CONFIG, transport, policy=RetryPolicy(base=0.001, cap=0.001), **kwargs)


# --- the constructor -----------------------------------------------------------------


async def test_the_official_constructor_shape_and_our_keywords() -> None:
    transport = Scripted()
    assert O2Api(CONFIG).has_transport is False
    assert O2Api(CONFIG, None, 5.0).action_timeout == 5.0
    assert O2Api(CONFIG, session=None, action_timeout_seconds=7.0).action_timeout == 7.0
    assert O2Api(CONFIG, transport).transport is transport
    assert O2Api(CONFIG, session=transport).transport is transport
    assert O2Api(CONFIG, transport=transport, request_timeout=3.0).transport is transport
    with pytest.raises(InvalidInput, match="not both"):
        O2Api(CONFIG, transport, transport=transport)
    with pytest.raises(ValueError, match="greater than zero"):  # as o2-sdk: a ValueError
        O2Api(CONFIG, action_timeout_seconds=0)


async def test_an_aiohttp_session_is_used_through_the_aiohttp_transport() -> None:
    aiohttp = pytest.importorskip("aiohttp")
    from o2_transport_aiohttp import AiohttpTransport

    session = aiohttp.ClientSession()
    try:
        api = O2Api(CONFIG, session, 2.0)
        assert isinstance(api.transport, AiohttpTransport)
        assert api.transport._session is session and api.action_timeout == 2.0
        await api.close()
        assert not session.closed  # the caller's session stays the caller's to close
    finally:
        await session.close()


# --- signed submissions as an o2-sdk bot builds them, against the simulator ------------


def _signed(signature: bytes) -> dict[str, str]:
    return {"Secp256k1": "0x" + signature.hex()}


async def test_a_bot_drives_the_official_low_level_methods() -> None:
    exchange = Exchange(default_config(seed=3), clock=time.time)
    async with O2Client(custom_config=CONFIG, transport=MemoryTransport(exchange)) as client:
        owner = client.generate_wallet()
        account = await client.setup_account(owner)
        api = client.api
        markets = await api.get_markets()
        market = next(m for m in markets.markets if f"{m.base.symbol}/{m.quote.symbol}" == PAIR)
        tid = str(account.trade_account_id)
        chain_id = markets.chain_id_int

        # create_session: the owner signs build_session_signing_bytes
        nonce = (await api.get_account(trade_account_id=tid)).nonce
        session_key = generate_wallet()
        expiry = int(time.time()) + 86400
        signing = build_session_signing_bytes(
            nonce=nonce, chain_id=chain_id, session_address=session_key.address_bytes,
            contract_ids=[bytes.fromhex(market.contract_id[2:])], expiry=expiry,
        )
        session = await api.create_session(owner.b256_address, {
            "contract_id": tid,
            "session_id": {"Address": session_key.b256_address},
            "signature": _signed(owner.personal_sign(signing)),
            "contract_ids": [market.contract_id],
            "nonce": str(nonce),
            "expiry": str(expiry),
        })
        assert isinstance(session, SessionResponse) and session.trade_account_id == tid

        # submit_actions: action_to_call + build_actions_signing_bytes + raw_sign
        price, quantity = 20_000, 50_000_000_000  # 0.02 fUSDC x 50 fFUEL, in chain units
        actions = [{"CreateOrder": {"side": "Buy", "price": str(price),
                                    "quantity": str(quantity), "order_type": "Spot"}}]
        market_info = market.to_dict() | {"accounts_registry_id": markets.accounts_registry_id}
        calls = [action_to_call(a, market_info) for a in actions]
        nonce += 1
        signature = raw_sign(session_key.private_key, build_actions_signing_bytes(nonce, calls))
        result = await api.submit_actions(owner.b256_address, {
            "actions": [{"market_id": market.market_id, "actions": actions}],
            "signature": _signed(signature),
            "nonce": str(nonce),
            "trade_account_id": tid,
            "session_id": session.session_id.to_dict(),
            "collect_orders": True,
        })
        assert isinstance(result, ActionsResponse) and result.success and result.orders
        assert (result.orders[0].price, result.orders[0].side) == (price, "Buy")

        # the same nonce again: the exchange's error, raised once (never re-sent)
        with pytest.raises(O2Error):
            await api.submit_actions(owner.b256_address, {
                "actions": [{"market_id": market.market_id, "actions": actions}],
                "signature": _signed(signature), "nonce": str(nonce), "trade_account_id": tid,
                "session_id": session.session_id.to_dict(), "collect_orders": False,
            })

        # withdraw: the owner signs build_withdraw_signing_bytes (o2-sdk's keywords)
        nonce = (await api.get_account(trade_account_id=tid)).nonce
        amount = 1_000_000
        signing = build_withdraw_signing_bytes(
            nonce=nonce, chain_id=chain_id, to_discriminant=0, to_address=owner.address_bytes,
            amount=amount, asset_id=bytes.fromhex(market.quote.asset[2:]),
        )
        withdrawn = await api.withdraw(owner.b256_address, {
            "trade_account_id": tid, "signature": _signed(owner.personal_sign(signing)),
            "nonce": str(nonce), "to": {"Address": owner.b256_address},
            "asset_id": market.quote.asset, "amount": str(amount),
        })
        assert isinstance(withdrawn, WithdrawResponse) and withdrawn.success

        # the aggregated endpoints
        assets = await api.get_aggregated_assets()
        assert all(isinstance(a, AggregatedAsset) for a in assets)
        assert {a.symbol for a in assets} >= {"fFUEL", "fUSDC"}
        pair = "fFUEL_fUSDC"
        summary, ticker = await api.get_aggregated_summary(), await api.get_aggregated_ticker()
        assert pair in {s["ticker_id"] for s in summary} and isinstance(ticker[0], dict)
        book = await api.get_aggregated_orderbook(pair, depth=10, level=2)
        assert book["ticker_id"] == pair and book["bids"][0] == ["0.02", "50"]
        trades = await api.get_aggregated_trades(pair)
        assert isinstance(trades, list) and all(isinstance(t, Trade) for t in trades)


# --- the endpoints the simulator lacks, and the failure paths --------------------------


async def test_get_account_window_returns_the_json_as_o2_sdk_does() -> None:
    window = {"nonce_session_id": "2", "base": "640",
              "slots": [{"word_position": "10", "bitmap": "3"}]}
    transport = Scripted(ok(window))
    got = await api_over(transport).get_account_window(ACCOUNT, 2)
    assert got == window
    assert WindowResponse.from_dict(got).nonce_session_id == 2
    request, _ = transport.requests[0]
    assert request.method == "GET" and urlsplit(request.url).path == "/v1/accounts/window"
    assert parse_qs(urlsplit(request.url).query) == {
        "trade_account_id": [ACCOUNT], "nonce_session_id": ["2"]}
    with pytest.raises(InvalidInput):  # lanes are 0..4, checked before sending
        await api_over(Scripted()).get_account_window(ACCOUNT, 9)


async def test_upgrade_account_posts_the_owner_signed_request() -> None:
    tx = {"tx_id": "0x" + "cd" * 32}
    transport = Scripted(ok(tx))
    body = {"trade_account_id": ACCOUNT, "nonce": "4", "signature": {"Secp256k1": "0x00"}}
    assert await api_over(transport).upgrade_account(OWNER, body) == tx
    request, _ = transport.requests[0]
    assert (request.method, urlsplit(request.url).path) == ("POST", "/v1/accounts/upgrade")
    assert ("o2-owner-id", OWNER) in request.headers and json.loads(request.body or b"") == body


SUBMISSIONS: dict[str, Callable[[O2Api], Any]] = {
    "create_session": lambda api: api.create_session(OWNER, {"signature": {}}),
    "submit_actions": lambda api: api.submit_actions(OWNER, {"actions": []}),
    "withdraw": lambda api: api.withdraw(OWNER, {"signature": {}}),
}


@pytest.mark.parametrize("name", list(SUBMISSIONS))
async def test_a_signed_submission_is_sent_once(name: str) -> None:
    transport = Scripted(TransportError("response lost"))
    api = api_over(transport, action_timeout_seconds=0.25)
    with pytest.raises(UnknownSubmissionOutcome, match="response lost"):
        await SUBMISSIONS[name](api)
    assert len(transport.requests) == 1
    request, timeout = transport.requests[0]
    assert request.idempotent is False and timeout == 0.25


async def test_a_submission_timeout_says_so() -> None:
    transport = Scripted(RequestTimeout("POST /v1/session/actions: no reply within 0.25s"))
    with pytest.raises(UnknownSubmissionOutcome, match=r"no reply within 0\.25s"):
        await api_over(transport, action_timeout_seconds=0.25).submit_actions(OWNER, {})
    assert len(transport.requests) == 1


async def test_a_rate_limited_submission_was_not_processed_so_the_policy_may_retry() -> None:
    # o2-sdk gives up at once; our one RetryPolicy retries a rate limit (the server did
    # not process the request), within its retry budget, for submissions too
    limited = ok({"code": 1003, "message": "Rate limit exceeded"}, 429)
    transport = Scripted(limited, limited)
    api = O2Api(CONFIG, transport, policy=RetryPolicy(max_retries=1, base=0.001, cap=0.001))
    with pytest.raises(RateLimitExceeded):
        await api.submit_actions(OWNER, {})
    assert len(transport.requests) == 2


async def test_error_replies_and_non_json_replies() -> None:
    transport = Scripted(ok({"code": 4001, "message": "no session"}, 400))
    with pytest.raises(InvalidSession):
        await api_over(transport).create_session(OWNER, {})
    transport = Scripted(Response(200, b"<html>upstream</html>"))
    with pytest.raises(ProtocolError, match=r"Non-JSON response from GET /v1/aggregated/ticker "
                                            r"\(HTTP 200\): <html>upstream</html>"):
        await api_over(transport).get_aggregated_ticker()
    transport = Scripted(Response(502, b"Bad Gateway"))
    with pytest.raises(ProtocolError, match="HTTP 502"):
        await O2Api(CONFIG, transport, policy=RetryPolicy(max_retries=0)).upgrade_account(
            OWNER, {})
    with pytest.raises(ProtocolError, match="expected a JSON object"):
        await api_over(Scripted(ok([1, 2]))).get_account_window(ACCOUNT)
    with pytest.raises(InvalidInput):
        await api_over(Scripted()).withdraw(OWNER, ["not", "a", "dict"])  # type: ignore[arg-type]


async def test_aggregated_replies_wrapped_in_an_object() -> None:
    transport = Scripted(ok({"assets": [{"id": "0x01", "symbol": "X", "name": "Ex"}]}),
                         ok({"summary": [{"ticker_id": "X_Y"}]}), ok({"trades": []}))
    api = api_over(transport)
    assert await api.get_aggregated_assets() == [AggregatedAsset("0x01", "X", "Ex")]
    assert await api.get_aggregated_summary() == [{"ticker_id": "X_Y"}]
    assert await api.get_aggregated_trades("X_Y") == []
    query = parse_qs(urlsplit(transport.requests[2][0].url).query)
    assert query == {"market_pair": ["X_Y"]}
