"""Several joints in one event: a thrust, left and right, neighbouring levels.

A manipulative thrust opens several facet joints at once, each with its own share of
the force and its own threshold, so one manipulation can give several pops (about
3.6 per C1-C2 thrust, Dunning et al. 2013; 2.5 at C3-C4, Reggars 1996; 5.3 at L5-S1,
Mourad et al. 2019). Each joint (a :class:`Site`) is simulated with the chain of
:func:`cavitation.simulate`; the joints do not load one another, a simplification.

The upper-cervical pages describe a misaligned atlas: a one-sided spasm of the small
suboccipital muscles "jacks up" one side of the joint, and a tilted head is levelled
by muscles that shorten on one side. Here that is a left-right difference in preload
(the muscle presses one side shut) and in stiffness (its tone stiffens that side):
:func:`with_spasm`. Turning the head (:func:`turn_head`) distracts the joints on the
turned side more than those on the other.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .joint import Joint, Loading, RampAndHold
from .parameters import check_choice, check_range, replace
from .presets import get_preset
from .render import SIDES, Rendering, hear
from .simulation import CrackResult, simulate

__all__ = [
    "SCENARIOS",
    "ScaledLoading",
    "Scenario",
    "ScenarioResult",
    "Site",
    "get_scenario",
    "head_rotation",
    "render_scenario",
    "simulate_scenario",
    "spasm_response",
    "turn_head",
    "with_spasm",
]


@dataclass(frozen=True)
class ScaledLoading:
    """A share of another loading plus a constant force: ``scale F(t) + offset_n`` [N].

    Attributes
    ----------
    base : Loading
        The loading shared.
    scale : float
        Share of it that reaches this joint [-].
    offset_n : float
        Constant force added [N]: negative presses the joint shut (a muscle in spasm).
    """

    base: Loading
    scale: float = 1.0
    offset_n: float = 0.0

    def __post_init__(self) -> None:
        check_range("ScaledLoading.scale", self.scale, "1", 0.0, 10.0)
        check_range("ScaledLoading.offset_n", self.offset_n, "N", -5000.0, 5000.0)

    @property
    def duration_s(self) -> float:
        """Duration of the base loading [s]."""
        return self.base.duration_s

    def force_n(self, t: float) -> float:
        """Distraction force [N] at time ``t`` [s]."""
        return self.scale * self.base.force_n(t) + self.offset_n

    def force_vector(self) -> np.ndarray | None:
        """This loading packed for :func:`cavitation.joint.loading_force`; None if its
        base cannot be packed."""
        pack = getattr(self.base, "force_vector", None)
        vector = None if pack is None else pack()
        if vector is None:
            return None
        vector = vector.copy()
        vector[0] *= self.scale
        vector[1] = self.scale * vector[1] + self.offset_n
        return vector

    def as_dict(self) -> dict:
        """The base loading's parameters, its type, and the scale and offset [N]."""
        base = self.base.as_dict() if hasattr(self.base, "as_dict") else {}
        return {"base": {"type": type(self.base).__name__, **base}, "scale": self.scale,
                "offset_n": self.offset_n}


@dataclass(frozen=True)
class Site:
    """One joint in a scenario.

    Attributes
    ----------
    label : str
        Name, such as ``"C1-C2 left"``.
    joint : Joint
        Its parameters.
    side : {"left", "right", "center"}
        Where its sound goes.
    share : float
        Share of the scenario's loading that distracts it [-].
    preload_n : float
        Constant force on it [N]; negative presses it shut (spasm).
    """

    label: str
    joint: Joint
    side: str
    share: float = 1.0
    preload_n: float = 0.0

    def __post_init__(self) -> None:
        check_choice("side", self.side, SIDES)
        check_range(f"{self.label}: share", self.share, "1", 0.0, 10.0)


