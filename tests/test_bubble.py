"""The cavity's equations against closed forms: Rayleigh, Minnaert, linear damping."""

import math
import re

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.signal import find_peaks

from cavitation import bubble

WATER = {"rho": 998.0, "sigma": 0.072, "kappa": 1.4}


@pytest.mark.parametrize("R0, delta_p", [(1e-3, 101325.0), (2e-4, 5e5), (5e-3, 2e4)])
def test_empty_cavity_collapses_in_rayleigh_time(R0, delta_p):
    sol = bubble.solve(R0, 1.0, p_inf=delta_p, model="rayleigh_plesset",
                       mu=0.0, sigma=0.0, p_v=0.0)
    expected = 0.915 * R0 * math.sqrt(998.0 / delta_p)
    assert sol.collapsed
    # 0.5 %: the bound; the 0.915 constant is itself rounded (0.91468) by 0.03 %,
    # and the run stops at R = 1e-3 R0, 1e-7 of the collapse time early.
    assert sol.t[-1] == pytest.approx(expected, rel=5e-3)
    # The exact constant and rtol=1e-8: agreement to 1e-6 shows the integrator is right.
    assert sol.t[-1] == pytest.approx(
        bubble.empty_cavity_collapse_time(R0, 998.0, delta_p), rel=1e-6)


def test_empty_cavity_run_ends_cleanly_at_collapse():
    sol = bubble.solve(1e-3, 1.0, sigma=0.0, mu=0.0)  # Keller-Miksis, c = 1500 m/s
    assert sol.collapsed
    assert sol.R[-1] <= 1.0001 * bubble.EMPTY_COLLAPSE_FRACTION * 1e-3
    assert np.all(np.isfinite(sol.R)) and np.all(np.isfinite(sol.Rdot))
    assert sol.t[-1] < 0.1  # ended at the collapse, not at t_end


def _ring(R_eq, model, t_end, mu=1e-3, n=200_001):
    t = np.linspace(0.0, t_end, n)
    sol = bubble.solve(1.01 * R_eq, t_end, R_eq=R_eq, model=model, mu=mu, t_eval=t, **WATER)
    x = sol.R - R_eq
    peaks, _ = find_peaks(x)
    return sol.t[peaks], x[peaks]


@pytest.mark.parametrize("model", bubble.MODELS)
@pytest.mark.parametrize("R_eq", [1e-3, 1e-4, 1e-5])
def test_small_oscillations_ring_at_minnaert_frequency(model, R_eq):
    f0 = bubble.minnaert_frequency(R_eq, p_inf=101325.0, **WATER)
    t_peaks, _ = _ring(R_eq, model, 40.0 / f0)
    f = (t_peaks.size - 1) / (t_peaks[-1] - t_peaks[0])
    # The issue asks for 1 %; measured within 3e-4. 1e-3 covers the nonlinear shift of
    # a 1 % amplitude (~1e-4), the damping shift (beta/omega)^2/2 (4e-5 at 10 um) and
    # the peak timing (1/(40 * 5000)), and is tight enough to see surface tension,
    # which moves f0 by 0.05 %, 0.5 % and 5 % at these radii.
    assert f == pytest.approx(f0, rel=1e-3)


def test_minnaert_without_surface_tension_is_textbook_value():
    # Minnaert (1933): f0 R0 = 3.26 m/s for air in water (1 bar, 1000 kg/m^3, adiabatic).
    f0 = bubble.minnaert_frequency(1e-3, p_inf=1e5, rho=1000.0, kappa=1.4)
    assert f0 * 1e-3 == pytest.approx(3.26, rel=3e-3)  # 3.26 is given to 3 digits


def test_viscous_damping_rate_matches_linear_theory():
    R_eq, mu = 1e-4, 1e-3
    t_peaks, x_peaks = _ring(R_eq, "rayleigh_plesset", 5e-3, mu=mu)
    rate = -np.polyfit(t_peaks, np.log(x_peaks), 1)[0]
    # Linearised Rayleigh-Plesset: amplitude decays as exp(-2 mu t / (rho R^2)).
    # 1 %: measured agreement is 0.1 %; the rest allows for the 1 % amplitude's
    # nonlinearity and for fitting 170 peaks.
    assert rate == pytest.approx(2.0 * mu / (998.0 * R_eq**2), rel=1e-2)


def test_keller_miksis_adds_acoustic_radiation_damping():
    R_eq, mu, c = 1e-4, 1e-3, 1500.0
    t_peaks, x_peaks = _ring(R_eq, "keller_miksis", 5e-3, mu=mu)
    rate = -np.polyfit(t_peaks, np.log(x_peaks), 1)[0]
    omega = 2.0 * math.pi * bubble.minnaert_frequency(R_eq, p_inf=101325.0, **WATER)
    # Linear theory: viscous 2 mu/(rho R^2) plus radiation omega^2 R / (2 c)
    # (Prosperetti 1977; Brennen 1995 sec. 4.4). 1 %, as above.
    expected = 2.0 * mu / (998.0 * R_eq**2) + omega**2 * R_eq / (2.0 * c)
    assert rate == pytest.approx(expected, rel=1e-2)


