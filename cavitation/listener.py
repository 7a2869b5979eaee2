"""From the cavity to the listener: a sensor on the skin, or a microphone in air.

Three listeners hear the same simulated cavity, each in its own unit:

- ``"contact"``: a skin microphone over the joint, taken as a pressure sensor in tissue.
  It feels the cavity's monopole pressure
  (:func:`cavitation.radiation.monopole_pressure`) at the depth of the joint below the
  skin [Pa], shaped by the body's transfer. Levels are in dB re 1 uPa, the reference
  for pressure in liquids (ISO 1683), not sound pressure levels in air.
- ``"accelerometer"``: an accelerometer stuck to the skin over the joint [m/s^2].
  At depth ``d`` the cavity is much closer than a wavelength (1.5 m at 1 kHz in
  tissue), so the tissue moves as an incompressible liquid: the flow ``V'`` spreads
  over spheres, ``u = V' / (4 pi d^2)``. The skin is a free surface (the air cannot
  push back), which doubles the normal motion there (an image source of opposite
  sign): the skin over the joint accelerates at ``a = V'' / (2 pi d^2)``, ``d / c``
  later. The sensor then rides the skin on the tissue's stiffness: a disc of radius
  ``a_s`` and mass ``m`` on a soft half-space, Lysmer's analogue (Lysmer & Richart
  1966): stiffness ``k = 4 G a_s / (1 - nu)`` and radiation damping
  ``c = 3.4 a_s^2 sqrt(rho G) / (1 - nu)`` with ``nu = 1/2``, a base-excited
  oscillator ``(c s + k) / (m s^2 + c s + k)``. Levels are in dB re 1 um/s^2
  (ISO 1683).
- ``"air"``: a microphone at a distance in air. Bone and soft tissue are nearly
  incompressible at these frequencies, so the cavity's volume change reaches the skin
  and pushes the air: the body radiates as a monopole of the cavity's volume
  (``rho_air V'' / (4 pi r)``, delayed by ``r / c_air``, spreading as ``1/r``),
  shaped by the same transfer.

Sound absorption in soft tissue is about 1 dB/cm/MHz, growing with frequency
(muscle 0.96-1.40, fat 0.63, skin 0.35 dB/cm at 1 MHz; bone 15), so over the 3-5 cm
from a facet joint to the skin it takes about 0.01 dB from a 2 kHz pop
(:func:`absorption_db`): the tissue's absorption does not shape the sound, and the
transfer leaves it out. The body's transfer (:class:`BodyTransfer`, one per joint) is
two damped modes in series, each a physical system rather than an equaliser:

- soft tissue: skin and subcutaneous tissue are a mass on the spring of the tissue
  beneath it, a second-order low-pass ``w_t^2 / (s^2 + 2 z_t w_t s + w_t^2)``;
- bone: the bone's lowest flexural mode, excited by the crack and adding a resonance
  ``1 + g 2 z_b w_b s / (s^2 + 2 z_b w_b s + w_b^2)`` (peak gain ``1 + g`` at ``w_b``).

Functions here take and return pressures in pascals on the simulation's time base;
:mod:`cavitation.audio` turns them into sound.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from . import _dsp
from .parameters import Parameters, check_choice, check_range, quantity
from .radiation import radiated_pressure

__all__ = [
    "AIR_DENSITY_KG_M3",
    "AIR_SOUND_SPEED_M_S",
    "LEVEL_REFERENCES",
    "LISTENERS",
    "UNITS",
    "Accelerometer",
    "BodyTransfer",
    "absorption_db",
    "body_filter",
    "delay_s",
    "listener_signal",
    "transfer_filter",
]

LISTENERS = ("air", "contact", "accelerometer")
"""Names of the listeners."""

UNITS = {"air": "Pa", "contact": "Pa", "accelerometer": "m/s^2"}
"""The unit of each listener's signal."""

