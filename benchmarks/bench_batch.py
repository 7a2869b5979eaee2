"""Renders per second of a knuckle sweep, and of a knuckle pack, with 1 and 2 workers.

Run: ``python benchmarks/bench_batch.py [--runs 1000] [--kinds sweep pack]``. A sweep's
run is the default knuckle crack (nucleation pressure drawn at random), rendered to a
48 kHz WAV with its JSON, as ``cavitation batch`` does. A pack's run is a different
person's knuckle (``cavitation pack``: ``[vary]``, the loudness level, the dataset's
tables at the end). Each pack is printed with its ratio to the sweep measured just
before it, in the same process. Measured here, never asserted in tests.
``--workers 2`` alone measures a sweep from a new process, imports included. On this
machine's disk, leave a few minutes between runs: the files a run deletes at its end
slow the next run's file creation (see ``file_creation_us``).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time

from cavitation import batch


def file_creation_us(folder: str, count: int = 50) -> float:
    """Microseconds to create an empty file in a new folder ``folder``.

    On this machine's disk (ext4 without a journal) it ranges from 20 us to 1 ms: it
    grows for some minutes after thousands of files were deleted nearby, by an earlier
    run of this benchmark for one. Printed so that a figure can be read with the state
    of the disk it was measured in. The files are left for the caller to delete.
    """
    os.mkdir(folder)
    start = time.perf_counter()
    for i in range(count):
        with open(os.path.join(folder, str(i)), "x"):
            pass
    return (time.perf_counter() - start) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="runs in the sweep")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="worker counts to measure")
    parser.add_argument("--kinds", nargs="+", default=["sweep", "pack"],
                        choices=("sweep", "pack"), help="what to measure")
    parser.add_argument("--dir", default=None,
                        help="folder to write the sweeps under (default: the system's"
                             " temporary folder); /dev/shm measures without the disk")
    args = parser.parse_args()
    sweeps = {
        "sweep": batch.parse_sweep({
            "preset": "knuckle", "seed": 1,
            "random": {"count": args.runs,
                       "uniform": {"nucleation.pressure_pa": [-1.5e5, -0.7e5]}},
        }, "benchmark"),
        "pack": batch.pack_sweep("knuckle", args.runs, seed=1, audio={"level": "loudness"}),
    }
    # Every sweep's files are deleted at the end, not before the next sweep: deleting
    # thousands of files slows the creation of the next ones on this disk.
    with tempfile.TemporaryDirectory(dir=args.dir) as work:
        for workers in args.workers:
            rates = {}
            for kind in args.kinds:
                rates[kind] = measure(kind, sweeps[kind], workers,
                                      os.path.join(work, f"{kind}-{workers}"))
            if len(rates) == 2:
                print(f"  pack / sweep, {workers} worker(s): {rates['pack'] / rates['sweep']:.2f}"
                      " of the renders per second")


def measure(kind: str, sweep: batch.Sweep, workers: int, folder: str) -> float:
    """Run ``sweep`` into ``folder`` with ``workers`` processes, print the figures and
    return the renders per second."""
    creation_us = file_creation_us(folder + "-probe")
    start = time.perf_counter()
    summary = batch.run(sweep, folder, workers=workers)
    elapsed = time.perf_counter() - start
    runs = len(sweep.runs)
    who = resource.RUSAGE_SELF if workers == 1 else resource.RUSAGE_CHILDREN
    peak_mb = resource.getrusage(who).ru_maxrss / 1024  # kB on Linux
    print(f"{kind}, {workers} worker(s): {runs} runs in {elapsed:6.1f} s,"
          f" {runs / elapsed:6.2f} renders/s, {summary.failed} failed,"
          f" peak resident memory of a worker {peak_mb:.0f} MB;"
          f" creating a file there took {creation_us:.0f} us")
    return runs / elapsed


if __name__ == "__main__":
    main()
