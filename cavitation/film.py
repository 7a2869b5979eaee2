"""The synovial film between the articular surfaces: lubrication flow and its tension.

The surfaces are two parallel discs of contact radius ``a`` (from the contact area,
``a = sqrt(A / pi)``) a gap ``h`` apart. The film between them is thin (``h << a``),
so its flow is radial and follows the Reynolds (lubrication) equation: at each radius
the pressure gradient drives a plane Poiseuille flow of mean velocity ``u``,

.. math:: \\partial p / \\partial r = -\\rho\\, Du/Dt - 12 \\mu u / h^2 .

Closed forms of this equation, each used and tested by the package:

- **Stefan adhesion** (Stefan 1874; any lubrication text, e.g. Hamrock, *Fundamentals
  of Fluid Film Lubrication*): surfaces separating at ``h'`` draw liquid in from the
  rim, and the film pulls back with ``F = 3 pi mu a^4 h' / (2 h^3)``. Its pressure is
  lowest at the centre, ``3 mu a^2 h' / h^3`` below the rim's: the negative squeeze
  film, the tension that nucleates a cavity between separating surfaces.
- **Radial Hele-Shaw flow** between radii ``b`` and ``a``: a volume flow ``Q`` costs
  ``6 mu ln(a/b) / (pi h^3)`` of pressure per unit flow (the film's resistance), and its
  acceleration ``rho ln(a/b) / (2 pi h)`` per unit volume acceleration (its inertance).

Synovial fluid is shear-thinning (hyaluronan). Its viscosity follows the Carreau law
(Carreau 1972, Trans Soc Rheol 16:99; Bird, Armstrong & Hassager, *Dynamics of
Polymeric Liquids*, 1987),

.. math:: \\mu(\\dot\\gamma) = \\mu_\\infty + (\\mu_0 - \\mu_\\infty)
          \\left[1 + (\\lambda \\dot\\gamma)^2\\right]^{(n - 1)/2},

taken at the film's own shear rate (:func:`film_shear_rate`). Its constants are in
:class:`cavitation.fluid.SynovialFluid`.
"""

from __future__ import annotations

import math

__all__ = [
    "carreau_viscosity",
    "central_tension",
    "contact_radius",
    "film_shear_rate",
    "radial_inertance",
    "radial_resistance",
    "stefan_force",
]


def contact_radius(area_m2: float) -> float:
    """Radius [m] of the disc of contact area ``area_m2`` [m^2]."""
    return math.sqrt(area_m2 / math.pi)


def stefan_force(radius_m: float, gap_m: float, gap_rate_m_s: float,
                 viscosity_pa_s: float) -> float:
    """Force [N] with which a cavity-free film resists separation at ``gap_rate_m_s``.

    Parameters
    ----------
    radius_m : float
        Contact radius ``a`` [m].
    gap_m : float
        Gap ``h`` [m].
    gap_rate_m_s : float
        Rate of separation ``h'`` [m/s]; positive when opening.
    viscosity_pa_s : float
        Viscosity of the film [Pa s].

    Returns
    -------
    float
        ``3 pi mu a^4 h' / (2 h^3)`` [N], pulling the surfaces together when positive.
    """
    return 3.0 * math.pi * viscosity_pa_s * radius_m**4 * gap_rate_m_s / (2.0 * gap_m**3)


def central_tension(radius_m: float, gap_m: float, gap_rate_m_s: float,
                    viscosity_pa_s: float) -> float:
    """Viscous pressure drop [Pa] from the rim to the centre of a separating film.

    ``3 mu a^2 h' / h^3``: the centre is this far below the rim's pressure (parameters
    as :func:`stefan_force`).
    """
    return 3.0 * viscosity_pa_s * radius_m**2 * gap_rate_m_s / gap_m**3


def radial_resistance(inner_m: float, outer_m: float, gap_m: float,
                      viscosity_pa_s: float) -> float:
    """Viscous resistance [Pa s/m^3] of radial flow through a film between two radii.

    ``6 mu ln(b/a) / (pi h^3)`` for the flow between ``inner_m`` (``a``) and
    ``outer_m`` (``b``) in a gap ``gap_m`` [m].
    """
    return 6.0 * viscosity_pa_s * math.log(outer_m / inner_m) / (math.pi * gap_m**3)


def radial_inertance(inner_m: float, outer_m: float, gap_m: float,
                     density_kg_m3: float) -> float:
    """Inertance [kg/m^4] of radial flow through a film between two radii.

    ``rho ln(b/a) / (2 pi h)``: the pressure drop per unit volume acceleration of the
    film's liquid (plug flow), with ``a``, ``b`` and ``h`` as in
    :func:`radial_resistance`.
    """
    return density_kg_m3 * math.log(outer_m / inner_m) / (2.0 * math.pi * gap_m)


def carreau_viscosity(shear_rate_1_s, zero_shear_pa_s, infinite_shear_pa_s, time_s, index):
    """Carreau viscosity [Pa s] at ``shear_rate_1_s`` [1/s] (equation in the module notes).

    ``zero_shear_pa_s`` and ``infinite_shear_pa_s`` are the plateaus [Pa s],
    ``time_s`` the time constant ``lambda`` [s] and ``index`` the power index ``n``
    [-]. Plain arithmetic: numba compiles this very function for the confined cavity.
    """
    thinning = (1.0 + (time_s * shear_rate_1_s) ** 2) ** (0.5 * (index - 1.0))
    return infinite_shear_pa_s + (zero_shear_pa_s - infinite_shear_pa_s) * thinning


def film_shear_rate(unit_dissipation_w, film_volume_m3):
    """Representative shear rate [1/s] of a film flow.

    The rate whose square, times the viscosity and the film's volume, is the flow's
    viscous dissipation: ``sqrt(P_1 / V_film)`` with ``P_1`` the dissipation [W] the
    same flow would have at a viscosity of 1 Pa s. For plane Poiseuille flow it is the
    root mean square of the local shear rate, ``sqrt(12) u / h``.
    """
    if film_volume_m3 <= 0.0 or unit_dissipation_w <= 0.0:
        return 0.0
    return math.sqrt(unit_dissipation_w / film_volume_m3)
