"""Named joints with their typical loading.

A preset is a joint and the way it is usually loaded; each parameter of the joint
cites its source or states its assumption in :mod:`cavitation.joint`,
:mod:`cavitation.fluid` and :mod:`cavitation.listener`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .joint import KNUCKLE, Joint, Loading, RampAndHold

__all__ = ["PRESETS", "Preset", "get_preset"]


@dataclass(frozen=True)
class Preset:
    """A named joint and its loading.

    Attributes
    ----------
    name : str
        Short name, also the output file stem.
    description : str
        One line for listings.
    joint : Joint
        The joint's parameters.
    loading : Loading
        Its usual loading.
    """

    name: str
    description: str
    joint: Joint
    loading: Loading


PRESETS: dict[str, Preset] = {
    "knuckle": Preset(
        name="knuckle",
        description="metacarpophalangeal joint of a finger, pulled to 60 N over 0.6 s",
        joint=KNUCKLE,
        loading=RampAndHold(peak_force_n=60.0, ramp_time_s=0.6, hold_time_s=0.4),
    ),
}
"""Every preset, by name."""


def get_preset(name: str) -> Preset:
    """The preset called ``name``; ``ValueError`` listing the presets if there is none."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; valid choices: {', '.join(PRESETS)}")
    return PRESETS[name]
