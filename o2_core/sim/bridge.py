"""A local Fast Bridge: the bridge's v1 API as a pure state machine (no I/O, no clock read).

``BridgeSim(clock=..., seed=...)`` answers :class:`~o2_core.http.Request` values whose URL
path starts with ``base_path`` (default ``/bridge``) with :class:`~o2_core.http.Response`
values, as ``https://bridge.o2.app`` would answer ``/v1/...``:

- configuration: two EVM chains (11155111 and 84532) with Messenger and Outpost
  addresses, two assets (``ETH``: native on both chains; ``USDC``: an ERC-20 with
  permits on 11155111), Fuel contracts, all derived from ``seed``;
- deposits: ``prepare`` builds a REAL unsigned EIP-1559 Messenger call (``depositETH``,
  ``deposit`` or ``depositWithPermit``, the sender's next nonce, Fuel units converted
  to token units) and an HMAC-SHA256 preparation proof bound to the operation and the
  exact bytes; ``submit`` checks the proof (MAC, expiry), the transaction's nonce and the
  secp256k1 signature (it must recover the claimed sender), and computes the signed
  transaction's hash; the status goes pending -> confirmed (or reverted, on request)
  as the injected clock passes ``confirm_seconds``;
- withdrawals: ``prepare`` builds a REAL unsigned Fuel Script transaction calling
  ``withdraw_via_fast_bridge_with_fee`` (coins of the sender, the bridge's contracts,
  change and variable outputs, maxFee/expiration policies, the fee quote); ``submit``
  checks the proof, parses the transaction with the SDK's own inspection, and verifies
  the Fuel signature over its id against the claimed owner; status pending -> success
  (or reverted);
- caps, daily rate limits, pauses and every error in the bridge's format
  ``{"error": {"code", "message", "details"}}``.

Test hooks: :meth:`BridgeSim.pause`, :meth:`BridgeSim.revert_deposit`,
:meth:`BridgeSim.revert_withdrawal`, :meth:`BridgeSim.script` (a canned reply).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qs, urlsplit

import msgspec

from ..bridge import encoding as enc
from ..bridge import models as m
from ..bridge import protocol as p
from ..bridge.errors import BridgeInspectionError
from ..bridge.inspection import (
    parse_evm_unsigned_transaction,
    parse_fuel_unsigned_transaction,
    parse_preparation_proof,
)
from ..crypto import SECP256K1_N, evm_address, fuel_address, recover_public_key, sha256
from ..errors import InvalidInput
from ..http import Request, Response

T = TypeVar("T", bound=m.BridgeModel)

BRIDGE_BASE_PATH = "/bridge"
SEPOLIA = 11155111
BASE_SEPOLIA = 84532
PROOF_KEY_ID = "sim-bridge-1"
JSON = {"content-type": "application/json"}
_DAY = 86_400


class BridgeReply(Exception):
    """An error reply, raised inside a handler."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    """A reply in the bridge's error format."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return Response(status, msgspec.json.encode({"error": error}), dict(JSON))


