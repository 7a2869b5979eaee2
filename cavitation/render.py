"""Hear it: a simulated crack rendered as sound at a listener, and saved.

:func:`render` runs the chain (:func:`cavitation.simulate`, then
:mod:`cavitation.listener` and :mod:`cavitation.audio`) and returns a
:class:`Rendering`: the crack, the pressure at the listener at an audio rate, the
digital samples and the features measured on them. :func:`save` writes the audio file,
its JSON metadata and the dashboard figure together (all or nothing). The command
line (``cavitation render``) and the notebooks call these same two functions.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from . import audio, listener
from .joint import KNUCKLE, Joint, Loading, RampAndHold
from .parameters import Parameters, check_choice, check_count, quantity
from .simulation import CrackResult, simulate

__all__ = ["FIGURE_FORMATS", "FULL_SCALE", "HEARING_RTOL", "OVERSAMPLING", "SIDES",
           "AudioSettings", "Player", "Rendering", "audio_html", "crack_step_s", "file_tags",
           "grid_factor", "hear", "hearing_options", "metadata", "render", "save", "travel_time_s"]

#: Default calibration per listener: the signal that is digital full scale, in the
#: listener's unit (:data:`cavitation.listener.UNITS`). Air: 20 Pa = 120 dB SPL, a
#: knuckle crack at 10 cm (about 100 dB) sits 20 dB below. Contact: 100 kPa, a knuckle
#: crack 5 mm deep (tens of kPa) sits 6-20 dB below. Accelerometer: 1000 m/s^2 (about
#: 100 g), over a knuckle crack (a few hundred m/s^2) and far over a spinal pop.
FULL_SCALE = {"air": 20.0, "contact": 1.0e5, "accelerometer": 1.0e3}

#: A crack that is to be heard is simulated on a grid of at least this many samples per
#: audio sample (288 kHz for 48 kHz audio) unless ``output_step_s`` is given, and at
#: least :data:`MIN_GRID_HZ` (:func:`crack_step_s`). Against a 1 us
#: grid the sound then differs by -67.5, -71.7 and -84.4 dB of its peak at 44.1, 48 and
#: 96 kHz (the linear reading of the retarded time on the grid), its peak level by
#: 0.003 dB at most, and its first collapse time by 1e-8. 8 samples gained 1-4 dB of
#: that for 10 % more time per render; 4 lost 6-14 dB.
OVERSAMPLING = 6

#: The crack's grid is never coarser than 6 x 44.1 kHz [Hz]: below it, the part of the
#: crack's spectrum above the grid's Nyquist frequency (the collapse is sharp) would fold
#: onto the audio band before any filter could stop it. Low audio rates (8-32 kHz) take
#: a whole multiple of their rate above it: 272 kHz for 8 and 16 kHz.
MIN_GRID_HZ = 264_600


#: Relative tolerance of a crack that is to be heard, unless ``rtol`` is given. Its
#: sound is then within -115 to -126 dB (of the peak) of the sound at simulate's
#: 1e-8, for the five presets, with the same features: far below the grid's -67 dB
#: above. It takes a third fewer steps, and 12 % less time per render.
HEARING_RTOL = 1e-7


def grid_factor(samplerate_hz: int) -> int:
    """Samples of the crack's grid per audio sample at ``samplerate_hz`` [Hz]: at least
    :data:`OVERSAMPLING`, and enough for :data:`MIN_GRID_HZ`; even, where the rate is an
    odd multiple of 50 Hz, so that :data:`ARRIVAL_STEP_S` stays a whole number of steps."""
    samplerate_hz = audio.check_samplerate(samplerate_hz)
    factor = max(OVERSAMPLING, math.ceil(MIN_GRID_HZ / samplerate_hz))
    arrival = Fraction(ARRIVAL_STEP_S).limit_denominator(10**9)
    while (arrival * factor * samplerate_hz).denominator != 1:
        factor += 1
    return factor


def crack_step_s(samplerate_hz: int) -> float:
    """Output step [s] of a crack simulated to be heard at ``samplerate_hz`` [Hz]:
    :func:`grid_factor` steps per audio sample."""
    return 1.0 / (grid_factor(samplerate_hz) * samplerate_hz)


def hearing_options(samplerate_hz: int) -> dict[str, float]:
    """The :func:`cavitation.simulate` options of a crack that is to be heard.

    :func:`render` and a batch use them unless the options are given.

    Parameters
    ----------
    samplerate_hz : int
        Audio sample rate [Hz], one of :data:`cavitation.audio.SAMPLERATES_HZ`.

    Returns
    -------
    dict
        ``output_step_s`` [s], :func:`crack_step_s` of the rate, and ``rtol`` [-],
        :data:`HEARING_RTOL`.
    """
    return {"output_step_s": crack_step_s(samplerate_hz), "rtol": HEARING_RTOL}


#: A rendering starts later by the time the sound takes to reach its listener, in whole
#: steps of this [s]: 10 ms is a whole number of 1 us steps and of the render grid's
#: steps at every audio rate (6 x 44.1 kHz: 2646), so the start stays on the crack's
#: own grid; the rest of the travel time, under 10 ms, is silence before the sound.
ARRIVAL_STEP_S = 10e-3

#: The simulated ringing is faded out over the last part of the simulated window, so
#: the end of the simulation does not cut the sound with a click [s].
FADE_OUT_S = 5e-3


class AudioSettings(Parameters):
    """How the crack is heard and sampled."""

    pad_before_s: float = quantity(0.05, unit="s", low=0.0, high=5.0,
                                   doc="silence before the crack")
    pad_after_s: float = quantity(0.05, unit="s", low=0.0, high=5.0,
                                  doc="silence after the simulated window")
    noise_rms_pa: float = quantity(0.0, unit="Pa", low=0.0, high=1e4,
                                   doc="RMS of white background noise at a microphone"
                                       " (air or contact); 0 for none")
    noise_rms_m_s2: float = quantity(0.0, unit="m/s^2", low=0.0, high=1e4,
                                     doc="RMS of white background noise at the"
                                         " accelerometer; 0 for none")
    air_distance_m: float = quantity(0.1, unit="m", low=0.01, high=100.0,
                                     doc="distance from the joint to the microphone (air"
                                         " listener)")
    target_loudness_lufs: float = quantity(-35.0, unit="LUFS", low=-70.0, high=0.0,
                                           doc="integrated loudness of the file with level"
                                               " 'loudness' (ITU-R BS.1770; a clip under"
                                               " 400 ms is measured as one block); the"
                                               " presets' cracks reach -27 to -32 under the"
                                               " -1 dBTP ceiling")
    trim_db: float = quantity(0.0, unit="dB", low=0.0, high=120.0,
                              doc="0 keeps the whole simulated window; else the file is"
                                  " trimmed to where the sound is within this many dB of"
                                  " its peak, plus the padding, faded in and out over 5 ms"
                                  " at most")
    channels: float = quantity(0, unit="1", low=0, high=2,
                               doc="channels of the file: 1 mono (a stereo sound's sum"
                                   " at -3 dB), 2 stereo (a mono sound on both), 0 as the"
                                   " sources are (stereo when a joint is on one side)")
    accelerometer: listener.Accelerometer = field(default_factory=listener.Accelerometer)

    def noise_rms(self, listener_kind: str) -> float:
        """RMS of the background noise at ``listener_kind``, in its unit; ``ValueError``
        if noise is given in the other listeners' unit, where it would be ignored."""
        own, other = ("noise_rms_m_s2", "noise_rms_pa") if listener_kind == "accelerometer" \
            else ("noise_rms_pa", "noise_rms_m_s2")
        if getattr(self, other) != 0.0:
            raise ValueError(f"{other} = {getattr(self, other):g} does not apply to the"
                             f" {listener_kind} listener; give its noise as {own}")
        return getattr(self, own)


