"""Median wall times of the core model. Run: ``python benchmarks/bench_core.py``.

- ``bubble.solve``: a 1 mm cavity collapsing in water toward a 0.1 mm equilibrium
  radius, 250 us, Keller-Miksis, rtol 1e-8, compiled and, side by side, the same
  equations with ``solve_ivp`` (LSODA) and a Python right-hand side; and a 0.1 mm
  bubble under a far field that falls by half an atmosphere and recovers over 3 ms,
  with LSODA calling it as a function of time, and compiled: a function of a number
  (called at each of 20,001 times), a numpy function (called once on the 20,001
  times) and the 20,001 samples themselves, and LSODA on those samples too;
- ``simulate``: one full coupled knuckle event (default pull, 40 ms after the crack),
  on its default 1 us grid and on the grid ``render`` uses, and with LSODA (the
  fallback, for comparison);
- ``render``: simulate the same event and hear it in air at 48 kHz (the issue's
  "one knuckle crack, simulate and render to 48 kHz");
- ``simulate`` and ``render`` of the two cavity geometries, sphere and confined, side
  by side, with their ratio;
- the 6-joint upper-cervical thrust heard at the skin, against one atlanto-axial joint
  (issue 17's target: at most 2 times);
- a new process: ``import cavitation``; the first ``simulate`` (numba's import and the
  loading of the cached compiled code: the first-call compilation pause); and the
  first ``render`` (the filter designs). The whole command line is timed by
  ``bench_cli.py``.

Timings are measured here, never asserted in the tests.
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

import cavitation as cv
from cavitation import _compiled, bubble, simulation
from cavitation.presets import get_preset
from cavitation.render import crack_step_s, hearing_options
from cavitation.scenario import get_scenario, render_scenario, simulate_scenario

FIRST_CALLS = """
import time
start = time.perf_counter()
import cavitation as cv
imported = time.perf_counter()
cv.simulate()
simulated = time.perf_counter()
cv.render()
rendered = time.perf_counter()
print(imported - start, simulated - imported, rendered - simulated)
"""


def median_time(func: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``func()`` [s] over ``repeats`` calls, after one warm-up."""
    func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def lsoda_simulate() -> None:
    """``simulate`` with the compiled path switched off: LSODA and Python throughout."""
    make = simulation._Compiled.make
    simulation._Compiled.make = classmethod(lambda cls, *args: None)
    try:
        cv.simulate()
    finally:
        simulation._Compiled.make = make


