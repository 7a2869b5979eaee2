"""Parameter sets: checked on construction, named errors, dotted replacement."""

import dataclasses
import re

import numpy as np
import pytest

import cavitation as cv
from cavitation.fluid import Capsule, SynovialFluid, capsule_pressure
from cavitation.joint import (
    KNUCKLE,
    FunctionLoading,
    Joint,
    Nucleation,
    RampAndHold,
    SampledLoading,
    Thrust,
    as_loading,
)
from cavitation.parameters import check_count, describe, names


def test_every_quantity_has_unit_range_and_a_stated_source_or_assumption():
    for row in describe(KNUCKLE):
        if row.name in ("name", "capsule.law"):
            assert row.low is None and row.valid == ""
            continue
        assert row.unit, row.name
        assert len(row.doc) > 20, row.name  # says where the default comes from
        # The range describe() gives is the one the value is checked against.
        assert row.low <= row.value <= row.high, row.name
        assert row.valid.startswith(("[", "(")) and row.valid.endswith(("]", ")")), row.name
    rows = {row.name: row for row in describe(KNUCKLE)}
    assert rows["capsule.compliance_m3_pa"].unit == "m^3/Pa"
    assert (rows["mass_kg"].low, rows["mass_kg"].high, rows["mass_kg"].valid) == \
        (0.001, 20.0, "[0.001, 20]")


def test_parameter_sets_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        KNUCKLE.mass_kg = 1.0


@pytest.mark.parametrize(
    "cls, field, value, message",
    [
        (Joint, "area_m2", 0.0, r"Joint.area_m2 = 0.0 m\^2 is out of range; valid range: "
                                r"\[1e-05, 0.005\] m\^2"),
        (SynovialFluid, "viscosity_pa_s", -1, r"SynovialFluid.viscosity_pa_s = -1 Pa s"),
        (Capsule, "compliance_m3_pa", float("nan"), r"Capsule.compliance_m3_pa = nan m\^3/Pa"),
        (Nucleation, "radius_m", 1.0, r"Nucleation.radius_m = 1.0 m is out of range"),
        (RampAndHold, "ramp_time_s", 0.0, r"RampAndHold.ramp_time_s = 0.0 s is out of range"),
        (Thrust, "thrust_time_s", 10.0, r"Thrust.thrust_time_s = 10.0 s is out of range"),
    ],
)
def test_out_of_range_value_names_parameter_unit_and_range(cls, field, value, message):
    with pytest.raises(ValueError, match=message):
        cls(**{field: value})


def test_a_count_is_a_whole_number_in_its_range():
    # A seed, a count of people or of workers: 1.5 and True were taken (as 1).
    assert check_count("seed", 3, 0, 10) == 3 and check_count("seed", 3.0, 0, 10) == 3
    for value, message in ((1.5, "seed = 1.5 is not a whole number; valid range: [0, 10]"),
                           (True, "seed = True is not a whole number"),
                           (-1, "seed = -1 is out of range; valid range: [0, 10]"),
                           ("x", "seed = 'x' is not a number")):
        with pytest.raises(ValueError, match=re.escape(message)):
            check_count("seed", value, 0, 10)
    with pytest.raises(ValueError, match=r"seed = 1\.5 is not a whole number"):
        cv.render(seed=1.5)
    # Integers are compared as integers: through a float, 2**53 + 1 became 2**53 (two
    # seeds, one draw) and the largest seed, 2**63 - 1, was refused.
    assert check_count("seed", 2**53 + 1, 0, 2**63 - 1) == 2**53 + 1
    assert check_count("seed", 2**63 - 1, 0, 2**63 - 1) == 2**63 - 1
    with pytest.raises(ValueError, match="is not a whole number"):
        check_count("seed", np.True_, 0, 10)


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown parameter 'area' for Joint; valid names: "
                                         r"name, area_m2, mass_kg"):
        cv.replace(KNUCKLE, area=1e-4)
    with pytest.raises(ValueError, match=r"unknown parameter 'capsule.stiffness'"):
        cv.replace(KNUCKLE, **{"capsule.stiffness": 1.0})
    with pytest.raises(ValueError, match=r"unknown parameter 'bogus'"):
        Joint.from_dict({"bogus": 1})


