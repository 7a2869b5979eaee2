"""Compiled integration of the cavity's equation (numba): the fast path of bubble.solve.

An explicit Dormand-Prince 5(4) pair with its 4th-order dense output (Dormand & Prince
1980; the coefficients are scipy's, read from ``scipy.integrate.RK45``), step-size
control as in ``scipy.integrate.solve_ivp``, and a terminal event at a radius found by
bisection on the dense output. The right-hand side is
:func:`cavitation.bubble.keller_miksis` itself, compiled: the same equation as
:func:`cavitation.bubble.radial_acceleration`, not a copy of it.

This module imports numba and is itself imported only when a solve needs it, so
``import cavitation`` stays fast; compiled functions are cached on disk, so only the
first run on a machine pays for compilation.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy.integrate import RK45

from .bubble import keller_miksis

#: Steps after which the explicit method gives up and the caller falls back to LSODA:
#: a stiff problem (a viscous fluid on a small nucleus) needs millions.
MAX_STEPS = 200_000

#: Dormand-Prince 5(4): stage, weight, error and dense-output coefficients.
TABLEAU = (np.ascontiguousarray(RK45.A), np.ascontiguousarray(RK45.B),
           np.ascontiguousarray(RK45.E), np.ascontiguousarray(RK45.P))


_keller_miksis = njit(cache=True)(keller_miksis)


@njit(cache=True)
def rddot(R, Rdot, q):
    """Wall acceleration; ``q``: p_inf, rho, mu, sigma, p_v, kappa, p_gas_ref, R_ref, inv_c."""
    return _keller_miksis(R, Rdot, q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8])


@njit(cache=True)
def dense(R, V, h, Q, x):
    # (R, V)(t + x h) = (R, V) + h Q [x, x^2, x^3, x^4]
    r, v, power = R, V, x
    for k in range(Q.shape[1]):
        r += h * Q[0, k] * power
        v += h * Q[1, k] * power
        power *= x
    return r, v

@njit(cache=True)
def integrate(y0, t_end, q, rtol, atol, A, B, E, P, t_eval, level, max_steps):
    n_eval = t_eval.size
    capacity = n_eval if n_eval > 0 else max_steps + 1
    ts = np.empty(capacity)
    ys = np.empty((capacity, 2))
    R, V = y0[0], y0[1]
    a_R, a_V = atol[0], atol[1]
    t = 0.0
    fR, fV = V, rddot(R, V, q)
    count = 0
    if n_eval == 0:
        ts[0], ys[0, 0], ys[0, 1] = 0.0, R, V
        count = 1
    else:
        while count < n_eval and t_eval[count] <= 0.0:
            ts[count], ys[count, 0], ys[count, 1] = t_eval[count], R, V
            count += 1
    # Initial step (Hairer, Norsett & Wanner, sec. II.4).
    sR, sV = a_R + abs(R) * rtol, a_V + abs(V) * rtol
    d0 = np.sqrt(((R / sR) ** 2 + (V / sV) ** 2) / 2.0)
    d1 = np.sqrt(((fR / sR) ** 2 + (fV / sV) ** 2) / 2.0)
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    R1, V1 = R + h0 * fR, V + h0 * fV
    gR, gV = V1, rddot(R1, V1, q)
    d2 = np.sqrt((((gR - fR) / sR) ** 2 + ((gV - fV) / sV) ** 2) / 2.0) / h0
    big = max(d1, d2)
    h1 = max(1e-6, h0 * 1e-3) if big <= 1e-15 else (0.01 / big) ** 0.2
    h = min(100.0 * h0, h1, t_end)
    KR = np.empty(7)
    KV = np.empty(7)
    Q = np.empty((2, P.shape[1]))
    status = 0  # 0 reached t_end, 1 event, -1 failed
    steps = 0
    rejected = False
    while t < t_end:
        # The smallest step, as in solve_ivp: 10 units in the last place of t.
        if steps >= max_steps or h < 10.0 * abs(np.nextafter(t, np.inf) - t):
            status = -1
            break
        last = t + h >= t_end
        if last:
            h = t_end - t
        KR[0], KV[0] = fR, fV
        for s in range(1, 6):
            dR, dV = 0.0, 0.0
            for j in range(s):
                dR += A[s, j] * KR[j]
                dV += A[s, j] * KV[j]
            Rs, Vs = R + h * dR, V + h * dV
            KR[s], KV[s] = Vs, rddot(Rs, Vs, q)
        dR, dV = 0.0, 0.0
        for j in range(6):
            dR += B[j] * KR[j]
            dV += B[j] * KV[j]
        R_new, V_new = R + h * dR, V + h * dV
        if not (R_new > 0.0 and np.isfinite(R_new) and np.isfinite(V_new)):
            h *= 0.2
            rejected = True
            continue
        fR_new, fV_new = V_new, rddot(R_new, V_new, q)
        KR[6], KV[6] = fR_new, fV_new
        eR, eV = 0.0, 0.0
        for j in range(7):
            eR += E[j] * KR[j]
            eV += E[j] * KV[j]
        sR = a_R + max(abs(R), abs(R_new)) * rtol
        sV = a_V + max(abs(V), abs(V_new)) * rtol
        err_norm = np.sqrt(((h * eR / sR) ** 2 + (h * eV / sV) ** 2) / 2.0)
        if err_norm < 1.0:
            steps += 1
            for k in range(P.shape[1]):
                qR, qV = 0.0, 0.0
                for j in range(7):
                    qR += KR[j] * P[j, k]
                    qV += KV[j] * P[j, k]
                Q[0, k], Q[1, k] = qR, qV
            crossing = level > 0.0 and R > level >= R_new
            x_end = 1.0
            if crossing:  # bisection on the dense output for R = level
                lo, hi = 0.0, 1.0
                for _ in range(60):
                    mid = 0.5 * (lo + hi)
                    if dense(R, V, h, Q, mid)[0] > level:
                        lo = mid
                    else:
                        hi = mid
                x_end = hi
            if n_eval > 0:
                while count < n_eval and t_eval[count] <= t + x_end * h:
                    ts[count] = t_eval[count]
                    ys[count, 0], ys[count, 1] = dense(R, V, h, Q, (t_eval[count] - t) / h)
                    count += 1
            if crossing:
                if n_eval == 0:
                    ts[count] = t + x_end * h
                    ys[count, 0], ys[count, 1] = dense(R, V, h, Q, x_end)
                    count += 1
                status = 1
                break
            t = t_end if last else t + h
            R, V, fR, fV = R_new, V_new, fR_new, fV_new
            if n_eval == 0:
                ts[count], ys[count, 0], ys[count, 1] = t, R, V
                count += 1
            factor = 10.0 if err_norm == 0.0 else min(10.0, 0.9 * err_norm ** -0.2)
            if rejected:  # no growth right after a rejected step, as in solve_ivp
                factor = min(1.0, factor)
            rejected = False
        else:
            factor = max(0.2, 0.9 * err_norm ** -0.2)
            rejected = True
        h *= factor
    return ts[:count], ys[:count], status



def solve(y0: np.ndarray, t_end: float, liquid: dict, p_inf: float, *, rtol: float,
          atol: np.ndarray, t_eval: np.ndarray | None, level: float):
    """Integrate from ``y0 = (R0, Rdot0)``; see :func:`cavitation.bubble.solve`.

    Returns ``(t, y, status)``: status 0 reached ``t_end``, 1 stopped at ``R = level``,
    -1 gave up (the caller falls back to LSODA).
    """
    A, B, E, P = TABLEAU
    q = np.array([p_inf, liquid["rho"], liquid["mu"], liquid["sigma"], liquid["p_v"],
                  liquid["kappa"], liquid["p_gas_ref"], liquid["R_ref"], liquid["inv_c"]])
    evals = np.empty(0) if t_eval is None else np.ascontiguousarray(t_eval, dtype=float)
    t, y, status = integrate(np.asarray(y0, dtype=float), float(t_end), q, float(rtol),
                                np.asarray(atol, dtype=float), A, B, E, P, evals,
                                float(level), MAX_STEPS)
    return t.copy(), y.T.copy(), status


def acceleration(R: float, Rdot: float, liquid: dict, p_inf: float) -> float:
    """The compiled right-hand side, for the test that it matches the Python one."""
    q = np.array([p_inf, liquid["rho"], liquid["mu"], liquid["sigma"], liquid["p_v"],
                  liquid["kappa"], liquid["p_gas_ref"], liquid["R_ref"], liquid["inv_c"]])
    return rddot(R, Rdot, q)
