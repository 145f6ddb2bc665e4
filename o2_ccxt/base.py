"""``ExchangeCore``: what every method group of ``O2CCXT`` stands on.

The adapter's state (the ``O2Client``, the owner, the trading account, the client's
markets, the stream hub), the mapping of client errors to ccxt errors around reads and
submissions, and the credentials a private method needs. The method groups
(:mod:`~o2_ccxt.markets`, :mod:`~o2_ccxt.public`, :mod:`~o2_ccxt.trading`,
:mod:`~o2_ccxt.watch`) derive from it; :mod:`~o2_ccxt.exchange` fills the state in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import ccxt.async_support as ccxt

from o2_core import errors as o2
from o2_core.client import O2Client
from o2_core.crypto import Signer
from o2_core.errors import OnChainRevert, api_error
from o2_core.market_models import Market
from o2_core.models import ActionsResponse

from . import live
from .errors import (
    ArgumentsRequired,
    AuthenticationError,
    BadRequest,
    OperationFailed,
    map_o2_error,
)

T = TypeVar("T")


class ExchangeCore(ccxt.Exchange):
    """The state, error mapping and credentials shared by ``O2CCXT``'s method groups."""

    #: The client every method goes through (closed by ``close()``).
    o2_client: O2Client
    _owner: Signer | None
    _trade_account_id: str | None
    #: The client's markets by O2 market id, as loaded by ``fetch_markets``.
    _o2_markets: dict[str, Market]
    _hub: live.Hub

    # --- error mapping ---------------------------------------------------------------

    async def _read(self, operation: Callable[[], Awaitable[T]]) -> T:
        try:
            return await operation()
        except Exception as err:
            raise map_o2_error(err, "read") from err

    async def _submit(
        self,
        operation: Callable[[], Awaitable[T]],
        invalid_input: Any = None,
        *,
        session: bool = False,
    ) -> T:
        """Run a signed submission; a failure becomes its ccxt error.

        Args:
            operation: the client call.
            invalid_input: the ccxt class for a ``BadRequest`` (bad input caught before
                signing), e.g. ``InvalidOrder``.
            session: it signs with the active session: when it fails and there is none,
                the error is :class:`AuthenticationError` (the client's own failure is
                kept as ``original_error``).
        """
        try:
            return await operation()
        except Exception as err:
            mapped = map_o2_error(err, "private_submission")
            if session and self.o2_client.session is None and not isinstance(
                mapped, OperationFailed
            ):
                mapped = AuthenticationError(_NO_SESSION)
                mapped.original_error = err
            elif invalid_input is not None and type(mapped) is BadRequest:
                mapped = invalid_input(str(err))  # bad order input, caught before signing
                mapped.original_error = err
            raise mapped from err

    def _check_actions(self, response: ActionsResponse) -> ActionsResponse:
        """Raise for an action reply that carries an error, even next to a tx_id."""
        if response.code is not None:
            error: o2.O2Error = api_error(
                response.code,
                response.message or "O2 action rejected",
                response.reason,
                response.receipts,
            )
            raise map_o2_error(error, "private_submission")
        if response.reason is not None:
            revert = OnChainRevert(
                response.message or "O2 action reverted",
                reason=response.reason,
                receipts=response.receipts,
            )
            raise map_o2_error(revert, "private_submission")
        if not response.success:
            raise OperationFailed("O2 action failed without a transaction or an error")
        return response

    # --- credentials -----------------------------------------------------------------

    def _account(self) -> str:
        session = self.o2_client.session
        account = self._trade_account_id or (
            str(session.trade_account_id) if session is not None else None
        )
        if account is None:
            raise ArgumentsRequired(
                "a tradeAccountId or an active O2 session is required for this private method"
            )
        return account

    def _signer(self) -> Signer:
        if self._owner is None:
            raise AuthenticationError("an O2 signer or privateKey is required for this method")
        return self._owner


_NO_SESSION = "no active O2 session: call create_session() or restore_session() first"


__all__ = ["ExchangeCore"]
