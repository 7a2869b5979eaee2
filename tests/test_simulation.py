"""The coupled joint-fluid-cavity model: closed-form limits, conservation, convergence."""

import math

import numpy as np
import pytest

import cavitation as cv
from cavitation import bubble, confined
from cavitation.fluid import capsule_pressure
from cavitation.joint import KNUCKLE, FunctionLoading, RampAndHold, SampledLoading
from cavitation.presets import get_preset

A = KNUCKLE.area_m2
k = KNUCKLE.stiffness_n_m
C = KNUCKLE.capsule.compliance_m3_pa
P_REST = KNUCKLE.capsule.rest_pressure_pa
P_NUC = KNUCKLE.nucleation.pressure_pa
#: Quasi-static crack force of a linear capsule: the ligaments carry k (h - h0) and the
#: fluid A (p_rest - p), with A (h - h0) = C (p_rest - p) at nucleation.
CRACK_FORCE_N = (k * C / A + A) * (P_REST - P_NUC)


def test_slow_pull_cracks_at_quasi_static_force():
    # The sphere: no film. The confined cavity's film adds its tension (test_confined).
    result = cv.simulate(geometry="sphere", loading=RampAndHold(
        peak_force_n=60.0, ramp_time_s=2.0, hold_time_s=0.1))
    assert result.cracked
    # 0.1 %: the damping and capsule-resistance forces of a 30 N/s ramp are 1e-4 of
    # the crack force, inertia less still (measured 7e-5).
    assert result.summary.nucleation_force_n == pytest.approx(CRACK_FORCE_N, rel=1e-3)
    # The pressure computed at the located event: root-finding on the integrator's
    # interpolant puts it within 1e-6 of the threshold.
    assert result.summary.nucleation_pressure_pa == pytest.approx(P_NUC, rel=1e-6)


def test_pull_below_threshold_does_not_crack():
    result = cv.simulate(loading=RampAndHold(peak_force_n=0.99 * CRACK_FORCE_N,
                                             ramp_time_s=0.5, hold_time_s=0.2))
    assert not result.cracked
    assert result.pressure_pa.min() > P_NUC
    assert np.all(result.radius_m == 0.0)
    assert np.all(result.radiated_pressure_pa == 0.0)
    assert math.isnan(result.summary.crack_time_s)
    assert result.summary.refractory_time_s == 0.0
    assert result.t_s[-1] == pytest.approx(0.7)


def _laplace_pa(result):
    """The cavity's surface tension pressure at the end of a crack [Pa]: on a sphere's
    radius, or on the rim of the confined disc, sigma (2/h + 1/b)."""
    R, h, sigma = result.radius_m[-1], result.gap_m[-1], KNUCKLE.fluid.surface_tension_n_m
    if result.settings["geometry"] == "sphere":
        return 2.0 * sigma / R
    b = confined.shape(4 / 3 * np.pi * R**3, h, np.sqrt(A / np.pi))[1]
    return sigma * (2.0 / h + 1.0 / b)


@pytest.mark.parametrize("geometry", cv.simulation.GEOMETRIES)
def test_joint_settles_where_ligaments_and_cavity_pressure_balance_the_pull(geometry):
    pull = RampAndHold(peak_force_n=1.002 * CRACK_FORCE_N, ramp_time_s=0.3, hold_time_s=0.5)
    # The confined cavity settles through the recess's layer, whose shear-thinning
    # liquid thickens as the flow slows: its time constant is about 20 ms, so it is
    # followed 0.3 s; the sphere's ringing is gone well within 80 ms.
    after = 0.3 if geometry == "confined" else 0.08
    result = cv.simulate(loading=pull, after_crack_s=after, geometry=geometry,
                         output_step_s=1e-5 if geometry == "confined" else 1e-6)
    fluid = KNUCKLE.fluid
    # The cavity ends in equilibrium: fluid pressure = vapour - Laplace (its gas is
    # negligible at this size), and F = k (h - h0) + A (p_rest - p).
    p_cavity = fluid.vapour_pressure_pa - _laplace_pa(result)
    gap = KNUCKLE.rest_gap_m + (pull.peak_force_n - A * (P_REST - p_cavity)) / k
    # 1e-6: 80 ms after the crack the joint's ringing (damping ratio 0.3) is down by
    # e^-17 and the cavity's by more (measured 1.7e-7: the crack's speed tolerance).
    assert result.pressure_pa[-1] == pytest.approx(p_cavity, rel=1e-6)
    assert result.gap_m[-1] == pytest.approx(gap, rel=1e-6)


