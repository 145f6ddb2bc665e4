"""Configuration of the local exchange: assets, markets, fees, faucet, switches.

Every id is derived from the seed (``sha256("o2-sim:<seed>:<label>")``), so two
exchanges built from the same seed and the same requests answer byte for byte alike.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction


def derive_id(seed: int, label: str) -> str:
    """A deterministic 32-byte id for ``label`` under ``seed``.

    Args:
        seed: the exchange's seed.
        label: what the id is for (``"market:fFUEL/fUSDC"``...).

    Returns:
        ``0x`` + 64 lowercase hex digits.
    """
    return "0x" + hashlib.sha256(f"o2-sim:{seed}:{label}".encode()).hexdigest()


@dataclass(frozen=True)
class AssetConfig:
    """One asset: its symbol, decimals, id, and how much one faucet call mints."""

    symbol: str
    decimals: int
    asset_id: str
    faucet_amount: int
    name: str = ""


@dataclass(frozen=True)
class MarketConfig:
    """One order book (market) between two configured assets.

    ``maker_fee``/``taker_fee`` are fractions of what each side receives, as decimal
    text ("0.0001" = 1 bp). ``base_max_precision``/``quote_max_precision`` are the
    per-market precisions of PROTOCOL.md §4 (price tick = 10^(quote decimals - quote
    max_precision)).
    """

    base: str
    quote: str
    contract_id: str
    market_id: str
    base_max_precision: int
    quote_max_precision: int
    min_order: int
    dust: int = 0
    price_window: int = 0
    maker_fee: str = "0.0001"
    taker_fee: str = "0.0002"

    @property
    def maker_rate(self) -> Fraction:
        """The maker fee as an exact fraction."""
        return Fraction(Decimal(self.maker_fee))

    @property
    def taker_rate(self) -> Fraction:
        """The taker fee as an exact fraction."""
        return Fraction(Decimal(self.taker_fee))


@dataclass
class SimConfig:
    """Everything the local exchange is built from.

    ``revert_as_code_1000`` answers on-chain reverts wrapped as ``{"code": 1000, ...}``
    (as the live backend sometimes does) instead of the bare ``message``/``reason`` form.
    ``require_whitelist`` makes orders of non-whitelisted accounts revert with
    ``OrderCreationError::TraderNotWhiteListed``. ``depth_updates`` is ``"delta"`` (each
    level of a depth update is the signed change, as the live exchange sends it,
    PROTOCOL.md §6) or ``"total"`` (the new total: an old reading of the protocol, kept
    to test clients against it). ``max_ws_subscriptions`` caps the subscriptions of one
    WebSocket connection. ``ws_max_backlog`` is how many frames may wait unread for one
    WebSocket client: one more and the client is disconnected (close code 1008) and its
    frames are dropped, so a client that never reads costs bounded memory.
    ``history_limit`` is how many trades and how many closed orders the exchange
    remembers per market (the oldest are forgotten first; open orders never are); None
    remembers everything. ``legacy_accounts`` creates every new trading account on the
    legacy implementation: its parallel-nonce entry points revert with the dispatcher's
    ``Revert(123)`` until ``POST /v1/accounts/upgrade`` (PROTOCOL_V05 §3); by default
    accounts are current (``Exchange.set_legacy`` makes single accounts legacy).
    """

    seed: int = 0
    chain_id: int = 0
    assets: list[AssetConfig] = field(default_factory=list)
    markets: list[MarketConfig] = field(default_factory=list)
    base_asset_id: str = ""
    books_registry_id: str = ""
    accounts_registry_id: str = ""
    trade_account_oracle_id: str = ""
    require_whitelist: bool = False
    faucet_cooldown: float = 60.0
    revert_as_code_1000: bool = False
    referral_codes: dict[str, str] = field(default_factory=dict)
    max_ws_subscriptions: int = 64
    ws_max_backlog: int = 1024
    history_limit: int | None = 50_000
    depth_updates: str = "delta"
    legacy_accounts: bool = False

    def asset(self, symbol: str) -> AssetConfig:
        """The asset with ``symbol``.

        Args:
            symbol: the asset's symbol.

        Returns:
            Its configuration.

        Raises:
            KeyError: no such asset.
        """
        for asset in self.assets:
            if asset.symbol == symbol:
                return asset
        raise KeyError(symbol)


#: The default minimum order (chain units of fUSDC): 0.01 fUSDC of notional, the smallest
#: order the official o2-sdk examples place (``quickstart.py`` ends with 0.01 x 1 fFUEL).
DEFAULT_MIN_ORDER = 10_000


def default_config(
    seed: int = 0,
    *,
    require_whitelist: bool = False,
    faucet_cooldown: float = 60.0,
    revert_as_code_1000: bool = False,
    min_order: int = DEFAULT_MIN_ORDER,
    legacy_accounts: bool = False,
) -> SimConfig:
    """Two markets, ``fFUEL/fUSDC`` and ``fETH/fUSDC``, with testnet-like parameters.

    fFUEL: 9 decimals; fETH: 9 decimals; fUSDC: 6 decimals. On fFUEL/fUSDC the price
    tick is 0.0001 fUSDC (quote max_precision 4) and on fETH/fUSDC 0.01 fUSDC (2). Fees:
    1 bp maker, 2 bp taker.

    Args:
        seed: ids and keys are derived from it.
        require_whitelist: orders of accounts that are not whitelisted revert (o2-sdk
            0.5.0's TESTNET says ``whitelist_required=False``, the default).
        faucet_cooldown: seconds between two mints to one address or account.
        revert_as_code_1000: answer reverts wrapped as ``{"code": 1000, ...}``.
        min_order: the minimum order value of both markets, in fUSDC chain units (default
            0.01 fUSDC, :data:`~o2_core.sim.config.DEFAULT_MIN_ORDER`, so that the official
            examples trade; rule tests set their own).
        legacy_accounts: new accounts start on the legacy implementation.

    Returns:
        The configuration.
    """
    base_asset = AssetConfig("ETH", 9, derive_id(seed, "asset:ETH"), 100_000_000, "Ether")
    fuel = AssetConfig("fFUEL", 9, derive_id(seed, "asset:fFUEL"), 1_000_000 * 10**9, "Fake Fuel")
    eth = AssetConfig("fETH", 9, derive_id(seed, "asset:fETH"), 10 * 10**9, "Fake Ether")
    usdc = AssetConfig("fUSDC", 6, derive_id(seed, "asset:fUSDC"), 100_000 * 10**6, "Fake USDC")
    markets = [
        MarketConfig(
            base="fFUEL",
            quote="fUSDC",
            contract_id=derive_id(seed, "contract:fFUEL/fUSDC"),
            market_id=derive_id(seed, "market:fFUEL/fUSDC"),
            base_max_precision=3,
            quote_max_precision=4,
            min_order=min_order,
            dust=1_000,
        ),
        MarketConfig(
            base="fETH",
            quote="fUSDC",
            contract_id=derive_id(seed, "contract:fETH/fUSDC"),
            market_id=derive_id(seed, "market:fETH/fUSDC"),
            base_max_precision=6,
            quote_max_precision=2,
            min_order=min_order,
            dust=1_000,
        ),
    ]
    return SimConfig(
        seed=seed,
        chain_id=0,
        assets=[base_asset, fuel, eth, usdc],
        markets=markets,
        base_asset_id=base_asset.asset_id,
        books_registry_id=derive_id(seed, "books_registry"),
        accounts_registry_id=derive_id(seed, "accounts_registry"),
        trade_account_oracle_id=derive_id(seed, "trade_account_oracle"),
        require_whitelist=require_whitelist,
        faucet_cooldown=faucet_cooldown,
        revert_as_code_1000=revert_as_code_1000,
        legacy_accounts=legacy_accounts,
    )
