"""The coupled model: pull a joint open, nucleate a cavity, and follow the crack.

Two phases, one chain of equations:

1. *Before the crack* the state is the gap ``h`` and its rate. The fluid pressure
   follows from the capsule (:func:`cavitation.fluid.capsule_pressure` with no
   cavity) and acts back on the joint (:func:`cavitation.joint.gap_acceleration`).
   The phase ends when the pressure falls to the nucleation pressure, or with the
   loading ("no crack").
2. *After nucleation* a cavity of the nucleus radius joins the state. Its far-field
   pressure is the capsule pressure, which now counts the cavity's volume, so the
   coupling goes both ways: the growing cavity relieves the suction, the joint
   springs apart, and the capsule's back-pressure drives the cavity's partial
   collapse. The cavity obeys :func:`cavitation.bubble.radial_acceleration`, the same
   equation :func:`cavitation.bubble.solve` integrates.

Both phases run on the compiled Dormand-Prince 5(4) integrator of
:mod:`cavitation._compiled`, with the package's own right-hand sides compiled. Where
the problem is stiff (a small, stiff joint; a viscous fluid on a small nucleus), the
loading is a Python function, a residual bubble is followed, or numba is missing,
a phase falls back to LSODA, which takes BDF steps where the problem is stiff.

The pressure radiated to the listener comes from :mod:`cavitation.radiation`; the
time the residual gas takes to dissolve (the refractory time) from
:func:`cavitation.bubble.dissolution_time`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from . import _dsp, bubble, confined, radiation
from .bubble import IntegrationError
from .fluid import capsule_pressure, dissolved_gases, pressure_law_rate
from .joint import KNUCKLE, Joint, Loading, RampAndHold, as_loading, gap_acceleration
from .parameters import check_choice, check_range

__all__ = ["GEOMETRIES", "CrackResult", "Events", "Summary", "check_options", "simulate"]

GEOMETRIES = ("confined", "sphere")
"""Names of the cavity's geometries: a cavity confined in the film between the
articular surfaces (:mod:`cavitation.confined`, the default: the cavity is wider than
the gap it grows in), or a sphere in the capsule's fluid (:mod:`cavitation.bubble`)."""


@dataclass(frozen=True)
class Events:
    """Times of the crack's events [s] (empty arrays and NaN when there is no crack).

    Attributes
    ----------
    nucleation_s : float
        The cavity appears.
    max_radius_s : ndarray
        Every local maximum of the radius: the first is the end of growth, the others
        are rebounds.
    collapse_s : ndarray
        Every local minimum of the radius (each collapse, partial or whole).
    """

    nucleation_s: float = math.nan
    max_radius_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    collapse_s: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def rebound_s(self) -> np.ndarray:
        """Maxima of the radius after the first collapse [s]."""
        if self.collapse_s.size == 0:
            return np.empty(0)
        return self.max_radius_s[self.max_radius_s > self.collapse_s[0]]


@dataclass(frozen=True)
class Summary:
    """Summary figures of one crack; NaN where there was no crack.

    Attributes
    ----------
    cracked : bool
        Whether the fluid reached the nucleation pressure.
    crack_time_s : float
        Time of nucleation [s].
    nucleation_force_n : float
        Distraction force at nucleation [N].
    nucleation_gap_m : float
        Gap at nucleation [m]: the gap before the crack.
    nucleation_pressure_pa : float
        Absolute pressure of the capsule's fluid at nucleation [Pa], as computed at the
        event. With a confined cavity the film's centre is at the nucleation pressure
        then, the capsule above it by the squeeze film's tension.
    gap_after_m : float
        Gap once the joint has sprung open, at the force of the crack [m]: the mean
        over the last fifth of the run, less the ligaments' give to any force added
        since the crack, ``(F - F_n) / k``.
    gap_jump_m : float
        ``gap_after_m - nucleation_gap_m`` [m].
    first_max_radius_m : float
        Radius at the first maximum, the end of the cavity's formation [m].
    max_radius_m : float
        Largest cavity radius [m], reached as the joint springs open.
    first_collapse_time_s : float
        First minimum of the radius after its first maximum [s].
    first_collapse_radius_m : float
        Radius at that minimum [m].
    residual_radius_m : float
        Radius of the gas bubble left once the joint is released [m], at the resting
        pressure: the gas that diffused into the cavity while it was open (from the
        crack to the end of the loading; after the simulated window, the cavity as the
        joint yields quasi-statically to the loading), its vapour condensed.
    residual_gas_mol : tuple of float
        Moles of each dissolved gas in that bubble [mol], in the order of
        :func:`cavitation.fluid.dissolved_gases` (CO2, N2).
    residual_co2_fraction : float
        CO2's share of that gas [-] (by moles, so by volume).
    refractory_time_s : float
        Time for that bubble to dissolve [s]; 0 when there was no crack. A pull can
        crack the joint again a little before that, on what is left of the bubble
        (:func:`cavitation.protocol.recrack_time_s`).
    peak_radiated_pressure_pa : float
        Largest absolute radiated pressure at the listener [Pa].
    """

    cracked: bool
    crack_time_s: float = math.nan
    nucleation_force_n: float = math.nan
    nucleation_gap_m: float = math.nan
    nucleation_pressure_pa: float = math.nan
    gap_after_m: float = math.nan
    gap_jump_m: float = math.nan
    first_max_radius_m: float = math.nan
    max_radius_m: float = math.nan
    first_collapse_time_s: float = math.nan
    first_collapse_radius_m: float = math.nan
    residual_radius_m: float = math.nan
    residual_gas_mol: tuple = ()
    residual_co2_fraction: float = math.nan
    refractory_time_s: float = 0.0
    peak_radiated_pressure_pa: float = 0.0


@dataclass(frozen=True)
class CrackResult:
    """Everything one simulated pull produced.

    Time series share the time base ``t_s``: the loading phase on a coarse grid, the
    crack on a fine uniform grid of ``output_step_s``.

    Attributes
    ----------
    joint : Joint
        The joint that was pulled.
    loading : Loading
        The distraction force history.
    settings : Mapping
        The model choices (read-only): ``model``, ``source``, ``radiation``, ``distance_m``,
        ``after_crack_s``, ``output_step_s``, ``rtol``.
    t_s : ndarray
        Time [s].
    force_n : ndarray
        Distraction force [N].
    gap_m : ndarray
        Gap between the articular surfaces [m].
    pressure_pa : ndarray
        Absolute fluid pressure [Pa].
    radius_m : ndarray
        Cavity radius [m] (0 before nucleation).
    radius_rate_m_s : ndarray
        Cavity wall velocity [m/s].
    radius_accel_m_s2 : ndarray
        Cavity wall acceleration [m/s^2].
    gap_rate_m_s : ndarray
        Rate of change of the gap [m/s].
    source_volume_accel_m3_s2 : ndarray
        The sound source: the cavity's volume acceleration ``V''`` at emission time
        [m^3/s^2], weighted to the chosen ``source`` phase. Every listener hears this.
    radiated_pressure_pa : ndarray
        Acoustic pressure in the fluid at ``distance_m`` [Pa], in the chosen form.
    events : Events
        Nucleation, radius maxima and minima.
    summary : Summary
        The figures of the crack.
    """

    joint: Joint
    loading: Loading
    settings: Mapping
    t_s: np.ndarray
    force_n: np.ndarray
    gap_m: np.ndarray
    pressure_pa: np.ndarray
    radius_m: np.ndarray
    radius_rate_m_s: np.ndarray
    radius_accel_m_s2: np.ndarray
    gap_rate_m_s: np.ndarray
    source_volume_accel_m3_s2: np.ndarray
    radiated_pressure_pa: np.ndarray
    events: Events
    summary: Summary

    def __post_init__(self) -> None:
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))

    @property
    def cracked(self) -> bool:
        """Whether the joint cracked."""
        return self.summary.cracked

    @property
    def cavity_volume_m3(self) -> np.ndarray:
        """Cavity volume ``4/3 pi R^3`` [m^3]."""
        return 4.0 / 3.0 * math.pi * self.radius_m**3


