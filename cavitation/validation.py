"""The validation report: every published figure beside the model's, fitted or predicted.

A constant chosen so that the model lands on a published figure cannot also be
evidence that the model explains that figure. :data:`FITTED` lists those constants and
what each was fitted to; the report marks the rows they touch "fitted", and every
other row "predicted". Each row measures the model the way the study measured: at
its sensor (a skin sensor for the spine, a microphone in air for the knuckle), and as
its quantity (a crack heard again after a wait, not a bubble dissolved).

Run it with ``cavitation validate`` or ``python -m cavitation.validation``. The sound
of every preset is also measured as a listener would (:func:`cavitation.audio.character`):
onset to peak in cycles, the -3 dB bandwidth against the dominant frequency, and the
share of energy per octave band.
"""

from __future__ import annotations

import argparse
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import audio, detection, scenario
from .detection import GroupPops
from .parameters import check_range, replace
from .population import Recording
from .presets import PRESETS, Preset, get_preset
from .protocol import recrack_time_s
from .render import AudioSettings, Rendering, render
from .simulation import GEOMETRIES, CrackResult, simulate

__all__ = ["FITTED", "FLUID_VOLUMES_M3", "STORIES", "TARGETS", "THRUST_FIGURES", "Fitted", "Row",
           "Target", "ThrustFigure", "ThrustRow", "character_table", "distribution_table",
           "group", "main", "pops_of", "population_figure", "report", "sensitivity_table",
           "story_table", "table", "thrust_rows", "thrust_table"]

SPINE = ("atlanto-occipital", "atlanto-axial", "mid-cervical", "lumbar-facet")
CERVICAL = ("atlanto-occipital", "atlanto-axial", "mid-cervical")


@dataclass(frozen=True)
class Fitted:
    """A constant chosen so that the model lands on a published figure.

    Attributes
    ----------
    parameter : str
        Its name (dotted for nested sets).
    presets : tuple of str
        The presets whose value was chosen so.
    target : str
        The :class:`Target` it was fitted to.
    how : str
        What it was chosen to give.
    """

    parameter: str
    presets: tuple[str, ...]
    target: str
    how: str


FITTED = (
    Fitted("nucleation.pressure_pa", tuple(PRESETS), "crack_force",
           "-0.1 MPa, within water's tensile strength with ordinary nuclei, chosen so the"
           " knuckle cracks at tens of N"),
    Fitted("stiffness_n_m", ("knuckle",), "gap_jump",
           "16 N/mm, so the knuckle's surfaces spring about 1 mm apart"),
    Fitted("body.tissue_mode_hz", ("knuckle",), "knuckle_spectrum",
           "5 kHz, so a knuckle crack's energy stays mostly below 10 kHz"),
    Fitted("scenario: shares of the thrust", ("upper-cervical", "mid-cervical", "lumbar"),
           "pops_per_thrust", "the share of a thrust that reaches each level, chosen (before"
           " pops were counted from the sound) so that the joints that crack land near the"
           " published counts; the lumbar's two upper levels continue the decline"
           " (cavitation.scenario)"),
    Fitted("scenario: the far side's share when the head turns",
           ("upper-cervical", "mid-cervical"), "turned_side",
           "0.7, chosen (on joints cracked) to land near 94 %"),
)
"""Every constant fitted to a published figure, and to which."""


@dataclass(frozen=True)
class Target:
    """A published figure and how to measure the model's counterpart.

    Attributes
    ----------
    key : str
        Short name, used by :data:`FITTED`.
    quantity : str
        What is compared, with its unit.
    published : str
        The figure as published.
    source : str
        Where it comes from (../shared/REFERENCES.md).
    presets : tuple of str
        The presets it applies to.
    low, high : float
        The published range, in the unit of ``measure``'s value (``nan`` when there
        is no figure to meet).
    centre : float
        The published centre (mean or median), or ``nan``.
    measure : callable
        ``measure(Measured) -> float``: the model's value, in the quantity's unit.
    set_by : tuple of str
        Constants that set this quantity although they were fitted to another figure:
        the row is then no independent evidence either, and says so.
    """

    key: str
    quantity: str
    published: str
    source: str
    presets: tuple[str, ...]
    low: float
    high: float
    centre: float
    measure: Callable[[Measured], float]
    set_by: tuple[str, ...] = ()


