"""The sans-I/O bridge protocol: requests and replies compared with the official client,
the public names, the models, and hostile replies."""

from __future__ import annotations

import dataclasses
import inspect
import json
from typing import Any
from unittest.mock import AsyncMock, MagicMock
from urllib.parse import urlencode

import aiohttp
import msgspec
import o2_sdk.bridge as official
import pytest
from hypothesis import given
from hypothesis import strategies as st
from o2_sdk.bridge import inspection as official_inspection
from o2_sdk.bridge import models as om

import o2_core.bridge as ours
from o2_core import crypto
from o2_core.bridge import inspection as our_inspection
from o2_core.bridge import models as m
from o2_core.bridge import protocol as p
from o2_core.bridge.errors import BridgeApiError, BridgeInvalidResponse
from o2_core.errors import ApiError, InvalidInput, ProtocolError
from o2_core.http import Request, Response
from o2_core.sim import ManualClock
from o2_core.sim.bridge import SEPOLIA, BridgeSim

from .conftest import T0, BridgeServer

BASE = "https://bridge.example/proxy"
A32 = "0x" + "11" * 32
B32 = "0x" + "22" * 32
EVM = "0x" + "33" * 20


# --- public names --------------------------------------------------------------------


def test_every_official_public_name_is_ours() -> None:
    for name in official.__all__:
        assert hasattr(ours, name), name
    for module, mine in ((om, m), (official_inspection, our_inspection)):
        for name, value in vars(module).items():
            if inspect.isclass(value) and dataclasses.is_dataclass(value):
                theirs = [f.name for f in dataclasses.fields(value)]
                counterpart = getattr(mine, name)
                if issubclass(counterpart, msgspec.Struct):
                    assert list(counterpart.__struct_fields__) == theirs, name
                else:
                    assert [f.name for f in dataclasses.fields(counterpart)] == theirs, name
    for name in (
        "parse_evm_unsigned_transaction",
        "parse_fuel_unsigned_transaction",
        "parse_preparation_proof",
    ):
        assert list(inspect.signature(getattr(official, name)).parameters) == list(
            inspect.signature(getattr(ours, name)).parameters
        )
    theirs_client = inspect.signature(official.FastBridgeClient.__init__).parameters
    mine_client = inspect.signature(ours.FastBridgeClient.__init__).parameters
    assert list(theirs_client) == list(mine_client)[: len(theirs_client)]
    for name, method in vars(official.FastBridgeClient).items():
        if not name.startswith("_") and callable(method):
            assert list(inspect.signature(method).parameters) == list(
                inspect.signature(getattr(ours.FastBridgeClient, name)).parameters
            ), name


def test_error_classes_fit_both_trees() -> None:
    error = BridgeApiError(404, "TRANSACTION_NOT_FOUND", "nope", {"a": 1})
    assert isinstance(error, ApiError) and (error.status, error.details) == (404, {"a": 1})
    assert str(error) == "nope"
    invalid = BridgeInvalidResponse(200, "bad")
    assert isinstance(invalid, ProtocolError) and invalid.bridge_code == "INVALID_RESPONSE"
    import pickle

    copy = pickle.loads(pickle.dumps(error))
    assert (copy.status, copy.bridge_code, copy.message, copy.details) == (
        404,
        "TRANSACTION_NOT_FOUND",
        "nope",
        {"a": 1},
    )


# --- requests: the same as the official client's -------------------------------------


async def official_request(call: str, *args: Any) -> dict[str, Any]:
    """What the official client sends for ``call(*args)`` (through a recording session)."""
    seen: dict[str, Any] = {}

    def request(method: str, url: str, **kwargs: Any) -> Any:
        seen.update(method=method, url=url, **kwargs)
        response = MagicMock()
        response.status = 500
        response.text = AsyncMock(return_value="{}")
        context = MagicMock()
        context.__aenter__ = AsyncMock(return_value=response)
        context.__aexit__ = AsyncMock(return_value=None)
        return context

    session = MagicMock(spec=aiohttp.ClientSession)
    session.request.side_effect = request
    client = official.FastBridgeClient(BASE + "/", session=session)
    with pytest.raises(official.BridgeApiError):
        await getattr(client, call)(*args)
    return seen


