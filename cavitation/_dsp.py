"""The few signal-processing functions the render path needs, on numpy alone.

``import scipy.signal`` takes about 0.36 s (0.17 s of it ``scipy.stats``): 40 % of a
0.85 s ``cavitation render``, which needs only a handful of its functions. They are
written here, each the same computation as the ``scipy.signal`` function it names,
and ``tests/test_dsp.py`` holds each to that function's output:

- :func:`kaiser_order` and :func:`kaiser_lowpass`: ``kaiserord`` and ``firwin`` with
  a Kaiser window (Kaiser's formulas, as in Oppenheim & Schafer, *Discrete-Time
  Signal Processing*, sec. 7.6);
- :func:`convolve`: ``fftconvolve``'s full convolution, directly for short inputs;
- :func:`resample_poly`: ``resample_poly(x, up, down, window=taps,
  padtype="constant")`` where ``up`` or ``down`` is 1 (a whole-factor decimation, or
  an interpolation); any other ratio is handed to ``scipy.signal``;
- :func:`bilinear_biquad`: an analog second-order section to a digital one, as
  ``bilinear_zpk`` maps it (no prewarping);
- :func:`sosfilt`: second-order sections in cascade, direct form II transposed, as
  ``sosfilt`` (compiled by numba, imported when first used), and :func:`filtfilt`,
  ``sosfiltfilt``, forwards and backwards;
- :func:`butter_highpass`: ``butter(2, ..., "highpass", output="sos")``;
- :func:`analytic_signal`: ``hilbert``;
- :func:`find_peaks`: ``find_peaks`` with ``height``, ``distance`` and
  ``prominence``;
- :func:`spectrogram`: ``spectrogram``'s power spectrum (``scaling="spectrum"``) with
  its default Tukey window and constant detrend.
"""

from __future__ import annotations

import functools
import math

import numpy as np

#: Below this many multiply-adds a convolution is computed directly (``np.convolve``);
#: above it, by FFT. The two cross near here on the development machine.
DIRECT_CONVOLUTION_MAX = 2_000_000
#: A filter this short is convolved directly however long the signal: 21 taps over
#: 480,000 samples take 3.7 ms so, 10.4 ms by FFT.
DIRECT_TAPS_MAX = 64


def kaiser_order(stopband_db: float, width: float) -> tuple[int, float]:
    """``(numtaps, beta)`` of a Kaiser-window FIR whose stop band is ``stopband_db``
    [dB] down, over a transition ``width`` [fraction of the Nyquist frequency]."""
    if stopband_db > 50.0:
        beta = 0.1102 * (stopband_db - 8.7)
    elif stopband_db > 21.0:
        beta = 0.5842 * (stopband_db - 21.0) ** 0.4 + 0.07886 * (stopband_db - 21.0)
    else:
        beta = 0.0
    numtaps = (stopband_db - 7.95) / 2.285 / (math.pi * width) + 1.0
    return math.ceil(numtaps), beta


def kaiser_lowpass(numtaps: int, cutoff_hz: float, beta: float, rate_hz: float) -> np.ndarray:
    """Windowed-sinc low-pass FIR of ``numtaps`` taps, cut off at ``cutoff_hz`` [Hz] for
    ``rate_hz`` [Hz], with a symmetric Kaiser window of shape ``beta``; gain 1 at 0 Hz."""
    cutoff = cutoff_hz / (0.5 * rate_hz)
    m = np.arange(numtaps) - 0.5 * (numtaps - 1)
    taps = cutoff * np.sinc(cutoff * m) * np.kaiser(numtaps, beta)
    return taps / taps.sum()


def _fast_length(n: int) -> int:
    """The smallest ``2^a 3^b 5^c`` at least ``n``: a length numpy's FFT takes quickly."""
    best = 1 << max(n - 1, 0).bit_length()
    power5 = 1
    while power5 < best:
        power35 = power5
        while power35 < best:
            length = power35
            while length < n:
                length *= 2
            best = min(best, length)
            power35 *= 3
        power5 *= 5
    return best


