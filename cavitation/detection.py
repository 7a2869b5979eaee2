"""Pops counted the way the studies counted them: per side, from the sensor's sound.

The studies that counted the pops of a spinal thrust put one sensor on each side of
the spine and counted the bursts of sound each one recorded:

- Dunning et al. 2013 (C1-C2): skin-mounted microphones over the transverse process of
  C1, one each side; pops found "by simultaneous analysis of spectrograms with audio
  feedback" (abstract; no threshold given).
- Reggars 1996 (C3-C4, a rotatory thrust): two skin-mounted microphones, either side of
  the neck, recorded on tape and analysed for their spectra (abstract; no threshold).
- Mourad et al. 2019 (L5-S1, side posture): two accelerometers 25 mm either side of the
  midline at L5-S1, each side's signal "singularly processed via spectrogram" to find
  bursts of energy (abstract; no threshold).

No study states a threshold or a shortest time between two pops, so the one detector
here (:func:`detect`) states its own, as assumptions. Each side's channel is read as a
spectrogram reader or a listener follows it: above :data:`HIGHPASS_HZ` (the thrust's
own motion removed), its amplitude envelope (the analytic signal's magnitude, which a
ringing follows smoothly, cycle after cycle) smoothed over :data:`FRAME_S`
(:func:`burst_envelope`). Its peaks within :data:`RANGE_DB` of the side's loudest, at
least a frame apart, each parted from the one before by a dip of :data:`DIP` (6 dB),
count as pops (:func:`cavitation.audio.pop_peaks`): two pops 5 ms apart are two, 3 ms
apart one. A pop on the left and one on the right count as two, even at the same
instant: each side had its own sensor.

A skin accelerometer's mount rings (about 85 Hz,
:class:`cavitation.listener.Accelerometer`); in a few lumbar thrusts in a hundred a
late swing of that ringing, over a cavity's slow growth, still stands out by 6 dB
and is counted as a pop of its own.

The model's channels carry no cross-talk: a left joint is heard in the left channel
only. Real sensors hear the other side too, more faintly and later; the studies told
the sides apart by which sensor heard a pop first or loudest.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import _dsp, audio
from .parameters import check_choice

__all__ = [
    "DIP",
    "FRAME_S",
    "HIGHPASS_HZ",
    "RANGE_DB",
    "STUDIES",
    "GroupPops",
    "Pops",
    "Study",
    "burst_envelope",
    "detect",
    "get_study",
    "group_pops",
    "wilson_interval",
]

#: Pops quieter than this below the loudest on their side are not counted [dB]: read
#: off each side's spectrogram scaled to its loudest burst (Mourad 2019 processed each
#: side singly), or heard beside it (assumption: the range of the package's own pop
#: count, ``pop_count`` of :class:`cavitation.audio.Features`).
RANGE_DB = 20.0
#: The envelope is smoothed over this frame [s], and two pops on one side are at least
#: this far apart: 2 ms, shorter than the pops themselves (5.66 ms, Dunning 2013), so
#: that two pops are parted by their own dip (assumption). Frames of 4 ms or more
#: follow each half-cycle of a ringing's energy instead of its envelope.
FRAME_S = 2e-3
#: Between two pops on one side the envelope must fall to this fraction of the quieter
#: one (-6 dB), or they are one burst (assumption: the ear and the eye part two bursts
#: by a clear dip, not by a ripple).
DIP = 0.5
#: Each side's signal is high-passed at this frequency before its energy is read [Hz]:
#: a skin sensor records the thrust's own motion (100-150 ms long, about 10 Hz) and a
#: cavity's slow growth under it; the studies looked for bursts of sound on top of it
#: (assumption; second-order Butterworth, applied forwards and backwards so that the
#: pops' times do not shift).
HIGHPASS_HZ = 50.0
#: Pops on the two sides within this time of each other are "simultaneous" [s].
SIMULTANEOUS_S = 1e-3


@dataclass(frozen=True)
class Study:
    """How one study heard a thrust: its sensor, where, and how it counted.

    Attributes
    ----------
    key : str
        Short name (``"dunning-2013"``).
    citation : str
        Authors, year and journal.
    scenario : str
        The scenario (:data:`cavitation.scenario.SCENARIOS`) of its thrust.
    turn : str or None
        The side the head was turned to in its thrust, or None.
    listener : str
        The model's sensor for it: ``"contact"`` (a skin microphone) or
        ``"accelerometer"``.
    sensors : str
        The sensors as described.
    counted : str
        How the pops were found, as described.
    people : int
        People in the study.
    thrusts : int
        Thrusts recorded.
    """

    key: str
    citation: str
    scenario: str
    turn: str | None
    listener: str
    sensors: str
    counted: str
    people: int
    thrusts: int


STUDIES: dict[str, Study] = {s.key: s for s in (
    Study("dunning-2013", "Dunning et al. 2013 (BMC Musculoskelet Disord 14:24)",
          "upper-cervical", None, "contact",
          "skin-mounted microphones over the transverse process of C1, one each side",
          "spectrograms read with audio feedback", 19, 37),
    Study("reggars-1996", "Reggars 1996 (Australas Chiropr Osteopathy 5:39)",
          "mid-cervical", "right", "contact",
          "two skin-mounted microphones, either side of the neck", "spectrum analysis of"
          " the recording", 50, 50),
    Study("mourad-2019", "Mourad et al. 2019 (JMPT 42:12)", "lumbar", None, "accelerometer",
          "two accelerometers 25 mm either side of the midline at L5-S1",
          "each side's spectrogram, bursts of energy", 34, 60),
)}
"""The studies whose pop counts the model is compared with, by key."""


def get_study(key: str) -> Study:
    """The study called ``key``; ``ValueError`` listing them if there is none."""
    return STUDIES[check_choice("study", key, tuple(STUDIES))]


@dataclass(frozen=True)
class Pops:
    """The pops found in one recording of a thrust.

    Attributes
    ----------
    times_s : ndarray
        When each pop peaks [s], in time order.
    sides : tuple of str
        The channel each was found on: ``"left"``, ``"right"`` or ``"center"`` (mono).
    """

    times_s: np.ndarray
    sides: tuple[str, ...]

    @property
    def count(self) -> int:
        """How many pops."""
        return len(self.sides)

    @property
    def first_side(self) -> str | None:
        """Side of the first pop; ``"both"`` if the two sides' first pops are
        simultaneous (within :data:`SIMULTANEOUS_S`); None without pops."""
        if not self.count:
            return None
        first = self.times_s[0]
        sides = {side for t, side in zip(self.times_s, self.sides, strict=True)
                 if t - first <= SIMULTANEOUS_S}
        return sides.pop() if len(sides) == 1 else "both"

    def intervals_s(self) -> np.ndarray:
        """Time from each pop to the next, whatever its side [s]."""
        return np.diff(self.times_s)

    def simultaneous(self) -> int:
        """Pops with a pop on the other side within :data:`SIMULTANEOUS_S`."""
        left = self.times_s[np.array(self.sides) == "left"]
        right = self.times_s[np.array(self.sides) == "right"]
        if not (left.size and right.size):
            return 0
        gaps = np.abs(left[:, None] - right[None, :])
        return int(np.sum(gaps.min(axis=1) <= SIMULTANEOUS_S)
                   + np.sum(gaps.min(axis=0) <= SIMULTANEOUS_S))


def detect(signal: np.ndarray, samplerate_hz: float, start_s: float = 0.0, *,
           range_db: float = RANGE_DB) -> Pops:
    """Count the pops in a recording, side by side (see the module notes).

    Parameters
    ----------
    signal : ndarray
        The sensor's signal, ``(n,)`` (one sensor) or ``(n, 2)`` (left, right), in any
        unit; only its shape in time matters.
    samplerate_hz : float
        Sample rate [Hz].
    start_s : float, optional
        Time of the first sample [s]: the pops' times count from where it does.
    range_db : float, optional
        How far below its side's loudest pop a pop is still counted [dB].

    Returns
    -------
    Pops
    """
    channels = [signal] if signal.ndim == 1 else [signal[:, 0], signal[:, 1]]
    names = ("center",) if signal.ndim == 1 else ("left", "right")
    found = [(start_s + index / samplerate_hz, name)
             for channel, name in zip(channels, names, strict=True)
             for index in audio.pop_peaks(burst_envelope(channel, samplerate_hz),
                                          samplerate_hz, spacing_s=FRAME_S, dip=DIP,
                                          range_db=range_db)]
    found.sort()
    return Pops(np.array([t for t, _ in found]), tuple(side for _, side in found))


def burst_envelope(x: np.ndarray, samplerate_hz: float) -> np.ndarray:
    """The envelope a pop is read from [x's unit]: ``x`` high-passed at
    :data:`HIGHPASS_HZ` (second order, forwards and backwards: no delay), the magnitude
    of its analytic signal, smoothed by a Hann frame of :data:`FRAME_S`."""
    if x.size < 16:
        return np.abs(x)
    highpass = _dsp.butter_highpass(HIGHPASS_HZ, samplerate_hz)
    magnitude = np.abs(_dsp.analytic_signal(_dsp.filtfilt(highpass, x)))
    n = max(3, round(FRAME_S * samplerate_hz))
    window = np.hanning(n)
    return np.convolve(magnitude, window / window.sum(), mode="same")


def wilson_interval(successes: int, trials: int, confidence: float = 0.95
                    ) -> tuple[float, float]:
    """Wilson score interval of a proportion (Wilson 1927) [-].

    Parameters
    ----------
    successes, trials : int
        Count and sample size; NaNs for no trials.
    confidence : float, optional
        Two-sided confidence level.
    """
    if trials <= 0:
        return math.nan, math.nan
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2.0))
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials**2)) / (1 + z * z / trials)
    # Exactly 0 or 1 at the ends, where rounding leaves 1e-17.
    low = 0.0 if successes == 0 else max(centre - half, 0.0)
    high = 1.0 if successes == trials else min(centre + half, 1.0)
    return low, high


#: The bins of the distribution of pops per thrust: 0, 1, 2, 3, and 4 or more.
COUNT_BINS = ("0", "1", "2", "3", "4+")


@dataclass(frozen=True)
class GroupPops:
    """Pops per thrust over a group of people, as a study would report them.

    Attributes
    ----------
    counts : ndarray
        Pops per thrust, one per person [count].
    side_sets : tuple of frozenset
        The sides each thrust's pops were heard on.
    simultaneous : ndarray
        Per thrust, its pops with a pop on the other side within
        :data:`SIMULTANEOUS_S` [count].
    intervals_s : ndarray
        Times between successive pops of a thrust, all thrusts pooled [s].
    first_sides : tuple
        Side of each thrust's first pop (None without pops).
    """

    counts: np.ndarray
    side_sets: tuple[frozenset[str], ...]
    simultaneous: np.ndarray
    intervals_s: np.ndarray
    first_sides: tuple[str | None, ...]

    @property
    def bilateral(self) -> int:
        """Thrusts with pops on both sides."""
        return sum({"left", "right"} <= sides for sides in self.side_sets)

    def only_on(self, side: str) -> tuple[int, int]:
        """Thrusts whose pops are all on ``side``, and thrusts with pops."""
        heard = [sides for sides in self.side_sets if sides]
        return sum(sides == {side} for sides in heard), len(heard)

    @property
    def people(self) -> int:
        """Thrusts (one per person)."""
        return int(self.counts.size)

    @property
    def mean(self) -> float:
        """Mean pops per thrust."""
        return float(self.counts.mean())

    def mean_interval(self, confidence: float = 0.95) -> tuple[float, float]:
        """Confidence interval of the mean pops per thrust (Student's t), not below 0."""
        from scipy.stats import t

        n = self.people
        if n < 2:
            return math.nan, math.nan
        half = float(t.ppf(0.5 + confidence / 2.0, n - 1)) * float(
            self.counts.std(ddof=1)) / math.sqrt(n)
        return max(self.mean - half, 0.0), self.mean + half

    def distribution(self) -> dict[str, float]:
        """Share of thrusts with 0, 1, 2, 3 and 4 or more pops [-]."""
        n = max(self.people, 1)
        shares = {k: float(np.sum(self.counts == int(k))) / n for k in COUNT_BINS[:-1]}
        shares["4+"] = float(np.sum(self.counts >= 4)) / n
        return shares

    def first_on(self, side: str) -> tuple[int, int]:
        """Thrusts whose first pop is on ``side`` alone, and thrusts with pops."""
        popped = [s for s in self.first_sides if s is not None]
        return sum(s == side for s in popped), len(popped)


def group_pops(recordings: Sequence[Pops]) -> GroupPops:
    """Pool the pops found in each person's recording (:func:`detect`)."""
    if not recordings:  # a group's statistics of nobody are not numbers
        raise ValueError("group_pops needs at least one recording")
    wrong = next((p for p in recordings if not isinstance(p, Pops)), None)
    if wrong is not None:  # a scenario's own pops (joints cracked), most likely
        raise TypeError(f"group_pops takes what detect() heard in each recording (Pops),"
                        f" not {type(wrong).__name__}")
    intervals = list(itertools.chain.from_iterable(p.intervals_s() for p in recordings))
    return GroupPops(
        counts=np.array([p.count for p in recordings], dtype=int),
        side_sets=tuple(frozenset(p.sides) for p in recordings),
        simultaneous=np.array([p.simultaneous() for p in recordings], dtype=int),
        intervals_s=np.array(intervals), first_sides=tuple(p.first_side for p in recordings))
