"""What showing a crack costs. Run: ``python benchmarks/bench_display.py``.

Median wall times, each printed with its ratio to ``render()`` of the same knuckle
measured in the same run (this machine's timings wander by 20-30 %):

- ``render()``: simulate and hear the knuckle at 48 kHz (the reference);
- a notebook's display of the rendering (``Rendering._repr_html_``: the dashboard as a
  100 dpi PNG, and a player at the listening level);
- the dashboard alone: building it, and writing it as PNG (150 dpi), SVG and PDF;
- a figure's own display (``RichFigure._repr_png_``) of one panel;
- a pull that does not crack: its display.

Timings are measured here, never asserted in the tests.
"""

from __future__ import annotations

import argparse

from bench_core import median_time  # this folder's, run as a script

import cavitation as cv
from cavitation import plot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed calls per case")
    args = parser.parse_args()
    rendering = cv.render()
    silent = cv.render(cv.replace(cv.KNUCKLE, **{"nucleation.pressure_pa": -5e5}))
    reference = median_time(cv.render, args.repeats * 3)
    cases = {
        "notebook display of a rendering (_repr_html_)": rendering._repr_html_,
        "dashboard: build only": lambda: plot.dashboard(rendering),
        "dashboard: PNG, 150 dpi": lambda: plot.figure_bytes(plot.dashboard(rendering), "png"),
        "dashboard: SVG": lambda: plot.figure_bytes(plot.dashboard(rendering), "svg"),
        "dashboard: PDF": lambda: plot.figure_bytes(plot.dashboard(rendering), "pdf"),
        "one panel's display (waveform, _repr_png_)":
            lambda: plot.plot_waveform(rendering).figure._repr_png_(),
        "notebook display of a pull that did not crack": silent._repr_html_,
    }
    print(f"{'render(): the knuckle at 48 kHz (reference)':48s} {reference * 1e3:8.1f} ms")
    for name, func in cases.items():
        seconds = median_time(func, args.repeats)
        print(f"{name:48s} {seconds * 1e3:8.1f} ms  ({seconds / reference:5.0f} x render)")


if __name__ == "__main__":
    main()
