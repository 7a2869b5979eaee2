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
here (:func:`detect`) states its own, as assumptions: on each side's channel, the peaks
of its envelope (:func:`cavitation.audio.envelope`) within :data:`RANGE_DB` of the
thrust's loudest pop, at least :data:`RESOLUTION_S` apart, each parted from the one
before by a dip of :data:`DIP` (6 dB), count as pops
(:func:`cavitation.audio.pop_peaks`). A pop on the left and one on the right count
as two, even at the same instant: each side had its own sensor.

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

from . import audio
from .parameters import check_choice

__all__ = ["DIP", "RANGE_DB", "RESOLUTION_S", "STUDIES", "GroupPops", "Pops", "Study",
           "detect", "get_study", "group_pops", "wilson_interval"]

#: Pops quieter than this below the thrust's loudest are not counted [dB]: read off a
#: spectrogram scaled to the loudest burst, or heard beside it (assumption).
RANGE_DB = 20.0
#: Shortest time between two pops on one side [s]: the time step of a spectrogram that
#: resolves pops 5-6 ms long (Dunning 2013) (assumption).
RESOLUTION_S = 1e-3
#: Between two pops on one side the envelope must fall to this fraction of the quieter
#: one (-6 dB), or they are one burst (assumption: the ear and the eye part two bursts
#: by a clear dip, not by a ripple).
DIP = 0.5
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
        When each pop peaks [s, from the recording's start], in time order.
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

    @property
    def bilateral(self) -> bool:
        """Pops on both sides."""
        return {"left", "right"} <= set(self.sides)

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


def detect(signal: np.ndarray, samplerate_hz: float) -> Pops:
    """Count the pops in a recording, side by side (see the module notes).

    Parameters
    ----------
    signal : ndarray
        The sensor's signal, ``(n,)`` (one sensor) or ``(n, 2)`` (left, right), in any
        unit; only its shape in time matters.
    samplerate_hz : float
        Sample rate [Hz].

    Returns
    -------
    Pops
    """
    channels = [signal] if signal.ndim == 1 else [signal[:, 0], signal[:, 1]]
    names = ("center",) if signal.ndim == 1 else ("left", "right")
    envelopes = [audio.envelope(channel, samplerate_hz) for channel in channels]
    loudest = max((float(env.max()) for env in envelopes if env.size), default=0.0)
    found = [(index / samplerate_hz, name)
             for env, name in zip(envelopes, names, strict=True)
             for index in audio.pop_peaks(env, samplerate_hz, spacing_s=RESOLUTION_S, dip=DIP,
                                          range_db=RANGE_DB, reference=loudest)]
    found.sort()
    return Pops(np.array([t for t, _ in found]), tuple(side for _, side in found))


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
    return max(centre - half, 0.0), min(centre + half, 1.0)


#: The bins of the distribution of pops per thrust: 0, 1, 2, 3, and 4 or more.
COUNT_BINS = ("0", "1", "2", "3", "4+")


@dataclass(frozen=True)
class GroupPops:
    """Pops per thrust over a group of people, as a study would report them.

    Attributes
    ----------
    counts : ndarray
        Pops per thrust, one per person [count].
    bilateral : int
        Thrusts with pops on both sides.
    simultaneous : int
        Pops with a pop on the other side within :data:`SIMULTANEOUS_S`.
    intervals_s : ndarray
        Times between successive pops of a thrust, all thrusts pooled [s].
    first_sides : tuple
        Side of each thrust's first pop (None without pops).
    """

    counts: np.ndarray
    bilateral: int
    simultaneous: int
    intervals_s: np.ndarray
    first_sides: tuple[str | None, ...]

    @property
    def people(self) -> int:
        """Thrusts (one per person)."""
        return int(self.counts.size)

    @property
    def mean(self) -> float:
        """Mean pops per thrust."""
        return float(self.counts.mean())

    def mean_interval(self, confidence: float = 0.95) -> tuple[float, float]:
        """Confidence interval of the mean pops per thrust (Student's t)."""
        from scipy.stats import t

        n = self.people
        if n < 2:
            return math.nan, math.nan
        half = float(t.ppf(0.5 + confidence / 2.0, n - 1)) * float(
            self.counts.std(ddof=1)) / math.sqrt(n)
        return self.mean - half, self.mean + half

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
    intervals = list(itertools.chain.from_iterable(p.intervals_s() for p in recordings))
    return GroupPops(
        counts=np.array([p.count for p in recordings], dtype=int),
        bilateral=sum(p.bilateral for p in recordings),
        simultaneous=sum(p.simultaneous() for p in recordings),
        intervals_s=np.array(intervals), first_sides=tuple(p.first_side for p in recordings))