def same_request(ours_request: Request, theirs: dict[str, Any]) -> None:
    assert ours_request.method == theirs["method"]
    query = urlencode(theirs["params"])
    assert ours_request.url == theirs["url"] + ("?" + query if query else "")
    assert theirs["allow_redirects"] is False
    if theirs["json"] is None:
        assert ours_request.body is None
    else:
        assert json.loads(ours_request.body or b"") == theirs["json"]
        assert ("content-type", "application/json") in ours_request.headers
        assert ours_request.idempotent is False


PERMIT = ("12345", 27, "0x" + "01" * 32, "0x" + "02" * 32)
CALLS: list[tuple[str, tuple[Any, ...], tuple[Any, ...]]] = [
    ("get_info", (), ()),
    ("get_assets", (), ()),
    ("get_assets", (SEPOLIA,), (SEPOLIA,)),
    ("get_deposit_info", (SEPOLIA,), (SEPOLIA,)),
    ("get_deposit_info", (SEPOLIA, A32, "1000"), (SEPOLIA, A32, "1000")),
    ("get_deposit_status", (SEPOLIA, A32), (SEPOLIA, A32)),
    ("get_withdraw_info", (SEPOLIA, A32, "7"), (SEPOLIA, A32, 7)),
    ("get_withdraw_fee", (SEPOLIA, A32), (SEPOLIA, A32)),
    ("get_withdraw_status", (B32,), (B32,)),
    (
        "prepare_deposit",
        (om.DepositPrepareRequest(SEPOLIA, EVM, A32, "address", B32, "99"),),
        (m.DepositPrepareRequest(SEPOLIA, EVM, A32, "address", B32, "99"),),
    ),
    (
        "prepare_deposit",
        (
            om.DepositPrepareRequest(
                SEPOLIA, EVM, A32, "contract", B32, "99", om.DepositPermit(*PERMIT)
            ),
        ),
        (
            m.DepositPrepareRequest(
                SEPOLIA, EVM, A32, "contract", B32, 99, m.DepositPermit(*PERMIT)
            ),
        ),
    ),
    (
        "prepare_withdraw",
        (om.WithdrawPrepareRequest(SEPOLIA, A32, EVM, B32, "5000"),),
        (m.WithdrawPrepareRequest(SEPOLIA, A32, EVM, B32, 5000),),
    ),
    (
        "submit_deposit",
        (om.SubmitRequest("x.y", "0x02c0", "0x" + "ab" * 65),),
        (m.SubmitRequest("x.y", "0x02c0", "0x" + "ab" * 65),),
    ),
    (
        "submit_withdraw",
        (om.SubmitRequest("x.y", "0x00", "0x" + "ab" * 64),),
        (m.SubmitRequest("x.y", "0x00", "0x" + "ab" * 64),),
    ),
]


@pytest.mark.parametrize("call, theirs_args, our_args", CALLS)
@pytest.mark.anyio
async def test_requests_match_the_official_client(
    call: str, theirs_args: tuple[Any, ...], our_args: tuple[Any, ...]
) -> None:
    theirs = await official_request(call, *theirs_args)
    builder = getattr(p, call)
    same_request(builder(p.bridge_base_url(BASE + "/"), *our_args), theirs)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_exact_request_bytes() -> None:
    built = p.prepare_deposit(
        BASE,
        m.DepositPrepareRequest(SEPOLIA, EVM, A32, "address", B32, "99"),
    )
    assert built.url == BASE + "/v1/deposit/prepare"
    assert built.body == (
        b'{"sourceChainId":11155111,"from":"'
        + EVM.encode()
        + b'","to":"'
        + A32.encode()
        + b'","toType":"address","assetId":"'
        + B32.encode()
        + b'","amount":"99"}'
    )
    status = p.get_deposit_status(BASE, 1, A32)
    assert status.url == f"{BASE}/v1/deposit/status?sourceChainId=1&evmTxHash={A32}"
    assert status.headers == (("accept", "application/json"),) and status.idempotent


# --- replies: the same models as the official client's --------------------------------