@pytest.mark.parametrize("model", bubble.MODELS)
def test_volume_is_conserved(model):
    # An elastic capsule: what it gives, C (p - p_n), is the integral of the fluid's
    # volume flux A hdot - 4 pi R^2 Rdot, both from the integrated state velocities.
    elastic = cv.replace(KNUCKLE, **{"capsule.resistance_pa_s_m3": 0.0})
    result = cv.simulate(elastic, model=model, after_crack_s=0.01)
    crack = result.t_s >= result.summary.crack_time_s
    t = result.t_s[crack]
    flux = A * result.gap_rate_m_s[crack] - 4.0 * np.pi * result.radius_m[crack] ** 2 \
        * result.radius_rate_m_s[crack]
    given = np.concatenate([[0.0], np.cumsum(0.5 * (flux[1:] + flux[:-1]) * np.diff(t))])
    expected = C * (result.pressure_pa[crack][0] - result.pressure_pa[crack])
    # Trapezoid rule on the 1 us grid: relative error (omega dt)^2 / 12 ~ 2e-5 for the
    # 2.5 kHz ringing, plus the integration tolerance; the swing is 2e-8 m^3.
    np.testing.assert_allclose(given, expected, rtol=0, atol=1e-4 * np.ptp(expected))
    assert np.ptp(expected) > 1e-9  # the capsule did move


def test_reported_pressure_is_the_capsule_law_including_its_resistance(knuckle_crack):
    r = knuckle_crack
    crack = r.t_s >= r.summary.crack_time_s
    t, h = r.t_s[crack], r.gap_m[crack]
    deformation = A * (h - KNUCKLE.rest_gap_m) - r.cavity_volume_m3[crack]
    rate = np.gradient(deformation, t)
    expected = capsule_pressure(deformation, KNUCKLE.capsule, rate)
    # Central differences on the 1 us grid: error (dt^2 / 6) x third derivative, a few
    # kPa at the ringing's peak; the ringing swings the pressure by 100 kPa.
    np.testing.assert_allclose(r.pressure_pa[crack][1:-1], expected[1:-1], atol=5e3)


def test_crack_events_come_in_order(knuckle_crack):
    r, s = knuckle_crack, knuckle_crack.summary
    ev = r.events
    assert ev.nucleation_s == s.crack_time_s
    assert ev.nucleation_s < ev.max_radius_s[0] < s.first_collapse_time_s
    assert ev.rebound_s.size > 0 and ev.rebound_s[0] > s.first_collapse_time_s
    # A partial collapse: the cavity shrinks but does not vanish.
    assert 0.1 * s.max_radius_m < s.first_collapse_radius_m < s.max_radius_m
    # The surfaces spring apart at the crack (order 1 mm; Roston & Wheeler Haines 1947).
    assert 0.3e-3 < s.gap_jump_m < 3e-3


def test_tenfold_tighter_tolerance_barely_moves_the_crack(knuckle_crack):
    tight = cv.simulate(rtol=1e-9)
    s, t = knuckle_crack.summary, tight.summary
    # The bounds: 0.1 % on the first collapse (counted from nucleation, which is
    # stricter than from the start of the pull), 2 % on the peak pressure.
    assert t.first_collapse_time_s - t.crack_time_s == pytest.approx(
        s.first_collapse_time_s - s.crack_time_s, rel=1e-3)
    assert t.peak_radiated_pressure_pa == pytest.approx(s.peak_radiated_pressure_pa, rel=2e-2)


@pytest.mark.parametrize("source", ["formation", "collapse"])
def test_chosen_source_phase_is_heard_alike_at_every_distance(source):
    # The phase is chosen at emission: far away the same signal arrives later and
    # weaker, r p(r, t + (r - R)/c) being the same at 1 cm and at 1 m.
    near = cv.simulate(source=source, distance_m=0.01, after_crack_s=0.005, geometry="sphere")
    far = cv.simulate(source=source, distance_m=1.0, after_crack_s=0.005, geometry="sphere")
    peak_near = 0.01 * np.max(np.abs(near.radiated_pressure_pa))
    peak_far = 1.0 * np.max(np.abs(far.radiated_pressure_pa))
    # The 1 us output grid samples a 2 kHz peak to 2e-4; the delay shifts it within.
    assert peak_far == pytest.approx(peak_near, rel=1e-3)