def convolve(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Full linear convolution of two 1-D arrays (length ``x.size + h.size - 1``)."""
    if x.size * h.size <= DIRECT_CONVOLUTION_MAX or min(x.size, h.size) <= DIRECT_TAPS_MAX:
        return np.convolve(x, h)
    n = x.size + h.size - 1
    length = _fast_length(n)
    return np.fft.irfft(np.fft.rfft(x, length) * np.fft.rfft(h, length), length)[:n]


def resample_poly(x: np.ndarray, up: int, down: int, taps: np.ndarray) -> np.ndarray:
    """``x`` resampled by ``up / down`` through the FIR ``taps`` (odd length, designed at
    ``up`` times the input rate), its delay removed and zero beyond the ends: the
    samples of ``scipy.signal.resample_poly(x, up, down, window=taps,
    padtype="constant")``. ``x`` is 1-D, or 2-D with time along axis 0.

    Where neither ``up`` nor ``down`` is 1, ``scipy.signal`` resamples (not on a
    render's path: a render's grid is a whole multiple of its rate).
    """
    if x.ndim == 2:
        return np.stack([resample_poly(x[:, k], up, down, taps) for k in range(x.shape[1])],
                        axis=1)
    x = np.asarray(x, dtype=float)
    n_out = -(-x.size * up // down)
    if x.size == 0 or up == down == 1:
        return x.copy()
    delay = (taps.size - 1) // 2
    if up == 1:  # sample k is the full convolution's at delay + k down
        return convolve(x, taps)[delay::down][:n_out]
    if down != 1:
        from scipy import signal  # imported when used: it is slow to import

        return signal.resample_poly(x, up, down, window=taps, padtype="constant")
    # Interpolation: output sample k = j up + p is phase p's filter on x, read at
    # (k + delay) // up, with phase p's taps h[(p + delay) % up :: up] scaled by up.
    out = np.zeros(n_out)
    for p in range(up):
        shift, phase = divmod(p + delay, up)
        if phase >= taps.size:  # a filter shorter than the factor: this phase is zero
            continue
        branch = convolve(x, up * taps[phase::up])[shift:shift + out[p::up].size]
        out[p::up][:branch.size] = branch
    return out


def bilinear_biquad(b: tuple[float, float, float], a: tuple[float, float, float],
                    rate_hz: float) -> np.ndarray:
    """The analog section ``(b0 s^2 + b1 s + b2) / (a0 s^2 + a1 s + a2)`` as a digital
    second-order section ``[b0, b1, b2, 1, a1, a2]`` at ``rate_hz`` [Hz], by the
    bilinear transform ``s = 2 rate (1 - 1/z) / (1 + 1/z)`` (no prewarping)."""
    k = 2.0 * rate_hz

    def digital(c):
        c0, c1, c2 = c[0] * k * k, c[1] * k, c[2]
        return np.array([c0 + c1 + c2, 2.0 * (c2 - c0), c0 - c1 + c2])

    num, den = digital(b), digital(a)
    return np.concatenate([num / den[0], den / den[0]])


@functools.cache
def _jit(function):
    """``function`` compiled by numba and cached on disk (numba is imported here, when a
    kernel is first used, not with the package)."""
    from numba import njit

    return njit(cache=True, error_model="numpy")(function)


def _cascade(sos, x, zi):
    """``x`` through each section of ``sos`` (``a0`` = 1) in turn, each from its
    initial state ``zi[section]``."""
    out = x.copy()
    for s in range(sos.shape[0]):
        b0, b1, b2, a1, a2 = sos[s, 0], sos[s, 1], sos[s, 2], sos[s, 4], sos[s, 5]
        z1, z2 = zi[s, 0], zi[s, 1]
        for i in range(out.size):
            xi = out[i]
            yi = b0 * xi + z1
            z1 = b1 * xi - a1 * yi + z2
            z2 = b2 * xi - a2 * yi
            out[i] = yi
    return out


def _sections(sos: np.ndarray) -> np.ndarray:
    """``sos`` as a C-contiguous ``(n, 6)`` array with ``a0`` = 1."""
    sections = np.ascontiguousarray(sos, dtype=float).reshape(-1, 6)
    return sections / sections[:, 3:4] if np.any(sections[:, 3] != 1.0) else sections


def sosfilt(sos: np.ndarray, x: np.ndarray, zi: np.ndarray | None = None) -> np.ndarray:
    """``x`` (1-D) through the second-order sections ``sos`` (rows ``[b0, b1, b2, a0,
    a1, a2]``) in cascade, from rest or from the sections' states ``zi`` (shape
    ``(sections, 2)``): ``scipy.signal.sosfilt(sos, x[, zi=zi])``'s output."""
    sections = _sections(sos)
    state = np.zeros((sections.shape[0], 2)) if zi is None else np.asarray(zi, dtype=float)
    return _jit(_cascade)(sections, np.ascontiguousarray(x, dtype=float),
                             np.ascontiguousarray(state))


