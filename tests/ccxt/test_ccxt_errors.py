"""``map_o2_error``: every row of the mapping, the official adapter's recorded cases, and
that the native error always travels along as ``original_error``."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import ccxt
import pytest

from o2_ccxt import O2AmbiguousSubmission, map_o2_error
from o2_core import errors as o2


def revert(reason: str, cls: type[o2.OnChainRevert] = o2.OnChainRevert) -> o2.OnChainRevert:
    return cls("Transaction reverted: Revert(18446744073709486086)", reason=reason)


CASES: list[tuple[BaseException, type[Exception], type[Exception]]] = [
    # (native error, ccxt class on a read, ccxt class while submitting)
    (o2.UnknownSubmissionOutcome("no reply"), O2AmbiguousSubmission, O2AmbiguousSubmission),
    (o2.ProtocolError("cannot decode"), ccxt.BadResponse, O2AmbiguousSubmission),
    (o2.RequestTimeout("slow"), ccxt.RequestTimeout, ccxt.RequestTimeout),
    (o2.TransportError("refused"), ccxt.NetworkError, ccxt.NetworkError),
    (o2.ConnectionClosed("gone"), ccxt.NetworkError, ccxt.NetworkError),
    (o2.RateLimitExceeded("slow down"), ccxt.RateLimitExceeded, ccxt.RateLimitExceeded),
    (o2.InvalidSignature("bad", 4000), ccxt.AuthenticationError, ccxt.AuthenticationError),
    (o2.InvalidSession("expired", 4001), ccxt.AuthenticationError, ccxt.AuthenticationError),
    (o2.AccountNotFound("none", 4002), ccxt.AuthenticationError, ccxt.AuthenticationError),
    (o2.SessionExpired("expired"), ccxt.AuthenticationError, ccxt.AuthenticationError),
    (o2.WhitelistNotConfigured("no", 4003), ccxt.PermissionDenied, ccxt.PermissionDenied),
    (o2.GeoRestricted("no", 1004), ccxt.RestrictedLocation, ccxt.RestrictedLocation),
    (o2.MarketNotFound("no", 2000), ccxt.BadSymbol, ccxt.BadSymbol),
    (o2.MarketPaused("paused", 2001), ccxt.MarketClosed, ccxt.MarketClosed),
    (o2.OrderNotFound("no", 3000), ccxt.OrderNotFound, ccxt.OrderNotFound),
    (o2.OrderNotActive("closed", 3001), ccxt.OrderNotFound, ccxt.OrderNotFound),
    (o2.InvalidOrderParams("bad", 3002), ccxt.InvalidOrder, ccxt.InvalidOrder),
    (o2.InvalidAmount("bad", 7000), ccxt.InvalidOrder, ccxt.InvalidOrder),
    (o2.OrderRuleError("min_order", "too small"), ccxt.InvalidOrder, ccxt.InvalidOrder),
    (o2.InvalidRequest("bad", 1001), ccxt.BadRequest, ccxt.BadRequest),
    (o2.ParseError("bad", 1002), ccxt.BadRequest, ccxt.BadRequest),
    (o2.InvalidTradeCount("bad", 5001), ccxt.BadRequest, ccxt.BadRequest),
    (o2.InvalidTimeRange("bad", 7001), ccxt.BadRequest, ccxt.BadRequest),
    (o2.InvalidPagination("bad", 7002), ccxt.BadRequest, ccxt.BadRequest),
    (o2.NoActionsProvided("none", 7003), ccxt.BadRequest, ccxt.BadRequest),
    (o2.TooManyActions("six", 7004), ccxt.BadRequest, ccxt.BadRequest),
    (o2.SubscriptionConflict("precision"), ccxt.BadRequest, ccxt.BadRequest),
    (o2.InvalidInput("negative"), ccxt.BadRequest, ccxt.BadRequest),
    (
        o2.InvalidInput("market fETH/fUSDC is not in this session; create a session ..."),
        ccxt.PermissionDenied,
        ccxt.PermissionDenied,
    ),
    (revert("OrderCreationError::InvalidInputAmount (check balance)"),
     ccxt.InsufficientFunds, ccxt.InsufficientFunds),
    (revert("WithdrawError::NotEnoughBalance"), ccxt.InsufficientFunds, ccxt.InsufficientFunds),
    (revert("OrderCreationError::OrderNotFilled"), ccxt.OrderNotFillable, ccxt.OrderNotFillable),
    (revert("OrderCreationError::OrderPartiallyFilled"),
     ccxt.OrderImmediatelyFillable, ccxt.OrderImmediatelyFillable),
    (revert("SessionError::SessionInThePast"), ccxt.AuthenticationError, ccxt.AuthenticationError),
    (revert("SignerError::InvalidSigner"), ccxt.AuthenticationError, ccxt.AuthenticationError),
    (revert("OrderCreationError::TraderNotWhiteListed"),
     ccxt.PermissionDenied, ccxt.PermissionDenied),
    (revert("NonceError::InvalidNonce"), ccxt.InvalidNonce, ccxt.InvalidNonce),
    (revert("PauseError::Paused"), ccxt.MarketClosed, ccxt.MarketClosed),
    (revert("Reverted transaction: order 0xab is already closed."),
     ccxt.OrderNotFound, ccxt.OrderNotFound),
    (revert("OrderCreationError::PricePrecision"), ccxt.InvalidOrder, ccxt.InvalidOrder),
    (revert("Revert(18446744073709486080)"), ccxt.InvalidOrder, ccxt.InvalidOrder),
    (revert("OrderCreationError::OrderNotFilled", o2.InternalRevert),
     ccxt.OrderNotFillable, ccxt.OrderNotFillable),
    (o2.SlowConsumerError("behind"), ccxt.NetworkError, ccxt.NetworkError),
    (o2.UsageError("the client is closed"), ccxt.ExchangeClosedByUser, ccxt.ExchangeClosedByUser),
    (o2.NonceStateError("misuse"), ccxt.ExchangeError, ccxt.ExchangeError),
    (o2.InternalError("boom", 1000), ccxt.ExchangeError, ccxt.ExchangeError),
    (o2.InternalError("insufficient funds", 1000), ccxt.InsufficientFunds, ccxt.InsufficientFunds),
    (o2.TooManySubscriptions("many", 6001), ccxt.ExchangeError, ccxt.ExchangeError),
    (o2.O2Error("NotEnoughBalance"), ccxt.InsufficientFunds, ccxt.InsufficientFunds),
    (o2.O2Error("Order value below min_order"), ccxt.InvalidOrder, ccxt.InvalidOrder),
    (o2.O2Error("response lost"), ccxt.NetworkError, O2AmbiguousSubmission),
    (o2.O2Error("Cannot connect to host api.testnet.o2.app"),
     ccxt.NetworkError, O2AmbiguousSubmission),
    (o2.O2Error("mystery"), ccxt.ExchangeError, ccxt.ExchangeError),
    (ConnectionError("socket closed"), ccxt.NetworkError, O2AmbiguousSubmission),
    (asyncio.TimeoutError(), ccxt.NetworkError, O2AmbiguousSubmission),
    (aiohttp.ClientPayloadError("cut"), ccxt.NetworkError, O2AmbiguousSubmission),
    (ValueError("odd"), ccxt.ExchangeError, ccxt.ExchangeError),
]


@pytest.mark.parametrize(
    ("native", "on_read", "on_submit"), CASES, ids=[f"{type(c[0]).__name__}-{i}"
                                                    for i, c in enumerate(CASES)]
)
def test_each_native_error_maps_by_class_then_text(
    native: BaseException, on_read: type[Exception], on_submit: type[Exception]
) -> None:
    for context, expected in (("read", on_read), ("private_submission", on_submit)):
        mapped = map_o2_error(native, context)  # type: ignore[arg-type]
        assert type(mapped) is expected, (context, native, mapped)
        assert mapped.original_error is native
        assert mapped.__cause__ is native


def test_ambiguous_submissions_are_operation_failures_not_exchange_errors() -> None:
    native = o2.UnknownSubmissionOutcome("POST /v1/session/actions was sent but no reply came")
    error = map_o2_error(native, "private_submission")
    assert isinstance(error, O2AmbiguousSubmission)
    assert isinstance(error, ccxt.OperationFailed)
    assert not isinstance(error, ccxt.ExchangeError)
    assert error.transaction_id is None
    assert "Reconcile" in str(error)


def test_a_wrapped_network_cause_decides_like_the_official_adapter() -> None:
    for cause in (
        aiohttp.ClientConnectionError("disconnected"),
        asyncio.TimeoutError(),
        o2.TransportError("reset"),
    ):
        wrapped = o2.O2Error("request failed")
        wrapped.__cause__ = cause
        assert isinstance(map_o2_error(wrapped, "private_submission"), O2AmbiguousSubmission)
        read = map_o2_error(wrapped, "read")
        assert type(read) is ccxt.NetworkError and read.original_error is wrapped


def test_ccxt_errors_and_non_exceptions() -> None:
    already = ccxt.InvalidOrder("mine")
    assert map_o2_error(already) is already
    odd: Any = {"code": 1}
    mapped = map_o2_error(odd)
    assert type(mapped) is ccxt.ExchangeError and mapped.original_error is odd


# The official adapter's shared error contract (o2-exchange/sdks fixtures/ccxt,
# raw/errors.json -> expected/errors.json): a kind, a message, a context -> a class.
OFFICIAL_CONTRACT = [
    ("o2", "NotEnoughBalance", "private", "InsufficientFunds"),
    ("o2", "OrderCreationError::OrderNotFilled — FillOrKill order could not be fully filled.",
     "private", "InvalidOrder"),
    ("o2", "OrderCreationError::OrderPartiallyFilled — PostOnly order would cross the spread.",
     "private", "InvalidOrder"),
    ("o2", "Order value below min_order", "private", "InvalidOrder"),
    ("transport", "socket closed", "read", "NetworkError"),
    ("transport", "response lost", "private", "O2AmbiguousSubmission"),
]


@pytest.mark.parametrize(("kind", "message", "context", "expected"), OFFICIAL_CONTRACT)
def test_the_official_error_contract_holds(
    kind: str, message: str, context: str, expected: str
) -> None:
    native: BaseException = o2.O2Error(message) if kind == "o2" else ConnectionError(message)
    mapped = map_o2_error(native, "private_submission" if context == "private" else "read")
    cls = O2AmbiguousSubmission if expected == "O2AmbiguousSubmission" else getattr(ccxt, expected)
    assert isinstance(mapped, cls)
    # ours is the same class, or a ccxt subclass of it that says more
    refined = {"OrderNotFilled": ccxt.OrderNotFillable,
               "OrderPartiallyFilled": ccxt.OrderImmediatelyFillable}
    more = next((c for word, c in refined.items() if word in message), cls)
    assert type(mapped) is more


def test_the_official_unit_cases_hold() -> None:
    authentication = map_o2_error(o2.InvalidSession("expired"))
    funds = map_o2_error(o2.OnChainRevert("reverted", reason="WithdrawError::NotEnoughBalance"))
    assert isinstance(authentication, ccxt.AuthenticationError)
    assert isinstance(authentication, ccxt.ExchangeError)
    assert authentication.original_error.__class__ is o2.InvalidSession
    assert isinstance(funds, ccxt.InsufficientFunds)
    assert isinstance(map_o2_error(o2.RateLimitExceeded("slow down")), ccxt.RateLimitExceeded)
    assert isinstance(map_o2_error(o2.O2Error("Order value below min_order")), ccxt.InvalidOrder)
