"""Soak test of the simulator server: many clients, sustained order flow, the server's memory.

An ``o2-sim`` server runs in its own process on 127.0.0.1. ``--clients`` SDK clients
(``O2Client`` over httpx or aiohttp), each with its own account and session, place
orders for ``--seconds``: buys and sells around one price, so that most of them match
and the book stays small. Each client also reads a depth stream over its own WebSocket,
and ``--idle`` raw WebSocket clients subscribe to depth and trades and never read (the server must
drop them, close code 1008, instead of buffering for them). The server's resident memory
(RSS, from /proc) is sampled every second.

    python benchmarks/bench_soak.py [--seconds 30] [--clients 32] [--idle 4]
                                    [--transport httpx|aiohttp] [--history 2000]
                                    [--ws-backlog 1024]

The server remembers ``--history`` trades and closed orders per market (2,000 here, so
that the steady state is reached within a short run; o2-sim's default is 50,000): past
that, memory should stay flat. Every request goes to the loopback address only; the run
stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import websockets

from o2_core import NetworkConfig, O2Client, OrderSide

PAIR = "fFUEL/fUSDC"
PRICE = Decimal("0.05")
TICK = Decimal("0.0001")


@dataclass
class Server:
    """An ``o2-sim`` process, its addresses, and how many WebSockets it dropped (1008)."""

    pid: int
    api_base: str
    ws_url: str
    faucet_url: str
    evictions: list[str] = field(default_factory=list)


#: Runs o2-sim with its log on stderr, where the evictions of slow clients are counted.
SERVER_CODE = (
    "import logging, sys; "
    "logging.basicConfig(level=logging.INFO, stream=sys.stderr, format='%(message)s'); "
    "from o2_sim_server import main; main()"
)


@contextlib.contextmanager
def sim_process(*options: str, seed: int = 17) -> Iterator[Server]:
    """Start ``o2-sim --port 0 [options]`` in a child process and read its URLs."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER_CODE, "--port", "0", "--seed", str(seed), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        urls: dict[str, str] = {}
        assert proc.stdout is not None and proc.stderr is not None
        while len(urls) < 3:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError("o2-sim exited before printing its URLs")
            key, _, value = line.partition(":")
            if key in ("REST", "WS", "Faucet"):
                urls[key] = value.strip()
        server = Server(proc.pid, urls["REST"], urls["WS"], urls["Faucet"])
        stderr = proc.stderr

        def count_evictions() -> None:
            for line in stderr:
                if line.startswith("disconnecting WebSocket"):
                    server.evictions.append(line.strip())

        threading.Thread(target=count_evictions, daemon=True).start()
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc (Linux only)")