def sim_replies() -> list[tuple[type[m.BridgeModel], type[Any], bytes]]:
    """A real reply of every endpoint, from the local bridge."""
    clock = ManualClock(T0)
    sim = BridgeSim(clock, seed=1)
    base = "http://b.test/bridge"
    evm, fuel = crypto.EvmWallet(b"\x05" * 32), crypto.Wallet(b"\x06" * 32)
    usdc = "0x" + sim.asset("USDC").asset_id.hex()
    out: list[tuple[type[m.BridgeModel], type[Any], bytes]] = []

    def send(request: Request, kind: type[m.BridgeModel], theirs: type[Any]) -> Any:
        reply = sim.process(request)
        assert 200 <= reply.status < 300, reply.body
        out.append((kind, theirs, reply.body))
        return p.parse_reply(reply, kind)

    send(p.get_info(base), m.InfoResponse, om.InfoResponse)
    send(p.get_assets(base), m.AssetsResponse, om.AssetsResponse)
    send(p.get_deposit_info(base, SEPOLIA, None, 5), m.DepositInfoResponse, om.DepositInfoResponse)
    prepared = send(
        p.prepare_deposit(
            base, m.DepositPrepareRequest(SEPOLIA, evm.evm_address, A32, "address", usdc, 5_000_000)
        ),
        m.DepositPrepareResponse,
        om.DepositPrepareResponse,
    )
    tx = our_inspection.parse_evm_unsigned_transaction(prepared.unsigned_transaction)
    sig = bytearray(evm.sign_digest(bytes.fromhex(tx.signing_digest[2:])))
    v = 27 + (sig[32] >> 7)
    sig[32] &= 0x7F
    submitted = send(
        p.submit_deposit(
            base,
            m.SubmitRequest(
                prepared.preparation_proof,
                prepared.unsigned_transaction,
                "0x" + sig.hex() + bytes([v]).hex(),
            ),
        ),
        m.DepositSubmitResponse,
        om.DepositSubmitResponse,
    )
    clock.advance(30)
    send(
        p.get_deposit_status(base, SEPOLIA, submitted.evm_tx_hash),
        m.DepositStatusResponse,
        om.DepositStatusResponse,
    )
    send(
        p.get_withdraw_info(base, SEPOLIA, usdc, 5_000_000),
        m.WithdrawInfoResponse,
        om.WithdrawInfoResponse,
    )
    send(p.get_withdraw_fee(base, SEPOLIA, usdc), m.WithdrawFeeResponse, om.WithdrawFeeResponse)
    prepared_w = send(
        p.prepare_withdraw(
            base, m.WithdrawPrepareRequest(SEPOLIA, fuel.b256_address, EVM, usdc, 5_000_000)
        ),
        m.WithdrawPrepareResponse,
        om.WithdrawPrepareResponse,
    )
    w_tx = our_inspection.parse_fuel_unsigned_transaction(prepared_w.unsigned_transaction, 0, 255)
    send(
        p.submit_withdraw(
            base,
            m.SubmitRequest(
                prepared_w.preparation_proof,
                prepared_w.unsigned_transaction,
                "0x" + fuel.sign_digest(bytes.fromhex(w_tx.transaction_id[2:])).hex(),
            ),
        ),
        m.WithdrawSubmitResponse,
        om.WithdrawSubmitResponse,
    )
    clock.advance(30)
    send(
        p.get_withdraw_status(base, w_tx.transaction_id),
        m.WithdrawStatusResponse,
        om.WithdrawStatusResponse,
    )
    return out


REPLIES = sim_replies()


@pytest.mark.parametrize("kind, theirs, body", REPLIES, ids=[k.__name__ for k, _, _ in REPLIES])
def test_replies_match_the_official_models(kind: Any, theirs: Any, body: bytes) -> None:
    payload = json.loads(body)
    mine = p.parse_reply(Response(200, body), kind)
    assert mine.to_dict() == theirs.from_dict(payload).to_dict() == payload
    assert kind.from_dict(payload) == mine
    assert m.encode(mine) == body  # the simulator writes exactly what the model encodes


