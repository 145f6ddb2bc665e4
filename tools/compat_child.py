"""The child side of ``tools/compat.py``: runs inside the processes that execute official material.

Nothing here edits the official files. A child process is told, through environment
variables, which SDK it exercises (``o2_sdk`` unchanged, or ``o2_core`` after the import
rewrite) and where the local exchange listens; it then:

- points the SDK's built-in networks (TESTNET, DEVNET, MAINNET) at that loopback server
  by replacing the URLs of the entries of ``<sdk>.config.NETWORK_CONFIGS`` (every other
  field, e.g. ``whitelist_required``, stays as the SDK ships it);
- refuses any name resolution other than the loopback one (so nothing can reach a real
  O2 deployment, a faucet or a Fuel node by accident);
- compresses the *official code's own* waits: in the official module's namespace (never
  inside either SDK), ``asyncio.sleep(d)`` sleeps ``min(d, sleep cap)`` and
  ``asyncio.wait_for(aw, t)`` waits ``min(t, timeout cap)``. The testnet material waits
  for indexers, faucet cooldowns and quote cycles (10 s, 15 s, 65 s); a local exchange
  answers at once.

Used three ways: as the body of the ``conftest.py`` the harness puts next to the
rewritten official tests (pytest hooks below), as ``python compat_child.py example PATH``
for an example, and as ``python compat_child.py docs BLOCKS.json RESULTS.json`` for
the code blocks of the docs.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import builtins
import contextlib
import copy
import dataclasses
import importlib
import inspect
import io
import json
import os
import runpy
import signal
import socket
import sys
import time
import traceback
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

#: JSON ``{"api_base", "ws_url", "faucet_url"}`` of the loopback exchange.
ENV_SIM = "O2_COMPAT_SIM"
#: ``o2_sdk`` or ``o2_core``: the package the official material runs on.
ENV_SDK = "O2_COMPAT_SDK"
#: Where a pytest child writes its per-test outcomes (JSON).
ENV_RESULTS = "O2_COMPAT_RESULTS"
#: Where a pytest child writes the payloads the official tests decode (JSON).
ENV_RECORD = "O2_COMPAT_RECORD"
#: ``sleep_cap,timeout_cap`` in seconds for the official code's own waits.
ENV_CAPS = "O2_COMPAT_CAPS"

DEFAULT_CAPS = (0.25, 10.0)
LOOPBACK = ("127.0.0.1", "localhost", "::1")

__all__ = [
    "anyio_backend",
    "pytest_collection_modifyitems",
    "pytest_collectreport",
    "pytest_configure",
    "pytest_runtest_logreport",
    "pytest_sessionfinish",
]


# --- pointing an SDK at the local exchange -------------------------------------------


def sim_endpoints() -> dict[str, str] | None:
    """The loopback exchange the harness started (None when not told)."""
    text = os.environ.get(ENV_SIM)
    return json.loads(text) if text else None


def redirect(sdk: str, sim: dict[str, str]) -> list[str]:
    """Point ``sdk``'s TESTNET, DEVNET and MAINNET at ``sim``; returns what was replaced."""
    config = importlib.import_module(f"{sdk}.config")
    changed = []
    for name in ("TESTNET", "DEVNET", "MAINNET"):
        network = getattr(config.Network, name)
        original = config.NETWORK_CONFIGS[network]
        config.NETWORK_CONFIGS[network] = dataclasses.replace(
            original,
            api_base=sim["api_base"],
            ws_url=sim["ws_url"],
            fuel_rpc=sim["api_base"] + "/no-fuel-rpc-here",
            faucet_url=sim["faucet_url"] if original.faucet_url else None,
        )
        changed.append(name)
    return changed


def loopback_only() -> None:
    """Make every name resolution but the loopback one fail (no real network by mistake)."""
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name not in LOOPBACK:
            raise OSError(f"compat harness: no network beyond loopback (tried {name!r})")
        return real(host, *args, **kwargs)

    socket.getaddrinfo = guarded


