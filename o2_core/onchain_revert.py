"""On-chain revert decoding (PROTOCOL.md §5.3): which contract error a revert names.

A reverted transaction is reported as text (the backend's ``reason``, fuels-rs debug
output) and receipts. The error is read from the last known variant of a ``LogResult``
list, else from the ``LogData`` receipt before the last ``Revert`` (``rb`` is the error
enum's logId from the contracts' ABIs, the first 8 bytes of data the variant index),
else from the Sway error signal in the revert code. The compiler's dispatcher revert
``Revert(123)`` (no such method: the account's proxy targets an older implementation) is
named :data:`MISMATCHED_SELECTOR_REASON`.

The classifiers of PROTOCOL_V05 §1.9, §3.3 and §3.4 (``is_selector_mismatch_revert``,
``is_no_upgrade_available``, ``is_onchain_already_used``, ``is_onchain_nonce_error``)
accept an exception or a string and search the message, the (augmented) reason, the raw
reason, ``str(err)`` and the JSON of the receipts. A decoded variant is read from the
``LogResult`` list (:func:`logged_variants`), never found by a bare substring search.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import msgspec

from .abi_errors import ERROR_ENUMS

#: Sway's std error signals (the ``ra`` of the Revert receipt says what kind of failure).
REVERT_SIGNALS: dict[int, str] = {
    0xFFFF_FFFF_FFFF_0000: "FAILED_REQUIRE",
    0xFFFF_FFFF_FFFF_0001: "FAILED_TRANSFER_TO_ADDRESS",
    0xFFFF_FFFF_FFFF_0003: "FAILED_ASSERT_EQ",
    0xFFFF_FFFF_FFFF_0004: "FAILED_ASSERT",
    0xFFFF_FFFF_FFFF_0005: "FAILED_ASSERT_NE",
    0xFFFF_FFFF_FFFF_0006: "REVERT_WITH_LOG",
}

#: The revert code of the Sway compiler's contract dispatcher when the called selector does
#: not exist (not a std error signal: no LOG receipt, nothing to decode). On a parallel
#: submission it means the account's proxy targets a pre-parallel implementation.
MISMATCHED_SELECTOR_REVERT_CODE = 123

#: The reason text a selector-mismatch revert is given (stable, so callers may match on it).
MISMATCHED_SELECTOR_REASON = (
    "MismatchedSelector \u2014 the deployed contract has no such method "
    "(the account's proxy targets an older implementation)"
)

#: The proxy's ``require`` message when an upgrade has nothing to do (the proxy already
#: targets the current implementation): the desired state, not a failure.
NO_UPGRADE_AVAILABLE_MESSAGE = "No upgrade available"

#: The logged variant of the contract's ``ExtendedNonceError`` for a consumed parallel
#: slot: the on-chain twin of the API's "nonce already used".
ONCHAIN_ALREADY_USED_VARIANT = "AlreadyUsed"

#: Every variant of ``ExtendedNonceError`` (the bundled ABIs do not carry this enum).
ONCHAIN_NONCE_ERROR_VARIANTS: frozenset[str] = frozenset(
    {
        "ReservedBitsSet",
        "BitmapPositionOutOfRange",
        "NonceSessionIdOutOfRange",
        "Expired",
        "WordPosOutOfWindow",
        "AlreadyUsed",
    }
)

#: What the user should do about the variants a trader actually meets.
_HINTS: dict[str, str] = {
    "InvalidInputAmount": "the forwarded amount does not match price x quantity; check balance",
    "PricePrecision": "price is not a multiple of the market's tick; use Market.scale_price()",
    "FractionalPrice": "price x quantity must divide 10^base_decimals; use adjust_quantity()",
    "OrderNotFilled": "the FillOrKill order could not be filled in full",
    "OrderPartiallyFilled": "the PostOnly order would have crossed the book",
    "TraderNotWhiteListed": "the account is not whitelisted for this market",
    "NotOrderOwner": "only the owner of an order can cancel it",
    "InvalidNonce": "the nonce is stale; the SDK re-reads it before the next submission",
    "InvalidSigner": "the signature does not match the session key",
    "SessionInThePast": "the session expired; create a new session",
    "NotEnoughBalance": "insufficient balance for the withdrawal",
    "AmountIsZero": "the amount must be greater than zero",
    "PriceExceedsRange": "the price is outside the market's allowed window",
    "InvalidMarketOrderArgs": "bounded market order bounds are invalid",
    "AlreadyUsed": "the parallel nonce's slot is consumed; the submission may have landed, "
    "so check before re-submitting",
    "WordPosOutOfWindow": "the parallel nonce is outside the sliding window; resync the cursor",
    "Expired": "the parallel nonce's expiry passed; resync and sign again",
    "ReservedBitsSet": "malformed parallel nonce",
    "BitmapPositionOutOfRange": "malformed parallel nonce",
    "NonceSessionIdOutOfRange": "malformed parallel nonce (lane must be 0..4)",
}

#: Enums the contracts log that the bundled ABIs lack, named after the ABI ones.
_EXTRA_ENUMS: dict[str, tuple[str, ...]] = {
    "ExtendedNonceError": (
        "ReservedBitsSet",
        "BitmapPositionOutOfRange",
        "NonceSessionIdOutOfRange",
        "Expired",
        "WordPosOutOfWindow",
        "AlreadyUsed",
    ),
}

_VARIANTS: dict[str, str] = {}
for _enum, _names in ERROR_ENUMS.values():
    for _name in _names:
        _VARIANTS.setdefault(_name, _enum.rsplit("::", 1)[-1] + "::" + _name)
for _enum, _names in _EXTRA_ENUMS.items():
    for _name in _names:
        _VARIANTS.setdefault(_name, _enum + "::" + _name)

#: The ABI error table in the official SDK's shape, ``logId -> (qualified enum name,
#: [(variant, hint)])``, variants in discriminant order; the hint is "" when we have none.
ABI_ERROR_ENUMS: dict[int, tuple[str, list[tuple[str, str]]]] = {
    _log_id: (_enum, [(_name, _HINTS.get(_name, "")) for _name in _names])
    for _log_id, (_enum, _names) in ERROR_ENUMS.items()
}

# ``Ok("Name")``, with the quotes escaped once or more when the text went through JSON.
_OK_RE = re.compile(r'Ok\(\\*"([A-Za-z0-9_]+)\\*"\)')
# Receipts come as fuels-rs debug text (``LogData { rb: 1, data: Some(Bytes(..)) }``) or
# as JSON (``{"LogData": {"rb": "1", "data": ".."}}``): the patterns accept both.
_LOGDATA_RE = re.compile(r'LogData"?\s*:?\s*\{(?P<body>[^{}]*)\}')
_RB_RE = re.compile(r'\brb"?\s*:\s*"?(\d+)')
_DATA_RE = re.compile(r'Bytes\(\s*(?:0x)?([0-9a-fA-F]*)\s*\)|"data"\s*:\s*"(?:0x)?([0-9a-fA-F]*)"')
# The debug form's ``ra:`` is read wherever it follows the brace, even glued to a
# word (``..availablera: 123``), as o2-sdk reads it: both SDKs then agree on any text.
_REVERT_RE = re.compile(r'Revert"?\s*:?\s*(?:\(\s*(\d+)\s*\)|\{[^{}]*?ra"?\s*:\s*"?(\d+))')
# An internally tagged JSON receipt: ``{"type": "Revert", ..., "ra": 123}``.
_TAGGED_REVERT_RE = re.compile(r'\{[^{}]*"type"\s*:\s*"Revert"[^{}]*\}')
_RA_RE = re.compile(r'"ra"\s*:\s*"?(\d+)')
_PANIC_RE = re.compile(r"PanicInstruction\s*\{[^{}]*?\breason:\s*([A-Za-z0-9_]+)")
_REVERT_WORDS = ("Revert", "revert", "Panic", "LogResult", "LogData")


def _describe(qualified: str) -> str:
    hint = _HINTS.get(qualified.rsplit("::", 1)[-1])
    return f"{qualified} ({hint})" if hint else qualified


def _logged_error(text: str) -> str | None:
    """The last known variant of a ``LogResult`` list, else the ``LogData`` before the
    last ``Revert`` (``rb`` = logId, data = variant index); None when neither decodes."""
    last_known = None
    for match in _OK_RE.finditer(text):
        if match.group(1) in _VARIANTS:
            last_known = match.group(1)
    if last_known is not None:
        return _describe(_VARIANTS[last_known])

    reverts = list(_REVERT_RE.finditer(text))
    end = reverts[-1].start() if reverts else len(text)
    logdata = list(_LOGDATA_RE.finditer(text, 0, end))
    if logdata:
        body = logdata[-1].group("body")
        rb, data = _RB_RE.search(body), _DATA_RE.search(body)
        if rb and data and int(rb.group(1)) in ERROR_ENUMS:
            enum, variants = ERROR_ENUMS[int(rb.group(1))]
            short = enum.rsplit("::", 1)[-1]
            hex_data = data.group(1) or data.group(2) or ""
            if len(hex_data) >= 16:
                index = int(hex_data[:16], 16)
                if index < len(variants):
                    return _describe(f"{short}::{variants[index]}")
                return f"{short}::<unknown variant {index}>"
    return None


def revert_codes(text: str) -> list[int]:
    """Every ``Revert`` receipt's code (``ra``) written in ``text``, in order.

    Reads ``Revert(123)``, the debug form ``Revert { .., ra: 123, .. }``, and JSON
    receipts tagged externally (``{"Revert": {"ra": 123}}``) or internally
    (``{"type": "Revert", "ra": "123"}``). An ``ra`` of any other receipt is not a code.
    """
    codes = [int(m.group(1) or m.group(2)) for m in _REVERT_RE.finditer(text)]
    for tagged in _TAGGED_REVERT_RE.finditer(text):
        ra = _RA_RE.search(tagged.group(0))
        if ra is not None:
            codes.append(int(ra.group(1)))
    return codes


def _walk_receipts(node: Any, depth: int = 0) -> Iterator[int]:
    if depth > 64:  # receipts are shallow; a deeper structure is not receipts
        return
    if isinstance(node, dict):
        if node.get("type") == "Revert":
            code = _as_code(node.get("ra"))
            if code is not None:
                yield code
        for key, value in node.items():
            if key == "Revert":
                code = _as_code(value.get("ra") if isinstance(value, dict) else value)
                if code is not None:
                    yield code
                    continue
            yield from _walk_receipts(value, depth + 1)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _walk_receipts(item, depth + 1)


def _as_code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def revert_codes_from_receipts(receipts: Any) -> list[int]:
    """Every ``Revert`` receipt's code in *structured* receipts (parsed JSON), in order."""
    return list(_walk_receipts(receipts))