@dataclass
class Measured:
    """What the report measures of one preset, computed once and shared by its rows."""

    preset: Preset
    geometry: str
    crack: CrackResult
    at_skin: Rendering
    in_air: Rendering
    in_air_near: Rendering
    accelerometer: Rendering
    _recrack_s: float | None = None

    @property
    def recrack_s(self) -> float:
        """When a second pull first cracks the joint [s] (computed on first use)."""
        if self._recrack_s is None:
            self._recrack_s = recrack_time_s(self.preset.joint, self.preset.loading,
                                             geometry=self.geometry)
        return self._recrack_s


def _octaves_below(rendering: Rendering, limit_hz: float) -> float:
    shares = audio.character(rendering.signal, rendering.samplerate_hz).octave_shares
    return sum(v for centre, v in shares.items() if centre * math.sqrt(2.0) <= limit_hz)


TARGETS = (
    Target("crack_force", "force at the crack [N]", "tens of N", "Unsworth 1971", ("knuckle",),
           10.0, 100.0, math.nan, lambda m: m.crack.summary.nucleation_force_n),
    Target("gap_jump", "gap jump at the crack [mm]", "of order 1 mm (unverified)",
           "Roston & Wheeler Haines 1947", ("knuckle",), 0.5, 2.0, 1.0,
           lambda m: m.crack.summary.gap_jump_m * 1e3),
    Target("facet_gapping", "gap jump at the crack [mm]",
           "0.5-1.0 mm after a thrust; cavitated 0.56 mm", "Cramer et al. 2011, 2012",
           ("lumbar-facet",), 0.5, 1.0, 0.56, lambda m: m.crack.summary.gap_jump_m * 1e3),
    Target("cavity_size", "largest cavity, equivalent diameter [mm]", "no figure found",
           "Kawchuk et al. 2015 (MRI)", ("knuckle",), math.nan, math.nan, math.nan,
           lambda m: 2e3 * m.crack.summary.max_radius_m),
    Target("crack_time", "cavity formation, nucleation to first maximum [ms]",
           "< 310 ms (one MRI frame)", "Kawchuk et al. 2015", ("knuckle",), 0.0, 310.0,
           math.nan, lambda m: 1e3 * (m.crack.events.max_radius_s[0]
                                      - m.crack.summary.crack_time_s)),
    Target("knuckle_peak", "dominant frequency, microphone at 1 cm [Hz]",
           "first peak near 2 kHz (one informal recording)", "web recording, unverified",
           ("knuckle",), math.nan, math.nan, 2000.0,
           lambda m: m.in_air_near.features.dominant_frequency_hz),
    Target("knuckle_spectrum", "energy below 10 kHz, microphone at 1 cm [%]",
           "mostly below 10 kHz", "web recording, unverified", ("knuckle",), 50.0, 100.0,
           math.nan, lambda m: 100.0 * _octaves_below(m.in_air_near, 10e3)),
    Target("knuckle_decay", "duration at -20 dB, microphone at 1 cm [ms]",
           "decays within about 10 ms", "web recording, unverified", ("knuckle",), 0.0, 10.0,
           math.nan, lambda m: 1e3 * m.in_air_near.features.duration_s),
    Target("skin_peak", "dominant frequency at the skin [Hz]",
           "86-1830 Hz; median 215, mean 333 (95 % CI 285-380)",
           "Reggars 1996 (C3-C4, skin microphones)", CERVICAL, 86.0, 1830.0, 215.0,
           lambda m: m.at_skin.features.dominant_frequency_hz),
    Target("pop_duration", "one pop at the skin, -20 dB [ms]", "5.66 ms (95 % CI 5.36-5.96)",
           "Dunning et al. 2013 (C1-C2, skin sensors)", CERVICAL, 5.36, 5.96, 5.66,
           lambda m: 1e3 * m.at_skin.features.pop_duration_s),
    Target("refractory", "time until it cracks again [min]", "about 20 min",
           "Unsworth 1971", ("knuckle",), 10.0, 30.0, 20.0, lambda m: m.recrack_s / 60.0),
    Target("gas", "CO2 in the gas left behind [%]", "about 80 %",
           "Brodeur 1995, summarising Unsworth 1971", ("knuckle",), 70.0, 90.0, 80.0,
           lambda m: 100.0 * m.crack.summary.residual_co2_fraction),
)
"""Every published figure the report compares with (../shared/REFERENCES.md)."""


