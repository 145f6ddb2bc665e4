"""Nonce-ordered submissions: every exit settles its reservation, nothing ever hangs."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from o2_core.errors import ProtocolError, TransportError, UnknownSubmissionOutcome
from o2_core.http import Reply, Request, Response, classify
from o2_core.models import decode
from o2_core.sequencer import AccountSequencer

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


class Chain:
    """The exchange's nonce, and what each submission does to it."""

    def __init__(self) -> None:
        self.nonce = 7
        self.sent: list[int] = []
        self.reads = 0

    async def read(self) -> int:
        self.reads += 1
        await anyio.sleep(0)
        return self.nonce

    def build(self, nonce: int) -> Request:
        return Request("POST", f"http://x/{nonce}", body=str(nonce).encode(), idempotent=False)

    async def accept(self, request: Request) -> Reply:
        nonce = int(request.body or b"0")
        await anyio.sleep(0)
        assert nonce == self.nonce, f"sent nonce {nonce}, the chain expects {self.nonce}"
        self.sent.append(nonce)
        self.nonce += 1
        return classify(Response(200, b'{"n": %d}' % nonce))


def n_of(body: bytes) -> int:
    return int(decode(body, dict)["n"])


async def test_concurrent_submissions_are_sent_in_nonce_order() -> None:
    chain = Chain()
    seq = AccountSequencer(chain.read)
    results: list[int] = []

    async def one() -> None:
        results.append(await seq.submit(chain.build, chain.accept, n_of))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            for _ in range(20):
                tg.start_soon(one)
    assert chain.sent == list(range(7, 27)) and sorted(results) == chain.sent
    assert chain.reads == 1 and await seq.current() == 27


@pytest.mark.parametrize("failure", ["bad_utf8_body", "deep_body", "transport", "unknown",
                                     "error_reply", "decoder_bug"])
async def test_every_failure_settles_and_the_next_submission_goes_through(failure: str) -> None:
    chain = Chain()
    seq = AccountSequencer(chain.read)

    async def faulty(request: Request) -> Reply:
        nonce = int(request.body or b"0")
        chain.sent.append(nonce)
        if failure == "bad_utf8_body":
            chain.nonce += 1  # it executed, but the reply is garbage
            return classify(Response(200, b'{"n":"0x12\xff"}'))
        if failure == "deep_body":
            chain.nonce += 1
            return classify(Response(200, b'{"a":' * 1000 + b"1" + b"}" * 1000))
        if failure == "transport":
            raise TransportError("connection reset")
        if failure == "unknown":
            chain.nonce += 1
            raise UnknownSubmissionOutcome("no reply")
        if failure == "error_reply":
            raise ProtocolError("HTTP 500")
        raise ZeroDivisionError("a bug in a decoder")

    def decoder(body: bytes) -> int:
        return n_of(body)

    with anyio.fail_after(5):
        with pytest.raises((ProtocolError, TransportError, ZeroDivisionError)):
            await seq.submit(chain.build, faulty, decoder)
        assert seq.tracker.needs_sync  # the nonce is re-read before the next signature
        assert await seq.submit(chain.build, chain.accept, n_of) == chain.nonce - 1
        assert await seq.refresh() == chain.nonce


async def test_a_submission_cancelled_in_flight_forces_a_reread() -> None:
    chain = Chain()
    seq = AccountSequencer(chain.read)
    started = anyio.Event()

    async def hang(request: Request) -> Reply:
        chain.nonce += 1  # the exchange got it
        started.set()
        await anyio.sleep_forever()
        raise AssertionError

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(seq.submit, chain.build, hang, n_of)
            await started.wait()
            tg.cancel_scope.cancel()
        assert await seq.submit(chain.build, chain.accept, n_of) == 8


async def test_signing_failure_and_cancellation_while_waiting_give_the_nonce_back() -> None:
    chain = Chain()
    seq = AccountSequencer(chain.read)

    def broken(nonce: int) -> Request:
        raise ValueError("the signer refused")

    with anyio.fail_after(5):
        with pytest.raises(ValueError):
            await seq.submit(broken, chain.accept, n_of)
        assert not seq.tracker.needs_sync and await seq.current() == 7  # nothing to re-read
        gate = anyio.Event()

        async def slow(request: Request) -> Reply:
            await gate.wait()
            return await chain.accept(request)

        async with anyio.create_task_group() as tg:
            tg.start_soon(seq.submit, chain.build, slow, n_of)  # takes 7, waits at the gate
            await anyio.sleep(0.01)
            with anyio.move_on_after(0.01):  # 8 waits its turn, then is cancelled
                await seq.submit(chain.build, chain.accept, n_of)
            gate.set()
        assert chain.sent == [7]
        assert await seq.submit(chain.build, chain.accept, n_of) == 8


async def test_stale_reservations_are_signed_again_never_resent() -> None:
    chain = Chain()
    seq = AccountSequencer(chain.read)
    built: list[int] = []

    def build(nonce: int) -> Request:
        built.append(nonce)
        return chain.build(nonce)

    async def reject_first(request: Request) -> Reply:
        if not chain.sent and int(request.body or b"0") == 7:
            await anyio.sleep(0.02)  # meanwhile 8 and 9 are signed and wait their turn
            chain.sent.append(7)
            chain.nonce += 1  # reverted on chain: the nonce is consumed
            raise ProtocolError("reverted")
        return await chain.accept(request)

    results: list[Any] = []

    async def one() -> None:
        try:
            results.append(await seq.submit(build, reject_first, n_of))
        except ProtocolError as err:
            results.append(err)

    with anyio.fail_after(5):
        assert await seq.current() == 7
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(one)
    assert chain.sent == [7, 8, 9]  # each nonce went out once
    assert sorted(r for r in results if isinstance(r, int)) == [8, 9]
    assert built == [7, 8, 9, 8, 9]  # 8 and 9 went stale with the failure: signed again
