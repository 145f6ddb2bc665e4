"""Hostile replies: no public parser lets anything but an ``O2Error`` out.

Every public parser of reply bodies and frames is listed in :data:`PARSERS` (a test checks
the list is complete). Each is fed random bytes and mutations of real replies — recorded
from the local exchange by a small session — with invalid UTF-8 inside a string, JSON
nested thousands deep, values of the wrong type, huge and non-finite numbers and
truncations. A parser may return or raise an :class:`O2Error`; the never-raising ones
(``error_from_body``, ``classify``, ``decode_frame``) may only return.
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o2_core import (
    O2Client,
    OrderSide,
    depth,
    frames,
    http,
    market_models,
    models,
    onchain_revert,
    replies,
)
from o2_core import errors as errors_mod
from o2_core.bridge import inspection, protocol
from o2_core.bridge import models as bridge_models
from o2_core.config import NetworkConfig
from o2_core.errors import O2Error
from o2_core.http import Request, Response
from o2_core.sim import Exchange, default_config
from o2_transport_memory import MemoryTransport

PAIR = "fFUEL/fUSDC"

# --- real replies, recorded from the local exchange -------------------------------------


class RecordingTransport(MemoryTransport):
    """The in-memory transport, keeping the last success body of every path."""

    def __init__(self, exchange: Exchange) -> None:
        super().__init__(exchange)
        self.bodies: dict[str, bytes] = {}

    async def request(self, request: Request, timeout: float) -> Response:
        response = await super().request(request, timeout)
        path = request.url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
        if response.status < 300 and response.body:
            self.bodies["/" + path] = response.body
        return response


async def _session(transport: RecordingTransport) -> None:
    config = NetworkConfig("http://o2.local", "ws://o2.local/v1/ws",
                           faucet_url="http://o2.local/faucet")
    async with O2Client(custom_config=config, transport=transport) as client:
        maker, taker = client.generate_wallet(), client.generate_wallet()
        await client.setup_account(maker)
        await client.setup_account(taker)
        taker_session = await client.create_session(owner=taker, markets=[PAIR])
        await client.create_session(owner=maker, markets=[PAIR])
        placed = await client.create_order(PAIR, OrderSide.SELL, "0.05", 100)
        await client.create_order(PAIR, OrderSide.BUY, "0.05", 40, session=taker_session)
        for call in (
            client.get_markets(), client.get_depth(PAIR), client.get_trades(PAIR),
            client.get_ticker(PAIR), client.get_market_summary(PAIR),
            client.get_bars(PAIR, "1m", int(time.time()) - 3600, int(time.time()) + 60),
            client.get_balances(taker_session.trade_account_id),
        ):
            await call
        assert placed.orders
        await client.get_order(PAIR, placed.orders[0].order_id)
        await client.get_orders(PAIR, taker_session.trade_account_id)


@pytest.fixture(scope="module")
def real_bodies() -> dict[str, bytes]:
    transport = RecordingTransport(Exchange(default_config(seed=5), clock=time.time))
    anyio.run(_session, transport)
    return transport.bodies


def _frames() -> list[bytes]:
    return [json.dumps(f).encode() for f in (
        {"action": "subscribe_depth", "market_id": "0x" + "aa" * 32,
         "view": {"buys": [{"price": "5", "quantity": "7"}], "sells": []},
         "onchain_timestamp": "1700000000", "seen_timestamp": 1700000001},
        {"action": "subscribe_depth_update", "market_id": "0x" + "aa" * 32,
         "changes": {"buys": [{"price": 5, "quantity": -7}], "sells": []}},
        {"action": "subscribe_nonce", "contract_id": "0x" + "bb" * 32, "nonce": "9"},
        {"code": 7004, "message": "Too many requests"},
    )]


# --- the parsers ------------------------------------------------------------------------

def _ok(body: bytes) -> Response:
    return Response(200, body, {"content-type": "application/json"})


#: Model classes a reply is decoded into (ours and the bridge's).
MODELS = sorted(
    {
        cls
        for mod in (models, market_models, depth, bridge_models)
        for cls in vars(mod).values()
        if isinstance(cls, type) and issubclass(cls, msgspec.Struct)
        and cls.__module__ == mod.__name__ and not cls.__name__.startswith("_")
    },
    key=lambda c: (c.__module__, c.__name__),
)

#: name -> (parser of raw bytes, may it raise an O2Error at all)
PARSERS: dict[str, tuple[Callable[[bytes], Any], bool]] = {
    "errors.error_from_body": (lambda b: errors_mod.error_from_body(200, b, None), False),
    "errors.error_from_body[400]": (lambda b: errors_mod.error_from_body(400, b, None), False),
    "errors.error_from_body[429]": (lambda b: errors_mod.error_from_body(429, b, 1.0), False),
    "http.classify": (lambda b: http.classify(_ok(b)), False),
    "http.classify[500]": (lambda b: http.classify(Response(500, b, {})), False),
    "replies.check": (lambda b: replies.check(_ok(b)), True),
    "replies.decoder_of": (lambda b: replies.decoder_of(models.AccountInfo)(b), True),
    "replies.decode_ticker": (lambda b: replies.decode_ticker(b, "0x" + "aa" * 32), True),
    "replies.parse_ticker": (lambda b: replies.parse_ticker(_ok(b)), True),
    "frames.decode_frame": (frames.decode_frame, False),
    "frames.FrameDecoder": (lambda b: frames.FrameDecoder().decode(b), False),
    "onchain_revert.decode_revert_reason": (
        lambda b: onchain_revert.decode_revert_reason(b.decode("utf-8", "replace")), False),
    "bridge.inspection.parse_preparation_proof": (
        lambda b: inspection.parse_preparation_proof(b.decode("latin-1")), True),
    "bridge.inspection.parse_evm_unsigned_transaction": (
        lambda b: inspection.parse_evm_unsigned_transaction("0x" + b.hex()), True),
    "bridge.inspection.parse_fuel_unsigned_transaction": (
        lambda b: inspection.parse_fuel_unsigned_transaction("0x" + b.hex(), 0, 255), True),
}
for _name, _fn in vars(replies).items():
    if _name.startswith("decode_") and _name != "decode_ticker" and callable(_fn):
        PARSERS[f"replies.{_name}"] = (_fn, True)
    if _name.startswith("parse_") and _name != "parse_ticker" and callable(_fn):
        PARSERS[f"replies.{_name}"] = (lambda b, fn=_fn: fn(_ok(b)), True)
for _cls in MODELS:
    _where = "bridge" if _cls.__module__ == bridge_models.__name__ else "models"
    if _where == "models":
        PARSERS[f"models.decode[{_cls.__name__}]"] = (
            lambda b, c=_cls: models.decode(b, c), True)
        PARSERS[f"replies.parse[{_cls.__name__}]"] = (
            lambda b, c=_cls: replies.parse(_ok(b), c), True)
    else:
        PARSERS[f"bridge.protocol.parse_reply[{_cls.__name__}]"] = (
            lambda b, c=_cls: protocol.parse_reply(_ok(b), c), True)


def _public_parsers() -> Iterator[str]:
    """Every public parsing function of the core's reply-facing modules."""
    for label, mod in (("http", http), ("replies", replies), ("frames", frames),
                       ("errors", errors_mod),
                       ("onchain_revert", onchain_revert),
                       ("bridge.inspection", inspection),
                       ("bridge.protocol", protocol)):
        for name, fn in vars(mod).items():
            if (inspect.isfunction(fn) and fn.__module__ == mod.__name__
                    and (name.startswith(("decode", "parse")) or name in
                         ("classify", "check", "error_from_body"))):
                yield f"{label}.{name}"


