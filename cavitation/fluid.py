"""The synovial fluid and the capsule that holds it.

The capsule is closed and the fluid nearly incompressible, so the fluid pressure
follows from volume conservation. When the joint space grows by ``A (h - h0)`` and the
cavity does not fill it, the capsule is sucked in and the pressure falls:

.. math:: p = p_\\mathrm{rest} - \\Delta V / C,
          \\qquad \\Delta V = A (h - h_0) - V_\\mathrm{cavity}

with ``C`` the capsule's compliance [m^3/Pa]. The capsule is viscoelastic: a resistance
``R_c`` [Pa s/m^3] in parallel with the compliance (a Kelvin-Voigt wall) adds
``- R_c dDelta V/dt``. It is what damps the ringing of the cavity against the capsule:
the sound cannot leave a closed joint as it would leave an unbounded liquid.

The ``"stiffening"`` law replaces ``Delta V / C`` by ``(V_s / C) sinh(Delta V / V_s)``:
the same compliance near rest, a capsule that grows stiffer as it is stretched or
pushed out. Measured joint pressure-volume curves are exponential rather than linear
(equine midcarpal joint, ``p = a exp(b V) - c``; Knight & Levick 1982, J Physiol
328:403, for the rabbit knee above and below atmospheric pressure); their constants
for a finger joint are not known, so the law's shape is an assumption.
"""

from __future__ import annotations

from dataclasses import field

import numpy as np

from .constants import ATMOSPHERIC_PRESSURE_PA
from .parameters import Parameters, check_choice, quantity

__all__ = ["CAPSULE_LAWS", "Capsule", "SynovialFluid", "capsule_pressure", "check_law",
           "dissolved_gases",
           "pressure_law", "pressure_law_rate"]

CAPSULE_LAWS = ("linear", "stiffening")
"""Names of the capsule pressure-volume laws."""


def check_law(law: str) -> str:
    """Return ``law`` if it names a capsule law, else raise ``ValueError``."""
    return check_choice("capsule law", law, CAPSULE_LAWS)