_TOO_STIFF = ("these parameters make the joint too stiff or its cavity too singular to"
              " follow; values further from the ends of their ranges will do")


def _check_integration(sol, phase: str) -> None:
    """Raise :class:`IntegrationError` if the integrator failed or produced a non-finite
    value."""
    finite = np.all(np.isfinite(sol.y), axis=0)
    if sol.status < 0 or not finite.all():
        t_bad = sol.t[np.argmin(finite)] if not finite.all() else (
            sol.t[-1] if sol.t.size else math.nan)
        reason = sol.message if sol.status < 0 else "the state stopped being finite"
        raise IntegrationError(f"simulate: the {phase} phase failed at t = {t_bad:g} s"
                               f" ({reason}): {_TOO_STIFF}")


class _ResidualBubble:
    """A gas bubble left by an earlier crack, following the fluid quasi-statically.

    Its gas (isothermal: the opening takes a fraction of a second) and surface tension
    set its equilibrium pressure ``p_eq(R) = p_g0 (R_r/R)^3 + p_v - 2 sigma / R``, which
    must equal the capsule's pressure with the bubble's growth counted:
    ``p = capsule_pressure(A (h - h0) - (V(R) - V_r))``. ``p_eq`` falls as the bubble
    grows only up to Blake's critical radius ``R_c = sqrt(3 p_g0 R_r^3 / (2 sigma))``;
    once the capsule's pressure at ``R_c`` is below ``p_eq(R_c)`` no equilibrium is left
    and the bubble grows unstably: a crack. A bubble of a millimetre has ``R_c`` of
    centimetres, so it soaks up the opening and the joint opens without a crack.
    """

    def __init__(self, joint: Joint, radius_m: float) -> None:
        fl, self.capsule = joint.fluid, joint.capsule
        self.area, self.h0 = joint.area_m2, joint.rest_gap_m
        self.R_r = radius_m
        self.sigma, self.p_v = fl.surface_tension_n_m, fl.vapour_pressure_pa
        self.p_g0 = self.capsule.rest_pressure_pa + 2.0 * self.sigma / radius_m - self.p_v
        self.V_r = 4.0 / 3.0 * math.pi * radius_m**3
        self.R_c = (math.sqrt(3.0 * self.p_g0 * radius_m**3 / (2.0 * self.sigma))
                    if self.sigma > 0 else math.inf)
        self.R_max = min(self.R_c, RESIDUAL_RADIUS_BOUND_M)

    def equilibrium_pressure(self, R: float) -> float:
        """``p_eq(R)`` [Pa]."""
        return self.p_g0 * (self.R_r / R) ** 3 + self.p_v - 2.0 * self.sigma / R

    def capsule_side(self, h: float, hdot: float, R: float) -> float:
        """Capsule pressure [Pa] with the bubble at radius ``R`` [m]."""
        deformation = self.area * (h - self.h0) - (4.0 / 3.0 * math.pi * R**3 - self.V_r)
        return float(capsule_pressure(deformation, self.capsule, self.area * hdot))

    def radius(self, h: float, hdot: float) -> float:
        """The stable equilibrium radius [m]; ``R_max`` once there is none."""
        def balance(R: float) -> float:
            return self.equilibrium_pressure(R) - self.capsule_side(h, hdot, R)

        from scipy.optimize import brentq  # imported when used: it is slow to import

        if balance(self.R_max) >= 0.0:
            return self.R_max
        return brentq(balance, 1e-3 * self.R_r, self.R_max, xtol=1e-15, rtol=1e-12)

    def instability(self, h: float, hdot: float) -> float:
        """Positive while a stable equilibrium exists; crosses 0 at the crack [Pa]."""
        if self.R_c > RESIDUAL_RADIUS_BOUND_M:
            return 1.0
        return self.capsule_side(h, hdot, self.R_c) - self.equilibrium_pressure(self.R_c)


#: Largest radius a residual bubble is followed to [m]: beyond that it would no longer
#: fit a joint.
RESIDUAL_RADIUS_BOUND_M = 0.05


def _cavity_parameters(joint: Joint, model: str) -> dict:
    """Keyword arguments of :func:`bubble.radial_acceleration` for this joint."""
    fl, nu = joint.fluid, joint.nucleation
    return {"rho": fl.density_kg_m3, "mu": fl.viscosity_pa_s, "sigma": fl.surface_tension_n_m,
            "p_v": fl.vapour_pressure_pa, "kappa": fl.polytropic_exponent,
            "p_gas_ref": fl.gas_tension_pa, "R_ref": nu.radius_m,
            "inv_c": bubble.inverse_sound_speed(model, fl.sound_speed_m_s)}


#: Scales of the state that set the absolute tolerances (times ``rtol``): the gap [m]
#: (the film at rest) and the speeds [m/s] of the opening.
GAP_SCALE_M = 1e-4
SPEED_SCALE_M_S = 1e-2
#: Speed scale [m/s] of the crack: its wall grows at about 10 m/s and rings at about
#: 0.5 m/s, the joint springs open at tenths of a m/s. With 0.1 m/s rather than the
#: opening's 0.01 m/s it takes 18 % fewer steps; the knuckle's first collapse moves by
#: 3e-9 and its settled pressure, which magnifies the radius's error by 1e9 Pa/m, by
#: 1.7e-7 (against 3e-10); larger scales cost that pressure more than they save.
CRACK_SPEED_SCALE_M_S = 0.1


