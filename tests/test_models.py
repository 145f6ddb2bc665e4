"""Wire models: every Struct round-trips, accepts the wire's variants, and fails only cleanly.

Strategies are derived from ``msgspec.inspect`` so a field added to a model is covered
without touching this file.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest
import wire_bodies
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from o2_core import depth, market_models, models
from o2_core.errors import InvalidInput, O2Error, ProtocolError
from o2_core.models import Id, Identity

#: Built by the frame decoder from two frame shapes (a snapshot or signed changes), not
#: decoded from JSON of their own.
NOT_DECODED = {"DepthUpdate"}
WIRE_MODELS: list[type[msgspec.Struct]] = sorted(
    (
        cls
        for mod in (models, market_models, depth, wire_bodies)
        for cls in vars(mod).values()
        if isinstance(cls, type)
        and issubclass(cls, msgspec.Struct)
        and cls.__module__ == mod.__name__
        and cls.__name__ not in NOT_DECODED
    ),
    key=lambda c: c.__name__,
)
MODEL_IDS = [c.__name__ for c in WIRE_MODELS]

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
HEX32 = st.binary(min_size=32, max_size=32).map(bytes.hex)
IDS = st.one_of(HEX32, st.binary(min_size=1, max_size=40).map(bytes.hex)).map(
    lambda h: Id("0x" + h)
)
JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), TEXT
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
#: Fields whose text must parse: the chain id is a u64 in hex.
FIELD_VALUES = {
    "chain_id": st.integers(0, 2**64 - 1).map(hex),
    "maker_fee": st.decimals(min_value=0, allow_nan=False, allow_infinity=False),
    "taker_fee": st.decimals(min_value=0, allow_nan=False, allow_infinity=False),
}
#: Examples per model and property: 44 models x 5 properties keeps the file near 15 s.
PER_MODEL = settings(max_examples=30)


def test_every_wire_model_is_covered() -> None:
    assert len(WIRE_MODELS) >= 40
    for name in ("Order", "Trade", "DepthSnapshot", "DepthChanges", "MarketsResponse",
                 "ActionsBody", "Balance"):
        assert name in MODEL_IDS


# --- strategies from msgspec type info ----------------------------------------------


def values_of(t: mi.Type) -> st.SearchStrategy[Any]:
    if isinstance(t, mi.IntType):
        low = 0 if t.ge is None else t.ge
        return st.integers(low, 2**64 - 1 if t.le is None else t.le)
    if isinstance(t, mi.StrType):
        return TEXT
    if isinstance(t, mi.BoolType):
        return st.booleans()
    if isinstance(t, mi.DecimalType):
        return st.decimals(allow_nan=False, allow_infinity=False)
    if isinstance(t, mi.NoneType):
        return st.none()
    if isinstance(t, mi.CustomType):
        assert t.cls is Id, t
        return IDS
    if isinstance(t, mi.UnionType):
        return st.one_of(*(values_of(x) for x in t.types))
    if isinstance(t, mi.ListType):
        return st.lists(values_of(t.item_type), max_size=3)
    if isinstance(t, mi.VarTupleType):
        return st.lists(values_of(t.item_type), max_size=3).map(tuple)
    if isinstance(t, mi.DictType):
        return st.dictionaries(values_of(t.key_type), values_of(t.value_type), max_size=3)
    if isinstance(t, mi.AnyType):
        return JSON_VALUES
    if isinstance(t, mi.StructType):
        return structs(t)
    raise AssertionError(f"no strategy for {t!r}: extend tests/test_models.py")


def structs(t: mi.StructType) -> st.SearchStrategy[Any]:
    if t.cls is models.MarketAsset:  # max_precision never exceeds decimals
        return st.integers(0, 19).flatmap(
            lambda decimals: st.builds(
                models.MarketAsset, symbol=TEXT, asset=IDS,
                decimals=st.just(decimals), max_precision=st.integers(0, decimals),
            )
        )
    if t.cls is Identity:
        return st.one_of(
            IDS.map(lambda i: Identity(address=i)), IDS.map(lambda i: Identity(contract_id=i))
        )

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        kwargs = {}
        for f in t.fields:
            if f.required or draw(st.booleans()):
                kwargs[f.name] = draw(FIELD_VALUES.get(f.name, values_of(f.type)))
        try:
            return t.cls(**kwargs)
        except ValueError:  # a model's own checks (a market's fees, precision, ...)
            reject()

    return build()


def wire_form(value: Any, t: mi.Type, draw: st.DrawFn) -> Any:
    """The JSON the server may send for ``value``: u64 as string or number, ids in any case."""
    if isinstance(t, mi.UnionType):
        return wire_form(value, _member(value, t), draw)
    if isinstance(t, mi.IntType):
        return draw(st.sampled_from([value, str(value)]))
    if isinstance(t, mi.CustomType):
        return draw(st.sampled_from(["0x", "0X", ""])) + random_case(value[2:], draw)
    if isinstance(t, mi.DecimalType):
        return str(value)
    if isinstance(t, (mi.ListType, mi.VarTupleType)):
        return [wire_form(v, t.item_type, draw) for v in value]
    if isinstance(t, mi.DictType):
        return {k: wire_form(v, t.value_type, draw) for k, v in value.items()}
    if isinstance(t, mi.StructType):
        return {
            f.encode_name: wire_form(getattr(value, f.name), f.type, draw)
            for f in t.fields
            if not (getattr(value, f.name) is None and draw(st.booleans()))
        }
    return value


def random_case(digits: str, draw: st.DrawFn) -> str:
    mask = draw(st.integers(0, 2 ** len(digits) - 1))
    return "".join(c.upper() if mask >> i & 1 else c for i, c in enumerate(digits))


def _member(value: Any, t: mi.UnionType) -> mi.Type:
    for member in t.types:
        if (
            (value is None and isinstance(member, mi.NoneType))
            or (isinstance(member, mi.StructType) and isinstance(value, member.cls))
            or (isinstance(value, Id) and isinstance(member, mi.CustomType))
            or (
                type(value) is str
                and isinstance(member, mi.StrType)
            )
            or (type(value) is int and isinstance(member, mi.IntType))
            or (isinstance(value, Decimal) and isinstance(member, mi.DecimalType))
            or (isinstance(value, list) and isinstance(member, mi.ListType))
            or (isinstance(value, tuple) and isinstance(member, mi.VarTupleType))
            or (isinstance(value, dict) and isinstance(member, mi.DictType))
            or (isinstance(value, bool) and isinstance(member, mi.BoolType))
        ):
            return member
    raise AssertionError(f"{value!r} matches no member of {t!r}")


@pytest.mark.parametrize("cls", WIRE_MODELS, ids=MODEL_IDS)
@PER_MODEL
@given(data=st.data())
def test_encode_decode_round_trip(cls: type[msgspec.Struct], data: st.DataObject) -> None:
    info = mi.type_info(cls)
    value = data.draw(values_of(info))
    assert models.decode(models.encode(value), cls) == value


@pytest.mark.parametrize("cls", WIRE_MODELS, ids=MODEL_IDS)
@PER_MODEL
@given(data=st.data())
def test_wire_variants_decode_to_the_same_value(
    cls: type[msgspec.Struct], data: st.DataObject
) -> None:
    info = mi.type_info(cls)
    value = data.draw(values_of(info))
    wire = wire_form(value, info, data.draw)
    text = json.dumps(wire)
    decoded = models.decode(text.encode(), cls)
    assert decoded == value
    assert models.decode(text, cls) == value  # str input too


@pytest.mark.parametrize("cls", WIRE_MODELS, ids=MODEL_IDS)
@PER_MODEL
@given(raw=st.binary(max_size=200))
def test_arbitrary_bytes_fail_cleanly(cls: type[msgspec.Struct], raw: bytes) -> None:
    try:
        decoded = models.decode(raw, cls)
    except ProtocolError:
        return
    assert isinstance(decoded, cls)


def json_ish(cls: type[msgspec.Struct]) -> st.SearchStrategy[str]:
    names = [f.encode_name for f in mi.type_info(cls).fields] + ["Address", "ContractId"]
    objects = st.dictionaries(st.sampled_from(names) | TEXT, JSON_VALUES, max_size=6)
    return st.one_of(
        objects.map(json.dumps),
        JSON_VALUES.map(json.dumps),
        TEXT,
        objects.map(json.dumps).map(lambda s: s[: len(s) // 2]),
    )


@pytest.mark.parametrize("cls", WIRE_MODELS, ids=MODEL_IDS)
@PER_MODEL
@given(data=st.data())
def test_json_ish_text_fails_cleanly(cls: type[msgspec.Struct], data: st.DataObject) -> None:
    text = data.draw(json_ish(cls))
    try:
        decoded = models.decode(text.encode(), cls)
    except O2Error as err:
        assert isinstance(err, ProtocolError)
        return
    assert isinstance(decoded, cls)


@pytest.mark.parametrize("cls", WIRE_MODELS, ids=MODEL_IDS)
@PER_MODEL
@given(data=st.data())
def test_corrupted_valid_bodies_fail_cleanly(
    cls: type[msgspec.Struct], data: st.DataObject
) -> None:
    body = bytearray(models.encode(data.draw(values_of(mi.type_info(cls)))))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(body) - 1))
        body[pos] = data.draw(st.sampled_from(b'"{}[],:0x-zZ \\'))
    try:
        decoded = models.decode(bytes(body), cls)
    except ProtocolError:
        return
    assert isinstance(decoded, cls)


# --- ids and identities -------------------------------------------------------------


@given(st.binary(min_size=32, max_size=32), st.data())
def test_ids_normalise(raw: bytes, data: st.DataObject) -> None:
    digits = random_case(raw.hex(), data.draw)
    text = data.draw(st.sampled_from(["0x", "0X", ""])) + digits
    ident = Id(text)
    assert str(ident) == "0x" + raw.hex()
    assert ident == text and ident == raw.hex().upper() and hash(ident) == hash("0x" + raw.hex())
    assert ident.to_bytes() == raw
    assert models.b256(text) == ident
    decoded = models.decode(json.dumps({"contract_id": text, "nonce": "1"}), models.NonceUpdate)
    assert str(decoded.contract_id) == "0x" + raw.hex()


@pytest.mark.parametrize("bad", ["", "0x", "zz", "0xabg1", " 0x ", "0x12 34", 12, None, b"ab"])
def test_bad_ids(bad: object) -> None:
    with pytest.raises(InvalidInput):
        Id(bad)  # type: ignore[arg-type]
    if isinstance(bad, (str, int)) or bad is None:
        body = json.dumps({"contract_id": bad, "nonce": 1})
        with pytest.raises(ProtocolError):
            models.decode(body, models.NonceUpdate)


@pytest.mark.parametrize("length", [1, 31, 33])
def test_b256_needs_32_bytes(length: int) -> None:
    with pytest.raises(InvalidInput, match="32 bytes"):
        models.b256("0x" + "ab" * length)
    with pytest.raises(InvalidInput):
        models.AddressIdentity("0x" + "ab" * length)
    with pytest.raises(InvalidInput):
        models.ContractIdentity("0x" + "ab" * length)


def test_identity() -> None:
    a = models.AddressIdentity("0x" + "AB" * 32)
    c = models.ContractIdentity("cd" * 32)
    assert a.to_dict() == {"Address": "0x" + "ab" * 32}
    assert c.to_dict() == {"ContractId": "0x" + "cd" * 32}
    assert (a.discriminant, c.discriminant) == (0, 1)
    assert not a.is_contract and c.is_contract
    assert c.address_bytes == b"\xcd" * 32
    assert models.encode(a) == b'{"Address":"0x' + b"ab" * 32 + b'"}'
    with pytest.raises(ValueError):
        Identity()
    with pytest.raises(ValueError):
        Identity(address=Id("0x01"), contract_id=Id("0x02"))
    both = json.dumps({"Address": "0x01", "ContractId": "0x02"})
    with pytest.raises(ProtocolError):
        models.decode(both, Identity)
    with pytest.raises(ProtocolError):
        models.decode(b"{}", Identity)


# --- model behaviour ----------------------------------------------------------------


def test_model_properties() -> None:
    changes = models.decode(
        b'{"buys":[{"price":"10","quantity":"0"},{"price":"9","quantity":5},'
        b'{"price":"8","quantity":"1"}],"sells":[{"price":"12","quantity":"3"},'
        b'{"price":"11","quantity":"0"},{"price":13,"quantity":"1"}]}',
        models.DepthSnapshot,
    )
    assert changes.best_bid == models.DepthLevel(9, 5)
    assert changes.best_ask == models.DepthLevel(12, 3)
    assert changes.buys is changes.bids and changes.sells is changes.asks
    assert models.DepthSnapshot().best_bid is None and models.DepthSnapshot().best_ask is None
    signed = models.decode(b'{"buys":[{"price":"10","quantity":"-4"}]}', models.DepthChanges)
    assert signed.buys == (models.DepthChange(10, -4),) and signed.sells == ()

    bal = models.Balance(trading_account_balance=1, total_locked=5, total_unlocked=7)
    assert (bal.available, bal.locked, bal.total) == (7, 5, 12)
    assert models.AccountInfo().exists is False and models.AccountInfo().nonce == 0
    info = models.decode(
        b'{"trade_account_id":"0x01","trade_account":{"owner":{"Address":"0x02"},"nonce":"9"}}',
        models.AccountInfo,
    )
    assert info.exists and info.nonce == 9
    assert models.MarketsResponse(markets=[], chain_id="0x1F").chain_id_int == 31
    assert models.MarketsResponse(markets=[], chain_id="42").chain_id_int == 42
    assert models.Bar(buy_volume=2, sell_volume=3, timestamp=7).volume == 5
    assert models.Bar(timestamp=7).time == 7
    assert models.ActionsResponse(tx_id=Id("0x01")).success
    assert not models.ActionsResponse(message="x").success
    assert models.FaucetResponse(message="ok").success
    assert not models.FaucetResponse(message="x", error="cooldown").success
    assert models.Order(order_id=Id("0x01")).is_open
    assert not models.Order(order_id=Id("0x01"), close=True).is_open
    assert models.WhitelistResponse(trade_account="t") == models.decode(
        b'{"tradeAccount":"t"}', models.WhitelistResponse
    )


def test_u64_strings_and_numbers() -> None:
    for form in ('"18446744073709551615"', "18446744073709551615"):
        order = models.decode(
            f'{{"order_id":"AB","price":{form},"quantity":"1","close":false}}', models.Order
        )
        assert order.price == 2**64 - 1 and order.order_id == "0xab"
    with pytest.raises(ProtocolError):
        models.decode(b'{"order_id":"ab","price":"12x"}', models.Order)
    with pytest.raises(ProtocolError):
        models.decode(b'{"order_id":"ab","price":true}', models.Order)
