"""Audio: band-limited resampling, levels, noise, and features on known signals."""

import math

import numpy as np
import pytest

from cavitation import audio
from cavitation.render import ARRIVAL_STEP_S, MIN_GRID_HZ, OVERSAMPLING, grid_factor

RATE_IN = 1_000_000
T_IN = np.arange(0.0, 0.2, 1.0 / RATE_IN)


def _resample(x, fs, **kwargs):
    return audio.to_samplerate(T_IN, x, fs, start_s=0.0, duration_s=0.2, **kwargs)


@pytest.mark.parametrize("fs", audio.SAMPLERATES_HZ)
def test_chirp_above_output_nyquist_is_suppressed(fs):
    # A linear chirp from the output Nyquist frequency to 400 kHz, amplitude 1.
    f0, f1 = fs / 2.0, 400e3
    chirp = np.sin(2 * np.pi * (f0 + (f1 - f0) * T_IN / 0.4) * T_IN)
    out = _resample(chirp, fs)
    inner = out[out.size // 10: -out.size // 10]  # away from the start and end
    # The issue asks for 60 dB; the filter is designed for 100 dB (measured 128-136).
    assert 20 * np.log10(np.max(np.abs(inner))) < -90.0


@pytest.mark.parametrize("fs", audio.SAMPLERATES_HZ)
@pytest.mark.parametrize("ratio", [1.01, 1.05, 1.2])
def test_tones_just_above_output_nyquist_are_suppressed(fs, ratio):
    # The band most likely to fold back: just above Nyquist (measured 111-130 dB down).
    out = _resample(np.sin(2 * np.pi * ratio * fs / 2 * T_IN), fs)
    inner = out[out.size // 10: -out.size // 10]
    assert 20 * np.log10(np.max(np.abs(inner))) < -90.0


@pytest.mark.parametrize("fs", audio.SAMPLERATES_HZ)
@pytest.mark.parametrize("fraction", [None, 0.4])
def test_tones_in_the_pass_band_pass_unchanged(fs, fraction):
    # 1 kHz, and near the pass band's edge (PASSBAND_FRACTION 0.42 of the rate).
    f = 1000.0 if fraction is None else fraction * fs
    out = _resample(np.sin(2 * np.pi * f * T_IN), fs)
    expected = np.sin(2 * np.pi * f * np.arange(out.size) / fs)
    inner = slice(out.size // 10, -out.size // 10)
    # Kaiser pass-band ripple at 100 dB is 1e-5; linear reading of exact samples adds
    # nothing: 1e-4 (0.001 dB) leaves margin.
    np.testing.assert_allclose(out[inner], expected[inner], atol=1e-4)


def test_a_pulse_keeps_its_time():
    t0 = 0.1
    pulse = np.exp(-0.5 * ((T_IN - t0) / 50e-6) ** 2)
    out = _resample(pulse, 48000)
    # Peak at the sample nearest 0.1 s: the filter's delay is compensated.
    assert np.argmax(out) == round(t0 * 48000)


def test_samplerate_must_be_a_common_one():
    with pytest.raises(ValueError, match=r"samplerate_hz = 11025 Hz is not available; valid "
                                         r"choices: 8000, 16000, 22050, .*, 192000 Hz"):
        _resample(np.zeros_like(T_IN), 11025)


def test_features_of_a_one_pascal_tone():
    fs = 48000
    t = np.arange(0, 0.5, 1 / fs)
    f = audio.features(np.sin(2 * np.pi * 1234.0 * t), fs)
    assert f.peak_level_db == pytest.approx(20 * math.log10(1 / 20e-6), abs=1e-3)  # 93.98 dB
    assert f.dominant_frequency_hz == pytest.approx(1234.0, abs=1.0)  # 1 Hz bins
    assert f.spectral_centroid_hz == pytest.approx(1234.0, rel=0.02)  # window leakage
    assert f.pop_count == 1


def test_centroid_of_two_equal_tones_is_their_mean():
    fs = 48000
    t = np.arange(0, 1.0, 1 / fs)
    x = np.sin(2 * np.pi * 1000 * t) + np.sin(2 * np.pi * 3000 * t)
    # Whole periods in the window: no leakage beyond 1 %.
    assert audio.features(x, fs).spectral_centroid_hz == pytest.approx(2000.0, rel=0.01)


@pytest.mark.parametrize("tau, f0", [(2e-3, 2000.0), (5e-3, 215.0), (5e-3, 86.0)])
def test_duration_of_an_exponential_decay(tau, f0):
    fs = 48000
    t = np.arange(0, 0.1, 1 / fs)
    x = np.where(t >= 0.02, np.exp(-(t - 0.02) / tau) * np.sin(2 * np.pi * f0 * (t - 0.02)),
                 0.0)
    # The envelope falls 20 dB in tau ln 10. The peak envelope starts at the first peak,
    # at most a quarter period after an abrupt onset (measured: under 0.1 ms here).
    assert audio.features(x, fs).duration_s == pytest.approx(tau * math.log(10),
                                                             abs=0.25 / f0)


def test_three_separate_bursts_are_three_pops():
    fs = 48000
    t = np.arange(0, 0.2, 1 / fs)
    x = np.zeros_like(t)
    for start in (0.03, 0.08, 0.13):
        late = t >= start
        x[late] += np.exp(-(t[late] - start) / 1e-3) * np.sin(2 * np.pi * 1500 * (t[late] - start))
    assert audio.features(x, fs).pop_count == 3


@pytest.mark.parametrize("gap_s, pops", [(0.5e-3, 1), (2e-3, 1), (8e-3, 1), (12e-3, 2)])
def test_steady_bursts_are_parted_only_by_a_long_silence(gap_s, pops):
    # Constant-amplitude bursts have no decay to dip between them: a pure silence is
    # only seen when longer than ENVELOPE_PEAK_SPACING_S (10 ms; the ringing of a skin
    # accelerometer's mount near 85 Hz has maxima 5.9 ms apart and must not be cut).
    fs = 48000
    t = np.arange(0, 0.1, 1 / fs)
    x = np.zeros_like(t)
    for start in (0.02, 0.02 + 2e-3 + gap_s):  # each burst is 2 ms long
        on = (t >= start) & (t < start + 2e-3)
        x[on] = np.sin(2 * np.pi * 3000 * (t[on] - start))
    f = audio.features(x, fs)
    assert f.pop_count == pops
    if pops == 2:
        # Each burst is 2 ms; its peak envelope spans it from the first peak to the last
        # (a quarter period, 0.08 ms, short of the whole at 3 kHz).
        assert f.pop_duration_s == pytest.approx(2e-3, abs=0.2e-3)


def test_a_louder_pop_in_the_tail_of_another_is_a_pop():
    # Three decaying rings 7 and 10 ms apart: each starts while the one before is still
    # within 20 dB, as in a lumbar thrust. Three pops, each lasting its own -20 dB span.
    fs, tau = 48000, 1.5e-3
    t = np.arange(0, 0.08, 1 / fs)
    x = np.zeros_like(t)
    for start in (0.02, 0.027, 0.037):
        late = t >= start
        x[late] += np.exp(-(t[late] - start) / tau) * np.sin(2 * np.pi * 900 * (t[late] - start))
    f = audio.features(x, fs)
    assert f.pop_count == 3
    # -20 dB after tau ln 10 = 3.5 ms; each pop is cut off by the next one at worst.
    assert 2.5e-3 < f.pop_duration_s < 4.5e-3


def test_silence_has_no_features():
    f = audio.features(np.zeros(4800), 48000)
    assert f.peak_level_db == -math.inf and f.pop_count == 0 and f.duration_s == 0.0


def test_noise_is_seeded():
    x = np.zeros(48000)
    a, b = audio.add_noise(x, 0.1, 7), audio.add_noise(x, 0.1, 7)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, audio.add_noise(x, 0.1, 8))
    # 48000 Gaussian samples: the RMS is within 1 % (3 standard errors, 0.3 % each).
    assert np.sqrt(np.mean(a**2)) == pytest.approx(0.1, rel=0.01)


def test_calibrated_level_maps_full_scale_pressure_to_one():
    x = np.array([0.0, 5.0, -10.0])
    np.testing.assert_allclose(audio.to_digital(x, level="calibrated", full_scale=20.0),
                               [0.0, 0.25, -0.5])


def test_calibrated_level_refuses_to_clip():
    with pytest.raises(audio.ClippingError, match=r"the signal peaks at 30 Pa, above "
                                                  r"full_scale = 20 Pa"):
        audio.to_digital(np.array([30.0]), level="calibrated", full_scale=20.0)


def test_normalised_level_puts_the_true_peak_at_minus_one_dbtp():
    # A sine at a quarter of the rate, sampled off its crests: its samples peak 3 dB
    # below its true peak, which a sample-peak normaliser would miss. Faded in and out,
    # as a sound is: an abrupt start would add the interpolator's own overshoot.
    from scipy.signal.windows import tukey

    fs = 48000
    x = 5.0 * tukey(4800, 0.2) * np.sin(2 * np.pi * fs / 4 * np.arange(4800) / fs + np.pi / 4)
    out = audio.to_digital(x, level="normalised", full_scale=1.0)
    assert audio.true_peak_dbtp(out) == pytest.approx(-1.0, abs=1e-9)
    assert 20 * np.log10(np.max(np.abs(out))) == pytest.approx(-1.0 - 3.01, abs=0.02)


@pytest.mark.parametrize(("channels", "dbfs"), [(2, -23.0), (2, -33.0), (1, -23.0)])
def test_loudness_of_a_sine_reads_as_ebu_tech_3341(channels, dbfs):
    # EBU Tech 3341 cases 1 and 2: 1 kHz at -23 (or -33) dBFS on both channels reads
    # -23 (-33) LUFS within 0.1 LU; one channel alone reads 3.01 LU less.
    fs = 48000
    x = 10 ** (dbfs / 20) * np.sin(2 * np.pi * 1000.0 * np.arange(20 * fs) / fs)
    samples = np.column_stack([x] * channels) if channels == 2 else x
    expected = dbfs if channels == 2 else dbfs - 3.01
    assert audio.loudness_lufs(samples, fs) == pytest.approx(expected, abs=0.1)


@pytest.mark.parametrize("fs", [8000, 48000, 192000])
def test_a_clip_shorter_than_a_block_reads_its_energy_over_400_ms(fs):
    # The meter's own K-weighting, applied by hand, and the one-block formula: a click
    # of 3 ms in a 50 ms clip reads -0.691 + 10 log10(sum z^2 / (0.4 s x rate)).
    import pyloudnorm

    clip = np.zeros(round(0.05 * fs))
    n = round(0.003 * fs)
    clip[100:100 + n] = 0.5 * np.sin(2 * np.pi * 1000.0 * np.arange(n) / fs)
    weighted = np.pad(clip, round(0.5 * fs))
    for stage in pyloudnorm.Meter(fs)._filters.values():
        weighted = stage.apply_filter(weighted)
    expected = -0.691 + 10 * np.log10(np.sum(weighted**2) / (0.4 * fs))
    assert audio.loudness_lufs(clip, fs) == pytest.approx(expected, abs=1e-6)
    assert audio.loudness_lufs(np.zeros(10), fs) == -math.inf


def test_a_click_at_the_end_of_a_long_clip_is_measured():
    # A clip of 0.45 s: the meter counts whole 100 ms hops, so its last 50 ms would lie
    # past every block. Silence added up to a whole hop puts them in one.
    fs = 48000
    clip = np.zeros(round(0.45 * fs))
    clip[round(0.43 * fs):round(0.433 * fs)] = 0.5
    alone = np.zeros(round(0.05 * fs))
    alone[round(0.03 * fs):round(0.033 * fs)] = 0.5
    assert audio.loudness_lufs(clip, fs) == pytest.approx(audio.loudness_lufs(alone, fs),
                                                          abs=0.01)


def test_loudness_level_meets_its_target_or_says_how_loud_it_can_be():
    fs = 48000
    t = np.arange(round(0.2 * fs)) / fs
    click = 30.0 * np.exp(-t / 2e-3) * np.sin(2 * np.pi * 2000.0 * t)
    out = audio.to_digital(click, level="loudness", full_scale=1.0, samplerate_hz=fs,
                           target_lufs=-40.0)
    assert audio.loudness_lufs(out, fs) == pytest.approx(-40.0, abs=1e-6)
    assert audio.true_peak_dbtp(out) < -1.0
    with pytest.raises(audio.ClippingError,
                       match=r"target_lufs = -10 LUFS would put this sound's true peak at"
                             r" \+\d+\.\d dBTP, above the ceiling of -1 dBTP; valid for this"
                             r" sound: at most -\d+\.\d LUFS"):
        audio.to_digital(click, level="loudness", full_scale=1.0, samplerate_hz=fs,
                         target_lufs=-10.0)
    with pytest.raises(ValueError, match=r"target_lufs = -80.0 LUFS is out of range; valid"
                                         r" range: \[-70, 0\] LUFS"):
        audio.to_digital(click, level="loudness", full_scale=1.0, samplerate_hz=fs,
                         target_lufs=-80.0)


def test_nan_is_never_turned_into_audio():
    with pytest.raises(ValueError, match="NaN or infinite"):
        audio.to_digital(np.array([0.0, np.nan]), level="normalised", full_scale=1.0)


@pytest.mark.parametrize("fs", audio.SAMPLERATES_HZ)
def test_silence_around_a_signal_is_skipped_exactly(fs):
    # Only the stretch where the signal is not zero is filtered (widened by the filters'
    # reach). A floor of 1e-30 makes the whole grid non-zero, so it is all filtered:
    # the two outputs must agree, the filters' leading and trailing reach included.
    # A ringing that starts abruptly: the symmetric FIRs answer before its onset.
    after = np.clip(T_IN - 0.1, 0.0, None)
    pulse = np.where(T_IN >= 0.1, np.cos(2 * np.pi * 3e3 * after) * np.exp(-after / 1e-3), 0.0)
    pulse[T_IN > 0.11] = 0.0
    sos = np.array([[1.0, 0.0, 0.0, 1.0, -0.99, 0.0]])  # a slow one-pole ringing
    trimmed = _resample(pulse, fs, sos=sos)
    whole = _resample(np.where(pulse == 0.0, 1e-30, pulse), fs, sos=sos)
    np.testing.assert_allclose(trimmed, whole, rtol=0, atol=1e-12 * np.max(np.abs(whole)))


@pytest.mark.parametrize("fs", audio.SAMPLERATES_HZ)
def test_the_render_grid_is_fine_and_keeps_the_arrival_step_whole(fs):
    # At least OVERSAMPLING samples per audio sample and at least MIN_GRID_HZ, so the
    # crack's spectrum folds no more at 8 kHz than at 44.1 kHz; and the sound's travel
    # time moves the start by whole grid steps at every rate.
    factor = grid_factor(fs)
    assert factor >= OVERSAMPLING and factor * fs >= MIN_GRID_HZ
    assert factor * fs * ARRIVAL_STEP_S == pytest.approx(round(factor * fs * ARRIVAL_STEP_S),
                                                         abs=1e-9)


@pytest.mark.parametrize("fs", audio.SAMPLERATES_HZ)
@pytest.mark.parametrize("oversampling", ["render", 8])
def test_render_grid_decimation_suppresses_above_nyquist_and_passes_below(fs, oversampling):
    # A render reads the crack at grid_factor (6 to 34) times the audio rate: a
    # whole-factor decimation, by the FFT path, with a short first stage before it
    # where the factor is large; at 8 times, another split. Same limits as on the 1 MHz
    # grid above.
    rate = (grid_factor(fs) if oversampling == "render" else oversampling) * fs
    t = np.arange(0.0, 0.1, 1.0 / rate)

    def resample(x):
        out = audio.to_samplerate(t, x, fs, start_s=0.0, duration_s=0.1, input_rate_hz=rate)
        return out[out.size // 10: -out.size // 10]

    assert 20 * np.log10(np.max(np.abs(resample(np.sin(2 * np.pi * 1.01 * fs / 2 * t))))) \
        < -90.0
    tone = resample(np.sin(2 * np.pi * 1000.0 * t))
    assert np.max(np.abs(tone)) == pytest.approx(1.0, abs=1e-4)  # ripple 1e-5, grid 1e-5


def test_a_grid_that_needs_a_giant_filter_is_refused():
    t = np.arange(0.0, 0.01, 7e-7)
    with pytest.raises(ValueError, match=r"output_step_s = 1/1428571 s cannot be resampled"
                                         r" to 48000 Hz.*denominator up to 10000"):
        audio.to_samplerate(t, np.ones_like(t), 48000, start_s=0.0, duration_s=0.01,
                            input_rate_hz=1428571)


def _ringing(frequency_hz, quality, samplerate_hz=48000, rise_cycles=0.0):
    """A damped sinusoid of quality factor ``quality``, optionally with a rising
    envelope over ``rise_cycles`` periods, after 10 ms of silence."""
    t = np.arange(round(0.2 * samplerate_hz)) / samplerate_hz
    decay = np.exp(-np.pi * frequency_hz * t / quality)
    if rise_cycles:
        decay *= 1.0 - np.exp(-t * frequency_hz / rise_cycles)
    x = decay * np.sin(2 * np.pi * frequency_hz * t)
    return np.concatenate([np.zeros(480), x])


@pytest.mark.parametrize("quality", [2.0, 5.0, 20.0])
def test_character_measures_the_bandwidth_of_a_ringing(quality):
    measured = audio.character(_ringing(2000.0, quality), 48000)
    # A damped sinusoid's spectral peak sits below its frequency by a share of order
    # 1/(8 Q^2) (measured 3 % at Q = 2), and its -3 dB bandwidth is f / Q (its
    # Lorentzian line) to the window and 1 Hz bins: within 10 % (measured 10 % at Q = 2,
    # where the line starts to be lopsided, 1.5 % at Q = 5).
    assert measured.dominant_frequency_hz == pytest.approx(2000.0, rel=0.05)
    assert measured.quality_factor == pytest.approx(quality, rel=0.11)
    assert measured.broadband == (quality <= audio.BROADBAND_MAX_Q)
    assert measured.onset_s == pytest.approx(0.01, abs=1 / 2000)  # within half a period
    assert sum(measured.octave_shares.values()) == pytest.approx(1.0, abs=1e-3)
    assert max(measured.octave_shares, key=measured.octave_shares.get) == 2000.0


def test_character_tells_a_click_from_a_ringing_that_builds_up():
    click = audio.character(_ringing(2000.0, 1.0), 48000)
    builds = audio.character(_ringing(2000.0, 20.0, rise_cycles=3.0), 48000)
    assert click.impulsive and click.onset_to_peak_cycles < 0.5
    assert not builds.impulsive and builds.onset_to_peak_cycles > 3.0


def test_character_of_silence_is_nan():
    measured = audio.character(np.zeros(100), 48000)
    assert math.isnan(measured.quality_factor) and not measured.impulsive


def test_a_spectrum_without_a_peak_in_the_band_has_no_dominant_frequency():
    # A 0.2 ms push (one half sine) has its spectrum's peak at 0 Hz, and it only falls
    # from 20 Hz up to its first null at 7.5 kHz: the band's edge is no peak. It was
    # reported as the dominant frequency, 20 Hz, in a neck's pop and in packs.
    fs = 48000
    x = np.zeros(fs // 10)
    n = round(2e-4 * fs)
    x[1000:1000 + n] = np.sin(np.pi * np.arange(n) / n)
    f, c = audio.features(x, fs), audio.character(x, fs)
    assert math.isnan(f.dominant_frequency_hz) and math.isnan(c.dominant_frequency_hz)
    assert math.isnan(c.quality_factor) and math.isnan(c.onset_to_peak_cycles)
    assert not c.impulsive and not c.broadband and sum(c.octave_shares.values()) > 0.99
    assert f.spectral_centroid_hz > 1000.0  # the rest is measured
    assert audio.dominant_text(f.dominant_frequency_hz) == "no spectral peak above 20 Hz"
    # A click with a peak in the band keeps it (the knuckle's 114 Hz, a 2 kHz ringing).
    ringing = audio.features(_ringing(2000.0, 5.0), fs)
    assert ringing.dominant_frequency_hz == pytest.approx(2000.0, abs=30.0)
    assert audio.dominant_text(114.0) == "dominant 114 Hz"


def test_trim_keeps_the_sound_and_its_padding_and_fades_the_cuts():
    fs = 48000
    x = np.zeros(fs)
    n = round(0.01 * fs)
    x[20000:20000 + n] = np.sin(2 * np.pi * 1000.0 * np.arange(n) / fs)
    first, kept = audio.trim(x, fs, floor_db=60.0, before_s=0.02, after_s=0.02)
    # 20 ms before the first sample within 60 dB of the peak, 20 ms after the last.
    above = np.flatnonzero(np.abs(x) >= 1e-3 * np.max(np.abs(x)))
    onset = int(above[0])  # 20001: sin(0) = 0 is below the floor
    assert first == onset - 960
    assert kept.shape[0] == int(above[-1]) + 960 + 1 - first
    # The sound itself is untouched; the silence at the ends was faded (it is zero).
    np.testing.assert_array_equal(kept[onset - first:onset - first + n - 1],
                                  x[onset:onset + n - 1])
    # Fades: a sound that fills the padding is brought to zero at the cuts by a raised
    # cosine of 5 ms (240 samples), and kept whole between them.
    first, kept = audio.trim(np.ones(1000), fs, floor_db=6.0, before_s=0.0, after_s=0.0)
    assert first == 0 and kept.shape[0] == 1000 and kept[0] == 1.0  # no padding: no fade
    level = np.full(4000, 0.5)
    level[2000:2100] = 1.0
    first, kept = audio.trim(level, fs, floor_db=3.0, before_s=0.01, after_s=0.01)
    assert first == 2000 - 480 and kept.shape[0] == 100 + 2 * 480
    ramp = 0.5 * (0.5 - 0.5 * np.cos(np.pi * np.arange(240) / 240))
    np.testing.assert_allclose(kept[:240], ramp, rtol=0, atol=1e-15)
    np.testing.assert_allclose(kept[::-1][:240], ramp, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(kept[240:-240], level[first + 240:first + kept.shape[0] - 240])
    first, kept = audio.trim(np.zeros(100), fs, floor_db=60.0, before_s=0.0, after_s=0.0)
    assert first == 0 and kept.shape == (100,)


@pytest.mark.parametrize("fs", [16000, 48000])
def test_channels_copy_mono_and_sum_stereo(fs):
    t = np.arange(fs) / fs
    mono = 0.3 * np.sin(2 * np.pi * 1000.0 * t)
    stereo = audio.to_channels(mono, 2)
    # Dual mono: each channel the sound at the listener, so a calibration holds per
    # channel; BS.1770 sums the channels' power: 3.01 LU louder.
    np.testing.assert_array_equal(stereo, np.column_stack([mono, mono]))
    assert audio.loudness_lufs(stereo, fs) - audio.loudness_lufs(mono, fs) == \
        pytest.approx(10 * np.log10(2), abs=1e-9)
    # A sound panned to the centre (-3 dB each side) sums back to itself.
    centred = np.column_stack([mono, mono]) * np.sqrt(0.5)
    np.testing.assert_allclose(audio.to_channels(centred, 1), mono, rtol=1e-12)
    assert audio.to_channels(mono, 0) is mono and audio.to_channels(mono, 1) is mono
    with pytest.raises(ValueError, match=r"channels = 3 is not available; valid: 0"):
        audio.to_channels(mono, 3)