FIGURE_FORMATS = ("png", "svg", "pdf")
"""Formats of the dashboard that :func:`save` writes: PNG, and the vector SVG and PDF."""

SIDES = ("center", "left", "right")
"""Where a joint's sound goes: both channels, the left or the right."""


@dataclass(frozen=True)
class Rendering:
    """One or several cracks made audible.

    Attributes
    ----------
    cracks : tuple of CrackResult
        The simulated joints, one per sound source.
    sides : tuple of str
        Each crack's side: ``"center"``, ``"left"`` or ``"right"``.
    labels : tuple of str
        Each crack's name.
    listener : str
        ``"air"``, ``"contact"`` or ``"accelerometer"``.
    samplerate_hz : int
        Audio sample rate [Hz], one of :data:`cavitation.audio.SAMPLERATES_HZ`.
    start_s : float
        Simulation time of the first audio sample [s].
    signal : ndarray
        The listener's signal at the audio rate, in :attr:`unit` (pressure [Pa], or
        acceleration [m/s^2]), noise included: ``(n,)`` when every source is at the
        center, ``(n, 2)`` (left, right) otherwise.
    samples : ndarray
        Digital samples in [-1, 1], ``signal`` times ``gain``.
    level : str
        ``"calibrated"``, ``"normalised"`` or ``"loudness"``.
    full_scale : float
        Signal that is digital full scale, in :attr:`unit` (calibrated level).
    gain : float
        Digital full scale per unit of the signal [1/:attr:`unit`] that the level
        applied: ``1 / full_scale`` when calibrated.
    seed : int
        Seed of the background noise.
    settings : AudioSettings
        Padding, noise and microphone distance.
    features : audio.Features
        Measured on ``signal`` before the background noise was added.
    """

    cracks: tuple[CrackResult, ...]
    sides: tuple[str, ...]
    labels: tuple[str, ...]
    listener: str
    samplerate_hz: int
    start_s: float
    signal: np.ndarray
    samples: np.ndarray
    level: str
    full_scale: float
    gain: float
    seed: int
    settings: AudioSettings
    features: audio.Features

    @property
    def crack(self) -> CrackResult:
        """The first crack to happen (the first source if none cracked)."""
        times = [c.summary.crack_time_s if c.cracked else math.inf for c in self.cracks]
        return self.cracks[int(np.argmin(times))]

    @property
    def unit(self) -> str:
        """The signal's unit: ``"Pa"`` or ``"m/s^2"``."""
        return listener.UNITS[self.listener]

    @property
    def level_unit(self) -> str:
        """The peak level's unit: ``"dB SPL"`` in air, ``"dB re 1 uPa"`` in tissue,
        ``"dB re 1 um/s^2"`` at the accelerometer."""
        if self.listener == "air":
            return "dB SPL"
        return f"dB re {listener.LEVEL_REFERENCES[self.listener][1]}"

    @property
    def loudness_lufs(self) -> float:
        """Integrated loudness of ``samples`` [LUFS]
        (:func:`cavitation.audio.loudness_lufs`)."""
        return audio.loudness_lufs(self.samples, self.samplerate_hz)

    @property
    def true_peak_dbtp(self) -> float:
        """True peak of ``samples`` [dBTP] (:func:`cavitation.audio.true_peak_dbtp`)."""
        return audio.true_peak_dbtp(self.samples)

    @property
    def pops_heard(self) -> int:
        """Pops a listener counts in ``signal``, each side on its own
        (:func:`cavitation.detection.detect`), as the command line and the dashboard
        count them."""
        from .detection import detect

        return detect(self.signal, self.samplerate_hz, self.start_s).count

    @property
    def t_s(self) -> np.ndarray:
        """Simulation time of each audio sample [s]."""
        return self.start_s + np.arange(self.signal.shape[0]) / self.samplerate_hz

    def listening(self, target_lufs: float = audio.LISTENING_LUFS) -> tuple[np.ndarray, str]:
        """The sound at a comfortable level for a player, and what that level is.

        Not the file's level (``level``): :func:`cavitation.audio.listening_gain` of
        ``signal``, at ``target_lufs`` [LUFS] or the -1 dBTP ceiling.

        Returns
        -------
        samples : ndarray
            Digital samples in [-1, 1], shaped as ``signal``.
        description : str
            Which level the samples are at, for the player's caption.
        """
        gain, description = audio.listening_gain(self.signal, self.samplerate_hz, target_lufs)
        return self.signal * gain, description

    def player(self, target_lufs: float = audio.LISTENING_LUFS) -> Player:
        """An audio player for a notebook, at a comfortable listening level.

        Parameters
        ----------
        target_lufs : float, optional
            Loudness to play at [LUFS] (:meth:`listening`).

        Returns
        -------
        Player
            Shows itself in a notebook as a player with a caption that says what is
            heard and at which level it plays.
        """
        from . import plot  # matplotlib only for a notebook

        samples, played = self.listening(target_lufs)
        f = self.features
        heard = (f"peak {f.peak_level_db:.1f} {self.level_unit},"
                 f" {audio.dominant_text(f.dominant_frequency_hz)},"
                 f" {f.duration_s * 1e3:.1f} ms long,"
                 f" pops heard {self.pops_heard}" if any(c.cracked for c in self.cracks)
                 else "no crack: " + self.silence_text())
        return Player(samples, self.samplerate_hz,
                      f"{', '.join(self.labels)}, heard by {plot.listener_words(self)}:"
                      f" {heard}. The player plays at the {played}; the file's level is"
                      f" {self.level}.")

    def silence_text(self) -> str:
        """What a listener hears when nothing cracked: ``"silence"``, or ``"background
        noise only"`` when the settings add noise."""
        noise = self.settings.noise_rms(self.listener) > 0.0
        return "background noise only" if noise else "silence"

    def _repr_html_(self) -> str:
        """In a notebook: the dashboard, and a player at a comfortable listening level.

        Any front end shows it (JupyterLab, classic Notebook, VS Code, nbconvert's HTML):
        the figure is an inline PNG, the sound an inline WAV. The player's level is not
        the file's: the caption says which it plays (:meth:`player`).
        """
        from . import plot  # matplotlib only when displayed

        png = base64.b64encode(plot.figure_bytes(plot.dashboard(self), "png", dpi=100))
        return (f'<figure><img src="data:image/png;base64,{png.decode("ascii")}"'
                f' alt="dashboard of the crack"/>{self.player()._repr_html_()}</figure>')