def test_formation_and_collapse_sources_split_the_whole(knuckle_crack):
    full = knuckle_crack.source_volume_accel_m3_s2
    formation = cv.simulate(source="formation").source_volume_accel_m3_s2
    collapse = cv.simulate(source="collapse").source_volume_accel_m3_s2
    np.testing.assert_allclose(formation + collapse, full, rtol=1e-12, atol=1e-12)
    t_max = knuckle_crack.events.max_radius_s[0]
    t_n = knuckle_crack.events.nucleation_s
    early = knuckle_crack.t_s < t_max - 0.1 * (t_max - t_n)
    assert np.all(collapse[early] == 0.0) and np.any(formation[early] != 0.0)


def test_gap_jump_does_not_depend_on_how_long_the_crack_is_followed():
    short = cv.simulate(after_crack_s=0.04).summary.gap_jump_m
    long = cv.simulate(after_crack_s=0.08).summary.gap_jump_m
    # The joint rings down with damping ratio 0.3 at 116 Hz: after 32 ms its swing is
    # e^-7 of the jump, and averaging over the last fifth leaves less.
    assert long == pytest.approx(short, rel=1e-2)


def test_joint_before_the_crack_is_a_damped_oscillator():
    # Before nucleation the fluid adds a spring A^2 / C and a dashpot A^2 R_c to the
    # ligaments: a step force gives the closed-form damped step response.
    # The sphere: no film between the surfaces (the film adds Stefan's drag and mass).
    loose = cv.replace(KNUCKLE, area_m2=1e-4, **{"capsule.compliance_m3_pa": 1e-11})
    step = 5.0  # N, far below the crack force of this joint (340 N)
    result = cv.simulate(loose, loading=FunctionLoading(lambda t: step, 0.05),
                         geometry="sphere")
    assert not result.cracked
    area, capsule = loose.area_m2, loose.capsule
    m = loose.mass_kg
    k = loose.stiffness_n_m + area**2 / capsule.compliance_m3_pa
    c = loose.damping_n_s_m + area**2 * capsule.resistance_pa_s_m3
    wn, zeta = np.sqrt(k / m), c / (2 * np.sqrt(k * m))
    wd = wn * np.sqrt(1 - zeta**2)
    t = result.t_s
    x = step / k * (1 - np.exp(-zeta * wn * t) * (np.cos(wd * t)
                                                 + zeta / np.sqrt(1 - zeta**2) * np.sin(wd * t)))
    # rtol 1e-8 in the integration; 1e-6 of the static deflection leaves margin. Leaving
    # out the fluid's spring or dashpot would miss by 1e-1 and 4e-3 here.
    np.testing.assert_allclose(result.gap_m - loose.rest_gap_m, x, atol=1e-6 * step / k)


@pytest.mark.parametrize("make", [lambda f: FunctionLoading(lambda t: f, 0.2),  # LSODA
                                  lambda f: SampledLoading([0.0, 0.2], [f, f])])  # compiled
def test_a_force_applied_at_once_past_the_threshold_cracks_at_once(make):
    # A step force accelerates the joint at once, and the film's inertia pulls its
    # centre's pressure down with it: from about 57 N on, below the knuckle's threshold
    # at t = 0 itself. There is no crossing of the threshold for an integration to
    # find, and the crack must come at t = 0 (it did not come at all, for any force).
    # Just below that force the crack comes within 1 us, so nothing jumps between.
    below, above = (cv.simulate(KNUCKLE, make(force)) for force in (56.0, 60.0))
    assert below.cracked and 0.0 < below.summary.crack_time_s < 1e-6
    assert above.cracked and above.summary.crack_time_s == 0.0
    # The two cracks differ by the 4 N between them, not by a different kind of event:
    # the peak radiated pressure grows with the force, by 5 % here.
    assert 1.0 < above.summary.peak_radiated_pressure_pa / \
        below.summary.peak_radiated_pressure_pa < 1.1


