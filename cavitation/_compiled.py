"""Compiled integration (numba): the fast path of ``bubble.solve`` and ``simulate``.

One explicit Dormand-Prince 5(4) pair with its 4th-order dense output (Dormand & Prince
1980, J Comput Appl Math 6:19; the dense output of Shampine 1986, Math Comput 46:135:
the method and coefficients of ``scipy.integrate.RK45``), with the step-size control
of ``scipy.integrate.solve_ivp`` and a terminal event found by bisection on the dense
output. It integrates six systems, each from the package's own equations compiled,
not copies of them, and each chosen by its name:

- ``"bubble"``: one cavity in an unbounded liquid, state ``(R, Rdot)``
  (:func:`cavitation.bubble.keller_miksis`), stopping where ``R`` falls to a level;
  ``"function"``: the same, under a far-field pressure given as a function
  (:func:`cavitation.bubble.hermite_far_field`);
- ``"opening"``: the joint before the crack, state ``(h, hdot)``
  (:func:`cavitation.joint.mechanics`, :func:`cavitation.fluid.pressure_law`,
  :func:`cavitation.joint.loading_force`), stopping where the fluid pressure falls to
  the nucleation pressure;
- ``"crack"``: the joint and its spherical cavity, state ``(h, hdot, R, Rdot)``;
- ``"confined"``: the joint, its film and the cavity confined in it
  (:func:`cavitation.confined.accelerations`), state ``(h, hdot, V, Vdot)``: before
  nucleation ``V = 0`` and it stops where the film's centre pressure falls to the
  nucleation pressure, after it the crack;
- ``"dissolving"``: a gas bubble dissolving, state ``(R,)`` in ``s = sqrt(t)``
  (:func:`cavitation.bubble.epstein_plesset_rate`), stopping at a radius.

Each system is its own functions with one interface (its right-hand side, its terminal
event, the steps it rejects, and for a crack its capsule pressure: ``SYSTEMS``), and the
integrator is compiled for each system apart, the first time that system is used
(``kernel``): a run compiles only the systems it integrates. The integrator's steps
that no system changes are compiled once, for all.

Every accepted step is recorded (start, length, state and dense-output coefficients),
so the solution can be read anywhere afterwards (:func:`evaluate`), as
``solve_ivp``'s ``dense_output`` allows.

The integrator gives up (status -1, and the caller falls back to LSODA) on a stiff
problem: when the steps it is taking would need more than ``MAX_STEPS`` to reach the
end, or when a step falls to 10 units in the last place of ``t``.

This module imports numba and is itself imported only when an integration needs it,
so ``import cavitation`` stays fast; compiled functions are cached on disk, so only
the first run of a system on a machine pays for its compilation.
"""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import FunctionType

import numba
import numpy as np
from numba import njit

from . import bubble as _bubble_module
from . import confined as _confined_module
from . import joint as _joint_module
from .bubble import EVEN_HERMITE, epstein_plesset_rate, keller_miksis
from .fluid import pressure_law, pressure_law_rate
from .joint import mechanics

#: The modules whose functions the kernels compile into themselves (inlined or called).
#: numba notices an edit to a cached function's own file only, not to these.
COMPILED_FROM = ("bubble.py", "confined.py", "film.py", "fluid.py", "joint.py")


def sources_digest(package: Path) -> str:
    """A SHA-256 of the files of ``COMPILED_FROM`` in ``package``."""
    digest = hashlib.sha256()
    for name in COMPILED_FROM:
        digest.update((package / name).read_bytes())
    return digest.hexdigest()


def forget_stale_cache(package: Path, cache: Path) -> bool:
    """Delete the cached compiled code in ``cache`` of this module and of the modules it
    compiles from (``COMPILED_FROM``, some of whose functions numba caches under their
    own names) if any file of ``COMPILED_FROM`` in ``package`` changed since.

    numba keys a cached function by its own file, so an edit to the physics (a
    researcher changing ``film.py``) would keep running the old compiled code in every
    function that inlines it. A hash of those files is kept beside the cache; when it
    differs, the cache goes. Returns whether it went.
    """
    stamp, current = cache / "_compiled.sources", sources_digest(package)
    try:
        if stamp.read_text() == current:
            return False
    except OSError:
        pass
    forgotten = False
    for module in ("_compiled", *(Path(name).stem for name in COMPILED_FROM)):
        for cached in (*cache.glob(f"{module}.*.nbi"), *cache.glob(f"{module}.*.nbc")):
            cached.unlink(missing_ok=True)
            forgotten = True
    try:
        cache.mkdir(exist_ok=True)
        stamp.write_text(current)
    except OSError:  # a read-only install: nothing there can have been edited
        pass
    return forgotten


