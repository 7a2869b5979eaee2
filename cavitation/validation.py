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
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from . import audio
from .parameters import replace
from .presets import PRESETS, Preset, get_preset
from .protocol import recrack_time_s
from .render import AudioSettings, Rendering, render
from .simulation import GEOMETRIES, CrackResult, simulate

__all__ = ["FITTED", "FLUID_VOLUMES_M3", "TARGETS", "Fitted", "Row", "Target", "character_table",
           "main", "report", "scenario_rows", "sensitivity_table", "table"]

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
           "pops_per_thrust", "the share of a thrust that reaches each level, chosen so the"
           " joints that crack land near the published counts (cavitation.scenario)"),
    Fitted("scenario: the far side's share when the head turns", ("upper-cervical",),
           "turned_side", "0.7, chosen to land near 94 %"),
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


#: People in the group a scenario is measured on, and its seed.
PEOPLE, PEOPLE_SEED = 20, 1


def _pops(name: str) -> float:
    from . import scenario

    return float(np.mean(scenario.pop_statistics(scenario.get_scenario(name), people=PEOPLE,
                                                 seed=PEOPLE_SEED)))


def _both_sides(name: str) -> float:
    from . import scenario

    results = scenario._group(scenario.get_scenario(name), PEOPLE, 0.15, PEOPLE_SEED)
    sides = [{side for _, _, side in result.pops} for result in results]
    return 100.0 * float(np.mean([len(s) == 2 for s in sides if s]))


def _turned(name: str) -> float:
    from . import scenario

    return 100.0 * scenario.side_statistics(scenario.get_scenario(name), "right",
                                            people=PEOPLE, seed=PEOPLE_SEED)


SCENARIO_TARGETS = (
    Target("pops_per_thrust", "joints cracked per thrust (not pops heard: issue 13)",
           "3.57 pops (95 % CI 3.19-3.94)", "Dunning et al. 2013 (C1-C2)",
           ("upper-cervical",), 3.19, 3.94, 3.57, _pops),
    Target("pops_per_thrust", "joints cracked per thrust (not pops heard: issue 13)",
           "about 2.5 cracks (123 in 50 people)", "Reggars 1996 (C3-C4)", ("mid-cervical",),
           math.nan, math.nan, 2.46, _pops),
    Target("pops_per_thrust", "joints cracked per thrust (not pops heard: issue 13)",
           "5.27 pops (range 2-9)", "Mourad et al. 2019 (L5-S1)", ("lumbar",), 2.0, 9.0,
           5.27, _pops),
    Target("bilateral", "people with cracks on both sides [%]", "91.9 %",
           "Dunning et al. 2013", ("upper-cervical",), math.nan, math.nan, 91.9, _both_sides,
           set_by=("scenario: shares of the thrust",)),
    Target("turned_side", "first crack on the side the head turns to [%]",
           "94 % (95 % CI 83.5-98.7)", "Reggars & Pollard 1995", ("upper-cervical",), 83.5,
           98.7, 94.0, _turned),
)
"""The thrusts' figures, measured on a group of :data:`PEOPLE` people
(:func:`cavitation.scenario.pop_statistics`)."""

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
        Constants fitted to another figure that set this one (:attr:`Target.set_by`).
    """

    preset: str
    target: Target
    value: float
    verdict: str
    fitted: tuple[str, ...]
    borrowed: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """``"fitted"``, ``"set by fitted ..."`` or ``"predicted"``."""
        if self.fitted:
            return f"fitted ({', '.join(self.fitted)})"
        if self.borrowed:
            return f"set by {', '.join(self.borrowed)}, fitted to another figure"
        return "predicted"


def _verdict(target: Target, value: float) -> str:
    if math.isnan(target.low):
        if math.isnan(target.centre):
            return "no figure"
        if "[Hz]" in target.quantity:
            return f"{math.log2(value / target.centre):+.1f} octaves from it"
        return f"x{value / target.centre:.2f} of it"
    met = "met" if target.low <= value <= target.high else "not met"
    if math.isnan(target.centre) or value <= 0.0:
        return met
    return f"{met}; x{value / target.centre:.2f} of the centre"


def measure(preset: Preset, geometry: str) -> Measured:
    """Simulate and hear one preset as the studies measured it."""
    joint, loading = preset.joint, preset.loading
    near = AudioSettings(air_distance_m=0.01)  # Chandran Suja & Barakat: < 1 cm
    # The report reads the pressure in pascals; a normalised level cannot clip.
    heard = {"geometry": geometry, "level": "normalised"}
    return Measured(
        preset=preset, geometry=geometry, crack=simulate(joint, loading, geometry=geometry),
        at_skin=render(joint, loading, listener_kind="contact", **heard),
        in_air=render(joint, loading, listener_kind="air", **heard),
        in_air_near=render(joint, loading, listener_kind="air", settings=near, **heard))


def scenario_rows() -> list[Row]:
    """The thrusts' rows (:data:`SCENARIO_TARGETS`), on the default geometry."""
    rows = []
    for target in SCENARIO_TARGETS:
        for name in target.presets:
            fitted, borrowed = _fitted(target, name)
            value = target.measure(name)
            rows.append(Row(name, target, value, _verdict(target, value), fitted, borrowed))
    return rows


def _fitted(target: Target, name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
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


def character_table(measured: dict[str, Measured]) -> str:
    """How each preset's crack sounds, per listener, as a Markdown table."""
    centres = audio.OCTAVE_CENTRES_HZ
    head = " ".join(f"{c:g}" for c in centres)
    lines = [f"| preset | listener | dominant [Hz] | -3 dB band [Hz] | Q | onset to peak"
             f" [cycles] | impulsive | broadband | energy per octave [%]: {head} |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, m in measured.items():
        for label, rendering in (("air, 10 cm", m.in_air), ("skin", m.at_skin)):
            c = audio.character(rendering.signal, rendering.samplerate_hz)
            shares = " ".join(f"{100 * c.octave_shares[k]:.0f}" for k in centres)
            lines.append(
                f"| {name} | {label} | {c.dominant_frequency_hz:.0f} | {c.bandwidth_hz:.0f} |"
                f" {c.quality_factor:.1f} | {c.onset_to_peak_cycles:.1f} |"
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
             " onset to peak [cycles] | pop (-20 dB) [ms] | peak [dB re 20 uPa] |",
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
                f" {joint.recess_gap_m * 1e3:.2f} | {c.dominant_frequency_hz:.0f} |"
                f" {c.quality_factor:.1f} | {c.onset_to_peak_cycles:.1f} |"
                f" {1e3 * f.pop_duration_s:.1f} | {f.peak_level_db:.0f} |")
    return "\n".join(lines)


def fitted_table() -> str:
    """:data:`FITTED` as a Markdown table."""
    lines = ["| constant | presets | fitted to | how |", "|---|---|---|---|"]
    for f in FITTED:
        target = next(t for t in (*TARGETS, *SCENARIO_TARGETS) if t.key == f.target)
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
                        f" {', '.join(PRESETS)})")


def run(args: argparse.Namespace) -> int:
    """Print the report for parsed arguments; the exit status."""
    presets = args.preset or list(PRESETS)
    for name in presets:
        get_preset(name)
    rows, measured = report(presets, args.geometry)
    print(f"# Validation ({args.geometry} cavity)\n")
    print("## Constants fitted to a published figure\n")
    print(fitted_table())
    print("\n## Published figures and the model\n")
    print(table(rows))
    if args.geometry == "confined" and not args.preset:
        print(f"\n## The thrusts, over {PEOPLE} people (seed {PEOPLE_SEED})\n")
        print(table(scenario_rows()))
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
