"""The local Fast Bridge's withdrawal flow: info and fee, prepare (a real unsigned Fuel
Script transaction calling ``withdraw_via_fast_bridge_with_fee``), submit (proof and
Fuel signature checks, rate limits) and status."""

from __future__ import annotations

from ...bridge import encoding as enc
from ...bridge import models, protocol
from ...bridge.inspection import parse_fuel_unsigned_transaction
from ...errors import InvalidInput
from ...signatures import fuel_address, hex0x, recover_public_key, sha256
from .base import BridgeBase
from .model import DAY, BridgeReply, Prepared, Query, SimWithdrawal, b64decode_part, iso8601, need


class WithdrawFlow(BridgeBase):
    """``/v1/withdraw/*`` of the local Fast Bridge."""

    def _withdraw_info(
        self, chain_id: int, asset_id: str | None, amount: int | None
    ) -> models.WithdrawInfoResponse:
        chain = self._chain(chain_id)
        c = self.contracts
        infos = []
        for asset in self._selected(asset_id, chain_id):
            route = asset.routes[chain_id]
            problem = None if amount is None else self._withdraw_problem(asset, amount)
            today = self._withdrawn_today(asset)
            infos.append(
                models.WithdrawAssetInfo(
                    asset_id=hex0x(asset.asset_id),
                    token_address=None if route.token is None else hex0x(route.token),
                    fuel_decimals=asset.fuel_decimals,
                    token_decimals=route.token_decimals,
                    withdraw_enabled=chain_id not in self.paused,
                    fee=asset.withdraw_fee,
                    fee_quote_block_height=self.fuel_height(),
                    fee_observed_at=iso8601(self.now()),
                    rate_limit=models.RateLimitInfo(
                        asset.transaction_limit,
                        asset.daily_limit,
                        today,
                        None if asset.daily_limit is None else max(asset.daily_limit - today, 0),
                        iso8601((int(self.now() // DAY) + 1) * DAY),
                    ),
                    amount_eligible=None if amount is None else problem is None,
                    ineligibility_reason=problem,
                )
            )
        return models.WithdrawInfoResponse(
            destination_chain_id=chain_id,
            route_enabled=chain_id not in self.paused,
            messenger_address=hex0x(chain.messenger),
            outpost_address=hex0x(chain.outpost),
            fuel_contracts=models.WithdrawalFuelContracts(
                *(
                    hex0x(c[k])
                    for k in ("assetRegistry", "wrappedAssetsMinter", "gasOracle", "rateLimiter")
                )
            ),
            paused=chain_id in self.paused,
            recipient_format="evm-address",
            assets=infos,
        )

    def _withdraw_fee(self, q: Query) -> models.WithdrawFeeResponse:
        chain_id = need(q.chain("destinationChainId"))
        self._chain(chain_id)
        asset = self._asset(need(q.b256("assetId")), chain_id)
        return models.WithdrawFeeResponse(
            chain_id,
            hex0x(asset.asset_id),
            asset.withdraw_fee,
            self.fuel_height(),
            iso8601(self.now()),
            self.config_version,
        )

    # --- withdrawals ---------------------------------------------------------------

    def _prepare_withdraw(
        self, request: models.WithdrawPrepareRequest
    ) -> models.WithdrawPrepareResponse:
        try:
            protocol.prepare_withdraw("", request)
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
        proof = self._proof("withdraw", raw, hex0x(owner))
        self._prepared[b64decode_part(proof.split(".")[1])] = Prepared(
            "withdraw", raw, chain.chain_id, asset, amount, owner
        )
        return models.WithdrawPrepareResponse(hex0x(raw), self.fuel_chain_id, proof)

    def _submit_withdraw(self, body: bytes) -> models.WithdrawSubmitResponse:
        prepared, raw, signature = self._check_submission("withdraw", body)
        if len(signature) != 64:
            raise BridgeReply(400, "INVALID_SIGNATURE", "a Fuel signature is 64 bytes")
        tx = parse_fuel_unsigned_transaction(hex0x(raw), self.fuel_chain_id, self.fuel_max_inputs)
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
        key = hex0x(prepared.asset.asset_id)
        self._day.withdrawn[key] = self._day.withdrawn.get(key, 0) + prepared.amount
        now = self.now()
        self.withdrawals[tx.transaction_id] = SimWithdrawal(
            tx.transaction_id, prepared.chain_id, key, prepared.amount, now
        )
        return models.WithdrawSubmitResponse(tx.transaction_id, "submitted", iso8601(now))

    def _withdraw_status(self, fuel_tx_id: str) -> models.WithdrawStatusResponse:
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
            return models.WithdrawStatusResponse(
                withdrawal.fuel_tx_id,
                models.FuelStatus("reverted", height, withdrawal.failure_reason),
            )
        if elapsed < self.confirm_seconds:
            pending = models.FuelStatus("pending")
            return models.WithdrawStatusResponse(withdrawal.fuel_tx_id, pending)
        request_hash = hex0x(sha256(b"withdraw-request" + bytes.fromhex(fuel_tx_id[2:])))
        return models.WithdrawStatusResponse(
            withdrawal.fuel_tx_id,
            models.FuelStatus("success", height),
            request_hash,
            withdrawal.destination_chain_id,
            models.UnavailableStatus("unavailable"),
        )
