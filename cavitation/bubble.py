"""The cavity: spherical bubble dynamics and the gas exchange that follows.

Two equations of motion for the radius ``R(t)`` of a spherical cavity in a liquid whose
pressure far away is ``p_inf(t)``:

- ``"keller_miksis"`` (default): liquid compressibility to first order in ``Rdot / c``
  (Keller & Miksis 1980, J Acoust Soc Am 68:628; form of Prosperetti & Lezzi 1986),

  .. math::

     (1 - \\dot R/c) R \\ddot R + \\tfrac32 (1 - \\dot R/(3c)) \\dot R^2
     = (1 + \\dot R/c) (p_B - p_\\infty)/\\rho
       + R/(\\rho c)\\, (\\dot p_B - \\dot p_\\infty)

  with the far-field term ``dp_inf/dt`` as published: it matters where ``p_inf``
  changes fast, as the capsule's pressure does during a crack;

- ``"rayleigh_plesset"``: incompressible liquid, the ``c -> inf`` limit of the above
  (Brennen, *Cavitation and Bubble Dynamics*, 1995, eq. 2.12),

  .. math:: R \\ddot R + \\tfrac32 \\dot R^2 = (p_B - p_\\infty)/\\rho

with the liquid pressure at the wall

.. math:: p_B = p_g(R) + p_v - 2\\sigma/R - 4\\mu\\dot R/R, \\qquad
          p_g = p_{g,\\mathrm{ref}} (R_\\mathrm{ref}/R)^{3\\kappa}

(polytropic gas, vapour at constant pressure, surface tension, Newtonian viscosity).
Both are one function, :func:`radial_acceleration`, with ``1/c = 0`` for Rayleigh-Plesset;
the coupled joint model in :mod:`cavitation.simulation` calls the same function.

After the event the cavity holds gas that slowly re-dissolves:
:func:`dissolution_time` integrates the Epstein-Plesset equation.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .constants import BODY_TEMPERATURE_K
from .parameters import check_choice, check_range

FloatOrArray = float | np.ndarray
"""A number or an array of numbers, in the unit the parameter's docstring gives."""

__all__ = [
    "BUDGET_S",
    "MODELS",
    "BubbleSolution",
    "CompiledPathWarning",
    "IntegrationError",
    "check_model",
    "compiled_path_status",
    "dissolution_time",
    "dissolving_radius",
    "empty_cavity_collapse_time",
    "epstein_plesset_rate",
    "gas_pressure",
    "gas_uptake_history_mol",
    "gas_uptake_mol",
    "growth_threshold",
    "hermite_far_field",
    "keller_miksis",
    "minnaert_frequency",
    "radial_acceleration",
    "residual_dissolution_time",
    "residual_moles",
    "residual_radius",
    "solve",
    "wall_pressure",
]

MODELS = ("keller_miksis", "rayleigh_plesset")
"""Names of the available equations of motion for the cavity radius."""

#: An empty cavity's run ends when its radius falls to this fraction of its start
#: radius. The time still to go to R = 0 is then below 1e-7 of the collapse time
#: (near the end R ~ (t_c - t)^(2/5), Rayleigh 1917).
EMPTY_COLLAPSE_FRACTION = 1e-3

#: Computing time (CPU, not wall clock) one integration on scipy's stiff integrators
#: (LSODA, then Radau where :mod:`cavitation.simulation` falls back) may take before it
#: is given up with an :class:`IntegrationError` [s]. The compiled path is bounded by its
#: own step count (:data:`cavitation._compiled.MAX_STEPS`); past it, it hands the
#: problem to these.
BUDGET_S = 10.0


class IntegrationError(ValueError):
    """Valid parameters that make the problem too stiff or too singular to follow: the
    integrator failed, broke down to a non-finite value, or ran past :data:`BUDGET_S`."""


def within_budget(fun: Callable, what: str, t_end: float, advice: str, *,
                  variable: str = "t = ", unit: str = "s") -> Callable:
    """``fun(t, y)`` that raises :class:`IntegrationError` once :data:`BUDGET_S` of CPU
    time has passed since this call (a paused process waits, and is not charged).

    ``what`` names the integration in the message (``"bubble.solve"``), ``t_end`` is the
    end of its span, in ``unit``, of the integration ``variable``, and ``advice`` says
    what to change.
    """
    deadline = time.process_time() + BUDGET_S

    def budgeted(t: float, y: np.ndarray):
        if time.process_time() > deadline:
            raise IntegrationError(
                f"{what} did not finish within {BUDGET_S:g} s of computing"
                f" (at {variable}{t:g} {unit} of {t_end:g} {unit}): {advice}")
        return fun(t, y)

    return budgeted


class CompiledPathWarning(RuntimeWarning):
    """The compiled integrator is unavailable: every simulation runs on LSODA, tens of
    times slower."""


_slow_path_reason: str | None = None


def compiled_path():
    """:mod:`cavitation._compiled`, imported now; None if numba is missing or cannot
    cache its code (a read-only install): the callers then use LSODA, and a
    :class:`CompiledPathWarning` says so, once per process, with why and how to fix it."""
    global _slow_path_reason
    try:
        from . import _compiled
    except Exception as err:
        first = _slow_path_reason is None
        _slow_path_reason = f"{type(err).__name__}: {err}"
        if first:
            warnings.warn(
                f"cavitation: the compiled integrator is unavailable ({_slow_path_reason});"
                " every simulation falls back to LSODA, about 30 times slower."
                " Fix: pip install numba (0.60 or newer), and if the package folder is"
                " read-only, set NUMBA_CACHE_DIR to a writable folder",
                CompiledPathWarning, stacklevel=2)
        return None
    return _compiled


