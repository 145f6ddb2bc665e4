"""On-chain revert decoding (PROTOCOL.md §5.3): which contract error a revert names.

A reverted transaction is reported as text (the backend's ``reason``, fuels-rs debug
output) and receipts. The error is read from the last known variant of a ``LogResult``
list, else from the ``LogData`` receipt before the last ``Revert`` (``rb`` is the error
enum's logId from the contracts' ABIs, the first 8 bytes of data the variant index),
else from the Sway error signal in the revert code.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from ._abi_errors import ERROR_ENUMS

#: Sway's std error signals: the ``ra`` of the Revert receipt says what kind of failure.
REVERT_SIGNALS: dict[int, str] = {
    0xFFFF_FFFF_FFFF_0000: "FAILED_REQUIRE",
    0xFFFF_FFFF_FFFF_0001: "FAILED_TRANSFER_TO_ADDRESS",
    0xFFFF_FFFF_FFFF_0003: "FAILED_ASSERT_EQ",
    0xFFFF_FFFF_FFFF_0004: "FAILED_ASSERT",
    0xFFFF_FFFF_FFFF_0005: "FAILED_ASSERT_NE",
    0xFFFF_FFFF_FFFF_0006: "REVERT_WITH_LOG",
}

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
}

_VARIANTS: dict[str, str] = {}
for _enum, _names in ERROR_ENUMS.values():
    for _name in _names:
        _VARIANTS.setdefault(_name, _enum.rsplit("::", 1)[-1] + "::" + _name)

_OK_RE = re.compile(r'Ok\(\\?"([A-Za-z0-9_]+)\\?"\)')
# Receipts come as fuels-rs debug text (``LogData { rb: 1, data: Some(Bytes(..)) }``) or
# as JSON (``{"LogData": {"rb": "1", "data": ".."}}``): the patterns accept both.
_LOGDATA_RE = re.compile(r'LogData"?\s*:?\s*\{(?P<body>[^{}]*)\}')
_RB_RE = re.compile(r'\brb"?\s*:\s*"?(\d+)')
_DATA_RE = re.compile(r'Bytes\(\s*(?:0x)?([0-9a-fA-F]*)\s*\)|"data"\s*:\s*"(?:0x)?([0-9a-fA-F]*)"')
_REVERT_RE = re.compile(r'Revert"?\s*:?\s*(?:\(\s*(\d+)\s*\)|\{[^{}]*?\bra"?\s*:\s*"?(\d+))')
_REVERT_WORDS = ("Revert", "revert", "Panic", "LogResult", "LogData")


def _describe(qualified: str) -> str:
    hint = _HINTS.get(qualified.rsplit("::", 1)[-1])
    return f"{qualified} ({hint})" if hint else qualified


def decode_revert_reason(text: str) -> str | None:
    """Name the contract error behind a revert, from the backend's reason/receipt text.

    Tries, in order: the last known variant of a ``LogResult`` ``Ok("...")`` list; the
    ``LogData`` receipt before the last ``Revert`` (``rb`` = logId, data = variant
    index); the Sway error signal of the revert code.

    Returns:
        ``"Enum::Variant (hint)"``, a signal name, or None when nothing applies.
    """
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
    for match in reverts:
        code = int(match.group(1) or match.group(2))
        if code in REVERT_SIGNALS:
            return f"{REVERT_SIGNALS[code]} (no error variant in the receipts)"
    return None


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


__all__ = ["REVERT_SIGNALS", "decode_revert_reason", "looks_onchain", "receipts_text"]
