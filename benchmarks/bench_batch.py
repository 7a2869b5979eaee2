"""Renders per second of a knuckle sweep with 1 and 2 workers.

Run: ``python benchmarks/bench_batch.py [--runs 1000]``. Each run is the default
knuckle crack (nucleation pressure drawn at random), rendered to a 48 kHz WAV with
its JSON, as ``cavitation batch`` does. Measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

from cavitation import batch


def file_creation_us(folder: str | None, count: int = 50) -> float:
    """Microseconds to create an empty file in a new folder under ``folder``.

    On this machine's ext4 disk it ranges from 20 us to 1 ms: it grows near hundreds
    of thousands of files and for a while after thousands were deleted (this very
    benchmark deletes 2000 files a sweep). Printed so that a figure can be read with
    the disk's state it was measured in.
    """
    with tempfile.TemporaryDirectory(dir=folder) as probe:
        start = time.perf_counter()
        for i in range(count):
            with open(f"{probe}/{i}", "x"):
                pass
        return (time.perf_counter() - start) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="runs in the sweep")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="worker counts to measure")
    parser.add_argument("--dir", default=None,
                        help="folder to write the sweeps under (default: the system's"
                             " temporary folder); /dev/shm measures without the disk")
    args = parser.parse_args()
    sweep = batch.parse_sweep({
        "preset": "knuckle", "seed": 1,
        "random": {"count": args.runs,
                   "uniform": {"nucleation.pressure_pa": [-1.5e5, -0.7e5]}},
    }, "benchmark")
    for workers in args.workers:
        creation_us = file_creation_us(args.dir)
        with tempfile.TemporaryDirectory(dir=args.dir) as out:
            start = time.perf_counter()
            summary = batch.run(sweep, out, workers=workers)
            elapsed = time.perf_counter() - start
        who = resource.RUSAGE_SELF if workers == 1 else resource.RUSAGE_CHILDREN
        peak_mb = resource.getrusage(who).ru_maxrss / 1024  # kB on Linux
        print(f"{workers} worker(s): {args.runs} runs in {elapsed:6.1f} s,"
              f" {args.runs / elapsed:6.2f} renders/s, {summary.failed} failed,"
              f" peak resident memory of a worker {peak_mb:.0f} MB;"
              f" creating a file there took {creation_us:.0f} us")


if __name__ == "__main__":
    main()