def caps() -> tuple[float, float]:
    """The (sleep, timeout) caps for the official code's own waits."""
    text = os.environ.get(ENV_CAPS)
    if not text:
        return DEFAULT_CAPS
    sleep_cap, timeout_cap = (float(x) for x in text.split(","))
    return sleep_cap, timeout_cap


def time_compressed_asyncio(sleep_cap: float, timeout_cap: float) -> types.ModuleType:
    """An ``asyncio`` stand-in for official code: the same module, shorter waits."""
    facade = types.ModuleType("asyncio", "asyncio with the official code's waits capped")

    async def sleep(delay: float, result: Any = None) -> Any:
        return await asyncio.sleep(min(delay, sleep_cap), result)

    async def wait_for(aw: Any, timeout: float | None) -> Any:
        return await asyncio.wait_for(aw, None if timeout is None else min(timeout, timeout_cap))

    facade.sleep = sleep  # type: ignore[attr-defined]
    facade.wait_for = wait_for  # type: ignore[attr-defined]
    facade.__getattr__ = lambda name: getattr(asyncio, name)  # type: ignore[method-assign]
    return facade


def setup_child() -> str:
    """Redirect the SDK named by the environment and guard the network; returns the SDK."""
    sdk = os.environ.get(ENV_SDK, "o2_sdk")
    loopback_only()
    sim = sim_endpoints()
    if sim is not None:
        redirect(sdk, sim)
    return sdk


# --- pytest hooks (the injected conftest re-exports these) ----------------------------

_outcomes: dict[str, dict[str, Any]] = {}
_recorded: list[dict[str, Any]] = []


