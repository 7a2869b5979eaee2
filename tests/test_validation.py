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
        targets = validation.THRUST_FIGURES
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
    assert validation._verdict(target, 215.0) == "met; +0.0 octaves from the centre"
    gap = next(t for t in validation.TARGETS if t.key == "gap_jump")
    assert validation._verdict(gap, 1.5) == "met; x1.50 of the centre"
    share = next(t for t in validation.THRUST_FIGURES if t.key == "turned_side")
    assert validation._verdict(share, 51.0) == "not met; -43 points from the centre"
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
    # Half the fluid leaves a thump with no spectral peak above 20 Hz, and so no Q
    # ("none"); from there on, more fluid, a ringing less damped.
    quality = [math.nan if row.split("|")[6].strip() == "none" else float(row.split("|")[6])
               for row in rows]
    assert math.isnan(quality[0]) and quality[-1] > quality[1] > 0.0


def test_the_sphere_is_reported_too(capsys):
    # Its knuckle is louder than the calibrated full scale at 1 cm: the report reads
    # pascals, so it must not clip.
    assert main(["validate", "--geometry", "sphere", "--preset", "knuckle"]) == 0
    assert "(sphere cavity)" in capsys.readouterr().out


@pytest.fixture(scope="module")
def thrusts():
    return validation.thrust_rows(people=12)


def test_the_thrusts_rows_say_what_was_fitted(thrusts):
    rows = {(row.figure.group, row.figure.key): row for row in thrusts}
    assert rows["dunning-2013", "pops_per_thrust"].kind.startswith(
        "fitted (scenario: shares")
    assert rows["dunning-2013", "bilateral"].kind.startswith(
        "set by scenario: shares of the thrust")
    assert rows["reggars-1996", "turned_side"].kind.startswith("fitted")


def test_the_thrusts_are_measured_on_the_groups_heard_by_each_studys_sensors(thrusts):
    rows = {(row.figure.group, row.figure.key): row for row in thrusts}
    dunning = validation.pops_of("dunning-2013", 12)
    mean = rows["dunning-2013", "pops_per_thrust"]
    assert mean.value == dunning.mean and mean.low < mean.value < mean.high
    assert validation.group("mourad-2019", 12)[0].person.sites[0].joint.name == "lumbar-facet"
    # The study's own sensor: an accelerometer for Mourad, skin microphones otherwise.
    assert {study.listener for study in validation.detection.STUDIES.values()} == {
        "contact", "accelerometer"}
    share = rows["dunning-2013", "bilateral"]
    assert share.value == pytest.approx(100 * dunning.bilateral / dunning.people)
    assert share.verdict.endswith("points from the centre")


def test_each_thrust_has_its_section_with_distribution_and_story(capsys):
    validation.print_thrusts(people=12)
    out = capsys.readouterr().out
    for study in validation.detection.STUDIES.values():
        assert study.citation in out
    assert "| group | 0 | 1 | 2 | 3 | 4+ | range | joints cracked, mean | levels cracked" in out
    assert "| Reggars 1996 (published, 50 people) | 0 % | 18 % | 44 % | 20 % | 18 % |" in out
    assert "| quantity | no change | spasm left | turned right |" in out


def test_the_population_figure_draws_each_study_beside_its_figures():
    figure = validation.population_figure(people=12)
    axes = figure.get_axes()
    assert len(axes) == 3
    titles = [ax.get_title() for ax in axes]
    assert titles[0].startswith("Dunning et al. 2013") and "accelerometer" in titles[2]
    labels = [t.get_text() for t in axes[1].get_legend().get_texts()]
    assert "published" in labels and any(t.startswith("model mean") for t in labels)


@pytest.mark.parametrize("args, message", [
    (["--people", "1"], "--people = 1 is out of range; valid range: [2, 100000]"),
    (["--people", "5", "--preset", "knuckle"], "--people sets the groups the thrusts"),
])
def test_validate_refuses_a_bad_people_count_before_any_work(args, message, capsys):
    assert main(["validate", *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and message in err
