"""benchmarks/bench_history.py: an earlier commit's code and ours, side by side."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"


@pytest.fixture(scope="module")
def history() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module("bench_history")


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A git repository of one commit: our o2_core and benchmarks as they are (the suite
    also runs from an unpacked sdist, which has no history)."""
    repo = tmp_path / "repo"
    for name in ("o2_core", "benchmarks"):
        shutil.copytree(ROOT / name, repo / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "then"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    return repo


def test_a_commit_is_exported_as_o2_then_and_runs_the_rows_ours_run(
    history: ModuleType, repository: Path, tmp_path: Path
) -> None:
    out = tmp_path / "export"
    history.export("HEAD", out, repository)
    sources = [*out.glob("o2_then/**/*.py"),
               *(out / "benchmarks" / name for name in ("bench_stream.py", "bench_core.py"))]
    assert (out / "o2_then" / "frames.py") in sources
    assert not (out / "o2_core").exists()
    assert not [path for path in sources if "o2_core" in path.read_text()]

    sys.path.insert(0, str(out))
    try:
        then = history.load("bench_stream_then", out / "benchmarks" / "bench_stream.py")
    finally:
        sys.path.remove(str(out))
    import bench_stream as now

    assert then.FrameDecoder.__module__ == "o2_then.frames"  # not ours: the commit's
    assert now.FrameDecoder.__module__ == "o2_core.frames"
    then_rows, now_rows = history.stream_rows(then), history.stream_rows(now)
    assert list(then_rows) == list(now_rows)
    counts = {name: (then_rows[name](), now_rows[name]()) for name in then_rows}
    assert counts["mixed frames decoded"] == (4000, 4000)
    for name, (then_count, now_count) in counts.items():
        assert then_count == now_count > 0, name

    rates = history.best_rates(then_rows["mixed frames decoded"],
                               now_rows["mixed frames decoded"], rounds=1)
    assert all(rate > 0 for rate in rates)