def _steady_state(sos: np.ndarray) -> np.ndarray:
    """Each section's state ``(sections, 2)`` after a long unit step (the input's
    steady state, scaled by the gain of the sections before it): ``sosfilt_zi``."""
    states = np.empty((sos.shape[0], 2))
    gain = 1.0
    for k, (b0, b1, b2, _, a1, a2) in enumerate(sos):
        # Direct form II transposed at rest under a constant input: z = (I - A^T)^-1 B.
        states[k] = gain * np.linalg.solve([[1.0 + a1, -1.0], [a2, 1.0]],
                                           [b1 - a1 * b0, b2 - a2 * b0])
        gain *= (b0 + b1 + b2) / (1.0 + a1 + a2)
    return states


def filtfilt(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``x`` (1-D, longer than ``6 sections + 3`` samples) through ``sos`` forwards,
    then backwards (no delay; the magnitude response squared), its ends extended by
    odd reflection and the filter started in its steady state:
    ``scipy.signal.sosfiltfilt(sos, x)``."""
    sections = _sections(sos)
    edge = 3 * (2 * sections.shape[0] + 1 - min(int(np.sum(sections[:, 2] == 0.0)),
                                                 int(np.sum(sections[:, 5] == 0.0))))
    if x.size <= edge:
        raise ValueError(f"filtfilt needs more than {edge} samples, not {x.size}")
    extended = np.concatenate((2.0 * x[0] - x[edge:0:-1], x,
                               2.0 * x[-1] - x[-2:-edge - 2:-1]))
    steady = _steady_state(sections)
    forward = sosfilt(sections, extended, steady * extended[0])
    backward = sosfilt(sections, forward[::-1], steady * forward[-1])
    return backward[::-1][edge:-edge]


def butter_highpass(corner_hz: float, rate_hz: float) -> np.ndarray:
    """Second-order Butterworth high-pass at ``corner_hz`` [Hz] for ``rate_hz`` [Hz],
    one section, its corner prewarped for the bilinear transform: ``scipy.signal.butter(2,
    corner_hz, "highpass", fs=rate_hz, output="sos")``."""
    w = 2.0 * rate_hz * math.tan(math.pi * corner_hz / rate_hz)
    return bilinear_biquad((1.0, 0.0, 0.0), (1.0, math.sqrt(2.0) * w, w * w), rate_hz)[None]


def analytic_signal(x: np.ndarray) -> np.ndarray:
    """``x + i H[x]`` (1-D), ``H`` the Hilbert transform, by FFT: ``scipy.signal.hilbert``."""
    n = x.size
    weights = np.zeros(n)
    weights[0] = 1.0
    weights[1:(n + 1) // 2] = 2.0
    if n % 2 == 0:
        weights[n // 2] = 1.0
    return np.fft.ifft(np.fft.fft(x) * weights)


def _local_maxima(x: np.ndarray) -> np.ndarray:
    """Indices of the local maxima of ``x``: samples, or the middle (rounded down) of
    runs of equal samples, higher than both neighbours; never at either end."""
    starts = np.flatnonzero(np.concatenate(([True], x[1:] != x[:-1])))
    ends = np.append(starts[1:], x.size) - 1
    values = x[starts]
    inner = np.flatnonzero((values[1:-1] > values[:-2]) & (values[1:-1] > values[2:])) + 1
    return (starts[inner] + ends[inner]) // 2


def _prominences(x, peaks):
    """Each peak's height above the higher of the lowest points between it and the
    nearest higher sample on each side (or the end of ``x``): walked out from the peak,
    sample by sample, as far as it is not higher (a NaN stops the walk)."""
    out = np.empty(peaks.size)
    for k in range(peaks.size):
        peak = peaks[k]
        top = x[peak]
        left = right = top
        i = peak - 1
        while i >= 0 and x[i] <= top:
            left = min(left, x[i])
            i -= 1
        i = peak + 1
        while i < x.size and x[i] <= top:
            right = min(right, x[i])
            i += 1
        out[k] = top - max(left, right)
    return out


def _far_enough(peaks: np.ndarray, priority: np.ndarray, distance: float) -> np.ndarray:
    """Which peaks to keep so that none lies within ``distance`` samples of a kept peak
    of higher ``priority`` (the highest first)."""
    keep = np.ones(peaks.size, dtype=bool)
    reach = math.ceil(distance)
    for i in np.argsort(priority)[::-1]:
        if not keep[i]:
            continue
        j = i - 1
        while j >= 0 and peaks[i] - peaks[j] < reach:
            keep[j] = False
            j -= 1
        j = i + 1
        while j < peaks.size and peaks[j] - peaks[i] < reach:
            keep[j] = False
            j += 1
    return keep


def find_peaks(x: np.ndarray, *, height: float | None = None, distance: float | None = None,
               prominence: float | None = None) -> np.ndarray:
    """Indices of the peaks of ``x``: local maxima at least ``height`` high, then those
    no closer than ``distance`` samples to a higher one, then those with at least
    ``prominence``; ``scipy.signal.find_peaks(x, ...)[0]`` with these arguments."""
    x = np.asarray(x, dtype=float)
    if x.size < 3:
        return np.zeros(0, dtype=np.intp)
    peaks = _local_maxima(x)
    if height is not None:
        peaks = peaks[x[peaks] >= height]
    if distance is not None:
        peaks = peaks[_far_enough(peaks, x[peaks], distance)]
    if prominence is not None:
        peaks = peaks[_jit(_prominences)(np.ascontiguousarray(x), peaks) >= prominence]
    return peaks.astype(np.intp)


def _tukey(n: int, alpha: float) -> np.ndarray:
    """Periodic Tukey window of ``n`` samples, tapered over a fraction ``alpha``."""
    m = n + 1  # periodic: the symmetric window one longer, its last sample dropped
    k = np.arange(m)
    width = int(alpha * (m - 1) / 2.0)
    window = np.ones(m)
    rise = k[:width + 1]
    window[:width + 1] = 0.5 * (1.0 + np.cos(np.pi * (-1.0 + 2.0 * rise / alpha / (m - 1))))
    fall = k[m - width - 1:]
    window[m - width - 1:] = 0.5 * (1.0 + np.cos(
        np.pi * (-2.0 / alpha + 1.0 + 2.0 * fall / alpha / (m - 1))))
    return window[:n]


def spectrogram(x: np.ndarray, rate_hz: float, nperseg: int, noverlap: int,
                nfft: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(frequencies [Hz], frame centres [s], power [unit^2])``: the one-sided power
    spectrum of each frame of ``x`` (mean removed, periodic Tukey window of 0.25), as
    ``scipy.signal.spectrogram(x, fs, nperseg=..., noverlap=..., nfft=...,
    scaling="spectrum")`` returns it."""
    window = _tukey(nperseg, 0.25)
    step = nperseg - noverlap
    frames = np.lib.stride_tricks.sliding_window_view(x, nperseg)[::step]
    frames = (frames - frames.mean(axis=1, keepdims=True)) * window
    power = np.abs(np.fft.rfft(frames, nfft, axis=1)) ** 2 / window.sum() ** 2
    power[:, 1:(nfft + 1) // 2] *= 2.0  # both sides' power; 0 Hz and Nyquist once
    centres = (0.5 * nperseg + step * np.arange(frames.shape[0])) / rate_hz
    return np.fft.rfftfreq(nfft, 1.0 / rate_hz), centres, power.T
