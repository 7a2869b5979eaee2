"""The explorer's callbacks, driven as a notebook user would: a control changed, the
sound, the view, the player and the status checked. Speed is a benchmark's
(benchmarks/bench_explore.py), not a test's."""

import io
import json
import sys

import numpy as np
import PIL.Image
import pytest
import soundfile

from cavitation.explore import SCENARIO_PREFIX, explore, slider_range
from cavitation.parameters import Row


@pytest.fixture
def explorer(tmp_path):
    """The knuckle explorer (its first render takes a few tenths of a second)."""
    return explore("knuckle", out_dir=tmp_path / "explorer")


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    samples, rate = soundfile.read(io.BytesIO(bytes(data)))
    return samples, rate


def test_a_stiffer_capsule_cracks_at_a_lower_force_and_the_view_and_player_follow(explorer):
    before = explorer.rendering
    png, wav = explorer.image.value, explorer.audio.value
    # Stiffer capsule: the same opening sucks the pressure down faster (30 N at 1e-14
    # m^3/Pa, 33 N at the knuckle's 1.5e-13).
    explorer.sliders["capsule.compliance_m3_pa"].value = 1e-14
    after = explorer.rendering
    assert after is not before
    assert after.crack.joint.capsule.compliance_m3_pa == 1e-14
    assert after.crack.summary.nucleation_force_n < before.crack.summary.nucleation_force_n - 1.0
    assert bytes(explorer.image.value) != bytes(png)
    view = PIL.Image.open(io.BytesIO(bytes(explorer.image.value)))
    assert view.format == "PNG" and view.size == (1100, 308)
    samples, rate = read_wav(explorer.audio.value)
    assert explorer.audio.value != wav
    assert rate == 48000
    assert np.max(np.abs(samples)) > 0.01  # played at a listening level, not silent
    assert explorer.status.value.startswith("cracked at 30.")
    assert "calibrated: peak" in explorer.audio_caption.value
    assert "LUFS" in explorer.audio_caption.value


def test_a_threshold_the_pull_cannot_reach_shows_the_shortfall(explorer):
    # The knuckle's 60 N pull takes the capsule to about -260 kPa: -1 MPa is far below.
    explorer.sliders["nucleation.pressure_pa"].value = -1e6
    assert not explorer.rendering.crack.cracked
    status = explorer.status.value
    assert status.startswith("no crack")
    assert "short of the nucleation threshold (-1000 kPa) by 7" in status  # 739 kPa
    assert explorer.audio_caption.value == "no crack: silence"
    axis = explorer._view.axes[2]  # the pressure over the pull, not the cavity
    threshold = [line for line in axis.lines if line.get_label().startswith("threshold")]
    assert threshold and threshold[0].get_ydata()[0] == pytest.approx(-1000.0)  # [kPa]
    assert any("short of the threshold" in text.get_text() for text in axis.texts)
    assert axis.get_ylabel() == "pressure [kPa, absolute]"
    samples, _ = read_wav(explorer.audio.value)
    assert not np.any(samples)


def test_the_tension_slider_stops_short_of_the_blake_threshold(explorer):
    # A decade either side of the knuckle's -100 kPa: -10 kPa is below the -7.7 kPa at
    # which its 5 um nucleus could no longer grow; set() refuses what a slider clamps.
    slider = explorer.sliders["nucleation.pressure_pa"]
    assert (slider.min, slider.max) == (-1e6, -1e4)
    rendering = explorer.rendering
    with pytest.raises(ValueError, match=r"nucleation.pressure_pa = 0.0 Pa is out of range;"
                                         r" valid range: \[-1e\+06, -10000\] Pa"):
        explorer.set({"nucleation.pressure_pa": 0.0})
    assert explorer.rendering is rendering and slider.value == -1e5


