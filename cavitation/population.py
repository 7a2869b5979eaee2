"""People: a seeded population whose joints and thrusts differ as people's do.

A scenario (:mod:`cavitation.scenario`) is one idealised person: the left and right
joints of a level are identical, so they crack at the same instant. People differ:
their facets differ in size (left from right too, "facet tropism"), their capsules in
stiffness and fluid, their joints in depth below the skin, their fluid in the tension
it withstands, and every clinician's thrust differs in force and speed.
:func:`draw_people` draws such people from the stated distributions of
:class:`Variation`. Each spread is cited or stated as an assumption.

Every quantity is log-normal about the scenario's value (its median), truncated at
:data:`TRUNCATION` standard deviations so that no draw leaves the valid ranges. The
joints of one level share part of their draw and differ by the rest, with the
correlation ``left_right_correlation`` between the two sides:

.. math:: \\ln f = \\sigma \\left(\\sqrt{\\rho}\\, z_\\mathrm{level}
          + \\sqrt{1 - \\rho}\\, z_\\mathrm{side}\\right)

The same seed gives the same people, and person ``i`` is the same whatever the size of
the group (each person has their own stream, spawned from the seed).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from . import detection
from .joint import Joint, RampAndHold, Thrust
from .parameters import Parameters, check_count, clamp, quantity, replace
from .render import hearing_options
from .scenario import Scenario, Site, get_scenario, render_scenario, simulate_scenario, turn_head

__all__ = ["TRUNCATION", "Recording", "Variation", "draw_people", "draw_person", "record",
           "record_group", "study_group", "vary_joint"]

#: Draws are truncated at this many standard deviations: a person three standard
#: deviations from the median in any one quantity is rare (0.3 %), and further out the
#: log-normal tails would leave the parameters' valid ranges.
TRUNCATION = 3.0


def _cv(default: float, doc: str, high: float = 0.5) -> float:
    """A coefficient of variation, at most ``high``: with every spread at its top, each
    draw of every scenario is a valid joint (tested), and 2,250 people so drawn (seeds
    0-4, 750 per study) all simulated and were heard (measured)."""
    return quantity(default, unit="1", low=0.0, high=high, doc=doc)


class Variation(Parameters):
    """How one person's joints and thrust differ from a scenario's: coefficients of
    variation of log-normal factors [-], and the left-right correlation."""

    area_cv: float = _cv(
        0.25, "contact area of a facet: C3 and C4 facets 78.9 +- 26.3 and 80.6 +- 27.7"
              " mm^2 (Patel 2007, CV 0.33); occipital condyles 232 +- 53 mm^2 (Ozer 2011,"
              " 0.23); atlas facets' length and width +- 7-13 % each (Kaur): 0.25")
    stiffness_cv: float = _cv(
        0.6, "stiffness of capsule and ligaments: the lumbar capsule's tangent modulus"
             " is 1.06 +- 0.73 MPa at 30 % strain (Little & Khalsa 2005, J Biomech Eng"
             " 127:15, CV 0.6-0.7 over strains)", high=0.8)
    rest_gap_cv: float = _cv(0.2, "fluid film at rest (assumption)")
    fluid_volume_cv: float = _cv(
        0.3, "the joint's synovial fluid (assumption; no figure for facet joints found)")
    depth_cv: float = _cv(
        0.16, "depth of the joint below the skin: lumbar facets lie 3.15 +- 0.5 cm deep"
              " (Galiano 2005, Anesth Analg 101:579, cadavers); 45-50 +- 6 mm to the"
              " lumbar targets in volunteers (Greher 2004); no cervical figure found",
        high=0.4)
    nucleation_cv: float = _cv(
        0.15, "tension at which the fluid breaks: the nuclei present differ from joint to"
              " joint (assumption); a draw below the nucleus's Blake threshold breaks at it",
        high=0.3)
    share_cv: float = _cv(
        0.15, "share of the thrust that reaches each joint: the contact point and the"
              " direction differ from thrust to thrust (assumption)")
    left_right_correlation: float = quantity(
        0.5, unit="1", low=0.0, high=1.0,
        doc="correlation of a level's left and right joints in every quantity above;"
            " 1 makes the sides identical (assumption: facet asymmetry, tropism, is common"
            " but smaller than the spread between people)")
    thrust_force_cv: float = _cv(
        0.13, "peak force of a thrust: cervical toggle thrusts 117.7 +- 15.6 N (Kawchuk,"
              " Herzog & Hasler 1992, JMPT 15:275; two clinician-patient pairs; forces"
              " differ more between clinicians, Herzog 2010)")
    thrust_time_cv: float = _cv(
        0.14, "duration of a thrust: 101.7 +- 14.7 ms (Kawchuk, Herzog & Hasler 1992)",
        high=0.3)
    preload_cv: float = _cv(0.2, "preload before a thrust (assumption)")


#: The joint's quantities a person varies, each with its Variation field. The
#: nucleation tension is varied apart, from the rest pressure (see :func:`_nucleation`).
_JOINT_FIELDS = (
    ("area_m2", "area_cv"),
    ("stiffness_n_m", "stiffness_cv"),
    ("rest_gap_m", "rest_gap_cv"),
    ("capsule.fluid_volume_m3", "fluid_volume_cv"),
    ("body.depth_m", "depth_cv"),
)


def _factor(cv: float, z: float) -> float:
    """Log-normal factor with coefficient of variation ``cv`` at standard score ``z``."""
    sigma = math.sqrt(math.log1p(cv * cv))
    return math.exp(sigma * min(max(z, -TRUNCATION), TRUNCATION))


def _scores(rng: np.random.Generator, levels: list[str], sites: tuple[Site, ...],
            rho: float, count: int) -> list[np.ndarray]:
    """Standard scores for each site: a level's draw shared, a side's own added."""
    shared = {level: rng.standard_normal(count) for level in levels}
    return [math.sqrt(rho) * shared[_level(site)]
            + math.sqrt(1.0 - rho) * rng.standard_normal(count) for site in sites]


def _level(site: Site) -> str:
    """The level of a site: its label without the side (``"C1-C2 left"`` -> ``"C1-C2"``)."""
    return site.label.removesuffix(f" {site.side}")


def _loading_changes(loading: object, rng: np.random.Generator,
                     variation: Variation) -> dict[str, float]:
    """One clinician's thrust (force, speed and preload) or one pull's force, as changes
    to the loading's fields; none for other loadings."""
    z = rng.standard_normal(3)
    if isinstance(loading, Thrust):
        force = _factor(variation.thrust_force_cv, z[0])
        preload = min(loading.preload_n * _factor(variation.preload_cv, z[2]),
                      loading.peak_force_n * force)
        return {"peak_force_n": loading.peak_force_n * force,
                "thrust_time_s": loading.thrust_time_s
                * _factor(variation.thrust_time_cv, z[1]),
                "preload_n": preload}
    if isinstance(loading, RampAndHold):
        return {"peak_force_n": loading.peak_force_n
                * _factor(variation.thrust_force_cv, z[0])}
    return {}


