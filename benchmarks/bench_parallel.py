"""One account, 16 concurrent tasks, replies 20 ms late: the sequential nonce against the
parallel one, and ours against the official o2-sdk 0.5.0 on the parallel track.

An ``o2-sim`` server runs in its own process with every reply held back 20 ms (a scripted
``delay`` fault: a stand-in for the network and block time). Each client opens one
session on one account and places the same resting orders (settle + create, as
``create_order`` does by default) from 16 tasks at once:

- on the sequential track, one nonce per account: submissions go out in nonce order, one
  reply after another (about 1 / 20 ms = 50 orders/s at best);
- on the parallel track, each submission takes its own slot of the lane's window: the 16
  tasks do not wait for each other.

Targets: our parallel track at least 10x our sequential one, and at least the official
SDK's parallel track (``pip install o2-sdk==0.5.0``, the ``bench`` extra).

    python benchmarks/bench_parallel.py [--orders 480] [--tasks 16] [--latency-ms 20] [--repeat 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from o2_core import NetworkConfig, O2Client, OrderSide
from o2_transport_aiohttp import AiohttpTransport
from o2_transport_httpx import HttpxTransport

PAIR = "fFUEL/fUSDC"
QUANTITY = 2  # fFUEL: 0.02 .. 0.04 fUSDC a order, above the 0.01 fUSDC minimum

#: The child process: o2-sim with every reply delayed, serving until its stdin closes.
SERVER = """
import sys
from o2_sim_server import SimServer
latency = float(sys.argv[1])
with SimServer(port=0, seed=17) as server:
    server.exchange.faults.delay("/v1/", latency, count=10**12)
    print("REST:", server.api_base, flush=True)
    print("WS:", server.ws_url, flush=True)
    sys.stdin.read()
"""


@dataclass
class Server:
    """Addresses of the ``o2-sim`` child process."""

    api_base: str
    ws_url: str


@contextlib.contextmanager
def sim_process(latency: float) -> Iterator[Server]:
    """Start the delayed ``o2-sim`` in a child process and read its URLs."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(latency)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        urls: dict[str, str] = {}
        while len(urls) < 2:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError("o2-sim exited before printing its URLs")
            key, _, value = line.partition(":")
            urls[key] = value.strip()
        yield Server(urls["REST"], urls["WS"])
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)


def price_of(i: int) -> Decimal:
    """A resting buy price that never crosses: 0.010000 .. 0.019999."""
    return Decimal("0.01") + Decimal(i % 10_000) / Decimal(1_000_000)


@dataclass
class Result:
    """What one run measured."""

    latencies: list[float]
    elapsed: float

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed


async def run_tasks(place: Callable[[int], Awaitable[object]], orders: int, tasks: int) -> Result:
    """``orders`` placements spread over ``tasks`` concurrent tasks, each one timed."""
    latencies: list[float] = []

    async def worker(k: int) -> None:
        for i in range(k, orders, tasks):
            started = time.perf_counter()
            await place(i)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(tasks)))
    return Result(latencies, time.perf_counter() - started)


async def ours(server: Server, transport: Any, strategy: str, orders: int, tasks: int) -> Result:
    config = NetworkConfig(server.api_base, server.ws_url, faucet_url=server.api_base + "/faucet")
    async with O2Client(custom_config=config, transport=transport) as client:
        owner = client.generate_wallet()
        await client.setup_account(owner)
        await client.create_session(owner, [PAIR], nonce_strategy=strategy)
        await client.create_order(PAIR, OrderSide.BUY, price_of(0), QUANTITY)  # warm up

        async def place(i: int) -> object:
            return await client.create_order(PAIR, OrderSide.BUY, price_of(i + 1), QUANTITY)

        return await run_tasks(place, orders, tasks)


async def official(server: Server, orders: int, tasks: int) -> Result | None:
    try:
        from o2_sdk import Network as OfficialNetwork
        from o2_sdk import NetworkConfig as OfficialConfig
        from o2_sdk import O2Client as OfficialClient
        from o2_sdk import OrderSide as OfficialSide
    except ImportError:
        return None
    config = OfficialConfig(api_base=server.api_base, ws_url=server.ws_url, fuel_rpc="",
                            faucet_url=server.api_base + "/faucet", whitelist_required=False)
    client = OfficialClient(network=OfficialNetwork.DEVNET, custom_config=config)
    try:
        owner = client.generate_wallet()
        await client.setup_account(owner)
        await client.create_session(owner=owner, markets=[PAIR], nonce_strategy="parallel")
        await client.create_order(PAIR, OfficialSide.BUY, str(price_of(0)), QUANTITY)

        async def place(i: int) -> object:
            return await client.create_order(PAIR, OfficialSide.BUY, str(price_of(i + 1)),
                                             QUANTITY)

        return await run_tasks(place, orders, tasks)
    finally:
        await client.close()


def row(name: str, result: Result | None) -> str:
    if result is None:
        return f"{name:<40} {'not installed (pip install o2-sdk==0.5.0)':>40}"
    ms = sorted(x * 1000 for x in result.latencies)
    p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))]
    return (f"{name:<40} {len(ms):>7} {result.rate:>9.0f} {statistics.median(ms):>8.1f} "
            f"{p99:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=480)
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the best is shown")
    args = parser.parse_args()
    n, tasks = args.orders, args.tasks
    print(f"bench_parallel: {n} orders from {tasks} tasks on one account, replies "
          f"{args.latency_ms:g} ms late; Python {sys.version.split()[0]} on {platform.machine()}")
    print(f"command: {' '.join([sys.executable.rsplit('/', 1)[-1], *sys.argv])}")
    print(f"each client run {args.repeat} times, interleaved; the best run is shown\n")
    runs: dict[str, Callable[[Server], Result | None]] = {
        "ours, sequential nonce (aiohttp)":
            lambda sv: asyncio.run(ours(sv, AiohttpTransport(), "sequential", n, tasks)),
        "ours, parallel nonce (aiohttp)":
            lambda sv: asyncio.run(ours(sv, AiohttpTransport(), "parallel", n, tasks)),
        "ours, parallel nonce (httpx)":
            lambda sv: asyncio.run(ours(sv, HttpxTransport(), "parallel", n, tasks)),
        "official o2-sdk 0.5.0, parallel nonce": lambda sv: asyncio.run(official(sv, n, tasks)),
    }
    results: dict[str, Result | None] = {}
    with sim_process(args.latency_ms / 1000) as server:
        for _ in range(args.repeat):  # interleaved, so that load on the machine hits all alike
            for name, run in runs.items():
                result = run(server)
                best = results.get(name)
                if result is None or best is None or result.rate > best.rate:
                    results[name] = result
    print(f"{'client':<40} {'orders':>7} {'orders/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for name, result in results.items():
        print(row(name, result))
    sequential = results["ours, sequential nonce (aiohttp)"]
    parallel = results["ours, parallel nonce (aiohttp)"]
    assert sequential is not None and parallel is not None
    print(f"\nours, parallel vs sequential: {parallel.rate / sequential.rate:.1f}x orders/s "
          "(target >= 10x)")
    base = results["official o2-sdk 0.5.0, parallel nonce"]
    if base is not None:
        print(f"ours vs official, parallel: {parallel.rate / base.rate:.2f}x orders/s "
              "(target >= 1x)")


if __name__ == "__main__":
    main()