def film_speed_scale(joint: Joint) -> float:
    """Scale [m/s] of the opening speed of a joint with a film: its tolerance is
    ``rtol`` times this.

    The film's centre lies ``3 mu a^2 h' / h^3`` below its rim, so in a thin film a
    tiny error in ``h'`` is a large error in the tension that decides the crack. The
    scale is the speed whose tension, at rest (the thinnest film, the zero-shear
    viscosity), is the whole way from rest to the threshold; never more than the
    sphere's ``SPEED_SCALE_M_S``.
    """
    fl, a2 = joint.fluid, joint.area_m2 / math.pi
    sensitivity = 3.0 * max(fl.zero_shear_viscosity_pa_s, fl.viscosity_pa_s) * a2 \
        / joint.rest_gap_m**3
    way = joint.capsule.rest_pressure_pa - joint.nucleation.pressure_pa
    return min(SPEED_SCALE_M_S, way / sensitivity) if sensitivity > 0.0 else SPEED_SCALE_M_S


def _opening_lsoda(joint: Joint, loading: Loading, residual: _ResidualBubble | None,
                   rtol: float) -> tuple:
    """Phase 1 with LSODA: ``(cracked, by_residual, t_end, sol)``, ``sol(t)`` giving
    ``(h, hdot)``; ``t_end`` is the crack's time, or the loading's end."""

    A, h0, capsule = joint.area_m2, joint.rest_gap_m, joint.capsule
    p_nucleation = joint.nucleation.pressure_pa

    def opening_pressure(h: float, hdot: float) -> float:
        if residual is None:
            return float(capsule_pressure(A * (h - h0), capsule, A * hdot))
        return residual.capsule_side(h, hdot, residual.radius(h, hdot))

    def opening(t: float, y: np.ndarray) -> list[float]:
        h, hdot = y
        p = opening_pressure(h, hdot)
        return [hdot, gap_acceleration(loading.force_n(t), h, hdot, p, joint)]

    def reaches_threshold(t: float, y: np.ndarray) -> float:
        return opening_pressure(y[0], y[1]) - p_nucleation

    def residual_gives_way(t: float, y: np.ndarray) -> float:
        return residual.instability(y[0], y[1]) if residual is not None else 1.0

    for event in (reaches_threshold, residual_gives_way):
        event.terminal = True  # type: ignore[attr-defined]
        event.direction = -1  # type: ignore[attr-defined]
    pre = _stiff_solve(opening, (0.0, loading.duration_s), [h0, 0.0], phase="opening",
                       rtol=rtol, atol=[rtol * GAP_SCALE_M, rtol * SPEED_SCALE_M_S],
                       events=[reaches_threshold, residual_gives_way], dense_output=True)
    cracked = pre.status == 1
    by_residual = cracked and pre.t_events[1].size > 0
    which = 1 if by_residual else 0
    if not cracked:
        return False, False, loading.duration_s, pre.sol
    return True, by_residual, float(pre.t_events[which][0]), pre.sol


def _sphere_deformation(joint: Joint, V_ref: float, h, hdot, R, Rdot) -> tuple[float, float]:
    """The capsule's deformation [m^3] around a spherical cavity, and its rate [m^3/s]:
    the opening less the cavity's growth (``V_ref`` [m^3]: the volume a residual bubble
    already held)."""
    A, h0 = joint.area_m2, joint.rest_gap_m
    return (A * (h - h0) - (4.0 / 3.0 * math.pi * R**3 - V_ref),
            A * hdot - 4.0 * math.pi * R**2 * Rdot)


def _sphere_pressure(joint: Joint, V_ref: float, h, hdot, R, Rdot):
    """Capsule pressure [Pa] around a spherical cavity (:func:`_sphere_deformation`)."""
    deformation, rate = _sphere_deformation(joint, V_ref, h, hdot, R, Rdot)
    return capsule_pressure(deformation, joint.capsule, rate)


def _sphere_rates(joint: Joint, loading: Loading, cavity: dict, V_ref: float, t: float,
                  h: float, hdot: float, R: float, Rdot: float, p: float) -> tuple:
    """``(h'', R'')`` of the joint and its spherical cavity at capsule pressure ``p``:
    Keller-Miksis with the capsule pressure's rate of change (``dp_inf/dt``)."""
    capsule = joint.capsule
    hddot = gap_acceleration(loading.force_n(t), h, hdot, p, joint)
    dp_dt = pressure_law_rate(
        *_sphere_deformation(joint, V_ref, h, hdot, R, Rdot),
        joint.area_m2 * hddot - 8.0 * math.pi * R * Rdot**2, capsule.compliance_m3_pa,
        capsule.resistance_pa_s_m3, capsule.stiffening_volume_m3, capsule.law == "stiffening")
    per_rddot = 4.0 * math.pi * R**2 * capsule.resistance_pa_s_m3
    return hddot, bubble.radial_acceleration(R, Rdot, p, dp_inf_dt=dp_dt,
                                             dp_inf_drddot=per_rddot, **cavity)


def _confined_rates(joint: Joint, loading: Loading, t: float, y: np.ndarray | list[float],
                    nucleus: _Nucleus | None = None) -> tuple:
    """``(h'', V'', capsule pressure [Pa], film and recess viscosities [Pa s])`` of a
    confined state; the gas and reference volume of ``nucleus`` (a fresh nucleus when
    None)."""
    fl, capsule = joint.fluid, joint.capsule
    p_gas_ref, R_ref, V_ref = fl.gas_tension_pa, joint.nucleation.radius_m, 0.0
    if nucleus is not None:
        p_gas_ref, R_ref = nucleus.cavity["p_gas_ref"], nucleus.cavity["R_ref"]
        V_ref = nucleus.V_ref
    h, hdot, V, Vdot = y
    p = capsule_pressure(joint.area_m2 * (h - joint.rest_gap_m) - (V - V_ref), capsule,
                         joint.area_m2 * hdot - Vdot)
    hddot, Vddot, mu, mu_recess = confined.accelerations(
        h, hdot, V, Vdot, loading.force_n(t), p, fl.density_kg_m3, fl.viscosity_pa_s,
        fl.surface_tension_n_m, fl.vapour_pressure_pa, fl.polytropic_exponent, p_gas_ref,
        R_ref, joint.stiffness_n_m, joint.rest_gap_m, joint.damping_n_s_m, joint.area_m2,
        capsule.rest_pressure_pa, joint.mass_kg, fl.zero_shear_viscosity_pa_s,
        fl.shear_thinning_time_s, fl.shear_thinning_index, joint.recess_gap_m,
        capsule.recess_length_m)
    return hddot, Vddot, p, mu, mu_recess


def _stiff_solve(fun, span: tuple, y0, *, phase: str, **options):
    """``solve_ivp`` with LSODA, and with Radau if LSODA gives up: a film of a few
    micrometres is so stiff (its squeeze rate 1e11 1/s) that LSODA fails on its first
    step, where the implicit Runge-Kutta method answers. Both together within
    :data:`cavitation.bubble.BUDGET_S` of computing, or :class:`IntegrationError`; then
    checked (:func:`_check_integration`)."""
    from scipy.integrate import solve_ivp  # imported when used: it is slow to import

    budgeted = bubble.within_budget(fun, f"simulate: the {phase} phase", span[1], _TOO_STIFF)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # LSODA's own complaint; judged below
        warnings.simplefilter("ignore", RuntimeWarning)  # its trial steps past the valid
        sol = solve_ivp(budgeted, span, y0, method="LSODA", **options)
        if sol.status < 0:
            sol = solve_ivp(budgeted, span, y0, method="Radau", **options)
    _check_integration(sol, phase)
    return sol


