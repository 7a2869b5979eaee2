"""From pressure to sound: band-limited resampling, levels, noise and features.

The signal stays in pascals through :func:`to_samplerate` (and the body's filter) and
:func:`add_noise`; :func:`to_digital` is the one step that turns it into digital
samples: calibrated (a stated number of pascals is digital full scale, so a louder
crack is a louder file), normalised to a true-peak ceiling, or set to a loudness in
LUFS (:func:`loudness_lufs`, :func:`true_peak_dbtp`). :func:`features` measures the
waveform itself. No file I/O here: :mod:`cavitation.io` writes the files.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import asdict, dataclass
from fractions import Fraction

import numpy as np

from . import _dsp
from .constants import REFERENCE_PRESSURE_PA
from .parameters import check_choice, check_range

__all__ = [
    "LEVELS",
    "LISTENING_LUFS",
    "OCTAVE_CENTRES_HZ",
    "SAMPLERATES_HZ",
    "Character",
    "ClippingError",
    "Features",
    "add_noise",
    "character",
    "check_samplerate",
    "digital_gain",
    "dominant_text",
    "envelope",
    "features",
    "listening_gain",
    "loudness_lufs",
    "pop_peaks",
    "to_channels",
    "to_digital",
    "to_samplerate",
    "trim",
    "true_peak_dbtp",
]

SAMPLERATES_HZ = (8000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000, 192000)
"""Output sample rates [Hz]: telephone and speech corpora (8, 16 kHz), the rates of
audio-ML corpora (22.05, 24, 32 kHz), CD and video (44.1, 48 kHz), and production rates
(88.2, 96, 192 kHz). Each has the same anti-aliasing specification
(:data:`PASSBAND_FRACTION`, :data:`STOPBAND_DB`)."""

LEVELS = ("calibrated", "normalised", "loudness")
"""Ways to turn pascals into digital samples: calibrated (a stated signal is full
scale), normalised (true peak at :data:`TRUE_PEAK_CEILING_DBTP`), loudness (a target
in LUFS, :func:`loudness_lufs`, under the same ceiling)."""

#: Stop-band attenuation of the anti-aliasing filter [dB]: 16-bit audio has 96 dB.
STOPBAND_DB = 100.0
#: Pass band edge as a fraction of the output sample rate: 20.2 kHz at 48 kHz.
PASSBAND_FRACTION = 0.42
#: True peak of a normalised signal, and the most a loudness target may give [dBTP]: the
#: ceiling of EBU R128 for production (1 dB of headroom for a lossy encoder).
TRUE_PEAK_CEILING_DBTP = -1.0
#: Oversampling of the true-peak meter (ITU-R BS.1770-4 Annex 2: 4 times at 48 kHz).
TRUE_PEAK_OVERSAMPLING = 4
#: Gating block of ITU-R BS.1770 [s]: a clip shorter than this is measured as one block.
LOUDNESS_BLOCK_S = 0.4


class ClippingError(ValueError):
    """The calibrated signal would exceed digital full scale."""


def check_samplerate(samplerate_hz: int) -> int:
    """Return ``samplerate_hz`` if it is an output rate, else raise ``ValueError``."""
    if samplerate_hz not in SAMPLERATES_HZ:
        raise ValueError(f"samplerate_hz = {samplerate_hz!r} Hz is not available; valid"
                         f" choices: {', '.join(map(str, SAMPLERATES_HZ))} Hz")
    return int(samplerate_hz)


#: The first stage decimates by a whole factor to at least this multiple of the output
#: rate; the exact-ratio Kaiser filter then runs at that lower rate, where it is short.
FIRST_STAGE_MARGIN = 4
#: Largest denominator of the resampling ratio (after the first stage) accepted: a
#: grid of 1/1428571 s would need a filter of 0.1 billion taps.
MAX_RATIO_DENOMINATOR = 10_000
#: The body's ringing is followed until its slowest pole has decayed this far (240 dB):
#: beyond that the signal is taken as zero and not filtered sample by sample.
TAIL_DECAY = 1e-12


@functools.lru_cache(maxsize=16)
def _lowpass_taps(rate_hz: Fraction, pass_hz: float, stop_hz: float) -> np.ndarray:
    """Kaiser-window low-pass FIR at ``rate_hz``: flat to ``pass_hz``, ``STOPBAND_DB``
    down from ``stop_hz`` [Hz]. Odd length, so its delay is a whole sample, which
    ``resample_poly`` removes. Cached: the 44.1 kHz filter has 0.16 million taps."""
    numtaps, beta = _dsp.kaiser_order(STOPBAND_DB, (stop_hz - pass_hz) / (0.5 * rate_hz))
    return _dsp.kaiser_lowpass(numtaps | 1, 0.5 * (pass_hz + stop_hz), beta, float(rate_hz))


def _first_factor(input_rate_hz: int, samplerate_hz: int) -> int:
    """Whole factor of the first decimation from ``input_rate_hz`` to ``samplerate_hz``
    [Hz]: at most to ``FIRST_STAGE_MARGIN`` times the
    output rate, and, of those, the one that leaves the smallest denominator to the
    exact ratio after it (the second filter's length grows with it), the largest on a
    tie. From 1 MHz to 22.05 kHz: by 10, leaving 441/2000 (by 11 would leave
    4851/20000)."""
    most = max(input_rate_hz // (FIRST_STAGE_MARGIN * samplerate_hz), 1)
    return min(range(1, most + 1),
               key=lambda f: (Fraction(samplerate_hz * f, input_rate_hz).denominator, -f))


def _stages(input_rate_hz: int, samplerate_hz: int) -> tuple[int, np.ndarray | None, int, int,
                                                             np.ndarray]:
    """``(factor, taps, up, down, taps)``: decimate by ``factor`` (1: no first stage),
    then resample by ``up / down``, each with its anti-aliasing filter."""
    pass_hz = PASSBAND_FRACTION * samplerate_hz
    factor = _first_factor(input_rate_hz, samplerate_hz)
    first = None
    if factor >= 2:  # stop what would fold onto the output band at the lower rate
        stop_hz = input_rate_hz / factor - 0.5 * samplerate_hz
        first = _lowpass_taps(Fraction(input_rate_hz), pass_hz, stop_hz)
    ratio = Fraction(samplerate_hz * factor, input_rate_hz)
    up, down = ratio.numerator, ratio.denominator
    if down > MAX_RATIO_DENOMINATOR:
        raise ValueError(
            f"output_step_s = 1/{input_rate_hz} s cannot be resampled to {samplerate_hz} Hz:"
            f" the ratio {up}/{down} would need a filter of millions of taps; valid: a step"
            f" whose ratio to {samplerate_hz} Hz has a denominator up to"
            f" {MAX_RATIO_DENOMINATOR}, such as a whole number of microseconds")
    second = _lowpass_taps(Fraction(samplerate_hz * down), pass_hz, 0.5 * samplerate_hz)
    return factor, first, up, down, second


def _tail_samples(sos: np.ndarray | None) -> int:
    """Samples for the filter ``sos`` to decay by ``TAIL_DECAY``; 0 for no filter."""
    if sos is None:
        return 0
    return _tail_of(np.ascontiguousarray(sos, dtype=float).tobytes())


@functools.lru_cache(maxsize=64)
def _tail_of(sos_bytes: bytes) -> int:
    sos = np.frombuffer(sos_bytes).reshape(-1, 6)
    radius = max(float(np.max(np.abs(np.roots(section[3:])))) for section in sos)
    if radius >= 1.0:  # not decaying: follow it to the end
        return 2**62
    return math.ceil(math.log(TAIL_DECAY) / math.log(radius)) if radius > 0.0 else 0


def to_samplerate(
    t_s: np.ndarray,
    x: np.ndarray,
    samplerate_hz: int,
    *,
    start_s: float,
    duration_s: float,
    input_rate_hz: int = 1_000_000,
    sos: np.ndarray | None = None,
) -> np.ndarray:
    """Band-limited resampling of a simulated signal to an audio rate.

    The signal is read on a uniform grid at ``input_rate_hz`` starting at ``start_s``
    (exactly its own samples where ``t_s`` is that grid, as the crack's fine series is;
    linear interpolation elsewhere; zero outside ``t_s``), optionally filtered there
    by ``sos``, and resampled by the exact ratio ``samplerate_hz / input_rate_hz``
    (``scipy.signal.resample_poly``) with Kaiser FIRs whose stop band, 100 dB down,
    keeps everything above the output Nyquist frequency from folding back. Two stages:
    a decimation by a whole factor to at least ``FIRST_STAGE_MARGIN`` times the output
    rate, with a short filter, then the exact ratio at that lower rate, where the
    sharp filter is short too.

    Only the part of the grid where the signal is not zero is computed: from its
    first non-zero value, and until the ringing of ``sos`` has decayed by
    ``TAIL_DECAY`` after its last (the output is zero elsewhere).

    Parameters
    ----------
    t_s : ndarray
        Increasing sample times [s].
    x : ndarray
        Signal at ``t_s``, any unit (here pascals).
    samplerate_hz : int
        Output sample rate [Hz], one of :data:`SAMPLERATES_HZ`.
    start_s, duration_s : float
        Time of the first output sample [s] and length of the output [s].
    input_rate_hz : int, optional
        Rate of the uniform grid the signal is read on [Hz]; the simulation's
        ``1 / output_step_s``.
    sos : ndarray, optional
        Second-order sections designed for ``input_rate_hz``, applied before
        resampling: the body's filter.

    Returns
    -------
    ndarray
        ``round(duration_s * samplerate_hz)`` samples in the unit of ``x``.
    """
    samplerate_hz = check_samplerate(samplerate_hz)
    input_rate_hz = int(input_rate_hz)
    ratio = Fraction(samplerate_hz, input_rate_hz)
    if ratio >= 1:
        raise ValueError(f"input_rate_hz = {input_rate_hz} Hz must exceed the output rate"
                         f" {samplerate_hz} Hz")
    n_out = round(duration_s * samplerate_hz)
    n_in = math.ceil(n_out / ratio)
    out = np.zeros(n_out)
    nonzero = np.flatnonzero(x)
    if nonzero.size == 0 or n_out == 0:
        return out
    factor, first, up, down, second = _stages(input_rate_hz, samplerate_hz)
    # Where the grid can read a non-zero value, widened by the filters' reach (the FIRs
    # are symmetric: an output sample hears input on both sides) and the body's ringing;
    # cut at a whole number of input samples per output sample.
    t_lo, t_hi = t_s[max(nonzero[0] - 1, 0)], t_s[min(nonzero[-1] + 1, x.size - 1)]
    block = factor * down
    margin = (first.size if first is not None else 0) + factor * (second.size // up + 1)
    lo = max(math.floor((t_lo - start_s) * input_rate_hz) - 1 - margin, 0) // block * block
    hi = math.ceil((t_hi - start_s) * input_rate_hz) + 1 + _tail_samples(sos) + margin
    hi = min(hi, n_in)
    if lo >= hi:
        return out
    x_in = np.interp(start_s + np.arange(lo, hi) / input_rate_hz, t_s, x, left=0.0, right=0.0)
    if sos is not None:
        x_in = _dsp.sosfilt(sos, x_in)
    if first is not None:
        x_in = _dsp.resample_poly(x_in, 1, factor, first)
    y = _dsp.resample_poly(x_in, up, down, second)
    k0 = lo * samplerate_hz // input_rate_hz
    y = y[:n_out - k0]
    out[k0:k0 + y.size] = y
    return out


#: Longest fade at the ends of a trimmed sound [s]: a raised cosine over the padding,
#: at most this long, so the cut makes no click.
TRIM_FADE_S = 5e-3


def trim(x: np.ndarray, samplerate_hz: int, *, floor_db: float, before_s: float,
         after_s: float) -> tuple[int, np.ndarray]:
    """The part of ``x`` that holds the sound: from ``before_s`` [s] before it first
    rises within ``floor_db`` [dB] of its peak to ``after_s`` [s] after it last falls
    below, faded in and out (a raised cosine over the padding, at most
    :data:`TRIM_FADE_S`). Returns ``(first sample kept, samples)``; a silent ``x`` is
    returned whole.

    Parameters
    ----------
    x : ndarray
        Signal, mono ``(n,)`` or ``(n, channels)`` (the loudest channel decides).
    samplerate_hz : int
        Sample rate [Hz].
    floor_db : float
        How far below the peak the sound is followed [dB], more than 0.
    before_s, after_s : float
        Padding kept before and after [s].
    """
    magnitude = np.abs(x) if x.ndim == 1 else np.max(np.abs(x), axis=1)
    peak = float(magnitude.max()) if magnitude.size else 0.0
    if peak == 0.0:
        return 0, x
    above = np.flatnonzero(magnitude >= peak * 10.0 ** (-floor_db / 20.0))
    first = max(int(above[0]) - round(before_s * samplerate_hz), 0)
    last = min(int(above[-1]) + round(after_s * samplerate_hz) + 1, magnitude.size)
    kept = np.array(x[first:last], dtype=float)
    gain = np.ones(kept.shape[0])
    for pad, ramp in ((int(above[0]) - first, slice(None)),
                      (last - 1 - int(above[-1]), slice(None, None, -1))):
        n = min(pad, round(TRIM_FADE_S * samplerate_hz))
        if n > 0:
            fade = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
            gain[ramp][:n] = fade
    return first, kept * (gain if kept.ndim == 1 else gain[:, None])


def to_channels(x: np.ndarray, channels: float) -> np.ndarray:
    """``x`` with ``channels`` channels: 0 keeps it; a mono sound made stereo is the same
    on both channels (dual mono: each channel the signal at the listener, so a
    calibrated level holds per channel; BS.1770 reads it 3 LU louder); a stereo sound
    made mono is the channels' sum at -3 dB, which gives back a sound panned to the
    centre (-3 dB each side) and a one-sided sound 3 dB down. ``channels`` is 0, 1 or 2
    (a whole float, as :class:`~cavitation.render.AudioSettings` holds it, will do)."""
    if channels not in (0, 1, 2):
        raise ValueError(f"channels = {channels!r} is not available; valid: 0 (as the"
                         " sources are), 1 (mono) or 2 (stereo)")
    if channels == 0 or (1 if x.ndim == 1 else x.shape[1]) == channels:
        return x
    if channels == 2:
        return np.column_stack([x, x])
    return x.sum(axis=1) * math.sqrt(0.5)


def add_noise(x: np.ndarray, rms: float, seed: int) -> np.ndarray:
    """Add white Gaussian background noise of RMS ``rms`` drawn with ``seed``.

    ``rms`` is in the signal's unit (Pa for a microphone, m/s^2 for an accelerometer);
    the same seed gives the same noise (``numpy.random.default_rng``).
    """
    rms = check_range("noise RMS", rms, "", 0.0, 1e6)
    if rms == 0.0:
        return x
    rng = np.random.default_rng(seed)
    return x + rms * rng.standard_normal(x.shape)


@functools.cache
def _true_peak_taps() -> np.ndarray:
    """The interpolation filter of the true-peak meter: ``resample_poly``'s own for
    an oversampling ``L`` (a Kaiser window of 5.0, ``20 L + 1`` taps, cut off at
    ``1/L`` of the Nyquist frequency)."""
    oversampling = TRUE_PEAK_OVERSAMPLING
    return _dsp.kaiser_lowpass(20 * oversampling + 1, 1.0 / oversampling, 5.0, 2.0)


def true_peak_dbtp(samples: np.ndarray) -> float:
    """True peak of digital samples [dBTP]: the largest magnitude of the signal
    oversampled :data:`TRUE_PEAK_OVERSAMPLING` times (ITU-R BS.1770-4, Annex 2), which
    finds the peaks between samples that a converter will make; ``-inf`` for silence.

    Parameters
    ----------
    samples : ndarray
        Digital samples, mono ``(n,)`` or ``(n, channels)``.
    """
    if not np.any(samples):
        return -math.inf
    up = _dsp.resample_poly(samples, TRUE_PEAK_OVERSAMPLING, 1, _true_peak_taps())
    peak = max(float(np.max(np.abs(up))), float(np.max(np.abs(samples))))
    return 20.0 * math.log10(peak)


#: BS.1770's K-weighting as two biquads: a high shelf (+4 dB above about 1.5 kHz, for
#: the head) and a high-pass (below about 38 Hz), each ``(gain [dB], Q, corner [Hz])``,
#: designed at any rate with the Audio EQ Cookbook's formulas (R. Bristow-Johnson), as
#: the ``pyloudnorm`` meter designs them.
K_WEIGHTING = ((4.0, 1.0 / math.sqrt(2.0), 1500.0), (0.0, 0.5, 38.0))
#: BS.1770's channel weights: left, right, centre, then the two surrounds.
LOUDNESS_CHANNEL_WEIGHTS = (1.0, 1.0, 1.0, 1.41, 1.41)
#: Gates of BS.1770's integrated loudness: absolute [LUFS], relative [LU].
LOUDNESS_ABSOLUTE_GATE_LUFS, LOUDNESS_RELATIVE_GATE_LU = -70.0, -10.0


@functools.lru_cache(maxsize=16)
def _k_weighting(samplerate_hz: float) -> np.ndarray:
    """The K-weighting (:data:`K_WEIGHTING`) as second-order sections at
    ``samplerate_hz`` [Hz]."""
    (shelf_db, shelf_q, shelf_hz), (_, pass_q, pass_hz) = K_WEIGHTING
    a = 10.0 ** (shelf_db / 40.0)
    w0 = 2.0 * math.pi * shelf_hz / samplerate_hz
    cos_w0, root = math.cos(w0), 2.0 * math.sqrt(a) * math.sin(w0) / (2.0 * shelf_q)
    shelf = [a * ((a + 1) + (a - 1) * cos_w0 + root), -2 * a * ((a - 1) + (a + 1) * cos_w0),
             a * ((a + 1) + (a - 1) * cos_w0 - root),
             (a + 1) - (a - 1) * cos_w0 + root, 2 * ((a - 1) - (a + 1) * cos_w0),
             (a + 1) - (a - 1) * cos_w0 - root]
    w0 = 2.0 * math.pi * pass_hz / samplerate_hz
    alpha = math.sin(w0) / (2.0 * pass_q)
    high_pass = [(1 + math.cos(w0)) / 2, -(1 + math.cos(w0)), (1 + math.cos(w0)) / 2,
                 1 + alpha, -2 * math.cos(w0), 1 - alpha]
    sections = np.array([shelf, high_pass])
    return sections / sections[:, 3:4]


def loudness_lufs(samples: np.ndarray, samplerate_hz: int) -> float:
    """Integrated loudness of digital samples [LUFS]: ITU-R BS.1770-4 (K-weighting,
    400 ms blocks overlapping by 75 %, gated at -70 LUFS and 10 LU below the ungated
    mean), measured as the ``pyloudnorm`` meter measures it; ``-inf`` for silence.

    Written here rather than called from ``pyloudnorm``: that meter imports
    ``scipy.signal``, 0.36 s of every command-line render. A test holds the two
    within 1e-9 LU at every sample rate.

    A clip shorter than one 400 ms block (:data:`LOUDNESS_BLOCK_S`) has no block to
    measure, and a meter refuses it. Here such a clip is centred in 400 ms of silence
    and measured as that one block: a crack of a few milliseconds reads as its
    K-weighted energy spread over 400 ms, the standard's own integration time
    (``-0.691 + 10 log10(sum z^2 / (0.4 s x rate))``). A clip of 400 ms or more is
    measured with silence added at its end up to a whole 100 ms hop, so that the
    meter's last block reaches its end (the added silence is gated out).

    Parameters
    ----------
    samples : ndarray
        Digital samples, mono ``(n,)`` or ``(n, channels)`` (up to 5 channels, weighted
        as :data:`LOUDNESS_CHANNEL_WEIGHTS`).
    samplerate_hz : int
        Sample rate [Hz].
    """
    if not np.any(samples):
        return -math.inf
    samples = np.asarray(samples, dtype=float)
    samples = samples.reshape(samples.shape[0], -1)
    if samples.shape[1] > len(LOUDNESS_CHANNEL_WEIGHTS):
        raise ValueError(f"loudness is measured on at most {len(LOUDNESS_CHANNEL_WEIGHTS)}"
                         f" channels, not {samples.shape[1]}")
    block = math.ceil(LOUDNESS_BLOCK_S * samplerate_hz)
    hop = round(LOUDNESS_BLOCK_S * samplerate_hz / 4)
    short = block - samples.shape[0]
    # A shorter clip centred in one block; a longer one ends with silence up to a whole
    # hop, so that its last block reaches its end (the meter counts whole hops only).
    before, after = (short // 2, short - short // 2) if short > 0 \
        else (0, -(samples.shape[0] - block) % hop)
    samples = np.pad(samples, [(before, after), (0, 0)])
    sos = _k_weighting(float(samplerate_hz))
    weighted = np.column_stack([_dsp.sosfilt(sos, channel) for channel in samples.T])
    # Mean square of each channel in each block, blocks 100 ms apart (BS.1770 eq. 3).
    duration_s = weighted.shape[0] / samplerate_hz
    blocks = round((duration_s - LOUDNESS_BLOCK_S) / (0.25 * LOUDNESS_BLOCK_S)) + 1
    bounds = [(int(LOUDNESS_BLOCK_S * (0.25 * j) * samplerate_hz),
               int(LOUDNESS_BLOCK_S * (0.25 * j + 1) * samplerate_hz)) for j in range(blocks)]
    mean_square = np.array([np.sum(np.square(weighted[lo:hi]), axis=0) for lo, hi in bounds]
                           ) / (LOUDNESS_BLOCK_S * samplerate_hz)
    weights = np.array(LOUDNESS_CHANNEL_WEIGHTS[:weighted.shape[1]])

    def lufs(power):
        with np.errstate(divide="ignore"):
            return -0.691 + 10.0 * np.log10(power @ weights)

    level = lufs(mean_square)
    loud = level >= LOUDNESS_ABSOLUTE_GATE_LUFS
    if not np.any(loud):
        return -math.inf
    relative_gate = lufs(mean_square[loud].mean(axis=0)) + LOUDNESS_RELATIVE_GATE_LU
    kept = loud & (level > relative_gate) & (level > LOUDNESS_ABSOLUTE_GATE_LUFS)
    return float(lufs(mean_square[kept].mean(axis=0))) if np.any(kept) else -math.inf


def digital_gain(x: np.ndarray, *, level: str, full_scale: float, unit: str = "Pa",
                 samplerate_hz: int | None = None, target_lufs: float | None = None) -> float:
    """Digital full scale per unit of the signal [1/``unit``] that ``level`` applies.

    Parameters
    ----------
    x : ndarray
        Signal at the listener in ``unit`` (pressure [Pa], or acceleration [m/s^2]),
        mono ``(n,)`` or multichannel ``(n, channels)``.
    level : {"calibrated", "normalised", "loudness"}
        ``"calibrated"``: ``full_scale`` is digital full scale. ``"normalised"``: the
        true peak is at :data:`TRUE_PEAK_CEILING_DBTP`. ``"loudness"``: the integrated
        loudness is ``target_lufs`` (:func:`loudness_lufs`).
    full_scale : float
        Signal that maps to digital full scale [``unit``] (calibrated level).
    unit : str, optional
        The signal's unit, for messages.
    samplerate_hz : int, optional
        Sample rate [Hz]; needed for the loudness level.
    target_lufs : float, optional
        Loudness target [LUFS], in [-70, 0]; needed for the loudness level.

    Raises
    ------
    ClippingError
        If a calibrated signal would exceed full scale, or a loudness target would put
        the true peak above :data:`TRUE_PEAK_CEILING_DBTP`: never clipped silently.
    ValueError
        If the signal holds NaN or infinity, or a value is out of range.
    """
    check_choice("level", level, LEVELS)
    if not np.all(np.isfinite(x)):
        raise ValueError("the signal holds NaN or infinite values; nothing written")
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if level == "calibrated":
        full_scale = check_range("full_scale", full_scale, unit, 0.0, 1e8, low_open=True)
        if peak > full_scale:
            raise ClippingError(
                f"the signal peaks at {peak:.4g} {unit}, above full_scale = {full_scale:g}"
                f" {unit}; raise full_scale above {peak:.4g} {unit} or use level"
                " 'normalised'")
        return 1.0 / full_scale
    if peak == 0.0:
        return 1.0
    ceiling = 10.0 ** (TRUE_PEAK_CEILING_DBTP / 20.0)
    headroom_db = -true_peak_dbtp(x / peak)  # true peak over sample peak, in dB
    if level == "normalised":
        return ceiling / peak * 10.0 ** (headroom_db / 20.0)
    target = check_range("target_lufs", target_lufs, "LUFS", -70.0, 0.0)
    if samplerate_hz is None:
        raise ValueError("the loudness level needs samplerate_hz")
    measured = loudness_lufs(x / peak, samplerate_hz)
    if not math.isfinite(measured):
        raise ValueError("the sound is below BS.1770's absolute gate of -70 LUFS even at"
                         " full scale, so it has no loudness to set; use level"
                         " 'normalised'")
    gain = 10.0 ** ((target - measured) / 20.0) / peak
    loudest = target + TRUE_PEAK_CEILING_DBTP - (20.0 * math.log10(gain * peak) - headroom_db)
    if loudest < target - 1e-9:
        raise ClippingError(
            f"target_lufs = {target:g} LUFS would put this sound's true peak at"
            f" {20.0 * math.log10(gain * peak) - headroom_db:+.1f} dBTP, above the ceiling of"
            f" {TRUE_PEAK_CEILING_DBTP:g} dBTP; valid for this sound: at most {loudest:.1f}"
            " LUFS (a click is loud in its peak, quiet over 400 ms)")
    return gain


#: A comfortable level to listen at [LUFS]: loud enough on laptop speakers and
#: headphones at an ordinary volume (streaming services play at -14 to -16, speech in
#: broadcast at -23), quiet enough that a click's true peak stays under the -1 dBTP
#: ceiling for every preset (their loudest: -27 to -32 LUFS).
LISTENING_LUFS = -30.0


#: A signal whose every sample is below this, in its unit (Pa or m/s^2), is silence to
#: :func:`listening_gain`: 1e-9 Pa is 154 dB below the threshold of hearing.
SILENT_BELOW = 1e-9


def listening_gain(x: np.ndarray, samplerate_hz: int,
                   target_lufs: float = LISTENING_LUFS) -> tuple[float, str]:
    """Digital gain to play a sound at a comfortable level, and what that level is.

    For listening, not for measuring: the level of the file (calibrated, normalised or
    loudness) is what a study measures; this is what a player needs. The sound is set to
    ``target_lufs``, or as loud as the -1 dBTP ceiling allows if that is quieter.

    Parameters
    ----------
    x : ndarray
        The signal, in any unit, mono ``(n,)`` or ``(n, channels)``.
    samplerate_hz : int
        Sample rate [Hz].
    target_lufs : float, optional
        Loudness to play at [LUFS], in [-70, 0].

    Returns
    -------
    gain : float
        Digital full scale per unit of ``x``.
    description : str
        What the player plays, e.g. ``"listening level: -30 LUFS"`` or ``"listening
        level: true peak -1 dBTP (-33.2 LUFS)"``; ``"listening level: silence"`` for a silent sound.
    """
    check_range("target_lufs", target_lufs, "LUFS", -70.0, 0.0)
    if not np.any(np.abs(x) > SILENT_BELOW):  # nothing a gain should blow up
        return 1.0, "listening level: silence"
    try:
        gain = digital_gain(x, level="loudness", full_scale=1.0, samplerate_hz=samplerate_hz,
                            target_lufs=target_lufs)
        return gain, f"listening level: {target_lufs:g} LUFS"
    except (ClippingError, ValueError):  # too peaky for the target, or under the gate
        gain = digital_gain(x, level="normalised", full_scale=1.0)
        loudness = loudness_lufs(x * gain, samplerate_hz)
        heard = f", {loudness:.1f} LUFS" if math.isfinite(loudness) else ""
        return gain, f"listening level: true peak {TRUE_PEAK_CEILING_DBTP:g} dBTP{heard}"


def to_digital(x: np.ndarray, *, level: str, full_scale: float, unit: str = "Pa",
               samplerate_hz: int | None = None, target_lufs: float | None = None
               ) -> np.ndarray:
    """Digital samples in [-1, 1] from the sensor's signal: the one step out of SI units,
    ``x`` times :func:`digital_gain` (parameters and errors there)."""
    return x * digital_gain(x, level=level, full_scale=full_scale, unit=unit,
                            samplerate_hz=samplerate_hz, target_lufs=target_lufs)


@dataclass(frozen=True)
class Features:
    """What the waveform itself says (measured on the pressure at the listener).

    Attributes
    ----------
    peak_level_db : float
        Peak level [dB re ``level_reference``]: a sound pressure level (re 20 uPa) in
        air; ``-inf`` for silence.
    dominant_frequency_hz : float
        Frequency of the largest peak of the magnitude spectrum above 20 Hz [Hz]; NaN
        where the spectrum's largest value there is on the band's edge, not a peak (a
        thump that only falls from 20 Hz up; :func:`dominant_text` says so).
    spectral_centroid_hz : float
        Power-weighted mean frequency of the spectrum above 20 Hz [Hz] (power, not
        magnitude, so that the leakage of a finite window does not bias it).
    duration_s : float
        Time from the first to the last sample where the peak envelope is within 20 dB
        of its peak [s]; a burst that starts abruptly is measured up to a quarter
        period short.
    pop_count : int
        Pops: peaks of the envelope within 20 dB of the loudest, at least
        ``POP_SPACING_S`` apart, each standing out by a dip of ``POP_DIP`` of its height
        (6 dB) before a louder neighbour. Pops closer than that are heard as one.
    pop_duration_s : float
        Median length of the pops [s]: each measured at -20 dB of its own peak, between
        the dips that part it from its neighbours.
    level_reference : str
        What 0 dB is: ``"20 uPa"`` (air), ``"1 uPa"`` (pressure in tissue) or
        ``"1 um/s^2"`` (acceleration), the references of ISO 1683.
    """

    peak_level_db: float
    dominant_frequency_hz: float
    spectral_centroid_hz: float
    duration_s: float
    pop_count: int
    pop_duration_s: float
    level_reference: str = "20 uPa"

    def as_dict(self) -> dict:
        """The features as a ``{name: value}`` dictionary."""
        return asdict(self)


#: Pops closer than this count as one [s]: the ear separates clicks a few ms apart,
#: and one pop lasts 5-6 ms (Dunning 2013).
POP_SPACING_S = 3e-3
#: A pop's envelope must dip to this fraction of its peak (-6 dB) before a louder one,
#: so that the beats within one ringing are not counted as pops.
POP_DIP = 0.5
#: Lowest frequency counted in the spectrum [Hz]: below hearing.
LOWEST_FREQUENCY_HZ = 20.0


#: Longest spacing of two maxima of ``|x|`` that belong to one ringing [s]: half a
#: period at 50 Hz, below the lowest recorded pop pitch (86 Hz, 5.8 ms; Reggars 1996)
#: and a skin accelerometer's mount (85 Hz, :class:`cavitation.listener.Accelerometer`).
#: Across a longer silence the envelope falls to zero instead of bridging it.
ENVELOPE_PEAK_SPACING_S = 10e-3
#: Maxima of ``|x|`` quieter than this fraction of the loudest (-60 dB) are not part of
#: the envelope: far below the -20 dB that measures a duration, far above the
#: filters' numerical ripple (-100 dB and below).
ENVELOPE_FLOOR = 1e-3


def envelope(x_pa: np.ndarray, samplerate_hz: float) -> np.ndarray:
    """Peak envelope [Pa]: straight lines through the local maxima of ``|x|``.

    Exact at every half-period peak of a ringing, and it never runs ahead of the
    sound (a Hilbert envelope leaks milliseconds before the onset of a 200 Hz pop).
    Maxima more than ``ENVELOPE_PEAK_SPACING_S`` apart are not joined: the envelope
    drops to zero between them, so it does not bridge the silence between two pops. A
    shorter pure silence is bridged; real pops decay, and their dips part them.
    Maxima below ``ENVELOPE_FLOOR`` of the largest are not followed either: a ripple
    of the filters 100 dB down, a few ms before a pop, would otherwise start a ramp
    that lengthens it. For several channels, the largest of their magnitudes.
    """
    magnitude = np.abs(x_pa) if x_pa.ndim == 1 else np.max(np.abs(x_pa), axis=1)
    inner = magnitude[1:-1]
    floor = ENVELOPE_FLOOR * (float(magnitude.max()) if magnitude.size else 0.0)
    peaks = 1 + np.nonzero((inner >= magnitude[:-2]) & (inner >= magnitude[2:])
                           & (inner > floor))[0]
    if peaks.size == 0:
        return magnitude
    apart = np.nonzero(np.diff(peaks) > ENVELOPE_PEAK_SPACING_S * samplerate_hz)[0]
    where = np.concatenate([peaks, peaks[apart] + 1, peaks[apart + 1] - 1])
    values = np.concatenate([magnitude[peaks], np.zeros(2 * apart.size)])
    order = np.argsort(where, kind="stable")
    return np.interp(np.arange(magnitude.size), where[order], values[order],
                     left=0.0, right=0.0)


def features(x_pa: np.ndarray, samplerate_hz: float, *,
             reference: tuple[float, str] = (REFERENCE_PRESSURE_PA, "20 uPa")) -> Features:
    """Measure peak level, dominant frequency, centroid, duration and pops of a signal.

    Parameters
    ----------
    x_pa : ndarray
        Signal at the listener (pressure [Pa] or acceleration [m/s^2]), ``(n,)`` or
        ``(n, channels)`` (channels are summed for the spectrum, and their largest
        magnitude makes the envelope).
    samplerate_hz : float
        Sample rate [Hz].
    reference : (float, str), optional
        The level's reference in the signal's unit, and how to write it: 20 uPa by
        default (sound pressure level).
    """
    peak = float(np.max(np.abs(x_pa))) if x_pa.size else 0.0
    if peak == 0.0:
        return Features(-math.inf, math.nan, math.nan, 0.0, 0, 0.0, reference[1])
    f, spectrum = _spectrum(x_pa, samplerate_hz)
    audible = f >= LOWEST_FREQUENCY_HZ
    k = _peak_bin(spectrum, audible)
    dominant = math.nan if k is None else float(f[k])
    power = spectrum[audible] ** 2
    centroid = float(np.sum(f[audible] * power) / np.sum(power))
    env = envelope(x_pa, samplerate_hz)
    loud = np.nonzero(env >= 0.1 * env.max())[0]  # within 20 dB of the peak
    duration = (loud[-1] - loud[0] + 1) / samplerate_hz
    lengths = _pop_lengths(env, samplerate_hz)
    return Features(
        peak_level_db=20.0 * math.log10(peak / reference[0]),
        dominant_frequency_hz=dominant, spectral_centroid_hz=centroid,
        duration_s=float(duration), pop_count=len(lengths),
        pop_duration_s=float(np.median(lengths)), level_reference=reference[1])


def _peak_bin(spectrum: np.ndarray, audible: np.ndarray) -> int | None:
    """The bin of the spectrum's largest value in the ``audible`` band, if it is a peak;
    None if it lies on the band's edge (a spectrum that only falls from 20 Hz up, a
    thump whose energy is below the band, has no dominant frequency in it: the edge
    was reported as one)."""
    band = np.nonzero(audible)[0]
    k = int(band[np.argmax(spectrum[band])])
    return None if k in (band[0], band[-1]) else k


def dominant_text(frequency_hz: float) -> str:
    """``"dominant 114 Hz"``, or where the spectrum has no peak in the audible band
    (NaN) ``"no spectral peak above 20 Hz"``."""
    if math.isnan(frequency_hz):
        return f"no spectral peak above {LOWEST_FREQUENCY_HZ:g} Hz"
    return f"dominant {frequency_hz:.0f} Hz"


def _spectrum(x_pa: np.ndarray, samplerate_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies [Hz] and magnitude spectrum [Pa] of the channels' sum, zero-padded
    to bins of 1 Hz or finer."""
    mono = x_pa if x_pa.ndim == 1 else x_pa.sum(axis=1)
    n_fft = max(2 ** math.ceil(math.log2(mono.size)), round(samplerate_hz))
    return np.fft.rfftfreq(n_fft, 1.0 / samplerate_hz), np.abs(np.fft.rfft(mono, n_fft))


