"""Stream subscriptions (PROTOCOL.md §6): what to subscribe to, and what to send when.

A subscription is a frozen value with its routing key and its subscribe/unsubscribe
frames. :class:`Subscriptions` reference-counts them, so that the first user subscribes,
the last one unsubscribes, and a reconnect re-sends every live one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

from .errors import InvalidInput, SubscriptionConflict
from .models import Id, Identity, b256

Key = tuple[str, Id | None]
"""A routing key, ``(topic, market id or identity value)``; ``None`` = any of the topic."""

_encode = msgspec.json.Encoder().encode


def _frame(obj: dict[str, Any]) -> str:
    return _encode(obj).decode()


def _identity(value: Identity | str, what: str) -> Identity:
    if isinstance(value, Identity):
        return value
    if isinstance(value, str):
        return Identity(contract_id=b256(value, what))
    raise InvalidInput(f"{what} must be a hex string or an Identity, got {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class DepthSub:
    """Depth of one market at one precision; ``precision_wire`` is ``10**level``."""

    market_id: Id
    precision_wire: int = 10

    def __post_init__(self) -> None:
        object.__setattr__(self, "market_id", b256(self.market_id, "market_id"))
        p = self.precision_wire
        if isinstance(p, bool) or not isinstance(p, int) or p < 1 or str(p).rstrip("0") != "1":
            raise InvalidInput(f"precision_wire must be a power of ten (10**level), got {p!r}")

    @classmethod
    def from_level(cls, market_id: str, level: int) -> DepthSub:
        """The subscription for precision ``level`` (wire value ``10**level``).

        Args:
            market_id: the market's id.
            level: the precision level, 0..18.

        Returns:
            The subscription.

        Raises:
            InvalidInput: a level that is not an integer in 0..18, or a malformed market id.
        """
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 18:
            raise InvalidInput(f"precision level must be an integer in 0..18, got {level!r}")
        return cls(Id(market_id), 10**level)

    @property
    def key(self) -> Key:
        """The routing key of the updates this subscription receives."""
        return ("depth", self.market_id)

    def subscribe_frame(self) -> str:
        """The ``subscribe_depth`` frame.

        Returns:
            The frame's JSON text.
        """
        return _frame(
            {
                "action": "subscribe_depth",
                "market_id": str(self.market_id),
                "precision": str(self.precision_wire),
            }
        )

    def unsubscribe_frame(self) -> str:
        """The ``unsubscribe_depth`` frame (it names the market only).

        Returns:
            The frame's JSON text.
        """
        return _frame({"action": "unsubscribe_depth", "market_id": str(self.market_id)})


@dataclass(frozen=True, slots=True)
class TradesSub:
    """Every trade of one market."""

    market_id: Id

    def __post_init__(self) -> None:
        object.__setattr__(self, "market_id", b256(self.market_id, "market_id"))

    @property
    def key(self) -> Key:
        """The routing key of the updates this subscription receives."""
        return ("trades", self.market_id)

    def subscribe_frame(self) -> str:
        """The ``subscribe_trades`` frame.

        Returns:
            The frame's JSON text.
        """
        return _frame({"action": "subscribe_trades", "market_id": str(self.market_id)})

    def unsubscribe_frame(self) -> str:
        """The ``unsubscribe_trades`` frame.

        Returns:
            The frame's JSON text.
        """
        return _frame({"action": "unsubscribe_trades", "market_id": str(self.market_id)})


class _IdentitySub:
    """Shared behaviour of the subscriptions keyed by one identity."""

    __slots__ = ()
    _topic: str
    identity: Identity

    def _post_init(self) -> None:
        object.__setattr__(self, "identity", _identity(self.identity, "identity"))

    @property
    def key(self) -> Key:
        """The routing key of the updates this subscription receives."""
        return (self._topic, self.identity.value)

    def _identities(self) -> list[dict[str, str]]:
        return [self.identity.to_dict()]

    def subscribe_frame(self) -> str:
        """The ``subscribe_<topic>`` frame.

        Returns:
            The frame's JSON text.
        """
        return _frame({"action": "subscribe_" + self._topic, "identities": self._identities()})

    def unsubscribe_frame(self) -> str:
        """The ``unsubscribe_<topic>`` frame.

        Returns:
            The frame's JSON text.
        """
        return _frame({"action": "unsubscribe_" + self._topic, "identities": self._identities()})


@dataclass(frozen=True, slots=True)
class OrdersSub(_IdentitySub):
    """Order updates of one trading account (a trade account id or an Identity)."""

    identity: Identity
    _topic = "orders"

    def __post_init__(self) -> None:
        self._post_init()

    def unsubscribe_frame(self) -> str:
        """``{"action": "unsubscribe_orders"}``: it ends EVERY orders subscription.

        Returns:
            The frame's JSON text.
        """
        return _frame({"action": "unsubscribe_orders"})


@dataclass(frozen=True, slots=True)
class BalancesSub(_IdentitySub):
    """Balance updates of one trading account."""

    identity: Identity
    _topic = "balances"

    def __post_init__(self) -> None:
        self._post_init()


@dataclass(frozen=True, slots=True)
class NonceSub(_IdentitySub):
    """Nonce updates of one trading account."""

    identity: Identity
    _topic = "nonce"

    def __post_init__(self) -> None:
        self._post_init()


Subscription = DepthSub | OrdersSub | TradesSub | BalancesSub | NonceSub
"""Any subscription."""


class Subscriptions:
    """A reference-counted set of subscriptions: what to send on add, remove and reconnect.

    Two wire facts shape it. ``unsubscribe_orders`` names no identity, so removing one
    orders subscription while others remain re-sends theirs after it. Depth frames do not
    carry the precision, so one market can be streamed at one precision at a time: adding
    another precision of a subscribed market raises :class:`SubscriptionConflict`.
    """

    def __init__(self) -> None:
        self._counts: dict[Subscription, int] = {}  # insertion order = first-subscribed order
        self._depth: dict[Id, DepthSub] = {}

    def __len__(self) -> int:
        return len(self._counts)

    def __contains__(self, sub: object) -> bool:
        return sub in self._counts

    def __iter__(self) -> Iterator[Subscription]:
        return iter(list(self._counts))

    def count(self, sub: Subscription) -> int:
        """How many users hold ``sub``.

        Args:
            sub: a subscription.

        Returns:
            The reference count (0 when not subscribed).
        """
        return self._counts.get(sub, 0)

    def add(self, sub: Subscription) -> list[str]:
        """Take one reference to ``sub``.

        Args:
            sub: the subscription.

        Returns:
            The frames to send: the subscribe frame for the first reference, else none.

        Raises:
            InvalidInput: not a subscription.
            SubscriptionConflict: another precision of the same market is subscribed.
        """
        if not isinstance(sub, (DepthSub, OrdersSub, TradesSub, BalancesSub, NonceSub)):
            raise InvalidInput(f"not a subscription: {sub!r}")
        count = self._counts.get(sub, 0)
        if count:
            self._counts[sub] = count + 1
            return []
        if isinstance(sub, DepthSub):
            other = self._depth.get(sub.market_id)
            if other is not None:
                raise SubscriptionConflict(
                    f"market {sub.market_id} is already streamed at precision "
                    f"{other.precision_wire}; depth frames do not say their precision, so "
                    "a market can be streamed at one precision at a time"
                )
            self._depth[sub.market_id] = sub
        self._counts[sub] = 1
        return [sub.subscribe_frame()]

    def remove(self, sub: Subscription) -> list[str]:
        """Drop one reference to ``sub``.

        Args:
            sub: the subscription.

        Returns:
            The frames to send: none while references remain; when the last one goes, the
            unsubscribe frame (for orders, followed by the subscribe frames of the orders
            subscriptions that remain, since ``unsubscribe_orders`` ends them all).

        Raises:
            SubscriptionConflict: ``sub`` is not subscribed.
        """
        count = self._counts.get(sub, 0)
        if count == 0:
            raise SubscriptionConflict(f"cannot remove {sub!r}: it was never added (or is gone)")
        if count > 1:
            self._counts[sub] = count - 1
            return []
        del self._counts[sub]
        if isinstance(sub, DepthSub):
            del self._depth[sub.market_id]
        frames = [sub.unsubscribe_frame()]
        if isinstance(sub, OrdersSub):
            frames += [s.subscribe_frame() for s in self._counts if isinstance(s, OrdersSub)]
        return frames

    def resubscribe_frames(self) -> list[str]:
        """Every subscribe frame, in first-subscribed order (after a (re)connect).

        Returns:
            The frames.
        """
        return [sub.subscribe_frame() for sub in self._counts]


__all__ = [
    "BalancesSub",
    "DepthSub",
    "Key",
    "NonceSub",
    "OrdersSub",
    "Subscription",
    "Subscriptions",
    "TradesSub",
]
