"""The adapter's pure parts, without an exchange: the checks of caller options and params
(``o2_ccxt.params``) and the builders of unified structures (``o2_ccxt.structures``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2_ccxt import ArgumentsRequired, BadRequest, InvalidOrder
from o2_ccxt.params import (
    depth_precision,
    market_order_price,
    o2_network,
    order_type,
    settle_first,
    truncate,
)
from o2_ccxt.structures import (
    asset_codes,
    asset_decimals,
    balance_fields,
    depth_sides,
    market_fields,
    ohlcv_row,
    order_fields,
    recent,
    ticker_fields,
    trade_fields,
    withdrawal_fields,
)
from o2_core import BoundedMarketOrder, LimitOrder
from o2_core.config import Network
from o2_core.depth import DepthLevel, DepthSnapshot
from o2_core.models import (
    Balance,
    Bar,
    Market,
    MarketAsset,
    MarketTicker,
    Order,
    OrderType,
    Trade,
    WithdrawResponse,
)
from o2_core.wire import Id

FUEL = MarketAsset("FUEL", Id("0x" + "33" * 32), 9, 3)
USDC = MarketAsset("USDC", Id("0x" + "44" * 32), 6, 4)
ETH = MarketAsset("ETH", Id("0x" + "55" * 32), 9, 6)
MARKET = Market(
    contract_id=Id("0x" + "11" * 32),
    market_id=Id("0x" + "22" * 32),
    base=FUEL,
    quote=USDC,
    maker_fee=Decimal("0.001"),
    min_order=1_500_000,
)
ETH_MARKET = Market(
    contract_id=Id("0x" + "11" * 32), market_id=Id("0x" + "66" * 32), base=ETH, quote=USDC
)
ME = "0x" + "aa" * 32


# --- params ---------------------------------------------------------------------------


def test_network_names_and_default() -> None:
    assert o2_network(None) is Network.TESTNET
    assert o2_network("MAINNET") is Network.MAINNET
    assert o2_network(Network.LOCAL) is Network.LOCAL
    with pytest.raises(BadRequest, match="unknown O2 network"):
        o2_network("moon")


@pytest.mark.parametrize(("params", "level"), [(None, 1), ({}, 1), ({"precision": "18"}, 18),
                                               ({"precision": 2.0}, 2)])
def test_depth_precision(params: dict[str, object] | None, level: int) -> None:
    assert depth_precision(params) == level


def test_settle_first_and_order_type() -> None:
    assert settle_first({}) is True
    assert settle_first({"settleFirst": False}) is False
    with pytest.raises(InvalidOrder):
        settle_first({"settleFirst": "no"})
    assert order_type("PostOnly") is OrderType.POST_ONLY
    limit = LimitOrder("0.06", 1_700_000_000)
    assert order_type(limit) is limit
    assert isinstance(order_type(BoundedMarketOrder("0.03", "0.01")), BoundedMarketOrder)
    with pytest.raises(InvalidOrder, match="invalid O2 orderType"):
        order_type("Stop")
    with pytest.raises(InvalidOrder, match="must be an O2 OrderType"):
        order_type(3)


def test_truncate_never_rounds_up() -> None:
    assert truncate(1.23456, 2) == "1.23"
    assert truncate("0.0019", 3) == "0.001"
    assert truncate(Decimal("7"), 4) == "7"


def test_market_order_price_bounds_on_the_tick() -> None:
    bounds = {"maxPrice": "0.05019", "minPrice": "0.04981"}
    assert market_order_price(4, "buy", None, bounds) == "0.0501"  # down: never above
    assert market_order_price(4, "sell", None, bounds) == "0.0499"  # up: never below
    assert market_order_price(4, "sell", None, {"maxPrice": 1, "minPrice": "0.05"}) == "0.05"
    assert market_order_price(4, "buy", 0.05, bounds) == "0.05"
    with pytest.raises(InvalidOrder, match="between minPrice and maxPrice"):
        market_order_price(4, "buy", 0.06, bounds)
    with pytest.raises(InvalidOrder, match="minPrice <= maxPrice"):
        market_order_price(4, "buy", None, {"maxPrice": 1, "minPrice": 2})
    with pytest.raises(InvalidOrder, match="below the market's price tick"):
        market_order_price(4, "buy", None, {"maxPrice": "0.00001", "minPrice": "0.00001"})
    for missing in ({"maxPrice": 1}, {"minPrice": 1, "maxPrice": "nan"}, {}):
        with pytest.raises(ArgumentsRequired):
            market_order_price(4, "sell", None, missing)


# --- structures -----------------------------------------------------------------------


def test_market_fields() -> None:
    fields = market_fields(MARKET)
    assert fields["id"] == str(MARKET.market_id) and fields["symbol"] == "FUEL/USDC"
    assert fields["precision"] == {"amount": 3, "price": 4}
    assert fields["limits"]["cost"] == {"min": "1.5", "max": None}
    assert fields["maker"] == 0.001 and fields["taker"] == 0.0
    assert market_fields(ETH_MARKET)["limits"]["cost"]["min"] is None


def test_assets_of_markets_first_market_decides() -> None:
    other_usdc = Market(
        contract_id=Id("0x" + "11" * 32), market_id=Id("0x" + "77" * 32), base=ETH,
        quote=MarketAsset("USDC", Id("0x" + "88" * 32), 9, 4),
    )
    assert asset_decimals([MARKET, ETH_MARKET, other_usdc]) == {"FUEL": 9, "USDC": 6, "ETH": 9}
    codes = asset_codes([MARKET, ETH_MARKET])
    assert codes == {str(FUEL.asset): "FUEL", str(USDC.asset): "USDC", str(ETH.asset): "ETH"}


def test_ticker_fields_scale_and_take_the_live_top() -> None:
    ticker = MarketTicker(bid=49_900, bid_volume=2_000_000_000, ask=50_100, last=50_000)
    fields = ticker_fields(ticker, "FUEL/USDC", MARKET, 1_700_000_000_000)
    assert fields["datetime"] == "2023-11-14T22:13:20.000Z"
    assert (fields["bid"], fields["bidVolume"], fields["ask"]) == ("0.0499", "2", "0.0501")
    assert fields["close"] == fields["last"] == "0.05"
    top = (DepthLevel(49_800, 1_000_000_000), None)
    live = ticker_fields(ticker, "FUEL/USDC", MARKET, 1, top)
    assert (live["bid"], live["bidVolume"], live["ask"], live["askVolume"]) == (
        "0.0498", "1", None, None)


def test_depth_sides() -> None:
    depth = DepthSnapshot(bids=(DepthLevel(49_900, 1_500_000_000),), asks=())
    assert depth_sides(depth, MARKET) == {"bids": [["0.0499", "1.5"]], "asks": []}


def test_trade_fields_sides() -> None:
    trade = Trade("t1", side="Buy", price=50_000, quantity=3_000_000_000, timestamp=1_700_000_000)
    public = trade_fields(trade, "FUEL/USDC", MARKET)
    assert (public["side"], public["takerOrMaker"]) == ("sell", None)  # the taker sold
    assert (public["price"], public["amount"]) == ("0.05", "3")
    assert public["timestamp"] == 1_700_000_000_000
    assert trade_fields(trade, "FUEL/USDC", MARKET, "maker")["side"] == "buy"
    assert trade_fields(trade, "FUEL/USDC", MARKET, "both")["side"] is None


def test_order_fields_status_and_fill() -> None:
    order = Order(Id("0x" + "99" * 32), side="Sell", order_type="PostOnly", quantity=2_000_000_000,
                  quantity_fill=500_000_000, price=50_000, timestamp=1_700_000_000_000)
    fields = order_fields(order, "FUEL/USDC", MARKET)
    assert (fields["status"], fields["side"], fields["type"]) == ("open", "sell", "limit")
    assert (fields["timeInForce"], fields["postOnly"]) == ("PO", True)
    assert (fields["amount"], fields["filled"], fields["remaining"]) == ("2", "0.5", "1.5")
    assert fields["average"] is None
    closed = order_fields(Order(Id("0x" + "99" * 32), close=True), "FUEL/USDC", MARKET)
    assert closed["status"] == "closed" and closed["datetime"] is None
    canceled = Order(Id("0x" + "99" * 32), close=True, cancel=True)
    assert order_fields(canceled, "FUEL/USDC", MARKET)["status"] == "canceled"


def test_ohlcv_row() -> None:
    bar = Bar(open=50_000, high=51_000, low=49_000, close=50_500, buy_volume=1_000_000_000,
              sell_volume=500_000_000, timestamp=1_700_000_000)
    assert ohlcv_row(bar, MARKET) == (
        1_700_000_000_000, ["0.05", "0.051", "0.049", "0.0505", "1.5"])


def test_balance_fields() -> None:
    balances = {"USDC": Balance(total_locked=250_000, total_unlocked=1_000_000),
                "XYZ": Balance(total_unlocked=7)}
    fields = balance_fields(balances, {"USDC": 6})
    assert fields["USDC"] == {"free": "1", "used": "0.25", "total": None}
    assert fields["XYZ"] == {"free": "7", "used": "0", "total": None}  # unknown: 0 decimals
    assert fields["info"]["USDC"]["total_unlocked"] == 1_000_000


def test_withdrawal_fields() -> None:
    fields = withdrawal_fields(
        WithdrawResponse(tx_id=Id("0x" + "bb" * 32)), "USDC", 1.5, ME, None, 1_700_000_000_000)
    assert fields["id"] == fields["txid"] == "0x" + "bb" * 32
    assert (fields["amount"], fields["currency"], fields["addressTo"]) == (1.5, "USDC", ME)
    assert (fields["type"], fields["status"]) == ("withdrawal", "pending")
    assert withdrawal_fields(WithdrawResponse(), "USDC", 1, None, None, 0)["txid"] is None


def test_recent_keeps_the_last_from_since_oldest_first() -> None:
    newest_first = [{"id": i, "timestamp": t} for i, t in enumerate([30, 20, 20, 10, None])]
    assert [x["id"] for x in recent(newest_first, None, 10)] == [4, 3, 2, 1, 0]
    assert [x["id"] for x in recent(newest_first, 20, 10)] == [2, 1, 0]
    assert [x["id"] for x in recent(newest_first, None, 2)] == [1, 0]
