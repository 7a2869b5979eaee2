"""The validation report: rows measured as the studies measured, fitted ones marked.

The published figures themselves are not asserted here (a test tuned to pass on a
fitted constant proves nothing); these tests check that the report measures each
quantity at the study's sensor, names every fitted constant beside the figure it was
fitted to, and runs from the command line.
"""

import math

import pytest

from cavitation import audio, validation
from cavitation.cli import main
from cavitation.parameters import names
from cavitation.presets import PRESETS, get_preset


@pytest.fixture(scope="module")
def neck():
    return validation.report(["atlanto-axial"])


@pytest.mark.parametrize("fitted", validation.FITTED, ids=lambda f: f.parameter)
def test_every_fitted_constant_is_a_parameter_and_its_target_is_reported(fitted):
    if fitted.parameter.startswith("scenario:"):
        from cavitation.scenario import SCENARIOS

        assert set(fitted.presets) <= set(SCENARIOS)
        targets = validation.SCENARIO_TARGETS
    else:
        for name in fitted.presets:
            assert fitted.parameter in names(get_preset(name).joint)
        targets = validation.TARGETS
    reported = [t for t in targets if t.key == fitted.target]
    assert reported
    assert set(fitted.presets) & {p for t in reported for p in t.presets}


def test_a_figure_a_constant_was_fitted_to_is_marked_fitted():
    fitted = next(f for f in validation.FITTED if f.target == "crack_force")
    target = next(t for t in validation.TARGETS if t.key == "crack_force")
    row = validation.Row("knuckle", target, 33.0, "met", (fitted.parameter,))
    assert row.kind == "fitted (nucleation.pressure_pa)"
    assert "fitted (nucleation.pressure_pa)" in validation.table([row])


def test_the_neck_rows_are_predicted(neck):
    rows, _ = neck
    by_key = {row.target.key: row for row in rows}
    assert by_key["pop_duration"].kind == "predicted"
    assert by_key["skin_peak"].kind == "predicted"


def test_the_spine_is_measured_at_the_skin_as_reggars_and_dunning_did(neck):
    rows, measured = neck
    skin = measured["atlanto-axial"].at_skin
    assert skin.listener == "contact"
    by_key = {row.target.key: row for row in rows}
    assert by_key["skin_peak"].value == skin.features.dominant_frequency_hz
    assert by_key["pop_duration"].value == pytest.approx(1e3 * skin.features.pop_duration_s)


def test_verdict_says_met_or_not_and_how_far_from_the_centre():
    target = next(t for t in validation.TARGETS if t.key == "skin_peak")
    assert validation._verdict(target, 215.0) == "met; x1.00 of the centre"
    assert validation._verdict(target, 2000.0).startswith("not met")
    no_range = next(t for t in validation.TARGETS if t.key == "knuckle_peak")
    assert validation._verdict(no_range, 4000.0) == "+1.0 octaves from it"


def test_character_table_has_every_octave_band(neck):
    _, measured = neck
    text = validation.character_table(measured)
    header, rule, *rows = text.splitlines()
    assert header.count("|") == rule.count("|") == rows[0].count("|")
    shares = rows[0].split("|")[-2].split()
    assert len(shares) == len(audio.OCTAVE_CENTRES_HZ)


def test_cavitation_validate_prints_the_report(capsys):
    assert main(["validate", "--preset", "mid-cervical"]) == 0
    out = capsys.readouterr().out
    assert "## Constants fitted to a published figure" in out
    assert "| mid-cervical | dominant frequency at the skin [Hz]" in out
    assert "impulsive" in out


def test_cavitation_validate_refuses_an_unknown_preset(capsys):
    assert main(["validate", "--preset", "elbow"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown preset 'elbow'; valid choices:" in err


def test_every_target_applies_to_known_presets():
    for target in validation.TARGETS:
        assert set(target.presets) <= set(PRESETS)
        assert math.isnan(target.low) == math.isnan(target.high)


def test_a_figure_set_by_a_constant_fitted_elsewhere_says_so():
    target = validation.Target("decay", "decay [ms]", "10 ms", "a source", ("knuckle",),
                               0.0, 10.0, math.nan, lambda m: 5.0, set_by=("stiffness_n_m",))
    row = validation.Row("knuckle", target, 5.0, "met", (), ("stiffness_n_m",))
    assert row.kind.startswith("set by stiffness_n_m")


def test_sensitivity_to_the_fluid_volume_is_reported():
    text = validation.sensitivity_table(["atlanto-axial"])
    rows = text.splitlines()[2:]
    assert len(rows) == len(validation.FLUID_VOLUMES_M3)
    layers = [float(row.split("|")[4]) for row in rows]
    assert layers == sorted(layers)  # more fluid, a thicker layer
    quality = [float(row.split("|")[6]) for row in rows]
    assert quality[-1] > quality[0]  # and a ringing less damped


def test_the_sphere_is_reported_too(capsys):
    # Its knuckle is louder than the calibrated full scale at 1 cm: the report reads
    # pascals, so it must not clip.
    assert main(["validate", "--geometry", "sphere", "--preset", "knuckle"]) == 0
    assert "(sphere cavity)" in capsys.readouterr().out


def test_the_thrusts_rows_say_what_was_fitted():
    rows = {row.target.key: row for row in validation.scenario_rows()
            if row.preset == "upper-cervical"}
    assert rows["pops_per_thrust"].kind.startswith("fitted (scenario: shares")
    assert rows["bilateral"].kind.startswith("set by scenario: shares of the thrust")
    assert rows["turned_side"].kind.startswith("fitted")
