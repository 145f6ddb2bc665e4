"""Random signed traffic against the exchange keeps every invariant.

After any sequence of orders of every type on both sides by several accounts, cancels
(own and others'), settles, batches, withdrawals and clock jumps: every asset is
conserved, the book is never crossed, locks match open orders, nonces advance exactly
once per submission that reached the chain, and every fill follows price-time priority.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from o2_core import actions as act
from o2_core import http
from o2_core import models as m
from o2_core.sim import default_config

from .conftest import BASE, FUEL, Sim

FUEL_PAIR, ETH_PAIR = "fFUEL/fUSDC", "fETH/fUSDC"
FUEL_PRICES = st.integers(490, 510).map(lambda k: k * 100)  # 0.0490 .. 0.0510
ETH_PRICES = st.integers(299, 301).map(lambda k: k * 10_000_000)  # 2990 .. 3010
SIDES = st.sampled_from(["Buy", "Sell"])
KINDS = st.sampled_from(
    ["Spot", "Spot", "PostOnly", "FillOrKill", "Market", "BoundedMarket", "Limit"]
)


class ExchangeMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # 1 fUSDC minimum order (set for the rule): batches with qty < 21 break it
        self.sim = Sim(default_config(0, min_order=1_000_000))
        self.traders = [self.sim.new_trader() for _ in range(3)]
        self.nonces = [self.sim.nonce(t) for t in self.traders]
        self.order_ids: list[str] = []
        # WebSocket replicas of the fFUEL book at two precisions, fed only by frames
        self.replicas: list[tuple[Any, int, dict[tuple[bool, int], int]]] = []
        mid = str(self.sim.by_pair[FUEL_PAIR].market_id)
        for precision in (1, 1000):
            conn = self.sim.ex.ws_connect()
            self.sim.ex.ws_receive(
                conn,
                json.dumps({"action": "subscribe_depth", "market_id": mid, "precision": precision}),
            )
            self.replicas.append((conn, precision, {}))

    # --- helpers ------------------------------------------------------------------
    def _order_type(self, kind: str, pair: str, a: int, b: int, dt: int) -> Any:
        if kind == "BoundedMarket":
            return m.BoundedMarketOrder(
                max_price=m.ChainInt(max(a, b)), min_price=m.ChainInt(min(a, b))
            )
        if kind == "Limit":
            return m.LimitOrder(price=m.ChainInt(a), timestamp=int(self.sim.clock.now) + dt)
        return m.OrderType(kind)

    def _queue(self, pair: str, is_buy_taker: bool) -> list[tuple[str, int]]:
        market = self.sim.ex.market(pair)
        side = market.asks if is_buy_taker else market.bids
        return [
            (o.order_id, o.remaining)
            for level in side.in_priority()
            for o in level.orders
            if o.resting and not o.close
        ]

    def _submit(self, who: int, pair: str, actions: list[act.PreparedAction]) -> http.Response:
        trader = self.traders[who]
        request = self.sim.actions_request(trader, [(pair, actions)], nonce=self.nonces[who])
        reply = self.sim.send(request)
        data = msgspec.json.decode(reply.body)
        # every signed batch with the right nonce reaches the chain and consumes it
        assert reply.status == 200 or ("reason" in data and "code" not in data), reply.body
        self.nonces[who] += 1
        if reply.status == 200:
            self.order_ids.extend(o["order_id"] for o in data.get("orders", []))
        return reply

    def _order(
        self, pair: str, side: str, price: int, qty_units: int, kind: str, a: int, b: int, dt: int
    ) -> act.PreparedAction:
        qty = qty_units * FUEL if pair == FUEL_PAIR else qty_units * 1_000_000
        return self.sim.create(pair, side, price, qty, self._order_type(kind, pair, a, b, dt))

    # --- rules --------------------------------------------------------------------
    @rule(
        who=st.integers(0, 2),
        side=SIDES,
        kind=KINDS,
        price=FUEL_PRICES,
        a=FUEL_PRICES,
        b=FUEL_PRICES,
        qty=st.integers(21, 200),
        dt=st.sampled_from([-1, 5, 60]),
    )
    def place_fuel(
        self, who: int, side: str, kind: str, price: int, a: int, b: int, qty: int, dt: int
    ) -> None:
        self.sim.get("/v1/markets")  # let expired limit orders leave the book first
        market = self.sim.ex.market(FUEL_PAIR)
        queue = self._queue(FUEL_PAIR, side == "Buy")
        trades_before = len(market.trades)
        reply = self._submit(
            who, FUEL_PAIR, [self._order(FUEL_PAIR, side, price, qty, kind, a, b, dt)]
        )
        fills = [
            (t.maker_order.order_id, t.quantity, t.price) for t in market.trades[trades_before:]
        ]
        if reply.status != 200:
            assert not fills
            return
        # price-time priority: the makers hit are a prefix of the opposite queue, each
        # consumed completely except possibly the last; prices never get better later
        for i, (maker_id, quantity, _) in enumerate(fills):
            queued_id, remaining = queue[i]
            assert maker_id == queued_id
            assert quantity == remaining or i == len(fills) - 1
        prices = [p for _, _, p in fills]
        assert prices == sorted(prices, reverse=(side == "Sell"))
        limit = price
        if kind == "Limit":
            limit = min(price, a) if side == "Buy" else max(price, a)
        if kind == "BoundedMarket":
            limit = min(price, max(a, b)) if side == "Buy" else max(price, min(a, b))
            assert all(min(a, b) <= p <= max(a, b) for p in prices)
        assert all((p <= limit) if side == "Buy" else (p >= limit) for p in prices)

    @rule(
        who=st.integers(0, 2),
        side=SIDES,
        kind=KINDS,
        price=ETH_PRICES,
        a=ETH_PRICES,
        qty=st.integers(1, 50),
    )
    def place_eth(self, who: int, side: str, kind: str, price: int, a: int, qty: int) -> None:
        self._submit(who, ETH_PAIR, [self._order(ETH_PAIR, side, price, qty, kind, a, price, 60)])

    @precondition(lambda self: self.order_ids)
    @rule(who=st.integers(0, 2), pick=st.integers(0, 10_000))
    def cancel(self, who: int, pick: int) -> None:
        order_id = self.order_ids[pick % len(self.order_ids)]
        order = self.sim.ex.orders[order_id]
        pair = order.market.pair
        reply = self._submit(who, pair, [self.sim.cancel(pair, order_id)])
        mine = order.account is self.sim.ex.accounts[self.traders[who].trade_account_id]
        was_open = reply.status == 200
        assert not was_open or mine

    @rule(who=st.integers(0, 2), pair=st.sampled_from([FUEL_PAIR, ETH_PAIR]))
    def settle(self, who: int, pair: str) -> None:
        reply = self._submit(who, pair, [self.sim.settle(pair, self.traders[who])])
        assert reply.status == 200
        account = self.sim.ex.accounts[self.traders[who].trade_account_id]
        bb = account.books.get(self.sim.ex.market(pair).contract_id)
        assert bb is None or not any(bb.unlocked.values())

    @rule(
        who=st.integers(0, 2),
        orders=st.lists(
            st.tuples(SIDES, KINDS, FUEL_PRICES, st.integers(1, 200)), min_size=2, max_size=4
        ),
    )
    def batch(self, who: int, orders: list[tuple[str, str, int, int]]) -> None:
        """Some batches break min_order (qty < 21): they must revert as a whole."""
        self.sim.get("/v1/markets")  # expire due limit orders before taking the snapshot
        before = self.sim.ex.snapshot()
        actions = [self.sim.settle(FUEL_PAIR, self.traders[who])]
        actions += [self._order(FUEL_PAIR, s, p, q, k, p, p, 60) for s, k, p, q in orders]
        reply = self._submit(who, FUEL_PAIR, actions)
        if reply.status != 200:
            after = self.sim.ex.snapshot()
            tid = self.traders[who].trade_account_id
            after["accounts"][tid]["nonce"] -= 1
            assert after == before

    @rule(who=st.integers(0, 2), amount=st.integers(1, 10**12))
    def withdraw(self, who: int, amount: int) -> None:
        trader = self.traders[who]
        usdc = self.sim.asset("fUSDC")
        payload = act.withdraw_body(
            trader.owner,
            trader.trade_account_id,
            m.AddressIdentity(trader.owner.b256_address),
            usdc,
            amount,
            self.nonces[who],
            self.sim.chain_id,
        )
        reply = self.sim.send(http.post_withdraw(BASE, trader.owner.b256_address, payload))
        assert reply.status in (200, 400)
        self.nonces[who] += 1

    @rule(seconds=st.sampled_from([1, 10, 61]))
    def tick(self, seconds: int) -> None:
        self.sim.clock.advance(seconds)

    # --- invariants ---------------------------------------------------------------
    @invariant()
    def consistent(self) -> None:
        self.sim.ex.check_invariants()

    @invariant()
    def replicas_match_the_book(self) -> None:
        market = self.sim.ex.market(FUEL_PAIR)
        for conn, precision, book in self.replicas:
            while conn.outbox:
                frame = json.loads(conn.outbox.popleft())
                snapshot = frame["action"] == "subscribe_depth"
                if snapshot:
                    book.clear()
                    levels = frame["view"]
                else:
                    assert frame["action"] == "subscribe_depth_update"
                    levels = frame["changes"]
                for is_bid, key in ((True, "buys"), (False, "sells")):
                    for level in levels[key]:
                        price, quantity = int(level["price"]), int(level["quantity"])
                        if not snapshot:  # a signed change: it never overshoots
                            assert quantity != 0
                            quantity += book.get((is_bid, price), 0)
                            assert quantity >= 0
                        if quantity:
                            book[(is_bid, price)] = quantity
                        else:
                            del book[(is_bid, price)]
            expected = {(True, p): q for p, q in market.bids.depth(precision)}
            expected.update({(False, p): q for p, q in market.asks.depth(precision)})
            assert book == expected

    @invariant()
    def nonces_match(self) -> None:
        for trader, nonce in zip(self.traders, self.nonces, strict=True):
            assert self.sim.ex.accounts[trader.trade_account_id].nonce == nonce


ExchangeMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestExchangeMachine = ExchangeMachine.TestCase
