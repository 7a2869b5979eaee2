"""The cavity confined between the articular surfaces: a disc in the film, not a sphere.

The second geometry of the cavity stage (``geometry="confined"``; the sphere in an
unbounded liquid is :mod:`cavitation.bubble`). A nucleus at the centre of the film
(where the squeeze film's tension is largest, :mod:`cavitation.film`) grows as a
sphere until it touches both surfaces (radius ``h/2``), then spreads as a disc with a
round rim: a core of radius ``c`` and height ``h`` ringed by a half-torus of radius
``h/2``, of volume

.. math:: V = \\pi c^2 h + \\tfrac{\\pi^2}{4} c h^2 + \\tfrac{\\pi}{6} h^3,

and in-plane radius ``b = c + h/2``. The liquid it pushes aside flows through the film
(``b < r < a``) to the rim of the contact, and from there into the capsule's recesses.

The state is the gap ``h`` and the cavity's volume ``V``, with their rates. The
liquid's kinetic energy (lubrication flow in the film, plug profile; the near field of
the sphere; the recess) is a quadratic form ``T = 1/2 q'^T M(q) q'`` in
``q' = (h', V')``, with

- ``M_VV = rho ln(a/r_f) / (2 pi h) + rho/(4 pi) (1/R_s - 1/r_f) + rho / (4 pi a)``:
  the film's radial inertance from the film's inner radius ``r_f`` (``b`` for the
  disc, ``h/2`` for the sphere), the sphere's own near field while it is one
  (``R_s`` the equivalent sphere radius), and the recess beyond the rim, taken as
  the near field of a sphere of radius ``a`` (an assumption);
- ``M_hh = m + pi rho (a^4 - b^4) / (8 h) + A^2 rho / (4 pi a)``, the bone with the film
  it squeezes (Stefan's added mass, from the cavity's in-plane radius ``b``) and the
  recess;
- ``M_hV = -rho (a^2 - r_f^2) / (4 h) - A rho / (4 pi a)``.

Each is a kinetic energy integrated over a region of liquid (the film carries both
flows from ``r_f`` out, only the squeeze flow from ``b`` to ``r_f``), so ``M`` and the
losses below are positive definite whatever the state. Once the cavity is larger than
the contact (a gap wider than the contact, no film) the recess's radius is the
cavity's, ``rho / (4 pi R_s)``: Rayleigh-Plesset's sphere.

Viscous loss in the film is the quadratic form ``mu q'^T R q'`` with the radial
Hele-Shaw resistance ``R_VV = 6 ln(a/r_f) / (pi h^3)``, Stefan's
``R_hh = 3 pi (a^4 - b^4) / (2 h^3)`` and ``R_hV = -3 (a^2 - r_f^2) / h^3``; ``mu`` is the
Carreau viscosity at the film's shear rate. The cavity wall adds the sphere's normal
viscous stress, ``mu_inf V' / (pi R_s^3)`` (``4 mu R'/R``). Lagrange's equations then give
the accelerations, both ways coupled:

.. math:: M \\ddot q + \\dot M \\dot q - \\tfrac12 \\dot q^T (\\partial_q M) \\dot q = Q

with the generalised forces ``Q_h = F - k (h - h0) - c h' + A (p_c - p_rest) - ...``
and ``Q_V = p_B - p_c - ...`` (the viscous terms above), ``p_c`` the capsule's pressure
(:func:`cavitation.fluid.pressure_law` of ``A (h - h0) - V``) and ``p_B`` the cavity's
(gas, vapour, and surface tension ``sigma (2/h + 1/b)`` for the disc, ``2 sigma / R_s``
for the sphere). Energy is conserved exactly by this form: the work of the pull goes
into kinetic and elastic energy, the cavity's pressure-volume work and the viscous
losses (tested).

Where the gap is large against the cavity (``h > 2a``, no film), ``M_VV`` is
``rho / (4 pi R_s)`` and the equation of the cavity is Rayleigh-Plesset's. The liquid
is incompressible here: the radiation loss of the source, ``rho omega^2 / (4 pi c)``,
is about 1e4 Pa s/m^3 at 3 kHz, far below the film's resistance.

Every function is plain arithmetic on floats, compiled by numba for
:mod:`cavitation._compiled`; the Python versions are what the tests call.
"""