def _centre_margin(joint: Joint, loading: Loading, t: float, y: np.ndarray | list[float]
                   ) -> float:
    """How far [Pa] a cavity-free film's centre pressure at ``t`` [s] and state
    ``(h, hdot)`` stands above the nucleation pressure (negative: below it)."""
    hddot, _, p, mu, mu_recess = _confined_rates(joint, loading, t, [y[0], y[1], 0.0, 0.0])
    centre = confined.centre_pressure(
        y[0], y[1], hddot, p, mu, mu_recess, joint.fluid.density_kg_m3, joint.area_m2,
        joint.recess_gap_m, joint.capsule.recess_length_m)
    return centre - joint.nucleation.pressure_pa


def _confined_opening_lsoda(joint: Joint, loading: Loading, rtol: float) -> tuple:
    """Phase 1 of the confined geometry with LSODA, as :func:`_opening_lsoda` returns it:
    the film squeezes, and the crack comes where its centre reaches the threshold."""

    def opening(t: float, y: np.ndarray) -> list[float]:
        return [y[1], _confined_rates(joint, loading, t, [y[0], y[1], 0.0, 0.0])[0]]

    def reaches_threshold(t: float, y: np.ndarray) -> float:
        return _centre_margin(joint, loading, t, y)

    reaches_threshold.terminal = True  # type: ignore[attr-defined]
    reaches_threshold.direction = -1  # type: ignore[attr-defined]
    pre = _stiff_solve(opening, (0.0, loading.duration_s), [joint.rest_gap_m, 0.0],
                       phase="opening", rtol=rtol,
                       atol=[rtol * GAP_SCALE_M, rtol * film_speed_scale(joint)],
                       events=reaches_threshold, dense_output=True)
    if pre.status != 1:
        return False, False, loading.duration_s, pre.sol
    return True, False, float(pre.t_events[0][0]), pre.sol


def _confined_crack_lsoda(joint: Joint, loading: Loading, nucleus: _Nucleus, y0: np.ndarray,
                          t_n: float, t_stop: float, t: np.ndarray, rtol: float,
                          atol: np.ndarray) -> np.ndarray:
    """Phase 2 of the confined geometry with LSODA: rows ``h, hdot, V, Vdot``, capsule
    pressure [Pa], force [N], ``V''``, as the compiled path observes them."""

    def crack(time: float, y: np.ndarray) -> list[float]:
        if y[2] <= 0.0:  # a step past the cavity's end: NaN makes LSODA take a shorter one
            return [math.nan] * 4
        hddot, Vddot, *_ = _confined_rates(joint, loading, time, y, nucleus)
        return [y[1], hddot, y[3], Vddot]

    def collapsed(time: float, y: np.ndarray) -> float:
        return y[2] - COLLAPSED_FRACTION * y0[2]

    collapsed.terminal, collapsed.direction = True, -1.0  # type: ignore[attr-defined]
    # LSODA fails on its first step with a volume tolerance below about 1e-22 m^3 (a
    # nucleus of 0.1 um at rtol 1e-8): its floor is rtol times a sphere of 13 um.
    atol = atol.copy()
    atol[2] = max(atol[2], rtol * 1e-14)
    post = _stiff_solve(crack, (t_n, t_stop), y0, phase="crack", rtol=rtol, atol=atol,
                        t_eval=t, events=collapsed)
    rates = np.array([_confined_rates(joint, loading, time, y, nucleus)
                      for time, y in zip(post.t, post.y.T, strict=True)])
    return np.vstack([post.y, rates[:, 2], _forces(loading, post.t, None), rates[:, 1]])


def _as_sphere(observed: np.ndarray | None) -> np.ndarray | None:
    """A confined crack's rows with the volume given as its equivalent sphere: ``R``
    with ``4/3 pi R^3 = V``, and ``R'``, ``R''`` from ``V'`` and ``V''``."""
    if observed is None:
        return None
    h, hdot, V, Vdot, p, force, Vddot = observed
    R = np.cbrt(3.0 * V / (4.0 * math.pi))
    Rdot = Vdot / (4.0 * math.pi * R**2)
    Rddot = (Vddot / (4.0 * math.pi) - 2.0 * R * Rdot**2) / R**2
    return np.vstack([h, hdot, R, Rdot, p, force, Rddot])


class _Compiled:
    """The compiled path (:mod:`cavitation._compiled`) for one joint and loading.

    :meth:`make` returns None where it does not apply: a loading that cannot be packed
    (a Python function of time), or numba missing or unable to cache. Its integrations
    return None when they give up on a stiff problem; LSODA then does that phase.
    """

    def __init__(self, compiled, joint: Joint, load: np.ndarray, duration_s: float,
                 model: str, geometry: str = "sphere") -> None:
        capsule, fluid = joint.capsule, joint.fluid
        joint_values = {
            "stiffness": joint.stiffness_n_m, "rest_gap": joint.rest_gap_m,
            "damping": joint.damping_n_s_m, "area": joint.area_m2,
            "rest_pressure": capsule.rest_pressure_pa, "mass": joint.mass_kg,
            "compliance": capsule.compliance_m3_pa, "resistance": capsule.resistance_pa_s_m3,
            "stiffening_volume": capsule.stiffening_volume_m3,
            "stiffening": float(capsule.law == "stiffening"), "reference_volume": 0.0,
            "nucleation_pressure": joint.nucleation.pressure_pa}
        self.compiled, self.load, self.duration_s = compiled, load, duration_s
        self.rest_gap_m = joint.rest_gap_m
        self.film_speed_scale_m_s = film_speed_scale(joint)
        film_values = {"zero_shear_viscosity": fluid.zero_shear_viscosity_pa_s,
                       "shear_thinning_time": fluid.shear_thinning_time_s,
                       "shear_thinning_index": fluid.shear_thinning_index,
                       "recess_gap": joint.recess_gap_m,
                       "recess_length": capsule.recess_length_m}
        self.q = np.concatenate([
            compiled.cavity_vector(_cavity_parameters(joint, model)),
            [joint_values[name] for name in compiled.JOINT],
            [film_values[name] for name in compiled.FILM]])
        self.crack_system = "confined" if geometry == "confined" else "crack"
        self.opening_system = "confined" if geometry == "confined" else "opening"

    @classmethod
    def make(cls, joint: Joint, loading: Loading, model: str,
             geometry: str = "sphere") -> _Compiled | None:
        pack = getattr(loading, "force_vector", None)
        load = None if pack is None else pack()
        if load is None:
            return None
        compiled = bubble.compiled_path()
        if compiled is None:
            return None
        return cls(compiled, joint, np.ascontiguousarray(load, dtype=float),
                   loading.duration_s, model, geometry)

    def opening(self, rtol: float) -> tuple | None:
        """Phase 1, as :func:`_opening_lsoda` returns it; None if stiff."""
        y0 = [self.rest_gap_m, 0.0]
        atol = [rtol * GAP_SCALE_M, rtol * SPEED_SCALE_M_S]
        if self.opening_system == "confined":  # no cavity yet: V = 0
            y0, atol = [*y0, 0.0, 0.0], [atol[0], rtol * self.film_speed_scale_m_s, 1.0, 1.0]
        sol = self.compiled.Solution(self.opening_system, y0, 0.0, self.duration_s, self.q,
                                     self.load, rtol=rtol, atol=np.array(atol))
        if sol.status < 0:
            return None
        return sol.status == 1, False, sol.t_final, lambda t: sol(t)[:2]

    def crack(self, y_n: np.ndarray, t_n: float, t_stop: float, t_post: np.ndarray,
              rtol: float, atol: np.ndarray) -> np.ndarray | None:
        """Phase 2 on the grid ``t_post``; None if stiff. Rows: ``h, hdot, R, Rdot``,
        fluid pressure [Pa], force [N], ``Rddot``."""
        confined_cavity = self.crack_system == "confined"
        sol = self.compiled.Solution(self.crack_system, y_n, t_n, t_stop, self.q, self.load,
                                     rtol=rtol, atol=atol,
                                     level=COLLAPSED_FRACTION * y_n[2] if confined_cavity
                                     else 0.0)
        if sol.status < 0:
            return None
        return sol.observe_crack(t_post[t_post <= sol.t_final], self.q, self.load)

    def forces(self, t: np.ndarray) -> np.ndarray:
        """The loading's force [N] at the times ``t`` [s]."""
        return self.compiled.forces(np.ascontiguousarray(t, dtype=float), self.load)


