"""The local Fast Bridge as one object: :class:`BridgeSim` answers requests by routing
them to the deposit and withdrawal flows (see the package documentation)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from ...bridge import models
from ...http import Request, Response
from .deposits import DepositFlow
from .model import JSON, BridgeReply, Query, decode_body, error_response, need
from .withdrawals import WithdrawFlow


class BridgeSim(DepositFlow, WithdrawFlow):
    """The local Fast Bridge (see the package documentation).

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
        route = ROUTES.get(path)
        if route is None:
            return error_response(404, "NOT_FOUND", f"no bridge route at {path}")
        method, handler = route
        if request.method.upper() != method:
            return error_response(405, "METHOD_NOT_ALLOWED", f"{path} takes {method}")
        try:
            query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
            status, payload = handler(self, Query(query), request.body or b"")
        except BridgeReply as reply:
            return error_response(reply.status, reply.code, reply.message, reply.details)
        except Exception as exc:  # a bug here must still answer in the bridge's format
            return error_response(500, "INTERNAL_ERROR", f"bridge simulator error: {exc!r}")
        return Response(status, models.encode(payload), dict(JSON))


Handler = Callable[[BridgeSim, Query, bytes], tuple[int, models.BridgeModel]]

ROUTES: dict[str, tuple[str, Handler]] = {
    "/v1/info": ("GET", lambda sim, q, b: (200, sim.info())),
    "/v1/assets": ("GET", lambda sim, q, b: (200, sim._assets(q.chain("chainId", False)))),
    "/v1/deposit/info": (
        "GET",
        lambda sim, q, b: (
            200,
            sim._deposit_info(
                need(q.chain("sourceChainId")), q.b256("assetId", False), q.amount("amount")
            ),
        ),
    ),
    "/v1/deposit/prepare": (
        "POST",
        lambda sim, q, b: (200, sim._prepare_deposit(decode_body(b, models.DepositPrepareRequest))),
    ),
    "/v1/deposit/submit": ("POST", lambda sim, q, b: (202, sim._submit_deposit(b))),
    "/v1/deposit/status": (
        "GET",
        lambda sim, q, b: (
            200,
            sim._deposit_status(need(q.chain("sourceChainId")), need(q.b256("evmTxHash"))),
        ),
    ),
    "/v1/withdraw/info": (
        "GET",
        lambda sim, q, b: (
            200,
            sim._withdraw_info(
                need(q.chain("destinationChainId")), q.b256("assetId", False), q.amount("amount")
            ),
        ),
    ),
    "/v1/withdraw/fee": ("GET", lambda sim, q, b: (200, sim._withdraw_fee(q))),
    "/v1/withdraw/prepare": (
        "POST",
        lambda sim, q, b: (
            200, sim._prepare_withdraw(decode_body(b, models.WithdrawPrepareRequest))
        ),
    ),
    "/v1/withdraw/submit": ("POST", lambda sim, q, b: (202, sim._submit_withdraw(b))),
    "/v1/withdraw/status": (
        "GET",
        lambda sim, q, b: (200, sim._withdraw_status(need(q.b256("fuelTxId")))),
    ),
}


__all__ = ["ROUTES", "BridgeSim", "Handler"]
