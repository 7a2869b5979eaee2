"""Median wall times of the core model. Run: ``python benchmarks/bench_core.py``.

- ``bubble.solve``: a 1 mm cavity collapsing in water toward a 0.1 mm equilibrium
  radius, 250 us, Keller-Miksis, rtol 1e-8, compiled and, side by side, the same
  equations with ``solve_ivp`` (LSODA) and a Python right-hand side;
- ``simulate``: one full coupled knuckle event (default pull, 40 ms after the crack);
- ``render``: the same event heard in air and resampled to 48 kHz;
- ``import cavitation`` in a fresh interpreter.

Timings are measured here, never asserted in the tests.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import cavitation as cv
from cavitation import bubble


def median_time(func: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``func()`` [s] over ``repeats`` calls, after one warm-up."""
    func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per case")
    args = parser.parse_args()
    compiled = median_time(lambda: bubble.solve(1e-3, 250e-6, R_eq=1e-4), args.repeats)
    lsoda = median_time(lambda: bubble.solve(1e-3, 250e-6, R_eq=1e-4, method="lsoda"),
                        args.repeats)
    print(f"{'bubble.solve, compiled (1 mm -> 0.1 mm, 250 us)':45s} {compiled * 1e3:9.2f} ms")
    print(f"{'bubble.solve, LSODA + Python right-hand side':45s} {lsoda * 1e3:9.2f} ms"
          f"  ({lsoda / compiled:.0f} x slower)")
    cases = {"simulate (default knuckle crack)": cv.simulate}
    cases["render (default knuckle, air, 48 kHz)"] = cv.render
    for name, func in cases.items():
        print(f"{name:45s} {median_time(func, args.repeats) * 1e3:9.2f} ms (median)")
    imports = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import cavitation"], check=True)
        imports.append(time.perf_counter() - start)
    bare = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - start)
    cost = statistics.median(imports) - statistics.median(bare)
    print(f"{'import cavitation (less interpreter start-up)':45s} {cost * 1e3:9.2f} ms (median)")


if __name__ == "__main__":
    main()