@dataclass(frozen=True)
class Scenario:
    """Joints loaded together by one loading.

    Attributes
    ----------
    name : str
        Short name.
    description : str
        One line.
    sites : tuple of Site
        The joints.
    loading : Loading
        The loading they share, each by its ``share``.
    """

    name: str
    description: str
    sites: tuple[Site, ...]
    loading: Loading
    region: str = "cervical"
    changes: tuple[str, ...] = ()

    def site_loading(self, site: Site) -> ScaledLoading:
        """The force history that reaches ``site``."""
        return ScaledLoading(self.loading, site.share, site.preload_n)

    @property
    def file_stem(self) -> str:
        """A file name for this scenario, its changes included."""
        return "_".join([self.name, *(c.replace(" ", "-") for c in self.changes)])

    def as_dict(self) -> dict:
        """Everything that defines the scenario, for the JSON beside its sound."""
        loading = self.loading.as_dict() if hasattr(self.loading, "as_dict") else {}
        return {"name": self.name, "region": self.region, "changes": list(self.changes),
                "loading": {"type": type(self.loading).__name__, **loading},
                "sites": [{"label": s.label, "joint": s.joint.name, "side": s.side,
                           "share": s.share, "preload_n": s.preload_n}
                          for s in self.sites]}


def _bilateral(level: str, preset: str, share: float) -> tuple[Site, Site]:
    joint = get_preset(preset).joint
    return (Site(f"{level} left", joint, "left", share),
            Site(f"{level} right", joint, "right", share))


