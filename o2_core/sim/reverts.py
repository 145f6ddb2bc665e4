"""On-chain revert replies in the backend's shape (PROTOCOL.md §5.3).

A revert names an error enum variant of the contracts' ABIs: the ``LogData`` receipt
carries the enum's logId in ``rb`` and the variant index in the first 8 bytes of data,
and the ``LogResult`` list ends with the variant's name. Both come from
``o2_core.abi_errors`` (generated from the ABIs), never from hand-typed numbers.

Two reverts carry no enum: a failed ``require`` with a logged message (the proxy's
``"No upgrade available"``, :func:`no_upgrade_available`), and the Sway dispatcher's
selector mismatch, ``Revert(123)`` (:func:`selector_mismatch`: the account's proxy targets
an implementation without the called entry point, PROTOCOL_V05 §3.4).
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..abi_errors import ERROR_ENUMS

FAILED_REQUIRE = 0xFFFF_FFFF_FFFF_0000
REVERT_WITH_LOG = 0xFFFF_FFFF_FFFF_0006
#: The Sway dispatcher's revert when no method has the called selector.
MISMATCHED_SELECTOR = 123
#: The proxy's ``require(new_impl != current, "No upgrade available")`` message.
NO_UPGRADE_AVAILABLE = "No upgrade available"

#: ``"OrderCreationError"`` -> (logId, variant names).
ENUMS_BY_NAME: dict[str, tuple[int, tuple[str, ...]]] = {
    qualified.rsplit("::", 1)[-1]: (log_id, variants)
    for log_id, (qualified, variants) in ERROR_ENUMS.items()
}


class Revert(Exception):
    """Raised by the engine when a call reverts; ``enum``/``variant`` name the error.

    With ``enum`` None the revert is a plain failed ``require`` without a logged error;
    ``code`` then overrides its revert code (``ra``). Once the engine knows where the
    transaction failed it sets ``contract_id`` (the reverting contract) and ``logs`` (the
    events logged before the failure), which the reply shows (see :func:`revert_body`).
    """

    def __init__(
        self, enum: str | None, variant: str | None, detail: str = "", code: int | None = None
    ) -> None:
        if enum is not None:
            _, variants = ENUMS_BY_NAME[enum]
            if variant not in variants:
                raise ValueError(f"{enum} has no variant {variant!r}")
        self.enum = enum
        self.variant = variant
        self.detail = detail
        self.code = code
        self.contract_id = ""
        self.logs: tuple[str, ...] = ()
        super().__init__(f"{enum}::{variant}" if enum else detail)

    def located(self, contract_id: str, logs: list[str] | tuple[str, ...] = ()) -> Revert:
        """Record the reverting contract and the logs before the failure; returns self."""
        self.contract_id = contract_id
        self.logs = tuple(logs)
        return self


def selector_mismatch() -> Revert:
    """The dispatcher's ``Revert(123)``: the proxy's implementation has no such method."""
    return Revert(None, None, "MismatchedSelector", code=MISMATCHED_SELECTOR)


def no_upgrade_available() -> Revert:
    """The proxy's failed ``require``: the account already runs the current implementation.

    Locate it with the message among its logs, so that the reply's ``LogResult`` shows
    ``Ok("No upgrade available")`` as the backend decodes a logged string.
    """
    return Revert(None, None, NO_UPGRADE_AVAILABLE)


def revert_body(
    revert: Revert,
    contract_id: str,
    ok_results: list[str],
    as_code_1000: bool = False,
) -> dict[str, Any]:
    """The JSON reply of a reverted transaction, in the backend's shape (message, reason with
    the log results and receipts, and the receipts).

    Args:
        revert: the revert.
        contract_id: the reverting contract.
        ok_results: the names of the events logged before the failure.
        as_code_1000: wrap it as ``{"code": 1000, ...}``.

    Returns:
        The reply's JSON object.
    """
    contract = contract_id
    receipts: list[dict[str, Any]] = [
        {
            "Call": {
                "id": "0x" + "00" * 32,
                "to": contract,
                "amount": "0",
                "asset_id": "0x" + "00" * 32,
                "gas": "18446744073709551615",
                "param1": "10480",
                "param2": "10505",
                "pc": "11640",
                "is": "11640",
            }
        }
    ]
    texts = [
        f"Call {{ id: 0x{'00' * 32}, to: {contract}, amount: 0, asset_id: 0x{'00' * 32}, "
        "gas: 18446744073709551615, param1: 10480, param2: 10505, pc: 11640, is: 11640 }"
    ]
    results = [f'Ok("{name}")' for name in ok_results]
    if revert.enum is not None and revert.variant is not None:
        log_id, variants = ENUMS_BY_NAME[revert.enum]
        data = variants.index(revert.variant).to_bytes(8, "big")
        digest = "0x" + hashlib.sha256(data).hexdigest()
        receipts.append(
            {
                "LogData": {
                    "id": contract,
                    "ra": "0",
                    "rb": str(log_id),
                    "ptr": "67107840",
                    "len": "8",
                    "digest": digest,
                    "pc": "11928",
                    "is": "11472",
                    "data": data.hex(),
                }
            }
        )
        texts.append(
            f"LogData {{ id: {contract}, ra: 0, rb: {log_id}, ptr: 67107840, len: 8, "
            f"digest: {digest}, pc: 11928, is: 11472, data: Some(Bytes({data.hex()})) }}"
        )
        results.append(f'Ok("{revert.variant}")')
        code = REVERT_WITH_LOG
    else:
        code = FAILED_REQUIRE if revert.code is None else revert.code
    receipts.append({"Revert": {"id": contract, "ra": str(code), "pc": "12016", "is": "11472"}})
    texts.append(f"Revert {{ id: {contract}, ra: {code}, pc: 12016, is: 11472 }}")
    what = f"{revert.enum}::{revert.variant}" if revert.enum else revert.detail or "require failed"
    reason = (
        f"Reverted transaction: {what}. LogResult {{ results: [{', '.join(results)}] }}, "
        f"receipts: [{', '.join(texts)}]"
    )
    message = f"Transaction reverted: Revert({code})"
    if as_code_1000:
        return {
            "code": 1000,
            "message": f"{message}: {reason}",
            "reason": reason,
            "receipts": receipts,
        }
    return {"message": message, "reason": reason, "receipts": receipts}