def test_keller_miksis_tends_to_rayleigh_plesset_as_sound_speed_grows():
    t = np.linspace(0.0, 2e-4, 2001)
    kwargs = {"R_eq": 5e-4, "t_eval": t, "rtol": 1e-11}
    reference = bubble.solve(1e-3, 2e-4, model="rayleigh_plesset", **kwargs).R
    gaps = [np.max(np.abs(bubble.solve(1e-3, 2e-4, c=c, **kwargs).R - reference))
            for c in (1.5e3, 1.5e4, 1.5e5)]
    assert gaps[0] > gaps[1] > gaps[2]
    # First-order in Rdot/c: tenfold c, tenfold smaller difference. At the lowest c the
    # second-order terms still count (6-15); between the two higher ones, 9-11.
    assert 6.0 < gaps[0] / gaps[1] < 15.0
    assert 9.0 < gaps[1] / gaps[2] < 11.0


@pytest.mark.parametrize("R_eq", [5e-4, 1e-4])
def test_solution_satisfies_the_keller_miksis_equation_as_written(R_eq):
    # Put the solution back into the textbook form (module docstring), with dp_B/dt by
    # finite differences: an independent check of every term of radial_acceleration.
    c, mu, sigma, kappa, rho = 1500.0, 0.01, 0.072, 1.4, 998.0
    t = np.linspace(0.0, 6e-5, 60001)
    sol = bubble.solve(1e-3, 6e-5, R_eq=R_eq, t_eval=t, c=c, mu=mu, rtol=1e-11)
    R, Rd, Rdd = sol.R, sol.Rdot, np.gradient(sol.Rdot, t)
    p_g_ref = 101325.0 + 2 * sigma / R_eq
    p_B = bubble.wall_pressure(R, Rd, p_gas_ref=p_g_ref, R_ref=R_eq, kappa=kappa,
                               sigma=sigma, mu=mu, p_v=0.0)
    lhs = (1 - Rd / c) * R * Rdd + 1.5 * (1 - Rd / (3 * c)) * Rd**2
    rhs = (1 + Rd / c) * (p_B - 101325.0) / rho + R / (rho * c) * np.gradient(p_B, t)
    inner = slice(10, -10)
    scale = np.max(np.abs(lhs[inner]))
    # Central differences on a 1 ns grid: relative error ~ (omega dt)^2, below 1e-5 of
    # the largest term here; dropping the (1 + Rdot/c) factor would leave ~1e-3.
    assert np.max(np.abs(lhs - rhs)[inner]) < 1e-4 * scale


@pytest.mark.parametrize("method", ["lsoda", "compiled"])
def test_pressure_function_of_time_equals_constant_number(method):
    # The same integrator on a constant function and on the number: the same steps.
    t = np.linspace(0.0, 1e-4, 101)
    a = bubble.solve(1e-3, 1e-4, R_eq=5e-4, t_eval=t, method=method)
    b = bubble.solve(1e-3, 1e-4, R_eq=5e-4, t_eval=t, p_inf=lambda _t: 101325.0, method=method)
    np.testing.assert_allclose(a.R, b.R, rtol=1e-12)


def test_gas_bubble_collapse_is_stiff_but_finite():
    # The benchmark case: 1 mm toward 0.1 mm equilibrium; compression ratio over 100.
    sol = bubble.solve(1e-3, 250e-6, R_eq=1e-4)
    assert np.all(np.isfinite(sol.R)) and np.all(np.isfinite(sol.Rddot))
    assert 0.0 < sol.R.min() < 1e-4 < sol.R.max()
    # Tenfold tighter tolerance moves the first minimum by less than 0.1 %.
    tight = bubble.solve(1e-3, 250e-6, R_eq=1e-4, rtol=1e-9)
    t_min = sol.t[np.argmin(sol.R[sol.t < 1e-4])]
    t_min_tight = tight.t[np.argmin(tight.R[tight.t < 1e-4])]
    assert t_min == pytest.approx(t_min_tight, rel=1e-3)


def test_dissolution_time_grows_as_radius_squared():
    kwargs = {"p_liquid": 1e5, "gas_tension": 6e3, "ostwald": 0.62,
              "diffusivity": 2e-9, "sigma": 0.05}
    t1 = bubble.dissolution_time(1e-3, **kwargs)
    t2 = bubble.dissolution_time(2e-3, **kwargs)
    # Without surface tension Epstein-Plesset is self-similar in R^2 / D t; surface
    # tension (2 sigma / p R = 1e-3) breaks that by 0.1 % at most.
    assert t2 / t1 == pytest.approx(4.0, rel=2e-3)


