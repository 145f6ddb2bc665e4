"""Every Python code block of the guides runs, against the embedded local exchange.

The blocks of one guide run in order in one namespace and on one event loop, like the
cells of a notebook: a later block may use what an earlier one defined. A block with
``await`` at the top level runs as a coroutine on that loop (as in ``python -m asyncio``
or Jupyter); a block that runs its own event loop (``anyio.run(main)``) runs as it is.

A block that must not run (it talks to a real network, say) is marked in its fence:
```` ```python norun ````. There are few of them and they are small; a test keeps it so.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import io
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
GUIDES = sorted((DOCS / "guides").glob("*.md"))
PAGES = [DOCS / "index.md", *GUIDES]

FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>[^`\n]*)$")
#: The mark of a block that is shown but not run.
NORUN = "norun"
#: At most this many blocks may be left out, of at most this many lines each.
MAX_NORUN_BLOCKS = 8
MAX_NORUN_LINES = 6
#: Seconds one block may take.
BLOCK_TIMEOUT = 8.0


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int  # of the first line of code
    info: str
    code: str

    @property
    def language(self) -> str:
        return self.info.split()[0] if self.info.split() else ""

    @property
    def runs(self) -> bool:
        return self.language == "python" and NORUN not in self.info.split()[1:]

    @property
    def where(self) -> str:
        try:
            name = str(self.page.relative_to(DOCS.parent))
        except ValueError:
            name = self.page.name
        return f"{name}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced code blocks of a Markdown page, in order."""
    found: list[Block] = []
    lines = page.read_text().splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        fence, indent, info = match["fence"], len(match["indent"]), match["info"].strip()
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            body.append(lines[j][indent:])
            j += 1
        if not info.startswith("{"):  # a MyST directive ({toctree} ...) is not code
            found.append(Block(page, i + 2, info, "\n".join(body) + "\n"))
        i = j + 1
    return found


def python_blocks(page: Path) -> list[Block]:
    return [b for b in blocks(page) if b.language == "python"]


def run_page(page: Path) -> list[str]:
    """Run every runnable block of ``page``; the output of each, in order."""
    namespace: dict[str, object] = {"__name__": "__guide__"}
    loop = asyncio.new_event_loop()
    outputs = []
    try:
        for block in python_blocks(page):
            if not block.runs:
                continue
            code = compile(
                block.code, block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
            )
            out = io.StringIO()
            started = time.monotonic()
            with contextlib.redirect_stdout(out):
                try:
                    result = eval(code, namespace)
                    if inspect.iscoroutine(result):
                        loop.run_until_complete(asyncio.wait_for(result, BLOCK_TIMEOUT))
                except BaseException as exc:
                    raise AssertionError(
                        f"the block at {block.where} raised {exc!r}\n--- its output:\n"
                        f"{out.getvalue()}"
                    ) from exc
            elapsed = time.monotonic() - started
            assert elapsed < BLOCK_TIMEOUT, f"{block.where} took {elapsed:.1f}s"
            outputs.append(out.getvalue())
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
    return outputs


def test_the_guides_are_found() -> None:
    names = {page.stem for page in GUIDES}
    assert {"quickstart", "trading", "market-data", "streams", "nonces", "errors",
            "transports", "signers", "local-exchange", "migrating", "ccxt"} <= names


@pytest.mark.parametrize("page", PAGES, ids=[page.stem for page in PAGES])
def test_every_block_runs(page: Path) -> None:
    runnable = [b for b in python_blocks(page) if b.runs]
    if page.parent.name == "guides":
        assert runnable, f"{page.name} has no runnable Python block"
    run_page(page)


def test_few_blocks_are_left_out_and_they_are_small() -> None:
    left_out = [b for page in PAGES for b in python_blocks(page) if not b.runs]
    assert len(left_out) <= MAX_NORUN_BLOCKS, [b.where for b in left_out]
    for block in left_out:
        lines = len(block.code.strip().splitlines())
        assert lines <= MAX_NORUN_LINES, f"{block.where}: {lines} lines are not run"


def test_every_code_block_names_its_language() -> None:
    """A block without a language would be neither highlighted nor run."""
    for page in PAGES:
        for block in blocks(page):
            assert block.language, f"{block.where}: a code block without a language"


def test_a_failing_block_fails_the_run(tmp_path: Path) -> None:
    page = tmp_path / "broken.md"
    page.write_text(
        "```python\nx = 1\n```\n\n```python norun\nraise SystemExit('not run')\n```\n\n"
        "```python\nimport anyio\nawait anyio.sleep(0)\nassert x == 2, 'x is 1'\n```\n"
    )
    parsed = python_blocks(page)
    assert [(b.line, b.runs) for b in parsed] == [(2, True), (6, False), (10, True)]
    with pytest.raises(AssertionError, match=r"broken.md:10 raised AssertionError\('x is 1'\)"):
        run_page(page)
