"""benchmarks/bench_history.py: an earlier commit's code and ours, side by side."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def history() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module("bench_history")


def test_a_commit_is_exported_as_o2_then_and_runs_the_rows_ours_run(
    history: ModuleType, tmp_path: Path
) -> None:
    history.export("HEAD", tmp_path)
    sources = [*tmp_path.glob("o2_then/**/*.py"),
               *(tmp_path / "benchmarks" / name for name in ("bench_stream.py", "bench_core.py"))]
    assert (tmp_path / "o2_then" / "frames.py") in sources
    assert not (tmp_path / "o2_core").exists()
    assert not [path for path in sources if "o2_core" in path.read_text()]

    sys.path.insert(0, str(tmp_path))
    try:
        then = history.load("bench_stream_then", tmp_path / "benchmarks" / "bench_stream.py")
    finally:
        sys.path.remove(str(tmp_path))
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