def test_dissolution_tends_to_quasi_steady_time_for_low_solubility():
    R0, D, L = 1e-3, 2e-9, 1e-4
    t = bubble.dissolution_time(R0, p_liquid=1e5, gas_tension=0.0, ostwald=L,
                                diffusivity=D, sigma=0.0)
    quasi_steady = R0**2 / (2.0 * D * L)
    # The transient term shortens it by O(sqrt(L)) = 1 %: below, and within 2 %.
    assert t < quasi_steady
    assert t == pytest.approx(quasi_steady, rel=2e-2)


def test_dissolution_with_surface_tension_matches_quasi_steady_quadrature():
    # At very low solubility the transient term is O(sqrt(L)) = 0.1 %, and the time is
    # the quasi-steady integral t = int_0^R0 R (R + b) / (D L ((1 - f) R + a)) dR with
    # a = 2 sigma / p, b = 4 sigma / (3 p): it checks the undersaturation f and both
    # surface-tension terms (2 sigma / p R0 = 1.4 for this 1 um bubble).
    R0, D, L, p, p_gas, sigma = 1e-6, 2e-9, 1e-6, 1e5, 5e4, 0.07
    a, b, f = 2 * sigma / p, 4 * sigma / (3 * p), p_gas / p
    expected, _ = quad(lambda R: R * (R + b) / (D * L * ((1 - f) * R + a)), 0.0, R0)
    t = bubble.dissolution_time(R0, p_liquid=p, gas_tension=p_gas, ostwald=L,
                                diffusivity=D, sigma=sigma)
    assert t == pytest.approx(expected, rel=5e-3)  # 0.1 % transient, 0.1 % integration


def test_saturated_liquid_never_dissolves_the_bubble():
    assert bubble.dissolution_time(1e-3, p_liquid=1e5, gas_tension=1e5, ostwald=0.6,
                                   diffusivity=2e-9, sigma=0.0) == math.inf


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"model": "gilmore"}, "unknown bubble model 'gilmore'; valid choices: keller_miksis"),
        ({"R0": -1e-3}, r"R0 = -0.001 m is out of range; valid range: \(0, 1\] m"),
        ({"t_end": 0.0}, r"t_end = 0.0 s is out of range"),
        ({"mu": -1.0}, r"mu = -1.0 Pa s is out of range; valid range: \[0, 1000\] Pa s"),
        ({"kappa": 2.0}, r"kappa = 2.0 is out of range; valid range: \[1, 1.66667\]$"),
        ({"R_eq": 1e-3, "p_v": 2e5}, r"R_eq = 0.001 m gives a gas pressure of"),
        ({"rho": "water"}, r"rho = 'water' is not a number"),
        ({"c": math.inf}, r"c = inf m/s is out of range; valid range: \[1, inf\) m/s"),
        # c bounds Rdot0: it was checked after it, which named Rdot0 for a bad c.
        ({"c": 0.0}, r"^c = 0.0 m/s is out of range; valid range: \[1, inf\) m/s"),
        ({"c": "x"}, r"^c = 'x' is not a number"),
        # Samples in the range of a number; in Pa, not in the loading's N.
        ({"p_inf": ([0.0, 1e-4], [1e5, 2e9])}, r"p_inf samples: p_pa = 2000000000.0 Pa at"
                                               r" t = 0.0001 s is out of range; valid range:"
                                               r" \[-1e\+08, 1e\+09\] Pa"),
        ({"p_inf": ([0.0, 1e-4], [1e5, math.nan])}, r"p_pa \[Pa\] must be finite"),
        ({"p_inf": ([0.0, 1e-4, 2e-4], [1e5, 1e5])}, r"p_inf samples: t_s and p_pa must be"),
        ({"t_eval": [0.0, 2e-4]}, r"t_eval must be strictly increasing times \[s\] within"
                                  r" \[0, t_end = 0.0001\] s"),
        ({"t_eval": [5e-5, 1e-5]}, r"t_eval must be strictly increasing"),
        ({"t_eval": [1e-5, 1e-5]}, r"t_eval must be strictly increasing"),
        ({"t_eval": []}, r"at least one"),
    ],
)
def test_bad_arguments_name_parameter_unit_and_range(kwargs, message):
    args = {"R0": 1e-3, "t_end": 1e-4} | kwargs
    R0, t_end = args.pop("R0"), args.pop("t_end")
    with pytest.raises(ValueError, match=message):
        bubble.solve(R0, t_end, **args)


def test_compiled_right_hand_side_is_the_same_equation():
    from cavitation import _compiled

    rng = np.random.default_rng(0)
    for model in bubble.MODELS:
        liquid = {"rho": 998.0, "mu": 0.01, "sigma": 0.072, "p_v": 2300.0, "kappa": 1.3,
                  "p_gas_ref": 2e5, "R_ref": 1e-4,
                  "inv_c": bubble.inverse_sound_speed(model, 1500.0)}
        for R, Rdot, p in zip(rng.uniform(1e-5, 1e-3, 20), rng.uniform(-50, 50, 20),
                              rng.uniform(-1e5, 1e6, 20), strict=True):
            expected = bubble.radial_acceleration(R, Rdot, p, **liquid)
            # The same function, compiled: this checks the wiring (the packed
            # parameters' order) to a few rounding errors.
            assert _compiled.acceleration(R, Rdot, liquid, p) == pytest.approx(expected,
                                                                              rel=1e-12)


