"""The harness of ``tools/compat.py`` (and its child side), loaded for the compat tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _tool(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def compat() -> ModuleType:
    """``tools/compat.py``."""
    return _tool("compat")


@pytest.fixture(scope="session")
def child() -> ModuleType:
    """``tools/compat_child.py``."""
    return _tool("compat_child")


@pytest.fixture(scope="session")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One scratch directory per test session: the sdist is unpacked and rewritten once."""
    return tmp_path_factory.mktemp("o2-compat")


@pytest.fixture(scope="session")
def sdist_root(compat: ModuleType, work: Path) -> Path:
    """The unpacked official sdist (``o2_sdk-0.5.0/``), fetched or reused from the cache."""
    compat.prepare_tree(work, compat.OFFICIAL)
    return work / "sdist" / "o2_sdk-0.5.0"