@dataclass(frozen=True)
class Player:
    """A sound for a notebook's audio player, with a caption.

    Attributes
    ----------
    samples : ndarray
        Digital samples in [-1, 1], mono ``(n,)`` or ``(n, 2)``.
    samplerate_hz : int
        Sample rate [Hz].
    caption : str
        What is heard, and at which level it plays.
    """

    samples: np.ndarray
    samplerate_hz: int
    caption: str

    @classmethod
    def from_file(cls, path: str | Path, caption: str = "",
                  target_lufs: float = audio.LISTENING_LUFS) -> Player:
        """A player of a sound file (a batch's, say) at a comfortable listening level.

        Parameters
        ----------
        path : path-like
            A WAV or FLAC file.
        caption : str, optional
            What it is; the level it plays at is added.
        target_lufs : float, optional
            Loudness to play at [LUFS] (:func:`cavitation.audio.listening_gain`).
        """
        from . import io  # soundfile only when a file is read

        samples, samplerate_hz, _ = io.read_audio(path)
        gain, played = audio.listening_gain(samples, samplerate_hz, target_lufs)
        return cls(samples * gain, samplerate_hz,
                   f"{caption}{'; ' if caption else ''}plays at the {played}")

    def _repr_html_(self) -> str:
        from . import io  # soundfile only when displayed

        return audio_html(io.audio_bytes(self.samples, self.samplerate_hz), self.caption)


