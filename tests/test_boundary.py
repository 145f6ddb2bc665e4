"""The sans-I/O boundary of DESIGN.md, enforced on the source and on a fresh import."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "o2_core"
IO_MODULES = frozenset(
    {"asyncio", "trio", "anyio", "socket", "ssl", "httpx", "websockets", "aiohttp", "requests",
     "urllib3"}
)
#: The async shell: the modules that await a Transport (or consumers) may use anyio, and
#: nothing else from the list.
ASYNC_SHELL = (
    "client/__init__.py",
    "client/base.py",
    "client/reads.py",
    "client/trading.py",
    "client/owner.py",
    "client/streams.py",
    "api.py",
    "api_base.py",
    "sequencer.py",
    "stream_driver.py",
    "websocket.py",
    "bridge/client.py",
)
ALLOWED = {name: frozenset({"anyio"}) for name in ASYNC_SHELL}
SOURCES = sorted(PACKAGE.rglob("*.py"))


def imported_roots(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports, anywhere in the file."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Name, ast.Attribute))
            and (getattr(node.func, "id", None) or getattr(node.func, "attr", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            roots.add(node.args[0].value.split(".")[0])
    return roots


def test_sources_are_found() -> None:
    names = {p.relative_to(PACKAGE).as_posix() for p in SOURCES}
    assert {"crypto.py", "encoding.py", "models.py", "http.py", "actions.py", "nonce.py"} <= names


@pytest.mark.parametrize("path", SOURCES, ids=[p.relative_to(PACKAGE).as_posix() for p in SOURCES])
def test_no_io_imports(path: Path) -> None:
    relative = path.relative_to(PACKAGE).as_posix()
    allowed = ALLOWED.get(relative, frozenset())
    forbidden = (imported_roots(path) & IO_MODULES) - allowed
    assert not forbidden, f"o2_core/{relative} imports {sorted(forbidden)}: the core is sans-I/O"


#: Our adapter packages: they import the core, never the reverse.
ADAPTERS = frozenset(
    {"o2_transport_httpx", "o2_transport_aiohttp", "o2_transport_memory", "o2_sim_server",
     "o2_ccxt"}
)
#: Optional dependencies of adapters, never of the core.
ADAPTER_DEPENDENCIES = frozenset({"ccxt"})

#: The one exception: packages of o2_core that are aliases of an adapter, each with what
#: it may import and why. Nothing else in o2_core imports them, and ``import o2_core``
#: does not load them (both checked below).
ALIASES: dict[str, tuple[frozenset[str], str]] = {
    "ccxt": (
        frozenset({"o2_ccxt", "ccxt"}),
        "o2-sdk's import path o2_sdk.ccxt: a bot's `from o2_sdk.ccxt import O2CCXT` must "
        "work with only o2_sdk renamed o2_core, so o2_core.ccxt re-exports the adapter "
        "o2_ccxt (and says which extra to install when ccxt is missing)",
    ),
}


def _alias_of(path: Path) -> str | None:
    first = path.relative_to(PACKAGE).parts[0]
    return first if first in ALIASES else None


@pytest.mark.parametrize("path", SOURCES, ids=[p.relative_to(PACKAGE).as_posix() for p in SOURCES])
def test_the_core_imports_no_adapter(path: Path) -> None:
    alias = _alias_of(path)
    allowed = ALIASES[alias][0] if alias else frozenset()
    adapters = (imported_roots(path) & (ADAPTERS | ADAPTER_DEPENDENCIES)) - allowed
    relative = path.relative_to(PACKAGE).as_posix()
    assert not adapters, f"o2_core/{relative} imports the adapter(s) {sorted(adapters)}"


def test_the_aliases_are_only_aliases() -> None:
    """Each alias package exists, imports nothing of ours but its adapter and the core,
    defines nothing (re-exports only), and no other module of o2_core imports it."""
    for alias, (allowed, why) in ALIASES.items():
        files = sorted((PACKAGE / alias).rglob("*.py"))
        assert files, f"o2_core/{alias} is gone: drop it from ALIASES ({why})"
        for path in files:
            roots = imported_roots(path)
            assert roots & allowed, f"{path.name} of o2_core.{alias} re-exports nothing"
            tree = ast.parse(path.read_text())
            defined = [n.name for n in tree.body if isinstance(
                n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
            assert not defined, f"o2_core/{alias}/{path.name} defines {defined}: alias only"
    for path in SOURCES:
        if _alias_of(path) is None:
            text = path.read_text()
            for alias in ALIASES:
                assert f"o2_core.{alias}" not in text and f"from .{alias}" not in text \
                    and f"from . import {alias}" not in text, (
                        f"o2_core/{path.relative_to(PACKAGE)} refers to o2_core.{alias}")


_BLOCK_CCXT = """
import importlib.abc, json, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname.split('.')[0] == 'ccxt':
            raise ModuleNotFoundError("No module named 'ccxt'", name='ccxt')
        return None