def iso8601(seconds: float) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` of a Unix time (UTC), without reading any clock."""
    millis = int(seconds * 1000)
    days, rest = divmod(millis, _DAY * 1000)
    # civil-from-days (proleptic Gregorian), H. Hinnant's algorithm
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (month <= 2)
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{year:04d}-{month:02d}-{day:02d}T{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}Z"


def _hex(raw: bytes) -> str:
    return "0x" + raw.hex()


@dataclass(frozen=True)
class SimChain:
    """An EVM chain of the local bridge."""

    chain_id: int
    name: str
    messenger: bytes
    outpost: bytes


@dataclass(frozen=True)
class SimRoute:
    """An asset's token on one chain (``token`` None: the native coin)."""

    token: bytes | None
    token_decimals: int
    permit: bool = False


@dataclass
class SimAsset:
    """A bridged asset and its limits (Fuel base units)."""

    symbol: str
    sub_id: bytes
    asset_id: bytes
    fuel_decimals: int
    routes: dict[int, SimRoute]
    deposit_cap: int | None
    withdraw_fee: int
    transaction_limit: int | None
    daily_limit: int | None
    deposited: int = 0


@dataclass
class _Prepared:
    operation: str
    raw: bytes
    chain_id: int
    asset: SimAsset
    amount: int
    signer: bytes


@dataclass
class SimDeposit:
    """A submitted deposit."""

    chain_id: int
    evm_tx_hash: str
    asset_id: str
    amount: int
    submitted_at: float
    reverted: bool = False


@dataclass
class SimWithdrawal:
    """A submitted withdrawal."""

    fuel_tx_id: str
    destination_chain_id: int
    asset_id: str
    amount: int
    submitted_at: float
    failure_reason: str | None = None


@dataclass
class _Day:
    day: int = -1
    withdrawn: dict[str, int] = field(default_factory=dict)


class BridgeSim:
    """The local Fast Bridge (see the module's documentation).

    Args:
        clock: the time source (seconds); the simulator never reads the wall clock.
        seed: derives every id, address and the proof key.
        base_path: the URL path the API lives under (``""`` for the root).
        fuel_chain_id: the Fuel chain id transactions are prepared for.
        fuel_max_inputs: the Fuel consensus ``maxInputs`` the script's pointers assume.
        proof_ttl_seconds: how long a preparation proof is accepted.
        confirm_seconds: how long a submitted transfer stays pending.
        block_seconds: the block time of every chain (for heights and confirmations).
    """

    def __init__(
        self,
        clock: Callable[[], float],
        seed: int = 0,
        base_path: str = BRIDGE_BASE_PATH,
        *,
        fuel_chain_id: int = 0,
        fuel_max_inputs: int = 255,
        proof_ttl_seconds: int = 300,
        confirm_seconds: float = 12.0,
        block_seconds: float = 1.0,
    ) -> None:
        self.clock = clock
        self.base_path = base_path.rstrip("/")
        self.fuel_chain_id = fuel_chain_id
        self.fuel_max_inputs = fuel_max_inputs
        self.proof_ttl_seconds = proof_ttl_seconds
        self.confirm_seconds = confirm_seconds
        self.block_seconds = block_seconds
        self._seed = seed.to_bytes(8, "big", signed=True)
        self._mac_key = self._derive(b"proof-key")
        self._counter = 0
        self.config_version = "sim-" + self._derive(b"config")[:4].hex()
        self.contracts = {
            name: self._derive(name.encode())
            for name in (
                "fastBridge",
                "assetRegistry",
                "wrappedAssetsMinter",
                "gasOracle",
                "rateLimiter",
            )
        }
        self.base_asset_id = self._derive(b"base-asset")
        self.chains = {
            chain_id: SimChain(
                chain_id,
                name,
                self._derive(f"messenger-{chain_id}".encode())[:20],
                self._derive(f"outpost-{chain_id}".encode())[:20],
            )
            for chain_id, name in ((SEPOLIA, "Sepolia"), (BASE_SEPOLIA, "Base Sepolia"))
        }
        self.assets: dict[str, SimAsset] = {}
        for symbol, fuel_decimals, routes, cap, fee, tx_limit, daily in (
            (
                "ETH",
                9,
                {SEPOLIA: SimRoute(None, 18), BASE_SEPOLIA: SimRoute(None, 18)},
                10**12,
                10_000,
                10**11,
                5 * 10**11,
            ),
            (
                "USDC",
                6,
                {SEPOLIA: SimRoute(self._derive(b"usdc")[:20], 6, permit=True)},
                None,
                250_000,
                None,
                10**12,
            ),
        ):
            sub_id = self._derive(f"sub-{symbol}".encode())
            asset_id = sha256(self.contracts["wrappedAssetsMinter"] + sub_id)
            self.assets[_hex(asset_id)] = SimAsset(
                symbol, sub_id, asset_id, fuel_decimals, routes, cap, fee, tx_limit, daily
            )
        self.paused: set[int] = set()
        self.deposits: dict[tuple[int, str], SimDeposit] = {}
        self.withdrawals: dict[str, SimWithdrawal] = {}
        self.requests_seen = 0
        self._nonces: dict[tuple[int, bytes], int] = {}
        self._prepared: dict[bytes, _Prepared] = {}
        self._day = _Day()
        self._scripted: list[tuple[str, Response]] = []

    def __repr__(self) -> str:
        return (
            f"<BridgeSim {self.base_path or '/'} {len(self.deposits)} deposits, "
            f"{len(self.withdrawals)} withdrawals>"
        )

    # --- hooks ---------------------------------------------------------------------

    def _derive(self, label: bytes) -> bytes:
        return sha256(b"o2-sim-bridge\x00" + self._seed + label)

    def _fresh(self) -> bytes:
        self._counter += 1
        return self._derive(b"fresh-" + self._counter.to_bytes(8, "big"))

    def pause(self, chain_id: int, paused: bool = True) -> None:
        """Pause (or resume) deposits and withdrawals on one chain."""
        (self.paused.add if paused else self.paused.discard)(chain_id)

    def revert_deposit(self, evm_tx_hash: str) -> None:
        """Make a submitted deposit's EVM transaction revert."""
        for deposit in self.deposits.values():
            if deposit.evm_tx_hash == evm_tx_hash.lower():
                deposit.reverted = True
                return
        raise KeyError(evm_tx_hash)

    def revert_withdrawal(self, fuel_tx_id: str, reason: str = "Revert(42)") -> None:
        """Make a submitted withdrawal's Fuel transaction revert with ``reason``."""
        self.withdrawals[fuel_tx_id.lower()].failure_reason = reason

    def script(self, path: str, response: Response) -> None:
        """Answer the next request to ``path`` (e.g. ``/v1/info``) with ``response``."""
        self._scripted.append((path, response))

    def asset(self, symbol: str) -> SimAsset:
        """An asset by symbol."""
        return next(a for a in self.assets.values() if a.symbol == symbol)

    def handles(self, url: str) -> bool:
        """True when ``url``'s path is under this bridge's base path."""
        path = urlsplit(url).path
        return path == self.base_path or path.startswith(self.base_path + "/")

    # --- dispatch ------------------------------------------------------------------

    def process(self, request: Request) -> Response:
        """Answer one request (never raises)."""
        self.requests_seen += 1
        parts = urlsplit(request.url)
        if not self.handles(request.url):
            return error_response(404, "NOT_FOUND", f"no bridge route at {parts.path}")
        path = parts.path[len(self.base_path) :] or "/"
        for index, (scripted_path, response) in enumerate(self._scripted):
            if scripted_path == path:
                del self._scripted[index]
                return response
        route = _ROUTES.get(path)
        if route is None:
            return error_response(404, "NOT_FOUND", f"no bridge route at {path}")
        method, handler = route
        if request.method.upper() != method:
            return error_response(405, "METHOD_NOT_ALLOWED", f"{path} takes {method}")
        try:
            query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
            status, payload = handler(self, _Query(query), request.body or b"")
        except BridgeReply as reply:
            return error_response(reply.status, reply.code, reply.message, reply.details)
        except Exception as exc:  # a bug here must still answer in the bridge's format
            return error_response(500, "INTERNAL_ERROR", f"bridge simulator error: {exc!r}")
        return Response(status, m.encode(payload), dict(JSON))

    # --- shared checks -------------------------------------------------------------

    def now(self) -> float:
        """The injected clock's time."""
        return float(self.clock())

    def fuel_height(self) -> int:
        """The current Fuel block height."""
        return int(self.now() // self.block_seconds)

    def _chain(self, chain_id: int) -> SimChain:
        chain = self.chains.get(chain_id)
        if chain is None:
            raise BridgeReply(
                404,
                "CHAIN_NOT_SUPPORTED",
                f"chain {chain_id} is not bridged",
                {"chainId": chain_id},
            )
        return chain

    def _asset(self, asset_id: str, chain_id: int) -> SimAsset:
        asset = self.assets.get(asset_id.lower())
        if asset is None or chain_id not in asset.routes:
            raise BridgeReply(
                404,
                "ASSET_NOT_SUPPORTED",
                f"asset {asset_id} has no route on chain {chain_id}",
                {"assetId": asset_id, "chainId": chain_id},
            )
        return asset

    def _not_paused(self, chain_id: int) -> None:
        if chain_id in self.paused:
            raise BridgeReply(
                503,
                "ROUTE_PAUSED",
                f"the route of chain {chain_id} is paused",
                {"chainId": chain_id, "retry": True},
            )

    def _withdrawn_today(self, asset: SimAsset) -> int:
        day = int(self.now() // _DAY)
        if self._day.day != day:
            self._day = _Day(day)
        return self._day.withdrawn.get(_hex(asset.asset_id), 0)

    def _withdraw_problem(self, asset: SimAsset, amount: int) -> str | None:
        if amount <= asset.withdraw_fee:
            return "AMOUNT_BELOW_FEE"
        if asset.transaction_limit is not None and amount > asset.transaction_limit:
            return "TRANSACTION_LIMIT_EXCEEDED"
        if asset.daily_limit is not None and (
            self._withdrawn_today(asset) + amount > asset.daily_limit
        ):
            return "DAILY_LIMIT_EXCEEDED"
        return None

    def _deposit_problem(self, asset: SimAsset, amount: int) -> str | None:
        if amount <= 0:
            return "AMOUNT_TOO_SMALL"
        if asset.deposit_cap is not None and asset.deposited + amount > asset.deposit_cap:
            return "DEPOSIT_CAP_EXCEEDED"
        return None

    def _proof(self, operation: str, raw: bytes, signer: str) -> str:
        part = enc.proof_claims_part(
            1, PROOF_KEY_ID, int(self.now()) + self.proof_ttl_seconds, signer
        )
        return enc.encode_preparation_proof(part, self._mac(operation, part, raw))

    def _mac(self, operation: str, claims_part: str, raw: bytes) -> bytes:
        message = operation.encode() + b"\x00" + claims_part.encode() + b"\x00" + raw
        return hmac.new(self._mac_key, message, hashlib.sha256).digest()

    def _check_submission(self, operation: str, body: bytes) -> tuple[_Prepared, bytes, bytes]:
        """The prepared transfer a submission is for, its raw bytes and its signature."""
        submit = _decode(body, m.SubmitRequest)
        try:
            raw = bytes.fromhex(p.check_hex(submit.unsigned_transaction, "unsignedTransaction")[2:])
        except InvalidInput as err:
            raise BridgeReply(
                400, "INVALID_REQUEST", str(err), {"field": "unsignedTransaction"}
            ) from None
        try:
            claims = parse_preparation_proof(submit.preparation_proof)
        except BridgeInspectionError as err:
            raise BridgeReply(401, "INVALID_PREPARATION_PROOF", str(err)) from None
        claims_part, _, mac_part = submit.preparation_proof.partition(".")
        expected = self._mac(operation, claims_part, raw)
        given = _b64decode(mac_part)
        prepared = self._prepared.get(given)
        if (
            claims.key_id != PROOF_KEY_ID
            or not hmac.compare_digest(expected, given)
            or prepared is None
            or prepared.operation != operation
        ):
            raise BridgeReply(
                401,
                "INVALID_PREPARATION_PROOF",
                f"the proof does not authorize this {operation} transaction",
            )
        if claims.expires_at <= self.now():
            raise BridgeReply(
                410,
                "PREPARATION_PROOF_EXPIRED",
                "prepare again: the proof expired",
                {"expiresAt": claims.expires_at},
            )
        try:
            signature = bytes.fromhex(p.check_hex(submit.signature, "signature")[2:])
        except InvalidInput as err:
            raise BridgeReply(400, "INVALID_REQUEST", str(err), {"field": "signature"}) from None
        return prepared, raw, signature

    # --- reads ---------------------------------------------------------------------

    def info(self) -> m.InfoResponse:
        """``GET /v1/info``."""
        c = self.contracts
        return m.InfoResponse(
            environment="local",
            api_version="1.0.0",
            config_version=self.config_version,
            preparation_proof_ttl_seconds=self.proof_ttl_seconds,
            fuel=m.FuelInfo(
                self.fuel_chain_id,
                "local",
                m.FuelContracts(
                    *(
                        _hex(c[k])
                        for k in (
                            "fastBridge",
                            "assetRegistry",
                            "wrappedAssetsMinter",
                            "gasOracle",
                            "rateLimiter",
                        )
                    )
                ),
            ),
            chains=[
                m.ChainSummary(ch.chain_id, ch.name, _hex(ch.messenger), _hex(ch.outpost))
                for ch in self.chains.values()
            ],
        )

    def _assets(self, chain_id: int | None) -> m.AssetsResponse:
        assets = []
        for asset in self.assets.values():
            routes = [
                m.AssetRoute(cid, None if r.token is None else _hex(r.token), r.token_decimals)
                for cid, r in asset.routes.items()
                if chain_id is None or cid == chain_id
            ]
            if routes:
                assets.append(
                    m.Asset(_hex(asset.asset_id), asset.symbol, asset.fuel_decimals, routes)
                )
        return m.AssetsResponse(self.config_version, assets)

    def _selected(self, asset_id: str | None, chain_id: int) -> list[SimAsset]:
        if asset_id is not None:
            return [self._asset(asset_id, chain_id)]
        return [a for a in self.assets.values() if chain_id in a.routes]

    def _deposit_info(
        self, chain_id: int, asset_id: str | None, amount: int | None
    ) -> m.DepositInfoResponse:
        chain = self._chain(chain_id)
        infos = []
        for asset in self._selected(asset_id, chain_id):
            route = asset.routes[chain_id]
            problem = None if amount is None else self._deposit_problem(asset, amount)
            infos.append(
                m.DepositAssetInfo(
                    asset_id=_hex(asset.asset_id),
                    token_address=None if route.token is None else _hex(route.token),
                    token_decimals=route.token_decimals,
                    fuel_decimals=asset.fuel_decimals,
                    whitelisted=True,
                    deposit_cap=asset.deposit_cap,
                    deposited_amount=asset.deposited,
                    remaining_capacity=None
                    if asset.deposit_cap is None
                    else max(asset.deposit_cap - asset.deposited, 0),
                    requires_allowance=route.token is not None,
                    allowance_spender=None if route.token is None else _hex(chain.messenger),
                    permit_supported=route.permit,
                    amount_eligible=None if amount is None else problem is None,
                    ineligibility_reason=problem,
                )
            )
        return m.DepositInfoResponse(
            chain_id,
            chain_id not in self.paused,
            _hex(chain.messenger),
            chain_id in self.paused,
            infos,
        )

    def _withdraw_info(
        self, chain_id: int, asset_id: str | None, amount: int | None
    ) -> m.WithdrawInfoResponse:
        chain = self._chain(chain_id)
        c = self.contracts
        infos = []
        for asset in self._selected(asset_id, chain_id):
            route = asset.routes[chain_id]
            problem = None if amount is None else self._withdraw_problem(asset, amount)
            today = self._withdrawn_today(asset)
            infos.append(
                m.WithdrawAssetInfo(
                    asset_id=_hex(asset.asset_id),
                    token_address=None if route.token is None else _hex(route.token),
                    fuel_decimals=asset.fuel_decimals,
                    token_decimals=route.token_decimals,
                    withdraw_enabled=chain_id not in self.paused,
                    fee=asset.withdraw_fee,
                    fee_quote_block_height=self.fuel_height(),
                    fee_observed_at=iso8601(self.now()),
                    rate_limit=m.RateLimitInfo(
                        asset.transaction_limit,
                        asset.daily_limit,
                        today,
                        None if asset.daily_limit is None else max(asset.daily_limit - today, 0),
                        iso8601((int(self.now() // _DAY) + 1) * _DAY),
                    ),
                    amount_eligible=None if amount is None else problem is None,
                    ineligibility_reason=problem,
                )
            )
        return m.WithdrawInfoResponse(
            destination_chain_id=chain_id,
            route_enabled=chain_id not in self.paused,
            messenger_address=_hex(chain.messenger),
            outpost_address=_hex(chain.outpost),
            fuel_contracts=m.WithdrawalFuelContracts(
                *(
                    _hex(c[k])
                    for k in ("assetRegistry", "wrappedAssetsMinter", "gasOracle", "rateLimiter")
                )
            ),
            paused=chain_id in self.paused,
            recipient_format="evm-address",
            assets=infos,
        )

    def _withdraw_fee(self, q: _Query) -> m.WithdrawFeeResponse:
        chain_id = _need(q.chain("destinationChainId"))
        self._chain(chain_id)
        asset = self._asset(_need(q.b256("assetId")), chain_id)
        return m.WithdrawFeeResponse(
            chain_id,
            _hex(asset.asset_id),
            asset.withdraw_fee,
            self.fuel_height(),
            iso8601(self.now()),
            self.config_version,
        )

    # --- deposits ------------------------------------------------------------------

    def _prepare_deposit(self, request: m.DepositPrepareRequest) -> m.DepositPrepareResponse:
        try:
            p.prepare_deposit("", request)  # the client's own argument checks
        except InvalidInput as err:
            raise BridgeReply(400, "INVALID_REQUEST", str(err)) from None
        chain = self._chain(request.source_chain_id)
        asset = self._asset(request.asset_id, chain.chain_id)
        self._not_paused(chain.chain_id)
        route = asset.routes[chain.chain_id]
        amount = int(request.amount)
        problem = self._deposit_problem(asset, amount)
        if problem is not None:
            raise BridgeReply(
                422,
                problem,
                f"this deposit is not eligible: {problem}",
                {"remainingCapacity": str(max((asset.deposit_cap or 0) - asset.deposited, 0))},
            )
        shift = route.token_decimals - asset.fuel_decimals
        if shift < 0 and amount % 10**-shift:
            raise BridgeReply(400, "INVALID_AMOUNT", "the amount has more decimals than the token")
        token_amount = amount * 10**shift if shift >= 0 else amount // 10**-shift
        permit = None
        if request.permit is not None:
            if not route.permit:
                raise BridgeReply(400, "PERMIT_NOT_SUPPORTED", "this token takes no permit")
            permit = enc.EvmPermit(
                int(request.permit.deadline),
                request.permit.v,
                bytes.fromhex(request.permit.r[2:]),
                bytes.fromhex(request.permit.s[2:]),
            )
        sender = bytes.fromhex(request.from_address[2:])
        data = enc.messenger_calldata(
            bytes.fromhex(request.to[2:]),
            request.to_type == "contract",
            token_amount,
            route.token,
            permit,
        )
        fields = enc.eip1559_fields(
            chain.chain_id,
            self._nonces.get((chain.chain_id, sender), 0),
            10**9,
            3 * 10**9,
            120_000 if route.token is None else 180_000,
            chain.messenger,
            token_amount if route.token is None else 0,
            data,
        )
        raw = enc.encode_eip1559(fields)
        proof = self._proof("deposit", raw, _hex(sender))
        self._prepared[_b64decode(proof.split(".")[1])] = _Prepared(
            "deposit", raw, chain.chain_id, asset, amount, sender
        )
        return m.DepositPrepareResponse(_hex(raw), proof)

    def _submit_deposit(self, body: bytes) -> m.DepositSubmitResponse:
        prepared, raw, signature = self._check_submission("deposit", body)
        if len(signature) != 65:
            raise BridgeReply(400, "INVALID_SIGNATURE", "an EVM signature is 65 bytes r || s || v")
        tx = parse_evm_unsigned_transaction(_hex(raw))
        r, s, v = signature[:32], signature[32:64], signature[64]
        parity = v - 27 if v in (27, 28) else v
        s_int = int.from_bytes(s, "big")
        if parity not in (0, 1) or not 0 < s_int <= SECP256K1_N // 2:
            raise BridgeReply(400, "INVALID_SIGNATURE", "v must be 27/28 (or 0/1) with a low s")
        compact = r + bytes([s[0] | (parity << 7)]) + s[1:]
        digest = bytes.fromhex(tx.signing_digest[2:])
        try:
            signer = evm_address(recover_public_key(digest, compact))
        except Exception:
            signer = b""
        if signer != prepared.signer:
            raise BridgeReply(
                400, "INVALID_SIGNATURE", "the signature is not the sender's over this transaction"
            )
        key = (tx.chain_id, prepared.signer)
        expected_nonce = self._nonces.get(key, 0)
        fields = enc.eip1559_fields(
            tx.chain_id,
            tx.nonce,
            tx.max_priority_fee_per_gas,
            tx.max_fee_per_gas,
            tx.gas_limit,
            bytes.fromhex(tx.messenger_address[2:]),
            tx.value,
            bytes.fromhex(tx.data[2:]),
        )
        tx_hash = _hex(enc.evm_signed_hash(fields, parity, int.from_bytes(r, "big"), s_int))
        if (tx.chain_id, tx_hash) in self.deposits:
            raise BridgeReply(
                409,
                "ALREADY_SUBMITTED",
                "this deposit was already submitted",
                {"evmTxHash": tx_hash},
            )
        if tx.nonce != expected_nonce:
            raise BridgeReply(
                409,
                "NONCE_MISMATCH",
                "prepare again: the sender's nonce moved",
                {"expected": str(expected_nonce), "got": str(tx.nonce)},
            )
        if self._deposit_problem(prepared.asset, prepared.amount) is not None:
            raise BridgeReply(422, "DEPOSIT_CAP_EXCEEDED", "the deposit cap was reached")
        self._nonces[key] = expected_nonce + 1
        prepared.asset.deposited += prepared.amount
        now = self.now()
        self.deposits[(tx.chain_id, tx_hash)] = SimDeposit(
            tx.chain_id, tx_hash, _hex(prepared.asset.asset_id), prepared.amount, now
        )
        return m.DepositSubmitResponse(tx.chain_id, tx_hash, "submitted", iso8601(now))

    def _deposit_status(self, chain_id: int, evm_tx_hash: str) -> m.DepositStatusResponse:
        deposit = self.deposits.get((chain_id, evm_tx_hash.lower()))
        if deposit is None:
            raise BridgeReply(
                404,
                "TRANSACTION_NOT_FOUND",
                "no such deposit transaction",
                {"sourceChainId": chain_id, "evmTxHash": evm_tx_hash},
            )
        elapsed = self.now() - deposit.submitted_at
        included = int((deposit.submitted_at + self.block_seconds) // self.block_seconds)
        if elapsed < self.block_seconds and not deposit.reverted:
            source = m.DepositSourceStatus("pending")
        else:
            confirmations = max(int(elapsed // self.block_seconds), 1)
            status: Literal["pending", "confirmed", "reverted"] = "pending"
            if deposit.reverted:
                status = "reverted"
            elif elapsed >= self.confirm_seconds:
                status = "confirmed"
            source = m.DepositSourceStatus(status, included, confirmations)
        request_hash = None
        if source.status == "confirmed":
            request_hash = _hex(sha256(b"deposit-request" + bytes.fromhex(deposit.evm_tx_hash[2:])))
        return m.DepositStatusResponse(
            chain_id, deposit.evm_tx_hash, source, m.UnavailableStatus("unavailable"), request_hash
        )

    # --- withdrawals ---------------------------------------------------------------

    def _prepare_withdraw(self, request: m.WithdrawPrepareRequest) -> m.WithdrawPrepareResponse:
        try:
            p.prepare_withdraw("", request)
        except InvalidInput as err:
            raise BridgeReply(400, "INVALID_REQUEST", str(err)) from None
        chain = self._chain(request.destination_chain_id)
        asset = self._asset(request.asset_id, chain.chain_id)
        self._not_paused(chain.chain_id)
        amount = int(request.amount)
        problem = self._withdraw_problem(asset, amount)
        if problem is not None:
            raise BridgeReply(
                422,
                problem,
                f"this withdrawal is not eligible: {problem}",
                {"fee": str(asset.withdraw_fee)},
            )
        recipient = bytes.fromhex(request.to[2:])
        if not any(recipient):
            raise BridgeReply(
                400, "INVALID_REQUEST", "the recipient is the zero address", {"field": "to"}
            )
        owner = bytes.fromhex(request.from_address[2:])
        c = self.contracts
        height = self.fuel_height()
        names = ("assetRegistry", "fastBridge", "wrappedAssetsMinter", "gasOracle", "rateLimiter")
        inputs = [
            enc.fuel_coin_input(self._fresh(), 0, owner, amount, asset.asset_id, (height, 1)),
            enc.fuel_coin_input(
                self._fresh(), 1, owner, 2_000_000, self.base_asset_id, (height, 2)
            ),
            *(
                enc.fuel_contract_input(
                    c[name], self._fresh(), 0, self._fresh(), self._fresh(), (height, 0)
                )
                for name in names
            ),
        ]
        outputs = [
            *(enc.fuel_contract_output(2 + i) for i in range(len(names))),
            enc.fuel_change_output(owner, asset.asset_id),
            enc.fuel_change_output(owner, self.base_asset_id),
            enc.fuel_variable_output(),
        ]
        raw = enc.encode_fuel_withdrawal(
            self.fuel_max_inputs,
            script_gas_limit=2_000_000,
            policies={"maxFee": 1_000_000, "expiration": height + 600, "witnessLimit": 1_000},
            inputs=inputs,
            outputs=outputs,
            gross_amount=amount,
            asset_id=asset.asset_id,
            registry=c["assetRegistry"],
            asset_sub_id=asset.sub_id,
            destination_chain_id=chain.chain_id,
            recipient=recipient,
            bridge_fee=asset.withdraw_fee,
        )
        proof = self._proof("withdraw", raw, _hex(owner))
        self._prepared[_b64decode(proof.split(".")[1])] = _Prepared(
            "withdraw", raw, chain.chain_id, asset, amount, owner
        )
        return m.WithdrawPrepareResponse(_hex(raw), self.fuel_chain_id, proof)

    def _submit_withdraw(self, body: bytes) -> m.WithdrawSubmitResponse:
        prepared, raw, signature = self._check_submission("withdraw", body)
        if len(signature) != 64:
            raise BridgeReply(400, "INVALID_SIGNATURE", "a Fuel signature is 64 bytes")
        tx = parse_fuel_unsigned_transaction(_hex(raw), self.fuel_chain_id, self.fuel_max_inputs)
        try:
            public = recover_public_key(bytes.fromhex(tx.transaction_id[2:]), signature)
            signer = fuel_address(public)
        except Exception:
            signer = b""
        if signer != prepared.signer:
            raise BridgeReply(
                400,
                "INVALID_SIGNATURE",
                "the signature is not the owner's over this transaction id",
            )
        if tx.transaction_id in self.withdrawals:
            raise BridgeReply(
                409,
                "ALREADY_SUBMITTED",
                "this withdrawal was already submitted",
                {"fuelTxId": tx.transaction_id},
            )
        if tx.expiration_block_height < self.fuel_height():
            raise BridgeReply(410, "TRANSACTION_EXPIRED", "the transaction's expiration passed")
        problem = self._withdraw_problem(prepared.asset, prepared.amount)
        if problem is not None:
            raise BridgeReply(422, problem, f"this withdrawal is no longer eligible: {problem}")
        key = _hex(prepared.asset.asset_id)
        self._day.withdrawn[key] = self._day.withdrawn.get(key, 0) + prepared.amount
        now = self.now()
        self.withdrawals[tx.transaction_id] = SimWithdrawal(
            tx.transaction_id, prepared.chain_id, key, prepared.amount, now
        )
        return m.WithdrawSubmitResponse(tx.transaction_id, "submitted", iso8601(now))

    def _withdraw_status(self, fuel_tx_id: str) -> m.WithdrawStatusResponse:
        withdrawal = self.withdrawals.get(fuel_tx_id.lower())
        if withdrawal is None:
            raise BridgeReply(
                404,
                "TRANSACTION_NOT_FOUND",
                "no such withdrawal transaction",
                {"fuelTxId": fuel_tx_id},
            )
        elapsed = self.now() - withdrawal.submitted_at
        height = int((withdrawal.submitted_at + self.block_seconds) // self.block_seconds)
        if withdrawal.failure_reason is not None:
            return m.WithdrawStatusResponse(
                withdrawal.fuel_tx_id, m.FuelStatus("reverted", height, withdrawal.failure_reason)
            )
        if elapsed < self.confirm_seconds:
            return m.WithdrawStatusResponse(withdrawal.fuel_tx_id, m.FuelStatus("pending"))
        request_hash = _hex(sha256(b"withdraw-request" + bytes.fromhex(fuel_tx_id[2:])))
        return m.WithdrawStatusResponse(
            withdrawal.fuel_tx_id,
            m.FuelStatus("success", height),
            request_hash,
            withdrawal.destination_chain_id,
            m.UnavailableStatus("unavailable"),
        )


# --- request decoding ----------------------------------------------------------------


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _decode(body: bytes, kind: type[T]) -> T:
    try:
        return msgspec.json.decode(body, type=kind, dec_hook=m._dec_hook)
    except Exception as exc:
        detail = str(exc) if isinstance(exc, msgspec.ValidationError) else "not JSON"
        raise BridgeReply(400, "INVALID_REQUEST", f"invalid request body: {detail}"[:300]) from None


class _Query:
    """Query parameters, each at most once."""

    def __init__(self, params: dict[str, list[str]]) -> None:
        self._params = params

    def text(self, name: str, required: bool = True) -> str | None:
        values = self._params.get(name)
        if not values:
            if required:
                raise BridgeReply(
                    400, "INVALID_REQUEST", f"missing query parameter {name}", {"field": name}
                )
            return None
        if len(values) > 1:
            raise BridgeReply(400, "INVALID_REQUEST", f"{name} given twice", {"field": name})
        return values[0]

    def chain(self, name: str, required: bool = True) -> int | None:
        value = self.text(name, required)
        if value is None:
            return None
        if not value.isascii() or not value.isdigit() or not 0 < int(value) < 2**64:
            raise BridgeReply(400, "INVALID_REQUEST", f"{name} must be a chain id", {"field": name})
        return int(value)

    def b256(self, name: str, required: bool = True) -> str | None:
        value = self.text(name, required)
        if value is None:
            return None
        try:
            return p.check_b256(value, name).lower()
        except InvalidInput as err:
            raise BridgeReply(400, "INVALID_REQUEST", str(err), {"field": name}) from None

    def amount(self, name: str) -> int | None:
        value = self.text(name, False)
        if value is None:
            return None
        try:
            return int(p.check_amount(value, name))
        except InvalidInput as err:
            raise BridgeReply(400, "INVALID_REQUEST", str(err), {"field": name}) from None


def _need(value: int | str | None) -> Any:
    assert value is not None  # required parameters are never None
    return value


Handler = Callable[[BridgeSim, _Query, bytes], tuple[int, m.BridgeModel]]

_ROUTES: dict[str, tuple[str, Handler]] = {
    "/v1/info": ("GET", lambda sim, q, b: (200, sim.info())),
    "/v1/assets": ("GET", lambda sim, q, b: (200, sim._assets(q.chain("chainId", False)))),
    "/v1/deposit/info": (
        "GET",
        lambda sim, q, b: (
            200,
            sim._deposit_info(
                _need(q.chain("sourceChainId")), q.b256("assetId", False), q.amount("amount")
            ),
        ),
    ),
    "/v1/deposit/prepare": (
        "POST",
        lambda sim, q, b: (200, sim._prepare_deposit(_decode(b, m.DepositPrepareRequest))),
    ),
    "/v1/deposit/submit": ("POST", lambda sim, q, b: (202, sim._submit_deposit(b))),
    "/v1/deposit/status": (
        "GET",
        lambda sim, q, b: (
            200,
            sim._deposit_status(_need(q.chain("sourceChainId")), _need(q.b256("evmTxHash"))),
        ),
    ),
    "/v1/withdraw/info": (
        "GET",
        lambda sim, q, b: (
            200,
            sim._withdraw_info(
                _need(q.chain("destinationChainId")), q.b256("assetId", False), q.amount("amount")
            ),
        ),
    ),
    "/v1/withdraw/fee": ("GET", lambda sim, q, b: (200, sim._withdraw_fee(q))),
    "/v1/withdraw/prepare": (
        "POST",
        lambda sim, q, b: (200, sim._prepare_withdraw(_decode(b, m.WithdrawPrepareRequest))),
    ),
    "/v1/withdraw/submit": ("POST", lambda sim, q, b: (202, sim._submit_withdraw(b))),
    "/v1/withdraw/status": (
        "GET",
        lambda sim, q, b: (200, sim._withdraw_status(_need(q.b256("fuelTxId")))),
    ),
}


__all__ = [
    "BASE_SEPOLIA",
    "BRIDGE_BASE_PATH",
    "SEPOLIA",
    "BridgeSim",
    "SimAsset",
    "SimChain",
    "SimDeposit",
    "SimRoute",
    "SimWithdrawal",
    "error_response",
    "iso8601",
]
