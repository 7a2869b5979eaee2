"""The explorer's update time: a slider moved, to the view and the player updated.
Run: ``python benchmarks/bench_explore.py``.

The issue asks for 100 ms for a knuckle. Each round moves one slider of a knuckle
explorer to a new value (so that every change renders), and times, in the same round,
``render()`` of the same joint alone: the ratio of the two is steadier than either on a
shared machine. Cases: the knuckle's confined cavity, the sphere, a pull that does not
crack (the shortfall view), and "compare" on (the previous sound drawn too).

What is timed is the kernel's side, from the slider's new value to the new PNG and WAV
set on the widgets (``Explorer.timings_s`` splits it into render, audio and view); the
transfer to the browser and its drawing are not.

Timings are measured here, never asserted in the tests.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from cavitation import render
from cavitation.explore import Explorer, explore
from cavitation.presets import configure, get_preset

#: The issue's target for one update of a knuckle [s].
TARGET_S = 0.1

#: Values the compliance slider steps through [m^3/Pa]: every one cracks.
COMPLIANCES = (1.0e-13, 1.5e-13, 2.0e-13, 1.2e-13, 3.0e-13, 0.8e-13)


def _round(explorer: Explorer, value: float, render_alone: Callable[[], object]
           ) -> tuple[float, float, dict[str, float]]:
    """One slider change [s], ``render()`` alone [s], and the change's split [s]."""
    start = time.perf_counter()
    explorer.sliders["capsule.compliance_m3_pa"].value = value
    update = time.perf_counter() - start
    if explorer.error is not None:
        raise RuntimeError(explorer.error)
    start = time.perf_counter()
    render_alone()
    return update, time.perf_counter() - start, dict(explorer.timings_s)


def measure(case: str, explorer: Explorer, repeats: int) -> None:
    """Print the median update, render and ratio of ``repeats`` slider changes."""
    values = [COMPLIANCES[k % len(COMPLIANCES)] for k in range(repeats + 1)]
    if values[0] == explorer.sliders["capsule.compliance_m3_pa"].value:
        values = values[1:] + values[:1]
    changes = {name: float(s.value) for name, s in explorer.sliders.items()}
    preset = get_preset(explorer.preset.value)

    def render_alone(value: float) -> Callable[[], object]:
        joint, loading = configure(preset, changes | {"capsule.compliance_m3_pa": value})
        return lambda: render(joint, loading, geometry=explorer.geometry.value)

    _round(explorer, values[0], render_alone(values[0]))  # warm-up
    rounds = [_round(explorer, v, render_alone(v)) for v in values[1:]]
    updates = [u for u, _, _ in rounds]
    renders = [r for _, r, _ in rounds]
    ratios = [u / r for u, r, _ in rounds]
    split = {key: statistics.median(t[key] for _, _, t in rounds)
             for key in ("render", "audio", "view")}
    within = sum(u <= TARGET_S for u in updates)
    print(f"{case:28s} update {statistics.median(updates) * 1e3:6.1f} ms"
          f" (render {split['render'] * 1e3:5.1f}, audio {split['audio'] * 1e3:4.1f},"
          f" view {split['view'] * 1e3:5.1f}); render() alone"
          f" {statistics.median(renders) * 1e3:5.1f} ms; ratio"
          f" {statistics.median(ratios):4.1f}; within {TARGET_S * 1e3:g} ms:"
          f" {within}/{len(updates)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30,
                        help="slider changes per case (default 30)")
    args = parser.parse_args()
    measure("knuckle, confined", explore("knuckle"), args.repeats)
    measure("knuckle, sphere", explore("knuckle", geometry="sphere"), args.repeats)
    no_crack = explore("knuckle")
    no_crack.sliders["nucleation.pressure_pa"].value = -1e6
    measure("knuckle, no crack", no_crack, args.repeats)
    compared = explore("knuckle")
    compared.compare.value = True
    measure("knuckle, compare on", compared, args.repeats)


if __name__ == "__main__":
    main()
