"""``FastBridgeClient``: the Fast Bridge API over any :class:`~o2_core.transport.Transport`.

One attempt per call: no retries, no redirects followed by this client, one timeout per
call. The requests are built and the replies parsed by the pure
:mod:`o2_core.bridge.protocol`; this module only waits (anyio: asyncio and trio alike).

A ``submit_*`` call that fails with a :class:`BridgeTimeout` or a
:class:`BridgeTransportError` may still have been accepted: read the status (the Fuel
transaction id is known before submitting) before submitting again.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar, cast

import anyio

from ..errors import InvalidInput, RequestTimeout, TransportError, UsageError
from ..http import Request
from ..transport import Transport, default_transport, transport_factories
from . import models, protocol
from .errors import BridgeApiError, BridgeTimeout, BridgeTransportError

T = TypeVar("T", bound=models.BridgeModel)

FAST_BRIDGE_MAINNET_URL = "https://bridge.o2.app"
FAST_BRIDGE_TESTNET_URL = "https://bridge.testnet.o2.app"


class FastBridgeClient:
    """An async client of the Fast Bridge API (``/v1/...`` under ``base_url``).

    Args:
        base_url: the bridge's root URL (``FAST_BRIDGE_MAINNET_URL``, ...), without
            ``/v1``; http(s) with a host, and no query, fragment or credentials.
        session: an ``aiohttp.ClientSession`` to send through (the installed aiohttp
            transport wraps it); it stays the caller's to close.
        timeout_seconds: the limit of each call, in seconds.
        transport: the transport to send through; it stays the caller's to close.
            Default: ``default_transport(base_url)``, made on first use and closed by
            :meth:`close`.

    Raises:
        InvalidInput: a bad ``base_url`` or ``timeout_seconds``, or both ``session`` and
            ``transport`` given (nothing is sent).
    """

    def __init__(
        self,
        base_url: str,
        *,
        session: Any = None,
        timeout_seconds: float = 30,
        transport: Transport | None = None,
    ) -> None:
        self._base_url = protocol.bridge_base_url(base_url)
        if (
            isinstance(timeout_seconds, bool)
            or not isinstance(timeout_seconds, (int, float))
            or not math.isfinite(timeout_seconds)
            or timeout_seconds <= 0
        ):
            raise InvalidInput(f"timeout_seconds must be positive, got {timeout_seconds!r}")
        if session is not None and transport is not None:
            raise InvalidInput("pass session= or transport=, not both")
        self._timeout = float(timeout_seconds)
        self._session = session
        self._transport = transport
        self._owns_transport = transport is None
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<FastBridgeClient {self._base_url} {state}>"

    @property
    def base_url(self) -> str:
        """The bridge root URL, without its trailing ``/``."""
        return self._base_url

    @property
    def timeout_seconds(self) -> float:
        """The limit of each call, in seconds."""
        return self._timeout

    def _get_transport(self) -> Transport:
        if self._closed:
            raise UsageError("this FastBridgeClient is closed")
        if self._transport is None:
            if self._session is not None:
                factory = transport_factories().get("aiohttp")
                if factory is None:
                    raise UsageError("session= needs the aiohttp transport (o2-sansio[aiohttp])")
                self._transport = cast(Any, factory)(self._session)
            else:
                self._transport = default_transport(self._base_url)
        return self._transport

    async def close(self) -> None:
        """Close the transport this client made (idempotent); a given one is left open."""
        if self._closed:
            return
        self._closed = True
        transport, self._transport = self._transport, None
        if self._owns_transport and transport is not None:
            await transport.aclose()

    async def __aenter__(self) -> FastBridgeClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _call(self, request: Request, kind: type[T]) -> T:
        transport = self._get_transport()
        what = f"{request.method} {request.url}"
        try:
            with anyio.fail_after(self._timeout):
                response = await transport.request(request, self._timeout)
        except (RequestTimeout, TimeoutError) as exc:
            raise BridgeTimeout(f"{what}: no reply within {self._timeout:g}s") from exc
        except TransportError as exc:
            raise BridgeTransportError(f"{what}: {exc}") from exc
        return protocol.parse_reply(response, kind)

    async def get_info(self) -> models.InfoResponse:
        """``GET /v1/info``: environment, proof lifetime, Fuel contracts, EVM chains.

        Returns:
            The bridge's description.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            BridgeApiError: the bridge answered with an error (BridgeInvalidResponse: a reply
                that cannot be used).
            BridgeTimeout: no reply within ``timeout_seconds``.
            BridgeTransportError: no reply at all.
        """
        return await self._call(protocol.get_info(self._base_url), models.InfoResponse)

    async def get_assets(self, chain_id: int | None = None) -> models.AssetsResponse:
        """``GET /v1/assets``, optionally only the routes of one EVM chain.

        Args:
            chain_id: an EVM chain id, or None for every chain.

        Returns:
            The routes.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            BridgeApiError: the bridge answered with an error (BridgeInvalidResponse: a reply
                that cannot be used).
            BridgeTimeout: no reply within ``timeout_seconds``.
            BridgeTransportError: no reply at all.
        """
        return await self._call(
            protocol.get_assets(self._base_url, chain_id), models.AssetsResponse
        )

    async def get_deposit_info(
        self,
        source_chain_id: int,
        asset_id: str | None = None,
        amount: int | str | None = None,
    ) -> models.DepositInfoResponse:
        """``GET /v1/deposit/info``: route, pause, caps, allowance and permit support.

        Args:
            source_chain_id: the EVM chain the deposit comes from.
            asset_id: the Fuel asset id (None: every route of the chain).
            amount: Fuel base units: asks whether a deposit of that amount is eligible.

        Returns:
            The deposit routes and limits.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            BridgeApiError: the bridge answered with an error (BridgeInvalidResponse: a reply
                that cannot be used).
            BridgeTimeout: no reply within ``timeout_seconds``.
            BridgeTransportError: no reply at all.
        """
        request = protocol.get_deposit_info(self._base_url, source_chain_id, asset_id, amount)
        return await self._call(request, models.DepositInfoResponse)

    async def prepare_deposit(
        self, request: models.DepositPrepareRequest
    ) -> models.DepositPrepareResponse:
        """``POST /v1/deposit/prepare``: the unsigned EIP-1559 transaction and its proof.

        Inspect it with :func:`~o2_core.bridge.parse_evm_unsigned_transaction` before signing.

        Args:
            request: the deposit: EVM sender, Fuel recipient, asset, amount (Fuel units).

        Returns:
            The unsigned transaction and its preparation proof.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            BridgeApiError: the bridge answered with an error (BridgeInvalidResponse: a reply
                that cannot be used).
            BridgeTimeout: no reply within ``timeout_seconds``.
            BridgeTransportError: no reply at all.
        """
        built = protocol.prepare_deposit(self._base_url, request)
        return await self._call(built, models.DepositPrepareResponse)

    async def submit_deposit(self, request: models.SubmitRequest) -> models.DepositSubmitResponse:
        """``POST /v1/deposit/submit`` with the 65-byte ``r || s || v`` signature.

        A :class:`~o2_core.bridge.BridgeTimeout` or
        :class:`~o2_core.bridge.BridgeTransportError` does not mean it was refused: read the
        status before submitting again.

        Args:
            request: the preparation proof, the unsigned transaction and its signature.

        Returns:
            The submission's answer.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            BridgeApiError: the bridge answered with an error (BridgeInvalidResponse: a reply
                that cannot be used).
            BridgeTimeout: no reply within ``timeout_seconds``.
            BridgeTransportError: no reply at all.
        """
        built = protocol.submit_deposit(self._base_url, request)
        return await self._call(built, models.DepositSubmitResponse)

    async def get_deposit_status(
        self, source_chain_id: int, evm_tx_hash: str
    ) -> models.DepositStatusResponse:
        """``GET /v1/deposit/status``; an unknown hash raises a 404 ``BridgeApiError``.

        Args:
            source_chain_id: the EVM chain of the deposit.
            evm_tx_hash: its transaction hash.

        Returns:
            The deposit's status.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            BridgeApiError: the bridge answered with an error (BridgeInvalidResponse: a reply
                that cannot be used).
            BridgeTimeout: no reply within ``timeout_seconds``.
            BridgeTransportError: no reply at all.
        """
        request = protocol.get_deposit_status(self._base_url, source_chain_id, evm_tx_hash)
        return await self._call(request, models.DepositStatusResponse)

    async def get_withdraw_info(
        self,
        destination_chain_id: int,
        asset_id: str | None = None,
        amount: int | str | None = None,
    ) -> models.WithdrawInfoResponse:
        """``GET /v1/withdraw/info``: route, contracts, fees and rate limits.

        Args:
            destination_chain_id: the EVM chain to withdraw to.
            asset_id: the Fuel asset id (None: every route of the chain).
            amount: Fuel base units: asks whether a withdrawal of that amount is eligible.

        Returns:
            The withdrawal routes and limits.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            BridgeApiError: the bridge answered with an error (BridgeInvalidResponse: a reply
                that cannot be used).
            BridgeTimeout: no reply within ``timeout_seconds``.
            BridgeTransportError: no reply at all.
        """
        request = protocol.get_withdraw_info(self._base_url, destination_chain_id, asset_id, amount)
        return await self._call(request, models.WithdrawInfoResponse)

    async def get_withdraw_fee(
        self, destination_chain_id: int, asset_id: str
    ) -> models.WithdrawFeeResponse:
        """``GET /v1/withdraw/fee``: the current fee quote in Fuel base units.

        Args:
            destination_chain_id: the EVM chain to withdraw to.
            asset_id: the Fuel asset id.

        Returns:
            The fee quote.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            BridgeApiError: the bridge answered with an error (BridgeInvalidResponse: a reply
                that cannot be used).
            BridgeTimeout: no reply within ``timeout_seconds``.
            BridgeTransportError: no reply at all.
        """
        request = protocol.get_withdraw_fee(self._base_url, destination_chain_id, asset_id)
        return await self._call(request, models.WithdrawFeeResponse)

    async def prepare_withdraw(
        self, request: models.WithdrawPrepareRequest
    ) -> models.WithdrawPrepareResponse:
        """``POST /v1/withdraw/prepare``: the unsigned Fuel script and its proof.

        Inspect it with :func:`~o2_core.bridge.parse_fuel_unsigned_transaction` (with a
        trusted chain id and ``maxInputs``) and sign its ``transaction_id``.

        Args:
            request: the withdrawal: Fuel sender, EVM recipient, asset, amount (Fuel units).

        Returns:
            The unsigned transaction, its id and its preparation proof.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            BridgeApiError: the bridge answered with an error (BridgeInvalidResponse: a reply
                that cannot be used).
            BridgeTimeout: no reply within ``timeout_seconds``.
            BridgeTransportError: no reply at all.
        """
        built = protocol.prepare_withdraw(self._base_url, request)
        return await self._call(built, models.WithdrawPrepareResponse)

    async def submit_withdraw(self, request: models.SubmitRequest) -> models.WithdrawSubmitResponse:
        """``POST /v1/withdraw/submit`` with the 64-byte Fuel compact signature.

        A :class:`~o2_core.bridge.BridgeTimeout` or
        :class:`~o2_core.bridge.BridgeTransportError` does not mean it was refused: read the
        status before submitting again.

        Args:
            request: the preparation proof, the unsigned transaction and its signature.

        Returns:
            The submission's answer.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            BridgeApiError: the bridge answered with an error (BridgeInvalidResponse: a reply
                that cannot be used).
            BridgeTimeout: no reply within ``timeout_seconds``.
            BridgeTransportError: no reply at all.
        """
        built = protocol.submit_withdraw(self._base_url, request)
        return await self._call(built, models.WithdrawSubmitResponse)

    async def get_withdraw_status(self, fuel_tx_id: str) -> models.WithdrawStatusResponse:
        """``GET /v1/withdraw/status``; an unknown id raises a 404 ``BridgeApiError``.

        Args:
            fuel_tx_id: the Fuel transaction id.

        Returns:
            The withdrawal's status.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            BridgeApiError: the bridge answered with an error (BridgeInvalidResponse: a reply
                that cannot be used).
            BridgeTimeout: no reply within ``timeout_seconds``.
            BridgeTransportError: no reply at all.
        """
        request = protocol.get_withdraw_status(self._base_url, fuel_tx_id)
        return await self._call(request, models.WithdrawStatusResponse)


__all__ = [
    "FAST_BRIDGE_MAINNET_URL",
    "FAST_BRIDGE_TESTNET_URL",
    "BridgeApiError",
    "FastBridgeClient",
]
