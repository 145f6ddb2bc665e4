"""Order placement, price-time matching, cancels and settlement inside one transaction.

Functions over the :class:`~.state.Ledger`; every change goes through the given
:class:`~.state.Tx`, so the caller can roll a whole batch back. Failures raise
:class:`~.reverts.Revert` (the caller locates it and rolls back).

Balances of an account live in three places: its trading account (``balances``), and
per order book the ``locked`` funds backing open orders and the ``unlocked`` proceeds
waiting to be settled. A buy locks ``price * quantity / base_factor`` quote units, a
sell locks ``quantity`` base units. Fees are taken from what each side receives.
"""

from __future__ import annotations

from ..markets import order_rule_violation
from ..models import Identity
from .commands import CreateOrder
from .config import derive_id
from .reverts import Revert
from .state import Account, BookBalance, Ledger, MarketState, Order, Trade, Tx


def book_balance(account: Account, market: MarketState, tx: Tx) -> BookBalance:
    """The account's funds in a market's book (created, with undo, on first use)."""
    bb = account.books.get(market.contract_id)
    if bb is None:
        bb = BookBalance()
        tx.put(account.books, market.contract_id, bb)
    return bb


def credit(ledger: Ledger, to: Identity, asset: str, amount: int, tx: Tx) -> None:
    """Pay ``amount`` out to an identity: a known trading account, or a wallet."""
    target = str(to.value)
    account = ledger.accounts.get(target) if to.is_contract else None
    if account is not None:
        tx.add(account.balances, asset, amount)
        tx.touch_balance(account, asset)
    else:
        wallet = ledger.wallets.get(target)
        if wallet is None:
            wallet = {}
            tx.put(ledger.wallets, target, wallet)
        tx.add(wallet, asset, amount)


def settle(ledger: Ledger, account: Account, market: MarketState, to: Identity, tx: Tx) -> None:
    """Move every unlocked fund of the account's book in ``market`` to ``to``."""
    bb = account.books.get(market.contract_id)
    if bb is not None:
        for asset, amount in list(bb.unlocked.items()):
            if amount > 0:
                tx.add(bb.unlocked, asset, -amount)
                tx.touch_balance(account, asset)
                credit(ledger, to, asset, amount, tx)
                if not to.is_contract or str(to.value) not in ledger.accounts:
                    tx.add(ledger.withdrawn, asset, amount)
    tx.logs.append("WithdrawSettledTradeEvent")


def cancel_order(
    ledger: Ledger, account: Account, market: MarketState, order_id: str, tx: Tx
) -> None:
    """Cancel an open order of ``account`` in ``market``."""
    order = ledger.orders.get(order_id)
    if order is None or order.market is not market:
        raise Revert(None, None, f"order {order_id} not found in this market")
    if order.account is not account:
        raise Revert("OrderCancelError", "NotOrderOwner")
    if order.close:
        raise Revert(None, None, f"order {order_id} is already closed")
    remove_resting(order, tx)
    close_order(order, tx, cancel=True)
    tx.logs.append("OrderCancelledEvent")


def expire_order(order: Order, tx: Tx) -> None:
    """Take a due limit order off the book (if it still rests) and cancel it."""
    if order.resting and not order.close:
        remove_resting(order, tx)
        close_order(order, tx, cancel=True)


def remove_resting(order: Order, tx: Tx) -> None:
    """Take a resting order's remainder off its level (the order stays in the deque)."""
    market = order.market
    side = market.side(order.is_buy)
    level = side.levels.get(order.price)
    if level is not None and order.remaining:
        side.reduce(level, order.remaining, tx)
        tx.touch_level(market, order.is_buy, order.price)
    tx.set(order, "resting", False)


def close_order(order: Order, tx: Tx, cancel: bool) -> None:
    """Close an order, releasing whatever it still locks to the book's unlocked."""
    if order.locked:
        market = order.market
        asset = market.quote_asset if order.is_buy else market.base_asset
        bb = book_balance(order.account, market, tx)
        tx.add(bb.locked, asset, -order.locked)
        tx.add(bb.unlocked, asset, order.locked)
        tx.set(order, "locked", 0)
        tx.touch_balance(order.account, asset)
    tx.set(order, "close", True)
    if cancel and order.remaining:
        tx.set(order, "cancel", True)
    if order.resting:
        tx.set(order, "resting", False)
    tx.touched_orders[order.order_id] = order