class SynovialFluid(Parameters):
    """Properties of synovial fluid at body temperature (37 degC).

    Defaults from ../shared/REFERENCES.md ("Fluid and gas properties") unless stated.
    """

    density_kg_m3: float = quantity(
        1010.0, unit="kg/m^3", low=900.0, high=1200.0,
        doc="density; synovial fluid 1000-1010 kg/m^3 (upper end: proteins, hyaluronan)")
    viscosity_pa_s: float = quantity(
        0.03, unit="Pa s", low=0.0, high=10.0,
        doc="dynamic viscosity at the cavity wall's shear rates (>1e3 1/s), where the"
            " shear-thinning fluid is at 0.01-0.1 Pa s; 0.03 Pa s assumed mid-range."
            " The film's Carreau law tends to it at high shear (its infinite-shear"
            " plateau)")
    zero_shear_viscosity_pa_s: float = quantity(
        3.0, unit="Pa s", low=0.0, high=100.0,
        doc="viscosity at rest (Carreau's zero-shear plateau) of the film's shear-thinning"
            " flow; synovial fluid is about 1-10 Pa s at rest: 3 Pa s assumed")
    shear_thinning_time_s: float = quantity(
        1.0, unit="s", low=0.0, high=100.0,
        doc="Carreau time constant: thinning starts near 1 /s; assumption, with the"
            " index below it puts the viscosity at 0.15 Pa s at 100 /s and 0.05 Pa s"
            " at 1000 /s, near synovial fluid's 0.01-0.1 Pa s at 100-1000 /s")
    shear_thinning_index: float = quantity(
        0.3, unit="1", low=0.05, high=1.0,
        doc="Carreau power index n (1 is Newtonian); assumption, see the time constant")
    surface_tension_n_m: float = quantity(
        0.05, unit="N/m", low=0.0, high=0.1,
        doc="surface tension; 0.05-0.07 N/m, lower end because phospholipids lower it")
    vapour_pressure_pa: float = quantity(
        6300.0, unit="Pa", low=0.0, high=50e3,
        doc="water vapour pressure at 37 degC, 6.3 kPa")
    sound_speed_m_s: float = quantity(
        1544.0, unit="m/s", low=100.0, high=5000.0,
        doc="sound speed in non-inflammatory synovial fluid, 1544 +- 1.5 m/s"
            " (J Formos Med Assoc 2001;100:631, PMID 11695281)")
    polytropic_exponent: float = quantity(
        1.29, unit="1", low=1.0, high=5.0 / 3.0,
        doc="polytropic exponent of the cavity gas: ratio of specific heats of CO2;"
            " adiabatic because the thermal diffusion length in 1 ms (0.1 mm) is much"
            " smaller than a mm-sized cavity")
    gas_tension_pa: float = quantity(
        6000.0, unit="Pa", low=0.0, high=2e5,
        doc="partial pressure of CO2 dissolved in the fluid, 5-7 kPa")
    gas_diffusivity_m2_s: float = quantity(
        2.0e-9, unit="m^2/s", low=1e-12, high=1e-7,
        doc="diffusivity of CO2 in the fluid at 37 degC, about 2e-9 m^2/s")
    nitrogen_tension_pa: float = quantity(
        75e3, unit="Pa", low=0.0, high=2e5,
        doc="partial pressure of N2 dissolved in the fluid: tissue nitrogen is in"
            " equilibrium with alveolar air, about 570 mmHg (physiology texts); not"
            " measured in synovial fluid (assumption). 0 leaves nitrogen out")
    nitrogen_ostwald_coefficient: float = quantity(
        0.014, unit="1", low=1e-4, high=1.0,
        doc="Ostwald solubility of N2 in water at 37 degC (Bunsen coefficient about"
            " 0.0123 times T / 273.15); textbook value, unverified for synovial fluid")
    nitrogen_diffusivity_m2_s: float = quantity(
        2.5e-9, unit="m^2/s", low=1e-12, high=1e-7,
        doc="diffusivity of N2 in water at 37 degC, about 2.5e-9 m^2/s (2.0e-9 at 25"
            " degC); textbook value, unverified for synovial fluid")
    ostwald_coefficient: float = quantity(
        0.62, unit="1", low=1e-4, high=10.0,
        doc="Ostwald solubility of CO2 (dissolved over gas concentration): Henry"
            " solubility 2.4e-4 mol/(m^3 Pa) at 37 degC (Sander 2015, extrapolated"
            " with its temperature coefficient) times R T")


class Capsule(Parameters):
    """The joint capsule: compliance, resting pressure and pressure-volume law."""

    compliance_m3_pa: float = quantity(
        1.5e-13, unit="m^3/Pa", low=1e-15, high=1e-10,
        doc="volume compliance near rest; knuckle assumption chosen so that 0.2 mm of"
            " opening before the crack lowers the pressure by 0.2 MPa")
    rest_pressure_gauge_pa: float = quantity(
        -670.0, unit="Pa", low=-20e3, high=0.0,
        doc="resting pressure relative to atmosphere; -5 mmHg, human knee (Wood,"
            " Ferrell & Baxendale 1988): no figure for the MCP is known")
    stiffening_volume_m3: float = quantity(
        5.0e-8, unit="m^3", low=1e-10, high=1e-5,
        doc="volume change over which the 'stiffening' law departs from linear by"
            " sinh(1) = 1.18; assumption (a third of the knuckle's cavity volume)")
    resistance_pa_s_m3: float = quantity(
        0.0, unit="Pa s/m^3", low=0.0, high=1e10,
        doc="viscous resistance of the capsule wall itself; no measurement was found, so"
            " 0: the flow through the film and the recess's layer damps the ringing"
            " (confined cavity). Until version 0.4 it was fitted (2e7-3e7) to Dunning"
            " 2013's pop duration; the sphere needs it (try 3e7), having no recess")
    fluid_volume_m3: float = quantity(
        1e-7, unit="m^3", low=1e-8, high=1e-5,
        doc="synovial fluid in the joint, lining the capsule's recess beyond the"
            " contact's rim (confined cavity only): it sets the thickness of that layer"
            " (Joint.recess_gap_m). 0.1 ml assumed for a small joint, whose aspiration"
            " when healthy yields little more than a trace; not measured for these joints")
    recess_length_m: float = quantity(
        5e-3, unit="m", low=0.0, high=0.05,
        doc="how far the capsule's recess reaches beyond the contact's rim, radially"
            " (confined cavity only); 5 mm assumed. 0: no layer, the liquid beyond the"
            " rim moves as the near field of a sphere of the contact's radius")
    law: str = field(default="linear", metadata={
        "doc": "pressure-volume law: 'linear' (constant compliance) or 'stiffening'"
               " (sinh); linear by default, as no finger-joint curve is known"})

    def __post_init__(self) -> None:
        super().__post_init__()
        check_law(self.law)

    @property
    def rest_pressure_pa(self) -> float:
        """Absolute resting pressure of the fluid [Pa]."""
        return ATMOSPHERIC_PRESSURE_PA + self.rest_pressure_gauge_pa