def _writable(folder: Path) -> bool:
    """Whether a file can be made in ``folder`` (tried: permissions can say otherwise)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def first_run(package: Path, cache: Path) -> bool:
    """Whether the confined crack's integrator is not cached in ``cache``, the folder
    numba writes to (``package``'s ``__pycache__``), once the stale code is gone
    (:func:`forget_stale_cache`): the first run on a machine, or after an edit to the
    physics. False where ``cache`` cannot be written: numba then caches elsewhere."""
    forget_stale_cache(package, cache)
    return not any(cache.glob("_compiled.integrate_confined-*.nbi")) and _writable(cache)


def _worker() -> bool:
    """Whether this process is a ``multiprocessing`` worker: a batch's workers compile
    on their own (or start warm), and a helper each would only crowd the cores."""
    multiprocessing = sys.modules.get("multiprocessing")
    return multiprocessing is not None and multiprocessing.parent_process() is not None


#: The environment variable that tells a helper which copy of the package to compile,
#: and the one with the hash of the physics it is to compile (:func:`compile_ahead`).
HELPER_FOR, HELPER_SOURCES = "CAVITATION_COMPILE_AHEAD_FOR", "CAVITATION_COMPILE_AHEAD_SOURCES"

#: The hash of the physics as this process imported it, which is what it compiles: a
#: helper is given it, and compiles only the same (:func:`compile_ahead`).
SOURCES = sources_digest(Path(__file__).parent)

#: Whether this process started with the crack's integrator to compile: its first crack
#: then compiles with a helper process alongside (:func:`compile_ahead`). Not with
#: numba's cache elsewhere (``NUMBA_CACHE_DIR``, or its config file: neither this nor
#: the stale-code check applies), nor without compilation (``NUMBA_DISABLE_JIT``), nor
#: in a helper (which leaves the cache and its hash to the process that started it).
FIRST_RUN = (not getattr(numba.config, "CACHE_DIR", "")
             and not getattr(numba.config, "DISABLE_JIT", 0) and HELPER_FOR not in os.environ
             and first_run(Path(__file__).parent, Path(__file__).parent / "__pycache__"))

#: The most steps an integration may take; a problem whose step size says it would
#: need more is stiff (a stiff joint, a viscous fluid on a small nucleus): LSODA then.
MAX_STEPS = 200_000
#: Steps before the projection ``steps + (t_end - t) / h > MAX_STEPS`` is trusted: the
#: first steps of a crack resolve the nucleus and are far shorter than the rest.
PROJECTION_AFTER_STEPS = 2_000

#: Dormand-Prince 5(4): nodes C, stages A, weights B, error E = B* - B, and the dense
#: output P (``y(t + x h) = y + h K^T P [x, x^2, x^3, x^4]``), as in scipy's RK45.
C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0])
A = np.array([
    [0.0, 0.0, 0.0, 0.0, 0.0],
    [1 / 5, 0.0, 0.0, 0.0, 0.0],
    [3 / 40, 9 / 40, 0.0, 0.0, 0.0],
    [44 / 45, -56 / 15, 32 / 9, 0.0, 0.0],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729, 0.0],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656]])
B = np.array([35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84])
E = np.array([-71 / 57600, 0.0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40])
P = np.array([
    [1.0, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432],
    [0.0, 0.0, 0.0, 0.0],
    [0.0, 131558114200 / 32700410799, -68118460800 / 10900136933,
     87487479700 / 32700410799],
    [0.0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072],
    [0.0, 127303824393 / 49829197408, -318862633887 / 49829197408,
     701980252875 / 199316789632],
    [0.0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844],
    [0.0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423]])

#: Layout of the packed parameters ``q``. The cavity's come first (``p_inf`` is used by
#: ``"bubble"`` only); the joint's follow for the joint's systems.
CAVITY = ("p_inf", "rho", "mu", "sigma", "p_v", "kappa", "p_gas_ref", "R_ref", "inv_c")
JOINT = ("stiffness", "rest_gap", "damping", "area", "rest_pressure", "mass", "compliance",
         "resistance", "stiffening_volume", "stiffening", "reference_volume",
         "nucleation_pressure")
_J = len(CAVITY)
#: The film's shear-thinning (``"confined"`` only), after the joint's.
FILM = ("zero_shear_viscosity", "shear_thinning_time", "shear_thinning_index", "recess_gap",
        "recess_length")
_F = _J + len(JOINT)

#: Small functions are inlined into their callers (numba's IR inlining): on the hot
#: path, a right-hand side, a call costs more than the arithmetic here.
_inline = njit(cache=True, error_model="numpy", inline="always")
#: Larger ones, and the steps of the integrator that no system changes, are compiled
#: once and called: inlining copies a function's code into each caller, and its
#: compilation with it (the confined film's accelerations: 2 s each time).
_called = njit(cache=True, error_model="numpy")
_keller_miksis = _inline(keller_miksis)
_epstein_plesset_rate = _inline(epstein_plesset_rate)
_pressure_law = _inline(pressure_law)
_pressure_law_rate = _inline(pressure_law_rate)
_mechanics = _inline(mechanics)


def _compile_family(module, names, called=()):
    """``module``'s functions ``names``, compiled to call one another compiled: each
    is rebuilt over one shared namespace in which the others are compiled too. Those
    also in ``called`` are compiled once, to be called; the others are inlined."""
    namespace = dict(vars(module))
    for name in names:
        function = getattr(module, name)
        compile_ = _called if name in called else _inline
        namespace[name] = compile_(FunctionType(function.__code__, namespace, name,
                                                function.__defaults__))
    return [namespace[name] for name in names]


_loading_force, _loading_rate = _compile_family(
    _joint_module, ("sampled_segment", "loading_force", "loading_rate"))[1:]
_hermite_far_field = _compile_family(_bubble_module,
                                     ("_hermite_segment", "hermite_far_field"))[1]
_confined_accelerations, _centre_pressure = _compile_family(_confined_module, (
    "shape", "recess", "matrices", "wall_pressure", "carreau_viscosity", "film_shear_rate",
    "accelerations", "centre_pressure"), called=("accelerations", "centre_pressure"))[-2:]


@_inline
def rddot(R, Rdot, p, q, dp_dt, dp_drddot):
    """Wall acceleration [m/s^2] against the liquid pressure ``p`` [Pa], changing at
    ``dp_dt + dp_drddot Rddot`` [Pa/s]."""
    return _keller_miksis(R, Rdot, p, q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], dp_dt,
                          dp_drddot)


@_inline
def opening_deformation(y, q):
    """The capsule's deformation [m^3] of a joint state ``(h, hdot, ...)``, the cavity
    left out, and its rate [m^3/s]."""
    area, rest_gap = q[_J + 3], q[_J + 1]
    return area * (y[0] - rest_gap), area * y[1]


@_inline
def sphere_deformation(y, q):
    """The capsule's deformation [m^3] of a state ``(h, hdot, R, Rdot)`` and its rate
    [m^3/s]: the opening less what the sphere fills."""
    volume, rate = opening_deformation(y, q)
    R, Rdot = y[2], y[3]
    volume -= 4.0 / 3.0 * np.pi * R * R * R - q[_J + 10]
    rate -= 4.0 * np.pi * R * R * Rdot
    return volume, rate


@_inline
def confined_deformation(y, q):
    """The capsule's deformation [m^3] of a state ``(h, hdot, V, Vdot)`` and its rate
    [m^3/s]: the opening less what the confined cavity fills."""
    volume, rate = opening_deformation(y, q)
    volume -= y[2] - q[_J + 10]
    rate -= y[3]
    return volume, rate


@_inline
def capsule_pressure(volume, rate, q):
    """Capsule pressure [Pa] at a deformation ``volume`` [m^3] changing at ``rate``
    [m^3/s]."""
    return _pressure_law(volume, rate, q[_J + 4], q[_J + 6], q[_J + 7], q[_J + 8],
                         q[_J + 9] != 0.0)


@_inline
def opening_pressure(y, q):
    """Capsule pressure [Pa] of a joint state ``(h, hdot)``."""
    volume, rate = opening_deformation(y, q)
    return capsule_pressure(volume, rate, q)


@_inline
def sphere_pressure(y, q):
    """Capsule pressure [Pa] of a state ``(h, hdot, R, Rdot)``."""
    volume, rate = sphere_deformation(y, q)
    return capsule_pressure(volume, rate, q)


@_inline
def confined_pressure(y, q):
    """Capsule pressure [Pa] of a state ``(h, hdot, V, Vdot)``."""
    volume, rate = confined_deformation(y, q)
    return capsule_pressure(volume, rate, q)


@_inline
def far_field_rate(y, hddot, q):
    """The capsule pressure's rate of change [Pa/s] around a spherical cavity: the part
    known from the state and ``h''``, and the part per unit ``R''`` [Pa s/m]."""
    R, Rdot = y[2], y[3]
    volume, rate = sphere_deformation(y, q)
    known_accel = q[_J + 3] * hddot - 8.0 * np.pi * R * Rdot * Rdot
    dp_dt = _pressure_law_rate(volume, rate, known_accel, q[_J + 6], q[_J + 7], q[_J + 8],
                               q[_J + 9] != 0.0)
    return dp_dt, 4.0 * np.pi * R * R * q[_J + 7]


@_inline
def joint_acceleration(t, y, p, q, load):
    """``h''`` [m/s^2] of the joint (the sphere's systems) at capsule pressure ``p``."""
    return _mechanics(_loading_force(t, load), y[0], y[1], p, q[_J], q[_J + 1], q[_J + 2],
                      q[_J + 3], q[_J + 4], q[_J + 5])


@_inline
def confined(t, y, p, q, load):
    """``(h'', V'', film and recess viscosities)`` of a ``"confined"`` state at capsule
    pressure ``p``."""
    return _confined_accelerations(
        y[0], y[1], y[2], y[3], _loading_force(t, load), p, q[1], q[2], q[3], q[4], q[5],
        q[6], q[7], q[_J], q[_J + 1], q[_J + 2], q[_J + 3], q[_J + 4], q[_J + 5], q[_F],
        q[_F + 1], q[_F + 2], q[_F + 3], q[_F + 4])


# The interface of a system: integrate and observe_crack are written against these
# four names, and each system's copy of them (kernel) has that system's functions in
# their place (SYSTEMS). They are never called themselves.

def rates(t, y, q, load, out):
    """Write ``dy/dt`` at ``(t, y)`` into ``out``."""
    raise NotImplementedError("a system's rates: see SYSTEMS")


def event(t, y, q, load, level):
    """A value that falls through 0 at the terminal event (never, when positive)."""
    raise NotImplementedError("a system's event: see SYSTEMS")


def rejects(y, y_new):
    """Whether a step from ``y`` to a finite ``y_new`` must be retried shorter: a
    radius (or the cavity's volume) at or below zero."""
    raise NotImplementedError("a system's rejects: see SYSTEMS")


def pressure(y, q):
    """The capsule's pressure [Pa] of a state (the crack's systems only)."""
    raise NotImplementedError("a system's pressure: see SYSTEMS")


@njit(cache=True, error_model="numpy")
def bubble_rates(t, y, q, load, out):
    """``"bubble"``: ``dy/dt`` of ``(R, Rdot)``. ``p_inf`` is ``q[0]``, or sampled in
    ``load`` (then with its slope)."""
    out[0] = y[1]
    if load.size > 1:
        out[1] = rddot(y[0], y[1], _loading_force(t, load), q, _loading_rate(t, load), 0.0)
    else:
        out[1] = rddot(y[0], y[1], q[0], q, 0.0, 0.0)


@njit(cache=True, error_model="numpy")
def function_rates(t, y, q, load, out):
    """``"function"``: ``"bubble"``'s ``dy/dt``, its ``p_inf`` and rate a function's
    reading in ``load`` (:func:`cavitation.bubble.hermite_far_field`)."""
    out[0] = y[1]
    p_inf, rate = _hermite_far_field(t, load)
    out[1] = rddot(y[0], y[1], p_inf, q, rate, 0.0)


@njit(cache=True, error_model="numpy")
def dissolving_rates(t, y, q, load, out):
    """``"dissolving"``: ``dR/ds`` in ``s = sqrt(t)``; ``q``: ``f, D, L, p, sigma``."""
    out[0] = _epstein_plesset_rate(y[0], t, q[0], q[1], q[2], q[3], q[4])


@njit(cache=True, error_model="numpy")
def opening_rates(t, y, q, load, out):
    """``"opening"``: ``dy/dt`` of ``(h, hdot)``."""
    p = opening_pressure(y, q)
    out[0] = y[1]
    out[1] = joint_acceleration(t, y, p, q, load)


@njit(cache=True, error_model="numpy")
def crack_rates(t, y, q, load, out):
    """``"crack"``: ``dy/dt`` of ``(h, hdot, R, Rdot)``."""
    p = sphere_pressure(y, q)
    out[0] = y[1]
    out[1] = joint_acceleration(t, y, p, q, load)
    out[2] = y[3]
    dp_dt, dp_drddot = far_field_rate(y, out[1], q)
    out[3] = rddot(y[2], y[3], p, q, dp_dt, dp_drddot)


@njit(cache=True, error_model="numpy")
def confined_rates(t, y, q, load, out):
    """``"confined"``: ``dy/dt`` of ``(h, hdot, V, Vdot)``."""
    p = confined_pressure(y, q)
    out[0] = y[1]
    out[1], out[3], _, _ = confined(t, y, p, q, load)
    out[2] = y[3]


@njit(cache=True, error_model="numpy")
def level_event(t, y, q, load, level):
    """``"bubble"``, ``"dissolving"``: the radius falls to ``level`` (never, if 0)."""
    return y[0] - level if level > 0.0 else 1.0


@njit(cache=True, error_model="numpy")
def nucleation_event(t, y, q, load, level):
    """``"opening"``: the fluid pressure falls to the nucleation pressure."""
    return opening_pressure(y, q) - q[_J + 11]


@njit(cache=True, error_model="numpy")
def no_event(t, y, q, load, level):
    """``"crack"``: none."""
    return 1.0


@njit(cache=True, error_model="numpy")
def confined_event(t, y, q, load, level):
    """``"confined"``: before nucleation (``V = 0``) the film's centre pressure falls to
    the nucleation pressure; after it the cavity's volume falls to ``level`` (never,
    if 0)."""
    if y[2] <= 0.0:
        p = confined_pressure(y, q)
        hddot, _, mu, mu_recess = confined(t, y, p, q, load)
        return _centre_pressure(y[0], y[1], hddot, p, mu, mu_recess, q[1], q[_J + 3],
                                q[_F + 3], q[_F + 4]) - q[_J + 11]
    return y[2] - level if level > 0.0 else 1.0


@_inline
def radius_vanishes(y, y_new):
    """``"bubble"``, ``"dissolving"``: the radius ``y[0]`` at or below zero."""
    return y_new[0] <= 0.0


@_inline
def never(y, y_new):
    """``"opening"``: no step is rejected for its state."""
    return False


@_inline
def sphere_vanishes(y, y_new):
    """``"crack"``: the sphere's radius at or below zero."""
    return y_new[2] <= 0.0


@_inline
def cavity_vanishes(y, y_new):
    """``"confined"``: the cavity's volume at or below zero, once there is a cavity."""
    return y[2] > 0.0 and y_new[2] <= 0.0


#: The systems, by name: each one's functions of the interface above.
SYSTEMS = {
    "bubble": {"rates": bubble_rates, "event": level_event, "rejects": radius_vanishes},
    "function": {"rates": function_rates, "event": level_event, "rejects": radius_vanishes},
    "opening": {"rates": opening_rates, "event": nucleation_event, "rejects": never,
                "pressure": opening_pressure},
    "crack": {"rates": crack_rates, "event": no_event, "rejects": sphere_vanishes,
              "pressure": sphere_pressure},
    "confined": {"rates": confined_rates, "event": confined_event,
                 "rejects": cavity_vanishes, "pressure": confined_pressure},
    "dissolving": {"rates": dissolving_rates, "event": level_event,
                   "rejects": radius_vanishes},
}


@functools.cache
def kernel(template, system):
    """``template`` (:func:`integrate` or :func:`observe_crack`) compiled for ``system``
    alone, when first asked for.

    A copy of ``template`` over the module's namespace with ``system``'s functions in
    place of the interface's (``SYSTEMS``), so that compiling it compiles no other
    system, and the system's functions are inlined or called directly, as the
    template's would be. It is named ``{template}_{system}``: numba's disk cache keys
    a function by its name and source, not by the functions it calls, so copies with
    one name would read one another's code. (A jitted function passed as an argument,
    or held by a closure, would also specialise it, but numba's cache misses such a
    function in every new process: it compiled again each time.)
    """
    _start_helper(template, system)
    name = f"{template.__name__}_{system}"
    code = template.__code__.replace(co_name=name, co_qualname=name)  # named throughout
    function = FunctionType(code, {**globals(), **SYSTEMS[system]}, name,
                            template.__defaults__)
    function.__qualname__, function.__doc__ = name, template.__doc__
    return njit(cache=True, error_model="numpy")(function)


#: The helper process of a first run (:func:`compile_ahead`), until it is waited for;
#: whether one was started in this process; and the lock that makes both one.
_helper: subprocess.Popen | None = None
_helper_started = False
_helper_lock = threading.Lock()
#: Helpers no longer waited for (kept, so that they are not collected while running).
_left: list[subprocess.Popen] = []
#: How long a first run waits for its helper before it compiles what it needs itself [s].
HELPER_WAIT_S = 60.0

#: The helper's program: this copy of the package on the path before the installed
#: packages (not before the standard library), then :func:`compile_ahead`. The helper
#: is a short process of our own, and two of its costs are not compiling: the cyclic
#: garbage collector's passes over numba's compiler objects (it is switched off; the
#: helper peaks at about 250 MB instead of 215), and the interpreter's teardown of the
#: compiled code at exit, about 0.5 s that the first process would wait for (it ends
#: with ``os._exit`` once the cache is written, and its files are closed by then).
_HELPER_PROGRAM = """import gc, os, sys
gc.disable()
places = [i for i, p in enumerate(sys.path) if p.endswith(("site-packages", "dist-packages"))]
sys.path.insert(places[0] if places else len(sys.path), {parent!r})
try:
    from cavitation import _compiled
    _compiled.compile_ahead()
finally:  # a failure is as silent as the rest (no standard error), and as quick
    os._exit(0)
"""


def _python() -> bool:
    """Whether ``sys.executable`` is a Python interpreter (not the program that embeds
    one, which a helper must not start)."""
    return Path(sys.executable or "").name.lower().startswith("python")


def _start_helper(template, system) -> None:
    """On a first run (``FIRST_RUN``), start the helper as the confined crack's
    integrator is first asked for (it is compiled on its first call, next): once per
    process, and not in a ``multiprocessing`` worker."""
    global _helper, _helper_started
    if not (FIRST_RUN and (template, system) == (integrate, "confined")):
        return
    with _helper_lock:
        if _helper_started or _worker() or not _python():
            return
        _helper_started = True
        package = Path(__file__).parent
        env = {**os.environ, HELPER_FOR: __file__, HELPER_SOURCES: SOURCES}
        try:  # -P: no current folder on the path, which could hold another copy
            _helper = subprocess.Popen(
                [sys.executable, "-P", "-c", _HELPER_PROGRAM.format(parent=str(package.parent))],
                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
        except OSError:  # no interpreter to start: this process compiles it all
            pass


def join_helper() -> None:
    """Wait for a first run's helper, if one is at work, at most ``HELPER_WAIT_S``: the
    first crack's integrator is compiled, and what follows is the helper's to compile.
    A helper that takes longer is left to finish on its own."""
    global _helper
    with _helper_lock:
        helper, _helper = _helper, None
    if helper is None:
        return
    try:
        helper.wait(HELPER_WAIT_S)
    except subprocess.TimeoutExpired:
        _left.append(helper)


@_called
def dense(row, x, out):
    """The dense output at ``t + x h`` of a recorded step ``row``: ``(t, h, y, Q)``, with
    ``y(t + x h) = y + h Q [x, x^2, x^3, x^4]`` and ``Q`` flattened by rows."""
    n = out.size
    n_dense = (row.size - 2 - n) // n
    h = row[1]
    for i in range(n):
        value, power = 0.0, x
        for k in range(n_dense):
            value += row[2 + n + i * n_dense + k] * power
            power *= x
        out[i] = row[2 + i] + h * value


@_called
def grown(record):
    """``record`` in the first half of a record of twice its rows. (Copied element by
    element: a slice assignment would compile numba's message for a mismatch of
    shapes, seconds on a first run.)"""
    out = np.empty((2 * record.shape[0], record.shape[1]))
    for i in range(record.shape[0]):
        for j in range(record.shape[1]):
            out[i, j] = record[i, j]
    return out


@_called
def write_step(row, t, h, y, K):
    """Write the step ``(t, h)`` from ``y`` with the stages ``K`` into a record's ``row``
    (see :func:`dense`)."""
    n, n_dense = y.size, P.shape[1]
    row[0], row[1] = t, h
    for i in range(n):
        row[2 + i] = y[i]
        for k in range(n_dense):
            coefficient = 0.0
            for j in range(7):
                coefficient += K[j, i] * P[j, k]
            row[2 + n + i * n_dense + k] = coefficient


@_inline
def rms_norm(x, scale):
    total = 0.0
    for i in range(x.size):
        total += (x[i] / scale[i]) ** 2
    return np.sqrt(total / x.size)


# The steps of integrate that do not call a system's functions: compiled once, and
# called by every system's integrate.

@_called
def first_guess(y, f0, span, rtol, atol, scale, y1):
    """The first trial step ``h0`` from ``y`` with slope ``f0`` (at most ``span``) and
    the norm of ``f0``; ``y1 = y + h0 f0`` and the error scale of ``y`` are written
    into ``y1`` and ``scale``."""
    for i in range(y.size):
        scale[i] = atol[i] + abs(y[i]) * rtol
    d0, d1 = rms_norm(y, scale), rms_norm(f0, scale)
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    h0 = min(h0, span)
    for i in range(y.size):
        y1[i] = y[i] + h0 * f0[i]
    return h0, d1


@_called
def initial_step(h0, d1, f0, f1, scale, work, span):
    """The initial step from :func:`first_guess`'s ``h0`` and ``d1`` and the slope
    ``f1`` at its end (``work``: scratch)."""
    for i in range(f0.size):
        work[i] = f1[i] - f0[i]
    d2 = rms_norm(work, scale) / h0
    big = max(d1, d2)
    h1 = max(1e-6, h0 * 1e-3) if big <= 1e-15 else (0.01 / big) ** 0.2
    return min(100.0 * h0, h1, span)


@_called
def stage(y, K, s, h, out):
    """Write the state of stage ``s`` of a step ``h`` from ``y`` into ``out``."""
    for i in range(y.size):
        step = 0.0
        for j in range(s):
            step += A[s, j] * K[j, i]
        out[i] = y[i] + h * step


@_called
def propose(y, K, h, out):
    """Write the step's 5th-order end state into ``out``; whether it is finite."""
    finite = True
    for i in range(y.size):
        step = 0.0
        for j in range(6):
            step += B[j] * K[j, i]
        out[i] = y[i] + h * step
        finite = finite and np.isfinite(out[i])
    return finite


@_called
def error_norm(y, y_new, K, h, rtol, atol, scale, work):
    """The step's error estimate in units of the tolerance (``scale``, ``work``:
    scratch)."""
    for i in range(y.size):
        error = 0.0
        for j in range(7):
            error += E[j] * K[j, i]
        work[i] = h * error
        scale[i] = atol[i] + max(abs(y[i]), abs(y_new[i])) * rtol
    return rms_norm(work, scale)


def integrate(y0, t0, t_end, q, load, level, rtol, atol, max_steps):
    """Integrate a system from ``(t0, y0)`` to ``t_end`` or its terminal event (compiled
    for each system by :func:`kernel`).

    Returns the record of accepted steps (start times, lengths, start states, dense
    coefficients), the final time and state, and the status: 0 reached ``t_end``,
    1 stopped at the event, -1 gave up.
    """
    n = y0.size
    record = np.empty((1024, 2 + n + n * P.shape[1]))  # rows: t, h, y, Q (see dense)
    K = np.empty((7, n))
    y, y_new, y_stage = y0.copy(), np.empty(n), np.empty(n)
    scale, work = np.empty(n), np.empty(n)
    t = t0
    rates(t, y, q, load, K[0])
    # Initial step (Hairer, Norsett & Wanner, sec. II.4), as solve_ivp chooses it.
    h0, d1 = first_guess(y, K[0], t_end - t0, rtol, atol, scale, y_stage)
    rates(t + h0, y_stage, q, load, K[1])
    h = initial_step(h0, d1, K[0], K[1], scale, work, t_end - t0)
    g = event(t, y, q, load, level)
    count, steps, status, rejected = 0, 0, 0, False
    while t < t_end:
        # The smallest step, as in solve_ivp: 10 units in the last place of t (or a
        # step that is not a number, from a right-hand side that is not).
        if steps >= max_steps or not h >= 10.0 * abs(np.nextafter(t, np.inf) - t):
            status = -1
            break
        last = t + h >= t_end
        if last:
            h = t_end - t
        for s in range(1, 6):
            stage(y, K, s, h, y_stage)
            rates(t + C[s] * h, y_stage, q, load, K[s])
        if not propose(y, K, h, y_new) or rejects(y, y_new):
            h *= 0.2
            rejected = True
            continue
        rates(t + h, y_new, q, load, K[6])
        err_norm = error_norm(y, y_new, K, h, rtol, atol, scale, work)
        if not err_norm < 1.0:  # NaN too: rejected, as solve_ivp does
            h *= max(0.2, 0.9 * err_norm ** -0.2)
            rejected = True
            continue
        steps += 1
        if count == record.shape[0]:
            record = grown(record)
        row = record[count]
        write_step(row, t, h, y, K)
        count += 1
        g_new = event(t + h, y_new, q, load, level)
        if g > 0.0 >= g_new:  # bisection on the dense output for the event
            lo, hi = 0.0, 1.0
            for _ in range(60):
                mid = 0.5 * (lo + hi)
                dense(row, mid, y_stage)
                if event(t + mid * h, y_stage, q, load, level) > 0.0:
                    lo = mid
                else:
                    hi = mid
            dense(row, hi, y)
            t = t + hi * h
            status = 1
            break
        g = g_new
        t = t_end if last else t + h
        y, y_new = y_new, y
        for i in range(n):
            K[0, i] = K[6, i]
        factor = 10.0 if err_norm == 0.0 else min(10.0, 0.9 * err_norm ** -0.2)
        if rejected:  # no growth right after a rejected step, as in solve_ivp
            factor = min(1.0, factor)
        rejected = False
        h *= factor
        if steps > PROJECTION_AFTER_STEPS and steps + (t_end - t) / h > max_steps:
            status = -1  # stiff: these steps would take too long to reach the end
            break
    return record[:count], t, y, status


@njit(cache=True, error_model="numpy")
def evaluate(record, n, t_query):
    """The recorded solution (``n`` components) at increasing times ``t_query``,
    shape ``(m, n)``."""
    out = np.empty((t_query.size, n))
    k = 0
    for m in range(t_query.size):
        while k + 1 < record.shape[0] and record[k + 1, 0] <= t_query[m]:
            k += 1
        dense(record[k], (t_query[m] - record[k, 0]) / record[k, 1], out[m])
    return out


def observe_crack(record, t_query, q, load):
    """The crack's recorded solution at increasing times ``t_query``, and what follows
    from it: rows ``h, hdot, R, Rdot``, fluid pressure [Pa], force [N], ``Rddot``
    (``V, Vdot, Vddot`` for ``"confined"``). Compiled for each system by :func:`kernel`."""
    out = np.empty((7, t_query.size))
    y, dy = np.empty(4), np.empty(4)
    k = 0
    for m in range(t_query.size):
        while k + 1 < record.shape[0] and record[k + 1, 0] <= t_query[m]:
            k += 1
        dense(record[k], (t_query[m] - record[k, 0]) / record[k, 1], y)
        for i in range(4):
            out[i, m] = y[i]
        out[4, m] = pressure(y, q)
        out[5, m] = _loading_force(t_query[m], load)
        rates(t_query[m], y, q, load, dy)
        out[6, m] = dy[3]
    return out


@njit(cache=True, error_model="numpy")
def forces(t, load):
    """A packed loading's force [N] at each of the times ``t`` [s]."""
    out = np.empty(t.size)
    for i in range(t.size):
        out[i] = _loading_force(t[i], load)
    return out


class Solution:
    """A compiled integration: its status, end, and a dense reader of its steps."""

    def __init__(self, system: str, y0: np.ndarray, t0: float, t_end: float, q: np.ndarray,
                 load: np.ndarray, *, rtol: float, atol: np.ndarray, level: float = 0.0,
                 max_steps: int = MAX_STEPS) -> None:
        self.system = system
        try:
            self._record, t, y, self.status = kernel(integrate, system)(
                np.asarray(y0, dtype=float), float(t0), float(t_end), q, load,
                float(level), float(rtol), np.asarray(atol, dtype=float), max_steps)
        finally:
            join_helper()
        self.t_final, self.y_final = float(t), y

    def __call__(self, t: np.ndarray) -> np.ndarray:
        """The state at increasing times ``t`` [s], shape ``(n, len(t))``."""
        t = np.ascontiguousarray(t, dtype=float)
        return evaluate(self._record, self.y_final.size, t).T

    def observe_crack(self, t: np.ndarray, q: np.ndarray, load: np.ndarray) -> np.ndarray:
        """A crack's state at increasing times ``t`` [s] with its fluid pressure [Pa],
        force [N] and ``Rddot`` [m/s^2] (:func:`observe_crack`)."""
        t = np.ascontiguousarray(t, dtype=float)
        return kernel(observe_crack, self.system)(self._record, t, q, load)

    @property
    def steps(self) -> tuple[np.ndarray, np.ndarray]:
        """Times and states at the accepted steps' ends, the start included."""
        n = self.y_final.size
        t = np.append(self._record[:, 0], self.t_final)
        return t, np.vstack([self._record[:, 2:2 + n], self.y_final]).T


def cavity_vector(liquid: dict, p_inf: float = 0.0) -> np.ndarray:
    """The cavity's parameters packed in ``CAVITY`` order."""
    return np.array([p_inf, *(liquid[name] for name in CAVITY[1:])], dtype=float)


def solve(y0: np.ndarray, t_end: float, liquid: dict, p_inf: float, *, rtol: float,
          atol: np.ndarray, t_eval: np.ndarray | None, level: float,
          samples: np.ndarray | None = None):
    """Integrate a lone cavity from ``y0 = (R0, Rdot0)``; see :func:`bubble.solve`.
    ``samples``: a sampled far-field pressure, packed as a ``SAMPLED`` loading, or a
    function's reading, packed for :func:`cavitation.bubble.hermite_far_field`.

    Returns ``(t, y, status)``: status 0 reached ``t_end``, 1 stopped at ``R = level``,
    -1 gave up (the caller falls back to LSODA).
    """
    load = np.zeros(1) if samples is None else np.ascontiguousarray(samples, dtype=float)
    system = "function" if load.size > 1 and load[2] == EVEN_HERMITE else "bubble"
    sol = Solution(system, y0, 0.0, t_end, cavity_vector(liquid, p_inf), load,
                   rtol=rtol, atol=atol, level=level)
    if sol.status < 0:
        return None, None, sol.status
    if t_eval is None:
        t, y = sol.steps
        return t, y, sol.status
    t_eval = t_eval[t_eval <= sol.t_final]
    return t_eval, sol(t_eval), sol.status


def acceleration(R: float, Rdot: float, liquid: dict, p_inf: float) -> float:
    """The compiled right-hand side, for the test that it matches the Python one."""
    return rddot(R, Rdot, p_inf, cavity_vector(liquid, p_inf), 0.0, 0.0)


def compile_ahead() -> None:
    """Compile, into numba's disk cache, what a knuckle's render runs besides its crack's
    integrator (``integrate_confined``), each for the arguments a render gives it.

    A first run on a machine starts this in a second process as it begins to compile
    that integrator, about 4 s of the 7 s, so that the two compile side by side: the
    integrator of a dissolving bubble (and with it the steps that every system's
    integrator shares), the dense reader, the loading's forces, the signal kernels of
    :mod:`cavitation._dsp`, and last the reading of a confined crack, which calls the
    confined right-hand side that the first process has compiled by then. The first
    process waits for it once its integrator is compiled (:func:`join_helper`), and
    loads the rest from the cache. It does nothing in another copy of the package than
    the one that started it (``HELPER_FOR``), whose cache would be another.
    """
    if os.environ.get(HELPER_FOR) not in (None, __file__):  # another copy of the package
        return
    if os.environ.get(HELPER_SOURCES) not in (None, SOURCES):
        return  # the physics changed between the two processes' imports
    from . import _dsp
    from .bubble import dissolution_time

    dissolution_time(1e-6, p_liquid=1e5, gas_tension=6e3, ostwald=0.62, diffusivity=2e-9,
                     sigma=0.05)
    row, nothing = np.zeros((1, 2 + 4 + 4 * P.shape[1])), np.zeros(0)
    evaluate(row, 4, nothing)
    forces(nothing, np.zeros(5))
    _dsp.sosfilt(np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]), nothing)
    _dsp.find_peaks(np.zeros(3), prominence=1.0)
    kernel(observe_crack, "confined")(row, nothing, np.zeros(len(CAVITY) + len(JOINT)
                                                            + len(FILM)), np.zeros(5))
