"""The session that trades for an account: its key, account, markets and expiry."""

from __future__ import annotations

from typing import Any

from . import crypto
from .errors import InvalidInput
from .identity import Identity
from .wire import Id, b256


class SessionInfo:
    """An active trading session: the session key, its account, markets and expiry.

    Built by ``create_session``; to restore a saved one, pass what was saved (as with
    o2-sdk): the session id, account, contract ids, expiry, the session key as
    ``session_private_key`` (32 bytes or hex; a wallet is accepted too) and the owner.
    The session key never appears in ``repr``.

    Args:
        session_id: the session key's identity (``AddressIdentity(session address)``).
        trade_account_id: the trading account.
        contract_ids: the order-book contracts the session may trade on.
        session_expiry: unix seconds.
        session_private_key: the session key (bytes, hex, or a ``Wallet``-like signer).
        owner_address: the account owner's B256 address (needed to trade).
        nonce: the sequential nonce last seen.
        nonce_manager: the parallel-nonce issuer of a parallel session (None: sequential).
        session_wallet: the session key as a wallet (instead of ``session_private_key``).

    Raises:
        InvalidInput: a bad id, key or expiry, or a ``session_id`` that is not the
            session key's address.
    """

    __slots__ = (
        "contract_ids",
        "nonce",
        "nonce_manager",
        "owner_address",
        "session_expiry",
        "session_id",
        "session_wallet",
        "trade_account_id",
    )

    def __init__(
        self,
        session_id: Identity,
        trade_account_id: str,
        contract_ids: list[str],
        session_expiry: int | str,
        session_private_key: bytes | str | crypto.Wallet | None = None,
        owner_address: str | None = None,
        nonce: int = 0,
        nonce_manager: Any = None,
        *,
        session_wallet: crypto.Wallet | None = None,
    ) -> None:
        key = session_wallet if session_wallet is not None else session_private_key
        if key is None:
            raise InvalidInput("a SessionInfo needs its session key (session_private_key=)")
        if not isinstance(session_id, Identity):
            raise InvalidInput("session_id must be an Identity (AddressIdentity(address))")
        # a wallet, or anything that signs like one (raw_sign + b256_address)
        signs = hasattr(key, "raw_sign") and hasattr(key, "b256_address")
        wallet = key if signs else crypto.Wallet(key)  # type: ignore[arg-type]
        self.session_wallet: crypto.Wallet = wallet  # type: ignore[assignment]
        if session_id.value != self.session_wallet.b256_address:
            raise InvalidInput("session_id is not the address of the session key")
        self.session_id = session_id
        self.trade_account_id = b256(trade_account_id, "trade_account_id")
        self.contract_ids = [b256(c, "contract id") for c in contract_ids]
        try:
            self.session_expiry = int(session_expiry)
        except (TypeError, ValueError):
            raise InvalidInput(
                f"session_expiry must be unix seconds, got {session_expiry!r}"
            ) from None
        self.owner_address = None if owner_address is None else b256(owner_address, "owner")
        self.nonce = nonce
        self.nonce_manager = nonce_manager

    @property
    def session_private_key(self) -> bytes:
        """The session key's 32-byte secret (save it to restore the session later)."""
        return bytes(self.session_wallet.private_key)

    @property
    def session_address(self) -> Id:
        """The session key's B256 address."""
        return Id(self.session_wallet.b256_address)

    def is_expired(self, now: float) -> bool:
        """Whether the session is expired at ``now``.

        Args:
            now: unix time in seconds.

        Returns:
            True when ``now`` is at or past the expiry.
        """
        return now >= self.session_expiry

    def __repr__(self) -> str:
        return (
            f"SessionInfo(trade_account_id={self.trade_account_id!r}, "
            f"session_address={self.session_address!r}, contract_ids={self.contract_ids!r}, "
            f"session_expiry={self.session_expiry})"
        )


__all__ = ["SessionInfo"]
