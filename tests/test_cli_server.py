"""``o2`` as a subprocess against an ``o2-sim`` server started here, seeded through the
SDK; and the ``o2-sim`` launcher itself (with and without aiohttp).

Every answer of the command is parsed back and compared with what the SDK reads from
the same server. The subprocesses import this checkout (``PYTHONPATH``), not another
installed copy.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest

from o2_cli.sim import MISSING_AIOHTTP
from o2_core import NetworkConfig, O2Client, OrderSide, OrderType, SessionInfo
from o2_sim_server import SimServer

REPO = Path(__file__).resolve().parents[1]
PAIR = "fFUEL/fUSDC"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}


@dataclass
class Seeded:
    """What the SDK put on the server, and where."""

    server: SimServer
    maker: SessionInfo
    owner: str  # the maker's owner address
    orders: list[str]  # the maker's order ids, oldest first

    def client(self) -> O2Client:
        """A new SDK client of the server."""
        return O2Client(custom_config=config(self.server))


def config(server: SimServer) -> NetworkConfig:
    return NetworkConfig(server.api_base, server.ws_url, faucet_url=server.faucet_url)


async def _seed(server: SimServer) -> Seeded:
    async with O2Client(custom_config=config(server)) as client:
        owner = client.generate_wallet()
        await client.setup_account(owner)
        maker = await client.create_session(owner=owner, markets=[PAIR])
        orders = []
        for side, price, quantity in [(OrderSide.SELL, "0.06", 100), (OrderSide.SELL, "0.07", 200),
                                      (OrderSide.BUY, "0.04", 300)]:
            placed = await client.create_order(PAIR, side, price, quantity,
                                               order_type=OrderType.POST_ONLY, session=maker)
            assert placed.orders
            orders.append(str(placed.orders[0].order_id))
        taker = client.generate_wallet()
        await client.setup_account(taker)
        session = await client.create_session(owner=taker, markets=[PAIR])
        await client.create_order(PAIR, OrderSide.BUY, "0.06", 40, session=session)
        return Seeded(server, maker, owner.b256_address, orders)


@pytest.fixture(scope="module")
def seeded() -> Iterator[Seeded]:
    """An o2-sim server with a book, a trade and two accounts."""
    with SimServer(port=0, seed=5) as server:
        yield anyio.run(_seed, server)


def o2(seeded: Seeded, *argv: str) -> subprocess.CompletedProcess[str]:
    """``o2 --api URL argv`` in a new process."""
    return subprocess.run(
        [sys.executable, "-m", "o2_cli", "--api", seeded.server.api_base, *argv],
        capture_output=True, text=True, timeout=60, env=ENV, cwd=REPO,
    )


def o2_json(seeded: Seeded, *argv: str) -> Any:
    done = o2(seeded, *argv, "--json")
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    return json.loads(done.stdout)


def sdk(seeded: Seeded, read: Any) -> Any:
    """What ``await read(client)`` gives with a new SDK client."""

    async def go() -> Any:
        async with seeded.client() as client:
            return await read(client)

    return anyio.run(go)


def test_markets(seeded: Seeded) -> None:
    markets = sdk(seeded, lambda c: c.get_markets())
    assert [(m["pair"], m["market_id"]) for m in o2_json(seeded, "markets")] == [
        (m.pair, str(m.market_id)) for m in markets]


def test_depth_equals_the_sdks_book(seeded: Seeded) -> None:
    book = o2_json(seeded, "depth", PAIR)
    depth = sdk(seeded, lambda c: c.get_depth(PAIR))
    assert [(lv["price_chain"], lv["quantity_chain"]) for lv in book["asks"]] == [
        (lv.price, lv.quantity) for lv in depth.asks] == [(60_000, 60 * 10**9),
                                                         (70_000, 200 * 10**9)]
    assert [(lv["price"], lv["quantity"]) for lv in book["bids"]] == [("0.040000",
                                                                       "300.000000000")]
    human = o2(seeded, "depth", PAIR)
    assert human.returncode == 0 and human.stderr == ""  # no empty-exchange hint here
    assert human.stdout.splitlines()[2:] == [
        "  ask         0.0700           200.000",
        "  ask         0.0600            60.000",
        "  ---- spread 0.0200 · mid 0.0500 ----",
        "  bid         0.0400           300.000",
    ]


def test_trades_and_an_explicit_websocket_url(seeded: Seeded) -> None:
    trades = o2_json(seeded, "--ws", seeded.server.ws_url, "trades", PAIR)
    known = sdk(seeded, lambda c: c.get_trades(PAIR))
    assert [t["trade_id"] for t in trades] == [t.trade_id for t in known]
    assert [(t["maker_side"], t["price"], t["quantity"]) for t in trades] == [
        ("sell", "0.060000", "40.000000000")]


def test_balances_by_the_owner_address(seeded: Seeded) -> None:
    reply = o2_json(seeded, "balances", seeded.owner)  # resolved to the trading account
    assert reply["trade_account_id"] == str(seeded.maker.trade_account_id)
    balances = sdk(seeded, lambda c: c.get_balances(str(seeded.maker.trade_account_id)))
    assert {b["asset"]: (b["available_chain"], b["locked_chain"]) for b in reply["balances"]} == {
        symbol: (b.available, b.locked) for symbol, b in balances.items()}
    assert {b["asset"]: b["locked"] for b in reply["balances"]}["fFUEL"] == "260.000000000"


def test_open_orders_and_nonce(seeded: Seeded) -> None:
    account = str(seeded.maker.trade_account_id)
    reply = o2_json(seeded, "orders", account, PAIR, "--open")
    assert [o["order_id"] for o in reply["orders"]] == seeded.orders[::-1]
    assert [o["status"] for o in reply["orders"]] == ["open", "open", "partly filled"]
    assert o2_json(seeded, "nonce", account)["nonce"] == sdk(
        seeded, lambda c: c.get_nonce(account)) == 4  # a session and three orders


class Reader:
    """Lines of a running process's stdout, each awaited at most ``timeout`` seconds."""

    def __init__(self, process: subprocess.Popen[str], timeout: float = 30) -> None:
        self.process = process
        self.timeout = timeout

    def line(self) -> str:
        got: list[str] = []
        thread = threading.Thread(target=lambda: got.append(self.process.stdout.readline()))  # type: ignore[union-attr]
        thread.start()
        thread.join(self.timeout)
        if not got:
            self.process.kill()
            raise AssertionError(f"no line within {self.timeout}s")
        return got[0]


