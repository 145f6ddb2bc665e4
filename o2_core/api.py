"""``O2Api``: the low-level REST client, one method per endpoint, over a Transport.

Each method builds a :class:`~o2_core.http.Request` with the pure core, sends it with
the retries :class:`~o2_core.policy.RetryPolicy` decides, and decodes the reply. Method
names and arguments follow the official SDK's ``O2Api`` (ids, not market names; depth
``precision`` as its wire value). :class:`~o2_core.client.O2Client` is built on it and is
what most code wants. anyio only (sleeps between retries); it opens no socket itself.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

import anyio

from . import http
from .config import NetworkConfig
from .errors import InvalidInput, TransportError, UnknownSubmissionOutcome
from .http import Decoder, Reply, Request
from .models import (
    AccountCreateResponse,
    AccountInfo,
    Balance,
    Bar,
    DepthSnapshot,
    FaucetResponse,
    MarketsResponse,
    MarketSummary,
    MarketTicker,
    Order,
    OrdersResponse,
    ReferralInfo,
    Trade,
    WhitelistResponse,
    decode,
)
from .policy import Raise, Retry, RetryPolicy
from .transport import Transport, default_transport

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _as(kind: type[T]) -> Decoder[T]:
    return lambda body: decode(body, kind)


class O2Api:
    """Low-level REST client for the O2 Exchange.

    Args:
        config: the deployment's endpoints.
        transport: how requests travel.
        transport_factory: makes the transport on first use when none is given (default:
            an installed one able to reach ``config.api_base``).
        policy: retries and backoff (default :class:`~o2_core.policy.RetryPolicy`).
        request_timeout: seconds a read may take, per attempt.
        action_timeout_seconds: seconds a signed submission may take (one attempt).
        rand: random floats in [0, 1) for the retry jitter.

    Raises:
        InvalidInput: a non-positive timeout.
    """

    def __init__(
        self,
        config: NetworkConfig,
        transport: Transport | None = None,
        *,
        transport_factory: Callable[[], Transport] | None = None,
        policy: RetryPolicy | None = None,
        request_timeout: float = 10.0,
        action_timeout_seconds: float = 30.0,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if not request_timeout > 0 or not action_timeout_seconds > 0:
            raise InvalidInput("timeouts must be greater than zero")
        self.config = config
        self._transport = transport
        self._transport_factory = transport_factory
        self.policy = policy if policy is not None else RetryPolicy()
        self.request_timeout = request_timeout
        self.action_timeout = action_timeout_seconds
        self._rand = rand

    @property
    def transport(self) -> Transport:
        """The transport requests travel over (the default one is made on first use)."""
        if self._transport is None:
            factory = self._transport_factory
            self._transport = (
                factory() if factory is not None else default_transport(self.config.api_base)
            )
        return self._transport

    @property
    def has_transport(self) -> bool:
        """True once a transport exists (given, or made by a first request)."""
        return self._transport is not None

    async def close(self) -> None:
        """Close the transport (if one was ever made)."""
        if self._transport is not None:
            await self._transport.aclose()

    # --- sending ---------------------------------------------------------------------

    async def send(self, request: Request, timeout: float | None = None) -> Reply:
        """Send ``request`` with the policy's retries; the success reply, or raise.

        Raises:
            O2Error: the error the last reply stands for, or the transport's failure
                (``UnknownSubmissionOutcome`` for a signed submission without reply).
        """
        timeout = self.request_timeout if timeout is None else timeout
        attempt = 0
        path = urlsplit(request.url).path  # never the query, headers or body: no secrets
        while True:
            outcome: Reply | TransportError
            started = anyio.current_time()
            try:
                outcome = http.classify(await self.transport.request(request, timeout))
            except TransportError as err:
                outcome = err
            if logger.isEnabledFor(logging.DEBUG):
                status = outcome.response.status if isinstance(outcome, Reply) else "no reply"
                elapsed = (anyio.current_time() - started) * 1000
                logger.debug("%s %s -> %s in %.1f ms", request.method, path, status, elapsed)
            decision = self.policy.decide(request, attempt, outcome, self._rand())
            if isinstance(decision, Retry):
                reason = outcome.error if isinstance(outcome, Reply) else outcome
                delay = decision.delay
                logger.info("%s %s failed (%s); retry in %.2fs", request.method, path, reason,
                            delay)
                attempt += 1
                await anyio.sleep(decision.delay)
            elif isinstance(decision, Raise):
                if isinstance(decision.error, UnknownSubmissionOutcome):
                    logger.warning("%s %s: outcome unknown, not re-sent: %s",
                                   request.method, path, outcome)
                if decision.error is outcome or not isinstance(outcome, TransportError):
                    raise decision.error
                raise decision.error from outcome
            else:
                assert isinstance(outcome, Reply)
                return outcome

    async def fetch(self, request: Request, decoder: Decoder[T]) -> T:
        """Send ``request`` and decode its success reply with ``decoder``."""
        return decoder((await self.send(request)).response.body)

    # --- market data -----------------------------------------------------------------

    async def get_markets(self) -> MarketsResponse:
        """``GET /v1/markets``."""
        return await self.fetch(http.get_markets(self.config.api_base), _as(MarketsResponse))

    async def get_market_summary(self, market_id: str) -> MarketSummary:
        """``GET /v1/markets/summary``."""
        request = http.get_market_summary(self.config.api_base, market_id)
        return await self.fetch(request, http.decode_summary)

    async def get_market_ticker(self, market_id: str) -> MarketTicker:
        """``GET /v1/markets/ticker`` (an object, or the live API's one-item list)."""
        request = http.get_market_ticker(self.config.api_base, market_id)
        return await self.fetch(request, lambda body: http.decode_ticker(body, market_id))

    async def get_depth(
        self, market_id: str, precision: int = 10, limit: int | None = None
    ) -> DepthSnapshot:
        """``GET /v1/depth``; ``precision`` is the wire value (a power of ten, 10..10^18)."""
        level = http.depth_precision_level(precision)
        request = http.get_depth(self.config.api_base, market_id, level, limit)
        snapshot = await self.fetch(request, http.decode_depth)
        if limit is not None:  # honoured even if the server ignores it
            return DepthSnapshot(snapshot.bids[:limit], snapshot.asks[:limit], snapshot.market_id)
        return snapshot

    async def get_trades(
        self,
        market_id: str,
        direction: str = "desc",
        count: int = 50,
        start_timestamp: int | None = None,
        start_trade_id: str | None = None,
        contract: str | None = None,
    ) -> list[Trade]:
        """``GET /v1/trades`` (or ``/v1/trades_by_account`` with ``contract``)."""
        if contract is not None:
            return await self.get_trades_by_account(
                market_id, contract, direction, count, start_timestamp, start_trade_id
            )
        request = http.get_trades(
            self.config.api_base, market_id, count, direction, start_timestamp, start_trade_id
        )
        return await self.fetch(request, http.decode_trades)

    async def get_trades_by_account(
        self,
        market_id: str,
        contract: str,
        direction: str = "desc",
        count: int = 50,
        start_timestamp: int | None = None,
        start_trade_id: str | None = None,
    ) -> list[Trade]:
        """``GET /v1/trades_by_account``."""
        request = http.get_trades_by_account(
            self.config.api_base,
            market_id,
            contract,
            count,
            direction,
            start_timestamp,
            start_trade_id,
        )
        return await self.fetch(request, http.decode_trades)

    async def get_bars(
        self, market_id: str, from_ts: int, to_ts: int, resolution: str = "1h"
    ) -> list[Bar]:
        """``GET /v1/bars`` between ``from_ts`` and ``to_ts`` (milliseconds)."""
        request = http.get_bars(self.config.api_base, market_id, from_ts, to_ts, resolution)
        return await self.fetch(request, http.decode_bars)

    # --- accounts --------------------------------------------------------------------

    async def create_account(self, owner_address: str) -> AccountCreateResponse:
        """``POST /v1/accounts`` for an owner address."""
        request = http.create_account(self.config.api_base, owner_address)
        return await self.fetch(request, _as(AccountCreateResponse))

    async def get_account(
        self,
        owner: str | None = None,
        trade_account_id: str | None = None,
        owner_contract: str | None = None,
    ) -> AccountInfo:
        """``GET /v1/accounts`` by exactly one of owner, trade account id, owner contract."""
        request = http.get_account(self.config.api_base, owner, trade_account_id, owner_contract)
        return await self.fetch(request, _as(AccountInfo))

    async def get_balance(
        self, asset_id: str, contract: str | None = None, address: str | None = None
    ) -> Balance:
        """``GET /v1/balance`` of one asset of a trading account (or an address)."""
        request = http.get_balance(self.config.api_base, asset_id, contract, address)
        return await self.fetch(request, _as(Balance))

    async def get_orders(
        self,
        market_id: str,
        contract: str,
        direction: str = "desc",
        count: int = 20,
        is_open: bool | None = None,
        start_timestamp: int | None = None,
        start_order_id: str | None = None,
    ) -> list[Order]:
        """``GET /v1/orders`` of a trading account on a market."""
        request = http.get_orders(
            self.config.api_base,
            market_id,
            contract,
            count,
            is_open,
            direction,
            start_timestamp,
            start_order_id,
        )
        return list((await self.fetch(request, _as(OrdersResponse))).orders)

    async def get_order(self, market_id: str, order_id: str) -> Order:
        """``GET /v1/order``."""
        request = http.get_order(self.config.api_base, market_id, order_id)
        return await self.fetch(request, http.decode_order)

    async def whitelist_account(self, trade_account_id: str) -> WhitelistResponse:
        """``POST /analytics/v1/whitelist``."""
        request = http.whitelist_account(self.config.api_base, trade_account_id)
        return await self.fetch(request, _as(WhitelistResponse))

    async def get_referral_info(self, code: str) -> ReferralInfo:
        """``GET /analytics/v1/referral/code-info``."""
        request = http.get_referral_info(self.config.api_base, code)
        return await self.fetch(request, _as(ReferralInfo))

    # --- faucet ----------------------------------------------------------------------

    async def mint_to_contract(self, contract_id: str) -> FaucetResponse:
        """Mint test assets to a trading account (a cooldown comes back as ``error``)."""
        return await self._mint(contract=contract_id)

    async def mint_to_address(self, address: str) -> FaucetResponse:
        """Mint test assets to an address (a cooldown comes back as ``error``)."""
        return await self._mint(address=address)

    async def _mint(
        self, address: str | None = None, contract: str | None = None
    ) -> FaucetResponse:
        if not self.config.faucet_url:
            raise InvalidInput("this network has no faucet")
        request = http.faucet_mint(self.config.faucet_url, address, contract)
        try:
            response = await self.transport.request(request, self.request_timeout)
        except TransportError as err:
            return FaucetResponse(error=str(err))
        return http.parse_faucet(response)


__all__ = ["O2Api"]
