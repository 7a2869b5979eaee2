"""The compiled path of simulate and dissolution_time: same equations, same answers.

The compiled integrator (``cavitation._compiled``) runs the package's own functions,
compiled; LSODA with the Python right-hand side is the fallback. These tests check the
wiring (the packed parameters), the agreement of the two paths within the tolerance,
and that each fallback is taken where it must be.
"""

import json
import math
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import cavitation as cv
from cavitation import _compiled, bubble, simulation
from cavitation.joint import (
    KNUCKLE,
    FunctionLoading,
    RampAndHold,
    SampledLoading,
    Thrust,
)
from cavitation.presets import get_preset
from cavitation.scenario import ScaledLoading

LOADINGS = {
    "ramp": RampAndHold(),
    "thrust": Thrust(preload_n=20.0, peak_force_n=60.0),
    "sampled": SampledLoading(np.array([0.0, 0.2, 0.7, 1.0]), np.array([0.0, 5.0, 55.0, 55.0])),
    "scaled": ScaledLoading(RampAndHold(peak_force_n=80.0), scale=0.7, offset_n=-2.0),
}


@pytest.mark.parametrize("name", LOADINGS)
def test_packed_loading_is_the_same_force(name):
    loading = LOADINGS[name]
    t = np.linspace(-0.1, 1.5, 1601)
    expected = np.array([loading.force_n(ti) for ti in t])
    # The compiled law against each loading's own force_n: the same arithmetic.
    np.testing.assert_allclose(_compiled.forces(t, loading.force_vector()), expected,
                               rtol=1e-14, atol=1e-12)


@pytest.mark.parametrize("times", [np.linspace(0.0, 1.0, 1001),
                                   np.array([0.0, 0.1, 0.3, 0.35, 1.0])])
def test_sampled_loading_is_numpys_interpolation_and_slope(times):
    # A sampled law's segment is found where evenly spaced samples would put it, then
    # by bisection: evenly spaced and uneven samples, at and between them, and outside
    # them (held), read as numpy.interp and its slope; a NaN time reads NaN, compiled
    # and not.
    values = np.sin(7.0 * times)
    vector = SampledLoading(times, values).force_vector()
    t = np.sort(np.concatenate([times, np.random.default_rng(3).uniform(-0.2, 1.2, 3001)]))
    np.testing.assert_allclose(_compiled.forces(t, vector), np.interp(t, times, values),
                               rtol=0, atol=1e-14)
    slopes = np.append(np.diff(values) / np.diff(times), 0.0)
    inside = (t >= times[0]) & (t < times[-1])
    expected = np.where(inside, slopes[np.clip(np.searchsorted(times, t, "right") - 1, 0,
                                               times.size - 1)], 0.0)
    np.testing.assert_allclose([cv.joint.loading_rate(ti, vector) for ti in t], expected,
                               rtol=1e-12, atol=0)
    assert math.isnan(cv.joint.loading_force(math.nan, vector))
    assert math.isnan(_compiled.forces(np.array([math.nan]), vector)[0])


def test_a_loading_that_is_a_python_function_is_not_packed():
    function = FunctionLoading(lambda t: 50.0 * t, 1.0)
    assert getattr(function, "force_vector", None) is None
    assert ScaledLoading(function, scale=0.5).force_vector() is None
    assert simulation._Compiled.make(KNUCKLE, function, "keller_miksis") is None


@pytest.mark.parametrize("law", ["linear", "stiffening"])
def test_compiled_right_hand_side_is_the_coupled_model(law):
    joint = cv.replace(KNUCKLE, **{"capsule.law": law})
    loading = LOADINGS["thrust"]
    fast = simulation._Compiled.make(joint, loading, "keller_miksis")
    cavity = simulation._cavity_parameters(joint, "keller_miksis")
    rng = np.random.default_rng(2)
    A, h0 = joint.area_m2, joint.rest_gap_m
    for _ in range(20):
        t = rng.uniform(0.0, 0.5)
        y = np.array([h0 + rng.uniform(0, 5e-4), rng.uniform(-0.1, 0.1),
                      rng.uniform(5e-6, 4e-3), rng.uniform(-5.0, 5.0)])
        h, hdot, R, Rdot = y
        deformation = A * (h - h0) - 4.0 / 3.0 * math.pi * R**3
        p = cv.fluid.capsule_pressure(deformation, joint.capsule,
                                      A * hdot - 4.0 * math.pi * R**2 * Rdot)
        hddot, Rddot = simulation._sphere_rates(joint, loading, cavity, 0.0, t, h, hdot, R,
                                                Rdot, p)
        expected = [hdot, hddot, Rdot, Rddot]
        rates = np.empty(4)
        _compiled.crack_rates(t, y, fast.q, fast.load, rates)
        # The same functions compiled: agreement to rounding checks the packing.
        np.testing.assert_allclose(rates, expected, rtol=1e-9, atol=1e-12)


