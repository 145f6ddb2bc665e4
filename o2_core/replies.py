"""Reply parsers: a decoder per endpoint (body bytes of a success reply -> model), and
``check``/``parse`` for a whole :class:`~o2_core.http.Response`.

A decoder raises :class:`~o2_core.errors.ProtocolError` for a body that does not have
the endpoint's shape; a parser first raises the error an error reply stands for
(:func:`o2_core.http.classify`). Nothing here performs I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import msgspec

from . import models
from .errors import ProtocolError, excerpt
from .http import Reply, Request, Response, classify
from .parallel_nonce import WindowResponse

T = TypeVar("T")

Decoder = Callable[[bytes], T]


def decoder_of(kind: type[T]) -> Decoder[T]:
    """A body decoder into ``kind``.

    Args:
        kind: the msgspec type to decode into.

    Returns:
        A function from JSON body bytes to a ``kind`` (a ProtocolError when the body
        does not fit).
    """
    return lambda body: models.decode(body, kind)


def check(response: Response) -> None:
    """Raise the error ``response`` stands for, if it is not a success.

    Args:
        response: the reply.

    Raises:
        O2Error: the matching class (an ``ApiError`` subclass by code, ``OnChainRevert``,
            ``RateLimitExceeded`` ... or ProtocolError for an error status without a body).
    """
    error = classify(response).error
    if error is not None:
        raise error


def parse(response: Response, kind: type[T]) -> T:
    """Check ``response`` and decode its body into ``kind``.

    Args:
        response: the reply.
        kind: the msgspec type of a success body.

    Returns:
        The decoded body.

    Raises:
        O2Error: the error reply's own class (``check``), or ProtocolError for a body
            that does not decode.
    """
    check(response)
    return models.decode(response.body, kind)


class _DepthReply(msgspec.Struct):
    market_id: models.Id | None = None
    orders: models.DepthSnapshot | None = None
    view: models.DepthSnapshot | None = None


def decode_depth(body: bytes) -> models.DepthSnapshot:
    """``/v1/depth``: the book under ``orders`` (or ``view`` on older servers).

    Args:
        body: the success reply's body.

    Returns:
        The snapshot (empty when the reply holds no book).

    Raises:
        ProtocolError: the body does not have that shape.
    """
    reply = models.decode(body, _DepthReply)
    book = reply.orders or reply.view or models.DepthSnapshot()
    return models.DepthSnapshot(bids=book.bids, asks=book.asks, market_id=reply.market_id)


def decode_ticker(body: bytes, market_id: str | None = None) -> models.MarketTicker:
    """``/v1/markets/ticker``: an object, or (the live API) a one-item list of one.

    Args:
        body: the success reply's body.
        market_id: fills in a reply that does not name its market.

    Returns:
        The ticker (a dict with typed reads).

    Raises:
        ProtocolError: not an object, or an empty list.
    """
    reply = models.decode(body, dict[str, Any] | list[dict[str, Any]])  # type: ignore[arg-type]
    if isinstance(reply, list):
        if not reply:
            raise ProtocolError("the ticker reply is an empty list")
        reply = reply[0]
    ticker = models.MarketTicker(reply)
    if market_id is not None and not ticker.get("market_id"):
        ticker["market_id"] = str(market_id)
    return ticker


def decode_summary(body: bytes) -> models.MarketSummary:
    """``/v1/markets/summary``.

    Args:
        body: the success reply's body.

    Returns:
        The summary (a dict with typed reads).

    Raises:
        ProtocolError: not a JSON object.
    """
    return models.MarketSummary(models.decode(body, dict[str, Any]))


def decode_trades(body: bytes) -> list[models.Trade]:
    """``/v1/trades``: ``{"trades": [...]}`` or a bare list.

    Args:
        body: the success reply's body.

    Returns:
        The trades.

    Raises:
        ProtocolError: the body does not have that shape.
    """
    reply = models.decode(body, models.TradesResponse | list[models.Trade])  # type: ignore[arg-type]
    return list(reply) if isinstance(reply, list) else list(reply.trades)


def decode_bars(body: bytes) -> list[models.Bar]:
    """``/v1/bars``: a bare list or ``{"bars": [...]}``.

    Args:
        body: the success reply's body.

    Returns:
        The bars.

    Raises:
        ProtocolError: the body does not have that shape.
    """
    reply = models.decode(body, models.BarsResponse | list[models.Bar])  # type: ignore[arg-type]
    return reply if isinstance(reply, list) else reply.bars


def decode_order(body: bytes) -> models.Order:
    """``/v1/order``: the order under ``order``.

    Args:
        body: the success reply's body.

    Returns:
        The order.

    Raises:
        ProtocolError: the body does not have that shape.
    """
    return models.decode(body, models.OrderReply).order


def decode_actions(body: bytes) -> models.ActionsResponse:
    """``/v1/session/actions``: a success has a ``tx_id``.

    Args:
        body: the success reply's body.

    Returns:
        The reply.

    Raises:
        ProtocolError: no ``tx_id``, or not the reply's shape.
    """
    reply = models.decode(body, models.ActionsResponse)
    if reply.tx_id is None:
        raise ProtocolError("the actions reply has neither tx_id nor an error")
    return reply


def parse_depth(response: Response) -> models.DepthSnapshot:
    """Check and decode a ``/v1/depth`` reply.

    Args:
        response: the reply.

    Returns:
        The snapshot.

    Raises:
        O2Error: the error reply's own class (``check``), or ProtocolError for a body
            that does not decode.
    """
    check(response)
    return decode_depth(response.body)


def parse_ticker(response: Response) -> models.MarketTicker:
    """Check and decode a ``/v1/markets/ticker`` reply.

    Args:
        response: the reply.

    Returns:
        The ticker.

    Raises:
        O2Error: the error reply's own class (``check``), or ProtocolError for a body
            that does not decode.
    """
    check(response)
    return decode_ticker(response.body)


def parse_trades(response: Response) -> list[models.Trade]:
    """Check and decode a ``/v1/trades`` reply.

    Args:
        response: the reply.

    Returns:
        The trades.

    Raises:
        O2Error: the error reply's own class (``check``), or ProtocolError for a body
            that does not decode.
    """
    check(response)
    return decode_trades(response.body)


def parse_bars(response: Response) -> list[models.Bar]:
    """Check and decode a ``/v1/bars`` reply.

    Args:
        response: the reply.

    Returns:
        The bars.

    Raises:
        O2Error: the error reply's own class (``check``), or ProtocolError for a body
            that does not decode.
    """
    check(response)
    return decode_bars(response.body)


def parse_order(response: Response) -> models.Order:
    """Check and decode a ``/v1/order`` reply.

    Args:
        response: the reply.

    Returns:
        The order.

    Raises:
        O2Error: the error reply's own class (``check``), or ProtocolError for a body
            that does not decode.
    """
    check(response)
    return decode_order(response.body)


def parse_actions(response: Response) -> models.ActionsResponse:
    """Check and decode a ``/v1/session/actions`` reply (success needs a ``tx_id``).

    Args:
        response: the reply.

    Returns:
        The reply.

    Raises:
        O2Error: the error reply's own class (``check``), or ProtocolError for a body
            that does not decode.
    """
    check(response)
    return decode_actions(response.body)


def parse_faucet(response: Response) -> models.FaucetResponse:
    """Decode the faucet's reply; a refusal (``{"error": ...}``, e.g. its cooldown, sent
    with a 4xx) is returned, not raised.

    Args:
        response: the reply.

    Returns:
        The faucet's answer.

    Raises:
        O2Error: a reply that is not the faucet's shape, as :func:`check` classifies it
            (ProtocolError when it is a success status).
    """
    try:
        return models.decode(response.body, models.FaucetResponse)
    except ProtocolError:
        check(response)
        raise


def decode_accounts_window(body: bytes) -> WindowResponse:
    """``/v1/accounts/window``: the lane's window (numbers as decimal strings or JSON integers).

    Args:
        body: the success reply's body.

    Returns:
        The window.

    Raises:
        ProtocolError: not a JSON object of the window's shape.
    """
    try:
        data = msgspec.json.decode(body)
    except (msgspec.DecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"the window reply is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ProtocolError("the window reply is not a JSON object")
    return WindowResponse.from_dict(data)


def parse_accounts_window(response: Response) -> WindowResponse:
    """Check and decode a ``/v1/accounts/window`` reply.

    Args:
        response: the reply.

    Returns:
        The window.

    Raises:
        O2Error: the error reply's own class (``check``), or ProtocolError for a body
            that does not decode.
    """
    check(response)
    return decode_accounts_window(response.body)


class _UpgradeReply(msgspec.Struct):
    tx_id: models.Id | None = None


def decode_upgrade(body: bytes) -> str:
    """``/v1/accounts/upgrade``: the upgrade's ``tx_id``.

    A proxy with nothing to upgrade answers with an error naming
    :data:`o2_core.onchain_revert.NO_UPGRADE_AVAILABLE_MESSAGE`: it is raised like any
    error (test it with :func:`o2_core.onchain_revert.is_no_upgrade_available`).

    Args:
        body: the success reply's body.

    Returns:
        The transaction id.

    Raises:
        ProtocolError: no ``tx_id``.
    """
    reply = models.decode(body, _UpgradeReply)
    if reply.tx_id is None:
        raise ProtocolError("the upgrade reply has neither tx_id nor an error")
    return str(reply.tx_id)


def parse_upgrade(response: Response) -> str:
    """Check and decode a ``/v1/accounts/upgrade`` reply.

    Args:
        response: the reply.

    Returns:
        The transaction id.

    Raises:
        O2Error: the error reply's own class (``check``), or ProtocolError for a body
            that does not decode.
    """
    check(response)
    return decode_upgrade(response.body)


# --- JSON replies without a model (o2-sdk's dict-returning endpoints) --------------------


def json_reply(request: Request, reply: Reply) -> Any:
    """A success reply's JSON.

    Args:
        request: the request it answers (named in the error).
        reply: the success reply.

    Returns:
        The decoded JSON.

    Raises:
        ProtocolError: the body is not JSON (naming the endpoint and the status).
    """
    body = reply.response.body
    try:
        return msgspec.json.decode(body)
    except (msgspec.DecodeError, ValueError, RecursionError) as err:
        raise ProtocolError(
            f"Non-JSON response from {request.method} {urlsplit(request.url).path} "
            f"(HTTP {reply.response.status}): {excerpt(body)}"
        ) from err


def json_object(request: Request, reply: Reply) -> dict[str, Any]:
    """A success reply that must be a JSON object.

    Args:
        request: the request it answers (named in the error).
        reply: the success reply.

    Returns:
        The object.

    Raises:
        ProtocolError: not JSON, or not an object.
    """
    data = json_reply(request, reply)
    if not isinstance(data, dict):
        path = urlsplit(request.url).path
        raise ProtocolError(f"{request.method} {path}: expected a JSON object, got {data!r:.80}")
    return data


def json_list(request: Request, reply: Reply, key: str) -> list[Any]:
    """A success reply that is a bare list, or an object with the list under ``key``.

    Args:
        request: the request it answers (named in the error).
        reply: the success reply.
        key: where an object reply holds the list.

    Returns:
        The list.

    Raises:
        ProtocolError: not JSON, or no list where one is expected.
    """
    data = json_reply(request, reply)
    items = data.get(key, []) if isinstance(data, dict) else data
    if not isinstance(items, list):
        path = urlsplit(request.url).path
        raise ProtocolError(f"{request.method} {path}: expected a list, got {data!r:.80}")
    return items
