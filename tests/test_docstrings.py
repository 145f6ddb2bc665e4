"""Every public function and method of the documented API has a docstring that says what
it takes, what it gives back and which of our errors it raises.

The API reference (``docs/api/``) is generated from these docstrings, so this test is
what keeps the reference complete. The rules, in Google style (napoleon):

- every public class, function, method and property has a docstring;
- a function or method with parameters (besides ``self``/``cls``) has an ``Args:``
  section naming each of them; a class whose own ``__init__`` takes parameters names them
  in the class docstring's ``Args:``;
- one that returns something has ``Returns:`` (``Yields:`` for an iterator);
- the ``Raises:`` section names only exception classes that exist, and names (or names a
  base of) every one of our errors (``O2Error``, ``UsageError``) the function's own body
  raises.

Properties describe their value in their first line, so they need no ``Returns:``.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import enum
import importlib
import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import msgspec
import pytest

from o2_core import errors

#: The modules whose public names the API reference documents; each is checked for the
#: names it defines itself (a package such as ``o2_core.sim`` for the names in its
#: ``__all__``, wherever they are defined).
MODULES = [
    "o2_core.client",
    "o2_core.client.base",
    "o2_core.client.reads",
    "o2_core.client.trading",
    "o2_core.client.owner",
    "o2_core.client.streams",
    "o2_core.config",
    "o2_core.http",
    "o2_core.replies",
    "o2_core.orders",
    "o2_core.sequencer",
    "o2_core.nonce",
    "o2_core.parallel_nonce",
    "o2_core.nonce_rejections",
    "o2_core.parallel_manager",
    "o2_core.stream",
    "o2_core.stream_driver",
    "o2_core.frames",
    "o2_core.subscriptions",
    "o2_core.book",
    "o2_core.depth",
    "o2_core.markets",
    "o2_core.crypto",
    "o2_core.signatures",
    "o2_core.encoding",
    "o2_core.typed_data",
    "o2_core.policy",
    "o2_core.transport",
    "o2_core.api",
    "o2_core.api_base",
    "o2_core.websocket",
    "o2_core.errors",
    "o2_core.models",
    "o2_core.market_models",
    "o2_core.session",
    "o2_core.identity",
    "o2_core.inputs",
    "o2_core.wire",
    "o2_transport_httpx",
    "o2_transport_aiohttp",
    "o2_transport_memory",
    "o2_core.sim",
    "o2_sim_server",
    "o2_core.bridge",
    "o2_core.bridge.client",
    "o2_core.bridge.protocol",
    "o2_core.bridge.inspection",
    "o2_ccxt",
]

#: Where our own code lives.
OUR_PACKAGES = ("o2_core", "o2_transport_", "o2_sim_server", "o2_ccxt")

#: Packages whose ``__all__`` re-exports names defined in their submodules.
FACADES = frozenset({"o2_core.sim", "o2_core.bridge", "o2_ccxt"})

SECTION = re.compile(r"^(\w[\w ]*):\s*$")


@dataclasses.dataclass(frozen=True)
class Item:
    """One documented callable (or class, or property)."""

    name: str
    obj: Any
    kind: str  # "class", "function", "method", "property"
    owner: type | None = None


def _own_members(cls: type) -> Iterator[tuple[str, Any]]:
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        yield name, value


def _methods_of(cls: type, prefix: str, classes: tuple[type, ...]) -> Iterator[Item]:
    seen: set[str] = set()
    for klass in classes:
        for name, value in _own_members(klass):
            if name in seen:
                continue
            seen.add(name)
            if isinstance(value, property):
                yield Item(f"{prefix}.{name}", value, "property", cls)
            elif isinstance(value, (staticmethod, classmethod)):
                yield Item(f"{prefix}.{name}", value.__func__, "method", cls)
            elif inspect.isfunction(value):
                yield Item(f"{prefix}.{name}", value, "method", cls)


def _public_names(module: ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return list(names)


def _items_of(module_name: str) -> Iterator[Item]:
    module = importlib.import_module(module_name)
    for name in _public_names(module):
        obj = getattr(module, name)
        home = getattr(obj, "__module__", None)
        private_home = str(home).startswith(module_name + "._")
        if module_name not in FACADES and home != module_name and not private_home:
            continue  # documented where it is defined
        if not str(home).startswith(OUR_PACKAGES):
            continue  # re-exported from a dependency (ccxt's exception classes)
        qual = f"{module_name}.{name}"
        if inspect.isclass(obj):
            yield Item(qual, obj, "class")
            if issubclass(obj, BaseException) or issubclass(obj, enum.Enum):
                continue
            # a class assembled from parts (O2Client, O2CCXT): every part of ours counts
            classes = tuple(k for k in obj.__mro__ if k.__module__.startswith(OUR_PACKAGES))
            yield from _methods_of(obj, qual, classes)
        elif inspect.isfunction(obj):
            yield Item(qual, obj, "function")


def all_items() -> list[Item]:
    """Every documented item, once (a class reached from two modules counts once)."""
    items: dict[int, Item] = {}
    for module_name in MODULES:
        for item in _items_of(module_name):
            items.setdefault(id(item.obj) ^ hash(item.name.rsplit(".", 1)[-1]), item)
    return sorted(items.values(), key=lambda i: i.name)


def sections(doc: str) -> dict[str, str]:
    """A Google-style docstring's sections by title (``Args``, ``Returns`` ...)."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in doc.splitlines():
        match = SECTION.match(line)
        if match and not line.startswith(" "):
            current = found.setdefault(match.group(1), [])
        elif current is not None:
            if line and not line.startswith(" "):
                current = None
            else:
                current.append(line)
    return {title: textwrap.dedent("\n".join(lines)) for title, lines in found.items()}


