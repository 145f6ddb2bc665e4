"""``O2Api``: the low-level REST client, one method per endpoint, over a Transport.

Each method builds a :class:`~o2_core.http.Request` with the pure core, sends it with
the retries :class:`~o2_core.policy.RetryPolicy` decides (:mod:`o2_core.api_base`), and
decodes the reply (:mod:`o2_core.replies`). Method
names and arguments follow the official SDK's ``O2Api`` (ids, not market names; depth
``precision`` as its wire value). :class:`~o2_core.client.O2Client` is built on it and is
what most code wants. anyio only (sleeps between retries); it opens no socket itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import http, replies
from .api_base import ApiBase
from .errors import InvalidInput, TransportError
from .models import (
    AccountCreateResponse,
    AccountInfo,
    ActionsResponse,
    AggregatedAsset,
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
    SessionResponse,
    Trade,
    WhitelistResponse,
    WithdrawResponse,
    decode,
    encode,
)
from .replies import decoder_of


def _body(payload: Mapping[str, Any]) -> bytes:
    """The JSON body of a request dict."""
    if not isinstance(payload, Mapping):
        raise InvalidInput(f"a request body is a dict, got {type(payload).__name__}")
    return encode(dict(payload))


class O2Api(ApiBase):
    """Low-level REST client for the O2 Exchange.

    The official constructor shape, ``O2Api(config, session=None,
    action_timeout_seconds=30.0)``, works as it is; the rest is keyword-only.

    Args:
        config: the deployment's endpoints.
        session: how requests travel: a :class:`~o2_core.transport.Transport`, or (as in
            o2-sdk) an ``aiohttp.ClientSession``, used through the installed aiohttp
            transport and left for its owner to close.
        action_timeout_seconds: seconds a signed submission may take (one attempt).
        transport: a :class:`~o2_core.transport.Transport` (the keyword form of
            ``session``; give one or the other).
        transport_factory: makes the transport on first use when none is given (default:
            an installed one able to reach ``config.api_base``).
        policy: retries and backoff (default :class:`~o2_core.policy.RetryPolicy`).
        request_timeout: seconds a read may take, per attempt.
        rand: random floats in [0, 1) for the retry jitter.

    Raises:
        InvalidInput: a non-positive timeout, or both ``session`` and ``transport``.
        UsageError: an aiohttp session without the aiohttp transport installed.
    """

    # --- market data -----------------------------------------------------------------

    async def get_markets(self) -> MarketsResponse:
        """``GET /v1/markets``.

        Returns:
            Every market, the chain id and the registry ids.

        Raises:
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        return await self.fetch(http.get_markets(self.config.api_base), decoder_of(MarketsResponse))

    async def get_market_summary(self, market_id: str) -> MarketSummary:
        """``GET /v1/markets/summary``.

        Args:
            market_id: the market's id.

        Returns:
            The summary (a dict with typed reads).

        Raises:
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        request = http.get_market_summary(self.config.api_base, market_id)
        return await self.fetch(request, replies.decode_summary)

    async def get_market_ticker(self, market_id: str) -> MarketTicker:
        """``GET /v1/markets/ticker`` (an object, or the live API's one-item list).

        Args:
            market_id: the market's id.

        Returns:
            The ticker (a dict with typed reads).

        Raises:
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        request = http.get_market_ticker(self.config.api_base, market_id)
        return await self.fetch(request, lambda body: replies.decode_ticker(body, market_id))

    async def get_depth(
        self, market_id: str, precision: int = 10, limit: int | None = None
    ) -> DepthSnapshot:
        """``GET /v1/depth``.

        Args:
            market_id: the market's id.
            precision: the wire value, a power of ten (10..10**18; o2-sdk's form).
            limit: at most this many levels per side (applied here too, even if the server
                ignores it).

        Returns:
            The snapshot.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        level = http.depth_precision_level(precision)
        request = http.get_depth(self.config.api_base, market_id, level, limit)
        snapshot = await self.fetch(request, replies.decode_depth)
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
        """``GET /v1/trades`` (or ``/v1/trades_by_account`` with ``contract``).

        Args:
            market_id: the market's id.
            direction: ``"desc"`` (newest first) or ``"asc"``.
            count: how many, 1..50.
            start_timestamp: page from this timestamp.
            start_trade_id: page from this trade id.
            contract: only this trading account's trades.

        Returns:
            The trades.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        if contract is not None:
            return await self.get_trades_by_account(
                market_id, contract, direction, count, start_timestamp, start_trade_id
            )
        request = http.get_trades(
            self.config.api_base, market_id, count, direction, start_timestamp, start_trade_id
        )
        return await self.fetch(request, replies.decode_trades)

    async def get_trades_by_account(
        self,
        market_id: str,
        contract: str,
        direction: str = "desc",
        count: int = 50,
        start_timestamp: int | None = None,
        start_trade_id: str | None = None,
    ) -> list[Trade]:
        """``GET /v1/trades_by_account``.

        Args:
            market_id: the market's id.
            contract: the trading account id.
            direction: ``"desc"`` (newest first) or ``"asc"``.
            count: how many, 1..50.
            start_timestamp: page from this timestamp.
            start_trade_id: page from this trade id.

        Returns:
            The trades.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        request = http.get_trades_by_account(
            self.config.api_base,
            market_id,
            contract,
            count,
            direction,
            start_timestamp,
            start_trade_id,
        )
        return await self.fetch(request, replies.decode_trades)

    async def get_bars(
        self, market_id: str, from_ts: int, to_ts: int, resolution: str = "1h"
    ) -> list[Bar]:
        """``GET /v1/bars``.

        Args:
            market_id: the market's id.
            from_ts: the start, in milliseconds.
            to_ts: the end, in milliseconds.
            resolution: the bar width (``"1m"``, ``"1h"``, ...).

        Returns:
            The bars.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        request = http.get_bars(self.config.api_base, market_id, from_ts, to_ts, resolution)
        return await self.fetch(request, replies.decode_bars)

    # --- accounts --------------------------------------------------------------------

    async def create_account(self, owner_address: str) -> AccountCreateResponse:
        """``POST /v1/accounts`` for an owner address.

        Args:
            owner_address: the owner's b256 address.

        Returns:
            The new account's id.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        request = http.create_account(self.config.api_base, owner_address)
        return await self.fetch(request, decoder_of(AccountCreateResponse))

    async def get_account(
        self,
        owner: str | None = None,
        trade_account_id: str | None = None,
        owner_contract: str | None = None,
    ) -> AccountInfo:
        """``GET /v1/accounts`` by exactly one of owner, trade account id, owner contract.

        Args:
            owner: the owner's address.
            trade_account_id: the trading account's id.
            owner_contract: the owning contract's id.

        Returns:
            The account (``exists`` is False when there is none).

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        request = http.get_account(self.config.api_base, owner, trade_account_id, owner_contract)
        return await self.fetch(request, decoder_of(AccountInfo))

    async def get_balance(
        self, asset_id: str, contract: str | None = None, address: str | None = None
    ) -> Balance:
        """``GET /v1/balance`` of one asset of a trading account (or an address).

        Args:
            asset_id: the asset.
            contract: a trading account id.
            address: an address (give this or ``contract``).

        Returns:
            The balance.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        request = http.get_balance(self.config.api_base, asset_id, contract, address)
        return await self.fetch(request, decoder_of(Balance))

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
        """``GET /v1/orders`` of a trading account on a market.

        Args:
            market_id: the market's id.
            contract: the trading account id.
            direction: ``"desc"`` (newest first) or ``"asc"``.
            count: how many, 1..200.
            is_open: True: open orders only; False: closed only; None: both.
            start_timestamp: page from this timestamp.
            start_order_id: page from this order id.

        Returns:
            The orders.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
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
        return list((await self.fetch(request, decoder_of(OrdersResponse))).orders)

    async def get_order(self, market_id: str, order_id: str) -> Order:
        """``GET /v1/order``.

        Args:
            market_id: the market's id.
            order_id: the order's id.

        Returns:
            The order.

        Raises:
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        request = http.get_order(self.config.api_base, market_id, order_id)
        return await self.fetch(request, replies.decode_order)

    async def whitelist_account(self, trade_account_id: str) -> WhitelistResponse:
        """``POST /analytics/v1/whitelist``.

        Args:
            trade_account_id: the trading account id.

        Returns:
            Whether it was whitelisted (or already was).

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        request = http.whitelist_account(self.config.api_base, trade_account_id)
        return await self.fetch(request, decoder_of(WhitelistResponse))

    async def get_referral_info(self, code: str) -> ReferralInfo:
        """``GET /analytics/v1/referral/code-info``.

        Args:
            code: the referral code.

        Returns:
            Whether the code is valid, and its owner.

        Raises:
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        request = http.get_referral_info(self.config.api_base, code)
        return await self.fetch(request, decoder_of(ReferralInfo))

    # --- signed submissions (o2-sdk's request dicts) ---------------------------------
    #
    # The request bodies are built by the caller, as o2-sdk's O2Client builds them (see
    # o2_core.encoding's build_* functions); O2Client builds its own with o2_core.actions.
    # Each is one attempt (``idempotent=False``): a lost reply raises
    # UnknownSubmissionOutcome instead of risking a second execution.

    async def create_session(
        self, owner_id: str, session_request: Mapping[str, Any]
    ) -> SessionResponse:
        """``PUT /v1/session`` with a signed session request (o2-sdk's dict); one attempt.

        Args:
            owner_id: the owner's b256 address (the ``O2-Owner-Id`` header).
            session_request: the signed request body.

        Returns:
            The session's registration.

        Raises:
            InvalidInput: the request is not a dict.
            UnknownSubmissionOutcome: sent, but no reply came; it is not re-sent.
            O2Error: the error the reply stands for (an on-chain revert included).
        """
        request = http.put_session(self.config.api_base, owner_id, _body(session_request))
        reply = await self.send(request, self.action_timeout)
        return decode(reply.response.body, SessionResponse)

    async def submit_actions(
        self, owner_id: str, actions_request: Mapping[str, Any]
    ) -> ActionsResponse:
        """``POST /v1/session/actions`` with a signed actions request (o2-sdk's dict); one
        attempt.

        Args:
            owner_id: the owner's b256 address (the ``O2-Owner-Id`` header).
            actions_request: the signed request body.

        Returns:
            The transaction id, and the created orders if they were asked for.

        Raises:
            InvalidInput: the request is not a dict.
            UnknownSubmissionOutcome: sent, but no reply came; it is not re-sent.
            O2Error: the error the reply stands for (an on-chain revert included).
        """
        request = http.post_actions(self.config.api_base, owner_id, _body(actions_request))
        reply = await self.send(request, self.action_timeout)
        return replies.decode_actions(reply.response.body)

    async def withdraw(
        self, owner_id: str, withdraw_request: Mapping[str, Any]
    ) -> WithdrawResponse:
        """``POST /v1/accounts/withdraw`` with an owner-signed request (o2-sdk's dict); one
        attempt.

        Args:
            owner_id: the owner's b256 address (the ``O2-Owner-Id`` header).
            withdraw_request: the signed request body.

        Returns:
            The withdrawal's transaction id.

        Raises:
            InvalidInput: the request is not a dict.
            UnknownSubmissionOutcome: sent, but no reply came; it is not re-sent.
            O2Error: the error the reply stands for (an on-chain revert included).
        """
        request = http.post_withdraw(self.config.api_base, owner_id, _body(withdraw_request))
        reply = await self.send(request, self.action_timeout)
        return decode(reply.response.body, WithdrawResponse)

    async def upgrade_account(self, owner_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /v1/accounts/upgrade``, owner-signed over
        :func:`~o2_core.encoding.build_set_proxy_signing_bytes`. Sent like a read: the signed
        nonce lands once.

        Args:
            owner_id: the owner's b256 address (the ``O2-Owner-Id`` header).
            request: ``{trade_account_id, nonce, signature}``.

        Returns:
            The reply as JSON, ``{"tx_id": ...}``.

        Raises:
            InvalidInput: the request is not a dict.
            O2Error: the error the reply stands for ("No upgrade available" when the account
                is current).
        """
        built = http.post_upgrade(self.config.api_base, owner_id, _body(request))
        return replies.json_object(built, await self.send(built, self.action_timeout))

    async def get_account_window(
        self, trade_account_id: str, nonce_session_id: int = 0
    ) -> dict[str, Any]:
        """``GET /v1/accounts/window``: one lane's parallel-nonce window, as o2-sdk returns it.

        Args:
            trade_account_id: the trading account id.
            nonce_session_id: the lane, 0..4.

        Returns:
            The JSON (``nonce_session_id``, ``base``, ``slots``); parse it with
            :meth:`o2_core.nonce.WindowResponse.from_dict`.

        Raises:
            InvalidInput: a malformed argument (nothing is sent).
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        request = http.get_accounts_window(self.config.api_base, trade_account_id,
                                           nonce_session_id)
        return replies.json_object(request, await self.send(request))

    # --- aggregated (CoinGecko/CMC style) ---------------------------------------------

    async def get_aggregated_assets(self) -> list[AggregatedAsset]:
        """``GET /v1/aggregated/assets``.

        Returns:
            The assets.

        Raises:
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        request = http.get_aggregated(self.config.api_base, "assets")
        items = replies.json_list(request, await self.send(request), "assets")
        return [AggregatedAsset.from_dict(item) for item in items]

    async def get_aggregated_orderbook(
        self, market_pair: str, depth: int = 500, level: int = 2
    ) -> dict[str, Any]:
        """``GET /v1/aggregated/orderbook`` of a ``BASE_QUOTE`` pair, as JSON.

        Args:
            market_pair: the pair, ``BASE_QUOTE``.
            depth: how many levels.
            level: the aggregation level.

        Returns:
            The reply's JSON object.

        Raises:
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        request = http.get_aggregated(
            self.config.api_base, "orderbook", market_pair=market_pair, depth=depth, level=level
        )
        return replies.json_object(request, await self.send(request))

    async def get_aggregated_summary(self) -> list[dict[str, Any]]:
        """``GET /v1/aggregated/summary``.

        Returns:
            One JSON object per market.

        Raises:
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        request = http.get_aggregated(self.config.api_base, "summary")
        return replies.json_list(request, await self.send(request), "summary")

    async def get_aggregated_ticker(self) -> list[dict[str, Any]]:
        """``GET /v1/aggregated/ticker``.

        Returns:
            One JSON object per market.

        Raises:
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        request = http.get_aggregated(self.config.api_base, "ticker")
        return replies.json_list(request, await self.send(request), "ticker")

    async def get_aggregated_trades(self, market_pair: str) -> list[Trade]:
        """``GET /v1/aggregated/trades`` of a ``BASE_QUOTE`` pair.

        Args:
            market_pair: the pair, ``BASE_QUOTE``.

        Returns:
            The trades.

        Raises:
            O2Error: the error the reply stands for, once the retries are spent (a
                TransportError when no reply came, a ProtocolError for an unreadable one).
        """
        request = http.get_aggregated(self.config.api_base, "trades", market_pair=market_pair)
        return await self.fetch(request, replies.decode_trades)

    # --- faucet ----------------------------------------------------------------------

    async def mint_to_contract(self, contract_id: str) -> FaucetResponse:
        """Mint test assets to a trading account (one attempt).

        Args:
            contract_id: the trading account id.

        Returns:
            The faucet's answer; a refusal (a cooldown) or a lost connection comes back as
            ``error``, not raised.

        Raises:
            InvalidInput: this network has no faucet.
        """
        return await self._mint(contract=contract_id)

    async def mint_to_address(self, address: str) -> FaucetResponse:
        """Mint test assets to an address (one attempt).

        Args:
            address: the address.

        Returns:
            The faucet's answer; a refusal (a cooldown) or a lost connection comes back as
            ``error``, not raised.

        Raises:
            InvalidInput: this network has no faucet.
        """
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
        return replies.parse_faucet(response)


__all__ = ["O2Api"]