def audio_html(wav: bytes, caption: str) -> str:
    """An HTML audio player of a WAV file's bytes, with its caption below: what a
    notebook and nbconvert's HTML show (the sound inline)."""
    data = base64.b64encode(wav).decode("ascii")
    return (f'<div><audio controls src="data:audio/wav;base64,{data}"></audio>'
            f"<div>{html.escape(caption)}</div></div>")


def render(
    joint: Joint = KNUCKLE,
    loading: Loading | None = None,
    *,
    listener_kind: str = "air",
    samplerate_hz: int = 48000,
    level: str = "calibrated",
    full_scale: float | None = None,
    seed: int = 0,
    settings: AudioSettings | None = None,
    **simulate_options,
) -> Rendering:
    """Simulate a crack and render it as sound at a listener.

    Parameters
    ----------
    joint : Joint, optional
        The joint; the knuckle by default.
    loading : Loading, optional
        The pull; by default :class:`cavitation.joint.RampAndHold`'s defaults.
    listener_kind : {"air", "contact", "accelerometer"}, optional
        Microphone in air, microphone on the skin over the joint, or accelerometer on
        the skin (:mod:`cavitation.listener`).
    samplerate_hz : int, optional
        Audio sample rate [Hz], one of :data:`cavitation.audio.SAMPLERATES_HZ`.
    level : {"calibrated", "normalised", "loudness"}, optional
        Calibrated: ``full_scale`` is digital full scale. Normalised: true peak at -1
        dBTP. Loudness: ``settings.target_loudness_lufs`` (ITU-R BS.1770), the true peak
        at -1 dBTP at most (:func:`cavitation.audio.digital_gain`).
    full_scale : float, optional
        Calibration, in the listener's unit (Pa, or m/s^2 for the accelerometer); by
        default :data:`FULL_SCALE` of the listener.
    seed : int, optional
        Seed of the background noise; the same seed gives the same file.
    settings : AudioSettings, optional
        Padding [s], noise RMS [Pa or m/s^2], microphone distance [m], accelerometer.
    **simulate_options
        Passed to :func:`cavitation.simulate` (``model``, ``source``, ``after_crack_s``,
        ``output_step_s``, ``rtol``). By default (:func:`hearing_options`)
        ``output_step_s`` is :func:`crack_step_s` of the sample rate, ``OVERSAMPLING``
        times finer than the audio, and ``rtol`` is :data:`HEARING_RTOL` (1e-7), which
        changes the sound by less than -110 dB of its peak from simulate's 1e-8.

    Returns
    -------
    Rendering

    Raises
    ------
    audio.ClippingError
        If a calibrated signal exceeds full scale, or a loudness target would put the
        true peak above -1 dBTP.
    ValueError
        On any unknown choice or out-of-range value.
    """
    _check_sound_options(listener_kind, samplerate_hz, level)
    loading = RampAndHold() if loading is None else loading
    crack = simulate(joint, loading, **(hearing_options(samplerate_hz) | simulate_options))
    return hear([crack], ("center",), (joint.name,), listener_kind=listener_kind,
                samplerate_hz=samplerate_hz, level=level, full_scale=full_scale,
                seed=seed, settings=settings)