def entries(section: str) -> list[str]:
    """The names an ``Args:``/``Raises:`` section lists (its unindented lines)."""
    names = []
    for line in section.splitlines():
        if line and not line.startswith(" "):
            head = line.split(":", 1)[0].strip()
            head = head.split(" (", 1)[0]  # "name (type)"
            names.extend(part.strip() for part in head.split(","))
    return names


def parameters(func: Callable[..., Any]) -> list[str]:
    """The parameters a caller passes (``*args`` as ``*args``)."""
    names = []
    for p in inspect.signature(func).parameters.values():
        if p.name in ("self", "cls"):
            continue
        if p.kind is p.VAR_POSITIONAL:
            names.append(f"*{p.name}")
        elif p.kind is p.VAR_KEYWORD:
            names.append(f"**{p.name}")
        else:
            names.append(p.name)
    return names


def _returns_value(func: Callable[..., Any]) -> tuple[bool, bool]:
    """(returns something, is an iterator) from the return annotation."""
    annotation = inspect.signature(func, eval_str=False).return_annotation
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    text = str(text)
    iterator = bool(re.match(r"(Async)?(Iterator|Generator|Iterable)\b", text))
    iterator = iterator or inspect.isasyncgenfunction(func) or inspect.isgeneratorfunction(func)
    if annotation is inspect.Signature.empty:
        # no annotation: something is returned if the body says ``return <value>``
        return _has_return_value(func), iterator
    return text not in ("None", "NoReturn", "Never"), iterator


def _has_return_value(func: Callable[..., Any]) -> bool:
    tree = _tree(func)
    if tree is None:
        return False
    return any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(tree))


def _tree(func: Callable[..., Any]) -> ast.AST | None:
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return None
    return ast.parse(source)


#: The roots of our own exceptions: failures (O2Error) and misuse (UsageError).
OUR_ERRORS = (errors.O2Error, errors.UsageError)


def raised_o2_errors(func: Callable[..., Any]) -> set[type[Exception]]:
    """Our exception classes that ``raise X(...)`` statements in ``func``'s body name."""
    tree = _tree(func)
    if tree is None:
        return set()
    namespace = dict(vars(builtins))
    namespace.update(vars(inspect.getmodule(func)))
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Raise) or node.exc is None:
            continue
        target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        cls = _lookup(target, namespace)
        if isinstance(cls, type) and issubclass(cls, OUR_ERRORS):
            found.add(cls)
    return found


