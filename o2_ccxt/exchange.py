"""``O2CCXT``: the O2 Exchange as an asynchronous ccxt exchange, built on ``O2Client``.

REST methods follow the official o2-sdk 0.5.0 adapter; ``watch_*`` methods (ccxt pro
style) run over the client's shared WebSocket (see :mod:`o2_ccxt.live`). Signing,
nonces, sessions and exact decimal scaling stay in the client.

This module holds the class itself: its configuration and credentials, its ccxt
description, the account and session set-up, and ``close``. The methods come from
mixins over :class:`~o2_ccxt.base.ExchangeCore`: :mod:`~o2_ccxt.markets` (market
loading, symbol mapping, ``parse_*``), :mod:`~o2_ccxt.public` (public ``fetch_*``),
:mod:`~o2_ccxt.trading` (private reads, orders, withdrawals) and :mod:`~o2_ccxt.watch`
(``watch_*``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import ccxt.async_support as ccxt

from o2_core import errors as o2
from o2_core.client import O2Client
from o2_core.config import NetworkConfig
from o2_core.crypto import Signer
from o2_core.market_models import Market
from o2_core.models import SessionInfo, b256
from o2_core.transport import Transport

from . import live
from .errors import AuthenticationError, BadRequest
from .params import depth_precision, o2_network
from .parse import TIMEFRAMES
from .public import ExchangePublic
from .trading import ExchangeTrading
from .watch import ExchangeWatch

Json = dict[str, Any]


class O2CCXT(ExchangeWatch, ExchangeTrading, ExchangePublic):
    """The O2 Exchange as an asynchronous ccxt exchange (``ccxt.async_support``).

    Args:
        config: ccxt options plus the O2 ones:
            ``client`` (an existing ``O2Client``; it is closed by :meth:`close`),
            ``network`` (``"testnet"``, ``"mainnet"``, ``"devnet"``, ``"local"`` or a
            ``Network``; default testnet), ``custom_config`` (a ``NetworkConfig``, e.g.
            pointing at an ``o2-sim``), ``transport`` (a ``Transport`` for the client made
            here), ``privateKey`` or ``signer`` (the owner), ``session`` (a saved
            ``SessionInfo`` to restore), ``tradeAccountId``.

    Raises:
        AuthenticationError: both ``privateKey`` and ``signer``, or a bad ``privateKey``.
        BadRequest: an option of the wrong type, or ``client`` with ``network``,
            ``custom_config`` or ``transport``.
    """

    def __init__(self, config: Json | None = None) -> None:
        options = dict(config or {})
        client = options.pop("client", options.pop("o2_client", None))
        network = options.pop("network", None)
        custom_config = options.pop("custom_config", options.pop("o2_config", None))
        transport = options.pop("transport", None)
        private_key = options.pop("privateKey", options.pop("private_key", None))
        signer = options.pop("signer", None)
        session = options.pop("session", None)
        account = options.pop("tradeAccountId", options.pop("trade_account_id", None))
        if private_key is not None and signer is not None:
            raise AuthenticationError("provide privateKey or signer, not both")
        super().__init__(options)
        if client is not None:
            if not isinstance(client, O2Client):
                raise BadRequest("client must be an O2Client")
            if network is not None or custom_config is not None or transport is not None:
                raise BadRequest("pass network/custom_config/transport or a client, not both")
        if custom_config is not None and not isinstance(custom_config, NetworkConfig):
            raise BadRequest("custom_config must be an O2 NetworkConfig")
        self.o2_client = client or O2Client(
            network=o2_network(network),
            custom_config=custom_config,
            transport=cast("Transport | None", transport),
        )
        self._owner = signer
        if private_key is not None:
            try:
                self._owner = O2Client.load_wallet(str(private_key))
            except (o2.O2Error, ValueError):
                raise AuthenticationError("privateKey is not a valid private key") from None
        self._trade_account_id = None
        if account is not None:
            try:
                self._trade_account_id = str(b256(str(account), "tradeAccountId"))
            except o2.InvalidInput as err:
                raise BadRequest(str(err)) from None
        self._o2_markets = {}
        self._hub = live.Hub(self)
        if session is not None:
            self.restore_session(session)

    def describe(self) -> Json:
        """The exchange's static description (ccxt).

        Returns:
            ccxt's description with O2's id, capabilities (``has``), timeframes and options.
        """
        return cast(
            Json,
            self.deep_extend(
                super().describe(),
                {
                    "id": "o2",
                    "name": "O2 Exchange",
                    "version": "v1",
                    "countries": [],
                    "rateLimit": 0,
                    "enableRateLimit": False,
                    "precisionMode": ccxt.DECIMAL_PLACES,
                    "dex": True,
                    "pro": True,
                    "has": {
                        "CORS": None,
                        "spot": True,
                        "margin": False,
                        "swap": False,
                        "future": False,
                        "option": False,
                        "ws": True,
                        "fetchMarkets": True,
                        "fetchCurrencies": False,
                        "fetchTicker": True,
                        "fetchOrderBook": True,
                        "fetchL2OrderBook": True,
                        "fetchTrades": True,
                        "fetchOHLCV": True,
                        "fetchBalance": True,
                        "createOrder": True,
                        "createMarketOrder": True,
                        "createLimitOrder": True,
                        "cancelOrder": True,
                        "cancelAllOrders": True,
                        "fetchOrder": True,
                        "fetchOrders": True,
                        "fetchOpenOrders": True,
                        "fetchClosedOrders": True,
                        "fetchMyTrades": True,
                        "withdraw": True,
                        "watchOrderBook": True,
                        "watchTrades": True,
                        "watchTicker": True,
                        "watchOrders": True,
                        "watchMyTrades": True,
                        "watchBalance": True,
                        "unWatchOrderBook": True,
                        "unWatchTrades": True,
                        "unWatchTicker": True,
                        "unWatchOrders": True,
                        "unWatchMyTrades": True,
                        "unWatchBalance": True,
                    },
                    "timeframes": {key: key for key in TIMEFRAMES},
                    "requiredCredentials": {"apiKey": False, "secret": False},
                    "options": {"tradesLimit": 1000, "ordersLimit": 1000},
                },
            ),
        )

    # --- account and session -------------------------------------------------------

    async def setup_account(self, signer: Signer | None = None) -> Any:
        """Create (if needed), fund on test networks and whitelist the owner's account.

        Args:
            signer: the owner (default: the constructor's ``signer``/``privateKey``).

        Returns:
            The client's ``AccountInfo``; its trading account becomes this exchange's.

        Raises:
            AuthenticationError: no signer.
        """
        owner = signer or self._signer()
        result = await self._submit(lambda: self.o2_client.setup_account(owner))
        if result.trade_account_id is not None:
            self._trade_account_id = str(result.trade_account_id)
        return result

    async def create_session(
        self,
        markets: Sequence[str | Market],
        expiry_days: float = 30,
        signer: Signer | None = None,
        nonce_strategy: str = "sequential",
        nonce_session_id: int = 0,
    ) -> SessionInfo:
        """Delegate trading on ``markets`` to a new session key (signed by the owner).

        Args:
            markets: the markets the session may trade on (O2 pairs, ids or ``Market``).
            expiry_days: the session's lifetime, in days.
            signer: the owner (default: the constructor's).
            nonce_strategy: ``"sequential"`` or ``"parallel"``, passed to the client.
            nonce_session_id: the parallel lane, 0..4.

        Returns:
            The session (the client's active one).

        Raises:
            BadRequest: an unknown strategy or lane (before anything is signed).
            AuthenticationError: no signer.
        """
        owner = signer or self._signer()
        names = list(markets) if not isinstance(markets, (str, Market)) else [markets]
        session = await self._submit(
            lambda: self.o2_client.create_session(
                owner, names, expiry_days, nonce_strategy, nonce_session_id
            )
        )
        self._trade_account_id = str(session.trade_account_id)
        return session

    def restore_session(self, session: SessionInfo) -> None:
        """Make a saved session the active one (its account becomes this exchange's).

        Args:
            session: a ``SessionInfo`` saved earlier.

        Raises:
            BadRequest: not a ``SessionInfo``.
        """
        if not isinstance(session, SessionInfo):
            raise BadRequest("restore_session needs an O2 SessionInfo")
        self.o2_client.set_session(session)
        self._trade_account_id = str(session.trade_account_id)

    async def close(self, clean_instance_data: bool = False) -> None:
        """Stop every ``watch_*`` stream, close the O2 client, then ccxt's resources.

        Args:
            clean_instance_data: also forget cached markets and stream data (ccxt).
        """
        await self._hub.close()
        await self.o2_client.close()
        if self.session is None:
            self.timeout_on_exit = 0  # no aiohttp session was ever opened: nothing to drain
        await super().close(clean_instance_data)


__all__ = ["O2CCXT", "depth_precision"]
