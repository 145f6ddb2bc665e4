"""The official o2-sdk 0.5.0 material (tests, examples, docs) as our compatibility suite.

    python tools/compat.py --fetch             # get (or reuse) the verified sdist, print its path
    python tools/compat.py --report            # run everything with both SDKs, print the tables
    python tools/compat.py --report --only integration,ccxt,examples --sdk ours
    python tools/compat.py --payloads          # regenerate tests/data/compat/payloads.json

What it does, in order:

1. **Fetch.** ``pip download`` of ``o2-sdk==0.5.0`` as an sdist into ``<venv>/o2-sdk-cache/``
   (reused when present), with the archive's sha256 pinned (:data:`SDIST_SHA256`, the
   value PyPI's index gives; pip checks it, and so do we on every reuse).
2. **Rewrite.** Only import statements change: in ``from o2_sdk[.x] import ...`` and
   ``import o2_sdk[.x] [as y]`` the root ``o2_sdk`` becomes ``o2_core``
   (:func:`rewrite_imports`; the statements are found with :mod:`ast`, so a docstring or a
   string such as ``"o2_sdk.client.raw_sign"`` is never touched).
3. **Run** against a loopback ``o2-sim`` (``o2_sim_server.SimServer``) that this process
   starts, configured like testnet (:func:`sim_config`): the official
   ``tests/test_integration.py`` and ``tests/ccxt/test_integration.py`` under pytest,
   the examples, and the Python code blocks of the docs, each once with the official
   SDK unchanged and once rewritten to ``o2_core``. The ccxt unit tests
   (``tests/ccxt/test_{errors,exchange,parsers}.py``) run the same two ways, with the
   shared fixtures they read (:func:`prepare_ccxt_tree`). The child processes are set
   up by ``tools/compat_child.py`` (see there: network redirection, loopback guard,
   capped waits).
4. **Payloads.** The payloads the official unit tests decode are recorded by running
   those tests with the official SDK (every outermost ``Model.from_dict`` input is kept),
   and decoded again with both SDKs, field by field (:func:`compare_payload`).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import builtins
import contextlib
import dataclasses
import decimal
import enum
import hashlib
import importlib
import importlib.util
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

OFFICIAL_VERSION = "0.5.0"
SDIST_NAME = f"o2_sdk-{OFFICIAL_VERSION}.tar.gz"
#: sha256 of the sdist as PyPI's index lists it (``pip install --dry-run --report``).
SDIST_SHA256 = "da2dbd6dee6912dfe74845bc57ee4a47da91afac573eeac72836c84ced5e575b"

REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / "tools"
if sys.path[:1] != [str(REPO)]:
    # This checkout's o2_core (and simulator), never another install of the package.
    sys.path.insert(0, str(REPO))
DATA = REPO / "tests" / "data" / "compat"
PAYLOADS = DATA / "payloads.json"

OFFICIAL, OURS = "o2_sdk", "o2_core"
SDKS = {"official": OFFICIAL, "ours": OURS}

#: The official unit tests whose decoded payloads we keep (those that decode any).
PAYLOAD_TEST_FILES = (
    "test_models.py",
    "test_client.py",
    "test_api.py",
    "test_parallel_capability.py",
    "test_parallel_withdraw.py",
    "test_onchain_revert.py",
    "test_nonce.py",
)
#: The examples we drive, as run name -> (example, minimum order of the local exchange or
#: None for the default). ``quickstart.py`` ends with a 0.01 x 1 order (0.01 fUSDC), under
#: the default 1 fUSDC ``min_order``; it runs twice, the second time on an exchange that
#: accepts that order. ``fast_bridge.py`` reads a Fast Bridge proxy: the local one
#: (``o2_core.sim.BridgeSim``) served on loopback.
EXAMPLES: dict[str, tuple[str, int | None]] = {
    "quickstart": ("quickstart", None),
    "quickstart (min_order 0.01 fUSDC)": ("quickstart", 10_000),
    "market_maker": ("market_maker", None),
    "portfolio": ("portfolio", None),
    "taker_bot": ("taker_bot", None),
    "fast_bridge": ("fast_bridge", None),
}


# --- 1. fetch ------------------------------------------------------------------------


def cache_dir() -> Path:
    """``<venv>/o2-sdk-cache`` (the running interpreter's prefix)."""
    return Path(sys.prefix) / "o2-sdk-cache"


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch_sdist(cache: Path | None = None) -> Path:
    """The verified sdist: reused from ``cache`` when its hash matches, else downloaded.

    Raises:
        RuntimeError: pip failed, or the archive's sha256 is not :data:`SDIST_SHA256`.
    """
    cache = cache or cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / SDIST_NAME
    if archive.is_file() and sha256_of(archive) == SDIST_SHA256:
        return archive
    archive.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        requirement = Path(tmp) / "requirements.txt"
        requirement.write_text(f"o2-sdk=={OFFICIAL_VERSION} --hash=sha256:{SDIST_SHA256}\n")
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             "--require-hashes", "-r", str(requirement), "-d", tmp,
             "--quiet"],
            capture_output=True, text=True, check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"pip download o2-sdk=={OFFICIAL_VERSION} failed:\n{done.stderr}")
        shutil.move(str(Path(tmp) / SDIST_NAME), archive)
    digest = sha256_of(archive)
    if digest != SDIST_SHA256:
        archive.unlink()
        raise RuntimeError(f"{SDIST_NAME}: sha256 {digest}, expected {SDIST_SHA256}")
    return archive


def extract(archive: Path, dest: Path) -> Path:
    """Unpack the sdist into ``dest``; returns its root (``dest/o2_sdk-0.5.0``)."""
    root = dest / SDIST_NAME.removesuffix(".tar.gz")
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            target = (dest / member.name).resolve()
            if not (member.isfile() or member.isdir()) or not target.is_relative_to(
                dest.resolve()
            ):
                raise RuntimeError(f"{archive.name}: refusing member {member.name!r}")
        tar.extractall(dest)
    return root


# --- 2. rewrite ----------------------------------------------------------------------


def _byte_col_to_char(line: str, col: int) -> int:
    return len(line.encode()[:col].decode())