from __future__ import annotations

import math

from .film import carreau_viscosity, film_shear_rate

__all__ = ["accelerations", "centre_pressure", "in_plane_radius", "matrices", "recess", "shape",
           "wall_pressure"]


def shape(V, h, a):
    """The cavity's geometry at volume ``V`` [m^3] in a gap ``h`` [m] of radius ``a`` [m].

    Returns
    -------
    tuple of float
        ``(R_s, b, b_V, b_h, r_f, f_V, f_h, sphere)``: the equivalent sphere radius
        ``R_s`` [m]; ``b`` [m], the cavity's in-plane radius (the inner edge of the
        squeezed film), with its partial derivatives in ``V`` and ``h``; ``r_f`` [m],
        where the film's radial flow starts (``h/2`` while the cavity is a sphere,
        ``b`` once a disc), with its derivatives; ``sphere``, 1.0 while the cavity is
        a sphere that fits the gap. ``b`` and ``r_f`` are capped at ``a``.
    """
    R_s = (3.0 * V / (4.0 * math.pi)) ** (1.0 / 3.0) if V > 0.0 else 0.0
    if V <= math.pi * h**3 / 6.0:  # a sphere that fits the gap
        b, b_V, b_h = R_s, (1.0 / (4.0 * math.pi * R_s**2) if R_s > 0.0 else 0.0), 0.0
        r_f, f_V, f_h, sphere = 0.5 * h, 0.0, 0.5, 1.0
    else:  # a disc with a round rim: solve V(c) for its core radius c
        qa, qb = math.pi * h, 0.25 * math.pi**2 * h**2
        qc = math.pi * h**3 / 6.0 - V
        c = 2.0 * (-qc) / (qb + math.sqrt(qb * qb - 4.0 * qa * qc))
        dV_dc = 2.0 * math.pi * c * h + qb
        dV_dh = math.pi * c * c + 0.5 * math.pi**2 * h * c + 0.5 * math.pi * h * h
        b, b_V, b_h = c + 0.5 * h, 1.0 / dV_dc, 0.5 - dV_dh / dV_dc
        r_f, f_V, f_h, sphere = b, b_V, b_h, 0.0
    if b >= a:
        b, b_V, b_h = a, 0.0, 0.0
    if r_f >= a:
        r_f, f_V, f_h = a, 0.0, 0.0
    return R_s, b, b_V, b_h, r_f, f_V, f_h, sphere


def recess(R_s, a, rho, recess_gap, recess_length):
    """The liquid beyond the contact's rim, between the cavity and the capsule's wall.

    The capsule's recess is a layer of liquid of thickness ``recess_gap`` [m] lining
    the capsule for ``recess_length`` [m] beyond the rim (radius ``a`` [m]); past it
    the liquid moves as the near field of a sphere. Its flow is radial Hele-Shaw flow,
    as the film's: inertance ``rho ln(r_out/r_in) / (2 pi h_r) + rho / (4 pi r_out)``
    and resistance ``6 mu ln(r_out/r_in) / (pi h_r^3)`` per unit flow, from
    ``r_in = max(a, R_s)`` (a cavity larger than the contact starts it further out) to
    ``r_out = max(a + recess_length, r_in)``. A length of 0 leaves the near field of a
    sphere of the contact's radius.

    Returns
    -------
    tuple of float
        The inertance [kg/m^4], its derivative in the cavity's volume [kg/m^7], the
        resistance at 1 Pa s [1/m^3] and the layer's volume [m^3].
    """
    r_in = max(a, R_s)
    r_out = max(a + recess_length, r_in)
    layer = math.log(r_out / r_in)
    inertance = rho * layer / (2.0 * math.pi * recess_gap) + rho / (4.0 * math.pi * r_out)
    inertance_V = 0.0
    if R_s > a:  # the cavity's own radius moves the layer's start, or the near field
        R_s_V = 1.0 / (4.0 * math.pi * R_s**2)
        inertance_V = (-rho / (2.0 * math.pi * recess_gap * R_s) if R_s < r_out
                       else -rho / (4.0 * math.pi * R_s**2)) * R_s_V
    resistance = 6.0 * layer / (math.pi * recess_gap**3)
    return inertance, inertance_V, resistance, math.pi * (r_out**2 - r_in**2) * recess_gap


