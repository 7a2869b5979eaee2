"""Sound radiated by the cavity: a pulsating sphere seen from a distance.

A cavity whose volume ``V(t)`` changes radiates, at a distance ``r`` much larger than
its radius, the monopole pressure

.. math:: p(r, t) = \\frac{\\rho \\ddot V}{4\\pi r}
          = \\frac{\\rho (R^2 \\ddot R + 2 R \\dot R^2)}{r}

(Brennen 1995, eq. 2.47; ../shared/REFERENCES.md). Two forms:

- ``"incompressible"``: the liquid is incompressible, so the listener feels the source
  at once;
- ``"retarded"``: with a finite sound speed ``c`` the same source reaches the listener
  ``(r - R) / c`` later (the quasi-acoustic approximation, Gilmore 1952).

The cavity's *formation* (growth from the nucleus to its first maximum, Kawchuk et al.
2015) and its *collapse* (from the first maximum on, Unsworth et al. 1971; Chandran
Suja & Barakat 2018) are the two halves of one simulated volume history. ``source``
picks one of them or both, with a raised-cosine crossfade between them so that the
choice adds no click of its own. The choice is made on the source, the volume
acceleration ``V''`` at the time it is emitted; every listener then hears that one
signal, each with its own delay and spreading.
"""

from __future__ import annotations

import numpy as np

from .bubble import FloatOrArray
from .parameters import check_choice

__all__ = [
    "FORMS",
    "SOURCES",
    "monopole_pressure",
    "radiated_pressure",
    "source_weight",
    "volume_acceleration",
]

FORMS = ("retarded", "incompressible")
"""Names of the radiation forms."""

SOURCES = ("full", "collapse", "formation")
"""Names of the sound-source mechanisms: the whole volume history, or one phase."""

#: Crossfade between formation and collapse, as a fraction of the growth time.
CROSSFADE_FRACTION = 0.2


def volume_acceleration(R: FloatOrArray, Rdot: FloatOrArray,
                        Rddot: FloatOrArray) -> FloatOrArray:
    """Second time derivative of the cavity volume, ``4 pi (R^2 Rddot + 2 R Rdot^2)``.

    Parameters
    ----------
    R, Rdot, Rddot : float or ndarray
        Radius [m], wall velocity [m/s], wall acceleration [m/s^2].

    Returns
    -------
    float or ndarray
        ``V''`` [m^3/s^2].
    """
    return 4.0 * np.pi * (R**2 * Rddot + 2.0 * R * Rdot**2)


def monopole_pressure(R: FloatOrArray, Rdot: FloatOrArray, Rddot: FloatOrArray, *,
                      distance_m: float, density_kg_m3: float) -> FloatOrArray:
    """Incompressible monopole pressure ``rho (R^2 Rddot + 2 R Rdot^2) / r`` [Pa].

    Parameters
    ----------
    R, Rdot, Rddot : float or ndarray
        Radius [m], wall velocity [m/s], wall acceleration [m/s^2].
    distance_m : float
        Distance from the cavity's centre to the listener [m].
    density_kg_m3 : float
        Density of the medium [kg/m^3].
    """
    return density_kg_m3 * (R**2 * Rddot + 2.0 * R * Rdot**2) / distance_m


def source_weight(t: np.ndarray, source: str, t_nucleation_s: float,
                  t_max_radius_s: float) -> np.ndarray:
    """Weight [-] that selects the formation or the collapse phase of the cavity.

    Parameters
    ----------
    t : ndarray
        Emission times [s].
    source : {"full", "collapse", "formation"}
        Which phase radiates.
    t_nucleation_s, t_max_radius_s : float
        Nucleation and first maximum of the radius [s].

    Returns
    -------
    ndarray
        1 where the chosen phase radiates, 0 where it does not, with a raised-cosine
        crossfade of ``CROSSFADE_FRACTION`` of the growth time centred on the maximum.
    """
    check_choice("source", source, SOURCES)
    if source == "full":
        return np.ones_like(t)
    width = CROSSFADE_FRACTION * (t_max_radius_s - t_nucleation_s)
    x = np.clip((t - (t_max_radius_s - 0.5 * width)) / width, 0.0, 1.0)
    rising = 0.5 - 0.5 * np.cos(np.pi * x)
    return rising if source == "collapse" else 1.0 - rising


def radiated_pressure(t: np.ndarray, volume_accel_m3_s2: np.ndarray, *, distance_m: float,
                      density_kg_m3: float, sound_speed_m_s: float,
                      form: str = "retarded", source_radius_m: np.ndarray | float = 0.0,
                      ) -> np.ndarray:
    """Pressure of a monopole source heard at ``distance_m`` [Pa].

    Parameters
    ----------
    t : ndarray
        Increasing sample times [s].
    volume_accel_m3_s2 : ndarray
        The source, ``V''`` at emission time [m^3/s^2] (already weighted by
        :func:`source_weight` if one phase is chosen).
    distance_m : float
        Distance from the source's centre to the listener [m].
    density_kg_m3 : float
        Density of the medium between source and listener [kg/m^3].
    sound_speed_m_s : float
        Sound speed of that medium [m/s] (``"retarded"`` form).
    form : {"retarded", "incompressible"}, optional
        With the delay ``(r - R) / c``, or heard at once.
    source_radius_m : ndarray or float, optional
        Radius of the source at ``t`` [m]; the sound leaves from its surface.

    Returns
    -------
    ndarray
        ``rho V''(t - (r - R) / c) / (4 pi r)`` [Pa], zero before the source starts.

    Notes
    -----
    The emission time ``tau`` solves ``t = tau + (r - R(tau)) / c``; taking ``R(t)``
    for ``R(tau)`` errs by ``O(Rdot / c)``, the order the quasi-acoustic form neglects.
    """
    check_choice("radiation form", form, FORMS)
    pressure = density_kg_m3 * volume_accel_m3_s2 / (4.0 * np.pi * distance_m)
    if form == "incompressible":
        return pressure
    emitted = t - (distance_m - source_radius_m) / sound_speed_m_s
    return np.interp(emitted, t, pressure, left=0.0)