def _forces(loading: Loading, t: np.ndarray, fast: _Compiled | None) -> np.ndarray:
    """Force [N] at each time in ``t`` [s]."""
    if fast is not None:
        return fast.forces(t)
    return np.array([loading.force_n(ti) for ti in t], dtype=float)


#: Thinnest layer of fluid in the capsule's recess [m]: at 3 um a knuckle's crack takes
#: about 2 s to integrate; at 1 um it had not finished after 4 minutes (review).
THINNEST_RECESS_M = 3e-6


def _check_recess(joint: Joint) -> None:
    gap = joint.recess_gap_m
    if gap < THINNEST_RECESS_M:
        raise ValueError(
            f"capsule.fluid_volume_m3 = {joint.capsule.fluid_volume_m3:g} m^3 over"
            f" capsule.recess_length_m = {joint.capsule.recess_length_m:g} m makes the"
            f" recess's layer {gap:g} m thin; valid: at least {THINNEST_RECESS_M:g} m (more"
            " fluid, or a shorter recess)")


def _check_nucleus_grows(joint: Joint) -> None:
    # The growth threshold is below the vapour pressure, so below any valid resting
    # pressure too: a joint that passes this check starts out below its threshold.
    nu, limit = joint.nucleation, joint.growth_threshold_pa
    if nu.pressure_pa >= limit:
        raise ValueError(
            f"nucleation.pressure_pa = {nu.pressure_pa:g} Pa is too high for a nucleus of"
            f" nucleation.radius_m = {nu.radius_m:g} m to grow; valid range: below"
            f" {limit:g} Pa (Blake threshold), or a larger nucleus")


#: Most samples of a crack's series (``after_crack_s / output_step_s``): 4 million is 1 s
#: at 4 MHz, past the render grid of any audio rate, and 32 MB a series.
MAX_OUTPUT_SAMPLES = 4_000_000

#: Distance from the cavity at which a crack's radiated pressure is reported, unless
#: given or the cavity is wider [m]: the microphone of Chandran Suja & Barakat 2018.
DISTANCE_M = 0.01


def check_options(*, model: str = "keller_miksis", geometry: str = "confined",
                  source: str = "full",
                  radiation_form: str = "retarded", distance_m: float | None = None,
                  after_crack_s: float = 0.04, output_step_s: float = 1e-6,
                  rtol: float = 1e-8, residual_radius_m: float = 0.0) -> dict:
    """The options of :func:`simulate`, checked; ``ValueError`` names a bad one.

    Returns
    -------
    dict
        ``model``, ``geometry``, ``source``, ``radiation``, ``distance_m`` (None: chosen
        by :func:`simulate`), ``after_crack_s``, ``output_step_s``, ``rtol``,
        ``residual_radius_m``, as floats where numbers.
    """
    bubble.check_model(model)
    check_choice("geometry", geometry, GEOMETRIES)
    check_choice("source", source, radiation.SOURCES)
    check_choice("radiation form", radiation_form, radiation.FORMS)
    return {"model": model, "geometry": geometry, "source": source,
            "radiation": radiation_form,
            "distance_m": None if distance_m is None else check_range(
                "distance_m", distance_m, "m", 1e-3, 10.0),
            "after_crack_s": check_range("after_crack_s", after_crack_s, "s", 1e-3, 1.0),
            "output_step_s": check_range("output_step_s", output_step_s, "s",
                                         max(1e-8, after_crack_s / MAX_OUTPUT_SAMPLES),
                                         1e-4),
            "rtol": check_range("rtol", rtol, "1", 1e-12, 1e-4),
            "residual_radius_m": check_range("residual_radius_m", residual_radius_m, "m",
                                             0.0, 0.02)}


