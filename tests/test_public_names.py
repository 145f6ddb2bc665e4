"""Every public name of o2-sdk 0.5.0 resolves under o2_core.

The names are computed from the installed official package, not listed by hand: each
module's top-level definitions (functions, classes, assigned names, also under a
top-level ``if``/``try``), plus ``__all__`` where a module has one (the package and
``o2_sdk.bridge`` re-export that way). A name an official module merely imports (typing
helpers, aiohttp, its own siblings' names) is not one of its definitions, so it is not
asked for. ``from o2_sdk.x import y`` becomes ``from o2_core.x import y``: each name must
resolve on the module of the same path.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path
from types import ModuleType

import pytest

o2_sdk = pytest.importorskip("o2_sdk")
OFFICIAL_ROOT = Path(inspect.getfile(o2_sdk)).parent

#: Official subpackages whose counterpart is not an ``o2_core`` module.
OTHER_HOMES = {
    "o2_sdk.ccxt": "our ccxt adapter is the separate package o2_ccxt (tests/ccxt)",
}

#: Names left out, each with why. Keep it small: everything else must resolve.
EXCLUDED: dict[tuple[str, str], str] = {
    # module logging handles, not API: o2-sdk logs under "o2_sdk.<module>", we log under
    # our module names (a bot configures logging by name, which the import rewrite does
    # not touch anyway)
    **{(module, "logger"): "a module's logging handle" for module in (
        "o2_sdk.api", "o2_sdk.client", "o2_sdk.crypto", "o2_sdk.websocket",
    )},
}


def _defined(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    body = list(tree.body)
    while body:
        node = body.pop(0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.If):
            body += node.body + node.orelse
        elif isinstance(node, ast.Try):
            body += node.body + node.orelse + node.finalbody
            for handler in node.handlers:
                body += handler.body
    return {n for n in names if not n.startswith("_")}


def official_modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(OFFICIAL_ROOT.rglob("*.py")):
        parts = path.relative_to(OFFICIAL_ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if not any(name == home or name.startswith(home + ".") for home in OTHER_HOMES):
            modules[name] = path
    return modules


MODULES = official_modules()


def public_names(module: str) -> set[str]:
    """What ``module`` defines, and its ``__all__``."""
    names = _defined(ast.parse(MODULES[module].read_text()))
    official: ModuleType = importlib.import_module(module)
    return names | set(getattr(official, "__all__", ()))


def test_the_official_package_is_the_one_we_promise() -> None:
    from importlib.metadata import version

    assert version("o2-sdk") == "0.5.0"
    assert {"o2_sdk", "o2_sdk.api", "o2_sdk.client", "o2_sdk.crypto", "o2_sdk.encoding",
            "o2_sdk.errors", "o2_sdk.models", "o2_sdk.websocket", "o2_sdk.bridge"} <= set(MODULES)
    assert public_names("o2_sdk") == set(o2_sdk.__all__) and len(o2_sdk.__all__) == 148


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_public_name_resolves_under_o2_core(module: str) -> None:
    ours = importlib.import_module("o2_core" + module.removeprefix("o2_sdk"))
    wanted = {n for n in public_names(module) if (module, n) not in EXCLUDED}
    missing = sorted(n for n in wanted if not hasattr(ours, n))
    assert not missing, f"{ours.__name__} lacks {missing} (defined by {module})"


def test_the_exclusions_are_still_needed_and_official() -> None:
    for (module, name), why in EXCLUDED.items():
        assert name in public_names(module), f"{module}.{name} is not an official name ({why})"
        ours = importlib.import_module("o2_core" + module.removeprefix("o2_sdk"))
        if name != "logger":  # ours may have a logger of its own, which is fine
            assert not hasattr(ours, name), f"o2_core has {module}.{name} now: drop ({why})"
    for (cls, method), why in SIGNATURE_DIFFERENCES.items():
        theirs = list(inspect.signature(getattr(_resolve(cls), method)).parameters)
        ours = list(inspect.signature(getattr(_resolve(_ours(cls)), method)).parameters)
        assert ours[: len(theirs)] != theirs, f"{cls}.{method} matches now: drop ({why})"


#: Official methods of the classes below whose parameters ours does not (yet) share.
SIGNATURE_DIFFERENCES = {
    ("o2_sdk.api.O2Api", "get_orders"): (
        "o2-sdk has an ``account`` parameter between ``contract`` and ``direction`` (and "
        "returns OrdersResponse); ours predates it and its signature is kept as it is"
    ),
}


def _resolve(dotted: str) -> type:
    module, _, name = dotted.rpartition(".")
    cls: type = getattr(importlib.import_module(module), name)
    return cls


def _ours(dotted: str) -> str:
    return "o2_core" + dotted.removeprefix("o2_sdk")


@pytest.mark.parametrize("official", ["o2_sdk.api.O2Api", "o2_sdk.websocket.O2WebSocket"])
def test_the_low_level_classes_have_every_official_method(official: str) -> None:
    """Their public methods too, with the official parameter names, in order (ours may
    add parameters after them)."""
    theirs_cls, ours_cls = _resolve(official), _resolve(_ours(official))
    for name, member in vars(theirs_cls).items():
        if (name.startswith("_") and name != "__init__") or not callable(member):
            continue
        assert hasattr(ours_cls, name), f"{_ours(official)} lacks {name}"
        if (official, name) in SIGNATURE_DIFFERENCES:
            continue
        want = list(inspect.signature(member).parameters)
        got = list(inspect.signature(getattr(ours_cls, name)).parameters)
        assert got[: len(want)] == want, f"{name}{got} vs official {want}"


def test_same_names_mean_the_same_things_at_the_top_level() -> None:
    import o2_core

    assert set(o2_sdk.__all__) <= set(o2_core.__all__)
    for name in o2_sdk.__all__:
        theirs, ours = getattr(o2_sdk, name), getattr(o2_core, name)
        if inspect.isclass(theirs) or inspect.isfunction(theirs):
            assert callable(ours), name
        elif isinstance(theirs, (int, str, bytes)):  # constants: the same values
            assert ours == theirs, name
