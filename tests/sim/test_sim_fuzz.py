"""Malformed requests never get a 5xx: random and mutated bodies, queries and frames.

Every reply is a JSON error in the exchange's shape (``{"code", "message"}``, the revert
shape, or the faucet's ``{"error"}``), never exception text; the last-resort internal
error guard never fires; and the exchange's invariants still hold. In memory against
the engine on every route, and a smaller sample over loopback against ``o2_sim_server``.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import string
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import msgspec
import pytest
import websockets
from hypothesis import HealthCheck, example, given, settings, strategies

from o2_core import actions, http, models
from o2_core import actions as act
from o2_core.parallel_nonce import ParallelNonce
from o2_core.sim import Exchange
from o2_sim_server import SimServer

from .conftest import BASE, FUEL, P, Sim

#: (method, route); a route may name a variant of its body after ``#`` (the parallel
#: track's bodies share their paths with the sequential ones).
POSTS = [
    ("POST", "/v1/accounts"),
    ("PUT", "/v1/session"),
    ("POST", "/v1/session/actions"),
    ("POST", "/v1/session/actions#parallel"),
    ("POST", "/v1/session/actions#legacy"),
    ("POST", "/v1/accounts/withdraw"),
    ("POST", "/v1/accounts/withdraw#parallel"),
    ("POST", "/v1/accounts/upgrade"),
    ("POST", "/analytics/v1/whitelist"),
    ("POST", "/faucet"),
]
GETS = [
    "/v1/markets",
    "/v1/markets/summary",
    "/v1/markets/ticker",
    "/v1/depth",
    "/v1/trades",
    "/v1/trades_by_account",
    "/v1/bars",
    "/v1/accounts",
    "/v1/accounts/window",
    "/v1/balance",
    "/v1/orders",
    "/v1/order",
    "/analytics/v1/referral/code-info",
    "/v1/aggregated/assets",
    "/v1/aggregated/summary",
    "/v1/aggregated/ticker",
    "/v1/aggregated/orderbook",
    "/v1/aggregated/trades",
]
PARAMS = [
    "market_id", "precision", "limit", "count", "direction", "start_timestamp",
    "start_trade_id", "start_order_id", "contract", "account", "owner", "owner_contract",
    "trade_account_id", "asset_id", "address", "is_open", "order_id", "resolution", "from",
    "to", "code", "market_pair", "depth", "level", "nonce_session_id",
]  # fmt: skip
INVALID_UTF8 = [b"\xff", b"\xc3(", b"\xed\xa0\x80", b"\xf0\x28\x8c\xbc", b"\x80", b"\xc0\xaf"]


# --- the exchange under test -----------------------------------------------------------


class Bodies:
    """A populated exchange and one real, valid request of every kind."""

    def __init__(self) -> None:
        sim = Sim()
        self.sim = sim
        a, b = sim.new_trader(), sim.new_trader()
        resting = sim.place(a, P, "Buy", 50_000, 40 * FUEL)
        sim.place(b, P, "Sell", 50_100, 40 * FUEL)
        sim.place(b, P, "Sell", 50_000, 20 * FUEL)  # one trade
        self.trader = a
        ctx = sim.ctx(P)
        groups = [
            (
                P,
                [
                    sim.create(P, "Buy", 49_000, 40 * FUEL),
                    sim.create(
                        P,
                        "Sell",
                        60_000,
                        40 * FUEL,
                        models.LimitOrder(models.ChainInt(60_000), 2**40),
                    ),
                    actions.cancel_order(ctx, resting["order_id"]),
                    actions.settle_balance(ctx, a.trade_account_id),
                    actions.register_referer(ctx, b.trade_account_id),
                ],
            )
        ]
        assert a.session is not None
        prepared = [act.PreparedGroup(str(sim.by_pair[P].market_id), tuple(groups[0][1]))]
        soon = int(sim.clock.now) + 3600
        legacy = sim.new_trader()  # its parallel entry points revert (Revert(123))
        sim.ex.set_legacy(legacy.trade_account_id)
        assert legacy.session is not None
        settle = [act.PreparedGroup(str(sim.by_pair[P].market_id), (sim.settle(P, legacy),))]
        self.real: dict[str, http.Request] = {
            "/v1/session/actions": sim.actions_request(a, groups),
            "/v1/session/actions#parallel": http.post_actions(
                BASE,
                a.owner.b256_address,
                act.parallel_actions_body(prepared, ParallelNonce(1, soon, 0, 5), a.session, True),
            ),
            "/v1/session/actions#legacy": http.post_actions(
                BASE,
                legacy.owner.b256_address,
                act.parallel_actions_body(
                    settle, ParallelNonce(0, soon, 0, 0), legacy.session, True
                ),
            ),
            "/v1/accounts/withdraw#parallel": http.post_withdraw(
                BASE,
                a.owner.b256_address,
                act.parallel_withdraw_body(
                    a.owner,
                    a.trade_account_id,
                    models.ContractIdentity(b.trade_account_id),
                    sim.asset("fUSDC"),
                    1_000,
                    ParallelNonce(2, soon, 0, 0),
                    sim.chain_id,
                ),
            ),
            "/v1/accounts/upgrade": http.post_upgrade(
                BASE,
                a.owner.b256_address,
                act.upgrade_body(a.owner, a.trade_account_id, sim.nonce(a), sim.chain_id),
            ),
            "/v1/session": sim.session_request(a, [P])[0],
            "/v1/accounts/withdraw": http.post_withdraw(
                BASE,
                a.owner.b256_address,
                actions.withdraw_body(
                    a.owner,
                    a.trade_account_id,
                    models.AddressIdentity(a.owner.b256_address),
                    sim.asset("fUSDC"),
                    1_000_000,
                    sim.nonce(a),
                    sim.chain_id,
                ),
            ),
            "/v1/accounts": http.create_account(BASE, "0x" + "12" * 32),
            "/analytics/v1/whitelist": http.whitelist_account(BASE, a.trade_account_id),
            "/faucet": http.faucet_mint(BASE + "/faucet", contract=a.trade_account_id),
        }
        self.ids = [
            str(sim.by_pair[P].market_id),
            str(sim.by_pair[P].contract_id),
            a.trade_account_id,
            a.owner.b256_address,
            resting["order_id"],
            sim.asset("fUSDC"),
        ]


_BODIES: Bodies | None = None


def bodies() -> Bodies:
    """One shared exchange for every example (its state only grows; invariants hold)."""
    global _BODIES
    if _BODIES is None:
        _BODIES = Bodies()
    return _BODIES


class ErrorLog(logging.Handler):
    """Collects what the simulator logs at ERROR (its internal-error guard)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def internal_errors() -> Iterator[ErrorLog]:
    """Fails the test if the simulator's last-resort guard fired."""
    handler = ErrorLog()
    logger = logging.getLogger("o2_core.sim")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
    assert not handler.records, [r.getMessage() for r in handler.records]


