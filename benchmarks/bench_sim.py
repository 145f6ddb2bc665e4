"""Throughput of the local exchange: in-process engine, and the loopback HTTP server.

Signed ``create_order`` batches are built beforehand (signing is not timed), alternating
buys and sells at crossing prices so that about half of them match. Each measurement
runs for a few seconds at most. The last one submits one account's batches concurrently
on the parallel nonce track (distinct window slots, in any order): what the sequential
nonce cannot do.

    python benchmarks/bench_sim.py [--orders N]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass

import httpx
import msgspec

from o2_core import actions as act
from o2_core import crypto, http
from o2_core import models as m
from o2_core.parallel_nonce import ParallelNonce
from o2_core.sim import Exchange, default_config
from o2_sim_server import SimServer

PAIR = "fFUEL/fUSDC"
FUEL = 10**9


@dataclass
class Account:
    owner: crypto.Wallet
    trade_account_id: str
    session: m.SessionInfo
    nonce: int


def _send(
    exchange: Exchange | None, client: httpx.Client | None, base: str, req: http.Request
) -> bytes:
    if exchange is not None:
        reply = exchange.handle(req)
        assert reply.status == 200, reply.body
        return reply.body
    assert client is not None
    r = client.request(req.method, req.url, headers=dict(req.headers), content=req.body)
    assert r.status_code == 200, r.text
    return r.content


def setup(
    exchange: Exchange | None, client: httpx.Client | None, base: str, n: int
) -> tuple[list[Account], act.MarketContext]:
    """``n`` funded accounts with a session on PAIR."""
    markets = m.decode(_send(exchange, client, base, http.get_markets(base)), m.MarketsResponse)
    market = next(mk for mk in markets.markets if mk.pair == PAIR)
    ctx = act.MarketContext.of(market, str(markets.accounts_registry_id))
    accounts = []
    for _ in range(n):
        owner = crypto.generate_wallet()
        created = msgspec.json.decode(
            _send(exchange, client, base, http.create_account(base, owner.b256_address))
        )
        tid = created["trade_account_id"]
        _send(exchange, client, base, http.faucet_mint(base + "/faucet", contract=tid))
        wallet = crypto.generate_wallet()
        expiry = int(time.time()) + 3600
        body = act.session_body(
            owner,
            tid,
            wallet.b256_address,
            [str(market.contract_id)],
            0,
            markets.chain_id_int,
            expiry,
        )
        _send(exchange, client, base, http.put_session(base, owner.b256_address, body))
        session = m.SessionInfo(
            m.AddressIdentity(wallet.b256_address),
            tid,
            [str(market.contract_id)],
            expiry,
            wallet,
            owner.b256_address,
        )
        accounts.append(Account(owner, tid, session, 1))
    return accounts, ctx


def build_orders(
    accounts: list[Account], ctx: act.MarketContext, base: str, n: int
) -> list[list[http.Request]]:
    """Per account, ``n`` signed single-order batches in nonce order."""
    per_account: list[list[http.Request]] = [[] for _ in accounts]
    for i in range(n):
        index = i % len(accounts)
        account = accounts[index]
        buy = i % 2 == 0
        price = 50_000 + (100 if buy else -100) * ((i // 2) % 3)
        action = act.create_order(ctx, "Buy" if buy else "Sell", price, 40 * FUEL, m.OrderType.SPOT)
        body = act.actions_body(
            [act.PreparedGroup(ctx.market_id, (action,))], account.nonce, account.session, True
        )
        account.nonce += 1
        per_account[index].append(http.post_actions(base, account.owner.b256_address, body))
    return per_account


#: Slots of the first four window words: all usable before the window slides.
PARALLEL_SLOTS = 4 * 128


def build_parallel_orders(
    account: Account, ctx: act.MarketContext, base: str, n: int
) -> list[http.Request]:
    """``n`` (at most :data:`PARALLEL_SLOTS`) signed single-order batches of one account,
    each at its own parallel nonce (lane 0, slot ``i``)."""
    expiry = int(time.time()) + 600
    requests = []
    for i in range(min(n, PARALLEL_SLOTS)):
        buy = i % 2 == 0
        price = 50_000 + (100 if buy else -100) * ((i // 2) % 3)
        action = act.create_order(ctx, "Buy" if buy else "Sell", price, 40 * FUEL, m.OrderType.SPOT)
        nonce = ParallelNonce(0, expiry, i // 128, i % 128)
        body = act.parallel_actions_body(
            [act.PreparedGroup(ctx.market_id, (action,))], nonce, account.session, True
        )
        requests.append(http.post_actions(base, account.owner.b256_address, body))
    return requests


def bench_server_parallel_nonces(server: SimServer, n: int, workers: int) -> tuple[float, int]:
    with httpx.Client(timeout=10) as client:
        [account], ctx = setup(None, client, server.api_base, 1)
    requests = build_parallel_orders(account, ctx, server.api_base, n)

    async def worker(client: httpx.AsyncClient, batch: list[http.Request]) -> None:
        for req in batch:
            r = await client.post(req.url, headers=dict(req.headers), content=req.body)
            assert r.status_code == 200, r.text

    async def run() -> float:
        async with httpx.AsyncClient(timeout=10) as client:
            start = time.perf_counter()
            shares = [requests[k::workers] for k in range(workers)]
            await asyncio.gather(*(worker(client, share) for share in shares))
            return len(requests) / (time.perf_counter() - start)

    return asyncio.run(run()), len(requests)


def bench_engine(n: int) -> tuple[float, int]:
    base = "http://o2.local"
    exchange = Exchange(default_config(0), clock=time.time)
    accounts, ctx = setup(exchange, None, base, 4)
    per_account = build_orders(accounts, ctx, base, n)
    requests = [req for batch in zip(*per_account, strict=False) for req in batch]
    start = time.perf_counter()
    for req in requests:
        reply = exchange.handle(req)
        assert reply.status == 200, reply.body
    elapsed = time.perf_counter() - start
    exchange.check_invariants()
    return len(requests) / elapsed, len(exchange.market(PAIR).trades)


def bench_server_sequential(server: SimServer, n: int) -> float:
    with httpx.Client(timeout=10) as client:
        accounts, ctx = setup(None, client, server.api_base, 1)
        [requests] = build_orders(accounts, ctx, server.api_base, n)
        start = time.perf_counter()
        for req in requests:
            r = client.post(req.url, headers=dict(req.headers), content=req.body)
            assert r.status_code == 200, r.text
        return n / (time.perf_counter() - start)


def bench_server_concurrent(server: SimServer, n: int, workers: int) -> float:
    with httpx.Client(timeout=10) as client:
        accounts, ctx = setup(None, client, server.api_base, workers)
    per_account = build_orders(accounts, ctx, server.api_base, n)

    async def worker(client: httpx.AsyncClient, requests: list[http.Request]) -> None:
        for req in requests:  # one account's nonces must arrive in order
            r = await client.post(req.url, headers=dict(req.headers), content=req.body)
            assert r.status_code == 200, r.text

    async def run() -> float:
        async with httpx.AsyncClient(timeout=10) as client:
            start = time.perf_counter()
            await asyncio.gather(*(worker(client, reqs) for reqs in per_account))
            return n / (time.perf_counter() - start)

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000, help="orders for the engine run")
    parser.add_argument("--server-orders", type=int, default=1000)
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []
    rate, trades = bench_engine(args.orders)
    rows.append(
        (
            "engine, in process (verify + match)",
            f"{rate:,.0f}",
            f"{args.orders} orders, {trades} trades",
        )
    )
    with SimServer(port=0) as server:
        rate = bench_server_sequential(server, args.server_orders)
        rows.append(
            (
                "loopback server, httpx sequential",
                f"{rate:,.0f}",
                f"{args.server_orders} orders, 1 client",
            )
        )
        rate = bench_server_concurrent(server, args.server_orders, 4)
        rows.append(
            (
                "loopback server, httpx 4 concurrent",
                f"{rate:,.0f}",
                f"{args.server_orders} orders, 4 accounts",
            )
        )
        rate, count = bench_server_parallel_nonces(server, args.server_orders, 4)
        rows.append(
            (
                "loopback server, parallel nonces",
                f"{rate:,.0f}",
                f"{count} orders, 1 account, 4 concurrent",
            )
        )
    width = max(len(r[0]) for r in rows)
    print(f"{'measurement':<{width}}  {'orders/s':>10}  notes")
    print(f"{'-' * width}  {'-' * 10}  {'-' * 30}")
    for name, rate_text, notes in rows:
        print(f"{name:<{width}}  {rate_text:>10}  {notes}")


if __name__ == "__main__":
    main()
