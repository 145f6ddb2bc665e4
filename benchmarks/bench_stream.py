"""WebSocket decode + routing and order-book throughput, side by side with the official o2-sdk.

Run: ``.venv/bin/python benchmarks/bench_stream.py`` (the official SDK comes from
``pip install o2-sdk==0.5.0``; without it only our figures are printed).

What is measured, in one process:
- decode + route: a realistic frame mix (60% depth updates of 50 levels, 25% order
  updates of 1-3 orders, 15% trade frames of 1-5 trades) over 10 markets, through
  ``FrameDecoder.decode`` + ``Router.dispatch`` (10 subscriptions) versus the official
  path: ``json.loads`` + ``O2WebSocket._action_to_queue_key`` + each subscriber's market
  filter + ``DepthUpdate/OrderUpdate/TradeUpdate.from_dict``. A further row runs the
  whole pure step the driver takes per frame (``StreamProtocol.receive`` + ``outputs``:
  decode, route, snapshot gate, bounded buffer), which has no official counterpart.
- book: ``OrderBook.apply`` versus ``o2_sdk.models.DepthBook.apply`` on the same updates,
  already decoded.
- memory: tracemalloc peak of 10 buffered subscriptions, one of them stalled, receiving
  100k frames under DROP_OLDEST and ERROR, next to an unbounded list.
"""

from __future__ import annotations

import gc
import json
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from o2_core.book import OrderBook
from o2_core.frames import FrameDecoder, Router, decode_frame
from o2_core.models import DepthUpdate
from o2_core.stream import BoundedBuffer, Consumer, OverflowPolicy, StreamProtocol
from o2_core.subscriptions import DepthSub, OrdersSub, TradesSub

try:
    import o2_sdk
    from o2_sdk import models as om
    from o2_sdk.websocket import O2WebSocket

    OFFICIAL: str | None = getattr(o2_sdk, "__version__", "0.5.0")
except Exception as err:  # pragma: no cover - depends on the environment
    OFFICIAL = None
    print(f"official o2-sdk unavailable ({err}); `pip install o2-sdk==0.5.0` to compare")

RNG = random.Random(7)
MARKETS = ["0x" + f"{i:02x}" * 32 for i in range(1, 11)]
ACCOUNT = "0x" + "a1" * 32
OWNER = "0x" + "0a" * 32


def h64() -> str:
    return "0x" + "".join(RNG.choice("0123456789abcdef") for _ in range(64))


def levels(n: int, start: int, step: int) -> list[dict[str, str]]:
    return [{"price": str(start + i * step), "quantity": str(RNG.randint(0, 10**12))}
            for i in range(n)]


def depth_frame(market: str, snapshot: bool = False) -> str:
    book = {"buys": levels(25, 10**9, -1000), "sells": levels(25, 10**9 + 1000, 1000)}
    if snapshot:
        body: dict[str, Any] = {"action": "subscribe_depth", "view": book}
    else:
        body = {"action": "subscribe_depth_update", "changes": book}
    return json.dumps({**body, "market_id": market, "onchain_timestamp": "1733154045",
                       "seen_timestamp": "1733154046"})


TRADERS = [h64() for _ in range(50)]
_live_orders: list[str] = []


def order(market: str) -> dict[str, Any]:
    """An order update: a new order, or (2 times in 3) an update of a recent one."""
    if _live_orders and RNG.random() < 2 / 3:
        oid = RNG.choice(_live_orders[-20:])
    else:
        oid = h64()
        _live_orders.append(oid)
    return {
        "order_id": oid, "side": RNG.choice(["Buy", "Sell"]), "order_type": "Spot",
        "quantity": str(RNG.randint(1, 10**12)), "quantity_fill": "0",
        "price": str(RNG.randint(1, 10**12)), "price_fill": "0",
        "timestamp": "1733154045", "close": False, "partially_filled": False,
        "cancel": False, "market_id": market, "account": {"ContractId": ACCOUNT},
        "owner": {"Address": OWNER},
    }