def decode_revert_reason(text: str) -> str | None:
    """Name the contract error behind a revert, from the backend's reason/receipt text.

    Tries, in order: the last known variant of a ``LogResult`` ``Ok("...")`` list; the
    ``LogData`` receipt before the last ``Revert`` (``rb`` = logId, data = variant
    index); the dispatcher's selector mismatch (``Revert(123)``); the Sway error signal
    of the revert code.

    Returns:
        ``"Enum::Variant (hint)"``, :data:`MISMATCHED_SELECTOR_REASON`, a signal name, or
        None when nothing applies.
    """
    logged = _logged_error(text)
    if logged is not None:
        return logged
    codes = revert_codes(text)
    if MISMATCHED_SELECTOR_REVERT_CODE in codes:
        return MISMATCHED_SELECTOR_REASON
    for code in codes:
        if code in REVERT_SIGNALS:
            return f"{REVERT_SIGNALS[code]} (no error variant in the receipts)"
    return None


def augment_revert_reason(message: str, reason: str | None, receipts: Any) -> str:
    """A readable reason for an error reply: always a string (the official SDK's helper).

    In order: the decoded error variant (``LogResult``, then ``LogData``); the selector
    mismatch (from the text or the structured receipts); a ``PanicInstruction`` reason;
    the backend's ``and error: ...`` summary; the Sway signal; else ``reason`` itself
    (cut to 200 characters).
    """
    raw = reason or ""
    context = f"{message}\n{raw}\n{receipts_text(receipts)}"
    logged = _logged_error(context)
    if logged is not None:
        return logged
    codes = revert_codes(context)
    if (
        MISMATCHED_SELECTOR_REVERT_CODE in codes
        or MISMATCHED_SELECTOR_REVERT_CODE in revert_codes_from_receipts(receipts)
    ):
        return MISMATCHED_SELECTOR_REASON
    panic = _PANIC_RE.search(context)
    if panic is not None:
        return panic.group(1)
    marker = context.find("and error:")
    if marker != -1:
        after = context[marker + len("and error:") :].strip()
        cut = after.find(", receipts:")
        summary = after[:cut].strip() if cut != -1 else after[:200]
        if summary:
            return summary
    for code in codes:
        if code in REVERT_SIGNALS:
            return f"{REVERT_SIGNALS[code]} (no error variant in the receipts)"
    if len(raw) > 200:
        return raw[:200] + "... (truncated; the full receipts are on .receipts)"
    return raw