def test_depth_watch_follows_orders_placed_meanwhile(seeded: Seeded) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "o2_cli", "--api", seeded.server.api_base, "depth", PAIR,
         "--watch", "--count", "3", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=REPO,
    )
    try:
        reader = Reader(process)
        first = json.loads(reader.line())  # the snapshot: the process is subscribed
        assert [lv["price_chain"] for lv in first["asks"]] == [60_000, 70_000]

        async def place() -> str:
            async with seeded.client() as client:
                placed = await client.create_order(PAIR, OrderSide.SELL, "0.065", 20,
                                                   order_type=OrderType.POST_ONLY,
                                                   session=seeded.maker)
                assert placed.orders
                return str(placed.orders[0].order_id)

        order_id = anyio.run(place)
        second = json.loads(reader.line())
        assert [lv["price_chain"] for lv in second["asks"]] == [60_000, 65_000, 70_000]

        async def cancel() -> None:
            async with seeded.client() as client:
                await client.cancel_order(order_id, market=PAIR, session=seeded.maker)

        anyio.run(cancel)
        third = json.loads(reader.line())
        assert [lv["price_chain"] for lv in third["asks"]] == [60_000, 70_000]
        assert [b["updates"] for b in (first, second, third)] == [0, 1, 2]
        assert process.wait(30) == 0
    finally:
        process.kill()
        process.communicate()


def test_an_unknown_market_is_a_one_line_error(seeded: Seeded) -> None:
    done = o2(seeded, "orders", str(seeded.maker.trade_account_id), "NOPE/X")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "o2: error: no market 'NOPE/X'; known markets: fFUEL/fUSDC, fETH/fUSDC\n"


def test_version() -> None:
    from o2_core import __version__

    done = subprocess.run([sys.executable, "-m", "o2_cli", "--version"], capture_output=True,
                          text=True, timeout=60, env=ENV, cwd=REPO)
    assert (done.returncode, done.stdout) == (0, f"o2 (o2-sansio) {__version__}\n")


# --- the o2-sim launcher ----------------------------------------------------------------


def test_o2_sim_without_aiohttp_names_the_extra_in_one_line() -> None:
    code = ("import sys; sys.modules['aiohttp'] = None\n"  # as if aiohttp were not installed
            "from o2_cli.sim import main; main(['--port', '0'])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=ENV, cwd=REPO)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", MISSING_AIOHTTP + "\n")
    assert "pip install 'o2-sansio[aiohttp]'" in MISSING_AIOHTTP


def test_o2_sim_serves_until_interrupted() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "o2_cli.sim", "--port", "0", "--seed", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=REPO,
    )
    try:
        reader = Reader(process)
        assert reader.line() == "O2 local exchange (seed 3)\n"
        api = reader.line().removeprefix("REST: ").strip()
        markets = subprocess.run(
            [sys.executable, "-m", "o2_cli", "--api", api, "markets", "--json"],
            capture_output=True, text=True, timeout=60, env=ENV, cwd=REPO,
        )
        assert [m["pair"] for m in json.loads(markets.stdout)] == ["fFUEL/fUSDC", "fETH/fUSDC"]
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
        assert "stopping" in process.communicate()[1]
    finally:
        process.kill()
