"""Protocol-core benchmark: our sans-I/O core next to the official o2-sdk 0.5.0.

Run: ``.venv/bin/python benchmarks/bench_core.py`` (the official SDK is the ``bench``
extra: ``pip install -e '.[bench]'``; without it only our figures are printed).

(a) one signed settle + create-order request, built to body bytes;
(b) one 50-level depth-update WebSocket frame decoded into typed objects.
Each figure is the median over several timeit repeats, in microseconds per operation.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import random
import statistics
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import coincurve
import msgspec

from o2_core import actions, crypto
from o2_core import models as m

try:
    import o2_sdk  # noqa: F401
    from o2_sdk import encoding as off_encoding
    from o2_sdk import models as off_models
    from o2_sdk.crypto import raw_sign as off_raw_sign
except ImportError:  # pragma: no cover - depends on the environment
    off_models = None

REPEATS = 9


def calibrate(fn: Callable[[], Any], target_seconds: float) -> int:
    """How many calls of ``fn`` take about ``target_seconds``."""
    timer, number = timeit.Timer(fn), 1
    while (elapsed := timer.timeit(number)) < target_seconds / 5:
        number *= 4
    return max(1, int(number * target_seconds / elapsed))


def measure_all(
    fns: dict[str, Callable[[], Any]], target_seconds: float = 0.15
) -> dict[str, float]:
    """Median microseconds per call of each function.

    The repeats of all functions are interleaved, so that a burst of load on the machine
    hits every candidate alike instead of skewing one ratio.
    """
    numbers = {name: calibrate(fn, target_seconds) for name, fn in fns.items()}
    runs: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(REPEATS):
        for name, fn in fns.items():
            elapsed = timeit.Timer(fn).timeit(numbers[name])
            runs[name].append(elapsed / numbers[name] * 1e6)
    return {name: statistics.median(values) for name, values in runs.items()}


# --- fixtures (one market, one session) -----------------------------------------------

rng = random.Random(7)


def hex32() -> str:
    return "0x" + rng.randbytes(32).hex()


CONTRACT_ID, MARKET_ID, REGISTRY = hex32(), hex32(), hex32()
BASE_ASSET, QUOTE_ASSET, TRADE_ACCOUNT = hex32(), hex32(), hex32()
SESSION_KEY_HEX = "0x" + rng.randbytes(32).hex()
OWNER = hex32()
NONCE = 1234
PRICE, QUANTITY = 25_000_000, 3_000_000_000  # already-scaled chain integers

market = m.Market(
    contract_id=m.Id(CONTRACT_ID),
    market_id=m.Id(MARKET_ID),
    base=m.MarketAsset("FUEL", m.Id(BASE_ASSET), 9, 3),
    quote=m.MarketAsset("USDC", m.Id(QUOTE_ASSET), 6, 6),
)
ctx = actions.MarketContext.of(market, REGISTRY)
session_wallet = crypto.Wallet(SESSION_KEY_HEX)
session = m.SessionInfo(
    session_id=m.AddressIdentity(session_wallet.b256_address),
    trade_account_id=TRADE_ACCOUNT,
    contract_ids=[CONTRACT_ID],
    session_expiry=2**40,
    session_wallet=session_wallet,
    owner_address=OWNER,
)


def ours_order() -> bytes:
    settle = actions.settle_balance(ctx, session.trade_account_id)
    create = actions.create_order(ctx, m.OrderSide.BUY, PRICE, QUANTITY, m.OrderType.SPOT)
    group = actions.PreparedGroup(ctx.market_id, (settle, create))
    return actions.actions_body((group,), NONCE, session, True)


if off_models is not None:
    OFF_MARKET_INFO = {
        "contract_id": CONTRACT_ID,
        "market_id": MARKET_ID,
        "base": {"asset": BASE_ASSET, "decimals": 9},
        "quote": {"asset": QUOTE_ASSET, "decimals": 6},
        "accounts_registry_id": REGISTRY,
    }
    OFF_SESSION_KEY = bytes.fromhex(SESSION_KEY_HEX[2:])
    OFF_SESSION_ID = off_models.AddressIdentity(session_wallet.b256_address)
    OFF_TRADE_ACCOUNT = off_models.Id(TRADE_ACCOUNT)

    def official_order() -> bytes:
        """What o2-sdk's batch_actions does per order (network and nonce lookup aside)."""
        actions_dicts = [
            {
                "market_id": MARKET_ID,
                "actions": [
                    off_models.SettleBalanceAction(to=OFF_TRADE_ACCOUNT).to_dict(),
                    off_models.CreateOrderAction(
                        side=off_models.OrderSide.BUY,
                        price=str(PRICE),
                        quantity=str(QUANTITY),
                        order_type=off_models.OrderType.SPOT,
                    ).to_dict(),
                ],
            }
        ]
        calls = [
            off_encoding.action_to_call(a, OFF_MARKET_INFO)
            for group in actions_dicts
            for a in group["actions"]
        ]
        signing_bytes = off_encoding.build_actions_signing_bytes(NONCE, calls)
        signature = off_raw_sign(OFF_SESSION_KEY, signing_bytes)
        request = {
            "actions": actions_dicts,
            "signature": {"Secp256k1": "0x" + signature.hex()},
            "nonce": str(NONCE),
            "trade_account_id": str(OFF_TRADE_ACCOUNT),
            "session_id": OFF_SESSION_ID.to_dict(),
            "collect_orders": True,
        }
        return json.dumps(request).encode()


_native_key = coincurve.PrivateKey(bytes.fromhex(SESSION_KEY_HEX[2:]))
_digest = crypto.sha256(b"benchmark")