def _lsoda(joint, loading, **kwargs):
    """simulate with the compiled path off: LSODA and the Python right-hand side."""
    return cv.simulate(joint, FunctionLoading(loading.force_n, loading.duration_s), **kwargs)


@pytest.mark.parametrize("case", ["knuckle", "thrust", "sampled", "stiffening", "lumbar"])
def test_compiled_and_lsoda_cracks_agree(case):
    joint, loading = KNUCKLE, LOADINGS["ramp"]
    if case in ("thrust", "sampled"):
        loading = LOADINGS[case]
    elif case == "stiffening":
        joint = cv.replace(KNUCKLE, **{"capsule.law": "stiffening"})
    elif case == "lumbar":
        preset = get_preset("lumbar-facet")
        joint, loading = preset.joint, preset.loading
    fast = cv.simulate(joint, loading, after_crack_s=0.01)
    slow = _lsoda(joint, loading, after_crack_s=0.01)
    a, b = fast.summary, slow.summary
    assert a.cracked and b.cracked
    # Two integrators at rtol 1e-8 (measured 1e-9 to 1e-7 apart): the rule is
    # that the first collapse moves by less than 0.1 %; these bounds are far tighter.
    assert a.crack_time_s == pytest.approx(b.crack_time_s, rel=1e-6)
    collapse_a, collapse_b = (a.first_collapse_time_s - a.crack_time_s,
                              b.first_collapse_time_s - b.crack_time_s)
    # (NaN for both where the cavity has no volume minimum: the lumbar facet's recess
    # damps it to a single swell.)
    assert collapse_a == pytest.approx(collapse_b, rel=1e-4, nan_ok=True)
    assert a.max_radius_m == pytest.approx(b.max_radius_m, rel=1e-5)
    assert a.gap_jump_m == pytest.approx(b.gap_jump_m, rel=1e-5)
    np.testing.assert_allclose(fast.radius_m, slow.radius_m, rtol=0,
                               atol=1e-5 * b.max_radius_m)


def test_the_integrator_gives_up_on_a_step_that_is_not_a_number():
    # A right-hand side that is not a number made a step of NaN, which no exit caught
    # (every comparison with NaN is false): the integrator looped forever. It gives up
    # instead (status -1), and the caller falls back to LSODA. Run apart, so that a
    # loop fails the test (60 s: the kernel is cached by then, and takes 1 s to load).
    code = ("import numpy as np; from cavitation import _compiled;"
            " liquid = {'rho': 998.0, 'mu': 1e-3, 'sigma': 0.07, 'p_v': 0.0, 'kappa': 1.4,"
            " 'p_gas_ref': 1e5, 'R_ref': 1e-4, 'inv_c': 1 / 1500};"
            " print(_compiled.Solution('bubble', np.array([np.nan, 0.0]), 0.0, 1e-3,"
            " _compiled.cavity_vector(liquid, 1e5), np.zeros(1), rtol=1e-8,"
            " atol=np.array([1e-12, 1e-8])).status)")
    _compiled.kernel(_compiled.integrate, "bubble")  # compiled (and cached) here first
    bubble.solve(1e-4, 1e-5, R_eq=1e-4)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.split() == ["-1"]


