"""Offline inspection of what the Fast Bridge prepares: proofs and unsigned transactions.

Pure parsing. Nothing here authenticates anything: a preparation proof's MAC is not
verified, and a transaction that parses is not thereby safe to sign. Compare the parsed
intent (recipient, asset, amounts, fees, contracts) with independently trusted
expectations, then sign the digest derived here (``signing_digest`` for EVM deposits,
``transaction_id`` for Fuel withdrawals), never one the bridge hands you.

Every failure raises :class:`~o2_core.bridge.errors.BridgeInspectionError` (an
``InvalidInput``, so a ``ValueError``); nothing else escapes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

from ..signatures import keccak256, sha256
from .errors import BridgeInspectionError

#: Longest unsigned transaction accepted (hex characters, ``0x`` included).
MAX_TX_CHARS = 2 + 2 * 16384
#: Longest preparation proof accepted (characters).
MAX_PROOF_CHARS = 2048
#: Largest length or count field a Fuel transaction may carry here.
MAX_FUEL_COUNT = 16384
#: Largest ``expiresAt`` of a proof (JavaScript's ``Number.MAX_SAFE_INTEGER``).
MAX_SAFE_INTEGER = 2**53 - 1

_TX_HEX = re.compile(r"0x(?:[0-9a-fA-F]{2})+\Z")
_B64URL = re.compile(r"[A-Za-z0-9_-]+\Z")
_SIGNER = re.compile(r"0x(?:[0-9a-f]{40}|[0-9a-f]{64})\Z")


def _fail(message: str) -> BridgeInspectionError:
    return BridgeInspectionError(message)


def _hex(raw: bytes) -> str:
    return "0x" + raw.hex()


def _tx_bytes(value: object) -> bytes:
    if not isinstance(value, str) or len(value) > MAX_TX_CHARS or not _TX_HEX.match(value):
        raise _fail("an unsigned transaction must be 0x + 1..16384 bytes of hex")
    return bytes.fromhex(value[2:])


# --- preparation proofs --------------------------------------------------------------


@dataclass(frozen=True)
class PreparationProofClaims:
    """The UNAUTHENTICATED claims of a preparation proof.

    ``expires_at`` is in Unix seconds; an expired proof still parses.
    """

    version: int
    key_id: str
    expires_at: int
    signer: str


def _b64url(part: str) -> bytes:
    if not _B64URL.match(part):
        raise _fail("a preparation proof part is not unpadded base64url")
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise _fail("a preparation proof part is not valid base64url") from None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != part:
        raise _fail("a preparation proof part is not canonical base64url")
    return raw


def parse_preparation_proof(proof: str) -> PreparationProofClaims:
    """Decode a proof ``base64url(claims JSON) "." base64url(32-byte MAC)``.

    The claims must be exactly ``{version: 1, keyId, expiresAt, signer}``. The MAC is
    NOT verified: only the bridge can authenticate a proof and bind it to a transaction.

    Args:
        proof: the preparation proof, as the bridge sent it.

    Returns:
        The (unauthenticated) claims.

    Raises:
        BridgeInspectionError: not of that form.
    """
    if not isinstance(proof, str) or len(proof) > MAX_PROOF_CHARS:
        raise _fail(f"a preparation proof is a string of at most {MAX_PROOF_CHARS} characters")
    parts = proof.split(".")
    if len(parts) != 2:
        raise _fail("a preparation proof is two base64url parts joined by '.'")
    encoded_claims, encoded_mac = parts
    if len(_b64url(encoded_mac)) != 32:
        raise _fail("a preparation proof's MAC must be 32 bytes")
    try:
        claims = json.loads(_b64url(encoded_claims).decode("utf-8"))
    except (ValueError, RecursionError):
        raise _fail("a preparation proof's claims are not UTF-8 JSON") from None
    if not isinstance(claims, dict) or set(claims) != {"version", "keyId", "expiresAt", "signer"}:
        raise _fail("a preparation proof's claims must be version, keyId, expiresAt, signer")
    version, key_id = claims["version"], claims["keyId"]
    expires_at, signer = claims["expiresAt"], claims["signer"]
    if type(version) is not int or version != 1:
        raise _fail("unsupported preparation proof version")
    if not isinstance(key_id, str) or not key_id:
        raise _fail("a preparation proof's keyId must be a non-empty string")
    if type(expires_at) is not int or not 0 < expires_at <= MAX_SAFE_INTEGER:
        raise _fail("a preparation proof's expiresAt must be a positive safe integer")
    if not isinstance(signer, str) or not _SIGNER.match(signer):
        raise _fail("a preparation proof's signer must be lowercase 0x + 40 or 64 hex digits")
    return PreparationProofClaims(version, key_id, expires_at, signer)


# --- EVM deposits --------------------------------------------------------------------

#: The Messenger's deposit methods, ``name -> (ABI signature, number of 32-byte args)``.
EVM_METHODS: dict[str, tuple[str, int]] = {
    "deposit": ("deposit(bytes32,address,uint256,bool)", 4),
    "depositWithPermit": (
        "depositWithPermit(bytes32,address,uint256,uint256,uint8,bytes32,bytes32,bool)",
        8,
    ),
    "depositETH": ("depositETH(bytes32,bool)", 2),
}
#: 4-byte selector -> method name.
EVM_SELECTORS: dict[bytes, str] = {
    keccak256(signature.encode())[:4]: name for name, (signature, _) in EVM_METHODS.items()
}
#: Deepest RLP nesting looked at (a deposit needs 2, the fields and the access list).
MAX_RLP_DEPTH = 4

RlpItem = bytes | list["RlpItem"]
"""An RLP item, which is a byte string or a list of items."""


def rlp_decode(raw: bytes, max_depth: int = MAX_RLP_DEPTH) -> RlpItem:
    """The one canonical RLP item that ``raw`` is (no trailing bytes).

    Args:
        raw: the encoded bytes.
        max_depth: the deepest list nesting accepted.

    Returns:
        The item: bytes, or a list of items.

    Raises:
        BridgeInspectionError: truncated, trailing, non-canonical or too deeply nested.
    """
    item, end = _rlp_item(raw, 0, len(raw), 0, max_depth)
    if end != len(raw):
        raise _fail("trailing bytes after the RLP item")
    return item


def _rlp_item(raw: bytes, pos: int, end: int, depth: int, max_depth: int) -> tuple[RlpItem, int]:
    if depth >= max_depth:
        raise _fail("RLP nesting too deep")
    if pos >= end:
        raise _fail("truncated RLP")
    tag = raw[pos]
    pos += 1
    if tag < 0x80:
        return bytes((tag,)), pos
    is_list = tag >= 0xC0
    short_base = 0xC0 if is_list else 0x80
    if tag <= short_base + 55:
        length = tag - short_base
    else:
        size = tag - short_base - 55
        if pos + size > end:
            raise _fail("truncated RLP length")
        length_bytes = raw[pos : pos + size]
        pos += size
        length = int.from_bytes(length_bytes, "big")
        if length_bytes[0] == 0 or length < 56:
            raise _fail("non-canonical RLP length")
    if pos + length > end:
        raise _fail("truncated RLP payload")
    stop = pos + length
    if not is_list:
        payload = raw[pos:stop]
        if length == 1 and payload[0] < 0x80:
            raise _fail("non-canonical RLP: a single byte below 0x80 encoded as a string")
        return payload, stop
    items: list[RlpItem] = []
    while pos < stop:
        item, pos = _rlp_item(raw, pos, stop, depth + 1, max_depth)
        items.append(item)
    return items, stop


@dataclass(frozen=True)
class EvmPermitInspection:
    """The EIP-2612 permit carried by ``depositWithPermit``."""

    deadline: int
    v: int
    r: str
    s: str


@dataclass(frozen=True)
class EvmDepositInspection:
    """An unsigned EIP-1559 Messenger deposit, field by field.

    ``estimated_network_fee`` is ``gas_limit * max_fee_per_gas`` in wei: a cap, not the
    fee paid, without rollup L1 data fees. ``amount`` is in EVM token base units (or wei
    for ``depositETH``), not Fuel units. ``signing_digest`` is ``keccak256`` of the raw
    unsigned transaction: sign it as it is (no personal-sign prefix).
    """

    type: int
    chain_id: int
    nonce: int
    messenger_address: str
    value: int
    gas_limit: int
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    estimated_network_fee: int
    data: str
    method: str
    recipient: str
    recipient_is_contract: bool
    token_address: str | None
    amount: int
    permit: EvmPermitInspection | None
    signing_digest: str


def _evm_uint(item: RlpItem, what: str) -> int:
    if not isinstance(item, bytes) or len(item) > 32 or item[:1] == b"\x00":
        raise _fail(f"{what} is not a canonical RLP integer")
    return int.from_bytes(item, "big")


def parse_evm_unsigned_transaction(unsigned_transaction: str) -> EvmDepositInspection:
    """Parse an unsigned EIP-1559 transaction calling the Messenger's deposit methods.

    Accepts only ``0x02 || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas,
    gasLimit, to, value, data, []])`` with canonical RLP, a 20-byte ``to``, an empty
    access list, and calldata of ``deposit``, ``depositWithPermit`` or ``depositETH``.

    Args:
        unsigned_transaction: ``0x`` + the transaction's bytes, as the bridge sent it.

    Returns:
        The deposit, field by field, to check before signing.

    Raises:
        BridgeInspectionError: anything else.
    """
    raw = _tx_bytes(unsigned_transaction)
    if raw[0] != 0x02:
        raise _fail("only unsigned EIP-1559 (type 2) deposits are supported")
    fields = rlp_decode(raw[1:])
    if not isinstance(fields, list) or len(fields) != 9:
        raise _fail("an unsigned EIP-1559 transaction is a list of nine fields")
    if fields[8] != []:
        raise _fail("bridge deposits carry an empty access list")
    chain_id = _evm_uint(fields[0], "chainId")
    nonce = _evm_uint(fields[1], "nonce")
    priority_fee = _evm_uint(fields[2], "maxPriorityFeePerGas")
    max_fee = _evm_uint(fields[3], "maxFeePerGas")
    gas_limit = _evm_uint(fields[4], "gasLimit")
    to, value, data = fields[5], _evm_uint(fields[6], "value"), fields[7]
    if chain_id == 0 or priority_fee > max_fee:
        raise _fail("chainId is zero or maxPriorityFeePerGas exceeds maxFeePerGas")
    if not isinstance(to, bytes) or len(to) != 20:
        raise _fail("the transaction must call a 20-byte address")
    if not isinstance(data, bytes):
        raise _fail("the calldata is not a byte string")
    method = EVM_SELECTORS.get(data[:4])
    if method is None:
        raise _fail("the calldata calls no known Messenger deposit method")
    count = EVM_METHODS[method][1]
    if len(data) != 4 + 32 * count:
        raise _fail(f"{method} calldata must be {4 + 32 * count} bytes")
    words = [data[4 + 32 * i : 36 + 32 * i] for i in range(count)]
    flag = int.from_bytes(words[-1], "big")
    if flag > 1:
        raise _fail("recipientIsContract is not a canonical bool")
    token: str | None = None
    amount = value
    permit: EvmPermitInspection | None = None
    if method != "depositETH":
        if value != 0 or any(words[1][:12]):
            raise _fail("an ERC-20 deposit sends no ETH and names a 20-byte token")
        token, amount = _hex(words[1][12:]), int.from_bytes(words[2], "big")
        if method == "depositWithPermit":
            v = int.from_bytes(words[4], "big")
            if v > 255:
                raise _fail("the permit's v is not a canonical uint8")
            permit = EvmPermitInspection(
                int.from_bytes(words[3], "big"), v, _hex(words[5]), _hex(words[6])
            )
    return EvmDepositInspection(
        type=2,
        chain_id=chain_id,
        nonce=nonce,
        messenger_address=_hex(to),
        value=value,
        gas_limit=gas_limit,
        max_fee_per_gas=max_fee,
        max_priority_fee_per_gas=priority_fee,
        estimated_network_fee=gas_limit * max_fee,
        data=_hex(data),
        method=method,
        recipient=_hex(words[0]),
        recipient_is_contract=flag == 1,
        token_address=token,
        amount=amount,
        permit=permit,
        signing_digest=_hex(keccak256(raw)),
    )


# --- Fuel withdrawals ----------------------------------------------------------------

#: The Fast Bridge method the withdrawal script calls.
FUEL_WITHDRAW_METHOD = b"withdraw_via_fast_bridge_with_fee"
#: Policy names, by bit of the policy mask.
FUEL_POLICIES = ("tip", "witnessLimit", "maturity", "maxFee", "expiration", "owner")
#: Bytes before a Script transaction's script (type, gas limit, receipts root, six counts).
FUEL_SCRIPT_HEADER = 96
#: The single-CALL script is six 4-byte instructions.
FUEL_SCRIPT_SIZE = 24
#: Script data before the method name (amount, asset id, contract id, two pointers).
FUEL_CALL_HEADER = 88
#: Largest immediate of a ``MOVI`` (18 bits).
MAX_IMM18 = 0x3FFFF
U32_MAX = 2**32 - 1
U16_MAX = 2**16 - 1

_INPUT_COIN, _INPUT_CONTRACT, _INPUT_MESSAGE = 0, 1, 2
_OUTPUT_COIN, _OUTPUT_CONTRACT, _OUTPUT_CHANGE, _OUTPUT_VARIABLE = 0, 1, 2, 3


def fuel_script_data_offset(max_inputs: int) -> int:
    """The VM address of a Script transaction's script data (after a 24-byte script).

    The VM puts the tx id (32), the base asset id (32), ``max_inputs`` balance slots of
    40 bytes and the tx length (8) before the transaction.

    Args:
        max_inputs: the chain's consensus ``maxInputs``.

    Returns:
        The address.
    """
    return 72 + 40 * max_inputs + FUEL_SCRIPT_HEADER + FUEL_SCRIPT_SIZE


def fuel_call_script(data_offset: int) -> bytes:
    """The six instructions that CALL the contract described at VM address ``data_offset``.

    ``MOVI $r16, contract_id``; ``MOVI $r17, amount``; ``LW $r17, $r17, 0``;
    ``MOVI $r18, asset_id``; ``CALL $r16 $r17 $r18 $cgas``; ``RET $one``.

    Args:
        data_offset: the script data's VM address (:func:`fuel_script_data_offset`).

    Returns:
        The 24-byte script.
    """
    words = (
        0x72400000 | (data_offset + 40),
        0x72440000 | data_offset,
        0x5D451000,
        0x72480000 | (data_offset + 8),
        0x2D41148A,
        0x24040000,
    )
    return b"".join(w.to_bytes(4, "big") for w in words)


@dataclass(frozen=True)
class FuelInputInspection:
    """One input: ``coin`` and ``message`` carry owner, amount (coins: asset id) and
    witness index; ``contract`` carries the contract id."""

    type: str
    owner: str | None = None
    amount: int | None = None
    asset_id: str | None = None
    contract_id: str | None = None
    witness_index: int | None = None


@dataclass(frozen=True)
class FuelOutputInspection:
    """One output. Change and Variable amounts, and Variable ``to``/``asset_id``, are
    filled in by execution: they are not signed and guarantee nothing."""

    type: str
    to: str | None = None
    amount: int | None = None
    asset_id: str | None = None
    input_index: int | None = None


@dataclass(frozen=True)
class FuelNetworkFee:
    """The network fee cap, in the Fuel base asset (not the fee paid)."""

    max_fee: int


@dataclass(frozen=True)
class FuelWithdrawalInspection:
    """An unsigned Fuel withdrawal through the Fast Bridge, field by field.

    ``bridge_fee`` is the fee quote embedded in the call (execution may drift within the
    contract's tolerance); ``net_amount = gross_amount - bridge_fee`` is expected, not
    guaranteed. ``transaction_id`` is what the owner signs.
    """

    asset_id: str
    asset_sub_id: str
    asset_registry_contract_id: str
    destination_chain_id: int
    recipient: str
    gross_amount: int
    bridge_fee: int
    net_amount: int
    network_fee: FuelNetworkFee
    expiration_block_height: int
    script_gas_limit: int
    policies: dict[str, int]
    inputs: list[FuelInputInspection]
    outputs: list[FuelOutputInspection]
    transaction_id: str


class _Cursor:
    """Reads a byte string front to back; fails with BridgeInspectionError."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        if size > len(self.data) - self.pos:
            raise _fail("truncated transaction")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def word(self, size: int = 8) -> int:
        return int.from_bytes(self.take(size), "big")

    def bounded(self, limit: int, what: str) -> int:
        value = self.word()
        if value > limit:
            raise _fail(f"{what} is out of range")
        return value

    def padded(self, size: int) -> bytes:
        chunk = self.take(size)
        if any(self.take(-size % 8)):
            raise _fail("non-zero padding")
        return chunk

    def end(self) -> None:
        if self.pos != len(self.data):
            raise _fail("trailing bytes")


def parse_fuel_unsigned_transaction(
    unsigned_transaction: str, fuel_chain_id: int, fuel_max_inputs: int
) -> FuelWithdrawalInspection:
    """Parse an unsigned Fuel Script withdrawal and derive its transaction id.

    The script must be the single CALL of ``withdraw_via_fast_bridge_with_fee`` on the
    asset registry (a contract input); inputs are coins, contracts and messages without
    predicates or message data, each coin or message signed by witness 0; outputs are
    Contract, Change and Variable (no Coin outputs); the one witness is empty.

    Args:
        unsigned_transaction: ``0x`` + the transaction's canonical bytes.
        fuel_chain_id: the Fuel chain id, from a source you trust (not the bridge).
        fuel_max_inputs: the chain's consensus ``maxInputs``, also trusted: the script's
            pointers depend on it, and it is not in the transaction.

    Returns:
        The withdrawal's fields, and ``transaction_id = sha256(u64be(chain_id) || the
        transaction with its witnesses removed and runtime-filled fields zeroed)``.

    Raises:
        BridgeInspectionError: anything else.
    """
    if type(fuel_chain_id) is not int or not 0 <= fuel_chain_id < 2**64:
        raise _fail("fuel_chain_id must be an integer in 0..2**64-1")
    if type(fuel_max_inputs) is not int or not 0 < fuel_max_inputs <= U16_MAX:
        raise _fail("fuel_max_inputs must be an integer in 1..65535")
    raw = _tx_bytes(unsigned_transaction)
    signed_form = bytearray(raw)  # becomes the bytes the id is computed over

    def zero(start: int, size: int) -> None:
        signed_form[start : start + size] = bytes(size)

    tx = _Cursor(raw)
    if tx.word() != 0:
        raise _fail("not a Fuel Script transaction")
    script_gas_limit = tx.word()
    tx.take(32)
    zero(16, 32)  # receipts root
    script_size = tx.bounded(MAX_FUEL_COUNT, "script length")
    data_size = tx.bounded(MAX_FUEL_COUNT, "script data length")
    policy_mask = tx.bounded(2 ** len(FUEL_POLICIES) - 1, "policy mask")
    input_count = tx.bounded(MAX_FUEL_COUNT, "input count")
    output_count = tx.bounded(MAX_FUEL_COUNT, "output count")
    witness_count = tx.bounded(MAX_FUEL_COUNT, "witness count")
    if not 0 < input_count <= fuel_max_inputs or witness_count != 1:
        raise _fail("expected 1..maxInputs inputs and exactly one (owner) witness")
    script = tx.padded(script_size)
    script_data = tx.padded(data_size)
    policies = {name: tx.word() for bit, name in enumerate(FUEL_POLICIES) if policy_mask >> bit & 1}
    if "maxFee" not in policies or "expiration" not in policies:
        raise _fail("a withdrawal sets the maxFee and expiration policies")
    if policies["expiration"] > U32_MAX:
        raise _fail("the expiration policy is not a block height")

    inputs: list[FuelInputInspection] = []
    for _ in range(input_count):
        kind = tx.bounded(2, "input type")
        start = tx.pos
        if kind == _INPUT_CONTRACT:
            tx.take(32)
            tx.bounded(U16_MAX, "output index")
            tx.take(64)
            tx.bounded(U32_MAX, "tx pointer block height")
            tx.bounded(U16_MAX, "tx pointer index")
            zero(start, 120)  # utxo id, balance and state roots, tx pointer
            inputs.append(FuelInputInspection("contract", contract_id=_hex(tx.take(32))))
            continue
        asset: str | None = None
        if kind == _INPUT_COIN:
            tx.take(32)
            tx.bounded(U16_MAX, "output index")
            owner, amount, asset = _hex(tx.take(32)), tx.word(), _hex(tx.take(32))
            tx.bounded(U32_MAX, "tx pointer block height")
            tx.bounded(U16_MAX, "tx pointer index")
            zero(tx.pos - 16, 16)  # tx pointer
        else:
            tx.take(32)  # sender
            owner, amount = _hex(tx.take(32)), tx.word()
            tx.take(32)  # nonce
        witness_index = tx.bounded(U16_MAX, "witness index")
        if witness_index != 0:
            raise _fail("every coin and message must be signed by witness 0")
        if tx.word() != 0:  # predicate gas used
            raise _fail("predicates are not supported")
        if kind == _INPUT_MESSAGE and tx.word() != 0:
            raise _fail("message data is not supported")
        if tx.word() != 0 or tx.word() != 0:
            raise _fail("predicates are not supported")
        inputs.append(
            FuelInputInspection(
                "coin" if kind == _INPUT_COIN else "message",
                owner=owner,
                amount=amount,
                asset_id=asset,
                witness_index=witness_index,
            )
        )

    outputs: list[FuelOutputInspection] = []
    for _ in range(output_count):
        kind = tx.bounded(3, "output type")
        if kind == _OUTPUT_COIN:
            raise _fail("coin outputs are not allowed in a bridge withdrawal")
        if kind == _OUTPUT_CONTRACT:
            index = tx.bounded(MAX_FUEL_COUNT, "contract output input index")
            if index >= len(inputs) or inputs[index].type != "contract":
                raise _fail("a contract output must point at a contract input")
            tx.take(64)
            zero(tx.pos - 64, 64)  # balance and state roots
            outputs.append(FuelOutputInspection("contract", input_index=index))
            continue
        start = tx.pos
        to, amount, asset_id = _hex(tx.take(32)), tx.word(), _hex(tx.take(32))
        if kind == _OUTPUT_CHANGE:
            zero(start + 32, 8)  # amount
        else:
            zero(start, 72)  # to, amount, asset id
        outputs.append(
            FuelOutputInspection(
                "change" if kind == _OUTPUT_CHANGE else "variable", to, amount, asset_id
            )
        )

    witnesses_start = tx.pos
    if tx.word() != 0:
        raise _fail("the unsigned witness must be empty")
    tx.end()
    zero(88, 8)  # witness count: the id is over the transaction without witnesses

    call = _Cursor(script_data)
    gross_amount = call.word()
    asset_id = _hex(call.take(32))
    registry = _hex(call.take(32))
    method_pointer = call.bounded(MAX_IMM18 + FUEL_CALL_HEADER, "method pointer")
    args_pointer = call.bounded(MAX_IMM18 + 256, "arguments pointer")
    if call.word() != len(FUEL_WITHDRAW_METHOD) or call.take(33) != FUEL_WITHDRAW_METHOD:
        raise _fail("the script calls no withdraw_via_fast_bridge_with_fee")
    if args_pointer != method_pointer + 8 + len(FUEL_WITHDRAW_METHOD):
        raise _fail("the call's arguments pointer does not follow the method name")
    data_offset = method_pointer - FUEL_CALL_HEADER
    if data_offset != fuel_script_data_offset(fuel_max_inputs):
        raise _fail("Fuel call pointer does not address this transaction's script data")
    if data_offset + 40 > MAX_IMM18 or script != fuel_call_script(data_offset):
        raise _fail("the script is not the single-CALL withdrawal script")
    asset_sub_id = _hex(call.take(32))
    destination_chain_id = call.word(4)
    recipient = call.take(32)
    bridge_fee = call.word()
    call.end()
    if any(recipient[:12]) or not any(recipient[12:]):
        raise _fail("the recipient must be a non-zero 20-byte EVM address")
    if bridge_fee > gross_amount:
        raise _fail("the bridge fee exceeds the amount")
    if not any(i.type == "contract" and i.contract_id == registry for i in inputs):
        raise _fail("the called asset registry is not a contract input")
    transaction_id = sha256(fuel_chain_id.to_bytes(8, "big") + bytes(signed_form[:witnesses_start]))
    return FuelWithdrawalInspection(
        asset_id=asset_id,
        asset_sub_id=asset_sub_id,
        asset_registry_contract_id=registry,
        destination_chain_id=destination_chain_id,
        recipient=_hex(recipient[12:]),
        gross_amount=gross_amount,
        bridge_fee=bridge_fee,
        net_amount=gross_amount - bridge_fee,
        network_fee=FuelNetworkFee(policies["maxFee"]),
        expiration_block_height=policies["expiration"],
        script_gas_limit=script_gas_limit,
        policies=policies,
        inputs=inputs,
        outputs=outputs,
        transaction_id=_hex(transaction_id),
    )


__all__ = [
    "EVM_METHODS",
    "EVM_SELECTORS",
    "FUEL_POLICIES",
    "FUEL_WITHDRAW_METHOD",
    "EvmDepositInspection",
    "EvmPermitInspection",
    "FuelInputInspection",
    "FuelNetworkFee",
    "FuelOutputInspection",
    "FuelWithdrawalInspection",
    "PreparationProofClaims",
    "fuel_call_script",
    "fuel_script_data_offset",
    "parse_evm_unsigned_transaction",
    "parse_fuel_unsigned_transaction",
    "parse_preparation_proof",
    "rlp_decode",
]
