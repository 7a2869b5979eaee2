"""People drawn from stated spreads, and pops counted side by side as the studies did."""

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from cavitation import detection, population
from cavitation import scenario as sc

FS = 48000


def _burst(t, start, amplitude=1.0, frequency_hz=300.0, decay_s=1e-3):
    late = t >= start
    x = np.zeros_like(t)
    x[late] = amplitude * np.exp(-(t[late] - start) / decay_s) * np.sin(
        2 * np.pi * frequency_hz * (t[late] - start))
    return x


T = np.arange(0, 0.1, 1 / FS)


def test_each_side_counts_its_own_pops():
    left = _burst(T, 0.02) + _burst(T, 0.03, 0.5)
    right = _burst(T, 0.02)  # the same instant as the left's first: two pops, one per side
    pops = detection.detect(np.column_stack([left, right]), FS)
    assert pops.count == 3 and pops.sides.count("left") == 2
    assert pops.first_side == "both"
    assert pops.simultaneous() == 2  # each of the pair has the other within 1 ms
    # The analytic envelope of exp(-t / tau) sin(w t) is exp(-t / tau) from the onset;
    # smoothed over a frame, it peaks within that frame after the onset.
    assert 0.02 < pops.times_s[0] < 0.02 + detection.FRAME_S


def test_a_pop_too_faint_or_too_close_is_not_counted():
    faint = _burst(T, 0.02) + _burst(T, 0.05, 10 ** (-25 / 20))  # 25 dB down: below 20 dB
    assert detection.detect(faint, FS).count == 1
    assert detection.detect(faint, FS, range_db=30.0).count == 2
    # Two bursts 0.5 ms apart ring as one: no 6 dB dip between them.
    close = _burst(T, 0.02) + _burst(T, 0.0205)
    assert detection.detect(close, FS).count == 1
    assert detection.detect(np.zeros(1000), FS).count == 0


def test_pops_on_one_side_are_judged_against_that_side_alone():
    # Mourad 2019 read each side's spectrogram on its own: a quiet side still counts.
    left = _burst(T, 0.02)
    right = _burst(T, 0.04, 1e-2)  # 40 dB quieter than the left
    pops = detection.detect(np.column_stack([left, right]), FS)
    assert pops.sides == ("left", "right") and pops.first_side == "left"


def test_wilson_interval_against_its_closed_form():
    # No successes in n: the upper end is z^2 / (n + z^2).
    z2 = stats.norm.ppf(0.975) ** 2
    assert detection.wilson_interval(0, 10) == pytest.approx((0.0, z2 / (10 + z2)))
    low, high = detection.wilson_interval(47, 50)
    assert low < 0.94 < high and high - low < 0.2
    assert all(math.isnan(v) for v in detection.wilson_interval(0, 0))


def test_group_statistics():
    a = detection.Pops(np.array([0.0, 0.004, 0.0045]), ("left", "right", "left"))
    b = detection.Pops(np.array([0.01]), ("right",))
    c = detection.Pops(np.array([]), ())
    g = detection.group_pops([a, b, c])
    assert list(g.counts) == [3, 1, 0] and g.bilateral == 1
    assert g.distribution() == {"0": 1 / 3, "1": 1 / 3, "2": 0.0, "3": 1 / 3, "4+": 0.0}
    np.testing.assert_allclose(g.intervals_s, [0.004, 0.0005])
    assert g.first_on("left") == (1, 2) and g.only_on("right") == (1, 2)
    assert list(g.simultaneous) == [2, 0, 0]
    low, high = g.mean_interval()
    half = stats.t.ppf(0.975, 2) * np.std([3, 1, 0], ddof=1) / math.sqrt(3)
    assert (low, high) == pytest.approx((max(4 / 3 - half, 0.0), 4 / 3 + half))  # not below 0
    # A scenario's own pops (the joints that cracked) are not a recording's: said so, not
    # an AttributeError from inside.
    with pytest.raises(TypeError, match=r"group_pops takes what detect\(\) heard in each"
                                        r" recording \(Pops\), not list"):
        detection.group_pops([[(0.0, "C1-C2 left", "left")]])
    with pytest.raises(ValueError, match="group_pops needs at least one recording"):
        detection.group_pops([])  # its mean and intervals warned of empty slices


