"""Order preparation and market resolution, value in / value out (no client, no I/O)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2_core import crypto
from o2_core.actions import MAX_ACTIONS, MarketContext
from o2_core.directory import MarketDirectory
from o2_core.errors import InvalidInput, MarketNotFound, OrderRuleError, SessionExpired
from o2_core.models import (
    BoundedMarketOrder,
    CancelOrderAction,
    CancelOrderRequestAction,
    ChainInt,
    CreateOrderAction,
    CreateOrderRequestAction,
    Id,
    Identity,
    LimitOrder,
    Market,
    MarketActionGroup,
    MarketActions,
    MarketAsset,
    MarketsResponse,
    OrderSide,
    OrderType,
    SessionInfo,
    SettleBalanceRequestAction,
)
from o2_core.orders import (
    MarketActionsBuilder,
    cancel_groups,
    check_session_alive,
    check_session_market,
    order_group,
    prepare_group,
    prepare_order,
    scaled_order_type,
    with_limit_timestamp,
)

REGISTRY = "0x" + "ee" * 32
TA = "0x" + "cc" * 32
NOW = 1_900_000_000.5


def market(pair: str, n: int, quote_precision: int = 4, min_order: int = 1_000_000) -> Market:
    base, quote = pair.split("/")
    return Market(
        contract_id=Id("0x" + f"{n:02x}" * 32),
        market_id=Id("0x" + f"{n + 16:02x}" * 32),
        base=MarketAsset(base, Id("0x" + f"{n + 32:02x}" * 32), 9, 3),
        quote=MarketAsset(quote, Id("0x" + "44" * 32), 6, quote_precision),
        min_order=min_order,
    )


FUEL = market("fFUEL/fUSDC", 1)
ETH = market("fETH/fUSDC", 2, quote_precision=2)
DIRECTORY = MarketDirectory(
    MarketsResponse(markets=[FUEL, ETH], chain_id="0x26a1", accounts_registry_id=Id(REGISTRY))
)
CTX = DIRECTORY.context(FUEL)


SESSION_KEY = crypto.Wallet("0x" + "5a" * 32)


def session(markets: list[Market] | None = None, expiry: int = 2_000_000_000) -> SessionInfo:
    return SessionInfo(
        session_id=Identity(address=Id(SESSION_KEY.b256_address)),
        trade_account_id=TA,
        contract_ids=[str(mk.contract_id) for mk in (markets or [FUEL])],
        session_expiry=expiry,
        session_wallet=SESSION_KEY,
        owner_address="0x" + "11" * 32,
    )


def wire(action: Any) -> Any:
    return json.loads(json.dumps(action.wire))


# --- market directory -----------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "fFUEL/fUSDC", "ffuel/FUSDC", str(FUEL.market_id), str(FUEL.market_id).upper()[2:],
    str(FUEL.contract_id), "0X" + str(FUEL.contract_id)[2:],
])
def test_a_market_is_found_by_pair_id_or_contract_in_any_case(name: str) -> None:
    assert DIRECTORY.resolve(name) is FUEL
    assert DIRECTORY.resolve(ETH) is ETH


@pytest.mark.parametrize("name", ["fBTC/fUSDC", "0x" + "99" * 32, "fFUEL"])
def test_an_unknown_market_names_the_known_ones(name: str) -> None:
    with pytest.raises(MarketNotFound, match="fFUEL/fUSDC, fETH/fUSDC"):
        DIRECTORY.resolve(name)


@pytest.mark.parametrize("bad", ["", None, 3, b"fFUEL/fUSDC"])
def test_a_market_name_must_be_a_string(bad: Any) -> None:
    with pytest.raises(InvalidInput):
        DIRECTORY.resolve(bad)


def test_assets_by_symbol_or_id_and_the_chain_id() -> None:
    usdc = DIRECTORY.asset("fUSDC")
    assert (usdc.asset_id, usdc.decimals, usdc.symbol) == ("0x" + "44" * 32, 6, "fUSDC")
    assert DIRECTORY.asset(("0x" + "44" * 32).upper().replace("0X", "0x")) == usdc
    assert DIRECTORY.asset_ids() == {
        "fFUEL": "0x" + "21" * 32, "fUSDC": "0x" + "44" * 32, "fETH": "0x" + "22" * 32}
    assert DIRECTORY.chain_id == 0x26A1
    with pytest.raises(InvalidInput, match="unknown asset"):
        DIRECTORY.asset("fBTC")


def test_contexts_are_computed_once_per_market() -> None:
    assert DIRECTORY.context(FUEL) is CTX
    assert MarketContext.of(FUEL, REGISTRY) == CTX


# --- one order ------------------------------------------------------------------------


def test_a_human_order_is_scaled_truncated_adjusted_and_encoded() -> None:
    action = prepare_order(FUEL, CTX, OrderSide.BUY, "0.02345678", "100.5", OrderType.SPOT, NOW)
    # price truncated to the 0.0001 tick; quantity adjusted for FractionalPrice
    assert wire(action) == {"CreateOrder": {
        "side": "Buy", "price": "23400", "quantity": "100500000000", "order_type": "Spot"}}
    assert action.call.amount == 23400 * 100_500_000_000 // 10**9


def test_a_limit_order_without_timestamp_expires_now() -> None:
    action = prepare_order(FUEL, CTX, OrderSide.SELL, "0.05", 100, LimitOrder("0.06"), NOW)
    assert wire(action)["CreateOrder"]["order_type"] == {"Limit": ["60000", str(int(NOW))]}
    dated = scaled_order_type(FUEL, LimitOrder("0.06", 1_700_000_000), NOW)
    assert dated == LimitOrder(ChainInt(60000), 1_700_000_000)
    bounded = scaled_order_type(FUEL, BoundedMarketOrder("0.031", "0.0109"), NOW)
    assert bounded == BoundedMarketOrder(ChainInt(31000), ChainInt(10900))


@pytest.mark.parametrize(("price", "quantity", "kind", "error"), [
    ("0.02", 1, OrderType.SPOT, OrderRuleError),       # below min_order
    ("0.00001", 100, OrderType.SPOT, InvalidInput),     # truncates to zero
    ("0.02", "0.0000000001", OrderType.SPOT, InvalidInput),
    ("-1", 100, OrderType.SPOT, InvalidInput),
    ("0.02", 100, "Spot", InvalidInput),                # not an order type
    ("0.02", 100, BoundedMarketOrder("0.01", "0.02"), InvalidInput),  # min > max
])
def test_bad_orders_raise_before_anything_is_signed(
    price: Any, quantity: Any, kind: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        prepare_order(FUEL, CTX, OrderSide.BUY, price, quantity, kind, NOW)
    with pytest.raises(InvalidInput, match="side"):
        prepare_order(FUEL, CTX, "Buy", "0.02", 100, OrderType.SPOT, NOW)  # type: ignore[arg-type]


@given(st.decimals(Decimal("0.0001"), Decimal(1000), places=6),
       st.decimals(Decimal("0.001"), Decimal(10**6), places=9))
def test_every_prepared_order_satisfies_the_market_rules(price: Decimal, qty: Decimal) -> None:
    try:
        action = prepare_order(FUEL, CTX, OrderSide.SELL, price, qty, OrderType.SPOT, NOW)
    except (OrderRuleError, InvalidInput):
        return
    order = wire(action)["CreateOrder"]
    p, q = int(order["price"]), int(order["quantity"])
    assert p <= price * 10**6 and q <= qty * 10**9  # never rounded up
    FUEL.validate_order(p, q)  # and the chain would accept it


# --- groups ---------------------------------------------------------------------------


def test_create_order_settles_first_when_asked() -> None:
    order = prepare_order(FUEL, CTX, OrderSide.BUY, "0.02", 100, OrderType.SPOT, NOW)
    settled = order_group(FUEL, CTX, session(), order, settle_first=True)
    assert [next(iter(a.wire)) for a in settled.actions] == ["SettleBalance", "CreateOrder"]
    assert settled.actions[0].wire == {"SettleBalance": {"to": {"ContractId": TA}}}
    plain = order_group(FUEL, CTX, session(), order, settle_first=False)
    assert plain.actions == (order,) and plain.market_id == str(FUEL.market_id)


def test_a_session_trades_only_its_markets_and_only_before_expiry() -> None:
    order = prepare_order(FUEL, CTX, OrderSide.BUY, "0.02", 100, OrderType.SPOT, NOW)
    with pytest.raises(InvalidInput, match="fETH/fUSDC is not in this session"):
        check_session_market(session([FUEL]), ETH)
    with pytest.raises(InvalidInput):
        order_group(ETH, DIRECTORY.context(ETH), session([FUEL]), order, True)
    check_session_alive(session(expiry=1_900_000_001), NOW)
    with pytest.raises(SessionExpired):
        check_session_alive(session(expiry=1_900_000_000), NOW)


def test_cancels_are_chunked_by_the_batch_limit() -> None:
    ids = ["0x" + f"{i:064x}" for i in range(12)]
    groups = cancel_groups(FUEL, CTX, session(), ids)
    assert [len(g.actions) for g in groups] == [MAX_ACTIONS, MAX_ACTIONS, 2]
    assert [a.wire["CancelOrder"]["order_id"] for g in groups for a in g.actions] == ids
    assert cancel_groups(FUEL, CTX, session(), []) == []


def test_typed_and_human_groups() -> None:
    typed = MarketActions(str(FUEL.market_id), [
        CreateOrderAction(OrderSide.BUY, 20000, 100 * 10**9, LimitOrder(20000)),
        CancelOrderAction("0x" + "ab" * 32),
    ])
    group = prepare_group(FUEL, CTX, typed, session(), NOW)
    assert wire(group.actions[0])["CreateOrder"]["order_type"] == {
        "Limit": ["20000", str(int(NOW))]}
    human = MarketActionsBuilder("fFUEL/fUSDC").settle_balance().cancel_order(
        "0x" + "ab" * 32).create_order(OrderSide.SELL, "0.09", 20).build()
    assert human == MarketActionGroup("fFUEL/fUSDC", [
        SettleBalanceRequestAction(), CancelOrderRequestAction("0x" + "ab" * 32),
        CreateOrderRequestAction(OrderSide.SELL, "0.09", 20)])
    prepared = prepare_group(FUEL, CTX, human, session(), NOW)
    assert [next(iter(a.wire)) for a in prepared.actions] == [
        "SettleBalance", "CancelOrder", "CreateOrder"]
    with pytest.raises(OrderRuleError):  # typed orders are checked against the rules too
        prepare_group(FUEL, CTX, MarketActions(str(FUEL.market_id), [
            CreateOrderAction(OrderSide.BUY, 20001, 100 * 10**9)]), session(), NOW)
    with pytest.raises(InvalidInput):
        prepare_group(FUEL, CTX, [typed], session(), NOW)  # type: ignore[arg-type]


def test_with_limit_timestamp_only_touches_undated_limit_orders() -> None:
    undated = CreateOrderAction(OrderSide.BUY, 1, 1, LimitOrder(1))
    assert with_limit_timestamp(undated, NOW) == CreateOrderAction(
        OrderSide.BUY, 1, 1, LimitOrder(1, int(NOW)))
    for action in (CreateOrderAction(OrderSide.BUY, 1, 1, LimitOrder(1, 5)),
                   CreateOrderAction(OrderSide.BUY, 1, 1), CancelOrderAction("0x01")):
        assert with_limit_timestamp(action, NOW) is action