def simulate(
    joint: Joint = KNUCKLE,
    loading: Loading | None = None,
    *,
    model: str = "keller_miksis",
    geometry: str = "confined",
    source: str = "full",
    radiation_form: str = "retarded",
    distance_m: float | None = None,
    after_crack_s: float = 0.04,
    output_step_s: float = 1e-6,
    rtol: float = 1e-8,
    residual_radius_m: float = 0.0,
) -> CrackResult:
    """Pull a joint open and follow the crack, if there is one.

    Parameters
    ----------
    joint : Joint, optional
        Mechanics, capsule, fluid and nucleation; the knuckle by default.
    loading : Loading, callable or (t, F) pair, optional
        Distraction force history; by default a 60 N pull ramped over 0.6 s and held
        0.4 s (:class:`cavitation.joint.RampAndHold`).
    model : {"keller_miksis", "rayleigh_plesset"}, optional
        Equation of motion of a spherical cavity (``geometry="sphere"``; the confined
        cavity is incompressible).
    geometry : {"confined", "sphere"}, optional
        ``"confined"`` (default): the cavity grows in the film between the articular
        surfaces, as a sphere and then a disc, the liquid making way through the film
        (:mod:`cavitation.confined`, incompressible); the film's squeeze flow pulls on
        the joint before the crack, and the cavity nucleates where the film's
        pressure, lowest at its centre, reaches the threshold. ``"sphere"``: the
        cavity is a sphere whose far field is the capsule's pressure
        (:mod:`cavitation.bubble`, with ``model``), as up to version 0.3.
    source : {"full", "collapse", "formation"}, optional
        Which phase of the cavity's volume history radiates (see
        :mod:`cavitation.radiation`).
    radiation_form : {"retarded", "incompressible"}, optional
        Finite or infinite sound speed between cavity and listener.
    distance_m : float, optional
        Distance from the cavity at which ``radiated_pressure_pa`` is reported [m], in
        [1e-3, 10], outside the cavity. By default :data:`DISTANCE_M` (1 cm, as the
        microphone of Chandran Suja & Barakat 2018), or twice the cavity's largest
        radius if that is wider; ``result.settings["distance_m"]`` says which. The
        listeners of :mod:`cavitation.listener` have their own distances.
    after_crack_s : float, optional
        How long the crack is followed after nucleation [s], in [1e-3, 1].
    output_step_s : float, optional
        Sample step of the crack's time series [s], in [1e-8, 1e-4].
    rtol : float, optional
        Relative tolerance of the integrator [-], in [1e-12, 1e-4].
    residual_radius_m : float, optional
        Radius of a gas bubble left in the joint by an earlier crack [m], in [0, 0.02];
        0 for a joint that has not cracked recently. While it is large the joint opens
        without a crack (see ``_ResidualBubble``): the refractory period.

    Returns
    -------
    CrackResult
        Time series, events and summary; ``result.cracked`` is False when the pull
        was too weak to reach the nucleation pressure (not an error). The series end
        before ``after_crack_s`` if a confined cavity collapses completely (below
        :data:`COLLAPSED_FRACTION` of its nucleus's volume) as the joint closes again.

    Raises
    ------
    ValueError
        On an unknown model, source or radiation form, a value out of range, or a
        nucleation pressure at which the nucleus would not grow.
    """
    settings = check_options(model=model, geometry=geometry, source=source,
                             radiation_form=radiation_form,
                             distance_m=distance_m, after_crack_s=after_crack_s,
                             output_step_s=output_step_s, rtol=rtol,
                             residual_radius_m=residual_radius_m)
    rtol, residual_radius_m = settings["rtol"], settings["residual_radius_m"]
    if not isinstance(joint, Joint):
        raise ValueError(f"joint must be a cavitation.joint.Joint; got {type(joint).__name__}")
    loading = RampAndHold() if loading is None else as_loading(loading)
    _check_nucleus_grows(joint)

    if geometry == "confined":
        _check_recess(joint)
    residual = _ResidualBubble(joint, residual_radius_m) if residual_radius_m > 0 else None
    fast = _Compiled.make(joint, loading, model, geometry) if residual is None else None
    cracked, by_residual, before = _opening_phase(joint, loading, residual, fast, geometry, rtol,
                                                  settings["output_step_s"])
    if not cracked:
        zeros = np.zeros_like(before["t_s"])
        if settings["distance_m"] is None:
            settings = {**settings, "distance_m": DISTANCE_M}
        return CrackResult(
            joint=joint, loading=loading, settings=settings, **before, radius_accel_m_s2=zeros,
            source_volume_accel_m3_s2=zeros, radiated_pressure_pa=zeros.copy(),
            events=Events(), summary=Summary(cracked=False))
    nucleus = _Nucleus(joint, model, residual if by_residual else None)
    t_n = float(before["t_s"][-1])
    y_n = (float(before["gap_m"][-1]), float(before["gap_rate_m_s"][-1]))
    before = {name: series[:-1] for name, series in before.items()}
    after = _crack_phase(joint, loading, nucleus, fast, geometry, t_n, y_n, settings)
    return _heard(joint, loading, settings, before, after, t_n=t_n, fast=fast)


class _Nucleus:
    """The cavity at nucleation: its radius [m], its gas (``p_gas_ref`` [Pa] at
    ``R_ref`` [m], in ``cavity``, the keyword arguments of
    :func:`bubble.radial_acceleration`) and ``V_ref`` [m^3], the volume a residual
    bubble already held at rest. A fresh nucleus, or a residual bubble that gave way at
    its critical radius."""

    def __init__(self, joint: Joint, model: str, residual: _ResidualBubble | None) -> None:
        self.cavity = _cavity_parameters(joint, model)
        self.radius_m, self.V_ref = joint.nucleation.radius_m, 0.0
        if residual is not None:
            self.radius_m, self.V_ref = residual.R_c, residual.V_r
            self.cavity |= {"p_gas_ref": residual.p_g0 * (residual.R_r / residual.R_c) ** 3,
                            "R_ref": residual.R_c}


def _opening_phase(joint: Joint, loading: Loading, residual: _ResidualBubble | None,
                   fast: _Compiled | None, geometry: str, rtol: float,
                   output_step_s: float) -> tuple:
    """Phase 1, the joint opening: ``(cracked, by_residual, series)``, the series
    (``t_s``, ``force_n``, ``gap_m``, ``gap_rate_m_s``, ``pressure_pa``, ``radius_m``,
    ``radius_rate_m_s``) on a grid of at most 1 ms that ends at the crack, if any. Its
    last step before the crack is one output step: the sound, which starts at the
    crack, is read off these samples by interpolation, and a longer last step would
    spread its onset backwards into a ramp."""
    A, h0, capsule = joint.area_m2, joint.rest_gap_m, joint.capsule
    free_film = geometry == "confined" and residual is None
    pre: tuple | None
    if free_film and _centre_margin(joint, loading, 0.0, [h0, 0.0]) <= 0.0:
        # A force already applied at t = 0 (a step) can pull the film's centre below
        # the threshold at once, through its inertia: the cavity nucleates then. An
        # integration would see no crossing of the threshold, and no crack.
        pre = True, False, 0.0, lambda t: (np.full(np.shape(t), h0), np.zeros(np.shape(t)))
    else:
        pre = fast.opening(rtol) if fast is not None else None
    if pre is None and free_film:
        pre = _confined_opening_lsoda(joint, loading, rtol)
    elif pre is None:  # a residual bubble follows in the capsule, whatever the geometry
        pre = _opening_lsoda(joint, loading, residual, rtol)
    cracked, by_residual, t_end, sol = pre
    t = np.linspace(0.0, t_end, max(math.ceil(t_end / 1e-3), 200) + 1) if t_end > 0.0 \
        else np.zeros(1)
    if cracked and t.size > 1 and t_end - output_step_s > t[-2]:
        t = np.insert(t, t.size - 1, t_end - output_step_s)
    h, hdot = sol(t)
    zeros = np.zeros_like(t)
    if residual is None:
        p = capsule_pressure(A * (h - h0), capsule, A * hdot)
        R = Rdot = zeros
    else:  # a residual bubble changes slowly here: it radiates nothing audible
        R = np.array([residual.radius(hi, vi) for hi, vi in zip(h, hdot, strict=True)])
        p = np.array([residual.capsule_side(hi, vi, Ri)
                      for hi, vi, Ri in zip(h, hdot, R, strict=True)])
        Rdot = np.gradient(R, t)
    return cracked, by_residual, {
        "t_s": t, "force_n": _forces(loading, t, fast), "gap_m": h, "gap_rate_m_s": hdot,
        "pressure_pa": p, "radius_m": R, "radius_rate_m_s": Rdot}


