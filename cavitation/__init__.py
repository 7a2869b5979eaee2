"""cavitation: the audible crack of a synovial joint, from pull to sound.

The chain, one module per stage: :mod:`~cavitation.joint` (mechanics and loading),
:mod:`~cavitation.fluid` (synovial fluid and capsule), :mod:`~cavitation.bubble` (the
cavity), :mod:`~cavitation.radiation` (the pressure it radiates), joined by
:func:`simulate`.
"""

from importlib.metadata import PackageNotFoundError, version

from .joint import KNUCKLE, Joint, RampAndHold, Thrust
from .parameters import replace
from .simulation import CrackResult, simulate

try:
    __version__ = version("cavitation")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = ["KNUCKLE", "CrackResult", "Joint", "RampAndHold", "Thrust", "__version__",
           "replace", "simulate"]