def _check_order(ledger: Ledger, account: Account, market: MarketState, cmd: CreateOrder) -> None:
    """Revert unless the order's arguments are acceptable on this market."""
    if ledger.config.require_whitelist and account.trade_account_id not in ledger.whitelist:
        raise Revert("OrderCreationError", "TraderNotWhiteListed")
    name, first, second = cmd.order_type
    price, quantity = cmd.price, cmd.quantity
    if price <= 0 or quantity <= 0:
        raise Revert("OrderCreationError", "InvalidOrderArgs")
    rule = order_rule_violation(
        price,
        quantity,
        market.base.decimals,
        market.quote.decimals,
        market.cfg.quote_max_precision,
        market.cfg.min_order,
    )
    if rule is not None:
        variant = rule if rule in ("PricePrecision", "FractionalPrice") else "InvalidOrderArgs"
        raise Revert("OrderCreationError", variant)
    if name == "BoundedMarket" and second > first:
        raise Revert("OrderCreationError", "InvalidMarketOrderArgs")
    if name == "Limit" and (first <= 0 or first % market.price_tick):
        raise Revert("OrderCreationError", "PricePrecision")


def place_order(
    ledger: Ledger, account: Account, market: MarketState, cmd: CreateOrder, tx: Tx
) -> Order:
    """Create an order, lock its funds, match it, and rest or close what is left."""
    _check_order(ledger, account, market, cmd)
    name, first, second = cmd.order_type
    is_buy = cmd.side == "Buy"
    price, quantity = cmd.price, cmd.quantity
    if is_buy:
        asset, amount = market.quote_asset, price * quantity // market.base_factor
    else:
        asset, amount = market.base_asset, quantity
    if account.balances.get(asset, 0) < amount:
        raise Revert("OrderCreationError", "InvalidInputAmount")
    tx.add(account.balances, asset, -amount)
    bb = book_balance(account, market, tx)
    tx.add(bb.locked, asset, amount)
    tx.touch_balance(account, asset)
    seq = ledger.next_seq()
    order = Order(
        order_id=derive_id(ledger.seed, f"order:{seq}"),
        seq=seq,
        market=market,
        account=account,
        is_buy=is_buy,
        price=price,
        quantity=quantity,
        order_type=cmd.order_type,
        timestamp_ms=tx.now_ms,
        locked=amount,
        expiry=second if name == "Limit" else None,
    )
    tx.put(ledger.orders, order.order_id, order)
    history = account.orders.get(market.market_id)
    if history is None:
        history = []
        tx.put(account.orders, market.market_id, history)
    history.append(order)
    tx.on_undo(history.pop)
    tx.created.append(order)
    tx.touched_orders[order.order_id] = order
    tx.logs.append("OrderCreatedEvent")

    opposite = market.side(not is_buy)
    best = opposite.best()
    crosses = best is not None and (best <= price if is_buy else best >= price)
    low: int | None
    high: int | None
    if is_buy:
        low, high = None, price
    else:
        low, high = price, None
    if name == "PostOnly":
        if crosses:
            raise Revert("OrderCreationError", "OrderPartiallyFilled")
        _rest(order, tx)
        return order
    if name == "FillOrKill":
        available = (
            opposite.total_between(0, price) if is_buy else opposite.total_between(price, 2**64)
        )
        if available < quantity:
            raise Revert("OrderCreationError", "OrderNotFilled")
    elif name == "BoundedMarket":
        if is_buy:
            low, high = second, min(first, price)
        else:
            low, high = max(second, price), first
    elif name == "Limit":
        if is_buy:
            high = min(first, price)
        else:
            low = max(first, price)
    _match(ledger, order, low, high, tx)
    if order.remaining == 0:
        close_order(order, tx, cancel=False)
        return order
    if name == "Spot":
        _rest(order, tx)
    elif name == "Limit":
        best = opposite.best()
        crosses = best is not None and (best <= price if is_buy else best >= price)
        if second > tx.now and not crosses:
            _rest(order, tx)
            ledger.schedule_expiry(order, second)
        else:
            close_order(order, tx, cancel=True)
    else:
        close_order(order, tx, cancel=True)
    return order