#: People in each group a thrust is measured on, and its seed. 200 people put the
#: 95 % interval of a share near 50 % at +-7 points, of a mean count at +-0.15.
PEOPLE, PEOPLE_SEED = 200, 1

#: The groups a thrust is heard in: a study's people with its sensors
#: (:data:`cavitation.detection.STUDIES`), and the upper-cervical story's two changes
#: on Dunning's people (the same people, so the changes are compared pairwise).
STORIES = {
    "spasm left": ("dunning-2013", lambda person: scenario.with_spasm(person, "left")),
    "turned right": ("dunning-2013", lambda person: scenario.turn_head(person, "right")),
}


def _mean(g: GroupPops) -> tuple[float, float, float]:
    return (g.mean, *g.mean_interval())


def _share(count: int, total: int) -> tuple[float, float, float]:
    low, high = detection.wilson_interval(count, total)
    return (100.0 * count / total if total else math.nan, 100.0 * low, 100.0 * high)


def _spread(g: GroupPops) -> tuple[float, float, float]:
    return float(g.counts.std(ddof=1)), math.nan, math.nan


def _interval_ms(g: GroupPops) -> tuple[float, float, float]:
    if not g.intervals_s.size:
        return math.nan, math.nan, math.nan
    q1, median, q3 = np.percentile(1e3 * g.intervals_s, [25, 50, 75])
    return float(median), float(q1), float(q3)


@dataclass(frozen=True)
class ThrustFigure:
    """A published figure of a thrust and how to measure it on a group of people.

    Attributes
    ----------
    key : str
        Short name, used by :data:`FITTED`.
    group : str
        A study (:data:`cavitation.detection.STUDIES`) or a story (:data:`STORIES`).
    quantity, published, source : str
        As for :class:`Target`.
    low, high, centre : float
        The published range and centre (``nan`` when there is none).
    measure : callable
        ``measure(GroupPops) -> (value, low, high)``: the model's value and its 95 %
        interval over the group.
    set_by : tuple of str
        As for :class:`Target`.
    """

    key: str
    group: str
    quantity: str
    published: str
    source: str
    low: float
    high: float
    centre: float
    measure: Callable[[GroupPops], tuple[float, float, float]]
    set_by: tuple[str, ...] = ()

    @property
    def presets(self) -> tuple[str, ...]:
        """The scenario the group is given (for :data:`FITTED`)."""
        study = STORIES[self.group][0] if self.group in STORIES else self.group
        return (detection.get_study(study).scenario,)


_SHARES = ("scenario: shares of the thrust",)
_NAN = math.nan
THRUST_FIGURES = (
    ThrustFigure("pops_per_thrust", "dunning-2013", "pops per thrust, mean", "3.57 (95 % CI"
                 " 3.19-3.94), 37 thrusts", "Dunning et al. 2013 (C1-C2, skin microphones)",
                 3.19, 3.94, 3.57, _mean),
    ThrustFigure("bilateral", "dunning-2013", "thrusts with pops on both sides [%]",
                 "91.9 % (34 of 37)", "Dunning et al. 2013", 78.7, 97.2, 91.9,
                 lambda g: _share(g.bilateral, g.people), _SHARES),
    ThrustFigure("pops_per_thrust", "reggars-1996", "pops per thrust, mean", "2.46 (123 in"
                 " 50 people)", "Reggars 1996 (C3-C4 rotatory thrust, skin microphones)",
                 _NAN, _NAN, 2.46, _mean),
    ThrustFigure("pops_spread", "reggars-1996", "pops per thrust, standard deviation",
                 "1.0 (from the distribution: 9, 22, 10, 7, 2 people with 1-5)",
                 "Reggars 1996", _NAN, _NAN, 1.02, _spread, _SHARES),
    ThrustFigure("no_pop", "reggars-1996", "thrusts with no pop [%]", "0 (every one of 50"
                 " cracked)", "Reggars 1996", 0.0, 7.1, 0.0,
                 lambda g: _share(int(np.sum(g.counts == 0)), g.people), _SHARES),
    ThrustFigure("turned_side", "reggars-1996", "thrusts whose pops are all on the side the"
                 " head turns to [%]", "94 % (47 of 50; 95 % CI 83.5-98.7)",
                 "Reggars & Pollard 1995", 83.5, 98.7, 94.0,
                 lambda g: _share(*g.only_on("right"))),
    ThrustFigure("pops_per_thrust", "mourad-2019", "pops per thrust, mean", "5.27 (range 2-9),"
                 " 60 thrusts", "Mourad et al. 2019 (L5-S1, skin accelerometers)", _NAN, _NAN,
                 5.27, _mean),
    ThrustFigure("pops_range", "mourad-2019", "most pops in one thrust", "9 (range 2-9)",
                 "Mourad et al. 2019", 9.0, 9.0, 9.0,
                 lambda g: (float(g.counts.max()), _NAN, _NAN), _SHARES),
    ThrustFigure("simultaneous", "mourad-2019", "pops with a pop on the other side within"
                 f" {detection.SIMULTANEOUS_S * 1e3:g} ms [%]", "2 % of cases (of pops or of"
                 " thrusts: the abstract does not say)", "Mourad et al. 2019", _NAN, _NAN, 2.0,
                 lambda g: _share(int(g.simultaneous.sum()), int(g.counts.sum())), _SHARES),
    ThrustFigure("simultaneous", "mourad-2019", "thrusts with pops on both sides within"
                 f" {detection.SIMULTANEOUS_S * 1e3:g} ms [%]", "2 % of cases",
                 "Mourad et al. 2019", _NAN, _NAN, 2.0,
                 lambda g: _share(int(np.sum(g.simultaneous > 0)), g.people), _SHARES),
    *(ThrustFigure("intervals", study, "time between successive pops, median (quartiles)"
                   " [ms]", "not reported", "", _NAN, _NAN, _NAN, _interval_ms)
      for study in ("dunning-2013", "reggars-1996", "mourad-2019")),
)
"""The thrusts' published figures, each measured on :data:`PEOPLE` people heard with
the study's sensors and counted by :func:`cavitation.detection.detect`."""