def test_a_stiff_joint_falls_back_to_lsoda():
    # 1e7 N/m on 1 g rings at 16 kHz: an explicit method would need millions of steps
    # over a 60 s pull. The compiled path gives up early and LSODA answers; it cracks
    # at (kC/A + A)(p_rest - p_nuc), about 2 kN.
    joint = cv.replace(KNUCKLE, stiffness_n_m=1e7, mass_kg=1e-3)
    loading = RampAndHold(peak_force_n=3000.0, ramp_time_s=60.0, hold_time_s=0.0)
    fast = simulation._Compiled.make(joint, loading, "keller_miksis")
    assert fast.opening(1e-8) is None
    result = cv.simulate(joint, loading, after_crack_s=2e-3)
    lsoda = _lsoda(joint, loading, after_crack_s=2e-3)
    assert result.cracked and result.summary.nucleation_force_n == pytest.approx(2030, rel=0.01)
    # The opening is LSODA's in both; the crack may run compiled in one of them.
    assert result.summary.crack_time_s == lsoda.summary.crack_time_s
    assert result.summary.max_radius_m == pytest.approx(lsoda.summary.max_radius_m, rel=1e-5)


def test_dissolution_time_compiled_agrees_with_lsoda(monkeypatch):
    kwargs = {"p_liquid": 1.0e5, "gas_tension": 6e3, "ostwald": 0.62, "diffusivity": 2e-9,
              "sigma": 0.05}
    fast = bubble.dissolution_time(2e-3, **kwargs)
    monkeypatch.setattr(_compiled, "Solution",
                        lambda *a, **k: type("Gave up", (), {"status": -1})())
    slow = bubble.dissolution_time(2e-3, **kwargs)
    # LSODA at rtol 1e-8 is 3e-5 from a 1e-12 reference here, the compiled path 7e-7.
    assert fast == pytest.approx(slow, rel=1e-4)


@pytest.mark.parametrize("fs", [44100, 48000, 96000])
def test_render_samples_the_crack_at_six_times_the_audio_rate(fs):
    coarse = cv.render(samplerate_hz=fs)
    fine = cv.render(samplerate_hz=fs, output_step_s=1e-6)
    assert coarse.crack.settings["output_step_s"] == pytest.approx(1 / (6 * fs))
    # Measured (confined knuckle, against a grid 40 times the audio rate): -56, -58 and
    # -64 dB of the peak at 44.1, 48 and 96 kHz, from the linear reading of the
    # retarded time on the coarser grid across the crack's sharp onset (1 us: -70 dB).
    # The bound is -50 dB.
    peak = np.max(np.abs(fine.signal))
    assert np.max(np.abs(coarse.signal - fine.signal)) < 3e-3 * peak
    assert coarse.features.peak_level_db == pytest.approx(fine.features.peak_level_db, abs=0.01)
    assert coarse.features.dominant_frequency_hz == fine.features.dominant_frequency_hz


def test_an_edit_to_the_physics_forgets_the_compiled_code(tmp_path):
    # numba notices an edit to a cached function's own file only: an edit to a module
    # the kernels compile from (confined.py, say) must drop this module's cache, and
    # nothing else's.
    package, cache = tmp_path / "cavitation", tmp_path / "cavitation" / "__pycache__"
    cache.mkdir(parents=True)
    for name in _compiled.COMPILED_FROM:
        (package / name).write_text(f"# {name}\n")
    kept = cache / "_dsp._cascade-150.py311.nbi"
    # the film's law is compiled into confined.accelerations, cached as confined's
    compiled = ("_compiled.integrate_confined-504.py311.nbi",
                "_compiled.integrate_confined-504.py311.1.nbc",
                "confined.accelerations-520.py311.nbi", "confined.accelerations-520.py311.1.nbc")

    def cached():
        for name in (*compiled, kept.name):
            (cache / name).write_bytes(b"compiled")

    cached()
    assert _compiled.forget_stale_cache(package, cache)  # no record of the sources yet
    assert sorted(p.name for p in cache.iterdir()) == ["_compiled.sources", kept.name]
    cached()
    assert not _compiled.forget_stale_cache(package, cache)  # unchanged: kept
    assert all((cache / name).exists() for name in compiled)
    (package / "film.py").write_text("# the film's law changed\n")
    assert _compiled.forget_stale_cache(package, cache)
    assert not any((cache / name).exists() for name in compiled) and kept.exists()