def test_refractory_time_is_dissolution_of_the_gas_that_diffused_in(knuckle_crack):
    # Wiring: the summary takes each gas that diffused into the cavity while it was
    # open (from the crack to the end of the pull), and dissolves that bubble;
    # Epstein-Plesset itself is tested in test_bubble.py.
    s = knuckle_crack.summary
    fluid = KNUCKLE.fluid
    crack = knuckle_crack.t_s >= s.crack_time_s
    t, wall = cv.simulation._gas_history(
        "confined", KNUCKLE, RampAndHold(), knuckle_crack.t_s[crack],
        knuckle_crack.cavity_volume_m3[crack], knuckle_crack.gap_m[crack])
    assert t[-1] == pytest.approx(RampAndHold().duration_s)  # held open to the end
    gases = [g[1:] for g in cv.fluid.dissolved_gases(fluid)]
    moles = [bubble.gas_uptake_history_mol(t, wall, tension_pa=p, ostwald=L,
                                           diffusivity_m2_s=D) for p, L, D in gases]
    np.testing.assert_allclose(s.residual_gas_mol, moles, rtol=1e-14)
    at_rest = {"p_liquid": P_REST, "sigma": fluid.surface_tension_n_m,
               "p_vapour": fluid.vapour_pressure_pa}
    assert s.refractory_time_s == bubble.residual_dissolution_time(moles, gases, **at_rest)
    assert s.residual_radius_m == bubble.residual_radius(moles, gases, 0.0, **at_rest)
    # The flux ratio of the two gases, L p sqrt(D) (the same wall, the same time).
    ratio = [L * p * np.sqrt(D) for p, L, D in gases]
    assert s.residual_co2_fraction == pytest.approx(ratio[0] / sum(ratio), rel=1e-12)


def test_the_gas_left_does_not_depend_on_how_long_the_crack_is_followed(knuckle_crack):
    # After the simulated window the held joint's cavity is continued quasi-statically
    # to the end of the pull: following the crack 10 or 100 ms leaves the same gas
    # (measured 0.5 %: the ringing left at 10 ms).
    for after in (0.01, 0.1):
        other = cv.simulate(after_crack_s=after).summary
        assert other.residual_radius_m == pytest.approx(
            knuckle_crack.summary.residual_radius_m, rel=1e-2)


def test_sampled_loading_gives_same_crack_as_the_law_it_samples():
    pull = RampAndHold(peak_force_n=60.0, ramp_time_s=0.6, hold_time_s=0.1)
    t = np.array([0.0, 0.6, 0.7])
    sampled = SampledLoading(t, np.array([0.0, 60.0, 60.0]))
    a = cv.simulate(loading=pull, after_crack_s=0.005).summary
    b = cv.simulate(loading=sampled, after_crack_s=0.005).summary
    assert b.crack_time_s == pytest.approx(a.crack_time_s, rel=1e-9)