STORY_MEASURES = (
    ("thrusts whose first pop is on the right [%]",
     lambda g: _share(*g.first_on("right"))),
    ("thrusts whose first pop is on the left [%]", lambda g: _share(*g.first_on("left"))),
    ("thrusts with pops on both sides [%]", lambda g: _share(g.bilateral, g.people)),
    ("pops per thrust, mean", _mean),
    ("time between successive pops, median (quartiles) [ms]", _interval_ms),
)
"""What the upper-cervical story reports for each group: no study measured these."""


@functools.cache
def group(name: str, people: int = PEOPLE, seed: int = PEOPLE_SEED
          ) -> tuple[Recording, ...]:
    """The recordings of a study's or a story's group (computed once per process)."""
    from .population import study_group

    if name in STORIES:
        study, change = STORIES[name]
        return tuple(study_group(study, people, seed=seed, change=change))
    return tuple(study_group(name, people, seed=seed))


def _joints_cracked(name: str, people: int = PEOPLE, seed: int = PEOPLE_SEED) -> float:
    """Joints cracked per thrust in :func:`group` ``name``, heard or not."""
    return float(np.mean([r.joints_cracked for r in group(name, people, seed)]))


def pops_of(name: str, people: int = PEOPLE, seed: int = PEOPLE_SEED) -> GroupPops:
    """The pops of :func:`group` ``name``, pooled."""
    return detection.group_pops([r.pops for r in group(name, people, seed)])


@dataclass(frozen=True)
class ThrustRow:
    """One line of a thrust's section: a figure, the model's value and interval."""

    figure: ThrustFigure
    value: float
    low: float
    high: float
    verdict: str
    kind: str


def thrust_rows(people: int = PEOPLE, seed: int = PEOPLE_SEED) -> list[ThrustRow]:
    """Every row of :data:`THRUST_FIGURES`, measured."""
    rows = []
    for figure in THRUST_FIGURES:
        value, low, high = figure.measure(pops_of(figure.group, people, seed))
        fitted, borrowed = _fitted(figure, figure.presets[0])
        rows.append(ThrustRow(figure, value, low, high, _verdict(figure, value),
                              _kind(fitted, borrowed)))
    return rows


def _with_interval(value: float, low: float, high: float) -> str:
    if math.isnan(value):
        return "none"
    if math.isnan(low):
        return f"{value:.3g}"
    return f"{value:.3g} ({low:.3g}-{high:.3g})"


