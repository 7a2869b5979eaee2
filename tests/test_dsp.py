"""The render path's signal processing (cavitation._dsp) against scipy.signal.

Each function claims to compute what the scipy.signal function it names computes; each
test feeds both the same input and allows rounding only. Where the two take different
routes (FFT against a direct sum, a section's coefficients multiplied out in another
order) the tolerance is 1e-12 of the output's peak: double rounding over n terms is
about 1e-16 sqrt(n), and 1e-12 still fails any misaligned sample or wrong coefficient
by orders of magnitude.
"""

import math

import numpy as np
import pytest
from scipy import signal

from cavitation import _dsp, audio

RNG = np.random.default_rng(20261130)


def _close(got, expected, rel=1e-12):
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=rel * np.max(np.abs(expected)))


@pytest.mark.parametrize(("stopband_db", "width"), [(100.0, 0.05), (40.0, 0.2), (15.0, 0.3)])
def test_kaiser_design_is_kaiserord_and_firwin(stopband_db, width):
    # The three branches of Kaiser's beta (above 50 dB, 21-50, below 21).
    numtaps, beta = _dsp.kaiser_order(stopband_db, width)
    assert (numtaps, beta) == signal.kaiserord(stopband_db, width)
    got = _dsp.kaiser_lowpass(numtaps | 1, 1234.5, beta, 48000.0)
    _close(got, signal.firwin(numtaps | 1, 1234.5, window=("kaiser", beta), fs=48000.0))


@pytest.mark.parametrize(("n", "m"), [(50, 7), (3000, 40), (13793, 483), (200_000, 301)])
def test_convolve_is_the_full_convolution(n, m):
    # Direct below DIRECT_CONVOLUTION_MAX multiply-adds, by FFT above (the last two).
    x, h = RNG.standard_normal(n), RNG.standard_normal(m)
    _close(_dsp.convolve(x, h), signal.fftconvolve(x, h))


@pytest.mark.parametrize(("n", "up", "down", "taps"),
                         [(13793, 1, 6, 483), (9199, 1, 4, 323), (50, 1, 5, 301),
                          (997, 1, 3, 31), (1000, 4, 1, 81), (777, 3, 1, 40), (10, 5, 1, 101),
                          (501, 3, 2, 61)])
def test_resample_poly_gives_scipys_samples(n, up, down, taps):
    # Decimation (by convolution), interpolation (by phases) and, handed on, a ratio
    # with both; odd and even lengths, filters longer than the signal.
    x, h = RNG.standard_normal(n), RNG.standard_normal(taps)
    _close(_dsp.resample_poly(x, up, down, h),
           signal.resample_poly(x, up, down, window=h, padtype="constant"))


@pytest.mark.parametrize(("x", "up", "down", "taps"),
                         [(np.ones(3), 4, 1, np.ones(5) / 5), (np.ones(3), 4, 1, np.ones(3)),
                          (np.arange(5.0), 1, 1, np.ones(3)), (np.zeros(0), 3, 1, np.ones(7))])
def test_resample_poly_at_its_edges(x, up, down, taps):
    # A filter shorter than the factor (some phases have no taps), no change of rate,
    # and no samples: scipy's samples still.
    expected = signal.resample_poly(x, up, down, window=taps, padtype="constant")
    got = _dsp.resample_poly(x, up, down, taps)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)  # values of order 1


def test_true_peak_filter_is_resample_polys_own():
    x = RNG.standard_normal((480, 2))
    ours = _dsp.resample_poly(x, audio.TRUE_PEAK_OVERSAMPLING, 1, audio._true_peak_taps())
    _close(ours, signal.resample_poly(x, audio.TRUE_PEAK_OVERSAMPLING, 1, axis=0))


@pytest.mark.parametrize("rate_hz", [8000.0, 288000.0])
def test_bilinear_biquad_is_bilinear_zpk(rate_hz):
    b, a = (0.3, 2e3, 4e7), (1.0, 900.0, 9e7)
    z, p, k = signal.tf2zpk(b, a)
    expected = signal.zpk2sos(*signal.bilinear_zpk(z, p, k, rate_hz))
    x = np.zeros(4096)
    x[0] = 1.0  # the two impulse responses: the sections may be factored differently
    _close(_dsp.sosfilt(_dsp.bilinear_biquad(b, a, rate_hz), x), signal.sosfilt(expected, x))


def test_sosfilt_from_rest_and_from_a_state():
    sos = signal.butter(6, [300.0, 3000.0], "bandpass", fs=48000.0, output="sos")
    x = RNG.standard_normal(5000)
    _close(_dsp.sosfilt(sos, x), signal.sosfilt(sos, x))
    zi = RNG.standard_normal((sos.shape[0], 2))
    _close(_dsp.sosfilt(sos, x, zi), signal.sosfilt(sos, x, zi=zi)[0])
    unnormalised = sos * np.array([2.0, 2.0, 2.0, 2.0, 2.0, 2.0])  # a0 = 2
    _close(_dsp.sosfilt(unnormalised, x), signal.sosfilt(sos, x))


