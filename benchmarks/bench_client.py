"""Orders/s and latency placing orders through the loopback simulator, side by side.

Ours over httpx and over aiohttp, and the official ``o2-sdk`` (if installed: ``pip install
o2-sdk==0.5.0``, the ``bench`` extra), each placing the same sequence of resting orders
(settle + create, as ``create_order`` does by default) against one ``o2-sim`` server on
127.0.0.1, run in its own process (as a real exchange would be: no GIL shared with the
client). Also: ours with 16 concurrent tasks on one
session (the official SDK has no nonce guard for that, so it is not run concurrently).

    python benchmarks/bench_client.py [--orders 300]
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

import anyio

from o2_core import NetworkConfig, O2Client, OrderSide
from o2_transport_aiohttp import AiohttpTransport
from o2_transport_httpx import HttpxTransport

PAIR = "fFUEL/fUSDC"


@dataclass
class Server:
    """Addresses of an ``o2-sim`` process."""

    api_base: str
    ws_url: str
    faucet_url: str


@contextlib.contextmanager
def sim_process(seed: int = 11) -> Iterator[Server]:
    """Start ``o2-sim --port 0`` in a child process and read its URLs."""
    code = "from o2_sim_server import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--port", "0", "--seed", str(seed)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        urls: dict[str, str] = {}
        assert proc.stdout is not None
        while len(urls) < 3:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError("o2-sim exited before printing its URLs")
            key, _, value = line.partition(":")
            if key in ("REST", "WS", "Faucet"):
                urls[key] = value.strip()
        yield Server(urls["REST"], urls["WS"], urls["Faucet"])
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def price_of(i: int) -> Decimal:
    """A resting buy price that never crosses: 0.010000 .. 0.019999."""
    return Decimal("0.01") + Decimal(i % 10_000) / Decimal(1_000_000)


async def time_orders(place: Callable[[int], Awaitable[object]], n: int) -> list[float]:
    latencies = []
    for i in range(n):
        started = time.perf_counter()
        await place(i)
        latencies.append(time.perf_counter() - started)
    return latencies


async def ours(
    server: Server, transport: object, n: int, concurrency: int = 1
) -> tuple[list[float], float]:
    config = NetworkConfig(server.api_base, server.ws_url, faucet_url=server.faucet_url)
    async with O2Client(custom_config=config, transport=transport) as client:  # type: ignore[arg-type]
        owner = client.generate_wallet()
        await client.setup_account(owner)
        await client.create_session(owner, [PAIR])
        await client.create_order(PAIR, OrderSide.BUY, price_of(0), 200)  # warm up

        async def place(i: int) -> object:
            return await client.create_order(PAIR, OrderSide.BUY, price_of(i + 1), 200)

        started = time.perf_counter()
        if concurrency == 1:
            latencies = await time_orders(place, n)
        else:
            latencies = []

            async def worker(k: int) -> None:
                latencies.extend(await time_orders(lambda i: place(k * n + i), n // concurrency))

            await asyncio.gather(*(worker(k) for k in range(concurrency)))
        return latencies, time.perf_counter() - started


async def official(server: Server, n: int) -> tuple[list[float], float] | None:
    try:
        from o2_sdk import Network as OfficialNetwork
        from o2_sdk import NetworkConfig as OfficialConfig
        from o2_sdk import O2Client as OfficialClient
        from o2_sdk import OrderSide as OfficialSide
    except ImportError:
        return None
    config = OfficialConfig(
        api_base=server.api_base,
        ws_url=server.ws_url,
        fuel_rpc="",
        faucet_url=server.faucet_url,
        whitelist_required=False,
    )
    client = OfficialClient(network=OfficialNetwork.DEVNET, custom_config=config)
    try:
        owner = client.generate_wallet()
        await client.setup_account(owner)
        await client.create_session(owner=owner, markets=[PAIR])
        await client.create_order(PAIR, OfficialSide.BUY, str(price_of(0)), 200)

        async def place(i: int) -> object:
            return await client.create_order(PAIR, OfficialSide.BUY, str(price_of(i + 1)), 200)

        started = time.perf_counter()
        latencies = await time_orders(place, n)
        return latencies, time.perf_counter() - started
    finally:
        await client.close()


def row(name: str, result: tuple[list[float], float] | None, n: int) -> str:
    if result is None:
        return f"{name:<34} {'not installed (pip install o2-sdk==0.5.0)':>44}"
    latencies, elapsed = result
    ms = sorted(x * 1000 for x in latencies)
    pct = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]  # noqa: E731
    return (
        f"{name:<34} {len(latencies) / elapsed:>9.0f} {statistics.median(ms):>9.2f} "
        f"{pct(0.95):>9.2f} {pct(0.99):>9.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300)
    n = parser.parse_args().orders
    print(f"bench_client: {n} orders each; Python {sys.version.split()[0]} on {platform.machine()}")
    print(f"command: {' '.join([sys.executable.rsplit('/', 1)[-1], *sys.argv])}\n")
    with sim_process() as server:
        results = {
            "ours, httpx": asyncio.run(ours(server, HttpxTransport(), n)),
            "ours, aiohttp": asyncio.run(ours(server, AiohttpTransport(), n)),
            "ours, httpx on trio": anyio.run(ours, server, HttpxTransport(), n, backend="trio"),
            "official o2-sdk 0.5.0 (aiohttp)": asyncio.run(official(server, n)),
            "ours, httpx, 16 concurrent tasks": asyncio.run(ours(server, HttpxTransport(), n, 16)),
            "ours, aiohttp, 16 concurrent tasks": asyncio.run(
                ours(server, AiohttpTransport(), n, 16)
            ),
        }
    print(f"{'client':<34} {'orders/s':>9} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}")
    for name, result in results.items():
        print(row(name, result, n))
    base = results["official o2-sdk 0.5.0 (aiohttp)"]
    if base is not None:
        rate = lambda r: len(r[0]) / r[1]  # noqa: E731
        for name in ("ours, httpx", "ours, aiohttp"):
            print(f"{name} vs official: {rate(results[name]) / rate(base):.2f}x orders/s")


if __name__ == "__main__":
    main()