@pytest.fixture(scope="module")
def people():
    return population.draw_people(sc.get_scenario("upper-cervical"), 400, seed=3)


def test_the_same_seed_gives_the_same_people_whatever_the_group_size(people):
    again = population.draw_people(sc.get_scenario("upper-cervical"), 5, seed=3)
    assert again == people[:5]
    assert population.draw_people(sc.get_scenario("upper-cervical"), 5, seed=4) != again


def test_people_vary_as_stated(people):
    # Each joint quantity is log-normal about the scenario's value with the stated CV:
    # the sample log-SD of 400 people is within 10 % of sqrt(ln(1 + cv^2)) (its
    # standard error is 3.5 %), its median within 0.2 log-SD of the scenario's value
    # (three standard errors of a median of 400, 1.25 / sqrt(400) each).
    variation = population.Variation()
    base = sc.get_scenario("upper-cervical").sites[0].joint
    for name, cv in (("area_m2", variation.area_cv), ("stiffness_n_m", variation.stiffness_cv)):
        logs = np.log([getattr(p.sites[0].joint, name) / getattr(base, name) for p in people])
        sigma = math.sqrt(math.log1p(cv**2))
        assert np.std(logs) == pytest.approx(sigma, rel=0.1)
        assert abs(np.median(logs)) < 0.2 * sigma
        assert np.max(np.abs(logs)) <= population.TRUNCATION * sigma + 1e-12
    forces = np.log([p.loading.peak_force_n / 70.0 for p in people])
    assert np.std(forces) == pytest.approx(math.sqrt(math.log1p(0.13**2)), rel=0.1)


def test_left_and_right_of_a_level_differ_but_go_together(people):
    left = np.log([p.sites[0].joint.stiffness_n_m for p in people])
    right = np.log([p.sites[1].joint.stiffness_n_m for p in people])
    assert np.all(left != right)
    # The stated correlation, 0.5; 400 pairs give a standard error of about 0.04.
    assert np.corrcoef(left, right)[0, 1] == pytest.approx(0.5, abs=0.12)


def test_a_study_group_is_recorded_with_its_sensors():
    group = population.study_group("mourad-2019", 3, seed=0)
    assert len(group) == 3
    for index, recording in enumerate(group):
        assert recording.person.changes == (f"person {index} seed 0",)
        assert len(recording.labels) == 10  # five lumbar levels, both sides
        assert recording.pops.count <= 2 * recording.joints_cracked
    again = population.study_group("mourad-2019", 3, seed=0)
    assert [r.pops.count for r in again] == [r.pops.count for r in group]
    with pytest.raises(ValueError, match="unknown study 'smith'; valid choices: dunning-2013"):
        population.study_group("smith", 3)
    with pytest.raises(ValueError, match=r"people = 0 is out of range; valid range: \[1, 100000\]"):
        population.study_group("mourad-2019", 0)


def test_the_widest_spreads_still_draw_valid_joints():
    # Every spread at the top of its range: each drawn joint passes the checks simulate
    # makes before it starts (valid parameters, a nucleus that grows, a recess layer).
    from cavitation import simulation

    top = {f.name: f.metadata["high"] for f in dataclasses.fields(population.Variation)
           if f.name.endswith("_cv")}
    variation = population.Variation(**top)
    for name in sc.SCENARIOS:
        for person in population.draw_people(sc.get_scenario(name), 300, seed=5,
                                             variation=variation):
            for site in person.sites:
                simulation._check_nucleus_grows(site.joint)
                simulation._check_recess(site.joint)
    with pytest.raises(ValueError, match=r"Variation.nucleation_cv = 0.5 is out of range;"
                                         r" valid range: \[0, 0.3\]"):
        population.Variation(nucleation_cv=0.5)