def import_sites(source: str) -> list[tuple[int, int]]:
    """(line index, column) of each ``o2_sdk`` module root inside an import statement.

    Raises:
        SyntaxError: ``source`` does not parse (top-level ``await`` is accepted).
        ValueError: an import of ``o2_sdk`` is laid out so that its name is not where
            expected (it would then be rewritten wrongly; nothing in 0.5.0 does this).
    """
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    sites: list[tuple[int, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level or not node.module or node.module.split(".")[0] != "o2_sdk":
                continue
            row = node.lineno - 1
            start = _byte_col_to_char(lines[row], node.col_offset)
            match = re.compile(r"from\s+(o2_sdk)\b").match(lines[row], start)
            if match is None:
                raise ValueError(f"line {node.lineno}: cannot find the module of {node.module}")
            sites.append((row, match.start(1)))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != "o2_sdk":
                    continue
                row = alias.lineno - 1
                col = _byte_col_to_char(lines[row], alias.col_offset)
                if not lines[row].startswith("o2_sdk", col):
                    raise ValueError(f"line {alias.lineno}: cannot find {alias.name}")
                sites.append((row, col))
    return sorted(set(sites))


def rewrite_imports(source: str) -> str:
    """``source`` with every imported ``o2_sdk`` root renamed ``o2_core``; nothing else."""
    lines = source.splitlines(keepends=True)
    for row, col in import_sites(source):
        line = lines[row]
        lines[row] = line[:col] + "o2_core" + line[col + len("o2_sdk"):]
    return "".join(lines)


def rewrite_tree(sdist_root: Path, dest: Path) -> Path:
    """Copy ``tests/``, ``examples/`` and ``docs/`` with every ``.py`` file rewritten."""
    dest.mkdir(parents=True, exist_ok=True)
    for sub in ("tests", "examples", "docs"):
        for path in sorted((sdist_root / sub).rglob("*")):
            if not path.is_file():
                continue
            target = dest / path.relative_to(sdist_root)
            target.parent.mkdir(parents=True, exist_ok=True)
            if path.suffix == ".py":
                target.write_text(rewrite_imports(path.read_text()))
            else:
                shutil.copyfile(path, target)
    return dest


# --- docs code blocks ----------------------------------------------------------------


@dataclasses.dataclass
class DocBlock:
    """One ``.. code-block::`` of an ``.rst`` page."""

    page: str
    line: int
    language: str
    code: str
    kind: str = ""
    reason: str = ""
    carried_imports: list[str] = dataclasses.field(default_factory=list)

    @property
    def id(self) -> str:
        """``page:line``."""
        return f"{self.page}:{self.line}"


_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. code-block::\s*(?P<lang>\S+)\s*$")


def doc_blocks(text: str, page: str) -> list[DocBlock]:
    """Every ``code-block`` of an rst text, dedented, with its 1-based directive line."""
    lines = text.splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        match = _DIRECTIVE.match(lines[i])
        if match is None:
            i += 1
            continue
        indent = len(match["indent"])
        start = i + 1
        j = start
        while j < len(lines) and (not lines[j].strip() or (lines[j].strip().startswith(":")
                                  and j == start)):
            j += 1
        body: list[str] = []
        while j < len(lines):
            line = lines[j]
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break
            body.append(line)
            j += 1
        code = textwrap.dedent("\n".join(body)).strip("\n") + "\n"
        blocks.append(DocBlock(page, i + 1, match["lang"], code))
        i = j
    return blocks


def docs_pages(root: Path) -> list[Path]:
    """The pages whose code we run: ``docs/guides/*.rst`` and the top-level user pages."""
    docs = root / "docs"
    top = [docs / n for n in ("index.rst", "installation.rst", "quickstart.rst", "concepts.rst")]
    return [p for p in top if p.is_file()] + sorted((docs / "guides").glob("*.rst"))


#: What the docs' snippets may take from their surroundings (tools/compat_child.py
#: provides each, fresh per block, for a funded account with a session on fFUEL/fUSDC).
CONTEXT_NAMES = frozenset(
    ("client", "owner", "account", "session", "market", "old_order_id", "new_price", "new_qty")
)
#: Market names of mainnet; the local exchange lists testnet's (fFUEL/fUSDC, fETH/fUSDC).
MAINNET_MARKETS = ("FUEL/USDC", "FUEL_USDC")
#: Environment variables the docs' code reads that the harness sets for it:
#: ``O2_PRIVATE_KEY``, a fresh owner key (no account yet: the blocks set it up).
DOCS_ENVIRONMENT = frozenset({"O2_PRIVATE_KEY"})
_PLACEHOLDER_TEXT = re.compile(r"\.\.\.|^0x$")
_STREAMS = ("stream_depth", "stream_orders", "stream_trades", "stream_balances", "stream_nonce")


def _bound_and_loaded(tree: ast.AST) -> tuple[set[str], set[str]]:
    bound: set[str] = set()
    loaded: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bound.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound, loaded


def _imports_of(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]


def _module_available(name: str) -> bool:
    top = name.split(".")[0]
    if top in ("o2_sdk", "o2_core"):
        return name != "o2_sdk.ccxt" or importlib.util.find_spec("ccxt") is not None
    return importlib.util.find_spec(top) is not None


def classify(block: DocBlock, carried: set[str]) -> tuple[str, str]:
    """(kind, reason) of a block: ``program``, ``snippet``, ``bounded``, ``definition``
    (all run), or ``text`` / ``not-runnable`` (not run; the reason says why)."""
    if block.language not in ("python", "py", "python3"):
        return "text", f"a {block.language} block"
    try:
        tree = ast.parse(block.code)
    except SyntaxError as err:
        return "not-runnable", f"does not parse: {err.msg}"
    for imp in _imports_of(tree):
        names = [a.name for a in imp.names] if isinstance(imp, ast.Import) else [
            imp.module or ""]
        for name in names:
            if not _module_available(name):
                return "not-runnable", f"imports {name} (not installed here)"
    placeholders = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _PLACEHOLDER_TEXT.search(node.value) and node.value.startswith("0x"):
                placeholders.append(repr(node.value))
            if node.value in MAINNET_MARKETS:
                return "not-runnable", f"trades the mainnet market {node.value!r}"
        if isinstance(node, ast.Call):
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                if isinstance(arg, ast.Constant) and arg.value is Ellipsis:
                    placeholders.append("... as an argument")
        if (isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Constant)
                and node.value.value is Ellipsis):
            placeholders.append("... as a value")
        if (isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ"
                and not (isinstance(node.slice, ast.Constant)
                         and node.slice.value in DOCS_ENVIRONMENT)):
            return "not-runnable", f"needs the environment variable {ast.unparse(node.slice)}"
    if placeholders:
        shown = ", ".join(sorted(set(placeholders)))
        return "not-runnable", f"placeholders for the reader: {shown}"
    bound, loaded = _bound_and_loaded(tree)
    free = loaded - bound - carried - set(dir(builtins))
    unknown = sorted(free - CONTEXT_NAMES)
    if unknown:
        return "not-runnable", "uses names the page leaves to the reader: " + ", ".join(unknown)
    top_calls = [ast.unparse(n.value) for n in tree.body if isinstance(n, ast.Expr)]
    if any(c.startswith("asyncio.run(") for c in top_calls):
        return "program", "a complete program (asyncio.run)"
    has_top_await = any(isinstance(n, (ast.Await, ast.AsyncFor, ast.AsyncWith))
                        for stmt in tree.body for n in _top_level_nodes(stmt))
    loops = [n for n in tree.body if isinstance(n, ast.While)] + [
        n for n in tree.body if isinstance(n, ast.AsyncFor)]
    streams = any(s in block.code for s in _STREAMS)
    if loops or (streams and has_top_await):
        what = "streams" if streams else "loops"
        return "bounded", f"{what} forever: run for a bounded time with activity on the account"
    if not has_top_await and not (free & CONTEXT_NAMES):
        return "definition", "defines or imports only (run: the names must exist)"
    return "snippet", "runs with a client, funded account and session" if free else "runs as is"


def _top_level_nodes(stmt: ast.stmt) -> Iterator[ast.AST]:
    """Nodes of a statement outside nested function/class bodies."""
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                      ast.Lambda)):
                stack.append(child)


