"""The official o2-sdk 0.5.0 material, run against a loopback o2-sim by ``tools/compat.py``.

Here are the runs that pass today; ``python tools/compat.py --report`` runs everything
and prints the per-test tables, and ``tests/compat/TRIAGE.md`` explains every failure.
The ``*_NOT_YET`` tables below list what is left out of these tests and why (each entry
is a gap in o2_core unless it says otherwise); remove an entry once its fix lands.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]

# --- tests/test_integration.py -------------------------------------------------------

#: Every test of tests/test_integration.py, the four ``test_parallel_nonce_*`` included
#: (o2-sim has the parallel nonce windows, ``/v1/accounts/window`` and the upgrade).
INTEGRATION_TESTS = {
    "TestMarketData::test_get_markets",
    "TestMarketData::test_get_depth",
    "TestMarketData::test_get_trades",
    "TestMarketData::test_get_market_by_pair",
    "TestAccountFlow::test_account_creation_and_lookup",
    "TestAccountFlow::test_setup_account_idempotent",
    "TestSessionFlow::test_create_session",
    "test_min_quantity_for_min_order_rounds_after_margin_to_step",
    "TestTradingFlow::test_get_nonce",
    "TestTradingFlow::test_get_balances",
    "TestTradingFlow::test_order_placement",
    "TestTradingFlow::test_cross_account_fill",
    "TestWebSocket::test_depth_snapshot",
    "TestWebSocket::test_websocket_trades",
    "TestWebSocket::test_websocket_orders",
    "TestWebSocket::test_websocket_balances",
    "TestWebSocket::test_websocket_nonce",
    "TestWebSocket::test_websocket_concurrent_subscriptions",
    "TestWebSocket::test_websocket_mixed_with_fill",
    "test_sequential_withdraw_to_address_and_contract_id",
    "test_parallel_nonce_concurrent_submission",
    "test_parallel_nonce_out_of_window_recovers_without_duplicating",
    "test_parallel_nonce_already_used_is_surfaced_not_retried",
    "test_parallel_nonce_withdrawal_recovery",
}

#: Tests ours does not pass yet, each with the reason (none today).
INTEGRATION_NOT_YET: dict[str, str] = {}


def _outcomes(results: dict[str, dict[str, object]]) -> dict[str, str]:
    return {nodeid.split("::", 1)[1]: str(r["outcome"]) for nodeid, r in results.items()}


def _failures(results: dict[str, dict[str, object]]) -> dict[str, str]:
    return {nodeid: f"{r['outcome']}: {r['message']}" for nodeid, r in results.items()
            if r["outcome"] != "passed"}


def test_the_official_integration_tests_pass_on_o2_sim_with_the_official_sdk(
    compat: ModuleType, work: Path
) -> None:
    """The simulator is a faithful enough testnet for the official SDK's own suite."""
    results = compat.run_integration(work, compat.OFFICIAL)
    assert not _failures(results)
    assert set(_outcomes(results)) == INTEGRATION_TESTS


def test_the_official_integration_tests_pass_on_o2_sim_with_ours(
    compat: ModuleType, work: Path
) -> None:
    """The same file, its imports rewritten to o2_core, minus INTEGRATION_NOT_YET."""
    select = " and ".join(f"not {n.split('::')[-1]}" for n in INTEGRATION_NOT_YET) or None
    results = compat.run_integration(work, compat.OURS, select=select)
    assert not _failures(results)
    assert set(_outcomes(results)) == INTEGRATION_TESTS - set(INTEGRATION_NOT_YET)


# --- examples/ -----------------------------------------------------------------------

#: (sdk, run) pairs of ``compat.EXAMPLES`` that trade and stop cleanly today; the official
#: SDK's runs keep the simulator honest for ours.
EXAMPLE_RUNS = [
    ("official", "portfolio"),
    ("official", "taker_bot"),
    ("official", "fast_bridge"),
    ("ours", "quickstart (min_order 0.01 fUSDC)"),
    ("ours", "market_maker"),
    ("ours", "portfolio"),
    ("ours", "taker_bot"),
    ("ours", "fast_bridge"),
]
_MIN_ORDER = ("not an SDK gap: its final 0.01 x 1 order is below the simulator's 1 fUSDC "
              "min_order (the min_order 0.01 fUSDC variant runs)")