def orders_frame(market: str) -> str:
    return json.dumps({"action": "subscribe_orders",
                       "orders": [order(market) for _ in range(RNG.choice([1, 1, 1, 2, 3]))],
                       "onchain_timestamp": "1733154045", "seen_timestamp": "1733154046"})


def trades_frame(market: str) -> str:
    trades = [{
        "trade_id": str(RNG.randint(1, 10**9)), "side": RNG.choice(["Buy", "Sell"]),
        "total": str(RNG.randint(1, 10**15)), "quantity": str(RNG.randint(1, 10**12)),
        "price": str(RNG.randint(1, 10**12)), "timestamp": "1733154045123",
        "maker": {"ContractId": RNG.choice(TRADERS)}, "taker": {"ContractId": RNG.choice(TRADERS)},
        "market_id": market,
    } for _ in range(RNG.randint(1, 5))]
    return json.dumps({"action": "subscribe_trades", "market_id": market, "trades": trades,
                       "onchain_timestamp": "1733154045", "seen_timestamp": "1733154046"})


DEPTH_MARKETS, TRADE_MARKETS = MARKETS[:7], MARKETS[:2]


def frame_mix(n: int) -> list[bytes]:
    """What the server sends for our 10 subscriptions (depth x7, trades x2, orders x1)."""
    out = [depth_frame(m, snapshot=True).encode() for m in DEPTH_MARKETS]
    for _ in range(n - len(out)):
        r = RNG.random()
        if r < 0.60:
            f = depth_frame(RNG.choice(DEPTH_MARKETS))
        elif r < 0.85:
            f = orders_frame(RNG.choice(MARKETS))
        else:
            f = trades_frame(RNG.choice(TRADE_MARKETS))
        out.append(f.encode())
    return out


def compare(ours: Callable[[], int], theirs: Callable[[], int] | None,
            rounds: int = 15) -> tuple[float, float | None]:
    """Items per second of each (a function returns how many items it processed).

    The two alternate, and each keeps its best pass, so that other processes on the
    machine disturb the comparison as little as possible.
    """
    fns = [ours] if theirs is None else [ours, theirs]
    best = [float("inf")] * len(fns)
    done = [0] * len(fns)
    for fn in fns:
        fn()  # warm up
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            done[i] = fn()
            best[i] = min(best[i], time.perf_counter() - start)
    rates = [d / b for d, b in zip(done, best, strict=True)]
    return rates[0], (rates[1] if theirs is not None else None)


# --- ours --------------------------------------------------------------------------------


def our_pipeline() -> tuple[StreamProtocol, list[Consumer]]:
    """The protocol with 10 subscriptions, each consumer's depth snapshot delivered."""
    proto = StreamProtocol(buffer_size=1 << 20)  # never full: the pass drains at its end
    subs: list[Any] = [DepthSub(m, 10) for m in DEPTH_MARKETS]
    subs += [TradesSub(m) for m in TRADE_MARKETS] + [OrdersSub(ACCOUNT)]
    consumers = [proto.open(s) for s in subs]
    proto.connection_made()
    for m in DEPTH_MARKETS:  # open the snapshot gate of each depth consumer
        proto.receive(b'{"action":"subscribe_depth","market_id":"%s","view":{}}' % m.encode())
    proto.outputs()
    for c in consumers:
        c.buffer.clear()
    return proto, consumers


def ours_decode_route(frames: list[bytes]) -> Callable[[], int]:
    """Decode and route (FrameDecoder + Router), the work the official loop below does."""
    decoder = FrameDecoder()
    router: Router[list[Any]] = Router()
    subs: list[Any] = [DepthSub(m, 10) for m in DEPTH_MARKETS]
    subs += [TradesSub(m) for m in TRADE_MARKETS] + [OrdersSub(ACCOUNT)]
    for sub in subs:
        router.add(sub, [])
        if sub.key[1] is not None:
            decoder.pin(sub.key[1])
    decode, dispatch = decoder.decode, router.dispatch

    def run() -> int:
        decoder.clear_cache()  # every pass pays for first sight of each id
        delivered = 0
        for f in frames:
            delivered += len(dispatch(decode(f)))
        return len(frames)

    return run


