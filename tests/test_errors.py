"""Error replies → exceptions (PROTOCOL.md §5.3), on-chain revert decoding, the ABI table."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2_core import errors
from o2_core.abi_errors import ERROR_ENUMS
from o2_core.errors import O2Error, OnChainRevert, ProtocolError, RateLimitExceeded
from o2_core.http import Response
from o2_core.onchain_revert import decode_revert_reason
from o2_core.replies import check

REPO = Path(__file__).resolve().parents[1]
ABI_DATA = REPO / "tests" / "data" / "abi_error_enums.json"

EXPECTED_CODES = {
    1000: "InternalError", 1001: "InvalidRequest", 1002: "ParseError",
    1003: "RateLimitExceeded", 1004: "GeoRestricted", 2000: "MarketNotFound",
    2001: "MarketPaused", 2002: "MarketAlreadyExists", 3000: "OrderNotFound",
    3001: "OrderNotActive", 3002: "InvalidOrderParams", 4000: "InvalidSignature",
    4001: "InvalidSession", 4002: "AccountNotFound", 4003: "WhitelistNotConfigured",
    5000: "TradeNotFound", 5001: "InvalidTradeCount", 6000: "AlreadySubscribed",
    6001: "TooManySubscriptions", 6002: "SubscriptionError", 7000: "InvalidAmount",
    7001: "InvalidTimeRange", 7002: "InvalidPagination", 7003: "NoActionsProvided",
    7004: "TooManyActions", 8000: "BlockNotFound", 8001: "EventsNotFound",
}


def body(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


@pytest.mark.parametrize("code", sorted(EXPECTED_CODES))
def test_every_code_maps_to_its_class(code: int) -> None:
    err = errors.error_from_body(400, f'{{"code": {code}, "message": "m"}}'.encode())
    assert type(err).__name__ == EXPECTED_CODES[code]
    assert type(err) is errors.ERROR_CODES[code]
    assert errors.CODE_OF[type(err)] == code
    assert isinstance(err, O2Error)
    assert err.code == code and err.message == "m"
    assert str(err) == f"[{code}] m"
    with pytest.raises(type(err)):
        check(Response(400, f'{{"code": {code}, "message": "m"}}'.encode()))


def test_code_table_is_complete() -> None:
    assert {c: cls.__name__ for c, cls in errors.ERROR_CODES.items()} == EXPECTED_CODES


def test_unknown_code_is_a_plain_api_error() -> None:
    err = errors.error_from_body(400, body(code=9999, message="new"))
    assert type(err) is errors.ApiError and err.code == 9999


@pytest.mark.parametrize("header", ["retry-after", "Retry-After", "RETRY-AFTER"])
@pytest.mark.parametrize(
    "payload", [b"", b'{"code": 1003, "message": "slow down"}', b"Too Many Requests", b"{}"]
)
def test_rate_limit(payload: bytes, header: str) -> None:
    with pytest.raises(RateLimitExceeded) as info:
        check(Response(429, payload, {header: "2.5"}))
    assert info.value.retry_after == 2.5
    assert info.value.code == 1003
    with pytest.raises(RateLimitExceeded) as info:
        check(Response(429, payload))
    assert info.value.retry_after is None
    with pytest.raises(RateLimitExceeded) as info:
        check(Response(429, payload, {header: "Wed, 21 Oct 2015 07:28:00 GMT"}))
    assert info.value.retry_after is None  # a date is not a delay we can use


def test_rate_limit_by_code_with_other_status() -> None:
    err = errors.error_from_body(400, body(code=1003, message="m"), retry_after=4.0)
    assert isinstance(err, RateLimitExceeded) and err.retry_after == 4.0


@pytest.mark.parametrize(
    "payload",
    [
        b'{"tx_id": "0xabc"}',
        b'{"tx_id": "0xabc", "orders": []}',
        b'{"tx_id": "0xabc", "message": "ok"}',
        b'{"trade_account_id": "0x01", "nonce": "3"}',
        b"[]",
        b"",
    ],
)
def test_success_bodies(payload: bytes) -> None:
    assert errors.error_from_body(200, payload) is None
    check(Response(200, payload))


def test_tx_id_wins_even_with_an_error_status() -> None:
    assert errors.error_from_body(500, b'{"tx_id": "0xabc"}') is None


@pytest.mark.parametrize("status", [500, 502, 503, 404])
def test_non_json_error_is_a_protocol_error(status: int) -> None:
    with pytest.raises(ProtocolError, match=f"HTTP {status}"):
        check(Response(status, b"<html>Bad Gateway</html>"))
    with pytest.raises(O2Error, match=f"HTTP {status}"):
        check(Response(status, b""))  # no body at all


def test_error_field_and_no_code() -> None:
    err = errors.error_from_body(400, body(error="cooldown"))
    assert type(err) is O2Error and err.message == "cooldown"


# --- on-chain reverts ---------------------------------------------------------------

LOG_RESULT = 'LogResult { results: [Ok("OrderCreated"), Ok("FractionalPrice")] }'
RECEIPTS_TEXT = (
    "[Call { id: 0x0000000000000000000000000000000000000000000000000000000000000000, "
    "to: 0x3242e3c02d852057019eed24f0b226600fa2df6f7c0257530fe7cc8a546d0ddf, amount: 0 }, "
    "LogData { id: 0x3242e3c02d852057019eed24f0b226600fa2df6f7c0257530fe7cc8a546d0ddf, "
    "ra: 0, rb: 12033795032676640771, ptr: 0, len: 8, "
    "digest: 0xcd04a4754498e06db5a13c5f371f1f04ff6d2470f24aa9bd886540e5dce77f70, "
    "pc: 0, is: 0, data: Some(Bytes(0000000000000001)) }, "
    "Revert { id: 0x3242e3c02d852057019eed24f0b226600fa2df6f7c0257530fe7cc8a546d0ddf, "
    "ra: 18446744073709486080, pc: 0, is: 0 }]"
)


@pytest.mark.parametrize("escaped", [False, True])
def test_revert_log_result(escaped: bool) -> None:
    reason = "Failed to process transaction: " + LOG_RESULT
    if escaped:  # the backend sometimes double-escapes the quotes
        reason = reason.replace('"', '\\"')
    err = errors.error_from_body(400, body(message="Transaction reverted", reason=reason))
    assert isinstance(err, OnChainRevert)
    assert err.reason is not None and "OrderCreationError::FractionalPrice" in err.reason
    assert "adjust_quantity" in err.reason  # the hint says what to do
    assert err.raw_reason == reason
    assert "FractionalPrice" in str(err)


def test_revert_receipts_text() -> None:
    reason = "Revert(18446744073709486080) " + RECEIPTS_TEXT
    payload = body(message="Transaction failed", reason=reason)
    err = errors.error_from_body(400, payload)
    assert isinstance(err, OnChainRevert)
    assert err.reason is not None
    assert err.reason.startswith("OrderCreationError::InvalidInputAmount")


def test_revert_receipts_as_json() -> None:
    receipts = [
        {"Call": {"id": "0x00", "to": "0x01", "amount": 0}},
        {
            "LogData": {
                "id": "0x3242", "ra": 0, "rb": "12033795032676640771", "ptr": 0, "len": 8,
                "digest": "0xcd04", "pc": 0, "is": 0, "data": "0000000000000004",
            }
        },
        {"Revert": {"id": "0x3242", "ra": "18446744073709486080", "pc": 0, "is": 0}},
    ]
    err = errors.error_from_body(400, body(message="Transaction failed", reason="reverted",
                                           receipts=receipts))
    assert isinstance(err, OnChainRevert)
    assert err.reason is not None and err.reason.startswith("OrderCreationError::PricePrecision")
    assert err.receipts == receipts


def test_code_1000_wrapping_a_revert() -> None:
    message = "Internal error: transaction reverted: " + RECEIPTS_TEXT
    err = errors.error_from_body(500, body(code=1000, message=message))
    assert type(err) is errors.InternalRevert
    assert isinstance(err, OnChainRevert) and isinstance(err, errors.InternalError)
    assert err.code == 1000
    assert err.reason is not None and "OrderCreationError::InvalidInputAmount" in err.reason
    plain = errors.error_from_body(500, body(code=1000, message="database down"))
    assert type(plain) is errors.InternalError


def test_sway_signal_only() -> None:
    reason = "Revert { id: 0x01, ra: 18446744073709486080, pc: 0, is: 0 }"
    err = errors.error_from_body(400, body(message="Transaction reverted", reason=reason))
    assert isinstance(err, OnChainRevert)
    assert err.reason is not None and "FAILED_REQUIRE" in err.reason
    assert "FAILED_ASSERT_EQ" in (decode_revert_reason("Revert(18446744073709486083)") or "")


def test_revert_decoding_edge_cases() -> None:
    unknown = RECEIPTS_TEXT.replace("Bytes(0000000000000001)", "Bytes(00000000000000ff)")
    assert decode_revert_reason(unknown) == "OrderCreationError::<unknown variant 255>"
    nonce = RECEIPTS_TEXT.replace("12033795032676640771", "17909535172322737929").replace(
        "0000000000000001", "0000000000000000"
    )
    assert (decode_revert_reason(nonce) or "").startswith("NonceError::InvalidNonce")
    assert decode_revert_reason("nothing to see") is None
    assert decode_revert_reason('Ok("NotAnErrorVariant")') is None
    # An unknown logId falls through to the revert signal.
    other = RECEIPTS_TEXT.replace("12033795032676640771", "1")
    assert "FAILED_REQUIRE" in (decode_revert_reason(other) or "")
    # The revert reason survives even when nothing decodes.
    err = errors.error_from_body(400, body(message="m", reason="Panic: something odd"))
    assert isinstance(err, OnChainRevert) and err.reason == "Panic: something odd"


@given(st.integers(0, 999), st.binary(max_size=400), st.none() | st.floats(0, 1e6))
def test_error_from_body_never_raises_on_bytes(
    status: int, raw: bytes, retry: float | None
) -> None:
    result = errors.error_from_body(status, raw, retry)
    assert result is None or isinstance(result, O2Error)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)
KEYS = st.sampled_from(["code", "message", "error", "reason", "receipts", "tx_id"]) | st.text()
FRAGMENTS = st.sampled_from(
    ["LogData { rb: ", "12033795032676640771", ", data: Some(Bytes(", "0000000000000001",
     ")) }", "Revert { ra: ", "18446744073709486080", " }", 'Ok("FractionalPrice")',
     "LogResult", '"LogData":{"rb":"', '"data":"', "Revert(", "}", "{"]
)


@given(st.integers(100, 599), st.dictionaries(KEYS, JSON_VALUES | st.lists(FRAGMENTS).map("".join)))
def test_error_from_body_never_raises_on_json(status: int, fields: dict[str, Any]) -> None:
    result = errors.error_from_body(status, json.dumps(fields).encode())
    assert result is None or isinstance(result, O2Error)


@given(st.lists(FRAGMENTS, max_size=20).map("".join))
def test_decode_revert_reason_never_raises(text: str) -> None:
    result = decode_revert_reason(text)
    assert result is None or isinstance(result, str)


def test_exception_tree() -> None:
    assert issubclass(errors.InvalidInput, ValueError) and issubclass(errors.InvalidInput, O2Error)
    for cls in (errors.OrderRuleError, errors.SubscriptionConflict):
        assert issubclass(cls, errors.InvalidInput)
    for cls in (errors.RequestTimeout, errors.ConnectionClosed, errors.UnknownSubmissionOutcome):
        assert issubclass(cls, errors.TransportError)
    for cls in errors.ERROR_CODES.values():
        assert issubclass(cls, errors.ApiError) and issubclass(cls, O2Error)
    groups = (errors.ApiError, errors.OnChainRevert, errors.TransportError, errors.ProtocolError,
              errors.InvalidInput)
    for group in groups:
        assert group.__bases__ in ((O2Error,), (O2Error, ValueError))
    assert errors.InternalRevert.__mro__[1:3] == (OnChainRevert, errors.InternalError)


def test_misuse_is_not_a_trading_error() -> None:
    """``except O2Error: retry`` must not swallow a bug in the calling code."""
    for cls in (errors.StreamStateError, errors.NonceStateError):
        assert issubclass(cls, errors.UsageError) and issubclass(cls, RuntimeError)
        assert not issubclass(cls, O2Error)


def test_rate_limit_takes_retry_after_in_its_constructor() -> None:
    err = RateLimitExceeded("slow down", retry_after=1.5)
    assert (err.code, err.retry_after, str(err)) == (1003, 1.5, "[1003] slow down")
    assert RateLimitExceeded("m").retry_after is None


# --- the generated ABI table --------------------------------------------------------


def _generator() -> Any:
    path = REPO / "tools" / "gen_abi_errors.py"
    spec = importlib.util.spec_from_file_location("gen_abi_errors", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_abi_table_is_up_to_date() -> None:
    """``o2_core/abi_errors.py`` is exactly what the tool renders from ``tests/data``."""
    assert ABI_DATA.is_file(), f"ABI test data missing: {ABI_DATA}"
    gen = _generator()
    table = gen.table_from_data(json.loads(ABI_DATA.read_text()))
    assert table == ERROR_ENUMS
    committed = (REPO / "o2_core" / "abi_errors.py").read_text()
    assert gen.render(table) == committed, "run: python tools/sync_test_data.py"


def test_variant_indices_follow_the_abi() -> None:
    """Each ABI file's logged enums (from tests/data) are in the table, variants in order."""
    data = json.loads(ABI_DATA.read_text())
    seen = 0
    assert len(data["files"]) >= 7
    for entry in data["files"].values():
        for logged in entry["logged_enums"]:
            assert logged["type"].startswith("enum ")
            name, variants = ERROR_ENUMS[int(logged["log_id"])]
            assert name == logged["type"][len("enum "):]
            for index, component in enumerate(logged["variants"]):
                assert variants[index] == component
            assert len(variants) == len(logged["variants"])
            seen += 1
    assert seen >= len(ERROR_ENUMS)
    order_errors = ERROR_ENUMS[12033795032676640771]
    assert order_errors[0] == "contract_schema::order_book::OrderCreationError"
    assert order_errors[1][1] == "InvalidInputAmount" and order_errors[1][6] == "FractionalPrice"