def bare_signature() -> bytes:
    return _native_key.sign_recoverable(_digest, hasher=None)  # type: ignore[no-any-return]


# --- depth frame ------------------------------------------------------------------------


def depth_frame(levels: int = 50) -> bytes:
    def side(start: int, step: int) -> list[dict[str, str]]:
        return [
            {"price": str(start + step * i * 10_000), "quantity": str(rng.randrange(1, 10**12))}
            for i in range(levels)
        ]

    frame = {
        "action": "subscribe_depth_update",
        "market_id": MARKET_ID,
        "changes": {"buys": side(25_000_000, -1), "sells": side(25_010_000, 1)},
        "onchain_timestamp": "1737504000123",
        "seen_timestamp": "1737504000150",
    }
    return json.dumps(frame).encode()


FRAME = depth_frame()


class _DepthUpdateWire(msgspec.Struct):
    """The depth-update frame's wire shape (a fallback when o2_core.frames is missing)."""

    market_id: m.Id
    changes: m.DepthChanges
    onchain_timestamp: int | None = None
    seen_timestamp: int | None = None


def ours_frame_models() -> m.DepthUpdate:
    wire = m.decode(FRAME, _DepthUpdateWire)
    return m.DepthUpdate(
        wire.market_id, wire.changes, False, wire.onchain_timestamp, wire.seen_timestamp
    )


try:
    from o2_core.frames import decode_frame
except ImportError:  # pragma: no cover - the stream module is optional here
    decode_frame = None  # type: ignore[assignment]


def ours_frame_stream() -> Any:
    return decode_frame(FRAME)  # type: ignore[misc]


def official_frame() -> Any:
    return off_models.DepthUpdate.from_dict(json.loads(FRAME))


# --- run ------------------------------------------------------------------------------


def check_equivalence() -> None:
    """Both sides must produce the same request and the same book, or the race is void."""
    ours = json.loads(ours_order())
    sig = ours["signature"]["Secp256k1"]
    digest = crypto.sha256(
        actions.actions_signing_bytes(
            NONCE,
            [
                actions.PreparedGroup(
                    ctx.market_id,
                    (
                        actions.settle_balance(ctx, TRADE_ACCOUNT),
                        actions.create_order(ctx, "Buy", PRICE, QUANTITY, m.OrderType.SPOT),
                    ),
                )
            ],
        )
    )
    assert crypto.recover_public_key(digest, bytes.fromhex(sig[2:])) == session_wallet.public_key
    if off_models is not None:
        assert ours == json.loads(official_order()), "the two request bodies differ"
    update = ours_frame_stream() if decode_frame is not None else ours_frame_models()
    assert isinstance(update, m.DepthUpdate) and len(update.changes.bids) == 50
    assert update.changes.asks[0].price == int(json.loads(FRAME)["changes"]["sells"][0]["price"])
    assert ours_frame_models() == update


def cpu_model() -> str:
    """The CPU's model name (``platform.processor()`` is often just the architecture)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def main() -> None:
    check_equivalence()
    print("O2 protocol core benchmark")
    print(f"machine : processor={platform.processor() or '?'!r}, {cpu_model()}, "
          f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}")
    print(f"python  : {platform.python_implementation()} {platform.python_version()}, "
          f"msgspec {msgspec.__version__}, coincurve {version('coincurve')}")
    print(f"command : {os.path.relpath(sys.executable)} {' '.join(sys.argv)}")
    if off_models is None:
        print("official o2-sdk 0.5.0 is NOT installed: measuring ours only "
              "(pip install -e '.[bench]' or pip install o2-sdk==0.5.0)")
    else:
        print(f"official: o2-sdk {version('o2-sdk')} (same process and inputs; "
              "request JSON and signature checked equal)")
    print()

    fns: dict[str, Callable[[], Any]] = {
        "ours_a": ours_order,
        "floor": bare_signature,
        "ours_b": ours_frame_stream if decode_frame is not None else ours_frame_models,
        "models_b": ours_frame_models,
    }
    if off_models is not None:
        fns["off_a"] = official_order
        fns["off_b"] = official_frame
    t = measure_all(fns)
    ours_a, floor, ours_b = t["ours_a"], t["floor"], t["ours_b"]
    if decode_frame is not None:
        label_b = "(b) 50-level depth update frame -> DepthUpdate"
    else:
        label_b = "(b) 50-level depth frame -> DepthUpdate (local wire Struct)"
    rows: list[tuple[str, float, float | None]] = [
        ("(a) signed settle+create order -> body bytes", ours_a, t.get("off_a")),
        (label_b, ours_b, t.get("off_b")),
    ]

    print(f"{'operation':<58} {'ours µs':>9} {'official µs':>12} {'speed-up':>9}")
    print("-" * 91)
    for label, ours, off in rows:
        off_text = f"{off:12.1f}" if off is not None else f"{'n/a':>12}"
        ratio = f"{off / ours:8.1f}x" if off is not None else f"{'n/a':>9}"
        print(f"{label:<58} {ours:9.1f} {off_text} {ratio}")
    print(f"{'    floor: one bare libsecp256k1 signature, cached key':<58} {floor:9.1f}")
    if decode_frame is not None:
        print(f"{'    (b) via models.decode + a wire Struct instead':<58} {t['models_b']:9.1f}")
    print()
    print(f"(a) ours = {ours_a / floor:.2f}x the bare signature; "
          f"non-signing overhead {ours_a - floor:.1f} µs")
    if decode_frame is not None:
        print("(b) ours = o2_core.frames.decode_frame (the stream's own frame decoder)")


if __name__ == "__main__":
    main()