def _check_sound_options(listener_kind: str, samplerate_hz: int, level: str) -> None:
    check_choice("listener", listener_kind, listener.LISTENERS)
    audio.check_samplerate(samplerate_hz)
    check_choice("level", level, audio.LEVELS)


def _signal_at_listener(crack: CrackResult, listener_kind: str, settings: AudioSettings,
                        samplerate_hz: int, start_s: float, duration_s: float,
                        delay: float) -> np.ndarray:
    """One crack's signal at the listener, in its unit (Pa or m/s^2), at the audio rate,
    from ``start_s``; ``delay`` is its :func:`travel_time_s` [s]."""
    if not crack.cracked:
        return np.zeros(round(duration_s * samplerate_hz))
    joint = crack.joint
    step_s = crack.settings["output_step_s"]
    input_rate_hz = round(1.0 / step_s)
    # The source is faded out over the end of its simulated window, then heard on a time
    # base that runs on by the time the sound takes to reach the listener: a distant
    # microphone hears the whole crack, later.
    fade = np.clip((_window_end_s(crack) - crack.t_s) / FADE_OUT_S, 0.0, 1.0)
    source = crack.source_volume_accel_m3_s2 * (0.5 - 0.5 * np.cos(math.pi * fade))
    extra = np.arange(1, math.ceil(delay / step_s) + 2)
    t = np.concatenate([crack.t_s, crack.t_s[-1] + step_s * extra])
    p = listener.listener_signal(
        t, np.concatenate([source, np.zeros(extra.size)]),
        np.concatenate([crack.radius_m, np.full(extra.size, crack.radius_m[-1])]),
        listener=listener_kind, fluid_density_kg_m3=joint.fluid.density_kg_m3,
        fluid_sound_speed_m_s=joint.fluid.sound_speed_m_s, body=joint.body,
        air_distance_m=settings.air_distance_m)
    sos = listener.transfer_filter(listener_kind, joint.body, input_rate_hz,
                                   settings.accelerometer)
    return audio.to_samplerate(t, p, samplerate_hz, start_s=start_s,
                               duration_s=duration_s, input_rate_hz=input_rate_hz, sos=sos)


def _window_end_s(crack: CrackResult) -> float:
    """When a crack's simulated window ends [s]: ``after_crack_s`` after it, or earlier
    where the cavity collapsed completely and its series stop."""
    end = crack.summary.crack_time_s + crack.settings["after_crack_s"]
    step = crack.settings["output_step_s"]
    return float(crack.t_s[-1]) if crack.t_s[-1] < end - 1.5 * step else end


def travel_time_s(crack: CrackResult, listener_kind: str, settings: AudioSettings) -> float:
    """Time the sound of a crack takes from its cavity to the listener [s]
    (:func:`cavitation.listener.delay_s`)."""
    return listener.delay_s(listener_kind, crack.joint.body, crack.joint.fluid.sound_speed_m_s,
                            settings.air_distance_m)