LEVEL_REFERENCES = {"air": (20e-6, "20 uPa"), "contact": (1e-6, "1 uPa"),
                    "accelerometer": (1e-6, "1 um/s^2")}
"""What 0 dB is for each listener, in its unit, and how to write it (ISO 1683: 20 uPa
in air, 1 uPa in liquids and tissue, 1 um/s^2 for acceleration)."""

#: Sound absorption of soft tissue at 1 MHz [dB/cm], growing in proportion to frequency:
#: muscle 0.96-1.40, fat 0.63, skin 0.35 (PMC10001275, table 4); the muscle's upper end.
SOFT_TISSUE_ABSORPTION_DB_CM_MHZ = 1.4

AIR_DENSITY_KG_M3 = 1.204
"""Density of air at 20 degC and 1 atm [kg/m^3] (ISO 2533)."""

AIR_SOUND_SPEED_M_S = 343.2
"""Speed of sound in air at 20 degC [m/s]."""


class BodyTransfer(Parameters):
    """How a joint's tissues carry its sound to the skin: depth and two damped modes.

    Knuckle defaults; other joints set their own in their presets.
    """

    depth_m: float = quantity(
        5.0e-3, unit="m", low=4e-3, high=0.2,
        doc="depth of the cavity below the skin; the dorsal MCP is under skin and"
            " extensor hood, 3-5 mm (assumption); at least 4 mm, outside a knuckle cavity")
    tissue_mode_hz: float = quantity(
        5000.0, unit="Hz", low=20.0, high=40e3,
        doc="corner of the soft-tissue low-pass (skin mass on subcutaneous stiffness);"
            " thin dorsal finger tissue, assumption set so that a knuckle crack's energy"
            " stays mostly below 10 kHz (airborne recording, ../shared/REFERENCES.md)")
    tissue_damping_ratio: float = quantity(
        0.5, unit="1", low=0.05, high=2.0,
        doc="damping ratio of the soft-tissue mode; soft tissue is heavily damped"
            " (assumption)")
    bone_mode_hz: float = quantity(
        13e3, unit="Hz", low=20.0, high=40e3,
        doc="lowest flexural mode of the bone: a free-free beam 40 mm long, 8 mm across,"
            " E = 17 GPa, 1900 kg/m^3 (proximal phalanx) gives 13 kHz"
            " (f = 22.4/(2 pi) sqrt(E I / (rho A L^4)))")
    bone_damping_ratio: float = quantity(
        0.1, unit="1", low=0.01, high=1.0,
        doc="damping ratio of the bone mode, loaded by soft tissue (assumption)")
    bone_gain: float = quantity(
        0.5, unit="1", low=0.0, high=10.0,
        doc="extra gain of the bone resonance at its peak; 0 removes it (assumption)")


class Accelerometer(Parameters):
    """A skin-mounted accelerometer and the tissue it rides on (see the module notes)."""

    mass_kg: float = quantity(
        1.5e-3, unit="kg", low=1e-4, high=0.1,
        doc="mass of the sensor; a 1.5 g skin accelerometer follows the bone beneath it"
            " closely where a 34 g one rings on the soft tissue (skin-mounted"
            " accelerometer studies); the studies' sensors' masses were not found"
            " (assumption)")
    radius_m: float = quantity(
        5e-3, unit="m", low=1e-3, high=0.05,
        doc="radius of its base; 1 cm^3 accelerometers (Cramer et al. 2011, lumbar)")
    tissue_shear_modulus_pa: float = quantity(
        1.07e4, unit="Pa", low=100.0, high=1e7,
        doc="shear modulus of the tissue under it, rho c_s^2: shear waves at 3.2 m/s in"
            " the neck's trapezius (Ewertsen 2018, ultrasound elastography)")
    tissue_density_kg_m3: float = quantity(
        1050.0, unit="kg/m^3", low=500.0, high=3000.0, doc="density of soft tissue")

    @property
    def mount_stiffness_n_m(self) -> float:
        """Lysmer's vertical stiffness of a disc on an incompressible half-space [N/m]."""
        return 8.0 * self.tissue_shear_modulus_pa * self.radius_m

    @property
    def mount_damping_n_s_m(self) -> float:
        """Lysmer's radiation damping of the disc [N s/m]."""
        return 6.8 * self.radius_m**2 * math.sqrt(self.tissue_density_kg_m3
                                                  * self.tissue_shear_modulus_pa)

    @property
    def mount_frequency_hz(self) -> float:
        """Resonance of the sensor on the tissue [Hz]."""
        return math.sqrt(self.mount_stiffness_n_m / self.mass_kg) / (2.0 * math.pi)

    @property
    def mount_damping_ratio(self) -> float:
        """Damping ratio of that resonance [-]."""
        return self.mount_damping_n_s_m / (2.0 * math.sqrt(self.mount_stiffness_n_m
                                                           * self.mass_kg))