@pytest.mark.parametrize("n", [10, 1001])
def test_filtfilt_butterworth_and_analytic_signal(n):
    sos = _dsp.butter_highpass(400.0, 48000.0)
    _close(sos, signal.butter(2, 400.0, "highpass", fs=48000.0, output="sos"))
    x = RNG.standard_normal(n)
    _close(_dsp.filtfilt(sos, x), signal.sosfiltfilt(sos, x))
    _close(_dsp.analytic_signal(x), signal.hilbert(x))
    with pytest.raises(ValueError, match="filtfilt needs more than 9 samples, not 9"):
        _dsp.filtfilt(sos, x[:9])


def _peaky(n):
    """Noise with plateaus (rounded to a coarse grid), equal peaks and flat ends."""
    x = np.round(np.cumsum(RNG.standard_normal(n)) + 3.0 * RNG.standard_normal(n))
    x[:5] = x[5]
    return x


@pytest.mark.parametrize("seed", range(6))
def test_find_peaks_with_height_distance_and_prominence(seed):
    x = _peaky(500 + 100 * seed)
    for kwargs in ({}, {"height": float(np.median(x))}, {"distance": 7},
                   {"distance": 2.5, "height": float(np.median(x))}, {"prominence": 4.0},
                   {"prominence": 0.5}):
        np.testing.assert_array_equal(_dsp.find_peaks(x, **kwargs),
                                      signal.find_peaks(x, **kwargs)[0], err_msg=str(kwargs))
    assert _dsp.find_peaks(np.ones(2)).size == 0


def test_find_peaks_walks_only_to_the_nearest_higher_sample():
    # A random walk of 200,000 samples has tens of thousands of maxima (a long crack's
    # radius does): each prominence is walked out from its peak, and a NaN stops the
    # walk as it stops scipy's.
    x = np.cumsum(RNG.standard_normal(200_000))
    np.testing.assert_array_equal(_dsp.find_peaks(x, prominence=1.0),
                                  signal.find_peaks(x, prominence=1.0)[0])
    for nan_first in ([np.nan, 0.0, 2.0, 1.0, 0.0], [0.0, 2.0, 1.0, 0.0, np.nan]):
        np.testing.assert_array_equal(_dsp.find_peaks(np.array(nan_first), prominence=0.5),
                                      signal.find_peaks(nan_first, prominence=0.5)[0])


def test_spectrogram_is_scipys_power_spectrum():
    x = RNG.standard_normal(3001)
    for nfft in (256, 255):  # the Nyquist bin is counted once when nfft is even
        got = _dsp.spectrogram(x, 48000.0, nperseg=64, noverlap=56, nfft=nfft)
        expected = signal.spectrogram(x, fs=48000.0, nperseg=64, noverlap=56, nfft=nfft,
                                      scaling="spectrum")
        for ours, theirs in zip(got, expected, strict=True):
            _close(ours, theirs)


@pytest.mark.parametrize("fs", audio.SAMPLERATES_HZ)
def test_loudness_is_pyloudnorms(fs):
    # The meter as pyloudnorm measures it (with the padding loudness_lufs adds): mono,
    # stereo and five channels; shorter than a block and several blocks long. The
    # block energies are the same sums, so the readings agree to rounding (1e-9 LU).
    import pyloudnorm

    for channels, duration_s in ((1, 0.05), (2, 1.3), (5, 0.45)):
        n = round(duration_s * fs)
        x = RNG.standard_normal((n, channels)) * np.exp(-np.arange(n) / (0.1 * fs))[:, None]
        block, hop = math.ceil(0.4 * fs), round(0.1 * fs)
        before, after = ((block - n) // 2, block - n - (block - n) // 2) if n < block \
            else (0, -(n - block) % hop)
        padded = np.pad(x, [(before, after), (0, 0)])
        expected = pyloudnorm.Meter(fs).integrated_loudness(
            padded[:, 0] if channels == 1 else padded)
        got = audio.loudness_lufs(x[:, 0] if channels == 1 else x, fs)
        assert got == pytest.approx(expected, abs=1e-9)


def test_loudness_below_the_gate_and_too_many_channels():
    assert audio.loudness_lufs(np.full(48000, 1e-6), 48000) == -math.inf
    with pytest.raises(ValueError, match="at most 5 channels, not 6"):
        audio.loudness_lufs(np.ones((48000, 6)), 48000)