def hear(
    cracks: list[CrackResult] | tuple[CrackResult, ...],
    sides: tuple[str, ...],
    labels: tuple[str, ...],
    *,
    listener_kind: str = "air",
    samplerate_hz: int = 48000,
    level: str = "calibrated",
    full_scale: float | None = None,
    seed: int = 0,
    settings: AudioSettings | None = None,
) -> Rendering:
    """Render simulated cracks as one sound: mono, or stereo with sources left and right.

    Each crack is heard at the listener through its own joint's body transfer; the
    sources on the left go to the left channel, those on the right to the right, and
    those at the center to both at -3 dB (equal-power pan). Time runs from the first
    crack's arrival at the listener less the padding to the arrival of the end of the
    last crack's simulated window plus the padding: the sound takes ``r / c_air`` to
    reach a microphone ``r`` away, 0.29 s at 100 m.

    Parameters
    ----------
    cracks : sequence of CrackResult
        The simulated joints.
    sides : tuple of {"center", "left", "right"}
        Each crack's side.
    labels : tuple of str
        Each crack's name, for the metadata.
    listener_kind, samplerate_hz, level, full_scale, seed, settings :
        As for :func:`render`.
    """
    _check_sound_options(listener_kind, samplerate_hz, level)
    for side in sides:
        check_choice("side", side, SIDES)
    if not (len(cracks) == len(sides) == len(labels) >= 1):
        raise ValueError("hear: give one side and one label per crack, and at least one crack")
    seed = check_count("seed", seed, 0, 2**63 - 1)
    settings = AudioSettings() if settings is None else settings
    full_scale = FULL_SCALE[listener_kind] if full_scale is None else full_scale

    cracked = [c for c in cracks if c.cracked]
    delays = [travel_time_s(c, listener_kind, settings) if c.cracked else 0.0 for c in cracks]
    first = min((c.summary.crack_time_s for c in cracked), default=cracks[0].t_s[-1])
    last = max((_window_end_s(c) + d for c, d in zip(cracks, delays, strict=True)
                if c.cracked), default=first)
    # Start on the first crack's own sample grid, so its fine series is read exactly:
    # the padding before it, moved on by its sound's travel time in whole steps of
    # ARRIVAL_STEP_S, which every simulation grid and audio rate divides.
    step_s = cracks[0].settings["output_step_s"]
    arrival = min((d for c, d in zip(cracks, delays, strict=True) if c.cracked), default=0.0)
    start_s = (first - round(settings.pad_before_s / step_s) * step_s
               + ARRIVAL_STEP_S * math.floor(arrival / ARRIVAL_STEP_S))
    duration_s = (last - start_s) + settings.pad_after_s
    heard: dict[int, np.ndarray] = {}  # a result that two sites share is heard once
    for c, d in zip(cracks, delays, strict=True):
        if id(c) not in heard:
            heard[id(c)] = _signal_at_listener(c, listener_kind, settings, samplerate_hz,
                                               start_s, duration_s, d)
    sounds = [heard[id(c)] for c in cracks]
    if all(side == "center" for side in sides):
        pressure = np.sum(sounds, axis=0)
    else:
        gains = {"center": (math.sqrt(0.5), math.sqrt(0.5)), "left": (1.0, 0.0),
                 "right": (0.0, 1.0)}
        pressure = np.zeros((sounds[0].size, 2))
        for sound, side in zip(sounds, sides, strict=True):
            for channel, gain in enumerate(gains[side]):
                if gain:  # a side's sound adds to its own channel only
                    pressure[:, channel] += gain * sound
    # The crack's features are measured before the background noise is added: noise a
    # few tens of dB down would otherwise stretch the -20 dB envelope over the file.
    features = audio.features(pressure, samplerate_hz,
                              reference=listener.LEVEL_REFERENCES[listener_kind])
    if settings.trim_db > 0.0:
        first, pressure = audio.trim(pressure, samplerate_hz, floor_db=settings.trim_db,
                                     before_s=settings.pad_before_s,
                                     after_s=settings.pad_after_s)
        start_s += first / samplerate_hz
    pressure = audio.to_channels(pressure, settings.channels)
    pressure = audio.add_noise(pressure, settings.noise_rms(listener_kind), seed)
    gain = audio.digital_gain(pressure, level=level, full_scale=full_scale,
                              unit=listener.UNITS[listener_kind], samplerate_hz=samplerate_hz,
                              target_lufs=settings.target_loudness_lufs)
    return Rendering(cracks=tuple(cracks), sides=tuple(sides), labels=tuple(labels),
                     listener=listener_kind, samplerate_hz=samplerate_hz, start_s=start_s,
                     signal=pressure, samples=pressure * gain, level=level,
                     full_scale=float(full_scale), gain=gain, seed=seed, settings=settings,
                     features=features)