def test_amounts_are_exact_ints_and_decimal_strings_on_the_wire() -> None:
    body = (
        b'{"destinationChainId":1,"assetId":"a","fee":"18446744073709551617",'
        b'"fuelBlockHeight":"7","observedAt":"t","configVersion":"c"}'
    )
    fee = p.parse_reply(Response(200, body), m.WithdrawFeeResponse)
    assert fee.fee == 2**64 + 1 and isinstance(fee.fee, int) and repr(fee.fee) == str(2**64 + 1)
    assert fee.to_dict()["fee"] == "18446744073709551617"
    for bad in (b'"-1"', b'"1.0"', b'" 1"', b'"1_000"', b"1", b'"0x10"', b'""', b'"\xd9\xa1"'):
        with pytest.raises(BridgeInvalidResponse):
            p.parse_reply(
                Response(200, body.replace(b'"18446744073709551617"', bad)), m.WithdrawFeeResponse
            )


def test_fields_assigned_later_still_travel_as_decimal_strings() -> None:
    request = m.DepositPrepareRequest(1, EVM, A32, "address", B32, "5")
    request.amount = 7
    request.permit = m.DepositPermit(1, 27, "0x", "0x")
    request.permit.deadline = 9
    assert request.to_dict()["amount"] == "7" and request.to_dict()["permit"]["deadline"] == "9"
    assert b'"amount":"7"' in m.encode(request)
    request.amount = -1
    with pytest.raises(InvalidInput):
        request.to_dict()


# --- errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, body",
    [
        (404, b'{"error": {"code": "TEST_CODE", "message": "test", "details": {"retry": false}}}'),
        (410, b'{"error": {"code": "GONE", "message": "gone"}}'),
        (502, b'{"error": "gateway error"}'),
        (502, b'{"error": null}'),
        (500, b'{"error": {"code": 5, "message": 6}}'),
        (503, b"[1, 2]"),
        (200, b"null"),
        (200, b"[]"),
        (200, b"{}"),
        (200, b"not json"),
        (502, b"<html>"),
    ],
)
@pytest.mark.anyio
async def test_errors_match_the_official_client(status: int, body: bytes) -> None:
    session = MagicMock(spec=aiohttp.ClientSession)
    response = MagicMock()
    response.status = status
    response.text = AsyncMock(return_value=body.decode())
    session.request.return_value.__aenter__ = AsyncMock(return_value=response)
    session.request.return_value.__aexit__ = AsyncMock(return_value=None)
    client = official.FastBridgeClient(BASE, session=session)
    with pytest.raises(official.BridgeApiError) as theirs:
        await client.get_info()
    with pytest.raises(BridgeApiError) as mine:
        p.parse_reply(Response(status, body), m.InfoResponse)
    assert (mine.value.status, mine.value.bridge_code, mine.value.details) == (
        theirs.value.status,
        theirs.value.bridge_code,
        theirs.value.details,
    )
    if b'"message": "' in body:
        assert str(mine.value) == str(theirs.value)
    assert isinstance(mine.value, ProtocolError) is (mine.value.bridge_code == "INVALID_RESPONSE")


def json_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=20,
    )


MODELS = [kind for kind, _, _ in REPLIES]


@given(st.integers(100, 599), st.binary(max_size=200), st.sampled_from(MODELS))
def test_hostile_bytes_raise_only_bridge_errors(status: int, body: bytes, kind: Any) -> None:
    try:
        p.parse_reply(Response(status, body), kind)
    except BridgeApiError as err:
        assert err.status == status


@given(st.integers(100, 599), json_values(), st.sampled_from(MODELS))
def test_hostile_json_raises_only_bridge_errors(status: int, value: Any, kind: Any) -> None:
    body = json.dumps(value).encode()
    try:
        p.parse_reply(Response(status, body), kind)
    except BridgeApiError as err:
        assert err.status == status


@pytest.mark.parametrize(
    "body", [b"[" * 100_000, b'{"a":' * 5000, b'"\xed\xa0\x80"', b"\xff", b"1e999", b"9" * 5000]
)
@pytest.mark.parametrize("status", [200, 500])
def test_absurd_bodies(body: bytes, status: int) -> None:
    with pytest.raises(BridgeInvalidResponse):
        p.parse_reply(Response(status, body), m.InfoResponse)