#: A confined cavity whose volume falls below this fraction of its nucleus's has
#: collapsed completely: its series end there. A short thrust lets the joint close
#: again while the cavity holds little gas; the incompressible liquid would then drive
#: it through zero at a speed without bound, which no step can follow.
COLLAPSED_FRACTION = 1e-3


def _crack_phase(joint: Joint, loading: Loading, nucleus: _Nucleus, fast: _Compiled | None,
                 geometry: str, t_n: float, y_n: tuple, settings: Mapping) -> dict:
    """Phase 2, the crack, on the output grid from ``t_n`` [s]: ``t_s`` and the rows
    ``gap_m``, ``gap_rate_m_s``, ``radius_m``, ``radius_rate_m_s``, ``pressure_pa``,
    ``force_n``, ``radius_accel_m_s2`` (a confined cavity's volume as its sphere)."""
    rtol, step = settings["rtol"], settings["output_step_s"]
    t_stop = t_n + settings["after_crack_s"]
    t = t_n + step * np.arange(round(settings["after_crack_s"] / step) + 1)
    t = t[t <= t_stop]
    R_n = nucleus.radius_m
    y0 = np.array([*y_n, R_n, 0.0])
    atol = np.array([rtol * GAP_SCALE_M, rtol * CRACK_SPEED_SCALE_M_S, rtol * R_n,
                     rtol * CRACK_SPEED_SCALE_M_S])
    if geometry == "confined":  # the state holds the volume, and its tolerance is one
        y0[2] = 4.0 / 3.0 * math.pi * R_n**3
        atol[2:] = rtol * y0[2], rtol * CRACK_SPEED_SCALE_M_S * joint.area_m2
    rows = fast.crack(y0, t_n, t_stop, t, rtol, atol) if fast is not None else None
    if rows is None and geometry == "confined":
        rows = _confined_crack_lsoda(joint, loading, nucleus, y0, t_n, t_stop, t, rtol, atol)
    elif rows is None:
        rows = _sphere_crack_lsoda(joint, loading, nucleus, y0, t_n, t_stop, t, rtol, atol)
    if geometry == "confined":
        rows = _as_sphere(rows)
    assert rows is not None  # every branch above integrated the crack
    names = ("gap_m", "gap_rate_m_s", "radius_m", "radius_rate_m_s", "pressure_pa", "force_n",
             "radius_accel_m_s2")
    return {"t_s": t[:rows.shape[1]], **dict(zip(names, rows, strict=True))}


def _sphere_crack_lsoda(joint: Joint, loading: Loading, nucleus: _Nucleus, y0: np.ndarray,
                        t_n: float, t_stop: float, t: np.ndarray, rtol: float,
                        atol: np.ndarray) -> np.ndarray:
    """Phase 2 of the spherical cavity with LSODA: rows ``h, hdot, R, Rdot``, capsule
    pressure [Pa], force [N], ``R''``, as the compiled path observes them."""

    def pressure(h, hdot, R, Rdot):
        return _sphere_pressure(joint, nucleus.V_ref, h, hdot, R, Rdot)

    def crack(time: float, y: np.ndarray) -> list[float]:
        h, hdot, R, Rdot = y
        hddot, Rddot = _sphere_rates(joint, loading, nucleus.cavity, nucleus.V_ref, time, h,
                                     hdot, R, Rdot, pressure(h, hdot, R, Rdot))
        return [hdot, hddot, Rdot, Rddot]

    post = _stiff_solve(crack, (t_n, t_stop), y0, phase="crack", rtol=rtol, atol=atol,
                        t_eval=t)
    h, hdot, R, Rdot = post.y
    p = pressure(h, hdot, R, Rdot)
    Rddot = np.array([_sphere_rates(joint, loading, nucleus.cavity, nucleus.V_ref, *state)[1]
                      for state in zip(t, h, hdot, R, Rdot, p, strict=True)])
    return np.vstack([post.y, p, _forces(loading, t, None), Rddot])


def _heard(joint: Joint, loading: Loading, settings: Mapping, before: dict, after: dict, *,
           t_n: float, fast: _Compiled | None) -> CrackResult:
    """The crack's result: both phases joined, its events, its sound at ``distance_m``
    and its summary."""
    t_post, R_post = after["t_s"], after["radius_m"]
    if settings["distance_m"] is None:  # outside the cavity, however wide it grew
        settings = {**settings, "distance_m": max(DISTANCE_M, 2.0 * float(R_post.max()))}
    series = {name: np.concatenate([before[name], after[name]]) for name in before}
    t, R = series["t_s"], series["radius_m"]
    Rddot = np.concatenate([np.zeros_like(before["t_s"]), after["radius_accel_m_s2"]])
    events = Events(nucleation_s=t_n, max_radius_s=_extrema(t_post, R_post, +1),
                    collapse_s=_extrema(t_post, R_post, -1))
    fl = joint.fluid
    t_max = events.max_radius_s[0] if events.max_radius_s.size else t_post[-1]
    source_q = radiation.volume_acceleration(R, series["radius_rate_m_s"], Rddot) * \
        radiation.source_weight(t, settings["source"], t_n, t_max)
    p_rad = radiation.radiated_pressure(
        t, source_q, distance_m=settings["distance_m"], density_kg_m3=fl.density_kg_m3,
        sound_speed_m_s=fl.sound_speed_m_s, form=settings["radiation"], source_radius_m=R)
    h_post = after["gap_m"]
    summary = _summarise(
        joint, events, t_n, float(h_post[0]), t_post, h_post, R_post, after["force_n"],
        p_nucleation=float(after["pressure_pa"][0]), p_rad=p_rad, distance_m=settings["distance_m"],
        wall=_gas_history(settings["geometry"], joint, loading, t_post,
                          4.0 / 3.0 * math.pi * R_post**3, h_post, fast))
    return CrackResult(joint=joint, loading=loading, settings=settings, **series,
                       radius_accel_m_s2=Rddot, source_volume_accel_m3_s2=source_q,
                       radiated_pressure_pa=p_rad, events=events, summary=summary)


#: Smallest prominence of a radius extremum counted as an event, as a fraction of the
#: largest radius: the ringing on the joint's slow rebound makes ripples far smaller
#: than a collapse, and 1e-3 of R_max is far above the integration error (rtol 1e-8).
EVENT_PROMINENCE = 1e-3


