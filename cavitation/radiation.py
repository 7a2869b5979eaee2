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
choice adds no click of its own.
"""

from __future__ import annotations

import numpy as np

from .bubble import FloatOrArray

__all__ = [
    "FORMS",
    "SOURCES",
    "check_choice",
    "monopole_pressure",
    "radiated_pressure",
    "retarded_pressure",
    "source_weight",
]

FORMS = ("retarded", "incompressible")
"""Names of the radiation forms."""

SOURCES = ("full", "collapse", "formation")
"""Names of the sound-source mechanisms: the whole volume history, or one phase."""

#: Crossfade between formation and collapse, as a fraction of the growth time.
CROSSFADE_FRACTION = 0.2


def check_choice(kind: str, value: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise ``ValueError``."""
    if value not in choices:
        raise ValueError(f"unknown {kind} {value!r}; valid choices: {', '.join(choices)}")
    return value


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
        Density of the liquid [kg/m^3].
    """
    return density_kg_m3 * (R**2 * Rddot + 2.0 * R * Rdot**2) / distance_m


def retarded_pressure(t: np.ndarray, R: np.ndarray, Rdot: np.ndarray, Rddot: np.ndarray,
                      *, distance_m: float, density_kg_m3: float,
                      sound_speed_m_s: float) -> np.ndarray:
    """Monopole pressure at the listener with the delay ``(r - R) / c`` [Pa].

    Parameters
    ----------
    t : ndarray
        Increasing sample times [s].
    R, Rdot, Rddot : ndarray
        Radius [m], wall velocity [m/s], wall acceleration [m/s^2] at ``t``.
    distance_m : float
        Distance from the cavity's centre to the listener [m].
    density_kg_m3 : float
        Density of the liquid [kg/m^3].
    sound_speed_m_s : float
        Sound speed of the liquid [m/s].

    Notes
    -----
    The emission time ``tau`` solves ``t = tau + (r - R(tau)) / c``; taking ``R(t)``
    for ``R(tau)`` errs by ``O(Rdot / c)``, the order the quasi-acoustic form neglects.
    Before the first sample the source is taken as it was at the first sample.
    """
    source = monopole_pressure(R, Rdot, Rddot, distance_m=distance_m,
                               density_kg_m3=density_kg_m3)
    emitted = t - (distance_m - R) / sound_speed_m_s
    return np.interp(emitted, t, source)


def source_weight(t: np.ndarray, source: str, t_nucleation_s: float,
                  t_max_radius_s: float) -> np.ndarray:
    """Weight [-] that selects the formation or the collapse phase of the cavity.

    Parameters
    ----------
    t : ndarray
        Sample times [s].
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


def radiated_pressure(t: np.ndarray, R: np.ndarray, Rdot: np.ndarray, Rddot: np.ndarray,
                      *, distance_m: float, density_kg_m3: float,
                      sound_speed_m_s: float, form: str = "retarded") -> np.ndarray:
    """Pressure radiated to ``distance_m`` [Pa] in the chosen ``form`` (see module notes)."""
    check_choice("radiation form", form, FORMS)
    if form == "incompressible":
        return monopole_pressure(R, Rdot, Rddot, distance_m=distance_m,
                                 density_kg_m3=density_kg_m3)
    return retarded_pressure(t, R, Rdot, Rddot, distance_m=distance_m,
                             density_kg_m3=density_kg_m3, sound_speed_m_s=sound_speed_m_s)
