"""One evaluation of the crack's right-hand side, against the same formulas written out.

Run: ``python benchmarks/bench_rhs.py [--repeats 30] [--states 300]``.

What is measured: ``_compiled.confined_rates(t, y, q, load, out)``, the right-hand side
the compiled integrator evaluates at every stage of the default knuckle's crack (state
``h, hdot, V, Vdot``), called from compiled code as the integrator calls it, at states
taken from that crack: the default
``cavitation.simulate()`` is run once, its crack integrated again from the same start
(the same ``q`` and loading), and ``--states`` of its accepted steps kept, one sixth
from the phase where the cavity is a sphere in the gap and the rest evenly over the
disc's growth, partial collapse and rebound. Each is evaluated inside a numba loop, so
no call from Python is timed, against a reference: :func:`reference`, the same formulas
written out by hand in one compiled function (no calls, no tuples, each value computed
once), kept here as the yardstick of the issue's target ("within 1.3 times a
written-out numba version of the same formulas in the same run").

Before timing, the reference and the package must agree on every state (relative
1e-12; bitwise is printed), otherwise the ratio would compare different work. Each
repeat times both in turn (the package, then the reference), each over about
``--evaluations`` evaluations; medians over the repeats are printed, with the spread
(lowest, highest), and the ratio of the medians with the spread of the per-repeat
ratios. The loop alone (copying each state in, no evaluation) is printed too: it is in
both figures. Twice: with evaluations independent of one another (the processor may
overlap one with the next), then chained (each state waits for the last result, as an
integrator's stages do, so latency counts). Measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np
from numba import njit

import cavitation as cv
from cavitation import _compiled, simulation

CONFINED = "confined"
RTOL = 1e-12


@njit(error_model="numpy")
def reference(t, y, q, load, out):
    """``dy/dt`` of the confined crack written out: capsule pressure
    (:func:`cavitation.fluid.pressure_law`), a ramp loading
    (:func:`cavitation.joint.loading_force`), the cavity's shape, the recess, the
    inertia and resistance (:func:`cavitation.confined.matrices`), Carreau's viscosity
    of the film and of the recess (:mod:`cavitation.film`), the wall pressure and
    Lagrange's equations (:func:`cavitation.confined.accelerations`)."""
    h, hdot, V, Vdot = y[0], y[1], y[2], y[3]
    rho, mu_inf, sigma, p_v, kappa, p_gas_ref, R_ref = q[1], q[2], q[3], q[4], q[5], q[6], q[7]
    stiffness, rest_gap, damping, area, rest_pressure, mass = (q[9], q[10], q[11], q[12],
                                                               q[13], q[14])
    compliance, resistance, stiffening_volume, V_r = q[15], q[16], q[17], q[19]
    mu_0, shear_time, shear_index, recess_gap, recess_length = (q[21], q[22], q[23], q[24],
                                                                 q[25])
    force = load[0] * (load[3] * min(max(t, 0.0) / load[4], 1.0)) + load[1]  # a ramp
    deformation = area * (h - rest_gap) - (V - V_r)
    viscous = resistance * (area * hdot - Vdot)
    if q[18] != 0.0:
        p_c = (rest_pressure - (stiffening_volume / compliance)
               * np.sinh(deformation / stiffening_volume) - viscous)
    else:
        p_c = rest_pressure - deformation / compliance - viscous
    a = math.sqrt(area / math.pi)
    # the cavity's shape
    R_s = (3.0 * V / (4.0 * math.pi)) ** (1.0 / 3.0) if V > 0.0 else 0.0
    h2 = h * h
    h3 = h2 * h
    lens = math.pi * h3 / 6.0
    sphere = V <= lens
    if sphere:
        b, b_V, b_h = R_s, (1.0 / (4.0 * math.pi * (R_s * R_s)) if R_s > 0.0 else 0.0), 0.0
        r_f, f_V, f_h = 0.5 * h, 0.0, 0.5
    else:
        qa, qb = math.pi * h, 0.25 * math.pi**2 * h2
        qc = lens - V
        c = 2.0 * (-qc) / (qb + math.sqrt(qb * qb - 4.0 * qa * qc))
        dV_dc = 2.0 * math.pi * c * h + qb
        dV_dh = math.pi * c * c + 0.5 * math.pi**2 * h * c + 0.5 * math.pi * h2
        b = c + 0.5 * h
        b_V = 1.0 / dV_dc
        b_h = 0.5 - dV_dh / dV_dc
        r_f, f_V, f_h = b, b_V, b_h
    if b >= a:
        b, b_V, b_h = a, 0.0, 0.0
    if r_f >= a:
        r_f, f_V, f_h = a, 0.0, 0.0
    # inertia and resistance of the film
    a2, b2, f2 = a * a, b * b, r_f * r_f
    b3 = b * b2
    ab4, af2 = a2 * a2 - b2 * b2, a2 - f2
    M_hh = mass + math.pi * rho * ab4 / (8.0 * h)
    M_hV = -rho * af2 / (4.0 * h)
    Mhh_h = math.pi * rho / 8.0 * (-4.0 * b3 * b_h / h - ab4 / h2)
    Mhh_V = -math.pi * rho * b3 * b_V / (2.0 * h)
    MhV_h = rho / 4.0 * (2.0 * r_f * f_h / h + af2 / h2)
    MhV_V = rho * r_f * f_V / (2.0 * h)
    R_hh = 1.5 * math.pi * ab4 / h3
    R_hV = -3.0 * af2 / h3
    # the recess
    r_in = max(a, R_s)
    r_out = max(a + recess_length, r_in)
    layer = math.log(r_out / r_in)
    recess_M = rho * layer / (2.0 * math.pi * recess_gap) + rho / (4.0 * math.pi * r_out)
    recess_V = 0.0
    if R_s > a:
        R_s_V = 1.0 / (4.0 * math.pi * (R_s * R_s))
        recess_V = (-rho / (2.0 * math.pi * recess_gap * R_s) if R_s < r_out
                    else -rho / (4.0 * math.pi * (R_s * R_s))) * R_s_V
    recess_R = 6.0 * layer / (math.pi * (recess_gap * recess_gap * recess_gap))
    recess_volume = math.pi * (r_out * r_out - r_in * r_in) * recess_gap
    M_hh += area * area * recess_M
    M_hV -= area * recess_M
    Mhh_V += area * area * recess_V
    MhV_V -= area * recess_V
    M_VV = MVV_h = MVV_V = R_VV = 0.0
    if V > 0.0:
        L = math.log(a / r_f)
        M_VV = rho * L / (2.0 * math.pi * h) + recess_M
        MVV_h = rho / (2.0 * math.pi) * (-f_h / (r_f * h) - L / h2)
        MVV_V = -rho * f_V / (2.0 * math.pi * h * r_f) + recess_V
        if sphere and R_s < r_f:
            M_VV += rho / (4.0 * math.pi) * (1.0 / R_s - 1.0 / r_f)
            MVV_V += (-rho / (16.0 * math.pi**2 * ((R_s * R_s) * (R_s * R_s)))
                      + rho * f_V / (4.0 * math.pi * f2))
            MVV_h += rho / (4.0 * math.pi) * f_h / f2
        R_VV = 6.0 * L / (math.pi * h3)
    film_volume = max(math.pi * a2 * h - V, 0.0) if sphere else math.pi * (a2 - b2) * h
    # Carreau's viscosity of the film and of the recess, each at its own shear rate
    unit_power = R_hh * hdot * hdot + 2.0 * R_hV * hdot * Vdot + R_VV * Vdot * Vdot
    shear = (math.sqrt(unit_power / film_volume) if film_volume > 0.0 and unit_power > 0.0
             else 0.0)
    exponent = 0.5 * (shear_index - 1.0)
    mu = mu_inf + (mu_0 - mu_inf) * (1.0 + (shear_time * shear) ** 2) ** exponent
    outflow = Vdot - area * hdot
    recess_power = recess_R * outflow * outflow
    shear = (math.sqrt(recess_power / recess_volume)
             if recess_volume > 0.0 and recess_power > 0.0 else 0.0)
    mu_recess = mu_inf + (mu_0 - mu_inf) * (1.0 + (shear_time * shear) ** 2) ** exponent
    recess_drop = mu_recess * recess_R * outflow
    # Lagrange's equations
    Q_h = (force - stiffness * (h - rest_gap) - damping * hdot + area * (p_c - rest_pressure)
           - mu * (R_hh * hdot + R_hV * Vdot) + area * recess_drop)
    rhs_h = (Q_h - (Mhh_h * hdot + Mhh_V * Vdot) * hdot - (MhV_h * hdot + MhV_V * Vdot) * Vdot
             + 0.5 * (Mhh_h * hdot * hdot + 2.0 * MhV_h * hdot * Vdot + MVV_h * Vdot * Vdot))
    out[0] = hdot
    out[2] = Vdot
    if V <= 0.0:
        out[1] = rhs_h / M_hh
        out[3] = 0.0
        return
    V_ref = 4.0 / 3.0 * math.pi * (R_ref * R_ref * R_ref)
    curvature = 2.0 / R_s if sphere else 2.0 / h + 1.0 / b
    p_B = p_gas_ref * (V_ref / V) ** kappa + p_v - sigma * curvature
    Q_V = (p_B - p_c - mu * (R_hV * hdot + R_VV * Vdot)
           - mu_inf * Vdot / (math.pi * (R_s * R_s * R_s)) - recess_drop)
    rhs_V = (Q_V - (MhV_h * hdot + MhV_V * Vdot) * hdot - (MVV_h * hdot + MVV_V * Vdot) * Vdot
             + 0.5 * (Mhh_V * hdot * hdot + 2.0 * MhV_V * hdot * Vdot + MVV_V * Vdot * Vdot))
    det = M_hh * M_VV - M_hV * M_hV
    out[1] = (M_VV * rhs_h - M_hV * rhs_V) / det
    out[3] = (M_hh * rhs_V - M_hV * rhs_h) / det


