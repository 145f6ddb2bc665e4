"""The local Fast Bridge's configuration and state, its test hooks, the checks both flows
share (chains, assets, pauses, limits, preparation proofs) and the configuration reads."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from urllib.parse import urlsplit

from ...bridge import encoding as enc
from ...bridge import models, protocol
from ...bridge.errors import BridgeInspectionError
from ...bridge.inspection import parse_preparation_proof
from ...errors import InvalidInput
from ...http import Response
from ...signatures import hex0x, sha256
from .model import (
    BASE_SEPOLIA,
    BRIDGE_BASE_PATH,
    DAY,
    PROOF_KEY_ID,
    SEPOLIA,
    BridgeReply,
    DayTotals,
    Prepared,
    SimAsset,
    SimChain,
    SimDeposit,
    SimRoute,
    SimWithdrawal,
    b64decode_part,
    decode_body,
)


class BridgeBase:
    """The local Fast Bridge's configuration, state and shared checks.

    :class:`~.routing.BridgeSim` (what callers build) adds the deposit and withdrawal
    flows and the request routing on top.

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
            self.assets[hex0x(asset_id)] = SimAsset(
                symbol, sub_id, asset_id, fuel_decimals, routes, cap, fee, tx_limit, daily
            )
        self.paused: set[int] = set()
        self.deposits: dict[tuple[int, str], SimDeposit] = {}
        self.withdrawals: dict[str, SimWithdrawal] = {}
        self.requests_seen = 0
        self._nonces: dict[tuple[int, bytes], int] = {}
        self._prepared: dict[bytes, Prepared] = {}
        self._day = DayTotals()
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
        day = int(self.now() // DAY)
        if self._day.day != day:
            self._day = DayTotals(day)
        return self._day.withdrawn.get(hex0x(asset.asset_id), 0)

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

    def _check_submission(self, operation: str, body: bytes) -> tuple[Prepared, bytes, bytes]:
        """The prepared transfer a submission is for, its raw bytes and its signature."""
        submit = decode_body(body, models.SubmitRequest)
        try:
            checked = protocol.check_hex(submit.unsigned_transaction, "unsignedTransaction")
            raw = bytes.fromhex(checked[2:])
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
        given = b64decode_part(mac_part)
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
            signature = bytes.fromhex(protocol.check_hex(submit.signature, "signature")[2:])
        except InvalidInput as err:
            raise BridgeReply(400, "INVALID_REQUEST", str(err), {"field": "signature"}) from None
        return prepared, raw, signature

    # --- reads ---------------------------------------------------------------------

    def info(self) -> models.InfoResponse:
        """``GET /v1/info``."""
        c = self.contracts
        return models.InfoResponse(
            environment="local",
            api_version="1.0.0",
            config_version=self.config_version,
            preparation_proof_ttl_seconds=self.proof_ttl_seconds,
            fuel=models.FuelInfo(
                self.fuel_chain_id,
                "local",
                models.FuelContracts(
                    *(
                        hex0x(c[k])
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
                models.ChainSummary(ch.chain_id, ch.name, hex0x(ch.messenger), hex0x(ch.outpost))
                for ch in self.chains.values()
            ],
        )

    def _assets(self, chain_id: int | None) -> models.AssetsResponse:
        assets = []
        for asset in self.assets.values():
            routes = [
                models.AssetRoute(
                    cid, None if r.token is None else hex0x(r.token), r.token_decimals
                )
                for cid, r in asset.routes.items()
                if chain_id is None or cid == chain_id
            ]
            if routes:
                assets.append(
                    models.Asset(hex0x(asset.asset_id), asset.symbol, asset.fuel_decimals, routes)
                )
        return models.AssetsResponse(self.config_version, assets)

    def _selected(self, asset_id: str | None, chain_id: int) -> list[SimAsset]:
        if asset_id is not None:
            return [self._asset(asset_id, chain_id)]
        return [a for a in self.assets.values() if chain_id in a.routes]