def pytest_configure(config: pytest.Config) -> None:
    """Markers of the official suite; redirect and guard; start recording if asked."""
    config.addinivalue_line("markers", "integration: needs an O2 deployment (here: o2-sim)")
    config.addinivalue_line("markers", "asyncio: run by pytest-asyncio (here: anyio)")
    sdk = setup_child()
    if os.environ.get(ENV_RECORD):
        _install_recorder(sdk)


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """One asyncio loop per module, as the official ``asyncio_*_loop_scope = "module"``."""
    return "asyncio"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Cap the waits of the official test modules (their own ``asyncio`` name only)."""
    if sim_endpoints() is None:
        return
    facade = time_compressed_asyncio(*caps())
    seen: set[str] = set()
    for item in items:
        module = getattr(item, "module", None)
        if module is None or module.__name__ in seen:
            continue
        seen.add(module.__name__)
        if getattr(module, "asyncio", None) is asyncio:
            module.asyncio = facade


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Keep one outcome per test: the first failing phase, else passed/skipped."""
    entry = _outcomes.setdefault(
        report.nodeid, {"outcome": "passed", "when": "call", "message": "", "duration": 0.0}
    )
    entry["duration"] += report.duration
    if report.outcome == "passed" or entry["outcome"] != "passed":
        return
    entry["outcome"] = "error" if report.when != "call" and report.failed else report.outcome
    entry["when"] = report.when
    entry["message"] = _crash_message(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """A file that cannot even be collected (e.g. an import fails): one ``error``
    outcome under the file's node id, with the error's last line."""
    if not report.failed:
        return
    text = str(report.longrepr)
    errors = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    _outcomes[report.nodeid] = {"outcome": "error", "when": "collect", "duration": 0.0,
                                "message": errors[-1] if errors else text[-2000:]}


def _crash_message(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (path, line, reason)
        return str(longrepr[2])
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)
    return str(longrepr)[-2000:]


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the outcomes (and recorded payloads) where the harness said."""
    path = os.environ.get(ENV_RESULTS)
    if path:
        Path(path).write_text(json.dumps(_outcomes, indent=1, sort_keys=True))
    record = os.environ.get(ENV_RECORD)
    if record:
        Path(record).write_text(json.dumps(_recorded, indent=1))


# --- recording the payloads the official unit tests decode ---------------------------

_record_state: dict[str, int] = {"depth": 0}


def _install_recorder(sdk: str) -> None:
    """Wrap every ``from_dict`` of ``<sdk>.models``; keep the outermost calls' inputs."""
    models = importlib.import_module(f"{sdk}.models")
    classes: dict[str, Any] = {
        name: cls for name, cls in vars(models).items()
        if inspect.isclass(cls) and cls.__module__ == models.__name__
    }
    for name, cls in classes.items():
        raw = cls.__dict__.get("from_dict")
        if isinstance(raw, classmethod):
            cls.from_dict = classmethod(_recording(name, raw.__func__))


def _recording(model: str, func: Callable[..., Any]) -> Callable[..., Any]:
    def from_dict(cls: type, data: Any, *args: Any, **kwargs: Any) -> Any:
        outermost = _record_state["depth"] == 0
        snapshot = _jsonable(data) if outermost and cls.__name__ == model else None
        caller = Path(sys._getframe(1).f_code.co_filename).name
        _record_state["depth"] += 1
        try:
            return func(cls, data, *args, **kwargs)
        finally:
            _record_state["depth"] -= 1
            if snapshot is not None:
                _recorded.append(
                    {
                        "model": model,
                        "payload": snapshot,
                        "test": os.environ.get("PYTEST_CURRENT_TEST", "").split(" (")[0],
                        "caller": caller,
                    }
                )

    return from_dict


def _jsonable(value: Any) -> Any:
    """A JSON copy of a payload, or None when it holds something JSON cannot."""
    try:
        return json.loads(json.dumps(copy.deepcopy(value)))
    except (TypeError, ValueError):
        return None


# --- examples ------------------------------------------------------------------------


def main_block_is_asyncio_run_main(source: str) -> bool:
    """True when the file ends in exactly ``if __name__ == "__main__": asyncio.run(main())``."""
    tree = ast.parse(source)
    last = tree.body[-1] if tree.body else None
    if not isinstance(last, ast.If) or len(last.body) != 1 or last.orelse:
        return False
    expected = ast.dump(ast.parse("asyncio.run(main())").body[0])
    return ast.unparse(last.test) == "__name__ == '__main__'" and ast.dump(last.body[0]) == expected


def run_example(path: Path, overrides: dict[str, str]) -> None:
    """Run an official example as its ``__main__`` block does, with the waits capped.

    The module body runs as it is (under another ``__name__``); then the settings the
    example invites the user to edit (``overrides``, e.g. ``PRIVATE_KEY``) are applied,
    and ``asyncio.run(main())`` runs, as the example's main block would.
    """
    source = path.read_text()
    if not main_block_is_asyncio_run_main(source):
        if overrides:
            raise SystemExit(f"{path.name}: its main block is not `asyncio.run(main())`")
        runpy.run_path(str(path), run_name="__main__")  # as it is (it has no waits to cap)
        return
    namespace: dict[str, Any] = {"__name__": "o2_official_example", "__file__": str(path)}
    exec(compile(source, str(path), "exec"), namespace)  # the example's module body
    namespace["asyncio"] = time_compressed_asyncio(*caps())
    for key, value in overrides.items():
        if key not in namespace:
            raise SystemExit(f"{path.name} has no setting {key}")
        namespace[key] = value
    signal.signal(signal.SIGUSR1, _dump_tasks)  # the harness asks before it kills
    asyncio.run(namespace["main"]())


def _dump_tasks(signum: int, frame: Any) -> None:
    """Print where every task of the running loop waits (a hung example's diagnosis)."""
    loop = asyncio._get_running_loop()
    print(f"--- SIGUSR1: {len(asyncio.all_tasks(loop)) if loop else 0} tasks ---", flush=True)
    for task in asyncio.all_tasks(loop) if loop else ():
        task.print_stack(limit=12, file=sys.stdout)
    sys.stdout.flush()


# --- docs code blocks ----------------------------------------------------------------

#: Names the snippets of the docs take from their surroundings, provided per block.
CONTEXT_NAMES = ("client", "owner", "account", "session", "market", "old_order_id",
                 "new_price", "new_qty")


@contextlib.contextmanager
def _captured() -> Iterator[io.StringIO]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        yield buf


def _import_facade_builtins(facade: types.ModuleType) -> dict[str, Any]:
    """Builtins whose ``import asyncio`` (in the block only) yields the capped facade."""
    real_import = builtins.__import__

    def _import(name: str, globals: Any = None, locals: Any = None,
                fromlist: Any = (), level: int = 0) -> Any:
        if name == "asyncio" and not fromlist and level == 0:
            return facade
        return real_import(name, globals, locals, fromlist, level)

    table = dict(vars(builtins))
    table["__import__"] = _import
    return table


async def _doc_context(sdk: str, pair: str) -> dict[str, Any]:
    pkg = importlib.import_module(sdk)
    client = pkg.O2Client(network=pkg.Network.TESTNET)
    owner = client.generate_wallet()
    account = await client.setup_account(owner)
    await client.close()
    return {"owner": owner, "account": account, "pair": pair}


async def _block_context(sdk: str, base: dict[str, Any]) -> dict[str, Any]:
    pkg = importlib.import_module(sdk)
    client = pkg.O2Client(network=pkg.Network.TESTNET)
    pair = base["pair"]
    session = await client.create_session(owner=base["owner"], markets=[pair], expiry_days=1)
    market = await client.get_market(pair)
    placed = await client.create_order(
        pair, pkg.OrderSide.BUY, "0.011", "100", order_type=pkg.OrderType.POST_ONLY
    )
    return {
        "client": client,
        "owner": base["owner"],
        "account": base["account"],
        "session": session,
        "market": market,
        "old_order_id": placed.orders[0].order_id,
        "new_price": 0.012,
        "new_qty": 100.0,
    }


async def _run_block(block: dict[str, Any], sdk: str, base: dict[str, Any] | None,
                     facade: types.ModuleType) -> dict[str, Any]:
    """Run one classified block; ``bounded`` blocks pass when they run ``seconds`` clean."""
    kind = block["kind"]
    seconds = float(block.get("seconds", 5.0 if "stream_" in block["code"] else 2.0))
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__":
                                 _import_facade_builtins(facade)}
    started = time.monotonic()
    ctx: dict[str, Any] = {}
    with _captured() as out:
        try:
            for line in block.get("carried_imports", []):
                with contextlib.suppress(Exception):
                    exec(compile(line, "<carried import>", "exec"), namespace)
            if kind in ("snippet", "bounded"):
                if base is None:
                    raise RuntimeError("the docs context (account, session) could not be set up")
                ctx = await _block_context(sdk, base)
                namespace.update(ctx)
            code = compile(block["code"], f"<{block['id']}>", "exec",
                           flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            result = eval(code, namespace)  # the block's code, as the docs give it
            if inspect.isawaitable(result):
                if kind == "bounded":
                    streams = "stream_" in block["code"]
                    await _bounded(result, seconds, sdk, ctx if streams else None, out)
                    if streams and not out.getvalue().strip():
                        raise AssertionError(f"streamed nothing in {seconds} s of activity")
                else:
                    await asyncio.wait_for(result, 60)
            outcome, message = "passed", ""
        except BaseException as err:
            if isinstance(err, KeyboardInterrupt):
                raise
            outcome = "failed"
            message = f"{type(err).__name__}: {err}"
            tb = traceback.extract_tb(err.__traceback__)
            frames = [f for f in tb if f.filename.startswith("<")]
            if frames:
                message += f" (at {frames[-1].filename} line {frames[-1].lineno})"
        finally:
            client = ctx.get("client")
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.close()
    return {"outcome": outcome, "message": message[:600], "stdout": out.getvalue()[-400:],
            "duration": round(time.monotonic() - started, 2)}


async def _bounded(block: Any, seconds: float, sdk: str, ctx: dict[str, Any] | None,
                   out: io.StringIO) -> None:
    """Run a block that never ends, for a bounded time; with ``ctx``, activity meanwhile.

    Without ``ctx`` (a loop) the block runs ``seconds``. With it (a block that streams),
    every half second the block's own client trades on the context's account: first it
    cancels the resting order of the context, then (every round) it buys 50 fFUEL at up
    to 0.03 against the seeded book, which makes orders, balances, nonce, trades and
    depth frames. It stops once the block has printed and two rounds have followed its
    subscription (so that incremental frames reached it too), or after ``seconds``.
    Raises what the block raised.
    """
    pkg = importlib.import_module(sdk)
    task = asyncio.ensure_future(block)
    deadline = time.monotonic() + seconds
    rounds = 0
    try:
        while not task.done() and time.monotonic() < deadline:
            await asyncio.wait({task}, timeout=0.5)
            if ctx is None or task.done():
                continue
            client, pair = ctx["client"], ctx["market"].pair
            if rounds == 0:
                await client.cancel_order(ctx["old_order_id"], market=pair)
            await client.create_order(pair, pkg.OrderSide.BUY, "0.03", "50",
                                      order_type=pkg.OrderType.SPOT)
            rounds += 1
            if out.getvalue().strip() and rounds >= 2:
                await asyncio.wait({task}, timeout=0.5)
                break
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        else:
            task.result()  # raises what the block raised


def _run_program(block: dict[str, Any], facade: types.ModuleType) -> dict[str, Any]:
    """A complete program (``asyncio.run(...)`` inside): run it as ``__main__``."""
    namespace = {"__name__": "__main__", "__builtins__": _import_facade_builtins(facade)}
    started = time.monotonic()
    with _captured() as out:
        try:
            exec(compile(block["code"], f"<{block['id']}>", "exec"), namespace)
            outcome, message = "passed", ""
        except BaseException as err:
            if isinstance(err, KeyboardInterrupt):
                raise
            outcome, message = "failed", f"{type(err).__name__}: {err}"
    return {"outcome": outcome, "message": message[:600], "stdout": out.getvalue()[-400:],
            "duration": round(time.monotonic() - started, 2)}


def run_docs(blocks_path: Path, results_path: Path, pair: str) -> None:
    """Run every runnable block of ``blocks_path``; write one result per block id."""
    sdk = os.environ.get(ENV_SDK, "o2_sdk")
    blocks = json.loads(blocks_path.read_text())
    facade = time_compressed_asyncio(*caps())
    results: dict[str, Any] = {}

    async def snippets() -> None:
        base: dict[str, Any] | None = None
        try:
            base = await _doc_context(sdk, pair)
        except Exception as err:
            results["<context>"] = {"outcome": "failed", "message": f"{type(err).__name__}: {err}"}
        for block in blocks:
            if block["kind"] in ("snippet", "bounded"):
                results[block["id"]] = await _run_block(block, sdk, base, facade)
                results_path.write_text(json.dumps(results, indent=1))

    asyncio.run(snippets())
    for block in blocks:
        if block["kind"] == "program":
            results[block["id"]] = _run_program(block, facade)
            results_path.write_text(json.dumps(results, indent=1))
    results_path.write_text(json.dumps(results, indent=1))


def main(argv: list[str] | None = None) -> None:
    """``example PATH [--set NAME=VALUE]...`` or ``docs BLOCKS.json RESULTS.json``."""
    parser = argparse.ArgumentParser(prog="compat_child")
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("example")
    ex.add_argument("path", type=Path)
    ex.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    docs = sub.add_parser("docs")
    docs.add_argument("blocks", type=Path)
    docs.add_argument("results", type=Path)
    docs.add_argument("--pair", default="fFUEL/fUSDC")
    args = parser.parse_args(argv)
    setup_child()
    if args.command == "example":
        overrides = dict(item.split("=", 1) for item in args.set)
        run_example(args.path, overrides)
    else:
        run_docs(args.blocks, args.results, args.pair)


if __name__ == "__main__":
    main()