def matrices(V, h, a, rho, mass, area, recess_gap, recess_length):
    """Inertia ``M`` [kg, kg/m^2, kg/m^4], its derivatives and the film's unit resistance.

    Parameters
    ----------
    V, h : float
        Cavity volume [m^3] (0 before nucleation) and gap [m].
    a : float
        Contact radius [m].
    rho : float
        Liquid density [kg/m^3].
    mass : float
        Effective mass of the moving bone [kg].
    area : float
        Contact area [m^2].
    recess_gap, recess_length : float
        The capsule's recess (:func:`recess`) [m].

    Returns
    -------
    tuple of float
        ``M_hh, M_hV, M_VV``; their derivatives in ``h`` then in ``V`` (six values);
        the film's resistance at 1 Pa s, ``R_hh, R_hV, R_VV`` [Pa s/m^3 per Pa s]
        (``R_VV`` 0 before nucleation); the film's volume [m^3]; the equivalent sphere
        radius ``R_s`` [m], the in-plane radius ``b`` [m] and ``sphere`` (see
        :func:`shape`); the recess's resistance at 1 Pa s on the net outflow
        ``V' - A h'`` and its volume [m^3]. Before nucleation (``V = 0``) ``M_VV`` is
        0: the cavity row is not used.
    """
    R_s, b, b_V, b_h, r_f, f_V, f_h, sphere = shape(V, h, a)
    a2, b2, f2 = a * a, b * b, r_f * r_f
    a4, b4 = a2 * a2, b2 * b2
    # The film between r_f and a carries the cavity's flow and the squeeze flow; inside
    # it, from b to r_f (around a sphere smaller than the gap), only the squeeze flow.
    M_hh = mass + math.pi * rho * (a4 - b4) / (8.0 * h)
    M_hV = -rho * (a2 - f2) / (4.0 * h)
    Mhh_h = math.pi * rho / 8.0 * (-4.0 * b**3 * b_h / h - (a4 - b4) / h**2)
    Mhh_V = -math.pi * rho * b**3 * b_V / (2.0 * h)
    MhV_h = rho / 4.0 * (2.0 * r_f * f_h / h + (a2 - f2) / h**2)
    MhV_V = rho * r_f * f_V / (2.0 * h)
    R_hh = 1.5 * math.pi * (a4 - b4) / h**3
    R_hV = -3.0 * (a2 - f2) / h**3
    # The recess beyond the rim moves with the net outflow V' - A h'.
    recess_M, recess_V, recess_R, recess_volume = recess(R_s, a, rho, recess_gap, recess_length)
    M_hh += area * area * recess_M
    M_hV -= area * recess_M
    Mhh_V += area * area * recess_V
    MhV_V -= area * recess_V
    M_VV = MVV_h = MVV_V = R_VV = 0.0
    if V > 0.0:
        L = math.log(a / r_f)
        M_VV = rho * L / (2.0 * math.pi * h) + recess_M
        MVV_h = rho / (2.0 * math.pi) * (-f_h / (r_f * h) - L / h**2)
        MVV_V = -rho * f_V / (2.0 * math.pi * h * r_f) + recess_V
        if sphere > 0.0 and R_s < r_f:  # the sphere's own near field, out to r_f
            M_VV += rho / (4.0 * math.pi) * (1.0 / R_s - 1.0 / r_f)
            MVV_V += -rho / (16.0 * math.pi**2 * R_s**4) + rho * f_V / (4.0 * math.pi * f2)
            MVV_h += rho / (4.0 * math.pi) * f_h / f2
        R_VV = 6.0 * L / (math.pi * h**3)
    film_volume = max(math.pi * a2 * h - V, 0.0) if sphere > 0.0 else math.pi * (a2 - b2) * h
    return (M_hh, M_hV, M_VV, Mhh_h, MhV_h, MVV_h, Mhh_V, MhV_V, MVV_V,
            R_hh, R_hV, R_VV, film_volume, R_s, b, sphere, recess_R, recess_volume)