@pytest.mark.parametrize("R_eq", [1e-4, 5e-4, None])
def test_compiled_and_lsoda_agree_within_the_tolerance(R_eq):
    t = np.linspace(0.0, 2e-4, 2001)
    kwargs = {"R_eq": R_eq, "t_eval": t, "rtol": 1e-9}
    fast = bubble.solve(1e-3, 2e-4, **kwargs)
    slow = bubble.solve(1e-3, 2e-4, method="lsoda", **kwargs)
    assert fast.collapsed == slow.collapsed
    assert fast.t.size == slow.t.size
    # Two integrators at rtol 1e-9: the radii agree everywhere, through the violent
    # collapse of the gas bubble too, to 1e-6 of the start radius (measured 4e-7).
    np.testing.assert_allclose(fast.R, slow.R, rtol=0, atol=1e-6 * 1e-3)
    if R_eq is None:  # the empty cavity's collapse time (measured equal to 1e-12)
        assert fast.t[-1] == pytest.approx(slow.t[-1], rel=1e-8)


def test_stiff_problem_falls_back_to_lsoda():
    # A 0.2 um bubble in a fluid of 10 Pa s: the viscous time rho R^2 / 4 mu is 1e-15 s,
    # far too stiff for an explicit method; the result is LSODA's.
    kwargs = {"R_eq": 1e-7, "mu": 10.0}
    fast = bubble.solve(2e-7, 1e-4, **kwargs)
    slow = bubble.solve(2e-7, 1e-4, method="lsoda", **kwargs)
    np.testing.assert_array_equal(fast.R, slow.R)


def test_unknown_method_lists_the_choices():
    with pytest.raises(ValueError, match="unknown method 'rk4'; valid choices: compiled, lsoda"):
        bubble.solve(1e-3, 1e-4, method="rk4")


@pytest.mark.parametrize("case", [
    {"R0": 1e-3, "t_end": 2.5e-4, "R_eq": 1e-4},
    {"R0": 1e-3, "t_end": 1e-3, "R_eq": None, "mu": 0.0, "sigma": 0.0},
    # A step that must shrink to about 1e-16 s: 10 ULPs of t, as solve_ivp allows.
    {"R0": 3.946e-6, "t_end": 1.0413e-7, "p_inf": 3e7, "model": "rayleigh_plesset"},
])
def test_compiled_path_is_scipy_rk45_compiled(case):
    from scipy.integrate import solve_ivp

    kwargs = dict(case)
    R0, t_end = kwargs.pop("R0"), kwargs.pop("t_end")
    t = np.linspace(0.0, t_end, 501)
    fast = bubble.solve(R0, t_end, t_eval=t, rtol=1e-9, **kwargs)
    # The same method in scipy, on the same equation and tolerances.
    liquid = {"rho": 998.0, "mu": kwargs.get("mu", 1e-3), "sigma": kwargs.get("sigma", 0.072),
              "p_v": 0.0, "kappa": 1.4, "R_ref": kwargs.get("R_eq") or R0,
              "inv_c": bubble.inverse_sound_speed(kwargs.get("model", "keller_miksis"), 1500.0)}
    p_inf = kwargs.get("p_inf", 101325.0)
    liquid["p_gas_ref"] = 0.0 if kwargs.get("R_eq") is None else \
        p_inf + 2 * liquid["sigma"] / liquid["R_ref"]
    scale = np.sqrt(p_inf / 998.0)
    ref = solve_ivp(lambda _t, y: [y[1], bubble.radial_acceleration(y[0], y[1], p_inf,
                                                                     **liquid)],
                    (0, t_end), [R0, 0.0], method="RK45", rtol=1e-9, t_eval=t[:fast.t.size],
                    atol=[1e-9 * R0 * 1e-3, 1e-9 * scale * 1e-3])
    # Same steps, same arithmetic up to ordering: agreement far below the tolerance
    # (measured 5e-10 of the largest radius at rtol 1e-9).
    np.testing.assert_allclose(fast.R, ref.y[0], rtol=0, atol=1e-8 * np.max(ref.y[0]))


def test_a_solve_that_breaks_down_is_an_error_not_nan():
    # A bubble driven 10 atm over a 50 m/s "sound speed": LSODA returns NaN radii. A
    # documented error (a ValueError: one line at the command line), not a RuntimeError.
    with pytest.raises(bubble.IntegrationError, match="the integration broke down at t ="):
        bubble.solve(1.4e-3, 2e-4, R_eq=1.4e-4, p_inf=1e6, model="rayleigh_plesset", c=50,
                     kappa=1.0, sigma=0.0, rtol=1e-8)