# --- what a reply must look like -----------------------------------------------------


def check_error_body(status: int, body: bytes, path: str) -> None:
    """A 4xx reply in one of the exchange's error shapes, with no exception text."""
    assert 400 <= status < 500, (status, body[:300])
    decoded = json.loads(body.decode("utf-8"))
    assert isinstance(decoded, dict), body[:300]
    if "faucet" in path:
        assert set(decoded) == {"error"} and isinstance(decoded["error"], str)
    elif "code" in decoded:
        assert isinstance(decoded["code"], int) and isinstance(decoded["message"], str)
        assert 1001 <= decoded["code"] < 9000, decoded
    else:  # an on-chain revert
        assert isinstance(decoded["message"], str) and isinstance(decoded["reason"], str)
    text = body.decode("utf-8")
    for leak in ("Traceback", "Error(", "Exception", 'File "', "Internal error"):
        assert leak not in text, text[:300]
    assert len(body) < 20_000  # what the client sent is echoed clipped, if at all


def check_reply(status: int, body: bytes, path: str) -> None:
    assert status < 500, (status, body[:300])
    if status >= 400:
        check_error_body(status, body, path)
    else:
        json.loads(body.decode("utf-8"))


def send(ex: Exchange, method: str, path: str, body: bytes | None, headers: Any = ()) -> None:
    reply = ex.handle(http.Request(method, BASE + path, tuple(headers), body))
    check_reply(reply.status, reply.body, path)


