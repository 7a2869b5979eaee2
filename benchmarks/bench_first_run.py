"""Wall time of the first run on a machine, which compiles the solver. Run:
``python benchmarks/bench_first_run.py``.

Each repeat copies the package's source (no ``__pycache__``: nothing compiled) into a
temporary folder and runs, from there, a knuckle's first render:

- ``cavitation render --preset knuckle`` as a whole process (``python -m cavitation``,
  with its PNG), and ``import cavitation; cavitation.render()``;
- each as the package runs it, with a helper process compiling part of the solver
  alongside (``_compiled.compile_ahead``), and as a reference in the same run without
  it: numba's cache moved to an empty folder (``NUMBA_CACHE_DIR``), where the package
  compiles it all in one process;
- then once more, warm, from what the first run cached.

Medians and ranges over ``--repeats`` are printed, with the ratio to the reference.
Timings are measured here, never asserted in the tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cavitation"

COMMANDS = {
    "cavitation render --preset knuckle --overwrite":
        ["-m", "cavitation", "render", "--preset", "knuckle", "--overwrite"],
    "import cavitation; cavitation.render()": ["-c", "import cavitation; cavitation.render()"],
}


def first_run_s(arguments: list[str], separate_cache: bool) -> tuple[float, float]:
    """Wall times [s] of ``python arguments`` on a fresh copy of the package, then warm."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shutil.copytree(PACKAGE, root / "source" / "cavitation",
                        ignore=shutil.ignore_patterns("__pycache__"))
        (root / "out").mkdir()
        env = {**os.environ, "PYTHONPATH": str(root / "source")}
        env.pop("NUMBA_CACHE_DIR", None)
        if separate_cache:
            env["NUMBA_CACHE_DIR"] = str(root / "numba-cache")
        times = []
        for _ in range(2):
            start = time.perf_counter()
            subprocess.run([sys.executable, *arguments], cwd=root / "out", env=env, check=True,
                           stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - start)
        return times[0], times[1]


def summary(values: list[float]) -> str:
    return (f"{statistics.median(values):5.2f} s ({min(values):.2f}-{max(values):.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="fresh copies per case")
    args = parser.parse_args()
    for name, arguments in COMMANDS.items():
        runs: dict[str, list[tuple[float, float]]] = {"helper": [], "one process": []}
        for _ in range(args.repeats):  # interleaved, so that both see the same machine
            runs["helper"].append(first_run_s(arguments, separate_cache=False))
            runs["one process"].append(first_run_s(arguments, separate_cache=True))
        helper = [cold for cold, _ in runs["helper"]]
        alone = [cold for cold, _ in runs["one process"]]
        warm = [warm for _, warm in runs["helper"]]
        print(name)
        print(f"  first run, with the helper        {summary(helper)}")
        print(f"  first run, one process (reference) {summary(alone)}"
              f"  ratio {statistics.median(helper) / statistics.median(alone):.2f}")
        print(f"  the run after it (warm)            {summary(warm)}")


if __name__ == "__main__":
    main()
