"""The httpx (asyncio and trio) and aiohttp (asyncio) transports against a real local server."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import anyio
import httpx
import pytest
from transport_server import (
    BIG,
    BIG_TEXT,
    TransportTestServer,
    refused_port,
    running_server,
    silent_port,
)

import o2_transport_aiohttp
import o2_transport_httpx
from o2_core.errors import O2Error, RequestTimeout, TransportError
from o2_core.http import JSON_HEADERS, Request
from o2_core.transport import ConnectionClosed, Transport, WebSocketConnection
from o2_transport_aiohttp import AiohttpTransport
from o2_transport_httpx import HttpxTransport

CASES = [("httpx", "asyncio"), ("httpx", "trio"), ("aiohttp", "asyncio")]

Factory = Callable[..., Any]


@pytest.fixture(scope="module")
def server() -> Iterator[TransportTestServer]:
    with running_server() as srv:
        yield srv


@pytest.fixture(params=CASES, ids=["-".join(case) for case in CASES])
def case(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def anyio_backend(case: tuple[str, str]) -> str:
    return case[1]


@pytest.fixture
def new_transport(case: tuple[str, str]) -> Factory:
    return HttpxTransport if case[0] == "httpx" else AiohttpTransport


@asynccontextmanager
async def opened(factory: Factory, **kwargs: Any) -> AsyncIterator[Any]:
    transport = factory(**kwargs)
    try:
        yield transport
    finally:
        await transport.aclose()


@asynccontextmanager
async def websocket(transport: Any, url: str) -> AsyncIterator[WebSocketConnection]:
    conn = await transport.connect_websocket(url, 5.0)
    try:
        yield conn
    finally:
        await conn.close()


# --- REST ------------------------------------------------------------------------------

pytestmark = pytest.mark.anyio


async def test_json_reply_status_headers_and_bytes(
    server: TransportTestServer, new_transport: Factory
) -> None:
    with anyio.fail_after(10):
        async with opened(new_transport) as transport:
            assert isinstance(transport, Transport)
            response = await transport.request(Request("GET", server.base + "/json"), 5.0)
    assert response.status == 200
    assert response.body == b'{"ok": true, "items": [1, 2, 3]}'
    assert all(name == name.lower() for name in response.headers)
    assert response.headers["x-custom"] == "yes"
    assert response.header("X-Custom") == "yes"
    assert response.headers["x-multi"] == "a, b"
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["content-length"] == str(len(response.body))


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
async def test_method_headers_and_body_reach_the_server(
    server: TransportTestServer, new_transport: Factory, method: str
) -> None:
    body = b'{"a":1,"raw":"\xc3\xa9"}' if method != "DELETE" else None
    request = Request(
        method,
        server.base + "/echo?x=1&y=two",
        headers=(*JSON_HEADERS, ("X-Trace", "abc 123")),
        body=body,
        idempotent=False,
    )
    with anyio.fail_after(10):
        async with opened(new_transport) as transport:
            response = await transport.request(request, 5.0)
    assert response.status == 200
    echoed = json.loads(response.body)
    assert echoed["method"] == method
    assert echoed["path_qs"] == "/echo?x=1&y=two"
    assert echoed["headers"]["x-trace"] == "abc 123"
    assert echoed["headers"]["accept"] == "application/json"
    assert bytes.fromhex(echoed["body"]) == (body or b"")
    if body is not None:
        assert echoed["headers"]["content-type"] == "application/json"
        assert echoed["headers"]["content-length"] == str(len(body))


async def test_server_error_is_a_reply_not_an_exception(
    server: TransportTestServer, new_transport: Factory
) -> None:
    with anyio.fail_after(10):
        async with opened(new_transport) as transport:
            response = await transport.request(Request("GET", server.base + "/fail"), 5.0)
    assert response.status == 500
    assert response.body == b"boom"
    assert response.headers["content-type"].startswith("text/plain")


async def test_slow_reply_raises_request_timeout_promptly(
    server: TransportTestServer, new_transport: Factory
) -> None:
    with anyio.fail_after(10):
        async with opened(new_transport) as transport:
            started = time.monotonic()
            with pytest.raises(RequestTimeout) as info:
                await transport.request(Request("GET", server.base + "/sleep?s=5"), 0.3)
            elapsed = time.monotonic() - started
            # the transport stays usable after a timeout
            response = await transport.request(Request("GET", server.base + "/json"), 5.0)
    assert 0.25 <= elapsed < 2.0
    assert "/sleep" in str(info.value) and "GET" in str(info.value)
    assert response.status == 200


async def test_refused_connection_raises_transport_error(new_transport: Factory) -> None:
    url = f"http://127.0.0.1:{refused_port()}/v1/markets"
    with anyio.fail_after(10):
        async with opened(new_transport) as transport:
            with pytest.raises(TransportError) as info:
                await transport.request(Request("POST", url, body=b"{}"), 5.0)
    assert not isinstance(info.value, RequestTimeout)
    assert isinstance(info.value, O2Error)
    assert "POST" in str(info.value) and url in str(info.value)


# --- WebSocket -------------------------------------------------------------------------


async def test_ws_echo_unicode_and_large_outgoing_text(
    server: TransportTestServer, new_transport: Factory
) -> None:
    with anyio.fail_after(10):
        async with opened(new_transport) as transport, websocket(transport, server.ws_url) as ws:
            assert isinstance(ws, WebSocketConnection)
            await ws.send_text("hello")
            assert await ws.receive_text() == "hello"
            await ws.send_text('{"action":"subscribe_depth","price":"é✓"}')
            assert await ws.receive_text() == '{"action":"subscribe_depth","price":"é✓"}'
            payload = "L" + BIG_TEXT
            await ws.send_text(payload)
            assert await ws.receive_text() == payload


async def test_ws_large_and_fragmented_messages(
    server: TransportTestServer, new_transport: Factory
) -> None:
    with anyio.fail_after(10):
        async with opened(new_transport) as transport, websocket(transport, server.ws_url) as ws:
            await ws.send_text("big")
            big = await ws.receive_text()
            assert len(big) == BIG and big == BIG_TEXT
            await ws.send_text("fragmented")
            # the ping between the fragments is answered while the message is reassembled
            assert await ws.receive_text() == "frag-ment-ed"
            assert await ws.receive_text() == "pong:mid"
            await ws.send_text("big-fragmented")
            assert await ws.receive_text() == BIG_TEXT
            await ws.send_text("after")
            assert await ws.receive_text() == "after"


async def test_ws_frames_right_behind_the_handshake(
    server: TransportTestServer, new_transport: Factory
) -> None:
    with anyio.fail_after(10):
        async with (
            opened(new_transport) as transport,
            websocket(transport, server.ws_url + "?greet") as ws,
        ):
            assert await ws.receive_text() == "welcome"
            assert await ws.receive_text() == "pong:early"


async def test_ws_server_ping_is_answered(
    server: TransportTestServer, new_transport: Factory
) -> None:
    with anyio.fail_after(10):
        async with opened(new_transport) as transport, websocket(transport, server.ws_url) as ws:
            await ws.send_text("ping-me")
            assert await ws.receive_text() == "pong:srv-ping"


async def test_ws_client_ping_round_trip_with_a_concurrent_receiver(
    server: TransportTestServer, new_transport: Factory
) -> None:
    received: list[str] = []

    async def receive_all(ws: WebSocketConnection) -> None:
        try:
            while True:
                received.append(await ws.receive_text())
        except ConnectionClosed:
            received.append("<closed>")

    with anyio.fail_after(10):
        async with opened(new_transport) as transport:
            ws = await transport.connect_websocket(server.ws_url, 5.0)
            async with anyio.create_task_group() as tg:
                tg.start_soon(receive_all, ws)
                for _ in range(3):
                    with anyio.fail_after(2):
                        await ws.ping()
                await ws.send_text("still open")
                while "still open" not in received:
                    await anyio.sleep(0.01)
                await ws.close()
    assert received == ["still open", "<closed>"]


async def test_ws_concurrent_senders(server: TransportTestServer, new_transport: Factory) -> None:
    messages = {f"msg-{i}-" + "x" * (i * 997) for i in range(40)}
    with anyio.fail_after(10):
        async with opened(new_transport) as transport, websocket(transport, server.ws_url) as ws:
            async with anyio.create_task_group() as tg:
                for text in messages:
                    tg.start_soon(ws.send_text, text)
            echoed = {await ws.receive_text() for _ in messages}
    assert echoed == messages


async def test_ws_server_close_raises_connection_closed(
    server: TransportTestServer, new_transport: Factory
) -> None:
    with anyio.fail_after(10):
        async with opened(new_transport) as transport:
            ws = await transport.connect_websocket(server.ws_url, 5.0)
            await ws.send_text("one")
            await ws.send_text("close")
            assert await ws.receive_text() == "one"
            with pytest.raises(ConnectionClosed):
                await ws.receive_text()
            with pytest.raises(ConnectionClosed):
                await ws.receive_text()
            with pytest.raises(ConnectionClosed):
                await ws.send_text("too late")
            with pytest.raises(ConnectionClosed):
                await ws.ping()
            started = time.monotonic()
            await ws.close()
            await ws.close()
            assert time.monotonic() - started < 1.0


async def test_ws_dropped_connection_raises_connection_closed(
    server: TransportTestServer, new_transport: Factory
) -> None:
    with anyio.fail_after(10):
        async with opened(new_transport) as transport, websocket(transport, server.ws_url) as ws:
            await ws.send_text("drop")
            with pytest.raises(ConnectionClosed):
                await ws.receive_text()


async def test_ws_client_close_is_clean_idempotent_and_prompt(
    server: TransportTestServer, new_transport: Factory
) -> None:
    with anyio.fail_after(10):
        async with opened(new_transport) as transport:
            ws = await transport.connect_websocket(server.ws_url, 5.0)
            await ws.send_text("hi")
            assert await ws.receive_text() == "hi"
            closes_before = len(server.ws_close_codes)
            started = time.monotonic()
            await ws.close()
            await ws.close()
            assert time.monotonic() - started < 1.0
            with pytest.raises(ConnectionClosed):
                await ws.send_text("after close")
            with pytest.raises(ConnectionClosed):
                await ws.receive_text()
            while len(server.ws_close_codes) == closes_before:
                await anyio.sleep(0.01)
    assert server.ws_close_codes[-1] == 1000


async def test_ws_close_wakes_a_blocked_receiver_and_pinger(
    server: TransportTestServer, new_transport: Factory
) -> None:
    outcomes: list[str] = []

    async def expect_closed(call: Callable[[], Any], name: str) -> None:
        try:
            await call()
        except ConnectionClosed:
            outcomes.append(name)

    with anyio.fail_after(10):
        async with opened(new_transport) as transport:
            ws = await transport.connect_websocket(server.ws_url, 5.0)
            async with anyio.create_task_group() as tg:
                tg.start_soon(expect_closed, ws.receive_text, "receiver")
                await anyio.sleep(0.1)
                started = time.monotonic()
                await ws.close()
            assert time.monotonic() - started < 1.0
            # without a receiver nobody reads the pong: close() must release the pinger
            ws2 = await transport.connect_websocket(server.ws_url, 5.0)
            async with anyio.create_task_group() as tg:
                tg.start_soon(expect_closed, ws2.ping, "pinger")
                await anyio.sleep(0.1)
                await ws2.close()
    assert outcomes == ["receiver", "pinger"]


async def test_ws_message_over_max_size_closes_the_connection(
    server: TransportTestServer, new_transport: Factory
) -> None:
    with anyio.fail_after(10):
        async with (
            opened(new_transport, ws_max_size=BIG // 2) as transport,
            websocket(transport, server.ws_url) as ws,
        ):
            await ws.send_text("small")
            assert await ws.receive_text() == "small"
            await ws.send_text("big")
            with pytest.raises(ConnectionClosed):
                await ws.receive_text()


async def test_ws_invalid_utf8_closes_the_connection(
    server: TransportTestServer, new_transport: Factory
) -> None:
    with anyio.fail_after(10):
        async with opened(new_transport) as transport, websocket(transport, server.ws_url) as ws:
            await ws.send_text("bad-utf8")
            with pytest.raises(ConnectionClosed):
                await ws.receive_text()


async def test_ws_handshake_rejected_raises_transport_error(
    server: TransportTestServer, new_transport: Factory
) -> None:
    url = f"ws://127.0.0.1:{server.port}/json"
    with anyio.fail_after(10):
        async with opened(new_transport) as transport:
            with pytest.raises(TransportError) as info:
                await transport.connect_websocket(url, 5.0)
    assert not isinstance(info.value, RequestTimeout)
    assert url in str(info.value)


async def test_ws_refused_and_silent_servers(new_transport: Factory) -> None:
    with anyio.fail_after(10):
        async with opened(new_transport) as transport:
            with pytest.raises(TransportError) as refused:
                await transport.connect_websocket(f"ws://127.0.0.1:{refused_port()}/ws", 5.0)
            assert not isinstance(refused.value, RequestTimeout)
            with silent_port() as port:
                started = time.monotonic()
                with pytest.raises(RequestTimeout):
                    await transport.connect_websocket(f"ws://127.0.0.1:{port}/ws", 0.3)
                assert time.monotonic() - started < 2.0


async def test_tls_rest_and_websocket(server: TransportTestServer, case: tuple[str, str]) -> None:
    context = server.client_ssl_context()
    with anyio.fail_after(10):
        if case[0] == "httpx":
            transport: Any = HttpxTransport(ssl_context=context)
        else:
            connector = aiohttp.TCPConnector(ssl=context)
            transport = AiohttpTransport(aiohttp.ClientSession(connector=connector))
        try:
            response = await transport.request(Request("GET", server.tls_base + "/json"), 5.0)
            assert response.status == 200
            assert response.body == b'{"ok": true, "items": [1, 2, 3]}'
            async with websocket(transport, server.wss_url) as ws:
                await ws.send_text("big")
                assert await ws.receive_text() == BIG_TEXT
                await ws.send_text("fragmented")
                assert await ws.receive_text() == "frag-ment-ed"
                await ws.send_text("ping-me")
                assert await ws.receive_text() == "pong:mid"
                assert await ws.receive_text() == "pong:srv-ping"
        finally:
            await transport.aclose()
            if isinstance(transport, AiohttpTransport):
                await transport._get_session().close()


async def test_tls_untrusted_certificate_is_a_transport_error(
    server: TransportTestServer, new_transport: Factory
) -> None:
    with anyio.fail_after(10):
        async with opened(new_transport) as transport:
            with pytest.raises(TransportError) as rest:
                await transport.request(Request("GET", server.tls_base + "/json"), 5.0)
            with pytest.raises(TransportError) as ws:
                await transport.connect_websocket(server.wss_url, 5.0)
    assert not isinstance(rest.value, RequestTimeout)
    assert not isinstance(ws.value, RequestTimeout)


# --- ownership and the convenience client ------------------------------------------------


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_httpx_transport_closes_only_its_own_client(
    server: TransportTestServer, anyio_backend: str
) -> None:
    with anyio.fail_after(10):
        async with httpx.AsyncClient() as client:
            transport = HttpxTransport(client)
            response = await transport.request(Request("GET", server.base + "/json"), 5.0)
            assert response.status == 200
            await transport.aclose()
            assert not client.is_closed
        own = HttpxTransport()  # no client given: it owns an httpx connection pool
        await own.request(Request("GET", server.base + "/json"), 5.0)
        pool = own._pool._pool  # type: ignore[union-attr]  # httpcore's pool
        assert len(pool.connections) == 1  # kept alive for the next request
        await own.aclose()
        await own.aclose()
        assert pool.connections == []


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_aiohttp_transport_closes_only_its_own_session(
    server: TransportTestServer, anyio_backend: str
) -> None:
    with anyio.fail_after(10):
        async with aiohttp.ClientSession() as session:
            transport = AiohttpTransport(session)
            response = await transport.request(Request("GET", server.base + "/json"), 5.0)
            assert response.status == 200
            await transport.aclose()
            assert not session.closed
        own = AiohttpTransport()
        await own.aclose()  # nothing created yet
        await own.request(Request("GET", server.base + "/json"), 5.0)
        created = own._session
        assert created is not None and not created.closed
        await own.aclose()
        await own.aclose()
        assert created.closed


@pytest.mark.parametrize(
    ("module", "transport"),
    [
        (o2_transport_httpx, o2_transport_httpx.HttpxTransport),
        (o2_transport_aiohttp, o2_transport_aiohttp.AiohttpTransport),
    ],
)
def test_packages_export_an_o2client_bound_to_their_transport(module: Any, transport: Any) -> None:
    from o2_core import NetworkConfig
    from o2_core.client import O2Client as Core

    assert issubclass(module.O2Client, Core) and module.O2Client.__name__ == "O2Client"
    config = NetworkConfig("http://127.0.0.1:9", "ws://127.0.0.1:9/v1/ws")

    async def check() -> None:
        async with module.O2Client(custom_config=config) as client:
            assert isinstance(client.transport, transport)
            assert client.config is config

    anyio.run(check)


def test_each_transport_package_exports_a_real_o2client_class() -> None:
    from o2_core import O2Client as CoreClient

    for module, transport in (
        (o2_transport_httpx, o2_transport_httpx.HttpxTransport),
        (o2_transport_aiohttp, o2_transport_aiohttp.AiohttpTransport),
    ):
        cls = module.O2Client
        assert issubclass(cls, CoreClient) and cls.__module__ == module.__name__
        assert cls.default_transport_factory is transport
        assert isinstance(cls().transport, transport)


def test_the_default_transport_is_found_through_entry_points() -> None:
    from o2_core.transport import default_transport, transport_factories
    from o2_transport_memory import MemoryTransport

    assert {"httpx", "aiohttp", "memory"} <= set(transport_factories())
    assert isinstance(default_transport("http://o2.local"), MemoryTransport)
    assert isinstance(default_transport("https://api.o2.app"), HttpxTransport)


def test_a_client_makes_its_default_transport_only_when_first_needed() -> None:
    from o2_core import Network
    from o2_core import O2Client as CoreClient
    from o2_transport_memory import MemoryTransport

    client = CoreClient(network=Network.LOCAL)
    assert not client.api.has_transport
    assert isinstance(client.transport, MemoryTransport)
    assert client.transport is client.transport
