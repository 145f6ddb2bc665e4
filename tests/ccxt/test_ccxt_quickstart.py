"""``examples/ccxt_quickstart.py`` runs against the embedded local exchange and shows what
it says it does."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ccxt_quickstart.py"


def test_the_ccxt_quickstart_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", [str(EXAMPLE)])
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "fFUEL/fUSDC: precision {'amount': 3, 'price': 4}, min cost 0.01",  # the default 0.01 fUSDC
        "maker sells 100.0 @ 0.05: open",
        "live book: best ask [0.05, 100.0]",
        "taker buys 40.0 @ 0.05: closed",
        "taker's fill: buy 40.0 @ 0.05 (taker)",
        "maker's order: 40.0 filled, 60.0 left",
        "maker cancels the rest: canceled",
        "taker holds 1000039.992 fFUEL",  # the faucet's 1,000,000 + 40 - the 2 bp taker fee
    ]