def metadata(rendering: Rendering, *, preset: str | None = None, file_format: str = "wav",
             subtype: str = "PCM_24") -> dict:
    """Everything needed to reproduce and describe a rendering, JSON-ready in SI units."""
    from . import __version__

    crack, s, f = rendering.crack, rendering.crack.summary, rendering.features
    loading = crack.loading
    loading_params = loading.as_dict() if hasattr(loading, "as_dict") else {
        "description": f"user-supplied {type(loading).__name__}"}
    events = crack.events
    return {
        "cavitation_version": __version__,
        "preset": preset,
        "seed": rendering.seed,
        "samplerate_hz": rendering.samplerate_hz,
        "format": file_format,
        "subtype": subtype,
        "cracked": s.cracked,
        "crack_time_s": s.crack_time_s,
        "gap_jump_m": s.gap_jump_m,
        "max_radius_m": s.max_radius_m,
        "first_collapse_time_s": s.first_collapse_time_s,
        "refractory_time_s": s.refractory_time_s,
        "peak_level_db": f.peak_level_db,
        "dominant_frequency_hz": f.dominant_frequency_hz,
        "duration_s": f.duration_s,
        "audio_start_s": rendering.start_s,
        "parameters": {
            "joint": crack.joint.as_dict(),
            "loading": {"type": type(loading).__name__, **loading_params},
            "simulation": crack.settings,
            "listener": {"kind": rendering.listener, **rendering.settings.as_dict()},
            "audio": {"level": rendering.level,
                      "full_scale": (rendering.full_scale if rendering.level == "calibrated"
                                     else None),
                      "gain_db": (20.0 * math.log10(rendering.gain)
                                  if rendering.level == "calibrated"
                                  or np.any(rendering.signal) else None),
                      "target_loudness_lufs": (rendering.settings.target_loudness_lufs
                                               if rendering.level == "loudness" else None),
                      "loudness_lufs": rendering.loudness_lufs,
                      "true_peak_dbtp": rendering.true_peak_dbtp,
                      "unit": rendering.unit, "level_unit": rendering.level_unit},
        },
        "summary": vars(s),
        "events": {"nucleation_s": events.nucleation_s,
                   "max_radius_s": events.max_radius_s, "collapse_s": events.collapse_s},
        "features": f.as_dict(),
        "channels": 1 if rendering.signal.ndim == 1 else rendering.signal.shape[1],
        "sites": [{"label": label, "side": side, "cracked": c.cracked,
                   "joint": c.joint.as_dict(), "summary": vars(c.summary)}
                  for c, side, label in zip(rendering.cracks, rendering.sides,
                                            rendering.labels, strict=True)],
    }


#: The figures a file carries inside itself (:func:`file_tags`), from its JSON.
TAGGED = ("cavitation_version", "preset", "seed", "samplerate_hz", "cracked", "crack_time_s",
          "peak_level_db", "dominant_frequency_hz", "duration_s")


def file_tags(meta: dict, name: str) -> dict[str, str]:
    """Text to embed in the audio file (:data:`cavitation.io.TAGS`), so that a file
    copied away from its JSON still says what it is: the title (``name``), the
    software and its version, and, as the comment, one line of JSON with the
    provenance and the main figures of ``meta`` (:func:`metadata`): :data:`TAGGED`,
    the listener, its distance, the level, its gain, the loudness and the true peak."""
    sound = meta["parameters"]["audio"]
    heard = meta["parameters"]["listener"]
    comment = {**{key: meta[key] for key in TAGGED}, "listener": heard["kind"],
               "air_distance_m": heard["air_distance_m"], "level": sound["level"],
               "gain_db": sound["gain_db"], "loudness_lufs": sound["loudness_lufs"],
               "true_peak_dbtp": sound["true_peak_dbtp"], "peak_level_unit": sound["level_unit"]}
    from .io import to_json

    return {"title": name, "software": f"cavitation {meta['cavitation_version']}",
            "genre": "synovial joint crack (simulated)",
            "comment": json.dumps(to_json(comment), sort_keys=True, separators=(",", ":"))}


#: One step of PCM_24, the finest PCM subtype (full scale 1).
_FINER = 2.0 ** -23