def thrust_table(rows: Sequence[ThrustRow], group_name: str) -> str:
    """The rows of one group as a Markdown table."""
    lines = ["| quantity | published (source) | model (95 % interval) | verdict |"
             " fitted or predicted |", "|---|---|---|---|---|"]
    for row in rows:
        if row.figure.group == group_name:
            f = row.figure
            source = f" ({f.source})" if f.source else ""
            lines.append(f"| {f.quantity} | {f.published}{source} |"
                         f" {_with_interval(row.value, row.low, row.high)} | {row.verdict} |"
                         f" {row.kind} |")
    return "\n".join(lines)


#: Pops per thrust in Reggars 1996: people with 1, 2, 3, 4 and 5 pops, of 50 (they add
#: up to 121 pops, not the 123 stated).
REGGARS_COUNTS = {1: 9, 2: 22, 3: 10, 4: 7, 5: 2}


def _levels_together(recordings: Sequence[Recording]) -> tuple[int, int]:
    """Levels whose two joints cracked within :data:`detection.SIMULTANEOUS_S` of each
    other, and levels whose two joints both cracked."""
    together = both = 0
    for r in recordings:
        times = dict(zip(r.labels, r.crack_times_s, strict=True))
        for label, t in times.items():
            other = times.get(label.removesuffix(" left") + " right", math.nan)
            if label.endswith(" left") and np.isfinite(t) and np.isfinite(other):
                both += 1
                together += abs(t - other) <= detection.SIMULTANEOUS_S
    return together, both


def distribution_table(people: int = PEOPLE, seed: int = PEOPLE_SEED) -> str:
    """Pops per thrust as a distribution, per study, beside Reggars's; and how often
    the two joints of a level crack together."""
    head = " | ".join(detection.COUNT_BINS)
    window = f"{detection.SIMULTANEOUS_S * 1e3:g} ms"
    lines = [f"| group | {head} | range | joints cracked, mean | levels cracked on both"
             f" sides within {window} [%] |",
             "|---|" + "---|" * (len(detection.COUNT_BINS) + 3)]
    for name in detection.STUDIES:
        g = pops_of(name, people, seed)
        shares = " | ".join(f"{100 * v:.0f} %" for v in g.distribution().values())
        recordings = group(name, people, seed)
        cracked = _joints_cracked(name, people, seed)
        together = _with_interval(*_share(*_levels_together(recordings)))
        lines.append(f"| {name} (model, {g.people} people) | {shares} |"
                     f" {g.counts.min()}-{g.counts.max()} | {cracked:.2f} | {together} |")
    total = sum(REGGARS_COUNTS.values())
    published = [0, *(REGGARS_COUNTS[k] for k in (1, 2, 3)),
                 sum(v for k, v in REGGARS_COUNTS.items() if k >= 4)]
    lines.append("| Reggars 1996 (published, 50 people) | "
                 + " | ".join(f"{100 * v / total:.0f} %" for v in published) + " | 1-5 | | |")
    return "\n".join(lines)


def population_figure(people: int = PEOPLE, seed: int = PEOPLE_SEED, *, figure=None):
    """Pops per thrust for each study's group beside the study's figures: three panels
    (:func:`cavitation.plot.plot_pops_per_thrust`) on ``figure`` (a new
    :class:`cavitation.plot.RichFigure` a journal's double column wide if None, which a
    notebook shows by itself). Returns the figure."""
    from .plot import DOUBLE_COLUMN_IN, new_figure, plot_pops_per_thrust

    if figure is None:
        figure = new_figure(DOUBLE_COLUMN_IN, 2.8)
    published: dict[str, dict[str, Any]] = {
        "dunning-2013": {"published_mean": 3.57, "published_interval": (3.19, 3.94)},
        "reggars-1996": {"published_counts": REGGARS_COUNTS, "published_mean": 2.46},
        "mourad-2019": {"published_mean": 5.27, "published_range": (2, 9)},
    }
    for ax, (name, study) in zip(figure.subplots(1, len(detection.STUDIES)),
                                 detection.STUDIES.items(), strict=True):
        plot_pops_per_thrust(pops_of(name, people, seed).counts, ax, **published[name],
                             title=f"{study.citation.split(' (')[0]}\n{study.scenario},"
                             f" {study.listener}")
    return figure


