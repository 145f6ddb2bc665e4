"""The examples beside ``examples/quickstart.py``, each run as a reader would run it
(``python examples/NAME.py``) against the embedded exchange, bounded in time, and
checked by what it prints. The subprocesses import this checkout (``PYTHONPATH``).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
       "PYTHONUNBUFFERED": "1"}
ENV.pop("O2_PRIVATE_KEY", None)  # the embedded exchange: the examples make their own wallets


def example(name: str, *argv: str, timeout: float = 90) -> list[str]:
    """The lines ``examples/name.py argv`` prints (it must exit 0 within ``timeout``)."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *argv], capture_output=True, text=True,
        timeout=timeout, env=ENV, cwd=REPO,
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    return done.stdout.splitlines()


# --- the market maker -------------------------------------------------------------------

FILL = re.compile(r"fill (\d): (sold|bought) 30 @ (0\.0\d+)")


def test_the_market_maker_trades_requotes_and_cleans_up() -> None:
    lines = example("market_maker.py", "--fills", "3", "--seconds", "60")
    assert lines[:2] == ["market maker on fFUEL/fUSDC around 0.05",
                         "quotes: bid 100 @ 0.0495, ask 100 @ 0.0505"]
    assert lines[-1] == "done: 3 fills; open orders left: 0"
    mid, tick = Decimal("0.05"), Decimal("0.0001")
    body = lines[2:-1]  # fill 1, quotes, fill 2, quotes, fill 3
    assert len(body) == 5
    for n, line in enumerate(body[::2], start=1):
        fill = FILL.fullmatch(line)
        assert fill is not None and int(fill.group(1)) == n, line
        side, price = fill.group(2), Decimal(fill.group(3))
        assert price == (mid + 5 * tick if side == "sold" else mid - 5 * tick)  # a quote
        mid += tick if side == "sold" else -tick  # toward the side that traded
        if n < 3:
            bid, ask = mid - 5 * tick, mid + 5 * tick
            assert body[2 * n - 1] == f"quotes: bid 100 @ {bid}, ask 100 @ {ask}"


def _reader(stream: object, lines: list[str], seen: threading.Event, marker: str) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.append(line.rstrip("\n"))
        if marker in line:
            seen.set()


def test_the_market_maker_cancels_its_quotes_on_ctrl_c() -> None:
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "market_maker.py"), "--fills", "1000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=REPO,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal
    )
    lines: list[str] = []
    seen = threading.Event()
    reader = threading.Thread(target=_reader, args=(process.stdout, lines, seen, "fill 2:"))
    reader.start()
    try:
        assert seen.wait(60), lines
        process.send_signal(signal.SIGINT)
        process.wait(60)
        reader.join(10)
        err = process.stderr.read()  # type: ignore[union-attr]
    finally:
        process.kill()
    # interrupted (a KeyboardInterrupt; on Python 3.10 anyio reports the cancelled task)
    assert process.returncode != 0 and ("KeyboardInterrupt" in err or "CancelledError" in err)
    assert lines[-1].startswith("done: ") and lines[-1].endswith("; open orders left: 0")


# --- the taker bot, on asyncio and on trio ----------------------------------------------


@pytest.mark.parametrize("name", ["taker_bot.py", "taker_bot_trio.py"])
def test_the_taker_bot_buys_only_at_or_below_its_limit(name: str) -> None:
    lines = example(name, "--seconds", "60")
    assert lines[0] == "taker bot on fFUEL/fUSDC: buy 300 at or below 0.05"
    buys = lines[1:-1]
    # the seller offers 0.056, 0.054, 0.052, 0.05, 0.048, 0.046: the bot takes the last three
    assert sorted(line.split(" (")[0] for line in buys) == [
        "bought 100 @ 0.046", "bought 100 @ 0.048", "bought 100 @ 0.05"]
    assert [line.split(" (")[1] for line in buys] == ["200 to go)", "100 to go)", "0 to go)"]
    assert lines[-1] == "done: bought 300 fFUEL for 14.4 fUSDC"


def test_the_trio_bot_is_the_same_bot() -> None:
    asyncio_bot = (EXAMPLES / "taker_bot.py").read_text()
    trio_bot = (EXAMPLES / "taker_bot_trio.py").read_text()

    def body(source: str, name: str) -> str:
        return source[source.index(f"async def {name}("):].split("\n\n\n")[0]

    assert body(asyncio_bot, "buy_below") == body(trio_bot, "buy_below")


def test_the_taker_bot_gives_up_at_its_deadline() -> None:
    lines = example("taker_bot.py", "--limit", "0.01", "--seconds", "2")
    assert lines == ["taker bot on fFUEL/fUSDC: buy 300 at or below 0.01"]  # nothing that cheap


# --- the portfolio monitor --------------------------------------------------------------


def test_the_portfolio_monitor_follows_balances_and_orders() -> None:
    lines = example("portfolio_monitor.py", "--updates", "6", "--seconds", "60")
    assert re.fullmatch(r"watching 0x[0-9a-f]{64}", lines[0])
    assert lines[1:4] == ["balance fFUEL: available 1000000, locked 0",  # from the faucet
                          "balance fUSDC: available 100000, locked 0",
                          "balance fETH: available 10, locked 0"]
    changes = lines[4:]
    orders = [re.sub(r"order 0x[0-9a-f]{8}…", "order", line) for line in changes
              if line.startswith("order ")]
    assert orders == [
        "order: sell 100 @ 0.05 fFUEL/fUSDC, open (0/100 filled)",
        "order: sell 100 @ 0.05 fFUEL/fUSDC, partly filled (40/100 filled)",
        "order: sell 100 @ 0.05 fFUEL/fUSDC, cancelled (40/100 filled)",
    ]
    balances = [line for line in changes if line.startswith("balance ")]
    assert balances == [
        "balance fFUEL: available 999900, locked 100",  # the sell order locks 100
        "balance fFUEL: available 999900, locked 60",  # 40 sold
        "balance fUSDC: available 100001.9998, locked 0",  # 40 x 0.05, less the 1 bp maker fee
        "balance fFUEL: available 999960, locked 0",  # the rest cancelled, unlocked
    ]
    assert len(changes) == 7


def test_the_portfolio_monitor_needs_an_account_away_from_the_embedded_exchange() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "portfolio_monitor.py"), "--network", "testnet"],
        capture_output=True, text=True, timeout=60, env=ENV, cwd=REPO,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith("error: give the trading account to watch")
