"""The distribution: one version, the license, the package-index page, py.typed, and
what the built wheel and sdist hold.

The sdist and the wheel are built here from a copy of the source tree with setuptools's
PEP 517 backend (the version ``[build-system]`` asks for: the installed one if it is
recent enough, else one fetched by pip into a scratch directory). A type checker then
reads the wheel as installed, to prove that users' ``mypy --strict`` sees our types.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from o2_core import __version__

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
PACKAGES = sorted(
    p.name for p in REPO.iterdir()
    if p.is_dir() and p.name.startswith("o2_") and (p / "__init__.py").is_file()
)
#: sha256 of the Apache License 2.0 text as the ASF publishes it (LICENSE-2.0.txt).
APACHE_2_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
PYPI_PAGE = REPO / PROJECT["readme"]


def test_the_packages_are_found() -> None:
    assert PACKAGES == ["o2_ccxt", "o2_cli", "o2_core", "o2_sim_server", "o2_transport_aiohttp",
                        "o2_transport_httpx", "o2_transport_memory"]
    include = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    assert include == [f"{name}*" for name in
                       ["o2_core", "o2_transport_httpx", "o2_transport_aiohttp",
                        "o2_transport_memory", "o2_sim_server", "o2_ccxt", "o2_cli"]]


# --- one version --------------------------------------------------------------------------


def test_one_version_written_once() -> None:
    assert PROJECT["dynamic"] == ["version"] and "version" not in PROJECT
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "o2_core._version.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.dev\d+)?", __version__)
    # every other package re-exports o2_core's (o2_sim_server aside: its __init__ is being
    # changed elsewhere; it gets the same line)
    line = "from o2_core import __version__ as __version__\n"
    for name in sorted(set(PACKAGES) - {"o2_core", "o2_sim_server"}):
        assert line in (REPO / name / "__init__.py").read_text(), name
    # and it is what they say (those whose imports need no optional dependency)
    for name in ("o2_cli", "o2_transport_httpx", "o2_transport_memory"):
        assert importlib.import_module(name).__version__ == __version__, name


# --- license, typing, the package-index page ----------------------------------------------


def test_the_license_is_an_spdx_expression_with_its_text() -> None:
    assert PROJECT["license"] == "Apache-2.0"
    assert PROJECT["license-files"] == ["LICENSE"]
    import hashlib

    assert hashlib.sha256((REPO / "LICENSE").read_bytes()).hexdigest() == APACHE_2_SHA256
    assert not [c for c in PROJECT["classifiers"] if c.startswith("License ::")]  # PEP 639


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_is_typed(package: str) -> None:
    assert (REPO / package / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["*"]


def test_the_package_index_page_is_written_for_its_readers() -> None:
    text = PYPI_PAGE.read_text()
    assert PROJECT["readme"] == "docs/PYPI.md"
    assert text.startswith("# o2-sansio\n")
    # a checkout's commands are not a user's
    assert not re.findall(r"\bmake (demo|test|test-min|lint|bench|sim|dist)\b", text)
    # no links that only work inside the repository, no document that is not shipped
    assert not re.findall(r"\]\((?!https?://)", text)
    assert re.findall(r"\b[\w./-]+\.md\b", text) == []
    assert "pip install o2-sansio" in text


PAGE_EXAMPLES = re.findall(r"```python\n(.*?)```", PYPI_PAGE.read_text(), flags=re.S)


@pytest.mark.parametrize("code", PAGE_EXAMPLES,
                         ids=[f"example-{i}" for i in range(len(PAGE_EXAMPLES))])
def test_the_package_index_page_examples_run(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(code, str(PYPI_PAGE), "exec"), {"__name__": "__main__"})
    assert len(PAGE_EXAMPLES) == 3


def test_the_page_shows_the_cli_as_it_prints() -> None:
    import io
    import shlex

    from o2_cli import run

    [block] = re.findall(r"```text\n(.*?)```", PYPI_PAGE.read_text(), flags=re.S)
    command, *expected = block.splitlines()
    argv = shlex.split(command.removeprefix("$ o2 "))
    out = io.StringIO()
    assert run(argv, out, io.StringIO()) == 0
    assert out.getvalue().splitlines() == expected


# --- the built distributions ---------------------------------------------------------------


@dataclass
class Built:
    """A build of a copy of the source tree."""

    tree: Path
    sdist: Path
    wheel: Path
    log: str


def _setuptools_path(scratch: Path) -> str:
    """A PYTHONPATH entry holding the setuptools ``[build-system]`` asks for ('' when the
    installed one will do)."""
    required = PYPROJECT["build-system"]["requires"]
    floor = int(re.fullmatch(r"setuptools>=(\d+)", required[0]).group(1))  # type: ignore[union-attr]
    try:
        installed = int(importlib.metadata.version("setuptools").split(".")[0])
    except importlib.metadata.PackageNotFoundError:
        installed = 0
    if installed >= floor:
        return ""
    target = scratch / "setuptools"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--target", str(target), required[0]],
        check=True, capture_output=True, text=True, timeout=300,
    )
    return str(target)


_IGNORED = shutil.ignore_patterns(
    ".git", "build", "dist", ".venv*", "*.egg-info", "__pycache__", "*.pyc", ".hypothesis",
    ".mypy_cache", ".ruff_cache", ".pytest_cache",
)

_BUILD = """
import sys
import setuptools.build_meta as backend
out = sys.argv[1]  # the backend rewrites sys.argv
print("SDIST", backend.build_sdist(out))
print("WHEEL", backend.build_wheel(out))
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    scratch = tmp_path_factory.mktemp("packaging")
    tree = scratch / "tree"
    shutil.copytree(REPO, tree, ignore=_IGNORED)
    out = scratch / "dist"
    env = {**os.environ, "PYTHONPATH": _setuptools_path(scratch)}
    done = subprocess.run(
        [sys.executable, "-c", _BUILD, str(out)], cwd=tree, env=env, capture_output=True,
        text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    names = dict(line.split(" ", 1) for line in done.stdout.splitlines()
                 if line.startswith(("SDIST ", "WHEEL ")))
    return Built(tree, out / names["SDIST"], out / names["WHEEL"], done.stdout + done.stderr)


def test_the_build_warns_of_nothing_deprecated(built: Built) -> None:
    assert built.sdist.name == f"o2_sansio-{__version__}.tar.gz"
    assert built.wheel.name == f"o2_sansio-{__version__}-py3-none-any.whl"
    # e.g. "WARNING `project.license` as a TOML table is deprecated" (before setuptools 77
    # syntax); setuptools' own use of pkg_resources in some versions is not ours
    deprecated = [line for line in built.log.splitlines()
                  if "deprecat" in line.lower() and "pkg_resources" not in line]
    assert deprecated == [], built.log


def test_the_wheel_holds_the_packages_typed_and_no_tests(built: Built) -> None:
    names = set(zipfile.ZipFile(built.wheel).namelist())
    tops = {name.split("/")[0] for name in names}
    info = f"o2_sansio-{__version__}.dist-info"
    assert tops == {*PACKAGES, info}
    assert {f"{package}/py.typed" for package in PACKAGES} <= names
    assert f"{info}/licenses/LICENSE" in names


def test_the_wheel_metadata(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        info = f"o2_sansio-{__version__}.dist-info"
        metadata = Parser().parsestr(wheel.read(f"{info}/METADATA").decode())
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    assert (metadata["Name"], metadata["Version"]) == ("o2-sansio", __version__)
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["License-File"] == "LICENSE"
    assert metadata["Requires-Python"] == ">=3.10"
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert metadata.get_payload().strip() == PYPI_PAGE.read_text().strip()
    assert set(metadata.get_all("Classifier")) == set(PROJECT["classifiers"])
    requires = metadata.get_all("Requires-Dist")
    assert 'aiohttp>=3.11; extra == "aiohttp"' in requires
    assert 'ccxt<5,>=4.5.81; extra == "ccxt"' in requires
    assert set(metadata.get_all("Provides-Extra")) == {
        "aiohttp", "ccxt", "test", "dev", "bench", "docs"}
    assert "[console_scripts]\no2 = o2_cli.main:main\no2-sim = o2_cli.sim:main\n" in entry_points
    assert ("[o2_core.transports]\naiohttp = o2_transport_aiohttp:AiohttpTransport\n"
            "httpx = o2_transport_httpx:HttpxTransport\n"
            "memory = o2_transport_memory:embedded_transport\n") in entry_points


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_the_sdist_holds_everything_the_suite_reads(built: Built) -> None:
    with tarfile.open(built.sdist) as sdist:
        top = f"o2_sansio-{__version__}/"
        names = {m.name.removeprefix(top) for m in sdist.getmembers() if m.isfile()}
    expected = {
        name for name in _files(built.tree)
        if name.split("/")[0] in {*PACKAGES, "tests", "examples", "tools", "benchmarks", "docs"}
    }
    assert expected and not expected - names
    assert {"README.md", "CHANGELOG.md", "LICENSE", "Makefile", "pyproject.toml",
            "MANIFEST.in", "tests/conftest.py", "tests/data/README.md",
            "examples/quickstart.py"} <= names
    assert not [n for n in names if n.endswith(".pyc") or n.startswith(("build/", ".venv"))]


def test_a_users_type_checker_sees_our_types(built: Built, tmp_path: Path) -> None:
    """The wheel unpacked into a bare venv's site-packages (installed, without its
    dependencies), and ``mypy --strict`` on a user's script in another directory."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    zipfile.ZipFile(built.wheel).extractall(site)
    script = tmp_path / "user" / "bot.py"
    script.parent.mkdir()
    script.write_text(
        "from o2_cli import run\n"
        "from o2_core import Market, Network, O2Client\n"
        "from o2_transport_httpx import O2Client as HttpxClient\n"
        "\n"
        "async def pairs() -> list[str]:\n"
        "    async with O2Client(network=Network.LOCAL) as client:\n"
        "        markets: list[Market] = await client.get_markets()\n"
        "        return [m.pair for m in markets]\n"
        "\n"
        "client: HttpxClient = HttpxClient(network=Network.TESTNET)\n"
        "wrong: int = client.config\n"
        "status: str = run(['markets'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--python-executable", str(python),
         "--cache-dir", str(tmp_path / "cache"), "--no-error-summary", "bot.py"],
        cwd=script.parent, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": "", "MYPYPATH": ""},
    )
    assert done.stdout.splitlines() == [
        'bot.py:11: error: Incompatible types in assignment (expression has type '
        '"NetworkConfig", variable has type "int")  [assignment]',
        'bot.py:12: error: Incompatible types in assignment (expression has type "int", '
        'variable has type "str")  [assignment]',
    ], done.stdout + done.stderr