def test_lsoda_stops_at_its_budget(monkeypatch):
    # bubble.solve on LSODA, and the dissolution's LSODA fallback, give up after
    # BUDGET_S of computing with a documented error: here a budget of 0.
    monkeypatch.setattr(bubble, "BUDGET_S", 0.0)
    with pytest.raises(bubble.IntegrationError,
                       match=r"bubble.solve did not finish within 0 s of computing \(at t = "):
        bubble.solve(1e-3, 1e-4, p_inf=1e5, method="lsoda")
    monkeypatch.setattr(bubble, "compiled_path", lambda: None)
    with pytest.raises(bubble.IntegrationError,
                       match=r"dissolution did not finish .* \(at sqrt\(t\) = .* s\^0.5 of"):
        bubble.dissolution_time(1e-4, p_liquid=1e5, gas_tension=0.5e5, ostwald=0.015,
                                diffusivity=2e-9, sigma=0.07)


def test_without_the_compiled_path_lsoda_answers(monkeypatch):
    # numba missing, or no folder to cache its code in: the import fails, LSODA runs.
    import sys

    import cavitation

    monkeypatch.setitem(sys.modules, "cavitation._compiled", None)
    monkeypatch.delattr(cavitation, "_compiled", raising=False)
    monkeypatch.setattr(bubble, "_slow_path_reason", None)
    t = np.linspace(0.0, 1e-4, 11)
    # Said once, with why and how to fix it; not again.
    with pytest.warns(bubble.CompiledPathWarning,
                      match=r"compiled integrator is unavailable \(\w*Error: .*\); every"
                            r" simulation falls back to LSODA.*Fix: pip install numba"):
        fallback = bubble.solve(1e-3, 1e-4, R_eq=5e-4, t_eval=t)
    lsoda = bubble.solve(1e-3, 1e-4, R_eq=5e-4, t_eval=t, method="lsoda")
    np.testing.assert_array_equal(fallback.R, lsoda.R)
    bubble.solve(1e-3, 1e-4, R_eq=5e-4, t_eval=t)  # no second warning (an error here)
    assert bubble.compiled_path_status().startswith(
        "compiled path unavailable (ModuleNotFoundError")


def test_version_says_whether_the_compiled_path_is_active(capsys):
    from cavitation.cli import main

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr()
    assert re.fullmatch(r"cavitation \S+; compiled path active \(numba \S+\)\n", out.out)
    assert out.err == ""  # on standard output, as argparse's own --version


def _published_keller_miksis(p_inf, dp_inf_dt, *, rho, mu, sigma, c, kappa, p_gas_ref, R_ref):
    """The right-hand side of Keller & Miksis 1980 in the form of Prosperetti & Lezzi
    1986, written out here on its own, far-field term included:
    (1 - R'/c) R R'' + 3/2 (1 - R'/3c) R'^2
        = (1 + R'/c)(p_B - p_inf)/rho + R/(rho c) d(p_B - p_inf)/dt."""
    def rhs(t, y):
        R, Rdot = y
        p_g = p_gas_ref * (R_ref / R) ** (3 * kappa)
        p_B = p_g - 2 * sigma / R - 4 * mu * Rdot / R
        # d p_B/dt = (dp_B/dR) R' + (dp_B/dR') R'', with dp_B/dR' = -4 mu / R
        dpB_dR = -3 * kappa * p_g / R + 2 * sigma / R**2 + 4 * mu * Rdot / R**2
        lhs_factor = (1 - Rdot / c) * R + R / (rho * c) * 4 * mu / R
        right = ((1 + Rdot / c) * (p_B - p_inf(t)) / rho
                 + R / (rho * c) * (dpB_dR * Rdot - dp_inf_dt(t))
                 - 1.5 * (1 - Rdot / (3 * c)) * Rdot**2)
        return [Rdot, right / lhs_factor]
    return rhs


