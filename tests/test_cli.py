"""The ``o2`` command, in process against the embedded exchange (seeded by ``--demo``).

``o2_cli.run(argv, stdout, stderr)`` returns the exit status; every command is checked
by its exact human output or by its ``--json`` output parsed back. The subprocess runs
against an ``o2-sim`` server are in ``tests/test_cli_server.py``.
"""

from __future__ import annotations

import io
import json
import re
import time
from decimal import Decimal
from typing import Any

import pytest

from o2_cli import run
from o2_cli.main import FAILED
from o2_cli.render import exact, number_column, order_status, places, table, utc
from o2_core import Order

FUEL = "fFUEL/fUSDC"
ETH = "fETH/fUSDC"
#: The market ids of the embedded exchange (seed 0).
FUEL_ID = "0x5d94d75628968549eafb2f7308f7497ed492523e851e354ca6399c237690068e"
ETH_ID = "0x8d35da2b1da9a875f9a0210a749a3f38c48d1c93da46c7503fbb068e6c6a0ef7"
#: The demo traders' trading accounts (fixed keys, seed 0).
MAKER = "0x9cb5e28f8e325418e790b30267599031011e56d542dfe81b26edee9974925ae2"
TAKER = "0x00f68a194af02b9f2ba322425b2f3504802afa933cb2d17f25b1ce3d347fee89"


class Terminal(io.StringIO):
    """Captured output that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def o2(*argv: str, out: io.StringIO | None = None) -> tuple[int, str, str]:
    """Run ``o2 argv`` in process: (exit status, stdout, stderr)."""
    stdout, stderr = out if out is not None else io.StringIO(), io.StringIO()
    status = run(list(argv), stdout, stderr)
    return status, stdout.getvalue(), stderr.getvalue()


def o2_json(*argv: str) -> Any:
    status, out, err = o2(*argv, "--json")
    assert (status, err) == (0, ""), err
    return json.loads(out)


# --- markets ----------------------------------------------------------------------------


def test_markets_are_an_aligned_table() -> None:
    assert o2("markets") == (0, (
        "PAIR           TICK   MIN ORDER  MAKER FEE  TAKER FEE  MARKET ID\n"
        f"fFUEL/fUSDC  0.0001  0.01 fUSDC     0.0001     0.0002  {FUEL_ID}\n"
        f"fETH/fUSDC   0.01    0.01 fUSDC     0.0001     0.0002  {ETH_ID}\n"
    ), "")


def test_markets_as_json() -> None:
    fuel, eth = o2_json("markets")
    assert fuel["pair"] == FUEL and fuel["market_id"] == FUEL_ID
    assert fuel["base"]["symbol"] == "fFUEL" and fuel["base"]["decimals"] == 9
    assert fuel["quote"] == {**fuel["quote"], "symbol": "fUSDC", "decimals": 6,
                             "max_precision": 4}
    assert (fuel["tick"], fuel["min_order"], fuel["min_order_chain"]) == (
        "0.0001", "0.010000", 10_000)
    assert (eth["pair"], eth["tick"], eth["maker_fee"], eth["taker_fee"]) == (
        ETH, "0.01", "0.0001", "0.0002")


# --- depth ------------------------------------------------------------------------------

DEMO_FUEL_BOOK = """\
fFUEL/fUSDC  5 bids · 5 asks
       PRICE (fUSDC)  QUANTITY (fFUEL)
  ask         0.0525          5000.000
  ask         0.0520          4000.000
  ask         0.0515          3000.000
  ask         0.0510          2000.000
  ask         0.0505           500.000
  ---- spread 0.0010 · mid 0.0500 ----
  bid         0.0495           300.000
  bid         0.0490          2000.000
  bid         0.0485          3000.000
  bid         0.0480          4000.000
  bid         0.0475          5000.000