#: A drawn nucleation pressure above its nucleus's Blake threshold is set this far below
#: it [Pa]: the nucleus grows there at the latest.
BLAKE_MARGIN_PA = 100.0


def _nucleation(joint: Joint, factor: float) -> dict[str, float]:
    """The nucleation pressure with the tension below rest multiplied by ``factor``,
    at most the nucleus's Blake threshold (less :data:`BLAKE_MARGIN_PA`)."""
    tension = joint.capsule.rest_pressure_pa - joint.nucleation.pressure_pa
    pressure = min(joint.capsule.rest_pressure_pa - tension * factor,
                   joint.growth_threshold_pa - BLAKE_MARGIN_PA)
    return {"nucleation.pressure_pa": max(pressure, -1e7)}


def _joint_changes(joint: Joint, factors: dict[str, float]) -> dict[str, float]:
    """A joint's varied quantities (:data:`_JOINT_FIELDS` and the nucleation pressure),
    given the factor of each Variation field."""
    changes = {name: _get(joint, name) * factors[cv] for name, cv in _JOINT_FIELDS}
    return changes | _nucleation(joint, factors["nucleation_cv"])


def draw_person(scenario: Scenario, rng: np.random.Generator,
                variation: Variation | None = None, *, label: str = "person") -> Scenario:
    """One person: ``scenario`` with every joint and the thrust varied.

    Parameters
    ----------
    scenario : Scenario
        The thrust and its joints, as the median person.
    rng : numpy.random.Generator
        The person's random stream.
    variation : Variation, optional
        The spreads; the defaults of :class:`Variation` if not given.
    label : str, optional
        Added to the scenario's changes (and so to its file name).

    Returns
    -------
    Scenario
        The person's scenario.
    """
    variation = Variation() if variation is None else variation
    rho = variation.left_right_correlation
    sites = scenario.sites
    levels = list(dict.fromkeys(_level(site) for site in sites))
    fields = [*(cv for _, cv in _JOINT_FIELDS), "nucleation_cv", "share_cv"]
    scores = _scores(rng, levels, sites, rho, len(fields))
    loading_changes = _loading_changes(scenario.loading, rng, variation)
    loading = scenario.loading
    if loading_changes and isinstance(loading, Parameters):
        loading = replace(loading, **loading_changes)
    people_sites = []
    for site, z in zip(sites, scores, strict=True):
        f = {name: _factor(getattr(variation, name), zi)
             for name, zi in zip(fields, z, strict=True)}
        joint = replace(site.joint, **_joint_changes(site.joint, f))
        people_sites.append(dataclasses.replace(site, joint=joint,
                                                share=site.share * f["share_cv"]))
    return dataclasses.replace(scenario, sites=tuple(people_sites), loading=loading,
                               changes=(*scenario.changes, label))