def _check_resolution(rendering: Rendering, subtype: str) -> None:
    """``ValueError`` if a crack would leave no trace in a PCM file of ``subtype``: on
    its own channel, when the sound is stereo."""
    if not subtype.startswith("PCM_"):
        return
    step = 2.0 ** (1 - int(subtype.removeprefix("PCM_")))
    samples = rendering.samples if rendering.samples.ndim == 2 else rendering.samples[:, None]
    names = ("left", "right") if samples.shape[1] == 2 else ("center",)
    for channel, name in enumerate(names):
        heard_here = ("center", name) if name != "center" else SIDES
        if not any(c.cracked and side in heard_here
                   for c, side in zip(rendering.cracks, rendering.sides, strict=True)):
            continue
        peak = float(np.max(np.abs(samples[:, channel])))
        if peak < step:
            where = "" if name == "center" else f" on the {name} channel"
            level = f"{20.0 * math.log10(peak):.1f} dBFS" if peak > 0 else "silence"
            raise ValueError(
                f"the crack peaks at {level}{where} ({rendering.features.peak_level_db:.1f}"
                f" {rendering.level_unit} at its loudest), below one step of {subtype}"
                f" ({20.0 * math.log10(step):.1f} dBFS): the file would be silent; nothing"
                " written. Use level 'normalised', a smaller full scale, or"
                f" {'subtype PCM_24 or FLOAT' if _FINER <= peak else 'subtype FLOAT'}")


def save(
    rendering: Rendering,
    out_dir: str | Path,
    name: str,
    *,
    file_format: str = "wav",
    subtype: str = "PCM_24",
    figures: tuple[str, ...] = ("png",),
    preset: str | None = None,
    overwrite: bool = False,
    record_audio_hash: bool = False,
    extra: dict | None = None,
    json_indent: int | None = 2,
) -> list[Path]:
    """Write ``name.wav`` (or ``.flac``), ``name.json`` and the dashboard figures.

    The audio file carries its provenance and main figures inside it too
    (:func:`file_tags`: a WAV's ``INFO`` chunk, a FLAC's Vorbis comments).

    All files appear together or none does; existing files are refused unless
    ``overwrite``.

    Parameters
    ----------
    rendering : Rendering
        What to save.
    out_dir : path-like
        Folder, created if needed.
    name : str
        File stem.
    file_format : {"wav", "flac"}, optional
        Audio container.
    subtype : {"PCM_16", "PCM_24", "FLOAT"}, optional
        Sample format (FLAC: PCM only).
    figures : tuple of {"png", "svg", "pdf"}, optional
        Dashboard figure formats; empty for none.
    preset : str, optional
        Preset name, recorded in the JSON.
    overwrite : bool, optional
        Replace existing files of that name; the replaced sound's audio and dashboard
        in a format not written now are removed (they would describe another sound).
    record_audio_hash : bool, optional
        Record the audio file's SHA-256 in the JSON (``audio_sha256``), so that a
        finished file can be told from an interrupted one.
    extra : dict, optional
        More entries for the JSON (a batch's run id and swept values).
    json_indent : int or None, optional
        Indentation of the JSON; None writes it on one line, faster (a batch).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    FileExistsError
        If a file exists and ``overwrite`` is false; nothing is written then.
    ValueError
        If a crack's sound is below one step of a PCM ``subtype``: the file would be
        silent although the joint cracked. Nothing is written then.
    """
    from . import io  # soundfile only when saving

    io.check_format(file_format, subtype)
    if not io.is_plain_name(name):  # a name is a file inside out_dir, not a path
        raise ValueError(f"name {name[:60]!r} is not a file name; valid: {io.PLAIN_NAME}")
    _check_resolution(rendering, subtype)
    for kind in figures:
        check_choice("figure format", kind, FIGURE_FORMATS)
    out = Path(out_dir)
    audio_path = out / f"{name}.{file_format}"
    json_path = out / f"{name}.json"
    figure_paths = [out / f"{name}.{kind}" for kind in figures]
    finals = [audio_path, *figure_paths, json_path]  # the JSON, which vouches, comes last
    with io.OutputSet(finals, overwrite=overwrite) as outputs:
        meta = metadata(rendering, preset=preset, file_format=file_format, subtype=subtype)
        encoded = io.audio_bytes(rendering.samples, rendering.samplerate_hz,
                                 file_format=file_format, subtype=subtype,
                                 tags=file_tags(meta, name))
        outputs.stage(audio_path).write_bytes(encoded)
        if record_audio_hash:
            meta["audio_sha256"] = hashlib.sha256(encoded).hexdigest()
        io.write_json(outputs.stage(json_path), meta | (extra or {}), indent=json_indent)
        if figure_paths:
            from . import plot  # matplotlib only when a figure is asked for

            figure = plot.dashboard(rendering)
            for kind, path in zip(figures, figure_paths, strict=True):
                outputs.stage(path).write_bytes(plot.figure_bytes(figure, kind))
    if overwrite:  # the replaced sound's audio or dashboard in a format not written now
        for kind in (set(FIGURE_FORMATS) - set(figures)) | (set(io.FORMATS) - {file_format}):
            (out / f"{name}.{kind}").unlink(missing_ok=True)
    return finals
