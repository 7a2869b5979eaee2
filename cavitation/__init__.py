"""cavitation: the audible crack of a synovial joint, from pull to sound.

The chain, one module per stage: :mod:`~cavitation.joint` (mechanics and loading),
:mod:`~cavitation.fluid` (synovial fluid and capsule), :mod:`~cavitation.bubble` (the
cavity), :mod:`~cavitation.radiation` (the pressure it radiates),
:mod:`~cavitation.listener` (skin or air) and :mod:`~cavitation.audio` (sound), joined
by :func:`~cavitation.simulation.simulate` and :func:`~cavitation.render.render`;
:mod:`~cavitation.io` and :mod:`~cavitation.plot` write the files;
:func:`~cavitation.explore.explore` puts it all under sliders in a notebook.
"""

from importlib.metadata import PackageNotFoundError, version

from .explore import explore
from .joint import KNUCKLE, Joint, RampAndHold, Thrust
from .parameters import replace
from .render import Rendering, render, save
from .simulation import CrackResult, simulate

try:
    __version__ = version("cavitation")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = ["KNUCKLE", "CrackResult", "Joint", "RampAndHold", "Rendering", "Thrust",
           "__version__", "explore", "render", "replace", "save", "simulate"]