def _rest(order: Order, tx: Tx) -> None:
    market = order.market
    market.side(order.is_buy).add(order, tx)
    tx.set(order, "resting", True)
    tx.touch_level(market, order.is_buy, order.price)


def _match(ledger: Ledger, taker: Order, low: int | None, high: int | None, tx: Tx) -> None:
    """Fill ``taker`` against the opposite side, best price first, oldest order first,
    within ``low <= price <= high`` (None = unbounded)."""
    market = taker.market
    book = market.side(not taker.is_buy)
    while taker.remaining > 0:
        level = book.best_level()
        if level is None:
            break
        price = level.price
        if (high is not None and price > high) or (low is not None and price < low):
            break
        tx.touch_level(market, not taker.is_buy, price)
        orders = level.orders
        while taker.remaining > 0 and level.total > 0:
            maker = orders[0]
            if maker.close or not maker.resting:
                book.pop_head(level, tx)
                continue
            quantity = min(maker.remaining, taker.remaining)
            _fill(ledger, maker, taker, price, quantity, tx)
            book.reduce(level, quantity, tx)
            if maker.remaining == 0:
                book.pop_head(level, tx)
                close_order(maker, tx, cancel=False)


def _fill(ledger: Ledger, maker: Order, taker: Order, price: int, quantity: int, tx: Tx) -> None:
    """Exchange ``quantity`` at ``price`` between two orders, with fees and a trade."""
    market = maker.market
    base, quote = market.base_asset, market.quote_asset
    cost = price * quantity // market.base_factor
    buy, sell = (maker, taker) if maker.is_buy else (taker, maker)
    buyer, seller = buy.account, sell.account
    buy_bb = book_balance(buyer, market, tx)
    sell_bb = book_balance(seller, market, tx)
    tx.set(sell, "locked", sell.locked - quantity)
    tx.add(sell_bb.locked, base, -quantity)
    tx.set(buy, "locked", buy.locked - cost)
    tx.add(buy_bb.locked, quote, -cost)
    num, den = market.maker_fee if buy is maker else market.taker_fee
    buyer_fee = quantity * num // den
    num, den = market.maker_fee if sell is maker else market.taker_fee
    seller_fee = cost * num // den
    tx.add(buy_bb.unlocked, base, quantity - buyer_fee)
    tx.add(sell_bb.unlocked, quote, cost - seller_fee)
    if buyer_fee:
        tx.add(buy_bb.fee, base, buyer_fee)
        tx.add(market.fee_pool, base, buyer_fee)
    if seller_fee:
        tx.add(sell_bb.fee, quote, seller_fee)
        tx.add(market.fee_pool, quote, seller_fee)
    notional = price * quantity
    for order in (maker, taker):
        tx.set(order, "filled", order.filled + quantity)
        tx.set(order, "fill_notional", order.fill_notional + notional)
        tx.touched_orders[order.order_id] = order
    needed = buy.price * buy.remaining // market.base_factor
    excess = buy.locked - needed
    if excess > 0:
        tx.set(buy, "locked", needed)
        tx.add(buy_bb.locked, quote, -excess)
        tx.add(buy_bb.unlocked, quote, excess)
    for account in (buyer, seller):
        tx.touch_balance(account, base)
        tx.touch_balance(account, quote)
    seq = ledger.next_seq()
    trade = Trade(
        trade_id=derive_id(ledger.seed, f"trade:{seq}"),
        seq=seq,
        market=market,
        price=price,
        quantity=quantity,
        total=cost,
        timestamp_ms=tx.now_ms,
        maker_order=maker,
        taker_order=taker,
    )
    tx.trades.append(trade)
    tx.logs.append("OrderMatchedEvent")