def test_function_loading_needs_a_duration():
    # simulate has no duration_s: the message says where a duration goes.
    with pytest.raises(ValueError, match=r"needs its duration \[s\]: give"
                                         r" FunctionLoading\(function, duration_s\)"):
        cv.simulate(loading=lambda t: 50.0 * t)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"model": "gilmore"}, r"unknown bubble model 'gilmore'; valid choices"),
        ({"source": "pop"}, r"unknown source 'pop'; valid choices: full, collapse, formation"),
        ({"radiation_form": "far"}, r"unknown radiation form 'far'; valid choices"),
        ({"distance_m": 0.0}, r"distance_m = 0.0 m is out of range; valid range: \[0.001, 10\]"),
        ({"after_crack_s": 5.0}, r"after_crack_s = 5.0 s is out of range"),
        ({"rtol": 0.1}, r"rtol = 0.1 is out of range"),
        ({"distance_m": 0.002}, r"distance_m = 0.002 m is inside the cavity"),
        ({"joint": "knuckle"}, r"joint must be a cavitation.joint.Joint"),
    ],
)
def test_bad_settings_raise_with_name_unit_and_range(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cv.simulate(**kwargs)


def test_nucleus_that_cannot_grow_is_refused():
    stable = cv.replace(KNUCKLE, **{"nucleation.pressure_pa": 0.0,
                                    "nucleation.radius_m": 1e-7})
    with pytest.raises(ValueError, match=r"nucleation.pressure_pa = 0 Pa is too high for a"
                                         r" nucleus of nucleation.radius_m = 1e-07 m"):
        cv.simulate(stable)



def test_integrator_failure_is_an_error_not_nan():
    class Failed:
        status, message = -1, "step size too small"
        t = np.array([0.0, 1e-3])
        y = np.array([[1.0, np.nan], [0.0, 0.0]])

    # A documented error (a ValueError, one line at the command line), naming the cause.
    with pytest.raises(cv.simulation.IntegrationError,
                       match=r"the crack phase failed at t = 0\.001 s \(step size too small\):"
                             r" these parameters make the joint too stiff"):
        cv.simulation._check_integration(Failed(), "crack")
    Failed.status = 0
    with pytest.raises(ValueError, match="the state stopped being finite"):
        cv.simulation._check_integration(Failed(), "crack")


def test_a_stiff_integration_stops_at_its_budget(monkeypatch):
    # The stiff integrators give up after BUDGET_S of computing, with a documented error:
    # here a budget of 0 on a loading the compiled path cannot take (a Python function).
    monkeypatch.setattr(cv.bubble, "BUDGET_S", 0.0)
    pull = FunctionLoading(lambda t: 60.0 * min(t / 0.6, 1.0), duration_s=1.0)
    with pytest.raises(cv.simulation.IntegrationError,
                       match=r"the opening phase did not finish within 0 s of computing"):
        cv.simulate(cv.KNUCKLE, pull)


def test_a_cavity_that_collapses_completely_ends_its_series():
    # A short, strong thrust closes the mid-cervical joint again 35 ms after its crack,
    # with little fluid: the emptied cavity is driven through zero volume (found by the
    # fuzz harness, benchmarks/fuzz.py). Its series stop there instead of failing, and
    # the sound is heard up to that point.
    neck = get_preset("mid-cervical")
    joint = cv.replace(neck.joint, **{"body.depth_m": 0.17255449215276036,
                                      "fluid.nitrogen_ostwald_coefficient": 0.0567945764146,
                                      "capsule.fluid_volume_m3": 7.026590251448371e-08})
    thrust = cv.replace(neck.loading, peak_force_n=1249.566387924717,
                        thrust_time_s=0.036684438753778546,
                        preload_time_s=0.0035470323357502565)
    result = cv.simulate(joint, thrust)
    assert result.cracked and np.all(np.isfinite(result.radius_m))
    ended = result.t_s[-1] - result.summary.crack_time_s
    assert ended < 0.04 - 1e-4  # before the 40 ms window: measured 33.5 ms
    # Within the last output step (1 us) the volume falls from its last sample, under
    # 1e-5 of its largest, to COLLAPSED_FRACTION of the nucleus's.
    V = result.cavity_volume_m3
    assert V[-1] < 1e-5 * V.max()
    heard = cv.render(joint, thrust, listener_kind="contact", level="normalised")
    assert heard.crack.cracked and np.max(np.abs(heard.signal)) > 0


@pytest.mark.parametrize("geometry", cv.simulation.GEOMETRIES)
@pytest.mark.parametrize("compliance", [0.75e-13, 1.5e-13, 3e-13])
def test_gap_jump_is_independent_of_the_capsule(compliance, geometry):
    # Quasi-static: at nucleation F_n = (kC/A + A)(p_rest - p_nuc) and h_n - h0 =
    # C (p_rest - p_nuc)/A; after it the fluid is at the cavity's pressure p_c, so
    # h - h0 = (F_n - A (p_rest - p_c))/k. The jump, A (p_c - p_nuc)/k, has no C in it.
    joint = cv.replace(KNUCKLE, **{"capsule.compliance_m3_pa": compliance})
    result = cv.simulate(joint, geometry=geometry)
    p_c = KNUCKLE.fluid.vapour_pressure_pa - _laplace_pa(result)
    expected = A * (p_c - P_NUC) / k
    # 1 %: the damper's drag on the still-rising pull, c (dF/dt) / k = 0.08 N against
    # the 16 N jump force, shortens the jump by 0.5 % (measured 0.4-0.5 %).
    assert result.summary.gap_jump_m == pytest.approx(expected, rel=1e-2)


def test_the_radiated_pressure_is_reported_outside_a_wide_cavity():
    # A soft knuckle (180 N/m) grows a cavity wider than 1 cm across: by default the
    # radiated pressure is then reported at twice its largest radius, not refused.
    soft = cv.simulate(cv.replace(cv.KNUCKLE, stiffness_n_m=180), after_crack_s=0.01)
    assert soft.cracked and soft.summary.max_radius_m > 0.005
    assert soft.settings["distance_m"] == pytest.approx(2 * soft.summary.max_radius_m)
    assert cv.simulate(after_crack_s=0.005).settings["distance_m"] == 0.01
    with pytest.raises(ValueError, match=r"distance_m = 0\.005 m is inside the cavity"):
        cv.simulate(cv.replace(cv.KNUCKLE, stiffness_n_m=180), after_crack_s=0.01,
                    distance_m=0.005)
