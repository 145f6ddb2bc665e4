"""The compat harness itself: fetching the sdist, the import rewrite, the docs extraction.

The rewrite is the one promise a bot relies on (``o2_sdk`` → ``o2_core`` in its import
lines and nowhere else), so it is checked on made-up sources and on every Python file and
docs code block of the real o2-sdk 0.5.0 sdist: the rewritten text differs from the
original only on import lines, only by that rename, and parses to the same syntax tree
once the module names are mapped back.
"""

from __future__ import annotations

import ast
import asyncio
import difflib
import json
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

# --- the rewrite rule ------------------------------------------------------------------


def test_rewrite_renames_only_the_imported_root(compat: ModuleType) -> None:
    source = (
        "from o2_sdk import O2Client, Network\n"
        "from o2_sdk.api import O2Api\n"
        "from o2_sdk.bridge.models import SubmitRequest as SR\n"
        "import o2_sdk\n"
        "import o2_sdk.nonce as nonce_mod, json\n"
        "import json, o2_sdk.config\n"
        "from o2_sdk_extra import x\n"
        "from my.o2_sdk import y\n"
        "from . import o2_sdk\n"
    )
    assert compat.rewrite_imports(source) == (
        "from o2_core import O2Client, Network\n"
        "from o2_core.api import O2Api\n"
        "from o2_core.bridge.models import SubmitRequest as SR\n"
        "import o2_core\n"
        "import o2_core.nonce as nonce_mod, json\n"
        "import json, o2_core.config\n"
        "from o2_sdk_extra import x\n"
        "from my.o2_sdk import y\n"
        "from . import o2_sdk\n"
    )


def test_rewrite_leaves_strings_comments_and_other_code_alone(compat: ModuleType) -> None:
    source = '''"""Docs: from o2_sdk import O2Client"""
# from o2_sdk import O2Client
import pytest

def test(monkeypatch):
    monkeypatch.setattr("o2_sdk.client.raw_sign", None)
    text = "import o2_sdk"
    o2_sdk = 1
    return o2_sdk.real if False else text
'''
    assert compat.rewrite_imports(source) == source


def test_rewrite_finds_nested_multiline_and_awaiting_imports(compat: ModuleType) -> None:
    source = (
        "x = await client.get_markets()\n"
        "async def f():\n"
        "    from o2_sdk.nonce import (\n"
        "        NONCE_BITMAP_SIZE,\n"
        "        is_parallel_nonce_already_used,\n"
        "    )\n"
        "    if True: import o2_sdk.config as c  # o2_sdk\n"
        "y = {'o2_sdk': 'é'}; from o2_sdk import Id\n"
    )
    assert compat.rewrite_imports(source) == (
        "x = await client.get_markets()\n"
        "async def f():\n"
        "    from o2_core.nonce import (\n"
        "        NONCE_BITMAP_SIZE,\n"
        "        is_parallel_nonce_already_used,\n"
        "    )\n"
        "    if True: import o2_core.config as c  # o2_sdk\n"
        "y = {'o2_sdk': 'é'}; from o2_core import Id\n"
    )


def test_rewrite_refuses_a_layout_it_cannot_rewrite_exactly(compat: ModuleType) -> None:
    with pytest.raises(ValueError, match="cannot find the module"):
        compat.rewrite_imports("from \\\n    o2_sdk import Id\n")
    with pytest.raises(SyntaxError):
        compat.rewrite_imports("from o2_sdk import (\n")


