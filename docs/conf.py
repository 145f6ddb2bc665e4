"""Sphinx configuration of the o2-sansio documentation site (``make docs``)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from typing import Any

from sphinx.util.nodes import make_refnode

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)

project = "o2-sansio"
author = "o2-sansio contributors"
copyright = "2025, o2-sansio contributors"
release = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
root_doc = "index"

# Autodoc: documented members only, in source order, type hints in the description.
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
# Each module documents what it defines; a package that re-exports its submodules' names
# (o2_core.sim, o2_core.bridge, o2_ccxt) says :no-ignore-module-all: and :imported-members:.
autodoc_default_options = {"members": True, "ignore-module-all": True}

# Google-style docstrings.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

myst_heading_anchors = 3

# Every cross-reference must resolve (``make docs`` runs with -n -W), except names from
# the standard library and third-party packages: the build is offline, so there is no
# intersphinx inventory to resolve them against.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(collections|typing|typing_extensions|decimal|enum|types|abc|datetime"
               r"|contextlib|dataclasses|logging|random|pathlib|re|ssl|socket|asyncio|fractions"
               r"|bisect|threading|os|importlib|argparse|json|hashlib)(\..*)?"),
    (r"py:.*", r"(anyio|msgspec|httpx|aiohttp|websockets|ccxt|trio|coincurve|eth_keys)(\..*)?"),
    (r"py:(class|obj)", r"(.*\.)?[A-Z]"),  # type variables (T, M, W ...)
    (r"py:class", r"Frame|ClientProtocol"),  # websockets' types, in the httpx transport
]

html_theme = "furo"
html_title = "o2-sansio"


# --- short names in docstrings ------------------------------------------------------
# Docstrings name things the way a reader does: ``InvalidInput`` in a Raises section,
# ``SessionInfo`` in a type hint written in a module that imports it. When Sphinx cannot
# resolve such a name where it stands, it is resolved here to the one documented object
# with that last component; of several, the one sharing the longest dotted prefix with
# the name as written, and none if that is a tie. A module that exists but has no page
# of its own (a submodule of the simulator, say) is shown as its name, unlinked.
# Anything else stays a warning, which ``-W`` makes an error.

_index: dict[str, list[str]] = {}
_indexed = -1


def _candidates(domain: Any, last: str) -> list[str]:
    global _index, _indexed
    objects = domain.objects
    if len(objects) != _indexed:
        _index = {}
        for name, obj in objects.items():
            if not obj.aliased:
                _index.setdefault(name.rsplit(".", 1)[-1], []).append(name)
        _indexed = len(objects)
    return _index.get(last, [])


def _shared_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("."), b.split("."), strict=False):
        if x != y:
            break
        n += 1
    return n


def _is_module(target: str, context: str) -> bool:
    """``target`` names an importable module, relative to ``context`` or absolutely."""
    parts = context.split(".") if context else []
    tries = [".".join([*parts[:i], target]) for i in range(len(parts), -1, -1)]
    for name in tries:
        with contextlib.suppress(ImportError, ValueError):
            if importlib.util.find_spec(name) is not None:
                return True
    return False


def _is_external(target: str, context: str) -> bool:
    """``target``, looked up where it is written, is a dependency's object (ccxt's
    exceptions in the ccxt adapter, say): shown as its name, like every name from outside
    (see ``nitpick_ignore_regex``)."""
    module = sys.modules.get(context)
    obj: Any = module
    for part in target.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return False
    home = getattr(obj, "__module__", None) or ""
    return bool(home) and not home.startswith(("o2_core", "o2_transport_", "o2_sim_server",
                                               "o2_ccxt"))


def _resolve_short_name(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "").lstrip(".~")
    if not target:
        return None
    domain = env.get_domain("py")
    names = _candidates(domain, target.rsplit(".", 1)[-1])
    module = node.get("py:module") or ""
    if node.get("reftype") == "mod":
        names = [name for name in names if domain.objects[name].objtype == "module"]
        if not names:
            return contnode if _is_module(target, module) else None
    if not names:
        return contnode if _is_external(target, module) else None
    written = target if "." in target else f"{module}.{target}"
    ranked = sorted(names, key=lambda name: -_shared_prefix(name, written))
    if len(ranked) > 1 and _shared_prefix(ranked[0], written) == _shared_prefix(ranked[1], written):
        return None
    obj = domain.objects[ranked[0]]
    return make_refnode(app.builder, node["refdoc"], obj.docname, obj.node_id, contnode, ranked[0])


def setup(app: Any) -> None:
    app.connect("missing-reference", _resolve_short_name)