def ours_protocol(frames: list[bytes]) -> Callable[[], int]:
    """What the driver does per frame: ``receive`` (decode, route, gate, buffer) +
    ``outputs``; the official SDK has no equivalent step to compare with."""
    proto, consumers = our_pipeline()
    receive, outputs = proto.receive, proto.outputs

    def run() -> int:
        proto.decoder.clear_cache()
        for f in frames:
            receive(f)
            outputs()
        for c in consumers:
            c.buffer.clear()
        return len(frames)

    return run


def ours_decode_only(frames: list[bytes]) -> Callable[[], int]:
    proto, _ = our_pipeline()
    decode = proto.decoder.decode

    def run() -> int:
        proto.decoder.clear_cache()
        for f in frames:
            decode(f)
        return len(frames)

    return run


# --- official ----------------------------------------------------------------------------


def official_decode_only(frames: list[bytes]) -> Callable[[], int]:
    """``json.loads`` + the matching model's ``from_dict`` for every frame."""
    by_key = {"depth": om.DepthUpdate.from_dict, "orders": om.OrderUpdate.from_dict,
              "trades": om.TradeUpdate.from_dict}
    key_of = O2WebSocket._action_to_queue_key
    loads = json.loads

    def run() -> int:
        for raw in frames:
            data = loads(raw)
            by_key[key_of(None, data["action"])](data)  # type: ignore[arg-type,index]
        return len(frames)

    return run


def official_decode_route(frames: list[bytes]) -> Callable[[], int]:
    key_of = O2WebSocket._action_to_queue_key
    # the same 10 subscriptions: each official subscriber filters its queue's messages
    subscribers: dict[str, list[Callable[[dict[str, Any]], Any]]] = {
        "depth": [], "trades": [], "orders": []}

    def depth_sub(market: str) -> Callable[[dict[str, Any]], Any]:
        return lambda msg: om.DepthUpdate.from_dict(msg) if msg.get("market_id") == market else None

    def trades_sub(market: str) -> Callable[[dict[str, Any]], Any]:
        return lambda msg: om.TradeUpdate.from_dict(msg) if msg.get("market_id") == market else None

    subscribers["depth"] = [depth_sub(m) for m in DEPTH_MARKETS]
    subscribers["trades"] = [trades_sub(m) for m in TRADE_MARKETS]
    subscribers["orders"] = [om.OrderUpdate.from_dict]
    loads = json.loads

    def run() -> int:
        for raw in frames:
            data = loads(raw)
            key = key_of(None, data.get("action", ""))  # type: ignore[arg-type]
            for sub in subscribers.get(key or "", ()):
                sub(data)
        return len(frames)

    return run


# --- book --------------------------------------------------------------------------------


def book_updates(frames: list[bytes]) -> list[bytes]:
    return [f for f in frames if b'"subscribe_depth_update"' in f and MARKETS[0].encode() in f]


def ours_book(frames: list[bytes]) -> Callable[[], int]:
    snap = decode_frame(depth_frame(MARKETS[0], snapshot=True))
    updates = [decode_frame(f) for f in frames]
    assert all(isinstance(u, DepthUpdate) for u in updates)

    def run() -> int:
        book = OrderBook(MARKETS[0])
        book.apply(snap)  # type: ignore[arg-type]
        for u in updates:
            book.apply(u)  # type: ignore[arg-type]
        _ = book.best_bid, book.best_ask
        return len(updates)

    return run


