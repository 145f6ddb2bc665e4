"""Helpers that drive the simulator exactly as the SDK does: with the core's builders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest

from o2_core import actions as act
from o2_core import crypto, http
from o2_core import models as m
from o2_core.sim import Exchange, ManualClock, SimConfig, default_config

BASE = "http://sim.test"
T0 = 1_700_000_000.0


@dataclass
class Trader:
    """An owner with its trading account and (once created) its session."""

    owner: crypto.Wallet
    trade_account_id: str
    session: m.SessionInfo | None = None


class Sim:
    """An exchange on a manual clock, plus request helpers."""

    def __init__(self, config: SimConfig | None = None, seed: int = 0) -> None:
        self.clock = ManualClock(T0)
        self.ex = Exchange(config or default_config(seed), clock=self.clock)
        self.markets = m.decode(self.send(http.get_markets(BASE)).body, m.MarketsResponse)
        self.chain_id = self.markets.chain_id_int
        self.by_pair = {mk.pair: mk for mk in self.markets.markets}

    # --- plumbing ---------------------------------------------------------------
    def send(self, request: http.Request) -> http.Response:
        return self.ex.handle(request)

    def get(self, path: str, **params: Any) -> http.Response:
        return self.send(http.Request("GET", http._url(BASE, path, params)))

    def get_json(self, path: str, **params: Any) -> Any:
        response = self.get(path, **params)
        assert response.status == 200, response.body
        return msgspec.json.decode(response.body)

    def ctx(self, pair: str) -> act.MarketContext:
        return act.MarketContext.of(self.by_pair[pair], str(self.markets.accounts_registry_id))

    def asset(self, symbol: str) -> str:
        for mk in self.markets.markets:
            for a in (mk.base, mk.quote):
                if a.symbol == symbol:
                    return str(a.asset)
        raise KeyError(symbol)

    # --- accounts -----------------------------------------------------------------
    def new_trader(
        self,
        fund: bool = True,
        markets: Sequence[str] | None = None,
        owner: crypto.Wallet | None = None,
    ) -> Trader:
        owner = owner or crypto.generate_wallet()
        reply = self.send(http.create_account(BASE, owner.b256_address))
        assert reply.status == 200, reply.body
        tid = msgspec.json.decode(reply.body)["trade_account_id"]
        trader = Trader(owner, tid)
        if fund:
            r = self.send(http.faucet_mint(BASE + "/faucet", contract=tid))
            assert r.status == 200, r.body
        if markets is None:
            markets = list(self.by_pair)
        if markets:
            self.open_session(trader, markets)
        return trader

    def nonce(self, trader: Trader) -> int:
        return int(
            self.get_json("/v1/accounts", trade_account_id=trader.trade_account_id)[
                "trade_account"
            ]["nonce"]
        )

    def session_request(
        self,
        trader: Trader,
        markets: Sequence[str],
        expiry: int | None = None,
        nonce: int | None = None,
        signer: Any = None,
        session_wallet: crypto.Wallet | None = None,
    ) -> tuple[http.Request, crypto.Wallet, list[str], int]:
        wallet = session_wallet or crypto.generate_wallet()
        contract_ids = [str(self.by_pair[p].contract_id) for p in markets]
        expiry = int(self.clock.now) + 3600 if expiry is None else expiry
        nonce = self.nonce(trader) if nonce is None else nonce
        body = act.session_body(
            signer or trader.owner,
            trader.trade_account_id,
            wallet.b256_address,
            contract_ids,
            nonce,
            self.chain_id,
            expiry,
        )
        return http.put_session(BASE, trader.owner.b256_address, body), wallet, contract_ids, expiry

    def open_session(self, trader: Trader, markets: Sequence[str], **kw: Any) -> http.Response:
        request, wallet, contract_ids, expiry = self.session_request(trader, markets, **kw)
        reply = self.send(request)
        assert reply.status == 200, reply.body
        trader.session = m.SessionInfo(
            session_id=m.AddressIdentity(wallet.b256_address),
            trade_account_id=trader.trade_account_id,
            contract_ids=contract_ids,
            session_expiry=expiry,
            session_wallet=wallet,
            owner_address=trader.owner.b256_address,
        )
        return reply

    # --- actions ------------------------------------------------------------------
    def actions_request(
        self,
        trader: Trader,
        groups: Sequence[tuple[str, Sequence[act.PreparedAction]]],
        nonce: int | None = None,
        collect: bool = True,
        session: m.SessionInfo | None = None,
    ) -> http.Request:
        prepared = [
            act.PreparedGroup(str(self.by_pair[pair].market_id), tuple(actions))
            for pair, actions in groups
        ]
        nonce = self.nonce(trader) if nonce is None else nonce
        session = session or trader.session
        assert session is not None
        body = act.actions_body(prepared, nonce, session, collect)
        return http.post_actions(BASE, trader.owner.b256_address, body)

    def submit(
        self, trader: Trader, pair: str, *actions: act.PreparedAction, **kw: Any
    ) -> http.Response:
        return self.send(self.actions_request(trader, [(pair, actions)], **kw))

    def create(
        self, pair: str, side: str, price: int, qty: int, order_type: Any = "Spot"
    ) -> act.PreparedAction:
        if isinstance(order_type, str):
            order_type = m.OrderType(order_type)
        return act.create_order(self.ctx(pair), side, price, qty, order_type)

    def cancel(self, pair: str, order_id: str) -> act.PreparedAction:
        return act.cancel_order(self.ctx(pair), order_id)

    def settle(self, pair: str, trader: Trader) -> act.PreparedAction:
        return act.settle_balance(self.ctx(pair), trader.trade_account_id)

    def place(
        self, trader: Trader, pair: str, side: str, price: int, qty: int, order_type: Any = "Spot"
    ) -> dict[str, Any]:
        """Place one order and return its order JSON (asserting success)."""
        reply = self.submit(trader, pair, self.create(pair, side, price, qty, order_type))
        assert reply.status == 200, reply.body
        return msgspec.json.decode(reply.body)["orders"][0]

    def balance(self, trader: Trader, symbol: str) -> dict[str, Any]:
        return self.get_json(
            "/v1/balance", asset_id=self.asset(symbol), contract=trader.trade_account_id
        )


@pytest.fixture
def sim() -> Sim:
    return Sim()


P = "fFUEL/fUSDC"
E = "fETH/fUSDC"
FUEL = 10**9


def revert_reason(response: http.Response) -> str:
    """The decoded reason of an on-chain revert reply (asserting it is one)."""
    from o2_core.errors import OnChainRevert, error_from_body

    assert response.status == 400, response.body
    err = error_from_body(response.status, response.body)
    assert isinstance(err, OnChainRevert), (err, response.body)
    assert err.reason is not None
    return err.reason


def error_code(response: http.Response) -> int:
    """The structured error code of a reply (asserting it is one)."""
    body = msgspec.json.decode(response.body)
    assert response.status >= 400 and isinstance(body, dict) and "code" in body, response.body
    return int(body["code"])


def body(response: http.Response) -> Any:
    assert response.status == 200, response.body
    return msgspec.json.decode(response.body)
