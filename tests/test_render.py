"""Rendering a crack: the knuckle's published targets, levels, reproducibility, files."""

import json
from pathlib import Path

import numpy as np
import pytest

import cavitation as cv
from cavitation import listener
from cavitation.joint import RampAndHold
from cavitation.presets import get_preset
from cavitation.render import HEARING_RTOL, AudioSettings


@pytest.fixture(scope="module")
def air():
    return cv.render()


def test_the_knuckle_crack_is_one_pop_heard(air):
    # How it compares with the recordings is the validation report's (cavitation
    # validate); here, that it is heard as one pop, and within the window.
    assert air.features.pop_count == 1
    assert air.features.duration_s < air.crack.settings["after_crack_s"]


def test_sound_starts_at_the_crack_after_the_padding(air):
    # The onset at -20 dB of the peak: the linear-phase anti-aliasing filter spreads a
    # sharp onset over its length, its pre-ringing 40 dB down (0.7 ms ahead at -40 dB).
    first = np.argmax(np.abs(air.signal) > 0.1 * np.max(np.abs(air.signal)))
    onset_s = air.t_s[first] - air.crack.summary.crack_time_s
    # The air path adds (5 mm / 1544 + 0.1 m / 343) = 0.3 ms of travel.
    assert 0.0 < onset_s < 1e-3
    # 50 ms of padding, the 40 ms simulated, the travel time of its end, 50 ms more.
    travel = listener.delay_s("air", cv.KNUCKLE.body, cv.KNUCKLE.fluid.sound_speed_m_s)
    assert air.signal.size == round((0.14 + travel) * 48000)


def test_air_pressure_falls_as_one_over_distance(air):
    far = cv.render(settings=AudioSettings(air_distance_m=0.2))
    ratio = np.max(np.abs(air.signal)) / np.max(np.abs(far.signal))
    # 1/r, sampled at 48 kHz: the later arrival moves the peak between samples (1 %).
    assert ratio == pytest.approx(2.0, rel=0.01)
    # Calibrated: the farther crack is a quieter file; normalised: the same level.
    assert np.max(np.abs(far.samples)) < 0.6 * np.max(np.abs(air.samples))
    norm_near = cv.render(level="normalised")
    norm_far = cv.render(level="normalised", settings=AudioSettings(air_distance_m=0.2))
    assert np.max(np.abs(norm_near.samples)) == pytest.approx(np.max(np.abs(norm_far.samples)))


def test_every_sample_rate_carries_the_same_sound_in_the_band_they_share(air):
    # The knuckle at every rate, 8 to 192 kHz: the same anti-aliasing specification and a
    # crack grid of at least 264.6 kHz, so what every rate carries (here 200 Hz-3 kHz,
    # under the 8 kHz pass band's 3.36 kHz) is the same sound. Measured within 0.004 dB
    # of 48 kHz; 0.02 dB allows the band filter's own edge effects.
    from scipy import signal

    def band_energy_db(rendering):
        sos = signal.butter(8, [200.0, 3000.0], btype="band", fs=rendering.samplerate_hz,
                            output="sos")
        band = signal.sosfiltfilt(sos, rendering.signal)
        return 10 * np.log10(np.sum(band**2) / rendering.samplerate_hz)

    reference = band_energy_db(air)
    for fs in cv.audio.SAMPLERATES_HZ:
        rendering = cv.render(samplerate_hz=fs)
        assert rendering.samples.size == pytest.approx(air.samples.size * fs / 48000, abs=2)
        assert band_energy_db(rendering) == pytest.approx(reference, abs=0.02), fs


def test_contact_listener_hears_tissue_pressure():
    contact = cv.render(listener_kind="contact")
    assert contact.features.peak_level_db > 150  # tens of kPa in tissue, 5 mm from the cavity
    assert contact.features.pop_count == 1


def test_body_filter_passes_low_frequencies_and_rings_at_the_bone_mode():
    body = cv.KNUCKLE.body
    f = np.array([1.0, body.bone_mode_hz])
    h = np.abs(listener.body_response(body, f))
    assert h[0] == pytest.approx(1.0, rel=1e-6)  # static gain 1
    # The bone mode adds (1 + bone_gain) on top of the tissue low-pass there.
    tissue_only = np.abs(listener.body_response(cv.replace(body, bone_gain=0.0), f))
    assert h[1] / tissue_only[1] == pytest.approx(1.0 + body.bone_gain, rel=1e-6)


def test_no_crack_renders_silence():
    quiet = cv.render(loading=RampAndHold(peak_force_n=10.0, ramp_time_s=0.2, hold_time_s=0.1))
    assert not quiet.crack.cracked
    assert np.all(quiet.samples == 0.0)
    assert quiet.features.pop_count == 0