def test_keller_miksis_with_a_changing_far_field_is_the_published_equation():
    from scipy.integrate import solve_ivp

    p0, swing, omega = 101325.0, 2e4, 2 * np.pi * 3e3
    def p_inf(t):
        return p0 + swing * np.sin(omega * t)

    def dp_inf_dt(t):
        return swing * omega * np.cos(omega * t)

    R_eq, t_end = 5e-4, 1e-3
    liquid = {"rho": 998.0, "mu": 1e-3, "sigma": 0.072, "c": 1500.0, "kappa": 1.4}
    p_gas_ref = p0 + 2 * liquid["sigma"] / R_eq
    t = np.linspace(0.0, t_end, 2001)
    reference = solve_ivp(
        _published_keller_miksis(p_inf, dp_inf_dt, p_gas_ref=p_gas_ref, R_ref=R_eq, **liquid),
        (0.0, t_end), [R_eq, 0.0], method="DOP853", rtol=1e-12, atol=[1e-16, 1e-12], t_eval=t,
        first_step=1e-9)
    samples = np.linspace(0.0, t_end, 20001)
    sampled = bubble.solve(R_eq, t_end, R_eq=R_eq, p_inf=(samples, p_inf(samples)), t_eval=t,
                           **liquid)
    function = bubble.solve(R_eq, t_end, R_eq=R_eq, p_inf=p_inf, t_eval=t, method="lsoda",
                            **liquid)
    compiled = bubble.solve(R_eq, t_end, R_eq=R_eq, p_inf=p_inf, t_eval=t, **liquid)
    swing_R = np.ptp(reference.y[0])
    # rtol 1e-8 and, for the samples, linear interpolation at 50 ns ((omega dt)^2 / 8 =
    # 1e-8 of the pressure's swing): measured 3e-7 (samples), 1.3e-7 (LSODA calling the
    # function) and 3.5e-8 (the function read at FAR_FIELD_SAMPLES times, compiled) of
    # the radius's swing; leaving the far-field term out moves it by 6e-3.
    np.testing.assert_allclose(sampled.R, reference.y[0], rtol=0, atol=1e-5 * swing_R)
    np.testing.assert_allclose(function.R, reference.y[0], rtol=0, atol=1e-5 * swing_R)
    np.testing.assert_allclose(compiled.R, reference.y[0], rtol=0, atol=1e-5 * swing_R)
    # At rtol 1e-11 what is left is the reading of the far field: the function's cubic
    # Hermite reading at 50 ns, measured 6e-11 of the swing ((omega dt)^3 / 20 = 4e-11
    # of the pressure's), within 1e-9; the same 20,001 samples read linearly, 8.6e-8.
    tight = bubble.solve(R_eq, t_end, R_eq=R_eq, p_inf=p_inf, t_eval=t, rtol=1e-11, **liquid)
    np.testing.assert_allclose(tight.R, reference.y[0], rtol=0, atol=1e-9 * swing_R)
    # Without the far-field term the answer is measurably different: the term matters.
    without = solve_ivp(
        _published_keller_miksis(p_inf, lambda t: 0.0, p_gas_ref=p_gas_ref, R_ref=R_eq, **liquid),
        (0.0, t_end), [R_eq, 0.0], method="DOP853", rtol=1e-12, atol=[1e-16, 1e-12], t_eval=t,
        first_step=1e-9)
    assert np.max(np.abs(without.y[0] - reference.y[0])) > 1e-3 * swing_R


def test_a_far_field_function_is_read_exactly_where_it_is_quadratic():
    # Cubic Hermite polynomials through a quadratic's values, with its slopes from
    # second-order differences (exact for a quadratic, the ends too), are the quadratic:
    # the pressure and its rate agree to rounding, in the scalar law (floats; numba
    # compiles the same) and on arrays (the same polynomials in numpy); held beyond the
    # times read, at rate 0. The vertex is inside [0, t_end], between two samples,
    # where a limiter on the slopes would bind.
    def quadratic(t):
        return 1e5 - 3e7 * t + 1.5e10 * np.asarray(t) ** 2  # vertex at 1 ms

    t_end = 2e-3 + 0.6 * 2e-3 / 20_000
    value, rate, packed = bubble._function_far_field(quadratic, t_end)
    t = np.sort(np.concatenate([np.random.default_rng(3).uniform(0.0, t_end, 500),
                                np.linspace(0.999e-3, 1.001e-3, 101), [t_end]]))
    scale = 1e5
    for law in (lambda t: np.array([bubble.hermite_far_field(ti, packed) for ti in t]).T,
                lambda t: (value(t), rate(t))):
        p, dp_dt = law(t)
        np.testing.assert_allclose(p, quadratic(t), rtol=0, atol=1e-9 * scale)
        np.testing.assert_allclose(dp_dt, -3e7 + 3e10 * t, rtol=0, atol=1e-9 * scale / t_end)
    assert bubble.hermite_far_field(2 * t_end, packed) == (quadratic(t_end), 0.0)
    assert value(0.0) == quadratic(0.0) and rate(0.0) == pytest.approx(-3e7)
    assert rate(np.array([2 * t_end]))[0] == 0.0  # held beyond, on arrays too


def test_a_far_field_functions_reading_is_the_same_on_floats_and_arrays_to_its_end():
    # At t_end itself t_end / step may round past the last sample (20000.000000000004
    # for t_end = 40.97352393619565 s, review): the scalar law reads the last sample
    # there, as the arrays do, bit for bit.
    t_end = 40.97352393619565
    value, rate, packed = bubble._function_far_field(
        lambda t: 1e5 + 2e4 * np.sin(0.3 * np.asarray(t)), t_end)
    t = np.array([0.0, -0.0, 1e-300, 0.5 * t_end, np.nextafter(t_end, 0.0), t_end,
                  np.nextafter(t_end, np.inf), 2 * t_end])
    floats = np.array([bubble.hermite_far_field(ti, packed) for ti in t]).T
    np.testing.assert_array_equal(floats[0], value(t))
    np.testing.assert_array_equal(floats[1], rate(t))


