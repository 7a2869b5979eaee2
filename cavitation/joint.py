"""The joint: two articular surfaces pulled apart, and the loads that pull them.

The moving bone (effective mass ``m``) is held by capsule and ligaments (stiffness
``k``, damping ``c``) and pulled by a distraction force ``F(t)``. The fluid acts on
the contact area ``A``:

.. math:: m \\ddot h = F(t) - k (h - h_0) - c \\dot h + A (p - p_\\mathrm{rest})

At rest the fluid is below atmospheric pressure and holds the surfaces together with
``A (p_atm - p_rest)``; the cartilage contact carries that preload, so ``h0`` is the
equilibrium when ``F = 0`` and only the change of fluid pressure appears above. This
is the lumped model of Chandran Suja & Barakat 2018 (Sci Rep 8:4600) and of
Unsworth, Dowson & Wright 1971 (Ann Rheum Dis 30:348) in one degree of freedom.

Loadings are small frozen objects with a ``force_n(t)`` method and a ``duration_s``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from .bubble import growth_threshold
from .fluid import Capsule, SynovialFluid
from .listener import BodyTransfer
from .parameters import Parameters, check_range, quantity

__all__ = [
    "KNUCKLE",
    "FunctionLoading",
    "Joint",
    "Loading",
    "Nucleation",
    "RampAndHold",
    "SampledLoading",
    "Thrust",
    "as_loading",
    "gap_acceleration",
    "loading_force",
    "loading_rate",
    "mechanics",
]


@runtime_checkable
class Loading(Protocol):
    """A distraction force history: ``force_n(t)`` [N] for ``0 <= t <= duration_s`` [s]."""

    @property
    def duration_s(self) -> float:
        """How long the loading lasts [s]."""
        ...

    def force_n(self, t: float) -> float:
        """Distraction force [N] at time ``t`` [s]."""
        ...


#: Kinds of packed loading (:func:`loading_force`).
RAMP, THRUST, SAMPLED = 0.0, 1.0, 2.0


def sampled_segment(t, vector):
    """``(index, slope)`` of the segment of a ``SAMPLED`` packed loading that holds
    ``t`` [s], inside its samples, slope in [N/s]: where evenly spaced samples would put
    it (one look for samples that are, such as a sampled function), else by bisection."""
    n = int(vector[3])
    times, forces = 4, 4 + n
    lo, hi = 0, n - 1
    position = (t - vector[times]) / (vector[times + n - 1] - vector[times]) * (n - 1)
    if 0.0 <= position < n - 1:  # (not a NaN)
        guess = int(position)
        if vector[times + guess] <= t < vector[times + guess + 1]:
            lo, hi = guess, guess + 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if vector[times + mid] <= t:
            lo = mid
        else:
            hi = mid
    slope = (vector[forces + hi] - vector[forces + lo]) / (vector[times + hi] - vector[times + lo])
    return lo, slope


def loading_force(t, vector):
    """Force [N] at ``t`` [s] of a loading packed as a vector of numbers.

    ``vector`` is ``[scale, offset_n, kind, parameters...]`` (a loading's
    ``force_vector()``), and the force ``scale F(t) + offset_n``. Kinds: ``RAMP``
    (peak [N], ramp time [s]), ``THRUST`` (preload [N], peak [N], thrust time [s],
    preload time [s]), ``SAMPLED`` (n, then n times [s] and n forces [N], linearly
    interpolated). The one place these laws are written: the loadings' ``force_n``
    call it, and numba compiles it for :mod:`cavitation._compiled`, so loadings of
    these kinds run in the compiled integrator (any other falls back to LSODA).
    """
    kind = vector[2]
    if kind == RAMP:
        peak, ramp_time = vector[3], vector[4]
        force = peak * min(max(t, 0.0) / ramp_time, 1.0)
    elif kind == THRUST:  # a linear preload, then a sin^2 pulse, then the preload
        preload, peak, thrust_time, preload_time = vector[3], vector[4], vector[5], vector[6]
        phase = (t - preload_time) / thrust_time
        if t < preload_time:
            force = preload * max(t, 0.0) / preload_time
        elif phase >= 1.0:
            force = preload
        else:
            force = preload + (peak - preload) * math.sin(math.pi * phase) ** 2
    else:  # linear between samples and held beyond them, as numpy.interp; written
        # out because numba takes seconds to compile numpy.interp, this a fraction
        n = int(vector[3])
        times, forces = 4, 4 + n
        if t <= vector[times]:
            force = vector[forces]
        elif t >= vector[times + n - 1]:
            force = vector[forces + n - 1]
        else:
            lo, slope = sampled_segment(t, vector)
            force = vector[forces + lo] + slope * (t - vector[times + lo])
    return vector[0] * force + vector[1]


def loading_rate(t, vector):
    """Rate of change [N/s] at ``t`` [s] of a loading packed as in :func:`loading_force`.

    The derivative of the same laws; for ``SAMPLED``, the slope of the segment that
    holds ``t`` (0 beyond the samples). Any packed function of time can use it: a
    sampled far-field pressure of :func:`cavitation.bubble.solve` does.
    """
    kind = vector[2]
    if kind == RAMP:
        peak, ramp_time = vector[3], vector[4]
        rate = peak / ramp_time if 0.0 <= t < ramp_time else 0.0
    elif kind == THRUST:
        preload, peak, thrust_time, preload_time = vector[3], vector[4], vector[5], vector[6]
        phase = (t - preload_time) / thrust_time
        if t < preload_time:
            rate = preload / preload_time if t >= 0.0 else 0.0
        elif phase >= 1.0:
            rate = 0.0
        else:
            rate = (peak - preload) * math.pi / thrust_time * math.sin(2.0 * math.pi * phase)
    else:
        n = int(vector[3])
        rate = 0.0 if t < vector[4] or t >= vector[4 + n - 1] else sampled_segment(t, vector)[1]
    return vector[0] * rate


class RampAndHold(Parameters):
    """A steady pull: the force rises linearly to its peak, then holds."""

    peak_force_n: float = quantity(
        60.0, unit="N", low=0.0, high=5000.0,
        doc="force reached at the end of the ramp")
    ramp_time_s: float = quantity(
        0.6, unit="s", low=1e-3, high=60.0,
        doc="time to reach the peak; a slow knuckle pull is 0.5-1 s")
    hold_time_s: float = quantity(
        0.4, unit="s", low=0.0, high=600.0, doc="time held at the peak")

    @property
    def duration_s(self) -> float:
        """Whole loading [s]."""
        return self.ramp_time_s + self.hold_time_s

    def force_n(self, t: float) -> float:
        """Distraction force [N] at time ``t`` [s]."""
        return loading_force(t, self._vector)

    def force_vector(self) -> np.ndarray:
        """This loading packed for :func:`loading_force` (the compiled integrator)."""
        return np.array([1.0, 0.0, RAMP, self.peak_force_n, self.ramp_time_s])

    @functools.cached_property
    def _vector(self) -> np.ndarray:
        return self.force_vector()


class Thrust(Parameters):
    """A manipulative thrust: a preload, then a raised-cosine impulse, then the preload.

    The impulse is ``preload + (peak - preload) sin^2(pi (t - t_0) / thrust_time_s)``:
    smooth at both ends, at its peak halfway through.
    """

    preload_n: float = quantity(
        20.0, unit="N", low=0.0, high=5000.0, doc="force held before and after the thrust")
    peak_force_n: float = quantity(
        80.0, unit="N", low=0.0, high=5000.0,
        doc="peak force of the thrust, preload included (below the preload, the impulse is"
            " a dip)")
    thrust_time_s: float = quantity(
        0.1, unit="s", low=1e-3, high=2.0,
        doc="duration of the impulse; about 100-150 ms (Dunning 2012; Herzog)")
    preload_time_s: float = quantity(
        0.2, unit="s", low=1e-3, high=60.0,
        doc="time over which the preload is applied, linearly, before the thrust")

    @property
    def duration_s(self) -> float:
        """Whole loading [s]: preload ramp, thrust and as long again after it."""
        return self.preload_time_s + 2.0 * self.thrust_time_s

    def force_n(self, t: float) -> float:
        """Distraction force [N] at time ``t`` [s]."""
        return loading_force(t, self._vector)

    def force_vector(self) -> np.ndarray:
        """This loading packed for :func:`loading_force` (the compiled integrator)."""
        return np.array([1.0, 0.0, THRUST, self.preload_n, self.peak_force_n,
                         self.thrust_time_s, self.preload_time_s])

    @functools.cached_property
    def _vector(self) -> np.ndarray:
        return self.force_vector()


@dataclass(frozen=True)
class SampledLoading:
    """A measured force history, linearly interpolated between its samples.

    Attributes
    ----------
    t_s : ndarray
        Sample times [s], increasing, starting at 0.
    force_values_n : ndarray
        Force at those times [N].
    """

    t_s: np.ndarray
    force_values_n: np.ndarray

    def __post_init__(self) -> None:
        t = np.asarray(self.t_s, dtype=float)
        f = np.asarray(self.force_values_n, dtype=float)
        if t.ndim != 1 or t.shape != f.shape or t.size < 2:
            raise ValueError("SampledLoading: t_s and force_values_n must be 1-D arrays of the"
                             f" same length >= 2; got shapes {t.shape} and {f.shape}")
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(f))):
            raise ValueError("SampledLoading: t_s [s] and force_values_n [N] must be finite")
        if t[0] != 0.0 or np.any(np.diff(t) <= 0.0):
            raise ValueError("SampledLoading.t_s must start at 0 s and increase strictly;"
                             f" got {t[0]:g} s first and {np.count_nonzero(np.diff(t) <= 0)}"
                             " non-increasing steps")
        object.__setattr__(self, "t_s", t)
        object.__setattr__(self, "force_values_n", f)

    @property
    def duration_s(self) -> float:
        """Time of the last sample [s]."""
        return float(self.t_s[-1])

    def force_n(self, t: float) -> float:
        """Distraction force [N] at time ``t`` [s]."""
        return float(np.interp(t, self.t_s, self.force_values_n))

    def force_vector(self) -> np.ndarray:
        """This loading packed for :func:`loading_force` (the compiled integrator)."""
        return np.concatenate([[1.0, 0.0, SAMPLED, self.t_s.size], self.t_s,
                               self.force_values_n])


@dataclass(frozen=True)
class FunctionLoading:
    """A user-supplied force law ``func(t) -> force [N]`` over ``duration_s`` [s]."""

    func: Callable[[float], float]
    duration_s: float

    def __post_init__(self) -> None:
        check_range("FunctionLoading.duration_s", self.duration_s, "s", 0.0, 3600.0,
                    low_open=True)

    def force_n(self, t: float) -> float:
        """Distraction force [N] at time ``t`` [s]."""
        return float(self.func(t))


def as_loading(loading: object, duration_s: float | None = None) -> Loading:
    """Accept a Loading, a function of time (with ``duration_s``) or a ``(t, F)`` pair."""
    if isinstance(loading, Loading):
        return loading
    if callable(loading):
        if duration_s is None:
            raise ValueError("a loading given as a function needs its duration [s]:"
                             " give FunctionLoading(function, duration_s)"
                             " (cavitation.joint.FunctionLoading)")
        return FunctionLoading(loading, duration_s)
    if isinstance(loading, tuple) and len(loading) == 2:
        return SampledLoading(*loading)
    raise ValueError(
        "loading must be a Loading (RampAndHold, Thrust, ...), a function of time [s]"
        f" returning force [N], or a (t_s, force_n) pair of arrays; got {type(loading).__name__}"
    )


class Nucleation(Parameters):
    """When and how the cavity appears.

    The cavity nucleates when the fluid pressure falls to ``pressure_pa``: a nucleus of
    radius ``radius_m`` in diffusive equilibrium with the dissolved gas (its gas is at
    the fluid's gas tension).
    """

    pressure_pa: float = quantity(
        -1.0e5, unit="Pa", low=-1.0e7, high=5.0e4,
        doc="absolute fluid pressure at which a cavity nucleates (below 0 is tension);"
            " water with ordinary nuclei breaks at tensions of 0.1 MPa to about 1 MPa"
            " (Sedgewick & Trevena 1976, J Phys D 9:1983); -0.1 MPa chosen so the"
            " knuckle cracks at tens of N (Unsworth 1971)")
    radius_m: float = quantity(
        5.0e-6, unit="m", low=1e-7, high=1e-4,
        doc="nucleus radius; it must be unstable at the nucleation pressure (Blake"
            " threshold), which 5 um is at tensions above 10 kPa (assumption)")


class Joint(Parameters):
    """A synovial joint: mechanics, capsule, fluid, nucleation and the body around it.

    The numbers of a particular joint live in presets such as :data:`KNUCKLE`.
    """

    name: str = field(default="joint", metadata={"doc": "the joint's name, for labels"})
    area_m2: float = quantity(
        1.5e-4, unit="m^2", low=1e-5, high=5e-3,
        doc="contact area of the articular surfaces; a disc 14 mm across, the MCP head"
            " being 13-17 mm wide (Unsworth & Alexander)")
    mass_kg: float = quantity(
        0.03, unit="kg", low=1e-3, high=20.0,
        doc="effective mass of the moving bone; the three phalanges of a finger with"
            " their soft tissue, 30 g (assumption)")
    stiffness_n_m: float = quantity(
        1.6e4, unit="N/m", low=1e2, high=1e7,
        doc="stiffness of capsule and ligaments against distraction; assumption chosen"
            " so the knuckle's surfaces spring apart by about 1 mm at the crack"
            " (Roston & Wheeler Haines 1947, order 1 mm, unverified)")
    damping_n_s_m: float = quantity(
        13.0, unit="N s/m", low=0.0, high=1e4,
        doc="damping of the moving bone; damping ratio 0.3 with the defaults"
            " (assumption)")
    rest_gap_m: float = quantity(
        1.0e-4, unit="m", low=1e-6, high=5e-3,
        doc="gap between the articular surfaces at rest (fluid film); assumption. Never"
            " zero: a lubricating film remains, and the integrator's error control fails"
            " on a state that underflows to subnormal numbers")
    capsule: Capsule = field(default_factory=Capsule)
    fluid: SynovialFluid = field(default_factory=SynovialFluid)
    nucleation: Nucleation = field(default_factory=Nucleation)
    body: BodyTransfer = field(default_factory=BodyTransfer)

    @property
    def growth_threshold_pa(self) -> float:
        """The fluid pressure below which the nucleus grows [Pa]: its Blake threshold
        (:func:`cavitation.bubble.growth_threshold`) in this joint's fluid."""
        fl = self.fluid
        return growth_threshold(self.nucleation.radius_m, gas_pressure_pa=fl.gas_tension_pa,
                                sigma=fl.surface_tension_n_m, p_v=fl.vapour_pressure_pa)

    @property
    def recess_gap_m(self) -> float:
        """Thickness [m] of the fluid layer in the capsule's recess: the capsule's fluid
        spread over the annulus from the contact's rim to ``recess_length_m`` beyond it;
        at most 1 m (no layer to speak of), as when that length is 0."""
        a = math.sqrt(self.area_m2 / math.pi)
        length = self.capsule.recess_length_m
        annulus = math.pi * length * (2.0 * a + length)
        if annulus <= 0.0:
            return 1.0
        return min(self.capsule.fluid_volume_m3 / annulus, 1.0)


KNUCKLE = Joint(name="knuckle")
"""The metacarpophalangeal (MCP) joint of a finger: every default of :class:`Joint`,
:class:`~cavitation.fluid.Capsule`, :class:`~cavitation.fluid.SynovialFluid`,
:class:`Nucleation` and :class:`~cavitation.listener.BodyTransfer` is the knuckle's."""


def gap_acceleration(force_n: float, gap_m: float, gap_rate_m_s: float,
                     pressure_pa: float, joint: Joint) -> float:
    """Acceleration of the joint gap ``hddot`` [m/s^2] (equation in the module notes).

    Parameters
    ----------
    force_n : float
        Distraction force [N].
    gap_m, gap_rate_m_s : float
        Gap [m] and its rate of change [m/s].
    pressure_pa : float
        Absolute fluid pressure [Pa].
    joint : Joint
        The joint's parameters.
    """
    return mechanics(force_n, gap_m, gap_rate_m_s, pressure_pa, joint.stiffness_n_m,
                     joint.rest_gap_m, joint.damping_n_s_m, joint.area_m2,
                     joint.capsule.rest_pressure_pa, joint.mass_kg)


def mechanics(force_n, gap_m, gap_rate_m_s, pressure_pa, stiffness_n_m, rest_gap_m,
              damping_n_s_m, area_m2, rest_pressure_pa, mass_kg):
    """:func:`gap_acceleration` on plain numbers: the one place the equation is written.

    numba compiles this very function for :mod:`cavitation._compiled`.
    """
    elastic = stiffness_n_m * (gap_m - rest_gap_m)
    fluid = area_m2 * (pressure_pa - rest_pressure_pa)
    return (force_n - elastic - damping_n_s_m * gap_rate_m_s + fluid) / mass_kg