def test_a_value_that_raises_is_said_in_the_status_and_the_last_sound_stays(explorer,
                                                                            tmp_path):
    explorer.sliders["fluid.viscosity_pa_s"].value = 0.003
    rendering, png = explorer.rendering, explorer.image.value
    slider = explorer.sliders["nucleation.pressure_pa"]
    slider.max = 0.0  # as if a slider reached a value that cannot be rendered
    slider.value = 0.0  # above the Blake threshold
    assert explorer.rendering is rendering
    assert bytes(explorer.image.value) == bytes(png)
    assert "Blake threshold" in explorer.error
    assert explorer.status.value.startswith('<span style="color:#b00">not rendered:'
                                            " nucleation.pressure_pa = 0 Pa")
    assert "Traceback" not in explorer.status.value
    # The error stays said while the last sound is shown again or saved, and what is
    # saved is what was rendered, not the refused value.
    explorer.compare.value = not explorer.compare.value
    assert explorer.status.value.startswith('<span style="color:#b00">not rendered:')
    paths = explorer.save(tmp_path, figures=())
    saved = json.loads(next(p for p in paths if p.suffix == ".json").read_text())
    assert saved["explorer"]["changes"] == {"fluid.viscosity_pa_s": 0.003}
    assert saved["parameters"]["joint"]["nucleation"]["pressure_pa"] == -1e5
    assert "Saved the last sound rendered (not the refused value)" in explorer.status.value
    slider.value = -1e5
    assert explorer.error is None
    assert explorer.status.value.startswith("cracked")


def test_compare_draws_the_previous_trace_in_grey_and_plays_it(explorer):
    explorer.compare.value = True
    explorer.geometry.value = "sphere"
    assert explorer.previous.crack.settings["geometry"] == "confined"
    assert explorer.rendering.crack.settings["geometry"] == "sphere"
    for axis in explorer._view.axes:
        grey = [line for line in axis.lines if line.get_color() == "0.72"]
        coloured = [line for line in axis.lines if line.get_color() != "0.72"]
        assert grey and coloured, axis.get_title()
        assert all(line.get_zorder() < c.get_zorder() for line in grey for c in coloured)
    previous, _ = read_wav(explorer.previous_audio.value)
    current, _ = read_wav(explorer.audio.value)
    assert previous.shape != current.shape or not np.allclose(previous, current)
    assert explorer.previous_caption.value.startswith("previous: plays at")
    assert explorer._previous_row.layout.display == "flex"
    snapshot = explorer.snapshot()
    assert snapshot.html().count("<audio") == 2
    explorer.compare.value = False
    assert not any(line.get_color() == "0.72" for line in explorer._view.axes[0].lines)
    assert explorer._previous_row.layout.display == "none"


def test_a_silent_view_compared_keeps_the_spectrums_axes(explorer):
    # The previous (cracked) sound's spectrum behind a silent one was drawn on linear
    # axes from 0 to 24 kHz and down to -200 dB: the silent view set no axes.
    explorer.compare.value = True
    explorer.set({"capsule.compliance_m3_pa": 3e-12})  # too compliant: no crack
    assert not explorer.rendering.crack.cracked and explorer.previous.crack.cracked
    spectrum = explorer._view.axes[1]
    assert [line.get_color() for line in spectrum.lines] == ["0.72"]  # the previous only
    assert spectrum.get_xscale() == "log" and spectrum.get_ylim() == (-100.0, 5.0)
    explorer.compare.value = False
    explorer.reset()


def test_a_reset_closes_the_sliders_it_replaces(explorer):
    # Each reset left its old sliders, their layouts and styles open: 24 widgets more
    # each time, kept by ipywidgets for the life of the kernel.
    old = next(iter(explorer.sliders.values()))
    explorer.reset()
    assert old.comm is None and old.layout.comm is None and old.style.comm is None
    assert all(slider.comm is not None for slider in explorer.sliders.values())


def test_save_writes_the_sound_and_its_json_without_overwriting(explorer, tmp_path):
    explorer.sliders["fluid.viscosity_pa_s"].value = 3e-3
    paths = explorer.save(figures=())
    assert [p.name for p in paths] == ["knuckle-001.wav", "knuckle-001.json"]
    samples, rate = soundfile.read(paths[0])
    assert rate == 48000 and np.any(samples)
    meta = json.loads(paths[1].read_text())
    assert meta["preset"] == "knuckle"
    assert meta["parameters"]["joint"]["fluid"]["viscosity_pa_s"] == 3e-3
    assert meta["explorer"]["changes"] == {"fluid.viscosity_pa_s": 3e-3}
    explorer.save_button.click()  # the button saves under the next free name
    assert (tmp_path / "explorer" / "knuckle-002.json").exists()
    assert "Saved:" in explorer.status.value and "knuckle-002.wav" in explorer.status.value