def looks_onchain(message: str, reason: str | None, receipts: Any) -> bool:
    """True when an error reply describes a transaction that reached the chain."""
    if receipts is not None:
        return True
    return any(w in (reason or "") or w in message for w in _REVERT_WORDS)


def receipts_text(receipts: Any) -> str:
    """Receipts as searchable text (JSON when they are structured)."""
    if receipts is None:
        return ""
    if isinstance(receipts, str):
        return receipts
    try:
        return msgspec.json.encode(receipts).decode()
    except (TypeError, msgspec.EncodeError):
        return repr(receipts)


# --- classification (PROTOCOL_V05 §1.9, §3.3, §3.4) ------------------------------------


def error_text(error: Any) -> str:
    """All the text an error carries, for the classifiers.

    A string is itself; None is empty; an exception (an ``O2Error`` or any other) gives
    its ``message``, ``reason`` and ``raw_reason`` (when it has them), ``str(error)`` and
    the JSON of its ``receipts``, one per line.
    """
    if error is None:
        return ""
    if isinstance(error, str):
        return error
    parts = [str(getattr(error, attr, "") or "") for attr in ("message", "reason", "raw_reason")]
    with contextlib.suppress(Exception):  # a foreign __str__ that fails says nothing
        parts.append(str(error))
    parts.append(receipts_text(getattr(error, "receipts", None)))
    return "\n".join(parts)