def test_every_public_parser_is_fuzzed() -> None:
    covered = {name.split("[", 1)[0] for name in PARSERS}
    missing = {n for n in _public_parsers() if n not in covered}
    assert not missing, f"add these to PARSERS: {sorted(missing)}"
    assert len(MODELS) >= 60 and len(PARSERS) >= 120


# --- hostile bodies -----------------------------------------------------------------------

NESTING = st.sampled_from([200, 1_000, 5_000, 50_000])
HUGE = st.sampled_from([
    b"1e999", b"-1e999", b"1" + b"0" * 400, b"-" + b"9" * 30, b"NaN", b"Infinity",
    b"18446744073709551616", b'"18446744073709551616"', b'"-1"', b"1.5e308",
    b'"0x' + b"f" * 200 + b'"', b'"' + b"9" * 5000 + b'"',
])
WRONG = st.sampled_from([b"null", b"true", b"[]", b"{}", b'"text"', b"0", b"-1", b"[[[]]]",
                         b'{"":{}}', b'"\\ud800"', b'"\\u0000"'])


def _scalar_spans(body: bytes) -> list[tuple[int, int]]:
    """Byte spans of the body's JSON scalars (numbers and strings), found lexically."""
    spans, i, n = [], 0, len(body)
    while i < n:
        c = body[i:i + 1]
        if c == b'"':
            j = i + 1
            while j < n and body[j:j + 1] != b'"':
                j += 2 if body[j:j + 1] == b"\\" else 1
            spans.append((i, min(j + 1, n)))
            i = j + 1
        elif c in b"-0123456789" and c:
            j = i
            while j < n and body[j:j + 1] in b"-+.eE0123456789":
                j += 1
            spans.append((i, j))
            i = j
        else:
            i += 1
    return spans


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    body = draw(st.sampled_from(seeds))
    spans = _scalar_spans(body) or [(0, len(body))]
    start, end = draw(st.sampled_from(spans))
    kind = draw(st.sampled_from(
        ["utf8", "nest", "nest-value", "wrong", "huge", "truncate", "bytes", "dup"]))
    if kind == "utf8":  # invalid UTF-8 inside a string (or a number)
        bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80"]))
        cut = draw(st.integers(start + 1, max(start + 1, end - 1)))
        return body[:cut] + bad + body[cut:]
    if kind == "nest":
        depth_ = draw(NESTING)
        return b"[" * depth_ + body + b"]" * depth_
    if kind == "nest-value":
        depth_ = draw(NESTING)
        return body[:start] + b'{"a":' * depth_ + b"1" + b"}" * depth_ + body[end:]
    if kind == "wrong":
        return body[:start] + draw(WRONG) + body[end:]
    if kind == "huge":
        return body[:start] + draw(HUGE) + body[end:]
    if kind == "truncate":
        return body[: draw(st.integers(0, max(0, len(body) - 1)))]
    if kind == "dup":  # a key given twice, the second time with a hostile value
        return body[:-1] + b',"market_id":' + draw(WRONG) + b"}" if body.endswith(b"}") else body
    return draw(st.binary(max_size=200))