def story_table(people: int = PEOPLE, seed: int = PEOPLE_SEED) -> str:
    """The upper-cervical story over a group: no thrust change, a left spasm, the head
    turned right; the same people in each."""
    names = ("dunning-2013", *STORIES)
    lines = ["| quantity | " + " | ".join(("no change", *STORIES)) + " |",
             "|---|" + "---|" * len(names)]
    for quantity, measure in STORY_MEASURES:
        cells = [_with_interval(*measure(pops_of(n, people, seed))) for n in names]
        lines.append(f"| {quantity} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


INPUTS = (
    "resting intra-articular pressure, -5 mmHg (Wood, Ferrell & Baxendale 1988): the"
    " capsule's resting pressure",
    "MCP head width 13-17 mm (Unsworth & Alexander): the knuckle's contact area",
    "thrust durations, about 97 ms (Dunning 2012), 100-150 ms (Herzog), 139 ms"
    " (Mourad 2019): the presets' loadings",
    "synovial fluid density, viscosity, surface tension, vapour pressure, dissolved CO2"
    " and its diffusivity: the fluid's properties",
)
"""Figures of ../shared/REFERENCES.md the model takes as inputs, so not compared."""


@dataclass(frozen=True)
class Row:
    """One line of the report.

    Attributes
    ----------
    preset : str
        The preset.
    target : Target
        The published figure.
    value : float
        The model's value, in the target's unit.
    verdict : str
        ``"met"``, ``"not met"`` or ``"no figure"``, with how far from the centre.
    fitted : tuple of str
        The constants fitted to this figure, for this preset; empty when predicted.
    borrowed : tuple of str
        Constants fitted to another figure that set this one (``set_by`` of :class:`Target`).
    """

    preset: str
    target: Target
    value: float
    verdict: str
    fitted: tuple[str, ...]
    borrowed: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """``"fitted"``, ``"set by fitted ..."`` or ``"predicted"`` (``_kind``)."""
        return _kind(self.fitted, self.borrowed)


def _kind(fitted: tuple[str, ...], borrowed: tuple[str, ...]) -> str:
    """How a row stands: fitted to its figure, set by constants fitted to another, or
    predicted."""
    if fitted:
        return f"fitted ({', '.join(fitted)})"
    if borrowed:
        return f"set by {', '.join(borrowed)}, fitted to another figure"
    return "predicted"


def _verdict(target: Target | ThrustFigure, value: float) -> str:
    """Met or not, and how far from the published centre: in octaves for a frequency,
    in points for a percentage, as a ratio otherwise."""
    if math.isnan(target.low) and math.isnan(target.centre):
        return "no figure"
    if not math.isfinite(value):
        return "no value from the model"
    if math.isnan(target.centre):
        distance = ""
    elif "[Hz]" in target.quantity and value > 0.0:
        distance = f"{math.log2(value / target.centre):+.1f} octaves from"
    elif "[%]" in target.quantity:
        distance = f"{value - target.centre:+.0f} points from"
    elif value > 0.0 and target.centre > 0.0:
        distance = f"x{value / target.centre:.2f} of"
    else:
        distance = ""
    if math.isnan(target.low):
        return f"{distance} it" if distance else "no range"
    met = "met" if target.low <= value <= target.high else "not met"
    return f"{met}; {distance} the centre" if distance else met


def measure(preset: Preset, geometry: str) -> Measured:
    """Simulate and hear one preset as the studies measured it."""
    joint, loading = preset.joint, preset.loading
    near = AudioSettings(air_distance_m=0.01)  # Chandran Suja & Barakat: < 1 cm
    # The report reads the pressure in pascals; a normalised level cannot clip.
    heard: dict[str, Any] = {"geometry": geometry, "level": "normalised"}
    return Measured(
        preset=preset, geometry=geometry, crack=simulate(joint, loading, geometry=geometry),
        at_skin=render(joint, loading, listener_kind="contact", **heard),
        in_air=render(joint, loading, listener_kind="air", **heard),
        in_air_near=render(joint, loading, listener_kind="air", settings=near, **heard),
        accelerometer=render(joint, loading, listener_kind="accelerometer", **heard))


def _fitted(target: Target | ThrustFigure, name: str
            ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The constants fitted to ``target`` for ``name``, and those fitted to another
    figure that set it (:attr:`Target.set_by`)."""
    fitted = tuple(f.parameter for f in FITTED if f.target == target.key and name in f.presets)
    borrowed = tuple(f.parameter for f in FITTED if f.parameter in target.set_by
                     and name in f.presets and f.parameter not in fitted)
    return fitted, borrowed


def report(presets: Sequence[str] = tuple(PRESETS), geometry: str = "confined"
           ) -> tuple[list[Row], dict[str, Measured]]:
    """The report's rows for ``presets``, and what was measured of each.

    Parameters
    ----------
    presets : sequence of str
        Preset names.
    geometry : {"confined", "sphere"}
        The cavity's geometry.
    """
    if geometry not in GEOMETRIES:
        raise ValueError(f"unknown geometry {geometry!r}; valid choices: {', '.join(GEOMETRIES)}")
    measured = {name: measure(get_preset(name), geometry) for name in presets}
    rows = []
    for target in TARGETS:
        for name in target.presets:
            if name not in measured:
                continue
            fitted, borrowed = _fitted(target, name)
            value = target.measure(measured[name])
            rows.append(Row(name, target, value, _verdict(target, value), fitted, borrowed))
    return rows, measured


def table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table."""
    lines = ["| preset | quantity | published (source) | model | verdict | fitted or predicted |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row.preset} | {row.target.quantity} | {row.target.published}"
                     f" ({row.target.source}) | {row.value:.3g} | {row.verdict} | {row.kind} |")
    return "\n".join(lines)


def _cell(value: float, spec: str) -> str:
    """A table's number, or "none" where it is NaN (no spectral peak in the band)."""
    return "none" if math.isnan(value) else format(value, spec)


def character_table(measured: dict[str, Measured]) -> str:
    """How each preset's crack sounds, per listener, as a Markdown table."""
    centres = audio.OCTAVE_CENTRES_HZ
    head = " ".join(f"{c:g}" for c in centres)
    lines = [f"| preset | listener | dominant [Hz] | -3 dB band [Hz] | Q | onset to peak"
             f" [cycles] | impulsive | broadband | energy per octave [%]: {head} |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, m in measured.items():
        for label, rendering in (("air, 10 cm", m.in_air), ("skin microphone", m.at_skin),
                                 ("skin accelerometer", m.accelerometer)):
            c = audio.character(rendering.signal, rendering.samplerate_hz)
            shares = " ".join(f"{100 * c.octave_shares[k]:.0f}" for k in centres)
            lines.append(
                f"| {name} | {label} | {_cell(c.dominant_frequency_hz, '.0f')} |"
                f" {_cell(c.bandwidth_hz, '.0f')} | {_cell(c.quality_factor, '.1f')} |"
                f" {_cell(c.onset_to_peak_cycles, '.1f')} |"
                f" {'yes' if c.impulsive else 'no'} | {'yes' if c.broadband else 'no'} |"
                f" {shares} |")
    return "\n".join(lines)


#: Synovial fluid volumes [m^3] over which :func:`sensitivity_table` renders the crack:
#: the recess's layer, which this sets, decides whether the crack rings or thumps.
FLUID_VOLUMES_M3 = (0.05e-6, 0.1e-6, 0.2e-6, 0.4e-6)


def sensitivity_table(presets: Sequence[str] = ("knuckle", "atlanto-axial"),
                      geometry: str = "confined") -> str:
    """How the sound follows the assumed synovial fluid volume, as a Markdown table.

    The capsule's recess holds the joint's fluid in a layer whose thickness follows
    from that volume (:attr:`cavitation.joint.Joint.recess_gap_m`); the flow through
    it damps the ringing as the cube of that thickness. The volume is an assumption
    (0.1 ml), so the report shows what half, twice and four times it give.
    """
    lines = ["| preset | listener | fluid [ml] | recess layer [mm] | dominant [Hz] | Q |"
             " onset to peak [cycles] | pop (-20 dB) [ms] | peak level |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name in presets:
        preset = get_preset(name)
        listener_kind = "air" if name == "knuckle" else "contact"
        for volume in FLUID_VOLUMES_M3:
            joint = replace(preset.joint, **{"capsule.fluid_volume_m3": volume})
            rendering = render(joint, preset.loading, listener_kind=listener_kind,
                               geometry=geometry, level="normalised")
            c, f = audio.character(rendering.signal, rendering.samplerate_hz), \
                rendering.features
            lines.append(
                f"| {name} | {listener_kind} | {volume * 1e6:.2f} |"
                f" {joint.recess_gap_m * 1e3:.2f} | {_cell(c.dominant_frequency_hz, '.0f')} |"
                f" {_cell(c.quality_factor, '.1f')} | {_cell(c.onset_to_peak_cycles, '.1f')} |"
                f" {1e3 * f.pop_duration_s:.1f} | {f.peak_level_db:.0f} {rendering.level_unit} |")
    return "\n".join(lines)


def fitted_table() -> str:
    """:data:`FITTED` as a Markdown table."""
    lines = ["| constant | presets | fitted to | how |", "|---|---|---|---|"]
    for f in FITTED:
        targets: list[Target | ThrustFigure] = [*TARGETS, *THRUST_FIGURES]
        target = next(t for t in targets if t.key == f.target)
        presets = "all" if set(f.presets) == set(PRESETS) else ", ".join(f.presets)
        lines.append(f"| `{f.parameter}` | {presets} | {target.quantity}: {target.published}"
                     f" ({target.source}) | {f.how} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cavitation.validation``: print the report."""
    parser = argparse.ArgumentParser(
        prog="cavitation validate", description="Compare every preset with the published"
        " figures, say which constants were fitted to which, and measure each crack's"
        " sound as a listener would.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``cavitation validate``."""
    parser.add_argument("--geometry", choices=GEOMETRIES, default="confined",
                        help="the cavity's geometry (default: confined)")
    parser.add_argument("--preset", action="append", default=None, metavar="NAME",
                        help="a preset to report, repeatable (default: all of"
                        f" {', '.join(PRESETS)}; the thrusts are reported only with all)")
    parser.add_argument("--people", type=int, default=PEOPLE, metavar="N",
                        help="people in each group a thrust is heard in, 2-100000 (default"
                        f" {PEOPLE}; with every preset on the confined cavity)")


def print_thrusts(people: int = PEOPLE) -> None:
    """Print the thrusts' sections: each study's figures, the distributions, the story."""
    rows = thrust_rows(people)
    print(f"\n## The thrusts, heard as the studies heard them ({people} people, seed"
          f" {PEOPLE_SEED})\n")
    print("Pops are counted from each side's sensor by one detector"
          " (cavitation.detection): peaks of the envelope above"
          f" {detection.HIGHPASS_HZ:g} Hz within {detection.RANGE_DB:g} dB of that side's"
          " loudest, parted by a 6 dB dip. Every person's joints and thrust differ"
          " (cavitation.population.Variation).")
    for key, study in detection.STUDIES.items():
        print(f"\n### {study.citation}: {study.scenario} thrust"
              + (f", head turned {study.turn}" if study.turn else "")
              + f", heard by {study.sensors} (model: {study.listener})\n")
        print(thrust_table(rows, key))
        heard = pops_of(key, people).mean
        cracked = _joints_cracked(key, people)
        print(f"\nJoints cracked per thrust: {cracked:.2f}; pops heard: {heard:.2f}."
              " Fewer pops than cracks: joints of one side crack too close together to be"
              " told apart, or too faintly. Where the cracks themselves fall short of the"
              " published count, fewer of a varied person's joints reach their threshold"
              " than the median person's.")
    print("\n### Pops per thrust as a distribution\n")
    print(distribution_table(people))
    print("\n### The upper-cervical story: a left spasm, the head turned right (same"
          " people)\n")
    print(story_table(people))


def run(args: argparse.Namespace) -> int:
    """Print the report for parsed arguments; the exit status."""
    presets = args.preset or list(PRESETS)
    for name in presets:
        get_preset(name)
    if args.people != PEOPLE:  # checked before any work or output
        check_range("--people", args.people, "1", 2, 100000)
        if args.preset or args.geometry != "confined":
            raise ValueError("--people sets the groups the thrusts are heard in; they are"
                             " reported with every preset on the confined cavity only")
    rows, measured = report(presets, args.geometry)
    print(f"# Validation ({args.geometry} cavity)\n")
    print("## Constants fitted to a published figure\n")
    print(fitted_table())
    print("\n## Published figures and the model\n")
    print(table(rows))
    if args.geometry == "confined" and not args.preset:
        print_thrusts(args.people)
    print("\n## Figures taken as inputs, not compared\n")
    print("\n".join(f"- {line}" for line in INPUTS))
    print("\n## The sound, measured as a listener would\n")
    print(character_table(measured))
    shown = [n for n in ("knuckle", "atlanto-axial") if n in presets]
    if args.geometry == "confined" and shown:
        print("\n## How the sound follows the assumed synovial fluid volume\n")
        print(sensitivity_table(shown))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