def logged_variants(text: str) -> set[str]:
    """The variant names the backend decoded out of the LOG receipts (``Ok("Name")``,
    quotes escaped or not): the signal, read from its place, not a substring."""
    return {match.group(1) for match in _OK_RE.finditer(text)}


def is_onchain_already_used(error: Any) -> bool:
    """The contract itself rejected the parallel nonce as consumed (``AlreadyUsed`` logged).

    Most callers want :func:`o2_core.nonce.is_parallel_nonce_already_used`, which also
    covers the API's form of the same rejection.
    """
    return ONCHAIN_ALREADY_USED_VARIANT in logged_variants(error_text(error))


def is_onchain_nonce_error(error: Any) -> bool:
    """The contract rejected the parallel nonce, for any of ``ExtendedNonceError``'s reasons."""
    return not logged_variants(error_text(error)).isdisjoint(ONCHAIN_NONCE_ERROR_VARIANTS)


def is_selector_mismatch_revert(error: Any) -> bool:
    """The dispatcher's "no such method" revert (code 123): the account's proxy targets an
    implementation without the called entry point (e.g. pre-parallel-nonce).

    True when the text holds :data:`MISMATCHED_SELECTOR_REASON`, or a ``Revert`` receipt
    with code 123 is written in the text or present in structured ``receipts``. The only
    reliable capability signal (``sync_state`` is not one).
    """
    text = error_text(error)
    if MISMATCHED_SELECTOR_REASON in text:
        return True
    if MISMATCHED_SELECTOR_REVERT_CODE in revert_codes(text):
        return True
    receipts = None if isinstance(error, str) else getattr(error, "receipts", None)
    return MISMATCHED_SELECTOR_REVERT_CODE in revert_codes_from_receipts(receipts)


def is_no_upgrade_available(error: Any) -> bool:
    """The proxy refused an upgrade it has nothing to do for: the account is current."""
    return NO_UPGRADE_AVAILABLE_MESSAGE in error_text(error)


__all__ = [
    "ABI_ERROR_ENUMS",
    "MISMATCHED_SELECTOR_REASON",
    "MISMATCHED_SELECTOR_REVERT_CODE",
    "NO_UPGRADE_AVAILABLE_MESSAGE",
    "ONCHAIN_ALREADY_USED_VARIANT",
    "ONCHAIN_NONCE_ERROR_VARIANTS",
    "REVERT_SIGNALS",
    "augment_revert_reason",
    "decode_revert_reason",
    "error_text",
    "is_no_upgrade_available",
    "is_onchain_already_used",
    "is_onchain_nonce_error",
    "is_selector_mismatch_revert",
    "logged_variants",
    "looks_onchain",
    "receipts_text",
    "revert_codes",
    "revert_codes_from_receipts",
]