def test_same_inputs_and_seed_give_byte_identical_files(tmp_path):
    settings = AudioSettings(noise_rms_pa=0.01)
    paths = []
    for folder in ("a", "b"):
        rendering = cv.render(seed=3, settings=settings)
        paths.append(cv.save(rendering, tmp_path / folder, "knuckle", figures=("png", "svg")))
    for a, b in zip(*paths, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    other = cv.save(cv.render(seed=4, settings=settings), tmp_path / "c", "knuckle",
                    figures=())
    assert other[0].read_bytes() != paths[0][0].read_bytes()


def test_json_holds_parameters_events_and_features(tmp_path, air):
    paths = cv.save(air, tmp_path, "knuckle", preset="knuckle", figures=())
    meta = json.loads(paths[1].read_text())
    for key in ("crack_time_s", "gap_jump_m", "max_radius_m", "first_collapse_time_s",
                "refractory_time_s", "peak_level_db", "dominant_frequency_hz", "duration_s",
                "samplerate_hz", "seed", "cavitation_version"):
        assert meta[key] is not None, key
    assert meta["parameters"]["joint"]["capsule"]["compliance_m3_pa"] == pytest.approx(1.5e-13)
    assert meta["parameters"]["loading"]["type"] == "RampAndHold"
    assert meta["features"]["peak_level_db"] == pytest.approx(air.features.peak_level_db)
    assert len(meta["events"]["collapse_s"]) == air.crack.events.collapse_s.size


def test_save_refuses_existing_files_and_keeps_them(tmp_path, air):
    (tmp_path / "knuckle.json").write_text("mine")
    with pytest.raises(FileExistsError):
        cv.save(air, tmp_path, "knuckle")
    assert (tmp_path / "knuckle.json").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["knuckle.json"]


def test_calibrated_clipping_is_refused():
    with pytest.raises(cv.audio.ClippingError, match="raise full_scale above"):
        cv.render(full_scale=0.01)


def test_notebook_display_has_figure_and_player(air):
    html = air._repr_html_()
    assert "data:image/png;base64," in html and "<audio controls" in html


def test_source_choice_reaches_the_sound(air):
    formation = cv.render(source="formation")
    collapse = cv.render(source="collapse")
    # Listener, body filter and resampling are linear: the two phases add up to the
    # whole, to rounding.
    np.testing.assert_allclose(formation.signal + collapse.signal, air.signal,
                               atol=1e-9 * np.max(np.abs(air.signal)))
    # The confined knuckle sounds as its cavity forms and the joint springs open: the
    # phase after the cavity's first maximum is quiet (measured 0.17 of the peak, 1 %
    # of the energy), so choosing it changes the sound.
    assert np.max(np.abs(collapse.signal)) < 0.5 * np.max(np.abs(air.signal))


def test_features_describe_the_crack_not_the_noise(air):
    noisy = cv.render(settings=AudioSettings(noise_rms_pa=0.1), seed=5)
    # Noise 29 dB below the peak would stretch a -20 dB envelope over the whole file.
    assert noisy.features == air.features
    assert not np.array_equal(noisy.signal, air.signal)


@pytest.mark.parametrize("preset", ["knuckle", "lumbar-facet"])
def test_render_integrates_at_the_hearing_tolerance_without_an_audible_difference(preset):
    joint, loading = get_preset(preset).joint, get_preset(preset).loading
    heard = cv.render(joint, loading)
    strict = cv.render(joint, loading, rtol=1e-8)
    assert heard.crack.settings["rtol"] == HEARING_RTOL
    # Measured -87 (knuckle) to -109 dB of the peak; the bound, -80 dB, is still 8 dB
    # below the render grid's own error (-72 dB at 48 kHz).
    peak = np.max(np.abs(strict.signal))
    assert np.max(np.abs(heard.signal - strict.signal)) < 1e-4 * peak
    f, g = heard.features, strict.features
    assert (f.dominant_frequency_hz, f.pop_count) == (g.dominant_frequency_hz, g.pop_count)
    # A duration is a whole number of samples: its -20 dB crossing may move by one.
    assert f.duration_s == pytest.approx(g.duration_s, abs=1.01 / 48000)
    assert f.peak_level_db == pytest.approx(g.peak_level_db, abs=1e-4)


@pytest.mark.parametrize("name", ["knuckle", "atlanto-axial"])
def test_nothing_is_heard_before_the_crack(name):
    # The source starts at nucleation, with a step (the nucleus's own acceleration). Read
    # off a 1 ms grid before the crack it became a ramp 1 ms long, -28 dB (listening
    # check); the opening's last step is one output step now. The anti-aliasing filter's
    # pre-ringing reaches back 0.3 ms; before that, measured -108 and -120 dB.
    preset = get_preset(name)
    rendering = cv.render(preset.joint, preset.loading)
    early = rendering.t_s < rendering.crack.summary.crack_time_s - 0.5e-3
    peak = np.max(np.abs(rendering.signal))
    assert np.max(np.abs(rendering.signal[early])) < 1e-4 * peak


def test_spectrogram_shows_the_crack_where_the_waveform_does(air):
    from cavitation import plot

    ax = plot.plot_spectrogram(air)
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "time after nucleation [ms]"
    mesh = ax.collections[0]
    level = np.asarray(mesh.get_array()).reshape(mesh._coordinates.shape[0] - 1, -1)
    times = mesh._coordinates[0, :, 0]
    loudest = times[np.argmax(level.max(axis=0))]
    # 8 ms frames centred on the crack's first milliseconds.
    assert -5.0 < loudest < 10.0


def test_a_distant_microphone_hears_the_whole_crack_later():
    # The window follows the listener: at 50 m the sound arrives 0.146 s after it left,
    # past the 40 ms the crack is simulated for, and is the 10 cm sound at 1/500 the
    # pressure (spherical spreading), the same samples shifted by the delay.
    near = cv.render(level="normalised")
    far = cv.render(level="normalised", settings=AudioSettings(air_distance_m=50.0))
    assert far.features.peak_level_db == pytest.approx(
        near.features.peak_level_db - 20 * np.log10(500), abs=0.05)
    # The file starts later by the travel time in whole 10 ms; the rest is silence.
    assert far.start_s - near.start_s == pytest.approx(0.14, abs=1e-9)
    delay = (50.0 - 0.1) / 343.2 - 0.14
    assert far.t_s[np.argmax(np.abs(far.signal))] - near.t_s[np.argmax(np.abs(near.signal))] \
        == pytest.approx(0.14 + delay, abs=1 / 48000)
    assert far.features.duration_s == pytest.approx(near.features.duration_s, rel=0.01)


def test_a_crack_below_one_step_of_the_format_is_refused(tmp_path):
    far = cv.render(settings=AudioSettings(air_distance_m=100.0))  # 12 dB SPL
    with pytest.raises(ValueError, match=r"the crack peaks at -107\.\d dBFS \(12\.\d dB SPL at"
                                         r" its loudest\), below one step of PCM_16"
                                         r" \(-90\.3 dBFS\).* or subtype PCM_24 or FLOAT$"):
        cv.save(far, tmp_path, "far", subtype="PCM_16")
    assert list(tmp_path.iterdir()) == []
    # Too quiet for PCM_24 too, it is not told to use PCM_24.
    faint = cv.render(settings=AudioSettings(air_distance_m=100.0), full_scale=1e6)
    for subtype in ("PCM_24", "PCM_16"):  # below PCM_24's step too: FLOAT only
        with pytest.raises(ValueError, match=rf"below one step of {subtype} .*, or subtype"
                                             r" FLOAT$"):
            cv.save(faint, tmp_path, "faint", subtype=subtype)
    assert len(cv.save(far, tmp_path, "far", subtype="PCM_24")) == 3  # 30 dB above its step


def test_save_writes_inside_its_folder_only(tmp_path):
    rendering = cv.render(after_crack_s=0.005)
    for name in ("../x", "/tmp/x", "a/b"):
        with pytest.raises(ValueError, match=r"is not a file name; valid: a plain file name"):
            cv.save(rendering, tmp_path / "o", name)
    assert not (tmp_path / "o").exists() and not (tmp_path / "x.wav").exists()


def test_a_side_whose_crack_is_below_one_step_is_refused(tmp_path):
    import dataclasses

    from cavitation import scenario as sc

    both = sc.render_scenario(sc.simulate_scenario(sc.get_scenario("upper-cervical")),
                              listener_kind="contact", level="normalised")
    faint_right = dataclasses.replace(both, samples=both.samples * np.array([1.0, 1e-6]))
    with pytest.raises(ValueError, match="on the right channel"):
        cv.save(faint_right, tmp_path, "faint", subtype="PCM_16", figures=())
    assert list(tmp_path.iterdir()) == []


def _riff_info(data: bytes) -> dict[str, str]:
    """A WAV's LIST/INFO chunk read by hand, byte by byte, not by libsndfile."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    info, at = {}, 12
    while at + 8 <= len(data):
        kind, size = data[at:at + 4], int.from_bytes(data[at + 4:at + 8], "little")
        if kind == b"LIST" and data[at + 8:at + 12] == b"INFO":
            sub, end = at + 12, at + 8 + size
            while sub + 8 <= end:
                key, length = data[sub:sub + 4], int.from_bytes(data[sub + 4:sub + 8], "little")
                info[key.decode()] = data[sub + 8:sub + 8 + length].rstrip(b"\0").decode()
                sub += 8 + length + (length & 1)
        at += 8 + size + (size & 1)
    return info


def _vorbis_comments(data: bytes) -> dict[str, str]:
    """A FLAC's VORBIS_COMMENT block read by hand (FLAC format, section METADATA_BLOCK)."""
    assert data[:4] == b"fLaC"
    at, comments = 4, {}
    while True:
        header = data[at]
        size = int.from_bytes(data[at + 1:at + 4], "big")
        if header & 0x7F == 4:
            block = data[at + 4:at + 4 + size]
            vendor = int.from_bytes(block[:4], "little")
            pos = 4 + vendor
            count = int.from_bytes(block[pos:pos + 4], "little")
            pos += 4
            for _ in range(count):
                length = int.from_bytes(block[pos:pos + 4], "little")
                key, _, value = block[pos + 4:pos + 4 + length].decode().partition("=")
                comments[key.upper()] = value
                pos += 4 + length
        if header & 0x80:
            return comments
        at += 4 + size


@pytest.mark.parametrize("file_format", ["wav", "flac"])
def test_a_file_carries_its_provenance_and_figures(tmp_path, file_format):
    # A file copied away from its JSON still says what made it: read back by soundfile
    # and by a reader written here from the formats' specifications. (Normalised: the
    # calibrated knuckle, -74 LUFS, is below BS.1770's absolute gate and reads null.)
    rendering = cv.render(level="normalised")
    audio_path, json_path = (Path(p) for p in cv.save(rendering, tmp_path, "crack", figures=(),
                                                      file_format=file_format,
                                                      preset="knuckle"))
    meta = json.loads(json_path.read_text())
    tags = cv.io.audio_tags(audio_path)
    raw = audio_path.read_bytes()
    own = _riff_info(raw) if file_format == "wav" else _vorbis_comments(raw)
    comment = own["ICMT" if file_format == "wav" else "COMMENT"]
    assert comment == tags["comment"]
    assert own["INAM" if file_format == "wav" else "TITLE"] == "crack" == tags["title"]
    assert tags["software"].startswith(f"cavitation {cv.__version__}")
    embedded = json.loads(comment)
    for key in ("cavitation_version", "preset", "seed", "samplerate_hz", "crack_time_s",
                "peak_level_db", "dominant_frequency_hz"):
        assert embedded[key] == meta[key], key
    assert embedded["level"] == "normalised" and embedded["listener"] == "air"
    assert embedded["loudness_lufs"] == pytest.approx(
        cv.audio.loudness_lufs(cv.io.read_audio(audio_path)[0], 48000), abs=0.01)


def test_loudness_level_is_recorded_with_its_gain(tmp_path):
    rendering = cv.render(level="loudness", settings=AudioSettings(target_loudness_lufs=-40.0))
    assert rendering.loudness_lufs == pytest.approx(-40.0, abs=1e-6)
    meta = json.loads(Path(cv.save(rendering, tmp_path, "k", figures=())[1]).read_text())
    sound = meta["parameters"]["audio"]
    assert sound["level"] == "loudness" and sound["target_loudness_lufs"] == -40.0
    # The gain takes the signal in pascals to the samples: its peak, times the gain.
    peak_dbfs = 20 * np.log10(np.max(np.abs(rendering.samples)))
    assert sound["gain_db"] + 20 * np.log10(np.max(np.abs(rendering.signal))) == \
        pytest.approx(peak_dbfs, abs=1e-9)
    assert sound["true_peak_dbtp"] <= -1.0


def test_a_trimmed_stereo_file_holds_the_same_crack_at_the_same_time():
    whole = cv.render(level="normalised")
    short = cv.render(level="normalised",
                      settings=AudioSettings(trim_db=60.0, pad_before_s=0.01,
                                             pad_after_s=0.01, channels=2))
    assert short.samples.shape[1] == 2 and short.samples.shape[0] < whole.samples.shape[0] / 2
    # The same samples at the same simulation times (start_s moved by whole samples),
    # each channel the sound at the listener (dual mono). Normalised, each channel's true
    # peak is at -1 dBTP: two channels each as loud as the mono file, 3.01 LU more.
    offset = round((short.start_s - whole.start_s) * whole.samplerate_hz)
    assert offset > 0
    inner = slice(480, short.samples.shape[0] - 480)  # inside the 10 ms fades
    np.testing.assert_allclose(short.signal[inner, 0],
                               whole.signal[offset:][inner], rtol=0,
                               atol=1e-12 * np.max(np.abs(whole.signal)))
    assert short.loudness_lufs - whole.loudness_lufs == pytest.approx(3.01, abs=0.05)
    # The features are measured on the sound before the file is shaped: the same, to
    # rounding (the shorter padding changes the sums' lengths).
    for key, value in whole.features.as_dict().items():
        assert short.features.as_dict()[key] == (value if isinstance(value, str | int)
                                                  else pytest.approx(value, rel=1e-12)), key