def wall_pressure(V, h, b, R_s, sphere, sigma, p_v, kappa, p_gas_ref, R_ref):
    """Liquid pressure at the cavity's wall without viscous stress [Pa].

    Polytropic gas ``p_gas_ref (V_ref / V)^kappa`` (``V_ref`` the sphere of ``R_ref``),
    vapour, and surface tension on the wall's curvature: ``2/R_s`` for the sphere,
    ``2/h + 1/b`` for the disc's rim (the two agree where the sphere touches both
    surfaces).
    """
    V_ref = 4.0 / 3.0 * math.pi * R_ref**3
    curvature = 2.0 / R_s if sphere > 0.0 else 2.0 / h + 1.0 / b
    return p_gas_ref * (V_ref / V) ** kappa + p_v - sigma * curvature


def accelerations(h, hdot, V, Vdot, force, p_c, rho, mu_inf, sigma, p_v, kappa, p_gas_ref,
                  R_ref, stiffness, rest_gap, damping, area, rest_pressure, mass, mu_0,
                  shear_time, shear_index, recess_gap, recess_length):
    """``(h'', V'')`` [m/s^2, m^3/s^2] of the joint and its confined cavity.

    Parameters
    ----------
    h, hdot : float
        Gap [m] and its rate [m/s].
    V, Vdot : float
        Cavity volume [m^3] and its rate [m^3/s]; ``V = 0`` before nucleation (then
        ``V'' = 0``).
    force : float
        Distraction force [N].
    p_c : float
        Capsule pressure [Pa] (:func:`cavitation.fluid.pressure_law` of the
        deformation ``A (h - h0) - V`` and its rate).
    rho, mu_inf, sigma, p_v, kappa, p_gas_ref, R_ref :
        Liquid density [kg/m^3], high-shear viscosity [Pa s], surface tension [N/m],
        vapour pressure [Pa], polytropic exponent [-], gas pressure [Pa] at the
        reference radius [m].
    stiffness, rest_gap, damping, area, rest_pressure, mass :
        The joint (:class:`cavitation.joint.Joint`), in SI units.
    mu_0, shear_time, shear_index :
        Carreau zero-shear viscosity [Pa s], time constant [s] and index [-].
    recess_gap, recess_length : float
        The capsule's recess [m] (:func:`recess`).

    Returns
    -------
    tuple of float
        ``h''`` [m/s^2], ``V''`` [m^3/s^2], and the viscosities [Pa s] of the film and
        of the recess, each Carreau's at its own shear rate.
    """
    a = math.sqrt(area / math.pi)
    (M_hh, M_hV, M_VV, Mhh_h, MhV_h, MVV_h, Mhh_V, MhV_V, MVV_V, R_hh, R_hV, R_VV,
     film_volume, R_s, b, sphere, recess_R, recess_volume) = matrices(
        V, h, a, rho, mass, area, recess_gap, recess_length)
    unit_power = R_hh * hdot * hdot + 2.0 * R_hV * hdot * Vdot + R_VV * Vdot * Vdot
    mu = carreau_viscosity(film_shear_rate(unit_power, film_volume), mu_0, mu_inf,
                           shear_time, shear_index)
    outflow = Vdot - area * hdot  # through the recess, toward the capsule's wall
    mu_recess = carreau_viscosity(film_shear_rate(recess_R * outflow * outflow, recess_volume),
                                  mu_0, mu_inf, shear_time, shear_index)
    recess_drop = mu_recess * recess_R * outflow
    Q_h = (force - stiffness * (h - rest_gap) - damping * hdot + area * (p_c - rest_pressure)
           - mu * (R_hh * hdot + R_hV * Vdot) + area * recess_drop)
    # Lagrange: M q'' = Q - (dM/dt) q' + 1/2 q'^T (dM/dq) q'
    rhs_h = (Q_h - (Mhh_h * hdot + Mhh_V * Vdot) * hdot - (MhV_h * hdot + MhV_V * Vdot) * Vdot
             + 0.5 * (Mhh_h * hdot * hdot + 2.0 * MhV_h * hdot * Vdot + MVV_h * Vdot * Vdot))
    if V <= 0.0:
        return rhs_h / M_hh, 0.0, mu, mu_recess
    p_B = wall_pressure(V, h, b, R_s, sphere, sigma, p_v, kappa, p_gas_ref, R_ref)
    Q_V = (p_B - p_c - mu * (R_hV * hdot + R_VV * Vdot) - mu_inf * Vdot / (math.pi * R_s**3)
           - recess_drop)
    rhs_V = (Q_V - (MhV_h * hdot + MhV_V * Vdot) * hdot - (MVV_h * hdot + MVV_V * Vdot) * Vdot
             + 0.5 * (Mhh_V * hdot * hdot + 2.0 * MhV_V * hdot * Vdot + MVV_V * Vdot * Vdot))
    det = M_hh * M_VV - M_hV * M_hV
    return ((M_VV * rhs_h - M_hV * rhs_V) / det, (M_hh * rhs_V - M_hV * rhs_h) / det, mu,
            mu_recess)


