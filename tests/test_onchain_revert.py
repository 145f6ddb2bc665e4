"""On-chain revert classification of PROTOCOL_V05 §1.9, §3.3-§3.4 and §5 (onchain_revert)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2_core import errors
from o2_core.abi_errors import ERROR_ENUMS
from o2_core.errors import InternalError, InvalidRequest, O2Error, OnChainRevert
from o2_core.onchain_revert import (
    ABI_ERROR_ENUMS,
    MISMATCHED_SELECTOR_REASON,
    MISMATCHED_SELECTOR_REVERT_CODE,
    NO_UPGRADE_AVAILABLE_MESSAGE,
    ONCHAIN_ALREADY_USED_VARIANT,
    ONCHAIN_NONCE_ERROR_VARIANTS,
    augment_revert_reason,
    decode_revert_reason,
    error_text,
    is_no_upgrade_available,
    is_onchain_already_used,
    is_onchain_nonce_error,
    is_selector_mismatch_revert,
    logged_variants,
    revert_codes,
    revert_codes_from_receipts,
)

#: How the backend reports a call to a selector the account's implementation lacks.
SELECTOR_REASON = (
    "Transaction 5e1f failed with logs: LogResult { results: [] } and error: transaction "
    "reverted: Revert(123), receipts: [Call { id: 0000, to: 18f9, amount: 0 }, "
    "Revert { id: 18f9, ra: 123, pc: 10, is: 10 }, ScriptResult { result: Revert, gas_used: 9 }]"
)
#: The contract's AlreadyUsed, as the backend reports it: code 1000, the signal in reason.
ALREADY_USED_REASON = (
    'Transaction a432 failed with logs: LogResult { results: [Ok("AlreadyUsed")] } and '
    "error: transaction reverted: Revert(18446744073709486086), receipts: [Call { id: 00 }]"
)
#: The selector-mismatch fixture of PROTOCOL_V05 §4 (a code-based error with receipts).
SELECTOR_BODY = {
    "code": 1000,
    "message": "Failed to process transaction",
    "reason": "and error: transaction reverted: Revert(123)",
    "receipts": [{"Revert": {"id": "0x18f9", "ra": 123}}],
}


def test_constants_are_the_specified_ones() -> None:
    assert MISMATCHED_SELECTOR_REVERT_CODE == 123
    assert MISMATCHED_SELECTOR_REASON == (
        "MismatchedSelector \u2014 the deployed contract has no such method "
        "(the account's proxy targets an older implementation)"
    )
    assert NO_UPGRADE_AVAILABLE_MESSAGE == "No upgrade available"
    assert ONCHAIN_ALREADY_USED_VARIANT == "AlreadyUsed"
    assert {
        "ReservedBitsSet", "BitmapPositionOutOfRange", "NonceSessionIdOutOfRange",
        "Expired", "WordPosOutOfWindow", "AlreadyUsed",
    } == ONCHAIN_NONCE_ERROR_VARIANTS


def test_the_abi_table_in_the_official_shape() -> None:
    assert set(ABI_ERROR_ENUMS) == set(ERROR_ENUMS)
    for log_id, (name, variants) in ABI_ERROR_ENUMS.items():
        assert name == ERROR_ENUMS[log_id][0]
        assert tuple(v for v, _ in variants) == ERROR_ENUMS[log_id][1]
        assert all(isinstance(hint, str) for _, hint in variants)
    creation = dict(ABI_ERROR_ENUMS[12033795032676640771][1])
    assert "tick" in creation["PricePrecision"]


# --- the selector mismatch (code 123) -----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "transaction reverted: Revert(123)",
        "Revert { id: 18f9, ra: 123, pc: 0, is: 0 }",
        '{"Revert": {"id": "0x18f9", "ra": 123}}',
        '{"Revert": {"id": "0x18f9", "ra": "123"}}',
        '[{"type": "Revert", "id": "0x18f9", "ra": "123"}]',
        MISMATCHED_SELECTOR_REASON,
        SELECTOR_REASON,
    ],
)
def test_selector_mismatch_in_text(text: str) -> None:
    assert is_selector_mismatch_revert(text)
    assert decode_revert_reason(text) == MISMATCHED_SELECTOR_REASON or text == (
        MISMATCHED_SELECTOR_REASON
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "transaction reverted: Revert(1234)",
        "Revert(12)",
        "Revert { id: 18f9, ra: 18446744073709486080 }",
        "ScriptResult { result: Revert, gas_used: 123 }",
        '{"LogData": {"id": "0x18f9", "ra": 123, "rb": 0}}',
        "code 123 somewhere",
    ],
)
def test_not_a_selector_mismatch(text: str) -> None:
    assert not is_selector_mismatch_revert(text)
    assert decode_revert_reason(text) != MISMATCHED_SELECTOR_REASON


def test_selector_mismatch_from_structured_receipts_alone() -> None:
    err = OnChainRevert("Failed to process transaction", reason="something else",
                        receipts=[{"Revert": {"id": "0x18f9", "ra": 123}}])
    assert is_selector_mismatch_revert(err)
    tagged = OnChainRevert("m", reason="x", receipts=[{"type": "Revert", "ra": "123"}])
    assert is_selector_mismatch_revert(tagged)
    logdata = OnChainRevert("m", reason="x", receipts=[{"LogData": {"ra": 123, "rb": 0}},
                                                       {"ScriptResult": {"result": "Success"}}])
    assert not is_selector_mismatch_revert(logdata)
    assert revert_codes_from_receipts([{"Revert": {"ra": True}}]) == []
    assert revert_codes_from_receipts({"a": [{"Revert": 5}, {"type": "Revert", "ra": 7}]}) == [5, 7]


def test_selector_mismatch_from_raw_reason_when_the_reason_was_rewritten() -> None:
    err = OnChainRevert("m", reason="a summary without the code", raw_reason=SELECTOR_REASON)
    assert is_selector_mismatch_revert(err)


def test_selector_mismatch_through_the_error_tree() -> None:
    err = errors.error_from_body(500, json.dumps(SELECTOR_BODY).encode())
    assert isinstance(err, errors.InternalRevert)
    assert err.reason == MISMATCHED_SELECTOR_REASON  # decode_revert_reason names code 123
    assert err.raw_reason == SELECTOR_BODY["reason"]
    assert is_selector_mismatch_revert(err)
    other = errors.error_from_body(
        500, json.dumps(dict(SELECTOR_BODY, reason="Revert(1230)", receipts=None)).encode()
    )
    assert other is not None and not is_selector_mismatch_revert(other)
    assert not is_selector_mismatch_revert(RuntimeError("connection reset"))
    assert not is_selector_mismatch_revert(None)


def test_revert_codes() -> None:
    assert revert_codes(SELECTOR_REASON) == [123, 123]
    assert revert_codes('x {"type": "Revert", "ra": 9} Revert(1)') == [1, 9]
    assert revert_codes("no reverts") == []


# --- augment_revert_reason: always a string --------------------------------------------


def test_augment_names_the_selector_mismatch_before_the_summary() -> None:
    assert augment_revert_reason("Failed", SELECTOR_REASON, None) == MISMATCHED_SELECTOR_REASON
    assert augment_revert_reason("Failed", "x", [{"type": "Revert", "ra": 123}]) == (
        MISMATCHED_SELECTOR_REASON
    )


def test_augment_priorities() -> None:
    variant = augment_revert_reason("m", 'LogResult { results: [Ok("PricePrecision")] }', None)
    assert variant.startswith("OrderCreationError::PricePrecision")
    panic = "PanicInstruction { reason: OutOfGas, instruction: CALL }"
    assert augment_revert_reason("m", panic, None) == "OutOfGas"
    summary = "Tx failed and error: transaction reverted: Revert(7), receipts: [..]"
    assert augment_revert_reason("m", summary, None) == "transaction reverted: Revert(7)"
    signal = "Revert { id: 01, ra: 18446744073709486080 }"
    assert augment_revert_reason("m", signal, None).startswith("FAILED_REQUIRE")
    assert augment_revert_reason("m", None, None) == ""
    assert augment_revert_reason("m", "plain words", None) == "plain words"
    long = "z" * 300
    assert augment_revert_reason("m", long, None) == "z" * 200 + (
        "... (truncated; the full receipts are on .receipts)"
    )


@given(st.text(max_size=300), st.none() | st.text(max_size=300))
def test_augment_never_raises(message: str, reason: str | None) -> None:
    assert isinstance(augment_revert_reason(message, reason, None), str)


# --- the contract's nonce errors ---------------------------------------------------------


def onchain(variant: str) -> InternalError:
    return InternalError(
        "transaction reverted: Revert(18446744073709486086)",
        code=1000,
        reason=f'failed with logs: LogResult {{ results: [Ok("{variant}")] }}',
    )


def test_logged_variants() -> None:
    assert logged_variants('LogResult { results: [Ok("IncrementNonceEvent"), Ok("AlreadyUsed")] }'
                           ) == {"IncrementNonceEvent", "AlreadyUsed"}
    assert logged_variants('[Ok(\\"AlreadyUsed\\")]') == {"AlreadyUsed"}  # escaped once
    assert logged_variants('[Ok(\\\\\\"AlreadyUsed\\\\\\")]') == {"AlreadyUsed"}  # and again
    assert logged_variants("AlreadyUsed") == set()  # a bare word is not a logged variant


def test_onchain_already_used() -> None:
    err = InternalError("transaction reverted", code=1000, reason=ALREADY_USED_REASON)
    assert is_onchain_already_used(err) and is_onchain_nonce_error(err)
    assert (decode_revert_reason(ALREADY_USED_REASON) or "").startswith(
        "ExtendedNonceError::AlreadyUsed"
    )
    for variant in ("OrderPartiallyFilled", "TraderAlreadyWhitelisted",
                    "OwnerAlreadyHasTradeAccount", "NotEnoughBalance"):
        assert not is_onchain_already_used(onchain(variant)), variant
        assert not is_onchain_nonce_error(onchain(variant)), variant


@pytest.mark.parametrize("variant", sorted(ONCHAIN_NONCE_ERROR_VARIANTS))
def test_every_onchain_nonce_variant(variant: str) -> None:
    assert is_onchain_nonce_error(onchain(variant))
    assert is_onchain_already_used(onchain(variant)) == (variant == "AlreadyUsed")
    # ... also when it is only in the receipts' JSON
    err = O2Error("m", receipts=[{"LogResult": f'Ok("{variant}")'}])
    assert is_onchain_nonce_error(err)


def test_no_upgrade_available() -> None:
    err = OnChainRevert("Failed to process transaction",
                        reason='Revert: require failed: "No upgrade available"')
    assert is_no_upgrade_available(err)
    assert is_no_upgrade_available("... No upgrade available ...")
    assert not is_no_upgrade_available(InvalidRequest("No upgrade", code=1001))


class _NoStr(Exception):
    def __str__(self) -> str:
        raise RuntimeError("broken __str__")


def test_error_text_searches_every_field() -> None:
    err = O2Error("the message", code=1, reason="the reason", receipts=[{"k": "the receipts"}],
                  raw_reason="the raw reason")
    text = error_text(err)
    for part in ("the message", "the reason", "the raw reason", "[1] the message",
                 "the receipts"):
        assert part in text
    assert error_text(None) == ""
    assert error_text("as is") == "as is"
    assert error_text(_NoStr()) is not None
    plain: Any = ValueError("only str")
    assert "only str" in error_text(plain)


def test_every_official_public_name_is_importable() -> None:
    from types import ModuleType

    import o2_sdk.onchain_revert as official

    from o2_core import onchain_revert

    names = {n for n, v in vars(official).items()
             if not n.startswith("_") and n not in ("annotations", "Any")
             and not isinstance(v, ModuleType)}
    assert {"augment_revert_reason", "ABI_ERROR_ENUMS", "logged_variants"} <= names
    assert names <= set(onchain_revert.__all__), names - set(onchain_revert.__all__)
    for name in names - {"ABI_ERROR_ENUMS", "augment_revert_reason"}:  # texts are ours there
        ours, theirs = getattr(onchain_revert, name), getattr(official, name)
        if not callable(theirs):
            assert ours == theirs, name


@given(st.lists(st.sampled_from([
    "Revert(123)", "Revert(1234)", "Revert { id: 1, ra: 123 }", "ra: 123", "Revert {",
    MISMATCHED_SELECTOR_REASON, "No upgrade available", 'Ok("AlreadyUsed")',
    'Ok(\\"Expired\\")', 'Ok("PricePrecision")', " ", "}", "x",
]), max_size=6).map("".join))
def test_string_classification_matches_the_official_sdk(text: str) -> None:
    import o2_sdk.onchain_revert as official

    for name in ("is_selector_mismatch_revert", "is_no_upgrade_available",
                 "is_onchain_already_used", "is_onchain_nonce_error"):
        from o2_core import onchain_revert

        assert getattr(onchain_revert, name)(text) == getattr(official, name)(text), (name, text)
    assert logged_variants(text) == official.logged_variants(text)


def test_a_glued_ra_after_a_revert_brace_is_a_code_as_in_the_official_sdk() -> None:
    # found by hypothesis 6.100 (make test-min): o2-sdk reads any "ra:" after "Revert {"
    from o2_sdk.onchain_revert import is_selector_mismatch_revert as official

    text = "Revert {No upgrade availablera: 123"
    assert is_selector_mismatch_revert(text) is official(text) is True