def test_a_smooth_far_field_function_is_read_to_its_order():
    # A 3 kHz swing over 1 ms, read at 50 ns: the cubic's error, (omega dt)^3 / 20 =
    # 4e-11 of the swing, measured 5e-11, within 1e-10; its rate's, about (omega dt)^2 / 6
    # = 1.5e-7 of swing x omega, measured 2.7e-7, within 1e-6. A limiter that keeps
    # monotone pieces monotone flattened the slopes at the extrema: 3e-8 and 2e-4.
    swing, omega, t_end = 2e4, 2 * np.pi * 3e3, 1e-3
    value, rate, _ = bubble._function_far_field(
        lambda t: 1e5 + swing * np.sin(omega * np.asarray(t)), t_end)
    t = np.random.default_rng(5).uniform(0.0, t_end, 100_000)
    assert np.max(np.abs(value(t) - 1e5 - swing * np.sin(omega * t))) < 1e-10 * swing
    assert np.max(np.abs(rate(t) - swing * omega * np.cos(omega * t))) < 1e-6 * swing * omega


def test_a_far_field_function_that_jumps_is_overshot_near_the_jump_alone():
    # As documented (_far_field_slopes): differences across a jump overshoot it by up
    # to 7.4 % (4/27 x 1/2), in the sample interval on either side; elsewhere the
    # reading is the samples' flat value.
    def step(t):
        return np.where(np.asarray(t) < 0.3e-3, 1e5, 0.0)

    t_end = 1e-3
    value, _, _ = bubble._function_far_field(step, t_end)
    t = np.linspace(0.0, t_end, 400_001)
    p = value(t)
    assert -0.075e5 < p.min() < 0.0 and 1e5 < p.max() < 1.075e5
    dt = t_end / 20_000
    away = np.abs(t - 0.3e-3) > 2 * dt
    np.testing.assert_allclose(p[away], step(t[away]), rtol=0, atol=1e-9)  # to rounding


def test_a_far_field_function_out_of_range_or_over_too_short_a_time_is_refused():
    with pytest.raises(ValueError, match=r"p_inf\(t\) = 1000000000000\.0 Pa at t = 0\.0 s is"
                                         r" out of range; valid range: \[-1e\+08, 1e\+09\] Pa"):
        bubble.solve(1e-4, 1e-3, R_eq=1e-4, p_inf=lambda t: 1e12 + 0.0 * np.asarray(t))
    # 20,001 times over 1e-160 s made every slope NaN, and the integrator looped forever
    with pytest.raises(ValueError, match=r"t_end = 1e-160 s is too short to read p_inf\(t\)"
                                         r".*valid range with p_inf a function: \[1e-12, 1000\] s"):
        bubble.solve(1e-4, 1e-160, R_eq=1e-4, p_inf=lambda t: 1e5 + 0.0 * np.asarray(t))
    assert bubble.solve(1e-4, 1e-12, R_eq=1e-4, p_inf=lambda t: 1e5 + 0.0 * np.asarray(t)
                        ).Rddot[-1] == 0.0  # a constant: slopes of exactly 0


def test_a_far_field_function_takes_fewer_steps_than_its_linear_samples():
    # The reason for the Hermite reading: a linear reading's rate jumps at every sample,
    # and Keller-Miksis carries the rate, so the error estimate takes more steps
    # (measured 3,010 against 1,749 on this drop and recovery); the function's steps
    # are those of the smooth far field.
    def drop(t):
        return 101325.0 - 5e4 * np.sin(np.pi * np.asarray(t) / 3e-3) ** 2

    times = np.linspace(0.0, 3e-3, 20_001)
    function = bubble.solve(1e-4, 3e-3, R_eq=1e-4, p_inf=drop)
    samples = bubble.solve(1e-4, 3e-3, R_eq=1e-4, p_inf=(times, drop(times)))
    assert function.t.size < 0.7 * samples.t.size
    np.testing.assert_allclose(function.R, np.interp(function.t, samples.t, samples.R),
                               rtol=1e-6)


def test_a_far_field_function_that_is_not_finite_is_refused():
    with pytest.raises(ValueError, match=r"p_inf\(t\) = nan Pa at t = 0\.0 s is out of range"):
        bubble.solve(1e-4, 2e-4, R_eq=1e-4, p_inf=lambda t: np.nan * np.asarray(t))


def test_sampled_far_field_runs_compiled(monkeypatch):
    from cavitation import _compiled

    calls = []
    original = _compiled.solve
    monkeypatch.setattr(_compiled, "solve", lambda *a, **k: calls.append(1) or original(*a, **k))
    times = np.array([0.0, 1e-4, 2e-4])
    bubble.solve(1e-4, 2e-4, R_eq=1e-4, p_inf=(times, np.array([1e5, 1.2e5, 1e5])))
    assert calls