OCTAVE_CENTRES_HZ = (31.5, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0,
                     16000.0)
"""Centres of the octave bands [Hz] (IEC 61260, nominal); each band spans a factor
of sqrt(2) either side of its exact base-2 centre, ``1000 * 2^k``."""

#: A click is loudest within this many cycles (of its dominant frequency) of its onset;
#: a ringing that builds up takes several.
IMPULSIVE_MAX_CYCLES = 1.5
#: A click's -3 dB bandwidth is at least half its dominant frequency (Q at most 2): a
#: ringing of quality factor Q loses pi/Q nepers per cycle, so at Q = 2 it is 14 dB
#: down after one cycle (a click), at Q = 20 only 1.4 dB (a ping).
BROADBAND_MAX_Q = 2.0


@dataclass(frozen=True)
class Character:
    """How a sound strikes a listener: its onset, its bandwidth, its spread over octaves.

    Attributes
    ----------
    onset_s : float
        First time [s], from the signal's start, at which ``|x|`` reaches a tenth
        (-20 dB) of its peak.
    onset_to_peak_s : float
        From the onset to the loudest sample [s].
    onset_to_peak_cycles : float
        The same in periods of the dominant frequency [-].
    dominant_frequency_hz : float
        The largest peak of the magnitude spectrum above 20 Hz [Hz]; NaN where there is
        none (see :class:`Features`), and with it the bandwidth, the quality factor and
        the onset in cycles, and both flags false.
    bandwidth_hz : float
        Width of the contiguous band around that peak within -3 dB of it [Hz].
    quality_factor : float
        Dominant frequency over bandwidth [-].
    octave_shares : dict
        Share of the energy above 20 Hz in each octave band, by centre frequency [Hz].
    impulsive : bool
        Loudest within ``IMPULSIVE_MAX_CYCLES`` of its onset.
    broadband : bool
        Quality factor at most ``BROADBAND_MAX_Q``.
    """

    onset_s: float
    onset_to_peak_s: float
    onset_to_peak_cycles: float
    dominant_frequency_hz: float
    bandwidth_hz: float
    quality_factor: float
    octave_shares: dict
    impulsive: bool
    broadband: bool

    def as_dict(self) -> dict:
        """The measures as a ``{name: value}`` dictionary (octave centres as text)."""
        values = asdict(self)
        values["octave_shares"] = {f"{k:g}": v for k, v in self.octave_shares.items()}
        return values