class Sampler(threading.Thread):
    """Samples a process's RSS every ``interval`` seconds until stopped."""

    def __init__(self, pid: int, interval: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        """Sample until :meth:`stop`."""
        started = time.monotonic()
        while not self._stop_event.is_set():
            self.samples.append((time.monotonic() - started, rss_mb(self.pid)))
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._stop_event.set()
        self.join()


@dataclass
class Totals:
    """What the load generator saw."""

    orders: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    depth_updates: int = 0
    idle_closed: Counter[str] = field(default_factory=Counter)


def make_transport(name: str) -> object:
    """A fresh transport of our SDK: ``httpx`` or ``aiohttp``."""
    if name == "aiohttp":
        from o2_transport_aiohttp import AiohttpTransport

        return AiohttpTransport()
    from o2_transport_httpx import HttpxTransport

    return HttpxTransport()


async def trader(
    server: Server, index: int, transport: str, go: Gate, stop: asyncio.Event, totals: Totals
) -> None:
    """One client: account, session, a depth stream, then orders until ``stop``."""
    config = NetworkConfig(server.api_base, server.ws_url, faucet_url=server.faucet_url)
    client = O2Client(custom_config=config, transport=make_transport(transport))  # type: ignore[arg-type]
    try:
        owner = client.generate_wallet()
        await client.setup_account(owner)
        await client.create_session(owner, [PAIR])

        async def read_depth() -> None:
            async for _ in client.stream_depth(PAIR, precision=1):
                totals.depth_updates += 1

        reader = asyncio.create_task(read_depth())
        await go.arrive_and_wait()
        i = 0
        while not stop.is_set():
            buy = (i + index) % 2 == 0
            offset = TICK * ((i * 7 + index) % 5)
            price = PRICE + offset if buy else PRICE - offset  # crossing: most orders fill
            side = OrderSide.BUY if buy else OrderSide.SELL
            try:
                await client.create_order(PAIR, side, price, 30)
                totals.orders += 1
            except Exception as err:  # counted, and the run goes on
                totals.errors[type(err).__name__] += 1
            i += 1
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader
    finally:
        await client.close()


class Gate:
    """Lets everyone through once ``parties`` have arrived (asyncio.Barrier is 3.11+)."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.arrived = 0
        self.open = asyncio.Event()

    async def arrive_and_wait(self) -> None:
        """Count this party in and wait until all have arrived."""
        self.arrived += 1
        if self.arrived >= self.parties:
            self.open.set()
        await self.open.wait()


async def idle_subscriber(server: Server, market_id: str, totals: Totals) -> None:
    """A raw WebSocket client that subscribes to depth and trades and never reads."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    host, port = server.api_base.removeprefix("http://").split(":")
    sock.connect((host, int(port)))
    try:
        async with websockets.connect(server.ws_url, sock=sock, max_queue=1) as ws:
            await ws.send(json.dumps({"action": "subscribe_depth", "market_id": market_id}))
            await ws.send(json.dumps({"action": "subscribe_trades", "market_id": market_id}))
            await ws.wait_closed()
            totals.idle_closed[f"closed {ws.close_code}"] += 1
    except asyncio.CancelledError:
        totals.idle_closed["still open"] += 1
        raise
    except Exception as err:
        totals.idle_closed[f"failed: {type(err).__name__}"] += 1


async def soak(server: Server, args: argparse.Namespace, totals: Totals) -> float:
    """Run the load; returns the seconds it lasted."""
    config = NetworkConfig(server.api_base, server.ws_url, faucet_url=server.faucet_url)
    async with O2Client(custom_config=config, transport=make_transport(args.transport)) as probe:  # type: ignore[arg-type]
        market_id = str((await probe.get_market(PAIR)).market_id)
    go, stop = Gate(args.clients + 1), asyncio.Event()
    tasks = [
        asyncio.create_task(trader(server, i, args.transport, go, stop, totals))
        for i in range(args.clients)
    ]
    idle = [
        asyncio.create_task(idle_subscriber(server, market_id, totals)) for _ in range(args.idle)
    ]
    await go.arrive_and_wait()  # every trader is set up
    started = time.monotonic()
    await asyncio.sleep(args.seconds)
    stop.set()
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - started
    for task in idle:
        task.cancel()
    await asyncio.gather(*idle, return_exceptions=True)
    return elapsed


def timeline(samples: list[tuple[float, float]]) -> str:
    """RSS at 0%, 10%, ..., 100% of the samples, in MiB."""
    if not samples:
        return "-"
    picks = [samples[min(len(samples) - 1, round(k * (len(samples) - 1) / 10))] for k in range(11)]
    return " ".join(f"{mb:.0f}" for _, mb in picks)


def main() -> None:
    """Run the soak and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--idle", type=int, default=4, help="WebSocket clients that never read")
    parser.add_argument("--transport", choices=["httpx", "aiohttp"], default="httpx")
    parser.add_argument(
        "--history",
        type=int,
        default=2000,
        help="o2-sim --history: trades and closed orders remembered per market",
    )
    parser.add_argument("--ws-backlog", type=int, default=1024, help="o2-sim --ws-backlog")
    args = parser.parse_args()
    print(
        f"bench_soak: {args.clients} clients ({args.transport}) + {args.idle} idle WebSockets, "
        f"{args.seconds:g} s; o2-sim --history {args.history} --ws-backlog {args.ws_backlog}; "
        f"Python {sys.version.split()[0]} on {platform.machine()}"
    )
    print(f"command: {' '.join([sys.executable.rsplit('/', 1)[-1], *sys.argv])}\n")
    totals = Totals()
    options = ("--history", str(args.history), "--ws-backlog", str(args.ws_backlog))
    with sim_process(*options) as server:
        time.sleep(0.5)
        rss_start = rss_mb(server.pid)
        sampler = Sampler(server.pid)
        sampler.start()
        elapsed = asyncio.run(soak(server, args, totals))
        sampler.stop()
        time.sleep(2.0)
        rss_idle = rss_mb(server.pid)
        evictions = list(server.evictions)
    samples = [mb for _, mb in sampler.samples] or [rss_start]
    half = samples[len(samples) // 2]
    rows = [
        ("orders placed", f"{totals.orders:,}"),
        ("throughput", f"{totals.orders / elapsed:,.0f} orders/s"),
        ("errors", f"{sum(totals.errors.values())} {dict(totals.errors) or ''}".strip()),
        ("depth updates read", f"{totals.depth_updates:,}"),
        ("idle WebSockets", ", ".join(f"{n} {c}" for c, n in totals.idle_closed.items()) or "-"),
        ("WebSockets dropped by o2-sim (1008)", f"{len(evictions)}"),
        ("server RSS at start", f"{rss_start:.1f} MiB"),
        ("server RSS every 10% of the run", timeline(sampler.samples) + " MiB"),
        ("server RSS peak", f"{max(samples):.1f} MiB"),
        (
            "server RSS, second half",
            f"{half:.1f} -> {samples[-1]:.1f} MiB ({samples[-1] - half:+.1f})",
        ),
        ("server RSS at end (idle 2 s)", f"{rss_idle:.1f} MiB"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'measurement':<{width}}  value")
    print(f"{'-' * width}  {'-' * 30}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