def _names_back(tree: ast.AST) -> str:
    """The tree's dump with every imported ``o2_core`` root named ``o2_sdk`` again."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "o2_core":
                node.module = "o2_sdk" + node.module[len("o2_core"):]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "o2_core":
                    alias.name = "o2_sdk" + alias.name[len("o2_core"):]
    return ast.dump(tree)


def _imports_o2_sdk(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                and node.module.split(".")[0] == "o2_sdk"):
            return True
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] == "o2_sdk" for a in node.names
        ):
            return True
    return False


def _official_sources(compat: ModuleType, root: Path) -> dict[str, str]:
    sources = {
        str(p.relative_to(root)): p.read_text()
        for sub in ("tests", "examples")
        for p in sorted((root / sub).rglob("*.py"))
    }
    for block in compat.classified_blocks(root):
        if block.kind != "text":
            try:
                ast.parse(block.code)
            except SyntaxError:
                continue
            sources[f"docs/{block.id}"] = block.code
    return sources


def test_every_official_source_changes_only_on_its_import_lines(
    compat: ModuleType, sdist_root: Path
) -> None:
    sources = _official_sources(compat, sdist_root)
    assert len([n for n in sources if n.startswith("tests/")]) == 18
    assert len([n for n in sources if n.startswith("examples/")]) == 5
    assert len([n for n in sources if n.startswith("docs/")]) >= 50
    rewritten_lines = 0
    for name, original in sources.items():
        rewritten = compat.rewrite_imports(original)
        sites = compat.import_sites(original)
        before, after = original.splitlines(), rewritten.splitlines()
        assert len(before) == len(after), name
        changed = {i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b}
        assert changed == {row for row, _ in sites}, name
        for row, col in sites:
            line = before[row]
            assert line[col:col + 6] == "o2_sdk", (name, row)
            assert after[row] == line[:col] + "o2_core" + line[col + 6:], (name, row)
        diff = [d for d in difflib.ndiff(before, after) if d[:2] in ("- ", "+ ")]
        assert len(diff) == 2 * len(changed), name
        tree_before, tree_after = ast.parse(original), ast.parse(rewritten)
        assert _names_back(tree_after) == ast.dump(tree_before), name
        assert not _imports_o2_sdk(ast.parse(rewritten)), name
        assert rewritten.count("o2_sdk") == original.count("o2_sdk") - len(sites), name
        rewritten_lines += len(changed)
    assert rewritten_lines >= 100  # the 0.5.0 material has ~160 such import lines


def test_rewrite_tree_rewrites_python_files_and_copies_the_rest(
    compat: ModuleType, sdist_root: Path, tmp_path: Path
) -> None:
    out = compat.rewrite_tree(sdist_root, tmp_path / "ours")
    original = sdist_root / "tests" / "test_integration.py"
    rewritten = out / "tests" / "test_integration.py"
    assert rewritten.read_text() == compat.rewrite_imports(original.read_text())
    assert "from o2_core.api import O2Api\n" in rewritten.read_text()
    guide = "docs/guides/trading.rst"
    assert (out / guide).read_bytes() == (sdist_root / guide).read_bytes()
    copied = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert copied == sorted(
        p.relative_to(sdist_root)
        for sub in ("tests", "examples", "docs")
        for p in (sdist_root / sub).rglob("*")
        if p.is_file()
    )


def test_the_ccxt_tree_puts_the_fixtures_where_the_official_tests_look(
    compat: ModuleType, work: Path
) -> None:
    """tests/ccxt of the sdist reads ``Path(test).parents[4] / "fixtures" / "ccxt"``."""
    wanted = sorted(p.relative_to(compat.CCXT_FIXTURES)
                    for p in compat.CCXT_FIXTURES.rglob("*.json"))
    assert len(wanted) == 16
    for sdk in (compat.OFFICIAL, compat.OURS):
        root = compat.prepare_ccxt_tree(work, sdk)
        test = root / "tests" / "ccxt" / "test_parsers.py"
        assert (root / "tests" / "conftest.py").read_text() == compat.CONFTEST
        fixtures = test.resolve().parents[4] / "fixtures" / "ccxt"
        assert fixtures.is_relative_to(work.resolve())
        assert sorted(p.relative_to(fixtures) for p in fixtures.rglob("*.json")) == wanted
        imports = "from o2_sdk.ccxt.parsers import" if sdk == compat.OFFICIAL else (
            "from o2_core.ccxt.parsers import")
        assert imports in test.read_text()


def test_a_file_that_cannot_be_collected_is_one_error(
    compat: ModuleType, tmp_path: Path
) -> None:
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "conftest.py").write_text(compat.CONFTEST)
    (tests / "test_broken.py").write_text("import no_such_module_here\n")
    (tests / "test_fine.py").write_text("def test_fine():\n    pass\n")
    results = compat.run_pytest(tmp_path, None, compat.OFFICIAL, ["tests"])
    assert results["tests/test_fine.py::test_fine"]["outcome"] == "passed"
    broken = results["tests/test_broken.py"]
    assert (broken["outcome"], broken["when"]) == ("error", "collect")
    assert "No module named 'no_such_module_here'" in broken["message"]


# --- fetching the sdist ------------------------------------------------------------------


def test_the_cached_sdist_is_reused_when_its_hash_is_right(
    compat: ModuleType, sdist_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = compat.fetch_sdist()
    assert cached.parent == compat.cache_dir()
    assert compat.sha256_of(cached) == compat.SDIST_SHA256
    shutil.copyfile(cached, tmp_path / compat.SDIST_NAME)

    def no_pip(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("pip must not run when the cache is valid")

    monkeypatch.setattr(subprocess, "run", no_pip)
    assert compat.fetch_sdist(tmp_path) == tmp_path / compat.SDIST_NAME


def test_a_corrupt_cache_is_downloaded_again_with_the_pinned_hash(
    compat: ModuleType, sdist_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = compat.fetch_sdist().read_bytes()
    (tmp_path / compat.SDIST_NAME).write_bytes(b"tampered")
    calls: list[list[str]] = []

    def fake_pip(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        requirements = Path(cmd[cmd.index("-r") + 1]).read_text()
        assert f"--hash=sha256:{compat.SDIST_SHA256}" in requirements
        assert "--require-hashes" in cmd and "--no-binary" in cmd
        (Path(cmd[cmd.index("-d") + 1]) / compat.SDIST_NAME).write_bytes(good)
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_pip)
    assert compat.fetch_sdist(tmp_path).read_bytes() == good
    assert len(calls) == 1


def test_an_archive_with_another_hash_is_refused(
    compat: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_pip(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        (Path(cmd[cmd.index("-d") + 1]) / compat.SDIST_NAME).write_bytes(b"not the sdist")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_pip)
    with pytest.raises(RuntimeError, match="sha256"):
        compat.fetch_sdist(tmp_path)
    assert not (tmp_path / compat.SDIST_NAME).exists()


# --- docs code blocks --------------------------------------------------------------------

RST = """\
Title
=====