def classified_blocks(root: Path) -> list[DocBlock]:
    """Every block of :func:`docs_pages`, classified; each carries its page's earlier imports."""
    out = []
    for page in docs_pages(root):
        carried_src: list[str] = []
        carried_names: set[str] = set()
        for block in doc_blocks(page.read_text(), str(page.relative_to(root / "docs"))):
            block.carried_imports = list(carried_src)
            block.kind, block.reason = classify(block, carried_names)
            out.append(block)
            if block.kind == "text":
                continue
            with contextlib.suppress(SyntaxError):
                for imp in _imports_of(ast.parse(block.code)):
                    carried_src.append(ast.unparse(imp))
                    carried_names |= {a.asname or a.name.split(".")[0] for a in imp.names}
    return out


def rewrite_block(block: DocBlock) -> DocBlock:
    """The block with its (and its carried) imports rewritten to ``o2_core``."""
    if block.kind in ("text", "not-runnable"):
        return block
    return dataclasses.replace(
        block,
        code=rewrite_imports(block.code),
        carried_imports=[rewrite_imports(c) for c in block.carried_imports],
    )


# --- the local exchange ----------------------------------------------------------------


def sim_config(seed: int = 11, *, min_order: int | None = None) -> Any:
    """The local exchange configured like testnet as the official material expects it.

    ``default_config`` (fFUEL/fUSDC and fETH/fUSDC; 1 fUSDC ``min_order``; faucet with a
    60 s cooldown), with depth updates as signed deltas (PROTOCOL.md §6, o2-sdk 0.5.0's
    ``DepthBook``) and no whitelist requirement (o2-sdk 0.5.0's TESTNET config says
    ``whitelist_required=False``; the official tests whitelist explicitly anyway).
    ``min_order`` (chain units of fUSDC) replaces every market's minimum order.
    """
    from o2_core.sim import default_config

    config = default_config(seed, require_whitelist=False, faucet_cooldown=60.0)
    config.depth_updates = "delta"
    if min_order is not None:
        config.markets = [dataclasses.replace(m, min_order=min_order) for m in config.markets]
    return config


@contextlib.contextmanager
def sim_server(seed: int = 11, *, min_order: int | None = None) -> Iterator[Any]:
    """A loopback ``o2-sim`` for one run."""
    from o2_sim_server import SimServer

    with SimServer(port=0, config=sim_config(seed, min_order=min_order)) as server:
        yield server


@contextlib.contextmanager
def bridge_server(seed: int = 5) -> Iterator[tuple[Any, Any]]:
    """The local Fast Bridge (``BridgeSim``, wall clock) on loopback, and the simulator."""
    from o2_core.sim import Outcome
    from o2_core.sim.bridge import BridgeSim
    from o2_sim_server import SimServer

    sim = BridgeSim(time.time, seed=seed)

    class _Bridge:  # what SimServer asks of an exchange, for HTTP only
        def process(self, request: Any) -> Any:
            return Outcome(sim.process(request))

    with SimServer(exchange=_Bridge(), port=0) as server:  # type: ignore[arg-type]
        yield server, sim


def sim_env(server: Any, sdk: str, **extra: str) -> dict[str, str]:
    """The environment of a child process exercising ``sdk`` against ``server``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO), str(TOOLS), *filter(None, [env.get("PYTHONPATH")])]
    )
    env["O2_COMPAT_SDK"] = sdk
    env["O2_COMPAT_SIM"] = json.dumps(
        {"api_base": server.api_base, "ws_url": server.ws_url, "faucet_url": server.faucet_url}
    )
    env.update(extra)
    return env


# --- the market around the official code: a counterparty on the official SDK ----------


class Counterparty:
    """Another trader on the local exchange, driven by the official o2-sdk 0.5.0.

    It stays independent of ``o2_core`` (the code under test) on purpose.
    """

    def __init__(self, server: Any, pair: str = "fFUEL/fUSDC") -> None:
        import o2_sdk  # type: ignore[import-untyped]

        self._sdk = o2_sdk
        self.server = server
        self.pair = pair
        self.config = o2_sdk.NetworkConfig(
            api_base=server.api_base, ws_url=server.ws_url, fuel_rpc="",
            faucet_url=server.faucet_url,
        )
        self.key = "0x" + o2_sdk.generate_wallet().private_key.hex()
        self.trade_account_id = ""

    async def _client(self) -> tuple[Any, Any]:
        client = self._sdk.O2Client(custom_config=self.config)
        owner = client.load_wallet(self.key)
        account = await client.setup_account(owner)
        self.trade_account_id = str(account.trade_account_id)
        await client.create_session(owner=owner, markets=[self.pair], expiry_days=1)
        return client, owner

    def open_account(self) -> str:
        """Create this trader's account (funded by the faucet); returns its owner key."""

        async def run() -> None:
            client = self._sdk.O2Client(custom_config=self.config)
            try:
                account = await client.setup_account(client.load_wallet(self.key))
                self.trade_account_id = str(account.trade_account_id)
            finally:
                await client.close()

        asyncio.run(run())
        return self.key

    def orders(self, *orders: tuple[str, str, str, str]) -> None:
        """Place ``(side, price, quantity, order type)`` orders: ("sell", "0.025", "9", "Spot")."""

        async def run() -> None:
            client, _ = await self._client()
            try:
                for side, price, quantity, kind in orders:
                    await client.create_order(
                        self.pair,
                        self._sdk.OrderSide.BUY if side == "buy" else self._sdk.OrderSide.SELL,
                        price, quantity, order_type=self._sdk.OrderType(kind),
                    )
            finally:
                await client.close()

        asyncio.run(run())


