"""The documentation site builds without a single warning, and its API reference covers
the client: ``make docs`` checked on every CI run.

The build runs as ``make docs`` does (``sphinx-build -W --keep-going -n``: every warning
an error, every cross-reference checked), in a subprocess, into a temporary directory.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from o2_core.client import O2Client

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: The constructor options of O2Client the reference must describe.
CLIENT_OPTIONS = [
    name for name in inspect.signature(O2Client.__init__).parameters if name != "self"
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once for this module; the build's output is checked here."""
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q",
         "-d", str(out / "doctrees"), str(DOCS), str(out / "html")],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert result.returncode == 0, f"the docs build failed:\n{result.stderr}"
    assert "WARNING" not in result.stderr and "ERROR" not in result.stderr, result.stderr
    return out / "html"


def test_the_docs_build_without_warnings(site: Path) -> None:
    pages = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    assert {"index.html", "design.html", "guides/quickstart.html", "guides/streams.html",
            "api/client.html", "api/errors.html", "api/sim.html", "api/ccxt.html"} <= pages


def test_the_reference_documents_every_client_method_and_option(site: Path) -> None:
    html = (site / "api" / "client.html").read_text()
    public = [
        name for name in dir(O2Client)
        if not name.startswith("_") and callable(getattr(O2Client, name))
        and name not in ("default_transport_factory",)
    ]
    missing = [m for m in public if f'id="o2_core.client.O2Client.{m}"' not in html]
    assert not missing, f"O2Client methods without an entry in the reference: {missing}"
    section = html[html.index('id="o2_core.client.O2Client"'):]
    described = set(re.findall(r"<strong>(\w+)</strong>", section[: section.index("<dl")
                                                                    + 20000]))
    assert set(CLIENT_OPTIONS) <= described, set(CLIENT_OPTIONS) - described


def test_a_broken_reference_fails_the_build(tmp_path: Path) -> None:
    """The check is real: a reference to nothing is an error, not a silent miss."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        f"exec(open({str(DOCS / 'conf.py')!r}).read())\nroot_doc = 'index'\n"
    )
    (src / "index.rst").write_text("Broken\n======\n\nSee :class:`o2_core.NoSuchThing`.\n")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "dummy",
         str(src), str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert result.returncode != 0
    assert "o2_core.NoSuchThing" in result.stderr
