"""Wall time of the ``cavitation`` program as a whole process. Run:
``python benchmarks/bench_cli.py``.

Times ``cavitation render --preset knuckle`` (warm: the compiled code is cached, the
files are in the page cache) with its PNG and with ``--no-figure``, interleaved with
a reference in the same run: a bare interpreter that imports numpy, which every run
pays whatever the package does. Each is run ``--repeats`` times in a temporary
folder; medians and ranges are printed, with the ratio to the reference. It also
lists which of the heavy libraries each command imported (``-X importtime``), so a
slow import that creeps onto the path shows.

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

#: Libraries whose import costs a tenth of a second or more.
HEAVY = ("scipy.signal", "scipy.stats", "scipy.integrate", "scipy.optimize", "matplotlib",
         "pyloudnorm", "numba")


def program() -> list[str]:
    """The installed console script, or the module when it is not on the path."""
    script = shutil.which("cavitation")
    return [script] if script else [sys.executable, "-m", "cavitation"]


def wall_s(command: list[str], folder: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=folder, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def heavy_imports(arguments: list[str], folder: str) -> list[str]:
    """The heavy libraries a render imports, read from ``-X importtime``."""
    code = ("import sys; from cavitation.cli import run; sys.argv = ['cavitation'] + "
            f"{arguments!r}; run(fast_exit=False)")
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=folder,
                         check=True, capture_output=True, text=True).stderr
    names = {line.rsplit("|", 1)[-1].strip() for line in err.splitlines() if "|" in line}
    return [name for name in HEAVY if name in names]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10, help="runs of each command")
    args = parser.parse_args()
    cases = {"reference: python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
             "cavitation render --no-figure": [*program(), "render", "--overwrite",
                                               "--no-figure"],
             "cavitation render (WAV, JSON, PNG)": [*program(), "render", "--overwrite"]}
    with tempfile.TemporaryDirectory() as folder:
        for command in cases.values():  # warm: compiled code cached, files read once
            wall_s(command, folder)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repeats):
            for name, command in cases.items():
                times[name].append(wall_s(command, folder))
        reference = statistics.median(times[next(iter(cases))])
        for name, values in times.items():
            median = statistics.median(values)
            print(f"{name:40s} {median:6.2f} s (range {min(values):.2f}-{max(values):.2f} s;"
                  f" {median / reference:4.1f} x the reference)")
        for arguments in (["render", "--overwrite", "--no-figure"], ["render", "--overwrite"]):
            found = heavy_imports(arguments, folder)
            print(f"cavitation {' '.join(arguments)} imports: {', '.join(found) or 'none'}")
    print(f"(load average over the last minute: {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