def test_nested_error_names_the_field_as_written():
    with pytest.raises(ValueError, match=r"^fluid\.viscosity_pa_s = 100 Pa s is out of range"):
        cv.replace(KNUCKLE, **{"fluid.viscosity_pa_s": 100})


def test_dotted_replace_changes_only_the_named_field():
    changed = cv.replace(KNUCKLE, **{"capsule.compliance_m3_pa": 2e-13, "mass_kg": 0.05})
    assert changed.capsule.compliance_m3_pa == 2e-13
    assert changed.mass_kg == 0.05
    assert changed.capsule.rest_pressure_gauge_pa == KNUCKLE.capsule.rest_pressure_gauge_pa
    assert changed.fluid == KNUCKLE.fluid
    assert "fluid.viscosity_pa_s" in names(KNUCKLE)


def test_unknown_capsule_law_lists_the_laws():
    with pytest.raises(ValueError, match=r"unknown capsule law 'rubber'; valid choices: "
                                         r"linear, stiffening"):
        Capsule(law="rubber")


def test_stiffening_capsule_is_linear_near_rest_and_stiffer_away_from_it():
    linear, stiff = Capsule(), Capsule(law="stiffening")
    small = 1e-4 * stiff.stiffening_volume_m3
    # sinh(x) = x (1 + x^2/6): relative difference 2e-9 at x = 1e-4.
    assert capsule_pressure(small, stiff) - stiff.rest_pressure_pa == pytest.approx(
        capsule_pressure(small, linear) - linear.rest_pressure_pa, rel=1e-8)
    large = 2.0 * stiff.stiffening_volume_m3
    assert capsule_pressure(large, stiff) < capsule_pressure(large, linear)
    assert capsule_pressure(-large, stiff) > capsule_pressure(-large, linear)


def test_stiffening_capsule_runs_through_the_coupled_model():
    joint = cv.replace(KNUCKLE, **{"capsule.law": "stiffening"})
    result = cv.simulate(joint, after_crack_s=0.005)
    assert result.cracked
    # A stiffer capsule reaches the nucleation pressure with less opening.
    assert result.summary.nucleation_gap_m < cv.simulate(after_crack_s=0.005
                                                         ).summary.nucleation_gap_m


def test_thrust_force_history():
    thrust = Thrust(preload_n=20.0, peak_force_n=80.0, thrust_time_s=0.1, preload_time_s=0.2)
    assert thrust.force_n(0.1) == pytest.approx(10.0)
    assert thrust.force_n(0.25) == pytest.approx(80.0)
    assert thrust.force_n(0.35) == pytest.approx(20.0)
    assert thrust.duration_s == pytest.approx(0.4)
    result = cv.simulate(loading=thrust, after_crack_s=0.005)
    assert result.cracked and 0.2 < result.summary.crack_time_s < 0.3


@pytest.mark.parametrize(
    "args, message",
    [
        ((np.array([0.0, 1.0]), np.array([1.0])), r"same length >= 2; got shapes \(2,\) and"
                                                   r" \(1,\)"),
        ((np.array([0.0, np.nan]), np.array([0.0, 1.0])), r"must be finite"),
        ((np.array([0.5, 1.0]), np.array([0.0, 1.0])), r"must start at 0 s and increase "
                                                        r"strictly; got 0.5 s first"),
        ((np.array([0.0, 1.0, 1.0]), np.zeros(3)), r"got 0 s first and 1 non-increasing"),
    ],
)
def test_sampled_loading_errors(args, message):
    with pytest.raises(ValueError, match=message):
        SampledLoading(*args)


def test_loading_of_the_wrong_kind_is_named():
    with pytest.raises(ValueError, match=r"loading must be a Loading .* got str"):
        as_loading("pull")


def test_function_loading_duration_is_checked():
    with pytest.raises(ValueError, match=r"FunctionLoading.duration_s = 0 s is out of range"):
        FunctionLoading(lambda t: 1.0, 0)


def test_crack_result_is_read_only(knuckle_crack):
    with pytest.raises(ValueError, match="read-only"):
        knuckle_crack.t_s[0] = 1.0
    with pytest.raises(TypeError):
        knuckle_crack.settings["model"] = "other"