def _call(name: str, raw: bytes) -> None:
    parse, may_raise = PARSERS[name]
    try:
        parse(raw)
    except O2Error:
        if not may_raise:
            raise
    # anything else propagates and fails the test, with the body in Hypothesis' report


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(data=st.data())
def test_only_o2_errors_leave_a_parser(
    name: str, data: st.DataObject, real_bodies: dict[str, bytes]
) -> None:
    seeds = [*real_bodies.values(), *_frames()]
    raw = data.draw(st.one_of(mutated(seeds), st.binary(max_size=300)), label="body")
    _call(name, raw)


@pytest.mark.parametrize("raw", [
    b'{"tx_id":"0x12\xff"}',
    b'{"message":"\xff"}',
    b'{"a":' * 994 + b"1" + b"}" * 994,
    b"[" * 100_000,
    b'{"code":1,"message":' + b"[" * 3000 + b"]" * 3000 + b"}",
    b'{"markets":[' + b'{"base":' * 2000 + b"}" * 2000 + b"]}",
], ids=["utf8-tx-id", "utf8-message", "nested-994", "open-100k", "nested-message",
        "nested-markets"])
def test_the_measured_hostile_bodies_are_protocol_errors(raw: bytes) -> None:
    """The bodies from the fuzzing report: each a clean outcome for every parser."""
    for name in PARSERS:
        _call(name, raw)
    assert isinstance(http.classify(_ok(raw)).error, (O2Error, type(None)))
    with pytest.raises(O2Error) as info:
        replies.parse(_ok(raw), models.MarketsResponse)
    assert len(str(info.value)) < 400  # a short excerpt, not the whole body


def test_the_recorded_session_covers_every_endpoint(real_bodies: dict[str, bytes]) -> None:
    """The seeds are real: the session reached each kind of reply."""
    paths = set(real_bodies)
    for path in ("/v1/markets", "/v1/depth", "/v1/trades", "/v1/bars", "/v1/balance",
                 "/v1/orders", "/v1/order", "/v1/session", "/v1/session/actions",
                 "/v1/accounts"):
        assert path in paths, sorted(paths)
