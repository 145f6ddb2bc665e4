"""Every Python example in the README runs as written, against the embedded exchange."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("code", EXAMPLES, ids=[f"example-{i}" for i in range(len(EXAMPLES))])
def test_readme_example_runs(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(code, str(README), "exec"), {"__name__": "__main__"})


def test_quickstart_demo_runs_against_the_local_exchange(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import runpy
    import sys

    argv = sys.argv
    sys.argv = ["quickstart.py"]
    try:
        runpy.run_path(str(README.parent / "examples" / "quickstart.py"), run_name="__main__")
    finally:
        sys.argv = argv
    out = capsys.readouterr().out
    assert "bob buys (spot)" in out and "success=True" in out
    assert "last trade                   50.000000000 @ 0.050000" in out
