"""Repeated cracks: several pulls on one joint over minutes.

After a crack the joint holds a gas bubble that dissolves over minutes
(:func:`cavitation.bubble.dissolving_radius`). A pull while it is still there is
simulated with that bubble (``simulate(..., residual_radius_m=...)``): a large bubble
soaks up the opening and the joint does not crack; a nearly dissolved one gives way
early and cracks far less; once it is gone the joint cracks as it did the first time
(about 20 minutes for the knuckle, Unsworth et al. 1971).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from . import bubble
from .fluid import dissolved_gases
from .joint import KNUCKLE, Joint, Loading, RampAndHold
from .parameters import check_range
from .simulation import CrackResult, simulate

__all__ = ["Pull", "recrack_time_s", "repeated_pulls"]


@dataclass(frozen=True)
class Pull:
    """One pull of a protocol.

    Attributes
    ----------
    start_s : float
        When the pull started, from the start of the protocol [s].
    residual_radius_m : float
        Radius of the gas bubble left by earlier cracks when the pull started [m].
    result : CrackResult
        The simulated pull.
    """

    start_s: float
    residual_radius_m: float
    result: CrackResult

    @property
    def cracked(self) -> bool:
        """Whether the joint cracked."""
        return self.result.cracked

    @property
    def peak_radiated_pressure_pa(self) -> float:
        """Loudness of the crack: peak radiated pressure at the result's distance [Pa]."""
        return self.result.summary.peak_radiated_pressure_pa


def repeated_pulls(
    start_times_s: list[float],
    joint: Joint = KNUCKLE,
    loading: Loading | None = None,
    **simulate_options: Any,
) -> list[Pull]:
    """Pull the same joint at each of ``start_times_s`` [s] and say what happens.

    Parameters
    ----------
    start_times_s : list of float
        Start of each pull [s], increasing, each after the previous pull has ended.
    joint : Joint, optional
        The joint; the knuckle by default.
    loading : Loading, optional
        The pull, the same each time; :class:`cavitation.joint.RampAndHold` by default.
    **simulate_options
        Passed to :func:`cavitation.simulate`.

    Returns
    -------
    list of Pull
        One per pull, in order.
    """
    loading = RampAndHold() if loading is None else loading
    bubble_mol, bubble_since_s = (), 0.0
    pulls: list[Pull] = []
    previous_end = 0.0  # times count from the first pull's clock: none before 0
    for index, start in enumerate(start_times_s):
        start = check_range(f"start_times_s[{index}]", start, "s", previous_end, 1e6)
        left, residual = _gas_left(joint, bubble_mol, start - bubble_since_s)
        result = simulate(joint, loading, residual_radius_m=residual, **simulate_options)
        if result.cracked:  # the new crack's gas joins what was left
            new = result.summary.residual_gas_mol
            bubble_mol = tuple(a + b for a, b in zip(left or (0.0,) * len(new), new,
                                                     strict=True))
            bubble_since_s = start + result.summary.crack_time_s
        pulls.append(Pull(start, residual, result))
        previous_end = start + loading.duration_s
    return pulls


def _gas_left(joint: Joint, moles: tuple, elapsed_s: float) -> tuple[tuple, float]:
    """The moles of each gas [mol] left of a bubble of ``moles`` after ``elapsed_s`` [s]
    in ``joint`` at rest, and that bubble's radius [m]; ``((), 0.0)`` for no bubble."""
    if not moles:
        return (), 0.0
    fluid = joint.fluid
    gases = [gas[1:] for gas in dissolved_gases(fluid)]
    at_rest = {"p_liquid": joint.capsule.rest_pressure_pa, "sigma": fluid.surface_tension_n_m,
               "p_vapour": fluid.vapour_pressure_pa}
    left = bubble.residual_moles(moles, gases, elapsed_s, **at_rest)
    return left, bubble.residual_radius(left, gases, 0.0, **at_rest)


def recrack_time_s(joint: Joint = KNUCKLE, loading: Loading | None = None, *,
                   resolution_s: float = 30.0, longest_s: float = 6.0 * 3600.0,
                   **simulate_options: Any) -> float:
    """How long after a crack the joint cracks again [s]: the refractory period as it
    is observed (Unsworth 1971 pulled again until the joint cracked).

    A first pull at 0, then a second at a later start, found by bisection: the
    earliest start [s] at which the second pull cracks, within ``resolution_s`` [s].
    It is shorter than the time the gas takes to dissolve: a small residual bubble
    gives way, and the joint cracks, before the last of it is gone.

    Its cost is bounded: ``2 + ceil(log2((longest_s - pull) / resolution_s))``
    simulations (12 with the defaults), each within :func:`cavitation.simulate`'s
    budget (:data:`cavitation.bubble.BUDGET_S` per phase, or an ``IntegrationError``).

    Parameters
    ----------
    joint, loading :
        As :func:`repeated_pulls`.
    resolution_s : float, optional
        Width of the final bracket [s].
    longest_s : float, optional
        The latest start tried [s]; ``inf`` is returned if the joint has not cracked
        again by then.
    **simulate_options :
        Passed to :func:`cavitation.simulate` (``geometry``, ``after_crack_s``, ...).
    """
    loading = RampAndHold() if loading is None else loading
    check_range("resolution_s", resolution_s, "s", 0.0, math.inf, low_open=True)
    # The second pull starts after the first has ended: no earlier start is tried.
    check_range("longest_s", longest_s, "s", loading.duration_s, math.inf, low_open=True)
    first = simulate(joint, loading, **simulate_options)
    if not first.cracked:
        raise ValueError("recrack_time_s: the first pull does not crack the joint")
    gas, crack_s = first.summary.residual_gas_mol, first.summary.crack_time_s

    def cracks_again(start_s: float) -> bool:  # the second pull of repeated_pulls
        residual = _gas_left(joint, gas, start_s - crack_s)[1]
        return simulate(joint, loading, residual_radius_m=residual, **simulate_options).cracked

    low, high = loading.duration_s, longest_s
    if not cracks_again(high):
        return math.inf
    while high - low > resolution_s:
        middle = 0.5 * (low + high)
        low, high = (low, middle) if cracks_again(middle) else (middle, high)
    return high