def character(x_pa: np.ndarray, samplerate_hz: float) -> Character:
    """Measure a sound as a listener hears it: onset to peak, bandwidth, octave spread.

    Parameters
    ----------
    x_pa : ndarray
        Pressure at the listener [Pa], ``(n,)`` or ``(n, channels)`` (channels summed).
    samplerate_hz : float
        Sample rate [Hz].

    Returns
    -------
    Character
        NaN and empty shares for silence.
    """
    mono = np.abs(x_pa if x_pa.ndim == 1 else x_pa.sum(axis=1))
    if not mono.size or mono.max() == 0.0:
        nan = math.nan
        return Character(nan, nan, nan, nan, nan, nan, {}, False, False)
    loudest = int(np.argmax(mono))
    onset = int(np.argmax(mono >= 0.1 * mono[loudest]))
    f, spectrum = _spectrum(x_pa, samplerate_hz)
    audible = f >= LOWEST_FREQUENCY_HZ
    power = spectrum**2
    total = float(np.sum(power[audible]))
    shares = {}
    for centre in OCTAVE_CENTRES_HZ:
        exact = 1000.0 * 2.0 ** round(math.log2(centre / 1000.0))
        band = (f >= exact / math.sqrt(2.0)) & (f < exact * math.sqrt(2.0)) & audible
        shares[centre] = float(np.sum(power[band]) / total)
    rise = (loudest - onset) / samplerate_hz
    peak = _peak_bin(spectrum, audible)
    if peak is None:  # no dominant frequency, and nothing measured against one
        nan = math.nan
        return Character(onset / samplerate_hz, rise, nan, nan, nan, nan, shares, False,
                         False)
    k = peak
    half_power = spectrum[k] / math.sqrt(2.0)
    below = np.nonzero(spectrum[:k] < half_power)[0]
    above = np.nonzero(spectrum[k:] < half_power)[0]
    low = f[below[-1] + 1] if below.size else f[0]
    high = f[k + above[0] - 1] if above.size else f[-1]
    bandwidth = float(high - low + (f[1] - f[0]))
    dominant = float(f[k])
    quality = dominant / bandwidth
    return Character(
        onset_s=onset / samplerate_hz, onset_to_peak_s=rise, onset_to_peak_cycles=rise * dominant,
        dominant_frequency_hz=dominant, bandwidth_hz=bandwidth, quality_factor=quality,
        octave_shares=shares, impulsive=rise * dominant <= IMPULSIVE_MAX_CYCLES,
        broadband=quality <= BROADBAND_MAX_Q)