def _get(params: Parameters, name: str) -> float:
    """A (dotted) field of a parameter set."""
    for part in name.split("."):
        params = getattr(params, part)
    return float(params)  # type: ignore[arg-type]


def draw_people(scenario: Scenario, count: int, *, seed: int = 0,
                variation: Variation | None = None) -> list[Scenario]:
    """A seeded group of people, each the scenario varied (:func:`draw_person`).

    Parameters
    ----------
    scenario : Scenario
        The thrust and its joints, as the median person.
    count : int
        How many people, in [1, 100000].
    seed : int, optional
        Seed, at least 0; the same seed gives the same people, and the first ``n``
        people of a larger group are the group of ``n``.
    variation : Variation, optional
        The spreads.

    Returns
    -------
    list of Scenario
        Person ``i`` has ``"person i seed s"`` added to its changes.
    """
    count = check_count("people", count, 1, 100000)
    seed = check_count("seed", seed, 0, 2**63 - 1)
    streams = np.random.SeedSequence(seed).spawn(count)
    return [draw_person(scenario, np.random.default_rng(stream), variation,
                        label=f"person {index} seed {seed}")
            for index, stream in enumerate(streams)]


def vary_joint(joint: Joint, loading: object, count: int, *, seed: int = 0,
               variation: Variation | None = None) -> list[dict[str, float]]:
    """``count`` people's versions of one joint and its pull, as parameter changes.

    Each person's facet area, stiffness, rest gap, fluid, depth and nucleation tension
    differ by :class:`Variation`'s spreads (log-normal about ``joint``'s values,
    truncated at :data:`TRUNCATION` SD), and so does the pull's force (a thrust's
    duration and preload too). A draw past the end of a field's valid range is held at
    that end (the knuckle's 5 mm depth, CV 0.16, meets the 4 mm floor in 8 % of
    people). The changes are named as ``cavitation render --set`` names them
    (``capsule.fluid_volume_m3``, ``loading.peak_force_n``), for a sweep.

    Parameters
    ----------
    joint : Joint
        The median person's joint.
    loading : Loading
        Its pull; a :class:`~cavitation.joint.Thrust` or
        :class:`~cavitation.joint.RampAndHold` is varied, others kept.
    count : int
        How many people, in [1, 1000000].
    seed : int, optional
        Seed, at least 0; person ``i`` is the same whatever ``count`` is.
    variation : Variation, optional
        The spreads (``left_right_correlation`` and ``share_cv`` do not apply to one
        joint).

    Returns
    -------
    list of dict
        One ``{name: value}`` per person, in SI units.
    """
    count = check_count("count", count, 1, 1_000_000)
    seed = check_count("seed", seed, 0, 2**63 - 1)
    variation = Variation() if variation is None else variation
    fields = [*(cv for _, cv in _JOINT_FIELDS), "nucleation_cv"]
    people = []
    for stream in np.random.SeedSequence(seed).spawn(count):
        rng = np.random.default_rng(stream)
        factors = {name: _factor(getattr(variation, name), z)
                   for name, z in zip(fields, rng.standard_normal(len(fields)), strict=True)}
        pull = _loading_changes(loading, rng, variation)  # of a Thrust or RampAndHold
        people.append({name: clamp(joint, name, value)
                       for name, value in _joint_changes(joint, factors).items()}
                      | {f"loading.{name}": clamp(cast(Parameters, loading), name, value)
                         for name, value in pull.items()})
    return people