def compiled_path_status() -> str:
    """One line: whether the compiled integrator is active, and with which numba."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompiledPathWarning)
        module = compiled_path()
    if module is not None:
        import numba

        return f"compiled path active (numba {numba.__version__})"
    return f"compiled path unavailable ({_slow_path_reason}): LSODA, about 30 times slower"


def check_model(model: str) -> str:
    """Return ``model`` if it names an equation of motion, else raise ``ValueError``."""
    return check_choice("bubble model", model, MODELS)


def inverse_sound_speed(model: str, c: float) -> float:
    """``1/c`` [s/m] for Keller-Miksis; 0 for Rayleigh-Plesset (incompressible)."""
    return 1.0 / c if check_model(model) == "keller_miksis" else 0.0


def gas_pressure(R: FloatOrArray, p_gas_ref: float, R_ref: float,
                 kappa: float) -> FloatOrArray:
    """Polytropic gas pressure in the cavity [Pa].

    Parameters
    ----------
    R : float or ndarray
        Cavity radius [m].
    p_gas_ref : float
        Gas pressure when the radius is ``R_ref`` [Pa]; 0 for an empty cavity.
    R_ref : float
        Reference radius [m].
    kappa : float
        Polytropic exponent [-]: 1 isothermal, the ratio of specific heats adiabatic.
    """
    return p_gas_ref * (R_ref / R) ** (3.0 * kappa)


def wall_pressure(R: FloatOrArray, Rdot: FloatOrArray, *, p_gas_ref: float, R_ref: float,
                  kappa: float, sigma: float, mu: float, p_v: float) -> FloatOrArray:
    """Liquid pressure at the cavity wall, ``p_B`` [Pa].

    Parameters
    ----------
    R, Rdot : float or ndarray
        Radius [m] and wall velocity [m/s].
    p_gas_ref, R_ref, kappa :
        Gas content, see :func:`gas_pressure`.
    sigma : float
        Surface tension [N/m].
    mu : float
        Liquid dynamic viscosity [Pa s].
    p_v : float
        Vapour pressure [Pa].
    """
    p_g = gas_pressure(R, p_gas_ref, R_ref, kappa)
    return p_g + p_v - 2.0 * sigma / R - 4.0 * mu * Rdot / R


def radial_acceleration(
    R: FloatOrArray, Rdot: FloatOrArray, p_inf: FloatOrArray, *, rho: float, mu: float,
    sigma: float, p_v: float, kappa: float, p_gas_ref: float, R_ref: float, inv_c: float,
    dp_inf_dt: FloatOrArray = 0.0, dp_inf_drddot: FloatOrArray = 0.0,
) -> FloatOrArray:
    """Wall acceleration ``Rddot`` [m/s^2] from Keller-Miksis (``inv_c = 1/c``).

    With ``inv_c = 0`` this is exactly the Rayleigh-Plesset equation. The viscous part
    of ``dp_B/dt`` contains ``Rddot`` and is moved to the left-hand side, so the
    equation is solved for ``Rddot`` without iteration.

    Parameters
    ----------
    R, Rdot : float or ndarray
        Radius [m] and wall velocity [m/s].
    p_inf : float or ndarray
        Liquid pressure far from the cavity [Pa].
    rho : float
        Liquid density [kg/m^3].
    mu, sigma, p_v, kappa, p_gas_ref, R_ref :
        See :func:`wall_pressure`.
    inv_c : float
        Inverse sound speed in the liquid [s/m]; 0 for an incompressible liquid.
    dp_inf_dt : float or ndarray, optional
        Rate of change of ``p_inf`` [Pa/s], the part that does not depend on ``Rddot``.
    dp_inf_drddot : float or ndarray, optional
        The part of ``dp_inf/dt`` proportional to ``Rddot``, per unit ``Rddot``
        [Pa s/m]: where ``p_inf`` depends on the cavity's own volume rate (a capsule
        with viscous resistance), ``dp_inf/dt = dp_inf_dt + dp_inf_drddot Rddot``, and
        that term moves to the left-hand side, as ``dp_B/dt``'s viscous one does.

    Returns
    -------
    float or ndarray
        ``Rddot`` [m/s^2].
    """
    return keller_miksis(R, Rdot, p_inf, rho, mu, sigma, p_v, kappa, p_gas_ref, R_ref, inv_c,
                         dp_inf_dt, dp_inf_drddot)


def keller_miksis(R, Rdot, p_inf, rho, mu, sigma, p_v, kappa, p_gas_ref, R_ref, inv_c,
                  dp_inf_dt, dp_inf_drddot):
    """:func:`radial_acceleration` with positional arguments: plain arithmetic.

    The one place the equation is written. numba compiles this very function for
    :mod:`cavitation._compiled`, so the fast path solves the same equation.
    """
    p_g = p_gas_ref * (R_ref / R) ** (3.0 * kappa)
    p_B = p_g + p_v - 2.0 * sigma / R - 4.0 * mu * Rdot / R
    # dp_B/dt without its Rddot term: gas compression, surface tension, viscosity.
    dpB_dt = (-3.0 * kappa * p_g / R + 2.0 * sigma / R**2 + 4.0 * mu * Rdot / R**2) * Rdot
    mach = Rdot * inv_c
    rhs = ((1.0 + mach) * (p_B - p_inf) + R * inv_c * (dpB_dt - dp_inf_dt)) / rho \
        - 1.5 * (1.0 - mach / 3.0) * Rdot**2
    return rhs / ((1.0 - mach) * R + (4.0 * mu + R * dp_inf_drddot) * inv_c / rho)


@dataclass(frozen=True)
class BubbleSolution:
    """Radius history of one cavity in an unbounded liquid.

    Attributes
    ----------
    t : ndarray
        Time [s].
    R : ndarray
        Cavity radius [m].
    Rdot : ndarray
        Wall velocity [m/s].
    Rddot : ndarray
        Wall acceleration [m/s^2], from the equation of motion at each sample.
    collapsed : bool
        True if an empty cavity reached its collapse (the run ended there).
    model : str
        Equation of motion used.
    """

    t: np.ndarray
    R: np.ndarray
    Rdot: np.ndarray
    Rddot: np.ndarray
    collapsed: bool
    model: str


_STIFF_BUBBLE = "too stiff or singular to follow; try a smaller rtol or a shorter t_end"


def solve(
    R0: float,
    t_end: float,
    *,
    Rdot0: float = 0.0,
    R_eq: float | None = None,
    p_inf: float | Callable[[float], float] = 101325.0,
    model: str = "keller_miksis",
    rho: float = 998.0,
    mu: float = 1.0e-3,
    sigma: float = 0.072,
    c: float = 1500.0,
    p_v: float = 0.0,
    kappa: float = 1.4,
    rtol: float = 1e-8,
    t_eval: np.ndarray | None = None,
    method: str = "compiled",
) -> BubbleSolution:
    """Radius of one spherical cavity in an unbounded liquid.

    Parameters
    ----------
    R0 : float
        Initial radius [m], in (0, 1].
    t_end : float
        Duration [s], > 0.
    Rdot0 : float, optional
        Initial wall velocity [m/s].
    R_eq : float or None, optional
        Equilibrium radius [m] that sets the gas content: the gas pressure at ``R_eq``
        balances ``p_inf(0) + 2 sigma / R_eq - p_v``. ``None`` is an empty cavity
        (vapour only), whose run ends at its collapse (``R < 1e-3 R0``).
    p_inf : float, callable or (t_s, p_pa) pair, optional
        Liquid pressure far away [Pa]: a number; a function of time ``t`` [s]; or
        samples, a pair of arrays of increasing times [s] from 0 and pressures [Pa],
        linearly interpolated (held beyond the last). Keller-Miksis carries its rate of
        change: the slope of the samples; for a function, the rate of its reading on the
        compiled path (see ``method``), or with ``method="lsoda"`` a central difference
        of the function itself (step ``1e-6 t_end``).
    model : {"keller_miksis", "rayleigh_plesset"}, optional
        Equation of motion.
    rho : float, optional
        Liquid density [kg/m^3].
    mu : float, optional
        Liquid dynamic viscosity [Pa s].
    sigma : float, optional
        Surface tension [N/m].
    c : float, optional
        Sound speed in the liquid [m/s] (Keller-Miksis only).
    p_v : float, optional
        Vapour pressure [Pa].
    kappa : float, optional
        Polytropic exponent of the gas [-].
    rtol : float, optional
        Relative tolerance of the integrator [-].
    t_eval : ndarray, optional
        Times [s] at which to report the solution; by default the integrator's steps.
    method : {"compiled", "lsoda"}, optional
        ``"compiled"`` (default): a compiled Dormand-Prince 5(4) integrator
        (:mod:`cavitation._compiled`); a ``p_inf`` given as a function is read at
        ``FAR_FIELD_SAMPLES`` times and interpolated by cubic Hermite polynomials
        (:func:`hermite_far_field`). LSODA where the compiled steps
        collapse (a stiff problem). ``"lsoda"``: ``scipy.integrate.solve_ivp`` with a
        Python right-hand side that calls a function ``p_inf`` itself, for comparison.

    Returns
    -------
    BubbleSolution
        ``t`` [s], ``R`` [m], ``Rdot`` [m/s], ``Rddot`` [m/s^2].

    Raises
    ------
    ValueError
        On a value out of range, an unknown model or method.
    IntegrationError
        (a ``ValueError``) If LSODA fails, breaks down to a non-finite radius, or runs
        past :data:`BUDGET_S` of computing.

    Notes
    -----
    The compiled path is a 5th-order explicit method with the step-size control of
    ``solve_ivp``: at the same ``rtol`` it agrees with LSODA within the tolerance, and
    is tens of times faster (``benchmarks/bench_core.py``). The fallback,
    LSODA (``scipy.integrate.solve_ivp``), switches between
    Adams steps where the motion is smooth and BDF steps where it is stiff: the
    compressed gas at the bottom of a collapse, or viscosity on a small nucleus
    (eigenvalue ``-4 mu / (rho R^2)``). On the benchmark collapse it is twice as fast
    as the 8th-order Dormand-Prince method and its minimum radius agrees with a
    hundredfold tighter run to 1e-5. The absolute tolerances scale with ``R0`` and
    with the Rayleigh velocity scale, so the same ``rtol`` means the same accuracy for
    any cavity size.
    """
    check_model(model)
    if method not in ("compiled", "lsoda"):
        raise ValueError(f"unknown method {method!r}; valid choices: compiled, lsoda")
    R0 = check_range("R0", R0, "m", 0.0, 1.0, low_open=True)
    t_end = check_range("t_end", t_end, "s", 0.0, LONGEST_S, low_open=True)
    c = check_range("c", c, "m/s", 1.0, math.inf, low_open=False)  # Rdot0's bound
    Rdot0 = check_range("Rdot0", Rdot0, "m/s", -c, c, low_open=True, high_open=True)
    rho = check_range("rho", rho, "kg/m^3", 1.0, 2.0e4)
    mu = check_range("mu", mu, "Pa s", 0.0, 1.0e3)
    sigma = check_range("sigma", sigma, "N/m", 0.0, 1.0)
    p_v = check_range("p_v", p_v, "Pa", 0.0, 1.0e6)
    kappa = check_range("kappa", kappa, "1", 1.0, 5.0 / 3.0)
    rtol = check_range("rtol", rtol, "1", 1e-13, 1e-3)
    if t_eval is not None:
        t_eval = np.asarray(t_eval, dtype=float)
        if t_eval.ndim != 1 or t_eval.size == 0 or np.any(np.diff(t_eval) <= 0) or (
                t_eval[0] < 0.0 or t_eval[-1] > t_end):
            raise ValueError(f"t_eval must be strictly increasing times [s] within [0,"
                             f" t_end = {t_end:g}] s, at least one")
    if callable(p_inf) and method == "compiled":  # read at evenly spaced times, compiled
        p_inf_of_t, p_inf_rate, samples = _function_far_field(p_inf, t_end)
    else:
        p_inf_of_t, p_inf_rate, samples = _far_field(p_inf, t_end)
    p_inf_0 = float(p_inf_of_t(0.0)) if p_inf_of_t is not None else check_range(
        "p_inf", p_inf, "Pa", *P_INF_RANGE_PA)

    if R_eq is None:
        p_gas_ref, R_ref = 0.0, R0
    else:
        R_ref = check_range("R_eq", R_eq, "m", 0.0, 1.0, low_open=True)
        p_gas_ref = p_inf_0 + 2.0 * sigma / R_ref - p_v
        if p_gas_ref <= 0.0:
            raise ValueError(
                f"R_eq = {R_eq!r} m gives a gas pressure of {p_gas_ref:g} Pa at equilibrium;"
                " it must be positive: valid when p_inf + 2 sigma / R_eq > p_v"
            )
    inv_c = inverse_sound_speed(model, c)
    liquid = {"rho": rho, "mu": mu, "sigma": sigma, "p_v": p_v, "kappa": kappa,
              "p_gas_ref": p_gas_ref, "R_ref": R_ref, "inv_c": inv_c}

    def rhs(t: float, y: np.ndarray) -> list[float]:
        R, Rdot = y
        if p_inf_of_t is None:
            return [Rdot, radial_acceleration(R, Rdot, p_inf_0, **liquid)]
        return [Rdot, radial_acceleration(R, Rdot, p_inf_of_t(t), dp_inf_dt=p_inf_rate(t),
                                          **liquid)]

    events = []
    if R_eq is None:
        def collapsed(t: float, y: np.ndarray) -> float:
            return y[0] - EMPTY_COLLAPSE_FRACTION * R0

        collapsed.terminal = True  # type: ignore[attr-defined]
        collapsed.direction = -1  # type: ignore[attr-defined]
        events.append(collapsed)

    velocity_scale = math.sqrt(max(abs(p_inf_0), 1.0) / rho)
    atol = [rtol * R0 * EMPTY_COLLAPSE_FRACTION, rtol * velocity_scale * EMPTY_COLLAPSE_FRACTION]
    status = -1
    compiles = method == "compiled" and (p_inf_of_t is None or samples is not None)
    _compiled = compiled_path() if compiles else None
    if _compiled is not None:
        t, y, status = _compiled.solve(
            np.array([R0, Rdot0]), t_end, liquid, p_inf_0, rtol=rtol, atol=np.array(atol),
            t_eval=t_eval, level=EMPTY_COLLAPSE_FRACTION * R0 if R_eq is None else 0.0,
            samples=samples)
        if status >= 0:
            R, Rdot = y
    if status < 0:  # a function of time, a stiff problem, or LSODA asked for
        from scipy.integrate import solve_ivp  # imported when used: it is slow to import

        # A breakdown shows as non-finite values, checked below with a clear error.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            sol = solve_ivp(within_budget(rhs, "bubble.solve", t_end, _STIFF_BUBBLE),
                            (0.0, t_end), [R0, Rdot0], method="LSODA", rtol=rtol,
                            atol=atol, t_eval=t_eval, events=events or None)
        if sol.status < 0:
            raise IntegrationError(f"bubble.solve failed at t = {sol.t[-1]:g} s"
                                   f" ({sol.message}): {_STIFF_BUBBLE}")
        t, (R, Rdot), status = sol.t, sol.y, sol.status
    if not (np.all(np.isfinite(R)) and np.all(np.isfinite(Rdot))):
        bad = t[np.argmin(np.isfinite(R) & np.isfinite(Rdot))]
        raise IntegrationError(f"bubble.solve: the integration broke down at t = {bad:g} s"
                           f" (non-finite radius): {_STIFF_BUBBLE}")
    if p_inf_of_t is None:
        Rddot = radial_acceleration(R, Rdot, p_inf_0, **liquid)
    elif samples is not None:
        Rddot = radial_acceleration(R, Rdot, p_inf_of_t(t), dp_inf_dt=p_inf_rate(t), **liquid)
    else:
        p = np.array([p_inf_of_t(ti) for ti in t])
        rate = np.array([p_inf_rate(ti) for ti in t])
        Rddot = radial_acceleration(R, Rdot, p, dp_inf_dt=rate, **liquid)
    return BubbleSolution(t=t, R=R, Rdot=Rdot, Rddot=np.asarray(Rddot), collapsed=status == 1,
                          model=model)


#: A far-field pressure given as a function is read at this many evenly spaced times on
#: the compiled path, and interpolated between them by cubic Hermite polynomials
#: (:func:`hermite_far_field`, slopes by ``_far_field_slopes``); ``method="lsoda"``
#: calls it instead. The reading's error, about ``(omega dt)^3 / 20`` of the swing, is
#: 4e-11 for a swing of 3 kHz over 1 ms (measured: 5e-11 of the pressure's swing, and
#: 8e-11 of the radius's at rtol 1e-11, where the linear reading of the same samples,
#: before version 0.10, left 9e-8). A function that jumps is overshot near the jump
#: (``_far_field_slopes``).
#: A function with a few samples a period (a long ``t_end``) is read poorly either way:
#: give it as samples, or take ``method="lsoda"``.
FAR_FIELD_SAMPLES = 20_001

#: Valid far-field pressures [Pa]: a number, or every value of a function read on the
#: compiled path (LSODA calls a function where it likes, and checks none).
P_INF_RANGE_PA = (-1e8, 1e9)
#: Shortest ``t_end`` [s] over which a far field given as a function is read.
SHORTEST_READ_S = 1e-12
#: Longest ``t_end`` [s] of :func:`solve`.
LONGEST_S = 1e3

#: Kind of a far-field pressure packed for :func:`hermite_far_field`, beside the kinds
#: of a packed loading (:func:`cavitation.joint.loading_force`: 0, 1 and 2).
EVEN_HERMITE = 3.0


def hermite_far_field(t, vector):
    """``(p, dp/dt)`` [Pa, Pa/s] at ``t`` [s] of a far-field pressure read at evenly
    spaced times.

    ``vector`` is ``[1, 0, EVEN_HERMITE, n, t_first, t_last]`` [s], then the ``n``
    pressures [Pa] and the ``n`` slopes [Pa/s] at ``n`` evenly spaced times from
    ``t_first`` to ``t_last``. Between two times the pressure is the cubic Hermite
    polynomial of their pressures and slopes, so that it and its rate are continuous
    (Keller-Miksis carries the rate: a rate that jumps at every sample, as a linear
    reading's does, makes the integrator's error estimate take 1.7 times the steps);
    beyond them it is held, at rate 0. Plain arithmetic on floats, compiled by numba
    for :mod:`cavitation._compiled`.
    """
    n = int(vector[3])
    t_first, t_last = vector[4], vector[5]
    values, slopes = 6, 6 + n
    if t < t_first:
        return vector[values], 0.0
    if t > t_last:
        return vector[values + n - 1], 0.0
    step = (t_last - t_first) / (n - 1)
    x = min((t - t_first) / step, n - 1.0)  # t_last itself may round past n - 1
    i = min(int(x), n - 2)
    return _hermite_segment(x - i, vector[values + i], vector[values + i + 1],
                            vector[slopes + i], vector[slopes + i + 1], step)


def _hermite_segment(s, p0, p1, slope0, slope1, step):
    """``(p, dp/dt)`` at the fraction ``s`` of a step ``step`` [s] from pressure ``p0``
    (slope ``slope0``) to ``p1`` (``slope1``) [Pa, Pa/s]: the cubic Hermite polynomial.
    Plain arithmetic, on floats (:func:`hermite_far_field`, compiled) or on arrays."""
    m0, m1 = slope0 * step, slope1 * step
    u = 1.0 - s
    pressure = (1.0 + 2.0 * s) * u * u * p0 + s * u * u * m0 + s * s * (3.0 - 2.0 * s) * p1 \
        - s * s * u * m1
    rate = (6.0 * s * u * (p1 - p0) + u * (1.0 - 3.0 * s) * m0 + s * (3.0 * s - 2.0) * m1) / step
    return pressure, rate


def _function_far_field(function, t_end: float) -> tuple:
    """A far-field pressure given as a function, read at ``FAR_FIELD_SAMPLES`` evenly
    spaced times over ``[0, t_end]`` [s] and packed for :func:`hermite_far_field`,
    with the slopes of :func:`_far_field_slopes`.

    Returns
    -------
    tuple
        ``(value(t), rate(t), packed)``, ``value`` and ``rate`` on a number or an array of
        times, as :func:`_far_field`'s.
    """
    if t_end < SHORTEST_READ_S:
        raise ValueError(f"t_end = {t_end!r} s is too short to read p_inf(t) at"
                         f" {FAR_FIELD_SAMPLES} times; valid range with p_inf a function:"
                         f" [{SHORTEST_READ_S:g}, {LONGEST_S:g}] s")
    times, values = _sample(function, np.linspace(0.0, t_end, FAR_FIELD_SAMPLES))
    _check_far_field(times, values, "p_inf(t)",
                     f" at every time of [0, t_end = {t_end!r}] s")
    step = t_end / (times.size - 1)
    slopes = _far_field_slopes(values, step)
    packed = np.concatenate([[1.0, 0.0, EVEN_HERMITE, times.size, 0.0, t_end], values,
                             slopes])

    def on_arrays(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # hermite_far_field's reading, on arrays
        t = np.asarray(t, dtype=float)
        x = np.clip(t / step, 0.0, times.size - 1)
        i = np.minimum(x.astype(int), times.size - 2)
        pressure, rate = _hermite_segment(x - i, values[i], values[i + 1], slopes[i],
                                          slopes[i + 1], step)
        outside = (t < 0.0) | (t > t_end)
        return pressure, np.where(outside, 0.0, rate)

    def value(t):
        return on_arrays(t)[0] if np.ndim(t) else hermite_far_field(t, packed)[0]

    def rate(t):
        return on_arrays(t)[1] if np.ndim(t) else hermite_far_field(t, packed)[1]

    return value, rate, packed


def _check_far_field(times: np.ndarray, values: np.ndarray, name: str, where: str = ""
                     ) -> None:
    """``ValueError`` naming the first of ``values`` [Pa] (at ``times`` [s]) outside
    ``P_INF_RANGE_PA`` (or not finite), as ``name``, the range followed by ``where``."""
    bad = ~((values >= P_INF_RANGE_PA[0]) & (values <= P_INF_RANGE_PA[1]))
    if np.any(bad):
        at = int(np.argmax(bad))
        raise ValueError(f"{name} = {float(values[at])!r} Pa at t = {float(times[at])!r} s"
                         f" is out of range; valid range: [{P_INF_RANGE_PA[0]:g},"
                         f" {P_INF_RANGE_PA[1]:g}] Pa{where}")


def _far_field_slopes(values: np.ndarray, step: float) -> np.ndarray:
    """Slopes [Pa/s] for the cubic Hermite reading of ``values`` [Pa], ``step`` [s]
    apart: second-order differences (one-sided at the ends).

    Not limited: a limiter that keeps a monotone piece monotone (Fritsch & Carlson's, or
    PCHIP's) also flattens the slope at every smooth extremum, and read a 3 kHz far
    field's pressure 500 times and its rate 1,000 times less accurately (review). So a
    function that jumps is read with an overshoot of up to 7.4 % of the jump, within the
    sample interval on either side of it (``t_end / 20,000``); give such a far field as
    samples, which are read linearly.
    """
    return np.gradient(values, step, edge_order=2)


def _sample(function, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(times, function(times))``: called once on the array if it takes one, else at
    each time."""
    try:
        values = np.asarray(function(times), dtype=float)
    except (TypeError, ValueError):
        values = None
    if values is None or values.shape != times.shape:
        values = np.array([float(function(t)) for t in times])
    return times, values


def _far_field(p_inf, t_end: float) -> tuple:
    """``p_inf`` of :func:`solve` as ``(value(t), rate(t), samples)``: ``(None, None,
    None)`` for a number; ``samples`` is the packed vector of a sampled pressure (the
    layout of :func:`cavitation.joint.loading_force`), else None."""
    if callable(p_inf):
        step = 1e-6 * t_end

        def rate(t: float) -> float:  # central; forward where t - step would be before 0
            if t < step:
                return (p_inf(t + step) - p_inf(t)) / step
            return (p_inf(t + step) - p_inf(t - step)) / (2.0 * step)

        return p_inf, rate, None
    if not isinstance(p_inf, tuple):
        return None, None, None
    from .joint import SampledLoading, loading_force, loading_rate  # joint imports us

    if len(p_inf) != 2:
        raise ValueError("p_inf as samples must be a (t_s, p_pa) pair of arrays")
    try:
        sampled = SampledLoading(*p_inf)
    except ValueError as err:
        raise ValueError(str(err).replace("SampledLoading", "p_inf samples")
                         .replace("force_values_n [N]", "p_pa [Pa]")
                         .replace("force_values_n", "p_pa")) from None
    packed = sampled.force_vector()
    times, values = sampled.t_s, sampled.force_values_n
    _check_far_field(times, values, "p_inf samples: p_pa")  # as for a number or a function
    slopes = np.append(np.diff(values) / np.diff(times), 0.0)

    def value(t):  # loading_force's law, on arrays too
        return np.interp(t, times, values) if np.ndim(t) else loading_force(t, packed)

    def sampled_rate(t):
        if not np.ndim(t):
            return loading_rate(t, packed)
        inside = (t >= times[0]) & (t < times[-1])
        return np.where(inside, slopes[np.clip(np.searchsorted(times, t, "right") - 1, 0,
                                               times.size - 1)], 0.0)

    return value, sampled_rate, packed


def empty_cavity_collapse_time(R0: float, rho: float, delta_p: float) -> float:
    """Rayleigh's collapse time of an empty cavity [s]: ``0.915 R0 sqrt(rho / delta_p)``.

    Parameters
    ----------
    R0 : float
        Initial radius [m].
    rho : float
        Liquid density [kg/m^3].
    delta_p : float
        Liquid pressure minus cavity pressure [Pa].

    Notes
    -----
    The constant is ``sqrt(pi/6) Gamma(5/6) / Gamma(4/3) = 0.91468`` (Rayleigh 1917;
    Brennen 1995, eq. 2.44).
    """
    const = math.sqrt(math.pi / 6.0) * math.gamma(5.0 / 6.0) / math.gamma(4.0 / 3.0)
    return const * R0 * math.sqrt(rho / delta_p)


def minnaert_frequency(
    R_eq: float, *, p_inf: float, rho: float, kappa: float, sigma: float = 0.0,
    p_v: float = 0.0,
) -> float:
    """Natural frequency of small radial oscillations of a gas bubble [Hz].

    .. math:: \\omega_0^2 = \\frac{1}{\\rho R_e^2}\\left[3\\kappa (p_\\infty - p_v)
              + (6\\kappa - 2)\\frac{\\sigma}{R_e}\\right]

    Minnaert (1933) with the surface-tension correction of linear theory (Brennen 1995,
    eq. 4.9, without its viscous term).

    Parameters
    ----------
    R_eq : float
        Equilibrium radius [m].
    p_inf : float
        Liquid pressure far away [Pa].
    rho : float
        Liquid density [kg/m^3].
    kappa : float
        Polytropic exponent [-].
    sigma : float, optional
        Surface tension [N/m].
    p_v : float, optional
        Vapour pressure [Pa].
    """
    omega2 = (3.0 * kappa * (p_inf - p_v) + (6.0 * kappa - 2.0) * sigma / R_eq) / (rho * R_eq**2)
    return math.sqrt(omega2) / (2.0 * math.pi)


def epstein_plesset_rate(R, s, f, D, L, p, sigma):
    """``dR/ds`` [m/s^0.5] of a dissolving bubble in ``s = sqrt(t)`` (see
    :func:`dissolution_time`): the one place the equation is written; numba compiles
    this very function for :mod:`cavitation._compiled`."""
    R = max(R, 1e-300)
    drive = (1.0 - f + 2.0 * sigma / (p * R)) / (1.0 + 4.0 * sigma / (3.0 * p * R))
    return -D * L * drive * (2.0 * s / R + 2.0 / math.sqrt(math.pi * D))


_STIFF_DISSOLVING = "the bubble's dissolution could not be followed with these gas properties"


def _epstein_plesset(R0: float, s_end: float, *, p_liquid: float, gas_tension: float,
                     ostwald: float, diffusivity: float, sigma: float) -> tuple[bool, float, float]:
    """Integrate Epstein-Plesset in ``s = sqrt(t)`` up to ``s_end`` or dissolution.

    Returns ``(dissolved, s, R)``: whether the radius fell to 1e-3 ``R0``, and where
    the integration stopped. Compiled (:mod:`cavitation._compiled`) where numba is
    available, else LSODA; both at rtol 1e-8.
    """
    args = (gas_tension / p_liquid, diffusivity, ostwald, p_liquid, sigma)
    level, rtol, atol = 1e-3 * R0, 1e-8, 1e-6 * R0
    _compiled = compiled_path()
    if _compiled is not None:
        sol = _compiled.Solution("dissolving", [R0], 0.0, s_end, np.array(args),
                                 np.zeros(1), rtol=rtol, atol=np.array([atol]), level=level)
        if sol.status >= 0:
            return sol.status == 1, sol.t_final, float(sol.y_final[0])
    from scipy.integrate import solve_ivp  # imported when used: it is slow to import

    def gone(s: float, y: np.ndarray) -> float:
        return y[0] - level

    gone.terminal = True  # type: ignore[attr-defined]
    def dissolving(s: float, y: np.ndarray) -> list[float]:
        return [epstein_plesset_rate(y[0], s, *args)]

    sol = solve_ivp(within_budget(dissolving, "dissolution", s_end, _STIFF_DISSOLVING,
                                  variable="sqrt(t) = ", unit="s^0.5"), (0.0, s_end),
                    [R0], method="LSODA", rtol=rtol, atol=atol, events=gone)
    if sol.status < 0:
        raise IntegrationError(f"dissolution failed at sqrt(t) = {sol.t[-1]:g} s^0.5"
                               f" ({sol.message}): {_STIFF_DISSOLVING}")
    if sol.status == 1:
        return True, float(sol.t_events[0][0]), level
    return False, float(sol.t[-1]), float(sol.y[0][-1])


def dissolution_time(
    R0: float,
    *,
    p_liquid: float,
    gas_tension: float,
    ostwald: float,
    diffusivity: float,
    sigma: float,
) -> float:
    """Time for a gas bubble to dissolve completely [s] (Epstein & Plesset 1950).

    The Epstein-Plesset equation for a bubble of one gas in a liquid that is
    under-saturated (``gas_tension < p_liquid``),

    .. math:: \\frac{dR}{dt} = -D L \\,
              \\frac{1 - f + 2\\sigma/(p R)}{1 + 4\\sigma/(3 p R)}
              \\left(\\frac1R + \\frac1{\\sqrt{\\pi D t}}\\right), \\qquad f = p_g^\\infty/p,

    with ``L`` the Ostwald coefficient (dissolved over gaseous concentration at
    saturation). With ``t = s^2`` the transient term is regular at ``t = 0``.

    Parameters
    ----------
    R0 : float
        Initial bubble radius [m].
    p_liquid : float
        Liquid pressure around the bubble [Pa].
    gas_tension : float
        Partial pressure of the gas dissolved in the liquid far away [Pa].
    ostwald : float
        Ostwald solubility coefficient of the gas in the liquid [-].
    diffusivity : float
        Diffusion coefficient of the gas in the liquid [m^2/s].
    sigma : float
        Surface tension [N/m].

    Returns
    -------
    float
        Dissolution time [s]; ``inf`` if the liquid is saturated or supersaturated.

    Raises
    ------
    IntegrationError
        (a ``ValueError``) If the integration fails, runs past :data:`BUDGET_S`, or the
        bubble has not dissolved by four times its quasi-steady time.
    """
    if gas_tension >= p_liquid:
        return math.inf
    # Quasi-steady estimate R0^2 / (2 D L (1 - f)) bounds the time from above.
    bound = R0**2 / (2.0 * diffusivity * ostwald * (1.0 - gas_tension / p_liquid))
    dissolved, s, _ = _epstein_plesset(R0, 2.0 * math.sqrt(bound), p_liquid=p_liquid,
                                       gas_tension=gas_tension, ostwald=ostwald,
                                       diffusivity=diffusivity, sigma=sigma)
    if not dissolved:
        raise IntegrationError("dissolution_time: the bubble did not dissolve within four times"
                               f" its quasi-steady time, {bound:g} s: {_STIFF_DISSOLVING}")
    # The last 1e-3 R0 dissolves in (1e-3)^2 of the time: negligible.
    return s**2


def dissolving_radius(R0: float, elapsed_s: float, *, p_liquid: float, gas_tension: float,
                      ostwald: float, diffusivity: float, sigma: float) -> float:
    """Radius [m] of a dissolving gas bubble ``elapsed_s`` [s] later; 0 once dissolved.

    The same Epstein-Plesset equation as :func:`dissolution_time` (parameters there).
    """
    if elapsed_s <= 0.0:
        return R0
    dissolved, _, R = _epstein_plesset(R0, math.sqrt(elapsed_s), p_liquid=p_liquid,
                                       gas_tension=gas_tension, ostwald=ostwald,
                                       diffusivity=diffusivity, sigma=sigma)
    return 0.0 if dissolved else R


def growth_threshold(radius_m: float, *, gas_pressure_pa: float, sigma: float,
                     p_v: float) -> float:
    """Far-field pressure [Pa] below which a nucleus grows without bound.

    The static equilibrium pressure of a nucleus that holds ``gas_pressure_pa`` of gas
    at ``radius_m`` (isothermal) is ``p_eq(R) = p_g (R_n/R)^3 + p_v - 2 sigma / R``. The
    nucleus grows when the liquid's pressure is below ``p_eq`` at every radius on its
    way out: below ``p_eq(max(R_n, R_c))``, with ``R_c = sqrt(3 p_g R_n^3 / (2 sigma))``
    the critical radius of Blake (1949) (Brennen 1995, sec. 2.7).

    Parameters
    ----------
    radius_m : float
        Nucleus radius [m].
    gas_pressure_pa : float
        Gas pressure in the nucleus at ``radius_m`` [Pa].
    sigma : float
        Surface tension [N/m].
    p_v : float
        Vapour pressure [Pa].
    """
    if sigma == 0.0:
        return p_v
    R_c = math.sqrt(3.0 * gas_pressure_pa * radius_m**3 / (2.0 * sigma))
    R = max(radius_m, R_c)
    return gas_pressure_pa * (radius_m / R) ** 3 + p_v - 2.0 * sigma / R


GAS_CONSTANT_J_MOL_K = 8.314462618
"""Molar gas constant [J/(mol K)] (CODATA 2018)."""


def gas_uptake_mol(surface_m2: float, open_time_s: float, *, tension_pa: float, ostwald: float,
                   diffusivity_m2_s: float, temperature_k: float = BODY_TEMPERATURE_K) -> float:
    """Moles of a dissolved gas that diffuse into a cavity held open for a time [mol].

    The cavity holds vapour and almost no gas, so its wall takes the gas at nearly zero
    partial pressure, from a liquid at ``tension_pa``: semi-infinite diffusion into a
    wall at a fixed concentration (Crank, *The Mathematics of Diffusion*, 1975,
    sec. 3.3), ``n = 2 S c sqrt(D t / pi)`` with ``c = L p / (R T)`` the dissolved
    concentration. The diffusion length ``sqrt(D t)``, 40 um in a second, is far below
    the cavity's size, so its wall is flat to the gas.

    Parameters
    ----------
    surface_m2 : float
        The cavity's wall [m^2].
    open_time_s : float
        How long the cavity is held open [s].
    tension_pa : float
        Partial pressure of the gas dissolved in the liquid [Pa].
    ostwald : float
        Its Ostwald coefficient [-] (dissolved over gaseous concentration).
    diffusivity_m2_s : float
        Its diffusivity [m^2/s].
    temperature_k : float, optional
        Temperature [K].
    """
    return 2.0 * surface_m2 * _dissolved(tension_pa, ostwald, temperature_k) * math.sqrt(
        diffusivity_m2_s * max(open_time_s, 0.0) / math.pi)


def _dissolved(tension_pa: float, ostwald: float, temperature_k: float) -> float:
    """Concentration [mol/m^3] of a gas dissolved at ``tension_pa``: ``L p / (R T)``."""
    return ostwald * tension_pa / (GAS_CONSTANT_J_MOL_K * temperature_k)


def gas_uptake_history_mol(t_s: np.ndarray, surface_m2: np.ndarray, *, tension_pa: float,
                           ostwald: float, diffusivity_m2_s: float,
                           temperature_k: float = BODY_TEMPERATURE_K) -> float:
    """Moles of a dissolved gas that diffuse into a cavity whose wall changes [mol].

    :func:`gas_uptake_mol` for a wall of area ``S(t)``: each part of it is taken to
    have been open since ``t_s[0]``, so the flux is ``S(t) c sqrt(D / (pi (t - t0)))``.
    Integrated by the trapezoid rule in ``u = sqrt(t - t0)``, where the integrand
    ``2 S c sqrt(D / pi)`` is smooth; a constant wall gives :func:`gas_uptake_mol`
    exactly.

    Parameters
    ----------
    t_s : ndarray
        Increasing times [s], from the cavity's birth.
    surface_m2 : ndarray
        The cavity's wall at those times [m^2]; 0 where it has closed.
    tension_pa, ostwald, diffusivity_m2_s, temperature_k :
        As :func:`gas_uptake_mol`.
    """
    u = np.sqrt(np.asarray(t_s, dtype=float) - t_s[0])
    S = np.asarray(surface_m2, dtype=float)
    return float(_dissolved(tension_pa, ostwald, temperature_k)
                 * math.sqrt(diffusivity_m2_s / math.pi)
                 * np.sum((S[1:] + S[:-1]) * np.diff(u)))


def _gas_radius(moles: float, p_liquid: float, temperature_k: float) -> float:
    """Radius [m] of a bubble of ``moles`` of ideal gas at ``p_liquid`` [Pa]."""
    volume = moles * GAS_CONSTANT_J_MOL_K * temperature_k / p_liquid
    return (3.0 * volume / (4.0 * math.pi)) ** (1.0 / 3.0)


def _schedule(moles, gases, p_gas: float, sigma: float, temperature_k: float) -> list:
    """The gases in the order they leave, the fastest to dissolve alone first:
    ``[(index, radius [m], Epstein-Plesset keywords, time to dissolve [s])]``, each gas
    alone at the gases' pressure ``p_gas`` [Pa]."""
    schedule = []
    for i, (n, (tension, ostwald, diffusivity)) in enumerate(zip(moles, gases, strict=True)):
        if n <= 0.0:
            continue
        radius = _gas_radius(n, p_gas, temperature_k)
        gas = {"p_liquid": p_gas, "gas_tension": tension, "ostwald": ostwald,
               "diffusivity": diffusivity, "sigma": sigma}
        schedule.append((i, radius, gas, dissolution_time(radius, **gas)))
    return sorted(schedule, key=lambda entry: entry[3])


def residual_dissolution_time(moles, gases, *, p_liquid: float, sigma: float,
                              p_vapour: float = 0.0,
                              temperature_k: float = BODY_TEMPERATURE_K) -> float:
    """Time for a bubble of several gases to dissolve [s], one gas after the other.

    After a crack the cavity's vapour condenses at once and the gas that diffused in
    is left (:func:`gas_uptake_mol`). Each gas dissolves by Epstein-Plesset
    (:func:`dissolution_time`); they are taken one after the other, the fastest to
    dissolve alone first. That is an approximation: CO2 is fifty times as soluble as N2 and leaves
    in a minute or two, while the nitrogen left behind dissolves against a small
    undersaturation (its tension near the liquid's pressure) and sets the time.

    Parameters
    ----------
    moles : sequence of float
        Moles of each gas [mol].
    gases : sequence of (tension [Pa], Ostwald [-], diffusivity [m^2/s])
        Each gas's properties (:func:`cavitation.fluid.dissolved_gases` without names).
    p_liquid : float
        Liquid pressure around the bubble [Pa].
    sigma : float
        Surface tension [N/m].
    p_vapour : float, optional
        Vapour pressure [Pa]: the bubble holds vapour too, so its gases are at
        ``p_liquid - p_vapour`` (plus the Laplace pressure), and that is the pressure
        Epstein-Plesset is given.
    temperature_k : float, optional
        Temperature [K].

    Returns
    -------
    float
        Time [s]; ``inf`` if a gas's tension is at or above the gases' pressure.
    """
    schedule = _schedule(moles, gases, p_liquid - p_vapour, sigma, temperature_k)
    return sum(duration for *_, duration in schedule)


def residual_moles(moles, gases, elapsed_s: float, *, p_liquid: float, sigma: float,
                   p_vapour: float = 0.0, temperature_k: float = BODY_TEMPERATURE_K
                   ) -> tuple[float, ...]:
    """Moles of each gas [mol] left ``elapsed_s`` [s] later, in the order of ``moles``.

    The gases leave one after the other, as in :func:`residual_dissolution_time`
    (parameters there): those gone are 0, the one leaving is what its dissolving
    radius holds, the ones still to leave are whole.
    """
    if elapsed_s <= 0.0:
        return tuple(moles)
    left = list(moles)
    remaining = elapsed_s
    for i, radius, gas, duration in _schedule(moles, gases, p_liquid - p_vapour, sigma,
                                              temperature_k):
        if remaining < duration:
            now = dissolving_radius(radius, remaining, **gas)
            left[i] *= (now / radius) ** 3
            return tuple(left)
        remaining -= duration
        left[i] = 0.0
    return tuple(left)


def residual_radius(moles, gases, elapsed_s: float, *, p_liquid: float, sigma: float,
                    p_vapour: float = 0.0, temperature_k: float = BODY_TEMPERATURE_K) -> float:
    """Radius [m] of a dissolving bubble of several gases ``elapsed_s`` [s] later; 0
    once dissolved. The gases leave one after the other, as in
    :func:`residual_dissolution_time` (parameters there)."""
    left = residual_moles(moles, gases, elapsed_s, p_liquid=p_liquid, sigma=sigma,
                          p_vapour=p_vapour, temperature_k=temperature_k)
    return _gas_radius(sum(left), p_liquid - p_vapour, temperature_k)