def test_a_first_run_is_one_with_nothing_compiled_in_a_writable_cache(tmp_path, monkeypatch):
    package, cache = tmp_path / "cavitation", tmp_path / "cavitation" / "__pycache__"
    cache.mkdir(parents=True)
    for name in _compiled.COMPILED_FROM:
        (package / name).write_text(f"# {name}\n")
    assert _compiled.first_run(package, cache)
    (cache / "_compiled.integrate_confined-504.py311.nbi").write_bytes(b"compiled")
    assert not _compiled.first_run(package, cache)  # compiled, and from these sources
    (package / "film.py").write_text("# the film's law changed\n")
    assert _compiled.first_run(package, cache)  # the stale code went: compiled afresh
    monkeypatch.setattr(_compiled, "_writable", lambda folder: False)
    assert not _compiled.first_run(package, cache)  # numba writes elsewhere


def _compiled_kernels() -> dict:
    """What a render compiles besides its crack's integrator, by name: each one's
    dispatcher (see ``compile_ahead``)."""
    from cavitation import _dsp

    return {"evaluate": _compiled.evaluate, "forces": _compiled.forces,
            "integrate_dissolving": _compiled.kernel(_compiled.integrate, "dissolving"),
            "observe_crack_confined": _compiled.kernel(_compiled.observe_crack, "confined"),
            "_cascade": _dsp._jit(_dsp._cascade), "_prominences": _dsp._jit(_dsp._prominences)}


def test_the_helper_compiles_what_a_render_runs_with_its_arguments():
    # compile_ahead must compile each kernel for the very argument types a render
    # calls it with: a signature of its own would be compiled for nothing, and the
    # render would compile its own all the same. After a render, it adds none.
    cv.render()
    before = {name: list(d.signatures) for name, d in _compiled_kernels().items()}
    assert all(before.values())
    _compiled.compile_ahead()
    assert {name: list(d.signatures) for name, d in _compiled_kernels().items()} == before


def test_a_first_run_compiles_with_a_helper_whose_code_it_then_loads(tmp_path):
    # End to end, on a copy of the package with nothing compiled: the first render
    # starts the helper, and loads what it compiled instead of compiling it again. It
    # runs from a folder that holds another copy, which the helper must not import.
    shutil.copytree(Path(_compiled.__file__).parent, tmp_path / "cavitation",
                    ignore=shutil.ignore_patterns("__pycache__"))
    elsewhere = tmp_path / "elsewhere" / "cavitation"
    elsewhere.mkdir(parents=True)
    (elsewhere / "__init__.py").write_text("raise ImportError('another copy')\n")
    script = tmp_path / "first_render.py"
    script.write_text(
        "import cavitation, json\n"
        "from cavitation import _compiled\n"
        "first = _compiled.FIRST_RUN\n"
        "cavitation.render()\n"
        "d = _compiled.kernel(_compiled.observe_crack, 'confined')\n"
        "print(json.dumps([first and _compiled._helper_started,"
        " _compiled._helper is None and not _compiled._left,"
        " sum(d.stats.cache_hits.values()), sum(d.stats.cache_misses.values())]))\n")
    env = {key: value for key, value in os.environ.items()
           if key not in ("NUMBA_CACHE_DIR", "PYTHONPATH")}
    run = subprocess.run([sys.executable, str(script)], env=env, cwd=elsewhere.parent,
                         capture_output=True, text=True, check=True)
    first, helper_done, hits, misses = json.loads(run.stdout.splitlines()[-1])
    assert first and helper_done  # it started the helper, and waited for it
    assert (hits, misses) == (1, 0)  # the crack's reader came from the helper's cache


def test_a_helper_starts_once_and_not_in_a_worker(monkeypatch):
    # Two threads, or two requests, start one helper; a multiprocessing worker, or an
    # interpreter embedded in another program, none.
    started = []

    class Helper:
        def __init__(self, command, **options):
            started.append(command)

        def wait(self, timeout):
            return 0

    monkeypatch.setattr(_compiled.subprocess, "Popen", Helper)
    monkeypatch.setattr(_compiled, "FIRST_RUN", True)
    for worker, python, expected in ((True, True, 0), (False, False, 0), (False, True, 1)):
        monkeypatch.setattr(_compiled, "_helper_started", False)
        monkeypatch.setattr(_compiled, "_worker", lambda worker=worker: worker)
        monkeypatch.setattr(_compiled, "_python", lambda python=python: python)
        started.clear()
        threads = [threading.Thread(target=_compiled._start_helper,
                                    args=(_compiled.integrate, "confined")) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        _compiled._start_helper(_compiled.observe_crack, "confined")  # not the trigger
        assert len(started) == expected
        _compiled.join_helper()
        assert _compiled._helper is None