SCENARIOS: dict[str, Scenario] = {
    "upper-cervical": Scenario(
        "upper-cervical",
        "a C1-C2 thrust: it opens C1-C2 on both sides, and C0-C1 and C2-C3 less",
        (*_bilateral("C1-C2", "atlanto-axial", 1.0),
         *_bilateral("C0-C1", "atlanto-occipital", 0.9),
         *_bilateral("C2-C3", "mid-cervical", 0.75)),
        get_preset("atlanto-axial").loading),
    "mid-cervical": Scenario(
        "mid-cervical",
        "a C3-C4 thrust: it opens C3-C4 on both sides, and C2-C3 and C4-C5 less",
        (*_bilateral("C3-C4", "mid-cervical", 1.0),
         *_bilateral("C2-C3", "mid-cervical", 0.9),
         *_bilateral("C4-C5", "mid-cervical", 0.9)),
        get_preset("mid-cervical").loading),
    "lumbar": Scenario(
        "lumbar",
        "a side-posture L5-S1 thrust: the facets from L5-S1 up to L1-L2 on both sides",
        (*_bilateral("L5-S1", "lumbar-facet", 1.0),
         *_bilateral("L4-L5", "lumbar-facet", 0.85),
         *_bilateral("L3-L4", "lumbar-facet", 0.7),
         *_bilateral("L2-L3", "lumbar-facet", 0.55),
         *_bilateral("L1-L2", "lumbar-facet", 0.4)),
        get_preset("lumbar-facet").loading, region="lumbar"),
}
"""Multi-joint thrusts, by name. The shares of the thrust at the neighbouring levels
are assumptions: the thrust is aimed at one level and reaches the next ones less. The
first three levels of each were chosen (session 3) so that the joints that crack over
a group of people land near the published pops per thrust; they are fitted, and the
pops heard (:mod:`cavitation.population`) are no test of them. The lumbar thrust
reaches five levels, so that up to ten pops can be heard (Mourad 2019: 2-9 per thrust;
Cramer et al. 2011 found 28 % of lumbar cavitations outside L3-L4 to L5-S1): the two
upper levels continue the lower ones' decline of 0.15 per level, unfitted."""


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; ``ValueError`` listing them if there is none."""
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; valid choices: {', '.join(SCENARIOS)}")
    return SCENARIOS[name]


def turn_head(scenario: Scenario, side: str, *, contralateral_share: float = 0.7
              ) -> Scenario:
    """The scenario with the head turned to ``side``.

    Rotation opens the facet joints on the side the head turns to, and closes those on
    the other: the joints on the far side get ``contralateral_share`` of their load
    (assumption: 0.7, chosen so that about 94 % of a group crack first on the turned
    side, as Reggars & Pollard 1995 found, when the joints that cracked were counted;
    the model does not predict that figure).

    Parameters
    ----------
    scenario : Scenario
        The thrust.
    side : {"left", "right"}
        Where the head turns.
    contralateral_share : float, optional
        Factor on the share of the joints on the other side [-], in [0, 1].
    """
    check_choice("turn side", side, ("left", "right"))
    if scenario.region != "cervical":
        raise ValueError(f"turning the head applies to the cervical scenarios, not"
                         f" {scenario.name!r}; valid choices: "
                         + ", ".join(n for n, c in SCENARIOS.items() if c.region == "cervical"))
    factor = check_range("contralateral_share", contralateral_share, "1", 0.0, 1.0)
    sites = tuple(s if s.side in (side, "center") else
                  dataclasses.replace(s, share=s.share * factor) for s in scenario.sites)
    return dataclasses.replace(scenario, sites=sites,
                               changes=(*scenario.changes, f"turned {side}"))


def head_rotation(scenario: Scenario, side: str, *, peak_force_n: float = 80.0,
                  rotation_time_s: float = 0.5, contralateral_share: float = 0.7
                  ) -> Scenario:
    """A slow rotation of the head to ``side``, with no thrust: a loading of its own.

    The rotation distracts the joints of the turned side by a force rising to
    ``peak_force_n`` over ``rotation_time_s`` (then held as long), those of the other
    side by ``contralateral_share`` of it (see :func:`turn_head`).

    Parameters
    ----------
    scenario : Scenario
        A cervical scenario (its joints and shares).
    side : {"left", "right"}
        Where the head turns.
    peak_force_n : float, optional
        Distraction of a turned-side joint with share 1 at the end of the turn [N]
        (assumption: the order of a thrust's peak, 70-120 N).
    rotation_time_s : float, optional
        Duration of the turn [s].
    contralateral_share : float, optional
        As for :func:`turn_head`.
    """
    rotation = RampAndHold(peak_force_n=peak_force_n, ramp_time_s=rotation_time_s,
                           hold_time_s=rotation_time_s)
    turned = turn_head(dataclasses.replace(scenario, loading=rotation), side,
                       contralateral_share=contralateral_share)
    return dataclasses.replace(turned, changes=(*scenario.changes, f"rotated {side}"))


def with_spasm(scenario: Scenario, side: str, *, compression_n: float = 4.0,
               stiffness_factor: float = 1.0) -> Scenario:
    """The scenario with the muscles of one side in spasm.

    A one-sided spasm presses the joints of that side shut with ``compression_n`` and
    stiffens them by ``stiffness_factor`` (muscle tone in parallel with the capsule).

    Parameters
    ----------
    scenario : Scenario
        The thrust.
    side : {"left", "right"}
        The side in spasm.
    compression_n : float, optional
        Force pressing each joint of that side shut [N], in [0, 500]. A few newtons
        delay that side's pops (4 N by default); about 10 N, or a stiffer side, can
        silence them.
    stiffness_factor : float, optional
        Factor on their stiffness [-], in [1, 10].
    """
    check_choice("spasm side", side, ("left", "right"))
    if any(change.startswith(f"spasm {side} ") for change in scenario.changes):
        # Two would stack past the ranges below (600 N, 100 times as stiff).
        raise ValueError(f"the scenario has a spasm on the {side} already; give one per side,"
                         " with its whole compression_n and stiffness_factor")
    compression_n = check_range("compression_n", compression_n, "N", 0.0, 500.0)
    factor = check_range("stiffness_factor", stiffness_factor, "1", 1.0, 10.0)
    sites = tuple(
        dataclasses.replace(s, preload_n=s.preload_n - compression_n,
                            joint=replace(s.joint, stiffness_n_m=s.joint.stiffness_n_m * factor))
        if s.side == side else s for s in scenario.sites)
    change = f"spasm {side} {compression_n:g}N x{factor:g}"
    return dataclasses.replace(scenario, sites=sites, changes=(*scenario.changes, change))


@dataclass(frozen=True)
class ScenarioResult:
    """The joints of a scenario, simulated.

    Attributes
    ----------
    scenario : Scenario
        What was simulated.
    cracks : tuple of CrackResult
        One per site, in the scenario's order.
    """

    scenario: Scenario
    cracks: tuple[CrackResult, ...]

    @property
    def pops(self) -> list[tuple[float, str, str]]:
        """``(time [s], label, side)`` of each crack, in time order."""
        found = [(c.summary.crack_time_s, s.label, s.side)
                 for s, c in zip(self.scenario.sites, self.cracks, strict=True) if c.cracked]
        return sorted(found)

    def by_label(self) -> dict[str, CrackResult]:
        """Each site's result, by its label (``"C1-C2 left"``)."""
        return {site.label: crack
                for site, crack in zip(self.scenario.sites, self.cracks, strict=True)}

    @property
    def pop_count(self) -> int:
        """How many joints cracked."""
        return len(self.pops)

    @property
    def first_side(self) -> str | None:
        """Side of the first pop: ``"both"`` if both sides pop first together (within
        1 us, the output step), ``None`` if nothing cracked."""
        if not self.pops:
            return None
        first = self.pops[0][0]
        sides = {side for t, _, side in self.pops if t - first <= 1e-6}
        return sides.pop() if len(sides) == 1 else "both"


def simulate_scenario(scenario: Scenario, **simulate_options: Any) -> ScenarioResult:
    """Simulate every joint of ``scenario`` under its share of the loading.

    ``simulate_options`` go to :func:`cavitation.simulate` for every joint. A site whose
    joint and loading equal an earlier site's (the left and right joints of a symmetric
    neck) shares that site's result: the simulation is deterministic, so it is simulated
    once. A loading that is a Python function is taken to be deterministic too: one
    that draws noise gives both sides the same draw.
    """
    done: list[tuple[Joint, Loading, CrackResult]] = []
    cracks = []
    for site in scenario.sites:
        loading = scenario.site_loading(site)
        same = next((crack for joint, other, crack in done
                     if joint == site.joint and other == loading), None)
        if same is None:
            same = simulate(site.joint, loading, **simulate_options)
            done.append((site.joint, loading, same))
        cracks.append(same)
    return ScenarioResult(scenario, tuple(cracks))


def render_scenario(result: ScenarioResult, **hear_options: Any) -> Rendering:
    """Hear all the joints of a simulated scenario: left and right channels when sided.

    ``hear_options`` go to :func:`cavitation.render.hear` (listener, sample rate,
    level, seed, settings).
    """
    sites = result.scenario.sites
    return hear(result.cracks, tuple(s.side for s in sites), tuple(s.label for s in sites),
                **hear_options)


def spasm_response(scenario: Scenario, side: str, label: str, forces_n: list[float], *,
                   stiffness_factor: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """How one joint's pop moves and sounds as a spasm on ``side`` presses harder.

    Parameters
    ----------
    scenario : Scenario
        The thrust.
    side : {"left", "right"}
        The side in spasm.
    label : str
        The joint to follow (``"C1-C2 left"``).
    forces_n : list of float
        Spasm forces to try [N].
    stiffness_factor : float, optional
        As for :func:`with_spasm`.

    Returns
    -------
    delays_s, peaks_pa : ndarray
        Delay of that joint's pop against no spasm [s], and its peak radiated pressure
        [Pa]; NaN where it no longer pops.
    """
    base = simulate_scenario(scenario, after_crack_s=2e-3).by_label()[label]
    if not base.cracked:
        raise ValueError(f"{label} does not pop without a spasm; nothing to compare")
    delays, peaks = [], []
    for force in forces_n:
        spasm = with_spasm(scenario, side, compression_n=force,
                           stiffness_factor=stiffness_factor)
        crack = simulate_scenario(spasm, after_crack_s=2e-3).by_label()[label]
        delays.append(crack.summary.crack_time_s - base.summary.crack_time_s
                      if crack.cracked else math.nan)
        peaks.append(crack.summary.peak_radiated_pressure_pa if crack.cracked else math.nan)
    return np.array(delays), np.array(peaks)
