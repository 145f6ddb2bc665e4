"""REST as values: every builder's exact request, every parser's accepted shapes."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from o2_core import http, replies
from o2_core import models as m
from o2_core.errors import InvalidInput, MarketNotFound, O2Error, ProtocolError
from o2_core.http import Request, Response

BASE = "https://api.example"
MID = "0x" + "aa" * 32
OWNER = "0x" + "bb" * 32
TA = "0x" + "cc" * 32
ASSET = "0x" + "dd" * 32
GET = (("accept", "application/json"),)
JSON = (("content-type", "application/json"), ("accept", "application/json"))


def query(request: Request) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(request.url).query, keep_blank_values=True)


def path(request: Request) -> str:
    parts = urlsplit(request.url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def test_simple_gets() -> None:
    cases = [
        (http.get_markets(BASE), "/v1/markets", []),
        (http.get_market_summary(BASE, MID), "/v1/markets/summary", [("market_id", MID)]),
        (http.get_market_ticker(BASE, MID), "/v1/markets/ticker", [("market_id", MID)]),
        (http.get_order(BASE, MID, "0x01"), "/v1/order",
         [("market_id", MID), ("order_id", "0x01")]),
        (http.get_referral_info(BASE, "ABC"), "/analytics/v1/referral/code-info",
         [("code", "ABC")]),
        (http.get_account(BASE, owner=OWNER), "/v1/accounts", [("owner", OWNER)]),
        (http.get_account(BASE, trade_account_id=TA), "/v1/accounts", [("trade_account_id", TA)]),
        (http.get_account(BASE, owner_contract=TA), "/v1/accounts", [("owner_contract", TA)]),
        (http.get_balance(BASE, ASSET, contract=TA), "/v1/balance",
         [("asset_id", ASSET), ("contract", TA)]),
        (http.get_balance(BASE, ASSET, address=OWNER), "/v1/balance",
         [("asset_id", ASSET), ("address", OWNER)]),
        (http.get_aggregated(BASE, "orderbook", market_pair="FUEL_USDC", depth=10),
         "/v1/aggregated/orderbook", [("market_pair", "FUEL_USDC"), ("depth", "10")]),
        (http.get_aggregated(BASE, "assets"), "/v1/aggregated/assets", []),
    ]
    for request, expected_path, expected_query in cases:
        assert request.method == "GET"
        assert path(request) == BASE + expected_path
        assert query(request) == expected_query
        assert request.headers == GET and request.body is None and request.idempotent
    assert http.get_markets(BASE).url == BASE + "/v1/markets"


def test_depth() -> None:
    request = http.get_depth(BASE, MID, precision=3, limit=50)
    assert request.url == f"{BASE}/v1/depth?market_id={MID}&precision=1000&limit=50"
    assert query(http.get_depth(BASE, MID)) == [("market_id", MID), ("precision", "10")]
    assert http.depth_precision_wire(18) == 10**18
    for bad in (0, 19, -1, True, 1.5, "3"):
        with pytest.raises(InvalidInput, match="precision"):
            http.get_depth(BASE, MID, precision=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        http.get_depth(BASE, MID, limit=0)


def test_trades_and_orders() -> None:
    request = http.get_trades(BASE, MID, count=10, direction="asc", start_timestamp=5,
                              start_trade_id="t1")
    assert path(request) == BASE + "/v1/trades"
    assert query(request) == [
        ("market_id", MID), ("direction", "asc"), ("count", "10"), ("start_timestamp", "5"),
        ("start_trade_id", "t1"),
    ]
    request = http.get_trades_by_account(BASE, MID, TA)
    assert query(request) == [
        ("market_id", MID), ("contract", TA), ("direction", "desc"), ("count", "50"),
    ]
    request = http.get_orders(BASE, MID, TA, count=200, is_open=True)
    assert path(request) == BASE + "/v1/orders"
    assert query(request) == [
        ("market_id", MID), ("contract", TA), ("direction", "desc"), ("count", "200"),
        ("is_open", "true"),
    ]
    assert ("is_open", "false") in query(http.get_orders(BASE, MID, TA, is_open=False))
    for bad in (0, 51, -1, True, "10"):
        with pytest.raises(InvalidInput, match="count"):
            http.get_trades(BASE, MID, count=bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="count"):
            http.get_trades_by_account(BASE, MID, TA, count=bad)  # type: ignore[arg-type]
    for bad in (0, 201):
        with pytest.raises(InvalidInput, match="count"):
            http.get_orders(BASE, MID, TA, count=bad)
    with pytest.raises(InvalidInput, match="direction"):
        http.get_trades(BASE, MID, direction="up")


def test_bars() -> None:
    request = http.get_bars(BASE, MID, 1_000, 61_000, "1m")
    assert path(request) == BASE + "/v1/bars"
    assert query(request) == [
        ("market_id", MID), ("from", "1000"), ("to", "61000"), ("resolution", "1m"),
    ]
    for resolution in http.BAR_RESOLUTIONS:
        http.get_bars(BASE, MID, 0, http.RESOLUTION_MS[resolution], resolution)
    for bad in ("1y", "60s", "1H", "", "1d "):
        with pytest.raises(InvalidInput, match="resolution"):
            http.get_bars(BASE, MID, 0, 1, bad)
    with pytest.raises(InvalidInput, match="5000"):
        http.get_bars(BASE, MID, 0, 5001 * 1000, "1s")
    with pytest.raises(InvalidInput):
        http.get_bars(BASE, MID, 10, 5, "1s")


def test_bad_exclusive_arguments() -> None:
    with pytest.raises(InvalidInput):
        http.get_account(BASE)
    with pytest.raises(InvalidInput):
        http.get_account(BASE, owner=OWNER, trade_account_id=TA)
    with pytest.raises(InvalidInput):
        http.get_balance(BASE, ASSET)
    with pytest.raises(InvalidInput):
        http.get_balance(BASE, ASSET, contract=TA, address=OWNER)
    with pytest.raises(InvalidInput):
        http.faucet_mint("https://faucet")
    with pytest.raises(InvalidInput):
        http.get_aggregated(BASE, "everything")


def test_posts() -> None:
    request = http.create_account(BASE, OWNER.upper().replace("0X", "0x"))
    assert (request.method, request.url, request.headers) == ("POST", BASE + "/v1/accounts", JSON)
    assert request.body == b'{"identity":{"Address":"' + OWNER.encode() + b'"}}'
    assert not request.idempotent
    with pytest.raises(InvalidInput):
        http.create_account(BASE, "0x1234")

    request = http.whitelist_account(BASE, TA)
    assert (request.method, request.url) == ("POST", BASE + "/analytics/v1/whitelist")
    assert request.body == b'{"tradeAccount":"' + TA.encode() + b'"}'
    assert request.headers == JSON

    request = http.faucet_mint("https://faucet/mint", address=OWNER)
    assert (request.method, request.url) == ("POST", "https://faucet/mint")
    assert json.loads(request.body or b"") == {"address": OWNER}
    request = http.faucet_mint("https://faucet/mint", contract=TA)
    assert json.loads(request.body or b"") == {"contract": TA}


@pytest.mark.parametrize(
    ("builder", "method", "suffix"),
    [
        (http.put_session, "PUT", "/v1/session"),
        (http.post_actions, "POST", "/v1/session/actions"),
        (http.post_withdraw, "POST", "/v1/accounts/withdraw"),
    ],
)
def test_signed_submissions(builder: object, method: str, suffix: str) -> None:
    payload = b'{"signed": true}'
    request = builder(BASE, OWNER.upper().replace("0X", "0x"), payload)  # type: ignore[operator]
    assert request.method == method
    assert request.url == BASE + suffix
    assert request.body is payload
    assert request.headers == (*JSON, ("o2-owner-id", OWNER))
    assert request.idempotent is False
    with pytest.raises(InvalidInput):
        builder(BASE, "not hex", payload)  # type: ignore[operator]


def test_response_header_is_case_insensitive() -> None:
    response = Response(200, b"", {"retry-after": "3", "content-type": "text/plain"})
    assert response.header("Retry-After") == "3"
    assert response.header("CONTENT-TYPE") == "text/plain"
    assert response.header("x-missing") is None
    assert Response(200, b"", {"Retry-After": "4"}).header("retry-after") == "4"
    assert http.retry_after_seconds(Response(429, b"", {"retry-after": "soon"})) is None


@pytest.mark.parametrize("value", ["-3", "nan", "NaN", "inf", "-inf", "1e999", "soon", ""])
def test_retry_after_that_is_not_a_finite_non_negative_number_is_absent(value: str) -> None:
    assert http.retry_after_seconds(Response(429, b"", {"retry-after": value})) is None


@pytest.mark.parametrize(("value", "seconds"), [("0", 0.0), ("2", 2.0), ("0.25", 0.25)])
def test_retry_after_seconds(value: str, seconds: float) -> None:
    assert http.retry_after_seconds(Response(429, b"", {"retry-after": value})) == seconds


# --- parsers ------------------------------------------------------------------------

TICKER = {"market_id": MID, "high": "10", "low": 5, "last": "7", "percentage": "1.5"}
TRADE = {"trade_id": "1", "side": "Buy", "total": "100", "quantity": "10", "price": "10",
         "timestamp": 1700000000000, "maker": {"ContractId": TA}, "taker": {"Address": OWNER}}
BAR = {"open": "1", "high": 3, "low": "1", "close": "2", "buy_volume": "5", "sell_volume": 6,
       "timestamp": 60000}
BOOK = {"buys": [{"price": "10", "quantity": "3"}], "sells": [{"price": 12, "quantity": "4"}]}
ORDER = {"order_id": "0x01", "side": "Sell", "order_type": "Spot", "quantity": "5", "price": "7",
         "close": False, "market_id": MID}


def ok(payload: object) -> Response:
    return Response(200, json.dumps(payload).encode())


def test_parse_ticker_both_shapes() -> None:
    for payload in (TICKER, [TICKER]):
        ticker = replies.parse_ticker(ok(payload))
        assert ticker.market_id == MID and ticker.high == 10 and ticker.low == 5
    with pytest.raises(ProtocolError):
        replies.parse_ticker(ok([]))


def test_parse_trades_both_shapes() -> None:
    for payload in ({"trades": [TRADE], "market_id": MID}, [TRADE]):
        (trade,) = replies.parse_trades(ok(payload))
        assert trade.total == 100 and trade.maker == m.ContractIdentity(TA)


def test_parse_bars_both_shapes() -> None:
    for payload in ({"bars": [BAR]}, [BAR]):
        (bar,) = replies.parse_bars(ok(payload))
        assert (bar.open, bar.high, bar.volume, bar.time) == (1, 3, 11, 60000)


@pytest.mark.parametrize("key", ["orders", "view"])
def test_parse_depth_both_keys(key: str) -> None:
    snapshot = replies.parse_depth(ok({"market_id": MID, key: BOOK}))
    assert snapshot.market_id == MID
    assert snapshot.bids == [m.DepthLevel(10, 3)] and snapshot.asks == [m.DepthLevel(12, 4)]
    empty = replies.parse_depth(ok({"market_id": MID}))
    assert empty.bids == [] and empty.asks == []


def test_parse_order_wrapped() -> None:
    order = replies.parse_order(ok({"order": ORDER}))
    assert order.order_id == "0x01" and order.quantity == 5 and order.is_open
    with pytest.raises(ProtocolError):
        replies.parse_order(ok(ORDER))


def test_parse_generic_and_errors() -> None:
    info = replies.parse(ok({"trade_account_id": TA, "nonce": "3"}), m.AccountCreateResponse)
    assert info.nonce == 3
    with pytest.raises(MarketNotFound):
        replies.parse(Response(404, b'{"code": 2000, "message": "no"}'), m.Market)
    with pytest.raises(ProtocolError):
        replies.parse(ok({"nonce": 1}), m.AccountCreateResponse)
    with pytest.raises(O2Error, match="HTTP 503"):
        replies.check(Response(503, b'{"unrelated": 1}'))


def test_parse_actions() -> None:
    reply = replies.parse_actions(ok({"tx_id": "0xAB", "orders": [ORDER]}))
    assert reply.success and reply.tx_id == "0xab" and reply.orders is not None
    with pytest.raises(ProtocolError, match="tx_id"):
        replies.parse_actions(ok({"orders": []}))


def test_parse_faucet() -> None:
    assert replies.parse_faucet(ok({"message": "minted"})).success
    cooldown = replies.parse_faucet(Response(429, b'{"error": "cooldown: wait 1h"}'))
    assert not cooldown.success and cooldown.error == "cooldown: wait 1h"
    with pytest.raises(ProtocolError):
        replies.parse_faucet(Response(502, b"<html>"))