def absorption_db(frequency_hz: float | np.ndarray, depth_m: float) -> float | np.ndarray:
    """Sound absorbed by soft tissue over ``depth_m`` at ``frequency_hz`` [dB].

    ``SOFT_TISSUE_ABSORPTION_DB_CM_MHZ`` (1.4 dB/cm at 1 MHz), in proportion to frequency.
    """
    return SOFT_TISSUE_ABSORPTION_DB_CM_MHZ * (depth_m * 100.0) * (np.asarray(frequency_hz)
                                                                   / 1e6)


def _analog_sections(body: BodyTransfer) -> list[tuple[tuple[float, float, float],
                                                       tuple[float, float, float]]]:
    """The body's transfer ``H(s)`` (see module notes) as its two second-order factors,
    each ``(numerator, denominator)`` in powers ``s^2, s, 1``: the tissue's, then the
    bone's."""
    wt = 2.0 * math.pi * body.tissue_mode_hz
    zt = body.tissue_damping_ratio
    wb = 2.0 * math.pi * body.bone_mode_hz
    zb = body.bone_damping_ratio
    g = body.bone_gain
    tissue = (0.0, 0.0, wt**2), (1.0, 2.0 * zt * wt, wt**2)
    bone = (1.0, 2.0 * zb * wb * (1.0 + g), wb**2), (1.0, 2.0 * zb * wb, wb**2)
    return [tissue, bone]


def body_filter(body: BodyTransfer, samplerate_hz: float) -> np.ndarray:
    """The body's transfer as digital second-order sections at ``samplerate_hz``.

    Parameters
    ----------
    body : BodyTransfer
        The joint's tissue modes.
    samplerate_hz : float
        Sample rate [Hz]; use at least ten times the highest mode so the bilinear
        transform's frequency warping stays below 1 %.

    Returns
    -------
    ndarray
        Second-order sections (rows ``[b0, b1, b2, 1, a1, a2]``, as
        ``scipy.signal.sosfilt`` takes them), one per factor; gain 1 at 0 Hz. The
        design is cached: a sweep hears one body many times.
    """
    return _body_filter(body, float(samplerate_hz)).copy()


@functools.lru_cache(maxsize=64)
def _body_filter(body: BodyTransfer, samplerate_hz: float) -> np.ndarray:
    return np.array([_dsp.bilinear_biquad(num, den, samplerate_hz)
                     for num, den in _analog_sections(body)])


def transfer_filter(listener: str, body: BodyTransfer, samplerate_hz: float,
                    accelerometer: Accelerometer | None = None) -> np.ndarray:
    """The listener's whole transfer as second-order sections at ``samplerate_hz``.

    The body's modes (:func:`body_filter`), and for the accelerometer its mount on the
    tissue (see the module notes).
    """
    sos = body_filter(body, samplerate_hz)
    if listener != "accelerometer":
        return sos
    sensor = Accelerometer() if accelerometer is None else accelerometer
    return np.vstack([sos, _mount_filter(sensor, float(samplerate_hz))])


