"""What o2-sdk 0.5.0 code does with model values works on ours: isinstance on identities,
from_dict/to_dict, dict-style reads, float formatting, the ticker's live shape, and
saving and restoring a session."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from o2_core import crypto
from o2_core.errors import InvalidInput, ProtocolError
from o2_core.http import Response
from o2_core.models import (
    AddressIdentity,
    BalanceEntry,
    BalanceUpdate,
    ContractIdentity,
    Identity,
    Market,
    MarketAsset,
    Order,
    SessionInfo,
    decode,
)
from o2_core.replies import decode_summary, decode_ticker, parse_ticker

A = "0x" + "a1" * 32
B = "0x" + "b2" * 32


def test_identity_kinds_answer_isinstance_like_the_official_classes() -> None:
    contract, address = ContractIdentity(A), AddressIdentity(B)
    assert isinstance(contract, Identity) and isinstance(contract, ContractIdentity)
    assert not isinstance(contract, AddressIdentity) and isinstance(address, AddressIdentity)
    decoded = decode(b'{"ContractId": "%s"}' % A.upper()[2:].encode(), Identity)
    assert isinstance(decoded, ContractIdentity) and decoded == contract
    assert ContractIdentity(value=A) == contract  # the official keyword
    assert not isinstance("0x01", ContractIdentity)
    assert contract.to_dict() == {"ContractId": A} and contract["ContractId"] == A
    assert Identity.from_dict({"Address": B}) == address
    with pytest.raises(InvalidInput):
        ContractIdentity("0x12")


def test_models_convert_from_and_to_dicts() -> None:
    raw = {"order_id": A, "side": "Buy", "quantity": "100", "price": 5, "close": False,
           "account": {"ContractId": B}, "unknown_future_field": [1]}
    order = Order.from_dict(raw)
    assert order.quantity == 100 and order.price == 5 and isinstance(order.account, Identity)
    back = order.to_dict()
    assert back["order_id"] == A and back["account"] == {"ContractId": B}
    assert Order.from_dict(json.loads(json.dumps(back))) == order
    with pytest.raises(ProtocolError):
        Order.from_dict({"side": "Buy"})  # no order_id


def test_balance_entries_read_like_the_official_dicts() -> None:
    update = decode(json.dumps({"balance": [{
        "identity": {"ContractId": A}, "asset_id": B, "trading_account_balance": "10",
        "total_locked": 5, "total_unlocked": "15", "order_books": {}}]}), BalanceUpdate)
    [entry] = update.balance
    assert isinstance(entry, BalanceEntry)
    assert entry.get("asset_id", "?")[:18] + "..." == B[:18] + "..."
    assert entry["total_unlocked"] == 15 and entry.get("missing", "0") == "0"
    assert "total_locked" in entry and "nope" not in entry
    with pytest.raises(KeyError):
        entry["nope"]


def test_format_price_is_a_float_and_the_exact_value_has_its_own_name() -> None:
    market = Market(
        contract_id=A, market_id=B,  # type: ignore[arg-type]
        base=MarketAsset("fFUEL", A, 9, 3),  # type: ignore[arg-type]
        quote=MarketAsset("fUSDC", B, 6, 4),  # type: ignore[arg-type]
    )
    price = market.format_price(12_345)
    assert isinstance(price, float) and price * 0.5 == 0.0061725  # a bot's arithmetic
    assert market.price_decimal(12_345) == Decimal("0.012345")
    assert market.quantity_decimal(1) == Decimal("1E-9")


def test_the_ticker_is_the_live_one_item_list_or_an_object() -> None:
    live = [{"last_price": "5000", "best_bid": "4990", "best_ask": "5010",
             "base_volume": "100", "quote_volume": 7}]
    ticker = parse_ticker(Response(200, json.dumps(live).encode()))
    assert isinstance(ticker, dict) and ticker.data is ticker and ticker["best_bid"] == "4990"
    assert (ticker.last_price, ticker.best_bid, ticker.best_ask) == (5000, 4990, 5010)
    assert (ticker.last, ticker.bid, ticker.ask) == (5000, 4990, 5010)  # PROTOCOL.md names
    assert ticker.base_volume == 100 and ticker.quote_volume == 7 and ticker.high is None
    assert ticker.market_id is None
    assert decode_ticker(json.dumps(live).encode(), market_id=A).market_id == A
    with pytest.raises(ProtocolError):
        decode_ticker(b'[{"last_price": "soon"}]').last_price  # noqa: B018
    with pytest.raises(ProtocolError):
        decode_ticker(b'[{"last_price": "1.5"}]').last_price  # noqa: B018
    summary = decode_summary(b'{"market_id": "%s", "last_price": "7", "change_24h": "0.4"}'
                             % A.encode())
    assert summary.last_price == 7 and summary.change_24h == Decimal("0.4")


def test_a_saved_session_is_restored_from_its_private_key() -> None:
    key = crypto.generate_wallet()
    saved = {
        "session_id": key.b256_address, "trade_account_id": A, "contract_ids": [B],
        "session_expiry": "1900000000", "session_private_key": key.private_key.hex(),
        "owner_address": "0x" + "0f" * 32,
    }
    restored = SessionInfo(
        session_id=AddressIdentity(saved["session_id"]),
        trade_account_id=saved["trade_account_id"],
        contract_ids=saved["contract_ids"],
        session_expiry=saved["session_expiry"],
        session_private_key=bytes.fromhex(saved["session_private_key"]),
        owner_address=saved["owner_address"],
    )
    assert restored.session_address == key.b256_address
    assert restored.session_private_key == key.private_key
    assert restored.session_expiry == 1_900_000_000
    assert key.private_key.hex() not in repr(restored)
    with pytest.raises(InvalidInput, match="not the address of the session key"):
        SessionInfo(AddressIdentity(A), A, [B], 1, crypto.generate_wallet().private_key)
    with pytest.raises(InvalidInput, match="session key"):
        SessionInfo(AddressIdentity(A), A, [B], 1)