# --- strategies ----------------------------------------------------------------------

HEX = strategies.text(alphabet="0123456789abcdefABCDEF", max_size=70).map(lambda s: "0x" + s)
LEAVES = strategies.one_of(
    strategies.none(),
    strategies.booleans(),
    strategies.integers(min_value=-(2**80), max_value=2**80),
    strategies.floats(allow_nan=False, allow_infinity=False),
    strategies.text(max_size=12),
    HEX,
    strategies.sampled_from(
        ["Buy", "Sell", "Spot", "Limit", "18446744073709551616", "-1", "1e400"]
    ),
    strategies.integers(min_value=1, max_value=6000).map(lambda n: "9" * n),
)
JSON_VALUES = strategies.recursive(
    LEAVES,
    lambda children: strategies.one_of(
        strategies.lists(children, max_size=4),
        strategies.dictionaries(strategies.text(max_size=10), children, max_size=4),
    ),
    max_leaves=12,
)


def paths_of(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a JSON document (the root included)."""
    out = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += paths_of(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            out += paths_of(value, (*prefix, index))
    return out


def replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    doc = copy.deepcopy(doc)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


def deleted(doc: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return {}
    doc = copy.deepcopy(doc)
    node = doc
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return doc


def odd_hex(value: Any) -> Any:
    """Hex strings made odd-length (or emptied), recursively."""
    if isinstance(value, str) and value.startswith("0x"):
        return value[:-1]
    if isinstance(value, dict):
        return {k: odd_hex(v) for k, v in value.items()}
    if isinstance(value, list):
        return [odd_hex(v) for v in value]
    return value


@strategies.composite
def mutated_body(draw: strategies.DrawFn, original: bytes) -> bytes:
    """A real body, damaged in one of many ways."""
    doc = json.loads(original)
    kind = draw(
        strategies.sampled_from(
            ["replace", "delete", "odd-hex", "utf8", "nest", "nest-inside", "truncate", "huge"]
        )
    )
    paths = paths_of(doc)
    path = draw(strategies.sampled_from(paths))
    if kind == "replace":
        return json.dumps(replaced(doc, path, draw(JSON_VALUES))).encode()
    if kind == "delete":
        return json.dumps(deleted(doc, path)).encode()
    if kind == "odd-hex":
        return json.dumps(replaced(doc, path, odd_hex(_get(doc, path)))).encode()
    if kind == "huge":
        number = draw(strategies.sampled_from([2**64, 2**64 - 1, -1, 10**30, 10**400]))
        value: Any = draw(
            strategies.sampled_from([number, str(number), float(min(number, 10**300))])
        )
        return json.dumps(replaced(doc, path, value)).encode()
    text = json.dumps(doc).encode()
    if kind == "utf8":
        quotes = [i for i, byte in enumerate(text) if byte == ord('"')]
        at = draw(strategies.sampled_from(quotes)) + 1
        return text[:at] + draw(strategies.sampled_from(INVALID_UTF8)) + text[at:]
    depth = draw(strategies.integers(min_value=20, max_value=3000))
    if kind == "nest":
        return b"[" * depth + text + b"]" * depth
    if kind == "nest-inside":
        return (
            json.dumps(replaced(doc, path, None))
            .encode()
            .replace(b"null", b"[" * depth + b"1" + b"]" * depth, 1)
        )
    return text[: draw(strategies.integers(min_value=0, max_value=max(0, len(text) - 1)))]


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


RAW_BODIES = strategies.one_of(
    strategies.binary(max_size=300),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    strategies.sampled_from(INVALID_UTF8).map(lambda b: b'{"tx_id":"0x12' + b + b'"}'),
    strategies.integers(min_value=1, max_value=5000).map(lambda n: b"[" * n + b"]" * n),
    strategies.integers(min_value=1, max_value=5000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
)


#: Header values a real HTTP client can send (over loopback); in memory anything goes.
HTTP_TEXT = strategies.text(alphabet=string.ascii_letters + string.digits + "-_.:/", max_size=70)
ANY_TEXT = strategies.text(max_size=10)


@strategies.composite
def post_request(
    draw: strategies.DrawFn, header_values: strategies.SearchStrategy[str] = ANY_TEXT
) -> tuple[str, str, bytes, list[tuple[str, str]]]:
    method, route = draw(strategies.sampled_from(POSTS))
    real = bodies().real[route]
    path = route.split("#")[0]
    headers = list(real.headers)
    body = draw(strategies.one_of(RAW_BODIES, mutated_body(real.body or b"{}")))
    if draw(strategies.booleans()):
        headers.append(("o2-owner-id", draw(strategies.one_of(HEX, header_values))))
    return method, path, body, headers


PARAM_VALUES = strategies.one_of(
    strategies.text(max_size=30),
    HEX,
    strategies.integers(min_value=-(2**70), max_value=2**70).map(str),
    strategies.integers(min_value=1, max_value=6000).map(lambda n: "9" * n),
    strategies.sampled_from(["asc", "desc", "true", "false", "1m", "1d", "10", "1000", "7", ""]),
)


@strategies.composite
def get_url(draw: strategies.DrawFn) -> str:
    path = draw(strategies.sampled_from(GETS))
    known = strategies.sampled_from(bodies().ids)
    params = draw(
        strategies.dictionaries(
            strategies.sampled_from(PARAMS), strategies.one_of(PARAM_VALUES, known), max_size=6
        )
    )
    return path + ("?" + urlencode(params) if params else "")


# --- REST in memory ------------------------------------------------------------------

#: ``O2_SIM_FUZZ_EXAMPLES=20000 pytest tests/sim/test_sim_fuzz.py`` for a longer campaign.
EXAMPLES = int(os.environ.get("O2_SIM_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(post_request())
@example(("POST", "/v1/accounts", b'{"tx_id":"0x12\xff"}', []))
@example(("PUT", "/v1/session", b"[" * 1000 + b"]" * 1000, []))
def test_rest_bodies_in_memory(request: tuple[str, str, bytes, list[tuple[str, str]]]) -> None:
    method, path, body, headers = request
    ex = bodies().sim.ex
    send(ex, method, path, body, headers)
    ex.check_invariants()


@FUZZ
@given(get_url(), strategies.sampled_from(["GET", "GET", "GET", "DELETE", "PATCH", "POST"]))
def test_rest_queries_in_memory(url: str, method: str) -> None:
    ex = bodies().sim.ex
    reply = ex.handle(http.Request(method, BASE + url))
    check_reply(reply.status, reply.body, url)
    ex.check_invariants()


@pytest.mark.parametrize(("method", "path"), POSTS)
@pytest.mark.parametrize(
    "body",
    [
        *(b'{"tx_id":"0x12' + bad + b'"}' for bad in INVALID_UTF8),
        b"[" * 1000 + b"]" * 1000,
        b'{"a":' * 1000 + b"1" + b"}" * 1000,
        b"[" * 100_000,
    ],
)
def test_measured_500s_are_4xx(method: str, path: str, body: bytes) -> None:
    """The bodies that answered 500 with a traceback on every POST/PUT route: 1002 now."""
    path = path.split("#")[0]
    ex = bodies().sim.ex
    reply = ex.handle(http.Request(method, BASE + path, http.JSON_HEADERS, body))
    check_error_body(reply.status, reply.body, path)
    if path != "/faucet":
        assert json.loads(reply.body)["code"] == 1002


def test_the_real_parallel_bodies_are_what_they_claim() -> None:
    """The fuzzed originals of the parallel track reach what they are for (on a fresh
    exchange): a batch and a typed withdrawal land, the legacy account's batch reverts
    with ``Revert(123)``, the current account's upgrade has nothing to do."""
    fresh = Bodies()
    ex = fresh.sim.ex
    for route in ("/v1/session/actions#parallel", "/v1/accounts/withdraw#parallel"):
        reply = ex.handle(fresh.real[route])
        assert reply.status == 200, (route, reply.body)
    legacy = ex.handle(fresh.real["/v1/session/actions#legacy"])
    assert json.loads(legacy.body)["message"] == "Transaction reverted: Revert(123)"
    upgrade = ex.handle(fresh.real["/v1/accounts/upgrade"])
    assert "No upgrade available" in json.loads(upgrade.body)["reason"]
    ex.check_invariants()


def test_odd_length_session_address_is_invalid_request() -> None:
    """``PUT /v1/session`` with an odd-length session address: 1001, not a 500."""
    sim = bodies().sim
    real = json.loads(bodies().real["/v1/session"].body or b"")
    for address in (real["session_id"]["Address"][:-1], "0x1", "0x" + "ab" * 31):
        payload = {**real, "session_id": {"Address": address}}
        reply = sim.send(
            http.put_session(BASE, bodies().trader.owner.b256_address, msgspec.json.encode(payload))
        )
        check_error_body(reply.status, reply.body, "/v1/session")
        assert json.loads(reply.body)["code"] == 1001


def test_a_simulator_bug_answers_a_bare_internal_error(
    monkeypatch: pytest.MonkeyPatch, internal_errors: ErrorLog
) -> None:
    """The last-resort guard: 500, ``{"code": 1000, "message": "Internal error"}``, logged."""
    sim = Sim()

    def broken(*args: Any) -> Any:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(sim.ex.engine, "ticker", broken)
    reply = sim.get("/v1/markets/ticker", market_id=str(sim.by_pair[P].market_id))
    assert reply.status == 500
    assert json.loads(reply.body) == {"code": 1000, "message": "Internal error"}
    assert b"secret" not in reply.body
    [record] = internal_errors.records
    assert record.exc_info is not None and "secret internal detail" in str(record.exc_info[1])
    internal_errors.records.clear()  # expected here


# --- WebSocket frames in memory ------------------------------------------------------


def real_frames() -> list[dict[str, Any]]:
    b = bodies()
    mid, trader = b.ids[0], b.trader.trade_account_id
    ident = [{"ContractId": trader}]
    return [
        {"action": "subscribe_depth", "market_id": mid, "precision": "10"},
        {"action": "subscribe_trades", "market_id": mid},
        {"action": "subscribe_orders", "identities": ident},
        {"action": "subscribe_balances", "identities": ident},
        {"action": "subscribe_nonce", "identities": ident},
        {"action": "unsubscribe_depth", "market_id": mid},
        {"action": "unsubscribe_nonce", "identities": ident},
    ]


@strategies.composite
def frame(draw: strategies.DrawFn) -> str | bytes:
    original = json.dumps(draw(strategies.sampled_from(real_frames()))).encode()
    data: bytes = draw(strategies.one_of(RAW_BODIES, mutated_body(original)))
    if draw(strategies.booleans()):
        return data  # a binary frame
    text = data.decode("utf-8", errors="surrogateescape")  # lone surrogates stay in
    return text


def check_frames(texts: list[str]) -> None:
    for text in texts:
        decoded = json.loads(text)
        assert isinstance(decoded, dict)
        if "code" in decoded:
            assert isinstance(decoded["code"], int) and isinstance(decoded["message"], str)
            assert decoded["code"] != 1000, decoded
            for leak in ("Traceback", "Error(", "Exception", 'File "'):
                assert leak not in decoded["message"]
        else:
            assert decoded["action"].startswith("subscribe_")


_CONN: list[Any] = []


@FUZZ
@given(frame())
@example("[" * 1000 + "]" * 1000)
@example(b'{"action":"subscribe_trades","market_id":"0x12\xff"}')
@example('{"action":"subscribe_depth","market_id":"\udcff"}')
def test_ws_frames_in_memory(data: str | bytes) -> None:
    ex = bodies().sim.ex
    if not _CONN or _CONN[0].closed:
        _CONN[:] = [ex.ws_connect()]
    conn = _CONN[0]
    ex.ws_receive(conn, data)
    replies = list(conn.outbox)
    conn.outbox.clear()
    assert len(replies) <= 1 and not conn.closed
    check_frames(replies)
    # the connection still works
    ex.ws_receive(conn, json.dumps({"action": "subscribe_trades", "market_id": bodies().ids[0]}))
    assert not conn.outbox or "code" not in json.loads(conn.outbox[-1])
    conn.outbox.clear()
    ex.check_invariants()


# --- over loopback -------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[SimServer]:
    with SimServer(bodies().sim.ex) as srv:
        yield srv


LOOPBACK = settings(
    max_examples=max(40, EXAMPLES // 8),
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)


# aiohttp refuses request lines over 8 KiB before the exchange sees them (a plain 400)
@LOOPBACK
@given(request=post_request(HTTP_TEXT), url=get_url().filter(lambda u: len(u) < 4000))
def test_rest_over_loopback(
    server: SimServer, request: tuple[str, str, bytes, list[tuple[str, str]]], url: str
) -> None:
    method, path, body, headers = request
    with httpx.Client(base_url=server.api_base, timeout=10) as client:
        reply = client.request(method, path, content=body, headers=dict(headers))
        check_reply(reply.status_code, reply.content, path)
        reply = client.get(url)
        check_reply(reply.status_code, reply.content, url)
    with server.locked() as ex:
        ex.check_invariants()


def test_oversized_body_over_loopback(server: SimServer) -> None:
    reply = httpx.post(server.api_base + "/v1/session/actions", content=b"[" * (2 << 20))
    assert reply.status_code == 413 and reply.json()["code"] == 1001


@LOOPBACK
@given(frames=strategies.lists(frame(), min_size=1, max_size=5))
def test_ws_frames_over_loopback(server: SimServer, frames: list[str | bytes]) -> None:
    async def run() -> None:
        async with websockets.connect(server.ws_url, max_size=None) as ws:
            for data in frames:
                if isinstance(data, str):
                    try:
                        data.encode("utf-8")
                    except UnicodeEncodeError:  # no TEXT frame can carry it: send bytes
                        data = data.encode("utf-8", errors="surrogateescape")
                await ws.send(data)
                ping = {"action": "subscribe_trades", "market_id": "not-a-market"}
                await ws.send(json.dumps(ping))
                replies = []
                while True:  # every frame is answered (or not) before the ping's error
                    reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    replies.append(reply)
                    if reply.get("message") == "Market not found: not-a-market":
                        break
                check_frames([json.dumps(r) for r in replies])

    asyncio.run(run())
    with server.locked() as ex:
        ex.check_invariants()


def test_text_frame_with_invalid_utf8_over_loopback(server: SimServer) -> None:
    """Not UTF-8 in a TEXT frame breaks the WebSocket protocol: closed with 1007 (RFC
    6455 §8.1); the same bytes in a BINARY frame get an error frame."""

    async def run() -> tuple[int | None, dict[str, Any]]:
        async with websockets.connect(server.ws_url) as ws:
            await ws.send(b'{"action":"subscribe_trades","market_id":"\xff"}')
            error = json.loads(await asyncio.wait_for(ws.recv(), 5))
            await ws.send(b'{"action":"\xff"}', text=True)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
            rcvd = closed.value.rcvd
            return (None if rcvd is None else rcvd.code), error

    code, error = asyncio.run(run())
    assert error["code"] == 1002 and code == 1007