@functools.lru_cache(maxsize=16)
def _mount_filter(sensor: Accelerometer, samplerate_hz: float) -> np.ndarray:
    num = (0.0, sensor.mount_damping_n_s_m, sensor.mount_stiffness_n_m)
    den = (sensor.mass_kg, sensor.mount_damping_n_s_m, sensor.mount_stiffness_n_m)
    return _dsp.bilinear_biquad(num, den, samplerate_hz)[np.newaxis]


def body_response(body: BodyTransfer, frequencies_hz: np.ndarray) -> np.ndarray:
    """Complex analog response of the body's transfer at ``frequencies_hz`` [Hz]."""
    s = 2j * math.pi * np.asarray(frequencies_hz, dtype=float)
    response = np.ones(s.shape, dtype=complex)
    for num, den in _analog_sections(body):
        response *= np.polyval(num, s) / np.polyval(den, s)
    return response


def delay_s(listener: str, body: BodyTransfer, fluid_sound_speed_m_s: float,
            air_distance_m: float = 0.1) -> float:
    """How long the sound takes from the cavity to the listener [s]: through the tissue
    to the skin (``depth / c``), and for the air listener on through the air
    (``r / c_air``). The contact listener's retarded time is shorter by the cavity's
    radius over ``c``."""
    check_choice("listener", listener, LISTENERS)
    tissue = body.depth_m / fluid_sound_speed_m_s
    return tissue + (air_distance_m / AIR_SOUND_SPEED_M_S if listener == "air" else 0.0)


def listener_signal(
    t_s: np.ndarray,
    volume_accel_m3_s2: np.ndarray,
    radius_m: np.ndarray,
    *,
    listener: str,
    fluid_density_kg_m3: float,
    fluid_sound_speed_m_s: float,
    body: BodyTransfer,
    air_distance_m: float = 0.1,
) -> np.ndarray:
    """The listener's signal before its filter, on the time base ``t_s``.

    Parameters
    ----------
    t_s : ndarray
        Increasing sample times [s].
    volume_accel_m3_s2 : ndarray
        The source, the cavity's ``V''`` at emission time [m^3/s^2]
        (``CrackResult.source_volume_accel_m3_s2``, weighted to the chosen phase).
    radius_m : ndarray
        Cavity radius [m].
    listener : {"air", "contact", "accelerometer"}
        Microphone in air, microphone on the skin, or accelerometer on the skin.
    fluid_density_kg_m3, fluid_sound_speed_m_s : float
        Density [kg/m^3] and sound speed [m/s] of the fluid and tissue around the cavity.
    body : BodyTransfer
        Depth of the cavity below the skin.
    air_distance_m : float, optional
        Distance from the joint to the microphone [m], in [0.01, 100] (air listener).

    Returns
    -------
    ndarray
        Pressure [Pa] in tissue at the skin's depth (contact) or in air (air); the skin's
        acceleration [m/s^2] (accelerometer).
    """
    check_choice("listener", listener, LISTENERS)
    if listener == "contact":
        return radiated_pressure(t_s, volume_accel_m3_s2, distance_m=body.depth_m,
                                 density_kg_m3=fluid_density_kg_m3,
                                 sound_speed_m_s=fluid_sound_speed_m_s, source_radius_m=radius_m)
    # The cavity's V'' as it reaches the skin, through the tissue's near field.
    at_skin = np.interp(t_s - body.depth_m / fluid_sound_speed_m_s, t_s, volume_accel_m3_s2,
                        left=0.0)
    if listener == "accelerometer":
        return at_skin / (2.0 * math.pi * body.depth_m**2)
    r = check_range("air_distance_m", air_distance_m, "m", 0.01, 100.0)
    return radiated_pressure(t_s, at_skin, distance_m=r, density_kg_m3=AIR_DENSITY_KG_M3,
                             sound_speed_m_s=AIR_SOUND_SPEED_M_S)