@njit(error_model="numpy", inline="always")
def nothing(t, y, q, load, out):
    """No evaluation: the loop alone."""
    out[1] = y[1]
    out[3] = t


def timing_loop(evaluate, chained: bool):
    """A compiled loop: ``rounds`` passes over the states, each evaluated by
    ``evaluate(t, y, q, load, out)``. Chained, each state waits for the last evaluation's result
    (plus 0 times it), as an integrator's stage waits for the one before; else the
    evaluations may overlap."""

    @njit(error_model="numpy")
    def loop(times, states, q, load, rounds):
        y, out = np.empty(4), np.zeros(4)
        total = 0.0
        for _ in range(rounds):
            for i in range(times.size):
                if chained:
                    link = 0.0 * (out[1] + out[3])
                    for k in range(4):
                        y[k] = states[i, k] + link
                else:
                    for k in range(4):
                        y[k] = states[i, k]
                evaluate(times[i], y, q, load, out)
                total += out[1] + out[3]
        return total

    return loop


def crack_states(count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Times, states, ``q`` and the packed loading of the default knuckle's crack:
    ``count`` accepted steps, a sixth of them (at most) while the cavity is a sphere in
    the gap; and how many are."""
    captured = {}
    crack = simulation._Compiled.crack

    def capture(self, y_n, t_n, t_stop, t_post, rtol, atol):
        captured.update(fast=self, y_n=y_n.copy(), t_n=t_n, t_stop=t_stop, rtol=rtol,
                        atol=atol.copy())
        return crack(self, y_n, t_n, t_stop, t_post, rtol, atol)

    simulation._Compiled.crack = capture
    try:
        cv.simulate()
    finally:
        simulation._Compiled.crack = crack
    fast = captured["fast"]
    if fast.crack_system != CONFINED:
        raise SystemExit("the default knuckle's crack is not the confined system")
    if fast.load[2] != 0.0:
        raise SystemExit("the reference is written for a ramp loading")
    sol = _compiled.Solution(CONFINED, captured["y_n"], captured["t_n"], captured["t_stop"],
                             fast.q, fast.load, rtol=captured["rtol"], atol=captured["atol"],
                             level=simulation.COLLAPSED_FRACTION * captured["y_n"][2])
    t, y = sol.steps
    sphere = np.flatnonzero(y[2] <= math.pi * y[0] ** 3 / 6.0)
    rest = np.flatnonzero(y[2] > math.pi * y[0] ** 3 / 6.0)
    n_sphere = min(count // 6, sphere.size)
    pick = np.concatenate([
        sphere[np.linspace(0, sphere.size - 1, n_sphere).round().astype(int)],
        rest[np.linspace(0, rest.size - 1, count - n_sphere).round().astype(int)]])
    return (np.ascontiguousarray(t[pick]), np.ascontiguousarray(y[:, pick].T), fast.q,
            fast.load, n_sphere)


def check_agreement(times, states, q, load) -> tuple[float, int]:
    """The largest relative difference of ``h''`` and ``V''`` between the package and the
    reference over the states, and how many states agree bitwise; exits if any state
    differs by more than ``RTOL``."""
    worst, bitwise = 0.0, 0
    from_package, from_reference = np.empty(4), np.empty(4)
    for t, y in zip(times, states, strict=True):
        y = y.copy()
        _compiled.confined_rates(t, y, q, load, from_package)
        reference(t, y, q, load, from_reference)
        if not np.all(np.isfinite(from_package)):
            raise SystemExit(f"the package's right-hand side is not finite at t = {t!r},"
                             f" y = {y.tolist()}")
        bitwise += bool(np.array_equal(from_package, from_reference))
        for i in range(4):
            difference = abs(from_package[i] - from_reference[i])
            if difference > RTOL * abs(from_reference[i]):
                raise SystemExit(f"the reference differs from the package at t = {t!r},"
                                 f" y = {y.tolist()}: component {i}, {from_package[i]!r} against"
                                 f" {from_reference[i]!r}; the ratio would be meaningless")
            if from_reference[i] != 0.0:
                worst = max(worst, difference / abs(from_reference[i]))
    return worst, bitwise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed runs of each")
    parser.add_argument("--states", type=int, default=300, help="states of the crack")
    parser.add_argument("--evaluations", type=int, default=300_000,
                        help="evaluations per timed run")
    args = parser.parse_args()
    times, states, q, load, n_sphere = crack_states(args.states)
    worst, bitwise = check_agreement(times, states, q, load)
    print(f"{times.size} states of the knuckle's crack ({n_sphere} with the cavity a sphere"
          f" in the gap), {(times[-1] - times[0]) * 1e3:.1f} ms of it")
    print(f"reference and package agree: largest relative difference {worst:.1e},"
          f" {bitwise} of {times.size} states bitwise")
    rounds = max(1, args.evaluations // times.size)
    evaluations = rounds * times.size
    labels = {"package": "package: confined_rates, as integrate calls it",
              "reference": "reference: the same formulas written out",
              "nothing": "the loop alone (in both figures above)"}
    evaluators = {"package": _compiled.confined_rates, "reference": reference,
                  "nothing": nothing}
    for chained in (False, True):
        kernels = {name: timing_loop(evaluate, chained) for name, evaluate in evaluators.items()}
        for kernel in kernels.values():  # compile and warm up
            kernel(times, states, q, load, 1)
        ns: dict[str, list[float]] = {name: [] for name in kernels}
        for _ in range(args.repeats):
            for name, kernel in kernels.items():
                start = time.perf_counter_ns()
                kernel(times, states, q, load, rounds)
                ns[name].append((time.perf_counter_ns() - start) / evaluations)
        print(("chained (each state waits for the last result, as an integrator's stages)"
               if chained else "independent evaluations (they may overlap)")
              + f": ns per evaluation, median (lowest, highest) of {args.repeats} runs of"
              f" {evaluations}")
        for name, label in labels.items():
            print(f"  {label:46s} {statistics.median(ns[name]):7.1f}"
                  f"  ({min(ns[name]):.1f}, {max(ns[name]):.1f})")
        ratios = [p / r for p, r in zip(ns["package"], ns["reference"], strict=True)]
        ratio = statistics.median(ns["package"]) / statistics.median(ns["reference"])
        print(f"  ratio package / reference: {ratio:.2f} (per run: median"
              f" {statistics.median(ratios):.2f}, {min(ratios):.2f} to {max(ratios):.2f});"
              " target: at most 1.3")


if __name__ == "__main__":
    main()