def test_bad_far_field_samples_are_refused():
    with pytest.raises(ValueError, match="p_inf samples"):
        bubble.solve(1e-4, 2e-4, R_eq=1e-4, p_inf=(np.array([0.0, 0.0]), np.array([1e5, 1e5])))


def test_gas_uptake_is_the_integral_of_the_diffusive_flux():
    from scipy.integrate import quad

    S, t_open, p, L, D = 2e-4, 0.7, 6000.0, 0.62, 2e-9
    c = L * p / (bubble.GAS_CONSTANT_J_MOL_K * 310.15)
    # The flux into a wall held at zero concentration: S c sqrt(D / (pi t)), its
    # 1/sqrt(t) given to quad as an algebraic weight.
    flux = quad(lambda t: S * c * np.sqrt(D / np.pi), 0.0, t_open, weight="alg",
                wvar=(-0.5, 0.0))[0]
    assert bubble.gas_uptake_mol(S, t_open, tension_pa=p, ostwald=L,
                                 diffusivity_m2_s=D) == pytest.approx(flux, rel=1e-9)


def test_one_gas_residual_dissolves_as_epstein_plesset():
    gas = (6000.0, 0.62, 2e-9)
    moles = 1e-8
    R0 = bubble.residual_radius([moles], [gas], 0.0, p_liquid=1e5, sigma=0.05)
    volume = moles * bubble.GAS_CONSTANT_J_MOL_K * 310.15 / 1e5
    assert 4 / 3 * np.pi * R0**3 == pytest.approx(volume, rel=1e-12)
    assert bubble.residual_dissolution_time([moles], [gas], p_liquid=1e5, sigma=0.05) == \
        pytest.approx(bubble.dissolution_time(R0, p_liquid=1e5, gas_tension=6000.0,
                                              ostwald=0.62, diffusivity=2e-9, sigma=0.05),
                      rel=1e-12)  # the same equation from a radius rounded once more


def test_two_gases_leave_one_after_the_other():
    co2, n2 = (6000.0, 0.62, 2e-9), (75e3, 0.014, 2.5e-9)
    moles, at = [2e-8, 6e-9], {"p_liquid": 1e5, "sigma": 0.05}
    total = bubble.residual_dissolution_time(moles, [co2, n2], **at)
    co2_alone = bubble.residual_dissolution_time(moles[:1], [co2], **at)
    n2_alone = bubble.residual_dissolution_time(moles[1:], [n2], **at)
    assert total == pytest.approx(co2_alone + n2_alone, rel=1e-12)
    assert co2_alone < 0.1 * n2_alone  # the soluble gas goes first, and fast
    # Once the CO2 has gone, the bubble is the nitrogen's alone.
    R_n2 = bubble.residual_radius(moles[1:], [n2], 0.0, **at)
    assert bubble.residual_radius(moles, [co2, n2], co2_alone * (1 + 1e-9), **at) == \
        pytest.approx(R_n2, rel=1e-6)
    assert bubble.residual_radius(moles, [co2, n2], 1.01 * total, **at) == 0.0


def test_uptake_through_a_constant_wall_is_the_closed_form():
    t = np.linspace(0.0, 0.7, 50) ** 2 / 0.7  # uneven steps
    kwargs = {"tension_pa": 6000.0, "ostwald": 0.62, "diffusivity_m2_s": 2e-9}
    assert bubble.gas_uptake_history_mol(t, np.full(t.size, 2e-4), **kwargs) == \
        pytest.approx(bubble.gas_uptake_mol(2e-4, 0.7, **kwargs), rel=1e-12)
    # A wall that closes half-way takes up what the open half gave.
    closing = np.where(t <= t[25], 2e-4, 0.0)
    half = bubble.gas_uptake_history_mol(t, closing, **kwargs)
    assert bubble.gas_uptake_mol(2e-4, t[25], **kwargs) < half < \
        bubble.gas_uptake_mol(2e-4, t[26], **kwargs)


def test_residual_moles_leave_gas_by_gas():
    co2, n2 = (6000.0, 0.62, 2e-9), (75e3, 0.014, 2.5e-9)
    moles, at = (2e-8, 6e-9), {"p_liquid": 1e5, "sigma": 0.05}
    co2_time = bubble.residual_dissolution_time(moles[:1], [co2], **at)
    assert bubble.residual_moles(moles, [co2, n2], 0.0, **at) == moles
    halfway = bubble.residual_moles(moles, [co2, n2], 0.5 * co2_time, **at)
    assert 0.0 < halfway[0] < moles[0] and halfway[1] == moles[1]
    assert bubble.residual_moles(moles, [co2, n2], 1.01 * co2_time, **at)[0] == 0.0