def official_book(frames: list[bytes]) -> Callable[[], int]:
    snap = om.DepthUpdate.from_dict(json.loads(depth_frame(MARKETS[0], snapshot=True)))
    updates = [om.DepthUpdate.from_dict(json.loads(f)) for f in frames]

    def run() -> int:
        book = om.DepthBook()
        book.apply(snap)
        for u in updates:
            book.apply(u)
        _ = book.best_bid, book.best_ask
        return len(updates)

    return run


# --- memory ------------------------------------------------------------------------------


def stalled_peak(total: int, policy: OverflowPolicy | None,
                 capacity: int = 1000) -> tuple[float, int]:
    """Peak MiB while one stalled depth consumer receives ``total`` 50-level frames.

    Nine more depth subscriptions (other markets) get one frame per ten and keep up.
    """
    stalled_frames = [depth_frame(MARKETS[0]).encode() for _ in range(50)]
    other_frames = [depth_frame(m).encode() for m in MARKETS[1:]]
    decoder = FrameDecoder()
    router: Router[Any] = Router()
    buffers: list[Any] = []
    for m in MARKETS:
        sub = DepthSub(m, 10)
        buf: Any = [] if policy is None else BoundedBuffer(capacity, policy)
        buffers.append(buf)
        router.add(sub, buf)
    stalled = buffers[0]
    gc.collect()
    tracemalloc.start()
    for i in range(total):
        frames = [stalled_frames[i % 50]]
        if i % 10 == 0:
            frames.append(other_frames[i // 10 % 9])
        for f in frames:
            for consumer, part in router.dispatch(decoder.decode(f)):
                if consumer is stalled:
                    (consumer.append if policy is None else consumer.push)(part)
                # the nine other consumers keep up: they take each update at once
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, len(stalled)


def main() -> None:
    frames = frame_mix(4000)
    depth_only = [f for f in frames if b'"subscribe_depth_update"' in f]
    print(f"frames: {len(frames)} mixed (avg {sum(map(len, frames)) // len(frames)} B), "
          f"official o2-sdk: {OFFICIAL or 'not installed'}\n")

    rows: list[tuple[str, float, float | None]] = []
    official = OFFICIAL is not None
    bframes = book_updates(frames)
    for name, ours_fn, theirs_fn in [
        ("decode only, mixed frames/s", ours_decode_only(frames),
         official_decode_only(frames) if official else None),
        ("decode + route, mixed frames/s", ours_decode_route(frames),
         official_decode_route(frames) if official else None),
        ("decode + route, 50-level depth frames/s", ours_decode_route(depth_only),
         official_decode_route(depth_only) if official else None),
        ("decode + route + buffer (protocol) frames/s", ours_protocol(frames), None),
        ("book updates/s (50 levels each)", ours_book(bframes),
         official_book(bframes) if official else None),
    ]:
        rows.append((name, *compare(ours_fn, theirs_fn)))

    print(f"{'measure':<44} {'ours':>12} {'official':>12} {'ratio':>7}")
    for name, a, b in rows:
        bs = f"{b:12,.0f}" if b else f"{'-':>12}"
        ratio = f"{a / b:6.1f}x" if b else f"{'-':>7}"
        print(f"{name:<44} {a:12,.0f} {bs} {ratio}")

    print("\npeak memory, 10 depth subscriptions, one consumer stalled (tracemalloc):")
    print(f"{'buffer':<34} {'frames':>8} {'peak MiB':>9} {'held':>6}")
    for label, policy, total in [
        ("unbounded list (no policy)", None, 10_000),
        ("BoundedBuffer(1000, DROP_OLDEST)", OverflowPolicy.DROP_OLDEST, 10_000),
        ("BoundedBuffer(1000, DROP_OLDEST)", OverflowPolicy.DROP_OLDEST, 100_000),
        ("BoundedBuffer(1000, ERROR)", OverflowPolicy.ERROR, 100_000),
    ]:
        peak, held = stalled_peak(total, policy)
        print(f"{label:<34} {total:>8,} {peak:9.1f} {held:>6}")


if __name__ == "__main__":
    main()