def pop_peaks(env: np.ndarray, samplerate_hz: float, *, spacing_s: float = POP_SPACING_S,
              dip: float = POP_DIP, range_db: float = 20.0, reference: float | None = None
              ) -> np.ndarray:
    """Where the pops of an envelope peak [samples]: the one rule every pop count uses.

    Candidate pops are the envelope's peaks within ``range_db`` of ``reference`` and at
    least ``spacing_s`` apart. Going through them in time, a candidate starts a new pop
    if the envelope dips below ``dip`` of the quieter of it and the pop before;
    otherwise the two are one pop, at the louder peak.

    Parameters
    ----------
    env : ndarray
        Peak envelope (:func:`envelope`) [any unit].
    samplerate_hz : float
        Sample rate [Hz].
    spacing_s : float, optional
        Shortest time between two pops [s].
    dip : float, optional
        Fraction of the quieter peak the envelope must fall to between two pops [-].
    range_db : float, optional
        How far below ``reference`` a pop may be [dB].
    reference : float, optional
        Level the range is counted from; the envelope's own peak by default.

    Returns
    -------
    ndarray
        Sample index of each pop's peak, in time order; empty for silence.
    """
    top = float(env.max()) if reference is None else reference
    if env.size == 0 or top <= 0.0:
        return np.zeros(0, dtype=int)
    height = top * 10.0 ** (-range_db / 20.0)
    candidates = _dsp.find_peaks(env, height=height,
                                 distance=max(1, round(spacing_s * samplerate_hz)))
    if candidates.size == 0:  # the loudest point sits on an edge or a plateau
        loudest = int(np.argmax(env))
        return np.array([loudest] if env[loudest] >= height else [], dtype=int)
    pops = [int(candidates[0])]
    for peak in candidates[1:]:
        previous = pops[-1]
        valley = env[previous:peak].min()
        if valley <= dip * min(env[previous], env[peak]):
            pops.append(int(peak))
        elif env[peak] > env[previous]:
            pops[-1] = int(peak)
    return np.array(pops, dtype=int)


def _pop_lengths(env: np.ndarray, samplerate_hz: float) -> list[float]:
    """Length of each pop in an envelope [s] (see ``Features.pop_count``), measured at
    -20 dB of its own peak between the dips that part it from its neighbours."""
    pops = [int(k) for k in pop_peaks(env, samplerate_hz)]
    cuts = [0, *(a + int(np.argmin(env[a:b])) for a, b in itertools.pairwise(pops)),
            env.size]
    lengths = []
    for pop, start, stop in zip(pops, cuts[:-1], cuts[1:], strict=True):
        inside = start + np.nonzero(env[start:stop] >= 0.1 * env[pop])[0]
        lengths.append((inside[-1] - inside[0] + 1) / samplerate_hz)
    return lengths