def centre_pressure(h, hdot, hddot, p_c, mu, mu_recess, rho, area, recess_gap,
                    recess_length):
    """Film pressure [Pa] at the centre of a cavity-free film, where it is lowest.

    The liquid the opening draws in, ``A h'``, comes from the capsule through the
    recess (:func:`recess`): the rim sits below the capsule by the recess's inertia
    and resistance, ``M_r A h'' + mu_r R_r A h'``. From rim to centre the Reynolds
    equation with the film's inertia adds
    ``-rho a^2 (h'' - h'^2/h) / (4 h) + rho a^2 h'^2 / (8 h^2)`` and the viscous
    ``-3 mu a^2 h' / h^3`` (:func:`cavitation.film.central_tension`). ``mu`` and
    ``mu_recess`` are the film's and the recess's viscosities [Pa s] (as
    :func:`accelerations` returns them); the rest as there.
    """
    a2 = area / math.pi
    inertance, _, resistance, _ = recess(0.0, math.sqrt(a2), rho, recess_gap, recess_length)
    rim = p_c - inertance * area * hddot - mu_recess * resistance * area * hdot
    inertial = -rho * a2 * (hddot - hdot * hdot / h) / (4.0 * h) \
        + rho * a2 * hdot * hdot / (8.0 * h * h)
    return rim + inertial - 3.0 * mu * a2 * hdot / h**3


def in_plane_radius(volume_m3, gap_m, contact_radius_m):
    """The cavity's in-plane radius ``b`` [m] (:func:`shape`), on arrays: the radius of
    the sphere while it fits the gap, then the disc's, capped at the contact radius.

    Parameters
    ----------
    volume_m3, gap_m : ndarray
        Cavity volume [m^3] and gap [m].
    contact_radius_m : float
        Contact radius ``a`` [m].
    """
    import numpy as np  # the compiled functions above use math only

    V, h = np.asarray(volume_m3, dtype=float), np.asarray(gap_m, dtype=float)
    sphere = np.cbrt(3.0 * V / (4.0 * math.pi))
    qa, qb, qc = math.pi * h, 0.25 * math.pi**2 * h**2, math.pi * h**3 / 6.0 - V
    core = -2.0 * qc / (qb + np.sqrt(np.maximum(qb * qb - 4.0 * qa * qc, 0.0)))
    b = np.where(V <= math.pi * h**3 / 6.0, sphere, core + 0.5 * h)
    return np.minimum(b, contact_radius_m)
