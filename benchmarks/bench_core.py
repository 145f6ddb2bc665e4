"""Protocol-core benchmark: our sans-I/O core next to the official o2-sdk 0.5.0.

Run: ``.venv/bin/python benchmarks/bench_core.py`` (the official SDK is the ``bench``
extra: ``pip install -e '.[bench]'``; without it only our figures are printed).

(a) one signed settle + create-order request, built to body bytes;
(b) one 50-level depth-update WebSocket frame decoded into typed objects.
Each figure is the median over several timeit repeats, in microseconds per operation.
"""

from __future__ import annotations

import json
import platform
import random
import statistics
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import coincurve  # noqa: E402
import msgspec  # noqa: E402

from o2_core import actions, crypto  # noqa: E402
from o2_core import models as m  # noqa: E402

try:
    import o2_sdk  # noqa: F401
    from o2_sdk import crypto as off_crypto
    from o2_sdk import encoding as off_encoding
    from o2_sdk import models as off_models
    from o2_sdk.crypto import raw_sign as off_raw_sign
except ImportError:  # pragma: no cover - depends on the environment
    off_models = None

REPEATS = 7


def measure(fn: Callable[[], Any], target_seconds: float = 0.25) -> float:
    """Median microseconds per call of ``fn``."""
    timer = timeit.Timer(fn)
    number, elapsed = 1, 0.0
    while True:  # calibrate to ~target_seconds per repeat
        elapsed = timer.timeit(number)
        if elapsed >= target_seconds / 5:
            break
        number *= 4
    number = max(1, int(number * target_seconds / elapsed))
    runs = timer.repeat(repeat=REPEATS, number=number)
    return statistics.median(runs) / number * 1e6


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
    """The depth-update frame's wire shape (a fallback when o2_core.stream is missing)."""

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
    from o2_core.stream import decode_frame
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
        assert off_crypto is not None
    update = ours_frame_stream() if decode_frame is not None else ours_frame_models()
    assert isinstance(update, m.DepthUpdate) and len(update.changes.bids) == 50
    assert update.changes.asks[0].price == int(json.loads(FRAME)["changes"]["sells"][0]["price"])
    assert ours_frame_models() == update


def main() -> None:
    check_equivalence()
    print("O2 protocol core benchmark")
    print(f"machine : {platform.processor() or platform.machine()} ({platform.machine()}), "
          f"{platform.system()} {platform.release()}")
    print(f"python  : {platform.python_implementation()} {platform.python_version()}")
    print(f"command : {Path(sys.executable).name} {' '.join(sys.argv)}")
    if off_models is None:
        print("official o2-sdk 0.5.0 is NOT installed: measuring ours only "
              "(pip install -e '.[bench]' or pip install o2-sdk==0.5.0)")
    else:
        print(f"official: o2-sdk {getattr(sys.modules['o2_sdk'], '__version__', '0.5.0')}")
    print()

    rows: list[tuple[str, float, float | None]] = []
    ours_a = measure(ours_order)
    off_a = measure(official_order) if off_models is not None else None
    floor = measure(bare_signature)
    rows.append(("(a) signed settle+create order -> body bytes", ours_a, off_a))

    if decode_frame is not None:
        ours_b = measure(ours_frame_stream)
        label_b = "(b) 50-level depth update frame -> DepthUpdate"
    else:
        ours_b = measure(ours_frame_models)
        label_b = "(b) 50-level depth frame -> DepthUpdate (local wire Struct)"
    off_b = measure(official_frame) if off_models is not None else None
    rows.append((label_b, ours_b, off_b))

    print(f"{'operation':<58} {'ours µs':>9} {'official µs':>12} {'speed-up':>9}")
    print("-" * 91)
    for label, ours, off in rows:
        off_text = f"{off:12.1f}" if off is not None else f"{'n/a':>12}"
        ratio = f"{off / ours:8.1f}x" if off is not None else f"{'n/a':>9}"
        print(f"{label:<58} {ours:9.1f} {off_text} {ratio}")
    print(f"{'    floor: one bare libsecp256k1 signature, cached key':<58} {floor:9.1f}")
    if decode_frame is not None:
        models_b = measure(ours_frame_models)
        print(f"{'    (b) via models.decode + a wire Struct instead':<58} {models_b:9.1f}")
    print()
    print(f"(a) ours = {ours_a / floor:.2f}x the bare signature; "
          f"non-signing overhead {ours_a - floor:.1f} µs")
    if decode_frame is not None:
        print("(b) ours = o2_core.stream.decode_frame (the stream's own frame decoder)")


if __name__ == "__main__":
    main()
