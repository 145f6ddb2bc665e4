"""Hypothesis strategies of valid bridge transactions and proofs, with what they encode."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from o2_core.bridge import encoding as enc
from o2_core.bridge import inspection as ins

U64 = 2**64 - 1
U256 = 2**256 - 1

b20 = st.binary(min_size=20, max_size=20)
b32 = st.binary(min_size=32, max_size=32)


@dataclass
class EvmCase:
    """A valid unsigned deposit and the values it was built from."""

    raw: bytes
    chain_id: int
    nonce: int
    priority_fee: int
    max_fee: int
    gas_limit: int
    messenger: bytes
    value: int
    method: str
    recipient: bytes
    is_contract: bool
    token: bytes | None
    amount: int
    permit: enc.EvmPermit | None

    @property
    def hex(self) -> str:
        return "0x" + self.raw.hex()


@st.composite
def evm_cases(draw: st.DrawFn) -> EvmCase:
    method = draw(st.sampled_from(["deposit", "depositWithPermit", "depositETH"]))
    max_fee = draw(st.integers(0, U256))
    priority = draw(st.integers(0, max_fee))
    recipient, is_contract = draw(b32), draw(st.booleans())
    token = None if method == "depositETH" else draw(b20)
    permit = None
    if method == "depositWithPermit":
        permit = enc.EvmPermit(
            draw(st.integers(0, U256)), draw(st.integers(0, 255)), draw(b32), draw(b32)
        )
    amount = draw(st.integers(0, U256))
    value = amount if token is None else 0
    case = EvmCase(
        b"",
        draw(st.integers(1, U256)),
        draw(st.integers(0, U256)),
        priority,
        max_fee,
        draw(st.integers(0, U256)),
        draw(b20),
        value,
        method,
        recipient,
        is_contract,
        token,
        amount,
        permit,
    )
    data = enc.messenger_calldata(recipient, is_contract, amount, token, permit)
    fields = enc.eip1559_fields(
        case.chain_id, case.nonce, priority, max_fee, case.gas_limit, case.messenger, value, data
    )
    case.raw = enc.encode_eip1559(fields)
    return case


@dataclass
class FuelInput:
    kind: str  # coin, contract, message
    values: dict[str, Any]

    def encode(self) -> bytes:
        v = self.values
        if self.kind == "coin":
            return enc.fuel_coin_input(
                v["tx_id"], v["index"], v["owner"], v["amount"], v["asset"], v["pointer"]
            )
        if self.kind == "contract":
            return enc.fuel_contract_input(
                v["contract"], v["tx_id"], v["index"], v["root1"], v["root2"], v["pointer"]
            )
        return enc.fuel_message_input(v["sender"], v["owner"], v["amount"], v["nonce"])

    def signed_form(self) -> bytes:
        """The input as the transaction id sees it (runtime fields zeroed)."""
        v = self.values
        if self.kind == "coin":
            return enc.fuel_coin_input(v["tx_id"], v["index"], v["owner"], v["amount"], v["asset"])
        if self.kind == "contract":
            return enc.fuel_contract_input(v["contract"])
        return self.encode()


@dataclass
class FuelOutput:
    kind: str  # contract, change, variable
    values: dict[str, Any]

    def encode(self) -> bytes:
        v = self.values
        if self.kind == "contract":
            return enc.fuel_contract_output(v["input_index"], v["root1"], v["root2"])
        if self.kind == "change":
            return enc.fuel_change_output(v["to"], v["asset"], v["amount"])
        return enc.fuel_variable_output(v["to"], v["amount"], v["asset"])

    def signed_form(self) -> bytes:
        v = self.values
        if self.kind == "contract":
            return enc.fuel_contract_output(v["input_index"])
        if self.kind == "change":
            return enc.fuel_change_output(v["to"], v["asset"])
        return enc.fuel_variable_output()


@dataclass
class FuelCase:
    """A valid unsigned withdrawal and the values it was built from."""

    raw: bytes
    chain_id: int
    max_inputs: int
    gas: int
    policies: dict[str, int]
    inputs: list[FuelInput]
    outputs: list[FuelOutput]
    gross: int
    asset_id: bytes
    registry: bytes
    sub_id: bytes
    destination: int
    recipient: bytes
    fee: int
    receipts_root: bytes = field(default=bytes(32))

    @property
    def hex(self) -> str:
        return "0x" + self.raw.hex()

    def build(self, signed_form: bool = False) -> bytes:
        """The transaction; with ``signed_form``, as its id sees it (no witnesses)."""
        offset = ins.fuel_script_data_offset(self.max_inputs)
        data = enc.fuel_withdraw_call_data(
            offset,
            self.gross,
            self.asset_id,
            self.registry,
            self.sub_id,
            self.destination,
            self.recipient,
            self.fee,
        )
        return enc.encode_fuel_script(
            self.gas,
            ins.fuel_call_script(offset),
            data,
            self.policies,
            [i.signed_form() if signed_form else i.encode() for i in self.inputs],
            [o.signed_form() if signed_form else o.encode() for o in self.outputs],
            witnesses=() if signed_form else (b"",),
            receipts_root=bytes(32) if signed_form else self.receipts_root,
        )


def _u(bits: int) -> st.SearchStrategy[int]:
    return st.integers(0, 2**bits - 1)


@st.composite
def fuel_inputs(draw: st.DrawFn, kind: str, contract: bytes | None = None) -> FuelInput:
    pointer = (draw(_u(32)), draw(_u(16)))
    if kind == "coin":
        values = {
            "tx_id": draw(b32),
            "index": draw(_u(16)),
            "owner": draw(b32),
            "amount": draw(_u(64)),
            "asset": draw(b32),
            "pointer": pointer,
        }
    elif kind == "contract":
        values = {
            "contract": contract if contract is not None else draw(b32),
            "tx_id": draw(b32),
            "index": draw(_u(16)),
            "root1": draw(b32),
            "root2": draw(b32),
            "pointer": pointer,
        }
    else:
        values = {
            "sender": draw(b32),
            "owner": draw(b32),
            "amount": draw(_u(64)),
            "nonce": draw(b32),
        }
    return FuelInput(kind, values)


@st.composite
def fuel_cases(draw: st.DrawFn) -> FuelCase:
    max_inputs = draw(st.integers(1, 300))
    registry = draw(b32)
    extra = draw(
        st.lists(st.sampled_from(["coin", "contract", "message"]), max_size=min(6, max_inputs - 1))
    )
    inputs = [draw(fuel_inputs(kind)) for kind in extra]
    inputs.insert(draw(st.integers(0, len(inputs))), draw(fuel_inputs("contract", registry)))
    contract_indexes = [i for i, x in enumerate(inputs) if x.kind == "contract"]
    outputs = []
    for kind in draw(st.lists(st.sampled_from(["contract", "change", "variable"]), max_size=6)):
        if kind == "contract":
            values = {
                "input_index": draw(st.sampled_from(contract_indexes)),
                "root1": draw(b32),
                "root2": draw(b32),
            }
        else:
            values = {"to": draw(b32), "amount": draw(_u(64)), "asset": draw(b32)}
        outputs.append(FuelOutput(kind, values))
    policies = {name: draw(_u(64)) for name in ("tip", "witnessLimit", "maturity", "owner")}
    policies = {k: v for k, v in policies.items() if draw(st.booleans())}
    policies["maxFee"] = draw(_u(64))
    policies["expiration"] = draw(_u(32))
    gross = draw(_u(64))
    recipient = draw(b20.filter(any))
    case = FuelCase(
        b"",
        draw(_u(64)),
        max_inputs,
        draw(_u(64)),
        policies,
        inputs,
        outputs,
        gross,
        draw(b32),
        registry,
        draw(b32),
        draw(_u(32)),
        recipient,
        draw(st.integers(0, gross)),
        draw(b32),
    )
    case.raw = case.build()
    return case


@dataclass
class ProofCase:
    proof: str
    key_id: str
    expires_at: int
    signer: str
    mac: bytes


@st.composite
def proof_cases(draw: st.DrawFn) -> ProofCase:
    key_id = draw(st.text(min_size=1, max_size=40))
    expires_at = draw(st.integers(1, 2**53 - 1))
    signer = "0x" + draw(st.one_of(b20, b32)).hex()
    mac = draw(b32)
    part = enc.proof_claims_part(1, key_id, expires_at, signer)
    return ProofCase(enc.encode_preparation_proof(part, mac), key_id, expires_at, signer, mac)
