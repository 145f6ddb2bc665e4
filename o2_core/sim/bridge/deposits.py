"""The local Fast Bridge's deposit flow: info, prepare (a real unsigned EIP-1559 Messenger
call and its preparation proof), submit (proof, nonce and signature checks) and status."""

from __future__ import annotations

from typing import Literal

from ...bridge import encoding as enc
from ...bridge import models, protocol
from ...bridge.inspection import parse_evm_unsigned_transaction
from ...errors import InvalidInput
from ...signatures import SECP256K1_N, evm_address, hex0x, recover_public_key, sha256
from .base import BridgeBase
from .model import BridgeReply, Prepared, SimDeposit, b64decode_part, iso8601


class DepositFlow(BridgeBase):
    """``/v1/deposit/*`` of the local Fast Bridge."""

    def _deposit_info(
        self, chain_id: int, asset_id: str | None, amount: int | None
    ) -> models.DepositInfoResponse:
        chain = self._chain(chain_id)
        infos = []
        for asset in self._selected(asset_id, chain_id):
            route = asset.routes[chain_id]
            problem = None if amount is None else self._deposit_problem(asset, amount)
            infos.append(
                models.DepositAssetInfo(
                    asset_id=hex0x(asset.asset_id),
                    token_address=None if route.token is None else hex0x(route.token),
                    token_decimals=route.token_decimals,
                    fuel_decimals=asset.fuel_decimals,
                    whitelisted=True,
                    deposit_cap=asset.deposit_cap,
                    deposited_amount=asset.deposited,
                    remaining_capacity=None
                    if asset.deposit_cap is None
                    else max(asset.deposit_cap - asset.deposited, 0),
                    requires_allowance=route.token is not None,
                    allowance_spender=None if route.token is None else hex0x(chain.messenger),
                    permit_supported=route.permit,
                    amount_eligible=None if amount is None else problem is None,
                    ineligibility_reason=problem,
                )
            )
        return models.DepositInfoResponse(
            chain_id,
            chain_id not in self.paused,
            hex0x(chain.messenger),
            chain_id in self.paused,
            infos,
        )

    # --- deposits ------------------------------------------------------------------

    def _prepare_deposit(
        self, request: models.DepositPrepareRequest
    ) -> models.DepositPrepareResponse:
        try:
            protocol.prepare_deposit("", request)  # the client's own argument checks
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
        proof = self._proof("deposit", raw, hex0x(sender))
        self._prepared[b64decode_part(proof.split(".")[1])] = Prepared(
            "deposit", raw, chain.chain_id, asset, amount, sender
        )
        return models.DepositPrepareResponse(hex0x(raw), proof)

    def _submit_deposit(self, body: bytes) -> models.DepositSubmitResponse:
        prepared, raw, signature = self._check_submission("deposit", body)
        if len(signature) != 65:
            raise BridgeReply(400, "INVALID_SIGNATURE", "an EVM signature is 65 bytes r || s || v")
        tx = parse_evm_unsigned_transaction(hex0x(raw))
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
        tx_hash = hex0x(enc.evm_signed_hash(fields, parity, int.from_bytes(r, "big"), s_int))
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
            tx.chain_id, tx_hash, hex0x(prepared.asset.asset_id), prepared.amount, now
        )
        return models.DepositSubmitResponse(tx.chain_id, tx_hash, "submitted", iso8601(now))

    def _deposit_status(self, chain_id: int, evm_tx_hash: str) -> models.DepositStatusResponse:
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
            source = models.DepositSourceStatus("pending")
        else:
            confirmations = max(int(elapsed // self.block_seconds), 1)
            status: Literal["pending", "confirmed", "reverted"] = "pending"
            if deposit.reverted:
                status = "reverted"
            elif elapsed >= self.confirm_seconds:
                status = "confirmed"
            source = models.DepositSourceStatus(status, included, confirmations)
        request_hash = None
        if source.status == "confirmed":
            raw_hash = bytes.fromhex(deposit.evm_tx_hash[2:])
            request_hash = hex0x(sha256(b"deposit-request" + raw_hash))
        return models.DepositStatusResponse(
            chain_id, deposit.evm_tx_hash, source, models.UnavailableStatus("unavailable"),
            request_hash,
        )