.. code-block:: python

   from o2_sdk import OrderSide

   await client.create_order("fFUEL/fUSDC", OrderSide.BUY, 0.02, 100.0)

Text.

.. code-block:: text

   O2Error
   └── InternalError

- item

   .. code-block:: python

      print(mystery)
"""


def test_doc_blocks_are_extracted_dedented_with_their_lines(compat: ModuleType) -> None:
    blocks = compat.doc_blocks(RST, "page.rst")
    assert [(b.line, b.language) for b in blocks] == [(4, "python"), (12, "text"), (19, "python")]
    assert blocks[0].code == (
        "from o2_sdk import OrderSide\n\n"
        'await client.create_order("fFUEL/fUSDC", OrderSide.BUY, 0.02, 100.0)\n'
    )
    assert blocks[1].code == "O2Error\n└── InternalError\n"
    assert blocks[2].code == "print(mystery)\n"
    assert blocks[0].id == "page.rst:4"


def test_doc_blocks_are_classified_with_a_reason(compat: ModuleType) -> None:
    def kind(code: str, carried: frozenset[str] = frozenset()) -> tuple[str, str]:
        return compat.classify(compat.DocBlock("p.rst", 1, "python", code), set(carried))

    assert kind("await client.get_markets()\n") == (
        "snippet", "runs with a client, funded account and session")
    assert kind("await client.create_order(..., OrderSide.BUY)\n", {"OrderSide"})[0] == (
        "not-runnable")
    assert kind('owner = client.load_wallet("0xabcd...1234")\n')[1] == (
        "placeholders for the reader: '0xabcd...1234'")
    assert kind("print(mystery)\n") == (
        "not-runnable", "uses names the page leaves to the reader: mystery")
    assert kind('await client.get_market("FUEL/USDC")\n')[0] == "not-runnable"
    assert kind("import boto3\n")[1] == "imports boto3 (not installed here)"
    assert kind("async for u in client.stream_trades(market):\n    print(u)\n")[0] == "bounded"
    assert kind("while True:\n    await client.get_depth(market)\n")[0] == "bounded"
    assert kind("import asyncio\nasync def main():\n    pass\nasyncio.run(main())\n")[0] == (
        "program")
    assert kind("from o2_sdk import O2Error\n")[0] == "definition"
    assert kind("x = 1\n", set())[0] == "definition"


def test_the_official_docs_blocks_and_what_is_run(compat: ModuleType, sdist_root: Path) -> None:
    blocks = compat.classified_blocks(sdist_root)
    kinds: dict[str, int] = {}
    for block in blocks:
        kinds[block.kind] = kinds.get(block.kind, 0) + 1
    # The 0.5.0 docs: 70 blocks in the user pages and guides; what each is, pinned.
    assert kinds == {"program": 4, "definition": 3, "snippet": 29, "bounded": 8,
                     "not-runnable": 19, "text": 7}
    by_id = {b.id: b for b in blocks}
    assert by_id["guides/trading.rst:148"].kind == "bounded"
    assert by_id["guides/websocket_streams.rst:104"].carried_imports == []
    assert "import time" in by_id["guides/trading.rst:94"].carried_imports
    assert by_id["guides/trading.rst:34"].carried_imports == [
        "from o2_sdk import OrderSide, OrderType, LimitOrder, BoundedMarketOrder"]
    # O2_PRIVATE_KEY is set by the harness (a fresh owner key); other variables are not
    assert by_id["guides/ccxt_compatibility.rst:28"].kind == "program"
    assert by_id["guides/error_handling.rst:195"].reason == (
        "trades the mainnet market 'FUEL/USDC'")
    assert compat.classify(compat.DocBlock("p.rst", 1, "python", 'os.environ["HOME"]\n'),
                           {"os"}) == ("not-runnable", "needs the environment variable 'HOME'")
    ours = compat.rewrite_block(by_id["guides/trading.rst:34"])
    assert ours.carried_imports == [
        "from o2_core import OrderSide, OrderType, LimitOrder, BoundedMarketOrder"]


# --- the child side ------------------------------------------------------------------------


def test_children_and_the_harness_use_this_checkouts_packages(compat: ModuleType) -> None:
    class Server:  # the endpoints sim_env reads
        api_base, ws_url, faucet_url = "http://127.0.0.1:9", "ws://127.0.0.1:9/v1/ws", "x"

    code = "import o2_core, o2_sim_server; print(o2_core.__file__); print(o2_sim_server.__file__)"
    env = compat.sim_env(Server(), "o2_core")
    done = subprocess.run([compat.sys.executable, "-c", code], env=env, cwd="/",
                          capture_output=True, text=True, check=True)
    for line in done.stdout.split():
        assert Path(line).is_relative_to(compat.REPO), line
    assert compat.sys.path[0] == str(compat.REPO)


@pytest.mark.parametrize("sdk", ["o2_sdk", "o2_core"])
def test_redirect_points_every_network_at_the_local_exchange(
    child: ModuleType, sdk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = __import__(f"{sdk}.config", fromlist=["NETWORK_CONFIGS"])
    monkeypatch.setattr(config, "NETWORK_CONFIGS", dict(config.NETWORK_CONFIGS))
    before = dict(config.NETWORK_CONFIGS)
    sim = {"api_base": "http://127.0.0.1:9", "ws_url": "ws://127.0.0.1:9/v1/ws",
           "faucet_url": "http://127.0.0.1:9/faucet"}
    assert child.redirect(sdk, sim) == ["TESTNET", "DEVNET", "MAINNET"]
    for name in ("TESTNET", "DEVNET", "MAINNET"):
        network = getattr(config.Network, name)
        now = config.get_config(network)
        assert (now.api_base, now.ws_url) == (sim["api_base"], sim["ws_url"])
        assert now.fuel_rpc.startswith("http://127.0.0.1:9/")
        assert now.faucet_url == (sim["faucet_url"] if before[network].faucet_url else None)
        assert now.whitelist_required == before[network].whitelist_required


def test_the_child_refuses_names_beyond_loopback(
    child: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", socket.getaddrinfo)
    child.loopback_only()
    assert socket.getaddrinfo("127.0.0.1", 80)
    with pytest.raises(OSError, match="no network beyond loopback"):
        socket.getaddrinfo("api.testnet.o2.app", 443)


def test_the_official_codes_waits_are_capped(child: ModuleType) -> None:
    facade = child.time_compressed_asyncio(0.01, 0.05)

    async def main() -> tuple[float, bool]:
        start = time.monotonic()
        await facade.sleep(65)
        slept = time.monotonic() - start
        try:
            await facade.wait_for(asyncio.Event().wait(), timeout=30)
        except asyncio.TimeoutError:
            return slept, True
        return slept, False

    slept, timed_out = asyncio.run(main())
    assert slept < 1.0 and timed_out
    assert facade.gather is asyncio.gather and facade.TimeoutError is asyncio.TimeoutError


def test_examples_are_run_as_their_main_block_would(child: ModuleType, tmp_path: Path) -> None:
    good = "import asyncio\nasync def main():\n    pass\n\nif __name__ == '__main__':\n" \
           "    asyncio.run(main())\n"
    assert child.main_block_is_asyncio_run_main(good)
    assert not child.main_block_is_asyncio_run_main(good + "print(1)\n")
    assert not child.main_block_is_asyncio_run_main(good.replace("main()", "other()"))
    out = tmp_path / "out.json"
    script = tmp_path / "ex.py"
    script.write_text(
        "import asyncio, json\nPRIVATE_KEY = None\nasync def main():\n"
        "    t = asyncio.get_running_loop().time()\n    await asyncio.sleep(30)\n"
        f"    open({str(out)!r}, 'w').write(json.dumps([PRIVATE_KEY, "
        "asyncio.get_running_loop().time() - t]))\n"
        "\nif __name__ == '__main__':\n    asyncio.run(main())\n"
    )
    child.run_example(script, {"PRIVATE_KEY": "0xab"})
    key, waited = json.loads(out.read_text())
    assert key == "0xab" and waited < 5