"""


def test_the_demo_book_as_a_ladder() -> None:
    # the maker's five asks and bids, after the taker lifted 500 and hit 700
    assert o2("--demo", "depth", FUEL) == (0, DEMO_FUEL_BOOK, "")


def test_depth_levels_and_a_coarser_tick() -> None:
    status, out, _ = o2("depth", ETH, "--levels", "2", "--demo")
    assert status == 0
    assert out.splitlines()[1:] == [
        "       PRICE (fUSDC)  QUANTITY (fETH)",
        "  ask        2505.00         0.400000",
        "  ask        2502.50         0.100000",
        "  ---- spread 5.00 · mid 2500.00 ----",
        "  bid        2497.50         0.060000",
        "  bid        2495.00         0.400000",
    ]


def test_depth_as_json() -> None:
    book = o2_json("--demo", "depth", FUEL, "--levels", "2")
    assert book["pair"] == FUEL and book["market_id"] == FUEL_ID and book["precision"] == 1
    assert book["bids"] == [
        {"price": "0.049500", "quantity": "300.000000000", "price_chain": 49_500,
         "quantity_chain": 300 * 10**9},
        {"price": "0.049000", "quantity": "2000.000000000", "price_chain": 49_000,
         "quantity_chain": 2000 * 10**9},
    ]
    assert [level["price_chain"] for level in book["asks"]] == [50_500, 51_000]
    assert Decimal(book["spread"]) == Decimal("0.001") and Decimal(book["mid"]) == Decimal("0.05")


def test_an_empty_book_says_how_to_get_a_demo_one() -> None:
    status, out, err = o2("depth", FUEL)
    assert (status, out) == (0, "fFUEL/fUSDC  0 bids · 0 asks\n  the book is empty\n")
    assert err == (
        "o2: the embedded exchange starts empty on every run; add --demo for a seeded "
        "book and live trading\n"
    )
    book = o2_json("depth", FUEL)  # no hint in JSON mode: stderr stays empty
    assert (book["bids"], book["asks"], book["spread"], book["mid"]) == ([], [], None, None)


FRAME_MOVE = re.compile(r"\x1b\[(\d+)F\x1b\[J")


def test_depth_watch_redraws_the_book_in_place_on_a_terminal() -> None:
    terminal = Terminal()
    started = time.monotonic()
    status, out, err = o2("--demo", "depth", FUEL, "--watch", "--count", "4", out=terminal)
    assert (status, err) == (0, "")
    assert time.monotonic() - started < 30
    assert out.startswith("\x1b[?25l") and out.endswith("\x1b[?25h")  # cursor hidden, shown
    frames = FRAME_MOVE.split(out[len("\x1b[?25l"):-len("\x1b[?25h")])
    # frames[0], then (lines to go up, frame) pairs: each move climbs the previous frame
    drawn = [frames[0], *frames[2::2]]
    moves = [int(n) for n in frames[1::2]]
    assert len(drawn) == 4
    assert moves == [frame.count("\n") for frame in drawn[:-1]]
    assert drawn[0] == DEMO_FUEL_BOOK.replace(
        "5 bids · 5 asks\n", "5 bids · 5 asks  (live · 0 updates)\n")
    titles = [frame.splitlines()[0].split("(")[1] for frame in drawn]
    assert titles == ["live · 0 updates)", "live · 1 update)", "live · 2 updates)",
                      "live · 3 updates)"]
    assert all("ask" in frame and "bid" in frame for frame in drawn)


def test_depth_watch_prints_frames_one_after_another_when_not_a_terminal() -> None:
    status, out, _ = o2("--demo", "depth", FUEL, "--watch", "--count", "2", "--levels", "1")
    assert status == 0 and "\x1b" not in out
    first, second = out.split("\n\n")
    assert first.splitlines()[0] == "fFUEL/fUSDC  5 bids · 5 asks  (live · 0 updates)"
    assert second.splitlines()[0].endswith("(live · 1 update)")


def test_depth_watch_as_json_lines_follows_the_demo_trading() -> None:
    status, out, err = o2("--demo", "depth", FUEL, "--watch", "--count", "5", "--json")
    assert (status, err) == (0, "")
    books = [json.loads(line) for line in out.splitlines()]
    assert [b["updates"] for b in books] == [0, 1, 2, 3, 4]
    assert books[0]["bids"][0]["price_chain"] == 49_500
    for book in books:  # a valid, uncrossed book after every update
        assert book["bids"][0]["price_chain"] < book["asks"][0]["price_chain"]
    assert len({json.dumps([b["bids"], b["asks"]]) for b in books}) == 5  # each one moved


def test_depth_watch_stops_after_its_seconds_on_a_quiet_book() -> None:
    started = time.monotonic()
    status, out, _ = o2("depth", ETH, "--watch", "--seconds", "0.5")
    elapsed = time.monotonic() - started
    assert status == 0 and 0.5 <= elapsed < 10
    assert out == "fETH/fUSDC  0 bids · 0 asks  (live · 0 updates)\n  the book is empty\n"


# --- trades, balances, orders, nonce ----------------------------------------------------


def test_trades_most_recent_first() -> None:
    status, out, _ = o2("--demo", "trades", FUEL)
    assert status == 0
    head, *rows = out.splitlines()
    assert head == ("TIME (UTC)               MAKER  PRICE (fUSDC)  QUANTITY (fFUEL)  "
                    "VALUE (fUSDC)")
    assert [row[23:] for row in rows] == [  # after the time: the taker hit, then lifted
        "  buy           0.0495           700.000          34.65",
        "  sell          0.0505           500.000          25.25",
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", row[:23]) for row in rows)


def test_trades_as_json() -> None:
    hit, lift = o2_json("--demo", "trades", ETH)
    assert (hit["maker_side"], hit["price"], hit["quantity"], hit["value"]) == (
        "buy", "2497.500000", "0.140000000", "349.650000")
    assert (lift["price_chain"], lift["quantity_chain"], lift["value_chain"]) == (
        2_502_500_000, 100_000_000, 250_250_000)
    assert hit["timestamp_ms"] >= lift["timestamp_ms"] > 1_600_000_000_000
    assert re.fullmatch(r"0x[0-9a-f]{64}", hit["trade_id"])


def test_no_trades_yet() -> None:
    status, out, err = o2("trades", FUEL)
    assert (status, out) == (0, "fFUEL/fUSDC: no trades yet\n") and "--demo" in err


def test_balances_of_the_demo_maker() -> None:
    assert o2("--demo", "balances", "maker") == (0, (
        f"trading account {MAKER}\n"
        "ASSET      AVAILABLE    LOCKED           TOTAL\n"
        "fFUEL  985699.93      14500.00  1000199.93\n"
        "fUSDC   92080.47245    7810.70    99891.17245\n"
        "fETH        7.139986      2.90       10.039986\n"
    ), "")


def test_balances_as_json_by_account_id() -> None:
    reply = o2_json("--demo", "balances", TAKER)
    assert reply["trade_account_id"] == TAKER
    fuel = {b["asset"]: b for b in reply["balances"]}["fFUEL"]
    # the faucet's 1,000,000 + 500 bought - 700 sold, less the 2 bp taker fee on the 500
    assert fuel == {"asset": "fFUEL", "available": "999799.900000000",
                    "available_chain": 999_799_900_000_000, "locked": "0E-9",
                    "locked_chain": 0, "total": "999799.900000000",
                    "total_chain": 999_799_900_000_000}


def test_orders_of_the_demo_maker() -> None:
    status, out, _ = o2("--demo", "orders", "maker", FUEL, "--open", "--count", "3")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"trading account {MAKER}"
    assert lines[1].split() == ["TIME", "(UTC)", "SIDE", "TYPE", "PRICE", "(fUSDC)",
                                "QUANTITY", "(fFUEL)", "FILLED", "STATUS", "ORDER", "ID"]
    assert [row.split()[2:8] for row in lines[2:]] == [
        ["buy", "PostOnly", "0.0475", "5000.000", "0.000", "open"],
        ["buy", "PostOnly", "0.0480", "4000.000", "0.000", "open"],
        ["buy", "PostOnly", "0.0485", "3000.000", "0.000", "open"],
    ]


def test_orders_as_json() -> None:
    reply = o2_json("--demo", "orders", "taker", ETH)
    assert (reply["trade_account_id"], reply["pair"]) == (TAKER, ETH)
    assert [(o["side"], o["type"], o["status"], o["price"], o["filled"]) for o in
            reply["orders"]] == [
        ("sell", "Spot", "filled", "2497.500000", "0.140000000"),
        ("buy", "Spot", "filled", "2502.500000", "0.100000000"),
    ]
    assert reply["orders"][0]["filled_chain"] == reply["orders"][0]["quantity_chain"]


def test_nonce_counts_the_demo_takers_submissions() -> None:
    # a session, then one order per trade on each of the two markets
    assert o2("--demo", "nonce", "taker") == (0, f"trading account {TAKER}: next nonce 5\n", "")
    assert o2_json("--demo", "nonce", MAKER) == {"trade_account_id": MAKER, "nonce": 5}


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["depth", "NOPE/X"], "no market 'NOPE/X'; known markets: fFUEL/fUSDC, fETH/fUSDC"),
        (["trades", "NOPE/X", "--json"], "no market 'NOPE/X'; known markets: fFUEL/fUSDC, "
         "fETH/fUSDC"),
        (["balances", "maker"], "ACCOUNT must be 0x and 64 hex digits (or, with --demo, maker "
         "or taker), got 'maker'"),
        (["nonce", "0x" + "ab" * 32], f"no trading account 0x{'ab' * 32} (as an account id or "
         "an owner address); the embedded exchange starts empty on every run; add --demo for a "
         "seeded book and live trading"),
        (["--demo", "orders", "0x" + "ab" * 32, FUEL], f"no trading account 0x{'ab' * 32} (as "
         "an account id or an owner address)"),
        (["--api", "http://127.0.0.1:9", "--demo", "markets"],
         "--demo seeds the embedded exchange only (--network local)"),
        (["--ws", "ws://127.0.0.1:9/v1/ws", "markets"], "--ws needs --api"),
        (["--api", "not a url", "markets"], "NetworkConfig.api_base must be an absolute URL, "
         "got 'not a url'"),
        (["depth", FUEL, "--count", "2"], "--count and --seconds go with --watch"),
        (["depth", FUEL, "--precision", "19"], "--precision must be 1..18, got 19"),
    ],
)
def test_a_failed_command_says_why_in_one_line(argv: list[str], message: str) -> None:
    assert o2(*argv) == (FAILED, "", f"o2: error: {message}\n")


def test_an_unreachable_deployment_is_one_line_too() -> None:
    status, out, err = o2("--api", "http://127.0.0.1:9", "--timeout", "1", "markets")
    assert (status, out) == (1, "")
    assert err.startswith("o2: error: GET http://127.0.0.1:9/v1/markets failed")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [[], ["depth"], ["frobnicate"], ["--network", "moon", "markets"],
     ["depth", FUEL, "--levels", "0"], ["trades", FUEL, "--count", "x"]],
)
def test_usage_errors_exit_2(argv: list[str]) -> None:
    status, out, err = o2(*argv)
    assert (status, out) == (2, "") and err.startswith("usage: o2")
    assert err.splitlines()[-1].startswith("o2") and ": error: " in err.splitlines()[-1]


def test_help_and_version_go_to_the_given_output() -> None:
    status, out, err = o2("--help")
    assert (status, err) == (0, "") and out.startswith("usage: o2")
    for command in ("markets", "depth", "trades", "balances", "orders", "nonce"):
        assert command in out
    status, out, _ = o2("depth", "--help")
    assert status == 0 and "--watch" in out and "--count" in out and "--json" in out


def test_options_go_before_or_after_the_command() -> None:
    before = o2("--json", "--demo", "nonce", "taker")
    after = o2("nonce", "taker", "--demo", "--json")
    assert before == after and json.loads(before[1])["nonce"] == 5


# --- the pure parts ---------------------------------------------------------------------


def test_numbers_are_exact_and_aligned_on_the_point() -> None:
    values = [Decimal("1.5"), Decimal("22"), Decimal("0.125000"), None]
    assert number_column(values, 1) == ["1.5  ", "22.0  ", "0.125", "-    "]
    assert [places(v) for v in values if v is not None] == [1, 0, 3]
    assert exact(Decimal("2500"), 2) == "2500.00" and exact(Decimal("0.00001"), 2) == "0.00001"
    assert table(["A", "NUM"], [["x", "long"], ["1", "22"]], right=[1]) == [
        "A     NUM", "x       1", "long   22"]


def test_order_status_and_time() -> None:
    def order(**fields: Any) -> Order:
        return Order.from_dict({"order_id": "0x" + "11" * 32, "quantity": "10", **fields})

    assert order_status(order()) == "open"
    assert order_status(order(quantity_fill="4")) == "partly filled"
    assert order_status(order(quantity_fill="10", close=True)) == "filled"
    assert order_status(order(quantity_fill="4", close=True)) == "closed"
    assert order_status(order(cancel=True, close=True)) == "cancelled"
    assert utc(1_700_000_000_123) == "2023-11-14 22:13:20.123"