sys.meta_path.insert(0, Block())
"""


def test_the_core_loads_without_ccxt_and_never_loads_it() -> None:
    """Every module of o2_core but the aliases imports with ccxt missing, and none loads
    ccxt or an adapter."""
    modules = sorted(
        ".".join(("o2_core", *p.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(
            ".__init__")
        for p in SOURCES if _alias_of(p) is None
    )
    code = _BLOCK_CCXT + (
        f"import importlib\nfor m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=PACKAGE.parent)
    loaded = {name.split(".")[0] for name in json.loads(out.stdout)}
    assert len(modules) > 50 and "o2_core" in loaded
    assert not loaded & (ADAPTERS | ADAPTER_DEPENDENCIES)
    assert not any(name.startswith("o2_core.ccxt") for name in json.loads(out.stdout))


def test_the_ccxt_alias_without_ccxt_names_the_extra() -> None:
    code = _BLOCK_CCXT + (
        "try:\n    import o2_core.ccxt.parsers\nexcept ImportError as err:\n"
        "    print(json.dumps([type(err).__name__, str(err), err.name]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=PACKAGE.parent)
    kind, message, name = json.loads(out.stdout)
    assert kind == "ImportError" and name == "ccxt"
    assert "pip install 'o2-sansio[ccxt]'" in message
    extras = (PACKAGE.parent / "pyproject.toml").read_text()
    assert '\nccxt = ["ccxt' in extras  # the extra the message names exists


def test_the_checker_sees_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nimport asyncio.events\nfrom httpx import AsyncClient\n"
        "def f():\n    import socket\n    return importlib.import_module('ssl')\n"
        "from . import sibling\n"
    )
    assert imported_roots(sample) == {"os", "asyncio", "httpx", "socket", "ssl"}


def test_importing_the_core_pulls_in_no_network_library() -> None:
    code = (
        "import json, sys; import o2_core, o2_core.crypto, o2_core.encoding, o2_core.models, "
        "o2_core.http, o2_core.actions, o2_core.nonce, o2_core.errors, o2_core.markets; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=PACKAGE.parent,
    )
    loaded = {name.split(".")[0] for name in json.loads(out.stdout)}
    assert "o2_core" in loaded
    pulled = loaded & {"httpx", "aiohttp", "websockets", "trio", "requests", "urllib3"}
    assert not pulled, f"import o2_core loads {sorted(pulled)}"


#: Modules whose import means reading the wall clock (time is a parameter in the core).
CLOCK_MODULES = frozenset({"time", "datetime"})


@pytest.mark.parametrize("path", SOURCES, ids=[p.relative_to(PACKAGE).as_posix() for p in SOURCES])
def test_the_pure_core_never_reads_the_clock(path: Path) -> None:
    relative = path.relative_to(PACKAGE).as_posix()
    if relative in ASYNC_SHELL:  # the I/O shell: it owns the clock and passes time down
        return
    clocks = imported_roots(path) & CLOCK_MODULES
    assert not clocks, f"o2_core/{relative} imports {sorted(clocks)}: pass the time in instead"


# --- the shape of the whole house -------------------------------------------------------

REPO = PACKAGE.parent
#: Our top-level packages (the simulator is a namespace of the core: o2_core.sim).
OUR_PACKAGES = sorted(
    p.name for p in REPO.iterdir() if p.is_dir() and p.name.startswith("o2_")
    and (p / "__init__.py").exists()
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports_of(path: Path) -> set[str]:
    """The modules of ours that ``path`` imports, anywhere in the file (TYPE_CHECKING and
    function-level imports included), resolved to module names."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            module = node.module or ""
            root = f"{base}.{module}".strip(".") if node.level else module
            targets = [root] + [f"{root}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t.split(".")[0] in OUR_PACKAGES)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {
        _module_name(p): p
        for package in OUR_PACKAGES
        for p in (REPO / package).rglob("*.py")
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = set()
        for target in _imports_of(path):
            while target and target not in modules:  # "pkg.mod.Name" -> "pkg.mod"
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                edges.add(target)  # a module importing its own package's __init__ aside
        graph[name] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def test_our_packages_are_found() -> None:
    assert {"o2_core", "o2_transport_httpx", "o2_transport_aiohttp", "o2_transport_memory",
            "o2_sim_server"} <= set(OUR_PACKAGES)


def test_no_import_cycle_among_our_modules() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_two_classes_share_a_name_outside_the_simulator() -> None:
    """A class name means one thing; the simulator's own namespace (``o2_core.sim``) and
    the Fast Bridge's (``o2_core.bridge``) may reuse names of the exchange's models."""
    owners: dict[str, list[str]] = {}
    for package in OUR_PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            module = _module_name(path)
            if module.startswith(("o2_core.sim", "o2_core.bridge")):
                continue
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    owners.setdefault(node.name, []).append(module)
    shared = {name: mods for name, mods in owners.items() if len(mods) > 1}
    # the transport packages' O2Client subclasses share its name on purpose: a bot
    # changes only its import line to pick a transport
    assert sorted(shared.pop("O2Client")) == [
        "o2_core.client", "o2_transport_aiohttp", "o2_transport_httpx"]
    assert shared == {}


#: The most lines a module of ours may have: past that, a module holds more than one idea.
MAX_LINES = 700


def test_no_module_is_over_the_size_limit() -> None:
    sizes = {
        _module_name(p): len(p.read_text().splitlines())
        for package in OUR_PACKAGES
        for p in (REPO / package).rglob("*.py")
    }
    assert len(sizes) > 50
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