def activity(server: Any, exclude: set[str]) -> dict[str, dict[str, int]]:
    """Per trade account not in ``exclude``: orders placed, open, and trades (maker/taker)."""
    out: dict[str, dict[str, int]] = {}
    with server.locked() as ex:
        for tid, account in ex.accounts.items():
            if tid in exclude:
                continue
            orders = [o for lst in account.orders.values() for o in lst]
            trades = [t for lst in account.trades.values() for t in lst]
            out[tid] = {
                "orders": len(orders),
                "open": sum(1 for o in orders if not o.close),
                "maker_fills": sum(1 for t in trades if t.maker is account),
                "taker_fills": sum(1 for t in trades if t.taker is account),
            }
    return out


# --- 3a. the official integration tests ------------------------------------------------

CONFTEST = '''\
"""Injected by tools/compat.py (not part of o2-sdk): the harness's pytest hooks.

They point the SDK at the local exchange, refuse other network names, run the async
tests on one asyncio loop per module (anyio's pytest plugin) and cap this suite's own
waits. See tools/compat_child.py.
"""

from compat_child import *  # noqa: F403
'''

def prepare_tree(work: Path, sdk: str) -> Path:
    """An extracted (and for ``o2_core`` rewritten) copy of the sdist under ``work``."""
    archive = fetch_sdist()
    raw = work / "sdist"
    if not raw.exists():
        extract(archive, raw)
    root = raw / SDIST_NAME.removesuffix(".tar.gz")
    if sdk == OFFICIAL:
        tree = work / "official"
        if not tree.exists():
            for sub in ("tests", "examples", "docs"):
                shutil.copytree(root / sub, tree / sub)
    else:
        tree = work / "ours"
        if not tree.exists():
            rewrite_tree(root, tree)
    (tree / "tests" / "conftest.py").write_text(CONFTEST)
    return tree


