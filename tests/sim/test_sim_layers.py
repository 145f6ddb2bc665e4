"""The simulator is layered one way, and its engine knows nothing of JSON or HTTP.

Checked on the source: every module of ``o2_core/sim`` imports only modules of lower
layers (so there is no cycle), never under ``TYPE_CHECKING``; the engine's layers import
no JSON library, no HTTP module and no URL parser; no module of the core is used through
a private name; no module reaches 700 lines. The Fast Bridge's simulator
(``o2_core/sim/bridge/``, a package) is held to the same rules on its own layers, and it
and the exchange's modules import nothing of each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[2] / "o2_core" / "sim"

#: Lowest first; a module may import modules of lower layers only.
LAYERS: list[set[str]] = [
    {"config", "errors", "reverts", "commands"},
    {"nonces"},
    {"state"},
    {"trading", "audit", "history", "auth", "summaries"},
    {"chain"},
    {"owner", "batches"},
    {"engine"},
    {"requests", "views", "faults"},
    {"rest", "ws"},
    {"exchange"},
    {"__init__"},
]
LAYER_OF = {name: index for index, layer in enumerate(LAYERS) for name in layer}
#: Simulators of other services that live beside the exchange (the Fast Bridge's, a
#: package): they import none of the exchange's modules and none of those imports them.
SEPARATE = {"bridge"}
ENGINE = {name for layer in LAYERS[:7] for name in layer}
#: What the engine must not know about.
WIRE_MODULES = {"msgspec", "json", "urllib", "http"}
SOURCES = sorted(SIM.glob("*.py"))
BRIDGE = SIM / "bridge"
BRIDGE_SOURCES = sorted(BRIDGE.glob("*.py"))
#: The Fast Bridge simulator's own layers, lowest first.
BRIDGE_LAYERS: list[set[str]] = [
    {"model"},
    {"base"},
    {"deposits", "withdrawals"},
    {"routing"},
    {"__init__"},
]
BRIDGE_LAYER_OF = {name: index for index, layer in enumerate(BRIDGE_LAYERS) for name in layer}


def imports(path: Path, depth: int = 1) -> tuple[set[str], set[str], list[str]]:
    """(sim modules, other module roots, private core names) that ``path`` imports.

    ``depth`` is how deep below ``o2_core`` the file's package is: 1 for ``o2_core.sim``,
    2 for ``o2_core.sim.bridge`` (whose ``from ..`` imports are exchange modules; those
    are reported as ``"sim:<name>"`` among the other roots).
    """
    sim: set[str] = set()
    other: set[str] = set()
    private: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                other.add(alias.name.split(".")[0])
                if alias.name.startswith("o2_core."):
                    private += [p for p in alias.name.split(".") if p.startswith("_")]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1:
                sim.update([module.split(".")[0]] if module else [a.name for a in node.names])
            elif depth == 2 and node.level == 2:
                names = [module.split(".")[0]] if module else [a.name for a in node.names]
                other.update(f"sim:{name}" for name in names)
            elif node.level == depth + 1 and not module:
                other.update(alias.name for alias in node.names)
                private += [a.name for a in node.names if a.name.startswith("_")]
            elif node.level == depth + 1 or module.startswith("o2_core"):
                parts = module.split(".")
                other.update(parts[1:2] if module.startswith("o2_core") else parts[:1])
                private += [p for p in parts if p.startswith("_")]
                private += [a.name for a in node.names if a.name.startswith("_")]
            else:
                other.add(module.split(".")[0])
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("m", "models", "enc", "crypto", "act"):
                private.append(f"{base.id}.{node.attr}")
    return sim, other, private


def test_every_module_has_a_layer() -> None:
    assert {p.stem for p in SOURCES} == set(LAYER_OF)
    assert {p.stem for p in BRIDGE_SOURCES} == set(BRIDGE_LAYER_OF)


def test_separate_simulators_stay_apart() -> None:
    for path in SOURCES:
        assert not imports(path)[0] & SEPARATE, f"sim/{path.name} imports {SEPARATE}"
    for path in BRIDGE_SOURCES:
        exchange = {name for name in imports(path, depth=2)[1] if name.startswith("sim:")}
        assert not exchange, f"sim/bridge/{path.name} imports the exchange's {exchange}"


@pytest.mark.parametrize("path", BRIDGE_SOURCES, ids=[p.stem for p in BRIDGE_SOURCES])
def test_the_bridge_simulator_is_layered(path: Path) -> None:
    sim, _, private = imports(path, depth=2)
    layer = BRIDGE_LAYER_OF[path.stem]
    upward = {name for name in sim if BRIDGE_LAYER_OF[name] >= layer}
    assert not upward, f"sim/bridge/{path.name} imports {sorted(upward)} of a higher layer"
    assert "TYPE_CHECKING" not in path.read_text()
    assert len(path.read_text().splitlines()) < 700
    # the one private core name it uses: the bridge models' own decode hook
    assert set(private) <= {"models._dec_hook"}, private


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_imports_go_down_only(path: Path) -> None:
    sim, _, _ = imports(path)
    layer = LAYER_OF[path.stem]
    upward = {name for name in sim - SEPARATE if LAYER_OF[name] >= layer}
    assert not upward, f"sim/{path.name} imports {sorted(upward)} of its own or a higher layer"


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_no_type_checking_imports(path: Path) -> None:
    assert "TYPE_CHECKING" not in path.read_text(), f"sim/{path.name} imports under TYPE_CHECKING"


@pytest.mark.parametrize("path", [p for p in SOURCES if p.stem in ENGINE], ids=lambda p: p.stem)
def test_the_engine_knows_no_json_or_http(path: Path) -> None:
    _, other, _ = imports(path)
    assert not other & WIRE_MODULES, f"sim/{path.name} imports {sorted(other & WIRE_MODULES)}"


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_no_private_core_names(path: Path) -> None:
    _, _, private = imports(path)
    assert not private, f"sim/{path.name} uses private core names {private}"


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_modules_stay_small(path: Path) -> None:
    assert len(path.read_text().splitlines()) < 700


def test_the_checker_sees_bridge_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from .model import X\nfrom ..state import Tx\nfrom ... import crypto\n"
        "from ...bridge import models as m\nfrom .. import engine\n"
    )
    sim, other, private = imports(sample, depth=2)
    assert sim == {"model"}
    assert {"sim:state", "sim:engine", "crypto", "bridge"} <= other and not private


def test_the_checker_sees_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from . import state, views\nfrom .engine import Engine\nfrom ..models import _x\n"
        "from .. import http, models as m\nimport msgspec\nm._dec_hook\n"
        "from o2_core._private import y\n"
    )
    sim, other, private = imports(sample)
    assert sim == {"state", "views", "engine"}
    assert {"msgspec", "models", "http"} <= other
    assert sorted(private) == ["_private", "_x", "m._dec_hook"]
