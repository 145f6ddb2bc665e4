"""``o2``: markets, order books, trades, balances, orders and nonces from the command line.

Every command is a few calls of :class:`~o2_core.O2Client`; :mod:`o2_cli.render` turns
the results into aligned tables, or JSON with ``--json``. The network is the embedded
local exchange unless ``--network`` or ``--api`` names another. No command signs
anything, so none needs a key.

In-process use (tests, other tools): ``run(argv, stdout, stderr)`` returns the exit
status instead of exiting.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TextIO

import anyio

from o2_core import (
    InvalidInput,
    Market,
    Network,
    NetworkConfig,
    O2Client,
    O2Error,
    UsageError,
    __version__,
    get_config,
)

from . import demo as demo_mod
from . import render

#: Exit status of a command that failed (a usage error exits with 2, as argparse does).
FAILED = 1
#: Exit status after Ctrl-C.
INTERRUPTED = 130

_ACCOUNT_ID = re.compile(r"0x[0-9a-fA-F]{64}")
_EMPTY_HINT = (
    "the embedded exchange starts empty on every run; add --demo for a seeded book "
    "and live trading"
)


class CommandError(Exception):
    """A failure to report in one line (exit status 1)."""


# --- the command line -----------------------------------------------------------------


def _common() -> argparse.ArgumentParser:
    """Options every command takes, before or after its name (``SUPPRESS``: an option
    given on one side of the command name is not reset by the other)."""
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    where = common.add_argument_group("where")
    where.add_argument(
        "--network", choices=[n.value for n in Network],
        help="a built-in deployment (default: local, the embedded exchange: no network)",
    )
    where.add_argument("--api", metavar="URL", help="REST base URL of another deployment")
    where.add_argument(
        "--ws", metavar="URL", help="its WebSocket URL (default: from --api, path /v1/ws)"
    )
    where.add_argument(
        "--demo", action="store_true",
        help="seed the embedded exchange with a demo book, trades and two accounts "
        "(named maker and taker), and keep trading during depth --watch",
    )
    how = common.add_argument_group("output")
    how.add_argument("--json", action="store_true", help="machine-readable JSON output")
    how.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="seconds per request (default 10)"
    )
    return common


def parser() -> argparse.ArgumentParser:
    """The ``o2`` argument parser."""
    common = _common()
    top = argparse.ArgumentParser(
        prog="o2",
        parents=[common],
        description="Read the O2 Exchange: markets, order books, trades, balances, orders "
        "and nonces. Runs against the embedded local exchange unless --network or --api "
        "says otherwise.",
        epilog="ACCOUNT is a trading account id or the owner address of one (0x + 64 hex "
        "digits); with --demo also maker or taker. Prices and quantities are exact human "
        "values; --json adds the chain integers (*_chain).",
    )
    top.add_argument("--version", action="version", version=f"o2 (o2-sansio) {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, parents=[common], help=text, description=text)

    command("markets", "list the markets")

    depth = command("depth", "the order book of a market (--watch: live, redrawn in place)")
    depth.add_argument("pair", metavar="PAIR", help="a market, e.g. fFUEL/fUSDC")
    depth.add_argument("--levels", type=_positive, default=render.DEFAULT_LEVELS,
                       help="levels shown per side (default %(default)s)")
    depth.add_argument("--precision", type=int, default=1,
                       help="price grouping level 1..18 (default 1: no grouping)")
    depth.add_argument("--watch", action="store_true",
                       help="follow the live book (a JSON line per update with --json)")
    depth.add_argument("--count", type=_positive,
                       help="with --watch: stop after showing this many books")
    depth.add_argument("--seconds", type=float,
                       help="with --watch: stop after this many seconds")

    trades = command("trades", "recent trades of a market, most recent first")
    trades.add_argument("pair", metavar="PAIR")
    trades.add_argument("--count", type=_positive, default=20,
                        help="how many (at most 50, default %(default)s)")

    balances = command("balances", "balances of a trading account")
    balances.add_argument("account", metavar="ACCOUNT")

    orders = command("orders", "orders of a trading account on a market, most recent first")
    orders.add_argument("account", metavar="ACCOUNT")
    orders.add_argument("pair", metavar="PAIR")
    orders.add_argument("--open", action="store_true", help="open orders only")
    orders.add_argument("--count", type=_positive, default=20,
                        help="how many (at most 200, default %(default)s)")

    nonce = command("nonce", "the next nonce of a trading account")
    nonce.add_argument("account", metavar="ACCOUNT")
    return top


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _option(args: argparse.Namespace, name: str, default: Any = None) -> Any:
    return getattr(args, name, default)


def client_for(args: argparse.Namespace) -> O2Client:
    """The client the options ask for.

    Raises:
        CommandError: ``--ws`` without ``--api``, an invalid URL, or ``--demo`` away
            from the embedded exchange.
    """
    timeout = _option(args, "timeout", 10.0)
    api, ws = _option(args, "api"), _option(args, "ws")
    network = Network(_option(args, "network", Network.LOCAL.value))
    if ws and not api:
        raise CommandError("--ws needs --api")
    if _option(args, "demo", False) and (api or network is not Network.LOCAL):
        raise CommandError("--demo seeds the embedded exchange only (--network local)")
    try:
        if api:
            ws = ws or re.sub(r"^http", "ws", api.rstrip("/")) + "/v1/ws"
            return O2Client(custom_config=NetworkConfig(api, ws), request_timeout=timeout)
        return O2Client(network=network, request_timeout=timeout)
    except (ValueError, InvalidInput) as err:
        raise CommandError(str(err)) from None


# --- commands -------------------------------------------------------------------------


class Context:
    """What a command works with: the client, the parsed options, the output, the demo."""

    def __init__(
        self, client: O2Client, args: argparse.Namespace, out: TextIO, err: TextIO
    ) -> None:
        self.client = client
        self.args = args
        self.out = out
        self.err = err
        self.demo: demo_mod.Demo | None = None

    @property
    def json(self) -> bool:
        """True with ``--json``."""
        return bool(_option(self.args, "json", False))

    @property
    def embedded(self) -> bool:
        """True on the embedded exchange."""
        return self.client.config.api_base == get_config(Network.LOCAL).api_base

    def lines(self, lines: Sequence[str]) -> None:
        """Print ``lines``."""
        for line in lines:
            print(line, file=self.out)

    def dump(self, value: object) -> None:
        """Print ``value`` as one line of JSON."""
        print(json.dumps(value, separators=(",", ":")), file=self.out)

    def hint(self, text: str) -> None:
        """A note for people (stderr, never with ``--json``)."""
        if not self.json:
            print(f"o2: {text}", file=self.err)

    async def account(self, text: str) -> str:
        """The trading account id ``text`` names (an account id, an owner address, or a
        demo account's name)."""
        if self.demo is not None and text in self.demo.accounts:
            return self.demo.accounts[text]
        if not _ACCOUNT_ID.fullmatch(text):
            names = " or ".join(demo_mod.ACCOUNT_NAMES)
            also = f" (or, with --demo, {names})" if self.embedded else ""
            raise CommandError(f"ACCOUNT must be 0x and 64 hex digits{also}, got {text!r}")
        info = await self.client.get_account(trade_account_id=text)
        if not info.exists:
            info = await self.client.get_account(owner=text)
        if info.trade_account_id is None:
            hint = f"; {_EMPTY_HINT}" if self.embedded and self.demo is None else ""
            raise CommandError(
                f"no trading account {text} (as an account id or an owner address){hint}"
            )
        return str(info.trade_account_id)


async def markets(ctx: Context) -> None:
    """``o2 markets``."""
    found = await ctx.client.get_markets()
    if ctx.json:
        ctx.dump([render.market_json(m) for m in found])
    else:
        ctx.lines(render.markets_table(found))


async def depth(ctx: Context) -> None:
    """``o2 depth PAIR [--watch]``."""
    args = ctx.args
    market = await ctx.client.get_market(args.pair)
    if not 1 <= args.precision <= 18:
        raise CommandError(f"--precision must be 1..18, got {args.precision}")
    if args.watch:
        await _watch(ctx, market)
        return
    if args.count is not None or args.seconds is not None:
        raise CommandError("--count and --seconds go with --watch")
    book = await ctx.client.get_depth(market, precision=args.precision)
    if ctx.json:
        ctx.dump(render.depth_json(market, book, args.levels, args.precision))
        return
    ctx.lines(render.depth_lines(market, book, args.levels))
    if not book.bids and not book.asks and ctx.embedded and ctx.demo is None:
        ctx.hint(_EMPTY_HINT)


class Screen:
    """Shows one frame after another: on a terminal each frame replaces the last in place
    (ANSI cursor movement), elsewhere frames follow each other with a blank line between."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.in_place = out.isatty()
        self._height = 0

    def show(self, lines: Sequence[str]) -> None:
        """Draw ``lines`` over the previous frame."""
        if self._height:
            # to the start of the previous frame's first line, then clear down
            self.out.write(f"\x1b[{self._height}F\x1b[J" if self.in_place else "\n")
        self.out.write("".join(line + "\n" for line in lines))
        self.out.flush()
        self._height = len(lines)


async def _watch(ctx: Context, market: Market) -> None:
    """Show the live book until ``--count`` books were shown, ``--seconds`` passed, or
    Ctrl-C; with ``--demo`` the demo traders trade meanwhile."""
    args = ctx.args
    screen = Screen(ctx.out)
    failures: list[Exception] = []
    if ctx.embedded and ctx.demo is None:
        ctx.hint(_EMPTY_HINT)

    async def show_books() -> None:
        shown = 0
        async for book in ctx.client.order_book(market, args.precision):
            if ctx.json:
                frame = render.depth_json(market, book, args.levels, args.precision)
                ctx.dump({**frame, "updates": book.update_count})
            else:
                count = book.update_count
                title = f"live · {count} update{'' if count == 1 else 's'}"
                screen.show(render.depth_lines(market, book, args.levels, title))
            shown += 1
            if args.count is not None and shown >= args.count:
                return

    async def until_done(task: Callable[[], Awaitable[None]], scope: anyio.CancelScope) -> None:
        # a failure is kept and re-raised as it is, not inside an exception group
        try:
            await task()
        except Exception as error:
            failures.append(error)
        scope.cancel()

    if not ctx.json and screen.in_place:
        ctx.out.write("\x1b[?25l")  # hide the cursor while redrawing
    try:
        with anyio.move_on_after(args.seconds if args.seconds is not None else float("inf")):
            async with anyio.create_task_group() as tg:
                tg.start_soon(until_done, show_books, tg.cancel_scope)
                if ctx.demo is not None:
                    demo = ctx.demo

                    async def trade() -> None:
                        await demo_mod.keep_trading(ctx.client, demo, market)

                    tg.start_soon(until_done, trade, tg.cancel_scope)
    finally:
        if not ctx.json and screen.in_place:
            ctx.out.write("\x1b[?25h")
            ctx.out.flush()
    if failures:
        raise failures[0]


async def trades(ctx: Context) -> None:
    """``o2 trades PAIR``."""
    market = await ctx.client.get_market(ctx.args.pair)
    found = await ctx.client.get_trades(market, count=min(ctx.args.count, 50))
    if ctx.json:
        ctx.dump([render.trade_json(market, t) for t in found])
        return
    ctx.lines(render.trades_table(market, found))
    if not found and ctx.embedded and ctx.demo is None:
        ctx.hint(_EMPTY_HINT)


async def balances(ctx: Context) -> None:
    """``o2 balances ACCOUNT``."""
    account = await ctx.account(ctx.args.account)
    found = await ctx.client.get_balances(account)
    decimals = {
        asset.symbol: asset.decimals
        for m in await ctx.client.get_markets()
        for asset in (m.base, m.quote)
    }
    if ctx.json:
        ctx.dump({
            "trade_account_id": account,
            "balances": [render.balance_json(s, b, decimals[s]) for s, b in found.items()],
        })
    else:
        ctx.lines([f"trading account {account}", *render.balances_table(found, decimals)])


async def orders(ctx: Context) -> None:
    """``o2 orders ACCOUNT PAIR``."""
    account = await ctx.account(ctx.args.account)
    market = await ctx.client.get_market(ctx.args.pair)
    found = await ctx.client.get_orders(
        market, account, is_open=True if ctx.args.open else None,
        count=min(ctx.args.count, 200),
    )
    if ctx.json:
        ctx.dump({"trade_account_id": account, "pair": market.pair,
                  "orders": [render.order_json(market, o) for o in found]})
    else:
        ctx.lines([f"trading account {account}", *render.orders_table(market, found)])


async def nonce(ctx: Context) -> None:
    """``o2 nonce ACCOUNT``."""
    account = await ctx.account(ctx.args.account)
    value = await ctx.client.get_nonce(account)
    if ctx.json:
        ctx.dump({"trade_account_id": account, "nonce": value})
    else:
        ctx.lines([f"trading account {account}: next nonce {value}"])


#: Each command by name: what it does with the :class:`Context`.
COMMANDS: dict[str, Callable[[Context], Awaitable[None]]] = {
    "markets": markets,
    "depth": depth,
    "trades": trades,
    "balances": balances,
    "orders": orders,
    "nonce": nonce,
}


# --- running --------------------------------------------------------------------------


@asynccontextmanager
async def _session(args: argparse.Namespace, out: TextIO, err: TextIO) -> AsyncIterator[Context]:
    async with client_for(args) as client:
        ctx = Context(client, args, out, err)
        if _option(args, "demo", False):
            ctx.demo = await demo_mod.seed(client)
        yield ctx


async def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    async with _session(args, out, err) as ctx:
        await COMMANDS[args.command](ctx)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def run(argv: Sequence[str] | None = None, stdout: TextIO | None = None,
        stderr: TextIO | None = None) -> int:
    """Run ``o2`` with ``argv`` (default: ``sys.argv[1:]``) and return its exit status.

    Failures are reported on ``stderr`` in one line: 1 for a failed command, 2 for a
    usage error (argparse's own message), 130 after Ctrl-C.
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):  # help, usage
            args = parser().parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 2
    try:
        anyio.run(_run, args, out, err)
    except KeyboardInterrupt:
        return INTERRUPTED
    except BrokenPipeError:
        return 0  # the reader (e.g. `head`) has seen enough
    except (CommandError, O2Error, UsageError) as error:
        print(f"o2: error: {_one_line(error)}", file=err)
        return FAILED
    return 0


def main() -> None:
    """Console script ``o2``."""
    sys.exit(run())


__all__ = ["COMMANDS", "CommandError", "Context", "Screen", "client_for", "main", "parser", "run"]