def run_pytest(tree: Path, server: Any | None, sdk: str, paths: list[str], *,
               select: str | None = None, timeout: float = 600.0,
               extra_env: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Run official test files in a child pytest; returns outcome per test node id."""
    results = tree / f".results-{os.getpid()}-{time.monotonic_ns()}.json"
    env = sim_env(server, sdk) if server is not None else _plain_env(sdk)
    env["O2_COMPAT_RESULTS"] = str(results)
    env.update(extra_env or {})
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o",
           "anyio_mode=auto", "-o", "addopts=", "--continue-on-collection-errors",
           "--rootdir", str(tree), "-W",
           "ignore::pytest.PytestUnknownMarkWarning", *paths]
    if select:
        cmd += ["-k", select]
    try:
        done = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        tail = done.stdout[-3000:]
    except subprocess.TimeoutExpired as err:
        tail = f"TIMEOUT after {timeout}s\n" + str(err.stdout or "")[-2000:]
    outcomes = json.loads(results.read_text()) if results.exists() else {}
    results.unlink(missing_ok=True)
    if not outcomes:
        raise RuntimeError(f"the official tests did not run:\n{tail}")
    return outcomes


def _plain_env(sdk: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(TOOLS)])
    env["O2_COMPAT_SDK"] = sdk
    return env


def run_integration(work: Path, sdk: str, *, select: str | None = None,
                    timeout: float = 900.0) -> dict[str, dict[str, Any]]:
    """``tests/test_integration.py`` of the sdist against a fresh loopback o2-sim."""
    tree = prepare_tree(work, sdk)
    with sim_server() as server:
        return run_pytest(tree, server, sdk, ["tests/test_integration.py"], select=select,
                          timeout=timeout)


# --- 3a'. the official ccxt tests ----------------------------------------------------

#: The sdist's ccxt unit tests (no exchange: its client is mocked; ``test_parsers.py``
#: and one test of ``test_errors.py`` read the shared fixtures).
CCXT_UNIT_FILES = ("test_errors.py", "test_exchange.py", "test_parsers.py")
#: Its live tests (testnet, ``O2_INTEGRATION=1``), run against o2-sim here.
CCXT_INTEGRATION_FILE = "test_integration.py"
#: The shared fixtures those tests read from ``<repo>/fixtures/ccxt`` and the sdist does
#: not ship (see tests/compat/fixtures/README.md).
CCXT_FIXTURES = REPO / "tests" / "compat" / "fixtures" / "ccxt"
#: The owners ``tests/ccxt/test_integration.py`` trades as: pre-existing funded accounts,
#: read from ``.integration-wallets.json`` next to ``tests/``.
CCXT_WALLET_ROLES = ("maker", "taker")
#: The local exchange's minimum order for those tests (chain units of fUSDC): 1 fUSDC.
#: They size each order from it (``min_order / price * 1.1`` on the base step), then a
#: taker crosses at one price tick past the maker. At the simulator's default 0.01 fUSDC
#: that is 0.011 fFUEL, which FractionalPrice does not allow at the taker's price: both
#: SDKs submit 0.01 and ``test_bounded_market_and_explicit_fok_limits_on_both_sides``
#: (which expects the amount unchanged) fails with either; from 1 fUSDC the sizes are
#: whole enough and it passes with both.
CCXT_MIN_ORDER = 1_000_000


def prepare_ccxt_tree(work: Path, sdk: str) -> Path:
    """The sdist's ``tests/ccxt`` (for ``o2_core`` rewritten) laid out as in its own
    repository: ``<work>/ccxt/<official|ours>/python/tests/ccxt``, with the shared
    fixtures at ``<work>/ccxt/fixtures/ccxt`` (where ``Path(test).parents[4] /
    "fixtures" / "ccxt"`` looks). Returns the root that holds ``tests/``."""
    tree = prepare_tree(work, sdk)
    base = work / "ccxt"
    root = base / ("official" if sdk == OFFICIAL else "ours") / "python"
    if not root.exists():
        shutil.copytree(tree / "tests" / "ccxt", root / "tests" / "ccxt")
        shutil.copyfile(tree / "tests" / "__init__.py", root / "tests" / "__init__.py")
    (root / "tests" / "conftest.py").write_text(CONFTEST)
    fixtures = base / "fixtures" / "ccxt"
    if not fixtures.exists():
        shutil.copytree(CCXT_FIXTURES, fixtures)
    return root


def run_ccxt_units(work: Path, sdk: str, *, select: str | None = None,
                   timeout: float = 300.0) -> dict[str, dict[str, Any]]:
    """The sdist's ccxt unit tests (:data:`CCXT_UNIT_FILES`); no exchange involved."""
    root = prepare_ccxt_tree(work, sdk)
    return run_pytest(root, None, sdk, [f"tests/ccxt/{name}" for name in CCXT_UNIT_FILES],
                      select=select, timeout=timeout)


def run_ccxt_integration(work: Path, sdk: str, *, select: str | None = None,
                         min_order: int | None = CCXT_MIN_ORDER,
                         timeout: float = 900.0) -> dict[str, dict[str, Any]]:
    """The sdist's ``tests/ccxt/test_integration.py`` against a fresh loopback o2-sim
    (its minimum order :data:`CCXT_MIN_ORDER` unless told; None: the default).

    As on testnet, its maker and taker are existing accounts: they are opened (and
    funded by the faucet) with the official SDK first, and their keys written where
    the tests read them; ``O2_INTEGRATION=1`` enables the file.
    """
    root = prepare_ccxt_tree(work, sdk)
    with sim_server(min_order=min_order) as server:
        wallets = {role: Counterparty(server).open_account() for role in CCXT_WALLET_ROLES}
        (root / ".integration-wallets.json").write_text(json.dumps(wallets, indent=2) + "\n")
        return run_pytest(root, server, sdk, [f"tests/ccxt/{CCXT_INTEGRATION_FILE}"],
                          select=select, timeout=timeout,
                          extra_env={"O2_INTEGRATION": "1"})


# --- 3b. the examples ------------------------------------------------------------------


@dataclasses.dataclass
class ExampleRun:
    """What one example did against the local exchange."""

    name: str
    sdk: str
    exit_code: int | None
    output: str
    activity: dict[str, dict[str, int]]
    checks: dict[str, bool]
    seconds: float

    @property
    def passed(self) -> bool:
        """Every check held."""
        return bool(self.checks) and all(self.checks.values())

    def summary(self) -> str:
        """One line: the failed checks, or what it traded."""
        failed = [k for k, ok in self.checks.items() if not ok]
        mine = self.activity
        orders = sum(a["orders"] for a in mine.values())
        fills = sum(a["maker_fills"] + a["taker_fills"] for a in mine.values())
        head = "ok" if self.passed else "FAILED " + ", ".join(failed)
        return (f"{head} (orders {orders}, fills {fills}, exit {self.exit_code}, "
                f"{self.seconds:.1f}s)")


class _Child:
    """An example running in a child process; output collected as it comes."""

    def __init__(self, cmd: list[str], env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.terminated = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            if self.proc.poll() is not None:
                return predicate()
            time.sleep(0.05)
        return predicate()

    def terminate(self) -> None:
        """SIGTERM, the examples' own shutdown signal (sent once)."""
        if not self.terminated and self.proc.poll() is None:
            self.terminated = True
            self.proc.send_signal(signal.SIGTERM)

    def stop(self, grace: float = 10.0) -> int | None:
        """:meth:`terminate`, then SIGKILL after ``grace``; the exit code (None: killed)."""
        if self.proc.poll() is None:
            self.terminate()
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGUSR1)  # where it hangs, into its output
                time.sleep(1.0)
                self.proc.kill()
                self.proc.wait()
                self._reader.join(2)
                return None
        self._reader.join(2)
        return self.proc.returncode


def run_example(work: Path, sdk: str, name: str, *, min_order: int | None = None,
                timeout: float = 40.0) -> ExampleRun:
    """Drive one official example against a fresh local exchange until it has traded."""
    tree = prepare_tree(work, sdk)
    path = tree / "examples" / f"{name}.py"
    started = time.monotonic()
    with sim_server(min_order=min_order) as server:
        cp = Counterparty(server)
        env = sim_env(server, sdk, O2_COMPAT_CAPS="0.2,1.0")
        cmd = [sys.executable, str(TOOLS / "compat_child.py"), "example", str(path)]
        checks: dict[str, bool] = {}
        exclude: set[str] = set()

        def mine() -> dict[str, dict[str, int]]:
            return activity(server, exclude)

        def fills() -> int:
            return sum(a["maker_fills"] + a["taker_fills"] for a in mine().values())

        if name == "quickstart":
            # A testnet-like book: an ask, so that its price comes from the depth.
            cp.orders(("sell", "0.05", "100", "Spot"))
            exclude.add(cp.trade_account_id)
            child = _Child(cmd, env, tree)
            checks["exits 0"] = child.wait_for(lambda: child.proc.poll() is not None, timeout)
            code = child.stop()
            checks["exits 0"] = code == 0
            checks["placed an order"] = any(a["orders"] for a in mine().values())
            checks["printed Done!"] = "Done!" in child.output
        elif name == "market_maker":
            cp.orders()  # the counterparty's account exists; the maker's book stays empty
            exclude.add(cp.trade_account_id)
            child = _Child(cmd, env, tree)
            checks["quotes both sides"] = child.wait_for(
                lambda: any(a["open"] >= 2 for a in mine().values()), timeout)
            # Hit the maker's bid (about 0.025 * 0.98, 80 fFUEL): the counterparty sells
            # into it (at the bid's price: it is the resting order).
            cp.orders(("sell", "0.024", "80", "Spot"))
            checks["its quote is filled"] = child.wait_for(lambda: fills() > 0, 10)
            placed = sum(a["orders"] for a in mine().values())
            checks["requotes after the fill"] = child.wait_for(
                lambda: sum(a["orders"] for a in mine().values()) >= placed + 2, 15)
            checks["sees the fill on its stream"] = child.wait_for(
                lambda: "closed (filled/cancelled)" in child.output, 10)
            # A third cycle quotes around the mid of its own two quotes (the depth path).
            child.wait_for(lambda: child.output.count("Cycle complete") >= 3
                           or "Cycle error" in child.output, 10)
            checks["three cycles without an error"] = (
                child.output.count("Cycle complete") >= 3 and "Cycle error" not in child.output
                and "Cycle failed" not in child.output)
            code = child.stop()
            checks["stops on SIGTERM"] = code == 0 and "Market maker stopped" in child.output
        elif name == "portfolio":
            from o2_sdk import generate_wallet

            owner_key = "0x" + generate_wallet().private_key.hex()
            env_cmd = [*cmd, "--set", f"PRIVATE_KEY={owner_key}"]
            other = Counterparty(server)
            other.key = owner_key  # the portfolio's own owner, so that it has history
            cp.orders(("sell", "0.025", "1000", "Spot"))
            other.orders(("buy", "0.025", "100", "Spot"), ("buy", "0.015", "100", "PostOnly"))
            exclude.add(cp.trade_account_id)
            child = _Child(env_cmd, env, tree)
            checks["streams"] = child.wait_for(lambda: "Streaming balance updates" in
                                               child.output, timeout)
            time.sleep(0.5)  # its subscriptions are sent right after that line
            other.orders(("buy", "0.025", "80", "Spot"))  # fills against the counterparty
            checks["shows an order update"] = child.wait_for(
                lambda: "Order update:" in child.output, 10)
            checks["shows a balance update"] = child.wait_for(
                lambda: "Balance update:" in child.output, 10)
            checks["listed its open order"] = "@ 15000 qty=" in child.output
            code = child.stop()
            checks["stops on SIGTERM"] = code == 0 and "Portfolio monitor stopped" in child.output
        elif name == "taker_bot":
            cp.orders(("sell", "0.02", "120", "Spot"))
            exclude.add(cp.trade_account_id)
            child = _Child(cmd, env, tree)
            checks["buys the cheap ask"] = child.wait_for(
                lambda: any(a["taker_fills"] for a in mine().values()), timeout)
            checks["logs the execution"] = child.wait_for(
                lambda: "Buy executed!" in child.output, 5)
            child.terminate()
            cp.orders(("sell", "0.05", "40", "Spot"))  # one more depth update ends its loop
            code = child.stop()
            checks["stops on SIGTERM"] = code == 0 and "Taker bot stopped" in child.output
        elif name == "fast_bridge":
            with bridge_server() as (bridge, sim):
                usdc = next(a for a in sim.assets.values() if a.symbol == "USDC")
                env.update(BRIDGE_PROXY_URL=bridge.api_base + "/bridge",
                           BRIDGE_EVM_CHAIN_ID="11155111",
                           BRIDGE_ASSET_ID="0x" + usdc.asset_id.hex(), BRIDGE_AMOUNT="1000000")
                child = _Child(cmd, env, tree)
                child.wait_for(lambda: child.proc.poll() is not None, timeout)
                code = child.stop()
                seen, version = sim.requests_seen, sim.config_version
            checks["exits 0"] = code == 0
            checks["read the six endpoints it shows"] = seen == 6
            checks["printed what the bridge answered"] = version in child.output
        else:
            raise ValueError(name)
        return ExampleRun(name, sdk, code, child.output, mine(), checks,
                          time.monotonic() - started)


# --- 3c. the docs --------------------------------------------------------------------


def run_docs(work: Path, sdk: str, *, timeout: float = 600.0,
             only: set[str] | None = None) -> tuple[list[DocBlock], dict[str, dict[str, Any]]]:
    """Run every runnable docs block with ``sdk`` against a fresh, seeded local exchange."""
    tree = prepare_tree(work, OFFICIAL)  # the docs are read from the untouched copy
    blocks = classified_blocks(tree)
    runnable = [b for b in blocks if b.kind in ("program", "snippet", "bounded", "definition")
                and (only is None or b.id in only)]
    if sdk == OURS:
        runnable = [rewrite_block(b) for b in runnable]
    payload = [dict(dataclasses.asdict(b), id=b.id,
                    kind="snippet" if b.kind == "definition" else b.kind) for b in runnable]
    blocks_file = work / f"docs-{sdk}.json"
    results_file = work / f"docs-{sdk}-results.json"
    blocks_file.write_text(json.dumps(payload, indent=1))
    results_file.unlink(missing_ok=True)
    with sim_server() as server:
        cp = Counterparty(server)
        # A book both ways around the docs' prices (they buy at 0.02 and take up to
        # 0.03), deep enough for every market order of the docs.
        cp.orders(("sell", "0.025", "20000", "Spot"), ("buy", "0.02", "20000", "Spot"))
        from o2_sdk import generate_wallet  # the harness's own keys: the official SDK

        env = sim_env(server, sdk, O2_COMPAT_CAPS="0.25,2.0",
                      O2_PRIVATE_KEY="0x" + generate_wallet().private_key.hex())
        cmd = [sys.executable, str(TOOLS / "compat_child.py"), "docs", str(blocks_file),
               str(results_file)]
        with contextlib.suppress(subprocess.TimeoutExpired):  # results so far are on disk
            subprocess.run(cmd, env=env, cwd=tree, capture_output=True, text=True,
                           timeout=timeout, check=False)
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    return blocks, results


# --- 4. payloads -----------------------------------------------------------------------


def record_payloads(work: Path) -> list[dict[str, Any]]:
    """The payloads the official unit tests decode, recorded with the official SDK."""
    tree = prepare_tree(work, OFFICIAL)
    record = work / "recorded.json"
    record.unlink(missing_ok=True)
    paths = [f"tests/{name}" for name in PAYLOAD_TEST_FILES]
    run_pytest(tree, None, OFFICIAL, paths, extra_env={"O2_COMPAT_RECORD": str(record)})
    seen: set[str] = set()
    unique = []
    for entry in json.loads(record.read_text()):
        if entry["payload"] is None:
            continue
        key = json.dumps([entry["model"], entry["payload"]], sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        unique.append(entry)
    return unique


def write_payloads(entries: list[dict[str, Any]], path: Path = PAYLOADS) -> None:
    """The test data file: generator, sdist hash, and the entries."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "_meta": {
            "generator": "python tools/compat.py --payloads",
            "source": f"o2-sdk {OFFICIAL_VERSION} sdist (sha256 {SDIST_SHA256}), tests/"
                      + ", tests/".join(PAYLOAD_TEST_FILES),
            "how": "every outermost Model.from_dict input while those tests ran with the "
                   "official SDK; caller = the file that called from_dict",
        },
        "payloads": entries,
    }
    path.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")


def plain(value: Any, depth: int = 0) -> Any:
    """A comparable value tree of a decoded model (either SDK)."""
    if depth > 12:
        return "<deep>"
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return str(value)  # Id and other str subclasses compare as their text
    if isinstance(value, enum.Enum):
        return plain(value.value, depth + 1)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, depth + 1) for v in value]
    out = {name: plain(getattr(value, name), depth + 1) for name in _fields(value)}
    for name in _properties(type(value)):
        try:
            out[name] = plain(getattr(value, name), depth + 1)
        except Exception as err:
            out[name] = f"<raises {type(err).__name__}>"
    return out


def _fields(value: Any) -> list[str]:
    if dataclasses.is_dataclass(value):
        return [f.name for f in dataclasses.fields(value)]
    struct_fields = getattr(type(value), "__struct_fields__", None)
    if struct_fields is not None:
        return list(struct_fields)
    return sorted(k for k in vars(value) if not k.startswith("_"))


def _properties(cls: type) -> list[str]:
    """Public properties of a model class (e.g. ``exists``, ``best_bid``, ``success``)."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__.split(".")[0] not in (OFFICIAL, OURS):
            continue
        names |= {n for n, v in vars(klass).items()
                  if isinstance(v, property) and not n.startswith("_")}
    return sorted(names)


#: Our decoder of a wire payload when our model has no ``from_dict``: ``module:function``
#: taking the JSON bytes (default: ``o2_core.models.decode(body, <model>)``).
OUR_DECODERS = {
    "DepthSnapshot": "o2_core.replies:decode_depth",
    "DepthUpdate": "o2_core.frames:decode_frame",
    "OrderUpdate": "o2_core.frames:decode_frame",
    "TradeUpdate": "o2_core.frames:decode_frame",
    "BalanceUpdate": "o2_core.frames:decode_frame",
    "NonceUpdate": "o2_core.frames:decode_frame",
    "MarketTicker": "o2_core.replies:decode_ticker",
}


def decode_with(sdk: str, model: str, payload: Any) -> tuple[str, Any]:
    """Decode ``payload`` as ``model`` with ``sdk``: (how, value).

    ``how`` is ``"from_dict"`` when the model has one; for ``o2_core`` without it, the
    name of our decoder (:data:`OUR_DECODERS`, else ``models.decode``).

    Raises:
        LookupError: the SDK has no such model.
    """
    models = importlib.import_module(f"{sdk}.models")
    cls = getattr(models, model, None)
    if cls is None:
        raise LookupError(f"{sdk}.models has no {model}")
    if hasattr(cls, "from_dict"):
        return "from_dict", cls.from_dict(payload)
    body = json.dumps(payload).encode()
    target = OUR_DECODERS.get(model)
    if target is None:
        return "models.decode", models.decode(body, cls)
    module, _, func = target.partition(":")
    value = getattr(importlib.import_module(module), func)(body)
    if not isinstance(value, cls):
        raise TypeError(f"{target} gave {type(value).__name__}: {value!r:.200}")
    return target.replace(":", "."), value


@dataclasses.dataclass(frozen=True)
class Difference:
    """One field where our decoded value is not the official one.

    ``kind``: ``"int-for-str"`` (the same integer, ours ``int`` where the official model
    keeps the wire text), ``"missing"`` (our value has no such field), ``"value"``.
    """

    path: str
    kind: str
    official: Any
    ours: Any

    def __str__(self) -> str:
        if self.kind == "missing":
            return f"{self.path or '.'}: missing in ours (official {_short(self.official)})"
        return f"{self.path or '.'}: official {_short(self.official)}, ours {_short(self.ours)}"


_MISSING = object()


def differences(official: Any, ours: Any, path: str = "") -> list[Difference]:
    """Field-by-field differences, walking the official value's fields."""
    if isinstance(official, dict):
        if not isinstance(ours, dict):
            return [Difference(path, "value", official, ours)]
        out = []
        for key, value in official.items():
            theirs = ours.get(key, _MISSING)
            if theirs is _MISSING:
                out.append(Difference(f"{path}.{key}", "missing", value, None))
            else:
                out.extend(differences(value, theirs, f"{path}.{key}"))
        return out
    if isinstance(official, list):
        if not isinstance(ours, list) or len(ours) != len(official):
            return [Difference(path, "value", official, ours)]
        out = []
        for i, (a, b) in enumerate(zip(official, ours, strict=True)):
            out.extend(differences(a, b, f"{path}[{i}]"))
        return out
    if official == ours or _same_number(official, ours):
        return []
    if (isinstance(official, str) and isinstance(ours, int) and not isinstance(ours, bool)
            and official.strip().lstrip("-").isdigit() and int(official) == ours):
        return [Difference(path, "int-for-str", official, ours)]
    return [Difference(path, "value", official, ours)]


def _same_number(a: Any, b: Any) -> bool:
    return (isinstance(a, (int, float)) and isinstance(b, (int, float))
            and not isinstance(a, bool) and not isinstance(b, bool) and a == b)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def compare_payload(entry: dict[str, Any]) -> dict[str, Any]:
    """Decode one recorded payload with both SDKs and compare the values.

    ``verdict``: ``equal``; ``same values`` (only int-for-str differences); ``differs``;
    ``raises`` (ours raised); ``missing`` (no such model in ours). ``how``: how ours
    decoded it (``from_dict`` or the decoder used instead).
    """
    model, payload = entry["model"], entry["payload"]
    _, official = decode_with(OFFICIAL, model, payload)
    try:
        how, ours = decode_with(OURS, model, payload)
    except LookupError as err:
        return {"verdict": "missing", "how": "-", "detail": [str(err)], "diffs": []}
    except Exception as err:
        return {"verdict": "raises", "how": "-", "diffs": [],
                "detail": [f"{type(err).__name__}: {err}"[:300]]}
    diffs = differences(plain(official), plain(ours))
    if not diffs:
        verdict = "equal"
    elif all(d.kind == "int-for-str" for d in diffs):
        verdict = "same values"
    else:
        verdict = "differs"
    shown = [d for d in diffs if d.kind != "int-for-str"]
    typed = [d.path for d in diffs if d.kind == "int-for-str"]
    detail = [str(d) for d in shown]
    if typed:
        detail.append("int for str at " + ", ".join(typed))
    return {"verdict": verdict, "how": how, "detail": detail, "diffs": diffs}


def load_payloads(path: Path = PAYLOADS) -> list[dict[str, Any]]:
    """The committed payload entries."""
    return list(json.loads(path.read_text())["payloads"])


# --- report ----------------------------------------------------------------------------


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    fmt = " | ".join(f"{{:{w}}}" for w in widths)
    lines = [fmt.format(*headers), "-+-".join("-" * w for w in widths)]
    lines += [fmt.format(*r) for r in rows]
    return "\n".join(lines)


def _cell(outcome: dict[str, Any] | None, width: int = 150) -> str:
    if outcome is None:
        return "-"
    if outcome["outcome"] == "passed":
        return "passed"
    message = " ".join(str(outcome.get("message", "")).split())
    return f"{outcome['outcome']}: {message[:width]}"


def report(sdks: list[str], only: set[str], out: io.TextIOBase | Any = sys.stdout) -> int:
    """Run the chosen parts with the chosen SDKs and print the tables; returns failures."""
    failures = 0
    with tempfile.TemporaryDirectory(prefix="o2-compat-") as tmp:
        work = Path(tmp)
        if "integration" in only:
            runs = {s: run_integration(work, SDKS[s]) for s in sdks}
            ids = sorted({k for r in runs.values() for k in r})
            rows = []
            for nodeid in ids:
                name = nodeid.split("::", 1)[1]
                rows.append([name, *(_cell(runs[s].get(nodeid)) for s in sdks)])
                failures += sum(1 for s in sdks if (runs[s].get(nodeid) or {})
                                .get("outcome") != "passed")
            print("\n## tests/test_integration.py against o2-sim\n", file=out)
            print(_table(["test", *sdks], rows), file=out)
        if "ccxt" in only:
            for title, runner in (("tests/ccxt unit tests (client mocked)", run_ccxt_units),
                                  (f"tests/ccxt/{CCXT_INTEGRATION_FILE} against o2-sim",
                                   run_ccxt_integration)):
                runs = {s: runner(work, SDKS[s]) for s in sdks}
                ids = sorted({k for r in runs.values() for k in r})
                rows = []
                for nodeid in ids:
                    rows.append([nodeid.removeprefix("tests/ccxt/"),
                                 *(_cell(runs[s].get(nodeid), 110) for s in sdks)])
                    failures += sum(1 for s in sdks if (runs[s].get(nodeid) or {})
                                    .get("outcome") != "passed")
                print(f"\n## {title}\n", file=out)
                print(_table(["test", *sdks], rows), file=out)
        if "examples" in only:
            rows = []
            for name, (example, min_order) in EXAMPLES.items():
                results = [run_example(work, SDKS[s], example, min_order=min_order)
                           for s in sdks]
                failures += sum(1 for r in results if not r.passed)
                rows.append([name, *(r.summary() for r in results)])
                for r in results:
                    if not r.passed:
                        tail = "\n    ".join(r.output.strip().splitlines()[-8:])
                        print(f"# {name} with {r.sdk}: last output\n    {tail}", file=sys.stderr)
            print("\n## examples/ against o2-sim\n", file=out)
            print(_table(["example", *sdks], rows), file=out)
        if "docs" in only:
            runs_docs = {s: run_docs(work, SDKS[s]) for s in sdks}
            blocks = runs_docs[sdks[0]][0]
            rows = []
            for block in blocks:
                if block.kind == "text":
                    continue
                cells = []
                for s in sdks:
                    if block.kind == "not-runnable":
                        cells.append("not run")
                        continue
                    result = runs_docs[s][1].get(block.id)
                    cells.append(_cell(result, 110) if result else "no result")
                    failures += 0 if result and result["outcome"] == "passed" else 1
                rows.append([block.id, block.kind, *cells, block.reason
                             if block.kind == "not-runnable" else ""])
            print("\n## docs code blocks against o2-sim\n", file=out)
            print(_table(["block", "kind", *sdks, "why not run"], rows), file=out)
            for s in sdks:
                context = runs_docs[s][1].get("<context>")
                if context:
                    print(f"docs context with {s}: {_cell(context)}", file=out)
        if "payloads" in only:
            rows = []
            for entry in load_payloads():
                result = compare_payload(entry)
                failures += 0 if result["verdict"] == "equal" and result["how"] == "from_dict" \
                    else 1
                rows.append([entry["model"], entry["test"].split("::")[-1][:44],
                             result["how"], result["verdict"], "; ".join(result["detail"])[:170]])
            print("\n## recorded payloads: o2_core vs o2_sdk\n", file=out)
            print(_table(["model", "recorded in", "ours by", "verdict", "differences"], rows),
                  file=out)
    return failures


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="compat", description=__doc__.splitlines()[0])
    parser.add_argument("--fetch", action="store_true", help="fetch/verify the sdist")
    parser.add_argument("--report", action="store_true", help="run and print the tables")
    parser.add_argument("--payloads", action="store_true",
                        help=f"regenerate {PAYLOADS.relative_to(REPO)}")
    parser.add_argument("--sdk", choices=["both", "official", "ours"], default="both")
    parser.add_argument("--only", default="integration,ccxt,examples,docs,payloads")
    args = parser.parse_args(argv)
    if args.fetch:
        print(fetch_sdist())
    if args.payloads:
        with tempfile.TemporaryDirectory(prefix="o2-compat-") as tmp:
            entries = record_payloads(Path(tmp))
        write_payloads(entries)
        print(f"{len(entries)} payloads -> {PAYLOADS.relative_to(REPO)}")
    if args.report:
        sdks = ["official", "ours"] if args.sdk == "both" else [args.sdk]
        failures = report(sdks, set(args.only.split(",")))
        print(f"\n{failures} failing")
    if not (args.fetch or args.payloads or args.report):
        parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
