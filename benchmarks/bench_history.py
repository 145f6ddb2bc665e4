"""Our figures now against an earlier commit of ours, side by side in one process.

Run: ``.venv/bin/python benchmarks/bench_history.py [COMMIT] [--rounds N]`` (default
``5c67af4``: the project before the architecture issue).

The commit's ``o2_core`` and ``benchmarks`` are exported with ``git archive`` into a
temporary directory, where the package becomes ``o2_then``: every ``o2_core`` name in its
Python files is rewritten, so that both versions import side by side. Each row then runs
the commit's benchmark function and ours in turn, ``rounds`` times, and keeps the best
pass of each. In one process, a change in the machine's load hits both alike; separate
runs on a shared 2-core machine differ by up to 15%, which hides a change of a few percent.

The rows call functions of ``bench_stream.py`` and ``bench_core.py`` that every version
since ``5c67af4`` has (higher is better in every row).
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

Pass = Callable[[], int]
"""One pass of a benchmark: runs, returns how many items it processed."""


def export(commit: str, into: Path, repository: Path = ROOT) -> None:
    """``o2_core/`` and ``benchmarks/`` of ``commit`` under ``into``, renamed ``o2_then``."""
    archive = subprocess.run(
        ["git", "-C", str(repository), "archive", "--format=tar", commit, "o2_core",
         "benchmarks"],
        check=True, capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.10.12+ and 3.11.4+
            tar.extractall(into, filter="data")
        else:  # pragma: no cover - our own repository's archive
            tar.extractall(into)
    (into / "o2_core").rename(into / "o2_then")
    for path in [*into.glob("o2_then/**/*.py"), *into.glob("benchmarks/*.py")]:
        path.write_text(re.sub(r"\bo2_core\b", "o2_then", path.read_text()))


def load(name: str, path: Path) -> ModuleType:
    """The module at ``path``, imported as ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def stream_rows(bench: ModuleType) -> dict[str, Pass]:
    """The rows of ``bench_stream.py`` (its module, either version)."""
    frames = bench.frame_mix(4000)

    def of(action: bytes) -> list[bytes]:
        return [f for f in frames if b'"action": "%s"' % action in f]

    depth = of(b"subscribe_depth_update")
    return {
        "mixed frames decoded": bench.ours_decode_only(frames),
        "  of which depth-update frames": bench.ours_decode_only(depth),
        "  of which order frames": bench.ours_decode_only(of(b"subscribe_orders")),
        "  of which trade frames": bench.ours_decode_only(of(b"subscribe_trades")),
        "mixed frames decoded and routed": bench.ours_decode_route(frames),
        "50-level depth frames decoded and routed": bench.ours_decode_route(depth),
        "50-level book updates applied": bench.ours_book(bench.book_updates(frames)),
    }


def core_rows(bench: ModuleType) -> dict[str, Pass]:
    """The rows of ``bench_core.py`` (its module, either version), 200 operations a pass."""

    def repeat(operation: Callable[[], object]) -> Pass:
        def run() -> int:
            for _ in range(200):
                operation()
            return 200

        return run

    return {
        "signed settle+create orders built": repeat(bench.ours_order),
        "50-level depth frames to a DepthUpdate": repeat(bench.ours_frame_stream),
    }


def best_rates(then: Pass, now: Pass, rounds: int) -> tuple[float, float]:
    """Items per second of each: their best pass, the two taking turns."""
    best = [float("inf"), float("inf")]
    done = [0, 0]
    for run in (then, now):
        run()  # warm up
    for _ in range(rounds):
        for i, run in enumerate((then, now)):
            start = time.perf_counter()
            done[i] = run()
            best[i] = min(best[i], time.perf_counter() - start)
    return done[0] / best[0], done[1] / best[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commit", nargs="?", default="5c67af4")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        export(args.commit, Path(tmp))
        sys.path.insert(0, tmp)
        then_stream = load("bench_stream_then", Path(tmp, "benchmarks", "bench_stream.py"))
        then_core = load("bench_core_then", Path(tmp, "benchmarks", "bench_core.py"))
        import bench_core
        import bench_stream

        then_rows = {**stream_rows(then_stream), **core_rows(then_core)}
        now_rows = {**stream_rows(bench_stream), **core_rows(bench_core)}
        print(f"{args.commit} (then) against the working tree (now), {args.rounds} rounds "
              "each, best pass; per second")
        print(f"{'':42}{'then':>12}{'now':>12}{'now/then':>10}")
        for name, then in then_rows.items():
            rate_then, rate_now = best_rates(then, now_rows[name], args.rounds)
            print(f"{name:42}{rate_then:12,.0f}{rate_now:12,.0f}{rate_now / rate_then:10.3f}")


if __name__ == "__main__":
    main()