@given(st.sampled_from(REPLIES), st.data())
def test_a_field_of_the_wrong_type_is_an_invalid_response(
    reply: tuple[Any, Any, bytes], data: st.DataObject
) -> None:
    kind, _, body = reply
    payload = json.loads(body)
    key = data.draw(st.sampled_from(sorted(payload)))
    payload[key] = data.draw(
        st.sampled_from([[], {}, True, 1.5, "x", None]).filter(
            lambda v: not isinstance(payload[key], type(v)) or v == "x"
        )
    )
    try:
        parsed = p.parse_reply(Response(200, json.dumps(payload).encode()), kind)
    except BridgeInvalidResponse:
        return
    # accepted only where the model allows it: an optional field set to null, a free string
    assert payload[key] is None or isinstance(payload[key], str)
    assert parsed.to_dict().get(key, None) == payload[key]


# --- argument checks -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value, ok",
    [
        (1, "1"),
        ("18446744073709551615", "18446744073709551615"),
        (2**64, None),
        (0, None),
        ("-1", None),
        ("1e3", None),
        (1.0, None),
        (True, None),
        ("", None),
        ("١", None),
    ],
)
def test_amounts(value: Any, ok: str | None) -> None:
    if ok is None:
        with pytest.raises(InvalidInput):
            p.check_amount(value)
    else:
        assert p.check_amount(value) == ok


def test_evm_addresses() -> None:
    assert p.check_evm_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "a")
    assert p.check_evm_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "a")
    assert p.check_evm_address("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED", "a")
    for bad in ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "0x" + "1" * 39, "5a" * 20, None):
        with pytest.raises(InvalidInput):
            p.check_evm_address(bad, "a")


# --- the official client against the local bridge ---------------------------------------


@pytest.mark.anyio
async def test_the_official_client_runs_against_the_local_bridge(server: BridgeServer) -> None:
    from o2_sdk.crypto import fuel_compact_sign

    sim, key = server.sim, bytes.fromhex("44" * 32)
    fuel_owner = crypto.Wallet(key).b256_address
    evm_owner = crypto.EvmWallet(key).evm_address
    usdc = "0x" + sim.asset("USDC").asset_id.hex()
    async with official.FastBridgeClient(server.base) as client:
        assert (await client.get_info()).fuel.chain_id == "0"
        prepared = await client.prepare_deposit(
            om.DepositPrepareRequest(SEPOLIA, evm_owner, A32, "address", usdc, "1000000")
        )
        tx = official.parse_evm_unsigned_transaction(prepared.unsigned_transaction)
        signature = bytearray(fuel_compact_sign(key, bytes.fromhex(tx.signing_digest[2:])))
        signature.append(27 + (signature[32] >> 7))
        signature[32] &= 0x7F
        submitted = await client.submit_deposit(
            om.SubmitRequest(
                unsigned_transaction=prepared.unsigned_transaction,
                preparation_proof=prepared.preparation_proof,
                signature="0x" + signature.hex(),
            )
        )
        status = await client.get_deposit_status(SEPOLIA, submitted.evm_tx_hash)
        assert status.source.status == "pending"

        prepared_w = await client.prepare_withdraw(
            om.WithdrawPrepareRequest(SEPOLIA, fuel_owner, evm_owner, usdc, "1000000")
        )
        w_tx = official.parse_fuel_unsigned_transaction(
            prepared_w.unsigned_transaction, int(prepared_w.fuel_chain_id), 255
        )
        done = await client.submit_withdraw(
            om.SubmitRequest(
                unsigned_transaction=prepared_w.unsigned_transaction,
                preparation_proof=prepared_w.preparation_proof,
                signature="0x"
                + fuel_compact_sign(key, bytes.fromhex(w_tx.transaction_id[2:])).hex(),
            )
        )
        assert done.fuel_tx_id == w_tx.transaction_id
        with pytest.raises(official.BridgeApiError) as caught:
            await client.get_withdraw_status("0x" + "00" * 32)
        assert (caught.value.status, caught.value.bridge_code) == (404, "TRANSACTION_NOT_FOUND")
