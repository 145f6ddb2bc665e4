"""Sphinx configuration of the o2-sansio documentation site (``make docs``)."""

from __future__ import annotations

import contextlib
import importlib
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
# PYPI.md is the package description on PyPI (see pyproject.toml), not a page of the site.
exclude_patterns = ["_build", "PYPI.md"]
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
# Sphinx before 8 warns that a short name with several documented targets (``O2Client``:
# the core's and each transport's) is ambiguous, where later versions pick the nearest
# one; the ambiguity is not an error here (the floor, sphinx 7.2, must build with -W too).
suppress_warnings = ["ref.python"]
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
# resolve such a name where it stands, it is resolved here: the object it names (looked
# up where it was written) links to where that object is documented; an object without
# a page of its own (a dependency's class, a simulator internal, a private module) is
# shown as its name, unlinked; a name that is not found where it was written links to
# the one documented object with that last component (of several, the one sharing the
# longest dotted prefix). Anything else stays a warning, which ``-W`` makes an error.

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


def _contexts(node: Any) -> list[str]:
    """Where a reference was written: the module it is documented under and, for a
    member of a class re-exported by a package, the module that defines the class."""
    module = node.get("py:module") or ""
    found = [module]
    owner: Any = sys.modules.get(module)
    for part in (node.get("py:class") or "").split("."):
        owner = getattr(owner, part, None) if part else None
    home = getattr(owner, "__module__", None)
    if isinstance(home, str) and home not in found:
        found.append(home)
    return found


_MISSING = object()


def _lookup(target: str, context: str) -> Any:
    """The object ``target`` names, looked up in the module ``context`` or as an absolute
    dotted name; ``_MISSING`` when there is none."""
    parts = target.split(".")

    def walk(obj: Any, rest: list[str]) -> Any:
        for part in rest:
            obj = getattr(obj, part, _MISSING)
            if obj is _MISSING:
                return _MISSING
        return obj

    module = sys.modules.get(context)
    if module is not None:
        found = walk(module, parts)
        if found is not _MISSING:
            return found
    for absolute in ([context, *parts] if context else [], parts):  # relative, then absolute
        for cut in range(len(absolute), 0, -1):
            name = ".".join(absolute[:cut])
            with contextlib.suppress(ImportError, ValueError):
                if importlib.util.find_spec(name) is not None:
                    found = walk(importlib.import_module(name), absolute[cut:])
                    if found is not _MISSING:
                        return found
                    break
    return _MISSING


def _resolve_short_name(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "").lstrip(".~")
    if not target:
        return None
    domain = env.get_domain("py")
    names = _candidates(domain, target.rsplit(".", 1)[-1])
    if node.get("reftype") == "mod":
        names = [name for name in names if domain.objects[name].objtype == "module"]
    contexts = _contexts(node)
    obj = next(
        (o for o in (_lookup(target, c) for c in contexts) if o is not _MISSING), _MISSING
    )
    if obj is not _MISSING:
        # the object is known: link to where it is documented, else show its name
        same = [name for name in names if _lookup(name, "") is obj]
        if len(same) == 1:
            return _refnode(app, domain, node, contnode, same[0])
        return contnode if not same else None
    if not names:
        return None
    written = target if "." in target else f"{contexts[0]}.{target}"
    ranked = sorted(names, key=lambda name: -_shared_prefix(name, written))
    if len(ranked) > 1 and _shared_prefix(ranked[0], written) == _shared_prefix(ranked[1], written):
        return None
    return _refnode(app, domain, node, contnode, ranked[0])


def _refnode(app: Any, domain: Any, node: Any, contnode: Any, name: str) -> Any:
    obj = domain.objects[name]
    return make_refnode(app.builder, node["refdoc"], obj.docname, obj.node_id, contnode, name)


def setup(app: Any) -> None:
    app.connect("missing-reference", _resolve_short_name)