def _lookup(node: ast.AST, namespace: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _lookup(node.value, namespace)
        return getattr(base, node.attr, None)
    return None


def exception_class(name: str, func: Callable[..., Any]) -> type[BaseException] | None:
    """The exception class a Raises entry names (short, or dotted from a module), if it
    exists."""
    name = name.lstrip("~")
    obj: Any
    if "." in name:
        module_name, _, attr = name.rpartition(".")
        try:
            obj = getattr(importlib.import_module(module_name), attr, None)
        except ImportError:
            obj = None
    else:
        module = inspect.getmodule(func)
        package = importlib.import_module(str(getattr(module, "__name__", "")).split(".")[0])
        namespace = dict(vars(builtins))
        namespace.update(vars(errors))
        namespace.update(vars(package))  # o2_ccxt re-exports the ccxt errors it raises
        namespace.update(vars(module))
        obj = namespace.get(name)
    return obj if isinstance(obj, type) and issubclass(obj, BaseException) else None


def _auto_init(cls: type) -> bool:
    return (
        dataclasses.is_dataclass(cls)
        or issubclass(cls, (msgspec.Struct, BaseException, enum.Enum, tuple))
        or getattr(cls, "_is_protocol", False)
    )


def problems(item: Item) -> list[str]:
    """What is wrong with ``item``'s docstring (nothing, when it is complete)."""
    doc = inspect.getdoc(item.obj) if item.kind != "method" else item.obj.__doc__
    doc = inspect.cleandoc(doc) if doc else ""
    if not doc.strip():
        return ["no docstring"]
    found = sections(doc)
    out = []
    if item.kind == "class":
        init = vars(item.obj).get("__init__")
        if inspect.isfunction(init) and not _auto_init(item.obj):
            init_doc = sections(inspect.cleandoc(init.__doc__ or ""))
            listed = entries(found.get("Args", "")) + entries(init_doc.get("Args", ""))
            missing = [p for p in parameters(init) if p not in listed]
            if missing:
                out.append(f"constructor Args: does not name {missing}")
        return out
    if item.kind == "property":
        return out
    func = item.obj
    params = parameters(func)
    if params:
        if "Args" not in found:
            out.append(f"no Args: section (parameters {params})")
        else:
            missing = [p for p in params if p not in entries(found["Args"])]
            if missing:
                out.append(f"Args: does not name {missing}")
    returns, iterator = _returns_value(func)
    if iterator and "Yields" not in found and "Returns" not in found:
        out.append("no Yields: section")
    elif returns and not iterator and "Returns" not in found:
        out.append("no Returns: section")
    documented = []
    for name in entries(found.get("Raises", "")):
        cls = exception_class(name, func)
        if cls is None:
            out.append(f"Raises: names {name!r}, which is not an exception class")
        else:
            documented.append(cls)
    for cls in sorted(raised_o2_errors(func), key=lambda c: c.__name__):
        if not any(issubclass(cls, d) for d in documented):
            out.append(f"raises {cls.__name__}, which Raises: does not name")
    return out


ITEMS = all_items()


def test_the_walk_reaches_the_whole_api() -> None:
    names = {item.name for item in ITEMS}
    expected = {
        "o2_core.client.O2Client.create_order",  # reached through the mixins
        "o2_core.client.O2Client.stream_depth",
        "o2_core.client.O2Client.withdraw_parallel",
        "o2_core.http.get_depth",
        "o2_core.transport.Transport.request",
        "o2_transport_memory.local_exchange",
        "o2_core.sim.Exchange",
        "o2_ccxt.O2CCXT.create_order",  # reached through the ccxt adapter's parts
    }
    assert expected <= names
    assert len(ITEMS) > 300


@pytest.mark.parametrize("item", ITEMS, ids=[item.name for item in ITEMS])
def test_docstring_is_complete(item: Item) -> None:
    found = problems(item)
    assert not found, f"{item.name}: " + "; ".join(found)


def test_the_checker_catches_what_it_should() -> None:
    def undocumented(x: int) -> int:
        return x

    def no_args(x: int) -> None:
        """Do a thing."""

    def hidden_raise(x: int) -> None:
        """Do a thing.

        Args:
            x: a number.
        """
        raise errors.InvalidInput("x")

    def wrong_raise() -> None:
        """Do a thing.

        Raises:
            NoSuchError: never.
        """

    def fine(x: int, *rest: int, **kw: str) -> int:
        """Add.

        Args:
            x: the first.
            *rest: the others.
            **kw: ignored.

        Returns:
            The sum.

        Raises:
            O2Error: never, but any of ours is covered.
        """
        if x < 0:
            raise errors.InvalidInput("negative")
        return x + sum(rest)

    def check(func: Callable[..., Any]) -> list[str]:
        return problems(Item(func.__name__, func, "function"))

    assert check(undocumented) == ["no docstring"]
    assert check(no_args) == ["no Args: section (parameters ['x'])"]
    assert check(hidden_raise) == ["raises InvalidInput, which Raises: does not name"]
    assert check(wrong_raise) == ["Raises: names 'NoSuchError', which is not an exception class"]
    assert check(fine) == []