def kernel_share(repeats: int) -> tuple[float, float, float]:
    """Medians [s] of a knuckle ``render()``, of its compiled integrations (the opening
    and the crack) and of its compiled reading of the crack onto the 288 kHz grid
    (``observe_crack``): the work no change outside the kernels can remove, at the
    same answers. The kernels are timed by wrapping them, in this process only."""
    solution = _compiled.Solution
    spent = {"integrate": 0.0, "observe": 0.0}

    class Timed(solution):
        def __init__(self, *args, **kwargs) -> None:
            start = time.perf_counter()
            super().__init__(*args, **kwargs)
            spent["integrate"] += time.perf_counter() - start

        def observe_crack(self, *args):
            start = time.perf_counter()
            out = super().observe_crack(*args)
            spent["observe"] += time.perf_counter() - start
            return out

    _compiled.Solution = Timed
    try:
        cv.render()
        totals, integrations, readings = [], [], []
        for _ in range(repeats):
            spent.update(integrate=0.0, observe=0.0)
            start = time.perf_counter()
            cv.render()
            totals.append(time.perf_counter() - start)
            integrations.append(spent["integrate"])
            readings.append(spent["observe"])
    finally:
        _compiled.Solution = solution
    return tuple(statistics.median(x) for x in (totals, integrations, readings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed calls per case")
    args = parser.parse_args()
    compiled = median_time(lambda: bubble.solve(1e-3, 250e-6, R_eq=1e-4), args.repeats)
    lsoda = median_time(lambda: bubble.solve(1e-3, 250e-6, R_eq=1e-4, method="lsoda"),
                        args.repeats)
    print(f"{'bubble.solve, compiled (1 mm -> 0.1 mm, 250 us)':48s} {compiled * 1e3:9.2f} ms")
    print(f"{'bubble.solve, LSODA + Python right-hand side':48s} {lsoda * 1e3:9.2f} ms"
          f"  ({lsoda / compiled:.0f} x slower)")

    def drop(t: float) -> float:  # the far field falls by half an atmosphere and recovers
        return 101325.0 - 5e4 * math.sin(math.pi * t / 3e-3) ** 2

    def drop_on_arrays(t):  # the same, written with numpy: called once on every time
        return 101325.0 - 5e4 * np.sin(np.pi * np.asarray(t) / 3e-3) ** 2

    times = np.linspace(0.0, 3e-3, 20_001)  # the samples: 150 ns apart, linear between
    varying_lsoda = median_time(lambda: bubble.solve(1e-4, 3e-3, R_eq=1e-4, p_inf=drop,
                                                     method="lsoda"), 5)
    print(f"{'bubble.solve, p_inf(t) drop and recover, LSODA':48s} {varying_lsoda * 1e3:9.2f} ms"
          "  (calling p_inf(t))")
    samples = (times, drop_on_arrays(times))
    compiled_s = {}
    for name, far_field in {"compiled, p_inf(t) on numbers": drop,
                            "compiled, p_inf(t) on arrays": drop_on_arrays,
                            "compiled, p_inf as samples": samples}.items():
        varying = compiled_s[name] = median_time(lambda far_field=far_field: bubble.solve(
            1e-4, 3e-3, R_eq=1e-4, p_inf=far_field), args.repeats)
        print(f"{'  the same, ' + name:48s} {varying * 1e3:9.2f} ms"
              f"  (LSODA {varying_lsoda / varying:.0f} x slower)")
    # The LSODA path of the samples themselves: the same linear reading, whose rate
    # jumps at every sample, as the compiled path reads them.
    samples_lsoda = median_time(lambda: bubble.solve(1e-4, 3e-3, R_eq=1e-4, p_inf=samples,
                                                     method="lsoda"), 3)
    print(f"{'  the same samples, LSODA':48s} {samples_lsoda * 1e3:9.2f} ms"
          f"  ({samples_lsoda / compiled_s['compiled, p_inf as samples']:.0f} x the"
          " compiled samples)")
    cases = {
        "simulate, knuckle, 1 us grid": cv.simulate,
        "simulate, knuckle, grid of a 48 kHz render": lambda: cv.simulate(
            output_step_s=crack_step_s(48000)),
        "render: simulate + hear in air at 48 kHz": cv.render,
        "simulate, LSODA fallback (for comparison)": lsoda_simulate,
    }
    for name, func in cases.items():
        repeats = 3 if "LSODA" in name else args.repeats
        print(f"{name:48s} {median_time(func, repeats) * 1e3:9.2f} ms (median)")
    total, integrations, reading = kernel_share(args.repeats)
    print(f"{'  of which compiled integrations (opening, crack)':48s}"
          f" {integrations * 1e3:9.2f} ms; reading the crack at 288 kHz"
          f" {reading * 1e3:.2f} ms; together {(integrations + reading) / total:.0%}"
          f" of the render ({total * 1e3:.2f} ms)")
    print("the two geometries side by side (medians; ratio confined / sphere):")
    for name, run in {"simulate, knuckle, 1 us grid": cv.simulate,
                      "render: simulate + hear in air at 48 kHz": cv.render}.items():
        sphere = median_time(lambda run=run: run(geometry="sphere"), args.repeats)
        confined = median_time(lambda run=run: run(geometry="confined"), args.repeats)
        print(f"  {name:46s} sphere {sphere * 1e3:6.2f} ms, confined {confined * 1e3:6.2f} ms"
              f"  ({confined / sphere:.2f})")
    thrust = get_scenario("upper-cervical")
    neck = get_preset("atlanto-axial")
    options = hearing_options(48000)
    alone = median_time(lambda: cv.render(neck.joint, neck.loading, listener_kind="contact"),
                        args.repeats)
    six = median_time(lambda: render_scenario(simulate_scenario(thrust, **options),
                                              listener_kind="contact"), args.repeats)
    print(f"{'6-joint upper-cervical thrust, heard at the skin':48s} {six * 1e3:9.2f} ms"
          f"  ({six / alone:.2f} x one atlanto-axial joint, {alone * 1e3:.2f} ms)")
    firsts = []
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", FIRST_CALLS], check=True,
                             capture_output=True, text=True).stdout
        firsts.append([float(x) for x in out.split()])
    bare = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - start)
    imported, simulated, rendered = (statistics.median(x) for x in zip(*firsts, strict=True))
    print(f"{'new process: import cavitation':48s} {imported * 1e3:9.2f} ms (median)")
    print(f"{'new process: first simulate (numba, cached code)':48s} {simulated * 1e3:9.2f} ms")
    print(f"{'new process: then first render':48s} {rendered * 1e3:9.2f} ms")
    print(f"{'(interpreter start-up, for reference)':48s}"
          f" {statistics.median(bare) * 1e3:9.2f} ms")


if __name__ == "__main__":
    main()