def test_the_listener_and_the_sample_rate_take_effect(explorer):
    explorer.samplerate.value = 22050
    samples, rate = read_wav(explorer.audio.value)
    assert rate == explorer.rendering.samplerate_hz == 22050
    assert np.any(samples)
    explorer.listener.value = "accelerometer"
    assert explorer.rendering.listener == "accelerometer"
    assert "dB re 1 um/s^2 (an accelerometer on the skin" in explorer.status.value
    assert explorer._view.axes[0].get_ylabel().endswith("[m/s^2]")


def test_the_preset_dropdown_rebuilds_the_sliders(explorer):
    assert "loading.ramp_time_s" in explorer.sliders
    old = explorer.sliders["stiffness_n_m"]
    explorer.preset.value = "lumbar-facet"  # a thrust: no ramp, a preload
    assert "loading.ramp_time_s" not in explorer.sliders
    assert explorer.sliders["loading.preload_n"].value == 70.0
    assert explorer.sliders["stiffness_n_m"] is not old
    assert explorer.sliders["stiffness_n_m"].value == 5e4
    assert explorer.rendering.crack.joint.name == "lumbar-facet"
    explorer.sliders["loading.peak_force_n"].value = 150.0  # a new slider is live
    assert explorer.rendering.crack.loading.peak_force_n == 150.0


def test_a_scenario_has_its_loading_sliders_only(explorer):
    explorer.preset.value = SCENARIO_PREFIX + "mid-cervical"
    assert list(explorer.sliders) == ["loading.peak_force_n", "loading.preload_n",
                                      "loading.thrust_time_s"]
    assert len(explorer.rendering.cracks) == 6
    assert explorer.rendering.signal.ndim == 2  # left and right
    explorer.sliders["loading.peak_force_n"].value = 40.0
    assert all(c.loading.base.peak_force_n == 40.0 for c in explorer.rendering.cracks)


def test_sliders_come_from_the_unit_and_the_valid_range(explorer):
    compliance = explorer.sliders["capsule.compliance_m3_pa"]
    assert type(compliance).__name__ == "FloatLogSlider"
    assert (compliance.min, compliance.max) == (pytest.approx(-15), pytest.approx(-10))
    assert compliance.description == "capsule.compliance_m3_pa [m^3/Pa]"
    assert compliance.continuous_update is False
    pressure = explorer.sliders["nucleation.pressure_pa"]
    assert type(pressure).__name__ == "FloatSlider"  # a tension: a decade either side
    assert (pressure.min, pressure.max) == (-1e6, -1e4)
    # The pull's force spans decades above its value: logarithmic from value / 100.
    force = explorer.sliders["loading.peak_force_n"]
    assert type(force).__name__ == "FloatLogSlider"
    assert (force.min, force.max) == (pytest.approx(np.log10(0.6)), pytest.approx(np.log10(5e3)))
    # A range from 0 spanning decades above the value: logarithmic from value / 100.
    assert slider_range(Row("x", 0.03, "Pa s", "", "[0, 10]", 0.0, 10.0)) == (3e-4, 10.0, True)


def test_set_renders_once_and_rejects_an_unknown_name(explorer):
    explorer.set({"area_m2": 1e-4, "stiffness_n_m": 2e4})
    joint = explorer.rendering.crack.joint
    assert (joint.area_m2, joint.stiffness_n_m) == (1e-4, 2e4)
    assert explorer.previous.crack.joint.area_m2 == 1.5e-4  # one render, not two
    with pytest.raises(ValueError, match="unknown slider 'mass_kg'; valid choices: capsule"):
        explorer.set({"mass_kg": 0.1})


def test_the_display_holds_the_widget_and_a_static_view_and_player(explorer):
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"].count('src="data:image/png;base64,') == 1
    assert bundle["text/html"].count('<audio controls src="data:audio/wav;base64,') == 1
    assert "image/png" in bundle


def test_unknown_choices_list_the_valid_ones():
    with pytest.raises(ValueError, match="unknown preset or scenario 'elbow'; valid choices:"
                                         " knuckle, atlanto-occipital"):
        explore("elbow")
    with pytest.raises(ValueError, match="unknown geometry 'cube'; valid choices: confined,"
                                         " sphere"):
        explore(geometry="cube")
    with pytest.raises(ValueError, match=r"unknown parameter 'capsule\.complaince'; valid"
                                         " choices: area_m2, mass_kg"):
        explore(parameters=("capsule.complaince",))


def test_without_ipywidgets_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets then fails
    with pytest.raises(ImportError, match=r'pip install "cavitation\[notebook\]"'):
        explore()
