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

import numpy as np

from .joint import RampAndHold, Thrust
from .parameters import Parameters, check_range, quantity, replace
from .scenario import Scenario, Site

__all__ = ["TRUNCATION", "Variation", "draw_people", "draw_person"]

#: Draws are truncated at this many standard deviations: a person three standard
#: deviations from the median in any one quantity is rare (0.3 %), and further out the
#: log-normal tails would leave the parameters' valid ranges.
TRUNCATION = 3.0


def _cv(default: float, doc: str) -> float:
    return quantity(default, unit="1", low=0.0, high=1.0, doc=doc)


class Variation(Parameters):
    """How one person's joints and thrust differ from a scenario's: coefficients of
    variation of log-normal factors [-], and the left-right correlation."""

    area_cv: float = _cv(
        0.15, "contact area of a facet: facet width and height each vary by about 10 %"
              " between people (Panjabi 1993, Spine 18:1298, SD 1-2 mm on 10-18 mm), so"
              " their product by about 15 %")
    stiffness_cv: float = _cv(
        0.3, "stiffness of capsule and ligaments; capsular ligaments' stiffness varies by"
             " 30-50 % between specimens (assumption, the low end: living people are"
             " less scattered than cadaveric specimens)")
    rest_gap_cv: float = _cv(0.2, "fluid film at rest (assumption)")
    fluid_volume_cv: float = _cv(
        0.3, "the joint's synovial fluid (assumption; no figure for facet joints found)")
    depth_cv: float = _cv(
        0.16, "depth of the joint below the skin: lumbar facets lie 3.15 +- 0.5 cm deep"
              " (Galiano 2005, Anesth Analg 101:579)")
    nucleation_cv: float = _cv(
        0.15, "tension at which the fluid breaks: the nuclei present differ from joint to"
              " joint (assumption)")
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
              " Herzog & Hasler 1992, JMPT 15:275)")
    thrust_time_cv: float = _cv(
        0.14, "duration of a thrust: 101.7 +- 14.7 ms (Kawchuk, Herzog & Hasler 1992)")
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


def _loading(loading: object, rng: np.random.Generator, variation: Variation) -> object:
    """One clinician's thrust: force and speed varied (other loadings as they are)."""
    z = rng.standard_normal(3)
    if isinstance(loading, Thrust):
        force = _factor(variation.thrust_force_cv, z[0])
        preload = min(loading.preload_n * _factor(variation.preload_cv, z[2]),
                      loading.peak_force_n * force)
        return replace(loading, peak_force_n=loading.peak_force_n * force,
                       thrust_time_s=loading.thrust_time_s
                       * _factor(variation.thrust_time_cv, z[1]),
                       preload_n=preload)
    if isinstance(loading, RampAndHold):
        return replace(loading,
                       peak_force_n=loading.peak_force_n * _factor(variation.thrust_force_cv,
                                                                   z[0]))
    return loading


def _nucleation(site: Site, factor: float) -> dict[str, float]:
    """The nucleation pressure with the tension below rest multiplied by ``factor``."""
    joint = site.joint
    tension = joint.capsule.rest_pressure_pa - joint.nucleation.pressure_pa
    return {"nucleation.pressure_pa": max(joint.capsule.rest_pressure_pa - tension * factor,
                                          -1e7)}


def draw_person(scenario: Scenario, rng: np.random.Generator,
                variation: Variation | None = None) -> Scenario:
    """One person: ``scenario`` with every joint and the thrust varied.

    Parameters
    ----------
    scenario : Scenario
        The thrust and its joints, as the median person.
    rng : numpy.random.Generator
        The person's random stream.
    variation : Variation, optional
        The spreads; the defaults of :class:`Variation` if not given.

    Returns
    -------
    Scenario
        The person's scenario, with ``"person"`` added to its changes.
    """
    variation = Variation() if variation is None else variation
    rho = variation.left_right_correlation
    sites = scenario.sites
    levels = list(dict.fromkeys(_level(site) for site in sites))
    fields = [*(cv for _, cv in _JOINT_FIELDS), "nucleation_cv", "share_cv"]
    scores = _scores(rng, levels, sites, rho, len(fields))
    loading = _loading(scenario.loading, rng, variation)
    people_sites = []
    for site, z in zip(sites, scores, strict=True):
        f = {name: _factor(getattr(variation, name), zi)
             for name, zi in zip(fields, z, strict=True)}
        joint = site.joint
        changes = {name: _get(joint, name) * f[cv] for name, cv in _JOINT_FIELDS}
        joint = replace(joint, **changes, **_nucleation(site, f["nucleation_cv"]))
        people_sites.append(dataclasses.replace(site, joint=joint,
                                                share=site.share * f["share_cv"]))
    return dataclasses.replace(scenario, sites=tuple(people_sites), loading=loading,
                               changes=(*scenario.changes, "person"))


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
    """
    count = int(check_range("people", count, "1", 1, 100000))
    seed = int(check_range("seed", seed, "1", 0, 2**63 - 1))
    streams = np.random.SeedSequence(seed).spawn(count)
    return [draw_person(scenario, np.random.default_rng(stream), variation)
            for stream in streams]