def _extrema(t: np.ndarray, R: np.ndarray, sign: int) -> np.ndarray:
    """Times [s] of the radius maxima (``sign=+1``) or minima (-1) that stand out.

    Extrema with a prominence below ``EVENT_PROMINENCE * max(R)`` are ripples, not
    events. Each time is refined to the vertex of the parabola through the extreme
    sample and its two neighbours, which on the crack's 1 us grid is far finer than
    the sample step.
    """
    x = sign * R
    peaks = _dsp.find_peaks(x, prominence=EVENT_PROMINENCE * float(np.max(R)))
    peaks = peaks[(peaks > 0) & (peaks < x.size - 1)]
    left, mid, right = x[peaks - 1], x[peaks], x[peaks + 1]
    curvature = left - 2.0 * mid + right
    safe = np.where(curvature != 0.0, curvature, 1.0)
    shift = np.where(curvature != 0.0, 0.5 * (left - right) / safe, 0.0)
    return np.interp(peaks + shift, np.arange(t.size), t)


def _cavity_surface(geometry: str, joint: Joint, volume_m3: np.ndarray,
                    gap_m: np.ndarray) -> np.ndarray:
    """Wall area [m^2] of a cavity of ``volume_m3`` in a gap ``gap_m`` [m]: a sphere's, or,
    once a confined cavity spans the gap, its disc's: the core's two faces and the
    half-torus of its rim, ``2 pi c^2 + pi^2 c h + pi h^2`` (Pappus) for a core of
    radius ``c``, the sphere's area where ``c = 0``."""
    V, h = np.maximum(np.asarray(volume_m3, dtype=float), 0.0), np.asarray(gap_m, dtype=float)
    sphere = 4.0 * math.pi * np.cbrt(3.0 * V / (4.0 * math.pi)) ** 2
    if geometry == "sphere":
        return sphere
    c = confined.in_plane_radius(V, h, math.inf) - 0.5 * h
    disc = 2.0 * math.pi * c**2 + math.pi**2 * c * h + math.pi * h**2
    return np.where(V <= math.pi * h**3 / 6.0, sphere, disc)


#: Samples of the quasi-static continuation of the open cavity, after the simulated
#: window, until the loading ends (the gas it takes up then, ``_gas_history``).
HOLD_SAMPLES = 400


def _gas_history(geometry: str, joint: Joint, loading: Loading, t: np.ndarray,
                 volume_m3: np.ndarray, gap_m: np.ndarray, fast: _Compiled | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Times [s] and wall areas [m^2] of the cavity from nucleation until the loading
    ends, when the joint is taken to be released.

    The simulated window, then the joint held quasi-statically: the ligaments carry the
    force less the suction of a fluid at the cavity's (vapour) pressure,
    ``k (h - h0) = F - A (p_rest - p_v)``, and the cavity fills the opening less what
    the capsule gives at that pressure. It does not depend on where the window ended.
    Once that empties the cavity, it has closed: no more gas is taken up, even if the
    force rises again (that would be a new crack).
    """
    t_end = loading.duration_s
    if t_end <= t[-1]:
        return t, _cavity_surface(geometry, joint, volume_m3, gap_m)
    later = np.linspace(t[-1], t_end, HOLD_SAMPLES + 1)[1:]
    capsule, fl = joint.capsule, joint.fluid
    suction = capsule.rest_pressure_pa - fl.vapour_pressure_pa
    force = _forces(loading, later, fast)
    gap = joint.rest_gap_m + (force - joint.area_m2 * suction) / joint.stiffness_n_m
    given = capsule.compliance_m3_pa * suction  # by the capsule, at the cavity's pressure
    if capsule.law == "stiffening":
        given = capsule.stiffening_volume_m3 * math.asinh(given / capsule.stiffening_volume_m3)
    volume = joint.area_m2 * (gap - joint.rest_gap_m) - given
    closed = np.cumsum(volume <= 0.0) > 0
    volume = np.where(closed, 0.0, volume)
    return (np.concatenate([t, later]), np.concatenate([
        _cavity_surface(geometry, joint, volume_m3, gap_m),
        _cavity_surface(geometry, joint, volume, np.maximum(gap, joint.rest_gap_m))]))


def _summarise(joint: Joint, events: Events, t_n: float, h_n: float, t_post: np.ndarray,
               h_post: np.ndarray, R_post: np.ndarray, force_post: np.ndarray, *,
               p_nucleation: float, p_rad: np.ndarray, distance_m: float,
               wall: tuple[np.ndarray, np.ndarray]) -> Summary:
    """The summary figures of a crack from its phase-2 series and events."""
    max_radius = float(R_post.max())
    if max_radius >= distance_m:
        raise ValueError(
            f"distance_m = {distance_m:g} m is inside the cavity (largest radius"
            f" {max_radius:g} m); valid range: above {max_radius:g} m")
    first_max_R = first_collapse_t = first_collapse_R = math.nan
    if events.max_radius_s.size:
        first_max_R = float(np.interp(events.max_radius_s[0], t_post, R_post))
        later = events.collapse_s[events.collapse_s > events.max_radius_s[0]]
        if later.size:
            first_collapse_t = float(later[0])
            first_collapse_R = float(np.interp(first_collapse_t, t_post, R_post))
    # The gap after the crack at the force of the crack: the load may still be rising,
    # and the open joint yields to it through the ligaments alone (the cavity holds
    # the fluid near vapour pressure), so that drift is (F - F_n) / k.
    drift = (force_post - force_post[0]) / joint.stiffness_n_m
    tail = t_post >= t_post[0] + 0.8 * (t_post[-1] - t_post[0])
    gap_after = float(np.mean(h_post[tail] - drift[tail]))
    fl, p_rest = joint.fluid, joint.capsule.rest_pressure_pa
    gases = [gas[1:] for gas in dissolved_gases(fl)]
    moles = tuple(bubble.gas_uptake_history_mol(*wall, tension_pa=tension, ostwald=ostwald,
                                                diffusivity_m2_s=diffusivity)
                  for tension, ostwald, diffusivity in gases)
    bubble_at_rest = {"p_liquid": p_rest, "sigma": fl.surface_tension_n_m,
                      "p_vapour": fl.vapour_pressure_pa}
    residual = bubble.residual_radius(moles, gases, 0.0, **bubble_at_rest)
    refractory = bubble.residual_dissolution_time(moles, gases, **bubble_at_rest)
    return Summary(
        cracked=True, crack_time_s=t_n, nucleation_force_n=float(force_post[0]),
        nucleation_gap_m=h_n, nucleation_pressure_pa=p_nucleation, gap_after_m=gap_after,
        gap_jump_m=gap_after - h_n, first_max_radius_m=first_max_R, max_radius_m=max_radius,
        first_collapse_time_s=first_collapse_t, first_collapse_radius_m=first_collapse_R,
        residual_radius_m=residual, residual_gas_mol=moles,
        residual_co2_fraction=moles[0] / sum(moles) if sum(moles) > 0.0 else math.nan,
        refractory_time_s=refractory,
        peak_radiated_pressure_pa=float(np.max(np.abs(p_rad))))