EXAMPLES_NOT_YET = {
    ("official", "quickstart"): _MIN_ORDER,
    ("ours", "quickstart"): _MIN_ORDER + "; the official SDK fails the same way",
    ("official", "quickstart (min_order 0.01 fUSDC)"): "passes (7 s: its own faucet "
                                                       "retries); left to the report for time",
    ("official", "market_maker"): "passes, but in 3 of ~40 runs did not exit within 10 s "
                                  "of SIGTERM; left to the report",
}


def test_every_example_run_is_tested_or_explained(compat: ModuleType) -> None:
    every = {(sdk, run) for sdk in compat.SDKS for run in compat.EXAMPLES}
    assert set(EXAMPLE_RUNS) | set(EXAMPLES_NOT_YET) == every
    assert not set(EXAMPLE_RUNS) & set(EXAMPLES_NOT_YET)


@pytest.mark.parametrize(("sdk", "run"), EXAMPLE_RUNS, ids=[f"{s}-{r}" for s, r in EXAMPLE_RUNS])
def test_the_official_examples_trade_on_o2_sim(
    compat: ModuleType, work: Path, sdk: str, run: str
) -> None:
    """Each example is driven until it has traded (orders, fills in the simulator)."""
    example, min_order = compat.EXAMPLES[run]
    result = compat.run_example(work, compat.SDKS[sdk], example, min_order=min_order)
    assert result.passed, f"{result.summary()}\n{result.output[-3000:]}"
    if example == "fast_bridge":  # reads the local Fast Bridge; it does not trade
        return
    assert sum(a["orders"] for a in result.activity.values()) >= 2
    if example != "quickstart":
        assert sum(a["maker_fills"] + a["taker_fills"] for a in result.activity.values()) >= 1


# --- docs/ ---------------------------------------------------------------------------

_NO_BEST = ("not an o2_core gap: the page reads update.changes.best_bid, which 0.5.0's "
            "DepthChanges does not have (the official SDK fails the same way)")
DOCS_NOT_YET = {
    "guides/websocket_streams.rst:29": _NO_BEST,
    "guides/websocket_streams.rst:104": _NO_BEST,
}


def test_the_docs_code_runs_on_o2_sim_with_ours(
    compat: ModuleType, work: Path, sdist_root: Path
) -> None:
    """Every runnable code block of the docs (43 of the 63 Python ones), minus DOCS_NOT_YET."""
    blocks = compat.classified_blocks(sdist_root)
    runnable = {b.id for b in blocks if b.kind in ("program", "snippet", "bounded", "definition")}
    assert len(runnable) == 43
    wanted = runnable - set(DOCS_NOT_YET)
    _, results = compat.run_docs(work, compat.OURS, only=wanted)
    assert "<context>" not in results, results.get("<context>")
    assert set(results) == wanted
    failed = {k: r["message"] for k, r in results.items() if r["outcome"] != "passed"}
    assert not failed


# --- recorded payloads -----------------------------------------------------------------

PAYLOADS = json.loads((REPO / "tests" / "data" / "compat" / "payloads.json").read_text())
#: Payloads whose decoded values differ from o2-sdk's on purpose, each with the reason.
PAYLOADS_NOT_YET = {
    24: "ours rejects a non-integer quantity while decoding, as a ProtocolError (o2-sdk: "
        "later, when DepthBook applies it); both refuse the frame before any mutation",
    51: "MarketTicker is the reply dict itself, with .data and .market_id as properties "
        "(o2-sdk: a dataclass holding the dict); the comparison walks fields, not properties",
}


def test_the_payload_data_is_what_the_sdist_gives(compat: ModuleType, work: Path) -> None:
    """tests/data/compat/payloads.json is regenerated exactly from the official tests."""
    assert compat.record_payloads(work) == PAYLOADS["payloads"]


@pytest.mark.parametrize(
    "index",
    [i for i in range(len(PAYLOADS["payloads"])) if i not in PAYLOADS_NOT_YET],
    ids=lambda i: f"{i:02d}-{PAYLOADS['payloads'][i]['model']}",
)
def test_a_recorded_payload_decodes_to_the_official_values(
    compat: ModuleType, index: int
) -> None:
    """Every field (and public property) of the official model has our value.

    Chain integers compare by value: ours are ``int`` where 0.5.0 keeps the wire text
    (see TRIAGE.md); ``from_dict`` is used where ours has it, else our decoder.
    """
    entry = PAYLOADS["payloads"][index]
    result = compat.compare_payload(entry)
    assert result["verdict"] in ("equal", "same values"), result["detail"]