@dataclass(frozen=True)
class Recording:
    """One person's thrust, simulated, heard by a study's sensors and its pops counted.

    Attributes
    ----------
    person : Scenario
        The person's joints and thrust.
    labels, sides : tuple of str
        Each joint's label and side.
    crack_times_s : ndarray
        When each joint cracked [s], NaN if it did not.
    pops : detection.Pops
        The pops found in the sound (:func:`cavitation.detection.detect`), on the same
        clock [s].
    """

    person: Scenario
    labels: tuple[str, ...]
    sides: tuple[str, ...]
    crack_times_s: np.ndarray
    pops: detection.Pops

    @property
    def joints_cracked(self) -> int:
        """How many joints cracked, heard or not."""
        return int(np.sum(np.isfinite(self.crack_times_s)))


#: Each joint is simulated this long after it cracks when a group is recorded [s]: a
#: pop lasts 3-6 ms at a skin microphone and about 15 ms at an accelerometer; a longer
#: window costs time and adds only the joint's slow closing.
RECORD_AFTER_CRACK_S = 15e-3


def record(person: Scenario, listener_kind: str, *, samplerate_hz: int = 48000) -> Recording:
    """Simulate one person's thrust, hear it at ``listener_kind`` and count its pops.

    Parameters
    ----------
    person : Scenario
        The person (:func:`draw_person`) or any scenario.
    listener_kind : {"contact", "accelerometer", "air"}
        The sensors, one each side.
    samplerate_hz : int, optional
        Sample rate of the recording [Hz].
    """
    result = simulate_scenario(person, after_crack_s=RECORD_AFTER_CRACK_S,
                               **hearing_options(samplerate_hz))
    rendering = render_scenario(result, listener_kind=listener_kind,
                                samplerate_hz=samplerate_hz, level="normalised")
    times = np.array([c.summary.crack_time_s if c.cracked else math.nan
                      for c in result.cracks])
    return Recording(person, tuple(s.label for s in person.sites),
                     tuple(s.side for s in person.sites), times,
                     detection.detect(rendering.signal, samplerate_hz, rendering.start_s))


def record_group(people: Sequence[Scenario], listener_kind: str, *,
                 progress: Callable[[int, int], None] | None = None) -> list[Recording]:
    """:func:`record` each person; ``progress(done, total)`` after each, if given."""
    recordings = []
    for index, person in enumerate(people):
        try:
            recordings.append(record(person, listener_kind))
        except ValueError as err:  # say who: a group is long to redo
            raise type(err)(f"{person.file_stem}: {err}") from err
        if progress is not None:
            progress(index + 1, len(people))
    return recordings


def study_group(study: str, people: int, *, seed: int = 0,
                variation: Variation | None = None,
                change: Callable[[Scenario], Scenario] | None = None) -> list[Recording]:
    """A group of people given a study's thrust and heard with its sensors.

    Parameters
    ----------
    study : str
        A key of :data:`cavitation.detection.STUDIES`.
    people : int
        How many people, in [1, 100000].
    seed : int, optional
        Seed of the people (:func:`draw_people`).
    variation : Variation, optional
        The spreads.
    change : callable, optional
        Applied to each person after drawing (a spasm, say), so that the same people
        can be compared with and without it.
    """
    about = detection.get_study(study)
    persons = draw_people(get_scenario(about.scenario), people, seed=seed,
                          variation=variation)
    if about.turn is not None:
        persons = [turn_head(person, about.turn) for person in persons]
    if change is not None:
        persons = [change(person) for person in persons]
    return record_group(persons, about.listener)