def dissolved_gases(fluid: SynovialFluid) -> tuple[tuple[str, float, float, float], ...]:
    """The gases dissolved in ``fluid``: ``(name, tension [Pa], Ostwald coefficient [-],
    diffusivity [m^2/s])`` for CO2 and N2 (N2 left out at zero tension)."""
    gases = [("CO2", fluid.gas_tension_pa, fluid.ostwald_coefficient,
              fluid.gas_diffusivity_m2_s)]
    if fluid.nitrogen_tension_pa > 0.0:
        gases.append(("N2", fluid.nitrogen_tension_pa, fluid.nitrogen_ostwald_coefficient,
                      fluid.nitrogen_diffusivity_m2_s))
    return tuple(gases)


def capsule_pressure(deformation_m3: float | np.ndarray, capsule: Capsule,
                     deformation_rate_m3_s: float | np.ndarray = 0.0) -> float | np.ndarray:
    """Fluid pressure in the capsule [Pa, absolute].

    Parameters
    ----------
    deformation_m3 : float or ndarray
        Volume the fluid has lost to the opening joint: ``A (h - h0) - V_cavity`` [m^3].
    capsule : Capsule
        Compliance, resistance, resting pressure and law.
    deformation_rate_m3_s : float or ndarray, optional
        Rate of change of ``deformation_m3`` [m^3/s]; 0 for the static pressure.

    Returns
    -------
    float or ndarray
        Absolute pressure [Pa]; below zero is tension.
    """
    return pressure_law(deformation_m3, deformation_rate_m3_s, capsule.rest_pressure_pa,
                        capsule.compliance_m3_pa, capsule.resistance_pa_s_m3,
                        capsule.stiffening_volume_m3, capsule.law == "stiffening")


def pressure_law(deformation_m3, deformation_rate_m3_s, rest_pressure_pa, compliance_m3_pa,
                 resistance_pa_s_m3, stiffening_volume_m3, stiffening):
    """:func:`capsule_pressure` on plain numbers: the one place the law is written.

    numba compiles this very function for :mod:`cavitation._compiled`. ``stiffening``
    is True for the ``"stiffening"`` law; the other arguments are as in
    :class:`Capsule` and :func:`capsule_pressure`, in SI units.
    """
    viscous = resistance_pa_s_m3 * deformation_rate_m3_s
    if stiffening:
        Vs = stiffening_volume_m3
        return (rest_pressure_pa - (Vs / compliance_m3_pa) * np.sinh(deformation_m3 / Vs)
                - viscous)
    return rest_pressure_pa - deformation_m3 / compliance_m3_pa - viscous


def pressure_law_rate(deformation_m3, deformation_rate_m3_s, deformation_accel_m3_s2,
                      compliance_m3_pa, resistance_pa_s_m3, stiffening_volume_m3, stiffening):
    """Rate of change [Pa/s] of :func:`pressure_law`'s pressure.

    ``deformation_accel_m3_s2`` is the deformation's second derivative [m^3/s^2] (or the
    part of it that is known: the caller adds the rest, ``-resistance_pa_s_m3`` per unit
    of it). The other arguments are as in :func:`pressure_law`; plain arithmetic,
    compiled by numba for :mod:`cavitation._compiled`.
    """
    slope = 1.0 / compliance_m3_pa
    if stiffening:
        slope *= np.cosh(deformation_m3 / stiffening_volume_m3)
    return -slope * deformation_rate_m3_s - resistance_pa_s_m3 * deformation_accel_m3_s2
